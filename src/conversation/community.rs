//! `community ...`: registering, testing, listing and removing community
//! destinations (Discord channels through their webhook URL, Telegram
//! channels), and managing the alerts of a shared chat from inside it
//! (a Telegram group, a Discord channel the bot is in).
//!
//! Checking a webhook or a channel is a question for the platform
//! ([`super::lookup`]), asked before the command is decided again with its
//! answer; what is stored comes out as an [`Effect`] and is written when
//! the message is applied. Test posts leave through the outbox, like the
//! deals that follow them.

use super::effects::{Decision, Effect};
use super::{one, Answer, ChatChange, Core, CoreError, Fact, Lookup, ReplyTo, Session};
use crate::command::{AddTarget, CommunityCommand, CommunitySetting, ParseError, Problem, RuleOp};
use crate::model::ItemNo;
use crate::storage::{
    chat_kind, free_name, Destination, DestinationAdded, NewDestination, StateChange, Unit,
    DISCORD_CHANNEL, DISCORD_WEBHOOK, TELEGRAM_CHANNEL, TELEGRAM_GROUP,
};
use crate::watching::Notice;
use dealwatch_bots::discord_webhook::WebhookUrl;
use dealwatch_bots::{BroadcastRefusal, ChatEvent, Group, GroupKind, Outgoing, SendError};

impl Core {
    /// Write what happened to a shared chat: we left it (its communities
    /// stop, their owners are told), it moved (they follow), or we joined
    /// it (a stopped one is active again; a group is greeted).
    pub(super) async fn chat_event(
        &self,
        unit: &mut Unit,
        change: ChatChange,
    ) -> Result<Answer, CoreError> {
        let mut answer = Answer {
            to: ReplyTo::Group,
            messages: Vec::new(),
            user: None,
        };
        let Some(kind) = chat_kind(change.channel, change.group.kind) else {
            return Ok(answer);
        };
        let address = &change.group.address;
        match &change.event {
            ChatEvent::Left => {
                let stopped = unit
                    .chat_left(kind, address, "removed from the chat")
                    .await?;
                for (owner, name, id) in stopped {
                    let key = format!("community-left:{id}:{}", change.now);
                    let told = Notice::CommunityLeft { name };
                    unit.enqueue_notice(owner, &key, &told, change.now).await?;
                }
            }
            ChatEvent::MovedTo { address: to } => {
                unit.chat_moved(kind, address, to).await?;
            }
            ChatEvent::Anonymous => {
                // Once in a while per group, never a flood.
                if self
                    .nudges
                    .due(change.channel, address, "anonymous", change.now)
                {
                    let tr = self.l10n.tr(change.locale);
                    answer
                        .messages
                        .push(Outgoing::text(tr.msg("group-anonymous-admin", &[])));
                }
            }
            ChatEvent::Joined => {
                let back = unit.chat_joined(kind, address).await?;
                if change.group.kind == GroupKind::Group {
                    let tr = self.l10n.tr(change.locale);
                    let mut text = tr.msg("group-welcome", &[]);
                    if back > 0 {
                        text.push('\n');
                        text.push_str(&tr.msg("group-welcome-back", &[]));
                    }
                    answer.messages.push(Outgoing::text(text));
                }
            }
        }
        Ok(answer)
    }
}

/// What a community command is about when typed without a name.
enum About {
    /// The chat it was typed in.
    Chat,
    /// One of the sender's communities, by name.
    Named,
    /// The sender's own list, or something only done privately.
    Own,
}

fn about(cmd: &CommunityCommand) -> About {
    let name = match cmd {
        CommunityCommand::List => return About::Chat,
        CommunityCommand::Add { .. } => return About::Own,
        CommunityCommand::Test { name }
        | CommunityCommand::Remove { name }
        | CommunityCommand::Set { name, .. }
        | CommunityCommand::Rules { name, .. } => name,
    };
    if name.is_some() {
        About::Named
    } else {
        About::Chat
    }
}

