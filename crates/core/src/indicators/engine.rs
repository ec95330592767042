//! The engine: figures, rates and the per-record explanation for a period.
//!
//! One evaluation per record serves both the figures and the explanation, so
//! that the explanation always adds up to the figures (SPEC.md §3: "every
//! figure must be explainable").

use super::IndicatorError;
use super::activity::{ActivitySource, EstablishmentActivity, Mark, RecordActivity};
use super::explain::{
    CountedRecords, EstablishmentExplanation, Indicator, Reason, RecordExplanation, Verdict,
};
use super::period::{Month, Period};
use super::rules::RuleSet;
use crate::ids::Finess;
use crate::model::{CarePlanStatus, EstablishmentId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The figures of SPEC.md §3 for one establishment and one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figures {
    /// dossiers informatisés
    pub records: u64,
    /// dossiers ouverts
    pub open_records: u64,
    /// dossiers actifs (DUI actifs), in absolute value (SPEC.md §4.2)
    pub active_records: u64,
    /// personnes accompagnées (file active)
    pub accompanied_persons: u64,
    /// DUI avec projet personnalisé
    pub active_with_care_plan: u64,
    /// DUI avec au moins un événement d'agenda
    pub active_with_appointment: u64,
    /// DMP alimentés (distinct persons)
    pub dmp_fed_persons: u64,
    /// messages envoyés via la MSSanté
    pub mss_messages: u64,
    /// Optional indicators of SPEC.md §3 (e-prescription imports, e-parcours
    /// exchanges): the record model has no source for them yet, so they are
    /// `None` ("non mesuré"), never a made-up 0.
    pub e_prescription_imports: Option<u64>,
    pub e_parcours_exchanges: Option<u64>,
}

/// Whether a rate reaches its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetStatus {
    Atteint,
    NonAtteint,
    /// The denominator is 0 (no person accompanied, no active record).
    NonCalculable,
}

impl TargetStatus {
    pub fn label(self) -> &'static str {
        match self {
            TargetStatus::Atteint => "objectif atteint",
            TargetStatus::NonAtteint => "objectif non atteint",
            TargetStatus::NonCalculable => "non calculable (dénominateur nul)",
        }
    }
}

/// A rate as an exact fraction. The comparison with the target is done on
/// integers: numerator × 100 ≥ target × denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub numerator: u64,
    pub denominator: u64,
    /// Target in whole percent, from the rule set.
    pub target_percent: u32,
    /// The rate in per mille, rounded down (so that a displayed value never
    /// reaches a target the exact rate misses); `None` when not computable.
    pub per_mille: Option<u64>,
    pub status: TargetStatus,
}

impl Rate {
    pub fn new(numerator: u64, denominator: u64, target_percent: u32) -> Self {
        let (per_mille, status) = if denominator == 0 {
            (None, TargetStatus::NonCalculable)
        } else {
            let n = u128::from(numerator);
            let d = u128::from(denominator);
            let per_mille = u64::try_from(n * 1000 / d).unwrap_or(u64::MAX);
            let met = n * 100 >= u128::from(target_percent) * d;
            let status = if met {
                TargetStatus::Atteint
            } else {
                TargetStatus::NonAtteint
            };
            (Some(per_mille), status)
        };
        Self {
            numerator,
            denominator,
            target_percent,
            per_mille,
            status,
        }
    }

    pub fn meets_target(&self) -> bool {
        self.status == TargetStatus::Atteint
    }

    /// French rendering, one decimal, rounded down: « 93,4 % », or « – ».
    pub fn display(&self) -> String {
        match self.per_mille {
            Some(pm) => format!("{},{} %", pm / 10, pm % 10),
            None => "–".to_owned(),
        }
    }
}

/// The five rates of SPEC.md §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rates {
    /// actifs / personnes accompagnées (cible 90 %)
    pub active: Rate,
    /// DUI avec PP / actifs (cible 90 %)
    pub care_plan: Rate,
    /// DUI avec agenda / actifs (cible 90 %)
    pub appointment: Rate,
    /// DMP alimentés / personnes accompagnées (cible 70 %)
    pub dmp: Rate,
    /// messages MSSanté / personnes accompagnées (cible 70 %)
    pub mss: Rate,
}

impl Rates {
    pub fn new(f: &Figures, rules: &RuleSet) -> Self {
        let t = rules.targets;
        Self {
            active: Rate::new(f.active_records, f.accompanied_persons, t.active),
            care_plan: Rate::new(f.active_with_care_plan, f.active_records, t.care_plan),
            appointment: Rate::new(f.active_with_appointment, f.active_records, t.appointment),
            dmp: Rate::new(f.dmp_fed_persons, f.accompanied_persons, t.dmp),
            mss: Rate::new(f.mss_messages, f.accompanied_persons, t.mss),
        }
    }
}

