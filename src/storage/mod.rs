//! Purpose: every row Dealwatch keeps, behind one repository per group of
//! data ([`repos`]: `store.users()`, `items()`, `products()`,
//! `destinations()`, `inbox()`, `outbox()`, `billing()`).
//!
//! [`Store`] wraps either an SQLite pool (the default: one file, created on
//! first run, WAL mode, busy timeout, foreign keys on) or a PostgreSQL pool
//! (several `dealwatch serve` instances sharing one database). The SQL is
//! written once in the dialect both understand (`$N` parameters, `RETURNING`,
//! `ON CONFLICT`), and `on_pool!` runs it against whichever pool is live.
//! No SQL lives outside this module.
//!
//! Conventions: times are UTC Unix seconds (`i64`), money is a decimal
//! string beside an ISO 4217 code, and every method that acts for a user
//! takes that user's id, so no caller can reach another user's rows.

mod rows;

pub use rows::{
    ActiveRule, AddOutcome, Applied, CheckResult, DueProduct, Identity, Item, ItemKind, NewDeal,
    NewWatch, Observation, PricePoint, RecentDeal, RuleItem, StateChange, User, UserId,
    UserSettings, WatchDecision, WatchItem, WatchState,
};

use crate::command::RuleSpec;
use crate::model::{ItemNo, ItemState, Plan};
use crate::money::Currency;
use rust_decimal::Decimal;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::AssertSqlSafe;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// How long a SQLite statement waits for another's lock before failing:
/// under Discord's 3 s window, so a webhook answers in time either way.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Run the same body against whichever pool is live; the body is compiled
/// once per backend, so it must only use what both drivers provide.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

/// Like `on_pool!`, for a write: on SQLite it goes through the one writer
/// connection ([`Store::writer`]), so writers queue for it in order instead
/// of meeting SQLite's busy lock and sleeping.
macro_rules! on_writer {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.db {
            Db::Sqlite(readers) => {
                let $pool = $store.sqlite_writer(readers);
                $body
            }
            Db::Postgres($pool) => $body,
        }
    };
}

/// Count a user's active rows in `watches` or `rules` inside a transaction.
macro_rules! count_active {
    ($tx:expr, $table:literal, $user:expr) => {{
        let count: i64 = sqlx::query_scalar(concat!(
            "SELECT COUNT(*) FROM ",
            $table,
            " WHERE user_id = $1 AND state = 'active'"
        ))
        .bind($user.0)
        .fetch_one(&mut *$tx)
        .await?;
        count
    }};
}

/// How many active alerts count against a limit inside a transaction:
/// the person's own (not those posting to a community), or one
/// community's.
macro_rules! active_rules {
    ($tx:expr, $user:expr, $destination:expr) => {{
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM rules WHERE user_id = $1 AND state = 'active' \
             AND (($2 IS NULL AND destination_id IS NULL AND post_address IS NULL) OR destination_id = $2)",
        )
        .bind($user.0)
        .bind($destination)
        .fetch_one(&mut *$tx)
        .await?;
        count
    }};
}

#[macro_use]
mod unit;
mod backup;
mod billing;
mod destinations;
mod identities;
mod inbox;
mod items;
mod outbox;
mod products;
pub use billing::{PlanChange, SubscriptionState};
pub use destinations::{
    chat_kind, destination_channel, free_name, ChatDestination, Controls, Destination,
    DestinationAdded, NewDestination, DEFAULT_COMMUNITY_CAP, DISCORD_CHANNEL, DISCORD_WEBHOOK,
    TELEGRAM_CHANNEL, TELEGRAM_GROUP,
};
pub use identities::{LinkOutcome, LinkPreview};
pub use inbox::{Answered, InboundRow};
pub use outbox::{OutboxRow, PRIORITY_NOTICE, PRIORITY_REPLY};
pub use unit::Unit;

/// The repositories: one per group of data, each with the few methods its
/// consumers use, reached from a [`Store`] (`store.outbox().claim(...)`).
/// Writes that must commit together go through a [`Unit`] instead.
pub mod repos {
    pub use super::billing::Billing;
    pub use super::destinations::Destinations;
    pub use super::identities::Users;
    pub use super::inbox::Inbox;
    pub use super::items::Items;
    pub use super::outbox::Outbox;
    pub use super::products::Products;
}

/// Errors from the database layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported DATABASE_URL (expected sqlite://PATH or postgres://...)")]
    UnsupportedUrl,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Backup(String),
    /// Work handed to a blocking thread was cancelled: the runtime is
    /// shutting down.
    #[error("interrupted: {0}")]
    Interrupted(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Debug)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The handle to Dealwatch's database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// The SQLite file, for backup and restore.
    sqlite_path: Option<PathBuf>,
    /// SQLite's acting writes (units, first contacts, inbound claims,
    /// checks, digests, billing): one connection, since SQLite takes one
    /// writer at a time anyway. A writer that finds the lock taken sleeps
    /// in SQLite's busy handler (1, 2, 5 ... 100 ms), long after the lock
    /// is free again; queued here it is woken the moment the writer before
    /// it is done. Two kinds of write stay on the pool, measured both ways:
    /// what a provider's webhook waits for, its message's accept and
    /// delivery statuses (behind acting's queue a burst of 20,000 was
    /// accepted at about 1,000/s instead of 3,400/s; batched, 918/s)
    /// and the dispatcher's per-send marks (each use of the writer costs
    /// sqlx a ping on release, and replies fell below 90 % of Telegram's
    /// rate). `None` for PostgreSQL and for an in-memory database.
    writer: Option<SqlitePool>,
}

