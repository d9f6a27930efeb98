//! Purpose: turn a newly found deal into alerts for the rules it matches.
//!
//! [`Announcer::announce`] stores the deal (once: a deal seen again from any source
//! is a no-op) and queues one outbox notice per matching active rule,
//! keyed by rule and deal so a repeat can never alert twice. A community
//! rule's notice carries the channel it posts into; the dispatcher sends
//! it there instead of to the rule's owner.
//!
//! Matching goes through a [`RuleIndex`], kept by the [`Announcer`] until
//! a rule changes, so a deal costs the rules that share a word with it,
//! not every rule, and a poll does not rebuild the index.
//!
//! [`prepare_all`] turns a source's items into deals: its deal score is the
//! discount against the median of the product's own price history (its
//! checks when someone watches it, and earlier deals for the same address,
//! over 90 days) when there are at least three prices, else against the
//! was-price the source prints. A shop's "was" price is often inflated; the
//! history is what people actually paid. Deals are deduplicated twice: by
//! address and price (the same offer polled again), and by fingerprint
//! (title words and price: the same offer from two sources).

use crate::matcher::RuleIndex;
use crate::money::Money;
use crate::rules::terms;
use crate::sources::Listed;
use crate::storage::ActiveRule;
use crate::storage::{NewDeal, Store, StoreError};
use crate::urls::{canonicalize, CanonicalUrl};
use crate::watching::{Amount, Notice};
use rust_decimal::Decimal;
use std::sync::Arc;

/// How far back a deal's price history reaches.
const HISTORY_SECS: i64 = 90 * 86_400;
/// Fewest prices for the history median to be trusted over a was-price.
const MIN_HISTORY: usize = 3;

/// A deal's score in 0..=1: the fraction off the reference price (the
/// history median when there is enough history, else the was-price).
/// `None` when there is nothing to compare with.
pub fn score(price: Money, was: Option<Money>, history: &[Decimal]) -> Option<Decimal> {
    let reference = if history.len() >= MIN_HISTORY {
        median(history)?
    } else {
        was.filter(|w| w.currency == price.currency)?.amount
    };
    if reference <= Decimal::ZERO {
        return None;
    }
    let off = (reference - price.amount) / reference;
    Some(off.clamp(Decimal::ZERO, Decimal::ONE).round_dp(2))
}

fn median(values: &[Decimal]) -> Option<Decimal> {
    let mut sorted = values.to_vec();
    sorted.sort();
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[mid]),
        _ => Some((sorted[mid - 1] + sorted[mid]) / Decimal::TWO),
    }
}

/// The fingerprint of a deal: its title's normalised words, sorted, and its
/// price. Two listings of one offer share it even when word order,
/// plurals, accents or tracking links differ.
pub fn fingerprint(title: &str, price: Option<Money>) -> Option<String> {
    let price = price?;
    let mut words = terms(title);
    words.sort();
    words.dedup();
    if words.is_empty() {
        return None;
    }
    Some(format!("{}|{}", words.join(" "), price_key(price)))
}

/// A price as part of a key: `249GBP` for 249.00 and 249 alike.
fn price_key(price: Money) -> String {
    format!("{}{}", price.amount.normalize(), price.currency.code())
}

/// A source's items as deals, each scored against its history. Items
/// without a usable address are left out, and so are those whose deal is
/// already stored (the same offer polled again: most of a feed), found in
/// one query before any history is read.
pub async fn prepare_all(
    store: &Store,
    source: &str,
    items: &[Listed],
    now: i64,
) -> Result<Vec<NewDeal>, StoreError> {
    let keyed: Vec<(&Listed, CanonicalUrl, String)> = items
        .iter()
        .filter_map(|item| {
            let canonical = canonicalize(item.url.as_str())?;
            let key = match item.price {
                Some(p) => format!("{}|{}", canonical.url, price_key(p)),
                None => format!("{}|{}", canonical.url, terms(&item.title).join(" ")),
            };
            Some((item, canonical, key))
        })
        .collect();
    let keys: Vec<&str> = keyed.iter().map(|(_, _, key)| key.as_str()).collect();
    let known = store.products().known_deals(&keys).await?;
    let mut deals = Vec::with_capacity(keyed.len());
    for (item, canonical, dedupe_key) in keyed {
        if !known.contains(&dedupe_key) {
            deals.push(prepare(store, source, item, canonical, dedupe_key, now).await?);
        }
    }
    Ok(deals)
}

