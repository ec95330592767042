//! The platform's test world: two projects (4107 in Nouvelle-Aquitaine for
//! porteur A, 5001 in Île-de-France for porteur B), one account per role, one
//! accepted declaration of each, and small clients for the API and the pages.

use crate::support::*;
use axum::Router;
use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE};
use axum::http::{Method, Request, StatusCode};
use carnet_collect::accounts::{self, NewAccount, PlatformRole, Reach};
use carnet_collect::{projects, regions, versions};
use carnet_core::{Finess, Siret};
use carnet_store::{Actor, Db, User, WriteCtx};
use carnet_web::AppState;
use carnet_web::platform;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

pub const SIRET_A: &str = "73282932000074";
pub const SIRET_B: &str = "77572284600117";

pub fn ctx() -> WriteCtx {
    WriteCtx {
        actor: Actor::System("test"),
        now: clock(),
    }
}

pub fn gironde(i: usize) -> String {
    Finess::with_computed_key(&format!("330{:05}", 100 + i))
        .unwrap()
        .to_string()
}

pub fn paris(i: usize) -> String {
    Finess::with_computed_key(&format!("750{:05}", 100 + i))
        .unwrap()
        .to_string()
}

/// One establishment's row: FINESS, DUI actifs, persons accompanied, DUI with PP.
pub type Line = (String, u32, u32, u32);

