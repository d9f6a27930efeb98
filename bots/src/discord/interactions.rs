//! Purpose: slash commands and button presses as Discord sends them, read
//! into the neutral [`Incoming`] (a command's options back into the text
//! command the core understands), and how commands are registered.

use super::*;

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
pub(super) struct From {
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
pub(super) fn command_text(data: &CommandData, specs: &[CommandSpec]) -> String {
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
