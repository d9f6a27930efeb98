//! Purpose: turn what people type into a typed [`Command`].
//!
//! Grammar (any case, with or without a leading `/`, Telegram's
//! `/cmd@SomeBot` accepted, extra spaces ignored):
//!
//! ```text
//! start [PAYLOAD] | help [COMMAND]
//! watch URL [below PRICE] [drop N%] [instock]      a bare URL means watch
//! alert WORDS... [-EXCLUDED...] [under PRICE] [over PRICE] [in CATEGORY]
//!       [score N] [condition new|used|refurbished]
//! list | settings | pause ID... | resume ID... | delete ID... | test ID | history ID
//! name ID [TEXT]                                  no text takes the name away
//! quiet HH:MM-HH:MM | quiet off | digest daily|weekly [DAY] [HH:MM] | digest off
//! cap N | cap off | timezone ZONE | language CODE
//! plan | upgrade pro|premium | billing | link [CODE [yes]]
//! community [list] | community add WEBHOOK-URL [NAME] | community test|remove NAME
//! STOP (UNSUBSCRIBE, CANCEL, END, QUIT, STOPALL, REVOKE, OPTOUT) | UNSTOP
//! ```
//!
//! Parsing is pure: no I/O, no clock, no database. A word we do not know is a
//! normal value ([`Command::Unknown`], with the closest command if one is
//! near); a known command with bad arguments is a [`ParseError`] that names
//! the problem, so the user gets told exactly what to fix.

mod alert;
pub mod community;
mod natural;
mod prefs;
pub mod table;
mod watch;

pub use alert::{is_filler, RuleSpec, MAX_WORDS};
pub use community::{AddTarget, CommunityCommand, CommunitySetting, RuleOp};
pub use prefs::MAX_CAP;
pub use table::{names, CommandDef, TABLE};
pub use watch::WatchSpec;

use crate::model::{Digest, ItemNo, PaidPlan, QuietHours};

/// Longest message we try to understand. Longer ones are refused whole: no
/// command is that long, and parsing megabytes of text is a cheap attack.
pub const MAX_INPUT_CHARS: usize = 4096;
/// Most ids one `pause`/`resume`/`delete` may name.
pub const MAX_IDS: usize = 50;
/// Longest name (`name ID TEXT`) a watch or alert may have, in characters.
pub const MAX_LABEL_CHARS: usize = 40;

/// Everything a user can ask of us.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `start [PAYLOAD]`: greeting; a Telegram deep link carries a payload.
    /// On SMS it is also the carriers' opt-in keyword.
    Start {
        payload: Option<String>,
    },
    /// `help [COMMAND]`.
    Help {
        topic: Option<String>,
    },
    Watch(WatchSpec),
    Alert(RuleSpec),
    /// `alert WORDS... to NAME`: a rule for the community NAME when the
    /// person has one by that name; otherwise `plain`, the whole message
    /// read as an ordinary alert ("flights to paris").
    AlertTo {
        spec: RuleSpec,
        to: String,
        plain: RuleSpec,
    },
    List,
    /// Every preference at once.
    Settings,
    Pause(Vec<ItemNo>),
    Resume(Vec<ItemNo>),
    /// `pause all`, "pause everything": every watch and alert of one's own.
    PauseAll,
    /// `resume all`.
    ResumeAll,
    /// "thanks": a short friendly answer; nothing changes.
    Thanks,
    /// "remove the ps5 alert": delete the one item these words name; when
    /// several or none do, ask (nothing is deleted until the person picks).
    DeleteMatching(Vec<String>),
    Delete(Vec<ItemNo>),
    Test(ItemNo),
    History(ItemNo),
    /// Community destinations (a pasted Discord webhook URL is `add`).
    Community(CommunityCommand),
    /// `name ID TEXT`; `name ID` alone takes the name away.
    Name {
        id: ItemNo,
        label: Option<String>,
    },
    /// `None` shows the current setting.
    Quiet(Option<Option<QuietHours>>),
    Digest(Option<Digest>),
    /// `Some(None)` removes the cap; `None` shows it.
    Cap(Option<Option<u32>>),
    Timezone(Option<String>),
    Language(Option<String>),
    Plan,
    Upgrade(PaidPlan),
    Billing,
    /// `link`: a new code; `link CODE`: what joining with that code would
    /// do; `link CODE yes`: do it.
    Link {
        code: Option<String>,
        confirmed: bool,
    },
    /// A carrier opt-out keyword: no more messages to this identity.
    Stop,
    /// `UNSTOP`: opt back in (SMS `START` arrives as [`Command::Start`]).
    Unstop,
    /// A sentence whose likely readings are these commands (each short
    /// enough for a button): offered to the person, nothing is done until
    /// they pick one ("lego under 40" → "alert lego under £40?").
    Unclear(Vec<String>),
    /// A first word we do not know; `suggestion` is the nearest command.
    Unknown {
        word: String,
        suggestion: Option<&'static str>,
    },
}

