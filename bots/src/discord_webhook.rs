//! Purpose: Discord webhook URLs, which post into a channel with no bot.
//!
//! A server admin copies `https://discord.com/api/webhooks/{id}/{token}`
//! from a channel's Integrations settings. The token is a credential: who
//! holds the URL can post as the webhook, so it is only ever shown masked
//! and never logged ([`WebhookUrl`]'s `Debug` and `Display` leave it out).
//! Only Discord's own hosts and exactly that path are accepted: we call
//! `DISCORD_API_URL` with the id and token, never the host someone typed,
//! and refusing everything else keeps a look-alike from being taken for one.

use std::fmt;

/// Hosts Discord serves webhooks from (the stable, PTB and Canary clients
/// copy URLs with their own host; `discordapp.com` is the old name).
const HOSTS: &[&str] = &[
    "discord.com",
    "ptb.discord.com",
    "canary.discord.com",
    "discordapp.com",
    "ptb.discordapp.com",
    "canary.discordapp.com",
];

/// A snowflake is a 64-bit integer: at most 20 digits.
const MAX_ID_DIGITS: usize = 20;
/// Discord's webhook tokens are 68 characters today; allow some room.
const MAX_TOKEN_CHARS: usize = 100;

/// A Discord webhook: its id and its secret token.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    id: String,
    token: String,
}

/// Why a text is not a Discord webhook URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlError {
    #[error("not a URL")]
    NotUrl,
    #[error("not https")]
    Scheme,
    #[error("not a Discord host")]
    Host,
    #[error("a port is given")]
    Port,
    #[error("carries a user name or password")]
    Credentials,
    #[error("not a webhook path")]
    Path,
    #[error("carries a query or fragment")]
    Query,
}

impl WebhookUrlError {
    /// A stable name, for the reply that explains it.
    pub fn code(self) -> &'static str {
        match self {
            WebhookUrlError::NotUrl => "not-url",
            WebhookUrlError::Scheme => "scheme",
            WebhookUrlError::Host => "host",
            WebhookUrlError::Port => "port",
            WebhookUrlError::Credentials => "credentials",
            WebhookUrlError::Path => "path",
            WebhookUrlError::Query => "query",
        }
    }
}

