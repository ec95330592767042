//! The organisations' rule sets (issue 3 item 1): the counting rules the
//! indicator engine applies, stored per organisation and versioned. A change
//! never edits a stored version: it appends the next one and makes it active,
//! in the same transaction as its audit entry, so that every result, workbook
//! and proof names rules (`rule_set_id`, `rule_set_sha256`) that can still be
//! read back years later (SPEC.md §4.3: kept 10 years for the EU audit).
//!
//! An organisation that never chose rules gets the programme's default
//! (`RuleSet::default()`), stored as its version 1 on first use, so that what
//! was applied is recorded like any other version.
//!
//! Also the one place where the figures are computed from the activity index
//! with given rules, so that the CLI and the API print the same object.

use crate::audit::AuditWriter;
use crate::values::{RowExt, from_json, json, ts, us};
use crate::{Actor, AuditAction, Db, Outcome, Result, StoreError, WriteCtx};
use carnet_core::indicators::{
    EstablishmentResult, Explained, IndicatorReport, Month, Period, RuleSet, explain,
};
use carnet_core::model::{Establishment, OrganisationId};
use jiff::Timestamp;
use sqlx::AnyConnection;

/// One stored version of an organisation's rule set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredRuleSet {
    pub organisation_id: OrganisationId,
    /// 1, 2, 3… in the order the versions were saved.
    pub version: i64,
    pub rules: RuleSet,
    /// `rules.sha256()`, as named in results.
    pub sha256: String,
    pub created_at: Timestamp,
    /// Audit actor code: `user:<id>` or `system:<command>`.
    pub created_by: String,
    /// Whether this is the version the engine applies now.
    pub active: bool,
}

/// What saving a rule set did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavedRuleSet {
    /// A new version, now active.
    Created(StoredRuleSet),
    /// The active version already has exactly these rules: nothing written.
    Unchanged(StoredRuleSet),
}

impl SavedRuleSet {
    pub fn stored(&self) -> &StoredRuleSet {
        match self {
            SavedRuleSet::Created(s) | SavedRuleSet::Unchanged(s) => s,
        }
    }
}

fn actor_code(actor: &Actor) -> String {
    match actor {
        Actor::User(id) => format!("user:{id}"),
        Actor::System(what) => format!("system:{what}"),
    }
}

const COLUMNS: &str = "organisation_id, version, rule_set_id, label, body_json, body_sha256, \
    created_at_us, created_by, active";

fn from_row(row: &sqlx::any::AnyRow) -> Result<StoredRuleSet> {
    let version = row.int("version")?;
    let rules: RuleSet = from_json(&row.text("body_json")?)?;
    let sha256 = row.text("body_sha256")?;
    // A body edited in the database would silently change what old results
    // mean: refuse to use it.
    if rules.sha256() != sha256 || rules.id != row.text("rule_set_id")? {
        return Err(StoreError::corrupt(format!(
            "jeu de règles version {version} : le contenu ne correspond plus à son empreinte"
        )));
    }
    Ok(StoredRuleSet {
        organisation_id: OrganisationId(row.int("organisation_id")?),
        version,
        rules,
        sha256,
        created_at: ts(row.int("created_at_us")?)?,
        created_by: row.text("created_by")?,
        active: row.int("active")? == 1,
    })
}

async fn active_in(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
) -> Result<Option<StoredRuleSet>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM rule_sets WHERE organisation_id = $1 AND active = 1"
    )))
    .bind(organisation.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

async fn versions_in(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
) -> Result<Vec<StoredRuleSet>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM rule_sets WHERE organisation_id = $1 ORDER BY version"
    )))
    .bind(organisation.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Appends `rules` as the next version, active, with its audit entry. The
/// caller holds the organisation's audit head (`AuditWriter::open`), which
/// serialises concurrent savers of the same organisation.
async fn insert_version(
    conn: &mut AnyConnection,
    audit: &mut AuditWriter,
    ctx: &WriteCtx,
    organisation: OrganisationId,
    rules: &RuleSet,
    version: i64,
) -> Result<StoredRuleSet> {
    sqlx::query("UPDATE rule_sets SET active = 0 WHERE organisation_id = $1 AND active = 1")
        .bind(organisation.0)
        .execute(&mut *conn)
        .await?;
    let stored = StoredRuleSet {
        organisation_id: organisation,
        version,
        rules: rules.clone(),
        sha256: rules.sha256(),
        created_at: ctx.now,
        created_by: actor_code(&ctx.actor),
        active: true,
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO rule_sets ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)"
    )))
    .bind(organisation.0)
    .bind(version)
    .bind(rules.id.clone())
    .bind(rules.label.clone())
    .bind(json(rules))
    .bind(stored.sha256.clone())
    .bind(us(ctx.now))
    .bind(stored.created_by.clone())
    .execute(&mut *conn)
    .await?;
    audit
        .append(
            conn,
            ctx.now,
            &ctx.actor,
            AuditAction::Create,
            None,
            &format!("rule_set/{version}"),
            Outcome::Ok,
        )
        .await?;
    Ok(stored)
}

