//! Aggregates of the declarations (issue 5 §6): month by month, per project,
//! per region and for the nation — figures, the five rates of SPEC.md §3, the
//! share of establishments meeting each target — the trajectory against the
//! programme targets of SPEC.md §5, completeness and timeliness.
//!
//! Rules where the sources are silent (written in `docs/collecte-agregats.md`):
//! - a declaration belongs to the month of its period's last day; per project
//!   and period the last version is in force; when several periods of a
//!   project end in the same month, the one received last is used;
//! - sums add the rows of the versions in force; a rate is computed from the
//!   sums, never averaged; a column the CNSA allows empty (D, E, H, I) counts
//!   in a rate only on the rows where it is filled, numerator and denominator
//!   alike; a rate whose denominator is 0 is absent, not 0 %;
//! - an establishment meets a target when its own rate does (the rule of
//!   `carnet_core::indicators::Rate`); the share is over the establishments
//!   whose rate can be computed;
//! - an establishment is embarked from the first month it declares at least
//!   one DUI actif; the target of a month is the one of the end of its year;
//! - a declaration is late when its first version was received (Paris time)
//!   after the deadline day (15 by default) of the following month;
//! - every project of the registry is expected every month.
//!
//! `load` reads the database in two queries; the computation here is pure.

mod export;
mod load;
mod month;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use carnet_core::Finess;
use carnet_core::indicators::{Rate, Targets};
use jiff::Timestamp;
use jiff::civil::Date;

pub use export::{
    Level, Selection, french_count, french_percent, french_signed, missing_text, to_csv, to_table,
    to_xlsx,
};
pub use load::summary;
pub use month::Month;

use crate::regions::{self, Region};

/// Programme targets (SPEC.md §5, seed 000). Configuration: they are data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Programme {
    /// DUI actifs to reach (410 000 at the end of 2024).
    pub actifs: u64,
    /// Establishments embarked, by year: the last entry of a year is its target
    /// at the end of that year ("2021 T1 800; 2021 T2 5 900; …").
    pub embarked: Vec<(i16, &'static str, u64)>,
}

impl Default for Programme {
    fn default() -> Self {
        Self {
            actifs: 410_000,
            embarked: vec![
                (2021, "2021 T1", 800),
                (2021, "2021 T2", 5_900),
                (2022, "2022", 13_030),
                (2023, "2023", 18_700),
                (2024, "2024", 27_400),
                (2025, "2025", 36_300),
            ],
        }
    }
}

impl Programme {
    /// The embarked target in force for a month: that of its year's end; after
    /// the last year, the last target; before the first, none.
    pub fn embarked_target(&self, month: Month) -> Option<u64> {
        let mut target = None;
        for (year, _, value) in &self.embarked {
            if *year <= month.year {
                target = Some(*value);
            }
        }
        target
    }
}

/// What to aggregate and with which rules.
#[derive(Debug, Clone)]
pub struct Options {
    /// First and last month; `None`: those of the declarations stored.
    pub from: Option<Month>,
    pub to: Option<Month>,
    /// Targets of the rates (default: `RuleSet::default().targets`, 90/90/90/70/70).
    pub targets: Targets,
    pub programme: Programme,
    /// Day of the following month after which a declaration is late.
    pub deadline_day: i8,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            from: None,
            to: None,
            targets: carnet_core::indicators::RuleSet::default().targets,
            programme: Programme::default(),
            deadline_day: 15,
        }
    }
}

/// What an aggregate is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum Scope {
    Nation,
    /// `None`: establishments in no ARS region (Saint-Pierre-et-Miquelon).
    Region(Option<Region>),
    /// Référence GALIS.
    Project(String),
}

impl Scope {
    pub fn label(&self) -> String {
        match self {
            Scope::Nation => "France entière".to_owned(),
            Scope::Region(Some(r)) => format!("{} ({})", r.name, r.code),
            Scope::Region(None) => "hors région ARS".to_owned(),
            Scope::Project(galis) => format!("projet {galis}"),
        }
    }
}

/// Among the establishments whose rate can be computed, how many meet the target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Share {
    pub met: u64,
    pub of: u64,
}

