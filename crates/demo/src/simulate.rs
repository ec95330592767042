//! One establishment at a time: its staff, the people it accompanies over the
//! window, and everything the team records about them.
//!
//! Days are `i32` offsets from `today` (0 = today, negative = past). Nothing is
//! recorded after the establishment's horizon (today, or the day the team
//! stopped using the software).

use crate::block::{Block, Transfer};
use crate::catalogue;
use crate::{DemoParams, ORGANISATION_ID, ident, names, stream_seed};
use carnet_core::Finess;
use carnet_core::interchange::Line;
use carnet_core::model::*;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{HashSet, VecDeque};

/// Days after `today` for which agenda events are already planned.
pub const PLANNED_AHEAD: i32 = 30;

/// Generator state carried from one establishment to the next.
pub struct State {
    pub params: DemoParams,
    pub seed: u64,
    pub organisation: Option<Organisation>,
    pub today: Date,
    pub window_days: i32,
    pub next: Counters,
    finess_used: HashSet<String>,
    addresses_used: HashSet<String>,
    mss_domain: String,
    pub previous_establishment: Option<EstablishmentId>,
    pub transfers: Vec<Transfer>,
}

#[derive(Default)]
pub struct Counters {
    pub establishment: i64,
    pub professional: i64,
    pub person: i64,
    pub stay: i64,
    pub care_plan: i64,
    pub event: i64,
    pub appointment: i64,
    pub document: i64,
    pub message: i64,
}

pub fn bump(counter: &mut i64) -> i64 {
    *counter += 1;
    *counter
}

pub fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Exponential waiting time (days) for a Poisson process of `rate` per day.
pub fn wait(rng: &mut ChaCha8Rng, rate: f64) -> f64 {
    -(1.0 - rng.random::<f64>()).ln() / rate
}

pub fn add_days(date: Date, days: i32) -> Date {
    // In range for every date the demo uses (±150 years around `today`).
    date.checked_add(Span::new().days(i64::from(days)))
        .unwrap_or(date)
}

impl State {
    pub fn new(params: DemoParams, seed: u64, today: Date) -> Self {
        let organisation = crate::organisation(&params, seed);
        let mut finess_used = HashSet::new();
        if let Some(ej) = organisation.as_ref().and_then(|o| o.finess_ej.as_ref()) {
            finess_used.insert(ej.to_string());
        }
        let mss_domain = format!(
            "{}.mssante.fr",
            names::mail_part(&params.organisation_name)
                .trim_start_matches("association-")
                .trim_start_matches("federation-")
        );
        let window_days = params.months * 365 / 12;
        Self {
            params,
            seed,
            organisation,
            today,
            window_days,
            next: Counters::default(),
            finess_used,
            addresses_used: HashSet::new(),
            mss_domain,
            previous_establishment: None,
            transfers: Vec::new(),
        }
    }

    /// Generates establishment number `index` and appends its lines in order.
    pub fn establishment(&mut self, index: usize, out: &mut VecDeque<Line>) {
        let mut rng = ChaCha8Rng::seed_from_u64(stream_seed(self.seed, index as u64 + 1));
        let catalogue = catalogue::STANDARD;
        let template = catalogue[index % catalogue.len()];
        let cycle = index / catalogue.len();
        let department = if cycle == 0 || template.department == "974" {
            template.department
        } else {
            catalogue::LARGE_DEPARTMENTS[(index * 7 + cycle) % catalogue::LARGE_DEPARTMENTS.len()]
        };
        let Some(finess) = self.unique_finess(&mut rng, department) else {
            return;
        };
        let name = if cycle == 0 {
            template.name.to_owned()
        } else {
            format!("{} — site {}", template.name, cycle + 1)
        };
        let establishment = Establishment {
            id: EstablishmentId(bump(&mut self.next.establishment)),
            organisation_id: ORGANISATION_ID,
            time_zone: finess.default_time_zone().to_owned(),
            finess,
            name,
            category: template.category,
            sector: template.sector,
        };
        let mut block = Block::new(self, &template, &establishment, department);
        block.staff(self, &mut rng);
        block.people(self, &mut rng);
        block.records(&mut rng);
        self.previous_establishment = Some(establishment.id);
        out.push_back(Line::Establishment(establishment));
        block.emit(self, out);
    }

    fn unique_finess(&mut self, rng: &mut ChaCha8Rng, department: &str) -> Option<Finess> {
        for _ in 0..1000 {
            let finess = ident::finess(rng, department)?;
            if self.finess_used.insert(finess.to_string()) {
                return Some(finess);
            }
        }
        None
    }

    pub fn unique_address(&mut self, given: &str, family: &str) -> String {
        let base = format!("{}.{}", names::mail_part(given), names::mail_part(family));
        let mut candidate = format!("{base}@{}", self.mss_domain);
        let mut n = 1;
        while !self.addresses_used.insert(candidate.clone()) {
            n += 1;
            candidate = format!("{base}{n}@{}", self.mss_domain);
        }
        candidate
    }
}

/// Local midnight of each day of the window, as UTC seconds (None on a DST day,
/// which takes the exact, slower path).
pub struct Clock {
    tz: TimeZone,
    first_day: i32,
    midnights: Vec<Option<i64>>,
    /// Saturday or Sunday, and the month, of each day of the window.
    weekend: Vec<bool>,
    month: Vec<i8>,
    today: Date,
}

impl Clock {
    pub fn new(tz: TimeZone, today: Date, first_day: i32, last_day: i32) -> Self {
        let midnights = (first_day..=last_day)
            .map(|d| {
                let date = add_days(today, d);
                let at = |h| tz.to_timestamp(date.at(h, 0, 0, 0)).ok();
                match (at(0), at(12)) {
                    (Some(m), Some(n)) if n.as_second() - m.as_second() == 12 * 3600 => {
                        Some(m.as_second())
                    }
                    _ => None,
                }
            })
            .collect();
        let dates: Vec<Date> = (first_day..=last_day).map(|d| add_days(today, d)).collect();
        Self {
            tz,
            first_day,
            midnights,
            weekend: dates
                .iter()
                .map(|d| d.weekday().to_monday_one_offset() >= 6)
                .collect(),
            month: dates.iter().map(|d| d.month()).collect(),
            today,
        }
    }

    /// The instant of `minute` (local) on day `day`.
    pub fn at(&self, day: i32, minute: i32) -> Timestamp {
        let index = day - self.first_day;
        let fast = usize::try_from(index)
            .ok()
            .and_then(|i| self.midnights.get(i).copied().flatten());
        if let Some(midnight) = fast {
            return Timestamp::from_second(midnight + i64::from(minute) * 60)
                .unwrap_or(Timestamp::UNIX_EPOCH);
        }
        let date = add_days(self.today, day);
        let dt = date.at((minute / 60).clamp(0, 23) as i8, (minute % 60) as i8, 0, 0);
        // Dates of the demo are far inside jiff's range.
        self.tz.to_timestamp(dt).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    pub fn weekend(&self, day: i32) -> bool {
        usize::try_from(day - self.first_day)
            .ok()
            .and_then(|i| self.weekend.get(i).copied())
            .unwrap_or(false)
    }

    pub fn month(&self, day: i32) -> i8 {
        usize::try_from(day - self.first_day)
            .ok()
            .and_then(|i| self.month.get(i).copied())
            .unwrap_or(1)
    }

    pub fn date(&self, day: i32) -> Date {
        add_days(self.today, day)
    }
}
