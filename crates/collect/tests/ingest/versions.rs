//! Declaration versions on every available backend (SQLite always, PostgreSQL
//! when CARNET_TEST_POSTGRES_URL is set, as in CI).

use std::sync::atomic::{AtomicU64, Ordering};

use carnet_collect::ingest::{FileOutcome, ingest, read_file};
use carnet_collect::versions::{self, IntegrityProblem, Submission};
use carnet_collect::{Limits, Refusal};
use carnet_store::Db;
use jiff::Timestamp;
use jiff::civil::date;

use crate::support::*;

const PRACTICE: &[u8] = include_bytes!("../fixtures/recueil_comme_en_pratique_2024_T2.xlsx");

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, migrated database, dropped with the guard.
pub struct TestDb {
    pub db: Db,
    pub name: &'static str,
    path: Option<std::path::PathBuf>,
    postgres: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        if let Some((admin, name)) = self.postgres.take() {
            // Drop cannot be async: a runtime of its own, in a thread of its own.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
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

pub async fn backends() -> Vec<TestDb> {
    let path = std::env::temp_dir().join(format!("{}.db", unique("carnet_collect_test")));
    let db = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    versions::migrate(&db).await.unwrap();
    let mut all = vec![TestDb {
        db,
        name: "sqlite",
        path: Some(path),
        postgres: None,
    }];
    let url = std::env::var("CARNET_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if let Some(admin) = url {
        let name = unique("carnet_collect_test");
        let pool = sqlx::PgPool::connect(&admin).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        let db = Db::connect(&format!("{base}/{name}")).await.unwrap();
        versions::migrate(&db).await.unwrap();
        all.push(TestDb {
            db,
            name: "postgres",
            path: None,
            postgres: Some((admin.clone(), name)),
        });
    }
    all
}

fn submission<'a>(bytes: &'a [u8], at: &str) -> Submission<'a> {
    Submission {
        file_name: "recueil.xlsx",
        bytes,
        sent_by: "porteur-4107",
        received_at: at.parse::<Timestamp>().unwrap(),
    }
}

