//! Purpose: posting a community's deals and test messages to where it
//! lives: a Discord webhook (our own pace per webhook) or a chat the bot is
//! in (the platform's sender), and stopping a community the platform no
//! longer takes.

use super::*;

/// Discord's limits on a webhook: about 5 requests per 2 seconds each, and
/// about 30 messages a minute into one channel. Held to a burst of 2, then
/// one every 2.1 seconds: at most 30 in any minute (2 + 28), 28.6 a minute
/// sustained. (A burst of 5 at that period puts 32 into the first minute,
/// and the 31st draws a 429: `cargo bench --bench community_posts`.)
pub const WEBHOOK_PACE: (Duration, u32) = (Duration::from_millis(2100), 2);

/// The pace of posts to each Discord webhook.
pub fn webhook_pace() -> Pace {
    Pace::new(None, Some(WEBHOOK_PACE))
}

impl Dispatcher {
    /// Post a community rule's match (or a test message) to its
    /// destination: through a Discord webhook, or by the bot into a chat.
    /// A destination the platform no longer takes (a deleted webhook, a
    /// chat we were removed from) is disabled, its rules paused and its
    /// owner told privately; its posts are dropped.
    pub(super) async fn post_to_destination(
        &self,
        row: &OutboxRow,
        notice: &Notice,
        owner: &User,
        destination: i64,
        now: i64,
        started: Started,
    ) -> Result<Outcome, StoreError> {
        let drop_row = |why: &'static str| async move {
            self.store
                .outbox()
                .later(row.id, None, true, Some(why))
                .await
        };
        let d = self.store.destinations().by_id(destination).await?;
        // Another owner's destination under a reused id is not this one.
        let Some(d) = d.filter(|d| d.owner.0 == row.user_id) else {
            drop_row("the community was removed").await?;
            return Ok(Outcome::Done);
        };
        if d.disabled.is_some() {
            drop_row("the community is stopped").await?;
            return Ok(Outcome::Done);
        }
        // A digest is one post; a test is not a deal.
        let counted = matches!(notice, Notice::DealMatch { .. } | Notice::Digest { .. });
        // The community's own hours, cap and digest, in its time zone (its
        // owner's unless it has its own).
        let zone = d
            .time_zone
            .as_deref()
            .unwrap_or(owner.settings.time_zone.as_str());
        if d.digest != Digest::Off && matches!(notice, Notice::DealMatch { .. }) {
            return self.hold(row, d.digest, zone, now).await;
        }
        if let Some(ends) = d.quiet.and_then(|q| quiet_until(q, zone, now)) {
            self.store
                .outbox()
                .later(row.id, Some(ends), false, None)
                .await?;
            return Ok(Outcome::Done);
        }
        let today = local_midnight(zone, now, 0).unwrap_or(now - now.rem_euclid(86_400));
        if counted && d.posts_day == Some(today) && d.posts_count >= d.daily_cap {
            // A deal is news today; held over, a backlog would flood the
            // channel tomorrow.
            drop_row("over the community's daily cap").await?;
            return Ok(Outcome::Done);
        }
        let tr = self.l10n.tr(&owner.settings.locale);
        let mut message = watching::render(notice, &tr);
        message.mention_role.clone_from(&d.mention_role);
        let posted = if d.kind == DISCORD_WEBHOOK {
            let Some((communities, pace)) = &self.communities else {
                self.store
                    .outbox()
                    .later(row.id, Some(now + 300), true, Some("communities are off"))
                    .await?;
                return Ok(Outcome::Done);
            };
            let Some(webhook) = communities.webhook(&d) else {
                drop_row("the webhook's token cannot be opened (DEALWATCH_SEAL_KEY changed)")
                    .await?;
                return Ok(Outcome::Done);
            };
            if let Err(SendError::RetryAfter(secs)) = pace.admit(&d.external_id).await {
                return Ok(Outcome::Busy(self.wait_out(row, secs, now, started).await?));
            }
            self.store.outbox().sending(row.id, None, now).await?;
            communities
                .discord
                .execute_webhook(&webhook, &message)
                .await
        } else {
            let sender = destination_channel(&d.kind).and_then(|c| self.senders.get(&c));
            let Some(sender) = sender else {
                let why = format!("{} is not on", d.kind);
                self.store
                    .outbox()
                    .later(row.id, Some(now + 300), true, Some(&why))
                    .await?;
                return Ok(Outcome::Done);
            };
            self.store.outbox().sending(row.id, None, now).await?;
            // The platform adapter paces per chat (a group's own limit).
            dealwatch_bots::pace::bulk(sender.notify(
                &d.external_id,
                std::slice::from_ref(&message),
                None,
                &delivery_key(row),
            ))
            .await
            .map(|ids| ids.join(" "))
        };
        match posted {
            Ok(id) => {
                self.store
                    .outbox()
                    .mark_sent(row.id, Some(&id), None, now)
                    .await?;
                if counted {
                    self.store.destinations().posted(destination, today).await?;
                }
            }
            Err(SendError::RetryAfter(secs)) => {
                return Ok(Outcome::Busy(self.wait_out(row, secs, now, started).await?));
            }
            Err(SendError::Transient(why)) => self.retry_later(row, &why, now).await?,
            Err(SendError::Unreachable(why)) => {
                tracing::warn!(destination, error = %why, "community gone; stopped");
                self.store
                    .outbox()
                    .later(row.id, None, true, Some(&why))
                    .await?;
                if let Some((owner, name)) =
                    self.store.destinations().disable(destination, &why).await?
                {
                    let key = format!("community-stopped:{destination}:{now}");
                    let told = if d.kind == DISCORD_WEBHOOK {
                        Notice::CommunityStopped { name }
                    } else {
                        Notice::CommunityLeft { name }
                    };
                    self.store
                        .outbox()
                        .enqueue_notice(owner, &key, &told, now)
                        .await?;
                }
            }
            Err(SendError::Moved(to)) => {
                // The chat has a new id (its event was missed): follow it,
                // and post there at once.
                if self
                    .store
                    .destinations()
                    .move_chat(destination, &to)
                    .await?
                {
                    tracing::info!(destination, "community chat moved; following it");
                    self.store
                        .outbox()
                        .later(row.id, Some(now), false, Some("the chat moved"))
                        .await?;
                } else {
                    let why =
                        format!("the chat moved to {to}, where its owner has a community already");
                    self.store
                        .outbox()
                        .later(row.id, None, true, Some(&why))
                        .await?;
                }
            }
            Err(SendError::Permanent(why)) => {
                tracing::warn!(destination, error = %why, "community post refused for good");
                self.store
                    .outbox()
                    .later(row.id, None, true, Some(&why))
                    .await?;
            }
        }
        Ok(Outcome::Done)
    }
}
