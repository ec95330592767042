//! The pages and the rights matrix: every route (pages and API) × every role
//! is allowed or refused exactly as the matrix says; sign-in, sessions,
//! throttling and CSRF; a user of one establishment cannot reach, by page, a
//! person who only stays in another.

use crate::support::*;
use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::{Method, Request, StatusCode};
use carnet_core::model::{DataCategory, DocumentType, EventKind, OrganisationId, Role, UserId};
use carnet_core::rights::{Matrix, Mode};
use carnet_store::{Actor, NewUser, User, WriteCtx};
use carnet_web::access::{Need, Surface};

const PASSWORD: &str = "mot de passe de test";

fn ctx() -> WriteCtx {
    WriteCtx {
        actor: Actor::System("test"),
        now: clock(),
    }
}

async fn user(w: &World, login: &str, role: Role, establishments: Vec<i64>) -> User {
    // A cheap hash is enough here; the real one is checked by the sign-in test.
    let hash = carnet_web::password::hash(PASSWORD).expect("hash");
    w.db()
        .create_user(
            &ctx(),
            NewUser {
                organisation_id: OrganisationId(1),
                login: login.into(),
                display_name: login.into(),
                role,
                professional_id: None,
                establishment_ids: establishments
                    .into_iter()
                    .map(carnet_core::model::EstablishmentId)
                    .collect(),
                password_hash: Some(hash),
            },
        )
        .await
        .expect("user")
}

/// A page session opened straight in the store: `(cookie, csrf)`.
async fn session(w: &World, user: &User) -> (String, String) {
    let (token, session) = w.db().open_session(&ctx(), user).await.expect("session");
    (format!("carnet_session={token}"), session.csrf)
}

async fn page(w: &World, method: Method, path: &str, cookie: Option<&str>, form: &str) -> Reply {
    let mut request = Request::builder().method(method.clone()).uri(path);
    if let Some(c) = cookie {
        request = request.header(COOKIE, c);
    }
    if method != Method::GET {
        request = request.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    send(
        &w.app,
        request.body(Body::from(form.to_owned())).expect("request"),
    )
    .await
}

fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.bytes).into_owned()
}

/// The path with its `{id}` replaced by a record of the right kind.
fn concrete(path: &str, r: &Records, other_user: UserId) -> String {
    let id = if path.starts_with("/api/v1/persons") || path.starts_with("/personnes") {
        r.person
    } else if path.starts_with("/api/v1/stays") {
        r.stay
    } else if path.starts_with("/api/v1/events") {
        r.event
    } else if path.starts_with("/api/v1/appointments") {
        r.appointment
    } else if path.starts_with("/api/v1/care-plans") || path.starts_with("/projets") {
        r.care_plan
    } else if path.starts_with("/api/v1/documents") || path.starts_with("/documents") {
        r.document
    } else if path.starts_with("/api/v1/mss-messages") {
        r.message
    } else {
        other_user.0
    };
    path.replace("{id}", &id.to_string())
}

/// What the matrix says for this route and role: the route's need, or, where
/// a single record decides (an event's kind, a document's type), its category.
fn allowed(matrix: &Matrix, role: Role, method: &str, path: &str, need: Need) -> bool {
    let document = DocumentType::ALL[0].category();
    let record_need = match (method, path) {
        ("GET", "/api/v1/events/{id}") => Some((EventKind::Transmission.category(), Mode::Read)),
        (
            "GET",
            "/api/v1/documents/{id}" | "/api/v1/documents/{id}/content" | "/documents/{id}",
        ) => Some((document, Mode::Read)),
        ("POST", "/documents/{id}/opposition") => Some((document, Mode::Write)),
        _ => None,
    };
    need.allows(role, matrix)
        && record_need.is_none_or(|(category, mode)| matrix.allows(role, category, mode))
}

