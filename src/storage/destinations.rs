//! Community destinations: where deals are posted for a group of people,
//! owned by the person who registered them.

use super::*;
use crate::model::QuietHours;

/// The kind of a Discord channel reached through a webhook URL.
pub const DISCORD_WEBHOOK: &str = "discord_webhook";

/// A registered destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub id: i64,
    pub owner: UserId,
    pub kind: String,
    pub name: String,
    /// The webhook's id (not secret).
    pub external_id: String,
    /// The webhook's token, sealed; open it with the process's sealer.
    pub sealed_secret: Option<String>,
    pub channel_id: Option<String>,
    pub guild_id: Option<String>,
    /// `None` while active; why it stopped otherwise.
    pub disabled: Option<String>,
    pub created_at: i64,
    /// Most posts a day (the owner's day).
    pub daily_cap: u32,
    /// No posts in this window (the owner's time zone); held until it ends.
    pub quiet: Option<QuietHours>,
    /// Posts so far on the day that starts at `posts_day` (UTC seconds).
    pub posts_day: Option<i64>,
    pub posts_count: u32,
}

/// A community's daily cap when its owner has not set one: enough for a
/// busy deals channel, far under what a broad rule could match.
pub const DEFAULT_COMMUNITY_CAP: u32 = 50;

/// A destination to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDestination {
    pub kind: &'static str,
    pub name: String,
    pub external_id: String,
    pub sealed_secret: String,
    pub channel_id: Option<String>,
    pub guild_id: Option<String>,
}

/// What adding a destination did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestinationAdded {
    Added,
    /// The owner has this one already, under this name (its secret is
    /// renewed and it is active again).
    Again {
        name: String,
    },
    /// The name is in use for another one.
    NameTaken,
    /// The owner's plan allows no more.
    Limit,
}

#[derive(sqlx::FromRow)]
struct DestinationRow {
    id: i64,
    owner_id: i64,
    kind: String,
    name: String,
    external_id: String,
    sealed_secret: Option<String>,
    channel_id: Option<String>,
    guild_id: Option<String>,
    state: String,
    disabled_reason: Option<String>,
    created_at: i64,
    daily_cap: Option<i64>,
    quiet_start: Option<i64>,
    quiet_end: Option<i64>,
    posts_day: Option<i64>,
    posts_count: i64,
}

const COLUMNS: &str =
    "id, owner_id, kind, name, external_id, sealed_secret, channel_id, guild_id, \
     state, disabled_reason, created_at, daily_cap, quiet_start, quiet_end, posts_day, posts_count";

impl From<DestinationRow> for Destination {
    fn from(row: DestinationRow) -> Destination {
        let disabled = (row.state != "active")
            .then(|| row.disabled_reason.unwrap_or_else(|| row.state.clone()));
        let minutes = |m: Option<i64>| m.and_then(crate::model::TimeOfDay::from_minutes);
        let quiet = match (minutes(row.quiet_start), minutes(row.quiet_end)) {
            (Some(start), Some(end)) => Some(QuietHours { start, end }),
            _ => None,
        };
        Destination {
            daily_cap: row
                .daily_cap
                .and_then(|c| u32::try_from(c).ok())
                .unwrap_or(DEFAULT_COMMUNITY_CAP),
            quiet,
            posts_day: row.posts_day,
            posts_count: u32::try_from(row.posts_count).unwrap_or(0),
            id: row.id,
            owner: UserId(row.owner_id),
            kind: row.kind,
            name: row.name,
            external_id: row.external_id,
            sealed_secret: row.sealed_secret,
            channel_id: row.channel_id,
            guild_id: row.guild_id,
            disabled,
            created_at: row.created_at,
        }
    }
}

impl Store {
    /// A person's destinations, oldest first.
    pub async fn destinations(&self, owner: UserId) -> Result<Vec<Destination>> {
        let sql = format!("SELECT {COLUMNS} FROM destinations WHERE owner_id = $1 ORDER BY id");
        let rows: Vec<DestinationRow> = on_pool!(self, |pool| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(owner.0)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(Destination::from).collect())
    }

    /// A destination by its id.
    pub async fn destination_by_id(&self, id: i64) -> Result<Option<Destination>> {
        let sql = format!("SELECT {COLUMNS} FROM destinations WHERE id = $1");
        let row: Option<DestinationRow> = on_pool!(self, |pool| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Destination::from))
    }

    /// Stop posting to a destination the platform no longer takes: it is
    /// disabled and its active rules paused. Its owner and name when this
    /// disabled it (`None` when it was disabled already, or is gone).
    pub async fn disable_destination(
        &self,
        id: i64,
        why: &str,
    ) -> Result<Option<(UserId, String)>> {
        let mut unit = self.begin().await?;
        let disabled: Option<(i64, String)> = in_unit!(unit, |conn| {
            let disabled: Option<(i64, String)> = sqlx::query_as(
                "UPDATE destinations SET state = 'disabled', disabled_reason = $2 \
                 WHERE id = $1 AND state = 'active' RETURNING owner_id, name",
            )
            .bind(id)
            .bind(why)
            .fetch_optional(&mut *conn)
            .await?;
            if disabled.is_some() {
                sqlx::query(
                    "UPDATE rules SET state = 'paused' WHERE destination_id = $1 AND state = 'active'",
                )
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
            disabled
        });
        unit.commit().await?;
        Ok(disabled.map(|(owner, name)| (UserId(owner), name)))
    }

    /// Count a post to a destination on the day starting at `day`.
    pub async fn destination_posted(&self, id: i64, day: i64) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE destinations SET posts_count = CASE WHEN posts_day = $2 THEN posts_count + 1 ELSE 1 END, \
                 posts_day = $2 WHERE id = $1",
            )
            .bind(id)
            .bind(day)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// One of a person's destinations by name (any case).
    pub async fn destination(&self, owner: UserId, name: &str) -> Result<Option<Destination>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM destinations WHERE owner_id = $1 AND LOWER(name) = LOWER($2)"
        );
        let row: Option<DestinationRow> = on_pool!(self, |pool| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(owner.0)
                .bind(name)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Destination::from))
    }
}

