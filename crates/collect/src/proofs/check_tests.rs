#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use carnet_reports::{Check, CheckKind, PROOF_FORMAT, ProofFigures, ProofRates, check_label};
use jiff::civil::date;

use super::*;

const KINDS: [CheckKind; 8] = [
    CheckKind::Range,
    CheckKind::CmsStructure,
    CheckKind::Digest,
    CheckKind::SigningCertificate,
    CheckKind::Signature,
    CheckKind::Chain,
    CheckKind::Data,
    CheckKind::Text,
];

fn finess() -> Finess {
    Finess::parse("330780495").unwrap()
}

fn period() -> Period {
    Period {
        start: date(2024, 5, 1),
        end: date(2024, 5, 31),
    }
}

fn data() -> ProofData {
    ProofData {
        format: PROOF_FORMAT.to_owned(),
        establishment_finess: "330780495".to_owned(),
        establishment_name: "Foyer".to_owned(),
        organisation_name: "Asso".to_owned(),
        organisation_siret: "73282932000074".to_owned(),
        period_from: date(2024, 5, 1),
        period_to: date(2024, 5, 31),
        produced_at: "2024-06-02T08:00:00Z".parse().unwrap(),
        rule_set: "r/1".to_owned(),
        figures: ProofFigures {
            records: 60,
            open_records: 50,
            active_records: 40,
            accompanied_persons: 50,
            records_with_care_plan: 30,
            records_with_appointment: 20,
            dmp_fed: 5,
            mss_messages: 10,
        },
        rates: ProofRates {
            active: "80,0 %".to_owned(),
            care_plan: "75,0 %".to_owned(),
            appointment: "50,0 %".to_owned(),
            dmp: "10,0 %".to_owned(),
            mss: "20,0 %".to_owned(),
        },
        declarant: "A".to_owned(),
        legal_representative: "B".to_owned(),
        counted_records_sha256: "00".repeat(32),
    }
}

/// A report where every check passed, except those in `failing`.
fn report(failing: &[CheckKind], data: Option<ProofData>, signatures: usize) -> VerifyReport {
    let checks: Vec<Check> = KINDS
        .iter()
        .map(|&kind| Check {
            kind,
            label: check_label(kind),
            ok: !failing.contains(&kind),
            detail: format!("détail {kind:?}"),
        })
        .collect();
    VerifyReport {
        ok: failing.is_empty(),
        checks,
        data,
        signer: Some("CN=Asso".to_owned()),
        signatures,
    }
}

fn version() -> Version {
    Version {
        id: 7,
        galis: "4107".to_owned(),
        siret: "73282932000074".to_owned(),
        period: period(),
        version: 2,
        sent_by: "p".to_owned(),
        received_at: "2024-06-03T08:00:00Z".parse().unwrap(),
        file_name: "r.xlsx".to_owned(),
        file_sha256: "ab".repeat(32),
        report_sha256: "cd".repeat(32),
        retain_until: date(2034, 6, 3),
    }
}

fn row(actifs: u64, accompanied: u64) -> DeclaredRow {
    DeclaredRow {
        row: 5,
        finess: finess(),
        name: None,
        dmp: Some(5),
        mss: None,
        actifs,
        accompanied,
        care_plan: Some(30),
        appointment: Some(20),
    }
}

fn run(report: &VerifyReport, row: Option<&DeclaredRow>) -> Assessment {
    let f = finess();
    let target = Target {
        galis: "4107",
        finess: &f,
        period: period(),
    };
    let v = version();
    assess(report, &target, Some(Declared { version: &v, row }))
}

#[test]
fn an_authentic_proof_matching_the_declared_row_is_valid_and_names_the_version() {
    let r = row(40, 50);
    let a = run(&report(&[], Some(data()), 1), Some(&r));
    assert_eq!(a.outcome, Outcome::Valid, "{a:?}");
    assert!(a.reasons.is_empty() && a.remarks.is_empty());
    assert_eq!(a.version_id, Some(7));
}

#[test]
fn other_dui_actifs_make_it_invalid_and_other_figures_are_remarks() {
    let r = row(1_200, 48);
    let a = run(&report(&[], Some(data()), 1), Some(&r));
    assert_eq!(a.outcome, Outcome::Invalid);
    assert_eq!(
        a.reasons,
        [
            "DUI actifs : 40 dans la preuve, 1 200 déclarés (ligne 5 du fichier de recueil, version 2)"
        ]
    );
    assert_eq!(
        a.remarks,
        [
            "personnes accompagnées : 50 dans la preuve, 48 déclarés (ligne 5 du fichier de recueil, version 2)"
        ]
    );
}

#[test]
fn a_broken_digest_is_invalid_whoever_signed() {
    let a = run(
        &report(&[CheckKind::Digest, CheckKind::Data], None, 1),
        None,
    );
    assert_eq!(a.outcome, Outcome::Invalid);
    assert!(a.reasons[0].contains("modifié après sa signature"), "{a:?}");
}

#[test]
fn a_pdf_without_carnet_data_is_for_manual_review() {
    let failing = [
        CheckKind::Range,
        CheckKind::Data,
        CheckKind::Text,
        CheckKind::Chain,
    ];
    let a = run(&report(&failing, None, 0), None);
    assert_eq!(a.outcome, Outcome::ManualReview);
    assert!(a.reasons[1].contains("pas signé"), "{a:?}");
}

#[test]
fn an_unsigned_carnet_proof_is_for_manual_review() {
    let a = run(
        &report(&[CheckKind::Range, CheckKind::Chain], Some(data()), 0),
        None,
    );
    assert_eq!(a.outcome, Outcome::ManualReview);
    assert!(a.reasons[0].contains("non signée"));
}

#[test]
fn a_carnet_proof_from_an_untrusted_signer_is_for_manual_review() {
    let r = row(40, 50);
    let a = run(&report(&[CheckKind::Chain], Some(data()), 1), Some(&r));
    assert_eq!(a.outcome, Outcome::ManualReview);
    assert!(a.reasons[0].contains("CN=Asso"), "{a:?}");
}

#[test]
fn a_page_that_disagrees_with_its_data_is_invalid() {
    let a = run(&report(&[CheckKind::Text], Some(data()), 1), None);
    assert_eq!(a.outcome, Outcome::Invalid);
    assert_eq!(a.reasons, ["Texte affiché : détail Text"]);
}

#[test]
fn another_finess_or_period_or_no_row_is_invalid() {
    let mut other = data();
    other.establishment_finess = "750000010".to_owned();
    other.period_to = date(2024, 5, 30);
    let a = run(&report(&[], Some(other), 1), None);
    assert_eq!(a.outcome, Outcome::Invalid);
    assert!(a.reasons[0].starts_with("FINESS : la preuve porte le FINESS 750000010"));
    assert!(a.reasons[1].contains("du 01/05/2024 au 30/05/2024"));
    assert!(a.reasons[2].contains("n'est pas déclaré dans la version 2"));
}

#[test]
fn without_a_declaration_in_force_nothing_can_be_compared() {
    let f = finess();
    let target = Target {
        galis: "4107",
        finess: &f,
        period: period(),
    };
    let a = assess(&report(&[], Some(data()), 1), &target, None);
    assert_eq!(a.outcome, Outcome::Invalid);
    assert!(a.reasons[0].starts_with("aucune déclaration reçue pour le projet 4107"));
    assert_eq!(a.version_id, None);
}

#[test]
fn outcome_codes_round_trip() {
    for o in Outcome::ALL {
        assert_eq!(Outcome::parse(o.code()), Some(o));
    }
    assert_eq!(Outcome::parse("autre"), None);
}
