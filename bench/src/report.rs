//! The results as a Markdown page, French first with the English beside it.

use crate::backend::{Figures, rate};
use crate::data::Generated;
use std::fmt::Write;

pub struct Context<'a> {
    pub date: jiff::civil::Date,
    pub scale: String,
    pub params: carnet_demo::DemoParams,
    pub seed: u64,
    pub generated: &'a Generated,
    pub load_before: String,
    pub load_after: String,
    pub total_seconds: f64,
    pub command: String,
}

/// The three load averages from `/proc/loadavg`, or a dash elsewhere.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "—".into())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub fn commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "—".into())
}

/// 12345.6 → "12 346" (French thousands separator, narrow no-break space).
fn int(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// Rounded down: a ratio just under a target never reads as the target.
fn percent(x: f64) -> String {
    format!("{:.0} %", (x * 100.0).floor())
}

fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 60 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

pub fn markdown(c: &Context<'_>, figures: &[Figures]) -> String {
    let g = c.generated;
    let mut md = String::new();
    let _ = writeln!(md, "# Banc d'essai Carnet / Carnet bench — {}\n", c.date);
    let _ = writeln!(
        md,
        "- Échelle / scale : `{}` — {} établissements, {} personnes, {} événements, {} lignes NDJSON ({:.2} Go), \
         générées en {} (`establishments: {}`, `capacity_scale: {}`, `event_rate: {}`, `months: {}`, graine / seed {}).",
        c.scale,
        int(g.establishments as f64),
        int(g.persons as f64),
        int(g.events as f64),
        int(g.lines as f64),
        g.bytes as f64 / 1e9,
        duration(g.seconds),
        c.params.establishments,
        c.params.capacity_scale,
        c.params.event_rate,
        c.params.months,
        c.seed,
    );
    if g.written_lines < g.lines {
        let _ = writeln!(
            md,
            "- Import limité / import limited to : les {} premières lignes · first lines ({} événements · events) — \
             voir « Durée » dans `bench/README.md`.",
            int(g.written_lines as f64),
            int(g.written_events as f64),
        );
    }
    let _ = writeln!(
        md,
        "- Machine : {} cœurs partagés / shared cores ; charge moyenne / load average (1, 5, 15 min) : {} au début, {} à la fin.",
        cores(),
        c.load_before,
        c.load_after
    );
    let _ = writeln!(
        md,
        "- SQLite : WAL, `synchronous = NORMAL`, clés étrangères actives (réglages du store, repris par le pilote brut). \
         PostgreSQL : réglages du serveur (`synchronous_commit = on`)."
    );
    let _ = writeln!(
        md,
        "- Commit `{}` ; commande / command : `{}` ; durée totale / total time : {}.\n",
        commit(),
        c.command,
        duration(c.total_seconds)
    );

    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let mut row = |label: &str, f: &dyn Fn(&Figures) -> String| {
        rows.push((label.to_owned(), figures.iter().map(f).collect()));
    };
    row("Import NDJSON (`db.import`), lignes/s · lines/s", &|f| {
        let r = int(f.import.lines as f64 / f.import.seconds.max(1e-9));
        if f.import.complete {
            r
        } else {
            format!("{r} (partiel · partial)")
        }
    });
    row(
        "Import : durée · duration (dont vérification · incl. check pass)",
        &|f| {
            let check = f
                .import
                .check_seconds
                .map(|s| format!(" ({})", duration(s)))
                .unwrap_or_default();
            let lines = if f.import.complete {
                String::new()
            } else {
                format!(
                    ", {} lignes écrites · lines written",
                    int(f.import.lines as f64)
                )
            };
            format!("{}{check}{lines}", duration(f.import.seconds))
        },
    );
    row(
        "Événements dans la base · events in the database",
        &|f| int(f.events_in_db as f64),
    );
    row(
        "Unitaire · one by one — Carnet `db.create::<Event>` (contrôles + audit), év./s",
        &|f| int(rate(f.single_n, f.ours_single)),
    );
    row(
        "Unitaire · one by one — pilote brut · raw driver (1 `INSERT` / transaction), év./s",
        &|f| int(rate(f.single_n, f.raw_single)),
    );
    row(
        "**Ratio Carnet / brut · ours / raw (cible · target ≥ 50 %)**",
        &|f| {
            format!(
                "**{}**",
                percent(f.raw_single.as_secs_f64() / f.ours_single.as_secs_f64().max(1e-9))
            )
        },
    );
    row(
        "Unitaire · one by one — pilote brut sans le ping de sqlx avant chaque connexion · raw driver without the acquire ping (comme le store sur SQLite · as the store on SQLite), év./s",
        &|f| match f.raw_no_ping_single {
            Some(d) => int(rate(f.single_n, d)),
            None => "—".to_owned(),
        },
    );
    row(
        "**Ratio Carnet / brut sans ping · ours / raw without ping**",
        &|f| match f.raw_no_ping_single {
            Some(d) => format!(
                "**{}**",
                percent(d.as_secs_f64() / f.ours_single.as_secs_f64().max(1e-9))
            ),
            None => "—".to_owned(),
        },
    );
    row(
        "Unitaire · one by one — Carnet sans l'index d'activité · without the activity index (`Db::without_activity_index`, banc seulement · bench only), év./s",
        &|f| int(rate(f.single_n, f.bare_single)),
    );
    row(
        "**Coût de l'index d'activité · cost of the activity index** : µs par création · per create (part du temps · share of the time)",
        &|f| {
            let n = f.single_n.max(1) as f64;
            let with = f.ours_single.as_secs_f64() / n;
            let without = f.bare_single.as_secs_f64() / n;
            format!(
                "**{:.0} µs ({})**",
                (with - without) * 1e6,
                percent((with - without) / with.max(1e-12))
            )
        },
    );
    row(
        "Aller-retour d'une requête vide · empty statement round trip (`SELECT 1`), µs — natif · native / `Any`",
        &|f| format!("{:.0} / {:.0}", f.round_trip_us.0, f.round_trip_us.1),
    );
    row(
        "Par lots · batched — import Carnet d'un fichier d'événements, év./s",
        &|f| int(rate(f.batch_n, f.ours_batch)),
    );
    row(
        "Par lots · batched — pilote brut, `INSERT` multi-lignes (2 000), une transaction, év./s",
        &|f| int(rate(f.batch_n, f.raw_batch)),
    );
    row("**Ratio lots Carnet / brut · batched ours / raw**", &|f| {
        format!(
            "**{}**",
            percent(f.raw_batch.as_secs_f64() / f.ours_batch.as_secs_f64().max(1e-9))
        )
    });

    let _ = write!(md, "| Mesure · measure |");
    for f in figures {
        let _ = write!(md, " {} |", f.backend);
    }
    let _ = write!(md, "\n|---|");
    for _ in figures {
        let _ = write!(md, "---:|");
    }
    md.push('\n');
    for (label, cells) in rows {
        let _ = writeln!(md, "| {label} | {} |", cells.join(" | "));
    }
    if let Some(f) = figures.first() {
        let _ = writeln!(
            md,
            "\nUnitaire : {} événements par variante, en tours entrelacés (au plus 1 000 par tour) (Carnet puis brut, brut puis Carnet, …). \
             Lots : {} événements par variante, en deux tours alternés ; l'import Carnet lit le fichier (deux passes : \
             vérification puis écriture), le pilote brut reçoit les lignes déjà en mémoire.",
            int(f.single_n as f64),
            int(f.batch_n as f64)
        );
    }
    for f in figures {
        profile_section(&mut md, f);
    }
    md
}

/// Statements of our write path by time, from sqlx's own timings.
fn profile_section(md: &mut String, f: &Figures) {
    let (n, total, totals) = &f.profile;
    if *n == 0 {
        return;
    }
    let per = |seconds: f64| seconds * 1e6 / *n as f64;
    let total = total.as_secs_f64();
    let _ = writeln!(
        md,
        "
### {} — profil de `db.create::<Event>` · where the time goes ({} créations, {:.0} µs chacune · each)
",
        f.backend,
        int(*n as f64),
        per(total)
    );
    let _ = writeln!(
        md,
        "| Requête · statement (temps mesuré par sqlx · timed by sqlx) | par création · per create | µs | part · share |\n|---|---:|---:|---:|"
    );
    let mut statements: Vec<_> = totals.iter().collect();
    statements.sort_by(|a, b| b.1.1.total_cmp(&a.1.1));
    let mut timed = 0.0;
    for (sql, (count, seconds)) in statements {
        timed += seconds;
        let mut sql = sql.replace('|', "\\|");
        if sql.chars().count() > 160 {
            sql = sql.chars().take(160).collect::<String>() + " …";
        }
        let _ = writeln!(
            md,
            "| `{sql}` | {:.2} | {:.0} | {} |",
            *count as f64 / *n as f64,
            per(*seconds),
            percent(seconds / total.max(1e-9))
        );
    }
    let _ = writeln!(
        md,
        "| Hors requêtes : `BEGIN`/`COMMIT`, pilote `Any`, code Rust · outside statements | | {:.0} | {} |",
        per((total - timed).max(0.0)),
        percent((total - timed).max(0.0) / total.max(1e-9))
    );
    let raw = f.raw_single.as_secs_f64() * 1e6 / f.single_n.max(1) as f64;
    let _ = writeln!(
        md,
        "\nPour comparaison · for comparison : le pilote brut prend {raw:.0} µs par événement (`BEGIN`, `INSERT`, `COMMIT`)."
    );
}
