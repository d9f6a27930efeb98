//! Purpose: Telegram's Bot API shapes, to and from the neutral messages.
//!
//! [`parse_update`] turns an Update (a text message, or a press of one of our
//! inline buttons) into an [`Incoming`]; other update kinds are ignored.
//! [`render`] turns an [`Outgoing`] into `sendMessage` requests: text in HTML
//! parse mode with `< > &` escaped (merchant titles contain all three), split
//! under Telegram's 4096-character limit at line breaks, and buttons as an
//! inline keyboard on the last part, each button's `callback_data` being the
//! command it stands for (at most 64 bytes).

use crate::pace::Pace;
use crate::{
    BoxFuture, Channel, ChatEvent, Group, GroupKind, InboundRecord, InboundSink, Incoming, Link,
    Outgoing, ParseError, SendError, Sender,
};
use std::time::Duration;
use teloxide_core::payloads::{
    GetUpdatesSetters, SendMessageSetters, SendPhotoSetters, SetMyCommandsSetters,
};
use teloxide_core::requests::{Request, Requester};
use teloxide_core::types::{
    AllowedUpdate, BotCommand, CallbackQuery, Chat, ChatId, ChatMemberKind, ChatMemberUpdated,
    InlineKeyboardButton, InlineKeyboardMarkup, InputFile, LinkPreviewOptions, Message,
    MessageOrigin, ParseMode, Recipient, UpdateKind, User, UserId,
};
use teloxide_core::{ApiError, Bot, RequestError};

/// What a payload that cannot be read was supposed to be.
const WHAT: &str = "a Telegram update";

/// Telegram's limit on a message's text, in characters after entity parsing.
pub const MAX_TEXT_CHARS: usize = 4096;
/// Telegram's limit on a photo caption, in characters after entity parsing.
pub const MAX_CAPTION_CHARS: usize = 1024;
/// Telegram's limit on a button's callback data, in bytes.
pub const MAX_CALLBACK_BYTES: usize = 64;

/// Whether a member of a chat may post in it (a channel only lets
/// administrators with the right to post).
fn can_post(member: &ChatMemberKind, channel: bool) -> bool {
    match member {
        ChatMemberKind::Owner(_) => true,
        ChatMemberKind::Administrator(admin) => !channel || admin.can_post_messages,
        ChatMemberKind::Member(_) => !channel,
        ChatMemberKind::Restricted(restricted) => {
            !channel && restricted.is_member && restricted.can_send_messages
        }
        ChatMemberKind::Left | ChatMemberKind::Banned(_) => false,
    }
}

/// A chat other people read: a group, a supergroup or a channel.
fn is_shared(chat: &Chat) -> bool {
    !chat.is_private()
}

/// An update we act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub incoming: Incoming,
    /// For a button press: the callback query to answer, so the client
    /// stops its spinner.
    pub callback_query_id: Option<String>,
}

/// Read an Update. `Ok(None)` for kinds we do not act on (edits, joins,
/// stickers, messages from bots, chatter in groups).
pub fn parse_update(body: &[u8]) -> Result<Option<Parsed>, ParseError> {
    parse_update_as(body, None)
}

/// Read an Update (teloxide's types) as the bot `bot_username` (from
/// `getMe`): in a group, a command addressed to another bot
/// (`/list@OtherBot`) is not ours. Without the name, every addressed
/// command is taken as ours.
///
/// A message in a group or supergroup is read as coming from its sender,
/// with the group in [`Incoming::group`] and the sender's private chat (on
/// Telegram, the same id as the user) as [`Incoming::reply_to`]: what the
/// core answers the person alone never lands in the group, and a group
/// never becomes where someone's alerts go. Only commands are read in
/// groups (a bot with privacy mode off sees all the chatter). Whether the
/// sender administers the group is not in the update: see
/// [`TelegramClient::fill_roles`].
///
/// Besides messages: our being added to or removed from a group or
/// channel (`my_chat_member`) and a group's move to a supergroup
/// (`migrate_to_chat_id`) come as [`ChatEvent`]s; a channel post
/// forwarded to us privately is the command to register that channel.
///
/// An update teloxide cannot read as its kind (a malformed message, a
/// kind newer than the library) is ignored, not refused: Telegram would
/// only send it again.
pub fn parse_update_as(
    body: &[u8],
    bot_username: Option<&str>,
) -> Result<Option<Parsed>, ParseError> {
    let update: teloxide_core::types::Update =
        serde_json::from_slice(body).map_err(|e| ParseError::new(WHAT, e.to_string()))?;
    Ok(read_update(update, bot_username))
}

/// An update as teloxide read it (from a webhook body or `getUpdates`),
/// as [`parse_update_as`] describes.
fn read_update(update: teloxide_core::types::Update, bot_username: Option<&str>) -> Option<Parsed> {
    let message_id = Some(update.id.0.to_string());
    match update.kind {
        UpdateKind::MyChatMember(changed) => membership(changed, message_id),
        UpdateKind::Message(message) => from_message(message, bot_username, message_id),
        UpdateKind::CallbackQuery(query) => from_button(query, message_id),
        UpdateKind::Error(value) => {
            if value.get("message").is_some() || value.get("callback_query").is_some() {
                tracing::warn!(update = %update.id.0, "a Telegram update teloxide could not read was ignored");
            }
            None
        }
        _ => None,
    }
}

