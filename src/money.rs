//! Purpose: money as people write it, and as we store and show it.
//!
//! Amounts are [`Decimal`]s, never floats, and always travel with an ISO 4217
//! [`Currency`]. A price a user types may leave the currency out ("below 40"):
//! that is a [`PriceSpec`] whose currency is settled later against the
//! product's own currency.
//!
//! The number grammar accepts both separator conventions (`1,299.00` and
//! `1.299,00`), spaces, non-breaking spaces and apostrophes as grouping
//! (`1 299,00`, `1'299.00`), `1.299,-`, and currency symbols, ISO codes or
//! words on either side (`£40`, `40 GBP`, `40€`, `EUR 40`, `99p`).

use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

pub use iso_currency::Currency;

/// The largest amount we accept anywhere: prices above this are typos or
/// hostile input, and keeping them out keeps arithmetic far from overflow.
const MAX_AMOUNT_DIGITS: usize = 12;
/// Fraction digits we keep; real prices use at most 3 (BHD, KWD) but unit
/// prices sometimes show 4.
const MAX_FRACTION_DIGITS: usize = 4;

/// An exact amount of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Money {
        Money { amount, currency }
    }
}

/// A price as a user wrote it: the currency may be left for context to fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceSpec {
    pub amount: Decimal,
    pub currency: Option<Currency>,
}

impl PriceSpec {
    /// The currency this price is in, given the currency the context implies
    /// (the product's, or the user's usual one).
    pub fn in_context(self, context: Currency) -> Money {
        Money::new(self.amount, self.currency.unwrap_or(context))
    }
}

/// Why a piece of text is not a price.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("no number in {0:?}")]
    NoNumber(String),
    #[error("{0:?} is not a number we can read")]
    BadNumber(String),
    #[error("{0:?} is not a currency we know")]
    UnknownCurrency(String),
    #[error("two different currencies in {0:?}")]
    MixedCurrencies(String),
    #[error("{0:?} is too large to be a price")]
    TooLarge(String),
    #[error("prices cannot be negative")]
    Negative,
}

/// Read a price written by a person, e.g. `£40`, `40 GBP`, `€1.299,00`,
/// `1,299.00`, `$12.5`, `99p`, `40 quid`.
pub fn parse_price(text: &str) -> Result<PriceSpec, MoneyError> {
    let text = text.trim();
    let Some(start) = text.find(|c: char| c.is_ascii_digit()) else {
        return Err(MoneyError::NoNumber(text.to_owned()));
    };
    // The numeric core runs from the first digit over digits and separators.
    let end = text[start..]
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || is_separator(c)))
        .map_or(text.len(), |(i, _)| start + i);
    let prefix = text[..start].trim();
    let core = &text[start..end];
    let mut suffix = text[end..].trim();

    if prefix.ends_with('-') || prefix.ends_with('−') {
        let before = prefix.trim_end_matches(['-', '−']).trim();
        if before.is_empty() || currency_marker(before).is_some() {
            return Err(MoneyError::Negative);
        }
    }
    // `1.299,-` and `12,–`: a dash after the separator means "no pence".
    let mut core = core.trim_end_matches(is_separator);
    if let Some(rest) = suffix.strip_prefix(['-', '–', '—']) {
        suffix = rest.trim();
    }
    core = core.trim();

    let mut currency = None;
    let mut pence = false;
    for (marker, after_number) in [(prefix, false), (suffix, true)] {
        if marker.is_empty() {
            continue;
        }
        let found = if marker == "p" && after_number {
            pence = true;
            Currency::GBP
        } else {
            currency_marker(marker).ok_or_else(|| MoneyError::UnknownCurrency(marker.to_owned()))?
        };
        match currency {
            Some(existing) if existing != found => {
                return Err(MoneyError::MixedCurrencies(text.to_owned()));
            }
            _ => currency = Some(found),
        }
    }

    let mut amount = parse_amount(core)?;
    if pence {
        if amount.scale() > 0 {
            return Err(MoneyError::BadNumber(text.to_owned()));
        }
        amount /= Decimal::ONE_HUNDRED;
    }
    Ok(PriceSpec { amount, currency })
}

/// Characters that can separate groups or decimals inside a number.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | '\'' | '’' | ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}'
    )
}

