//! The registry in the database (`collect_projects`, `collect_project_establishments`,
//! `collect_project_milestones`, migration 0002). An import is one transaction:
//! each project is inserted or, when its GALIS is known, replaced with its
//! establishments and milestones. Projects absent from the file are kept: an
//! import never removes a project (declarations refer to it for ten years).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use carnet_core::{Finess, Siret};
use carnet_store::Db;
use jiff::Timestamp;
use sqlx::Row as _;

use super::{Dates, Desk, Kind, Milestone, Project, Registry};
use crate::ProjectRef;
use crate::versions::ArchiveError;

fn corrupt(what: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Corrupt(what.to_string())
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
}

/// Writes the projects of a checked file, all or nothing.
pub async fn import(
    db: &Db,
    projects: &[Project],
    by: &str,
    at: Timestamp,
) -> Result<ImportSummary, ArchiveError> {
    let mut tx = db.begin_write().await?;
    let known: BTreeSet<String> = sqlx::query("SELECT galis FROM collect_projects")
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
    let mut summary = ImportSummary {
        created: 0,
        updated: 0,
    };
    for p in projects {
        if known.contains(&p.galis) {
            summary.updated += 1;
        } else {
            summary.created += 1;
        }
        sqlx::query(
            "INSERT INTO collect_projects (galis, label, siret, call_year, rule_set, kind, \
             small_organisation, desk, updated_at_us, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (galis) DO UPDATE SET label = excluded.label, siret = excluded.siret, \
             call_year = excluded.call_year, rule_set = excluded.rule_set, kind = excluded.kind, \
             small_organisation = excluded.small_organisation, desk = excluded.desk, \
             updated_at_us = excluded.updated_at_us, updated_by = excluded.updated_by",
        )
        .bind(p.galis.clone())
        .bind(p.label.clone())
        .bind(p.siret.to_string())
        .bind(i64::from(p.call_year))
        .bind(p.rule_set.clone())
        .bind(p.kind.code())
        .bind(i64::from(p.small_organisation))
        .bind(p.desk.code())
        .bind(at.as_microsecond())
        .bind(by.to_owned())
        .execute(&mut *tx)
        .await?;
        for table in [
            "collect_project_establishments",
            "collect_project_milestones",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE galis = $1"
            )))
            .bind(p.galis.clone())
            .execute(&mut *tx)
            .await?;
        }
        for finess in &p.establishments {
            sqlx::query(
                "INSERT INTO collect_project_establishments (galis, finess, region) \
                 VALUES ($1, $2, $3)",
            )
            .bind(p.galis.clone())
            .bind(finess.to_string())
            .bind(crate::regions::of_finess(finess).map(|r| r.code))
            .execute(&mut *tx)
            .await?;
        }
        for (milestone, dates) in &p.milestones {
            sqlx::query(
                "INSERT INTO collect_project_milestones (galis, milestone, planned, actual) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(p.galis.clone())
            .bind(milestone.code())
            .bind(dates.planned.map(|d| d.to_string()))
            .bind(dates.actual.map(|d| d.to_string()))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(summary)
}

/// Why an actual milestone date was not recorded, in French.
#[derive(Debug, thiserror::Error)]
pub enum MilestoneError {
    #[error("le projet {0} n'est pas au registre des projets")]
    UnknownProject(String),
    #[error(
        "jalon « {0} » inconnu : attendu notifie, demarre, parametrage_finalise, fin_va, fin_vsr ou termine"
    )]
    UnknownMilestone(String),
    #[error("date « {0} » : {rule}", rule = super::DATE_RULE)]
    BadDate(String),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

impl From<sqlx::Error> for MilestoneError {
    fn from(e: sqlx::Error) -> Self {
        MilestoneError::Archive(e.into())
    }
}

