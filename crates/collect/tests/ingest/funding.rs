//! Funding of a registered project with a details file, on every available
//! backend: totals against a hand computation, bad details named by field,
//! an establishment in two projects as an eligibility finding.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use carnet_collect::funding::{self, Details, FundingError};
use carnet_core::funding::{BalanceInputs, BalanceStatus, FindingCode, Severity};

use crate::platform::{SIRET_B, import, line};
use crate::support::*;
use crate::versions::backends;

/// FINESS juridique of the organisation (SPEC.md §2.1: a valid number).
const EJ: &str = "330780495";

fn details_json() -> String {
    format!(
        r#"{{
  "organisme": "{EJ}",
  "solution": "Éditeur A — DUI 5",
  "amoa_demandee": true,
  "essms": {{
    "{f0}": {{ "heures_saad": {{ "eligibles": 3000, "total": 4000 }} }},
    "{f1}": {{ "devis_equipement": 25000 }},
    "{f2}": {{ "devis_equipement": "12 500,50", "solution": "éditeur a  — dui 5" }}
  }}
}}"#,
        f0 = finess(0),
        f1 = finess(1),
        f2 = finess(2),
    )
}

fn no_inputs() -> BalanceInputs {
    BalanceInputs {
        usage_targets_reached: false,
        expense_proofs_received: false,
    }
}

#[tokio::test]
async fn funding_of_a_registered_project_follows_the_hand_computation() {
    let twelve: Vec<String> = (0..12).map(finess).collect();
    // 4108 also lists finess(5): an ESSMS in two projects.
    let other = line("4108", SIRET_B, "75", &[finess(5), finess(40)]);
    let details = Details::from_json(details_json().as_bytes()).unwrap();
    for t in backends().await {
        import(&t.db, &[line("4107", SIRET, "75", &twelve), other.clone()]).await;
        let f = funding::funding(&t.db, "4107", None, Some(&details), no_inputs())
            .await
            .unwrap();
        assert_eq!(f.subsidy.rules_id, "aap-2024", "{}", t.name);
        assert!(f.rules_origin.contains("année d'appel 2024"));
        // Hand computation, aap-2024, acquisition, 12 ESSMS of one organisation
        // of 12 (< 15: small):
        //   usage development: 11 × 7 000 + 7 000 × 3 000 / 4 000 (SAAD) = 82 250,00
        //   software equipment: 11 × 14 000 + 14 000 × 3 000 / 4 000    = 164 500,00
        //   hardware (small organisation): min(25 000, 20 000) + 12 500,50 = 32 500,50
        //   AMOA, per project:                                           = 100 000,00
        //   total 379 250,50; advance 50 % = 189 625,25; balance 189 625,25
        let totals: Vec<(&str, u64)> = f
            .subsidy
            .totals
            .iter()
            .map(|t| (t.component.as_str(), t.amount_cents))
            .collect();
        assert_eq!(
            totals,
            vec![
                ("developpement_usages", 8_225_000),
                ("equipement_logiciel", 16_450_000),
                ("equipement_materiel", 3_250_050),
                ("amoa", 10_000_000),
            ]
        );
        assert_eq!(f.subsidy.total_cents, 37_925_050);
        assert_eq!(f.subsidy.advance_cents, 18_962_525);
        assert_eq!(f.subsidy.balance_cents, 18_962_525);
        assert_eq!(f.balance.status, BalanceStatus::TargetsNotReached);
        assert!(f.notes.is_empty(), "{:?}", f.notes);

        // finess(5) is also in 4108: blocking; 12 < 15: below the ideal minimum.
        let e = &f.eligibility;
        assert!(!e.is_eligible());
        let already: Vec<_> = e
            .findings
            .iter()
            .filter(|x| x.code == FindingCode::AlreadyFunded)
            .collect();
        assert_eq!(already.len(), 1, "{:?}", e.findings);
        assert_eq!(already[0].severity, Severity::Blocking);
        assert_eq!(already[0].finess.as_ref().unwrap().to_string(), finess(5));
        assert!(already[0].message.contains("projet 4108"));
        assert!(
            e.findings
                .iter()
                .any(|x| x.code == FindingCode::BelowIdealMinimum)
        );
        // The same solution typed differently is one solution.
        assert!(
            !e.findings
                .iter()
                .any(|x| x.code == FindingCode::SeveralSolutions)
        );

        let text = funding::to_text(&f);
        assert!(
            text.contains("Subvention totale : 379\u{a0}250,50\u{a0}€"),
            "{text}"
        );
        assert!(text.contains("Avance (50 % à la signature"), "{text}");
        assert!(
            text.contains("NON éligible (1 constat(s) bloquant(s))"),
            "{text}"
        );
        assert!(text.contains("non atteintes"), "{text}");

        // Both conditions met: the balance is due.
        let done = BalanceInputs {
            usage_targets_reached: true,
            expense_proofs_received: true,
        };
        let f = funding::funding(&t.db, "4107", None, Some(&details), done)
            .await
            .unwrap();
        assert_eq!(f.balance.status, BalanceStatus::Due);
        assert_eq!(f.balance.due_cents, 18_962_525);

        // The 2021 rules when asked: 12 × 25 000 (30 ESSMS at most).
        let rules = funding::builtin_rules("aap-2021").unwrap();
        let f = funding::funding(
            &t.db,
            "4107",
            Some((rules, "donné".to_owned())),
            None,
            no_inputs(),
        )
        .await
        .unwrap();
        assert_eq!(f.subsidy.totals[0].amount_cents, 12 * 2_500_000);
        assert_eq!(f.notes.len(), 2, "{:?}", f.notes);
        assert!(f.notes[0].contains("FINESS juridique non donné pour 12 ESSMS"));

        let unknown = funding::funding(&t.db, "9999", None, None, no_inputs()).await;
        assert!(matches!(unknown, Err(FundingError::UnknownProject(_))));
    }
}

