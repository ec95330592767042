//! One backend's measurements: import the organisation through the store, then
//! compare our event writes with the native driver's on that populated database.
//!
//! The one-by-one variants run interleaved in rounds (ours then raw, raw then
//! ours, …), so that a burst of load from other work on the machine falls on
//! both alike. A last, untimed pass profiles our statements.

use crate::data::{self, Generated};
use crate::peer;
use crate::profile::{Profiler, Totals};
use crate::progress::Ticker;
use anyhow::{Context, bail};
use carnet_core::model::Event;
use carnet_store::interchange::ImportOutcome;
use carnet_store::{Actor, Db, Scope, WriteCtx};
use jiff::Timestamp;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

pub struct Setup<'a> {
    pub ndjson: &'a Path,
    pub work_dir: &'a Path,
    pub generated: &'a Generated,
    /// Parameters, seed and day of the reduced organisation imported instead
    /// when the full import exceeds its budget.
    pub fallback: (carnet_demo::DemoParams, u64, jiff::civil::Date),
    pub batch: usize,
    pub now: Timestamp,
    pub import_budget: Duration,
    pub profiler: &'a Profiler,
}

pub enum Target {
    Sqlite,
    Postgres { server: String },
}

/// The import of the whole file through `db.import`.
pub struct ImportFigure {
    /// Lines counted in the rate, and the seconds they took.
    pub lines: u64,
    pub seconds: f64,
    /// Seconds of the checking pass (pass 1), when it finished.
    pub check_seconds: Option<f64>,
    /// False when the budget ran out: the rate is then the writing pass's so far.
    pub complete: bool,
}

/// Everything measured on one backend.
pub struct Figures {
    pub backend: &'static str,
    pub import: ImportFigure,
    /// Events in the database the insert comparisons ran on.
    pub events_in_db: i64,
    pub single_n: usize,
    pub ours_single: Duration,
    pub raw_single: Duration,
    /// SQLite only: the raw driver without sqlx's ping before each acquire.
    pub raw_no_ping_single: Option<Duration>,
    /// `db.create` without the activity index (`Db::without_activity_index`):
    /// what the index costs a write.
    pub bare_single: Duration,
    /// Events created while profiling, their total time, and the time of
    /// each statement sqlx reported.
    pub profile: (usize, Duration, Totals),
    /// Microseconds of an empty statement (`SELECT 1`) through the native
    /// driver and through the store's `Any` pool: the price of one more
    /// round trip, whatever the statement does.
    pub round_trip_us: (f64, f64),
    pub batch_n: usize,
    pub ours_batch: Duration,
    pub raw_batch: Duration,
}

enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    /// `ping`: sqlx's default check of a connection before each acquire (a
    /// round trip); the store skips it on SQLite, where a connection cannot
    /// drop, so the bench also measures the raw driver without it.
    async fn connect(url: &str, ping: bool) -> anyhow::Result<Raw> {
        if url.starts_with("sqlite:") {
            use sqlx::sqlite::{
                SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
            };
            // The same settings as the store's connections.
            let options = SqliteConnectOptions::from_str(url)?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(ping)
                .connect_with(options)
                .await?;
            Ok(Raw::Sqlite(pool))
        } else {
            Ok(Raw::Postgres(sqlx::PgPool::connect(url).await?))
        }
    }

    async fn single(&self, events: &[Event]) -> anyhow::Result<Duration> {
        match self {
            Raw::Sqlite(p) => peer::sqlite::single(p, events).await,
            Raw::Postgres(p) => peer::postgres::single(p, events).await,
        }
    }

    async fn batched(&self, events: &[Event]) -> anyhow::Result<Duration> {
        match self {
            Raw::Sqlite(p) => peer::sqlite::batched(p, events).await,
            Raw::Postgres(p) => peer::postgres::batched(p, events).await,
        }
    }

    async fn max_event_id(&self) -> anyhow::Result<i64> {
        match self {
            Raw::Sqlite(p) => peer::sqlite::max_event_id(p).await,
            Raw::Postgres(p) => peer::postgres::max_event_id(p).await,
        }
    }

    async fn count_events(&self) -> anyhow::Result<i64> {
        use sqlx::Row;
        let sql = "SELECT COUNT(*) AS n FROM events";
        Ok(match self {
            Raw::Sqlite(p) => sqlx::query(sql).fetch_one(p).await?.try_get("n")?,
            Raw::Postgres(p) => sqlx::query(sql).fetch_one(p).await?.try_get("n")?,
        })
    }

    async fn round_trip_us(&self, n: u32) -> anyhow::Result<f64> {
        // On one connection, as the statements of a transaction run.
        let started = match self {
            Raw::Sqlite(p) => {
                let mut conn = p.acquire().await?;
                let started = Instant::now();
                for _ in 0..n {
                    sqlx::query("SELECT 1").execute(&mut *conn).await?;
                }
                started
            }
            Raw::Postgres(p) => {
                let mut conn = p.acquire().await?;
                let started = Instant::now();
                for _ in 0..n {
                    sqlx::query("SELECT 1").execute(&mut *conn).await?;
                }
                started
            }
        };
        Ok(started.elapsed().as_secs_f64() * 1e6 / f64::from(n))
    }

    async fn close(&self) {
        match self {
            Raw::Sqlite(p) => p.close().await,
            Raw::Postgres(p) => p.close().await,
        }
    }
}

