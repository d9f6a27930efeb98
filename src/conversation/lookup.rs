//! Purpose: the few questions a command's answer needs a platform for,
//! asked in one place, outside the code that decides.
//!
//! Deciding never calls a platform. When a command's answer depends on
//! what a platform says (does this Discord webhook exist, may this person
//! and we post to that Telegram channel, a Stripe Checkout or portal
//! link), the session stops with [`Step::Ask`](super::effects::Step) and
//! the [`Lookup`] it needs; [`Core::decide`](super::Core::decide) has
//! [`Platforms::answer`] ask it and decides again with the [`Fact`] in
//! hand. So the conversation's code is a function of the message, what the
//! store says and the facts, and every call out to a platform is in this
//! file. Posts (a community's test message) are not lookups: they leave
//! through the outbox like everything else that is sent.

use crate::billing::{BillingError, CheckoutRequest, Payments};
use crate::storage::StoreError;
use dealwatch_bots::discord::DiscordClient;
use dealwatch_bots::discord_webhook::{WebhookInfo, WebhookUrl};
use dealwatch_bots::{BroadcastInfo, BroadcastRefusal, Broadcasts, Channel, SendError};
use std::collections::HashMap;
use std::sync::Arc;

/// Lookups one message may need before it is decided (an `upgrade` needs
/// one; nothing needs more than two). A session that keeps asking past
/// this is a bug, answered as an internal error rather than a loop.
pub(super) const MAX_LOOKUPS: usize = 3;

/// A question for a platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// What Discord says about a webhook URL (a read; nothing is posted).
    Webhook(WebhookUrl),
    /// Whether `sender` on `on` and we may post to the broadcast channel
    /// `channel` (a Telegram `@name` or id).
    Broadcast {
        on: Channel,
        channel: String,
        sender: String,
    },
    /// A Stripe Checkout link.
    Checkout(CheckoutRequest),
    /// A Stripe customer portal link.
    Portal { customer: String, locale: String },
}

impl Lookup {
    /// Its name in logs and spans (never its contents: a webhook's token).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Lookup::Webhook(_) => "discord_webhook",
            Lookup::Broadcast { .. } => "broadcast_channel",
            Lookup::Checkout(_) => "stripe_checkout",
            Lookup::Portal { .. } => "stripe_portal",
        }
    }
}

/// What a platform answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fact {
    Webhook(Result<WebhookInfo, SendError>),
    Broadcast(Result<BroadcastInfo, BroadcastRefusal>),
    /// A payment link, or why Stripe made none (already logged).
    Link(Result<String, LinkFailed>),
}

/// Stripe made no link (the reason is in the log and the metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LinkFailed;

/// The facts learnt for one message so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct Facts(Vec<(Lookup, Fact)>);

impl Facts {
    pub(crate) fn get(&self, lookup: &Lookup) -> Option<&Fact> {
        self.0.iter().find(|(l, _)| l == lookup).map(|(_, f)| f)
    }

    pub(crate) fn learn(&mut self, lookup: Lookup, fact: Fact) {
        self.0.push((lookup, fact));
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

/// The platforms that answer lookups, as configured (each `None` or
/// missing when that feature is off: the session then says so without
/// asking).
#[derive(Clone, Default)]
pub struct Platforms {
    pub(super) payments: Option<Arc<dyn Payments>>,
    pub(super) discord: Option<Arc<DiscordClient>>,
    pub(super) broadcasts: HashMap<Channel, Arc<dyn Broadcasts>>,
}

impl std::fmt::Debug for Platforms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platforms")
            .field("payments", &self.payments.is_some())
            .field("discord", &self.discord.is_some())
            .field("broadcasts", &self.broadcasts.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Platforms {
    pub(crate) fn sells(&self) -> bool {
        self.payments.is_some()
    }

    pub(crate) fn has_broadcasts(&self, on: Channel) -> bool {
        self.broadcasts.contains_key(&on)
    }

    /// Ask the platform. `Err` only for our own failure (the store, while
    /// Stripe's side looks a customer up): the message is retried whole.
    pub(crate) async fn answer(&self, lookup: &Lookup) -> Result<Fact, StoreError> {
        Ok(match lookup {
            Lookup::Webhook(url) => Fact::Webhook(match &self.discord {
                Some(discord) => discord.webhook_info(url).await,
                None => Err(SendError::Permanent("communities are off".into())),
            }),
            Lookup::Broadcast {
                on,
                channel,
                sender,
            } => Fact::Broadcast(match self.broadcasts.get(on) {
                Some(platform) => platform.check_broadcast(channel, sender).await,
                None => Err(BroadcastRefusal::NotFound),
            }),
            Lookup::Checkout(request) => Fact::Link(match &self.payments {
                Some(payments) => link(payments.checkout(request).await)?,
                None => Err(LinkFailed),
            }),
            Lookup::Portal { customer, locale } => Fact::Link(match &self.payments {
                Some(payments) => link(payments.portal(customer, locale).await)?,
                None => Err(LinkFailed),
            }),
        })
    }
}

/// Stripe's answer as a fact: the person hears at once that no link was
/// made (a retry of the whole message would keep them waiting); the
/// operator reads why in the log.
fn link(made: Result<String, BillingError>) -> Result<Result<String, LinkFailed>, StoreError> {
    match made {
        Ok(url) => Ok(Ok(url)),
        Err(BillingError::Store(e)) => Err(e),
        Err(e) => {
            tracing::error!(error = %e, "payment link not made");
            Ok(Err(LinkFailed))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "Zq3-Xk_9aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefghijklmnopqrstuvw";

    #[test]
    fn a_lookup_never_shows_a_webhook_token() {
        let url =
            WebhookUrl::parse(&format!("https://discord.com/api/webhooks/111/{TOKEN}")).unwrap();
        let lookup = Lookup::Webhook(url);
        let shown = format!("{lookup:?} {}", lookup.kind());
        assert!(shown.contains("111"), "{shown}");
        assert!(!shown.contains(&TOKEN[..10]), "{shown}");
    }

    #[tokio::test]
    async fn a_platform_that_is_off_answers_no_without_a_call() {
        let platforms = Platforms::default();
        let portal = Lookup::Portal {
            customer: "cus_1".into(),
            locale: "en-GB".into(),
        };
        assert_eq!(
            platforms.answer(&portal).await.unwrap(),
            Fact::Link(Err(LinkFailed))
        );
        let channel = Lookup::Broadcast {
            on: Channel::Telegram,
            channel: "@deals".into(),
            sender: "1".into(),
        };
        assert_eq!(
            platforms.answer(&channel).await.unwrap(),
            Fact::Broadcast(Err(BroadcastRefusal::NotFound))
        );
        let mut facts = Facts::default();
        assert!(facts.get(&portal).is_none());
        facts.learn(portal.clone(), Fact::Link(Ok("https://billing".into())));
        assert_eq!(
            facts.get(&portal),
            Some(&Fact::Link(Ok("https://billing".into())))
        );
        assert!(facts.get(&channel).is_none());
    }
}
