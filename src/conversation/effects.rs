//! Purpose: the one place a message's changes are written.
//!
//! Deciding ([`Session::decide`]) reads the sender's account and renders,
//! but writes nothing: a command that changes something comes out as an
//! [`Effect`]. [`Session::apply`] writes it through the caller's [`Unit`]
//! (the transaction the message's replies and its `processed` mark go
//! into, so a command is acted on exactly once), then renders the replies
//! from what the write found: the number a new alert got, or that a plan
//! limit was reached after all.

use super::*;
use crate::command::RuleOp;
use crate::storage::{ChatDestination, DestinationAdded, Unit};
use crate::watching::Notice;

/// A change a command asks for, decided from the command and the sender's
/// account alone.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    /// Watch a product (or change the conditions of the existing watch).
    AddWatch {
        watch: NewWatch,
        limit: u32,
    },
    /// Add a deal rule: the person's own, or (`community`: id, name) one
    /// for their community; `note` says why it is private when it could
    /// not be.
    AddRule {
        spec: RuleSpec,
        community: Option<(i64, String)>,
        note: Option<&'static str>,
        limit: u32,
    },
    /// Add a rule for the shared chat it was typed in: to the chat's
    /// destination (made now, owned by the sender, if it has none), within
    /// `rule_limit` alerts for that community and, for a new one,
    /// `community_limit` communities of the sender's.
    AddChatRule {
        spec: RuleSpec,
        chat: crate::storage::NewDestination,
        rule_limit: u32,
        community_limit: u32,
    },
    /// Pause, resume or delete some of a community's alerts (the owner's
    /// numbers), on behalf of anyone allowed to manage it.
    CommunityRules {
        destination: i64,
        owner: crate::storage::UserId,
        limits: crate::plans::PlanLimits,
        op: crate::command::RuleOp,
        ids: Vec<ItemNo>,
    },
    /// Change one of a shared chat's community settings.
    ChatControls {
        destination: i64,
        name: String,
        setting: crate::command::CommunitySetting,
    },
    /// Post a test message to a community through the outbox (a chat).
    TestCommunity {
        destination: i64,
        name: String,
    },
    /// Stop posting into a shared chat: its destination and its alerts go.
    RemoveChat {
        destination: i64,
        name: String,
    },
    /// Pause or resume items.
    SetStates {
        ids: Vec<ItemNo>,
        state: ItemState,
    },
    Delete {
        ids: Vec<ItemNo>,
    },
    /// Register a community destination, within `limit` of them.
    AddCommunity {
        new: crate::storage::NewDestination,
        limit: u32,
    },
    RemoveCommunity {
        name: String,
    },
    /// Change one of a community's settings.
    CommunityControls {
        name: String,
        setting: crate::command::CommunitySetting,
    },
    /// Name an item, or take its name away.
    Label {
        id: ItemNo,
        label: Option<String>,
    },
    /// Save all preferences, `changed` being the one the person set.
    Settings {
        settings: UserSettings,
        changed: Setting,
    },
    /// Make a link code: the first of `codes` that is free.
    LinkCode {
        codes: Vec<String>,
    },
    /// Join this chat's account into the code's.
    Link {
        code: String,
    },
}

/// The preference a settings command set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setting {
    Quiet,
    Digest,
    Cap,
    Zone,
    Language,
}

/// What a message comes to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    /// Opt the sender's chat out of every message (`STOP`), or back in.
    pub opted_out: Option<bool>,
    pub step: Step,
    /// The answer is about the shared chat it was asked in, not about the
    /// sender, and goes there for everyone (where the platform does not
    /// show answers to the sender alone).
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    /// Nothing to change: the replies are ready.
    Reply(Vec<Outgoing>),
    /// A change to write; the replies depend on what it finds.
    Change(Box<Effect>),
    /// The answer depends on what a platform says: ask, then decide again
    /// ([`super::Core::decide`]).
    Ask(super::Lookup),
}

impl Decision {
    pub(crate) fn reply(replies: Vec<Outgoing>) -> Decision {
        Decision {
            opted_out: None,
            step: Step::Reply(replies),
            public: false,
        }
    }

    /// Answer into the shared chat (see [`Decision::public`]).
    pub(crate) fn public(mut self) -> Decision {
        self.public = true;
        self
    }

    pub(crate) fn ask(lookup: super::Lookup) -> Decision {
        Decision {
            opted_out: None,
            step: Step::Ask(lookup),
            public: false,
        }
    }

