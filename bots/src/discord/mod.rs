//! Purpose: Discord's HTTP interactions and REST API, to and from the
//! neutral messages.
//!
//! Dealwatch uses Discord without the gateway: slash commands and button
//! presses arrive as interactions on our webhook (see
//! `dealwatch-webhooks`), are answered at once with a deferred response,
//! and the reply follows by editing that response through the
//! interaction's token (valid 15 minutes). Alerts go to the user's DMs, or
//! for a community rule into a guild channel, through the bot token.
//!
//! A slash command's options are turned back into the text command the
//! core understands ([`CommandSpec`] says how each option reads as text),
//! so Discord users get the same conversation as everyone else.

use crate::pace::Pace;
use crate::{
    split_text, BoxFuture, Channel, Group, Incoming, Outgoing, ParseError, SendError, Sender,
};
use serde_json::Value;
use serenity::builder::{
    CreateActionRow, CreateAllowedMentions, CreateAttachment, CreateAutocompleteResponse,
    CreateButton, CreateCommand, CreateCommandOption, CreateEmbed, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse, ExecuteWebhook,
};
use serenity::http::{HttpBuilder, LightMethod, Multipart, MultipartUpload, Request, Route};
use serenity::model::application::{
    ButtonStyle, CommandData, CommandDataOptionValue, CommandOptionType, CommandType,
    InteractionContext,
};
use serenity::model::channel::{MessageFlags, PartialChannel};
use serenity::model::guild::Member;
use serenity::model::id::{ApplicationId, ChannelId, RoleId, WebhookId};
use serenity::model::permissions::Permissions;
use serenity::model::user::User;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a payload that cannot be read was supposed to be.
const WHAT: &str = "a Discord interaction";

/// An embed description's limit, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4096;
/// A button's `custom_id` limit, in characters.
pub const MAX_CUSTOM_ID_CHARS: usize = 100;
/// A button label's limit, in characters.
pub const MAX_LABEL_CHARS: usize = 80;
/// Discord's limit on a link button's URL, in characters.
pub const MAX_URL_BYTES: usize = 512;
/// Buttons in one action row, and rows in one message.
const BUTTONS_PER_ROW: usize = 5;
const MAX_ROWS: usize = 5;
/// Slash command and option descriptions: 1 to 100 characters.
pub const MAX_COMMAND_DESCRIPTION_CHARS: usize = 100;
/// The ephemeral message flag (only the invoking user sees the message).
pub const EPHEMERAL: u64 = 1 << 6;
/// The embed colour of our messages.
const COLOUR: u32 = 0x2f_9e_44;
/// Longest wait for a rate-limit bucket we do inline; longer waits go back
/// to the caller as [`SendError::RetryAfter`].
const MAX_INLINE_WAIT: Duration = Duration::from_secs(5);

mod interactions;
mod render;

pub use interactions::*;
pub use render::*;

/// Discord asks bots to identify themselves this way.
const USER_AGENT: &str = concat!(
    "DiscordBot (https://github.com/dealwatch/dealwatch, ",
    env!("CARGO_PKG_VERSION"),
    ")"
);

/// The path serenity's routes start with; [`DiscordClient`] sends them to
/// `DISCORD_API_URL` instead.
const DISCORD_API: &str = "https://discord.com/api/v10";

/// A Discord REST client on serenity: its routes, builders and model
/// types, and its `Http` (pointed at `DISCORD_API_URL`) for the calls
/// that are not deliveries. Deliveries are sent on the same reqwest
/// client by us, paced by us (see docs/ARCHITECTURE.md, "Discord on
/// serenity").
pub struct DiscordClient {
    http: reqwest::Client,
    /// serenity's client, for registering commands; `None` when
    /// `DISCORD_API_URL` does not end in `/api/v10` (see [`DiscordClient::new`]).
    serenity: Option<serenity::http::Http>,
    /// `DISCORD_API_URL` without a trailing slash.
    api: String,
    application_id: String,
    /// The bot token; never logged.
    token: Option<String>,
    /// DM channel of each user we have opened one with.
    dm_channels: Mutex<HashMap<String, String>>,
    /// When each rate-limit bucket (keyed by route) empties until.
    exhausted_until: Mutex<HashMap<String, Instant>>,
    /// The global limit of bot requests (interaction webhooks are outside it).
    pace: Pace,
}

