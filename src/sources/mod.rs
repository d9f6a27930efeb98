//! Purpose: poll deal sources and turn their items into deals.
//!
//! The sources file (`DEALWATCH_SOURCES`, else `./sources.toml`) lists
//! `[[source]]` tables:
//!
//! ```toml
//! [[source]]
//! name = "hot-deals"
//! url = "https://deals.example/rss"
//! kind = "feed"            # feed (RSS/Atom) | itemlist (schema.org) | listing (CSS)
//! interval_secs = 900      # at least 60; default 900
//! currency = "GBP"         # for prices written without one
//! merchant = "Example"     # when items do not name theirs
//! category = "tech"        # when items do not say
//!
//! [[source]]
//! name = "shop-offers"
//! url = "https://shop.example/offers"
//! kind = "listing"
//! [source.selectors]
//! item = ".offer"          # one element per deal (required)
//! title = ".name"          # required
//! price = ".price"         # required; "was £x now £y" text gives both
//! was_price = ".rrp"       # optional
//! link = "a.more"          # optional; default the item's own or first link
//! category = ".cat"        # optional, as are condition and merchant
//! ```
//!
//! Pages are fetched through the same polite [`Fetcher`] as product pages
//! (robots.txt, per-host rate, no private addresses). Each item becomes a
//! [`NewDeal`](crate::storage::NewDeal) scored against its price history and deduplicated (see
//! [`crate::deals`]), and new deals are matched against every rule.

mod feed;
mod listing;

use crate::deals;
use crate::fetch::{FetchError, FetchOutcome, Fetcher, Validators};
use crate::model::Condition;
use crate::money::{Currency, Money};
use crate::storage::{Store, StoreError};
use scraper::Selector;
use serde::Deserialize;
use std::future::Future;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::time::Instant;
use url::Url;

pub use feed::FeedError;

/// Least time between two polls of one source.
pub const MIN_INTERVAL: Duration = Duration::from_secs(60);
const DEFAULT_INTERVAL_SECS: u64 = 900;

static ANY_LINK: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse("a[href]").unwrap_or_else(|e| panic!("built-in selector: {e}"))
});

/// What a source is and how to read it.
#[derive(Debug, Clone)]
pub struct SourceSpec {
    pub name: String,
    pub url: Url,
    pub kind: Kind,
    pub interval: Duration,
    /// For prices written without a currency.
    pub currency: Option<Currency>,
    pub merchant: Option<String>,
    pub category: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Feed,
    ItemList,
    Listing(Box<ListingSelectors>),
}

/// CSS selectors for a listing page, checked when the file is read.
#[derive(Debug, Clone)]
pub struct ListingSelectors {
    pub item: Selector,
    pub title: Selector,
    pub price: Selector,
    pub was_price: Option<Selector>,
    pub link: Option<Selector>,
    pub category: Option<Selector>,
    pub condition: Option<Selector>,
    pub merchant: Option<Selector>,
}

/// One item as a source lists it, before scoring and deduplication.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub title: String,
    pub url: Url,
    pub price: Option<Money>,
    pub was: Option<Money>,
    pub merchant: Option<String>,
    pub category: Option<String>,
    pub condition: Option<Condition>,
    /// A picture of the product, for the alert (http or https only).
    pub image: Option<Url>,
}

