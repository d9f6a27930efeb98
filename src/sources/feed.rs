//! RSS 2.0 and Atom deal feeds.
//!
//! Read with roxmltree (a DOM; DTDs refused, so no entity expansion bombs)
//! rather than a feed crate, because the price fields deal feeds carry live
//! in extension namespaces (`g:price`/`g:sale_price` in Google merchant
//! feeds, `pepper:merchant price=` on Pepper sites) that feed parsers drop.
//! A price comes from those structured fields when present (a bare number
//! there takes the source's `currency`), else from the title, else from the
//! description's text, where only an amount with a currency counts.

use super::{condition_from, Listed, SourceSpec};
use crate::extract::{collapse, structured_price};
use crate::money::Money;
use crate::price_text::read_price;
use roxmltree::{Document, Node, ParsingOptions};
use url::Url;

/// Most items read from one feed.
const MAX_ITEMS: usize = 500;
/// Most XML nodes in a feed we parse (a 5 MB body is far below this).
const MAX_NODES: u32 = 1_000_000;

/// Why a feed could not be read.
#[derive(Debug, thiserror::Error)]
#[error("not an RSS or Atom feed: {0}")]
pub struct FeedError(String);

/// The items of an RSS or Atom feed.
pub fn items(body: &str, base: &Url, spec: &SourceSpec) -> Result<Vec<Listed>, FeedError> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(body.trim_start_matches('\u{feff}'), options)
        .map_err(|e| FeedError(e.to_string()))?;
    let root = doc.root_element();
    let entries: Vec<Node<'_, '_>> = match root.tag_name().name() {
        "rss" | "RDF" => root
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == "item")
            .take(MAX_ITEMS)
            .collect(),
        "feed" => root
            .children()
            .filter(|n| n.is_element() && n.tag_name().name() == "entry")
            .take(MAX_ITEMS)
            .collect(),
        other => return Err(FeedError(format!("the document is <{other}>"))),
    };
    Ok(entries
        .into_iter()
        .filter_map(|entry| item(entry, base, spec))
        .collect())
}

/// The text of the first child element named `name` (any namespace).
fn child_text(node: Node<'_, '_>, names: &[&str]) -> Option<String> {
    node.children()
        .filter(|c| c.is_element() && names.contains(&c.tag_name().name()))
        .map(|c| {
            let text: String = c
                .descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .collect();
            collapse(&text)
        })
        .find(|t| !t.is_empty())
}

/// The first child element named `name` with attribute `attr`.
fn child_attr(node: Node<'_, '_>, name: &str, attr: &str) -> Option<String> {
    node.children()
        .filter(|c| c.is_element() && c.tag_name().name() == name)
        .find_map(|c| c.attribute(attr).map(str::to_owned))
}

