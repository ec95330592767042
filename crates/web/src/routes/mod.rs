//! The route table: one list from which both the router and the OpenAPI
//! document are built, so that they cannot disagree.

mod care_plans;
mod documents;
mod indicators;
mod persons;
mod records;

use crate::AppState;
use crate::access::{Need, Principal as Caller};
use crate::error::ApiResult;
use crate::input::NoQuery;
use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{MethodFilter, MethodRouter, on};
use carnet_core::model::{
    Appointment, DataCategory, Document, Establishment, Event, MssMessage, Stay,
};
use carnet_store::Page;
use serde::Serialize;

/// Largest JSON body.
pub const JSON_LIMIT: usize = 1024 * 1024;
/// Largest document upload (body of the multipart request).
pub const UPLOAD_LIMIT: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
}

impl Method {
    fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Put => MethodFilter::PUT,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

/// What an operation is, for its OpenAPI description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Paginated list; persons have their own filters.
    List {
        persons: bool,
    },
    Create,
    Read,
    Update,
    /// `POST /care-plans/{id}/status`.
    StatusChange,
    Upload,
    Download,
    /// The caller's establishments.
    Establishments,
    /// Usage indicators for a period; `explain` lists the records.
    Indicators {
        explain: bool,
    },
    /// This document; no authentication.
    OpenApi,
}

pub struct Route {
    pub method: Method,
    pub path: &'static str,
    /// Who may call it (rights matrix), checked by `access::enforce`.
    pub need: Need,
    /// OpenAPI tag and the component schema of the resource.
    pub tag: &'static str,
    pub schema: &'static str,
    pub summary: &'static str,
    pub kind: Kind,
    pub handler: MethodRouter<AppState>,
}

fn route(
    method: Method,
    path: &'static str,
    (tag, schema): (&'static str, &'static str),
    kind: Kind,
    summary: &'static str,
    handler: MethodRouter<AppState>,
) -> Route {
    Route {
        method,
        path,
        need: need(method, path),
        tag,
        schema,
        summary,
        kind,
        handler,
    }
}

/// The rights the API asks of a caller, by resource: the same categories as
/// the pages. Within a route, events and documents are also checked one by
/// one against their kind or type (`records::Guarded`).
fn need(method: Method, path: &str) -> Need {
    use DataCategory as C;
    const EVENTS: &[DataCategory] = &[
        C::Transmissions,
        C::Soins,
        C::Educatif,
        C::Social,
        C::ProjetPersonnalise,
    ];
    const DOCUMENTS: &[DataCategory] = &[
        C::DocumentsAdministratifs,
        C::DocumentsAccompagnement,
        C::DocumentsMedicaux,
    ];
    let resource = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap_or_default();
    let categories: &'static [DataCategory] = match resource {
        "openapi.json" => return Need::Public,
        "establishments" => return Need::SignedIn,
        "persons" | "stays" => &[C::Identite],
        "events" => EVENTS,
        "appointments" => &[C::Agenda],
        "mss-messages" => &[C::Messages],
        "care-plans" => &[C::ProjetPersonnalise],
        "documents" => DOCUMENTS,
        "indicators" => &[C::Indicateurs],
        // A new resource must be given its categories here before it is served.
        _ => return Need::Admin,
    };
    match method {
        Method::Get => Need::read(categories),
        Method::Post | Method::Put => Need::write(categories),
    }
}

macro_rules! handler {
    ($method:expr, $f:expr) => {
        on($method.filter(), $f)
    };
}

