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
use crate::model::{Digest, QuietHours, TimeOfDay};
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

/// How long claimed rows are owned by default: longer than any one user's
/// share of a batch can take (sends time out at 20 s; a recipient that must
/// wait more than a few seconds is handed back).
pub const LEASE_SECS: i64 = 300;
const MAX_ATTEMPTS: i64 = 10;
/// Rows claimed at once; each user's rows are sent in order, users at once.
const BATCH: u32 = 512;
/// Most users served at once by [`Dispatcher::run`].
const MAX_IN_FLIGHT: usize = 1024;
/// Where a reply goes: the channel and address it answers (a private chat,
/// or a group for what the core meant for everyone), the platform's reply
/// handle (a Discord interaction token), and a button press to acknowledge.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Route {
    pub channel: Channel,
    pub address: String,
    #[serde(default)]
    pub reply_token: Option<String>,
    #[serde(default)]
    pub acknowledge: Option<String>,
}

impl Route {
    /// Where the answer to `record` goes: into its group only when the
    /// core meant it for everyone there, else to the sender (through the
    /// platform's reply handle when there is one).
    pub fn answering(
        record: &dealwatch_bots::InboundRecord,
        to: crate::conversation::ReplyTo,
    ) -> Route {
        use crate::conversation::ReplyTo;
        let incoming = &record.incoming;
        let group = match to {
            ReplyTo::Group => incoming.group.as_ref(),
            ReplyTo::Sender => None,
        };
        Route {
            channel: incoming.channel,
            address: group.map_or_else(|| incoming.reply_to.clone(), |g| g.address.clone()),
            reply_token: record.reply_token.clone().filter(|_| group.is_none()),
            acknowledge: record.acknowledge.clone(),
        }
    }
}

/// Send `messages` along `route` (the button press acknowledged first when
/// `acknowledge`): through the reply handle when there is one, directly
/// once the handle has expired (Discord's last 15 minutes).
pub async fn send_reply(
    sender: &dyn Sender,
    route: &Route,
    messages: &[Outgoing],
    acknowledge: bool,
) -> Result<Vec<String>, SendError> {
    if let (Some(token), true) = (&route.acknowledge, acknowledge) {
        // A button spinner left turning is cosmetic; never retry for it.
        if let Err(e) = sender.acknowledge(token).await {
            tracing::warn!(error = %e, "acknowledging a button press failed");
        }
    }
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    match &route.reply_token {
        Some(token) => match sender.reply(token, messages).await {
            Err(SendError::Permanent(why)) => {
                tracing::info!(error = %why, "reply handle refused; sending directly");
                sender.send(&route.address, messages).await
            }
            other => other,
        },
        None => sender.send(&route.address, messages).await,
    }
}

/// Workers past [`MAX_IN_FLIGHT`] kept for replies alone.
const REPLY_RESERVE: usize = 64;

