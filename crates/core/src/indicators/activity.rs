//! What the engine reads: per establishment, per record (person ×
//! establishment), the stays, the care-plan status spans and day bitmaps.
//!
//! DESIGN.md §4.3: the store keeps an incremental activity index, one row per
//! (record, month, mark) holding a `u32` of the local days that carry the mark
//! (bit `d - 1` = day `d`, see `period::day_bit`). Marks are kept per source
//! (per event kind, document, agenda…), not pre-filtered by the rule set, so
//! that a new rule set never needs the index rebuilt and the explanation can
//! tell "only technical changes" from "nothing at all".
//!
//! The functions `*_marks` map one raw row to its marks: the store calls them
//! on each write, and `derive_activity` calls them over all raw rows (the
//! straightforward computation the index is checked against).
//!
//! Keeping the index (store side), in the write's transaction:
//! - insert of an event, document, appointment, message, care-plan change:
//!   for each `DayMark` of the row, OR `day_bit(day)` into the row
//!   (record, `Month::of(day)`, `mark.code()`); lower `exists_from` if the day
//!   is earlier;
//! - update or delete (appointment cancelled, DMP answer, event removed or
//!   re-dated): a bit cannot be decremented, so recompute the affected
//!   (record, month) rows from that record's raw rows of the month with the
//!   same `*_marks` functions and `fold_marks`;
//! - stays: one `StaySpan` per stay; care plans: replace the plan's spans by
//!   `care_plan_spans(plan)` on each status change;
//! - MSSanté: add 1 to (establishment, local day) per message sent.
//!
//! `EstablishmentActivity::normalize` puts the index's answer in the canonical
//! form `derive_activity` returns, so a `verify()` can compare them with `==`.

use super::IndicatorError;
use super::period::{Month, day_bit, local_day, time_zone};
use crate::ids::Finess;
use crate::model::{
    Appointment, AppointmentStatus, CarePlan, CarePlanId, CarePlanStatus, DmpStatus, Document,
    Establishment, EstablishmentId, Event, EventKind, MssMessage, PersonId, Stay,
};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A source of activity on a record; the rule set says which are business
/// events (SPEC.md §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActivitySource {
    /// An event recorded about the person, of this kind.
    Event(EventKind),
    DocumentAdded,
    CarePlanStatusChange,
    /// An agenda event that took place (status TERMINE).
    AppointmentDone,
    /// An MSSanté message about the person.
    MssMessage,
    /// A document sent to the DMP (whatever the answer).
    DmpSubmission,
}

const OTHER_SOURCES: [ActivitySource; 5] = [
    ActivitySource::DocumentAdded,
    ActivitySource::CarePlanStatusChange,
    ActivitySource::AppointmentDone,
    ActivitySource::MssMessage,
    ActivitySource::DmpSubmission,
];

impl ActivitySource {
    pub fn all() -> Vec<ActivitySource> {
        EventKind::ALL
            .iter()
            .map(|&k| ActivitySource::Event(k))
            .chain(OTHER_SOURCES)
            .collect()
    }

    pub fn label(self) -> &'static str {
        match self {
            ActivitySource::Event(kind) => kind.label(),
            ActivitySource::DocumentAdded => "Document ajouté au dossier",
            ActivitySource::CarePlanStatusChange => "Changement de statut du projet personnalisé",
            ActivitySource::AppointmentDone => "Événement d'agenda réalisé",
            ActivitySource::MssMessage => "Message MSSanté concernant la personne",
            ActivitySource::DmpSubmission => "Document envoyé au DMP",
        }
    }
}

/// What a day of a record can carry. Stable codes (stored by the index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mark {
    Activity(ActivitySource),
    /// At least one agenda event dated that day, not cancelled.
    Appointment,
    /// At least one cancelled agenda event dated that day.
    AppointmentCancelled,
    /// A document accepted by the DMP that day.
    DmpAccepted,
    /// A document rejected by the DMP that day.
    DmpRejected,
    /// A document sent to the DMP that day, no answer yet.
    DmpPending,
}