/// The result for one establishment: what the CLI, the API, the CNSA
/// workbook and the signed proof all show and embed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstablishmentResult {
    pub establishment_id: EstablishmentId,
    /// FINESS géographique, the counting unit (SPEC.md §1).
    pub finess: Finess,
    pub name: String,
    pub time_zone: String,
    pub period: Period,
    pub rule_set_id: String,
    pub rule_set_sha256: String,
    pub figures: Figures,
    pub rates: Rates,
    /// `record_list_sha256` of the active records (DUI actifs): the proof
    /// embeds it so that an audit sample can be checked against it.
    pub active_records_sha256: String,
}

/// The result for a set of establishments and one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorReport {
    pub period: Period,
    pub rule_set_id: String,
    pub rule_set_sha256: String,
    /// In the order given.
    pub establishments: Vec<EstablishmentResult>,
}

/// Computes every figure for every establishment. Fails on an invalid rule
/// set, an establishment given twice or a record given twice.
pub fn compute(
    rules: &RuleSet,
    period: Period,
    establishments: &[EstablishmentActivity],
) -> Result<IndicatorReport, IndicatorError> {
    rules.validate()?;
    let mut seen = BTreeSet::new();
    for e in establishments {
        if !seen.insert(e.establishment_id) {
            return Err(IndicatorError::DuplicateEstablishment {
                finess: e.finess.to_string(),
            });
        }
    }
    let ctx = Context::new(rules, period);
    let results = establishments
        .iter()
        .map(|e| ctx.establishment(e).map(|x| x.result))
        .collect::<Result<_, _>>()?;
    Ok(IndicatorReport {
        period,
        rule_set_id: rules.id.clone(),
        rule_set_sha256: ctx.rules_sha256,
        establishments: results,
    })
}

/// Figures and explanation of one establishment, computed together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explained {
    pub result: EstablishmentResult,
    pub explanation: EstablishmentExplanation,
}

/// Every record of one establishment with its verdicts, and the figures they
/// add up to.
pub fn explain(
    rules: &RuleSet,
    period: Period,
    establishment: &EstablishmentActivity,
) -> Result<Explained, IndicatorError> {
    rules.validate()?;
    Context::new(rules, period).establishment(establishment)
}

struct Context<'a> {
    rules: &'a RuleSet,
    rules_sha256: String,
    period: Period,
    first_month: Month,
    masks: Vec<u32>,
    business: u128,
    activity: u128,
}

fn bit(mark: Mark) -> u128 {
    1u128 << mark.index()
}

