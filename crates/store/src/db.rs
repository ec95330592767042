//! Connection, dialect and migrations.

use crate::{Result, StoreError};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connected, migrated database.
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    /// Where write transactions run. On SQLite, one connection of its own:
    /// the database takes one writer at a time anyway, and a connection that
    /// only another connection writes through must drop its page cache at
    /// each transaction (the pool hands its connections out in turn), which
    /// made every write read its pages again. On PostgreSQL, the pool itself.
    writer: AnyPool,
    pub(crate) backend: Backend,
    url: String,
    pub(crate) heads: crate::audit::Heads,
    /// Time zones of establishments (they do not change once created).
    pub(crate) time_zones:
        std::sync::Arc<std::sync::RwLock<std::collections::HashMap<i64, jiff::tz::TimeZone>>>,
    /// Group commit of standalone audit entries; `None` in the queue's own
    /// handle (it writes directly).
    pub(crate) audit_queue: Option<crate::audit_queue::Queue>,
    /// False only in the handle `without_activity_index` gives the bench.
    pub(crate) activity_writes: bool,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connects to `sqlite://path` (created if missing) or `postgres://…`, and
    /// brings the schema to the latest migration.
    pub async fn connect(url: &str) -> Result<Db> {
        install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            let url = if url.contains('?') {
                url.to_owned()
            } else {
                format!("{url}?mode=rwc")
            };
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(StoreError::Url(url.to_owned()));
        };
        let options = AnyPoolOptions::new();
        let options = if backend == Backend::Sqlite {
            // A SQLite connection is a file handle in this process: it cannot
            // drop like a network connection, so sqlx's ping before each
            // acquire is only one more round trip to the connection's thread
            // (tens of µs on an idle virtual machine, for every transaction).
            options
                .test_before_acquire(false)
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        // WAL lets readers work during a write; NORMAL is durable in WAL
                        // mode up to the last checkpointed transaction on power loss.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                        // A page cache of up to 32 MiB per connection instead of
                        // SQLite's 2 MB: an indicator query reads a few MB of
                        // index pages; with the default cache each query copied
                        // them again from the system's cache (≈ 15 % of its CPU).
                        conn.execute("PRAGMA cache_size = -32768;").await?;
                        // SQLite's advice for long-lived connections: gather the
                        // planner statistics that are missing or stale, bounded
                        // in cost by `analysis_limit`.
                        conn.execute("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
                            .await?;
                        Ok(())
                    })
                })
        } else {
            options
        };
        let (pool, writer) = match backend {
            Backend::Sqlite => {
                let pool = options.clone().max_connections(4).connect(&url).await?;
                let writer = options.max_connections(1).connect(&url).await?;
                (pool, writer)
            }
            Backend::Postgres => {
                let pool = options.max_connections(16).connect(&url).await?;
                (pool.clone(), pool)
            }
        };
        let mut db = Db {
            pool,
            writer,
            backend,
            url: url.clone(),
            heads: Default::default(),
            time_zones: Default::default(),
            audit_queue: None,
            activity_writes: true,
        };
        db.migrate().await?;
        db.audit_queue = Some(crate::audit_queue::start(db.clone()));
        Ok(db)
    }

    async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// The address this handle was opened with (it may hold a password: never log it).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for crates that keep their own tables in this database
    /// (their migrations live in this crate's folders).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`) so that a transaction that reads before it writes
    /// cannot fail half-way on a lock upgrade.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        })
    }

    /// Starts a write transaction whose first statement writes. On SQLite a
    /// plain `BEGIN`: that statement takes the write lock (waiting as
    /// `busy_timeout` says), so nothing is read before the lock is held and
    /// the lock can never have to be upgraded half-way, as `begin_write`
    /// guards against; the lock is taken once instead of at `BEGIN` and again
    /// checked at the first write.
    pub async fn begin_insert(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(self.writer.begin().await?)
    }

    /// Refreshes the query planner's statistics (after a bulk load).
    pub async fn analyze(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                self.pool
                    .execute("PRAGMA analysis_limit = 1000; ANALYZE;")
                    .await?
            }
            Backend::Postgres => self.pool.execute("ANALYZE").await?,
        };
        Ok(())
    }

    /// For the bench only (issue 3 asks for the insert throughput with and
    /// without the activity index): the same database, whose `create` of a
    /// person's record skips the index. The index is then wrong for those
    /// records; nothing of the product calls this.
    #[doc(hidden)]
    pub fn without_activity_index(&self) -> Db {
        Db {
            activity_writes: false,
            ..self.clone()
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}
