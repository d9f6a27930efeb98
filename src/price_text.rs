//! Purpose: read the price out of the text a shop prints around it.
//!
//! A price element rarely holds just a number: `from £9.99`, `£10 – £20`,
//! `Was £24.99 Now £19.99`, `£2.00 (£1.00/kg)`, `Save £5!`, `1.299,- €`,
//! `CHF 12.–`, `£12.50 ex VAT £15.00 inc VAT`. [`read_price`] finds every
//! amount in the text with its currency and its label, then picks the one a
//! shopper would pay, and the "was" price when the text gives one.

use crate::money::{currency_marker, parse_amount, Currency, PriceSpec};
use rust_decimal::Decimal;

/// The price a piece of text states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceReading {
    /// What a shopper pays now (the low end of a range).
    pub price: PriceSpec,
    /// The price before a reduction, when the text shows one.
    pub was: Option<PriceSpec>,
}

/// What the words around an amount say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Plain,
    Now,
    Was,
    From,
    Saving,
    Unit,
    ExVat,
    /// Shipping, instalments, multibuys: not the price of the item.
    Extra,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    amount: Decimal,
    currency: Option<Currency>,
    label: Label,
    /// Followed by a range separator and another amount.
    range_start: bool,
}

const NOW_WORDS: &[&str] = &[
    "now",
    "sale",
    "offer",
    "deal",
    "price",
    "our",
    "special",
    "jetzt",
    "nur",
    "angebot",
    "prix",
    "maintenant",
    "promo",
    "today",
];
const WAS_WORDS: &[&str] = &[
    "was",
    "rrp",
    "original",
    "originally",
    "before",
    "reg",
    "regular",
    "msrp",
    "uvp",
    "statt",
    "vorher",
    "avant",
    "ancien",
    "usual",
    "typical",
    "compare",
    "lieu",
    "référence",
    "reference",
];
/// Words before a "price" that make it the old one: "list price", "regular price".
const WAS_PRICE_WORDS: &[&str] = &[
    "list",
    "regular",
    "original",
    "typical",
    "was",
    "reference",
    "référence",
    "retail",
    "normal",
];
/// Verbs before a saved amount ("save £5", "Sie sparen 5 €"); "off" is only
/// a saving after its amount ("£5 off").
const SAVE_WORDS: &[&str] = &[
    "save",
    "saving",
    "savings",
    "sparen",
    "économisez",
    "economisez",
];
/// Words before an amount that is not the item's price.
const EXTRA_WORDS: &[&str] = &[
    "payments",
    "instalments",
    "installments",
    "monthly",
    "deposit",
    "raten",
];
/// Words after an amount that is not the item's price.
const EXTRA_AFTER: &[&str] = &[
    "shipping",
    "delivery",
    "postage",
    "p&p",
    "versand",
    "livraison",
    "deposit",
];
const FROM_WORDS: &[&str] = &["from", "ab", "dès", "des", "starting", "as"];
const UNIT_WORDS: &[&str] = &[
    "kg", "g", "100g", "ml", "100ml", "l", "litre", "liter", "unit", "m", "m²", "oz", "lb",
];

