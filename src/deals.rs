//! Purpose: turn a newly found deal into alerts for the rules it matches.
//!
//! [`announce`] stores the deal (once: a deal seen again from any source
//! is a no-op) and queues one outbox notice per matching active rule,
//! keyed by rule and deal so a repeat can never alert twice. A community
//! rule's notice carries the channel it posts into; the dispatcher sends
//! it there instead of to the rule's owner.
//!
//! Matching here is the plain definition ([`rules::matches`]) applied to
//! every active rule.

use crate::rules::{self, DealFacts};
use crate::storage::{NewDeal, Store, StoreError};
use crate::watching::{Amount, Notice};

/// Store `deal` and queue an alert for each rule it matches; returns how
/// many alerts were queued (0 for a deal seen before).
pub async fn announce(store: &Store, deal: &NewDeal, now: i64) -> Result<usize, StoreError> {
    if !store.insert_deal(deal, now).await? {
        return Ok(0);
    }
    let facts = DealFacts {
        title: &deal.title,
        price: deal.price,
        category: deal.category.as_deref(),
        condition: deal.condition,
        score: deal.score,
    };
    let mut queued = 0;
    for active in store.active_rules().await? {
        if !rules::matches(&active.rule.spec, &facts) {
            continue;
        }
        let notice = Notice::DealMatch {
            rule_no: active.rule.no.get(),
            title: deal.title.clone(),
            url: deal.url.clone(),
            price: deal.price.map(Amount::from),
            was_price: deal.was_price.map(Amount::from),
            merchant: deal.merchant.clone(),
            post_to: active.rule.post_to.clone(),
        };
        let key = format!("deal:{}:{}", active.id, deal.dedupe_key);
        if store
            .enqueue_notice(active.user_id, &key, &notice, now)
            .await?
        {
            queued += 1;
        }
    }
    Ok(queued)
}
