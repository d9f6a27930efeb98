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
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// What a payload that cannot be read was supposed to be.
const WHAT: &str = "a Telegram update";

/// Telegram's limit on a message's text, in characters after entity parsing.
pub const MAX_TEXT_CHARS: usize = 4096;
/// Telegram's limit on a photo caption, in characters after entity parsing.
pub const MAX_CAPTION_CHARS: usize = 1024;
/// Telegram's limit on a button's callback data, in bytes.
pub const MAX_CALLBACK_BYTES: usize = 64;

#[derive(Debug, Deserialize)]
struct Update {
    update_id: i64,
    message: Option<Message>,
    callback_query: Option<CallbackQuery>,
    /// Our own membership of a chat changed (added, removed, promoted).
    my_chat_member: Option<ChatMemberUpdated>,
}

#[derive(Debug, Deserialize)]
struct Message {
    chat: Chat,
    from: Option<User>,
    text: Option<String>,
    /// Sent in a group that became a supergroup: its new id.
    migrate_to_chat_id: Option<i64>,
    /// Where a forwarded message first appeared.
    forward_origin: Option<MessageOrigin>,
    /// The chat a message was sent on behalf of: the group itself for an
    /// anonymous administrator.
    sender_chat: Option<Chat>,
}

#[derive(Debug, Deserialize)]
struct MessageOrigin {
    #[serde(rename = "type")]
    kind: String,
    /// For a post forwarded from a channel: the channel.
    chat: Option<Chat>,
}

#[derive(Debug, Deserialize)]
struct Chat {
    id: i64,
    /// `private`, `group`, `supergroup` or `channel`.
    #[serde(rename = "type", default)]
    kind: Option<String>,
    title: Option<String>,
}

impl Chat {
    /// A chat other people read: a group, a supergroup or a channel. An
    /// update without a type is judged by its id (only shared chats have
    /// negative ids), so a malformed one is never taken for private.
    fn is_shared(&self) -> bool {
        match self.kind.as_deref() {
            Some("private") => false,
            Some(_) => true,
            None => self.id < 0,
        }
    }

    fn is_channel(&self) -> bool {
        self.kind.as_deref() == Some("channel")
    }
}

#[derive(Debug, Deserialize)]
struct User {
    id: i64,
    #[serde(default)]
    is_bot: bool,
    first_name: Option<String>,
    language_code: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    id: String,
    from: User,
    message: Option<Message>,
    data: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChatMemberUpdated {
    chat: Chat,
    from: User,
    new_chat_member: ChatMember,
}

/// A member of a chat as `getChatMember` and `my_chat_member` give it.
#[derive(Debug, Deserialize)]
struct ChatMember {
    /// `creator`, `administrator`, `member`, `restricted`, `left`, `kicked`.
    status: String,
    /// Administrators of a channel: whether they may post there.
    can_post_messages: Option<bool>,
    /// Restricted members: whether they may send messages.
    can_send_messages: Option<bool>,
}

impl ChatMember {
    /// Whether this member may post in a chat of this kind.
    fn can_post(&self, channel: bool) -> bool {
        match self.status.as_str() {
            "creator" => true,
            "administrator" => !channel || self.can_post_messages == Some(true),
            "member" => !channel,
            "restricted" => !channel && self.can_send_messages != Some(false),
            _ => false,
        }
    }

