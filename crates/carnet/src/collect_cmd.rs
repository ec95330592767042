//! `carnet collect …`: the ARS/CNSA side — ingest the porteurs' collection
//! workbooks (checked cell by cell, stored as declaration versions) and
//! recheck the integrity of everything stored.

use crate::cli::{CollectCommand, ProjectsCommand};
use crate::commands::{connect, now};
use anyhow::Context;
use carnet_collect::Limits;
use std::process::ExitCode;

/// Ten years, for the EU audit (SPEC.md §4.3).
const RETENTION_YEARS: i16 = 10;

pub async fn run(command: CollectCommand) -> anyhow::Result<ExitCode> {
    match command {
        CollectCommand::Ingest { db, files } => {
            let db = match db {
                Some(url) => {
                    let db = connect(&url).await?;
                    carnet_collect::versions::migrate(&db)
                        .await
                        .context("tables de la collecte")?;
                    Some(db)
                }
                None => None,
            };
            let (text, all_ok) = carnet_collect::ingest::ingest_paths(
                db.as_ref(),
                &files,
                "cli",
                now(),
                &Limits::default(),
                RETENTION_YEARS,
            )
            .await?;
            print!("{text}");
            Ok(if all_ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        CollectCommand::Projects { command } => projects(command).await,
        CollectCommand::Summary(args) => crate::collect_summary_cmd::summary(args).await,
        CollectCommand::Missing(args) => crate::collect_summary_cmd::missing(args).await,
        CollectCommand::Funding(args) => crate::collect_funding_cmd::run(args).await,
        CollectCommand::Sample { command } => crate::collect_sample_cmd::run(command).await,
        CollectCommand::Proofs { command } => crate::collect_proofs_cmd::run(command).await,
        CollectCommand::Flash(args) => crate::collect_flash_cmd::run(args).await,
        CollectCommand::Verify { db } => {
            let db = connect(&db.db).await?;
            carnet_collect::versions::migrate(&db)
                .await
                .context("tables de la collecte")?;
            let problems = carnet_collect::versions::verify(&db).await?;
            if problems.is_empty() {
                println!(
                    "Collecte intègre : chaque fichier (recueils et preuves) et chaque rapport stocké \
                     correspond à son empreinte."
                );
                Ok(ExitCode::SUCCESS)
            } else {
                println!("Collecte ALTÉRÉE :");
                for p in &problems {
                    println!("  - {p}");
                }
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

async fn projects(command: ProjectsCommand) -> anyhow::Result<ExitCode> {
    use carnet_collect::projects;
    match command {
        ProjectsCommand::Import { db, file } => {
            let bytes = std::fs::read(&file)
                .with_context(|| format!("lecture de « {} »", file.display()))?;
            let parsed = match projects::parse_csv(&bytes) {
                Ok(parsed) => parsed,
                Err(errors) => {
                    println!(
                        "Fichier « {} » refusé : {} erreur(s), aucun projet importé.",
                        file.display(),
                        errors.len()
                    );
                    for e in &errors {
                        println!("  - {e}");
                    }
                    return Ok(ExitCode::FAILURE);
                }
            };
            let db = connect(&db.db).await?;
            carnet_collect::versions::migrate(&db)
                .await
                .context("tables de la collecte")?;
            let summary = projects::import(&db, &parsed, "cli", now()).await?;
            println!(
                "Registre des projets mis à jour depuis « {} » : {} projet(s) créé(s), {} mis à jour.",
                file.display(),
                summary.created,
                summary.updated
            );
            Ok(ExitCode::SUCCESS)
        }
        ProjectsCommand::List { db } => {
            let db = connect(&db.db).await?;
            carnet_collect::versions::migrate(&db)
                .await
                .context("tables de la collecte")?;
            let all = projects::list(&db).await?;
            print!("{}", projects::to_text(&all));
            Ok(ExitCode::SUCCESS)
        }
    }
}
