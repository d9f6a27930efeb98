//! Property tests for the command parser: it never panics whatever it is
//! given, and what it reads back is what was written, in every spelling.
//!
//! The case count follows `PROPTEST_CASES` (proptest's own variable), so a
//! long run is `PROPTEST_CASES=1000000 cargo test --release --test parse_props`.

use dealwatch::command::{parse, Command, Problem, MAX_INPUT_CHARS};
use dealwatch::money::Currency;
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Text that looks like what reaches a chat bot: commands, prices, links,
/// separators, emoji, RTL, control and invisible characters.
fn chatty_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("watch".to_owned()),
        Just("alert".to_owned()),
        Just("/quiet@Bot".to_owned()),
        Just("digest".to_owned()),
        Just("https://shop.example/p/1".to_owned()),
        Just("below".to_owned()),
        Just("£".to_owned()),
        Just("€1.299,00".to_owned()),
        Just("-".to_owned()),
        Just("%".to_owned()),
        Just("#".to_owned()),
        Just("between".to_owned()),
        Just("in".to_owned()),
        Just("score".to_owned()),
        "[0-9.,'’ ]{1,12}",
        "[a-zA-Z]{1,10}",
        "\\PC{1,8}",
        any::<char>().prop_map(String::from),
        Just("\u{202e}".to_owned()),
        Just("\u{200b}".to_owned()),
        Just("🎉".to_owned()),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.join(" "))
}

fn format_amount(cents: u64, style: u8) -> String {
    let (units, fraction) = (cents / 100, cents % 100);
    let digits = units.to_string();
    let group = |sep: &str| {
        let mut out = String::new();
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push_str(sep);
            }
            out.push(d);
        }
        out
    };
    match style % 4 {
        0 => format!("{digits}.{fraction:02}"),
        1 => format!("{}.{fraction:02}", group(",")),
        2 => format!("{},{fraction:02}", group(".")),
        _ => format!("{}.{fraction:02}", group("'")),
    }
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC{0,300}") {
        let _ = parse(&text);
    }

    #[test]
    fn never_panics_on_chat_like_text(text in chatty_text()) {
        let _ = parse(&text);
    }

    #[test]
    fn only_overlong_messages_are_refused_as_too_long(len in 0usize..9000) {
        let text = "w".repeat(len);
        let too_long = matches!(parse(&text), Err(e) if matches!(e.problem, Problem::TooLong { .. }));
        prop_assert_eq!(too_long, len > MAX_INPUT_CHARS);
    }

    #[test]
    fn watch_targets_read_back_exactly(cents in 1u64..100_000_000_000, style in 0u8..4, symbol in 0u8..6) {
        let number = format_amount(cents, style);
        let (price, currency) = match symbol {
            0 => (number.clone(), None),
            1 => (format!("£{number}"), Some(Currency::GBP)),
            2 => (format!("{number} EUR"), Some(Currency::EUR)),
            3 => (format!("{number}€"), Some(Currency::EUR)),
            4 => (format!("${number}"), Some(Currency::USD)),
            _ => (format!("GBP {number}"), Some(Currency::GBP)),
        };
        let parsed = parse(&format!("watch https://shop.example/p/1 below {price}"));
        let Ok(Command::Watch(spec)) = parsed else {
            return Err(TestCaseError::fail(format!("{price}: {parsed:?}")));
        };
        let target = spec.target.expect("target");
        prop_assert_eq!(target.amount, Decimal::new(cents as i64, 2), "{}", price);
        prop_assert_eq!(target.currency, currency);
    }

    #[test]
    fn command_words_ignore_case_slashes_bot_names_and_spacing(
        idx in 0usize..8,
        upper in prop::collection::vec(any::<bool>(), 16),
        slash in any::<bool>(),
        bot in any::<bool>(),
        pad in "[ \t]{0,3}",
    ) {
        let canonical = ["list", "help", "plan", "settings", "billing", "pause 3", "quiet off", "cap 5"][idx];
        let (word, rest) = canonical.split_once(' ').unwrap_or((canonical, ""));
        let cased: String = word
            .chars()
            .zip(upper.iter().cycle())
            .map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c })
            .collect();
        let variant = format!(
            "{pad}{}{cased}{}{pad} {rest}{pad}",
            if slash { "/" } else { "" },
            if bot { "@DealwatchBot" } else { "" },
        );
        prop_assert_eq!(parse(&variant), parse(canonical), "{:?}", variant);
    }

    #[test]
    fn alert_words_are_kept_and_exclusions_separated(
        words in prop::collection::btree_set("[a-z][a-z0-9]{1,8}", 1..6),
        excluded in prop::collection::btree_set("[a-z][a-z0-9]{1,8}", 0..4),
    ) {
        let skip = ["a", "an", "the", "and", "or", "for", "me", "of", "with", "deals", "deal", "price",
            "in", "category", "cat", "score", "rating", "condition", "cond", "state", "not", "without",
            "except", "excluding", "ohne", "sans", "under", "below", "max", "upto", "beneath", "unter",
            "sous", "over", "above", "min", "atleast", "between", "up", "at", "minscore"];
        // Words the parser treats as filler or keywords are not search
        // words, nor is a word it reads otherwise on its own ("max5" is a
        // price): the property is about keeping words together, in order.
        let alone = |w: &str| {
            matches!(parse(&format!("alert {w}")), Ok(Command::Alert(r)) if r.words == [w])
        };
        let words: Vec<_> = words
            .into_iter()
            .filter(|w| !skip.contains(&w.as_str()) && !dealwatch::command::is_filler(w) && alone(w))
            .collect();
        prop_assume!(!words.is_empty());
        let mut text = format!("alert {}", words.join(" "));
        for e in &excluded {
            text.push_str(&format!(" -{e}"));
        }
        // A trailing "to WORD" may name a community: `plain` is the alert.
        let rule = match parse(&text) {
            Ok(Command::Alert(rule) | Command::AlertTo { plain: rule, .. }) => rule,
            _ => return Err(TestCaseError::fail(text)),
        };
        prop_assert_eq!(&rule.words, &words);
        prop_assert_eq!(rule.excluded, excluded.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn ids_read_back_in_every_separator_style(ids in prop::collection::btree_set(1u32..1_000_000, 1..10), style in 0u8..3) {
        let ids: Vec<u32> = ids.into_iter().collect();
        let list: Vec<String> = ids.iter().map(|n| format!("#{n}")).collect();
        let joined = match style {
            0 => list.join(" "),
            1 => list.join(","),
            _ => list.join(", "),
        };
        let Ok(Command::Delete(parsed)) = parse(&format!("delete {joined}")) else {
            return Err(TestCaseError::fail(joined));
        };
        prop_assert_eq!(parsed.iter().map(|n| n.get()).collect::<Vec<_>>(), ids);
    }
}
