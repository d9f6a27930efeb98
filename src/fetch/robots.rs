//! Purpose: robots.txt, fetched once per origin and cached.
//!
//! Parsing is texting_robots' job (a well-tested implementation of the
//! robots exclusion standard, crawl-delay included). What the status of the
//! robots.txt fetch means follows Google's long-standing reading: 2xx, parse
//! it; 4xx, there are no rules; 5xx, assume everything is disallowed for a
//! while and ask again later. No answer at all is reported as the network
//! error it is.

use super::Fetcher;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use texting_robots::Robot;
use tokio::sync::Mutex;
use url::Url;

/// How long rules are kept before robots.txt is fetched again.
const FRESH_FOR: Duration = Duration::from_secs(24 * 3600);
/// How long an unreachable robots.txt keeps a site off limits.
const RETRY_UNREACHABLE: Duration = Duration::from_secs(600);
/// Largest robots.txt read (Google reads 500 KiB).
const MAX_ROBOTS_BYTES: usize = 512 * 1024;

/// What one origin's robots.txt allows us.
pub enum Rules {
    AllowAll,
    DisallowAll,
    Parsed(Box<Robot>),
    /// The origin itself is refused (it resolves inside our network).
    Refused(String),
    /// robots.txt could not be fetched at all (DNS, connection, timeout):
    /// the page would not be either, so the fetch fails with this error.
    Unreachable(String),
}

impl Rules {
    pub fn allowed(&self, url: &Url) -> bool {
        match self {
            Rules::AllowAll => true,
            Rules::DisallowAll | Rules::Refused(_) | Rules::Unreachable(_) => false,
            Rules::Parsed(robot) => robot.allowed(url.as_str()),
        }
    }

    /// The crawl-delay the site asks for, capped at a minute.
    pub fn crawl_delay(&self) -> Option<Duration> {
        match self {
            Rules::Parsed(robot) => robot
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f32(d.min(60.0))),
            _ => None,
        }
    }
}

struct Entry {
    rules: Arc<Rules>,
    expires: Instant,
}

/// Cached robots rules per origin. One fetch per origin at a time.
pub struct RobotsCache {
    agent: String,
    entries: Mutex<HashMap<String, Arc<Mutex<Option<Entry>>>>>,
}

impl RobotsCache {
    pub fn new(user_agent: &str) -> RobotsCache {
        // Robots groups match on the product token: "DealwatchBot".
        let agent = user_agent
            .split('/')
            .next()
            .unwrap_or(user_agent)
            .to_owned();
        RobotsCache {
            agent,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The rules for `url`'s origin, fetching robots.txt when not cached.
    pub async fn rules_for(&self, fetcher: &Fetcher, url: &Url) -> Arc<Rules> {
        let origin = url.origin().ascii_serialization();
        let slot = {
            let mut entries = self.entries.lock().await;
            entries.entry(origin.clone()).or_default().clone()
        };
        let mut entry = slot.lock().await;
        if let Some(e) = entry.as_ref() {
            if e.expires > Instant::now() {
                return e.rules.clone();
            }
        }
        let (rules, fresh_for) = self.fetch_rules(fetcher, &origin).await;
        let rules = Arc::new(rules);
        *entry = Some(Entry {
            rules: rules.clone(),
            expires: Instant::now() + fresh_for,
        });
        rules
    }

    async fn fetch_rules(&self, fetcher: &Fetcher, origin: &str) -> (Rules, Duration) {
        let Ok(robots_url) = Url::parse(&format!("{origin}/robots.txt")) else {
            return (Rules::AllowAll, FRESH_FOR);
        };
        match fetcher.get_raw(&robots_url, MAX_ROBOTS_BYTES).await {
            Ok((status, body)) if (200..300).contains(&status) => {
                match Robot::new(&self.agent, &body) {
                    Ok(robot) => (Rules::Parsed(Box::new(robot)), FRESH_FOR),
                    // Unparseable rules are no rules.
                    Err(_) => (Rules::AllowAll, FRESH_FOR),
                }
            }
            Ok((status, _)) if (400..500).contains(&status) && status != 429 => {
                (Rules::AllowAll, FRESH_FOR)
            }
            Ok(_) => (Rules::DisallowAll, RETRY_UNREACHABLE),
            Err(super::FetchError::Refused(why)) => (Rules::Refused(why), RETRY_UNREACHABLE),
            // An absurdly large robots.txt is no rules we can read.
            Err(super::FetchError::TooLarge(_)) => (Rules::AllowAll, FRESH_FOR),
            Err(super::FetchError::Network(why)) => (Rules::Unreachable(why), RETRY_UNREACHABLE),
            Err(other) => (Rules::Unreachable(other.to_string()), RETRY_UNREACHABLE),
        }
    }
}
