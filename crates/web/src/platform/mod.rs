//! The collection platform's web side (issue 5), served by `carnet platform serve`:
//! French server-rendered pages (same frame, style sheet and security as the
//! DUI pages, no script) and a JSON endpoint under `/api/v1/collecte`, for
//! porteurs, ARS agents, CNSA agents and auditeurs.
//!
//! The platform is a router of its own, not routes added to the DUI's: a
//! platform deployment serves no DUI page and the DUI serves no platform
//! page. Sign-in, sessions, CSRF, passwords and API tokens are the DUI's
//! (`pages::sign_in`, `session`, `password`); who may use a route is
//! [`access`]. Handlers parse, authorise, call `carnet_collect`, render.

pub mod access;
mod admin_accounts;
mod api;
mod attach;
mod dashboard;
mod declarations;
mod flash;
mod home;
mod openapi;
mod registry;
mod upload;

use crate::access::Surface;
use crate::routes::Method;
use crate::{AppState, JSON_LIMIT, error::ApiError, middleware, pages};
use access::{CHECKERS, EVERYONE, NATIONAL, PlatformNeed, SENDERS};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::Next;
use axum::routing::{MethodRouter, get, post};

pub use openapi::document as openapi_document;

/// Largest workbook accepted by the upload page and the API: the size limit
/// of `carnet_collect::Limits`, plus room for the multipart envelope.
pub const WORKBOOK_BODY_LIMIT: usize = 10 * 1024 * 1024 + 64 * 1024;

pub struct PlatformRoute {
    pub method: Method,
    pub path: &'static str,
    pub need: PlatformNeed,
    pub surface: Surface,
    pub handler: MethodRouter<AppState>,
}

/// Every route of the platform, with who may use it.
pub fn table() -> Vec<PlatformRoute> {
    use Method::{Get, Post};
    use PlatformNeed::{Public, Roles, SignedIn};
    let page = |method, path, need, handler| PlatformRoute {
        method,
        path,
        need,
        surface: Surface::Pages,
        handler,
    };
    let upload_limit = DefaultBodyLimit::max(WORKBOOK_BODY_LIMIT);
    vec![
        page(Get, "/static/carnet.css", Public, get(pages::style_sheet)),
        page(
            Get,
            "/connexion",
            Public,
            get(pages::sign_in::platform_form),
        ),
        page(
            Post,
            "/connexion",
            Public,
            post(pages::sign_in::platform_submit),
        ),
        page(
            Post,
            "/deconnexion",
            SignedIn,
            post(pages::sign_in::sign_out),
        ),
        page(
            Post,
            "/deconnexion-partout",
            SignedIn,
            post(pages::sign_in::sign_out_everywhere),
        ),
        page(Get, "/", Roles(EVERYONE), get(home::root)),
        page(Get, "/plateforme", Roles(EVERYONE), get(home::show)),
        page(Get, "/plateforme/depot", Roles(SENDERS), get(upload::form)),
        page(
            Post,
            "/plateforme/depot",
            Roles(SENDERS),
            post(upload::submit).layer(upload_limit),
        ),
        page(
            Get,
            "/plateforme/projets/{galis}",
            Roles(EVERYONE),
            get(declarations::project),
        ),
        page(
            Get,
            "/plateforme/versions/{id}",
            Roles(EVERYONE),
            get(declarations::version),
        ),
        page(
            Get,
            "/plateforme/versions/{id}/fichier",
            Roles(EVERYONE),
            get(declarations::file),
        ),
        page(
            Post,
            "/plateforme/versions/{id}/preuves",
            Roles(SENDERS),
            post(attach::from_page).layer(DefaultBodyLimit::max(attach::PROOF_BODY_LIMIT)),
        ),
        page(
            Get,
            "/plateforme/preuves/{id}/fichier",
            Roles(EVERYONE),
            get(declarations::proof_file),
        ),
        page(
            Post,
            "/plateforme/preuves/{id}/verification",
            Roles(declarations::REVIEWERS),
            post(declarations::review),
        ),
        page(Get, registry::PATH, Roles(EVERYONE), get(registry::show)),
        page(
            Post,
            "/plateforme/registre/import",
            Roles(registry::EDITORS),
            post(registry::import).layer(DefaultBodyLimit::max(registry::IMPORT_BODY_LIMIT)),
        ),
        page(
            Post,
            "/plateforme/registre/{galis}/jalon",
            Roles(registry::EDITORS),
            post(registry::milestone),
        ),
        page(
            Get,
            admin_accounts::PATH,
            Roles(admin_accounts::ADMINS),
            get(admin_accounts::show),
        ),
        page(
            Post,
            admin_accounts::PATH,
            Roles(admin_accounts::ADMINS),
            post(admin_accounts::create),
        ),
        page(Get, flash::PATH, Roles(CHECKERS), get(flash::show)),
        page(
            Get,
            "/plateforme/tableau-de-bord",
            Roles(CHECKERS),
            get(dashboard::mine),
        ),
        page(
            Get,
            "/plateforme/tableau-de-bord/national",
            Roles(NATIONAL),
            get(dashboard::nation),
        ),
        page(
            Get,
            "/plateforme/tableau-de-bord/national/{fichier}",
            Roles(NATIONAL),
            get(dashboard::nation_file),
        ),
        page(
            Get,
            "/plateforme/tableau-de-bord/regions/{code}",
            Roles(CHECKERS),
            get(dashboard::region),
        ),
        page(
            Get,
            "/plateforme/tableau-de-bord/regions/{code}/{fichier}",
            Roles(CHECKERS),
            get(dashboard::region_file),
        ),
        page(
            Get,
            "/plateforme/tableau-de-bord/projets/{galis}",
            Roles(EVERYONE),
            get(dashboard::project),
        ),
        page(
            Get,
            "/plateforme/tableau-de-bord/projets/{galis}/{fichier}",
            Roles(EVERYONE),
            get(dashboard::project_file),
        ),
        PlatformRoute {
            method: Post,
            path: api::DECLARATIONS,
            need: Roles(SENDERS),
            surface: Surface::Api,
            handler: post(api::declare).layer(DefaultBodyLimit::max(WORKBOOK_BODY_LIMIT)),
        },
        PlatformRoute {
            method: Post,
            path: attach::PROOFS,
            need: Roles(SENDERS),
            surface: Surface::Api,
            handler: post(attach::from_api).layer(DefaultBodyLimit::max(attach::PROOF_BODY_LIMIT)),
        },
        PlatformRoute {
            method: Get,
            path: openapi::PATH,
            need: Public,
            surface: Surface::Api,
            handler: get(openapi::serve),
        },
    ]
}

