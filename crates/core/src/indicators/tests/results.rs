//! Rates, result objects, explanation totals, hashes and input errors.

use super::*;
use jiff::civil::date;

#[test]
fn target_is_decided_on_exact_integers_and_display_rounds_down() {
    let just_below = Rate::new(8999, 10_000, 90);
    assert_eq!(just_below.per_mille, Some(899));
    assert_eq!(just_below.display(), "89,9 %");
    assert_eq!(just_below.status, TargetStatus::NonAtteint);
    let exact = Rate::new(9, 10, 90);
    assert!(exact.meets_target());
    assert_eq!(exact.display(), "90,0 %");
    let third = Rate::new(2, 3, 70);
    assert_eq!(third.display(), "66,6 %");
    assert!(!third.meets_target());
    let huge = Rate::new(u64::MAX, 1, 90);
    assert!(huge.meets_target());
}

#[test]
fn rate_with_a_zero_denominator_is_not_computable() {
    let rate = Rate::new(0, 0, 90);
    assert_eq!(rate.status, TargetStatus::NonCalculable);
    assert_eq!(rate.per_mille, None);
    assert_eq!(rate.display(), "–");
    assert!(!rate.meets_target());
    assert!(
        TargetStatus::NonCalculable
            .label()
            .contains("non calculable")
    );
}

#[test]
fn rates_divide_the_figures_of_spec_section_3() {
    let f = Figures {
        records: 120,
        open_records: 100,
        active_records: 95,
        accompanied_persons: 100,
        active_with_care_plan: 80,
        active_with_appointment: 95,
        dmp_fed_persons: 70,
        mss_messages: 69,
        e_prescription_imports: None,
        e_parcours_exchanges: None,
    };
    let r = Rates::new(&f, &RuleSet::default());
    assert_eq!((r.active.numerator, r.active.denominator), (95, 100));
    assert!(r.active.meets_target());
    assert_eq!((r.care_plan.numerator, r.care_plan.denominator), (80, 95));
    assert!(!r.care_plan.meets_target());
    assert_eq!(
        (r.appointment.numerator, r.appointment.denominator),
        (95, 95)
    );
    assert_eq!((r.dmp.numerator, r.dmp.denominator), (70, 100));
    assert!(r.dmp.meets_target());
    assert_eq!((r.mss.numerator, r.mss.denominator), (69, 100));
    assert!(!r.mss.meets_target());
}

/// A small establishment with one record of each situation.
fn mixed_world() -> World {
    use CarePlanStatus::*;
    let mut w = World::default();
    let t = |wall: &str| local(PARIS, wall);
    // 1: active, PP, agenda, DMP.
    active_person(&mut w, 1, t("2024-03-02T10:00"));
    w.care_plan(1, 1, &[(EnCours, t("2023-09-01T10:00"))]);
    w.appointment(1, 1, t("2024-03-20T10:00"), AppointmentStatus::Valide);
    w.document(
        1,
        1,
        t("2024-03-04T10:00"),
        Some((DmpStatus::Accepte, t("2024-03-05T10:00"))),
    );
    // 2: active, PP terminated before, agenda cancelled.
    active_person(&mut w, 2, t("2024-03-03T10:00"));
    w.care_plan(
        2,
        1,
        &[
            (EnCours, t("2023-01-01T10:00")),
            (Termine, t("2024-01-15T10:00")),
        ],
    );
    w.appointment(2, 1, t("2024-03-21T10:00"), AppointmentStatus::Annule);
    // 3: accompanied, only technical changes.
    w.stay(3, 1, date(2024, 2, 1), None);
    w.event(3, 1, EventKind::Consultation, t("2024-03-10T10:00"));
    // 4: left before the period.
    w.stay(4, 1, date(2023, 1, 1), Some(date(2024, 1, 31)));
    // 5: admitted after the period.
    w.stay(5, 1, date(2024, 5, 1), None);
    // Messages.
    w.message(1, Some(1), t("2024-03-06T10:00"));
    w.message(1, None, t("2024-03-07T10:00"));
    w
}

