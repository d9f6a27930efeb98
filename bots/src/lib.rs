//! Purpose: the chat-platform edge of Dealwatch.
//!
//! Everything here is about *messages*, never about deals: the neutral
//! [`Incoming`] and [`Outgoing`] types that the conversational core speaks,
//! and one adapter per platform that turns a platform's payloads into
//! `Incoming` values and renders `Outgoing` values the way that platform
//! shows them best. The console adapter ([`console`]) is the first: it is
//! what `dealwatch chat` uses, and it needs no credentials.

pub mod console;
pub mod discord;
pub mod discord_webhook;
pub mod pace;
pub mod sms;
pub mod telegram;
pub mod whatsapp;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A chat platform a user can reach us on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// `dealwatch chat`: stdin/stdout on the operator's machine.
    Console,
    Telegram,
    Discord,
    WhatsApp,
    Sms,
}

impl Channel {
    /// Every channel, in the order `serve` reports them.
    pub const ALL: [Channel; 5] = [
        Channel::Console,
        Channel::Telegram,
        Channel::Discord,
        Channel::WhatsApp,
        Channel::Sms,
    ];

    /// The stable name stored in the database and used in metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Console => "console",
            Channel::Telegram => "telegram",
            Channel::Discord => "discord",
            Channel::WhatsApp => "whatsapp",
            Channel::Sms => "sms",
        }
    }

    /// The inverse of [`Channel::as_str`].
    pub fn from_name(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Whether the platform shows pictures we send (charts).
    pub fn has_images(self) -> bool {
        matches!(
            self,
            Channel::Telegram | Channel::Discord | Channel::WhatsApp
        )
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message a person sent us, already verified and unwrapped by its adapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incoming {
    pub channel: Channel,
    /// The sender's stable id on the platform: Telegram user id, Discord user
    /// id, WhatsApp `wa_id`, phone number in E.164, console user name.
    pub sender_id: String,
    /// Where replies and alerts go: a Telegram chat id, a Discord channel, a
    /// phone number. Often equal to `sender_id`, but not in group chats.
    pub reply_to: String,
    /// A display name the platform gave us, if any (never used for identity).
    pub sender_name: Option<String>,
    /// The provider's id for this message (Telegram `update_id`, `wamid`,
    /// `MessageSid`, interaction id). Redeliveries carry the same id, which is
    /// what makes inbound processing idempotent. `None` on the console.
    pub message_id: Option<String>,
    /// The language the platform reports for the sender, used only to pick
    /// the locale of a brand-new user.
    pub language_hint: Option<String>,
    /// What the person typed (or the command a button press stands for).
    pub text: String,
    /// Set when the message was sent in a shared space (a Discord guild
    /// channel) rather than privately: where a community post would go,
    /// and whether this sender may decide what is posted there.
    #[serde(default)]
    pub group: Option<Group>,
    /// Set when this is not a message but something that happened to the
    /// shared chat in [`Incoming::group`] (we were added or removed, the
    /// chat moved); `text` is then empty and `sender_id` is who did it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<ChatEvent>,
}

/// Something that happened to a shared chat, rather than a message in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ChatEvent {
    /// We were added to the chat (or may post there again).
    Joined,
    /// We were removed from the chat, or may no longer post there.
    Left,
    /// The chat has a new address from now on (a Telegram group upgraded
    /// to a supergroup gets a new id); what was set up for it moves along.
    MovedTo { address: String },
    /// A command for us came from an administrator posting as the chat
    /// itself (Telegram's "remain anonymous"): nobody to check or answer.
    Anonymous,
}

/// A shared channel a message came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The address posts into that channel go to (a Discord channel id).
    pub address: String,
    /// The platform says this sender may manage the channel (Discord's
    /// Manage Channels permission).
    pub sender_can_manage: bool,
    /// The platform says we may post there.
    pub we_can_post: bool,
    /// Our answer to this message is seen by the sender alone, wherever it
    /// was sent (Discord's ephemeral replies). Where this is false (a
    /// Telegram group), an answer meant for the sender alone must go to
    /// their private chat instead, and cannot when they never opened one.
    #[serde(default)]
    pub private_replies: bool,
    /// What kind of shared chat it is.
    #[serde(default)]
    pub kind: GroupKind,
    /// The chat's name as the platform shows it (a group's title), for
    /// naming it; never used to identify it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The server the channel belongs to (a Discord guild id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
}

/// The kinds of shared chat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// Members write to each other (a Telegram group, a Discord channel).
    #[default]
    Group,
    /// Only its admins post; everyone else reads (a Telegram channel).
    Broadcast,
}

