//! Scoping, for every route: a token of organisation 2 never reads, lists or
//! changes organisation 1's records, nor creates into its persons or
//! establishments; a user restricted to establishment 10 never sees a person
//! who only stays in 11, even by editing ids. Out-of-scope ids answer 404, and
//! a refusal inside the caller's organisation is audited.

use crate::support::*;
use axum::http::{Method, StatusCode};
use carnet_core::model::{OrganisationId, PersonId};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The route template of a concrete path: ids become `{id}`, no query.
fn template(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .map(|part| {
            if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `(method, path, body)` of every route that names a record, for one set of
/// records. Bodies are valid for that record, so only scoping can refuse them.
async fn by_id(w: &World, token: &str, r: &Records) -> Vec<(Method, String, Option<Value>)> {
    let read = |path: &str, id: i64| (Method::GET, format!("/api/v1/{path}/{id}"), None);
    let mut routes = vec![
        read("persons", r.person),
        read("stays", r.stay),
        read("events", r.event),
        read("appointments", r.appointment),
        read("care-plans", r.care_plan),
        read("documents", r.document),
        read("mss-messages", r.message),
        (
            Method::GET,
            format!("/api/v1/documents/{}/content", r.document),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/care-plans/{}/status", r.care_plan),
            Some(json!({"status": "ENCOURS", "at": "2024-03-01T09:00:00Z"})),
        ),
    ];
    // Updates carry the record as its owner reads it.
    for (path, id) in [
        ("persons", r.person),
        ("stays", r.stay),
        ("events", r.event),
        ("appointments", r.appointment),
        ("care-plans", r.care_plan),
        ("documents", r.document),
        ("mss-messages", r.message),
    ] {
        let body = get(&w.app, &format!("/api/v1/{path}/{id}"), token)
            .await
            .json();
        routes.push((Method::PUT, format!("/api/v1/{path}/{id}"), Some(body)));
    }
    routes
}

/// Every list, unfiltered and filtered by the person, with the id of the
/// record of that kind which must not appear.
fn lists(r: &Records) -> Vec<(String, i64)> {
    let mut lists = vec![("/api/v1/persons".to_owned(), r.person)];
    for (path, id) in [
        ("stays", r.stay),
        ("events", r.event),
        ("appointments", r.appointment),
        ("care-plans", r.care_plan),
        ("documents", r.document),
        ("mss-messages", r.message),
    ] {
        lists.push((format!("/api/v1/{path}"), id));
        lists.push((format!("/api/v1/{path}?person={}", r.person), id));
    }
    lists
}

fn ids(reply: &Reply) -> Vec<i64> {
    reply.json()["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["id"].as_i64()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn another_organisation_gets_404_on_every_route_and_changes_nothing() {
    for w in worlds().await {
        let a = records(&w, &w.a, "Lefèvre", 10).await;
        let mine = records(&w, &w.b, "Rossi", 20).await;
        let routes = by_id(&w, &w.a, &a).await;
        assert_eq!(routes.len(), 16);
        let mut covered = BTreeSet::new();
        for (method, path, body) in routes {
            covered.insert((method.to_string(), template(&path)));
            let reply = call(&w.app, method.clone(), &path, Some(&w.b), body.clone()).await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{} {method} {path}",
                w.test.name
            );
            assert_eq!(reply.json()["code"], "not_found");
            // The owner still reads the record unchanged.
            if method == Method::PUT {
                let now = get(&w.app, &path, &w.a).await.json();
                assert_eq!(Some(now), body, "{path} unchanged");
            }
        }
        let plan = get(&w.app, &format!("/api/v1/care-plans/{}", a.care_plan), &w.a)
            .await
            .json();
        assert_eq!(plan["history"].as_array().map(Vec::len), Some(1));

        for (path, hidden) in lists(&a) {
            covered.insert(("GET".to_owned(), template(&path)));
            let reply = get(&w.app, &path, &w.b).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}");
            let seen = ids(&reply);
            assert!(!seen.contains(&hidden), "{} {path}: {seen:?}", w.test.name);
            if path.contains("person=") {
                assert!(seen.is_empty(), "{path}: {seen:?}");
            }
        }
        let reply = get(&w.app, "/api/v1/persons", &w.b).await;
        assert_eq!(ids(&reply), vec![mine.person]);
        // Indicators of organisation 1's establishment (more in indicators.rs).
        for path in ["/api/v1/indicators", "/api/v1/indicators/explain"] {
            covered.insert(("GET".to_owned(), path.to_owned()));
            let query = format!("{path}?from=2024-06-01&to=2024-06-30&finess=330780495");
            let reply = get(&w.app, &query, &w.b).await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{} {query}",
                w.test.name
            );
        }
        covered.insert(("GET".to_owned(), "/api/v1/establishments".to_owned()));
        let reply = get(&w.app, "/api/v1/establishments", &w.b).await;
        let establishments: Vec<i64> = ids(&reply);
        assert_eq!(establishments, vec![20]);

        // Creating into organisation 1's persons or establishments is refused.
        let creations = [
            ("/api/v1/persons", person_body("Intrus", Some(10))),
            (
                "/api/v1/stays",
                json!({"person_id": a.person, "establishment_id": 20, "start": "2024-01-01", "mode": "EXTERNAT"}),
            ),
            (
                "/api/v1/stays",
                json!({"person_id": mine.person, "establishment_id": 10, "start": "2024-01-01", "mode": "EXTERNAT"}),
            ),
            ("/api/v1/events", event_body(a.person, 10, "intrusion")),
            ("/api/v1/events", event_body(a.person, 20, "intrusion")),
            ("/api/v1/appointments", appointment_body(a.person, 10)),
            ("/api/v1/care-plans", care_plan_body(a.person, 10, a.stay)),
            ("/api/v1/mss-messages", message_body(a.person, 10)),
        ];
        covered.insert(("POST".to_owned(), "/api/v1/documents".to_owned()));
        for (path, body) in creations {
            covered.insert(("POST".to_owned(), path.to_owned()));
            let reply = post(&w.app, path, &w.b, body).await;
            assert!(
                reply.status == StatusCode::CONFLICT || reply.status == StatusCode::NOT_FOUND,
                "{} {path}: {} {}",
                w.test.name,
                reply.status,
                reply.message()
            );
        }
        let reply = upload(
            &w.app,
            &w.b,
            document_metadata(a.person, 10),
            b"x",
            "text/plain",
        )
        .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.message());
        // Organisation 1 still has exactly its own records.
        let reply = get(&w.app, &format!("/api/v1/events?person={}", a.person), &w.a).await;
        assert_eq!(ids(&reply), vec![a.event]);
        let reply = get(&w.app, "/api/v1/persons", &w.a).await;
        assert_eq!(ids(&reply), vec![a.person]);
        // Every route but the public OpenAPI document was tried above.
        let all: BTreeSet<(String, String)> = carnet_web::routes()
            .into_iter()
            .filter(|(_, p)| !p.ends_with("openapi.json"))
            .map(|(m, p)| (m.to_owned(), p.to_owned()))
            .collect();
        assert_eq!(covered, all);
        verify(&w).await;
    }
}

