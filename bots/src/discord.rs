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
    fn kind(self) -> CommandOptionType {
        match self {
            OptionKind::Text => CommandOptionType::String,
            OptionKind::Integer => CommandOptionType::Integer,
            OptionKind::Flag => CommandOptionType::Boolean,
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

/// The application commands (serenity's builders) for
/// `PUT /applications/{id}/commands`: required options first, as Discord
/// wants, descriptions cut to 100 characters.
pub fn command_builders(specs: &[CommandSpec]) -> Vec<CreateCommand> {
    let describe =
        |text: &str| -> String { text.chars().take(MAX_COMMAND_DESCRIPTION_CHARS).collect() };
    specs
        .iter()
        .take(100)
        .map(|spec| {
            let mut options: Vec<&OptionSpec> = spec.options.iter().collect();
            options.sort_by_key(|o| !o.required);
            let options: Vec<CreateCommandOption> = options
                .into_iter()
                .map(|o| {
                    let mut option = CreateCommandOption::new(
                        o.kind.kind(),
                        o.name.clone(),
                        describe(&o.description),
                    )
                    .required(o.required);
                    for (locale, text) in &o.localized {
                        option = option.description_localized(locale.clone(), describe(text));
                    }
                    for choice in &o.choices {
                        option = option.add_string_choice(choice.clone(), choice.clone());
                    }
                    option
                })
                .collect();
            let mut command = CreateCommand::new(spec.name.clone())
                .kind(CommandType::ChatInput)
                .description(describe(&spec.description))
                .set_options(options)
                // Usable in guilds and in DMs with the bot.
                .contexts(vec![InteractionContext::Guild, InteractionContext::BotDm]);
            for (locale, text) in &spec.localized {
                command = command.description_localized(locale.clone(), describe(text));
            }
            command
        })
        .collect()
}

/// [`command_builders`] as the JSON body Discord gets.
pub fn commands_body(specs: &[CommandSpec]) -> Value {
    serde_json::to_value(command_builders(specs)).unwrap_or(Value::Null)
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
    /// Kinds we do not act on (modal submits, bots, kinds newer than us).
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

/// The HTTP answer to an interaction, as serenity's builder writes it.
pub enum Answer {
    /// To Discord's PING.
    Pong,
    /// To an autocomplete request: no suggestions.
    NoChoices,
    /// "Thinking…" until the reply edits it; ephemeral in guilds.
    Deferred { ephemeral: bool },
}

/// The JSON body of an [`Answer`].
pub fn answer(answer: &Answer) -> Value {
    let response = match answer {
        Answer::Pong => CreateInteractionResponse::Pong,
        Answer::NoChoices => {
            CreateInteractionResponse::Autocomplete(CreateAutocompleteResponse::new())
        }
        Answer::Deferred { ephemeral } => CreateInteractionResponse::Defer(
            CreateInteractionResponseMessage::new().ephemeral(*ephemeral),
        ),
    };
    let mut body = serde_json::to_value(response).unwrap_or(Value::Null);
    // `{"type": 1}` for a PING, exactly as Discord's check expects.
    if let Some(fields) = body.as_object_mut() {
        fields.retain(|_, value| !value.is_null());
    }
    body
}

/// The sender and place of a command or a component interaction (their
/// types share these fields' names, not a trait).
macro_rules! from {
    ($interaction:ident, $member:expr) => {
        From {
            id: $interaction.id.to_string(),
            token: $interaction.token,
            user: $interaction.user,
            member: $member,
            guild: $interaction.guild_id.map(|g| g.to_string()),
            channel_id: $interaction.channel_id,
            channel: $interaction.channel,
            ours: $interaction.app_permissions,
            locale: $interaction.locale,
        }
    };
}

/// Read an interaction body (already verified) with serenity's model
/// types. `specs` say how slash command options read as text.
pub fn parse_interaction(body: &[u8], specs: &[CommandSpec]) -> Result<Interaction, ParseError> {
    use serenity::model::application::Interaction as Raw;
    // A kind newer than serenity knows is not an error of the sender's.
    #[derive(serde::Deserialize)]
    struct Kind {
        #[serde(rename = "type")]
        kind: u8,
        member: Option<serde::de::IgnoredAny>,
        user: Option<serde::de::IgnoredAny>,
    }
    let kind: Kind =
        serde_json::from_slice(body).map_err(|e| ParseError::new(WHAT, e.to_string()))?;
    match kind.kind {
        1..=3 => {}
        4 => return Ok(Interaction::Autocomplete),
        // Modal submits, and kinds newer than us.
        _ => return Ok(Interaction::Ignored),
    }
    if kind.kind != 1 && kind.member.is_none() && kind.user.is_none() {
        // serenity would stand a default user in.
        return Err(ParseError::new(WHAT, "no member or user"));
    }
    let raw: Raw =
        serde_json::from_slice(body).map_err(|e| ParseError::new(WHAT, e.to_string()))?;
    let (from, text) = match raw {
        Raw::Ping(_) => return Ok(Interaction::Ping),
        Raw::Autocomplete(_) => return Ok(Interaction::Autocomplete),
        Raw::Modal(_) => return Ok(Interaction::Ignored),
        Raw::Command(c) => {
            let text = command_text(&c.data, specs);
            let member = c.member.clone().map(|m| *m);
            (from!(c, member), text)
        }
        Raw::Component(c) => {
            let text = c.data.custom_id.clone();
            let member = c.member.clone();
            (from!(c, member), text)
        }
        _ => return Ok(Interaction::Ignored),
    };
    if text.is_empty() {
        return Err(ParseError::new(WHAT, "a command without a name"));
    }
    from.into_message(text)
}

/// Who sent an interaction, where: the parts of a command or a button
/// press we read.
struct From {
    id: String,
    token: String,
    user: User,
    member: Option<Member>,
    guild: Option<String>,
    channel_id: ChannelId,
    channel: Option<PartialChannel>,
    ours: Option<Permissions>,
    locale: String,
}

impl From {
    fn into_message(self, text: String) -> Result<Interaction, ParseError> {
        // In a guild serenity fills `user` from the member.
        let user = self.member.as_ref().map_or(&self.user, |m| &m.user);
        if user.bot {
            return Ok(Interaction::Ignored);
        }
        if self.token.is_empty() {
            return Err(ParseError::new(WHAT, "no interaction token"));
        }
        let group = self.guild.clone().map(|guild| {
            let sender = self
                .member
                .as_ref()
                .and_then(|m| m.permissions)
                .unwrap_or_else(Permissions::empty);
            let ours = self.ours.unwrap_or_else(Permissions::empty);
            let post =
                Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES | Permissions::EMBED_LINKS;
            Group {
                address: self.channel_id.to_string(),
                sender_can_manage: sender.manage_channels() || sender.administrator(),
                we_can_post: ours.administrator() || ours.contains(post),
                // Answers in a guild are ephemeral (below).
                private_replies: true,
                kind: crate::GroupKind::Group,
                title: self.channel.as_ref().and_then(|c| c.name.clone()),
                server: Some(guild),
            }
        });
        let ephemeral = group.is_some();
        let flags = if ephemeral { EPHEMERAL } else { 0 };
        Ok(Interaction::Message(Box::new(Parsed {
            reply_token: format!("{flags}:{}", self.token),
            ephemeral,
            incoming: Incoming {
                channel: Channel::Discord,
                reply_to: format!("@{}", user.id),
                sender_name: user.global_name.clone().or_else(|| Some(user.name.clone())),
                sender_id: user.id.to_string(),
                message_id: Some(self.id),
                language_hint: (!self.locale.is_empty()).then_some(self.locale),
                text,
                group,
                event: None,
            },
        })))
    }
}

/// The text command a slash command stands for, options in the order the
/// spec lists them (so positional values come first).
fn command_text(data: &CommandData, specs: &[CommandSpec]) -> String {
    let value_of = |value: &CommandDataOptionValue| -> Option<String> {
        match value {
            CommandDataOptionValue::String(s) => Some(s.trim().to_owned()),
            CommandDataOptionValue::Integer(n) => Some(n.to_string()),
            CommandDataOptionValue::Number(n) => Some(n.to_string()),
            CommandDataOptionValue::Boolean(b) => Some(b.to_string()),
            _ => None,
        }
    };
    if data.name.is_empty() {
        return String::new();
    }
    let mut words = vec![data.name.clone()];
    match specs.iter().find(|s| s.name == data.name) {
        Some(spec) => {
            for option in &spec.options {
                let Some(value) = data
                    .options
                    .iter()
                    .find(|g| g.name == option.name)
                    .and_then(|g| value_of(&g.value))
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
        None => words.extend(data.options.iter().filter_map(|g| value_of(&g.value))),
    }
    words.join(" ")
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

/// One Discord message, made of serenity's builders, before it is given
/// to a route: a channel post, a webhook post, an interaction reply.
#[derive(Debug, Clone)]
pub struct Post {
    /// Only ever a role mention (a mention in an embed notifies nobody).
    pub content: Option<String>,
    pub embeds: Vec<CreateEmbed>,
    pub buttons: Vec<CreateButton>,
    /// Command buttons among them (a webhook post cannot carry those).
    link_only: Vec<CreateButton>,
    pub mentions: CreateAllowedMentions,
    pub ephemeral: bool,
    /// A picture sent as `files[0]`, shown in the embed.
    pub file: Option<CreateAttachment>,
}

/// One post into one of serenity's message builders (they share their
/// setters' names, not a trait): embeds, these buttons, the allowed
/// mentions, the role mention and the file (attached by `$attach`).
macro_rules! fill {
    ($post:expr, $builder:expr, $buttons:expr, $attach:ident) => {{
        let post: &Post = $post;
        let mut message = $builder
            .embeds(post.embeds.clone())
            .components(Post::rows($buttons))
            .allowed_mentions(post.mentions.clone());
        if let Some(content) = &post.content {
            message = message.content(content.clone());
        }
        if let Some(file) = &post.file {
            message = message.$attach(file.clone());
        }
        message
    }};
}

impl Post {
    fn rows(buttons: &[CreateButton]) -> Vec<CreateActionRow> {
        buttons
            .chunks(BUTTONS_PER_ROW)
            .map(|row| CreateActionRow::Buttons(row.to_vec()))
            .collect()
    }

    fn flags(&self) -> MessageFlags {
        if self.ephemeral {
            MessageFlags::EPHEMERAL
        } else {
            MessageFlags::empty()
        }
    }

    /// As a channel message (`POST /channels/{id}/messages`); with a
    /// nonce Discord enforces, the same part posted twice makes one.
    pub fn for_channel(&self, nonce: Option<String>) -> CreateMessage {
        let message = fill!(self, CreateMessage::new(), &self.buttons, add_file);
        match nonce {
            Some(nonce) => message
                .nonce(serenity::model::channel::Nonce::String(nonce))
                .enforce_nonce(true),
            None => message,
        }
    }

    /// As a webhook post: link buttons only (there is no application to
    /// send a press to).
    pub fn for_webhook(&self) -> ExecuteWebhook {
        fill!(self, ExecuteWebhook::new(), &self.link_only, add_file)
    }

    /// As the edit of a deferred interaction response (its visibility
    /// was set when it was deferred).
    pub fn for_edit(&self) -> EditInteractionResponse {
        fill!(
            self,
            EditInteractionResponse::new(),
            &self.buttons,
            new_attachment
        )
        .flags(self.flags())
    }

    /// As a follow-up message of an interaction.
    pub fn for_followup(&self) -> CreateInteractionResponseFollowup {
        fill!(
            self,
            CreateInteractionResponseFollowup::new(),
            &self.buttons,
            add_file
        )
        .flags(self.flags())
    }
}

/// The posts for one [`Outgoing`]: the text as embeds within Discord's
/// limits (one embed of at most 4096 characters a message, far under the
/// 6000-character total), buttons as action rows on the last.
pub fn render(message: &Outgoing, ephemeral: bool) -> Vec<Post> {
    if let Some(card) = &message.card {
        if let Some(post) = render_card(message, card, ephemeral) {
            return vec![post];
        }
    }
    let parts = split_text(&message.text, MAX_DESCRIPTION_CHARS, escaped_width);
    let last = parts.len() - 1;
    let (buttons, link_only) = buttons(message);
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let mut embed = CreateEmbed::new()
                .description(escape_markdown(part))
                .colour(COLOUR);
            let mut post = Post {
                content: None,
                embeds: Vec::new(),
                buttons: Vec::new(),
                link_only: Vec::new(),
                mentions: CreateAllowedMentions::new(),
                ephemeral,
                file: None,
            };
            if i == 0 {
                mention(&mut post, message);
            }
            if i == last {
                post.buttons.clone_from(&buttons);
                post.link_only.clone_from(&link_only);
                if let Some(image) = &message.image {
                    // The picture travels as files[0] and shows in the embed.
                    embed = embed.image(format!("attachment://{}", image.file_name));
                    post.file = Some(CreateAttachment::bytes(
                        image.png.clone(),
                        image.file_name.clone(),
                    ));
                }
            }
            post.embeds.push(embed);
            post
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
fn mention(post: &mut Post, message: &Outgoing) {
    let Some(role) = message.mention_role.as_deref().and_then(role_id) else {
        return;
    };
    let Ok(id) = role.parse::<u64>() else { return };
    post.content = Some(format!("<@&{role}>"));
    post.mentions = CreateAllowedMentions::new().roles(vec![RoleId::new(id)]);
}

/// An embed title's limit, in characters.
pub const MAX_TITLE_CHARS: usize = 256;
/// The most characters of all of one message's embeds together.
pub const MAX_EMBED_TOTAL_CHARS: usize = 6000;

/// A card as one embed: the title linked to its page, the body as the
/// description, the picture as a thumbnail; `None` when the body would
/// not fit one embed (the plain form is split instead).
fn render_card(message: &Outgoing, card: &crate::Card, ephemeral: bool) -> Option<Post> {
    let title: String = card.title.chars().take(MAX_TITLE_CHARS).collect();
    let description = escape_markdown(&card.body);
    let total = title.chars().count() + description.chars().count();
    if description.chars().count() > MAX_DESCRIPTION_CHARS
        || total > MAX_EMBED_TOTAL_CHARS
        || message.image.is_some()
    {
        return None;
    }
    let mut embed = CreateEmbed::new()
        .title(escape_markdown(&title))
        .url(card.url.clone())
        .description(description)
        .colour(COLOUR);
    if let Some(image) = &card.image_url {
        embed = embed.thumbnail(image.clone());
    }
    let (buttons, link_only) = buttons(message);
    let mut post = Post {
        content: None,
        embeds: vec![embed],
        buttons,
        link_only,
        mentions: CreateAllowedMentions::new(),
        ephemeral,
        file: None,
    };
    mention(&mut post, message);
    Some(post)
}

/// The message's buttons (at most five rows of five), and the link
/// buttons alone.
fn buttons(message: &Outgoing) -> (Vec<CreateButton>, Vec<CreateButton>) {
    let mut all = Vec::new();
    let mut links = Vec::new();
    for b in &message.buttons {
        if all.len() == BUTTONS_PER_ROW * MAX_ROWS {
            break;
        }
        let label: String = b.label.chars().take(MAX_LABEL_CHARS).collect();
        match &b.link {
            // Link buttons open their URL and send us nothing.
            Some(crate::Link::Url(url)) if url.len() <= MAX_URL_BYTES => {
                let button = CreateButton::new_link(url.clone()).label(label);
                links.push(button.clone());
                all.push(button);
            }
            Some(_) => {}
            None if !b.command.is_empty() && b.command.chars().count() <= MAX_CUSTOM_ID_CHARS => {
                all.push(
                    CreateButton::new(b.command.clone())
                        .label(label)
                        .style(ButtonStyle::Secondary),
                );
            }
            None => {}
        }
    }
    (all, links)
}

/// A webhook URL that Discord answers 404 (deleted: Unknown Webhook) or
/// 401 (its token no longer valid) is gone for good: unreachable, not
/// merely refused. (An interaction's expired token is also a 404 there,
/// but its caller falls back to a DM, so only webhook URLs map this way.)
fn webhook_gone(e: SendError) -> SendError {
    match e {
        // `call` starts the reason with the status.
        SendError::Permanent(why) if why.starts_with("404") || why.starts_with("401") => {
            SendError::Unreachable(why)
        }
        e => e,
    }
}

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
#[path = "../tests_support/discord_interaction.rs"]
mod fixture;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use super::fixture::complete;

    /// [`complete`] as bytes.
    fn sent(partial: &str) -> Vec<u8> {
        serde_json::to_vec(&complete(serde_json::from_str(partial).unwrap())).unwrap()
    }

    /// A post as a channel message's JSON.
    fn body(post: &Post) -> Value {
        serde_json::to_value(post.for_channel(None)).unwrap()
    }

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
            parse_interaction(
                br#"{"id":"1","type":1,"application_id":"9","token":"t","version":1}"#,
                &specs()
            )
            .unwrap(),
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
        let Interaction::Message(parsed) = parse_interaction(&sent(body), &specs()).unwrap() else {
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
        let body = r#"{"id":"112","type":2,"token":"tok-2","guild_id":"7","channel_id":"900",
            "app_permissions":"19456",
            "member":{"user":{"id":"43","username":"bob"},"permissions":"16"},
            "data":{"name":"alert","options":[{"name":"words","type":3,"value":"gaming pc"},
                {"name":"exclude","type":3,"value":"mac -ipad"},{"name":"under","type":3,"value":"800"}]}}"#;
        let Interaction::Message(parsed) = parse_interaction(&sent(body), &specs()).unwrap() else {
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
        let body = r#"{"id":"113","type":2,"token":"t","guild_id":"7","channel_id":"900","app_permissions":"0",
            "member":{"user":{"id":"44"},"permissions":"2048"},"data":{"name":"list"}}"#;
        let Interaction::Message(parsed) = parse_interaction(&sent(body), &specs()).unwrap() else {
            panic!()
        };
        let group = parsed.incoming.group.unwrap();
        assert!(!group.sender_can_manage);
        assert!(!group.we_can_post);
        assert_eq!(parsed.incoming.text, "list");
    }

    #[test]
    fn a_button_press_is_its_command_and_garbage_is_refused() {
        let body = r#"{"id":"114","type":3,"token":"t","channel_id":"5","user":{"id":"42"},
            "data":{"custom_id":"pause 3","component_type":2}}"#;
        let Interaction::Message(parsed) = parse_interaction(&sent(body), &specs()).unwrap() else {
            panic!()
        };
        assert_eq!(parsed.incoming.text, "pause 3");
        assert!(parse_interaction(b"[]", &specs()).is_err());
        assert!(parse_interaction(
            &sent(r#"{"id":"1","type":2,"token":"t","channel_id":"5","user":{"id":"1"}}"#),
            &specs()
        )
        .is_err());
        assert!(parse_interaction(
            &sent(r#"{"id":"1","type":2,"token":"t","channel_id":"5","data":{"name":"list"}}"#),
            &specs()
        )
        .is_err());
        // A bot's press, and a kind newer than us, are not acted on.
        let by_bot = r#"{"id":"115","type":3,"token":"t","channel_id":"5","user":{"id":"7","bot":true},
            "data":{"custom_id":"pause 3","component_type":2}}"#;
        assert_eq!(
            parse_interaction(&sent(by_bot), &specs()).unwrap(),
            Interaction::Ignored
        );
        assert_eq!(
            parse_interaction(br#"{"id":"1","type":9,"token":"t"}"#, &specs()).unwrap(),
            Interaction::Ignored
        );
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
        let bodies: Vec<Value> = render(&message, false).iter().map(body).collect();
        assert_eq!(bodies.len(), 1);
        let embed = &bodies[0]["embeds"][0];
        assert_eq!(embed["title"], "🔥 PS5 \\*Slim\\*");
        assert_eq!(embed["url"], "https://shop.example/ps5");
        assert_eq!(embed["thumbnail"]["url"], "https://img.example/ps5.jpg");
        assert!(embed["description"].as_str().unwrap().contains("−17%"));
        // A title past Discord's 256 characters is cut.
        let long = crate::Card::new(&"x".repeat(400), "https://s.example/", String::new(), None);
        let long = &body(&render(&Outgoing::text("plain").with_card(long), false)[0]);
        assert_eq!(
            long["embeds"][0]["title"].as_str().unwrap().chars().count(),
            256
        );
        assert!(long["embeds"][0].get("thumbnail").is_none());
        // A body too long for one embed goes as the plain text instead.
        let huge = crate::Card::new("t", "https://s.example/", "y".repeat(5000), None);
        let bodies: Vec<Value> = render(&Outgoing::text("plain").with_card(huge), false)
            .iter()
            .map(body)
            .collect();
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
        let posts = render(&message, true);
        let bodies: Vec<Value> = posts
            .iter()
            .map(|p| serde_json::to_value(p.for_followup()).unwrap())
            .collect();
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
        assert!(bodies[0]["components"]
            .as_array()
            .is_none_or(|rows| rows.is_empty()));
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
