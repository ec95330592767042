//! Stays and the file active (SPEC.md §2.3).

use super::*;
use jiff::civil::date;

// ---- stays and file active (SPEC.md §2.3) ------------------------------------

#[test]
fn stay_ending_on_the_first_day_of_the_period_is_accompanied() {
    let mut w = World::default();
    w.stay(1, 1, date(2023, 5, 1), Some(date(2024, 3, 1)));
    let x = w.explain(&paris(), march_2024());
    assert_eq!(x.result.figures.accompanied_persons, 1);
    assert_eq!(x.result.figures.open_records, 1);
}

#[test]
fn stay_starting_on_the_last_day_of_the_period_is_accompanied() {
    let mut w = World::default();
    w.stay(1, 1, date(2024, 3, 31), None);
    let x = w.explain(&paris(), march_2024());
    assert_eq!(x.result.figures.accompanied_persons, 1);
    assert_eq!(x.result.figures.records, 1);
}

#[test]
fn stay_ending_the_day_before_the_period_is_not_accompanied() {
    let mut w = World::default();
    w.stay(1, 1, date(2023, 5, 1), Some(date(2024, 2, 29)));
    w.event(
        1,
        1,
        EventKind::Transmission,
        local(PARIS, "2024-03-10T10:00"),
    );
    let x = w.explain(&paris(), march_2024());
    let f = x.result.figures;
    assert_eq!(
        (f.records, f.accompanied_persons, f.active_records),
        (1, 0, 0)
    );
    let ended = Reason::StayEndedBefore {
        on: date(2024, 2, 29),
    };
    assert_eq!(reason(&x, 1, Indicator::Open), Some(ended.clone()));
    // SPEC.md §3: actifs ⊂ ouverts; the root cause is given.
    assert_eq!(reason(&x, 1, Indicator::Active), Some(ended.clone()));
    assert_eq!(reason(&x, 1, Indicator::ActiveWithCarePlan), Some(ended));
    assert!(
        verdict(&x, 1, Indicator::Active)
            .label()
            .contains("séjour terminé avant la période, le 29/02/2024")
    );
}

#[test]
fn stay_starting_the_day_after_the_period_is_not_accompanied_nor_informatise() {
    let mut w = World::default();
    w.stay(1, 1, date(2024, 4, 1), None);
    let x = w.explain(&paris(), march_2024());
    assert_eq!(x.result.figures.records, 0);
    assert_eq!(
        reason(&x, 1, Indicator::Accompanied),
        Some(Reason::StayStartsAfter {
            on: date(2024, 4, 1)
        })
    );
    assert_eq!(
        reason(&x, 1, Indicator::Record),
        Some(Reason::RecordCreatedAfter {
            on: date(2024, 4, 1)
        })
    );
}

#[test]
fn person_with_two_stays_in_the_period_counts_once() {
    let mut w = World::default();
    w.stay(1, 1, date(2024, 1, 1), Some(date(2024, 3, 10)));
    w.stay(1, 1, date(2024, 3, 20), None);
    w.event(1, 1, EventKind::Soin, local(PARIS, "2024-03-15T10:00"));
    let x = w.explain(&paris(), march_2024());
    let f = x.result.figures;
    assert_eq!(
        (f.records, f.accompanied_persons, f.active_records),
        (1, 1, 1)
    );
}

#[test]
fn person_out_between_two_stays_during_the_whole_period_is_not_accompanied() {
    let mut w = World::default();
    w.stay(1, 1, date(2023, 1, 1), Some(date(2024, 2, 10)));
    w.stay(1, 1, date(2024, 4, 2), None);
    let x = w.explain(&paris(), march_2024());
    assert_eq!(
        reason(&x, 1, Indicator::Accompanied),
        Some(Reason::BetweenStays {
            ended: date(2024, 2, 10),
            next: date(2024, 4, 2)
        })
    );
    assert!(verdict(&x, 1, Indicator::Record).counted);
}

#[test]
fn person_in_two_establishments_counts_once_in_each() {
    let mut w = World::default();
    let a = establishment(1, "330780495", PARIS);
    let b = establishment(2, "770002319", PARIS);
    w.stay(7, 1, date(2024, 1, 1), None);
    w.stay(7, 2, date(2024, 2, 1), None);
    w.event(
        7,
        1,
        EventKind::Transmission,
        local(PARIS, "2024-03-05T09:00"),
    );
    let report = compute(
        &RuleSet::default(),
        march_2024(),
        &[w.activity(&a), w.activity(&b)],
    )
    .unwrap();
    let [ra, rb] = &report.establishments[..] else {
        panic!("two results expected")
    };
    assert_eq!(ra.finess.as_str(), "330780495");
    assert_eq!(ra.figures.accompanied_persons, 1);
    assert_eq!(rb.figures.accompanied_persons, 1);
    // The event was recorded in establishment 1: active there only.
    assert_eq!(ra.figures.active_records, 1);
    assert_eq!(rb.figures.active_records, 0);
}

#[test]
fn record_with_a_document_but_no_stay_is_informatise_but_not_open() {
    let mut w = World::default();
    w.document(3, 1, local(PARIS, "2024-03-03T12:00"), None);
    let x = w.explain(&paris(), march_2024());
    assert!(verdict(&x, 3, Indicator::Record).counted);
    assert_eq!(reason(&x, 3, Indicator::Open), Some(Reason::NoStay));
}
