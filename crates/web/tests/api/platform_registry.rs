//! The registry and the accounts on the platform's pages, on every backend:
//! the registry of each scope, its CSV import (all or nothing; an ARS agent
//! only within its region), a milestone's actual date entered on the page,
//! the CNSA's accounts page, and an account created in one transaction.

use crate::platform::audited;
use crate::platform_world::*;
use crate::support::*;
use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE};
use axum::http::{Method, Request, StatusCode};
use carnet_collect::accounts::{self, NewAccount, Reach};
use carnet_collect::projects::{self, Milestone};
use carnet_store::{Backend, Db};

/// The registry's import form, posted as a browser does.
async fn import_page(p: &Platform, cookie: &str, csrf: &str, bytes: &[u8]) -> Reply {
    let boundary = "registre-test";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"registre.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::builder()
        .method(Method::POST)
        .uri("/plateforme/registre/import")
        .header(COOKIE, cookie)
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    send(&p.app, request).await
}

fn line(galis: &str, siret: &str, desk: &str, finess: &[String]) -> String {
    format!(
        "{galis};Projet {galis};{siret};2024;aap-2024;acquisition;non;{desk};{};;;;;;;;;;;;",
        finess.join(",")
    )
}

fn csv(lines: &[String]) -> Vec<u8> {
    let mut text = PROJECTS_HEADER.to_owned();
    for l in lines {
        text.push_str("\r\n");
        text.push_str(l);
    }
    text.into_bytes()
}

async fn galis_list(db: &Db) -> Vec<String> {
    projects::list(db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.galis)
        .collect()
}

#[tokio::test]
async fn the_registry_page_lists_the_projects_of_each_scope_and_the_import_form_for_editors() {
    for p in platforms().await {
        let name = p.test.name;
        for (who, sees, hides, form) in [
            ("porteur_a", "4107", Some("5001"), false),
            ("ars_na", "4107", Some("5001"), true),
            ("ars_idf", "5001", Some("4107"), true),
            ("cnsa", "5001", None, true),
            ("auditeur", "4107", None, false),
        ] {
            let (cookie, _) = p.session(who).await;
            let reply = page(&p, Method::GET, "/plateforme/registre", &cookie, "").await;
            assert_eq!(reply.status, StatusCode::OK, "{name} {who}");
            let body = text(&reply);
            assert!(
                body.contains(&format!("id=\"projet-{sees}\"")),
                "{name} {who}"
            );
            if let Some(hidden) = hides {
                assert!(!body.contains(&format!("projet-{hidden}")), "{name} {who}");
            }
            assert_eq!(body.contains("Importer le registre"), form, "{name} {who}");
            assert!(body.contains("Registre des projets"), "{name} {who}");
            assert_eq!(body.contains("href=\"/plateforme/comptes\""), who == "cnsa");
        }
        let (cookie, _) = p.session("ars_na").await;
        let body = text(&page(&p, Method::GET, "/plateforme/registre", &cookie, "").await);
        // Nouvelle-Aquitaine's project: SIRET, region, call, kind, desk, 2 ESSMS.
        for expected in [
            SIRET_A,
            "Nouvelle-Aquitaine",
            "2024",
            "acquisition",
            "<td>2</td>",
        ] {
            assert!(body.contains(expected), "{name} {expected}");
        }
    }
}

