//! Purpose: turn a newly found deal into alerts for the rules it matches.
//!
//! [`announce`] stores the deal (once: a deal seen again from any source
//! is a no-op) and queues one outbox notice per matching active rule,
//! keyed by rule and deal so a repeat can never alert twice. A community
//! rule's notice carries the channel it posts into; the dispatcher sends
//! it there instead of to the rule's owner.
//!
//! Matching goes through a [`RuleIndex`] built once per batch of deals
//! (a source's poll), so a deal costs the rules that share a word with it,
//! not every rule.

use crate::matcher::RuleIndex;
use crate::storage::{NewDeal, Store, StoreError};
use crate::watching::{Amount, Notice};

/// Store `deal` and queue an alert for each rule it matches; returns how
/// many alerts were queued (0 for a deal seen before).
pub async fn announce(store: &Store, deal: &NewDeal, now: i64) -> Result<usize, StoreError> {
    announce_all(store, std::slice::from_ref(deal), now).await
}

/// [`announce`] for a batch: the active rules are read and indexed once.
pub async fn announce_all(store: &Store, deals: &[NewDeal], now: i64) -> Result<usize, StoreError> {
    let mut fresh = Vec::with_capacity(deals.len());
    for deal in deals {
        if store.insert_deal(deal, now).await? {
            fresh.push(deal);
        }
    }
    if fresh.is_empty() {
        return Ok(0);
    }
    let rules = store.active_rules().await?;
    let index = RuleIndex::new(rules.iter().map(|r| (r, &r.rule.spec)));
    let mut queued = 0;
    for deal in fresh {
        for active in index.matching(&deal.facts()) {
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
    }
    Ok(queued)
}
