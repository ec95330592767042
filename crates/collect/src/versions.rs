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
use std::collections::HashMap;

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
    /// The work of reading files was cancelled (the runtime is shutting down).
    #[error("lecture des fichiers interrompue : {0}")]
    Interrupted(String),
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
    /// A proof points to a file that is not stored.
    ProofFileMissing { proof_id: i64, sha256: String },
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
            IntegrityProblem::ProofFileMissing { proof_id, sha256 } => {
                write!(f, "preuve n° {proof_id} : fichier {sha256} manquant")
            }
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
    let mut stored = store_batch(db, &[(declaration, submission)], retention_years).await?;
    stored
        .pop()
        .ok_or_else(|| corrupt("aucune version enregistrée"))
}

/// Most values bound in one statement: under SQLite's 32 766 and
/// PostgreSQL's 65 535, whatever the number of files or rows.
const MAX_BINDS: usize = 10_000;

/// A declaration ready to be written: its values, computed before the
/// transaction starts.
struct Pending<'a> {
    declaration: &'a Declaration,
    submission: &'a Submission<'a>,
    file_sha256: String,
    report_json: String,
    report_sha256: String,
    retain_until: Date,
    start: String,
    end: String,
    version: i64,
}

fn prepare<'a>(
    declaration: &'a Declaration,
    submission: &'a Submission<'a>,
    retention_years: i16,
) -> Result<Pending<'a>, ArchiveError> {
    let report_json = serde_json::to_string(&declaration.report).map_err(corrupt)?;
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
    Ok(Pending {
        declaration,
        submission,
        file_sha256: sha256_hex(submission.bytes),
        report_sha256: sha256_hex(report_json.as_bytes()),
        report_json,
        retain_until,
        start: date_text(declaration.period.start),
        end: date_text(declaration.period.end),
        version: 0,
    })
}

/// The `n`-th (1-based) bound value of a statement. SQLite gets `?` in order:
/// sqlx looks each `$n` up by name, a linear search per value, which makes a
/// statement of thousands of values quadratic.
fn placeholder(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => "?".to_owned(),
        Backend::Postgres => format!("${n}"),
    }
}

/// `(…), (…)…`: `rows` groups of `width` placeholders, numbered from 1.
fn values(backend: Backend, rows: usize, width: usize) -> String {
    let mut sql = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&placeholder(backend, r * width + c + 1));
        }
        sql.push(')');
    }
    sql
}

