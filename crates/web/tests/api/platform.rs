//! The collection platform's web side on every backend: route × platform
//! role (allowed, or 403 with a French message), scopes (an ARS agent never
//! sees another region's project, a porteur another porteur's, even by
//! editing the URL; the auditeur cannot upload), uploads through the API
//! and the page, versions, dashboards and exports.

use crate::platform_world::*;
use crate::support::*;
use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Method, Request, StatusCode};
use carnet_collect::accounts::{self, NewAccount, Reach};
use carnet_collect::versions;
use carnet_store::Db;
use carnet_web::access::Surface;
use carnet_web::platform::{self, access::PlatformNeed};

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
pub async fn audited(db: &Db, prefix: &str) -> Vec<(String, String, String)> {
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

#[tokio::test]
async fn an_id_that_is_not_a_number_is_an_unknown_page_in_french() {
    let p = platform(backends().await.remove(0)).await;
    let (cookie, _) = p.session("cnsa").await;
    for path in [
        "/plateforme/versions/abc",
        "/plateforme/versions/99999/fichier",
        "/plateforme/projets/inconnu",
        "/plateforme/tableau-de-bord/regions/99",
    ] {
        let reply = page(&p, Method::GET, path, &cookie, "").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(text(&reply).contains("Page introuvable"), "{path}");
    }
}

#[tokio::test]
async fn files_sent_at_the_same_instant_are_each_stored_or_refused_never_lost_silently() {
    for p in platforms().await {
        let name = p.test.name;
        let (a, b, c, d) = tokio::join!(
            declare(&p, "porteur_a", good_a()),
            declare(&p, "porteur_a", good_a()),
            declare(&p, "porteur_a", good_a()),
            declare(&p, "porteur_a", good_a()),
        );
        let mut stored = 1;
        for reply in [a, b, c, d] {
            match reply.status {
                StatusCode::CREATED => stored += 1,
                StatusCode::CONFLICT => {
                    assert_eq!(reply.json()["code"], "conflict");
                    assert!(reply.message().contains("renvoyez"), "{}", reply.message());
                }
                other => panic!("{name}: {other} {}", reply.message()),
            }
        }
        let all = versions::of_project(p.db(), "4107").await.unwrap();
        assert_eq!(all.len(), stored, "{name}");
        let numbers: Vec<i64> = all.iter().map(|v| v.version).collect();
        assert_eq!(numbers, (1..=stored as i64).collect::<Vec<_>>(), "{name}");
    }
}

#[tokio::test]
async fn the_api_also_takes_the_page_session_with_its_csrf_token() {
    let p = platform(backends().await.remove(0)).await;
    let (cookie, csrf) = p.session("porteur_a").await;
    let call = |csrf: Option<&str>, site: &str| {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/collecte/declarations")
            .header(axum::http::header::COOKIE, cookie.clone())
            .header("sec-fetch-site", site)
            .header(CONTENT_TYPE, "application/octet-stream");
        if let Some(token) = csrf {
            request = request.header("x-csrf-token", token);
        }
        request.body(Body::from(good_a())).unwrap()
    };
    let ok = send(&p.app, call(Some(&csrf), "same-origin")).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.message());
    assert_eq!(ok.json()["version"]["version"], 2);
    for (token, site) in [
        (None, "same-origin"),
        (Some("faux"), "same-origin"),
        (Some(csrf.as_str()), "cross-site"),
    ] {
        let refused = send(&p.app, call(token, site)).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{token:?} {site}");
        assert_eq!(refused.json()["code"], "unauthenticated");
    }
    assert_eq!(versions::of_project(p.db(), "4107").await.unwrap().len(), 2);
}

#[tokio::test]
async fn dashboards_show_the_months_asked_and_refuse_an_unreadable_month_in_french() {
    let p = platform(backends().await.remove(0)).await;
    let (cnsa, _) = p.session("cnsa").await;
    let base = "/plateforme/tableau-de-bord/national";
    let june = text(
        &page(
            &p,
            Method::GET,
            &format!("{base}?du=2024-06&au=2024-06"),
            &cnsa,
            "",
        )
        .await,
    );
    assert!(
        june.contains("juin 2024") && !june.contains("mai 2024"),
        "{june}"
    );
    assert!(
        june.contains("indicateurs.csv?du=2024-06&#38;au=2024-06"),
        "{june}"
    );
    let csv = text(
        &page(
            &p,
            Method::GET,
            &format!("{base}/indicateurs.csv?du=2024-05&au=2024-05"),
            &cnsa,
            "",
        )
        .await,
    );
    assert!(csv.contains("2024-05") && !csv.contains("2024-06"), "{csv}");
    for (query, expected) in [
        ("du=2024-13", "mois « 2024-13 » invalide"),
        ("du=2024-05&au=2024-03", "précède"),
    ] {
        let reply = page(&p, Method::GET, &format!("{base}?{query}"), &cnsa, "").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(text(&reply).contains(expected), "{query}: {}", text(&reply));
    }
}