impl std::fmt::Debug for DiscordClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordClient")
            .field("api", &self.api)
            .field("application_id", &self.application_id)
            .finish_non_exhaustive()
    }
}

/// What a call sends: a JSON body, optionally with one file.
struct Body {
    json: Vec<u8>,
    file: Option<CreateAttachment>,
}

impl Body {
    fn of(
        builder: &impl serde::Serialize,
        file: Option<&CreateAttachment>,
    ) -> Result<Body, SendError> {
        let json = serde_json::to_vec(builder).map_err(|e| SendError::Permanent(e.to_string()))?;
        Ok(Body {
            json,
            file: file.cloned(),
        })
    }
}

impl DiscordClient {
    /// `api` is `DISCORD_API_URL` (`https://discord.com/api/v10`). Without
    /// a bot token the client can answer interactions and post through
    /// webhook URLs, but not open DMs, post as the bot or register
    /// commands.
    pub fn new(
        api: &url::Url,
        application_id: &str,
        bot_token: Option<&str>,
    ) -> Result<DiscordClient, SendError> {
        let http = crate::http_client(20, Some(USER_AGENT))?;
        let api = api.as_str().trim_end_matches('/').to_owned();
        // serenity writes `https://discord.com/api/v10/…` and, given a
        // proxy, swaps only the origin: its `Http` can be pointed at an API
        // URL that ends in the version it speaks (the default does).
        let serenity = api.strip_suffix("/api/v10").map(|origin| {
            let mut builder = HttpBuilder::new(bot_token.unwrap_or_default())
                .client(http.clone())
                .proxy(origin.to_owned())
                // Its limiter would not use the proxy; ours paces deliveries.
                .ratelimiter_disabled(true);
            if let Ok(id) = application_id.parse::<u64>() {
                if id != 0 {
                    builder = builder.application_id(ApplicationId::new(id));
                }
            }
            builder.build()
        });
        Ok(DiscordClient {
            http,
            serenity,
            api,
            application_id: application_id.to_owned(),
            token: bot_token.map(str::to_owned),
            dm_channels: Mutex::new(HashMap::new()),
            exhausted_until: Mutex::new(HashMap::new()),
            pace: Self::pace(),
        })
    }

    /// Discord's global limit, a little under: 50 requests a second per
    /// bot. Per-route limits come from the response headers.
    pub fn pace() -> Pace {
        Pace::new(Some(Pace::every(47)), None)
    }

    /// Pace bot requests differently (tests).
    pub fn with_pace(mut self, pace: Pace) -> DiscordClient {
        self.pace = pace;
        self
    }

