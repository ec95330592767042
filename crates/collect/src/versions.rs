//! Declaration versions (issue 5 §4, SPEC.md §4.3): an accepted file becomes a
//! version of the declaration of its project and period, with who sent it and
//! when, the original file kept content-addressed by SHA-256, and the report.
//! A later file for the same project and period supersedes the earlier ones,
//! which all stay retrievable: this module has no delete, and every row carries
//! its retention date.
//!
//! It owns the `collect_*` tables, migrated by their own migrator (table
//! `_collect_migrations`) in the database of `carnet-store`, so that the two
//! crates' migration histories never interleave. It never reads the clock:
//! `received_at` comes in.

use std::borrow::Cow;

use carnet_core::Finess;
use carnet_store::{Backend, Db};
use jiff::Timestamp;
use jiff::civil::Date;
use sha2::{Digest, Sha256};
use sqlx::Row as _;
use sqlx::migrate::Migrator;

use crate::{Declaration, DeclaredRow, Period, Report};

/// Errors of the declaration archive. "Not found" is `Option`, never an error.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("erreur de la base de données")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Store(#[from] carnet_store::StoreError),
    #[error("mise à jour du schéma des déclarations impossible : {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data that cannot be read back (edited by hand, or a bug).
    #[error("donnée stockée illisible : {0}")]
    Corrupt(String),
}

fn corrupt(what: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Corrupt(what.to_string())
}

/// Who sent a file, when, and under which name.
#[derive(Debug, Clone)]
pub struct Submission<'a> {
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    /// The sender as the platform knows them (account, or "cli" for the command).
    pub sent_by: &'a str,
    pub received_at: Timestamp,
}

/// One stored version of a declaration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Version {
    pub id: i64,
    pub galis: String,
    pub siret: String,
    pub period: Period,
    /// 1 for the first file of this project and period, then 2, 3…
    pub version: i64,
    pub sent_by: String,
    pub received_at: Timestamp,
    pub file_name: String,
    pub file_sha256: String,
    pub report_sha256: String,
    /// Nothing of this version may be deleted before this day (SPEC.md §4.3).
    pub retain_until: Date,
}

/// Something wrong found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegrityProblem {
    /// The stored file does not hash to its address.
    FileAltered { sha256: String },
    /// A version points to a file that is not stored.
    FileMissing { version_id: i64, sha256: String },
    /// The stored report does not hash to the recorded value.
    ReportAltered { version_id: i64 },
}

impl std::fmt::Display for IntegrityProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntegrityProblem::FileAltered { sha256 } => {
                write!(
                    f,
                    "fichier {sha256} modifié : son contenu ne correspond plus à son empreinte"
                )
            }
            IntegrityProblem::FileMissing { version_id, sha256 } => {
                write!(f, "version {version_id} : fichier {sha256} manquant")
            }
            IntegrityProblem::ReportAltered { version_id } => write!(
                f,
                "version {version_id} : rapport de validation modifié depuis son enregistrement"
            ),
        }
    }
}

/// SHA-256 of some bytes, lower-case hex: the address of a stored file.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn migrator(backend: Backend) -> Migrator {
    let mut migrator = match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    // Its own history table: carnet-store's migrator must not see these.
    migrator.dangerous_set_table_name(Cow::Borrowed("_collect_migrations"));
    migrator
}

/// Brings the declaration tables to the latest migration. Idempotent.
pub async fn migrate(db: &Db) -> Result<(), ArchiveError> {
    migrator(db.backend()).run(db.pool()).await?;
    Ok(())
}

fn date_text(d: Date) -> String {
    d.to_string()
}

fn parse_date(text: &str) -> Result<Date, ArchiveError> {
    text.parse()
        .map_err(|e| corrupt(format!("date « {text} » : {e}")))
}

fn to_i64(n: u64) -> Result<i64, ArchiveError> {
    i64::try_from(n).map_err(|_| corrupt(format!("nombre trop grand : {n}")))
}

fn opt_i64(n: Option<u64>) -> Result<Option<i64>, ArchiveError> {
    n.map(to_i64).transpose()
}

fn opt_u64(n: Option<i64>) -> Result<Option<u64>, ArchiveError> {
    n.map(|v| u64::try_from(v).map_err(|_| corrupt(format!("nombre négatif : {v}"))))
        .transpose()
}

