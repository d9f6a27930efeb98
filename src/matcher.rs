//! Purpose: match a deal against every rule without scanning every rule.
//!
//! [`RuleIndex`] holds the rules in matching form: their words normalised
//! once into interned term ids, and an inverted index from one anchor term
//! of each phrase to the rules that use it. Each posting carries its rule's
//! filters inline (price bounds as integers, up to two excluded words, the
//! category, score and condition), so a deal is decided by reading its
//! terms' posting lists front to back, without visiting the rules
//! themselves; only unusual rules (a phrase of several terms, more
//! exclusions, a bound with more than four decimals) are checked against
//! their full form. Each list is sorted by price ceiling, highest first, so
//! a deal's price cuts off the rules it is too dear for without reading
//! them. The semantics are exactly [`rules::matches`], which the tests and
//! the benchmark hold this against.
//!
//! The anchor of a phrase is its rarest term across all rules, so a
//! multi-term phrase such as `rtx-4090` is found through `4090`, not `rtx`.
//!
//! [`rules::matches`]: crate::rules::matches

use crate::command::RuleSpec;
use crate::model::Condition;
use crate::money::{Currency, Money};
use crate::rules::{price_within, terms, Bound, DealFacts};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::collections::HashMap;

type TermId = u32;

/// No term: an unused inline slot.
const NO_TERM: TermId = TermId::MAX;
/// Bounds and scores are held inline in ten-thousandths.
const KEY_SCALE: i64 = 10_000;
/// Inline keys stay well inside `i64`, so the sentinels below are never a
/// real bound.
const KEY_LIMIT: i64 = 1 << 62;

/// A rule in matching form.
#[derive(Debug)]
struct Compiled {
    /// Alternatives: the rule matches when all terms of any one are present.
    words: Box<[Box<[TermId]>]>,
    /// Vetoes, likewise phrases of terms.
    excluded: Box<[Box<[TermId]>]>,
    max_price: Option<Bound>,
    min_price: Option<Bound>,
    category: Option<Box<[TermId]>>,
    min_score: Option<Decimal>,
    condition: Option<Condition>,
}

/// The phrase has more than its anchor term: check all of them.
const MULTI_TERM: u8 = 1;
/// Some filter could not be held inline: check the rule in full.
const FULL_CHECK: u8 = 2;

/// One (rule, phrase) pair in its anchor term's list, with the rule's
/// filters beside it.
#[derive(Debug, Clone, Copy)]
struct Posting {
    /// Price ceiling in ten-thousandths; `i64::MAX` when none.
    max: i64,
    /// Price floor in ten-thousandths; `i64::MIN` when none.
    min: i64,
    /// Minimum score in ten-thousandths; `i64::MIN` when none.
    min_score: i64,
    rule: u32,
    /// Excluded single-term words; `NO_TERM` when unused.
    excluded: [TermId; 2],
    /// A single-term category; `NO_TERM` when none.
    category: TermId,
    phrase: u16,
    flags: u8,
    condition: Option<Condition>,
    max_currency: Option<Currency>,
    min_currency: Option<Currency>,
}

/// `value` in ten-thousandths, when that is exact and inside the limit.
fn exact_key(value: Decimal) -> Option<i64> {
    let scaled = value.checked_mul(Decimal::from(KEY_SCALE))?;
    if !scaled.fract().is_zero() {
        return None;
    }
    scaled.to_i64().filter(|k| k.abs() < KEY_LIMIT)
}

