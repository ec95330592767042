//! What a client gets when something is wrong: 401 without a token, 400 for a
//! body or query that cannot be read, 422 for a record that breaks its rules,
//! always JSON with a stable code and a French message naming the field; and
//! the security headers on every response.

use crate::support::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

#[tokio::test]
async fn every_route_but_the_document_refuses_a_missing_or_unknown_token() {
    for w in worlds().await {
        for (method, path) in carnet_web::routes() {
            let path = path.replace("{id}", "1");
            let method: Method = method.parse().expect("method");
            for token in [None, Some("carnet_0000"), Some("autre")] {
                let reply = call(&w.app, method.clone(), &path, token, Some(json!({}))).await;
                if path.ends_with("openapi.json") {
                    assert_eq!(reply.status, StatusCode::OK);
                    continue;
                }
                assert_eq!(
                    reply.status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} {token:?}"
                );
                assert_eq!(reply.json()["code"], "unauthenticated");
                assert!(reply.message().contains("authentification"));
            }
        }
    }
}

#[tokio::test]
async fn unreadable_bodies_and_queries_get_400_naming_the_field_in_french() {
    for w in worlds().await {
        let app = &w.app;
        let (person, _) = admit(&w, &w.a, "Lefèvre", 10).await;
        let cases = [
            (
                json!({"birth_family_name": "X"}),
                "birth_given_names",
                "absent",
            ),
            (
                {
                    let mut b = person_body("X", Some(10));
                    b["birth_date"] = json!("2024-13-45");
                    b
                },
                "birth_date",
                "valeur refusée",
            ),
            (
                {
                    let mut b = person_body("X", Some(10));
                    b["sex"] = json!("Z");
                    b
                },
                "sex",
                "code « Z » inconnu",
            ),
            (
                {
                    let mut b = person_body("X", Some(10));
                    b["admission"]["mode"] = json!(3);
                    b
                },
                "admission.mode",
                "type de valeur invalide",
            ),
            (
                {
                    let mut b = person_body("X", Some(10));
                    b["surnom"] = json!("Lulu");
                    b
                },
                "surnom",
                "champ inconnu",
            ),
        ];
        for (body, field, words) in cases {
            let reply = post(app, "/api/v1/persons", &w.a, body).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{field}: {}",
                reply.message()
            );
            let message = reply.message();
            assert!(message.contains(&format!("« {field} »")), "{message}");
            assert!(message.contains(words), "{message}");
            assert_eq!(reply.json()["details"][0]["field"], field);
        }
        let mut event = event_body(person, 10, "x");
        event["at"] = json!(12);
        let reply = post(app, "/api/v1/events", &w.a, event).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert!(reply.message().contains("« at »"), "{}", reply.message());

        // Not JSON at all, or not an object.
        let request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/events")
            .header("authorization", format!("Bearer {}", w.a))
            .header("content-type", "application/json")
            .body(Body::from("{\"person_id\": 1,"))
            .expect("request");
        let reply = send(app, request).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.json()["code"], "invalid_json");
        assert!(
            reply.message().contains("corps JSON illisible"),
            "{}",
            reply.message()
        );
        let reply = post(app, "/api/v1/events", &w.a, json!([1, 2])).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/events")
            .header("authorization", format!("Bearer {}", w.a))
            .header("content-type", "text/plain")
            .body(Body::from("bonjour"))
            .expect("request");
        assert_eq!(
            send(app, request).await.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );

        for (query, field) in [
            ("/api/v1/persons?limit=abc", "limit"),
            ("/api/v1/persons?limit=0", "limit"),
            ("/api/v1/persons?limit=501", "limit"),
            ("/api/v1/events?after=-1", "after"),
            ("/api/v1/events?person=x", "person"),
            ("/api/v1/persons?birth_date=02/03/1940", "birth_date"),
            ("/api/v1/stays?establishement=10", "establishement"),
            ("/api/v1/establishments?limit=1", "limit"),
            ("/api/v1/events/abc", "id"),
        ] {
            let reply = get(app, query, &w.a).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
            assert!(
                reply.message().contains(&format!("« {field} »")),
                "{query}: {}",
                reply.message()
            );
        }
    }
}

