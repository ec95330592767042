//! `GET /api/v1/indicators` and `…/explain`: the engine's figures, under the
//! organisation's active rule set, for the caller's establishments only; bad
//! parameters answer 400 naming the parameter; explaining is audited.

use crate::support::*;
use axum::http::StatusCode;
use carnet_core::indicators::{Period, RuleSet, compute, explain};
use carnet_core::model::OrganisationId;
use carnet_store::{Actor, Scope, WriteCtx};
use jiff::civil::date;
use serde_json::Value;

const JUNE: &str = "from=2024-06-01&to=2024-06-30";
const E10: &str = "330780495";
const E11: &str = "770002319";
const E20: &str = "2A0000154";

fn june() -> Period {
    Period::new(date(2024, 6, 1), date(2024, 6, 30)).expect("period")
}

fn system() -> WriteCtx {
    WriteCtx {
        actor: Actor::System("test"),
        now: clock(),
    }
}

fn finess_of(report: &Value) -> Vec<String> {
    report["establishments"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|e| e["finess"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn audited(w: &World, pattern: &str) -> Vec<(String, String)> {
    let rows = sqlx::query(
        "SELECT resource, outcome FROM audit_entries WHERE organisation_id = 1 \
         AND resource LIKE $1 ORDER BY seq",
    )
    .bind(pattern.to_owned())
    .fetch_all(w.db().pool())
    .await
    .expect("audit");
    rows.iter()
        .map(|r| (sqlx::Row::get(r, "resource"), sqlx::Row::get(r, "outcome")))
        .collect()
}

#[tokio::test]
async fn figures_and_explanations_are_the_engines_on_the_raw_rows() {
    for w in worlds().await {
        let a = records(&w, &w.a, "Lefèvre", 10).await;
        records(&w, &w.a, "Martin", 11).await;
        records(&w, &w.b, "Rossi", 20).await;
        // The organisation's own rules, not the default, are applied.
        let mut rules = RuleSet::esms_numerique_2024();
        rules.id = "organisme-1.2".to_owned();
        rules.targets.active = 40;
        w.db()
            .save_rule_set(&system(), OrganisationId(1), &rules)
            .await
            .expect("rules");
        let mine = w
            .db()
            .establishments(&Scope::whole(OrganisationId(1)))
            .await
            .expect("establishments");
        let raw = w.db().activity_from_raw(&mine).await.expect("raw");
        let engine = compute(&rules, june(), &raw).expect("compute");

        let reply = get(&w.app, &format!("/api/v1/indicators?{JUNE}"), &w.a).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.message());
        let report = reply.json();
        assert_eq!(
            report,
            serde_json::to_value(&engine).expect("json"),
            "{}",
            w.test.name
        );
        assert_eq!(report["rule_set_id"], "organisme-1.2");
        assert_eq!(report["establishments"][0]["figures"]["active_records"], 1);
        assert_eq!(
            report["establishments"][0]["rates"]["active"]["target_percent"],
            40
        );

        // Chosen establishments, in the order given, each once.
        let path = format!("/api/v1/indicators?{JUNE}&finess={E11}&finess={E10}&finess={E11}");
        let report = get(&w.app, &path, &w.a).await.json();
        assert_eq!(finess_of(&report), [E11, E10], "{}", w.test.name);
        assert_eq!(
            report["establishments"][1],
            serde_json::to_value(&engine.establishments[0]).expect("json")
        );

        // A preset of the rule set, counted back from the request's day (2024-06-15).
        let report = get(&w.app, "/api/v1/indicators?preset=3mois", &w.a)
            .await
            .json();
        assert_eq!(report["period"]["from"], "2024-03-01", "{report}");
        assert_eq!(report["period"]["to"], "2024-05-31");

        // The explanation lists the records and adds up to the figures.
        let path = format!("/api/v1/indicators/explain?{JUNE}&finess={E10}");
        let reply = get(&w.app, &path, &w.a).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.message());
        let explained = reply.json();
        let expected = explain(&rules, june(), &raw[0]).expect("explain");
        assert_eq!(
            explained,
            serde_json::to_value([&expected]).expect("json"),
            "{}",
            w.test.name
        );
        assert_eq!(
            explained[0]["explanation"]["records"][0]["person_id"],
            a.person
        );
        assert_eq!(
            explained[0]["explanation"]["records"][0]["active"]["counted"],
            true
        );
        // One read entry per explanation request, ids and dates only.
        assert_eq!(
            audited(&w, "indicators/%").await,
            [(
                "indicators/explain/establishment/10/2024-06-01/2024-06-30".to_owned(),
                "ok".to_owned()
            )],
            "{}",
            w.test.name
        );
        verify(&w).await;
    }
}

#[tokio::test]
async fn another_organisation_or_another_establishment_gets_404() {
    for w in worlds().await {
        records(&w, &w.a, "Lefèvre", 10).await;
        records(&w, &w.a, "Martin", 11).await;
        for route in ["indicators", "indicators/explain"] {
            for (token, finess) in [
                (&w.b, E10),
                (&w.b, E11),
                (&w.a10, E11),
                (&w.a, E20),
                (&w.a, "970100012"),
            ] {
                let path = format!("/api/v1/{route}?{JUNE}&finess={finess}");
                let reply = get(&w.app, &path, token).await;
                assert_eq!(
                    reply.status,
                    StatusCode::NOT_FOUND,
                    "{} {path}",
                    w.test.name
                );
                assert_eq!(reply.json()["code"], "not_found");
                assert_eq!(reply.message(), "enregistrement introuvable");
            }
            // One refused FINESS among allowed ones refuses the whole request.
            let path = format!("/api/v1/{route}?{JUNE}&finess={E10}&finess={E11}");
            assert_eq!(
                get(&w.app, &path, &w.a10).await.status,
                StatusCode::NOT_FOUND
            );
        }
        // Without FINESS, each token sees its own establishments only.
        let only = |token: &str| {
            let app = w.app.clone();
            let path = format!("/api/v1/indicators?{JUNE}");
            let token = token.to_owned();
            async move { finess_of(&get(&app, &path, &token).await.json()) }
        };
        assert_eq!(only(&w.b).await, [E20], "{}", w.test.name);
        assert_eq!(only(&w.a10).await, [E10], "{}", w.test.name);
        assert_eq!(only(&w.a).await, [E10, E11], "{}", w.test.name);
        let reply = get(
            &w.app,
            &format!("/api/v1/indicators/explain?{JUNE}&finess={E10}"),
            &w.a10,
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.message());
        // The refusals inside organisation 1 (a10 asking for 11) are audited.
        let refused: Vec<(String, String)> = audited(&w, "indicators/establishment/%").await;
        assert!(!refused.is_empty(), "{}", w.test.name);
        assert!(
            refused
                .iter()
                .all(|(r, o)| r == "indicators/establishment/11" && o == "refused"),
            "{refused:?}"
        );
        verify(&w).await;
    }
}

#[tokio::test]
async fn bad_parameters_answer_400_naming_the_parameter_and_the_rule() {
    let w = world(backends().await.remove(0)).await;
    let cases = [
        (
            "indicators?from=2024-13-01&to=2024-06-30",
            "from",
            "AAAA-MM-JJ",
        ),
        (
            "indicators?from=2024-06-01&to=30/06/2024",
            "to",
            "AAAA-MM-JJ",
        ),
        (
            "indicators?from=2024-06-30&to=2024-06-01",
            "to",
            "précède le début",
        ),
        ("indicators?to=2024-06-30", "from", "obligatoire"),
        ("indicators?from=2024-06-01", "to", "obligatoire"),
        ("indicators", "from", "obligatoire"),
        (
            "indicators?preset=annee",
            "preset",
            "valeurs possibles : mois, 3mois, 6mois",
        ),
        (
            "indicators?preset=mois&from=2024-06-01&to=2024-06-30",
            "preset",
            "pas les deux",
        ),
        (
            "indicators?from=2024-06-01&from=2024-06-02&to=2024-06-30",
            "from",
            "répété",
        ),
        (
            "indicators?from=2000-01-01&to=2024-06-30",
            "to",
            "10 ans au plus",
        ),
        (
            "indicators?from=2024-06-01&to=2024-06-30&jour=1",
            "jour",
            "paramètre inconnu",
        ),
        (
            "indicators?from=2024-06-01&to=2024-06-30&finess=12",
            "finess",
            "12",
        ),
        (
            "indicators/explain?from=2024-06-01&to=2024-06-30",
            "finess",
            "obligatoire",
        ),
    ];
    for (path, field, rule) in cases {
        let reply = get(&w.app, &format!("/api/v1/{path}"), &w.a).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.message()
        );
        let json = reply.json();
        assert_eq!(json["code"], "invalid_field", "{path}");
        assert_eq!(json["details"][0]["field"], field, "{path}: {json}");
        let message = reply.message();
        assert!(
            message.contains(&format!("« {field} »")),
            "{path}: {message}"
        );
        assert!(message.contains(rule), "{path}: {message}");
    }
    // Without a token: 401 before anything else.
    let reply = call(
        &w.app,
        axum::http::Method::GET,
        &format!("/api/v1/indicators?{JUNE}"),
        None,
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}
