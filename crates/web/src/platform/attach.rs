//! A porteur attaches a proof PDF (issue 5 §5): on the version page of one
//! of its declarations (for an establishment of the project, the version's
//! period) and through `POST /api/v1/collecte/preuves`. [`receive`] is the
//! path both share: the project must be the caller's (404 otherwise, as an
//! unknown one) and the FINESS one of its establishments; the file is then
//! checked and stored by `carnet_collect::proofs::attach`, against the
//! platform's trust anchors (`AppState::platform_trust`), and the attempt is
//! audited either way.

use super::access::PlatformPrincipal;
use super::declarations::{self, VersionQuery};
use super::upload::RETENTION_YEARS;
use crate::AppState;
use crate::error::ApiError;
use crate::pages::{PageError, PageResult, see_other};
use crate::session;
use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use carnet_collect::Period;
use carnet_collect::proofs::{self, MAX_PROOF_BYTES, Proof, ProofError, ProofState};
use carnet_core::Finess;
use carnet_store::{AuditAction, Outcome};
use jiff::civil::Date;
use serde::Serialize;

pub const PROOFS: &str = "/api/v1/collecte/preuves";

/// Largest body of a proof upload: the proof's own limit, plus room for the
/// multipart envelope and its other fields.
pub const PROOF_BODY_LIMIT: usize = MAX_PROOF_BYTES + 64 * 1024;

/// A proof as sent, before any check.
pub(super) struct Sent<'a> {
    pub galis: &'a str,
    pub finess: &'a str,
    pub period: Period,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
}

/// Checks the target, then attaches, assesses and stores the proof.
pub(super) async fn receive(
    state: &AppState,
    who: &PlatformPrincipal,
    sent: &Sent<'_>,
) -> Result<ProofState, ApiError> {
    let galis = sent.galis.trim();
    if galis.is_empty() {
        return Err(ApiError::bad_field(
            "galis",
            "obligatoire : la Référence GALIS du projet",
        ));
    }
    let Some(project) = who.project(state, galis).await? else {
        return Err(ApiError::bad_field(
            "galis",
            format!(
                "le projet {galis} n'est pas au registre des projets : une preuve se joint à un \
                 projet inscrit (demandez à votre ARS de l'y inscrire)"
            ),
        ));
    };
    let finess = Finess::parse(sent.finess.trim())
        .map_err(|e| ApiError::bad_field("finess", e.to_string()))?;
    if !project.establishments.contains(&finess) {
        return Err(ApiError::bad_field(
            "finess",
            format!("l'ESSMS {finess} n'est pas un établissement du projet {galis} au registre"),
        ));
    }
    let attachment = proofs::Attachment {
        galis,
        finess: &finess,
        period: sent.period,
        file_name: sent.file_name,
        bytes: sent.bytes,
        by: &who.principal.user.login,
        at: who.principal.ctx.now,
    };
    match proofs::attach(
        &state.db,
        &attachment,
        &state.platform_trust,
        RETENTION_YEARS,
    )
    .await
    {
        Ok(stored) => {
            let resource = format!("collecte/preuve/{}", stored.proof.id);
            who.audit(state, AuditAction::Import, &resource, Outcome::Ok)
                .await?;
            Ok(stored)
        }
        Err(ProofError::Archive(e)) => Err(e.into()),
        Err(e) => {
            let resource = format!("collecte/projet/{galis}/preuve");
            who.audit(state, AuditAction::Import, &resource, Outcome::Refused)
                .await?;
            let code = match e {
                ProofError::TooLarge { .. } => return Err(ApiError::PayloadTooLarge),
                ProofError::NotPdf { .. } | ProofError::Empty(_) => "preuve_refusee",
                _ => "invalid_field",
            };
            Err(ApiError::bad_request(code, format!("preuve refusée : {e}")))
        }
    }
}

/// The fields of a multipart proof form; `fichier` is the PDF.
#[derive(Default)]
struct ProofForm {
    fields: Vec<(String, String)>,
    file: Option<(String, Vec<u8>)>,
}

impl ProofForm {
    fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    async fn read(mut multipart: Multipart) -> Result<Self, ApiError> {
        let mut form = ProofForm::default();
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => return Ok(form),
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(ApiError::PayloadTooLarge);
                }
                Err(_) => {
                    return Err(ApiError::bad_request(
                        "invalid_multipart",
                        "formulaire multipart illisible ou interrompu : renvoyez la preuve",
                    ));
                }
            };
            let name = field.name().unwrap_or_default().to_owned();
            if name == "fichier" {
                let file_name = field.file_name().unwrap_or("preuve.pdf").to_owned();
                let bytes = field.bytes().await.map_err(|_| ApiError::PayloadTooLarge)?;
                form.file = Some((file_name, bytes.to_vec()));
            } else {
                let value = field.text().await.map_err(|_| {
                    ApiError::bad_request(
                        "invalid_multipart",
                        format!("champ « {name} » illisible dans le formulaire"),
                    )
                })?;
                form.fields.push((name, value));
            }
        }
    }

    /// The PDF, or a French error when none was chosen.
    fn pdf(&self) -> Result<(&str, &[u8]), ApiError> {
        match &self.file {
            Some((name, bytes)) if !bytes.is_empty() => Ok((name.as_str(), bytes.as_slice())),
            _ => Err(ApiError::bad_request(
                "fichier_absent",
                "aucun fichier : choisissez le PDF de la preuve (partie « fichier »)",
            )),
        }
    }
}

