//! `carnet collect funding`: the subsidy, payment and eligibility of a
//! registered project (carnet_collect::funding), as French text or JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use carnet_collect::funding::{self, Details};
use carnet_core::funding::{BalanceInputs, FundingRules};

use crate::cli::DbArg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum YesNo {
    Oui,
    Non,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FundingFormat {
    /// Texte en français, ligne par ligne (par défaut)
    Table,
    /// JSON : lignes, totaux, avance, solde, constats d'éligibilité
    Json,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Jeu de règles par défaut : celui de l'année d'appel du projet au \
registre (2021 : aap-2021 ; toute autre année : aap-2024). Les ESSMS viennent du registre ; le \
fichier de détails donne ce que le registre ne contient pas (FINESS juridique, solution DUI, \
heures SAAD, devis d'équipement, AMOA, regroupement déjà financé) : voir docs/financement.md. \
L'éligibilité est vérifiée contre les autres projets du registre : un ESSMS présent dans deux \
projets est un constat bloquant."
)]
pub struct FundingArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Référence GALIS du projet (registre des projets)
    #[arg(long)]
    pub galis: String,
    /// Jeu de règles : aap-2021, aap-2024, ou un fichier .json de règles
    #[arg(long)]
    pub rules: Option<String>,
    /// Fichier JSON de détails du projet (docs/financement.md)
    #[arg(long)]
    pub details: Option<PathBuf>,
    /// Les cibles d'usage sont-elles atteintes à la fin du projet ?
    #[arg(long, value_enum, default_value_t = YesNo::Non)]
    pub targets_reached: YesNo,
    /// Les éléments de preuve des dépenses sont-ils reçus ?
    #[arg(long, value_enum, default_value_t = YesNo::Non)]
    pub proofs_received: YesNo,
    /// Format de sortie
    #[arg(long, value_enum, default_value_t = FundingFormat::Table)]
    pub format: FundingFormat,
}

fn rules(arg: Option<&str>) -> anyhow::Result<Option<(FundingRules, String)>> {
    let Some(id) = arg else {
        return Ok(None);
    };
    if id.ends_with(".json") {
        let text = std::fs::read_to_string(id).with_context(|| format!("lecture de « {id} »"))?;
        let rules = FundingRules::from_json(&text).with_context(|| format!("« {id} »"))?;
        let origin = format!("{}, lu dans « {id} » (--rules)", rules.id);
        return Ok(Some((rules, origin)));
    }
    let rules = funding::builtin_rules(id)?;
    Ok(Some((rules, format!("{id}, donné par --rules"))))
}

pub async fn run(args: FundingArgs) -> anyhow::Result<ExitCode> {
    let rules = rules(args.rules.as_deref())?;
    let details = match &args.details {
        Some(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("lecture de « {} »", path.display()))?;
            Some(Details::from_json(&bytes).with_context(|| format!("« {} »", path.display()))?)
        }
        None => None,
    };
    let inputs = BalanceInputs {
        usage_targets_reached: args.targets_reached == YesNo::Oui,
        expense_proofs_received: args.proofs_received == YesNo::Oui,
    };
    let db = crate::collect_summary_cmd::open(&args.db).await?;
    let result = funding::funding(&db, &args.galis, rules, details.as_ref(), inputs).await?;
    match args.format {
        FundingFormat::Table => print!("{}", funding::to_text(&result)),
        FundingFormat::Json => println!("{}", serde_json::to_string_pretty(&result)?),
    }
    Ok(ExitCode::SUCCESS)
}
