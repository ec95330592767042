//! Local days: time zones, DST, leap day (DESIGN.md §4.2).

use super::*;
use jiff::civil::date;

// ---- local days, time zones, DST, leap day (DESIGN.md §4.2) -----------------

#[test]
fn event_just_before_local_midnight_counts_on_that_local_day() {
    let mut w = World::default();
    // 23:59:59 in Paris on 31 March 2024 is 21:59:59 UTC.
    active_person(&mut w, 1, local(PARIS, "2024-03-31T23:59:59"));
    assert!(
        w.explain(&paris(), march_2024())
            .result
            .figures
            .active_records
            == 1
    );
    let april = period(date(2024, 4, 1), date(2024, 4, 30));
    assert_eq!(w.explain(&paris(), april).result.figures.active_records, 0);
}

#[test]
fn event_at_local_midnight_belongs_to_the_next_local_day_although_utc_says_otherwise() {
    let mut w = World::default();
    // 00:00 in Paris on 1 April 2024 is 31 March 22:00 UTC.
    let at = local(PARIS, "2024-04-01T00:00:00");
    assert_eq!(at.to_string(), "2024-03-31T22:00:00Z");
    active_person(&mut w, 1, at);
    assert_eq!(
        reason(&w.explain(&paris(), march_2024()), 1, Indicator::Active),
        Some(Reason::NoBusinessEvent)
    );
    let april_1 = period(date(2024, 4, 1), date(2024, 4, 1));
    assert_eq!(
        w.explain(&paris(), april_1).result.figures.active_records,
        1
    );
}

#[test]
fn reunion_evening_utc_is_the_next_local_day() {
    let est = establishment(1, "970400016", REUNION);
    let mut w = World::default();
    // 21:00 UTC on 31 January is 01:00 on 1 February in La Réunion (UTC+4).
    let at: Timestamp = "2024-01-31T21:00:00Z".parse().unwrap();
    active_person(&mut w, 1, at);
    let jan = period(date(2024, 1, 1), date(2024, 1, 31));
    let feb = period(date(2024, 2, 1), date(2024, 2, 29));
    assert_eq!(w.explain(&est, jan).result.figures.active_records, 0);
    assert_eq!(w.explain(&est, feb).result.figures.active_records, 1);
}

#[test]
fn cayenne_early_utc_morning_is_still_the_previous_local_day() {
    let est = establishment(1, "970300018", CAYENNE);
    let mut w = World::default();
    // 02:00 UTC on 1 February is 23:00 on 31 January in Guyane (UTC−3).
    let at: Timestamp = "2024-02-01T02:00:00Z".parse().unwrap();
    active_person(&mut w, 1, at);
    let jan = period(date(2024, 1, 1), date(2024, 1, 31));
    let feb = period(date(2024, 2, 1), date(2024, 2, 29));
    assert_eq!(w.explain(&est, jan).result.figures.active_records, 1);
    assert_eq!(w.explain(&est, feb).result.figures.active_records, 0);
}

#[test]
fn paris_spring_forward_day_has_23_hours_and_its_edges_are_exact() {
    // Last Sunday of March 2024: 31 March, 02:00 → 03:00.
    let day = period(date(2024, 3, 31), date(2024, 3, 31));
    let mut w = World::default();
    active_person(&mut w, 1, local(PARIS, "2024-03-31T00:30:00")); // 23:30 UTC on 30 March
    active_person(&mut w, 2, local(PARIS, "2024-03-31T23:59:59")); // 21:59:59 UTC
    active_person(&mut w, 3, local(PARIS, "2024-03-30T23:59:59"));
    active_person(&mut w, 4, local(PARIS, "2024-04-01T00:00:00"));
    let x = w.explain(&paris(), day);
    assert_eq!(x.result.figures.active_records, 2);
    assert!(verdict(&x, 1, Indicator::Active).counted);
    assert!(verdict(&x, 2, Indicator::Active).counted);
}

#[test]
fn paris_fall_back_day_has_25_hours_and_its_edges_are_exact() {
    // Last Sunday of October 2024: 27 October, 03:00 → 02:00.
    let day = period(date(2024, 10, 27), date(2024, 10, 27));
    let mut w = World::default();
    active_person(&mut w, 1, "2024-10-26T22:00:00Z".parse().unwrap()); // 00:00 local
    active_person(&mut w, 2, "2024-10-27T22:59:59Z".parse().unwrap()); // 23:59:59 local
    active_person(&mut w, 3, "2024-10-26T21:59:59Z".parse().unwrap()); // 26 Oct 23:59:59
    active_person(&mut w, 4, "2024-10-27T23:00:00Z".parse().unwrap()); // 28 Oct 00:00
    let x = w.explain(&paris(), day);
    assert_eq!(x.result.figures.active_records, 2);
    assert!(verdict(&x, 1, Indicator::Active).counted);
    assert!(verdict(&x, 2, Indicator::Active).counted);
}

#[test]
fn leap_day_2024_02_29_is_a_day_of_february() {
    let mut w = World::default();
    active_person(&mut w, 1, local(PARIS, "2024-02-29T12:00"));
    let leap = period(date(2024, 2, 29), date(2024, 2, 29));
    assert_eq!(w.explain(&paris(), leap).result.figures.active_records, 1);
    let feb = RuleSet::default()
        .preset("mois")
        .unwrap()
        .period(date(2024, 3, 1))
        .unwrap();
    assert_eq!(feb.to(), date(2024, 2, 29));
    assert_eq!(w.explain(&paris(), feb).result.figures.active_records, 1);
    let row = &w.activity(&paris()).records[0].days;
    assert!(row.iter().any(|r| r.days == 1 << 28));
}

#[test]
fn the_same_instant_is_a_different_local_day_in_paris_and_la_reunion() {
    let paris = establishment(1, "330780495", PARIS);
    let reunion = establishment(2, "970400016", REUNION);
    let mut w = World::default();
    // 21:30 UTC on 31 March 2024: 23:30 in Paris, 01:30 on 1 April in La Réunion.
    let at: Timestamp = "2024-03-31T21:30:00Z".parse().unwrap();
    for est in [1, 2] {
        w.stay(1, est, date(2024, 1, 1), None);
        w.event(1, est, EventKind::Entretien, at);
    }
    let report = compute(
        &RuleSet::default(),
        march_2024(),
        &[w.activity(&paris), w.activity(&reunion)],
    )
    .unwrap();
    assert_eq!(report.establishments[0].figures.active_records, 1);
    assert_eq!(report.establishments[1].figures.active_records, 0);
    assert_eq!(report.establishments[1].time_zone, REUNION);
}
