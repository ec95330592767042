//! PostgreSQL's write path for a new record of one person (`Db::create`):
//! the statements of `generic::insert_if_stay`, `on_insert` and the audit
//! entry, sent as three instead of six or seven.
//!
//! On PostgreSQL each statement is a round trip to the server, and the raw
//! driver's insert takes three (`BEGIN`, `INSERT`, `COMMIT`): the round trips
//! were most of what a note cost beyond it. Here:
//! 1. [`insert`]: the index lock (`lock_index`), the record's insert with
//!    its stay check, and the record's first day (`lower_exists_from`), in
//!    one statement whose CTEs each read the previous one, so they run in
//!    that order;
//! 2. [`month_writes`]: the month blobs are read in a statement of their own
//!    (taken after the lock, it sees what the writers that held the lock
//!    before committed), the marks are added in Rust, and the blob writes
//!    come back as CTEs…
//! 3. …which the audit entry's statement runs first
//!    (`AuditWriter::append_after`).
//!
//! SQLite keeps the plain path: its statements are calls into the same
//! process, and it has no data-modifying CTEs.

use super::{
    Or, PersonMarks, add_to_month, index_lock_key, load_months, months_of, refresh_record,
    save_month, upsert_blob_sql,
};
use crate::Result;
use crate::records::{Record, insert_if_stay_sql};
use crate::values::{RowExt, Value, bind_all};
use carnet_core::indicators;
use sqlx::{AnyConnection, AssertSqlSafe};

/// A record inserted by [`insert`].
pub(crate) struct Inserted {
    pub id: i64,
    /// The record's first day moved earlier (or it is the person's first
    /// record here): the establishment's records blob must be refreshed.
    lowered: bool,
}

/// Statement 1. `None` when the person has no stay in the record's
/// establishment: nothing was written (the caller explains the refusal).
pub(crate) async fn insert<R: Record>(
    conn: &mut AnyConnection,
    record: &R,
    marks: &PersonMarks,
) -> Result<Option<Inserted>> {
    let Some((insert, mut values)) = insert_if_stay_sql(record, " FROM index_lock") else {
        return Ok(None);
    };
    let n = values.len();
    values.push(Value::from(index_lock_key(marks.establishment)));
    let mut sql = format!(
        "WITH index_lock AS (SELECT pg_advisory_xact_lock(${})), inserted AS ({insert})",
        n + 1
    );
    let lowered = match marks.marks.iter().map(|m| m.day).min() {
        Some(first) => {
            values.push(Value::from(marks.establishment.0));
            values.push(Value::from(marks.person.0));
            values.push(Value::from(first.to_string()));
            // `$1` is the organisation (`insert_if_stay_sql`).
            sql.push_str(&format!(
                ", lowered AS (INSERT INTO activity_records (organisation_id, establishment_id, person_id, exists_from) \
                 SELECT $1, ${}, ${}, ${} FROM inserted \
                 ON CONFLICT (establishment_id, person_id) DO UPDATE SET exists_from = excluded.exists_from \
                 WHERE excluded.exists_from < activity_records.exists_from RETURNING 1)",
                n + 2,
                n + 3,
                n + 4
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
    }))
}

/// Statement 2: the record's marks added to its month blobs; the writes of
/// the blobs that changed, as CTEs for the audit entry's statement (`None`
/// when none changed: the days were already marked).
pub(crate) async fn month_writes(
    conn: &mut AnyConnection,
    marks: &PersonMarks,
    inserted: &Inserted,
) -> Result<Option<(String, Vec<Value>)>> {
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
    let mut ctes = Vec::new();
    let mut values = Vec::new();
    for month in months_of(&rows, marks.message) {
        let mut blobs = load_months(conn, establishment, Some(month)).await?;
        let ordinal = month.ordinal();
        let blob = blobs.entry(ordinal).or_default();
        let changed = add_to_month(blob, person, &rows, month, marks.message);
        if changed == Or::Unchanged {
            continue;
        }
        let summary = changed == Or::Entry;
        if blob.is_empty() {
            // Marks only add: a blob cannot become empty here, but if it
            // did, `save_month` deletes it.
            save_month(conn, organisation, establishment, ordinal, blob, summary).await?;
            continue;
        }
        let mut write = |table: &str, data: Vec<u8>| {
            ctes.push(format!(
                "w{} AS ({})",
                ctes.len(),
                upsert_blob_sql(table, values.len() + 1)
            ));
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
    Ok((!ctes.is_empty()).then(|| (format!("WITH {} ", ctes.join(", ")), values)))
}