/// How long sends under way may take to finish once shutdown begins.
pub const DRAIN: Duration = Duration::from_secs(5);
/// Longest back-off between two attempts.
const MAX_BACKOFF_SECS: f64 = 3600.0;
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
            let outcome = tracing::Instrument::instrument(self.deliver(&row, now), span).await?;
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

    async fn deliver(&self, row: &OutboxRow, now: i64) -> Result<Outcome, StoreError> {
        let started = std::time::Instant::now();
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
            return self.deliver_reply(row, kept, now).await;
        }
        let user = self.store.users().user(UserId(row.user_id)).await?;
        if let Some(destination) = notice.community() {
            return self
                .post_to_destination(row, &notice, &user, destination, now)
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
                .post_to_destination(row, &notice, &user, destination.id, now)
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

    /// A reply goes where its route says, at once (the person just wrote:
    /// no quiet hours, digest or cap), through the platform's reply handle
    /// when there is one.
    async fn deliver_reply(
        &self,
        row: &OutboxRow,
        kept: crate::seal::Kept,
        now: i64,
    ) -> Result<Outcome, StoreError> {
        let started = std::time::Instant::now();
        let route: Option<Route> = row
            .route
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok());
        let Some(route) = route else {
            let why = Some("a reply without a readable route");
            self.store.outbox().later(row.id, None, true, why).await?;
            return Ok(Outcome::Done);
        };
        let Some(sender) = self.senders.get(&route.channel) else {
            let why = format!("no sender for channel {}", route.channel);
            self.store
                .outbox()
                .later(row.id, None, true, Some(&why))
                .await?;
            return Ok(Outcome::Done);
        };
        let sealed = !kept.sealed.is_empty();
        let fallbacks = kept.messages.clone();
        let messages = crate::seal::process().restore(kept);
        self.store.outbox().sending(row.id, None, now).await?;
        let sent = send_reply(sender.as_ref(), &route, &messages, row.attempts == 0).await;
        match sent {
            Ok(ids) => {
                let ids = ids.join(" ");
                self.store
                    .outbox()
                    .mark_sent(row.id, Some(&ids), None, now)
                    .await?;
                if sealed {
                    // Sent: nothing of the link is kept, not even sealed.
                    let spent = Notice::Reply {
                        kept: crate::seal::Kept {
                            messages: fallbacks,
                            sealed: Vec::new(),
                        },
                    };
                    if let Ok(payload) = serde_json::to_string(&spent) {
                        self.store
                            .outbox()
                            .replace_payload(row.id, &payload)
                            .await?;
                    }
                }
                Ok(Outcome::Done)
            }
            Err(SendError::RetryAfter(secs)) => {
                Ok(Outcome::Busy(self.wait_out(row, secs, now, started).await?))
            }
            Err(SendError::Transient(why)) => {
                self.retry_later(row, &why, now).await?;
                Ok(Outcome::Done)
            }
            Err(
                SendError::Permanent(why) | SendError::Unreachable(why) | SendError::Moved(why),
            ) => {
                tracing::warn!(channel = %route.channel, error = %why, "reply refused for good");
                self.store
                    .outbox()
                    .later(row.id, None, true, Some(&why))
                    .await?;
                Ok(Outcome::Done)
            }
        }
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

    /// The platform asked for `secs` of patience: the row waits that long,
    /// which is not a failed attempt. Returns when it is due again.
    /// The platform's `retry_after` counts from its answer, which came
    /// after `started` (a pacing wait, a slow request): the row waits from
    /// then, not from `now`, or it would be tried again too soon and be
    /// refused again.
    async fn wait_out(
        &self,
        row: &OutboxRow,
        secs: u64,
        now: i64,
        started: std::time::Instant,
    ) -> Result<i64, StoreError> {
        // Whole seconds only: `now` is whole seconds too, and a send that
        // went at once keeps the platform's own figure.
        let spent = i64::try_from(started.elapsed().as_secs()).unwrap_or(0);
        let at = now + spent + i64::try_from(secs).unwrap_or(60).max(1);
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

/// Seconds to wait after `attempts` failures: 2^attempts, at most an hour,
/// times `jitter` in 0..1 mapped to 0.5..1.5, so retries after an outage
/// do not arrive all at once.
pub fn backoff_secs(attempts: i64, jitter: f64) -> i64 {
    let step = 2f64
        .powi(i32::try_from(attempts.clamp(0, 20)).unwrap_or(20))
        .min(MAX_BACKOFF_SECS);
    let secs = step * (0.5 + jitter.clamp(0.0, 1.0));
    (secs.round() as i64).max(1)
}

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
    async fn post_to_destination(
        &self,
        row: &OutboxRow,
        notice: &Notice,
        owner: &User,
        destination: i64,
        now: i64,
    ) -> Result<Outcome, StoreError> {
        let started = std::time::Instant::now();
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

/// When the next digest is due (UTC seconds, after `now`): `digest`'s
/// time in the user's zone, on its weekday for a weekly one; for
/// [`Digest::Off`], 08:00 the next morning. A wall time that a DST change
/// skips is taken at the first instant after the gap.
pub fn next_digest_at(digest: Digest, zone: &str, now: i64) -> Option<i64> {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::from_second(now)
        .ok()?
        .to_zoned(tz.clone())
        .date();
    let (at, weekday) = match digest {
        Digest::Off => (Digest::DEFAULT_TIME, None),
        Digest::Daily { at } => (at, None),
        Digest::Weekly { day, at } => (at, Some(day)),
    };
    let hour = i8::try_from(at.hour()).ok()?;
    let minute = i8::try_from(at.minute()).ok()?;
    for days in 0..=7 {
        let date = today.checked_add(jiff::Span::new().days(days)).ok()?;
        if weekday.is_some_and(|d| {
            i8::try_from(d.number()).ok() != Some(date.weekday().to_monday_one_offset())
        }) {
            continue;
        }
        let when = date.at(hour, minute, 0, 0).to_zoned(tz.clone()).ok()?;
        let when = when.timestamp().as_second();
        if when > now {
            return Some(when);
        }
    }
    None
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

    fn daily(h: u8, m: u8) -> Digest {
        Digest::Daily {
            at: TimeOfDay::new(h, m).unwrap(),
        }
    }

    #[test]
    fn digests_come_at_the_users_time_in_their_zone() {
        // 08:00 in Berlin is 07:00 UTC in November.
        assert_eq!(
            next_digest_at(daily(8, 0), "Europe/Berlin", ts("2026-11-23T06:59:00Z")),
            Some(ts("2026-11-23T07:00:00Z"))
        );
        // At the very time, the next one is tomorrow's.
        assert_eq!(
            next_digest_at(daily(8, 0), "Europe/Berlin", ts("2026-11-23T07:00:00Z")),
            Some(ts("2026-11-24T07:00:00Z"))
        );
        // Noon UTC is 07:00 in New York: today's 08:00 is still to come.
        assert_eq!(
            next_digest_at(daily(8, 0), "America/New_York", ts("2026-11-23T12:00:00Z")),
            Some(ts("2026-11-23T13:00:00Z"))
        );
        // Weekly on Sunday at 18:00, asked on Monday 2026-11-23.
        let sunday = Digest::Weekly {
            day: crate::model::Weekday::Sunday,
            at: TimeOfDay::new(18, 0).unwrap(),
        };
        assert_eq!(
            next_digest_at(sunday, "Europe/London", ts("2026-11-23T10:00:00Z")),
            Some(ts("2026-11-29T18:00:00Z"))
        );
        // On Sunday after 18:00, a week later.
        assert_eq!(
            next_digest_at(sunday, "Europe/London", ts("2026-11-29T18:30:00Z")),
            Some(ts("2026-12-06T18:00:00Z"))
        );
        // No digest: cap overflow waits for 08:00 the next morning.
        assert_eq!(
            next_digest_at(Digest::Off, "Asia/Tokyo", ts("2026-11-23T00:00:00Z")),
            Some(ts("2026-11-23T23:00:00Z"))
        );
    }

    #[test]
    fn digests_across_dst_changes() {
        // London springs forward on Sunday 2026-03-29: 08:00 is 08:00 UTC
        // on Saturday and 07:00 UTC on Sunday.
        assert_eq!(
            next_digest_at(daily(8, 0), "Europe/London", ts("2026-03-28T09:00:00Z")),
            Some(ts("2026-03-29T07:00:00Z"))
        );
        // And falls back on 2026-10-25: 08:00 is 08:00 UTC again.
        assert_eq!(
            next_digest_at(daily(8, 0), "Europe/London", ts("2026-10-24T08:00:00Z")),
            Some(ts("2026-10-25T08:00:00Z"))
        );
        // 01:30 does not exist on 2026-03-29 in London: the first instant
        // after the gap, 02:30 BST (01:30 UTC).
        assert_eq!(
            next_digest_at(daily(1, 30), "Europe/London", ts("2026-03-28T12:00:00Z")),
            Some(ts("2026-03-29T01:30:00Z"))
        );
        // A weekly Monday 09:00 in New York across the US change on Sunday
        // 2026-03-08: EST on Friday, EDT on Monday.
        let monday = Digest::Weekly {
            day: crate::model::Weekday::Monday,
            at: TimeOfDay::new(9, 0).unwrap(),
        };
        assert_eq!(
            next_digest_at(monday, "America/New_York", ts("2026-03-06T15:00:00Z")),
            Some(ts("2026-03-09T13:00:00Z"))
        );
    }

    #[test]
    fn back_off_doubles_with_jitter_and_is_capped() {
        // Jitter 0.5 is the plain step.
        assert_eq!(backoff_secs(0, 0.5), 1);
        assert_eq!(backoff_secs(3, 0.5), 8);
        // Jitter spreads a step over half to one and a half times it.
        assert_eq!(backoff_secs(4, 0.0), 8);
        assert_eq!(backoff_secs(4, 1.0), 24);
        // Capped at an hour (times the jitter), never below a second.
        assert_eq!(backoff_secs(30, 0.5), 3600);
        assert_eq!(backoff_secs(-3, 0.0), 1);
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
