//! Purpose: per-site extraction rules from `sites.toml`.
//!
//! Some shops publish no structured data, or publish it wrong. A rule names
//! CSS selectors for such a site:
//!
//! ```toml
//! [[site]]
//! host = "shop.example"          # matches shop.example and www.shop.example
//! price = ".price-now"
//! title = "h1.product-name"      # optional
//! availability = ".stock-status" # optional: its text is read for "in stock" / "out of stock"
//! image = "img.hero"             # optional: src
//! currency = "GBP"               # optional: when the price text has no symbol
//! ```
//!
//! Selectors are checked when the file is loaded, so a typo is an error at
//! start, not a silent miss on every fetch.

use super::{bounded_text, collapse, Facts};
use crate::model::Availability;
use crate::money::{Currency, Money};
use crate::price_text::read_price;
use scraper::{Html, Selector};
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum SitesError {
    #[error("{0}")]
    Syntax(String),
    #[error("site {host}: {field} selector {selector:?} is not valid CSS")]
    BadSelector {
        host: String,
        field: &'static str,
        selector: String,
    },
    #[error("site {host}: unknown currency {currency:?}")]
    BadCurrency { host: String, currency: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SitesFile {
    #[serde(default)]
    site: Vec<RuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    host: String,
    price: String,
    title: Option<String>,
    availability: Option<String>,
    image: Option<String>,
    currency: Option<String>,
}

/// One site's selectors, compiled.
#[derive(Debug, Clone)]
pub struct SiteRule {
    pub host: String,
    price: Selector,
    title: Option<Selector>,
    availability: Option<Selector>,
    image: Option<Selector>,
    currency: Option<Currency>,
}

/// All site rules, looked up by host.
#[derive(Debug, Clone, Default)]
pub struct SiteRules {
    rules: Vec<SiteRule>,
}

impl SiteRules {
    pub fn from_toml(text: &str) -> Result<SiteRules, SitesError> {
        let file: SitesFile =
            toml::from_str(text).map_err(|e| SitesError::Syntax(e.to_string()))?;
        let mut rules = Vec::with_capacity(file.site.len());
        for rule in file.site {
            let host = rule
                .host
                .trim()
                .trim_start_matches("www.")
                .to_ascii_lowercase();
            let compile = |field: &'static str, css: &str| {
                Selector::parse(css).map_err(|_| SitesError::BadSelector {
                    host: host.clone(),
                    field,
                    selector: css.to_owned(),
                })
            };
            let optional = |field: &'static str, css: &Option<String>| {
                css.as_deref().map(|c| compile(field, c)).transpose()
            };
            let currency = match &rule.currency {
                Some(code) => Some(Currency::from_code(code.trim()).ok_or_else(|| {
                    SitesError::BadCurrency {
                        host: host.clone(),
                        currency: code.clone(),
                    }
                })?),
                None => None,
            };
            rules.push(SiteRule {
                price: compile("price", &rule.price)?,
                title: optional("title", &rule.title)?,
                availability: optional("availability", &rule.availability)?,
                image: optional("image", &rule.image)?,
                currency,
                host,
            });
        }
        Ok(SiteRules { rules })
    }

    /// The rule for a host: an exact match, or a parent domain's.
    pub fn for_host(&self, host: &str) -> Option<&SiteRule> {
        let host = host.trim_start_matches("www.").to_ascii_lowercase();
        self.rules
            .iter()
            .find(|r| host == r.host || host.ends_with(&format!(".{}", r.host)))
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

impl SiteRule {
    pub(super) fn apply(&self, doc: &Html) -> Facts {
        let price_text = doc
            .select(&self.price)
            .map(|e| {
                e.attr("content")
                    .map(str::to_owned)
                    .unwrap_or_else(|| bounded_text(e, 300))
            })
            .find(|t| !t.is_empty());
        let reading = price_text.as_deref().and_then(read_price);
        let currency = reading.and_then(|r| r.price.currency).or(self.currency);
        let price = reading
            .zip(currency)
            .map(|(r, c)| Money::new(r.price.amount, c));
        let was = reading
            .and_then(|r| r.was)
            .zip(currency)
            .map(|(w, c)| Money::new(w.amount, w.currency.unwrap_or(c)));
        let title = self
            .title
            .as_ref()
            .and_then(|s| doc.select(s).next())
            .map(|e| collapse(&bounded_text(e, 1000)))
            .filter(|t| !t.is_empty());
        let availability = self
            .availability
            .as_ref()
            .and_then(|s| doc.select(s).next())
            .and_then(|e| {
                let text = bounded_text(e, 500).to_lowercase();
                if [
                    "out of stock",
                    "sold out",
                    "unavailable",
                    "ausverkauft",
                    "épuisé",
                    "rupture",
                ]
                .iter()
                .any(|w| text.contains(w))
                {
                    Some(Availability::OutOfStock)
                } else if ["in stock", "available", "auf lager", "en stock", "add to"]
                    .iter()
                    .any(|w| text.contains(w))
                {
                    Some(Availability::InStock)
                } else {
                    None
                }
            });
        let image = self
            .image
            .as_ref()
            .and_then(|s| doc.select(s).next())
            .and_then(|e| e.attr("src").or(e.attr("data-src")).map(str::to_owned));
        Facts {
            title,
            image,
            price,
            was,
            availability,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rules_are_refused_at_load() {
        assert!(
            SiteRules::from_toml("[[site]]\nhost = \"a.example\"\nprice = \"..price\"\n").is_err()
        );
        assert!(SiteRules::from_toml(
            "[[site]]\nhost = \"a.example\"\nprice = \".p\"\ncurrency = \"XYZ\"\n"
        )
        .is_err());
        assert!(SiteRules::from_toml("[[site]]\nhost = \"a.example\"\nprize = \".p\"\n").is_err());
        let rules =
            SiteRules::from_toml("[[site]]\nhost = \"www.A.example\"\nprice = \".p\"\n").unwrap();
        assert!(rules.for_host("a.example").is_some());
        assert!(rules.for_host("shop.a.example").is_some());
        assert!(rules.for_host("ba.example").is_none());
    }
}
