//! Purpose: match a deal against every rule without scanning every rule.
//!
//! [`RuleIndex`] holds the rules in matching form: their words normalised
//! once into interned term ids, an inverted index from one anchor term of
//! each phrase to the rules that use it, and the numeric and categorical
//! filters beside them. A deal's terms look up their postings; each
//! candidate phrase is confirmed (all of its terms present), then the
//! candidate rule's exclusions, price bounds, category, score and condition
//! are checked. The semantics are exactly [`rules::matches`], which the
//! tests and the benchmark hold this against.
//!
//! The anchor of a phrase is its rarest term across all rules, so a
//! multi-term phrase such as `rtx-4090` is found through `4090`, not `rtx`.

use crate::command::RuleSpec;
use crate::model::Condition;
use crate::rules::{price_within, terms, Bound, DealFacts};
use rust_decimal::Decimal;
use std::collections::HashMap;

type TermId = u32;

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

/// The rules, indexed for matching; `K` is whatever the caller uses to
/// name a rule (a database id, an owner and number).
#[derive(Debug)]
pub struct RuleIndex<K> {
    keys: Vec<K>,
    rules: Vec<Compiled>,
    terms: HashMap<String, TermId>,
    /// Anchor term -> (rule, phrase) pairs.
    postings: HashMap<TermId, Vec<(u32, u16)>>,
}

impl<K> RuleIndex<K> {
    /// Index `rules`.
    pub fn new<'a>(rules: impl IntoIterator<Item = (K, &'a RuleSpec)>) -> RuleIndex<K> {
        let mut index = RuleIndex {
            keys: Vec::new(),
            rules: Vec::new(),
            terms: HashMap::new(),
            postings: HashMap::new(),
        };
        for (key, spec) in rules {
            let compiled = index.compile(spec);
            index.keys.push(key);
            index.rules.push(compiled);
        }
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
        let next = TermId::try_from(self.terms.len()).unwrap_or(TermId::MAX);
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
        for (r, rule) in self.rules.iter().enumerate() {
            // A rule whose words have no terms is in no posting list: it
            // can never match, as in the plain definition.
            let Ok(r) = u32::try_from(r) else { break };
            for (p, phrase) in rule.words.iter().enumerate() {
                let Ok(p) = u16::try_from(p) else { break };
                let anchor = phrase
                    .iter()
                    .min_by_key(|t| frequency.get(t).copied().unwrap_or(0))
                    .copied();
                if let Some(anchor) = anchor {
                    self.postings.entry(anchor).or_default().push((r, p));
                }
            }
        }
        for list in self.postings.values_mut() {
            list.shrink_to_fit();
        }
    }

    /// The keys of every rule `deal` matches, in index order.
    pub fn matching(&self, deal: &DealFacts<'_>) -> Vec<&K> {
        // The deal's terms we know; unknown terms cannot be in any rule.
        let mut present: Vec<TermId> = terms(deal.title)
            .iter()
            .filter_map(|t| self.terms.get(t).copied())
            .collect();
        present.sort_unstable();
        present.dedup();
        let has = |phrase: &[TermId]| phrase.iter().all(|t| present.binary_search(t).is_ok());

        let mut candidates: Vec<u32> = Vec::new();
        for term in &present {
            let Some(list) = self.postings.get(term) else {
                continue;
            };
            for &(r, p) in list {
                if has(&self.rules[r as usize].words[usize::from(p)]) {
                    candidates.push(r);
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();

        let category_terms: Option<Vec<TermId>> = deal.category.map(|c| {
            let mut ids: Vec<TermId> = terms(c)
                .iter()
                .filter_map(|t| self.terms.get(t).copied())
                .collect();
            ids.sort_unstable();
            ids
        });
        candidates
            .into_iter()
            .filter(|&r| {
                let rule = &self.rules[r as usize];
                !rule.excluded.iter().any(|p| has(p))
                    && price_within(rule.max_price, rule.min_price, deal.price)
                    && category_holds(rule, category_terms.as_deref())
                    && rule
                        .min_score
                        .is_none_or(|min| deal.score.is_some_and(|s| s >= min))
                    && rule.condition.is_none_or(|c| deal.condition == Some(c))
            })
            .map(|r| &self.keys[r as usize])
            .collect()
    }
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