/// A fresh, empty database of the target; removed by [`Fresh::remove`].
struct Fresh {
    url: String,
    sqlite_path: Option<std::path::PathBuf>,
    postgres: Option<(sqlx::PgPool, String)>,
}

impl Fresh {
    async fn create(target: &Target, work_dir: &Path) -> anyhow::Result<Fresh> {
        match target {
            Target::Sqlite => {
                let path = work_dir.join("bench.db");
                remove_sqlite(&path);
                Ok(Fresh {
                    url: format!("sqlite://{}", path.display()),
                    sqlite_path: Some(path),
                    postgres: None,
                })
            }
            Target::Postgres { server } => {
                let server = server.trim_end_matches('/');
                let admin = sqlx::PgPool::connect(&format!("{server}/postgres"))
                    .await
                    .with_context(|| format!("connexion à {server}"))?;
                let name = format!("carnet_bench_{}", std::process::id());
                drop_database(&admin, &name).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&admin)
                    .await?;
                Ok(Fresh {
                    url: format!("{server}/{name}"),
                    sqlite_path: None,
                    postgres: Some((admin, name)),
                })
            }
        }
    }

    async fn remove(self) -> anyhow::Result<()> {
        if let Some(path) = &self.sqlite_path {
            remove_sqlite(path);
        }
        if let Some((admin, name)) = &self.postgres {
            drop_database(admin, name).await?;
            admin.close().await;
        }
        Ok(())
    }
}

fn remove_sqlite(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

pub(crate) async fn drop_database(admin: &sqlx::PgPool, name: &str) -> anyhow::Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(admin)
    .await?;
    Ok(())
}

fn ctx(now: Timestamp) -> WriteCtx {
    WriteCtx {
        actor: Actor::System("bench"),
        now,
    }
}

/// Progress of `db.import`, stage by stage.
struct ImportProgress {
    label: String,
    stage: &'static str,
    ticker: Ticker,
    started: Instant,
    check_seconds: Option<f64>,
}

impl ImportProgress {
    fn new(label: String) -> Self {
        Self {
            ticker: Ticker::new(format!("{label} vérification")),
            label,
            stage: "vérification",
            started: Instant::now(),
            check_seconds: None,
        }
    }

    fn on(&mut self, stage: &'static str, n: u64) {
        if stage != self.stage {
            if self.stage == "vérification" {
                self.check_seconds = Some(self.started.elapsed().as_secs_f64());
            }
            self.stage = stage;
            self.ticker = Ticker::new(format!("{} {stage}", self.label));
        }
        self.ticker.tick(n, "lignes");
    }
}

