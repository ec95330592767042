//! The append-only audit log (DESIGN.md §4.5): who, when, what, on whose record,
//! with which outcome. Entries of one organisation form a chain: each carries the
//! SHA-256 of the previous one, and `audit_heads` holds the last, so that editing,
//! deleting or truncating entries is detected by [`crate::Db::verify_audit`].
//!
//! Entries are typed; they never hold names, notes or tokens, only ids.

use crate::values::{RowExt, Value, bind_all, ts, us};
use crate::{Db, Result, StoreError};
use carnet_core::model::{OrganisationId, PersonId, UserId};
use futures_util::TryStreamExt;
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

/// The hash a chain starts from.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    /// A command run by an operator (import, demo, …).
    System(&'static str),
}

impl Actor {
    fn code(&self) -> String {
        match self {
            Actor::User(id) => format!("user:{id}"),
            Actor::System(what) => format!("system:{what}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    Create,
    Update,
    Read,
    List,
    Download,
    Import,
    Export,
}

impl AuditAction {
    pub fn code(self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Read => "read",
            AuditAction::List => "list",
            AuditAction::Download => "download",
            AuditAction::Import => "import",
            AuditAction::Export => "export",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Refused,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
        }
    }
}

/// One audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub seq: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub person_id: Option<PersonId>,
    pub resource: String,
    pub outcome: String,
    pub prev_hash: String,
    pub hash: String,
}

#[allow(
    clippy::too_many_arguments,
    reason = "the canonical fields of an entry, in their hashing order"
)]
fn entry_hash(
    prev_hash: &str,
    organisation: i64,
    seq: i64,
    at_us: i64,
    actor: &str,
    action: &str,
    person: Option<i64>,
    resource: &str,
    outcome: &str,
) -> String {
    let person = person.map(|p| p.to_string()).unwrap_or_default();
    let canonical = format!(
        "{prev_hash}\n{organisation}\n{seq}\n{at_us}\n{actor}\n{action}\n{person}\n{resource}\n{outcome}"
    );
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Appends entries of one organisation inside a transaction. The first append
/// locks the organisation's chain head until the transaction ends (PostgreSQL:
/// `FOR UPDATE`, at the read of the head or in the insert from a cached head;
/// SQLite: one write transaction at a time).
pub(crate) struct AuditWriter {
    organisation: OrganisationId,
    seq: i64,
    hash: String,
    /// The head came from this process's cache: the first append checks it.
    cached: bool,
    heads: Heads,
    backend: crate::Backend,
}

/// Last known chain head of each organisation, per process. Only a hint: an
/// append from a stale cache inserts nothing and the head is read again.
pub(crate) type Heads =
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<i64, (i64, String)>>>;

async fn read_head(
    conn: &mut AnyConnection,
    backend: crate::Backend,
    organisation: OrganisationId,
) -> Result<(i64, String)> {
    let sql = match backend {
        crate::Backend::Postgres => {
            "SELECT seq, hash FROM audit_heads WHERE organisation_id = $1 FOR UPDATE"
        }
        crate::Backend::Sqlite => "SELECT seq, hash FROM audit_heads WHERE organisation_id = $1",
    };
    let row = sqlx::query(sql)
        .bind(organisation.0)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Err(StoreError::Conflict(format!(
            "organisation {organisation} inconnue"
        )));
    };
    Ok((row.int("seq")?, row.text("hash")?))
}