/// `POST /plateforme/versions/{id}/preuves`: the form of the version page,
/// for the version's period. The result is shown on the version page
/// (`?preuve=N`); a refused file shows the page again with the reason.
pub async fn from_page(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let version = declarations::visible_version(&state, &who, &id).await?;
    let read = match multipart {
        Ok(multipart) => ProofForm::read(multipart).await,
        Err(_) => Err(ApiError::bad_request(
            "invalid_multipart",
            "formulaire illisible : choisissez l'ESSMS et le fichier, puis renvoyez-le",
        )),
    };
    let outcome = match read {
        Ok(form) => {
            let expected = who.principal.csrf.clone().unwrap_or_default();
            if !session::csrf_matches(&expected, form.field("_csrf")) {
                return Err(PageError(ApiError::Forbidden(
                    "formulaire expiré : rechargez la page et recommencez".into(),
                )));
            }
            match form.pdf() {
                Ok((file_name, bytes)) => {
                    let sent = Sent {
                        galis: &version.galis,
                        finess: form.field("finess"),
                        period: version.period,
                        file_name,
                        bytes,
                    };
                    receive(&state, &who, &sent).await
                }
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    let (status, message) = match outcome {
        Ok(stored) => {
            return Ok(see_other(&format!(
                "/plateforme/versions/{}?preuve={}#preuves",
                version.id, stored.proof.id
            )));
        }
        Err(ApiError::PayloadTooLarge) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "Preuve refusée : un fichier de preuve ne peut dépasser {} Mo. Rien n'a été \
                 enregistré.",
                MAX_PROOF_BYTES / (1024 * 1024)
            ),
        ),
        Err(ApiError::BadRequest { message, .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{} Rien n'a été enregistré.", capitalised(&message)),
        ),
        Err(e) => return Err(e.into()),
    };
    let mut response = declarations::version_response(
        &state,
        &who,
        version,
        VersionQuery::default(),
        Some(message),
    )
    .await?;
    *response.status_mut() = status;
    Ok(response)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => {
            let mut out: String = first.to_uppercase().collect();
            out.push_str(chars.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

/// What the API answers for a stored proof.
#[derive(Debug, Serialize)]
pub struct ProofReply {
    pub message: String,
    /// `valide`, `invalide` or `a-verifier-manuellement`.
    pub outcome: &'static str,
    /// Why invalid or why to check by hand, in French; empty when valid.
    pub reasons: Vec<String>,
    /// Other figures that differ from the declaration.
    pub remarks: Vec<String>,
    pub proof: Proof,
}

fn date_field(form: &ProofForm, name: &str) -> Result<Date, ApiError> {
    let raw = form.field(name).trim();
    if raw.is_empty() {
        return Err(ApiError::bad_field(name, "obligatoire (AAAA-MM-JJ)"));
    }
    raw.parse::<Date>().map_err(|_| {
        ApiError::bad_field(
            name,
            format!("« {raw} » n'est pas une date réelle au format AAAA-MM-JJ"),
        )
    })
}

/// `POST /api/v1/collecte/preuves`: a multipart form with `galis`,
/// `finess`, `debut`, `fin` (the period, AAAA-MM-JJ) and `fichier` (the PDF).
pub async fn from_api(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    request: Request,
) -> Result<Response, ApiError> {
    let multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|_| {
            ApiError::bad_request(
                "invalid_multipart",
                "corps attendu : formulaire multipart/form-data avec galis, finess, debut, fin et \
             fichier",
            )
        })?;
    let form = ProofForm::read(multipart).await?;
    let period = Period {
        start: date_field(&form, "debut")?,
        end: date_field(&form, "fin")?,
    };
    let (file_name, bytes) = form.pdf()?;
    let sent = Sent {
        galis: form.field("galis"),
        finess: form.field("finess"),
        period,
        file_name,
        bytes,
    };
    let stored = receive(&state, &who, &sent).await?;
    let check = stored.latest_check();
    let outcome = stored.status();
    let reply = ProofReply {
        message: format!(
            "preuve n° {} jointe au projet {} pour l'ESSMS {} : {}",
            stored.proof.id,
            stored.proof.galis,
            stored.proof.finess,
            outcome.label()
        ),
        outcome: check.map_or(proofs::Outcome::ManualReview.code(), |c| c.outcome.code()),
        reasons: check.map(|c| c.reasons.clone()).unwrap_or_default(),
        remarks: check.map(|c| c.remarks.clone()).unwrap_or_default(),
        proof: stored.proof,
    };
    Ok((StatusCode::CREATED, Json(reply)).into_response())
}
