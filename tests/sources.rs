//! Deal sources: feeds, listing pages and schema.org item lists read into
//! deals, scored against price history, deduplicated, matched to rules.

mod common;

use common::shop::{fixture, FakeShop};
use common::{record_prices, say, TestDb};
use dealwatch::fetch::{FetchConfig, Fetcher, Validators};
use dealwatch::model::Condition;
use dealwatch::money::{Currency, Money};
use dealwatch::sources::{self, Kind, Listed, SourcePoller, SourceSpec};
use dealwatch::watching::Notice;
use rust_decimal::Decimal;
use std::sync::Arc;
use std::time::Duration;

fn gbp(amount: &str) -> Money {
    Money::new(amount.parse().unwrap(), Currency::GBP)
}

fn spec(kind: &str, url: &str, extra: &str) -> SourceSpec {
    let text = format!("[[source]]\nname = \"s\"\nurl = \"{url}\"\nkind = \"{kind}\"\n{extra}");
    sources::from_toml(&text).unwrap().remove(0)
}

fn read(spec: &SourceSpec, fixture_name: &str) -> Vec<Listed> {
    let body = fixture(fixture_name).unwrap();
    sources::read_items(spec, &body, &spec.url).unwrap()
}

/// Each item's picture, however the feed gives it; never one that is not
/// on the web (a `data:` or `javascript:` address).
#[test]
fn feed_items_carry_their_pictures() {
    let spec = spec("feed", "https://deals.example/rss", "currency = \"GBP\"");
    let rss = r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:g="http://base.google.com/ns/1.0"><channel>
<item><title>A £10</title><link>https://shop.example/a</link><media:thumbnail url="https://img.example/a.jpg"/></item>
<item><title>B £10</title><link>https://shop.example/b</link><enclosure url="/img/b.png" type="image/png" length="1"/></item>
<item><title>C £10</title><link>https://shop.example/c</link><media:content url="https://img.example/c.webp" medium="image"/></item>
<item><title>D £10</title><link>https://shop.example/d</link><g:image_link>https://img.example/d.jpg</g:image_link></item>
<item><title>E £10</title><link>https://shop.example/e</link><enclosure url="https://cdn.example/e.mp3" type="audio/mpeg"/></item>
<item><title>F £10</title><link>https://shop.example/f</link><media:thumbnail url="javascript:alert(1)"/></item>
<item><title>G £10</title><link>https://shop.example/g</link><media:thumbnail url="data:image/png;base64,AAAA"/></item>
</channel></rss>"#;
    let items = sources::read_items(&spec, rss, &spec.url).unwrap();
    let images: Vec<Option<&str>> = items
        .iter()
        .map(|i| i.image.as_ref().map(|u| u.as_str()))
        .collect();
    assert_eq!(
        images,
        [
            Some("https://img.example/a.jpg"),
            Some("https://deals.example/img/b.png"),
            Some("https://img.example/c.webp"),
            Some("https://img.example/d.jpg"),
            None,
            None,
            None,
        ]
    );
}

