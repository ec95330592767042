//! Projets personnalisés: their fields, and their dated status history, which
//! only grows (`POST /care-plans/{id}/status`).

use super::{Listing, created};
use crate::AppState;
use crate::access::Principal as Caller;
use crate::error::ApiResult;
use crate::input::{Id, JsonObject, RecordQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use carnet_core::model::{CarePlan, CarePlanId, CarePlanStatusChange};
use carnet_store::{AuditAction, ListFilter};
use tracing::instrument;

#[instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: RecordQuery,
) -> ApiResult<Json<Listing<CarePlan>>> {
    let filter = ListFilter {
        person: query.person,
        establishment: query.establishment,
    };
    let items = state
        .db
        .list_care_plans(&caller.ctx, &caller.scope, &filter, query.page)
        .await?;
    Ok(Json(Listing::new(items, query.page, |p| p.id.0)))
}

/// The body is a care plan whose `history` holds at least its first status.
#[instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonObject,
) -> ApiResult<(StatusCode, Json<CarePlan>)> {
    let plan: CarePlan = body.into_record(0, caller.scope.organisation)?;
    let plan = state
        .db
        .create_care_plan(&caller.ctx, &caller.scope, plan)
        .await?;
    tracing::info!(id = plan.id.0, "created");
    Ok(created(plan))
}

#[instrument(skip_all, fields(id = id))]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> ApiResult<Json<CarePlan>> {
    match state
        .db
        .read_care_plan(&caller.ctx, &caller.scope, CarePlanId(id))
        .await?
    {
        Some(plan) => Ok(Json(plan)),
        None => Err(caller
            .refused::<CarePlan>(&state, AuditAction::Read, id)
            .await),
    }
}

/// Replaces the fields; the history is kept as stored (`history` may be
/// omitted and is ignored).
#[instrument(skip_all, fields(id = id))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    mut body: JsonObject,
) -> ApiResult<Json<CarePlan>> {
    body.take("history");
    body.default("history", serde_json::json!([]));
    let plan: CarePlan = body.into_record(id, caller.scope.organisation)?;
    match state
        .db
        .update_care_plan(&caller.ctx, &caller.scope, plan)
        .await?
    {
        Some(plan) => Ok(Json(plan)),
        None => Err(caller
            .refused::<CarePlan>(&state, AuditAction::Update, id)
            .await),
    }
}

#[instrument(skip_all, fields(id = id))]
pub async fn change_status(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<CarePlan>> {
    let change: CarePlanStatusChange = body.decode()?;
    match state
        .db
        .change_care_plan_status(&caller.ctx, &caller.scope, CarePlanId(id), change)
        .await?
    {
        Some(plan) => Ok(Json(plan)),
        None => Err(caller
            .refused::<CarePlan>(&state, AuditAction::Update, id)
            .await),
    }
}
