//! `carnet demo`: builds the demo organisation through the import path (so the
//! demo exercises the same checks as any import), creates the demo accounts and
//! prints how to sign in.

use crate::commands::{connect, system};
use crate::progress::spinner;
use anyhow::{Context, bail};
use carnet_core::model::{OrganisationId, Role};
use carnet_store::interchange::ImportOutcome;
use carnet_store::{Db, NewUser};
use std::io::Write;

/// The demo accounts: login, display name, role, establishments (by position in
/// the organisation's list; empty = all).
const ACCOUNTS: &[(&str, &str, Role, &[usize])] = &[
    ("direction", "Claire Direction (démo)", Role::Direction, &[]),
    ("admin", "Administrateur (démo)", Role::Administrateur, &[]),
    ("ide", "Inès Infirmière (démo)", Role::Infirmier, &[0]),
    ("educ", "Éric Éducateur (démo)", Role::Educatif, &[1]),
    ("accueil", "Annie Accueil (démo)", Role::Accueil, &[0]),
];

/// Password of every demo account. Public on purpose, like the demo data: it
/// is set only in a database built by `carnet demo` (demo mode, test INS).
pub const DEMO_PASSWORD: &str = "demo-carnet-2026";

/// What `carnet demo` prints about signing in to the pages.
pub fn print_sign_in() {
    eprintln!("  Connexion aux pages : identifiants direction, admin, ide, educ ou accueil,");
    eprintln!("  mot de passe de démonstration « {DEMO_PASSWORD} ».");
}

pub struct DemoOutcome {
    pub db: Db,
    pub token: String,
}

pub async fn build(url: &str, seed: u64, today: jiff::civil::Date) -> anyhow::Result<DemoOutcome> {
    let db = connect(url).await?;
    if db.organisations().await?.is_empty() {
        generate_into(&db, seed, today).await?;
    } else {
        eprintln!(
            "La base contient déjà des données : elles sont conservées (pas de nouvelle génération)."
        );
    }
    let organisation = db
        .organisations()
        .await?
        .into_iter()
        .next()
        .context("aucun organisme dans la base")?;
    // The demo's rules are stored from the start, as `carnet rules list` shows.
    db.rule_set(&crate::commands::system("demo"), organisation.id)
        .await?;
    crate::proof_cmd::ensure_demo_pki(url, &organisation)?;
    let token = accounts(&db, organisation.id).await?;
    Ok(DemoOutcome { db, token })
}

async fn generate_into(db: &Db, seed: u64, today: jiff::civil::Date) -> anyhow::Result<()> {
    let path =
        std::env::temp_dir().join(format!("carnet-demo-{}-{seed}.ndjson", std::process::id()));
    let bar = spinner("génération de l'organisme de démonstration");
    {
        let file = std::fs::File::create(&path)
            .with_context(|| format!("création de {}", path.display()))?;
        let mut out = std::io::BufWriter::new(file);
        for (n, line) in
            carnet_demo::generate(&carnet_demo::DemoParams::standard(), seed, today).enumerate()
        {
            writeln!(out, "{}", line.to_json())?;
            if n % 5000 == 0 {
                bar.set_position(n as u64);
            }
        }
        out.flush()?;
    }
    bar.set_message("import");
    let outcome = db
        .import(&system("demo"), &path, |stage, n| {
            bar.set_message(stage);
            bar.set_position(n);
        })
        .await;
    bar.finish_and_clear();
    let _ = std::fs::remove_file(&path);
    match outcome? {
        ImportOutcome::Imported { lines } => {
            eprintln!(
                "Organisme de démonstration créé (graine {seed}, données au {today}) : {lines} lignes."
            );
            Ok(())
        }
        ImportOutcome::Refused { errors, total } => {
            for e in errors.iter().take(20) {
                eprintln!("  - {e}");
            }
            bail!(
                "les données de démonstration ont été refusées ({total} erreurs) : anomalie du générateur"
            )
        }
    }
}

/// Creates the demo accounts if missing; returns a fresh API token for the
/// director (tokens are shown once, so each run issues a new one).
async fn accounts(db: &Db, organisation: OrganisationId) -> anyhow::Result<String> {
    let establishments = db
        .establishments(&carnet_store::Scope::whole(organisation))
        .await?;
    let ctx = system("demo");
    let hash = carnet_web::password::hash(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
    for (login, name, role, indexes) in ACCOUNTS {
        if let Some((user, stored)) = db.user_for_sign_in(login).await? {
            // Accounts of a demo database built before passwords existed.
            if stored.is_none() {
                db.set_password_hash(&ctx, organisation, user.id, &hash)
                    .await?;
            }
            continue;
        }
        let establishment_ids = indexes
            .iter()
            .filter_map(|i| establishments.get(*i).map(|e| e.id))
            .collect();
        db.create_user(
            &ctx,
            NewUser {
                organisation_id: organisation,
                login: (*login).to_owned(),
                display_name: (*name).to_owned(),
                role: *role,
                professional_id: None,
                establishment_ids,
                password_hash: Some(hash.clone()),
            },
        )
        .await?;
    }
    let director = db
        .user_by_login("direction")
        .await?
        .context("compte « direction » absent")?;
    Ok(db.create_token(&ctx, &director, "démonstration").await?)
}
