//! Proofs attached per establishment and period, on every available backend
//! (SQLite always, PostgreSQL when CARNET_TEST_POSTGRES_URL is set): real
//! proofs signed by carnet-reports with a test certificate authority.

use carnet_collect::Period;
use carnet_collect::proofs::{
    self, Attachment, Decision, Filter, Outcome, ProofError, ProofState, Review, Status,
};
use carnet_collect::versions::{self, IntegrityProblem};
use carnet_core::Finess;
use carnet_reports::{
    DemoPki, PROOF_FORMAT, ProofData, ProofFigures, ProofRates, SigningIdentity, signed_proof,
};
use carnet_store::Db;
use jiff::Timestamp;
use jiff::civil::date;

use crate::platform::{row, send, workbook};
use crate::support::{SIRET, finess};
use crate::versions::backends;

fn may() -> Period {
    Period {
        start: date(2024, 5, 1),
        end: date(2024, 5, 31),
    }
}

/// What Carnet's engine would hand over for `finess(0)` in May 2024.
fn data(actifs: u64) -> ProofData {
    ProofData {
        format: PROOF_FORMAT.to_owned(),
        establishment_finess: finess(0),
        establishment_name: "Foyer de vie Les Tilleuls".to_owned(),
        organisation_name: "Association Essai".to_owned(),
        organisation_siret: SIRET.to_owned(),
        period_from: date(2024, 5, 1),
        period_to: date(2024, 5, 31),
        produced_at: "2024-06-02T08:00:00Z".parse().unwrap(),
        rule_set: "esms-numerique-2024/v1".to_owned(),
        figures: ProofFigures {
            records: 60,
            open_records: 50,
            active_records: actifs,
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
        declarant: "Alex Martin, directeur".to_owned(),
        legal_representative: "Sam Durand, présidente".to_owned(),
        counted_records_sha256: "ab".repeat(32),
    }
}

fn pki() -> DemoPki {
    carnet_reports::generate_demo_pki(
        "Association Essai",
        SIRET,
        "2024-01-01T00:00:00Z".parse().unwrap(),
        "essai",
    )
    .unwrap()
}

fn signed(pki: &DemoPki, data: &ProofData) -> Vec<u8> {
    let identity = SigningIdentity::from_pkcs12(&pki.pkcs12, "essai").unwrap();
    signed_proof(data, &identity).unwrap()
}

/// Project 4107's May declaration: `finess(0)` with `actifs` DUI actifs,
/// 50 accompanied, DMP 5, MSS 10, PP 30, agenda 20.
async fn declare(db: &Db, actifs: u64, at: &str) {
    let file = workbook(
        "4107",
        SIRET,
        5,
        &[row(
            finess(0),
            Some(5),
            Some(10),
            actifs,
            50,
            Some(30),
            Some(20),
        )],
    );
    send(db, &file, at).await;
}

async fn attach(db: &Db, bytes: &[u8], anchors: &[carnet_reports::Certificate]) -> ProofState {
    attach_at(db, bytes, anchors, "2024-06-10T09:00:00Z")
        .await
        .unwrap()
}

async fn attach_at(
    db: &Db,
    bytes: &[u8],
    anchors: &[carnet_reports::Certificate],
    at: &str,
) -> Result<ProofState, ProofError> {
    let f = Finess::parse(&finess(0)).unwrap();
    proofs::attach(
        db,
        &Attachment {
            galis: "4107",
            finess: &f,
            period: may(),
            file_name: "preuve.pdf",
            bytes,
            by: "porteur-4107",
            at: at.parse::<Timestamp>().unwrap(),
        },
        anchors,
        10,
    )
    .await
}

fn outcome(state: &ProofState) -> Outcome {
    state.latest_check().unwrap().outcome
}

#[tokio::test]
async fn a_carnet_signed_proof_matching_the_declared_row_is_valid() {
    let pki = pki();
    let pdf = signed(&pki, &data(40));
    for t in backends().await {
        declare(&t.db, 40, "2024-06-05T09:00:00Z").await;
        let state = attach(&t.db, &pdf, std::slice::from_ref(&pki.ca_certificate)).await;
        let check = state.latest_check().unwrap();
        assert_eq!(check.outcome, Outcome::Valid, "{}: {check:?}", t.name);
        assert!(check.reasons.is_empty() && check.remarks.is_empty());
        assert!(
            check
                .signer
                .as_deref()
                .unwrap()
                .contains("Association Essai")
        );
        assert!(check.version_id.is_some());
        assert_eq!(state.status(), Status::Checked(Outcome::Valid));
        // Kept content-addressed, with its retention date.
        assert_eq!(state.proof.file_sha256, versions::sha256_hex(&pdf));
        assert_eq!(state.proof.retain_until, date(2034, 6, 10));
        assert_eq!(
            proofs::pdf(&t.db, state.proof.id).await.unwrap().unwrap(),
            pdf
        );
        let json: ProofData = serde_json::from_str(check.proof_json.as_deref().unwrap()).unwrap();
        assert_eq!(json, data(40));
        let text = proofs::text::to_text(&state);
        assert!(text.contains("VALIDE"), "{text}");
        assert!(versions::verify(&t.db).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_same_proof_against_other_declared_dui_actifs_is_invalid_and_names_the_figure() {
    let pki = pki();
    let anchors = [pki.ca_certificate.clone()];
    let pdf = signed(&pki, &data(40));
    for t in backends().await {
        declare(&t.db, 40, "2024-06-05T09:00:00Z").await;
        let first = attach(&t.db, &pdf, &anchors).await;
        assert_eq!(outcome(&first), Outcome::Valid);
        // A second version of the workbook declares 41 DUI actifs.
        declare(&t.db, 41, "2024-06-12T09:00:00Z").await;
        let again = proofs::recheck(
            &t.db,
            first.proof.id,
            &anchors,
            "agent-ars",
            "2024-06-12T10:00:00Z".parse().unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(again.checks.len(), 2, "{}", t.name);
        assert_eq!(again.checks[0].outcome, Outcome::Valid);
        let check = again.latest_check().unwrap();
        assert_eq!(check.outcome, Outcome::Invalid);
        assert_eq!(
            check.reasons,
            [
                "DUI actifs : 40 dans la preuve, 41 déclarés (ligne 2 du fichier de recueil, version 2)"
            ],
            "{}",
            t.name
        );
        assert_ne!(check.version_id, again.checks[0].version_id);
        // Attaching it anew now gives the same verdict.
        let second = attach(&t.db, &pdf, &anchors).await;
        assert_eq!(outcome(&second), Outcome::Invalid);
        assert_eq!(second.proof.file_sha256, first.proof.file_sha256);
    }
}

#[tokio::test]
async fn other_figures_that_differ_are_named_without_invalidating_the_proof() {
    let pki = pki();
    let mut shown = data(40);
    shown.figures.accompanied_persons = 52;
    let pdf = signed(&pki, &shown);
    for t in backends().await {
        declare(&t.db, 40, "2024-06-05T09:00:00Z").await;
        let state = attach(&t.db, &pdf, std::slice::from_ref(&pki.ca_certificate)).await;
        let check = state.latest_check().unwrap();
        assert_eq!(check.outcome, Outcome::Valid);
        assert_eq!(
            check.remarks,
            [
                "personnes accompagnées : 52 dans la preuve, 50 déclarés (ligne 2 du fichier de recueil, version 1)"
            ]
        );
    }
}

#[tokio::test]
async fn a_tampered_proof_is_invalid() {
    let pki = pki();
    let mut pdf = signed(&pki, &data(40));
    // A digit of the signing time /M, inside the signed range.
    let m = pdf.windows(5).rposition(|w| w == b"/M (D").unwrap();
    let digit = m + 7;
    pdf[digit] = if pdf[digit] == b'1' { b'2' } else { b'1' };
    for t in backends().await {
        declare(&t.db, 40, "2024-06-05T09:00:00Z").await;
        let state = attach(&t.db, &pdf, std::slice::from_ref(&pki.ca_certificate)).await;
        let check = state.latest_check().unwrap();
        assert_eq!(check.outcome, Outcome::Invalid, "{}", t.name);
        assert!(
            check.reasons[0].starts_with("le fichier a été modifié après sa signature"),
            "{check:?}"
        );
        // A review is refused: the proof is not for manual review.
        let refused = proofs::review(
            &t.db,
            state.proof.id,
            &Review {
                decision: Decision::Compliant,
                comment: "vu",
                reviewer: "Agent ARS",
                at: "2024-06-11T09:00:00Z".parse().unwrap(),
            },
        )
        .await;
        assert!(
            matches!(refused, Err(ProofError::NotForReview { .. })),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn an_unsigned_pdf_is_marked_for_manual_review_then_the_decisions_are_kept() {
    // A plain PDF that is not a Carnet proof (no result object, no signature).
    let plain = carnet_reports::text_document_pdf(&carnet_reports::TextDocument {
        title: "Capture d'écran".to_owned(),
        author: "Porteur".to_owned(),
        produced_at: "2024-06-02T08:00:00Z".parse().unwrap(),
        blocks: vec![carnet_reports::Block::Paragraph(
            "Nombre de DUI actifs : 40".to_owned(),
        )],
    })
    .unwrap();
    let pki = pki();
    for t in backends().await {
        declare(&t.db, 40, "2024-06-05T09:00:00Z").await;
        let state = attach(&t.db, &plain, std::slice::from_ref(&pki.ca_certificate)).await;
        let check = state.latest_check().unwrap();
        assert_eq!(check.outcome, Outcome::ManualReview, "{}", t.name);
        assert!(
            check.reasons[0].contains("n'est pas une preuve produite par Carnet"),
            "{check:?}"
        );
        assert_eq!(check.reasons[1], "il n'est pas signé électroniquement");
        assert!(proofs::text::to_text(&state).contains("À VÉRIFIER MANUELLEMENT"));
        let id = state.proof.id;
        let missing_comment = proofs::review(
            &t.db,
            id,
            &Review {
                decision: Decision::Compliant,
                comment: "  ",
                reviewer: "Agent ARS",
                at: "2024-06-11T09:00:00Z".parse().unwrap(),
            },
        )
        .await;
        assert!(matches!(missing_comment, Err(ProofError::NoComment)));
        let first = proofs::review(
            &t.db,
            id,
            &Review {
                decision: Decision::Compliant,
                comment: "FINESS, période et DUI actifs lus sur la capture",
                reviewer: "Agent ARS",
                at: "2024-06-11T09:00:00Z".parse().unwrap(),
            },
        )
        .await
        .unwrap();
        assert_eq!(first.status(), Status::Reviewed(Decision::Compliant));
        let second = proofs::review(
            &t.db,
            id,
            &Review {
                decision: Decision::NonCompliant,
                comment: "pas de signature du représentant légal",
                reviewer: "Auditeur",
                at: "2024-06-12T09:00:00Z".parse().unwrap(),
            },
        )
        .await
        .unwrap();
        assert_eq!(second.reviews.len(), 2);
        assert_eq!(second.reviews[0].decision, Decision::Compliant);
        assert_eq!(second.reviews[1].reviewer, "Auditeur");
        assert_eq!(second.status(), Status::Reviewed(Decision::NonCompliant));
        let text = proofs::text::to_text(&second);
        assert!(
            text.contains("vérifiée manuellement : non conforme"),
            "{text}"
        );
        assert!(text.contains("« Agent ARS » : conforme"), "{text}");
    }
}

#[tokio::test]
async fn an_unsigned_carnet_proof_or_another_authority_goes_to_manual_review() {
    let pki = pki();
    let other = carnet_reports::generate_demo_pki(
        "Autre",
        SIRET,
        "2024-01-01T00:00:00Z".parse().unwrap(),
        "x",
    )
    .unwrap();
    let unsigned = carnet_reports::unsigned_proof(&data(40)).unwrap();
    let pdf = signed(&pki, &data(40));
    for t in backends().await {
        declare(&t.db, 40, "2024-06-05T09:00:00Z").await;
        let a = attach(&t.db, &unsigned, std::slice::from_ref(&pki.ca_certificate)).await;
        assert_eq!(outcome(&a), Outcome::ManualReview);
        assert!(a.latest_check().unwrap().reasons[0].contains("non signée"));
        let b = attach(&t.db, &pdf, std::slice::from_ref(&other.ca_certificate)).await;
        assert_eq!(outcome(&b), Outcome::ManualReview);
        assert!(
            b.latest_check().unwrap().reasons[0].contains("non reconnu par les autorités"),
            "{:?}",
            b.latest_check()
        );
        let c = attach(&t.db, &pdf, &[]).await;
        assert_eq!(outcome(&c), Outcome::ManualReview);
    }
}

#[tokio::test]
async fn a_file_that_is_not_a_pdf_is_refused_and_nothing_is_stored() {
    for t in backends().await {
        let refused = attach_at(&t.db, b"PK\x03\x04 pas un pdf", &[], "2024-06-10T09:00:00Z").await;
        assert!(
            matches!(&refused, Err(ProofError::NotPdf { name }) if name == "preuve.pdf"),
            "{refused:?}"
        );
        let f = Finess::parse(&finess(0)).unwrap();
        let inverted = proofs::attach(
            &t.db,
            &Attachment {
                galis: "4107",
                finess: &f,
                period: Period {
                    start: date(2024, 5, 31),
                    end: date(2024, 5, 1),
                },
                file_name: "preuve.pdf",
                bytes: b"%PDF-1.7",
                by: "cli",
                at: "2024-06-10T09:00:00Z".parse().unwrap(),
            },
            &[],
            10,
        )
        .await;
        assert!(matches!(inverted, Err(ProofError::InvertedPeriod { .. })));
        assert!(
            proofs::list(&t.db, &Filter::default())
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn proofs_are_listed_by_project_and_establishment_and_without_a_declaration_are_invalid() {
    let pki = pki();
    let pdf = signed(&pki, &data(40));
    for t in backends().await {
        // No declaration yet: nothing to compare with.
        let early = attach(&t.db, &pdf, std::slice::from_ref(&pki.ca_certificate)).await;
        let check = early.latest_check().unwrap();
        assert_eq!(check.outcome, Outcome::Invalid);
        assert!(check.reasons[0].starts_with("aucune déclaration reçue pour le projet 4107"));
        // Once the workbook arrives, a recheck makes it valid.
        declare(&t.db, 40, "2024-06-05T09:00:00Z").await;
        let later = proofs::recheck(
            &t.db,
            early.proof.id,
            std::slice::from_ref(&pki.ca_certificate),
            "agent",
            "2024-06-06T09:00:00Z".parse().unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(outcome(&later), Outcome::Valid);
        let f0 = Finess::parse(&finess(0)).unwrap();
        let f1 = Finess::parse(&finess(1)).unwrap();
        let by_project = proofs::list(
            &t.db,
            &Filter {
                galis: Some("4107"),
                ..Filter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(by_project.len(), 1);
        assert_eq!(by_project[0].checks.len(), 2);
        let all = Filter {
            galis: Some("4107"),
            finess: Some(&f0),
            period: Some(may()),
        };
        assert_eq!(proofs::list(&t.db, &all).await.unwrap().len(), 1);
        let june = Filter {
            period: Some(Period {
                start: date(2024, 6, 1),
                end: date(2024, 6, 30),
            }),
            ..Filter::default()
        };
        assert!(proofs::list(&t.db, &june).await.unwrap().is_empty());
        let other = Filter {
            finess: Some(&f1),
            ..Filter::default()
        };
        assert!(proofs::list(&t.db, &other).await.unwrap().is_empty());
        assert!(proofs::get(&t.db, 999_999).await.unwrap().is_none());
        let text = proofs::text::list_text(&by_project);
        assert!(text.contains("valide"), "{text}");
    }
}

#[tokio::test]
async fn collect_verify_rehashes_proof_files() {
    let pki = pki();
    let pdf = signed(&pki, &data(40));
    for t in backends().await {
        declare(&t.db, 40, "2024-06-05T09:00:00Z").await;
        let state = attach(&t.db, &pdf, std::slice::from_ref(&pki.ca_certificate)).await;
        assert!(versions::verify(&t.db).await.unwrap().is_empty());
        let mut altered = pdf.clone();
        altered.push(b'\n');
        sqlx::query("UPDATE collect_files SET content = $1 WHERE sha256 = $2")
            .bind(altered)
            .bind(state.proof.file_sha256.clone())
            .execute(t.db.pool())
            .await
            .unwrap();
        let problems = versions::verify(&t.db).await.unwrap();
        assert_eq!(
            problems,
            [IntegrityProblem::FileAltered {
                sha256: state.proof.file_sha256.clone()
            }],
            "{}",
            t.name
        );
    }
}