#[test]
fn an_rss_feed_gives_prices_from_its_fields_else_from_its_text() {
    let spec = spec("feed", "https://deals.example/rss", "currency = \"GBP\"");
    let items = read(&spec, "deals.rss");
    let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
    // The item with no link and the javascript: one are not deals.
    assert_eq!(
        titles,
        [
            "Sony WH-1000XM5 Wireless Headphones",
            "Apple Refurbished iPad Air 5th gen 64GB",
            "LEGO Technic Bugatti £279.99 (was £349.99) at Argos",
            "Dyson V15 cordless vacuum",
        ]
    );
    // Pepper's merchant element: name and price.
    assert_eq!(items[0].price, Some(gbp("249.00")));
    assert_eq!(items[0].merchant.as_deref(), Some("Amazon"));
    assert_eq!(items[0].category.as_deref(), Some("Electronics"));
    assert_eq!(
        items[0].url.as_str(),
        "https://shop.example/p/sony-xm5?utm_source=rss&utm_medium=feed"
    );
    // Google merchant fields: sale price, list price, product type; a
    // relative link resolved against the feed; the condition in the title.
    assert_eq!(items[1].price, Some(gbp("389.00")));
    assert_eq!(items[1].was, Some(gbp("499.00")));
    assert_eq!(items[1].category.as_deref(), Some("Tablets"));
    assert_eq!(items[1].condition, Some(Condition::Refurbished));
    assert_eq!(items[1].url.as_str(), "https://deals.example/deal/ipad-air");
    // Price and was-price from the title's text.
    assert_eq!(items[2].price, Some(gbp("279.99")));
    assert_eq!(items[2].was, Some(gbp("349.99")));
    // From the HTML of content:encoded.
    assert_eq!(items[3].price, Some(gbp("499.99")));
    assert_eq!(items[3].was, Some(gbp("599.99")));
}

#[test]
fn an_atom_feed_is_read_too() {
    let spec = spec("feed", "https://deals.example/atom", "");
    let items = read(&spec, "deals.atom");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].url.as_str(), "https://shop.example.de/switch-oled");
    assert_eq!(
        items[0].price,
        Some(Money::new("299.99".parse().unwrap(), Currency::EUR))
    );
    assert_eq!(
        items[0].was,
        Some(Money::new("349.99".parse().unwrap(), Currency::EUR))
    );
    assert_eq!(items[0].category.as_deref(), Some("Gaming"));
    // The price from the HTML summary: "4070" in the title is not one.
    assert_eq!(items[1].title, "Gaming PC RTX 4070");
    assert_eq!(items[1].price, Some(gbp("899")));
}

#[test]
fn hostile_or_broken_feeds_are_refused_not_panicked_on() {
    let spec = spec("feed", "https://deals.example/rss", "");
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rss><channel><item><title>&lol2;</title><link>https://x.example/</link></item></channel></rss>"#;
    for body in [
        bomb,
        "",
        "not xml at all",
        "<html><body>hi</body></html>",
        "<rss><channel><item>",
    ] {
        assert!(
            sources::read_items(&spec, body, &spec.url).is_err(),
            "{body:?} was read"
        );
    }
    // A feed with no items is fine and empty.
    let empty = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>";
    assert!(sources::read_items(&spec, empty, &spec.url)
        .unwrap()
        .is_empty());
}

#[test]
fn a_listing_page_is_read_with_its_selectors() {
    let selectors = "[source.selectors]\nitem = \".offer\"\ntitle = \".name\"\nprice = \".price\"\nwas_price = \".rrp\"\nlink = \"a.more\"\ncategory = \".cat\"\ncondition = \".cond\"";
    let spec = spec("listing", "https://shop.example/offers", selectors);
    let items = read(&spec, "offers.html");
    // The item without a link is skipped; the mug has no price.
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].title, "Smeg kettle, cream");
    assert_eq!(items[0].price, Some(gbp("99.00")));
    assert_eq!(items[0].was, Some(gbp("149.00")));
    assert_eq!(items[0].category.as_deref(), Some("Kitchen"));
    assert_eq!(
        items[0].url.as_str(),
        "https://shop.example/p/kettle?ref=offers"
    );
    // "Was £1,199 Now £949" in one element gives both.
    assert_eq!(items[1].price, Some(gbp("949")));
    assert_eq!(items[1].was, Some(gbp("1199")));
    assert_eq!(items[1].condition, Some(Condition::Refurbished));
    assert_eq!(items[2].title, "Mug");
    assert_eq!(items[2].price, None);
}

