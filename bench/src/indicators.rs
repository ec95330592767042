//! The indicators bench (issue 3): every figure of every establishment of the
//! large organisation for a 3-month period, (a) through the engine of
//! `carnet indicators` (`Db::activity` from the incremental index, then
//! `carnet_core::indicators::compute`), (b) through DuckDB over the raw rows
//! exported to Parquet, (c) through one plain SQL `COUNT(DISTINCT …)` over the
//! raw rows on SQLite and PostgreSQL — in the same run, with the figures of
//! (b) and (c) checked against (a).
//!
//! The databases are kept between runs (`--work-dir`, PostgreSQL database
//! `--postgres-db`): loading 22 M events takes tens of minutes, so `--reuse`
//! measures an already loaded organisation.

use crate::backend::drop_database;
use crate::progress::Ticker;
use anyhow::{Context, bail};
use carnet_core::indicators::{IndicatorReport, Month, Period, RuleSet, compute};
use carnet_core::model::Establishment;
use carnet_store::interchange::ImportOutcome;
use carnet_store::{Actor, Db, Scope, WriteCtx};
use jiff::Timestamp;
use sqlx::AssertSqlSafe;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct Options {
    pub work_dir: PathBuf,
    pub server: String,
    pub postgres_db: String,
    pub sqlite_only: bool,
    pub reuse: bool,
    pub params: carnet_demo::DemoParams,
    pub seed: u64,
    pub today: jiff::civil::Date,
    pub period: Period,
    pub now: Timestamp,
    pub repeat: usize,
    /// Runs of the plain SQL peer (c) per backend.
    pub sql_repeat: usize,
    /// Rebuild the index before measuring, even when it is built.
    pub rebuild: bool,
    /// Load PostgreSQL from the SQLite database (`COPY`) instead of importing.
    pub copy_postgres: bool,
    /// Run the DuckDB peer (b).
    pub duckdb: bool,
}

/// One backend's database, kept between runs.
pub struct Target {
    pub backend: &'static str,
    pub url: String,
}

pub fn targets(o: &Options) -> Vec<Target> {
    let mut out = vec![Target {
        backend: "SQLite",
        url: format!("sqlite://{}", o.work_dir.join("indicators.db").display()),
    }];
    if !o.sqlite_only {
        out.push(Target {
            backend: "PostgreSQL",
            url: format!("{}/{}", o.server.trim_end_matches('/'), o.postgres_db),
        });
    }
    out
}

/// How a backend's organisation got into its database.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub how: String,
    pub seconds: f64,
}

/// Generates the organisation once, then imports it through `db.import` into
/// each fresh database (SQLite only with `--copy-postgres`) (concurrently: the servers work in their own
/// processes), which builds the activity index as the product does.
pub async fn load(o: &Options) -> anyhow::Result<Vec<Loaded>> {
    std::fs::create_dir_all(&o.work_dir)?;
    let ndjson = o.work_dir.join("organisation.ndjson");
    eprintln!("Génération de l'organisme dans {}", ndjson.display());
    let generated = crate::data::generate(&o.params, o.seed, o.today, &ndjson, 0, None)?;
    eprintln!(
        "  {} lignes, {} événements, {} établissements, {} personnes en {:.0} s",
        generated.lines,
        generated.events,
        generated.establishments,
        generated.persons,
        generated.seconds
    );
    let mut jobs = Vec::new();
    // With --copy-postgres, PostgreSQL is filled from SQLite afterwards by
    // COPY (`copy_to_postgres`): importing it too would only slow SQLite's
    // import down (both share the machine) and be thrown away.
    let targets = targets(o)
        .into_iter()
        .filter(|t| !(o.copy_postgres && t.backend == "PostgreSQL"));
    for t in targets {
        if t.backend == "SQLite" {
            let path = o.work_dir.join("indicators.db");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        } else {
            let admin = sqlx::PgPool::connect(&format!("{}/postgres", o.server))
                .await
                .with_context(|| format!("connexion à {}", o.server))?;
            drop_database(&admin, &o.postgres_db).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE {}",
                o.postgres_db
            )))
            .execute(&admin)
            .await?;
            admin.close().await;
        }
        let ndjson = ndjson.clone();
        let now = o.now;
        jobs.push(tokio::spawn(async move {
            let db = Db::connect(&t.url).await?;
            let started = Instant::now();
            let mut ticker = Ticker::new(format!("{} import", t.backend));
            let ctx = WriteCtx {
                actor: Actor::System("bench"),
                now,
            };
            let outcome = db
                .import(&ctx, &ndjson, |_stage, n| ticker.tick(n, "lignes"))
                .await?;
            let seconds = started.elapsed().as_secs_f64();
            db.close().await;
            match outcome {
                ImportOutcome::Imported { lines } => {
                    eprintln!(
                        "  [{}] import : {lines} lignes en {seconds:.0} s",
                        t.backend
                    );
                    Ok(Loaded {
                        how: format!(
                            "`db.import` du fichier NDJSON complet ({lines} lignes ; l'import reconstruit l'index d'activité)"
                        ),
                        seconds,
                    })
                }
                ImportOutcome::Refused { total, .. } => bail!("import refusé ({total} erreurs)"),
            }
        }));
    }
    let mut out = Vec::new();
    for job in jobs {
        out.push(job.await??);
    }
    let _ = std::fs::remove_file(&ndjson);
    Ok(out)
}