impl Session {
    pub(super) async fn community(&self, cmd: CommunityCommand) -> Result<Decision, CoreError> {
        match (about(&cmd), self.group.clone()) {
            (About::Chat, Some(group)) => return self.chat_community(cmd, &group).await,
            (About::Chat, None) if cmd != CommunityCommand::List => {
                let missing = ParseError {
                    command: "community",
                    problem: Problem::MissingCommunityName,
                };
                return Ok(Decision::reply(vec![self.parse_error(&missing)]));
            }
            _ => {}
        }
        let replies = match cmd {
            CommunityCommand::List => self.list_communities().await?,
            CommunityCommand::Add {
                target: AddTarget::Webhook(webhook),
                name,
            } => return self.add_community(webhook, name).await,
            CommunityCommand::Add {
                target: AddTarget::Channel(channel),
                name,
            } => return self.add_channel(&channel, name).await,
            CommunityCommand::Test { name } => {
                return self.test_community(&name.unwrap_or_default()).await
            }
            CommunityCommand::Remove { name } => {
                return Ok(Decision::change(Effect::RemoveCommunity {
                    name: name.unwrap_or_default(),
                }))
            }
            CommunityCommand::Set { name, setting } => {
                let name = name.unwrap_or_default();
                let d = match self.community_named(&name).await? {
                    Ok(d) => d,
                    Err(none) => return Ok(none),
                };
                return Ok(match self.checked(setting, &d.kind) {
                    Ok(setting) => Decision::change(Effect::CommunityControls { name, setting }),
                    Err(refusal) => Decision::reply(vec![Outgoing::text(refusal)]),
                });
            }
            CommunityCommand::Rules { name, op, ids } => {
                let name = name.unwrap_or_default();
                let d = match self.community_named(&name).await? {
                    Ok(d) => d,
                    Err(none) => return Ok(none),
                };
                return Ok(Decision::change(Effect::CommunityRules {
                    destination: d.id,
                    owner: self.user.id,
                    limits: self.limits(),
                    op,
                    ids,
                }));
            }
        };
        Ok(Decision::reply(replies))
    }

    fn not_found(&self, name: &str) -> Outgoing {
        Outgoing::text(
            self.tr()
                .msg("community-not-found", &[("name", name.to_owned().into())]),
        )
    }

    /// A community command about the shared chat it was typed in. Anyone
    /// may see what is posted there; only those the platform says manage
    /// the chat (Telegram administrators, Discord's Manage Channels) change
    /// it. What a manager changes is answered in the chat for everyone
    /// (on Discord, to them alone).
    async fn chat_community(
        &self,
        cmd: CommunityCommand,
        group: &Group,
    ) -> Result<Decision, CoreError> {
        let tr = self.tr();
        let Some(kind) = chat_kind(self.identity.channel, group.kind) else {
            return Ok(Decision::reply(vec![Outgoing::text(
                tr.msg("community-chat-unsupported", &[]),
            )]));
        };
        let chat = self
            .core
            .store
            .destinations()
            .chat(kind, &group.address)
            .await?;
        if cmd == CommunityCommand::List {
            let listing = self.chat_listing(chat.as_ref()).await?;
            let decision = Decision::reply(listing);
            return Ok(if group.sender_can_manage {
                decision.public()
            } else {
                decision
            });
        }
        if !group.sender_can_manage {
            return Ok(Decision::reply(vec![Outgoing::text(
                tr.msg("community-admins-only", &[]),
            )]));
        }
        let Some(d) = chat else {
            return Ok(
                Decision::reply(vec![Outgoing::text(tr.msg("community-chat-none", &[]))]).public(),
            );
        };
        let decision = match cmd {
            CommunityCommand::Test { .. } => Decision::reply(vec![Outgoing::text(
                tr.msg("community-test-post", &[("name", d.name.clone().into())]),
            )]),
            CommunityCommand::Remove { .. } => Decision::change(Effect::RemoveChat {
                destination: d.id,
                name: d.name,
            }),
            CommunityCommand::Set { setting, .. } => match self.checked(setting, &d.kind) {
                Ok(setting) => Decision::change(Effect::ChatControls {
                    destination: d.id,
                    name: d.name,
                    setting,
                }),
                Err(refusal) => Decision::reply(vec![Outgoing::text(refusal)]),
            },
            CommunityCommand::Rules { op, ids, .. } => {
                let owner = self.core.store.users().user(d.owner).await?;
                Decision::change(Effect::CommunityRules {
                    destination: d.id,
                    owner: d.owner,
                    limits: self.core.plans.limits(owner.plan),
                    op,
                    ids,
                })
            }
            CommunityCommand::List | CommunityCommand::Add { .. } => {
                Decision::reply(vec![Outgoing::text(tr.msg("community-add-private", &[]))])
            }
        };
        Ok(decision.public())
    }