/// Every route of the API, under `/api/v1`.
pub fn table() -> Vec<Route> {
    use Kind::*;
    use Method::*;
    let mut routes = vec![
        route(
            Get,
            "/api/v1/openapi.json",
            ("documentation", ""),
            OpenApi,
            "Ce document OpenAPI",
            handler!(Get, openapi),
        ),
        route(
            Get,
            "/api/v1/establishments",
            ("établissements", "Establishment"),
            Establishments,
            "Établissements visibles par le jeton",
            handler!(Get, establishments),
        ),
        route(
            Get,
            "/api/v1/persons",
            ("personnes", "Person"),
            List { persons: true },
            "Lister et rechercher les personnes accompagnées",
            handler!(Get, persons::list),
        ),
        route(
            Post,
            "/api/v1/persons",
            ("personnes", "Person"),
            Create,
            "Créer une personne, avec son admission (obligatoire pour un utilisateur restreint à des établissements)",
            handler!(Post, persons::create),
        ),
        route(
            Get,
            "/api/v1/persons/{id}",
            ("personnes", "Person"),
            Read,
            "Lire une personne",
            handler!(Get, persons::read),
        ),
        route(
            Put,
            "/api/v1/persons/{id}",
            ("personnes", "Person"),
            Update,
            "Modifier une personne",
            handler!(Put, persons::update),
        ),
    ];
    routes.extend(attached::<Stay>(
        ("/api/v1/stays", "/api/v1/stays/{id}"),
        ("séjours", "Stay"),
    ));
    routes.extend(attached::<Event>(
        ("/api/v1/events", "/api/v1/events/{id}"),
        ("événements", "Event"),
    ));
    routes.extend(attached::<Appointment>(
        ("/api/v1/appointments", "/api/v1/appointments/{id}"),
        ("rendez-vous", "Appointment"),
    ));
    routes.extend(attached::<MssMessage>(
        ("/api/v1/mss-messages", "/api/v1/mss-messages/{id}"),
        ("messages MSSanté", "MssMessage"),
    ));
    let plans = ("projets personnalisés", "CarePlan");
    routes.extend([
        route(
            Get,
            "/api/v1/care-plans",
            plans,
            List { persons: false },
            "Lister les projets personnalisés",
            handler!(Get, care_plans::list),
        ),
        route(
            Post,
            "/api/v1/care-plans",
            plans,
            Create,
            "Créer un projet personnalisé (avec son premier statut daté)",
            handler!(Post, care_plans::create),
        ),
        route(
            Get,
            "/api/v1/care-plans/{id}",
            plans,
            Read,
            "Lire un projet personnalisé",
            handler!(Get, care_plans::read),
        ),
        route(
            Put,
            "/api/v1/care-plans/{id}",
            plans,
            Update,
            "Modifier un projet personnalisé (l'historique des statuts est conservé)",
            handler!(Put, care_plans::update),
        ),
        route(
            Post,
            "/api/v1/care-plans/{id}/status",
            plans,
            StatusChange,
            "Ajouter un changement de statut daté",
            handler!(Post, care_plans::change_status),
        ),
    ]);
    let documents = ("documents", "Document");
    routes.extend([
        route(
            Get,
            "/api/v1/documents",
            documents,
            List { persons: false },
            "Lister les documents",
            handler!(Get, records::list::<Document>),
        ),
        route(
            Post,
            "/api/v1/documents",
            documents,
            Upload,
            "Déposer un document (multipart : « metadata » en JSON, « content » le fichier)",
            handler!(Post, documents::create).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        ),
        route(
            Get,
            "/api/v1/documents/{id}",
            documents,
            Read,
            "Lire les métadonnées d'un document",
            handler!(Get, records::read::<Document>),
        ),
        route(
            Put,
            "/api/v1/documents/{id}",
            documents,
            Update,
            "Modifier les métadonnées d'un document (le contenu ne change pas)",
            handler!(Put, documents::update),
        ),
        route(
            Get,
            "/api/v1/documents/{id}/content",
            documents,
            Download,
            "Télécharger le contenu d'un document",
            handler!(Get, documents::content),
        ),
    ]);
    let indicators = ("indicateurs", "IndicatorReport");
    routes.extend([
        route(
            Get,
            "/api/v1/indicators",
            indicators,
            Indicators { explain: false },
            "Indicateurs d'usage ESMS numérique des établissements pour une période",
            handler!(Get, indicators::figures),
        ),
        route(
            Get,
            "/api/v1/indicators/explain",
            ("indicateurs", "Explained"),
            Indicators { explain: true },
            "Explication dossier par dossier : compté ou non dans chaque indicateur, et pourquoi (lecture tracée)",
            handler!(Get, indicators::explain),
        ),
    ]);
    routes
}

/// The four routes of a record attached to a person.
fn attached<R>(
    (base, item): (&'static str, &'static str),
    doc: (&'static str, &'static str),
) -> [Route; 4]
where
    R: carnet_store::Attached
        + records::Guarded
        + Sync
        + Serialize
        + serde::de::DeserializeOwned
        + 'static,
{
    [
        route(
            Method::Get,
            base,
            doc,
            Kind::List { persons: false },
            "Lister",
            handler!(Method::Get, records::list::<R>),
        ),
        route(
            Method::Post,
            base,
            doc,
            Kind::Create,
            "Créer",
            handler!(Method::Post, records::create::<R>),
        ),
        route(
            Method::Get,
            item,
            doc,
            Kind::Read,
            "Lire",
            handler!(Method::Get, records::read::<R>),
        ),
        route(
            Method::Put,
            item,
            doc,
            Kind::Update,
            "Modifier",
            handler!(Method::Put, records::update::<R>),
        ),
    ]
}

/// A page of a list; `next_after` is the `after` of the next page, absent on
/// the last one.
#[derive(Serialize)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub next_after: Option<i64>,
}

impl<T> Listing<T> {
    pub fn new(items: Vec<T>, page: Page, id: impl Fn(&T) -> i64) -> Self {
        let full = i64::try_from(items.len()).is_ok_and(|n| n >= page.limit);
        let next_after = if full { items.last().map(id) } else { None };
        Listing { items, next_after }
    }
}

pub fn created<T>(value: T) -> (StatusCode, Json<T>) {
    (StatusCode::CREATED, Json(value))
}

#[tracing::instrument(skip_all)]
async fn establishments(
    State(state): State<AppState>,
    caller: Caller,
    _: NoQuery,
) -> ApiResult<Json<Listing<Establishment>>> {
    let items = state.db.establishments(&caller.scope).await?;
    Ok(Json(Listing {
        items,
        next_after: None,
    }))
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi::document())
}
