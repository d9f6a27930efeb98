//! Purpose: Dealwatch's settings, read once at start from flags and the
//! environment (the contract's variables), and never from anywhere else.
//!
//! Secrets are [`SecretString`]s: they cannot be printed by accident, and
//! `--help` never shows their values. The database URL may carry a password,
//! so it is only ever logged through [`redact_url`].

use crate::channels::discord::DiscordConfig;
use crate::channels::sms::TwilioConfig;
use crate::channels::telegram::TelegramConfig;
use crate::channels::whatsapp::WhatsAppConfig;
use crate::conversation::CoreOptions;
use crate::extract::{SiteRules, SitesError};
use crate::fetch::{user_agent, FetchConfig};
use crate::plans::{Plans, PlansError};
use crate::sources::{self, SourceSpec};
use clap::{Args, Parser, Subcommand};
use dealwatch_bots::Channel;
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "dealwatch",
    version,
    about = "Messaging-first deal and price alerts"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole service: HTTP server, channels, scheduler, scraper, dispatcher.
    Serve,
    /// Talk to Dealwatch in this terminal (reads commands line by line from stdin).
    Chat {
        /// The console user to act as; each name is a separate account.
        #[arg(long, env = "DEALWATCH_CHAT_USER", default_value = "console")]
        user: String,
    },
    /// Fetch and extract product pages once; print one JSON object a line.
    Check {
        /// URLs to fetch, or saved pages (local files) to read.
        #[arg(required = true)]
        inputs: Vec<String>,
        /// The URL a saved page came from: resolves its relative links and picks its site rule.
        #[arg(long)]
        base_url: Option<url::Url>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Publish the slash commands to Discord (bulk overwrite) and exit; `serve` also does this at start.
    DiscordRegister,
    /// Write a consistent copy of the database to FILE, while the service runs.
    Backup { file: PathBuf },
    /// Replace the database with the backup in FILE, after verifying it. Stop the service first.
    Restore { file: PathBuf },
}

/// Settings shared by every subcommand.
#[derive(Debug, Args)]
pub struct Config {
    /// sqlite://PATH (created on first run) or postgres://… for several instances.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://dealwatch.db",
        hide_env_values = true
    )]
    pub database_url: String,

    /// Address the HTTP server listens on.
    #[arg(
        long,
        global = true,
        env = "DEALWATCH_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,

    /// Serve `/metrics` on this address instead of the main listener (keep
    /// it off the internet: a loopback or private address).
    #[arg(long, global = true, env = "DEALWATCH_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// HTTP connections open at once; more wait in the kernel's backlog.
    #[arg(long, global = true, env = "DEALWATCH_MAX_CONNECTIONS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_connections: u32,

    /// HTTP connections open at once from one client address; more are
    /// closed at once. Behind a reverse proxy, set it to DEALWATCH_MAX_CONNECTIONS.
    #[arg(long, global = true, env = "DEALWATCH_MAX_CONNECTIONS_PER_IP", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_connections_per_ip: u32,

    /// The public https origin providers call (Twilio signatures, Stripe return URLs).
    #[arg(long, global = true, env = "PUBLIC_BASE_URL")]
    pub public_base_url: Option<url::Url>,

    /// Let the scraper fetch loopback and private addresses (tests and local demos only).
    #[arg(long, global = true, env = "DEALWATCH_ALLOW_PRIVATE_HOSTS", value_parser = parse_flag, default_value = "0")]
    pub allow_private_hosts: bool,

    /// How long a dispatcher instance owns the outbox rows it claimed
    /// before another may take them over (default 300 s; crash tests
    /// shorten it). A row whose send was under way when its instance died
    /// is sent again after this.
    #[arg(
        long,
        global = true,
        env = "DEALWATCH_OUTBOX_LEASE_SECS",
        default_value_t = crate::dispatch::LEASE_SECS
    )]
    pub outbox_lease_secs: i64,

    /// Override every watch's plan-based check interval (tests and demos).
    #[arg(long, global = true, env = "DEALWATCH_CHECK_INTERVAL_SECS")]
    pub check_interval_secs: Option<u64>,

    /// Least milliseconds between two requests to one shop (robots.txt crawl-delay can raise it).
    #[arg(
        long,
        global = true,
        env = "DEALWATCH_HOST_INTERVAL_MS",
        default_value_t = 1000
    )]
    pub host_interval_ms: u64,

    /// Most requests in flight to one shop.
    #[arg(long, global = true, env = "DEALWATCH_HOST_CONCURRENCY", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub host_concurrency: u16,

    /// Deal sources file (RSS/Atom feeds, item lists, listing pages).
    #[arg(long, global = true, env = "DEALWATCH_SOURCES")]
    pub sources: Option<PathBuf>,

    /// Per-site extraction rules (TOML); `./sites.toml` is used when present.
    #[arg(long, global = true, env = "DEALWATCH_SITES")]
    pub sites: Option<PathBuf>,

    /// Plan limits file (TOML) overriding the default plans; `./plans.toml` is used when present.
    #[arg(long, global = true, env = "DEALWATCH_PLANS")]
    pub plans: Option<PathBuf>,

    /// `DEALWATCH_FETCH_PROXY`: an HTTP(S) proxy for the scraper, the only
    /// one it uses (the environment's proxy variables are ignored). From
    /// the environment only: a proxy URL can carry credentials.
    #[arg(skip = env_secret("DEALWATCH_FETCH_PROXY"))]
    pub fetch_proxy: Option<SecretString>,

    /// `DEALWATCH_SEAL_KEY`: 32 bytes, base64, shared by every instance, so
    /// a reply holding a payment link that one instance stored (sealed) can
    /// be sent by another. Unset: each process draws its own key.
    #[arg(skip = env_secret("DEALWATCH_SEAL_KEY"))]
    pub seal_key: Option<SecretString>,

    #[command(flatten)]
    pub telegram: TelegramConfig,
    #[command(flatten)]
    pub discord: DiscordConfig,
    #[command(flatten)]
    pub whatsapp: WhatsAppConfig,
    #[command(flatten)]
    pub twilio: TwilioConfig,
    #[command(flatten)]
    pub stripe: StripeConfig,
}

