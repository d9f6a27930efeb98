//! Purpose: settings said in sentences: quiet hours ("no messages after
//! 11pm"), the digest ("one summary every morning"), the time zone ("I'm in
//! Berlin") and an item's prices ("how much is #3 now").

use super::*;

/// What asks for silence: a "no"/"don't" and messages, then a window.
pub(super) const SILENCE_WORDS: &[&str] = &[
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
pub(super) const QUIET_UNTIL: TimeOfDay = Digest::DEFAULT_TIME;

/// "no messages after 11pm", "don't message me between 10pm and 7am",
/// "no alerts at night": quiet hours. A bare hour after "after" is an
/// evening one ("no messages after 9" is 21:00).
pub(super) fn quiet_reading(words: &[&str]) -> Option<Command> {
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
pub(super) fn digest_reading(words: &[&str]) -> Option<Command> {
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
pub(super) const ZONE_OPENINGS: &[&[&str]] = &[
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
pub(super) fn zone_reading(words: &[&str], tokens: &[String]) -> Option<Command> {
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
pub(super) fn history_reading(words: &[&str], tokens: &[String]) -> Option<Command> {
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