/// Read the digits-and-separators core of a price, deciding which separator
/// is the decimal point.
pub fn parse_amount(core: &str) -> Result<Decimal, MoneyError> {
    let bad = || MoneyError::BadNumber(core.to_owned());
    // Spaces and apostrophes only ever group thousands.
    let compact: String = core
        .chars()
        .filter(|&c| !matches!(c, '\'' | '’' | ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}'))
        .collect();
    if compact.is_empty() || !compact.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(bad());
    }
    let last_dot = compact.rfind('.');
    let last_comma = compact.rfind(',');
    let decimal_sep = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(if d > c { '.' } else { ',' }),
        (Some(_), None) => single_separator_role(&compact, '.'),
        (None, Some(_)) => single_separator_role(&compact, ','),
        (None, None) => None,
    };
    let (int_part, frac_part) = match decimal_sep {
        Some(sep) => {
            let at = compact.rfind(sep).ok_or_else(bad)?;
            (&compact[..at], &compact[at + 1..])
        }
        None => (compact.as_str(), ""),
    };
    if frac_part.contains(['.', ',']) || frac_part.len() > MAX_FRACTION_DIGITS {
        return Err(bad());
    }
    let digits = ungroup(int_part).ok_or_else(bad)?;
    if digits.trim_start_matches('0').len() > MAX_AMOUNT_DIGITS {
        return Err(MoneyError::TooLarge(core.to_owned()));
    }
    let normalised = if frac_part.is_empty() {
        digits
    } else {
        format!("{digits}.{frac_part}")
    };
    Decimal::from_str(&normalised).map_err(|_| bad())
}

/// With only one kind of separator, decide whether it is the decimal point:
/// twice or more it groups (`1.299.000`); once with exactly three digits
/// after it groups too (`1,299`, `1.299`) unless the integer part is zero.
fn single_separator_role(number: &str, sep: char) -> Option<char> {
    if number.matches(sep).count() > 1 {
        return None;
    }
    let at = number.find(sep)?;
    let (int_part, frac) = (&number[..at], &number[at + 1..]);
    if frac.len() == 3 && !int_part.trim_start_matches('0').is_empty() {
        None
    } else {
        Some(sep)
    }
}

/// Remove grouping separators from an integer part, checking that the
/// groups are plausible (1-3 leading digits, then groups of 2 or 3 ending
/// in a group of 3: Western and Indian grouping both pass).
fn ungroup(int_part: &str) -> Option<String> {
    let groups: Vec<&str> = int_part.split(['.', ',']).collect();
    let (first, rest) = groups.split_first()?;
    if first.is_empty() || !first.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !rest.is_empty() {
        if first.len() > 3 {
            return None;
        }
        for (i, g) in rest.iter().enumerate() {
            let last = i + 1 == rest.len();
            let ok_len = if last {
                g.len() == 3
            } else {
                (2..=3).contains(&g.len())
            };
            if !ok_len || !g.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
        }
    }
    Some(groups.concat())
}

/// A currency written as a symbol, ISO code or word, in any case.
pub fn currency_marker(marker: &str) -> Option<Currency> {
    let lower = marker.trim().trim_end_matches('.').to_lowercase();
    let by_symbol = match lower.as_str() {
        "£" | "gbp" | "quid" | "pound" | "pounds" | "pound sterling" | "sterling" => Currency::GBP,
        "€" | "eur" | "euro" | "euros" => Currency::EUR,
        "$" | "us$" | "usd" | "dollar" | "dollars" | "bucks" => Currency::USD,
        "a$" | "au$" => Currency::AUD,
        "c$" | "ca$" => Currency::CAD,
        "nz$" => Currency::NZD,
        "hk$" => Currency::HKD,
        "r$" => Currency::BRL,
        "¥" | "円" => Currency::JPY,
        "₹" | "rs" => Currency::INR,
        "zł" => Currency::PLN,
        "kč" => Currency::CZK,
        "₩" => Currency::KRW,
        "₺" => Currency::TRY,
        "fr" | "chf" => Currency::CHF,
        code if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) => {
            return Currency::from_code(&code.to_ascii_uppercase());
        }
        _ => return None,
    };
    Some(by_symbol)
}

/// How one locale writes numbers and amounts of money.
#[derive(Debug, Clone, Copy)]
pub struct NumberStyle {
    pub group: &'static str,
    pub decimal: char,
    /// `£40.00` (true) or `40,00 £` (false).
    pub symbol_first: bool,
    /// The space between a number and `%`, empty in English.
    pub percent_space: &'static str,
}

impl NumberStyle {
    pub const EN: NumberStyle = NumberStyle {
        group: ",",
        decimal: '.',
        symbol_first: true,
        percent_space: "",
    };
    pub const DE: NumberStyle = NumberStyle {
        group: ".",
        decimal: ',',
        symbol_first: false,
        percent_space: " ",
    };
    // French groups with a (narrow) space; a plain one keeps SMS in GSM-7.
    pub const FR: NumberStyle = NumberStyle {
        group: " ",
        decimal: ',',
        symbol_first: false,
        percent_space: " ",
    };

    /// Format an amount with the currency's own number of decimals.
    pub fn money(&self, money: Money) -> String {
        let places = u32::from(money.currency.exponent().unwrap_or(2));
        let number = self.decimal_number(money.amount, places);
        match currency_symbol(money.currency) {
            Some(symbol) if self.symbol_first => format!("{symbol}{number}"),
            Some(symbol) => format!("{number} {symbol}"),
            None if self.symbol_first => format!("{} {number}", money.currency.code()),
            None => format!("{number} {}", money.currency.code()),
        }
    }

