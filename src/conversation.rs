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
//! [`Core::handle`] finds (or creates) the sender's user from their chat
//! identity, parses the text ([`crate::command`]), acts through the
//! [`Store`], and renders replies through fluent ([`crate::l10n`]) as neutral
//! [`Outgoing`] messages. Every store call carries the sender's own user id,
//! so nobody can touch another user's watches or rules. The core does no
//! network I/O: the channel adapters deliver what it returns.

use crate::billing::{BillingError, CheckoutRequest, Payments};
use crate::chart;
use crate::command::{self, Command, ParseError, Problem, RuleSpec, WatchSpec};
use crate::l10n::{Arg, L10n, Tr, DEFAULT_LOCALE};
use crate::metrics::Metrics;
use crate::model::{Digest, ItemNo, ItemState, PaidPlan, Plan, QuietHours};
use crate::money::{Currency, Money, PriceSpec};
use crate::plans::Plans;
use crate::rules;
use crate::storage::LinkOutcome;
use crate::storage::{
    AddOutcome, Contact, Identity, Item, ItemKind, NewWatch, StateChange, Store, StoreError, User,
    UserSettings, WatchItem,
};
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Answer {
    pub to: ReplyTo,
    pub messages: Vec<Outgoing>,
}

impl Answer {
    fn to_sender(messages: Vec<Outgoing>) -> Answer {
        Answer {
            to: ReplyTo::Sender,
            messages,
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
    /// Makes Checkout and portal links; `None` when billing is off.
    payments: Option<Arc<dyn Payments>>,
    /// Who was lately told in a group to open a private chat.
    nudges: Arc<GroupNudges>,
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
            payments: None,
            nudges: Arc::default(),
        }
    }

    /// Sell plans through `payments` (`upgrade` and `billing` answer with
    /// its links instead of saying payments are off).
    pub fn with_payments(mut self, payments: Arc<dyn Payments>) -> Core {
        self.payments = Some(payments);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
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

    /// Handle one message: the replies and where they go. A message from a
    /// group is answered to its sender alone; someone we cannot answer
    /// privately (a Telegram user who never started a chat with the bot)
    /// gets only a pointer to the private chat, in the group, and nothing
    /// they asked for is done.
    pub async fn answer(&self, msg: &Incoming, now: i64) -> Result<Answer, CoreError> {
        self.metrics.message_in(msg.channel.as_str());
        match self.handle_inner(msg, now).await {
            Ok(answer) => {
                self.metrics
                    .replies_out(msg.channel.as_str(), answer.messages.len());
                Ok(answer)
            }
            Err(e) => {
                self.metrics.error(e.kind());
                tracing::error!(channel = %msg.channel, error = %e, "message handling failed");
                Err(e)
            }
        }
    }

    /// Pending notices (first prices, alerts) for a chat identity, rendered
    /// in its user's language, with their outbox ids.
    pub async fn pending_notices(
        &self,
        channel: Channel,
        sender_id: &str,
        now: i64,
    ) -> Result<Vec<(i64, Outgoing)>, CoreError> {
        let Some((user, _)) = self.store.find_identity(channel, sender_id).await? else {
            return Ok(Vec::new());
        };
        let tr = self.l10n.tr(&user.settings.locale);
        let notices = self.store.pending_notices(user.id, now, 50).await?;
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
        match self.store.find_identity(channel, sender_id).await? {
            Some((user, _)) => Ok(self.store.first_checks_pending(user.id).await?),
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

    async fn handle_inner(&self, msg: &Incoming, now: i64) -> Result<Answer, CoreError> {
        let shared = msg.group.as_ref().filter(|g| !g.private_replies);
        if let Some(group) = shared {
            // Nothing is created for someone who only wrote in a group.
            let known = self
                .store
                .find_identity(msg.channel, &msg.sender_id)
                .await?;
            if !known
                .as_ref()
                .is_some_and(|(_, identity)| identity.private_chat)
            {
                return Ok(self.open_private_chat(msg, group, known.map(|(user, _)| user), now));
            }
        }
        let contact = Contact {
            channel: msg.channel,
            external_id: &msg.sender_id,
            reply_address: &msg.reply_to,
            display_name: msg.sender_name.as_deref(),
            private: msg.group.is_none(),
            locale: self.hint_locale(msg),
            time_zone: &self.options.default_time_zone,
            currency: self.options.default_currency.code(),
        };
        let (user, identity) = self.store.identify(&contact, now).await?;
        let parsed = command::parse(&msg.text);

        if identity.opted_out {
            match &parsed {
                Ok(Command::Start { .. } | Command::Unstop) => {
                    self.store.set_opted_out(identity.id, false).await?;
                    let tr = self.l10n.tr(&user.settings.locale);
                    return Ok(Answer::to_sender(vec![Outgoing::text(
                        tr.msg("unstopped", &[]),
                    )]));
                }
                // Carriers require HELP to be answered even after STOP.
                Ok(Command::Help { .. }) => {}
                // On SMS an opted-out number gets nothing until START.
                _ if msg.channel == Channel::Sms => return Ok(Answer::to_sender(Vec::new())),
                // Elsewhere, writing to us again is opting back in.
                _ => self.store.set_opted_out(identity.id, false).await?,
            }
        }

        let mut session = Session {
            core: self,
            user,
            identity,
            group: msg.group.clone(),
            message_id: msg.message_id.clone(),
            now,
        };
        let messages = match parsed {
            Ok(cmd) => session.act(cmd).await?,
            Err(error) => vec![session.parse_error(&error)],
        };
        Ok(Answer::to_sender(messages))
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
        }
    }
}

/// One message being handled: the sender and the time.
struct Session<'a> {
    core: &'a Core,
    user: User,
    identity: Identity,
    /// The shared channel the message came from, if any.
    group: Option<Group>,
    /// The provider's id of the message being answered.
    message_id: Option<String>,
    now: i64,
}

fn one(text: String) -> Result<Vec<Outgoing>, CoreError> {
    Ok(vec![Outgoing::text(text)])
}

fn id_arg(no: ItemNo) -> Arg<'static> {
    Arg::from(i64::from(no.get()))
}

