use super::*;

fn total_of(subsidy: &Subsidy, code: &str) -> u64 {
    subsidy
        .totals
        .iter()
        .find(|t| t.component == code)
        .map_or(0, |t| t.amount_cents)
}

#[test]
fn acquisition_2024_of_55_essms_changes_tier_at_the_50th() {
    let mut p = project(ProjectKind::Acquisition, 55, |i| metro("14", i));
    p.amoa_requested = true;
    let s = compute_subsidy(&rules_2024(), &p).unwrap();
    // Usage development: 49 × 7 000 € + 6 × 2 000 € = 343 000 + 12 000 = 355 000 €.
    assert_eq!(total_of(&s, "developpement_usages"), 355_000 * EUR);
    // Software equipment: 49 × 14 000 € + 6 × 3 000 € = 686 000 + 18 000 = 704 000 €.
    assert_eq!(total_of(&s, "equipement_logiciel"), 704_000 * EUR);
    // 55 ESSMS in one organisation: not small (≥ 15), so no AMOA although asked.
    assert_eq!(total_of(&s, "amoa"), 0);
    // 355 000 + 704 000 = 1 059 000 €; advance 50 % = 529 500 €.
    assert_eq!(s.total_cents, 1_059_000 * EUR);
    assert_eq!(s.advance_cents, 529_500 * EUR);
    assert_eq!(s.balance_cents, 529_500 * EUR);
    assert_eq!(s.establishments, 55);
    assert_eq!(s.lines.len(), 55 * 2 + 1);

    let usage: Vec<&SubsidyLine> = s
        .lines
        .iter()
        .filter(|l| l.component == "developpement_usages")
        .collect();
    assert_eq!(usage[48].basis, "49e ESSMS du projet (sur 55)");
    assert_eq!(
        usage[48].rule,
        "7\u{a0}000,00\u{a0}€ par ESSMS jusqu'au 49e ESSMS"
    );
    assert_eq!(usage[49].amount_cents, 2_000 * EUR);
    assert_eq!(
        usage[49].rule,
        "2\u{a0}000,00\u{a0}€ par ESSMS à partir du 50e ESSMS"
    );
    assert_eq!(usage[0].basis, "1er ESSMS du projet (sur 55)");
    let amoa = s.lines.last().unwrap();
    assert_eq!(amoa.finess, None);
    assert!(
        amoa.basis.contains("qui ne sont pas petits"),
        "{}",
        amoa.basis
    );
}

#[test]
fn ranks_follow_the_finess_order_not_the_file_order() {
    let mut p = project(ProjectKind::Acquisition, 55, |i| metro("76", i));
    let forward = compute_subsidy(&rules_2024(), &p).unwrap();
    p.establishments.reverse();
    let backward = compute_subsidy(&rules_2024(), &p).unwrap();
    assert_eq!(forward, backward);
}

#[test]
fn a_finess_given_twice_is_paid_once() {
    let mut p = project(ProjectKind::Acquisition, 3, |i| metro("14", i));
    p.establishments.push(p.establishments[0].clone());
    let s = compute_subsidy(&rules_2024(), &p).unwrap();
    // 3 × (7 000 + 14 000) = 63 000 € (+ small equipment: no quotes, 0).
    assert_eq!(s.establishments, 3);
    assert_eq!(s.total_cents, 63_000 * EUR);
}

/// A small organisation of 7 ESSMS in La Réunion (fewer than 8 overseas).
fn reunion_project(n: u32) -> Project {
    let organisation = overseas(4, 9_999);
    let quotes = [
        Some(15_000 * EUR), // below the ceiling: paid as quoted
        Some(25_000 * EUR), // above: 20 000 €
        Some(20_000 * EUR), // exactly the ceiling
        None,               // no quote: nothing
    ];
    Project {
        kind: ProjectKind::Acquisition,
        establishments: (1..=n)
            .map(|i| ProjectEstablishment {
                equipment_quote_cents: quotes.get(i as usize - 1).copied().unwrap_or(Some(800_050)), // 8 000,50 €
                ..establishment(overseas(4, i), &organisation)
            })
            .collect(),
        organisations: Vec::new(),
        amoa_requested: true,
        joins_funded_group: false,
    }
}

