//! Records of the DUI and their own validation rules (those that need no other
//! record). Rules spanning records (a stay's person exists, one care plan in
//! force per stay) are checked by the store and the import.

use super::codes::*;
use super::ids::*;
use crate::ids::{Finess, Ins, Rpps, Siren, Siret};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A broken rule on one field of a record, in French.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub value: String,
    pub rule: String,
}

impl FieldError {
    pub fn new(field: &'static str, value: impl ToString, rule: impl Into<String>) -> Self {
        Self {
            field,
            value: value.to_string(),
            rule: rule.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "champ « {} », valeur « {} » : {}",
            self.field, self.value, self.rule
        )
    }
}

fn required(errors: &mut Vec<FieldError>, field: &'static str, value: &str) {
    if value.trim().is_empty() {
        errors.push(FieldError::new(
            field,
            value,
            "obligatoire, ne peut pas être vide",
        ));
    }
}

fn max_len(errors: &mut Vec<FieldError>, field: &'static str, value: &str, max: usize) {
    if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            value.chars().take(40).collect::<String>() + "…",
            format!("{max} caractères au plus"),
        ));
    }
}

/// An organisme gestionnaire: the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub siren: Siren,
    pub siret: Siret,
    pub finess_ej: Option<Finess>,
    /// A demonstration database accepts the test and demonstration INS OIDs.
    pub demo: bool,
}

impl Organisation {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        required(&mut errors, "name", &self.name);
        if self.siret.siren() != self.siren.as_str() {
            errors.push(FieldError::new(
                "siret",
                &self.siret,
                format!(
                    "le SIRET doit commencer par le SIREN de l'organisme ({})",
                    self.siren
                ),
            ));
        }
        errors
    }
}

/// An ESSMS, identified by its FINESS géographique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Establishment {
    pub id: EstablishmentId,
    pub organisation_id: OrganisationId,
    pub finess: Finess,
    pub name: String,
    pub category: Category,
    pub sector: Sector,
    /// IANA time zone; a day of a measurement period is a local day of it.
    pub time_zone: String,
}

impl Establishment {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        required(&mut errors, "name", &self.name);
        max_len(&mut errors, "name", &self.name, 200);
        if jiff::tz::TimeZone::get(&self.time_zone).is_err() {
            errors.push(FieldError::new(
                "time_zone",
                &self.time_zone,
                "fuseau horaire IANA inconnu",
            ));
        }
        errors
    }
}

/// A professional of the organisation (with or without an RPPS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Professional {
    pub id: ProfessionalId,
    pub organisation_id: OrganisationId,
    pub family_name: String,
    pub given_name: String,
    pub profession: Profession,
    pub rpps: Option<Rpps>,
    pub mss_address: Option<String>,
    pub role: Role,
    pub establishment_ids: Vec<EstablishmentId>,
}

impl Professional {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        required(&mut errors, "family_name", &self.family_name);
        required(&mut errors, "given_name", &self.given_name);
        if let Some(address) = &self.mss_address {
            check_email(&mut errors, "mss_address", address);
        }
        errors
    }
}

fn check_email(errors: &mut Vec<FieldError>, field: &'static str, address: &str) {
    let valid = address.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !address.contains(' ')
    });
    if !valid {
        errors.push(FieldError::new(
            field,
            address,
            "adresse de messagerie invalide",
        ));
    }
}

/// A person accompanied (usager), with the traits of the INS identity.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub id: PersonId,
    pub organisation_id: OrganisationId,
    pub birth_family_name: String,
    pub birth_given_names: Vec<String>,
    pub used_family_name: Option<String>,
    pub used_given_name: Option<String>,
    pub sex: Sex,
    pub birth_date: Date,
    /// Code INSEE of the birth place (5 characters, 99xxx for a country).
    pub birth_place_code: Option<String>,
    pub ins: Option<Ins>,
    pub identity_status: IdentityStatus,
}

// Never print names or INS in logs (STYLE.md, Errors and logs).
impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Person")
            .field("id", &self.id)
            .field("organisation_id", &self.organisation_id)
            .field("identity_status", &self.identity_status)
            .finish_non_exhaustive()
    }
}

impl Person {
    /// The name a professional calls the person by.
    pub fn display_name(&self) -> String {
        let family = self
            .used_family_name
            .as_deref()
            .unwrap_or(&self.birth_family_name);
        let given = self
            .used_given_name
            .as_deref()
            .or(self.birth_given_names.first().map(String::as_str))
            .unwrap_or("");
        format!("{} {}", family.to_uppercase(), given)
    }