impl Group {
    /// A shared chat at `address` that nobody is known to manage yet.
    pub fn at(address: impl Into<String>) -> Group {
        Group {
            address: address.into(),
            sender_can_manage: false,
            we_can_post: true,
            private_replies: false,
            kind: GroupKind::Group,
            title: None,
            server: None,
        }
    }
}

impl Incoming {
    /// A console message from `user`: the console has no message ids, and the
    /// reply goes back to the same terminal.
    pub fn console(user: &str, text: impl Into<String>) -> Incoming {
        Incoming {
            channel: Channel::Console,
            sender_id: user.to_owned(),
            reply_to: user.to_owned(),
            sender_name: Some(user.to_owned()),
            message_id: None,
            language_hint: None,
            text: text.into(),
            group: None,
            event: None,
        }
    }
}

/// A button under a message. Pressing it is the same as sending `command`,
/// so platforms without buttons can show the command instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    /// Short label in the user's language ("Pause").
    pub label: String,
    /// The command the button stands for ("pause 3"). Empty for a link.
    pub command: String,
    /// Where the button leads instead of sending a command, if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
}

/// Where a link button leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// A web address.
    Url(String),
    /// The private chat between the reader and the bot on this platform
    /// (a Telegram deep link); each adapter knows its own form.
    PrivateChat,
}

/// One message we send to a person, in neutral form: each adapter decides
/// how to show it (HTML on Telegram, an embed on Discord, plain text on SMS).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// Plain text, already localised. Adapters escape it for their markup.
    pub text: String,
    pub buttons: Vec<Button>,
    /// A picture to show with the text (a price chart), for platforms that
    /// show pictures; the others send the text alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// Set when the message holds a credential (a payment or billing-portal
    /// link): copies kept to send later keep it only sealed, and where a
    /// kept copy cannot be opened (another process), this text is sent
    /// instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidential: Option<String>,
    /// The same message as a card, for platforms that show one (a Discord
    /// embed with a linked title and a thumbnail, a Telegram photo with a
    /// linked caption); the others send `text`, which says it all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
    /// A role of the chat to notify with the message (a Discord role id),
    /// where the platform has such roles; others leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention_role: Option<String>,
}

/// A linked headline, the lines under it and a picture (see
/// [`Outgoing::card`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// The headline (a deal's title), plain text.
    pub title: String,
    /// Where the headline leads: an http(s) address.
    pub url: String,
    /// The lines under the headline, plain text.
    pub body: String,
    /// A picture's http(s) address, fetched by the platform itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

impl Card {
    /// A card, when `url` (and `image_url`, else it is left out) are
    /// http(s) addresses a platform will take; `None` otherwise.
    pub fn new(title: &str, url: &str, body: String, image_url: Option<&str>) -> Option<Card> {
        let web = |u: &str| {
            u.len() <= 2048
                && url::Url::parse(u)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        };
        web(url).then(|| Card {
            title: title.to_owned(),
            url: url.to_owned(),
            body,
            image_url: image_url.filter(|u| web(u)).map(str::to_owned),
        })
    }
}

/// A PNG picture. Stored with the replies as base64.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    #[serde(with = "base64_bytes")]
    pub png: Vec<u8>,
    /// A file name for platforms that want one (`chart.png`).
    pub file_name: String,
}

impl fmt::Debug for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Image({}, {} bytes)", self.file_name, self.png.len())
    }
}

mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}

impl Outgoing {
    pub fn text(text: impl Into<String>) -> Outgoing {
        Outgoing {
            text: text.into(),
            buttons: Vec::new(),
            image: None,
            confidential: None,
            card: None,
            mention_role: None,
        }
    }

    /// Show the message as `card` where the platform can.
    pub fn with_card(mut self, card: Option<Card>) -> Outgoing {
        self.card = card;
        self
    }

    /// Mark the message as holding a credential; `fallback` is sent in its
    /// place where a kept copy cannot be opened.
    pub fn confidential(mut self, fallback: impl Into<String>) -> Outgoing {
        self.confidential = Some(fallback.into());
        self
    }

    pub fn with_image(mut self, image: Image) -> Outgoing {
        self.image = Some(image);
        self
    }

    pub fn with_button(mut self, label: impl Into<String>, command: impl Into<String>) -> Outgoing {
        self.buttons.push(Button {
            label: label.into(),
            command: command.into(),
            link: None,
        });
        self
    }

