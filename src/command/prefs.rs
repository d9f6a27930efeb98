//! Purpose: the preference and account commands.
//!
//! ```text
//! quiet 22:00-07:00 | quiet 10pm-7am | quiet 22h-7h | quiet from 22 to 7 | quiet off | quiet
//! digest daily [HH:MM] | digest weekly [DAY] [HH:MM] | digest HH:MM | digest off | digest
//! cap N | cap off | cap
//! timezone Europe/London | language de | upgrade pro|premium | link [CODE]
//! ```
//! With no argument, a preference command shows the current setting.

use super::{Command, ParseError, Problem};
use crate::model::{Digest, PaidPlan, QuietHours, TimeOfDay, Weekday};

/// Highest daily cap; above it a cap means nothing.
pub const MAX_CAP: u32 = 1000;

pub(super) const OFF_WORDS: &[&str] = &[
    "off", "none", "no", "disable", "disabled", "stop", "aus", "non", "never",
];

pub(super) fn parse_quiet(args: &[String]) -> Result<Option<Option<QuietHours>>, ParseError> {
    let err = |problem| ParseError {
        command: "quiet",
        problem,
    };
    if args.is_empty() {
        return Ok(None);
    }
    if args.len() == 1 && OFF_WORDS.contains(&args[0].to_lowercase().as_str()) {
        return Ok(Some(None));
    }
    let joined = args.join(" ").to_lowercase().replace(['–', '—', '~'], "-");
    let joined = joined.strip_prefix("from ").unwrap_or(&joined);
    let joined = [" to ", " until ", " till ", " bis ", " à "]
        .iter()
        .fold(joined.to_owned(), |s, word| s.replace(word, "-"));
    let parts: Vec<&str> = if joined.contains('-') {
        joined.splitn(2, '-').map(str::trim).collect()
    } else {
        joined.split_whitespace().collect()
    };
    let [start, end] = parts.as_slice() else {
        return Err(err(Problem::BadTime {
            text: args.join(" "),
        }));
    };
    let start = parse_time(start).ok_or_else(|| {
        err(Problem::BadTime {
            text: (*start).to_owned(),
        })
    })?;
    let end = parse_time(end).ok_or_else(|| {
        err(Problem::BadTime {
            text: (*end).to_owned(),
        })
    })?;
    if start == end {
        return Err(err(Problem::EmptyWindow));
    }
    Ok(Some(Some(QuietHours { start, end })))
}

pub(super) fn parse_digest(args: &[String]) -> Result<Option<Digest>, ParseError> {
    let err = |problem| ParseError {
        command: "digest",
        problem,
    };
    if args.is_empty() {
        return Ok(None);
    }
    let mut weekly = None::<bool>;
    let mut day = None;
    let mut at = None;
    for token in args {
        let lower = token.to_lowercase();
        match lower.as_str() {
            word if OFF_WORDS.contains(&word) && args.len() == 1 => return Ok(Some(Digest::Off)),
            "daily" | "day" | "everyday" | "täglich" | "quotidien" => weekly = Some(false),
            "weekly" | "week" | "wöchentlich" | "hebdomadaire" => weekly = Some(true),
            "at" | "every" | "on" | "um" => {}
            _ => {
                if let Some(d) = Weekday::from_name(&lower) {
                    day = Some(d);
                } else if let Some(t) = parse_time(&lower) {
                    at = Some(t);
                } else {
                    return Err(err(Problem::BadTime {
                        text: token.clone(),
                    }));
                }
            }
        }
    }
    let at = at.unwrap_or(Digest::DEFAULT_TIME);
    // A day on its own means weekly; a time on its own means daily.
    match (weekly, day) {
        (Some(false), Some(d)) => Err(err(Problem::BadDay {
            text: d.english().to_owned(),
        })),
        (Some(true), d) | (None, d @ Some(_)) => Ok(Some(Digest::Weekly {
            day: d.unwrap_or(Weekday::Monday),
            at,
        })),
        (Some(false), None) | (None, None) => Ok(Some(Digest::Daily { at })),
    }
}

pub(super) fn parse_cap(args: &[String]) -> Result<Option<Option<u32>>, ParseError> {
    let err = |problem| ParseError {
        command: "cap",
        problem,
    };
    match args {
        [] => Ok(None),
        [one] => {
            let lower = one.to_lowercase();
            if OFF_WORDS.contains(&lower.as_str()) || matches!(lower.as_str(), "unlimited" | "∞")
            {
                return Ok(Some(None));
            }
            match lower.parse::<u32>() {
                Ok(n) if n <= MAX_CAP => Ok(Some(Some(n))),
                _ => Err(err(Problem::BadCap { text: one.clone() })),
            }
        }
        [_, extra, ..] => Err(err(Problem::Unexpected {
            text: extra.clone(),
        })),
    }
}

