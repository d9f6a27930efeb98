//! Purpose: find a product's title, price, availability and image in a page.
//!
//! Extraction is a cascade, most trustworthy first, each result carrying a
//! confidence: schema.org JSON-LD (0.95), schema.org microdata (0.9),
//! Open Graph / product meta tags (0.8), a per-site CSS rule from
//! `sites.toml` (0.85, tried before the heuristic), and a last-resort
//! heuristic over elements that look like prices (0.4). The price comes from
//! the first method that finds one; title, image and availability are filled
//! in from whichever method has them. Pages are untrusted: nothing here
//! panics on malformed HTML or JSON, and text is bounded before it is read.

mod jsonld;
pub mod sites;

pub use jsonld::{item_list, ListedProduct};

use crate::model::Availability;
use crate::money::{parse_amount, Currency, Money};
use crate::price_text::read_price;
use scraper::{ElementRef, Html, Selector};
use std::sync::LazyLock;

pub use sites::{SiteRule, SiteRules, SitesError};

/// The extractor that found the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    JsonLd,
    Microdata,
    Meta,
    SiteRule,
    Heuristic,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::JsonLd => "json-ld",
            Method::Microdata => "microdata",
            Method::Meta => "meta",
            Method::SiteRule => "site-rule",
            Method::Heuristic => "heuristic",
        }
    }

    /// How far a price found this way can be trusted, 0 to 1.
    pub fn confidence(self) -> f32 {
        match self {
            Method::JsonLd => 0.95,
            Method::Microdata => 0.9,
            Method::SiteRule => 0.85,
            Method::Meta => 0.8,
            Method::Heuristic => 0.4,
        }
    }
}

/// What a page says about its product.
#[derive(Debug, Clone, PartialEq)]
pub struct Extraction {
    pub title: Option<String>,
    pub image: Option<String>,
    pub price: Option<Money>,
    pub was: Option<Money>,
    pub availability: Availability,
    /// The method that found the price (or, with no price, the title).
    pub method: Method,
    pub confidence: f32,
}

/// Facts one method found; the cascade merges them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    pub title: Option<String>,
    pub image: Option<String>,
    pub price: Option<Money>,
    pub was: Option<Money>,
    pub availability: Option<Availability>,
}

/// Longest title kept; longer ones are cut.
const MAX_TITLE_CHARS: usize = 300;
/// How much of the page's visible text the availability scan reads.
const MAX_TEXT_SCAN: usize = 200_000;

fn selector(css: &str) -> Selector {
    // Only called on the constant selectors below, which are valid CSS.
    Selector::parse(css).unwrap_or_else(|e| panic!("built-in selector {css:?}: {e}"))
}

static MICRODATA_PRODUCT: LazyLock<Selector> = LazyLock::new(|| {
    selector("[itemtype*='schema.org/Product' i], [itemtype*='schema.org/IndividualProduct' i]")
});
static ITEMPROP_NAME: LazyLock<Selector> = LazyLock::new(|| selector("[itemprop='name']"));
static ITEMPROP_PRICE: LazyLock<Selector> =
    LazyLock::new(|| selector("[itemprop='price'], [itemprop='lowPrice']"));
static ITEMPROP_CURRENCY: LazyLock<Selector> =
    LazyLock::new(|| selector("[itemprop='priceCurrency']"));
static ITEMPROP_AVAILABILITY: LazyLock<Selector> =
    LazyLock::new(|| selector("[itemprop='availability']"));
static ITEMPROP_IMAGE: LazyLock<Selector> = LazyLock::new(|| selector("[itemprop='image']"));
static META: LazyLock<Selector> = LazyLock::new(|| selector("meta"));
static TITLE: LazyLock<Selector> = LazyLock::new(|| selector("title"));
static H1: LazyLock<Selector> = LazyLock::new(|| selector("h1"));
static BODY: LazyLock<Selector> = LazyLock::new(|| selector("body"));
static PRICE_LIKE: LazyLock<Selector> = LazyLock::new(|| {
    selector("[class*='price' i], [id*='price' i], [data-price], [data-test*='price' i], [data-testid*='price' i]")
});

