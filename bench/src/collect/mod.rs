//! The collection-platform ingestion bench (issue 5): 2 000 generated
//! workbooks, in the same run (a) ingested by the code of `carnet collect
//! ingest` (`carnet_collect::ingest::ingest_paths` after opening and migrating
//! the database, as the command does) into a fresh SQLite and a fresh
//! PostgreSQL database, and (b) read by `pandas.read_excel(engine="openpyxl",
//! sheet_name=None)`, what an analyst does today (`bench/scripts/collect_pandas.py`).
//!
//! Before any figure is reported, what each database holds is checked against
//! the generator's plan: every file meant to be accepted is stored (the second
//! sending of a declaration as version 2), no refused file is, clean files have
//! an empty report and files with a warning a non-empty one. A disagreement
//! fails the bench after the results are written.

pub mod page;
pub mod workbooks;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use carnet_collect::{Limits, Report, Rule};
use carnet_store::Db;
use jiff::Timestamp;
use sqlx::Row as _;

use crate::backend::drop_database;
use workbooks::{Flaw, Plan};

/// Ten years, as `carnet collect ingest` (SPEC.md §4.3).
const RETENTION_YEARS: i16 = 10;

pub struct Options {
    pub work_dir: PathBuf,
    pub keep_files: bool,
    /// Reuse the files of an earlier run with the same seed and count (--keep-files).
    pub reuse_files: bool,
    pub server: String,
    pub sqlite_only: bool,
    pub params: workbooks::Params,
    /// Rounds of measures: (a) SQLite, (a) PostgreSQL, (b) pandas in each.
    pub rounds: usize,
    pub pandas: bool,
    pub now: Timestamp,
    pub profiler: crate::profile::Profiler,
}

/// One timed ingestion of every file.
#[derive(Debug, Clone)]
pub struct Ingest {
    /// Opening and migrating a fresh database, as the command does.
    pub open_seconds: f64,
    /// `ingest_paths`: read, check, store every file.
    pub ingest_seconds: f64,
    /// `aggregate::summary` over everything stored: nation, regions and
    /// projects month by month, trajectory, completeness, timeliness (what
    /// `carnet collect summary` and the dashboards compute).
    pub aggregate_seconds: f64,
    pub accepted: usize,
    pub refused: usize,
    /// Disagreements between the database and the plan (must be empty).
    pub problems: Vec<String>,
    pub server_version: Option<String>,
}

impl Ingest {
    pub fn total(&self) -> f64 {
        self.open_seconds + self.ingest_seconds + self.aggregate_seconds
    }
}

#[derive(Debug, Clone)]
pub struct Pandas {
    pub seconds: f64,
    /// Rows of every sheet as pandas read them (header rows excluded).
    pub rows: u64,
    pub versions: String,
}

pub struct Run {
    pub plan: Plan,
    pub generate_seconds: f64,
    /// The files of an earlier run were read again (`--reuse-files`).
    pub reused: bool,
    pub bytes: u64,
    pub sqlite: Vec<Ingest>,
    pub postgres: Vec<Ingest>,
    pub pandas: Vec<Pandas>,
    pub sqlite_version: Option<String>,
    pub postgres_version: Option<String>,
    /// Untimed pass after the rounds: where the time goes.
    pub profile: Option<Profile>,
}

