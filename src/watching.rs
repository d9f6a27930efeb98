//! Purpose: decide when a watch fires, and what its owner is told.
//!
//! A check that changed a product's price or availability is compared with
//! each active watch on it ([`evaluate`]):
//! - a target fires when the price falls to or below it (and on each further
//!   fall while below; never on a rise, never while the price stays put);
//! - "drop N%" fires when the price is N% under the watch's reference price
//!   (the first price seen, then the price at each alert);
//! - "instock" fires when the product goes from out of stock to in stock;
//! - a watch with no condition fires on any fall.
//!
//! What fires becomes a [`Notice`] in the outbox, with a dedupe key naming
//! the watch and the price change, so a change alerts exactly once however
//! often the check is retried. Notices are stored language-neutral and
//! rendered in the owner's language when delivered ([`render`]).

use crate::l10n::{Arg, Tr};
use crate::model::Availability;
use crate::money::{Currency, Money, PriceSpec};
use dealwatch_bots::{Channel, Outgoing};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A product's state as one check saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub price: Option<Money>,
    pub availability: Availability,
}

/// One watch's conditions and its reference price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchRule {
    pub target: Option<PriceSpec>,
    pub drop_percent: Option<Decimal>,
    pub back_in_stock: bool,
    pub reference: Option<Money>,
}

/// Why a watch fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Target,
    Drop,
    BackInStock,
    AnyDrop,
}

/// Whether a change from `before` to `after` fires `watch`.
pub fn evaluate(watch: &WatchRule, before: &Snapshot, after: &Snapshot) -> Option<Trigger> {
    let fell = match (before.price, after.price) {
        (Some(b), Some(a)) => a.currency == b.currency && a.amount < b.amount,
        _ => false,
    };
    let first_price = before.price.is_none() && after.price.is_some();
    let buyable = after.availability != Availability::OutOfStock;

    if let (Some(target), Some(price)) = (watch.target, after.price) {
        let same_currency = target.currency.is_none_or(|c| c == price.currency);
        if same_currency && price.amount <= target.amount && buyable && (fell || first_price) {
            return Some(Trigger::Target);
        }
    }
    if let (Some(pct), Some(reference), Some(price)) =
        (watch.drop_percent, watch.reference, after.price)
    {
        let threshold = reference.amount * (Decimal::ONE_HUNDRED - pct) / Decimal::ONE_HUNDRED;
        if reference.currency == price.currency && price.amount <= threshold && buyable && fell {
            return Some(Trigger::Drop);
        }
    }
    if watch.back_in_stock
        && before.availability == Availability::OutOfStock
        && after.availability == Availability::InStock
    {
        return Some(Trigger::BackInStock);
    }
    let has_condition =
        watch.target.is_some() || watch.drop_percent.is_some() || watch.back_in_stock;
    if !has_condition && fell && buyable {
        return Some(Trigger::AnyDrop);
    }
    None
}

/// The reference price after this check: set by the first price seen, and
/// reset to the new price whenever a drop alert fires.
pub fn next_reference(
    watch: &WatchRule,
    after: &Snapshot,
    fired: Option<Trigger>,
) -> Option<Money> {
    match (watch.reference, after.price, fired) {
        (None, Some(price), _) => Some(price),
        (Some(_), Some(price), Some(Trigger::Drop | Trigger::Target | Trigger::AnyDrop)) => {
            Some(price)
        }
        (reference, _, _) => reference,
    }
}

/// Money in a notice: amount and currency as text, exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    pub amount: String,
    pub currency: String,
}

impl From<Money> for Amount {
    fn from(m: Money) -> Amount {
        Amount {
            amount: m.amount.to_string(),
            currency: m.currency.code().to_owned(),
        }
    }
}

impl Amount {
    pub fn money(&self) -> Option<Money> {
        Some(Money::new(
            Decimal::from_str(&self.amount).ok()?,
            Currency::from_code(&self.currency)?,
        ))
    }
}