    pub fn validate(&self, demo_mode: bool) -> Vec<FieldError> {
        let mut errors = Vec::new();
        required(&mut errors, "birth_family_name", &self.birth_family_name);
        max_len(
            &mut errors,
            "birth_family_name",
            &self.birth_family_name,
            100,
        );
        if self.birth_given_names.iter().all(|n| n.trim().is_empty()) {
            errors.push(FieldError::new(
                "birth_given_names",
                "[]",
                "au moins un prénom de naissance",
            ));
        }
        if let Some(code) = &self.birth_place_code {
            let ok = code.len() == 5
                && code.is_ascii()
                && (code[..2].bytes().all(|b| b.is_ascii_digit())
                    || matches!(&code[..2], "2A" | "2B"))
                && code[2..].bytes().all(|b| b.is_ascii_digit());
            if !ok {
                errors.push(FieldError::new(
                    "birth_place_code",
                    code,
                    "code INSEE de 5 caractères attendu",
                ));
            }
        }
        if let Some(ins) = &self.ins {
            if let Err(e) = ins.oid().check_mode(demo_mode) {
                errors.push(FieldError::new(
                    "ins.oid",
                    ins.oid().as_str(),
                    e.to_string(),
                ));
            }
            if self.sex == Sex::Indetermine {
                errors.push(FieldError::new(
                    "sex",
                    "I",
                    "une identité INS a le sexe F ou M",
                ));
            }
        }
        let needs_ins = matches!(
            self.identity_status,
            IdentityStatus::Recuperee | IdentityStatus::Qualifiee
        );
        if needs_ins && self.ins.is_none() {
            errors.push(FieldError::new(
                "identity_status",
                self.identity_status,
                "une identité récupérée ou qualifiée a un matricule INS",
            ));
        }
        errors
    }
}

/// A change of identity status, traced (who, when, which document; SPEC.md §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityChange {
    pub organisation_id: OrganisationId,
    pub person_id: PersonId,
    pub status: IdentityStatus,
    pub at: Timestamp,
    pub by: Option<ProfessionalId>,
    pub document: Option<IdentityDocument>,
}

impl IdentityChange {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if matches!(
            self.status,
            IdentityStatus::Validee | IdentityStatus::Qualifiee
        ) && self.document.is_none()
        {
            errors.push(FieldError::new(
                "document",
                "",
                "une identité validée ou qualifiée l'est sur un document d'identité",
            ));
        }
        errors
    }
}

/// A séjour / accompagnement of a person in one establishment (SPEC.md §2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stay {
    pub id: StayId,
    pub organisation_id: OrganisationId,
    pub person_id: PersonId,
    pub establishment_id: EstablishmentId,
    pub start: Date,
    pub end: Option<Date>,
    pub end_kind: Option<EndKind>,
    pub mode: StayMode,
}

impl Stay {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(end) = self.end
            && end < self.start
        {
            errors.push(FieldError::new(
                "end",
                end,
                format!(
                    "la date de fin précède la date d'admission ({})",
                    self.start
                ),
            ));
        }
        if self.end.is_some() != self.end_kind.is_some() {
            errors.push(FieldError::new(
                "end_kind",
                self.end_kind.map(|k| k.code()).unwrap_or(""),
                "un séjour terminé a un motif de fin, un séjour en cours n'en a pas",
            ));
        }
        errors
    }
}

/// Something a professional recorded about a person (SPEC.md §2.4).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub id: EventId,
    pub organisation_id: OrganisationId,
    pub person_id: PersonId,
    pub establishment_id: EstablishmentId,
    pub kind: EventKind,
    pub at: Timestamp,
    pub author_id: Option<ProfessionalId>,
    pub text: String,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("id", &self.id)
            .field("person_id", &self.person_id)
            .field("kind", &self.kind)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

impl Event {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        max_len(&mut errors, "text", &self.text, 20_000);
        if matches!(
            self.kind,
            EventKind::Transmission | EventKind::TransmissionCiblee | EventKind::Observation
        ) {
            required(&mut errors, "text", &self.text);
        }
        errors
    }
}

/// An objective of a projet personnalisé, with its actions and evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    pub text: String,
    pub actions: Vec<String>,
    pub evaluation: Option<String>,
}

/// A dated status change of a projet personnalisé.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarePlanStatusChange {
    pub status: CarePlanStatus,
    pub at: Timestamp,
    pub by: Option<ProfessionalId>,
}

