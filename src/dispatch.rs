//! Purpose: deliver outbox notices (first prices, alerts) on chat platforms.
//!
//! A worker claims pending outbox rows (leased; `SKIP LOCKED` on
//! PostgreSQL, so instances cooperate), renders each in its user's language,
//! and sends it to the user's most recently active reachable identity. A
//! notice due inside the user's quiet hours is held until they end, in the
//! user's own time zone. Rate limits are waited out (the platform's
//! `retry_after`), other failures back off exponentially, and a platform
//! that refuses for good marks the row dead after trying every identity.
//!
//! SMS alerts count against the plan's daily SMS allowance (free: none):
//! over it, another channel is tried, else the notice waits for the user's
//! next day. Console users are served by the console itself. Digests, daily caps,
//! per-rule channels and platform-wide send rates come with the full
//! dispatcher.

use crate::l10n::L10n;
use crate::model::{QuietHours, TimeOfDay};
use crate::plans::Plans;
use crate::storage::{unix_now, OutboxRow, Store, StoreError, UserId};
use crate::watching::{self, Notice};
use dealwatch_bots::{Channel, SendError, Sender};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

const LEASE_SECS: i64 = 120;
const MAX_ATTEMPTS: i64 = 10;

/// Delivers the outbox.
pub struct Dispatcher {
    store: Store,
    l10n: Arc<L10n>,
    plans: Plans,
    senders: HashMap<Channel, Arc<dyn Sender>>,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        l10n: Arc<L10n>,
        plans: Plans,
        senders: HashMap<Channel, Arc<dyn Sender>>,
    ) -> Dispatcher {
        Dispatcher {
            store,
            l10n,
            plans,
            senders,
        }
    }

    /// Deliver until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            match self.deliver_pending().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "dispatcher: claiming failed"),
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }

    /// Claim and deliver one batch; returns how many rows were claimed.
    pub async fn deliver_pending(&self) -> Result<usize, StoreError> {
        if self.senders.is_empty() {
            return Ok(0);
        }
        let rows = self.store.claim_outbox(unix_now(), LEASE_SECS, 64).await?;
        let count = rows.len();
        for row in rows {
            if let Err(e) = self.deliver(row).await {
                tracing::error!(error = %e, "dispatcher: recording a delivery failed");
            }
        }
        Ok(count)
    }

    async fn deliver(&self, row: OutboxRow) -> Result<(), StoreError> {
        let now = unix_now();
        let notice: Notice = match serde_json::from_str(&row.payload) {
            Ok(n) => n,
            Err(e) => {
                return self
                    .store
                    .outbox_later(row.id, None, true, Some(&format!("unreadable: {e}")))
                    .await
            }
        };
        let user = self.store.user(UserId(row.user_id)).await?;
        if let Notice::DealMatch {
            post_to: Some((channel, address)),
            ..
        } = &notice
        {
            return self
                .post_to_community(&row, &notice, &user, *channel, address)
                .await;
        }
        if let Some(quiet) = user.settings.quiet {
            if let Some(ends) = quiet_until(quiet, &user.settings.time_zone, now) {
                return self
                    .store
                    .outbox_later(row.id, Some(ends), false, None)
                    .await;
            }
        }
        let tr = self.l10n.tr(&user.settings.locale);
        let message = watching::render(&notice, &tr);
        let mut last_error = String::from("no reachable identity");
        let mut over_sms_quota = false;
        for identity in self.store.reachable_identities(user.id).await? {
            let Some(sender) = self.senders.get(&identity.channel) else {
                continue;
            };
            if identity.channel == Channel::Sms {
                // The plan's SMS allowance, counted in the user's own day.
                let quota = self.plans.limits(user.plan).sms_per_day;
                let since =
                    local_midnight(&user.settings.time_zone, now, 0).unwrap_or(now - 86_400);
                if self.store.sms_sent_since(user.id, since).await? >= quota {
                    over_sms_quota = true;
                    continue;
                }
            }
            let sent = sender
                .notify(
                    &identity.reply_address,
                    std::slice::from_ref(&message),
                    identity.last_inbound_at,
                )
                .await;
            match sent {
                Ok(ids) => {
                    let provider_id = ids.first().map(String::as_str);
                    return self
                        .store
                        .mark_sent(row.id, provider_id, Some(identity.id), now)
                        .await;
                }
                Err(SendError::RetryAfter(secs)) => {
                    let at = now + i64::try_from(secs).unwrap_or(60).max(1);
                    return self
                        .store
                        .outbox_later(row.id, Some(at), true, Some("rate limited"))
                        .await;
                }
                Err(SendError::Transient(why)) => {
                    if row.attempts + 1 >= MAX_ATTEMPTS {
                        return self
                            .store
                            .outbox_later(row.id, None, true, Some(&why))
                            .await;
                    }
                    let at = now + (1i64 << row.attempts.clamp(0, 12)).max(1);
                    return self
                        .store
                        .outbox_later(row.id, Some(at), true, Some(&why))
                        .await;
                }
                // This identity will not take it (blocked, gone): try the next.
                Err(SendError::Permanent(why)) => last_error = why,
            }
        }
        if over_sms_quota {
            // Only SMS could carry it and today's allowance is spent: wait
            // for the user's next day.
            let tomorrow = local_midnight(&user.settings.time_zone, now, 1).unwrap_or(now + 86_400);
            let why = Some("daily SMS allowance used");
            return self
                .store
                .outbox_later(row.id, Some(tomorrow), false, why)
                .await;
        }
        self.store
            .outbox_later(row.id, None, true, Some(&last_error))
            .await
    }
}

