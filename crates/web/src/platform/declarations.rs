//! Declarations and their versions (issue 5 §4): per project, every period
//! and every version (who, when, SHA-256, report), the original file, and the
//! superseded versions, which stay reachable. A project or version outside
//! the caller's scope answers 404, as an unknown one (`PlatformPrincipal::project`).

use super::access::PlatformPrincipal;
use super::chrome;
use super::upload::{FindingLine, finding_lines};
use crate::AppState;
use crate::error::ApiError;
use crate::pages::{Chrome, CsrfForm, PageResult, day, paris, render, see_other, when};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use carnet_collect::accounts::PlatformRole;
use carnet_collect::proofs;
use carnet_collect::versions::{self, Version};
use carnet_collect::{DeclaredRow, Period};
use carnet_store::{AuditAction, Outcome};
use serde::Deserialize;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One version as the pages list it.
pub struct VersionLine {
    pub id: i64,
    pub version: i64,
    pub sent_by: String,
    pub received: String,
    pub file_name: String,
    pub sha256: String,
    pub in_force: bool,
}

/// One period of a project and its versions, the latest in force.
pub struct PeriodBlock {
    pub label: String,
    pub versions: Vec<VersionLine>,
}

#[derive(Template)]
#[template(path = "plateforme/projet.html")]
struct ProjectPage {
    chrome: Chrome,
    galis: String,
    label: String,
    siret: String,
    desk: String,
    registered: bool,
    establishments: usize,
    periods: Vec<PeriodBlock>,
}

fn period_label(p: Period) -> String {
    format!("du {} au {}", day(p.start), day(p.end))
}

fn line(v: &Version, in_force: bool) -> VersionLine {
    VersionLine {
        id: v.id,
        version: v.version,
        sent_by: v.sent_by.clone(),
        received: when(v.received_at, &paris()),
        file_name: v.file_name.clone(),
        sha256: v.file_sha256.clone(),
        in_force,
    }
}

pub async fn project(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    Path(galis): Path<String>,
) -> PageResult {
    let project = who.project(&state, &galis).await?;
    let all = versions::of_project(&state.db, &galis).await?;
    if project.is_none() && all.is_empty() {
        return Err(ApiError::NotFound.into());
    }
    let mut periods: Vec<PeriodBlock> = Vec::new();
    let mut current: Option<Period> = None;
    for (i, v) in all.iter().enumerate() {
        let last = all.get(i + 1).is_none_or(|next| next.period != v.period);
        if current != Some(v.period) {
            periods.push(PeriodBlock {
                label: period_label(v.period),
                versions: Vec::new(),
            });
            current = Some(v.period);
        }
        if let Some(block) = periods.last_mut() {
            block.versions.push(line(v, last));
        }
    }
    who.audit(
        &state,
        AuditAction::List,
        &format!("collecte/projet/{galis}"),
        Outcome::Ok,
    )
    .await?;
    let page = ProjectPage {
        chrome: chrome(&who, format!("Projet {galis}"), "/plateforme"),
        label: project
            .as_ref()
            .and_then(|p| p.label.clone())
            .unwrap_or_default(),
        siret: project
            .as_ref()
            .map(|p| p.siret.to_string())
            .or_else(|| all.first().map(|v| v.siret.clone()))
            .unwrap_or_default(),
        desk: project
            .as_ref()
            .map(|p| p.desk.label().to_owned())
            .unwrap_or_default(),
        registered: project.is_some(),
        establishments: project.as_ref().map_or(0, |p| p.establishments.len()),
        galis,
        periods,
    };
    Ok(render(&page))
}

/// A version the caller may see, or 404 (as for an id that is not a number).
pub(super) async fn visible_version(
    state: &AppState,
    who: &PlatformPrincipal,
    id: &str,
) -> Result<Version, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let version = versions::by_id(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    who.project(state, &version.galis).await?;
    Ok(version)
}

pub struct RowLine {
    pub row: u32,
    pub finess: String,
    pub name: String,
    pub actifs: u64,
    pub accompanied: u64,
    pub care_plan: String,
    pub appointment: String,
    pub dmp: String,
    pub mss: String,
}

fn optional(n: Option<u64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_else(|| "–".to_owned())
}

