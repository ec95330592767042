//! Write paths and scoped reads. Each write: validate the record's own rules,
//! check that what it points to exists in the organisation and in the caller's
//! establishments, write, append the audit entry — one transaction. Each read of
//! a person's data appends a `read`/`list` audit entry.

use super::generic::{self, Record};
use super::{Page, load_care_plan_history};
use crate::activity::{self, Touch};
use crate::audit::{AuditAction, AuditWriter, Outcome};
use crate::values::Value;
use crate::{Db, Result, StoreError, WriteCtx};
use carnet_core::model::*;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

/// What a caller may see: one organisation, and within it either every
/// establishment (`None`) or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub organisation: OrganisationId,
    pub establishments: Option<Vec<EstablishmentId>>,
    /// For roles that only see the persons assigned to them (intervenant
    /// extérieur): those persons; `None` for everyone else.
    pub persons: Option<Vec<PersonId>>,
}

impl Scope {
    pub fn whole(organisation: OrganisationId) -> Self {
        Self {
            organisation,
            establishments: None,
            persons: None,
        }
    }

    /// `column IN (…)` for a scope limited to assigned persons.
    pub(crate) fn person_condition(&self, column: &str) -> String {
        match &self.persons {
            None => "1 = 1".to_owned(),
            Some(list) if list.is_empty() => "1 = 0".to_owned(),
            Some(list) => {
                let ids: Vec<String> = list.iter().map(|p| p.0.to_string()).collect();
                format!("{column} IN ({})", ids.join(", "))
            }
        }
    }

    pub fn allows(&self, establishment: EstablishmentId) -> bool {
        self.establishments
            .as_ref()
            .is_none_or(|list| list.contains(&establishment))
    }

    /// `column IN (…)` for a restricted scope, `TRUE`-like otherwise. Ids are
    /// integers, so inlining them cannot inject anything.
    pub(crate) fn condition(&self, column: &str) -> String {
        match &self.establishments {
            None => "1 = 1".to_owned(),
            Some(list) if list.is_empty() => "1 = 0".to_owned(),
            Some(list) => {
                let ids: Vec<String> = list.iter().map(|e| e.0.to_string()).collect();
                format!("{column} IN ({})", ids.join(", "))
            }
        }
    }
}

/// A record attached to a person in an establishment.
pub trait Attached: Record {
    fn establishment(&self) -> EstablishmentId;
    fn check(&self) -> Vec<FieldError>;
    /// What the activity index must learn of this record.
    fn touch(&self) -> Touch<'_>;
}

macro_rules! attached {
    ($($t:ty => $touch:ident),*) => {$(
        impl Attached for $t {
            fn establishment(&self) -> EstablishmentId { self.establishment_id }
            fn check(&self) -> Vec<FieldError> { self.validate() }
            fn touch(&self) -> Touch<'_> { Touch::$touch(self) }
        }
    )*};
}
attached!(Stay => Stay, Event => Event, Appointment => Appointment, Document => Document, MssMessage => Message);

fn invalid(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(errors))
    }
}

fn resource<R: Record>(id: i64) -> String {
    format!("{}/{id}", R::KIND)
}

/// Filters of list endpoints.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub person: Option<PersonId>,
    pub establishment: Option<EstablishmentId>,
}

/// Filters of the person list.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    pub establishment: Option<EstablishmentId>,
    /// Name search, accent- and case-insensitive.
    pub name: Option<String>,
    pub birth_date: Option<jiff::civil::Date>,
    pub ins: Option<String>,
    /// Present on this day (a stay covering it) or, with `false`, gone.
    pub present_on: Option<(jiff::civil::Date, bool)>,
}

impl Db {
    pub(crate) async fn person_visible(
        conn: &mut AnyConnection,
        scope: &Scope,
        person: PersonId,
    ) -> Result<bool> {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM persons p WHERE p.id = $1 AND p.organisation_id = $2 AND {} AND ({})",
            scope.person_condition("p.id"),
            match scope.establishments {
                None => "1 = 1".to_owned(),
                Some(_) => format!(
                    "EXISTS (SELECT 1 FROM stays s WHERE s.person_id = p.id AND {})",
                    scope.condition("s.establishment_id")
                ),
            }
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(person.0)
            .bind(scope.organisation.0)
            .fetch_one(&mut *conn)
            .await?;
        Ok(crate::values::RowExt::int(&row, "n")? > 0)
    }