fn from_message(
    message: Message,
    bot_username: Option<&str>,
    message_id: Option<String>,
) -> Option<Parsed> {
    let from = message.from.clone()?;
    let group = group_of(&message.chat);
    if let (Some(mut group), Some(to)) = (group.clone(), message.migrate_to_chat_id()) {
        group.sender_can_manage = false;
        let event = ChatEvent::MovedTo {
            address: to.0.to_string(),
        };
        return event_from(from, group, event, message_id);
    }
    // An administrator posting as the group: a bot account stands in for
    // them, so who they are cannot be checked.
    if let (Some(group), Some(as_chat)) = (&group, &message.sender_chat) {
        let for_us = message
            .text()
            .is_some_and(|t| is_command_for(t, bot_username));
        if as_chat.id == message.chat.id && for_us {
            return event_from(from, group.clone(), ChatEvent::Anonymous, message_id);
        }
    }
    let text = match (message.text(), message.forward_origin()) {
        // A channel's post forwarded privately: register that channel.
        (_, Some(MessageOrigin::Channel { chat, .. })) if group.is_none() => {
            format!("community add {}", chat.id.0)
        }
        (Some(text), _) => text.to_owned(),
        (None, _) => return None,
    };
    if group.is_some() && !is_command_for(&text, bot_username) {
        return None;
    }
    incoming(from, &message.chat, group, message_id, text, None)
}

fn from_button(query: CallbackQuery, message_id: Option<String>) -> Option<Parsed> {
    let (Some(data), Some(message)) = (query.data, query.message) else {
        return None;
    };
    let chat = message.chat();
    let group = group_of(chat);
    incoming(query.from, chat, group, message_id, data, Some(query.id.0))
}

/// Our membership of a shared chat changed: joined when we may now post
/// there, left when we may not (removed, banned, muted, or a channel
/// admin without the right to post). Private chats are left alone.
fn membership(changed: ChatMemberUpdated, message_id: Option<String>) -> Option<Parsed> {
    let group = group_of(&changed.chat)?;
    let event = if can_post(&changed.new_chat_member.kind, changed.chat.is_channel()) {
        ChatEvent::Joined
    } else {
        ChatEvent::Left
    };
    event_from(changed.from, group, event, message_id)
}

fn event_from(
    from: User,
    group: Group,
    event: ChatEvent,
    message_id: Option<String>,
) -> Option<Parsed> {
    let sender_id = from.id.0.to_string();
    Some(Parsed {
        incoming: Incoming {
            channel: Channel::Telegram,
            reply_to: sender_id.clone(),
            sender_id,
            sender_name: Some(from.first_name),
            message_id,
            language_hint: from.language_code,
            text: String::new(),
            group: Some(group),
            event: Some(event),
        },
        callback_query_id: None,
    })
}

/// What `from` sent in `chat` (typed, or a button's command), unless a bot
/// sent it. In a group the reply address is the sender's private chat (on
/// Telegram, the user's id), never the group.
fn incoming(
    from: User,
    chat: &Chat,
    group: Option<Group>,
    message_id: Option<String>,
    text: String,
    callback_query_id: Option<String>,
) -> Option<Parsed> {
    if from.is_bot {
        return None;
    }
    let sender_id = from.id.0.to_string();
    let reply_to = if group.is_some() {
        sender_id.clone()
    } else {
        chat.id.0.to_string()
    };
    Some(Parsed {
        incoming: Incoming {
            channel: Channel::Telegram,
            sender_id,
            reply_to,
            sender_name: Some(from.first_name),
            message_id,
            language_hint: from.language_code,
            text,
            group,
            event: None,
        },
        callback_query_id,
    })
}

/// The shared chat a message was written in, if it was not private.
/// Whether the sender administers it is not in the update; until the
/// platform is asked, nobody may manage it.
fn group_of(chat: &Chat) -> Option<Group> {
    is_shared(chat).then(|| {
        let mut group = Group::at(chat.id.0.to_string());
        group.title = chat.title().map(str::to_owned);
        if chat.is_channel() {
            group.kind = GroupKind::Broadcast;
        }
        group
    })
}

/// Whether a group message is a command for us: `/cmd`, or `/cmd@us`.
fn is_command_for(text: &str, bot_username: Option<&str>) -> bool {
    let Some(command) = text.trim_start().strip_prefix('/') else {
        return false;
    };
    let first = command.split_whitespace().next().unwrap_or_default();
    match (first.split_once('@'), bot_username) {
        (Some((_, to)), Some(us)) => to.eq_ignore_ascii_case(us.trim_start_matches('@')),
        _ => !first.is_empty(),
    }
}

/// Longest Telegram channel username (`@` not counted), and shortest.
const CHANNEL_NAME_CHARS: std::ops::RangeInclusive<usize> = 4..=32;

/// A Telegram channel as typed: `@name`, `t.me/name` (with or without
/// `https://`), or its id (`-100…`); `@name` or the id as Telegram's
/// `chat_id` takes them.
pub fn channel_ref(text: &str) -> Option<String> {
    let text = text.trim_end_matches('/');
    let bare = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(text);
    let handle = bare
        .strip_prefix("t.me/")
        .or_else(|| bare.strip_prefix("telegram.me/"))
        .or_else(|| text.strip_prefix('@'));
    if let Some(handle) = handle {
        let ok = CHANNEL_NAME_CHARS.contains(&handle.len())
            && handle.starts_with(|c: char| c.is_ascii_alphabetic())
            && handle
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        return ok.then(|| format!("@{handle}"));
    }
    let digits = text.strip_prefix("-100")?;
    (!digits.is_empty() && digits.len() <= 16 && digits.chars().all(|c| c.is_ascii_digit()))
        .then(|| text.to_owned())
}

