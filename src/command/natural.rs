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
//! This first part reads English phrasings; German and French sentences
//! (beyond their command words, which are aliases in [`super::table`]) are
//! still to come (issue 20).

use super::{alert, parse_ids, watch, Command, ParseError};

/// Opening words that ask for a deal search: what follows is the search
/// ("ping me about cheap 4K TVs under £500 but not Samsung").
const SEARCH_OPENINGS: &[&[&str]] = &[
    &["alert", "me", "about"],
    &["alert", "me", "when", "there", "are"],
    &["ping", "me", "about"],
    &["ping", "me", "when", "there", "are"],
    &["ping", "me", "for"],
    &["tell", "me", "about"],
    &["let", "me", "know", "about"],
    &["notify", "me", "about"],
    &["message", "me", "about"],
    &["text", "me", "about"],
    &["send", "me"],
    &["look", "for"],
    &["looking", "for"],
    &["i'm", "looking", "for"],
    &["im", "looking", "for"],
    &["i", "am", "looking", "for"],
    &["search", "for"],
    &["find", "me"],
    &["i", "want"],
    &["keep", "an", "eye", "out", "for"],
];

/// Words that, with nothing else but filler, ask for the list.
const LIST_NOUNS: &[&str] = &[
    "watching",
    "watches",
    "watchlist",
    "alerts",
    "rules",
    "tracking",
    "items",
    "list",
];
/// Filler around a request for the list ("what am I watching?").
const LIST_FILLER: &[&str] = &[
    "what",
    "whats",
    "what's",
    "am",
    "i",
    "are",
    "my",
    "show",
    "me",
    "see",
    "all",
    "please",
    "pls",
    "do",
    "have",
    "currently",
    "the",
    "of",
    "list",
    "can",
    "you",
    "which",
    "is",
    "on",
];

/// Openings that name items to stop ("stop watching 2", "cancel alert 3").
const DELETE_OPENINGS: &[&[&str]] = &[
    &["stop", "watching"],
    &["stop", "tracking"],
    &["stop", "following"],
    &["stop", "alerting"],
    &["stop", "alert"],
    &["stop", "alerts"],
    &["don't", "watch"],
    &["dont", "watch"],
    &["cancel"],
    &["remove"],
    &["delete"],
];
/// Words allowed between a delete opening and the ids.
const ITEM_WORDS: &[&str] = &[
    "alert", "alerts", "watch", "watches", "item", "items", "number", "no", "no.", "rule", "rules",
    "the", "my",
];
/// After `cancel`: the subscription, which is the billing portal's job.
const SUBSCRIPTION_WORDS: &[&str] = &["subscription", "plan", "membership", "pro", "premium"];

/// The reading of a sentence, if it has a clear one: `Some(Ok)` a command,
/// `Some(Err)` a command it clearly means but with something wrong in it
/// (a watch with a bad price), `None` no reading.
pub(super) fn reading(tokens: &[String]) -> Option<Result<Command, ParseError>> {
    let words: Vec<String> = tokens.iter().map(|t| plain_word(t)).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();

    // A sentence with a product page in it is about that page: a watch,
    // never a search for the words around it.
    if tokens.iter().any(|t| watch::looks_like_url(t)) {
        return watch::parse(tokens)
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
        return parse_ids("delete", &ids)
            .ok()
            .map(|ids| Ok(Command::Delete(ids)));
    }
    if asks_for_list(&words) {
        return Some(Ok(Command::List));
    }
    if let Some(rest) = after_opening(&words, SEARCH_OPENINGS) {
        let search = &tokens[tokens.len() - rest..];
        return alert::parse(search)
            .ok()
            .map(|spec| Ok(Command::Alert(spec)));
    }
    None
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

fn asks_for_list(words: &[&str]) -> bool {
    let mut noun = false;
    for word in words {
        if LIST_NOUNS.contains(word) {
            noun = true;
        } else if !LIST_FILLER.contains(word) {
            return false;
        }
    }
    noun
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<Command> {
        let tokens: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        reading(&tokens).and_then(Result::ok)
    }

    #[test]
    fn a_question_or_a_thank_you_has_no_reading() {
        for text in [
            "thanks",
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
            after_opening(&["i", "am", "looking", "for", "tv"], SEARCH_OPENINGS),
            Some(1)
        );
        assert_eq!(after_opening(&["stop"], DELETE_OPENINGS), None);
    }
}
