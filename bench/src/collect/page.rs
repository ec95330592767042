//! The results page of the collection bench, in French (bench/results/<date>-collect.md).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Ingest, Options, Run, median};

/// Issue 5's targets for (a) on SQLite and for the ratio b / a.
pub const TARGET_SECONDS: f64 = 2.0;
pub const TARGET_RATIO: f64 = 13.0;

pub struct Page<'a> {
    pub date: jiff::civil::Date,
    pub options: &'a Options,
    pub load_before: String,
    pub load_after: String,
    pub total_seconds: f64,
    pub command: String,
    pub commit: String,
}

fn seconds(s: f64) -> String {
    format!("{s:.2}").replace('.', ",")
}

/// Rounded down: a ratio just under the target never shows as the target.
fn ratio(r: f64) -> String {
    format!("{:.1}", (r * 10.0).floor() / 10.0).replace('.', ",")
}

/// 41839 → "41 839", as French text writes it.
fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

fn decimal(x: f64) -> String {
    format!("{x:.1}").replace('.', ",")
}

/// Median over the rounds of b / a, each round's (a) with its own (b).
fn round_ratio(a: &[Ingest], b: &[f64]) -> Option<f64> {
    let ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| b / a.total()).collect();
    (!ratios.is_empty()).then(|| median(&ratios))
}

fn cpu() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "processeur inconnu".to_owned());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or_else(
            || "—".to_owned(),
            |kb| format!("{:.1} Go", kb / 1024.0 / 1024.0),
        );
    format!("{model}, {cores} cœurs disponibles, {memory} de mémoire")
}

fn held(ok: bool) -> &'static str {
    if ok { "**tenue**" } else { "**manquée**" }
}

fn medians(runs: &[Ingest]) -> (f64, f64, f64, f64) {
    let open: Vec<f64> = runs.iter().map(|i| i.open_seconds).collect();
    let ingest: Vec<f64> = runs.iter().map(|i| i.ingest_seconds).collect();
    let aggregate: Vec<f64> = runs.iter().map(|i| i.aggregate_seconds).collect();
    let total: Vec<f64> = runs.iter().map(Ingest::total).collect();
    (
        median(&open),
        median(&ingest),
        median(&aggregate),
        median(&total),
    )
}

