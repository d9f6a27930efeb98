//! Purpose: sentences people write instead of commands, read as the
//! command they mean, or not at all.
//!
//! [`super::parse`] asks here only when the command grammar has no
//! reading: the first word is not a command, or a command's arguments do
//! not fit it. A reading is given only when the sentence says clearly what
//! it wants (a page to watch, a deal search, which alerts to list or
//! delete); anything else stays unknown, so a question, a thank-you or a
//! complaint never creates a watch or an alert. A pure function: no store,
//! no network, microseconds.
//!
//! It reads English phrasings, and the common German and French ones
//! (their command words are aliases in [`super::table`]).

use super::prefs::parse_time;
use super::{alert, parse_ids, parse_one_id, watch, Command, ParseError};
use crate::model::{Digest, QuietHours, TimeOfDay, Weekday};

mod manage;
mod settings;
mod words;

use manage::*;
use settings::*;
use words::*;

/// The reading of a sentence, if it has a clear one: `Some(Ok)` a command,
/// `Some(Err)` a command it clearly means but with something wrong in it
/// (a watch with a bad price), `None` no reading.
pub(super) fn reading(tokens: &[String]) -> Option<Result<Command, ParseError>> {
    read(tokens, false)
}

/// [`reading`] of a sentence that is no command at all (its first word is
/// none): a product page in it is read leniently, its other words passed
/// over ([`watch::parse_sentence`]).
pub(super) fn sentence(tokens: &[String]) -> Option<Result<Command, ParseError>> {
    read(tokens, true)
}

fn read(tokens: &[String], lenient: bool) -> Option<Result<Command, ParseError>> {
    let words: Vec<String> = tokens.iter().map(|t| plain_word(t)).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    // A lone "?" or "!" (French puts a space before them) is no word.
    if words.iter().any(|w| w.is_empty()) {
        let kept: Vec<String> = tokens
            .iter()
            .filter(|t| !plain_word(t).is_empty())
            .cloned()
            .collect();
        return (!kept.is_empty()).then(|| read(&kept, lenient)).flatten();
    }

    // "any ps5 deals under 300? let me know": the ask at the end says
    // nothing about what to look for.
    if let Some(ask) = TRAILING_ASKS
        .iter()
        .find(|ask| words.len() > ask.len() && words.ends_with(ask))
    {
        let kept = &tokens[..tokens.len() - ask.len()];
        return read(kept, lenient);
    }
    // A sentence with a product page in it is about that page: a watch,
    // never a search for the words around it.
    if tokens.iter().any(|t| watch::looks_like_url(t)) {
        // A Discord webhook's URL is a community's, never a page to fetch.
        if tokens
            .iter()
            .any(|t| dealwatch_bots::discord_webhook::WebhookUrl::looks_like(t))
        {
            return None;
        }
        return watch::parse(tokens)
            .or_else(|e| {
                if lenient {
                    watch::parse_sentence(tokens)
                } else {
                    Err(e)
                }
            })
            .ok()
            .map(|spec| Ok(Command::Watch(spec)));
    }
    if let Some(rest) = after_opening(&words, DELETE_OPENINGS) {
        if words.first() == Some(&"cancel") {
            let rest: Vec<&str> = words[1..]
                .iter()
                .copied()
                .filter(|w| !matches!(*w, "my" | "the"))
                .collect();
            if !rest.is_empty() && rest.iter().all(|w| SUBSCRIPTION_WORDS.contains(w)) {
                return Some(Ok(Command::Billing));
            }
        }
        let ids: Vec<String> = tokens[tokens.len() - rest..]
            .iter()
            .filter(|t| !ITEM_WORDS.contains(&plain_word(t).as_str()))
            .cloned()
            .collect();
        if ids.is_empty() {
            return None;
        }
        if let Ok(ids) = parse_ids("delete", &ids) {
            return Some(Ok(Command::Delete(ids)));
        }
        // "remove the ps5 alert": the item named by its words, confirmed
        // by the conversation when more than one could be meant.
        let named: Vec<String> = ids.iter().map(|t| plain_word(t)).collect();
        // Only a sentence that speaks of an item ("cancel my dinner" does
        // not) names one.
        let speaks_of_items = words.iter().any(|w| {
            matches!(
                *w,
                "alarm"
                    | "alerte"
                    | "l'alerte"
                    | "surveiller"
                    | "beobachten"
                    | "alert"
                    | "alerts"
                    | "watch"
                    | "watches"
                    | "watching"
                    | "tracking"
                    | "rule"
                    | "rules"
                    | "item"
                    | "items"
            )
        });
        let plausible = speaks_of_items
            && named.len() <= MAX_NAMING_WORDS
            && named.iter().all(|w| {
                // Digits were meant as ids (and were wrong): the grammar's
                // error says so better than a search by them.
                !w.is_empty()
                    && !w.chars().all(|c| c.is_ascii_digit())
                    && w.chars().all(|c| c.is_alphanumeric() || c == '-')
                    && !NOT_A_PRODUCT.contains(&w.as_str())
                    && !NOT_A_NAME.contains(&w.as_str())
            });
        return plausible.then_some(Ok(Command::DeleteMatching(named)));
    }
    if let Some(reading) = stop_watching_reading(&words) {
        return Some(reading);
    }
    if let Some(reading) = pause_reading(&words) {
        return Some(Ok(reading));
    }
    if asks_for_list(&words) {
        return Some(Ok(Command::List));
    }
    if let Some(reading) = short_reading(&words) {
        return Some(Ok(reading));
    }
    if says_thanks(&words) {
        return Some(Ok(Command::Thanks));
    }
    if let Some(reading) = quiet_reading(&words)
        .or_else(|| digest_reading(&words))
        .or_else(|| zone_reading(&words, tokens))
        .or_else(|| history_reading(&words, tokens))
    {
        return Some(Ok(reading));
    }
    let sure = after_opening(&words, SEARCH_OPENINGS);
    let rest = sure.or_else(|| after_opening(&words, MAYBE_SEARCH_OPENINGS))?;
    let tail = &words[words.len() - rest..];
    if tail.iter().any(|w| NOT_A_PRODUCT.contains(w))
        || (sure.is_none() && !tail.iter().any(|w| DEAL_WORDS.contains(w)))
    {
        return None;
    }
    let search = &tokens[tokens.len() - rest..];
    alert::parse(search)
        .ok()
        .map(|spec| Ok(Command::Alert(spec)))
}

