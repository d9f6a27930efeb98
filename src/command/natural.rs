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

/// Opening words that ask for a deal search: what follows is the search
/// ("ping me about cheap 4K TVs under £500 but not Samsung").
const SEARCH_OPENINGS: &[&[&str]] = &[
    &["alert", "me", "about"],
    &["alert", "me", "when", "there", "are"],
    &["ping", "me", "about"],
    &["ping", "me", "when", "there", "are"],
    &["ping", "me", "for"],
    &["notify", "me", "about"],
    &["let", "me", "know", "about"],
    &["message", "me", "about"],
    &["text", "me", "about"],
    &["keep", "an", "eye", "out", "for"],
    &["benachrichtige", "mich", "über"],
    &["benachrichtige", "mich", "bei"],
    &["sag", "mir", "bescheid", "bei"],
    &["alarm", "für"],
    &["préviens-moi", "pour"],
    &["previens-moi", "pour"],
    &["alerte-moi", "pour"],
    &["préviens-moi", "des"],
    &["gib", "mir", "bescheid", "bei"],
    &["gib", "bescheid", "bei"],
    &["informiere", "mich", "über"],
    &["halte", "ausschau", "nach"],
    &["such", "mir"],
    &["schick", "mir", "angebote", "für"],
    &["alarm", "bei"],
    &["alerte-moi", "sur"],
    &["alerte-moi", "des"],
    &["alerte-moi", "pour", "les"],
    &["préviens-moi", "des", "réductions", "sur"],
    &["envoie-moi", "les"],
    &["préviens-moi", "pour", "les"],
    &["préviens-moi", "pour", "des"],
    &["benachrichtige", "mich", "über", "günstige"],
    &["je", "cherche", "une", "promo", "sur"],
    &["je", "cherche", "un", "bon", "plan"],
];
/// Openings that may ask for a search, or for anything else ("tell me
/// about yourself"): a search only when what follows speaks of deals or
/// a price.
const MAYBE_SEARCH_OPENINGS: &[&[&str]] = &[
    &["tell", "me", "about"],
    &["send", "me"],
    &["look", "for"],
    &["looking", "for"],
    &["i'm", "looking", "for"],
    &["im", "looking", "for"],
    &["i", "am", "looking", "for"],
    &["search", "for"],
    &["find", "me"],
    &["i", "want"],
    &["ich", "suche"],
    &["suche"],
    &["je", "cherche"],
    &["cherche"],
    &["i'm", "after"],
    &["im", "after"],
    &["any"],
    &["ich", "will"],
    &["ich", "brauche"],
    &["ich", "hätte", "gern"],
    &["ich", "hätte", "gerne"],
    &["ich", "möchte"],
    &["gibt", "es"],
    &["finde"],
    &["finde", "mir"],
    &["zeig", "mir"],
    &["schick", "mir"],
    &["je", "veux"],
    &["je", "voudrais"],
    &["j'ai", "besoin", "de"],
    &["trouve-moi"],
    &["trouve"],
    &["envoie-moi"],
    &["y", "a-t-il"],
    &["montre-moi"],
    &["surveille", "les"],
    &["i", "need"],
    &["on", "the", "lookout", "for"],
    &["got", "any"],
    &["il", "y", "a"],
    &["ich", "hätte", "gerne"],
];
/// Words that say a sentence is about deals.
const DEAL_WORDS: &[&str] = &[
    "deal",
    "deals",
    "offer",
    "offers",
    "sale",
    "sales",
    "discount",
    "discounts",
    "cheap",
    "cheaper",
    "cheapest",
    "bargain",
    "bargains",
    "under",
    "below",
    "less",
    "max",
    "between",
    "angebot",
    "angebote",
    "günstig",
    "günstige",
    "billig",
    "unter",
    "promo",
    "promos",
    "soldes",
    "cher",
    "moins",
    "sous",
    "billige",
    "billigen",
    "günstigen",
    "chers",
    "chères",
    "bon",
    "plan",
    "angeboten",
    "weniger",
    "bis",
    "réduction",
    "réductions",
    "promotions",
    "deals",
];
/// A search names products; a sentence with these is about something of
/// someone's ("let me know about my order").
const NOT_A_PRODUCT: &[&str] = &[
    "my", "your", "our", "it", "this", "that", "you", "yourself", "me", "us", "him", "her", "them",
    "mein", "meine", "meinen", "dein", "deine", "es", "mon", "ma", "mes", "ton", "ta", "tes",
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
    "alarme",
    "beobachtungen",
    "beobachte",
    "überwache",
    "alertes",
    "surveillances",
    "surveille",
    "liste",
    "alles",
    "suis",
    "beobachtungen",
    "surveillances",
    "following",
    "tout",
    "everything",
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
    "was",
    "ich",
    "zeig",
    "zeige",
    "meine",
    "mir",
    "alle",
    "bitte",
    "qu'est-ce",
    "que",
    "je",
    "mes",
    "montre",
    "montre-moi",
    "moi",
    "tous",
    "toutes",
    "les",
    "quoi",
    "quelles",
    "everything",
    "i'm",
    "im",
    "welche",
    "habe",
    "hab",
    "j'ai",
    "ai",
    "sont",
    "affiche",
    "voir",
    "ma",
    "stp",
    "svp",
    "zeige",
    "mon",
    "est-ce",
    "que",
    "sind",
    "gerade",
    "jetzt",
    "aktuell",
    "now",
    "right",
    "en",
    "ce",
    "moment",
    "ai-je",
    "at",
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
    &["lösche"],
    &["löschen"],
    &["entferne"],
    &["nicht", "mehr", "beobachten"],
    &["supprime"],
    &["supprimer"],
    &["enlève"],
    &["enleve"],
    &["retire"],
    &["efface"],
    &["arrête", "de", "surveiller"],
    &["arrete", "de", "surveiller"],
    &["ne", "surveille", "plus"],
    &["get", "rid", "of"],
    &["stop", "the"],
    &["stop", "my"],
    &["bin"],
    &["lösch"],
];
/// Words allowed between a delete opening and the ids.
const ITEM_WORDS: &[&str] = &[
    "alert", "alerts", "watch", "watches", "item", "items", "number", "no", "no.", "rule", "rules",
    "the", "my", "alarm", "alarme", "den", "die", "das", "l'alerte", "alerte", "alertes", "les",
    "la", "le", "please", "pls", "bitte", "stp", "svp", "anymore", "now", "mehr", "plus", "nummer",
    "numéro", "numero", "nr", "nr.",
];
/// Words that are not an item's name ("stop watching everything now").
const NOT_A_NAME: &[&str] = &[
    "everything",
    "all",
    "anything",
    "now",
    "please",
    "pls",
    "today",
    "forever",
    "again",
    "any",
    "them",
    "those",
    "these",
];
/// Most words that may name an item to delete ("the big lego set").
const MAX_NAMING_WORDS: usize = 4;
/// After `cancel`: the subscription, which is the billing portal's job.
const SUBSCRIPTION_WORDS: &[&str] = &["subscription", "plan", "membership", "pro", "premium"];

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

