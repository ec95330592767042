//! `carnet collect flash`: the monthly flash report of a region
//! (carnet_collect::flash) as French text, a printable HTML page or a PDF.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use carnet_collect::aggregate::{Month, Options};
use carnet_collect::flash;

use crate::cli::DbArg;
use crate::commands::now;

/// Output format of the flash report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FlashFormat {
    /// Texte en français (par défaut)
    Text,
    /// Page HTML autonome, imprimable
    Html,
    /// PDF/A (A4, polices intégrées) ; --out obligatoire
    Pdf,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Les chiffres sont ceux de « carnet collect summary » pour la région et le \
mois : déclarations en vigueur, taux calculés sur les sommes, part des ESSMS à la cible, \
trajectoire nationale, projets sans déclaration et déclarations en retard. \
Détails : docs/collecte-agregats.md."
)]
pub struct FlashArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Code INSEE de la région ARS (par exemple 28 pour la Normandie)
    #[arg(long)]
    pub region: String,
    /// Mois (AAAA-MM)
    #[arg(long)]
    pub month: String,
    /// Format de sortie
    #[arg(long, value_enum, default_value_t = FlashFormat::Text)]
    pub format: FlashFormat,
    /// Fichier à écrire (obligatoire pour pdf ; sinon la sortie standard)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Jour du mois suivant après lequel une déclaration est en retard
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(i8).range(1..=31))]
    pub deadline_day: i8,
}

pub async fn run(args: FlashArgs) -> anyhow::Result<ExitCode> {
    let month = Month::parse(&args.month).map_err(anyhow::Error::msg)?;
    let Some(code) = crate::collect_summary_cmd::region(Some(&args.region))? else {
        bail!("--region est obligatoire");
    };
    let Some(region) = carnet_collect::regions::by_code(&code) else {
        bail!("région « {code} » inconnue");
    };
    if args.format == FlashFormat::Pdf && args.out.is_none() {
        bail!("--format pdf demande --out FICHIER.pdf");
    }
    let rules = Options {
        deadline_day: args.deadline_day,
        ..Options::default()
    };
    let db = crate::collect_summary_cmd::open(&args.db).await?;
    let report = flash::flash(&db, region, month, &rules, now()).await?;
    let bytes = match args.format {
        FlashFormat::Text => flash::text::to_text(&report).into_bytes(),
        FlashFormat::Html => flash::html::to_html(&report).into_bytes(),
        FlashFormat::Pdf => flash::pdf(&report).context("écriture du PDF")?,
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &bytes)
                .with_context(|| format!("écriture de « {} »", path.display()))?;
            eprintln!("Écrit : {}", path.display());
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