fn item(node: Node<'_, '_>, base: &Url, spec: &SourceSpec) -> Option<Listed> {
    let title = child_text(node, &["title"])?;
    let link = atom_link(node)
        .or_else(|| child_text(node, &["link"]))
        .or_else(|| {
            // An RSS guid that is a permalink is the item's address.
            node.children()
                .find(|c| c.is_element() && c.tag_name().name() == "guid")
                .filter(|g| g.attribute("isPermaLink") != Some("false"))
                .and_then(|g| g.text().map(|t| t.trim().to_owned()))
        })?;
    let url = base.join(&link).ok()?;
    let description = child_text(node, &["description", "summary", "content", "encoded"])
        .map(|html| html_text(&html));
    let currency = spec.currency;
    // Structured fields first: Google merchant `g:sale_price` + `g:price`,
    // a plain `price`, Pepper's `merchant price="…"`.
    let structured =
        |names: &[&str]| child_text(node, names).and_then(|t| structured_price(&t, currency));
    let sale = structured(&["sale_price"]);
    let listed_price = structured(&["price"]).or_else(|| {
        child_attr(node, "merchant", "price").and_then(|t| structured_price(&t, currency))
    });
    let was_field = structured(&["was_price", "original_price", "list_price", "regular_price"]);
    let (mut price, mut was) = match (sale, listed_price) {
        (Some(sale), Some(list)) => (Some(sale), Some(list)),
        (Some(sale), None) => (Some(sale), None),
        (None, list) => (list, None),
    };
    was = was.or(was_field);
    if price.is_none() {
        // From the text: the title first ("… £279.99 (was £349.99)"), then
        // the description; a was-price from either. Only amounts written
        // with a currency count: a bare number in a title is far more often
        // a model number ("RTX 4070") than a price.
        let with_currency = |text: &str| read_price(text).filter(|r| r.price.currency.is_some());
        let from_title = with_currency(&title);
        let from_description = description.as_deref().and_then(with_currency);
        if let Some(reading) = from_title.or(from_description) {
            price = in_currency(reading.price);
            was = was
                .or_else(|| reading.was.and_then(in_currency))
                .or_else(|| from_description.and_then(|d| d.was).and_then(in_currency));
        }
    }
    let merchant = child_attr(node, "merchant", "name")
        .or_else(|| child_text(node, &["merchant"]))
        .or_else(|| spec.merchant.clone());
    let title = super::with_brand(title, child_text(node, &["brand"]));
    let category = node
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "category")
        .find_map(|c| {
            c.attribute("term")
                .map(str::to_owned)
                .or_else(|| c.text().map(|t| t.trim().to_owned()))
                .filter(|t| !t.is_empty())
        })
        .or_else(|| child_text(node, &["product_type", "google_product_category"]))
        .or_else(|| spec.category.clone());
    let condition = child_text(node, &["condition"])
        .and_then(|c| condition_from(&c))
        .or_else(|| super::condition_in_title(&title));
    Some(Listed {
        image: image(node, base),
        title,
        url,
        price,
        was,
        merchant,
        category,
        condition,
    })
}

/// The item's picture: `media:thumbnail`, `media:content` or an
/// enclosure that is an image, Google's `g:image_link`, an `image`
/// element, or an Atom `link rel="enclosure"` to an image.
fn image(node: Node<'_, '_>, base: &Url) -> Option<Url> {
    let is_image = |c: &Node<'_, '_>| {
        c.attribute("type").is_some_and(|t| t.starts_with("image/"))
            || c.attribute("medium") == Some("image")
    };
    let from_attribute = node.children().filter(|c| c.is_element()).find_map(|c| {
        let url = match c.tag_name().name() {
            "thumbnail" => c.attribute("url"),
            "content" | "enclosure" if is_image(&c) => c.attribute("url"),
            "link" if c.attribute("rel") == Some("enclosure") && is_image(&c) => {
                c.attribute("href")
            }
            _ => None,
        }?;
        super::image_url(base, url)
    });
    from_attribute.or_else(|| {
        child_text(node, &["image_link", "image"]).and_then(|t| super::image_url(base, &t))
    })
}

/// An amount read from text, when the text gave its currency.
fn in_currency(spec: crate::money::PriceSpec) -> Option<Money> {
    Some(spec.in_context(spec.currency?))
}

/// An Atom entry's `<link href>`: the `alternate` one, else the first.
fn atom_link(node: Node<'_, '_>) -> Option<String> {
    let links: Vec<Node<'_, '_>> = node
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "link" && c.has_attribute("href"))
        .collect();
    links
        .iter()
        .find(|l| matches!(l.attribute("rel"), None | Some("alternate")))
        .or(links.first())
        .and_then(|l| l.attribute("href"))
        .map(str::to_owned)
}

/// The visible text of an HTML fragment (feed descriptions are HTML).
fn html_text(fragment: &str) -> String {
    if !fragment.contains('<') {
        return collapse(fragment);
    }
    let doc = scraper::Html::parse_fragment(fragment);
    collapse(&doc.root_element().text().collect::<Vec<_>>().join(" "))
}
