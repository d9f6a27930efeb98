//! Community destinations: where deals are posted for a group of people,
//! owned by the person who registered them.

use super::*;
use crate::model::QuietHours;
use dealwatch_bots::Channel;

/// The kind of a Discord channel reached through a webhook URL.
pub const DISCORD_WEBHOOK: &str = "discord_webhook";
/// A Discord channel the bot posts in (`external_id`: the channel id).
pub const DISCORD_CHANNEL: &str = "discord_channel";
/// A Telegram group or supergroup (`external_id`: the chat id).
pub const TELEGRAM_GROUP: &str = "telegram_group";
/// A Telegram channel (`external_id`: the chat id).
pub const TELEGRAM_CHANNEL: &str = "telegram_channel";

/// The kind of destination a shared chat is, if it can be one.
pub fn chat_kind(channel: Channel, kind: dealwatch_bots::GroupKind) -> Option<&'static str> {
    use dealwatch_bots::GroupKind;
    match (channel, kind) {
        (Channel::Discord, GroupKind::Group) => Some(DISCORD_CHANNEL),
        (Channel::Telegram, GroupKind::Group) => Some(TELEGRAM_GROUP),
        (Channel::Telegram, GroupKind::Broadcast) => Some(TELEGRAM_CHANNEL),
        _ => None,
    }
}

/// The chat platform a destination's posts go through (a webhook is a
/// Discord one, but needs no bot).
pub fn destination_channel(kind: &str) -> Option<Channel> {
    match kind {
        DISCORD_CHANNEL => Some(Channel::Discord),
        TELEGRAM_GROUP | TELEGRAM_CHANNEL => Some(Channel::Telegram),
        _ => None,
    }
}

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
    /// Deals collected into one post a day or a week.
    pub digest: crate::model::Digest,
    /// Its own time zone for quiet hours and digests; `None`: its owner's.
    pub time_zone: Option<String>,
    /// A Discord role mentioned in each post.
    pub mention_role: Option<String>,
}

/// Changes to a community's settings (`None`: leave it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Controls {
    pub cap: Option<u32>,
    pub quiet: Option<Option<QuietHours>>,
    pub digest: Option<crate::model::Digest>,
    pub time_zone: Option<String>,
    pub mention_role: Option<Option<String>>,
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
    /// A credential to reach it (a webhook's token), sealed.
    pub sealed_secret: Option<String>,
    pub channel_id: Option<String>,
    pub guild_id: Option<String>,
}

/// A shared chat's destination, found or made for a rule typed there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatDestination {
    Found {
        id: i64,
        owner: UserId,
        name: String,
    },
    /// The person who would own it may register no more.
    Limit,
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
    digest_mode: String,
    digest_minute: i64,
    digest_weekday: i64,
    time_zone: Option<String>,
    mention_role: Option<String>,
}

const COLUMNS: &str =
    "id, owner_id, kind, name, external_id, sealed_secret, channel_id, guild_id, \
     state, disabled_reason, created_at, daily_cap, quiet_start, quiet_end, posts_day, posts_count, \
     digest_mode, digest_minute, digest_weekday, time_zone, mention_role";

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
            digest: rows::digest_from_columns(
                &row.digest_mode,
                row.digest_minute,
                row.digest_weekday,
            )
            .unwrap_or(crate::model::Digest::Off),
            time_zone: row.time_zone,
            mention_role: row.mention_role,
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

/// Communities: the shared chats and webhooks deals are posted to, and their alerts.
/// Reached through [`Store::destinations`].
#[derive(Clone, Copy, Debug)]
pub struct Destinations<'a>(pub(super) &'a Store);

