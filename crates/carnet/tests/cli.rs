//! The `carnet` binary as a user runs it, on a temporary SQLite database
//! holding the demo organisation (`carnet demo --no-serve --seed 7 --today
//! 2026-11-23`), built once and shared by the tests of this binary.
//!
//! External tools: `pdfsig` (poppler-utils), `python3` with `openpyxl`. A
//! missing tool fails the test when `CI` is set and skips it otherwise.
//!
//! One integration-test binary for the crate (STYLE.md): add tests here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic is the failure report"
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const FROM: &str = "2026-08-01";
const TO: &str = "2026-10-31";

struct Demo {
    dir: PathBuf,
    url: String,
}

/// The demo database, built on first use.
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("carnet-cli-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("carnet.db").display());
        let out = carnet(&[
            "demo",
            "--db",
            &url,
            "--no-serve",
            "--seed",
            "7",
            "--today",
            "2026-11-23",
        ]);
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            dir.join("carnet-pki/ca.pem").is_file(),
            "no demo CA: {}",
            text(&out)
        );
        assert!(dir.join("carnet-pki/organisation.p12").is_file());
        Demo { dir, url }
    })
}

fn carnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_carnet"))
        .args(args)
        .env_remove("CARNET_DB")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// `carnet` on the demo database (`--db` appended).
