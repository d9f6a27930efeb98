//! Purpose: every text a user reads, in their language, through fluent.
//!
//! The `.ftl` files under `locales/` are embedded at compile time, so the
//! binary runs anywhere without them. Prices and percentages are formatted
//! here for the locale (`£1,299.00`, `1.299,00 €`, `1 299,00 €`) and handed
//! to fluent as ready strings; counts are handed as numbers so fluent picks
//! the plural form. Fluent's Unicode isolation marks are turned off: they
//! would show as boxes on SMS and cost a UCS-2 segment.

use crate::money::{Money, NumberStyle};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use rust_decimal::Decimal;
use std::collections::HashMap;
use unic_langid::LanguageIdentifier;

/// One locale we ship: its id, its messages, how it writes numbers, and the
/// names people use when they ask for it with `language`.
pub struct LocaleDef {
    pub id: &'static str,
    pub source: &'static str,
    pub numbers: NumberStyle,
    /// `strftime`-style date pattern for the locale.
    pub date: &'static str,
    pub aliases: &'static [&'static str],
}

/// The locales in `locales/`. en-GB is the reference: every other locale
/// must define exactly its message ids (a test checks).
pub const LOCALES: &[LocaleDef] = &[
    LocaleDef {
        id: "en-GB",
        source: include_str!("../locales/en-GB/dealwatch.ftl"),
        numbers: NumberStyle::EN,
        date: "%-d %b %Y",
        aliases: &[
            "en", "en-gb", "en-us", "en_gb", "english", "englisch", "anglais",
        ],
    },
    LocaleDef {
        id: "de",
        source: include_str!("../locales/de/dealwatch.ftl"),
        numbers: NumberStyle::DE,
        date: "%d.%m.%Y",
        aliases: &[
            "de", "de-de", "de-at", "de-ch", "de_de", "german", "deutsch", "allemand",
        ],
    },
    LocaleDef {
        id: "fr",
        source: include_str!("../locales/fr/dealwatch.ftl"),
        numbers: NumberStyle::FR,
        date: "%d/%m/%Y",
        aliases: &[
            "fr",
            "fr-fr",
            "fr-be",
            "fr-ch",
            "fr-ca",
            "fr_fr",
            "french",
            "français",
            "francais",
            "französisch",
        ],
    },
];

/// The locale of a user who has not chosen one and whose platform gave no hint.
pub const DEFAULT_LOCALE: &str = "en-GB";

#[derive(Debug, thiserror::Error)]
pub enum L10nError {
    #[error("locales/{locale}: {message}")]
    Broken {
        locale: &'static str,
        message: String,
    },
}

/// All bundles, loaded once at start.
pub struct L10n {
    bundles: HashMap<&'static str, (FluentBundle<FluentResource>, &'static LocaleDef)>,
}

impl std::fmt::Debug for L10n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("L10n")
            .field("locales", &self.bundles.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl L10n {
    /// Parse every embedded locale; a syntax error in any file is an error.
    pub fn load() -> Result<L10n, L10nError> {
        let mut bundles = HashMap::new();
        for def in LOCALES {
            let broken = |message: String| L10nError::Broken {
                locale: def.id,
                message,
            };
            let resource =
                FluentResource::try_new(def.source.to_owned()).map_err(|(_, errors)| {
                    broken(format!(
                        "{} syntax errors, first: {:?}",
                        errors.len(),
                        errors.first()
                    ))
                })?;
            let langid: LanguageIdentifier = def.id.parse().map_err(|e| broken(format!("{e}")))?;
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| broken(format!("duplicate messages: {errors:?}")))?;
            bundles.insert(def.id, (bundle, def));
        }
        Ok(L10n { bundles })
    }

    /// The locale id for what a person typed (`de`, `Deutsch`, `fr-CA`).
    pub fn resolve(&self, requested: &str) -> Option<&'static str> {
        let lower = requested.trim().to_lowercase().replace('_', "-");
        LOCALES
            .iter()
            .find(|def| {
                def.id.eq_ignore_ascii_case(&lower) || def.aliases.contains(&lower.as_str())
            })
            .or_else(|| {
                // `de-li`, `en-au`: fall back to the language.
                let language = lower.split('-').next()?;
                LOCALES.iter().find(|def| def.aliases.contains(&language))
            })
            .map(|def| def.id)
    }

    /// Every locale id we ship, for the "available" list.
    pub fn available(&self) -> Vec<&'static str> {
        LOCALES.iter().map(|def| def.id).collect()
    }

    /// A translator for one locale, falling back to the default.
    pub fn tr(&self, locale: &str) -> Tr<'_> {
        let (bundle, def) = self
            .bundles
            .get(locale)
            .or_else(|| self.bundles.get(DEFAULT_LOCALE))
            .expect("the default locale is embedded at compile time");
        let fallback = &self.bundles[DEFAULT_LOCALE].0;
        Tr {
            bundle,
            fallback,
            def,
        }
    }

    /// Message ids of one locale, for completeness checks.
    pub fn message_ids(source: &str) -> Vec<String> {
        let Ok(resource) =
            FluentResource::try_new(source.to_owned()).or_else(|(r, _)| Ok::<_, ()>(r))
        else {
            return Vec::new();
        };
        resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }
}

/// Formats messages for one locale.
pub struct Tr<'a> {
    bundle: &'a FluentBundle<FluentResource>,
    fallback: &'a FluentBundle<FluentResource>,
    def: &'static LocaleDef,
}

/// A message argument: text, or a number fluent can pick plurals by.
pub type Arg<'a> = FluentValue<'a>;

impl Tr<'_> {
    pub fn locale(&self) -> &'static str {
        self.def.id
    }

    /// The message `id` with `args`. A missing id or argument is logged and
    /// never panics: the user gets the best text we can make.
    pub fn msg(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        for bundle in [self.bundle, self.fallback] {
            let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
            if !errors.is_empty() {
                tracing::warn!(
                    message_id = id,
                    locale = self.def.id,
                    ?errors,
                    "message formatted with errors"
                );
            }
            return text.into_owned();
        }
        tracing::error!(
            message_id = id,
            locale = self.def.id,
            "message id missing from every locale"
        );
        id.to_owned()
    }

    pub fn money(&self, money: Money) -> String {
        self.def.numbers.money(money)
    }

    pub fn percent(&self, value: Decimal) -> String {
        self.def.numbers.percent(value)
    }

    pub fn number(&self, value: Decimal) -> String {
        self.def.numbers.number(value)
    }

    /// A UTC timestamp as a date in the user's zone.
    pub fn date(&self, unix: i64, zone: &jiff::tz::TimeZone) -> String {
        match jiff::Timestamp::from_second(unix) {
            Ok(ts) => ts
                .to_zoned(zone.clone())
                .strftime(self.def.date)
                .to_string(),
            Err(_) => String::from("?"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_parses_and_resolves() {
        let l10n = L10n::load().unwrap();
        assert_eq!(l10n.resolve("DE"), Some("de"));
        assert_eq!(l10n.resolve("Deutsch"), Some("de"));
        assert_eq!(l10n.resolve("fr_CA"), Some("fr"));
        assert_eq!(l10n.resolve("en-AU"), Some("en-GB"));
        assert_eq!(l10n.resolve("klingon"), None);
    }

    #[test]
    fn missing_ids_fall_back_without_panicking() {
        let l10n = L10n::load().unwrap();
        assert_eq!(l10n.tr("de").msg("no-such-message", &[]), "no-such-message");
        assert_eq!(l10n.tr("xx").locale(), DEFAULT_LOCALE);
    }
}
