//! A porteur sends a workbook: the upload page, and [`receive`], the one path
//! that the page and the API share — read within the limits, check every
//! cell (`carnet_collect::ingest`), refuse a project that is not the
//! porteur's, store an accepted file as the next declaration version, audit
//! the upload either way.

use super::access::PlatformPrincipal;
use super::chrome;
use crate::AppState;
use crate::error::ApiError;
use crate::pages::{Chrome, PageError, PageResult, render};
use crate::session;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use carnet_collect::accounts::{Account, Reach};
use carnet_collect::ingest::{self, FileOutcome};
use carnet_collect::projects::{self, Project};
use carnet_collect::versions::{self, Submission};
use carnet_collect::{Declaration, Limits, Severity};
use carnet_store::{AuditAction, Outcome};

/// Ten years, for the EU audit (SPEC.md §4.3), as `carnet collect ingest`.
pub(super) const RETENTION_YEARS: i16 = 10;

/// Checks and, when it has no error and is the porteur's, stores a workbook.
pub(super) async fn receive(
    state: &AppState,
    who: &PlatformPrincipal,
    file_name: &str,
    bytes: &[u8],
) -> Result<FileOutcome, ApiError> {
    let registry = projects::registry(&state.db).await?;
    let known = projects::list(&state.db).await?;
    let submission = Submission {
        file_name,
        bytes,
        sent_by: &who.principal.user.login,
        received_at: who.principal.ctx.now,
    };
    let outcome = ingest::ingest_authorised(
        Some(&state.db),
        &submission,
        Some(&registry),
        &Limits::default(),
        RETENTION_YEARS,
        |declaration| authorise(&who.account, &known, declaration),
    )
    .await
    .map_err(|e| match e {
        // Two files for the same project and period at the same instant: on
        // PostgreSQL the unique key refuses the second; nothing of it is stored.
        versions::ArchiveError::Database(ref db)
            if db
                .as_database_error()
                .is_some_and(|d| d.is_unique_violation()) =>
        {
            ApiError::Conflict(
                "une autre version de la déclaration de ce projet et de cette période a été \
                 enregistrée au même instant : rien de ce fichier n'est enregistré, renvoyez-le"
                    .into(),
            )
        }
        e => e.into(),
    })?;
    let (resource, result) = match &outcome.version {
        Some(v) => (format!("collecte/version/{}", v.id), Outcome::Ok),
        None => (
            format!("collecte/depot/{}", versions::sha256_hex(bytes)),
            Outcome::Refused,
        ),
    };
    who.audit(state, AuditAction::Import, &resource, result)
        .await?;
    Ok(outcome)
}

/// A porteur declares only for the projects of the registry whose porteur
/// SIRET is its own.
fn authorise(account: &Account, known: &[Project], d: &Declaration) -> Result<(), String> {
    let Reach::Porteur(siret) = &account.reach else {
        return Err("seul un compte porteur dépose des déclarations".to_owned());
    };
    if d.siret != *siret {
        return Err(format!(
            "le SIRET du fichier ({}) n'est pas celui de votre compte ({siret})",
            d.siret
        ));
    }
    match known.iter().find(|p| p.galis == d.galis) {
        None => Err(format!(
            "le projet {} n'est pas au registre des projets : demandez à votre ARS de l'y inscrire",
            d.galis
        )),
        Some(p) if p.siret != *siret => Err(format!(
            "le projet {} n'est pas un projet de votre structure (SIRET {siret})",
            d.galis
        )),
        Some(_) => Ok(()),
    }
}

#[derive(Template)]
#[template(path = "plateforme/depot.html")]
struct UploadPage {
    chrome: Chrome,
    error: Option<String>,
    result: Option<ResultView>,
}

/// One finding as the report table shows it.
pub struct FindingLine {
    pub error: bool,
    pub severity: &'static str,
    pub sheet: String,
    pub cell: String,
    pub value: String,
    pub rule: &'static str,
    pub message: String,
}

