//! Purpose: the values [`super::Store`] returns, and their decoding from rows.
//!
//! Row structs mirror columns exactly; the public types are parsed from them
//! once, so a corrupt value (an unknown plan, a malformed price) surfaces
//! as [`StoreError::Corrupt`] here instead of deep in the core.

use super::{Result, StoreError};
use crate::command::RuleSpec;
use crate::model::{
    Availability, Condition, Digest, ItemNo, ItemState, Plan, QuietHours, TimeOfDay, Weekday,
};
use crate::money::{Currency, Money, PriceSpec};
use dealwatch_bots::Channel;
use rust_decimal::Decimal;
use std::str::FromStr;

/// A user's id in our database (never shown to users).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(pub i64);

/// Who wrote to us, and what to give them if they are new.
#[derive(Debug, Clone, Copy)]
pub struct Contact<'a> {
    pub channel: Channel,
    pub external_id: &'a str,
    /// Where this person is reached privately (never a group).
    pub reply_address: &'a str,
    pub display_name: Option<&'a str>,
    /// The message came privately (not from a group): `reply_address` is
    /// the address to keep, and the person can be answered privately.
    pub private: bool,
    /// For a new user only: their starting locale, zone and currency.
    pub locale: &'a str,
    pub time_zone: &'a str,
    pub currency: &'a str,
}

/// What a user chose about how and when we talk to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSettings {
    pub locale: String,
    /// An IANA zone name, checked before it is stored.
    pub time_zone: String,
    pub quiet: Option<QuietHours>,
    pub digest: Digest,
    pub daily_cap: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub plan: Plan,
    pub plan_renews_at: Option<i64>,
    /// The currency a price without one ("below 40") is read in.
    pub currency: Currency,
    pub settings: UserSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub id: i64,
    pub user_id: UserId,
    pub channel: Channel,
    pub external_id: String,
    pub reply_address: String,
    pub opted_out: bool,
    /// When this person last wrote to us here (UTC seconds).
    pub last_inbound_at: Option<i64>,
    /// They have written to us privately here, so a private answer reaches
    /// them (a Telegram bot cannot open a chat nobody started).
    pub private_chat: bool,
}

/// A watch to store: the product is found or created by its canonical URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWatch {
    pub canonical_url: String,
    pub host: String,
    pub target: Option<PriceSpec>,
    pub drop_percent: Option<Decimal>,
    pub back_in_stock: bool,
}

/// What one check of a product page found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub title: Option<String>,
    pub image_url: Option<String>,
    pub price: Option<Money>,
    pub availability: Availability,
}

/// A deal found by a deal source. Price and was-price share one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeal {
    pub source: String,
    /// Unique per deal across sources (a feed item's guid, a canonical URL).
    pub dedupe_key: String,
    pub title: String,
    pub url: String,
    pub price: Option<Money>,
    pub was_price: Option<Money>,
    pub merchant: Option<String>,
    pub category: Option<String>,
    pub condition: Option<Condition>,
    pub score: Option<Decimal>,
    /// The title's words and the price: one deal from two sources has the
    /// same fingerprint, and is stored once.
    pub fingerprint: Option<String>,
    /// The lowest price its history shows (for the alert; not stored).
    pub lowest: Option<Money>,
    /// A picture of it, for the alert (not stored).
    pub image: Option<String>,
}

impl NewDeal {
    /// What a rule looks at.
    pub fn facts(&self) -> crate::rules::DealFacts<'_> {
        crate::rules::DealFacts {
            title: &self.title,
            price: self.price,
            category: self.category.as_deref(),
            condition: self.condition,
            score: self.score,
        }
    }
}

/// A product whose check is due, leased to one scheduler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueProduct {
    pub id: i64,
    pub url: String,
    pub validators: crate::fetch::Validators,
    pub consecutive_failures: u32,
}

/// What a check found, as the scheduler hands it to the store.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckResult {
    Observed {
        observation: Observation,
        validators: crate::fetch::Validators,
        method: &'static str,
    },
    NotModified,
    Failed {
        error: String,
        permanent: bool,
        /// The host asked us to wait this many seconds.
        retry_after: Option<u64>,
    },
}

