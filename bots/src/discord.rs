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
    split_text, BoxFuture, Channel, Group, Image, Incoming, Outgoing, ParseError, SendError, Sender,
};
use serde::Deserialize;
use serde_json::{json, Value};
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
/// Permission bits we read.
const ADMINISTRATOR: u128 = 1 << 3;
const MANAGE_CHANNELS: u128 = 1 << 4;
const VIEW_CHANNEL: u128 = 1 << 10;
const SEND_MESSAGES: u128 = 1 << 11;
const EMBED_LINKS: u128 = 1 << 14;
/// The embed colour of our messages.
const COLOUR: u32 = 0x2f_9e_44;
/// Longest wait for a rate-limit bucket we do inline; longer waits go back
/// to the caller as [`SendError::RetryAfter`].
const MAX_INLINE_WAIT: Duration = Duration::from_secs(5);

/// How a slash command reads as a text command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// 1-32 lowercase characters; also the text command's first word.
    pub name: String,
    /// The default (English) description, cut to 100 characters.
    pub description: String,
    /// Descriptions in other languages: (Discord locale, text).
    pub localized: Vec<(String, String)>,
    pub options: Vec<OptionSpec>,
}

/// One option of a slash command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionSpec {
    pub name: String,
    pub description: String,
    pub localized: Vec<(String, String)>,
    pub kind: OptionKind,
    pub required: bool,
    /// Fixed choices, if any.
    pub choices: Vec<String>,
    pub text: OptionText,
}

/// The Discord type of an option's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    Text,
    Integer,
    Flag,
}

impl OptionKind {
    fn code(self) -> u8 {
        match self {
            OptionKind::Text => 3,
            OptionKind::Integer => 4,
            OptionKind::Flag => 5,
        }
    }
}

/// How an option's value is written into the text command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionText {
    /// The value as it is: `watch URL`.
    Value,
    /// A keyword, then the value: `below 40`.
    Keyword(String),
    /// Every word of the value with a prefix: `-mac -ipad`.
    EachWord(String),
    /// A true flag writes the word; false writes nothing: `instock`.
    Flag(String),
}

/// The application commands body for `PUT /applications/{id}/commands`.
pub fn commands_body(specs: &[CommandSpec]) -> Value {
    let describe =
        |text: &str| -> String { text.chars().take(MAX_COMMAND_DESCRIPTION_CHARS).collect() };
    let localized = |pairs: &[(String, String)]| -> Value {
        pairs
            .iter()
            .map(|(locale, text)| (locale.clone(), Value::String(describe(text))))
            .collect::<serde_json::Map<String, Value>>()
            .into()
    };
    specs
        .iter()
        .take(100)
        .map(|spec| {
            // Discord wants required options before optional ones.
            let mut options: Vec<&OptionSpec> = spec.options.iter().collect();
            options.sort_by_key(|o| !o.required);
            let options: Vec<Value> = options
                .into_iter()
                .map(|o| {
                    let mut option = json!({
                        "type": o.kind.code(),
                        "name": o.name,
                        "description": describe(&o.description),
                        "description_localizations": localized(&o.localized),
                        "required": o.required,
                    });
                    if !o.choices.is_empty() {
                        option["choices"] = o
                            .choices
                            .iter()
                            .map(|c| json!({ "name": c, "value": c }))
                            .collect();
                    }
                    option
                })
                .collect();
            json!({
                "type": 1,
                "name": spec.name,
                "description": describe(&spec.description),
                "description_localizations": localized(&spec.localized),
                "options": options,
                // Usable in guilds and in DMs with the bot.
                "contexts": [0, 1],
            })
        })
        .collect()
}