impl Mark {
    /// Stable storage code: `EVT:<event kind code>` for events, a fixed word
    /// otherwise.
    pub fn code(self) -> String {
        match self {
            Mark::Activity(ActivitySource::Event(kind)) => format!("EVT:{}", kind.code()),
            Mark::Activity(ActivitySource::DocumentAdded) => "DOCUMENT".to_owned(),
            Mark::Activity(ActivitySource::CarePlanStatusChange) => "PP_STATUT".to_owned(),
            Mark::Activity(ActivitySource::AppointmentDone) => "RDV_TERMINE".to_owned(),
            Mark::Activity(ActivitySource::MssMessage) => "MSS_MESSAGE".to_owned(),
            Mark::Activity(ActivitySource::DmpSubmission) => "DMP_ENVOI".to_owned(),
            Mark::Appointment => "AGENDA".to_owned(),
            Mark::AppointmentCancelled => "AGENDA_ANNULE".to_owned(),
            Mark::DmpAccepted => "DMP_ACCEPTE".to_owned(),
            Mark::DmpRejected => "DMP_REJETE".to_owned(),
            Mark::DmpPending => "DMP_EN_ATTENTE".to_owned(),
        }
    }

    pub fn from_code(code: &str) -> Option<Mark> {
        if let Some(kind) = code.strip_prefix("EVT:") {
            return EventKind::from_code(kind).map(|k| Mark::Activity(ActivitySource::Event(k)));
        }
        // A plain match: the store parses this for every index row it reads.
        Some(match code {
            "DOCUMENT" => Mark::Activity(ActivitySource::DocumentAdded),
            "PP_STATUT" => Mark::Activity(ActivitySource::CarePlanStatusChange),
            "RDV_TERMINE" => Mark::Activity(ActivitySource::AppointmentDone),
            "MSS_MESSAGE" => Mark::Activity(ActivitySource::MssMessage),
            "DMP_ENVOI" => Mark::Activity(ActivitySource::DmpSubmission),
            "AGENDA" => Mark::Appointment,
            "AGENDA_ANNULE" => Mark::AppointmentCancelled,
            "DMP_ACCEPTE" => Mark::DmpAccepted,
            "DMP_REJETE" => Mark::DmpRejected,
            "DMP_EN_ATTENTE" => Mark::DmpPending,
            _ => return None,
        })
    }

    pub fn all() -> Vec<Mark> {
        ActivitySource::all()
            .into_iter()
            .map(Mark::Activity)
            .chain([
                Mark::Appointment,
                Mark::AppointmentCancelled,
                Mark::DmpAccepted,
                Mark::DmpRejected,
                Mark::DmpPending,
            ])
            .collect()
    }

    /// Position in `Mark::all()`: an in-memory index, never stored.
    pub(crate) fn index(self) -> u32 {
        let events = EventKind::ALL.len() as u32;
        match self {
            // Declaration order, the order of `EventKind::ALL`.
            Mark::Activity(ActivitySource::Event(kind)) => kind as u32,
            Mark::Activity(ActivitySource::DocumentAdded) => events,
            Mark::Activity(ActivitySource::CarePlanStatusChange) => events + 1,
            Mark::Activity(ActivitySource::AppointmentDone) => events + 2,
            Mark::Activity(ActivitySource::MssMessage) => events + 3,
            Mark::Activity(ActivitySource::DmpSubmission) => events + 4,
            Mark::Appointment => events + 5,
            Mark::AppointmentCancelled => events + 6,
            Mark::DmpAccepted => events + 7,
            Mark::DmpRejected => events + 8,
            Mark::DmpPending => events + 9,
        }
    }
}

impl Serialize for Mark {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

impl<'de> Deserialize<'de> for Mark {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Mark::from_code(&raw).ok_or_else(|| {
            serde::de::Error::custom(format!("marque d'activité « {raw} » inconnue"))
        })
    }
}

impl Serialize for ActivitySource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Mark::Activity(*self).code())
    }
}