pub fn markdown(run: &Run, page: &Page<'_>) -> String {
    let o = page.options;
    let plan = &run.plan;
    let files = plan.files.len();
    let rows = plan.rows();
    let sizes: Vec<usize> = plan.files.iter().map(|f| f.rows()).collect();
    let accepted = plan.files.iter().filter(|f| f.accepted()).count();
    let second = plan.files.iter().filter(|f| f.version > 1).count();
    let mut flaws: BTreeMap<_, usize> = BTreeMap::new();
    for f in &plan.files {
        if let Some(flaw) = f.flaw {
            *flaws.entry(flaw).or_default() += 1;
        }
    }
    let warned: usize = flaws
        .iter()
        .filter(|(f, _)| !f.is_error())
        .map(|(_, n)| n)
        .sum();
    let errored: usize = flaws
        .iter()
        .filter(|(f, _)| f.is_error())
        .map(|(_, n)| n)
        .sum();

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Banc de la plateforme de collecte (ticket 5) — {}\n",
        page.date
    );
    let _ = writeln!(
        out,
        "- Classeurs : **{}** fichiers de recueil générés (graine {}), {} projets, \
         **{}** lignes d'ESSMS (de {} à {} par fichier, {} en moyenne), {} Mo, \
         {} avec rust_xlsxwriter (hors mesure).",
        count(files),
        o.params.seed,
        plan.projects(),
        count(rows),
        sizes.iter().min().unwrap_or(&0),
        sizes.iter().max().unwrap_or(&0),
        decimal(rows as f64 / files.max(1) as f64),
        decimal(run.bytes as f64 / 1e6),
        if run.reused {
            "écrits par une exécution précédente".to_owned()
        } else {
            format!("écrits en {:.0} s", run.generate_seconds)
        }
    );
    let _ = writeln!(
        out,
        "- Constats : {warned} fichiers avec un avertissement (acceptés), {errored} avec une \
         erreur (refusés), soit {} % des fichiers ; {second} déclarations envoyées une seconde \
         fois (version 2). Attendus : {} acceptés, {} refusés.",
        decimal(100.0 * (warned + errored) as f64 / files.max(1) as f64),
        count(accepted),
        files - accepted
    );
    let detail: Vec<String> = flaws
        .iter()
        .map(|(f, n)| format!("{} : {n}", f.label()))
        .collect();
    let _ = writeln!(out, "  Détail : {}.", detail.join(" ; "));
    let _ = writeln!(
        out,
        "- Machine : {} ; partagée avec d'autres compilations.",
        cpu()
    );
    let _ = writeln!(
        out,
        "- Charge moyenne (1, 5, 15 min) : {} au début, {} à la fin.",
        page.load_before, page.load_after
    );
    let pandas_versions = run
        .pandas
        .first()
        .map_or_else(|| "—".to_owned(), |p| p.versions.clone());
    let _ = writeln!(
        out,
        "- Logiciels : SQLite {} (WAL, `synchronous = NORMAL`, réglages du store) ; PostgreSQL {} \
         (réglages du serveur, `synchronous_commit = on`) ; {pandas_versions}.",
        run.sqlite_version.as_deref().unwrap_or("—"),
        run.postgres_version.as_deref().unwrap_or("—")
    );
    let _ = writeln!(
        out,
        "- Commit `{}` ; commande : `{}` ; durée totale : {:.0} s.\n",
        page.commit, page.command, page.total_seconds
    );

    let rounds = run.sqlite.len();
    let (s_open, s_ingest, s_aggregate, s_total) = medians(&run.sqlite);
    let (p_open, p_ingest, p_aggregate, p_total) = medians(&run.postgres);
    let pg = !run.postgres.is_empty();
    let b_all: Vec<f64> = run.pandas.iter().map(|p| p.seconds).collect();
    let b = (!b_all.is_empty()).then(|| median(&b_all));
    let s_ratio = round_ratio(&run.sqlite, &b_all);
    let p_ratio = round_ratio(&run.postgres, &b_all);
    let cell = |v: f64, present: bool| {
        if present {
            seconds(v)
        } else {
            "—".to_owned()
        }
    };
    let _ = writeln!(
        out,
        "Médianes de {rounds} tour(s) ; chaque tour mesure (a) SQLite, (a) PostgreSQL puis (b), \
         chaque (a) dans une base neuve.\n"
    );
    let _ = writeln!(out, "| Mesure | SQLite | PostgreSQL |\n|---|---:|---:|");
    let _ = writeln!(
        out,
        "| (a) ouverture de la base neuve et migrations, s | {} | {} |",
        seconds(s_open),
        cell(p_open, pg)
    );
    let _ = writeln!(
        out,
        "| (a) `ingest_paths` : lecture, contrôle et enregistrement des {} fichiers, s | {} | {} |",
        count(files),
        seconds(s_ingest),
        cell(p_ingest, pg)
    );
    let _ = writeln!(
        out,
        "| (a) agrégation (`aggregate::summary`) : nation, régions et projets mois par mois, trajectoire, complétude, ponctualité, s | {} | {} |",
        seconds(s_aggregate),
        cell(p_aggregate, pg)
    );
    let _ = writeln!(
        out,
        "| **(a) `carnet collect ingest` puis agrégation, total, s** | **{}** | **{}** |",
        seconds(s_total),
        cell(p_total, pg)
    );
    if let Some(b) = b {
        let _ = writeln!(
            out,
            "| (b) `pandas.read_excel(engine=\"openpyxl\", sheet_name=None)` des mêmes fichiers, s | {} | {} |",
            seconds(b),
            seconds(b)
        );
        let _ = writeln!(
            out,
            "| **Ratio b / a**, médiane des tours (cible ≥ {TARGET_RATIO:.0}) | **{}** | **{}** |",
            s_ratio.map_or_else(|| "—".to_owned(), ratio),
            p_ratio.map_or_else(|| "—".to_owned(), ratio)
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "- Cible (a) ≤ {} s sur SQLite : {} ({} s, médiane).",
        seconds(TARGET_SECONDS),
        held(s_total <= TARGET_SECONDS),
        seconds(s_total)
    );
    if let Some(s_ratio) = s_ratio {
        let _ = writeln!(
            out,
            "- Cible b / a ≥ {TARGET_RATIO:.0} : SQLite {} ({}){}.",
            held(s_ratio >= TARGET_RATIO),
            ratio(s_ratio),
            p_ratio.map_or_else(String::new, |p| format!(
                ", PostgreSQL {} ({})",
                held(p >= TARGET_RATIO),
                ratio(p)
            ))
        );
    }
    let problems = run.problems();
    let _ = writeln!(
        out,
        "- Contrôle des bases après chaque (a) : {}.",
        if problems == 0 {
            "chaque fichier à accepter est enregistré (la seconde version en version 2), aucun \
             fichier refusé ne l'est, les fichiers propres ont un rapport vide et les autres un \
             rapport non vide, chaque version a ses lignes"
                .to_owned()
        } else {
            format!("**{problems} désaccords avec le plan du générateur**")
        }
    );
    let _ = writeln!(
        out,
        "- (a) comprend l'agrégation de tout ce qui est enregistré (celle de `carnet collect \
         summary` et des tableaux de bord) ; le total national de DUI actifs agrégé est \
         comparé à la somme des lignes des versions en vigueur (écart compté ci-dessus)."
    );
    if let Some(profile) = &run.profile {
        let _ = writeln!(out, "\n### Où va le temps de (a)\n");
        let _ = writeln!(
            out,
            "Une passe de plus, hors tours (ses durées ne comptent pas dans les médianes) : \
             `ingest_paths` sans base (lecture et contrôle seuls, sur tous les cœurs) : **{} s**. \
             Puis chaque base avec le temps de chaque requête d'enregistrement tel que sqlx \
             le mesure (hors migrations) ; elles s'exécutent pendant que le lot suivant est \
             lu et contrôlé.\n",
            seconds(profile.check_only_seconds)
        );
        for (backend, wall, kinds) in &profile.statements {
            let total: f64 = kinds.iter().map(|k| k.2).sum();
            let count: u64 = kinds.iter().map(|k| k.1).sum();
            let _ = writeln!(
                out,
                "{backend} : `ingest_paths` {} s, dont {count} requêtes pour {} s.\n",
                seconds(*wall),
                seconds(total)
            );
            let _ = writeln!(out, "| Requête | nombre | s |\n|---|---:|---:|");
            for (kind, n, s) in kinds {
                let _ = writeln!(out, "| `{kind}` | {n} | {} |", seconds(*s));
            }
            let _ = writeln!(out);
        }
    }
    let _ = writeln!(out, "\n### Tous les tours\n");
    let _ = writeln!(
        out,
        "| Tour | (a) SQLite, s (dont ouverture) | (a) PostgreSQL, s (dont ouverture) | (b) pandas, s | b / a SQLite | b / a PostgreSQL |\n|---:|---:|---:|---:|---:|---:|"
    );
    for i in 0..rounds {
        let s = &run.sqlite[i];
        let p = run.postgres.get(i);
        let b = run.pandas.get(i).map(|b| b.seconds);
        let dash = || "—".to_owned();
        let _ = writeln!(
            out,
            "| {} | {} ({}) | {} | {} | {} | {} |",
            i + 1,
            seconds(s.total()),
            seconds(s.open_seconds),
            p.map_or_else(dash, |p| format!(
                "{} ({})",
                seconds(p.total()),
                seconds(p.open_seconds)
            )),
            b.map_or_else(dash, seconds),
            b.map_or_else(dash, |b| ratio(b / s.total())),
            p.zip(b).map_or_else(dash, |(p, b)| ratio(b / p.total())),
        );
    }
    if let Some(p) = run.pandas.first() {
        let _ = writeln!(
            out,
            "\npandas a lu {} lignes (toutes feuilles, en-têtes exclus) à chaque tour.",
            p.rows
        );
    }
    out
}
