//! Business events, projet personnalisé, agenda, DMP, MSSanté (SPEC.md §2.4, §3).

use super::*;
use jiff::civil::date;

// ---- business events (SPEC.md §2.4) ------------------------------------------

#[test]
fn only_technical_changes_do_not_make_a_record_active() {
    let mut w = World::default();
    w.stay(1, 1, date(2024, 1, 1), None);
    w.event(
        1,
        1,
        EventKind::Consultation,
        local(PARIS, "2024-03-05T10:00"),
    );
    w.event(
        1,
        1,
        EventKind::Reindexation,
        local(PARIS, "2024-03-06T10:00"),
    );
    w.event(
        1,
        1,
        EventKind::ImportDonnees,
        local(PARIS, "2024-03-07T10:00"),
    );
    w.event(
        1,
        1,
        EventKind::CorrectionIdentite,
        local(PARIS, "2024-03-08T10:00"),
    );
    let x = w.explain(&paris(), march_2024());
    assert_eq!(x.result.figures.active_records, 0);
    let Some(Reason::OnlyTechnicalChanges { sources }) = reason(&x, 1, Indicator::Active) else {
        panic!("only technical changes expected")
    };
    assert_eq!(sources.len(), 4);
    assert!(sources.contains(&ActivitySource::Event(EventKind::Consultation)));
}

#[test]
fn business_event_before_the_period_does_not_make_it_active() {
    let mut w = World::default();
    active_person(&mut w, 1, local(PARIS, "2024-02-29T23:59:59"));
    let x = w.explain(&paris(), march_2024());
    assert_eq!(
        reason(&x, 1, Indicator::Active),
        Some(Reason::NoBusinessEvent)
    );
}

#[test]
fn other_sources_count_as_business_activity_unless_the_rule_set_says_no() {
    let mut w = World::default();
    w.stay(1, 1, date(2024, 1, 1), None);
    w.document(1, 1, local(PARIS, "2024-03-05T10:00"), None);
    assert_eq!(
        w.explain(&paris(), march_2024())
            .result
            .figures
            .active_records,
        1
    );
    let mut rules = RuleSet::esms_numerique_2024();
    rules.business_sources.document_added = false;
    let x = w.explain_with(&rules, &paris(), march_2024());
    assert_eq!(
        reason(&x, 1, Indicator::Active),
        Some(Reason::OnlyTechnicalChanges {
            sources: vec![ActivitySource::DocumentAdded]
        })
    );
    assert_eq!(x.result.rule_set_sha256, rules.sha256());
}

#[test]
fn appointment_that_took_place_is_a_business_event_but_a_cancelled_one_is_not() {
    let mut w = World::default();
    w.stay(1, 1, date(2024, 1, 1), None);
    w.stay(2, 1, date(2024, 1, 1), None);
    let at = local(PARIS, "2024-03-12T14:00");
    w.appointment(1, 1, at, AppointmentStatus::Termine);
    w.appointment(2, 1, at, AppointmentStatus::Annule);
    let x = w.explain(&paris(), march_2024());
    assert!(verdict(&x, 1, Indicator::Active).counted);
    assert!(verdict(&x, 1, Indicator::ActiveWithAppointment).counted);
    assert_eq!(
        reason(&x, 2, Indicator::Active),
        Some(Reason::NoBusinessEvent)
    );
}

#[test]
fn mss_message_about_the_person_is_activity_and_counts_once_per_message() {
    let mut w = World::default();
    w.stay(1, 1, date(2024, 1, 1), None);
    w.message(1, Some(1), local(PARIS, "2024-03-31T23:30"));
    w.message(1, None, local(PARIS, "2024-03-02T08:00"));
    w.message(1, None, local(PARIS, "2024-03-02T09:00"));
    w.message(1, None, local(PARIS, "2024-04-01T00:10")); // April locally
    let x = w.explain(&paris(), march_2024());
    assert_eq!(x.result.figures.mss_messages, 3);
    assert_eq!(x.result.figures.active_records, 1);
    // SPEC.md §3: may exceed 100 % of persons.
    assert_eq!(x.result.rates.mss.per_mille, Some(3000));
    assert!(x.result.rates.mss.meets_target());
}

// ---- projet personnalisé -------------------------------------------------------