/// An active watch as the check of its product sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchState {
    pub watch_id: i64,
    pub user_id: UserId,
    pub no: ItemNo,
    pub rule: crate::watching::WatchRule,
    pub first_reported: bool,
}

/// What a check means for one watch, decided outside the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchDecision {
    /// A notice for the outbox, with its dedupe key.
    pub notice: Option<(String, crate::watching::Notice)>,
    pub new_reference: Option<Money>,
    pub mark_reported: bool,
}

/// What the check changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// False when the lease was lost to another scheduler: nothing written.
    pub applied: bool,
    pub price_changed: bool,
    pub notices: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Watch,
    Rule,
}

/// What adding a watch or rule did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    Created(ItemNo),
    /// The user already watched that product; its conditions were replaced.
    Updated(ItemNo),
    /// The plan allows no more active items of this kind; nothing stored.
    LimitReached {
        limit: u32,
    },
}

/// What pausing or resuming did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateChange {
    Changed(ItemKind),
    Unchanged(ItemKind),
    NotFound,
    LimitReached { kind: ItemKind, limit: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchItem {
    pub no: ItemNo,
    pub state: ItemState,
    pub product_id: i64,
    pub url: String,
    pub title: Option<String>,
    pub price: Option<Money>,
    pub availability: Availability,
    pub target: Option<PriceSpec>,
    pub drop_percent: Option<Decimal>,
    pub back_in_stock: bool,
    /// `None` until the scraper has fetched the page once.
    pub last_checked_at: Option<i64>,
    /// The name its owner gave it (`name ID TEXT`).
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleItem {
    pub no: ItemNo,
    pub state: ItemState,
    pub spec: RuleSpec,
    /// A community rule posts its matches here (a Discord guild channel)
    /// instead of alerting its owner.
    pub post_to: Option<(Channel, String)>,
    /// A community destination (its id) the rule posts its matches to.
    pub community: Option<i64>,
    /// The name its owner gave it (`name ID TEXT`).
    pub label: Option<String>,
}

/// An active rule, its database id and its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveRule {
    pub id: i64,
    pub user_id: UserId,
    pub rule: RuleItem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Watch(WatchItem),
    Rule(RuleItem),
}

impl Item {
    pub fn no(&self) -> ItemNo {
        match self {
            Item::Watch(w) => w.no,
            Item::Rule(r) => r.no,
        }
    }

    pub fn state(&self) -> ItemState {
        match self {
            Item::Watch(w) => w.state,
            Item::Rule(r) => r.state,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricePoint {
    pub price: Option<Money>,
    pub availability: Availability,
    pub observed_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentDeal {
    pub title: String,
    pub url: String,
    pub price: Option<Money>,
    pub was_price: Option<Money>,
    pub merchant: Option<String>,
    pub category: Option<String>,
    pub condition: Option<Condition>,
    pub score: Option<Decimal>,
    pub seen_at: i64,
}

impl RecentDeal {
    /// What a rule looks at.
    pub fn facts(&self) -> crate::rules::DealFacts<'_> {
        crate::rules::DealFacts {
            title: &self.title,
            price: self.price,
            category: self.category.as_deref(),
            condition: self.condition,
            score: self.score,
        }
    }
}

// ----- rows ---------------------------------------------------------------

#[macro_export]
#[doc(hidden)]
macro_rules! user_columns {
    () => {
        "id, plan, plan_renews_at, locale, time_zone, currency, quiet_start, \
     quiet_end, digest_mode, digest_minute, digest_weekday, daily_cap"
    };
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: i64,
    plan: String,
    plan_renews_at: Option<i64>,
    locale: String,
    time_zone: String,
    currency: String,
    quiet_start: Option<i64>,
    quiet_end: Option<i64>,
    digest_mode: String,
    digest_minute: i64,
    digest_weekday: i64,
    daily_cap: Option<i64>,
}

impl UserRow {
    pub(super) fn id(&self) -> i64 {
        self.id
    }
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<User> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("user {}: {what}", row.id));
        let plan = Plan::from_name(&row.plan).ok_or_else(|| corrupt("plan"))?;
        let quiet = match (row.quiet_start, row.quiet_end) {
            (Some(start), Some(end)) => Some(QuietHours {
                start: TimeOfDay::from_minutes(start).ok_or_else(|| corrupt("quiet_start"))?,
                end: TimeOfDay::from_minutes(end).ok_or_else(|| corrupt("quiet_end"))?,
            }),
            _ => None,
        };
        let digest = digest_from_columns(&row.digest_mode, row.digest_minute, row.digest_weekday)
            .ok_or_else(|| corrupt("digest_mode"))?;
        let daily_cap = row
            .daily_cap
            .map(|c| u32::try_from(c).map_err(|_| corrupt("daily_cap")))
            .transpose()?;
        Ok(User {
            id: UserId(row.id),
            plan,
            plan_renews_at: row.plan_renews_at,
            currency: Currency::from_code(&row.currency).ok_or_else(|| corrupt("currency"))?,
            settings: UserSettings {
                locale: row.locale,
                time_zone: row.time_zone,
                quiet,
                digest,
                daily_cap,
            },
        })
    }
}

/// A digest setting from its three columns; `None` if they are not one.
pub(super) fn digest_from_columns(mode: &str, minute: i64, weekday: i64) -> Option<Digest> {
    let at = TimeOfDay::from_minutes(minute)?;
    match mode {
        "off" => Some(Digest::Off),
        "daily" => Some(Digest::Daily { at }),
        "weekly" => Some(Digest::Weekly {
            day: Weekday::from_number(weekday)?,
            at,
        }),
        _ => None,
    }
}

/// The three digest columns for a digest setting.
pub(super) fn digest_columns(digest: Digest) -> (&'static str, i64, i64) {
    match digest {
        Digest::Off => ("off", i64::from(Digest::DEFAULT_TIME.minutes()), 1),
        Digest::Daily { at } => ("daily", i64::from(at.minutes()), 1),
        Digest::Weekly { day, at } => ("weekly", i64::from(at.minutes()), i64::from(day.number())),
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct IdentityRow {
    id: i64,
    user_id: i64,
    channel: String,
    external_id: String,
    reply_address: String,
    opted_out: bool,
    last_inbound_at: Option<i64>,
    private_chat: bool,
}

/// An identity and its user in one row (`identity_id` for the identity's
/// own id, the user's columns under their own names).
#[derive(sqlx::FromRow)]
pub(super) struct IdentityUserRow {
    #[sqlx(flatten)]
    user: UserRow,
    identity_id: i64,
    channel: String,
    external_id: String,
    reply_address: String,
    opted_out: bool,
    last_inbound_at: Option<i64>,
    private_chat: bool,
}

impl TryFrom<IdentityUserRow> for (User, Identity) {
    type Error = StoreError;

    fn try_from(row: IdentityUserRow) -> Result<(User, Identity)> {
        let identity = Identity::try_from(IdentityRow {
            id: row.identity_id,
            user_id: row.user.id,
            channel: row.channel,
            external_id: row.external_id,
            reply_address: row.reply_address,
            opted_out: row.opted_out,
            last_inbound_at: row.last_inbound_at,
            private_chat: row.private_chat,
        })?;
        Ok((User::try_from(row.user)?, identity))
    }
}

impl TryFrom<IdentityRow> for Identity {
    type Error = StoreError;

    fn try_from(row: IdentityRow) -> Result<Identity> {
        Ok(Identity {
            id: row.id,
            user_id: UserId(row.user_id),
            channel: Channel::from_name(&row.channel)
                .ok_or_else(|| StoreError::Corrupt(format!("identity {}: channel", row.id)))?,
            external_id: row.external_id,
            reply_address: row.reply_address,
            opted_out: row.opted_out,
            last_inbound_at: row.last_inbound_at,
            private_chat: row.private_chat,
        })
    }
}

#[macro_export]
#[doc(hidden)]
macro_rules! watch_columns {
    () => {
        "w.item_no, w.state, w.product_id, p.canonical_url, p.title, p.price, \
     p.currency, p.availability, w.target_price, w.target_currency, w.drop_percent, w.back_in_stock, \
     p.last_checked_at, w.label"
    };
}

#[derive(sqlx::FromRow)]
pub(super) struct WatchRow {
    item_no: i64,
    state: String,
    product_id: i64,
    canonical_url: String,
    title: Option<String>,
    price: Option<String>,
    currency: Option<String>,
    availability: String,
    target_price: Option<String>,
    target_currency: Option<String>,
    drop_percent: Option<String>,
    back_in_stock: bool,
    last_checked_at: Option<i64>,
    label: Option<String>,
}

impl TryFrom<WatchRow> for WatchItem {
    type Error = StoreError;

    fn try_from(row: WatchRow) -> Result<WatchItem> {
        Ok(WatchItem {
            no: item_no(row.item_no)?,
            state: state(&row.state)?,
            product_id: row.product_id,
            url: row.canonical_url,
            title: row.title,
            price: money(row.price.as_deref(), row.currency.as_deref())?,
            availability: Availability::from_name(&row.availability),
            target: price_spec(row.target_price.as_deref(), row.target_currency.as_deref())?,
            drop_percent: row.drop_percent.as_deref().map(decimal).transpose()?,
            back_in_stock: row.back_in_stock,
            last_checked_at: row.last_checked_at,
            label: row.label,
        })
    }
}

#[macro_export]
#[doc(hidden)]
macro_rules! rule_columns {
    () => {
        "item_no, state, words, excluded, min_price, max_price, currency, category, min_score, condition, \
         channel, post_address, label, destination_id"
    };
}

#[derive(sqlx::FromRow)]
pub(super) struct RuleRow {
    item_no: i64,
    state: String,
    words: String,
    excluded: String,
    min_price: Option<String>,
    max_price: Option<String>,
    currency: Option<String>,
    category: Option<String>,
    min_score: Option<String>,
    condition: Option<String>,
    channel: Option<String>,
    post_address: Option<String>,
    label: Option<String>,
    destination_id: Option<i64>,
}

/// A rule with its owner, as the deal matcher reads it.
#[derive(sqlx::FromRow)]
pub(super) struct ActiveRuleRow {
    id: i64,
    user_id: i64,
    #[sqlx(flatten)]
    rule: RuleRow,
}

impl TryFrom<ActiveRuleRow> for ActiveRule {
    type Error = StoreError;

    fn try_from(row: ActiveRuleRow) -> Result<ActiveRule> {
        Ok(ActiveRule {
            id: row.id,
            user_id: UserId(row.user_id),
            rule: RuleItem::try_from(row.rule)?,
        })
    }
}

impl TryFrom<RuleRow> for RuleItem {
    type Error = StoreError;

    fn try_from(row: RuleRow) -> Result<RuleItem> {
        let currency = row.currency.as_deref().map(currency).transpose()?;
        let price = |amount: Option<&str>| {
            amount
                .map(|a| {
                    Ok::<_, StoreError>(PriceSpec {
                        amount: decimal(a)?,
                        currency,
                    })
                })
                .transpose()
        };
        let list = |json: &str| {
            serde_json::from_str::<Vec<String>>(json)
                .map_err(|e| StoreError::Corrupt(format!("rule words: {e}")))
        };
        let channel = row
            .channel
            .as_deref()
            .map(|name| {
                Channel::from_name(name)
                    .ok_or_else(|| StoreError::Corrupt(format!("rule channel {name:?}")))
            })
            .transpose()?;
        // A channel with an address is where a community rule posts; a
        // channel alone is the owner's choice for their alerts.
        let (post_to, via) = match (channel, row.post_address) {
            (Some(channel), Some(address)) => (Some((channel, address)), None),
            (via, _) => (None, via),
        };
        Ok(RuleItem {
            no: item_no(row.item_no)?,
            state: state(&row.state)?,
            post_to,
            community: row.destination_id,
            label: row.label,
            spec: RuleSpec {
                words: list(&row.words)?,
                excluded: list(&row.excluded)?,
                min_price: price(row.min_price.as_deref())?,
                max_price: price(row.max_price.as_deref())?,
                category: row.category,
                min_score: row.min_score.as_deref().map(decimal).transpose()?,
                condition: row
                    .condition
                    .as_deref()
                    .map(|c| {
                        Condition::from_name(c)
                            .ok_or_else(|| StoreError::Corrupt(format!("condition {c:?}")))
                    })
                    .transpose()?,
                via,
            },
        })
    }
}

impl TryFrom<(Option<String>, Option<String>, String, i64)> for PricePoint {
    type Error = StoreError;

    fn try_from(
        (price, currency, availability, observed_at): (Option<String>, Option<String>, String, i64),
    ) -> Result<PricePoint> {
        Ok(PricePoint {
            price: money(price.as_deref(), currency.as_deref())?,
            availability: Availability::from_name(&availability),
            observed_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct DealRow {
    title: String,
    url: String,
    price: Option<String>,
    was_price: Option<String>,
    currency: Option<String>,
    merchant: Option<String>,
    category: Option<String>,
    condition: Option<String>,
    score: Option<String>,
    seen_at: i64,
}

impl TryFrom<DealRow> for RecentDeal {
    type Error = StoreError;

    fn try_from(row: DealRow) -> Result<RecentDeal> {
        Ok(RecentDeal {
            price: money(row.price.as_deref(), row.currency.as_deref())?,
            was_price: money(row.was_price.as_deref(), row.currency.as_deref())?,
            title: row.title,
            url: row.url,
            merchant: row.merchant,
            category: row.category,
            condition: row.condition.as_deref().and_then(Condition::from_name),
            score: row.score.as_deref().map(decimal).transpose()?,
            seen_at: row.seen_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct WatchStateRow {
    id: i64,
    user_id: i64,
    item_no: i64,
    target_price: Option<String>,
    target_currency: Option<String>,
    drop_percent: Option<String>,
    back_in_stock: bool,
    reference_price: Option<String>,
    reference_currency: Option<String>,
    first_reported: bool,
}

impl TryFrom<WatchStateRow> for WatchState {
    type Error = StoreError;

    fn try_from(row: WatchStateRow) -> Result<WatchState> {
        Ok(WatchState {
            watch_id: row.id,
            user_id: UserId(row.user_id),
            no: item_no(row.item_no)?,
            rule: crate::watching::WatchRule {
                target: price_spec(row.target_price.as_deref(), row.target_currency.as_deref())?,
                drop_percent: row.drop_percent.as_deref().map(decimal).transpose()?,
                back_in_stock: row.back_in_stock,
                reference: money(
                    row.reference_price.as_deref(),
                    row.reference_currency.as_deref(),
                )?,
            },
            first_reported: row.first_reported,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct DueRow {
    pub(super) id: i64,
    pub(super) canonical_url: String,
    pub(super) etag: Option<String>,
    pub(super) last_modified: Option<String>,
    pub(super) consecutive_failures: i64,
}

impl From<DueRow> for DueProduct {
    fn from(row: DueRow) -> DueProduct {
        DueProduct {
            id: row.id,
            url: row.canonical_url,
            validators: crate::fetch::Validators {
                etag: row.etag,
                last_modified: row.last_modified,
            },
            consecutive_failures: u32::try_from(row.consecutive_failures).unwrap_or(u32::MAX),
        }
    }
}

pub(super) fn snapshot(
    price: Option<&str>,
    code: Option<&str>,
    availability: &str,
) -> Result<crate::watching::Snapshot> {
    Ok(crate::watching::Snapshot {
        price: money(price, code)?,
        availability: Availability::from_name(availability),
    })
}

// ----- column parsers -----------------------------------------------------

pub(super) fn item_no(n: i64) -> Result<ItemNo> {
    u32::try_from(n)
        .ok()
        .and_then(ItemNo::new)
        .ok_or_else(|| StoreError::Corrupt(format!("item number {n}")))
}

fn state(s: &str) -> Result<ItemState> {
    ItemState::from_name(s).ok_or_else(|| StoreError::Corrupt(format!("state {s:?}")))
}

fn decimal(s: &str) -> Result<Decimal> {
    Decimal::from_str(s).map_err(|_| StoreError::Corrupt(format!("decimal {s:?}")))
}

fn currency(code: &str) -> Result<Currency> {
    Currency::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("currency {code:?}")))
}

/// A price as a user gave it: the currency column may be empty.
fn price_spec(amount: Option<&str>, code: Option<&str>) -> Result<Option<PriceSpec>> {
    amount
        .map(|a| {
            Ok(PriceSpec {
                amount: decimal(a)?,
                currency: code.map(currency).transpose()?,
            })
        })
        .transpose()
}

fn money(amount: Option<&str>, code: Option<&str>) -> Result<Option<Money>> {
    match (amount, code) {
        (Some(amount), Some(code)) => Ok(Some(Money::new(decimal(amount)?, currency(code)?))),
        _ => Ok(None),
    }
}