/// Where (a)'s time goes, from one more pass outside the rounds.
#[derive(Debug, Clone)]
pub struct Profile {
    /// `ingest_paths` without a database: reading and checking only, s.
    pub check_only_seconds: f64,
    /// Per backend: the pass's wall time and its statements by kind.
    pub statements: Vec<(&'static str, f64, Vec<StatementKind>)>,
}

/// Statements of one kind: text, count, seconds as sqlx times them.
pub type StatementKind = (String, u64, f64);

impl Run {
    pub fn problems(&self) -> usize {
        self.sqlite
            .iter()
            .chain(&self.postgres)
            .map(|i| i.problems.len())
            .sum()
    }
}

pub async fn run(o: &Options) -> anyhow::Result<Run> {
    let dir = o.work_dir.join("recueils");
    let started = Instant::now();
    let plan = workbooks::plan(&o.params)?;
    let paths: Vec<PathBuf> = plan.files.iter().map(|f| dir.join(&f.name)).collect();
    let reused = o.reuse_files && paths.iter().all(|p| p.exists());
    if !reused {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("nettoyage de {}", dir.display()))?;
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        workbooks::write_all(&plan, &dir, threads)?;
    }
    let generate_seconds = started.elapsed().as_secs_f64();
    let bytes = paths
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()))
        .sum::<Result<u64, _>>()?;
    eprintln!(
        "{} classeurs ({} projets, {} lignes, {:.1} Mo) écrits dans {} en {generate_seconds:.1} s",
        paths.len(),
        plan.projects(),
        plan.rows(),
        bytes as f64 / 1e6,
        dir.display()
    );

    let mut run = Run {
        plan,
        generate_seconds,
        reused,
        bytes,
        sqlite: Vec::new(),
        postgres: Vec::new(),
        pandas: Vec::new(),
        sqlite_version: None,
        postgres_version: None,
        profile: None,
    };
    for round in 1..=o.rounds.max(1) {
        let path = o
            .work_dir
            .join(format!("collect-{}.db", std::process::id()));
        remove_sqlite(&path);
        let sqlite = ingest(
            &format!("sqlite://{}", path.display()),
            &paths,
            &run.plan,
            o.now,
        )
        .await
        .context("ingestion SQLite")?;
        remove_sqlite(&path);
        eprintln!(
            "  tour {round} · (a) SQLite : {:.2} s (ouverture {:.2} s) — {} acceptés, {} refusés",
            sqlite.total(),
            sqlite.open_seconds,
            sqlite.accepted,
            sqlite.refused
        );
        run.sqlite_version.clone_from(&sqlite.server_version);
        run.sqlite.push(sqlite);

        if !o.sqlite_only {
            let admin = sqlx::PgPool::connect(&format!("{}/postgres", o.server))
                .await
                .with_context(|| format!("connexion à {}", o.server))?;
            let name = format!("carnet_bench_collect_{}", std::process::id());
            drop_database(&admin, &name).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&admin)
                .await?;
            let outcome = ingest(&format!("{}/{name}", o.server), &paths, &run.plan, o.now).await;
            drop_database(&admin, &name).await?;
            admin.close().await;
            let postgres = outcome.context("ingestion PostgreSQL")?;
            eprintln!(
                "  tour {round} · (a) PostgreSQL : {:.2} s (ouverture {:.2} s)",
                postgres.total(),
                postgres.open_seconds
            );
            run.postgres_version.clone_from(&postgres.server_version);
            run.postgres.push(postgres);
        }

        if o.pandas {
            let pandas = pandas(&paths)?;
            eprintln!("  tour {round} · (b) pandas : {:.1} s", pandas.seconds);
            run.pandas.push(pandas);
        }
    }
    run.profile = Some(profile(o, &paths, &run.plan).await?);
    if !o.keep_files {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(run)
}

/// Statement kind: the SQL up to its first value list or condition.
fn statement_kind(sql: &str) -> String {
    let cut = ["VALUES", "WHERE", " ON "]
        .iter()
        .filter_map(|w| sql.find(w))
        .min()
        .unwrap_or(sql.len());
    let mut kind: String = sql[..cut].trim().chars().take(90).collect();
    if kind.len() < sql.trim().len() {
        kind.push_str(" …");
    }
    kind
}