impl Db {
    /// The active rule set of an organisation, if it has one stored.
    pub async fn active_rule_set(
        &self,
        organisation: OrganisationId,
    ) -> Result<Option<StoredRuleSet>> {
        let mut conn = self.pool.acquire().await?;
        active_in(&mut conn, organisation).await
    }

    /// The rules to apply for an organisation: its active version, or, on
    /// first use, the default stored as version 1 (audited like any save).
    pub async fn rule_set(
        &self,
        ctx: &WriteCtx,
        organisation: OrganisationId,
    ) -> Result<StoredRuleSet> {
        if let Some(active) = self.active_rule_set(organisation).await? {
            return Ok(active);
        }
        let mut tx = self.begin_write().await?;
        let mut audit = AuditWriter::open(self, &mut tx, organisation).await?;
        // Another process may have seeded it since the read above.
        if let Some(active) = active_in(&mut tx, organisation).await? {
            return Ok(active);
        }
        let version = versions_in(&mut tx, organisation)
            .await?
            .last()
            .map_or(1, |v| v.version + 1);
        let stored = insert_version(
            &mut tx,
            &mut audit,
            ctx,
            organisation,
            &RuleSet::default(),
            version,
        )
        .await?;
        audit.close(&mut tx).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Every stored version of an organisation's rule set, oldest first.
    pub async fn rule_set_versions(
        &self,
        organisation: OrganisationId,
    ) -> Result<Vec<StoredRuleSet>> {
        let mut conn = self.pool.acquire().await?;
        versions_in(&mut conn, organisation).await
    }

    /// Saves `rules` as the organisation's new active version. Rules equal to
    /// the active ones write nothing. An id already used for other rules is
    /// refused: one id must always name one set of rules, since results and
    /// proofs name it.
    pub async fn save_rule_set(
        &self,
        ctx: &WriteCtx,
        organisation: OrganisationId,
        rules: &RuleSet,
    ) -> Result<SavedRuleSet> {
        rules.validate()?;
        let sha256 = rules.sha256();
        let mut tx = self.begin_write().await?;
        let mut audit = AuditWriter::open(self, &mut tx, organisation).await?;
        let versions = versions_in(&mut tx, organisation).await?;
        if let Some(active) = versions.iter().find(|v| v.active)
            && active.sha256 == sha256
        {
            return Ok(SavedRuleSet::Unchanged(active.clone()));
        }
        if let Some(other) = versions
            .iter()
            .find(|v| v.rules.id == rules.id && v.sha256 != sha256)
        {
            return Err(StoreError::Conflict(format!(
                "l'identifiant « {} » désigne déjà d'autres règles (version {}) : un jeu de \
                 règles publié ne change jamais, donnez un nouvel identifiant (par exemple « {}-2 »)",
                rules.id, other.version, rules.id
            )));
        }
        let version = versions.last().map_or(1, |v| v.version + 1);
        let stored = insert_version(&mut tx, &mut audit, ctx, organisation, rules, version).await?;
        audit.close(&mut tx).await?;
        tx.commit().await?;
        Ok(SavedRuleSet::Created(stored))
    }

    /// The figures of these establishments for a period under `rules`, from
    /// the activity index: the object `carnet indicators --format json`
    /// prints and `GET /api/v1/indicators` answers.
    pub async fn indicators(
        &self,
        rules: &RuleSet,
        period: Period,
        establishments: &[Establishment],
    ) -> Result<IndicatorReport> {
        // Counted from the compact index: the figures need no day bitmaps.
        self.period_indicators(rules, period, establishments).await
    }

    /// The figures of one establishment for each full month of `span`, for the
    /// monthly trend chart (`carnet chart`, the dashboard).
    pub async fn monthly_indicators(
        &self,
        rules: &RuleSet,
        span: Period,
        establishment: &Establishment,
    ) -> Result<Vec<(Month, EstablishmentResult)>> {
        let mut out = Vec::new();
        for month in span.months() {
            let period = Period::new(month.first_day(), month.last_day())?;
            let report = self
                .indicators(rules, period, std::slice::from_ref(establishment))
                .await?;
            if let Some(result) = report.establishments.into_iter().next() {
                out.push((month, result));
            }
        }
        Ok(out)
    }

    /// Every record of these establishments with its verdicts under `rules`:
    /// what `carnet indicators --explain --format json` prints and
    /// `GET /api/v1/indicators/explain` answers.
    pub async fn explain_indicators(
        &self,
        rules: &RuleSet,
        period: Period,
        establishments: &[Establishment],
    ) -> Result<Vec<Explained>> {
        let activity = self.activity(establishments, period).await?;
        Ok(activity
            .iter()
            .map(|a| explain(rules, period, a))
            .collect::<Result<Vec<_>, _>>()?)
    }
}