#[test]
fn an_item_list_page_gives_its_products() {
    let spec = spec(
        "itemlist",
        "https://shop.example/top",
        "merchant = \"Example Shop\"",
    );
    let items = read(&spec, "itemlist.html");
    assert_eq!(items.len(), 2, "{items:?}");
    // The brand the name leaves out is put in front of it.
    assert_eq!(items[0].title, "Sony WH-1000XM4 headphones");
    assert_eq!(items[0].url.as_str(), "https://shop.example/p/xm4");
    assert_eq!(items[0].price, Some(gbp("199.00")));
    assert_eq!(items[0].condition, Some(Condition::Used));
    assert_eq!(items[0].category.as_deref(), Some("Audio"));
    assert_eq!(items[0].merchant.as_deref(), Some("Example Shop"));
    assert_eq!(items[1].price, Some(gbp("179")));
}

#[test]
fn the_sources_file_is_checked_and_every_mistake_names_its_source() {
    let ok = r#"
[[source]]
name = "feed"
url = "https://deals.example/rss"
kind = "feed"

[[source]]
name = "offers"
url = "https://shop.example/offers"
kind = "listing"
interval_secs = 600
[source.selectors]
item = ".offer"
title = ".name"
price = ".price"
"#;
    let list = sources::from_toml(ok).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].interval, Duration::from_secs(900));
    assert!(matches!(list[1].kind, Kind::Listing(_)));
    let wrong = [
        ("name = \"a\"\nurl = \"ftp://x.example/\"\nkind = \"feed\"", "http"),
        ("name = \"a\"\nurl = \"https://x.example/\"\nkind = \"tweets\"", "kind"),
        ("name = \"a\"\nurl = \"https://x.example/\"\nkind = \"feed\"\ninterval_secs = 5", "interval"),
        ("name = \"a\"\nurl = \"https://x.example/\"\nkind = \"listing\"", "selectors"),
        ("name = \"a\"\nurl = \"https://x.example/\"\nkind = \"feed\"\ncurrency = \"XXQ\"", "ISO 4217"),
        ("name = \"a\"\nurl = \"https://x.example/\"\nkind = \"listing\"\n[source.selectors]\nitem = \"..\"\ntitle = \"h\"\nprice = \"p\"", "selectors.item"),
    ];
    for (body, says) in wrong {
        let err = sources::from_toml(&format!("[[source]]\n{body}")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"a\"") && text.contains(says), "{text}");
    }
    let twice = "[[source]]\nname = \"a\"\nurl = \"https://x.example/\"\nkind = \"feed\"\n[[source]]\nname = \"a\"\nurl = \"https://y.example/\"\nkind = \"feed\"";
    assert!(sources::from_toml(twice)
        .unwrap_err()
        .to_string()
        .contains("two sources"));
    assert!(sources::from_toml("[[source]]\nname = 1").is_err());
}

/// The fake shop on loopback, fetched through the polite fetcher.
fn poller(db: &TestDb) -> SourcePoller {
    let fetcher = Fetcher::new(FetchConfig {
        allow_private: true,
        per_host_interval: Duration::from_millis(1),
        ..FetchConfig::default()
    })
    .unwrap();
    SourcePoller::new(db.store.clone(), Arc::new(fetcher), Vec::new())
}

async fn deal_alerts(db: &TestDb, user: &str) -> Vec<Notice> {
    let user = db
        .store
        .users()
        .find_identity(dealwatch_bots::Channel::Console, user)
        .await
        .unwrap()
        .unwrap()
        .0
        .id;
    db.store
        .outbox()
        .pending_notices(user, i64::MAX / 4, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, n)| n)
        .collect()
}

