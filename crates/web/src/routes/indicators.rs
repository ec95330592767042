//! `GET /api/v1/indicators` and `GET /api/v1/indicators/explain`: the ESMS
//! numérique figures (SPEC.md §3) of the caller's establishments for a
//! period, and the record-by-record explanation. The answers are the objects
//! `carnet indicators --format json` (with `--explain`) prints: both come from
//! the store's `indicators` / `explain_indicators` under the organisation's
//! active rule set. Nothing is counted here.

use crate::AppState;
use crate::access::Principal as Caller;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use carnet_core::Finess;
use carnet_core::indicators::{Explained, IndicatorReport, Period, RuleSet, local_day};
use carnet_core::model::Establishment;
use carnet_store::{AuditAction, Outcome, Scope};
use jiff::civil::Date;
use tracing::instrument;

/// Longest period answered: ten years (the retention of usage data, SPEC.md
/// §4.3); it bounds the work of one request.
const MAX_DAYS: i32 = 3660;

const PARAMETERS: [&str; 4] = ["from", "to", "preset", "finess"];

/// The period as asked: two days, or a preset code of the rule set (which
/// only the handler knows).
enum Asked {
    Days(Period),
    Preset(String),
}

/// The query of both routes.
pub struct IndicatorQuery {
    asked: Asked,
    /// FINESS in the order given, without repeats; empty = every establishment
    /// of the caller.
    finess: Vec<Finess>,
}

fn clip(raw: &str) -> String {
    raw.chars().take(40).collect()
}

fn day(name: &str, raw: &str) -> ApiResult<Date> {
    raw.parse::<Date>().map_err(|_| {
        ApiError::bad_field(
            name.to_owned(),
            format!(
                "date AAAA-MM-JJ attendue (par exemple 2026-10-31), « {} » lu",
                clip(raw)
            ),
        )
    })
}

impl<S: Send + Sync> FromRequestParts<S> for IndicatorQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Query(pairs) =
            Query::<Vec<(String, String)>>::try_from_uri(&parts.uri).map_err(|_| {
                ApiError::bad_request("invalid_query", "paramètres de la requête illisibles")
            })?;
        let (mut from, mut to, mut preset) = (None, None, None);
        let mut finess: Vec<Finess> = Vec::new();
        for (name, value) in &pairs {
            let slot = match name.as_str() {
                "from" => &mut from,
                "to" => &mut to,
                "preset" => &mut preset,
                "finess" => {
                    // Repeatable: finess=F&finess=G.
                    let parsed = Finess::parse(value).map_err(|e| {
                        ApiError::bad_field("finess", format!("« {} » : {e}", clip(value)))
                    })?;
                    if !finess.contains(&parsed) {
                        finess.push(parsed);
                    }
                    continue;
                }
                _ => {
                    return Err(ApiError::bad_field(
                        clip(name),
                        format!(
                            "paramètre inconnu (paramètres admis : {})",
                            PARAMETERS.join(", ")
                        ),
                    ));
                }
            };
            if slot.replace(value.clone()).is_some() {
                return Err(ApiError::bad_field(name.clone(), "paramètre répété"));
            }
        }
        let asked = match (preset, from, to) {
            (Some(code), None, None) => Asked::Preset(code),
            (Some(_), _, _) => {
                return Err(ApiError::bad_field(
                    "preset",
                    "donnez soit preset, soit from et to, pas les deux",
                ));
            }
            (None, Some(from), Some(to)) => {
                let (from, to) = (day("from", &from)?, day("to", &to)?);
                let period =
                    Period::new(from, to).map_err(|e| ApiError::bad_field("to", e.to_string()))?;
                Asked::Days(period)
            }
            (None, None, _) => {
                return Err(ApiError::bad_field(
                    "from",
                    "paramètre obligatoire : from et to (AAAA-MM-JJ), ou preset",
                ));
            }
            (None, Some(_), None) => {
                return Err(ApiError::bad_field(
                    "to",
                    "paramètre obligatoire avec from (AAAA-MM-JJ)",
                ));
            }
        };
        Ok(IndicatorQuery { asked, finess })
    }
}