/// Stores an accepted declaration as the next version of its project and
/// period, in one transaction: the file (once per content), the version, its rows.
pub async fn store(
    db: &Db,
    declaration: &Declaration,
    submission: &Submission<'_>,
    retention_years: i16,
) -> Result<Version, ArchiveError> {
    let file_sha256 = sha256_hex(submission.bytes);
    let report_json = serde_json::to_string(&declaration.report).map_err(corrupt)?;
    let report_sha256 = sha256_hex(report_json.as_bytes());
    let received_day = submission
        .received_at
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let retain_until = received_day
        .checked_add(
            jiff::Span::new()
                .try_years(retention_years)
                .map_err(corrupt)?,
        )
        .map_err(corrupt)?;
    let (start, end) = (
        date_text(declaration.period.start),
        date_text(declaration.period.end),
    );
    let size = i64::try_from(submission.bytes.len()).map_err(corrupt)?;

    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO collect_files (sha256, size, content) VALUES ($1, $2, $3) \
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(file_sha256.clone())
    .bind(size)
    .bind(submission.bytes.to_vec())
    .execute(&mut *tx)
    .await?;
    // Concurrent files for the same project and period: SQLite serialises the
    // write transactions; on PostgreSQL the unique key refuses the second one,
    // which the caller may send again.
    let next: i64 = sqlx::query(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM collect_versions \
         WHERE galis = $1 AND period_start = $2 AND period_end = $3",
    )
    .bind(declaration.galis.clone())
    .bind(start.clone())
    .bind(end.clone())
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let id: i64 = sqlx::query(
        "INSERT INTO collect_versions (galis, siret, period_start, period_end, version, sent_by, \
         received_at_us, file_name, file_sha256, report_json, report_sha256, retain_until) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(declaration.galis.clone())
    .bind(declaration.siret.to_string())
    .bind(start)
    .bind(end)
    .bind(next)
    .bind(submission.sent_by.to_owned())
    .bind(submission.received_at.as_microsecond())
    .bind(submission.file_name.to_owned())
    .bind(file_sha256.clone())
    .bind(report_json)
    .bind(report_sha256.clone())
    .bind(date_text(retain_until))
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    for row in &declaration.rows {
        sqlx::query(
            "INSERT INTO collect_rows (version_id, finess, sheet_row, name, dmp, mss, actifs, \
             accompanied, care_plan, appointment) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(row.finess.to_string())
        .bind(i64::from(row.row))
        .bind(row.name.clone())
        .bind(opt_i64(row.dmp)?)
        .bind(opt_i64(row.mss)?)
        .bind(to_i64(row.actifs)?)
        .bind(to_i64(row.accompanied)?)
        .bind(opt_i64(row.care_plan)?)
        .bind(opt_i64(row.appointment)?)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Version {
        id,
        galis: declaration.galis.clone(),
        siret: declaration.siret.to_string(),
        period: declaration.period,
        version: next,
        sent_by: submission.sent_by.to_owned(),
        received_at: submission.received_at,
        file_name: submission.file_name.to_owned(),
        file_sha256,
        report_sha256,
        retain_until,
    })
}

const VERSION_COLUMNS: &str = "id, galis, siret, period_start, period_end, version, sent_by, \
     received_at_us, file_name, file_sha256, report_sha256, retain_until";

fn version_from(row: &sqlx::any::AnyRow) -> Result<Version, ArchiveError> {
    let start: String = row.try_get("period_start")?;
    let end: String = row.try_get("period_end")?;
    let retain: String = row.try_get("retain_until")?;
    let received: i64 = row.try_get("received_at_us")?;
    Ok(Version {
        id: row.try_get("id")?,
        galis: row.try_get("galis")?,
        siret: row.try_get("siret")?,
        period: Period {
            start: parse_date(&start)?,
            end: parse_date(&end)?,
        },
        version: row.try_get("version")?,
        sent_by: row.try_get("sent_by")?,
        received_at: Timestamp::from_microsecond(received).map_err(corrupt)?,
        file_name: row.try_get("file_name")?,
        file_sha256: row.try_get("file_sha256")?,
        report_sha256: row.try_get("report_sha256")?,
        retain_until: parse_date(&retain)?,
    })
}

/// Every version of a project's declaration for a period, oldest first. The
/// last one is in force; the others were superseded and stay retrievable.
pub async fn versions(db: &Db, galis: &str, period: Period) -> Result<Vec<Version>, ArchiveError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {VERSION_COLUMNS} FROM collect_versions \
         WHERE galis = $1 AND period_start = $2 AND period_end = $3 ORDER BY version"
    )))
    .bind(galis.to_owned())
    .bind(date_text(period.start))
    .bind(date_text(period.end))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(version_from).collect()
}

