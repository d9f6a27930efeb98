//! `community ...`: Discord channels (and later groups and channels
//! elsewhere) that deals are posted to for everyone there.
//!
//! ```text
//! community | community list
//! community add WEBHOOK-URL [NAME]      a bare webhook URL means this too
//! community add @CHANNEL [NAME]         a Telegram channel (or t.me/CHANNEL, or its id)
//! community test [NAME] | community remove [NAME]
//! community cap [NAME] N | community quiet [NAME] HH:MM-HH:MM|off
//! community pause|resume|delete [NAME] ID...   that community's alerts
//! alert WORDS... to NAME                 a rule that posts there
//! ```
//!
//! Without a NAME, a command typed in a shared chat (a Telegram group, a
//! Discord channel) is about that chat.

use super::{prefs, ParseError, Problem, MAX_CAP};
use crate::model::QuietHours;
use crate::model::{Digest, ItemNo};
use dealwatch_bots::discord_webhook::WebhookUrl;

/// Longest community name, in characters.
pub const MAX_NAME_CHARS: usize = 32;

/// What a `community` command asks. `name: None` means the chat the
/// command was typed in (a Telegram group, a Discord channel); typed
/// privately, a name is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommunityCommand {
    /// The person's communities; in a shared chat, that chat's alerts.
    List,
    /// Register a destination; `name` is what the person will call it
    /// (else the destination's own name).
    Add {
        target: AddTarget,
        name: Option<String>,
    },
    Test {
        name: Option<String>,
    },
    Remove {
        name: Option<String>,
    },
    /// Change one of the community's settings.
    Set {
        name: Option<String>,
        setting: CommunitySetting,
    },
    /// Pause, resume or delete some of a community's alerts, by number.
    Rules {
        name: Option<String>,
        op: RuleOp,
        ids: Vec<ItemNo>,
    },
}

/// A community's settings, one at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommunitySetting {
    /// At most this many posts a day (`off` is the most allowed).
    Cap(u32),
    /// No posts in this window (`None`: none held back).
    Quiet(Option<QuietHours>),
    /// Deals collected into one post a day or a week (`Off`: each alone).
    Digest(Digest),
    /// The time zone its quiet hours and digest are in (an IANA name,
    /// checked when applied).
    Zone(String),
    /// A Discord role to mention in each post (`None`: none).
    Mention(Option<String>),
}

/// What a community destination is, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddTarget {
    /// A Discord channel's webhook URL.
    Webhook(WebhookUrl),
    /// A broadcast channel: `@name`, a `t.me/name` link, or its id.
    Channel(String),
}

/// What `community pause|resume|delete` does to a community's alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleOp {
    Pause,
    Resume,
    Delete,
}

fn err(problem: Problem) -> ParseError {
    ParseError {
        command: "community",
        problem,
    }
}

/// A webhook URL as typed: the URL, or why it is not one.
pub(super) fn webhook(text: &str) -> Result<WebhookUrl, ParseError> {
    WebhookUrl::parse(text).map_err(|why| err(Problem::BadWebhook { why: why.code() }))
}

/// A community name: a letter, then letters, digits, `-` and `_`, at most
/// [`MAX_NAME_CHARS`]; kept in lower case (it is typed in rules, where a
/// leading digit would read as a price: "up to 100").
pub(super) fn name(text: &str) -> Result<String, ParseError> {
    let lower = text.trim_start_matches('#').to_lowercase();
    let ok = lower.chars().next().is_some_and(char::is_alphabetic)
        && lower.chars().count() <= MAX_NAME_CHARS
        && lower
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(lower)
    } else {
        Err(err(Problem::BadCommunityName {
            text: text.to_owned(),
        }))
    }
}

