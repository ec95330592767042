//! The engine: figures, rates and the per-record explanation for a period.
//!
//! The figures are counts of the per-record bits of `evaluate`; the
//! explanation turns the same bits into verdicts and adds the reasons, so that
//! it always adds up to the figures (SPEC.md §3: "every figure must be
//! explainable"). `compute` builds no reason and allocates nothing per record.

use super::IndicatorError;
use super::activity::EstablishmentActivity;
use super::compact::{MarkSet, PeriodActivity, PeriodSink, check_order};
use super::evaluate::{Context, Evaluated, flag};
use super::explain::{EstablishmentExplanation, Indicator, record_list_sha256};
use super::period::Period;
use super::rules::RuleSet;
use crate::ids::Finess;
use crate::model::{CarePlanStatus, Establishment, EstablishmentId, PersonId};
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

impl Figures {
    /// The figures with their French labels, in the order of SPEC.md §3
    /// (for tables, the proof and the CSV). `None`: not measured.
    pub fn table(&self) -> [(&'static str, Option<u64>); 10] {
        [
            ("Dossiers informatisés", Some(self.records)),
            ("Dossiers ouverts", Some(self.open_records)),
            ("DUI actifs", Some(self.active_records)),
            (
                "Personnes accompagnées (file active)",
                Some(self.accompanied_persons),
            ),
            (
                "DUI avec projet personnalisé",
                Some(self.active_with_care_plan),
            ),
            (
                "DUI avec au moins un événement d'agenda",
                Some(self.active_with_appointment),
            ),
            ("DMP alimentés", Some(self.dmp_fed_persons)),
            ("Messages envoyés via la MSSanté", Some(self.mss_messages)),
            ("Imports de e-prescriptions", self.e_prescription_imports),
            ("Échanges e-parcours", self.e_parcours_exchanges),
        ]
    }
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
    /// The rates with their French names, in the order of SPEC.md §3.
    pub fn table(&self) -> [(&'static str, &Rate); 5] {
        [
            ("Taux de dossiers actifs", &self.active),
            (
                "Taux de dossiers actifs avec projet personnalisé",
                &self.care_plan,
            ),
            (
                "Taux de dossiers actifs avec événement d'agenda",
                &self.appointment,
            ),
            ("Taux d'utilisation du DMP", &self.dmp),
            ("Taux d'utilisation de la MSSanté", &self.mss),
        ]
    }

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
        .map(|e| {
            let evaluated = ctx.evaluate(e)?;
            Ok(result(&ctx, e, &evaluated))
        })
        .collect::<Result<_, IndicatorError>>()?;
    Ok(IndicatorReport {
        period,
        rule_set_id: rules.id.clone(),
        rule_set_sha256: ctx.rules_sha256,
        establishments: results,
    })
}

/// `compute` on the compact input (`PeriodActivity`, built for `period`):
/// the same report, without the day bitmaps. Fails like `compute`, and on an
/// input built for another period.
pub fn compute_period(
    rules: &RuleSet,
    period: Period,
    establishments: &[PeriodActivity],
) -> Result<IndicatorReport, IndicatorError> {
    let figures = PeriodFigures::new(rules, period)?;
    let mut results = Vec::with_capacity(establishments.len());
    for e in establishments {
        if e.period() != period {
            return Err(IndicatorError::PeriodMismatch {
                finess: e.finess.to_string(),
            });
        }
        let mut counter = figures.establishment_with(Header {
            id: e.establishment_id,
            finess: &e.finess,
            name: &e.name,
            time_zone: &e.time_zone,
        });
        e.feed(&mut counter)?;
        results.push(counter.finish());
    }
    figures.report(results)
}

/// The figures of one period computed from the compact input as a source
/// gives it (`PeriodSink`), record by record, keeping nothing per record but
/// the ids of the active ones: what `Db::indicators` does with the index.
pub struct PeriodFigures<'r> {
    ctx: Context<'r>,
}

impl<'r> PeriodFigures<'r> {
    /// Fails on an invalid rule set.
    pub fn new(rules: &'r RuleSet, period: Period) -> Result<Self, IndicatorError> {
        rules.validate()?;
        Ok(Self {
            ctx: Context::new(rules, period),
        })
    }

