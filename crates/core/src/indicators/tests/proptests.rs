//! Property: on random raw rows (random time zones, instants at and around
//! local midnight, DST days, month ends, leap days, random periods), the
//! engine run on `derive_activity`'s input agrees with a brute-force
//! evaluation that walks the period day by day over the raw rows, comparing
//! instants with each local day's bounds (no day bitmaps, no spans).

use super::*;
use jiff::civil::date;
use jiff::{SignedDuration, Span};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const ZONES: [&str; 6] = [
    PARIS,
    REUNION,
    CAYENNE,
    "America/Guadeloupe",
    "Indian/Mayotte",
    "America/Miquelon",
];

/// Days covered by the random data: 2023-10-01 + 0..500 (Oct. 2023 to
/// Feb. 2025: two leap-day-free winters, 29 Feb 2024, four DST changes).
const WINDOW: i64 = 500;

fn day(offset: i64) -> Date {
    date(2023, 10, 1)
        .checked_add(Span::new().days(offset))
        .unwrap()
}

fn start_of_day(d: Date, tz: &TimeZone) -> Timestamp {
    d.to_zoned_datetime(tz.clone())
        .unwrap()
        .start_of_day()
        .unwrap()
        .timestamp()
}

/// A day, often right at the edges of the period (where bugs live): the
/// period's first or last day ± 2, or anywhere in the window.
#[derive(Debug, Clone, Copy)]
enum DaySpec {
    Any(i64),
    NearStart(i64),
    NearEnd(i64),
}

fn day_spec() -> impl Strategy<Value = DaySpec> {
    prop_oneof![
        (0..WINDOW).prop_map(DaySpec::Any),
        (-2..=2i64).prop_map(DaySpec::NearStart),
        (-2..=2i64).prop_map(DaySpec::NearEnd),
    ]
}

/// The period as offsets in the window, to resolve day specs.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    start: i64,
    end: i64,
}

impl DaySpec {
    fn offset(self, b: Bounds) -> i64 {
        match self {
            DaySpec::Any(d) => d,
            DaySpec::NearStart(d) => b.start + d,
            DaySpec::NearEnd(d) => b.end + d,
        }
    }
}

/// An instant: a local day and, around its midnight, an offset in seconds
/// (−1, 0, +1, or anywhere in the day).
#[derive(Debug, Clone, Copy)]
struct When {
    day: DaySpec,
    second: i64,
}

fn when() -> impl Strategy<Value = When> {
    (
        day_spec(),
        prop_oneof![Just(-1i64), Just(0), Just(1), 0..90_000i64],
    )
        .prop_map(|(day, second)| When { day, second })
}

impl When {
    fn at(self, tz: &TimeZone, b: Bounds) -> Timestamp {
        start_of_day(day(self.day.offset(b)), tz)
            .checked_add(SignedDuration::from_secs(self.second))
            .unwrap()
    }
}

#[derive(Debug, Clone)]
enum Row {
    Stay {
        start: DaySpec,
        end: Option<DaySpec>,
    },
    Event(EventKind, When),
    Plan(Vec<(CarePlanStatus, When)>),
    Appointment(AppointmentStatus, When),
    Document(When, Option<(DmpStatus, When)>),
    Message(bool, When),
}

fn row() -> impl Strategy<Value = Row> {
    let kind = proptest::sample::select(EventKind::ALL);
    let plan_status = proptest::sample::select(CarePlanStatus::ALL);
    let appointment_status = proptest::sample::select(AppointmentStatus::ALL);
    let dmp_status = proptest::sample::select(&DmpStatus::ALL[1..]);
    prop_oneof![
        (day_spec(), proptest::option::of(day_spec()))
            .prop_map(|(start, end)| Row::Stay { start, end }),
        (kind, when()).prop_map(|(k, w)| Row::Event(k, w)),
        proptest::collection::vec((plan_status, when()), 1..4).prop_map(Row::Plan),
        (appointment_status, when()).prop_map(|(s, w)| Row::Appointment(s, w)),
        (when(), proptest::option::of((dmp_status, when())))
            .prop_map(|(w, dmp)| Row::Document(w, dmp)),
        (any::<bool>(), when()).prop_map(|(p, w)| Row::Message(p, w)),
    ]
}

/// Rows of persons 1..=5 in establishments 1 and 2.
fn rows() -> impl Strategy<Value = Vec<(i64, i64, Row)>> {
    proptest::collection::vec((1..=5i64, 1..=2i64, row()), 0..40)
}