impl<'a> Context<'a> {
    fn new(rules: &'a RuleSet, period: Period) -> Self {
        let months = period.months();
        let masks = months.iter().map(|&m| period.mask(m)).collect();
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
        }
    }

    /// The marks present on at least one day of the period.
    fn present(&self, record: &RecordActivity) -> u128 {
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

    fn establishment(&self, e: &EstablishmentActivity) -> Result<Explained, IndicatorError> {
        let mut records: Vec<RecordExplanation> =
            e.records.iter().map(|r| self.record(r)).collect();
        records.sort_by_key(|r| r.person_id);
        if let Some(pair) = records
            .windows(2)
            .find(|w| w[0].person_id == w[1].person_id)
        {
            return Err(IndicatorError::DuplicateRecord {
                finess: e.finess.to_string(),
                person_id: pair[0].person_id,
            });
        }
        let mss_messages: u64 = e
            .mss_messages
            .iter()
            .filter(|c| self.period.contains(c.day))
            .map(|c| u64::from(c.count))
            .sum();
        let explanation = EstablishmentExplanation {
            establishment_id: e.establishment_id,
            finess: e.finess.clone(),
            name: e.name.clone(),
            period: self.period,
            rule_set_id: self.rules.id.clone(),
            rule_set_sha256: self.rules_sha256.clone(),
            records,
            mss_messages,
        };
        let figures = Figures {
            records: explanation.count(Indicator::Record),
            open_records: explanation.count(Indicator::Open),
            active_records: explanation.count(Indicator::Active),
            accompanied_persons: explanation.count(Indicator::Accompanied),
            active_with_care_plan: explanation.count(Indicator::ActiveWithCarePlan),
            active_with_appointment: explanation.count(Indicator::ActiveWithAppointment),
            dmp_fed_persons: explanation.count(Indicator::DmpFed),
            mss_messages,
            e_prescription_imports: None,
            e_parcours_exchanges: None,
        };
        let active: CountedRecords = explanation.counted(Indicator::Active);
        let result = EstablishmentResult {
            establishment_id: e.establishment_id,
            finess: e.finess.clone(),
            name: e.name.clone(),
            time_zone: e.time_zone.clone(),
            period: self.period,
            rule_set_id: self.rules.id.clone(),
            rule_set_sha256: self.rules_sha256.clone(),
            rates: Rates::new(&figures, self.rules),
            figures,
            active_records_sha256: active.sha256,
        };
        Ok(Explained {
            result,
            explanation,
        })
    }

    fn record(&self, r: &RecordActivity) -> RecordExplanation {
        let to = self.period.to();
        let present = self.present(r);

        // SPEC.md §3: dossiers informatisés = records existing in the
        // application; for a period, existing by its last day.
        let record = if r.exists_from <= to {
            Verdict::COUNTED
        } else {
            Verdict::not_counted(Reason::RecordCreatedAfter { on: r.exists_from })
        };

        // SPEC.md §2.3: accompanied = at least one stay overlapping the period.
        let accompanied = self.stays(r);

        // SPEC.md §3: ouverts = informatisés AND accompanied in the period.
        let open = chain(&record, || accompanied.clone());

        // SPEC.md §3: actifs = ouverts AND a business event in [J, K].
        let active = chain(&open, || {
            if present & self.business != 0 {
                return Verdict::COUNTED;
            }
            let technical = present & self.activity;
            if technical == 0 {
                return Verdict::not_counted(Reason::NoBusinessEvent);
            }
            let sources = ActivitySource::all()
                .into_iter()
                .filter(|&s| technical & bit(Mark::Activity(s)) != 0)
                .collect();
            Verdict::not_counted(Reason::OnlyTechnicalChanges { sources })
        });

        // SPEC.md §3: DUI avec PP = actifs AND a PP en préparation or actif
        // during the period (ENPAUSE per the rule set, SPEC.md §2.4).
        let active_with_care_plan = chain(&active, || self.care_plan(r));

        // SPEC.md §3: DUI avec agenda = actifs AND an agenda event dated in
        // [J, K], not cancelled.
        let active_with_appointment = chain(&active, || {
            if present & bit(Mark::Appointment) != 0 {
                Verdict::COUNTED
            } else if present & bit(Mark::AppointmentCancelled) != 0 {
                Verdict::not_counted(Reason::AppointmentsCancelled)
            } else {
                Verdict::not_counted(Reason::NoAppointment)
            }
        });

        // SPEC.md §3: DMP alimentés = distinct persons with a document
        // accepted by the DMP in the period. The SPEC does not require a stay
        // in the period (a discharge letter is sent after the exit): none is.
        let dmp_fed = if present & bit(Mark::DmpAccepted) != 0 {
            Verdict::COUNTED
        } else if present & bit(Mark::DmpPending) != 0 {
            Verdict::not_counted(Reason::DmpPending)
        } else if present & bit(Mark::DmpRejected) != 0 {
            Verdict::not_counted(Reason::DmpRejected)
        } else {
            Verdict::not_counted(Reason::NoDmpDocument)
        };

        RecordExplanation {
            person_id: r.person_id,
            record,
            open,
            active,
            accompanied,
            active_with_care_plan,
            active_with_appointment,
            dmp_fed,
        }
    }

    fn stays(&self, r: &RecordActivity) -> Verdict {
        let (from, to) = (self.period.from(), self.period.to());
        // The end day is a day of the stay: a stay ending on J overlaps.
        if r.stays
            .iter()
            .any(|s| s.start <= to && s.end.is_none_or(|end| end >= from))
        {
            return Verdict::COUNTED;
        }
        let ended = r
            .stays
            .iter()
            .filter_map(|s| s.end)
            .filter(|&e| e < from)
            .max();
        let next = r.stays.iter().map(|s| s.start).filter(|&s| s > to).min();
        Verdict::not_counted(match (ended, next) {
            (Some(ended), Some(next)) => Reason::BetweenStays { ended, next },
            (Some(on), None) => Reason::StayEndedBefore { on },
            (None, Some(on)) => Reason::StayStartsAfter { on },
            (None, None) => Reason::NoStay,
        })
    }

    fn care_plan(&self, r: &RecordActivity) -> Verdict {
        let (from, to) = (self.period.from(), self.period.to());
        let overlapping = || {
            r.care_plans
                .iter()
                .filter(move |s| s.from <= to && s.until.is_none_or(|u| u >= from))
        };
        if overlapping().any(|s| self.rules.care_plan_counts(s.status)) {
            return Verdict::COUNTED;
        }
        if overlapping().any(|s| s.status == CarePlanStatus::EnPause) {
            return Verdict::not_counted(Reason::CarePlanPaused);
        }
        if let Some(on) = overlapping()
            .filter(|s| s.status == CarePlanStatus::Termine)
            .map(|s| s.from)
            .max()
        {
            return Verdict::not_counted(Reason::CarePlanTerminated { on });
        }
        match r
            .care_plans
            .iter()
            .map(|s| s.from)
            .filter(|&d| d > to)
            .min()
        {
            Some(on) => Verdict::not_counted(Reason::CarePlanStartsAfter { on }),
            None => Verdict::not_counted(Reason::NoCarePlan),
        }
    }
}

/// A verdict that requires `prerequisite`: not counted for the same reason
/// when the prerequisite fails (the root cause is what an auditor needs).
fn chain(prerequisite: &Verdict, then: impl FnOnce() -> Verdict) -> Verdict {
    if prerequisite.counted {
        then()
    } else {
        prerequisite.clone()
    }
}
