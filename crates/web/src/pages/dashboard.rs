//! The director's dashboard: the ESMS numérique figures of each establishment
//! for a chosen period against the targets, the monthly trend chart, the
//! record-by-record explanation (with links to the records), the CNSA
//! workbook and the signed proofs, and the history of declarations. Every
//! figure comes from the store's `indicators` / `explain_indicators` under the
//! organisation's active rule set: nothing is counted here.

use super::{Chrome, CsrfForm, PageResult, paris, render};
use crate::AppState;
use crate::access::Principal;
use crate::declare::{self, Signatories};
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use carnet_core::indicators::{Indicator, Period, RuleSet, local_day};
use carnet_core::model::{DataCategory, Establishment};
use carnet_core::rights::Mode;
use carnet_reports::SigningIdentity;
use carnet_store::{DeclarationKind, NewDeclaration, Scope};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize, Default)]
pub struct DashboardQuery {
    #[serde(default)]
    periode: String,
    #[serde(default)]
    du: String,
    #[serde(default)]
    au: String,
    #[serde(default)]
    explication: String,
}

pub struct RateCell {
    pub value: String,
    pub met: bool,
    pub computable: bool,
    pub target: u32,
}

pub struct Line {
    pub id: i64,
    pub finess: String,
    pub name: String,
    pub active: u64,
    pub accompanied: u64,
    pub records: u64,
    pub rates: Vec<RateCell>,
}

pub struct ExplainedRow {
    pub person_id: i64,
    pub name: String,
    pub active: bool,
    pub reason: String,
    pub care_plan: String,
    pub appointment: String,
}

pub struct DeclarationRow {
    pub produced: String,
    pub kind: String,
    pub establishment: String,
    pub period: String,
    pub active: u64,
    pub sha256: String,
}

/// Column heads of the five rates, in the order of `Rates::table`.
const RATE_NAMES: [&str; 5] = [
    "Dossiers actifs",
    "Actifs avec projet personnalisé",
    "Actifs avec agenda",
    "DMP alimentés",
    "Messages MSSanté",
];

pub struct PresetChoice {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    presets: Vec<PresetChoice>,
    du: String,
    au: String,
    period_label: String,
    period_query: String,
    rule_set: String,
    rate_names: Vec<&'static str>,
    lines: Vec<Line>,
    explained_name: String,
    explained_id: i64,
    explained: Vec<ExplainedRow>,
    can_declare: bool,
    signing_ready: bool,
    declarations: Vec<DeclarationRow>,
}

/// The period asked for: a preset of the rule set (default: its first), or
/// two days.
fn period(
    rules: &RuleSet,
    query: &DashboardQuery,
    principal: &Principal,
) -> Result<(Period, String), ApiError> {
    if !query.du.is_empty() || !query.au.is_empty() {
        return Ok((days(&query.du, &query.au)?, String::new()));
    }
    let preset = if query.periode.is_empty() {
        rules.presets.first()
    } else {
        rules.preset(&query.periode)
    }
    .ok_or_else(|| ApiError::bad_field("periode", "période prédéfinie inconnue"))?;
    let today = local_day(principal.ctx.now, &paris());
    let p = preset
        .period(today)
        .map_err(|e| ApiError::bad_field("periode", e.to_string()))?;
    Ok((p, preset.code.clone()))
}

fn cell(rate: &carnet_core::indicators::Rate) -> RateCell {
    RateCell {
        value: rate.display(),
        met: rate.meets_target(),
        computable: rate.per_mille.is_some(),
        target: rate.target_percent,
    }
}