#[test]
fn explanation_adds_up_to_the_figures_and_compute_gives_the_same_result() {
    let w = mixed_world();
    let x = w.explain(&paris(), march_2024());
    let f = x.result.figures;
    assert_eq!(f.records, 4);
    assert_eq!(f.open_records, 3);
    assert_eq!(f.accompanied_persons, 3);
    assert_eq!(f.active_records, 2);
    assert_eq!(f.active_with_care_plan, 1);
    assert_eq!(f.active_with_appointment, 1);
    assert_eq!(f.dmp_fed_persons, 1);
    assert_eq!(f.mss_messages, 2);
    assert_eq!(f.e_prescription_imports, None);
    let report = compute(&RuleSet::default(), march_2024(), &[w.activity(&paris())]).unwrap();
    assert_eq!(report.establishments, vec![x.result.clone()]);
    assert_eq!(report.rule_set_id, "esms-numerique-2024.1");
    // Every record has a verdict for every indicator, with a reason when
    // not counted.
    for r in &x.explanation.records {
        for i in Indicator::ALL {
            let v = r.verdict(i);
            assert_eq!(v.counted, v.reason.is_none(), "{i:?}");
        }
    }
}

#[test]
fn counted_records_are_sorted_and_hashed_canonically() {
    let counted = CountedRecords::new(
        Indicator::Active,
        vec![PersonId(10), PersonId(2), PersonId(1), PersonId(2)],
    );
    assert_eq!(
        counted.person_ids,
        vec![PersonId(1), PersonId(2), PersonId(10)]
    );
    // printf '1\n2\n10\n' | sha256sum
    assert_eq!(
        counted.sha256,
        "29186ee59865abdf5f37da40cefc9e7f345e49860aefd7a8f43438cdaf88f856"
    );
    let x = mixed_world().explain(&paris(), march_2024());
    let active = x.explanation.counted(Indicator::Active);
    assert_eq!(active.person_ids, vec![PersonId(1), PersonId(2)]);
    assert_eq!(x.result.active_records_sha256, active.sha256);
    assert_eq!(
        active.sha256,
        record_list_sha256(&[PersonId(2), PersonId(1)])
    );
}

#[test]
fn result_and_explanation_serialise_with_the_rule_set_and_french_labels() {
    let x = mixed_world().explain(&paris(), march_2024());
    let json = serde_json::to_string(&x.result).unwrap();
    for needle in [
        "\"finess\":\"330780495\"",
        "\"rule_set_id\":\"esms-numerique-2024.1\"",
        "\"from\":\"2024-03-01\"",
        "\"status\":\"NON_ATTEINT\"",
    ] {
        assert!(json.contains(needle), "{needle} in {json}");
    }
    let back: EstablishmentResult = serde_json::from_str(&json).unwrap();
    assert_eq!(back, x.result);
    let json = serde_json::to_string(&x.explanation).unwrap();
    assert!(json.contains("non compté : séjour terminé avant la période, le 31/01/2024"));
    assert!(json.contains("\"code\":\"STAY_ENDED_BEFORE\""));
    let back: EstablishmentExplanation = serde_json::from_str(&json).unwrap();
    assert_eq!(back, x.explanation);
}

#[test]
fn the_same_establishment_or_record_given_twice_is_refused() {
    let w = mixed_world();
    let a = w.activity(&paris());
    let rules = RuleSet::default();
    let err = compute(&rules, march_2024(), &[a.clone(), a.clone()]).unwrap_err();
    assert!(err.to_string().contains("deux fois"));
    let mut doubled = a.clone();
    doubled.records.push(a.records[0].clone());
    assert!(matches!(
        explain(&rules, march_2024(), &doubled),
        Err(IndicatorError::DuplicateRecord { .. })
    ));
}

#[test]
fn unknown_time_zone_is_refused_in_french() {
    let est = establishment(1, "330780495", "Europe/Nulle_Part");
    let err = derive_activity(&est, &World::default().raw()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "fuseau horaire IANA « Europe/Nulle_Part » inconnu"
    );
}

#[test]
fn index_rows_split_per_day_and_unordered_give_the_same_result() {
    let w = mixed_world();
    let whole = w.activity(&paris());
    let mut split = whole.clone();
    for record in &mut split.records {
        let mut rows = Vec::new();
        for row in &record.days {
            for day in 0..31 {
                if row.days & (1 << day) != 0 {
                    rows.push(MonthDays {
                        days: 1 << day,
                        ..*row
                    });
                }
            }
        }
        rows.reverse();
        record.days = rows;
    }
    split.records.reverse();
    let rules = RuleSet::default();
    let p = period(date(2023, 12, 15), date(2024, 3, 31));
    assert_eq!(
        explain(&rules, p, &whole).unwrap(),
        explain(&rules, p, &split).unwrap()
    );
    // The canonical form makes the index and the raw derivation comparable.
    assert_ne!(split, whole);
    split.normalize();
    let mut normal = whole.clone();
    normal.normalize();
    assert_eq!(split, normal);
    assert_eq!(
        normal, whole,
        "derive_activity already gives the canonical form"
    );
}