#[tokio::test]
async fn every_route_and_role_is_allowed_or_refused_as_the_matrix_says() {
    for w in worlds().await {
        let r = records(&w, &w.a, "Matrice", 10).await;
        // The organisation's own matrix (the world gives physicians every
        // category; every other role has the defaults).
        let matrix = w.db().rights(OrganisationId(1)).await.expect("matrix");
        let mut checked = 0;
        for &role in Role::ALL {
            let login = format!("role_{}", role.code().to_lowercase());
            let account = user(&w, &login, role, vec![]).await;
            let token = w
                .db()
                .create_token(&ctx(), &account, "test")
                .await
                .expect("token");
            for route in carnet_web::route_infos() {
                let path = concrete(route.path, &r, account.id);
                let method: Method = route.method.parse().expect("method");
                let reply = match route.surface {
                    Surface::Api => {
                        let body = (method != Method::GET).then(|| serde_json::json!({}));
                        call(&w.app, method, &path, Some(&token), body).await
                    }
                    Surface::Pages => {
                        // A fresh session each time: sign-out routes end theirs.
                        let (cookie, csrf) = session(&w, &account).await;
                        // The matrix form gets a value it must refuse, so that
                        // this walk never changes the rights it checks.
                        let form = if route.path == "/administration/habilitations" {
                            format!("_csrf={csrf}&MEDECIN%3AIDENTITE=inconnu")
                        } else {
                            format!("_csrf={csrf}")
                        };
                        page(&w, method, &path, Some(&cookie), &form).await
                    }
                };
                let expected = allowed(&matrix, role, route.method, route.path, route.need);
                let what = format!(
                    "{}: {} {} as {:?} → {} ({})",
                    w.test.name,
                    route.method,
                    path,
                    role,
                    reply.status,
                    text(&reply).chars().take(200).collect::<String>()
                );
                assert_ne!(reply.status, StatusCode::UNAUTHORIZED, "{what}");
                if expected {
                    assert_ne!(
                        reply.status,
                        StatusCode::FORBIDDEN,
                        "should be allowed: {what}"
                    );
                } else {
                    assert_eq!(
                        reply.status,
                        StatusCode::FORBIDDEN,
                        "should be refused: {what}"
                    );
                    assert!(text(&reply).contains("accès refusé"), "{what}");
                }
                checked += 1;
            }
        }
        let routes = carnet_web::route_infos().len();
        assert_eq!(checked, routes * Role::ALL.len());
        assert!(routes >= 60, "{routes} routes only");
    }
}

#[tokio::test]
async fn medical_documents_are_never_opened_to_a_role_outside_health_care() {
    let m = Matrix::defaults();
    for &role in Role::ALL {
        if !role.is_health_professional() {
            assert!(
                !m.allows(role, DataCategory::DocumentsMedicaux, Mode::Read),
                "{role:?}"
            );
            assert!(
                !m.allows(role, DataCategory::Medical, Mode::Read),
                "{role:?}"
            );
        }
    }
}

fn cookie_of(reply: &Reply) -> String {
    let set = reply
        .headers
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("set-cookie")
        .to_owned();
    set.split(';').next().expect("pair").to_owned()
}

async fn sign_in(w: &World, login: &str, password: &str) -> Reply {
    let form = format!(
        "identifiant={login}&mot_de_passe={}",
        password.replace(' ', "+")
    );
    page(w, Method::POST, "/connexion", None, &form).await
}