    pub(crate) fn change(effect: Effect) -> Decision {
        Decision {
            opted_out: None,
            step: Step::Change(Box::new(effect)),
            public: false,
        }
    }
}

impl Session {
    /// What tells this message's notices from another's in the same
    /// second: the provider's message id, else the sender's chat.
    fn message_key(&self) -> String {
        self.message_id
            .clone()
            .unwrap_or_else(|| format!("i{}", self.identity.id))
    }

    /// Write `decision` through `unit` and render the replies.
    pub(super) async fn apply(
        &mut self,
        unit: &mut Unit,
        decision: Decision,
    ) -> Result<Vec<Outgoing>, CoreError> {
        unit.touch_identity(
            self.identity.id,
            &self.touch.reply_address,
            self.touch.display_name.as_deref(),
            self.touch.private,
            self.now,
        );
        if let Some(opted_out) = decision.opted_out {
            unit.set_opted_out(self.identity.id, opted_out).await?;
            self.identity.opted_out = opted_out;
        }
        let effect = match decision.step {
            Step::Reply(replies) => return Ok(replies),
            Step::Change(effect) => *effect,
            // Core::decide answers every question before a decision is
            // applied; one left over is our bug, and nothing is changed.
            Step::Ask(lookup) => {
                tracing::error!(
                    lookup = lookup.kind(),
                    "a decision still asking was applied"
                );
                return Ok(vec![Outgoing::text(self.tr().msg("error-internal", &[]))]);
            }
        };
        let (user, now) = (self.user.id, self.now);
        Ok(match effect {
            Effect::AddWatch { watch, limit } => {
                let outcome = unit.add_watch(user, &watch, limit, now).await?;
                self.watch_added(&watch, outcome)
            }
            Effect::AddRule {
                spec,
                community,
                note,
                limit,
            } => {
                let destination = community.as_ref().map(|(id, _)| *id);
                let outcome = unit.add_rule(user, &spec, destination, limit, now).await?;
                let name = community.as_ref().map(|(_, name)| name.as_str());
                self.rule_added(&spec, name, false, note, outcome)
            }
            Effect::AddChatRule {
                spec,
                chat,
                rule_limit,
                community_limit,
            } => match unit
                .ensure_chat_destination(user, &chat, community_limit, now)
                .await?
            {
                // A plan's limits are the sender's or the owner's business,
                // never the chat's: said to the sender alone.
                ChatDestination::Limit => {
                    self.answer_privately = true;
                    vec![Outgoing::text(self.community_limit(community_limit))]
                }
                ChatDestination::Found { id, owner, name } => {
                    let outcome = unit
                        .add_rule(owner, &spec, Some(id), rule_limit, now)
                        .await?;
                    self.answer_privately =
                        matches!(outcome, crate::storage::AddOutcome::LimitReached { .. });
                    self.rule_added(&spec, Some(&name), true, None, outcome)
                }
            },
            Effect::CommunityRules {
                destination,
                owner,
                limits,
                op,
                ids,
            } => {
                let mut done = Vec::with_capacity(ids.len());
                for &no in &ids {
                    let found = match op {
                        RuleOp::Delete => unit
                            .delete_item(owner, no, Some(destination))
                            .await?
                            .map(|_| StateChange::Changed(ItemKind::Rule)),
                        RuleOp::Pause | RuleOp::Resume => {
                            let state = if op == RuleOp::Pause {
                                ItemState::Paused
                            } else {
                                ItemState::Active
                            };
                            Some(
                                unit.set_state(owner, no, state, &limits, Some(destination), now)
                                    .await?,
                            )
                        }
                    };
                    done.push((no, found.unwrap_or(StateChange::NotFound)));
                }
                self.community_rules_changed(op, &done)
            }
            Effect::ChatControls {
                destination,
                name,
                setting,
            } => {
                let zone = unit
                    .destination_controls_by_id(destination, &controls(&setting))
                    .await?;
                self.community_controlled(&name, Some(name.clone()), &setting, &zone)
            }
            Effect::TestCommunity { destination, name } => {
                let key = format!("community-test:{destination}:{now}:{}", self.message_key());
                let test = Notice::CommunityTest {
                    destination,
                    name: name.clone(),
                };
                unit.enqueue_notice(user, &key, &test, now).await?;
                vec![Outgoing::text(
                    self.tr()
                        .msg("community-test-queued", &[("name", name.into())]),
                )]
            }
            Effect::RemoveChat { destination, name } => {
                let removed = unit.remove_destination_by_id(destination).await?;
                self.community_removed(&name, removed.then(|| name.clone()))
            }
            Effect::SetStates { ids, state } => {
                let limits = self.limits();
                let mut changes = Vec::with_capacity(ids.len());
                for &no in &ids {
                    let change = unit.set_state(user, no, state, &limits, None, now).await?;
                    changes.push((no, change));
                }
                self.states_changed(state, &changes)
            }
            Effect::Delete { ids } => {
                let mut deleted = Vec::with_capacity(ids.len());
                for &no in &ids {
                    deleted.push((no, unit.delete_item(user, no, None).await?.is_some()));
                }
                self.deleted(&deleted)
            }
            Effect::AddCommunity { new, limit } => {
                let added = unit.add_destination(user, &new, limit, now).await?;
                if added == DestinationAdded::Added {
                    // The test post goes through the outbox, like the
                    // deals that follow it.
                    if let Some(d) = unit.destination_by_place(user, &new).await? {
                        let key = format!("community-added:{d}:{now}:{}", self.message_key());
                        let test = Notice::CommunityTest {
                            destination: d,
                            name: new.name.clone(),
                        };
                        unit.enqueue_notice(user, &key, &test, now).await?;
                    }
                }
                self.community_added(&new, added, limit)
            }
            Effect::CommunityControls { name, setting } => {
                let found = unit
                    .destination_controls(user, &name, &controls(&setting))
                    .await?;
                // Its own zone, else its owner's (the sender's).
                let zone = found
                    .as_ref()
                    .and_then(|(_, zone)| zone.clone())
                    .unwrap_or_else(|| self.user.settings.time_zone.clone());
                let found = found.map(|(name, _)| name);
                self.community_controlled(&name, found, &setting, &zone)
            }
            Effect::RemoveCommunity { name } => {
                let removed = unit.remove_destination(user, &name).await?;
                self.community_removed(&name, removed)
            }
            Effect::Label { id, label } => {
                let found = unit.label_item(user, id, label.as_deref()).await?;
                self.labelled(id, label.as_deref(), found.is_some())
            }
            Effect::Settings { settings, changed } => {
                unit.save_settings(user, &settings, now).await?;
                self.user.settings = settings;
                one(self.saved(self.setting_line(changed)))?
            }
            Effect::LinkCode { codes } => self.make_link_code(unit, &codes).await?,
            Effect::Link { code } => {
                let outcome = unit.redeem_link_code(&code, &self.identity, now).await?;
                if let LinkOutcome::Linked {
                    into,
                    plan,
                    renews_at,
                } = outcome
                {
                    // What moved counts against the surviving plan's limits,
                    // and this chat now speaks for that account, in its language.
                    let limits = self.core.plans.limits(plan);
                    unit.change_plan(into, plan, renews_at, limits, now).await?;
                    self.user = unit.user(into).await?;
                    self.identity.user_id = into;
                }
                self.linked(outcome)
            }
        })
    }