/// The untimed pass: checking alone, then each backend with sqlx's timing of
/// every statement.
async fn profile(o: &Options, paths: &[PathBuf], plan: &Plan) -> anyhow::Result<Profile> {
    let started = Instant::now();
    let (_, _) = carnet_collect::ingest::ingest_paths(
        None,
        paths,
        "cli",
        o.now,
        &Limits::default(),
        RETENTION_YEARS,
    )
    .await?;
    let check_only_seconds = started.elapsed().as_secs_f64();
    let mut statements = Vec::new();
    let mut targets = vec![("SQLite", None)];
    if !o.sqlite_only {
        targets.push(("PostgreSQL", Some(())));
    }
    for (backend, postgres) in targets {
        let (url, admin) = match postgres {
            None => {
                let path = o
                    .work_dir
                    .join(format!("collect-profile-{}.db", std::process::id()));
                remove_sqlite(&path);
                (format!("sqlite://{}", path.display()), None)
            }
            Some(()) => {
                let admin = sqlx::PgPool::connect(&format!("{}/postgres", o.server)).await?;
                let name = format!("carnet_bench_collect_{}", std::process::id());
                drop_database(&admin, &name).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&admin)
                    .await?;
                (format!("{}/{name}", o.server), Some((admin, name)))
            }
        };
        o.profiler.start();
        let outcome = ingest(&url, paths, plan, o.now).await;
        let totals = o.profiler.stop();
        match &admin {
            None => remove_sqlite(Path::new(url.trim_start_matches("sqlite://"))),
            Some((admin, name)) => {
                drop_database(admin, name).await?;
                admin.close().await;
            }
        }
        let outcome = outcome?;
        let mut kinds: BTreeMap<String, (u64, f64)> = BTreeMap::new();
        for (sql, (count, seconds)) in totals {
            // The declarations' statements and the transactions; not the
            // migrations (counted in the opening) nor the bench's own check.
            let ours = ["collect_files", "collect_versions", "collect_rows"]
                .iter()
                .any(|t| sql.contains(t))
                && !sql.starts_with("SELECT file_name")
                && !sql.starts_with("--");
            if !(ours || sql.starts_with("BEGIN") || sql == "COMMIT") {
                continue;
            }
            let entry = kinds.entry(statement_kind(&sql)).or_default();
            entry.0 += count;
            entry.1 += seconds;
        }
        let mut kinds: Vec<StatementKind> =
            kinds.into_iter().map(|(k, (n, s))| (k, n, s)).collect();
        kinds.sort_by(|a, b| b.2.total_cmp(&a.2));
        statements.push((backend, outcome.ingest_seconds, kinds));
    }
    Ok(Profile {
        check_only_seconds,
        statements,
    })
}