async fn ingest_on(db: &Db, bytes: &[u8], at: &str) -> FileOutcome {
    ingest(
        Some(db),
        &submission(bytes, at),
        None,
        &Limits::default(),
        10,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_same_workbook_twice_makes_a_second_version_and_the_first_stays() {
    for t in backends().await {
        let first = ingest_on(&t.db, PRACTICE, "2024-07-05T09:00:00Z").await;
        let second = ingest_on(&t.db, PRACTICE, "2024-07-06T09:00:00Z").await;
        assert!(first.accepted && second.accepted, "{}", t.name);
        let (v1, v2) = (first.version.unwrap(), second.version.unwrap());
        assert_eq!((v1.version, v2.version), (1, 2), "{}", t.name);
        assert!(
            second.text.contains("remplace la version 1"),
            "{}",
            second.text
        );

        let period = v1.period;
        assert_eq!(period.start, date(2024, 4, 1));
        let all = versions::versions(&t.db, "4107", period).await.unwrap();
        assert_eq!(all, vec![v1.clone(), v2.clone()], "{}", t.name);
        assert_eq!(
            versions::current(&t.db, "4107", period).await.unwrap(),
            Some(v2.clone())
        );

        // The first version is whole: file, figures, report.
        assert_eq!(v1.file_sha256, v2.file_sha256);
        assert_eq!(
            versions::file(&t.db, &v1.file_sha256)
                .await
                .unwrap()
                .as_deref(),
            Some(PRACTICE)
        );
        let rows = versions::rows(&t.db, v1.id).await.unwrap();
        assert_eq!(rows.len(), 15, "{}", t.name);
        assert_eq!(rows[3].accompanied, 81);
        assert_eq!(rows[3].finess.as_str(), "330101114");
        let report = versions::report(&t.db, v1.id).await.unwrap().unwrap();
        assert_eq!(report.warnings().count(), 17);
        assert_eq!(
            report.to_text(),
            carnet_collect::read_workbook(PRACTICE, None, &Limits::default())
                .unwrap()
                .report
                .to_text()
        );

        assert_eq!(v1.sent_by, "porteur-4107");
        assert_eq!(v1.retain_until, date(2034, 7, 5));
        assert!(versions::verify(&t.db).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_refused_file_is_not_stored() {
    for t in backends().await {
        let mut rows = table(2);
        rows[1][col('G')] = C::N(-3.0);
        let bytes = collection_file(rows);
        let outcome = ingest_on(&t.db, &bytes, "2024-06-05T09:00:00Z").await;
        assert!(!outcome.accepted);
        assert!(outcome.version.is_none());
        assert!(outcome.text.contains("Fichier refusé"), "{}", outcome.text);
        let period = carnet_collect::Period {
            start: date(2024, 5, 1),
            end: date(2024, 5, 31),
        };
        assert!(
            versions::versions(&t.db, "4107", period)
                .await
                .unwrap()
                .is_empty()
        );

        let outcome = ingest_on(&t.db, b"pas un classeur", "2024-06-05T09:00:00Z").await;
        assert!(!outcome.accepted);
        assert!(
            outcome.text.contains("n'est pas un classeur Excel"),
            "{}",
            outcome.text
        );
    }
}

#[tokio::test]
async fn verify_names_an_altered_file_and_an_altered_report() {
    for t in backends().await {
        let v = ingest_on(&t.db, PRACTICE, "2024-07-05T09:00:00Z")
            .await
            .version
            .unwrap();
        sqlx::query("UPDATE collect_files SET content = $1")
            .bind(b"autre chose".to_vec())
            .execute(t.db.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE collect_versions SET report_json = '{\"findings\":[]}'")
            .execute(t.db.pool())
            .await
            .unwrap();
        let problems = versions::verify(&t.db).await.unwrap();
        assert_eq!(
            problems,
            vec![
                IntegrityProblem::FileAltered {
                    sha256: v.file_sha256.clone()
                },
                IntegrityProblem::ReportAltered { version_id: v.id },
            ],
            "{}",
            t.name
        );
        assert!(problems[0].to_string().contains("modifié"));
    }
}

#[tokio::test]
async fn without_a_database_an_accepted_file_is_checked_but_not_stored() {
    let outcome = ingest(
        None,
        &submission(PRACTICE, "2024-07-05T09:00:00Z"),
        None,
        &Limits::default(),
        10,
    )
    .await
    .unwrap();
    assert!(outcome.accepted);
    assert!(outcome.version.is_none());
    assert!(outcome.text.contains("rien n'est enregistré"));
    assert!(outcome.text.contains("cellule H6"));
}

#[test]
fn a_file_on_disk_above_the_limit_is_refused_before_it_is_read() {
    let path = std::env::temp_dir().join(format!("{}.xlsx", unique("carnet_collect_big")));
    std::fs::write(&path, vec![0u8; 4096]).unwrap();
    let limits = Limits {
        max_file_bytes: 1024,
        ..Limits::default()
    };
    let r = read_file(&path, &limits);
    let _ = std::fs::remove_file(&path);
    assert!(
        matches!(
            r,
            Err(Refusal::TooLarge {
                size: 4096,
                max: 1024
            })
        ),
        "{r:?}"
    );
    let missing = read_file(
        std::path::Path::new("/nonexistent/recueil.xlsx"),
        &Limits::default(),
    );
    assert!(matches!(missing, Err(Refusal::Unreadable { .. })));
}

/// (table, column, type family, nullable) of every `collect_*` column, sorted.
async fn describe(db: &Db) -> Vec<(String, String, &'static str, bool)> {
    use sqlx::Row;
    let family = |t: &str| match t.to_ascii_lowercase().as_str() {
        "integer" | "bigint" => "int",
        "text" => "text",
        "blob" | "bytea" => "bytes",
        _ => "other",
    };
    let mut out = Vec::new();
    match db.backend() {
        carnet_store::Backend::Sqlite => {
            let tables = sqlx::query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'collect_%'",
            )
            .fetch_all(db.pool())
            .await
            .unwrap();
            for t in tables {
                let table: String = t.get("name");
                let cols = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT name, type, \"notnull\" AS nn, pk FROM pragma_table_info('{table}')"
                )))
                .fetch_all(db.pool())
                .await
                .unwrap();
                for c in cols {
                    let ty: String = c.get("type");
                    let (nn, pk): (i64, i64) = (c.get("nn"), c.get("pk"));
                    out.push((
                        table.clone(),
                        c.get("name"),
                        family(&ty),
                        nn == 0 && pk == 0,
                    ));
                }
            }
        }
        carnet_store::Backend::Postgres => {
            let cols = sqlx::query(
                "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, \
                 is_nullable::text AS n FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name LIKE 'collect_%'",
            )
            .fetch_all(db.pool())
            .await
            .unwrap();
            for c in cols {
                let (ty, n): (String, String) = (c.get("ty"), c.get("n"));
                out.push((c.get("t"), c.get("c"), family(&ty), n == "YES"));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn sqlite_and_postgres_declaration_tables_are_the_same() {
    let all = backends().await;
    let [lite, pg] = all.as_slice() else {
        eprintln!("PostgreSQL absent (CARNET_TEST_POSTGRES_URL) : comparaison des schémas sautée");
        return;
    };
    let (a, b) = (describe(&lite.db).await, describe(&pg.db).await);
    assert_eq!(a.len(), 102, "{a:?}");
    assert!(a.iter().all(|c| c.2 != "other"), "type inattendu : {a:?}");
    assert_eq!(a, b);
}

#[tokio::test]
async fn the_command_checks_every_file_and_says_whether_all_were_accepted() {
    let dir = std::env::temp_dir().join(unique("carnet_collect_cli"));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("bon.xlsx");
    let bad = dir.join("mauvais.xlsx");
    std::fs::write(&good, PRACTICE).unwrap();
    std::fs::write(&bad, b"texte").unwrap();
    let paths = vec![bad.clone(), dir.join("absent.xlsx"), good.clone()];
    for t in backends().await {
        let (text, all) = carnet_collect::ingest::ingest_paths(
            Some(&t.db),
            &paths,
            "cli",
            "2024-07-05T09:00:00Z".parse().unwrap(),
            &Limits::default(),
            10,
        )
        .await
        .unwrap();
        assert!(!all);
        assert!(text.contains("mauvais.xlsx"), "{text}");
        assert!(text.contains("ne peut pas être lu"), "{text}");
        assert!(text.contains("Enregistré : projet 4107"), "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
