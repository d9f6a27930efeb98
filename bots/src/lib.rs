//! Purpose: the chat-platform edge of Dealwatch.
//!
//! Everything here is about *messages*, never about deals: the neutral
//! [`Incoming`] and [`Outgoing`] types that the conversational core speaks,
//! and one adapter per platform that turns a platform's payloads into
//! `Incoming` values and renders `Outgoing` values the way that platform
//! shows them best. The console adapter ([`console`]) is the first: it is
//! what `dealwatch chat` uses, and it needs no credentials.

pub mod console;
pub mod sms;
pub mod telegram;

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

    /// Whether the platform can show inline buttons under a message.
    pub fn has_buttons(self) -> bool {
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
        }
    }
}

/// A button under a message. Pressing it is the same as sending `command`,
/// so platforms without buttons can show the command instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    /// Short label in the user's language ("Pause").
    pub label: String,
    /// The command the button stands for ("pause 3").
    pub command: String,
}

/// One message we send to a person, in neutral form: each adapter decides
/// how to show it (HTML on Telegram, an embed on Discord, plain text on SMS).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// Plain text, already localised. Adapters escape it for their markup.
    pub text: String,
    pub buttons: Vec<Button>,
}

impl Outgoing {
    pub fn text(text: impl Into<String>) -> Outgoing {
        Outgoing {
            text: text.into(),
            buttons: Vec::new(),
        }
    }

    pub fn with_button(mut self, label: impl Into<String>, command: impl Into<String>) -> Outgoing {
        self.buttons.push(Button {
            label: label.into(),
            command: command.into(),
        });
        self
    }
}

/// An accepted inbound message as stored before it is processed: the
/// message, and what the platform wants acknowledged afterwards (Telegram's
/// callback query id, so the button stops spinning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundRecord {
    pub incoming: Incoming,
    pub acknowledge: Option<String>,
}

/// Why a platform did not take a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Rate limited: try again after this many seconds.
    RetryAfter(u64),
    /// Will never work (blocked by the user, chat gone, bad request).
    Permanent(String),
    /// May work later (network, 5xx).
    Transient(String),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::RetryAfter(secs) => write!(f, "rate limited, retry after {secs}s"),
            SendError::Permanent(why) => write!(f, "refused: {why}"),
            SendError::Transient(why) => write!(f, "failed: {why}"),
        }
    }
}

impl std::error::Error for SendError {}

/// A boxed future, for the object-safe traits below.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where verified inbound messages go: stored durably, processed later.
pub trait InboundSink: Send + Sync + 'static {
    /// Store the message. `Ok(false)` for a redelivery already stored. An
    /// error means nothing was stored, and the platform must deliver the
    /// message again (a webhook answers 503; a poller keeps its offset).
    fn accept(&self, record: InboundRecord) -> BoxFuture<'_, Result<bool, String>>;
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
    fn acknowledge<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<(), SendError>>;
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