impl<'de> Deserialize<'de> for ActivitySource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Mark::deserialize(d)? {
            Mark::Activity(source) => Ok(source),
            other => Err(serde::de::Error::custom(format!(
                "« {} » n'est pas une source d'activité",
                other.code()
            ))),
        }
    }
}

/// One mark on one local day: what a raw row contributes to the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DayMark {
    pub day: Date,
    pub mark: Mark,
}

/// One row of the activity index: the days of `month` carrying `mark`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthDays {
    pub month: Month,
    pub mark: Mark,
    /// Bit `d - 1` set: day `d` carries the mark.
    pub days: u32,
}

/// A stay as the engine needs it (SPEC.md §2.3); the end day is included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaySpan {
    pub start: Date,
    pub end: Option<Date>,
}

/// A status of a projet personnalisé in force from the local day `from` to
/// `until` (both included; `None`: still in force). A status in force for
/// part of a day counts on that day ("during the period", SPEC.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarePlanSpan {
    pub care_plan_id: CarePlanId,
    pub status: CarePlanStatus,
    pub from: Date,
    pub until: Option<Date>,
}

/// A number of MSSanté messages sent on a local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayCount {
    pub day: Date,
    pub count: u32,
}

/// A DUI record of one establishment: one person there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordActivity {
    pub person_id: PersonId,
    /// First local day the record exists in the establishment. The model has
    /// no creation date: `derive_activity` takes the earliest stay start or
    /// dated item. A record is *informatisé* for a period if it exists by its
    /// last day.
    pub exists_from: Date,
    pub stays: Vec<StaySpan>,
    pub care_plans: Vec<CarePlanSpan>,
    /// Index rows; several rows for the same month and mark are OR-ed.
    pub days: Vec<MonthDays>,
}

/// Everything the engine needs about one establishment for one period.
///
/// What the store may leave out without changing any figure: records whose
/// `exists_from` is after the period (they count in nothing; the explanation
/// then simply does not list them) and index rows or message counts of days
/// outside the period. Every other record of the establishment must be given,
/// active or not: the explanation lists them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstablishmentActivity {
    pub establishment_id: EstablishmentId,
    pub finess: Finess,
    pub name: String,
    /// IANA time zone of the local days (DESIGN.md §4.2).
    pub time_zone: String,
    pub records: Vec<RecordActivity>,
    /// MSSanté messages sent by the establishment, per local day (with or
    /// without a person).
    pub mss_messages: Vec<DayCount>,
}

impl RecordActivity {
    /// A canonical form, to compare the store's index with `derive_activity`
    /// (DESIGN.md §4.3, STYLE.md "a verify() that checks invariants"): stays
    /// and spans sorted, index rows merged per (month, mark), empty rows
    /// dropped.
    pub fn normalize(&mut self) {
        self.stays.sort();
        self.stays.dedup();
        self.care_plans.sort();
        self.care_plans.dedup();
        let mut rows: BTreeMap<(Month, Mark), u32> = BTreeMap::new();
        for row in &self.days {
            *rows.entry((row.month, row.mark)).or_default() |= row.days & month_bits(row.month);
        }
        self.days = rows
            .into_iter()
            .filter(|&(_, days)| days != 0)
            .map(|((month, mark), days)| MonthDays { month, mark, days })
            .collect();
    }
}

impl EstablishmentActivity {
    /// A canonical form (see `RecordActivity::normalize`): records sorted by
    /// person, message counts summed per day, zero counts dropped.
    pub fn normalize(&mut self) {
        self.records.sort_by_key(|r| r.person_id);
        for record in &mut self.records {
            record.normalize();
        }
        let mut per_day: BTreeMap<Date, u32> = BTreeMap::new();
        for c in &self.mss_messages {
            let total = per_day.entry(c.day).or_default();
            *total = total.saturating_add(c.count);
        }
        self.mss_messages = per_day
            .into_iter()
            .filter(|&(_, count)| count != 0)
            .map(|(day, count)| DayCount { day, count })
            .collect();
    }
}

/// Bits of the days that exist in `month`.
fn month_bits(month: Month) -> u32 {
    month.mask(month.first_day(), month.last_day())
}

