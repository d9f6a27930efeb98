//! Purpose: `watch URL [below PRICE] [drop N%] [instock]`, and a bare URL.
//!
//! People write the options in any order and in their own words:
//! `watch https://shop.example/p/1 below £40`, `https://shop.example/p/1 £40`,
//! `track shop.example/p/1 when the price drops below 40 GBP or 10% off`,
//! `watch <https://shop.example/p/1> back in stock`.

use super::{glued_price, ParseError, Problem};
use crate::money::{self, PriceSpec};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Longest URL we accept; real product URLs are far shorter.
pub const MAX_URL_LEN: usize = 2048;

/// A product page to watch and what should trigger an alert. With no
/// trigger at all, any price drop does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchSpec {
    /// Absolute http(s) URL, syntactically checked; canonicalised later.
    pub url: String,
    /// Alert when the price is at or below this.
    pub target: Option<PriceSpec>,
    /// Alert when the price falls by at least this many percent.
    pub drop_percent: Option<Decimal>,
    /// Alert when the product comes back in stock.
    pub back_in_stock: bool,
}

const TARGET_WORDS: &[&str] = &[
    "below",
    "under",
    "<",
    "<=",
    "≤",
    "max",
    "at",
    "for",
    "target",
    "to",
    "beneath",
    "unter",
    "sous",
    "moins",
    "bis",
    "höchstens",
    "maximal",
    "maximum",
    "jusqu'à",
];
/// In a sentence, words that turn a price around ("above £30", "not
/// below"): such a sentence gets no reading rather than the wrong one.
const REVERSING_WORDS: &[&str] = &[
    "above", "over", "more", "higher", "exceeds", "not", "never", "über", "mehr", "höher", "nicht",
    "nie", "plus", "dessus", "pas", "jamais",
];
/// Words between a price word and the price ("less than", "weniger als",
/// "moins cher que", "en dessous de").
const PRICE_LINKS: &[&str] = &["than", "de", "als", "que", "cher", "dessous", "of", "d'"];
const DROP_WORDS: &[&str] = &[
    "drop", "drops", "dropped", "down", "off", "falls", "fall", "reduced",
];
const STOCK_WORDS: &[&str] = &[
    "instock",
    "in-stock",
    "restock",
    "restocked",
    "restocks",
    "available",
    "availability",
    "lager",
    "verfügbar",
    "lieferbar",
    "erhältlich",
    "disponibles",
    "vorrätig",
    "disponible",
    "dispo",
];
const FILLER_WORDS: &[&str] = &[
    "when",
    "if",
    "once",
    "price",
    "it",
    "its",
    "it's",
    "is",
    "goes",
    "gets",
    "hits",
    "reaches",
    "the",
    "a",
    "or",
    "and",
    "me",
    "alert",
    "notify",
    "tell",
    "please",
    "by",
    "of",
    "any",
    "back",
    "change",
    "changes",
    "than",
    "less",
    "only",
    "cheaper",
    "is",
    "becomes",
    "comes",
    "let",
    "know",
    "this",
    "page",
    "ping",
    "can",
    "you",
    "keep",
    "eye",
    "on",
    "an",
    "pls",
    "i",
    "want",
    "would",
    "like",
    "there", // German
    "sag",
    "sage",
    "mir",
    "bescheid",
    "wenn",
    "falls",
    "sobald",
    "der",
    "die",
    "das",
    "preis",
    "ist",
    "auf",
    "fällt",
    "sinkt",
    "wieder",
    "bitte",
    "benachrichtige",
    "mich",
    "dieses",
    "diesen",
    "produkt",
    "beobachte",
    "für", // French
    "préviens-moi",
    "previens-moi",
    "préviens",
    "dis-moi",
    "moi",
    "quand",
    "si",
    "le",
    "la",
    "les",
    "prix",
    "est",
    "passe",
    "descend",
    "baisse",
    "de",
    "nouveau",
    "en",
    "ce",
    "cet",
    "produit",
    "surveille",
    "pour",
    "svp",
    "stp",
    "dès",
    "que",
    "qu'il",
];