    /// Store the first free code of `codes` (a collision with a live code
    /// is all but impossible, and then the next one is tried).
    async fn make_link_code(
        &self,
        unit: &mut Unit,
        codes: &[String],
    ) -> Result<Vec<Outgoing>, CoreError> {
        for code in codes {
            let created = unit
                .create_link_code(
                    self.user.id,
                    self.identity.id,
                    code,
                    self.now,
                    LINK_CODE_TTL_SECS,
                    LINK_CODES_PER_HOUR,
                )
                .await;
            match created {
                Ok(Some(_)) => return Ok(self.link_code_made(code)),
                Ok(None) => return one(self.tr().msg("link-too-many", &[])),
                Err(StoreError::Database(e))
                    if e.as_database_error()
                        .is_some_and(|d| d.is_unique_violation()) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(CoreError::Store(StoreError::Corrupt(format!(
            "no free link code after {} draws",
            codes.len()
        ))))
    }
}

/// What a community setting changes, as the store takes it.
fn controls(setting: &crate::command::CommunitySetting) -> crate::storage::Controls {
    use crate::command::CommunitySetting as S;
    let mut controls = crate::storage::Controls::default();
    match setting {
        S::Cap(cap) => controls.cap = Some(*cap),
        S::Quiet(quiet) => controls.quiet = Some(*quiet),
        S::Digest(digest) => controls.digest = Some(*digest),
        S::Zone(zone) => controls.time_zone = Some(zone.clone()),
        S::Mention(role) => controls.mention_role = Some(role.clone()),
    }
    controls
}
