//! Fresh databases on every backend, two organisations with their tokens, and
//! a small client over the router.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use carnet_core::model::*;
use carnet_core::{Finess, Siren, Siret};
use carnet_store::{Actor, Db, NewUser, Scope, WriteCtx};
use carnet_web::{AppState, router};
use http_body_util::BodyExt;
use jiff::Timestamp;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use tower::ServiceExt;

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!("{prefix}_{}_{nanos}_{n}", std::process::id())
}

/// A database dropped with the guard.
pub struct TestDb {
    pub db: Db,
    pub name: &'static str,
    cleanup: Option<(String, String)>,
    path: Option<std::path::PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        if let Some((admin, name)) = self.cleanup.take() {
            // Best effort, in a thread of its own: Drop cannot be async.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            )))
                            .execute(&pool)
                            .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

async fn sqlite() -> TestDb {
    let path = std::env::temp_dir().join(format!("{}.db", unique("carnet_web_test")));
    let db = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("sqlite");
    TestDb {
        db,
        name: "sqlite",
        cleanup: None,
        path: Some(path),
    }
}

async fn postgres(admin: &str) -> TestDb {
    let name = unique("carnet_web_test");
    let pool = sqlx::PgPool::connect(admin)
        .await
        .expect("postgres admin connection");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .expect("create database");
    pool.close().await;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    let db = Db::connect(&format!("{base}/{name}"))
        .await
        .expect("postgres");
    TestDb {
        db,
        name: "postgres",
        cleanup: Some((admin.to_owned(), name)),
        path: None,
    }
}

/// Fresh databases on every available backend.
pub async fn backends() -> Vec<TestDb> {
    let mut all = vec![sqlite().await];
    match std::env::var("CARNET_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(url) => all.push(postgres(&url).await),
        None if std::env::var("CI").is_ok() => panic!("CI doit définir CARNET_TEST_POSTGRES_URL"),
        None => {}
    }
    all
}

pub const NOW: &str = "2024-06-15T10:00:00Z";

pub fn clock() -> Timestamp {
    NOW.parse().expect("instant")
}

fn ctx() -> WriteCtx {
    WriteCtx {
        actor: Actor::System("test"),
        now: clock(),
    }
}

fn organisation(id: i64) -> Organisation {
    let siret = if id == 1 {
        "77572284600117"
    } else {
        "73282932000074"
    };
    Organisation {
        id: OrganisationId(id),
        name: format!("Organisme {id}"),
        siren: Siren::parse(&siret[..9]).expect("siren"),
        siret: Siret::parse(siret).expect("siret"),
        finess_ej: None,
        demo: true,
    }
}

fn establishment(org: i64, id: i64, finess: &str) -> Establishment {
    let finess = Finess::parse(finess).expect("finess");
    Establishment {
        id: EstablishmentId(id),
        organisation_id: OrganisationId(org),
        time_zone: finess.default_time_zone().to_owned(),
        finess,
        name: format!("Établissement {id}"),
        category: Category::Ehpad,
        sector: Sector::PersonnesAgees,
    }
}

/// Organisation 1 (establishments 10 and 11) and 2 (establishment 20); tokens:
/// `a` sees all of 1, `a10` only establishment 10, `b` all of 2.
pub struct World {
    pub test: TestDb,
    pub app: Router,
    pub a: String,
    pub a10: String,
    pub b: String,
}

impl World {
    pub fn db(&self) -> &Db {
        &self.test.db
    }
}

async fn token(db: &Db, org: i64, login: &str, establishments: Vec<EstablishmentId>) -> String {
    let user = db
        .create_user(
            &ctx(),
            NewUser {
                organisation_id: OrganisationId(org),
                login: login.into(),
                display_name: login.into(),
                role: Role::Medecin,
                professional_id: None,
                establishment_ids: establishments,
                password_hash: None,
            },
        )
        .await
        .expect("user");
    db.create_token(&ctx(), &user, "test").await.expect("token")
}

pub async fn world(test: TestDb) -> World {
    let db = &test.db;
    let c = ctx();
    db.create_organisation(&c, organisation(1))
        .await
        .expect("org 1");
    db.create_organisation(&c, organisation(2))
        .await
        .expect("org 2");
    // The API tests exercise every route: their accounts are physicians
    // given every category (the route × role test checks the matrix itself).
    let mut everything = carnet_core::rights::Matrix::defaults();
    for &category in carnet_core::model::DataCategory::ALL {
        everything
            .set(Role::Medecin, category, carnet_core::rights::Access::WRITE)
            .expect("a physician may be given any category");
    }
    for org in [1, 2] {
        db.set_rights(&c, OrganisationId(org), &everything)
            .await
            .expect("rights");
    }
    db.create_establishment(&c, establishment(1, 10, "330780495"))
        .await
        .expect("e10");
    db.create_establishment(&c, establishment(1, 11, "770002319"))
        .await
        .expect("e11");
    db.create_establishment(&c, establishment(2, 20, "2A0000154"))
        .await
        .expect("e20");
    let a = token(db, 1, "a", vec![]).await;
    let a10 = token(db, 1, "a10", vec![EstablishmentId(10)]).await;
    let b = token(db, 2, "b", vec![]).await;
    let _ = Scope::whole(OrganisationId(1));
    let app = router(AppState::new(db.clone()).with_clock(clock));
    World {
        test,
        app,
        a,
        a10,
        b,
    }
}

/// Fresh worlds on every backend.
pub async fn worlds() -> Vec<World> {
    let mut all = Vec::new();
    for test in backends().await {
        all.push(world(test).await);
    }
    all
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    pub fn message(&self) -> String {
        self.json()["message"].as_str().unwrap_or("").to_owned()
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        bytes,
    }
}

/// A JSON request with an optional token and body.
pub async fn call(
    app: &Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .expect("request");
    send(app, request).await
}

pub async fn get(app: &Router, path: &str, token: &str) -> Reply {
    call(app, Method::GET, path, Some(token), None).await
}

pub async fn post(app: &Router, path: &str, token: &str, body: Value) -> Reply {
    call(app, Method::POST, path, Some(token), Some(body)).await
}

pub async fn put(app: &Router, path: &str, token: &str, body: Value) -> Reply {
    call(app, Method::PUT, path, Some(token), Some(body)).await
}

/// A multipart upload of a document.
pub async fn upload(
    app: &Router,
    token: &str,
    metadata: Value,
    content: &[u8],
    media_type: &str,
) -> Reply {
    let boundary = "carnet-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n{metadata}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"f\"\r\nContent-Type: {media_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/documents")
        .header("authorization", format!("Bearer {token}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request");
    send(app, request).await
}

// ----- bodies -----

pub fn person_body(family: &str, admission_establishment: Option<i64>) -> Value {
    let mut body = serde_json::json!({
        "birth_family_name": family,
        "birth_given_names": ["Hélène"],
        "sex": "F",
        "birth_date": "1940-03-02",
        "birth_place_code": "33063",
        "identity_status": "PROV"
    });
    if let Some(e) = admission_establishment {
        body["admission"] = serde_json::json!({
            "establishment_id": e,
            "start": "2024-01-10",
            "mode": "HEBERGEMENT_PERMANENT"
        });
    }
    body
}

/// Creates a person admitted in an establishment; returns (person id, stay id).
pub async fn admit(w: &World, token: &str, family: &str, establishment: i64) -> (i64, i64) {
    let reply = post(
        &w.app,
        "/api/v1/persons",
        token,
        person_body(family, Some(establishment)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.message());
    let json = reply.json();
    (
        json["person"]["id"].as_i64().expect("person id"),
        json["admission"]["id"].as_i64().expect("stay id"),
    )
}

pub fn event_body(person: i64, establishment: i64, text: &str) -> Value {
    serde_json::json!({
        "person_id": person,
        "establishment_id": establishment,
        "kind": "TRANSMISSION",
        "at": "2024-06-15T09:30:00Z",
        "text": text
    })
}

pub fn appointment_body(person: i64, establishment: i64) -> Value {
    serde_json::json!({
        "person_id": person,
        "establishment_id": establishment,
        "kind": AppointmentKind::ALL[0].code(),
        "title": "Bilan",
        "starts_at": "2024-06-20T09:00:00Z",
        "ends_at": "2024-06-20T10:00:00Z",
        "status": "PLANIFIE"
    })
}

pub fn care_plan_body(person: i64, establishment: i64, stay: i64) -> Value {
    serde_json::json!({
        "person_id": person,
        "establishment_id": establishment,
        "stay_id": stay,
        "title": "Projet 2024",
        "objectives": [{"text": "Sortir chaque semaine", "actions": ["accompagnement"], "evaluation": null}],
        "participants": ["référente"],
        "history": [{"status": "ENPREPARATION", "at": "2024-02-01T09:00:00Z", "by": null}]
    })
}

pub fn document_metadata(person: i64, establishment: i64) -> Value {
    serde_json::json!({
        "person_id": person,
        "establishment_id": establishment,
        "type_code": DocumentType::ALL[0].code(),
        "title": "Compte rendu"
    })
}

pub fn message_body(person: i64, establishment: i64) -> Value {
    serde_json::json!({
        "establishment_id": establishment,
        "person_id": person,
        "sent_at": "2024-06-15T09:00:00Z",
        "recipients": ["medecin@exemple.mssante.fr"],
        "subject": "Transmission",
        "document_ids": []
    })
}

/// A record of each kind for a person; returns the ids by path prefix.
pub struct Records {
    pub person: i64,
    pub stay: i64,
    pub event: i64,
    pub appointment: i64,
    pub care_plan: i64,
    pub document: i64,
    pub message: i64,
}

pub async fn records(w: &World, token: &str, family: &str, establishment: i64) -> Records {
    let (person, stay) = admit(w, token, family, establishment).await;
    let id = |reply: Reply, what: &str| {
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{what}: {}",
            reply.message()
        );
        reply.json()["id"].as_i64().expect("id")
    };
    let event = id(
        post(
            &w.app,
            "/api/v1/events",
            token,
            event_body(person, establishment, "Bonne nuit"),
        )
        .await,
        "event",
    );
    let appointment = id(
        post(
            &w.app,
            "/api/v1/appointments",
            token,
            appointment_body(person, establishment),
        )
        .await,
        "appointment",
    );
    let care_plan = id(
        post(
            &w.app,
            "/api/v1/care-plans",
            token,
            care_plan_body(person, establishment, stay),
        )
        .await,
        "care plan",
    );
    let document = id(
        upload(
            &w.app,
            token,
            document_metadata(person, establishment),
            b"%PDF-1.7 test",
            "application/pdf",
        )
        .await,
        "document",
    );
    let message = id(
        post(
            &w.app,
            "/api/v1/mss-messages",
            token,
            message_body(person, establishment),
        )
        .await,
        "message",
    );
    Records {
        person,
        stay,
        event,
        appointment,
        care_plan,
        document,
        message,
    }
}

/// The audit chain is intact at the end of a test.
pub async fn verify(w: &World) {
    let problems = w.db().verify_audit(|| {}).await.expect("verify");
    assert!(problems.is_empty(), "{problems:?}");
}
