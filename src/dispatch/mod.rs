//! Purpose: deliver outbox notices (first prices, alerts, digests) on chat
//! platforms, respecting people's preferences and platforms' limits.
//!
//! Workers claim pending outbox rows (leased; `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so several instances cooperate) and deliver each user's rows
//! in order, different users at once. For each notice:
//!
//! 1. An alert for a user with a digest is held for it; digests are made
//!    when due, one message per user, grouped and sorted
//!    ([`crate::watching::render`]).
//! 2. Inside the user's quiet hours (their zone, DST-aware) it waits for
//!    the window's end.
//! 3. An alert over the user's daily cap is held for the next digest (the
//!    user's digest, else 08:00 their time the next morning).
//! 4. It goes to the rule's chosen channel first (`alert … via sms`), else
//!    the identity the user wrote from last, then their other identities.
//!
//! The platform adapters pace sends to each platform's limits; when a
//! recipient must wait (or a platform answers 429), the row and the rest of
//! that user's batch come back after the wait, which does not count as an
//! attempt. Other failures back off exponentially with jitter; a message a
//! platform refuses for good is tried on the next identity; an identity
//! the platform says is unreachable (blocked, unsubscribed) is disabled and
//! the user is told on another channel if they have one.
//!
//! Exactly-once: before a send the row is marked `sending`; the outcome,
//! with the platform's message ids, is recorded after. A row found still
//! `sending` after a crash is in doubt: it is sent again to the same
//! identity with the same delivery key. Discord deduplicates that (the
//! message nonce), so it appears once; Telegram, WhatsApp and Twilio have
//! no idempotency key, so a message whose request reached them just before
//! the crash can appear twice (at-least-once, never lost). See
//! docs/DELIVERY.md.

use crate::l10n::L10n;
use crate::model::Digest;
use crate::plans::Plans;
use crate::storage::{
    chat_kind, destination_channel, unix_now, Identity, OutboxRow, Store, StoreError, User, UserId,
    DISCORD_WEBHOOK,
};
use crate::watching::{self, Notice};
use dealwatch_bots::pace::Pace;
use dealwatch_bots::{Channel, Outgoing, SendError, Sender};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

mod communities;
mod replies;
mod timing;

pub use replies::{send_reply, Route};

pub use communities::{webhook_pace, WEBHOOK_PACE};
use timing::Started;
pub use timing::{backoff_secs, local_midnight, next_digest_at, quiet_until};

/// How long claimed rows are owned by default: longer than any one user's
/// share of a batch can take (sends time out at 20 s; a recipient that must
/// wait more than a few seconds is handed back).
pub const LEASE_SECS: i64 = 300;
const MAX_ATTEMPTS: i64 = 10;
/// Rows claimed at once; each user's rows are sent in order, users at once.
const BATCH: u32 = 512;
/// Most users served at once by [`Dispatcher::run`].
const MAX_IN_FLIGHT: usize = 1024;
/// Workers past [`MAX_IN_FLIGHT`] kept for replies alone.
const REPLY_RESERVE: usize = 64;

/// How long sends under way may take to finish once shutdown begins.
pub const DRAIN: Duration = Duration::from_secs(5);
/// How often [`Dispatcher::run`] looks for digests that are due.
const DIGEST_CHECK_SECS: i64 = 15;

/// Delivers the outbox.
#[derive(Clone)]
pub struct Dispatcher {
    store: Store,
    l10n: Arc<L10n>,
    plans: Plans,
    senders: Arc<HashMap<Channel, Arc<dyn Sender>>>,
    lease_secs: i64,
    /// Rung when replies are stored, so they leave at once.
    wake: Arc<tokio::sync::Notify>,
    /// Deliver to console users only (`dealwatch chat`).
    console: bool,
    /// Posts to community destinations (Discord webhook URLs), and the
    /// pace they are held to.
    communities: Option<(crate::conversation::Communities, Arc<Pace>)>,
}

