//! Purpose: check watched products on time, once each, however many watch them.
//!
//! Each tick leases a batch of due products ([`Store::products`]`().claim_due`), fetches
//! and extracts them concurrently, and applies each result with the watch
//! decisions of [`crate::watching`] in one transaction. The next check is
//! the best interval among the product's watchers' plans (or
//! `DEALWATCH_CHECK_INTERVAL_SECS`), with ±10% jitter so checks of one
//! shop spread out; failures back off exponentially (1 min, 2 min, 4 min...
//! up to the interval), and a 429's Retry-After is honoured.

use crate::extract::{extract, SiteRules};
use crate::fetch::{FetchError, FetchOutcome, Fetcher};
use crate::model::Availability;
use crate::plans::Plans;
use crate::storage::{
    CheckResult, DueProduct, Observation, Store, StoreError, WatchDecision, WatchState,
};
use crate::watching::{self, Amount, Notice, Snapshot};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use url::Url;

/// How the scheduler runs.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Names this instance's leases; unique per process.
    pub owner: String,
    /// Overrides every plan's check interval (tests, demos).
    pub interval_override: Option<Duration>,
    /// Products checked at once (per-host limits still apply inside).
    pub concurrency: usize,
    /// How long a lease lasts; a dead instance's products come back after it.
    pub lease: Duration,
    /// How often to look for due products when idle.
    pub poll: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> SchedulerConfig {
        SchedulerConfig {
            owner: format!("{}-{}", hostname(), std::process::id()),
            interval_override: None,
            concurrency: 8,
            lease: Duration::from_secs(300),
            poll: Duration::from_secs(1),
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "dealwatch".to_owned())
}

/// Checks products; cheap to clone.
#[derive(Clone)]
pub struct Scheduler {
    store: Store,
    fetcher: Arc<Fetcher>,
    rules: Arc<SiteRules>,
    plans: Plans,
    config: SchedulerConfig,
}

impl Scheduler {
    pub fn new(
        store: Store,
        fetcher: Arc<Fetcher>,
        rules: Arc<SiteRules>,
        plans: Plans,
        config: SchedulerConfig,
    ) -> Scheduler {
        Scheduler {
            store,
            fetcher,
            rules,
            plans,
            config,
        }
    }