impl From<&DeclaredRow> for RowLine {
    fn from(r: &DeclaredRow) -> Self {
        RowLine {
            row: r.row,
            finess: r.finess.to_string(),
            name: r.name.clone().unwrap_or_default(),
            actifs: r.actifs,
            accompanied: r.accompanied,
            care_plan: optional(r.care_plan),
            appointment: optional(r.appointment),
            dmp: optional(r.dmp),
            mss: optional(r.mss),
        }
    }
}

#[derive(Template)]
#[template(path = "plateforme/version.html")]
struct VersionPage {
    chrome: Chrome,
    v: VersionLine,
    galis: String,
    period: String,
    retain_until: String,
    report_sha256: String,
    /// The version in force for the same project and period, when this one
    /// was superseded.
    superseded_by: Option<i64>,
    findings: Vec<FindingLine>,
    rows: Vec<RowLine>,
    /// The proofs of the project and the period.
    proofs: Vec<ProofLine>,
    /// An ARS or CNSA agent: the review form of the proofs to check by hand.
    can_review: bool,
    /// The porteur, on the version in force: the form to attach a proof,
    /// for one of these establishments.
    attach: Option<AttachForm>,
    /// The proof just attached (`?preuve=N`), with its check.
    attached: Option<AttachedView>,
}

/// The proof form of the version page.
pub struct AttachForm {
    pub establishments: Vec<EstablishmentOption>,
    /// Why the last file was refused.
    pub error: Option<String>,
}

pub struct EstablishmentOption {
    pub finess: String,
    pub name: String,
}

/// What the page says of a proof just attached.
pub struct AttachedView {
    pub id: i64,
    pub finess: String,
    pub file_name: String,
    pub valid: bool,
    pub status: String,
    pub reasons: Vec<String>,
    pub remarks: Vec<String>,
}

/// The query of the version page: `preuve`, the proof just attached.
#[derive(Debug, Default, Deserialize)]
pub struct VersionQuery {
    #[serde(default)]
    preuve: Option<String>,
}

/// One proof as the version page lists it.
pub struct ProofLine {
    pub id: i64,
    pub finess: String,
    pub file_name: String,
    pub attached_by: String,
    pub attached_at: String,
    /// « valide », « invalide », « à vérifier manuellement » or the review.
    pub status: String,
    /// To check by hand and not reviewed yet: the review form is offered.
    pub reviewable: bool,
}

pub async fn version(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    Path(id): Path<String>,
    query: Result<Query<VersionQuery>, QueryRejection>,
) -> PageResult {
    let version = visible_version(&state, &who, &id).await?;
    let query = query.map(|Query(q)| q).unwrap_or_default();
    Ok(version_response(&state, &who, version, query, None).await?)
}

/// The version page, with the proof just attached or why a file was refused.
pub(super) async fn version_response(
    state: &AppState,
    who: &PlatformPrincipal,
    version: Version,
    query: VersionQuery,
    attach_error: Option<String>,
) -> Result<Response, ApiError> {
    let id = version.id;
    let siblings = versions::versions(&state.db, &version.galis, version.period).await?;
    let latest = siblings.last().map_or(version.id, |v| v.id);
    let report = versions::report(&state.db, id).await?;
    let rows = versions::rows(&state.db, id).await?;
    let filter = proofs::Filter {
        galis: Some(&version.galis),
        finess: None,
        period: Some(version.period),
    };
    let tz = paris();
    let listed = proofs::list(&state.db, &filter).await?;
    let attached = query
        .preuve
        .and_then(|p| p.parse::<i64>().ok())
        .and_then(|p| listed.iter().find(|s| s.proof.id == p))
        .map(attached_view);
    let proofs = listed
        .iter()
        .map(|p| ProofLine {
            id: p.proof.id,
            finess: p.proof.finess.to_string(),
            file_name: p.proof.file_name.clone(),
            attached_by: p.proof.attached_by.clone(),
            attached_at: when(p.proof.attached_at, &tz),
            status: p.status().label(),
            reviewable: p.status() == proofs::Status::Checked(proofs::Outcome::ManualReview),
        })
        .collect();
    let attach =
        (who.role() == PlatformRole::Porteur && latest == version.id).then(|| AttachForm {
            establishments: rows
                .iter()
                .map(|r| EstablishmentOption {
                    finess: r.finess.to_string(),
                    name: r.name.clone().unwrap_or_default(),
                })
                .collect(),
            error: attach_error,
        });
    who.audit(
        state,
        AuditAction::Read,
        &format!("collecte/version/{id}"),
        Outcome::Ok,
    )
    .await?;
    let page = VersionPage {
        chrome: chrome(
            who,
            format!("Projet {} — version {}", version.galis, version.version),
            "/plateforme",
        ),
        v: line(&version, latest == version.id),
        galis: version.galis.clone(),
        period: period_label(version.period),
        retain_until: day(version.retain_until),
        report_sha256: version.report_sha256.clone(),
        superseded_by: (latest != version.id).then_some(latest),
        findings: finding_lines(report.as_ref()),
        rows: rows.iter().map(RowLine::from).collect(),
        proofs,
        can_review: REVIEWERS.contains(&who.role()),
        attach,
        attached,
    };
    Ok(render(&page).into_response())
}

