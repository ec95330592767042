//! EU audit samples on the platform (issue 5 §7, SPEC.md §5): stores a draw of
//! declared establishments and the outcomes of its proof checks, and reads
//! them back (tables `collect_sample*`, migration 0003). The draw itself is
//! `carnet_core::sampling`, reproducible by anyone from the published seed;
//! this module only gives it the establishments declared for a month and
//! keeps what it drew. Outcomes are appended, never overwritten: the latest
//! one is in force, every earlier one stays. It never reads the clock.

mod text;

use std::collections::BTreeMap;

use carnet_core::Finess;
use carnet_core::sampling::{self as core, CheckOutcome, ESTABLISHMENT_CHECKS};
use carnet_store::Db;
use jiff::Timestamp;
use sqlx::Row as _;

pub use text::to_text;

use crate::aggregate::Month;
use crate::versions::ArchiveError;

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("{0}")]
    Draw(#[from] core::SamplingError),
    #[error("la taille de l'échantillon doit être d'au moins 1 ESSMS")]
    EmptySize,
    #[error(
        "aucun ESSMS déclaré avec au moins un DUI actif pour {0} : rien à tirer (déclarations \
         dont la période se termine ce mois-là)"
    )]
    NothingDeclared(String),
    #[error("échantillon n° {0} inconnu")]
    UnknownSample(i64),
    #[error("l'ESSMS FINESS {finess} n'a pas été tiré dans l'échantillon n° {sample}")]
    NotDrawn { sample: i64, finess: String },
    #[error("point de contrôle « {code} » inconnu : points admis {known}")]
    UnknownCheck { code: String, known: String },
}

fn corrupt(what: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Corrupt(what.to_string())
}

/// The code of an outcome, as stored and typed on the command line.
pub fn outcome_code(outcome: CheckOutcome) -> &'static str {
    match outcome {
        CheckOutcome::ToCheck => "a-verifier",
        CheckOutcome::Compliant => "conforme",
        CheckOutcome::NonCompliant => "non-conforme",
        CheckOutcome::NotApplicable => "sans-objet",
    }
}

pub fn parse_outcome(code: &str) -> Option<CheckOutcome> {
    [
        CheckOutcome::ToCheck,
        CheckOutcome::Compliant,
        CheckOutcome::NonCompliant,
        CheckOutcome::NotApplicable,
    ]
    .into_iter()
    .find(|o| outcome_code(*o) == code)
}

/// One establishment with DUI actifs in a declaration in force for the month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredEstablishment {
    pub finess: Finess,
    pub galis: String,
    pub version_id: i64,
    pub actifs: u64,
}

/// A stratum of the draw, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StratumRow {
    pub code: String,
    pub label: String,
    pub population: u32,
    pub allocated: u32,
}

/// One recorded outcome of a check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutcomeRecord {
    pub outcome: CheckOutcome,
    pub note: Option<String>,
    pub by: String,
    pub at: Timestamp,
}

/// A check of a drawn establishment: the outcome in force and all of them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckState {
    pub code: String,
    pub label: String,
    /// Oldest first; the last one is in force. Never empty once drawn.
    pub history: Vec<OutcomeRecord>,
}