/// A collection workbook for May 2024; the same lines give the same bytes.
pub fn workbook(galis: &str, siret: &str, lines: &[Line]) -> Vec<u8> {
    let mut book = Workbook::new();
    let created = ExcelDateTime::from_ymd(2024, 6, 1).unwrap();
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let sheet = book.add_worksheet();
    sheet.set_name("Liste des mesures d'usage").unwrap();
    let headers = [
        "Référence GALIS",
        "SIRET Porteur",
        "FINESS Géographique",
        "Nom de l'ESSMS",
        "Nombre de DMP alimentés",
        "Nombre de messages envoyés via la MS Santé",
        "Nombre de DUI actifs",
        "Nombre de personnes accompagnées par la structure",
        "Nombre de DUI avec projet personnalisé",
        "Nombre de DUI avec au moins un événement d'agenda",
        "Premier jour de la période de recueil",
        "Dernier jour de la période de recueil",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (i, (finess, actifs, accompanied, care_plan)) in lines.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, galis).unwrap();
        sheet.write_string(r, 1, siret).unwrap();
        sheet.write_string(r, 2, finess).unwrap();
        sheet.write_string(r, 3, format!("ESSMS {i}")).unwrap();
        sheet.write_number(r, 4, 5.0).unwrap();
        sheet.write_number(r, 5, 10.0).unwrap();
        sheet.write_number(r, 6, f64::from(*actifs)).unwrap();
        sheet.write_number(r, 7, f64::from(*accompanied)).unwrap();
        sheet.write_number(r, 8, f64::from(*care_plan)).unwrap();
        sheet.write_number(r, 9, 20.0).unwrap();
        let start = ExcelDateTime::from_ymd(2024, 5, 1).unwrap();
        let end = ExcelDateTime::from_ymd(2024, 5, 31).unwrap();
        sheet
            .write_datetime_with_format(r, 10, &start, &date)
            .unwrap();
        sheet
            .write_datetime_with_format(r, 11, &end, &date)
            .unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// Project 4107 (porteur A, Gironde: Nouvelle-Aquitaine, 75).
pub fn good_a() -> Vec<u8> {
    workbook(
        "4107",
        SIRET_A,
        &[(gironde(0), 40, 50, 30), (gironde(1), 45, 50, 40)],
    )
}

/// The same, with more DUI with a care plan than DUI actifs on row 3 (I3 > G3).
pub fn bad_a() -> Vec<u8> {
    workbook(
        "4107",
        SIRET_A,
        &[(gironde(0), 40, 50, 30), (gironde(1), 45, 50, 90)],
    )
}

/// Project 5001 (porteur B, Paris: Île-de-France, 11).
pub fn good_b() -> Vec<u8> {
    workbook("5001", SIRET_B, &[(paris(0), 20, 25, 10)])
}

/// The bytes of the world's proof (a PDF header, no signature).
pub const PROOF_PDF: &[u8] = b"%PDF-1.4\n%%EOF\n";

pub const PROJECTS_HEADER: &str = "reference_galis;libelle;siret_porteur;annee_appel;regles;nature;\
petit_organisme;guichet;finess;notifie_prevu;notifie_reel;demarre_prevu;demarre_reel;\
parametrage_finalise_prevu;parametrage_finalise_reel;fin_va_prevu;fin_va_reel;fin_vsr_prevu;\
fin_vsr_reel;termine_prevu;termine_reel";

/// The platform with two projects, one account per role, and one
/// declaration of each project already accepted.
pub struct Platform {
    pub test: TestDb,
    pub app: Router,
    /// API tokens by name: porteur_a, porteur_b, ars_na, ars_idf, cnsa, auditeur, dui.
    pub tokens: Vec<(&'static str, String)>,
    pub users: Vec<(&'static str, User)>,
    /// The accepted version of project 4107 and of project 5001.
    pub version_a: i64,
    pub version_b: i64,
    /// A proof of project 4107 for May 2024 (not signed: to review or invalid).
    pub proof_a: i64,
}

impl Platform {
    pub fn db(&self) -> &Db {
        &self.test.db
    }

    pub fn token(&self, name: &str) -> &str {
        &self.tokens.iter().find(|(n, _)| *n == name).unwrap().1
    }

    pub fn user(&self, name: &str) -> &User {
        &self.users.iter().find(|(n, _)| *n == name).unwrap().1
    }

    /// A page session: `(cookie, csrf)`.
    pub async fn session(&self, name: &str) -> (String, String) {
        let (token, session) = self
            .db()
            .open_session(&ctx(), self.user(name))
            .await
            .unwrap();
        (format!("carnet_session={token}"), session.csrf)
    }
}

pub async fn platform(test: TestDb) -> Platform {
    let db = &test.db;
    versions::migrate(db).await.unwrap();
    let line = |galis: &str, siret: &str, desk: &str, finess: &[String]| {
        format!(
            "{galis};Projet {galis};{siret};2024;aap-2024;acquisition;non;{desk};{};;;;;;;;;;;;",
            finess.join(",")
        )
    };
    let csv = format!(
        "{PROJECTS_HEADER}\r\n{}\r\n{}",
        line("4107", SIRET_A, "75", &[gironde(0), gironde(1)]),
        line("5001", SIRET_B, "11", &[paris(0)])
    );
    let parsed = projects::parse_csv(csv.as_bytes()).unwrap();
    projects::import(db, &parsed, "test", clock())
        .await
        .unwrap();

    let accounts_to_make: [(&'static str, Reach); 6] = [
        ("porteur_a", Reach::Porteur(Siret::parse(SIRET_A).unwrap())),
        ("porteur_b", Reach::Porteur(Siret::parse(SIRET_B).unwrap())),
        ("ars_na", Reach::Region(regions::by_code("75").unwrap())),
        ("ars_idf", Reach::Region(regions::by_code("11").unwrap())),
        ("cnsa", Reach::Nation),
        ("auditeur", Reach::Audit),
    ];
    let mut tokens = Vec::new();
    let mut users = Vec::new();
    for (name, reach) in accounts_to_make {
        let (user, _) = accounts::create(
            db,
            &ctx(),
            NewAccount {
                login: name.to_owned(),
                display_name: format!("Compte {name}"),
                reach,
                password_hash: None,
            },
        )
        .await
        .unwrap();
        tokens.push((name, db.create_token(&ctx(), &user, "test").await.unwrap()));
        users.push((name, user));
    }
    // An account of the platform's organisation without a platform role.
    let organisation = accounts::platform_organisation(db).await.unwrap().unwrap();
    let dui = db
        .create_user(
            &ctx(),
            carnet_store::NewUser {
                organisation_id: organisation,
                login: "sans_role".into(),
                display_name: "Sans rôle".into(),
                role: carnet_core::model::Role::Direction,
                professional_id: None,
                establishment_ids: Vec::new(),
                password_hash: None,
            },
        )
        .await
        .unwrap();
    tokens.push(("dui", db.create_token(&ctx(), &dui, "test").await.unwrap()));
    users.push(("dui", dui));

    let app = platform::router(AppState::new(db.clone()).with_clock(clock));
    let mut p = Platform {
        test,
        app,
        tokens,
        users,
        version_a: 0,
        version_b: 0,
        proof_a: 0,
    };
    let a = declare(&p, "porteur_a", good_a()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.message());
    p.version_a = a.json()["version"]["id"].as_i64().unwrap();
    let b = declare(&p, "porteur_b", good_b()).await;
    assert_eq!(b.status, StatusCode::CREATED, "{}", b.message());
    p.version_b = b.json()["version"]["id"].as_i64().unwrap();
    let finess = Finess::parse(&gironde(0)).unwrap();
    let attachment = carnet_collect::proofs::Attachment {
        galis: "4107",
        finess: &finess,
        period: carnet_collect::Period {
            start: jiff::civil::date(2024, 5, 1),
            end: jiff::civil::date(2024, 5, 31),
        },
        file_name: "attestation-mai.pdf",
        bytes: PROOF_PDF,
        by: "porteur_a",
        at: clock(),
    };
    p.proof_a = carnet_collect::proofs::attach(p.db(), &attachment, &[], 10)
        .await
        .unwrap()
        .proof
        .id;
    p
}

pub async fn platforms() -> Vec<Platform> {
    let mut all = Vec::new();
    for test in backends().await {
        all.push(platform(test).await);
    }
    all
}

/// `POST /api/v1/collecte/declarations` with the workbook as the body.
pub async fn declare(p: &Platform, who: &str, bytes: Vec<u8>) -> Reply {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/collecte/declarations?nom=recueil.xlsx")
        .header("authorization", format!("Bearer {}", p.token(who)))
        .header(
            CONTENT_TYPE,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(Body::from(bytes))
        .unwrap();
    send(&p.app, request).await
}

pub async fn page(p: &Platform, method: Method, path: &str, cookie: &str, form: &str) -> Reply {
    let mut request = Request::builder()
        .method(method.clone())
        .uri(path)
        .header(COOKIE, cookie);
    if method != Method::GET {
        request = request.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    send(&p.app, request.body(Body::from(form.to_owned())).unwrap()).await
}

/// The upload form, posted as a browser does.
pub async fn upload_page(p: &Platform, cookie: &str, csrf: &str, bytes: &[u8]) -> Reply {
    let boundary = "plateforme-test";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"recueil.xlsx\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::builder()
        .method(Method::POST)
        .uri("/plateforme/depot")
        .header(COOKIE, cookie)
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    send(&p.app, request).await
}

pub fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.bytes).into_owned()
}

pub fn role_of(name: &str) -> Option<PlatformRole> {
    match name {
        "porteur_a" | "porteur_b" => Some(PlatformRole::Porteur),
        "ars_na" | "ars_idf" => Some(PlatformRole::Ars),
        "cnsa" => Some(PlatformRole::Cnsa),
        "auditeur" => Some(PlatformRole::Auditeur),
        _ => None,
    }
}

/// A concrete path for a route, inside the scope of accounts of project 4107
/// (porteur A, ARS Nouvelle-Aquitaine, CNSA, auditeur).
pub fn concrete(path: &str, p: &Platform) -> String {
    if path.starts_with("/plateforme/preuves/{id}/") {
        return path.replace("{id}", &p.proof_a.to_string());
    }
    if path == "/plateforme/flash" {
        return "/plateforme/flash?region=75&mois=2024-05".to_owned();
    }
    path.replace("{galis}", "4107")
        .replace("{id}", &p.version_a.to_string())
        .replace("{code}", "75")
        .replace("{fichier}", "indicateurs.csv")
}
