//! The demo organisation: valid, deterministic, referentially sound, uneven.

// Helpers of this test binary are test code too (clippy only exempts `#[test]` fns).
#![allow(clippy::unwrap_used)]

use carnet_core::interchange::Line;
use carnet_core::model::*;
use carnet_demo::{DemoParams, generate};
use jiff::civil::{Date, date};
use jiff::{Timestamp, ToSpan};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const TODAY: Date = date(2026, 11, 23);

fn standard() -> &'static [Line] {
    static LINES: OnceLock<Vec<Line>> = OnceLock::new();
    LINES.get_or_init(|| generate(&DemoParams::standard(), 7, TODAY).collect())
}

fn kind(line: &Line) -> &'static str {
    match line {
        Line::Header(_) => "header",
        Line::Organisation(_) => "organisation",
        Line::Establishment(_) => "establishment",
        Line::Professional(_) => "professional",
        Line::Person(_) => "person",
        Line::IdentityChange(_) => "identity_change",
        Line::Stay(_) => "stay",
        Line::CarePlan(_) => "care_plan",
        Line::Event(_) => "event",
        Line::Appointment(_) => "appointment",
        Line::Blob(_) => "blob",
        Line::Document(_) => "document",
        Line::Message(_) => "message",
    }
}

fn counts(lines: &[Line]) -> HashMap<&'static str, usize> {
    let mut counts = HashMap::new();
    for line in lines {
        *counts.entry(kind(line)).or_default() += 1;
    }
    counts
}

/// Start of a local day of the establishment, as an instant.
fn local_midnight(day: Date, tz: &str) -> Timestamp {
    day.at(0, 0, 0, 0).in_tz(tz).unwrap().timestamp()
}

#[test]
fn same_seed_same_lines_and_another_seed_other_lines() {
    let again = generate(&DemoParams::standard(), 7, TODAY);
    let mut n = 0;
    for (a, b) in standard().iter().zip(again) {
        assert_eq!(a.to_json(), b.to_json());
        n += 1;
    }
    assert_eq!(n, standard().len());
    let other: Vec<String> = generate(&DemoParams::standard(), 8, TODAY)
        .take(2000)
        .map(|l| l.to_json())
        .collect();
    let mine: Vec<String> = standard().iter().take(2000).map(|l| l.to_json()).collect();
    assert_ne!(other, mine);
}

#[test]
fn every_line_is_valid_and_reads_back_identical() {
    for line in standard() {
        let errors = line.validate(true);
        assert!(errors.is_empty(), "{}: {errors:?}", line.to_json());
        let json = line.to_json();
        assert_eq!(&Line::parse(&json).unwrap(), line, "{json}");
    }
}

#[test]
fn every_reference_points_to_an_earlier_line_and_ids_are_sequential() {
    let mut last: HashMap<&str, i64> = HashMap::new();
    let mut seq = |kind: &'static str, id: i64| {
        let previous = last.insert(kind, id).unwrap_or(0);
        assert_eq!(id, previous + 1, "{kind} ids are sequential");
    };
    let (mut orgs, mut estabs, mut pros, mut persons, mut stays, mut docs, mut blobs) = (
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
    );
    let lines = standard();
    assert!(matches!(lines[0], Line::Header(_)));
    for line in lines {
        match line {
            Line::Header(_) => {}
            Line::Organisation(o) => {
                orgs.insert(o.id);
            }
            Line::Establishment(e) => {
                assert!(orgs.contains(&e.organisation_id));
                seq("establishment", e.id.0);
                estabs.insert(e.id);
            }
            Line::Professional(p) => {
                seq("professional", p.id.0);
                assert!(p.establishment_ids.iter().all(|e| estabs.contains(e)));
                pros.insert(p.id);
            }
            Line::Person(p) => {
                seq("person", p.id.0);
                assert!(orgs.contains(&p.organisation_id));
                persons.insert(p.id);
            }
            Line::IdentityChange(c) => {
                assert!(persons.contains(&c.person_id));
                assert!(c.by.is_none_or(|b| pros.contains(&b)));
            }
            Line::Stay(s) => {
                seq("stay", s.id.0);
                assert!(persons.contains(&s.person_id) && estabs.contains(&s.establishment_id));
                stays.insert(s.id);
            }
            Line::CarePlan(c) => {
                seq("care_plan", c.id.0);
                assert!(persons.contains(&c.person_id) && stays.contains(&c.stay_id));
                assert!(
                    c.history
                        .iter()
                        .all(|h| h.by.is_none_or(|b| pros.contains(&b)))
                );
            }
            Line::Event(e) => {
                seq("event", e.id.0);
                assert!(persons.contains(&e.person_id) && estabs.contains(&e.establishment_id));
                assert!(e.author_id.is_none_or(|a| pros.contains(&a)));
            }
            Line::Appointment(a) => {
                seq("appointment", a.id.0);
                assert!(persons.contains(&a.person_id));
                assert!(a.professional_id.is_none_or(|p| pros.contains(&p)));
            }
            Line::Blob(b) => {
                blobs.insert(b.sha256.clone());
            }
            Line::Document(d) => {
                seq("document", d.id.0);
                assert!(persons.contains(&d.person_id) && blobs.contains(&d.sha256));
                assert!(d.added_by.is_none_or(|p| pros.contains(&p)));
                docs.insert(d.id);
            }
            Line::Message(m) => {
                seq("message", m.id.0);
                assert!(m.person_id.is_none_or(|p| persons.contains(&p)));
                assert!(m.sender_id.is_none_or(|p| pros.contains(&p)));
                assert!(m.document_ids.iter().all(|d| docs.contains(d)));
            }
        }
    }
}