    /// A counter of one establishment's records (`PeriodSink`).
    pub fn establishment(&self, e: &Establishment) -> EstablishmentFigures<'_, 'r> {
        self.establishment_with(Header {
            id: e.id,
            finess: &e.finess,
            name: &e.name,
            time_zone: &e.time_zone,
        })
    }

    fn establishment_with(&self, e: Header<'_>) -> EstablishmentFigures<'_, 'r> {
        EstablishmentFigures {
            ctx: &self.ctx,
            id: e.id,
            finess: e.finess.clone(),
            name: e.name.to_owned(),
            time_zone: e.time_zone.to_owned(),
            current: None,
            counts: [0; 8],
            active: Vec::new(),
            mss_messages: 0,
        }
    }

    /// The report of these results (in the order given); fails on an
    /// establishment given twice.
    pub fn report(
        self,
        results: Vec<EstablishmentResult>,
    ) -> Result<IndicatorReport, IndicatorError> {
        let mut seen = BTreeSet::new();
        for r in &results {
            if !seen.insert(r.establishment_id) {
                return Err(IndicatorError::DuplicateEstablishment {
                    finess: r.finess.to_string(),
                });
            }
        }
        Ok(IndicatorReport {
            period: self.ctx.period,
            rule_set_id: self.ctx.rules.id.clone(),
            rule_set_sha256: self.ctx.rules_sha256,
            establishments: results,
        })
    }
}

/// The record being given to an `EstablishmentFigures`.
struct Current {
    person_id: PersonId,
    exists_from: i32,
    accompanied: bool,
    care_plan: bool,
    present: MarkSet,
}

/// One establishment's records counted as they come (`PeriodSink`).
pub struct EstablishmentFigures<'a, 'r> {
    ctx: &'a Context<'r>,
    id: EstablishmentId,
    finess: Finess,
    name: String,
    time_zone: String,
    current: Option<Current>,
    /// Records per flag bit.
    counts: [u64; 8],
    active: Vec<PersonId>,
    mss_messages: u64,
}

impl EstablishmentFigures<'_, '_> {
    /// Counts the current record.
    #[inline(always)]
    fn close(&mut self) {
        if let Some(r) = self.current.take() {
            let c = self.ctx.flags(
                self.ctx.exists_by_end(r.exists_from),
                r.accompanied,
                r.present.bits(),
                || r.care_plan,
            );
            for (bit, n) in self.counts.iter_mut().enumerate() {
                *n += u64::from((c >> bit) & 1);
            }
            if c & flag(Indicator::Active) != 0 {
                self.active.push(r.person_id);
            }
        }
    }

    /// The establishment's result.
    pub fn finish(mut self) -> EstablishmentResult {
        self.close();
        let counts = self.counts;
        let count = |i: Indicator| {
            let bit = flag(i).trailing_zeros() as usize;
            counts.get(bit).copied().unwrap_or(0)
        };
        let figures = Figures {
            records: count(Indicator::Record),
            open_records: count(Indicator::Open),
            active_records: count(Indicator::Active),
            accompanied_persons: count(Indicator::Accompanied),
            active_with_care_plan: count(Indicator::ActiveWithCarePlan),
            active_with_appointment: count(Indicator::ActiveWithAppointment),
            dmp_fed_persons: count(Indicator::DmpFed),
            mss_messages: self.mss_messages,
            e_prescription_imports: None,
            e_parcours_exchanges: None,
        };
        EstablishmentResult {
            establishment_id: self.id,
            finess: self.finess,
            name: self.name,
            time_zone: self.time_zone,
            period: self.ctx.period,
            rule_set_id: self.ctx.rules.id.clone(),
            rule_set_sha256: self.ctx.rules_sha256.clone(),
            rates: Rates::new(&figures, self.ctx.rules),
            figures,
            // Records come in increasing person order: already canonical.
            active_records_sha256: record_list_sha256(&self.active),
        }
    }
}

impl PeriodSink for EstablishmentFigures<'_, '_> {
    #[inline(always)]
    fn record(&mut self, person_id: PersonId, exists_from: i32) -> Result<(), IndicatorError> {
        // `current` is the last record given (none before the first).
        check_order(
            self.current.as_ref().map(|r| r.person_id),
            person_id,
            &self.finess,
        )?;
        self.close();
        self.current = Some(Current {
            person_id,
            exists_from,
            accompanied: false,
            care_plan: false,
            present: MarkSet::EMPTY,
        });
        Ok(())
    }

