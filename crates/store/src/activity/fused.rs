//! The write path of a new record of one person (`Db::create`: an event,
//! an appointment, a document, a message about someone): the statements of
//! `generic::insert_if_stay`, `on_insert` and the audit entry, sent in three
//! sends instead of six or seven.
//!
//! Each send is a round trip: to the server on PostgreSQL, to the
//! connection's thread on SQLite (sqlx runs SQLite in a thread of its own per
//! connection, and waking it costs more than most of our statements). The
//! raw driver's insert takes three (`BEGIN`, `INSERT`, `COMMIT`), so the
//! round trips were most of what a note cost beyond it. Here:
//! 1. [`insert`]: the record's insert with its stay check and the record's
//!    first day (`lower_exists_from`); on PostgreSQL after the index lock
//!    (`lock_index`), in one statement whose CTEs each read the previous one
//!    so they run in that order; on SQLite, whose writes are one at a time
//!    anyway, as statements of one query that also reads the month blobs;
//! 2. [`month_writes`]: on PostgreSQL the month blobs are read in a statement
//!    of their own (taken after the lock, it sees what the writers that held
//!    the lock before committed); the marks are added in Rust, and the blob
//!    writes are returned…
//! 3. …for the audit entry's statement to run first
//!    (`AuditWriter::append_after`).

use super::codec::MonthBlob;
use super::{
    Or, PersonMarks, add_to_month, index_lock_key, load_months, months_of, opt_blob,
    refresh_record, save_month, upsert_blob_sql,
};
use crate::audit::Before;
use crate::records::{Record, insert_if_stay_sql};
use crate::values::{RowExt, Value, bind_all};
use crate::{Backend, Result};
use carnet_core::indicators;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A record inserted by [`insert`].
pub(crate) struct Inserted {
    pub id: i64,
    /// The record's first day moved earlier (or it is the person's first
    /// record here): the establishment's records blob must be refreshed.
    lowered: bool,
    /// The month blobs of the record's marks, when read with the insert
    /// (SQLite); PostgreSQL reads them after the lock (`month_writes`).
    months: Option<Vec<Option<Vec<u8>>>>,
}

/// Statement 1. `None` when the person has no stay in the record's
/// establishment: nothing was written (the caller explains the refusal).
pub(crate) async fn insert<R: Record>(
    conn: &mut AnyConnection,
    backend: Backend,
    record: &R,
    marks: &PersonMarks,
) -> Result<Option<Inserted>> {
    let from = match backend {
        Backend::Postgres => " FROM index_lock",
        Backend::Sqlite => "",
    };
    let Some((insert, mut values)) = insert_if_stay_sql(record, from) else {
        return Ok(None);
    };
    let n = values.len();
    let first = marks.marks.iter().map(|m| m.day).min();
    if let Some(first) = first {
        values.push(Value::from(marks.establishment.0));
        values.push(Value::from(marks.person.0));
        values.push(Value::from(first.to_string()));
    }
    // `$1` is the organisation (`insert_if_stay_sql`).
    let lower = |condition: &str| {
        format!(
            "INSERT INTO activity_records (organisation_id, establishment_id, person_id, exists_from) \
             SELECT $1, ${}, ${}, ${} {condition} \
             ON CONFLICT (establishment_id, person_id) DO UPDATE SET exists_from = excluded.exists_from \
             WHERE excluded.exists_from < activity_records.exists_from",
            n + 1,
            n + 2,
            n + 3
        )
    };
    match backend {
        Backend::Postgres => {
            values.push(Value::from(index_lock_key(marks.establishment)));
            let mut sql = format!(
                "WITH index_lock AS (SELECT pg_advisory_xact_lock(${})), inserted AS ({insert})",
                values.len()
            );
            let lowered = match first {
                Some(_) => {
                    sql.push_str(&format!(
                        ", lowered AS ({} RETURNING 1)",
                        lower("FROM inserted")
                    ));
                    "(SELECT count(*) FROM lowered)"
                }
                None => "CAST(0 AS BIGINT)",
            };
            sql.push_str(&format!(
                " SELECT (SELECT id FROM inserted) AS id, {lowered} AS lowered"
            ));
            let row = bind_all(sqlx::query(AssertSqlSafe(sql)), values)
                .fetch_one(&mut *conn)
                .await?;
            let Some(id) = row.opt_int("id")? else {
                return Ok(None);
            };
            Ok(Some(Inserted {
                id,
                lowered: row.int("lowered")? > 0,
                months: None,
            }))
        }
        Backend::Sqlite => {
            // Several statements in one query: sqlx's SQLite driver runs
            // them in turn, in its connection's thread, each taking its
            // `$n` from the one list of parameters. `changes()` is the
            // previous statement's count: the first day is only lowered if
            // the record was inserted, and said if it was.
            let mut sql = format!("{insert}; ");
            let lowered = match first {
                Some(_) => {
                    sql.push_str(&lower("WHERE changes() = 1"));
                    sql.push_str("; ");
                    "changes()"
                }
                None => "0",
            };
            sql.push_str(&format!("SELECT {lowered} AS lowered"));
            let rows = indicators::fold_marks(marks.marks.iter().copied());
            let months = months_of(&rows, marks.message);
            values.push(Value::from(marks.establishment.0));
            let establishment = values.len();
            for (i, month) in months.iter().enumerate() {
                values.push(Value::from(i64::from(month.ordinal())));
                sql.push_str(&format!(
                    ", (SELECT data FROM activity_months WHERE establishment_id = ${establishment} AND month = ${}) AS m{i}",
                    values.len()
                ));
            }
            let mut id = None;
            let mut lowered = false;
            let mut blobs = Vec::with_capacity(months.len());
            for row in bind_all(sqlx::query(AssertSqlSafe(sql)), values)
                .fetch_all(&mut *conn)
                .await?
            {
                if row.try_column("lowered").is_err() {
                    id = Some(row.int("id")?);
                    continue;
                }
                lowered = row.int("lowered")? > 0;
                for i in 0..months.len() {
                    blobs.push(opt_blob(&row, &format!("m{i}"))?.map(<[u8]>::to_vec));
                }
            }
            Ok(id.map(|id| Inserted {
                id,
                lowered,
                months: Some(blobs),
            }))
        }
    }
}

