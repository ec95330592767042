//! The collection platform's demo (`carnet demo`, `carnet platform demo`):
//! three projects in the registry (two in Nouvelle-Aquitaine, one in
//! Île-de-France), three months of declarations sent through the same
//! ingestion as any upload (the May 2024 file of project 4107 is the public
//! sample workbook), and one account per platform role. Idempotent: what
//! exists is kept.

use crate::commands::system;
use anyhow::Context;
use carnet_collect::accounts::{self, NewAccount, Reach};
use carnet_collect::ingest;
use carnet_collect::projects;
use carnet_collect::versions::{self, Submission};
use carnet_collect::{Limits, regions};
use carnet_core::Siret;
use carnet_reports::WorkbookRow;
use carnet_store::Db;
use jiff::civil::{Date, date};

/// The May 2024 file of project 4107: the public sample of a clean workbook.
const SAMPLE: &[u8] = include_bytes!("../../collect/tests/fixtures/recueil_propre_2024_05.xlsx");

const SIRET_GIRONDE: &str = "73282932000074";
const SIRET_PARIS: &str = "77572284600117";
const SIRET_SMALL: &str = "41234567000001";

/// The establishments of project 4107, as in the sample workbook.
const FINESS_4107: [&str; 15] = [
    "330100009",
    "330100371",
    "330100744",
    "330101114",
    "330101486",
    "330101858",
    "330102229",
    "330102591",
    "330102963",
    "330103334",
    "330103706",
    "330104076",
    "330104449",
    "330104811",
    "330105180",
];

/// Project 5001 (Paris) and 6002 (Gironde): FINESS computed with their key.
fn finess(prefix: &str, n: usize) -> anyhow::Result<String> {
    Ok(
        carnet_core::Finess::with_computed_key(&format!("{prefix}{:05}", 200 + n))
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .to_string(),
    )
}

/// Login, name, reach of each platform demo account.
fn account_list() -> anyhow::Result<Vec<(&'static str, &'static str, Reach)>> {
    let region = |code| regions::by_code(code).context("région inconnue");
    Ok(vec![
        (
            "porteur",
            "Paula Porteur, Gironde (démo)",
            Reach::Porteur(Siret::parse(SIRET_GIRONDE)?),
        ),
        (
            "porteur-paris",
            "Pierre Porteur, Paris (démo)",
            Reach::Porteur(Siret::parse(SIRET_PARIS)?),
        ),
        (
            "ars",
            "Anne, ARS Nouvelle-Aquitaine (démo)",
            Reach::Region(region("75")?),
        ),
        (
            "ars-idf",
            "Ali, ARS Île-de-France (démo)",
            Reach::Region(region("11")?),
        ),
        ("cnsa", "Chloé, CNSA (démo)", Reach::Nation),
        ("auditeur", "Hugo, auditeur (démo)", Reach::Audit),
    ])
}

/// The demo platform's database beside the DUI's: `sqlite://carnet.db` →
/// `sqlite://carnet-plateforme.db`, `postgres://…/carnet` → `postgres://…/carnet_plateforme`.
pub fn default_db(dui: &str) -> String {
    if let Some(path) = dui.strip_prefix("sqlite://") {
        let (path, query) = path.split_once('?').map_or((path, ""), |(p, q)| (p, q));
        let stem_end = match path.rfind('.') {
            Some(dot) if dot > path.rfind('/').map_or(0, |s| s + 1) => dot,
            _ => path.len(),
        };
        let mut out = format!(
            "sqlite://{}-plateforme{}",
            &path[..stem_end],
            &path[stem_end..]
        );
        if !query.is_empty() {
            out.push('?');
            out.push_str(query);
        }
        return out;
    }
    let (base, query) = dui.split_once('?').map_or((dui, ""), |(b, q)| (b, q));
    let mut out = format!("{base}_plateforme");
    if !query.is_empty() {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// What the demo prints about signing in to the platform.
pub fn print_sign_in(url: Option<&str>) {
    match url {
        Some(url) => eprintln!("  Plateforme de collecte ARS / CNSA : {url}"),
        None => eprintln!("  Plateforme de collecte ARS / CNSA (carnet platform serve) :"),
    }
    eprintln!(
        "    identifiants porteur (projet 4107), porteur-paris (projet 5001), ars (Nouvelle-Aquitaine),"
    );
    eprintln!(
        "    ars-idf (Île-de-France), cnsa et auditeur ; avec « carnet demo », {} (l'organisme",
        crate::demo_link::LOGIN
    );
    eprintln!(
        "    du DUI, projet {}) ; mot de passe « {} ».",
        crate::demo_link::GALIS,
        crate::demo::DEMO_PASSWORD
    );
}

pub(crate) const PROJECTS_HEADER: &str = "reference_galis;libelle;siret_porteur;annee_appel;regles;nature;\
petit_organisme;guichet;finess;notifie_prevu;notifie_reel;demarre_prevu;demarre_reel;\
parametrage_finalise_prevu;parametrage_finalise_reel;fin_va_prevu;fin_va_reel;fin_vsr_prevu;\
fin_vsr_reel;termine_prevu;termine_reel";

pub(crate) fn project_line(
    galis: &str,
    label: &str,
    siret: &str,
    desk: &str,
    finess: &[String],
) -> String {
    format!(
        "{galis};{label};{siret};2024;aap-2024;acquisition;non;{desk};{};;;;;;;;;;;;",
        finess.join(",")
    )
}

/// A generated month of a project: plausible figures rising month by month.
fn rows(
    galis: &str,
    siret: &str,
    finess: &[String],
    month: i8,
) -> anyhow::Result<Vec<WorkbookRow>> {
    let start = date(2024, month, 1);
    let end = start.last_of_month();
    Ok(finess
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let accompanied = 40 + (i as u64 * 7) % 30;
            let actifs = accompanied * (60 + 8 * month as u64) / 100;
            WorkbookRow {
                galis_reference: galis.to_owned(),
                porteur_siret: siret.to_owned(),
                finess: f.clone(),
                establishment_name: format!("ESSMS {}", i + 1),
                dmp_fed: accompanied / 2,
                mss_messages: accompanied / 3,
                active_records: actifs,
                accompanied_persons: accompanied,
                records_with_care_plan: actifs * 85 / 100,
                records_with_appointment: actifs * 70 / 100,
                period_from: start,
                period_to: end,
            }
        })
        .collect())
}