/// Imports `path`; `Ok(None)` when the budget ran out (the transaction is then
/// rolled back by dropping it), with the partial figure.
async fn import(
    db: &Db,
    path: &Path,
    now: Timestamp,
    label: &str,
    budget: Duration,
) -> anyhow::Result<(ImportFigure, bool)> {
    let mut progress = ImportProgress::new(label.to_owned());
    let started = Instant::now();
    let outcome = tokio::time::timeout(
        budget,
        db.import(&ctx(now), path, |stage, n| progress.on(stage, n)),
    )
    .await;
    let seconds = started.elapsed().as_secs_f64();
    match outcome {
        Ok(outcome) => match outcome? {
            ImportOutcome::Imported { lines } => Ok((
                ImportFigure {
                    lines,
                    seconds,
                    check_seconds: progress.check_seconds,
                    complete: true,
                },
                true,
            )),
            ImportOutcome::Refused { errors, total } => {
                for e in errors.iter().take(10) {
                    eprintln!("  - {e}");
                }
                bail!("import refusé ({total} erreurs)")
            }
        },
        Err(_) => {
            let (lines, seconds) = if progress.stage == "écriture" {
                progress.ticker.last_seen()
            } else {
                (0, seconds)
            };
            eprintln!(
                "  [{label}] budget épuisé : import interrompu (annulé) après {lines} lignes écrites"
            );
            Ok((
                ImportFigure {
                    lines,
                    seconds,
                    check_seconds: progress.check_seconds,
                    complete: false,
                },
                false,
            ))
        }
    }
}

