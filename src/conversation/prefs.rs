//! Purpose: preferences in the conversation: quiet hours, digests, the
//! daily cap, time zone and language, and how `settings` shows them.

use super::*;

impl Session {
    // ----- preferences ----------------------------------------------------

    /// Save `settings`, `changed` being the preference the person set.
    pub(super) fn set(&self, settings: UserSettings, changed: Setting) -> Decision {
        Decision::change(Effect::Settings { settings, changed })
    }

    /// The line that shows `setting` as it is now.
    pub(super) fn setting_line(&self, setting: Setting) -> String {
        let s = &self.user.settings;
        match setting {
            Setting::Quiet => self.quiet_line(s.quiet),
            Setting::Digest => self.digest_line(s.digest),
            Setting::Cap => self.cap_line(s.daily_cap),
            Setting::Zone => self.zone_line(),
            Setting::Language => {
                let tr = self.tr();
                tr.msg(
                    "setting-language",
                    &[("language", tr.msg("language-name", &[]).into())],
                )
            }
        }
    }

    pub(super) fn saved(&self, line: String) -> String {
        self.tr().msg("saved", &[("setting", line.into())])
    }

    pub(super) fn quiet_line(&self, quiet: Option<QuietHours>) -> String {
        let tr = self.tr();
        match quiet {
            Some(q) => tr.msg(
                "setting-quiet-on",
                &[
                    ("start", q.start.to_string().into()),
                    ("end", q.end.to_string().into()),
                    ("zone", self.user.settings.time_zone.clone().into()),
                ],
            ),
            None => tr.msg("setting-quiet-off", &[]),
        }
    }

    pub(super) fn digest_line(&self, digest: Digest) -> String {
        let tr = self.tr();
        match digest {
            Digest::Off => tr.msg("setting-digest-off", &[]),
            Digest::Daily { at } => {
                tr.msg("setting-digest-daily", &[("time", at.to_string().into())])
            }
            Digest::Weekly { day, at } => tr.msg(
                "setting-digest-weekly",
                &[
                    ("day", tr.msg(&format!("day-{}", day.english()), &[]).into()),
                    ("time", at.to_string().into()),
                ],
            ),
        }
    }

    pub(super) fn cap_line(&self, cap: Option<u32>) -> String {
        let tr = self.tr();
        match cap {
            Some(cap) => tr.msg("setting-cap", &[("cap", i64::from(cap).into())]),
            None => tr.msg("setting-cap-off", &[]),
        }
    }

    pub(super) fn zone_line(&self) -> String {
        self.tr().msg(
            "setting-timezone",
            &[("zone", self.user.settings.time_zone.clone().into())],
        )
    }

    pub(super) fn language_line(&self) -> String {
        let tr = self.tr();
        let mut text = tr.msg(
            "setting-language",
            &[("language", tr.msg("language-name", &[]).into())],
        );
        text.push('\n');
        text.push_str(&tr.msg(
            "language-available",
            &[("available", self.core.l10n.available().join(", ").into())],
        ));
        text
    }

    pub(super) fn settings_text(&self) -> String {
        [
            self.tr().msg("settings-header", &[]),
            self.setting_line(Setting::Quiet),
            self.setting_line(Setting::Digest),
            self.setting_line(Setting::Cap),
            self.setting_line(Setting::Zone),
            self.setting_line(Setting::Language),
        ]
        .join("\n")
    }

    pub(super) fn set_zone(&self, requested: &str) -> Decision {
        let zone = match zone_named(requested) {
            Ok(zone) => zone,
            Err(candidates) if candidates.len() > 1 => {
                // "Which one?": each a button that sets it.
                let shown: String = requested.replace('_', " ").chars().take(40).collect();
                let text = self.tr().msg("timezone-which", &[("place", shown.into())]);
                let mut answer = Outgoing::text(text);
                for zone in candidates.iter().take(5) {
                    answer = answer.with_button(zone.clone(), format!("timezone {zone}"));
                }
                return Decision::reply(vec![answer]);
            }
            Err(_) => {
                let shown: String = requested.chars().take(40).collect();
                let text = self.tr().msg("timezone-unknown", &[("zone", shown.into())]);
                return Decision::reply(vec![Outgoing::text(text)]);
            }
        };
        let mut settings = self.user.settings.clone();
        settings.time_zone = zone.iana_name().unwrap_or(requested).to_owned();
        self.set(settings, Setting::Zone)
    }

    pub(super) fn set_language(&self, requested: &str) -> Decision {
        let Some(locale) = self.core.l10n.resolve(requested) else {
            let shown: String = requested.chars().take(20).collect();
            let text = self.tr().msg(
                "language-unknown",
                &[
                    ("code", shown.into()),
                    ("available", self.core.l10n.available().join(", ").into()),
                ],
            );
            return Decision::reply(vec![Outgoing::text(text)]);
        };
        let mut settings = self.user.settings.clone();
        settings.locale = locale.to_owned();
        self.set(settings, Setting::Language)
    }
}

/// A time zone by its IANA name (`Europe/Berlin`, any case), or by the
/// city it is named after (`Berlin`, `new_york`): the zone, or the names
/// that could be meant (none, or several).
fn zone_named(requested: &str) -> Result<jiff::tz::TimeZone, Vec<String>> {
    if let Ok(zone) = jiff::tz::TimeZone::get(requested) {
        return Ok(zone);
    }
    let city = requested.trim().replace(' ', "_").to_lowercase();
    if city.is_empty() || city.contains('/') {
        return Err(Vec::new());
    }
    let mut candidates: Vec<String> = jiff::tz::db()
        .available()
        .filter(|name| {
            let name = name.as_str();
            // Zones people live in, not the legacy aliases (`US/Eastern`,
            // `Etc/GMT+5`).
            let area = name.split('/').next().unwrap_or_default();
            matches!(
                area,
                "Africa"
                    | "America"
                    | "Antarctica"
                    | "Asia"
                    | "Atlantic"
                    | "Australia"
                    | "Europe"
                    | "Indian"
                    | "Pacific"
            ) && name
                .rsplit('/')
                .next()
                .is_some_and(|last| last.to_lowercase() == city)
        })
        .map(|name| name.as_str().to_owned())
        .collect();
    candidates.sort();
    candidates.dedup();
    match candidates.as_slice() {
        [one] => jiff::tz::TimeZone::get(one).map_err(|_| Vec::new()),
        _ => Err(candidates),
    }
}
