//! Each record of the model mapped onto its table, once.

use super::generic::Record;
use crate::Result;
use crate::values::{RowExt, Value, code, date, from_json, json, ts};
use carnet_core::model::*;
use carnet_core::{Finess, Ins, InsOid, Rpps, Siren, Siret};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::collections::HashMap;

fn parsed<T, E: std::fmt::Display>(what: &str, r: std::result::Result<T, E>) -> Result<T> {
    r.map_err(|e| crate::StoreError::corrupt(format!("{what} : {e}")))
}

impl Record for Organisation {
    const TABLE: &'static str = "organisations";
    const KIND: &'static str = "organisation";
    const COLUMNS: &'static [&'static str] = &["name", "siren", "siret", "finess_ej", "demo"];
    const ORGANISATION_COLUMN: &'static str = "id";
    fn id(&self) -> i64 {
        self.id.0
    }
    fn set_id(&mut self, id: i64) {
        self.id = OrganisationId(id);
    }
    fn organisation(&self) -> OrganisationId {
        self.id
    }
    fn person(&self) -> Option<PersonId> {
        None
    }
    fn values(&self) -> Vec<Value> {
        vec![
            self.name.as_str().into(),
            self.siren.as_str().into(),
            self.siret.as_str().into(),
            self.finess_ej.as_ref().map(|f| f.to_string()).into(),
            self.demo.into(),
        ]
    }
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Organisation {
            id: OrganisationId(row.int("id")?),
            name: row.text("name")?,
            siren: parsed("siren", Siren::parse(&row.text("siren")?))?,
            siret: parsed("siret", Siret::parse(&row.text("siret")?))?,
            finess_ej: row
                .opt_text("finess_ej")?
                .map(|f| parsed("finess_ej", Finess::parse(&f)))
                .transpose()?,
            demo: row.int("demo")? != 0,
        })
    }
}

impl Record for Establishment {
    const TABLE: &'static str = "establishments";
    const KIND: &'static str = "establishment";
    const COLUMNS: &'static [&'static str] = &["finess", "name", "category", "sector", "time_zone"];
    fn id(&self) -> i64 {
        self.id.0
    }
    fn set_id(&mut self, id: i64) {
        self.id = EstablishmentId(id);
    }
    fn organisation(&self) -> OrganisationId {
        self.organisation_id
    }
    fn person(&self) -> Option<PersonId> {
        None
    }
    fn values(&self) -> Vec<Value> {
        vec![
            self.finess.as_str().into(),
            self.name.as_str().into(),
            self.category.code().into(),
            self.sector.code().into(),
            self.time_zone.as_str().into(),
        ]
    }
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Establishment {
            id: EstablishmentId(row.int("id")?),
            organisation_id: OrganisationId(row.int("organisation_id")?),
            finess: parsed("finess", Finess::parse(&row.text("finess")?))?,
            name: row.text("name")?,
            category: code(&row.text("category")?, Category::from_code)?,
            sector: code(&row.text("sector")?, Sector::from_code)?,
            time_zone: row.text("time_zone")?,
        })
    }
}

impl Record for Professional {
    const TABLE: &'static str = "professionals";
    const KIND: &'static str = "professional";
    const COLUMNS: &'static [&'static str] = &[
        "family_name",
        "given_name",
        "profession",
        "rpps",
        "mss_address",
        "role",
        "establishment_ids",
    ];
    fn id(&self) -> i64 {
        self.id.0
    }
    fn set_id(&mut self, id: i64) {
        self.id = ProfessionalId(id);
    }
    fn organisation(&self) -> OrganisationId {
        self.organisation_id
    }
    fn person(&self) -> Option<PersonId> {
        None
    }
    fn values(&self) -> Vec<Value> {
        vec![
            self.family_name.as_str().into(),
            self.given_name.as_str().into(),
            self.profession.code().into(),
            self.rpps.as_ref().map(|r| r.to_string()).into(),
            self.mss_address.clone().into(),
            self.role.code().into(),
            json(&self.establishment_ids).into(),
        ]
    }
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Professional {
            id: ProfessionalId(row.int("id")?),
            organisation_id: OrganisationId(row.int("organisation_id")?),
            family_name: row.text("family_name")?,
            given_name: row.text("given_name")?,
            profession: code(&row.text("profession")?, Profession::from_code)?,
            rpps: row
                .opt_text("rpps")?
                .map(|r| parsed("rpps", Rpps::parse(&r)))
                .transpose()?,
            mss_address: row.opt_text("mss_address")?,
            role: code(&row.text("role")?, Role::from_code)?,
            establishment_ids: from_json(&row.text("establishment_ids")?)?,
        })
    }
}

