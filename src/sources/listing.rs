//! Listing pages read with the source's CSS selectors, and pages with a
//! schema.org ItemList.

use super::{condition_from, Listed, ListingSelectors, SourceSpec};
use crate::extract::{bound_nesting, bounded_text, item_list};
use crate::money::Money;
use crate::price_text::read_price;
use scraper::{ElementRef, Html, Selector};
use url::Url;

/// Most items read from one listing page.
const MAX_ITEMS: usize = 500;
/// Most text read from one field of one item.
const MAX_FIELD_BYTES: usize = 2000;

/// Items of a listing page, one per element `item` selects.
pub fn items(html: &str, base: &Url, spec: &SourceSpec, sel: &ListingSelectors) -> Vec<Listed> {
    let doc = Html::parse_document(bound_nesting(html));
    doc.select(&sel.item)
        .take(MAX_ITEMS)
        .filter_map(|item| listed(item, base, spec, sel))
        .collect()
}

/// An item's picture.
static IMAGE: std::sync::LazyLock<Selector> = std::sync::LazyLock::new(|| {
    Selector::parse("img").unwrap_or_else(|e| panic!("built-in selector: {e}"))
});

fn text_in(item: ElementRef<'_>, sel: &Selector) -> Option<String> {
    item.select(sel)
        .map(|e| bounded_text(e, MAX_FIELD_BYTES))
        .find(|t| !t.is_empty())
}

fn money_in(
    item: ElementRef<'_>,
    sel: &Selector,
    spec: &SourceSpec,
) -> (Option<Money>, Option<Money>) {
    let Some(reading) = text_in(item, sel).and_then(|t| read_price(&t)) else {
        return (None, None);
    };
    let money = |p: crate::money::PriceSpec| Some(p.in_context(p.currency.or(spec.currency)?));
    (money(reading.price), reading.was.and_then(money))
}

fn listed(
    item: ElementRef<'_>,
    base: &Url,
    spec: &SourceSpec,
    sel: &ListingSelectors,
) -> Option<Listed> {
    let title = text_in(item, &sel.title)?;
    // The link: the selector's `href`, else the item's own, else its first link.
    let href = match &sel.link {
        Some(link) => item.select(link).find_map(|a| a.attr("href")),
        None => item
            .attr("href")
            .or_else(|| item.select(&super::ANY_LINK).find_map(|a| a.attr("href"))),
    }?;
    let url = base.join(href.trim()).ok()?;
    let (price, was_in_price) = money_in(item, &sel.price, spec);
    let was = match &sel.was_price {
        Some(was) => money_in(item, was, spec).0.or(was_in_price),
        None => was_in_price,
    };
    let field = |s: &Option<Selector>| s.as_ref().and_then(|s| text_in(item, s));
    Some(Listed {
        condition: field(&sel.condition)
            .and_then(|c| condition_from(&c))
            .or_else(|| super::condition_in_title(&title)),
        title,
        url,
        price,
        was,
        merchant: field(&sel.merchant).or_else(|| spec.merchant.clone()),
        category: field(&sel.category).or_else(|| spec.category.clone()),
        image: item.select(&IMAGE).find_map(|img| {
            ["src", "data-src"]
                .iter()
                .find_map(|a| img.attr(a))
                .and_then(|src| super::image_url(base, src))
        }),
    })
}

/// Products of the page's schema.org ItemLists.
pub fn item_list_items(html: &str, base: &Url, spec: &SourceSpec) -> Vec<Listed> {
    item_list(html, base)
        .into_iter()
        .filter_map(|p| {
            let url = base.join(p.url.trim()).ok()?;
            let condition = p
                .condition
                .as_deref()
                .and_then(condition_from)
                .or_else(|| super::condition_in_title(&p.title));
            Some(Listed {
                title: super::with_brand(p.title, p.brand),
                url,
                price: p.price,
                was: None,
                merchant: spec.merchant.clone(),
                category: p.category.or_else(|| spec.category.clone()),
                condition,
                image: p.image.as_deref().and_then(|i| super::image_url(base, i)),
            })
        })
        .collect()
}
