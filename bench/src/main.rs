//! Carnet's write-path bench (issue 2, item 12). It builds the large demo
//! organisation through the store on SQLite and PostgreSQL, then measures, in
//! the same run and on the same database, our event writes beside sqlx's native
//! driver writing the same rows. What matters is the ratio ours / raw: the
//! machine is shared, so absolute figures move from run to run, ratios much
//! less. Speed is measured here, never asserted in a test.
//!
//! The bench creates its own databases (a SQLite file in the work directory, a
//! `carnet_bench_<pid>` PostgreSQL database) and removes them at the end.

mod backend;
mod collect;
mod data;
mod indicators;
mod peer;
mod profile;
mod progress;
mod report;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scale {
    /// The bench organisation: `DemoParams::large()` (≈ 22 M events).
    Full,
    /// A twentieth of the establishments, fewer events: a quick check.
    Small,
}

/// Banc d'essai du chemin d'écriture de Carnet, à côté du pilote sqlx natif.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Taille de l'organisme généré.
    #[arg(long, value_enum, default_value = "small")]
    scale: Scale,
    /// Ne mesure que SQLite.
    #[arg(long)]
    sqlite_only: bool,
    /// Fichier Markdown des résultats (défaut : bench/results/<date>.md).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Serveur PostgreSQL, sans nom de base : la base carnet_bench_<pid> y est
    /// créée puis supprimée.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres: String,
    /// Graine du générateur.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Répertoire de travail (fichier NDJSON, base SQLite) ; défaut : dossier temporaire.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// N'importe que les N premières lignes du fichier (l'organisme entier est
    /// tout de même généré et compté) ; défaut : tout.
    #[arg(long)]
    import_lines: Option<u64>,
    /// Événements insérés un par un, par variante (défaut : 5 000 en full, 2 000 en small).
    #[arg(long)]
    single: Option<usize>,
    /// Événements par lot dans la comparaison par lots (défaut : 100 000 en full, 20 000 en small).
    #[arg(long)]
    batch: Option<usize>,
    /// Durée maximale de l'import complet par base, en minutes ; au-delà, le
    /// débit mesuré jusque-là est rapporté et la suite tourne sur l'organisme réduit.
    #[arg(long, default_value_t = 15)]
    import_budget_min: u64,
    /// Banc des indicateurs (ticket 3) au lieu du banc d'écriture : bases
    /// gardées dans --work-dir (défaut /work/bench-data) et --postgres-db.
    #[arg(long)]
    indicators: bool,
    /// Avec --indicators : mesure les bases déjà chargées au lieu de les recharger.
    #[arg(long)]
    reuse: bool,
    /// Avec --indicators : base PostgreSQL gardée entre les exécutions.
    #[arg(long, default_value = "carnet_bench_idx")]
    postgres_db: String,
    /// Avec --indicators : nombre de mesures chronométrées de (a) et (b).
    #[arg(long, default_value_t = 10)]
    repeat: usize,
    /// Avec --indicators : nombre d'exécutions du SQL brut (c) par base.
    #[arg(long, default_value_t = 2)]
    sql_repeat: usize,
    /// Avec --indicators : reconstruit l'index avant de mesurer.
    #[arg(long)]
    rebuild: bool,
    /// Avec --indicators : charge PostgreSQL depuis la base SQLite (COPY)
    /// au lieu d'importer le fichier.
    #[arg(long)]
    copy_postgres: bool,
    /// Avec --indicators : sans DuckDB (b).
    #[arg(long)]
    no_duckdb: bool,
    /// Banc de la plateforme de collecte (ticket 5) : classeurs générés, ingérés
    /// par `carnet collect ingest` (SQLite, PostgreSQL) et lus par pandas.
    #[arg(long)]
    collect: bool,
    /// Avec --collect : nombre de classeurs générés.
    #[arg(long, default_value_t = 2_000)]
    collect_files: usize,
    /// Avec --collect : tours de mesures ((a) SQLite, (a) PostgreSQL, (b) pandas).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Avec --collect : sans pandas (b).
    #[arg(long)]
    no_pandas: bool,
    /// Avec --collect : garde les classeurs générés (dans --work-dir/recueils).
    #[arg(long)]
    keep_files: bool,
    /// Avec --collect : réutilise les classeurs gardés par une exécution
    /// précédente (même graine, même nombre) au lieu de les réécrire.
    #[arg(long)]
    reuse_files: bool,
}

