//! Persons (usagers): created with their admission, read, updated, searched.

use super::{Listing, created};
use crate::AppState;
use crate::access::Principal as Caller;
use crate::error::ApiResult;
use crate::input::{Id, JsonObject, PersonQuery, decode};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use carnet_core::model::{Person, PersonId, Stay};
use carnet_store::AuditAction;
use serde::Serialize;
use serde_json::Value;
use tracing::instrument;

#[derive(Serialize)]
pub struct Admitted {
    pub person: Person,
    pub admission: Option<Stay>,
}

#[instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: PersonQuery,
) -> ApiResult<Json<Listing<Person>>> {
    let items = state
        .db
        .list_persons(&caller.ctx, &caller.scope, &query.filter, query.page)
        .await?;
    Ok(Json(Listing::new(items, query.page, |p| p.id.0)))
}

/// The body is a person, with an optional `admission` (a stay without
/// `person_id`): a user restricted to some establishments must give it.
#[instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    mut body: JsonObject,
) -> ApiResult<(StatusCode, Json<Admitted>)> {
    let organisation = caller.scope.organisation;
    let admission = match body.take("admission") {
        None | Some(Value::Null) => None,
        Some(Value::Object(mut stay)) => {
            stay.insert("id".into(), Value::from(0));
            stay.insert("organisation_id".into(), Value::from(organisation.0));
            stay.insert("person_id".into(), Value::from(0));
            Some(decode::<Stay>(Value::Object(stay), "admission")?)
        }
        Some(_) => {
            return Err(crate::error::ApiError::bad_field(
                "admission",
                "objet attendu (établissement, date d'admission, mode)",
            ));
        }
    };
    let person: Person = body.into_record(0, organisation)?;
    let (person, admission) = state
        .db
        .create_person(&caller.ctx, &caller.scope, person, admission)
        .await?;
    tracing::info!(id = person.id.0, "created");
    Ok(created(Admitted { person, admission }))
}

#[instrument(skip_all, fields(id = id))]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> ApiResult<Json<Person>> {
    match state
        .db
        .read_person(&caller.ctx, &caller.scope, PersonId(id))
        .await?
    {
        Some(person) => Ok(Json(person)),
        None => Err(caller
            .refused::<Person>(&state, AuditAction::Read, id)
            .await),
    }
}

#[instrument(skip_all, fields(id = id))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    body: JsonObject,
) -> ApiResult<Json<Person>> {
    let person: Person = body.into_record(id, caller.scope.organisation)?;
    match state
        .db
        .update_person(&caller.ctx, &caller.scope, person)
        .await?
    {
        Some(person) => Ok(Json(person)),
        None => Err(caller
            .refused::<Person>(&state, AuditAction::Update, id)
            .await),
    }
}
