//! Carnet's HTTP layer: the JSON API under `/api/v1` and the French pages for
//! professionals and directors (DESIGN.md §2). Handlers parse, call the store,
//! render — nothing else: who may call a route is decided once, in
//! [`access`], for both; the store scopes every read and write to the caller
//! and audits it. The collection platform of the ARS and the CNSA has a
//! router of its own, [`platform::router`], with its own route table and
//! access layer over the same sign-in, sessions and error mapping.
//! This crate is where the clock is read (once per request, passed down as
//! `WriteCtx.now`); it never logs a name, a note, a query string or a token.

pub mod access;
pub mod declare;
mod error;
mod input;
mod middleware;
pub mod openapi;
mod pages;
pub mod password;
pub mod platform;
mod request_id;
mod routes;
mod session;

pub use error::ApiError;
pub use routes::{JSON_LIMIT, UPLOAD_LIMIT};

use access::{Need, Surface};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::Next;
use axum::routing::MethodRouter;
use carnet_core::model::OrganisationId;
use carnet_core::rights::Matrix;
use carnet_store::Db;
use jiff::Timestamp;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use tokio::net::TcpListener;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// The clock, read once per request; tests pass a fixed one.
    pub clock: fn() -> Timestamp,
    /// Mark the session cookie `Secure` (served over TLS, directly or
    /// behind a proxy).
    pub secure_cookies: bool,
    /// The organisation's PKCS#12 and its password, to sign proofs from the
    /// dashboard; `None`: the proof button explains how to configure it.
    pub signing: Option<Arc<Signing>>,
    /// The collection platform's trust anchors (CA certificates): a proof
    /// attached on the platform is valid only when its signature chains to
    /// one of them. Empty: every Carnet proof goes to manual review.
    pub platform_trust: Arc<[carnet_reports::Certificate]>,
    /// Rights matrices by organisation, read once and replaced when an
    /// administrator saves one (this process is the only writer).
    matrices: Arc<RwLock<HashMap<OrganisationId, Arc<Matrix>>>>,
}

/// Where the proof-signing certificate is.
#[derive(Debug, Clone)]
pub struct Signing {
    pub p12: PathBuf,
    pub password: String,
}

impl AppState {
    /// State with the system clock.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            clock: system_clock,
            secure_cookies: false,
            signing: None,
            platform_trust: Arc::from(Vec::new()),
            matrices: Arc::default(),
        }
    }

    /// The same state with another clock (tests).
    pub fn with_clock(mut self, clock: fn() -> Timestamp) -> Self {
        self.clock = clock;
        self
    }

    /// The organisation's rights matrix.
    pub async fn matrix(&self, organisation: OrganisationId) -> Result<Arc<Matrix>, ApiError> {
        if let Some(m) = self
            .matrices
            .read()
            .ok()
            .and_then(|m| m.get(&organisation).cloned())
        {
            return Ok(m);
        }
        let matrix = Arc::new(self.db.rights(organisation).await?);
        if let Ok(mut cache) = self.matrices.write() {
            cache.insert(organisation, matrix.clone());
        }
        Ok(matrix)
    }

    /// Forgets a cached matrix after it changed.
    pub fn matrix_changed(&self, organisation: OrganisationId) {
        if let Ok(mut cache) = self.matrices.write() {
            cache.remove(&organisation);
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

/// One route of the API or of the pages, as the route × role test sees it.
#[derive(Debug, Clone, Copy)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub need: Need,
    pub surface: Surface,
}

/// Every route of the API and of the pages, as the router serves them.
pub fn route_infos() -> Vec<RouteInfo> {
    let api = routes::table().into_iter().map(|r| RouteInfo {
        method: r.method.as_str(),
        path: r.path,
        need: r.need,
        surface: Surface::Api,
    });
    let pages = pages::table().into_iter().map(|r| RouteInfo {
        method: r.method.as_str(),
        path: r.path,
        need: r.need,
        surface: Surface::Pages,
    });
    api.chain(pages).collect()
}

/// `(method, path)` of every API route.
pub fn routes() -> Vec<(&'static str, &'static str)> {
    routes::table()
        .iter()
        .map(|r| (r.method.as_str(), r.path))
        .collect()
}

/// Puts the access check of [`access::enforce`] in front of a handler.
fn guarded(
    handler: MethodRouter<AppState>,
    state: &AppState,
    need: Need,
    surface: Surface,
) -> MethodRouter<AppState> {
    handler.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        move |State(state): State<AppState>, request: Request, next: Next| {
            access::enforce(state, need, surface, request, next)
        },
    ))
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for route in routes::table() {
        router = router.route(
            route.path,
            guarded(route.handler, &state, route.need, Surface::Api),
        );
    }
    for route in pages::table() {
        router = router.route(
            route.path,
            guarded(route.handler, &state, route.need, Surface::Pages),
        );
    }
    router
        .fallback(pages::fallback)
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
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
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
