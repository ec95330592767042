//! Reading requests: the JSON body, the query string and the id in the path.
//! Each failure becomes a 400 whose French message names the field; serde's
//! English is translated where its shape is known, and otherwise kept after a
//! French sentence. Nothing here panics on input.

use crate::error::{ApiError, ApiResult};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri};
use carnet_core::model::{EstablishmentId, OrganisationId, PersonId};
use carnet_store::{Page, PersonFilter};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A JSON object body, not yet typed: the handler forces the fields the client
/// may not choose (`id`, `organisation_id`) before decoding it.
pub struct JsonObject(pub Map<String, Value>);

pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| v == "application/json" || v.ends_with("+json"))
}

pub(crate) fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::bad_request("unreadable_body", "corps de la requête illisible")
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(ApiError::UnsupportedMediaType("application/json"));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_rejection)?;
        parse_object(&bytes)
    }
}

pub(crate) fn parse_object(bytes: &[u8]) -> ApiResult<JsonObject> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(JsonObject(map)),
        Ok(_) => Err(ApiError::bad_request(
            "invalid_json",
            "le corps doit être un objet JSON ({ … })",
        )),
        Err(e) => Err(ApiError::bad_request(
            "invalid_json",
            format!(
                "corps JSON illisible à la ligne {}, colonne {} : {}",
                e.line(),
                e.column(),
                syntax_in_french(&e)
            ),
        )),
    }
}

fn syntax_in_french(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "le texte s'arrête avant la fin",
        serde_json::error::Category::Syntax => "syntaxe JSON invalide",
        serde_json::error::Category::Data | serde_json::error::Category::Io => "valeur illisible",
    }
}

impl JsonObject {
    /// Removes a member (e.g. a nested object handled separately).
    pub fn take(&mut self, key: &str) -> Option<Value> {
        self.0.remove(key)
    }

    /// Sets a member only when the client did not give it.
    pub fn default(&mut self, key: &str, value: impl Into<Value>) {
        self.0.entry(key).or_insert_with(|| value.into());
    }

    /// Decodes the body as a record whose `id` and `organisation_id` are ours:
    /// whatever the client sent there is ignored.
    pub fn into_record<T: DeserializeOwned>(
        mut self,
        id: i64,
        organisation: OrganisationId,
    ) -> ApiResult<T> {
        self.0.insert("id".into(), Value::from(id));
        self.0
            .insert("organisation_id".into(), Value::from(organisation.0));
        decode(Value::Object(self.0), "")
    }

    pub fn decode<T: DeserializeOwned>(self) -> ApiResult<T> {
        decode(Value::Object(self.0), "")
    }
}

/// Decodes a JSON value; `prefix` names where it sits in the body (e.g.
/// `admission`) so that the message points at the right field.
pub fn decode<T: DeserializeOwned>(value: Value, prefix: &str) -> ApiResult<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let (field, rule) = in_french(&message);
        let mut parts: Vec<&str> = Vec::new();
        if !prefix.is_empty() {
            parts.push(prefix);
        }
        if path != "." && !path.is_empty() {
            parts.push(&path);
        }
        if let Some(field) = field.as_deref()
            && path.rsplit('.').next() != Some(field)
        {
            parts.push(field);
        }
        let name = if parts.is_empty() {
            "(corps)".to_owned()
        } else {
            parts.join(".")
        };
        ApiError::bad_field(name, rule)
    })
}

fn between_backticks(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

/// serde's messages, in French. Returns the field a message names by itself
/// (missing and unknown fields name it; others are at the path).
fn in_french(message: &str) -> (Option<String>, String) {
    if message.starts_with("missing field") {
        return (
            between_backticks(message),
            "champ obligatoire absent".into(),
        );
    }
    if message.starts_with("unknown field") {
        return (
            between_backticks(message),
            "champ inconnu (vérifiez son orthographe)".into(),
        );
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        return (
            None,
            format!("type de valeur invalide (reçu : {found} ; attendu : {expected})"),
        );
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        return (None, format!("valeur invalide ({rest})"));
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        return (None, format!("nombre d'éléments invalide ({rest})"));
    }
    // Our own types (codes, identifiers) already speak French; jiff does not.
    (None, format!("valeur refusée : {message}"))
}

/// An id in the path: the store's integer id.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_field("id", "identifiant absent du chemin"))?;
        raw.parse::<i64>().map(Id).map_err(|_| {
            ApiError::bad_field(
                "id",
                format!(
                    "identifiant « {} » invalide : nombre entier attendu",
                    clip(&raw)
                ),
            )
        })
    }
}

fn clip(raw: &str) -> String {
    raw.chars().take(40).collect()
}