/// Accent- and case-free names, for search (SPEC: find a person by name).
pub(crate) fn person_search_key(p: &Person) -> String {
    let mut names = vec![p.birth_family_name.as_str()];
    names.extend(p.used_family_name.as_deref());
    names.extend(p.birth_given_names.iter().map(String::as_str));
    names.extend(p.used_given_name.as_deref());
    carnet_core::text::fold(&names.join(" "))
}

impl Record for Person {
    const TABLE: &'static str = "persons";
    const KIND: &'static str = "person";
    const COLUMNS: &'static [&'static str] = &[
        "birth_family_name",
        "birth_given_names",
        "used_family_name",
        "used_given_name",
        "sex",
        "birth_date",
        "birth_place_code",
        "ins_matricule",
        "ins_oid",
        "identity_status",
        "search_key",
    ];
    fn id(&self) -> i64 {
        self.id.0
    }
    fn set_id(&mut self, id: i64) {
        self.id = PersonId(id);
    }
    fn organisation(&self) -> OrganisationId {
        self.organisation_id
    }
    fn person(&self) -> Option<PersonId> {
        Some(self.id)
    }
    fn values(&self) -> Vec<Value> {
        vec![
            self.birth_family_name.as_str().into(),
            json(&self.birth_given_names).into(),
            self.used_family_name.clone().into(),
            self.used_given_name.clone().into(),
            self.sex.code().into(),
            self.birth_date.into(),
            self.birth_place_code.clone().into(),
            self.ins.as_ref().map(|i| i.matricule().to_owned()).into(),
            self.ins
                .as_ref()
                .map(|i| i.oid().as_str().to_owned())
                .into(),
            self.identity_status.code().into(),
            person_search_key(self).into(),
        ]
    }
    fn from_row(row: &AnyRow) -> Result<Self> {
        let ins = match (row.opt_text("ins_matricule")?, row.opt_text("ins_oid")?) {
            (Some(m), Some(o)) => {
                let oid = parsed("ins_oid", InsOid::parse(&o, true))?;
                Some(parsed("ins_matricule", Ins::parse(&m, oid, true))?)
            }
            _ => None,
        };
        Ok(Person {
            id: PersonId(row.int("id")?),
            organisation_id: OrganisationId(row.int("organisation_id")?),
            birth_family_name: row.text("birth_family_name")?,
            birth_given_names: from_json(&row.text("birth_given_names")?)?,
            used_family_name: row.opt_text("used_family_name")?,
            used_given_name: row.opt_text("used_given_name")?,
            sex: code(&row.text("sex")?, Sex::from_code)?,
            birth_date: date(&row.text("birth_date")?)?,
            birth_place_code: row.opt_text("birth_place_code")?,
            ins,
            identity_status: code(&row.text("identity_status")?, IdentityStatus::from_code)?,
        })
    }
}

impl Record for Stay {
    const TABLE: &'static str = "stays";
    const KIND: &'static str = "stay";
    const COLUMNS: &'static [&'static str] = &[
        "person_id",
        "establishment_id",
        "start_date",
        "end_date",
        "end_kind",
        "mode",
    ];
    fn id(&self) -> i64 {
        self.id.0
    }
    fn set_id(&mut self, id: i64) {
        self.id = StayId(id);
    }
    fn organisation(&self) -> OrganisationId {
        self.organisation_id
    }
    fn person(&self) -> Option<PersonId> {
        Some(self.person_id)
    }
    fn values(&self) -> Vec<Value> {
        vec![
            self.person_id.0.into(),
            self.establishment_id.0.into(),
            self.start.into(),
            self.end.into(),
            self.end_kind.map(|k| k.code().to_owned()).into(),
            self.mode.code().into(),
        ]
    }
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Stay {
            id: StayId(row.int("id")?),
            organisation_id: OrganisationId(row.int("organisation_id")?),
            person_id: PersonId(row.int("person_id")?),
            establishment_id: EstablishmentId(row.int("establishment_id")?),
            start: date(&row.text("start_date")?)?,
            end: row.opt_text("end_date")?.map(|d| date(&d)).transpose()?,
            end_kind: row
                .opt_text("end_kind")?
                .map(|k| code(&k, EndKind::from_code))
                .transpose()?,
            mode: code(&row.text("mode")?, StayMode::from_code)?,
        })
    }
}