/// A projet personnalisé (d'accompagnement). Its status on any day is the last
/// change at or before that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarePlan {
    pub id: CarePlanId,
    pub organisation_id: OrganisationId,
    pub person_id: PersonId,
    pub establishment_id: EstablishmentId,
    pub stay_id: StayId,
    pub title: String,
    pub objectives: Vec<Objective>,
    pub participants: Vec<String>,
    pub person_agreement_on: Option<Date>,
    pub structure_agreement_on: Option<Date>,
    pub history: Vec<CarePlanStatusChange>,
}

impl CarePlan {
    pub fn current_status(&self) -> Option<CarePlanStatus> {
        self.history.last().map(|c| c.status)
    }

    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        required(&mut errors, "title", &self.title);
        if self.history.is_empty() {
            errors.push(FieldError::new("history", "[]", "au moins un statut daté"));
        }
        for pair in self.history.windows(2) {
            if pair[1].at < pair[0].at {
                errors.push(FieldError::new(
                    "history",
                    pair[1].at,
                    "les changements de statut sont chronologiques",
                ));
            }
            if pair[0].status == CarePlanStatus::Termine {
                errors.push(FieldError::new(
                    "history",
                    pair[1].status,
                    "un projet terminé ne change plus de statut",
                ));
            }
        }
        for objective in &self.objectives {
            required(&mut errors, "objectives.text", &objective.text);
        }
        errors
    }
}

/// An agenda event (événement d'agenda) for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Appointment {
    pub id: AppointmentId,
    pub organisation_id: OrganisationId,
    pub person_id: PersonId,
    pub establishment_id: EstablishmentId,
    pub kind: AppointmentKind,
    pub title: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub status: AppointmentStatus,
    /// Why it did not take place (mandatory when cancelled).
    pub reason: Option<String>,
    pub professional_id: Option<ProfessionalId>,
}

impl Appointment {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.ends_at < self.starts_at {
            errors.push(FieldError::new(
                "ends_at",
                self.ends_at,
                format!("la fin précède le début ({})", self.starts_at),
            ));
        }
        if self.status == AppointmentStatus::Annule
            && self.reason.as_deref().is_none_or(|r| r.trim().is_empty())
        {
            errors.push(FieldError::new(
                "reason",
                "",
                "un rendez-vous annulé a un motif",
            ));
        }
        errors
    }
}

/// A document of the record; its content is stored once, addressed by SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub id: DocumentId,
    pub organisation_id: OrganisationId,
    pub person_id: PersonId,
    pub establishment_id: EstablishmentId,
    pub type_code: DocumentType,
    pub title: String,
    pub media_type: String,
    pub sha256: String,
    pub size: i64,
    pub added_at: Timestamp,
    pub added_by: Option<ProfessionalId>,
    pub dmp_status: DmpStatus,
    pub dmp_status_at: Option<Timestamp>,
    /// The person objected to this document being sent to the DMP (CSP R1111-47).
    pub dmp_objection: bool,
}

impl Document {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        required(&mut errors, "title", &self.title);
        if self.sha256.len() != 64
            || !self
                .sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            errors.push(FieldError::new(
                "sha256",
                &self.sha256,
                "empreinte SHA-256 en 64 caractères hexadécimaux minuscules",
            ));
        }
        if self.size < 0 {
            errors.push(FieldError::new(
                "size",
                self.size,
                "taille positive attendue",
            ));
        }
        let sent = self.dmp_status != DmpStatus::NonEnvoye;
        if sent != self.dmp_status_at.is_some() {
            errors.push(FieldError::new(
                "dmp_status_at",
                self.dmp_status_at
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                "la date DMP est présente si et seulement si le document a été envoyé",
            ));
        }
        if sent && self.dmp_objection {
            errors.push(FieldError::new(
                "dmp_status",
                self.dmp_status,
                "la personne s'est opposée à l'envoi de ce document au DMP",
            ));
        }
        errors
    }
}

/// A message sent through MSSanté.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MssMessage {
    pub id: MessageId,
    pub organisation_id: OrganisationId,
    pub establishment_id: EstablishmentId,
    pub person_id: Option<PersonId>,
    pub sender_id: Option<ProfessionalId>,
    pub sent_at: Timestamp,
    pub recipients: Vec<String>,
    pub subject: String,
    pub document_ids: Vec<DocumentId>,
}

impl MssMessage {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.recipients.is_empty() {
            errors.push(FieldError::new(
                "recipients",
                "[]",
                "au moins un destinataire",
            ));
        }
        for r in &self.recipients {
            check_email(&mut errors, "recipients", r);
        }
        errors
    }
}