#[test]
fn small_overseas_organisation_gets_equipment_capped_by_quotes_and_amoa() {
    let s = compute_subsidy(&rules_2024(), &reunion_project(7)).unwrap();
    // Usage 7 × 7 000 = 49 000 €; software 7 × 14 000 = 98 000 €.
    assert_eq!(total_of(&s, "developpement_usages"), 49_000 * EUR);
    assert_eq!(total_of(&s, "equipement_logiciel"), 98_000 * EUR);
    // Equipment, at most 20 000 € per ESSMS and never above the quote:
    // 15 000 + min(25 000, 20 000) + 20 000 + 0 (no quote) + 3 × 8 000,50
    // = 55 000 + 24 001,50 = 79 001,50 €.
    let equipment: Vec<u64> = s
        .lines
        .iter()
        .filter(|l| l.component == "equipement_materiel")
        .map(|l| l.amount_cents)
        .collect();
    assert_eq!(
        equipment,
        [
            15_000 * EUR,
            20_000 * EUR,
            20_000 * EUR,
            0,
            800_050,
            800_050,
            800_050
        ]
    );
    assert_eq!(total_of(&s, "equipement_materiel"), 7_900_150);
    // AMOA: 100 000 € per project, the only organisation being small.
    assert_eq!(total_of(&s, "amoa"), 100_000 * EUR);
    // 49 000 + 98 000 + 79 001,50 + 100 000 = 326 001,50 €; half each.
    assert_eq!(s.total_cents, 32_600_150);
    assert_eq!(s.advance_cents, 16_300_075);
    assert_eq!(s.balance_cents, 16_300_075);

    let above = s
        .lines
        .iter()
        .find(|l| l.component == "equipement_materiel" && l.amount_cents == 20_000 * EUR)
        .unwrap();
    assert!(
        above
            .basis
            .contains("7 ESSMS (petit organisme gestionnaire : moins de 8, Corse et outre-mer)"),
        "{}",
        above.basis
    );
    assert!(
        above.basis.contains("devis de 25\u{a0}000,00\u{a0}€"),
        "{}",
        above.basis
    );
    assert_eq!(
        above.rule,
        "au plus 20\u{a0}000,00\u{a0}€ par ESSMS, jamais au-delà des devis"
    );
    let none = s
        .lines
        .iter()
        .find(|l| l.component == "equipement_materiel" && l.amount_cents == 0)
        .unwrap();
    assert!(none.basis.ends_with("aucun devis fourni"), "{}", none.basis);
}

#[test]
fn nine_overseas_essms_are_not_a_small_organisation_but_nine_metropolitan_are() {
    // SPEC.md §6: small means fewer than 8 ESSMS in Corsica and overseas.
    let s = compute_subsidy(&rules_2024(), &reunion_project(9)).unwrap();
    assert_eq!(total_of(&s, "equipement_materiel"), 0);
    assert_eq!(total_of(&s, "amoa"), 0);
    let refused = s
        .lines
        .iter()
        .find(|l| l.component == "equipement_materiel")
        .unwrap();
    assert_eq!(
        refused.rule,
        "équipements financés aux seuls petits organismes gestionnaires"
    );
    // 9 × 7 000 + 9 × 14 000 = 189 000 €.
    assert_eq!(s.total_cents, 189_000 * EUR);

    // The same nine ESSMS in Normandie: fewer than 15, small.
    let mut p = reunion_project(9);
    for (i, e) in (1..).zip(p.establishments.iter_mut()) {
        e.finess = metro("14", i);
    }
    let s = compute_subsidy(&rules_2024(), &p).unwrap();
    // 15 000 + 20 000 + 20 000 + 0 + 5 × 8 000,50 = 95 002,50 €.
    assert_eq!(total_of(&s, "equipement_materiel"), 9_500_250);
    assert_eq!(total_of(&s, "amoa"), 100_000 * EUR);
}