/// Statement 2 (PostgreSQL): the record's marks added to its month blobs;
/// the writes of the blobs that changed, to be sent with the audit entry
/// (`None` when none changed: the days were already marked).
pub(crate) async fn month_writes(
    conn: &mut AnyConnection,
    backend: Backend,
    marks: &PersonMarks,
    inserted: &Inserted,
) -> Result<Option<Before>> {
    let PersonMarks {
        organisation,
        establishment,
        person,
        ..
    } = *marks;
    if inserted.lowered {
        refresh_record(conn, organisation, establishment, person).await?;
    }
    let rows = indicators::fold_marks(marks.marks.iter().copied());
    let mut statements = Vec::new();
    let mut values = Vec::new();
    for (i, month) in months_of(&rows, marks.message).into_iter().enumerate() {
        let ordinal = month.ordinal();
        let mut blob = match &inserted.months {
            Some(read) => match read.get(i) {
                Some(Some(data)) => MonthBlob::decode(data)?,
                _ => MonthBlob::default(),
            },
            None => load_months(conn, establishment, Some(month))
                .await?
                .remove(&ordinal)
                .unwrap_or_default(),
        };
        let changed = add_to_month(&mut blob, person, &rows, month, marks.message);
        if changed == Or::Unchanged {
            continue;
        }
        let summary = changed == Or::Entry;
        if blob.is_empty() {
            // Marks only add: a blob cannot become empty here, but if it
            // did, `save_month` deletes it.
            save_month(conn, organisation, establishment, ordinal, &blob, summary).await?;
            continue;
        }
        let mut write = |table: &str, data: Vec<u8>| {
            statements.push(upsert_blob_sql(table, values.len() + 1));
            values.push(Value::from(organisation.0));
            values.push(Value::from(establishment.0));
            values.push(Value::from(i64::from(ordinal)));
            values.push(Value::Bytes(data));
        };
        write("activity_months", blob.encode());
        if summary {
            write("activity_summaries", blob.summary());
        }
    }
    if statements.is_empty() {
        return Ok(None);
    }
    Ok(Some(match backend {
        Backend::Postgres => Before {
            sql: format!(
                "WITH {} ",
                statements
                    .iter()
                    .enumerate()
                    .map(|(i, s)| format!("w{i} AS ({s})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            values,
            rows: 0,
        },
        // Each upsert changes one row.
        Backend::Sqlite => Before {
            rows: statements.len() as u64,
            sql: statements.iter().map(|s| format!("{s}; ")).collect(),
            values,
        },
    }))
}