impl WebhookUrl {
    /// Read a webhook URL as Discord's clients copy it:
    /// `https://discord.com/api/webhooks/{id}/{token}` (or one of the
    /// other Discord hosts), with nothing else.
    pub fn parse(text: &str) -> Result<WebhookUrl, WebhookUrlError> {
        let text = text.trim().trim_matches(|c| c == '<' || c == '>');
        let url = url::Url::parse(text).map_err(|_| WebhookUrlError::NotUrl)?;
        if url.scheme() != "https" {
            return Err(WebhookUrlError::Scheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(WebhookUrlError::Credentials);
        }
        let host = url.host_str().unwrap_or_default();
        if !HOSTS.contains(&host) {
            return Err(WebhookUrlError::Host);
        }
        // `url` drops a port that is the scheme's default; any that is
        // left (even written as :443 elsewhere) is refused.
        if url.port().is_some() || text_has_port(text, host) {
            return Err(WebhookUrlError::Port);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(WebhookUrlError::Query);
        }
        let segments: Vec<&str> = url.path().split('/').collect();
        let ["", "api", "webhooks", id, token] = segments.as_slice() else {
            return Err(WebhookUrlError::Path);
        };
        let id_ok = !id.is_empty()
            && id.len() <= MAX_ID_DIGITS
            && id.bytes().all(|b| b.is_ascii_digit())
            && id.parse::<u64>().is_ok();
        let token_ok = !token.is_empty()
            && token.len() <= MAX_TOKEN_CHARS
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok || !token_ok {
            return Err(WebhookUrlError::Path);
        }
        Ok(WebhookUrl {
            id: (*id).to_owned(),
            token: (*token).to_owned(),
        })
    }

    /// Whether a word is meant as a Discord webhook URL (a Discord host and
    /// a webhook path), even a broken one: such a word is never treated as
    /// a product page to fetch.
    pub fn looks_like(text: &str) -> bool {
        let lower = text
            .trim()
            .trim_matches(|c| c == '<' || c == '>')
            .to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .unwrap_or(&lower);
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.rsplit('@').next().unwrap_or(host);
        let host = host.split(':').next().unwrap_or(host);
        let discord = host == "discord.com"
            || host == "discordapp.com"
            || host.ends_with(".discord.com")
            || host.ends_with(".discordapp.com");
        discord && rest.contains("/webhooks/")
    }

    /// The webhook's id (not secret).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The secret token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Build one back from a stored id and token.
    pub fn from_parts(id: &str, token: &str) -> Result<WebhookUrl, WebhookUrlError> {
        WebhookUrl::parse(&format!("https://discord.com/api/webhooks/{id}/{token}"))
    }

    /// The URL as it may be shown: the token's first four characters only.
    pub fn masked(&self) -> String {
        let shown: String = self.token.chars().take(4).collect();
        format!("{}{shown}…", Self::shown_without_token(&self.id))
    }

    /// A stored webhook shown by its id alone (its token is never shown
    /// again): `https://discord.com/api/webhooks/ID/…`.
    pub fn masked_id(id: &str) -> String {
        format!("{}…", Self::shown_without_token(id))
    }

    fn shown_without_token(id: &str) -> String {
        format!("https://discord.com/api/webhooks/{id}/")
    }
}

/// Whether the text gives a port after the host (`url` hides `:443`).
fn text_has_port(text: &str, host: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower
        .find(host)
        .map(|at| &lower[at + host.len()..])
        .is_some_and(|rest| rest.starts_with(':'))
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookUrl")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// What Discord says about a webhook (GET with its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookInfo {
    /// The name the server admin gave it.
    pub name: Option<String>,
    pub channel_id: Option<String>,
    pub guild_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "AbC-123_xyzABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz012345";

    #[test]
    fn only_discords_own_webhook_urls_are_accepted() {
        let ok = |host: &str| format!("https://{host}/api/webhooks/123456789012345678/{TOKEN}");
        for host in HOSTS {
            let url = WebhookUrl::parse(&ok(host)).unwrap();
            assert_eq!(url.id(), "123456789012345678");
            assert_eq!(url.token(), TOKEN);
        }
        // Pasted with angle brackets (Discord's way to stop an embed).
        assert!(WebhookUrl::parse(&format!("<{}>", ok("discord.com"))).is_ok());
        // Host names are not case-sensitive.
        assert!(WebhookUrl::parse(&ok("Discord.COM")).is_ok());

        use WebhookUrlError::*;
        let t = TOKEN;
        let refused: &[(String, WebhookUrlError)] = &[
            ("".into(), NotUrl),
            ("discord.com/api/webhooks/1/abc".into(), NotUrl),
            (format!("http://discord.com/api/webhooks/1/{t}"), Scheme),
            (format!("ftp://discord.com/api/webhooks/1/{t}"), Scheme),
            (
                format!("javascript://discord.com/api/webhooks/1/{t}"),
                Scheme,
            ),
            (format!("https://evil.com/api/webhooks/1/{t}"), Host),
            (
                format!("https://discord.com.evil.com/api/webhooks/1/{t}"),
                Host,
            ),
            (format!("https://evildiscord.com/api/webhooks/1/{t}"), Host),
            (format!("https://discord.gg/api/webhooks/1/{t}"), Host),
            (
                format!("https://media.discordapp.net/api/webhooks/1/{t}"),
                Host,
            ),
            (
                format!("https://x.ptb.discord.com/api/webhooks/1/{t}"),
                Host,
            ),
            (format!("https://127.0.0.1/api/webhooks/1/{t}"), Host),
            (format!("https://[::1]/api/webhooks/1/{t}"), Host),
            (format!("https://discord.com:8443/api/webhooks/1/{t}"), Port),
            (format!("https://discord.com:443/api/webhooks/1/{t}"), Port),
            (
                format!("https://me:pw@discord.com/api/webhooks/1/{t}"),
                Credentials,
            ),
            (
                format!("https://discord.com@evil.com/api/webhooks/1/{t}"),
                Credentials,
            ),
            (
                format!("https://discord.com/api/webhooks/1/{t}?wait=true"),
                Query,
            ),
            (format!("https://discord.com/api/webhooks/1/{t}#x"), Query),
            (format!("https://discord.com/api/v10/webhooks/1/{t}"), Path),
            (
                format!("https://discord.com/api/webhooks/1/{t}/slack"),
                Path,
            ),
            (
                format!("https://discord.com/api/webhooks/1/{t}/github"),
                Path,
            ),
            (format!("https://discord.com/api/webhooks/1/{t}/"), Path),
            (format!("https://discord.com/webhooks/1/{t}"), Path),
            ("https://discord.com/api/webhooks/1".into(), Path),
            ("https://discord.com/api/webhooks/1/".into(), Path),
            (format!("https://discord.com/api/webhooks/abc/{t}"), Path),
            (format!("https://discord.com/api/webhooks/-1/{t}"), Path),
            (
                format!("https://discord.com/api/webhooks/{}/{t}", "9".repeat(21)),
                Path,
            ),
            (
                format!("https://discord.com/api/webhooks/99999999999999999999/{t}"),
                Path,
            ),
            ("https://discord.com/api/webhooks/1/to%2Fken".into(), Path),
            ("https://discord.com/api/webhooks/1/tok..en".into(), Path),
            (
                "https://discord.com/api/webhooks/1/../../users/@me".into(),
                Path,
            ),
            (
                format!("https://discord.com/api/webhooks/1/{}", "a".repeat(101)),
                Path,
            ),
            ("https://discord.com/channels/1/2".into(), Path),
        ];
        for (text, why) in refused {
            assert_eq!(WebhookUrl::parse(text), Err(*why), "{text}");
        }
    }

    #[test]
    fn the_token_is_never_shown_or_logged() {
        let url =
            WebhookUrl::parse(&format!("https://discord.com/api/webhooks/42/{TOKEN}")).unwrap();
        for shown in [url.masked(), format!("{url}"), format!("{url:?}")] {
            assert!(!shown.contains(TOKEN), "{shown}");
            assert!(!shown.contains(&TOKEN[..10]), "{shown}");
        }
        assert_eq!(url.masked(), "https://discord.com/api/webhooks/42/AbC-…");
        assert_eq!(WebhookUrl::from_parts("42", TOKEN), Ok(url));
    }

    #[test]
    fn webhook_looking_words_are_recognised_even_broken() {
        for text in [
            "https://discord.com/api/webhooks/1/abc",
            "http://discordapp.com/api/webhooks/1/abc",
            "https://canary.discord.com/api/v10/webhooks/1/abc",
            "discord.com/api/webhooks/1/abc",
            "https://discord.com:8443/api/webhooks/1",
            "<https://discord.com/api/webhooks/1/abc>",
        ] {
            assert!(WebhookUrl::looks_like(text), "{text}");
        }
        for text in [
            "https://shop.example/webhooks/1/abc",
            "https://discord.com/channels/1/2",
            "https://notdiscord.com/api/webhooks/1/abc",
            "lego",
        ] {
            assert!(!WebhookUrl::looks_like(text), "{text}");
        }
    }
}