/// Extract what `html` says about its product. `page_url` resolves relative
/// image links and selects the site rule; `None` only when the page has
/// neither a price nor a title.
pub fn extract(html: &str, page_url: &url::Url, rules: &SiteRules) -> Option<Extraction> {
    let doc = Html::parse_document(bound_nesting(html));
    let hint = currency_hint(page_url);

    let mut found: Vec<(Method, Facts)> = Vec::new();
    found.push((Method::JsonLd, jsonld::extract(&doc, page_url)));
    found.push((Method::Microdata, microdata(&doc)));
    found.push((Method::Meta, meta_tags(&doc)));
    if let Some(rule) = rules.for_host(page_url.host_str().unwrap_or("")) {
        found.push((Method::SiteRule, rule.apply(&doc)));
    }
    found.push((Method::Heuristic, heuristic(&doc, hint)));

    let priced = found.iter().find(|(_, f)| f.price.is_some());
    let (method, price, was) = match priced {
        Some((method, facts)) => (*method, facts.price, facts.was),
        None => (Method::Meta, None, None),
    };
    let title = found
        .iter()
        .find_map(|(_, f)| f.title.clone())
        .or_else(|| first_text(&doc, &H1))
        .or_else(|| first_text(&doc, &TITLE))
        .map(|t| clip(&t, MAX_TITLE_CHARS));
    if price.is_none() && title.is_none() {
        return None;
    }
    let image = found
        .iter()
        .find_map(|(_, f)| f.image.clone())
        .and_then(|src| page_url.join(&src).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(String::from);
    let availability = found
        .iter()
        .find_map(|(_, f)| f.availability)
        .or_else(|| availability_from_text(&doc))
        .unwrap_or(Availability::Unknown);
    let confidence = if price.is_some() {
        method.confidence()
    } else {
        0.2
    };
    Some(Extraction {
        title,
        image,
        price,
        was,
        availability,
        method,
        confidence,
    })
}

/// Deepest element nesting parsed. The HTML tree builder's cost grows with
/// the square of the depth, so a hostile page of 100 KB of unclosed `<div>`s
/// would take minutes; real pages nest a few dozen levels.
pub const MAX_NESTING: usize = 1000;

/// Elements that never have content, and elements whose end tag may be
/// left out (the parser closes them itself): neither deepens the tree.
const FLAT_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "keygen", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup",
    "tbody", "thead", "tfoot", "colgroup", "rb", "rt", "rp",
];

/// The part of `html` before its nesting passes [`MAX_NESTING`], by a
/// cheap count of start and end tags (scripts, styles and comments skipped).
pub fn bound_nesting(html: &str) -> &str {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&b| b == b'<') {
        let at = i + offset;
        let rest = &html[at..];
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(bytes.len(), |e| at + e + 3);
            continue;
        }
        if rest.starts_with("</") {
            depth = depth.saturating_sub(1);
            i = at + 2;
            continue;
        }
        let name: String = rest[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .take(16)
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            i = at + 1;
            continue;
        }
        let tag_end = rest.find('>').map_or(bytes.len(), |e| at + e + 1);
        if name == "script" || name == "style" || name == "textarea" || name == "title" {
            let close = format!("</{name}");
            let lower_rest = &html[tag_end.min(bytes.len())..];
            i = find_ascii_case_insensitive(lower_rest, &close)
                .map_or(bytes.len(), |e| tag_end + e);
            continue;
        }
        let self_closing = html[at..tag_end].ends_with("/>");
        if !self_closing && !FLAT_ELEMENTS.contains(&name.as_str()) {
            depth += 1;
            if depth > MAX_NESTING {
                return &html[..at];
            }
        }
        i = tag_end;
    }
    html
}

fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// A currency guess from the shop's domain, used only when the page names none.
fn currency_hint(url: &url::Url) -> Option<Currency> {
    let host = url.host_str()?;
    let tld = host.rsplit('.').next()?;
    Some(match tld {
        "uk" => Currency::GBP,
        "de" | "fr" | "it" | "es" | "nl" | "at" | "be" | "ie" | "pt" | "fi" | "gr" | "sk"
        | "si" | "lu" | "ee" | "lv" | "lt" => Currency::EUR,
        "us" => Currency::USD,
        "ch" => Currency::CHF,
        "jp" => Currency::JPY,
        "ca" => Currency::CAD,
        "au" => Currency::AUD,
        _ => return None,
    })
}

pub(crate) fn clip(text: &str, max: usize) -> String {
    let text = collapse(text);
    if text.chars().count() <= max {
        text
    } else {
        text.chars().take(max - 1).collect::<String>() + "…"
    }
}

/// Whitespace runs become one space; control characters go.
pub(crate) fn collapse(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn first_text(doc: &Html, sel: &Selector) -> Option<String> {
    doc.select(sel)
        .map(|e| collapse(&e.text().collect::<String>()))
        .find(|t| !t.is_empty())
}

/// An element's value: its `content` attribute (meta tags, microdata), else its text.
pub(crate) fn element_value(e: ElementRef<'_>) -> String {
    e.attr("content")
        .map(str::to_owned)
        .unwrap_or_else(|| bounded_text(e, 2000))
}

/// An element's text, at most `max` bytes of it.
pub(crate) fn bounded_text(e: ElementRef<'_>, max: usize) -> String {
    let mut out = String::new();
    for piece in e.text() {
        if out.len() + piece.len() > max {
            break;
        }
        out.push_str(piece);
    }
    collapse(&out)
}

/// A price value from structured data: `"1299.00"`, `1299`, `"1,299.00"`,
/// `"£1,299"`. Plain numbers use `.` as the decimal point, as schema.org says.
pub(crate) fn structured_price(value: &str, currency: Option<Currency>) -> Option<Money> {
    let value = value.trim();
    let plain = value.chars().all(|c| c.is_ascii_digit() || c == '.');
    let amount = if plain {
        value.parse::<rust_decimal::Decimal>().ok()
    } else {
        read_price(value)
            .map(|r| r.price.amount)
            .or_else(|| parse_amount(value).ok())
    }?;
    let currency = currency.or_else(|| read_price(value).and_then(|r| r.price.currency))?;
    (amount > rust_decimal::Decimal::ZERO).then(|| Money::new(amount, currency))
}

/// schema.org availability values, as URLs or bare names.
pub(crate) fn schema_availability(value: &str) -> Option<Availability> {
    let name = value
        .rsplit('/')
        .next()
        .unwrap_or(value)
        .trim()
        .to_ascii_lowercase();
    match name.as_str() {
        "instock"
        | "in_stock"
        | "in stock"
        | "onlineonly"
        | "limitedavailability"
        | "instoreonly"
        | "preorder"
        | "presale"
        | "backorder" => Some(Availability::InStock),
        "outofstock" | "out_of_stock" | "out of stock" | "soldout" | "discontinued" | "oos" => {
            Some(Availability::OutOfStock)
        }
        _ => None,
    }
}

fn microdata(doc: &Html) -> Facts {
    let Some(product) = doc.select(&MICRODATA_PRODUCT).next() else {
        return Facts::default();
    };
    let currency = product
        .select(&ITEMPROP_CURRENCY)
        .next()
        .and_then(|e| Currency::from_code(element_value(e).trim()));
    let price = product
        .select(&ITEMPROP_PRICE)
        .find_map(|e| structured_price(&element_value(e), currency));
    Facts {
        title: product
            .select(&ITEMPROP_NAME)
            .map(element_value)
            .find(|t| !t.is_empty()),
        image: product.select(&ITEMPROP_IMAGE).find_map(|e| {
            e.attr("src")
                .or(e.attr("content"))
                .or(e.attr("href"))
                .map(str::to_owned)
        }),
        price,
        was: None,
        availability: product.select(&ITEMPROP_AVAILABILITY).find_map(|e| {
            e.attr("href")
                .or(e.attr("content"))
                .and_then(schema_availability)
                .or_else(|| schema_availability(&bounded_text(e, 200)))
        }),
    }
}

fn meta_tags(doc: &Html) -> Facts {
    let mut facts = Facts::default();
    let mut amount = None;
    let mut currency = None;
    for m in doc.select(&META) {
        let key = m
            .attr("property")
            .or(m.attr("name"))
            .or(m.attr("itemprop"))
            .unwrap_or("")
            .to_ascii_lowercase();
        let Some(content) = m.attr("content") else {
            continue;
        };
        match key.as_str() {
            "og:title" | "twitter:title" if facts.title.is_none() => {
                facts.title = Some(collapse(content))
            }
            "og:image" | "og:image:url" | "twitter:image" if facts.image.is_none() => {
                facts.image = Some(content.trim().to_owned());
            }
            "product:price:amount" | "og:price:amount" | "product:sale_price:amount"
                if amount.is_none() =>
            {
                amount = Some(content.to_owned());
            }
            "product:price:currency" | "og:price:currency" | "product:sale_price:currency"
                if currency.is_none() =>
            {
                currency = Currency::from_code(content.trim());
            }
            "product:availability" | "og:availability" => {
                facts.availability = schema_availability(content)
            }
            _ => {}
        }
    }
    facts.price = amount.and_then(|a| structured_price(&a, currency));
    facts
}

/// Elements whose class or id says "price", read as price text. Prices
/// marked as old ("was", "rrp", "strike") or per unit are skipped.
fn heuristic(doc: &Html, hint: Option<Currency>) -> Facts {
    let mut facts = Facts::default();
    for e in doc.select(&PRICE_LIKE).take(200) {
        let marker = format!(
            "{} {}",
            e.attr("class").unwrap_or(""),
            e.attr("id").unwrap_or("")
        )
        .to_ascii_lowercase();
        if [
            "was", "old", "strike", "rrp", "unit", "per", "save", "saving", "compare", "list",
            "before",
        ]
        .iter()
        .any(|w| marker.contains(w))
        {
            continue;
        }
        let text = e
            .attr("data-price")
            .map(str::to_owned)
            .unwrap_or_else(|| bounded_text(e, 300));
        let Some(reading) = read_price(&text) else {
            continue;
        };
        let Some(currency) = reading.price.currency.or(hint) else {
            continue;
        };
        facts.price = Some(Money::new(reading.price.amount, currency));
        facts.was = reading.was.and_then(|w| {
            w.currency
                .or(Some(currency))
                .map(|c| Money::new(w.amount, c))
        });
        break;
    }
    facts
}

/// Availability from what the page says in words, when no structured data does.
fn availability_from_text(doc: &Html) -> Option<Availability> {
    let body = doc.select(&BODY).next()?;
    let text = bounded_text(body, MAX_TEXT_SCAN).to_lowercase();
    const OUT: &[&str] = &[
        "out of stock",
        "sold out",
        "currently unavailable",
        "no longer available",
        "ausverkauft",
        "nicht verfügbar",
        "nicht lieferbar",
        "rupture de stock",
        "épuisé",
        "indisponible",
    ];
    const IN: &[&str] = &[
        "in stock",
        "add to basket",
        "add to cart",
        "add to bag",
        "buy now",
        "auf lager",
        "in den warenkorb",
        "en stock",
        "ajouter au panier",
    ];
    if OUT.iter().any(|w| text.contains(w)) {
        Some(Availability::OutOfStock)
    } else if IN.iter().any(|w| text.contains(w)) {
        Some(Availability::InStock)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_bounded_without_touching_normal_pages() {
        let normal = "<html><head><title>a<b</title><script>if (a<b) {}</script></head><body><div><p>x<p>y<ul><li>1<li>2</ul><img src=x><br/></div></body></html>";
        assert_eq!(bound_nesting(normal), normal);
        let lists = format!("<ul>{}</ul>", "<li>item".repeat(50_000));
        assert_eq!(bound_nesting(&lists).len(), lists.len());
        let hostile = "<div>".repeat(20_000);
        let cut = bound_nesting(&hostile);
        assert_eq!(cut.len(), MAX_NESTING * 5);
    }
}
