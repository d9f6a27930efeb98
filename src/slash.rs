//! Purpose: the command set as Discord slash commands.
//!
//! Every text command becomes a slash command with the same name, and its
//! arguments become typed options that read back as the text command (see
//! `dealwatch_bots::discord::OptionText`), so Discord users are understood
//! by the same parser as everyone else. Descriptions come from the locales:
//! the command's help sentence and an `option-*` message per option, in
//! every language we speak.

use crate::command::{self, table};
use crate::conversation::command_menu;
use crate::l10n::{L10n, DEFAULT_LOCALE, LOCALES};
use dealwatch_bots::discord::{CommandSpec, OptionSpec};
use std::collections::BTreeSet;

/// Every option name some command uses (each has an `option-*` message).
pub fn option_names() -> BTreeSet<&'static str> {
    command::TABLE
        .iter()
        .flat_map(|def| def.options)
        .map(|option| option.name)
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
            let options = table::def(&name)
                .map_or(&[][..], |def| def.options)
                .iter()
                .map(|option| {
                    let id = format!("option-{}", option.name);
                    let (description, localized) =
                        in_every_locale(&|locale| l10n.tr(locale).msg(&id, &[]));
                    OptionSpec {
                        name: option.name.to_owned(),
                        description,
                        localized,
                        kind: option.kind,
                        required: option.required,
                        choices: option.choices.iter().map(|c| (*c).to_owned()).collect(),
                        text: option.reads.text(),
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
        for def in command::TABLE.iter().filter(|d| d.in_menu) {
            assert!(names.contains(&def.name), "{} missing", def.name);
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
        assert_eq!(
            watch.options[0].text,
            dealwatch_bots::discord::OptionText::Value
        );
        assert_eq!(
            watch.options[3].kind,
            dealwatch_bots::discord::OptionKind::Flag
        );
    }
}
