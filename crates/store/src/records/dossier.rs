//! The reads behind the web pages: a person's whole record in one transaction
//! with one audit entry (a page view is one access, not seven), and the
//! appointments of an establishment for a day or a week. The caller says which
//! parts the viewer's rights open; what is closed is never read.

use super::generic::{self, Record};
use super::{Scope, load_care_plan_history};
use crate::audit::{AuditAction, Outcome};
use crate::values::{Value, bind_all, us};
use crate::{Db, Result, WriteCtx};
use carnet_core::model::*;
use jiff::Timestamp;
use sqlx::{AnyConnection, AssertSqlSafe};

/// Which parts of a record the viewer may read.
#[derive(Debug, Clone, Default)]
pub struct DossierParts {
    /// Event kinds shown in the timeline (empty: no timeline).
    pub event_kinds: Vec<EventKind>,
    /// Document types listed (empty: no documents).
    pub document_types: Vec<DocumentType>,
    pub care_plans: bool,
    pub agenda: bool,
    pub messages: bool,
    /// Most recent events shown.
    pub events_limit: i64,
}

/// A person's record as the viewer may see it.
#[derive(Debug, Clone)]
pub struct Dossier {
    pub person: Person,
    pub stays: Vec<Stay>,
    pub care_plans: Vec<CarePlan>,
    /// Newest first.
    pub events: Vec<Event>,
    /// Newest first.
    pub appointments: Vec<Appointment>,
    pub documents: Vec<Document>,
    pub messages: Vec<MssMessage>,
}

fn codes<T: Copy>(items: &[T], code: impl Fn(T) -> &'static str) -> String {
    // Codes come from closed enums (letters and underscores): inlining them
    // cannot inject anything, and keeps one SQL text for both dialects.
    items
        .iter()
        .map(|&i| format!("'{}'", code(i)))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn rows<R: Record>(
    conn: &mut AnyConnection,
    condition: &str,
    values: Vec<Value>,
    order: &str,
    limit: Option<i64>,
) -> Result<Vec<R>> {
    let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    let sql = format!(
        "{} WHERE {condition} ORDER BY {order}{limit}",
        generic::select_sql::<R>()
    );
    let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), values)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(R::from_row).collect()
}

impl Db {
    /// A person's record, if the scope lets the viewer see the person; one
    /// `read` audit entry names the parts shown.
    pub async fn dossier(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        id: PersonId,
        parts: &DossierParts,
    ) -> Result<Option<Dossier>> {
        // Read in a plain (snapshot) transaction, then append the audit
        // entry in a short write transaction before anything is returned:
        // holding SQLite's write lock while reading would serialise every
        // page view.
        let mut tx = self.pool.begin().await?;
        if !Self::person_visible(&mut tx, scope, id).await? {
            return Ok(None);
        }
        let Some(person) = generic::get::<Person>(&mut tx, scope.organisation, id.0).await? else {
            return Ok(None);
        };
        let base = format!(
            "organisation_id = $1 AND person_id = $2 AND {}",
            scope.condition("establishment_id")
        );
        let values = || vec![Value::from(scope.organisation.0), Value::from(id.0)];
        let stays =
            rows::<Stay>(&mut tx, &base, values(), "start_date DESC, id DESC", None).await?;
        let mut care_plans = Vec::new();
        if parts.care_plans {
            care_plans = rows::<CarePlan>(&mut tx, &base, values(), "id DESC", None).await?;
            load_care_plan_history(&mut tx, &mut care_plans).await?;
        }
        let mut events = Vec::new();
        if !parts.event_kinds.is_empty() {
            let condition = format!(
                "{base} AND kind IN ({})",
                codes(&parts.event_kinds, EventKind::code)
            );
            events = rows::<Event>(
                &mut tx,
                &condition,
                values(),
                "at_us DESC, id DESC",
                Some(parts.events_limit.clamp(1, 500)),
            )
            .await?;
        }
        let mut appointments = Vec::new();
        if parts.agenda {
            appointments = rows::<Appointment>(
                &mut tx,
                &base,
                values(),
                "starts_at_us DESC, id DESC",
                Some(100),
            )
            .await?;
        }
        let mut documents = Vec::new();
        if !parts.document_types.is_empty() {
            let condition = format!(
                "{base} AND type_code IN ({})",
                codes(&parts.document_types, DocumentType::code)
            );
            documents = rows::<Document>(
                &mut tx,
                &condition,
                values(),
                "added_at_us DESC, id DESC",
                None,
            )
            .await?;
        }
        let mut messages = Vec::new();
        if parts.messages {
            messages = rows::<MssMessage>(
                &mut tx,
                &base,
                values(),
                "sent_at_us DESC, id DESC",
                Some(100),
            )
            .await?;
        }
        tx.commit().await?;
        self.audit(
            ctx,
            scope.organisation,
            AuditAction::Read,
            Some(id),
            &format!("dossier/{id}"),
            Outcome::Ok,
        )
        .await?;
        Ok(Some(Dossier {
            person,
            stays,
            care_plans,
            events,
            appointments,
            documents,
            messages,
        }))
    }