impl Destinations<'_> {
    /// A person's destinations, oldest first.
    pub async fn of(&self, owner: UserId) -> Result<Vec<Destination>> {
        let sql = format!("SELECT {COLUMNS} FROM destinations WHERE owner_id = $1 ORDER BY id");
        let rows: Vec<DestinationRow> = on_pool!(self.0, |pool| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(owner.0)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(Destination::from).collect())
    }

    /// A destination by its id.
    pub async fn by_id(&self, id: i64) -> Result<Option<Destination>> {
        let sql = format!("SELECT {COLUMNS} FROM destinations WHERE id = $1");
        let row: Option<DestinationRow> = on_pool!(self.0, |pool| {
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
    pub async fn disable(&self, id: i64, why: &str) -> Result<Option<(UserId, String)>> {
        let mut unit = self.0.begin().await?;
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
    pub async fn posted(&self, id: i64, day: i64) -> Result<()> {
        on_writer!(self.0, |pool| {
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

    /// The destination for a shared chat (its kind and id), if it is one:
    /// the active one first, then the oldest (chats set up before rules
    /// were owned by their chat can have one per person).
    pub async fn chat(&self, kind: &str, external_id: &str) -> Result<Option<Destination>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM destinations WHERE kind = $1 AND external_id = $2 \
             ORDER BY CASE WHEN state = 'active' THEN 0 ELSE 1 END, id LIMIT 1"
        );
        let row: Option<DestinationRow> = on_pool!(self.0, |pool| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(kind)
                .bind(external_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Destination::from))
    }

    /// The alerts that post to a destination, by number.
    pub async fn rules(&self, destination: i64) -> Result<Vec<RuleItem>> {
        let rows: Vec<rows::RuleRow> = on_pool!(self.0, |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                crate::rule_columns!(),
                " FROM rules WHERE destination_id = $1 ORDER BY item_no"
            ))
            .bind(destination)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(RuleItem::try_from).collect()
    }

    /// A destination's chat has a new id (a Telegram group became a
    /// supergroup): it follows, unless its owner has one there already.
    /// Whether it moved.
    pub async fn move_chat(&self, id: i64, to: &str) -> Result<bool> {
        let moved = on_writer!(self.0, |pool| {
            sqlx::query(
                "UPDATE destinations SET external_id = $2, channel_id = $2 WHERE id = $1 \
                 AND NOT EXISTS (SELECT 1 FROM destinations d WHERE d.kind = destinations.kind \
                 AND d.external_id = $2 AND d.owner_id = destinations.owner_id)",
            )
            .bind(id)
            .bind(to)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(moved > 0)
    }

    /// One of a person's destinations by name (any case).
    pub async fn named(&self, owner: UserId, name: &str) -> Result<Option<Destination>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM destinations WHERE owner_id = $1 AND LOWER(name) = LOWER($2)"
        );
        let row: Option<DestinationRow> = on_pool!(self.0, |pool| {
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

    /// Change some of a destination's settings; its name as stored and
    /// its own time zone, if any (`None` if `owner` has none by that name).
    pub async fn destination_controls(
        &mut self,
        owner: UserId,
        name: &str,
        controls: &Controls,
    ) -> Result<Option<(String, Option<String>)>> {
        let (set_quiet, start, end) = match controls.quiet {
            None => (false, None, None),
            Some(None) => (true, None, None),
            Some(Some(q)) => (
                true,
                Some(i64::from(q.start.minutes())),
                Some(i64::from(q.end.minutes())),
            ),
        };
        let digest = controls.digest.map(rows::digest_columns);
        let (set_role, role) = match &controls.mention_role {
            None => (false, None),
            Some(role) => (true, role.clone()),
        };
        Ok(in_unit!(self, |conn| {
            sqlx::query_as(
                "UPDATE destinations SET daily_cap = COALESCE($3, daily_cap), \
                 quiet_start = CASE WHEN $4 THEN $5 ELSE quiet_start END, \
                 quiet_end = CASE WHEN $4 THEN $6 ELSE quiet_end END, \
                 digest_mode = COALESCE($7, digest_mode), \
                 digest_minute = COALESCE($8, digest_minute), \
                 digest_weekday = COALESCE($9, digest_weekday), \
                 time_zone = COALESCE($10, time_zone), \
                 mention_role = CASE WHEN $11 THEN $12 ELSE mention_role END \
                 WHERE owner_id = $1 AND LOWER(name) = LOWER($2) RETURNING name, time_zone",
            )
            .bind(owner.0)
            .bind(name)
            .bind(controls.cap.map(i64::from))
            .bind(set_quiet)
            .bind(start)
            .bind(end)
            .bind(digest.map(|d| d.0))
            .bind(digest.map(|d| d.1))
            .bind(digest.map(|d| d.2))
            .bind(controls.time_zone.as_deref())
            .bind(set_role)
            .bind(role)
            .fetch_optional(&mut *conn)
            .await?
        }))
    }

    /// The destination for a shared chat, made for `owner` (within `limit`
    /// destinations) if the chat has none; a stopped one is active again
    /// (we are evidently back in the chat), its alerts still paused.
    pub async fn ensure_chat_destination(
        &mut self,
        owner: UserId,
        new: &NewDestination,
        limit: u32,
        now: i64,
    ) -> Result<ChatDestination> {
        let found: Option<(i64, i64, String)> = in_unit!(self, |conn| {
            sqlx::query_as(
                "UPDATE destinations SET state = 'active', disabled_reason = NULL WHERE id = \
                 (SELECT id FROM destinations WHERE kind = $1 AND external_id = $2 \
                  ORDER BY CASE WHEN state = 'active' THEN 0 ELSE 1 END, id LIMIT 1) \
                 RETURNING id, owner_id, name",
            )
            .bind(new.kind)
            .bind(&new.external_id)
            .fetch_optional(&mut *conn)
            .await?
        });
        if let Some((id, owner, name)) = found {
            return Ok(ChatDestination::Found {
                id,
                owner: UserId(owner),
                name,
            });
        }
        let taken: Vec<String> = in_unit!(self, |conn| {
            sqlx::query_scalar("SELECT LOWER(name) FROM destinations WHERE owner_id = $1")
                .bind(owner.0)
                .fetch_all(&mut *conn)
                .await?
        });
        let mut new = new.clone();
        new.name = free_name(&new.name, "community", &taken);
        match self.add_destination(owner, &new, limit, now).await? {
            DestinationAdded::Limit => Ok(ChatDestination::Limit),
            DestinationAdded::Added
            | DestinationAdded::Again { .. }
            | DestinationAdded::NameTaken => {
                let id = self
                    .destination_by_place(owner, &new)
                    .await?
                    .ok_or_else(|| {
                        StoreError::Corrupt("a chat destination just added is missing".into())
                    })?;
                Ok(ChatDestination::Found {
                    id,
                    owner,
                    name: new.name,
                })
            }
        }
    }

    /// We may no longer post in a shared chat: its destinations stop and
    /// their active alerts pause. The owner, name and id of each stopped.
    pub async fn chat_left(
        &mut self,
        kind: &str,
        external_id: &str,
        why: &str,
    ) -> Result<Vec<(UserId, String, i64)>> {
        let stopped: Vec<(i64, String, i64)> = in_unit!(self, |conn| {
            let stopped: Vec<(i64, String, i64)> = sqlx::query_as(
                "UPDATE destinations SET state = 'disabled', disabled_reason = $3 \
                 WHERE kind = $1 AND external_id = $2 AND state = 'active' RETURNING owner_id, name, id",
            )
            .bind(kind)
            .bind(external_id)
            .bind(why)
            .fetch_all(&mut *conn)
            .await?;
            for (_, _, id) in &stopped {
                sqlx::query(
                    "UPDATE rules SET state = 'paused', paused_reason = 'community' \
                     WHERE destination_id = $1 AND state = 'active'",
                )
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
            stopped
        });
        Ok(stopped
            .into_iter()
            .map(|(owner, name, id)| (UserId(owner), name, id))
            .collect())
    }

    /// A shared chat has a new id (a Telegram group became a supergroup):
    /// its destinations follow. How many moved.
    pub async fn chat_moved(&mut self, kind: &str, from: &str, to: &str) -> Result<u64> {
        Ok(in_unit!(self, |conn| {
            sqlx::query(
                "UPDATE destinations SET external_id = $3, channel_id = $3 \
                 WHERE kind = $1 AND external_id = $2 AND NOT EXISTS \
                 (SELECT 1 FROM destinations d WHERE d.kind = $1 AND d.external_id = $3 \
                  AND d.owner_id = destinations.owner_id)",
            )
            .bind(kind)
            .bind(from)
            .bind(to)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        }))
    }

    /// Change some of a destination's settings by id; the time zone its
    /// hours are in (its own, else its owner's).
    pub async fn destination_controls_by_id(
        &mut self,
        id: i64,
        controls: &Controls,
    ) -> Result<String> {
        let found: Option<(i64, String, String)> = in_unit!(self, |conn| {
            sqlx::query_as(
                "SELECT d.owner_id, d.name, u.time_zone FROM destinations d \
                 JOIN users u ON u.id = d.owner_id WHERE d.id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
        });
        let Some((owner, name, owners_zone)) = found else {
            return Ok("UTC".to_owned());
        };
        let own = self
            .destination_controls(UserId(owner), &name, controls)
            .await?
            .and_then(|(_, zone)| zone);
        Ok(own.unwrap_or(owners_zone))
    }

    /// The id of `owner`'s destination at `new`'s place.
    pub async fn destination_by_place(
        &mut self,
        owner: UserId,
        new: &NewDestination,
    ) -> Result<Option<i64>> {
        Ok(in_unit!(self, |conn| {
            sqlx::query_scalar(
                "SELECT id FROM destinations WHERE owner_id = $1 AND kind = $2 AND external_id = $3",
            )
            .bind(owner.0)
            .bind(new.kind)
            .bind(&new.external_id)
            .fetch_optional(&mut *conn)
            .await?
        }))
    }

    /// We may post in a shared chat again: its stopped destinations are
    /// active again (their alerts stay paused until resumed). How many.
    pub async fn chat_joined(&mut self, kind: &str, external_id: &str) -> Result<u64> {
        Ok(in_unit!(self, |conn| {
            sqlx::query(
                "UPDATE destinations SET state = 'active', disabled_reason = NULL \
                 WHERE kind = $1 AND external_id = $2 AND state <> 'active'",
            )
            .bind(kind)
            .bind(external_id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        }))
    }

    /// Remove a destination by id (its alerts go with it, and posts
    /// still waiting for it are dropped).
    pub async fn remove_destination_by_id(&mut self, id: i64) -> Result<bool> {
        let removed = in_unit!(self, |conn| {
            sqlx::query("DELETE FROM destinations WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        if removed > 0 {
            self.drop_posts_for(id).await?;
        }
        Ok(removed > 0)
    }

    /// Drop the posts still waiting for a removed destination: an id
    /// SQLite hands out again must never carry them somewhere else.
    async fn drop_posts_for(&mut self, id: i64) -> Result<()> {
        in_unit!(self, |conn| {
            sqlx::query(
                "UPDATE outbox SET state = 'dead', last_error = 'the community was removed' \
                 WHERE route = $1 AND state IN ('pending', 'held')",
            )
            .bind(format!("community:{id}"))
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Remove one of `owner`'s destinations by name (any case); its name
    /// as stored, or `None` if they have none by that name.
    pub async fn remove_destination(
        &mut self,
        owner: UserId,
        name: &str,
    ) -> Result<Option<String>> {
        let removed: Option<(i64, String)> = in_unit!(self, |conn| {
            sqlx::query_as(
                "DELETE FROM destinations WHERE owner_id = $1 AND LOWER(name) = LOWER($2) RETURNING id, name",
            )
            .bind(owner.0)
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?
        });
        let Some((id, name)) = removed else {
            return Ok(None);
        };
        self.drop_posts_for(id).await?;
        Ok(Some(name))
    }
}

/// A community name made from its own name on the platform (a chat's
/// title, a webhook's name): lower case, `-` for anything but letters,
/// digits and `_`, starting with a letter (else `fallback` goes first), at
/// most [`MAX_NAME_CHARS`](crate::command::community::MAX_NAME_CHARS);
/// `-2`, `-3`, ... when `taken` (lower case) has it.
pub fn free_name(title: &str, fallback: &str, taken: &[String]) -> String {
    use crate::command::community::MAX_NAME_CHARS;
    let mut base: String = title
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    base = base
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    // A name is typed in rules, so it starts with a letter.
    if !base.chars().next().is_some_and(char::is_alphabetic) {
        base = format!("{fallback}-{base}")
            .trim_end_matches('-')
            .to_owned();
    }
    base = base.chars().take(MAX_NAME_CHARS - 3).collect();
    let base = base.trim_end_matches('-').to_owned();
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::free_name;

    #[test]
    fn a_chat_gets_a_free_name_from_its_title() {
        assert_eq!(free_name("Deals Bot!", "discord", &[]), "deals-bot");
        assert_eq!(free_name("", "discord", &[]), "discord");
        assert_eq!(
            free_name("2024 Deals", "discord", &[]),
            "discord-2024-deals"
        );
        assert_eq!(
            free_name("  ", "community", &["community".into()]),
            "community-2"
        );
        assert_eq!(
            free_name("Deals", "discord", &["deals".into(), "deals-2".into()]),
            "deals-3"
        );
        assert!(free_name(&"x".repeat(100), "discord", &[]).chars().count() <= 32);
    }
}
