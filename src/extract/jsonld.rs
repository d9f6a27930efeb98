//! Purpose: schema.org Product data in `<script type="application/ld+json">`.
//!
//! Handles a Product at the top level, in an array, inside `@graph`, or as
//! the variants (`hasVariant`) of a ProductGroup; offers as one Offer, an
//! array of Offers, or an AggregateOffer (`lowPrice`); prices as numbers or
//! strings, directly or in a `priceSpecification`. Real pages often carry
//! JSON that strict parsers reject (raw newlines in strings, HTML comment
//! wrappers), so the text is cleaned before parsing.

use super::{clip, schema_availability, structured_price, Facts};
use crate::model::Availability;
use crate::money::{Currency, Money};
use scraper::{Html, Selector};
use serde_json::Value;
use std::sync::LazyLock;

static LD_JSON: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse("script[type='application/ld+json' i]")
        .unwrap_or_else(|e| panic!("built-in selector: {e}"))
});

/// Largest JSON-LD block we parse; real ones are a few kilobytes.
const MAX_BLOCK_BYTES: usize = 2 * 1024 * 1024;
/// How deep we walk nested JSON looking for a Product.
const MAX_DEPTH: usize = 12;

pub(super) fn extract(doc: &Html, page_url: &url::Url) -> Facts {
    for script in doc.select(&LD_JSON) {
        let raw: String = script.text().collect();
        if raw.len() > MAX_BLOCK_BYTES {
            continue;
        }
        let Some(value) = parse_lenient(&raw) else {
            continue;
        };
        let mut products = Vec::new();
        collect_products(&value, 0, &mut products);
        if let Some(facts) = products
            .into_iter()
            .map(|p| product_facts(p, page_url))
            .find(|f| f.price.is_some() || f.title.is_some())
        {
            return facts;
        }
    }
    Facts::default()
}

fn parse_lenient(raw: &str) -> Option<Value> {
    let trimmed = raw
        .trim()
        .trim_start_matches("<!--")
        .trim_end_matches("-->")
        .trim()
        .trim_start_matches("//<![CDATA[")
        .trim_end_matches("//]]>")
        .trim();
    serde_json::from_str(trimmed).ok().or_else(|| {
        // Raw control characters inside strings are the usual breakage.
        let cleaned: String = trimmed
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        serde_json::from_str(&cleaned).ok()
    })
}

