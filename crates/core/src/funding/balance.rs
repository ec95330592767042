//! The balance of the subsidy: "50 % à la fin du projet", conditioned on "l'atteinte
//! des cibles d'usage à la fin du projet" and on "la fourniture, par le porteur,
//! des éléments de preuve des dépenses" (seed 001 §4.5). Which conditions apply
//! is read from the rule set.

use super::{Subsidy, euros};
use serde::{Deserialize, Serialize};

/// What the ARS knows at the end of the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BalanceInputs {
    pub usage_targets_reached: bool,
    pub expense_proofs_received: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceStatus {
    /// Every condition is met: the balance is paid.
    Due,
    /// Targets reached, proofs still missing: nothing is paid until they come.
    AwaitingProofs,
    /// The usage targets were not reached: the balance is not due.
    TargetsNotReached,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceDecision {
    pub status: BalanceStatus,
    pub due_cents: u64,
    /// The conditions not met, in French.
    pub unmet: Vec<String>,
    /// One French sentence for the page and the letter.
    pub message: String,
}

const TARGETS: &str = "cibles d'usage non atteintes à la fin du projet";
const PROOFS: &str = "preuves des dépenses non reçues (a minima un état récapitulatif des \
                      dépenses visé par le comptable public ou le commissaire aux comptes)";

impl Subsidy {
    /// The conditions of the balance, in French, as the rule set states them.
    pub fn balance_conditions(&self) -> Vec<&'static str> {
        let mut conditions = Vec::new();
        if self.payment.balance_requires_usage_targets {
            conditions.push("atteinte des cibles d'usage à la fin du projet");
        }
        if self.payment.balance_requires_expense_proofs {
            conditions.push("fourniture des éléments de preuve des dépenses");
        }
        conditions
    }

    /// How much of the balance is due given what the ARS knows at the end.
    pub fn balance_due(&self, inputs: BalanceInputs) -> BalanceDecision {
        let targets_missing =
            self.payment.balance_requires_usage_targets && !inputs.usage_targets_reached;
        let proofs_missing =
            self.payment.balance_requires_expense_proofs && !inputs.expense_proofs_received;
        let mut unmet = Vec::new();
        if targets_missing {
            unmet.push(TARGETS.to_owned());
        }
        if proofs_missing {
            unmet.push(PROOFS.to_owned());
        }
        let balance = euros(self.balance_cents);
        let (status, due_cents, message) = if targets_missing {
            (
                BalanceStatus::TargetsNotReached,
                0,
                format!("Solde de {balance} non dû : {}.", unmet.join(" ; ")),
            )
        } else if proofs_missing {
            (
                BalanceStatus::AwaitingProofs,
                0,
                format!("Solde de {balance} en attente : {PROOFS}."),
            )
        } else {
            (
                BalanceStatus::Due,
                self.balance_cents,
                format!("Solde de {balance} dû : conditions de versement remplies."),
            )
        };
        BalanceDecision {
            status,
            due_cents,
            unmet,
            message,
        }
    }
}