/// A known command with arguments we could not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The canonical name of the command, used to show its usage line.
    pub command: &'static str,
    pub problem: Problem,
}

/// What exactly was wrong; each maps to one localised message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Empty,
    TooLong {
        chars: usize,
    },
    MissingUrl,
    BadUrl {
        text: String,
    },
    UnsupportedScheme {
        scheme: String,
    },
    UrlWithCredentials,
    TwoUrls,
    BadPrice {
        text: String,
    },
    MixedCurrencies,
    BoundsInverted,
    BadPercent {
        text: String,
    },
    MissingId,
    BadId {
        text: String,
    },
    TooManyIds,
    BadTime {
        text: String,
    },
    EmptyWindow,
    BadDay {
        text: String,
    },
    MissingWords,
    TooManyWords,
    WordTooLong {
        word: String,
    },
    BadScore {
        text: String,
    },
    BadCondition {
        text: String,
    },
    BadChannel {
        text: String,
    },
    MissingPlan,
    BadPlan {
        text: String,
    },
    BadCap {
        text: String,
    },
    BadCode {
        text: String,
    },
    LabelTooLong {
        max: usize,
    },
    /// Not a Discord webhook URL; `why` is [`WebhookUrlError::code`](dealwatch_bots::discord_webhook::WebhookUrlError::code).
    BadWebhook {
        why: &'static str,
    },
    MissingCommunityName,
    /// Not a Discord role (its mention or id) or `off`.
    BadRole {
        text: String,
    },
    BadCommunityName {
        text: String,
    },
    Unexpected {
        text: String,
    },
}

impl Problem {
    /// A stable name for the problem: its message id is `problem-{code}`.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Empty => "empty",
            Problem::TooLong { .. } => "too-long",
            Problem::MissingUrl => "missing-url",
            Problem::BadUrl { .. } => "bad-url",
            Problem::UnsupportedScheme { .. } => "unsupported-scheme",
            Problem::UrlWithCredentials => "url-credentials",
            Problem::TwoUrls => "two-urls",
            Problem::BadPrice { .. } => "bad-price",
            Problem::MixedCurrencies => "mixed-currencies",
            Problem::BoundsInverted => "bounds-inverted",
            Problem::BadPercent { .. } => "bad-percent",
            Problem::MissingId => "missing-id",
            Problem::BadId { .. } => "bad-id",
            Problem::TooManyIds => "too-many-ids",
            Problem::BadTime { .. } => "bad-time",
            Problem::EmptyWindow => "empty-window",
            Problem::BadDay { .. } => "bad-day",
            Problem::MissingWords => "missing-words",
            Problem::TooManyWords => "too-many-words",
            Problem::WordTooLong { .. } => "word-too-long",
            Problem::BadScore { .. } => "bad-score",
            Problem::BadCondition { .. } => "bad-condition",
            Problem::BadChannel { .. } => "bad-channel",
            Problem::MissingPlan => "missing-plan",
            Problem::BadPlan { .. } => "bad-plan",
            Problem::BadCap { .. } => "bad-cap",
            Problem::BadCode { .. } => "bad-code",
            Problem::LabelTooLong { .. } => "label-too-long",
            Problem::BadWebhook { .. } => "bad-webhook",
            Problem::MissingCommunityName => "missing-community-name",
            Problem::BadRole { .. } => "bad-role",
            Problem::BadCommunityName { .. } => "bad-community-name",
            Problem::Unexpected { .. } => "unexpected",
        }
    }
}

impl ParseError {
    fn new(command: &'static str, problem: Problem) -> ParseError {
        ParseError { command, problem }
    }
}

/// Carrier opt-out keywords. Only a message that is exactly one of these
/// words opts out, as carriers and Twilio define it.
const STOP_WORDS: &[&str] = &[
    "stop",
    "stopall",
    "unsubscribe",
    "cancel",
    "end",
    "quit",
    "revoke",
    "optout",
];

