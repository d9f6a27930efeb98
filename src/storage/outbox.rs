//! The outbox: notices waiting to be delivered, claimed with leases, held
//! for digests and quiet hours, and their outcomes.

use super::*;

/// Everything that leaves: claiming, holding, digests, delivery records.
/// Reached through [`Store::outbox`].
#[derive(Clone, Copy, Debug)]
pub struct Outbox<'a>(pub(super) &'a Store);

impl Outbox<'_> {
    /// Counts of outbox rows by kind and state (for tests and operators).
    pub async fn counts(&self) -> Result<Vec<(String, String, i64)>> {
        Ok(on_pool!(self.0, |pool| {
            sqlx::query_as(
                "SELECT kind, state, COUNT(*) FROM outbox GROUP BY kind, state ORDER BY kind, state",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Outbox rows of `kind` still held by a live claim at `now`.
    pub async fn claimed(&self, kind: &str, now: i64) -> Result<i64> {
        Ok(on_pool!(self.0, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox WHERE kind = $1 AND claimed_until IS NOT NULL \
                 AND claimed_until > $2 AND state IN ('pending', 'sending')",
            )
            .bind(kind)
            .bind(now)
            .fetch_one(pool)
            .await?
        }))
    }

    /// Replace a row's payload (a sent reply drops its sealed copies).
    pub async fn replace_payload(&self, id: i64, payload: &str) -> Result<()> {
        on_writer!(self.0, |pool| {
            sqlx::query("UPDATE outbox SET payload = $2 WHERE id = $1")
                .bind(id)
                .bind(payload)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Pending notices for one user, oldest first.
    pub async fn pending_notices(
        &self,
        user: UserId,
        now: i64,
        limit: u32,
    ) -> Result<Vec<(i64, crate::watching::Notice)>> {
        let rows: Vec<(i64, String)> = on_pool!(self.0, |pool| {
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
        on_pool!(self.0, |pool| {
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
    /// the process dies before [`Outbox::mark_sent`] or
    /// [`Outbox::later`], the row comes back with `sending_since` set.
    pub async fn sending(&self, id: i64, identity: Option<i64>, now: i64) -> Result<()> {
        on_pool!(self.0, |pool| {
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
    pub async fn release(&self, ids: &[i64]) -> Result<()> {
        self.release_claims("outbox", ids).await
    }

    /// Clear the claims on rows `ids` of `table` (a fixed name from our
    /// code, never input), so they can be claimed again at once.
    pub(super) async fn release_claims(&self, table: &'static str, ids: &[i64]) -> Result<()> {
        let sql = match self.0.backend() {
            super::Backend::Sqlite => format!(
                "UPDATE {table} SET claimed_until = NULL WHERE id IN (SELECT value FROM json_each($1))"
            ),
            super::Backend::Postgres => format!(
                "UPDATE {table} SET claimed_until = NULL \
                 WHERE id IN (SELECT jsonb_array_elements_text($1::text::jsonb)::bigint)"
            ),
        };
        let ids = serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        on_pool!(self.0, |pool| {
            sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(&ids)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Hold an alert for the user's next digest at `at`.
    pub async fn hold_for_digest(&self, id: i64, at: i64) -> Result<()> {
        on_writer!(self.0, |pool| {
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
        let n: i64 = on_pool!(self.0, |pool| {
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
    /// notice per route (their own alerts; each community's posts apart):
    /// `make` builds it from their payloads (oldest first). The held rows
    /// become `merged`, pointing at the digest, which keeps their route;
    /// all in one transaction, so an alert is in exactly one digest.
    /// Returns how many digests were queued.
    pub async fn make_digests<F>(&self, now: i64, limit: u32, make: F) -> Result<usize>
    where
        F: Fn(&[String]) -> Option<crate::watching::Notice>,
    {
        let users: Vec<(i64, String)> = on_pool!(self.0, |pool| {
            sqlx::query_as(
                "SELECT DISTINCT user_id, COALESCE(route, '') FROM outbox \
                 WHERE state = 'held' AND next_attempt_at <= $1 LIMIT $2",
            )
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        const CLAIM_SQLITE: &str =
            "UPDATE outbox SET state = 'merging' WHERE state = 'held' AND user_id = $1 \
             AND next_attempt_at <= $2 AND COALESCE(route, '') = $3 RETURNING id, payload";
        const CLAIM_POSTGRES: &str = "UPDATE outbox SET state = 'merging' WHERE id IN (SELECT id FROM outbox \
             WHERE state = 'held' AND user_id = $1 AND next_attempt_at <= $2 AND COALESCE(route, '') = $3 \
             FOR UPDATE SKIP LOCKED) RETURNING id, payload";
        let claim = self.0.dialect(CLAIM_SQLITE, CLAIM_POSTGRES);
        let mut made = 0;
        for (user, route) in users {
            let routed = (!route.is_empty()).then_some(route.as_str());
            on_writer!(self.0, |pool| {
                let mut tx = pool.begin().await?;
                let mut held: Vec<(i64, String)> = sqlx::query_as(claim)
                    .bind(user)
                    .bind(now)
                    .bind(&route)
                    .fetch_all(&mut *tx)
                    .await?;
                held.sort_by_key(|(id, _)| *id);
                let (ids, payloads): (Vec<i64>, Vec<String>) = held.into_iter().unzip();
                let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
                    continue;
                };
                let Some(notice) = make(&payloads) else {
                    // Nothing readable: the rows can never be sent.
                    sqlx::query("UPDATE outbox SET state = 'dead', last_error = 'unreadable' \
                                 WHERE state = 'merging' AND user_id = $1 AND COALESCE(route, '') = $2")
                        .bind(user)
                        .bind(&route)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    continue;
                };
                let payload = serde_json::to_string(&notice)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let key = format!("digest:{user}:{first}:{last}");
                let digest: i64 = sqlx::query_scalar(
                    "INSERT INTO outbox (user_id, kind, dedupe_key, payload, next_attempt_at, created_at, route) \
                     VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id",
                )
                .bind(user)
                .bind(notice.kind())
                .bind(&key)
                .bind(&payload)
                .bind(now)
                .bind(routed)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE outbox SET state = 'merged', digest_id = $1 \
                     WHERE state = 'merging' AND user_id = $2 AND COALESCE(route, '') = $3",
                )
                .bind(digest)
                .bind(user)
                .bind(&route)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                made += 1;
            });
        }
        Ok(made)
    }

    /// Record what platforms reported about messages we sent. Each distinct
    /// status of a message is kept once (redeliveries and out-of-order
    /// reports change nothing); returns how many were new.
    pub async fn record_statuses(
        &self,
        statuses: &[dealwatch_bots::DeliveryStatus],
        now: i64,
    ) -> Result<u64> {
        on_pool!(self.0, |pool| {
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
        Ok(on_pool!(self.0, |pool| {
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
        let n: i64 = on_pool!(self.0, |pool| {
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

    /// Claim pending outbox rows that a chat platform can deliver (the user
    /// has a non-console identity that has not opted out), oldest first.
    pub async fn claim(&self, now: i64, lease_secs: i64, limit: u32) -> Result<Vec<OutboxRow>> {
        self.claim_up_to(now, lease_secs, limit, PRIORITY_NOTICE, false)
            .await
    }

    /// [`Outbox::claim`] for rows of `priority` or more urgent
    /// ([`PRIORITY_REPLY`]: replies alone); with `console`, the rows of
    /// console users instead (`dealwatch chat` delivers those, and only
    /// those, to its terminal).
    pub async fn claim_up_to(
        &self,
        now: i64,
        lease_secs: i64,
        limit: u32,
        priority: i64,
        console: bool,
    ) -> Result<Vec<OutboxRow>> {
        const SQLITE: &str = "UPDATE outbox SET claimed_until = $1 WHERE id IN (\
             SELECT o.id FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= $2 \
             AND (o.claimed_until IS NULL OR o.claimed_until < $2) \
             AND ((o.route IS NOT NULL AND NOT $5) OR EXISTS (SELECT 1 FROM identities i WHERE i.user_id = o.user_id \
                         AND (i.channel = 'console') = $5 AND NOT i.opted_out AND i.disabled_reason IS NULL)) \
             AND o.priority <= $4 \
             ORDER BY o.priority, o.id LIMIT $3) RETURNING id, user_id, payload, attempts, sending_since, identity_id, route";
        const POSTGRES: &str = "UPDATE outbox SET claimed_until = $1 WHERE id IN (\
             SELECT o.id FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= $2 \
             AND (o.claimed_until IS NULL OR o.claimed_until < $2) \
             AND ((o.route IS NOT NULL AND NOT $5) OR EXISTS (SELECT 1 FROM identities i WHERE i.user_id = o.user_id \
                         AND (i.channel = 'console') = $5 AND NOT i.opted_out AND i.disabled_reason IS NULL)) \
             AND o.priority <= $4 \
             ORDER BY o.priority, o.id LIMIT $3 FOR UPDATE OF o SKIP LOCKED) RETURNING id, user_id, payload, attempts, sending_since, identity_id, route";
        let sql = self.0.dialect(SQLITE, POSTGRES);
        let mut rows: Vec<OutboxRow> = on_pool!(self.0, |pool| {
            sqlx::query_as(sql)
                .bind(now + lease_secs)
                .bind(now)
                .bind(i64::from(limit))
                .bind(priority)
                .bind(console)
                .fetch_all(pool)
                .await?
        });
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Put an outbox row back: try again at `at` (an attempt when
    /// `attempted`, a hold such as quiet hours when not), or give up.
    pub async fn later(
        &self,
        id: i64,
        at: Option<i64>,
        attempted: bool,
        error: Option<&str>,
    ) -> Result<()> {
        on_pool!(self.0, |pool| {
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

    /// Put a notice for a user in the outbox (deduplicated by `key`).
    /// Returns whether it was new.
    pub async fn enqueue_notice(
        &self,
        user: UserId,
        key: &str,
        notice: &crate::watching::Notice,
        now: i64,
    ) -> Result<bool> {
        let row = notice_row(notice)?;
        let inserted = on_writer!(self.0, |pool| insert_notice!(
            pool, user, key, notice, row, now
        ));
        Ok(inserted == 1)
    }
}

impl Unit {
    /// [`Outbox::enqueue_notice`], kept only if the unit is committed.
    pub async fn enqueue_notice(
        &mut self,
        user: UserId,
        key: &str,
        notice: &crate::watching::Notice,
        now: i64,
    ) -> Result<bool> {
        let row = notice_row(notice)?;
        let inserted = in_unit!(self, |conn| insert_notice!(
            &mut *conn, user, key, notice, row, now
        ));
        Ok(inserted == 1)
    }
}

/// Insert a notice's outbox row through `$exec` (a pool or a unit's
/// connection): the rows it added (0 when `key` is there already).
macro_rules! insert_notice {
    ($exec:expr, $user:expr, $key:expr, $notice:expr, $row:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO outbox (user_id, kind, dedupe_key, payload, next_attempt_at, created_at, route) \
             VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind($user.0)
        .bind($notice.kind())
        .bind($key)
        .bind(&$row.0)
        .bind($now)
        .bind($row.1.as_deref())
        .execute($exec)
        .await?
        .rows_affected()
    };
}
use insert_notice;

/// A notice as an outbox row stores it: its payload, and its route.
fn notice_row(notice: &crate::watching::Notice) -> Result<(String, Option<String>)> {
    let payload = serde_json::to_string(notice).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    // A post into a shared channel goes whether or not its owner can be
    // reached privately (opted out, blocked): its route says so, and a
    // row with a route is claimed without looking at the owner's chats.
    let route = match notice {
        n if n.community().is_some() => n.community().map(|id| format!("community:{id}")),
        crate::watching::Notice::DealMatch {
            post_to: Some((channel, _)),
            ..
        } => Some(format!("shared:{channel}")),
        _ => None,
    };
    Ok((payload, route))
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
    /// For a reply: where it goes (JSON of `dispatch::Route`).
    pub route: Option<String>,
}

/// Outbox priorities: replies to someone who just wrote go ahead of
/// notices and bulk alerts.
pub const PRIORITY_REPLY: i64 = 0;
pub const PRIORITY_NOTICE: i64 = 1;