/// A picture's address as a source wrote it, resolved against the page:
/// only http(s), and not absurdly long (it is passed on to chat platforms,
/// which fetch it themselves).
pub(crate) fn image_url(base: &Url, raw: &str) -> Option<Url> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 2048 || raw.starts_with("data:") {
        return None;
    }
    base.join(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    #[error("not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("source {name:?}: {why}")]
    Invalid { name: String, why: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    #[serde(default)]
    source: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    url: String,
    kind: String,
    interval_secs: Option<u64>,
    currency: Option<String>,
    merchant: Option<String>,
    category: Option<String>,
    selectors: Option<RawSelectors>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSelectors {
    item: String,
    title: String,
    price: String,
    was_price: Option<String>,
    link: Option<String>,
    category: Option<String>,
    condition: Option<String>,
    merchant: Option<String>,
}

/// Read a sources file. Every mistake names the source it is in.
pub fn from_toml(text: &str) -> Result<Vec<SourceSpec>, SourcesError> {
    let file: SourcesFile = toml::from_str(text)?;
    let mut names = std::collections::HashSet::new();
    file.source
        .into_iter()
        .map(|raw| {
            let invalid = |why: String| SourcesError::Invalid {
                name: raw.name.clone(),
                why,
            };
            if raw.name.trim().is_empty() {
                return Err(invalid("the name is empty".into()));
            }
            if !names.insert(raw.name.clone()) {
                return Err(invalid("two sources have this name".into()));
            }
            let url = Url::parse(&raw.url).map_err(|e| invalid(format!("url: {e}")))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(invalid("url: only http and https are fetched".into()));
            }
            let interval = Duration::from_secs(raw.interval_secs.unwrap_or(DEFAULT_INTERVAL_SECS));
            if interval < MIN_INTERVAL {
                return Err(invalid(format!(
                    "interval_secs: at least {} (be polite to the site)",
                    MIN_INTERVAL.as_secs()
                )));
            }
            let currency = match &raw.currency {
                Some(code) => Some(
                    Currency::from_code(code.trim())
                        .ok_or_else(|| invalid(format!("currency {code:?} is not ISO 4217")))?,
                ),
                None => None,
            };
            let kind = match (raw.kind.as_str(), &raw.selectors) {
                ("feed", None) => Kind::Feed,
                ("itemlist", None) => Kind::ItemList,
                ("listing", Some(sel)) => Kind::Listing(Box::new(selectors(sel).map_err(invalid)?)),
                ("listing", None) => {
                    return Err(invalid("a listing needs [source.selectors]".into()))
                }
                ("feed" | "itemlist", Some(_)) => {
                    return Err(invalid("selectors are for kind = \"listing\"".into()))
                }
                (other, _) => {
                    return Err(invalid(format!(
                        "kind {other:?}: use feed, itemlist or listing"
                    )))
                }
            };
            Ok(SourceSpec {
                name: raw.name.clone(),
                url,
                kind,
                interval,
                currency,
                merchant: raw.merchant.clone(),
                category: raw.category.clone(),
            })
        })
        .collect()
}

fn selectors(raw: &RawSelectors) -> Result<ListingSelectors, String> {
    let one = |field: &str, css: &str| {
        Selector::parse(css).map_err(|e| format!("selectors.{field} {css:?}: {e}"))
    };
    let optional =
        |field: &str, css: &Option<String>| css.as_deref().map(|c| one(field, c)).transpose();
    Ok(ListingSelectors {
        item: one("item", &raw.item)?,
        title: one("title", &raw.title)?,
        price: one("price", &raw.price)?,
        was_price: optional("was_price", &raw.was_price)?,
        link: optional("link", &raw.link)?,
        category: optional("category", &raw.category)?,
        condition: optional("condition", &raw.condition)?,
        merchant: optional("merchant", &raw.merchant)?,
    })
}

/// A condition as feeds and schema.org write it (`refurbished`,
/// `https://schema.org/UsedCondition`).
pub(crate) fn condition_from(text: &str) -> Option<Condition> {
    let name = text.rsplit('/').next().unwrap_or(text).trim();
    let name = name.strip_suffix("Condition").unwrap_or(name);
    match name.to_ascii_lowercase().as_str() {
        "damaged" => Some(Condition::Used),
        other => Condition::from_name(other),
    }
}

/// A condition the title states outright ("Refurbished iPhone 13"): the
/// spellings [`Condition::from_name`] knows, except "new", "used" and
/// "sealed", which titles use in other senses ("new for 2026", "most used").
pub(crate) fn condition_in_title(title: &str) -> Option<Condition> {
    title
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|word| !["new", "used", "sealed"].contains(&word.to_lowercase().as_str()))
        .find_map(Condition::from_name)
}

