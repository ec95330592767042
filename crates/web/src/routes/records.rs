//! Create, read, update and list for the records attached to a person in an
//! establishment (stays, events, appointments, MSSanté messages, and the
//! reads of documents): one generic body each, the store does the scoping.

use super::{Listing, created};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::input::{Id, JsonObject, RecordQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use carnet_store::{Attached, AuditAction, ListFilter};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::instrument;

#[instrument(skip_all, fields(kind = R::KIND))]
pub async fn list<R: Attached + Sync + Serialize>(
    State(state): State<AppState>,
    caller: Caller,
    query: RecordQuery,
) -> ApiResult<Json<Listing<R>>> {
    let filter = ListFilter {
        person: query.person,
        establishment: query.establishment,
    };
    let items = state
        .db
        .list::<R>(&caller.ctx, &caller.scope, &filter, query.page)
        .await?;
    Ok(Json(Listing::new(items, query.page, R::id)))
}

#[instrument(skip_all, fields(kind = R::KIND))]
pub async fn create<R: Attached + Sync + Serialize + DeserializeOwned>(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonObject,
) -> ApiResult<(StatusCode, Json<R>)> {
    let record: R = body.into_record(0, caller.scope.organisation)?;
    let record = state.db.create(&caller.ctx, &caller.scope, record).await?;
    tracing::info!(id = record.id(), "created");
    Ok(created(record))
}

#[instrument(skip_all, fields(kind = R::KIND, id = id))]
pub async fn read<R: Attached + Sync + Serialize>(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> ApiResult<Json<R>> {
    match state.db.read::<R>(&caller.ctx, &caller.scope, id).await? {
        Some(record) => Ok(Json(record)),
        None => Err(caller.refused::<R>(&state, AuditAction::Read, id).await),
    }
}

#[instrument(skip_all, fields(kind = R::KIND, id = id))]
pub async fn update<R: Attached + Sync + Serialize + DeserializeOwned>(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<R>> {
    let record: R = body.into_record(id, caller.scope.organisation)?;
    match state.db.update(&caller.ctx, &caller.scope, record).await? {
        Some(record) => Ok(Json(record)),
        None => Err(caller.refused::<R>(&state, AuditAction::Update, id).await),
    }
}