/// What people add after a question ("… under £300? let me know").
const TRAILING_ASKS: &[&[&str]] = &[
    &["let", "me", "know"],
    &["tell", "me"],
    &["sag", "bescheid"],
    &["sag", "mir", "bescheid"],
    &["gib", "bescheid"],
    &["préviens-moi"],
    &["previens-moi"],
    &["dis-moi"],
];

/// The longest command a reading offered as a button may be: Telegram's
/// limit on a button's data (64 bytes); a longer one is not offered.
const MAX_BUTTON_COMMAND: usize = 64;
/// First words of a question or a remark, never of a product search.
const NOT_A_SEARCH_START: &[&str] = &[
    "what",
    "whats",
    "what's",
    "why",
    "how",
    "is",
    "are",
    "where",
    "when",
    "who",
    "can",
    "could",
    "do",
    "does",
    "did",
    "will",
    "would",
    "should",
    "i",
    "i'm",
    "im",
    "you",
    "it",
    "this",
    "that",
    "the",
    "was",
    "warum",
    "wie",
    "wo",
    "wer",
    "ist",
    "kann",
    "ich",
    "du",
    "es",
    "das",
    "der",
    "die",
    "gibt",
    "qu'est-ce",
    "pourquoi",
    "comment",
    "où",
    "qui",
    "est-ce",
    "je",
    "tu",
    "c'est",
    "le",
    "la",
    "il",
    "y",
];

/// "lego under 40", "cheap airpods": words and a price or a deal word,
/// with no opening that says what to do with them. Most likely a deal
/// search, but not said: offered as a button, nothing made until pressed.
pub(super) fn unclear(tokens: &[String]) -> Option<Command> {
    let words: Vec<String> = tokens.iter().map(|t| plain_word(t)).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    if words.len() > 8
        || tokens.iter().any(|t| t.contains('?'))
        || words
            .first()
            .is_some_and(|w| NOT_A_SEARCH_START.contains(w))
        || words.iter().any(|w| NOT_A_PRODUCT.contains(w))
        || !words.iter().any(|w| DEAL_WORDS.contains(w))
    {
        return None;
    }
    let spec = alert::parse(tokens).ok()?;
    let offered = spec.command_text();
    (!spec.words.is_empty() && offered.len() <= MAX_BUTTON_COMMAND)
        .then_some(Command::Unclear(vec![offered]))
}

/// A token as a word: lower case, without the punctuation a sentence puts
/// around it.
fn plain_word(token: &str) -> String {
    token
        .trim_matches(|c: char| matches!(c, '?' | '!' | '.' | ',' | ';' | ':' | '"' | '“' | '”'))
        .to_lowercase()
        .replace('’', "'")
}

/// How many words follow the longest opening `words` starts with.
fn after_opening(words: &[&str], openings: &[&[&str]]) -> Option<usize> {
    openings
        .iter()
        .filter(|opening| words.starts_with(opening))
        .map(|opening| opening.len())
        .max()
        .map(|len| words.len() - len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<Command> {
        let tokens: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        reading(&tokens).and_then(Result::ok)
    }

    #[test]
    fn a_question_has_no_reading_and_thanks_are_only_thanks() {
        assert_eq!(read("thanks!"), Some(Command::Thanks));
        assert_eq!(read("thanks, but where is my deal"), None);
        for text in [
            "how are you?",
            "is this a scam",
            "what's the weather",
            "stop",
            "cancel",
            "i want",
            "look for",
            "remove the",
        ] {
            assert_eq!(read(text), None, "{text}");
        }
    }

    #[test]
    fn the_longest_opening_wins() {
        assert_eq!(
            after_opening(&["i", "am", "looking", "for", "tv"], MAYBE_SEARCH_OPENINGS),
            Some(1)
        );
        assert_eq!(after_opening(&["stop"], DELETE_OPENINGS), None);
    }
}
