//! Purpose: Telegram as a channel of `serve`: its settings, its sender
//! (paced as if each chat had just had its burst: this process may be
//! replacing one that died), its webhook route or long polling, and its
//! start-up chores (the bot's username, the command menu per language).

use super::{needs_all, Built, ChannelDef, ChannelError, Poller, Routes};
use crate::config::Config;
use crate::l10n::L10n;
use clap::Args;
use dealwatch_bots::telegram::TelegramClient;
use dealwatch_bots::{Channel, InboundSink, Sender};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct TelegramConfig {
    #[arg(skip = crate::config::env_secret("TELEGRAM_BOT_TOKEN"))]
    pub telegram_bot_token: Option<SecretString>,
    #[arg(skip = crate::config::env_secret("TELEGRAM_WEBHOOK_SECRET"))]
    pub telegram_webhook_secret: Option<SecretString>,
    /// `webhook` or `polling`.
    #[arg(long, global = true, env = "TELEGRAM_MODE", default_value = "webhook")]
    pub telegram_mode: String,
    #[arg(
        long,
        global = true,
        env = "TELEGRAM_API_URL",
        default_value = "https://api.telegram.org"
    )]
    pub telegram_api_url: url::Url,
}

pub struct Telegram;

impl ChannelDef for Telegram {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    fn status(&self, config: &Config) -> Result<(), &'static str> {
        needs_all(
            &[config.telegram.telegram_bot_token.is_some()],
            "TELEGRAM_BOT_TOKEN",
        )
    }

    fn build(&self, config: &Config, l10n: &Arc<L10n>) -> Result<Built, ChannelError> {
        let settings = &config.telegram;
        let invalid = |why: String| ChannelError::Invalid {
            channel: Channel::Telegram,
            why,
        };
        let token = settings
            .telegram_bot_token
            .as_ref()
            .ok_or(ChannelError::Missing {
                channel: Channel::Telegram,
                what: "TELEGRAM_BOT_TOKEN",
            })?;
        let client = Arc::new(
            TelegramClient::new(&settings.telegram_api_url, token.expose_secret())
                .map_err(|e| invalid(e.to_string()))?
                .with_pace(TelegramClient::pace().assuming_recent_sends()),
        );
        let (routes, poller): (Routes, Option<Poller>) = match settings.telegram_mode.as_str() {
            "webhook" => {
                let secret = settings
                    .telegram_webhook_secret
                    .as_ref()
                    .ok_or_else(|| {
                        invalid("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET".into())
                    })?
                    .expose_secret()
                    .to_owned();
                let hook = client.clone();
                let routes: Routes = Box::new(move |sink: Arc<dyn InboundSink>| {
                    dealwatch_webhooks::telegram::routes_with(&secret, hook, sink)
                });
                (routes, None)
            }
            "polling" => {
                let polling = client.clone();
                let poller: Poller = Box::new(move |sink: Arc<dyn InboundSink>, stop| {
                    Box::pin(async move {
                        dealwatch_bots::telegram::poll(&polling, sink.as_ref(), 15, stop).await;
                    })
                });
                (Box::new(|_| axum::Router::new()), Some(poller))
            }
            other => {
                return Err(invalid(format!(
                    "TELEGRAM_MODE={other:?}: use webhook or polling"
                )))
            }
        };
        let chores = chores(client.clone(), l10n.clone());
        Ok(Built {
            channel: Channel::Telegram,
            sender: client.clone() as Arc<dyn Sender>,
            routes,
            poller,
            chores: Some(chores),
            broadcasts: Some(client as Arc<dyn dealwatch_bots::Broadcasts>),
        })
    }
}

/// Learn the bot's username (so group commands addressed to other bots are
/// left alone) and publish the command menu in every language we speak.
fn chores(client: Arc<TelegramClient>, l10n: Arc<L10n>) -> dealwatch_bots::BoxFuture<'static, ()> {
    Box::pin(async move {
        if client.username().await.is_none() {
            tracing::warn!("telegram getMe gave no username: group commands to any bot are read as ours until it does");
        }
        for (locale, language) in [("en-GB", None), ("de", Some("de")), ("fr", Some("fr"))] {
            let menu = crate::conversation::command_menu(&l10n, locale);
            if let Err(e) = client.set_commands(&menu, language).await {
                tracing::warn!(error = %e, locale, "publishing the Telegram command menu failed");
            }
        }
    })
}
