//! Purpose: never lose an accepted message, and never act on one twice.
//!
//! A webhook hands each verified message to [`Inbox::accept`], which stores
//! it (unique per channel and provider id, so a redelivery is a no-op)
//! before the provider is answered. A worker ([`Inbox::run`]) then claims
//! stored messages and acts on each through the core; its replies go into
//! the outbox (ahead of notices, with the route they take) in the same
//! transaction that marks the message `processed`, and the dispatcher
//! delivers them with everything else that leaves. Acting never waits on a
//! platform's pace: a `pause` or `STOP` takes effect at once, however many
//! replies are queued. A failed send is retried by the dispatcher without
//! acting again; a process that dies mid-way leaves the message claimed
//! until its claim expires, and the next worker (after a restart, or
//! another instance) finishes it. Twilio's synchronous TwiML answer is the
//! one reply given inline; a pointer to the private chat for someone with
//! no account (a stranger in a group) is sent from here too.
//!
//! Fairness: a worker takes only each person's oldest unfinished message
//! and acts on up to [`MAX_IN_FLIGHT`] people's at once, so one person's
//! thousand commands (or a message of theirs waiting out a retry) hold up
//! nobody else, and each person's messages are still acted on in order.
//!
//! Shutdown: no new message is taken once `shutdown` completes; messages
//! in flight get [`DRAIN`] to finish, the rest are stopped and given back
//! at once, so a restart (or another instance) takes them without waiting
//! out their claim.
//!
//! Exactly once: the core decides first, writing nothing the message asked
//! for ([`Core::decide`]); then what the command changes, its replies and
//! the `processed` mark are written in one transaction ([`Core::apply`]
//! into a [`crate::storage::Unit`]). A crash before that commits leaves
//! nothing of the command, and it is acted on again from scratch; after
//! it, the message is done. A reply may, rarely, be sent twice (a crash
//! between sending and recording it); a command is never acted on twice.

use crate::conversation::{Answer, Core, Decided, ReplyTo};
use crate::dispatch::{send_reply, Dispatcher, Route};
use crate::seal::Sealer;
use crate::storage::{unix_now, Answered, InboundRow, Store, StoreError};
use crate::watching::Notice;
use dealwatch_bots::{
    BoxFuture, Channel, DeliveryStatus, InboundRecord, Outgoing, SendError, Sender,
};
use dealwatch_webhooks::InboundSink;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinSet;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Fewest free places worth a claim while messages are in flight.
const CLAIM_AT_LEAST: usize = 16;
/// How long a worker's claim on a message lasts.
const CLAIM_SECS: i64 = 120;
/// People whose messages are acted on at once.
pub const MAX_IN_FLIGHT: usize = 64;
/// How long messages in flight may take to finish once shutdown begins.
pub const DRAIN: Duration = Duration::from_secs(5);
/// How long a reply the provider takes in its webhook's answer (Twilio's
/// TwiML) waits in the outbox before it is sent the usual way instead:
/// only when that answer did not happen.
const INLINE_HOLD_SECS: i64 = 60;
/// Attempts before a message is given up as failed.
const MAX_ATTEMPTS: i64 = 8;