#[tokio::test]
async fn the_flash_report_of_a_region_is_read_in_scope_only_as_a_page_or_a_pdf() {
    for p in platforms().await {
        let name = p.test.name;
        let path = "/plateforme/flash?region=75&mois=2024-05";
        for who in ["ars_na", "cnsa", "auditeur"] {
            let (cookie, _) = p.session(who).await;
            let reply = page(&p, Method::GET, path, &cookie, "").await;
            assert_eq!(reply.status, StatusCode::OK, "{name} {who}");
            let html = text(&reply);
            assert!(
                html.contains("Nouvelle-Aquitaine") && html.contains("mai 2024"),
                "{name} {who}: {html}"
            );
            let csp = reply.headers["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("style-src 'sha256-"), "{csp}");
            let pdf = page(&p, Method::GET, &format!("{path}&format=pdf"), &cookie, "").await;
            assert_eq!(pdf.status, StatusCode::OK, "{name} {who}");
            assert_eq!(pdf.headers[CONTENT_TYPE], "application/pdf");
            assert!(
                pdf.headers["content-disposition"]
                    .to_str()
                    .unwrap()
                    .starts_with("attachment"),
            );
            assert!(pdf.bytes.starts_with(b"%PDF-"), "{name} {who}");
        }
        // Another region's agent: refused, audited, whatever the format.
        let (idf, _) = p.session("ars_idf").await;
        for query in ["", "&format=pdf"] {
            let reply = page(&p, Method::GET, &format!("{path}{query}"), &idf, "").await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{name} {query}");
            let body = text(&reply);
            assert!(body.contains("accès refusé"), "{body}");
            assert!(!body.contains("<td>85</td>"), "{body}");
        }
        let refused = audited(p.db(), "collecte/flash/75/2024-05").await;
        assert!(
            refused.iter().any(|(_, _, o)| o == "refused"),
            "{name} {refused:?}"
        );
        let own = page(
            &p,
            Method::GET,
            "/plateforme/flash?region=11&mois=2024-05",
            &idf,
            "",
        )
        .await;
        assert_eq!(own.status, StatusCode::OK, "{name}");
        // A porteur: refused by role.
        let (porteur, _) = p.session("porteur_a").await;
        let reply = page(&p, Method::GET, path, &porteur, "").await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{name}");
        assert!(text(&reply).contains("votre rôle"));
        // The regional dashboard links to it.
        let (na, _) = p.session("ars_na").await;
        let dashboard = text(
            &page(
                &p,
                Method::GET,
                "/plateforme/tableau-de-bord/regions/75",
                &na,
                "",
            )
            .await,
        );
        assert!(
            dashboard.contains("/plateforme/flash?region=75&#38;mois=2024-05"),
            "{dashboard}"
        );
    }
}

#[tokio::test]
async fn a_flash_report_with_a_bad_region_month_or_format_is_refused_in_french() {
    let p = platform(backends().await.remove(0)).await;
    let (cnsa, _) = p.session("cnsa").await;
    for (query, expected) in [
        ("region=99&mois=2024-05", "région « 99 » inconnue"),
        ("mois=2024-05", "code INSEE"),
        ("region=75&mois=2024-13", "mois « 2024-13 » invalide"),
        ("region=75", "AAAA-MM"),
        (
            "region=75&mois=2024-05&format=doc",
            "format « doc » inconnu",
        ),
    ] {
        let reply = page(
            &p,
            Method::GET,
            &format!("/plateforme/flash?{query}"),
            &cnsa,
            "",
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(text(&reply).contains(expected), "{query}: {}", text(&reply));
    }
}

#[tokio::test]
async fn the_version_page_lists_the_proofs_of_its_project_and_period_and_serves_them_in_scope() {
    for p in platforms().await {
        let name = p.test.name;
        let (cnsa, _) = p.session("cnsa").await;
        let state = carnet_collect::proofs::get(p.db(), p.proof_a)
            .await
            .unwrap()
            .unwrap();
        let label = state.status().label();
        let path = format!("/plateforme/versions/{}", p.version_a);
        let reply = page(&p, Method::GET, &path, &cnsa, "").await;
        assert_eq!(reply.status, StatusCode::OK, "{name}");
        let html = text(&reply);
        let link = format!("/plateforme/preuves/{}/fichier", p.proof_a);
        assert!(
            html.contains("attestation-mai.pdf") && html.contains(&label) && html.contains(&link),
            "{name} {label}: {html}"
        );
        // Project 5001's version does not list it.
        let other = text(
            &page(
                &p,
                Method::GET,
                &format!("/plateforme/versions/{}", p.version_b),
                &cnsa,
                "",
            )
            .await,
        );
        assert!(
            !other.contains("attestation-mai.pdf") && other.contains("Aucune preuve jointe"),
            "{name}"
        );
        // The file: in scope only, audited.
        let file = page(&p, Method::GET, &link, &cnsa, "").await;
        assert_eq!(file.status, StatusCode::OK, "{name}");
        assert_eq!(file.headers[CONTENT_TYPE], "application/pdf");
        assert_eq!(file.bytes, PROOF_PDF);
        for who in ["ars_idf", "porteur_b"] {
            let (cookie, _) = p.session(who).await;
            let reply = page(&p, Method::GET, &link, &cookie, "").await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{name} {who}");
        }
        let (porteur, _) = p.session("porteur_a").await;
        let own = page(&p, Method::GET, &link, &porteur, "").await;
        assert_eq!(own.status, StatusCode::OK, "{name}");
        let unknown = page(
            &p,
            Method::GET,
            "/plateforme/preuves/abc/fichier",
            &cnsa,
            "",
        )
        .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        let entries = audited(p.db(), &format!("collecte/preuve/{}/fichier", p.proof_a)).await;
        assert_eq!(entries.len(), 2, "{name} {entries:?}");
    }
}

#[tokio::test]
async fn an_ars_or_cnsa_agent_reviews_a_proof_to_check_by_hand_and_the_others_cannot() {
    for p in platforms().await {
        let name = p.test.name;
        let path = format!("/plateforme/preuves/{}/verification", p.proof_a);
        let version = format!("/plateforme/versions/{}", p.version_a);
        // The form is offered to the agents only.
        for (who, offered) in [
            ("ars_na", true),
            ("cnsa", true),
            ("auditeur", false),
            ("porteur_a", false),
        ] {
            let (cookie, _) = p.session(who).await;
            let html = text(&page(&p, Method::GET, &version, &cookie, "").await);
            assert_eq!(html.contains(&path), offered, "{name} {who}");
        }
        // Auditeur and porteur: refused by role; another region: 404.
        for who in ["auditeur", "porteur_a"] {
            let (cookie, csrf) = p.session(who).await;
            let form = format!("_csrf={csrf}&decision=conforme&commentaire=vu");
            let reply = page(&p, Method::POST, &path, &cookie, &form).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{name} {who}");
        }
        let (idf, csrf) = p.session("ars_idf").await;
        let form = format!("_csrf={csrf}&decision=conforme&commentaire=vu");
        let reply = page(&p, Method::POST, &path, &idf, &form).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{name}");
        // Bad input: French 400; forged form: 403.
        let (na, csrf) = p.session("ars_na").await;
        for (form, expected) in [
            (
                format!("_csrf={csrf}&decision=peut-etre&commentaire=vu"),
                "conforme",
            ),
            (
                format!("_csrf={csrf}&decision=conforme&commentaire="),
                "commentaire",
            ),
        ] {
            let reply = page(&p, Method::POST, &path, &na, &form).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name} {form}");
            assert!(
                text(&reply).to_lowercase().contains(expected),
                "{name}: {}",
                text(&reply)
            );
        }
        let forged = page(
            &p,
            Method::POST,
            &path,
            &na,
            "_csrf=faux&decision=conforme&commentaire=vu",
        )
        .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{name}");
        // The ARS agent of the region records it.
        let form = format!(
            "_csrf={csrf}&decision=non-conforme&commentaire=Chiffres+illisibles&version={}",
            p.version_a
        );
        let reply = page(&p, Method::POST, &path, &na, &form).await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{name}: {}",
            text(&reply)
        );
        let state = carnet_collect::proofs::get(p.db(), p.proof_a)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            state.status().label(),
            "vérifiée manuellement : non conforme"
        );
        let last = state.reviews.last().unwrap();
        assert_eq!(last.reviewer, "Compte ars_na", "{name}");
        let (cnsa, _) = p.session("cnsa").await;
        let html = text(&page(&p, Method::GET, &version, &cnsa, "").await);
        assert!(
            html.contains("vérifiée manuellement : non conforme"),
            "{name}"
        );
        assert!(!html.contains(&path), "{name}: no form once reviewed");
        let entries = audited(
            p.db(),
            &format!("collecte/preuve/{}/verification", p.proof_a),
        )
        .await;
        assert_eq!(entries.len(), 1, "{name} {entries:?}");
    }
}