/// Parse one message. Never panics, whatever the input.
pub fn parse(input: &str) -> Result<Command, ParseError> {
    let chars = input.chars().count();
    if chars > MAX_INPUT_CHARS {
        return Err(ParseError::new("", Problem::TooLong { chars }));
    }
    let tokens = tokenize(input);
    let Some((first, args)) = tokens.split_first() else {
        return Err(ParseError::new("", Problem::Empty));
    };

    // A Discord webhook URL is a community to register, never a page to
    // fetch (its token would travel to the fetcher and its logs).
    let webhook_at = tokens
        .iter()
        .position(|t| dealwatch_bots::discord_webhook::WebhookUrl::looks_like(t));
    if let Some(at) = webhook_at {
        let first_word = command_word(first);
        let canonical = canonical_name(&first_word);
        if at == 0 || matches!(canonical, Some("watch")) {
            return community::parse(&tokens[at..]).map(Command::Community);
        }
        // Anywhere else ("alert lego https://discord.com/api/webhooks/…",
        // "tell me when <webhook URL> …") it must not become a watch or a
        // search word either: only the community command takes it.
        if canonical != Some("community") {
            return Ok(Command::Unknown {
                word: first.clone(),
                suggestion: Some("community"),
            });
        }
    }
    if watch::looks_like_url(first) {
        // A link pasted with a sentence about it ("URL bitte melden wenn
        // billiger als 70 euro") is read as the sentence it is.
        return watch::parse(&tokens)
            .map(Command::Watch)
            .or_else(|e| natural::sentence(&tokens).unwrap_or(Err(e)));
    }

    let name = command_word(first);
    if args.is_empty() && STOP_WORDS.contains(&name.as_str()) {
        return Ok(Command::Stop);
    }
    if args.is_empty() && name == "unstop" {
        return Ok(Command::Unstop);
    }
    let Some(canonical) = canonical_name(&name) else {
        if let Some(reading) = natural::sentence(&tokens) {
            return reading;
        }
        // A typo of a command that only shows or adds ("wacth URL below
        // £30", "lsit"), when the rest reads as that command; a typo of one
        // that removes or changes stays a question.
        if let Some(meant) = nearest_name(&name).filter(|m| TYPO_SAFE.contains(m)) {
            if let Some(Ok(command)) = table::def(meant).map(|def| (def.parse)(args)) {
                return Ok(command);
            }
        }
        if let Some(offered) = natural::unclear(&tokens) {
            return Ok(offered);
        }
        return Ok(Command::Unknown {
            suggestion: suggest(&name, &tokens),
            word: first.clone(),
        });
    };
    // "notify me if URL is back in stock": a product page is watched; a
    // URL never becomes a search word.
    if canonical == "alert" && args.iter().any(|t| watch::looks_like_url(t)) {
        return watch::parse(args)
            .map(Command::Watch)
            .or_else(|e| natural::sentence(&tokens).unwrap_or(Err(e)));
    }

    // "hey can u watch URL …", "hallo, zeig meine liste": a greeting
    // before a sentence; the sentence is what is asked (only `start`
    // itself carries a deep link's payload).
    if canonical == "start" && name != "start" && !args.is_empty() {
        return parse(&args.join(" "));
    }
    match table::def(canonical) {
        // A sentence that starts with a command word ("show my alerts",
        // "stop watching 2") gets its natural reading when the grammar has
        // none; otherwise the grammar's own error stands.
        Some(def) => (def.parse)(args).or_else(|e| natural::reading(&tokens).unwrap_or(Err(e))),
        None => Ok(Command::Unknown {
            word: first.clone(),
            suggestion: None,
        }),
    }
}

/// The canonical command for a command word or alias (`rm` -> `delete`,
/// `/Watch@Bot` -> `watch`, `UNSUBSCRIBE` -> `stop`).
pub fn canonical_name(word: &str) -> Option<&'static str> {
    let name = command_word(word);
    if STOP_WORDS.contains(&name.as_str()) || name == "unstop" {
        return Some("stop");
    }
    table::by_word(&name).map(|def| def.name)
}

/// Split into words, dropping invisible characters people paste by accident
/// (zero-width spaces, BOMs, bidi marks) and control characters.
fn tokenize(input: &str) -> Vec<String> {
    let cleaned: String = input
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
            )
        })
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.split_whitespace().map(str::to_owned).collect()
}