/// The organisation's establishments (the bench loads one organisation).
pub async fn establishments(db: &Db) -> anyhow::Result<Vec<Establishment>> {
    let organisation = db
        .organisations()
        .await?
        .into_iter()
        .next()
        .context("aucun organisme dans la base")?;
    Ok(db.establishments(&Scope::whole(organisation.id)).await?)
}

/// The times of (a), and of its database statement alone.
#[derive(Debug, Default, Clone)]
pub struct EngineTimes {
    pub total: Vec<Duration>,
    /// The statement `Db::indicators` runs, alone: rows fetched, not decoded.
    pub statement: Vec<Duration>,
}

/// (a): the read path of `carnet indicators` (`Db::indicators`: the
/// compact index read and counted record by record), `repeat` times after
/// one warm-up run; the figures of the last run and every run's duration,
/// and the duration of its statement alone after each run.
pub async fn engine(
    db: &Db,
    establishments: &[Establishment],
    period: Period,
    repeat: usize,
) -> anyhow::Result<(IndicatorReport, EngineTimes)> {
    let rules = RuleSet::default();
    let mut times = EngineTimes::default();
    let mut report = None;
    let split = std::env::var_os("CARNET_BENCH_SPLIT").is_some();
    // The statement alone runs right after each (a), so that both see the
    // same load of the shared machine.
    for i in 0..=repeat {
        let started = Instant::now();
        let r = db.indicators(&rules, period, establishments).await?;
        let elapsed = started.elapsed();
        let statement = index_statement(db, establishments, period).await?;
        if split {
            eprintln!(
                "    (a) {:.2} ms, requête seule {:.2} ms",
                elapsed.as_secs_f64() * 1e3,
                statement.as_secs_f64() * 1e3
            );
        }
        if i > 0 {
            times.total.push(elapsed);
            times.statement.push(statement);
        }
        report = Some(r);
    }
    Ok((report.context("aucune mesure")?, times))
}

