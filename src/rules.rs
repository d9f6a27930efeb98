//! Purpose: what it means for a deal to match a rule.
//!
//! The contract's semantics: any of the rule's words matches (after folding
//! case and accents and reducing plurals, so "Café Chairs" matches "cafe
//! chair"); any excluded word vetoes; the price must sit inside the bounds
//! (in the deal's currency when the rule named none, and never across
//! currencies); the category, minimum score and condition must hold.
//!
//! This module is the plain definition, one rule against one deal. It is
//! what `test ID` runs over recent deals, and the reference any faster
//! matcher is checked against.

use crate::command::RuleSpec;
use crate::model::Condition;
use crate::money::{Currency, Money, PriceSpec};
use rust_decimal::Decimal;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The parts of a deal a rule looks at.
#[derive(Debug, Clone, Copy)]
pub struct DealFacts<'a> {
    pub title: &'a str,
    pub price: Option<Money>,
    pub category: Option<&'a str>,
    pub condition: Option<Condition>,
    pub score: Option<Decimal>,
}

/// Split text into normalised terms: lower case, accents removed, split on
/// anything but letters, digits, `+` and `#`, plurals reduced.
pub fn terms(text: &str) -> Vec<String> {
    let folded: String = text
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    folded
        .split(|c: char| !(c.is_alphanumeric() || c == '+' || c == '#'))
        .filter(|t| !t.is_empty())
        .map(singular)
        .collect()
}

/// Reduce an English plural to its singular, conservatively: `laptops` ->
/// `laptop`, `batteries` -> `battery`, `boxes` -> `box`; `glass`, `ps5`,
/// `bus` stay as they are.
pub fn singular(word: &str) -> String {
    let n = word.chars().count();
    if n > 4 {
        if let Some(stem) = word.strip_suffix("ies") {
            return format!("{stem}y");
        }
        for ending in ["ches", "shes", "sses", "xes", "zes"] {
            if let Some(stem) = word.strip_suffix("es").filter(|_| word.ends_with(ending)) {
                return stem.to_owned();
            }
        }
    }
    if n > 3
        && word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is")
    {
        return word[..word.len() - 1].to_owned();
    }
    word.to_owned()
}

/// Whether a phrase (a rule word, which may itself be several terms such as
/// `rtx-4090`) occurs in a deal's terms: all of its terms must be present.
fn phrase_in(phrase: &str, deal_terms: &[String]) -> bool {
    let wanted = terms(phrase);
    !wanted.is_empty() && wanted.iter().all(|w| deal_terms.contains(w))
}

/// A price bound: the amount, and the currency it is in when the rule named one.
pub(crate) type Bound = (Decimal, Option<Currency>);

/// Whether a deal's price sits inside a rule's bounds: any bound needs a
/// price, and a bound in a named currency never holds across currencies.
pub(crate) fn price_within(max: Option<Bound>, min: Option<Bound>, price: Option<Money>) -> bool {
    if max.is_none() && min.is_none() {
        return true;
    }
    let Some(price) = price else {
        return false;
    };
    let fits = |bound: Option<Bound>, is_max: bool| match bound {
        None => true,
        Some((_, Some(currency))) if currency != price.currency => false,
        Some((amount, _)) if is_max => price.amount <= amount,
        Some((amount, _)) => price.amount >= amount,
    };
    fits(max, true) && fits(min, false)
}

/// Whether `deal` matches `rule`.
pub fn matches(rule: &RuleSpec, deal: &DealFacts<'_>) -> bool {
    let deal_terms = terms(deal.title);
    if !rule.words.iter().any(|w| phrase_in(w, &deal_terms)) {
        return false;
    }
    if rule.excluded.iter().any(|w| phrase_in(w, &deal_terms)) {
        return false;
    }
    let bound = |p: Option<PriceSpec>| p.map(|p| (p.amount, p.currency));
    if !price_within(bound(rule.max_price), bound(rule.min_price), deal.price) {
        return false;
    }
    if let Some(category) = &rule.category {
        let Some(deal_category) = deal.category else {
            return false;
        };
        if !phrase_in(category, &terms(deal_category)) {
            return false;
        }
    }
    if let Some(min_score) = rule.min_score {
        if deal.score.is_none_or(|s| s < min_score) {
            return false;
        }
    }
    if let Some(condition) = rule.condition {
        if deal.condition != Some(condition) {
            return false;
        }
    }
    true
}

/// Rules and deals for the unit tests of the plain definition and of the
/// index, which must agree.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use std::str::FromStr;

    pub fn rule(words: &[&str], excluded: &[&str]) -> RuleSpec {
        RuleSpec {
            words: words.iter().map(|w| w.to_string()).collect(),
            excluded: excluded.iter().map(|w| w.to_string()).collect(),
            max_price: None,
            min_price: None,
            category: None,
            min_score: None,
            condition: None,
            via: None,
        }
    }

    pub fn deal<'a>(title: &'a str, price: &str) -> DealFacts<'a> {
        DealFacts {
            title,
            price: Some(Money::new(Decimal::from_str(price).unwrap(), Currency::GBP)),
            category: Some("Computers & Tablets"),
            condition: Some(Condition::New),
            score: Some(Decimal::from_str("0.4").unwrap()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{deal, rule};
    use super::*;
    use crate::money::{Currency, PriceSpec};
    use std::str::FromStr;

    #[test]
    fn words_match_through_case_accents_and_plurals() {
        assert!(matches(
            &rule(&["cafe", "chair"], &[]),
            &deal("Café Chairs, set of 2", "50")
        ));
        assert!(matches(
            &rule(&["battery"], &[]),
            &deal("AA Batteries 24 pack", "9")
        ));
        assert!(matches(
            &rule(&["rtx-4090"], &[]),
            &deal("Gigabyte RTX 4090 Gaming OC", "1500")
        ));
        assert!(!matches(
            &rule(&["ps5"], &[]),
            &deal("Xbox Series X", "400")
        ));
    }

    #[test]
    fn exclusions_veto_and_bounds_hold() {
        let mut r = rule(&["gaming", "pc"], &["mac"]);
        r.max_price = Some(PriceSpec {
            amount: Decimal::from(800),
            currency: None,
        });
        assert!(matches(&r, &deal("Gaming PC Ryzen 7", "799.99")));
        assert!(!matches(&r, &deal("Gaming PC Ryzen 7", "800.01")));
        assert!(!matches(&r, &deal("Mac mini for gaming", "599")));
        r.max_price = Some(PriceSpec {
            amount: Decimal::from(800),
            currency: Some(Currency::EUR),
        });
        assert!(
            !matches(&r, &deal("Gaming PC Ryzen 7", "700")),
            "no matching across currencies"
        );
    }

    #[test]
    fn category_score_and_condition() {
        let mut r = rule(&["laptop"], &[]);
        r.category = Some("computers".into());
        r.min_score = Some(Decimal::from_str("0.3").unwrap());
        r.condition = Some(Condition::New);
        assert!(matches(&r, &deal("Laptop 14in", "300")));
        r.min_score = Some(Decimal::from_str("0.5").unwrap());
        assert!(!matches(&r, &deal("Laptop 14in", "300")));
        r.min_score = None;
        r.condition = Some(Condition::Used);
        assert!(!matches(&r, &deal("Laptop 14in", "300")));
    }
}
