//! « Personnes » : the persons of the user's establishments, searched by name
//! (accents and case ignored), birth date or INS, filtered by establishment
//! and by presence today. The listing is one audited `list` access.

use super::{Chrome, PageResult, day, paris, render};
use crate::AppState;
use crate::access::Principal;
use askama::Template;
use axum::extract::{Query, State};
use carnet_core::indicators::local_day;
use carnet_core::model::{Establishment, EstablishmentId};
use carnet_store::{Page, PersonFilter};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    nom: String,
    #[serde(default)]
    naissance: String,
    #[serde(default)]
    ins: String,
    #[serde(default)]
    etablissement: String,
    #[serde(default)]
    presence: String,
}

pub struct Row {
    pub id: i64,
    pub name: String,
    pub birth_date: String,
    pub identity: String,
    pub qualified: bool,
}

#[derive(Template)]
#[template(path = "persons.html")]
struct PersonsPage {
    chrome: Chrome,
    nom: String,
    naissance: String,
    ins: String,
    etablissement: String,
    presence: String,
    establishments: Vec<Establishment>,
    rows: Vec<Row>,
    errors: Vec<String>,
    more: bool,
}

const LIMIT: i64 = 200;

pub async fn search(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<SearchQuery>,
) -> PageResult {
    let establishments = state.db.establishments(&principal.scope).await?;
    let mut errors = Vec::new();
    let mut filter = PersonFilter::default();
    if !query.nom.trim().is_empty() {
        filter.name = Some(query.nom.trim().to_owned());
    }
    if !query.naissance.is_empty() {
        match query.naissance.parse() {
            Ok(d) => filter.birth_date = Some(d),
            Err(_) => errors.push(format!(
                "Date de naissance « {} » illisible : choisissez une date dans le calendrier (AAAA-MM-JJ).",
                query.naissance.chars().take(20).collect::<String>()
            )),
        }
    }
    if !query.ins.trim().is_empty() {
        filter.ins = Some(query.ins.trim().to_owned());
    }
    if !query.etablissement.is_empty() {
        match query.etablissement.parse::<i64>() {
            Ok(id) if establishments.iter().any(|e| e.id.0 == id) => {
                filter.establishment = Some(EstablishmentId(id));
            }
            _ => errors.push("Établissement inconnu ou hors de vos établissements.".to_owned()),
        }
    }
    let today = local_day(principal.ctx.now, &paris());
    match query.presence.as_str() {
        "" | "tous" => {}
        "present" => filter.present_on = Some((today, true)),
        "sorti" => filter.present_on = Some((today, false)),
        other => errors.push(format!(
            "Filtre de présence « {} » inconnu (présents, sortis ou tous).",
            other.chars().take(20).collect::<String>()
        )),
    }
    let mut rows = Vec::new();
    let mut more = false;
    if errors.is_empty() {
        let persons = state
            .db
            .list_persons(
                &principal.ctx,
                &principal.scope,
                &filter,
                Page::new(None, Some(LIMIT + 1)),
            )
            .await?;
        more = persons.len() > LIMIT as usize;
        let mut persons = persons;
        persons.truncate(LIMIT as usize);
        persons.sort_by_key(|p| (p.display_name().to_lowercase(), p.id.0));
        rows = persons
            .iter()
            .map(|p| Row {
                id: p.id.0,
                name: p.display_name(),
                birth_date: day(p.birth_date),
                identity: p.identity_status.label().to_owned(),
                qualified: p.identity_status == carnet_core::model::IdentityStatus::Qualifiee,
            })
            .collect();
    }
    Ok(render(&PersonsPage {
        chrome: Chrome::new(&principal, "Personnes accompagnées", "/personnes"),
        nom: query.nom,
        naissance: query.naissance,
        ins: query.ins,
        etablissement: query.etablissement,
        presence: query.presence,
        establishments,
        rows,
        errors,
        more,
    }))
}