/// Stores several accepted declarations in one transaction, each as the next
/// version of its project and period, in the order given (the same project and
/// period twice makes two versions). Every file is all-or-nothing: either the
/// whole batch is written or nothing of it is. Each declaration stays its own
/// version, with its own file, report and rows, exactly as [`store`] writes it;
/// the batch only saves the statements and commits of one transaction per file.
pub async fn store_batch(
    db: &Db,
    items: &[(&Declaration, &Submission<'_>)],
    retention_years: i16,
) -> Result<Vec<Version>, ArchiveError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let mut pending = items
        .iter()
        .map(|(d, s)| prepare(d, s, retention_years))
        .collect::<Result<Vec<_>, _>>()?;

    let backend = db.backend();
    let mut tx = db.begin_write().await?;
    // The files, once per content.
    let mut files: Vec<&Pending<'_>> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in &pending {
        if seen.insert(p.file_sha256.as_str()) {
            files.push(p);
        }
    }
    for chunk in files.chunks(MAX_BINDS / 3) {
        let sql = format!(
            "INSERT INTO collect_files (sha256, size, content) VALUES {} \
             ON CONFLICT (sha256) DO NOTHING",
            values(backend, chunk.len(), 3)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in chunk {
            query = query
                .bind(p.file_sha256.clone())
                .bind(i64::try_from(p.submission.bytes.len()).map_err(corrupt)?)
                .bind(p.submission.bytes.to_vec());
        }
        query.execute(&mut *tx).await?;
    }

    // The next version of each project and period, counting those of the batch.
    // Concurrent files for the same project and period: SQLite serialises the
    // write transactions; on PostgreSQL the unique key refuses the second one,
    // which the caller may send again.
    // Read by project (the unique key starts with it): every period of the
    // batch's projects, the others ignored.
    let mut projects: Vec<&str> = pending
        .iter()
        .map(|p| p.declaration.galis.as_str())
        .collect();
    projects.sort_unstable();
    projects.dedup();
    let mut next: HashMap<(String, String, String), i64> = HashMap::new();
    for chunk in projects.chunks(MAX_BINDS) {
        let list: Vec<String> = (1..=chunk.len()).map(|n| placeholder(backend, n)).collect();
        let sql = format!(
            "SELECT galis, period_start, period_end, MAX(version) AS last \
             FROM collect_versions WHERE galis IN ({}) \
             GROUP BY galis, period_start, period_end",
            list.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for galis in chunk {
            query = query.bind((*galis).to_owned());
        }
        for row in query.fetch_all(&mut *tx).await? {
            let last: i64 = row.try_get("last")?;
            next.insert(
                (
                    row.try_get("galis")?,
                    row.try_get("period_start")?,
                    row.try_get("period_end")?,
                ),
                last,
            );
        }
    }
    for p in &mut pending {
        let last = next
            .entry((p.declaration.galis.clone(), p.start.clone(), p.end.clone()))
            .or_insert(0);
        *last += 1;
        p.version = *last;
    }

    // The versions; their ids come back with the key that makes each one unique.
    let mut ids: HashMap<(String, String, String, i64), i64> = HashMap::new();
    for chunk in pending.chunks(MAX_BINDS / 12) {
        let sql = format!(
            "INSERT INTO collect_versions (galis, siret, period_start, period_end, version, \
             sent_by, received_at_us, file_name, file_sha256, report_json, report_sha256, \
             retain_until) VALUES {} RETURNING id, galis, period_start, period_end, version",
            values(backend, chunk.len(), 12)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in chunk {
            query = query
                .bind(p.declaration.galis.clone())
                .bind(p.declaration.siret.to_string())
                .bind(p.start.clone())
                .bind(p.end.clone())
                .bind(p.version)
                .bind(p.submission.sent_by.to_owned())
                .bind(p.submission.received_at.as_microsecond())
                .bind(p.submission.file_name.to_owned())
                .bind(p.file_sha256.clone())
                .bind(p.report_json.clone())
                .bind(p.report_sha256.clone())
                .bind(date_text(p.retain_until));
        }
        for row in query.fetch_all(&mut *tx).await? {
            ids.insert(
                (
                    row.try_get("galis")?,
                    row.try_get("period_start")?,
                    row.try_get("period_end")?,
                    row.try_get("version")?,
                ),
                row.try_get("id")?,
            );
        }
    }
    let mut stored = Vec::with_capacity(pending.len());
    for p in &pending {
        let key = (
            p.declaration.galis.clone(),
            p.start.clone(),
            p.end.clone(),
            p.version,
        );
        let id = *ids
            .get(&key)
            .ok_or_else(|| corrupt("version insérée sans identifiant"))?;
        stored.push((id, p));
    }

    // The rows of every version.
    let rows: Vec<(i64, &DeclaredRow)> = stored
        .iter()
        .flat_map(|(id, p)| p.declaration.rows.iter().map(move |r| (*id, r)))
        .collect();
    for chunk in rows.chunks(MAX_BINDS / 10) {
        let sql = format!(
            "INSERT INTO collect_rows (version_id, finess, sheet_row, name, dmp, mss, actifs, \
             accompanied, care_plan, appointment) VALUES {}",
            values(backend, chunk.len(), 10)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, row) in chunk {
            query = query
                .bind(*id)
                .bind(row.finess.to_string())
                .bind(i64::from(row.row))
                .bind(row.name.clone())
                .bind(opt_i64(row.dmp)?)
                .bind(opt_i64(row.mss)?)
                .bind(to_i64(row.actifs)?)
                .bind(to_i64(row.accompanied)?)
                .bind(opt_i64(row.care_plan)?)
                .bind(opt_i64(row.appointment)?);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;

    Ok(stored
        .into_iter()
        .map(|(id, p)| Version {
            id,
            galis: p.declaration.galis.clone(),
            siret: p.declaration.siret.to_string(),
            period: p.declaration.period,
            version: p.version,
            sent_by: p.submission.sent_by.to_owned(),
            received_at: p.submission.received_at,
            file_name: p.submission.file_name.to_owned(),
            file_sha256: p.file_sha256.clone(),
            report_sha256: p.report_sha256.clone(),
            retain_until: p.retain_until,
        })
        .collect())
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

/// Every version of a project's declarations, all periods, by period then
/// version (the platform's declarations page).
pub async fn of_project(db: &Db, galis: &str) -> Result<Vec<Version>, ArchiveError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {VERSION_COLUMNS} FROM collect_versions WHERE galis = $1 \
         ORDER BY period_start DESC, period_end DESC, version"
    )))
    .bind(galis.to_owned())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(version_from).collect()
}

/// One version by its id.
pub async fn by_id(db: &Db, id: i64) -> Result<Option<Version>, ArchiveError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {VERSION_COLUMNS} FROM collect_versions WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(version_from).transpose()
}

/// The Références GALIS that have at least one version (registered or not).
pub async fn declared_projects(db: &Db) -> Result<Vec<String>, ArchiveError> {
    let rows = sqlx::query("SELECT DISTINCT galis FROM collect_versions ORDER BY galis")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String, _>(0).map_err(ArchiveError::from))
        .collect()
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

/// Rehashes every stored file (workbooks and proofs) and report (`carnet
/// collect verify`, issue 5 §9) and names what is missing or altered. Reads
/// one file at a time.
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
    let proofs = sqlx::query(
        "SELECT p.id, p.file_sha256, f.sha256 AS stored FROM collect_proofs p \
         LEFT JOIN collect_files f ON f.sha256 = p.file_sha256 ORDER BY p.id",
    )
    .fetch_all(db.pool())
    .await?;
    for p in proofs {
        let stored: Option<String> = p.try_get("stored")?;
        if stored.is_none() {
            problems.push(IntegrityProblem::ProofFileMissing {
                proof_id: p.try_get("id")?,
                sha256: p.try_get("file_sha256")?,
            });
        }
    }
    Ok(problems)
}