pub(super) fn parse(args: &[String]) -> Result<WatchSpec, ParseError> {
    parse_as(args, false)
}

/// A watch said in a sentence ("kannst du URL beobachten und mir sagen,
/// wann es unter 30 € ist"): the page, a price after a price word, a
/// percentage, back in stock; other words pass, except one that turns a
/// price around ("above", "nicht"), which leaves the sentence unread.
pub(super) fn parse_sentence(args: &[String]) -> Result<WatchSpec, ParseError> {
    let args: Vec<String> = args
        .iter()
        .map(|t| {
            if looks_like_url(t) {
                t.clone()
            } else {
                t.trim_end_matches(['?', '!', ',', ';', ':']).to_owned()
            }
        })
        .filter(|t| !t.is_empty())
        .collect();
    parse_as(&args, true)
}

fn parse_as(args: &[String], sentence: bool) -> Result<WatchSpec, ParseError> {
    let err = |problem| ParseError {
        command: "watch",
        problem,
    };
    let mut url = None;
    let mut target = None;
    let mut drop_percent = None;
    let mut back_in_stock = false;

    let mut i = 0;
    while i < args.len() {
        let token = &args[i];
        let lower = token.to_lowercase();
        i += 1;

        if looks_like_url(token) || has_foreign_scheme(token) {
            if url.is_some() {
                return Err(err(Problem::TwoUrls));
            }
            url = Some(parse_url(token).map_err(err)?);
            continue;
        }
        if let Some(rest) = glued_price(&lower, TARGET_WORDS) {
            let (price, used) = take_price(rest, &args[i..]).map_err(err)?;
            target = Some(price);
            i += used;
            continue;
        }
        if TARGET_WORDS.contains(&lower.as_str()) {
            if i >= args.len() {
                return Err(err(Problem::BadPrice {
                    text: token.clone(),
                }));
            }
            // "less than 40", "moins de 40", "weniger als 40".
            if args[i..].len() > 1
                && matches!(args[i].to_lowercase().as_str(), "than" | "de" | "als")
            {
                i += 1;
            }
            while sentence
                && args[i..].len() > 1
                && PRICE_LINKS.contains(&args[i].to_lowercase().as_str())
            {
                i += 1;
            }
            // "to" and "at" are fillers too ("drops to £40" vs "goes to 10%").
            if let Ok((price, used)) = take_price("", &args[i..]) {
                target = Some(price);
                i += used;
                continue;
            }
            if matches!(lower.as_str(), "to" | "at" | "for") || sentence {
                continue;
            }
            return Err(err(Problem::BadPrice {
                text: args[i].clone(),
            }));
        }
        if let Some(pct) = parse_percent(&lower) {
            drop_percent = Some(pct.map_err(|()| {
                err(Problem::BadPercent {
                    text: token.clone(),
                })
            })?);
            continue;
        }
        if DROP_WORDS.contains(&lower.as_str()) {
            // "drop 10%", "drop 10 %", "drop 10"; otherwise a filler ("drops below £40").
            if let Some(next) = args.get(i).map(|t| t.to_lowercase()) {
                let with_sign = args.get(i + 1).filter(|t| t.as_str() == "%");
                if let Some(pct) = parse_percent(&next) {
                    drop_percent =
                        Some(pct.map_err(|()| err(Problem::BadPercent { text: next.clone() }))?);
                    i += 1;
                } else if next
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
                    && !next.is_empty()
                {
                    let pct = parse_percent(&format!("{next}%"))
                        .and_then(Result::ok)
                        .ok_or_else(|| err(Problem::BadPercent { text: next.clone() }))?;
                    drop_percent = Some(pct);
                    i += if with_sign.is_some() { 2 } else { 1 };
                }
            }
            continue;
        }
        if STOCK_WORDS.contains(&lower.as_str())
            || (lower == "in" && args.get(i).is_some_and(|t| t.eq_ignore_ascii_case("stock")))
            || lower == "stock"
            || (sentence
                && lower == "wieder"
                && args.get(i).is_some_and(|t| t.eq_ignore_ascii_case("da")))
        {
            back_in_stock = true;
            if lower == "in" || lower == "wieder" {
                i += 1;
            }
            continue;
        }
        // A word with the comma or stop a sentence puts after it is the
        // same filler ("bescheid," "please.").
        let bare = lower.trim_end_matches([',', '.', '!', '?', ';']);
        // "watch this one URL 👍": a word of filler, or no word at all.
        if FILLER_WORDS.contains(&bare)
            || lower == "%"
            || bare == "one"
            || (!token.is_empty()
                && !token.chars().any(char::is_alphanumeric)
                && money::currency_marker(token).is_none())
        {
            continue;
        }
        if sentence && REVERSING_WORDS.contains(&bare) {
            return Err(err(Problem::Unexpected {
                text: token.clone(),
            }));
        }
        // "baisse de 15 %": a number with its sign apart.
        if args.get(i).is_some_and(|t| t == "%") {
            if let Some(pct) = parse_percent(&format!("{lower}%")) {
                drop_percent = Some(pct.map_err(|()| {
                    err(Problem::BadPercent {
                        text: token.clone(),
                    })
                })?);
                i += 1;
                continue;
            }
        }
        if token.chars().any(|c| c.is_ascii_digit()) {
            let (price, used) = take_price(token, &args[i..]).map_err(err)?;
            if target.is_some() {
                return Err(err(Problem::Unexpected {
                    text: token.clone(),
                }));
            }
            target = Some(price);
            i += used;
            continue;
        }
        if sentence && token.chars().all(|c| !c.is_ascii_digit()) {
            continue;
        }
        return Err(err(Problem::Unexpected {
            text: token.clone(),
        }));
    }

    let url = url.ok_or_else(|| err(Problem::MissingUrl))?;
    Ok(WatchSpec {
        url,
        target,
        drop_percent,
        back_in_stock,
    })
}