fn on_demo(args: &[&str]) -> Output {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--db", &demo().url]);
    carnet(&all)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn json_report() -> Value {
    let out = on_demo(&["indicators", "--from", FROM, "--to", TO, "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn establishments(report: &Value) -> &Vec<Value> {
    report["establishments"].as_array().unwrap()
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

fn scratch(name: &str) -> PathBuf {
    let dir = demo().dir.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn demo_indicators_show_establishments_above_and_below_targets() {
    let report = json_report();
    assert_eq!(report["rule_set_id"], "esms-numerique-2024.1");
    let list = establishments(&report);
    assert!(list.len() >= 2, "{report}");
    let statuses: Vec<&str> = list
        .iter()
        .map(|e| e["rates"]["active"]["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"ATTEINT"), "{statuses:?}");
    assert!(statuses.contains(&"NON_ATTEINT"), "{statuses:?}");

    let out = on_demo(&["indicators", "--from", FROM, "--to", TO]);
    assert!(out.status.success(), "{}", text(&out));
    let table = stdout(&out);
    assert!(table.contains("du 01/08/2026 au 31/10/2026"), "{table}");
    assert!(table.contains("DUI actifs"), "{table}");
    assert!(!table.contains('\x1b'), "no colour when not a terminal");
    for e in list {
        let finess = e["finess"].as_str().unwrap();
        let line = table.lines().find(|l| l.starts_with(finess)).unwrap();
        assert!(
            line.contains(&e["figures"]["active_records"].to_string()),
            "{line}"
        );
    }
}

#[test]
fn explanation_counts_add_up_to_the_figures() {
    let report = json_report();
    let first = &establishments(&report)[0];
    let finess = first["finess"].as_str().unwrap();
    let out = on_demo(&[
        "indicators",
        "--from",
        FROM,
        "--to",
        TO,
        "--finess",
        finess,
        "--explain",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let explained: Value = serde_json::from_slice(&out.stdout).unwrap();
    let explained = explained.as_array().unwrap();
    assert_eq!(explained.len(), 1);
    let records = explained[0]["explanation"]["records"].as_array().unwrap();
    let figures = &first["figures"];
    assert_eq!(explained[0]["result"]["figures"], *figures);
    for (verdict, figure) in [
        ("record", "records"),
        ("open", "open_records"),
        ("active", "active_records"),
        ("accompanied", "accompanied_persons"),
        ("active_with_care_plan", "active_with_care_plan"),
        ("active_with_appointment", "active_with_appointment"),
        ("dmp_fed", "dmp_fed_persons"),
    ] {
        let counted = records
            .iter()
            .filter(|r| r[verdict]["counted"] == true)
            .count() as u64;
        assert_eq!(counted, figures[figure].as_u64().unwrap(), "{verdict}");
    }
    // Not counted always says why, in French.
    let reasons: Vec<&str> = records
        .iter()
        .filter(|r| r["active"]["counted"] == false)
        .map(|r| r["active"]["label"].as_str().unwrap())
        .collect();
    assert!(!reasons.is_empty());
    assert!(
        reasons.iter().all(|l| l.starts_with("non compté : ")),
        "{reasons:?}"
    );

    let out = on_demo(&[
        "indicators",
        "--from",
        FROM,
        "--to",
        TO,
        "--finess",
        finess,
        "--explain",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let table = stdout(&out);
    let active = figures["active_records"].as_u64().unwrap();
    assert!(
        table.contains(&format!("  DUI actifs : {active}\n")),
        "{table}"
    );
    assert!(table.contains("Dossier de la personne n° "), "{table}");
    assert!(table.contains("non compté : "), "{table}");
}

#[test]
fn csv_has_a_header_and_the_json_figures() {
    let report = json_report();
    let out = on_demo(&["indicators", "--from", FROM, "--to", TO, "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out));
    let csv = stdout(&out);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    assert_eq!(header[0], "finess");
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(';').collect()).collect();
    let list = establishments(&report);
    assert_eq!(rows.len(), list.len());
    for (row, e) in rows.iter().zip(list) {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[col("finess")], e["finess"].as_str().unwrap());
        assert_eq!(
            row[col("dui_actifs")],
            e["figures"]["active_records"].to_string()
        );
        assert_eq!(
            row[col("personnes_accompagnees")],
            e["figures"]["accompanied_persons"].to_string()
        );
        assert_eq!(row[col("debut")], FROM);
    }
}

#[test]
fn workbook_opens_in_openpyxl_with_the_engine_figures() {
    let report = json_report();
    let dir = scratch("workbook");
    let proofs = scratch("workbook-proofs");
    let proof_finess = establishments(&report)[2]["finess"].as_str().unwrap();
    let proof = proofs.join("preuve-etablissement.pdf");
    let out = on_demo(&[
        "proof",
        "--finess",
        proof_finess,
        "--from",
        FROM,
        "--to",
        TO,
        "--declarant",
        "Claire Martin, directrice",
        "--representative",
        "Paul Durand, président",
        "--out",
        s(&proof),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let proof_sha = carnet_sha256(&std::fs::read(&proof).unwrap());
    let path = dir.join("recueil.xlsx");
    let out = on_demo(&[
        "workbook",
        "--from",
        FROM,
        "--to",
        TO,
        "--galis",
        "GALIS-2026-0042",
        "--proofs",
        s(&proofs),
        "--out",
        s(&path),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    if !python_with_openpyxl() {
        return;
    }
    let script = r#"
import json, sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {"sheets": wb.sheetnames, "rows": []}
ws = wb["Liste des mesures d'usage"]
rows = list(ws.iter_rows(values_only=True))
out["header"] = [str(h) for h in rows[0]]
for r in rows[1:]:
    out["rows"].append([v.strftime("%Y-%m-%d") if isinstance(v, datetime.datetime) else v for v in r])
out["proofs"] = [list(r) for r in wb["Preuves d'usage"].iter_rows(values_only=True)]
print(json.dumps(out))
"#;
    let py = Command::new("python3")
        .args(["-c", script, s(&path)])
        .output()
        .unwrap();
    assert!(py.status.success(), "{}", text(&py));
    let book: Value = serde_json::from_slice(&py.stdout).unwrap();
    assert_eq!(
        book["sheets"],
        serde_json::json!(["Consignes", "Liste des mesures d'usage", "Preuves d'usage"])
    );
    let header: Vec<String> = book["header"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().replace('\n', " "))
        .collect();
    let col = |start: &str| {
        header
            .iter()
            .position(|h| h.starts_with(start))
            .unwrap_or_else(|| panic!("{start} not in {header:?}"))
    };
    let proof_rows = book["proofs"].as_array().unwrap();
    assert!(
        proof_rows.iter().any(|r| r[0] == proof_finess
            && r[1] == "preuve-etablissement.pdf"
            && r[2] == proof_sha.as_str()),
        "{proof_rows:?}"
    );
    let rows = book["rows"].as_array().unwrap();
    let list = establishments(&report);
    assert_eq!(rows.len(), list.len());
    let siret = report_siret();
    for (row, e) in rows.iter().zip(list) {
        let f = &e["figures"];
        assert_eq!(row[col("Référence GALIS")], "GALIS-2026-0042");
        assert_eq!(row[col("SIRET")], siret.as_str());
        assert_eq!(row[col("FINESS")], e["finess"]);
        assert_eq!(row[col("Nom")], e["name"]);
        assert_eq!(row[col("Nombre de DMP")], f["dmp_fed_persons"]);
        assert_eq!(row[col("Nombre de messages")], f["mss_messages"]);
        assert_eq!(row[col("Nombre de DUI actifs")], f["active_records"]);
        assert_eq!(row[col("Nombre de personnes")], f["accompanied_persons"]);
        assert_eq!(
            row[col("Nombre de DUI avec projet")],
            f["active_with_care_plan"]
        );
        assert_eq!(
            row[col("Nombre de DUI avec au moins")],
            f["active_with_appointment"]
        );
        assert_eq!(row[col("Premier jour")], FROM);
        assert_eq!(row[col("Dernier jour")], TO);
    }
}

/// The demo organisation's SIRET, read from `carnet export`.
fn report_siret() -> String {
    fn find(v: &Value) -> Option<String> {
        match v {
            Value::Object(map) => map
                .get("siret")
                .and_then(|s| s.as_str().map(str::to_owned))
                .or_else(|| map.values().find_map(find)),
            Value::Array(list) => list.iter().find_map(find),
            _ => None,
        }
    }
    let path = scratch("export").join("export.ndjson");
    let out = on_demo(&["export", "--out", s(&path)]);
    assert!(out.status.success(), "{}", text(&out));
    let export = std::fs::read_to_string(&path).unwrap();
    export
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| find(&v))
        .unwrap()
}

#[test]
fn signed_proof_is_valid_for_pdfsig_and_verify_and_a_tampered_copy_is_not() {
    let report = json_report();
    let e = &establishments(&report)[1];
    let finess = e["finess"].as_str().unwrap();
    let dir = scratch("proof");
    let path = dir.join("preuve.pdf");
    let out = on_demo(&[
        "proof",
        "--finess",
        finess,
        "--from",
        FROM,
        "--to",
        TO,
        "--declarant",
        "Claire Martin, directrice",
        "--representative",
        "Paul Durand, président",
        "--out",
        s(&path),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let out = on_demo(&["verify", s(&path)]);
    assert!(out.status.success(), "{}", text(&out));
    let ca = demo().dir.join("carnet-pki/ca.pem");
    let out = carnet(&["verify", s(&path), "--trust", s(&ca)]);
    assert!(out.status.success(), "{}", text(&out));

    let mut pdf = std::fs::read(&path).unwrap();
    let at = pdf.windows(7).position(|w| w == b"stream\n").unwrap() + 12;
    pdf[at] ^= 0x01;
    let tampered = dir.join("preuve-modifiee.pdf");
    std::fs::write(&tampered, &pdf).unwrap();
    let out = carnet(&["verify", s(&tampered), "--trust", s(&ca)]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("ÉCHOUÉE"), "{}", text(&out));

    if tool("pdfsig", "poppler-utils") {
        let run = |p: &Path| {
            let o = Command::new("pdfsig").arg(p).output().unwrap();
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        };
        let ok = run(&path);
        assert!(ok.contains("Signature is Valid."), "{ok}");
        let bad = run(&tampered);
        assert!(!bad.contains("Signature is Valid."), "{bad}");
        assert!(
            bad.contains("Digest Mismatch.") || bad.contains("Signature is Invalid."),
            "{bad}"
        );
    }

    let out = on_demo(&["declarations", "--finess", finess]);
    assert!(out.status.success(), "{}", text(&out));
    let list = stdout(&out);
    assert!(
        list.contains("Période se terminant en octobre 2026"),
        "{list}"
    );
    assert!(list.contains("preuve d'usage signée"), "{list}");
    assert!(list.contains("preuve.pdf"), "{list}");
    assert!(
        list.contains(&format!(
            "DUI actifs {} / personnes accompagnées {}",
            e["figures"]["active_records"], e["figures"]["accompanied_persons"]
        )),
        "{list}"
    );
    let sha = carnet_sha256(&std::fs::read(&path).unwrap());
    assert!(list.contains(&sha), "{list}");
}

fn carnet_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn monthly_chart_is_an_svg_with_every_month() {
    let report = json_report();
    let finess = establishments(&report)[0]["finess"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = scratch("chart").join("graphique.svg");
    let out = on_demo(&[
        "chart",
        "--finess",
        &finess,
        "--months",
        "6",
        "--today",
        "2026-11-23",
        "--out",
        s(&path),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<svg "));
    for m in [
        "mai 2026",
        "juin 2026",
        "juil. 2026",
        "août 2026",
        "sept. 2026",
        "oct. 2026",
    ] {
        assert!(svg.contains(m), "{m}");
    }
    assert!(svg.contains("Taux de dossiers actifs"));
}

#[test]
fn bad_arguments_give_a_french_message_and_a_failure_code() {
    let finess = establishments(&json_report())[0]["finess"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases: [(&[&str], &str); 5] = [
        (
            &["indicators", "--from", "2026-10-31", "--to", "2026-08-01"],
            "précède le début",
        ),
        (
            &[
                "indicators",
                "--from",
                FROM,
                "--to",
                TO,
                "--finess",
                "999999999",
            ],
            "FINESS « 999999999 » inconnu",
        ),
        (
            &["indicators", "--from", "2026-13-01", "--to", TO],
            "date invalide pour --from",
        ),
        (&["indicators"], "période manquante"),
        (
            &[
                "proof",
                "--finess",
                &finess,
                "--from",
                FROM,
                "--to",
                "31/02/2026",
                "--declarant",
                "A",
                "--representative",
                "B",
                "--out",
                "/nonexistent/p.pdf",
            ],
            "date invalide pour --to",
        ),
    ];
    for (args, message) in cases {
        let out = on_demo(args);
        let all = text(&out);
        assert!(!out.status.success(), "{args:?}: {all}");
        assert!(all.contains("erreur : "), "{args:?}: {all}");
        assert!(all.contains(message), "{args:?}: {all}");
        assert!(!all.contains("panicked"), "{args:?}: {all}");
    }
    let out = carnet(&["verify", "/nonexistent/preuve.pdf"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("lecture de /nonexistent/preuve.pdf"));
}

/// `carnet rules` on a demo database of its own: changing the rules of the
/// shared one would change the other tests' figures.
#[test]
fn rules_are_shown_changed_as_a_new_version_and_applied_to_the_indicators() {
    let dir = scratch("rules");
    let url = format!("sqlite://{}", dir.join("rules.db").display());
    let out = carnet(&[
        "demo",
        "--db",
        &url,
        "--no-serve",
        "--seed",
        "3",
        "--today",
        "2026-11-23",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let rules = |args: &[&str]| {
        let mut all = vec!["rules"];
        all.extend_from_slice(args);
        all.extend(["--db", &url]);
        carnet(&all)
    };

    // The demo stored the default as version 1.
    let out = rules(&["list"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("* version 1 : esms-numerique-2024.1"),
        "{}",
        text(&out)
    );
    let out = rules(&["show"]);
    assert!(out.status.success(), "{}", text(&out));
    let mut body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["id"], "esms-numerique-2024.1");

    // Show, edit, set: a new active version, applied by `carnet indicators`.
    body["id"] = "essai-2026.1".into();
    body["targets"]["active"] = 50.into();
    let file = dir.join("regles.json");
    std::fs::write(&file, body.to_string()).unwrap();
    let out = rules(&["set", "--file", s(&file)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("Version 2 enregistrée et active"),
        "{}",
        text(&out)
    );
    let out = rules(&["set", "--file", s(&file)]);
    assert!(stdout(&out).contains("Règles inchangées"), "{}", text(&out));
    let out = carnet(&[
        "indicators",
        "--from",
        FROM,
        "--to",
        TO,
        "--format",
        "json",
        "--db",
        &url,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rule_set_id"], "essai-2026.1");
    assert_eq!(
        report["establishments"][0]["rates"]["active"]["target_percent"],
        50
    );
    let out = rules(&["list"]);
    let listing = stdout(&out);
    assert!(
        listing.contains("  version 1 : esms-numerique-2024.1"),
        "{listing}"
    );
    assert!(listing.contains("* version 2 : essai-2026.1"), "{listing}");

    // A bad file is refused with the field named, in French; nothing is stored.
    for (edit, field, rule) in [
        (
            ("targets", "dmp", Value::from(120)),
            "targets.dmp",
            "0 à 100",
        ),
        (
            ("targets", "mss", Value::from("70")),
            "targets.mss",
            "type invalide",
        ),
    ] {
        let mut bad = body.clone();
        bad[edit.0][edit.1] = edit.2;
        bad["id"] = "essai-2026.2".into();
        std::fs::write(&file, bad.to_string()).unwrap();
        let out = rules(&["set", "--file", s(&file)]);
        let all = text(&out);
        assert!(!out.status.success(), "{all}");
        assert!(all.contains("erreur : fichier "), "{all}");
        assert!(all.contains(&format!("« {field} »")), "{all}");
        assert!(all.contains(rule), "{all}");
    }
    let mut reused = body.clone();
    reused["targets"]["active"] = 60.into();
    std::fs::write(&file, reused.to_string()).unwrap();
    let out = rules(&["set", "--file", s(&file)]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("désigne déjà d'autres règles"),
        "{}",
        text(&out)
    );
    assert!(stdout(&rules(&["list"])).contains("* version 2 : essai-2026.1"));
    let out = rules(&["set", "--file", "/nonexistent/regles.json"]);
    assert!(text(&out).contains("lecture de /nonexistent/regles.json"));
}

/// The collection platform from the command line, on a database of its own
/// (no demo needed): registry import (refused then accepted), list,
/// project-aware ingestion, summary in each format, missing projects.
#[test]
fn collect_registry_ingest_and_summary_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("carnet-cli-collect-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("collecte.db").display());
    let workbook = dir.join("recueil.xlsx");
    std::fs::write(
        &workbook,
        include_bytes!("../../collect/tests/fixtures/recueil_propre_2024_05.xlsx"),
    )
    .unwrap();
    let header = "reference_galis;libelle;siret_porteur;annee_appel;regles;nature;\
        petit_organisme;guichet;finess;notifie_prevu;notifie_reel;demarre_prevu;demarre_reel;\
        parametrage_finalise_prevu;parametrage_finalise_reel;fin_va_prevu;fin_va_reel;\
        fin_vsr_prevu;fin_vsr_reel;termine_prevu;termine_reel";
    let finess = "330100009,330100371,330100744,330101114,330101486,330101858,330102229,\
        330102591,330102963,330103334,330103706,330104076,330104449,330104811,330105180";
    let bad = dir.join("mauvais.csv");
    std::fs::write(
        &bad,
        format!(
            "{header}\n4107;Les Pins;73282932000079;2024;aap-2024;acquisition;non;75;{finess};;;;;;;;;;;;\n"
        ),
    )
    .unwrap();
    let out = carnet(&["collect", "projects", "import", "--db", &url, s(&bad)]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("ligne 2, colonne « siret_porteur », valeur « 73282932000079 »"),
        "{}",
        text(&out)
    );
    let good = dir.join("projets.csv");
    std::fs::write(
        &good,
        format!(
            "{header}\n4107;Les Pins;73282932000074;2024;aap-2024;acquisition;non;75;{finess};;;;;;;;;;;;\n"
        ),
    )
    .unwrap();
    let out = carnet(&["collect", "projects", "import", "--db", &url, s(&good)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("1 projet(s) créé(s), 0 mis à jour"),
        "{}",
        text(&out)
    );
    let out = carnet(&["collect", "projects", "list", "--db", &url]);
    assert!(stdout(&out).contains("4107 « Les Pins »"), "{}", text(&out));
    assert!(stdout(&out).contains("15 ESSMS"), "{}", text(&out));

    let out = carnet(&["collect", "ingest", "--db", &url, s(&workbook)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !stdout(&out).contains("registre des projets est vide"),
        "{}",
        text(&out)
    );

    let out = carnet(&["collect", "summary", "--db", &url, "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out));
    let csv = stdout(&out);
    assert!(csv.starts_with('\u{feff}'), "{csv}");
    // 739/940, 471/739, 532/739, 398/940, 658/940, rounded down.
    assert!(
        csv.contains(
            "\r\n2024-05;France entière;1;15;739;940;398;658;471;532;78,6;63,7;71,9;42,3;70,0;"
        ),
        "{csv}"
    );
    let out = carnet(&[
        "collect", "summary", "--db", &url, "--level", "region", "--region", "75",
    ]);
    assert!(
        stdout(&out).contains("Nouvelle-Aquitaine (75)"),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).contains("78,6 %"), "{}", text(&out));
    let xlsx = dir.join("agregats.xlsx");
    let out = carnet(&[
        "collect",
        "summary",
        "--db",
        &url,
        "--format",
        "xlsx",
        "--out",
        s(&xlsx),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(&std::fs::read(&xlsx).unwrap()[..2], b"PK");
    let out = carnet(&["collect", "missing", "--db", &url, "--month", "2024-06"]);
    assert!(
        stdout(&out).contains("Projets sans déclaration pour juin 2024 : 1 sur 1"),
        "{}",
        text(&out)
    );

    for (args, message) in [
        (
            vec!["collect", "summary", "--db", &url, "--format", "xlsx"],
            "--out",
        ),
        (
            vec!["collect", "summary", "--db", &url, "--from", "2024-13"],
            "mois « 2024-13 » invalide",
        ),
        (
            vec![
                "collect", "summary", "--db", &url, "--level", "region", "--region", "99",
            ],
            "région « 99 » inconnue",
        ),
    ] {
        let out = carnet(&args);
        assert!(!out.status.success(), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(message), "{args:?}: {}", text(&out));
        assert!(!text(&out).contains("panicked"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Funding and EU audit samples from the command line, on a database of its
/// own: a project's subsidy with a details file (an ESSMS in two projects is
/// a finding), a bad details file named by field, then a sample drawn twice
/// alike, shown, and an outcome recorded.
#[test]
fn collect_funding_and_audit_sample_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("carnet-cli-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("collecte.db").display());
    let header = "reference_galis;libelle;siret_porteur;annee_appel;regles;nature;\
        petit_organisme;guichet;finess;notifie_prevu;notifie_reel;demarre_prevu;demarre_reel;\
        parametrage_finalise_prevu;parametrage_finalise_reel;fin_va_prevu;fin_va_reel;\
        fin_vsr_prevu;fin_vsr_reel;termine_prevu;termine_reel";
    let finess = "330100009,330100371,330100744,330101114,330101486,330101858,330102229,\
        330102591,330102963,330103334,330103706,330104076,330104449,330104811,330105180";
    let projects = dir.join("projets.csv");
    std::fs::write(
        &projects,
        format!(
            "{header}\n4107;Les Pins;73282932000074;2024;aap-2024;acquisition;non;75;{finess};;;;;;;;;;;;\n\
             4200;Autre;77572284600117;2021;aap-2021;acquisition;non;75;330100009;;;;;;;;;;;;\n"
        ),
    )
    .unwrap();
    let out = carnet(&["collect", "projects", "import", "--db", &url, s(&projects)]);
    assert!(out.status.success(), "{}", text(&out));

    let details = dir.join("details.json");
    std::fs::write(
        &details,
        r#"{"organisme": "330780495", "solution": "Éditeur A — DUI 5"}"#,
    )
    .unwrap();
    let out = carnet(&[
        "collect",
        "funding",
        "--db",
        &url,
        "--galis",
        "4107",
        "--details",
        s(&details),
        "--targets-reached",
        "oui",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = stdout(&out);
    // 15 × 7 000 + 15 × 14 000 = 315 000; half at the signature.
    for expected in [
        "Jeu de règles : ESMS numérique, appel à projets 2024",
        "d'après l'année d'appel 2024",
        "Subvention totale : 315\u{a0}000,00\u{a0}€",
        "Avance (50 % à la signature de la convention) : 157\u{a0}500,00\u{a0}€",
        "les éléments de preuve des dépenses : non reçus",
        "en attente",
        "NON éligible",
        "ESSMS FINESS 330100009 déjà financé dans le projet 4200",
    ] {
        assert!(shown.contains(expected), "{expected}: {}", text(&out));
    }
    let out = carnet(&[
        "collect", "funding", "--db", &url, "--galis", "4107", "--format", "json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["subsidy"]["total_cents"], 31_500_000);

    let bad = dir.join("mauvais.json");
    std::fs::write(
        &bad,
        r#"{"essms": {"330100009": {"devis_equipement": "douze mille"}}}"#,
    )
    .unwrap();
    for (args, message) in [
        (
            vec![
                "collect",
                "funding",
                "--db",
                &url,
                "--galis",
                "4107",
                "--details",
                s(&bad),
            ],
            "champ « essms.330100009.devis_equipement »",
        ),
        (
            vec!["collect", "funding", "--db", &url, "--galis", "9999"],
            "projet « 9999 » inconnu du registre",
        ),
        (
            vec![
                "collect", "funding", "--db", &url, "--galis", "4107", "--rules", "aap-1999",
            ],
            "jeu de règles « aap-1999 » inconnu",
        ),
    ] {
        let out = carnet(&args);
        assert!(!out.status.success(), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(message), "{args:?}: {}", text(&out));
        assert!(!text(&out).contains("panicked"));
    }

    let workbook = dir.join("recueil.xlsx");
    std::fs::write(
        &workbook,
        include_bytes!("../../collect/tests/fixtures/recueil_propre_2024_05.xlsx"),
    )
    .unwrap();
    let out = carnet(&["collect", "ingest", "--db", &url, s(&workbook)]);
    assert!(out.status.success(), "{}", text(&out));
    let draw = || {
        carnet(&[
            "collect",
            "sample",
            "draw",
            "--db",
            &url,
            "--seed",
            "ue-2024-05",
            "--size",
            "3",
            "--month",
            "2024-05",
        ])
    };
    let (first, second) = (draw(), draw());
    assert!(first.status.success(), "{}", text(&first));
    let drawn = |out: &Output| -> Vec<String> {
        stdout(out)
            .lines()
            .filter(|l| l.contains(". FINESS ") || l.contains("rang : SHA-256"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(drawn(&first).len(), 6, "{}", text(&first));
    assert_eq!(drawn(&first), drawn(&second));
    assert!(
        stdout(&first).contains("Échantillon d'audit n° 1"),
        "{}",
        text(&first)
    );
    assert!(stdout(&first).contains("à vérifier"), "{}", text(&first));
    let line = drawn(&first)[0].clone();
    let finess = line.split("FINESS ").nth(1).unwrap()[..9].to_owned();
    let out = carnet(&[
        "collect",
        "sample",
        "record",
        "--db",
        &url,
        "--id",
        "1",
        "--finess",
        &finess,
        "--check",
        "dui_actifs",
        "--outcome",
        "non-conforme",
        "--note",
        "état : 12 DUI actifs",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let out = carnet(&["collect", "sample", "show", "--db", &url, "--id", "1"]);
    assert!(
        stdout(&out).contains("non conforme (non-conforme), par cli"),
        "{}",
        text(&out)
    );
    assert!(
        stdout(&out).contains("« état : 12 DUI actifs »"),
        "{}",
        text(&out)
    );
    for (args, message) in [
        (
            vec!["collect", "sample", "show", "--db", &url, "--id", "42"],
            "échantillon n° 42 inconnu",
        ),
        (
            vec![
                "collect",
                "sample",
                "record",
                "--db",
                &url,
                "--id",
                "1",
                "--finess",
                &finess,
                "--check",
                "tampon",
                "--outcome",
                "conforme",
            ],
            "point de contrôle « tampon » inconnu",
        ),
        (
            vec![
                "collect", "sample", "draw", "--db", &url, "--seed", "x", "--size", "2", "--month",
                "2023-01",
            ],
            "aucun ESSMS déclaré",
        ),
    ] {
        let out = carnet(&args);
        assert!(!out.status.success(), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(message), "{args:?}: {}", text(&out));
        assert!(!text(&out).contains("panicked"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Proofs and the flash report from the command line, on a database of its
/// own: a signed proof whose DUI actifs differ from the declared row (exit
/// code ≠ 0, the figure named), a PDF that is not a Carnet proof (to check by
/// hand, then a decision recorded), the list, the flash report in text and
/// HTML, and the integrity check.
#[test]
fn collect_proofs_and_flash_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("carnet-cli-proofs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("collecte.db").display());
    let workbook = dir.join("recueil.xlsx");
    std::fs::write(
        &workbook,
        include_bytes!("../../collect/tests/fixtures/recueil_propre_2024_05.xlsx"),
    )
    .unwrap();
    let out = carnet(&["collect", "ingest", "--db", &url, s(&workbook)]);
    assert!(out.status.success(), "{}", text(&out));

    let pki = carnet_reports::generate_demo_pki(
        "Association Essai",
        "73282932000074",
        "2024-01-01T00:00:00Z".parse().unwrap(),
        "essai",
    )
    .unwrap();
    let files = pki.write_to(&dir).unwrap();
    let data = carnet_reports::ProofData {
        format: carnet_reports::PROOF_FORMAT.to_owned(),
        establishment_finess: "330100009".to_owned(),
        establishment_name: "ESSMS".to_owned(),
        organisation_name: "Association Essai".to_owned(),
        organisation_siret: "73282932000074".to_owned(),
        period_from: "2024-05-01".parse().unwrap(),
        period_to: "2024-05-31".parse().unwrap(),
        produced_at: "2024-06-02T08:00:00Z".parse().unwrap(),
        rule_set: "r/1".to_owned(),
        figures: carnet_reports::ProofFigures {
            records: 1_000_000,
            open_records: 1_000_000,
            active_records: 999_999,
            accompanied_persons: 1_000_000,
            records_with_care_plan: 0,
            records_with_appointment: 0,
            dmp_fed: 0,
            mss_messages: 0,
        },
        rates: carnet_reports::ProofRates {
            active: "99,9 %".to_owned(),
            care_plan: "0,0 %".to_owned(),
            appointment: "0,0 %".to_owned(),
            dmp: "0,0 %".to_owned(),
            mss: "0,0 %".to_owned(),
        },
        declarant: "Alex Martin, directeur".to_owned(),
        legal_representative: "Sam Durand, présidente".to_owned(),
        counted_records_sha256: "ab".repeat(32),
    };
    let identity = carnet_reports::SigningIdentity::from_pkcs12(&pki.pkcs12, "essai").unwrap();
    let signed = dir.join("preuve.pdf");
    std::fs::write(
        &signed,
        carnet_reports::signed_proof(&data, &identity).unwrap(),
    )
    .unwrap();
    let attach = |file: &Path, trust: &[&str]| {
        let mut args = vec![
            "collect",
            "proofs",
            "attach",
            "--db",
            &url,
            "--galis",
            "4107",
            "--finess",
            "330100009",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-31",
        ];
        args.extend_from_slice(trust);
        args.push(s(file));
        carnet(&args)
    };
    let out = attach(&signed, &["--trust", s(&files.ca_pem)]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("INVALIDE"), "{}", text(&out));
    assert!(
        stdout(&out).contains("DUI actifs : 999 999 dans la preuve"),
        "{}",
        text(&out)
    );

    let plain = dir.join("capture.pdf");
    std::fs::write(
        &plain,
        carnet_reports::text_document_pdf(&carnet_reports::TextDocument {
            title: "Capture".to_owned(),
            author: "Porteur".to_owned(),
            produced_at: "2024-06-02T08:00:00Z".parse().unwrap(),
            blocks: Vec::new(),
        })
        .unwrap(),
    )
    .unwrap();
    let out = attach(&plain, &["--trust", s(&files.ca_pem)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("À VÉRIFIER MANUELLEMENT"),
        "{}",
        text(&out)
    );
    let out = carnet(&[
        "collect",
        "proofs",
        "review",
        "--db",
        &url,
        "--id",
        "2",
        "--decision",
        "conforme",
        "--comment",
        "FINESS, période et DUI actifs vérifiés sur le document",
        "--reviewer",
        "Agent ARS",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("État : vérifiée manuellement : conforme"),
        "{}",
        text(&out)
    );
    let out = carnet(&["collect", "proofs", "list", "--db", &url, "--galis", "4107"]);
    assert!(stdout(&out).contains("2 preuve(s)"), "{}", text(&out));
    let out = attach(&workbook, &[]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("seuls les PDF sont acceptés"),
        "{}",
        text(&out)
    );

    let out = carnet(&[
        "collect", "flash", "--db", &url, "--region", "75", "--month", "2024-05",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("Nouvelle-Aquitaine (75) — mai 2024"),
        "{}",
        text(&out)
    );
    assert!(
        stdout(&out).contains("ESSMS déclarés : 15"),
        "{}",
        text(&out)
    );
    let html = dir.join("flash.html");
    let out = carnet(&[
        "collect",
        "flash",
        "--db",
        &url,
        "--region",
        "75",
        "--month",
        "2024-05",
        "--format",
        "html",
        "--out",
        s(&html),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    let out = carnet(&["collect", "verify", "--db", &url]);
    assert!(out.status.success(), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn platform_accounts_are_created_with_their_scope_and_bad_ones_refused_in_french() {
    // `carnet demo` put the demo platform in a database of its own, beside
    // the DUI's, which keeps its one organisation.
    let platform = format!(
        "sqlite://{}",
        demo().dir.join("carnet-plateforme.db").display()
    );
    let again = carnet(&["platform", "demo", "--no-serve", "--db", &platform]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("porteur-paris"), "{}", text(&again));
    let projects = carnet(&["collect", "projects", "list", "--db", &platform]);
    assert!(stdout(&projects).contains("4107"), "{}", text(&projects));
    let on_dui = on_demo(&["collect", "projects", "list"]);
    assert!(!stdout(&on_dui).contains("4107"), "{}", text(&on_dui));

    let account = |args: &[&str]| {
        let mut all = vec!["platform", "account", "--db", &platform];
        all.extend(args);
        carnet(&all)
    };
    let ok = account(&[
        "--login",
        "ars-bretagne",
        "--name",
        "ARS Bretagne",
        "--role",
        "ars",
        "--region",
        "53",
    ]);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(stdout(&ok).contains("Bretagne"), "{}", text(&ok));

    for (args, expected) in [
        (
            vec!["--login", "x1", "--name", "X", "--role", "chef"],
            "rôle « chef » inconnu",
        ),
        (
            vec!["--login", "x2", "--name", "X", "--role", "porteur"],
            "demande --siret",
        ),
        (
            vec![
                "--login", "x3", "--name", "X", "--role", "ars", "--region", "99",
            ],
            "code INSEE de région inconnu",
        ),
        (
            vec![
                "--login",
                "x4",
                "--name",
                "X",
                "--role",
                "porteur",
                "--siret",
                "12345678901234",
            ],
            "--siret",
        ),
        (
            vec!["--login", "cnsa", "--name", "X", "--role", "cnsa"],
            "déjà pris",
        ),
    ] {
        let out = account(&args);
        assert!(!out.status.success(), "{args:?}");
        assert!(text(&out).contains(expected), "{args:?}: {}", text(&out));
    }
}

#[test]
fn a_proof_signed_on_the_demo_dui_is_valid_on_the_demo_platform_where_its_month_is_declared() {
    // `carnet demo` declared the DUI's last three complete months (August to
    // October 2026) on the demo platform, as project 9001 of porteur-dui.
    let platform = format!(
        "sqlite://{}",
        demo().dir.join("carnet-plateforme.db").display()
    );
    let projects = carnet(&["collect", "projects", "list", "--db", &platform]);
    assert!(stdout(&projects).contains("9001"), "{}", text(&projects));
    let report = json_report();
    let finess = establishments(&report)[0]["finess"].as_str().unwrap();
    let path = scratch("preuve-plateforme").join("preuve-octobre.pdf");
    let out = on_demo(&[
        "proof",
        "--finess",
        finess,
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-31",
        "--declarant",
        "Claire Martin, directrice",
        "--representative",
        "Paul Durand, président",
        "--out",
        s(&path),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let ca = demo().dir.join("carnet-pki/ca.pem");
    let attach = |from: &str, to: &str| {
        carnet(&[
            "collect",
            "proofs",
            "attach",
            "--db",
            &platform,
            "--galis",
            "9001",
            "--finess",
            finess,
            "--from",
            from,
            "--to",
            to,
            "--trust",
            s(&ca),
            s(&path),
        ])
    };
    let out = attach("2026-10-01", "2026-10-31");
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("valide"), "{}", text(&out));
    // Attached to September instead: the period differs, invalid.
    let out = attach("2026-09-01", "2026-09-30");
    assert!(!out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("période"), "{}", text(&out));
}
