//! Purpose: preferences in the conversation: quiet hours, digests, the
//! daily cap, time zone and language, and how `settings` shows them.

use super::*;

impl Session<'_> {
    // ----- preferences ----------------------------------------------------

    pub(super) async fn save(&mut self, settings: UserSettings) -> Result<(), CoreError> {
        self.core
            .store
            .save_settings(self.user.id, &settings, self.now)
            .await?;
        self.user.settings = settings;
        Ok(())
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
        let s = &self.user.settings;
        [
            self.tr().msg("settings-header", &[]),
            self.quiet_line(s.quiet),
            self.digest_line(s.digest),
            self.cap_line(s.daily_cap),
            self.zone_line(),
            self.tr().msg(
                "setting-language",
                &[("language", self.tr().msg("language-name", &[]).into())],
            ),
        ]
        .join("\n")
    }

    pub(super) async fn set_zone(&mut self, requested: &str) -> Result<Vec<Outgoing>, CoreError> {
        let zone = match jiff::tz::TimeZone::get(requested) {
            Ok(zone) => zone,
            Err(_) => {
                let shown: String = requested.chars().take(40).collect();
                return one(self.tr().msg("timezone-unknown", &[("zone", shown.into())]));
            }
        };
        let name = zone.iana_name().unwrap_or(requested).to_owned();
        let mut settings = self.user.settings.clone();
        settings.time_zone = name;
        self.save(settings).await?;
        one(self.saved(self.zone_line()))
    }

    pub(super) async fn set_language(
        &mut self,
        requested: &str,
    ) -> Result<Vec<Outgoing>, CoreError> {
        let Some(locale) = self.core.l10n.resolve(requested) else {
            let tr = self.tr();
            let shown: String = requested.chars().take(20).collect();
            return one(tr.msg(
                "language-unknown",
                &[
                    ("code", shown.into()),
                    ("available", self.core.l10n.available().join(", ").into()),
                ],
            ));
        };
        let mut settings = self.user.settings.clone();
        settings.locale = locale.to_owned();
        self.save(settings).await?;
        let tr = self.tr();
        one(self.saved(tr.msg(
            "setting-language",
            &[("language", tr.msg("language-name", &[]).into())],
        )))
    }
}