    /// A button that opens `link` instead of sending a command.
    pub fn with_link(mut self, label: impl Into<String>, link: Link) -> Outgoing {
        self.buttons.push(Button {
            label: label.into(),
            command: String::new(),
            link: Some(link),
        });
        self
    }
}

/// An accepted inbound message as stored before it is processed: the
/// message, what the platform wants acknowledged afterwards (Telegram's
/// callback query id, so the button stops spinning), and the handle the
/// reply must go through when it is not `reply_to` (a Discord interaction
/// token, valid for 15 minutes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundRecord {
    pub incoming: Incoming,
    pub acknowledge: Option<String>,
    #[serde(default)]
    pub reply_token: Option<String>,
}

impl InboundRecord {
    /// A message with nothing to acknowledge and replies to `reply_to`.
    pub fn plain(incoming: Incoming) -> InboundRecord {
        InboundRecord {
            incoming,
            acknowledge: None,
            reply_token: None,
        }
    }
}

/// Why a platform did not take a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Rate limited: try again after this many seconds.
    RetryAfter(u64),
    /// This message will never go (a request the platform refuses).
    Permanent(String),
    /// This recipient cannot be reached here any more: they blocked the
    /// bot, unsubscribed, or the chat or number is gone. Nothing will reach
    /// them on this identity until they write again.
    Unreachable(String),
    /// May work later (network, 5xx).
    Transient(String),
    /// The chat lives at this new address now (a Telegram group upgraded
    /// to a supergroup); the same message may go there.
    Moved(String),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::RetryAfter(secs) => write!(f, "rate limited, retry after {secs}s"),
            SendError::Permanent(why) => write!(f, "refused: {why}"),
            SendError::Unreachable(why) => write!(f, "unreachable: {why}"),
            SendError::Transient(why) => write!(f, "failed: {why}"),
            SendError::Moved(to) => write!(f, "the chat moved to {to}"),
        }
    }
}

impl std::error::Error for SendError {}

/// The current time: UTC Unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The HTTP client an adapter calls its platform with: a timeout on every
/// call (a hung API must not hold a worker), and the User-Agent the
/// platform asks for, if any.
pub(crate) fn http_client(
    timeout_secs: u64,
    user_agent: Option<&str>,
) -> Result<reqwest::Client, SendError> {
    let mut builder =
        reqwest::Client::builder().timeout(std::time::Duration::from_secs(timeout_secs));
    if let Some(agent) = user_agent {
        builder = builder.user_agent(agent);
    }
    builder
        .build()
        .map_err(|e| SendError::Permanent(e.to_string()))
}

/// Why a platform's payload could not be read.
#[derive(Debug)]
pub struct ParseError {
    /// "a Telegram update", "a Discord interaction", ...
    pub what: &'static str,
    pub why: String,
}

impl ParseError {
    pub(crate) fn new(what: &'static str, why: impl Into<String>) -> ParseError {
        ParseError {
            what,
            why: why.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not {}: {}", self.what, self.why)
    }
}

impl std::error::Error for ParseError {}

/// A boxed future, for the object-safe traits below.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where verified inbound messages go: stored durably, processed later.
pub trait InboundSink: Send + Sync + 'static {
    /// Store the message. `Ok(false)` for a redelivery already stored. An
    /// error means nothing was stored, and the platform must deliver the
    /// message again (a webhook answers 503; a poller keeps its offset).
    fn accept(&self, record: InboundRecord) -> BoxFuture<'_, Result<bool, String>>;

    /// Store the message, then act on it while the platform waits, for
    /// platforms that take the reply in their webhook's answer (Twilio's
    /// TwiML). `Ok(Some(replies))`: acted on within `wait`, and the
    /// replies go in the answer, never sent again. `Ok(None)`: stored (or
    /// a redelivery); the replies follow through the platform's API.
    fn accept_and_answer(
        &self,
        record: InboundRecord,
        _wait: std::time::Duration,
    ) -> BoxFuture<'_, Result<Option<Vec<Outgoing>>, String>> {
        Box::pin(async move { self.accept(record).await.map(|_| None) })
    }

    /// Record what a platform reported about messages we sent. An error
    /// means nothing was recorded and the platform must report again.
    fn record_statuses(&self, statuses: Vec<DeliveryStatus>) -> BoxFuture<'_, Result<(), String>>;
}