    #[inline(always)]
    fn stay(&mut self, start: i32, end: Option<i32>) {
        let overlaps = self.ctx.overlaps(start, end.unwrap_or(i32::MAX));
        if let Some(r) = &mut self.current {
            r.accompanied |= overlaps;
        }
    }

    #[inline(always)]
    fn care_plan(&mut self, status: CarePlanStatus, from: i32, until: Option<i32>) {
        // SPEC.md §3: a PP en préparation or actif (ENPAUSE per the rule
        // set) in force on some day of the period.
        let counts = self.ctx.rules.care_plan_counts(status)
            && self.ctx.overlaps(from, until.unwrap_or(i32::MAX));
        if let Some(r) = &mut self.current {
            r.care_plan |= counts;
        }
    }

    #[inline(always)]
    fn marks(&mut self, marks: MarkSet) {
        if let Some(r) = &mut self.current {
            r.present |= marks;
        }
    }

    fn mss_messages(&mut self, count: u64) {
        self.mss_messages = self.mss_messages.saturating_add(count);
    }
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
    let ctx = Context::new(rules, period);
    let evaluated = ctx.evaluate(establishment)?;
    let mut records: Vec<_> = establishment
        .records
        .iter()
        .zip(&evaluated.counted)
        .map(|(r, &counted)| ctx.explain_record(r, counted))
        .collect();
    records.sort_by_key(|r| r.person_id);
    let explanation = EstablishmentExplanation {
        establishment_id: establishment.establishment_id,
        finess: establishment.finess.clone(),
        name: establishment.name.clone(),
        period,
        rule_set_id: rules.id.clone(),
        rule_set_sha256: ctx.rules_sha256.clone(),
        records,
        mss_messages: evaluated.mss_messages,
    };
    Ok(Explained {
        result: result(&ctx, establishment, &evaluated),
        explanation,
    })
}

/// The result object from the counted bits of every record.
fn result(ctx: &Context<'_>, e: &EstablishmentActivity, ev: &Evaluated) -> EstablishmentResult {
    let establishment = Header {
        id: e.establishment_id,
        finess: &e.finess,
        name: &e.name,
        time_zone: &e.time_zone,
    };
    result_of(
        ctx,
        establishment,
        e.records.iter().map(|r| r.person_id),
        ev,
    )
}

/// What a result repeats of its establishment.
struct Header<'a> {
    id: EstablishmentId,
    finess: &'a Finess,
    name: &'a str,
    time_zone: &'a str,
}

/// The result object from the records' person ids and their counted bits
/// (in the same order).
fn result_of(
    ctx: &Context<'_>,
    e: Header<'_>,
    persons: impl Iterator<Item = PersonId>,
    ev: &Evaluated,
) -> EstablishmentResult {
    // One pass: how many records have each flag, and the active ones.
    let mut counts = [0u64; 8];
    let mut active: Vec<PersonId> = Vec::new();
    let active_flag = flag(Indicator::Active);
    for (person, &c) in persons.zip(&ev.counted) {
        for (bit, n) in counts.iter_mut().enumerate() {
            *n += u64::from((c >> bit) & 1);
        }
        if c & active_flag != 0 {
            active.push(person);
        }
    }
    let count = |i: Indicator| {
        let bit = flag(i).trailing_zeros() as usize;
        counts.get(bit).copied().unwrap_or(0)
    };
    let figures = Figures {
        records: count(Indicator::Record),
        open_records: count(Indicator::Open),
        active_records: count(Indicator::Active),
        accompanied_persons: count(Indicator::Accompanied),
        active_with_care_plan: count(Indicator::ActiveWithCarePlan),
        active_with_appointment: count(Indicator::ActiveWithAppointment),
        dmp_fed_persons: count(Indicator::DmpFed),
        mss_messages: ev.mss_messages,
        e_prescription_imports: None,
        e_parcours_exchanges: None,
    };
    EstablishmentResult {
        establishment_id: e.id,
        finess: e.finess.clone(),
        name: e.name.to_owned(),
        time_zone: e.time_zone.to_owned(),
        period: ctx.period,
        rule_set_id: ctx.rules.id.clone(),
        rule_set_sha256: ctx.rules_sha256.clone(),
        rates: Rates::new(&figures, ctx.rules),
        figures,
        active_records_sha256: record_list_sha256(&active),
    }
}