#[tokio::test]
async fn polled_sources_alert_matching_rules_once_whatever_the_source() {
    for db in TestDb::all().await {
        let core = db.core();
        let shop = FakeShop::start().await;
        let base = format!("http://127.0.0.1:{}", shop.addr.port());
        assert!(say(&core, "ann", "alert headphones under 300")
            .await
            .contains("#1"));
        assert!(say(&core, "ann", "alert gaming pc -mac")
            .await
            .contains("#2"));
        let feed = spec("feed", &format!("{base}/p/deals.rss"), "currency = \"GBP\"");
        // The same Sony deal, listed again by a second source with other
        // words order and tracking: one deal, one alert.
        shop.set_page(
            "mirror.rss",
            r#"<rss version="2.0"><channel><item><title>Wireless Headphones Sony WH-1000XM5</title>
<link>https://mirror.example/go/123</link><description>£249.00</description></item></channel></rss>"#
                .to_owned(),
        );
        let mirror = SourceSpec {
            name: "mirror".into(),
            ..spec("feed", &format!("{base}/p/mirror.rss"), "")
        };
        let listing = spec(
            "listing",
            &format!("{base}/p/offers.html"),
            "[source.selectors]\nitem = \".offer\"\ntitle = \".name\"\nprice = \".price\"\nlink = \"a.more\"",
        );
        let listing = SourceSpec {
            name: "offers".into(),
            ..listing
        };
        let poller = poller(&db);
        let mut validators = Validators::default();
        let first = poller.poll(&feed, &mut validators).await.unwrap();
        assert_eq!(first.items, 4);
        assert_eq!(first.new_deals, 4);
        assert_eq!(first.alerts, 1, "only the headphones match ann's rules");
        let again = poller
            .poll(&mirror, &mut Validators::default())
            .await
            .unwrap();
        assert_eq!((again.items, again.new_deals, again.alerts), (1, 0, 0));
        let offers = poller
            .poll(&listing, &mut Validators::default())
            .await
            .unwrap();
        assert_eq!(offers.alerts, 1, "the gaming PC");
        // Polling the feed again: the fetch is conditional (304), nothing new.
        let unchanged = poller.poll(&feed, &mut validators).await.unwrap();
        assert_eq!(unchanged, sources::PollReport::default());
        // The feed gains an item: the four known ones are skipped, the new
        // one is a deal (and matches nothing of ann's).
        let grown = fixture("deals.rss").unwrap().replace(
            "  </channel>",
            "<item><title>Kettle £20</title><link>https://shop.example/p/k2</link></item></channel>",
        );
        shop.set_page("deals.rss", grown);
        let grown = poller.poll(&feed, &mut validators).await.unwrap();
        assert_eq!((grown.items, grown.new_deals, grown.alerts), (5, 1, 0));
        let alerts = deal_alerts(&db, "ann").await;
        assert_eq!(alerts.len(), 2, "{alerts:?}");
        let Notice::DealMatch {
            rule_no,
            title,
            url,
            merchant,
            ..
        } = &alerts[0]
        else {
            panic!("{alerts:?}")
        };
        assert_eq!(*rule_no, 1);
        assert_eq!(title, "Sony WH-1000XM5 Wireless Headphones");
        // Tracking parameters are gone from the stored link.
        assert_eq!(url, "https://shop.example/p/sony-xm5");
        assert_eq!(merchant.as_deref(), Some("Amazon"));
        assert!(matches!(&alerts[1], Notice::DealMatch { rule_no: 2, .. }));
        // `test` sees the deals.
        let tested = say(&core, "ann", "test 2").await;
        assert!(tested.contains("Gaming PC"), "{tested}");
        db.finish().await;
    }
}