#[tokio::test]
async fn an_ars_import_of_another_regions_project_is_refused_with_its_line_and_nothing_is_stored() {
    for p in platforms().await {
        let name = p.test.name;
        let (cookie, csrf) = p.session("ars_na").await;
        let file = csv(&[
            line("4200", SIRET_A, "75", &[gironde(5)]),
            line("5002", SIRET_B, "11", &[paris(5)]),
            // Taking over Île-de-France's project with a Gironde ESSMS.
            line("5001", SIRET_B, "75", &[gironde(6)]),
        ]);
        let reply = import_page(&p, &cookie, &csrf, &file).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{name}");
        let body = text(&reply);
        assert!(
            body.contains("Fichier refusé : rien n'a été enregistré"),
            "{body}"
        );
        assert!(
            body.contains("<td>3</td><td>reference_galis</td><td>5002</td>"),
            "{body}"
        );
        assert!(
            body.contains("<td>4</td><td>reference_galis</td><td>5001</td>"),
            "{body}"
        );
        assert!(
            body.contains("hors de votre région (Nouvelle-Aquitaine)"),
            "{body}"
        );
        assert!(
            !body.contains("<td>2</td><td>reference_galis</td>"),
            "{body}"
        );
        assert_eq!(galis_list(p.db()).await, ["4107", "5001"], "{name}");
        let paris_project = projects::list(p.db()).await.unwrap().remove(1);
        assert_eq!(paris_project.desk.code(), "11", "{name}");

        // Within its region, the same agent imports.
        let file = csv(&[line("4200", SIRET_A, "75", &[gironde(5)])]);
        let reply = import_page(&p, &cookie, &csrf, &file).await;
        assert_eq!(reply.status, StatusCode::OK, "{name} {}", text(&reply));
        assert!(text(&reply).contains("1 projet(s) créé(s), 0 projet(s) mis à jour"));
        assert_eq!(galis_list(p.db()).await, ["4107", "4200", "5001"], "{name}");

        let entries = audited(p.db(), "collecte/registre/").await;
        let outcomes: Vec<&str> = entries.iter().map(|(_, _, o)| o.as_str()).collect();
        assert_eq!(outcomes, ["refused", "ok"], "{name} {entries:?}");
        assert!(entries.iter().all(|(a, _, _)| a == "import"), "{entries:?}");
    }
}

#[tokio::test]
async fn a_cnsa_import_creates_and_updates_projects_and_a_bad_file_lists_every_error_and_stores_nothing()
 {
    for p in platforms().await {
        let name = p.test.name;
        let (cookie, csrf) = p.session("cnsa").await;
        let bad = csv(&[
            line("6001", "12345678901234", "75", &[gironde(7)]),
            line("6002", SIRET_B, "11", &[paris(7)]).replacen(
                ";;;;;;;;;;;;",
                ";31/06/2024;;;;;;;;;;;",
                1,
            ),
        ]);
        let reply = import_page(&p, &cookie, &csrf, &bad).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let body = text(&reply);
        assert!(body.contains("2 erreur(s)"), "{body}");
        assert!(
            body.contains("<td>2</td><td>siret_porteur</td><td>12345678901234</td>"),
            "{body}"
        );
        assert!(
            body.contains("<td>3</td><td>notifie_prevu</td><td>31/06/2024</td><td>date invalide"),
            "{body}"
        );
        assert_eq!(galis_list(p.db()).await, ["4107", "5001"], "{name}");

        let good = csv(&[
            line("4107", SIRET_A, "national", &[gironde(0)]),
            line("6001", SIRET_B, "93", &[paris(8)]),
        ]);
        let reply = import_page(&p, &cookie, &csrf, &good).await;
        assert_eq!(reply.status, StatusCode::OK, "{name} {}", text(&reply));
        assert!(text(&reply).contains("1 projet(s) créé(s), 1 projet(s) mis à jour"));
        let all = projects::list(p.db()).await.unwrap();
        assert_eq!(all.len(), 3, "{name}");
        assert_eq!(all[0].establishments.len(), 1, "{name}");
        assert_eq!(all[0].desk.code(), "national", "{name}");

        let big = vec![b'x'; 3 * 1024 * 1024];
        let reply = import_page(&p, &cookie, &csrf, &big).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{name}");
        assert!(text(&reply).contains("2 Mo"), "{}", text(&reply));

        let entries = audited(p.db(), "collecte/registre/").await;
        let outcomes: Vec<&str> = entries.iter().map(|(_, _, o)| o.as_str()).collect();
        assert_eq!(outcomes, ["refused", "ok"], "{name} {entries:?}");
        // The auditeur reads the registry but does not import.
        let (auditeur, csrf) = p.session("auditeur").await;
        let reply = import_page(&p, &auditeur, &csrf, &good).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{name}");
    }
}