impl Dispatcher {
    /// Post a community rule's match into its channel. The owner's quiet
    /// hours and caps are theirs, not the channel's, so they do not apply.
    async fn post_to_community(
        &self,
        row: &OutboxRow,
        notice: &Notice,
        owner: &crate::storage::User,
        channel: Channel,
        address: &str,
    ) -> Result<(), StoreError> {
        let now = unix_now();
        let Some(sender) = self.senders.get(&channel) else {
            let why = format!("{channel} is not on");
            return self
                .store
                .outbox_later(row.id, Some(now + 300), true, Some(&why))
                .await;
        };
        let tr = self.l10n.tr(&owner.settings.locale);
        let message = watching::render(notice, &tr);
        match sender.send(address, std::slice::from_ref(&message)).await {
            Ok(ids) => {
                let provider_id = ids.first().map(String::as_str);
                self.store.mark_sent(row.id, provider_id, None, now).await
            }
            Err(SendError::RetryAfter(secs)) => {
                let at = now + i64::try_from(secs).unwrap_or(60).max(1);
                self.store
                    .outbox_later(row.id, Some(at), true, Some("rate limited"))
                    .await
            }
            Err(SendError::Transient(why)) if row.attempts + 1 < MAX_ATTEMPTS => {
                let at = now + (1i64 << row.attempts.clamp(0, 12)).max(1);
                self.store
                    .outbox_later(row.id, Some(at), true, Some(&why))
                    .await
            }
            Err(SendError::Transient(why) | SendError::Permanent(why)) => {
                tracing::warn!(%channel, error = %why, "community post refused for good");
                self.store
                    .outbox_later(row.id, None, true, Some(&why))
                    .await
            }
        }
    }
}

/// The start of the user's day `days_ahead` days from `now` (UTC seconds).
pub fn local_midnight(zone: &str, now: i64, days_ahead: i64) -> Option<i64> {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::from_second(now)
        .ok()?
        .to_zoned(tz.clone())
        .date();
    let day = today.checked_add(jiff::Span::new().days(days_ahead)).ok()?;
    Some(day.to_zoned(tz).ok()?.timestamp().as_second())
}

/// When the quiet window containing `now` ends (UTC seconds), or `None`
/// when `now` is outside the user's quiet hours. An unknown zone is UTC.
pub fn quiet_until(quiet: QuietHours, zone: &str, now: i64) -> Option<i64> {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let local = jiff::Timestamp::from_second(now).ok()?.to_zoned(tz.clone());
    let at = TimeOfDay::new(
        u8::try_from(local.hour()).ok()?,
        u8::try_from(local.minute()).ok()?,
    )?;
    if !quiet.contains(at) {
        return None;
    }
    let date = local.date();
    let end_today = date.at(
        i8::try_from(quiet.end.hour()).ok()?,
        i8::try_from(quiet.end.minute()).ok()?,
        0,
        0,
    );
    // Wrapping windows (22:00-07:00) seen before midnight end tomorrow.
    let end = if quiet.start > quiet.end && at >= quiet.start {
        end_today.checked_add(jiff::Span::new().days(1)).ok()?
    } else {
        end_today
    };
    // Across a DST gap the wall time may not exist: take the next instant.
    let zoned = end.to_zoned(tz).ok()?;
    Some(zoned.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(start: (u8, u8), end: (u8, u8)) -> QuietHours {
        QuietHours {
            start: TimeOfDay::new(start.0, start.1).unwrap(),
            end: TimeOfDay::new(end.0, end.1).unwrap(),
        }
    }

    fn ts(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    #[test]
    fn quiet_hours_hold_until_the_window_ends_in_the_users_zone() {
        let night = q((22, 0), (7, 0));
        // 23:30 in London (GMT in November) is held until 07:00 next morning.
        assert_eq!(
            quiet_until(night, "Europe/London", ts("2026-11-23T23:30:00Z")),
            Some(ts("2026-11-24T07:00:00Z"))
        );
        // 03:00 is held until 07:00 the same day.
        assert_eq!(
            quiet_until(night, "Europe/London", ts("2026-11-24T03:00:00Z")),
            Some(ts("2026-11-24T07:00:00Z"))
        );
        // Noon is not quiet.
        assert_eq!(
            quiet_until(night, "Europe/London", ts("2026-11-24T12:00:00Z")),
            None
        );
        // The same instant is 00:30 in Berlin: held until 07:00 Berlin = 06:00 UTC.
        assert_eq!(
            quiet_until(night, "Europe/Berlin", ts("2026-11-23T23:30:00Z")),
            Some(ts("2026-11-24T06:00:00Z"))
        );
        // In New York 23:30 UTC is 18:30: not quiet.
        assert_eq!(
            quiet_until(night, "America/New_York", ts("2026-11-23T23:30:00Z")),
            None
        );
    }

    #[test]
    fn quiet_hours_across_a_dst_change() {
        // London springs forward on 2026-03-29 at 01:00 GMT; a window ending
        // at 07:00 local then ends at 06:00 UTC.
        let night = q((22, 0), (7, 0));
        assert_eq!(
            quiet_until(night, "Europe/London", ts("2026-03-28T23:00:00Z")),
            Some(ts("2026-03-29T06:00:00Z"))
        );
        // A window ending inside the skipped hour (01:30) ends at 02:30 BST.
        let odd = q((0, 0), (1, 30));
        assert_eq!(
            quiet_until(odd, "Europe/London", ts("2026-03-29T00:30:00Z")),
            Some(ts("2026-03-29T01:30:00Z"))
        );
    }
}
