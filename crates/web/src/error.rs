//! Every error the API answers, and the one place where errors become HTTP
//! (STYLE.md, Errors and logs). The client gets a stable `code`, a French
//! `message` and, for input errors, one detail per field; the cause of a server
//! error goes to the log under the request id, never to the client.

use crate::request_id;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use carnet_core::model::FieldError;
use carnet_store::StoreError;
use serde::Serialize;

/// One field in error, as the client sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    pub field: String,
    pub value: String,
    pub rule: String,
}

impl From<FieldError> for Detail {
    fn from(e: FieldError) -> Self {
        Detail {
            field: e.field.to_owned(),
            value: e.value,
            rule: e.rule,
        }
    }
}

#[derive(Debug)]
pub enum ApiError {
    /// No token, or a token that is unknown, revoked or of a disabled account.
    Unauthenticated,
    /// Absent, or outside the caller's organisation or establishments: the
    /// answer is the same so that existence is not revealed.
    NotFound,
    /// The caller's role lacks the right the route needs (rights matrix).
    Forbidden(String),
    NoRoute,
    MethodNotAllowed,
    /// The request cannot be read (JSON syntax, field types, query, path).
    BadRequest {
        code: &'static str,
        message: String,
        details: Vec<Detail>,
    },
    UnsupportedMediaType(&'static str),
    PayloadTooLarge,
    /// The record breaks its own rules.
    Invalid(Vec<FieldError>),
    /// The record contradicts other records or points outside the caller's scope.
    Conflict(String),
    /// Our fault or the database's: the detail is logged, not shown.
    Internal(String),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// A field of the body or the query that cannot be read.
    pub fn bad_field(field: impl Into<String>, rule: impl Into<String>) -> Self {
        let field = field.into();
        let rule = rule.into();
        ApiError::BadRequest {
            code: "invalid_field",
            message: format!("champ « {field} » : {rule}"),
            details: vec![Detail {
                field,
                value: String::new(),
                rule,
            }],
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(errors) => ApiError::Invalid(errors),
            StoreError::Conflict(message) => ApiError::Conflict(message),
            e if e.is_constraint() => ApiError::Conflict(
                "l'enregistrement contredit une donnée existante (doublon ou référence inconnue)"
                    .into(),
            ),
            e => {
                // The sqlx error's text names tables and constraints, never values.
                let source = std::error::Error::source(&e)
                    .map(ToString::to_string)
                    .unwrap_or_default();
                ApiError::Internal(format!("{e}: {source}"))
            }
        }
    }
}

#[derive(Serialize)]
struct Body {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<Detail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, details) = match self {
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "authentification requise : en-tête « Authorization: Bearer carnet_… » absent ou jeton invalide".to_owned(),
                Vec::new(),
            ),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "enregistrement introuvable".to_owned(),
                Vec::new(),
            ),
            ApiError::Forbidden(message) => {
                (StatusCode::FORBIDDEN, "forbidden", message, Vec::new())
            }
            ApiError::NoRoute => (
                StatusCode::NOT_FOUND,
                "no_route",
                "adresse inconnue de l'API".to_owned(),
                Vec::new(),
            ),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "méthode HTTP non prise en charge à cette adresse".to_owned(),
                Vec::new(),
            ),
            ApiError::BadRequest {
                code,
                message,
                details,
            } => (StatusCode::BAD_REQUEST, code, message, details),
            ApiError::UnsupportedMediaType(expected) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("type de contenu attendu : {expected}"),
                Vec::new(),
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "le corps de la requête dépasse la taille admise".to_owned(),
                Vec::new(),
            ),
            ApiError::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!(
                    "données invalides : {}",
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" ; ")
                ),
                errors.into_iter().map(Detail::from).collect(),
            ),
            ApiError::Conflict(message) => (StatusCode::CONFLICT, "conflict", message, Vec::new()),
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "erreur interne du serveur ; l'incident est journalisé sous l'identifiant de requête indiqué".to_owned(),
                    Vec::new(),
                )
            }
        };
        let request_id = (status == StatusCode::INTERNAL_SERVER_ERROR)
            .then(request_id::current)
            .flatten();
        let body = Body {
            code,
            message,
            details,
            request_id,
        };
        (status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
