//! Purpose: Telegram updates read into the neutral [`Incoming`]: private
//! and group messages, button presses, the bot's membership changing, and
//! which commands are addressed to this bot; channel references.

use super::*;

/// Whether a member of a chat may post in it (a channel only lets
/// administrators with the right to post).
pub(super) fn can_post(member: &ChatMemberKind, channel: bool) -> bool {
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
pub(super) fn is_shared(chat: &Chat) -> bool {
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
pub(super) fn read_update(
    update: teloxide_core::types::Update,
    bot_username: Option<&str>,
) -> Option<Parsed> {
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

pub(super) fn from_message(
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

pub(super) fn from_button(query: CallbackQuery, message_id: Option<String>) -> Option<Parsed> {
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
pub(super) fn membership(changed: ChatMemberUpdated, message_id: Option<String>) -> Option<Parsed> {
    let group = group_of(&changed.chat)?;
    let event = if can_post(&changed.new_chat_member.kind, changed.chat.is_channel()) {
        ChatEvent::Joined
    } else {
        ChatEvent::Left
    };
    event_from(changed.from, group, event, message_id)
}

pub(super) fn event_from(
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
pub(super) fn incoming(
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
pub(super) fn group_of(chat: &Chat) -> Option<Group> {
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
pub(super) fn is_command_for(text: &str, bot_username: Option<&str>) -> bool {
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
pub(super) const CHANNEL_NAME_CHARS: std::ops::RangeInclusive<usize> = 4..=32;

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