#[tokio::test]
async fn records_breaking_their_rules_get_422_with_each_field() {
    for w in worlds().await {
        let app = &w.app;
        let (person, stay) = admit(&w, &w.a, "Lefèvre", 10).await;
        let mut body = person_body(" ", Some(10));
        body["birth_given_names"] = json!([]);
        let reply = post(app, "/api/v1/persons", &w.a, body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.message()
        );
        let json = reply.json();
        assert_eq!(json["code"], "invalid");
        let fields: Vec<&str> = json["details"]
            .as_array()
            .map(|d| d.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(fields.contains(&"birth_family_name"), "{fields:?}");
        assert!(fields.contains(&"birth_given_names"), "{fields:?}");
        assert!(reply.message().starts_with("données invalides"));

        let mut stay_body = get(app, &format!("/api/v1/stays/{stay}"), &w.a)
            .await
            .json();
        stay_body["end"] = json!("2023-01-01");
        stay_body["end_kind"] = json!("SORTIE_DEFINITIVE");
        let reply = put(app, &format!("/api/v1/stays/{stay}"), &w.a, stay_body).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.json()["details"][0]["field"], "end");
        assert!(reply.message().contains("précède"), "{}", reply.message());

        let mut appointment = appointment_body(person, 10);
        appointment["status"] = json!("ANNULE");
        let reply = post(app, "/api/v1/appointments", &w.a, appointment).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.json()["details"][0]["field"], "reason");

        let mut metadata = document_metadata(person, 10);
        metadata["media_type"] = json!("pas un type");
        let reply = upload(app, &w.a, metadata, b"x", "text/plain").await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.json()["details"][0]["field"], "media_type");

        // A second care plan in force on the same stay is a conflict.
        let reply = post(
            app,
            "/api/v1/care-plans",
            &w.a,
            care_plan_body(person, 10, stay),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.message());
        let reply = post(
            app,
            "/api/v1/care-plans",
            &w.a,
            care_plan_body(person, 10, stay),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CONFLICT);
        assert_eq!(reply.json()["code"], "conflict");
        verify(&w).await;
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_unknown_routes_are_json() {
    for w in worlds().await {
        let (person, _) = admit(&w, &w.a, "Lefèvre", 10).await;
        for (path, token) in [
            (format!("/api/v1/persons/{person}"), Some(w.a.as_str())),
            ("/api/v1/persons".to_owned(), None),
            ("/api/v1/openapi.json".to_owned(), None),
            ("/api/v1/nope".to_owned(), Some(w.a.as_str())),
            ("/".to_owned(), None),
        ] {
            let reply = call(&w.app, Method::GET, &path, token, None).await;
            let h = &reply.headers;
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["referrer-policy"], "no-referrer");
            assert_eq!(h["cache-control"], "no-store");
            assert!(
                h["content-security-policy"]
                    .to_str()
                    .unwrap_or("")
                    .contains("frame-ancestors 'none'")
            );
            assert!(h.contains_key("x-request-id"));
        }
        let reply = get(&w.app, "/api/v1/nope", &w.a).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(reply.json()["code"], "no_route");
        let reply = call(
            &w.app,
            Method::DELETE,
            &format!("/api/v1/persons/{person}"),
            Some(&w.a),
            None,
        )
        .await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(reply.json()["code"], "method_not_allowed");

        // Bodies over the limit are refused before being read.
        let big = "x".repeat(carnet_web::JSON_LIMIT + 10);
        let reply = post(&w.app, "/api/v1/events", &w.a, json!({"text": big})).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(reply.json()["code"], "payload_too_large");
    }
}

#[tokio::test]
async fn a_database_failure_is_a_500_with_a_request_id_and_no_database_text() {
    for w in worlds().await {
        w.db().close().await;
        let reply = get(&w.app, "/api/v1/persons", &w.a).await;
        assert_eq!(
            reply.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{}",
            w.test.name
        );
        let json = reply.json();
        assert_eq!(json["code"], "internal");
        let request_id = json["request_id"].as_str().unwrap_or("");
        assert!(!request_id.is_empty());
        assert_eq!(reply.headers["x-request-id"], request_id);
        let text = String::from_utf8_lossy(&reply.bytes).to_lowercase();
        for word in ["pool", "sql", "closed", "select"] {
            assert!(!text.contains(word), "{text}");
        }
        assert!(reply.message().contains("erreur interne"));
    }
}
