//! `community ...`: registering, testing, listing and removing community
//! destinations (Discord channels through their webhook URL).
//!
//! Checking a webhook and posting the test message are calls to Discord,
//! made while deciding (as a payment link is); what is stored comes out as
//! an [`Effect`] and is written when the message is applied.

use super::effects::{Decision, Effect};
use super::{one, CoreError, Session};
use crate::command::community::MAX_NAME_CHARS;
use crate::command::CommunityCommand;
use crate::storage::{DestinationAdded, NewDestination, DISCORD_WEBHOOK};
use dealwatch_bots::discord_webhook::WebhookUrl;
use dealwatch_bots::{Outgoing, SendError};

impl Session {
    pub(super) async fn community(&self, cmd: CommunityCommand) -> Result<Decision, CoreError> {
        let replies = match cmd {
            CommunityCommand::List => self.list_communities().await?,
            CommunityCommand::Add { webhook, name } => {
                return self.add_community(webhook, name).await
            }
            CommunityCommand::Test { name } => self.test_community(&name).await?,
            CommunityCommand::Remove { name } => {
                return Ok(Decision::change(Effect::RemoveCommunity { name }))
            }
            CommunityCommand::Cap { name, cap } => {
                return Ok(Decision::change(Effect::CommunityControls {
                    name,
                    cap: Some(cap),
                    quiet: None,
                }))
            }
            CommunityCommand::Quiet { name, quiet } => {
                return Ok(Decision::change(Effect::CommunityControls {
                    name,
                    cap: None,
                    quiet: Some(quiet),
                }))
            }
        };
        Ok(Decision::reply(replies))
    }

    async fn list_communities(&self) -> Result<Vec<Outgoing>, CoreError> {
        let tr = self.tr();
        let all = self.core.store.destinations(self.user.id).await?;
        if all.is_empty() {
            return one(tr.msg("community-none", &[]));
        }
        let mut lines = vec![tr.msg(
            "community-list-header",
            &[("count", (all.len() as i64).into())],
        )];
        for d in &all {
            let mut line = tr.msg(
                "community-list-line",
                &[
                    ("name", d.name.clone().into()),
                    ("url", WebhookUrl::masked_id(&d.external_id).into()),
                ],
            );
            line.push_str(&tr.msg("community-cap", &[("cap", i64::from(d.daily_cap).into())]));
            if let Some(q) = d.quiet {
                line.push_str(&tr.msg(
                    "community-quiet",
                    &[
                        ("start", q.start.to_string().into()),
                        ("end", q.end.to_string().into()),
                    ],
                ));
            }
            if d.disabled.is_some() {
                line.push_str(&tr.msg("community-disabled", &[]));
            }
            lines.push(line);
        }
        one(lines.join("\n"))
    }