fn small_params() -> carnet_demo::DemoParams {
    carnet_demo::DemoParams {
        organisation_name: "Fédération Horizons (banc réduit)".into(),
        establishments: 26,
        event_rate: 4.0,
        ..carnet_demo::DemoParams::large()
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let profiler = profile::Profiler::install();
    let started = std::time::Instant::now();
    let now = clock::now();
    let today = clock::today_in_paris(now);
    let load_before = report::load_average();
    let (params, single, batch) = match args.scale {
        Scale::Full => (carnet_demo::DemoParams::large(), 5_000, 100_000),
        Scale::Small => (small_params(), 2_000, 20_000),
    };
    if args.collect {
        return collect_bench(&args, now, started, load_before, profiler).await;
    }
    if args.indicators {
        // A fixed day: the organisation and the period are the same from
        // run to run, so that a loaded database can be measured again.
        let today = jiff::civil::date(2026, 11, 23);
        let options = indicators::Options {
            work_dir: args
                .work_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("/work/bench-data")),
            server: args.postgres.trim_end_matches('/').to_owned(),
            postgres_db: args.postgres_db.clone(),
            sqlite_only: args.sqlite_only,
            reuse: args.reuse,
            params,
            seed: args.seed,
            today,
            period: carnet_core::indicators::Period::new(
                jiff::civil::date(2026, 8, 1),
                jiff::civil::date(2026, 10, 31),
            )?,
            now,
            repeat: args.repeat,
            sql_repeat: args.sql_repeat,
            rebuild: args.rebuild,
            copy_postgres: args.copy_postgres,
            duckdb: !args.no_duckdb,
        };
        let run = indicators::run(&options).await?;
        let page = indicators::Page {
            date: now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date(),
            options: &options,
            load_before,
            load_after: report::load_average(),
            total_seconds: started.elapsed().as_secs_f64(),
            command: std::env::args().collect::<Vec<_>>().join(" "),
            commit: report::commit(),
        };
        let markdown = indicators::markdown(&run, &page);
        println!("{markdown}");
        let out = args.out.unwrap_or_else(|| {
            PathBuf::from(format!("bench/results/{}-indicators-run.md", page.date))
        });
        std::fs::write(&out, markdown).with_context(|| format!("écriture de {}", out.display()))?;
        eprintln!("Résultats écrits dans {}", out.display());
        let differ = run.backends_differ
            + run
                .measured
                .iter()
                .map(|m| m.sql_differences)
                .sum::<usize>()
            + run.duckdb.as_ref().map_or(0, |d| d.1);
        if differ > 0 {
            anyhow::bail!("les pairs ne donnent pas les mêmes chiffres ({differ} désaccords)");
        }
        return Ok(());
    }
    let single = args.single.unwrap_or(single);
    let batch = args.batch.unwrap_or(batch);

    let work_dir = match &args.work_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("carnet-bench-{}", std::process::id())),
    };
    std::fs::create_dir_all(&work_dir)
        .with_context(|| format!("création de {}", work_dir.display()))?;
    let ndjson = work_dir.join("organisation.ndjson");
    eprintln!(
        "Génération de l'organisme ({:?}, graine {}) dans {}",
        args.scale,
        args.seed,
        ndjson.display()
    );
    let generated = data::generate(
        &params,
        args.seed,
        today,
        &ndjson,
        single,
        args.import_lines,
    )?;
    eprintln!(
        "  {} lignes, {} événements, {} établissements, {} personnes, {:.1} Go en {:.0} s",
        generated.lines,
        generated.events,
        generated.establishments,
        generated.persons,
        generated.bytes as f64 / 1e9,
        generated.seconds
    );
    if args.import_lines.is_some() {
        eprintln!(
            "  importées : les {} premières lignes ({} événements)",
            generated.written_lines, generated.written_events
        );
    }

    let setup = backend::Setup {
        ndjson: &ndjson,
        work_dir: &work_dir,
        generated: &generated,
        fallback: (small_params(), args.seed, today),
        batch,
        now,
        import_budget: std::time::Duration::from_secs(args.import_budget_min * 60),
        profiler: &profiler,
    };
    let mut figures = Vec::new();
    figures.push(backend::run(&setup, backend::Target::Sqlite).await?);
    if !args.sqlite_only {
        figures.push(
            backend::run(
                &setup,
                backend::Target::Postgres {
                    server: args.postgres.clone(),
                },
            )
            .await?,
        );
    }
    let _ = std::fs::remove_file(&ndjson);
    if args.work_dir.is_none() {
        let _ = std::fs::remove_dir_all(&work_dir);
    }

    let context = report::Context {
        date: now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date(),
        scale: format!("{:?}", args.scale).to_lowercase(),
        params,
        seed: args.seed,
        generated: &generated,
        load_before,
        load_after: report::load_average(),
        total_seconds: started.elapsed().as_secs_f64(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    let markdown = report::markdown(&context, &figures);
    println!("{markdown}");
    let out = match args.out {
        Some(out) => out,
        None => PathBuf::from(format!("bench/results/{}.md", context.date)),
    };
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, markdown).with_context(|| format!("écriture de {}", out.display()))?;
    eprintln!("Résultats écrits dans {}", out.display());
    Ok(())
}

