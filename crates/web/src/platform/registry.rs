//! The project registry on pages (issue 5 §1): the projects the caller sees,
//! the import of the registry's CSV (the same file, parser and all-or-nothing
//! import as `carnet collect projects import`, `docs/projets-csv.md`) and the
//! entry of one milestone's actual date.
//!
//! Who changes what: a CNSA agent any project; an ARS agent only projects of
//! its region — a project it sees (`Account::sees`) both as the file
//! describes it and, when it is already in the registry, as it is now, so
//! that an ARS can neither add a project of another region nor take one over
//! by re-importing it with its own FINESS. One project out of reach refuses
//! the whole file, each offending line named. This module never stores
//! anything of a refused file.

use super::access::PlatformPrincipal;
use super::chrome;
use crate::AppState;
use crate::error::ApiError;
use crate::pages::{Chrome, CsrfForm, PageError, PageResult, day, render, see_other};
use crate::session;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use carnet_collect::accounts::{PlatformRole, ProjectScope, Reach};
use carnet_collect::projects::{self, CsvError, Milestone, MilestoneError, Project};
use carnet_collect::{regions, versions};
use carnet_store::{AuditAction, Outcome};
use serde::Deserialize;

/// Who imports the registry and enters milestone dates (within their reach).
pub const EDITORS: &[PlatformRole] = &[PlatformRole::Ars, PlatformRole::Cnsa];

/// Largest registry file: 2 MB (thousands of projects).
pub const CSV_LIMIT: usize = 2 * 1024 * 1024;
/// The body limit of the import route: the file plus the multipart envelope.
pub const IMPORT_BODY_LIMIT: usize = CSV_LIMIT + 64 * 1024;

pub const PATH: &str = "/plateforme/registre";

/// One milestone of a project as the table shows it.
pub struct MilestoneCell {
    pub label: &'static str,
    pub planned: String,
    pub actual: String,
}

/// The id of a project's row, to come back to after a milestone's date.
fn anchor(galis: &str) -> String {
    let safe: String = galis
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("projet-{safe}")
}

/// One project of the registry as the table shows it.
pub struct RegistryLine {
    pub anchor: String,
    pub galis: String,
    pub label: String,
    pub siret: String,
    /// Regions of its establishments.
    pub regions: String,
    pub call_year: i16,
    pub kind: &'static str,
    pub desk: &'static str,
    pub establishments: usize,
    pub milestones: Vec<MilestoneCell>,
}

/// One problem of a refused file.
pub struct ErrorLine {
    pub line: usize,
    pub column: String,
    pub value: String,
    pub rule: String,
}

impl From<CsvError> for ErrorLine {
    fn from(e: CsvError) -> Self {
        ErrorLine {
            line: e.line,
            column: e.column.unwrap_or_else(|| "–".to_owned()),
            value: e.value.unwrap_or_default(),
            rule: e.message,
        }
    }
}

/// What the page says of one import.
pub struct ImportView {
    pub file_name: String,
    pub sha256: String,
    /// `(created, updated)` of an accepted file.
    pub done: Option<(usize, usize)>,
    pub errors: Vec<ErrorLine>,
}

#[derive(Template)]
#[template(path = "plateforme/registre.html")]
struct RegistryPage {
    chrome: Chrome,
    scope: String,
    can_edit: bool,
    error: Option<String>,
    result: Option<ImportView>,
    projects: Vec<RegistryLine>,
    milestones: Vec<(&'static str, &'static str)>,
}

fn date(d: Option<jiff::civil::Date>) -> String {
    d.map(day).unwrap_or_else(|| "–".to_owned())
}

fn registry_line(p: &Project) -> RegistryLine {
    let regions = p
        .establishments
        .iter()
        .filter_map(regions::of_finess)
        .map(|r| r.name)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
        .join(", ");
    RegistryLine {
        anchor: anchor(&p.galis),
        galis: p.galis.clone(),
        label: p.label.clone().unwrap_or_default(),
        siret: p.siret.to_string(),
        regions,
        call_year: p.call_year,
        kind: p.kind.label(),
        desk: p.desk.label(),
        establishments: p.establishments.len(),
        milestones: p
            .milestones
            .iter()
            .map(|(m, d)| MilestoneCell {
                label: m.label(),
                planned: date(d.planned),
                actual: date(d.actual),
            })
            .collect(),
    }
}

async fn page(
    state: &AppState,
    who: &PlatformPrincipal,
    error: Option<String>,
    result: Option<ImportView>,
) -> Result<RegistryPage, ApiError> {
    let projects = who.projects(state).await?;
    Ok(RegistryPage {
        chrome: chrome(who, "Registre des projets", PATH),
        scope: who.account.scope_label(),
        can_edit: EDITORS.contains(&who.role()),
        error,
        result,
        projects: projects.iter().map(registry_line).collect(),
        milestones: Milestone::ALL
            .iter()
            .map(|m| (m.code(), m.label()))
            .collect(),
    })
}