/// The title with the brand in front when the title leaves it out:
/// "WH-1000XM5" alone would miss a rule for "sony".
pub(crate) fn with_brand(title: String, brand: Option<String>) -> String {
    match brand {
        Some(brand) if !title.to_lowercase().contains(&brand.to_lowercase()) => {
            format!("{brand} {title}")
        }
        _ => title,
    }
}

/// Why a poll found nothing.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Items the source listed.
    pub items: usize,
    /// Deals not seen before.
    pub new_deals: usize,
    /// Alerts queued for them.
    pub alerts: usize,
}

/// The items of a fetched source page.
pub fn read_items(spec: &SourceSpec, body: &str, page_url: &Url) -> Result<Vec<Listed>, FeedError> {
    let mut items = match &spec.kind {
        Kind::Feed => feed::items(body, page_url, spec)?,
        Kind::ItemList => listing::item_list_items(body, page_url, spec),
        Kind::Listing(sel) => listing::items(body, page_url, spec, sel),
    };
    // `javascript:`, `mailto:` and the like are no deal's address.
    items.retain(|item| matches!(item.url.scheme(), "http" | "https"));
    Ok(items)
}

/// Polls every source on its interval.
pub struct SourcePoller {
    store: Store,
    fetcher: Arc<Fetcher>,
    sources: Vec<SourceSpec>,
    announcer: deals::Announcer,
}

impl SourcePoller {
    pub fn new(store: Store, fetcher: Arc<Fetcher>, sources: Vec<SourceSpec>) -> SourcePoller {
        SourcePoller {
            store,
            fetcher,
            sources,
            announcer: deals::Announcer::default(),
        }
    }

    /// Poll each source now and then every `interval` until `shutdown`.
    /// A failed poll is logged and tried again at the next interval.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        if self.sources.is_empty() {
            return;
        }
        tokio::pin!(shutdown);
        let mut due: Vec<Instant> = vec![Instant::now(); self.sources.len()];
        let mut validators: Vec<Validators> = vec![Validators::default(); self.sources.len()];
        loop {
            let now = Instant::now();
            for (i, source) in self.sources.iter().enumerate() {
                if due[i] > now {
                    continue;
                }
                due[i] = now + source.interval;
                // A poll can take a fetch's whole timeout: never past a shutdown.
                let polled = tokio::select! {
                    biased;
                    () = &mut shutdown => return,
                    polled = self.poll(source, &mut validators[i]) => polled,
                };
                match polled {
                    Ok(report) => tracing::info!(
                        source = %source.name,
                        items = report.items,
                        new_deals = report.new_deals,
                        alerts = report.alerts,
                        "source polled"
                    ),
                    Err(PollError::Fetch(FetchError::RateLimited(wait))) => {
                        due[i] = now + wait.max(source.interval);
                        tracing::warn!(source = %source.name, ?wait, "source asked us to wait");
                    }
                    Err(e) => {
                        tracing::warn!(source = %source.name, error = %e, "source poll failed")
                    }
                }
            }
            let next = due.iter().min().copied().unwrap_or_else(Instant::now);
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep_until(next) => {}
            }
        }
    }

    /// Fetch one source (conditionally, with the validators of the last
    /// fetch), read its items and announce the new deals.
    pub async fn poll(
        &self,
        source: &SourceSpec,
        validators: &mut Validators,
    ) -> Result<PollReport, PollError> {
        let page = match self.fetcher.fetch(&source.url, validators).await? {
            FetchOutcome::NotModified => return Ok(PollReport::default()),
            FetchOutcome::Page(page) => page,
        };
        let items = read_items(source, &page.body, &page.url)?;
        *validators = page.validators;
        let now = crate::storage::unix_now();
        let found = deals::prepare_all(&self.store, &source.name, &items, now).await?;
        let announced = self
            .announcer
            .announce_all(&self.store, &found, now)
            .await?;
        Ok(PollReport {
            items: items.len(),
            new_deals: announced.new_deals,
            alerts: announced.alerts,
        })
    }
}