impl IndicatorQuery {
    /// The period, a preset being taken from the rule set and counted back
    /// from today in metropolitan France (as the CLI does).
    fn period(&self, rules: &RuleSet, now: jiff::Timestamp) -> ApiResult<Period> {
        let period = match &self.asked {
            Asked::Days(period) => *period,
            Asked::Preset(code) => {
                let Some(preset) = rules.preset(code) else {
                    let known: Vec<&str> = rules.presets.iter().map(|p| p.code.as_str()).collect();
                    return Err(ApiError::bad_field(
                        "preset",
                        format!(
                            "période prédéfinie « {} » inconnue (valeurs possibles : {})",
                            clip(code),
                            known.join(", ")
                        ),
                    ));
                };
                let paris = jiff::tz::TimeZone::get("Europe/Paris")
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
                preset
                    .period(local_day(now, &paris))
                    .map_err(|e| ApiError::bad_field("preset", e.to_string()))?
            }
        };
        let days = (period.to() - period.from()).get_days();
        if days > MAX_DAYS {
            return Err(ApiError::bad_field(
                "to",
                format!("la période compte {} jours : 10 ans au plus", days + 1),
            ));
        }
        Ok(period)
    }
}

/// The caller's establishments named by the query (all of them when none
/// is). A FINESS unknown or outside the caller's scope answers 404, the same
/// either way; inside the organisation but outside the caller's
/// establishments, the refusal is audited.
async fn chosen(
    state: &AppState,
    caller: &Caller,
    query: &IndicatorQuery,
) -> ApiResult<Vec<Establishment>> {
    let visible = state.db.establishments(&caller.scope).await?;
    if query.finess.is_empty() {
        return Ok(visible);
    }
    let mut out = Vec::with_capacity(query.finess.len());
    for finess in &query.finess {
        match visible.iter().find(|e| &e.finess == finess) {
            Some(e) => out.push(e.clone()),
            None => {
                let organisation = caller.scope.organisation;
                let all = state.db.establishments(&Scope::whole(organisation)).await?;
                if let Some(e) = all.iter().find(|e| &e.finess == finess) {
                    state
                        .db
                        .audit(
                            &caller.ctx,
                            organisation,
                            AuditAction::Read,
                            None,
                            &format!("indicators/establishment/{}", e.id.0),
                            Outcome::Refused,
                        )
                        .await?;
                }
                return Err(ApiError::NotFound);
            }
        }
    }
    Ok(out)
}

#[instrument(skip_all)]
pub async fn figures(
    State(state): State<AppState>,
    caller: Caller,
    query: IndicatorQuery,
) -> ApiResult<Json<IndicatorReport>> {
    let establishments = chosen(&state, &caller, &query).await?;
    let rules = state
        .db
        .rule_set(&caller.ctx, caller.scope.organisation)
        .await?
        .rules;
    let period = query.period(&rules, caller.ctx.now)?;
    let report = state.db.indicators(&rules, period, &establishments).await?;
    Ok(Json(report))
}

#[instrument(skip_all)]
pub async fn explain(
    State(state): State<AppState>,
    caller: Caller,
    query: IndicatorQuery,
) -> ApiResult<Json<Vec<Explained>>> {
    if query.finess.is_empty() {
        return Err(ApiError::bad_field(
            "finess",
            "paramètre obligatoire : l'explication liste les dossiers d'établissements nommés",
        ));
    }
    let establishments = chosen(&state, &caller, &query).await?;
    let organisation = caller.scope.organisation;
    let rules = state.db.rule_set(&caller.ctx, organisation).await?.rules;
    let period = query.period(&rules, caller.ctx.now)?;
    let explained = state
        .db
        .explain_indicators(&rules, period, &establishments)
        .await?;
    // The answer lists persons' records: one read entry per request, naming
    // the establishments and the period (ids and dates only).
    let ids: Vec<String> = establishments.iter().map(|e| e.id.0.to_string()).collect();
    state
        .db
        .audit(
            &caller.ctx,
            organisation,
            AuditAction::Read,
            None,
            &format!(
                "indicators/explain/establishment/{}/{}/{}",
                ids.join(","),
                period.from(),
                period.to()
            ),
            Outcome::Ok,
        )
        .await?;
    Ok(Json(explained))
}