#[tokio::test]
async fn a_bad_details_file_is_refused_naming_the_field() {
    let f0 = finess(0);
    let cases: Vec<(String, String, &str)> = vec![
        (
            format!(
                r#"{{"essms": {{"{f0}": {{"heures_saad": {{"eligibles": 5000, "total": 4000}}}}}}}}"#
            ),
            format!("essms.{f0}.heures_saad.total"),
            "au moins égal aux heures éligibles",
        ),
        (
            format!(r#"{{"essms": {{"{f0}": {{"devis_equipement": 12500.5}}}}}}"#),
            format!("essms.{f0}.devis_equipement"),
            "montant en euros attendu",
        ),
        (
            r#"{"organsime": "330780495"}"#.to_owned(),
            "organsime".to_owned(),
            "champ inconnu",
        ),
        (
            r#"{"organisme": "330780496"}"#.to_owned(),
            "organisme".to_owned(),
            "FINESS « 330780496 » invalide",
        ),
        (
            r#"{"amoa_demandee": "oui"}"#.to_owned(),
            "amoa_demandee".to_owned(),
            "true ou false",
        ),
        (
            r#"{"organismes": [{"finess": "330780495"}]}"#.to_owned(),
            "organismes[0].nombre_essms".to_owned(),
            "champ obligatoire absent",
        ),
        (
            "{ \"solution\": ".to_owned(),
            "(fichier)".to_owned(),
            "JSON invalide à la ligne 1",
        ),
    ];
    for (json, field, message) in cases {
        let e = Details::from_json(json.as_bytes()).unwrap_err();
        assert_eq!(e.field, field, "{json}: {e}");
        assert!(e.to_string().contains(message), "{json}: {e}");
        assert!(
            e.to_string()
                .starts_with(&format!("fichier de détails, champ « {field} »")),
            "{e}"
        );
    }

    // A well-formed file about an ESSMS outside the project.
    let stranger = finess(30);
    let details = Details::from_json(
        format!(r#"{{"essms": {{"{stranger}": {{"solution": "A"}}}}}}"#).as_bytes(),
    )
    .unwrap();
    for t in backends().await {
        import(&t.db, &[line("4107", SIRET, "75", &[finess(0), finess(1)])]).await;
        let e = funding::funding(&t.db, "4107", None, Some(&details), no_inputs())
            .await
            .unwrap_err();
        let FundingError::Details(e) = e else {
            panic!("{e}");
        };
        assert_eq!(e.field, format!("essms.{stranger}"), "{}", t.name);
        assert!(e.message.contains("pas dans le projet 4107"), "{e}");
    }
}
