//! Carnet's HTTP layer: the JSON API under `/api/v1` (DESIGN.md §2, issue 2
//! item 8). Handlers parse, authenticate, call the store, render — nothing
//! else: the store scopes every read and write to the caller and audits it.
//! This crate is where the clock is read (once per request, passed down as
//! `WriteCtx.now`); it never logs a name, a note, a query string or a token.

mod auth;
mod error;
mod input;
mod middleware;
pub mod openapi;
mod request_id;
mod routes;

pub use error::ApiError;
pub use routes::{JSON_LIMIT, UPLOAD_LIMIT};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use carnet_store::Db;
use jiff::Timestamp;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// The clock, read once per request; tests pass a fixed one.
    pub clock: fn() -> Timestamp,
}

impl AppState {
    /// State with the system clock.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            clock: system_clock,
        }
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "the web layer is the edge where the clock is read (STYLE.md, Types)"
)]
fn system_clock() -> Timestamp {
    Timestamp::now()
}

/// `(method, path)` of every route, as the router serves them.
pub fn routes() -> Vec<(&'static str, &'static str)> {
    routes::table()
        .iter()
        .map(|r| (r.method.as_str(), r.path))
        .collect()
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for route in routes::table() {
        router = router.route(route.path, route.handler);
    }
    router
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .layer(axum::middleware::from_fn(middleware::around))
        .with_state(state)
}

/// Binds a listener (port 0 picks a free port: see `local_addr`).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves the API on a bound listener until `shutdown` completes.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds `addr` and serves the API until `shutdown` completes.
pub async fn serve(
    db: Db,
    addr: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = bind(addr).await?;
    serve_on(listener, AppState::new(db), shutdown).await
}