    /// What is posted into a shared chat: its alerts, cap and quiet hours.
    async fn chat_listing(&self, chat: Option<&Destination>) -> Result<Vec<Outgoing>, CoreError> {
        let tr = self.tr();
        let Some(d) = chat else {
            return one(tr.msg("community-chat-none", &[]));
        };
        let rules = self.core.store.destinations().rules(d.id).await?;
        let mut lines = vec![tr.msg(
            "community-chat-header",
            &[
                ("name", d.name.clone().into()),
                ("count", (rules.len() as i64).into()),
            ],
        )];
        for r in &rules {
            let mut line = tr.msg(
                "list-rule",
                &[
                    ("id", i64::from(r.no.get()).into()),
                    ("summary", self.rule_summary(&r.spec).into()),
                ],
            );
            if r.state == crate::model::ItemState::Paused {
                line.push_str(&tr.msg("state-paused", &[]));
            }
            lines.push(line);
        }
        lines.push(self.controls_line(d));
        lines.push(tr.msg("community-chat-usage", &[]));
        one(lines.join("\n"))
    }

    /// A community's cap, quiet hours and state, on one line.
    fn controls_line(&self, d: &Destination) -> String {
        let tr = self.tr();
        let mut line = tr.msg("community-cap", &[("cap", i64::from(d.daily_cap).into())]);
        if let Some(q) = d.quiet {
            line.push_str(&tr.msg(
                "community-quiet",
                &[
                    ("start", q.start.to_string().into()),
                    ("end", q.end.to_string().into()),
                ],
            ));
        }
        if d.digest != crate::model::Digest::Off {
            line.push_str(&tr.msg(
                "community-digest",
                &[("digest", self.digest_line(d.digest).into())],
            ));
        }
        if let Some(zone) = &d.time_zone {
            line.push_str(&tr.msg("community-zone", &[("zone", zone.clone().into())]));
        }
        if let Some(role) = &d.mention_role {
            line.push_str(&tr.msg(
                "community-mentions",
                &[("role", format!("<@&{role}>").into())],
            ));
        }
        if d.disabled.is_some() {
            line.push_str(&tr.msg("community-disabled", &[]));
        }
        line.trim_start_matches([' ', '·']).to_owned()
    }

