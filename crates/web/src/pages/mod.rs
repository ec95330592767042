//! The French pages for professionals and directors: server-rendered HTML
//! (askama templates in `crates/web/templates`), one style sheet, no script —
//! every flow works with plain links and forms. Like the API, each route
//! declares its [`Need`]; `access::enforce` checks it before the handler runs.

mod admin;
mod agenda;
mod dashboard;
mod persons;
mod record;
pub(crate) mod sign_in;

use crate::AppState;
use crate::access::{Need, Principal};
use crate::error::ApiError;
use crate::routes::Method;
use crate::session;
use askama::Template;
use axum::extract::{FromRequest, Request};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use carnet_core::model::{DataCategory as C, Role};
use carnet_core::rights::Mode;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::de::DeserializeOwned;

pub struct PageRoute {
    pub method: Method,
    pub path: &'static str,
    pub need: Need,
    pub handler: MethodRouter<AppState>,
}

const DOCUMENTS: &[C] = &[
    C::DocumentsAdministratifs,
    C::DocumentsAccompagnement,
    C::DocumentsMedicaux,
];

/// Every page, with what it needs.
pub fn table() -> Vec<PageRoute> {
    use Method::{Get, Post};
    let r = |method, path, need, handler| PageRoute {
        method,
        path,
        need,
        handler,
    };
    vec![
        r(Get, "/static/carnet.css", Need::Public, get(style_sheet)),
        r(Get, "/connexion", Need::Public, get(sign_in::form)),
        r(Post, "/connexion", Need::Public, post(sign_in::submit)),
        r(
            Post,
            "/deconnexion",
            Need::SignedIn,
            post(sign_in::sign_out),
        ),
        r(
            Post,
            "/deconnexion-partout",
            Need::SignedIn,
            post(sign_in::sign_out_everywhere),
        ),
        r(Get, "/", Need::SignedIn, get(home)),
        r(
            Get,
            "/personnes",
            Need::read(&[C::Identite]),
            get(persons::search),
        ),
        r(
            Get,
            "/personnes/{id}",
            Need::read(&[C::Identite]),
            get(record::show),
        ),
        r(
            Post,
            "/personnes/{id}/transmissions",
            Need::write(&[C::Transmissions]),
            post(record::add_transmission),
        ),
        r(
            Post,
            "/personnes/{id}/evaluations",
            Need::write(&[C::ProjetPersonnalise]),
            post(record::add_evaluation),
        ),
        r(
            Post,
            "/personnes/{id}/rendez-vous",
            Need::write(&[C::Agenda]),
            post(record::add_appointment),
        ),
        r(
            Post,
            "/personnes/{id}/documents",
            Need::write(DOCUMENTS),
            post(record::upload_document)
                .layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        ),
        r(
            Get,
            "/personnes/{id}/acces",
            Need::read(&[C::JournalAcces]),
            get(record::access_log),
        ),
        r(
            Get,
            "/documents/{id}",
            Need::read(DOCUMENTS),
            get(record::download),
        ),
        r(
            Post,
            "/documents/{id}/opposition",
            Need::write(DOCUMENTS),
            post(record::set_objection),
        ),
        r(
            Post,
            "/projets/{id}/statut",
            Need::write(&[C::ProjetPersonnalise]),
            post(record::change_plan_status),
        ),
        r(Get, "/agenda", Need::read(&[C::Agenda]), get(agenda::show)),
        r(
            Get,
            "/tableau-de-bord",
            Need::read(&[C::Indicateurs]),
            get(dashboard::show),
        ),
        r(
            Get,
            "/tableau-de-bord/graphique.svg",
            Need::read(&[C::Indicateurs]),
            get(dashboard::chart),
        ),
        r(
            Post,
            "/tableau-de-bord/preuve",
            Need::write(&[C::Declarations]),
            post(dashboard::proof),
        ),
        r(
            Post,
            "/tableau-de-bord/classeur",
            Need::write(&[C::Declarations]),
            post(dashboard::workbook),
        ),
        r(Get, "/administration", Need::Admin, get(admin::show)),
        r(
            Post,
            "/administration/comptes",
            Need::Admin,
            post(admin::create_account),
        ),
        r(
            Post,
            "/administration/comptes/{id}/etat",
            Need::Admin,
            post(admin::set_account_state),
        ),
        r(
            Post,
            "/administration/habilitations",
            Need::Admin,
            post(admin::save_rights),
        ),
        r(
            Post,
            "/administration/regles",
            Need::Admin,
            post(admin::save_rules),
        ),
    ]
}

/// A link of the main navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every page's frame shows: title, navigation by rights, who is signed
/// in, the CSRF token of its forms, and a message after a redirect.
pub struct Chrome {
    pub title: String,
    pub nav: Vec<NavItem>,
    pub user_name: String,
    pub role: String,
    pub csrf: String,
    pub notice: Option<String>,
}

impl Chrome {
    pub fn new(principal: &Principal, title: impl Into<String>, section: &str) -> Self {
        let mut nav = Vec::new();
        let mut add = |href: &'static str, label: &'static str, allowed: bool| {
            if allowed {
                nav.push(NavItem {
                    href,
                    label,
                    current: href == section,
                });
            }
        };
        add(
            "/personnes",
            "Personnes",
            principal.may(C::Identite, Mode::Read),
        );
        add("/agenda", "Agenda", principal.may(C::Agenda, Mode::Read));
        add(
            "/tableau-de-bord",
            "Tableau de bord",
            principal.may(C::Indicateurs, Mode::Read),
        );
        add(
            "/administration",
            "Administration",
            principal.role() == Role::Administrateur,
        );
        Chrome {
            title: title.into(),
            nav,
            user_name: principal.user.display_name.clone(),
            role: principal.role().label().to_owned(),
            csrf: principal.csrf.clone().unwrap_or_default(),
            notice: None,
        }
    }

