//! Reading prices as shops print them, against a table of real-world
//! strings in tests/fixtures/prices.tsv.

use dealwatch::money::Currency;
use dealwatch::price_text::read_price;
use rust_decimal::Decimal;
use std::str::FromStr;

/// `\n`, `\u{a0}` and `\u{202f}` in the fixture stand for those characters.
fn unescape(text: &str) -> String {
    text.replace("\\n", "\n")
        .replace("\\u{a0}", "\u{a0}")
        .replace("\\u{202f}", "\u{202f}")
}

#[test]
fn real_world_price_strings() {
    let table = include_str!("fixtures/prices.tsv");
    let mut rows = 0;
    let mut failures = Vec::new();
    for (n, line) in table.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [text, price, currency, was] = fields.as_slice() else {
            panic!("line {}: expected 4 tab-separated fields: {line:?}", n + 1);
        };
        rows += 1;
        let text = unescape(text);
        let expected_price = Decimal::from_str(price).expect("price column");
        let expected_currency =
            (*currency != "-").then(|| Currency::from_code(currency).expect("currency column"));
        let expected_was = (*was != "-").then(|| Decimal::from_str(was).expect("was column"));
        let got = read_price(&text);
        let ok = got.is_some_and(|r| {
            r.price.amount == expected_price
                && r.price.currency == expected_currency
                && r.was.map(|w| w.amount) == expected_was
        });
        if !ok {
            failures.push(format!(
                "line {}: {text:?}\n   expected {price} {currency} was {was}\n   got      {:?}",
                n + 1,
                got.map(|r| (
                    r.price.amount,
                    r.price.currency.map(|c| c.code()),
                    r.was.map(|w| w.amount)
                ))
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {rows} wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        rows >= 300,
        "the table must hold at least 300 strings, has {rows}"
    );
}

#[test]
fn text_without_a_price_gives_none() {
    for text in [
        "",
        "Out of stock",
        "Free",
        "£",
        "Call for price",
        "Price on application",
        "€",
    ] {
        assert_eq!(read_price(text), None, "{text:?}");
    }
}