    /// Register a Telegram channel: the platform checks that both the
    /// sender and we may post there; a test post follows once it is kept.
    async fn add_channel(
        &self,
        channel: &str,
        name: Option<String>,
    ) -> Result<Decision, CoreError> {
        let tr = self.tr();
        let reply = |id: &str| {
            Ok(Decision::reply(vec![Outgoing::text(
                tr.msg(id, &[("channel", channel.to_owned().into())]),
            )]))
        };
        if self.group.is_some() {
            return reply("community-channel-private");
        }
        if !self.core.platforms.has_broadcasts(self.identity.channel) {
            return reply("community-channel-unsupported");
        }
        let lookup = Lookup::Broadcast {
            on: self.identity.channel,
            channel: channel.to_owned(),
            sender: self.identity.external_id.clone(),
        };
        let checked = match self.facts.get(&lookup) {
            Some(Fact::Broadcast(checked)) => checked.clone(),
            _ => return Ok(Decision::ask(lookup)),
        };
        let info = match checked {
            Ok(info) => info,
            Err(BroadcastRefusal::NotFound) => return reply("community-channel-not-found"),
            Err(BroadcastRefusal::NotBroadcast) => return reply("community-channel-not-channel"),
            Err(BroadcastRefusal::SenderNotAdmin) => return reply("community-channel-not-admin"),
            Err(BroadcastRefusal::WeCannotPost) => return reply("community-channel-bot-not-admin"),
            Err(BroadcastRefusal::Platform(e)) => {
                tracing::warn!(error = %e, "checking a Telegram channel failed");
                return reply("community-channel-down");
            }
        };
        let limit = self.limits().communities;
        let existing = self.core.store.destinations().of(self.user.id).await?;
        let again = existing
            .iter()
            .any(|d| d.kind == TELEGRAM_CHANNEL && d.external_id == info.address);
        if !again && existing.len() >= limit as usize {
            return Ok(Decision::reply(vec![Outgoing::text(
                self.community_limit(limit),
            )]));
        }
        let name = name.unwrap_or_else(|| {
            let taken: Vec<String> = existing.iter().map(|d| d.name.to_lowercase()).collect();
            let own = info.handle.as_deref().or(info.title.as_deref());
            free_name(own.unwrap_or_default(), "channel", &taken)
        });
        Ok(Decision::change(Effect::AddCommunity {
            new: NewDestination {
                kind: TELEGRAM_CHANNEL,
                name,
                external_id: info.address.clone(),
                sealed_secret: None,
                channel_id: Some(info.address),
                guild_id: None,
            },
            limit,
        }))
    }

    /// The answer to `community pause|resume|delete`.
    pub(super) fn community_rules_changed(
        &self,
        op: RuleOp,
        done: &[(ItemNo, StateChange)],
    ) -> Vec<Outgoing> {
        let tr = self.tr();
        let lines: Vec<String> = done
            .iter()
            .map(|(no, change)| {
                let id = ("id", crate::l10n::Arg::from(i64::from(no.get())));
                match change {
                    StateChange::NotFound => tr.msg("community-rule-not-found", &[id]),
                    StateChange::LimitReached { limit, .. } => tr.msg(
                        "community-rule-limit",
                        &[id, ("max", i64::from(*limit).into())],
                    ),
                    StateChange::Unchanged(_) | StateChange::Changed(_) => match op {
                        RuleOp::Pause => tr.msg("community-rule-paused", &[id]),
                        RuleOp::Resume => tr.msg("community-rule-resumed", &[id]),
                        RuleOp::Delete => tr.msg("community-rule-deleted", &[id]),
                    },
                }
            })
            .collect();
        vec![Outgoing::text(lines.join("\n"))]
    }

    async fn list_communities(&self) -> Result<Vec<Outgoing>, CoreError> {
        let tr = self.tr();
        let all = self.core.store.destinations().of(self.user.id).await?;
        if all.is_empty() {
            return one(tr.msg("community-none", &[]));
        }
        let mut lines = vec![tr.msg(
            "community-list-header",
            &[("count", (all.len() as i64).into())],
        )];
        for d in &all {
            let line = tr.msg(
                "community-list-line",
                &[
                    ("name", d.name.clone().into()),
                    ("place", self.place(&d.kind, &d.external_id).into()),
                    ("controls", self.controls_line(d).into()),
                ],
            );
            lines.push(line);
        }
        one(lines.join("\n"))
    }

