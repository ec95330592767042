//! The agenda of one establishment, by day or by week, in its own time zone.

use super::{Chrome, PageResult, render};
use crate::AppState;
use crate::access::Principal;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Query, State};
use carnet_core::indicators::local_day;
use carnet_core::model::{DataCategory, Establishment};
use carnet_core::rights::Mode;
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct AgendaQuery {
    #[serde(default)]
    etablissement: String,
    #[serde(default)]
    jour: String,
    #[serde(default)]
    vue: String,
}

pub struct Slot {
    pub time: String,
    pub person_id: i64,
    pub person: String,
    pub title: String,
    pub kind: String,
    pub status: String,
}

pub struct DayRow {
    pub label: String,
    pub slots: Vec<Slot>,
}

#[derive(Template)]
#[template(path = "agenda.html")]
struct AgendaPage {
    chrome: Chrome,
    establishments: Vec<Establishment>,
    selected: i64,
    week: bool,
    day: String,
    previous: String,
    next: String,
    heading: String,
    days: Vec<DayRow>,
    link_persons: bool,
}

const WEEKDAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

/// « lundi 30 novembre 2026 ».
pub fn long_day(d: Date) -> String {
    let weekday = WEEKDAYS[usize::from(d.weekday().to_monday_zero_offset().unsigned_abs())];
    format!(
        "{weekday} {} {} {}",
        d.day(),
        carnet_core::indicators::french_month_name(d.month()),
        d.year()
    )
}

pub async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<AgendaQuery>,
) -> PageResult {
    let establishments = state.db.establishments(&principal.scope).await?;
    let chosen = if query.etablissement.is_empty() {
        establishments.first()
    } else {
        let id = query.etablissement.parse::<i64>().ok();
        establishments.iter().find(|e| Some(e.id.0) == id)
    };
    let Some(establishment) = chosen.cloned() else {
        return Err(ApiError::NotFound.into());
    };
    let tz = TimeZone::get(&establishment.time_zone).unwrap_or_else(|_| super::paris());
    let today = local_day(principal.ctx.now, &tz);
    let day: Date = if query.jour.is_empty() {
        today
    } else {
        query
            .jour
            .parse()
            .map_err(|_| ApiError::bad_field("jour", "date AAAA-MM-JJ attendue"))?
    };
    let week = query.vue == "semaine";
    let first = if week {
        day.checked_sub(i64::from(day.weekday().to_monday_zero_offset()).days())
            .unwrap_or(day)
    } else {
        day
    };
    let count = if week { 7 } else { 1 };
    let last = first.checked_add(count.days()).unwrap_or(first);
    let from = first
        .to_zoned_datetime(tz.clone())
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .timestamp();
    let to = last
        .to_zoned_datetime(tz.clone())
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .timestamp();
    let items = state
        .db
        .agenda(
            &principal.ctx,
            &principal.scope,
            establishment.id,
            (from, to),
        )
        .await?;
    let mut days: Vec<DayRow> = (0..count)
        .filter_map(|i| first.checked_add(i.days()).ok())
        .map(|d| DayRow {
            label: long_day(d),
            slots: Vec::new(),
        })
        .collect();
    for (appointment, person) in items {
        let local = appointment.starts_at.to_zoned_datetime(tz.clone());
        let offset = (local.date() - first).get_days();
        let Some(row) = usize::try_from(offset).ok().and_then(|i| days.get_mut(i)) else {
            continue;
        };
        row.slots.push(Slot {
            time: local.strftime("%H:%M").to_string(),
            person_id: person.id.0,
            person: person.display_name(),
            title: appointment.title,
            kind: appointment.kind.label().to_owned(),
            status: appointment.status.label().to_owned(),
        });
    }
    let step = if week { 7 } else { 1 };
    let heading = if week {
        format!(
            "Semaine du {} au {}",
            long_day(first),
            long_day(last.checked_sub(1.day()).unwrap_or(last))
        )
    } else {
        let mut h = long_day(day);
        if day == today {
            h.push_str(" (aujourd'hui)");
        }
        h
    };
    Ok(render(&AgendaPage {
        chrome: Chrome::new(
            &principal,
            format!("Agenda — {}", establishment.name),
            "/agenda",
        ),
        selected: establishment.id.0,
        establishments,
        week,
        day: day.to_string(),
        previous: day.checked_sub(step.days()).unwrap_or(day).to_string(),
        next: day.checked_add(step.days()).unwrap_or(day).to_string(),
        heading,
        days,
        link_persons: principal.may(DataCategory::Identite, Mode::Read),
    }))
}
