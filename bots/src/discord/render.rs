//! Purpose: neutral messages as Discord posts: markdown escaped, embeds
//! and cards within Discord's limits, buttons in rows, role mentions that
//! ping only the role named.

use super::*;

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

pub(super) fn needs_escape(c: char) -> bool {
    matches!(c, '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']')
}

pub(super) fn escaped_width(c: char) -> usize {
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
    pub(super) link_only: Vec<CreateButton>,
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
pub(super) fn mention(post: &mut Post, message: &Outgoing) {
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
pub(super) fn render_card(message: &Outgoing, card: &crate::Card, ephemeral: bool) -> Option<Post> {
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
pub(super) fn buttons(message: &Outgoing) -> (Vec<CreateButton>, Vec<CreateButton>) {
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
pub(super) fn webhook_gone(e: SendError) -> SendError {
    match e {
        // `call` starts the reason with the status.
        SendError::Permanent(why) if why.starts_with("404") || why.starts_with("401") => {
            SendError::Unreachable(why)
        }
        e => e,
    }
}
