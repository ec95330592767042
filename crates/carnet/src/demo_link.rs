//! `carnet demo` links its two halves the way a real porteur would: the demo
//! DUI's organisation becomes project [`GALIS`] of the demo platform, with a
//! porteur account of its own ([`LOGIN`]), and its last three complete months
//! are declared there with the workbook the DUI itself writes
//! (`carnet workbook`). A proof signed on the DUI's dashboard for one of
//! those months can then be attached on the platform and checked valid.
//! Idempotent: once the project exists, nothing is redone.

use crate::commands::system;
use crate::indicators_cmd::{report, rules_for, select};
use crate::platform_demo::{PROJECTS_HEADER, declare, project_line};
use anyhow::Context;
use carnet_collect::accounts::{self, NewAccount, Reach};
use carnet_collect::projects;
use carnet_collect::regions;
use carnet_core::indicators::Period;
use carnet_store::Db;
use jiff::ToSpan;
use jiff::civil::Date;

/// The demo DUI's project on the demo platform.
pub const GALIS: &str = "9001";
/// Its porteur account on the platform.
pub const LOGIN: &str = "porteur-dui";

/// Registers the DUI's organisation on the platform and declares its last
/// three complete months before `today`.
pub async fn link(dui: &Db, platform: &Db, today: Date) -> anyhow::Result<()> {
    if projects::list(platform)
        .await?
        .iter()
        .any(|p| p.galis == GALIS)
    {
        return Ok(());
    }
    let selection = select(dui, &[]).await?;
    let [organisation] = selection.organisations.as_slice() else {
        // A database with several organisations is not the demo's.
        return Ok(());
    };
    let siret = organisation.siret.to_string();
    let finess: Vec<String> = selection
        .establishments
        .iter()
        .map(|e| e.finess.to_string())
        .collect();
    let desk = selection
        .establishments
        .iter()
        .find_map(|e| regions::of_finess(&e.finess))
        .map_or("national", |r| r.code);
    let line = project_line(
        GALIS,
        &organisation.name.replace(';', ","),
        &siret,
        desk,
        &finess,
    );
    let csv = format!("{PROJECTS_HEADER}\r\n{line}");
    let parsed = projects::parse_csv(csv.as_bytes()).map_err(|errors| {
        anyhow::anyhow!(
            "projet du DUI de démonstration refusé : {}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ; ")
        )
    })?;
    let ctx = system("demo-plateforme");
    projects::import(platform, &parsed, "demo", ctx.now).await?;
    if platform.user_by_login(LOGIN).await?.is_none() {
        let hash =
            carnet_web::password::hash(crate::demo::DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
        accounts::create(
            platform,
            &ctx,
            NewAccount {
                login: LOGIN.to_owned(),
                display_name: format!("{} (porteur, démo)", organisation.name),
                reach: Reach::Porteur(organisation.siret.clone()),
                password_hash: Some(hash),
            },
        )
        .await?;
    }
    let rules = rules_for(dui, "demo", &selection).await?;
    let registry = projects::registry(platform).await?;
    let this_month = today.first_of_month();
    for back in (1..=3).rev() {
        let first = this_month
            .checked_sub(back.months())
            .context("mois de la déclaration")?;
        let period = Period::new(first, first.last_of_month())?;
        let figures = report(dui, &rules, period, &selection.establishments).await?;
        let rows =
            carnet_web::declare::workbook_rows(GALIS, &siret, period, &figures.establishments);
        let bytes = carnet_reports::write_workbook(&rows, &[], ctx.now)?;
        let name = format!("recueil_{GALIS}_{}.xlsx", first.strftime("%Y_%m"));
        declare(platform, &registry, LOGIN, &name, &bytes, ctx.now).await?;
    }
    eprintln!(
        "Plateforme de démonstration : l'organisme du DUI est le projet {GALIS} (compte \
         « {LOGIN} »), ses trois derniers mois complets y sont déclarés."
    );
    Ok(())
}
