//! Happy paths: each resource created, read, updated and listed; pagination;
//! filters; reads recorded in the audit log.

use crate::support::*;
use axum::http::StatusCode;
use carnet_core::model::{OrganisationId, PersonId};
use serde_json::json;

#[tokio::test]
async fn persons_are_created_with_their_admission_read_updated_and_searched() {
    for w in worlds().await {
        let app = &w.app;
        let mut body = person_body("Lefèvre", Some(10));
        // The client's organisation and id are ignored.
        body["organisation_id"] = json!(2);
        body["id"] = json!(999);
        let reply = post(app, "/api/v1/persons", &w.a, body).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{}: {}",
            w.test.name,
            reply.message()
        );
        let created = reply.json();
        let id = created["person"]["id"].as_i64().expect("id");
        assert_ne!(id, 999);
        assert_eq!(created["person"]["organisation_id"], 1);
        assert_eq!(created["admission"]["establishment_id"], 10);
        assert_eq!(created["admission"]["person_id"], id);

        let reply = get(app, &format!("/api/v1/persons/{id}"), &w.a).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json()["birth_family_name"], "Lefèvre");

        let mut changed = reply.json();
        changed["used_family_name"] = json!("Durand");
        let reply = put(app, &format!("/api/v1/persons/{id}"), &w.a, changed).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.message());
        assert_eq!(reply.json()["used_family_name"], "Durand");

        admit(&w, &w.a, "Martin", 11).await;
        let reply = get(app, "/api/v1/persons?q=lefevre", &w.a).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.message());
        let items = reply.json()["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["id"], id);
        let reply = get(app, "/api/v1/persons?establishment=11", &w.a).await;
        let items = reply.json()["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["birth_family_name"], "Martin");
        let reply = get(app, "/api/v1/persons?birth_date=1940-03-02", &w.a).await;
        assert_eq!(reply.json()["items"].as_array().map(Vec::len), Some(2));

        // Each read is in the person's audit trail.
        let trail = w
            .db()
            .audit_for_person(OrganisationId(1), PersonId(id), 50)
            .await
            .expect("audit");
        assert!(
            trail
                .iter()
                .any(|e| e.action == "read" && e.resource == format!("person/{id}"))
        );
        assert!(
            trail
                .iter()
                .any(|e| e.action == "update" && e.actor.starts_with("user:"))
        );
        verify(&w).await;
    }
}

#[tokio::test]
async fn every_record_kind_is_created_read_updated_and_listed() {
    for w in worlds().await {
        let app = &w.app;
        let r = records(&w, &w.a, "Lefèvre", 10).await;
        for (path, id) in [
            ("stays", r.stay),
            ("events", r.event),
            ("appointments", r.appointment),
            ("care-plans", r.care_plan),
            ("documents", r.document),
            ("mss-messages", r.message),
        ] {
            let reply = get(app, &format!("/api/v1/{path}/{id}"), &w.a).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{} {path}: {}",
                w.test.name,
                reply.message()
            );
            assert_eq!(reply.json()["id"], id);
            let reply = get(app, &format!("/api/v1/{path}?person={}", r.person), &w.a).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.message());
            let items = reply.json()["items"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(items.iter().any(|i| i["id"] == id), "{path} listed");
        }

        // Updates.
        let mut stay = get(app, &format!("/api/v1/stays/{}", r.stay), &w.a)
            .await
            .json();
        stay["end"] = json!("2024-05-31");
        stay["end_kind"] = json!("SORTIE_DEFINITIVE");
        let reply = put(app, &format!("/api/v1/stays/{}", r.stay), &w.a, stay).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.message());
        assert_eq!(reply.json()["end"], "2024-05-31");

        let mut event = get(app, &format!("/api/v1/events/{}", r.event), &w.a)
            .await
            .json();
        event["text"] = json!("Nuit calme");
        let reply = put(app, &format!("/api/v1/events/{}", r.event), &w.a, event).await;
        assert_eq!(reply.json()["text"], "Nuit calme");

        let mut appointment = get(
            app,
            &format!("/api/v1/appointments/{}", r.appointment),
            &w.a,
        )
        .await
        .json();
        appointment["status"] = json!("ANNULE");
        appointment["reason"] = json!("absence");
        let reply = put(
            app,
            &format!("/api/v1/appointments/{}", r.appointment),
            &w.a,
            appointment,
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.message());

        let mut message = get(app, &format!("/api/v1/mss-messages/{}", r.message), &w.a)
            .await
            .json();
        message["document_ids"] = json!([r.document]);
        let reply = put(
            app,
            &format!("/api/v1/mss-messages/{}", r.message),
            &w.a,
            message,
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.message());

        // Care plan: fields, then a status change appended to the history.
        let mut plan = get(app, &format!("/api/v1/care-plans/{}", r.care_plan), &w.a)
            .await
            .json();
        plan["title"] = json!("Projet révisé");
        plan["history"] = json!([]);
        let reply = put(
            app,
            &format!("/api/v1/care-plans/{}", r.care_plan),
            &w.a,
            plan,
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.message());
        assert_eq!(reply.json()["title"], "Projet révisé");
        assert_eq!(reply.json()["history"].as_array().map(Vec::len), Some(1));
        let reply = post(
            app,
            &format!("/api/v1/care-plans/{}/status", r.care_plan),
            &w.a,
            json!({"status": "ENCOURS", "at": "2024-03-01T09:00:00Z"}),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.message());
        assert_eq!(reply.json()["history"][1]["status"], "ENCOURS");
        let reply = post(
            app,
            &format!("/api/v1/care-plans/{}/status", r.care_plan),
            &w.a,
            json!({"status": "ENPAUSE", "at": "2024-01-01T09:00:00Z"}),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "history goes forward"
        );
        verify(&w).await;
    }
}