impl Session<'_> {
    fn tr(&self) -> Tr<'_> {
        self.core.l10n.tr(&self.user.settings.locale)
    }

    fn limits(&self) -> crate::plans::PlanLimits {
        self.core.plans.limits(self.user.plan)
    }

    fn zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.user.settings.time_zone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    async fn act(&mut self, cmd: Command) -> Result<Vec<Outgoing>, CoreError> {
        match cmd {
            // A Telegram deep link (t.me/<bot>?start=CODE) carries a link code.
            Command::Start {
                payload: Some(code),
            } if is_link_code(&code) => {
                // A link someone else made can carry their code: never join
                // from a tap, only show what joining would do.
                let mut replies = self.link_with(&code.to_ascii_uppercase(), false).await?;
                replies.insert(0, Outgoing::text(self.tr().msg("welcome", &[])));
                Ok(replies)
            }
            Command::Start { .. } => one(self.tr().msg("welcome", &[])),
            Command::Help { topic } => one(self.help(topic.as_deref())),
            Command::Watch(spec) => self.watch(spec).await,
            Command::Alert(spec) => self.alert(spec).await,
            Command::List => self.list().await,
            Command::Settings => one(self.settings_text()),
            Command::Pause(ids) => self.set_states(&ids, ItemState::Paused).await,
            Command::Resume(ids) => self.set_states(&ids, ItemState::Active).await,
            Command::Delete(ids) => self.delete(&ids).await,
            Command::Test(no) => self.test(no).await,
            Command::History(no) => self.history(no).await,
            Command::Quiet(None) => one(self.quiet_line(self.user.settings.quiet)),
            Command::Quiet(Some(quiet)) => {
                let mut settings = self.user.settings.clone();
                settings.quiet = quiet;
                self.save(settings).await?;
                one(self.saved(self.quiet_line(quiet)))
            }
            Command::Digest(None) => one(self.digest_line(self.user.settings.digest)),
            Command::Digest(Some(digest)) => {
                let mut settings = self.user.settings.clone();
                settings.digest = digest;
                self.save(settings).await?;
                one(self.saved(self.digest_line(digest)))
            }
            Command::Cap(None) => one(self.cap_line(self.user.settings.daily_cap)),
            Command::Cap(Some(cap)) => {
                let mut settings = self.user.settings.clone();
                settings.daily_cap = cap;
                self.save(settings).await?;
                one(self.saved(self.cap_line(cap)))
            }
            Command::Timezone(None) => one(self.zone_line()),
            Command::Timezone(Some(zone)) => self.set_zone(&zone).await,
            Command::Language(None) => one(self.language_line()),
            Command::Language(Some(code)) => self.set_language(&code).await,
            Command::Plan => self.plan().await,
            Command::Upgrade(paid) => self.upgrade(paid).await,
            Command::Billing => self.billing().await,
            Command::Link { code: None, .. } => self.link_code().await,
            Command::Link {
                code: Some(code),
                confirmed,
            } => self.link_with(&code, confirmed).await,
            Command::Stop => {
                self.core
                    .store
                    .set_opted_out(self.identity.id, true)
                    .await?;
                one(self.tr().msg("stopped", &[]))
            }
            Command::Unstop => one(self.tr().msg("unstopped", &[])),
            Command::Unknown { word, suggestion } => {
                let tr = self.tr();
                let shown: String = word.chars().take(40).collect();
                let mut text = tr.msg("unknown-command", &[("word", shown.into())]);
                text.push('\n');
                text.push_str(&match suggestion {
                    Some(cmd) => tr.msg(
                        "did-you-mean",
                        &[("usage", tr.msg(&format!("usage-{cmd}"), &[]).into())],
                    ),
                    None => tr.msg("send-help", &[]),
                });
                one(text)
            }
        }
    }

    // ----- help and errors ----------------------------------------------

    fn help(&self, topic: Option<&str>) -> String {
        let tr = self.tr();
        let Some(topic) = topic else {
            return tr.msg("help-overview", &[]);
        };
        match command::canonical_name(topic) {
            Some(name) => tr.msg(&format!("help-{name}"), &[]),
            None => {
                let shown: String = topic.chars().take(40).collect();
                tr.msg("help-unknown-topic", &[("topic", shown.into())])
            }
        }
    }

    fn parse_error(&self, error: &ParseError) -> Outgoing {
        let tr = self.tr();
        let text = |s: &str| Arg::from(s.chars().take(60).collect::<String>());
        let args: Vec<(&str, Arg<'_>)> = match &error.problem {
            Problem::TooLong { chars } => vec![
                ("chars", (*chars as i64).into()),
                ("max", (command::MAX_INPUT_CHARS as i64).into()),
            ],
            Problem::BadUrl { text: t }
            | Problem::BadPrice { text: t }
            | Problem::BadPercent { text: t }
            | Problem::BadId { text: t }
            | Problem::BadTime { text: t }
            | Problem::BadDay { text: t }
            | Problem::BadScore { text: t }
            | Problem::BadCondition { text: t }
            | Problem::BadChannel { text: t }
            | Problem::BadPlan { text: t }
            | Problem::BadCode { text: t }
            | Problem::Unexpected { text: t } => vec![("text", text(t))],
            Problem::BadCap { text: t } => vec![
                ("text", text(t)),
                ("max", i64::from(command::MAX_CAP).into()),
            ],
            Problem::UnsupportedScheme { scheme } => vec![("scheme", text(scheme))],
            Problem::WordTooLong { word } => vec![("word", text(word))],
            Problem::TooManyIds => vec![("max", (command::MAX_IDS as i64).into())],
            Problem::TooManyWords => vec![("max", (command::MAX_WORDS as i64).into())],
            Problem::Empty
            | Problem::MissingUrl
            | Problem::UrlWithCredentials
            | Problem::TwoUrls
            | Problem::MixedCurrencies
            | Problem::BoundsInverted
            | Problem::MissingId
            | Problem::EmptyWindow
            | Problem::MissingWords
            | Problem::MissingPlan => vec![],
        };
        let id = format!("problem-{}", error.problem.code());
        let mut reply = tr.msg(&id, &args);
        if !error.command.is_empty() {
            reply.push('\n');
            let usage = tr.msg(&format!("usage-{}", error.command), &[]);
            reply.push_str(&tr.msg("try-usage", &[("usage", usage.into())]));
        }
        Outgoing::text(reply)
    }

    // ----- watches and rules --------------------------------------------

    async fn watch(&mut self, spec: WatchSpec) -> Result<Vec<Outgoing>, CoreError> {
        let tr = self.tr();
        if !self.core.options.allow_private_hosts {
            if let Some(refusal) = urls::refusal(&spec.url) {
                let id = match refusal {
                    urls::UrlRefusal::PrivateAddress => "watch-refused-private",
                    urls::UrlRefusal::LocalName => "watch-refused-local",
                };
                return one(tr.msg(id, &[]));
            }
        }
        let Some(canonical) = urls::canonicalize(&spec.url) else {
            return Ok(vec![self.parse_error(&ParseError {
                command: "watch",
                problem: Problem::BadUrl {
                    text: spec.url.clone(),
                },
            })]);
        };
        let new = NewWatch {
            canonical_url: canonical.url.clone(),
            host: canonical.host,
            target: spec.target,
            drop_percent: spec.drop_percent,
            back_in_stock: spec.back_in_stock,
        };
        let limit = self.limits().watches;
        let outcome = self
            .core
            .store
            .add_watch(self.user.id, &new, limit, self.now)
            .await?;
        let conditions = self.conditions(spec.target, spec.drop_percent, spec.back_in_stock);
        let (id, no) = match outcome {
            AddOutcome::Created(no) => ("watch-created", no),
            AddOutcome::Updated(no) => ("watch-updated", no),
            AddOutcome::LimitReached { limit } => {
                return one(self.limit_text("limit-watches", limit))
            }
        };
        let text = tr.msg(
            id,
            &[
                ("id", id_arg(no)),
                ("url", canonical.url.into()),
                ("conditions", conditions.into()),
            ],
        );
        Ok(vec![self.item_buttons(
            Outgoing::text(text),
            no,
            ItemKind::Watch,
        )])
    }

    async fn alert(&mut self, spec: RuleSpec) -> Result<Vec<Outgoing>, CoreError> {
        let limit = self.limits().rules;
        // In a shared channel, someone allowed to manage it makes a
        // community rule that posts there; anyone else gets a private rule
        // and is told why.
        let (post_to, note) = match &self.group {
            None => (None, None),
            Some(group) if !group.sender_can_manage => (None, Some("rule-community-not-allowed")),
            Some(group) if !group.we_can_post => (None, Some("rule-community-no-access")),
            Some(group) => (Some((self.identity.channel, group.address.as_str())), None),
        };
        match self
            .core
            .store
            .add_rule(self.user.id, &spec, post_to, limit, self.now)
            .await?
        {
            AddOutcome::Created(no) | AddOutcome::Updated(no) => {
                let tr = self.tr();
                let id = if post_to.is_some() {
                    "rule-created-community"
                } else {
                    "rule-created"
                };
                let mut text = tr.msg(
                    id,
                    &[
                        ("id", id_arg(no)),
                        ("summary", self.rule_summary(&spec).into()),
                    ],
                );
                if let Some(note) = note {
                    text.push('\n');
                    text.push_str(&tr.msg(note, &[]));
                }
                Ok(vec![self.item_buttons(
                    Outgoing::text(text),
                    no,
                    ItemKind::Rule,
                )])
            }
            AddOutcome::LimitReached { limit } => one(self.limit_text("limit-rules", limit)),
        }
    }

    fn limit_text(&self, id: &str, limit: u32) -> String {
        let tr = self.tr();
        let plan = tr.msg(&format!("plan-name-{}", self.user.plan.as_str()), &[]);
        let next = match self.user.plan {
            Plan::Free => "pro",
            Plan::Pro | Plan::Premium => "premium",
        };
        let mut text = tr.msg(
            id,
            &[("plan", plan.into()), ("limit", i64::from(limit).into())],
        );
        if self.user.plan != Plan::Premium {
            text.push('\n');
            text.push_str(&tr.msg("limit-upgrade-hint", &[("next", next.into())]));
        }
        text
    }

    fn item_buttons(&self, message: Outgoing, no: ItemNo, kind: ItemKind) -> Outgoing {
        let tr = self.tr();
        let message = message
            .with_button(tr.msg("button-pause", &[]), format!("pause {no}"))
            .with_button(tr.msg("button-delete", &[]), format!("delete {no}"));
        match kind {
            ItemKind::Watch => {
                message.with_button(tr.msg("button-history", &[]), format!("history {no}"))
            }
            ItemKind::Rule => message.with_button(tr.msg("button-test", &[]), format!("test {no}")),
        }
    }

    /// "when it costs £40.00 or less, or when it drops by 10%".
    fn conditions(
        &self,
        target: Option<PriceSpec>,
        drop: Option<rust_decimal::Decimal>,
        stock: bool,
    ) -> String {
        let tr = self.tr();
        let mut parts = Vec::new();
        if let Some(target) = target {
            parts.push(tr.msg(
                "condition-target",
                &[("price", self.price_spec(target).into())],
            ));
        }
        if let Some(drop) = drop {
            parts.push(tr.msg("condition-drop", &[("percent", tr.percent(drop).into())]));
        }
        if stock {
            parts.push(tr.msg("condition-stock", &[]));
        }
        if parts.is_empty() {
            parts.push(tr.msg("condition-any-drop", &[]));
        }
        parts.join(&tr.msg("word-or", &[]))
    }

    /// A price as the user gave it: with its currency when they named one.
    fn price_spec(&self, price: PriceSpec) -> String {
        let tr = self.tr();
        match price.currency {
            Some(currency) => tr.money(crate::money::Money::new(price.amount, currency)),
            None => tr.number(price.amount),
        }
    }

    fn rule_summary(&self, rule: &RuleSpec) -> String {
        let tr = self.tr();
        let mut parts = vec![rule.words.join(", ")];
        if !rule.excluded.is_empty() {
            parts.push(tr.msg(
                "rule-excluded",
                &[("words", rule.excluded.join(", ").into())],
            ));
        }
        if let Some(max) = rule.max_price {
            parts.push(tr.msg("rule-under", &[("price", self.price_spec(max).into())]));
        }
        if let Some(min) = rule.min_price {
            parts.push(tr.msg("rule-over", &[("price", self.price_spec(min).into())]));
        }
        if let Some(category) = &rule.category {
            parts.push(tr.msg("rule-category", &[("category", category.clone().into())]));
        }
        if let Some(score) = rule.min_score {
            parts.push(
                tr.msg(
                    "rule-score",
                    &[(
                        "score",
                        tr.percent(score * rust_decimal::Decimal::ONE_HUNDRED)
                            .into(),
                    )],
                ),
            );
        }
        if let Some(condition) = rule.condition {
            parts.push(tr.msg(&format!("condition-{}", condition.as_str()), &[]));
        }
        parts.join(" · ")
    }

    async fn list(&self) -> Result<Vec<Outgoing>, CoreError> {
        let items = self.core.store.items(self.user.id).await?;
        let tr = self.tr();
        if items.is_empty() {
            return one(tr.msg("list-empty", &[]));
        }
        let mut lines = vec![tr.msg("list-header", &[("count", (items.len() as i64).into())])];
        for item in &items {
            let mut line = match item {
                Item::Watch(w) => tr.msg(
                    "list-watch",
                    &[
                        ("id", id_arg(w.no)),
                        ("name", self.watch_name(w).into()),
                        ("status", self.watch_status(w).into()),
                        (
                            "conditions",
                            self.conditions(w.target, w.drop_percent, w.back_in_stock)
                                .into(),
                        ),
                    ],
                ),
                Item::Rule(r) => {
                    let mut line = tr.msg(
                        "list-rule",
                        &[
                            ("id", id_arg(r.no)),
                            ("summary", self.rule_summary(&r.spec).into()),
                        ],
                    );
                    if r.post_to.is_some() {
                        line.push_str(&tr.msg("list-rule-community", &[]));
                    }
                    line
                }
            };
            if item.state() == ItemState::Paused {
                line.push_str(&tr.msg("state-paused", &[]));
            }
            lines.push(line);
        }
        one(lines.join("\n"))
    }

    fn watch_name(&self, watch: &WatchItem) -> String {
        let name = watch.title.as_deref().unwrap_or(&watch.url);
        if name.chars().count() > TITLE_CHARS {
            name.chars().take(TITLE_CHARS - 1).collect::<String>() + "…"
        } else {
            name.to_owned()
        }
    }

    fn watch_status(&self, watch: &WatchItem) -> String {
        let tr = self.tr();
        match (watch.last_checked_at, watch.price, watch.availability) {
            (None, _, _) => tr.msg("status-pending", &[]),
            (Some(_), _, crate::model::Availability::OutOfStock) => {
                tr.msg("status-out-of-stock", &[])
            }
            (Some(_), Some(price), _) => tr.money(price),
            (Some(_), None, _) => tr.msg("status-no-price", &[]),
        }
    }

    async fn set_states(
        &self,
        ids: &[ItemNo],
        state: ItemState,
    ) -> Result<Vec<Outgoing>, CoreError> {
        let limits = self.limits();
        let mut lines = Vec::new();
        for &no in ids {
            let change = self
                .core
                .store
                .set_state(
                    self.user.id,
                    no,
                    state,
                    limits.watches,
                    limits.rules,
                    self.now,
                )
                .await?;
            let tr = self.tr();
            let line = match (change, state) {
                (StateChange::Changed(_), ItemState::Paused) => {
                    tr.msg("paused", &[("id", id_arg(no))])
                }
                (StateChange::Changed(_), ItemState::Active) => {
                    tr.msg("resumed", &[("id", id_arg(no))])
                }
                (StateChange::Unchanged(_), ItemState::Paused) => {
                    tr.msg("already-paused", &[("id", id_arg(no))])
                }
                (StateChange::Unchanged(_), ItemState::Active) => {
                    tr.msg("already-active", &[("id", id_arg(no))])
                }
                (StateChange::NotFound, _) => tr.msg("not-found", &[("id", id_arg(no))]),
                (StateChange::LimitReached { kind, limit }, _) => {
                    let id = match kind {
                        ItemKind::Watch => "limit-watches",
                        ItemKind::Rule => "limit-rules",
                    };
                    self.limit_text(id, limit)
                }
            };
            lines.push(line);
        }
        one(lines.join("\n"))
    }

    async fn delete(&self, ids: &[ItemNo]) -> Result<Vec<Outgoing>, CoreError> {
        let mut lines = Vec::new();
        for &no in ids {
            let deleted = self.core.store.delete_item(self.user.id, no).await?;
            let tr = self.tr();
            lines.push(match deleted {
                Some(_) => tr.msg("deleted", &[("id", id_arg(no))]),
                None => tr.msg("not-found", &[("id", id_arg(no))]),
            });
        }
        one(lines.join("\n"))
    }

    async fn test(&self, no: ItemNo) -> Result<Vec<Outgoing>, CoreError> {
        let tr = self.tr();
        let rule = match self.core.store.item(self.user.id, no).await? {
            None => return one(tr.msg("not-found", &[("id", id_arg(no))])),
            Some(Item::Watch(_)) => return one(tr.msg("test-not-rule", &[("id", id_arg(no))])),
            Some(Item::Rule(rule)) => rule,
        };
        let since = self.now - i64::from(TEST_WINDOW_DAYS) * 86_400;
        let deals = self.core.store.recent_deals(since, TEST_DEAL_LIMIT).await?;
        let matching: Vec<_> = deals
            .iter()
            .filter(|d| rules::matches(&rule.spec, &d.facts()))
            .collect();
        let days = Arg::from(i64::from(TEST_WINDOW_DAYS));
        if matching.is_empty() {
            return one(tr.msg("test-none", &[("id", id_arg(no)), ("days", days)]));
        }
        let mut lines = vec![tr.msg(
            "test-result",
            &[
                ("id", id_arg(no)),
                ("count", (matching.len() as i64).into()),
                ("days", days),
            ],
        )];
        for deal in matching.iter().take(TEST_SAMPLES) {
            let price = deal.price.map(|p| tr.money(p)).unwrap_or_default();
            lines.push(tr.msg(
                "test-sample",
                &[
                    ("title", deal.title.clone().into()),
                    ("price", price.into()),
                    ("url", deal.url.clone().into()),
                ],
            ));
        }
        one(lines.join("\n"))
    }

    async fn history(&self, no: ItemNo) -> Result<Vec<Outgoing>, CoreError> {
        let tr = self.tr();
        let watch = match self.core.store.item(self.user.id, no).await? {
            None => return one(tr.msg("not-found", &[("id", id_arg(no))])),
            Some(Item::Rule(_)) => return one(tr.msg("history-not-watch", &[("id", id_arg(no))])),
            Some(Item::Watch(watch)) => watch,
        };
        let points = self
            .core
            .store
            .price_history(watch.product_id, 10_000)
            .await?;
        let priced: Vec<_> = points
            .iter()
            .filter_map(|p| p.price.map(|m| (m, p.observed_at)))
            .collect();
        let (Some(first), Some(current)) = (priced.first(), priced.last()) else {
            return one(tr.msg("history-empty", &[("id", id_arg(no))]));
        };
        // Only compare prices in the currency the product is sold in now.
        let same: Vec<_> = priced
            .iter()
            .filter(|(m, _)| m.currency == current.0.currency)
            .collect();
        let lowest = same
            .iter()
            .min_by_key(|(m, _)| m.amount)
            .map_or(current.0, |(m, _)| *m);
        let highest = same
            .iter()
            .max_by_key(|(m, _)| m.amount)
            .map_or(current.0, |(m, _)| *m);
        let summary = Outgoing::text(tr.msg(
            "history-summary",
            &[
                ("id", id_arg(no)),
                ("name", self.watch_name(&watch).into()),
                ("current", tr.money(current.0).into()),
                ("lowest", tr.money(lowest).into()),
                ("highest", tr.money(highest).into()),
                ("points", (priced.len() as i64).into()),
                ("since", tr.date(first.1, &self.zone()).into()),
            ],
        ));
        if !self.identity.channel.has_images() {
            return Ok(vec![summary]);
        }
        let series: Vec<(Money, i64)> = same.iter().map(|p| **p).collect();
        let title = self.watch_name(&watch);
        match chart::price_chart(&title, &series, self.now, &tr, &self.zone()) {
            Ok(png) => Ok(vec![summary.with_image(Image {
                png,
                file_name: "chart.png".to_owned(),
            })]),
            // The numbers still answer the question.
            Err(e) => {
                tracing::warn!(error = %e, "price chart not drawn");
                Ok(vec![summary])
            }
        }
    }

    // ----- preferences ----------------------------------------------------

    async fn save(&mut self, settings: UserSettings) -> Result<(), CoreError> {
        self.core
            .store
            .save_settings(self.user.id, &settings, self.now)
            .await?;
        self.user.settings = settings;
        Ok(())
    }

    fn saved(&self, line: String) -> String {
        self.tr().msg("saved", &[("setting", line.into())])
    }

    fn quiet_line(&self, quiet: Option<QuietHours>) -> String {
        let tr = self.tr();
        match quiet {
            Some(q) => tr.msg(
                "setting-quiet-on",
                &[
                    ("start", q.start.to_string().into()),
                    ("end", q.end.to_string().into()),
                    ("zone", self.user.settings.time_zone.clone().into()),
                ],
            ),
            None => tr.msg("setting-quiet-off", &[]),
        }
    }

    fn digest_line(&self, digest: Digest) -> String {
        let tr = self.tr();
        match digest {
            Digest::Off => tr.msg("setting-digest-off", &[]),
            Digest::Daily { at } => {
                tr.msg("setting-digest-daily", &[("time", at.to_string().into())])
            }
            Digest::Weekly { day, at } => tr.msg(
                "setting-digest-weekly",
                &[
                    ("day", tr.msg(&format!("day-{}", day.english()), &[]).into()),
                    ("time", at.to_string().into()),
                ],
            ),
        }
    }

    fn cap_line(&self, cap: Option<u32>) -> String {
        let tr = self.tr();
        match cap {
            Some(cap) => tr.msg("setting-cap", &[("cap", i64::from(cap).into())]),
            None => tr.msg("setting-cap-off", &[]),
        }
    }

    fn zone_line(&self) -> String {
        self.tr().msg(
            "setting-timezone",
            &[("zone", self.user.settings.time_zone.clone().into())],
        )
    }

    fn language_line(&self) -> String {
        let tr = self.tr();
        let mut text = tr.msg(
            "setting-language",
            &[("language", tr.msg("language-name", &[]).into())],
        );
        text.push('\n');
        text.push_str(&tr.msg(
            "language-available",
            &[("available", self.core.l10n.available().join(", ").into())],
        ));
        text
    }

    fn settings_text(&self) -> String {
        let s = &self.user.settings;
        [
            self.tr().msg("settings-header", &[]),
            self.quiet_line(s.quiet),
            self.digest_line(s.digest),
            self.cap_line(s.daily_cap),
            self.zone_line(),
            self.tr().msg(
                "setting-language",
                &[("language", self.tr().msg("language-name", &[]).into())],
            ),
        ]
        .join("\n")
    }

    async fn set_zone(&mut self, requested: &str) -> Result<Vec<Outgoing>, CoreError> {
        let zone = match jiff::tz::TimeZone::get(requested) {
            Ok(zone) => zone,
            Err(_) => {
                let shown: String = requested.chars().take(40).collect();
                return one(self.tr().msg("timezone-unknown", &[("zone", shown.into())]));
            }
        };
        let name = zone.iana_name().unwrap_or(requested).to_owned();
        let mut settings = self.user.settings.clone();
        settings.time_zone = name;
        self.save(settings).await?;
        one(self.saved(self.zone_line()))
    }

    async fn set_language(&mut self, requested: &str) -> Result<Vec<Outgoing>, CoreError> {
        let Some(locale) = self.core.l10n.resolve(requested) else {
            let tr = self.tr();
            let shown: String = requested.chars().take(20).collect();
            return one(tr.msg(
                "language-unknown",
                &[
                    ("code", shown.into()),
                    ("available", self.core.l10n.available().join(", ").into()),
                ],
            ));
        };
        let mut settings = self.user.settings.clone();
        settings.locale = locale.to_owned();
        self.save(settings).await?;
        let tr = self.tr();
        one(self.saved(tr.msg(
            "setting-language",
            &[("language", tr.msg("language-name", &[]).into())],
        )))
    }

    async fn link_code(&self) -> Result<Vec<Outgoing>, CoreError> {
        for _ in 0..3 {
            let code = new_link_code();
            let created = self
                .core
                .store
                .create_link_code(
                    self.user.id,
                    self.identity.id,
                    &code,
                    self.now,
                    LINK_CODE_TTL_SECS,
                    LINK_CODES_PER_HOUR,
                )
                .await;
            match created {
                Ok(Some(_)) => {
                    let minutes = Arg::from(LINK_CODE_TTL_SECS / 60);
                    return one(self
                        .tr()
                        .msg("link-code", &[("code", code.into()), ("minutes", minutes)]));
                }
                Ok(None) => return one(self.tr().msg("link-too-many", &[])),
                // A collision with a live code: draw again.
                Err(StoreError::Database(e))
                    if e.as_database_error()
                        .is_some_and(|d| d.is_unique_violation()) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(CoreError::Store(StoreError::Corrupt(
            "no free link code after three draws".into(),
        )))
    }

    /// `link CODE`: say what joining would do and ask; `link CODE yes`: join
    /// this chat's account into the code's (watches, alerts, subscriptions
    /// and the Stripe customer move; the better plan survives).
    async fn link_with(&mut self, code: &str, confirmed: bool) -> Result<Vec<Outgoing>, CoreError> {
        if !confirmed {
            return self.link_preview(code).await;
        }
        let outcome = self
            .core
            .store
            .redeem_link_code(code, &self.identity, self.now)
            .await?;
        let id = match outcome {
            LinkOutcome::Linked { plan, renews_at } => {
                // This chat now speaks for the other account, in its language.
                let (user, identity) = self
                    .core
                    .store
                    .find_identity(self.identity.channel, &self.identity.external_id)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("linked identity vanished".into()))?;
                self.user = user;
                self.identity = identity;
                // What moved counts against the surviving plan's limits.
                let limits = self.core.plans.limits(plan);
                self.core
                    .store
                    .change_plan(self.user.id, plan, renews_at, limits, self.now)
                    .await?;
                self.user.plan = plan;
                "link-done"
            }
            LinkOutcome::BothPaying => "link-both-paying",
            LinkOutcome::AlreadyLinked => "link-same",
            LinkOutcome::Invalid => "link-invalid",
        };
        one(self.tr().msg(id, &[]))
    }

    async fn link_preview(&self, code: &str) -> Result<Vec<Outgoing>, CoreError> {
        let preview = self
            .core
            .store
            .link_preview(code, self.user.id, self.now)
            .await?;
        let tr = self.tr();
        let Some(preview) = preview else {
            return one(tr.msg("link-invalid", &[]));
        };
        if preview.same_account {
            return one(tr.msg("link-same", &[]));
        }
        let apps: Vec<String> = preview
            .channels
            .iter()
            .map(|c| tr.msg("channel-name", &[("channel", c.as_str().into())]))
            .collect();
        let text = tr.msg(
            "link-confirm",
            &[
                ("code", code.into()),
                ("apps", apps.join(", ").into()),
                ("plan", self.plan_name(preview.plan).into()),
                ("watches", Arg::from(i64::from(preview.watches))),
                ("alerts", Arg::from(i64::from(preview.rules))),
                (
                    "channel",
                    tr.msg(
                        "channel-name",
                        &[("channel", self.identity.channel.as_str().into())],
                    )
                    .into(),
                ),
            ],
        );
        Ok(vec![Outgoing::text(text).with_button(
            tr.msg("link-confirm-button", &[]),
            format!("link {code} yes"),
        )])
    }

    fn plan_name(&self, plan: Plan) -> String {
        self.tr().msg(&format!("plan-name-{}", plan.as_str()), &[])
    }

    /// `upgrade pro|premium`: a Checkout link; for someone who already pays,
    /// the portal, where the plan is switched (a second Checkout would make
    /// a second subscription).
    async fn upgrade(&self, paid: PaidPlan) -> Result<Vec<Outgoing>, CoreError> {
        let tr = self.tr();
        let Some(payments) = &self.core.payments else {
            return one(tr.msg("upgrade-unavailable", &[]));
        };
        if self.user.plan >= paid.plan() {
            let plan = self.plan_name(self.user.plan);
            return one(tr.msg("upgrade-already", &[("plan", plan.into())]));
        }
        let customer = self.core.store.stripe_customer(self.user.id).await?;
        let link = match (&customer, self.user.plan) {
            (Some(customer), Plan::Pro | Plan::Premium) => payments
                .portal(customer, &self.user.settings.locale)
                .await
                .map(|url| ("upgrade-change", self.user.plan, url)),
            _ => {
                // A redelivered message makes the same attempt (and Stripe
                // returns the same session); the console, which has no
                // message ids, makes one per user, plan and minute.
                let attempt = match &self.message_id {
                    Some(id) => format!(
                        "{}:{}:{}:{id}",
                        self.user.id.0,
                        paid.plan().as_str(),
                        self.identity.channel.as_str()
                    ),
                    None => format!(
                        "{}:{}:{}",
                        self.user.id.0,
                        paid.plan().as_str(),
                        self.now / 60
                    ),
                };
                let request = CheckoutRequest {
                    user: self.user.id,
                    plan: paid,
                    customer,
                    locale: self.user.settings.locale.clone(),
                    attempt,
                };
                payments
                    .checkout(&request)
                    .await
                    .map(|url| ("upgrade-link", paid.plan(), url))
            }
        };
        match link {
            Ok((message, plan, url)) => Ok(vec![Outgoing::text(tr.msg(
                message,
                &[("plan", self.plan_name(plan).into()), ("url", url.into())],
            ))
            .confidential(tr.msg(
                "payment-link-expired",
                &[(
                    "command",
                    format!("upgrade {}", paid.plan().as_str()).into(),
                )],
            ))]),
            Err(e) => self.payments_failed(e),
        }
    }

    /// `billing`: a customer portal link, for someone who has paid before.
    async fn billing(&self) -> Result<Vec<Outgoing>, CoreError> {
        let tr = self.tr();
        let Some(payments) = &self.core.payments else {
            return one(tr.msg("billing-unavailable", &[]));
        };
        let Some(customer) = self.core.store.stripe_customer(self.user.id).await? else {
            return one(tr.msg("billing-none", &[]));
        };
        match payments.portal(&customer, &self.user.settings.locale).await {
            Ok(url) => Ok(vec![Outgoing::text(
                tr.msg("billing-link", &[("url", url.into())]),
            )
            .confidential(
                tr.msg("payment-link-expired", &[("command", "billing".into())]),
            )]),
            Err(e) => self.payments_failed(e),
        }
    }

    /// Stripe could not make a link: the person hears so at once (a retry
    /// of the whole message would keep them waiting), the operator in the log.
    fn payments_failed(&self, e: BillingError) -> Result<Vec<Outgoing>, CoreError> {
        match e {
            BillingError::Store(e) => Err(e.into()),
            e => {
                tracing::error!(error = %e, "payment link not made");
                self.core.metrics.error("billing");
                one(self.tr().msg("billing-failed", &[]))
            }
        }
    }

    async fn plan(&self) -> Result<Vec<Outgoing>, CoreError> {
        let (watches, rules) = self.core.store.usage(self.user.id).await?;
        let limits = self.limits();
        let tr = self.tr();
        let secs = limits.check_interval.as_secs();
        let interval = if secs.is_multiple_of(3600) {
            tr.msg(
                "interval-hours",
                &[("hours", ((secs / 3600) as i64).into())],
            )
        } else {
            tr.msg(
                "interval-minutes",
                &[("minutes", (secs.div_ceil(60) as i64).into())],
            )
        };
        let mut text = tr.msg(
            "plan-show",
            &[
                (
                    "plan",
                    tr.msg(&format!("plan-name-{}", self.user.plan.as_str()), &[])
                        .into(),
                ),
                ("watches", i64::from(watches).into()),
                ("watchLimit", i64::from(limits.watches).into()),
                ("rules", i64::from(rules).into()),
                ("ruleLimit", i64::from(limits.rules).into()),
                ("interval", interval.into()),
                ("sms", i64::from(limits.sms_per_day).into()),
            ],
        );
        if let Some(renews) = self.user.plan_renews_at {
            text.push('\n');
            text.push_str(&tr.msg(
                "plan-renews",
                &[("date", tr.date(renews, &self.zone()).into())],
            ));
        }
        if self.user.plan != Plan::Premium {
            text.push('\n');
            text.push_str(&tr.msg("plan-upgrade-hint", &[]));
        }
        one(text)
    }
}