    async fn establishment_exists(
        conn: &mut AnyConnection,
        scope: &Scope,
        e: EstablishmentId,
    ) -> Result<bool> {
        if !scope.allows(e) {
            return Ok(false);
        }
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM establishments WHERE id = $1 AND organisation_id = $2",
        )
        .bind(e.0)
        .bind(scope.organisation.0)
        .fetch_one(&mut *conn)
        .await?;
        Ok(crate::values::RowExt::int(&row, "n")? > 0)
    }

    async fn has_stay_in(
        conn: &mut AnyConnection,
        person: PersonId,
        e: EstablishmentId,
    ) -> Result<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM stays WHERE person_id = $1 AND establishment_id = $2",
        )
        .bind(person.0)
        .bind(e.0)
        .fetch_one(&mut *conn)
        .await?;
        Ok(crate::values::RowExt::int(&row, "n")? > 0)
    }

    /// The checks every attached record passes before being written.
    async fn check_attached<R: Attached>(
        conn: &mut AnyConnection,
        scope: &Scope,
        record: &R,
    ) -> Result<()> {
        invalid(record.check())?;
        if record.organisation() != scope.organisation {
            return Err(StoreError::Conflict(
                "l'enregistrement appartient à un autre organisme".into(),
            ));
        }
        let e = record.establishment();
        if !Self::establishment_exists(conn, scope, e).await? {
            return Err(StoreError::Conflict(format!(
                "établissement {e} inconnu ou hors de vos établissements"
            )));
        }
        if let Some(person) = record.person() {
            let is_stay = R::KIND == "stay";
            // A stay may admit a person not yet visible in the caller's scope.
            let visible = if is_stay {
                Self::person_visible(conn, &Scope::whole(scope.organisation), person).await?
            } else {
                Self::person_visible(conn, scope, person).await?
            };
            if !visible {
                return Err(StoreError::Conflict(format!(
                    "personne {person} inconnue ou hors de vos établissements"
                )));
            }
            if !is_stay && !Self::has_stay_in(conn, person, e).await? {
                return Err(StoreError::Conflict(format!(
                    "la personne {person} n'a aucun séjour dans l'établissement {e}"
                )));
            }
        }
        Ok(())
    }

    /// Creates a record attached to a person; the database assigns its id.
    pub async fn create<R: Attached>(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        mut record: R,
    ) -> Result<R> {
        let fast =
            R::KIND != "stay" && record.person().is_some() && scope.allows(record.establishment());
        // The fast path's first statement is its insert: it may take the
        // write lock itself.
        let mut tx = if fast {
            self.begin_insert().await?
        } else {
            self.begin_write().await?
        };
        // The index marks, known before the insert, let the record's
        // statements go in three sends (`activity::fused`).
        // Only a time zone already known: reading it here would put a read
        // before the insert in SQLite's plain `BEGIN` (`begin_insert`). The
        // plain path below learns it for the next writes.
        let fused = match fast && self.activity_writes {
            true => self
                .known_time_zone(record.establishment())
                .and_then(|tz| activity::PersonMarks::of(&record, &tz)),
            false => None,
        };
        let mut inserted = None;
        let id = if fast {
            invalid(record.check())?;
            if record.organisation() != scope.organisation {
                return Err(StoreError::Conflict(
                    "l'enregistrement appartient à un autre organisme".into(),
                ));
            }
            // The write path of every note: one statement checks and inserts;
            // the detailed checks only run to explain a refusal.
            let id = match &fused {
                Some(marks) => activity::fused::insert(&mut tx, self.backend, &record, marks)
                    .await?
                    .map(|done| inserted.insert(done).id),
                None => generic::insert_if_stay(&mut tx, &record).await?,
            };
            match id {
                Some(id) => id,
                None => {
                    Self::check_attached(&mut tx, scope, &record).await?;
                    return Err(StoreError::Conflict("référence refusée".into()));
                }
            }
        } else {
            Self::check_attached(&mut tx, scope, &record).await?;
            generic::insert(&mut tx, &record, false).await?
        };
        record.set_id(id);
        let before = match (&fused, &inserted) {
            (Some(marks), Some(inserted)) => {
                activity::fused::month_writes(&mut tx, self.backend, marks, inserted).await?
            }
            _ => {
                if self.activity_writes {
                    activity::on_insert(self, &mut tx, &record).await?;
                }
                None
            }
        };
        self.audit_in_after(
            &mut tx,
            before,
            ctx,
            scope.organisation,
            AuditAction::Create,
            record.person(),
            &resource::<R>(id),
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Replaces a record; its person and establishment cannot change.
    /// `None` when it does not exist in the caller's scope.
    pub async fn update<R: Attached>(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        record: R,
    ) -> Result<Option<R>> {
        let mut tx = self.begin_write().await?;
        let Some(existing) = generic::get::<R>(&mut tx, scope.organisation, record.id()).await?
        else {
            return Ok(None);
        };
        if !Self::visible::<R>(&mut tx, scope, &existing).await? {
            return Ok(None);
        }
        if existing.person() != record.person()
            || existing.establishment() != record.establishment()
        {
            return Err(StoreError::Conflict(
                "la personne et l'établissement d'un enregistrement ne peuvent pas changer".into(),
            ));
        }
        Self::check_attached(&mut tx, scope, &record).await?;
        generic::update(&mut tx, &record).await?;
        if let Some(person) = record.person() {
            let message = matches!(record.touch(), Touch::Message(_));
            activity::rebuild_record(&mut tx, record.establishment(), person, message).await?;
        }
        self.audit_in(
            &mut tx,
            ctx,
            scope.organisation,
            AuditAction::Update,
            record.person(),
            &resource::<R>(record.id()),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(record))
    }

    async fn visible<R: Attached>(
        conn: &mut AnyConnection,
        scope: &Scope,
        record: &R,
    ) -> Result<bool> {
        if !scope.allows(record.establishment()) {
            return Ok(false);
        }
        match record.person() {
            Some(p) => Self::person_visible(conn, scope, p).await,
            None => Ok(true),
        }
    }

    /// Reads one record in the caller's scope, and records the read.
    pub async fn read<R: Attached>(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        id: i64,
    ) -> Result<Option<R>> {
        let mut tx = self.begin_write().await?;
        let found = match generic::get::<R>(&mut tx, scope.organisation, id).await? {
            Some(r) if Self::visible::<R>(&mut tx, scope, &r).await? => Some(r),
            _ => None,
        };
        if let Some(record) = &found {
            self.audit_in(
                &mut tx,
                ctx,
                scope.organisation,
                AuditAction::Read,
                record.person(),
                &resource::<R>(id),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(found)
    }

    /// Lists records in the caller's scope, and records the listing.
    pub async fn list<R: Attached>(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        filter: &ListFilter,
        page: Page,
    ) -> Result<Vec<R>> {
        let mut tx = self.begin_write().await?;
        let mut condition = format!(
            "organisation_id = $1 AND {} AND {}",
            scope.condition("establishment_id"),
            scope.person_condition("person_id")
        );
        let mut values = vec![Value::from(scope.organisation.0)];
        if let Some(e) = filter.establishment {
            values.push(Value::from(e.0));
            condition.push_str(&format!(" AND establishment_id = ${}", values.len()));
        }
        if let Some(p) = filter.person {
            if !Self::person_visible(&mut tx, scope, p).await? {
                return Ok(Vec::new());
            }
            values.push(Value::from(p.0));
            condition.push_str(&format!(" AND person_id = ${}", values.len()));
        } else if scope.establishments.is_some() && R::KIND != "stay" {
            // Records of persons who never stayed in the caller's establishments
            // stay hidden even if attached to one of them by mistake.
            condition.push_str(&format!(
                " AND person_id IN (SELECT person_id FROM stays WHERE {})",
                scope.condition("establishment_id")
            ));
        }
        let records = generic::list::<R>(&mut tx, &condition, values, page).await?;
        let mut audit = AuditWriter::open(self, &mut tx, scope.organisation).await?;
        let what = match (filter.person, filter.establishment) {
            (Some(p), _) => format!("{}s?person={p}", R::KIND),
            (None, Some(e)) => format!("{}s?establishment={e}", R::KIND),
            (None, None) => format!("{}s", R::KIND),
        };
        audit
            .append(
                &mut tx,
                ctx.now,
                &ctx.actor,
                AuditAction::List,
                filter.person,
                &what,
                Outcome::Ok,
            )
            .await?;
        audit.close(&mut tx).await?;
        tx.commit().await?;
        Ok(records)
    }

    // ----- persons -----

    /// Creates a person, with their first stay when given (a person is visible
    /// to a restricted user only through a stay in one of their establishments).
    pub async fn create_person(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        mut person: Person,
        admission: Option<Stay>,
    ) -> Result<(Person, Option<Stay>)> {
        let mut tx = self.begin_write().await?;
        if let Some(stay) = &admission {
            // The index lock before the audit chain's head, as every other
            // write takes them: in the other order two admissions deadlock.
            activity::lock_index(&mut tx, stay.establishment_id).await?;
        }
        let demo = self.organisation_demo(&mut tx, scope.organisation).await?;
        invalid(person.validate(demo))?;
        if person.organisation_id != scope.organisation {
            return Err(StoreError::Conflict(
                "la personne appartient à un autre organisme".into(),
            ));
        }
        if admission.is_none() && scope.establishments.is_some() {
            return Err(StoreError::Conflict(
                "indiquez l'admission (établissement, date, mode) : sans séjour dans l'un de vos établissements, vous ne verriez pas ce dossier".into(),
            ));
        }
        let id = generic::insert(&mut tx, &person, false).await?;
        person.set_id(id);
        let mut audit = AuditWriter::open(self, &mut tx, scope.organisation).await?;
        audit
            .append(
                &mut tx,
                ctx.now,
                &ctx.actor,
                AuditAction::Create,
                Some(person.id),
                &resource::<Person>(id),
                Outcome::Ok,
            )
            .await?;
        let stay = match admission {
            Some(mut stay) => {
                stay.person_id = person.id;
                stay.organisation_id = scope.organisation;
                Self::check_attached(&mut tx, scope, &stay).await?;
                let stay_id = generic::insert(&mut tx, &stay, false).await?;
                stay.set_id(stay_id);
                activity::on_insert(self, &mut tx, &stay).await?;
                audit
                    .append(
                        &mut tx,
                        ctx.now,
                        &ctx.actor,
                        AuditAction::Create,
                        Some(person.id),
                        &resource::<Stay>(stay_id),
                        Outcome::Ok,
                    )
                    .await?;
                Some(stay)
            }
            None => None,
        };
        audit.close(&mut tx).await?;
        tx.commit().await?;
        Ok((person, stay))
    }

    async fn organisation_demo(
        &self,
        conn: &mut AnyConnection,
        organisation: OrganisationId,
    ) -> Result<bool> {
        let org = generic::get::<Organisation>(conn, organisation, organisation.0).await?;
        org.map(|o| o.demo)
            .ok_or_else(|| StoreError::Conflict(format!("organisation {organisation} inconnue")))
    }

    pub async fn update_person(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        person: Person,
    ) -> Result<Option<Person>> {
        let mut tx = self.begin_write().await?;
        if person.organisation_id != scope.organisation
            || !Self::person_visible(&mut tx, scope, person.id).await?
        {
            return Ok(None);
        }
        let demo = self.organisation_demo(&mut tx, scope.organisation).await?;
        invalid(person.validate(demo))?;
        generic::update(&mut tx, &person).await?;
        self.audit_in(
            &mut tx,
            ctx,
            scope.organisation,
            AuditAction::Update,
            Some(person.id),
            &resource::<Person>(person.id.0),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(person))
    }

    pub async fn read_person(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        id: PersonId,
    ) -> Result<Option<Person>> {
        let mut tx = self.begin_write().await?;
        if !Self::person_visible(&mut tx, scope, id).await? {
            return Ok(None);
        }
        let person = generic::get::<Person>(&mut tx, scope.organisation, id.0).await?;
        self.audit_in(
            &mut tx,
            ctx,
            scope.organisation,
            AuditAction::Read,
            Some(id),
            &resource::<Person>(id.0),
        )
        .await?;
        tx.commit().await?;
        Ok(person)
    }

    pub async fn list_persons(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        filter: &PersonFilter,
        page: Page,
    ) -> Result<Vec<Person>> {
        let mut tx = self.begin_write().await?;
        let mut values = vec![Value::from(scope.organisation.0)];
        let mut condition = format!("organisation_id = $1 AND {}", scope.person_condition("id"));
        let mut stay_conditions = Vec::new();
        if scope.establishments.is_some() {
            stay_conditions.push(scope.condition("establishment_id"));
        }
        if let Some(e) = filter.establishment {
            values.push(Value::from(e.0));
            stay_conditions.push(format!("establishment_id = ${}", values.len()));
        }
        if let Some((day, present)) = filter.present_on {
            values.push(Value::from(day));
            let n = values.len();
            let covering = format!("start_date <= ${n} AND (end_date IS NULL OR end_date >= ${n})");
            if present {
                stay_conditions.push(covering);
            } else {
                condition.push_str(&format!(
                    " AND id NOT IN (SELECT person_id FROM stays WHERE {covering})"
                ));
            }
        }
        if !stay_conditions.is_empty() {
            condition.push_str(&format!(
                " AND id IN (SELECT person_id FROM stays WHERE {})",
                stay_conditions.join(" AND ")
            ));
        }
        if let Some(name) = &filter.name {
            for word in carnet_core::text::fold(name)
                .split(' ')
                .filter(|w| !w.is_empty())
            {
                values.push(Value::from(format!("%{}%", word.replace(['%', '_'], ""))));
                condition.push_str(&format!(" AND search_key LIKE ${}", values.len()));
            }
        }
        if let Some(d) = filter.birth_date {
            values.push(Value::from(d));
            condition.push_str(&format!(" AND birth_date = ${}", values.len()));
        }
        if let Some(ins) = &filter.ins {
            values.push(Value::from(ins.replace(' ', "").to_uppercase()));
            condition.push_str(&format!(" AND ins_matricule = ${}", values.len()));
        }
        let persons = generic::list::<Person>(&mut tx, &condition, values, page).await?;
        self.audit_in(
            &mut tx,
            ctx,
            scope.organisation,
            AuditAction::List,
            None,
            "persons",
        )
        .await?;
        tx.commit().await?;
        Ok(persons)
    }

    // ----- care plans -----

    pub async fn create_care_plan(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        mut plan: CarePlan,
    ) -> Result<CarePlan> {
        let mut tx = self.begin_write().await?;
        invalid(plan.validate())?;
        let stay = generic::get::<Stay>(&mut tx, scope.organisation, plan.stay_id.0).await?;
        let Some(stay) = stay.filter(|s| {
            s.person_id == plan.person_id && s.establishment_id == plan.establishment_id
        }) else {
            return Err(StoreError::Conflict(format!(
                "séjour {} inconnu, ou d'une autre personne ou d'un autre établissement",
                plan.stay_id
            )));
        };
        Self::check_attached(&mut tx, scope, &stay).await?;
        // SPEC.md §2.4: one projet personnalisé in force per stay at a time.
        let mut others = generic::list::<CarePlan>(
            &mut tx,
            "organisation_id = $1 AND stay_id = $2",
            vec![
                Value::from(scope.organisation.0),
                Value::from(plan.stay_id.0),
            ],
            Page::new(None, Some(Page::MAX_LIMIT)),
        )
        .await?;
        load_care_plan_history(&mut tx, &mut others).await?;
        if let Some(other) = others
            .iter()
            .find(|o| o.current_status() != Some(CarePlanStatus::Termine))
        {
            return Err(StoreError::Conflict(format!(
                "le séjour {} a déjà un projet personnalisé en vigueur (n° {}) : terminez-le d'abord",
                plan.stay_id, other.id
            )));
        }
        let id = generic::insert(&mut tx, &plan, false).await?;
        plan.set_id(id);
        for change in &plan.history {
            insert_status_change(&mut tx, plan.organisation_id, plan.id, change).await?;
        }
        activity::rebuild_record(&mut tx, plan.establishment_id, plan.person_id, false).await?;
        self.audit_in(
            &mut tx,
            ctx,
            scope.organisation,
            AuditAction::Create,
            Some(plan.person_id),
            &resource::<CarePlan>(id),
        )
        .await?;
        tx.commit().await?;
        Ok(plan)
    }

    async fn care_plan_in_scope(
        conn: &mut AnyConnection,
        scope: &Scope,
        id: CarePlanId,
    ) -> Result<Option<CarePlan>> {
        let Some(mut plan) = generic::get::<CarePlan>(conn, scope.organisation, id.0).await? else {
            return Ok(None);
        };
        if !scope.allows(plan.establishment_id)
            || !Self::person_visible(conn, scope, plan.person_id).await?
        {
            return Ok(None);
        }
        load_care_plan_history(conn, std::slice::from_mut(&mut plan)).await?;
        Ok(Some(plan))
    }

    /// Updates the fields of a care plan (not its history: see
    /// [`Db::change_care_plan_status`]).
    pub async fn update_care_plan(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        mut plan: CarePlan,
    ) -> Result<Option<CarePlan>> {
        let mut tx = self.begin_write().await?;
        let Some(existing) = Self::care_plan_in_scope(&mut tx, scope, plan.id).await? else {
            return Ok(None);
        };
        if existing.person_id != plan.person_id
            || existing.stay_id != plan.stay_id
            || existing.establishment_id != plan.establishment_id
        {
            return Err(StoreError::Conflict(
                "la personne et le séjour d'un projet ne peuvent pas changer".into(),
            ));
        }
        plan.history = existing.history;
        invalid(plan.validate())?;
        generic::update(&mut tx, &plan).await?;
        activity::rebuild_record(&mut tx, plan.establishment_id, plan.person_id, false).await?;
        self.audit_in(
            &mut tx,
            ctx,
            scope.organisation,
            AuditAction::Update,
            Some(plan.person_id),
            &resource::<CarePlan>(plan.id.0),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(plan))
    }

    /// Appends a dated status change to a care plan.
    pub async fn change_care_plan_status(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        id: CarePlanId,
        change: CarePlanStatusChange,
    ) -> Result<Option<CarePlan>> {
        let mut tx = self.begin_write().await?;
        let Some(mut plan) = Self::care_plan_in_scope(&mut tx, scope, id).await? else {
            return Ok(None);
        };
        plan.history.push(change.clone());
        invalid(plan.validate())?;
        insert_status_change(&mut tx, plan.organisation_id, plan.id, &change).await?;
        activity::rebuild_record(&mut tx, plan.establishment_id, plan.person_id, false).await?;
        self.audit_in(
            &mut tx,
            ctx,
            scope.organisation,
            AuditAction::Update,
            Some(plan.person_id),
            &resource::<CarePlan>(id.0),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(plan))
    }

    pub async fn read_care_plan(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        id: CarePlanId,
    ) -> Result<Option<CarePlan>> {
        let mut tx = self.begin_write().await?;
        let plan = Self::care_plan_in_scope(&mut tx, scope, id).await?;
        if let Some(plan) = &plan {
            self.audit_in(
                &mut tx,
                ctx,
                scope.organisation,
                AuditAction::Read,
                Some(plan.person_id),
                &resource::<CarePlan>(id.0),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(plan)
    }

    pub async fn list_care_plans(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        filter: &ListFilter,
        page: Page,
    ) -> Result<Vec<CarePlan>> {
        let mut tx = self.begin_write().await?;
        let mut condition = format!(
            "organisation_id = $1 AND {} AND {}",
            scope.condition("establishment_id"),
            scope.person_condition("person_id")
        );
        let mut values = vec![Value::from(scope.organisation.0)];
        if let Some(e) = filter.establishment {
            values.push(Value::from(e.0));
            condition.push_str(&format!(" AND establishment_id = ${}", values.len()));
        }
        if let Some(p) = filter.person {
            values.push(Value::from(p.0));
            condition.push_str(&format!(" AND person_id = ${}", values.len()));
        }
        let mut plans = generic::list::<CarePlan>(&mut tx, &condition, values, page).await?;
        load_care_plan_history(&mut tx, &mut plans).await?;
        self.audit_in(
            &mut tx,
            ctx,
            scope.organisation,
            AuditAction::List,
            filter.person,
            "care_plans",
        )
        .await?;
        tx.commit().await?;
        Ok(plans)
    }

    // ----- documents -----

    /// Stores a document and its content (content-addressed: the same file is
    /// kept once per organisation). `sha256` and `size` are computed here.
    pub async fn create_document(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        mut document: Document,
        content: Vec<u8>,
    ) -> Result<Document> {
        document.sha256 = hex::encode(Sha256::digest(&content));
        document.size = i64::try_from(content.len()).unwrap_or(i64::MAX);
        let mut tx = self.begin_write().await?;
        Self::check_attached(&mut tx, scope, &document).await?;
        put_blob(&mut tx, scope.organisation, &document.sha256, content).await?;
        let id = generic::insert(&mut tx, &document, false).await?;
        document.set_id(id);
        activity::on_insert(self, &mut tx, &document).await?;
        self.audit_in(
            &mut tx,
            ctx,
            scope.organisation,
            AuditAction::Create,
            Some(document.person_id),
            &resource::<Document>(id),
        )
        .await?;
        tx.commit().await?;
        Ok(document)
    }

    /// The content of a document in scope, and records the download.
    pub async fn document_content(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        id: DocumentId,
    ) -> Result<Option<(Document, Vec<u8>)>> {
        let mut tx = self.begin_write().await?;
        let document = match generic::get::<Document>(&mut tx, scope.organisation, id.0).await? {
            Some(d) if Self::visible(&mut tx, scope, &d).await? => d,
            _ => return Ok(None),
        };
        let row =
            sqlx::query("SELECT content FROM blobs WHERE organisation_id = $1 AND sha256 = $2")
                .bind(scope.organisation.0)
                .bind(document.sha256.clone())
                .fetch_optional(&mut *tx)
                .await?;
        let Some(row) = row else {
            return Err(StoreError::corrupt(format!(
                "contenu du document {id} absent"
            )));
        };
        let content = crate::values::RowExt::bytes(&row, "content")?;
        self.audit_in(
            &mut tx,
            ctx,
            scope.organisation,
            AuditAction::Download,
            Some(document.person_id),
            &resource::<Document>(id.0),
        )
        .await?;
        tx.commit().await?;
        Ok(Some((document, content)))
    }

    // ----- organisation, establishments, professionals (operator commands) -----

    pub async fn create_organisation(
        &self,
        ctx: &WriteCtx,
        organisation: Organisation,
    ) -> Result<Organisation> {
        invalid(organisation.validate())?;
        let mut tx = self.begin_write().await?;
        generic::insert(&mut tx, &organisation, true).await?;
        crate::audit::create_head(&mut tx, organisation.id).await?;
        self.audit_in(
            &mut tx,
            ctx,
            organisation.id,
            AuditAction::Create,
            None,
            &resource::<Organisation>(organisation.id.0),
        )
        .await?;
        tx.commit().await?;
        Ok(organisation)
    }

    pub async fn create_establishment(
        &self,
        ctx: &WriteCtx,
        mut establishment: Establishment,
    ) -> Result<Establishment> {
        invalid(establishment.validate())?;
        let mut tx = self.begin_write().await?;
        let keep_id = establishment.id.0 != 0;
        let id = generic::insert(&mut tx, &establishment, keep_id).await?;
        establishment.set_id(id);
        self.audit_in(
            &mut tx,
            ctx,
            establishment.organisation_id,
            AuditAction::Create,
            None,
            &resource::<Establishment>(id),
        )
        .await?;
        tx.commit().await?;
        Ok(establishment)
    }

    pub async fn create_professional(
        &self,
        ctx: &WriteCtx,
        mut professional: Professional,
    ) -> Result<Professional> {
        invalid(professional.validate())?;
        let mut tx = self.begin_write().await?;
        let keep_id = professional.id.0 != 0;
        let id = generic::insert(&mut tx, &professional, keep_id).await?;
        professional.set_id(id);
        self.audit_in(
            &mut tx,
            ctx,
            professional.organisation_id,
            AuditAction::Create,
            None,
            &resource::<Professional>(id),
        )
        .await?;
        tx.commit().await?;
        Ok(professional)
    }

    pub async fn organisations(&self) -> Result<Vec<Organisation>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} ORDER BY id",
            generic::select_sql::<Organisation>()
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Organisation::from_row).collect()
    }

    pub async fn establishments(&self, scope: &Scope) -> Result<Vec<Establishment>> {
        let sql = format!(
            "{} WHERE organisation_id = $1 AND {} ORDER BY id",
            generic::select_sql::<Establishment>(),
            scope.condition("id")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(scope.organisation.0)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Establishment::from_row).collect()
    }

    pub async fn professionals(&self, organisation: OrganisationId) -> Result<Vec<Professional>> {
        let sql = format!(
            "{} WHERE organisation_id = $1 ORDER BY id",
            generic::select_sql::<Professional>()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(organisation.0)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Professional::from_row).collect()
    }
}

pub(crate) async fn insert_status_change(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    plan: CarePlanId,
    change: &CarePlanStatusChange,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO care_plan_status_changes (organisation_id, care_plan_id, status, at_us, by_professional) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(organisation.0)
    .bind(plan.0)
    .bind(change.status.code())
    .bind(crate::values::us(change.at))
    .bind(change.by.map(|b| b.0))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores a content once per organisation.
pub(crate) async fn put_blob(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    sha256: &str,
    content: Vec<u8>,
) -> Result<()> {
    sqlx::query("INSERT INTO blobs (organisation_id, sha256, content) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(organisation.0)
        .bind(sha256.to_owned())
        .bind(content)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