#[test]
fn a_declared_size_larger_than_the_project_makes_the_organisation_not_small() {
    let mut p = project(ProjectKind::Acquisition, 5, |i| metro("14", i));
    for e in &mut p.establishments {
        e.equipment_quote_cents = Some(10_000 * EUR);
    }
    let organisation = p.establishments[0].organisation.clone();
    let small = compute_subsidy(&rules_2024(), &p).unwrap();
    assert_eq!(total_of(&small, "equipement_materiel"), 50_000 * EUR);
    p.organisations.push(OrganisationSize {
        finess: organisation,
        establishments: 40,
    });
    let large = compute_subsidy(&rules_2024(), &p).unwrap();
    assert_eq!(total_of(&large, "equipement_materiel"), 0);
}

#[test]
fn amoa_needs_every_organisation_of_the_group_to_be_small() {
    // A group of a small organisation (5 ESSMS) and a large one (20 ESSMS).
    let small_og = metro("14", 90_001);
    let large_og = metro("14", 90_002);
    let mut establishments: Vec<ProjectEstablishment> = (1..=5)
        .map(|i| establishment(metro("14", i), &small_og))
        .collect();
    establishments.extend((6..=25).map(|i| establishment(metro("14", i), &large_og)));
    let p = Project {
        kind: ProjectKind::Upgrade,
        establishments,
        organisations: Vec::new(),
        amoa_requested: true,
        joins_funded_group: false,
    };
    let s = compute_subsidy(&rules_2024(), &p).unwrap();
    assert_eq!(total_of(&s, "amoa"), 0);
    let amoa = s.lines.iter().find(|l| l.component == "amoa").unwrap();
    assert!(
        amoa.basis.contains(&format!("{large_og} (20 ESSMS)")),
        "{}",
        amoa.basis
    );
    // Upgrade: 25 × 5 000 € usage; software paid to the editor through SONS.
    assert_eq!(total_of(&s, "developpement_usages"), 125_000 * EUR);
    assert_eq!(total_of(&s, "equipement_logiciel"), 0);
    let software = s
        .lines
        .iter()
        .find(|l| l.component == "equipement_logiciel")
        .unwrap();
    assert!(
        software
            .rule
            .ends_with("(versé à l'éditeur via le dispositif SONS)"),
        "{}",
        software.rule
    );
}

#[test]
fn saad_amounts_are_prorated_to_eligible_hours_rounded_down_to_the_cent() {
    let mut p = project(ProjectKind::Upgrade, 20, |i| metro("76", i));
    p.establishments[2].saad_hours = Some(SaadHours {
        eligible: 1_200,
        total: 2_000,
    });
    p.establishments[3].saad_hours = Some(SaadHours {
        eligible: 1,
        total: 3,
    });
    let s = compute_subsidy(&rules_2024(), &p).unwrap();
    let usage: Vec<u64> = s
        .lines
        .iter()
        .filter(|l| l.component == "developpement_usages")
        .map(|l| l.amount_cents)
        .collect();
    // 5 000 € × 1 200 / 2 000 = 3 000 €.
    assert_eq!(usage[2], 3_000 * EUR);
    // 5 000 € × 1 / 3 = 1 666,666… € → 1 666,66 €.
    assert_eq!(usage[3], 166_666);
    // 18 × 5 000 + 3 000 + 1 666,66 = 94 666,66 €.
    assert_eq!(s.total_cents, 9_466_666);
    assert_eq!(s.advance_cents + s.balance_cents, s.total_cents);
    let line = &s.lines[3];
    assert!(
        line.rule.contains(
            "SAAD, au prorata des heures éligibles (APA, PCH…) : 5\u{a0}000,00\u{a0}€ × 1 / 3 \
             heures = 1\u{a0}666,66\u{a0}€ (arrondi au centime inférieur)"
        ),
        "{}",
        line.rule
    );
}

