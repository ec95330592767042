//! The funding of a project as French text, for the terminal and the ARS letter.

use carnet_core::funding::{Severity, euros};

use super::Funding;

fn yes_no(reached: bool, yes: &str, no: &str) -> String {
    if reached { yes } else { no }.to_owned()
}

pub fn to_text(f: &Funding) -> String {
    let s = &f.subsidy;
    let mut out = format!(
        "Financement du projet {}{} — {}, appel {}\n",
        f.galis,
        f.label
            .as_deref()
            .map(|l| format!(" « {l} »"))
            .unwrap_or_default(),
        s.kind.label(),
        f.call_year
    );
    out.push_str(&format!(
        "Jeu de règles : {} — {}\n",
        s.rules_label, f.rules_origin
    ));
    for note in &f.notes {
        out.push_str(&format!("Note : {note}.\n"));
    }

    out.push_str(&format!(
        "\nSubvention ligne par ligne ({} ESSMS) :\n",
        s.establishments
    ));
    for line in &s.lines {
        out.push_str(&format!(
            "  - {}{} : {} — {} ; {}\n",
            line.label,
            line.finess
                .as_ref()
                .map(|f| format!(", ESSMS {f}"))
                .unwrap_or_default(),
            euros(line.amount_cents),
            line.basis,
            line.rule
        ));
    }
    out.push_str("\nTotal par composante :\n");
    for total in &s.totals {
        out.push_str(&format!(
            "  - {} : {}\n",
            total.label,
            euros(total.amount_cents)
        ));
    }
    out.push_str(&format!("Subvention totale : {}\n", euros(s.total_cents)));
    out.push_str(&format!(
        "Avance ({} % à la signature de la convention) : {}\n",
        s.payment.advance_percent,
        euros(s.advance_cents)
    ));
    out.push_str(&format!(
        "Solde (à la fin du projet) : {}\n",
        euros(s.balance_cents)
    ));
    let conditions = s.balance_conditions();
    if conditions.is_empty() {
        out.push_str("Le solde n'attend aucune condition.\n");
    } else {
        let inputs = f.balance_inputs;
        out.push_str("Le solde attend :\n");
        if s.payment.balance_requires_usage_targets {
            out.push_str(&format!(
                "  - l'atteinte des cibles d'usage à la fin du projet : {}\n",
                yes_no(inputs.usage_targets_reached, "atteintes", "non atteintes")
            ));
        }
        if s.payment.balance_requires_expense_proofs {
            out.push_str(&format!(
                "  - les éléments de preuve des dépenses : {}\n",
                yes_no(inputs.expense_proofs_received, "reçus", "non reçus")
            ));
        }
    }
    out.push_str(&format!("{}\n", f.balance.message));

    let e = &f.eligibility;
    let blocking = e
        .findings
        .iter()
        .filter(|x| x.severity == Severity::Blocking)
        .count();
    out.push_str(&if e.is_eligible() {
        "\nÉligibilité : éligible\n".to_owned()
    } else {
        format!("\nÉligibilité : NON éligible ({blocking} constat(s) bloquant(s))\n")
    });
    for finding in &e.findings {
        let severity = match finding.severity {
            Severity::Blocking => "bloquant",
            Severity::Warning => "avertissement",
            Severity::Information => "information",
        };
        out.push_str(&format!("  - [{severity}] {}\n", finding.message));
    }
    out
}
