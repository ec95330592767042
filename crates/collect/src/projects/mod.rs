//! The project registry (issue 5 §1): what GALIS knows of each funded project
//! — its porteur, its call and rule set, its establishments, its milestones —
//! imported from a CSV file (`docs/projets-csv.md`) and used to check every
//! collection file against the project it is sent for.
//!
//! `csv` reads and checks the file (all-or-nothing, every bad line listed);
//! `store` keeps the registry in the `collect_projects*` tables (migration
//! 0002). A [`Registry`] is the in-memory lookup by GALIS that ingestion loads
//! once per run, never once per file or row.

mod csv;
mod store;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use carnet_core::{Finess, Siret};
use jiff::civil::Date;

use crate::ProjectRef;
use crate::regions::Region;

pub use csv::{CsvError, DATE_RULE, parse_csv, parse_csv_numbered, parse_date};
pub use store::{ImportSummary, MilestoneError, import, list, record_actual, registry};

/// Acquisition of a new DUI, or upgrade to a Ségur-referenced version
/// (SPEC.md §6: the amounts differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Acquisition,
    Upgrade,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Acquisition => "acquisition",
            Kind::Upgrade => "upgrade",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Acquisition => "acquisition",
            Kind::Upgrade => "mise à niveau",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "acquisition" => Some(Kind::Acquisition),
            "upgrade" => Some(Kind::Upgrade),
            _ => None,
        }
    }
}

/// Which desk follows the project: an ARS, or the national desk (SPEC.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Desk {
    National,
    Region(Region),
}

impl Desk {
    /// `national` or the region's INSEE code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Desk::National => "national",
            Desk::Region(r) => r.code,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Desk::National => "national",
            Desk::Region(r) => r.name,
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "national" => Some(Desk::National),
            other => crate::regions::by_code(other).map(Desk::Region),
        }
    }
}

/// The milestones of a project (SPEC.md §5), in their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Milestone {
    Notified,
    Started,
    ConfigurationDone,
    AptitudeCheckEnd,
    RegularServiceCheckEnd,
    Finished,
}

impl Milestone {
    pub const ALL: [Milestone; 6] = [
        Milestone::Notified,
        Milestone::Started,
        Milestone::ConfigurationDone,
        Milestone::AptitudeCheckEnd,
        Milestone::RegularServiceCheckEnd,
        Milestone::Finished,
    ];

    /// Stable code, stored and used as the stem of the CSV columns.
    pub fn code(self) -> &'static str {
        match self {
            Milestone::Notified => "notifie",
            Milestone::Started => "demarre",
            Milestone::ConfigurationDone => "parametrage_finalise",
            Milestone::AptitudeCheckEnd => "fin_va",
            Milestone::RegularServiceCheckEnd => "fin_vsr",
            Milestone::Finished => "termine",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Milestone::Notified => "notifié",
            Milestone::Started => "démarré",
            Milestone::ConfigurationDone => "paramétrage finalisé",
            Milestone::AptitudeCheckEnd => "fin de VA",
            Milestone::RegularServiceCheckEnd => "fin de VSR",
            Milestone::Finished => "terminé",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// Planned and actual dates of a milestone; either may be unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Dates {
    pub planned: Option<Date>,
    pub actual: Option<Date>,
}

/// A project as GALIS describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Project {
    /// Référence GALIS, without spaces at the ends.
    pub galis: String,
    pub label: Option<String>,
    /// The porteur's SIRET.
    pub siret: Siret,
    pub call_year: i16,
    /// The funding rule set of the call (SPEC.md §6), e.g. `aap-2024`.
    pub rule_set: String,
    pub kind: Kind,
    /// Fewer than 15 ESSMS (8 in Corsica and overseas): SPEC.md §6.
    pub small_organisation: bool,
    pub desk: Desk,
    /// FINESS géographiques of the project's establishments.
    pub establishments: BTreeSet<Finess>,
    /// Only the milestones with at least one date.
    pub milestones: BTreeMap<Milestone, Dates>,
}

impl Project {
    /// What the workbook checks need of the project.
    pub fn reference(&self) -> ProjectRef {
        ProjectRef {
            galis: self.galis.clone(),
            siret: self.siret.clone(),
            establishments: self.establishments.clone(),
        }
    }
}

/// The registry in memory: the project of each GALIS, for checking files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registry {
    by_galis: HashMap<String, ProjectRef>,
}

impl Registry {
    pub fn new(projects: impl IntoIterator<Item = ProjectRef>) -> Self {
        Self {
            by_galis: projects
                .into_iter()
                .map(|p| (p.galis.trim().to_owned(), p))
                .collect(),
        }
    }

    /// The project of a Référence GALIS as read in a file (spaces at the ends ignored).
    pub fn get(&self, galis: &str) -> Option<&ProjectRef> {
        self.by_galis.get(galis.trim())
    }

    pub fn is_empty(&self) -> bool {
        self.by_galis.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_galis.len()
    }
}

fn french_date(d: Option<Date>) -> String {
    d.map_or_else(|| "–".to_owned(), crate::cells::french_date)
}

/// The registry as French text, one block per project.
pub fn to_text(projects: &[Project]) -> String {
    if projects.is_empty() {
        return "Registre des projets vide : importez-le avec « carnet collect projects import \
                FICHIER.csv »."
            .to_owned()
            + "\n";
    }
    let mut out = format!("{} projet(s)\n", projects.len());
    for p in projects {
        out.push_str(&format!(
            "\n{}{} — porteur SIRET {}, appel {} ({}), {}{}, guichet {}\n",
            p.galis,
            p.label
                .as_deref()
                .map(|l| format!(" « {l} »"))
                .unwrap_or_default(),
            p.siret,
            p.call_year,
            p.rule_set,
            p.kind.label(),
            if p.small_organisation {
                ", petit organisme"
            } else {
                ""
            },
            p.desk.label()
        ));
        out.push_str(&format!(
            "  {} ESSMS : {}\n",
            p.establishments.len(),
            p.establishments
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for (m, d) in &p.milestones {
            out.push_str(&format!(
                "  {} : prévu {}, réel {}\n",
                m.label(),
                french_date(d.planned),
                french_date(d.actual)
            ));
        }
    }
    out
}
