//! Purpose: managing what one has, said in sentences: the list, thanks,
//! pausing and resuming, "no more" watching, and the short sentences with
//! one meaning (help, settings, billing, an upgrade).

use super::*;

/// "thanks!", "thank you so much", "cheers mate", "merci", "danke".
pub(super) fn says_thanks(words: &[&str]) -> bool {
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

pub(super) fn asks_for_list(words: &[&str]) -> bool {
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

/// Verbs that pause or resume, in the three languages.
pub(super) const PAUSE_VERBS: &[&str] = &[
    "pause",
    "pausiere",
    "pausieren",
    "hold",
    "suspendre",
    "suspends",
    "stop",
];
pub(super) const RESUME_VERBS: &[&str] = &[
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
pub(super) const PAUSE_FILLER: &[&str] = &[
    "my", "the", "alerts", "alert", "watches", "watch", "items", "for", "now", "please", "pls",
    "them", "of", "and", "meine", "alarme", "alarm", "bitte", "und", "mets", "met", "mettre", "en",
    "mes", "alertes", "les", "et", "stp", "svp", "#", "turn", "back", "on", "setze", "fort",
    "switch", "l'alerte", "alerte", "le", "la", "nummer", "numéro", "number",
];
/// Words that make it every item.
pub(super) const ALL_WORDS: &[&str] = &[
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
pub(super) fn pause_reading(words: &[&str]) -> Option<Command> {
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
pub(super) fn stop_watching_reading(words: &[&str]) -> Option<Result<Command, ParseError>> {
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
pub(super) fn short_reading(words: &[&str]) -> Option<Command> {
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