    /// Check the webhook exists, then store it (sealed) under a name; its
    /// test message follows through the outbox.
    async fn add_community(
        &self,
        webhook: WebhookUrl,
        name: Option<String>,
    ) -> Result<Decision, CoreError> {
        let tr = self.tr();
        let reply = |text: String| Ok(Decision::reply(vec![Outgoing::text(text)]));
        if self.group.is_some() {
            // Everyone there has seen the URL: it should not be used.
            return reply(tr.msg("community-add-private", &[]));
        }
        let Some(communities) = &self.core.communities else {
            return reply(tr.msg("community-unavailable", &[]));
        };
        let limit = self.limits().communities;
        let existing = self.core.store.destinations().of(self.user.id).await?;
        // The same webhook again, or a new one for a stopped community of
        // that name, takes no new place.
        let again = existing.iter().any(|d| {
            d.kind == DISCORD_WEBHOOK
                && (d.external_id == webhook.id()
                    || (d.disabled.is_some() && name.as_deref() == Some(d.name.as_str())))
        });
        if !again && existing.len() >= limit as usize {
            return reply(self.community_limit(limit));
        }
        let lookup = Lookup::Webhook(webhook.clone());
        let info = match self.facts.get(&lookup) {
            Some(Fact::Webhook(Ok(info))) => info.clone(),
            Some(Fact::Webhook(Err(e))) => return reply(self.discord_refused(e)),
            _ => return Ok(Decision::ask(lookup)),
        };
        let name = match name {
            Some(name) => name,
            None => {
                let taken: Vec<String> = existing.iter().map(|d| d.name.to_lowercase()).collect();
                free_name(info.name.as_deref().unwrap_or_default(), "discord", &taken)
            }
        };
        let Some(sealed_secret) = communities.sealer.seal(webhook.token().as_bytes()) else {
            return reply(tr.msg("community-unavailable", &[]));
        };
        Ok(Decision::change(Effect::AddCommunity {
            new: NewDestination {
                kind: DISCORD_WEBHOOK,
                name,
                external_id: webhook.id().to_owned(),
                sealed_secret: Some(sealed_secret),
                channel_id: info.channel_id,
                guild_id: info.guild_id,
            },
            limit,
        }))
    }

    /// One of the sender's communities by name; else the answer that they
    /// have none by that name.
    async fn community_named(
        &self,
        name: &str,
    ) -> Result<Result<Destination, Decision>, CoreError> {
        let found = self
            .core
            .store
            .destinations()
            .named(self.user.id, name)
            .await?;
        Ok(found.ok_or_else(|| Decision::reply(vec![self.not_found(name)])))
    }

    /// Post a test message to one of the sender's communities, through the
    /// outbox like its deals (a webhook Discord no longer knows stops the
    /// community there, and its owner is told).
    async fn test_community(&self, name: &str) -> Result<Decision, CoreError> {
        let destination = match self.community_named(name).await? {
            Ok(d) => d,
            Err(none) => return Ok(none),
        };
        if destination.kind == DISCORD_WEBHOOK {
            let opened = self
                .core
                .communities
                .as_ref()
                .map(|c| c.webhook(&destination));
            let message = match opened {
                None => Some("community-unavailable"),
                // Sealed under another key (DEALWATCH_SEAL_KEY changed).
                Some(None) => Some("community-secret-lost"),
                Some(Some(_)) => None,
            };
            if let Some(message) = message {
                return Ok(Decision::reply(vec![Outgoing::text(
                    self.tr().msg(message, &[("name", destination.name.into())]),
                )]));
            }
        }
        Ok(Decision::change(Effect::TestCommunity {
            destination: destination.id,
            name: destination.name,
        }))
    }

    /// Where a community is, as its owner recognises it (a webhook's
    /// masked URL, a chat's kind and id).
    fn place(&self, kind: &str, external_id: &str) -> String {
        let tr = self.tr();
        let id = ("id", crate::l10n::Arg::from(external_id.to_owned()));
        match kind {
            DISCORD_WEBHOOK => tr.msg(
                "community-place-webhook",
                &[("url", WebhookUrl::masked_id(external_id).into())],
            ),
            DISCORD_CHANNEL => tr.msg("community-place-discord-channel", &[id]),
            TELEGRAM_GROUP => tr.msg("community-place-telegram-group", &[id]),
            TELEGRAM_CHANNEL => tr.msg("community-place-telegram-channel", &[id]),
            other => other.to_owned(),
        }
    }

    pub(super) fn community_limit(&self, limit: u32) -> String {
        self.tr()
            .msg("community-limit", &[("max", i64::from(limit).into())])
    }

    /// Why Discord would not take the webhook, for its owner.
    fn discord_refused(&self, e: &SendError) -> String {
        let tr = self.tr();
        match e {
            SendError::Unreachable(_) => tr.msg("community-webhook-gone", &[]),
            SendError::RetryAfter(_) | SendError::Transient(_) => {
                tracing::warn!(error = %e, "Discord webhook call failed");
                tr.msg("community-discord-down", &[])
            }
            SendError::Permanent(_) | SendError::Moved(_) => {
                tracing::warn!(error = %e, "Discord refused a webhook call");
                tr.msg("community-webhook-refused", &[])
            }
        }
    }