/// `--collect`: the collection-platform ingestion bench (issue 5).
async fn collect_bench(
    args: &Args,
    now: jiff::Timestamp,
    started: std::time::Instant,
    load_before: String,
    profiler: profile::Profiler,
) -> anyhow::Result<()> {
    let options = collect::Options {
        work_dir: match &args.work_dir {
            Some(dir) => dir.clone(),
            None => std::env::temp_dir().join(format!("carnet-bench-{}", std::process::id())),
        },
        keep_files: args.keep_files || args.reuse_files,
        reuse_files: args.reuse_files,
        server: args.postgres.trim_end_matches('/').to_owned(),
        sqlite_only: args.sqlite_only,
        params: collect::workbooks::Params {
            files: args.collect_files,
            seed: args.seed,
            ..Default::default()
        },
        rounds: args.rounds,
        pandas: !args.no_pandas,
        now,
        profiler,
    };
    std::fs::create_dir_all(&options.work_dir)
        .with_context(|| format!("création de {}", options.work_dir.display()))?;
    let run = collect::run(&options).await?;
    if args.work_dir.is_none() && !args.keep_files {
        let _ = std::fs::remove_dir_all(&options.work_dir);
    }
    let page = collect::page::Page {
        date: now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date(),
        options: &options,
        load_before,
        load_after: report::load_average(),
        total_seconds: started.elapsed().as_secs_f64(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        commit: report::commit(),
    };
    let markdown = collect::page::markdown(&run, &page);
    println!("{markdown}");
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("bench/results/{}-collect.md", page.date)));
    std::fs::write(&out, markdown).with_context(|| format!("écriture de {}", out.display()))?;
    eprintln!("Résultats écrits dans {}", out.display());
    let problems = run.problems();
    if problems > 0 {
        anyhow::bail!("{problems} désaccords entre les bases et le plan du générateur");
    }
    Ok(())
}

/// The one place the bench reads the clock (for the data's `today`, the audit
/// entries' instant and the results' date); durations use `Instant`.
mod clock {
    use jiff::Timestamp;

    #[allow(
        clippy::disallowed_methods,
        reason = "the binary is where the clock is read"
    )]
    pub fn now() -> Timestamp {
        Timestamp::now()
    }

    pub fn today_in_paris(now: Timestamp) -> jiff::civil::Date {
        match jiff::tz::TimeZone::get("Europe/Paris") {
            Ok(tz) => now.to_zoned_datetime(tz).date(),
            Err(_) => now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date(),
        }
    }
}