fn remove_sqlite(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// (a): what `carnet collect ingest --db URL FILE…` does once its arguments are
/// parsed (opening and migrating, then `ingest_paths`), timed; then the
/// database is compared with the plan, untimed.
async fn ingest(
    url: &str,
    paths: &[PathBuf],
    plan: &Plan,
    now: Timestamp,
) -> anyhow::Result<Ingest> {
    let started = Instant::now();
    let db = Db::connect(url).await?;
    carnet_collect::versions::migrate(&db).await?;
    let open_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let (text, all_accepted) = carnet_collect::ingest::ingest_paths(
        Some(&db),
        paths,
        "cli",
        now,
        &Limits::default(),
        RETENTION_YEARS,
    )
    .await?;
    let ingest_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let summary =
        carnet_collect::aggregate::summary(&db, &carnet_collect::aggregate::Options::default())
            .await
            .context("agrégation")?;
    let aggregate_seconds = started.elapsed().as_secs_f64();
    let accepted = text.matches("\nFichier accepté").count();
    let refused = text.matches("\nFichier refusé").count();
    let mut problems = check_against_plan(&db, plan).await?;
    let declared_actifs: u64 = sqlx::query(
        "SELECT CAST(COALESCE(SUM(r.actifs), 0) AS BIGINT) FROM collect_rows r \
         JOIN collect_versions v ON v.id = r.version_id WHERE NOT EXISTS (SELECT 1 FROM collect_versions w \
         WHERE w.galis = v.galis AND w.period_start = v.period_start \
         AND w.period_end = v.period_end AND w.version > v.version)",
    )
    .fetch_one(db.pool())
    .await
    .context("somme des DUI actifs des versions en vigueur")?
    .try_get::<i64, _>(0)
    .map(|n| u64::try_from(n).unwrap_or(0))
    .context("somme des DUI actifs des versions en vigueur")?;
    let aggregated: u64 = summary.nation.iter().map(|a| a.actifs).sum();
    if aggregated != declared_actifs {
        problems.push(format!(
            "agrégation nationale : {aggregated} DUI actifs, {declared_actifs} dans les versions en vigueur"
        ));
    }
    if all_accepted != plan.files.iter().all(|f| f.accepted()) {
        problems.push("la commande ne dit pas si tous les fichiers sont acceptés".to_owned());
    }
    let version_query = match db.backend() {
        carnet_store::Backend::Sqlite => "SELECT sqlite_version()",
        carnet_store::Backend::Postgres => "SELECT current_setting('server_version')",
    };
    let server_version = sqlx::query(version_query)
        .fetch_one(db.pool())
        .await
        .ok()
        .and_then(|row| row.try_get::<String, _>(0).ok());
    db.close().await;
    Ok(Ingest {
        open_seconds,
        ingest_seconds,
        aggregate_seconds,
        accepted,
        refused,
        problems,
        server_version,
    })
}

/// Compares the stored versions with what the generator meant.
async fn check_against_plan(db: &Db, plan: &Plan) -> anyhow::Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT file_name, version, report_json, \
         (SELECT COUNT(*) FROM collect_rows r WHERE r.version_id = v.id) AS n \
         FROM collect_versions v",
    )
    .fetch_all(db.pool())
    .await?;
    let mut stored = BTreeMap::new();
    for row in rows {
        let path: String = row.try_get("file_name")?;
        let name = Path::new(&path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(path);
        let version: i64 = row.try_get("version")?;
        let report: Report = serde_json::from_str(&row.try_get::<String, _>("report_json")?)?;
        let n: i64 = row.try_get("n")?;
        stored.insert(name, (version, report, n));
    }
    let mut problems = Vec::new();
    // Accepted first versions, to know which second sendings must be version 2.
    let mut first_accepted = std::collections::BTreeSet::new();
    for file in &plan.files {
        let got = stored.get(&file.name);
        match (file.accepted(), got) {
            (false, Some(_)) => {
                problems.push(format!("{} : refusé attendu, enregistré", file.name))
            }
            (true, None) => problems.push(format!("{} : accepté attendu, absent", file.name)),
            (false, None) => {}
            (true, Some((version, report, n))) => {
                let key = (file
                    .name
                    .trim_end_matches("_v2.xlsx")
                    .trim_end_matches(".xlsx"))
                .to_owned();
                let expected = if file.version > 1 && first_accepted.contains(&key) {
                    2
                } else {
                    1
                };
                if file.version == 1 {
                    first_accepted.insert(key);
                }
                if *version != expected {
                    problems.push(format!(
                        "{} : version {version}, {expected} attendue",
                        file.name
                    ));
                }
                let warned = matches!(file.flaw, Some(f) if !Flaw::is_error(f));
                // The bench's database has no project registry: every file
                // says so, which is not a flaw of the file.
                let findings = report
                    .findings
                    .iter()
                    .filter(|f| f.rule != Rule::Registry)
                    .count();
                if warned == (findings == 0) {
                    problems.push(format!(
                        "{} : {} constat(s), attendu {}",
                        file.name,
                        findings,
                        if warned { "au moins un" } else { "aucun" }
                    ));
                }
                if usize::try_from(*n)? != file.rows() {
                    problems.push(format!(
                        "{} : {n} lignes, {} attendues",
                        file.name,
                        file.rows()
                    ));
                }
            }
        }
    }
    for p in problems.iter().take(10) {
        eprintln!("  ! {p}");
    }
    Ok(problems)
}

/// (b): pandas over the same files, timed by the script around its loop
/// (interpreter start and `import pandas` excluded, as opening is on our side).
fn pandas(paths: &[PathBuf]) -> anyhow::Result<Pandas> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/collect_pandas.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("python3 (pip install pandas openpyxl)")?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().context("stdin de python3")?;
        for p in paths {
            writeln!(stdin, "{}", p.display())?;
        }
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!("le script pandas a échoué ({})", output.status);
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut seconds = None;
    let mut rows = None;
    let mut versions = String::new();
    for line in text.lines() {
        match line.split_once(' ') {
            Some(("seconds", v)) => seconds = v.trim().parse().ok(),
            Some(("rows", v)) => rows = v.trim().parse().ok(),
            Some(("versions", v)) => versions = v.trim().to_owned(),
            _ => {}
        }
    }
    Ok(Pandas {
        seconds: seconds.context("durée absente de la sortie du script pandas")?,
        rows: rows.unwrap_or(0),
        versions,
    })
}

pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}
