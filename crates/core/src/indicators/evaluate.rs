//! The rules of SPEC.md §3 applied to one record: which indicators count it
//! (a byte of flags, cheap enough for every record of 500 establishments in a
//! few milliseconds) and, on demand, why the others do not.

use super::IndicatorError;
use super::activity::{ActivitySource, EstablishmentActivity, Mark, RecordActivity};
use super::compact::{MarkSet, day_number};
use super::explain::{Indicator, Reason, RecordExplanation, Verdict};
use super::period::{Month, Period};
use super::rules::RuleSet;
use crate::model::CarePlanStatus;

/// The flag of an indicator in a record's counted byte.
pub(super) fn flag(indicator: Indicator) -> u8 {
    match indicator {
        Indicator::Record => 1,
        Indicator::Open => 1 << 1,
        Indicator::Active => 1 << 2,
        Indicator::Accompanied => 1 << 3,
        Indicator::ActiveWithCarePlan => 1 << 4,
        Indicator::ActiveWithAppointment => 1 << 5,
        Indicator::DmpFed => 1 << 6,
    }
}

fn bit(mark: Mark) -> u64 {
    MarkSet::of(mark).bits()
}

/// One establishment evaluated: the counted flags of each record, in the
/// order of `EstablishmentActivity::records`, and the MSSanté count.
pub(super) struct Evaluated {
    pub counted: Vec<u8>,
    pub mss_messages: u64,
}

/// The rule set and period, prepared once for many records.
pub(super) struct Context<'a> {
    pub rules: &'a RuleSet,
    pub rules_sha256: String,
    pub period: Period,
    first_month: Month,
    /// Bits of the period's days, per month from `first_month`.
    masks: Vec<u32>,
    /// Marks that are business events under the rule set.
    business: u64,
    /// All activity marks (business or technical).
    activity: u64,
    /// The period's first and last days as day numbers (compact input).
    from_day: i32,
    to_day: i32,
    /// `bit(Mark::Appointment)`, `bit(Mark::DmpAccepted)`: asked per record.
    appointment: u64,
    dmp_accepted: u64,
}

impl<'a> Context<'a> {
    pub fn new(rules: &'a RuleSet, period: Period) -> Self {
        let masks = period.months().iter().map(|&m| period.mask(m)).collect();
        let mut business = 0;
        let mut activity = 0;
        for source in ActivitySource::all() {
            activity |= bit(Mark::Activity(source));
            if rules.is_business(source) {
                business |= bit(Mark::Activity(source));
            }
        }
        Self {
            rules,
            rules_sha256: rules.sha256(),
            period,
            first_month: Month::of(period.from()),
            masks,
            business,
            activity,
            from_day: day_number(period.from()),
            to_day: day_number(period.to()),
            appointment: bit(Mark::Appointment),
            dmp_accepted: bit(Mark::DmpAccepted),
        }
    }

