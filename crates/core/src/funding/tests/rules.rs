use super::*;

#[test]
fn shipped_rule_sets_parse_and_name_their_call() {
    assert_eq!(
        FundingRules::builtin_ids().collect::<Vec<_>>(),
        ["aap-2021", "aap-2024"]
    );
    let r2021 = rules_2021();
    assert_eq!((r2021.id.as_str(), r2021.call_year), ("aap-2021", 2021));
    let r2024 = rules_2024();
    assert_eq!((r2024.id.as_str(), r2024.call_year), ("aap-2024", 2024));
    assert!(FundingRules::builtin("aap-1999").unwrap().is_none());
}

#[test]
fn rule_set_2024_holds_the_amounts_of_spec_section_6() {
    let r = rules_2024();
    let amounts = |components: &[Component]| -> Vec<(String, Vec<(u32, u64)>)> {
        components
            .iter()
            .map(|c| {
                let tiers = c
                    .tiers
                    .iter()
                    .map(|t| (t.from_rank, t.amount_cents / EUR))
                    .collect();
                (c.code.clone(), tiers)
            })
            .collect()
    };
    assert_eq!(
        amounts(&r.acquisition),
        [
            (
                "developpement_usages".to_owned(),
                vec![(1, 7_000), (50, 2_000)]
            ),
            (
                "equipement_logiciel".to_owned(),
                vec![(1, 14_000), (50, 3_000)]
            ),
        ]
    );
    assert_eq!(
        amounts(&r.upgrade),
        [
            (
                "developpement_usages".to_owned(),
                vec![(1, 5_000), (50, 2_000)]
            ),
            ("equipement_logiciel".to_owned(), vec![(1, 0)]),
        ]
    );
    let small = &r.small_organisation;
    assert_eq!(
        small.fewer_than,
        ByTerritory {
            metropolitan: 15,
            corsica_overseas: 8
        }
    );
    assert_eq!(
        small
            .equipment
            .as_ref()
            .unwrap()
            .max_per_establishment_cents,
        20_000 * EUR
    );
    assert_eq!(
        small.amoa.as_ref().unwrap().amount_per_project_cents,
        100_000 * EUR
    );
    assert_eq!(r.payment.advance_percent, 50);
    assert_eq!(
        r.eligibility.national_desk,
        Some(NationalDesk {
            min_establishments: 50,
            min_regions: 2
        })
    );
}

fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut value: serde_json::Value =
        serde_json::from_str(include_str!("../../../funding/aap-2024.json")).unwrap();
    edit(&mut value);
    value.to_string()
}

fn error_of(text: &str) -> (String, String) {
    match FundingRules::from_json(text).unwrap_err() {
        FundingError::RuleSetField { field, rule } => (field, rule),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn bad_rule_sets_get_a_french_error_naming_the_field() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            edited(|v| {
                v.as_object_mut().unwrap().remove("call_year");
            }),
            "",
            "champ obligatoire absent : `call_year`",
        ),
        (
            edited(|v| v["payment"]["avance"] = 50.into()),
            "payment.avance",
            "champ inconnu : `avance`",
        ),
        (
            edited(|v| v["acquisition"][0]["tiers"][1]["amount_cents"] = (-200_000).into()),
            "acquisition[0].tiers[1].amount_cents",
            "valeur invalide",
        ),
        (
            edited(|v| v["acquisition"][1]["tiers"][0]["from_rank"] = 2.into()),
            "acquisition[1].tiers[0].from_rank",
            "la première tranche commence au 1er ESSMS (lu : 2)",
        ),
        (
            edited(|v| v["upgrade"][0]["tiers"][1]["from_rank"] = 1.into()),
            "upgrade[0].tiers[1].from_rank",
            "rangs croissants (1 après 1)",
        ),
        (
            edited(|v| v["upgrade"][1]["code"] = "developpement_usages".into()),
            "upgrade[1].code",
            "le code « developpement_usages » est donné deux fois",
        ),
        (
            edited(|v| v["payment"]["advance_percent"] = 150.into()),
            "payment.advance_percent",
            "pourcentage de 0 à 100 (lu : 150)",
        ),
        (
            edited(|v| v["eligibility"]["national_desk"]["min_regions"] = 1.into()),
            "eligibility.national_desk.min_regions",
            "au moins 2 régions (lu : 1)",
        ),
        (
            edited(|v| v["small_organisation"]["fewer_than"]["corsica_overseas"] = 0.into()),
            "small_organisation.fewer_than.corsica_overseas",
            "au moins 1 (lu : 0)",
        ),
        (
            edited(|v| v["acquisition"][0]["max_establishments"] = 0.into()),
            "acquisition[0].max_establishments",
            "mettez null pour aucun plafond",
        ),
        (
            edited(|v| {
                v["small_organisation"]["amoa"]["amount_per_project_cents"] =
                    100_000_000_000u64.into()
            }),
            "small_organisation.amoa.amount_per_project_cents",
            "les montants sont en centimes",
        ),
        (
            edited(|v| v["id"] = "AAP 2024".into()),
            "id",
            "identifiant « AAP 2024 » invalide",
        ),
        (
            edited(|v| v["call_year"] = 24.into()),
            "call_year",
            "(lu : 24)",
        ),
        (
            edited(|v| v["upgrade"] = serde_json::json!([])),
            "upgrade",
            "au moins un",
        ),
        ("{ \"id\": ".to_owned(), "id", "JSON invalide à la ligne 1"),
    ];
    for (text, field, rule) in cases {
        let (got_field, got_rule) = error_of(&text);
        assert_eq!(got_field, field, "{got_rule}");
        assert!(
            got_rule.contains(rule),
            "« {got_rule} » should contain « {rule} »"
        );
    }
    let message =
        FundingRules::from_json(&edited(|v| v["payment"]["advance_percent"] = 150.into()))
            .unwrap_err()
            .to_string();
    assert_eq!(
        message,
        "jeu de règles de financement invalide, champ « payment.advance_percent » : l'avance est \
         un pourcentage de 0 à 100 (lu : 150)"
    );
}

#[test]
fn euros_are_written_the_french_way() {
    assert_eq!(euros(0), "0,00\u{a0}€");
    assert_eq!(euros(700_000), "7\u{a0}000,00\u{a0}€");
    assert_eq!(euros(105_900_000), "1\u{a0}059\u{a0}000,00\u{a0}€");
    assert_eq!(euros(166_666), "1\u{a0}666,66\u{a0}€");
}