/// Escape text for Telegram's HTML parse mode.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// Split text into parts of at most `max` characters once escaped.
pub fn split(text: &str, max: usize) -> Vec<String> {
    crate::split_text(text, max, escaped_width)
}

fn escaped_width(c: char) -> usize {
    match c {
        '<' | '>' => 4,
        '&' => 5,
        _ => 1,
    }
}

/// One message part as Telegram gets it: HTML (escaped) and, on the last
/// part, the buttons.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub html: String,
    pub keyboard: Option<InlineKeyboardMarkup>,
}

/// The buttons of `message` as an inline keyboard: a command as
/// `callback_data` (at most 64 bytes), a link as a URL button. A button
/// that opens the private chat needs the bot's username (from `getMe`),
/// and is left out without it.
fn keyboard(message: &Outgoing, bot_username: Option<&str>) -> Option<InlineKeyboardMarkup> {
    let buttons: Vec<InlineKeyboardButton> = message
        .buttons
        .iter()
        .filter_map(|b| match &b.link {
            None if b.command.len() <= MAX_CALLBACK_BYTES && !b.command.is_empty() => Some(
                InlineKeyboardButton::callback(b.label.clone(), b.command.clone()),
            ),
            None => None,
            Some(Link::Url(url)) => url::Url::parse(url)
                .ok()
                .map(|url| InlineKeyboardButton::url(b.label.clone(), url)),
            Some(Link::PrivateChat) => bot_username.and_then(|name| {
                let url = format!("https://t.me/{}", name.trim_start_matches('@'));
                url::Url::parse(&url)
                    .ok()
                    .map(|url| InlineKeyboardButton::url(b.label.clone(), url))
            }),
        })
        .collect();
    (!buttons.is_empty()).then(|| InlineKeyboardMarkup::new([buttons]))
}

/// The parts of one message: text in HTML, split under Telegram's limit
/// once escaped, the buttons on the last part.
pub fn render(message: &Outgoing, bot_username: Option<&str>) -> Vec<Part> {
    let parts = split(&message.text, MAX_TEXT_CHARS);
    let last = parts.len() - 1;
    let markup = keyboard(message, bot_username);
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| Part {
            html: escape_html(part),
            keyboard: if i == last { markup.clone() } else { None },
        })
        .collect()
}

/// A chat as the Bot API takes it: a numeric id, or a channel's `@name`.
fn recipient(chat: &str) -> Result<Recipient, SendError> {
    if let Ok(id) = chat.parse::<i64>() {
        return Ok(Recipient::Id(ChatId(id)));
    }
    match channel_ref(chat) {
        Some(name) if name.starts_with('@') => Ok(Recipient::ChannelUsername(name)),
        _ => Err(SendError::Permanent(format!(
            "not a Telegram chat: {chat:?}"
        ))),
    }
}

/// teloxide's request errors as the dispatcher reads them. teloxide has
/// already taken the token out of network errors.
fn send_error(e: RequestError) -> SendError {
    match e {
        RequestError::RetryAfter(wait) => SendError::RetryAfter(u64::from(wait.seconds()).max(1)),
        // A group that became a supergroup: the same chat, a new id.
        RequestError::MigrateToChatId(to) => SendError::Moved(to.0.to_string()),
        RequestError::Api(api) => api_error(api),
        RequestError::Network(e) => SendError::Transient(e.to_string()),
        // Not the raw body: a proxy's error page can be large.
        RequestError::InvalidJson { source, .. } => {
            SendError::Transient(format!("unreadable reply: {source}"))
        }
        RequestError::Io(e) => SendError::Transient(e.to_string()),
    }
}

/// An API error: the chat is gone for us (blocked, kicked, deleted, no
/// right to post), the request is wrong (and will stay wrong), or
/// Telegram had a passing problem. teloxide keeps the description but not
/// the code, so descriptions it does not know are read by their prefix
/// (Telegram writes "Forbidden: …" for 403 and "Bad Request: …" for 400).
fn api_error(e: ApiError) -> SendError {
    use ApiError as A;
    let why = e.to_string();
    match e {
        A::BotBlocked
        | A::BotKicked
        | A::BotKickedFromSupergroup
        | A::BotKickedFromChannel
        | A::UserDeactivated
        | A::ChatNotFound
        | A::CantInitiateConversation
        | A::CantTalkWithBots
        | A::NotEnoughRightsToPostMessages
        | A::GroupDeactivated => SendError::Unreachable(why),
        A::Unknown(description) => {
            let gone = description.starts_with("Forbidden")
                || [
                    "chat not found",
                    "have no rights to send",
                    "user is deactivated",
                ]
                .iter()
                .any(|g| description.contains(g));
            if gone {
                SendError::Unreachable(description)
            } else if ["Bad Request", "Unauthorized", "Not Found"]
                .iter()
                .any(|p| description.starts_with(p))
            {
                SendError::Permanent(description)
            } else {
                SendError::Transient(description)
            }
        }
        A::TerminatedByOtherGetUpdates | A::CantGetUpdates => SendError::Transient(why),
        _ => SendError::Permanent(why),
    }
}

/// A Bot API client on teloxide's [`Bot`] (`{api}/bot{token}/METHOD`),
/// paced by us.
pub struct TelegramClient {
    bot: Bot,
    pace: Pace,
    /// The bot's username, from `getMe` once it was needed and answered.
    username: BotName,
    /// The bot's own user id: a bot token is `<id>:<secret>`.
    bot_id: Option<u64>,
    /// Who administers which group, as `getChatMember` said lately.
    admins: AdminCache,
}