#[test]
fn saad_acquisition_prorates_usage_and_software() {
    let mut p = project(ProjectKind::Acquisition, 15, |i| metro("14", i));
    p.establishments[0].saad_hours = Some(SaadHours {
        eligible: 750,
        total: 1_000,
    });
    let s = compute_subsidy(&rules_2024(), &p).unwrap();
    // 7 000 × 0,75 = 5 250 € and 14 000 × 0,75 = 10 500 €;
    // total 14 × 21 000 + 15 750 = 309 750 €.
    assert_eq!(s.lines[0].amount_cents, 5_250 * EUR);
    assert_eq!(s.lines[15].amount_cents, 10_500 * EUR);
    assert_eq!(s.total_cents, 309_750 * EUR);
}

#[test]
fn impossible_saad_hours_are_refused_with_the_finess() {
    let mut p = project(ProjectKind::Acquisition, 15, |i| metro("14", i));
    p.establishments[0].saad_hours = Some(SaadHours {
        eligible: 2_000,
        total: 1_000,
    });
    let error = compute_subsidy(&rules_2024(), &p).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "ESSMS FINESS {} (SAAD) : 2000 heures éligibles pour 1000 heures au total ; le total \
             doit être positif et au moins égal aux heures éligibles",
            metro("14", 1)
        )
    );
    p.establishments[0].saad_hours = Some(SaadHours {
        eligible: 0,
        total: 0,
    });
    assert!(compute_subsidy(&rules_2024(), &p).is_err());
}

#[test]
fn call_2021_funds_at_most_30_structures() {
    let p = project(ProjectKind::Acquisition, 35, |i| metro("61", i));
    let s = compute_subsidy(&rules_2021(), &p).unwrap();
    // 30 × 25 000 € = 750 000 €; the 31st to 35th get nothing.
    assert_eq!(s.total_cents, 750_000 * EUR);
    assert_eq!(s.lines.len(), 35);
    assert_eq!(s.lines[29].amount_cents, 25_000 * EUR);
    assert_eq!(
        s.lines[29].rule,
        "25\u{a0}000,00\u{a0}€ par ESSMS, dans la limite de 30 ESSMS par projet"
    );
    assert_eq!(s.lines[30].amount_cents, 0);
    assert_eq!(
        s.lines[30].rule,
        "financement limité à 30 ESSMS par projet : le 31e ESSMS n'est pas financé"
    );

    let p = project(ProjectKind::Upgrade, 32, |i| metro("61", i));
    let s = compute_subsidy(&rules_2021(), &p).unwrap();
    // Conformity: 30 × 10 000 € = 300 000 €.
    assert_eq!(s.total_cents, 300_000 * EUR);
    assert_eq!(total_of(&s, "mise_en_conformite"), 300_000 * EUR);
}

#[test]
fn call_2021_group_of_small_organisations() {
    // Three organisations of 12 ESSMS each (fewer than 15: small), quotes of
    // 30 000 € per ESSMS, AMOA asked.
    let mut establishments = Vec::new();
    for og in 0..3u32 {
        let organisation = metro("50", 90_000 + og);
        establishments
            .extend((1..=12).map(|i| establishment(metro("50", og * 100 + i), &organisation)));
    }
    for e in &mut establishments {
        e.equipment_quote_cents = Some(30_000 * EUR);
    }
    let p = Project {
        kind: ProjectKind::Acquisition,
        establishments,
        organisations: Vec::new(),
        amoa_requested: true,
        joins_funded_group: false,
    };
    let s = compute_subsidy(&rules_2021(), &p).unwrap();
    // Acquisition: 30 × 25 000 = 750 000 € (36 ESSMS, capped at 30).
    assert_eq!(total_of(&s, "acquisition_dui"), 750_000 * EUR);
    // Equipment: 30 × min(30 000, 20 000) = 600 000 €.
    assert_eq!(total_of(&s, "equipement_materiel"), 600_000 * EUR);
    // The 2021 call names no AMOA amount: a line at zero says so.
    let amoa = s.lines.iter().find(|l| l.component == "amoa").unwrap();
    assert_eq!(amoa.amount_cents, 0);
    assert!(
        amoa.rule.contains("ne fixe aucun montant d'AMOA"),
        "{}",
        amoa.rule
    );
    assert_eq!(s.total_cents, 1_350_000 * EUR);
    assert_eq!(s.advance_cents, 675_000 * EUR);
}