impl AuditWriter {
    pub(crate) async fn open(
        db: &Db,
        conn: &mut AnyConnection,
        organisation: OrganisationId,
    ) -> Result<Self> {
        let cached = db
            .heads
            .lock()
            .ok()
            .and_then(|h| h.get(&organisation.0).cloned());
        let (seq, hash, cached) = match cached {
            Some((seq, hash)) => (seq, hash, true),
            None => {
                let (seq, hash) = read_head(conn, db.backend, organisation).await?;
                (seq, hash, false)
            }
        };
        Ok(Self {
            organisation,
            seq,
            hash,
            cached,
            heads: db.heads.clone(),
            backend: db.backend,
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn append(
        &mut self,
        conn: &mut AnyConnection,
        at: Timestamp,
        actor: &Actor,
        action: AuditAction,
        person: Option<PersonId>,
        resource: &str,
        outcome: Outcome,
    ) -> Result<()> {
        self.append_after(conn, None, at, actor, action, person, resource, outcome)
            .await
    }

    /// `append`, whose first attempt also runs `before`: PostgreSQL
    /// data-modifying CTEs (`WITH a AS (…), b AS (…)` without the final
    /// statement) and their parameters, numbered from `$1`. One round trip
    /// instead of two for the writes that end a transaction. The CTEs run
    /// whether or not the entry is inserted, so a retry (the head moved)
    /// does not send them again.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn append_after(
        &mut self,
        conn: &mut AnyConnection,
        mut before: Option<(String, Vec<Value>)>,
        at: Timestamp,
        actor: &Actor,
        action: AuditAction,
        person: Option<PersonId>,
        resource: &str,
        outcome: Outcome,
    ) -> Result<()> {
        let actor = actor.code();
        let at_us = us(at);
        let person = person.map(|p| p.0);
        loop {
            let seq = self.seq + 1;
            let hash = entry_hash(
                &self.hash,
                self.organisation.0,
                seq,
                at_us,
                &actor,
                action.code(),
                person,
                resource,
                outcome.code(),
            );
            let (prefix, values) = before.take().unwrap_or_default();
            let sql = format!(
                "{prefix}{}",
                insert_sql(self.backend, self.cached, values.len())
            );
            let mut query = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), values)
                .bind(self.organisation.0)
                .bind(seq)
                .bind(at_us)
                .bind(actor.clone())
                .bind(action.code())
                .bind(person)
                .bind(resource.to_owned())
                .bind(outcome.code())
                .bind(self.hash.clone())
                .bind(hash.clone());
            if self.cached {
                query = query.bind(self.seq);
            }
            let done = query.execute(&mut *conn).await?;
            if done.rows_affected() == 1 {
                self.seq = seq;
                self.hash = hash;
                return Ok(());
            }
            let (seq, hash) = read_head(conn, self.backend, self.organisation).await?;
            self.seq = seq;
            self.hash = hash;
            self.cached = false;
        }
    }

    /// Remembers the head for the next transaction of this process.
    pub(crate) async fn close(self, _conn: &mut AnyConnection) -> Result<()> {
        if let Ok(mut heads) = self.heads.lock() {
            heads.insert(self.organisation.0, (self.seq, self.hash));
        }
        Ok(())
    }
}

/// The statement appending one entry, its parameters numbered after the
/// `offset` ones of a prefix. From a cached head, it inserts only if the head
/// is still the one the entry chains onto; the trigger of migration 0004 then
/// moves the head.
fn insert_sql(backend: crate::Backend, cached: bool, offset: usize) -> String {
    let p = |i: usize| format!("${}", offset + i);
    let values = (1..=10).map(p).collect::<Vec<_>>().join(", ");
    let columns =
        "organisation_id, seq, at_us, actor, action, person_id, resource, outcome, prev_hash, hash";
    if !cached {
        return format!("INSERT INTO audit_entries ({columns}) VALUES ({values})");
    }
    // On PostgreSQL the head row is locked as it is checked: a concurrent
    // append waits for the other transaction to end, then sees the moved
    // head, inserts nothing and the head is read again.
    let lock = match backend {
        crate::Backend::Sqlite => "",
        crate::Backend::Postgres => " FOR UPDATE",
    };
    format!(
        "INSERT INTO audit_entries ({columns}) SELECT {values} \
         WHERE EXISTS (SELECT 1 FROM audit_heads WHERE organisation_id = {} AND seq = {} AND hash = {}{lock})",
        p(1),
        p(11),
        p(9)
    )
}

/// Creates the chain head of a new organisation.
pub(crate) async fn create_head(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_heads (organisation_id, seq, hash) VALUES ($1, 0, $2)")
        .bind(organisation.0)
        .bind(GENESIS)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The first place where the chain of an organisation is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditProblem {
    pub organisation_id: OrganisationId,
    /// Id of the row at fault, when there is one.
    pub entry_id: Option<i64>,
    pub seq: i64,
    pub message: String,
}

impl std::fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "organisation {}, entrée n° {}",
            self.organisation_id, self.seq
        )?;
        if let Some(id) = self.entry_id {
            write!(f, " (ligne id {id} de audit_entries)")?;
        }
        write!(f, " : {}", self.message)
    }
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.int("id")?,
        organisation_id: OrganisationId(row.int("organisation_id")?),
        seq: row.int("seq")?,
        at: ts(row.int("at_us")?)?,
        actor: row.text("actor")?,
        action: row.text("action")?,
        person_id: row.opt_int("person_id")?.map(PersonId),
        resource: row.text("resource")?,
        outcome: row.text("outcome")?,
        prev_hash: row.text("prev_hash")?,
        hash: row.text("hash")?,
    })
}

const ENTRY_COLUMNS: &str =
    "id, organisation_id, seq, at_us, actor, action, person_id, resource, outcome, prev_hash, hash";

