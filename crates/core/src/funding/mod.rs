//! Funding of ESMS numérique projects (SPEC.md §6): the rule sets of each call
//! as data, the subsidy of a project line by line, its payment in two parts
//! and the eligibility findings the ARS reads before selecting a project.
//!
//! Pure: the platform gives the project, the rule set and the other funded
//! projects; nothing here reads a file, a database or the clock. Money is in
//! integer euro cents (`u64`), never floats.
//!
//! - `rules`: the rule set and its validation (`crates/core/funding/*.json`);
//! - `project`: what the platform knows of a project;
//! - `subsidy`: the amounts, each line with its basis and rule;
//! - `balance`: advance, balance and the conditions of the balance;
//! - `eligibility`: thresholds, desk, single solution, double funding.

mod balance;
mod eligibility;
mod project;
mod rules;
mod subsidy;

pub use balance::{BalanceDecision, BalanceInputs, BalanceStatus};
pub use eligibility::{
    Desk, EligibilityReport, Finding, FindingCode, FundedProject, Severity, check_eligibility,
};
pub use project::{
    OrganisationSize, OrganisationStatus, Project, ProjectEstablishment, ProjectKind, SaadHours,
    organisation_statuses,
};
pub use rules::{
    Amoa, ByTerritory, Component, Eligibility, FundingRules, NationalDesk, Payment, SmallEquipment,
    SmallOrganisation, Tier,
};
pub use subsidy::{ComponentTotal, Subsidy, SubsidyLine, compute_subsidy};

/// Why a rule set or a project cannot be used. The `Display` text is French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FundingError {
    #[error("jeu de règles de financement invalide{} : {rule}", if .field.is_empty() { String::new() } else { format!(", champ « {} »", .field) })]
    RuleSetField { field: String, rule: String },
    #[error(
        "ESSMS FINESS {finess} (SAAD) : {eligible} heures éligibles pour {total} heures au total ; \
         le total doit être positif et au moins égal aux heures éligibles"
    )]
    SaadHours {
        finess: String,
        eligible: u64,
        total: u64,
    },
}

/// An amount in French notation: `7 000,00 €` (no-break spaces).
pub fn euros(cents: u64) -> String {
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(digit);
    }
    format!("{grouped},{:02}\u{a0}€", cents % 100)
}

/// "1er", "2e", "50e": French ordinals as the calls write them.
pub(crate) fn ordinal(rank: u32) -> String {
    if rank == 1 {
        "1er".to_owned()
    } else {
        format!("{rank}e")
    }
}

#[cfg(test)]
mod tests;