/// Stores inbound messages and processes them.
pub struct Inbox {
    store: Store,
    core: Core,
    senders: HashMap<Channel, Arc<dyn Sender>>,
    wake: Notify,
    /// Seals replies that hold a payment link while they wait.
    sealer: &'static Sealer,
    /// Wakes the dispatcher when replies are waiting.
    delivery: Arc<Notify>,
    /// Delivers replies in [`Inbox::process_pending`] (tests), the way the
    /// dispatcher does in `serve`.
    replies: Dispatcher,
    /// Decided messages are written together (group commit).
    commits: Commits,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("channels", &self.senders.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Inbox {
    pub fn new(store: Store, core: Core, senders: HashMap<Channel, Arc<dyn Sender>>) -> Inbox {
        let replies = Dispatcher::new(
            store.clone(),
            core.l10n().clone(),
            *core.plans(),
            senders.clone(),
        );
        Inbox {
            store,
            core,
            senders,
            wake: Notify::new(),
            sealer: crate::seal::process(),
            delivery: Arc::new(Notify::new()),
            replies,
            commits: Commits::default(),
        }
    }

    /// Wake `delivery` (the dispatcher's) whenever replies are stored.
    pub fn waking(mut self, delivery: Arc<Notify>) -> Inbox {
        self.delivery = delivery;
        self
    }

    /// Store a message; false if this provider id was stored before.
    pub async fn accept(&self, record: &InboundRecord) -> Result<bool, StoreError> {
        let new = self.store_record(record).await?;
        if new {
            self.wake.notify_one();
        }
        Ok(new)
    }

    /// Store a message and act on it at once, giving the replies back if
    /// that takes less than `wait` (they are then the provider's answer and
    /// are not sent again). Past `wait` the work carries on in the
    /// background and the replies are sent through the platform's API,
    /// exactly as a worker would; a redelivery, or a message a worker
    /// claimed first, also gets `None`.
    pub async fn accept_and_answer(
        self: &Arc<Self>,
        record: &InboundRecord,
        wait: Duration,
    ) -> Result<Option<Vec<Outgoing>>, StoreError> {
        if !self.store_record(record).await? {
            return Ok(None);
        }
        let provider_id = record.incoming.message_id.as_deref().unwrap_or_default();
        let claimed = self
            .store
            .inbox()
            .claim_message(record.incoming.channel, provider_id, unix_now(), CLAIM_SECS)
            .await?;
        let Some(row) = claimed else {
            return Ok(None);
        };
        let (answer, answered) = tokio::sync::oneshot::channel();
        let inbox = self.clone();
        tokio::spawn(async move {
            if let Err(e) = inbox.process_inline(row, Some(answer)).await {
                tracing::error!(error = %e, "inbound: recording an outcome failed");
            }
        });
        match tokio::time::timeout(wait, answered).await {
            Ok(Ok(replies)) => Ok(Some(replies)),
            _ => Ok(None),
        }
    }

    async fn store_record(&self, record: &InboundRecord) -> Result<bool, StoreError> {
        let incoming = &record.incoming;
        let Some(provider_id) = incoming.message_id.as_deref() else {
            return Err(StoreError::Corrupt(
                "an inbound message needs its provider id".into(),
            ));
        };
        let payload =
            serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.store
            .inbox()
            .accept(
                incoming.channel,
                provider_id,
                &incoming.sender_id,
                &payload,
                unix_now(),
            )
            .await
    }

    /// Process stored messages until `shutdown` completes: a pipeline that
    /// takes more whenever fewer than [`MAX_IN_FLIGHT`] are in flight, and
    /// looks at `shutdown` between every batch.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut workers: JoinSet<()> = JoinSet::new();
        let in_flight: Arc<Mutex<HashSet<i64>>> = Arc::default();
        loop {
            while workers.try_join_next().is_some() {}
            let mut claimed = 0;
            let free = MAX_IN_FLIGHT.saturating_sub(workers.len());
            // A claim is a write: taken for several people at a time, not
            // for each one that finishes (unless nothing is in flight).
            if free >= CLAIM_AT_LEAST || (free > 0 && workers.is_empty()) {
                let limit = u32::try_from(free).unwrap_or(32);
                match self
                    .store
                    .inbox()
                    .claim(unix_now(), CLAIM_SECS, limit)
                    .await
                {
                    Ok(rows) => {
                        claimed = rows.len();
                        for row in rows {
                            self.spawn(&mut workers, &in_flight, row);
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "inbound worker: claiming failed"),
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
                Some(_) = workers.join_next(), if !workers.is_empty() => {}
                () = self.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        self.drain(workers, &in_flight).await;
    }

    /// Act on one claimed message in a task of its own.
    fn spawn(
        self: &Arc<Self>,
        workers: &mut JoinSet<()>,
        in_flight: &Arc<Mutex<HashSet<i64>>>,
        row: InboundRow,
    ) {
        let id = row.id;
        lock(in_flight).insert(id);
        let me = self.clone();
        let in_flight = in_flight.clone();
        workers.spawn(async move {
            if let Err(e) = me.process(row).await {
                tracing::error!(error = %e, "inbound worker: recording an outcome failed");
            }
            lock(&in_flight).remove(&id);
        });
    }

    /// Shutdown: let messages in flight finish for [`DRAIN`], then stop the
    /// rest and give them back.
    async fn drain(&self, mut workers: JoinSet<()>, in_flight: &Mutex<HashSet<i64>>) {
        let finished = tokio::time::timeout(DRAIN, async {
            while workers.join_next().await.is_some() {}
        })
        .await;
        if finished.is_ok() {
            return;
        }
        workers.abort_all();
        while workers.join_next().await.is_some() {}
        let left: Vec<i64> = lock(in_flight).drain().collect();
        tracing::info!(
            count = left.len(),
            "inbound: messages given back at shutdown"
        );
        if let Err(e) = self.store.inbox().release(&left).await {
            tracing::error!(error = %e, "inbound: giving messages back failed; their claims expire");
        }
    }

    /// Process every message that can be processed now, one after another
    /// in claim order (each claim holds one message per person), for tests
    /// that want a predictable order; returns how many were claimed.
    pub async fn process_pending(&self) -> Result<usize, StoreError> {
        let mut count = 0;
        loop {
            let rows = self.store.inbox().claim(unix_now(), CLAIM_SECS, 32).await?;
            if rows.is_empty() {
                self.replies.deliver_replies().await?;
                return Ok(count);
            }
            count += rows.len();
            for row in rows {
                if let Err(e) = self.process(row).await {
                    tracing::error!(error = %e, "inbound worker: recording an outcome failed");
                }
            }
        }
    }

    async fn process(&self, row: InboundRow) -> Result<(), StoreError> {
        let span = tracing::info_span!("inbound", message = row.id);
        tracing::Instrument::instrument(self.process_inline(row, None), span).await
    }

    /// Act on a claimed message and deliver its replies: into `answer` when
    /// the provider is still waiting for them, else through the sender.
    async fn process_inline(
        &self,
        row: InboundRow,
        answer_now: Option<tokio::sync::oneshot::Sender<Vec<Outgoing>>>,
    ) -> Result<(), StoreError> {
        let record: InboundRecord = match serde_json::from_str(&row.payload) {
            Ok(record) => record,
            Err(e) => {
                return self
                    .store
                    .inbox()
                    .retry(row.id, &format!("unreadable payload: {e}"), None)
                    .await
            }
        };
        let Some(sender) = self.senders.get(&record.incoming.channel).cloned() else {
            let why = format!("no sender for channel {}", record.incoming.channel);
            return self.give_up(&row, &why).await;
        };
        // Replies kept by an older version: sent from here, as then.
        if let ("handled", Some(saved)) = (row.state.as_str(), row.replies.as_deref()) {
            return match read_saved(saved, self.sealer) {
                Ok(answer) => self.send_inline(&row, &record, &sender, &answer).await,
                Err(e) => {
                    self.store
                        .inbox()
                        .retry(row.id, &format!("unreadable replies: {e}"), None)
                        .await
                }
            };
        }
        let now = unix_now();
        let decided = tracing::Instrument::instrument(
            self.core.decide(&record.incoming, now),
            tracing::info_span!("decide", channel = %record.incoming.channel),
        )
        .await;
        let decided = match decided {
            Ok(decided) => decided,
            Err(e) => return self.retry(&row, &e.to_string(), None).await,
        };
        // What the command changes, its replies and the `processed` mark
        // commit together: a crash before the commit leaves nothing of it,
        // and the message is acted on again from scratch; after it, never.
        let send_at = if answer_now.is_some() {
            now + INLINE_HOLD_SECS
        } else {
            now
        };
        let acted = self.commit(row.id, &record, decided, send_at).await;
        let (answer, reply) = match acted {
            Err(why) => return self.retry(&row, &why, None).await,
            Ok(Acted::Stored { answer, reply }) => (answer, reply),
            Ok(Acted::Inline(answer)) => {
                if let Some(answer_now) = answer_now {
                    if answer_now.send(answer.messages.clone()).is_ok() {
                        return self.store.inbox().processed(row.id, unix_now()).await;
                    }
                }
                return self.send_inline(&row, &record, &sender, &answer).await;
            }
        };
        match (answer_now, reply) {
            (Some(answer_now), Some(reply)) => {
                if answer_now.send(answer.messages).is_ok() {
                    self.store
                        .outbox()
                        .mark_sent(reply, None, None, unix_now())
                        .await?;
                    return Ok(());
                }
                self.store
                    .outbox()
                    .later(reply, Some(unix_now()), false, None)
                    .await?;
            }
            (Some(answer_now), None) => drop(answer_now),
            (None, _) => {}
        }
        self.delivery.notify_one();
        Ok(())
    }

    /// Apply a decided message, with its replies and the `processed` mark,
    /// in a unit shared with whatever other messages are ready (group
    /// commit): the first to arrive while no unit is being written leads,
    /// takes every message waiting and commits them together; the others
    /// wait for that commit. A slow message (a payment link, a chart) holds
    /// up nobody, because it joins only once decided. `Err` means nothing
    /// of this message was kept.
    async fn commit(
        &self,
        row: i64,
        record: &InboundRecord,
        decided: Decided,
        send_at: i64,
    ) -> Result<Acted, String> {
        let (done, outcome) = tokio::sync::oneshot::channel();
        lock(&self.commits.waiting).push(Job {
            row,
            record: record.clone(),
            decided,
            send_at,
            done,
        });
        {
            let _leading = self.commits.leader.lock().await;
            let jobs = std::mem::take(&mut *lock(&self.commits.waiting));
            if !jobs.is_empty() {
                self.commit_jobs(jobs).await;
            }
        }
        outcome
            .await
            .unwrap_or_else(|_| Err("the shared unit was abandoned".into()))
    }

    /// Write `jobs` in one unit and tell each how it went once the unit
    /// is committed. If any of them fails, nothing of the unit is kept and
    /// each is written again in a unit of its own, so one message that
    /// cannot be acted on holds back nobody else.
    async fn commit_jobs(&self, jobs: Vec<Job>) {
        let span = tracing::info_span!("apply", messages = jobs.len());
        let many = jobs.len() > 1;
        let together = tracing::Instrument::instrument(self.write_units(&jobs), span).await;
        match together {
            Ok(mut acted) => {
                for job in jobs.into_iter().rev() {
                    let outcome = acted.pop().ok_or_else(|| "lost an outcome".to_owned());
                    let _ = job.done.send(outcome);
                }
            }
            Err(_) if many => {
                for job in jobs {
                    let outcome = self.write_units(std::slice::from_ref(&job)).await;
                    let outcome = outcome.and_then(|mut acted| {
                        acted.pop().ok_or_else(|| "lost an outcome".to_owned())
                    });
                    let _ = job.done.send(outcome);
                }
            }
            Err(why) => {
                for job in jobs {
                    let _ = job.done.send(Err(why.clone()));
                }
            }
        }
    }

    /// Apply `jobs` in one unit with their replies and `processed` marks,
    /// and commit: every job's outcome, in order, or the first failure
    /// (and then nothing was kept).
    async fn write_units(&self, jobs: &[Job]) -> Result<Vec<Acted>, String> {
        let now = unix_now();
        let mut unit = self.store.begin().await.map_err(|e| e.to_string())?;
        let mut acted = Vec::with_capacity(jobs.len());
        let mut answered = Vec::new();
        for job in jobs {
            let answer = self
                .core
                .apply(&mut unit, job.decided.clone())
                .await
                .map_err(|e| e.to_string())?;
            match answer.user.filter(|_| !answer.messages.is_empty()) {
                Some(user) => {
                    let route = Route::answering(&job.record, answer.to);
                    let payload = Notice::Reply {
                        kept: self.sealer.keep(&answer.messages),
                    };
                    let (route, payload) = serde_json::to_string(&route)
                        .and_then(|route| Ok((route, serde_json::to_string(&payload)?)))
                        .map_err(|e| e.to_string())?;
                    answered.push(Answered {
                        id: job.row,
                        user,
                        route,
                        payload,
                        send_at: job.send_at,
                    });
                    acted.push(Acted::Stored {
                        answer,
                        reply: None,
                    });
                }
                // Nothing to say, or a pointer to someone with no account
                // (a stranger in a group): nothing for the outbox to own.
                None => acted.push(Acted::Inline(answer)),
            }
        }
        // A message carrying a credential (a Discord webhook URL) is kept
        // without it once acted on.
        for job in jobs {
            if let Some(payload) = scrubbed(&job.record) {
                unit.inbound_payload(job.row, &payload)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        let replies = unit
            .inbound_answered(&answered, now)
            .await
            .map_err(|e| e.to_string())?;
        unit.commit().await.map_err(|e| e.to_string())?;
        for (job, outcome) in jobs.iter().zip(acted.iter_mut()) {
            if let Acted::Stored { reply, .. } = outcome {
                *reply = replies.get(&job.row).copied();
            }
        }
        Ok(acted)
    }

    /// Send an answer from here: replies kept by an older version, and
    /// pointers for people who have no account.
    async fn send_inline(
        &self,
        row: &InboundRow,
        record: &InboundRecord,
        sender: &Arc<dyn Sender>,
        answer: &Answer,
    ) -> Result<(), StoreError> {
        let route = Route::answering(record, answer.to);
        let sent = send_reply(sender.as_ref(), &route, &answer.messages, true).await;
        match sent {
            Ok(_) => self.store.inbox().processed(row.id, unix_now()).await,
            Err(SendError::RetryAfter(secs)) => self.retry(row, "rate limited", Some(secs)).await,
            Err(SendError::Transient(why)) => self.retry(row, &why, None).await,
            Err(
                SendError::Permanent(why) | SendError::Unreachable(why) | SendError::Moved(why),
            ) => {
                tracing::warn!(channel = %record.incoming.channel, error = %why, "reply refused for good");
                self.give_up(row, &why).await
            }
        }
    }

    /// Stop trying a message for good. It is kept (for the operator), but
    /// without the credentials its text carried.
    async fn give_up(&self, row: &InboundRow, why: &str) -> Result<(), StoreError> {
        let record = serde_json::from_str::<InboundRecord>(&row.payload).ok();
        if let Some(payload) = record.as_ref().and_then(scrubbed) {
            self.store.inbox().payload(row.id, &payload).await?;
        }
        self.store.inbox().retry(row.id, why, None).await
    }

    /// Try again later (exponential backoff, or the platform's own wait),
    /// or give up after [`MAX_ATTEMPTS`].
    async fn retry(
        &self,
        row: &InboundRow,
        why: &str,
        after_secs: Option<u64>,
    ) -> Result<(), StoreError> {
        if row.attempts + 1 >= MAX_ATTEMPTS {
            return self.give_up(row, why).await;
        }
        let backoff = 1i64 << row.attempts.clamp(0, 8);
        let wait = after_secs
            .map_or(backoff, |s| i64::try_from(s).unwrap_or(backoff))
            .max(1);
        self.store
            .inbox()
            .retry(row.id, why, Some(unix_now() + wait))
            .await
    }
}

/// `record`'s payload as stored without the credentials its text carries
/// (Discord webhook URLs), or `None` if it carries none.
fn scrubbed(record: &InboundRecord) -> Option<String> {
    use dealwatch_bots::discord_webhook::WebhookUrl;
    let text = &record.incoming.text;
    if !text.split_whitespace().any(WebhookUrl::looks_like) {
        return None;
    }
    let mut scrubbed = record.clone();
    scrubbed.incoming.text = text
        .split_whitespace()
        .map(|word| {
            if WebhookUrl::looks_like(word) {
                "[Discord webhook URL]"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    serde_json::to_string(&scrubbed).ok()
}

/// A decided message waiting for the next shared unit.
struct Job {
    row: i64,
    record: InboundRecord,
    decided: Decided,
    send_at: i64,
    done: tokio::sync::oneshot::Sender<Result<Acted, String>>,
}

/// Messages waiting to be written, and who is writing them now.
#[derive(Default)]
struct Commits {
    waiting: Mutex<Vec<Job>>,
    leader: tokio::sync::Mutex<()>,
}

/// What acting on a message left to do.
enum Acted {
    /// Changes, replies and the `processed` mark are stored; `reply` is
    /// the replies' outbox row (`None` if stored before).
    Stored { answer: Answer, reply: Option<i64> },
    /// Nothing for the outbox: the answer is sent from here.
    Inline(Answer),
}

/// Replies kept by an older version until sent (state `handled`): where
/// they go and the messages, or a plain list for the sender.
#[derive(serde::Deserialize)]
struct Saved {
    to: ReplyTo,
    #[serde(flatten)]
    kept: crate::seal::Kept,
}

fn read_saved(saved: &str, sealer: &Sealer) -> Result<Answer, serde_json::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Kept {
        Routed(Saved),
        Plain(Vec<Outgoing>),
    }
    Ok(match serde_json::from_str(saved)? {
        Kept::Routed(saved) => Answer {
            to: saved.to,
            messages: sealer.restore(saved.kept),
            user: None,
        },
        Kept::Plain(messages) => Answer {
            to: ReplyTo::Sender,
            messages,
            user: None,
        },
    })
}

/// The webhook routes store through the inbox.
pub struct InboxSink(pub Arc<Inbox>);

impl InboundSink for InboxSink {
    fn accept(&self, record: InboundRecord) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move { self.0.accept(&record).await.map_err(|e| e.to_string()) })
    }

    fn accept_and_answer(
        &self,
        record: InboundRecord,
        wait: Duration,
    ) -> BoxFuture<'_, Result<Option<Vec<Outgoing>>, String>> {
        Box::pin(async move {
            self.0
                .accept_and_answer(&record, wait)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn record_statuses(&self, statuses: Vec<DeliveryStatus>) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            for failed in statuses.iter().filter(|s| s.status == "failed") {
                tracing::warn!(channel = %failed.channel, message = %failed.message_id,
                    error = failed.error.as_deref().unwrap_or("none given"), "platform reports a failed delivery");
            }
            self.0
                .store
                .outbox()
                .record_statuses(&statuses, unix_now())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}
