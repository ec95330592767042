//! The one integration-test binary of `carnet-reports` (STYLE.md: one per crate).
//!
//! External tools: `pdfsig`, `pdftotext`, `pdfdetach`, `pdffonts` (Debian package
//! poppler-utils), `qpdf`, `python3` with `openpyxl`, and `soffice`
//! (libreoffice-calc-nogui), `certutil` (libnss3-tools), `openssl`. A missing tool fails the test when `CI` is set and skips it
//! with a message otherwise.

#![allow(clippy::unwrap_used, reason = "tests: a panic is the failure report")]

use std::path::{Path, PathBuf};
use std::process::Command;

use carnet_reports::{
    ATTACHMENT_NAME, DemoPki, MEASURE_HEADERS, PROOF_FORMAT, PROOF_HEADERS, ProofData,
    ProofFigures, ProofFileEntry, ProofRates, SHEET_INSTRUCTIONS, SHEET_MEASURES, SHEET_PROOFS,
    SigningIdentity, WorkbookRow, certificates_from_pem, generate_demo_pki, proof_file_name,
    sha256_hex, signed_proof, unsigned_proof, verify, write_workbook,
};
use jiff::Timestamp;
use jiff::civil::date;

/// The plain document (headings, paragraphs, tables); under `reports/` so that
/// Cargo does not build it as a test binary of its own.
#[path = "reports/document.rs"]
mod document;

const PASSWORD: &str = "démo-mot-de-passe";

fn produced_at() -> Timestamp {
    "2026-11-23T17:45:12Z".parse().unwrap()
}

fn sample_data() -> ProofData {
    ProofData {
        format: PROOF_FORMAT.to_owned(),
        establishment_finess: "2A0000154".to_owned(),
        establishment_name: "EHPAD Les Érables (Saint-Étienne)".to_owned(),
        organisation_name: "Association « Les Amis de Carnet »".to_owned(),
        organisation_siret: "77572284600117".to_owned(),
        period_from: date(2026, 8, 1),
        period_to: date(2026, 10, 31),
        produced_at: produced_at(),
        rule_set: "esms-numerique-2024/v3".to_owned(),
        figures: ProofFigures {
            records: 131,
            open_records: 118,
            active_records: 107,
            accompanied_persons: 115,
            records_with_care_plan: 99,
            records_with_appointment: 88,
            dmp_fed: 41,
            mss_messages: 212,
        },
        rates: ProofRates {
            active: "93,0 %".to_owned(),
            care_plan: "92,5 %".to_owned(),
            appointment: "82,2 %".to_owned(),
            dmp: "35,7 %".to_owned(),
            mss: "184,3 %".to_owned(),
        },
        declarant: "Camille Dupont, directrice".to_owned(),
        legal_representative: "Jean-Pierre Martin, président".to_owned(),
        // The engine's digest of records 1, 2 and 107 (numeric order, one per line).
        counted_records_sha256: sha256_hex(b"1\n2\n107\n"),
    }
}

fn demo_pki() -> DemoPki {
    generate_demo_pki(
        "Association « Les Amis de Carnet »",
        "77572284600117",
        produced_at(),
        PASSWORD,
    )
    .unwrap()
}

fn identity(pki: &DemoPki) -> SigningIdentity {
    SigningIdentity::from_pkcs12(&pki.pkcs12, PASSWORD).unwrap()
}

/// A fresh directory under Cargo's per-target scratch space.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("reports-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether `program` can run; without it the test fails under CI and is skipped otherwise.
fn tool(program: &str, package: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return true;
    }
    let message = format!("outil externe absent : {program} (paquet {package})");
    assert!(std::env::var_os("CI").is_none(), "{message}");
    eprintln!("test ignoré — {message}");
    false
}

