//! `POST /api/v1/collecte/declarations`: a porteur's software sends a
//! workbook (the .xlsx bytes as the body, or a multipart form whose part
//! `fichier` is the file) and gets the validation report as JSON. The same
//! path as the upload page ([`super::upload::receive`]).

use super::access::PlatformPrincipal;
use super::upload::receive;
use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use carnet_collect::Finding;
use carnet_collect::versions::{self, Version};
use serde::{Deserialize, Serialize};

pub const DECLARATIONS: &str = "/api/v1/collecte/declarations";

/// The answer, accepted or not.
#[derive(Debug, Serialize)]
pub struct DeclarationReply {
    /// Present when the file is refused: `fichier_refuse` (errors in the
    /// report), `fichier_illisible` (not an .xlsx, damaged, beyond a limit),
    /// `projet_hors_perimetre` (a project that is not the porteur's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// What happened, in French.
    pub message: String,
    pub accepted: bool,
    pub file_name: String,
    pub file_sha256: String,
    pub errors: usize,
    pub warnings: usize,
    /// Every finding: severity, rule, sheet, cell, value read, message.
    pub findings: Vec<Finding>,
    /// The declaration version created, when accepted.
    pub version: Option<Version>,
}

#[derive(Deserialize, Default)]
pub struct NameQuery {
    /// The file's name, as the porteur knows it (raw body only).
    #[serde(default)]
    nom: Option<String>,
}

/// The file of the request: the raw body, or the part `fichier` of a
/// multipart form.
async fn file_of(
    request: Request,
    state: &AppState,
) -> Result<(Option<String>, Vec<u8>), ApiError> {
    let multipart = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        return Ok((None, bytes.to_vec()));
    }
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|_| ApiError::bad_request("invalid_multipart", "corps multipart illisible"))?;
    loop {
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("fichier") => {
                let name = field.file_name().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|_| ApiError::PayloadTooLarge)?;
                return Ok((name, bytes.to_vec()));
            }
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(ApiError::bad_request(
                    "fichier_absent",
                    "partie « fichier » absente du formulaire multipart",
                ));
            }
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::PayloadTooLarge);
            }
            Err(_) => {
                return Err(ApiError::bad_request(
                    "invalid_multipart",
                    "corps multipart illisible ou interrompu",
                ));
            }
        }
    }
}

pub async fn declare(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    query: Result<Query<NameQuery>, QueryRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    let Ok(Query(query)) = query else {
        return Err(ApiError::bad_field("nom", "paramètre illisible"));
    };
    let (part_name, bytes) = file_of(request, &state).await?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "fichier_absent",
            "corps vide : envoyez les octets du fichier de recueil (.xlsx)",
        ));
    }
    let file_name = query
        .nom
        .or(part_name)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "fichier.xlsx".to_owned());
    let outcome = receive(&state, &who, &file_name, &bytes).await?;
    let (errors, warnings) = outcome
        .report
        .as_ref()
        .map_or((0, 0), |r| (r.errors().count(), r.warnings().count()));
    let (status, code, message) = match (&outcome.version, &outcome.report, &outcome.refusal) {
        (Some(v), _, _) => (
            StatusCode::CREATED,
            None,
            format!(
                "fichier accepté : version {} de la déclaration du projet {} pour la période du {} au {}",
                v.version,
                v.galis,
                crate::pages::day(v.period.start),
                crate::pages::day(v.period.end)
            ),
        ),
        (None, None, refusal) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("fichier_illisible"),
            format!(
                "fichier refusé : {}",
                refusal.as_deref().unwrap_or("illisible")
            ),
        ),
        (None, Some(_), Some(reason)) => (
            StatusCode::FORBIDDEN,
            Some("projet_hors_perimetre"),
            format!("fichier refusé : {reason} ; rien n'est enregistré"),
        ),
        (None, Some(_), None) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("fichier_refuse"),
            format!(
                "fichier refusé : {errors} erreur(s), {warnings} avertissement(s) ; rien de ce fichier n'est compté"
            ),
        ),
    };
    let reply = DeclarationReply {
        code,
        message,
        accepted: outcome.version.is_some(),
        file_sha256: versions::sha256_hex(&bytes),
        file_name,
        errors,
        warnings,
        findings: outcome.report.map(|r| r.findings).unwrap_or_default(),
        version: outcome.version,
    };
    Ok((status, Json(reply)).into_response())
}