/// What a user is told, stored in the outbox as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// The first check of a newly watched product.
    WatchReady {
        watch_no: u32,
        title: Option<String>,
        url: String,
        price: Option<Amount>,
        availability: String,
    },
    /// A watch fired.
    WatchAlert {
        watch_no: u32,
        trigger: Trigger,
        title: Option<String>,
        url: String,
        old_price: Option<Amount>,
        new_price: Option<Amount>,
        lowest: Option<Amount>,
    },
    /// The first check could not read the page.
    WatchFailed {
        watch_no: u32,
        url: String,
        reason: String,
    },
    /// A new deal matched a rule.
    DealMatch {
        rule_no: u32,
        title: String,
        url: String,
        price: Option<Amount>,
        was_price: Option<Amount>,
        merchant: Option<String>,
        /// The lowest price the product's history shows.
        #[serde(default)]
        lowest: Option<Amount>,
        /// A picture of it (http or https), for platforms that show one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image: Option<String>,
        /// A community rule's channel: the deal is posted there, for
        /// everyone in it, instead of alerting the rule's owner.
        #[serde(default)]
        post_to: Option<(Channel, String)>,
        /// A community destination's id: the deal is posted there (through
        /// a Discord webhook URL) instead of alerting the rule's owner.
        #[serde(default)]
        community: Option<i64>,
        /// The channel the rule's owner chose for its alerts.
        #[serde(default)]
        via: Option<Channel>,
    },
    /// Alerts held for a digest (or over the daily cap), in one message.
    Digest { items: Vec<Notice> },
    /// A community destination stopped taking posts (its Discord webhook
    /// was deleted); its rules are paused. Told to its owner.
    CommunityStopped { name: String },
    /// We were removed from a community's chat (or may no longer post
    /// there); its rules are paused. Told to its owner.
    CommunityLeft { name: String },
    /// A test message for a community, posted there like its deals.
    CommunityTest { destination: i64, name: String },
    /// An identity of the user's stopped working (blocked, unsubscribed);
    /// sent on another of their channels.
    ChannelLost { channel: Channel, why: String },
    /// The user's plan changed (a subscription began, changed or ended),
    /// with the items that change paused or resumed.
    PlanChanged {
        plan: String,
        upgrade: bool,
        paused: Vec<u32>,
        resumed: Vec<u32>,
    },
    /// A subscription payment failed. The portal link is short-lived; the
    /// `billing` button makes a fresh one.
    PaymentFailed { portal_url: Option<String> },
    /// The answer to something the person just sent, delivered where the
    /// outbox row's route says, ahead of notices (any payment link in it
    /// kept sealed).
    Reply {
        #[serde(flatten)]
        kept: crate::seal::Kept,
    },
}

impl Notice {
    /// The outbox kind column.
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::WatchReady { .. } => "watch_ready",
            Notice::WatchAlert { .. } => "watch_alert",
            Notice::WatchFailed { .. } => "watch_failed",
            Notice::DealMatch { .. } => "deal_match",
            Notice::Digest { .. } => "digest",
            Notice::ChannelLost { .. } => "channel_lost",
            Notice::CommunityStopped { .. } => "community_stopped",
            Notice::CommunityLeft { .. } => "community_left",
            Notice::CommunityTest { .. } => "community_test",
            Notice::PlanChanged { .. } => "plan_changed",
            Notice::PaymentFailed { .. } => "payment_failed",
            Notice::Reply { .. } => "reply",
        }
    }

    /// Whether this is an alert (held by digests, counted by the daily cap)
    /// rather than an answer to something the user did.
    pub fn is_alert(&self) -> bool {
        matches!(
            self,
            Notice::WatchAlert { .. }
                | Notice::DealMatch {
                    post_to: None,
                    community: None,
                    ..
                }
        )
    }

    /// The community destination this notice is posted to, if any: a
    /// community rule's match, a test message, or a digest of matches.
    pub fn community(&self) -> Option<i64> {
        match self {
            Notice::DealMatch {
                community: Some(id),
                ..
            }
            | Notice::CommunityTest {
                destination: id, ..
            } => Some(*id),
            Notice::Digest { items } => items.first().and_then(Notice::community),
            _ => None,
        }
    }

    /// The channel this notice should go through first, if its rule says.
    pub fn preferred_channel(&self) -> Option<Channel> {
        match self {
            Notice::DealMatch { via, .. } => *via,
            _ => None,
        }
    }
}

/// How much lower `now` is than `before`, in percent, when it is lower
/// and in the same currency.
pub fn percent_off(now: &Option<Amount>, before: &Option<Amount>) -> Option<Decimal> {
    let now = now.as_ref().and_then(Amount::money)?;
    let before = before.as_ref().and_then(Amount::money)?;
    (now.currency == before.currency && before.amount > now.amount && !before.amount.is_zero())
        .then(|| (before.amount - now.amount) * Decimal::ONE_HUNDRED / before.amount)
}

