//! The extraction cascade on fixture pages modelled on real retailers' markup.

use dealwatch::extract::{extract, Method, SiteRules};
use dealwatch::model::Availability;
use rust_decimal::Decimal;
use std::str::FromStr;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/shop/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn sample_rules() -> SiteRules {
    SiteRules::from_toml(include_str!("../sites.toml")).expect("the shipped sites.toml loads")
}

struct Expect {
    file: &'static str,
    url: &'static str,
    title: Option<&'static str>,
    price: Option<(&'static str, &'static str)>,
    was: Option<&'static str>,
    availability: Availability,
    method: Method,
    image: Option<&'static str>,
}

#[test]
fn every_fixture_page_gives_its_product() {
    let cases = [
        Expect {
            file: "jsonld_graph.html",
            url: "https://kitchen.example/p/kettle",
            title: Some("Acme Cordless Kettle 1.7L"),
            price: Some(("34.99", "GBP")),
            was: None,
            availability: Availability::InStock,
            method: Method::JsonLd,
            image: Some("https://kitchen.example/img/kettle-1.jpg"),
        },
        Expect {
            file: "microdata.html",
            url: "https://werkzeug.example/gsr12",
            title: Some("Bosch Professional Akkuschrauber GSR 12V-15"),
            price: Some(("129.90", "EUR")),
            was: None,
            availability: Availability::InStock,
            method: Method::Microdata,
            image: Some("https://werkzeug.example/media/gsr12.jpg"),
        },
        Expect {
            file: "opengraph.html",
            url: "https://homestore.example/products/cushion",
            title: Some("Linen Cushion Cover – Sage"),
            price: Some(("24.00", "GBP")),
            was: None,
            availability: Availability::InStock,
            method: Method::Meta,
            image: Some("https://cdn.homestore.example/files/cushion-sage.jpg"),
        },
        Expect {
            file: "site_rule.html",
            url: "https://www.outdoor.test/bench",
            title: Some("Hardwood Garden Bench, 2-Seater"),
            price: Some(("129.00", "GBP")),
            was: None,
            availability: Availability::InStock,
            method: Method::SiteRule,
            image: Some("https://www.outdoor.test/images/bench.jpg"),
        },
        Expect {
            file: "out_of_stock.html",
            url: "https://games.example/ps5",
            title: Some("PlayStation 5 Slim Console"),
            price: Some(("449.99", "GBP")),
            was: None,
            availability: Availability::OutOfStock,
            method: Method::JsonLd,
            image: Some("https://games.example/ps5.jpg"),
        },
        Expect {
            file: "variants.html",
            url: "https://knit.example/p/jumper?variant=3",
            title: Some("Merino Crew Jumper - L"),
            price: Some(("69.00", "GBP")),
            was: None,
            availability: Availability::InStock,
            method: Method::JsonLd,
            image: None,
        },
        Expect {
            file: "variants.html",
            url: "https://knit.example/p/jumper",
            title: Some("Merino Crew Jumper - M"),
            price: Some(("65.00", "GBP")),
            was: None,
            availability: Availability::InStock,
            method: Method::JsonLd,
            image: None,
        },
        Expect {
            file: "heuristic.html",
            url: "https://curio.example/lamp",
            title: Some("Vintage Brass Desk Lamp"),
            price: Some(("44.99", "GBP")),
            was: Some("59.99"),
            availability: Availability::InStock,
            method: Method::Heuristic,
            image: None,
        },
        Expect {
            file: "aggregate.html",
            url: "https://compare.example/s24",
            title: Some("Samsung Galaxy S24 128GB Onyx Black"),
            price: Some(("599.00", "EUR")),
            was: None,
            availability: Availability::Unknown,
            method: Method::JsonLd,
            image: Some("https://compare.example/s24.png"),
        },
        Expect {
            file: "malformed.html",
            url: "https://broken.example/toaster",
            title: Some("Retro Toaster 2-Slice"),
            price: Some(("39.50", "GBP")),
            was: None,
            availability: Availability::InStock,
            method: Method::JsonLd,
            image: None,
        },
        Expect {
            file: "unit_price_only_text.html",
            url: "https://grocer.example/oat-milk",
            title: Some("Barista Oat Milk 1L"),
            price: Some(("1.80", "GBP")),
            was: None,
            availability: Availability::OutOfStock,
            method: Method::Heuristic,
            image: None,
        },
        Expect {
            file: "no_product.html",
            url: "https://www.outdoor.test/blog/shed",
            title: Some("10 tips for a tidy shed"),
            price: None,
            was: None,
            availability: Availability::Unknown,
            method: Method::Meta,
            image: None,
        },
    ];
    let rules = sample_rules();
    let mut failures = Vec::new();
    for case in &cases {
        let url = url::Url::parse(case.url).unwrap();
        let Some(got) = extract(&fixture(case.file), &url, &rules) else {
            failures.push(format!("{}: nothing extracted", case.file));
            continue;
        };
        let price = got.price.map(|m| (m.amount, m.currency.code().to_owned()));
        let want_price = case
            .price
            .map(|(a, c)| (Decimal::from_str(a).unwrap(), c.to_owned()));
        let want_was = case.was.map(|w| Decimal::from_str(w).unwrap());
        if got.title.as_deref() != case.title
            || price != want_price
            || got.was.map(|m| m.amount) != want_was
            || got.availability != case.availability
            || (case.price.is_some() && got.method != case.method)
            || got.image.as_deref() != case.image
        {
            failures.push(format!("{} ({}): got {got:?}", case.file, case.url));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn hostile_pages_do_not_break_extraction() {
    let url = url::Url::parse("https://evil.example/p").unwrap();
    let rules = SiteRules::default();
    let deep = format!("{}{}", "<div>".repeat(20_000), "</div>".repeat(10));
    let nested_json = format!(
        "<script type=\"application/ld+json\">{}{}</script>",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let huge_attr = format!(
        "<meta property=\"og:title\" content=\"{}\">",
        "A".repeat(1_000_000)
    );
    for page in [
        String::new(),
        "\u{0}\u{1}\u{2}<<<>>>".to_owned(),
        deep,
        nested_json,
        huge_attr,
        "<script type=\"application/ld+json\">{\"@type\":\"Product\",\"offers\":{\"price\":\"-5\",\"priceCurrency\":\"GBP\"}}</script>".to_owned(),
        "<script type=\"application/ld+json\">{\"@type\":\"Product\",\"offers\":{\"price\":\"1e400\",\"priceCurrency\":\"GBP\"}}</script>".to_owned(),
        "<span class=\"price\">£99999999999999999999</span>".to_owned(),
        "<img src=\"javascript:alert(1)\" itemprop=\"image\"><div itemscope itemtype=\"https://schema.org/Product\"><span itemprop=\"price\" content=\"x\"></span></div>".to_owned(),
    ] {
        if let Some(got) = extract(&page, &url, &rules) {
            assert!(got.price.is_none_or(|p| p.amount > Decimal::ZERO), "{got:?}");
            assert!(got.image.as_deref().is_none_or(|i| i.starts_with("http")), "{got:?}");
            assert!(got.title.as_deref().is_none_or(|t| t.chars().count() <= 300), "title not clipped");
        }
    }
}
