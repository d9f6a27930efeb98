//! Purpose: every row Dealwatch keeps, behind one narrow interface.
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

mod billing;
pub use billing::{PlanChange, SubscriptionState};

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
}

impl Store {
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
            .foreign_keys(true);
        let sqlite_path = (!memory).then(|| options.get_filename().to_path_buf());
        let pool = SqlitePoolOptions::new()
            // An in-memory database lives and dies with its one connection.
            .max_connections(if memory { 1 } else { 8 })
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

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }

    // ----- users and identities -------------------------------------------

    /// Find the user behind a chat identity, creating both on first contact.
    /// Also records where replies go now and when the person last wrote
    /// (WhatsApp's 24-hour window is measured from it).
    pub async fn identify(&self, who: &rows::Contact<'_>, now: i64) -> Result<(User, Identity)> {
        let channel = who.channel.as_str();
        for _ in 0..3 {
            let existing: Option<rows::IdentityRow> = on_pool!(self, |pool| {
                sqlx::query_as(
                    "UPDATE identities SET reply_address = CASE WHEN $6 THEN $3 ELSE reply_address END, \
                     private_chat = (private_chat OR $6), display_name = COALESCE($4, display_name), \
                     last_inbound_at = $5, disabled_reason = NULL WHERE channel = $1 AND external_id = $2 \
                     RETURNING id, user_id, channel, external_id, reply_address, opted_out, last_inbound_at, private_chat",
                )
                .bind(channel)
                .bind(who.external_id)
                .bind(who.reply_address)
                .bind(who.display_name)
                .bind(now)
                .bind(who.private)
                .fetch_optional(pool)
                .await?
            });
            if let Some(row) = existing {
                let identity = Identity::try_from(row)?;
                let user = self.user(identity.user_id).await?;
                return Ok((user, identity));
            }
            // First contact: the user and the identity are created together,
            // and a concurrent first message from the same person loses the
            // race on the unique key and retries as an existing identity.
            let created: Option<rows::IdentityRow> = on_pool!(self, |pool| {
                let mut tx = pool.begin().await?;
                let user_id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (locale, time_zone, currency, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $4) RETURNING id",
                )
                .bind(who.locale)
                .bind(who.time_zone)
                .bind(who.currency)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let row: Option<rows::IdentityRow> = sqlx::query_as(
                    "INSERT INTO identities (user_id, channel, external_id, reply_address, display_name, \
                     last_inbound_at, created_at, private_chat) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) \
                     ON CONFLICT (channel, external_id) DO NOTHING \
                     RETURNING id, user_id, channel, external_id, reply_address, opted_out, last_inbound_at, private_chat",
                )
                .bind(user_id)
                .bind(channel)
                .bind(who.external_id)
                .bind(who.reply_address)
                .bind(who.display_name)
                .bind(now)
                .bind(who.private)
                .fetch_optional(&mut *tx)
                .await?;
                if row.is_some() {
                    tx.commit().await?;
                } else {
                    tx.rollback().await?;
                }
                row
            });
            if let Some(row) = created {
                let identity = Identity::try_from(row)?;
                let user = self.user(identity.user_id).await?;
                return Ok((user, identity));
            }
        }
        Err(StoreError::Corrupt(format!(
            "identity {channel} could not be created"
        )))
    }

    /// The user behind a chat identity, if it has written before; unlike
    /// [`Store::identify`] this records nothing.
    pub async fn find_identity(
        &self,
        channel: dealwatch_bots::Channel,
        external_id: &str,
    ) -> Result<Option<(User, Identity)>> {
        let row: Option<rows::IdentityRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, user_id, channel, external_id, reply_address, opted_out, last_inbound_at, private_chat FROM identities \
                 WHERE channel = $1 AND external_id = $2",
            )
            .bind(channel.as_str())
            .bind(external_id)
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row else { return Ok(None) };
        let identity = Identity::try_from(row)?;
        let user = self.user(identity.user_id).await?;
        Ok(Some((user, identity)))
    }

    /// How many of a user's active watches are on products not yet tried
    /// even once (a first check that failed and will be retried counts as tried).
    pub async fn first_checks_pending(&self, user: UserId) -> Result<u32> {
        let n: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM watches w JOIN products p ON p.id = w.product_id \
                 WHERE w.user_id = $1 AND w.state = 'active' AND NOT w.first_reported \
                 AND p.last_checked_at IS NULL AND p.consecutive_failures = 0",
            )
            .bind(user.0)
            .fetch_one(pool)
            .await?
        });
        u32::try_from(n).map_err(|_| StoreError::Corrupt("negative count".into()))
    }

    pub async fn user(&self, id: UserId) -> Result<User> {
        let row: rows::UserRow = on_pool!(self, |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                crate::user_columns!(),
                " FROM users WHERE id = $1"
            ))
            .bind(id.0)
            .fetch_one(pool)
            .await?
        });
        User::try_from(row)
    }

    /// Store a user's preferences (quiet hours, digest, cap, zone, language).
    pub async fn save_settings(&self, id: UserId, settings: &UserSettings, now: i64) -> Result<()> {
        let (digest_mode, digest_minute, digest_weekday) = rows::digest_columns(settings.digest);
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE users SET locale = $2, time_zone = $3, quiet_start = $4, quiet_end = $5, \
                 digest_mode = $6, digest_minute = $7, digest_weekday = $8, daily_cap = $9, updated_at = $10 \
                 WHERE id = $1",
            )
            .bind(id.0)
            .bind(&settings.locale)
            .bind(&settings.time_zone)
            .bind(settings.quiet.map(|q| i64::from(q.start.minutes())))
            .bind(settings.quiet.map(|q| i64::from(q.end.minutes())))
            .bind(digest_mode)
            .bind(digest_minute)
            .bind(digest_weekday)
            .bind(settings.daily_cap.map(i64::from))
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Opt an identity out of (or back into) every message, as carriers
    /// require for STOP and START.
    pub async fn set_opted_out(&self, identity: i64, opted_out: bool) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE identities SET opted_out = $2 WHERE id = $1")
                .bind(identity)
                .bind(opted_out)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    // ----- account linking -------------------------------------------------

    /// Store a one-time link code for `identity`'s user, replacing that
    /// identity's earlier unused codes. `None` when the user made
    /// `max_per_hour` codes in the last hour already.
    pub async fn create_link_code(
        &self,
        user: UserId,
        identity: i64,
        code: &str,
        now: i64,
        ttl_secs: i64,
        max_per_hour: i64,
    ) -> Result<Option<i64>> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET updated_at = $2 WHERE id = $1")
                .bind(user.0)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let recent: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM link_codes WHERE user_id = $1 AND created_at > $2",
            )
            .bind(user.0)
            .bind(now - 3600)
            .fetch_one(&mut *tx)
            .await?;
            if recent >= max_per_hour {
                tx.rollback().await?;
                return Ok(None);
            }
            sqlx::query("UPDATE link_codes SET expires_at = $2 WHERE identity_id = $1 AND used_at IS NULL AND expires_at > $2")
                .bind(identity)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO link_codes (code, user_id, identity_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(code)
            .bind(user.0)
            .bind(identity)
            .bind(now)
            .bind(now + ttl_secs)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(now + ttl_secs))
        })
    }

    /// Use a link code from another identity: that identity joins the code's
    /// user, bringing its own user's watches and rules (renumbered after the
    /// target's; a watch on a product the target already watches is
    /// dropped), and the emptied user is removed. Single use, atomically.
    pub async fn redeem_link_code(
        &self,
        code: &str,
        redeemer: &Identity,
        now: i64,
    ) -> Result<LinkOutcome> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let target: Option<i64> = sqlx::query_scalar(
                "UPDATE link_codes SET used_at = $2 WHERE code = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
            )
            .bind(code)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(target) = target else {
                tx.rollback().await?;
                return Ok(LinkOutcome::Invalid);
            };
            let old = redeemer.user_id.0;
            if target == old {
                tx.rollback().await?;
                return Ok(LinkOutcome::AlreadyLinked);
            }
            let paying: Vec<i64> = sqlx::query_scalar(
                "SELECT DISTINCT user_id FROM subscriptions WHERE user_id IN ($1, $2) \
                 AND status IN ('active', 'trialing', 'past_due')",
            )
            .bind(old)
            .bind(target)
            .fetch_all(&mut *tx)
            .await?;
            if paying.len() == 2 {
                tx.rollback().await?;
                return Ok(LinkOutcome::BothPaying);
            }
            // The better plan survives, with its renewal date; the paying
            // account's Stripe customer goes with its subscriptions.
            let accounts: Vec<(i64, String, Option<i64>, Option<String>)> = sqlx::query_as(
                "SELECT id, plan, plan_renews_at, stripe_customer_id FROM users WHERE id IN ($1, $2)",
            )
            .bind(old)
            .bind(target)
            .fetch_all(&mut *tx)
            .await?;
            let account = |id: i64| accounts.iter().find(|a| a.0 == id);
            let plan_of = |id: i64| {
                account(id)
                    .and_then(|a| Plan::from_name(&a.1))
                    .unwrap_or(Plan::Free)
            };
            let (plan, renews_at) = if plan_of(old) > plan_of(target) {
                (plan_of(old), account(old).and_then(|a| a.2))
            } else {
                (plan_of(target), account(target).and_then(|a| a.2))
            };
            let old_customer = account(old).and_then(|a| a.3.clone());
            let target_customer = account(target).and_then(|a| a.3.clone());
            let customer = match (&old_customer, &target_customer) {
                (Some(_), Some(_)) if paying.contains(&old) => old_customer.clone(),
                (_, Some(_)) => target_customer.clone(),
                (Some(_), None) => old_customer.clone(),
                (None, None) => None,
            };
            sqlx::query("UPDATE subscriptions SET user_id = $2 WHERE user_id = $1")
                .bind(old)
                .bind(target)
                .execute(&mut *tx)
                .await?;
            // The column is unique: free the old account's customer first.
            sqlx::query("UPDATE users SET stripe_customer_id = NULL WHERE id = $1")
                .bind(old)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE users SET stripe_customer_id = $2, plan = $3, plan_renews_at = $4 WHERE id = $1",
            )
            .bind(target)
            .bind(customer)
            .bind(plan.as_str())
            .bind(renews_at)
            .execute(&mut *tx)
            .await?;
            let mut next: i64 = sqlx::query_scalar(
                "UPDATE users SET updated_at = $2 WHERE id = $1 RETURNING next_item_no",
            )
            .bind(target)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let watches: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT id, product_id FROM watches WHERE user_id = $1 ORDER BY item_no",
            )
            .bind(old)
            .fetch_all(&mut *tx)
            .await?;
            for (watch_id, product_id) in watches {
                let duplicate: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM watches WHERE user_id = $1 AND product_id = $2",
                )
                .bind(target)
                .bind(product_id)
                .fetch_optional(&mut *tx)
                .await?;
                if duplicate.is_some() {
                    sqlx::query("DELETE FROM watches WHERE id = $1")
                        .bind(watch_id)
                        .execute(&mut *tx)
                        .await?;
                } else {
                    sqlx::query("UPDATE watches SET user_id = $2, item_no = $3 WHERE id = $1")
                        .bind(watch_id)
                        .bind(target)
                        .bind(next)
                        .execute(&mut *tx)
                        .await?;
                    next += 1;
                }
            }
            let rules: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM rules WHERE user_id = $1 ORDER BY item_no")
                    .bind(old)
                    .fetch_all(&mut *tx)
                    .await?;
            for rule_id in rules {
                sqlx::query("UPDATE rules SET user_id = $2, item_no = $3 WHERE id = $1")
                    .bind(rule_id)
                    .bind(target)
                    .bind(next)
                    .execute(&mut *tx)
                    .await?;
                next += 1;
            }
            sqlx::query("UPDATE users SET next_item_no = $2 WHERE id = $1")
                .bind(target)
                .bind(next)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE outbox SET user_id = $2 WHERE user_id = $1")
                .bind(old)
                .bind(target)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE identities SET user_id = $2 WHERE user_id = $1")
                .bind(old)
                .bind(target)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(old)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(LinkOutcome::Linked { plan, renews_at })
        })
    }

    /// What joining with `code` would do, without doing it: the account
    /// the code belongs to (its chat apps and plan), and how many watches
    /// and alerts `redeemer` would bring. `None` for a code that is
    /// unknown, used or expired.
    pub async fn link_preview(
        &self,
        code: &str,
        redeemer: UserId,
        now: i64,
    ) -> Result<Option<LinkPreview>> {
        let target: Option<(i64, String)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT u.id, u.plan FROM link_codes c JOIN users u ON u.id = c.user_id \
                 WHERE c.code = $1 AND c.used_at IS NULL AND c.expires_at > $2",
            )
            .bind(code)
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        let Some((target, plan)) = target else {
            return Ok(None);
        };
        let (channels, watches, rules): (Vec<String>, i64, i64) = on_pool!(self, |pool| {
            let channels = sqlx::query_scalar(
                "SELECT DISTINCT channel FROM identities WHERE user_id = $1 ORDER BY channel",
            )
            .bind(target)
            .fetch_all(pool)
            .await?;
            let watches = sqlx::query_scalar("SELECT COUNT(*) FROM watches WHERE user_id = $1")
                .bind(redeemer.0)
                .fetch_one(pool)
                .await?;
            let rules = sqlx::query_scalar("SELECT COUNT(*) FROM rules WHERE user_id = $1")
                .bind(redeemer.0)
                .fetch_one(pool)
                .await?;
            (channels, watches, rules)
        });
        Ok(Some(LinkPreview {
            same_account: target == redeemer.0,
            channels: channels
                .iter()
                .filter_map(|c| dealwatch_bots::Channel::from_name(c))
                .collect(),
            plan: Plan::from_name(&plan).unwrap_or(Plan::Free),
            watches: u32::try_from(watches).unwrap_or(u32::MAX),
            rules: u32::try_from(rules).unwrap_or(u32::MAX),
        }))
    }

    // ----- watches and rules ----------------------------------------------

    /// Add a watch, or update the conditions of the user's existing watch on
    /// the same product. `limit` is the most active watches the user's plan
    /// allows; a new watch past it is refused, and nothing is stored.
    pub async fn add_watch(
        &self,
        user: UserId,
        watch: &NewWatch,
        limit: u32,
        now: i64,
    ) -> Result<AddOutcome> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            // Writing the user row first takes its lock, so two messages from
            // one person cannot both pass the limit check.
            let next_no: i64 = sqlx::query_scalar(
                "UPDATE users SET updated_at = $2 WHERE id = $1 RETURNING next_item_no",
            )
            .bind(user.0)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO products (canonical_url, host, next_check_at, created_at) VALUES ($1, $2, $3, $3) \
                 ON CONFLICT (canonical_url) DO NOTHING",
            )
            .bind(&watch.canonical_url)
            .bind(&watch.host)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let product_id: i64 =
                sqlx::query_scalar("SELECT id FROM products WHERE canonical_url = $1")
                    .bind(&watch.canonical_url)
                    .fetch_one(&mut *tx)
                    .await?;
            let existing: Option<(i64, String)> = sqlx::query_as(
                "SELECT item_no, state FROM watches WHERE user_id = $1 AND product_id = $2",
            )
            .bind(user.0)
            .bind(product_id)
            .fetch_optional(&mut *tx)
            .await?;
            let target_price = watch.target.map(|t| t.amount.to_string());
            let target_currency = watch.target.and_then(|t| t.currency).map(|c| c.code());
            let drop_percent = watch.drop_percent.map(|d| d.to_string());
            if let Some((item_no, state)) = existing {
                if state != ItemState::Active.as_str()
                    && count_active!(tx, "watches", user) >= i64::from(limit)
                {
                    tx.rollback().await?;
                    return Ok(AddOutcome::LimitReached { limit });
                }
                sqlx::query(
                    "UPDATE watches SET target_price = $3, target_currency = $4, drop_percent = $5, \
                     back_in_stock = $6, state = 'active', paused_reason = NULL, last_alert_key = NULL \
                     WHERE user_id = $1 AND item_no = $2",
                )
                .bind(user.0)
                .bind(item_no)
                .bind(&target_price)
                .bind(target_currency)
                .bind(&drop_percent)
                .bind(watch.back_in_stock)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                return Ok(AddOutcome::Updated(rows::item_no(item_no)?));
            }
            if count_active!(tx, "watches", user) >= i64::from(limit) {
                tx.rollback().await?;
                return Ok(AddOutcome::LimitReached { limit });
            }
            sqlx::query(
                "INSERT INTO watches (user_id, item_no, product_id, target_price, target_currency, drop_percent, \
                 back_in_stock, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(user.0)
            .bind(next_no)
            .bind(product_id)
            .bind(&target_price)
            .bind(target_currency)
            .bind(&drop_percent)
            .bind(watch.back_in_stock)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE users SET next_item_no = $2 WHERE id = $1")
                .bind(user.0)
                .bind(next_no + 1)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(AddOutcome::Created(rows::item_no(next_no)?))
        })
    }

    /// Add a deal rule, unless the user already has `limit` active rules.
    pub async fn add_rule(
        &self,
        user: UserId,
        rule: &RuleSpec,
        post_to: Option<(dealwatch_bots::Channel, &str)>,
        limit: u32,
        now: i64,
    ) -> Result<AddOutcome> {
        let words =
            serde_json::to_string(&rule.words).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let excluded = serde_json::to_string(&rule.excluded)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let currency = rule
            .max_price
            .and_then(|p| p.currency)
            .or(rule.min_price.and_then(|p| p.currency))
            .map(|c| c.code());
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let next_no: i64 = sqlx::query_scalar(
                "UPDATE users SET updated_at = $2 WHERE id = $1 RETURNING next_item_no",
            )
            .bind(user.0)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            if count_active!(tx, "rules", user) >= i64::from(limit) {
                tx.rollback().await?;
                return Ok(AddOutcome::LimitReached { limit });
            }
            sqlx::query(
                "INSERT INTO rules (user_id, item_no, words, excluded, min_price, max_price, currency, category, \
                 min_score, condition, created_at, channel, post_address) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(user.0)
            .bind(next_no)
            .bind(&words)
            .bind(&excluded)
            .bind(rule.min_price.map(|p| p.amount.to_string()))
            .bind(rule.max_price.map(|p| p.amount.to_string()))
            .bind(currency)
            .bind(&rule.category)
            .bind(rule.min_score.map(|s| s.to_string()))
            .bind(rule.condition.map(|c| c.as_str()))
            .bind(now)
            .bind(post_to.map(|(channel, _)| channel).or(rule.via).map(dealwatch_bots::Channel::as_str))
            .bind(post_to.map(|(_, address)| address))
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE users SET next_item_no = $2 WHERE id = $1")
                .bind(user.0)
                .bind(next_no + 1)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(AddOutcome::Created(rows::item_no(next_no)?))
        })
    }

    /// Every watch and rule of one user, ordered by number.
    pub async fn items(&self, user: UserId) -> Result<Vec<Item>> {
        let (watches, rules): (Vec<rows::WatchRow>, Vec<rows::RuleRow>) = on_pool!(self, |pool| {
            let watches = sqlx::query_as(concat!(
                "SELECT ",
                crate::watch_columns!(),
                " FROM watches w JOIN products p ON p.id = w.product_id WHERE w.user_id = $1"
            ))
            .bind(user.0)
            .fetch_all(pool)
            .await?;
            let rules = sqlx::query_as(concat!(
                "SELECT ",
                crate::rule_columns!(),
                " FROM rules WHERE user_id = $1"
            ))
            .bind(user.0)
            .fetch_all(pool)
            .await?;
            (watches, rules)
        });
        let mut items = Vec::with_capacity(watches.len() + rules.len());
        for row in watches {
            items.push(Item::Watch(WatchItem::try_from(row)?));
        }
        for row in rules {
            items.push(Item::Rule(RuleItem::try_from(row)?));
        }
        items.sort_by_key(Item::no);
        Ok(items)
    }

    /// One of the user's own items, or `None` if that number is not theirs.
    pub async fn item(&self, user: UserId, no: ItemNo) -> Result<Option<Item>> {
        let (watch, rule): (Option<rows::WatchRow>, Option<rows::RuleRow>) = on_pool!(
            self,
            |pool| {
                let watch = sqlx::query_as(concat!(
                "SELECT ",
                crate::watch_columns!(),
                " FROM watches w JOIN products p ON p.id = w.product_id WHERE w.user_id = $1 AND w.item_no = $2"
            ))
            .bind(user.0)
            .bind(i64::from(no.get()))
            .fetch_optional(pool)
            .await?;
                let rule = sqlx::query_as(concat!(
                    "SELECT ",
                    crate::rule_columns!(),
                    " FROM rules WHERE user_id = $1 AND item_no = $2"
                ))
                .bind(user.0)
                .bind(i64::from(no.get()))
                .fetch_optional(pool)
                .await?;
                (watch, rule)
            }
        );
        match (watch, rule) {
            (Some(w), _) => Ok(Some(Item::Watch(WatchItem::try_from(w)?))),
            (None, Some(r)) => Ok(Some(Item::Rule(RuleItem::try_from(r)?))),
            (None, None) => Ok(None),
        }
    }

    /// Pause or resume one of the user's items. Resuming checks the plan
    /// limit for that kind of item (`watch_limit`, `rule_limit`).
    pub async fn set_state(
        &self,
        user: UserId,
        no: ItemNo,
        state: ItemState,
        watch_limit: u32,
        rule_limit: u32,
        now: i64,
    ) -> Result<StateChange> {
        let no = i64::from(no.get());
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET updated_at = $2 WHERE id = $1")
                .bind(user.0)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            // `table` only ever comes from this fixed list, never from input.
            let mut found = None;
            for (kind, table) in [(ItemKind::Watch, "watches"), (ItemKind::Rule, "rules")] {
                let current: Option<String> = sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT state FROM {table} WHERE user_id = $1 AND item_no = $2"
                )))
                .bind(user.0)
                .bind(no)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(current) = current {
                    found = Some((kind, table, current));
                    break;
                }
            }
            let Some((kind, table, current)) = found else {
                tx.rollback().await?;
                return Ok(StateChange::NotFound);
            };
            if current == state.as_str() {
                tx.rollback().await?;
                return Ok(StateChange::Unchanged(kind));
            }
            if state == ItemState::Active {
                let limit = match kind {
                    ItemKind::Watch => watch_limit,
                    ItemKind::Rule => rule_limit,
                };
                let active: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM {table} WHERE user_id = $1 AND state = 'active'"
                )))
                .bind(user.0)
                .fetch_one(&mut *tx)
                .await?;
                if active >= i64::from(limit) {
                    tx.rollback().await?;
                    return Ok(StateChange::LimitReached { kind, limit });
                }
            }
            let reason = (state == ItemState::Paused).then_some("user");
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE {table} SET state = $3, paused_reason = $4 WHERE user_id = $1 AND item_no = $2"
            )))
            .bind(user.0)
            .bind(no)
            .bind(state.as_str())
            .bind(reason)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(StateChange::Changed(kind))
        })
    }

    /// Delete one of the user's items; `None` if that number is not theirs.
    pub async fn delete_item(&self, user: UserId, no: ItemNo) -> Result<Option<ItemKind>> {
        let no = i64::from(no.get());
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let watch = sqlx::query("DELETE FROM watches WHERE user_id = $1 AND item_no = $2")
                .bind(user.0)
                .bind(no)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let rule = sqlx::query("DELETE FROM rules WHERE user_id = $1 AND item_no = $2")
                .bind(user.0)
                .bind(no)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(match (watch, rule) {
                (0, 0) => None,
                (0, _) => Some(ItemKind::Rule),
                _ => Some(ItemKind::Watch),
            })
        })
    }

    /// How many active watches and rules a user has, for `plan`.
    pub async fn usage(&self, user: UserId) -> Result<(u32, u32)> {
        let (watches, rules): (i64, i64) = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM watches WHERE user_id = $1 AND state = 'active'), \
                        (SELECT COUNT(*) FROM rules WHERE user_id = $1 AND state = 'active')",
            )
            .bind(user.0)
            .fetch_one(pool)
            .await?
        });
        let count =
            |n: i64| u32::try_from(n).map_err(|_| StoreError::Corrupt("negative count".into()));
        Ok((count(watches)?, count(rules)?))
    }

    /// A product's price history, oldest first (at most `limit` points).
    pub async fn price_history(&self, product_id: i64, limit: u32) -> Result<Vec<PricePoint>> {
        let rows: Vec<(Option<String>, Option<String>, String, i64)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT price, currency, availability, observed_at FROM price_points \
                 WHERE product_id = $1 ORDER BY observed_at DESC, id DESC LIMIT $2",
            )
            .bind(product_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        let mut points = rows
            .into_iter()
            .map(PricePoint::try_from)
            .collect::<Result<Vec<_>>>()?;
        points.reverse();
        Ok(points)
    }

    /// Deals seen since `since`, newest first, for `test`.
    pub async fn recent_deals(&self, since: i64, limit: u32) -> Result<Vec<RecentDeal>> {
        let rows: Vec<rows::DealRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT title, url, price, was_price, currency, merchant, category, condition, score, seen_at \
                 FROM deals WHERE seen_at >= $1 ORDER BY seen_at DESC, id DESC LIMIT $2",
            )
            .bind(since)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(RecentDeal::try_from).collect()
    }

    /// Every active rule with its owner, for matching new deals.
    pub async fn active_rules(&self) -> Result<Vec<ActiveRule>> {
        let rows: Vec<rows::ActiveRuleRow> = on_pool!(self, |pool| {
            sqlx::query_as(concat!(
                "SELECT id, user_id, ",
                crate::rule_columns!(),
                " FROM rules WHERE state = 'active' ORDER BY id"
            ))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(ActiveRule::try_from).collect()
    }

    /// The rules revision: a counter every change to any rule bumps (a
    /// trigger in the database, so changes made by other instances count).
    pub async fn rules_revision(&self) -> Result<i64> {
        let n = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT n FROM revisions WHERE name = 'rules'")
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }

    // ----- products, prices and deals -------------------------------------

    /// The id of the product at a canonical URL, if anyone watches it.
    pub async fn product_id(&self, canonical_url: &str) -> Result<Option<i64>> {
        let id = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT id FROM products WHERE canonical_url = $1")
                .bind(canonical_url)
                .fetch_optional(pool)
                .await?
        });
        Ok(id)
    }

    /// Store a deal unless one with the same dedupe key exists, or one with
    /// the same fingerprint was seen in the last week. Returns whether it
    /// was new.
    pub async fn insert_deal(&self, deal: &NewDeal, now: i64) -> Result<bool> {
        const FINGERPRINT_WINDOW_SECS: i64 = 7 * 86_400;
        let currency = deal.price.or(deal.was_price).map(|m| m.currency.code());
        let inserted = on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO deals (source, dedupe_key, title, url, price, was_price, currency, merchant, category, \
                 condition, score, seen_at, fingerprint) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 \
                 WHERE $13 IS NULL OR NOT EXISTS (SELECT 1 FROM deals WHERE fingerprint = $13 AND seen_at >= $14) \
                 ON CONFLICT (dedupe_key) DO NOTHING",
            )
            .bind(&deal.source)
            .bind(&deal.dedupe_key)
            .bind(&deal.title)
            .bind(&deal.url)
            .bind(deal.price.map(|m| m.amount.to_string()))
            .bind(deal.was_price.map(|m| m.amount.to_string()))
            .bind(currency)
            .bind(&deal.merchant)
            .bind(&deal.category)
            .bind(deal.condition.map(|c| c.as_str()))
            .bind(deal.score.map(|s| s.to_string()))
            .bind(now)
            .bind(&deal.fingerprint)
            .bind(now - FINGERPRINT_WINDOW_SECS)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Which of `keys` are dedupe keys of stored deals (one query: the keys
    /// travel as a JSON array).
    pub async fn known_deals(&self, keys: &[&str]) -> Result<std::collections::HashSet<String>> {
        const SQLITE: &str =
            "SELECT dedupe_key FROM deals WHERE dedupe_key IN (SELECT value FROM json_each($1))";
        const POSTGRES: &str = "SELECT dedupe_key FROM deals \
             WHERE dedupe_key IN (SELECT jsonb_array_elements_text($1::text::jsonb))";
        if keys.is_empty() {
            return Ok(Default::default());
        }
        let sql = self.dialect(SQLITE, POSTGRES);
        let keys = serde_json::to_string(keys).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let known: Vec<String> = on_pool!(self, |pool| {
            sqlx::query_scalar(sql).bind(&keys).fetch_all(pool).await?
        });
        Ok(known.into_iter().collect())
    }

    /// Prices seen for the product at `url` since `since`, in `currency`:
    /// its checks (when someone watches it) and earlier deals for it.
    pub async fn prices_seen(
        &self,
        url: &str,
        currency: Currency,
        since: i64,
    ) -> Result<Vec<Decimal>> {
        let texts: Vec<String> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT pp.price FROM price_points pp JOIN products p ON p.id = pp.product_id \
                 WHERE p.canonical_url = $1 AND pp.currency = $2 AND pp.observed_at >= $3 AND pp.price IS NOT NULL \
                 UNION ALL \
                 SELECT price FROM deals WHERE url = $1 AND currency = $2 AND seen_at >= $3 AND price IS NOT NULL",
            )
            .bind(url)
            .bind(currency.code())
            .bind(since)
            .fetch_all(pool)
            .await?
        });
        Ok(texts.iter().filter_map(|t| t.parse().ok()).collect())
    }

    // ----- scheduling checks ----------------------------------------------

    /// Lease up to `limit` products that are due (and watched by someone),
    /// oldest due first so none starves. A lease expires by itself, so a
    /// scheduler that dies mid-check delays a product, never loses it. On
    /// PostgreSQL, `FOR UPDATE SKIP LOCKED` lets several instances claim at
    /// once without ever claiming the same product.
    pub async fn claim_due(
        &self,
        owner: &str,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<DueProduct>> {
        const SQLITE: &str =
            "UPDATE products SET lease_owner = $1, lease_expires_at = $2 WHERE id IN (\
             SELECT p.id FROM products p WHERE p.next_check_at <= $3 \
             AND (p.lease_expires_at IS NULL OR p.lease_expires_at < $3) \
             AND EXISTS (SELECT 1 FROM watches w WHERE w.product_id = p.id AND w.state = 'active') \
             ORDER BY p.next_check_at, p.id LIMIT $4) \
             RETURNING id, canonical_url, etag, last_modified, consecutive_failures";
        const POSTGRES: &str =
            "UPDATE products SET lease_owner = $1, lease_expires_at = $2 WHERE id IN (\
             SELECT p.id FROM products p WHERE p.next_check_at <= $3 \
             AND (p.lease_expires_at IS NULL OR p.lease_expires_at < $3) \
             AND EXISTS (SELECT 1 FROM watches w WHERE w.product_id = p.id AND w.state = 'active') \
             ORDER BY p.next_check_at, p.id LIMIT $4 FOR UPDATE OF p SKIP LOCKED) \
             RETURNING id, canonical_url, etag, last_modified, consecutive_failures";
        let sql = self.dialect(SQLITE, POSTGRES);
        let rows: Vec<rows::DueRow> = on_pool!(self, |pool| {
            sqlx::query_as(sql)
                .bind(owner)
                .bind(now + lease_secs)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        let mut due: Vec<DueProduct> = rows.into_iter().map(DueProduct::from).collect();
        due.sort_by_key(|d| d.id);
        Ok(due)
    }

    /// Give back the leases `owner` holds (shutdown): another scheduler, or
    /// this one after a restart, checks those products without waiting.
    pub async fn release_leases(&self, owner: &str) -> Result<u64> {
        Ok(on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE products SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1",
            )
            .bind(owner)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }

    /// The plans of a product's active watchers: it is checked as often as
    /// the best of them allows.
    pub async fn watcher_plans(&self, product_id: i64) -> Result<Vec<crate::model::Plan>> {
        let names: Vec<String> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT DISTINCT u.plan FROM watches w JOIN users u ON u.id = w.user_id \
                 WHERE w.product_id = $1 AND w.state = 'active'",
            )
            .bind(product_id)
            .fetch_all(pool)
            .await?
        });
        names
            .iter()
            .map(|n| {
                crate::model::Plan::from_name(n)
                    .ok_or_else(|| StoreError::Corrupt(format!("plan {n:?}")))
            })
            .collect()
    }

    /// Record a check's result and what it means for every active watch on
    /// the product, in one transaction: the product's state, a price point
    /// if the price or availability changed, each watch's new reference,
    /// and the outbox rows (deduplicated by key, so a retried check never
    /// alerts twice). `decide` is called once per active watch with the
    /// product's state before and after, and the new price point's id.
    /// Nothing is written if `owner` no longer holds the lease.
    pub async fn apply_check<F>(
        &self,
        product_id: i64,
        owner: &str,
        result: &CheckResult,
        next_check_at: i64,
        now: i64,
        mut decide: F,
    ) -> Result<Applied>
    where
        F: FnMut(
            &WatchState,
            &crate::watching::Snapshot,
            &crate::watching::Snapshot,
            Option<i64>,
        ) -> WatchDecision,
    {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let held: Option<PriceColumns> = sqlx::query_as(
                "UPDATE products SET lease_owner = NULL, lease_expires_at = NULL, next_check_at = $3 \
                 WHERE id = $1 AND lease_owner = $2 RETURNING price, currency, availability",
            )
            .bind(product_id)
            .bind(owner)
            .bind(next_check_at)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((old_price, old_currency, old_availability)) = held else {
                tx.rollback().await?;
                return Ok(Applied {
                    applied: false,
                    price_changed: false,
                    notices: 0,
                });
            };
            let before = rows::snapshot(
                old_price.as_deref(),
                old_currency.as_deref(),
                &old_availability,
            )?;
            let mut after = before;
            let mut price_point = None;
            let mut changed = false;
            match result {
                CheckResult::Observed {
                    observation,
                    validators,
                    method,
                } => {
                    let price = observation.price.map(|m| m.amount.to_string());
                    let currency = observation.price.map(|m| m.currency.code());
                    let availability = observation.availability.as_str();
                    after = crate::watching::Snapshot {
                        price: observation.price,
                        availability: observation.availability,
                    };
                    changed = after != before;
                    sqlx::query(
                        "UPDATE products SET title = COALESCE($2, title), image_url = COALESCE($3, image_url), \
                         price = $4, currency = $5, availability = $6, extract_method = $7, etag = $8, \
                         last_modified = $9, last_checked_at = $10, consecutive_failures = 0, last_error = NULL \
                         WHERE id = $1",
                    )
                    .bind(product_id)
                    .bind(&observation.title)
                    .bind(&observation.image_url)
                    .bind(&price)
                    .bind(currency)
                    .bind(availability)
                    .bind(*method)
                    .bind(&validators.etag)
                    .bind(&validators.last_modified)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    if changed {
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO price_points (product_id, price, currency, availability, observed_at) \
                             VALUES ($1, $2, $3, $4, $5) RETURNING id",
                        )
                        .bind(product_id)
                        .bind(&price)
                        .bind(currency)
                        .bind(availability)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?;
                        price_point = Some(id);
                    }
                }
                CheckResult::NotModified => {
                    sqlx::query("UPDATE products SET last_checked_at = $2, consecutive_failures = 0, last_error = NULL WHERE id = $1")
                        .bind(product_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                CheckResult::Failed { error, .. } => {
                    sqlx::query(
                        "UPDATE products SET consecutive_failures = consecutive_failures + 1, last_error = $2 WHERE id = $1",
                    )
                    .bind(product_id)
                    .bind(error)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            let watches: Vec<rows::WatchStateRow> = sqlx::query_as(
                "SELECT id, user_id, item_no, target_price, target_currency, drop_percent, back_in_stock, \
                 reference_price, reference_currency, first_reported FROM watches \
                 WHERE product_id = $1 AND state = 'active' ORDER BY id",
            )
            .bind(product_id)
            .fetch_all(&mut *tx)
            .await?;
            let mut notices = 0;
            for row in watches {
                let watch = WatchState::try_from(row)?;
                let decision = decide(&watch, &before, &after, price_point);
                if decision.new_reference != watch.rule.reference || decision.mark_reported {
                    sqlx::query(
                        "UPDATE watches SET reference_price = $2, reference_currency = $3, \
                         first_reported = first_reported OR $4 WHERE id = $1",
                    )
                    .bind(watch.watch_id)
                    .bind(decision.new_reference.map(|m| m.amount.to_string()))
                    .bind(decision.new_reference.map(|m| m.currency.code()))
                    .bind(decision.mark_reported)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some((key, notice)) = decision.notice {
                    let payload = serde_json::to_string(&notice)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let inserted = sqlx::query(
                        "INSERT INTO outbox (user_id, kind, dedupe_key, payload, next_attempt_at, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (dedupe_key) DO NOTHING",
                    )
                    .bind(watch.user_id.0)
                    .bind(notice.kind())
                    .bind(&key)
                    .bind(&payload)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    notices += inserted as usize;
                }
            }
            tx.commit().await?;
            Ok(Applied {
                applied: true,
                price_changed: changed,
                notices,
            })
        })
    }

    /// A product's lowest recorded price in one currency.
    pub async fn lowest_price(
        &self,
        product_id: i64,
        currency: crate::money::Currency,
    ) -> Result<Option<crate::money::Money>> {
        let prices: Vec<String> = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT price FROM price_points WHERE product_id = $1 AND currency = $2 AND price IS NOT NULL")
                .bind(product_id)
                .bind(currency.code())
                .fetch_all(pool)
                .await?
        });
        Ok(prices
            .iter()
            .filter_map(|p| rust_decimal::Decimal::from_str(p).ok())
            .min()
            .map(|amount| crate::money::Money::new(amount, currency)))
    }

    /// Title and URL of a product, for notices.
    pub async fn product_label(&self, product_id: i64) -> Result<(Option<String>, String)> {
        let row: (Option<String>, String) = on_pool!(self, |pool| {
            sqlx::query_as("SELECT title, canonical_url FROM products WHERE id = $1")
                .bind(product_id)
                .fetch_one(pool)
                .await?
        });
        Ok(row)
    }

    /// Claim pending outbox rows that a chat platform can deliver (the user
    /// has a non-console identity that has not opted out), oldest first.
    pub async fn claim_outbox(
        &self,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<OutboxRow>> {
        const SQLITE: &str = "UPDATE outbox SET claimed_until = $1 WHERE id IN (\
             SELECT o.id FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= $2 \
             AND (o.claimed_until IS NULL OR o.claimed_until < $2) \
             AND EXISTS (SELECT 1 FROM identities i WHERE i.user_id = o.user_id AND i.channel <> 'console' \
                         AND NOT i.opted_out AND i.disabled_reason IS NULL) \
             ORDER BY o.id LIMIT $3) RETURNING id, user_id, payload, attempts, sending_since, identity_id";
        const POSTGRES: &str = "UPDATE outbox SET claimed_until = $1 WHERE id IN (\
             SELECT o.id FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= $2 \
             AND (o.claimed_until IS NULL OR o.claimed_until < $2) \
             AND EXISTS (SELECT 1 FROM identities i WHERE i.user_id = o.user_id AND i.channel <> 'console' \
                         AND NOT i.opted_out AND i.disabled_reason IS NULL) \
             ORDER BY o.id LIMIT $3 FOR UPDATE OF o SKIP LOCKED) RETURNING id, user_id, payload, attempts, sending_since, identity_id";
        let sql = self.dialect(SQLITE, POSTGRES);
        let mut rows: Vec<OutboxRow> = on_pool!(self, |pool| {
            sqlx::query_as(sql)
                .bind(now + lease_secs)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// A user's identities that can receive messages, most recently active first.
    pub async fn reachable_identities(&self, user: UserId) -> Result<Vec<Identity>> {
        let rows: Vec<rows::IdentityRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, user_id, channel, external_id, reply_address, opted_out, last_inbound_at, private_chat FROM identities \
                 WHERE user_id = $1 AND channel <> 'console' AND NOT opted_out AND disabled_reason IS NULL \
                 ORDER BY last_inbound_at DESC, id DESC",
            )
            .bind(user.0)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Identity::try_from).collect()
    }

    /// Put an outbox row back: try again at `at` (an attempt when
    /// `attempted`, a hold such as quiet hours when not), or give up.
    pub async fn outbox_later(
        &self,
        id: i64,
        at: Option<i64>,
        attempted: bool,
        error: Option<&str>,
    ) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE outbox SET claimed_until = NULL, sending_since = NULL, next_attempt_at = COALESCE($2, next_attempt_at), \
                 attempts = attempts + $3, last_error = COALESCE($4, last_error), \
                 state = CASE WHEN $2 IS NULL THEN 'dead' ELSE state END WHERE id = $1",
            )
            .bind(id)
            .bind(at)
            .bind(i64::from(attempted))
            .bind(error)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    // ----- inbound messages ------------------------------------------------

    /// Store an inbound message before its provider is answered. Returns
    /// false for a redelivery (same channel and provider id): it is not
    /// processed again.
    pub async fn accept_inbound(
        &self,
        channel: dealwatch_bots::Channel,
        provider_id: &str,
        sender_id: &str,
        payload: &str,
        now: i64,
    ) -> Result<bool> {
        let inserted = on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO inbound_messages (channel, provider_message_id, payload, received_at, next_attempt_at, sender_key) \
                 VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT (channel, provider_message_id) DO NOTHING",
            )
            .bind(channel.as_str())
            .bind(provider_id)
            .bind(payload)
            .bind(now)
            .bind(format!("{channel}:{sender_id}"))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Claim inbound messages to process, oldest first: accepted or handled
    /// (replies not yet sent), due, not claimed by a live worker, and each
    /// its sender's oldest unfinished message. So a claim holds at most one
    /// message per person (in flight or waiting out a retry, it holds back
    /// only that person's later ones), and people are served side by side.
    pub async fn claim_inbound(
        &self,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<InboundRow>> {
        const SQLITE: &str = "UPDATE inbound_messages SET claimed_until = $1 WHERE id IN (\
             SELECT m.id FROM inbound_messages m WHERE m.state IN ('accepted', 'handled') AND m.next_attempt_at <= $2 \
             AND (m.claimed_until IS NULL OR m.claimed_until < $2) \
             AND NOT EXISTS (SELECT 1 FROM inbound_messages e WHERE e.sender_key = m.sender_key \
                 AND e.id < m.id AND e.state IN ('accepted', 'handled')) \
             ORDER BY m.id LIMIT $3) \
             RETURNING id, state, payload, replies, attempts";
        const POSTGRES: &str = "UPDATE inbound_messages SET claimed_until = $1 WHERE id IN (\
             SELECT m.id FROM inbound_messages m WHERE m.state IN ('accepted', 'handled') AND m.next_attempt_at <= $2 \
             AND (m.claimed_until IS NULL OR m.claimed_until < $2) \
             AND NOT EXISTS (SELECT 1 FROM inbound_messages e WHERE e.sender_key = m.sender_key \
                 AND e.id < m.id AND e.state IN ('accepted', 'handled')) \
             ORDER BY m.id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id, state, payload, replies, attempts";
        let sql = self.dialect(SQLITE, POSTGRES);
        let mut rows: Vec<InboundRow> = on_pool!(self, |pool| {
            sqlx::query_as(sql)
                .bind(now + lease_secs)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Claim one just-accepted message by its provider id, to act on it
    /// while the provider waits (Twilio's synchronous TwiML answer). `None`
    /// when a worker has it already.
    pub async fn claim_inbound_message(
        &self,
        channel: dealwatch_bots::Channel,
        provider_id: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<Option<InboundRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(
                "UPDATE inbound_messages SET claimed_until = $3 WHERE channel = $1 \
                 AND provider_message_id = $2 AND state = 'accepted' \
                 AND (claimed_until IS NULL OR claimed_until < $4) \
                 RETURNING id, state, payload, replies, attempts",
            )
            .bind(channel.as_str())
            .bind(provider_id)
            .bind(now + lease_secs)
            .bind(now)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Give claimed messages back at once (shutdown): another worker, or
    /// this one after a restart, takes them without waiting out the claim.
    pub async fn inbound_release(&self, ids: &[i64]) -> Result<()> {
        const SQLITE: &str = "UPDATE inbound_messages SET claimed_until = NULL \
             WHERE id IN (SELECT value FROM json_each($1))";
        const POSTGRES: &str = "UPDATE inbound_messages SET claimed_until = NULL \
             WHERE id IN (SELECT jsonb_array_elements_text($1::text::jsonb)::bigint)";
        let sql = self.dialect(SQLITE, POSTGRES);
        let ids = serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        on_pool!(self, |pool| {
            sqlx::query(sql).bind(&ids).execute(pool).await?;
        });
        Ok(())
    }

    /// The command was acted on; keep the replies until they are sent.
    pub async fn inbound_handled(&self, id: i64, replies: &str) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE inbound_messages SET state = 'handled', replies = $2 WHERE id = $1",
            )
            .bind(id)
            .bind(replies)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Replies sent: the message is done.
    pub async fn inbound_processed(&self, id: i64, now: i64) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE inbound_messages SET state = 'processed', processed_at = $2, claimed_until = NULL, \
                 attempts = attempts + 1, replies = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Something failed: try again at `retry_at`, or give up (`failed`).
    pub async fn inbound_retry(&self, id: i64, error: &str, retry_at: Option<i64>) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE inbound_messages SET attempts = attempts + 1, last_error = $2, claimed_until = NULL, \
                 next_attempt_at = COALESCE($3, next_attempt_at), \
                 state = CASE WHEN $3 IS NULL THEN 'failed' ELSE state END, \
                 replies = CASE WHEN $3 IS NULL THEN NULL ELSE replies END WHERE id = $1",
            )
            .bind(id)
            .bind(error)
            .bind(retry_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Counts of inbound messages by state (for tests and operators).
    pub async fn inbound_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT state, COUNT(*) FROM inbound_messages GROUP BY state ORDER BY state",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Put a notice for a user in the outbox (deduplicated by `key`).
    /// Returns whether it was new.
    pub async fn enqueue_notice(
        &self,
        user: UserId,
        key: &str,
        notice: &crate::watching::Notice,
        now: i64,
    ) -> Result<bool> {
        let payload =
            serde_json::to_string(notice).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let inserted = on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO outbox (user_id, kind, dedupe_key, payload, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (dedupe_key) DO NOTHING",
            )
            .bind(user.0)
            .bind(notice.kind())
            .bind(key)
            .bind(&payload)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    // ----- outbox ----------------------------------------------------------

    /// Pending notices for one user, oldest first.
    pub async fn pending_notices(
        &self,
        user: UserId,
        now: i64,
        limit: u32,
    ) -> Result<Vec<(i64, crate::watching::Notice)>> {
        let rows: Vec<(i64, String)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, payload FROM outbox WHERE user_id = $1 AND state = 'pending' AND next_attempt_at <= $2 \
                 ORDER BY id LIMIT $3",
            )
            .bind(user.0)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, payload)| {
                serde_json::from_str(&payload)
                    .map(|n| (id, n))
                    .map_err(|e| StoreError::Corrupt(format!("outbox {id}: {e}")))
            })
            .collect()
    }

    /// Mark an outbox row delivered, with the provider's message id and the
    /// identity it went to (`None` for the console).
    pub async fn mark_sent(
        &self,
        outbox_id: i64,
        provider_message_id: Option<&str>,
        identity: Option<i64>,
        now: i64,
    ) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE outbox SET state = 'sent', sent_at = $2, provider_message_id = $3, \
                 attempts = attempts + 1, identity_id = COALESCE($4, identity_id), \
                 claimed_until = NULL, sending_since = NULL WHERE id = $1",
            )
            .bind(outbox_id)
            .bind(now)
            .bind(provider_message_id)
            .bind(identity)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Record that a send of an outbox row to `identity` is starting. If
    /// the process dies before [`Store::mark_sent`] or
    /// [`Store::outbox_later`], the row comes back with `sending_since` set.
    pub async fn outbox_sending(&self, id: i64, identity: Option<i64>, now: i64) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE outbox SET sending_since = $2, identity_id = COALESCE($3, identity_id) WHERE id = $1",
            )
            .bind(id)
            .bind(now)
            .bind(identity)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Let claimed rows go again untouched (their user is being served),
    /// in one statement: the ids travel as a JSON array.
    pub async fn outbox_release(&self, ids: &[i64]) -> Result<()> {
        const SQLITE: &str = "UPDATE outbox SET claimed_until = NULL \
             WHERE id IN (SELECT value FROM json_each($1))";
        const POSTGRES: &str = "UPDATE outbox SET claimed_until = NULL \
             WHERE id IN (SELECT jsonb_array_elements_text($1::text::jsonb)::bigint)";
        let sql = self.dialect(SQLITE, POSTGRES);
        let ids = serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        on_pool!(self, |pool| {
            sqlx::query(sql).bind(&ids).execute(pool).await?;
        });
        Ok(())
    }

    /// Hold an alert for the user's next digest at `at`.
    pub async fn hold_for_digest(&self, id: i64, at: i64) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE outbox SET state = 'held', next_attempt_at = $2, claimed_until = NULL, \
                 sending_since = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Alerts (not digests, not replies to commands) delivered to a user
    /// since `since`, for the daily cap.
    pub async fn alerts_sent_since(&self, user: UserId, since: i64) -> Result<u32> {
        let n: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox WHERE user_id = $1 AND state = 'sent' AND sent_at >= $2 \
                 AND kind IN ('watch_alert', 'deal_match') AND identity_id IS NOT NULL",
            )
            .bind(user.0)
            .bind(since)
            .fetch_one(pool)
            .await?
        });
        u32::try_from(n).map_err(|_| StoreError::Corrupt("negative count".into()))
    }

    /// Turn each user's held alerts that are due by `now` into one digest
    /// notice: `make` builds it from their payloads (oldest first). The
    /// held rows become `merged`, pointing at the digest; all in one
    /// transaction, so an alert is in exactly one digest. Returns how many
    /// digests were queued.
    pub async fn make_digests<F>(&self, now: i64, limit: u32, make: F) -> Result<usize>
    where
        F: Fn(&[String]) -> Option<crate::watching::Notice>,
    {
        let users: Vec<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT DISTINCT user_id FROM outbox WHERE state = 'held' AND next_attempt_at <= $1 LIMIT $2",
            )
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        const CLAIM_SQLITE: &str =
            "UPDATE outbox SET state = 'merging' WHERE state = 'held' AND user_id = $1 \
             AND next_attempt_at <= $2 RETURNING id, payload";
        const CLAIM_POSTGRES: &str = "UPDATE outbox SET state = 'merging' WHERE id IN (SELECT id FROM outbox \
             WHERE state = 'held' AND user_id = $1 AND next_attempt_at <= $2 FOR UPDATE SKIP LOCKED) RETURNING id, payload";
        let claim = self.dialect(CLAIM_SQLITE, CLAIM_POSTGRES);
        let mut made = 0;
        for user in users {
            on_pool!(self, |pool| {
                let mut tx = pool.begin().await?;
                let mut held: Vec<(i64, String)> = sqlx::query_as(claim)
                    .bind(user)
                    .bind(now)
                    .fetch_all(&mut *tx)
                    .await?;
                held.sort_by_key(|(id, _)| *id);
                let (ids, payloads): (Vec<i64>, Vec<String>) = held.into_iter().unzip();
                let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
                    continue;
                };
                let Some(notice) = make(&payloads) else {
                    // Nothing readable: the rows can never be sent.
                    sqlx::query("UPDATE outbox SET state = 'dead', last_error = 'unreadable' WHERE state = 'merging' AND user_id = $1")
                        .bind(user)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    continue;
                };
                let payload = serde_json::to_string(&notice)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let key = format!("digest:{user}:{first}:{last}");
                let digest: i64 = sqlx::query_scalar(
                    "INSERT INTO outbox (user_id, kind, dedupe_key, payload, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                )
                .bind(user)
                .bind(notice.kind())
                .bind(&key)
                .bind(&payload)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE outbox SET state = 'merged', digest_id = $1 WHERE state = 'merging' AND user_id = $2",
                )
                .bind(digest)
                .bind(user)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                made += 1;
            });
        }
        Ok(made)
    }

    /// Stop sending to an identity the platform says cannot be reached
    /// (blocked, unsubscribed, gone). Writing to us again clears it.
    pub async fn disable_identity(&self, identity: i64, why: &str) -> Result<bool> {
        let changed = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE identities SET disabled_reason = $2 WHERE id = $1 AND disabled_reason IS NULL",
            )
            .bind(identity)
            .bind(why)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Record what platforms reported about messages we sent. Each distinct
    /// status of a message is kept once (redeliveries and out-of-order
    /// reports change nothing); returns how many were new.
    pub async fn record_statuses(
        &self,
        statuses: &[dealwatch_bots::DeliveryStatus],
        now: i64,
    ) -> Result<u64> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let mut new = 0;
            for status in statuses {
                new += sqlx::query(
                    "INSERT INTO delivery_statuses (channel, provider_message_id, status, recipient, \
                     error, reported_at, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(status.channel.as_str())
                .bind(&status.message_id)
                .bind(&status.status)
                .bind(&status.recipient)
                .bind(&status.error)
                .bind(status.at)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            Ok(new)
        })
    }

    /// The statuses recorded for one sent message, oldest report first:
    /// `(status, error)`.
    pub async fn delivery_statuses(
        &self,
        channel: dealwatch_bots::Channel,
        provider_message_id: &str,
    ) -> Result<Vec<(String, Option<String>)>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT status, error FROM delivery_statuses WHERE channel = $1 \
                 AND provider_message_id = $2 ORDER BY reported_at, status",
            )
            .bind(channel.as_str())
            .bind(provider_message_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// How many notices went to a user by SMS since `since`.
    pub async fn sms_sent_since(&self, user: UserId, since: i64) -> Result<u32> {
        let n: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox o JOIN identities i ON i.id = o.identity_id \
                 WHERE o.user_id = $1 AND i.channel = 'sms' AND o.state = 'sent' AND o.sent_at >= $2",
            )
            .bind(user.0)
            .bind(since)
            .fetch_one(pool)
            .await?
        });
        u32::try_from(n).map_err(|_| StoreError::Corrupt("negative count".into()))
    }

    /// A consistent copy of the live database in `dest`, taken online.
    /// SQLite only: `VACUUM INTO` writes a compact, transactionally
    /// consistent snapshot while the service keeps running.
    pub async fn backup(&self, dest: &Path) -> Result<()> {
        let Db::Sqlite(pool) = &self.db else {
            return Err(StoreError::Backup(
                "backup of PostgreSQL is pg_dump's job: pg_dump --format=custom \"$DATABASE_URL\" > FILE".into(),
            ));
        };
        if dest.exists() {
            return Err(StoreError::Backup(format!(
                "{} already exists; not overwriting it",
                dest.display()
            )));
        }
        let dest = dest
            .to_str()
            .ok_or_else(|| StoreError::Backup("the backup path must be valid UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(dest)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Replace this SQLite database with the backup in `source`, after
    /// checking the backup's integrity and that it is a Dealwatch database
    /// no newer than this binary. Stop `dealwatch serve` first.
    pub async fn restore(self, source: &Path) -> Result<Store> {
        let Some(target) = self.sqlite_path.clone() else {
            return Err(StoreError::Backup(
                "restore of PostgreSQL is pg_restore's job: pg_restore --clean -d \"$DATABASE_URL\" FILE".into(),
            ));
        };
        verify_backup(source).await?;
        self.close().await;
        let staging = target.with_extension("restoring");
        std::fs::copy(source, &staging)
            .map_err(|e| StoreError::Backup(format!("copying the backup: {e}")))?;
        for suffix in ["-wal", "-shm"] {
            let mut side = target.clone().into_os_string();
            side.push(suffix);
            match std::fs::remove_file(&side) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(StoreError::Backup(format!(
                        "removing {}: {e}",
                        PathBuf::from(side).display()
                    )))
                }
            }
        }
        std::fs::rename(&staging, &target)
            .map_err(|e| StoreError::Backup(format!("replacing the database: {e}")))?;
        let url = format!("sqlite://{}", target.display());
        Store::open(&url).await
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

/// An outbox row claimed for delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub user_id: i64,
    pub payload: String,
    pub attempts: i64,
    /// Set when a send started and its outcome was never recorded (the
    /// process died): it may or may not have been delivered.
    pub sending_since: Option<i64>,
    /// The identity that send went to.
    pub identity_id: Option<i64>,
}

/// What using a link code did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkOutcome {
    /// Joined. The surviving account is on the better of the two plans,
    /// renewing then; its limits still have to be applied to what moved.
    Linked { plan: Plan, renews_at: Option<i64> },
    /// Both accounts pay for a subscription: joining would leave one of them
    /// paying for nothing, so nothing was done and the code still works.
    BothPaying,
    /// This identity already belongs to the code's user.
    AlreadyLinked,
    /// Unknown, used or expired.
    Invalid,
}

/// What redeeming a link code would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPreview {
    /// The code belongs to the redeemer's own account already.
    pub same_account: bool,
    /// The chat apps the code's account uses.
    pub channels: Vec<dealwatch_bots::Channel>,
    /// The code's account's plan.
    pub plan: Plan,
    /// The redeemer's watches and alerts, which would move.
    pub watches: u32,
    pub rules: u32,
}

/// An inbound message claimed for processing.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboundRow {
    pub id: i64,
    /// `accepted` (not acted on yet) or `handled` (replies not yet sent).
    pub state: String,
    pub payload: String,
    pub replies: Option<String>,
    pub attempts: i64,
}

/// A product's price, currency and availability columns.
type PriceColumns = (Option<String>, Option<String>, String);

/// The current time as stored: UTC Unix seconds.
pub use dealwatch_bots::unix_now;

pub use rows::Contact;