/// One item as a deal, scored against its history.
async fn prepare(
    store: &Store,
    source: &str,
    item: &Listed,
    canonical: CanonicalUrl,
    dedupe_key: String,
    now: i64,
) -> Result<NewDeal, StoreError> {
    let history = match item.price {
        Some(price) => {
            store
                .products()
                .prices_seen(&canonical.url, price.currency, now - HISTORY_SECS)
                .await?
        }
        None => Vec::new(),
    };
    let score = item.price.and_then(|p| score(p, item.was, &history));
    let lowest = item.price.and_then(|p| {
        history
            .iter()
            .min()
            .map(|&low| Money::new(low.min(p.amount), p.currency))
    });
    let merchant = item.merchant.clone().or_else(|| {
        Some(
            canonical
                .host
                .strip_prefix("www.")
                .unwrap_or(&canonical.host)
                .to_owned(),
        )
    });
    Ok(NewDeal {
        source: source.to_owned(),
        dedupe_key,
        title: item.title.clone(),
        url: canonical.url,
        price: item.price,
        was_price: item.was.filter(|w| {
            item.price
                .is_none_or(|p| w.currency == p.currency && w.amount > p.amount)
        }),
        merchant,
        category: item.category.clone(),
        condition: item.condition,
        score,
        fingerprint: fingerprint(&item.title, item.price),
        lowest,
        image: item.image.as_ref().map(url::Url::to_string),
    })
}

/// What [`Announcer::announce_all`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Announced {
    /// Deals not seen before.
    pub new_deals: usize,
    /// Alerts queued for them.
    pub alerts: usize,
}

/// Stores new deals and queues an alert for each active rule they match.
///
/// The rule index is kept between batches and rebuilt (on a blocking
/// thread: a million rules take seconds) only when the rules revision has
/// moved, that is when any instance added, changed, paused or removed a
/// rule; a poll that brings new deals otherwise costs the matching alone.
#[derive(Default)]
pub struct Announcer {
    index: tokio::sync::Mutex<Option<(i64, Arc<RuleIndex<ActiveRule>>)>>,
}

impl Announcer {
    /// Store `deal` and queue an alert for each rule it matches; returns
    /// how many alerts were queued (0 for a deal seen before).
    pub async fn announce(
        &self,
        store: &Store,
        deal: &NewDeal,
        now: i64,
    ) -> Result<usize, StoreError> {
        Ok(self
            .announce_all(store, std::slice::from_ref(deal), now)
            .await?
            .alerts)
    }

    /// The current rule index: the kept one while the revision holds.
    async fn rules(&self, store: &Store) -> Result<Arc<RuleIndex<ActiveRule>>, StoreError> {
        let mut kept = self.index.lock().await;
        // Read before the rules: a change landing in between makes the
        // next batch rebuild again, never keep a stale index.
        let revision = store.items().rules_revision().await?;
        if let Some((seen, index)) = kept.as_ref() {
            if *seen == revision {
                return Ok(Arc::clone(index));
            }
        }
        let rules = store.items().active_rules().await?;
        let index = tokio::task::spawn_blocking(move || {
            RuleIndex::with_keys(rules, |r: &ActiveRule| &r.rule.spec)
        })
        .await
        .map_err(|e| match e.try_into_panic() {
            // A panic while indexing is a bug: it goes on as if the index
            // had been built here.
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => StoreError::Interrupted(e.to_string()),
        })?;
        let index = Arc::new(index);
        *kept = Some((revision, Arc::clone(&index)));
        Ok(index)
    }

    /// [`Announcer::announce`] for a batch.
    pub async fn announce_all(
        &self,
        store: &Store,
        deals: &[NewDeal],
        now: i64,
    ) -> Result<Announced, StoreError> {
        let mut fresh = Vec::with_capacity(deals.len());
        for deal in deals {
            if store.products().insert_deal(deal, now).await? {
                fresh.push(deal);
            }
        }
        if fresh.is_empty() {
            return Ok(Announced::default());
        }
        let index = self.rules(store).await?;
        let mut queued = 0;
        for deal in &fresh {
            for active in index.matching(&deal.facts()) {
                let notice = Notice::DealMatch {
                    rule_no: active.rule.no.get(),
                    title: deal.title.clone(),
                    url: deal.url.clone(),
                    price: deal.price.map(Amount::from),
                    was_price: deal.was_price.map(Amount::from),
                    merchant: deal.merchant.clone(),
                    lowest: deal.lowest.map(Amount::from),
                    image: deal.image.clone(),
                    post_to: active.rule.post_to.clone(),
                    community: active.rule.community,
                    via: active.rule.spec.via,
                };
                let key = format!("deal:{}:{}", active.id, deal.dedupe_key);
                if store
                    .outbox()
                    .enqueue_notice(active.user_id, &key, &notice, now)
                    .await?
                {
                    queued += 1;
                }
            }
        }
        Ok(Announced {
            new_deals: fresh.len(),
            alerts: queued,
        })
    }
}