/// Render a notice in the user's language.
pub fn render(notice: &Notice, tr: &Tr<'_>) -> Outgoing {
    let id = |n: u32| Arg::from(i64::from(n));
    let money = |a: &Option<Amount>| a.as_ref().and_then(Amount::money).map(|m| tr.money(m));
    match notice {
        Notice::WatchReady {
            watch_no,
            title,
            url,
            price,
            availability,
        } => {
            let name = title.clone().unwrap_or_else(|| url.clone());
            let status = match (money(price), availability.as_str()) {
                (_, "out_of_stock") => tr.msg("status-out-of-stock", &[]),
                (Some(p), _) => p,
                (None, _) => tr.msg("status-no-price", &[]),
            };
            Outgoing::text(tr.msg(
                "watch-ready",
                &[
                    ("id", id(*watch_no)),
                    ("name", name.into()),
                    ("status", status.into()),
                    ("url", url.clone().into()),
                ],
            ))
            .with_button(tr.msg("button-history", &[]), format!("history {watch_no}"))
            .with_button(tr.msg("button-pause", &[]), format!("pause {watch_no}"))
        }
        Notice::WatchAlert {
            watch_no,
            trigger,
            title,
            url,
            old_price,
            new_price,
            lowest,
        } => {
            let name = title.clone().unwrap_or_else(|| url.clone());
            let percent = percent_off(new_price, old_price).map(|p| tr.percent(p));
            let headline = match trigger {
                Trigger::Target => "alert-target",
                Trigger::Drop => "alert-drop",
                Trigger::AnyDrop => "alert-any-drop",
                Trigger::BackInStock => "alert-back-in-stock",
            };
            let mut lines = vec![tr.msg(headline, &[("id", id(*watch_no)), ("name", name.into())])];
            match (money(old_price), money(new_price), percent) {
                (Some(o), Some(n), Some(p)) => {
                    lines.push(tr.msg(
                        "alert-price-change",
                        &[("old", o.into()), ("new", n.into()), ("percent", p.into())],
                    ));
                }
                (_, Some(n), _) => lines.push(tr.msg("alert-price-now", &[("new", n.into())])),
                _ => {}
            }
            if let Some(low) = money(lowest) {
                lines.push(tr.msg("alert-lowest", &[("lowest", low.into())]));
            }
            lines.push(url.clone());
            Outgoing::text(lines.join("\n"))
                .with_button(tr.msg("button-history", &[]), format!("history {watch_no}"))
                .with_button(tr.msg("button-pause", &[]), format!("pause {watch_no}"))
                .with_button(tr.msg("button-delete", &[]), format!("delete {watch_no}"))
        }
        Notice::WatchFailed {
            watch_no,
            url,
            reason,
        } => Outgoing::text(tr.msg(
            "watch-failed",
            &[
                ("id", id(*watch_no)),
                ("url", url.clone().into()),
                ("reason", reason.clone().into()),
            ],
        ))
        .with_button(tr.msg("button-delete", &[]), format!("delete {watch_no}")),
        Notice::DealMatch {
            rule_no,
            title,
            url,
            price,
            was_price,
            merchant,
            lowest,
            image,
            post_to,
            community,
            via: _,
        } => {
            let shared = post_to.is_some() || community.is_some();
            let mut lines = vec![match shared {
                true => tr.msg("deal-community", &[("title", title.clone().into())]),
                false => tr.msg(
                    "deal-match",
                    &[("id", id(*rule_no)), ("title", title.clone().into())],
                ),
            }];
            let off = percent_off(price, was_price);
            match (money(price), money(was_price), off) {
                (Some(p), Some(w), Some(off)) => lines.push(tr.msg(
                    "deal-price-was",
                    &[
                        ("price", p.into()),
                        ("was", w.into()),
                        ("off", tr.percent(off.round_dp(0)).into()),
                    ],
                )),
                (Some(p), _, _) => lines.push(tr.msg("deal-price", &[("price", p.into())])),
                _ => {}
            }
            if let Some(low) = money(lowest) {
                lines.push(tr.msg("deal-lowest", &[("price", low.into())]));
            }
            if let Some(merchant) = merchant {
                lines.push(tr.msg("deal-merchant", &[("merchant", merchant.clone().into())]));
            }
            // The headline links to the deal; the lines under it follow.
            let card =
                dealwatch_bots::Card::new(&lines[0], url, lines[1..].join("\n"), image.as_deref());
            lines.push(url.clone());
            let message = Outgoing::text(lines.join("\n")).with_card(card);
            // In a shared channel a button would act for whoever pressed it.
            match shared {
                true => message,
                false => message
                    .with_button(tr.msg("button-pause", &[]), format!("pause {rule_no}"))
                    .with_button(tr.msg("button-delete", &[]), format!("delete {rule_no}")),
            }
        }
        Notice::Digest { items } => Outgoing::text(render_digest(items, tr)),
        Notice::PlanChanged {
            plan,
            upgrade,
            paused,
            resumed,
        } => {
            let name = tr.msg(&format!("plan-name-{plan}"), &[]);
            let list = |nos: &[u32]| {
                nos.iter()
                    .map(|n| format!("#{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut lines = vec![tr.msg(
                if *upgrade {
                    "plan-changed-up"
                } else {
                    "plan-changed-down"
                },
                &[("plan", name.into())],
            )];
            if !paused.is_empty() {
                lines.push(tr.msg("plan-paused-items", &[("items", list(paused).into())]));
            }
            if !resumed.is_empty() {
                lines.push(tr.msg("plan-resumed-items", &[("items", list(resumed).into())]));
            }
            Outgoing::text(lines.join("\n")).with_button(tr.msg("button-plan", &[]), "plan")
        }
        Notice::PaymentFailed { portal_url } => {
            let text = match portal_url {
                Some(url) => tr.msg("payment-failed-link", &[("url", url.clone().into())]),
                None => tr.msg("payment-failed", &[]),
            };
            Outgoing::text(text).with_button(tr.msg("button-billing", &[]), "billing")
        }
        // The dispatcher sends replies whole (`dispatch::Route`); as one
        // message, the first stands for them.
        Notice::Reply { kept } => kept.messages.first().cloned().unwrap_or_default(),
        Notice::CommunityStopped { name } => {
            Outgoing::text(tr.msg("community-stopped", &[("name", name.clone().into())]))
        }
        Notice::CommunityLeft { name } => {
            Outgoing::text(tr.msg("community-left", &[("name", name.clone().into())]))
        }
        Notice::CommunityTest { name, .. } => {
            Outgoing::text(tr.msg("community-test-post", &[("name", name.clone().into())]))
        }
        Notice::ChannelLost { channel, why } => Outgoing::text(
            tr.msg(
                "channel-lost",
                &[
                    (
                        "channel",
                        tr.msg("channel-name", &[("channel", channel.as_str().into())])
                            .into(),
                    ),
                    ("why", why.clone().into()),
                ],
            ),
        ),
    }
}

/// Most alerts a digest lists; the rest are counted.
const DIGEST_MAX_ITEMS: usize = 40;

/// A digest: alerts grouped by the watch or rule that raised them (in
/// item order), the biggest discount first within each group.
fn render_digest(items: &[Notice], tr: &Tr<'_>) -> String {
    struct Line<'n> {
        group: (u8, u32),
        off: Option<Decimal>,
        notice: &'n Notice,
    }
    let mut lines: Vec<Line<'_>> = items
        .iter()
        .filter_map(|notice| {
            let (group, off) = match notice {
                Notice::WatchAlert {
                    watch_no,
                    old_price,
                    new_price,
                    ..
                } => ((0, *watch_no), percent_off(new_price, old_price)),
                // A community's digest is one list: its alerts' numbers
                // are its owner's, nothing its readers know.
                Notice::DealMatch {
                    community: Some(_),
                    price,
                    was_price,
                    ..
                } => ((2, 0), percent_off(price, was_price)),
                Notice::DealMatch {
                    rule_no,
                    price,
                    was_price,
                    ..
                } => ((1, *rule_no), percent_off(price, was_price)),
                _ => return None,
            };
            Some(Line { group, off, notice })
        })
        .collect();
    // Within a group: largest discount first, undiscounted last, then as found.
    lines.sort_by(|a, b| a.group.cmp(&b.group).then(b.off.cmp(&a.off)));
    let money = |a: &Option<Amount>| a.as_ref().and_then(Amount::money).map(|m| tr.money(m));
    let mut out = vec![tr.msg("digest-header", &[("count", (lines.len() as i64).into())])];
    let mut group = None;
    for line in lines.iter().take(DIGEST_MAX_ITEMS) {
        if group != Some(line.group) && line.group.0 != 2 {
            group = Some(line.group);
            let key = if line.group.0 == 0 {
                "digest-group-watch"
            } else {
                "digest-group-rule"
            };
            out.push(String::new());
            out.push(tr.msg(key, &[("id", i64::from(line.group.1).into())]));
        }
        let (title, url, price) = match line.notice {
            Notice::WatchAlert {
                title,
                url,
                new_price,
                ..
            } => (
                title.clone().unwrap_or_else(|| url.clone()),
                url,
                money(new_price),
            ),
            Notice::DealMatch {
                title, url, price, ..
            } => (title.clone(), url, money(price)),
            _ => continue,
        };
        let entry = match (price, line.off) {
            (Some(price), Some(off)) => tr.msg(
                "digest-item-off",
                &[
                    ("title", title.into()),
                    ("price", price.into()),
                    ("off", tr.percent(off.round_dp(0)).into()),
                ],
            ),
            (Some(price), None) => tr.msg(
                "digest-item",
                &[("title", title.into()), ("price", price.into())],
            ),
            (None, _) => tr.msg("digest-item-no-price", &[("title", title.into())]),
        };
        out.push(entry);
        out.push(format!("  {url}"));
    }
    if lines.len() > DIGEST_MAX_ITEMS {
        out.push(tr.msg(
            "digest-more",
            &[("count", ((lines.len() - DIGEST_MAX_ITEMS) as i64).into())],
        ));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbp(n: i64) -> Money {
        Money::new(Decimal::from(n), Currency::GBP)
    }

    fn snap(price: Option<i64>, availability: Availability) -> Snapshot {
        Snapshot {
            price: price.map(gbp),
            availability,
        }
    }

    const IN: Availability = Availability::InStock;
    const OUT: Availability = Availability::OutOfStock;

    fn rule(
        target: Option<i64>,
        drop: Option<i64>,
        stock: bool,
        reference: Option<i64>,
    ) -> WatchRule {
        WatchRule {
            target: target.map(|t| PriceSpec {
                amount: Decimal::from(t),
                currency: None,
            }),
            drop_percent: drop.map(Decimal::from),
            back_in_stock: stock,
            reference: reference.map(gbp),
        }
    }

    #[test]
    fn targets_fire_on_falls_to_or_below_only() {
        let w = rule(Some(40), None, false, Some(50));
        assert_eq!(
            evaluate(&w, &snap(Some(50), IN), &snap(Some(40), IN)),
            Some(Trigger::Target)
        );
        assert_eq!(
            evaluate(&w, &snap(Some(40), IN), &snap(Some(38), IN)),
            Some(Trigger::Target)
        );
        assert_eq!(
            evaluate(&w, &snap(Some(38), IN), &snap(Some(39), IN)),
            None,
            "a rise never fires"
        );
        assert_eq!(evaluate(&w, &snap(Some(50), IN), &snap(Some(45), IN)), None);
        assert_eq!(
            evaluate(&w, &snap(None, IN), &snap(Some(30), IN)),
            Some(Trigger::Target),
            "first price"
        );
        assert_eq!(
            evaluate(&w, &snap(Some(50), IN), &snap(Some(30), OUT)),
            None,
            "not while unbuyable"
        );
    }

    #[test]
    fn drops_are_measured_from_the_reference() {
        let w = rule(None, Some(10), false, Some(100));
        assert_eq!(evaluate(&w, &snap(Some(95), IN), &snap(Some(91), IN)), None);
        assert_eq!(
            evaluate(&w, &snap(Some(91), IN), &snap(Some(90), IN)),
            Some(Trigger::Drop)
        );
        let after = snap(Some(90), IN);
        assert_eq!(
            next_reference(&w, &after, Some(Trigger::Drop)),
            Some(gbp(90))
        );
        assert_eq!(next_reference(&w, &after, None), Some(gbp(100)));
    }

    #[test]
    fn back_in_stock_and_any_drop() {
        let stock = rule(None, None, true, None);
        assert_eq!(
            evaluate(&stock, &snap(Some(10), OUT), &snap(Some(10), IN)),
            Some(Trigger::BackInStock)
        );
        assert_eq!(
            evaluate(&stock, &snap(Some(10), IN), &snap(Some(9), IN)),
            None
        );
        let any = rule(None, None, false, None);
        assert_eq!(
            evaluate(&any, &snap(Some(10), IN), &snap(Some(9), IN)),
            Some(Trigger::AnyDrop)
        );
        assert_eq!(
            evaluate(&any, &snap(Some(9), IN), &snap(Some(10), IN)),
            None
        );
        assert_eq!(
            evaluate(&any, &snap(Some(10), IN), &snap(Some(10), OUT)),
            None
        );
    }
}