    /// Run until `shutdown` completes. Errors are logged and the loop goes
    /// on. A shutdown stops the checks under way (a fetch can take its
    /// whole timeout) and gives their products back at once.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let ticked = tokio::select! {
                biased;
                () = &mut shutdown => None,
                ticked = self.tick() => Some(ticked),
            };
            let checked = match ticked {
                None => break,
                Some(Ok(n)) => n,
                Some(Err(e)) => {
                    tracing::error!(error = %e, "scheduler tick failed");
                    0
                }
            };
            if checked > 0 {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(self.config.poll) => {}
            }
        }
        match self
            .store
            .products()
            .release_leases(&self.config.owner)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(products = n, "scheduler: checks given back at shutdown"),
            Err(e) => {
                tracing::error!(error = %e, "scheduler: giving checks back failed; their leases expire")
            }
        }
    }

    /// Lease and check one batch of due products; returns how many.
    pub async fn tick(&self) -> Result<usize, StoreError> {
        let now = crate::storage::unix_now();
        let lease = i64::try_from(self.config.lease.as_secs()).unwrap_or(300);
        let batch = u32::try_from(self.config.concurrency * 4).unwrap_or(32);
        let due = self
            .store
            .products()
            .claim_due(&self.config.owner, now, lease, batch)
            .await?;
        let count = due.len();
        let mut tasks = JoinSet::new();
        let limit = Arc::new(tokio::sync::Semaphore::new(self.config.concurrency.max(1)));
        for product in due {
            let this = self.clone();
            let limit = limit.clone();
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                if let Err(e) = this.check(product).await {
                    tracing::error!(error = %e, "applying a check failed");
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        Ok(count)
    }

    /// Fetch, extract and record one product.
    pub async fn check(&self, product: DueProduct) -> Result<(), StoreError> {
        let result = self.observe(&product).await;
        let now = crate::storage::unix_now();
        let interval = self.interval(product.id).await?;
        let next = match &result {
            CheckResult::Failed { .. } => {
                now + backoff(product.consecutive_failures + 1, interval, &result)
            }
            _ => now + jittered(interval),
        };
        let (title, url) = self.store.products().product_label(product.id).await?;
        let lowest = match &result {
            CheckResult::Observed {
                observation: Observation { price: Some(p), .. },
                ..
            } => self
                .store
                .products()
                .lowest_price(product.id, p.currency)
                .await?
                .map(|low| if p.amount < low.amount { *p } else { low }),
            _ => None,
        };
        let title = match &result {
            CheckResult::Observed { observation, .. } => observation.title.clone().or(title),
            _ => title,
        };
        let applied = self
            .store
            .products()
            .apply_check(
                product.id,
                &self.config.owner,
                &result,
                next,
                now,
                |watch, before, after, point| {
                    decide(watch, before, after, point, &result, &title, &url, lowest)
                },
            )
            .await?;
        if !applied.applied {
            tracing::warn!(
                product = product.id,
                "lease lost before the check was recorded; another instance has it"
            );
        }
        Ok(())
    }

    async fn observe(&self, product: &DueProduct) -> CheckResult {
        let Ok(url) = Url::parse(&product.url) else {
            return CheckResult::Failed {
                error: "stored URL is not valid".into(),
                permanent: true,
                retry_after: None,
            };
        };
        let page = match self.fetcher.fetch(&url, &product.validators).await {
            Ok(FetchOutcome::Page(page)) => page,
            Ok(FetchOutcome::NotModified) => return CheckResult::NotModified,
            Err(e) => {
                return CheckResult::Failed {
                    permanent: !e.is_transient(),
                    retry_after: match e {
                        FetchError::RateLimited(wait) => Some(wait.as_secs()),
                        _ => None,
                    },
                    error: e.to_string(),
                }
            }
        };
        let rules = self.rules.clone();
        let final_url = page.url.clone();
        // Parsing is CPU work: keep it off the async workers.
        let extraction =
            tokio::task::spawn_blocking(move || extract(&page.body, &final_url, &rules)).await;
        match extraction {
            Ok(Some(found))
                if found.price.is_some() || found.availability != Availability::Unknown =>
            {
                CheckResult::Observed {
                    observation: Observation {
                        title: found.title,
                        image_url: found.image,
                        price: found.price,
                        availability: found.availability,
                    },
                    validators: page.validators,
                    method: found.method.as_str(),
                }
            }
            Ok(_) => CheckResult::Failed {
                error: "no price found on the page".into(),
                permanent: true,
                retry_after: None,
            },
            Err(e) => CheckResult::Failed {
                error: format!("extraction failed: {e}"),
                permanent: false,
                retry_after: None,
            },
        }
    }

    /// The check interval: the override, or the best watcher plan's.
    async fn interval(&self, product_id: i64) -> Result<Duration, StoreError> {
        if let Some(every) = self.config.interval_override {
            return Ok(every);
        }
        let plans = self.store.products().watcher_plans(product_id).await?;
        Ok(plans
            .into_iter()
            .map(|p| self.plans.limits(p).check_interval)
            .min()
            .unwrap_or(self.plans.free.check_interval))
    }
}

/// What one check means for one watch.
#[allow(clippy::too_many_arguments)]
fn decide(
    watch: &WatchState,
    before: &Snapshot,
    after: &Snapshot,
    price_point: Option<i64>,
    result: &CheckResult,
    title: &Option<String>,
    url: &str,
    lowest: Option<crate::money::Money>,
) -> WatchDecision {
    let no = watch.no.get();
    match result {
        CheckResult::Observed { .. } => {
            let fired = price_point.and_then(|_| watching::evaluate(&watch.rule, before, after));
            let new_reference = watching::next_reference(&watch.rule, after, fired);
            let notice = match (watch.first_reported, fired, price_point) {
                (false, _, _) => Some((
                    format!("ready:{}", watch.watch_id),
                    Notice::WatchReady {
                        watch_no: no,
                        title: title.clone(),
                        url: url.to_owned(),
                        price: after.price.map(Amount::from),
                        availability: after.availability.as_str().to_owned(),
                    },
                )),
                (true, Some(trigger), Some(point)) => Some((
                    format!("alert:{}:{point}", watch.watch_id),
                    Notice::WatchAlert {
                        watch_no: no,
                        trigger,
                        title: title.clone(),
                        url: url.to_owned(),
                        old_price: before.price.map(Amount::from),
                        new_price: after.price.map(Amount::from),
                        lowest: lowest.map(Amount::from),
                    },
                )),
                _ => None,
            };
            WatchDecision {
                notice,
                new_reference,
                mark_reported: true,
            }
        }
        CheckResult::Failed {
            error,
            permanent: true,
            ..
        } if !watch.first_reported => WatchDecision {
            notice: Some((
                format!("failed:{}", watch.watch_id),
                Notice::WatchFailed {
                    watch_no: no,
                    url: url.to_owned(),
                    reason: error.clone(),
                },
            )),
            new_reference: watch.rule.reference,
            mark_reported: true,
        },
        _ => WatchDecision {
            notice: None,
            new_reference: watch.rule.reference,
            mark_reported: false,
        },
    }
}

/// The interval ±10%, in whole seconds, at least one.
fn jittered(interval: Duration) -> i64 {
    let secs = interval.as_secs_f64();
    let factor = 0.9 + fastrand::f64() * 0.2;
    ((secs * factor).round() as i64).max(1)
}

/// Exponential backoff for failures: 1 min doubling, capped at the check
/// interval, jittered; a rate limit's own wait when that is longer.
fn backoff(failures: u32, interval: Duration, result: &CheckResult) -> i64 {
    let base = 60u64.saturating_mul(1u64 << failures.saturating_sub(1).min(16));
    let wait = jittered(Duration::from_secs(base).min(interval));
    match result {
        CheckResult::Failed {
            retry_after: Some(secs),
            ..
        } => wait.max(i64::try_from(*secs).unwrap_or(i64::MAX)),
        _ => wait,
    }
}