/// The statement `Db::indicators` runs for a period of at most 12 months
/// (one row per establishment: its records blob, and per month its summary
/// or its day bitmaps, each by a subquery), alone: rows fetched, not decoded.
async fn index_statement(
    db: &Db,
    establishments: &[Establishment],
    period: Period,
) -> anyhow::Result<Duration> {
    let ids = establishments
        .iter()
        .map(|e| e.id.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let mut columns = vec![
        "x.id AS establishment_id".to_owned(),
        "(SELECT p.establishment_id FROM activity_pending p WHERE p.establishment_id = x.id) AS pending".to_owned(),
        "(SELECT e.data FROM activity_establishments e WHERE e.establishment_id = x.id) AS records".to_owned(),
    ];
    for (i, m) in period.months().into_iter().enumerate() {
        let whole = period.mask(m) == m.mask(m.first_day(), m.last_day());
        let table = if whole {
            "activity_summaries"
        } else {
            "activity_months"
        };
        columns.push(format!(
            "(SELECT m.data FROM {table} m WHERE m.establishment_id = x.id AND m.month = {}) AS m{i}",
            m.ordinal()
        ));
    }
    let sql = format!(
        "SELECT {} FROM establishments x WHERE x.id IN ({ids})",
        columns.join(", ")
    );
    let mut conn = db.pool().acquire().await?;
    let started = Instant::now();
    sqlx::query(AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    Ok(started.elapsed())
}

/// The ordinals of the months `period` covers whole, and of the others.
fn whole_and_part_months(period: Period) -> (Vec<i32>, Vec<i32>) {
    let (whole, part): (Vec<Month>, Vec<Month>) = period
        .months()
        .into_iter()
        .partition(|&m| period.mask(m) == m.mask(m.first_day(), m.last_day()));
    (
        whole.iter().map(|m| m.ordinal()).collect(),
        part.iter().map(|m| m.ordinal()).collect(),
    )
}

/// (a′): the full input the explanation reads (`Db::activity`, every day
/// bitmap) then `compute`: the path the figures took before the compact
/// input, timed as before (freeing the input not included).
pub async fn full_engine(
    db: &Db,
    establishments: &[Establishment],
    period: Period,
    repeat: usize,
) -> anyhow::Result<(IndicatorReport, Vec<Duration>)> {
    let rules = RuleSet::default();
    let mut times = Vec::with_capacity(repeat);
    let mut report = None;
    for i in 0..=repeat {
        let started = Instant::now();
        let activity = db.activity(establishments, period).await?;
        let r = compute(&rules, period, &activity)?;
        let elapsed = started.elapsed();
        drop(activity);
        if i > 0 {
            times.push(elapsed);
        }
        report = Some(r);
    }
    Ok((report.context("aucune mesure")?, times))
}

pub fn median_ms(times: &[Duration]) -> f64 {
    let mut ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    ms.get(ms.len() / 2).copied().unwrap_or(f64::NAN)
}

pub fn min_ms(times: &[Duration]) -> f64 {
    times
        .iter()
        .map(|d| d.as_secs_f64() * 1e3)
        .fold(f64::INFINITY, f64::min)
}

/// The figures a peer computes, per establishment id: DUI actifs and
/// personnes accompagnées (file active).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PeerFigures {
    pub active: BTreeMap<i64, u64>,
    pub accompanied: BTreeMap<i64, u64>,
}

impl PeerFigures {
    fn from_engine(report: &IndicatorReport) -> Self {
        let mut out = Self::default();
        for e in &report.establishments {
            // Zeros are left out: a GROUP BY has no row for them.
            if e.figures.active_records != 0 {
                out.active
                    .insert(e.establishment_id.0, e.figures.active_records);
            }
            if e.figures.accompanied_persons != 0 {
                out.accompanied
                    .insert(e.establishment_id.0, e.figures.accompanied_persons);
            }
        }
        out
    }

    /// Establishments whose figures differ from `other`'s.
    fn differences(&self, other: &PeerFigures) -> usize {
        let ids: BTreeSet<i64> = self
            .active
            .keys()
            .chain(self.accompanied.keys())
            .chain(other.active.keys())
            .chain(other.accompanied.keys())
            .copied()
            .collect();
        ids.iter()
            .filter(|id| {
                self.active.get(id) != other.active.get(id)
                    || self.accompanied.get(id) != other.accompanied.get(id)
            })
            .count()
    }
}

/// The two statements of peers (b) and (c), the same text on SQLite,
/// PostgreSQL and DuckDB: DUI actifs and file active per establishment.
///
/// Local days: each establishment's period is turned into its UTC instants
/// [first local midnight, midnight after the last day) with its time zone,
/// written into the statement (`b`); an instant is in the period iff its
/// local day is, for every zone whose transitions do not cross midnight (all
/// of the demo's). Business sources follow the rule set, as the engine does.
pub fn peer_queries(
    establishments: &[Establishment],
    period: Period,
    rules: &RuleSet,
) -> anyhow::Result<[String; 2]> {
    let mut bounds = Vec::with_capacity(establishments.len());
    for e in establishments {
        let tz = jiff::tz::TimeZone::get(&e.time_zone)?;
        let from = period.from().to_zoned_datetime(tz.clone())?.timestamp();
        let to = period.to().tomorrow()?.to_zoned_datetime(tz)?.timestamp();
        bounds.push(format!(
            "({}, {}, {})",
            e.id.0,
            from.as_microsecond(),
            to.as_microsecond()
        ));
    }
    let (from, to) = (period.from(), period.to());
    let kinds = rules
        .business_event_kinds
        .iter()
        .map(|k| format!("'{}'", k.code()))
        .collect::<Vec<_>>()
        .join(", ");
    let in_period = |alias: &str, column: &str| {
        format!(
            "JOIN b ON b.establishment_id = {alias}.establishment_id \
             WHERE {alias}.{column} >= b.from_us AND {alias}.{column} < b.to_us"
        )
    };
    let s = &rules.business_sources;
    let mut sources = vec![format!(
        "SELECT x.establishment_id, x.person_id FROM events x {} AND x.kind IN ({kinds})",
        in_period("x", "at_us")
    )];
    if s.document_added {
        sources.push(format!(
            "SELECT d.establishment_id, d.person_id FROM documents d {}",
            in_period("d", "added_at_us")
        ));
    }
    if s.dmp_submission {
        sources.push(format!(
            "SELECT d.establishment_id, d.person_id FROM documents d {} AND d.dmp_status <> '{}'",
            in_period("d", "dmp_status_at_us"),
            carnet_core::model::DmpStatus::NonEnvoye.code()
        ));
    }
    if s.appointment_done {
        sources.push(format!(
            "SELECT a.establishment_id, a.person_id FROM appointments a {} AND a.status = '{}'",
            in_period("a", "starts_at_us"),
            carnet_core::model::AppointmentStatus::Termine.code()
        ));
    }
    if s.care_plan_status_change {
        sources.push(
            "SELECT p.establishment_id, p.person_id FROM care_plan_status_changes h \
             JOIN care_plans p ON p.id = h.care_plan_id \
             JOIN b ON b.establishment_id = p.establishment_id \
             WHERE h.at_us >= b.from_us AND h.at_us < b.to_us"
                .to_owned(),
        );
    }
    if s.mss_message {
        sources.push(format!(
            "SELECT m.establishment_id, m.person_id FROM messages m {} AND m.person_id IS NOT NULL",
            in_period("m", "sent_at_us")
        ));
    }
    let accompanied =
        format!("start_date <= '{to}' AND (end_date IS NULL OR end_date >= '{from}')");
    let active = format!(
        "WITH b(establishment_id, from_us, to_us) AS (VALUES {}),\n\
         accompanied AS (SELECT DISTINCT establishment_id, person_id FROM stays WHERE {accompanied}),\n\
         activity AS ({})\n\
         SELECT a.establishment_id AS establishment_id, COUNT(DISTINCT a.person_id) AS n \
         FROM activity x JOIN accompanied a ON a.establishment_id = x.establishment_id AND a.person_id = x.person_id \
         GROUP BY a.establishment_id ORDER BY a.establishment_id",
        bounds.join(", "),
        sources.join("\n UNION ALL ")
    );
    let file_active = format!(
        "SELECT establishment_id, COUNT(DISTINCT person_id) AS n FROM stays WHERE {accompanied} \
         GROUP BY establishment_id ORDER BY establishment_id"
    );
    Ok([active, file_active])
}

fn figures_of(rows: [Vec<(i64, i64)>; 2]) -> PeerFigures {
    let [active, accompanied] = rows;
    let map = |rows: Vec<(i64, i64)>| {
        rows.into_iter()
            .filter(|&(_, n)| n != 0)
            .map(|(id, n)| (id, n.unsigned_abs()))
            .collect()
    };
    PeerFigures {
        active: map(active),
        accompanied: map(accompanied),
    }
}

/// (c): the two statements on the backend's native driver; their time.
async fn plain_sql(url: &str, queries: &[String; 2]) -> anyhow::Result<(PeerFigures, Duration)> {
    use sqlx::Row;
    let started = Instant::now();
    let mut rows: [Vec<(i64, i64)>; 2] = [Vec::new(), Vec::new()];
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await?;
        for (q, out) in queries.iter().zip(&mut rows) {
            for row in sqlx::query(AssertSqlSafe(q.as_str()))
                .fetch_all(&pool)
                .await?
            {
                out.push((row.try_get(0)?, row.try_get(1)?));
            }
        }
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        for (q, out) in queries.iter().zip(&mut rows) {
            for row in sqlx::query(AssertSqlSafe(q.as_str()))
                .fetch_all(&pool)
                .await?
            {
                out.push((row.try_get(0)?, row.try_get(1)?));
            }
        }
        pool.close().await;
    }
    Ok((figures_of(rows), started.elapsed()))
}