pub async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<DashboardQuery>,
) -> PageResult {
    let organisation = principal.scope.organisation;
    let rules = state.db.rule_set(&principal.ctx, organisation).await?;
    let (period, preset) = period(&rules.rules, &query, &principal)?;
    let establishments = state.db.establishments(&principal.scope).await?;
    let report = state
        .db
        .indicators(&rules.rules, period, &establishments)
        .await?;
    let lines = report
        .establishments
        .iter()
        .map(|r| Line {
            id: r.establishment_id.0,
            finess: r.finess.to_string(),
            name: r.name.clone(),
            active: r.figures.active_records,
            accompanied: r.figures.accompanied_persons,
            records: r.figures.records,
            rates: r.rates.table().iter().map(|(_, rate)| cell(rate)).collect(),
        })
        .collect();
    let rate_names = RATE_NAMES.to_vec();
    let (mut explained, mut explained_name, mut explained_id) = (Vec::new(), String::new(), 0);
    if let Ok(id) = query.explication.parse::<i64>() {
        let Some(establishment) = establishments.iter().find(|e| e.id.0 == id) else {
            return Err(ApiError::NotFound.into());
        };
        (explained, explained_name) =
            explanation(&state, &principal, &rules.rules, period, establishment).await?;
        explained_id = id;
    }
    let declarations = state
        .db
        .declarations(organisation, None)
        .await?
        .into_iter()
        .filter(|d| {
            establishments
                .iter()
                .any(|e| e.finess.to_string() == d.finess)
        })
        .rev()
        .take(50)
        .map(|d| DeclarationRow {
            produced: super::when(d.produced_at, &paris()),
            kind: d.kind.label().to_owned(),
            establishment: d.establishment_name,
            period: d.period.label(),
            active: d.figures.active_records,
            sha256: d.file_sha256,
        })
        .collect();
    let period_query = if preset.is_empty() {
        format!("du={}&au={}", period.from(), period.to())
    } else {
        format!("periode={preset}")
    };
    let presets = rules
        .rules
        .presets
        .iter()
        .map(|p| PresetChoice {
            code: p.code.clone(),
            label: p.label.clone(),
            selected: p.code == preset,
        })
        .collect();
    Ok(render(&DashboardPage {
        chrome: Chrome::new(
            &principal,
            "Tableau de bord des indicateurs",
            "/tableau-de-bord",
        ),
        presets,
        du: period.from().to_string(),
        au: period.to().to_string(),
        period_label: period.label(),
        period_query,
        rule_set: format!("{} (version {})", rules.rules.id, rules.version),
        rate_names,
        lines,
        explained_name,
        explained_id,
        explained,
        can_declare: principal.may(DataCategory::Declarations, Mode::Write),
        signing_ready: state.signing.is_some(),
        declarations,
    }))
}

/// Every record of one establishment: active or not, and why, with the names
/// the viewer may see (one audited list access).
async fn explanation(
    state: &AppState,
    principal: &Principal,
    rules: &RuleSet,
    period: Period,
    establishment: &Establishment,
) -> Result<(Vec<ExplainedRow>, String), ApiError> {
    let explained = state
        .db
        .explain_indicators(rules, period, std::slice::from_ref(establishment))
        .await?;
    let Some(first) = explained.first() else {
        return Ok((Vec::new(), establishment.name.clone()));
    };
    let records = &first.explanation.records;
    let ids: Vec<_> = records.iter().map(|r| r.person_id).collect();
    let names: HashMap<_, _> = state
        .db
        .person_names(&principal.ctx, &principal.scope, &ids)
        .await?
        .into_iter()
        .collect();
    let verdict = |v: &carnet_core::indicators::Verdict| {
        if v.counted {
            "oui".to_owned()
        } else {
            v.reason
                .as_ref()
                .map_or_else(|| "non".to_owned(), |r| r.label())
        }
    };
    let mut rows: Vec<ExplainedRow> = records
        .iter()
        .filter(|r| {
            r.verdict(Indicator::Record).counted || r.verdict(Indicator::Accompanied).counted
        })
        .map(|r| ExplainedRow {
            person_id: r.person_id.0,
            name: names
                .get(&r.person_id)
                .cloned()
                .unwrap_or_else(|| format!("personne {}", r.person_id)),
            active: r.active.counted,
            reason: verdict(&r.active),
            care_plan: verdict(&r.active_with_care_plan),
            appointment: verdict(&r.active_with_appointment),
        })
        .collect();
    rows.sort_by(|a, b| a.active.cmp(&b.active).then_with(|| a.name.cmp(&b.name)));
    Ok((rows, establishment.name.clone()))
}

#[derive(Deserialize)]
pub struct ChartQuery {
    #[serde(default)]
    etablissement: String,
}

/// The monthly trend of the last six full months, as SVG.
pub async fn chart(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ChartQuery>,
) -> PageResult {
    let establishments = state.db.establishments(&principal.scope).await?;
    let id = query.etablissement.parse::<i64>().ok();
    let Some(establishment) = establishments.iter().find(|e| Some(e.id.0) == id) else {
        return Err(ApiError::NotFound.into());
    };
    let rules = state
        .db
        .rule_set(&principal.ctx, principal.scope.organisation)
        .await?
        .rules;
    let today = local_day(principal.ctx.now, &paris());
    let span = Period::last_full_months(today, 6).map_err(|e| ApiError::Internal(e.to_string()))?;
    let months = state
        .db
        .monthly_indicators(&rules, span, establishment)
        .await?;
    let svg = declare::trend_chart(establishment, span, &months, &rules);
    let mut response = svg.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    Ok(response)
}

#[derive(Deserialize)]
pub struct DeclareForm {
    #[serde(default)]
    etablissement: String,
    #[serde(default)]
    du: String,
    #[serde(default)]
    au: String,
    #[serde(default)]
    declarant: String,
    #[serde(default)]
    representant: String,
    #[serde(default)]
    galis: String,
}

fn attachment(bytes: Vec<u8>, media: &'static str, name: &str) -> Response {
    let mut response = bytes.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        response.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
    response
}