impl Db {
    /// Recomputes every chain; returns the first problem of each organisation
    /// (empty when the log is intact). `on_entry` is called for progress.
    pub async fn verify_audit(&self, mut on_entry: impl FnMut()) -> Result<Vec<AuditProblem>> {
        let heads: Vec<(i64, i64, String)> = {
            let rows = sqlx::query(
                "SELECT organisation_id, seq, hash FROM audit_heads ORDER BY organisation_id",
            )
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| Ok((r.int("organisation_id")?, r.int("seq")?, r.text("hash")?)))
                .collect::<Result<_>>()?
        };
        let mut problems = Vec::new();
        for (organisation, head_seq, head_hash) in heads {
            let sql = format!(
                "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE organisation_id = $1 ORDER BY seq"
            );
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(organisation)
                .fetch(&self.pool);
            let mut expected_seq = 1;
            let mut prev = GENESIS.to_owned();
            let mut problem = None;
            while let Some(row) = rows.try_next().await? {
                on_entry();
                let entry = entry_from_row(&row)?;
                let fail = |message: String| AuditProblem {
                    organisation_id: OrganisationId(organisation),
                    entry_id: Some(entry.id),
                    seq: entry.seq,
                    message,
                };
                if entry.seq != expected_seq {
                    problem = Some(fail(format!(
                        "l'entrée n° {expected_seq} manque (supprimée ?), la suivante trouvée est la n° {}",
                        entry.seq
                    )));
                    break;
                }
                if entry.prev_hash != prev {
                    problem = Some(fail("le lien vers l'entrée précédente est rompu".into()));
                    break;
                }
                let recomputed = entry_hash(
                    &entry.prev_hash,
                    organisation,
                    entry.seq,
                    us(entry.at),
                    &entry.actor,
                    &entry.action,
                    entry.person_id.map(|p| p.0),
                    &entry.resource,
                    &entry.outcome,
                );
                if recomputed != entry.hash {
                    problem = Some(fail(
                        "le contenu a été modifié : son empreinte ne correspond plus".into(),
                    ));
                    break;
                }
                prev = entry.hash;
                expected_seq += 1;
            }
            drop(rows);
            if problem.is_none() && (expected_seq - 1 != head_seq || prev != head_hash) {
                problem = Some(AuditProblem {
                    organisation_id: OrganisationId(organisation),
                    entry_id: None,
                    seq: head_seq,
                    message: format!(
                        "la chaîne s'arrête à l'entrée n° {} alors que la dernière enregistrée est la n° {head_seq} (entrées supprimées ?)",
                        expected_seq - 1
                    ),
                });
            }
            problems.extend(problem);
        }
        Ok(problems)
    }

    /// The audit entries about one person, newest first ("qui a consulté ce dossier").
    pub async fn audit_for_person(
        &self,
        organisation: OrganisationId,
        person: PersonId,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE organisation_id = $1 AND person_id = $2 ORDER BY seq DESC LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(organisation.0)
            .bind(person.0)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Appends one successful entry inside a write's transaction: the common
    /// case of every write path.
    pub(crate) async fn audit_in(
        &self,
        conn: &mut AnyConnection,
        ctx: &crate::WriteCtx,
        organisation: OrganisationId,
        action: AuditAction,
        person: Option<PersonId>,
        resource: &str,
    ) -> Result<()> {
        self.audit_in_after(conn, None, ctx, organisation, action, person, resource)
            .await
    }

    /// `audit_in` whose statement first runs `before`
    /// (`AuditWriter::append_after`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn audit_in_after(
        &self,
        conn: &mut AnyConnection,
        before: Option<(String, Vec<Value>)>,
        ctx: &crate::WriteCtx,
        organisation: OrganisationId,
        action: AuditAction,
        person: Option<PersonId>,
        resource: &str,
    ) -> Result<()> {
        let mut audit = AuditWriter::open(self, conn, organisation).await?;
        audit
            .append_after(
                conn,
                before,
                ctx.now,
                &ctx.actor,
                action,
                person,
                resource,
                Outcome::Ok,
            )
            .await?;
        audit.close(conn).await
    }

    /// Appends one entry in its own transaction (reads and refusals, which write
    /// nothing else).
    pub async fn audit(
        &self,
        ctx: &crate::WriteCtx,
        organisation: OrganisationId,
        action: AuditAction,
        person: Option<PersonId>,
        resource: &str,
        outcome: Outcome,
    ) -> Result<()> {
        if let Some(queue) = &self.audit_queue {
            // Committed with the other entries waiting now (audit_queue.rs).
            let (done, answer) = tokio::sync::oneshot::channel();
            let pending = crate::audit_queue::Pending {
                now: ctx.now,
                actor: ctx.actor.clone(),
                organisation,
                action,
                person,
                resource: resource.to_owned(),
                outcome,
                done,
            };
            queue
                .send(pending)
                .map_err(|_| crate::audit_queue::stopped())?;
            return answer.await.map_err(|_| crate::audit_queue::stopped())?;
        }
        let mut tx = self.begin_write().await?;
        let mut writer = AuditWriter::open(self, &mut tx, organisation).await?;
        writer
            .append(
                &mut tx, ctx.now, &ctx.actor, action, person, resource, outcome,
            )
            .await?;
        writer.close(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
