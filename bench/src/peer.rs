//! The peer: sqlx's native drivers (`SqlitePool`, `PgPool`, not `Any`) writing
//! the same event rows into the same database, with nothing of ours between.
//!
//! Each driver gets its own placeholders (`?` for SQLite, `$n` for PostgreSQL):
//! sqlx's SQLite driver is much slower with numbered ones on wide statements.

use carnet_core::model::Event;
use sqlx::{AssertSqlSafe, Row};
use std::time::{Duration, Instant};

/// Rows per multi-row statement: the same as our import (`BATCH` in
/// `carnet-store`'s interchange module).
pub const ROWS_PER_STATEMENT: usize = 2000;

fn dollar(n: usize) -> String {
    format!("${n}")
}

fn question(_: usize) -> String {
    "?".to_owned()
}

fn tuple(first: usize, width: usize, placeholder: fn(usize) -> String) -> String {
    let params: Vec<String> = (first..first + width).map(placeholder).collect();
    format!("({})", params.join(", "))
}

fn insert_one_sql(placeholder: fn(usize) -> String) -> String {
    format!(
        "INSERT INTO events (organisation_id, person_id, establishment_id, kind, at_us, author_id, text) VALUES {}",
        tuple(1, 7, placeholder)
    )
}

fn multi_row_sql(rows: usize, placeholder: fn(usize) -> String) -> String {
    let width = 8;
    let tuples: Vec<String> = (0..rows)
        .map(|r| tuple(1 + r * width, width, placeholder))
        .collect();
    format!(
        "INSERT INTO events (id, organisation_id, person_id, establishment_id, kind, at_us, author_id, text) VALUES {}",
        tuples.join(", ")
    )
}

macro_rules! peer {
    ($module:ident, $pool:ty, $placeholder:expr) => {
        pub mod $module {
            use super::*;

            /// One `INSERT` per transaction, the database assigns the id.
            pub async fn single(pool: &$pool, events: &[Event]) -> anyhow::Result<Duration> {
                let sql = insert_one_sql($placeholder);
                let started = Instant::now();
                for e in events {
                    let mut tx = pool.begin().await?;
                    sqlx::query(AssertSqlSafe(sql.as_str()))
                        .bind(e.organisation_id.0)
                        .bind(e.person_id.0)
                        .bind(e.establishment_id.0)
                        .bind(e.kind.code())
                        .bind(e.at.as_microsecond())
                        .bind(e.author_id.map(|a| a.0))
                        .bind(e.text.as_str())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
                Ok(started.elapsed())
            }

            /// Multi-row inserts of the events with their own ids, one transaction.
            pub async fn batched(pool: &$pool, events: &[Event]) -> anyhow::Result<Duration> {
                let started = Instant::now();
                let mut tx = pool.begin().await?;
                for chunk in events.chunks(ROWS_PER_STATEMENT) {
                    let sql = multi_row_sql(chunk.len(), $placeholder);
                    let mut query = sqlx::query(AssertSqlSafe(sql));
                    for e in chunk {
                        query = query
                            .bind(e.id.0)
                            .bind(e.organisation_id.0)
                            .bind(e.person_id.0)
                            .bind(e.establishment_id.0)
                            .bind(e.kind.code())
                            .bind(e.at.as_microsecond())
                            .bind(e.author_id.map(|a| a.0))
                            .bind(e.text.as_str());
                    }
                    query.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(started.elapsed())
            }

            /// The largest event id, to number new batches past it.
            pub async fn max_event_id(pool: &$pool) -> anyhow::Result<i64> {
                let row = sqlx::query("SELECT COALESCE(MAX(id), 0) AS m FROM events")
                    .fetch_one(pool)
                    .await?;
                Ok(row.try_get("m")?)
            }
        }
    };
}

peer!(sqlite, sqlx::SqlitePool, question);
peer!(postgres, sqlx::PgPool, dollar);