/// "thanks!", "thank you so much", "cheers mate", "merci", "danke".
fn says_thanks(words: &[&str]) -> bool {
    const THANKS: &[&str] = &[
        "thanks",
        "thank",
        "thx",
        "ty",
        "cheers",
        "ta",
        "merci",
        "danke",
        "dankeschön",
        "dank",
        "mercis",
    ];
    const AROUND: &[&str] = &[
        "you",
        "so",
        "much",
        "very",
        "a",
        "lot",
        "lots",
        "mate",
        "that's",
        "thats",
        "great",
        "brilliant",
        "perfect",
        "cool",
        "ok",
        "okay",
        "beaucoup",
        "schön",
        "sehr",
        "vielen",
        "dank",
        "for",
        "the",
        "help",
        "🙏",
        "👍",
        "dir",
        "super",
        "bien",
        "mille",
        "mercis",
        "à",
        "toi",
        "great",
        "vielmals",
        "infiniment",
    ];
    words.iter().any(|w| THANKS.contains(w))
        && words
            .iter()
            .all(|w| THANKS.contains(w) || AROUND.contains(w))
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

/// What asks for silence: a "no"/"don't" and messages, then a window.
const SILENCE_WORDS: &[&str] = &[
    "messages",
    "message",
    "alerts",
    "notifications",
    "pings",
    "disturb",
    "texts",
    "bother",
    "nachrichten",
    "benachrichtigungen",
    "alarme",
    "alertes",
    "stören",
    "dérange",
    "déranger",
    "rien",
    "m'envoie",
    "d'alertes",
    "d'alerte",
    "benachrichtigung",
    "notification",
    "notifications",
];
/// When quiet hours end when a sentence only says when they start.
const QUIET_UNTIL: TimeOfDay = Digest::DEFAULT_TIME;

/// "no messages after 11pm", "don't message me between 10pm and 7am",
/// "no alerts at night": quiet hours. A bare hour after "after" is an
/// evening one ("no messages after 9" is 21:00).
fn quiet_reading(words: &[&str]) -> Option<Command> {
    // "23 uhr": the hour is the number.
    let words: Vec<&str> = words.iter().copied().filter(|w| *w != "uhr").collect();
    let words = words.as_slice();
    let negated = words.iter().any(|w| {
        matches!(
            *w,
            "no" | "don't"
                | "dont"
                | "not"
                | "never"
                | "keine"
                | "kein"
                | "nicht"
                | "pas"
                | "jamais"
                | "ne"
                | "rien"
                | "plus"
        )
    });
    // "be quiet after 10pm", "ruhe nach 22 uhr", "silence après 22h".
    let quiet_said = words
        .iter()
        .any(|w| matches!(*w, "quiet" | "ruhe" | "silence"));
    if !quiet_said && (!negated || !words.iter().any(|w| SILENCE_WORDS.contains(w))) {
        return None;
    }
    let at = |word: &str| words.iter().position(|w| *w == word);
    let evening = |said: &str, t: TimeOfDay| {
        let bare = !said.contains(['a', 'p', ':', 'h']);
        if bare && (1..12).contains(&t.hour()) {
            TimeOfDay::new(t.hour() + 12, t.minute()).unwrap_or(t)
        } else {
            t
        }
    };
    let first_of = |these: &[&str]| these.iter().find_map(|w| at(w));
    // "from 22:00", "de 22h" (not "pas de notifications"): a time follows.
    let from = words.iter().enumerate().position(|(i, w)| {
        matches!(*w, "between" | "from" | "zwischen" | "entre" | "von" | "de")
            && words.get(i + 1).and_then(|w| parse_time(w)).is_some()
    });
    let (start, end) = if let Some(i) = from {
        let start = parse_time(words.get(i + 1)?)?;
        let joined = matches!(
            words.get(i + 2),
            Some(&("and" | "to" | "until" | "till" | "und" | "bis" | "et" | "à"))
        );
        let end = parse_time(words.get(i + 2 + usize::from(joined))?)?;
        (start, end)
    } else if let Some(i) = first_of(&["after", "nach", "ab", "après"]) {
        let said = words.get(i + 1)?;
        let start = evening(said, parse_time(said)?);
        let end = match first_of(&["until", "till", "before", "bis", "jusqu'à", "avant"]) {
            Some(j) => parse_time(words.get(j + 1)?)?,
            None => QUIET_UNTIL,
        };
        (start, end)
    } else if let Some(i) = first_of(&["before", "vor", "avant"]) {
        // "no alerts before 8am": from the evening until then.
        // (22:00, as for "at night".)
        (TimeOfDay::new(22, 0)?, parse_time(words.get(i + 1)?)?)
    } else if words
        .windows(2)
        .any(|w| w == ["at", "night"] || w == ["la", "nuit"])
        || words.contains(&"overnight")
        || words.contains(&"nachts")
    {
        (TimeOfDay::new(22, 0)?, QUIET_UNTIL)
    } else {
        return None;
    };
    (start != end).then_some(Command::Quiet(Some(Some(QuietHours { start, end }))))
}

/// "send me one summary every morning", "a weekly digest on friday",
/// "daily roundup at 7pm": the digest.
fn digest_reading(words: &[&str]) -> Option<Command> {
    if words.first() == Some(&"digest")
        || !words.iter().any(|w| {
            matches!(
                *w,
                "summary"
                    | "digest"
                    | "roundup"
                    | "round-up"
                    | "zusammenfassung"
                    | "résumé"
                    | "récapitulatif"
            )
        })
    {
        return None;
    }
    // How often: without it a sentence about a summary ("a summary of
    // my order") is not asking for one.
    let often = words.iter().any(|w| {
        matches!(
            *w,
            "daily"
                | "weekly"
                | "every"
                | "each"
                | "once"
                | "morning"
                | "evening"
                | "night"
                | "jeden"
                | "jede"
                | "täglich"
                | "wöchentlich"
                | "morgens"
                | "abends"
                | "chaque"
                | "quotidien"
                | "hebdomadaire"
                | "matin"
                | "soir"
                | "day"
                | "tägliche"
                | "täglichen"
                | "wöchentliche"
                | "wöchentlichen"
                | "pro"
                | "woche"
                | "semaine"
                | "matins"
                | "soirs"
                | "tous"
                | "jour"
                | "einmal"
                | "tag"
        ) || Weekday::from_name(w).is_some()
    });
    if !often {
        return None;
    }
    let weekly = words.iter().any(|w| {
        matches!(
            *w,
            "weekly"
                | "week"
                | "wöchentlich"
                | "wöchentliche"
                | "wöchentlichen"
                | "woche"
                | "hebdomadaire"
                | "semaine"
        ) || Weekday::from_name(w).is_some()
    });
    let mut at = None;
    for (i, word) in words.iter().enumerate() {
        let named = match *word {
            "morning" | "morgens" | "morgen" | "matin" | "matins" => TimeOfDay::new(8, 0),
            "lunchtime" | "lunch" | "mittags" | "midi" => TimeOfDay::new(12, 0),
            "afternoon" => TimeOfDay::new(15, 0),
            "evening" | "tonight" | "abends" | "abend" | "soir" | "soirs" => TimeOfDay::new(18, 0),
            "night" | "nachts" | "nuit" => TimeOfDay::new(21, 0),
            _ => None,
        };
        let said = (i > 0 && matches!(words[i - 1], "at" | "by" | "um" | "à"))
            .then(|| parse_time(word))
            .flatten();
        if let Some(time) = said.or(named) {
            at = Some(time);
        }
    }
    let at = at.unwrap_or(Digest::DEFAULT_TIME);
    let digest = if weekly {
        let day = words
            .iter()
            .find_map(|w| Weekday::from_name(w))
            .unwrap_or(Weekday::Monday);
        Digest::Weekly { day, at }
    } else {
        Digest::Daily { at }
    };
    Some(Command::Digest(Some(digest)))
}

/// Openings that give a place or a zone: what follows is it.
const ZONE_OPENINGS: &[&[&str]] = &[
    &["my", "time", "zone", "is"],
    &["my", "timezone", "is"],
    &["set", "my", "time", "zone", "to"],
    &["set", "my", "timezone", "to"],
    &["i'm", "in"],
    &["im", "in"],
    &["i", "am", "in"],
    &["i", "live", "in"],
    &["i'm", "based", "in"],
    &["ich", "bin", "in"],
    &["ich", "wohne", "in"],
    &["meine", "zeitzone", "ist"],
    &["je", "suis", "à"],
    &["j'habite", "à"],
    &["mon", "fuseau", "horaire", "est"],
    &["ich", "lebe", "in"],
    &["je", "vis", "à"],
    &["je", "vis", "a"],
    &["j'habite", "a"],
    &["moved", "to"],
    &["i", "moved", "to"],
    &["i've", "moved", "to"],
    &["fuseau", "horaire"],
    &["zeitzone"],
];

/// "I'm in Berlin", "my time zone is New York": the time zone, by its
/// IANA name or its city (the conversation finds the zone, or says it
/// knows none by that name). At most three words of place.
fn zone_reading(words: &[&str], tokens: &[String]) -> Option<Command> {
    let rest = after_opening(words, ZONE_OPENINGS)?;
    if rest == 0 || rest > 3 {
        return None;
    }
    let place: Vec<String> = tokens[tokens.len() - rest..]
        .iter()
        .map(|t| plain_word(t))
        .collect();
    // "ich bin in der arbeit", "i'm in the office": a place with an
    // article is somewhere, not a city.
    if place.iter().any(|w| w.chars().any(|c| c.is_ascii_digit()))
        || place.first().is_some_and(|w| {
            matches!(
                w.as_str(),
                "der"
                    | "die"
                    | "das"
                    | "dem"
                    | "den"
                    | "the"
                    | "a"
                    | "an"
                    | "my"
                    | "meiner"
                    | "einem"
                    | "einer"
            )
        })
    {
        return None;
    }
    Some(Command::Timezone(Some(place.join("_"))))
}

/// "how much is #3 now", "price of 3", "price history for #2": the
/// item's history.
fn history_reading(words: &[&str], tokens: &[String]) -> Option<Command> {
    let asks = [
        &["how", "much"][..],
        &["wie", "viel"],
        &["wieviel"],
        &["was", "kostet"],
        &["wie", "teuer"],
        &["combien"],
        &["c'est", "combien"],
    ]
    .iter()
    .any(|opening| words.starts_with(opening))
        || words.first().is_some_and(|w| {
            matches!(
                *w,
                "price"
                    | "prices"
                    | "chart"
                    | "preis"
                    | "preise"
                    | "prix"
                    | "historique"
                    | "preisverlauf"
                    | "verlauf"
                    | "history"
            )
        });
    if !asks {
        return None;
    }
    let ids: Vec<String> = tokens
        .iter()
        .map(|t| plain_word(t))
        .filter(|w| {
            let digits = w.trim_start_matches('#');
            !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
        })
        .collect();
    parse_one_id("history", &ids).ok().map(Command::History)
}

/// Verbs that pause or resume, in the three languages.
const PAUSE_VERBS: &[&str] = &[
    "pause",
    "pausiere",
    "pausieren",
    "hold",
    "suspendre",
    "suspends",
    "stop",
];
const RESUME_VERBS: &[&str] = &[
    "resume",
    "unpause",
    "restart",
    "fortsetzen",
    "reaktiviere",
    "reprendre",
    "reprends",
    "réactive",
];
/// Words a pause or resume sentence may have beside its verb and ids.
const PAUSE_FILLER: &[&str] = &[
    "my", "the", "alerts", "alert", "watches", "watch", "items", "for", "now", "please", "pls",
    "them", "of", "and", "meine", "alarme", "alarm", "bitte", "und", "mets", "met", "mettre", "en",
    "mes", "alertes", "les", "et", "stp", "svp", "#", "turn", "back", "on", "setze", "fort",
    "switch", "l'alerte", "alerte", "le", "la", "nummer", "numéro", "number",
];
/// Words that make it every item.
const ALL_WORDS: &[&str] = &[
    "all",
    "everything",
    "alle",
    "alles",
    "tout",
    "toutes",
    "tous",
];

/// "pause alert 4", "mets 2 en pause", "pause all alerts for now", "turn
/// all my alerts back on", "setze 4 fort": pausing or resuming, by ids or
/// all. Only verbs, ids and filler: anything else is no such sentence.
fn pause_reading(words: &[&str]) -> Option<Command> {
    let pause = words.iter().any(|w| PAUSE_VERBS.contains(w));
    let resume = words.iter().any(|w| RESUME_VERBS.contains(w))
        || ((words.contains(&"turn") || words.contains(&"switch"))
            && words.contains(&"back")
            && words.contains(&"on"))
        || (words.contains(&"setze") && words.contains(&"fort"));
    if pause == resume {
        return None;
    }
    let mut ids = Vec::new();
    let mut all = false;
    for word in words {
        if PAUSE_VERBS.contains(word) || RESUME_VERBS.contains(word) || PAUSE_FILLER.contains(word)
        {
            continue;
        }
        if ALL_WORDS.contains(word) {
            all = true;
        } else if word
            .trim_start_matches('#')
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
        {
            ids.push((*word).to_owned());
        } else {
            return None;
        }
    }
    match (all, ids.is_empty(), pause) {
        (true, true, true) => Some(Command::PauseAll),
        (true, true, false) => Some(Command::ResumeAll),
        (false, false, _) => {
            let ids = parse_ids(if pause { "pause" } else { "resume" }, &ids).ok()?;
            Some(if pause {
                Command::Pause(ids)
            } else {
                Command::Resume(ids)
            })
        }
        _ => None,
    }
}

/// "beobachte 3 nicht mehr", "don't watch 2 anymore": a verb of watching,
/// ids, and a "no more".
fn stop_watching_reading(words: &[&str]) -> Option<Result<Command, ParseError>> {
    let no_more = words.ends_with(&["nicht", "mehr"])
        || words.ends_with(&["anymore"])
        || words.ends_with(&["any", "more"]);
    let verb = words
        .first()
        .is_some_and(|w| matches!(*w, "beobachte" | "überwache" | "watch"));
    if !no_more || !verb {
        return None;
    }
    let ids: Vec<String> = words[1..]
        .iter()
        .filter(|w| !matches!(**w, "nicht" | "mehr" | "anymore" | "any" | "more"))
        .map(|w| (*w).to_owned())
        .collect();
    parse_ids("delete", &ids)
        .ok()
        .map(|ids| Ok(Command::Delete(ids)))
}

/// Short sentences with one meaning: help, the settings, the plan, the
/// billing portal, an upgrade.
fn short_reading(words: &[&str]) -> Option<Command> {
    let said = words.join(" ");
    const HELP: &[&str] = &[
        "help me",
        "what can you do",
        "what can you do for me",
        "how does this work",
        "how do you work",
        "how does it work",
        "was kannst du",
        "wie funktioniert das",
        "wie funktioniert das hier",
        "qu'est-ce que tu sais faire",
        "que sais-tu faire",
        "comment ça marche",
        "comment ca marche",
        "aide-moi",
        "hilf mir",
    ];
    // "how do i use this", "wie benutze ich das", "comment je m'en sers".
    let how = words
        .first()
        .is_some_and(|w| matches!(*w, "how" | "wie" | "comment"));
    let using = words.iter().any(|w| {
        matches!(
            *w,
            "use"
                | "work"
                | "works"
                | "benutze"
                | "nutze"
                | "funktioniert"
                | "sers"
                | "utilise"
                | "marche"
                | "fonctionne"
        )
    });
    if HELP.contains(&said.as_str()) || (how && using && words.len() <= 6) {
        return Some(Command::Help { topic: None });
    }
    const SETTINGS: &[&str] = &[
        "my settings",
        "show my settings",
        "meine einstellungen",
        "zeig meine einstellungen",
        "mes paramètres",
        "mes réglages",
    ];
    if SETTINGS.contains(&said.as_str()) {
        return Some(Command::Settings);
    }
    // "manage my subscription", "kündige mein abo", "résilier mon abonnement".
    let subscription = words.iter().any(|w| {
        matches!(
            *w,
            "subscription" | "membership" | "abo" | "abonnement" | "mitgliedschaft"
        )
    });
    let manage = words.iter().any(|w| {
        matches!(
            *w,
            "cancel"
                | "manage"
                | "change"
                | "end"
                | "kündige"
                | "kündigen"
                | "beenden"
                | "annuler"
                | "résilier"
                | "resilier"
                | "gérer"
        )
    });
    if subscription && manage && words.len() <= 7 {
        return Some(Command::Billing);
    }
    // "i want to upgrade to pro".
    if words.contains(&"upgrade") && words.len() <= 7 {
        let plan = words.iter().find_map(|w| match *w {
            "pro" => Some(crate::model::PaidPlan::Pro),
            "premium" => Some(crate::model::PaidPlan::Premium),
            _ => None,
        })?;
        return Some(Command::Upgrade(plan));
    }
    None
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
