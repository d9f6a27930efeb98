//! Purpose: one definition per chat channel, built from configuration.
//!
//! Each platform has a module here that owns its settings (the
//! environment variables, flattened into [`crate::config::Config`]), says
//! whether they turn it on and what is missing if not, and builds what
//! `serve` needs of it: the [`Sender`] that delivers, the webhook routes
//! that take its messages in, a poller where it has one, and start-up
//! chores (menus, slash commands). Adding a channel is a module here, its
//! entry in [`all`], its adapter in `dealwatch-bots`, its route in
//! `dealwatch-webhooks`, and its tests.

pub mod discord;
pub mod sms;
pub mod telegram;
pub mod whatsapp;

use crate::config::Config;
use crate::l10n::L10n;
use axum::Router;
use dealwatch_bots::{BoxFuture, Channel, InboundSink, Sender};
use std::sync::Arc;

/// Completes when the service stops.
pub type Stop = BoxFuture<'static, ()>;

/// Routes for a channel's webhooks, once the inbox that takes its
/// messages exists.
pub type Routes = Box<dyn FnOnce(Arc<dyn InboundSink>) -> Router + Send>;

/// A channel's background input (Telegram's long polling), run until stop.
pub type Poller = Box<dyn FnOnce(Arc<dyn InboundSink>, Stop) -> BoxFuture<'static, ()> + Send>;

/// A channel that is on, ready to wire.
pub struct Built {
    pub channel: Channel,
    pub sender: Arc<dyn Sender>,
    pub routes: Routes,
    pub poller: Option<Poller>,
    /// Start-up chores, run in the background: a failure costs a menu,
    /// never the channel.
    pub chores: Option<BoxFuture<'static, ()>>,
    /// Answers on the platform's broadcast channels (Telegram channels),
    /// for registering them as communities.
    pub broadcasts: Option<Arc<dyn dealwatch_bots::Broadcasts>>,
}

impl std::fmt::Debug for Built {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Built")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

/// Why a channel whose credentials are set cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error("{channel} needs {what}")]
    Missing {
        channel: Channel,
        what: &'static str,
    },
    #[error("{channel}: {why}")]
    Invalid { channel: Channel, why: String },
}

/// One chat platform as the service sees it.
pub trait ChannelDef: Sync {
    fn channel(&self) -> Channel;
    /// `Ok` when its credentials are set; else the variables that would
    /// turn it on.
    fn status(&self, config: &Config) -> Result<(), &'static str>;
    /// Its sender, routes, poller and chores. Called only when it is on.
    fn build(&self, config: &Config, l10n: &Arc<L10n>) -> Result<Built, ChannelError>;
}

/// Every chat channel but the console, in the order `serve` reports them.
pub fn all() -> [&'static dyn ChannelDef; 4] {
    [
        &telegram::Telegram,
        &discord::Discord,
        &whatsapp::WhatsApp,
        &sms::Sms,
    ]
}

/// The channels that are on, built.
pub fn build_all(config: &Config, l10n: &Arc<L10n>) -> Result<Vec<Built>, ChannelError> {
    all()
        .into_iter()
        .filter(|def| def.status(config).is_ok())
        .map(|def| def.build(config, l10n))
        .collect()
}

/// `Ok` when every value is set, else `needs`.
fn needs_all(set: &[bool], needs: &'static str) -> Result<(), &'static str> {
    if set.iter().all(|s| *s) {
        Ok(())
    } else {
        Err(needs)
    }
}