impl Share {
    /// Per mille, rounded down; `None` when no establishment has the rate.
    pub fn per_mille(self) -> Option<u64> {
        (self.of > 0).then(|| self.met * 1000 / self.of)
    }
}

/// The five rates of SPEC.md §3 (or the shares meeting their targets), in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Five<T> {
    pub active: T,
    pub care_plan: T,
    pub appointment: T,
    pub dmp: T,
    pub mss: T,
}

impl<T: Copy> Five<T> {
    pub fn all(&self) -> [T; 5] {
        [
            self.active,
            self.care_plan,
            self.appointment,
            self.dmp,
            self.mss,
        ]
    }
}

/// Figures of one scope for one month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Aggregate {
    pub month: Month,
    pub scope: Scope,
    /// Projects with a declaration in force for the month.
    pub projects: u64,
    /// Establishments (rows) declared.
    pub establishments: u64,
    pub actifs: u64,
    pub accompanied: u64,
    /// Sums over the rows where the column is filled; `None` when no row is.
    pub dmp: Option<u64>,
    pub mss: Option<u64>,
    pub care_plan: Option<u64>,
    pub appointment: Option<u64>,
    /// `None`: denominator 0 (absent, not 0 %).
    pub rates: Five<Option<Rate>>,
    pub shares: Five<Share>,
}

/// The nation against the programme, for one month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrajectoryPoint {
    pub month: Month,
    pub actifs: u64,
    pub actifs_target: u64,
    /// Declared minus target: negative when behind.
    pub actifs_gap: i64,
    /// Establishments embarked so far (cumulative).
    pub embarked: u64,
    pub embarked_target: Option<u64>,
    pub embarked_gap: Option<i64>,
}

/// One project's declaration for a month: when it arrived, whether it was late.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Receipt {
    pub month: Month,
    pub galis: String,
    /// The first version's reception.
    pub first_received: Timestamp,
    pub deadline: Date,
    pub late: bool,
}

/// A project of the registry without any declaration for a month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Missing {
    pub month: Month,
    pub galis: String,
    pub label: Option<String>,
    /// Regions of its establishments and of its desk (INSEE codes).
    pub regions: BTreeSet<&'static str>,
}

/// Everything the dashboards, the exports and `carnet collect summary` show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub months: Vec<Month>,
    pub nation: Vec<Aggregate>,
    /// By month, then region code.
    pub regions: Vec<Aggregate>,
    /// By month, then GALIS.
    pub projects: Vec<Aggregate>,
    pub trajectory: Vec<TrajectoryPoint>,
    pub receipts: Vec<Receipt>,
    pub missing: Vec<Missing>,
    /// Regions of each project (establishments and desk), for filtering.
    pub project_regions: BTreeMap<String, BTreeSet<&'static str>>,
    /// The Références GALIS of the registry: the projects expected every month.
    pub registered: BTreeSet<String>,
}

/// A stored version, as the computation needs it.
#[derive(Debug, Clone)]
pub(crate) struct StoredVersion {
    pub id: i64,
    pub galis: String,
    pub start: Date,
    pub end: Date,
    pub version: i64,
    pub received_at: Timestamp,
}

/// A stored row.
#[derive(Debug, Clone)]
pub(crate) struct StoredRow {
    pub version_id: i64,
    pub finess: Finess,
    pub dmp: Option<u64>,
    pub mss: Option<u64>,
    pub actifs: u64,
    pub accompanied: u64,
    pub care_plan: Option<u64>,
    pub appointment: Option<u64>,
}

/// A project of the registry, as the computation needs it.
#[derive(Debug, Clone)]
pub(crate) struct RegistryProject {
    pub galis: String,
    pub label: Option<String>,
    pub regions: BTreeSet<&'static str>,
}

/// A column that may be empty: its sum, and the denominator of its rate over
/// the same rows.
#[derive(Debug, Clone, Copy, Default)]
struct Part {
    sum: u64,
    base: u64,
    filled: bool,
}