impl Store {
    /// People and their chat identities: first contact, settings, STOP, link codes, who to reach.
    pub fn users(&self) -> identities::Users<'_> {
        identities::Users(self)
    }

    /// A person's watches and deal rules: adding within plan limits, listing, what the matcher needs.
    pub fn items(&self) -> items::Items<'_> {
        items::Items(self)
    }

    /// Products, their checks and price history, and the deals seen.
    pub fn products(&self) -> products::Products<'_> {
        products::Products(self)
    }

    /// Communities: the shared chats and webhooks deals are posted to, and their alerts.
    pub fn destinations(&self) -> destinations::Destinations<'_> {
        destinations::Destinations(self)
    }

    /// Everything that leaves: claiming, holding, digests, delivery records.
    pub fn outbox(&self) -> outbox::Outbox<'_> {
        outbox::Outbox(self)
    }

    /// Messages as they arrived: accepting once, claiming, finishing.
    pub fn inbox(&self) -> inbox::Inbox<'_> {
        inbox::Inbox(self)
    }

    /// Stripe's events, customers, subscriptions and the plan they entitle.
    pub fn billing(&self) -> billing::Billing<'_> {
        billing::Billing(self)
    }

    /// Connect to `sqlite://PATH` (created if missing), `sqlite::memory:`
    /// or `postgres://...`, and apply pending migrations.
    pub async fn open(url: &str) -> Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connect without migrating.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            return Ok(Store {
                db: Db::Postgres(pool),
                sqlite_path: None,
                writer: None,
            });
        }
        if !url.starts_with("sqlite:") {
            return Err(StoreError::UnsupportedUrl);
        }
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .synchronous(SqliteSynchronous::Normal)
            // A webhook waits for its message to be stored, and Discord
            // answers its own timeout after 3 s: a lock held longer than
            // this is an error (the provider redelivers), not a hang.
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            // 32 MiB of page cache a connection (SQLite's default is 2 MiB):
            // a backlog's inbox and outbox rows stay in memory instead of
            // being read again from the file by each connection (acting on
            // 20,000 stored commands: 1,850/s with the default, 2,150/s).
            .pragma("cache_size", "-32768");
        let sqlite_path = (!memory).then(|| options.get_filename().to_path_buf());
        let writer = if memory {
            None
        } else {
            Some(
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    // Waiting for the writer is waiting for SQLite's lock:
                    // the same bound as the busy timeout.
                    .acquire_timeout(BUSY_TIMEOUT)
                    .idle_timeout(Some(Duration::from_secs(600)))
                    .max_lifetime(Some(Duration::from_secs(3600)))
                    .connect_lazy_with(options.clone()),
            )
        };
        let pool = SqlitePoolOptions::new()
            // An in-memory database lives and dies with its one connection.
            .max_connections(if memory { 1 } else { 8 })
            // A connection to a local file cannot have been hung up on:
            // no ping (a round trip to the connection's thread) before
            // every query taken from the pool.
            .test_before_acquire(false)
            .min_connections(if memory { 1 } else { 0 })
            .idle_timeout(if memory {
                None
            } else {
                Some(Duration::from_secs(600))
            })
            .max_lifetime(if memory {
                None
            } else {
                Some(Duration::from_secs(3600))
            })
            .connect_with(options)
            .await?;
        Ok(Store {
            db: Db::Sqlite(pool),
            sqlite_path,
            writer,
        })
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// The statement for this backend, where the dialects differ (only in
    /// `FOR UPDATE ... SKIP LOCKED`, which SQLite neither has nor needs:
    /// its writers are serialised).
    fn dialect(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self.backend() {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        }
    }

    /// Apply the embedded migrations for this backend.
    pub async fn migrate(&self) -> Result<()> {
        match &self.db {
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Whether the database takes a write now (for `/healthz`): on SQLite
    /// the write lock is taken and given back, on PostgreSQL a transaction
    /// id is assigned (which a read-only standby refuses).
    pub async fn ping_writable(&self) -> Result<()> {
        match &self.db {
            Db::Sqlite(pool) => {
                let pool = self.sqlite_writer(pool);
                let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                tx.rollback().await?;
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SELECT txid_current()")
                    .execute(&mut *tx)
                    .await?;
                tx.rollback().await?;
            }
        }
        Ok(())
    }

    /// The connection SQLite's acting writes go through: the writer, or
    /// `readers` itself for an in-memory database (one connection).
    fn sqlite_writer<'a>(&'a self, readers: &'a SqlitePool) -> &'a SqlitePool {
        self.writer.as_ref().unwrap_or(readers)
    }

    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        on_pool!(self, |pool| pool.close().await)
    }
}

/// Check that `path` is an intact Dealwatch SQLite database whose schema
/// this binary knows.
async fn verify_backup(path: &Path) -> Result<()> {
    if !path.is_file() {
        return Err(StoreError::Backup(format!(
            "{} is not a file",
            path.display()
        )));
    }
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let check = async {
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await?;
        if integrity != "ok" {
            return Err(StoreError::Backup(format!(
                "the backup is damaged: {integrity}"
            )));
        }
        let newest: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&pool)
                .await
                .map_err(|_| StoreError::Backup("the file is not a Dealwatch database".into()))?;
        let known = SQLITE_MIGRATIONS
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        match newest {
            None => Err(StoreError::Backup(
                "the file is not a Dealwatch database".into(),
            )),
            Some(v) if v > known => Err(StoreError::Backup(format!(
                "the backup has schema version {v}, newer than this binary's {known}"
            ))),
            Some(_) => Ok(()),
        }
    };
    let outcome = check.await;
    pool.close().await;
    outcome
}

/// A product's price, currency and availability columns.
type PriceColumns = (Option<String>, Option<String>, String);

/// The current time as stored: UTC Unix seconds.
pub use dealwatch_bots::unix_now;

pub use rows::Contact;
