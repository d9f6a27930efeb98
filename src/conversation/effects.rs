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
use crate::storage::AddOutcome;
use crate::storage::Unit;

/// A change a command asks for, decided from the command and the sender's
/// account alone.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    /// Watch a product (or change the conditions of the existing watch).
    AddWatch {
        watch: NewWatch,
        limit: u32,
    },
    /// Add a deal rule; `post_to` is the shared chat it posts into, and
    /// `note` says why it is private when it could not be.
    AddRule {
        spec: RuleSpec,
        post_to: Option<String>,
        /// A community destination (id, name) it posts to instead.
        community: Option<(i64, String)>,
        note: Option<&'static str>,
        limit: u32,
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
    /// Set a community's daily cap or quiet hours.
    CommunityControls {
        name: String,
        cap: Option<u32>,
        quiet: Option<Option<crate::model::QuietHours>>,
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
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    /// Nothing to change: the replies are ready.
    Reply(Vec<Outgoing>),
    /// A change to write; the replies depend on what it finds.
    Change(Effect),
}

impl Decision {
    pub(crate) fn reply(replies: Vec<Outgoing>) -> Decision {
        Decision {
            opted_out: None,
            step: Step::Reply(replies),
        }
    }

    pub(crate) fn change(effect: Effect) -> Decision {
        Decision {
            opted_out: None,
            step: Step::Change(effect),
        }
    }
}

impl Session {
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
            Step::Change(effect) => effect,
        };
        let (user, now) = (self.user.id, self.now);
        Ok(match effect {
            Effect::AddWatch { watch, limit } => {
                let outcome = unit.add_watch(user, &watch, limit, now).await?;
                self.watch_added(&watch, outcome)
            }
            Effect::AddRule {
                spec,
                post_to,
                community,
                note,
                limit,
            } => {
                let target = post_to.as_deref().map(|a| (self.identity.channel, a));
                let outcome = unit.add_rule(user, &spec, target, limit, now).await?;
                let destination = match (&community, &outcome) {
                    (Some((id, name)), AddOutcome::Created(no)) => {
                        unit.post_rule_to(user, *no, *id).await?;
                        Some(name.as_str())
                    }
                    _ => None,
                };
                self.rule_added(&spec, post_to.is_some(), destination, note, outcome)
            }
            Effect::SetStates { ids, state } => {
                let limits = self.limits();
                let mut changes = Vec::with_capacity(ids.len());
                for &no in &ids {
                    let change = unit
                        .set_state(user, no, state, limits.watches, limits.rules, now)
                        .await?;
                    changes.push((no, change));
                }
                self.states_changed(state, &changes)
            }
            Effect::Delete { ids } => {
                let mut deleted = Vec::with_capacity(ids.len());
                for &no in &ids {
                    deleted.push((no, unit.delete_item(user, no).await?.is_some()));
                }
                self.deleted(&deleted)
            }
            Effect::AddCommunity { new, limit } => {
                let added = unit.add_destination(user, &new, limit, now).await?;
                self.community_added(&new, added, limit)
            }
            Effect::CommunityControls { name, cap, quiet } => {
                let found = unit.destination_controls(user, &name, cap, quiet).await?;
                self.community_controlled(&name, found, cap, quiet)
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