#[derive(Debug, Args)]
pub struct StripeConfig {
    #[arg(skip = env_secret("STRIPE_SECRET_KEY"))]
    pub stripe_secret_key: Option<SecretString>,
    #[arg(skip = env_secret("STRIPE_WEBHOOK_SECRET"))]
    pub stripe_webhook_secret: Option<SecretString>,
    #[arg(long, global = true, env = "STRIPE_PRICE_PRO")]
    pub stripe_price_pro: Option<String>,
    #[arg(long, global = true, env = "STRIPE_PRICE_PREMIUM")]
    pub stripe_price_premium: Option<String>,
    #[arg(
        long,
        global = true,
        env = "STRIPE_API_URL",
        default_value = "https://api.stripe.com"
    )]
    pub stripe_api_url: url::Url,
}

impl Config {
    /// For each chat channel: whether its credentials are set, and if not,
    /// which variables would turn it on.
    pub fn channel_status(&self) -> Vec<(Channel, Result<(), &'static str>)> {
        crate::channels::all()
            .into_iter()
            .map(|def| (def.channel(), def.status(self)))
            .collect()
    }

    /// Whether Stripe is configured well enough to sell plans.
    pub fn billing_enabled(&self) -> bool {
        self.stripe.stripe_secret_key.is_some()
            && self.stripe.stripe_webhook_secret.is_some()
            && self.stripe.stripe_price_pro.is_some()
            && self.stripe.stripe_price_premium.is_some()
    }

    /// The plans: defaults, overridden by the plans file if there is one.
    pub fn plans(&self) -> Result<Plans, ConfigError> {
        match read_optional(self.plans.as_deref(), "plans.toml")? {
            Some((path, text)) => {
                Plans::from_toml(&text).map_err(|source| ConfigError::Plans { path, source })
            }
            None => Ok(Plans::default()),
        }
    }

    /// The per-site extraction rules, from `DEALWATCH_SITES` or `./sites.toml`.
    pub fn site_rules(&self) -> Result<SiteRules, ConfigError> {
        match read_optional(self.sites.as_deref(), "sites.toml")? {
            Some((path, text)) => {
                SiteRules::from_toml(&text).map_err(|source| ConfigError::Sites { path, source })
            }
            None => Ok(SiteRules::default()),
        }
    }

    /// The deal sources, from `DEALWATCH_SOURCES` or `./sources.toml`.
    pub fn sources(&self) -> Result<Vec<SourceSpec>, ConfigError> {
        match read_optional(self.sources.as_deref(), "sources.toml")? {
            Some((path, text)) => {
                sources::from_toml(&text).map_err(|source| ConfigError::Sources { path, source })
            }
            None => Ok(Vec::new()),
        }
    }

    /// The fetcher's settings.
    pub fn fetch_config(&self) -> Result<FetchConfig, ConfigError> {
        let proxy = match &self.fetch_proxy {
            Some(raw) => Some(
                url::Url::parse(raw.expose_secret())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or(ConfigError::Proxy)?,
            ),
            None => None,
        };
        Ok(FetchConfig {
            allow_private: self.allow_private_hosts,
            user_agent: user_agent(self.public_base_url.as_ref()),
            per_host_interval: std::time::Duration::from_millis(self.host_interval_ms),
            per_host_concurrency: usize::from(self.host_concurrency),
            proxy,
            ..FetchConfig::default()
        })
    }

    /// The HTTP server's bounds on clients.
    pub fn server_limits(&self) -> crate::server::ServerLimits {
        crate::server::ServerLimits {
            max_connections: self.max_connections as usize,
            max_connections_per_ip: self.max_connections_per_ip as usize,
            ..crate::server::ServerLimits::default()
        }
    }

