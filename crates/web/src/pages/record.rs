//! A person's record (« dossier de l'usager ») and what can be done from it:
//! add a transmission (type, save: at most three actions), an evaluation note,
//! an appointment, a care-plan status, a document; download a document and
//! record the person's objection to the DMP; see who consulted the record.
//! The page shows only the parts the viewer's role may read; reading it is
//! one audited access.

use super::{Chrome, CsrfForm, PageError, PageResult, day, render, see_other, when};
use crate::AppState;
use crate::access::Principal;
use crate::error::ApiError;
use crate::session;
use askama::Template;
use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::IntoResponse;
use carnet_core::model::*;
use carnet_core::rights::Mode;
use carnet_store::{AuditAction, DossierParts, Outcome};
use jiff::SignedDuration;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde::Deserialize;
use std::collections::HashMap;

/// Messages shown after a redirect, by code: the URL never carries free text.
fn notice(code: &str) -> Option<String> {
    Some(
        match code {
            "transmission" => "Transmission enregistrée.",
            "evaluation" => "Note d'évaluation enregistrée.",
            "rendez-vous" => "Rendez-vous créé.",
            "statut" => "Statut du projet personnalisé modifié.",
            "document" => "Document déposé.",
            "opposition" => "Opposition au DMP enregistrée.",
            "levee" => "Opposition au DMP levée.",
            _ => return None,
        }
        .to_owned(),
    )
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    info: String,
}

pub struct StayRow {
    pub establishment: String,
    pub start: String,
    pub end: String,
    pub mode: String,
}

pub struct EventRow {
    pub kind: String,
    pub at: String,
    pub text: String,
    pub establishment: String,
}

pub struct PlanRow {
    pub id: i64,
    pub title: String,
    pub status: String,
    pub objectives: Vec<Objective>,
    pub history: Vec<(String, String)>,
    pub agreements: String,
}

pub struct AppointmentRow {
    pub title: String,
    pub kind: String,
    pub at: String,
    pub status: String,
}

pub struct DocumentRow {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub added: String,
    pub dmp: String,
    pub objection: bool,
    pub writable: bool,
}

pub struct MessageRow {
    pub subject: String,
    pub at: String,
    pub recipients: String,
}

pub struct Choice {
    pub code: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    chrome: Chrome,
    id: i64,
    name: String,
    birth: String,
    sex: String,
    ins: String,
    identity: String,
    identity_help: &'static str,
    stays: Vec<StayRow>,
    /// Establishments of the person the viewer may write in.
    places: Vec<Choice>,
    can_transmit: bool,
    events: Option<Vec<EventRow>>,
    plans: Option<Vec<PlanRow>>,
    can_plan: bool,
    plan_statuses: Vec<Choice>,
    appointments: Option<Vec<AppointmentRow>>,
    can_schedule: bool,
    appointment_kinds: Vec<Choice>,
    documents: Option<Vec<DocumentRow>>,
    upload_types: Vec<Choice>,
    messages: Option<Vec<MessageRow>>,
    can_see_log: bool,
}

/// How to move an identity up the RNIV ladder, shown next to its status.
fn identity_help(status: IdentityStatus) -> &'static str {
    match status {
        IdentityStatus::Provisoire => {
            "Identité provisoire : vérifiez une pièce d'identité à haut niveau de confiance \
             (carte d'identité, passeport, titre de séjour) pour la valider, puis interrogez \
             le téléservice INSi pour la qualifier."
        }
        IdentityStatus::Recuperee => {
            "Identité récupérée par le téléservice INSi : contrôlez une pièce d'identité à \
             haut niveau de confiance pour la qualifier."
        }
        IdentityStatus::Validee => {
            "Identité validée sur pièce : interrogez le téléservice INSi pour la qualifier \
             et pouvoir utiliser le matricule INS."
        }
        IdentityStatus::Qualifiee => {
            "Identité qualifiée : le matricule INS peut être utilisé pour échanger et \
             partager des données de santé."
        }
    }
}