fn with_plan(history: &[(CarePlanStatus, &str)]) -> World {
    let mut w = World::default();
    active_person(&mut w, 1, local(PARIS, "2024-03-15T10:00"));
    let history: Vec<_> = history
        .iter()
        .map(|&(s, wall)| (s, local(PARIS, wall)))
        .collect();
    w.care_plan(1, 1, &history);
    w
}

#[test]
fn care_plan_in_preparation_or_active_during_the_period_counts() {
    use CarePlanStatus::*;
    for status in [EnPreparation, EnCours] {
        let w = with_plan(&[(status, "2023-06-01T10:00")]);
        let x = w.explain(&paris(), march_2024());
        assert_eq!(x.result.figures.active_with_care_plan, 1, "{status}");
    }
}

#[test]
fn care_plan_terminated_before_the_period_is_not_counted() {
    use CarePlanStatus::*;
    let w = with_plan(&[(EnCours, "2023-06-01T10:00"), (Termine, "2024-02-20T10:00")]);
    let x = w.explain(&paris(), march_2024());
    assert_eq!(
        reason(&x, 1, Indicator::ActiveWithCarePlan),
        Some(Reason::CarePlanTerminated {
            on: date(2024, 2, 20)
        })
    );
    assert!(
        verdict(&x, 1, Indicator::ActiveWithCarePlan)
            .label()
            .contains("projet personnalisé terminé le 20/02/2024")
    );
}

#[test]
fn care_plan_terminated_at_local_midnight_of_the_first_day_is_not_counted() {
    use CarePlanStatus::*;
    let w = with_plan(&[(EnCours, "2023-06-01T10:00"), (Termine, "2024-03-01T00:00")]);
    let x = w.explain(&paris(), march_2024());
    assert_eq!(
        reason(&x, 1, Indicator::ActiveWithCarePlan),
        Some(Reason::CarePlanTerminated {
            on: date(2024, 3, 1)
        })
    );
    // One second later, it was still active during the period.
    let w = with_plan(&[
        (EnCours, "2023-06-01T10:00"),
        (Termine, "2024-03-01T00:00:01"),
    ]);
    assert_eq!(
        w.explain(&paris(), march_2024())
            .result
            .figures
            .active_with_care_plan,
        1
    );
}

#[test]
fn care_plan_terminated_during_the_period_counts() {
    use CarePlanStatus::*;
    let w = with_plan(&[(EnCours, "2023-06-01T10:00"), (Termine, "2024-03-20T10:00")]);
    assert_eq!(
        w.explain(&paris(), march_2024())
            .result
            .figures
            .active_with_care_plan,
        1
    );
}

#[test]
fn care_plan_paused_during_the_whole_period_counts_only_if_the_rule_set_says_so() {
    use CarePlanStatus::*;
    let w = with_plan(&[(EnCours, "2023-06-01T10:00"), (EnPause, "2024-02-01T10:00")]);
    let x = w.explain(&paris(), march_2024());
    assert_eq!(
        reason(&x, 1, Indicator::ActiveWithCarePlan),
        Some(Reason::CarePlanPaused)
    );
    let mut rules = RuleSet::esms_numerique_2024();
    rules.care_plan_paused_counts = true;
    let x = w.explain_with(&rules, &paris(), march_2024());
    assert_eq!(x.result.figures.active_with_care_plan, 1);
    assert_ne!(x.result.rule_set_sha256, RuleSet::default().sha256());
}

#[test]
fn care_plan_begun_after_the_period_or_missing_is_not_counted() {
    use CarePlanStatus::*;
    let w = with_plan(&[(EnPreparation, "2024-04-02T10:00")]);
    let x = w.explain(&paris(), march_2024());
    assert_eq!(
        reason(&x, 1, Indicator::ActiveWithCarePlan),
        Some(Reason::CarePlanStartsAfter {
            on: date(2024, 4, 2)
        })
    );
    let w = with_plan(&[]);
    let x = w.explain(&paris(), march_2024());
    assert_eq!(
        reason(&x, 1, Indicator::ActiveWithCarePlan),
        Some(Reason::NoCarePlan)
    );
}