/// Read the price in `text`. Amounts with a currency beat bare numbers
/// ("Only 3 left! £12.99"); unit prices and savings are set aside unless
/// nothing else is there.
pub fn read_price(text: &str) -> Option<PriceReading> {
    let text = normalise(text);
    let candidates = candidates(&text);
    let with_currency: Vec<Candidate> = candidates
        .iter()
        .copied()
        .filter(|c| c.currency.is_some())
        .collect();
    let pool = if with_currency.is_empty() {
        candidates
    } else {
        with_currency
    };
    let pool: Vec<Candidate> = pool.into_iter().filter(|c| !c.amount.is_zero()).collect();
    if pool.is_empty() {
        return None;
    }
    let main: Vec<Candidate> = pool
        .iter()
        .copied()
        .filter(|c| {
            !matches!(
                c.label,
                Label::Unit | Label::Saving | Label::ExVat | Label::Extra
            )
        })
        .collect();
    let main = if main.is_empty() {
        // Only a unit, ex-VAT or multibuy price: better than nothing.
        pool.iter()
            .copied()
            .filter(|c| c.label != Label::Saving)
            .collect()
    } else {
        main
    };
    if main.is_empty() {
        return None;
    }
    let spec = |c: &Candidate| PriceSpec {
        amount: c.amount,
        currency: c.currency,
    };
    let was = main.iter().find(|c| c.label == Label::Was);
    let chosen = main
        .iter()
        .find(|c| c.label == Label::Now)
        .or_else(|| main.iter().find(|c| c.label == Label::From))
        .or_else(|| main.iter().find(|c| c.range_start))
        .or_else(|| {
            let plain: Vec<&Candidate> = main.iter().filter(|c| c.label == Label::Plain).collect();
            match plain.as_slice() {
                // Two unlabelled prices side by side: a price and its
                // struck-through predecessor; the lower one is paid.
                [a, b] if a.currency == b.currency && was.is_none() => {
                    Some(if a.amount <= b.amount { *a } else { *b })
                }
                [first, ..] => Some(*first),
                [] => None,
            }
        })
        .or_else(|| main.first())?;
    let mut was = was.map(spec);
    if was.is_none() && chosen.label == Label::Now {
        was = main
            .iter()
            .filter(|c| {
                c.label == Label::Plain && c.currency == chosen.currency && c.amount > chosen.amount
            })
            .max_by_key(|c| c.amount)
            .map(spec);
    }
    if was.is_none() && !chosen.range_start && chosen.label != Label::From {
        let plain: Vec<&Candidate> = main.iter().filter(|c| c.label == Label::Plain).collect();
        if let [a, b] = plain.as_slice() {
            let higher = if a.amount >= b.amount { a } else { b };
            if a.currency == b.currency && higher.amount > chosen.amount {
                was = Some(spec(higher));
            }
        }
    }
    let mut price = spec(chosen);
    // A currency stated once ("EUR 10 - 20") belongs to both ends.
    if price.currency.is_none() {
        price.currency = main.iter().find_map(|c| c.currency);
    }
    if let Some(w) = was.as_mut() {
        if w.currency.is_none() {
            w.currency = price.currency;
        }
        if w.amount <= price.amount || w.currency != price.currency {
            was = None;
        }
    }
    Some(PriceReading { price, was })
}

/// Spaces of every width become one plain space; dashes become `-`.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for c in text.chars() {
        let c = match c {
            '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2007}' | '\t' | '\n' | '\r' => ' ',
            '–' | '—' | '−' => '-',
            c => c,
        };
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out.trim_end().to_owned()
}

