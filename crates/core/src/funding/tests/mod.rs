//! Tests of the funding rules, written from SPEC.md §6 and the seeds it cites,
//! with the arithmetic done by hand in the comments.

use super::*;
use crate::ids::Finess;

mod balance;
mod eligibility;
mod proptests;
mod rules;
mod subsidy;

pub(super) fn rules_2021() -> FundingRules {
    FundingRules::builtin("aap-2021").unwrap().unwrap()
}

pub(super) fn rules_2024() -> FundingRules {
    FundingRules::builtin("aap-2024").unwrap().unwrap()
}

/// A valid FINESS in a metropolitan or Corsican département ("14", "2A").
pub(super) fn metro(department: &str, n: u32) -> Finess {
    Finess::with_computed_key(&format!("{department}0{n:05}")).unwrap()
}

/// A valid FINESS overseas: territory 1 Guadeloupe … 5 Saint-Pierre-et-Miquelon.
pub(super) fn overseas(territory: u32, n: u32) -> Finess {
    Finess::with_computed_key(&format!("970{territory}{n:04}")).unwrap()
}

pub(super) fn establishment(finess: Finess, organisation: &Finess) -> ProjectEstablishment {
    ProjectEstablishment {
        finess,
        organisation: organisation.clone(),
        solution: "Éditeur A — DUI Pro".to_owned(),
        saad_hours: None,
        equipment_quote_cents: None,
    }
}

/// A project of `n` ESSMS of one organisation, FINESS made by `make(i)`.
pub(super) fn project(kind: ProjectKind, n: u32, make: impl Fn(u32) -> Finess) -> Project {
    let organisation = metro("14", 99_999);
    Project {
        kind,
        establishments: (1..=n)
            .map(|i| establishment(make(i), &organisation))
            .collect(),
        organisations: Vec::new(),
        amoa_requested: false,
        joins_funded_group: false,
    }
}

pub(super) const EUR: u64 = 100;