impl CheckState {
    pub fn latest(&self) -> Option<&OutcomeRecord> {
        self.history.last()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SampledEstablishment {
    pub finess: Finess,
    pub position: u32,
    pub galis: String,
    /// INSEE code of its region; `None` for Saint-Pierre-et-Miquelon.
    pub region: Option<String>,
    /// SHA-256 of "seed:FINESS": the rank anyone can recompute.
    pub rank_sha256: String,
    pub version_id: i64,
    pub actifs: u64,
    pub checks: Vec<CheckState>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sample {
    pub id: i64,
    pub seed: String,
    pub requested: u32,
    pub month: Month,
    pub population: u32,
    pub algorithm: String,
    pub strata: Vec<StratumRow>,
    pub drawn_by: String,
    pub drawn_at: Timestamp,
    pub establishments: Vec<SampledEstablishment>,
}

/// The establishments with at least one DUI actif in the declarations in force
/// for a month (docs/collecte-agregats.md: the month of the last day of the
/// period; per project, the version received last). A FINESS declared by two
/// projects is kept once, with the first project by Référence GALIS.
pub async fn declared(db: &Db, month: Month) -> Result<Vec<DeclaredEstablishment>, ArchiveError> {
    let versions = sqlx::query(
        "SELECT id, galis, received_at_us FROM collect_versions \
         WHERE period_end >= $1 AND period_end <= $2",
    )
    .bind(month.first_day().to_string())
    .bind(month.last_day().to_string())
    .fetch_all(db.pool())
    .await?;
    let mut in_force: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for v in versions {
        let (id, galis, at): (i64, String, i64) = (
            v.try_get("id")?,
            v.try_get("galis")?,
            v.try_get("received_at_us")?,
        );
        let entry = in_force.entry(galis).or_insert((at, id));
        if (at, id) > *entry {
            *entry = (at, id);
        }
    }
    let mut by_finess: BTreeMap<Finess, DeclaredEstablishment> = BTreeMap::new();
    for (galis, (_, version_id)) in in_force {
        for row in crate::versions::rows(db, version_id).await? {
            if row.actifs == 0 {
                continue;
            }
            by_finess
                .entry(row.finess.clone())
                .or_insert(DeclaredEstablishment {
                    finess: row.finess,
                    galis: galis.clone(),
                    version_id,
                    actifs: row.actifs,
                });
        }
    }
    Ok(by_finess.into_values().collect())
}

/// What a draw needs; `by` and `at` are who asked and when.
#[derive(Debug, Clone)]
pub struct DrawRequest<'a> {
    pub seed: &'a str,
    pub size: u32,
    pub month: Month,
    pub by: &'a str,
    pub at: Timestamp,
}

/// Draws among the establishments declared for the month and stores the
/// sample with every check "à vérifier", in one transaction.
pub async fn draw(db: &Db, request: &DrawRequest<'_>) -> Result<Sample, SampleError> {
    if request.size == 0 {
        return Err(SampleError::EmptySize);
    }
    let declared = declared(db, request.month).await?;
    if declared.is_empty() {
        return Err(SampleError::NothingDeclared(request.month.label()));
    }
    let finess: Vec<Finess> = declared.iter().map(|d| d.finess.clone()).collect();
    let drawn = core::draw_establishments(request.seed, &finess, request.size)?;
    let strata: Vec<StratumRow> = drawn
        .strata
        .iter()
        .map(|s| StratumRow {
            code: s.code.clone(),
            label: s.label.clone(),
            population: s.population,
            allocated: s.allocated,
        })
        .collect();
    let by_finess: BTreeMap<String, &DeclaredEstablishment> =
        declared.iter().map(|d| (d.finess.to_string(), d)).collect();

    let mut tx = db.begin_write().await.map_err(ArchiveError::from)?;
    let row = sqlx::query(
        "INSERT INTO collect_samples (seed, requested, month, population, algorithm, \
         strata_json, drawn_by, drawn_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(request.seed.to_owned())
    .bind(i64::from(request.size))
    .bind(request.month.to_string())
    .bind(i64::from(drawn.population))
    .bind(drawn.algorithm.to_owned())
    .bind(serde_json::to_string(&strata).map_err(corrupt)?)
    .bind(request.by.to_owned())
    .bind(request.at.as_microsecond())
    .fetch_one(&mut *tx)
    .await
    .map_err(ArchiveError::from)?;
    let id: i64 = row.try_get("id").map_err(ArchiveError::from)?;
    for (position, item) in (1i64..).zip(&drawn.drawn) {
        let declared = by_finess
            .get(&item.id)
            .ok_or_else(|| corrupt(format!("FINESS tiré hors de la population : {}", item.id)))?;
        sqlx::query(
            "INSERT INTO collect_sample_establishments (sample_id, finess, position, galis, \
             region, rank_sha256, version_id, actifs) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(item.id.clone())
        .bind(position)
        .bind(declared.galis.clone())
        .bind(crate::regions::of_finess(&declared.finess).map(|r| r.code))
        .bind(item.hash.clone())
        .bind(declared.version_id)
        .bind(i64::try_from(declared.actifs).map_err(corrupt)?)
        .execute(&mut *tx)
        .await
        .map_err(ArchiveError::from)?;
        for check in &item.checklist {
            insert_outcome(
                &mut tx,
                (id, &item.id, check.code),
                check.outcome,
                None,
                (request.by, request.at),
            )
            .await?;
        }
    }
    tx.commit().await.map_err(ArchiveError::from)?;
    show(db, id).await?.ok_or(SampleError::UnknownSample(id))
}

/// `item`: (sample, FINESS, check code); `who`: (by, at).
async fn insert_outcome(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    (sample, finess, check): (i64, &str, &str),
    outcome: CheckOutcome,
    note: Option<&str>,
    (by, at): (&str, Timestamp),
) -> Result<(), ArchiveError> {
    sqlx::query(
        "INSERT INTO collect_sample_checks (sample_id, finess, check_code, outcome, note, \
         recorded_by, recorded_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(sample)
    .bind(finess.to_owned())
    .bind(check.to_owned())
    .bind(outcome_code(outcome))
    .bind(note.map(str::to_owned))
    .bind(by.to_owned())
    .bind(at.as_microsecond())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The outcome of one check of a drawn establishment, by whom and when.
#[derive(Debug, Clone, Copy)]
pub struct Recording<'a> {
    pub finess: &'a Finess,
    /// A code of `carnet_core::sampling::ESTABLISHMENT_CHECKS`.
    pub check: &'a str,
    pub outcome: CheckOutcome,
    pub note: Option<&'a str>,
    pub by: &'a str,
    pub at: Timestamp,
}

/// Appends the outcome of one check of a drawn establishment; earlier ones stay.
pub async fn record(db: &Db, sample: i64, recording: &Recording<'_>) -> Result<(), SampleError> {
    let Recording {
        finess,
        check,
        outcome,
        note,
        by,
        at,
    } = *recording;
    let Some(label) = ESTABLISHMENT_CHECKS.iter().find(|c| c.code == check) else {
        return Err(SampleError::UnknownCheck {
            code: check.to_owned(),
            known: ESTABLISHMENT_CHECKS
                .iter()
                .map(|c| c.code)
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let exists = sqlx::query("SELECT id FROM collect_samples WHERE id = $1")
        .bind(sample)
        .fetch_optional(db.pool())
        .await
        .map_err(ArchiveError::from)?;
    if exists.is_none() {
        return Err(SampleError::UnknownSample(sample));
    }
    let drawn = sqlx::query(
        "SELECT finess FROM collect_sample_establishments WHERE sample_id = $1 AND finess = $2",
    )
    .bind(sample)
    .bind(finess.to_string())
    .fetch_optional(db.pool())
    .await
    .map_err(ArchiveError::from)?;
    if drawn.is_none() {
        return Err(SampleError::NotDrawn {
            sample,
            finess: finess.to_string(),
        });
    }
    let mut tx = db.begin_write().await.map_err(ArchiveError::from)?;
    insert_outcome(
        &mut tx,
        (sample, finess.as_str(), label.code),
        outcome,
        note.map(str::trim).filter(|n| !n.is_empty()),
        (by, at),
    )
    .await?;
    tx.commit().await.map_err(ArchiveError::from)?;
    Ok(())
}

/// A stored sample with the history of every check; `None` when unknown.
pub async fn show(db: &Db, id: i64) -> Result<Option<Sample>, ArchiveError> {
    let Some(s) = sqlx::query(
        "SELECT id, seed, requested, month, population, algorithm, strata_json, drawn_by, \
         drawn_at_us FROM collect_samples WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let mut history: BTreeMap<(String, String), Vec<OutcomeRecord>> = BTreeMap::new();
    for c in sqlx::query(
        "SELECT finess, check_code, outcome, note, recorded_by, recorded_at_us \
         FROM collect_sample_checks WHERE sample_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?
    {
        let code: String = c.try_get("outcome")?;
        history
            .entry((c.try_get("finess")?, c.try_get("check_code")?))
            .or_default()
            .push(OutcomeRecord {
                outcome: parse_outcome(&code).ok_or_else(|| corrupt(&code))?,
                note: c.try_get("note")?,
                by: c.try_get("recorded_by")?,
                at: Timestamp::from_microsecond(c.try_get("recorded_at_us")?).map_err(corrupt)?,
            });
    }
    let mut establishments = Vec::new();
    for e in sqlx::query(
        "SELECT finess, position, galis, region, rank_sha256, version_id, actifs \
         FROM collect_sample_establishments WHERE sample_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?
    {
        let finess: String = e.try_get("finess")?;
        let position: i64 = e.try_get("position")?;
        let actifs: i64 = e.try_get("actifs")?;
        let checks = ESTABLISHMENT_CHECKS
            .iter()
            .map(|c| CheckState {
                code: c.code.to_owned(),
                label: c.label.to_owned(),
                history: history
                    .remove(&(finess.clone(), c.code.to_owned()))
                    .unwrap_or_default(),
            })
            .collect();
        establishments.push(SampledEstablishment {
            finess: Finess::parse(&finess).map_err(corrupt)?,
            position: u32::try_from(position).map_err(corrupt)?,
            galis: e.try_get("galis")?,
            region: e.try_get("region")?,
            rank_sha256: e.try_get("rank_sha256")?,
            version_id: e.try_get("version_id")?,
            actifs: u64::try_from(actifs).map_err(corrupt)?,
            checks,
        });
    }
    let month: String = s.try_get("month")?;
    let strata: String = s.try_get("strata_json")?;
    let requested: i64 = s.try_get("requested")?;
    let population: i64 = s.try_get("population")?;
    Ok(Some(Sample {
        id: s.try_get("id")?,
        seed: s.try_get("seed")?,
        requested: u32::try_from(requested).map_err(corrupt)?,
        month: Month::parse(&month).map_err(corrupt)?,
        population: u32::try_from(population).map_err(corrupt)?,
        algorithm: s.try_get("algorithm")?,
        strata: serde_json::from_str(&strata).map_err(corrupt)?,
        drawn_by: s.try_get("drawn_by")?,
        drawn_at: Timestamp::from_microsecond(s.try_get("drawn_at_us")?).map_err(corrupt)?,
        establishments,
    }))
}
