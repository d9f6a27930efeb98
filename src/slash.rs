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
use std::collections::BTreeSet;

use OptionKind::{Flag, Integer, Text};

/// An option: its name, kind, whether it is required, its fixed choices,
/// and how it reads as text.
type Opt = (
    &'static str,
    OptionKind,
    bool,
    &'static [&'static str],
    OptionText,
);

fn value() -> OptionText {
    OptionText::Value
}

fn keyword(word: &str) -> OptionText {
    OptionText::Keyword(word.to_owned())
}

/// The options of each command, in the order they read as text.
fn options(command: &str) -> Vec<Opt> {
    match command {
        "watch" => vec![
            ("url", Text, true, &[], value()),
            ("below", Text, false, &[], keyword("below")),
            ("drop", Text, false, &[], keyword("drop")),
            (
                "instock",
                Flag,
                false,
                &[],
                OptionText::Flag("instock".into()),
            ),
        ],
        "alert" => vec![
            ("words", Text, true, &[], value()),
            (
                "exclude",
                Text,
                false,
                &[],
                OptionText::EachWord("-".into()),
            ),
            ("under", Text, false, &[], keyword("under")),
            ("over", Text, false, &[], keyword("over")),
            ("category", Text, false, &[], keyword("in")),
            ("score", Text, false, &[], keyword("score")),
            (
                "condition",
                Text,
                false,
                &["new", "used", "refurbished"],
                keyword("condition"),
            ),
        ],
        "pause" | "resume" | "delete" => vec![("ids", Text, true, &[], value())],
        "test" | "history" => vec![("id", Integer, true, &[], value())],
        "quiet" => vec![("hours", Text, false, &[], value())],
        "digest" => vec![
            (
                "schedule",
                Text,
                false,
                &["daily", "weekly", "off"],
                value(),
            ),
            ("time", Text, false, &[], value()),
        ],
        "cap" => vec![("limit", Text, false, &[], value())],
        "timezone" => vec![("zone", Text, false, &[], value())],
        "language" => vec![("language", Text, false, &[], value())],
        "upgrade" => vec![("plan", Text, true, &["pro", "premium"], value())],
        "link" => vec![("code", Text, false, &[], value())],
        "help" => vec![("command", Text, false, &[], value())],
        _ => Vec::new(),
    }
}

/// Every option name some command uses (each has an `option-*` message).
pub fn option_names() -> BTreeSet<&'static str> {
    command::COMMANDS
        .iter()
        .flat_map(|c| options(c))
        .map(|(name, ..)| name)
        .collect()
}

/// The slash commands, described in every locale (English as the default).
/// `stop` is left out: it is the SMS carriers' keyword.
pub fn commands(l10n: &L10n) -> Vec<CommandSpec> {
    // The same commands in the same order in every locale.
    let menus: Vec<(&str, Vec<(String, String)>)> = LOCALES
        .iter()
        .map(|l| (l.id, command_menu(l10n, l.id)))
        .collect();
    let in_every_locale = |pick: &dyn Fn(&str) -> String| -> (String, Vec<(String, String)>) {
        let localized: Vec<(String, String)> = LOCALES
            .iter()
            .map(|l| (l.id.to_owned(), pick(l.id)))
            .collect();
        (pick(DEFAULT_LOCALE), localized)
    };
    command_menu(l10n, DEFAULT_LOCALE)
        .into_iter()
        .enumerate()
        .map(|(index, (name, _))| {
            let (description, localized) = in_every_locale(&|locale| {
                menus
                    .iter()
                    .find(|(l, _)| *l == locale)
                    .and_then(|(_, menu)| menu.get(index))
                    .map(|(_, d)| d.clone())
                    .unwrap_or_default()
            });
            let options = options(&name)
                .into_iter()
                .map(|(option, kind, required, choices, text)| {
                    let id = format!("option-{option}");
                    let (description, localized) =
                        in_every_locale(&|locale| l10n.tr(locale).msg(&id, &[]));
                    OptionSpec {
                        name: option.to_owned(),
                        description,
                        localized,
                        kind,
                        required,
                        choices: choices.iter().map(|c| (*c).to_owned()).collect(),
                        text,
                    }
                })
                .collect();
            CommandSpec {
                name,
                description,
                localized,
                options,
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
                assert!(option_names().contains(option.name.as_str()));
                assert!(!option.description.is_empty());
                assert!(option.name.len() <= 32 && option.name == option.name.to_lowercase());
            }
        }
        let watch = specs.iter().find(|s| s.name == "watch").unwrap();
        assert_eq!(watch.options[0].text, OptionText::Value);
        assert_eq!(watch.options[3].kind, Flag);
    }
}