/// `value` in ten-thousandths rounded up (`ceil`) or down, saturating.
fn rounded_key(value: Decimal, ceil: bool) -> i64 {
    let scaled =
        value
            .checked_mul(Decimal::from(KEY_SCALE))
            .unwrap_or(if value.is_sign_negative() {
                Decimal::MIN
            } else {
                Decimal::MAX
            });
    let rounded = if ceil { scaled.ceil() } else { scaled.floor() };
    rounded.to_i64().unwrap_or(if rounded.is_sign_negative() {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// A deal's price and score as the postings compare them.
struct DealKeys {
    /// The price in ten-thousandths, rounded up and down; `None` without a price.
    price: Option<(i64, i64, Currency)>,
    score: Option<i64>,
}

impl DealKeys {
    fn new(price: Option<Money>, score: Option<Decimal>) -> DealKeys {
        DealKeys {
            price: price.map(|p| {
                (
                    rounded_key(p.amount, true),
                    rounded_key(p.amount, false),
                    p.currency,
                )
            }),
            score: score.map(|s| rounded_key(s, false)),
        }
    }
}

impl Posting {
    /// The inline filters. Exact for what they hold: for an integer bound
    /// `m`, `p <= m` exactly when `ceil(p) <= m`, and `p >= m` exactly when
    /// `floor(p) >= m`.
    fn passes(&self, deal: &Deal<'_>) -> bool {
        if self
            .excluded
            .iter()
            .any(|&t| t != NO_TERM && deal.present.binary_search(&t).is_ok())
        {
            return false;
        }
        if self.max != i64::MAX || self.min != i64::MIN {
            let Some((ceil, floor, currency)) = deal.keys.price else {
                return false;
            };
            if self.max_currency.is_some_and(|c| c != currency)
                || self.min_currency.is_some_and(|c| c != currency)
                || ceil > self.max
                || floor < self.min
            {
                return false;
            }
        }
        if self.category != NO_TERM
            && deal
                .category
                .as_deref()
                .is_none_or(|have| have.binary_search(&self.category).is_err())
        {
            return false;
        }
        if self.min_score != i64::MIN && deal.keys.score.is_none_or(|s| s < self.min_score) {
            return false;
        }
        self.condition
            .is_none_or(|c| deal.facts.condition == Some(c))
    }
}

/// A deal as the index reads it.
struct Deal<'a> {
    facts: &'a DealFacts<'a>,
    /// The title's known terms, sorted.
    present: Vec<TermId>,
    /// The category's known terms, sorted.
    category: Option<Vec<TermId>>,
    keys: DealKeys,
}

impl Deal<'_> {
    fn has(&self, phrase: &[TermId]) -> bool {
        phrase.iter().all(|t| self.present.binary_search(t).is_ok())
    }
}

/// The rules, indexed for matching; `K` is whatever the caller uses to
/// name a rule (a database id, an owner and number).
#[derive(Debug)]
pub struct RuleIndex<K> {
    keys: Vec<K>,
    rules: Vec<Compiled>,
    terms: HashMap<String, TermId>,
    /// Anchor term -> its postings, highest price ceiling first.
    postings: HashMap<TermId, Box<[Posting]>>,
}

impl<K> RuleIndex<K> {
    fn empty() -> RuleIndex<K> {
        RuleIndex {
            keys: Vec::new(),
            rules: Vec::new(),
            terms: HashMap::new(),
            postings: HashMap::new(),
        }
    }

    /// Index `rules`.
    pub fn new<'a>(rules: impl IntoIterator<Item = (K, &'a RuleSpec)>) -> RuleIndex<K> {
        let mut index = RuleIndex::empty();
        for (key, spec) in rules {
            let compiled = index.compile(spec);
            index.keys.push(key);
            index.rules.push(compiled);
        }
        index.build_postings();
        index
    }

    /// Index rules that carry their own spec, such as the store's active
    /// rules: the index keeps them as its keys.
    pub fn with_keys(rules: Vec<K>, spec_of: impl Fn(&K) -> &RuleSpec) -> RuleIndex<K> {
        let mut index = RuleIndex::empty();
        for rule in &rules {
            let compiled = index.compile(spec_of(rule));
            index.rules.push(compiled);
        }
        index.keys = rules;
        index.build_postings();
        index
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    fn intern(&mut self, term: String) -> TermId {
        // The last id is the "no term" marker and never handed out (four
        // billion distinct words are far beyond any rule set).
        let next = TermId::try_from(self.terms.len())
            .unwrap_or(NO_TERM - 1)
            .min(NO_TERM - 1);
        *self.terms.entry(term).or_insert(next)
    }

    fn phrase(&mut self, text: &str) -> Box<[TermId]> {
        let mut ids: Vec<TermId> = terms(text).into_iter().map(|t| self.intern(t)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_boxed_slice()
    }

    fn compile(&mut self, spec: &RuleSpec) -> Compiled {
        let words: Vec<Box<[TermId]>> = spec
            .words
            .iter()
            .map(|w| self.phrase(w))
            .filter(|p| !p.is_empty())
            .collect();
        let excluded: Vec<Box<[TermId]>> = spec
            .excluded
            .iter()
            .map(|w| self.phrase(w))
            .filter(|p| !p.is_empty())
            .collect();
        let category = spec.category.as_deref().map(|c| self.phrase(c));
        Compiled {
            words: words.into_boxed_slice(),
            excluded: excluded.into_boxed_slice(),
            max_price: spec.max_price.map(|p| (p.amount, p.currency)),
            min_price: spec.min_price.map(|p| (p.amount, p.currency)),
            category,
            min_score: spec.min_score,
            condition: spec.condition,
        }
    }

    fn build_postings(&mut self) {
        // How many phrases use each term: the rarest term of a phrase is
        // its anchor, so candidates stay few.
        let mut frequency: HashMap<TermId, u32> = HashMap::new();
        for rule in &self.rules {
            for phrase in rule.words.iter() {
                for term in phrase.iter() {
                    *frequency.entry(*term).or_default() += 1;
                }
            }
        }
        let mut lists: HashMap<TermId, Vec<Posting>> = HashMap::new();
        for (r, rule) in self.rules.iter().enumerate() {
            // A rule whose words have no terms is in no posting list: it
            // can never match, as in the plain definition.
            let Ok(r) = u32::try_from(r) else { break };
            let filters = inline_filters(r, rule);
            for (p, phrase) in rule.words.iter().enumerate() {
                let Ok(p) = u16::try_from(p) else { break };
                let anchor = phrase
                    .iter()
                    .min_by_key(|t| frequency.get(t).copied().unwrap_or(0))
                    .copied();
                if let Some(anchor) = anchor {
                    let mut posting = filters;
                    posting.phrase = p;
                    if phrase.len() > 1 {
                        posting.flags |= MULTI_TERM;
                    }
                    lists.entry(anchor).or_default().push(posting);
                }
            }
        }
        self.postings = lists
            .into_iter()
            .map(|(term, mut list)| {
                list.sort_by(|a, b| b.max.cmp(&a.max).then(a.rule.cmp(&b.rule)));
                (term, list.into_boxed_slice())
            })
            .collect();
    }

    fn known_terms(&self, text: &str) -> Vec<TermId> {
        let mut ids: Vec<TermId> = terms(text)
            .iter()
            .filter_map(|t| self.terms.get(t).copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The keys of every rule `deal` matches, in index order.
    pub fn matching(&self, facts: &DealFacts<'_>) -> Vec<&K> {
        // The deal's terms we know; unknown terms cannot be in any rule.
        let deal = Deal {
            facts,
            present: self.known_terms(facts.title),
            category: facts.category.map(|c| self.known_terms(c)),
            keys: DealKeys::new(facts.price, facts.score),
        };
        // Postings whose ceiling is below the deal's price come last in
        // each list; they are never read.
        let affordable = |p: &Posting| match deal.keys.price {
            Some((ceil, _, _)) => p.max >= ceil,
            None => p.max == i64::MAX,
        };
        let mut matched: Vec<u32> = Vec::new();
        for term in &deal.present {
            let Some(list) = self.postings.get(term) else {
                continue;
            };
            let end = list.partition_point(affordable);
            for posting in &list[..end] {
                if !posting.passes(&deal) {
                    continue;
                }
                if posting.flags != 0 {
                    let rule = &self.rules[posting.rule as usize];
                    if posting.flags & MULTI_TERM != 0
                        && !deal.has(&rule.words[usize::from(posting.phrase)])
                    {
                        continue;
                    }
                    if posting.flags & FULL_CHECK != 0 && !full_filters_hold(rule, &deal) {
                        continue;
                    }
                }
                matched.push(posting.rule);
            }
        }
        matched.sort_unstable();
        matched.dedup();
        matched
            .into_iter()
            .map(|r| &self.keys[r as usize])
            .collect()
    }
}

/// A posting for rule `r` with its filters inline, or marked for a full
/// check where one does not fit.
fn inline_filters(r: u32, rule: &Compiled) -> Posting {
    let mut posting = Posting {
        max: i64::MAX,
        min: i64::MIN,
        min_score: i64::MIN,
        rule: r,
        excluded: [NO_TERM; 2],
        category: NO_TERM,
        phrase: 0,
        flags: 0,
        condition: rule.condition,
        max_currency: None,
        min_currency: None,
    };
    let mut full = false;
    if rule.excluded.len() <= posting.excluded.len() && rule.excluded.iter().all(|p| p.len() == 1) {
        for (slot, phrase) in posting.excluded.iter_mut().zip(rule.excluded.iter()) {
            *slot = phrase[0];
        }
    } else {
        full = true;
    }
    if let Some((amount, currency)) = rule.max_price {
        match exact_key(amount) {
            Some(key) => {
                posting.max = key;
                posting.max_currency = currency;
            }
            None => full = true,
        }
    }
    if let Some((amount, currency)) = rule.min_price {
        match exact_key(amount) {
            Some(key) => {
                posting.min = key;
                posting.min_currency = currency;
            }
            None => full = true,
        }
    }
    if let Some(score) = rule.min_score {
        match exact_key(score) {
            Some(key) => posting.min_score = key,
            None => full = true,
        }
    }
    match rule.category.as_deref() {
        None => {}
        Some([term]) => posting.category = *term,
        Some(_) => full = true,
    }
    if full {
        // Only what is held inline is checked inline; the rest, and the
        // exactness of anything approximated, by `full_filters_hold`.
        posting.flags |= FULL_CHECK;
    }
    posting
}

/// Every filter of `rule` (not its words), from its full form.
fn full_filters_hold(rule: &Compiled, deal: &Deal<'_>) -> bool {
    !rule.excluded.iter().any(|p| deal.has(p))
        && price_within(rule.max_price, rule.min_price, deal.facts.price)
        && category_holds(rule, deal.category.as_deref())
        && rule
            .min_score
            .is_none_or(|min| deal.facts.score.is_some_and(|s| s >= min))
        && rule
            .condition
            .is_none_or(|c| deal.facts.condition == Some(c))
}

fn category_holds(rule: &Compiled, deal_category: Option<&[TermId]>) -> bool {
    match (&rule.category, deal_category) {
        (None, _) => true,
        (Some(_), None) => false,
        // An empty category phrase never matches, as in the plain definition.
        (Some(wanted), Some(have)) => {
            !wanted.is_empty() && wanted.iter().all(|t| have.binary_search(t).is_ok())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{Currency, PriceSpec};
    use crate::rules::test_support::{deal, rule};
    use std::str::FromStr;

    #[test]
    fn the_table_of_the_plain_definition_holds_through_the_index() {
        let mut under_800 = rule(&["gaming", "pc"], &["mac"]);
        under_800.max_price = Some(PriceSpec {
            amount: Decimal::from(800),
            currency: None,
        });
        let mut in_euros = under_800.clone();
        in_euros.max_price = Some(PriceSpec {
            amount: Decimal::from(800),
            currency: Some(Currency::EUR),
        });
        let mut computers = rule(&["laptop"], &[]);
        computers.category = Some("computers".into());
        computers.min_score = Some(Decimal::from_str("0.3").unwrap());
        let mut used = rule(&["laptop"], &[]);
        used.condition = Some(Condition::Used);
        let rules = [
            ("cafe", rule(&["cafe", "chair"], &[])),
            ("battery", rule(&["battery"], &[])),
            ("rtx", rule(&["rtx-4090"], &[])),
            ("ps5", rule(&["ps5"], &[])),
            ("under_800", under_800),
            ("in_euros", in_euros),
            ("computers", computers),
            ("used", used),
            ("nothing", rule(&["!!!"], &[])),
        ];
        let index = RuleIndex::new(rules.iter().map(|(k, r)| (*k, r)));
        let check = |title: &str, price: &str, expected: &[&str]| {
            let found: Vec<&str> = index
                .matching(&deal(title, price))
                .into_iter()
                .copied()
                .collect();
            assert_eq!(found, expected, "{title}");
            let plain: Vec<&str> = rules
                .iter()
                .filter(|(_, r)| crate::rules::matches(r, &deal(title, price)))
                .map(|(k, _)| *k)
                .collect();
            assert_eq!(plain, expected, "the plain definition agrees on {title}");
        };
        check("Café Chairs, set of 2", "50", &["cafe"]);
        check("AA Batteries 24 pack", "9", &["battery"]);
        check("Gigabyte RTX 4090 Gaming OC", "1500", &["rtx"]);
        check("RTX 3080 with 4090 sticker", "500", &["rtx"]);
        check("RTX 3080", "500", &[]);
        check("Gaming PC Ryzen 7", "799.99", &["under_800"]);
        check("Gaming PC Ryzen 7", "800.01", &[]);
        check("Mac mini for gaming", "599", &[]);
        check("Laptop 14in", "300", &["computers"]);
        check("Xbox Series X", "400", &[]);
    }
}
