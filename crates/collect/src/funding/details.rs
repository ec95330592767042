//! The details file of a project's funding (`docs/financement.md`): what GALIS
//! knows and the registry does not — the FINESS juridique of each ESSMS's
//! organisation, the DUI solution, SAAD hours, equipment quotes, AMOA, joining
//! a funded group. Read by hand from a JSON value rather than with serde
//! derive, so that every error names the field as the user wrote it, in French.

use std::collections::BTreeMap;

use carnet_core::Finess;
use carnet_core::funding::SaadHours;
use serde_json::{Map, Value};

/// A bad details file: the field (path as in the file) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fichier de détails, champ « {field} » : {message}")]
pub struct DetailsError {
    pub field: String,
    pub message: String,
}

fn bad(field: impl Into<String>, message: impl Into<String>) -> DetailsError {
    DetailsError {
        field: field.into(),
        message: message.into(),
    }
}

/// What the file says of one ESSMS; `None` falls back to the file's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EstablishmentDetails {
    pub organisation: Option<Finess>,
    pub solution: Option<String>,
    pub saad_hours: Option<SaadHours>,
    pub equipment_quote_cents: Option<u64>,
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    /// FINESS juridique of every ESSMS not given one of its own.
    pub organisation: Option<Finess>,
    /// DUI solution of every ESSMS not given one of its own.
    pub solution: Option<String>,
    pub amoa_requested: bool,
    pub joins_funded_group: bool,
    /// Declared sizes of organisations (all their ESSMS, in the project or not).
    pub organisations: Vec<(Finess, u32)>,
    pub establishments: BTreeMap<Finess, EstablishmentDetails>,
}

const TOP: [&str; 6] = [
    "organisme",
    "solution",
    "amoa_demandee",
    "rejoint_regroupement_finance",
    "organismes",
    "essms",
];
const PER_ESSMS: [&str; 4] = ["organisme", "solution", "heures_saad", "devis_equipement"];

fn object<'a>(value: &'a Value, field: &str) -> Result<&'a Map<String, Value>, DetailsError> {
    value
        .as_object()
        .ok_or_else(|| bad(field, "un objet JSON { … } est attendu"))
}

fn known_keys(map: &Map<String, Value>, prefix: &str, known: &[&str]) -> Result<(), DetailsError> {
    for key in map.keys() {
        if !known.contains(&key.as_str()) {
            return Err(bad(
                format!("{prefix}{key}"),
                format!("champ inconnu ; champs admis : {}", known.join(", ")),
            ));
        }
    }
    Ok(())
}

fn finess(value: &Value, field: &str) -> Result<Finess, DetailsError> {
    let text = value.as_str().ok_or_else(|| {
        bad(
            field,
            "un FINESS entre guillemets est attendu (« 330000000 »)",
        )
    })?;
    Finess::parse(text).map_err(|e| bad(field, format!("FINESS « {text} » invalide : {e}")))
}

fn text(value: &Value, field: &str) -> Result<String, DetailsError> {
    match value.as_str() {
        Some(t) if !t.trim().is_empty() => Ok(t.trim().to_owned()),
        Some(_) => Err(bad(field, "texte vide")),
        None => Err(bad(field, "un texte entre guillemets est attendu")),
    }
}

fn flag(value: &Value, field: &str) -> Result<bool, DetailsError> {
    value
        .as_bool()
        .ok_or_else(|| bad(field, "true ou false est attendu"))
}

fn count(value: &Value, field: &str) -> Result<u64, DetailsError> {
    value.as_u64().ok_or_else(|| {
        bad(
            field,
            format!("un nombre entier positif ou nul est attendu (lu : {value})"),
        )
    })
}

/// An amount in euros, as an integer (`12500`) or a text with cents
/// (`"12 500,50"`): a JSON decimal number would go through a float.
fn euros_to_cents(value: &Value, field: &str) -> Result<u64, DetailsError> {
    let rule = "montant en euros attendu : un entier (12500) ou un texte avec au plus deux \
                décimales (\"12 500,50\")";
    if let Some(n) = value.as_u64() {
        return n
            .checked_mul(100)
            .ok_or_else(|| bad(field, format!("montant trop grand (lu : {n})")));
    }
    let Some(raw) = value.as_str() else {
        return Err(bad(field, format!("{rule} ; lu : {value}")));
    };
    let cleaned: String = raw
        .trim()
        .trim_end_matches('€')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let (whole, cents) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || (!cents.is_empty() && (!digits(cents) || cents.len() > 2)) {
        return Err(bad(field, format!("{rule} ; lu : « {raw} »")));
    }
    let cents = format!("{cents:0<2}");
    whole
        .parse::<u64>()
        .ok()
        .and_then(|w| w.checked_mul(100))
        .and_then(|w| cents.parse::<u64>().ok().and_then(|c| w.checked_add(c)))
        .ok_or_else(|| bad(field, format!("montant trop grand (lu : « {raw} »)")))
}