#[tokio::test]
async fn sign_in_opens_a_strict_http_only_session_and_sign_out_ends_it() {
    for w in worlds().await {
        user(&w, "infirmiere", Role::Infirmier, vec![10]).await;
        let reply = page(&w, Method::GET, "/personnes", None, "").await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(reply.headers[LOCATION], "/connexion?suite=%2Fpersonnes");

        let reply = sign_in(&w, "infirmiere", PASSWORD).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply));
        let set = reply.headers[SET_COOKIE]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(set.contains("HttpOnly"), "{set}");
        assert!(set.contains("SameSite=Strict"), "{set}");
        assert!(!set.contains("Secure"), "plain HTTP in tests: {set}");
        let cookie = cookie_of(&reply);
        let first = cookie.clone();

        let reply = page(&w, Method::GET, "/personnes", Some(&cookie), "").await;
        assert_eq!(reply.status, StatusCode::OK);
        let html = text(&reply);
        assert!(html.contains("<html lang=\"fr\">"));
        assert!(
            reply.headers["content-security-policy"]
                .to_str()
                .expect("ascii")
                .contains("script-src 'self'")
        );

        // A new sign-in gives a new session id (never the old one promoted).
        let again = cookie_of(&sign_in(&w, "infirmiere", PASSWORD).await);
        assert_ne!(again, first);

        // A form without its CSRF token is refused and changes nothing.
        let reply = page(&w, Method::POST, "/deconnexion", Some(&cookie), "").await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        let reply = page(&w, Method::GET, "/personnes", Some(&cookie), "").await;
        assert_eq!(reply.status, StatusCode::OK);

        let csrf = text(&reply)
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("csrf in the page")
            .to_owned();
        let reply = page(
            &w,
            Method::POST,
            "/deconnexion-partout",
            Some(&cookie),
            &format!("_csrf={csrf}"),
        )
        .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        for c in [&cookie, &again] {
            let reply = page(&w, Method::GET, "/personnes", Some(c), "").await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "signed out everywhere");
        }
    }
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_and_disabled_accounts_refused() {
    for w in worlds().await {
        let account = user(&w, "educatrice", Role::Educatif, vec![]).await;
        for _ in 0..5 {
            let reply = sign_in(&w, "educatrice", "mauvais mot de passe").await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
            assert!(text(&reply).contains("Identifiant ou mot de passe incorrect"));
        }
        // Even the right password waits now.
        let reply = sign_in(&w, "educatrice", PASSWORD).await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(text(&reply).contains("Trop de tentatives"));

        let other = user(&w, "cadre", Role::Cadre, vec![]).await;
        assert_eq!(
            sign_in(&w, "cadre", PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        w.db()
            .set_user_disabled(&ctx(), OrganisationId(1), other.id, true)
            .await
            .expect("disable");
        assert_eq!(
            sign_in(&w, "cadre", PASSWORD).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            sign_in(&w, "inconnu", PASSWORD).await.status,
            StatusCode::UNAUTHORIZED
        );
        let _ = account;
    }
}

#[tokio::test]
async fn a_user_of_one_establishment_cannot_reach_by_page_a_person_of_another() {
    for w in worlds().await {
        let only_11 = records(&w, &w.a, "Ailleurs", 11).await;
        let here = records(&w, &w.a, "Ici", 10).await;
        let nurse = user(&w, "ide10", Role::Infirmier, vec![10]).await;
        let (cookie, csrf) = session(&w, &nurse).await;
        let cookie = Some(cookie.as_str());

        let reply = page(
            &w,
            Method::GET,
            &format!("/personnes/{}", here.person),
            cookie,
            "",
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(text(&reply).contains("ICI"));

        for path in [
            format!("/personnes/{}", only_11.person),
            format!("/documents/{}", only_11.document),
        ] {
            let reply = page(&w, Method::GET, &path, cookie, "").await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
            assert!(!text(&reply).contains("AILLEURS"), "{path}");
        }
        let form = format!("_csrf={csrf}&texte=intrusion");
        for path in [
            format!("/personnes/{}/transmissions", only_11.person),
            format!("/personnes/{}/evaluations", only_11.person),
            format!("/projets/{}/statut", only_11.care_plan),
        ] {
            let form = if path.starts_with("/projets") {
                format!("_csrf={csrf}&statut=TERMINE")
            } else {
                form.clone()
            };
            let reply = page(&w, Method::POST, &path, cookie, &form).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        }
        let reply = page(&w, Method::GET, "/personnes?nom=ailleurs", cookie, "").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(!text(&reply).contains("AILLEURS"));
        let reply = page(&w, Method::GET, "/personnes?nom=ici", cookie, "").await;
        assert!(text(&reply).contains("ICI"));

        // Nothing was written for the other establishment's person, and the
        // refusals are in that person's access log.
        let log = w
            .db()
            .audit_for_person(
                OrganisationId(1),
                carnet_core::model::PersonId(only_11.person),
                100,
            )
            .await
            .expect("log");
        assert!(
            log.iter()
                .all(|e| e.actor != format!("user:{}", nurse.id) || e.outcome == "refused")
        );
        assert!(log.iter().any(|e| e.actor == format!("user:{}", nurse.id)));
    }
}

#[tokio::test]
async fn a_transmission_added_from_the_record_is_in_its_timeline_and_its_access_log() {
    for w in worlds().await {
        let r = records(&w, &w.a, "Chrono", 10).await;
        let nurse = user(&w, "ide", Role::Infirmier, vec![10]).await;
        let (cookie, csrf) = session(&w, &nurse).await;
        let path = format!("/personnes/{}/transmissions", r.person);
        let reply = page(
            &w,
            Method::POST,
            &path,
            Some(&cookie),
            &format!("_csrf={csrf}&texte=A+bien+dormi%2C+app%C3%A9tit+correct"),
        )
        .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply));
        let reply = page(
            &w,
            Method::GET,
            &format!("/personnes/{}", r.person),
            Some(&cookie),
            "",
        )
        .await;
        let html = text(&reply);
        let timeline = html.split("id=\"chronologie\"").nth(1).expect("timeline");
        assert!(timeline.contains("A bien dormi, appétit correct"));

        let empty = page(
            &w,
            Method::POST,
            &path,
            Some(&cookie),
            &format!("_csrf={csrf}&texte=+"),
        )
        .await;
        assert_eq!(empty.status, StatusCode::BAD_REQUEST);
        assert!(text(&empty).contains("texte"));

        let director = user(&w, "dir", Role::Direction, vec![]).await;
        let (cookie, _) = session(&w, &director).await;
        let reply = page(
            &w,
            Method::GET,
            &format!("/personnes/{}/acces", r.person),
            Some(&cookie),
            "",
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK);
        let html = text(&reply);
        assert!(html.contains("ide ("), "the nurse is named in the log");
        assert!(html.contains("consultation"));
    }
}