    fn is_admin(&self) -> bool {
        matches!(self.status.as_str(), "creator" | "administrator")
    }
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

/// Read an Update as the bot `bot_username` (from `getMe`): in a group, a
/// command addressed to another bot (`/list@OtherBot`) is not ours. Without
/// the name, every addressed command is taken as ours.
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
pub fn parse_update_as(
    body: &[u8],
    bot_username: Option<&str>,
) -> Result<Option<Parsed>, ParseError> {
    let update: Update =
        serde_json::from_slice(body).map_err(|e| ParseError::new(WHAT, e.to_string()))?;
    let message_id = Some(update.update_id.to_string());
    if let Some(changed) = update.my_chat_member {
        return Ok(membership(changed, message_id));
    }
    if let Some(message) = update.message {
        let Some(from) = message.from else {
            return Ok(None);
        };
        let group = group_of(&message.chat);
        if let (Some(mut group), Some(to)) = (group.clone(), message.migrate_to_chat_id) {
            group.sender_can_manage = false;
            let event = ChatEvent::MovedTo {
                address: to.to_string(),
            };
            return Ok(event_from(from, group, event, message_id));
        }
        // An administrator posting as the group: a bot account stands in
        // for them, so who they are cannot be checked.
        if let (Some(group), Some(as_chat)) = (&group, &message.sender_chat) {
            let for_us = message
                .text
                .as_deref()
                .is_some_and(|t| is_command_for(t, bot_username));
            if as_chat.id == message.chat.id && for_us {
                return Ok(event_from(
                    from,
                    group.clone(),
                    ChatEvent::Anonymous,
                    message_id,
                ));
            }
        }
        let text = match (message.text, &message.forward_origin) {
            // A channel's post forwarded privately: register that channel.
            (_, Some(origin)) if group.is_none() && origin.kind == "channel" => {
                let Some(channel) = &origin.chat else {
                    return Ok(None);
                };
                format!("community add {}", channel.id)
            }
            (Some(text), _) => text,
            (None, _) => return Ok(None),
        };
        if group.is_some() && !is_command_for(&text, bot_username) {
            return Ok(None);
        }
        return Ok(incoming(from, &message.chat, group, message_id, text, None));
    }
    if let Some(query) = update.callback_query {
        let (Some(data), Some(message)) = (query.data, query.message) else {
            return Ok(None);
        };
        let group = group_of(&message.chat);
        return Ok(incoming(
            query.from,
            &message.chat,
            group,
            message_id,
            data,
            Some(query.id),
        ));
    }
    Ok(None)
}

/// Our membership of a shared chat changed: joined when we may now post
/// there, left when we may not (removed, banned, muted, or a channel
/// admin without the right to post). Private chats are left alone.
fn membership(changed: ChatMemberUpdated, message_id: Option<String>) -> Option<Parsed> {
    let group = group_of(&changed.chat)?;
    let event = if changed.new_chat_member.can_post(changed.chat.is_channel()) {
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
    let sender_id = from.id.to_string();
    Some(Parsed {
        incoming: Incoming {
            channel: Channel::Telegram,
            reply_to: sender_id.clone(),
            sender_id,
            sender_name: from.first_name,
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
    let sender_id = from.id.to_string();
    let reply_to = if group.is_some() {
        sender_id.clone()
    } else {
        chat.id.to_string()
    };
    Some(Parsed {
        incoming: Incoming {
            channel: Channel::Telegram,
            sender_id,
            reply_to,
            sender_name: from.first_name,
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
    chat.is_shared().then(|| {
        let mut group = Group::at(chat.id.to_string());
        group.title.clone_from(&chat.title);
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

/// The `sendMessage` request bodies for one message to `chat_id`. A
/// button that opens the private chat needs the bot's username (from
/// `getMe`), and is left out without it.
pub fn render(message: &Outgoing, chat_id: &str, bot_username: Option<&str>) -> Vec<Value> {
    let parts = split(&message.text, MAX_TEXT_CHARS);
    let last = parts.len() - 1;
    let buttons: Vec<Value> = message
        .buttons
        .iter()
        .filter_map(|b| match &b.link {
            None if b.command.len() <= MAX_CALLBACK_BYTES && !b.command.is_empty() => {
                Some(json!({ "text": b.label, "callback_data": b.command }))
            }
            None => None,
            Some(Link::Url(url)) => Some(json!({ "text": b.label, "url": url })),
            Some(Link::PrivateChat) => bot_username.map(|name| {
                json!({ "text": b.label, "url": format!("https://t.me/{}", name.trim_start_matches('@')) })
            }),
        })
        .collect();
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let mut body = json!({
                "chat_id": chat_id,
                "text": escape_html(part),
                "parse_mode": "HTML",
                "link_preview_options": { "is_disabled": true },
            });
            if i == last && !buttons.is_empty() {
                body["reply_markup"] = json!({ "inline_keyboard": [buttons] });
            }
            body
        })
        .collect()
}

/// A Bot API client: `{api}/bot{token}/METHOD`.
pub struct TelegramClient {
    http: reqwest::Client,
    /// `https://api.telegram.org/bot<token>/`: holds the token, never logged.
    base: url::Url,
    pace: Pace,
    /// The bot's username, from `getMe` once it was needed and answered.
    username: BotName,
    /// The bot's own user id: a bot token is `<id>:<secret>`.
    bot_id: Option<i64>,
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
        // Not `Url::join`: a token such as "123:ABC" would read as a scheme.
        let base = url::Url::parse(&format!(
            "{}/bot{token}/",
            api.as_str().trim_end_matches('/')
        ))
        .map_err(|e| SendError::Permanent(format!("bad Telegram API URL: {e}")))?;
        let http = crate::http_client(20, None)?;
        Ok(TelegramClient {
            http,
            base,
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
        match self.call("getMe", &json!({})).await {
            Ok(me) => {
                let name = me["username"].as_str()?;
                self.username.set(name);
                self.username.get()
            }
            Err(e) => {
                tracing::warn!(error = %e, "telegram getMe failed");
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

    /// Call a Bot API method with a JSON body; the `result` on success.
    async fn call(&self, method: &str, body: &Value) -> Result<Value, SendError> {
        let url = self.method_url(method)?;
        self.finish(self.http.post(url).json(body).send().await)
            .await
    }

    /// Call a Bot API method with a multipart form (file uploads).
    async fn call_form(
        &self,
        method: &str,
        form: reqwest::multipart::Form,
    ) -> Result<Value, SendError> {
        let url = self.method_url(method)?;
        self.finish(self.http.post(url).multipart(form).send().await)
            .await
    }

    fn method_url(&self, method: &str) -> Result<url::Url, SendError> {
        self.base
            .join(method)
            .map_err(|e| SendError::Permanent(e.to_string()))
    }

    async fn finish(
        &self,
        sent: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<Value, SendError> {
        // Errors without the URL: it carries the token.
        let response = sent.map_err(|e| SendError::Transient(e.without_url().to_string()))?;
        let status = response.status();
        let reply: Value = response.json().await.map_err(|e| {
            SendError::Transient(format!("unreadable reply ({status}): {}", e.without_url()))
        })?;
        if reply["ok"].as_bool() == Some(true) {
            return Ok(reply["result"].clone());
        }
        let description = reply["description"]
            .as_str()
            .unwrap_or("no description")
            .to_owned();
        match reply["error_code"]
            .as_u64()
            .unwrap_or(u64::from(status.as_u16()))
        {
            429 => Err(SendError::RetryAfter(
                reply["parameters"]["retry_after"].as_u64().unwrap_or(1),
            )),
            // A group that became a supergroup: the same chat, a new id.
            400 if reply["parameters"]["migrate_to_chat_id"].is_i64() => Err(SendError::Moved(
                reply["parameters"]["migrate_to_chat_id"]
                    .as_i64()
                    .unwrap_or_default()
                    .to_string(),
            )),
            // Blocked by the user, kicked from the group, account deleted.
            403 => Err(SendError::Unreachable(description)),
            400 if [
                "chat not found",
                "user is deactivated",
                "have no rights to send",
            ]
            .iter()
            .any(|gone| description.contains(gone)) =>
            {
                Err(SendError::Unreachable(description))
            }
            400 | 404 => Err(SendError::Permanent(description)),
            _ => Err(SendError::Transient(description)),
        }
    }

    /// One `sendMessage` to `chat_id`, in its turn; the message id.
    async fn send_message(&self, chat_id: &str, body: &Value) -> Result<String, SendError> {
        self.pace.admit(chat_id).await?;
        Ok(message_id(&self.call("sendMessage", body).await?))
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
        let photo = reqwest::multipart::Part::bytes(image.png.clone())
            .file_name(image.file_name.clone())
            .mime_str("image/png")
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        let mut form = reqwest::multipart::Form::new()
            .text("chat_id", chat_id.to_owned())
            .part("photo", photo);
        let fits = escaped_len(&message.text) <= MAX_CAPTION_CHARS;
        let username = self.username_for(message).await;
        if fits {
            let body = render(message, chat_id, username.as_deref())
                .pop()
                .unwrap_or_default();
            form = form
                .text("caption", escape_html(&message.text))
                .text("parse_mode", "HTML");
            if let Some(markup) = body.get("reply_markup") {
                form = form.text("reply_markup", markup.to_string());
            }
        }
        self.pace.admit(chat_id).await?;
        let sent = self.call_form("sendPhoto", form).await?;
        let mut ids = vec![message_id(&sent)];
        if !fits {
            for body in render(message, chat_id, username.as_deref()) {
                ids.push(self.send_message(chat_id, &body).await?);
            }
        }
        Ok(ids)
    }
}

impl TelegramClient {
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
        let markup = render(message, chat_id, username.as_deref())
            .pop()
            .and_then(|body| body.get("reply_markup").cloned());
        if let (Some(image), true) = (&card.image_url, visible <= MAX_CAPTION_CHARS) {
            let mut body = json!({
                "chat_id": chat_id,
                "photo": image,
                "caption": html,
                "parse_mode": "HTML",
            });
            if let Some(markup) = &markup {
                body["reply_markup"] = markup.clone();
            }
            self.pace.admit(chat_id).await?;
            match self.call("sendPhoto", &body).await {
                Ok(sent) => return Ok(Some(vec![message_id(&sent)])),
                // Telegram could not fetch or use the picture (a dead link,
                // not an image): the card goes without it.
                Err(SendError::Permanent(why)) => {
                    tracing::info!(error = %why, "telegram would not take a deal's picture");
                }
                Err(e) => return Err(e),
            }
        }
        let mut body = json!({
            "chat_id": chat_id,
            "text": html,
            "parse_mode": "HTML",
            "link_preview_options": { "is_disabled": true },
        });
        if let Some(markup) = markup {
            body["reply_markup"] = markup;
        }
        Ok(Some(vec![self.send_message(chat_id, &body).await?]))
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

fn message_id(sent: &Value) -> String {
    sent["message_id"]
        .as_i64()
        .map(|id| id.to_string())
        .unwrap_or_default()
}

fn escaped_len(text: &str) -> usize {
    text.chars().map(escaped_width).sum()
}

impl TelegramClient {
    /// One member of a chat (`getChatMember`).
    async fn member(&self, chat_id: &str, user_id: &str) -> Result<ChatMember, SendError> {
        let user: i64 = user_id
            .parse()
            .map_err(|_| SendError::Permanent(format!("not a Telegram user id: {user_id}")))?;
        let body = json!({ "chat_id": chat_id, "user_id": user });
        serde_json::from_value(self.call("getChatMember", &body).await?)
            .map_err(|e| SendError::Transient(format!("unreadable chat member: {e}")))
    }

    /// Whether `user_id` administers the group `chat_id`, as Telegram said
    /// within the last [`ADMIN_CACHE`].
    pub async fn is_group_admin(&self, chat_id: &str, user_id: &str) -> Result<bool, SendError> {
        if let Some(known) = self.admins.get(chat_id, user_id) {
            return Ok(known);
        }
        let admin = self.member(chat_id, user_id).await?.is_admin();
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
        let list: Vec<Value> = commands
            .iter()
            .take(100)
            .map(|(command, description)| {
                let description: String = description.chars().take(256).collect();
                json!({ "command": command, "description": description })
            })
            .collect();
        let mut body = json!({ "commands": list });
        if let Some(language) = language {
            body["language_code"] = json!(language);
        }
        self.call("setMyCommands", &body).await.map(|_| ())
    }
}

/// The update kinds we read: what `getUpdates` asks for, and what a
/// webhook must be set up with (`setWebhook`'s `allowed_updates`).
pub const ALLOWED_UPDATES: [&str; 3] = ["message", "callback_query", "my_chat_member"];

/// Long polling (`TELEGRAM_MODE=polling`): fetch updates with `getUpdates`
/// and store each through `sink` until `shutdown` completes. The offset
/// that confirms updates to Telegram only moves past an update once it is
/// stored, so a crash or a database outage loses nothing: Telegram sends
/// the unconfirmed updates again, and the sink drops the ones it has.
pub async fn poll(
    client: &TelegramClient,
    sink: &dyn InboundSink,
    long_poll_secs: u64,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut offset: Option<i64> = None;
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
    long_poll_secs: u64,
    offset: &mut Option<i64>,
) {
    use std::time::Duration;
    let mut body = json!({ "timeout": long_poll_secs, "allowed_updates": ALLOWED_UPDATES });
    if let Some(offset) = offset {
        body["offset"] = json!(offset);
    }
    let updates = match client.call("getUpdates", &body).await {
        Ok(Value::Array(updates)) => updates,
        Ok(_) => Vec::new(),
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
        let Some(id) = update["update_id"].as_i64() else {
            continue;
        };
        let username = client.username().await;
        let stored = match parse_update_as(update.to_string().as_bytes(), username.as_deref()) {
            Ok(Some(mut parsed)) => {
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
            Ok(None) | Err(_) => true,
        };
        if !stored {
            tokio::time::sleep(Duration::from_secs(1)).await;
            return;
        }
        *offset = Some(id + 1);
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
            let chat = self
                .call("getChat", &json!({ "chat_id": channel }))
                .await
                .map_err(gone)?;
            if chat["type"].as_str() != Some("channel") {
                return Err(No::NotBroadcast);
            }
            let Some(id) = chat["id"].as_i64().map(|id| id.to_string()) else {
                return Err(No::NotFound);
            };
            let rights = |e: SendError, no: No| match e {
                SendError::Unreachable(_) | SendError::Permanent(_) => no,
                e => No::Platform(e),
            };
            let bot = self.bot_id.ok_or(No::WeCannotPost)?.to_string();
            let ours = self
                .member(&id, &bot)
                .await
                .map_err(|e| rights(e, No::WeCannotPost))?;
            if !ours.can_post(true) {
                return Err(No::WeCannotPost);
            }
            let theirs = self
                .member(&id, sender_id)
                .await
                .map_err(|e| rights(e, No::SenderNotAdmin))?;
            if !(theirs.is_admin() && theirs.can_post(true)) {
                return Err(No::SenderNotAdmin);
            }
            Ok(crate::BroadcastInfo {
                address: id,
                title: chat["title"].as_str().map(str::to_owned),
                handle: chat["username"].as_str().map(str::to_owned),
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
                for body in render(message, reply_to, username.as_deref()) {
                    ids.push(self.send_message(reply_to, &body).await?);
                }
            }
            Ok(ids)
        })
    }

    fn acknowledge<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            self.call(
                "answerCallbackQuery",
                &json!({ "callback_query_id": token }),
            )
            .await
            .map(|_| ())
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
        // A chat without a type is judged by its id.
        let untyped = in_chat(r#"{"id":-5}"#, "/list");
        assert!(parse_update(&untyped)
            .unwrap()
            .unwrap()
            .incoming
            .group
            .is_some());
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
        let without = render(&message, "-100", None);
        assert!(without[0].get("reply_markup").is_none());
        let with = render(&message, "-100", Some("DealwatchBot"));
        assert_eq!(
            with[0]["reply_markup"]["inline_keyboard"][0][0]["url"],
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
        let bodies = render(
            &Outgoing::text(text).with_button("Pause", "pause 1"),
            "42",
            None,
        );
        assert!(bodies.len() > 1);
        for body in &bodies {
            let sent = body["text"].as_str().unwrap();
            assert!(
                sent.chars().count() <= MAX_TEXT_CHARS,
                "{}",
                sent.chars().count()
            );
            assert!(!sent.contains('<'), "unescaped markup");
        }
        assert!(bodies.last().unwrap().get("reply_markup").is_some());
        assert!(bodies[0].get("reply_markup").is_none());
        assert_eq!(bodies[0]["parse_mode"], "HTML");
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

    #[test]
    fn one_enormous_word_is_still_split() {
        let parts = split(&"x".repeat(10_000), MAX_TEXT_CHARS);
        assert_eq!(parts.iter().map(|p| p.len()).sum::<usize>(), 10_000);
        assert!(parts.iter().all(|p| p.len() <= MAX_TEXT_CHARS));
    }
}