/// Every amount in the text, with its currency and label.
fn candidates(text: &str) -> Vec<Candidate> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut found: Vec<(usize, usize, Candidate)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if !c.is_ascii_digit() {
            i += 1;
            continue;
        }
        // Digits inside a word ("ps5", "4k") are not amounts, unless the
        // word is a currency code glued to the number ("gbp12.99").
        if i > 0 && chars[i - 1].1.is_alphanumeric() && !is_glued_marker_char(chars[i - 1].1) {
            let word_start = chars[..i]
                .iter()
                .rposition(|(_, ch)| !ch.is_alphabetic())
                .map_or(0, |p| p + 1);
            let word: String = chars[word_start..i].iter().map(|(_, ch)| *ch).collect();
            if currency_marker(&word).is_none() || chars[i - 1].1.is_ascii_digit() {
                while i < chars.len() && chars[i].1.is_alphanumeric() {
                    i += 1;
                }
                continue;
            }
        }
        // Extend over digits and separators; a space only groups thousands
        // when exactly three digits follow it.
        let mut j = i;
        while j < chars.len() {
            let ch = chars[j].1;
            let groups_space = ch == ' '
                && chars
                    .get(j + 1..j + 4)
                    .is_some_and(|w| w.iter().all(|(_, d)| d.is_ascii_digit()))
                && chars.get(j + 4).is_none_or(|(_, d)| !d.is_ascii_digit())
                && j > i
                && chars[i..j].iter().all(|(_, d)| d.is_ascii_digit())
                && j - i <= 3;
            if ch.is_ascii_digit() || matches!(ch, '.' | ',' | '\'' | '’') || groups_space {
                j += 1;
            } else {
                break;
            }
        }
        let end = chars.get(j).map_or(text.len(), |(b, _)| *b);
        let core = text[start..end].trim_end_matches(['.', ',', '\'', '’']);
        let core_end = start + core.len();
        i = j.max(i + 1);
        // Percentages ("-17%", "20% off") are never prices.
        if text[core_end..].trim_start().starts_with('%') {
            continue;
        }
        let Ok(amount) = parse_amount(core) else {
            continue;
        };
        // "1.299,-" and "12.–": whole units.
        let after = &text[core_end..];
        let after = after
            .strip_prefix(",-")
            .or_else(|| after.strip_prefix(".-"))
            .or_else(|| after.strip_prefix(",--"))
            .unwrap_or(after);
        // "9€99": French shops put the symbol where the decimal point goes.
        if let Some(cents) = split_symbol_cents(after) {
            if amount.scale() == 0 {
                if let (Some(currency), Ok(c)) = (currency_marker(cents.0), cents.1.parse::<i64>())
                {
                    let value = amount + Decimal::new(c, 2);
                    let end = core_end + cents.0.len() + cents.1.len();
                    found.push((start, end, candidate(value, Some(currency))));
                    i = chars
                        .iter()
                        .position(|(b, _)| *b >= end)
                        .unwrap_or(chars.len());
                    continue;
                }
            }
        }
        let after_offset = text.len() - after.len();
        let prefix = prefix_marker(&text[..start]);
        let suffix = suffix_marker(after);
        // The amount's text ends after its suffix marker, so the words that
        // follow ("/kg", "shipping") are read as about it.
        let end = after_offset + suffix.map_or(0, |(_, _, len)| len);
        let currency = match (prefix, suffix) {
            (Some(a), Some((b, _, _))) if a.0 != b => continue,
            (_, Some((c, true, _))) => {
                if amount.scale() > 0 {
                    continue;
                }
                found.push((
                    start,
                    end,
                    candidate(amount / Decimal::ONE_HUNDRED, Some(c)),
                ));
                continue;
            }
            (Some((c, _)), _) | (None, Some((c, false, _))) => Some(c),
            (None, None) => None,
        };
        found.push((start, end, candidate(amount, currency)));
    }

    // Labels from the words just before each amount, units from just after,
    // and ranges from what joins two amounts.
    let mut out: Vec<Candidate> = Vec::with_capacity(found.len());
    let mut previous_used_after = false;
    for (k, (start, end, mut cand)) in found.iter().copied().enumerate() {
        let before_start = if k == 0 { 0 } else { found[k - 1].1 };
        let mut before = text[before_start..start].to_lowercase();
        if previous_used_after {
            // "£5 off! £19.99": "off" was about £5.
            let trimmed = before.trim_start();
            let first_len = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
            before = trimmed[first_len..].to_owned();
        }
        let after_end = found.get(k + 1).map_or(text.len(), |n| n.0);
        let after = text[end..after_end].to_lowercase();
        let (mut label, used_after) = label(&before, &after);
        if is_multibuy(&text[..start]) {
            label = Label::Extra;
        }
        cand.label = label;
        previous_used_after = used_after;
        cand.range_start =
            k + 1 < found.len() && cand.label != Label::Was && is_range_joiner(&after);
        out.push(cand);
    }
    // A currency written once for a range ("10 - 20 GBP", "EUR 10 - 20")
    // belongs to both ends.
    for k in 0..out.len().saturating_sub(1) {
        if out[k].range_start {
            match (out[k].currency, out[k + 1].currency) {
                (None, Some(c)) => out[k].currency = Some(c),
                (Some(c), None) => out[k + 1].currency = Some(c),
                _ => {}
            }
        }
    }
    out
}

fn candidate(amount: Decimal, currency: Option<Currency>) -> Candidate {
    Candidate {
        amount,
        currency,
        label: Label::Plain,
        range_start: false,
    }
}