#[derive(Debug, Deserialize)]
struct RawInteraction {
    id: String,
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    token: String,
    guild_id: Option<String>,
    channel_id: Option<String>,
    /// The channel it was sent in (its name, for naming it).
    channel: Option<PartialChannel>,
    member: Option<Member>,
    user: Option<User>,
    locale: Option<String>,
    app_permissions: Option<String>,
    data: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct PartialChannel {
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Member {
    user: User,
    permissions: Option<String>,
}

#[derive(Debug, Deserialize)]
struct User {
    id: String,
    username: Option<String>,
    global_name: Option<String>,
    #[serde(default)]
    bot: bool,
}

/// What an interaction asks of us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interaction {
    /// Discord checking the endpoint: answer PONG.
    Ping,
    /// A slash command or a button press, as a message to act on.
    Message(Box<Parsed>),
    /// Autocomplete requests: we offer no suggestions.
    Autocomplete,
    /// Kinds we do not act on (modal submits, bots).
    Ignored,
}

/// A command interaction ready for the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub incoming: Incoming,
    /// The reply handle for [`DiscordClient::reply`].
    pub reply_token: String,
    /// Whether the reply is for the sender's eyes only (commands typed in
    /// a guild channel, where lists and settings are nobody else's business).
    pub ephemeral: bool,
}

/// Read an interaction body (already verified). `specs` say how slash
/// command options read as text.
pub fn parse_interaction(body: &[u8], specs: &[CommandSpec]) -> Result<Interaction, ParseError> {
    let raw: RawInteraction =
        serde_json::from_slice(body).map_err(|e| ParseError::new(WHAT, e.to_string()))?;
    let text = match raw.kind {
        1 => return Ok(Interaction::Ping),
        2 => {
            let data = raw
                .data
                .as_ref()
                .ok_or_else(|| ParseError::new(WHAT, "a command without data"))?;
            command_text(data, specs)
                .ok_or_else(|| ParseError::new(WHAT, "a command without a name"))?
        }
        3 => match raw.data.as_ref().and_then(|d| d["custom_id"].as_str()) {
            Some(custom_id) => custom_id.to_owned(),
            None => return Err(ParseError::new(WHAT, "a component without custom_id")),
        },
        4 => return Ok(Interaction::Autocomplete),
        _ => return Ok(Interaction::Ignored),
    };
    let (user, permissions) = match (raw.member, raw.user) {
        (Some(member), _) => (member.user, member.permissions),
        (None, Some(user)) => (user, None),
        (None, None) => return Err(ParseError::new(WHAT, "no member or user")),
    };
    if user.bot {
        return Ok(Interaction::Ignored);
    }
    if raw.token.is_empty() {
        return Err(ParseError::new(WHAT, "no interaction token"));
    }
    let bits = |field: Option<&str>| field.and_then(|p| p.parse::<u128>().ok()).unwrap_or(0);
    let group = match (&raw.guild_id, &raw.channel_id) {
        (Some(_), Some(channel_id)) => {
            let sender = bits(permissions.as_deref());
            let ours = bits(raw.app_permissions.as_deref());
            let post = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS;
            Some(Group {
                address: channel_id.clone(),
                sender_can_manage: sender & (MANAGE_CHANNELS | ADMINISTRATOR) != 0,
                we_can_post: ours & ADMINISTRATOR != 0 || ours & post == post,
                // Answers in a guild are ephemeral (below).
                private_replies: true,
                kind: crate::GroupKind::Group,
                title: raw.channel.as_ref().and_then(|c| c.name.clone()),
                server: raw.guild_id.clone(),
            })
        }
        _ => None,
    };
    let ephemeral = group.is_some();
    let flags = if ephemeral { EPHEMERAL } else { 0 };
    Ok(Interaction::Message(Box::new(Parsed {
        reply_token: format!("{flags}:{}", raw.token),
        ephemeral,
        incoming: Incoming {
            channel: Channel::Discord,
            reply_to: format!("@{}", user.id),
            sender_name: user.global_name.or(user.username),
            sender_id: user.id,
            message_id: Some(raw.id),
            language_hint: raw.locale,
            text,
            group,
            event: None,
        },
    })))
}

