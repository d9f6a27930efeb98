//! Property test: the indexed matcher finds exactly the rules the plain
//! definition (`rules::matches`, every rule in turn) finds, for random rules
//! and deals drawn from a vocabulary full of the awkward cases: plurals,
//! accents, multi-term words, currencies, missing fields, bounds and
//! prices finer than the index holds inline, more exclusions than it
//! holds inline.
//!
//! The case count follows `PROPTEST_CASES`, e.g.
//! `PROPTEST_CASES=20000 cargo test --release --test matcher_props`.

use dealwatch::command::RuleSpec;
use dealwatch::matcher::RuleIndex;
use dealwatch::model::Condition;
use dealwatch::money::{Currency, Money, PriceSpec};
use dealwatch::rules::{matches, DealFacts};
use proptest::prelude::*;
use rust_decimal::Decimal;

const WORDS: &[&str] = &[
    "café",
    "cafe",
    "chairs",
    "chair",
    "pc",
    "PCs",
    "gaming",
    "rtx-4090",
    "4090",
    "rtx",
    "mac",
    "laptop",
    "laptops",
    "batteries",
    "battery",
    "glass",
    "bus",
    "ps5",
    "Ryzen",
    "boxes",
    "box",
    "!!!",
    "",
];
const CATEGORIES: &[&str] = &[
    "Computers & Tablets",
    "computers",
    "tablets",
    "Garden",
    "",
    "&",
];

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(WORDS).prop_map(str::to_owned)
}

fn currency() -> impl Strategy<Value = Option<Currency>> {
    prop_oneof![
        Just(None),
        Just(Some(Currency::GBP)),
        Just(Some(Currency::EUR))
    ]
}

/// Mostly round prices, some with more decimals than the index holds
/// inline (it keeps ten-thousandths), close to the round ones.
fn amount() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        3 => (0u32..2000).prop_map(|cents| Decimal::new(i64::from(cents) * 50, 2)),
        1 => (0u32..2000, 0u32..7, 3u32..8).prop_map(|(cents, nudge, scale)| {
            let base = Decimal::new(i64::from(cents) * 50, 2);
            let nudge = Decimal::new(i64::from(nudge) - 3, scale);
            (base + nudge).max(Decimal::ZERO)
        }),
    ]
}

fn condition() -> impl Strategy<Value = Option<Condition>> {
    prop_oneof![
        Just(None),
        Just(Some(Condition::New)),
        Just(Some(Condition::Used)),
        Just(Some(Condition::Refurbished)),
    ]
}

fn score() -> impl Strategy<Value = Option<Decimal>> {
    prop::option::of(prop_oneof![
        3 => (0u32..=10).prop_map(|n| Decimal::new(i64::from(n), 1)),
        1 => (0u32..=1_000_000).prop_map(|n| Decimal::new(i64::from(n), 6)),
    ])
}

fn rule() -> impl Strategy<Value = RuleSpec> {
    (
        prop::collection::vec(word(), 1..4),
        prop::collection::vec(word(), 0..4),
        prop::option::of((amount(), currency())),
        prop::option::of((amount(), currency())),
        prop::option::of(prop::sample::select(CATEGORIES)),
        score(),
        condition(),
    )
        .prop_map(
            |(words, excluded, max, min, category, min_score, condition)| RuleSpec {
                words,
                excluded,
                max_price: max.map(|(amount, currency)| PriceSpec { amount, currency }),
                min_price: min.map(|(amount, currency)| PriceSpec { amount, currency }),
                category: category.map(str::to_owned),
                min_score,
                condition,
                via: None,
            },
        )
}

#[derive(Debug, Clone)]
struct Deal {
    title: String,
    price: Option<Money>,
    category: Option<String>,
    condition: Option<Condition>,
    score: Option<Decimal>,
}

fn deal() -> impl Strategy<Value = Deal> {
    (
        prop::collection::vec(prop_oneof![word(), "[a-z]{1,6}"], 0..8),
        prop::option::of((
            amount(),
            prop_oneof![Just(Currency::GBP), Just(Currency::EUR)],
        )),
        prop::option::of(prop::sample::select(CATEGORIES)),
        condition(),
        score(),
    )
        .prop_map(|(words, price, category, condition, score)| Deal {
            title: words.join(" "),
            price: price.map(|(amount, currency)| Money::new(amount, currency)),
            category: category.map(str::to_owned),
            condition,
            score,
        })
}

proptest! {
    #[test]
    fn the_index_finds_exactly_what_the_plain_scan_finds(
        rules in prop::collection::vec(rule(), 0..60),
        deals in prop::collection::vec(deal(), 1..8),
    ) {
        let index = RuleIndex::new(rules.iter().enumerate());
        for deal in &deals {
            let facts = DealFacts {
                title: &deal.title,
                price: deal.price,
                category: deal.category.as_deref(),
                condition: deal.condition,
                score: deal.score,
            };
            let found: Vec<usize> = index.matching(&facts).into_iter().copied().collect();
            let plain: Vec<usize> = rules
                .iter()
                .enumerate()
                .filter(|(_, r)| matches(r, &facts))
                .map(|(i, _)| i)
                .collect();
            prop_assert_eq!(found, plain, "deal {:?}", deal);
        }
    }
}
