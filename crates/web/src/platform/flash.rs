//! The monthly flash report of a region (`carnet_collect::flash`) as a page:
//! `GET /plateforme/flash?region=CODE&mois=AAAA-MM`, the printable HTML of
//! `flash::html::to_html`, or with `&format=pdf` the PDF as an attachment.
//! An ARS agent reads its own region only (another region: 403, audited, as
//! the regional dashboards); CNSA agents and auditeurs read every region.

use super::access::PlatformPrincipal;
use crate::AppState;
use crate::error::ApiError;
use crate::pages::PageResult;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::IntoResponse;
use base64::Engine as _;
use carnet_collect::aggregate::{Month, Options};
use carnet_collect::{flash, regions};
use carnet_store::{AuditAction, Outcome};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The page's address, for links.
pub const PATH: &str = "/plateforme/flash";

#[derive(Debug, Default, Deserialize)]
pub struct FlashQuery {
    #[serde(default)]
    region: String,
    #[serde(default)]
    mois: String,
    #[serde(default)]
    format: String,
}

/// The address of the flash report of a region and a month.
pub fn link(region: &str, month: Month) -> String {
    format!("{PATH}?region={region}&mois={month}")
}

/// The policy of the flash page: the pages' policy, with the page's own
/// inline style sheet allowed by its hash (the page is self-contained, for
/// printing and saving).
fn policy(html: &str) -> Option<HeaderValue> {
    let start = html.find("<style>")? + "<style>".len();
    let end = start + html[start..].find("</style>")?;
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&html[start..end]));
    HeaderValue::from_str(&format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'self' data:; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ))
    .ok()
}

pub async fn show(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    query: Result<Query<FlashQuery>, QueryRejection>,
) -> PageResult {
    let Ok(Query(query)) = query else {
        return Err(ApiError::bad_request(
            "invalid_query",
            "paramètres region, mois ou format illisibles",
        )
        .into());
    };
    let code = query.region.trim();
    if code.is_empty() {
        return Err(ApiError::bad_field(
            "region",
            "indiquez le code INSEE de la région, par exemple 75 pour la Nouvelle-Aquitaine",
        )
        .into());
    }
    let Some(region) = regions::by_code(code) else {
        return Err(ApiError::bad_field(
            "region",
            format!(
                "région « {code} » inconnue : attendu le code INSEE d'une région dotée d'une ARS, \
                 par exemple 75 pour la Nouvelle-Aquitaine"
            ),
        )
        .into());
    };
    if query.mois.trim().is_empty() {
        return Err(ApiError::bad_field(
            "mois",
            "indiquez le mois du flash, au format AAAA-MM, par exemple 2024-05",
        )
        .into());
    }
    let month = Month::parse(&query.mois).map_err(|e| ApiError::bad_field("mois", e))?;
    let pdf = match query.format.trim() {
        "" | "html" => false,
        "pdf" => true,
        other => {
            return Err(ApiError::bad_field(
                "format",
                format!("format « {other} » inconnu : attendu html ou pdf"),
            )
            .into());
        }
    };
    let resource = format!("collecte/flash/{}/{month}", region.code);
    if !who.account.sees_region(region.code) {
        who.audit(&state, AuditAction::Read, &resource, Outcome::Refused)
            .await?;
        return Err(ApiError::Forbidden(format!(
            "accès refusé : votre périmètre est {} ; le flash de la région {} ne vous est pas ouvert",
            who.account.scope_label(),
            region.name
        ))
        .into());
    }
    let report = flash::flash(
        &state.db,
        region,
        month,
        &Options::default(),
        who.principal.ctx.now,
    )
    .await?;
    if pdf {
        let bytes =
            flash::pdf(&report).map_err(|e| ApiError::Internal(format!("flash en PDF : {e}")))?;
        who.audit(
            &state,
            AuditAction::Export,
            &format!("{resource}.pdf"),
            Outcome::Ok,
        )
        .await?;
        let mut response = bytes.into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
        if let Ok(value) = HeaderValue::from_str(&format!(
            "attachment; filename=\"flash-{}-{month}.pdf\"",
            region.code
        )) {
            headers.insert(CONTENT_DISPOSITION, value);
        }
        return Ok(response);
    }
    who.audit(&state, AuditAction::Read, &resource, Outcome::Ok)
        .await?;
    let html = flash::html::to_html(&report);
    let csp = policy(&html);
    let mut response = html.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Some(csp) = csp {
        headers.insert(CONTENT_SECURITY_POLICY, csp);
    }
    Ok(response)
}
