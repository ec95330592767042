//! The declarations history (issue 3 item 8, SPEC.md §4.3): every CNSA
//! workbook and every signed proof Carnet produced, one row per (file,
//! FINESS), with who produced it, when, for which period, the engine's
//! figures and the SHA-256 of the file. Rows are only ever appended, each in
//! the same transaction as its audit entry; a new declaration never replaces
//! an older one ("declarations are never final … every version is kept").

use crate::audit::AuditWriter;
use crate::values::{RowExt, date, from_json, json, ts, us};
use crate::{Actor, AuditAction, Db, Outcome, Result, StoreError, WriteCtx};
use carnet_core::indicators::{Figures, Period};
use carnet_core::model::OrganisationId;
use jiff::Timestamp;

/// What was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclarationKind {
    /// The CNSA collection workbook (SPEC.md §4.1).
    Workbook,
    /// The signed proof report (SPEC.md §4.2).
    Proof,
}

impl DeclarationKind {
    pub fn code(self) -> &'static str {
        match self {
            DeclarationKind::Workbook => "workbook",
            DeclarationKind::Proof => "proof",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "workbook" => Some(DeclarationKind::Workbook),
            "proof" => Some(DeclarationKind::Proof),
            _ => None,
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            DeclarationKind::Workbook => "fichier de recueil",
            DeclarationKind::Proof => "preuve d'usage signée",
        }
    }
}

/// One establishment's line of a file about to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeclaration {
    pub kind: DeclarationKind,
    pub period: Period,
    pub finess: String,
    pub establishment_name: String,
    pub rule_set_id: String,
    pub figures: Figures,
    /// The declarant named in a proof; `None` for a workbook.
    pub declarant: Option<String>,
    pub galis_reference: Option<String>,
    pub file_name: String,
    pub file_sha256: String,
}

/// A recorded declaration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Declaration {
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub kind: DeclarationKind,
    pub produced_at: Timestamp,
    /// Audit actor code: `user:<id>` or `system:<command>`.
    pub produced_by: String,
    pub declarant: Option<String>,
    pub period: Period,
    pub finess: String,
    pub establishment_name: String,
    pub rule_set_id: String,
    pub figures: Figures,
    pub galis_reference: Option<String>,
    pub file_name: String,
    pub file_sha256: String,
}

fn actor_code(actor: &Actor) -> String {
    match actor {
        Actor::User(id) => format!("user:{id}"),
        Actor::System(what) => format!("system:{what}"),
    }
}

const COLUMNS: &str = "id, organisation_id, kind, produced_at_us, produced_by, declarant, \
    period_from, period_to, finess, establishment_name, rule_set_id, figures_json, \
    galis_reference, file_name, file_sha256";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Declaration> {
    let kind = row.text("kind")?;
    let from = date(&row.text("period_from")?)?;
    let to = date(&row.text("period_to")?)?;
    Ok(Declaration {
        id: row.int("id")?,
        organisation_id: OrganisationId(row.int("organisation_id")?),
        kind: DeclarationKind::from_code(&kind)
            .ok_or_else(|| StoreError::corrupt(format!("type de déclaration « {kind} »")))?,
        produced_at: ts(row.int("produced_at_us")?)?,
        produced_by: row.text("produced_by")?,
        declarant: row.opt_text("declarant")?,
        period: Period::new(from, to).map_err(StoreError::corrupt)?,
        finess: row.text("finess")?,
        establishment_name: row.text("establishment_name")?,
        rule_set_id: row.text("rule_set_id")?,
        figures: from_json(&row.text("figures_json")?)?,
        galis_reference: row.opt_text("galis_reference")?,
        file_name: row.text("file_name")?,
        file_sha256: row.text("file_sha256")?,
    })
}

impl Db {
    /// Records the lines of one produced file, all or nothing, each with its
    /// audit entry. Returns the new ids in the order given.
    pub async fn record_declarations(
        &self,
        ctx: &WriteCtx,
        organisation: OrganisationId,
        lines: &[NewDeclaration],
    ) -> Result<Vec<i64>> {
        let mut tx = self.begin_write().await?;
        let mut audit = AuditWriter::open(self, &mut tx, organisation).await?;
        let mut ids = Vec::with_capacity(lines.len());
        let produced_by = actor_code(&ctx.actor);
        for line in lines {
            let row = sqlx::query(
                "INSERT INTO declarations (organisation_id, kind, produced_at_us, produced_by, \
                 declarant, period_from, period_to, finess, establishment_name, rule_set_id, \
                 figures_json, galis_reference, file_name, file_sha256) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            )
            .bind(organisation.0)
            .bind(line.kind.code())
            .bind(us(ctx.now))
            .bind(produced_by.clone())
            .bind(line.declarant.clone())
            .bind(line.period.from().to_string())
            .bind(line.period.to().to_string())
            .bind(line.finess.clone())
            .bind(line.establishment_name.clone())
            .bind(line.rule_set_id.clone())
            .bind(json(&line.figures))
            .bind(line.galis_reference.clone())
            .bind(line.file_name.clone())
            .bind(line.file_sha256.clone())
            .fetch_one(&mut *tx)
            .await?;
            let id = row.int("id")?;
            audit
                .append(
                    &mut tx,
                    ctx.now,
                    &ctx.actor,
                    AuditAction::Create,
                    None,
                    &format!("declaration/{id}"),
                    Outcome::Ok,
                )
                .await?;
            ids.push(id);
        }
        audit.close(&mut tx).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// The declarations of an organisation (optionally of one FINESS), by
    /// period then production instant.
    pub async fn declarations(
        &self,
        organisation: OrganisationId,
        finess: Option<&str>,
    ) -> Result<Vec<Declaration>> {
        let order = "ORDER BY period_from, period_to, produced_at_us, id";
        let rows = match finess {
            Some(f) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM declarations WHERE organisation_id = $1 AND finess = $2 {order}"
                )))
                .bind(organisation.0)
                .bind(f.to_owned())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM declarations WHERE organisation_id = $1 {order}"
                )))
                .bind(organisation.0)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(from_row).collect()
    }
}
