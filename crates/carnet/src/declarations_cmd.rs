//! `carnet declarations` (what was declared, month by month) and
//! `carnet chart` (a French SVG of the monthly DUI actifs and rates of one
//! establishment). Both read; neither counts anything itself.

use crate::cli::DbArg;
use crate::commands::{connect, today_in_paris};
use crate::indicators_cmd::{parse_date, rules_for, select};
use anyhow::{Context, bail};
use carnet_core::indicators::{Month, Period, french_date};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct DeclarationsArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// FINESS géographique d'un établissement ; par défaut tous
    #[arg(long)]
    pub finess: Option<String>,
}

pub async fn declarations(args: DeclarationsArgs) -> anyhow::Result<ExitCode> {
    let db = connect(&args.db.db).await?;
    let finess: Vec<String> = args.finess.iter().cloned().collect();
    // Checks the FINESS exists, with the same French error as elsewhere.
    let selection = select(&db, &finess).await?;
    let wanted = selection
        .establishments
        .first()
        .filter(|_| args.finess.is_some())
        .map(|e| e.finess.to_string());
    let mut all = Vec::new();
    for o in &selection.organisations {
        all.extend(db.declarations(o.id, wanted.as_deref()).await?);
    }
    if all.is_empty() {
        println!("Aucune déclaration enregistrée (ni fichier de recueil, ni preuve d'usage).");
        return Ok(ExitCode::SUCCESS);
    }
    all.sort_by_key(|d| (d.period.to(), d.period.from(), d.produced_at, d.id));
    let mut current = None;
    for d in &all {
        let month = Month::of(d.period.to());
        if current != Some(month) {
            println!("Période se terminant en {}", month.french_name());
            current = Some(month);
        }
        let paris = jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC);
        let produced = paris.to_datetime(d.produced_at);
        println!(
            "  {} à {:02}:{:02} — {} — {} {} — {} — DUI actifs {} / personnes accompagnées {} \
             — {} (SHA-256 {}){}",
            french_date(produced.date()),
            produced.hour(),
            produced.minute(),
            d.kind.label(),
            d.finess,
            d.establishment_name,
            d.period.label(),
            d.figures.active_records,
            d.figures.accompanied_persons,
            d.file_name,
            d.file_sha256,
            d.declarant
                .as_ref()
                .map(|p| format!(" — déclarant : {p}"))
                .unwrap_or_default(),
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct ChartArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// FINESS géographique de l'établissement
    #[arg(long)]
    pub finess: String,
    /// Nombre de mois complets (avant le mois en cours)
    #[arg(long, default_value_t = 12)]
    pub months: u8,
    /// Date du jour (AAAA-MM-JJ) ; par défaut aujourd'hui à Paris
    #[arg(long)]
    pub today: Option<String>,
    /// Fichier SVG à écrire
    #[arg(long)]
    pub out: PathBuf,
}

pub async fn chart(args: ChartArgs) -> anyhow::Result<ExitCode> {
    if !(1..=120).contains(&args.months) {
        bail!("--months doit être compris entre 1 et 120");
    }
    let today = match &args.today {
        Some(t) => parse_date("--today", t)?,
        None => today_in_paris(),
    };
    let db = connect(&args.db.db).await?;
    let selection = select(&db, std::slice::from_ref(&args.finess)).await?;
    let Some(establishment) = selection.establishments.first() else {
        bail!("FINESS « {} » inconnu", args.finess);
    };
    let rules = rules_for(&db, "chart", &selection).await?;
    let span = Period::last_full_months(today, args.months)?;
    let months = db.monthly_indicators(&rules, span, establishment).await?;
    let svg = carnet_web::declare::trend_chart(establishment, span, &months, &rules);
    std::fs::write(&args.out, svg)
        .with_context(|| format!("écriture de {}", args.out.display()))?;
    println!(
        "Graphique écrit : {} ({} mois).",
        args.out.display(),
        months.len()
    );
    Ok(ExitCode::SUCCESS)
}
