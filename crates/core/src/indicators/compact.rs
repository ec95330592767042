//! The engine's compact input for one period: what `compute` needs of each
//! record and nothing more, in flat arrays, so that the store can fill it
//! straight from its index blobs without one allocation per record.
//!
//! `EstablishmentActivity` keeps every day bitmap of every record: the
//! explanation needs them (which marks, which days). The figures only need,
//! per record, its first day, its stays, its care-plan status spans and the
//! set of marks present on at least one day of the period (`MarkSet`), with
//! days as day numbers (`day_number`). A source gives exactly that to a
//! `PeriodSink`: `PeriodActivity` keeps it (`compute_period` reads it),
//! `PeriodFigures` counts it as it comes. Both give the same report as
//! `compute` on the full input (`PeriodActivity::from_activity` builds one
//! from the other; the tests check they agree).

use super::IndicatorError;
use super::activity::{EstablishmentActivity, Mark, RecordActivity};
use super::period::Period;
use crate::ids::Finess;
use crate::model::{CarePlanStatus, Establishment, EstablishmentId, PersonId};
use jiff::civil::Date;

/// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's
/// `days_from_civil`): the store's index keeps dates this way, and the
/// compact input compares them as plain integers.
pub fn day_number(d: Date) -> i32 {
    let (m, dd) = (i32::from(d.month()), i32::from(d.day()));
    let y = i32::from(d.year()) - i32::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + dd - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (`civil_from_days`), `None` outside the dates
/// `jiff` can represent.
pub fn date_of_day_number(n: i64) -> Option<Date> {
    let z = n.checked_add(719_468)?;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = i16::try_from(yoe + era * 400 + i64::from(m <= 2)).ok()?;
    // m in 1..=12 and d in 1..=31 by construction.
    Date::new(y, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()
}

/// A set of marks (`Mark`), one bit each: which marks a record carries on at
/// least one day of the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MarkSet(u64);

// Every mark has its bit: event kinds plus 10 other marks must fit.
const _: () = assert!(crate::model::EventKind::ALL.len() + 10 <= 64);

impl MarkSet {
    pub const EMPTY: MarkSet = MarkSet(0);

    #[inline]
    pub fn of(mark: Mark) -> MarkSet {
        MarkSet(1u64 << mark.index())
    }

    pub fn insert(&mut self, mark: Mark) {
        *self |= MarkSet::of(mark);
    }

    pub fn contains(self, mark: Mark) -> bool {
        self.0 & MarkSet::of(mark).0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(super) fn bits(self) -> u64 {
        self.0
    }
}

impl std::ops::BitOr for MarkSet {
    type Output = MarkSet;
    #[inline]
    fn bitor(self, other: MarkSet) -> MarkSet {
        MarkSet(self.0 | other.0)
    }
}

impl std::ops::BitOrAssign for MarkSet {
    #[inline]
    fn bitor_assign(&mut self, other: MarkSet) {
        self.0 |= other.0;
    }
}

/// Where the compact input goes, record by record: `PeriodActivity` keeps it,
/// `PeriodFigures` counts it as it comes (`Db::indicators`). Records come in
/// increasing person order, each followed by its stays, its care-plan status
/// spans and the marks it carries on at least one day of the period; days
/// are day numbers (`day_number`), ends included, `None`: still open.
/// Records whose first day is after the period may be left out (they count
/// in nothing).
pub trait PeriodSink {
    /// How many records are coming (a hint).
    fn expect(&mut self, _records: usize) {}
    fn record(&mut self, person_id: PersonId, exists_from: i32) -> Result<(), IndicatorError>;
    /// A stay of the last record.
    fn stay(&mut self, start: i32, end: Option<i32>);
    /// A care-plan status span of the last record.
    fn care_plan(&mut self, status: CarePlanStatus, from: i32, until: Option<i32>);
    /// Marks of the last record present in the period (may come in parts).
    fn marks(&mut self, marks: MarkSet);
    /// MSSanté messages sent by the establishment during the period.
    fn mss_messages(&mut self, count: u64);
}

/// The checks every sink makes on the order of records.
#[inline(always)]
pub(super) fn check_order(
    last: Option<PersonId>,
    person_id: PersonId,
    finess: &Finess,
) -> Result<(), IndicatorError> {
    match last {
        Some(last) if last == person_id => Err(IndicatorError::DuplicateRecord {
            finess: finess.to_string(),
            person_id,
        }),
        Some(last) if last > person_id => Err(IndicatorError::RecordsOutOfOrder {
            finess: finess.to_string(),
        }),
        _ => Ok(()),
    }
}

/// Days `[start, end]` as day numbers, both included; `end` is `i32::MAX`
/// when open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DaySpan {
    pub start: i32,
    pub end: i32,
}

impl DaySpan {
    #[inline(always)]
    pub fn new(start: i32, end: Option<i32>) -> Self {
        Self {
            start,
            end: end.unwrap_or(i32::MAX),
        }
    }

    #[inline(always)]
    pub fn end(self) -> Option<i32> {
        (self.end != i32::MAX).then_some(self.end)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StatusSpan {
    status: CarePlanStatus,
    days: DaySpan,
}

/// One record: its first day, the end of its stays and spans in the flat
/// arrays (they start where the previous record's end), its marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CompactRecord {
    person_id: PersonId,
    exists_from: i32,
    stays_end: u32,
    care_plans_end: u32,
    present: MarkSet,
}

/// The compact input of one establishment for one period, kept
/// (`PeriodSink`): what `compute_period` reads, and what the store's checks
/// compare. `Db::indicators` counts without keeping it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodActivity {
    pub establishment_id: EstablishmentId,
    pub finess: Finess,
    pub name: String,
    /// IANA time zone of the local days.
    pub time_zone: String,
    period: Period,
    records: Vec<CompactRecord>,
    stays: Vec<DaySpan>,
    care_plans: Vec<StatusSpan>,
    mss_messages: u64,
}

#[inline(always)]
fn array_len(n: usize) -> u32 {
    // More than 4 G stays or spans in one establishment cannot be built in
    // memory anyway.
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl PeriodActivity {
    /// An establishment without records yet, for `period`.
    pub fn new(establishment: &Establishment, period: Period) -> Self {
        Self {
            establishment_id: establishment.id,
            finess: establishment.finess.clone(),
            name: establishment.name.clone(),
            time_zone: establishment.time_zone.clone(),
            period,
            records: Vec::new(),
            stays: Vec::new(),
            care_plans: Vec::new(),
            mss_messages: 0,
        }
    }

    pub fn period(&self) -> Period {
        self.period
    }

    /// Room for this many more records, stays and spans.
    pub fn reserve(&mut self, records: usize, stays: usize, care_plans: usize) {
        self.records.reserve(records);
        self.stays.reserve(stays);
        self.care_plans.reserve(care_plans);
    }

    /// How many records were given.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Gives everything kept to `sink`, in the order it came.
    pub fn feed(&self, sink: &mut impl PeriodSink) -> Result<(), IndicatorError> {
        let (mut stays, mut spans) = (0usize, 0usize);
        for r in &self.records {
            sink.record(r.person_id, r.exists_from)?;
            let stays_end = r.stays_end as usize;
            for s in self.stays.get(stays..stays_end).unwrap_or_default() {
                sink.stay(s.start, s.end());
            }
            stays = stays_end;
            let spans_end = r.care_plans_end as usize;
            for c in self.care_plans.get(spans..spans_end).unwrap_or_default() {
                sink.care_plan(c.status, c.days.start, c.days.end());
            }
            spans = spans_end;
            sink.marks(r.present);
        }
        sink.mss_messages(self.mss_messages);
        Ok(())
    }

    /// The compact form of the full input, for `period`.
    pub fn from_activity(
        a: &EstablishmentActivity,
        period: Period,
    ) -> Result<Self, IndicatorError> {
        let mut out = Self {
            establishment_id: a.establishment_id,
            finess: a.finess.clone(),
            name: a.name.clone(),
            time_zone: a.time_zone.clone(),
            period,
            records: Vec::with_capacity(a.records.len()),
            stays: Vec::new(),
            care_plans: Vec::new(),
            mss_messages: 0,
        };
        let mut order: Vec<&RecordActivity> = a.records.iter().collect();
        order.sort_by_key(|r| r.person_id);
        for r in order {
            out.record(r.person_id, day_number(r.exists_from))?;
            for s in &r.stays {
                out.stay(day_number(s.start), s.end.map(day_number));
            }
            for c in &r.care_plans {
                out.care_plan(c.status, day_number(c.from), c.until.map(day_number));
            }
            let mut present = MarkSet::EMPTY;
            for row in &r.days {
                if row.days & period.mask(row.month) != 0 {
                    present.insert(row.mark);
                }
            }
            out.marks(present);
        }
        out.mss_messages(
            a.mss_messages
                .iter()
                .filter(|c| period.contains(c.day))
                .map(|c| u64::from(c.count))
                .sum(),
        );
        Ok(out)
    }
}

impl PeriodSink for PeriodActivity {
    fn expect(&mut self, records: usize) {
        self.reserve(records, records, 2 * records);
    }

    #[inline(always)]
    fn record(&mut self, person_id: PersonId, exists_from: i32) -> Result<(), IndicatorError> {
        check_order(
            self.records.last().map(|r| r.person_id),
            person_id,
            &self.finess,
        )?;
        self.records.push(CompactRecord {
            person_id,
            exists_from,
            stays_end: array_len(self.stays.len()),
            care_plans_end: array_len(self.care_plans.len()),
            present: MarkSet::EMPTY,
        });
        Ok(())
    }

    #[inline(always)]
    fn stay(&mut self, start: i32, end: Option<i32>) {
        self.stays.push(DaySpan::new(start, end));
        if let Some(r) = self.records.last_mut() {
            r.stays_end = array_len(self.stays.len());
        }
    }

    #[inline(always)]
    fn care_plan(&mut self, status: CarePlanStatus, from: i32, until: Option<i32>) {
        self.care_plans.push(StatusSpan {
            status,
            days: DaySpan::new(from, until),
        });
        if let Some(r) = self.records.last_mut() {
            r.care_plans_end = array_len(self.care_plans.len());
        }
    }

    #[inline(always)]
    fn marks(&mut self, marks: MarkSet) {
        if let Some(r) = self.records.last_mut() {
            r.present |= marks;
        }
    }

    fn mss_messages(&mut self, count: u64) {
        self.mss_messages = self.mss_messages.saturating_add(count);
    }
}
