use super::*;
use crate::region::Region;

fn codes(report: &EligibilityReport) -> Vec<(FindingCode, Severity)> {
    report
        .findings
        .iter()
        .map(|f| (f.code, f.severity))
        .collect()
}

fn only(report: &EligibilityReport, code: FindingCode) -> &Finding {
    let found: Vec<&Finding> = report.findings.iter().filter(|f| f.code == code).collect();
    assert_eq!(found.len(), 1, "{:?}", report.findings);
    found[0]
}

#[test]
fn fewer_than_ten_essms_is_rejected_unless_joining_a_funded_group() {
    let mut p = project(ProjectKind::Acquisition, 9, |i| metro("14", i));
    let report = check_eligibility(&rules_2024(), &p, &[]);
    assert!(!report.is_eligible());
    assert_eq!(
        only(&report, FindingCode::TooFewEstablishments).message,
        "9 ESSMS, moins de 10 : candidature écartée (sauf pour rejoindre un regroupement déjà \
         financé)"
    );
    p.joins_funded_group = true;
    let report = check_eligibility(&rules_2024(), &p, &[]);
    assert!(report.is_eligible());
    assert_eq!(
        only(&report, FindingCode::JoinsFundedGroup).severity,
        Severity::Warning
    );
}

#[test]
fn between_ten_and_fourteen_is_below_the_ideal_fifteen() {
    let p = project(ProjectKind::Acquisition, 12, |i| metro("14", i));
    let report = check_eligibility(&rules_2024(), &p, &[]);
    assert!(report.is_eligible());
    assert_eq!(
        only(&report, FindingCode::BelowIdealMinimum).message,
        "12 ESSMS, sous le minimum souhaité de 15 : l'ARS apprécie selon la capacité du porteur ; \
         un regroupement est conseillé"
    );
    let p = project(ProjectKind::Acquisition, 15, |i| metro("14", i));
    let report = check_eligibility(&rules_2024(), &p, &[]);
    assert_eq!(
        only(&report, FindingCode::EnoughEstablishments).message,
        "15 ESSMS, au moins 15 : seuil atteint"
    );
}

#[test]
fn corsica_and_overseas_thresholds() {
    // SPEC.md §6 keeps the rejection below 10 everywhere, although the ideal
    // is 8 in Corsica and overseas: 9 ESSMS in La Réunion are rejected.
    let p = project(ProjectKind::Acquisition, 9, |i| overseas(4, i));
    let report = check_eligibility(&rules_2024(), &p, &[]);
    assert!(report.corsica_overseas);
    assert_eq!(
        only(&report, FindingCode::TooFewEstablishments).message,
        "9 ESSMS, moins de 10 (Corse et outre-mer) : candidature écartée (sauf pour rejoindre un \
         regroupement déjà financé)"
    );
    let p = project(ProjectKind::Acquisition, 10, |i| metro("2A", i));
    let report = check_eligibility(&rules_2024(), &p, &[]);
    assert_eq!(report.regions, [Some(Region::Corse)]);
    assert_eq!(
        only(&report, FindingCode::EnoughEstablishments).message,
        "10 ESSMS, au moins 8 (Corse et outre-mer) : seuil atteint"
    );
    // 2021: 15 structures minimum, 8 in Corsica and overseas.
    let p = project(ProjectKind::Acquisition, 8, |i| metro("2B", i));
    assert!(check_eligibility(&rules_2021(), &p, &[]).is_eligible());
    let p = project(ProjectKind::Acquisition, 14, |i| metro("14", i));
    let report = check_eligibility(&rules_2021(), &p, &[]);
    assert_eq!(
        codes(&report)[0],
        (FindingCode::TooFewEstablishments, Severity::Blocking)
    );
    // The 2021 call has no exemption for joining a group.
    let mut p = p;
    p.joins_funded_group = true;
    assert!(!check_eligibility(&rules_2021(), &p, &[]).is_eligible());
}

#[test]
fn desk_is_national_from_fifty_essms_in_two_regions() {
    // 50 ESSMS: 25 in Normandie (14), 25 in Bretagne (35).
    let two_regions = |n: u32| {
        project(ProjectKind::Acquisition, n, |i| {
            if i % 2 == 0 {
                metro("14", i)
            } else {
                metro("35", i)
            }
        })
    };
    let report = check_eligibility(&rules_2024(), &two_regions(50), &[]);
    assert_eq!(report.desk, Desk::National);
    assert_eq!(
        report.regions,
        [Some(Region::Bretagne), Some(Region::Normandie)]
    );
    assert_eq!(
        only(&report, FindingCode::Desk).message,
        "guichet national : 50 ESSMS dans 2 régions (Bretagne, Normandie) ; seuil : au moins 50 \
         ESSMS dans au moins 2 régions"
    );
    let report = check_eligibility(&rules_2024(), &two_regions(49), &[]);
    assert_eq!(report.desk, Desk::Regional);
    // 55 ESSMS in Normandie alone (two départements, one region): regional.
    let p = project(ProjectKind::Acquisition, 55, |i| {
        if i % 2 == 0 {
            metro("14", i)
        } else {
            metro("76", i)
        }
    });
    let report = check_eligibility(&rules_2024(), &p, &[]);
    assert_eq!(report.desk, Desk::Regional);
    assert_eq!(
        only(&report, FindingCode::Desk).message,
        "guichet régional : 55 ESSMS dans 1 région(s) (Normandie) ; le guichet national demande \
         au moins 50 ESSMS dans au moins 2 régions"
    );
    // 2021: regional calls only.
    let report = check_eligibility(&rules_2021(), &two_regions(60), &[]);
    assert_eq!(report.desk, Desk::Regional);
}

