//! The Carnet interchange format (docs/format.md): NDJSON, one record a line,
//! tagged by `type`. Lines come in dependency order, so that a reader can check
//! references in one pass.

use crate::model::*;
use serde::{Deserialize, Serialize};

pub const FORMAT_NAME: &str = "carnet-ndjson";
pub const FORMAT_VERSION: u32 = 1;

/// First line of every file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: String,
    pub version: u32,
}

/// A document's content, base64, placed before the documents that use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blob {
    pub organisation_id: OrganisationId,
    pub sha256: String,
    pub content_base64: String,
}

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Line {
    Header(Header),
    Organisation(Organisation),
    Establishment(Establishment),
    Professional(Professional),
    Person(Person),
    IdentityChange(IdentityChange),
    Stay(Stay),
    CarePlan(CarePlan),
    Event(Event),
    Appointment(Appointment),
    Blob(Blob),
    Document(Document),
    Message(MssMessage),
}

/// Why a line could not be read: the JSON path of the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub field: String,
    pub message: String,
}

fn typed<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, LineError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        LineError {
            field: if path == "." { String::new() } else { path },
            message: french_serde(e.inner().to_string()),
        }
    })
}

/// Reads one JSON object, for files a person edits (rule sets): on failure,
/// the path of the field at fault ("" for the whole text) and the French rule.
pub(crate) fn json_object<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<T, (String, String)> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." { String::new() } else { path };
        let rule = if inner.is_syntax() || inner.is_eof() {
            format!(
                "JSON invalide à la ligne {}, colonne {}",
                inner.line(),
                inner.column()
            )
        } else {
            french_serde(inner.to_string())
        };
        (field, rule)
    })?;
    de.end().map_err(|e| {
        (
            String::new(),
            format!(
                "texte en trop après l'objet JSON (ligne {}, colonne {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    Ok(value)
}

/// serde_json's messages are English; the few shapes it produces are translated.
pub(crate) fn french_serde(message: String) -> String {
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("champ obligatoire absent : {rest}");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let name = rest.split(',').next().unwrap_or(rest);
        return format!("champ inconnu : {name}");
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        return format!("type invalide : {rest}").replace("expected", "attendu");
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        return format!("valeur invalide : {rest}").replace("expected", "attendu");
    }
    message
}

impl Line {
    /// Reads one line. The `type` decides the record; every error names its field.
    pub fn parse(text: &str) -> Result<Line, LineError> {
        let mut value: serde_json::Value = serde_json::from_str(text).map_err(|e| LineError {
            field: String::new(),
            message: format!(
                "JSON invalide (colonne {}) : {}",
                e.column(),
                french_serde(e.to_string())
            ),
        })?;
        let Some(object) = value.as_object_mut() else {
            return Err(LineError {
                field: String::new(),
                message: "un objet JSON est attendu".into(),
            });
        };
        let Some(serde_json::Value::String(kind)) = object.remove("type") else {
            return Err(LineError {
                field: "type".into(),
                message: "champ « type » absent ou non textuel".into(),
            });
        };
        Ok(match kind.as_str() {
            "header" => Line::Header(typed(value)?),
            "organisation" => Line::Organisation(typed(value)?),
            "establishment" => Line::Establishment(typed(value)?),
            "professional" => Line::Professional(typed(value)?),
            "person" => Line::Person(typed(value)?),
            "identity_change" => Line::IdentityChange(typed(value)?),
            "stay" => Line::Stay(typed(value)?),
            "care_plan" => Line::CarePlan(typed(value)?),
            "event" => Line::Event(typed(value)?),
            "appointment" => Line::Appointment(typed(value)?),
            "blob" => Line::Blob(typed(value)?),
            "document" => Line::Document(typed(value)?),
            "message" => Line::Message(typed(value)?),
            other => {
                return Err(LineError {
                    field: "type".into(),
                    message: format!("type d'enregistrement inconnu : « {other} »"),
                });
            }
        })
    }

    /// The record's own rules (see each record's `validate`).
    pub fn validate(&self, demo_mode: bool) -> Vec<FieldError> {
        match self {
            Line::Header(h) => {
                let mut errors = Vec::new();
                if h.format != FORMAT_NAME {
                    errors.push(FieldError::new(
                        "format",
                        &h.format,
                        format!("« {FORMAT_NAME} » attendu"),
                    ));
                }
                if h.version != FORMAT_VERSION {
                    errors.push(FieldError::new(
                        "version",
                        h.version,
                        format!("version {FORMAT_VERSION} attendue"),
                    ));
                }
                errors
            }
            Line::Organisation(r) => r.validate(),
            Line::Establishment(r) => r.validate(),
            Line::Professional(r) => r.validate(),
            Line::Person(r) => r.validate(demo_mode),
            Line::IdentityChange(r) => r.validate(),
            Line::Stay(r) => r.validate(),
            Line::CarePlan(r) => r.validate(),
            Line::Event(r) => r.validate(),
            Line::Appointment(r) => r.validate(),
            Line::Blob(_) => Vec::new(),
            Line::Document(r) => r.validate(),
            Line::Message(r) => r.validate(),
        }
    }

    pub fn to_json(&self) -> String {
        // Serialising plain data into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