fn python_with_openpyxl() -> bool {
    if !tool("python3", "python3") {
        return false;
    }
    let ok = Command::new("python3")
        .args(["-c", "import openpyxl"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let message = "module Python openpyxl absent (pip install openpyxl)";
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("test ignoré — {message}");
    }
    ok
}

fn run(program: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(program).args(args).output().unwrap();
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

fn write_signed_proof(dir: &Path) -> (PathBuf, Vec<u8>, DemoPki) {
    let pki = demo_pki();
    let pdf = signed_proof(&sample_data(), &identity(&pki)).unwrap();
    let path = dir.join("preuve.pdf");
    std::fs::write(&path, &pdf).unwrap();
    (path, pdf, pki)
}

/// Offset of the first byte of the first stream's data at or after `from`.
fn stream_data_offset(pdf: &[u8], from: usize) -> usize {
    let at = pdf[from..]
        .windows(7)
        .position(|w| w == b"stream\n")
        .unwrap();
    from + at + 7
}

fn pdfsig(path: &Path) -> String {
    run("pdfsig", &[path.to_str().unwrap()]).1
}

/// poppler reports a changed signed byte as "Digest Mismatch." (22.x) or
/// "Signature is Invalid." depending on the version; never as valid.
fn assert_invalid(pdfsig_output: &str) {
    assert!(
        pdfsig_output.contains("Digest Mismatch.")
            || pdfsig_output.contains("Signature is Invalid."),
        "{pdfsig_output}"
    );
    assert!(
        !pdfsig_output.contains("Signature is Valid."),
        "{pdfsig_output}"
    );
}

// ---------------------------------------------------------------- signature

#[test]
fn signed_proof_is_valid_for_pdfsig_and_for_verify() {
    let dir = scratch("valid");
    let (path, pdf, pki) = write_signed_proof(&dir);

    let report = verify(&pdf, std::slice::from_ref(&pki.ca_certificate));
    assert!(report.ok, "{}", report.summary());
    assert_eq!(report.data.as_ref(), Some(&sample_data()));
    assert!(report.summary().contains("document authentique et intègre"));

    if tool("pdfsig", "poppler-utils") {
        let out = pdfsig(&path);
        assert!(out.contains("Signature is Valid."), "{out}");
        assert!(out.contains("Total document signed"), "{out}");
        assert!(out.contains("ETSI.CAdES.detached"), "{out}");
        assert!(out.contains("SHA256") || out.contains("SHA-256"), "{out}");
    }
}

#[test]
fn pdfsig_trusts_the_signer_when_the_demo_ca_is_in_its_nss_database() {
    if !tool("pdfsig", "poppler-utils") || !tool("certutil", "libnss3-tools") {
        return;
    }
    let dir = scratch("trusted");
    // NSS checks the chain at the current time: issue everything "now" in this test.
    #[allow(
        clippy::disallowed_methods,
        reason = "NSS validates the chain against the real clock, so the test must use it"
    )]
    let now = Timestamp::now();
    let pki = generate_demo_pki("Association test", "73282932000074", now, PASSWORD).unwrap();
    let files = pki.write_to(&dir).unwrap();
    let mut data = sample_data();
    data.produced_at = now;
    let path = dir.join("preuve.pdf");
    std::fs::write(&path, signed_proof(&data, &identity(&pki)).unwrap()).unwrap();

    let db = format!("sql:{}", dir.join("nss").display());
    std::fs::create_dir_all(dir.join("nss")).unwrap();
    let (ok, out) = run("certutil", &["-N", "-d", &db, "--empty-password"]);
    assert!(ok, "{out}");
    let (ok, out) = run(
        "certutil",
        &[
            "-A",
            "-d",
            &db,
            "-n",
            "carnet-demo-ca",
            "-t",
            "C,C,C",
            "-i",
            files.ca_pem.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    // No `-no-ocsp`: with it poppler 22.12 reports "Unknown issue with Certificate";
    // the demo certificates carry no OCSP address, so nothing is fetched anyway.
    let (_, out) = run("pdfsig", &["-nssdir", &db, path.to_str().unwrap()]);
    assert!(out.contains("Signature is Valid."), "{out}");
    assert!(out.contains("Certificate is Trusted."), "{out}");
}

#[test]
fn one_changed_byte_in_the_first_signed_range_is_detected_by_pdfsig_and_verify() {
    let dir = scratch("tampered-first-range");
    let (_, mut pdf, pki) = write_signed_proof(&dir);
    // A byte inside the first stream's data (compressed page or font data).
    let at = stream_data_offset(&pdf, 0) + 5;
    pdf[at] ^= 0x01;
    let path = dir.join("preuve-modifiee.pdf");
    std::fs::write(&path, &pdf).unwrap();

    let report = verify(&pdf, std::slice::from_ref(&pki.ca_certificate));
    assert!(!report.ok, "{}", report.summary());
    assert!(report.summary().contains("VÉRIFICATION ÉCHOUÉE"));

    if tool("pdfsig", "poppler-utils") {
        let out = pdfsig(&path);
        assert_invalid(&out);
    }
}

#[test]
fn one_changed_byte_after_the_signature_value_is_detected_by_pdfsig_and_verify() {
    let dir = scratch("tampered-second-range");
    let (_, mut pdf, pki) = write_signed_proof(&dir);
    // A digit of the signing time /M, in the range after /Contents.
    let m = pdf.windows(5).rposition(|w| w == b"/M (D").unwrap();
    let digit = m + 7;
    pdf[digit] = if pdf[digit] == b'1' { b'2' } else { b'1' };
    let path = dir.join("preuve-modifiee.pdf");
    std::fs::write(&path, &pdf).unwrap();

    let report = verify(&pdf, std::slice::from_ref(&pki.ca_certificate));
    assert!(!report.ok, "{}", report.summary());
    let digest = report
        .checks
        .iter()
        .find(|c| c.label == "Empreinte SHA-256 du document")
        .unwrap();
    assert!(!digest.ok);

    if tool("pdfsig", "poppler-utils") {
        let out = pdfsig(&path);
        assert_invalid(&out);
    }
}

#[test]
fn data_appended_after_signing_is_reported_as_not_covered() {
    let dir = scratch("appended");
    let (_, mut pdf, pki) = write_signed_proof(&dir);
    pdf.extend_from_slice(b"\n% ajout\n");
    let path = dir.join("preuve-allongee.pdf");
    std::fs::write(&path, &pdf).unwrap();

    let report = verify(&pdf, std::slice::from_ref(&pki.ca_certificate));
    assert!(!report.ok, "{}", report.summary());
    assert!(
        report.summary().contains("après la signature"),
        "{}",
        report.summary()
    );

    if tool("pdfsig", "poppler-utils") {
        let out = pdfsig(&path);
        assert!(!out.contains("Total document signed"), "{out}");
    }
}

#[test]
fn verify_refuses_a_signer_from_another_authority() {
    let (_, pdf, _) = write_signed_proof(&scratch("other-ca"));
    let other = demo_pki();
    let report = verify(&pdf, std::slice::from_ref(&other.ca_certificate));
    assert!(!report.ok);
    let chain = report
        .checks
        .iter()
        .find(|c| c.label == "Chaîne de confiance")
        .unwrap();
    assert!(!chain.ok, "{}", report.summary());
    // Everything else still holds: only the trust is missing.
    assert!(
        report
            .checks
            .iter()
            .filter(|c| c.label != "Chaîne de confiance")
            .all(|c| c.ok),
        "{}",
        report.summary()
    );
    assert!(!verify(&pdf, &[]).ok);
}

#[test]
fn an_unsigned_proof_does_not_verify() {
    let pki = demo_pki();
    let pdf = unsigned_proof(&sample_data()).unwrap();
    let report = verify(&pdf, std::slice::from_ref(&pki.ca_certificate));
    assert!(!report.ok);
    // The page and the attachment still agree.
    let text = report
        .checks
        .iter()
        .find(|c| c.label == "Texte affiché")
        .unwrap();
    assert!(text.ok, "{}", report.summary());
}

#[test]
fn demo_pki_files_round_trip_and_the_password_is_checked() {
    let dir = scratch("pki");
    let pki = demo_pki();
    let files = pki.write_to(&dir).unwrap();
    let anchors = certificates_from_pem(&std::fs::read(&files.ca_pem).unwrap()).unwrap();
    assert_eq!(anchors, vec![pki.ca_certificate.clone()]);
    let org = certificates_from_pem(&std::fs::read(&files.organisation_pem).unwrap()).unwrap();
    assert_eq!(org, vec![pki.organisation_certificate.clone()]);

    let p12 = std::fs::read(&files.organisation_p12).unwrap();
    let identity = SigningIdentity::from_pkcs12(&p12, PASSWORD).unwrap();
    assert_eq!(identity.certificate(), Some(&pki.organisation_certificate));
    assert!(SigningIdentity::from_pkcs12(&p12, "mauvais").is_err());

    let pdf = signed_proof(&sample_data(), &identity).unwrap();
    assert!(verify(&pdf, &anchors).ok);
}

#[test]
fn pkcs12_files_interoperate_with_openssl_both_ways() {
    if !tool("openssl", "openssl") {
        return;
    }
    let dir = scratch("openssl");
    let pki = demo_pki();
    let files = pki.write_to(&dir).unwrap();
    let pass = format!("pass:{PASSWORD}");
    // Ours, read by OpenSSL.
    let pem = dir.join("cle-et-chaine.pem");
    let (ok, out) = run(
        "openssl",
        &[
            "pkcs12",
            "-in",
            files.organisation_p12.to_str().unwrap(),
            "-passin",
            &pass,
            "-nodes",
            "-out",
            pem.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    // OpenSSL's, read by us.
    let theirs = dir.join("openssl.p12");
    let (ok, out) = run(
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-in",
            pem.to_str().unwrap(),
            "-passout",
            "pass:autre",
            "-out",
            theirs.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    let identity = SigningIdentity::from_pkcs12(&std::fs::read(&theirs).unwrap(), "autre").unwrap();
    assert_eq!(identity.certificate(), Some(&pki.organisation_certificate));
    let pdf = signed_proof(&sample_data(), &identity).unwrap();
    assert!(verify(&pdf, std::slice::from_ref(&pki.ca_certificate)).ok);
}

#[test]
fn an_rsa_key_is_refused_with_a_clear_message() {
    if !tool("openssl", "openssl") {
        return;
    }
    let dir = scratch("rsa");
    let key = dir.join("rsa.pem");
    let cert = dir.join("rsa.crt");
    let p12 = dir.join("rsa.p12");
    let (ok, out) = run(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=RSA test",
            "-days",
            "2",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = run(
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-inkey",
            key.to_str().unwrap(),
            "-in",
            cert.to_str().unwrap(),
            "-passout",
            "pass:x",
            "-out",
            p12.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    let err = SigningIdentity::from_pkcs12(&std::fs::read(&p12).unwrap(), "x").unwrap_err();
    assert!(err.to_string().contains("ECDSA P-256"), "{err}");
}

#[test]
fn the_same_data_gives_the_same_pdf() {
    let a = unsigned_proof(&sample_data()).unwrap();
    let b = unsigned_proof(&sample_data()).unwrap();
    assert_eq!(a, b);
    let pki = demo_pki();
    let id = identity(&pki);
    assert_eq!(
        signed_proof(&sample_data(), &id).unwrap(),
        signed_proof(&sample_data(), &id).unwrap()
    );
}

// ---------------------------------------------------------------- PDF content

#[test]
fn pdftotext_shows_every_mandatory_field() {
    let dir = scratch("text");
    let (path, _, _) = write_signed_proof(&dir);
    if !tool("pdftotext", "poppler-utils") {
        return;
    }
    let (ok, text) = run("pdftotext", &["-layout", path.to_str().unwrap(), "-"]);
    assert!(ok, "{text}");
    let d = sample_data();
    for expected in [
        "FINESS géographique : 2A0000154".to_owned(),
        format!("Nom de l'ESSMS : {}", d.establishment_name),
        format!("Organisme gestionnaire : {}", d.organisation_name),
        format!("SIRET de l'organisme : {}", d.organisation_siret),
        "Nombre de DUI actifs : 107".to_owned(),
        "Personnes accompagnées (file active) : 115".to_owned(),
        "Dossiers informatisés : 131".to_owned(),
        "Dossiers ouverts : 118".to_owned(),
        "DUI avec projet personnalisé : 99".to_owned(),
        "DUI avec au moins un événement d'agenda : 88".to_owned(),
        "DMP alimentés : 41".to_owned(),
        "Messages envoyés via la MSSanté : 212".to_owned(),
        "Taux de dossiers actifs : 93,0 %".to_owned(),
        "Période de mesure : du 01/08/2026 au 31/10/2026".to_owned(),
        "Date de production de l'état : 23/11/2026 à 17:45:12 UTC".to_owned(),
        format!("Jeu de règles : {}", d.rule_set),
        format!("Personne déclarante : {}", d.declarant),
        format!("Représentant légal : {}", d.legal_representative),
        "Signature électronique du représentant légal".to_owned(),
        "Règles de comptage".to_owned(),
        d.counted_records_sha256.clone(),
    ] {
        assert!(
            text.contains(&expected),
            "« {expected} » absent de :\n{text}"
        );
    }
}

#[test]
fn long_upper_case_names_wrap_inside_the_page_and_still_verify() {
    let dir = scratch("long-names");
    let pki = demo_pki();
    let mut data = sample_data();
    data.establishment_name =
        "ÉTABLISSEMENT D'HÉBERGEMENT POUR PERSONNES ÂGÉES DÉPENDANTES RÉSIDENCE LES GRANDS CHÊNES DE SAINT-ÉTIENNE-DU-ROUVRAY"
            .to_owned();
    data.organisation_name = format!("ASSOCIATION{}", "X".repeat(90));
    let pdf = signed_proof(&data, &identity(&pki)).unwrap();
    let report = verify(&pdf, std::slice::from_ref(&pki.ca_certificate));
    assert!(report.ok, "{}", report.summary());
    let path = dir.join("preuve.pdf");
    std::fs::write(&path, &pdf).unwrap();
    if !tool("pdftotext", "poppler-utils") {
        return;
    }
    let (ok, bbox) = run("pdftotext", &["-bbox", path.to_str().unwrap(), "-"]);
    assert!(ok, "{bbox}");
    let right_edges: Vec<f32> = bbox
        .split("xMax=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().parse().unwrap())
        .collect();
    assert!(!right_edges.is_empty());
    let widest = right_edges.iter().copied().fold(0.0_f32, f32::max);
    assert!(
        widest <= 595.0 - 40.0,
        "texte hors de la page : x = {widest}"
    );
    let (_, text) = run("pdftotext", &[path.to_str().unwrap(), "-"]);
    let joined = text.replace('\n', " ");
    assert!(joined.contains("RÉSIDENCE LES GRANDS CHÊNES"), "{text}");
}

#[test]
fn fonts_are_embedded_and_the_file_declares_pdf_a_3b() {
    let dir = scratch("pdfa");
    let (path, pdf, _) = write_signed_proof(&dir);
    let xmp = String::from_utf8_lossy(&pdf);
    assert!(xmp.contains("<pdfaid:part>3</pdfaid:part>"));
    assert!(xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"));
    if !tool("pdffonts", "poppler-utils") {
        return;
    }
    let (ok, out) = run("pdffonts", &[path.to_str().unwrap()]);
    assert!(ok, "{out}");
    let fonts: Vec<&str> = out.lines().skip(2).collect();
    assert!(!fonts.is_empty(), "{out}");
    for line in fonts {
        assert!(line.contains("DejaVuSans"), "{out}");
        // Columns: name type encoding emb sub uni object ID.
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            columns[columns.len() - 5],
            "yes",
            "police non intégrée : {line}"
        );
    }
}

#[test]
fn qpdf_check_passes() {
    let dir = scratch("qpdf");
    let (path, _, _) = write_signed_proof(&dir);
    if !tool("qpdf", "qpdf") {
        return;
    }
    let (ok, out) = run("qpdf", &["--check", path.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(
        out.contains("No syntax or stream encoding errors found"),
        "{out}"
    );
}

#[test]
fn the_json_attachment_is_listed_and_extracted_by_pdfdetach() {
    let dir = scratch("attachment");
    let (path, _, _) = write_signed_proof(&dir);
    if !tool("pdfdetach", "poppler-utils") {
        return;
    }
    let (ok, list) = run("pdfdetach", &["-list", path.to_str().unwrap()]);
    assert!(ok, "{list}");
    assert!(list.contains("1 embedded files"), "{list}");
    assert!(list.contains(ATTACHMENT_NAME), "{list}");
    let saved = dir.join("extrait.json");
    let (ok, out) = run(
        "pdfdetach",
        &[
            "-save",
            "1",
            "-o",
            saved.to_str().unwrap(),
            path.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    let data: ProofData = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    assert_eq!(data, sample_data());
}

#[test]
fn the_proofs_sheet_line_names_the_file_and_hashes_the_signed_bytes() {
    let (_, pdf, _) = write_signed_proof(&scratch("entry"));
    let entry = ProofFileEntry::for_proof(&sample_data(), &pdf);
    assert_eq!(entry.finess, "2A0000154");
    assert_eq!(
        entry.file_name,
        "preuve-usage-2A0000154-2026-08-01-2026-10-31.pdf"
    );
    assert_eq!(entry.file_name, proof_file_name(&sample_data()));
    assert_eq!(entry.sha256, sha256_hex(&pdf));
    assert_eq!(entry.sha256.len(), 64);
}

// ---------------------------------------------------------------- workbook

fn sample_rows() -> Vec<WorkbookRow> {
    let row = |finess: &str, name: &str, base: u64| WorkbookRow {
        galis_reference: "GALIS-2024-000123".to_owned(),
        porteur_siret: "07572284600117".to_owned(),
        finess: finess.to_owned(),
        establishment_name: name.to_owned(),
        dmp_fed: base,
        mss_messages: base + 1,
        active_records: base + 2,
        accompanied_persons: base + 3,
        records_with_care_plan: base + 4,
        records_with_appointment: base + 5,
        period_from: date(2026, 8, 1),
        period_to: date(2026, 10, 31),
    };
    vec![
        row("2A0000154", "EHPAD Les Érables", 10),
        row("070002319", "IME « La Source »", 200),
        row("970100012", "SESSAD de Pointe-à-Pitre", 0),
    ]
}

fn sample_proofs() -> Vec<ProofFileEntry> {
    sample_rows()
        .iter()
        .map(|r| ProofFileEntry {
            finess: r.finess.clone(),
            file_name: format!("preuve-{}-2026-08-01-2026-10-31.pdf", r.finess),
            sha256: sha256_hex(r.finess.as_bytes()),
        })
        .collect()
}

fn write_sample_workbook(dir: &Path) -> PathBuf {
    let bytes = write_workbook(&sample_rows(), &sample_proofs(), produced_at()).unwrap();
    let path = dir.join("recueil.xlsx");
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The expected measures as text, one row per establishment, as LibreOffice shows them.
fn expected_measure_cells() -> Vec<Vec<String>> {
    sample_rows()
        .iter()
        .map(|r| {
            vec![
                r.galis_reference.clone(),
                r.porteur_siret.clone(),
                r.finess.clone(),
                r.establishment_name.clone(),
                r.dmp_fed.to_string(),
                r.mss_messages.to_string(),
                r.active_records.to_string(),
                r.accompanied_persons.to_string(),
                r.records_with_care_plan.to_string(),
                r.records_with_appointment.to_string(),
                "01/08/2026".to_owned(),
                "31/10/2026".to_owned(),
            ]
        })
        .collect()
}

const OPENPYXL_DUMP: &str = r#"
import json, sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {"sheets": wb.sheetnames, "cells": {}}
for ws in wb.worksheets:
    rows = []
    for row in ws.iter_rows():
        cells = []
        for c in row:
            v = c.value
            if isinstance(v, datetime.datetime):
                cells.append({"type": "date", "value": v.date().isoformat(), "format": c.number_format})
            elif isinstance(v, bool):
                cells.append({"type": "bool", "value": v})
            elif isinstance(v, int):
                cells.append({"type": "int", "value": v, "format": c.number_format})
            elif isinstance(v, float):
                cells.append({"type": "float", "value": v})
            elif v is None:
                cells.append({"type": "empty"})
            else:
                cells.append({"type": "text", "value": v})
        rows.append(cells)
    out["cells"][ws.title] = rows
print(json.dumps(out, ensure_ascii=False))
"#;

#[test]
fn workbook_read_back_by_openpyxl_has_exact_sheets_headers_and_values() {
    let dir = scratch("openpyxl");
    let path = write_sample_workbook(&dir);
    if !python_with_openpyxl() {
        return;
    }
    let (ok, out) = run("python3", &["-c", OPENPYXL_DUMP, path.to_str().unwrap()]);
    assert!(ok, "{out}");
    let dump: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        dump["sheets"],
        serde_json::json!([SHEET_INSTRUCTIONS, SHEET_MEASURES, SHEET_PROOFS])
    );
    let measures = dump["cells"][SHEET_MEASURES].as_array().unwrap();
    let headers: Vec<&str> = measures[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(headers, MEASURE_HEADERS);
    assert_eq!(measures.len(), 1 + sample_rows().len());
    for (row, expected) in measures[1..].iter().zip(sample_rows()) {
        let cells = row.as_array().unwrap();
        let text = |i: usize| {
            assert_eq!(cells[i]["type"], "text", "{cells:?}");
            cells[i]["value"].as_str().unwrap().to_owned()
        };
        assert_eq!(text(0), expected.galis_reference);
        assert_eq!(text(1), expected.porteur_siret);
        assert_eq!(text(2), expected.finess);
        assert_eq!(text(3), expected.establishment_name);
        let counts = [
            expected.dmp_fed,
            expected.mss_messages,
            expected.active_records,
            expected.accompanied_persons,
            expected.records_with_care_plan,
            expected.records_with_appointment,
        ];
        for (i, value) in counts.into_iter().enumerate() {
            let cell = &cells[4 + i];
            assert_eq!(cell["type"], "int", "{cell}");
            assert_eq!(cell["value"].as_u64(), Some(value));
        }
        for (i, day) in [(10, expected.period_from), (11, expected.period_to)] {
            let cell = &cells[i];
            assert_eq!(cell["type"], "date", "{cell}");
            assert_eq!(cell["value"].as_str(), Some(day.to_string().as_str()));
            assert_eq!(cell["format"], "dd/mm/yyyy");
        }
    }
    let proofs = dump["cells"][SHEET_PROOFS].as_array().unwrap();
    let header: Vec<&str> = proofs[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(header, PROOF_HEADERS);
    for (row, expected) in proofs[1..].iter().zip(sample_proofs()) {
        let values: Vec<&str> = row
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["value"].as_str().unwrap())
            .collect();
        assert_eq!(
            values,
            [&expected.finess, &expected.file_name, &expected.sha256]
        );
    }
    assert_eq!(proofs.len(), 1 + sample_proofs().len());
    assert!(
        !dump["cells"][SHEET_INSTRUCTIONS]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().map(parse_csv_line).collect()
}

/// RFC 4180 line (LibreOffice quotes fields with commas, quotes or line breaks).
fn parse_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[test]
fn workbook_converted_by_libreoffice_has_exact_sheets_headers_and_values() {
    let dir = scratch("libreoffice");
    let path = write_sample_workbook(&dir);
    if !tool("soffice", "libreoffice-calc-nogui") {
        return;
    }
    // Filter options: comma, double quote, UTF-8, start row 1, no column formats,
    // language default, quoted text, detect numbers, save as shown, no formulas,
    // no BOM, sheet -1 = every sheet to its own file "<name>-<sheet>.csv".
    let profile = format!(
        "-env:UserInstallation=file://{}",
        dir.join("profile").display()
    );
    let (ok, out) = run(
        "soffice",
        &[
            &profile,
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1",
            "--outdir",
            dir.to_str().unwrap(),
            path.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    for sheet in [SHEET_INSTRUCTIONS, SHEET_MEASURES, SHEET_PROOFS] {
        let csv = dir.join(format!("recueil-{sheet}.csv"));
        assert!(csv.exists(), "feuille « {sheet} » absente : {out}");
    }
    let measures = read_csv(&dir.join(format!("recueil-{SHEET_MEASURES}.csv")));
    assert_eq!(measures[0], MEASURE_HEADERS);
    assert_eq!(measures[1..], expected_measure_cells()[..]);
    let proofs = read_csv(&dir.join(format!("recueil-{SHEET_PROOFS}.csv")));
    assert_eq!(proofs[0], PROOF_HEADERS);
    let expected: Vec<Vec<String>> = sample_proofs()
        .into_iter()
        .map(|p| vec![p.finess, p.file_name, p.sha256])
        .collect();
    assert_eq!(proofs[1..], expected[..]);
    let extra = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".csv")
        })
        .count();
    assert_eq!(extra, 3, "exactement trois feuilles attendues");
}

#[test]
fn workbook_refuses_a_finess_twice_or_a_second_galis_reference() {
    let mut rows = sample_rows();
    rows[2].finess = rows[0].finess.clone();
    let err = write_workbook(&rows, &[], produced_at()).unwrap_err();
    assert!(err.to_string().contains("2A0000154"), "{err}");

    let mut rows = sample_rows();
    rows[1].galis_reference = "GALIS-AUTRE".to_owned();
    let err = write_workbook(&rows, &[], produced_at()).unwrap_err();
    assert!(err.to_string().contains("Référence GALIS"), "{err}");

    let mut rows = sample_rows();
    rows[1].finess = " ".to_owned();
    assert!(write_workbook(&rows, &[], produced_at()).is_err());
}

// ---------------------------------------------------------------- robustness

#[test]
fn verify_never_panics_on_truncated_or_altered_files() {
    let (_, pdf, pki) = write_signed_proof(&scratch("robustness"));
    let anchors = std::slice::from_ref(&pki.ca_certificate);
    assert!(!verify(b"", anchors).ok);
    assert!(!verify(b"%PDF-1.7\n", anchors).ok);
    for cut in (0..pdf.len()).step_by(611) {
        assert!(!verify(&pdf[..cut], anchors).ok, "tronqué à {cut}");
    }
    let start = pdf.windows(11).position(|w| w == b"/Contents <").unwrap() + 10;
    let end = start + pdf[start..].iter().position(|&b| b == b'>').unwrap() + 1;
    let contents = (start, end);
    for at in (0..pdf.len()).step_by(389) {
        let mut altered = pdf.clone();
        altered[at] = altered[at].wrapping_add(0x21);
        let report = verify(&altered, anchors);
        // Inside /Contents, a changed byte of a carried certificate that is not used
        // (the anchor is given) changes nothing signed: only no panic is required.
        if !(contents.0..contents.1).contains(&at) {
            assert!(!report.ok, "octet {at} modifié non détecté");
        }
    }
}

#[test]
fn incomplete_data_is_refused_before_rendering() {
    let mut data = sample_data();
    data.declarant = " ".to_owned();
    let err = unsigned_proof(&data).unwrap_err().to_string();
    assert!(err.contains("personne déclarante"), "{err}");

    let mut data = sample_data();
    data.period_to = date(2026, 7, 31);
    assert!(unsigned_proof(&data).is_err());

    let mut data = sample_data();
    data.counted_records_sha256 = "ABC".to_owned();
    assert!(unsigned_proof(&data).is_err());
}

#[test]
fn the_french_summary_names_the_proof_each_check_and_the_verdict() {
    let (_, pdf, pki) = write_signed_proof(&scratch("summary"));
    let anchors = std::slice::from_ref(&pki.ca_certificate);
    let summary = verify(&pdf, anchors).summary();
    assert!(
        summary.starts_with("Preuve d'usage : FINESS 2A0000154"),
        "{summary}"
    );
    assert!(summary.contains("107 DUI actifs"), "{summary}");
    assert!(
        summary.contains("[OK] Chaîne de confiance : reconnue"),
        "{summary}"
    );
    assert!(
        summary.ends_with("Résultat : document authentique et intègre.\n"),
        "{summary}"
    );

    let mut tampered = pdf.clone();
    let n = tampered.len();
    tampered[n - 30] ^= 1;
    let summary = verify(&tampered, anchors).summary();
    assert!(
        summary.contains("[ÉCHEC] Empreinte SHA-256 du document : l'empreinte signée diffère"),
        "{summary}"
    );
    assert!(summary.contains("VÉRIFICATION ÉCHOUÉE"), "{summary}");
}