    /// Check the webhook exists, post a test message through it, then
    /// store it (sealed) under a name.
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
        let existing = self.core.store.destinations(self.user.id).await?;
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
        let info = match communities.discord.webhook_info(&webhook).await {
            Ok(info) => info,
            Err(e) => return reply(self.discord_refused(&e)),
        };
        let name = match name {
            Some(name) => name,
            None => free_name(
                info.name.as_deref(),
                existing.iter().map(|d| d.name.as_str()),
            ),
        };
        let test = Outgoing::text(tr.msg("community-test-post", &[("name", name.clone().into())]));
        if let Err(e) = communities.discord.execute_webhook(&webhook, &test).await {
            return reply(self.discord_refused(&e));
        }
        let Some(sealed_secret) = communities.sealer.seal(webhook.token().as_bytes()) else {
            return reply(tr.msg("community-unavailable", &[]));
        };
        Ok(Decision::change(Effect::AddCommunity {
            new: NewDestination {
                kind: DISCORD_WEBHOOK,
                name,
                external_id: webhook.id().to_owned(),
                sealed_secret,
                channel_id: info.channel_id,
                guild_id: info.guild_id,
            },
            limit,
        }))
    }

    async fn test_community(&self, name: &str) -> Result<Vec<Outgoing>, CoreError> {
        let tr = self.tr();
        let Some(communities) = &self.core.communities else {
            return one(tr.msg("community-unavailable", &[]));
        };
        let Some(destination) = self.core.store.destination(self.user.id, name).await? else {
            return one(tr.msg("community-not-found", &[("name", name.to_owned().into())]));
        };
        let Some(webhook) = communities.webhook(&destination) else {
            // Sealed under another key (DEALWATCH_SEAL_KEY changed).
            return one(tr.msg(
                "community-secret-lost",
                &[("name", destination.name.into())],
            ));
        };
        let test = Outgoing::text(tr.msg(
            "community-test-post",
            &[("name", destination.name.clone().into())],
        ));
        match communities.discord.execute_webhook(&webhook, &test).await {
            Ok(_) => one(tr.msg("community-tested", &[("name", destination.name.into())])),
            Err(e) => one(self.discord_refused(&e)),
        }
    }

    fn community_limit(&self, limit: u32) -> String {
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
            SendError::Permanent(_) => {
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
                    ("url", WebhookUrl::masked_id(&new.external_id).into()),
                ],
            ),
            DestinationAdded::Again { name: kept } => tr.msg("community-again", &[name(&kept)]),
            DestinationAdded::NameTaken => tr.msg("community-name-taken", &[name(&new.name)]),
            DestinationAdded::Limit => self.community_limit(limit),
        };
        vec![Outgoing::text(text)]
    }

    /// The answer to `community cap|quiet NAME ...`.
    pub(super) fn community_controlled(
        &self,
        asked: &str,
        found: Option<String>,
        cap: Option<u32>,
        quiet: Option<Option<crate::model::QuietHours>>,
    ) -> Vec<Outgoing> {
        let tr = self.tr();
        let Some(name) = found else {
            return vec![Outgoing::text(
                tr.msg("community-not-found", &[("name", asked.to_owned().into())]),
            )];
        };
        let name = || ("name", crate::l10n::Arg::from(name.clone()));
        let text = match (cap, quiet) {
            (Some(cap), _) => tr.msg(
                "community-cap-set",
                &[name(), ("cap", i64::from(cap).into())],
            ),
            (None, Some(Some(q))) => tr.msg(
                "community-quiet-set",
                &[
                    name(),
                    ("start", q.start.to_string().into()),
                    ("end", q.end.to_string().into()),
                    ("zone", self.user.settings.time_zone.clone().into()),
                ],
            ),
            (None, _) => tr.msg("community-quiet-off", &[name()]),
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

/// A name for a webhook registered without one: its own name in lower
/// case with `-` for anything else, else `discord`; `-2`, `-3`, ... when
/// the person uses that name already.
fn free_name<'a>(webhook_name: Option<&str>, taken: impl Iterator<Item = &'a str>) -> String {
    let mut base: String = webhook_name
        .unwrap_or_default()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    base = base
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    // A name is typed in rules, so it starts with a letter.
    if !base.chars().next().is_some_and(char::is_alphabetic) {
        base = format!("discord-{base}").trim_end_matches('-').to_owned();
    }
    base = base.chars().take(MAX_NAME_CHARS - 3).collect();
    let taken: Vec<String> = taken.map(str::to_lowercase).collect();
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::free_name;

    #[test]
    fn a_webhook_without_a_name_gets_a_free_one() {
        assert_eq!(free_name(Some("Deals Bot!"), [].into_iter()), "deals-bot");
        assert_eq!(free_name(None, [].into_iter()), "discord");
        assert_eq!(
            free_name(Some("2024 Deals"), [].into_iter()),
            "discord-2024-deals"
        );
        assert_eq!(free_name(Some("  "), ["discord"].into_iter()), "discord-2");
        assert_eq!(
            free_name(Some("Deals"), ["deals", "deals-2"].into_iter()),
            "deals-3"
        );
        assert!(
            free_name(Some(&"x".repeat(100)), [].into_iter())
                .chars()
                .count()
                <= 32
        );
    }
}