pub fn finding_lines(report: Option<&carnet_collect::Report>) -> Vec<FindingLine> {
    report
        .map(|r| {
            r.findings
                .iter()
                .map(|f| FindingLine {
                    error: f.severity == Severity::Erreur,
                    severity: f.severity.label(),
                    sheet: f.sheet.clone(),
                    cell: f.cell.clone().unwrap_or_else(|| "–".to_owned()),
                    value: f.value.clone().unwrap_or_default(),
                    rule: f.rule.code(),
                    message: f.message.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What the page says of one upload.
struct ResultView {
    file_name: String,
    sha256: String,
    accepted: bool,
    refusal: Option<String>,
    errors: usize,
    warnings: usize,
    findings: Vec<FindingLine>,
    version_id: Option<i64>,
    stored: String,
}

fn page(who: &PlatformPrincipal, error: Option<String>, result: Option<ResultView>) -> UploadPage {
    UploadPage {
        chrome: chrome(who, "Déposer un fichier de recueil", "/plateforme/depot"),
        error,
        result,
    }
}

pub async fn form(who: PlatformPrincipal) -> PageResult {
    Ok(render(&page(&who, None, None)))
}

/// A page with a message and a status (the form is shown again).
fn refused(who: &PlatformPrincipal, status: StatusCode, message: &str) -> PageResult {
    let mut response = render(&page(who, Some(message.to_owned()), None));
    *response.status_mut() = status;
    Ok(response)
}

pub async fn submit(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let Ok(mut multipart) = multipart else {
        return refused(
            &who,
            StatusCode::BAD_REQUEST,
            "Formulaire de dépôt illisible : choisissez un fichier et renvoyez le formulaire.",
        );
    };
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                let too_large = e.status() == StatusCode::PAYLOAD_TOO_LARGE;
                return if too_large {
                    refused(
                        &who,
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "Fichier trop volumineux : un fichier de recueil ne peut dépasser 10 Mo. \
                         Rien n'a été enregistré.",
                    )
                } else {
                    refused(
                        &who,
                        StatusCode::BAD_REQUEST,
                        "Formulaire de dépôt illisible ou interrompu : renvoyez le fichier.",
                    )
                };
            }
        };
        match field.name().unwrap_or_default() {
            "_csrf" => csrf = field.text().await.unwrap_or_default(),
            "fichier" => {
                let name = field.file_name().unwrap_or("fichier.xlsx").to_owned();
                match field.bytes().await {
                    Ok(bytes) => file = Some((name, bytes.to_vec())),
                    Err(_) => {
                        return refused(
                            &who,
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "Fichier trop volumineux ou envoi interrompu : un fichier de recueil \
                             ne peut dépasser 10 Mo. Rien n'a été enregistré.",
                        );
                    }
                }
            }
            _ => {}
        }
    }
    let expected = who.principal.csrf.clone().unwrap_or_default();
    if !session::csrf_matches(&expected, &csrf) {
        return Err(PageError(ApiError::Forbidden(
            "formulaire expiré : rechargez la page et recommencez".into(),
        )));
    }
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return refused(
            &who,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Aucun fichier choisi : sélectionnez le fichier de recueil (.xlsx) à déposer.",
        );
    };
    let outcome = receive(&state, &who, &file_name, &bytes).await?;
    let status = if outcome.accepted {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (errors, warnings) = outcome
        .report
        .as_ref()
        .map_or((0, 0), |r| (r.errors().count(), r.warnings().count()));
    let stored = outcome
        .text
        .lines()
        .find(|l| l.starts_with("Enregistré"))
        .unwrap_or_default()
        .to_owned();
    let view = ResultView {
        file_name,
        sha256: versions::sha256_hex(&bytes),
        accepted: outcome.accepted,
        refusal: outcome.refusal.clone(),
        errors,
        warnings,
        findings: finding_lines(outcome.report.as_ref()),
        version_id: outcome.version.as_ref().map(|v| v.id),
        stored,
    };
    let mut response = render(&page(&who, None, Some(view))).into_response();
    *response.status_mut() = status;
    Ok(response)
}