/// The query string as pairs, each name allowed at most once.
fn pairs(uri: &Uri, allowed: &[&str]) -> ApiResult<Vec<(String, String)>> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri).map_err(|_| {
        ApiError::bad_request("invalid_query", "paramètres de la requête illisibles")
    })?;
    for (i, (name, _)) in pairs.iter().enumerate() {
        if !allowed.contains(&name.as_str()) {
            return Err(ApiError::bad_field(
                clip(name),
                format!(
                    "paramètre inconnu (paramètres admis : {})",
                    allowed.join(", ")
                ),
            ));
        }
        if pairs[..i].iter().any(|(n, _)| n == name) {
            return Err(ApiError::bad_field(name.clone(), "paramètre répété"));
        }
    }
    Ok(pairs)
}

fn integer(name: &str, raw: &str, min: i64, max: i64) -> ApiResult<i64> {
    match raw.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_field(
            name.to_owned(),
            format!(
                "nombre entier de {min} à {max} attendu, « {} » lu",
                clip(raw)
            ),
        )),
    }
}

const PAGE: [&str; 2] = ["after", "limit"];

fn page(pairs: &[(String, String)]) -> ApiResult<Page> {
    let mut after = None;
    let mut limit = None;
    for (name, value) in pairs {
        match name.as_str() {
            "after" => after = Some(integer("after", value, 0, i64::MAX)?),
            "limit" => limit = Some(integer("limit", value, 1, Page::MAX_LIMIT)?),
            _ => {}
        }
    }
    Ok(Page::new(after, limit))
}

/// Query of the list endpoints of records attached to a person.
pub struct RecordQuery {
    pub page: Page,
    pub establishment: Option<EstablishmentId>,
    pub person: Option<PersonId>,
}

impl<S: Send + Sync> FromRequestParts<S> for RecordQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let pairs = pairs(&parts.uri, &[PAGE[0], PAGE[1], "establishment", "person"])?;
        let mut query = RecordQuery {
            page: page(&pairs)?,
            establishment: None,
            person: None,
        };
        for (name, value) in &pairs {
            match name.as_str() {
                "establishment" => {
                    query.establishment = Some(EstablishmentId(integer(name, value, 1, i64::MAX)?));
                }
                "person" => query.person = Some(PersonId(integer(name, value, 1, i64::MAX)?)),
                _ => {}
            }
        }
        Ok(query)
    }
}

/// Query of the person list.
pub struct PersonQuery {
    pub page: Page,
    pub filter: PersonFilter,
}

impl<S: Send + Sync> FromRequestParts<S> for PersonQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let pairs = pairs(
            &parts.uri,
            &[PAGE[0], PAGE[1], "establishment", "q", "birth_date", "ins"],
        )?;
        let mut query = PersonQuery {
            page: page(&pairs)?,
            filter: PersonFilter::default(),
        };
        for (name, value) in pairs {
            match name.as_str() {
                "establishment" => {
                    query.filter.establishment =
                        Some(EstablishmentId(integer(&name, &value, 1, i64::MAX)?));
                }
                "q" => {
                    if value.chars().count() > 200 {
                        return Err(ApiError::bad_field(name, "200 caractères au plus"));
                    }
                    query.filter.name = Some(value);
                }
                "birth_date" => {
                    let date = value.parse::<jiff::civil::Date>().map_err(|_| {
                        ApiError::bad_field(
                            "birth_date",
                            format!("date AAAA-MM-JJ attendue, « {} » lu", clip(&value)),
                        )
                    })?;
                    query.filter.birth_date = Some(date);
                }
                "ins" => {
                    if value.chars().count() > 30 {
                        return Err(ApiError::bad_field(name, "30 caractères au plus"));
                    }
                    query.filter.ins = Some(value);
                }
                _ => {}
            }
        }
        Ok(query)
    }
}

/// Endpoints without parameters still refuse unknown ones (a typo would
/// otherwise silently widen a listing).
pub struct NoQuery;

impl<S: Send + Sync> FromRequestParts<S> for NoQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        pairs(&parts.uri, &[])?;
        Ok(NoQuery)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_are_translated_and_name_their_field() {
        assert_eq!(
            in_french("missing field `sex`"),
            (Some("sex".into()), "champ obligatoire absent".into())
        );
        let (field, rule) = in_french("unknown field `surnom`, expected one of `id`, `sex`");
        assert_eq!(field.as_deref(), Some("surnom"));
        assert!(rule.starts_with("champ inconnu"));
        let (_, rule) = in_french("invalid type: integer `3`, expected a string");
        assert!(rule.starts_with("type de valeur invalide"), "{rule}");
        let (_, rule) = in_french("code « Z » inconnu (valeurs admises : F, M, I)");
        assert!(rule.contains("code « Z » inconnu"));
    }

    #[test]
    fn a_decoding_error_points_at_the_nested_field() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            start: i64,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            inner: Inner,
        }
        let error = decode::<Outer>(serde_json::json!({"inner": {"start": "x"}}), "admission");
        match error {
            Err(ApiError::BadRequest { message, .. }) => {
                assert!(message.contains("« admission.inner.start »"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let error = decode::<Outer>(serde_json::json!({"inner": {}}), "");
        match error {
            Err(ApiError::BadRequest { message, .. }) => {
                assert!(message.contains("« inner.start »"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