#[test]
fn saint_pierre_et_miquelon_is_outside_the_ars_regions() {
    let mut p = project(ProjectKind::Acquisition, 15, |i| metro("14", i));
    let spm = overseas(5, 1);
    p.establishments[0].finess = spm.clone();
    let report = check_eligibility(&rules_2024(), &p, &[]);
    assert_eq!(report.regions, [None, Some(Region::Normandie)]);
    let finding = only(&report, FindingCode::OutsideArsRegions);
    assert_eq!(finding.finess.as_ref(), Some(&spm));
    assert_eq!(
        finding.message,
        format!(
            "ESSMS FINESS {spm} à Saint-Pierre-et-Miquelon : hors des 18 régions (pas d'ARS), \
             compté comme un territoire à part"
        )
    );
    assert!(!report.corsica_overseas);
}

#[test]
fn one_single_dui_solution_for_the_whole_project() {
    let mut p = project(ProjectKind::Acquisition, 15, |i| metro("14", i));
    // Same product typed differently: one solution.
    p.establishments[1].solution = "  éditeur a —   dui pro ".to_owned();
    let report = check_eligibility(&rules_2024(), &p, &[]);
    assert!(report.is_eligible(), "{:?}", report.findings);
    p.establishments[2].solution = "Éditeur B".to_owned();
    p.establishments[3].solution = "Éditeur B".to_owned();
    p.establishments[4].solution = " ".to_owned();
    let report = check_eligibility(&rules_2024(), &p, &[]);
    assert!(!report.is_eligible());
    assert_eq!(
        only(&report, FindingCode::SeveralSolutions).message,
        "2 solutions DUI différentes : « Éditeur A — DUI Pro » (12 ESSMS), « Éditeur B » (2 \
         ESSMS) ; une seule solution est admise pour tous les ESSMS du projet"
    );
    let missing = only(&report, FindingCode::MissingSolution);
    assert_eq!(missing.finess.as_ref(), Some(&metro("14", 5)));
}

#[test]
fn a_finess_given_twice_counts_once() {
    let mut p = project(ProjectKind::Acquisition, 15, |i| metro("14", i));
    p.establishments.push(p.establishments[0].clone());
    let report = check_eligibility(&rules_2024(), &p, &[]);
    assert_eq!(report.establishments, 15);
    assert_eq!(
        only(&report, FindingCode::DuplicateEstablishment).message,
        format!(
            "ESSMS FINESS {} donné 2 fois : compté une seule fois (l'unité de comptabilisation est \
             le FINESS géographique)",
            metro("14", 1)
        )
    );
}

#[test]
fn an_essms_funded_in_another_project_is_blocking() {
    let p = project(ProjectKind::Acquisition, 15, |i| metro("14", i));
    let funded = [
        FundedProject {
            reference: "GALIS-2022-0042".to_owned(),
            solution: Some("éditeur a — dui pro".to_owned()),
            establishments: vec![metro("14", 3), metro("27", 1)],
        },
        FundedProject {
            reference: "GALIS-2023-0007".to_owned(),
            solution: Some("Éditeur C".to_owned()),
            establishments: vec![metro("14", 7)],
        },
        FundedProject {
            reference: "GALIS-2023-0099".to_owned(),
            solution: None,
            establishments: vec![metro("76", 7)],
        },
    ];
    let report = check_eligibility(&rules_2024(), &p, &funded);
    assert!(!report.is_eligible());
    assert_eq!(
        only(&report, FindingCode::AlreadyFundedSameSoftware).message,
        format!(
            "ESSMS FINESS {} déjà financé pour le même logiciel « Éditeur A — DUI Pro » dans le \
             projet GALIS-2022-0042",
            metro("14", 3)
        )
    );
    assert_eq!(
        only(&report, FindingCode::AlreadyFunded).message,
        format!(
            "ESSMS FINESS {} déjà financé dans le projet GALIS-2023-0007 (logiciel « Éditeur C ») : \
             un ESSMS ne peut être financé que pour un seul DUI",
            metro("14", 7)
        )
    );
    // Blocking findings come first.
    assert_eq!(report.findings[0].severity, Severity::Blocking);
}
