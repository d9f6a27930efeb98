//! Purpose: `alert WORDS... [-EXCLUDED...] [under PRICE] [over PRICE]
//! [in CATEGORY] [score N] [condition new|used|refurbished]`.
//!
//! Examples: `alert gaming pc -mac under 800`, `alert ps5 between £300 and
//! £450 condition used`, `alert lego in toys score 40%`, `alert ssd 1tb
//! not sata <£60`.

use super::watch::take_price;
use super::{glued_price, ParseError, Problem};
use crate::model::Condition;
use crate::money::PriceSpec;
use dealwatch_bots::Channel;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Most keywords one rule may have (words plus exclusions).
pub const MAX_WORDS: usize = 20;
/// Longest keyword; longer "words" are pasted junk.
pub const MAX_WORD_CHARS: usize = 40;

/// A deal rule as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSpec {
    /// Any of these words matches (lower case, as typed).
    pub words: Vec<String>,
    /// Any of these words vetoes a deal.
    pub excluded: Vec<String>,
    pub max_price: Option<PriceSpec>,
    pub min_price: Option<PriceSpec>,
    pub category: Option<String>,
    /// Minimum deal score, 0 to 1.
    pub min_score: Option<Decimal>,
    pub condition: Option<Condition>,
    /// Where this rule's alerts go first (`via sms`); `None`: the user's
    /// most recently used channel.
    pub via: Option<Channel>,
}

const MAX_WORDS_IN: &[&str] = &[
    "under",
    "below",
    "max",
    "<",
    "<=",
    "≤",
    "upto",
    "beneath",
    "unter",
    "sous",
    "bis",
    "höchstens",
    "maximal",
    "jusqu'à",
];
const MIN_WORDS_IN: &[&str] = &["over", "above", "min", ">", ">=", "≥", "atleast", "über"];
const EXCLUDE_WORDS: &[&str] = &[
    "not",
    "without",
    "except",
    "excluding",
    "ohne",
    "sans",
    "nicht",
    "außer",
    "ausser",
    "sauf",
];
const CATEGORY_WORDS: &[&str] = &["in", "category", "cat"];
/// Filler that never becomes a search word: with any-word matching one
/// such word ("about") would match unrelated deals.
const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "for",
    "me",
    "of",
    "with",
    "deals",
    "deal",
    "price",
    "about",
    "any",
    "some",
    "offers",
    "offer",
    "cheap",
    "cheapest",
    "please",
    "pls",
    "but",
    "on",
    "sale",
    "bargain",
    "bargains", // German and French filler
    "über",
    "für",
    "mich",
    "mir",
    "angebote",
    "angebot",
    "günstig",
    "günstige",
    "billig",
    "billige",
    "bitte",
    "pour",
    "moi",
    "des",
    "les",
    "promo",
    "promos",
    "pas",
    "cher",
    "chers",
    "svp",
    "stp",
    "bons",
    "plans",
    "à",
    "chères",
    "billigen",
    "günstigen",
    "günstiges",
    "angeboten",
    "ein",
    "eine",
    "einen",
    "bei",
    "nach",
    "aber",
    "deal",
    "deals",
    "auf",
    "sur",
    "un",
    "une",
    "réduction",
    "réductions",
    "reductions",
    "soldes",
    "mais",
    "en",
    "bon",
    "plan",
    "remise",
    "remises",
    "sales",
    "discount",
    "discounts",
    // what a sentence puts around the search ("alert me when there are
    // ps5 deals", "nach einem e-bike")
    "when",
    "whenever",
    "there",
    "are",
    "is",
    "if",
    "einem",
    "einer",
    "eines",
    "dem",
    "den",
    "der",
    "die",
    "das",
    "du",
    "au",
    "aux",
    "ones",
    "one",
    "good",
    "new",
    "to",
    "neue",
    "neuen",
    "neuer",
    "neues",
    "nouvel",
    "nouveau",
    "nouvelle",
    "le",
    "la",
];

/// Whether a word (lower case) is filler that a search never keeps ("me",
/// "about", "deals", "to", "die") or a word the grammar reads as a keyword
/// ("under", "not", "in"): never a search word on its own.
pub fn is_filler(word: &str) -> bool {
    [
        STOP_WORDS,
        MAX_WORDS_IN,
        MIN_WORDS_IN,
        EXCLUDE_WORDS,
        CATEGORY_WORDS,
    ]
    .iter()
    .any(|list| list.contains(&word))
}