    pub fn with_notice(mut self, notice: Option<String>) -> Self {
        self.notice = notice;
        self
    }
}

/// Renders a template as a page, or a plain error page if it cannot be.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => error_response(ApiError::Internal(format!("gabarit : {e}"))),
    }
}

/// A redirect after a form (303: the browser follows with GET).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    heading: &'static str,
    message: String,
    request_id: Option<String>,
}

fn error_response(error: ApiError) -> Response {
    let (status, heading, message) = match error {
        ApiError::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            "Connexion requise",
            "Votre session a pris fin. Reconnectez-vous.".to_owned(),
        ),
        ApiError::NotFound | ApiError::NoRoute => (
            StatusCode::NOT_FOUND,
            "Page introuvable",
            "Cette page n'existe pas, ou vous n'y avez pas accès.".to_owned(),
        ),
        ApiError::Forbidden(message) => (StatusCode::FORBIDDEN, "Accès refusé", message),
        ApiError::MethodNotAllowed => (
            StatusCode::METHOD_NOT_ALLOWED,
            "Action impossible",
            "Cette adresse ne permet pas cette action.".to_owned(),
        ),
        ApiError::BadRequest { message, .. } => {
            (StatusCode::BAD_REQUEST, "Demande incorrecte", message)
        }
        ApiError::UnsupportedMediaType(expected) => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Demande incorrecte",
            format!("type de contenu attendu : {expected}"),
        ),
        ApiError::PayloadTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Fichier trop volumineux",
            "Le fichier dépasse la taille admise (32 Mo).".to_owned(),
        ),
        ApiError::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Saisie à corriger",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ; "),
        ),
        ApiError::Conflict(message) => (StatusCode::CONFLICT, "Enregistrement impossible", message),
        ApiError::Internal(detail) => {
            tracing::error!(error = %detail, "internal error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erreur du serveur",
                "Une erreur est survenue ; elle est journalisée sous l'identifiant ci-dessous. \
                 Rien n'a été perdu de ce qui était déjà enregistré."
                    .to_owned(),
            )
        }
    };
    let page = ErrorPage {
        status: status.as_u16(),
        heading,
        message,
        request_id: (status == StatusCode::INTERNAL_SERVER_ERROR)
            .then(crate::request_id::current)
            .flatten(),
    };
    let html = page.render().unwrap_or_else(|_| heading.to_owned());
    (status, Html(html)).into_response()
}

/// The page for an error of a page route.
pub fn error_page(error: ApiError, _parts: &Parts) -> Response {
    error_response(error)
}

/// Errors of page handlers render as pages.
pub struct PageError(pub ApiError);

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_response(self.0)
    }
}

pub type PageResult = Result<Response, PageError>;

/// Not signed in: back to the sign-in page, then to where the user was going.
pub fn sign_in_redirect(parts: &Parts) -> Response {
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", axum::http::uri::PathAndQuery::as_str);
    if parts.method == axum::http::Method::GET && path.starts_with('/') && !path.starts_with("//") {
        let query = serde_urlencoded::to_string([("suite", path)]).unwrap_or_default();
        see_other(&format!("/connexion?{query}"))
    } else {
        see_other("/connexion")
    }
}

/// Unknown addresses: JSON under `/api/`, a page elsewhere.
pub async fn fallback(request: Request) -> Response {
    if request.uri().path().starts_with("/api/") {
        ApiError::NoRoute.into_response()
    } else {
        error_response(ApiError::NoRoute)
    }
}

async fn home(principal: Principal) -> Response {
    let target = if principal.may(C::Identite, Mode::Read) {
        "/personnes"
    } else if principal.may(C::Indicateurs, Mode::Read) {
        "/tableau-de-bord"
    } else if principal.role() == Role::Administrateur {
        "/administration"
    } else {
        "/agenda"
    };
    see_other(target)
}

pub(crate) async fn style_sheet() -> Response {
    let mut response = include_str!("../../static/carnet.css").into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
    response
}

/// A form posted by one of our pages: its fields, once its CSRF token
/// (`_csrf`) matched the session's.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, PageError> {
        let expected = request
            .extensions()
            .get::<Principal>()
            .and_then(|p| p.csrf.clone())
            .unwrap_or_default();
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        let token: CsrfField = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| ApiError::bad_request("invalid_form", "formulaire illisible"))?;
        if !session::csrf_matches(&expected, &token.csrf) {
            return Err(PageError(ApiError::Forbidden(
                "formulaire expiré ou envoyé depuis une autre page : rechargez la page et recommencez"
                    .into(),
            )));
        }
        let value = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            ApiError::bad_request("invalid_form", format!("formulaire incomplet : {e}"))
        })?;
        Ok(CsrfForm(value))
    }
}

/// An instant as a French reader expects it, in a time zone.
pub fn when(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned_datetime(tz.clone())
        .strftime("%d/%m/%Y à %H:%M")
        .to_string()
}

/// A day as a French reader expects it.
pub fn day(date: jiff::civil::Date) -> String {
    date.strftime("%d/%m/%Y").to_string()
}

/// The time zone of metropolitan France, for pages that span establishments.
pub fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC)
}