/// The command word in canonical spelling: lower case, without a leading
/// `/` or `!`, without Telegram's `@BotName` suffix, without trailing `:`.
pub(crate) fn command_word(token: &str) -> String {
    let word = token.trim_start_matches(['/', '!']);
    let word = word.split('@').next().unwrap_or(word);
    word.trim_end_matches([':', ',', '.', '!']).to_lowercase()
}

/// Commands a typo may be read as without asking: they show something or
/// add something the reply names, never remove or change.
const TYPO_SAFE: &[&str] = &["watch", "alert", "list", "help", "settings", "plan"];

/// The nearest command to a word we did not know, if one is near enough to
/// be a typo; a message that contains a link probably wanted `watch`.
fn suggest(word: &str, tokens: &[String]) -> Option<&'static str> {
    if tokens.iter().any(|t| watch::looks_like_url(t)) {
        return Some("watch");
    }
    nearest(word)
}

/// The command whose own name (not an alias: "ruhe" is one edit from
/// "rule") a word is a typo of, to read it as that command.
fn nearest_name(word: &str) -> Option<&'static str> {
    let limit = if word.chars().count() <= 4 { 1 } else { 2 };
    table::TABLE
        .iter()
        .map(|def| (strsim::damerau_levenshtein(word, def.name), def.name))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// The command a word is a typo of: one edit away for short words, two
/// for longer ones.
fn nearest(word: &str) -> Option<&'static str> {
    let limit = if word.chars().count() <= 4 { 1 } else { 2 };
    // Names before aliases, so a tie goes to a command's own name.
    let names = table::TABLE.iter().map(|def| (def.name, def.name));
    let aliases = table::TABLE
        .iter()
        .flat_map(|def| def.aliases.iter().map(move |alias| (*alias, def.name)));
    names
        .chain(aliases)
        .map(|(known, name)| (strsim::damerau_levenshtein(word, known), name))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// `<800`, `under£800`: a keyword glued to the price after it. "max" and
/// "min" are left out: glued to a digit they read as product names ("max2").
pub(crate) fn glued_price<'a>(lower: &'a str, keywords: &[&str]) -> Option<&'a str> {
    keywords
        .iter()
        .filter(|k| !matches!(**k, "max" | "min"))
        .find_map(|k| {
            lower
                .strip_prefix(k)
                .filter(|rest| {
                    rest.chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_digit() || !c.is_alphanumeric())
                })
                .filter(|rest| rest.chars().any(|c| c.is_ascii_digit()))
        })
}

pub(super) fn no_args(
    command: &'static str,
    args: &[String],
    value: Command,
) -> Result<Command, ParseError> {
    match args.first() {
        None => Ok(value),
        Some(extra) => Err(ParseError::new(
            command,
            Problem::Unexpected {
                text: extra.clone(),
            },
        )),
    }
}

/// `all`, `everything`, `all my alerts`: every item, not a list of ids.
pub(super) fn means_all(args: &[String]) -> bool {
    let words: Vec<String> = args
        .iter()
        .map(|a| a.trim_end_matches(['.', '!']).to_lowercase())
        .collect();
    words
        .iter()
        .any(|w| matches!(w.as_str(), "all" | "everything" | "alles" | "tout" | "tous"))
        && words.iter().all(|w| {
            matches!(
                w.as_str(),
                "all"
                    | "everything"
                    | "my"
                    | "alerts"
                    | "watches"
                    | "items"
                    | "of"
                    | "them"
                    | "please"
                    | "pls"
                    | "the"
                    | "alles"
                    | "tout"
                    | "tous"
                    | "les"
            )
        })
}

