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

mod read;
mod render;

pub use read::*;
pub use render::*;

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
mod tests;
