//! The OpenAPI document lists exactly the router's routes, with their
//! parameters and responses; and the server answers on a real socket.

use crate::support::*;
use axum::http::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn the_document_is_openapi_3_and_lists_every_route_with_its_parameters() {
    let w = world(backends().await.remove(0)).await;
    let reply = call(
        &w.app,
        axum::http::Method::GET,
        "/api/v1/openapi.json",
        None,
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    assert!(
        doc["openapi"].as_str().unwrap_or("").starts_with("3."),
        "{}",
        doc["openapi"]
    );
    // It also reads back as an OpenAPI document.
    let parsed: utoipa::openapi::OpenApi = serde_json::from_value(doc.clone()).expect("OpenAPI");
    assert!(!parsed.paths.paths.is_empty());

    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("item") {
            documented.insert((method.to_uppercase(), path.clone()));
            let parameters: Vec<&str> = operation["parameters"]
                .as_array()
                .map(|p| p.iter().filter_map(|p| p["name"].as_str()).collect())
                .unwrap_or_default();
            if path.contains("{id}") {
                assert!(parameters.contains(&"id"), "{method} {path}");
            }
            if method == "get"
                && !path.contains('{')
                && !path.ends_with("openapi.json")
                && !path.ends_with("establishments")
                && !path.contains("/indicators")
            {
                for name in ["after", "limit", "establishment"] {
                    assert!(parameters.contains(&name), "{path} {name}");
                }
            }
            let responses = operation["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|k| k.starts_with('2')),
                "{method} {path}"
            );
            if !path.ends_with("openapi.json") {
                assert!(responses.contains_key("401"), "{method} {path}");
            }
        }
    }
    let routed: BTreeSet<(String, String)> = carnet_web::routes()
        .into_iter()
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
        .collect();
    assert_eq!(documented, routed);
    assert!(routed.len() == 34, "{}", routed.len());

    // Every schema referenced exists and none is empty.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for (name, schema) in schemas {
        // A schema that failed to parse would be an empty object schema.
        assert!(
            schema["properties"]
                .as_object()
                .is_some_and(|p| !p.is_empty()),
            "{name}"
        );
    }
    let text = doc.to_string();
    for reference in text.split("#/components/schemas/").skip(1) {
        let name: String = reference
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .collect();
        assert!(schemas.contains_key(&name), "{name}");
    }
    assert_eq!(
        schemas["Person"]["properties"]["sex"]["enum"],
        Value::from(vec!["F", "M", "I"])
    );
}

#[tokio::test]
async fn the_server_answers_on_a_real_socket_and_stops_on_shutdown() {
    let w = world(backends().await.remove(0)).await;
    let listener = carnet_web::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = carnet_web::AppState::new(w.db().clone()).with_clock(clock);
    let server = tokio::spawn(carnet_web::serve_on(listener, state, async {
        let _ = stopped.await;
    }));
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET /api/v1/establishments HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        w.a
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("cache-control: no-store")
    );
    assert!(response.contains("\"items\""));
    let _ = stop.send(());
    server.await.expect("join").expect("serve");
}

/// The committed `crates/web/openapi.json` is the document the server serves
/// (STYLE.md: generated artefacts are checked). `CARNET_BLESS=1` rewrites it.
#[test]
fn the_committed_document_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let current =
        serde_json::to_string_pretty(&carnet_web::openapi::document()).expect("json") + "\n";
    if std::env::var("CARNET_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &current).expect("write openapi.json");
        return;
    }
    // Compared as JSON values: key order does not matter.
    let committed: Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    let current: Value = serde_json::from_str(&current).expect("json");
    assert!(
        committed == current,
        "crates/web/openapi.json n'est pas à jour : régénérez-le avec CARNET_BLESS=1 cargo test -p carnet-web"
    );
}