/// The marks of an event: its kind on its local day.
pub fn event_marks(event: &Event, tz: &TimeZone) -> Vec<DayMark> {
    vec![DayMark {
        day: local_day(event.at, tz),
        mark: Mark::Activity(ActivitySource::Event(event.kind)),
    }]
}

/// The marks of a document: added on `added_at`; sent to the DMP and its
/// answer on `dmp_status_at` (the model keeps only the last DMP status).
pub fn document_marks(document: &Document, tz: &TimeZone) -> Vec<DayMark> {
    let mut marks = vec![DayMark {
        day: local_day(document.added_at, tz),
        mark: Mark::Activity(ActivitySource::DocumentAdded),
    }];
    let answer = match document.dmp_status {
        DmpStatus::NonEnvoye => None,
        DmpStatus::Envoye => Some(Mark::DmpPending),
        DmpStatus::Accepte => Some(Mark::DmpAccepted),
        DmpStatus::Rejete => Some(Mark::DmpRejected),
    };
    if let (Some(answer), Some(at)) = (answer, document.dmp_status_at) {
        let day = local_day(at, tz);
        marks.push(DayMark { day, mark: answer });
        marks.push(DayMark {
            day,
            mark: Mark::Activity(ActivitySource::DmpSubmission),
        });
    }
    marks
}

/// The marks of an agenda event, on the local day it starts: dated
/// (not cancelled) or cancelled; one that took place is also activity.
pub fn appointment_marks(appointment: &Appointment, tz: &TimeZone) -> Vec<DayMark> {
    let day = local_day(appointment.starts_at, tz);
    match appointment.status {
        AppointmentStatus::Annule => vec![DayMark {
            day,
            mark: Mark::AppointmentCancelled,
        }],
        AppointmentStatus::Planifie | AppointmentStatus::Valide => vec![DayMark {
            day,
            mark: Mark::Appointment,
        }],
        AppointmentStatus::Termine => vec![
            DayMark {
                day,
                mark: Mark::Appointment,
            },
            DayMark {
                day,
                mark: Mark::Activity(ActivitySource::AppointmentDone),
            },
        ],
    }
}

/// The marks of a care plan: each dated status change is activity.
pub fn care_plan_marks(plan: &CarePlan, tz: &TimeZone) -> Vec<DayMark> {
    plan.history
        .iter()
        .map(|change| DayMark {
            day: local_day(change.at, tz),
            mark: Mark::Activity(ActivitySource::CarePlanStatusChange),
        })
        .collect()
}

/// The marks of an MSSanté message about a person (none without a person).
pub fn message_marks(message: &MssMessage, tz: &TimeZone) -> Vec<DayMark> {
    match message.person_id {
        Some(_) => vec![DayMark {
            day: local_day(message.sent_at, tz),
            mark: Mark::Activity(ActivitySource::MssMessage),
        }],
        None => Vec::new(),
    }
}

/// The status spans of a care plan in local days. SPEC.md §2.4: "every status
/// change is dated, so that the status on any day can be answered": a status
/// set at `t1` and replaced at `t2` is in force during [t1, t2); a status
/// replaced at the same instant was never in force and yields no span.
pub fn care_plan_spans(plan: &CarePlan, tz: &TimeZone) -> Vec<CarePlanSpan> {
    let mut history: Vec<_> = plan.history.iter().collect();
    history.sort_by_key(|c| c.at);
    let mut spans = Vec::with_capacity(history.len());
    for (i, change) in history.iter().enumerate() {
        let next = history.get(i + 1).map(|c| c.at);
        if next == Some(change.at) {
            continue;
        }
        spans.push(CarePlanSpan {
            care_plan_id: plan.id,
            status: change.status,
            from: local_day(change.at, tz),
            until: next.map(|t| local_day(just_before(t), tz)),
        });
    }
    spans
}

fn just_before(t: Timestamp) -> Timestamp {
    t.checked_sub(SignedDuration::from_nanos(1)).unwrap_or(t)
}