    /// Format a percentage with at most one decimal: `12.5%`, `12,5 %`.
    pub fn percent(&self, value: Decimal) -> String {
        let rounded = value.round_dp(1).normalize();
        let places = rounded.scale();
        format!(
            "{}{}%",
            self.decimal_number(rounded, places),
            self.percent_space
        )
    }

    /// A plain number with grouping, for counts and amounts without a currency.
    pub fn number(&self, value: Decimal) -> String {
        let normalised = value.normalize();
        self.decimal_number(normalised, normalised.scale())
    }

    fn decimal_number(&self, amount: Decimal, places: u32) -> String {
        let rounded = amount.round_dp(places);
        let text = format!("{:.*}", places as usize, rounded.abs());
        let (int_part, frac) = text.split_once('.').unwrap_or((&text, ""));
        let mut grouped = String::with_capacity(text.len() + 4);
        for (i, digit) in int_part.chars().enumerate() {
            if i > 0 && (int_part.len() - i) % 3 == 0 {
                grouped.push_str(self.group);
            }
            grouped.push(digit);
        }
        if !frac.is_empty() {
            grouped.push(self.decimal);
            grouped.push_str(frac);
        }
        if rounded.is_sign_negative() && !rounded.is_zero() {
            grouped.insert(0, '-');
        }
        grouped
    }
}

/// The symbol people recognise without ambiguity; other currencies show
/// their ISO code (`CHF 12.00`), which no reader can misread.
fn currency_symbol(currency: Currency) -> Option<&'static str> {
    match currency {
        Currency::GBP => Some("£"),
        Currency::EUR => Some("€"),
        Currency::USD => Some("$"),
        Currency::JPY => Some("¥"),
        Currency::INR => Some("₹"),
        _ => None,
    }
}

impl fmt::Display for Money {
    /// Locale-neutral form for logs and JSON: `40.00 GBP`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let places = u32::from(self.currency.exponent().unwrap_or(2));
        write!(
            f,
            "{:.*} {}",
            places as usize,
            self.amount.round_dp(places),
            self.currency.code()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn prices_people_type() {
        let cases: &[(&str, &str, Option<Currency>)] = &[
            ("40", "40", None),
            ("£40", "40", Some(Currency::GBP)),
            ("40 GBP", "40", Some(Currency::GBP)),
            ("40gbp", "40", Some(Currency::GBP)),
            ("€1.299,00", "1299.00", Some(Currency::EUR)),
            ("1,299.00", "1299.00", None),
            ("$12.5", "12.5", Some(Currency::USD)),
            ("1.299,-", "1299", None),
            ("1 299,00 €", "1299.00", Some(Currency::EUR)),
            ("1'299.50 CHF", "1299.50", Some(Currency::CHF)),
            ("99p", "0.99", Some(Currency::GBP)),
            ("40 quid", "40", Some(Currency::GBP)),
            ("0.999", "0.999", None),
            ("12,99€", "12.99", Some(Currency::EUR)),
            ("EUR 15", "15", Some(Currency::EUR)),
            ("1,29,900 ₹", "129900", Some(Currency::INR)),
            ("£ 40.00", "40.00", Some(Currency::GBP)),
            ("1.299", "1299", None),
            ("1,299", "1299", None),
            ("0,5", "0.5", None),
            ("5.", "5", None),
        ];
        for (input, amount, currency) in cases {
            let got = parse_price(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(got.amount, dec(amount), "{input}");
            assert_eq!(got.currency, *currency, "{input}");
        }
    }

    #[test]
    fn things_that_are_not_prices() {
        for input in [
            "",
            "abc",
            "£",
            "-5",
            "-£5",
            "£-5",
            "12.34.56,7,8",
            "1,2,3",
            "£40 €",
            "40 xyz",
            "9999999999999",
            "1.23456",
            "$5€",
            "1.5p",
            ",5",
        ] {
            assert!(parse_price(input).is_err(), "{input:?} parsed");
        }
    }

    #[test]
    fn money_is_formatted_for_the_locale() {
        let gbp = Money::new(dec("1299"), Currency::GBP);
        let eur = Money::new(dec("1299.5"), Currency::EUR);
        let jpy = Money::new(dec("12000"), Currency::JPY);
        let chf = Money::new(dec("9.9"), Currency::CHF);
        assert_eq!(NumberStyle::EN.money(gbp), "£1,299.00");
        assert_eq!(NumberStyle::DE.money(eur), "1.299,50 €");
        assert_eq!(NumberStyle::FR.money(eur), "1 299,50 €");
        assert_eq!(NumberStyle::EN.money(jpy), "¥12,000");
        assert_eq!(NumberStyle::EN.money(chf), "CHF 9.90");
        assert_eq!(NumberStyle::DE.money(chf), "9,90 CHF");
        assert_eq!(NumberStyle::EN.percent(dec("12.50")), "12.5%");
        assert_eq!(NumberStyle::DE.percent(dec("15")), "15 %");
        assert_eq!(gbp.to_string(), "1299.00 GBP");
    }
}