impl RuleSpec {
    /// The `alert` command that makes this rule (words, `-excluded`,
    /// `over`/`under` prices): what a button offering it sends.
    pub fn command_text(&self) -> String {
        let mut text = String::from("alert");
        for word in &self.words {
            text.push(' ');
            text.push_str(word);
        }
        for word in &self.excluded {
            text.push_str(" -");
            text.push_str(word);
        }
        let price = |p: &PriceSpec| match p.currency {
            Some(c) => format!("{}{}", p.amount.normalize(), c.code()),
            None => p.amount.normalize().to_string(),
        };
        if let Some(p) = &self.min_price {
            text.push_str(" over ");
            text.push_str(&price(p));
        }
        if let Some(p) = &self.max_price {
            text.push_str(" under ");
            text.push_str(&price(p));
        }
        text
    }
}

pub(super) fn parse(args: &[String]) -> Result<RuleSpec, ParseError> {
    let err = |problem| ParseError {
        command: "alert",
        problem,
    };
    let mut spec = RuleSpec {
        words: Vec::new(),
        excluded: Vec::new(),
        max_price: None,
        min_price: None,
        category: None,
        min_score: None,
        condition: None,
        via: None,
    };

    let mut i = 0;
    while i < args.len() {
        let token = &args[i];
        let lower = token.to_lowercase();
        i += 1;

        if let Some(rest) = glued_price(&lower, MAX_WORDS_IN) {
            let (price, used) = take_price(rest, &args[i..]).map_err(err)?;
            spec.max_price = Some(price);
            i += used;
        } else if let Some(rest) = glued_price(&lower, MIN_WORDS_IN) {
            let (price, used) = take_price(rest, &args[i..]).map_err(err)?;
            spec.min_price = Some(price);
            i += used;
        } else if MAX_WORDS_IN.contains(&lower.as_str())
            || (lower == "up" && next_is(args, i, "to"))
            || (lower == "moins" && next_is(args, i, "de"))
            || (lower == "weniger" && next_is(args, i, "als"))
            || (lower == "less" && next_is(args, i, "than"))
        {
            if matches!(lower.as_str(), "up" | "moins" | "weniger" | "less") {
                i += 1;
            }
            let (price, used) = take_price("", &args[i..]).map_err(err)?;
            spec.max_price = Some(price);
            i += used;
        } else if MIN_WORDS_IN.contains(&lower.as_str())
            || (lower == "at" && next_is(args, i, "least"))
        {
            if lower == "at" {
                i += 1;
            }
            let (price, used) = take_price("", &args[i..]).map_err(err)?;
            spec.min_price = Some(price);
            i += used;
        } else if lower == "between" {
            let (low, used) = take_price("", &args[i..]).map_err(err)?;
            i += used;
            if args
                .get(i)
                .is_some_and(|t| matches!(t.to_lowercase().as_str(), "and" | "-" | "to" | "&"))
            {
                i += 1;
            }
            let (high, used) = take_price("", &args[i..]).map_err(err)?;
            i += used;
            spec.min_price = Some(low);
            spec.max_price = Some(high);
        } else if let Some((low, high)) = price_range(token) {
            spec.min_price = Some(low);
            spec.max_price = Some(high);
        } else if CATEGORY_WORDS.contains(&lower.as_str()) {
            let Some(category) = args.get(i) else {
                return Err(err(Problem::Unexpected {
                    text: token.clone(),
                }));
            };
            let category = normalise_word(category);
            if category.is_empty() || category.chars().count() > MAX_WORD_CHARS {
                return Err(err(Problem::Unexpected {
                    text: args[i].clone(),
                }));
            }
            spec.category = Some(category);
            i += 1;
        } else if matches!(
            lower.as_str(),
            "score" | "min-score" | "minscore" | "rating"
        ) {
            let text = args.get(i).cloned().unwrap_or_default();
            let mut used = 1;
            let text = if matches!(text.as_str(), ">=" | ">" | "≥" | "of" | "at") {
                used += 1;
                args.get(i + 1).cloned().unwrap_or_default()
            } else {
                text
            };
            spec.min_score = Some(
                parse_score(&text).ok_or_else(|| err(Problem::BadScore { text: text.clone() }))?,
            );
            i += used;
        } else if matches!(lower.as_str(), "condition" | "cond" | "state") {
            let text = args.get(i).cloned().unwrap_or_default();
            spec.condition = Some(
                Condition::from_name(&text)
                    .ok_or_else(|| err(Problem::BadCondition { text: text.clone() }))?,
            );
            i += 1;
        } else if lower == "via" {
            let text = args.get(i).cloned().unwrap_or_default();
            spec.via = Some(
                channel_named(&text)
                    .ok_or_else(|| err(Problem::BadChannel { text: text.clone() }))?,
            );
            i += 1;
        } else if EXCLUDE_WORDS.contains(&lower.as_str())
            || (lower == "mais" && next_is(args, i, "pas"))
        {
            if lower == "mais" {
                i += 1;
            }
            if let Some(next) = args.get(i) {
                push_word(&mut spec.excluded, next).map_err(err)?;
                i += 1;
            }
        } else if let Some(excluded) = lower.strip_prefix(['-', '!', '−']) {
            if excluded.is_empty() {
                continue;
            }
            push_word(&mut spec.excluded, excluded).map_err(err)?;
        } else if STOP_WORDS.contains(&lower.as_str()) {
            continue;
        } else {
            push_word(&mut spec.words, token).map_err(err)?;
        }
    }

    if spec.words.is_empty() {
        return Err(err(Problem::MissingWords));
    }
    if let (Some(min), Some(max)) = (spec.min_price, spec.max_price) {
        if let (Some(a), Some(b)) = (min.currency, max.currency) {
            if a != b {
                return Err(err(Problem::MixedCurrencies));
            }
        }
        if min.amount > max.amount {
            return Err(err(Problem::BoundsInverted));
        }
    }
    Ok(spec)
}