/// `timezone Europe/London`, `timezone America/New York` (spaces become
/// underscores, as in IANA names), `language de`.
pub(super) fn parse_single(
    command: &'static str,
    args: &[String],
) -> Result<Option<String>, ParseError> {
    match args {
        [] => Ok(None),
        [one] => Ok(Some(one.chars().take(64).collect())),
        [first, rest @ ..] if command == "timezone" => {
            let joined = std::iter::once(first.as_str())
                .chain(rest.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("_");
            Ok(Some(joined.chars().take(64).collect()))
        }
        [_, extra, ..] => Err(ParseError {
            command,
            problem: Problem::Unexpected {
                text: extra.clone(),
            },
        }),
    }
}

pub(super) fn parse_upgrade(args: &[String]) -> Result<PaidPlan, ParseError> {
    let err = |problem| ParseError {
        command: "upgrade",
        problem,
    };
    let words: Vec<String> = args
        .iter()
        .map(|a| a.to_lowercase())
        .filter(|a| !matches!(a.as_str(), "to" | "the" | "plan"))
        .collect();
    match words.as_slice() {
        [] => Err(err(Problem::MissingPlan)),
        [plan] => match plan.as_str() {
            "pro" => Ok(PaidPlan::Pro),
            "premium" => Ok(PaidPlan::Premium),
            _ => Err(err(Problem::BadPlan { text: plan.clone() })),
        },
        [_, extra, ..] => Err(err(Problem::Unexpected {
            text: extra.clone(),
        })),
    }
}

/// Words that confirm a `link CODE` (en, de, fr).
const LINK_YES: &[&str] = &[
    "yes",
    "y",
    "confirm",
    "ok",
    "okay",
    "ja",
    "bestätigen",
    "oui",
    "confirmer",
];

pub(super) fn parse_link(args: &[String]) -> Result<Command, ParseError> {
    let (code, confirmed) = match args {
        [] => {
            return Ok(Command::Link {
                code: None,
                confirmed: false,
            })
        }
        [code] => (code, false),
        [code, yes] if LINK_YES.contains(&yes.to_lowercase().as_str()) => (code, true),
        [_, extra, ..] => {
            return Err(ParseError {
                command: "link",
                problem: Problem::Unexpected {
                    text: extra.clone(),
                },
            })
        }
    };
    let code = code.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if (4..=16).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(Command::Link {
            code: Some(code.to_ascii_uppercase()),
            confirmed,
        })
    } else {
        Err(ParseError {
            command: "link",
            problem: Problem::BadCode {
                text: code.chars().take(20).collect(),
            },
        })
    }
}

/// `22:00`, `7`, `07.30`, `22h`, `22h30`, `10pm`, `7:30am`, `noon`, `midnight`.
pub fn parse_time(text: &str) -> Option<TimeOfDay> {
    let lower = text.trim().to_lowercase().replace('.', ":");
    match lower.as_str() {
        "noon" | "midday" | "mittag" | "midi" => return TimeOfDay::new(12, 0),
        "midnight" | "mitternacht" | "minuit" => return TimeOfDay::new(0, 0),
        _ => {}
    }
    let (body, meridiem) = if let Some(b) = lower
        .strip_suffix("am")
        .or_else(|| lower.strip_suffix("a:m:"))
    {
        (b.trim(), Some(false))
    } else if let Some(b) = lower
        .strip_suffix("pm")
        .or_else(|| lower.strip_suffix("p:m:"))
    {
        (b.trim(), Some(true))
    } else {
        (lower.as_str(), None)
    };
    let body = body.strip_suffix("uhr").unwrap_or(body).trim();
    let (hour, minute) = match body.split_once([':', 'h']) {
        Some((h, "")) => (h, "0"),
        Some((h, m)) => (h, m),
        None => (body, "0"),
    };
    if hour.is_empty() || hour.len() > 2 || minute.len() > 2 || (minute.len() == 1 && minute != "0")
    {
        return None;
    }
    let mut hour: u8 = hour.parse().ok()?;
    let minute: u8 = minute.parse().ok()?;
    match meridiem {
        Some(pm) => {
            if !(1..=12).contains(&hour) {
                return None;
            }
            hour = match (pm, hour) {
                (false, 12) => 0,
                (true, 12) => 12,
                (true, h) => h + 12,
                (false, h) => h,
            };
        }
        None if hour == 24 && minute == 0 => hour = 0,
        None => {}
    }
    TimeOfDay::new(hour, minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_people_write() {
        let t = |h, m| TimeOfDay::new(h, m);
        assert_eq!(parse_time("22:00"), t(22, 0));
        assert_eq!(parse_time("7"), t(7, 0));
        assert_eq!(parse_time("07.30"), t(7, 30));
        assert_eq!(parse_time("22h"), t(22, 0));
        assert_eq!(parse_time("22h30"), t(22, 30));
        assert_eq!(parse_time("10pm"), t(22, 0));
        assert_eq!(parse_time("12am"), t(0, 0));
        assert_eq!(parse_time("12pm"), t(12, 0));
        assert_eq!(parse_time("7:30am"), t(7, 30));
        assert_eq!(parse_time("24:00"), t(0, 0));
        assert_eq!(parse_time("noon"), t(12, 0));
        for bad in ["25:00", "13pm", "7:5", "abc", "", "7:60", "123"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }
}