fn attached_view(state: &proofs::ProofState) -> AttachedView {
    let check = state.latest_check();
    AttachedView {
        id: state.proof.id,
        finess: state.proof.finess.to_string(),
        file_name: state.proof.file_name.clone(),
        valid: state.status() == proofs::Status::Checked(proofs::Outcome::Valid),
        status: state.status().label(),
        reasons: check.map(|c| c.reasons.clone()).unwrap_or_default(),
        remarks: check.map(|c| c.remarks.clone()).unwrap_or_default(),
    }
}

pub async fn file(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    Path(id): Path<String>,
) -> PageResult {
    let version = visible_version(&state, &who, &id).await?;
    let id = version.id;
    let content = versions::file(&state.db, &version.file_sha256)
        .await?
        .ok_or_else(|| {
            ApiError::Internal(format!(
                "fichier {} de la version {id} absent",
                version.file_sha256
            ))
        })?;
    who.audit(
        &state,
        AuditAction::Download,
        &format!("collecte/version/{id}/fichier"),
        Outcome::Ok,
    )
    .await?;
    let mut response = content.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(XLSX));
    // The name as sent, reduced to safe characters for the header.
    let safe: String = version
        .file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = if safe.is_empty() {
        format!("version-{id}.xlsx")
    } else {
        safe
    };
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// `GET /plateforme/preuves/{id}/fichier`: the original PDF of a proof whose
/// project the caller sees (otherwise 404, as an unknown proof), audited.
pub async fn proof_file(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    Path(id): Path<String>,
) -> PageResult {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let proof = proofs::get(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound)?
        .proof;
    who.project(&state, &proof.galis).await?;
    let bytes = proofs::pdf(&state.db, id)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .ok_or(ApiError::NotFound)?;
    who.audit(
        &state,
        AuditAction::Download,
        &format!("collecte/preuve/{id}/fichier"),
        Outcome::Ok,
    )
    .await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"preuve-{id}.pdf\"")) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Who records the manual review of a proof.
pub const REVIEWERS: &[PlatformRole] = &[PlatformRole::Ars, PlatformRole::Cnsa];

#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    commentaire: String,
    /// The version page to come back to.
    #[serde(default)]
    version: Option<i64>,
}

/// `POST /plateforme/preuves/{id}/verification`: an ARS agent who sees the
/// project, or a CNSA agent, records « conforme » or « non conforme » and a
/// comment on a proof to check by hand; the reviewer is the account's name.
pub async fn review(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ReviewForm>,
) -> PageResult {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let proof = proofs::get(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound)?
        .proof;
    who.project(&state, &proof.galis).await?;
    let Some(decision) = proofs::Decision::parse(form.decision.trim()) else {
        return Err(
            ApiError::bad_field("decision", "choisissez « conforme » ou « non conforme »").into(),
        );
    };
    let review = proofs::Review {
        decision,
        comment: &form.commentaire,
        reviewer: &who.principal.user.display_name,
        at: who.principal.ctx.now,
    };
    let resource = format!("collecte/preuve/{id}/verification");
    match proofs::review(&state.db, id, &review).await {
        Ok(_) => {}
        Err(proofs::ProofError::Archive(e)) => return Err(ApiError::from(e).into()),
        Err(e) => {
            return Err(ApiError::bad_request("verification_refusee", e.to_string()).into());
        }
    }
    who.audit(&state, AuditAction::Update, &resource, Outcome::Ok)
        .await?;
    Ok(match form.version {
        Some(v) => see_other(&format!("/plateforme/versions/{v}#preuves")),
        None => see_other("/plateforme"),
    })
}