/// Records the actual date of one milestone of a project (a date entered on a
/// page, without a whole CSV): the milestone's planned date is kept, the
/// project's `updated_at_us` / `updated_by` say who and when. One transaction.
/// `milestone` is a code (`notifie`, …) and `date` is `AAAA-MM-JJ` or
/// `JJ/MM/AAAA`, as in the CSV.
pub async fn record_actual(
    db: &Db,
    galis: &str,
    milestone: &str,
    date: &str,
    by: &str,
    at: Timestamp,
) -> Result<(Milestone, jiff::civil::Date), MilestoneError> {
    let milestone = Milestone::from_code(milestone.trim())
        .ok_or_else(|| MilestoneError::UnknownMilestone(milestone.trim().to_owned()))?;
    let day =
        super::parse_date(date).ok_or_else(|| MilestoneError::BadDate(date.trim().to_owned()))?;
    let mut tx = db.begin_write().await.map_err(ArchiveError::from)?;
    let touched = sqlx::query(
        "UPDATE collect_projects SET updated_at_us = $1, updated_by = $2 WHERE galis = $3",
    )
    .bind(at.as_microsecond())
    .bind(by.to_owned())
    .bind(galis.to_owned())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if touched == 0 {
        return Err(MilestoneError::UnknownProject(galis.to_owned()));
    }
    sqlx::query(
        "INSERT INTO collect_project_milestones (galis, milestone, planned, actual) \
         VALUES ($1, $2, NULL, $3) \
         ON CONFLICT (galis, milestone) DO UPDATE SET actual = excluded.actual",
    )
    .bind(galis.to_owned())
    .bind(milestone.code())
    .bind(day.to_string())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((milestone, day))
}

/// The establishments of every project, by GALIS.
async fn establishments(db: &Db) -> Result<HashMap<String, BTreeSet<Finess>>, ArchiveError> {
    let mut out: HashMap<String, BTreeSet<Finess>> = HashMap::new();
    for row in sqlx::query("SELECT galis, finess FROM collect_project_establishments")
        .fetch_all(db.pool())
        .await?
    {
        let finess: String = row.try_get("finess")?;
        out.entry(row.try_get("galis")?)
            .or_default()
            .insert(Finess::parse(&finess).map_err(corrupt)?);
    }
    Ok(out)
}

fn parse_date(text: Option<String>) -> Result<Option<jiff::civil::Date>, ArchiveError> {
    text.map(|t| t.parse().map_err(corrupt)).transpose()
}

/// Every project of the registry, by GALIS.
pub async fn list(db: &Db) -> Result<Vec<Project>, ArchiveError> {
    let mut establishments = establishments(db).await?;
    let mut milestones: HashMap<String, BTreeMap<Milestone, Dates>> = HashMap::new();
    for row in
        sqlx::query("SELECT galis, milestone, planned, actual FROM collect_project_milestones")
            .fetch_all(db.pool())
            .await?
    {
        let code: String = row.try_get("milestone")?;
        let milestone = Milestone::from_code(&code).ok_or_else(|| corrupt(&code))?;
        milestones.entry(row.try_get("galis")?).or_default().insert(
            milestone,
            Dates {
                planned: parse_date(row.try_get("planned")?)?,
                actual: parse_date(row.try_get("actual")?)?,
            },
        );
    }
    let rows = sqlx::query(
        "SELECT galis, label, siret, call_year, rule_set, kind, small_organisation, desk \
         FROM collect_projects ORDER BY galis",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let galis: String = r.try_get("galis")?;
            let siret: String = r.try_get("siret")?;
            let kind: String = r.try_get("kind")?;
            let desk: String = r.try_get("desk")?;
            let year: i64 = r.try_get("call_year")?;
            let small: i64 = r.try_get("small_organisation")?;
            Ok(Project {
                label: r.try_get("label")?,
                siret: Siret::parse(&siret).map_err(corrupt)?,
                call_year: i16::try_from(year).map_err(corrupt)?,
                rule_set: r.try_get("rule_set")?,
                kind: Kind::from_code(&kind).ok_or_else(|| corrupt(&kind))?,
                small_organisation: small != 0,
                desk: Desk::from_code(&desk).ok_or_else(|| corrupt(&desk))?,
                establishments: establishments.remove(&galis).unwrap_or_default(),
                milestones: milestones.remove(&galis).unwrap_or_default(),
                galis,
            })
        })
        .collect()
}

/// The registry for checking files: two queries, whatever the number of files.
pub async fn registry(db: &Db) -> Result<Registry, ArchiveError> {
    let mut establishments = establishments(db).await?;
    let rows = sqlx::query("SELECT galis, siret FROM collect_projects")
        .fetch_all(db.pool())
        .await?;
    let projects = rows
        .iter()
        .map(|r| {
            let galis: String = r.try_get("galis")?;
            let siret: String = r.try_get("siret")?;
            Ok(ProjectRef {
                siret: Siret::parse(&siret).map_err(corrupt)?,
                establishments: establishments.remove(&galis).unwrap_or_default(),
                galis,
            })
        })
        .collect::<Result<Vec<_>, ArchiveError>>()?;
    Ok(Registry::new(projects))
}