    /// The answer once a community is stored (or not).
    pub(super) fn community_added(
        &self,
        new: &NewDestination,
        added: DestinationAdded,
        limit: u32,
    ) -> Vec<Outgoing> {
        let tr = self.tr();
        let name = |n: &str| ("name", n.to_owned().into());
        let text = match added {
            DestinationAdded::Added => tr.msg(
                "community-added",
                &[
                    name(&new.name),
                    ("place", self.place(new.kind, &new.external_id).into()),
                ],
            ),
            DestinationAdded::Again { name: kept } => tr.msg("community-again", &[name(&kept)]),
            DestinationAdded::NameTaken => tr.msg("community-name-taken", &[name(&new.name)]),
            DestinationAdded::Limit => self.community_limit(limit),
        };
        vec![Outgoing::text(text)]
    }

    /// A setting as it will be stored: a time zone by its canonical
    /// name; or why it cannot be (an unknown zone, a role mention for a
    /// community that is not on Discord).
    fn checked(&self, setting: CommunitySetting, kind: &str) -> Result<CommunitySetting, String> {
        let tr = self.tr();
        match setting {
            CommunitySetting::Zone(zone) => match jiff::tz::TimeZone::get(&zone) {
                Ok(found) => Ok(CommunitySetting::Zone(
                    found.iana_name().unwrap_or(&zone).to_owned(),
                )),
                Err(_) => {
                    let shown: String = zone.chars().take(40).collect();
                    Err(tr.msg("timezone-unknown", &[("zone", shown.into())]))
                }
            },
            CommunitySetting::Mention(Some(_))
                if !matches!(kind, DISCORD_WEBHOOK | DISCORD_CHANNEL) =>
            {
                Err(tr.msg("community-mention-discord-only", &[]))
            }
            setting => Ok(setting),
        }
    }

    /// The answer once a community's setting is changed (or it was not
    /// found); `zone` is the one its hours are in.
    pub(super) fn community_controlled(
        &self,
        asked: &str,
        found: Option<String>,
        setting: &CommunitySetting,
        zone: &str,
    ) -> Vec<Outgoing> {
        let tr = self.tr();
        let Some(name) = found else {
            return vec![self.not_found(asked)];
        };
        let name = || ("name", crate::l10n::Arg::from(name.clone()));
        let zone = || ("zone", crate::l10n::Arg::from(zone.to_owned()));
        let text = match setting {
            CommunitySetting::Cap(cap) => tr.msg(
                "community-cap-set",
                &[name(), ("cap", i64::from(*cap).into())],
            ),
            CommunitySetting::Quiet(Some(q)) => tr.msg(
                "community-quiet-set",
                &[
                    name(),
                    ("start", q.start.to_string().into()),
                    ("end", q.end.to_string().into()),
                    zone(),
                ],
            ),
            CommunitySetting::Quiet(None) => tr.msg("community-quiet-off", &[name()]),
            CommunitySetting::Digest(digest) => tr.msg(
                "community-digest-set",
                &[name(), ("digest", self.digest_line(*digest).into()), zone()],
            ),
            CommunitySetting::Zone(_) => tr.msg("community-zone-set", &[name(), zone()]),
            CommunitySetting::Mention(Some(role)) => tr.msg(
                "community-mention-set",
                &[name(), ("role", format!("<@&{role}>").into())],
            ),
            CommunitySetting::Mention(None) => tr.msg("community-mention-off", &[name()]),
        };
        vec![Outgoing::text(text)]
    }

    pub(super) fn community_removed(&self, asked: &str, removed: Option<String>) -> Vec<Outgoing> {
        let tr = self.tr();
        let text = match removed {
            Some(name) => tr.msg("community-removed", &[("name", name.into())]),
            None => tr.msg("community-not-found", &[("name", asked.to_owned().into())]),
        };
        vec![Outgoing::text(text)]
    }
}
