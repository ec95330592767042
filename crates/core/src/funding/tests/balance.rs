use super::*;

fn subsidy_of_odd_cents() -> Subsidy {
    // 1 SAAD ESSMS: 5 000 € × 1 / 3 = 1 666,66 €; advance 833,33 €, balance 833,33 €.
    let mut p = project(ProjectKind::Upgrade, 1, |i| metro("14", i));
    p.establishments[0].saad_hours = Some(SaadHours {
        eligible: 1,
        total: 3,
    });
    let s = compute_subsidy(&rules_2024(), &p).unwrap();
    assert_eq!(s.total_cents, 166_666);
    s
}

#[test]
fn advance_is_rounded_down_and_the_balance_takes_the_odd_cent() {
    let mut p = project(ProjectKind::Upgrade, 1, |i| metro("14", i));
    p.establishments[0].saad_hours = Some(SaadHours {
        eligible: 2,
        total: 3,
    });
    let s = compute_subsidy(&rules_2024(), &p).unwrap();
    // 5 000 × 2 / 3 = 3 333,333… → 3 333,33 €; half: 1 666,665 → 1 666,66 €.
    assert_eq!(s.total_cents, 333_333);
    assert_eq!(s.advance_cents, 166_666);
    assert_eq!(s.balance_cents, 166_667);
}

#[test]
fn balance_is_due_only_when_targets_are_reached_and_proofs_received() {
    let s = subsidy_of_odd_cents();
    assert_eq!(
        s.balance_conditions(),
        [
            "atteinte des cibles d'usage à la fin du projet",
            "fourniture des éléments de preuve des dépenses"
        ]
    );
    let decide = |targets, proofs| {
        s.balance_due(BalanceInputs {
            usage_targets_reached: targets,
            expense_proofs_received: proofs,
        })
    };
    let due = decide(true, true);
    assert_eq!((due.status, due.due_cents), (BalanceStatus::Due, 83_333));
    assert_eq!(
        due.message,
        "Solde de 833,33\u{a0}€ dû : conditions de versement remplies."
    );
    assert!(due.unmet.is_empty());

    let waiting = decide(true, false);
    assert_eq!(
        (waiting.status, waiting.due_cents),
        (BalanceStatus::AwaitingProofs, 0)
    );
    assert!(
        waiting
            .message
            .starts_with("Solde de 833,33\u{a0}€ en attente : preuves des dépenses non reçues")
    );

    let missed = decide(false, true);
    assert_eq!(
        (missed.status, missed.due_cents),
        (BalanceStatus::TargetsNotReached, 0)
    );
    assert_eq!(
        missed.message,
        "Solde de 833,33\u{a0}€ non dû : cibles d'usage non atteintes à la fin du projet."
    );
    let both = decide(false, false);
    assert_eq!(both.status, BalanceStatus::TargetsNotReached);
    assert_eq!(both.unmet.len(), 2);
}

#[test]
fn conditions_come_from_the_rule_set() {
    let mut rules = rules_2024();
    rules.payment.balance_requires_expense_proofs = false;
    rules.payment.advance_percent = 30;
    let p = project(ProjectKind::Acquisition, 15, |i| metro("14", i));
    let s = compute_subsidy(&rules, &p).unwrap();
    // 15 × 21 000 = 315 000 €; 30 % = 94 500 €.
    assert_eq!(s.advance_cents, 94_500 * EUR);
    assert_eq!(s.balance_cents, 220_500 * EUR);
    let decision = s.balance_due(BalanceInputs {
        usage_targets_reached: true,
        expense_proofs_received: false,
    });
    assert_eq!(decision.due_cents, 220_500 * EUR);
}
