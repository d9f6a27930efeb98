//! Purpose: act on what a person sent, for that person only, and reply.
//!
//! ```text
//! - watch https://shop.example/p/1 below £40
//! - 👀 Watching #1: https://shop.example/p/1 … when it costs £40.00 or less.
//! - alert gaming pc -mac under 800
//! - 🔔 Alert #2 saved: gaming, pc · not mac · under 800
//! - pause 2
//! - ⏸ Paused #2.
//! ```
//!
//! [`Core::decide`] finds (or, on first contact, creates) the sender's user
//! from their chat identity, parses the text ([`crate::command`]), answers
//! questions by reading the [`Store`], and turns a change into an
//! [`effects::Effect`] without writing it. [`Core::apply`] writes it through
//! the caller's [`Unit`] (the transaction that also holds the replies and
//! the message's `processed` mark) and renders the replies through fluent
//! ([`crate::l10n`]) as neutral [`Outgoing`] messages. Every write carries
//! the sender's own user id, so nobody can touch another user's watches or
//! rules. [`Core::handle`] and [`Core::answer`] do both in a unit of their
//! own (the console, tests). Deciding calls no platform: a command whose
//! answer needs one (a webhook's check, a payment link) stops with the
//! question, which [`lookup::Platforms`] answers before it is decided again
//! with the fact; the channel adapters deliver what it returns.

mod account;
mod community;
mod effects;
mod items;
mod lookup;
mod prefs;
mod session;

pub use lookup::Platforms;
use lookup::{Fact, Facts, Lookup};
use session::{id_arg, one};

use effects::{Decision, Effect, Setting, Step};

use crate::billing::{CheckoutRequest, Payments};
use crate::chart;
use crate::command::{self, Command, ParseError, Problem, RuleSpec, WatchSpec};
use crate::l10n::{Arg, L10n, Tr, DEFAULT_LOCALE};
use crate::metrics::Metrics;
use crate::model::{Digest, ItemNo, ItemState, PaidPlan, Plan, QuietHours};
use crate::money::{Currency, Money, PriceSpec};
use crate::plans::Plans;
use crate::rules;
use crate::storage::{
    AddOutcome, Contact, Identity, Item, ItemKind, NewWatch, StateChange, Store, StoreError, User,
    UserSettings, WatchItem,
};
use crate::storage::{LinkOutcome, Unit};
use crate::urls;
use dealwatch_bots::{Channel, Group, Image, Incoming, Link, Outgoing};
use std::sync::Arc;

/// How many days of deals `test` looks back over.
pub const TEST_WINDOW_DAYS: u32 = 7;
/// How many recent deals `test` examines at most.
const TEST_DEAL_LIMIT: u32 = 2000;
/// How many matching deals `test` shows.
const TEST_SAMPLES: usize = 3;
/// Longest product title shown in lists before it is shortened.
const TITLE_CHARS: usize = 60;

/// How long a link code works.
pub const LINK_CODE_TTL_SECS: i64 = 600;
/// Link codes one user may ask for in an hour.
const LINK_CODES_PER_HOUR: i64 = 5;
/// Link code letters: no 0/O or 1/I/L to misread.
const LINK_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// Eight letters from the OS's secure random source: 31^8 ≈ 8.5 × 10^11
/// codes, each valid for ten minutes.
fn new_link_code() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // No secure randomness is a broken host; a fast PRNG is better than
        // refusing to link, and the short lifetime still limits guessing.
        fastrand::fill(&mut bytes);
    }
    bytes
        .iter()
        .map(|b| char::from(LINK_ALPHABET[usize::from(*b) % LINK_ALPHABET.len()]))
        .collect()
}

/// Whether a `/start` payload is a link code.
fn is_link_code(payload: &str) -> bool {
    payload.len() == 8
        && payload
            .bytes()
            .all(|b| LINK_ALPHABET.contains(&b.to_ascii_uppercase()))
}