fn build(rows: &[(i64, i64, Row)], tz: &TimeZone, b: Bounds) -> World {
    let mut w = World::default();
    for (person, est, row) in rows.iter().cloned() {
        match row {
            Row::Stay { start, end } => {
                let start = start.offset(b);
                let end = end.map(|e| e.offset(b).max(start));
                w.stay(person, est, day(start), end.map(day))
            }
            Row::Event(kind, at) => w.event(person, est, kind, at.at(tz, b)),
            Row::Plan(history) => {
                let mut history: Vec<_> =
                    history.iter().map(|&(s, at)| (s, at.at(tz, b))).collect();
                history.sort_by_key(|&(_, at)| at);
                w.care_plan(person, est, &history)
            }
            Row::Appointment(status, at) => w.appointment(person, est, at.at(tz, b), status),
            Row::Document(added, dmp) => w.document(
                person,
                est,
                added.at(tz, b),
                dmp.map(|(s, at)| (s, at.at(tz, b))),
            ),
            Row::Message(with_person, at) => {
                w.message(est, with_person.then_some(person), at.at(tz, b))
            }
        }
    }
    w
}

/// The brute force: for each day of the period, its instants [start, next
/// start); a fact holds in the period if it holds on one of its days.
struct Brute<'a> {
    w: &'a World,
    est: EstablishmentId,
    days: Vec<(Timestamp, Timestamp)>,
    last_day_end: Timestamp,
    p: Period,
    rules: &'a RuleSet,
}

impl Brute<'_> {
    fn in_period(&self, at: Timestamp) -> bool {
        self.days.iter().any(|&(lo, hi)| lo <= at && at < hi)
    }

    fn overlaps(&self, from: Timestamp, until: Option<Timestamp>) -> bool {
        self.days
            .iter()
            .any(|&(lo, hi)| from < hi && until.is_none_or(|u| u > lo))
    }

    /// Every dated fact of the person here: (instant, business?).
    fn facts(&self, person: PersonId) -> Vec<(Timestamp, bool)> {
        let mine = |p: PersonId, e: EstablishmentId| p == person && e == self.est;
        let w = self.w;
        let r = self.rules;
        let mut facts = Vec::new();
        for e in w
            .events
            .iter()
            .filter(|e| mine(e.person_id, e.establishment_id))
        {
            facts.push((e.at, r.business_event_kinds.contains(&e.kind)));
        }
        for p in w
            .care_plans
            .iter()
            .filter(|p| mine(p.person_id, p.establishment_id))
        {
            for c in &p.history {
                facts.push((c.at, r.business_sources.care_plan_status_change));
            }
        }
        for a in w
            .appointments
            .iter()
            .filter(|a| mine(a.person_id, a.establishment_id))
        {
            let done = a.status == AppointmentStatus::Termine;
            facts.push((a.starts_at, done && r.business_sources.appointment_done));
        }
        for d in w
            .documents
            .iter()
            .filter(|d| mine(d.person_id, d.establishment_id))
        {
            facts.push((d.added_at, r.business_sources.document_added));
            if let Some(at) = d.dmp_status_at {
                facts.push((at, r.business_sources.dmp_submission));
            }
        }
        for m in &w.messages {
            if m.person_id.is_some_and(|p| mine(p, m.establishment_id)) {
                facts.push((m.sent_at, r.business_sources.mss_message));
            }
        }
        facts
    }

    fn counted(&self, person: PersonId) -> BTreeSet<&'static str> {
        let w = self.w;
        let (from, to) = (self.p.from(), self.p.to());
        let stays: Vec<&Stay> = w
            .stays
            .iter()
            .filter(|s| s.person_id == person && s.establishment_id == self.est)
            .collect();
        let facts = self.facts(person);
        let mut counted = BTreeSet::new();
        let exists = stays.iter().any(|s| s.start <= to)
            || facts.iter().any(|&(at, _)| at < self.last_day_end);
        let accompanied = stays
            .iter()
            .any(|s| s.start <= to && s.end.is_none_or(|e| e >= from));
        let active = exists
            && accompanied
            && facts
                .iter()
                .any(|&(at, business)| business && self.in_period(at));
        let with_plan = active
            && w.care_plans
                .iter()
                .filter(|p| p.person_id == person && p.establishment_id == self.est)
                .any(|p| {
                    p.history.iter().enumerate().any(|(i, c)| {
                        let until = p.history.get(i + 1).map(|n| n.at);
                        // [t, t) is empty: a status replaced at once was never in force.
                        let lasts = until.is_none_or(|u| u > c.at);
                        self.rules.care_plan_counts(c.status) && lasts && self.overlaps(c.at, until)
                    })
                });
        let with_appointment = active
            && w.appointments.iter().any(|a| {
                a.person_id == person
                    && a.establishment_id == self.est
                    && a.status != AppointmentStatus::Annule
                    && self.in_period(a.starts_at)
            });
        let dmp = w.documents.iter().any(|d| {
            d.person_id == person
                && d.establishment_id == self.est
                && d.dmp_status == DmpStatus::Accepte
                && d.dmp_status_at.is_some_and(|at| self.in_period(at))
        });
        for (name, holds) in [
            ("record", exists),
            ("open", exists && accompanied),
            ("accompanied", accompanied),
            ("active", active),
            ("with_plan", with_plan),
            ("with_appointment", with_appointment),
            ("dmp", dmp),
        ] {
            if holds {
                counted.insert(name);
            }
        }
        counted
    }
}

