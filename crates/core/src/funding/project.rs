//! What the platform knows of a project when it computes its subsidy or checks
//! its eligibility, and the size of each organisation in it.

use super::FundingRules;
use crate::ids::Finess;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectKind {
    /// Acquisition of a new DUI, whether or not the ESSMS had one before.
    Acquisition,
    /// Upgrade to a Ségur-referenced version (2021: mise en conformité).
    Upgrade,
}

impl ProjectKind {
    pub fn label(self) -> &'static str {
        match self {
            ProjectKind::Acquisition => "acquisition d'une solution DUI",
            ProjectKind::Upgrade => "montée de version d'une solution DUI",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    pub kind: ProjectKind,
    /// Counted per unique FINESS géographique: a FINESS given twice counts
    /// once, with the data of its first occurrence (eligibility says so).
    pub establishments: Vec<ProjectEstablishment>,
    /// Declared sizes of organisations, all their ESSMS included (an
    /// organisation may bring only part of them into the project). Without a
    /// declaration the size is the count of its ESSMS in the project.
    #[serde(default)]
    pub organisations: Vec<OrganisationSize>,
    /// Whether the project holder asks for the flat AMOA amount.
    #[serde(default)]
    pub amoa_requested: bool,
    /// The project joins a group already funded by the programme (seed 001 §D).
    #[serde(default)]
    pub joins_funded_group: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectEstablishment {
    /// FINESS géographique (ET).
    pub finess: Finess,
    /// FINESS juridique (EJ) of its organisation.
    pub organisation: Finess,
    /// The DUI solution (editor and product) chosen for this ESSMS.
    pub solution: String,
    /// Only for a SAAD: its hours, for prorating (seed 001, annexe 1).
    #[serde(default)]
    pub saad_hours: Option<SaadHours>,
    /// Quotes for equipment and infrastructure, in cents (small organisations).
    #[serde(default)]
    pub equipment_quote_cents: Option<u64>,
}

/// Hours of a SAAD in year N-1: those financed as medico-social activity
/// (APA, PCH, other funders) and all hours. Any unit works (hours, hundredths
/// of an hour) provided both use the same one: only their ratio is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaadHours {
    pub eligible: u64,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationSize {
    /// FINESS juridique (EJ).
    pub finess: Finess,
    pub establishments: u32,
}

/// Whether an organisation of the project is small in the sense of the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganisationStatus {
    pub finess: Finess,
    /// The larger of its declared size and its ESSMS in the project.
    pub establishments: u32,
    /// All its ESSMS of the project are in Corsica or overseas: the lower
    /// threshold applies (seed 001: "moins de 8 ESSMS pour la Corse et les
    /// territoires ultramarins"). An organisation that also runs ESSMS in
    /// metropolitan France is judged on the metropolitan threshold.
    pub corsica_overseas: bool,
    /// "Small" when it has fewer ESSMS than this.
    pub threshold: u32,
    pub small: bool,
}

impl Project {
    /// The establishments counted once each, in the order of their FINESS:
    /// that order gives the ranks of the tiers ("up to the 49th ESSMS"), so
    /// that the same set of ESSMS gives the same amounts whatever order the
    /// file listed them in.
    pub fn unique_establishments(&self) -> Vec<&ProjectEstablishment> {
        let mut seen = BTreeMap::new();
        for establishment in &self.establishments {
            seen.entry(&establishment.finess).or_insert(establishment);
        }
        seen.into_values().collect()
    }

    /// Every ESSMS of the project is in Corsica or overseas: the lower
    /// thresholds of the call apply to the project.
    pub fn corsica_overseas(&self) -> bool {
        !self.establishments.is_empty()
            && self
                .establishments
                .iter()
                .all(|e| e.finess.territory().is_corsica_or_overseas())
    }
}

/// The organisations of the project with their size, in FINESS order.
pub fn organisation_statuses(rules: &FundingRules, project: &Project) -> Vec<OrganisationStatus> {
    let mut members: BTreeMap<&Finess, BTreeSet<&Finess>> = BTreeMap::new();
    for establishment in project.unique_establishments() {
        members
            .entry(&establishment.organisation)
            .or_default()
            .insert(&establishment.finess);
    }
    members
        .into_iter()
        .map(|(organisation, establishments)| {
            let in_project = u32::try_from(establishments.len()).unwrap_or(u32::MAX);
            let declared = project
                .organisations
                .iter()
                .filter(|o| &o.finess == organisation)
                .map(|o| o.establishments)
                .max()
                .unwrap_or(0);
            let count = in_project.max(declared);
            let corsica_overseas = establishments
                .iter()
                .all(|f| f.territory().is_corsica_or_overseas());
            let threshold = rules.small_organisation.fewer_than.get(corsica_overseas);
            OrganisationStatus {
                finess: organisation.clone(),
                establishments: count,
                corsica_overseas,
                threshold,
                small: count < threshold,
            }
        })
        .collect()
}