fn types(value: &Value) -> Vec<&str> {
    match value.get("@type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn is_product(value: &Value) -> bool {
    types(value).iter().any(|t| {
        let t = t.rsplit('/').next().unwrap_or(t);
        matches!(
            t,
            "Product" | "ProductGroup" | "IndividualProduct" | "ProductModel" | "Vehicle" | "Book"
        )
    })
}

fn collect_products<'a>(value: &'a Value, depth: usize, out: &mut Vec<&'a Value>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Array(items) => items
            .iter()
            .for_each(|v| collect_products(v, depth + 1, out)),
        Value::Object(map) => {
            if is_product(value) {
                out.push(value);
                return;
            }
            for key in ["@graph", "mainEntity", "itemOffered", "about"] {
                if let Some(inner) = map.get(key) {
                    collect_products(inner, depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => items.iter().find_map(|v| text_of(Some(v))),
        Value::Object(map) => text_of(map.get("url").or(map.get("@id")).or(map.get("name"))),
        _ => None,
    }
}

/// One offer's price, currency and availability.
fn offer(value: &Value, inherited: Option<Currency>) -> (Option<Money>, Option<Availability>) {
    let currency = value
        .get("priceCurrency")
        .and_then(Value::as_str)
        .and_then(|c| Currency::from_code(c.trim()))
        .or(inherited);
    let spec = value.get("priceSpecification").map(|s| match s {
        Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    });
    let spec_currency = spec
        .as_ref()
        .and_then(|s| s.get("priceCurrency"))
        .and_then(Value::as_str)
        .and_then(|c| Currency::from_code(c.trim()));
    let price = ["price", "lowPrice", "highPrice"]
        .iter()
        .find_map(|k| text_of(value.get(*k)))
        .and_then(|p| structured_price(&p, currency))
        .or_else(|| {
            spec.as_ref()
                .and_then(|s| text_of(s.get("price")))
                .and_then(|p| structured_price(&p, spec_currency.or(currency)))
        });
    let availability = text_of(value.get("availability")).and_then(|a| schema_availability(&a));
    (price, availability)
}

/// The best of several offers: the cheapest in stock, else the cheapest.
fn best_offer(offers: &Value, currency: Option<Currency>) -> (Option<Money>, Option<Availability>) {
    let list: Vec<(Option<Money>, Option<Availability>)> = match offers {
        Value::Array(items) => items.iter().map(|o| offer(o, currency)).collect(),
        Value::Object(_) => {
            // An AggregateOffer may list its offers too.
            let mut list = vec![offer(offers, currency)];
            if let Some(Value::Array(items)) = offers.get("offers") {
                list.extend(items.iter().map(|o| offer(o, currency)));
            }
            list
        }
        _ => Vec::new(),
    };
    let in_stock = list
        .iter()
        .filter(|(p, a)| p.is_some() && *a != Some(Availability::OutOfStock))
        .min_by_key(|(p, _)| p.map(|m| m.amount));
    let any = list
        .iter()
        .filter(|(p, _)| p.is_some())
        .min_by_key(|(p, _)| p.map(|m| m.amount));
    let availability = if list.iter().any(|(_, a)| *a == Some(Availability::InStock)) {
        Some(Availability::InStock)
    } else {
        list.iter().find_map(|(_, a)| *a)
    };
    match in_stock.or(any) {
        Some((price, _)) => (*price, availability),
        None => (None, availability),
    }
}

fn product_facts(product: &Value, page_url: &url::Url) -> Facts {
    // A ProductGroup's variants: the one this URL names, else the best offer.
    if let Some(Value::Array(variants)) = product.get("hasVariant") {
        let chosen = variants
            .iter()
            .find(|v| {
                text_of(v.get("url"))
                    .is_some_and(|u| page_url.join(&u).is_ok_and(|u| u == *page_url))
            })
            .map(|v| product_facts(v, page_url));
        let mut facts = chosen.unwrap_or_else(|| {
            let all: Vec<Facts> = variants
                .iter()
                .map(|v| product_facts(v, page_url))
                .collect();
            let in_stock = all
                .iter()
                .filter(|f| f.price.is_some() && f.availability != Some(Availability::OutOfStock))
                .min_by_key(|f| f.price.map(|m| m.amount));
            in_stock
                .or_else(|| {
                    all.iter()
                        .filter(|f| f.price.is_some())
                        .min_by_key(|f| f.price.map(|m| m.amount))
                })
                .cloned()
                .unwrap_or_default()
        });
        if let Some(name) = text_of(product.get("name")) {
            facts.title.get_or_insert(clip(&name, 300));
        }
        if facts.image.is_none() {
            facts.image = text_of(product.get("image"));
        }
        if facts.availability.is_none()
            && variants
                .iter()
                .any(|v| product_facts(v, page_url).availability == Some(Availability::InStock))
        {
            facts.availability = Some(Availability::InStock);
        }
        return facts;
    }
    let currency = product
        .get("priceCurrency")
        .and_then(Value::as_str)
        .and_then(|c| Currency::from_code(c.trim()));
    let (price, availability) = match product.get("offers") {
        Some(offers) => best_offer(offers, currency),
        None => (None, None),
    };
    Facts {
        title: text_of(product.get("name")).map(|n| clip(&n, 300)),
        image: text_of(product.get("image")),
        price,
        was: None,
        availability,
    }
}

/// One product of a schema.org ItemList.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedProduct {
    pub title: String,
    /// As the page wrote it; resolve against the page URL.
    pub url: String,
    pub price: Option<Money>,
    pub category: Option<String>,
    pub condition: Option<String>,
    pub brand: Option<String>,
    /// Its picture, as the page wrote it.
    pub image: Option<String>,
}

/// Most list entries read from one page.
const MAX_LIST_ITEMS: usize = 500;

/// Every product of every ItemList in the page's JSON-LD: entries that are
/// Products, or ListItems holding one. A ListItem with only a URL has no
/// price or title to alert on and is skipped.
pub fn item_list(html: &str, page_url: &url::Url) -> Vec<ListedProduct> {
    let doc = Html::parse_document(super::bound_nesting(html));
    let mut out = Vec::new();
    for script in doc.select(&LD_JSON) {
        let raw: String = script.text().collect();
        if raw.len() > MAX_BLOCK_BYTES {
            continue;
        }
        let Some(value) = parse_lenient(&raw) else {
            continue;
        };
        let mut lists = Vec::new();
        collect_lists(&value, 0, &mut lists);
        for list in lists {
            let entries = match list.get("itemListElement") {
                Some(Value::Array(items)) => items.as_slice(),
                Some(one @ Value::Object(_)) => std::slice::from_ref(one),
                _ => &[],
            };
            for entry in entries {
                if out.len() >= MAX_LIST_ITEMS {
                    return out;
                }
                let product = match entry.get("item") {
                    Some(inner @ Value::Object(_)) => inner,
                    _ => entry,
                };
                if let Some(listed) = listed_product(product, entry, page_url) {
                    out.push(listed);
                }
            }
        }
    }
    out
}

fn is_item_list(value: &Value) -> bool {
    types(value).iter().any(|t| {
        matches!(
            t.rsplit('/').next().unwrap_or(t),
            "ItemList" | "OfferCatalog"
        )
    })
}

fn collect_lists<'a>(value: &'a Value, depth: usize, out: &mut Vec<&'a Value>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect_lists(v, depth + 1, out)),
        Value::Object(map) => {
            if is_item_list(value) {
                out.push(value);
                return;
            }
            for key in ["@graph", "mainEntity", "about"] {
                if let Some(inner) = map.get(key) {
                    collect_lists(inner, depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

fn listed_product(product: &Value, entry: &Value, page_url: &url::Url) -> Option<ListedProduct> {
    if !is_product(product) {
        return None;
    }
    let facts = product_facts(product, page_url);
    let title = facts.title?;
    let url = text_of(product.get("url"))
        .or_else(|| text_of(entry.get("url")))
        .or_else(|| text_of(product.get("@id")))?;
    let offers = product.get("offers");
    let condition = offers
        .and_then(|o| match o {
            Value::Array(items) => items.first(),
            other => Some(other),
        })
        .and_then(|o| text_of(o.get("itemCondition")))
        .or_else(|| text_of(product.get("itemCondition")));
    Some(ListedProduct {
        title,
        url,
        price: facts.price,
        category: text_of(product.get("category")).map(|c| clip(&c, 100)),
        condition,
        brand: text_of(product.get("brand").map(|b| b.get("name").unwrap_or(b)))
            .map(|b| clip(&b, 100)),
        image: facts.image,
    })
}
