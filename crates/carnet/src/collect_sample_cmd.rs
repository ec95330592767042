//! `carnet collect sample draw|show|record`: EU audit samples of declared
//! establishments and the outcome of each proof check (carnet_collect::sampling).

use std::process::ExitCode;

use anyhow::bail;
use carnet_collect::aggregate::Month;
use carnet_collect::sampling::{self, DrawRequest, Recording};
use carnet_core::Finess;
use carnet_core::sampling::CheckOutcome;
use clap::Subcommand;

use crate::cli::DbArg;
use crate::commands::now;

/// The outcomes an auditor records ("à vérifier" is only the draw's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutcomeArg {
    Conforme,
    NonConforme,
    SansObjet,
}

#[derive(Debug, Subcommand)]
pub enum SampleCommand {
    /// Tire un échantillon d'ESSMS parmi ceux déclarés pour un mois (au moins un DUI actif),
    /// stratifié par région, reproductible depuis la graine publiée, et l'enregistre
    Draw {
        #[command(flatten)]
        db: DbArg,
        /// Graine publiée du tirage : la même graine et les mêmes déclarations donnent le
        /// même échantillon
        #[arg(long)]
        seed: String,
        /// Nombre d'ESSMS à tirer (au moins un par région déclarante)
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        size: u32,
        /// Mois des déclarations (AAAA-MM) : celles dont la période se termine ce mois-là
        #[arg(long)]
        month: String,
    },
    /// Affiche un échantillon enregistré, avec le dernier résultat de chaque contrôle
    Show {
        #[command(flatten)]
        db: DbArg,
        /// Numéro de l'échantillon
        #[arg(long)]
        id: i64,
    },
    /// Enregistre le résultat d'un contrôle (ajouté à l'historique, jamais remplacé)
    Record {
        #[command(flatten)]
        db: DbArg,
        /// Numéro de l'échantillon
        #[arg(long)]
        id: i64,
        /// FINESS géographique de l'ESSMS tiré
        #[arg(long)]
        finess: String,
        /// Code du point de contrôle (preuve_presente, format_non_modifiable, finess,
        /// periode, dui_actifs, date_production, declarant, signature)
        #[arg(long)]
        check: String,
        /// Résultat du contrôle
        #[arg(long, value_enum)]
        outcome: OutcomeArg,
        /// Remarque de l'auditeur
        #[arg(long)]
        note: Option<String>,
    },
}

pub async fn run(command: SampleCommand) -> anyhow::Result<ExitCode> {
    match command {
        SampleCommand::Draw {
            db,
            seed,
            size,
            month,
        } => {
            let month = Month::parse(&month).map_err(anyhow::Error::msg)?;
            let db = crate::collect_summary_cmd::open(&db).await?;
            let sample = sampling::draw(
                &db,
                &DrawRequest {
                    seed: &seed,
                    size,
                    month,
                    by: "cli",
                    at: now(),
                },
            )
            .await?;
            print!("{}", sampling::to_text(&sample));
            Ok(ExitCode::SUCCESS)
        }
        SampleCommand::Show { db, id } => {
            let db = crate::collect_summary_cmd::open(&db).await?;
            match sampling::show(&db, id).await? {
                Some(sample) => {
                    print!("{}", sampling::to_text(&sample));
                    Ok(ExitCode::SUCCESS)
                }
                None => bail!("échantillon n° {id} inconnu"),
            }
        }
        SampleCommand::Record {
            db,
            id,
            finess,
            check,
            outcome,
            note,
        } => {
            let finess = Finess::parse(finess.trim())
                .map_err(|e| anyhow::anyhow!("FINESS « {finess} » invalide : {e}"))?;
            let outcome = match outcome {
                OutcomeArg::Conforme => CheckOutcome::Compliant,
                OutcomeArg::NonConforme => CheckOutcome::NonCompliant,
                OutcomeArg::SansObjet => CheckOutcome::NotApplicable,
            };
            let db = crate::collect_summary_cmd::open(&db).await?;
            sampling::record(
                &db,
                id,
                &Recording {
                    finess: &finess,
                    check: check.trim(),
                    outcome,
                    note: note.as_deref(),
                    by: "cli",
                    at: now(),
                },
            )
            .await?;
            println!(
                "Échantillon n° {id}, ESSMS {finess}, contrôle « {} » : {} enregistré.",
                check.trim(),
                outcome.label()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