/// The text command a slash command stands for, options in the order the
/// spec lists them (so positional values come first).
fn command_text(data: &Value, specs: &[CommandSpec]) -> Option<String> {
    let name = data["name"].as_str()?;
    let given: Vec<&Value> = data["options"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let value_of = |option: &Value| -> Option<String> {
        match &option["value"] {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    let mut words = vec![name.to_owned()];
    match specs.iter().find(|s| s.name == name) {
        Some(spec) => {
            for option in &spec.options {
                let Some(value) = given
                    .iter()
                    .find(|g| g["name"].as_str() == Some(option.name.as_str()))
                    .and_then(|g| value_of(g))
                else {
                    continue;
                };
                if value.is_empty() {
                    continue;
                }
                match &option.text {
                    OptionText::Value => words.push(value),
                    OptionText::Keyword(keyword) => words.push(format!("{keyword} {value}")),
                    OptionText::EachWord(prefix) => words.extend(
                        value
                            .split_whitespace()
                            .map(|w| format!("{prefix}{}", w.trim_start_matches(prefix.as_str()))),
                    ),
                    OptionText::Flag(word) => {
                        if value == "true" {
                            words.push(word.clone());
                        }
                    }
                }
            }
        }
        // A command registered by an older version: its values as given.
        None => words.extend(given.iter().filter_map(|g| value_of(g))),
    }
    Some(words.join(" "))
}

/// Escape Discord markdown in text we did not write (shop titles), leaving
/// links intact so they stay clickable. `#`, `>` and `-` only mean
/// something at the start of a line (headings, quotes, lists), so only
/// there are they escaped; mentions cannot ping (see `allowed_mentions`).
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (l, line) in text.split('\n').enumerate() {
        if l > 0 {
            out.push('\n');
        }
        let mut line_start = true;
        for (i, token) in line.split(' ').enumerate() {
            if i > 0 {
                out.push(' ');
            }
            if token.starts_with("https://") || token.starts_with("http://") {
                out.push_str(token);
                line_start = false;
                continue;
            }
            for c in token.chars() {
                if needs_escape(c) || (line_start && matches!(c, '#' | '>' | '-')) {
                    out.push('\\');
                }
                out.push(c);
                line_start = false;
            }
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    matches!(c, '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']')
}

fn escaped_width(c: char) -> usize {
    // Line-start escapes are rare; counting them as wide everywhere keeps
    // the split safely under the limit.
    if needs_escape(c) || matches!(c, '#' | '>' | '-') {
        2
    } else {
        1
    }
}

/// The message bodies for one [`Outgoing`]: the text as embeds within
/// Discord's limits (one embed of at most 4096 characters a message, far
/// under the 6000-character total), buttons as action rows on the last.
pub fn render(message: &Outgoing, flags: u64) -> Vec<Value> {
    if let Some(card) = &message.card {
        if let Some(body) = render_card(message, card, flags) {
            return vec![body];
        }
    }
    let parts = split_text(&message.text, MAX_DESCRIPTION_CHARS, escaped_width);
    let last = parts.len() - 1;
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let mut body = json!({
                "embeds": [{ "description": escape_markdown(part), "color": COLOUR }],
                "allowed_mentions": { "parse": [] },
            });
            if flags != 0 {
                body["flags"] = json!(flags);
            }
            if i == 0 {
                mention(&mut body, message);
            }
            if i == last {
                let rows = button_rows(message);
                if !rows.is_empty() {
                    body["components"] = Value::Array(rows);
                }
                if let Some(image) = &message.image {
                    // The picture travels as files[0] and shows in the embed.
                    body["embeds"][0]["image"] =
                        json!({ "url": format!("attachment://{}", image.file_name) });
                    body["attachments"] = json!([{ "id": 0, "filename": image.file_name }]);
                }
            }
            body
        })
        .collect()
}

/// A Discord role as typed: its mention (`<@&123…>`, what Discord puts in
/// a slash command's text for `@Role`) or its bare id; `None` for anything
/// else (a user mention, `@everyone`).
pub fn role_id(word: &str) -> Option<String> {
    let id = word
        .strip_prefix("<@&")
        .and_then(|w| w.strip_suffix('>'))
        .unwrap_or(word);
    ((17..=20).contains(&id.len()) && id.chars().all(|c| c.is_ascii_digit())).then(|| id.to_owned())
}

/// Mention the message's role, if it has one: in `content` (a mention in
/// an embed notifies nobody), and allowed for that role alone, so text
/// from a shop can never ping @everyone or anyone else.
fn mention(body: &mut Value, message: &Outgoing) {
    let Some(role) = message.mention_role.as_deref().and_then(role_id) else {
        return;
    };
    body["content"] = json!(format!("<@&{role}>"));
    body["allowed_mentions"] = json!({ "parse": [], "roles": [role] });
}

/// An embed title's limit, in characters.
pub const MAX_TITLE_CHARS: usize = 256;
/// The most characters of all of one message's embeds together.
pub const MAX_EMBED_TOTAL_CHARS: usize = 6000;

/// A card as one embed: the title linked to its page, the body as the
/// description, the picture as a thumbnail; `None` when the body would
/// not fit one embed (the plain form is split instead).
fn render_card(message: &Outgoing, card: &crate::Card, flags: u64) -> Option<Value> {
    let title: String = card.title.chars().take(MAX_TITLE_CHARS).collect();
    let description = escape_markdown(&card.body);
    let total = title.chars().count() + description.chars().count();
    if description.chars().count() > MAX_DESCRIPTION_CHARS
        || total > MAX_EMBED_TOTAL_CHARS
        || message.image.is_some()
    {
        return None;
    }
    let mut embed = json!({
        "title": escape_markdown(&title),
        "url": card.url,
        "description": description,
        "color": COLOUR,
    });
    if let Some(image) = &card.image_url {
        embed["thumbnail"] = json!({ "url": image });
    }
    let mut body = json!({ "embeds": [embed], "allowed_mentions": { "parse": [] } });
    if flags != 0 {
        body["flags"] = json!(flags);
    }
    mention(&mut body, message);
    let rows = button_rows(message);
    if !rows.is_empty() {
        body["components"] = Value::Array(rows);
    }
    Some(body)
}

/// A webhook URL that Discord answers 404 (deleted: Unknown Webhook) or
/// 401 (its token no longer valid) is gone for good: unreachable, not
/// merely refused. (An interaction's expired token is also a 404 there,
/// but its caller falls back to a DM, so only webhook URLs map this way.)
fn webhook_gone(e: SendError) -> SendError {
    match e {
        // `call_with_file` starts the reason with the status.
        SendError::Permanent(why) if why.starts_with("404") || why.starts_with("401") => {
            SendError::Unreachable(why)
        }
        e => e,
    }
}

/// Keep only link buttons (a webhook message has no application to send
/// a button press to); drop rows left empty.
fn strip_command_buttons(rows: &mut Value) {
    if let Some(list) = rows.as_array_mut() {
        for row in list.iter_mut() {
            if let Some(buttons) = row["components"].as_array_mut() {
                buttons.retain(|b| b["style"] == 5);
            }
        }
        list.retain(|row| row["components"].as_array().is_some_and(|b| !b.is_empty()));
    }
    if rows.as_array().is_some_and(Vec::is_empty) {
        *rows = Value::Null;
    }
}

fn button_rows(message: &Outgoing) -> Vec<Value> {
    let buttons: Vec<Value> = message
        .buttons
        .iter()
        .filter_map(|b| {
            let label: String = b.label.chars().take(MAX_LABEL_CHARS).collect();
            match &b.link {
                // Link buttons (style 5) open their URL and send us nothing.
                Some(crate::Link::Url(url)) if url.len() <= MAX_URL_BYTES => {
                    Some(json!({ "type": 2, "style": 5, "label": label, "url": url }))
                }
                Some(_) => None,
                None if !b.command.is_empty()
                    && b.command.chars().count() <= MAX_CUSTOM_ID_CHARS =>
                {
                    Some(json!({ "type": 2, "style": 2, "label": label, "custom_id": b.command }))
                }
                None => None,
            }
        })
        .take(BUTTONS_PER_ROW * MAX_ROWS)
        .collect();
    buttons
        .chunks(BUTTONS_PER_ROW)
        .map(|row| json!({ "type": 1, "components": row }))
        .collect()
}

/// A Discord REST client: the bot token for channel messages and command
/// registration, the application id for interaction replies.
pub struct DiscordClient {
    http: reqwest::Client,
    /// `DISCORD_API_URL` without a trailing slash.
    api: String,
    application_id: String,
    /// `Bot <token>`; never logged.
    authorization: Option<String>,
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

impl DiscordClient {
    /// `api` is `DISCORD_API_URL`. Without a bot token the client can
    /// answer interactions but not open DMs, post alerts or register
    /// commands.
    pub fn new(
        api: &url::Url,
        application_id: &str,
        bot_token: Option<&str>,
    ) -> Result<DiscordClient, SendError> {
        // Discord asks bots to identify themselves this way.
        let agent = concat!(
            "DiscordBot (https://github.com/dealwatch/dealwatch, ",
            env!("CARGO_PKG_VERSION"),
            ")"
        );
        let http = crate::http_client(20, Some(agent))?;
        Ok(DiscordClient {
            http,
            api: api.as_str().trim_end_matches('/').to_owned(),
            application_id: application_id.to_owned(),
            authorization: bot_token.map(|t| format!("Bot {t}")),
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

    /// Call the API; the JSON answer on success (`Null` for 204).
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        bot: bool,
    ) -> Result<Value, SendError> {
        self.call_with_file(method, path, body, None, bot).await
    }

    /// [`DiscordClient::call`], with a file attached: the body goes as
    /// `payload_json` and the file as `files[0]` of a multipart form.
    async fn call_with_file(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        file: Option<&Image>,
        bot: bool,
    ) -> Result<Value, SendError> {
        // A route bucket is per path with ids; webhook paths carry their
        // token, so the key is hashed into the map, never logged.
        let bucket = format!("{method} {path}");
        self.wait_for_bucket(&bucket).await?;
        if bot {
            self.pace.admit(path).await?;
        }
        let mut request = self.http.request(method, format!("{}{path}", self.api));
        if bot {
            let Some(authorization) = &self.authorization else {
                return Err(SendError::Permanent("DISCORD_BOT_TOKEN is not set".into()));
            };
            request = request.header(reqwest::header::AUTHORIZATION, authorization);
        }
        match (body, file) {
            (Some(body), Some(file)) => {
                let part = reqwest::multipart::Part::bytes(file.png.clone())
                    .file_name(file.file_name.clone())
                    .mime_str("image/png")
                    .map_err(|e| SendError::Permanent(e.to_string()))?;
                let form = reqwest::multipart::Form::new()
                    .text("payload_json", body.to_string())
                    .part("files[0]", part);
                request = request.multipart(form);
            }
            (Some(body), None) => request = request.json(body),
            (None, _) => {}
        }
        let response = request
            .send()
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

    /// What Discord says about a webhook URL: its name and channel;
    /// [`SendError::Unreachable`] when it does not exist (deleted, or the
    /// token is wrong). Needs no bot token.
    pub async fn webhook_info(
        &self,
        webhook: &crate::discord_webhook::WebhookUrl,
    ) -> Result<crate::discord_webhook::WebhookInfo, SendError> {
        let answer = self
            .call(reqwest::Method::GET, &webhook.path(), None, false)
            .await
            .map_err(webhook_gone)?;
        let text = |key: &str| answer[key].as_str().map(str::to_owned);
        if text("id").as_deref() != Some(webhook.id()) {
            return Err(SendError::Permanent(
                "the answer is not about this webhook".into(),
            ));
        }
        Ok(crate::discord_webhook::WebhookInfo {
            name: text("name"),
            channel_id: text("channel_id"),
            guild_id: text("guild_id"),
        })
    }

    /// Post `message` through a webhook URL (no bot needed), waiting for
    /// Discord to confirm; the new message's id.
    pub async fn execute_webhook(
        &self,
        webhook: &crate::discord_webhook::WebhookUrl,
        message: &Outgoing,
    ) -> Result<String, SendError> {
        let path = format!("{}?wait=true", webhook.path());
        let mut id = String::new();
        for mut body in render(message, 0) {
            // Buttons other than links need an application to answer them.
            if let Some(rows) = body.get_mut("components") {
                strip_command_buttons(rows);
                if rows.is_null() {
                    if let Some(fields) = body.as_object_mut() {
                        fields.remove("components");
                    }
                }
            }
            let answer = match &message.image {
                Some(image) if body.get("attachments").is_some() => {
                    self.call_with_file(
                        reqwest::Method::POST,
                        &path,
                        Some(&body),
                        Some(image),
                        false,
                    )
                    .await?
                }
                _ => self
                    .call(reqwest::Method::POST, &path, Some(&body), false)
                    .await
                    .map_err(webhook_gone)?,
            };
            id = answer["id"].as_str().unwrap_or_default().to_owned();
        }
        Ok(id)
    }

    /// Replace every slash command of the application with `specs`
    /// (bulk overwrite: commands no longer listed are removed).
    pub async fn register_commands(&self, specs: &[CommandSpec]) -> Result<usize, SendError> {
        let path = format!("/applications/{}/commands", self.application_id);
        let answer = self
            .call(
                reqwest::Method::PUT,
                &path,
                Some(&commands_body(specs)),
                true,
            )
            .await?;
        Ok(answer.as_array().map_or(0, Vec::len))
    }

    /// The channel to post to for an address: a channel id as it is, or
    /// `@USER` for that user's DMs (opened once, then remembered).
    async fn channel_for(&self, address: &str) -> Result<String, SendError> {
        let Some(user) = address.strip_prefix('@') else {
            return Ok(address.to_owned());
        };
        if let Some(channel) = self
            .dm_channels
            .lock()
            .ok()
            .and_then(|m| m.get(user).cloned())
        {
            return Ok(channel);
        }
        let answer = self
            .call(
                reqwest::Method::POST,
                "/users/@me/channels",
                Some(&json!({ "recipient_id": user })),
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
        Ok(channel)
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
        if channel.is_empty() || !channel.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SendError::Permanent(format!(
                "not a Discord channel: {channel:?}"
            )));
        }
        let path = format!("/channels/{channel}/messages");
        let mut ids = Vec::new();
        for message in messages {
            for mut body in render(message, 0) {
                if let Some(key) = key {
                    // Nonces are at most 25 characters.
                    let nonce: String = format!("{key}p{}", ids.len()).chars().take(25).collect();
                    body["nonce"] = json!(nonce);
                    body["enforce_nonce"] = json!(true);
                }
                let file = body.get("attachments").and(message.image.as_ref());
                let answer = self
                    .call_with_file(reqwest::Method::POST, &path, Some(&body), file, true)
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
            let webhook = format!("/webhooks/{}/{token}", self.application_id);
            let mut ids = Vec::new();
            let mut first = true;
            for message in messages {
                for body in render(message, flags) {
                    let file = body.get("attachments").and(message.image.as_ref());
                    let (method, path) = if first {
                        first = false;
                        (
                            reqwest::Method::PATCH,
                            format!("{webhook}/messages/@original"),
                        )
                    } else {
                        (reqwest::Method::POST, webhook.clone())
                    };
                    let answer = self
                        .call_with_file(method, &path, Some(&body), file, false)
                        .await?;
                    ids.push(ids_of(&answer));
                }
            }
            Ok(ids)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Vec<CommandSpec> {
        let option = |name: &str, kind, required, text| OptionSpec {
            name: name.into(),
            description: format!("the {name}"),
            localized: Vec::new(),
            kind,
            required,
            choices: Vec::new(),
            text,
        };
        vec![
            CommandSpec {
                name: "watch".into(),
                description: "Track a product page".into(),
                localized: vec![("de".into(), "Eine Produktseite beobachten".into())],
                options: vec![
                    option("url", OptionKind::Text, true, OptionText::Value),
                    option(
                        "below",
                        OptionKind::Text,
                        false,
                        OptionText::Keyword("below".into()),
                    ),
                    option(
                        "instock",
                        OptionKind::Flag,
                        false,
                        OptionText::Flag("instock".into()),
                    ),
                ],
            },
            CommandSpec {
                name: "alert".into(),
                description: "A deal rule".into(),
                localized: Vec::new(),
                options: vec![
                    option("words", OptionKind::Text, true, OptionText::Value),
                    option(
                        "exclude",
                        OptionKind::Text,
                        false,
                        OptionText::EachWord("-".into()),
                    ),
                    option(
                        "under",
                        OptionKind::Text,
                        false,
                        OptionText::Keyword("under".into()),
                    ),
                ],
            },
        ]
    }

    #[test]
    fn ping_is_recognised() {
        assert_eq!(
            parse_interaction(br#"{"id":"1","type":1,"application_id":"9"}"#, &specs()).unwrap(),
            Interaction::Ping
        );
    }

    #[test]
    fn a_slash_command_reads_as_its_text_command_in_spec_order() {
        let body = r#"{"id":"111","type":2,"token":"tok-1","channel_id":"55","locale":"de",
            "user":{"id":"42","username":"ann","global_name":"Ann"},
            "data":{"id":"c1","name":"watch","type":1,"options":[
                {"name":"instock","type":5,"value":true},{"name":"below","type":3,"value":"£40"},
                {"name":"url","type":3,"value":" https://shop.example/p/1 "}]}}"#;
        let Interaction::Message(parsed) = parse_interaction(body.as_bytes(), &specs()).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            parsed.incoming.text,
            "watch https://shop.example/p/1 below £40 instock"
        );
        assert_eq!(parsed.incoming.sender_id, "42");
        assert_eq!(parsed.incoming.reply_to, "@42");
        assert_eq!(parsed.incoming.message_id.as_deref(), Some("111"));
        assert_eq!(parsed.incoming.language_hint.as_deref(), Some("de"));
        assert_eq!(parsed.incoming.group, None);
        assert!(!parsed.ephemeral);
        assert_eq!(parsed.reply_token, "0:tok-1");
    }

    #[test]
    fn exclusions_get_their_minus_and_guild_context_is_kept() {
        let body = br#"{"id":"112","type":2,"token":"tok-2","guild_id":"7","channel_id":"900",
            "app_permissions":"19456",
            "member":{"user":{"id":"43","username":"bob"},"permissions":"16"},
            "data":{"name":"alert","options":[{"name":"words","type":3,"value":"gaming pc"},
                {"name":"exclude","type":3,"value":"mac -ipad"},{"name":"under","type":3,"value":"800"}]}}"#;
        let Interaction::Message(parsed) = parse_interaction(body, &specs()).unwrap() else {
            panic!()
        };
        assert_eq!(parsed.incoming.text, "alert gaming pc -mac -ipad under 800");
        let group = parsed.incoming.group.unwrap();
        assert_eq!(group.address, "900");
        assert!(group.sender_can_manage);
        assert!(group.we_can_post, "19456 = view + send + embed links");
        assert!(parsed.ephemeral);
        assert_eq!(parsed.reply_token, "64:tok-2");
    }

    #[test]
    fn without_manage_channels_the_sender_cannot_manage() {
        let body = br#"{"id":"113","type":2,"token":"t","guild_id":"7","channel_id":"900","app_permissions":"0",
            "member":{"user":{"id":"44"},"permissions":"2048"},"data":{"name":"list"}}"#;
        let Interaction::Message(parsed) = parse_interaction(body, &specs()).unwrap() else {
            panic!()
        };
        let group = parsed.incoming.group.unwrap();
        assert!(!group.sender_can_manage);
        assert!(!group.we_can_post);
        assert_eq!(parsed.incoming.text, "list");
    }

    #[test]
    fn a_button_press_is_its_command_and_garbage_is_refused() {
        let body = br#"{"id":"114","type":3,"token":"t","channel_id":"5","user":{"id":"42"},
            "data":{"custom_id":"pause 3","component_type":2}}"#;
        let Interaction::Message(parsed) = parse_interaction(body, &specs()).unwrap() else {
            panic!()
        };
        assert_eq!(parsed.incoming.text, "pause 3");
        assert!(parse_interaction(b"[]", &specs()).is_err());
        assert!(parse_interaction(
            br#"{"id":"1","type":2,"token":"t","user":{"id":"1"}}"#,
            &specs()
        )
        .is_err());
        assert!(parse_interaction(
            br#"{"id":"1","type":2,"token":"t","data":{"name":"list"}}"#,
            &specs()
        )
        .is_err());
        assert_eq!(
            parse_interaction(br#"{"id":"1","type":4,"token":"t"}"#, &specs()).unwrap(),
            Interaction::Autocomplete
        );
        assert_eq!(
            parse_interaction(br#"{"id":"1","type":5,"token":"t"}"#, &specs()).unwrap(),
            Interaction::Ignored
        );
    }

    #[test]
    fn a_card_is_one_embed_with_a_linked_title_and_a_thumbnail() {
        let card = crate::Card::new(
            "🔥 PS5 *Slim*",
            "https://shop.example/ps5",
            "£399.00 (was £479.99, −17%)\nat Shop & Co".into(),
            Some("https://img.example/ps5.jpg"),
        );
        let message = Outgoing::text("plain").with_card(card);
        let bodies = render(&message, 0);
        assert_eq!(bodies.len(), 1);
        let embed = &bodies[0]["embeds"][0];
        assert_eq!(embed["title"], "🔥 PS5 \\*Slim\\*");
        assert_eq!(embed["url"], "https://shop.example/ps5");
        assert_eq!(embed["thumbnail"]["url"], "https://img.example/ps5.jpg");
        assert!(embed["description"].as_str().unwrap().contains("−17%"));
        // A title past Discord's 256 characters is cut.
        let long = crate::Card::new(&"x".repeat(400), "https://s.example/", String::new(), None);
        let body = &render(&Outgoing::text("plain").with_card(long), 0)[0];
        assert_eq!(
            body["embeds"][0]["title"].as_str().unwrap().chars().count(),
            256
        );
        assert!(body["embeds"][0].get("thumbnail").is_none());
        // A body too long for one embed goes as the plain text instead.
        let huge = crate::Card::new("t", "https://s.example/", "y".repeat(5000), None);
        let bodies = render(&Outgoing::text("plain").with_card(huge), 0);
        assert_eq!(bodies[0]["embeds"][0]["description"], "plain");
    }

    #[test]
    fn a_card_only_links_to_the_web() {
        assert!(crate::Card::new("t", "javascript:alert(1)", String::new(), None).is_none());
        assert!(crate::Card::new("t", "file:///etc/passwd", String::new(), None).is_none());
        let card =
            crate::Card::new("t", "https://s.example/", String::new(), Some("data:x")).unwrap();
        assert_eq!(card.image_url, None, "a picture not on the web is left out");
    }

    #[test]
    fn embeds_stay_within_limits_and_escape_shop_text() {
        let text = format!(
            "*Deal* #1 @everyone https://shop.example/a_b_c\n# not a heading\n{}",
            "word_ ".repeat(2000)
        );
        let message = Outgoing::text(text)
            .with_button("Pause", "pause 1")
            .with_button("x", "y".repeat(101));
        let bodies = render(&message, EPHEMERAL);
        assert!(bodies.len() > 1);
        for body in &bodies {
            let description = body["embeds"][0]["description"].as_str().unwrap();
            assert!(description.chars().count() <= MAX_DESCRIPTION_CHARS);
            assert_eq!(body["flags"], 64);
            assert_eq!(body["allowed_mentions"]["parse"], json!([]));
        }
        let first = bodies[0]["embeds"][0]["description"].as_str().unwrap();
        assert!(
            first.starts_with(
                "\\*Deal\\* #1 @everyone https://shop.example/a_b_c\n\\# not a heading"
            ),
            "{first}"
        );
        assert!(bodies[0].get("components").is_none());
        let buttons = &bodies.last().unwrap()["components"][0]["components"];
        assert_eq!(
            buttons.as_array().unwrap().len(),
            1,
            "a custom_id over 100 characters is dropped"
        );
        assert_eq!(buttons[0]["custom_id"], "pause 1");
    }

    #[test]
    fn command_bodies_put_required_options_first_and_cut_descriptions() {
        let mut specs = specs();
        specs[0].options.reverse();
        specs[0].description = "x".repeat(300);
        let body = commands_body(&specs);
        assert_eq!(body[0]["options"][0]["name"], "url");
        assert_eq!(body[0]["description"].as_str().unwrap().len(), 100);
        assert_eq!(
            body[0]["description_localizations"]["de"],
            "Eine Produktseite beobachten"
        );
        assert_eq!(
            body[0]["options"][1]["type"], 5,
            "optional ones keep their order"
        );
    }
}