    /// Send serenity's request for `route` to `DISCORD_API_URL`, as the
    /// bot or (for webhook and interaction routes) with no authorization;
    /// the JSON answer on success (`Null` for 204). Rate-limit headers
    /// feed our buckets; a 429 comes back as [`SendError::RetryAfter`]
    /// with Discord's own wait.
    async fn call(
        &self,
        method: LightMethod,
        route: Route<'_>,
        body: Option<Body>,
        query: Option<&str>,
        bot: bool,
    ) -> Result<Value, SendError> {
        let path = route.path().into_owned();
        let tail = path.strip_prefix(DISCORD_API).unwrap_or(&path).to_owned();
        // A route bucket is per path with ids; webhook paths carry their
        // token, so the key is kept in the map, never logged.
        let bucket = format!("{} {tail}", method.reqwest_method());
        self.wait_for_bucket(&bucket).await?;
        let token = if bot {
            let Some(token) = &self.token else {
                return Err(SendError::Permanent("DISCORD_BOT_TOKEN is not set".into()));
            };
            self.pace.admit(&tail).await?;
            format!("Bot {token}")
        } else {
            String::new()
        };
        let mut request = Request::new(route, method);
        match body {
            Some(Body {
                json,
                file: Some(file),
            }) => {
                request = request.multipart(Some(Multipart {
                    upload: MultipartUpload::Attachments(vec![file]),
                    fields: Vec::new(),
                    payload_json: Some(String::from_utf8_lossy(&json).into_owned()),
                }));
            }
            Some(Body { json, file: None }) => request = request.body(Some(json)),
            None => {}
        }
        let mut request = request
            .build(&self.http, &token, None)
            .and_then(|r| r.build().map_err(serenity::Error::from))
            .map_err(|e| SendError::Permanent(format!("request not built: {}", without_url(&e))))?;
        let url = format!("{}{tail}", self.api);
        *request.url_mut() = url::Url::parse(&url)
            .map_err(|_| SendError::Permanent("not a Discord API path".into()))?;
        request.url_mut().set_query(query);
        if !bot {
            request.headers_mut().remove(reqwest::header::AUTHORIZATION);
        }
        // serenity names itself; Discord asks each bot to name itself.
        request.headers_mut().insert(
            reqwest::header::USER_AGENT,
            reqwest::header::HeaderValue::from_static(USER_AGENT),
        );
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| SendError::Transient(e.without_url().to_string()))?;
        let status = response.status();
        let header_secs = |name: &str| -> Option<f64> {
            response.headers().get(name)?.to_str().ok()?.parse().ok()
        };
        let retry_after = header_secs("retry-after");
        if header_secs("x-ratelimit-remaining") == Some(0.0) {
            if let Some(after) = header_secs("x-ratelimit-reset-after") {
                self.bucket_empty(&bucket, after);
            }
        }
        if status == reqwest::StatusCode::NO_CONTENT {
            return Ok(Value::Null);
        }
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(answer);
        }
        let message = answer["message"].as_str().unwrap_or("no message");
        let why = match answer["code"].as_u64() {
            Some(code) => format!("{status}: {message} (code {code})"),
            None => format!("{status}: {message}"),
        };
        match status.as_u16() {
            429 => {
                let secs = answer["retry_after"]
                    .as_f64()
                    .or(retry_after)
                    .unwrap_or(1.0);
                self.bucket_empty(&bucket, secs);
                Err(SendError::RetryAfter(whole_secs(secs)))
            }
            // Cannot send messages to this user; unknown channel or user;
            // no access to the channel, or no right to post there (the bot
            // was removed from the server, or its role changed).
            400..=499
                if matches!(
                    answer["code"].as_u64(),
                    Some(50007 | 10003 | 10013 | 50001 | 50013)
                ) =>
            {
                Err(SendError::Unreachable(why))
            }
            400..=499 => Err(SendError::Permanent(why)),
            _ => Err(SendError::Transient(why)),
        }
    }

    fn bucket_empty(&self, bucket: &str, secs: f64) {
        let wait = Duration::from_secs_f64(secs.clamp(0.0, 3600.0));
        if let Ok(mut map) = self.exhausted_until.lock() {
            map.insert(bucket.to_owned(), Instant::now() + wait);
        }
    }

    /// Wait until the route's bucket refills, if it is empty and refills
    /// soon; tell the caller to come back later if not.
    async fn wait_for_bucket(&self, bucket: &str) -> Result<(), SendError> {
        let until = self
            .exhausted_until
            .lock()
            .ok()
            .and_then(|map| map.get(bucket).copied());
        let Some(until) = until else { return Ok(()) };
        let now = Instant::now();
        if until <= now {
            return Ok(());
        }
        let wait = until - now;
        if wait > MAX_INLINE_WAIT {
            return Err(SendError::RetryAfter(whole_secs(wait.as_secs_f64())));
        }
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// What Discord says about a webhook URL (read as serenity's
    /// `Webhook`): its name and channel; [`SendError::Unreachable`] when it
    /// does not exist (deleted, or the token is wrong). Needs no bot token.
    pub async fn webhook_info(
        &self,
        webhook: &crate::discord_webhook::WebhookUrl,
    ) -> Result<crate::discord_webhook::WebhookInfo, SendError> {
        let id = webhook_id(webhook)?;
        let route = Route::WebhookWithToken {
            webhook_id: id,
            token: webhook.token(),
        };
        // Our call, not serenity's `get_webhook_with_token`: that sends
        // an `Authorization` header, and a webhook URL needs none.
        let answer = self
            .call(LightMethod::Get, route, None, None, false)
            .await
            .map_err(webhook_gone)?;
        let found: serenity::model::webhook::Webhook = serde_json::from_value(answer)
            .map_err(|e| SendError::Permanent(format!("not a webhook: {e}")))?;
        if found.id != id {
            return Err(SendError::Permanent(
                "the answer is not about this webhook".into(),
            ));
        }
        Ok(crate::discord_webhook::WebhookInfo {
            name: found.name,
            channel_id: found.channel_id.map(|c| c.to_string()),
            guild_id: found.guild_id.map(|g| g.to_string()),
        })
    }

    /// Post `message` through a webhook URL (no bot needed), waiting for
    /// Discord to confirm; the new message's id.
    pub async fn execute_webhook(
        &self,
        webhook: &crate::discord_webhook::WebhookUrl,
        message: &Outgoing,
    ) -> Result<String, SendError> {
        let id = webhook_id(webhook)?;
        let mut sent = String::new();
        for post in render(message, false) {
            let builder = post.for_webhook();
            // Without `with_components` a webhook drops link buttons.
            let query = if post.link_only.is_empty() {
                "wait=true"
            } else {
                "wait=true&with_components=true"
            };
            let route = Route::WebhookWithToken {
                webhook_id: id,
                token: webhook.token(),
            };
            let answer = self
                .call(
                    LightMethod::Post,
                    route,
                    Some(Body::of(&builder, post.file.as_ref())?),
                    Some(query),
                    false,
                )
                .await
                .map_err(webhook_gone)?;
            sent = ids_of(&answer);
        }
        Ok(sent)
    }

    /// Replace every slash command of the application with `specs`
    /// (serenity's bulk overwrite: commands no longer listed are removed).
    pub async fn register_commands(&self, specs: &[CommandSpec]) -> Result<usize, SendError> {
        if self.token.is_none() {
            return Err(SendError::Permanent("DISCORD_BOT_TOKEN is not set".into()));
        }
        let commands = command_builders(specs);
        if let Some(serenity) = &self.serenity {
            let saved = serenity
                .create_global_commands(&commands)
                .await
                .map_err(serenity_error)?;
            return Ok(saved.len());
        }
        let application_id = match self.application_id.parse::<u64>() {
            Ok(id) if id != 0 => ApplicationId::new(id),
            _ => {
                return Err(SendError::Permanent(
                    "DISCORD_APPLICATION_ID is not set".into(),
                ))
            }
        };
        let route = Route::Commands { application_id };
        let answer = self
            .call(
                LightMethod::Put,
                route,
                Some(Body::of(&commands, None)?),
                None,
                true,
            )
            .await?;
        let saved: Vec<serenity::model::application::Command> = serde_json::from_value(answer)
            .map_err(|e| SendError::Transient(format!("unreadable commands: {e}")))?;
        Ok(saved.len())
    }

    /// The channel to post to for an address: a channel id as it is, or
    /// `@USER` for that user's DMs (opened once, then remembered).
    async fn channel_for(&self, address: &str) -> Result<ChannelId, SendError> {
        let Some(user) = address.strip_prefix('@') else {
            return channel_id(address);
        };
        if let Some(channel) = self
            .dm_channels
            .lock()
            .ok()
            .and_then(|m| m.get(user).cloned())
        {
            return channel_id(&channel);
        }
        #[derive(serde::Serialize)]
        struct OpenDm<'a> {
            recipient_id: &'a str,
        }
        let body = Body::of(&OpenDm { recipient_id: user }, None)?;
        let answer = self
            .call(
                LightMethod::Post,
                Route::UserMeDmChannels,
                Some(body),
                None,
                true,
            )
            .await?;
        let channel = answer["id"]
            .as_str()
            .ok_or_else(|| SendError::Transient("opening a DM returned no channel".into()))?
            .to_owned();
        if let Ok(mut map) = self.dm_channels.lock() {
            map.insert(user.to_owned(), channel.clone());
        }
        channel_id(&channel)
    }
}

