//! One transaction that several changes share.
//!
//! A [`Unit`] is what makes acting on a message exactly-once: the core's
//! changes (a new alert, paused items, saved settings), the message's
//! replies and its `processed` mark are written through one unit and
//! commit together or not at all. A crash anywhere before the commit
//! leaves nothing of the command behind, and the message is acted on again
//! from scratch; after it, the message is done and never acted on twice.
//!
//! A change that could write part of itself and then be refused (a watch
//! past the plan limit after its product row, a link code that turns out
//! to be one's own) keeps its own all-or-nothing step inside the unit, a
//! savepoint; the others decide before writing anything but the user's
//! `updated_at`, and spare the unit those two statements.

use super::*;
use sqlx::{Postgres, Sqlite};

pub(super) enum UnitTx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// Run the same body against whichever transaction is open, with `$conn`
/// the connection inside it; like `on_pool!`, the body is compiled once
/// per backend.
macro_rules! in_unit {
    ($unit:expr, |$conn:ident| $body:expr) => {
        match &mut $unit.tx {
            $crate::storage::unit::UnitTx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::storage::unit::UnitTx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

/// An open transaction for changes that must land together; dropped
/// without [`Unit::commit`], nothing of it is kept.
pub struct Unit {
    pub(super) tx: UnitTx,
    /// Who wrote, recorded at commit in one statement for the whole unit
    /// (a group commit holds hundreds of messages; one round trip each
    /// was the largest share of a unit's statements).
    pub(super) touches: Vec<Touched>,
}

/// A message's sender, to be recorded on their identity at commit.
#[derive(Debug, Clone)]
pub(super) struct Touched {
    pub identity: i64,
    pub reply_address: String,
    pub display_name: Option<String>,
    pub private: bool,
    pub now: i64,
}

impl std::fmt::Debug for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Unit")
    }
}

impl Store {
    /// Open a unit. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a unit always writes, and taking the lock late could
    /// fail without waiting when another writer holds it.
    pub async fn begin(&self) -> Result<Unit> {
        let tx = match &self.db {
            Db::Sqlite(pool) => UnitTx::Sqlite(
                self.sqlite_writer(pool)
                    .begin_with("BEGIN IMMEDIATE")
                    .await?,
            ),
            Db::Postgres(pool) => UnitTx::Postgres(pool.begin().await?),
        };
        Ok(Unit {
            tx,
            touches: Vec::new(),
        })
    }
}

impl Unit {
    /// Keep everything written through this unit.
    pub async fn commit(mut self) -> Result<()> {
        self.write_touches().await?;
        match self.tx {
            UnitTx::Sqlite(tx) => tx.commit().await?,
            UnitTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}