/// The command menu for chat platforms that show one: each command with
/// the first sentence of its help, in `locale`.
pub fn command_menu(l10n: &L10n, locale: &str) -> Vec<(String, String)> {
    let tr = l10n.tr(locale);
    command::TABLE
        .iter()
        .filter(|def| def.in_menu)
        .map(|def| def.name)
        .map(|c| {
            let help = tr.msg(&format!("help-{c}"), &[]);
            let explanation = help.lines().nth(1).unwrap_or(&help);
            let sentence = explanation
                .split_inclusive(". ")
                .next()
                .unwrap_or(explanation)
                .trim();
            ((*c).to_owned(), sentence.trim_end_matches('.').to_owned())
        })
        .collect()
}

/// Where the answer to a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyTo {
    /// To the sender alone: their private chat ([`Incoming::reply_to`]), or
    /// the platform's reply handle where it shows answers to them alone.
    Sender,
    /// Into the shared chat the message came from ([`Incoming::group`]),
    /// for everyone there to read. Never anything personal.
    Group,
}

/// The core's answer to one message: what to send, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub to: ReplyTo,
    pub messages: Vec<Outgoing>,
    /// The account the answer belongs to; `None` for someone who has none
    /// (a stranger in a group is only pointed to the private chat).
    pub user: Option<crate::storage::UserId>,
}

impl Answer {
    fn to_sender(user: crate::storage::UserId, messages: Vec<Outgoing>) -> Answer {
        Answer {
            to: ReplyTo::Sender,
            messages,
            user: Some(user),
        }
    }
}

/// How long a person who has no private chat with us is not reminded
/// again in the same group (a stranger repeating a command must not make
/// the bot flood the group).
const GROUP_NUDGE_SECS: i64 = 600;
/// Reminders remembered before old ones are forgotten.
const GROUP_NUDGES_KEPT: usize = 10_000;

/// When each (channel, group, person) was last told to open a private chat.
#[derive(Debug, Default)]
struct GroupNudges(std::sync::Mutex<std::collections::HashMap<(Channel, String, String), i64>>);

impl GroupNudges {
    /// Whether to remind `sender` in `group` now, noting it if so.
    fn due(&self, channel: Channel, group: &str, sender: &str, now: i64) -> bool {
        let Ok(mut seen) = self.0.lock() else {
            return true;
        };
        if seen.len() >= GROUP_NUDGES_KEPT {
            seen.retain(|_, at| now - *at < GROUP_NUDGE_SECS);
        }
        let key = (channel, group.to_owned(), sender.to_owned());
        match seen.get(&key) {
            Some(at) if now - *at < GROUP_NUDGE_SECS => false,
            _ => {
                seen.insert(key, now);
                true
            }
        }
    }
}

/// Settings of the core that come from configuration.
#[derive(Debug, Clone)]
pub struct CoreOptions {
    /// Let `watch` accept loopback and private addresses (tests, demos).
    pub allow_private_hosts: bool,
    /// Zone of a new user until they set theirs.
    pub default_time_zone: String,
    /// Currency of prices typed without one, for new users.
    pub default_currency: Currency,
}

