//! `carnet collect …`: the ARS/CNSA side — ingest the porteurs' collection
//! workbooks (checked cell by cell, stored as declaration versions) and
//! recheck the integrity of everything stored.

use crate::cli::CollectCommand;
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
        CollectCommand::Verify { db } => {
            let db = connect(&db.db).await?;
            carnet_collect::versions::migrate(&db)
                .await
                .context("tables de la collecte")?;
            let problems = carnet_collect::versions::verify(&db).await?;
            if problems.is_empty() {
                println!(
                    "Collecte intègre : chaque fichier et chaque rapport stocké correspond à son empreinte."
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
