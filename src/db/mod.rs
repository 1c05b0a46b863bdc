//! Database access: the `DbConn` enum over PostgreSQL and SQLite, the pool, embedded migrations,
//! transactions and the `run` helper that keeps blocking diesel calls off the async workers.

pub mod invariants;
pub mod schema;

use crate::error::ApiError;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool as R2d2Pool};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Arbitrary constant key of the advisory lock that serialises migrations across replicas.
const MIGRATION_LOCK_KEY: i64 = 0x0064_6961_7370_6172; // "diaspar" in ASCII

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection, for the statements
/// `MultiConnection` cannot build (multi-row inserts): `on_each_backend!(conn, |c| q.execute(c))`.
#[macro_export]
macro_rules! on_each_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

pub type Pool = R2d2Pool<Manager>;

/// The database location resolved from `database.url`.
#[derive(Debug, Clone)]
pub struct DbUrl {
    pub backend: Backend,
    /// libpq URL, or the SQLite file path.
    pub target: String,
}

impl DbUrl {
    /// `postgres://` / `postgresql://` select PostgreSQL; `sqlite://PATH`, `sqlite:PATH` or a plain
    /// path select SQLite; empty means `./data/diaspar.db`.
    pub fn parse(url: &str) -> DbUrl {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return DbUrl {
                backend: Backend::Postgres,
                target: url.to_string(),
            };
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        DbUrl {
            backend: Backend::Sqlite,
            target: if path.is_empty() {
                "data/diaspar.db".to_string()
            } else {
                path.to_string()
            },
        }
    }
}

/// r2d2 manager that picks the variant from the URL itself (the derived `establish` would try
/// PostgreSQL first and hide the real connection error) and applies the SQLite pragmas on every
/// new connection.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DbUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match self.url.backend {
            Backend::Postgres => {
                let mut c = PgConnection::establish(&self.url.target)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // JIT compiles the set-based job and report queries on every execution (their
                // cost estimates pass jit_above_cost) for 15-40 ms each and no gain at this size.
                c.batch_execute("SET jit = off")
                    .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Pg(c))
            }
            Backend::Sqlite => {
                let mut c = SqliteConnection::establish(&self.url.target)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                c.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                )
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(c))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(|_| ())
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.is_broken()
    }
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Pg(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Builds the pool (lazily connecting, so the server starts and `/ready` reports while the
/// database is down) for the given URL.
/// `size` 0 picks twice the machine's cores: more connections than that only queue inside the
/// database (lock waits and context switches; measured in README "Benchmarks").
pub fn pool(url: &str, size: u32, acquire_timeout: Duration) -> Result<Pool, String> {
    let size = match size {
        0 => std::thread::available_parallelism().map_or(4, |n| 2 * n.get() as u32),
        n => n,
    };
    let url = DbUrl::parse(url);
    if url.backend == Backend::Sqlite {
        if let Some(dir) = std::path::Path::new(&url.target).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
        }
    }
    Ok(R2d2Pool::builder()
        .max_size(size.max(1))
        .min_idle(Some(0))
        .connection_timeout(acquire_timeout)
        .test_on_check_out(false)
        .build_unchecked(Manager { url }))
}

/// Applies the embedded migrations of the connection's backend; on PostgreSQL under an advisory
/// lock so that several replicas may start at once.
pub fn migrate(conn: &mut DbConn) -> Result<(), String> {
    let err = |e: Box<dyn std::error::Error + Send + Sync>| format!("migrations: {e}");
    match conn {
        DbConn::Pg(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(c)
                .map_err(|e| format!("migration lock: {e}"))?;
            let result = c
                .run_pending_migrations(PG_MIGRATIONS)
                .map(|_| ())
                .map_err(err);
            let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .execute(c);
            result
        }
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|_| ())
            .map_err(err),
    }
}

/// SQLite has one writer at a time. Writers of this process queue here in arrival order (a fair
/// mutex hands the lock to the longest waiter) instead of polling in `busy_timeout`, whose
/// growing sleeps starve some requests (p99 of seconds under load). `busy_timeout` still covers
/// writers in other processes (CLI commands).
static SQLITE_WRITE_GATE: parking_lot::FairMutex<()> = parking_lot::const_fair_mutex(());

/// Runs `f` in a write transaction: on SQLite through the write gate and `BEGIN IMMEDIATE` (the
/// write lock is taken up front, so a read never has to upgrade), a plain transaction on
/// PostgreSQL. Commits on `Ok`, rolls back on `Err`.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Pg(_) => conn.transaction(f),
        DbConn::Sqlite(inner) => {
            let _turn = SQLITE_WRITE_GATE.lock();
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            let result = f(conn);
            let DbConn::Sqlite(inner) = conn else {
                unreachable!("backend does not change inside a transaction")
            };
            match result {
                Ok(value) => {
                    AnsiTransactionManager::commit_transaction(inner)?;
                    Ok(value)
                }
                Err(e) => {
                    AnsiTransactionManager::rollback_transaction(inner)?;
                    Err(e)
                }
            }
        }
    }
}

/// Runs blocking database work on the blocking thread pool with a pooled connection.
pub async fn run<T, F>(pool: &Pool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(|e| ApiError::internal(format!("blocking task: {e}")))?
}

/// A fresh time-ordered identifier (UUIDv7 as text): ids sort by creation, which makes them
/// stable pagination cursors.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// From how many rows a PostgreSQL bulk insert binds column arrays and unnests them instead of
/// a multi-row VALUES list: below it the VALUES form is cheap (and the statement cached).
pub const UNNEST_FROM: usize = 8;

/// Current UTC time truncated to microseconds (both backends store microseconds).
pub fn now() -> chrono::NaiveDateTime {
    let n = chrono::Utc::now().naive_utc();
    n.with_nanosecond_floor()
}

trait FloorMicros {
    fn with_nanosecond_floor(self) -> Self;
}
impl FloorMicros for chrono::NaiveDateTime {
    fn with_nanosecond_floor(self) -> Self {
        use chrono::Timelike;
        let nanos = self.nanosecond() / 1_000 * 1_000;
        self.with_nanosecond(nanos).unwrap_or(self)
    }
}