fn choices<T: Copy>(
    items: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<Choice> {
    items
        .iter()
        .map(|&i| Choice {
            code: code(i).to_owned(),
            label: label(i).to_owned(),
        })
        .collect()
}

fn zone(establishments: &HashMap<EstablishmentId, Establishment>, id: EstablishmentId) -> TimeZone {
    establishments
        .get(&id)
        .and_then(|e| TimeZone::get(&e.time_zone).ok())
        .unwrap_or_else(super::paris)
}

fn name_of(
    establishments: &HashMap<EstablishmentId, Establishment>,
    id: EstablishmentId,
) -> String {
    establishments
        .get(&id)
        .map_or_else(|| format!("établissement {id}"), |e| e.name.clone())
}

async fn visible_establishments(
    state: &AppState,
    principal: &Principal,
) -> Result<HashMap<EstablishmentId, Establishment>, ApiError> {
    Ok(state
        .db
        .establishments(&principal.scope)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect())
}

pub async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    Query(query): Query<ShowQuery>,
) -> PageResult {
    let read = |c| principal.may(c, Mode::Read);
    let parts = DossierParts {
        event_kinds: principal.event_kinds(Mode::Read),
        document_types: principal.document_types(Mode::Read),
        care_plans: read(DataCategory::ProjetPersonnalise),
        agenda: read(DataCategory::Agenda),
        messages: read(DataCategory::Messages),
        events_limit: 100,
    };
    let Some(dossier) = state
        .db
        .dossier(&principal.ctx, &principal.scope, PersonId(id), &parts)
        .await?
    else {
        return Err(PageError(
            principal
                .refused::<Person>(&state, AuditAction::Read, id)
                .await,
        ));
    };
    let establishments = visible_establishments(&state, &principal).await?;
    let person = &dossier.person;
    let stays: Vec<StayRow> = dossier
        .stays
        .iter()
        .map(|s| StayRow {
            establishment: name_of(&establishments, s.establishment_id),
            start: day(s.start),
            end: s.end.map_or_else(
                || "en cours".to_owned(),
                |d| {
                    format!(
                        "{}{}",
                        day(d),
                        s.end_kind
                            .map(|k| format!(" ({})", k.label()))
                            .unwrap_or_default()
                    )
                },
            ),
            mode: s.mode.label().to_owned(),
        })
        .collect();
    let mut places: Vec<Choice> = Vec::new();
    for s in &dossier.stays {
        if !places
            .iter()
            .any(|c| c.code == s.establishment_id.0.to_string())
        {
            places.push(Choice {
                code: s.establishment_id.0.to_string(),
                label: name_of(&establishments, s.establishment_id),
            });
        }
    }
    let events = (!parts.event_kinds.is_empty()).then(|| {
        dossier
            .events
            .iter()
            .map(|e| EventRow {
                kind: e.kind.label().to_owned(),
                at: when(e.at, &zone(&establishments, e.establishment_id)),
                text: e.text.clone(),
                establishment: name_of(&establishments, e.establishment_id),
            })
            .collect()
    });
    let plans = parts.care_plans.then(|| {
        dossier
            .care_plans
            .iter()
            .map(|p| {
                let tz = zone(&establishments, p.establishment_id);
                PlanRow {
                    id: p.id.0,
                    title: p.title.clone(),
                    status: p
                        .current_status()
                        .map_or("—", CarePlanStatus::label)
                        .to_owned(),
                    objectives: p.objectives.clone(),
                    history: p
                        .history
                        .iter()
                        .rev()
                        .map(|h| (h.status.label().to_owned(), when(h.at, &tz)))
                        .collect(),
                    agreements: match (p.person_agreement_on, p.structure_agreement_on) {
                        (Some(a), Some(b)) => format!(
                            "signé par la personne le {} et par la structure le {}",
                            day(a),
                            day(b)
                        ),
                        (Some(a), None) => format!("signé par la personne le {}", day(a)),
                        (None, Some(b)) => format!("signé par la structure le {}", day(b)),
                        (None, None) => "pas encore signé".to_owned(),
                    },
                }
            })
            .collect()
    });
    let appointments = parts.agenda.then(|| {
        dossier
            .appointments
            .iter()
            .map(|a| AppointmentRow {
                title: a.title.clone(),
                kind: a.kind.label().to_owned(),
                at: when(a.starts_at, &zone(&establishments, a.establishment_id)),
                status: match &a.reason {
                    Some(r) if !r.is_empty() => format!("{} ({r})", a.status.label()),
                    _ => a.status.label().to_owned(),
                },
            })
            .collect()
    });
    let documents = (!parts.document_types.is_empty()).then(|| {
        dossier
            .documents
            .iter()
            .map(|d| DocumentRow {
                id: d.id.0,
                title: d.title.clone(),
                kind: d.type_code.label().to_owned(),
                added: when(d.added_at, &zone(&establishments, d.establishment_id)),
                dmp: match d.dmp_status_at {
                    Some(at) => format!(
                        "{} le {}",
                        d.dmp_status.label(),
                        when(at, &zone(&establishments, d.establishment_id))
                    ),
                    None => d.dmp_status.label().to_owned(),
                },
                objection: d.dmp_objection,
                writable: principal.may(d.type_code.category(), Mode::Write),
            })
            .collect()
    });
    let messages = parts.messages.then(|| {
        dossier
            .messages
            .iter()
            .map(|m| MessageRow {
                subject: m.subject.clone(),
                at: when(m.sent_at, &zone(&establishments, m.establishment_id)),
                recipients: m.recipients.join(", "),
            })
            .collect()
    });
    let name = person.display_name();
    let page = RecordPage {
        chrome: Chrome::new(&principal, format!("Dossier de {name}"), "/personnes")
            .with_notice(notice(&query.info)),
        id,
        birth: day(person.birth_date),
        sex: person.sex.label().to_owned(),
        ins: person
            .ins
            .as_ref()
            .map_or_else(|| "non renseigné".to_owned(), |i| i.matricule().to_owned()),
        identity: person.identity_status.label().to_owned(),
        identity_help: identity_help(person.identity_status),
        name,
        stays,
        can_transmit: principal.may(DataCategory::Transmissions, Mode::Write) && !places.is_empty(),
        can_plan: principal.may(DataCategory::ProjetPersonnalise, Mode::Write),
        can_schedule: principal.may(DataCategory::Agenda, Mode::Write) && !places.is_empty(),
        places,
        events,
        plans,
        plan_statuses: choices(
            CarePlanStatus::ALL,
            CarePlanStatus::code,
            CarePlanStatus::label,
        ),
        appointments,
        appointment_kinds: choices(
            AppointmentKind::ALL,
            AppointmentKind::code,
            AppointmentKind::label,
        ),
        documents,
        upload_types: principal
            .document_types(Mode::Write)
            .into_iter()
            .map(|t| Choice {
                code: t.code().to_owned(),
                label: t.label().to_owned(),
            })
            .collect(),
        messages,
        can_see_log: principal.may(DataCategory::JournalAcces, Mode::Read),
    };
    Ok(render(&page))
}