fn saad(value: &Value, field: &str) -> Result<SaadHours, DetailsError> {
    let map = object(value, field)?;
    known_keys(map, &format!("{field}."), &["eligibles", "total"])?;
    let get = |key: &str| {
        let f = format!("{field}.{key}");
        map.get(key)
            .ok_or_else(|| bad(&f, "champ obligatoire absent"))
            .and_then(|v| count(v, &f))
    };
    let (eligible, total) = (get("eligibles")?, get("total")?);
    if total == 0 || eligible > total {
        return Err(bad(
            format!("{field}.total"),
            format!(
                "{eligible} heures éligibles pour {total} heures au total : le total doit être \
                 positif et au moins égal aux heures éligibles"
            ),
        ));
    }
    Ok(SaadHours { eligible, total })
}

fn establishment(value: &Value, field: &str) -> Result<EstablishmentDetails, DetailsError> {
    let map = object(value, field)?;
    known_keys(map, &format!("{field}."), &PER_ESSMS)?;
    let at = |key: &str| format!("{field}.{key}");
    Ok(EstablishmentDetails {
        organisation: map
            .get("organisme")
            .map(|v| finess(v, &at("organisme")))
            .transpose()?,
        solution: map
            .get("solution")
            .map(|v| text(v, &at("solution")))
            .transpose()?,
        saad_hours: map
            .get("heures_saad")
            .map(|v| saad(v, &at("heures_saad")))
            .transpose()?,
        equipment_quote_cents: map
            .get("devis_equipement")
            .map(|v| euros_to_cents(v, &at("devis_equipement")))
            .transpose()?,
    })
}

impl Details {
    /// Reads the file's bytes; the first error is returned, naming its field.
    pub fn from_json(bytes: &[u8]) -> Result<Details, DetailsError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            bad(
                "(fichier)",
                format!(
                    "JSON invalide à la ligne {}, colonne {}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        let map = object(&value, "(fichier)")?;
        known_keys(map, "", &TOP)?;
        let mut details = Details {
            organisation: map
                .get("organisme")
                .map(|v| finess(v, "organisme"))
                .transpose()?,
            solution: map
                .get("solution")
                .map(|v| text(v, "solution"))
                .transpose()?,
            amoa_requested: map
                .get("amoa_demandee")
                .map(|v| flag(v, "amoa_demandee"))
                .transpose()?
                .unwrap_or(false),
            joins_funded_group: map
                .get("rejoint_regroupement_finance")
                .map(|v| flag(v, "rejoint_regroupement_finance"))
                .transpose()?
                .unwrap_or(false),
            ..Details::default()
        };
        if let Some(list) = map.get("organismes") {
            let items = list
                .as_array()
                .ok_or_else(|| bad("organismes", "une liste [ … ] est attendue"))?;
            for (i, item) in items.iter().enumerate() {
                let field = format!("organismes[{i}]");
                let o = object(item, &field)?;
                known_keys(o, &format!("{field}."), &["finess", "nombre_essms"])?;
                let f = o
                    .get("finess")
                    .ok_or_else(|| bad(format!("{field}.finess"), "champ obligatoire absent"))
                    .and_then(|v| finess(v, &format!("{field}.finess")))?;
                let n_field = format!("{field}.nombre_essms");
                let n = o
                    .get("nombre_essms")
                    .ok_or_else(|| bad(&n_field, "champ obligatoire absent"))
                    .and_then(|v| count(v, &n_field))?;
                let n = u32::try_from(n).map_err(|_| bad(&n_field, "nombre trop grand"))?;
                details.organisations.push((f, n));
            }
        }
        if let Some(all) = map.get("essms") {
            for (key, value) in object(all, "essms")? {
                let field = format!("essms.{key}");
                let f = Finess::parse(key).map_err(|e| {
                    bad(
                        &field,
                        format!("la clé doit être un FINESS géographique : « {key} » : {e}"),
                    )
                })?;
                details
                    .establishments
                    .insert(f, establishment(value, &field)?);
            }
        }
        Ok(details)
    }
}
