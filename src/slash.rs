//! Purpose: the command set as Discord slash commands.
//!
//! Every text command becomes a slash command with the same name, and its
//! arguments become typed options that read back as the text command (see
//! `dealwatch_bots::discord::OptionText`), so Discord users are understood
//! by the same parser as everyone else. Descriptions come from the locales:
//! the command's help sentence and an `option-*` message per option, in
//! every language we speak.

use crate::command;
use crate::conversation::command_menu;
use crate::l10n::{L10n, DEFAULT_LOCALE, LOCALES};
use dealwatch_bots::discord::{CommandSpec, OptionKind, OptionSpec, OptionText};

/// `(option name, kind, required, choices, how it reads as text)`.
type Opt = (
    &'static str,
    OptionKind,
    bool,
    &'static [&'static str],
    Reads,
);

#[derive(Clone, Copy)]
enum Reads {
    Value,
    Keyword(&'static str),
    EachWord(&'static str),
    Flag(&'static str),
}

use OptionKind::{Flag, Integer, Text};
use Reads::{EachWord, Keyword, Value};

/// The options of each command, in the order they read as text.
fn options(command: &str) -> &'static [Opt] {
    match command {
        "watch" => &[
            ("url", Text, true, &[], Value),
            ("below", Text, false, &[], Keyword("below")),
            ("drop", Text, false, &[], Keyword("drop")),
            ("instock", Flag, false, &[], Reads::Flag("instock")),
        ],
        "alert" => &[
            ("words", Text, true, &[], Value),
            ("exclude", Text, false, &[], EachWord("-")),
            ("under", Text, false, &[], Keyword("under")),
            ("over", Text, false, &[], Keyword("over")),
            ("category", Text, false, &[], Keyword("in")),
            ("score", Text, false, &[], Keyword("score")),
            (
                "condition",
                Text,
                false,
                &["new", "used", "refurbished"],
                Keyword("condition"),
            ),
        ],
        "pause" | "resume" | "delete" => &[("ids", Text, true, &[], Value)],
        "test" | "history" => &[("id", Integer, true, &[], Value)],
        "quiet" => &[("hours", Text, false, &[], Value)],
        "digest" => &[
            ("schedule", Text, false, &["daily", "weekly", "off"], Value),
            ("time", Text, false, &[], Value),
        ],
        "cap" => &[("limit", Text, false, &[], Value)],
        "timezone" => &[("zone", Text, false, &[], Value)],
        "language" => &[("language", Text, false, &[], Value)],
        "upgrade" => &[("plan", Text, true, &["pro", "premium"], Value)],
        "link" => &[("code", Text, false, &[], Value)],
        "help" => &[("command", Text, false, &[], Value)],
        _ => &[],
    }
}

/// Every option name used above, for the locale check.
pub const OPTION_NAMES: &[&str] = &[
    "url",
    "below",
    "drop",
    "instock",
    "words",
    "exclude",
    "under",
    "over",
    "category",
    "score",
    "condition",
    "ids",
    "id",
    "hours",
    "schedule",
    "time",
    "limit",
    "zone",
    "language",
    "plan",
    "code",
    "command",
];

/// The slash commands, described in every locale (English as the default).
/// `stop` is left out: it is the SMS carriers' keyword.
pub fn commands(l10n: &L10n) -> Vec<CommandSpec> {
    let menus: Vec<(&str, Vec<(String, String)>)> = LOCALES
        .iter()
        .map(|l| (l.id, command_menu(l10n, l.id)))
        .collect();
    let describe = |index: usize| -> (String, Vec<(String, String)>) {
        let mut default = String::new();
        let mut localized = Vec::new();
        for (locale, menu) in &menus {
            let text = menu.get(index).map(|(_, d)| d.clone()).unwrap_or_default();
            if *locale == DEFAULT_LOCALE {
                default = text.clone();
            }
            localized.push(((*locale).to_owned(), text));
        }
        (default, localized)
    };
    let option_text = |name: &str| -> (String, Vec<(String, String)>) {
        let id = format!("option-{name}");
        let localized: Vec<(String, String)> = LOCALES
            .iter()
            .map(|l| (l.id.to_owned(), l10n.tr(l.id).msg(&id, &[])))
            .collect();
        (l10n.tr(DEFAULT_LOCALE).msg(&id, &[]), localized)
    };
    let default_menu = &menus
        .iter()
        .find(|(l, _)| *l == DEFAULT_LOCALE)
        .map(|(_, m)| m.clone())
        .unwrap_or_default();
    default_menu
        .iter()
        .enumerate()
        .filter(|(_, (name, _))| command::COMMANDS.contains(&name.as_str()))
        .map(|(index, (name, _))| {
            let (description, localized) = describe(index);
            CommandSpec {
                name: name.clone(),
                description,
                localized,
                options: options(name)
                    .iter()
                    .map(|(option, kind, required, choices, reads)| {
                        let (description, localized) = option_text(option);
                        OptionSpec {
                            name: (*option).to_owned(),
                            description,
                            localized,
                            kind: *kind,
                            required: *required,
                            choices: choices.iter().map(|c| (*c).to_owned()).collect(),
                            text: match reads {
                                Value => OptionText::Value,
                                Keyword(k) => OptionText::Keyword((*k).to_owned()),
                                EachWord(p) => OptionText::EachWord((*p).to_owned()),
                                Reads::Flag(w) => OptionText::Flag((*w).to_owned()),
                            },
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_but_stop_is_a_slash_command_with_known_options() {
        let l10n = L10n::load().unwrap();
        let specs = commands(&l10n);
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        for command in command::COMMANDS.iter().filter(|c| **c != "stop") {
            assert!(names.contains(command), "{command} missing");
        }
        assert!(!names.contains(&"stop"));
        for spec in &specs {
            assert!(!spec.description.is_empty(), "{}", spec.name);
            assert_eq!(spec.localized.len(), LOCALES.len());
            for option in &spec.options {
                assert!(OPTION_NAMES.contains(&option.name.as_str()));
                assert!(!option.description.is_empty());
                assert!(option.name.len() <= 32 && option.name == option.name.to_lowercase());
            }
        }
        let watch = specs.iter().find(|s| s.name == "watch").unwrap();
        assert_eq!(watch.options[0].text, OptionText::Value);
        assert_eq!(watch.options[3].kind, Flag);
    }
}
