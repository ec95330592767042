//! Reading what the aggregates need: the versions and their rows up to the
//! last month asked (earlier months count for the establishments embarked),
//! and the registry's projects with their regions. A handful of queries,
//! whatever the number of projects and months.

use std::collections::{BTreeMap, BTreeSet};

use carnet_core::Finess;
use carnet_store::Db;
use jiff::Timestamp;
use sqlx::Row as _;

use super::{Options, RegistryProject, StoredRow, StoredVersion, Summary, compute};
use crate::versions::ArchiveError;

fn corrupt(what: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Corrupt(what.to_string())
}

fn count(v: i64) -> Result<u64, ArchiveError> {
    u64::try_from(v).map_err(|_| corrupt(format!("nombre négatif : {v}")))
}

fn opt_count(v: Option<i64>) -> Result<Option<u64>, ArchiveError> {
    v.map(count).transpose()
}

/// Aggregates the declarations in force, month by month (see the module).
pub async fn summary(db: &Db, options: &Options) -> Result<Summary, ArchiveError> {
    let until = options
        .to
        .map_or_else(|| "9999-12-31".to_owned(), |m| m.last_day().to_string());
    let versions = sqlx::query(
        "SELECT id, galis, period_start, period_end, version, received_at_us \
         FROM collect_versions WHERE period_end <= $1",
    )
    .bind(until.clone())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        let start: String = r.try_get("period_start")?;
        let end: String = r.try_get("period_end")?;
        Ok(StoredVersion {
            id: r.try_get("id")?,
            galis: r.try_get("galis")?,
            start: start.parse().map_err(corrupt)?,
            end: end.parse().map_err(corrupt)?,
            version: r.try_get("version")?,
            received_at: Timestamp::from_microsecond(r.try_get("received_at_us")?)
                .map_err(corrupt)?,
        })
    })
    .collect::<Result<Vec<_>, ArchiveError>>()?;
    let rows = sqlx::query(
        "SELECT r.version_id, r.finess, r.dmp, r.mss, r.actifs, r.accompanied, r.care_plan, \
         r.appointment FROM collect_rows r JOIN collect_versions v ON v.id = r.version_id \
         WHERE v.period_end <= $1",
    )
    .bind(until)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        let finess: String = r.try_get("finess")?;
        Ok(StoredRow {
            version_id: r.try_get("version_id")?,
            finess: Finess::parse(&finess).map_err(corrupt)?,
            dmp: opt_count(r.try_get("dmp")?)?,
            mss: opt_count(r.try_get("mss")?)?,
            actifs: count(r.try_get("actifs")?)?,
            accompanied: count(r.try_get("accompanied")?)?,
            care_plan: opt_count(r.try_get("care_plan")?)?,
            appointment: opt_count(r.try_get("appointment")?)?,
        })
    })
    .collect::<Result<Vec<_>, ArchiveError>>()?;
    let registry = registry_projects(db).await?;
    Ok(compute(&versions, &rows, &registry, options))
}

/// The projects of the registry with the regions of their establishments and desk.
async fn registry_projects(db: &Db) -> Result<Vec<RegistryProject>, ArchiveError> {
    let mut regions: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT DISTINCT galis, region FROM collect_project_establishments \
         WHERE region IS NOT NULL",
    )
    .fetch_all(db.pool())
    .await?
    {
        let code: String = r.try_get("region")?;
        let region = crate::regions::by_code(&code).ok_or_else(|| corrupt(&code))?;
        regions
            .entry(r.try_get("galis")?)
            .or_default()
            .insert(region.code);
    }
    sqlx::query("SELECT galis, label, desk FROM collect_projects ORDER BY galis")
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            let galis: String = r.try_get("galis")?;
            let desk: String = r.try_get("desk")?;
            let mut set = regions.remove(&galis).unwrap_or_default();
            if let Some(region) = crate::regions::by_code(&desk) {
                set.insert(region.code);
            }
            Ok(RegistryProject {
                label: r.try_get("label")?,
                regions: set,
                galis,
            })
        })
        .collect()
}
