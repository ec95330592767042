//! Fresh databases for tests, on every backend available.

use carnet_core::model::*;
use carnet_core::{Finess, Siren, Siret};
use carnet_store::{Actor, Db, Scope, WriteCtx};
use jiff::Timestamp;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}_{}_{}_{n}",
        std::process::id(),
        Timestamp::now().as_millisecond()
    )
}

/// A database that is dropped with the guard.
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

pub fn postgres_url() -> Option<String> {
    std::env::var("CARNET_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

pub async fn sqlite() -> TestDb {
    let path = std::env::temp_dir().join(format!("{}.db", unique("carnet_test")));
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

pub async fn postgres(admin: &str) -> TestDb {
    let name = unique("carnet_test");
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
    match postgres_url() {
        Some(url) => all.push(postgres(&url).await),
        None if std::env::var("CI").is_ok() => panic!("CI doit définir CARNET_TEST_POSTGRES_URL"),
        None => {}
    }
    all
}

pub fn ctx() -> WriteCtx {
    WriteCtx {
        actor: Actor::System("test"),
        now: "2024-06-15T10:00:00Z".parse().expect("instant"),
    }
}

pub fn organisation(id: i64) -> Organisation {
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

pub fn establishment(org: i64, id: i64, finess: &str) -> Establishment {
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

pub fn person(org: i64, family: &str, given: &str) -> Person {
    Person {
        id: PersonId(0),
        organisation_id: OrganisationId(org),
        birth_family_name: family.into(),
        birth_given_names: vec![given.into()],
        used_family_name: None,
        used_given_name: None,
        sex: Sex::F,
        birth_date: "1940-03-02".parse().expect("date"),
        birth_place_code: Some("33063".into()),
        ins: None,
        identity_status: IdentityStatus::Provisoire,
    }
}

pub fn stay(org: i64, establishment: i64) -> Stay {
    Stay {
        id: StayId(0),
        organisation_id: OrganisationId(org),
        person_id: PersonId(0),
        establishment_id: EstablishmentId(establishment),
        start: "2024-01-10".parse().expect("date"),
        end: None,
        end_kind: None,
        mode: StayMode::HebergementPermanent,
    }
}

pub fn event(org: i64, person: PersonId, establishment: i64, text: &str) -> Event {
    Event {
        id: EventId(0),
        organisation_id: OrganisationId(org),
        person_id: person,
        establishment_id: EstablishmentId(establishment),
        kind: EventKind::Transmission,
        at: "2024-06-15T09:30:00Z".parse().expect("instant"),
        author_id: None,
        text: text.into(),
    }
}

/// Two organisations: 1 with establishments 10 and 11, 2 with establishment 20;
/// one person in each establishment. Returns the persons (10, 11, 20).
pub async fn two_organisations(db: &Db) -> (Person, Person, Person) {
    let c = ctx();
    db.create_organisation(&c, organisation(1))
        .await
        .expect("org 1");
    db.create_organisation(&c, organisation(2))
        .await
        .expect("org 2");
    let s1 = Scope::whole(OrganisationId(1));
    let s2 = Scope::whole(OrganisationId(2));
    db.create_establishment(&c, establishment(1, 10, "330780495"))
        .await
        .expect("e10");
    db.create_establishment(&c, establishment(1, 11, "770002319"))
        .await
        .expect("e11");
    db.create_establishment(&c, establishment(2, 20, "2A0000154"))
        .await
        .expect("e20");
    let (a, _) = db
        .create_person(&c, &s1, person(1, "Lefèvre", "Hélène"), Some(stay(1, 10)))
        .await
        .expect("a");
    let (b, _) = db
        .create_person(&c, &s1, person(1, "Martin", "Paul"), Some(stay(1, 11)))
        .await
        .expect("b");
    let (z, _) = db
        .create_person(&c, &s2, person(2, "Rossi", "Anna"), Some(stay(2, 20)))
        .await
        .expect("z");
    (a, b, z)
}