/// `#3`, `3`, `3,4`, `#3 #4`, `3 and 4`, `2-5` (2, 3, 4 and 5).
pub(super) fn parse_ids(command: &'static str, args: &[String]) -> Result<Vec<ItemNo>, ParseError> {
    let mut ids = Vec::new();
    for token in args {
        for part in token.split(',') {
            let part = part.trim();
            if part.is_empty()
                || matches!(
                    part.to_lowercase().as_str(),
                    "and" | "und" | "et" | "&" | "#" | "+"
                )
            {
                continue;
            }
            let bad = || {
                ParseError::new(
                    command,
                    Problem::BadId {
                        text: part.to_owned(),
                    },
                )
            };
            let range = part
                .split_once(['-', '–'])
                .and_then(|(from, to)| Some((parse_id_token(from)?, parse_id_token(to)?)));
            let (from, to) = match range {
                Some((from, to)) if from.get() <= to.get() => (from.get(), to.get()),
                Some(_) => return Err(bad()),
                None => {
                    let id = parse_id_token(part).ok_or_else(bad)?;
                    (id.get(), id.get())
                }
            };
            // A range wider than the most ids one command may name is
            // refused before it is walked ("delete 1-4000000000").
            if to - from >= MAX_IDS as u32 {
                return Err(ParseError::new(command, Problem::TooManyIds));
            }
            for n in from..=to {
                let id = ItemNo::new(n).ok_or_else(bad)?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            if ids.len() > MAX_IDS {
                return Err(ParseError::new(command, Problem::TooManyIds));
            }
        }
    }
    if ids.is_empty() {
        return Err(ParseError::new(command, Problem::MissingId));
    }
    Ok(ids)
}

pub(super) fn parse_one_id(command: &'static str, args: &[String]) -> Result<ItemNo, ParseError> {
    let ids = parse_ids(command, args)?;
    match ids.as_slice() {
        [one] => Ok(*one),
        _ => Err(ParseError::new(command, Problem::TooManyIds)),
    }
}

/// `name 3 Kids' bike`: one id, then the name as typed (its words joined
/// by single spaces); nothing after the id takes the name away.
pub(super) fn parse_name(args: &[String]) -> Result<Command, ParseError> {
    let Some((first, rest)) = args.split_first() else {
        return Err(ParseError::new("name", Problem::MissingId));
    };
    let id = parse_one_id("name", std::slice::from_ref(first))?;
    let label = rest.join(" ");
    let chars = label.chars().count();
    if chars > MAX_LABEL_CHARS {
        return Err(ParseError::new(
            "name",
            Problem::LabelTooLong {
                max: MAX_LABEL_CHARS,
            },
        ));
    }
    Ok(Command::Name {
        id,
        label: (chars > 0).then_some(label),
    })
}

fn parse_id_token(token: &str) -> Option<ItemNo> {
    let digits = token.trim_start_matches('#').trim_start_matches("no.");
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) || digits.len() > 10 {
        return None;
    }
    digits.parse::<u32>().ok().and_then(ItemNo::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_command_forms() {
        assert_eq!(parse("/list@DealwatchBot"), Ok(Command::List));
        assert_eq!(parse("  LIST  "), Ok(Command::List));
        assert_eq!(
            parse("/start@DealwatchBot abc123"),
            Ok(Command::Start {
                payload: Some("abc123".into())
            })
        );
    }

    #[test]
    fn typos_are_read_when_harmless_and_suggested_otherwise() {
        // Showing or adding: read as meant (the reply says what was done).
        assert!(matches!(
            parse("wacth https://x.example/a"),
            Ok(Command::Watch(_))
        ));
        assert_eq!(parse("lsit"), Ok(Command::List));
        // Removing or changing: a suggestion, nothing done.
        let Ok(Command::Unknown { suggestion, .. }) = parse("dlete 3") else {
            panic!("not unknown");
        };
        assert_eq!(suggestion, Some("delete"));
        // A harmless typo whose rest does not fit stays a suggestion.
        let Ok(Command::Unknown { suggestion, .. }) = parse("lsit everything") else {
            panic!("not unknown");
        };
        assert_eq!(suggestion, Some("list"));
        let Ok(Command::Unknown { suggestion, .. }) = parse("banana") else {
            panic!("not unknown");
        };
        assert_eq!(suggestion, None);
    }

    #[test]
    fn stop_is_an_opt_out_only_alone() {
        assert_eq!(parse("STOP"), Ok(Command::Stop));
        assert_eq!(parse("Unsubscribe"), Ok(Command::Stop));
        assert_eq!(
            parse("stop 3"),
            Ok(Command::Pause(vec![ItemNo::new(3).unwrap()]))
        );
    }

    #[test]
    fn ids_in_their_many_forms() {
        let three_four = vec![ItemNo::new(3).unwrap(), ItemNo::new(4).unwrap()];
        assert_eq!(
            parse("delete #3 #4"),
            Ok(Command::Delete(three_four.clone()))
        );
        assert_eq!(parse("delete 3,4"), Ok(Command::Delete(three_four.clone())));
        assert_eq!(parse("delete 3 and 4"), Ok(Command::Delete(three_four)));
        assert!(matches!(
            parse("pause 0"),
            Err(ParseError {
                problem: Problem::BadId { .. },
                ..
            })
        ));
        assert!(matches!(
            parse("pause 99999999999999"),
            Err(ParseError {
                problem: Problem::BadId { .. },
                ..
            })
        ));
    }
}