impl Default for CoreOptions {
    fn default() -> CoreOptions {
        CoreOptions {
            allow_private_hosts: false,
            default_time_zone: "Europe/London".to_owned(),
            default_currency: Currency::GBP,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CoreError {
    /// The metrics label for this error.
    pub fn kind(&self) -> &'static str {
        match self {
            CoreError::Store(_) => "database",
        }
    }
}

/// The conversational core. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Core {
    store: Store,
    l10n: Arc<L10n>,
    plans: Plans,
    options: CoreOptions,
    metrics: Metrics,
    /// Answers the questions deciding stops at (Stripe's links, Discord's
    /// webhooks, Telegram's channels).
    platforms: Arc<Platforms>,
    /// Who was lately told in a group to open a private chat.
    nudges: Arc<GroupNudges>,
    /// Keeps Discord webhook tokens sealed; `None` without
    /// `DEALWATCH_SEAL_KEY` (a token must outlive the process, and is never
    /// kept in plain text).
    communities: Option<Communities>,
}

/// What community destinations need: Discord's API (no bot token needed
/// for webhooks) and a sealer with a key that outlives the process.
#[derive(Clone, Debug)]
pub struct Communities {
    pub discord: Arc<dealwatch_bots::discord::DiscordClient>,
    pub sealer: Arc<crate::seal::Sealer>,
}

impl Communities {
    /// A stored destination's webhook, its token opened; `None` when it
    /// was sealed under another key (`DEALWATCH_SEAL_KEY` changed).
    pub fn webhook(
        &self,
        destination: &crate::storage::Destination,
    ) -> Option<dealwatch_bots::discord_webhook::WebhookUrl> {
        let token = self.sealer.open(destination.sealed_secret.as_deref()?)?;
        let token = String::from_utf8(token).ok()?;
        dealwatch_bots::discord_webhook::WebhookUrl::from_parts(&destination.external_id, &token)
            .ok()
    }
}

impl Core {
    pub fn new(
        store: Store,
        l10n: Arc<L10n>,
        plans: Plans,
        options: CoreOptions,
        metrics: Metrics,
    ) -> Core {
        Core {
            store,
            l10n,
            plans,
            options,
            metrics,
            platforms: Arc::default(),
            nudges: Arc::default(),
            communities: None,
        }
    }

    /// Let people on `channel` register its broadcast channels (Telegram
    /// channels) as communities, checked through `broadcasts`.
    pub fn with_broadcasts(
        mut self,
        channel: Channel,
        broadcasts: Arc<dyn dealwatch_bots::Broadcasts>,
    ) -> Core {
        Arc::make_mut(&mut self.platforms)
            .broadcasts
            .insert(channel, broadcasts);
        self
    }

    /// Sell plans through `payments` (`upgrade` and `billing` answer with
    /// its links instead of saying payments are off).
    pub fn with_payments(mut self, payments: Arc<dyn Payments>) -> Core {
        Arc::make_mut(&mut self.platforms).payments = Some(payments);
        self
    }

