//! The collection platform's web side on every backend: route × platform
//! role (allowed, or 403 with a French message), scopes (an ARS agent never
//! sees another region's project, a porteur another porteur's, even by
//! editing the URL; the auditeur cannot upload), uploads through the API
//! and the page, versions, dashboards and exports.

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
use carnet_web::access::Surface;
use carnet_web::platform::{self, access::PlatformNeed};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

const SIRET_A: &str = "73282932000074";
const SIRET_B: &str = "77572284600117";

fn ctx() -> WriteCtx {
    WriteCtx {
        actor: Actor::System("test"),
        now: clock(),
    }
}

fn gironde(i: usize) -> String {
    Finess::with_computed_key(&format!("330{:05}", 100 + i))
        .unwrap()
        .to_string()
}

fn paris(i: usize) -> String {
    Finess::with_computed_key(&format!("750{:05}", 100 + i))
        .unwrap()
        .to_string()
}

/// One establishment's row: FINESS, DUI actifs, persons accompanied, DUI with PP.
type Line = (String, u32, u32, u32);

/// A collection workbook for May 2024; the same lines give the same bytes.
fn workbook(galis: &str, siret: &str, lines: &[Line]) -> Vec<u8> {
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
fn good_a() -> Vec<u8> {
    workbook(
        "4107",
        SIRET_A,
        &[(gironde(0), 40, 50, 30), (gironde(1), 45, 50, 40)],
    )
}

/// The same, with more DUI with a care plan than DUI actifs on row 3 (I3 > G3).
fn bad_a() -> Vec<u8> {
    workbook(
        "4107",
        SIRET_A,
        &[(gironde(0), 40, 50, 30), (gironde(1), 45, 50, 90)],
    )
}

/// Project 5001 (porteur B, Paris: Île-de-France, 11).
fn good_b() -> Vec<u8> {
    workbook("5001", SIRET_B, &[(paris(0), 20, 25, 10)])
}

const PROJECTS_HEADER: &str = "reference_galis;libelle;siret_porteur;annee_appel;regles;nature;\
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

async fn platform(test: TestDb) -> Platform {
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
    };
    let a = declare(&p, "porteur_a", good_a()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.message());
    p.version_a = a.json()["version"]["id"].as_i64().unwrap();
    let b = declare(&p, "porteur_b", good_b()).await;
    assert_eq!(b.status, StatusCode::CREATED, "{}", b.message());
    p.version_b = b.json()["version"]["id"].as_i64().unwrap();
    p
}

async fn platforms() -> Vec<Platform> {
    let mut all = Vec::new();
    for test in backends().await {
        all.push(platform(test).await);
    }
    all
}