/// Read a price starting with `head` (may be empty) and continuing over the
/// following tokens when the currency stands apart: `£ 40`, `40 GBP`,
/// `40 quid`. Returns the price and how many of `rest` it used.
pub(super) fn take_price(head: &str, rest: &[String]) -> Result<(PriceSpec, usize), Problem> {
    let mut text = head.to_owned();
    let mut used = 0;
    // The number may follow in the next tokens: "below 40", "below £ 40", "below EUR 40".
    while (text.is_empty() || money::currency_marker(&text).is_some())
        && used < rest.len()
        && used < 2
    {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&rest[used]);
        used += 1;
    }
    // A currency written apart after the number: "40 GBP", "40 quid".
    if let Some(next) = rest.get(used) {
        let next = next.trim_end_matches(['!', '?', ',', ';', ':']);
        let bare_number = matches!(money::parse_price(&text), Ok(p) if p.currency.is_none());
        if bare_number && money::currency_marker(next).is_some() {
            text.push(' ');
            text.push_str(next);
            used += 1;
        }
    }
    let text = text.trim_end_matches(['!', '?', ',', ';', ':']);
    match money::parse_price(text) {
        Ok(price) if !price.amount.is_zero() => Ok((price, used)),
        Err(money::MoneyError::MixedCurrencies(_)) => Err(Problem::MixedCurrencies),
        _ => Err(Problem::BadPrice {
            text: text.to_owned(),
        }),
    }
}