/// The raw rows the peers read, per table: the columns they use.
const EXPORTED: [(&str, &str); 7] = [
    ("events", "establishment_id, person_id, kind, at_us"),
    ("stays", "establishment_id, person_id, start_date, end_date"),
    (
        "documents",
        "establishment_id, person_id, added_at_us, dmp_status, dmp_status_at_us",
    ),
    (
        "appointments",
        "establishment_id, person_id, status, starts_at_us",
    ),
    ("care_plans", "id, establishment_id, person_id"),
    ("care_plan_status_changes", "care_plan_id, at_us"),
    ("messages", "establishment_id, person_id, sent_at_us"),
];

/// Rows read per page when streaming a table out of SQLite.
const PAGE: i64 = 200_000;

/// Every row of `table` (SQLite, native driver) as CSV lines, page by page,
/// to `sink`. Integer and text columns; NULL is an empty field; text never
/// holds a comma or a quote in these columns (codes, dates) but is quoted
/// when it could.
async fn sqlite_pages(
    pool: &sqlx::SqlitePool,
    table: &str,
    columns: &str,
    mut sink: impl AsyncFnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    use sqlx::{Row, TypeInfo, ValueRef};
    let mut last = 0i64;
    let mut total = 0;
    loop {
        let sql = format!(
            "SELECT rowid AS bench_rowid, {columns} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT {PAGE}"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(last)
            .fetch_all(pool)
            .await?;
        let Some(tail) = rows.last() else {
            return Ok(total);
        };
        last = tail.try_get(0)?;
        let mut out = Vec::with_capacity(rows.len() * 48);
        for row in &rows {
            for i in 1..row.columns().len() {
                if i > 1 {
                    out.push(b',');
                }
                let raw = row.try_get_raw(i)?;
                if raw.is_null() {
                    continue;
                }
                let kind = raw.type_info().name().to_ascii_uppercase();
                drop(raw);
                if kind == "TEXT" {
                    let v: String = row.try_get(i)?;
                    if v.contains([',', '"', '\n']) {
                        out.push(b'"');
                        out.extend_from_slice(v.replace('"', "\"\"").as_bytes());
                        out.push(b'"');
                    } else {
                        out.extend_from_slice(v.as_bytes());
                    }
                } else if kind == "BLOB" {
                    let v: Vec<u8> = row.try_get(i)?;
                    out.extend_from_slice(b"\\x");
                    for b in v {
                        out.extend_from_slice(format!("{b:02x}").as_bytes());
                    }
                } else {
                    let v: i64 = row.try_get(i)?;
                    out.extend_from_slice(v.to_string().as_bytes());
                }
            }
            out.push(b'\n');
        }
        total += rows.len() as u64;
        sink(&out).await?;
        if rows.len() < PAGE as usize {
            return Ok(total);
        }
    }
}

/// Writes the peers' tables as CSV files into `dir`.
async fn export_csv(sqlite_url: &str, dir: &Path) -> anyhow::Result<f64> {
    use std::io::Write;
    let started = Instant::now();
    std::fs::create_dir_all(dir)?;
    let pool = sqlx::SqlitePool::connect(sqlite_url).await?;
    for (table, columns) in EXPORTED {
        let path = dir.join(format!("{table}.csv"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        writeln!(out, "{}", columns.replace(' ', ""))?;
        let n = sqlite_pages(&pool, table, columns, async |chunk: &[u8]| {
            out.write_all(chunk)?;
            Ok(())
        })
        .await?;
        out.flush()?;
        eprintln!("  export {table} : {n} lignes");
    }
    pool.close().await;
    Ok(started.elapsed().as_secs_f64())
}

/// (b): DuckDB over the exported rows (converted to Parquet first).
pub struct DuckDb {
    pub convert_ms: f64,
    pub times: Vec<Duration>,
    pub figures: PeerFigures,
    pub version: String,
}

fn duckdb(dir: &Path, queries: &[String; 2], repeat: usize) -> anyhow::Result<DuckDb> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/indicators_duckdb.py");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut child = Command::new("python3")
        .arg(&script)
        .arg(dir)
        .arg(repeat.to_string())
        .arg(threads.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("python3 (pip install duckdb)")?;
    child
        .stdin
        .take()
        .context("stdin de python3")?
        .write_all(queries.join("\n;\n").as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!("le script DuckDB a échoué");
    }
    let mut out = DuckDb {
        convert_ms: 0.0,
        times: Vec::new(),
        figures: PeerFigures::default(),
        version: String::new(),
    };
    let mut rows: [Vec<(i64, i64)>; 2] = [Vec::new(), Vec::new()];
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["convert_ms", x] => out.convert_ms = x.parse()?,
            ["time_ms", x] => out
                .times
                .push(Duration::from_secs_f64(x.parse::<f64>()? / 1e3)),
            ["row", q, id, n] => {
                let q: usize = q.parse()?;
                if let Some(r) = rows.get_mut(q) {
                    r.push((id.parse()?, n.parse()?));
                }
            }
            _ => {}
        }
    }
    out.figures = figures_of(rows);
    out.version = Command::new("python3")
        .args(["-c", "import duckdb; print(duckdb.__version__)"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    Ok(out)
}

/// Tables copied from the SQLite database into a fresh PostgreSQL one (in
/// this order: references point backwards); the activity index is then
/// rebuilt by `Db::rebuild_activity`.
const COPIED: [&str; 15] = [
    "organisations",
    "establishments",
    "professionals",
    "persons",
    "identity_changes",
    "stays",
    "care_plans",
    "care_plan_status_changes",
    "events",
    "appointments",
    "blobs",
    "documents",
    "messages",
    "audit_entries",
    "audit_heads",
];

/// Loads PostgreSQL from the loaded SQLite database with `COPY` (foreign-key
/// and audit triggers off during the copy: the rows come from a consistent
/// database), then rebuilds the activity index the product's way.
async fn copy_to_postgres(o: &Options, sqlite_url: &str, pg_url: &str) -> anyhow::Result<Loaded> {
    use sqlx::Row;
    let started = Instant::now();
    let admin = sqlx::PgPool::connect(&format!("{}/postgres", o.server)).await?;
    drop_database(&admin, &o.postgres_db).await?;
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {}", o.postgres_db)))
        .execute(&admin)
        .await?;
    admin.close().await;
    // The schema, by the store's migrations.
    Db::connect(pg_url).await?.close().await;
    let lite = sqlx::SqlitePool::connect(sqlite_url).await?;
    let pg = sqlx::PgPool::connect(pg_url).await?;
    let mut conn = pg.acquire().await?;
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *conn)
        .await?;
    let mut rows = 0;
    for table in COPIED {
        let columns: Vec<String> = sqlx::query(AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        )))
        .fetch_all(&lite)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
        let columns = columns.join(", ");
        let mut copy = conn
            .copy_in_raw(&format!(
                "COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)"
            ))
            .await?;
        let n = sqlite_pages(&lite, table, &columns, async |chunk: &[u8]| {
            copy.send(chunk.to_vec()).await?;
            Ok(())
        })
        .await?;
        copy.finish().await?;
        if columns.split(", ").any(|c| c == "id") {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST(COALESCE(MAX(id), 0), 1)) FROM {table}"
            )))
            .execute(&mut *conn)
            .await?;
        }
        eprintln!("  copie {table} : {n} lignes");
        rows += n;
    }
    sqlx::query("SET session_replication_role = DEFAULT")
        .execute(&mut *conn)
        .await?;
    sqlx::query("ANALYZE").execute(&mut *conn).await?;
    drop(conn);
    pg.close().await;
    lite.close().await;
    let copied = started.elapsed().as_secs_f64();
    Ok(Loaded {
        how: format!(
            "lignes brutes copiées depuis la base SQLite par `COPY … FROM STDIN` ({rows} lignes, {:.0} s)",
            copied
        ),
        seconds: copied,
    })
}