#[test]
fn the_standard_organisation_has_the_expected_size_and_variety() {
    let lines = standard();
    let counts = counts(lines);
    eprintln!("{counts:?}");
    assert_eq!(counts["organisation"], 1);
    assert!((18..=22).contains(&counts["establishment"]));
    assert!(
        (1_300..=1_800).contains(&counts["person"]),
        "{}",
        counts["person"]
    );
    assert!(counts["event"] >= 50_000);
    for kind in [
        "professional",
        "identity_change",
        "stay",
        "care_plan",
        "appointment",
        "blob",
        "document",
        "message",
    ] {
        assert!(counts.get(kind).copied().unwrap_or(0) > 100, "{kind}");
    }
    let mut categories = HashSet::new();
    let mut sectors = HashSet::new();
    let mut statuses = HashSet::new();
    let mut plan_statuses = HashSet::new();
    let mut dmp = HashSet::new();
    let (mut objections, mut cancelled, mut rpps, mut temporary_absences) = (0, 0, 0, 0);
    let (mut coordination, mut attachments, mut paused) = (0, 0, 0);
    let mut places: HashMap<PersonId, HashSet<EstablishmentId>> = HashMap::new();
    for line in lines {
        match line {
            Line::Organisation(o) => assert!(o.demo && o.finess_ej.is_some()),
            Line::Establishment(e) => {
                categories.insert(e.category);
                sectors.insert(e.sector);
            }
            Line::Professional(p) => rpps += usize::from(p.rpps.is_some()),
            Line::Person(p) => {
                statuses.insert(p.identity_status);
                if let Some(ins) = &p.ins {
                    assert_eq!(ins.oid(), carnet_core::InsOid::Demo);
                }
            }
            Line::Stay(s) => {
                temporary_absences += usize::from(s.end_kind == Some(EndKind::AbsenceTemporaire));
                places
                    .entry(s.person_id)
                    .or_default()
                    .insert(s.establishment_id);
            }
            Line::CarePlan(c) => {
                plan_statuses.extend(c.history.iter().map(|h| h.status));
                paused += usize::from(
                    c.history
                        .iter()
                        .any(|h| h.status == CarePlanStatus::EnPause),
                );
            }
            Line::Message(m) => {
                coordination += usize::from(m.person_id.is_none());
                attachments += usize::from(!m.document_ids.is_empty());
            }
            Line::Appointment(a) => {
                cancelled += usize::from(a.status == AppointmentStatus::Annule);
            }
            Line::Document(d) => {
                dmp.insert(d.dmp_status);
                objections += usize::from(d.dmp_objection);
            }
            _ => {}
        }
    }
    assert!(categories.len() >= 12, "{categories:?}");
    assert!(sectors.len() >= 4, "{sectors:?}");
    assert_eq!(statuses.len(), 4, "{statuses:?}");
    assert_eq!(plan_statuses.len(), 4, "{plan_statuses:?}");
    assert!(dmp.contains(&DmpStatus::Accepte) && dmp.contains(&DmpStatus::Rejete));
    assert!(objections > 0 && cancelled > 0 && rpps > 0 && temporary_absences > 0);
    assert!(coordination > 0 && attachments > 0 && paused > 0);
    // Some young adults went from an IME to an ESAT or a foyer of the organisation.
    assert!(places.values().any(|p| p.len() > 1));
}

