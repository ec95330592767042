//! The `collect_proof*` tables: insert a proof with its first check, append a
//! check or a review, and read proofs back with their history. Only inserts:
//! no statement here updates or deletes a row.

use std::collections::BTreeMap;

use carnet_core::Finess;
use carnet_store::Db;
use jiff::Timestamp;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::{
    Assessment, Attachment, CheckRecord, Decision, Filter, Outcome, Proof, ProofError, ProofState,
    Review, ReviewRecord,
};
use crate::Period;
use crate::versions::{ArchiveError, sha256_hex};

fn corrupt(what: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Corrupt(what.to_string())
}

fn json_list(items: &[String]) -> Result<String, ArchiveError> {
    serde_json::to_string(items).map_err(corrupt)
}

/// Stores the file (once per content), the proof and its first check.
pub(super) async fn insert(
    db: &Db,
    galis: &str,
    attachment: &Attachment<'_>,
    assessment: &Assessment,
    retention_years: i16,
) -> Result<i64, ProofError> {
    let sha256 = sha256_hex(attachment.bytes);
    let day = attachment
        .at
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let retain_until = day
        .checked_add(
            jiff::Span::new()
                .try_years(retention_years)
                .map_err(corrupt)?,
        )
        .map_err(corrupt)?;
    let size = i64::try_from(attachment.bytes.len()).map_err(corrupt)?;
    let mut tx = db.begin_write().await.map_err(ArchiveError::from)?;
    sqlx::query(
        "INSERT INTO collect_files (sha256, size, content) VALUES ($1, $2, $3) \
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256.clone())
    .bind(size)
    .bind(attachment.bytes.to_vec())
    .execute(&mut *tx)
    .await
    .map_err(ArchiveError::from)?;
    let row = sqlx::query(
        "INSERT INTO collect_proofs (galis, finess, period_start, period_end, file_name, \
         file_sha256, attached_by, attached_at_us, retain_until) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(galis.to_owned())
    .bind(attachment.finess.to_string())
    .bind(attachment.period.start.to_string())
    .bind(attachment.period.end.to_string())
    .bind(attachment.file_name.to_owned())
    .bind(sha256)
    .bind(attachment.by.to_owned())
    .bind(attachment.at.as_microsecond())
    .bind(retain_until.to_string())
    .fetch_one(&mut *tx)
    .await
    .map_err(ArchiveError::from)?;
    let id: i64 = row.try_get("id").map_err(ArchiveError::from)?;
    check_statement(id, assessment, attachment.by, attachment.at)?
        .execute(&mut *tx)
        .await
        .map_err(ArchiveError::from)?;
    tx.commit().await.map_err(ArchiveError::from)?;
    Ok(id)
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

fn check_statement(
    proof_id: i64,
    assessment: &Assessment,
    by: &str,
    at: Timestamp,
) -> Result<AnyQuery<'static>, ArchiveError> {
    let proof_json = assessment
        .data
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(corrupt)?;
    Ok(sqlx::query(
        "INSERT INTO collect_proof_checks (proof_id, outcome, reasons_json, remarks_json, \
         proof_json, signer, version_id, checked_by, checked_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(proof_id)
    .bind(assessment.outcome.code())
    .bind(json_list(&assessment.reasons)?)
    .bind(json_list(&assessment.remarks)?)
    .bind(proof_json)
    .bind(assessment.signer.clone())
    .bind(assessment.version_id)
    .bind(by.to_owned())
    .bind(at.as_microsecond()))
}

/// Appends a check to a stored proof.
pub(super) async fn insert_check(
    db: &Db,
    proof_id: i64,
    assessment: &Assessment,
    by: &str,
    at: Timestamp,
) -> Result<(), ProofError> {
    let mut tx = db.begin_write().await.map_err(ArchiveError::from)?;
    check_statement(proof_id, assessment, by, at)?
        .execute(&mut *tx)
        .await
        .map_err(ArchiveError::from)?;
    tx.commit().await.map_err(ArchiveError::from)?;
    Ok(())
}

/// Appends a review to a stored proof.
pub(super) async fn insert_review(
    db: &Db,
    proof_id: i64,
    review: &Review<'_>,
) -> Result<(), ProofError> {
    let mut tx = db.begin_write().await.map_err(ArchiveError::from)?;
    sqlx::query(
        "INSERT INTO collect_proof_reviews (proof_id, decision, comment, reviewer, \
         reviewed_at_us) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(proof_id)
    .bind(review.decision.code())
    .bind(review.comment.trim().to_owned())
    .bind(review.reviewer.trim().to_owned())
    .bind(review.at.as_microsecond())
    .execute(&mut *tx)
    .await
    .map_err(ArchiveError::from)?;
    tx.commit().await.map_err(ArchiveError::from)?;
    Ok(())
}

fn instant(us: i64) -> Result<Timestamp, ArchiveError> {
    Timestamp::from_microsecond(us).map_err(corrupt)
}

fn date(text: &str) -> Result<jiff::civil::Date, ArchiveError> {
    text.parse()
        .map_err(|e| corrupt(format!("date « {text} » : {e}")))
}

fn proof_from(row: &AnyRow) -> Result<Proof, ArchiveError> {
    let finess: String = row.try_get("finess")?;
    let start: String = row.try_get("period_start")?;
    let end: String = row.try_get("period_end")?;
    let retain: String = row.try_get("retain_until")?;
    Ok(Proof {
        id: row.try_get("id")?,
        galis: row.try_get("galis")?,
        finess: Finess::parse(&finess).map_err(corrupt)?,
        period: Period {
            start: date(&start)?,
            end: date(&end)?,
        },
        file_name: row.try_get("file_name")?,
        file_sha256: row.try_get("file_sha256")?,
        attached_by: row.try_get("attached_by")?,
        attached_at: instant(row.try_get("attached_at_us")?)?,
        retain_until: date(&retain)?,
    })
}

fn check_from(row: &AnyRow) -> Result<(i64, CheckRecord), ArchiveError> {
    let outcome: String = row.try_get("outcome")?;
    let reasons: String = row.try_get("reasons_json")?;
    let remarks: String = row.try_get("remarks_json")?;
    Ok((
        row.try_get("proof_id")?,
        CheckRecord {
            id: row.try_get("id")?,
            outcome: Outcome::parse(&outcome)
                .ok_or_else(|| corrupt(format!("résultat de contrôle « {outcome} »")))?,
            reasons: serde_json::from_str(&reasons).map_err(corrupt)?,
            remarks: serde_json::from_str(&remarks).map_err(corrupt)?,
            proof_json: row.try_get("proof_json")?,
            signer: row.try_get("signer")?,
            version_id: row.try_get("version_id")?,
            by: row.try_get("checked_by")?,
            at: instant(row.try_get("checked_at_us")?)?,
        },
    ))
}

fn review_from(row: &AnyRow) -> Result<(i64, ReviewRecord), ArchiveError> {
    let decision: String = row.try_get("decision")?;
    Ok((
        row.try_get("proof_id")?,
        ReviewRecord {
            id: row.try_get("id")?,
            decision: Decision::parse(&decision)
                .ok_or_else(|| corrupt(format!("décision « {decision} »")))?,
            comment: row.try_get("comment")?,
            reviewer: row.try_get("reviewer")?,
            at: instant(row.try_get("reviewed_at_us")?)?,
        },
    ))
}

const PROOF_COLUMNS: &str = "id, galis, finess, period_start, period_end, file_name, file_sha256, \
     attached_by, attached_at_us, retain_until";

/// A value of a condition, typed as its column.
#[derive(Debug, Clone)]
enum Value {
    Id(i64),
    Text(String),
}

/// The condition on `collect_proofs` and its values, in bind order.
struct Selection {
    clause: String,
    values: Vec<Value>,
}

impl Selection {
    fn new(conditions: &[(&str, Option<Value>)]) -> Self {
        let mut parts = Vec::new();
        let mut values = Vec::new();
        for (column, value) in conditions {
            if let Some(value) = value {
                values.push(value.clone());
                parts.push(format!("{column} = ${}", values.len()));
            }
        }
        let clause = if parts.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", parts.join(" AND "))
        };
        Self { clause, values }
    }

    async fn fetch(&self, db: &Db, sql: String) -> Result<Vec<AnyRow>, ArchiveError> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in &self.values {
            query = match v {
                Value::Id(id) => query.bind(*id),
                Value::Text(text) => query.bind(text.clone()),
            };
        }
        Ok(query.fetch_all(db.pool()).await?)
    }
}

/// One proof with its checks and reviews.
pub async fn get(db: &Db, id: i64) -> Result<Option<ProofState>, ArchiveError> {
    let selection = Selection::new(&[("id", Some(Value::Id(id)))]);
    Ok(select(db, &selection).await?.pop())
}

/// The proofs of a project and/or an establishment (all without a filter),
/// by project, FINESS, period and attachment, each with its history.
pub async fn list(db: &Db, filter: &Filter<'_>) -> Result<Vec<ProofState>, ArchiveError> {
    let selection = Selection::new(&[
        (
            "galis",
            filter.galis.map(|g| Value::Text(g.trim().to_owned())),
        ),
        ("finess", filter.finess.map(|f| Value::Text(f.to_string()))),
        (
            "period_start",
            filter.period.map(|p| Value::Text(p.start.to_string())),
        ),
        (
            "period_end",
            filter.period.map(|p| Value::Text(p.end.to_string())),
        ),
    ]);
    select(db, &selection).await
}

/// The selected proofs, each with every check and review, oldest first; the
/// history tables are read for the selected proofs only.
async fn select(db: &Db, selection: &Selection) -> Result<Vec<ProofState>, ArchiveError> {
    let clause = &selection.clause;
    let proofs = selection
        .fetch(
            db,
            format!(
                "SELECT {PROOF_COLUMNS} FROM collect_proofs {clause} \
                 ORDER BY galis, finess, period_start, period_end, id"
            ),
        )
        .await?
        .iter()
        .map(proof_from)
        .collect::<Result<Vec<_>, _>>()?;
    let mut checks: BTreeMap<i64, Vec<CheckRecord>> = BTreeMap::new();
    for row in selection
        .fetch(
            db,
            format!(
                "SELECT id, proof_id, outcome, reasons_json, remarks_json, proof_json, signer, \
                 version_id, checked_by, checked_at_us FROM collect_proof_checks \
                 WHERE proof_id IN (SELECT id FROM collect_proofs {clause}) ORDER BY id"
            ),
        )
        .await?
    {
        let (proof_id, check) = check_from(&row)?;
        checks.entry(proof_id).or_default().push(check);
    }
    let mut reviews: BTreeMap<i64, Vec<ReviewRecord>> = BTreeMap::new();
    for row in selection
        .fetch(
            db,
            format!(
                "SELECT id, proof_id, decision, comment, reviewer, reviewed_at_us \
                 FROM collect_proof_reviews \
                 WHERE proof_id IN (SELECT id FROM collect_proofs {clause}) ORDER BY id"
            ),
        )
        .await?
    {
        let (proof_id, review) = review_from(&row)?;
        reviews.entry(proof_id).or_default().push(review);
    }
    Ok(proofs
        .into_iter()
        .map(|proof| ProofState {
            checks: checks.remove(&proof.id).unwrap_or_default(),
            reviews: reviews.remove(&proof.id).unwrap_or_default(),
            proof,
        })
        .collect())
}
