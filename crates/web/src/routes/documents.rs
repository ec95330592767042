//! Documents: upload (multipart: a `metadata` JSON part and a `content` file
//! part), metadata update, and download of the content. The content's SHA-256
//! and size are always computed here by the store, never taken from the client.

use super::created;
use crate::AppState;
use crate::access::Principal as Caller;
use crate::error::{ApiError, ApiResult};
use crate::input::{Id, JsonObject, parse_object};
use axum::Json;
use axum::body::Body;
use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use carnet_core::model::{Document, DocumentId, FieldError};
use carnet_core::rights::Mode;
use carnet_store::AuditAction;
use serde_json::Value;
use tracing::instrument;

const PLACEHOLDER_SHA256: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::bad_request("invalid_multipart", "corps multipart illisible")
    }
}

/// A media type we are willing to send back as `Content-Type`: `type/subtype`
/// made of token characters (no parameters, no spaces, no line breaks).
fn valid_media_type(media_type: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 100
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    media_type
        .split_once('/')
        .is_some_and(|(t, s)| token(t) && token(s))
}

fn check_media_type(document: &Document) -> ApiResult<()> {
    if valid_media_type(&document.media_type) {
        Ok(())
    } else {
        Err(ApiError::Invalid(vec![FieldError::new(
            "media_type",
            document.media_type.chars().take(40).collect::<String>(),
            "type de média attendu sous la forme type/sous-type, p. ex. application/pdf",
        )]))
    }
}

#[instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, Json<Document>)> {
    let mut multipart = multipart.map_err(|_| {
        ApiError::UnsupportedMediaType(
            "multipart/form-data (parties « metadata » en JSON et « content »)",
        )
    })?;
    let mut metadata: Option<JsonObject> = None;
    let mut content: Option<(Vec<u8>, Option<String>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("metadata") => {
                let bytes = field.bytes().await.map_err(multipart_error)?;
                metadata = Some(parse_object(&bytes)?);
            }
            Some("content") => {
                let media_type = field.content_type().map(str::to_owned);
                let bytes = field.bytes().await.map_err(multipart_error)?;
                content = Some((bytes.to_vec(), media_type));
            }
            other => {
                return Err(ApiError::bad_field(
                    other
                        .unwrap_or("(sans nom)")
                        .chars()
                        .take(40)
                        .collect::<String>(),
                    "partie inconnue (parties admises : metadata, content)",
                ));
            }
        }
    }
    let mut metadata =
        metadata.ok_or_else(|| ApiError::bad_field("metadata", "partie obligatoire absente"))?;
    let (bytes, part_type) =
        content.ok_or_else(|| ApiError::bad_field("content", "partie obligatoire absente"))?;
    metadata
        .0
        .insert("sha256".into(), Value::from(PLACEHOLDER_SHA256));
    metadata.0.insert("size".into(), Value::from(0));
    metadata.default(
        "media_type",
        part_type.unwrap_or_else(|| "application/octet-stream".into()),
    );
    metadata.default("added_at", caller.ctx.now.to_string());
    metadata.default("dmp_status", "NON_ENVOYE");
    metadata.default("dmp_objection", false);
    let document: Document = metadata.into_record(0, caller.scope.organisation)?;
    caller.require(document.type_code.category(), Mode::Write)?;
    check_media_type(&document)?;
    let document = state
        .db
        .create_document(&caller.ctx, &caller.scope, document, bytes)
        .await?;
    tracing::info!(id = document.id.0, "created");
    Ok(created(document))
}

/// Replaces the metadata; the content, its SHA-256 and size stay as stored.
#[instrument(skip_all, fields(id = id))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    mut body: JsonObject,
) -> ApiResult<Json<Document>> {
    let Some(existing) = state
        .db
        .read::<Document>(&caller.ctx, &caller.scope, id)
        .await?
    else {
        return Err(caller
            .refused::<Document>(&state, AuditAction::Update, id)
            .await);
    };
    body.0.insert("sha256".into(), Value::from(existing.sha256));
    body.0.insert("size".into(), Value::from(existing.size));
    let document: Document = body.into_record(id, caller.scope.organisation)?;
    caller.require(existing.type_code.category(), Mode::Write)?;
    caller.require(document.type_code.category(), Mode::Write)?;
    check_media_type(&document)?;
    match state
        .db
        .update(&caller.ctx, &caller.scope, document)
        .await?
    {
        Some(document) => Ok(Json(document)),
        None => Err(caller
            .refused::<Document>(&state, AuditAction::Update, id)
            .await),
    }
}

/// The stored bytes, as an attachment (never rendered inline by a browser).
#[instrument(skip_all, fields(id = id))]
pub async fn content(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> ApiResult<Response> {
    let organisation = caller.scope.organisation;
    if let Some(kind) = state.db.document_type(organisation, DocumentId(id)).await? {
        caller.require(kind.category(), Mode::Read)?;
    }
    let Some((document, bytes)) = state
        .db
        .document_content(&caller.ctx, &caller.scope, DocumentId(id))
        .await?
    else {
        return Err(caller
            .refused::<Document>(&state, AuditAction::Download, id)
            .await);
    };
    let media_type = if valid_media_type(&document.media_type) {
        HeaderValue::from_str(&document.media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream"))
    } else {
        HeaderValue::from_static("application/octet-stream")
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"document-{id}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    let mut response = Body::from(bytes).into_response();
    response.headers_mut().insert(CONTENT_TYPE, media_type);
    response
        .headers_mut()
        .insert(CONTENT_DISPOSITION, disposition);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::valid_media_type;

    #[test]
    fn only_plain_media_types_are_sent_back_as_content_type() {
        for ok in [
            "application/pdf",
            "image/png",
            "application/vnd.ms-excel",
            "text/plain",
        ] {
            assert!(valid_media_type(ok), "{ok}");
        }
        for bad in [
            "",
            "pdf",
            "text/html; charset=utf-8",
            "text/html\r\nX: 1",
            "a/b/c",
            "/pdf",
            "image/ png",
        ] {
            assert!(!valid_media_type(bad), "{bad:?}");
        }
    }
}