#[test]
fn the_reunion_establishment_lives_in_its_time_zone() {
    let reunion: Vec<&Establishment> = standard()
        .iter()
        .filter_map(|l| match l {
            Line::Establishment(e) if e.finess.as_str().starts_with("9704") => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(reunion.len(), 1);
    assert_eq!(reunion[0].time_zone, "Indian/Reunion");
}

#[test]
fn the_stopped_establishment_has_nothing_in_the_last_two_months() {
    let limit = local_midnight(TODAY.checked_sub(2.months()).unwrap(), "Europe/Paris");
    let mut last: HashMap<EstablishmentId, Timestamp> = HashMap::new();
    let mut names = HashMap::new();
    for line in standard() {
        match line {
            Line::Establishment(e) => {
                names.insert(e.id, e.name.clone());
            }
            Line::Event(e) => {
                let t = last.entry(e.establishment_id).or_insert(e.at);
                *t = (*t).max(e.at);
            }
            Line::Appointment(a) => {
                let t = last.entry(a.establishment_id).or_insert(a.starts_at);
                *t = (*t).max(a.starts_at);
            }
            _ => {}
        }
    }
    let stopped: Vec<&String> = last
        .iter()
        .filter(|(_, t)| **t < limit)
        .map(|(id, _)| &names[id])
        .collect();
    assert_eq!(stopped, vec!["ESAT du Val de Garonne"]);
    assert_eq!(last.len(), names.len(), "every establishment has events");
}

/// Crude taux de dossiers actifs over the last three months (SPEC.md §3).
fn active_ratios(lines: &[Line]) -> Vec<(String, f64)> {
    let first = TODAY.checked_sub(3.months()).unwrap();
    let last = TODAY.yesterday().unwrap();
    let mut tz = HashMap::new();
    let mut accompanied: HashMap<EstablishmentId, HashSet<PersonId>> = HashMap::new();
    let mut active: HashMap<EstablishmentId, HashSet<PersonId>> = HashMap::new();
    let mut names = Vec::new();
    for line in lines {
        match line {
            Line::Establishment(e) => {
                tz.insert(e.id, e.time_zone.clone());
                names.push((e.id, e.name.clone()));
            }
            Line::Stay(s) if s.start <= last && s.end.is_none_or(|e| e >= first) => {
                accompanied
                    .entry(s.establishment_id)
                    .or_default()
                    .insert(s.person_id);
            }
            Line::Event(e) if e.kind.default_business() => {
                let zone = &tz[&e.establishment_id];
                if e.at >= local_midnight(first, zone) && e.at < local_midnight(TODAY, zone) {
                    active
                        .entry(e.establishment_id)
                        .or_default()
                        .insert(e.person_id);
                }
            }
            _ => {}
        }
    }
    names
        .into_iter()
        .map(|(id, name)| {
            let persons = accompanied.remove(&id).unwrap_or_default();
            let actives = active.remove(&id).unwrap_or_default();
            let n = persons.iter().filter(|p| actives.contains(p)).count();
            (name, n as f64 / persons.len().max(1) as f64)
        })
        .collect()
}

#[test]
fn usage_is_uneven_across_establishments() {
    let ratios = active_ratios(standard());
    eprintln!("{ratios:#?}");
    assert!(ratios.iter().filter(|(_, r)| *r >= 0.9).count() >= 3);
    assert!(ratios.iter().filter(|(_, r)| *r < 0.5).count() >= 3);
}

#[test]
fn the_large_organisation_streams_valid_lines() {
    // The first establishments only: the whole bench organisation is measured
    // by the ignored test below.
    let mut establishments = 0;
    for line in generate(&DemoParams::large(), 1, TODAY) {
        if matches!(line, Line::Establishment(_)) {
            establishments += 1;
            if establishments > 2 {
                break;
            }
        }
        assert!(line.validate(true).is_empty(), "{}", line.to_json());
    }
    assert_eq!(establishments, 3);
}

#[test]
#[ignore = "bench size: run with --release --ignored"]
fn the_large_organisation_has_the_bench_size() {
    let start = std::time::Instant::now();
    let n = generate(&DemoParams::standard(), 7, TODAY).count();
    eprintln!("standard: {n} lines in {:?}", start.elapsed());
    let start = std::time::Instant::now();
    let bytes: usize = generate(&DemoParams::standard(), 7, TODAY)
        .map(|l| l.to_json().len() + 1)
        .sum();
    eprintln!("standard as NDJSON: {bytes} bytes in {:?}", start.elapsed());
    let start = std::time::Instant::now();
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    let mut bytes = 0usize;
    for line in generate(&DemoParams::large(), 1, TODAY) {
        *counts.entry(kind(&line)).or_default() += 1;
        if counts["header"] == 1 && counts.get("event").is_some_and(|n| n.is_multiple_of(50)) {
            bytes += line.to_json().len();
        }
    }
    eprintln!(
        "{counts:?} in {:?}, ~{} MB of JSON",
        start.elapsed(),
        bytes * 50 / 1_000_000
    );
    assert!(counts["establishment"] >= 500);
    assert!(counts["person"] >= 50_000);
    assert!(counts["event"] >= 20_000_000);
}

/// Stays (start, end) of each person in each establishment.
type StaysOf = HashMap<(PersonId, EstablishmentId), Vec<(Date, Option<Date>)>>;

#[test]
fn records_are_coherent_with_stays_identities_and_today() {
    let lines = standard();
    let mut tz = HashMap::new();
    let mut category = HashMap::new();
    let mut persons = HashMap::new();
    let mut stays: StaysOf = HashMap::new();
    let mut in_force: HashMap<StayId, Vec<(Timestamp, Timestamp)>> = HashMap::new();
    let end_of_today = local_midnight(TODAY.tomorrow().unwrap(), "Europe/Paris");
    let inside = |stays: &StaysOf, p: PersonId, e: EstablishmentId, day: Date| {
        stays[&(p, e)]
            .iter()
            .any(|(s, end)| *s <= day && end.is_none_or(|end| day <= end))
    };
    for line in lines {
        match line {
            Line::Establishment(e) => {
                tz.insert(e.id, jiff::tz::TimeZone::get(&e.time_zone).unwrap());
                category.insert(e.id, e.category);
            }
            Line::Person(p) => {
                persons.insert(p.id, p.clone());
            }
            Line::Stay(s) => {
                let range = match category[&s.establishment_id] {
                    Category::Ehpad => 60..=110,
                    Category::Ime | Category::Sessad | Category::Mecs => 2..=20,
                    Category::Esat => 18..=62,
                    _ => 0..=110,
                };
                let age_years = (s.start - persons[&s.person_id].birth_date).get_days() / 365;
                assert!(
                    range.contains(&age_years),
                    "age {age_years} in {:?}",
                    category[&s.establishment_id]
                );
                stays
                    .entry((s.person_id, s.establishment_id))
                    .or_default()
                    .push((s.start, s.end));
            }
            Line::CarePlan(c) => {
                // One projet in force per stay at a time: from the first change to TERMINE.
                let first = c.history[0].at;
                let last = match c.current_status() {
                    Some(CarePlanStatus::Termine) => c.history.last().unwrap().at,
                    _ => Timestamp::MAX,
                };
                let spans = in_force.entry(c.stay_id).or_default();
                assert!(
                    spans.iter().all(|(a, b)| last <= *a || *b <= first),
                    "overlapping plans on stay {}",
                    c.stay_id
                );
                spans.push((first, last));
            }
            Line::Event(e) => {
                let day = tz[&e.establishment_id].to_datetime(e.at).date();
                assert!(
                    inside(&stays, e.person_id, e.establishment_id, day),
                    "event outside a stay: {} {:?}",
                    line.to_json(),
                    stays[&(e.person_id, e.establishment_id)]
                );
                assert!(e.at < end_of_today);
            }
            Line::Appointment(a) => {
                let day = tz[&a.establishment_id].to_datetime(a.starts_at).date();
                if a.starts_at >= end_of_today {
                    assert!(matches!(
                        a.status,
                        AppointmentStatus::Planifie | AppointmentStatus::Valide
                    ));
                } else {
                    assert!(inside(&stays, a.person_id, a.establishment_id, day));
                }
            }
            Line::Document(d) => {
                assert!(d.added_at < end_of_today);
                if let Some(sent) = d.dmp_status_at {
                    assert!(sent >= d.added_at);
                    // SPEC.md §2.2: the INS travels only with a qualified identity.
                    assert_eq!(
                        persons[&d.person_id].identity_status,
                        IdentityStatus::Qualifiee
                    );
                }
            }
            Line::Message(m) => {
                for r in m
                    .recipients
                    .iter()
                    .filter(|r| r.ends_with("@patient.mssante.fr"))
                {
                    let person = &persons[&m.person_id.unwrap()];
                    assert_eq!(person.identity_status, IdentityStatus::Qualifiee);
                    assert!(r.starts_with(person.ins.as_ref().unwrap().matricule()));
                }
            }
            _ => {}
        }
    }
}

#[test]
#[ignore = "prints a sample of each line type"]
fn peek() {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for line in standard() {
        let n = seen.entry(kind(line)).or_default();
        *n += 1;
        if *n <= 3 || (kind(line) == "event" && n.is_multiple_of(9000)) {
            println!("{}", line.to_json());
        }
    }
}