/// The establishment a new item goes to: the one chosen, which must be one of
/// the person's visible stays, or the only one.
async fn place(
    state: &AppState,
    principal: &Principal,
    person: PersonId,
    chosen: &str,
) -> Result<EstablishmentId, ApiError> {
    let Some(ids) = state
        .db
        .person_establishments(&principal.scope, person)
        .await?
    else {
        return Err(principal
            .refused::<Person>(state, AuditAction::Update, person.0)
            .await);
    };
    if chosen.is_empty() {
        return ids.first().copied().ok_or_else(|| {
            ApiError::Conflict("aucun séjour de cette personne dans vos établissements".into())
        });
    }
    chosen
        .parse::<i64>()
        .ok()
        .map(EstablishmentId)
        .filter(|e| ids.contains(e))
        .ok_or_else(|| {
            ApiError::bad_field("etablissement", "établissement inconnu pour cette personne")
        })
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    texte: String,
    #[serde(default)]
    etablissement: String,
}

async fn add_event(
    state: &AppState,
    principal: &Principal,
    person: i64,
    form: NoteForm,
    kind: EventKind,
) -> Result<(), ApiError> {
    let text = form.texte.trim();
    if text.is_empty() {
        return Err(ApiError::bad_field(
            "texte",
            "le texte est vide : écrivez la note avant d'enregistrer",
        ));
    }
    principal.require(kind.category(), Mode::Write)?;
    let establishment = place(state, principal, PersonId(person), &form.etablissement).await?;
    let event = Event {
        id: EventId(0),
        organisation_id: principal.scope.organisation,
        person_id: PersonId(person),
        establishment_id: establishment,
        kind,
        at: principal.ctx.now,
        author_id: principal.user.professional_id,
        text: text.to_owned(),
    };
    state
        .db
        .create(&principal.ctx, &principal.scope, event)
        .await?;
    Ok(())
}

pub async fn add_transmission(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<NoteForm>,
) -> PageResult {
    add_event(&state, &principal, id, form, EventKind::Transmission).await?;
    Ok(see_other(&format!(
        "/personnes/{id}?info=transmission#chronologie"
    )))
}

pub async fn add_evaluation(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<NoteForm>,
) -> PageResult {
    add_event(&state, &principal, id, form, EventKind::Evaluation).await?;
    Ok(see_other(&format!(
        "/personnes/{id}?info=evaluation#projet"
    )))
}

