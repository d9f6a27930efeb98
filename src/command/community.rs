//! `community ...`: Discord channels (and later groups and channels
//! elsewhere) that deals are posted to for everyone there.
//!
//! ```text
//! community | community list
//! community add WEBHOOK-URL [NAME]      a bare webhook URL means this too
//! community test NAME | community remove NAME
//! community cap NAME N | community quiet NAME HH:MM-HH:MM|off
//! alert WORDS... to NAME                 a rule that posts there
//! ```

use super::{prefs, ParseError, Problem, MAX_CAP};
use crate::model::QuietHours;
use dealwatch_bots::discord_webhook::WebhookUrl;

/// Longest community name, in characters.
pub const MAX_NAME_CHARS: usize = 32;

/// What a `community` command asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommunityCommand {
    List,
    /// Register a Discord channel's webhook; `name` is what the person
    /// will call it (else the webhook's own name).
    Add {
        webhook: WebhookUrl,
        name: Option<String>,
    },
    Test {
        name: String,
    },
    Remove {
        name: String,
    },
    /// At most `cap` posts a day there (`off` is the most allowed).
    Cap {
        name: String,
        cap: u32,
    },
    /// No posts in this window (`None`: none held back).
    Quiet {
        name: String,
        quiet: Option<QuietHours>,
    },
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
    let one_name = |rest: &[String]| match rest {
        [one] => name(one),
        [] => Err(err(Problem::MissingCommunityName)),
        [_, extra, ..] => Err(err(Problem::Unexpected {
            text: extra.clone(),
        })),
    };
    match first.to_lowercase().as_str() {
        "list" | "ls" | "show" => match rest.first() {
            None => Ok(CommunityCommand::List),
            Some(extra) => Err(err(Problem::Unexpected {
                text: extra.clone(),
            })),
        },
        "add" | "register" | "new" | "connect" => match rest.split_first() {
            Some((url, rest)) => add(url, rest),
            None => Err(err(Problem::BadWebhook { why: "not-url" })),
        },
        "test" | "try" => Ok(CommunityCommand::Test {
            name: one_name(rest)?,
        }),
        "remove" | "delete" | "del" | "rm" | "forget" => Ok(CommunityCommand::Remove {
            name: one_name(rest)?,
        }),
        "cap" | "limit" => {
            let (name, value) = named(rest)?;
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
            Ok(CommunityCommand::Cap { name, cap })
        }
        "quiet" | "dnd" | "mute" => {
            let (name, value) = named(rest)?;
            match prefs::parse_quiet(value) {
                Ok(Some(quiet)) => Ok(CommunityCommand::Quiet { name, quiet }),
                Ok(None) => Err(err(Problem::BadTime {
                    text: String::new(),
                })),
                Err(e) => Err(err(e.problem)),
            }
        }
        _ => Err(err(Problem::Unexpected {
            text: first.clone(),
        })),
    }
}

/// A community's name, then what is set for it.
fn named(rest: &[String]) -> Result<(String, &[String]), ParseError> {
    match rest.split_first() {
        Some((first, value)) => Ok((name(first)?, value)),
        None => Err(err(Problem::MissingCommunityName)),
    }
}

fn add(url: &str, rest: &[String]) -> Result<CommunityCommand, ParseError> {
    let webhook = webhook(url)?;
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
    Ok(CommunityCommand::Add { webhook, name })
}