/// `10%`, `-10%`, `10.5%`, `10,5%`: `None` if the token is not a percentage,
/// `Some(Err)` if it is one outside (0, 100).
fn parse_percent(token: &str) -> Option<Result<Decimal, ()>> {
    let number = token.strip_suffix('%')?.trim_start_matches(['-', '−']);
    if number.is_empty() {
        return None;
    }
    let value = Decimal::from_str(&number.replace(',', ".")).map_err(|_| ());
    Some(value.and_then(|v| {
        if v > Decimal::ZERO && v < Decimal::ONE_HUNDRED {
            Ok(v.normalize())
        } else {
            Err(())
        }
    }))
}

/// Drop what people wrap links in: `<…>` (Discord), quotes, and prose
/// punctuation after the link.
fn strip_wrapping(token: &str) -> &str {
    token
        .trim_start_matches(['<', '"', '\'', '(', '“', '‘', '«'])
        .trim_end_matches(['>', '"', '\'', ')', '”', '’', '»', '.', ',', ';', '!', '?'])
}

/// Whether a token is meant as a link: it has a scheme, starts with `www.`,
/// or is a host name with a path (`shop.example/item`).
pub(super) fn looks_like_url(token: &str) -> bool {
    let t = strip_wrapping(token).to_ascii_lowercase();
    if t.contains("://") || t.starts_with("www.") {
        return true;
    }
    let Some((host, _path)) = t.split_once('/') else {
        return false;
    };
    let host = host.split(':').next().unwrap_or(host);
    host.contains('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && host
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

/// `javascript:…`, `file:…`, `data:…`: schemes we must refuse by name.
fn has_foreign_scheme(token: &str) -> bool {
    let t = strip_wrapping(token).to_ascii_lowercase();
    [
        "javascript:",
        "data:",
        "file:",
        "ftp:",
        "mailto:",
        "gopher:",
        "vbscript:",
        "about:",
        "chrome:",
    ]
    .iter()
    .any(|s| t.starts_with(s))
}

/// Check a link syntactically: http or https, a host, no credentials.
/// Whether the host may be fetched (not inside our network) is decided by
/// the core's URL policy, which knows the configuration.
pub fn parse_url(token: &str) -> Result<String, Problem> {
    let text = strip_wrapping(token);
    if text.len() > MAX_URL_LEN {
        return Err(Problem::BadUrl {
            text: text.chars().take(80).collect(),
        });
    }
    let candidate = if text.contains("://") || has_foreign_scheme(text) {
        text.to_owned()
    } else {
        format!("https://{text}")
    };
    let url = url::Url::parse(&candidate).map_err(|_| Problem::BadUrl {
        text: text.chars().take(200).collect(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Problem::UnsupportedScheme {
            scheme: url.scheme().chars().take(20).collect(),
        });
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Problem::BadUrl {
            text: text.chars().take(200).collect(),
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Problem::UrlWithCredentials);
    }
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn urls_people_paste() {
        assert!(looks_like_url("https://shop.example/p/1"));
        assert!(looks_like_url("<https://shop.example/p/1>"));
        assert!(looks_like_url("www.shop.example"));
        assert!(looks_like_url("shop.example/p/1"));
        assert!(!looks_like_url("£40"));
        assert!(!looks_like_url("12.5/3"));
        assert_eq!(
            parse_url("shop.example/p/1").unwrap(),
            "https://shop.example/p/1"
        );
        assert_eq!(
            parse_url("javascript:alert(1)"),
            Err(Problem::UnsupportedScheme {
                scheme: "javascript".into()
            })
        );
        assert_eq!(
            parse_url("https://user:pw@shop.example/"),
            Err(Problem::UrlWithCredentials)
        );
    }

    #[test]
    fn options_in_any_order() {
        let spec = parse(&args("https://s.example/a drop 10% below £40 instock")).unwrap();
        assert_eq!(spec.target.unwrap().amount, Decimal::from(40));
        assert_eq!(spec.drop_percent, Some(Decimal::from(10)));
        assert!(spec.back_in_stock);
    }
}