    pub fn core_options(&self) -> CoreOptions {
        CoreOptions {
            allow_private_hosts: self.allow_private_hosts,
            ..CoreOptions::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not shown: the value may hold credentials.
    #[error("DEALWATCH_FETCH_PROXY is not an http:// or https:// URL")]
    Proxy,
    #[error("reading {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("in {path}")]
    Plans { path: PathBuf, source: PlansError },
    #[error("in {path}")]
    Sites { path: PathBuf, source: SitesError },
    #[error("in {path}")]
    Sources {
        path: PathBuf,
        source: sources::SourcesError,
    },
}

/// A configuration file: the one named (which must exist), else `default`
/// in the working directory when it is there.
fn read_optional(
    named: Option<&std::path::Path>,
    default: &str,
) -> Result<Option<(PathBuf, String)>, ConfigError> {
    let (path, required) = match named {
        Some(path) => (path.to_path_buf(), true),
        None => (PathBuf::from(default), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some((path, text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(None),
        Err(source) => Err(ConfigError::Read { path, source }),
    }
}

/// `1`, `true`, `yes`, `on` (any case) are true; `0`, `false`, `no`, `off`, empty are false.
fn parse_flag(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "" | "0" | "false" | "no" | "off" => Ok(false),
        other => Err(format!("expected 1 or 0, got {other:?}")),
    }
}

/// A secret from the environment only, never a command-line flag (flags
/// show in every process listing): `NAME`, or the contents of the file
/// `NAME_FILE` names (container secrets). Unset or empty is `None`.
pub(crate) fn env_secret(name: &str) -> Option<SecretString> {
    let value = match std::env::var(name) {
        Ok(value) => value,
        Err(_) => {
            let path = std::env::var_os(format!("{name}_FILE"))?;
            match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => {
                    // Read before logging is set up: straight to stderr.
                    eprintln!("dealwatch: {name}_FILE: {e}; {name} stays unset");
                    return None;
                }
            }
        }
    };
    let value = value.trim();
    (!value.is_empty()).then(|| SecretString::from(value.to_owned()))
}

/// A URL fit for logs: the password in its authority and any query
/// parameter that names a secret (`password`, `pass`, `secret`, `token`,
/// `key`, `sslkey`...) replaced by `***`. Something that is not a URL is
/// not shown at all, since it might be a secret.
pub fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return "***".to_owned();
    };
    if url.password().is_some() {
        // Setting a password only fails for URLs that cannot have one.
        let _ = url.set_password(Some("***"));
    }
    let secret = |name: &str| {
        let name = name.to_ascii_lowercase();
        ["pass", "secret", "token", "key", "auth", "credential"]
            .iter()
            .any(|word| name.contains(word))
    };
    if url.query_pairs().any(|(name, _)| secret(&name)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if secret(&name) {
                    "***".to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    // The serializer escapes `*` in queries; keep the mark readable.
    url.to_string().replace("%2A%2A%2A", "***")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact_url("postgres://dealwatch:hunter2@db.internal:5432/dealwatch"),
            "postgres://dealwatch:***@db.internal:5432/dealwatch"
        );
        assert_eq!(redact_url("sqlite://dealwatch.db"), "sqlite://dealwatch.db");
    }

    #[test]
    fn flags_read_like_people_write_them() {
        assert_eq!(parse_flag("1"), Ok(true));
        assert_eq!(parse_flag("TRUE"), Ok(true));
        assert_eq!(parse_flag("0"), Ok(false));
        assert!(parse_flag("maybe").is_err());
    }

    #[test]
    fn secrets_are_not_command_line_flags() {
        for flag in [
            "--telegram-bot-token",
            "--discord-bot-token",
            "--stripe-secret-key",
            "--stripe-webhook-secret",
            "--whatsapp-app-secret",
            "--twilio-auth-token",
            "--fetch-proxy",
        ] {
            let parsed = Cli::try_parse_from(["dealwatch", flag, "123:SECRET", "serve"]);
            assert!(parsed.is_err(), "{flag} is accepted on the command line");
        }
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let secret = SecretString::from("123:SECRET".to_owned());
        assert!(!format!("{secret:?}").contains("SECRET"));
    }

    #[test]
    fn every_url_form_is_redacted() {
        for (raw, shown) in [
            (
                "postgres://dealwatch:hunter2@db.internal:5432/dealwatch",
                "postgres://dealwatch:***@db.internal:5432/dealwatch",
            ),
            (
                "postgres://db.internal/dealwatch?user=dw&password=hunter2&sslmode=require",
                "postgres://db.internal/dealwatch?user=dw&password=***&sslmode=require",
            ),
            (
                "postgres://:hunter2@db.internal/dealwatch",
                "postgres://:***@db.internal/dealwatch",
            ),
            (
                "smtp://mailer:hunter2@smtp.example:587?auth_token=hunter2",
                "smtp://mailer:***@smtp.example:587?auth_token=***",
            ),
            ("not a url hunter2", "***"),
            ("sqlite://dealwatch.db", "sqlite://dealwatch.db"),
        ] {
            assert_eq!(redact_url(raw), shown, "{raw}");
        }
    }
}