/// `€99` right after the units of "9€99": the symbol and two cent digits.
fn split_symbol_cents(after: &str) -> Option<(&str, &str)> {
    let symbol = after
        .chars()
        .next()
        .filter(|c| matches!(c, '€' | '£' | '$'))?;
    let rest = &after[symbol.len_utf8()..];
    let digits = rest
        .get(..2)
        .filter(|d| d.chars().all(|c| c.is_ascii_digit()))?;
    if rest[2..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((&after[..symbol.len_utf8()], digits))
}

/// "2 for £20", "3 für 10 €": the text before an amount ends in a count
/// and "for".
fn is_multibuy(before: &str) -> bool {
    let lower = before.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && currency_marker(w).is_none())
        .collect();
    matches!(words.as_slice(), [.., count, "for" | "für" | "pour"] if count.chars().all(|c| c.is_ascii_digit()))
}

/// `£10 - £20`, `10 to 20`, `€10–€20`, `EUR 10 - 20`: the text between two
/// amounts is only a dash or a "to", once currency markers are removed.
fn is_range_joiner(between: &str) -> bool {
    let words: Vec<&str> = between
        .split_whitespace()
        .filter(|w| currency_marker(w).is_none())
        .collect();
    let rest: String = words
        .join(" ")
        .chars()
        .filter(|c| !"£€$¥₹".contains(*c))
        .collect();
    matches!(rest.trim(), "-" | "to" | "bis" | "à" | "~" | "au")
}

/// Characters that can sit right before a digit as part of a currency
/// (`US$12`, `£12`), unlike letters of a word (`ps5`).
fn is_glued_marker_char(c: char) -> bool {
    matches!(c, '$' | '£' | '€' | '¥' | '₹' | '₩' | '₺')
}

/// A currency just before an amount: `£`, `US$`, `GBP `, `EUR `, `CHF `, `kr `.
fn prefix_marker(before: &str) -> Option<(Currency, bool)> {
    let trimmed = before.trim_end();
    let word: String = trimmed
        .chars()
        .rev()
        .take_while(|c| {
            !c.is_whitespace() && !c.is_ascii_digit() && !matches!(c, '(' | ':' | '-' | '/')
        })
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if word.is_empty() {
        return None;
    }
    // "Was£20" or "now:£20": the marker is the tail after letters.
    for start in word.char_indices().map(|(i, _)| i) {
        let tail = &word[start..];
        if let Some(c) = currency_marker(tail) {
            let is_symbol = tail.chars().any(|c| !c.is_alphabetic());
            if is_symbol || start == 0 {
                return Some((c, false));
            }
        }
    }
    None
}

/// A currency just after an amount: `€`, ` EUR`, ` kr`, `p` (pence, glued).
/// Returns the currency, whether it is pence, and how many bytes it spans.
/// A symbol glued to the next number ("2 £12.99") belongs to that number.
fn suffix_marker(after: &str) -> Option<(Currency, bool, usize)> {
    if let Some(rest) = after.strip_prefix('p') {
        if rest.chars().next().is_none_or(|c| !c.is_alphanumeric()) {
            return Some((Currency::GBP, true, 1));
        }
    }
    let leading = after.len() - after.trim_start().len();
    let word: String = after
        .trim_start()
        .chars()
        .take_while(|c| {
            !c.is_whitespace()
                && !c.is_ascii_digit()
                && !matches!(c, ')' | ',' | ';' | '/' | '*' | '!')
        })
        .collect();
    let rest = &after[leading + word.len()..];
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let word_len = word.len();
    let word = word.trim_end_matches(['.', ':']);
    if word.is_empty() {
        return None;
    }
    currency_marker(word).map(|c| (c, false, leading + word_len))
}

