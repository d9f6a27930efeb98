//! Purpose: what one command comes to for the person who sent it: the
//! dispatch from each [`Command`] to the family that answers it (`items`,
//! `prefs`, `account`, `community`), help, and how a parse error is said.

use super::*;

pub(super) fn one(text: String) -> Result<Vec<Outgoing>, CoreError> {
    Ok(vec![Outgoing::text(text)])
}

pub(super) fn id_arg(no: ItemNo) -> Arg<'static> {
    Arg::from(i64::from(no.get()))
}

impl Session {
    pub(super) fn tr(&self) -> Tr<'_> {
        self.core.l10n.tr(&self.user.settings.locale)
    }

    pub(super) fn limits(&self) -> crate::plans::PlanLimits {
        self.core.plans.limits(self.user.plan)
    }

    pub(super) fn zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.user.settings.time_zone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// What a command comes to. Questions are answered here (reading the
    /// store); changes come out as an [`Effect`] and nothing is written.
    pub(super) async fn decide(&self, cmd: Command) -> Result<Decision, CoreError> {
        let replies = match cmd {
            // A Telegram deep link (t.me/<bot>?start=CODE) carries a link code.
            Command::Start {
                payload: Some(code),
            } if is_link_code(&code) => {
                // A link someone else made can carry their code: never join
                // from a tap, only show what joining would do.
                let mut replies = self.link_preview(&code.to_ascii_uppercase()).await?;
                replies.insert(0, Outgoing::text(self.tr().msg("welcome", &[])));
                replies
            }
            Command::Start { .. } => one(self.tr().msg("welcome", &[]))?,
            Command::Help { topic } => one(self.help(topic.as_deref()))?,
            Command::Watch(spec) => return Ok(self.watch(spec)),
            Command::Alert(spec) => return self.alert(spec).await,
            Command::AlertTo { spec, to, plain } => return self.alert_to(spec, &to, plain).await,
            Command::List => self.list().await?,
            Command::Settings => one(self.settings_text())?,
            Command::Pause(ids) => {
                return Ok(Decision::change(Effect::SetStates {
                    ids,
                    state: ItemState::Paused,
                }))
            }
            Command::Resume(ids) => {
                return Ok(Decision::change(Effect::SetStates {
                    ids,
                    state: ItemState::Active,
                }))
            }
            cmd @ (Command::PauseAll | Command::ResumeAll) => {
                let state = if cmd == Command::PauseAll {
                    ItemState::Paused
                } else {
                    ItemState::Active
                };
                // One's own watches and alerts; a community's alerts are its
                // managers' to pause.
                let ids: Vec<_> = self
                    .core
                    .store
                    .items()
                    .of(self.user.id)
                    .await?
                    .iter()
                    .filter(|item| !matches!(item, Item::Rule(rule) if rule.community.is_some()))
                    .map(Item::no)
                    .collect();
                if ids.is_empty() {
                    one(self.tr().msg("list-empty", &[]))?
                } else {
                    return Ok(Decision::change(Effect::SetStates { ids, state }));
                }
            }
            Command::Thanks => one(self.tr().msg("thanks-reply", &[]))?,
            Command::DeleteMatching(words) => return self.delete_matching(&words).await,
            Command::Delete(ids) => return Ok(Decision::change(Effect::Delete { ids })),
            Command::Community(cmd) => return self.community(cmd).await,
            Command::Name { id, label } => {
                return Ok(Decision::change(Effect::Label { id, label }))
            }
            Command::Test(no) => self.test(no).await?,
            Command::History(no) => self.history(no).await?,
            Command::Quiet(None) => one(self.quiet_line(self.user.settings.quiet))?,
            Command::Quiet(Some(quiet)) => {
                let mut settings = self.user.settings.clone();
                settings.quiet = quiet;
                return Ok(self.set(settings, Setting::Quiet));
            }
            Command::Digest(None) => one(self.digest_line(self.user.settings.digest))?,
            Command::Digest(Some(digest)) => {
                let mut settings = self.user.settings.clone();
                settings.digest = digest;
                return Ok(self.set(settings, Setting::Digest));
            }
            Command::Cap(None) => one(self.cap_line(self.user.settings.daily_cap))?,
            Command::Cap(Some(cap)) => {
                let mut settings = self.user.settings.clone();
                settings.daily_cap = cap;
                return Ok(self.set(settings, Setting::Cap));
            }
            Command::Timezone(None) => one(self.zone_line())?,
            Command::Timezone(Some(zone)) => return Ok(self.set_zone(&zone)),
            Command::Language(None) => one(self.language_line())?,
            Command::Language(Some(code)) => return Ok(self.set_language(&code)),
            Command::Plan => self.plan().await?,
            Command::Upgrade(paid) => return self.upgrade(paid).await,
            Command::Billing => return self.billing().await,
            Command::Link { code: None, .. } => {
                let codes = (0..3).map(|_| new_link_code()).collect();
                return Ok(Decision::change(Effect::LinkCode { codes }));
            }
            Command::Link {
                code: Some(code),
                confirmed: false,
            } => self.link_preview(&code).await?,
            Command::Link {
                code: Some(code),
                confirmed: true,
            } => return Ok(Decision::change(Effect::Link { code })),
            Command::Stop => {
                return Ok(Decision {
                    opted_out: Some(true),
                    step: Step::Reply(one(self.tr().msg("stopped", &[]))?),
                    public: false,
                })
            }
            Command::Unstop => one(self.tr().msg("unstopped", &[]))?,
            Command::Unclear(readings) => {
                let tr = self.tr();
                let mut reply = Outgoing::text(
                    tr.msg("unclear-which", &[("readings", readings.join("\n").into())]),
                );
                for reading in readings {
                    reply = reply.with_button(reading.clone(), reading);
                }
                vec![reply]
            }
            Command::Unknown { word, suggestion } => {
                let tr = self.tr();
                let shown: String = word.chars().take(40).collect();
                let mut text = tr.msg("unknown-command", &[("word", shown.into())]);
                text.push('\n');
                text.push_str(&match suggestion {
                    Some(cmd) => tr.msg(
                        "did-you-mean",
                        &[("usage", tr.msg(&format!("usage-{cmd}"), &[]).into())],
                    ),
                    None => tr.msg("send-help", &[]),
                });
                one(text)?
            }
        };
        Ok(Decision::reply(replies))
    }

    // ----- help and errors ----------------------------------------------

    pub(super) fn help(&self, topic: Option<&str>) -> String {
        let tr = self.tr();
        let Some(topic) = topic else {
            return tr.msg("help-overview", &[]);
        };
        match command::canonical_name(topic) {
            Some(name) => tr.msg(&format!("help-{name}"), &[]),
            None => {
                let shown: String = topic.chars().take(40).collect();
                tr.msg("help-unknown-topic", &[("topic", shown.into())])
            }
        }
    }

    pub(super) fn parse_error(&self, error: &ParseError) -> Outgoing {
        let tr = self.tr();
        let text = |s: &str| Arg::from(s.chars().take(60).collect::<String>());
        let args: Vec<(&str, Arg<'_>)> = match &error.problem {
            Problem::TooLong { chars } => vec![
                ("chars", (*chars as i64).into()),
                ("max", (command::MAX_INPUT_CHARS as i64).into()),
            ],
            Problem::BadUrl { text: t }
            | Problem::BadPrice { text: t }
            | Problem::BadPercent { text: t }
            | Problem::BadId { text: t }
            | Problem::BadTime { text: t }
            | Problem::BadDay { text: t }
            | Problem::BadScore { text: t }
            | Problem::BadCondition { text: t }
            | Problem::BadChannel { text: t }
            | Problem::BadPlan { text: t }
            | Problem::BadCode { text: t }
            | Problem::BadRole { text: t }
            | Problem::Unexpected { text: t } => vec![("text", text(t))],
            Problem::BadCap { text: t } => vec![
                ("text", text(t)),
                ("max", i64::from(command::MAX_CAP).into()),
            ],
            Problem::UnsupportedScheme { scheme } => vec![("scheme", text(scheme))],
            Problem::WordTooLong { word } => vec![("word", text(word))],
            Problem::TooManyIds => vec![("max", (command::MAX_IDS as i64).into())],
            Problem::LabelTooLong { max } => vec![("max", (*max as i64).into())],
            Problem::BadWebhook { why } => vec![("why", (*why).into())],
            Problem::BadCommunityName { text: t } => vec![
                ("text", text(t)),
                ("max", (command::community::MAX_NAME_CHARS as i64).into()),
            ],
            Problem::MissingCommunityName => vec![],
            Problem::TooManyWords => vec![("max", (command::MAX_WORDS as i64).into())],
            Problem::Empty
            | Problem::MissingUrl
            | Problem::UrlWithCredentials
            | Problem::TwoUrls
            | Problem::MixedCurrencies
            | Problem::BoundsInverted
            | Problem::MissingId
            | Problem::EmptyWindow
            | Problem::MissingWords
            | Problem::MissingPlan => vec![],
        };
        let id = format!("problem-{}", error.problem.code());
        let mut reply = tr.msg(&id, &args);
        if !error.command.is_empty() {
            reply.push('\n');
            let usage = tr.msg(&format!("usage-{}", error.command), &[]);
            reply.push_str(&tr.msg("try-usage", &[("usage", usage.into())]));
        }
        Outgoing::text(reply)
    }
}