/// What became of one row.
enum Outcome {
    Done,
    /// The user's channel is at its rate limit until then (UTC seconds).
    Busy(i64),
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
            senders: Arc::new(senders),
            lease_secs: LEASE_SECS,
            wake: Arc::new(tokio::sync::Notify::new()),
            console: false,
            communities: None,
        }
    }

    /// Post community rules' matches through Discord webhook URLs, at
    /// most [`WEBHOOK_PACE`] to each.
    pub fn with_communities(self, communities: crate::conversation::Communities) -> Dispatcher {
        self.with_communities_paced(communities, webhook_pace())
    }

    /// [`Dispatcher::with_communities`] at another pace (tests, benches).
    pub fn with_communities_paced(
        mut self,
        communities: crate::conversation::Communities,
        pace: Pace,
    ) -> Dispatcher {
        self.communities = Some((communities, Arc::new(pace)));
        self
    }

    /// Deliver the notices of console users, and only theirs, through a
    /// console sender: `dealwatch chat` then keeps quiet hours, digests and
    /// caps like every channel.
    pub fn for_console(mut self) -> Dispatcher {
        self.console = true;
        self
    }

    /// What the inbox rings when it stores replies (`Inbox::waking`).
    pub fn waker(&self) -> Arc<tokio::sync::Notify> {
        self.wake.clone()
    }

    /// Own claimed rows for `secs` instead of [`LEASE_SECS`]: a row whose
    /// instance died comes back after this.
    pub fn with_lease(mut self, secs: i64) -> Dispatcher {
        self.lease_secs = secs.max(1);
        self
    }

    /// Deliver until `shutdown` completes.
    ///
    /// A pipeline, not batches: whenever fewer than `MAX_IN_FLIGHT` users
    /// are being served, more rows are claimed, so one slow recipient (a
    /// chat at its per-chat limit) never holds up the others. Rows claimed
    /// for a user already being served are let go again: a user's rows
    /// stay in order.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut workers: Workers = JoinSet::new();
        let mut serving = Serving::new();
        // Digest times are whole minutes: looking for due ones on every
        // claim (after every finished user) would be wasted queries.
        let mut next_digests = 0;
        loop {
            while let Some(done) = workers.try_join_next() {
                finished(done, &mut serving);
            }
            let mut claimed = 0;
            // Past MAX_IN_FLIGHT users, a reserve of workers takes replies
            // alone: someone who just wrote never waits for a free slot.
            let room = workers.len() < MAX_IN_FLIGHT + REPLY_RESERVE;
            if !self.senders.is_empty() && room {
                let now = unix_now();
                if now >= next_digests {
                    next_digests = now + DIGEST_CHECK_SECS;
                    if let Err(e) = self.store.outbox().make_digests(now, 200, digest_of).await {
                        tracing::error!(error = %e, "dispatcher: making digests failed");
                    }
                }
                let priority = if workers.len() < MAX_IN_FLIGHT {
                    crate::storage::PRIORITY_NOTICE
                } else {
                    crate::storage::PRIORITY_REPLY
                };
                match self.claim(now, &serving, priority).await {
                    Ok(groups) => claimed = self.spawn(&mut workers, &mut serving, groups, None),
                    Err(e) => tracing::error!(error = %e, "dispatcher: claiming failed"),
                }
            }
            if claimed > 0 {
                // More may be waiting; but never past a shutdown.
                tokio::select! {
                    biased;
                    () = &mut shutdown => break,
                    () = std::future::ready(()) => continue,
                }
            }
            tokio::select! {
                () = &mut shutdown => break,
                Some(done) = workers.join_next(), if !workers.is_empty() => finished(done, &mut serving),
                () = self.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
        }
        // Nothing new starts. Sends under way get `DRAIN` to finish and be
        // recorded; then the rest stop, and their rows are given back at
        // once (a row whose request was cut off counts as in doubt).
        let drained = tokio::time::timeout(DRAIN, async {
            while let Some(done) = workers.join_next().await {
                finished(done, &mut serving);
            }
        })
        .await;
        if drained.is_err() {
            workers.abort_all();
            while let Some(done) = workers.join_next().await {
                finished(done, &mut serving);
            }
            let left: Vec<i64> = serving.into_values().flatten().collect();
            tracing::info!(rows = left.len(), "dispatcher: rows given back at shutdown");
            if let Err(e) = self.store.outbox().release(&left).await {
                tracing::error!(error = %e, "dispatcher: giving rows back failed; their leases expire");
            }
        }
    }

    /// Claim a batch, grouped by lane; rows of lanes in `serving` are let
    /// go again.
    async fn claim(
        &self,
        now: i64,
        serving: &Serving,
        priority: i64,
    ) -> Result<BTreeMap<Lane, Vec<OutboxRow>>, StoreError> {
        let rows = self
            .store
            .outbox()
            .claim_up_to(now, self.lease_secs, BATCH, priority, self.console)
            .await?;
        let mut by_user: BTreeMap<Lane, Vec<OutboxRow>> = BTreeMap::new();
        let mut busy = Vec::new();
        for row in rows {
            let lane = lane_of(&row);
            if serving.contains_key(&lane) {
                busy.push(row.id);
            } else {
                by_user.entry(lane).or_default().push(row);
            }
        }
        if !busy.is_empty() {
            self.store.outbox().release(&busy).await?;
        }
        Ok(by_user)
    }

    /// Start a task per user of `groups` (rows in order, at `at` or the
    /// real time); returns how many rows they have.
    fn spawn(
        &self,
        workers: &mut Workers,
        serving: &mut Serving,
        groups: BTreeMap<Lane, Vec<OutboxRow>>,
        at: Option<i64>,
    ) -> usize {
        let mut rows_started = 0;
        for (lane, rows) in groups {
            rows_started += rows.len();
            serving.insert(lane.clone(), rows.iter().map(|r| r.id).collect());
            let me = self.clone();
            workers.spawn(async move { (lane, me.deliver_user(rows, at).await) });
        }
        rows_started
    }

    /// Make the digests that are due, then claim and deliver one batch;
    /// returns how many rows were claimed.
    pub async fn deliver_pending(&self) -> Result<usize, StoreError> {
        self.deliver_pending_at(unix_now()).await
    }

    /// [`Dispatcher::deliver_pending`] as if the time were `now` (UTC
    /// seconds): tests of digests, quiet hours and retries.
    pub async fn deliver_pending_at(&self, now: i64) -> Result<usize, StoreError> {
        if self.senders.is_empty() {
            return Ok(0);
        }
        self.store
            .outbox()
            .make_digests(now, 200, digest_of)
            .await?;
        let mut serving = Serving::new();
        let by_user = self
            .claim(now, &serving, crate::storage::PRIORITY_NOTICE)
            .await?;
        let mut workers = JoinSet::new();
        let count = self.spawn(&mut workers, &mut serving, by_user, Some(now));
        while let Some(done) = workers.join_next().await {
            finished(done, &mut serving);
        }
        Ok(count)
    }

    /// Deliver every reply that is due now (the inbox's test helper does
    /// this after acting, as the dispatcher's loop does in `serve`);
    /// returns how many were claimed.
    pub async fn deliver_replies(&self) -> Result<usize, StoreError> {
        let mut count = 0;
        loop {
            let by_user = self
                .claim(unix_now(), &Serving::new(), crate::storage::PRIORITY_REPLY)
                .await?;
            if by_user.is_empty() {
                return Ok(count);
            }
            for (_, rows) in by_user {
                count += rows.len();
                self.deliver_user(rows, None).await?;
            }
        }
    }

    /// One user's rows, in order. When their channel is busy the rest of
    /// the batch waits with the row that found it so (not an attempt).
    async fn deliver_user(&self, rows: Vec<OutboxRow>, at: Option<i64>) -> Result<(), StoreError> {
        let mut rows = rows.into_iter();
        while let Some(row) = rows.next() {
            let now = at.unwrap_or_else(unix_now);
            let span = tracing::info_span!("deliver", row = row.id, user = row.user_id);
            let started = Started::now(at.is_none());
            let outcome =
                tracing::Instrument::instrument(self.deliver(&row, now, started), span).await?;
            if let Outcome::Busy(until) = outcome {
                for rest in rows.by_ref() {
                    self.store
                        .outbox()
                        .later(rest.id, Some(until), false, None)
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn deliver(
        &self,
        row: &OutboxRow,
        now: i64,
        started: Started,
    ) -> Result<Outcome, StoreError> {
        let notice: Notice = match serde_json::from_str(&row.payload) {
            Ok(n) => n,
            Err(e) => {
                self.store
                    .outbox()
                    .later(row.id, None, true, Some(&format!("unreadable: {e}")))
                    .await?;
                return Ok(Outcome::Done);
            }
        };
        if let Notice::Reply { kept } = notice {
            return self.deliver_reply(row, kept, now, started).await;
        }
        let user = self.store.users().user(UserId(row.user_id)).await?;
        if let Some(destination) = notice.community() {
            return self
                .post_to_destination(row, &notice, &user, destination, now, started)
                .await;
        }
        if let Notice::DealMatch {
            post_to: Some((channel, address)),
            ..
        } = &notice
        {
            // Queued before chats became destinations (migration 0016):
            // the chat's community now, the same one path.
            let kind = chat_kind(*channel, dealwatch_bots::GroupKind::Group);
            let place = match kind {
                Some(kind) => self.store.destinations().chat(kind, address).await?,
                None => None,
            };
            let Some(destination) = place.filter(|d| d.owner == user.id) else {
                self.store
                    .outbox()
                    .later(row.id, None, true, Some("the channel has no community"))
                    .await?;
                return Ok(Outcome::Done);
            };
            return self
                .post_to_destination(row, &notice, &user, destination.id, now, started)
                .await;
        }
        let settings = &user.settings;
        let zone = settings.time_zone.as_str();
        if notice.is_alert() && settings.digest != Digest::Off {
            return self.hold(row, settings.digest, zone, now).await;
        }
        if let Some(ends) = settings.quiet.and_then(|q| quiet_until(q, zone, now)) {
            self.store
                .outbox()
                .later(row.id, Some(ends), false, None)
                .await?;
            return Ok(Outcome::Done);
        }
        // The user's day, for the daily cap and the SMS allowance.
        let today = local_midnight(zone, now, 0).unwrap_or(now - 86_400);
        if let (true, Some(cap)) = (notice.is_alert(), settings.daily_cap) {
            if self
                .store
                .outbox()
                .alerts_sent_since(user.id, today)
                .await?
                >= cap
            {
                // The rest of today's alerts go into the next digest (the
                // user has none, or this alert would be held already).
                return self.hold(row, Digest::Off, zone, now).await;
            }
        }
        let tr = self.l10n.tr(&settings.locale);
        let message = watching::render(&notice, &tr);
        let identities = self
            .delivery_order(row, &user, notice.preferred_channel())
            .await?;
        if row.sending_since.is_some() {
            tracing::warn!(
                outbox = row.id,
                "delivery in doubt after a restart: sending it again to the same identity"
            );
        }
        let key = delivery_key(row);
        let mut last_error = String::from("no reachable identity");
        let mut over_sms_quota = false;
        for identity in &identities {
            let Some(sender) = self.senders.get(&identity.channel) else {
                continue;
            };
            if identity.channel == Channel::Sms {
                // The plan's SMS allowance, counted in the user's own day.
                let quota = self.plans.limits(user.plan).sms_per_day;
                if self.store.outbox().sms_sent_since(user.id, today).await? >= quota {
                    over_sms_quota = true;
                    continue;
                }
            }
            self.store
                .outbox()
                .sending(row.id, Some(identity.id), now)
                .await?;
            // Notices go in the bulk lane: replies pass ahead of them.
            let sent = dealwatch_bots::pace::bulk(sender.notify(
                &identity.reply_address,
                std::slice::from_ref(&message),
                identity.last_inbound_at,
                &key,
            ))
            .await;
            match sent {
                Ok(ids) => {
                    let ids = ids.join(" ");
                    self.store
                        .outbox()
                        .mark_sent(row.id, Some(&ids), Some(identity.id), now)
                        .await?;
                    return Ok(Outcome::Done);
                }
                Err(SendError::RetryAfter(secs)) => {
                    return Ok(Outcome::Busy(self.wait_out(row, secs, now, started).await?));
                }
                Err(SendError::Transient(why)) => {
                    self.retry_later(row, &why, now).await?;
                    return Ok(Outcome::Done);
                }
                // This message will not go there: try the next identity.
                Err(SendError::Permanent(why) | SendError::Moved(why)) => last_error = why,
                Err(SendError::Unreachable(why)) => {
                    let others = identities.iter().any(|i| i.id != identity.id);
                    self.lost(user.id, identity, others, &why, now).await?;
                    last_error = why;
                }
            }
        }
        if over_sms_quota {
            // Only SMS could carry it and today's allowance is spent: wait
            // for the user's next day.
            let tomorrow = local_midnight(zone, now, 1).unwrap_or(now + 86_400);
            let why = Some("daily SMS allowance used");
            self.store
                .outbox()
                .later(row.id, Some(tomorrow), false, why)
                .await?;
            return Ok(Outcome::Done);
        }
        self.store
            .outbox()
            .later(row.id, None, true, Some(&last_error))
            .await?;
        Ok(Outcome::Done)
    }

    /// The user's identities in the order to try them: the one a send in
    /// doubt went to (so a platform that deduplicates sees the same
    /// delivery again), else the rule's chosen channel, then the most
    /// recently active.
    async fn delivery_order(
        &self,
        row: &OutboxRow,
        user: &User,
        preferred: Option<Channel>,
    ) -> Result<Vec<Identity>, StoreError> {
        let mut identities = self
            .store
            .users()
            .identities_to_reach(user.id, self.console)
            .await?;
        let in_doubt = row.sending_since.and(row.identity_id);
        // A stable sort: within each rank, most recently active first.
        identities.sort_by_key(|i| {
            if Some(i.id) == in_doubt {
                0
            } else if Some(i.channel) == preferred {
                1
            } else {
                2
            }
        });
        Ok(identities)
    }

    /// Hold an alert for the next digest after `now` on `digest`'s
    /// schedule ([`Digest::Off`]: 08:00 the next morning).
    async fn hold(
        &self,
        row: &OutboxRow,
        digest: Digest,
        zone: &str,
        now: i64,
    ) -> Result<Outcome, StoreError> {
        let at = next_digest_at(digest, zone, now).unwrap_or(now + 86_400);
        self.store.outbox().hold_for_digest(row.id, at).await?;
        Ok(Outcome::Done)
    }

    /// The platform asked for `secs` of patience: the row waits that long
    /// from the platform's answer (after a pacing wait or a slow request,
    /// not from `now`), which is not a failed attempt. Returns when it is
    /// due again.
    async fn wait_out(
        &self,
        row: &OutboxRow,
        secs: u64,
        now: i64,
        started: Started,
    ) -> Result<i64, StoreError> {
        let at = started.retry_at(now, secs);
        self.store
            .outbox()
            .later(row.id, Some(at), false, Some("rate limited"))
            .await?;
        Ok(at)
    }

    /// Exponential back-off with jitter (half to one and a half times the
    /// step), or dead after [`MAX_ATTEMPTS`].
    async fn retry_later(&self, row: &OutboxRow, why: &str, now: i64) -> Result<(), StoreError> {
        if row.attempts + 1 >= MAX_ATTEMPTS {
            return self
                .store
                .outbox()
                .later(row.id, None, true, Some(why))
                .await;
        }
        let at = now + backoff_secs(row.attempts, fastrand::f64());
        self.store
            .outbox()
            .later(row.id, Some(at), true, Some(why))
            .await
    }

    /// An identity the platform says cannot be reached: stop using it, and
    /// say so on the user's other channels (once), if they have `others`.
    async fn lost(
        &self,
        user: UserId,
        identity: &Identity,
        others: bool,
        why: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        tracing::info!(channel = %identity.channel, identity = identity.id, error = %why, "identity unreachable: disabled");
        if !self
            .store
            .users()
            .disable_identity(identity.id, why)
            .await?
            || !others
        {
            return Ok(());
        }
        let notice = Notice::ChannelLost {
            channel: identity.channel,
            why: why.chars().take(200).collect(),
        };
        let key = format!("lost:{}:{now}", identity.id);
        self.store
            .outbox()
            .enqueue_notice(user, &key, &notice, now)
            .await?;
        Ok(())
    }
}

/// Delivery tasks, one per lane: the lane and how recording went.
type Workers = JoinSet<(Lane, Result<(), StoreError>)>;

/// Rows delivered in order, one task at a time: a user's own notices and
/// replies (`None`), and apart from them each community's posts, so one
/// channel's pace never holds up its owner's alerts or another channel.
type Lane = (i64, Option<String>);

fn lane_of(row: &OutboxRow) -> Lane {
    let community = row
        .route
        .as_deref()
        .filter(|r| r.starts_with("community:"))
        .map(str::to_owned);
    (row.user_id, community)
}

/// The key a delivery is known by, the same when it is tried again; the
/// platforms that deduplicate (Discord's nonce) use it.
fn delivery_key(row: &OutboxRow) -> String {
    format!("o{}", row.id)
}

/// The users being served, with the rows claimed for each.
type Serving = HashMap<Lane, Vec<i64>>;

/// Log how a user's delivery task ended and stop counting them as served.
fn finished(
    done: Result<(Lane, Result<(), StoreError>), tokio::task::JoinError>,
    serving: &mut Serving,
) {
    match done {
        Ok((lane, outcome)) => {
            serving.remove(&lane);
            if let Err(e) = outcome {
                tracing::error!(error = %e, "dispatcher: recording a delivery failed");
            }
        }
        // A panicking task's rows come back when their lease ends.
        Err(e) => tracing::error!(error = %e, "dispatcher: a delivery task failed"),
    }
}

/// The digest of held alerts, from their stored payloads.
fn digest_of(payloads: &[String]) -> Option<Notice> {
    let items: Vec<Notice> = payloads
        .iter()
        .filter_map(|p| serde_json::from_str(p).ok())
        .collect();
    (!items.is_empty()).then_some(Notice::Digest { items })
}