/// `POST /api/v1/collecte/declarations` with the workbook as the body.
async fn declare(p: &Platform, who: &str, bytes: Vec<u8>) -> Reply {
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

async fn page(p: &Platform, method: Method, path: &str, cookie: &str, form: &str) -> Reply {
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
async fn upload_page(p: &Platform, cookie: &str, csrf: &str, bytes: &[u8]) -> Reply {
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

fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.bytes).into_owned()
}

fn role_of(name: &str) -> Option<PlatformRole> {
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
fn concrete(path: &str, p: &Platform) -> String {
    path.replace("{galis}", "4107")
        .replace("{id}", &p.version_a.to_string())
        .replace("{code}", "75")
        .replace("{fichier}", "indicateurs.csv")
}

#[tokio::test]
async fn every_platform_route_is_allowed_or_refused_in_french_for_each_role() {
    for p in platforms().await {
        let name = p.test.name;
        let routes = platform::route_infos();
        assert!(routes.len() >= 15, "{name}");
        for route in &routes {
            if route.need == PlatformNeed::Public {
                continue;
            }
            for who in ["porteur_a", "ars_na", "cnsa", "auditeur", "dui"] {
                let path = concrete(route.path, &p);
                let method = Method::from_bytes(route.method.as_bytes()).unwrap();
                let reply = match route.surface {
                    Surface::Api => {
                        let request = Request::builder()
                            .method(method.clone())
                            .uri(&path)
                            .header("authorization", format!("Bearer {}", p.token(who)))
                            .body(Body::empty())
                            .unwrap();
                        send(&p.app, request).await
                    }
                    Surface::Pages => {
                        let (cookie, csrf) = p.session(who).await;
                        page(&p, method.clone(), &path, &cookie, &format!("_csrf={csrf}")).await
                    }
                };
                let allowed = route.need.allows(role_of(who));
                if allowed {
                    assert!(
                        reply.status != StatusCode::FORBIDDEN
                            && reply.status != StatusCode::UNAUTHORIZED
                            && reply.status != StatusCode::NOT_FOUND
                            && !reply.status.is_server_error(),
                        "{name} {who} {} {path}: {}",
                        route.method,
                        reply.status
                    );
                } else {
                    assert_eq!(
                        reply.status,
                        StatusCode::FORBIDDEN,
                        "{name} {who} {} {path}",
                        route.method
                    );
                    let body = text(&reply);
                    assert!(body.contains("accès refusé"), "{name} {who} {path}: {body}");
                    if who == "dui" {
                        assert!(body.contains("pas de rôle sur la plateforme"), "{body}");
                    } else {
                        assert!(body.contains("votre rôle"), "{body}");
                    }
                }
                // Without any credential: 401 (API) or the sign-in page.
                let anonymous = send(
                    &p.app,
                    Request::builder()
                        .method(method)
                        .uri(&path)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await;
                match route.surface {
                    Surface::Api => assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED),
                    Surface::Pages => assert_eq!(anonymous.status, StatusCode::SEE_OTHER),
                }
            }
        }
    }
}

#[tokio::test]
async fn an_ars_agent_never_sees_another_regions_project_even_by_editing_the_url() {
    for p in platforms().await {
        let name = p.test.name;
        let (idf, _) = p.session("ars_idf").await;
        let (na, _) = p.session("ars_na").await;
        let a = p.version_a;
        for path in [
            "/plateforme/projets/4107".to_owned(),
            format!("/plateforme/versions/{a}"),
            format!("/plateforme/versions/{a}/fichier"),
            "/plateforme/tableau-de-bord/projets/4107".to_owned(),
            "/plateforme/tableau-de-bord/projets/4107/indicateurs.csv".to_owned(),
        ] {
            let reply = page(&p, Method::GET, &path, &idf, "").await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{name} {path}");
            assert!(!text(&reply).contains("4107"), "{name} {path}");
            let reply = page(&p, Method::GET, &path, &na, "").await;
            assert_eq!(reply.status, StatusCode::OK, "{name} {path}");
        }
        let reply = page(
            &p,
            Method::GET,
            "/plateforme/tableau-de-bord/regions/75",
            &idf,
            "",
        )
        .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{name}");
        assert!(text(&reply).contains("accès refusé"));
        // Its home and its region's dashboard and exports name its projects only.
        let home = text(&page(&p, Method::GET, "/plateforme", &idf, "").await);
        assert!(home.contains("5001") && !home.contains("4107"), "{name}");
        let region = page(
            &p,
            Method::GET,
            "/plateforme/tableau-de-bord/regions/11",
            &idf,
            "",
        )
        .await;
        assert_eq!(region.status, StatusCode::OK);
        for file in ["indicateurs.csv", "indicateurs.xlsx"] {
            let path = format!("/plateforme/tableau-de-bord/regions/11/{file}");
            let reply = page(&p, Method::GET, &path, &idf, "").await;
            assert_eq!(reply.status, StatusCode::OK, "{name} {path}");
        }
        let csv = text(
            &page(
                &p,
                Method::GET,
                "/plateforme/tableau-de-bord/regions/11/indicateurs.csv",
                &idf,
                "",
            )
            .await,
        );
        assert!(
            csv.contains("Île-de-France") && !csv.contains("Nouvelle-Aquitaine"),
            "{csv}"
        );
    }
}

#[tokio::test]
async fn a_porteur_never_sees_nor_declares_for_another_porteurs_project() {
    for p in platforms().await {
        let name = p.test.name;
        let (b, _) = p.session("porteur_b").await;
        let a = p.version_a;
        for path in [
            "/plateforme/projets/4107".to_owned(),
            format!("/plateforme/versions/{a}"),
            format!("/plateforme/versions/{a}/fichier"),
            "/plateforme/tableau-de-bord/projets/4107".to_owned(),
        ] {
            let reply = page(&p, Method::GET, &path, &b, "").await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{name} {path}");
        }
        let home = text(&page(&p, Method::GET, "/plateforme", &b, "").await);
        assert!(home.contains("5001") && !home.contains("4107"), "{name}");
        // Porteur B sends project 4107's file: refused, nothing stored.
        let reply = declare(&p, "porteur_b", good_a()).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{name}");
        let body = reply.json();
        assert_eq!(body["code"], "projet_hors_perimetre");
        assert!(
            body["message"].as_str().unwrap().contains("SIRET"),
            "{body}"
        );
        assert_eq!(body["accepted"], false);
        let period = carnet_collect::Period {
            start: jiff::civil::date(2024, 5, 1),
            end: jiff::civil::date(2024, 5, 31),
        };
        assert_eq!(
            versions::versions(p.db(), "4107", period)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn the_auditeur_and_the_agents_cannot_upload() {
    for p in platforms().await {
        for who in ["auditeur", "cnsa", "ars_na"] {
            let reply = declare(&p, who, good_a()).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}");
            assert_eq!(reply.json()["code"], "forbidden");
            assert!(reply.message().contains("porteur"), "{}", reply.message());
            let (cookie, csrf) = p.session(who).await;
            let reply = upload_page(&p, &cookie, &csrf, &good_a()).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}");
        }
    }
}

#[tokio::test]
async fn a_porteur_sends_versions_through_the_api_and_every_version_stays_reachable() {
    for p in platforms().await {
        let name = p.test.name;
        let second = declare(&p, "porteur_a", good_a()).await;
        assert_eq!(second.status, StatusCode::CREATED, "{name}");
        let body = second.json();
        assert_eq!(body["version"]["version"], 2);
        assert_eq!(body["version"]["sent_by"], "porteur_a");
        assert_eq!(body["file_name"], "recueil.xlsx");
        let id = body["version"]["id"].as_i64().unwrap();

        // A file with errors: the report names the cell; nothing is stored.
        let bad = declare(&p, "porteur_a", bad_a()).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let body = bad.json();
        assert_eq!(body["code"], "fichier_refuse");
        assert_eq!(body["accepted"], false);
        assert!(body["version"].is_null());
        let findings = body["findings"].as_array().unwrap();
        assert!(
            findings
                .iter()
                .any(|f| f["cell"] == "I3" && f["severity"] == "erreur" && f["value"] == "90"),
            "{body}"
        );
        // Not an .xlsx at all.
        let junk = declare(&p, "porteur_a", b"bonjour".to_vec()).await;
        assert_eq!(junk.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(junk.json()["code"], "fichier_illisible");
        assert!(!junk.message().is_empty());
        let empty = declare(&p, "porteur_a", Vec::new()).await;
        assert_eq!(empty.status, StatusCode::BAD_REQUEST);
        assert_eq!(empty.json()["code"], "fichier_absent");

        // Both versions are listed; the first is superseded and still served.
        let (cookie, _) = p.session("cnsa").await;
        let list = text(&page(&p, Method::GET, "/plateforme/projets/4107", &cookie, "").await);
        assert!(
            list.contains("Version 1") && list.contains("Version 2"),
            "{list}"
        );
        assert!(list.contains("remplacée") && list.contains("en vigueur"));
        let first = page(
            &p,
            Method::GET,
            &format!("/plateforme/versions/{}", p.version_a),
            &cookie,
            "",
        )
        .await;
        assert_eq!(first.status, StatusCode::OK);
        assert!(text(&first).contains(&format!("/plateforme/versions/{id}")));
        let file = page(
            &p,
            Method::GET,
            &format!("/plateforme/versions/{}/fichier", p.version_a),
            &cookie,
            "",
        )
        .await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.bytes, good_a());
        assert!(
            file.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains("recueil.xlsx")
        );
        assert!(versions::verify(p.db()).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_upload_page_shows_the_french_report_of_a_good_and_a_bad_workbook() {
    for p in platforms().await {
        let name = p.test.name;
        let (cookie, csrf) = p.session("porteur_a").await;
        let form = page(&p, Method::GET, "/plateforme/depot", &cookie, "").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(text(&form).contains("enctype=\"multipart/form-data\""));

        let good = upload_page(&p, &cookie, &csrf, &good_a()).await;
        assert_eq!(good.status, StatusCode::OK, "{name}");
        let html = text(&good);
        assert!(html.contains("Fichier accepté"), "{html}");
        assert!(html.contains("version 2"), "{html}");

        let bad = upload_page(&p, &cookie, &csrf, &bad_a()).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let html = text(&bad);
        assert!(html.contains("Fichier refusé"), "{html}");
        assert!(
            html.contains("<td>I3</td>") && html.contains("<td>90</td>"),
            "{html}"
        );

        // A forged form (no CSRF token) is refused and nothing is stored.
        let forged = upload_page(&p, &cookie, "faux", &good_a()).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let all = versions::of_project(p.db(), "4107").await.unwrap();
        assert_eq!(all.len(), 2, "{name}");
    }
}

#[tokio::test]
async fn dashboards_show_the_months_the_chart_and_the_exports_of_their_scope() {
    for p in platforms().await {
        let name = p.test.name;
        let (cnsa, _) = p.session("cnsa").await;
        let nation = page(
            &p,
            Method::GET,
            "/plateforme/tableau-de-bord/national",
            &cnsa,
            "",
        )
        .await;
        assert_eq!(nation.status, StatusCode::OK, "{name}");
        let html = text(&nation);
        assert!(
            html.contains("mai 2024") && html.contains("Trajectoire"),
            "{html}"
        );
        // 40 + 45 + 20 DUI actifs in May.
        assert!(html.contains("<td>105</td>"), "{html}");
        assert!(html.contains("graphique.svg"));
        let svg = page(
            &p,
            Method::GET,
            "/plateforme/tableau-de-bord/national/graphique.svg",
            &cnsa,
            "",
        )
        .await;
        assert_eq!(svg.status, StatusCode::OK);
        assert_eq!(svg.headers[CONTENT_TYPE], "image/svg+xml");
        assert!(text(&svg).starts_with("<svg") || text(&svg).contains("<svg"));
        let csv = page(
            &p,
            Method::GET,
            "/plateforme/tableau-de-bord/national/indicateurs.csv",
            &cnsa,
            "",
        )
        .await;
        assert!(csv.bytes.starts_with("\u{feff}".as_bytes()));
        let xlsx = page(
            &p,
            Method::GET,
            "/plateforme/tableau-de-bord/national/indicateurs.xlsx",
            &cnsa,
            "",
        )
        .await;
        assert!(xlsx.bytes.starts_with(b"PK"));
        let unknown = page(
            &p,
            Method::GET,
            "/plateforme/tableau-de-bord/national/autre.txt",
            &cnsa,
            "",
        )
        .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);

        let (na, _) = p.session("ars_na").await;
        let mine = page(&p, Method::GET, "/plateforme/tableau-de-bord", &na, "").await;
        assert_eq!(mine.status, StatusCode::SEE_OTHER);
        assert_eq!(
            mine.headers["location"],
            "/plateforme/tableau-de-bord/regions/75"
        );
        let region = text(
            &page(
                &p,
                Method::GET,
                "/plateforme/tableau-de-bord/regions/75",
                &na,
                "",
            )
            .await,
        );
        assert!(region.contains("<td>85</td>"), "{region}");
        assert!(!region.contains("Trajectoire"));

        let (porteur, _) = p.session("porteur_a").await;
        let project = text(
            &page(
                &p,
                Method::GET,
                "/plateforme/tableau-de-bord/projets/4107",
                &porteur,
                "",
            )
            .await,
        );
        assert!(project.contains("<td>85</td>"), "{project}");
    }
}

#[tokio::test]
async fn the_platform_openapi_document_lists_exactly_its_api_routes() {
    let p = platform(backends().await.remove(0)).await;
    let reply = send(
        &p.app,
        Request::builder()
            .uri("/api/v1/collecte/openapi.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    let parsed: utoipa::openapi::OpenApi = serde_json::from_value(doc.clone()).expect("OpenAPI");
    let documented: Vec<(String, String)> = parsed
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            let mut methods = Vec::new();
            if item.post.is_some() {
                methods.push(("POST".to_owned(), path.clone()));
            }
            if item.get.is_some() {
                methods.push(("GET".to_owned(), path.clone()));
            }
            methods
        })
        .collect();
    let served: Vec<(String, String)> = platform::route_infos()
        .into_iter()
        .filter(|r| r.surface == Surface::Api && !r.path.ends_with("openapi.json"))
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(documented, served);
    let responses = &doc["paths"]["/api/v1/collecte/declarations"]["post"]["responses"];
    for code in ["201", "400", "401", "403", "413", "422"] {
        assert!(responses.get(code).is_some(), "{code}");
    }
}

/// `(action, resource, outcome)` of every audit entry whose resource starts with `prefix`.
async fn audited(db: &Db, prefix: &str) -> Vec<(String, String, String)> {
    use sqlx::Row as _;
    sqlx::query("SELECT action, resource, outcome FROM audit_entries ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get::<String, _>("action").unwrap(),
                r.try_get::<String, _>("resource").unwrap(),
                r.try_get::<String, _>("outcome").unwrap(),
            )
        })
        .filter(|(_, resource, _)| resource.starts_with(prefix))
        .collect()
}

#[tokio::test]
async fn uploads_downloads_and_refused_addresses_are_in_the_audit_log() {
    for p in platforms().await {
        let name = p.test.name;
        let bad = declare(&p, "porteur_a", bad_a()).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let (idf, _) = p.session("ars_idf").await;
        page(&p, Method::GET, "/plateforme/projets/4107", &idf, "").await;
        let (cnsa, _) = p.session("cnsa").await;
        let path = format!("/plateforme/versions/{}/fichier", p.version_a);
        page(&p, Method::GET, &path, &cnsa, "").await;
        let (auditeur, _) = p.session("auditeur").await;
        page(&p, Method::GET, "/plateforme/depot", &auditeur, "").await;

        let entries = audited(p.db(), "collecte/").await;
        let has = |action: &str, resource: &str, outcome: &str| {
            entries
                .iter()
                .any(|(a, r, o)| a == action && r.starts_with(resource) && o == outcome)
        };
        assert!(
            has("import", &format!("collecte/version/{}", p.version_a), "ok"),
            "{name} {entries:?}"
        );
        assert!(
            has("import", "collecte/depot/", "refused"),
            "{name} {entries:?}"
        );
        assert!(
            has("read", "collecte/projet/4107", "refused"),
            "{name} {entries:?}"
        );
        assert!(
            has(
                "download",
                &format!("collecte/version/{}/fichier", p.version_a),
                "ok"
            ),
            "{name}"
        );
        let refusals = audited(p.db(), "refus /plateforme/depot").await;
        assert_eq!(refusals.len(), 1, "{name} {refusals:?}");
        assert!(
            p.db().verify_audit(|| {}).await.unwrap().is_empty(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_file_over_ten_megabytes_is_refused_in_french_and_nothing_is_stored() {
    let p = platform(backends().await.remove(0)).await;
    let big = vec![b'x'; 11 * 1024 * 1024];
    let reply = declare(&p, "porteur_a", big.clone()).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json()["code"], "payload_too_large");
    let (cookie, csrf) = p.session("porteur_a").await;
    let reply = upload_page(&p, &cookie, &csrf, &big).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text(&reply).contains("10 Mo"), "{}", text(&reply));
    assert_eq!(versions::of_project(p.db(), "4107").await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_platform_account_signs_in_through_the_platforms_own_form() {
    let p = platform(backends().await.remove(0)).await;
    let password = "un-mot-de-passe-assez-long";
    accounts::create(
        p.db(),
        &ctx(),
        NewAccount {
            login: "agent".into(),
            display_name: "Agent".into(),
            reach: Reach::Nation,
            password_hash: Some(carnet_web::password::hash(password).unwrap()),
        },
    )
    .await
    .unwrap();
    let form = send(
        &p.app,
        Request::builder()
            .uri("/connexion")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(text(&form).contains("Connexion à la plateforme de collecte"));
    let sign_in = |secret: &str| {
        Request::builder()
            .method(Method::POST)
            .uri("/connexion")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "identifiant=agent&mot_de_passe={secret}&suite=/plateforme"
            )))
            .unwrap()
    };
    let wrong = send(&p.app, sign_in("faux")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(text(&wrong).contains("plateforme de collecte"));
    let ok = send(&p.app, sign_in(password)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.headers["location"], "/plateforme");
    let cookie = ok.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let home = page(&p, Method::GET, "/plateforme", &cookie, "").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(text(&home).contains("agent de la CNSA"));
}