impl Unit {
    /// Register a destination for `owner`, within `limit` destinations.
    /// The same webhook again renews its secret and makes it active.
    pub async fn add_destination(
        &mut self,
        owner: UserId,
        new: &NewDestination,
        limit: u32,
        now: i64,
    ) -> Result<DestinationAdded> {
        in_unit!(self, |conn| {
            // Serialise this owner's changes (the user row is the lock on
            // PostgreSQL; SQLite's unit holds the write lock already).
            sqlx::query("UPDATE users SET updated_at = $2 WHERE id = $1")
                .bind(owner.0)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            let again: Option<String> = sqlx::query_scalar(
                "UPDATE destinations SET sealed_secret = $4, channel_id = $5, guild_id = $6, \
                 state = 'active', disabled_reason = NULL \
                 WHERE owner_id = $1 AND kind = $2 AND external_id = $3 RETURNING name",
            )
            .bind(owner.0)
            .bind(new.kind)
            .bind(&new.external_id)
            .bind(&new.sealed_secret)
            .bind(new.channel_id.as_deref())
            .bind(new.guild_id.as_deref())
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(name) = again {
                return Ok(DestinationAdded::Again { name });
            }
            // A new webhook for a stopped destination of that name replaces
            // its old one; its rules stay with it (paused until resumed).
            let replaced: Option<String> = sqlx::query_scalar(
                "UPDATE destinations SET external_id = $4, sealed_secret = $5, channel_id = $6, guild_id = $7, \
                 state = 'active', disabled_reason = NULL \
                 WHERE owner_id = $1 AND kind = $2 AND LOWER(name) = LOWER($3) AND state <> 'active' RETURNING name",
            )
            .bind(owner.0)
            .bind(new.kind)
            .bind(&new.name)
            .bind(&new.external_id)
            .bind(&new.sealed_secret)
            .bind(new.channel_id.as_deref())
            .bind(new.guild_id.as_deref())
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(name) = replaced {
                return Ok(DestinationAdded::Again { name });
            }
            let (count, taken): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN LOWER(name) = LOWER($2) THEN 1 ELSE 0 END), 0) \
                 FROM destinations WHERE owner_id = $1",
            )
            .bind(owner.0)
            .bind(&new.name)
            .fetch_one(&mut *conn)
            .await?;
            if taken > 0 {
                return Ok(DestinationAdded::NameTaken);
            }
            if count >= i64::from(limit) {
                return Ok(DestinationAdded::Limit);
            }
            sqlx::query(
                "INSERT INTO destinations (owner_id, kind, name, external_id, sealed_secret, channel_id, \
                 guild_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(owner.0)
            .bind(new.kind)
            .bind(&new.name)
            .bind(&new.external_id)
            .bind(&new.sealed_secret)
            .bind(new.channel_id.as_deref())
            .bind(new.guild_id.as_deref())
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Ok(DestinationAdded::Added)
        })
    }

    /// Set a destination's daily cap and/or quiet hours (`None`: leave it);
    /// its name as stored, or `None` if `owner` has none by that name.
    pub async fn destination_controls(
        &mut self,
        owner: UserId,
        name: &str,
        cap: Option<u32>,
        quiet: Option<Option<QuietHours>>,
    ) -> Result<Option<String>> {
        let (set_quiet, start, end) = match quiet {
            None => (false, None, None),
            Some(None) => (true, None, None),
            Some(Some(q)) => (
                true,
                Some(i64::from(q.start.minutes())),
                Some(i64::from(q.end.minutes())),
            ),
        };
        Ok(in_unit!(self, |conn| {
            sqlx::query_scalar(
                "UPDATE destinations SET daily_cap = COALESCE($3, daily_cap), \
                 quiet_start = CASE WHEN $4 THEN $5 ELSE quiet_start END, \
                 quiet_end = CASE WHEN $4 THEN $6 ELSE quiet_end END \
                 WHERE owner_id = $1 AND LOWER(name) = LOWER($2) RETURNING name",
            )
            .bind(owner.0)
            .bind(name)
            .bind(cap.map(i64::from))
            .bind(set_quiet)
            .bind(start)
            .bind(end)
            .fetch_optional(&mut *conn)
            .await?
        }))
    }

    /// Remove one of `owner`'s destinations by name (any case); its name
    /// as stored, or `None` if they have none by that name.
    pub async fn remove_destination(
        &mut self,
        owner: UserId,
        name: &str,
    ) -> Result<Option<String>> {
        Ok(in_unit!(self, |conn| {
            sqlx::query_scalar(
                "DELETE FROM destinations WHERE owner_id = $1 AND LOWER(name) = LOWER($2) RETURNING name",
            )
            .bind(owner.0)
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?
        }))
    }
}
