//! What each command does. The clock is read here, never in the libraries.

use crate::cli::{AuditCommand, Cli, Command, TokenCommand};
use crate::progress::spinner;
use anyhow::{Context, bail};
use carnet_store::interchange::ImportOutcome;
use carnet_store::{Actor, Db, WriteCtx};
use jiff::Timestamp;
use std::process::ExitCode;

/// The one place the command line reads the clock.
#[allow(
    clippy::disallowed_methods,
    reason = "the binary is where the clock is read"
)]
pub fn now() -> Timestamp {
    Timestamp::now()
}

/// Today in metropolitan France, the default for commands that take a date.
pub fn today_in_paris() -> jiff::civil::Date {
    let tz = jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC);
    carnet_core::indicators::local_day(now(), &tz)
}

pub fn system(what: &'static str) -> WriteCtx {
    WriteCtx {
        actor: Actor::System(what),
        now: now(),
    }
}

pub async fn connect(url: &str) -> anyhow::Result<Db> {
    Db::connect(url)
        .await
        .with_context(|| format!("ouverture de la base « {} »", redact(url)))
}

/// Never print a password given in a database address.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Collect { command } => crate::collect_cmd::run(command).await,
        Command::Platform { command } => crate::platform_cmd::run(command).await,
        Command::Import { db, file } => import(&db.db, &file).await,
        Command::Export { db, out } => export(&db.db, &out).await,
        Command::Audit {
            command: AuditCommand::Verify { db },
        } => audit_verify(&db.db).await,
        Command::Indicators(args) => crate::indicators_cmd::run(args).await,
        Command::Workbook(args) => crate::proof_cmd::workbook(args).await,
        Command::Proof(args) => crate::proof_cmd::proof(args).await,
        Command::Verify(args) => crate::proof_cmd::verify(args),
        Command::Declarations(args) => crate::declarations_cmd::declarations(args).await,
        Command::Chart(args) => crate::declarations_cmd::chart(args).await,
        Command::Rules { command } => crate::rules_cmd::run(command).await,
        Command::Token {
            command: TokenCommand::Create { db, login, label },
        } => {
            let db = connect(&db.db).await?;
            let Some(user) = db.user_by_login(&login).await? else {
                bail!("aucun compte n'a l'identifiant « {login} »");
            };
            let token = db
                .create_token(&system("token-create"), &user, &label)
                .await?;
            println!("{token}");
            eprintln!("Jeton créé pour « {login} ». Conservez-le : il ne sera plus affiché.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            db,
            seed,
            no_serve,
            today,
            addr,
            platform_addr,
            platform_db,
        } => {
            let today = today.unwrap_or_else(today_in_paris);
            let demo = crate::demo::build(&db.db, seed, today).await?;
            // The platform is another deployment (ARS/CNSA): a database of its own.
            let platform_url =
                platform_db.unwrap_or_else(|| crate::platform_demo::default_db(&db.db));
            let platform_db = connect(&platform_url).await.context(
                "base de la plateforme de démonstration : créez-la ou indiquez-en une autre \
                 avec --platform-db",
            )?;
            crate::platform_demo::seed(&platform_db).await?;
            crate::demo_link::link(&demo.db, &platform_db, today).await?;
            eprintln!(
                "Plateforme de démonstration dans « {} ».",
                redact(&platform_url)
            );
            if no_serve {
                crate::demo::print_sign_in();
                crate::platform_demo::print_sign_in(None);
                eprintln!("Compte de démonstration « direction », jeton d'API :");
                println!("{}", demo.token);
                return Ok(ExitCode::SUCCESS);
            }
            crate::serve::init_logs();
            let token = demo.token.clone();
            let mut platform = carnet_web::AppState::new(platform_db);
            // The demo platform trusts the demo organisation's CA: a proof
            // signed on the demo DUI is checked valid when attached there.
            platform.platform_trust = crate::proof_cmd::demo_trust_anchors(&db.db)?.into();
            let state = crate::serve::state(demo.db, None, false);
            let platform = crate::serve::run_platform(platform, &platform_addr, |local| {
                crate::platform_demo::print_sign_in(Some(&format!("http://{local}/")));
            });
            let dui = crate::serve::run(state, &addr, move |local| {
                eprintln!();
                eprintln!("Carnet (démonstration) est prêt : http://{local}/");
                crate::demo::print_sign_in();
                eprintln!("  API : compte « direction », jeton :");
                eprintln!("    {token}");
                eprintln!(
                    "  Essai : curl -H \"Authorization: Bearer {token}\" http://{local}/api/v1/establishments"
                );
                eprintln!("  Documentation de l'API : http://{local}/api/v1/openapi.json");
                eprintln!("  Ctrl+C pour arrêter.");
            });
            tokio::try_join!(dui, platform)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            db,
            addr,
            p12,
            p12_password_env,
            secure_cookies,
        } => {
            let p12 = match p12 {
                Some(path) => {
                    let Some(var) = p12_password_env else {
                        bail!(
                            "--p12 demande --p12-password-env VARIABLE : le mot de passe du \
                             PKCS#12 se donne par une variable d'environnement"
                        );
                    };
                    let password = std::env::var(&var).with_context(|| {
                        format!("variable d'environnement {var} absente (mot de passe du PKCS#12)")
                    })?;
                    Some((path, password))
                }
                None => None,
            };
            let db = connect(&db.db).await?;
            crate::serve::init_logs();
            let state = crate::serve::state(db, p12, secure_cookies);
            crate::serve::run(state, &addr, |local| {
                eprintln!("Carnet écoute sur http://{local}/ (pages) et http://{local}/api/v1 (API) ; Ctrl+C pour arrêter.");
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn import(url: &str, file: &std::path::Path) -> anyhow::Result<ExitCode> {
    if !file.is_file() {
        bail!("fichier introuvable : {}", file.display());
    }
    let db = connect(url).await?;
    let bar = spinner("import");
    let outcome = db
        .import(&system("import"), file, |stage, n| {
            bar.set_message(stage);
            bar.set_position(n);
        })
        .await?;
    bar.finish_and_clear();
    match outcome {
        ImportOutcome::Imported { lines } => {
            eprintln!(
                "Import terminé : {lines} lignes importées depuis {}.",
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        ImportOutcome::Refused { errors, total } => {
            eprintln!(
                "Import refusé : rien n'a été écrit. {total} erreur(s) dans {} :",
                file.display()
            );
            for e in &errors {
                eprintln!("  - {e}");
            }
            if total as usize > errors.len() {
                eprintln!(
                    "  … et {} autre(s) erreur(s).",
                    total as usize - errors.len()
                );
            }
            Ok(ExitCode::from(2))
        }
    }
}

async fn export(url: &str, out: &std::path::Path) -> anyhow::Result<ExitCode> {
    let db = connect(url).await?;
    let file =
        std::fs::File::create(out).with_context(|| format!("création de {}", out.display()))?;
    let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
    let bar = spinner("export");
    let lines = db.export(&mut writer, |n| bar.set_position(n)).await?;
    bar.finish_and_clear();
    eprintln!(
        "Export terminé : {lines} lignes écrites dans {}.",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn audit_verify(url: &str) -> anyhow::Result<ExitCode> {
    let db = connect(url).await?;
    let bar = spinner("vérification du journal");
    let problems = db.verify_audit(|| bar.inc(1)).await?;
    let checked = bar.position();
    bar.finish_and_clear();
    if problems.is_empty() {
        println!("Journal d'audit intact : chaîne d'empreintes vérifiée.");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("Journal d'audit ALTÉRÉ :");
        for p in &problems {
            println!("  - {p}");
        }
        let _ = checked;
        Ok(ExitCode::FAILURE)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_in_database_addresses_are_hidden() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("sqlite://carnet.db"), "sqlite://carnet.db");
    }
}