/// The version in force for a project and period, if any was accepted.
pub async fn current(
    db: &Db,
    galis: &str,
    period: Period,
) -> Result<Option<Version>, ArchiveError> {
    Ok(versions(db, galis, period).await?.pop())
}

/// The original file, by its SHA-256.
pub async fn file(db: &Db, sha256: &str) -> Result<Option<Vec<u8>>, ArchiveError> {
    let row = sqlx::query("SELECT content FROM collect_files WHERE sha256 = $1")
        .bind(sha256.to_owned())
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| r.try_get::<Vec<u8>, _>(0).map_err(ArchiveError::from))
        .transpose()
}

/// The validation report stored with a version.
pub async fn report(db: &Db, version_id: i64) -> Result<Option<Report>, ArchiveError> {
    let row = sqlx::query("SELECT report_json FROM collect_versions WHERE id = $1")
        .bind(version_id)
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let json: String = row.try_get(0)?;
    let report: Report = serde_json::from_str(&json).map_err(corrupt)?;
    Ok(Some(report))
}

/// The figures of a version, in sheet order.
pub async fn rows(db: &Db, version_id: i64) -> Result<Vec<DeclaredRow>, ArchiveError> {
    let rows = sqlx::query(
        "SELECT finess, sheet_row, name, dmp, mss, actifs, accompanied, care_plan, appointment \
         FROM collect_rows WHERE version_id = $1 ORDER BY sheet_row",
    )
    .bind(version_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let finess: String = r.try_get("finess")?;
            let sheet_row: i64 = r.try_get("sheet_row")?;
            let actifs: i64 = r.try_get("actifs")?;
            let accompanied: i64 = r.try_get("accompanied")?;
            Ok(DeclaredRow {
                row: u32::try_from(sheet_row).map_err(corrupt)?,
                finess: Finess::parse(&finess).map_err(corrupt)?,
                name: r.try_get("name")?,
                dmp: opt_u64(r.try_get("dmp")?)?,
                mss: opt_u64(r.try_get("mss")?)?,
                actifs: u64::try_from(actifs).map_err(corrupt)?,
                accompanied: u64::try_from(accompanied).map_err(corrupt)?,
                care_plan: opt_u64(r.try_get("care_plan")?)?,
                appointment: opt_u64(r.try_get("appointment")?)?,
            })
        })
        .collect()
}

/// Rehashes every stored file and report (`carnet collect verify`, issue 5 §9)
/// and names what is missing or altered. Reads one file at a time.
pub async fn verify(db: &Db) -> Result<Vec<IntegrityProblem>, ArchiveError> {
    let mut problems = Vec::new();
    let addresses = sqlx::query("SELECT sha256 FROM collect_files ORDER BY sha256")
        .fetch_all(db.pool())
        .await?;
    for address in addresses {
        let sha256: String = address.try_get(0)?;
        match file(db, &sha256).await? {
            Some(content) if sha256_hex(&content) == sha256 => {}
            _ => problems.push(IntegrityProblem::FileAltered { sha256 }),
        }
    }
    let versions = sqlx::query(
        "SELECT v.id, v.file_sha256, v.report_json, v.report_sha256, f.sha256 AS stored \
         FROM collect_versions v LEFT JOIN collect_files f ON f.sha256 = v.file_sha256 ORDER BY v.id",
    )
    .fetch_all(db.pool())
    .await?;
    for v in versions {
        let version_id: i64 = v.try_get("id")?;
        let stored: Option<String> = v.try_get("stored")?;
        if stored.is_none() {
            problems.push(IntegrityProblem::FileMissing {
                version_id,
                sha256: v.try_get("file_sha256")?,
            });
        }
        let json: String = v.try_get("report_json")?;
        let recorded: String = v.try_get("report_sha256")?;
        if sha256_hex(json.as_bytes()) != recorded {
            problems.push(IntegrityProblem::ReportAltered { version_id });
        }
    }
    Ok(problems)
}