/// How long `getChatMember`'s word on an administrator is kept: a
/// demoted admin keeps their say over the group's alerts at most this long.
pub const ADMIN_CACHE: Duration = Duration::from_secs(60);

/// Recent answers to "is this user an administrator of this group?".
#[derive(Debug, Default)]
struct AdminCache(
    std::sync::Mutex<std::collections::HashMap<(String, String), (std::time::Instant, bool)>>,
);

impl AdminCache {
    /// Entries kept at most: a flood of commands from many groups cannot
    /// grow it without bound.
    const MAX: usize = 10_000;

    fn get(&self, chat: &str, user: &str) -> Option<bool> {
        let map = self.0.lock().ok()?;
        let (at, admin) = map.get(&(chat.to_owned(), user.to_owned()))?;
        (at.elapsed() < ADMIN_CACHE).then_some(*admin)
    }

    fn put(&self, chat: &str, user: &str, admin: bool) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= Self::MAX {
                map.retain(|_, (at, _)| at.elapsed() < ADMIN_CACHE);
                if map.len() >= Self::MAX {
                    map.clear();
                }
            }
            map.insert(
                (chat.to_owned(), user.to_owned()),
                (std::time::Instant::now(), admin),
            );
        }
    }
}

/// The bot's username once `getMe` has told it, shared between the client
/// that asks and the webhook route that reads updates with it.
#[derive(Debug, Clone, Default)]
pub struct BotName(std::sync::Arc<std::sync::RwLock<Option<String>>>);

impl BotName {
    /// A name known in advance (tests).
    pub fn known(name: &str) -> BotName {
        let slot = BotName::default();
        slot.set(name);
        slot
    }

    pub fn get(&self) -> Option<String> {
        self.0.read().ok().and_then(|name| name.clone())
    }

    fn set(&self, name: &str) {
        if let Ok(mut slot) = self.0.write() {
            *slot = Some(name.trim_start_matches('@').to_owned());
        }
    }
}

impl std::fmt::Debug for TelegramClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramClient").finish_non_exhaustive()
    }
}

impl TelegramClient {
    /// `api` is `TELEGRAM_API_URL` (`https://api.telegram.org` by default).
    pub fn new(api: &url::Url, token: &str) -> Result<TelegramClient, SendError> {
        if api.cannot_be_a_base() || !matches!(api.scheme(), "http" | "https") {
            return Err(SendError::Permanent(format!(
                "bad Telegram API URL: {}",
                api.as_str()
            )));
        }
        // teloxide appends `bot<token>/<method>` as path segments.
        let mut base = api.clone();
        if let Ok(mut segments) = base.path_segments_mut() {
            segments.pop_if_empty();
        }
        let http = crate::http_client(20, None)?;
        let bot = Bot::with_client(token, http).set_api_url(base);
        Ok(TelegramClient {
            bot,
            pace: Self::pace(),
            username: BotName::default(),
            bot_id: token.split_once(':').and_then(|(id, _)| id.parse().ok()),
            admins: AdminCache::default(),
        })
    }

    /// Telegram's limits, a little under: about 30 messages a second in
    /// all, about one a second per chat (two at once allowed, so a reply
    /// in two parts is not held), 20 a minute per group (group chat ids are
    /// negative).
    pub fn pace() -> Pace {
        Pace::new(
            Some(Pace::every(28)),
            Some((Duration::from_millis(1100), 2)),
        )
        .with_groups(Duration::from_millis(3100), |chat| chat.starts_with('-'))
    }

    /// The bot's username (`getMe`), asked once and remembered; `None`
    /// while Telegram cannot say.
    pub async fn username(&self) -> Option<String> {
        if let Some(known) = self.username.get() {
            return Some(known);
        }
        match self.bot.get_me().send().await {
            Ok(me) => {
                self.username.set(me.user.username.as_deref()?);
                self.username.get()
            }
            Err(e) => {
                tracing::warn!(error = %send_error(e), "telegram getMe failed");
                None
            }
        }
    }

    /// Where the username is kept once known, for the webhook route.
    pub fn name(&self) -> BotName {
        self.username.clone()
    }

    /// The username when `message` has a button that needs it.
    async fn username_for(&self, message: &Outgoing) -> Option<String> {
        if message
            .buttons
            .iter()
            .any(|b| b.link == Some(Link::PrivateChat))
        {
            self.username().await
        } else {
            None
        }
    }

    /// Pace sends differently (tests; a bot with raised limits).
    pub fn with_pace(mut self, pace: Pace) -> TelegramClient {
        self.pace = pace;
        self
    }