pub async fn run(setup: &Setup<'_>, target: Target) -> anyhow::Result<Figures> {
    let backend = match target {
        Target::Sqlite => "SQLite",
        Target::Postgres { .. } => "PostgreSQL",
    };
    eprintln!("== {backend} ==");
    let mut fresh = Fresh::create(&target, setup.work_dir).await?;
    let db = Db::connect(&fresh.url).await?;
    let (import_figure, complete) = import(
        &db,
        setup.ndjson,
        setup.now,
        &format!("{backend} import"),
        setup.import_budget,
    )
    .await?;
    eprintln!(
        "  import : {} lignes en {:.0} s ({:.0} lignes/s){}",
        import_figure.lines,
        import_figure.seconds,
        import_figure.lines as f64 / import_figure.seconds,
        if complete { "" } else { " — partiel" }
    );
    let db = if complete {
        db
    } else {
        // The rolled-back import leaves an empty database: continue on the
        // reduced organisation, in a new one.
        db.close().await;
        fresh.remove().await?;
        fresh = Fresh::create(&target, setup.work_dir).await?;
        let db = Db::connect(&fresh.url).await?;
        let (params, seed, today) = &setup.fallback;
        let path = setup.work_dir.join("fallback.ndjson");
        data::generate(params, *seed, *today, &path, 0, None)?;
        import(
            &db,
            &path,
            setup.now,
            &format!("{backend} import réduit"),
            Duration::MAX,
        )
        .await?;
        let _ = std::fs::remove_file(&path);
        db
    };
    let raw = Raw::connect(&fresh.url, true).await?;
    // On SQLite the store's pools skip the ping: the raw driver is measured
    // with sqlx's defaults and, in the same rounds, without the ping too.
    let raw_no_ping = match target {
        Target::Sqlite => Some(Raw::connect(&fresh.url, false).await?),
        Target::Postgres { .. } => None,
    };
    let events_in_db = raw.count_events().await?;

    // One by one: ours and raw, interleaved.
    let sample = &setup.generated.sample;
    let scope = Scope::whole(
        sample
            .first()
            .map(|e| e.organisation_id)
            .context("aucun événement généré")?,
    );
    let write_ctx = ctx(setup.now);
    let create_all = async |events: &[Event]| -> anyhow::Result<Duration> {
        let started = Instant::now();
        for e in events {
            db.create::<Event>(&write_ctx, &scope, e.clone()).await?;
        }
        Ok(started.elapsed())
    };
    let bare = db.without_activity_index();
    let create_bare = async |events: &[Event]| -> anyhow::Result<Duration> {
        let started = Instant::now();
        for e in events {
            bare.create::<Event>(&write_ctx, &scope, e.clone()).await?;
        }
        Ok(started.elapsed())
    };
    let round = (sample.len() / 10).clamp(1, 1000);
    let mut bare_single = Duration::ZERO;
    let (mut ours_single, mut raw_single) = (Duration::ZERO, Duration::ZERO);
    let mut raw_no_ping_single = Duration::ZERO;
    let mut ticker = Ticker::new(format!("{backend} insertion unitaire"));
    for (k, chunk) in sample.chunks(round).enumerate() {
        if k % 2 == 0 {
            ours_single += create_all(chunk).await?;
            raw_single += raw.single(chunk).await?;
            if let Some(r) = &raw_no_ping {
                raw_no_ping_single += r.single(chunk).await?;
            }
            bare_single += create_bare(chunk).await?;
        } else {
            bare_single += create_bare(chunk).await?;
            if let Some(r) = &raw_no_ping {
                raw_no_ping_single += r.single(chunk).await?;
            }
            raw_single += raw.single(chunk).await?;
            ours_single += create_all(chunk).await?;
        }
        ticker.tick(((k + 1) * round).min(sample.len()) as u64, "événements × 2");
    }
    eprintln!(
        "  unitaire : Carnet {:.0}/s, brut {:.0}/s",
        rate(sample.len(), ours_single),
        rate(sample.len(), raw_single),
    );
    let profiled = &sample[..sample.len().min(1000)];
    setup.profiler.start();
    let profile_time = create_all(profiled).await;
    let totals = setup.profiler.stop();
    let profile = (profiled.len(), profile_time?, totals);
    let (mut native_rt, mut any_rt) = (0.0, 0.0);
    for _ in 0..2 {
        native_rt += raw.round_trip_us(1000).await? / 2.0;
        let mut conn = db.pool().acquire().await?;
        let started = Instant::now();
        for _ in 0..1000 {
            sqlx::query("SELECT 1").execute(&mut *conn).await?;
        }
        any_rt += started.elapsed().as_secs_f64() * 1e6 / 1000.0 / 2.0;
    }

    // Batched: our import of a file of events vs multi-row inserts, two rounds.
    let base = raw.max_event_id().await? + 1;
    let batch: Vec<Event> = sample.iter().cycle().take(setup.batch).cloned().collect();
    let (mut ours_batch, mut raw_batch) = (Duration::ZERO, Duration::ZERO);
    let rounds = 2;
    for r in 0..rounds {
        let first = base + (2 * r * setup.batch) as i64;
        let ours = data::renumbered(&batch, first);
        let theirs = data::renumbered(&batch, first + setup.batch as i64);
        let path = setup.work_dir.join("batch.ndjson");
        data::write_events_file(&path, &ours)?;
        let mut run_ours = async || -> anyhow::Result<()> {
            let (figure, done) = import(
                &db,
                &path,
                setup.now,
                &format!("{backend} lot"),
                Duration::MAX,
            )
            .await?;
            if !done {
                bail!("import du lot interrompu");
            }
            ours_batch += Duration::from_secs_f64(figure.seconds);
            Ok(())
        };
        if r % 2 == 0 {
            run_ours().await?;
            raw_batch += raw.batched(&theirs).await?;
        } else {
            raw_batch += raw.batched(&theirs).await?;
            run_ours().await?;
        }
        let _ = std::fs::remove_file(&path);
    }
    eprintln!(
        "  lot : Carnet {:.0}/s, brut {:.0}/s",
        rate(rounds * setup.batch, ours_batch),
        rate(rounds * setup.batch, raw_batch)
    );

    raw.close().await;
    if let Some(r) = &raw_no_ping {
        r.close().await;
    }
    db.close().await;
    fresh.remove().await?;
    Ok(Figures {
        backend,
        import: import_figure,
        events_in_db,
        single_n: sample.len(),
        ours_single,
        raw_single,
        raw_no_ping_single: raw_no_ping.as_ref().map(|_| raw_no_ping_single),
        bare_single,
        profile,
        round_trip_us: (native_rt, any_rt),
        batch_n: rounds * setup.batch,
        ours_batch,
        raw_batch,
    })
}

pub fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}