#[test]
fn care_plan_of_a_record_that_is_not_active_is_not_counted() {
    use CarePlanStatus::*;
    let mut w = World::default();
    w.stay(1, 1, date(2024, 1, 1), None);
    w.care_plan(1, 1, &[(EnCours, local(PARIS, "2023-06-01T10:00"))]);
    let x = w.explain(&paris(), march_2024());
    assert_eq!(x.result.figures.active_with_care_plan, 0);
    assert_eq!(
        reason(&x, 1, Indicator::ActiveWithCarePlan),
        Some(Reason::NoBusinessEvent)
    );
}

// ---- agenda ----------------------------------------------------------------------

#[test]
fn cancelled_agenda_events_only_are_not_counted() {
    let mut w = World::default();
    active_person(&mut w, 1, local(PARIS, "2024-03-15T10:00"));
    w.appointment(
        1,
        1,
        local(PARIS, "2024-03-16T10:00"),
        AppointmentStatus::Annule,
    );
    w.appointment(
        1,
        1,
        local(PARIS, "2024-03-18T10:00"),
        AppointmentStatus::Annule,
    );
    let x = w.explain(&paris(), march_2024());
    assert_eq!(
        reason(&x, 1, Indicator::ActiveWithAppointment),
        Some(Reason::AppointmentsCancelled)
    );
    assert!(
        verdict(&x, 1, Indicator::ActiveWithAppointment)
            .label()
            .contains("tous annulés")
    );
}

#[test]
fn planned_or_validated_agenda_event_in_the_period_counts() {
    for status in [AppointmentStatus::Planifie, AppointmentStatus::Valide] {
        let mut w = World::default();
        active_person(&mut w, 1, local(PARIS, "2024-03-15T10:00"));
        w.appointment(
            1,
            1,
            local(PARIS, "2024-03-16T10:00"),
            AppointmentStatus::Annule,
        );
        w.appointment(1, 1, local(PARIS, "2024-03-31T23:45"), status);
        let x = w.explain(&paris(), march_2024());
        assert_eq!(x.result.figures.active_with_appointment, 1, "{status}");
    }
}

#[test]
fn agenda_event_outside_the_period_is_no_agenda_event() {
    let mut w = World::default();
    active_person(&mut w, 1, local(PARIS, "2024-03-15T10:00"));
    w.appointment(
        1,
        1,
        local(PARIS, "2024-04-01T00:00"),
        AppointmentStatus::Planifie,
    );
    let x = w.explain(&paris(), march_2024());
    assert_eq!(
        reason(&x, 1, Indicator::ActiveWithAppointment),
        Some(Reason::NoAppointment)
    );
}

// ---- DMP -------------------------------------------------------------------------

#[test]
fn rejected_or_pending_dmp_documents_do_not_feed_the_dmp() {
    let mut w = World::default();
    let added = local(PARIS, "2024-03-01T09:00");
    let answered = local(PARIS, "2024-03-02T09:00");
    for person in 1..=4 {
        w.stay(person, 1, date(2024, 1, 1), None);
    }
    w.document(1, 1, added, Some((DmpStatus::Accepte, answered)));
    w.document(2, 1, added, Some((DmpStatus::Rejete, answered)));
    w.document(3, 1, added, Some((DmpStatus::Envoye, answered)));
    w.document(
        4,
        1,
        added,
        Some((DmpStatus::Accepte, local(PARIS, "2024-04-01T00:00"))),
    );
    let x = w.explain(&paris(), march_2024());
    assert_eq!(x.result.figures.dmp_fed_persons, 1);
    assert_eq!(reason(&x, 2, Indicator::DmpFed), Some(Reason::DmpRejected));
    assert_eq!(reason(&x, 3, Indicator::DmpFed), Some(Reason::DmpPending));
    assert_eq!(
        reason(&x, 4, Indicator::DmpFed),
        Some(Reason::NoDmpDocument)
    );
    // 1 of 4 persons: 25 %, below the 70 % target.
    assert_eq!(x.result.rates.dmp.display(), "25,0 %");
    assert_eq!(x.result.rates.dmp.status, TargetStatus::NonAtteint);
}

#[test]
fn a_new_care_plan_after_a_terminated_one_counts() {
    use CarePlanStatus::*;
    let mut w = with_plan(&[(EnCours, "2023-01-01T10:00"), (Termine, "2024-01-10T10:00")]);
    w.care_plan(1, 1, &[(EnPreparation, local(PARIS, "2024-03-30T10:00"))]);
    let x = w.explain(&paris(), march_2024());
    assert_eq!(x.result.figures.active_with_care_plan, 1);
}