    pub fn evaluate(&self, e: &EstablishmentActivity) -> Result<Evaluated, IndicatorError> {
        let mut ids: Vec<_> = e.records.iter().map(|r| r.person_id).collect();
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(IndicatorError::DuplicateRecord {
                finess: e.finess.to_string(),
                person_id: pair[0],
            });
        }
        let mss_messages = e
            .mss_messages
            .iter()
            .filter(|c| self.period.contains(c.day))
            .map(|c| u64::from(c.count))
            .sum();
        Ok(Evaluated {
            counted: e.records.iter().map(|r| self.counted(r)).collect(),
            mss_messages,
        })
    }

    /// The marks present on at least one day of the period.
    fn present(&self, record: &RecordActivity) -> u64 {
        let mut present = 0;
        let base = self.first_month.ordinal();
        for row in &record.days {
            let offset = row.month.ordinal() - base;
            let mask = usize::try_from(offset)
                .ok()
                .and_then(|i| self.masks.get(i))
                .copied()
                .unwrap_or(0);
            if row.days & mask != 0 {
                present |= bit(row.mark);
            }
        }
        present
    }

    /// SPEC.md §2.3: accompanied = at least one stay overlapping [J, K]; the
    /// end day is a day of the stay, so a stay ending on J overlaps.
    fn accompanied(&self, r: &RecordActivity) -> bool {
        let (from, to) = (self.period.from(), self.period.to());
        r.stays
            .iter()
            .any(|s| s.start <= to && s.end.is_none_or(|end| end >= from))
    }

    /// SPEC.md §3: a PP "en préparation ou actif" during the period, ENPAUSE
    /// per the rule set (SPEC.md §2.4).
    fn care_plan_in_force(
        &self,
        r: &RecordActivity,
        status: impl Fn(CarePlanStatus) -> bool,
    ) -> bool {
        let (from, to) = (self.period.from(), self.period.to());
        r.care_plans
            .iter()
            .any(|s| status(s.status) && s.from <= to && s.until.is_none_or(|u| u >= from))
    }

    /// The flags of the indicators that count this record.
    pub fn counted(&self, r: &RecordActivity) -> u8 {
        // SPEC.md §3: dossiers informatisés = records existing in the
        // application; for a period, existing by its last day.
        let exists = r.exists_from <= self.period.to();
        self.flags(exists, self.accompanied(r), self.present(r), || {
            self.care_plan_in_force(r, |s| self.rules.care_plan_counts(s))
        })
    }

    /// The flags of a record from its facts: whether it exists by the last
    /// day, whether a stay overlaps the period, the marks present in the
    /// period, and (asked only for an active record) whether a counting PP is
    /// in force during the period. Both inputs (full and compact) go through
    /// here.
    #[inline(always)]
    pub fn flags(
        &self,
        exists: bool,
        accompanied: bool,
        present: u64,
        care_plan: impl FnOnce() -> bool,
    ) -> u8 {
        let mut counted = 0;
        // SPEC.md §3: ouverts = informatisés AND accompanied in the period.
        let open = exists && accompanied;
        // SPEC.md §3: actifs = ouverts AND a business event dated in [J, K].
        let active = open && present & self.business != 0;
        for (holds, indicator) in [
            (exists, Indicator::Record),
            (accompanied, Indicator::Accompanied),
            (open, Indicator::Open),
            (active, Indicator::Active),
            // SPEC.md §3: DUI avec agenda = actifs AND an agenda event dated
            // in [J, K], not cancelled.
            (
                active && present & self.appointment != 0,
                Indicator::ActiveWithAppointment,
            ),
            // SPEC.md §3: DMP alimentés = distinct persons with a document
            // accepted by the DMP in the period. The SPEC asks no stay in the
            // period (a discharge letter is sent after the exit): none is.
            (present & self.dmp_accepted != 0, Indicator::DmpFed),
        ] {
            if holds {
                counted |= flag(indicator);
            }
        }
        // SPEC.md §3: DUI avec PP = actifs AND a PP en préparation or actif
        // during the period.
        if active && care_plan() {
            counted |= flag(Indicator::ActiveWithCarePlan);
        }
        counted
    }

    /// Whether days `[start, end]` (day numbers) overlap the period.
    #[inline(always)]
    pub fn overlaps(&self, start: i32, end: i32) -> bool {
        start <= self.to_day && end >= self.from_day
    }

    /// Whether a record first seen on `exists_from` exists by the period's
    /// last day.
    #[inline(always)]
    pub fn exists_by_end(&self, exists_from: i32) -> bool {
        exists_from <= self.to_day
    }

    /// The verdicts of a record whose flags are `counted`: the reasons follow
    /// the chain informatisé → ouvert → actif → PP / agenda and name the
    /// first rule that failed.
    pub fn explain_record(&self, r: &RecordActivity, counted: u8) -> RecordExplanation {
        let is = |i: Indicator| counted & flag(i) != 0;
        let verdict = |i: Indicator, reason: &dyn Fn() -> Reason| {
            if is(i) {
                Verdict::COUNTED
            } else {
                Verdict::not_counted(reason())
            }
        };
        let record_reason = || Reason::RecordCreatedAfter { on: r.exists_from };
        let open_reason = || {
            if is(Indicator::Record) {
                self.stay_reason(r)
            } else {
                record_reason()
            }
        };
        let active_reason = || {
            if is(Indicator::Open) {
                self.activity_reason(r)
            } else {
                open_reason()
            }
        };
        let present = self.present(r);
        RecordExplanation {
            person_id: r.person_id,
            record: verdict(Indicator::Record, &record_reason),
            open: verdict(Indicator::Open, &open_reason),
            active: verdict(Indicator::Active, &active_reason),
            accompanied: verdict(Indicator::Accompanied, &|| self.stay_reason(r)),
            active_with_care_plan: verdict(Indicator::ActiveWithCarePlan, &|| {
                if is(Indicator::Active) {
                    self.care_plan_reason(r)
                } else {
                    active_reason()
                }
            }),
            active_with_appointment: verdict(Indicator::ActiveWithAppointment, &|| {
                if !is(Indicator::Active) {
                    active_reason()
                } else if present & bit(Mark::AppointmentCancelled) != 0 {
                    Reason::AppointmentsCancelled
                } else {
                    Reason::NoAppointment
                }
            }),
            dmp_fed: verdict(Indicator::DmpFed, &|| {
                if present & bit(Mark::DmpPending) != 0 {
                    Reason::DmpPending
                } else if present & bit(Mark::DmpRejected) != 0 {
                    Reason::DmpRejected
                } else {
                    Reason::NoDmpDocument
                }
            }),
        }
    }

    /// Why no stay overlaps the period.
    fn stay_reason(&self, r: &RecordActivity) -> Reason {
        let (from, to) = (self.period.from(), self.period.to());
        let ended = r
            .stays
            .iter()
            .filter_map(|s| s.end)
            .filter(|&e| e < from)
            .max();
        let next = r.stays.iter().map(|s| s.start).filter(|&s| s > to).min();
        match (ended, next) {
            (Some(ended), Some(next)) => Reason::BetweenStays { ended, next },
            (Some(on), None) => Reason::StayEndedBefore { on },
            (None, Some(on)) => Reason::StayStartsAfter { on },
            (None, None) => Reason::NoStay,
        }
    }

    /// Why an open record has no business event in the period.
    fn activity_reason(&self, r: &RecordActivity) -> Reason {
        let technical = self.present(r) & self.activity & !self.business;
        if technical == 0 {
            return Reason::NoBusinessEvent;
        }
        let sources = ActivitySource::all()
            .into_iter()
            .filter(|&s| technical & bit(Mark::Activity(s)) != 0)
            .collect();
        Reason::OnlyTechnicalChanges { sources }
    }

    /// Why an active record has no PP en préparation or actif in the period.
    fn care_plan_reason(&self, r: &RecordActivity) -> Reason {
        let (from, to) = (self.period.from(), self.period.to());
        if self.care_plan_in_force(r, |s| s == CarePlanStatus::EnPause) {
            return Reason::CarePlanPaused;
        }
        let terminated = r
            .care_plans
            .iter()
            .filter(|s| s.status == CarePlanStatus::Termine)
            .filter(|s| s.from <= to && s.until.is_none_or(|u| u >= from))
            .map(|s| s.from)
            .max();
        if let Some(on) = terminated {
            return Reason::CarePlanTerminated { on };
        }
        match r
            .care_plans
            .iter()
            .map(|s| s.from)
            .filter(|&d| d > to)
            .min()
        {
            Some(on) => Reason::CarePlanStartsAfter { on },
            None => Reason::NoCarePlan,
        }
    }
}