/// One backend's figures for the results.
pub struct Measured {
    pub backend: &'static str,
    pub loaded: Option<Loaded>,
    /// Seconds of `Db::rebuild_activity` when this run built the index.
    pub rebuild_seconds: Option<f64>,
    pub events: i64,
    pub establishments: usize,
    pub engine_times: EngineTimes,
    /// (a′): `Db::activity` + `compute`.
    pub full_times: Vec<Duration>,
    /// Establishments whose result (figures, rates, hash of the active
    /// records) differs between (a′) and (a).
    pub full_differences: usize,
    pub engine_active: u64,
    pub sql_times: Vec<Duration>,
    /// Establishments where (c) differs from (a).
    pub sql_differences: usize,
    /// Bytes of the index blobs read for the period by (a) and (a′).
    pub blob_bytes: i64,
    pub full_blob_bytes: i64,
    pub figures: PeerFigures,
}

async fn count(db: &Db, sql: &str) -> anyhow::Result<i64> {
    use sqlx::Row;
    Ok(sqlx::query(AssertSqlSafe(sql))
        .fetch_one(db.pool())
        .await?
        .try_get(0)?)
}

async fn measure(
    o: &Options,
    t: &Target,
    loaded: Option<Loaded>,
    rebuild: bool,
    queries: Option<&[String; 2]>,
) -> anyhow::Result<(Measured, Vec<Establishment>)> {
    let db = Db::connect(&t.url).await?;
    let pending = count(&db, "SELECT COUNT(*) FROM activity_pending").await?;
    let rebuild_seconds = if rebuild || pending > 0 {
        eprintln!("  [{}] reconstruction de l'index d'activité…", t.backend);
        let started = Instant::now();
        db.rebuild_activity().await?;
        let s = started.elapsed().as_secs_f64();
        eprintln!("  [{}] index reconstruit en {s:.0} s", t.backend);
        Some(s)
    } else {
        None
    };
    let establishments = establishments(&db).await?;
    let events = count(&db, "SELECT COUNT(*) FROM events").await?;
    let first = Month::of(o.period.from()).ordinal();
    let last = Month::of(o.period.to()).ordinal();
    let bytes = async |table: &str, months: &str| {
        count(
            &db,
            &format!(
                "SELECT CAST(COALESCE(SUM(LENGTH(data)), 0) AS BIGINT) FROM {table} WHERE {months}"
            ),
        )
        .await
    };
    let establishment_bytes = bytes("activity_establishments", "1 = 1").await?;
    let full_blob_bytes = establishment_bytes
        + bytes(
            "activity_months",
            &format!("month >= {first} AND month <= {last}"),
        )
        .await?;
    let (whole, part) = whole_and_part_months(o.period);
    let in_list = |months: &[i32]| {
        format!(
            "month IN ({})",
            months
                .iter()
                .map(|m| m.to_string())
                .chain(["-1".to_owned()])
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    let blob_bytes = establishment_bytes
        + bytes("activity_summaries", &in_list(&whole)).await?
        + bytes("activity_months", &in_list(&part)).await?;
    let (report, engine_times) = engine(&db, &establishments, o.period, o.repeat).await?;
    let (full_report, full_times) = full_engine(&db, &establishments, o.period, o.repeat).await?;
    let full_differences = full_report
        .establishments
        .iter()
        .zip(&report.establishments)
        .filter(|(a, b)| a != b)
        .count()
        + full_report
            .establishments
            .len()
            .abs_diff(report.establishments.len());
    eprintln!(
        "  [{}] (a′) chemin complet : médiane {:.2} ms, min {:.2} ms, {full_differences} établissements en désaccord avec (a)",
        t.backend,
        median_ms(&full_times),
        min_ms(&full_times)
    );
    let figures = PeerFigures::from_engine(&report);
    let engine_active = report
        .establishments
        .iter()
        .map(|e| e.figures.active_records)
        .sum();
    eprintln!(
        "  [{}] (a) {} établissements, {engine_active} DUI actifs : médiane {:.2} ms, min {:.2} ms",
        t.backend,
        establishments.len(),
        median_ms(&engine_times.total),
        min_ms(&engine_times.total)
    );
    db.close().await;
    let own;
    let queries = match queries {
        Some(q) => q,
        None => {
            own = peer_queries(&establishments, o.period, &RuleSet::default())?;
            &own
        }
    };
    let mut sql_times = Vec::new();
    let mut sql_differences = 0;
    for _ in 0..o.sql_repeat {
        let (sql, time) = plain_sql(&t.url, queries).await?;
        sql_differences = figures.differences(&sql);
        eprintln!(
            "  [{}] (c) SQL brut : {:.0} ms, {sql_differences} établissements en désaccord",
            t.backend,
            time.as_secs_f64() * 1e3
        );
        sql_times.push(time);
    }
    Ok((
        Measured {
            backend: t.backend,
            loaded,
            rebuild_seconds,
            events,
            establishments: establishments.len(),
            engine_times,
            full_times,
            full_differences,
            engine_active,
            sql_times,
            sql_differences,
            blob_bytes,
            full_blob_bytes,
            figures,
        },
        establishments,
    ))
}

/// Everything of one run, for the results page.
pub struct Run {
    pub measured: Vec<Measured>,
    pub duckdb: Option<(DuckDb, usize, f64)>,
    /// Establishments where the engine's figures differ: between the two
    /// backends, or between (a) and (a′) on a backend.
    pub backends_differ: usize,
}

/// Loads if asked, then measures (a), (b) and (c).
pub async fn run(o: &Options) -> anyhow::Result<Run> {
    let targets = targets(o);
    let mut loaded: Vec<Option<Loaded>> = targets.iter().map(|_| None).collect();
    if !o.reuse {
        for (slot, l) in loaded.iter_mut().zip(load(o).await?) {
            *slot = Some(l);
        }
    }
    let sqlite_url = targets
        .first()
        .map(|t| t.url.clone())
        .context("aucune base")?;
    let mut measured = Vec::new();
    let mut queries = None;
    for (t, loaded) in targets.iter().zip(loaded) {
        let loaded = if o.copy_postgres && t.backend == "PostgreSQL" {
            Some(copy_to_postgres(o, &sqlite_url, &t.url).await?)
        } else {
            loaded
        };
        let rebuild = o.rebuild || (o.copy_postgres && t.backend == "PostgreSQL");
        let (m, establishments) = measure(o, t, loaded, rebuild, queries.as_ref()).await?;
        if queries.is_none() {
            queries = Some(peer_queries(
                &establishments,
                o.period,
                &RuleSet::default(),
            )?);
        }
        measured.push(m);
    }
    let backends_differ = match measured.as_slice() {
        [a, b] => a.figures.differences(&b.figures),
        _ => 0,
    } + measured.iter().map(|m| m.full_differences).sum::<usize>();
    let duckdb = match (&queries, o.duckdb) {
        (Some(queries), true) => {
            let dir = o.work_dir.join("raw-csv");
            let export = if dir.join("events.csv").exists() {
                0.0
            } else {
                export_csv(&sqlite_url, &dir).await?
            };
            let d = duckdb(&dir, queries, o.repeat)?;
            let differences = measured
                .first()
                .map_or(0, |m| m.figures.differences(&d.figures));
            eprintln!(
                "  (b) DuckDB {} : médiane {:.0} ms ({differences} établissements en désaccord)",
                d.version,
                median_ms(&d.times)
            );
            Some((d, differences, export))
        }
        _ => None,
    };
    Ok(Run {
        measured,
        duckdb,
        backends_differ,
    })
}

/// What the results page says about the run besides the figures.
pub struct Page<'a> {
    pub date: jiff::civil::Date,
    pub options: &'a Options,
    pub load_before: String,
    pub load_after: String,
    pub total_seconds: f64,
    pub command: String,
    pub commit: String,
}

fn ms(x: f64) -> String {
    if x < 100.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.0}")
    }
}

