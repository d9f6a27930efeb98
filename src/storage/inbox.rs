//! Inbound messages: stored before the provider is answered, claimed one
//! per person at a time, and their replies kept until sent.

use super::*;
use std::collections::HashMap;

/// A message done with: acted on, its replies handed on or sent.
const MARK_PROCESSED: &str = "UPDATE inbound_messages SET state = 'processed', processed_at = $2, \
     claimed_until = NULL, attempts = attempts + 1, replies = NULL WHERE id = $1";

/// Messages as they arrived: accepting once, claiming, finishing.
/// Reached through [`Store::inbox`].
#[derive(Clone, Copy, Debug)]
pub struct Inbox<'a>(pub(super) &'a Store);

impl Inbox<'_> {
    /// [`Unit::inbound_payload`] on its own.
    pub async fn payload(&self, id: i64, payload: &str) -> Result<()> {
        let mut unit = self.0.begin().await?;
        unit.inbound_payload(id, payload).await?;
        unit.commit().await
    }

    /// Store an inbound message before its provider is answered. Returns
    /// false for a redelivery (same channel and provider id): it is not
    /// processed again. On the pool, not the writer: the provider waits
    /// for it (see [`Store`]'s `writer`).
    pub async fn accept(
        &self,
        channel: dealwatch_bots::Channel,
        provider_id: &str,
        sender_id: &str,
        payload: &str,
        now: i64,
    ) -> Result<bool> {
        let inserted = on_pool!(self.0, |pool| {
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
    pub async fn claim(&self, now: i64, lease_secs: i64, limit: u32) -> Result<Vec<InboundRow>> {
        // SQLite is told to walk `inbound_unfinished` (in id order, stopping
        // at the limit); left to itself it sorts every unfinished row.
        const SQLITE: &str = "UPDATE inbound_messages SET claimed_until = $1 WHERE id IN (\
             SELECT m.id FROM inbound_messages m INDEXED BY inbound_unfinished WHERE m.state IN ('accepted', 'handled') AND m.next_attempt_at <= $2 \
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
        let sql = self.0.dialect(SQLITE, POSTGRES);
        let mut rows: Vec<InboundRow> = on_writer!(self.0, |pool| {
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
    pub async fn claim_message(
        &self,
        channel: dealwatch_bots::Channel,
        provider_id: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<Option<InboundRow>> {
        Ok(on_writer!(self.0, |pool| {
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
    pub async fn release(&self, ids: &[i64]) -> Result<()> {
        self.0
            .outbox()
            .release_claims("inbound_messages", ids)
            .await
    }

    /// Replies sent: the message is done.
    pub async fn processed(&self, id: i64, now: i64) -> Result<()> {
        on_writer!(self.0, |pool| {
            sqlx::query(MARK_PROCESSED)
                .bind(id)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Something failed: try again at `retry_at`, or give up (`failed`).
    pub async fn retry(&self, id: i64, error: &str, retry_at: Option<i64>) -> Result<()> {
        on_writer!(self.0, |pool| {
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

    /// Unfinished inbound messages still held by a live claim at `now`.
    pub async fn claimed(&self, now: i64) -> Result<i64> {
        Ok(on_pool!(self.0, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM inbound_messages WHERE claimed_until IS NOT NULL \
                 AND claimed_until > $1 AND state IN ('accepted', 'handled')",
            )
            .bind(now)
            .fetch_one(pool)
            .await?
        }))
    }

    /// Counts of inbound messages by state (for tests and operators).
    pub async fn counts(&self) -> Result<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> = on_pool!(self.0, |pool| {
            sqlx::query_as(
                "SELECT state, COUNT(*) FROM inbound_messages GROUP BY state ORDER BY state",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
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

/// A message's replies, for [`Unit::inbound_answered`].
#[derive(Debug, Clone)]
pub struct Answered {
    /// The inbound message.
    pub id: i64,
    pub user: UserId,
    /// Where the replies go, and the replies (JSON).
    pub route: String,
    pub payload: String,
    /// Not sent before this time.
    pub send_at: i64,
}

impl Unit {
    /// Messages acted on: their replies go into the outbox (ahead of
    /// notices) and they are marked `processed`, in the unit that holds
    /// what the commands changed; two statements however many messages.
    /// Returns each message's reply row (absent if stored before).
    /// Replace a message's stored payload (to drop a credential it carried).
    pub async fn inbound_payload(&mut self, id: i64, payload: &str) -> Result<()> {
        in_unit!(self, |conn| {
            sqlx::query("UPDATE inbound_messages SET payload = $2 WHERE id = $1")
                .bind(id)
                .bind(payload)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    pub async fn inbound_answered(
        &mut self,
        answered: &[Answered],
        now: i64,
    ) -> Result<HashMap<i64, i64>> {
        if answered.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i64, String)> = in_unit!(self, |conn| {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO outbox (user_id, kind, dedupe_key, payload, next_attempt_at, created_at, priority, route) ",
            );
            insert.push_values(answered, |mut row, a| {
                row.push_bind(a.user.0)
                    .push_bind("reply")
                    .push_bind(format!("reply:{}", a.id))
                    .push_bind(&a.payload)
                    .push_bind(a.send_at)
                    .push_bind(now)
                    .push_bind(super::outbox::PRIORITY_REPLY)
                    .push_bind(&a.route);
            });
            insert.push(" ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key");
            let rows = insert.build_query_as().fetch_all(&mut *conn).await?;
            let mut mark = sqlx::QueryBuilder::new(
                "UPDATE inbound_messages SET state = 'processed', processed_at = ",
            );
            mark.push_bind(now).push(
                ", claimed_until = NULL, attempts = attempts + 1, replies = NULL WHERE id IN (",
            );
            let mut ids = mark.separated(", ");
            for a in answered {
                ids.push_bind(a.id);
            }
            mark.push(")");
            mark.build().execute(&mut *conn).await?;
            rows
        });
        Ok(rows
            .into_iter()
            .filter_map(|(outbox, key)| {
                let id = key.strip_prefix("reply:")?.parse().ok()?;
                Some((id, outbox))
            })
            .collect())
    }
}
