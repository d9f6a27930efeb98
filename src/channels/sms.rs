//! Purpose: SMS through Twilio as a channel of `serve`: its settings, its
//! sender (one message a second per number), and the signed inbound route
//! that answers with TwiML (Twilio signs the exact public URL it calls).

use super::{needs_all, Built, ChannelDef, ChannelError, Routes};
use crate::config::Config;
use crate::l10n::L10n;
use clap::Args;
use dealwatch_bots::sms::TwilioClient;
use dealwatch_bots::{Channel, InboundSink, Sender};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct TwilioConfig {
    #[arg(long, global = true, env = "TWILIO_ACCOUNT_SID")]
    pub twilio_account_sid: Option<String>,
    #[arg(skip = crate::config::env_secret("TWILIO_AUTH_TOKEN"))]
    pub twilio_auth_token: Option<SecretString>,
    #[arg(long, global = true, env = "TWILIO_FROM_NUMBER")]
    pub twilio_from_number: Option<String>,
    #[arg(
        long,
        global = true,
        env = "TWILIO_API_URL",
        default_value = "https://api.twilio.com"
    )]
    pub twilio_api_url: url::Url,
}

pub struct Sms;

impl ChannelDef for Sms {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    fn status(&self, config: &Config) -> Result<(), &'static str> {
        let t = &config.twilio;
        needs_all(
            &[
                t.twilio_account_sid.is_some(),
                t.twilio_auth_token.is_some(),
                t.twilio_from_number.is_some(),
            ],
            "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER",
        )
    }

    fn build(&self, config: &Config, _l10n: &Arc<L10n>) -> Result<Built, ChannelError> {
        let settings = &config.twilio;
        let missing = |what| ChannelError::Missing {
            channel: Channel::Sms,
            what,
        };
        let sid = settings
            .twilio_account_sid
            .as_deref()
            .ok_or(missing("TWILIO_ACCOUNT_SID"))?;
        let token = settings
            .twilio_auth_token
            .as_ref()
            .ok_or(missing("TWILIO_AUTH_TOKEN"))?
            .expose_secret()
            .to_owned();
        let from = settings
            .twilio_from_number
            .as_deref()
            .ok_or(missing("TWILIO_FROM_NUMBER"))?;
        let public = config
            .public_base_url
            .as_ref()
            .ok_or(missing(
                "PUBLIC_BASE_URL (Twilio signs the exact URL it calls)",
            ))?
            .as_str()
            .to_owned();
        let client = TwilioClient::new(&settings.twilio_api_url, sid, &token, from)
            .map_err(|e| ChannelError::Invalid {
                channel: Channel::Sms,
                why: e.to_string(),
            })?
            .with_pace(TwilioClient::pace().assuming_recent_sends());
        let routes: Routes = Box::new(move |sink: Arc<dyn InboundSink>| {
            dealwatch_webhooks::sms::routes(&token, &public, sink)
        });
        Ok(Built {
            channel: Channel::Sms,
            sender: Arc::new(client) as Arc<dyn Sender>,
            routes,
            poller: None,
            chores: None,
            broadcasts: None,
        })
    }
}