    /// Let people register community destinations.
    pub fn with_communities(mut self, communities: Communities) -> Core {
        Arc::make_mut(&mut self.platforms).discord = Some(communities.discord.clone());
        self.communities = Some(communities);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn l10n(&self) -> &Arc<L10n> {
        &self.l10n
    }

    pub fn plans(&self) -> &Plans {
        &self.plans
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Handle one message and return the replies for its sender. `now` is
    /// UTC Unix seconds. On `Err`, nothing the message asked for was stored
    /// and the caller should retry it later or send [`Core::sorry`].
    pub async fn handle(&self, msg: &Incoming, now: i64) -> Result<Vec<Outgoing>, CoreError> {
        Ok(self.answer(msg, now).await?.messages)
    }

    /// Handle one message: decide, then apply in a unit of its own. The
    /// inbox does the same with the unit that also holds the replies.
    pub async fn answer(&self, msg: &Incoming, now: i64) -> Result<Answer, CoreError> {
        let decided = self.decide(msg, now).await?;
        let mut unit = self.store.begin().await.map_err(|e| self.failed(msg, e))?;
        let answer = self.apply(&mut unit, decided).await?;
        unit.commit().await.map_err(|e| self.failed(msg, e))?;
        Ok(answer)
    }

    /// Decide what a message comes to, writing nothing the message asked
    /// for (the sender's chat identity is recorded: who wrote, and where
    /// they are answered). A message from a group is answered to its
    /// sender alone; someone we cannot answer privately (a Telegram user
    /// who never started a chat with the bot) gets only a pointer to the
    /// private chat, in the group, and nothing they asked for is done.
    ///
    /// A command whose answer depends on a platform (checking a webhook or
    /// a channel, a payment link) stops at that question; it is answered
    /// here, outside the deciding code, and the message decided again with
    /// the fact.
    pub async fn decide(&self, msg: &Incoming, now: i64) -> Result<Decided, CoreError> {
        self.metrics.message_in(msg.channel.as_str());
        let mut facts = Facts::default();
        loop {
            let decided = self
                .decide_inner(msg, now, &facts)
                .await
                .map_err(|e| self.failed(msg, e))?;
            let Some(lookup) = decided.asks() else {
                return Ok(decided);
            };
            if facts.len() >= lookup::MAX_LOOKUPS {
                tracing::error!(lookup = lookup.kind(), "a message kept asking platforms");
                self.metrics.error("lookups");
                return Ok(Decided {
                    channel: msg.channel,
                    pending: Pending::Answered(Answer {
                        to: ReplyTo::Sender,
                        messages: vec![self.sorry(msg)],
                        user: decided.user(),
                    }),
                });
            }
            let fact = tracing::Instrument::instrument(
                self.platforms.answer(&lookup),
                tracing::info_span!("lookup", kind = lookup.kind()),
            )
            .await
            .map_err(|e| self.failed(msg, e))?;
            facts.learn(lookup, fact);
        }
    }

    /// Write what `decided` changes through `unit` and render the answer.
    /// Nothing is kept unless the caller commits the unit.
    pub async fn apply(&self, unit: &mut Unit, decided: Decided) -> Result<Answer, CoreError> {
        let answer = match decided.pending {
            Pending::Answered(answer) => answer,
            Pending::Acting(acting) => {
                let (mut session, decision) = *acting;
                let channel = decided.channel;
                // About the chat it was asked in, and the chat shows answers
                // to everyone: it goes there.
                let public =
                    decision.public && session.group.as_ref().is_some_and(|g| !g.private_replies);
                let messages = session
                    .apply(unit, decision)
                    .await
                    .map_err(|e| self.failed_on(channel, e))?;
                let mut answer = Answer::to_sender(session.user.id, messages);
                if public && !session.answer_privately {
                    answer.to = ReplyTo::Group;
                }
                answer
            }
            Pending::Chat(event) => self
                .chat_event(unit, *event)
                .await
                .map_err(|e| self.failed_on(decided.channel, e))?,
        };
        self.metrics
            .replies_out(decided.channel.as_str(), answer.messages.len());
        Ok(answer)
    }

    /// Count and log a failure to handle a message.
    fn failed(&self, msg: &Incoming, e: impl Into<CoreError>) -> CoreError {
        self.failed_on(msg.channel, e)
    }

    fn failed_on(&self, channel: Channel, e: impl Into<CoreError>) -> CoreError {
        let e = e.into();
        self.metrics.error(e.kind());
        tracing::error!(channel = %channel, error = %e, "message handling failed");
        e
    }

    /// Pending notices (first prices, alerts) for a chat identity, rendered
    /// in its user's language, with their outbox ids.
    pub async fn pending_notices(
        &self,
        channel: Channel,
        sender_id: &str,
        now: i64,
    ) -> Result<Vec<(i64, Outgoing)>, CoreError> {
        let Some((user, _)) = self.store.users().find_identity(channel, sender_id).await? else {
            return Ok(Vec::new());
        };
        let tr = self.l10n.tr(&user.settings.locale);
        let notices = self
            .store
            .outbox()
            .pending_notices(user.id, now, 50)
            .await?;
        Ok(notices
            .into_iter()
            .map(|(id, n)| (id, crate::watching::render(&n, &tr)))
            .collect())
    }

    /// Record that a notice reached its user.
    pub async fn delivered(
        &self,
        outbox_id: i64,
        provider_message_id: Option<&str>,
        now: i64,
    ) -> Result<(), CoreError> {
        self.store
            .outbox()
            .mark_sent(outbox_id, provider_message_id, None, now)
            .await?;
        Ok(())
    }

    /// How many of this identity's watches still wait for a first check.
    pub async fn first_checks_pending(
        &self,
        channel: Channel,
        sender_id: &str,
    ) -> Result<u32, CoreError> {
        match self.store.users().find_identity(channel, sender_id).await? {
            Some((user, _)) => Ok(self.store.users().first_checks_pending(user.id).await?),
            None => Ok(0),
        }
    }

    /// The reply for a message we could not handle because of our own fault.
    pub fn sorry(&self, msg: &Incoming) -> Outgoing {
        let locale = self.hint_locale(msg);
        Outgoing::text(self.l10n.tr(locale).msg("error-internal", &[]))
    }

    fn hint_locale(&self, msg: &Incoming) -> &'static str {
        msg.language_hint
            .as_deref()
            .and_then(|hint| self.l10n.resolve(hint))
            .unwrap_or(DEFAULT_LOCALE)
    }

    async fn decide_inner(
        &self,
        msg: &Incoming,
        now: i64,
        facts: &Facts,
    ) -> Result<Decided, CoreError> {
        if let (Some(event), Some(group)) = (&msg.event, &msg.group) {
            // Not a person's message: nothing is made for its sender.
            return Ok(Decided {
                channel: msg.channel,
                pending: Pending::Chat(Box::new(ChatChange {
                    channel: msg.channel,
                    group: group.clone(),
                    event: event.clone(),
                    locale: self.hint_locale(msg),
                    now,
                })),
            });
        }
        let known = self
            .store
            .users()
            .find_identity(msg.channel, &msg.sender_id)
            .await?;
        let shared = msg.group.as_ref().filter(|g| !g.private_replies);
        if let Some(group) = shared {
            // Nothing is created for someone who only wrote in a group.
            if !known
                .as_ref()
                .is_some_and(|(_, identity)| identity.private_chat)
            {
                let pointer = self.open_private_chat(msg, group, known.map(|(user, _)| user), now);
                return Ok(Decided {
                    channel: msg.channel,
                    pending: Pending::Answered(pointer),
                });
            }
        }
        let touch = Touch {
            reply_address: msg.reply_to.clone(),
            display_name: msg.sender_name.clone(),
            private: msg.group.is_none(),
        };
        let (user, mut identity) = match known {
            Some(known) => known,
            None => {
                // First contact: the account is made now (the rest of what
                // the message says is written when it is applied).
                let contact = Contact {
                    channel: msg.channel,
                    external_id: &msg.sender_id,
                    reply_address: &msg.reply_to,
                    display_name: msg.sender_name.as_deref(),
                    private: touch.private,
                    locale: self.hint_locale(msg),
                    time_zone: &self.options.default_time_zone,
                    currency: self.options.default_currency.code(),
                };
                self.store.users().first_contact(&contact, now).await?
            }
        };
        if touch.private {
            identity.private_chat = true;
            identity.reply_address.clone_from(&touch.reply_address);
        }
        identity.last_inbound_at = Some(now);
        let parsed = command::parse(&msg.text);
        let session = Session {
            core: self.clone(),
            user,
            identity,
            touch,
            group: msg.group.clone(),
            message_id: msg.message_id.clone(),
            now,
            answer_privately: false,
            facts: facts.clone(),
        };
        let mut opted_out = None;
        if session.identity.opted_out {
            match &parsed {
                Ok(Command::Start { .. } | Command::Unstop) => {
                    let unstopped = vec![Outgoing::text(session.tr().msg("unstopped", &[]))];
                    let decision = Decision {
                        opted_out: Some(false),
                        step: Step::Reply(unstopped),
                        public: false,
                    };
                    return Ok(Decided {
                        channel: msg.channel,
                        pending: Pending::Acting(Box::new((session, decision))),
                    });
                }
                // Carriers require HELP to be answered even after STOP.
                Ok(Command::Help { .. }) => {}
                // On SMS an opted-out number gets nothing until START.
                _ if msg.channel == Channel::Sms => {
                    let silence = Decision::reply(Vec::new());
                    return Ok(Decided {
                        channel: msg.channel,
                        pending: Pending::Acting(Box::new((session, silence))),
                    });
                }
                // Elsewhere, writing to us again is opting back in.
                _ => opted_out = Some(false),
            }
        }
        let mut decision = match parsed {
            Ok(cmd) => session.decide(cmd).await?,
            Err(error) => Decision::reply(vec![session.parse_error(&error)]),
        };
        decision.opted_out = decision.opted_out.or(opted_out);
        Ok(Decided {
            channel: msg.channel,
            pending: Pending::Acting(Box::new((session, decision))),
        })
    }

    /// The answer, in the group, to someone we cannot answer privately:
    /// open the private chat (once in a while per person, never a flood).
    fn open_private_chat(
        &self,
        msg: &Incoming,
        group: &Group,
        user: Option<User>,
        now: i64,
    ) -> Answer {
        let account = user.as_ref().map(|u| u.id);
        let mut messages = Vec::new();
        if self
            .nudges
            .due(msg.channel, &group.address, &msg.sender_id, now)
        {
            let locale = user.map_or_else(
                || self.hint_locale(msg).to_owned(),
                |user| user.settings.locale,
            );
            let tr = self.l10n.tr(&locale);
            messages.push(
                Outgoing::text(tr.msg("group-private-only", &[]))
                    .with_link(tr.msg("group-open-private", &[]), Link::PrivateChat),
            );
        }
        Answer {
            to: ReplyTo::Group,
            messages,
            user: account,
        }
    }
}

/// A message decided and not yet applied ([`Core::decide`], [`Core::apply`]).
#[derive(Clone)]
pub struct Decided {
    channel: Channel,
    pending: Pending,
}

impl std::fmt::Debug for Decided {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.pending {
            Pending::Answered(answer) => f.debug_tuple("Answered").field(answer).finish(),
            Pending::Acting(acting) => f.debug_tuple("Acting").field(&acting.1).finish(),
            Pending::Chat(change) => f.debug_tuple("Chat").field(&change.event).finish(),
        }
    }
}

impl Decided {
    /// The question deciding stopped at, if it did.
    fn asks(&self) -> Option<Lookup> {
        match &self.pending {
            Pending::Acting(acting) => match &acting.1.step {
                Step::Ask(lookup) => Some(lookup.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    fn user(&self) -> Option<crate::storage::UserId> {
        match &self.pending {
            Pending::Acting(acting) => Some(acting.0.user.id),
            Pending::Answered(answer) => answer.user,
            Pending::Chat(_) => None,
        }
    }
}

#[derive(Clone)]
enum Pending {
    /// Nothing to write: the answer is ready.
    Answered(Answer),
    /// The sender's session and what their message comes to.
    Acting(Box<(Session, Decision)>),
    /// Something that happened to a shared chat.
    Chat(Box<ChatChange>),
}

/// Something that happened to a shared chat, to be written.
#[derive(Clone)]
struct ChatChange {
    channel: Channel,
    group: Group,
    event: dealwatch_bots::ChatEvent,
    locale: &'static str,
    now: i64,
}

/// What a message says about its sender: where they are answered (if it
/// came privately) and their name, recorded with what it changes.
#[derive(Clone)]
struct Touch {
    reply_address: String,
    display_name: Option<String>,
    private: bool,
}

/// One message being handled: the sender and the time.
#[derive(Clone)]
struct Session {
    /// The core (a cheap clone), so a decided message can wait to be applied.
    core: Core,
    /// What the message says about its sender, recorded when it is applied.
    touch: Touch,
    user: User,
    identity: Identity,
    /// The shared channel the message came from, if any.
    group: Option<Group>,
    /// The provider's id of the message being answered.
    message_id: Option<String>,
    now: i64,
    /// Set while applying when the answer turned out to be about the
    /// sender (their plan's limits), not the chat: it goes to them alone.
    answer_privately: bool,
    /// What platforms answered for this message so far.
    facts: Facts,
}
