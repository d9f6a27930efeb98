//! Purpose: WhatsApp (Cloud API) as a channel of `serve`: its settings,
//! its sender (free-form replies inside the 24-hour window, the approved
//! template outside it), and the verification and signed notification
//! routes.

use super::{needs_all, Built, ChannelDef, ChannelError, Routes};
use crate::config::Config;
use crate::l10n::L10n;
use clap::Args;
use dealwatch_bots::whatsapp::{Template, WhatsAppClient};
use dealwatch_bots::{Channel, InboundSink, Sender};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct WhatsAppConfig {
    #[arg(skip = crate::config::env_secret("WHATSAPP_ACCESS_TOKEN"))]
    pub whatsapp_access_token: Option<SecretString>,
    #[arg(long, global = true, env = "WHATSAPP_PHONE_NUMBER_ID")]
    pub whatsapp_phone_number_id: Option<String>,
    #[arg(skip = crate::config::env_secret("WHATSAPP_APP_SECRET"))]
    pub whatsapp_app_secret: Option<SecretString>,
    #[arg(skip = crate::config::env_secret("WHATSAPP_VERIFY_TOKEN"))]
    pub whatsapp_verify_token: Option<SecretString>,
    #[arg(
        long,
        global = true,
        env = "WHATSAPP_API_URL",
        default_value = "https://graph.facebook.com/v21.0"
    )]
    pub whatsapp_api_url: url::Url,
    /// The approved template alerts go out as after 24 h without a message
    /// from the user; its body has one parameter, {{1}}, for the alert text.
    #[arg(
        long,
        global = true,
        env = "WHATSAPP_TEMPLATE_NAME",
        default_value = "deal_alert"
    )]
    pub whatsapp_template_name: String,
    /// The language code the template was approved in.
    #[arg(
        long,
        global = true,
        env = "WHATSAPP_TEMPLATE_LANGUAGE",
        default_value = "en_GB"
    )]
    pub whatsapp_template_language: String,
}

pub struct WhatsApp;

impl ChannelDef for WhatsApp {
    fn channel(&self) -> Channel {
        Channel::WhatsApp
    }

    fn status(&self, config: &Config) -> Result<(), &'static str> {
        let w = &config.whatsapp;
        needs_all(
            &[
                w.whatsapp_access_token.is_some(),
                w.whatsapp_phone_number_id.is_some(),
                w.whatsapp_app_secret.is_some(),
            ],
            "WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_APP_SECRET",
        )
    }

    fn build(&self, config: &Config, _l10n: &Arc<L10n>) -> Result<Built, ChannelError> {
        let settings = &config.whatsapp;
        let missing = |what| ChannelError::Missing {
            channel: Channel::WhatsApp,
            what,
        };
        let token = settings
            .whatsapp_access_token
            .as_ref()
            .ok_or(missing("WHATSAPP_ACCESS_TOKEN"))?;
        let phone = settings
            .whatsapp_phone_number_id
            .clone()
            .ok_or(missing("WHATSAPP_PHONE_NUMBER_ID"))?;
        let secret = settings
            .whatsapp_app_secret
            .as_ref()
            .ok_or(missing("WHATSAPP_APP_SECRET"))?
            .expose_secret()
            .to_owned();
        let template = Template {
            name: settings.whatsapp_template_name.clone(),
            language: settings.whatsapp_template_language.clone(),
        };
        let client = WhatsAppClient::new(
            &settings.whatsapp_api_url,
            &phone,
            token.expose_secret(),
            template,
        )
        .map_err(|e| ChannelError::Invalid {
            channel: Channel::WhatsApp,
            why: e.to_string(),
        })?
        .with_pace(WhatsAppClient::pace().assuming_recent_sends());
        let verify = settings
            .whatsapp_verify_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned());
        if verify.is_none() {
            tracing::warn!(
                "WHATSAPP_VERIFY_TOKEN is not set: Meta's subscription check will be refused"
            );
        }
        let verify = verify.unwrap_or_default();
        let routes: Routes = Box::new(move |sink: Arc<dyn InboundSink>| {
            dealwatch_webhooks::whatsapp::routes(&secret, &verify, &phone, sink)
        });
        Ok(Built {
            channel: Channel::WhatsApp,
            sender: Arc::new(client) as Arc<dyn Sender>,
            routes,
            poller: None,
            chores: None,
            broadcasts: None,
        })
    }
}