/// The base row of a care plan; its history lives in `care_plan_status_changes`
/// and is attached by [`load_care_plan_history`].
impl Record for CarePlan {
    const TABLE: &'static str = "care_plans";
    const KIND: &'static str = "care_plan";
    const COLUMNS: &'static [&'static str] = &[
        "person_id",
        "establishment_id",
        "stay_id",
        "title",
        "objectives",
        "participants",
        "person_agreement_on",
        "structure_agreement_on",
    ];
    fn id(&self) -> i64 {
        self.id.0
    }
    fn set_id(&mut self, id: i64) {
        self.id = CarePlanId(id);
    }
    fn organisation(&self) -> OrganisationId {
        self.organisation_id
    }
    fn person(&self) -> Option<PersonId> {
        Some(self.person_id)
    }
    fn values(&self) -> Vec<Value> {
        vec![
            self.person_id.0.into(),
            self.establishment_id.0.into(),
            self.stay_id.0.into(),
            self.title.as_str().into(),
            json(&self.objectives).into(),
            json(&self.participants).into(),
            self.person_agreement_on.into(),
            self.structure_agreement_on.into(),
        ]
    }
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(CarePlan {
            id: CarePlanId(row.int("id")?),
            organisation_id: OrganisationId(row.int("organisation_id")?),
            person_id: PersonId(row.int("person_id")?),
            establishment_id: EstablishmentId(row.int("establishment_id")?),
            stay_id: StayId(row.int("stay_id")?),
            title: row.text("title")?,
            objectives: from_json(&row.text("objectives")?)?,
            participants: from_json(&row.text("participants")?)?,
            person_agreement_on: row
                .opt_text("person_agreement_on")?
                .map(|d| date(&d))
                .transpose()?,
            structure_agreement_on: row
                .opt_text("structure_agreement_on")?
                .map(|d| date(&d))
                .transpose()?,
            history: Vec::new(),
        })
    }
}

/// Attaches their status history to care plans (ordered by instant, then by
/// insertion order for changes at the same instant).
pub(crate) async fn load_care_plan_history(
    conn: &mut AnyConnection,
    plans: &mut [CarePlan],
) -> Result<()> {
    if plans.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = plans.iter().map(|p| p.id.0.to_string()).collect();
    // Ids are integers from our own rows: safe to inline.
    let sql = format!(
        "SELECT care_plan_id, status, at_us, by_professional FROM care_plan_status_changes \
         WHERE care_plan_id IN ({}) ORDER BY care_plan_id, at_us, id",
        ids.join(", ")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    let mut by_plan: HashMap<i64, Vec<CarePlanStatusChange>> = HashMap::new();
    for row in &rows {
        by_plan
            .entry(row.int("care_plan_id")?)
            .or_default()
            .push(CarePlanStatusChange {
                status: code(&row.text("status")?, CarePlanStatus::from_code)?,
                at: ts(row.int("at_us")?)?,
                by: row.opt_int("by_professional")?.map(ProfessionalId),
            });
    }
    for plan in plans {
        plan.history = by_plan.remove(&plan.id.0).unwrap_or_default();
    }
    Ok(())
}

impl Record for Event {
    const TABLE: &'static str = "events";
    const KIND: &'static str = "event";
    const COLUMNS: &'static [&'static str] = &[
        "person_id",
        "establishment_id",
        "kind",
        "at_us",
        "author_id",
        "text",
    ];
    fn id(&self) -> i64 {
        self.id.0
    }
    fn set_id(&mut self, id: i64) {
        self.id = EventId(id);
    }
    fn organisation(&self) -> OrganisationId {
        self.organisation_id
    }
    fn person(&self) -> Option<PersonId> {
        Some(self.person_id)
    }
    fn values(&self) -> Vec<Value> {
        vec![
            self.person_id.0.into(),
            self.establishment_id.0.into(),
            self.kind.code().into(),
            self.at.into(),
            self.author_id.map(|a| a.0).into(),
            self.text.as_str().into(),
        ]
    }
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Event {
            id: EventId(row.int("id")?),
            organisation_id: OrganisationId(row.int("organisation_id")?),
            person_id: PersonId(row.int("person_id")?),
            establishment_id: EstablishmentId(row.int("establishment_id")?),
            kind: code(&row.text("kind")?, EventKind::from_code)?,
            at: ts(row.int("at_us")?)?,
            author_id: row.opt_int("author_id")?.map(ProfessionalId),
            text: row.text("text")?,
        })
    }
}