    /// One text message to `chat_id`, in its turn; the message id.
    async fn send_part(
        &self,
        chat_id: &str,
        html: String,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<String, SendError> {
        let to = recipient(chat_id)?;
        self.pace.admit(chat_id).await?;
        let mut request = self
            .bot
            .send_message(to, html)
            .parse_mode(ParseMode::Html)
            .link_preview_options(no_preview());
        if let Some(markup) = markup {
            request = request.reply_markup(markup);
        }
        let sent = request.send().await.map_err(send_error)?;
        Ok(sent.id.0.to_string())
    }

    /// Send a message with a picture: the picture with the text as its
    /// caption when the text fits Telegram's 1024 characters, else the
    /// picture first and the text after it.
    async fn send_photo(
        &self,
        chat_id: &str,
        message: &Outgoing,
        image: &crate::Image,
    ) -> Result<Vec<String>, SendError> {
        let to = recipient(chat_id)?;
        let photo = InputFile::memory(image.png.clone()).file_name(image.file_name.clone());
        let fits = escaped_len(&message.text) <= MAX_CAPTION_CHARS;
        let username = self.username_for(message).await;
        let mut request = self.bot.send_photo(to, photo);
        if fits {
            request = request
                .caption(escape_html(&message.text))
                .parse_mode(ParseMode::Html);
            if let Some(markup) = keyboard(message, username.as_deref()) {
                request = request.reply_markup(markup);
            }
        }
        self.pace.admit(chat_id).await?;
        let sent = request.send().await.map_err(send_error)?;
        let mut ids = vec![sent.id.0.to_string()];
        if !fits {
            for part in render(message, username.as_deref()) {
                ids.push(self.send_part(chat_id, part.html, part.keyboard).await?);
            }
        }
        Ok(ids)
    }

    /// Send a card: a photo by its address with the linked headline and
    /// body as its caption when it fits Telegram's 1024 characters, else
    /// (or when Telegram cannot fetch the picture) the same as a message.
    /// `None` when even a message could not hold it (sent plain instead).
    async fn send_card(
        &self,
        chat_id: &str,
        message: &Outgoing,
        card: &crate::Card,
    ) -> Result<Option<Vec<String>>, SendError> {
        let (html, visible) = card_html(card);
        if visible > MAX_TEXT_CHARS {
            return Ok(None);
        }
        let username = self.username_for(message).await;
        let markup = keyboard(message, username.as_deref());
        let image = card
            .image_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok());
        if let (Some(image), true) = (image, visible <= MAX_CAPTION_CHARS) {
            let mut request = self
                .bot
                .send_photo(recipient(chat_id)?, InputFile::url(image))
                .caption(html.clone())
                .parse_mode(ParseMode::Html);
            if let Some(markup) = &markup {
                request = request.reply_markup(markup.clone());
            }
            self.pace.admit(chat_id).await?;
            match request.send().await.map_err(send_error) {
                Ok(sent) => return Ok(Some(vec![sent.id.0.to_string()])),
                // Telegram could not fetch or use the picture (a dead link,
                // not an image): the card goes without it.
                Err(SendError::Permanent(why)) => {
                    tracing::info!(error = %why, "telegram would not take a deal's picture");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Some(vec![self.send_part(chat_id, html, markup).await?]))
    }
}

fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

/// A card in Telegram's HTML: the headline bold and linked, the body
/// under it; and how many characters it shows (what Telegram counts).
pub fn card_html(card: &crate::Card) -> (String, usize) {
    let title: String = card.title.chars().take(256).collect();
    let href = escape_html(&card.url).replace('"', "&quot;");
    let html = format!(
        "<b><a href=\"{href}\">{}</a></b>\n{}",
        escape_html(&title),
        escape_html(&card.body)
    );
    let visible = title.chars().count() + 1 + card.body.chars().count();
    (html, visible)
}

fn escaped_len(text: &str) -> usize {
    text.chars().map(escaped_width).sum()
}

/// A user id as Telegram's API takes it.
fn user_id(user: &str) -> Result<UserId, SendError> {
    user.parse()
        .map(UserId)
        .map_err(|_| SendError::Permanent(format!("not a Telegram user id: {user}")))
}

impl TelegramClient {
    /// One member of a chat (`getChatMember`).
    async fn member(&self, chat_id: &str, user: &str) -> Result<ChatMemberKind, SendError> {
        let member = self
            .bot
            .get_chat_member(recipient(chat_id)?, user_id(user)?)
            .send()
            .await
            .map_err(send_error)?;
        Ok(member.kind)
    }

    /// Whether `user_id` administers the group `chat_id`, as Telegram said
    /// within the last [`ADMIN_CACHE`].
    pub async fn is_group_admin(&self, chat_id: &str, user_id: &str) -> Result<bool, SendError> {
        if let Some(known) = self.admins.get(chat_id, user_id) {
            return Ok(known);
        }
        let admin = self.member(chat_id, user_id).await?.is_privileged();
        self.admins.put(chat_id, user_id, admin);
        Ok(admin)
    }

    /// Say in `incoming` whether its sender administers the group it was
    /// sent in (only administrators manage a group's alerts). When
    /// Telegram cannot say, they are taken not to.
    pub async fn fill_roles(&self, incoming: &mut Incoming) {
        let Some(group) = incoming.group.as_mut() else {
            return;
        };
        if incoming.event.is_some() || group.kind != GroupKind::Group {
            return;
        }
        match self
            .is_group_admin(&group.address, &incoming.sender_id)
            .await
        {
            Ok(admin) => group.sender_can_manage = admin,
            Err(e) => {
                tracing::warn!(error = %e, "telegram getChatMember failed; taken as not an admin");
                group.sender_can_manage = false;
            }
        }
    }

    /// Publish the command menu (`setMyCommands`): `(command, description)`
    /// pairs, for one language or (with `None`) the default. Descriptions
    /// are cut to Telegram's 256 characters.
    pub async fn set_commands(
        &self,
        commands: &[(String, String)],
        language: Option<&str>,
    ) -> Result<(), SendError> {
        let list: Vec<BotCommand> = commands
            .iter()
            .take(100)
            .map(|(command, description)| {
                let description: String = description.chars().take(256).collect();
                BotCommand::new(command.clone(), description)
            })
            .collect();
        let mut request = self.bot.set_my_commands(list);
        if let Some(language) = language {
            request = request.language_code(language);
        }
        request.send().await.map(|_| ()).map_err(send_error)
    }
}

/// The update kinds we read: what `getUpdates` asks for, and what a
/// webhook must be set up with (`setWebhook`'s `allowed_updates`).
pub const ALLOWED_UPDATES: [&str; 3] = ["message", "callback_query", "my_chat_member"];

/// [`ALLOWED_UPDATES`] in teloxide's terms.
const ALLOWED: [AllowedUpdate; 3] = [
    AllowedUpdate::Message,
    AllowedUpdate::CallbackQuery,
    AllowedUpdate::MyChatMember,
];

/// Long polling (`TELEGRAM_MODE=polling`): fetch updates with `getUpdates`
/// and store each through `sink` until `shutdown` completes. The offset
/// that confirms updates to Telegram only moves past an update once it is
/// stored, so a crash or a database outage loses nothing: Telegram sends
/// the unconfirmed updates again, and the sink drops the ones it has.
pub async fn poll(
    client: &TelegramClient,
    sink: &dyn InboundSink,
    long_poll_secs: u32,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut offset: Option<i32> = None;
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            () = poll_once(client, sink, long_poll_secs, &mut offset) => {}
        }
    }
}