/// A channel id as Discord writes it (a snowflake).
fn channel_id(text: &str) -> Result<ChannelId, SendError> {
    match text.parse::<u64>() {
        Ok(id) if id != 0 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(ChannelId::new(id)),
        _ => Err(SendError::Permanent(format!(
            "not a Discord channel: {text:?}"
        ))),
    }
}

fn webhook_id(webhook: &crate::discord_webhook::WebhookUrl) -> Result<WebhookId, SendError> {
    match webhook.id().parse::<u64>() {
        Ok(id) if id != 0 => Ok(WebhookId::new(id)),
        _ => Err(SendError::Permanent("not a Discord webhook id".into())),
    }
}

/// A serenity error as the dispatcher reads it; never with a URL (a
/// webhook's carries its token).
fn serenity_error(e: serenity::Error) -> SendError {
    use serenity::http::HttpError;
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => {
            let status = response.status_code.as_u16();
            let why = format!(
                "{status}: {} (code {})",
                response.error.message, response.error.code
            );
            match status {
                429 => SendError::RetryAfter(1),
                400..=499 => SendError::Permanent(why),
                _ => SendError::Transient(why),
            }
        }
        serenity::Error::Http(HttpError::Request(e)) => {
            SendError::Transient(e.without_url().to_string())
        }
        e => SendError::Transient(without_url(&e)),
    }
}

