//! Purpose: one definition per command, read by everything that needs one.
//!
//! Each [`CommandDef`] holds a command's name, the other words people use
//! for it, its parser, its Discord slash options (in the order they read
//! back as text) and whether it is in the menus. The parser
//! ([`super::parse`]), `help`, the Telegram command menu, the Discord slash
//! command registration and the locale test all read [`TABLE`]; help text
//! and option descriptions live in the locales under `help-NAME` and
//! `option-OPTION`. Adding a command is a `Command` variant, an entry here,
//! its handling in the conversation, its locale lines and its test.

use super::{
    alert, community, means_all, no_args, parse_ids, parse_name, parse_one_id, prefs, watch,
    Command, ParseError,
};
use dealwatch_bots::discord::{OptionKind, OptionText};

use OptionKind::{Flag, Integer, Text};

/// How a slash option reads back as text ([`OptionText`], but constant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// The value as it is: `watch URL`.
    Value,
    /// A keyword, then the value: `below 40`.
    Keyword(&'static str),
    /// Every word of the value with a prefix: `-mac -ipad`.
    EachWord(&'static str),
    /// A true flag writes the word; false writes nothing: `instock`.
    Flag(&'static str),
}

impl Reads {
    pub fn text(self) -> OptionText {
        match self {
            Reads::Value => OptionText::Value,
            Reads::Keyword(word) => OptionText::Keyword(word.to_owned()),
            Reads::EachWord(prefix) => OptionText::EachWord(prefix.to_owned()),
            Reads::Flag(word) => OptionText::Flag(word.to_owned()),
        }
    }
}

/// One Discord slash option of a command.
#[derive(Debug, Clone, Copy)]
pub struct OptionDef {
    /// Also the locale id `option-NAME` of its description.
    pub name: &'static str,
    pub kind: OptionKind,
    pub required: bool,
    /// Fixed choices, if any.
    pub choices: &'static [&'static str],
    pub reads: Reads,
}

const fn opt(name: &'static str, kind: OptionKind, required: bool, reads: Reads) -> OptionDef {
    OptionDef {
        name,
        kind,
        required,
        choices: &[],
        reads,
    }
}

const fn choice(
    name: &'static str,
    required: bool,
    choices: &'static [&'static str],
    reads: Reads,
) -> OptionDef {
    OptionDef {
        name,
        kind: Text,
        required,
        choices,
        reads,
    }
}

/// A command's arguments (the words after its name) read as a [`Command`].
pub type Parser = fn(&[String]) -> Result<Command, ParseError>;

/// Everything about one command.
#[derive(Debug)]
pub struct CommandDef {
    /// The canonical name; also the slash command and the locale id
    /// `help-NAME`.
    pub name: &'static str,
    /// Other words for it, in any of our languages.
    pub aliases: &'static [&'static str],
    pub parse: Parser,
    /// Discord slash options, in the order they read as text.
    pub options: &'static [OptionDef],
    /// In the Telegram menu and the Discord slash commands (`stop` is not:
    /// it is the SMS carriers' keyword).
    pub in_menu: bool,
}

const IDS: &[OptionDef] = &[opt("ids", Text, true, Reads::Value)];
const ID: &[OptionDef] = &[opt("id", Integer, true, Reads::Value)];

