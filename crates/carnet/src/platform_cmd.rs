//! `carnet platform …`: the collection platform's server, its accounts and
//! its demo. The platform is a server of its own (pages under /plateforme,
//! API under /api/v1/collecte): it serves no DUI page.

use crate::cli::PlatformCommand;
use crate::commands::{connect, system};
use anyhow::{Context, bail};
use carnet_collect::accounts::{self, NewAccount, PlatformRole, Reach};
use carnet_collect::regions;
use carnet_core::Siret;
use std::process::ExitCode;

pub async fn run(command: PlatformCommand) -> anyhow::Result<ExitCode> {
    match command {
        PlatformCommand::Serve {
            db,
            addr,
            secure_cookies,
            trust,
        } => {
            let anchors = crate::collect_proofs_cmd::anchors(&trust)?;
            let db = connect(&db.db).await?;
            carnet_collect::versions::migrate(&db)
                .await
                .context("tables de la collecte")?;
            crate::serve::init_logs();
            let mut state = carnet_web::AppState::new(db);
            state.secure_cookies = secure_cookies;
            state.platform_trust = anchors.into();
            crate::serve::run_platform(state, &addr, |local| {
                eprintln!(
                    "Plateforme de collecte à l'écoute sur http://{local}/ (pages) et \
                     http://{local}/api/v1/collecte (API) ; Ctrl+C pour arrêter."
                );
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        PlatformCommand::Account {
            db,
            login,
            name,
            role,
            siret,
            region,
            password_env,
        } => {
            let reach = reach(&role, siret.as_deref(), region.as_deref())?;
            let password_hash = match password_env {
                Some(var) => {
                    let password = std::env::var(&var).with_context(|| {
                        format!("variable d'environnement {var} absente (mot de passe du compte)")
                    })?;
                    if let Some(rule) = carnet_web::password::weakness(&password) {
                        bail!("{rule}");
                    }
                    Some(carnet_web::password::hash(&password).map_err(anyhow::Error::msg)?)
                }
                None => None,
            };
            let db = connect(&db.db).await?;
            carnet_collect::versions::migrate(&db)
                .await
                .context("tables de la collecte")?;
            let (_, account) = accounts::create(
                &db,
                &system("platform-account"),
                NewAccount {
                    login: login.clone(),
                    display_name: name,
                    reach,
                    password_hash,
                },
            )
            .await
            .map_err(|e| match e {
                carnet_collect::versions::ArchiveError::Store(
                    carnet_store::StoreError::Conflict(message),
                ) => anyhow::anyhow!("{message}"),
                e => e.into(),
            })?;
            println!(
                "Compte « {login} » créé : {} ({}).",
                account.role().label(),
                account.scope_label()
            );
            Ok(ExitCode::SUCCESS)
        }
        PlatformCommand::Demo {
            db,
            addr,
            no_serve,
            trust,
        } => {
            let anchors = crate::collect_proofs_cmd::anchors(&trust)?;
            let db = connect(&db.db).await?;
            crate::platform_demo::seed(&db).await?;
            if no_serve {
                crate::platform_demo::print_sign_in(None);
                return Ok(ExitCode::SUCCESS);
            }
            crate::serve::init_logs();
            let mut state = carnet_web::AppState::new(db);
            state.platform_trust = anchors.into();
            crate::serve::run_platform(state, &addr, |local| {
                eprintln!();
                eprintln!("Plateforme de collecte (démonstration) prête.");
                crate::platform_demo::print_sign_in(Some(&format!("http://{local}/")));
                eprintln!("  Ctrl+C pour arrêter.");
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The role and scope typed on the command line, checked.
fn reach(role: &str, siret: Option<&str>, region: Option<&str>) -> anyhow::Result<Reach> {
    let Some(role) = PlatformRole::from_code(role) else {
        bail!("rôle « {role} » inconnu : porteur, ars, cnsa ou auditeur");
    };
    match (role, siret, region) {
        (PlatformRole::Porteur, Some(siret), None) => Ok(Reach::Porteur(
            Siret::parse(siret).map_err(|e| anyhow::anyhow!("--siret : {e}"))?,
        )),
        (PlatformRole::Porteur, _, _) => {
            bail!("le rôle porteur demande --siret (celui du porteur) et pas de --region")
        }
        (PlatformRole::Ars, None, Some(code)) => match regions::by_code(code) {
            Some(r) => Ok(Reach::Region(r)),
            None => bail!(
                "--region « {code} » : code INSEE de région inconnu (par exemple 75 pour la \
                 Nouvelle-Aquitaine, 11 pour l'Île-de-France)"
            ),
        },
        (PlatformRole::Ars, _, _) => {
            bail!("le rôle ars demande --region (code INSEE de la région) et pas de --siret")
        }
        (PlatformRole::Cnsa | PlatformRole::Auditeur, None, None) => Ok(match role {
            PlatformRole::Cnsa => Reach::Nation,
            _ => Reach::Audit,
        }),
        (_, _, _) => bail!("les rôles cnsa et auditeur sont nationaux : ni --siret ni --region"),
    }
}