#[tokio::test]
async fn a_user_of_one_establishment_never_sees_a_person_staying_only_in_another() {
    for w in worlds().await {
        let other = records(&w, &w.a, "Martin", 11).await;
        let own = records(&w, &w.a, "Lefèvre", 10).await;
        for (method, path, body) in by_id(&w, &w.a, &other).await {
            let reply = call(&w.app, method.clone(), &path, Some(&w.a10), body).await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{} {method} {path}",
                w.test.name
            );
        }
        for (method, path, body) in by_id(&w, &w.a, &own).await {
            let reply = call(&w.app, method.clone(), &path, Some(&w.a10), body).await;
            assert!(
                reply.status.is_success(),
                "{method} {path}: {}",
                reply.message()
            );
        }
        for (path, hidden) in lists(&other) {
            let reply = get(&w.app, &path, &w.a10).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}");
            let seen = ids(&reply);
            assert!(!seen.contains(&hidden), "{} {path}: {seen:?}", w.test.name);
            if path.contains("person=") {
                assert!(seen.is_empty(), "{path}: {seen:?}");
            }
        }
        let reply = get(&w.app, "/api/v1/persons", &w.a10).await;
        assert_eq!(ids(&reply), vec![own.person]);
        let reply = get(&w.app, "/api/v1/persons?establishment=11", &w.a10).await;
        assert!(ids(&reply).is_empty());
        let reply = get(&w.app, "/api/v1/events?establishment=11", &w.a10).await;
        assert!(ids(&reply).is_empty());

        // Attaching to the other person from establishment 10 is refused.
        let reply = post(
            &w.app,
            "/api/v1/events",
            &w.a10,
            event_body(other.person, 10, "x"),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.message());
        let reply = post(
            &w.app,
            "/api/v1/events",
            &w.a10,
            event_body(other.person, 11, "x"),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.message());
        // A person without admission would be invisible to this user.
        let reply = post(
            &w.app,
            "/api/v1/persons",
            &w.a10,
            person_body("Sans séjour", None),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.message());

        // The refusals are in the other person's audit trail.
        let trail = w
            .db()
            .audit_for_person(OrganisationId(1), PersonId(other.person), 200)
            .await
            .expect("audit");
        let refused: Vec<&str> = trail
            .iter()
            .filter(|e| e.outcome == "refused")
            .map(|e| e.resource.as_str())
            .collect();
        for resource in [
            format!("person/{}", other.person),
            format!("event/{}", other.event),
            format!("document/{}", other.document),
        ] {
            assert!(
                refused.contains(&resource.as_str()),
                "{resource} in {refused:?}"
            );
        }
        verify(&w).await;
    }
}
