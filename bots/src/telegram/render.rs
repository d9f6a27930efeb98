//! Purpose: neutral messages as Telegram sends them: HTML escaped and
//! split within Telegram's limits, inline keyboards, cards as captions.

use super::*;

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

pub(super) fn escaped_width(c: char) -> usize {
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
pub(super) fn keyboard(
    message: &Outgoing,
    bot_username: Option<&str>,
) -> Option<InlineKeyboardMarkup> {
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

pub(super) fn no_preview() -> LinkPreviewOptions {
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

pub(super) fn escaped_len(text: &str) -> usize {
    text.chars().map(escaped_width).sum()
}