/// Sends messages on one platform.
pub trait Sender: Send + Sync {
    /// Send `messages` to `reply_to`; returns the platform's message ids.
    fn send<'a>(
        &'a self,
        reply_to: &'a str,
        messages: &'a [Outgoing],
    ) -> BoxFuture<'a, Result<Vec<String>, SendError>>;

    /// Acknowledge what [`InboundRecord::acknowledge`] names (a button press).
    /// Platforms with nothing to acknowledge keep this default.
    fn acknowledge<'a>(&'a self, _token: &'a str) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async { Ok(()) })
    }

    /// Answer through [`InboundRecord::reply_token`]. Platforms without
    /// reply handles refuse, and the reply goes to `reply_to` instead.
    fn reply<'a>(
        &'a self,
        _token: &'a str,
        _messages: &'a [Outgoing],
    ) -> BoxFuture<'a, Result<Vec<String>, SendError>> {
        Box::pin(async {
            Err(SendError::Permanent(
                "no reply handles on this platform".into(),
            ))
        })
    }

    /// Send a notice the user did not just ask for (an alert).
    /// `last_inbound_at` is when this person last wrote to us (UTC seconds),
    /// for platforms that only allow free-form messages shortly after that
    /// (WhatsApp's 24-hour window). `key` names this delivery (at most 20
    /// characters of `[0-9a-z]`); it is the same when a delivery whose
    /// outcome was lost is tried again, so platforms that deduplicate
    /// (Discord's message nonce) send it once. By default the same as
    /// [`Sender::send`].
    fn notify<'a>(
        &'a self,
        reply_to: &'a str,
        messages: &'a [Outgoing],
        _last_inbound_at: Option<i64>,
        _key: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, SendError>> {
        self.send(reply_to, messages)
    }
}

/// A broadcast channel (a Telegram channel) someone asked us to post to,
/// as its platform describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BroadcastInfo {
    /// Where posts go (the channel's chat id).
    pub address: String,
    /// Its title, as its readers see it.
    pub title: Option<String>,
    /// Its public name without the `@`, if it has one.
    pub handle: Option<String>,
}

/// Why we may not post to a broadcast channel for someone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BroadcastRefusal {
    #[error("no such channel")]
    NotFound,
    #[error("a chat, but not a channel")]
    NotBroadcast,
    /// The person asking is not one of its administrators with the right
    /// to post.
    #[error("the sender may not post there")]
    SenderNotAdmin,
    /// We are not one of its administrators with the right to post.
    #[error("we may not post there")]
    WeCannotPost,
    #[error("the platform did not answer: {0}")]
    Platform(SendError),
}

/// Asks a platform about broadcast channels, before any post goes there.
pub trait Broadcasts: Send + Sync {
    /// Look `channel` up (a public `@name`, or the channel's id) and check
    /// that both `sender_id` and we may post there.
    fn check_broadcast<'a>(
        &'a self,
        channel: &'a str,
        sender_id: &'a str,
    ) -> BoxFuture<'a, Result<BroadcastInfo, BroadcastRefusal>>;
}

/// What a platform reported about a message we sent (WhatsApp statuses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryStatus {
    pub channel: Channel,
    /// The platform's id of the message we sent.
    pub message_id: String,
    /// `sent`, `delivered`, `read`, `failed` (as the platform names them).
    pub status: String,
    /// Who it was for (the platform's recipient id).
    pub recipient: String,
    /// When, in UTC seconds, as the platform stamped it.
    pub at: i64,
    /// The platform's error code and title for a failure.
    pub error: Option<String>,
}

/// Split `text` into parts whose weight (the sum of `weight` over their
/// characters: 1 for most, more for characters a platform escapes) is at
/// most `max`, at line breaks where possible, else at spaces, else
/// anywhere. Parts are escaped after splitting, so never inside an escape.
pub fn split_text(text: &str, max: usize, weight: impl Fn(char) -> usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text;
    while rest.chars().map(&weight).sum::<usize>() > max {
        let mut cut = 0;
        let mut len = 0;
        let mut last_newline = None;
        let mut last_space = None;
        for (i, c) in rest.char_indices() {
            let w = weight(c);
            if len + w > max {
                break;
            }
            len += w;
            cut = i + c.len_utf8();
            if c == '\n' {
                last_newline = Some(cut);
            } else if c == ' ' {
                last_space = Some(cut);
            }
        }
        let at = last_newline
            .or(last_space)
            .filter(|&p| p > 0)
            .unwrap_or(if cut == 0 {
                rest.chars().next().map_or(1, char::len_utf8)
            } else {
                cut
            });
        let (head, tail) = rest.split_at(at);
        parts.push(head.trim_end().to_owned());
        rest = tail.trim_start_matches('\n');
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.to_owned());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(Channel::from_name(channel.as_str()), Some(channel));
        }
        assert_eq!(Channel::from_name("fax"), None);
    }
}