/// One platform route, as the route × role tests see it.
#[derive(Debug, Clone, Copy)]
pub struct PlatformRouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub need: PlatformNeed,
    pub surface: Surface,
}

/// Every platform route, as [`router`] serves them.
pub fn route_infos() -> Vec<PlatformRouteInfo> {
    table()
        .into_iter()
        .map(|r| PlatformRouteInfo {
            method: r.method.as_str(),
            path: r.path,
            need: r.need,
            surface: r.surface,
        })
        .collect()
}

fn guarded(
    handler: MethodRouter<AppState>,
    state: &AppState,
    need: PlatformNeed,
    surface: Surface,
) -> MethodRouter<AppState> {
    handler.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        move |State(state): State<AppState>, request: Request, next: Next| {
            access::enforce(state, need, surface, request, next)
        },
    ))
}

/// The whole platform application.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for route in table() {
        router = router.route(
            route.path,
            guarded(route.handler, &state, route.need, route.surface),
        );
    }
    router
        .fallback(pages::fallback)
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .layer(axum::middleware::from_fn(middleware::around))
        .with_state(state)
}

/// Serves the platform on a bound listener until `shutdown` completes.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// The frame of a platform page: its navigation by role.
pub(crate) fn chrome(
    who: &access::PlatformPrincipal,
    title: impl Into<String>,
    section: &str,
) -> pages::Chrome {
    use carnet_collect::accounts::PlatformRole;
    let mut nav = vec![("/plateforme", "Projets")];
    if who.role() == PlatformRole::Porteur {
        nav.push(("/plateforme/depot", "Déposer un fichier"));
    } else {
        nav.push(("/plateforme/tableau-de-bord", "Tableau de bord"));
    }
    nav.push((registry::PATH, "Registre"));
    if who.role() == PlatformRole::Cnsa {
        nav.push((admin_accounts::PATH, "Comptes"));
    }
    let nav = nav
        .into_iter()
        .map(|(href, label)| pages::NavItem {
            href,
            label,
            current: href == section,
        })
        .collect();
    pages::Chrome {
        title: title.into(),
        nav,
        user_name: who.principal.user.display_name.clone(),
        role: who.role().label().to_owned(),
        csrf: who.principal.csrf.clone().unwrap_or_default(),
        notice: None,
    }
}