/// Folds day marks into index rows, one per (month, mark), sorted.
pub fn fold_marks(marks: impl IntoIterator<Item = DayMark>) -> Vec<MonthDays> {
    let mut rows: BTreeMap<(Month, Mark), u32> = BTreeMap::new();
    for DayMark { day, mark } in marks {
        *rows.entry((Month::of(day), mark)).or_default() |= day_bit(day);
    }
    rows.into_iter()
        .map(|((month, mark), days)| MonthDays { month, mark, days })
        .collect()
}

/// The raw rows of the record model, of any establishments: `derive_activity`
/// keeps those of the establishment it is asked about.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawRecords<'a> {
    pub stays: &'a [Stay],
    pub events: &'a [Event],
    pub care_plans: &'a [CarePlan],
    pub appointments: &'a [Appointment],
    pub documents: &'a [Document],
    pub messages: &'a [MssMessage],
}

#[derive(Default)]
struct RecordParts {
    stays: Vec<StaySpan>,
    spans: Vec<CarePlanSpan>,
    marks: Vec<DayMark>,
}

/// The straightforward computation from raw rows: the engine's input for one
/// establishment, built without any index, in canonical form (`normalize`).
/// A record exists for every person with a stay or any dated row in the
/// establishment (an MSSanté message without a person makes no record).
pub fn derive_activity(
    establishment: &Establishment,
    raw: &RawRecords<'_>,
) -> Result<EstablishmentActivity, IndicatorError> {
    let tz = time_zone(&establishment.time_zone)?;
    let here = establishment.id;
    let mut parts: BTreeMap<PersonId, RecordParts> = BTreeMap::new();
    for stay in raw.stays.iter().filter(|s| s.establishment_id == here) {
        parts
            .entry(stay.person_id)
            .or_default()
            .stays
            .push(StaySpan {
                start: stay.start,
                end: stay.end,
            });
    }
    for event in raw.events.iter().filter(|e| e.establishment_id == here) {
        let part = parts.entry(event.person_id).or_default();
        part.marks.extend(event_marks(event, &tz));
    }
    for plan in raw.care_plans.iter().filter(|p| p.establishment_id == here) {
        let part = parts.entry(plan.person_id).or_default();
        part.marks.extend(care_plan_marks(plan, &tz));
        part.spans.extend(care_plan_spans(plan, &tz));
    }
    for appointment in raw
        .appointments
        .iter()
        .filter(|a| a.establishment_id == here)
    {
        let part = parts.entry(appointment.person_id).or_default();
        part.marks.extend(appointment_marks(appointment, &tz));
    }
    for document in raw.documents.iter().filter(|d| d.establishment_id == here) {
        let part = parts.entry(document.person_id).or_default();
        part.marks.extend(document_marks(document, &tz));
    }
    let mut mss: BTreeMap<Date, u32> = BTreeMap::new();
    for message in raw.messages.iter().filter(|m| m.establishment_id == here) {
        *mss.entry(local_day(message.sent_at, &tz)).or_default() += 1;
        if let Some(person) = message.person_id {
            let part = parts.entry(person).or_default();
            part.marks.extend(message_marks(message, &tz));
        }
    }
    let records = parts
        .into_iter()
        .filter_map(|(person_id, mut part)| {
            let exists_from = part
                .stays
                .iter()
                .map(|s| s.start)
                .chain(part.spans.iter().map(|s| s.from))
                .chain(part.marks.iter().map(|m| m.day))
                .min()?;
            part.stays.sort();
            Some(RecordActivity {
                person_id,
                exists_from,
                stays: part.stays,
                care_plans: part.spans,
                days: fold_marks(part.marks),
            })
        })
        .collect();
    let mut activity = EstablishmentActivity {
        establishment_id: here,
        finess: establishment.finess.clone(),
        name: establishment.name.clone(),
        time_zone: establishment.time_zone.clone(),
        records,
        mss_messages: mss
            .into_iter()
            .map(|(day, count)| DayCount { day, count })
            .collect(),
    };
    activity.normalize();
    Ok(activity)
}