/// An error's text with anything after `url:`/`for url` dropped.
fn without_url(e: &serenity::Error) -> String {
    let text = e.to_string();
    match text.find("http") {
        Some(at) => text[..at].trim_end().to_owned(),
        None => text,
    }
}

fn whole_secs(secs: f64) -> u64 {
    // Saturating float-to-int conversion; rounded up so we never come early.
    (secs.ceil() as u64).max(1)
}

fn ids_of(answer: &Value) -> String {
    answer["id"].as_str().unwrap_or_default().to_owned()
}

impl DiscordClient {
    /// Post `messages` into the channel `reply_to` names (a channel id, or
    /// `@user` for their DMs). With a `key`, each part carries a nonce
    /// Discord enforces: the same part posted again within a few minutes
    /// returns the first message instead of making another.
    async fn post_messages(
        &self,
        reply_to: &str,
        messages: &[Outgoing],
        key: Option<&str>,
    ) -> Result<Vec<String>, SendError> {
        let channel = self.channel_for(reply_to).await?;
        let mut ids = Vec::new();
        for message in messages {
            for post in render(message, false) {
                // Nonces are at most 25 characters.
                let nonce =
                    key.map(|key| format!("{key}p{}", ids.len()).chars().take(25).collect());
                let builder = post.for_channel(nonce);
                let route = Route::ChannelMessages {
                    channel_id: channel,
                };
                let answer = self
                    .call(
                        LightMethod::Post,
                        route,
                        Some(Body::of(&builder, post.file.as_ref())?),
                        None,
                        true,
                    )
                    .await?;
                ids.push(ids_of(&answer));
            }
        }
        Ok(ids)
    }
}

impl Sender for DiscordClient {
    fn send<'a>(
        &'a self,
        reply_to: &'a str,
        messages: &'a [Outgoing],
    ) -> BoxFuture<'a, Result<Vec<String>, SendError>> {
        Box::pin(self.post_messages(reply_to, messages, None))
    }

    fn notify<'a>(
        &'a self,
        reply_to: &'a str,
        messages: &'a [Outgoing],
        _last_inbound_at: Option<i64>,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, SendError>> {
        Box::pin(self.post_messages(reply_to, messages, Some(key)))
    }

    /// The first part edits the deferred response ("thinking…"); further
    /// parts are follow-up messages with the same visibility.
    fn reply<'a>(
        &'a self,
        token: &'a str,
        messages: &'a [Outgoing],
    ) -> BoxFuture<'a, Result<Vec<String>, SendError>> {
        Box::pin(async move {
            let (flags, token) = token
                .split_once(':')
                .and_then(|(flags, token)| Some((flags.parse::<u64>().ok()?, token)))
                .ok_or_else(|| SendError::Permanent("not a Discord reply token".into()))?;
            if token.is_empty()
                || !token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
            {
                return Err(SendError::Permanent("not a Discord reply token".into()));
            }
            let application_id = match self.application_id.parse::<u64>() {
                Ok(id) if id != 0 => ApplicationId::new(id),
                _ => {
                    return Err(SendError::Permanent(
                        "DISCORD_APPLICATION_ID is not set".into(),
                    ))
                }
            };
            let ephemeral = flags & EPHEMERAL != 0;
            let mut ids = Vec::new();
            let mut first = true;
            for message in messages {
                for post in render(message, ephemeral) {
                    let answer = if first {
                        first = false;
                        let route = Route::WebhookOriginalInteractionResponse {
                            application_id,
                            token,
                        };
                        let body = Body::of(&post.for_edit(), post.file.as_ref())?;
                        self.call(LightMethod::Patch, route, Some(body), None, false)
                            .await?
                    } else {
                        let route = Route::WebhookFollowupMessages {
                            application_id,
                            token,
                        };
                        let body = Body::of(&post.for_followup(), post.file.as_ref())?;
                        self.call(LightMethod::Post, route, Some(body), None, false)
                            .await?
                    };
                    ids.push(ids_of(&answer));
                }
            }
            Ok(ids)
        })
    }
}

/// Interactions as Discord sends them (shared with the workspace's tests).
#[cfg(test)]
#[path = "../../tests_support/discord_interaction.rs"]
mod fixture;

#[cfg(test)]
mod tests;