async fn respond(
    state: &AppState,
    who: &PlatformPrincipal,
    status: StatusCode,
    error: Option<String>,
    result: Option<ImportView>,
) -> PageResult {
    let mut response = render(&page(state, who, error, result).await?);
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /plateforme/registre`: the projects the caller sees (a porteur, its
/// own; an ARS agent, its region's; CNSA and auditeur, all), with the import
/// form and the milestone forms for the editors.
pub async fn show(State(state): State<AppState>, who: PlatformPrincipal) -> PageResult {
    who.audit(&state, AuditAction::List, "collecte/registre", Outcome::Ok)
        .await?;
    respond(&state, &who, StatusCode::OK, None, None).await
}

/// The lines of the file whose project is out of the caller's reach (see the
/// module documentation), as errors naming the line.
fn out_of_reach(
    who: &PlatformPrincipal,
    lines: &[(usize, Project)],
    known: &[Project],
) -> Vec<CsvError> {
    let Reach::Region(region) = &who.account.reach else {
        return Vec::new();
    };
    lines
        .iter()
        .filter_map(|(line, p)| {
            let current = known.iter().find(|k| k.galis == p.galis);
            let message = if !who.account.sees(Some(&ProjectScope::of(p))) {
                format!(
                    "projet hors de votre région ({}) : ni ses ESSMS ni son guichet n'y sont ; \
                     seule l'ARS de sa région ou la CNSA peut l'inscrire",
                    region.name
                )
            } else if current.is_some_and(|c| !who.account.sees(Some(&ProjectScope::of(c)))) {
                format!(
                    "projet déjà inscrit au registre pour une autre région que la vôtre ({}) : \
                     seule l'ARS de sa région ou la CNSA peut le modifier",
                    region.name
                )
            } else {
                return None;
            };
            Some(CsvError {
                line: *line,
                column: Some("reference_galis".to_owned()),
                value: Some(p.galis.clone()),
                message,
            })
        })
        .collect()
}

/// `POST /plateforme/registre/import`: the registry's CSV, all or nothing.
pub async fn import(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let unreadable = "Formulaire d'import illisible : choisissez le fichier CSV du registre et \
                      renvoyez le formulaire.";
    let too_large = "Fichier trop volumineux : le fichier du registre ne peut dépasser 2 Mo. \
                     Rien n'a été enregistré.";
    let Ok(mut multipart) = multipart else {
        return respond(
            &state,
            &who,
            StatusCode::BAD_REQUEST,
            Some(unreadable.into()),
            None,
        )
        .await;
    };
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                let (status, message) = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    (StatusCode::PAYLOAD_TOO_LARGE, too_large)
                } else {
                    (StatusCode::BAD_REQUEST, unreadable)
                };
                return respond(&state, &who, status, Some(message.into()), None).await;
            }
        };
        match field.name().unwrap_or_default() {
            "_csrf" => csrf = field.text().await.unwrap_or_default(),
            "fichier" => {
                let name = field.file_name().unwrap_or("registre.csv").to_owned();
                match field.bytes().await {
                    Ok(bytes) if bytes.len() <= CSV_LIMIT => file = Some((name, bytes.to_vec())),
                    _ => {
                        let status = StatusCode::PAYLOAD_TOO_LARGE;
                        return respond(&state, &who, status, Some(too_large.into()), None).await;
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
        let message = "Aucun fichier choisi : sélectionnez le fichier CSV du registre à importer.";
        return respond(
            &state,
            &who,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message.into()),
            None,
        )
        .await;
    };
    let sha256 = versions::sha256_hex(&bytes);
    let resource = format!("collecte/registre/{sha256}");
    let (status, done, errors) = match projects::parse_csv_numbered(&bytes) {
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, None, errors),
        Ok(lines) => {
            let known = projects::list(&state.db).await?;
            let refused = out_of_reach(&who, &lines, &known);
            if refused.is_empty() {
                let parsed: Vec<Project> = lines.into_iter().map(|(_, p)| p).collect();
                let by = &who.principal.user.login;
                let summary =
                    projects::import(&state.db, &parsed, by, who.principal.ctx.now).await?;
                (
                    StatusCode::OK,
                    Some((summary.created, summary.updated)),
                    Vec::new(),
                )
            } else {
                (StatusCode::FORBIDDEN, None, refused)
            }
        }
    };
    let outcome = if done.is_some() {
        Outcome::Ok
    } else {
        Outcome::Refused
    };
    who.audit(&state, AuditAction::Import, &resource, outcome)
        .await?;
    let view = ImportView {
        file_name,
        sha256,
        done,
        errors: errors.into_iter().map(ErrorLine::from).collect(),
    };
    respond(&state, &who, status, None, Some(view)).await
}

#[derive(Deserialize)]
pub struct MilestoneForm {
    #[serde(default)]
    jalon: String,
    #[serde(default)]
    date: String,
}

/// `POST /plateforme/registre/{galis}/jalon`: the actual date of one
/// milestone of a project the caller may change (an ARS agent, its region's;
/// a CNSA agent, any). Another region's project answers 404, as an unknown one.
pub async fn milestone(
    State(state): State<AppState>,
    who: PlatformPrincipal,
    Path(galis): Path<String>,
    CsrfForm(form): CsrfForm<MilestoneForm>,
) -> PageResult {
    if who.project(&state, &galis).await?.is_none() {
        return Err(ApiError::NotFound.into());
    }
    let by = &who.principal.user.login;
    let now = who.principal.ctx.now;
    let recorded =
        projects::record_actual(&state.db, &galis, &form.jalon, &form.date, by, now).await;
    let milestone = match recorded {
        Ok((milestone, _)) => milestone,
        Err(MilestoneError::Archive(e)) => return Err(ApiError::from(e).into()),
        Err(MilestoneError::UnknownProject(_)) => return Err(ApiError::NotFound.into()),
        Err(e @ MilestoneError::UnknownMilestone(_)) => {
            return Err(ApiError::bad_field("jalon", e.to_string()).into());
        }
        Err(e @ MilestoneError::BadDate(_)) => {
            return Err(ApiError::bad_field("date", e.to_string()).into());
        }
    };
    who.audit(
        &state,
        AuditAction::Update,
        &format!("collecte/projet/{galis}/jalon/{}", milestone.code()),
        Outcome::Ok,
    )
    .await?;
    Ok(see_other(&format!("{PATH}#{}", anchor(&galis))))
}