#[tokio::test]
async fn an_agent_records_a_milestones_actual_date_on_the_page_and_the_registry_shows_it() {
    for p in platforms().await {
        let name = p.test.name;
        let (cookie, csrf) = p.session("ars_na").await;
        let path = "/plateforme/registre/4107/jalon";
        let form = format!("_csrf={csrf}&jalon=demarre&date=15%2F04%2F2024");
        let reply = page(&p, Method::POST, path, &cookie, &form).await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{name} {}",
            text(&reply)
        );
        assert_eq!(
            reply.headers["location"],
            "/plateforme/registre#projet-4107"
        );
        let project = projects::list(p.db()).await.unwrap().remove(0);
        let started = project.milestones[&Milestone::Started];
        assert_eq!(
            started.actual,
            Some(jiff::civil::date(2024, 4, 15)),
            "{name}"
        );
        assert_eq!(started.planned, None, "{name}");
        let body = text(&page(&p, Method::GET, "/plateforme/registre", &cookie, "").await);
        assert!(body.contains("démarré : – / 15/04/2024"), "{body}");

        // A date input sends AAAA-MM-JJ; the CNSA changes any project.
        let (cnsa, cnsa_csrf) = p.session("cnsa").await;
        let form = format!("_csrf={cnsa_csrf}&jalon=termine&date=2025-12-31");
        let reply = page(
            &p,
            Method::POST,
            "/plateforme/registre/5001/jalon",
            &cnsa,
            &form,
        )
        .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{name}");

        for (form, field) in [
            (
                format!("_csrf={csrf}&jalon=demarre&date=31%2F06%2F2024"),
                "date",
            ),
            (format!("_csrf={csrf}&jalon=lance&date=2024-04-15"), "jalon"),
        ] {
            let reply = page(&p, Method::POST, path, &cookie, &form).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name} {field}");
            assert!(
                text(&reply).contains(&format!("champ « {field} »")),
                "{}",
                text(&reply)
            );
        }
        // Another region's project is unknown; the auditeur and a porteur may not.
        let (idf, idf_csrf) = p.session("ars_idf").await;
        let form = format!("_csrf={idf_csrf}&jalon=demarre&date=2024-04-01");
        let reply = page(&p, Method::POST, path, &idf, &form).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{name}");
        for who in ["auditeur", "porteur_a"] {
            let (c, t) = p.session(who).await;
            let form = format!("_csrf={t}&jalon=demarre&date=2024-04-01");
            let reply = page(&p, Method::POST, path, &c, &form).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{name} {who}");
        }
        let project = projects::list(p.db()).await.unwrap().remove(0);
        assert_eq!(
            project.milestones[&Milestone::Started].actual,
            Some(jiff::civil::date(2024, 4, 15)),
            "{name}"
        );
        let entries = audited(p.db(), "collecte/projet/").await;
        assert!(
            entries.contains(&(
                "update".into(),
                "collecte/projet/4107/jalon/demarre".into(),
                "ok".into()
            )),
            "{name} {entries:?}"
        );
    }
}

