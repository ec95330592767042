//! The id of the request being served: set by the middleware around each
//! request, carried by its log span, shown to the client on a server error so
//! that an operator can find the cause in the log.

use std::sync::atomic::{AtomicU64, Ordering};

tokio::task_local! {
    static CURRENT: String;
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new id: the process id and a counter, unique on this server for its life.
pub fn next() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:x}-{n:x}", std::process::id())
}

/// Runs `f` with `id` as the current request id.
pub async fn scope<F: Future>(id: String, f: F) -> F::Output {
    CURRENT.scope(id, f).await
}

/// The current request id, if inside a request.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}
