//! A porteur attaches a proof on the platform, by the version page and by
//! the API, on every backend: a Carnet-signed proof matching the declared
//! row is valid at once (with the platform's trust anchors), any other PDF
//! goes to manual review; another porteur's project, a FINESS outside the
//! project, a file that is not a PDF or is too large are refused in French
//! and nothing is stored; every attempt is audited.

use crate::platform::audited;
use crate::platform_world::*;
use crate::support::*;
use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE, LOCATION};
use axum::http::{Method, Request, StatusCode};
use carnet_collect::proofs::{self, Filter};
use carnet_reports::{
    DemoPki, PROOF_FORMAT, ProofData, ProofFigures, ProofRates, SigningIdentity, signed_proof,
};
use carnet_web::{AppState, platform};
use jiff::civil::date;

const BOUNDARY: &str = "preuve-test";

/// A multipart body with text fields and, when given, the file part.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"fichier\"; \
                 filename=\"{file_name}\"\r\nContent-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// `POST /api/v1/collecte/preuves` for project 4107, May 2024.
async fn attach_api(
    app: &axum::Router,
    token: &str,
    galis: &str,
    finess: &str,
    file: Option<(&str, &[u8])>,
) -> Reply {
    let body = multipart(
        &[
            ("galis", galis),
            ("finess", finess),
            ("debut", "2024-05-01"),
            ("fin", "2024-05-31"),
        ],
        file,
    );
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/collecte/preuves")
        .header("authorization", format!("Bearer {token}"))
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap();
    send(app, request).await
}

/// The proof form of the version page, posted as a browser does.
async fn attach_page(p: &Platform, who: &str, version: i64, finess: &str, pdf: &[u8]) -> Reply {
    let (cookie, csrf) = p.session(who).await;
    let body = multipart(
        &[("_csrf", &csrf), ("finess", finess)],
        Some(("etat-mai.pdf", pdf)),
    );
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/plateforme/versions/{version}/preuves"))
        .header(COOKIE, &cookie)
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap();
    send(&p.app, request).await
}

/// What Carnet's DUI would sign for `gironde(0)` in May 2024, as declared by
/// the world's workbook of project 4107 (40 DUI actifs, 50 accompanied).
fn data(actifs: u64) -> ProofData {
    ProofData {
        format: PROOF_FORMAT.to_owned(),
        establishment_finess: gironde(0),
        establishment_name: "ESSMS 0".to_owned(),
        organisation_name: "Association Gironde".to_owned(),
        organisation_siret: SIRET_A.to_owned(),
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
        "Association Gironde",
        SIRET_A,
        "2024-01-01T00:00:00Z".parse().unwrap(),
        "essai",
    )
    .unwrap()
}

fn signed(pki: &DemoPki, data: &ProofData) -> Vec<u8> {
    let identity = SigningIdentity::from_pkcs12(&pki.pkcs12, "essai").unwrap();
    signed_proof(data, &identity).unwrap()
}

/// The world's platform, trusting `pki`'s authority.
fn trusting(p: &Platform, pki: &DemoPki) -> axum::Router {
    let mut state = AppState::new(p.db().clone()).with_clock(clock);
    state.platform_trust = vec![pki.ca_certificate.clone()].into();
    platform::router(state)
}

async fn proofs_of_4107(p: &Platform) -> usize {
    proofs::list(p.db(), &Filter::default())
        .await
        .unwrap()
        .iter()
        .filter(|s| s.proof.galis == "4107")
        .count()
}