#[tokio::test]
async fn the_cnsa_creates_an_account_on_the_accounts_page_and_it_signs_in() {
    for p in platforms().await {
        let name = p.test.name;
        let (cookie, csrf) = p.session("cnsa").await;
        let list = page(&p, Method::GET, "/plateforme/comptes", &cookie, "").await;
        assert_eq!(list.status, StatusCode::OK, "{name}");
        let body = text(&list);
        assert!(body.contains("ars_na") && body.contains("région Nouvelle-Aquitaine (75)"));

        let secret = "un-mot-de-passe-bien-long";
        for (form, field) in [
            (
                format!("_csrf={csrf}&identifiant=&nom=X&role=cnsa&mot_de_passe={secret}"),
                "identifiant",
            ),
            (
                format!(
                    "_csrf={csrf}&identifiant=p.neuf&nom=P&role=porteur&siret=&mot_de_passe={secret}"
                ),
                "SIRET du porteur",
            ),
            (
                format!(
                    "_csrf={csrf}&identifiant=a.neuf&nom=A&role=ars&region=99&mot_de_passe={secret}"
                ),
                "région",
            ),
            (
                format!("_csrf={csrf}&identifiant=c.neuf&nom=C&role=cnsa&mot_de_passe=court"),
                "mot de passe initial",
            ),
            (
                format!("_csrf={csrf}&identifiant=cnsa&nom=C&role=cnsa&mot_de_passe={secret}"),
                "déjà pris",
            ),
        ] {
            let reply = page(&p, Method::POST, "/plateforme/comptes", &cookie, &form).await;
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name} {field}"
            );
            let body = text(&reply);
            assert!(body.contains(field), "{name} {field}: {body}");
            assert!(!body.contains(secret) && !body.contains("court"), "{name}");
        }
        for login in ["p.neuf", "a.neuf", "c.neuf"] {
            assert!(
                p.db().user_by_login(login).await.unwrap().is_none(),
                "{name}"
            );
        }

        let form = format!(
            "_csrf={csrf}&identifiant=b.durand&nom=B%C3%A9atrice+Durand&role=ars&region=11&mot_de_passe={secret}"
        );
        let reply = page(&p, Method::POST, "/plateforme/comptes", &cookie, &form).await;
        assert_eq!(reply.status, StatusCode::OK, "{name} {}", text(&reply));
        let body = text(&reply);
        assert!(body.contains("Compte « b.durand » créé."), "{body}");
        assert!(
            body.contains("Béatrice Durand") && !body.contains(secret),
            "{body}"
        );

        let sign_in = Request::builder()
            .method(Method::POST)
            .uri("/connexion")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "identifiant=b.durand&mot_de_passe={secret}&suite=/plateforme"
            )))
            .unwrap();
        let ok = send(&p.app, sign_in).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{name}");
        let session = ok.headers["set-cookie"].to_str().unwrap();
        let session = session.split(';').next().unwrap().to_owned();
        let home = page(&p, Method::GET, "/plateforme/registre", &session, "").await;
        assert!(text(&home).contains("id=\"projet-5001\""), "{name}");

        for who in ["ars_na", "auditeur", "porteur_a"] {
            let (c, t) = p.session(who).await;
            let reply = page(&p, Method::GET, "/plateforme/comptes", &c, "").await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{name} {who}");
            let form = format!("_csrf={t}&identifiant=x.y&nom=X&role=cnsa&mot_de_passe={secret}");
            let reply = page(&p, Method::POST, "/plateforme/comptes", &c, &form).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{name} {who}");
        }
        assert!(
            p.db().user_by_login("x.y").await.unwrap().is_none(),
            "{name}"
        );

        let user = p.db().user_by_login("b.durand").await.unwrap().unwrap();
        let entries = audited(p.db(), "collecte/compte").await;
        assert!(
            entries.contains(&(
                "create".into(),
                format!("collecte/compte/{}", user.id.0),
                "ok".into()
            )),
            "{name} {entries:?}"
        );
        let refused = entries
            .iter()
            .filter(|(_, r, o)| r == "collecte/compte" && o == "refused");
        assert_eq!(refused.count(), 5, "{name} {entries:?}");
        assert!(
            p.db().verify_audit(|| {}).await.unwrap().is_empty(),
            "{name}"
        );
    }
}

/// Makes every insert into `collect_accounts` fail, as a database would
/// that refuses the second row (constraint, disk, connection).
async fn refuse_platform_rows(db: &Db) {
    let statements: &[&str] = match db.backend() {
        Backend::Sqlite => &[
            "CREATE TRIGGER refuse_accounts BEFORE INSERT ON collect_accounts \
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
        ],
        Backend::Postgres => &[
            "CREATE FUNCTION refuse_accounts() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused'; END $$",
            "CREATE TRIGGER refuse_accounts BEFORE INSERT ON collect_accounts \
             FOR EACH ROW EXECUTE FUNCTION refuse_accounts()",
        ],
    };
    for sql in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
            .execute(db.pool())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn an_account_whose_platform_row_fails_leaves_no_login_behind() {
    for p in platforms().await {
        let name = p.test.name;
        refuse_platform_rows(p.db()).await;
        let created = accounts::create(
            p.db(),
            &ctx(),
            NewAccount {
                login: "sans.role".into(),
                display_name: "Sans rôle".into(),
                reach: Reach::Nation,
                password_hash: None,
            },
        )
        .await;
        assert!(created.is_err(), "{name}");
        assert!(
            p.db().user_by_login("sans.role").await.unwrap().is_none(),
            "{name}: a login without a platform role was left behind"
        );
        let entries = audited(p.db(), "user/").await;
        assert_eq!(
            entries.len(),
            7,
            "{name}: only the world's accounts {entries:?}"
        );
        assert!(
            p.db().verify_audit(|| {}).await.unwrap().is_empty(),
            "{name}"
        );
    }
}