#[derive(Deserialize)]
pub struct AppointmentForm {
    #[serde(default)]
    titre: String,
    #[serde(default)]
    genre: String,
    #[serde(default)]
    debut: String,
    #[serde(default)]
    duree: String,
    #[serde(default)]
    etablissement: String,
}

pub async fn add_appointment(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<AppointmentForm>,
) -> PageResult {
    let kind = AppointmentKind::from_code(&form.genre)
        .ok_or_else(|| ApiError::bad_field("genre", "type de rendez-vous inconnu"))?;
    let establishment = place(&state, &principal, PersonId(id), &form.etablissement).await?;
    let establishments = visible_establishments(&state, &principal).await?;
    let tz = zone(&establishments, establishment);
    let start: DateTime = form.debut.parse().map_err(|_| {
        ApiError::bad_field(
            "debut",
            "date et heure de début illisibles (AAAA-MM-JJTHH:MM)",
        )
    })?;
    let starts_at = start
        .to_zoned_datetime(tz)
        .map_err(|_| {
            ApiError::bad_field("debut", "heure inexistante ce jour-là (changement d'heure)")
        })?
        .timestamp();
    let minutes: i64 = form
        .duree
        .parse()
        .ok()
        .filter(|m| (5..=24 * 60).contains(m))
        .ok_or_else(|| ApiError::bad_field("duree", "durée en minutes, de 5 à 1440"))?;
    let appointment = Appointment {
        id: AppointmentId(0),
        organisation_id: principal.scope.organisation,
        person_id: PersonId(id),
        establishment_id: establishment,
        kind,
        title: form.titre.trim().to_owned(),
        starts_at,
        ends_at: starts_at + SignedDuration::from_mins(minutes),
        status: AppointmentStatus::Planifie,
        reason: None,
        professional_id: principal.user.professional_id,
    };
    state
        .db
        .create(&principal.ctx, &principal.scope, appointment)
        .await?;
    Ok(see_other(&format!(
        "/personnes/{id}?info=rendez-vous#agenda"
    )))
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    statut: String,
}

pub async fn change_plan_status(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> PageResult {
    let status = CarePlanStatus::from_code(&form.statut)
        .ok_or_else(|| ApiError::bad_field("statut", "statut de projet inconnu"))?;
    let change = CarePlanStatusChange {
        status,
        at: principal.ctx.now,
        by: principal.user.professional_id,
    };
    match state
        .db
        .change_care_plan_status(&principal.ctx, &principal.scope, CarePlanId(id), change)
        .await?
    {
        Some(plan) => Ok(see_other(&format!(
            "/personnes/{}?info=statut#projet",
            plan.person_id
        ))),
        None => Err(PageError(
            principal
                .refused::<CarePlan>(&state, AuditAction::Update, id)
                .await,
        )),
    }
}

pub async fn upload_document(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let mut multipart = multipart
        .map_err(|_| ApiError::bad_request("invalid_form", "formulaire de dépôt illisible"))?;
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Option<(Vec<u8>, String)> = None;
    while let Some(field) = multipart.next_field().await.map_err(|_| {
        ApiError::bad_request(
            "invalid_form",
            "formulaire de dépôt illisible ou trop volumineux",
        )
    })? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "fichier" {
            let media = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned();
            let bytes = field.bytes().await.map_err(|_| ApiError::PayloadTooLarge)?;
            file = Some((bytes.to_vec(), media));
        } else {
            let text = field.text().await.unwrap_or_default();
            fields.insert(name, text);
        }
    }
    let expected = principal.csrf.clone().unwrap_or_default();
    if !session::csrf_matches(&expected, fields.get("_csrf").map_or("", String::as_str)) {
        return Err(PageError(ApiError::Forbidden(
            "formulaire expiré : rechargez la page et recommencez".into(),
        )));
    }
    let type_code = fields
        .get("type")
        .and_then(|c| DocumentType::from_code(c))
        .ok_or_else(|| ApiError::bad_field("type", "type de document inconnu"))?;
    principal.require(type_code.category(), Mode::Write)?;
    let Some((bytes, media_type)) = file.filter(|(b, _)| !b.is_empty()) else {
        return Err(PageError(ApiError::bad_field(
            "fichier",
            "aucun fichier choisi",
        )));
    };
    let establishment = place(
        &state,
        &principal,
        PersonId(id),
        fields.get("etablissement").map_or("", String::as_str),
    )
    .await?;
    let document = Document {
        id: DocumentId(0),
        organisation_id: principal.scope.organisation,
        person_id: PersonId(id),
        establishment_id: establishment,
        type_code,
        title: fields.get("titre").map_or("", |t| t.trim()).to_owned(),
        media_type,
        sha256: String::new(),
        size: 0,
        added_at: principal.ctx.now,
        added_by: principal.user.professional_id,
        dmp_status: DmpStatus::NonEnvoye,
        dmp_status_at: None,
        dmp_objection: false,
    };
    state
        .db
        .create_document(&principal.ctx, &principal.scope, document, bytes)
        .await?;
    Ok(see_other(&format!(
        "/personnes/{id}?info=document#documents"
    )))
}