/// Seeds the platform demo into `db` (kept when already there).
pub async fn seed(db: &Db) -> anyhow::Result<()> {
    versions::migrate(db)
        .await
        .context("tables de la collecte")?;
    let ctx = system("demo-plateforme");
    let hash =
        carnet_web::password::hash(crate::demo::DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
    for (login, name, reach) in account_list()? {
        if db.user_by_login(login).await?.is_some() {
            continue;
        }
        accounts::create(
            db,
            &ctx,
            NewAccount {
                login: login.to_owned(),
                display_name: name.to_owned(),
                reach,
                password_hash: Some(hash.clone()),
            },
        )
        .await?;
    }
    if !projects::list(db).await?.is_empty() {
        return Ok(());
    }
    let gironde: Vec<String> = FINESS_4107.iter().map(|f| (*f).to_owned()).collect();
    let paris: Vec<String> = (0..3)
        .map(|i| finess("750", i))
        .collect::<anyhow::Result<_>>()?;
    let small: Vec<String> = (0..2)
        .map(|i| finess("330", i))
        .collect::<anyhow::Result<_>>()?;
    let csv = [
        PROJECTS_HEADER.to_owned(),
        project_line("4107", "ESSMS de Gironde", SIRET_GIRONDE, "75", &gironde),
        project_line("5001", "Services parisiens", SIRET_PARIS, "11", &paris),
        project_line(
            "6002",
            "Petit organisme girondin",
            SIRET_SMALL,
            "75",
            &small,
        ),
    ]
    .join("\r\n");
    let parsed = projects::parse_csv(csv.as_bytes()).map_err(|errors| {
        anyhow::anyhow!(
            "registre de démonstration refusé : {}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ; ")
        )
    })?;
    projects::import(db, &parsed, "demo", ctx.now).await?;

    let registry = projects::registry(db).await?;
    let mut files: Vec<(&str, String, Vec<u8>, Date)> = Vec::new();
    for month in [3, 4] {
        let bytes = carnet_reports::write_workbook(
            &rows("4107", SIRET_GIRONDE, &gironde, month)?,
            &[],
            ctx.now,
        )?;
        files.push((
            "porteur",
            format!("recueil_4107_2024_{month:02}.xlsx"),
            bytes,
            date(2024, month + 1, 8),
        ));
    }
    files.push((
        "porteur",
        "recueil_propre_2024_05.xlsx".to_owned(),
        SAMPLE.to_vec(),
        date(2024, 6, 10),
    ));
    for month in [3, 4, 5] {
        let bytes = carnet_reports::write_workbook(
            &rows("5001", SIRET_PARIS, &paris, month)?,
            &[],
            ctx.now,
        )?;
        // May arrives after the 15 June deadline: late.
        let day = if month == 5 { 20 } else { 12 };
        files.push((
            "porteur-paris",
            format!("recueil_5001_2024_{month:02}.xlsx"),
            bytes,
            date(2024, month + 1, day),
        ));
    }
    for (sent_by, name, bytes, received) in &files {
        let received_at = received.at(9, 30, 0, 0).in_tz("Europe/Paris")?.timestamp();
        declare(db, &registry, sent_by, name, bytes, received_at).await?;
    }
    eprintln!(
        "Plateforme de démonstration : 3 projets, {} déclarations, 6 comptes.",
        files.len()
    );
    Ok(())
}

/// Sends one demo workbook through the platform's ingestion, as an upload;
/// a refusal is an error of the demo's generator.
pub(crate) async fn declare(
    db: &Db,
    registry: &projects::Registry,
    sent_by: &str,
    file_name: &str,
    bytes: &[u8],
    received_at: jiff::Timestamp,
) -> anyhow::Result<()> {
    let outcome = ingest::ingest(
        Some(db),
        &Submission {
            file_name,
            bytes,
            sent_by,
            received_at,
        },
        Some(registry),
        &Limits::default(),
        10,
    )
    .await?;
    if !outcome.accepted {
        anyhow::bail!(
            "fichier de démonstration « {file_name} » refusé par la plateforme (anomalie du \
             générateur) :\n{}",
            outcome.text
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::default_db;

    #[test]
    fn the_demo_platform_has_a_database_beside_the_duis() {
        assert_eq!(
            default_db("sqlite://carnet.db"),
            "sqlite://carnet-plateforme.db"
        );
        assert_eq!(
            default_db("sqlite:///tmp/x.y/d.db?mode=rwc"),
            "sqlite:///tmp/x.y/d-plateforme.db?mode=rwc"
        );
        assert_eq!(
            default_db("sqlite:///tmp/x.y/base"),
            "sqlite:///tmp/x.y/base-plateforme"
        );
        assert_eq!(
            default_db("postgres://postgres@127.0.0.1:5432/carnet"),
            "postgres://postgres@127.0.0.1:5432/carnet_plateforme"
        );
    }
}
