//! `carnet collect summary` and `carnet collect missing`: the platform's
//! aggregates (carnet_collect::aggregate) as French tables, CSV or .xlsx.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use carnet_collect::aggregate::{self, Level, Month, Options, Selection};

use crate::cli::DbArg;
use crate::commands::connect;

/// Detail of the aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LevelArg {
    /// France entière, avec la trajectoire du programme (par défaut)
    Nation,
    /// Une ligne par région ARS et par mois (région de chaque ESSMS, d'après son FINESS)
    Region,
    /// Une ligne par projet (Référence GALIS) et par mois
    Project,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// Tableaux en français (par défaut)
    Table,
    /// Tableau des indicateurs en CSV pour tableur (« ; », UTF-8 avec BOM, virgule décimale)
    Csv,
    /// Classeur .xlsx : indicateurs, trajectoire, complétude (--out obligatoire)
    Xlsx,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Règles : une déclaration compte pour le mois du dernier jour de sa \
période ; pour chaque projet et période, la dernière version reçue remplace les précédentes. \
Les taux sont calculés sur les sommes ; un taux dont le dénominateur est nul est absent (–), \
pas 0 %. Une déclaration est en retard quand sa première version arrive après le jour limite \
(--deadline-day, 15 par défaut) du mois suivant. Détails : docs/collecte-agregats.md. \
Pour la liste des projets sans déclaration d'un mois : carnet collect missing --month AAAA-MM."
)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Niveau de détail
    #[arg(long, value_enum, default_value_t = LevelArg::Nation)]
    pub level: LevelArg,
    /// Code INSEE d'une région ARS (par exemple 75) : cette région, ou ses projets
    /// avec --level project
    #[arg(long)]
    pub region: Option<String>,
    /// Premier mois (AAAA-MM) ; par défaut le premier mois déclaré
    #[arg(long)]
    pub from: Option<String>,
    /// Dernier mois (AAAA-MM) ; par défaut le dernier mois déclaré
    #[arg(long)]
    pub to: Option<String>,
    /// Format de sortie
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
    /// Fichier à écrire (obligatoire pour xlsx ; sinon la sortie standard)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Jour du mois suivant après lequel une déclaration est en retard
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(i8).range(1..=31))]
    pub deadline_day: i8,
}

#[derive(Debug, clap::Args)]
pub struct MissingArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Mois (AAAA-MM)
    #[arg(long)]
    pub month: String,
    /// Code INSEE d'une région ARS : ses projets seulement
    #[arg(long)]
    pub region: Option<String>,
    /// Jour du mois suivant après lequel une déclaration est en retard
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(i8).range(1..=31))]
    pub deadline_day: i8,
}

fn month(text: Option<&str>) -> anyhow::Result<Option<Month>> {
    text.map(|t| Month::parse(t).map_err(anyhow::Error::msg))
        .transpose()
}

pub fn region(code: Option<&str>) -> anyhow::Result<Option<String>> {
    let Some(code) = code else {
        return Ok(None);
    };
    match carnet_collect::regions::by_code(code.trim()) {
        Some(r) => Ok(Some(r.code.to_owned())),
        None => bail!(
            "région « {code} » inconnue : donnez le code INSEE d'une des 18 régions ARS ({})",
            carnet_collect::regions::REGIONS
                .iter()
                .map(|r| format!("{} {}", r.code, r.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub async fn open(db: &DbArg) -> anyhow::Result<carnet_store::Db> {
    let db = connect(&db.db).await?;
    carnet_collect::versions::migrate(&db)
        .await
        .context("tables de la collecte")?;
    Ok(db)
}

pub async fn summary(args: SummaryArgs) -> anyhow::Result<ExitCode> {
    let options = Options {
        from: month(args.from.as_deref())?,
        to: month(args.to.as_deref())?,
        deadline_day: args.deadline_day,
        ..Options::default()
    };
    if let (Some(from), Some(to)) = (options.from, options.to)
        && from > to
    {
        bail!("--from {from} est après --to {to}");
    }
    let region = region(args.region.as_deref())?;
    let level = match args.level {
        LevelArg::Nation if region.is_some() => {
            bail!("--region s'emploie avec --level region ou --level project")
        }
        LevelArg::Nation => Level::Nation,
        LevelArg::Region => Level::Region,
        LevelArg::Project => Level::Project,
    };
    let selection = Selection { level, region };
    let db = open(&args.db).await?;
    let summary = aggregate::summary(&db, &options).await?;
    let bytes = match args.format {
        FormatArg::Table => aggregate::to_table(&summary, &selection).into_bytes(),
        FormatArg::Csv => aggregate::to_csv(&summary, &selection),
        FormatArg::Xlsx => {
            if args.out.is_none() {
                bail!("--format xlsx demande --out FICHIER.xlsx");
            }
            aggregate::to_xlsx(&summary, &selection).context("écriture du classeur")?
        }
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

pub async fn missing(args: MissingArgs) -> anyhow::Result<ExitCode> {
    let month = Month::parse(&args.month).map_err(anyhow::Error::msg)?;
    let region = region(args.region.as_deref())?;
    let options = Options {
        from: Some(month),
        to: Some(month),
        deadline_day: args.deadline_day,
        ..Options::default()
    };
    let db = open(&args.db).await?;
    let summary = aggregate::summary(&db, &options).await?;
    print!(
        "{}",
        aggregate::missing_text(&summary, month, region.as_deref())
    );
    Ok(ExitCode::SUCCESS)
}