#[tokio::test]
async fn documents_are_uploaded_downloaded_with_their_type_and_keep_their_content() {
    for w in worlds().await {
        let app = &w.app;
        let (person, _) = admit(&w, &w.a, "Lefèvre", 10).await;
        let content = b"%PDF-1.7\n\x00\x01binary";
        let mut metadata = document_metadata(person, 10);
        metadata["sha256"] = json!("f".repeat(64));
        metadata["size"] = json!(1);
        let reply = upload(app, &w.a, metadata, content, "application/pdf").await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{}: {}",
            w.test.name,
            reply.message()
        );
        let document = reply.json();
        let id = document["id"].as_i64().expect("id");
        assert_eq!(document["size"], content.len());
        assert_eq!(document["media_type"], "application/pdf");
        assert_eq!(document["added_at"], NOW);
        assert_ne!(document["sha256"], "f".repeat(64));

        let reply = get(app, &format!("/api/v1/documents/{id}/content"), &w.a).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.bytes, content);
        assert_eq!(reply.headers["content-type"], "application/pdf");
        assert!(
            reply.headers["content-disposition"]
                .to_str()
                .unwrap_or("")
                .starts_with("attachment")
        );

        // Metadata update cannot repoint the content.
        let mut changed = document.clone();
        changed["title"] = json!("Compte rendu corrigé");
        changed["sha256"] = json!("0".repeat(64));
        changed["size"] = json!(3);
        let reply = put(app, &format!("/api/v1/documents/{id}"), &w.a, changed).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.message());
        assert_eq!(reply.json()["sha256"], document["sha256"]);
        assert_eq!(reply.json()["title"], "Compte rendu corrigé");
        let reply = get(app, &format!("/api/v1/documents/{id}/content"), &w.a).await;
        assert_eq!(reply.bytes, content);

        let trail = w
            .db()
            .audit_for_person(OrganisationId(1), PersonId(person), 50)
            .await
            .expect("audit");
        assert!(trail.iter().any(|e| e.action == "download"));
        verify(&w).await;
    }
}

#[tokio::test]
async fn lists_are_paginated_and_filtered_by_establishment() {
    for w in worlds().await {
        let app = &w.app;
        let mut in_10 = Vec::new();
        for n in 0..5 {
            in_10.push(admit(&w, &w.a, &format!("Dix{n}"), 10).await.0);
        }
        let (in_11, _) = admit(&w, &w.a, "Onze", 11).await;
        for p in &in_10 {
            post(app, "/api/v1/events", &w.a, event_body(*p, 10, "note")).await;
        }
        post(app, "/api/v1/events", &w.a, event_body(in_11, 11, "note")).await;

        let mut seen = Vec::new();
        let mut path = "/api/v1/persons?limit=2".to_owned();
        loop {
            let reply = get(app, &path, &w.a).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.message());
            let json = reply.json();
            let items = json["items"].as_array().cloned().unwrap_or_default();
            assert!(items.len() <= 2);
            seen.extend(items.iter().filter_map(|i| i["id"].as_i64()));
            match json["next_after"].as_i64() {
                Some(after) => path = format!("/api/v1/persons?limit=2&after={after}"),
                None => break,
            }
        }
        let mut all = in_10.clone();
        all.push(in_11);
        assert_eq!(seen, all, "{}: every person once, in id order", w.test.name);

        let reply = get(app, "/api/v1/events?establishment=11", &w.a).await;
        let items = reply.json()["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["person_id"], in_11);
        let reply = get(app, "/api/v1/stays?establishment=10&limit=3", &w.a).await;
        let json = reply.json();
        assert_eq!(json["items"].as_array().map(Vec::len), Some(3));
        assert!(json["next_after"].is_i64());

        let reply = get(app, "/api/v1/establishments", &w.a10).await;
        let items = reply.json()["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["id"], 10);
        let reply = get(app, "/api/v1/establishments", &w.a).await;
        assert_eq!(reply.json()["items"].as_array().map(Vec::len), Some(2));
    }
}