#[tokio::test]
async fn a_carnet_signed_proof_sent_by_the_api_is_valid_and_an_altered_figure_is_not() {
    let pki = pki();
    for p in platforms().await {
        let name = p.test.name;
        let app = trusting(&p, &pki);
        let pdf = signed(&pki, &data(40));
        let reply = attach_api(
            &app,
            p.token("porteur_a"),
            "4107",
            &gironde(0),
            Some(("preuve.pdf", &pdf)),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{name} {}",
            reply.message()
        );
        let json = reply.json();
        assert_eq!(json["outcome"], "valide", "{name} {json}");
        assert_eq!(json["reasons"].as_array().unwrap().len(), 0, "{name}");
        assert_eq!(json["proof"]["finess"], gironde(0), "{name}");
        assert!(json["message"].as_str().unwrap().contains("valide"));
        let id = json["proof"]["id"].as_i64().unwrap();
        let stored = proofs::get(p.db(), id).await.unwrap().unwrap();
        assert_eq!(stored.proof.attached_by, "porteur_a", "{name}");
        assert_eq!(proofs::pdf(p.db(), id).await.unwrap().unwrap(), pdf);

        // 41 DUI actifs signed, 40 declared: invalid, and the figure named.
        let pdf = signed(&pki, &data(41));
        let reply = attach_api(
            &app,
            p.token("porteur_a"),
            "4107",
            &gironde(0),
            Some(("preuve-41.pdf", &pdf)),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{name}");
        let json = reply.json();
        assert_eq!(json["outcome"], "invalide", "{name} {json}");
        let reasons = json["reasons"].to_string();
        assert!(
            reasons.contains("41") && reasons.contains("40"),
            "{name} {reasons}"
        );

        // The same signed proof on a platform without trust anchors: to check by hand.
        let pdf = signed(&pki, &data(40));
        let reply = attach_api(
            &p.app,
            p.token("porteur_a"),
            "4107",
            &gironde(0),
            Some(("preuve.pdf", &pdf)),
        )
        .await;
        assert_eq!(reply.json()["outcome"], "a-verifier-manuellement", "{name}");
        let entries = audited(p.db(), "collecte/preuve/").await;
        assert!(
            entries
                .iter()
                .filter(|(a, _, o)| a == "import" && o == "ok")
                .count()
                >= 3,
            "{name} {entries:?}"
        );
    }
}

#[tokio::test]
async fn a_proof_outside_the_porteurs_project_or_not_a_pdf_is_refused_in_french_and_not_stored() {
    for p in platforms().await {
        let name = p.test.name;
        let before = proofs_of_4107(&p).await;
        let pdf = PROOF_PDF;
        // Another porteur's project: as unknown.
        let reply = attach_api(
            &p.app,
            p.token("porteur_b"),
            "4107",
            &gironde(0),
            Some(("p.pdf", pdf)),
        )
        .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{name}");
        // A FINESS that is not one of the project's establishments.
        let reply = attach_api(
            &p.app,
            p.token("porteur_a"),
            "4107",
            &paris(0),
            Some(("p.pdf", pdf)),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            reply.message().contains("finess") && reply.message().contains("4107"),
            "{name} {}",
            reply.message()
        );
        // A FINESS with a wrong key.
        let reply = attach_api(
            &p.app,
            p.token("porteur_a"),
            "4107",
            "330100001",
            Some(("p.pdf", pdf)),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(reply.message().contains("finess"), "{}", reply.message());
        // Not a PDF.
        let reply = attach_api(
            &p.app,
            p.token("porteur_a"),
            "4107",
            &gironde(0),
            Some(("tableau.xlsx", &good_a())),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(reply.json()["code"], "preuve_refusee", "{name}");
        assert!(reply.message().contains("PDF"), "{}", reply.message());
        // No file, and a period that is not a real date.
        let reply = attach_api(&p.app, p.token("porteur_a"), "4107", &gironde(0), None).await;
        assert_eq!(reply.json()["code"], "fichier_absent", "{name}");
        let body = multipart(
            &[
                ("galis", "4107"),
                ("finess", &gironde(0)),
                ("debut", "2024-02-30"),
                ("fin", "2024-05-31"),
            ],
            Some(("p.pdf", pdf)),
        );
        let request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/collecte/preuves")
            .header("authorization", format!("Bearer {}", p.token("porteur_a")))
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Body::from(body))
            .unwrap();
        let reply = send(&p.app, request).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(reply.message().contains("debut") && reply.message().contains("2024-02-30"));
        // The auditeur and the agents cannot attach.
        for who in ["auditeur", "ars_na", "cnsa"] {
            let reply = attach_api(
                &p.app,
                p.token(who),
                "4107",
                &gironde(0),
                Some(("p.pdf", pdf)),
            )
            .await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{name} {who}");
        }
        assert_eq!(proofs_of_4107(&p).await, before, "{name}: nothing stored");
        let entries = audited(p.db(), "collecte/projet/4107/preuve").await;
        assert!(
            entries
                .iter()
                .any(|(a, _, o)| a == "import" && o == "refused"),
            "{name} {entries:?}"
        );
    }
}

#[tokio::test]
async fn the_porteur_attaches_a_proof_on_the_version_page_and_sees_its_check() {
    for p in platforms().await {
        let name = p.test.name;
        let version = p.version_a;
        let (cookie, _) = p.session("porteur_a").await;
        let path = format!("/plateforme/versions/{version}");
        let shown = text(&page(&p, Method::GET, &path, &cookie, "").await);
        assert!(shown.contains("Joindre une preuve"), "{name}");
        assert!(
            shown.contains(&gironde(1)),
            "{name}: the FINESS to choose from"
        );
        // Agents see the proofs but not the form.
        let (cnsa, _) = p.session("cnsa").await;
        let seen = text(&page(&p, Method::GET, &path, &cnsa, "").await);
        assert!(!seen.contains("Joindre une preuve"), "{name}");

        let reply = attach_page(&p, "porteur_a", version, &gironde(1), PROOF_PDF).await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{name} {}",
            text(&reply)
        );
        let location = reply.headers[LOCATION].to_str().unwrap().to_owned();
        assert!(
            location.starts_with(&format!("{path}?preuve=")),
            "{location}"
        );
        let shown = text(&page(&p, Method::GET, &location, &cookie, "").await);
        assert!(
            shown.contains("jointe : « etat-mai.pdf »"),
            "{name} {shown}"
        );
        assert!(shown.contains("à vérifier manuellement"), "{name}");

        // Not a PDF: the page again, the reason said, nothing stored.
        let before = proofs_of_4107(&p).await;
        let reply = attach_page(&p, "porteur_a", version, &gironde(1), b"pas un pdf").await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let shown = text(&reply);
        assert!(
            shown.contains("Preuve refusée") && shown.contains("PDF"),
            "{name} {shown}"
        );
        assert!(shown.contains("a été enregistré"), "{name}");
        assert_eq!(proofs_of_4107(&p).await, before, "{name}");

        // Porteur B cannot reach project 4107's version, even with the URL.
        let reply = attach_page(&p, "porteur_b", version, &gironde(1), PROOF_PDF).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{name}");
        assert_eq!(proofs_of_4107(&p).await, before, "{name}");
    }
}

#[tokio::test]
async fn a_proof_over_twenty_megabytes_is_refused_and_nothing_is_stored() {
    let p = platform(backends().await.remove(0)).await;
    let before = proofs_of_4107(&p).await;
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(21 * 1024 * 1024, b'x');
    let reply = attach_api(
        &p.app,
        p.token("porteur_a"),
        "4107",
        &gironde(0),
        Some(("gros.pdf", &big)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json()["code"], "payload_too_large");
    let reply = attach_page(&p, "porteur_a", p.version_a, &gironde(0), &big).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text(&reply).contains("20 Mo"));
    assert_eq!(proofs_of_4107(&p).await, before);
}