fn engine_counted(r: &RecordExplanation) -> BTreeSet<&'static str> {
    [
        ("record", Indicator::Record),
        ("open", Indicator::Open),
        ("accompanied", Indicator::Accompanied),
        ("active", Indicator::Active),
        ("with_plan", Indicator::ActiveWithCarePlan),
        ("with_appointment", Indicator::ActiveWithAppointment),
        ("dmp", Indicator::DmpFed),
    ]
    .into_iter()
    .filter(|&(_, i)| r.verdict(i).counted)
    .map(|(name, _)| name)
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn engine_on_derived_input_agrees_with_a_brute_force_per_day_evaluation(
        zone in proptest::sample::select(&ZONES[..]),
        rows in rows(),
        start in 0..WINDOW,
        len in prop_oneof![Just(0i64), 0..200i64],
        paused_counts in any::<bool>(),
        documents_count in any::<bool>(),
    ) {
        let tz = TimeZone::get(zone).unwrap();
        let w = build(&rows, &tz, Bounds { start, end: start + len });
        let est = establishment(1, "330780495", zone);
        let p = period(day(start), day(start + len));
        let mut rules = RuleSet::esms_numerique_2024();
        rules.care_plan_paused_counts = paused_counts;
        rules.business_sources.document_added = documents_count;

        let x = w.explain_with(&rules, &est, p);
        let derived = w.activity(&est);
        let mut normal = derived.clone();
        normal.normalize();
        prop_assert_eq!(&normal, &derived, "derive_activity gives the canonical form");

        let days: Vec<(Timestamp, Timestamp)> = (0..=len)
            .map(|i| {
                let d = day(start + i);
                (start_of_day(d, &tz), start_of_day(d.tomorrow().unwrap(), &tz))
            })
            .collect();
        let last_day_end = days.last().unwrap().1;
        let brute = Brute { w: &w, est: EstablishmentId(1), days, last_day_end, p, rules: &rules };

        // Every person with a row in establishment 1 has exactly one record.
        let mut persons: BTreeMap<PersonId, ()> = BTreeMap::new();
        for (person, e, row) in &rows {
            let has_person = !matches!(row, Row::Message(false, _));
            if *e == 1 && has_person {
                persons.insert(PersonId(*person), ());
            }
        }
        let engine_persons: Vec<PersonId> =
            x.explanation.records.iter().map(|r| r.person_id).collect();
        prop_assert_eq!(engine_persons, persons.keys().copied().collect::<Vec<_>>());

        for r in &x.explanation.records {
            prop_assert_eq!(engine_counted(r), brute.counted(r.person_id), "person {}", r.person_id);
        }
        let messages = w
            .messages
            .iter()
            .filter(|m| m.establishment_id == EstablishmentId(1) && brute.in_period(m.sent_at))
            .count() as u64;
        prop_assert_eq!(x.result.figures.mss_messages, messages);

        // SPEC.md §3: actifs ⊂ ouverts ⊂ informatisés; PP and agenda ⊂ actifs.
        let f = x.result.figures;
        prop_assert!(f.active_records <= f.open_records && f.open_records <= f.records);
        prop_assert!(f.active_with_care_plan <= f.active_records);
        prop_assert!(f.active_with_appointment <= f.active_records);
        prop_assert_eq!(f.open_records, f.accompanied_persons);
    }
}
