//! `carnet rules show|list|set`: the organisation's counting rules (targets,
//! business events, period presets), stored and versioned by the store. `show`
//! prints the active rules as JSON on standard output, the very format `set
//! --file` reads back, so that a change is: show, edit, set.

use crate::cli::DbArg;
use crate::commands::{connect, system};
use anyhow::{Context, bail};
use carnet_core::indicators::RuleSet;
use carnet_core::model::Organisation;
use carnet_store::{Db, SavedRuleSet, StoredRuleSet};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct OrganisationArg {
    #[command(flatten)]
    pub db: DbArg,
    /// SIRET de l'organisme gestionnaire ; facultatif quand la base n'en contient qu'un
    #[arg(long)]
    pub siret: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Affiche le jeu de règles actif de l'organisme (JSON, relisible par « set »)
    Show(OrganisationArg),
    /// Liste les versions enregistrées du jeu de règles, la plus ancienne d'abord
    List(OrganisationArg),
    /// Enregistre un jeu de règles (fichier JSON) comme nouvelle version active
    Set {
        #[command(flatten)]
        organisation: OrganisationArg,
        /// Fichier JSON du jeu de règles (voir « carnet rules show »)
        #[arg(long)]
        file: PathBuf,
    },
}

pub async fn run(command: RulesCommand) -> anyhow::Result<ExitCode> {
    match command {
        RulesCommand::Show(arg) => {
            let (db, organisation) = open(&arg).await?;
            match db.active_rule_set(organisation.id).await? {
                Some(stored) => {
                    eprintln!(
                        "Jeu de règles actif de « {} » : version {}, {}.",
                        organisation.name,
                        stored.version,
                        provenance(&stored)
                    );
                    print_json(&stored.rules)?;
                }
                None => {
                    eprintln!(
                        "« {} » n'a encore aucune version enregistrée : les règles par défaut \
                         ci-dessous s'appliquent (enregistrées comme version 1 au premier calcul).",
                        organisation.name
                    );
                    print_json(&RuleSet::default())?;
                }
            }
        }
        RulesCommand::List(arg) => {
            let (db, organisation) = open(&arg).await?;
            let versions = db.rule_set_versions(organisation.id).await?;
            println!("Jeux de règles de « {} » :", organisation.name);
            if versions.is_empty() {
                println!(
                    "  aucune version enregistrée ; les règles par défaut « {} » s'appliquent.",
                    RuleSet::default().id
                );
            }
            for v in &versions {
                println!(
                    "  {} version {} : {} — {} ({}, empreinte {})",
                    if v.active { "*" } else { " " },
                    v.version,
                    v.rules.id,
                    v.rules.label,
                    provenance(v),
                    v.sha256.get(..12).unwrap_or(&v.sha256)
                );
            }
            if !versions.is_empty() {
                println!("(* : version active)");
            }
        }
        RulesCommand::Set { organisation, file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("lecture de {}", file.display()))?;
            let rules = RuleSet::from_json(&text)
                .with_context(|| format!("fichier {} refusé", file.display()))?;
            let (db, organisation) = open(&organisation).await?;
            match db
                .save_rule_set(&system("rules"), organisation.id, &rules)
                .await?
            {
                SavedRuleSet::Created(stored) => println!(
                    "Version {} enregistrée et active pour « {} » : {} — {}.",
                    stored.version, organisation.name, stored.rules.id, stored.rules.label
                ),
                SavedRuleSet::Unchanged(stored) => println!(
                    "Règles inchangées : la version active {} de « {} » est identique ; rien \
                     n'est enregistré.",
                    stored.version, organisation.name
                ),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_json(rules: &RuleSet) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(rules)?);
    Ok(())
}

/// "enregistrée le 23/11/2026 à 19:40 UTC par system:rules".
fn provenance(stored: &StoredRuleSet) -> String {
    format!(
        "enregistrée le {} par {}",
        stored.created_at.strftime("%d/%m/%Y à %H:%M UTC"),
        stored.created_by
    )
}

async fn open(arg: &OrganisationArg) -> anyhow::Result<(Db, Organisation)> {
    let db = connect(&arg.db.db).await?;
    let organisations = db.organisations().await?;
    let organisation = match &arg.siret {
        Some(siret) => {
            let wanted: String = siret.split_whitespace().collect();
            organisations
                .into_iter()
                .find(|o| o.siret.to_string() == wanted)
                .with_context(|| format!("aucun organisme de la base n'a le SIRET « {siret} »"))?
        }
        None => match organisations.len() {
            0 => bail!(
                "la base ne contient aucun organisme : lancez « carnet demo » ou « carnet import »"
            ),
            1 => organisations
                .into_iter()
                .next()
                .context("aucun organisme")?,
            n => bail!("la base contient {n} organismes : précisez lequel avec --siret"),
        },
    };
    Ok((db, organisation))
}
