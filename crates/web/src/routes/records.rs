//! Create, read, update and list for the records attached to a person in an
//! establishment (stays, events, appointments, MSSanté messages, and the
//! reads of documents): one generic body each, the store does the scoping.

use super::{Listing, created};
use crate::AppState;
use crate::access::Principal as Caller;
use crate::error::ApiResult;
use crate::input::{Id, JsonObject, RecordQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use carnet_core::model::{Appointment, DataCategory, Document, Event, MssMessage, Stay};
use carnet_core::rights::Mode;
use carnet_store::{Attached, AuditAction, ListFilter};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::instrument;

/// The rights-matrix category of one record: the route lets the caller in,
/// the record's own kind or type decides what they may do with it.
pub trait Guarded {
    fn category(&self) -> DataCategory;
}

impl Guarded for Stay {
    fn category(&self) -> DataCategory {
        DataCategory::Identite
    }
}

impl Guarded for Event {
    fn category(&self) -> DataCategory {
        self.kind.category()
    }
}

impl Guarded for Appointment {
    fn category(&self) -> DataCategory {
        DataCategory::Agenda
    }
}

impl Guarded for MssMessage {
    fn category(&self) -> DataCategory {
        DataCategory::Messages
    }
}

impl Guarded for Document {
    fn category(&self) -> DataCategory {
        self.type_code.category()
    }
}

#[instrument(skip_all, fields(kind = R::KIND))]
pub async fn list<R: Attached + Guarded + Sync + Serialize>(
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
    // The page boundary comes from what the store read, before the records
    // the caller's role may not read are left out.
    let mut listing = Listing::new(items, query.page, R::id);
    listing
        .items
        .retain(|r| caller.may(r.category(), Mode::Read));
    Ok(Json(listing))
}

#[instrument(skip_all, fields(kind = R::KIND))]
pub async fn create<R: Attached + Guarded + Sync + Serialize + DeserializeOwned>(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonObject,
) -> ApiResult<(StatusCode, Json<R>)> {
    let record: R = body.into_record(0, caller.scope.organisation)?;
    caller.require(record.category(), Mode::Write)?;
    let record = state.db.create(&caller.ctx, &caller.scope, record).await?;
    tracing::info!(id = record.id(), "created");
    Ok(created(record))
}

#[instrument(skip_all, fields(kind = R::KIND, id = id))]
pub async fn read<R: Attached + Guarded + Sync + Serialize>(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> ApiResult<Json<R>> {
    match state.db.read::<R>(&caller.ctx, &caller.scope, id).await? {
        Some(record) => {
            caller.require(record.category(), Mode::Read)?;
            Ok(Json(record))
        }
        None => Err(caller.refused::<R>(&state, AuditAction::Read, id).await),
    }
}

#[instrument(skip_all, fields(kind = R::KIND, id = id))]
pub async fn update<R: Attached + Guarded + Sync + Serialize + DeserializeOwned>(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<R>> {
    let record: R = body.into_record(id, caller.scope.organisation)?;
    caller.require(record.category(), Mode::Write)?;
    match state.db.update(&caller.ctx, &caller.scope, record).await? {
        Some(record) => Ok(Json(record)),
        None => Err(caller.refused::<R>(&state, AuditAction::Update, id).await),
    }
}