async fn poll_once(
    client: &TelegramClient,
    sink: &dyn InboundSink,
    long_poll_secs: u32,
    offset: &mut Option<i32>,
) {
    let mut request = client
        .bot
        .get_updates()
        .timeout(long_poll_secs)
        .allowed_updates(ALLOWED);
    if let Some(offset) = offset {
        request = request.offset(*offset);
    }
    let updates = match request.send().await.map_err(send_error) {
        Ok(updates) => updates,
        Err(SendError::RetryAfter(secs)) => {
            tokio::time::sleep(Duration::from_secs(secs.max(1))).await;
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "telegram getUpdates failed");
            tokio::time::sleep(Duration::from_secs(2)).await;
            return;
        }
    };
    for update in updates {
        let id = update.id.as_offset();
        let username = client.username().await;
        // Read as the webhook reads: the same function, the same answers.
        let stored = match read_update(update, username.as_deref()) {
            Some(mut parsed) => {
                client.fill_roles(&mut parsed.incoming).await;
                let record = InboundRecord {
                    incoming: parsed.incoming,
                    acknowledge: parsed.callback_query_id,
                    reply_token: None,
                };
                match sink.accept(record).await {
                    Ok(_) => true,
                    Err(e) => {
                        tracing::error!(error = %e, "telegram update not stored; it will be fetched again");
                        false
                    }
                }
            }
            // Kinds we ignore, and garbage, are confirmed and dropped.
            None => true,
        };
        if !stored {
            tokio::time::sleep(Duration::from_secs(1)).await;
            return;
        }
        *offset = Some(id);
    }
}

impl crate::Broadcasts for TelegramClient {
    /// `getChat`, then `getChatMember` for us and for the sender: both
    /// must be administrators of the channel with the right to post.
    fn check_broadcast<'a>(
        &'a self,
        channel: &'a str,
        sender_id: &'a str,
    ) -> BoxFuture<'a, Result<crate::BroadcastInfo, crate::BroadcastRefusal>> {
        use crate::BroadcastRefusal as No;
        Box::pin(async move {
            let gone = |e: SendError| match e {
                SendError::Unreachable(_) | SendError::Permanent(_) => No::NotFound,
                e => No::Platform(e),
            };
            let to = recipient(channel).map_err(|_| No::NotFound)?;
            let chat = self
                .bot
                .get_chat(to)
                .send()
                .await
                .map_err(|e| gone(send_error(e)))?;
            if !chat.is_channel() {
                return Err(No::NotBroadcast);
            }
            let id = chat.id.0.to_string();
            let rights = |e: SendError, no: No| match e {
                SendError::Unreachable(_) | SendError::Permanent(_) => no,
                e => No::Platform(e),
            };
            let bot = self.bot_id.ok_or(No::WeCannotPost)?.to_string();
            let ours = self
                .member(&id, &bot)
                .await
                .map_err(|e| rights(e, No::WeCannotPost))?;
            if !can_post(&ours, true) {
                return Err(No::WeCannotPost);
            }
            let theirs = self
                .member(&id, sender_id)
                .await
                .map_err(|e| rights(e, No::SenderNotAdmin))?;
            if !(theirs.is_privileged() && can_post(&theirs, true)) {
                return Err(No::SenderNotAdmin);
            }
            Ok(crate::BroadcastInfo {
                address: id,
                title: chat.title().map(str::to_owned),
                handle: chat.username().map(str::to_owned),
            })
        })
    }
}