/// What an amount is, from the words before and after it. The flag says
/// the label came from the words after, which then belong to this amount.
fn label(before: &str, after: &str) -> (Label, bool) {
    let after_trim = after.trim_start();
    let after_words: Vec<&str> = after_trim
        .split(|c: char| !c.is_alphanumeric() && c != '&')
        .filter(|w| !w.is_empty())
        .collect();
    let first_after = after_words.first().copied().unwrap_or("");
    if after_trim.starts_with('/')
        || after_trim.starts_with("per ")
        || after_trim.starts_with("pro ")
    {
        return (Label::Unit, true);
    }
    if matches!(
        first_after,
        "each" | "ea" | "kg" | "per" | "100g" | "ml" | "100ml" | "litre" | "liter" | "month" | "mo"
    ) {
        return (Label::Unit, true);
    }
    // "£29.17 a month", "9,99 € im Monat": a recurring payment.
    if after_words.iter().take(2).any(|w| {
        matches!(
            *w,
            "month"
                | "monthly"
                | "monat"
                | "mois"
                | "week"
                | "weekly"
                | "year"
                | "yearly"
                | "annually"
        )
    }) {
        return (Label::Unit, true);
    }
    // "£12.99 + P&P": what follows a plus is about the extra, not this amount.
    if EXTRA_AFTER.contains(&first_after) && !after_trim.starts_with('+') {
        return (Label::Extra, true);
    }
    let ex_vat = after_words
        .iter()
        .take(3)
        .any(|w| matches!(*w, "vat" | "tax" | "mwst" | "tva"));
    if matches!(first_after, "ex" | "excl" | "exkl") && ex_vat {
        return (Label::ExVat, true);
    }
    if matches!(first_after, "off" | "saving" | "discount") {
        return (Label::Saving, true);
    }

    let trimmed_before = before.trim_end();
    if trimmed_before.ends_with('+') || trimmed_before.ends_with('=') {
        // "+ £4.99 shipping", "1 kg = 9,99 €"
        return (
            if trimmed_before.ends_with('+') {
                Label::Extra
            } else {
                Label::Unit
            },
            false,
        );
    }
    let words: Vec<&str> = before
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && currency_marker(w).is_none())
        .collect();
    let Some(last) = words.last().copied() else {
        return (Label::Plain, false);
    };
    let second_last = words.len().checked_sub(2).map(|i| words[i]);
    let before_price = if matches!(last, "price" | "preis" | "prix") {
        second_last
    } else {
        None
    };
    if let Some(word) = before_price {
        if WAS_PRICE_WORDS.contains(&word) {
            return (Label::Was, false);
        }
    }
    if SAVE_WORDS.contains(&last) || second_last.is_some_and(|w| SAVE_WORDS.contains(&w)) {
        return (Label::Saving, false);
    }
    if EXTRA_WORDS.contains(&last) || second_last.is_some_and(|w| EXTRA_WORDS.contains(&w)) {
        return (Label::Extra, false);
    }
    if WAS_WORDS.contains(&last)
        || second_last.is_some_and(|w| WAS_WORDS.contains(&w) || w == "rrp")
    {
        return (Label::Was, false);
    }
    // "Reduced from £399.99 to £349.99", "down from £20".
    if last == "from"
        && second_last.is_some_and(|w| matches!(w, "reduced" | "down" | "cut" | "dropped"))
    {
        return (Label::Was, false);
    }
    if matches!(last, "barré" | "barre" | "durchgestrichen") {
        return (Label::Was, false);
    }
    if FROM_WORDS.contains(&last)
        || (last == "low" && second_last == Some("as"))
        || second_last == Some("from")
    {
        return (Label::From, false);
    }
    if NOW_WORDS.contains(&last)
        || second_last.is_some_and(|w| matches!(w, "now" | "jetzt" | "sale"))
    {
        return (Label::Now, false);
    }
    if UNIT_WORDS.contains(&last) {
        return (Label::Unit, false);
    }
    (Label::Plain, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_pick_the_price_paid() {
        let r = read_price("Was £24.99 Now £19.99").unwrap();
        assert_eq!(r.price.amount, Decimal::new(1999, 2));
        assert_eq!(r.was.unwrap().amount, Decimal::new(2499, 2));
        let r = read_price("£2.00 (£1.00/kg)").unwrap();
        assert_eq!(r.price.amount, Decimal::new(200, 2));
        let r = read_price("from £9.99").unwrap();
        assert_eq!(r.price.amount, Decimal::new(999, 2));
        assert_eq!(
            read_price("Save £5! Now £15").unwrap().price.amount,
            Decimal::from(15)
        );
    }
}