#[test]
fn establishment_without_anyone_has_rates_not_computable() {
    let report = compute(
        &RuleSet::default(),
        march_2024(),
        &[World::default().activity(&paris())],
    )
    .unwrap();
    let r = &report.establishments[0];
    assert_eq!(r.figures.records, 0);
    assert_eq!(r.rates.active.status, TargetStatus::NonCalculable);
    assert_eq!(r.name, "ESSMS 1");
}

#[test]
fn mark_indexes_are_distinct_and_fit_the_bitset() {
    let mut seen = std::collections::BTreeSet::new();
    for mark in Mark::all() {
        assert!(mark.index() < 64, "the engine keeps marks in a u64");
        assert!(seen.insert(mark.index()), "{mark:?}");
    }
}

#[test]
fn figures_and_rates_tables_follow_the_spec_order() {
    let x = mixed_world().explain(&paris(), march_2024());
    let figures = x.result.figures.table();
    assert_eq!(figures[2], ("DUI actifs", Some(2)));
    assert_eq!(figures[8].1, None);
    let rates = x.result.rates.table();
    assert_eq!(rates[0].0, "Taux de dossiers actifs");
    assert_eq!(rates[0].1.display(), "66,6 %");
}

/// The engine alone on the bench's shape: 500 establishments × 100 records,
/// 6 months of index rows, a 3-month period. Run with
/// `cargo test --release -p carnet-core engine_speed -- --ignored --nocapture`.
#[test]
#[ignore = "timing, run by hand in release"]
fn engine_speed_on_500_establishments_of_100_records() {
    let kinds = [
        Mark::Activity(ActivitySource::Event(EventKind::Transmission)),
        Mark::Activity(ActivitySource::Event(EventKind::Soin)),
        Mark::Activity(ActivitySource::Event(EventKind::Consultation)),
        Mark::Appointment,
        Mark::DmpAccepted,
    ];
    let establishments: Vec<EstablishmentActivity> = (0..500i64)
        .map(|e| EstablishmentActivity {
            establishment_id: EstablishmentId(e),
            finess: "330780495".parse().unwrap(),
            name: format!("ESSMS {e}"),
            time_zone: PARIS.to_owned(),
            records: (0..100i64)
                .map(|p| RecordActivity {
                    person_id: PersonId(e * 1000 + p),
                    exists_from: date(2023, 1, 1),
                    stays: vec![StaySpan {
                        start: date(2023, 1, 1),
                        end: (p % 10 == 0).then(|| date(2024, 2, 1)),
                    }],
                    care_plans: vec![CarePlanSpan {
                        care_plan_id: CarePlanId(p),
                        status: CarePlanStatus::EnCours,
                        from: date(2023, 2, 1),
                        until: None,
                    }],
                    days: (1..=6i8)
                        .flat_map(|m| {
                            kinds.iter().map(move |&mark| MonthDays {
                                month: Month::new(2024, m).unwrap(),
                                mark,
                                days: (p as u32).wrapping_mul(2_654_435_761) >> (m as u32 + 3),
                            })
                        })
                        .collect(),
                })
                .collect(),
            mss_messages: vec![DayCount {
                day: date(2024, 3, 3),
                count: 12,
            }],
        })
        .collect();
    let rules = RuleSet::default();
    let p = period(date(2024, 2, 1), date(2024, 4, 30));
    let mut best = std::time::Duration::MAX;
    for _ in 0..10 {
        let started = std::time::Instant::now();
        let report = compute(&rules, p, &establishments).unwrap();
        best = best.min(started.elapsed());
        assert_eq!(report.establishments.len(), 500);
    }
    println!("compute, 50 000 records, 3 months: {best:?}");
    let started = std::time::Instant::now();
    for e in &establishments {
        explain(&rules, p, e).unwrap();
    }
    println!("explain, 50 000 records: {:?}", started.elapsed());
}
