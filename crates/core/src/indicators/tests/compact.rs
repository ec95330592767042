//! The compact input (`PeriodActivity`): day numbers, building rules, and the
//! same figures as the full input (also checked by every test through
//! `World::explain_with`).

use super::*;

#[test]
fn day_numbers_count_days_from_1970_and_round_trip() {
    assert_eq!(day_number(date(1970, 1, 1)), 0);
    assert_eq!(day_number(date(1969, 12, 31)), -1);
    assert_eq!(day_number(date(2000, 3, 1)), 11_017);
    assert_eq!(
        day_number(date(2024, 2, 29)) + 1,
        day_number(date(2024, 3, 1))
    );
    let mut d = date(1899, 12, 25);
    for _ in 0..80_000 {
        let n = day_number(d);
        assert_eq!(date_of_day_number(i64::from(n)), Some(d), "{d}");
        let next = d.tomorrow().unwrap();
        assert_eq!(day_number(next), n + 1, "{next}");
        d = next;
    }
    for d in [Date::MIN, Date::MAX, date(-1, 2, 28), date(9999, 12, 31)] {
        assert_eq!(date_of_day_number(i64::from(day_number(d))), Some(d));
    }
    assert_eq!(
        date_of_day_number(i64::from(day_number(Date::MAX)) + 1),
        None
    );
    assert_eq!(date_of_day_number(i64::MAX), None);
}

#[test]
fn records_must_come_in_increasing_person_order() {
    let p = march_2024();
    let rules = RuleSet::default();
    let figures = PeriodFigures::new(&rules, p).unwrap();
    let mut kept = PeriodActivity::new(&paris(), p);
    let mut counted = figures.establishment(&paris());
    let sinks: [&mut dyn PeriodSink; 2] = [&mut kept, &mut counted];
    for sink in sinks {
        sink.record(PersonId(5), 0).unwrap();
        assert!(matches!(
            sink.record(PersonId(5), 0),
            Err(IndicatorError::DuplicateRecord { .. })
        ));
        assert!(matches!(
            sink.record(PersonId(4), 0),
            Err(IndicatorError::RecordsOutOfOrder { .. })
        ));
    }
    assert_eq!(kept.len(), 1);
    assert_eq!(counted.finish().figures.records, 1);
}

#[test]
fn an_input_built_for_another_period_is_refused() {
    let a = PeriodActivity::new(&paris(), march_2024());
    let april = period(date(2024, 4, 1), date(2024, 4, 30));
    assert!(matches!(
        compute_period(&RuleSet::default(), april, &[a]),
        Err(IndicatorError::PeriodMismatch { .. })
    ));
}

#[test]
fn an_establishment_counted_twice_is_refused() {
    let rules = RuleSet::default();
    let figures = PeriodFigures::new(&rules, march_2024()).unwrap();
    let once = figures.establishment(&paris()).finish();
    assert!(matches!(
        figures.report(vec![once.clone(), once]),
        Err(IndicatorError::DuplicateEstablishment { .. })
    ));
}

#[test]
fn marks_go_to_the_last_record_given() {
    let p = march_2024();
    let day = |d: Date| day_number(d);
    let business = MarkSet::of(Mark::Activity(ActivitySource::Event(
        EventKind::Transmission,
    )));
    let mut a = PeriodActivity::new(&paris(), p);
    // Marks before any record go nowhere.
    a.marks(business);
    for person in [2, 4, 6] {
        a.record(PersonId(person), day(date(2024, 1, 1))).unwrap();
        a.stay(day(date(2024, 1, 1)), None);
        if person == 4 {
            a.marks(business);
        }
        if person == 6 {
            a.marks(MarkSet::of(Mark::DmpAccepted));
        }
    }
    let r = compute_period(&RuleSet::default(), p, &[a]).unwrap();
    let f = r.establishments[0].figures;
    assert_eq!((f.records, f.open_records, f.active_records), (3, 3, 1));
    assert_eq!(f.dmp_fed_persons, 1);
    assert_eq!(
        r.establishments[0].active_records_sha256,
        record_list_sha256(&[PersonId(4)])
    );
}

/// Stays and spans belong to the record pushed before them, open ends
/// included; a record created after the period counts in nothing.
#[test]
fn stays_and_spans_follow_their_record() {
    let p = march_2024();
    let day = |d: Date| day_number(d);
    let mut w = World::default();
    let est = paris();
    // 1: stay ended before the period, PP in force (not open).
    w.stay(1, 1, date(2023, 1, 1), Some(date(2024, 2, 29)));
    // 2: open stay, PP in force, business event: counted everywhere.
    w.stay(2, 1, date(2024, 3, 31), None);
    // 3: created after the period.
    w.stay(3, 1, date(2024, 4, 1), None);
    let at = local(PARIS, "2024-03-31T23:59:59");
    for person in [1, 2] {
        w.event(person, 1, EventKind::Transmission, at);
        w.care_plan(
            person,
            1,
            &[(CarePlanStatus::EnCours, local(PARIS, "2024-01-01T10:00:00"))],
        );
    }
    let full = w.activity(&est);
    let compact = PeriodActivity::from_activity(&full, p).unwrap();
    let r = compute_period(&RuleSet::default(), p, &[compact]).unwrap();
    let f = r.establishments[0].figures;
    assert_eq!(f.records, 2);
    assert_eq!(f.open_records, 1);
    assert_eq!(f.active_records, 1);
    assert_eq!(f.active_with_care_plan, 1);
    assert_eq!(r, compute(&RuleSet::default(), p, &[full]).unwrap());

    // The same by hand, counted as it comes.
    let rules = RuleSet::default();
    let figures = PeriodFigures::new(&rules, p).unwrap();
    let mut counter = figures.establishment(&est);
    counter.record(PersonId(2), day(date(2024, 1, 1))).unwrap();
    counter.stay(day(date(2024, 3, 31)), None);
    counter.care_plan(CarePlanStatus::EnCours, day(date(2024, 1, 1)), None);
    counter.marks(MarkSet::of(Mark::Activity(ActivitySource::Event(
        EventKind::Transmission,
    ))));
    let f = counter.finish().figures;
    assert_eq!((f.open_records, f.active_with_care_plan), (1, 1));
}
