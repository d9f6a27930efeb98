//! Purpose: Discord as a channel of `serve`: its settings, its REST client
//! (bot token for posts, application id for interaction replies), the
//! signed interactions route, and the slash command registration.

use super::{needs_all, Built, ChannelDef, ChannelError, Routes};
use crate::config::Config;
use crate::l10n::L10n;
use clap::Args;
use dealwatch_bots::discord::{CommandSpec, DiscordClient};
use dealwatch_bots::{Channel, InboundSink, Sender};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct DiscordConfig {
    /// The application's Ed25519 public key, hex.
    #[arg(long, global = true, env = "DISCORD_PUBLIC_KEY")]
    pub discord_public_key: Option<String>,
    #[arg(long, global = true, env = "DISCORD_APPLICATION_ID")]
    pub discord_application_id: Option<String>,
    #[arg(skip = crate::config::env_secret("DISCORD_BOT_TOKEN"))]
    pub discord_bot_token: Option<SecretString>,
    #[arg(
        long,
        global = true,
        env = "DISCORD_API_URL",
        default_value = "https://discord.com/api/v10"
    )]
    pub discord_api_url: url::Url,
}

pub struct Discord;

impl ChannelDef for Discord {
    fn channel(&self) -> Channel {
        Channel::Discord
    }

    fn status(&self, config: &Config) -> Result<(), &'static str> {
        let d = &config.discord;
        needs_all(
            &[
                d.discord_public_key.is_some(),
                d.discord_application_id.is_some(),
            ],
            "DISCORD_PUBLIC_KEY and DISCORD_APPLICATION_ID",
        )
    }

    fn build(&self, config: &Config, l10n: &Arc<L10n>) -> Result<Built, ChannelError> {
        let settings = &config.discord;
        let key = settings
            .discord_public_key
            .as_deref()
            .ok_or(ChannelError::Missing {
                channel: Channel::Discord,
                what: "DISCORD_PUBLIC_KEY",
            })?;
        let key =
            dealwatch_webhooks::discord::public_key(key).map_err(|e| ChannelError::Invalid {
                channel: Channel::Discord,
                why: format!("DISCORD_PUBLIC_KEY: {e}"),
            })?;
        let client = Arc::new(client(config)?);
        // Built once: the webhook reads options with them, Discord lists them.
        let specs = crate::slash::commands(l10n);
        let chores = if settings.discord_bot_token.is_some() {
            Some(register(client.clone(), specs.clone()))
        } else {
            tracing::warn!("DISCORD_BOT_TOKEN is not set: Discord commands are answered, but alerts cannot be posted and slash commands are not registered");
            None
        };
        let routes: Routes = Box::new(move |sink: Arc<dyn InboundSink>| {
            dealwatch_webhooks::discord::routes(key, specs, sink)
        });
        Ok(Built {
            channel: Channel::Discord,
            sender: client as Arc<dyn Sender>,
            routes,
            poller: None,
            chores,
            broadcasts: None,
        })
    }
}

/// The REST client from the settings (also `dealwatch discord-register`).
pub fn client(config: &Config) -> Result<DiscordClient, ChannelError> {
    let settings = &config.discord;
    let invalid = |why: String| ChannelError::Invalid {
        channel: Channel::Discord,
        why,
    };
    let application_id =
        settings
            .discord_application_id
            .as_deref()
            .ok_or(ChannelError::Missing {
                channel: Channel::Discord,
                what: "DISCORD_APPLICATION_ID",
            })?;
    if application_id.is_empty() || !application_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "DISCORD_APPLICATION_ID must be the application's numeric id".into(),
        ));
    }
    let token = settings
        .discord_bot_token
        .as_ref()
        .map(|t| t.expose_secret().to_owned());
    DiscordClient::new(&settings.discord_api_url, application_id, token.as_deref())
        .map_err(|e| invalid(e.to_string()))
}

/// Register the slash commands: a failure costs the command list (the old
/// one stays), never the channel.
fn register(
    client: Arc<DiscordClient>,
    specs: Vec<CommandSpec>,
) -> dealwatch_bots::BoxFuture<'static, ()> {
    Box::pin(async move {
        match client.register_commands(&specs).await {
            Ok(n) => tracing::info!(commands = n, "Discord slash commands registered"),
            Err(e) => tracing::warn!(error = %e, "registering Discord slash commands failed"),
        }
    })
}