/// Every command, in the order `help` and the menus list them.
pub static TABLE: &[CommandDef] = &[
    CommandDef {
        name: "watch",
        aliases: &[
            "track",
            "follow",
            "add",
            "surveiller",
            "suivre",
            "beobachten",
        ],
        parse: |args| watch::parse(args).map(Command::Watch),
        options: &[
            opt("url", Text, true, Reads::Value),
            opt("below", Text, false, Reads::Keyword("below")),
            opt("drop", Text, false, Reads::Keyword("drop")),
            opt("instock", Flag, false, Reads::Flag("instock")),
        ],
        in_menu: true,
    },
    CommandDef {
        name: "alert",
        aliases: &[
            "rule", "search", "deal", "deals", "notify", "alerte", "alarm", "suche",
        ],
        parse: |args| {
            let plain = alert::parse(args)?;
            // A trailing "to NAME" may name a community (the parser cannot
            // know; the conversation decides which reading holds).
            if let [rest @ .., to, name] = args {
                if to.eq_ignore_ascii_case("to") && !rest.is_empty() {
                    if let (Ok(spec), Ok(to)) = (alert::parse(rest), community::name(name)) {
                        return Ok(Command::AlertTo { spec, to, plain });
                    }
                }
            }
            Ok(Command::Alert(plain))
        },
        options: &[
            opt("words", Text, true, Reads::Value),
            opt("exclude", Text, false, Reads::EachWord("-")),
            opt("under", Text, false, Reads::Keyword("under")),
            opt("over", Text, false, Reads::Keyword("over")),
            opt("category", Text, false, Reads::Keyword("in")),
            opt("score", Text, false, Reads::Keyword("score")),
            choice(
                "condition",
                false,
                &["new", "used", "refurbished"],
                Reads::Keyword("condition"),
            ),
        ],
        in_menu: true,
    },
    CommandDef {
        name: "list",
        aliases: &[
            "ls", "show", "watches", "alerts", "rules", "mine", "status", "liste", "afficher",
        ],
        // "list all" is what many people type.
        parse: |args| {
            if args.iter().all(|a| a.eq_ignore_ascii_case("all")) {
                Ok(Command::List)
            } else {
                no_args("list", args, Command::List)
            }
        },
        options: &[],
        in_menu: true,
    },
    CommandDef {
        name: "pause",
        aliases: &[
            "pausiere",
            "suspendre",
            "suspends",
            "hold",
            "pausieren",
            "anhalten",
        ],
        parse: |args| {
            if means_all(args) {
                return Ok(Command::PauseAll);
            }
            parse_ids("pause", args).map(Command::Pause)
        },
        options: IDS,
        in_menu: true,
    },
    CommandDef {
        name: "resume",
        aliases: &[
            "reprends",
            "réactive",
            "reaktiviere",
            "unpause",
            "continue",
            "restart",
            "reprendre",
            "fortsetzen",
        ],
        parse: |args| {
            if means_all(args) {
                return Ok(Command::ResumeAll);
            }
            parse_ids("resume", args).map(Command::Resume)
        },
        options: IDS,
        in_menu: true,
    },
    CommandDef {
        name: "delete",
        aliases: &[
            "lösch",
            "lösche",
            "entferne",
            "supprime",
            "efface",
            "retire",
            "enlève",
            "del",
            "rm",
            "remove",
            "unwatch",
            "forget",
            "supprimer",
            "effacer",
            "löschen",
            "loeschen",
            "entfernen",
        ],
        parse: |args| parse_ids("delete", args).map(Command::Delete),
        options: IDS,
        in_menu: true,
    },
    CommandDef {
        name: "test",
        aliases: &["try", "preview"],
        parse: |args| parse_one_id("test", args).map(Command::Test),
        options: ID,
        in_menu: true,
    },
    CommandDef {
        name: "history",
        aliases: &[
            "verlauf",
            "preisverlauf",
            "historique",
            "hist",
            "prices",
            "chart",
        ],
        parse: |args| parse_one_id("history", args).map(Command::History),
        options: ID,
        in_menu: true,
    },
    CommandDef {
        name: "name",
        aliases: &["rename", "label", "call", "nenne", "nommer"],
        parse: parse_name,
        options: &[
            opt("id", Integer, true, Reads::Value),
            opt("label", Text, false, Reads::Value),
        ],
        in_menu: true,
    },
    CommandDef {
        name: "quiet",
        aliases: &["ruhe", "silence", "dnd", "mute"],
        parse: |args| prefs::parse_quiet(args).map(Command::Quiet),
        options: &[opt("hours", Text, false, Reads::Value)],
        in_menu: true,
    },
    CommandDef {
        name: "digest",
        aliases: &["summary"],
        parse: |args| prefs::parse_digest(args).map(Command::Digest),
        options: &[
            choice("schedule", false, &["daily", "weekly", "off"], Reads::Value),
            opt("time", Text, false, Reads::Value),
        ],
        in_menu: true,
    },
    CommandDef {
        name: "cap",
        aliases: &["limit"],
        parse: |args| prefs::parse_cap(args).map(Command::Cap),
        options: &[opt("limit", Text, false, Reads::Value)],
        in_menu: true,
    },
    CommandDef {
        name: "timezone",
        aliases: &["zeitzone", "tz", "zone", "time-zone"],
        parse: |args| prefs::parse_single("timezone", args).map(Command::Timezone),
        options: &[opt("zone", Text, false, Reads::Value)],
        in_menu: true,
    },
    CommandDef {
        name: "language",
        aliases: &["lang", "locale", "sprache", "langue"],
        parse: |args| prefs::parse_single("language", args).map(Command::Language),
        options: &[opt("language", Text, false, Reads::Value)],
        in_menu: true,
    },
    CommandDef {
        name: "settings",
        aliases: &[
            "einstellungen",
            "paramètres",
            "parametres",
            "réglages",
            "prefs",
            "preferences",
            "options",
            "me",
        ],
        parse: |args| no_args("settings", args, Command::Settings),
        options: &[],
        in_menu: true,
    },
    CommandDef {
        name: "plan",
        aliases: &["tarif", "forfait", "account", "subscription", "usage"],
        parse: |args| no_args("plan", args, Command::Plan),
        options: &[],
        in_menu: true,
    },
    CommandDef {
        name: "upgrade",
        aliases: &["buy", "subscribe"],
        parse: |args| prefs::parse_upgrade(args).map(Command::Upgrade),
        options: &[choice("plan", true, &["pro", "premium"], Reads::Value)],
        in_menu: true,
    },
    CommandDef {
        name: "billing",
        aliases: &["portal", "invoices"],
        parse: |args| no_args("billing", args, Command::Billing),
        options: &[],
        in_menu: true,
    },
    CommandDef {
        name: "community",
        aliases: &["communities", "webhook", "webhooks", "server"],
        parse: |args| community::parse(args).map(Command::Community),
        options: &[
            choice(
                "action",
                false,
                &[
                    "list", "add", "test", "remove", "pause", "resume", "delete", "cap", "quiet",
                ],
                Reads::Value,
            ),
            opt("target", Text, false, Reads::Value),
            opt("community", Text, false, Reads::Value),
        ],
        in_menu: true,
    },
    CommandDef {
        name: "link",
        aliases: &["connect"],
        parse: prefs::parse_link,
        options: &[opt("code", Text, false, Reads::Value)],
        in_menu: true,
    },
    CommandDef {
        name: "start",
        aliases: &["hi", "hello", "hey", "hallo", "bonjour", "salut"],
        parse: |args| {
            Ok(Command::Start {
                payload: args.first().map(|p| p.chars().take(64).collect()),
            })
        },
        options: &[],
        in_menu: true,
    },
    CommandDef {
        name: "help",
        aliases: &["commands", "info", "?", "hilfe", "aide"],
        parse: |args| {
            // "help me", "aide !": no topic.
            let topic = args.first().map(|t| super::command_word(t)).filter(|t| {
                t.chars().any(char::is_alphanumeric)
                    && !matches!(
                        t.as_str(),
                        "me" | "moi" | "mir" | "please" | "pls" | "bitte"
                    )
            });
            Ok(Command::Help { topic })
        },
        options: &[opt("command", Text, false, Reads::Value)],
        in_menu: true,
    },
    CommandDef {
        name: "stop",
        aliases: &[],
        // Alone, "stop" is the carriers' opt-out (read before the table);
        // with arguments ("stop 3") people mean pause.
        parse: |args| parse_ids("pause", args).map(Command::Pause),
        options: &[],
        in_menu: false,
    },
];

/// The definition of a canonical command name.
pub fn def(name: &str) -> Option<&'static CommandDef> {
    TABLE.iter().find(|d| d.name == name)
}

/// The definition a command word or alias names.
pub fn by_word(word: &str) -> Option<&'static CommandDef> {
    def(word).or_else(|| TABLE.iter().find(|d| d.aliases.contains(&word)))
}

/// Every canonical command name, in `help` order.
pub fn names() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|d| d.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique_and_lower_case() {
        let mut seen = std::collections::BTreeSet::new();
        for def in TABLE {
            for word in std::iter::once(&def.name).chain(def.aliases) {
                assert!(seen.insert(*word), "{word} twice");
                assert_eq!(*word, word.to_lowercase());
            }
            let mut options = std::collections::BTreeSet::new();
            for option in def.options {
                assert!(
                    options.insert(option.name),
                    "{}: {} twice",
                    def.name,
                    option.name
                );
            }
            // Required options come first, as Discord requires.
            let first_optional = def.options.iter().position(|o| !o.required);
            if let Some(at) = first_optional {
                assert!(
                    def.options[at..].iter().all(|o| !o.required),
                    "{}",
                    def.name
                );
            }
        }
    }
}