/// The results as Markdown, French first with the English beside it.
pub fn markdown(run: &Run, page: &Page<'_>) -> String {
    use std::fmt::Write;
    let o = page.options;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Banc des indicateurs / indicators bench — {}\n",
        page.date
    );
    let _ = writeln!(
        md,
        "- Organisme / organisation : `DemoParams::large()` (`establishments: {}`, `capacity_scale: {}`, `event_rate: {}`, `months: {}`, graine / seed {}, jour / today {}).",
        o.params.establishments,
        o.params.capacity_scale,
        o.params.event_rate,
        o.params.months,
        o.seed,
        o.today
    );
    let _ = writeln!(
        md,
        "- Période / period : {} → {} (3 mois / months) ; jeu de règles / rule set `{}`.",
        o.period.from(),
        o.period.to(),
        RuleSet::default().id
    );
    let _ = writeln!(
        md,
        "- Machine : {} cœurs partagés / shared cores ; charge moyenne / load average (1, 5, 15 min) : {} au début, {} à la fin.",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        page.load_before,
        page.load_after
    );
    let _ = writeln!(
        md,
        "- Commit `{}` ; commande / command : `{}` ; durée totale / total time : {:.0} s.",
        page.commit, page.command, page.total_seconds
    );
    for m in &run.measured {
        if let Some(l) = &m.loaded {
            let _ = writeln!(
                md,
                "- Chargement / loading, {} : {} — {:.0} s.",
                m.backend, l.how, l.seconds
            );
        }
        if let Some(s) = m.rebuild_seconds {
            let _ = writeln!(
                md,
                "- Index d'activité / activity index, {} : construit par `Db::rebuild_activity()` (le code du produit) en {:.0} s.",
                m.backend, s
            );
        }
    }
    let _ = writeln!(md);
    let mut header = String::from("| Mesure · measure |");
    let mut rule = String::from("|---|");
    for m in &run.measured {
        let _ = write!(header, " {} |", m.backend);
        rule.push_str("---:|");
    }
    let _ = writeln!(md, "{header}\n{rule}");
    let mut line = |label: &str, f: &dyn Fn(&Measured) -> String| {
        let mut l = format!("| {label} |");
        for m in &run.measured {
            let _ = write!(l, " {} |", f(m));
        }
        let _ = writeln!(md, "{l}");
    };
    line("Établissements · establishments", &|m| {
        m.establishments.to_string()
    });
    line(
        "Événements dans la base · events in the database",
        &|m| m.events.to_string(),
    );
    line("DUI actifs (somme · total)", &|m| {
        m.engine_active.to_string()
    });
    line(
        "Index lu pour la période · index bytes read for the period — (a) / (a′)",
        &|m| {
            format!(
                "{:.2} Mo / {:.1} Mo",
                m.blob_bytes as f64 / 1e6,
                m.full_blob_bytes as f64 / 1e6
            )
        },
    );
    line(
        "**(a) moteur · engine** (`Db::indicators`, le chemin de `carnet indicators` · the path of `carnet indicators`), ms — médiane · median (min)",
        &|m| {
            format!(
                "**{}** ({})",
                ms(median_ms(&m.engine_times.total)),
                ms(min_ms(&m.engine_times.total))
            )
        },
    );
    line(
        "dont la requête seule · of which the statement alone (lignes lues, non décodées · rows fetched, not decoded), ms — médiane · median",
        &|m| ms(median_ms(&m.engine_times.statement)),
    );
    line(
        "(a′) entrée complète · full input (`Db::activity` + `compute`, le chemin d'avant · the previous path, gardé pour l'explication · kept for the explanation), ms — médiane · median (min)",
        &|m| {
            format!(
                "{} ({})",
                ms(median_ms(&m.full_times)),
                ms(min_ms(&m.full_times))
            )
        },
    );
    line(
        "(a′) en désaccord avec (a) · establishments where (a′) ≠ (a) (chiffres, taux, empreinte · figures, rates, hash)",
        &|m| m.full_differences.to_string(),
    );
    line(
        "(c) SQL brut · plain SQL `COUNT(DISTINCT …)`, ms — chaque exécution · each run",
        &|m| {
            m.sql_times
                .iter()
                .map(|t| format!("{:.0}", t.as_secs_f64() * 1e3))
                .collect::<Vec<_>>()
                .join(" / ")
        },
    );
    line("**Ratio (c) / (a)** (cible · target ≥ 100)", &|m| {
        format!(
            "**{:.0}×**",
            min_ms(&m.sql_times) / median_ms(&m.engine_times.total)
        )
    });
    line(
        "(c) en désaccord avec (a) · establishments where (c) ≠ (a)",
        &|m| m.sql_differences.to_string(),
    );
    if let Some((d, differences, _)) = &run.duckdb {
        line(
            "(b) DuckDB sur Parquet · over Parquet, ms — médiane · median (min)",
            &|_| format!("{} ({})", ms(median_ms(&d.times)), ms(min_ms(&d.times))),
        );
        line("**Ratio (b) / (a)** (cible · target > 1)", &|m| {
            format!(
                "**{:.0}×**",
                median_ms(&d.times) / median_ms(&m.engine_times.total)
            )
        });
        line(
            "(b) en désaccord avec (a) · establishments where (b) ≠ (a)",
            &|_| differences.to_string(),
        );
    }
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "(a) et (a′) : {} mesures chacun après une exécution de chauffe · timed runs each after one warm-up ; toutes les figures de SPEC.md §3 pour tous les établissements · every figure for every establishment. \
         (c) : {} exécutions, la première à froid · runs, the first one cold. \
         Les deux bases et les deux chemins (a) et (a′) donnent les mêmes chiffres · both backends and both paths (a) and (a′) give the same figures : {} établissements en désaccord · establishments differ.",
        o.repeat, o.sql_repeat, run.backends_differ
    );
    if let Some((d, _, export)) = &run.duckdb {
        let _ = writeln!(
            md,
            "\n(b) : DuckDB {} (Python), {} fils · threads, {} mesures · timed runs ; lignes brutes exportées de SQLite en CSV{} puis converties en Parquet en {:.0} s (hors mesure · not timed). \
             Même texte SQL que (c) · same SQL text as (c).",
            d.version,
            std::thread::available_parallelism().map_or(1, |n| n.get()),
            d.times.len(),
            if *export > 0.0 {
                format!(" en {export:.0} s")
            } else {
                " (export d'une exécution précédente)".to_owned()
            },
            d.convert_ms / 1e3
        );
    }
    md
}