/// A channel alerts can go through, by its name or a short form people
/// use; not the console, which is not a channel alerts go to.
fn channel_named(text: &str) -> Option<Channel> {
    let name = text.to_lowercase();
    let name = match name.as_str() {
        "tg" => "telegram",
        "wa" => "whatsapp",
        "text" | "phone" => "sms",
        other => other,
    };
    Channel::from_name(name).filter(|c| *c != Channel::Console)
}

fn next_is(args: &[String], i: usize, word: &str) -> bool {
    args.get(i).is_some_and(|t| t.eq_ignore_ascii_case(word))
}

/// `300-800`, `£300-£800`, `300-800€`.
fn price_range(token: &str) -> Option<(PriceSpec, PriceSpec)> {
    let (low, high) = token.split_once(['-', '–'])?;
    if low.is_empty() || high.is_empty() || !low.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let low = crate::money::parse_price(low).ok()?;
    let high = crate::money::parse_price(high).ok()?;
    let currency = low.currency.or(high.currency);
    Some((
        PriceSpec {
            amount: low.amount,
            currency: low.currency.or(currency),
        },
        PriceSpec {
            amount: high.amount,
            currency: high.currency.or(currency),
        },
    ))
}

/// `0.3`, `.3`, `0,3`, `30%`, `30` (read as a percentage, as above 1).
fn parse_score(text: &str) -> Option<Decimal> {
    let (number, percent) = match text.strip_suffix('%') {
        Some(n) => (n, true),
        None => (text, false),
    };
    let mut value = Decimal::from_str(&number.replace(',', ".")).ok()?;
    if percent || value > Decimal::ONE {
        value /= Decimal::ONE_HUNDRED;
    }
    (Decimal::ZERO..=Decimal::ONE)
        .contains(&value)
        .then(|| value.normalize())
}

/// Lower case, with punctuation trimmed from both ends but kept inside
/// (`rtx-4090`, `c++`, `4k`).
fn normalise_word(word: &str) -> String {
    word.trim_matches(|c: char| !(c.is_alphanumeric() || c == '+' || c == '#'))
        .to_lowercase()
}

fn push_word(list: &mut Vec<String>, raw: &str) -> Result<(), Problem> {
    let word = normalise_word(raw);
    if word.is_empty() {
        return Ok(());
    }
    if word.chars().count() > MAX_WORD_CHARS {
        return Err(Problem::WordTooLong {
            word: word.chars().take(MAX_WORD_CHARS).collect::<String>() + "…",
        });
    }
    if !list.contains(&word) {
        list.push(word);
    }
    if list.len() > MAX_WORDS {
        return Err(Problem::TooManyWords);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn the_contract_example() {
        let spec = parse(&args("gaming pc -mac under 800")).unwrap();
        assert_eq!(spec.words, ["gaming", "pc"]);
        assert_eq!(spec.excluded, ["mac"]);
        assert_eq!(spec.max_price.unwrap().amount, Decimal::from(800));
        assert_eq!(spec.max_price.unwrap().currency, None);
    }

    #[test]
    fn scores_as_fractions_or_percentages() {
        assert_eq!(parse_score("0.3"), Some(Decimal::from_str("0.3").unwrap()));
        assert_eq!(parse_score("30%"), Some(Decimal::from_str("0.3").unwrap()));
        assert_eq!(parse_score("30"), Some(Decimal::from_str("0.3").unwrap()));
        assert_eq!(parse_score("130"), None);
        assert_eq!(parse_score("abc"), None);
    }
}