impl Part {
    fn add(&mut self, value: Option<u64>, base: u64) {
        if let Some(v) = value {
            self.sum += v;
            self.base += base;
            self.filled = true;
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Acc {
    projects: BTreeSet<String>,
    establishments: u64,
    actifs: u64,
    accompanied: u64,
    dmp: Part,
    mss: Part,
    care_plan: Part,
    appointment: Part,
    shares: [Share; 5],
}

fn rate(numerator: u64, denominator: u64, target: u32) -> Option<Rate> {
    (denominator > 0).then(|| Rate::new(numerator, denominator, target))
}

/// The row's own rates, in the order of [`Five`].
fn row_rates(row: &StoredRow, t: &Targets) -> [Option<Rate>; 5] {
    let part = |n: Option<u64>, d: u64, target| n.and_then(|n| rate(n, d, target));
    [
        rate(row.actifs, row.accompanied, t.active),
        part(row.care_plan, row.actifs, t.care_plan),
        part(row.appointment, row.actifs, t.appointment),
        part(row.dmp, row.accompanied, t.dmp),
        part(row.mss, row.accompanied, t.mss),
    ]
}

impl Acc {
    fn add(&mut self, galis: &str, row: &StoredRow, targets: &Targets) {
        if !self.projects.contains(galis) {
            self.projects.insert(galis.to_owned());
        }
        self.establishments += 1;
        self.actifs += row.actifs;
        self.accompanied += row.accompanied;
        self.dmp.add(row.dmp, row.accompanied);
        self.mss.add(row.mss, row.accompanied);
        self.care_plan.add(row.care_plan, row.actifs);
        self.appointment.add(row.appointment, row.actifs);
        for (share, r) in self.shares.iter_mut().zip(row_rates(row, targets)) {
            if let Some(r) = r {
                share.of += 1;
                share.met += u64::from(r.meets_target());
            }
        }
    }

    fn finish(&self, month: Month, scope: Scope, t: &Targets) -> Aggregate {
        let sum = |p: Part| p.filled.then_some(p.sum);
        let [a, c, p, d, m] = self.shares;
        Aggregate {
            month,
            scope,
            projects: self.projects.len() as u64,
            establishments: self.establishments,
            actifs: self.actifs,
            accompanied: self.accompanied,
            dmp: sum(self.dmp),
            mss: sum(self.mss),
            care_plan: sum(self.care_plan),
            appointment: sum(self.appointment),
            rates: Five {
                active: rate(self.actifs, self.accompanied, t.active),
                care_plan: rate(self.care_plan.sum, self.care_plan.base, t.care_plan),
                appointment: rate(self.appointment.sum, self.appointment.base, t.appointment),
                dmp: rate(self.dmp.sum, self.dmp.base, t.dmp),
                mss: rate(self.mss.sum, self.mss.base, t.mss),
            },
            shares: Five {
                active: a,
                care_plan: c,
                appointment: p,
                dmp: d,
                mss: m,
            },
        }
    }
}

/// The deadline of a month's declaration: the deadline day of the next month
/// (the last day of that month when it is shorter).
pub fn deadline(month: Month, day: i8) -> Date {
    let next = month.next();
    let last = next.last_day();
    Date::new(next.year, next.month, day.clamp(1, last.day())).unwrap_or(last)
}

/// The computation, from what `load` read.
pub(crate) fn compute(
    versions: &[StoredVersion],
    rows: &[StoredRow],
    registry: &[RegistryProject],
    options: &Options,
) -> Summary {
    let t = &options.targets;
    // The last version of each project and period.
    let mut last: HashMap<(&str, Date, Date), &StoredVersion> = HashMap::new();
    for v in versions {
        let slot = last.entry((v.galis.as_str(), v.start, v.end)).or_insert(v);
        if v.version > slot.version {
            *slot = v;
        }
    }
    // Per project and month: the period received last, and the first reception.
    let mut in_force: BTreeMap<(Month, &str), &StoredVersion> = BTreeMap::new();
    for v in last.values() {
        let slot = in_force
            .entry((Month::of(v.end), v.galis.as_str()))
            .or_insert(v);
        if (v.received_at, v.id) > (slot.received_at, slot.id) {
            *slot = v;
        }
    }
    let mut first: BTreeMap<(Month, &str), Timestamp> = BTreeMap::new();
    for v in versions {
        let slot = first
            .entry((Month::of(v.end), v.galis.as_str()))
            .or_insert(v.received_at);
        *slot = (*slot).min(v.received_at);
    }

    let months = match (
        options.from.or_else(|| in_force.keys().next().map(|k| k.0)),
        options
            .to
            .or_else(|| in_force.keys().next_back().map(|k| k.0)),
    ) {
        (Some(from), Some(to)) => from.through(to),
        _ => Vec::new(),
    };
    let wanted: BTreeSet<Month> = months.iter().copied().collect();

    let chosen: HashMap<i64, (Month, &str)> = in_force
        .iter()
        .map(|(&(month, galis), v)| (v.id, (month, galis)))
        .collect();
    let mut nation: BTreeMap<Month, Acc> = BTreeMap::new();
    let mut by_region: BTreeMap<(Month, Option<Region>), Acc> = BTreeMap::new();
    let mut by_project: BTreeMap<(Month, &str), Acc> = BTreeMap::new();
    // First month each establishment declared a DUI actif.
    let mut embarked_from: HashMap<&Finess, Month> = HashMap::new();
    let mut project_regions: BTreeMap<String, BTreeSet<&'static str>> = registry
        .iter()
        .map(|p| (p.galis.clone(), p.regions.clone()))
        .collect();
    for row in rows {
        let Some(&(month, galis)) = chosen.get(&row.version_id) else {
            continue;
        };
        if let Some(region) = regions::of_finess(&row.finess) {
            match project_regions.get_mut(galis) {
                Some(set) => {
                    set.insert(region.code);
                }
                None => {
                    project_regions.insert(galis.to_owned(), BTreeSet::from([region.code]));
                }
            }
        }
        if row.actifs > 0 {
            let slot = embarked_from.entry(&row.finess).or_insert(month);
            *slot = (*slot).min(month);
        }
        if !wanted.contains(&month) {
            continue;
        }
        nation.entry(month).or_default().add(galis, row, t);
        by_region
            .entry((month, regions::of_finess(&row.finess)))
            .or_default()
            .add(galis, row, t);
        by_project
            .entry((month, galis))
            .or_default()
            .add(galis, row, t);
    }

    let nation: Vec<Aggregate> = months
        .iter()
        .map(|&m| {
            nation
                .get(&m)
                .cloned()
                .unwrap_or_default()
                .finish(m, Scope::Nation, t)
        })
        .collect();
    let mut embarked_by_month: BTreeMap<Month, u64> = BTreeMap::new();
    for m in embarked_from.values() {
        *embarked_by_month.entry(*m).or_default() += 1;
    }
    let trajectory = nation
        .iter()
        .map(|a| {
            let embarked: u64 = embarked_by_month.range(..=a.month).map(|(_, n)| n).sum();
            let embarked_target = options.programme.embarked_target(a.month);
            TrajectoryPoint {
                month: a.month,
                actifs: a.actifs,
                actifs_target: options.programme.actifs,
                actifs_gap: signed(a.actifs) - signed(options.programme.actifs),
                embarked,
                embarked_target,
                embarked_gap: embarked_target.map(|t| signed(embarked) - signed(t)),
            }
        })
        .collect();
    let receipts = first
        .iter()
        .filter(|((m, _), _)| wanted.contains(m))
        .map(|(&(month, galis), &at)| {
            let deadline = deadline(month, options.deadline_day);
            let paris = jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC);
            Receipt {
                month,
                galis: galis.to_owned(),
                first_received: at,
                deadline,
                late: at.to_zoned_datetime(paris).date() > deadline,
            }
        })
        .collect();
    let mut missing = Vec::new();
    for &month in &months {
        for p in registry {
            if !in_force.contains_key(&(month, p.galis.as_str())) {
                missing.push(Missing {
                    month,
                    galis: p.galis.clone(),
                    label: p.label.clone(),
                    regions: p.regions.clone(),
                });
            }
        }
    }
    Summary {
        months,
        nation,
        regions: by_region
            .into_iter()
            .map(|((m, r), acc)| acc.finish(m, Scope::Region(r), t))
            .collect(),
        projects: by_project
            .into_iter()
            .map(|((m, g), acc)| acc.finish(m, Scope::Project(g.to_owned()), t))
            .collect(),
        trajectory,
        receipts,
        missing,
        project_regions,
        registered: registry.iter().map(|p| p.galis.clone()).collect(),
    }
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