impl Record for Appointment {
    const TABLE: &'static str = "appointments";
    const KIND: &'static str = "appointment";
    const COLUMNS: &'static [&'static str] = &[
        "person_id",
        "establishment_id",
        "kind",
        "title",
        "starts_at_us",
        "ends_at_us",
        "status",
        "reason",
        "professional_id",
    ];
    fn id(&self) -> i64 {
        self.id.0
    }
    fn set_id(&mut self, id: i64) {
        self.id = AppointmentId(id);
    }
    fn organisation(&self) -> OrganisationId {
        self.organisation_id
    }
    fn person(&self) -> Option<PersonId> {
        Some(self.person_id)
    }
    fn values(&self) -> Vec<Value> {
        vec![
            self.person_id.0.into(),
            self.establishment_id.0.into(),
            self.kind.code().into(),
            self.title.as_str().into(),
            self.starts_at.into(),
            self.ends_at.into(),
            self.status.code().into(),
            self.reason.clone().into(),
            self.professional_id.map(|p| p.0).into(),
        ]
    }
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Appointment {
            id: AppointmentId(row.int("id")?),
            organisation_id: OrganisationId(row.int("organisation_id")?),
            person_id: PersonId(row.int("person_id")?),
            establishment_id: EstablishmentId(row.int("establishment_id")?),
            kind: code(&row.text("kind")?, AppointmentKind::from_code)?,
            title: row.text("title")?,
            starts_at: ts(row.int("starts_at_us")?)?,
            ends_at: ts(row.int("ends_at_us")?)?,
            status: code(&row.text("status")?, AppointmentStatus::from_code)?,
            reason: row.opt_text("reason")?,
            professional_id: row.opt_int("professional_id")?.map(ProfessionalId),
        })
    }
}

impl Record for Document {
    const TABLE: &'static str = "documents";
    const KIND: &'static str = "document";
    const COLUMNS: &'static [&'static str] = &[
        "person_id",
        "establishment_id",
        "type_code",
        "title",
        "media_type",
        "sha256",
        "size",
        "added_at_us",
        "added_by",
        "dmp_status",
        "dmp_status_at_us",
        "dmp_objection",
    ];
    fn id(&self) -> i64 {
        self.id.0
    }
    fn set_id(&mut self, id: i64) {
        self.id = DocumentId(id);
    }
    fn organisation(&self) -> OrganisationId {
        self.organisation_id
    }
    fn person(&self) -> Option<PersonId> {
        Some(self.person_id)
    }
    fn values(&self) -> Vec<Value> {
        vec![
            self.person_id.0.into(),
            self.establishment_id.0.into(),
            self.type_code.code().into(),
            self.title.as_str().into(),
            self.media_type.as_str().into(),
            self.sha256.as_str().into(),
            self.size.into(),
            self.added_at.into(),
            self.added_by.map(|p| p.0).into(),
            self.dmp_status.code().into(),
            self.dmp_status_at.into(),
            self.dmp_objection.into(),
        ]
    }
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Document {
            id: DocumentId(row.int("id")?),
            organisation_id: OrganisationId(row.int("organisation_id")?),
            person_id: PersonId(row.int("person_id")?),
            establishment_id: EstablishmentId(row.int("establishment_id")?),
            type_code: code(&row.text("type_code")?, DocumentType::from_code)?,
            title: row.text("title")?,
            media_type: row.text("media_type")?,
            sha256: row.text("sha256")?,
            size: row.int("size")?,
            added_at: ts(row.int("added_at_us")?)?,
            added_by: row.opt_int("added_by")?.map(ProfessionalId),
            dmp_status: code(&row.text("dmp_status")?, DmpStatus::from_code)?,
            dmp_status_at: row.opt_int("dmp_status_at_us")?.map(ts).transpose()?,
            dmp_objection: row.int("dmp_objection")? != 0,
        })
    }
}

impl Record for MssMessage {
    const TABLE: &'static str = "messages";
    const KIND: &'static str = "message";
    const COLUMNS: &'static [&'static str] = &[
        "establishment_id",
        "person_id",
        "sender_id",
        "sent_at_us",
        "recipients",
        "subject",
        "document_ids",
    ];
    fn id(&self) -> i64 {
        self.id.0
    }
    fn set_id(&mut self, id: i64) {
        self.id = MessageId(id);
    }
    fn organisation(&self) -> OrganisationId {
        self.organisation_id
    }
    fn person(&self) -> Option<PersonId> {
        self.person_id
    }
    fn values(&self) -> Vec<Value> {
        vec![
            self.establishment_id.0.into(),
            self.person_id.map(|p| p.0).into(),
            self.sender_id.map(|p| p.0).into(),
            self.sent_at.into(),
            json(&self.recipients).into(),
            self.subject.as_str().into(),
            json(&self.document_ids).into(),
        ]
    }
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(MssMessage {
            id: MessageId(row.int("id")?),
            organisation_id: OrganisationId(row.int("organisation_id")?),
            establishment_id: EstablishmentId(row.int("establishment_id")?),
            person_id: row.opt_int("person_id")?.map(PersonId),
            sender_id: row.opt_int("sender_id")?.map(ProfessionalId),
            sent_at: ts(row.int("sent_at_us")?)?,
            recipients: from_json(&row.text("recipients")?)?,
            subject: row.text("subject")?,
            document_ids: from_json(&row.text("document_ids")?)?,
        })
    }
}
