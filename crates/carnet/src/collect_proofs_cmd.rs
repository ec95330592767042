//! `carnet collect proofs attach|list|show|check|review`: proof PDFs per
//! establishment and period on the platform (carnet_collect::proofs).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use carnet_collect::Period;
use carnet_collect::proofs::{self, Attachment, Decision, Filter, Outcome, Review, Status};
use carnet_core::Finess;
use clap::Subcommand;
use jiff::civil::Date;

use crate::cli::DbArg;
use crate::commands::now;

/// Ten years, for the EU audit (SPEC.md §4.3).
const RETENTION_YEARS: i16 = 10;

/// The reviewer's decision, as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DecisionArg {
    Conforme,
    NonConforme,
}

/// The platform's trust anchors: CA certificates (PEM), one file or more.
#[derive(Debug, clap::Args)]
pub struct TrustArg {
    /// Certificats (PEM) des autorités de confiance de la plateforme ; option
    /// répétable, ou variable CARNET_PLATFORM_TRUST (chemins séparés par « : »).
    /// Sans autorité, aucune preuve Carnet ne peut être validée automatiquement.
    #[arg(long = "trust", env = "CARNET_PLATFORM_TRUST", value_delimiter = ':')]
    pub trust: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ProofsCommand {
    /// Dépose une preuve (PDF) pour un ESSMS et une période, la contrôle et affiche le
    /// résultat ; code de sortie non nul quand la preuve est invalide
    Attach {
        #[command(flatten)]
        db: DbArg,
        /// Référence GALIS du projet
        #[arg(long)]
        galis: String,
        /// FINESS géographique de l'ESSMS
        #[arg(long)]
        finess: String,
        /// Premier jour de la période (AAAA-MM-JJ)
        #[arg(long)]
        from: String,
        /// Dernier jour de la période (AAAA-MM-JJ)
        #[arg(long)]
        to: String,
        #[command(flatten)]
        trust: TrustArg,
        /// Le fichier PDF de la preuve
        file: PathBuf,
    },
    /// Liste les preuves déposées, avec leur état
    List {
        #[command(flatten)]
        db: DbArg,
        /// Seulement ce projet (Référence GALIS)
        #[arg(long)]
        galis: Option<String>,
        /// Seulement cet ESSMS (FINESS géographique)
        #[arg(long)]
        finess: Option<String>,
    },
    /// Affiche une preuve avec tous ses contrôles et vérifications
    Show {
        #[command(flatten)]
        db: DbArg,
        /// Numéro de la preuve
        #[arg(long)]
        id: i64,
    },
    /// Contrôle de nouveau une preuve (après une nouvelle version de la déclaration) ;
    /// le résultat s'ajoute à l'historique
    Check {
        #[command(flatten)]
        db: DbArg,
        /// Numéro de la preuve
        #[arg(long)]
        id: i64,
        #[command(flatten)]
        trust: TrustArg,
    },
    /// Enregistre la décision d'une vérification manuelle (preuve « à vérifier
    /// manuellement ») ; les décisions précédentes restent dans l'historique
    Review {
        #[command(flatten)]
        db: DbArg,
        /// Numéro de la preuve
        #[arg(long)]
        id: i64,
        /// Décision
        #[arg(long, value_enum)]
        decision: DecisionArg,
        /// Ce qui a été vérifié, et pourquoi cette décision
        #[arg(long)]
        comment: String,
        /// Nom de la personne qui a vérifié
        #[arg(long)]
        reviewer: String,
    },
}

fn parse_finess(text: &str) -> anyhow::Result<Finess> {
    Finess::parse(text.trim()).map_err(|e| anyhow::anyhow!("FINESS « {text} » invalide : {e}"))
}

fn parse_day(option: &str, text: &str) -> anyhow::Result<Date> {
    text.trim().parse().map_err(|_| {
        anyhow::anyhow!("{option} « {text} » invalide : date attendue au format AAAA-MM-JJ")
    })
}

/// Reads the trust anchors; a missing or unreadable file is an error, never
/// silently skipped.
pub fn anchors(trust: &TrustArg) -> anyhow::Result<Vec<carnet_reports::Certificate>> {
    let mut all = Vec::new();
    for path in trust.trust.iter().filter(|p| !p.as_os_str().is_empty()) {
        let pem = std::fs::read(path).with_context(|| {
            format!("lecture de l'autorité de confiance « {} »", path.display())
        })?;
        let certs = carnet_reports::certificates_from_pem(&pem)
            .with_context(|| format!("certificats illisibles dans « {} »", path.display()))?;
        if certs.is_empty() {
            bail!("aucun certificat dans « {} »", path.display());
        }
        all.extend(certs);
    }
    if all.is_empty() {
        eprintln!(
            "Attention : aucune autorité de confiance (--trust CA.pem ou CARNET_PLATFORM_TRUST) : \
             une preuve Carnet signée sera marquée « à vérifier manuellement »."
        );
    }
    Ok(all)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn exit_for(status: Status) -> ExitCode {
    if status == Status::Checked(Outcome::Invalid) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

pub async fn run(command: ProofsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ProofsCommand::Attach {
            db,
            galis,
            finess,
            from,
            to,
            trust,
            file,
        } => {
            let finess = parse_finess(&finess)?;
            let period = Period {
                start: parse_day("--from", &from)?,
                end: parse_day("--to", &to)?,
            };
            let bytes = std::fs::read(&file)
                .with_context(|| format!("lecture de « {} »", file.display()))?;
            let anchors = anchors(&trust)?;
            let db = crate::collect_summary_cmd::open(&db).await?;
            let name = file_name(&file);
            let state = proofs::attach(
                &db,
                &Attachment {
                    galis: &galis,
                    finess: &finess,
                    period,
                    file_name: &name,
                    bytes: &bytes,
                    by: "cli",
                    at: now(),
                },
                &anchors,
                RETENTION_YEARS,
            )
            .await?;
            print!("{}", proofs::text::to_text(&state));
            Ok(exit_for(state.status()))
        }
        ProofsCommand::List { db, galis, finess } => {
            let finess = finess.as_deref().map(parse_finess).transpose()?;
            let db = crate::collect_summary_cmd::open(&db).await?;
            let all = proofs::list(
                &db,
                &Filter {
                    galis: galis.as_deref(),
                    finess: finess.as_ref(),
                    period: None,
                },
            )
            .await?;
            print!("{}", proofs::text::list_text(&all));
            Ok(ExitCode::SUCCESS)
        }
        ProofsCommand::Show { db, id } => {
            let db = crate::collect_summary_cmd::open(&db).await?;
            match proofs::get(&db, id).await? {
                Some(state) => {
                    print!("{}", proofs::text::to_text(&state));
                    Ok(ExitCode::SUCCESS)
                }
                None => bail!("preuve n° {id} inconnue"),
            }
        }
        ProofsCommand::Check { db, id, trust } => {
            let anchors = anchors(&trust)?;
            let db = crate::collect_summary_cmd::open(&db).await?;
            let state = proofs::recheck(&db, id, &anchors, "cli", now()).await?;
            print!("{}", proofs::text::to_text(&state));
            Ok(exit_for(state.status()))
        }
        ProofsCommand::Review {
            db,
            id,
            decision,
            comment,
            reviewer,
        } => {
            let decision = match decision {
                DecisionArg::Conforme => Decision::Compliant,
                DecisionArg::NonConforme => Decision::NonCompliant,
            };
            let db = crate::collect_summary_cmd::open(&db).await?;
            let state = proofs::review(
                &db,
                id,
                &Review {
                    decision,
                    comment: &comment,
                    reviewer: &reviewer,
                    at: now(),
                },
            )
            .await?;
            print!("{}", proofs::text::to_text(&state));
            Ok(ExitCode::SUCCESS)
        }
    }
}