pub async fn download(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> PageResult {
    let organisation = principal.scope.organisation;
    if let Some(kind) = state.db.document_type(organisation, DocumentId(id)).await? {
        principal.require(kind.category(), Mode::Read)?;
    }
    let Some((document, bytes)) = state
        .db
        .document_content(&principal.ctx, &principal.scope, DocumentId(id))
        .await?
    else {
        return Err(PageError(
            principal
                .refused::<Document>(&state, AuditAction::Download, id)
                .await,
        ));
    };
    let mut response = Body::from(bytes).into_response();
    let media = HeaderValue::from_str(&document.media_type)
        .ok()
        .filter(|_| {
            document.media_type.split('/').count() == 2 && !document.media_type.contains(';')
        })
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    response.headers_mut().insert(CONTENT_TYPE, media);
    response.headers_mut().insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"document-{id}\""))
            .unwrap_or(HeaderValue::from_static("attachment")),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct ObjectionForm {
    #[serde(default)]
    opposition: String,
}

pub async fn set_objection(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ObjectionForm>,
) -> PageResult {
    let Some(mut document) = state
        .db
        .read::<Document>(&principal.ctx, &principal.scope, id)
        .await?
    else {
        return Err(PageError(
            principal
                .refused::<Document>(&state, AuditAction::Update, id)
                .await,
        ));
    };
    principal.require(document.type_code.category(), Mode::Write)?;
    document.dmp_objection = form.opposition == "oui";
    let person = document.person_id;
    let objection = document.dmp_objection;
    state
        .db
        .update(&principal.ctx, &principal.scope, document)
        .await?;
    let info = if objection { "opposition" } else { "levee" };
    Ok(see_other(&format!(
        "/personnes/{person}?info={info}#documents"
    )))
}

pub struct AccessRow {
    pub at: String,
    pub who: String,
    pub action: String,
    pub what: String,
    pub outcome: String,
}

#[derive(Template)]
#[template(path = "access_log.html")]
struct AccessLogPage {
    chrome: Chrome,
    id: i64,
    name: String,
    rows: Vec<AccessRow>,
}

fn action_label(code: &str) -> &'static str {
    match code {
        "create" => "création",
        "update" => "modification",
        "read" => "consultation",
        "list" => "liste",
        "download" => "téléchargement",
        "import" => "import",
        "export" => "export",
        _ => "autre",
    }
}

/// « Qui a consulté ce dossier » : the audit entries about the person.
pub async fn access_log(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> PageResult {
    let Some(person) = state
        .db
        .read_person(&principal.ctx, &principal.scope, PersonId(id))
        .await?
    else {
        return Err(PageError(
            principal
                .refused::<Person>(&state, AuditAction::Read, id)
                .await,
        ));
    };
    let entries = state
        .db
        .audit_for_person(principal.scope.organisation, PersonId(id), 500)
        .await?;
    let users: HashMap<String, String> = state
        .db
        .users(principal.scope.organisation)
        .await?
        .into_iter()
        .map(|u| {
            (
                format!("user:{}", u.id),
                format!("{} ({})", u.display_name, u.role.label()),
            )
        })
        .collect();
    let tz = super::paris();
    let rows = entries
        .iter()
        .map(|e| AccessRow {
            at: when(e.at, &tz),
            who: users.get(&e.actor).cloned().unwrap_or_else(|| {
                e.actor
                    .strip_prefix("system:")
                    .map_or_else(|| e.actor.clone(), |s| format!("traitement « {s} »"))
            }),
            action: action_label(&e.action).to_owned(),
            what: e.resource.clone(),
            outcome: if e.outcome == Outcome::Refused.code() {
                "refusé".to_owned()
            } else {
                "autorisé".to_owned()
            },
        })
        .collect();
    let name = person.display_name();
    Ok(render(&AccessLogPage {
        chrome: Chrome::new(
            &principal,
            format!("Qui a consulté le dossier de {name}"),
            "/personnes",
        ),
        id,
        name,
        rows,
    }))
}