/// The period between two days typed in a form (`du`, `au`).
fn days(du: &str, au: &str) -> Result<Period, ApiError> {
    let from = du
        .parse()
        .map_err(|_| ApiError::bad_field("du", "date de début AAAA-MM-JJ attendue"))?;
    let to = au
        .parse()
        .map_err(|_| ApiError::bad_field("au", "date de fin AAAA-MM-JJ attendue"))?;
    Period::new(from, to).map_err(|e| ApiError::bad_field("au", e.to_string()))
}

async fn organisation_of(
    state: &AppState,
    scope: &Scope,
) -> Result<carnet_core::model::Organisation, ApiError> {
    state
        .db
        .organisations()
        .await?
        .into_iter()
        .find(|o| o.id == scope.organisation)
        .ok_or(ApiError::NotFound)
}

/// Produces, records and downloads the signed proof of one establishment.
pub async fn proof(
    State(state): State<AppState>,
    principal: Principal,
    CsrfForm(form): CsrfForm<DeclareForm>,
) -> PageResult {
    let Some(signing) = state.signing.clone() else {
        return Err(ApiError::Conflict(
            "aucun certificat de signature n'est configuré pour ce serveur : lancez-le avec \
             --p12 FICHIER et --p12-password-env VARIABLE (ou utilisez la démonstration)"
                .into(),
        )
        .into());
    };
    if form.declarant.trim().is_empty() || form.representant.trim().is_empty() {
        return Err(ApiError::bad_field(
            "declarant",
            "le déclarant et le représentant légal sont obligatoires (« Prénom Nom, fonction »)",
        )
        .into());
    }
    let period = days(&form.du, &form.au)?;
    let establishments = state.db.establishments(&principal.scope).await?;
    let id = form.etablissement.parse::<i64>().ok();
    let Some(establishment) = establishments.iter().find(|e| Some(e.id.0) == id) else {
        return Err(ApiError::NotFound.into());
    };
    let organisation = organisation_of(&state, &principal.scope).await?;
    let rules = state
        .db
        .rule_set(&principal.ctx, organisation.id)
        .await?
        .rules;
    let report = state
        .db
        .indicators(&rules, period, std::slice::from_ref(establishment))
        .await?;
    let Some(result) = report.establishments.first() else {
        return Err(ApiError::NotFound.into());
    };
    let siret = organisation.siret.to_string();
    let who = Signatories {
        organisation_name: &organisation.name,
        organisation_siret: &siret,
        declarant: &form.declarant,
        representative: &form.representant,
    };
    let data = declare::proof_data(&who, result, principal.ctx.now);
    let pdf = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let p12 = std::fs::read(&signing.p12)
            .map_err(|e| format!("certificat de signature illisible : {e}"))?;
        let identity = SigningIdentity::from_pkcs12(&p12, &signing.password)
            .map_err(|e| format!("certificat de signature inutilisable : {e}"))?;
        carnet_reports::signed_proof(&data, &identity).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(ApiError::Internal)?;
    let name = format!(
        "preuve-usage-{}-{}-{}.pdf",
        result.finess,
        period.from(),
        period.to()
    );
    state
        .db
        .record_declarations(
            &principal.ctx,
            organisation.id,
            &[NewDeclaration {
                kind: DeclarationKind::Proof,
                period,
                finess: result.finess.to_string(),
                establishment_name: result.name.clone(),
                rule_set_id: result.rule_set_id.clone(),
                figures: result.figures,
                declarant: Some(form.declarant.trim().to_owned()),
                galis_reference: None,
                file_name: name.clone(),
                file_sha256: carnet_reports::sha256_hex(&pdf),
            }],
        )
        .await?;
    Ok(attachment(pdf, "application/pdf", &name))
}

/// Produces, records and downloads the CNSA workbook of every establishment.
pub async fn workbook(
    State(state): State<AppState>,
    principal: Principal,
    CsrfForm(form): CsrfForm<DeclareForm>,
) -> PageResult {
    let period = days(&form.du, &form.au)?;
    let establishments = state.db.establishments(&principal.scope).await?;
    let organisation = organisation_of(&state, &principal.scope).await?;
    let rules = state
        .db
        .rule_set(&principal.ctx, organisation.id)
        .await?
        .rules;
    let report = state.db.indicators(&rules, period, &establishments).await?;
    let rows = declare::workbook_rows(
        form.galis.trim(),
        &organisation.siret.to_string(),
        period,
        &report.establishments,
    );
    let bytes = carnet_reports::write_workbook(&rows, &[], principal.ctx.now)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let name = format!(
        "recueil-mesures-usage-{}-{}.xlsx",
        period.from(),
        period.to()
    );
    let sha256 = carnet_reports::sha256_hex(&bytes);
    let lines = declare::workbook_declarations(&report, &form.galis, &name, &sha256);
    state
        .db
        .record_declarations(&principal.ctx, organisation.id, &lines)
        .await?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &name,
    ))
}