/// `community` and its arguments; also a bare webhook URL (`args` then
/// starts with it).
pub(super) fn parse(args: &[String]) -> Result<CommunityCommand, ParseError> {
    let Some((first, rest)) = args.split_first() else {
        return Ok(CommunityCommand::List);
    };
    if WebhookUrl::looks_like(first) {
        return add(first, rest);
    }
    let optional_name = |rest: &[String]| match rest {
        [one] => name(one).map(Some),
        [] => Ok(None),
        [_, extra, ..] => Err(err(Problem::Unexpected {
            text: extra.clone(),
        })),
    };
    let rules = |op: RuleOp| {
        let (name, ids) = match rest.split_first() {
            Some((first, ids)) if first.chars().next().is_some_and(char::is_alphabetic) => {
                (Some(name(first)?), ids)
            }
            _ => (None, rest),
        };
        let ids = super::parse_ids("community", ids)?;
        Ok(CommunityCommand::Rules { name, op, ids })
    };
    match first.to_lowercase().as_str() {
        "list" | "ls" | "show" => match rest.first() {
            None => Ok(CommunityCommand::List),
            Some(extra) => Err(err(Problem::Unexpected {
                text: extra.clone(),
            })),
        },
        "add" | "register" | "new" | "connect" => match rest.split_first() {
            Some((target, rest)) => add(target, rest),
            None => Err(err(Problem::BadWebhook { why: "not-url" })),
        },
        "test" | "try" => Ok(CommunityCommand::Test {
            name: optional_name(rest)?,
        }),
        "remove" | "forget" | "disconnect" => Ok(CommunityCommand::Remove {
            name: optional_name(rest)?,
        }),
        // `delete 3` is one of its alerts; `delete NAME` the community.
        "delete" | "del" | "rm" => match rest {
            [one] if one.trim_start_matches('#').starts_with(char::is_alphabetic) => {
                Ok(CommunityCommand::Remove {
                    name: Some(name(one)?),
                })
            }
            [] => Ok(CommunityCommand::Remove { name: None }),
            _ => rules(RuleOp::Delete),
        },
        "pause" | "stop" => rules(RuleOp::Pause),
        "resume" | "unpause" | "start" => rules(RuleOp::Resume),
        "cap" | "limit" => {
            let (name, value) =
                named(rest, |value| matches!(prefs::parse_cap(value), Ok(Some(_))))?;
            let cap = match prefs::parse_cap(value) {
                Ok(Some(Some(cap))) if cap > 0 => cap,
                // Uncapped is the most a community may take.
                Ok(Some(None)) => MAX_CAP,
                _ => {
                    return Err(err(Problem::BadCap {
                        text: value.join(" "),
                    }))
                }
            };
            set(name, CommunitySetting::Cap(cap))
        }
        "quiet" | "dnd" | "mute" => {
            let (name, value) = named(rest, |value| {
                matches!(prefs::parse_quiet(value), Ok(Some(_)))
            })?;
            match prefs::parse_quiet(value) {
                Ok(Some(quiet)) => set(name, CommunitySetting::Quiet(quiet)),
                Ok(None) => Err(err(Problem::BadTime {
                    text: String::new(),
                })),
                Err(e) => Err(err(e.problem)),
            }
        }
        "digest" | "summary" => {
            let (name, value) = named(rest, |value| {
                matches!(prefs::parse_digest(value), Ok(Some(_)))
            })?;
            match prefs::parse_digest(value) {
                Ok(Some(digest)) => set(name, CommunitySetting::Digest(digest)),
                Ok(None) => Err(err(Problem::BadTime {
                    text: String::new(),
                })),
                Err(e) => Err(err(e.problem)),
            }
        }
        "timezone" | "zone" | "tz" => {
            let (name, value) = named(rest, |value| matches!(value, [one] if is_zone(one)))?;
            match value {
                [zone] if is_zone(zone) => set(name, CommunitySetting::Zone(zone.clone())),
                _ => Err(err(Problem::Unexpected {
                    text: value.join(" "),
                })),
            }
        }
        "mention" | "ping" | "role" => {
            // One word is the role (`mention @everyone` is refused as a
            // role, not taken for a community's name).
            let (name, value) = match rest {
                [_] => (None, rest),
                _ => named(rest, |value| matches!(value, [one] if role(one).is_some()))?,
            };
            match value {
                [one] => match role(one) {
                    Some(role) => set(name, CommunitySetting::Mention(role)),
                    None => Err(err(Problem::BadRole { text: one.clone() })),
                },
                _ => Err(err(Problem::BadRole {
                    text: value.join(" "),
                })),
            }
        }
        _ => Err(err(Problem::Unexpected {
            text: first.clone(),
        })),
    }
}

fn set(name: Option<String>, setting: CommunitySetting) -> Result<CommunityCommand, ParseError> {
    Ok(CommunityCommand::Set { name, setting })
}

/// Whether a word reads as a time zone's name (`Europe/London`, `UTC`);
/// whether it is one is checked when it is set.
fn is_zone(word: &str) -> bool {
    word.len() <= 64
        && (word.contains('/') || word.eq_ignore_ascii_case("utc"))
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
}

/// A Discord role as typed: its mention (`<@&123…>`, what Discord puts in
/// a slash command's text for `@Role`) or its id; `off` for none.
/// `Some(None)` is "no role"; `None`, not a role.
fn role(word: &str) -> Option<Option<String>> {
    if prefs::OFF_WORDS.contains(&word.to_lowercase().as_str()) {
        return Some(None);
    }
    dealwatch_bots::discord::role_id(word).map(Some)
}

/// What is set, after the community's name unless the whole of `rest`
/// reads as the value (`cap 20`: the chat it was typed in).
fn named(
    rest: &[String],
    is_value: impl Fn(&[String]) -> bool,
) -> Result<(Option<String>, &[String]), ParseError> {
    if !rest.is_empty() && is_value(rest) {
        return Ok((None, rest));
    }
    match rest.split_first() {
        Some((first, value)) => match name(first) {
            Ok(first) => Ok((Some(first), value)),
            // The name last (`cap 20 deals`, as a slash command's options
            // come): the rest is the value.
            Err(e) => match rest.split_last() {
                Some((last, value)) if !value.is_empty() && is_value(value) => {
                    Ok((Some(name(last).map_err(|_| e)?), value))
                }
                _ => Err(e),
            },
        },
        None => Ok((None, rest)),
    }
}

fn add(target: &str, rest: &[String]) -> Result<CommunityCommand, ParseError> {
    let target = match dealwatch_bots::telegram::channel_ref(target) {
        Some(channel) => AddTarget::Channel(channel),
        None => AddTarget::Webhook(webhook(target)?),
    };
    let rest: Vec<&String> = rest
        .iter()
        .filter(|w| !matches!(w.to_lowercase().as_str(), "as" | "named" | "called"))
        .collect();
    let name = match rest.as_slice() {
        [] => None,
        [one] => Some(name(one)?),
        [_, extra, ..] => {
            return Err(err(Problem::Unexpected {
                text: (*extra).clone(),
            }))
        }
    };
    Ok(CommunityCommand::Add { target, name })
}