    /// The establishments of the person's stays that the scope lets the caller
    /// write in, `None` when the person is not visible. Ids only, not audited:
    /// used to file a new item, whose own write is audited.
    pub async fn person_establishments(
        &self,
        scope: &Scope,
        id: PersonId,
    ) -> Result<Option<Vec<EstablishmentId>>> {
        let mut conn = self.pool.acquire().await?;
        if !Self::person_visible(&mut conn, scope, id).await? {
            return Ok(None);
        }
        let stays = rows::<Stay>(
            &mut conn,
            &format!(
                "organisation_id = $1 AND person_id = $2 AND {}",
                scope.condition("establishment_id")
            ),
            vec![Value::from(scope.organisation.0), Value::from(id.0)],
            "start_date DESC, id DESC",
            None,
        )
        .await?;
        let mut ids: Vec<EstablishmentId> = Vec::new();
        for stay in stays {
            if !ids.contains(&stay.establishment_id) {
                ids.push(stay.establishment_id);
            }
        }
        Ok(Some(ids))
    }

    /// The appointments of one establishment in `[from, to)`, with the name of
    /// each person; one `list` audit entry.
    pub async fn agenda(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        establishment: EstablishmentId,
        (from, to): (Timestamp, Timestamp),
    ) -> Result<Vec<(Appointment, Person)>> {
        if !scope.allows(establishment) {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        let condition = format!(
            "organisation_id = $1 AND establishment_id = $2 AND starts_at_us >= $3 AND starts_at_us < $4 AND {}",
            scope.person_condition("person_id")
        );
        let values = vec![
            Value::from(scope.organisation.0),
            Value::from(establishment.0),
            Value::from(us(from)),
            Value::from(us(to)),
        ];
        let appointments =
            rows::<Appointment>(&mut tx, &condition, values, "starts_at_us, id", Some(2000))
                .await?;
        let mut ids: Vec<i64> = appointments.iter().map(|a| a.person_id.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut persons = Vec::new();
        if !ids.is_empty() {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            let condition = format!("organisation_id = $1 AND id IN ({})", list.join(", "));
            persons = rows::<Person>(
                &mut tx,
                &condition,
                vec![Value::from(scope.organisation.0)],
                "id",
                None,
            )
            .await?;
        }
        self.audit_in(
            &mut tx,
            ctx,
            scope.organisation,
            AuditAction::List,
            None,
            &format!("agenda?establishment={establishment}"),
        )
        .await?;
        tx.commit().await?;
        Ok(appointments
            .into_iter()
            .filter_map(|a| {
                let person = persons.iter().find(|p| p.id == a.person_id)?.clone();
                Some((a, person))
            })
            .collect())
    }

    /// Names of persons by id within the scope, for pages that link to records
    /// (the dashboard's explanation); one `list` audit entry.
    pub async fn person_names(
        &self,
        ctx: &WriteCtx,
        scope: &Scope,
        ids: &[PersonId],
    ) -> Result<Vec<(PersonId, String)>> {
        let mut tx = self.begin_write().await?;
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let list: Vec<String> = chunk.iter().map(|p| p.0.to_string()).collect();
            let condition = format!(
                "organisation_id = $1 AND id IN ({}) AND {} AND id IN (SELECT person_id FROM stays WHERE {})",
                list.join(", "),
                scope.person_condition("id"),
                scope.condition("establishment_id")
            );
            let persons = rows::<Person>(
                &mut tx,
                &condition,
                vec![Value::from(scope.organisation.0)],
                "id",
                None,
            )
            .await?;
            out.extend(persons.into_iter().map(|p| (p.id, p.display_name())));
        }
        self.audit_in(
            &mut tx,
            ctx,
            scope.organisation,
            AuditAction::List,
            None,
            "persons/noms",
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}