#[tokio::test]
async fn the_score_uses_the_products_price_history_over_the_shops_was_price() {
    for db in TestDb::all().await {
        let core = db.core();
        let shop = FakeShop::start().await;
        let base = format!("http://127.0.0.1:{}", shop.addr.port());
        let product = "https://shop.example/p/kettle";
        // Someone watches the kettle: its checks are its history. It sold
        // at about £110 for months; the shop's "was £149" is inflated.
        say(&core, "bob", &format!("watch {product}")).await;
        record_prices(
            &db.store,
            product,
            "Smeg kettle",
            &[
                ("115", 80 * 86_400),
                ("110", 40 * 86_400),
                ("105", 10 * 86_400),
            ],
        )
        .await;
        // Against the was-price the deal would score 0.34 and match #3 too.
        assert!(say(&core, "bob", "alert kettle score 5%")
            .await
            .contains("#2"));
        assert!(say(&core, "bob", "alert smeg score 20%")
            .await
            .contains("#3"));
        let selectors = "[source.selectors]\nitem = \".offer\"\ntitle = \".name\"\nprice = \".price\"\nwas_price = \".rrp\"\nlink = \"a.more\"";
        let listing = spec("listing", &format!("{base}/p/offers.html"), selectors);
        let page = fixture("offers.html")
            .unwrap()
            .replace("/p/kettle?ref=offers", product);
        shop.set_page("offers.html", page);
        let report = poller(&db)
            .poll(&listing, &mut Validators::default())
            .await
            .unwrap();
        assert_eq!(report.alerts, 1, "{report:?}");
        let deals = db.store.products().recent_deals(0, 10).await.unwrap();
        let kettle = deals.iter().find(|d| d.title.contains("kettle")).unwrap();
        // The median of 115, 110 and 105 is 110: (110 - 99) / 110 = 0.10.
        assert_eq!(kettle.score, Some(Decimal::new(10, 2)), "{kettle:?}");
        let matched: Vec<Notice> = deal_alerts(&db, "bob")
            .await
            .into_iter()
            .filter(|n| matches!(n, Notice::DealMatch { .. }))
            .collect();
        let [Notice::DealMatch {
            rule_no,
            price,
            was_price,
            lowest,
            ..
        }] = matched.as_slice()
        else {
            panic!("{matched:?}")
        };
        assert_eq!(*rule_no, 2);
        assert_eq!(price.as_ref().and_then(|p| p.money()), Some(gbp("99.00")));
        assert_eq!(
            was_price.as_ref().and_then(|p| p.money()),
            Some(gbp("149.00"))
        );
        // The lowest price seen is in the alert: £99 is lower than any before.
        assert_eq!(lowest.as_ref().and_then(|p| p.money()), Some(gbp("99.00")));
        db.finish().await;
    }
}

#[test]
fn the_score_is_the_discount_against_history_or_was_price() {
    use dealwatch::deals::score;
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    // No history: against the was-price.
    assert_eq!(score(gbp("75"), Some(gbp("100")), &[]), Some(d("0.25")));
    // Two prices are not a history yet.
    assert_eq!(
        score(gbp("75"), Some(gbp("100")), &[d("80"), d("80")]),
        Some(d("0.25"))
    );
    // Three are: the median (80) beats the inflated was-price.
    assert_eq!(
        score(gbp("72"), Some(gbp("150")), &[d("80"), d("200"), d("79")]),
        Some(d("0.10"))
    );
    // Even count: the mean of the middle two.
    assert_eq!(
        score(gbp("50"), None, &[d("90"), d("110"), d("100"), d("100")]),
        Some(d("0.50"))
    );
    // Dearer than usual scores 0, never below.
    assert_eq!(score(gbp("120"), None, &[d("100"); 3]), Some(d("0")));
    // Nothing to compare with, or a was-price in another currency.
    assert_eq!(score(gbp("10"), None, &[]), None);
    let eur = Money::new(d("20"), Currency::EUR);
    assert_eq!(score(gbp("10"), Some(eur), &[]), None);
}

#[test]
fn fingerprints_ignore_word_order_plurals_and_case() {
    use dealwatch::deals::fingerprint;
    let a = fingerprint("Sony WH-1000XM5 Wireless Headphones", Some(gbp("249.00")));
    let b = fingerprint("wireless headphone SONY wh-1000xm5", Some(gbp("249")));
    assert!(a.is_some());
    assert_eq!(a, b);
    assert_ne!(
        a,
        fingerprint("Sony WH-1000XM5 Wireless Headphones", Some(gbp("239")))
    );
    assert_eq!(fingerprint("Sony", None), None);
}

#[test]
fn the_example_sources_file_is_valid() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/sources.example.toml"))
            .unwrap();
    assert_eq!(sources::from_toml(&text).unwrap().len(), 3);
}
