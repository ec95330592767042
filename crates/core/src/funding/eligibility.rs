//! Eligibility findings read by the ARS before selecting a project (SPEC.md §6):
//! number of ESSMS against the thresholds of the call, regional or national
//! desk, one single DUI solution, no ESSMS funded twice. Each finding is a
//! French sentence with a stable code; only blocking ones make a project
//! ineligible, the others inform the selection committee.

use super::{FundingRules, Project};
use crate::ids::Finess;
use crate::region::{Region, region_label};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The project cannot be funded as it stands.
    Blocking,
    /// The ARS appreciates (seed 001: "L'ARS appréciera ce minima…").
    Warning,
    Information,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingCode {
    TooFewEstablishments,
    JoinsFundedGroup,
    BelowIdealMinimum,
    EnoughEstablishments,
    Desk,
    OutsideArsRegions,
    SeveralSolutions,
    MissingSolution,
    DuplicateEstablishment,
    AlreadyFunded,
    AlreadyFundedSameSoftware,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: FindingCode,
    pub severity: Severity,
    /// The ESSMS concerned, when the finding is about one.
    pub finess: Option<Finess>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Desk {
    Regional,
    National,
}

/// Another project already funded by the programme (any call).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundedProject {
    /// Référence GALIS or any reference the ARS knows it by.
    pub reference: String,
    /// Its DUI solution, when known.
    #[serde(default)]
    pub solution: Option<String>,
    pub establishments: Vec<Finess>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EligibilityReport {
    /// Unique FINESS géographiques.
    pub establishments: u32,
    /// Every ESSMS is in Corsica or overseas: the lower thresholds apply.
    pub corsica_overseas: bool,
    /// Regions of the ESSMS; `None` stands for Saint-Pierre-et-Miquelon.
    pub regions: Vec<Option<Region>>,
    pub desk: Desk,
    pub findings: Vec<Finding>,
}

impl EligibilityReport {
    /// No blocking finding.
    pub fn is_eligible(&self) -> bool {
        self.findings
            .iter()
            .all(|f| f.severity != Severity::Blocking)
    }
}

/// Solutions are compared without case or repeated spaces: "Logiciel  X" and
/// "logiciel x" are the same product typed twice.
fn normalise(solution: &str) -> String {
    solution
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

pub fn check_eligibility(
    rules: &FundingRules,
    project: &Project,
    funded: &[FundedProject],
) -> EligibilityReport {
    let unique = project.unique_establishments();
    let count = u32::try_from(unique.len()).unwrap_or(u32::MAX);
    let corsica_overseas = project.corsica_overseas();
    let mut findings = Vec::new();
    let finding = |code, severity, finess: Option<&Finess>, message: String| Finding {
        code,
        severity,
        finess: finess.cloned(),
        message,
    };

    // Number of ESSMS (seed 001 §D, seed 003).
    let territory = if corsica_overseas {
        " (Corse et outre-mer)"
    } else {
        ""
    };
    let eligibility = &rules.eligibility;
    let rejected_below = eligibility.rejected_below.get(corsica_overseas);
    let ideal = eligibility.ideal_minimum.get(corsica_overseas);
    if count < rejected_below {
        if project.joins_funded_group && eligibility.joining_funded_group_exempts {
            findings.push(finding(
                FindingCode::JoinsFundedGroup,
                Severity::Warning,
                None,
                format!(
                    "{count} ESSMS, moins de {rejected_below}{territory} : recevable seulement \
                     parce que le projet rejoint un regroupement déjà financé, si le calendrier \
                     est cohérent avec le projet initial et sans risque excessif pour ses cibles \
                     d'usage"
                ),
            ));
        } else {
            findings.push(finding(
                FindingCode::TooFewEstablishments,
                Severity::Blocking,
                None,
                format!(
                    "{count} ESSMS, moins de {rejected_below}{territory} : candidature écartée \
                     (sauf pour rejoindre un regroupement déjà financé)"
                ),
            ));
        }
    } else if count < ideal {
        findings.push(finding(
            FindingCode::BelowIdealMinimum,
            Severity::Warning,
            None,
            format!(
                "{count} ESSMS, sous le minimum souhaité de {ideal}{territory} : l'ARS apprécie \
                 selon la capacité du porteur ; un regroupement est conseillé"
            ),
        ));
    } else {
        findings.push(finding(
            FindingCode::EnoughEstablishments,
            Severity::Information,
            None,
            format!("{count} ESSMS, au moins {ideal}{territory} : seuil atteint"),
        ));
    }

    // Desk (seed 001 §4.3).
    let regions: Vec<Option<Region>> = unique
        .iter()
        .map(|e| Region::of(&e.finess))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let region_count = u32::try_from(regions.len()).unwrap_or(u32::MAX);
    let names = regions
        .iter()
        .map(|r| region_label(*r))
        .collect::<Vec<_>>()
        .join(", ");
    let (desk, desk_message) = match eligibility.national_desk {
        Some(national)
            if count >= national.min_establishments && region_count >= national.min_regions =>
        {
            (
                Desk::National,
                format!(
                    "guichet national : {count} ESSMS dans {region_count} régions ({names}) ; seuil : \
                 au moins {} ESSMS dans au moins {} régions",
                    national.min_establishments, national.min_regions
                ),
            )
        }
        Some(national) => (
            Desk::Regional,
            format!(
                "guichet régional : {count} ESSMS dans {region_count} région(s) ({names}) ; le \
                 guichet national demande au moins {} ESSMS dans au moins {} régions",
                national.min_establishments, national.min_regions
            ),
        ),
        None => (
            Desk::Regional,
            format!(
                "guichet régional : l'appel « {} » n'a que des guichets régionaux ({names})",
                rules.label
            ),
        ),
    };
    findings.push(finding(
        FindingCode::Desk,
        Severity::Information,
        None,
        desk_message,
    ));
    for establishment in &unique {
        if Region::of(&establishment.finess).is_none() {
            findings.push(finding(
                FindingCode::OutsideArsRegions,
                Severity::Information,
                Some(&establishment.finess),
                format!(
                    "ESSMS FINESS {} à Saint-Pierre-et-Miquelon : hors des 18 régions (pas \
                     d'ARS), compté comme un territoire à part",
                    establishment.finess
                ),
            ));
        }
    }

    // One single DUI solution (seed 003: "il fallait avoir le même éditeur").
    let mut solutions: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for establishment in &project.establishments {
        if establishment.solution.trim().is_empty() {
            findings.push(finding(
                FindingCode::MissingSolution,
                Severity::Warning,
                Some(&establishment.finess),
                format!(
                    "ESSMS FINESS {} : solution DUI non renseignée",
                    establishment.finess
                ),
            ));
            continue;
        }
        solutions
            .entry(normalise(&establishment.solution))
            .or_insert_with(|| (establishment.solution.trim().to_owned(), 0))
            .1 += 1;
    }
    if solutions.len() > 1 {
        let list = solutions
            .values()
            .map(|(name, n)| format!("« {name} » ({n} ESSMS)"))
            .collect::<Vec<_>>()
            .join(", ");
        findings.push(finding(
            FindingCode::SeveralSolutions,
            Severity::Blocking,
            None,
            format!(
                "{} solutions DUI différentes : {list} ; une seule solution est admise pour tous \
                 les ESSMS du projet",
                solutions.len()
            ),
        ));
    }

    // Counted once per FINESS géographique (seed 003).
    let mut occurrences: BTreeMap<&Finess, usize> = BTreeMap::new();
    for establishment in &project.establishments {
        *occurrences.entry(&establishment.finess).or_default() += 1;
    }
    for (finess, n) in occurrences.into_iter().filter(|(_, n)| *n > 1) {
        findings.push(finding(
            FindingCode::DuplicateEstablishment,
            Severity::Warning,
            Some(finess),
            format!(
                "ESSMS FINESS {finess} donné {n} fois : compté une seule fois (l'unité de \
                 comptabilisation est le FINESS géographique)"
            ),
        ));
    }

    // Never funded twice (seed 003: "un seul financement par type de DSR").
    for establishment in &unique {
        let own = normalise(&establishment.solution);
        for other in funded
            .iter()
            .filter(|p| p.establishments.contains(&establishment.finess))
        {
            let same = other
                .solution
                .as_deref()
                .is_some_and(|s| normalise(s) == own);
            let (code, message) = if same {
                (
                    FindingCode::AlreadyFundedSameSoftware,
                    format!(
                        "ESSMS FINESS {} déjà financé pour le même logiciel « {} » dans le projet \
                         {}",
                        establishment.finess,
                        establishment.solution.trim(),
                        other.reference
                    ),
                )
            } else {
                (
                    FindingCode::AlreadyFunded,
                    format!(
                        "ESSMS FINESS {} déjà financé dans le projet {}{} : un ESSMS ne peut \
                         être financé que pour un seul DUI",
                        establishment.finess,
                        other.reference,
                        other
                            .solution
                            .as_deref()
                            .map(|s| format!(" (logiciel « {} »)", s.trim()))
                            .unwrap_or_default()
                    ),
                )
            };
            findings.push(finding(
                code,
                Severity::Blocking,
                Some(&establishment.finess),
                message,
            ));
        }
    }

    findings.sort_by_key(|f| f.severity);
    EligibilityReport {
        establishments: count,
        corsica_overseas,
        regions,
        desk,
        findings,
    }
}