impl Sender for TelegramClient {
    fn send<'a>(
        &'a self,
        reply_to: &'a str,
        messages: &'a [Outgoing],
    ) -> BoxFuture<'a, Result<Vec<String>, SendError>> {
        Box::pin(async move {
            let mut ids = Vec::new();
            for message in messages {
                if let Some(image) = &message.image {
                    ids.extend(self.send_photo(reply_to, message, image).await?);
                    continue;
                }
                if let Some(card) = &message.card {
                    if let Some(sent) = self.send_card(reply_to, message, card).await? {
                        ids.extend(sent);
                        continue;
                    }
                }
                let username = self.username_for(message).await;
                for part in render(message, username.as_deref()) {
                    ids.push(self.send_part(reply_to, part.html, part.keyboard).await?);
                }
            }
            Ok(ids)
        })
    }

    fn acknowledge<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            self.bot
                .answer_callback_query(teloxide_core::types::CallbackQueryId(token.to_owned()))
                .send()
                .await
                .map(|_| ())
                .map_err(send_error)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_message_becomes_incoming() {
        let body = br#"{"update_id":1001,"message":{"message_id":7,"date":1,"chat":{"id":42,"type":"private"},
            "from":{"id":42,"is_bot":false,"first_name":"Ann","language_code":"de"},"text":"list"}}"#;
        let parsed = parse_update(body).unwrap().unwrap();
        assert_eq!(parsed.incoming.sender_id, "42");
        assert_eq!(parsed.incoming.reply_to, "42");
        assert_eq!(parsed.incoming.message_id.as_deref(), Some("1001"));
        assert_eq!(parsed.incoming.language_hint.as_deref(), Some("de"));
        assert_eq!(parsed.incoming.text, "list");
        assert_eq!(parsed.incoming.group, None);
        assert_eq!(parsed.callback_query_id, None);
    }

    fn in_chat(chat: &str, text: &str) -> Vec<u8> {
        format!(
            r#"{{"update_id":1001,"message":{{"message_id":7,"date":1,"chat":{chat},
            "from":{{"id":42,"is_bot":false,"first_name":"Ann"}},"text":"{text}"}}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn a_group_message_keeps_replies_private_and_names_the_group() {
        for kind in ["group", "supergroup"] {
            let body = in_chat(
                &format!(r#"{{"id":-100123,"type":"{kind}"}}"#),
                "/list@DealwatchBot",
            );
            let parsed = parse_update_as(&body, Some("DealwatchBot"))
                .unwrap()
                .unwrap();
            assert_eq!(parsed.incoming.sender_id, "42");
            assert_eq!(
                parsed.incoming.reply_to, "42",
                "the sender's private chat, never the group"
            );
            let group = parsed.incoming.group.unwrap();
            assert_eq!(group.address, "-100123");
            assert!(!group.sender_can_manage, "not known from the update");
            assert!(!group.private_replies);
        }
        // A chat without a type is not a chat teloxide reads: the update
        // is ignored, never taken for a private one.
        let untyped = in_chat(r#"{"id":-5}"#, "/list");
        assert!(parse_update(&untyped).unwrap().is_none());
    }

    #[test]
    fn in_groups_only_commands_for_us_are_read() {
        let group = r#"{"id":-100123,"type":"supergroup"}"#;
        let read = |text: &str, us: Option<&str>| {
            parse_update_as(&in_chat(group, text), us)
                .unwrap()
                .is_some()
        };
        assert!(read("/list", Some("DealwatchBot")));
        assert!(read("/list@dealwatchbot", Some("DealwatchBot")));
        assert!(!read("/list@OtherBot", Some("DealwatchBot")));
        assert!(
            read("/list@OtherBot", None),
            "without our name, any address is ours"
        );
        assert!(!read("ordinary chatter about a list", Some("DealwatchBot")));
        assert!(!read("/", Some("DealwatchBot")));
        // In a private chat everything is read.
        let private = in_chat(r#"{"id":42,"type":"private"}"#, "what am I watching");
        assert!(parse_update_as(&private, Some("DealwatchBot"))
            .unwrap()
            .is_some());
    }

    #[test]
    fn a_private_chat_link_needs_the_bot_username() {
        let message = Outgoing::text("Open our chat").with_link("Open", Link::PrivateChat);
        let without = render(&message, None);
        assert!(without[0].keyboard.is_none());
        let with = render(&message, Some("DealwatchBot"));
        let markup = serde_json::to_value(with[0].keyboard.as_ref().unwrap()).unwrap();
        assert_eq!(
            markup["inline_keyboard"][0][0]["url"],
            "https://t.me/DealwatchBot"
        );
    }

    #[test]
    fn a_button_press_becomes_its_command() {
        let body = br#"{"update_id":1002,"callback_query":{"id":"cbq-9","from":{"id":42,"is_bot":false,"first_name":"Ann"},
            "message":{"message_id":8,"date":1,"chat":{"id":42,"type":"private"}},"chat_instance":"x","data":"pause 3"}}"#;
        let parsed = parse_update(body).unwrap().unwrap();
        assert_eq!(parsed.incoming.text, "pause 3");
        assert_eq!(parsed.callback_query_id.as_deref(), Some("cbq-9"));
    }

    #[test]
    fn other_updates_are_ignored_and_garbage_refused() {
        let edited = br#"{"update_id":5,"edited_message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"text":"x"}}"#;
        assert!(parse_update(edited).unwrap().is_none());
        let sticker = br#"{"update_id":6,"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"from":{"id":1,"is_bot":false,"first_name":"A"}}}"#;
        assert!(parse_update(sticker).unwrap().is_none());
        let from_bot = br#"{"update_id":7,"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"from":{"id":1,"is_bot":true,"first_name":"B"},"text":"hi"}}"#;
        assert!(parse_update(from_bot).unwrap().is_none());
        assert!(parse_update(b"not json").is_err());
        assert!(parse_update(b"{}").is_err());
    }

    #[test]
    fn long_text_is_split_and_escaped_within_the_limit() {
        let line = "<Deal> & more, ".repeat(20);
        let text = vec![line; 40].join("\n");
        let parts = render(&Outgoing::text(text).with_button("Pause", "pause 1"), None);
        assert!(parts.len() > 1);
        for part in &parts {
            let sent = &part.html;
            assert!(
                sent.chars().count() <= MAX_TEXT_CHARS,
                "{}",
                sent.chars().count()
            );
            assert!(!sent.contains('<'), "unescaped markup");
        }
        let markup =
            serde_json::to_value(parts.last().unwrap().keyboard.as_ref().unwrap()).unwrap();
        assert_eq!(markup["inline_keyboard"][0][0]["callback_data"], "pause 1");
        assert!(parts[0].keyboard.is_none());
    }

    #[test]
    fn a_card_is_html_with_its_headline_linked_and_everything_escaped() {
        let card = crate::Card::new(
            "<b>PS5</b> & more",
            "https://shop.example/p?a=1&b=\"2\"",
            "£399 <was £479>".into(),
            None,
        )
        .unwrap();
        let (html, shown) = card_html(&card);
        assert_eq!(
            html,
            "<b><a href=\"https://shop.example/p?a=1&amp;b=&quot;2&quot;\">&lt;b&gt;PS5&lt;/b&gt; &amp; more</a></b>\n£399 &lt;was £479&gt;"
        );
        assert_eq!(
            shown,
            "<b>PS5</b> & more".chars().count() + 1 + "£399 <was £479>".chars().count()
        );
    }

    /// A flood of group commands from many people and groups cannot
    /// grow the administrators' cache without bound.
    #[test]
    fn the_admin_cache_stays_bounded() {
        let cache = AdminCache::default();
        for i in 0..(AdminCache::MAX + 500) {
            cache.put(&format!("-{i}"), "42", i % 2 == 0);
        }
        let kept = cache.0.lock().unwrap().len();
        assert!(kept <= AdminCache::MAX, "{kept}");
        let last = AdminCache::MAX + 499;
        assert_eq!(cache.get(&format!("-{last}"), "42"), Some(false));
        assert_eq!(cache.get("-unknown", "42"), None);
    }

    /// teloxide's errors become what the dispatcher acts on: wait, follow
    /// the group, give the chat up, drop the message, or try again.
    #[test]
    fn request_errors_map_onto_send_errors() {
        use teloxide_core::types::Seconds;
        let read = |body: &str| -> SendError {
            // The Bot API's error bodies, read by teloxide's own types.
            let error: Result<teloxide_core::types::True, RequestError> =
                match serde_json::from_str::<serde_json::Value>(body) {
                    Ok(v) => {
                        let description = v["description"].as_str().unwrap_or_default();
                        if let Some(wait) = v["parameters"]["retry_after"].as_u64() {
                            Err(RequestError::RetryAfter(Seconds::from_seconds(wait as u32)))
                        } else if let Some(to) = v["parameters"]["migrate_to_chat_id"].as_i64() {
                            Err(RequestError::MigrateToChatId(ChatId(to)))
                        } else {
                            Err(RequestError::Api(
                                serde_json::from_value(serde_json::json!(description)).unwrap(),
                            ))
                        }
                    }
                    Err(e) => Err(RequestError::InvalidJson {
                        source: std::sync::Arc::new(e),
                        raw: body.into(),
                    }),
                };
            send_error(error.unwrap_err())
        };
        let table = [
            (
                r#"{"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#,
                SendError::RetryAfter(7),
            ),
            (
                r#"{"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001}}"#,
                SendError::Moved("-1001".into()),
            ),
            (
                r#"{"description":"Forbidden: bot was blocked by the user"}"#,
                SendError::Unreachable(String::new()),
            ),
            (
                r#"{"description":"Forbidden: bot was kicked from the supergroup chat"}"#,
                SendError::Unreachable(String::new()),
            ),
            (
                r#"{"description":"Bad Request: chat not found"}"#,
                SendError::Unreachable(String::new()),
            ),
            (
                r#"{"description":"Forbidden: some new reason"}"#,
                SendError::Unreachable(String::new()),
            ),
            (
                r#"{"description":"Bad Request: message is too long"}"#,
                SendError::Permanent(String::new()),
            ),
            (
                r#"{"description":"Bad Request: something new"}"#,
                SendError::Permanent(String::new()),
            ),
            (
                r#"{"description":"Internal Server Error"}"#,
                SendError::Transient(String::new()),
            ),
            (
                "<html>502 Bad Gateway</html>",
                SendError::Transient(String::new()),
            ),
        ];
        for (body, want) in table {
            let got = read(body);
            assert_eq!(
                std::mem::discriminant(&got),
                std::mem::discriminant(&want),
                "{body}: {got:?}"
            );
            if let (SendError::RetryAfter(_) | SendError::Moved(_), _) = (&want, ()) {
                assert_eq!(got, want, "{body}");
            }
        }
    }

    #[test]
    fn a_chat_is_an_id_or_a_channel_name() {
        assert_eq!(recipient("-1001").unwrap(), Recipient::Id(ChatId(-1001)));
        assert_eq!(
            recipient("@deals_channel").unwrap(),
            Recipient::ChannelUsername("@deals_channel".into())
        );
        for bad in ["", "@x", "deals channel", "@deals/../x"] {
            assert!(recipient(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn one_enormous_word_is_still_split() {
        let parts = split(&"x".repeat(10_000), MAX_TEXT_CHARS);
        assert_eq!(parts.iter().map(|p| p.len()).sum::<usize>(), 10_000);
        assert!(parts.iter().all(|p| p.len() <= MAX_TEXT_CHARS));
    }
}
