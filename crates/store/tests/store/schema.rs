//! Both migration histories must produce the same schema.

use crate::support;
use sqlx::Row;

/// (table, column, type family, nullable) for every column, sorted.
async fn describe(db: &carnet_store::Db) -> Vec<(String, String, &'static str, bool)> {
    let family = |t: &str| match t.to_ascii_lowercase().as_str() {
        "integer" | "bigint" => "int",
        "text" => "text",
        "blob" | "bytea" => "bytes",
        _ => "other",
    };
    let mut out = Vec::new();
    match db.backend() {
        carnet_store::Backend::Sqlite => {
            let tables = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'")
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
                    let pk: i64 = c.get("pk");
                    let nn: i64 = c.get("nn");
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
                "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, is_nullable::text AS n \
                 FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
            )
            .fetch_all(db.pool())
            .await
            .unwrap();
            for c in cols {
                let ty: String = c.get("ty");
                let n: String = c.get("n");
                out.push((c.get("t"), c.get("c"), family(&ty), n == "YES"));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_give_the_same_schema() {
    let Some(url) = support::postgres_url() else {
        eprintln!("PostgreSQL absent (CARNET_TEST_POSTGRES_URL) : comparaison des schémas sautée");
        return;
    };
    let lite = support::sqlite().await;
    let pg = support::postgres(&url).await;
    let a = describe(&lite.db).await;
    let b = describe(&pg.db).await;
    assert!(!a.is_empty());
    assert!(a.iter().all(|c| c.2 != "other"), "type inattendu : {a:?}");
    assert_eq!(a, b);
}
