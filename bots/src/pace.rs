//! Outbound pacing: one limiter per platform and one per recipient, so a
//! burst of alerts goes out as fast as the platform allows and no faster.
//!
//! Limits are set a little below the published figures (see each adapter),
//! because the platform measures arrival times and the network adds jitter.
//! Each limiter admits one message per period with no burst: a platform
//! that allows N a second then never sees more than N in any second.
//! A recipient that must wait longer than [`Pace::MAX_WAIT`] is handed
//! back as [`SendError::RetryAfter`], so a worker is not tied up by one
//! busy chat while others could be served.

use crate::SendError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A limiter for the recipients a predicate picks out.
type GroupLimit = (DefaultKeyedRateLimiter<String>, fn(&str) -> bool);

/// How a platform paces what we send.
pub struct Pace {
    overall: Option<DefaultDirectRateLimiter>,
    per_recipient: Option<DefaultKeyedRateLimiter<String>>,
    /// Group chats: a slower limit for recipients `is_group` picks out.
    per_group: Option<GroupLimit>,
    admitted: AtomicU64,
}

impl std::fmt::Debug for Pace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pace").finish_non_exhaustive()
    }
}

fn quota(every: Duration, burst: u32) -> Quota {
    Quota::with_period(every.max(Duration::from_micros(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

impl Pace {
    /// Longest a send waits for its recipient's turn before handing back.
    pub const MAX_WAIT: Duration = Duration::from_secs(4);

    /// No limits (tests of other things, the console).
    pub fn unlimited() -> Pace {
        Pace {
            overall: None,
            per_recipient: None,
            per_group: None,
            admitted: AtomicU64::new(0),
        }
    }

    /// At most one message every `overall` in all, and to any one
    /// recipient one every `per_recipient.0` after a burst of
    /// `per_recipient.1` (a reply in two parts goes out at once).
    pub fn new(overall: Option<Duration>, per_recipient: Option<(Duration, u32)>) -> Pace {
        Pace {
            overall: overall.map(|every| RateLimiter::direct(quota(every, 1))),
            per_recipient: per_recipient
                .map(|(every, burst)| RateLimiter::keyed(quota(every, burst))),
            per_group: None,
            admitted: AtomicU64::new(0),
        }
    }

    /// Recipients `is_group` picks out get one message every `every`
    /// instead of the per-recipient period.
    pub fn with_groups(mut self, every: Duration, is_group: fn(&str) -> bool) -> Pace {
        self.per_group = Some((RateLimiter::keyed(quota(every, 1)), is_group));
        self
    }

    /// One message every `1 / per_second` seconds.
    pub fn every(per_second: u32) -> Duration {
        Duration::from_secs(1) / per_second.max(1)
    }

    /// Wait until a message to `recipient` may go. The recipient's own
    /// budget is checked first (so waiting for it spends nothing of the
    /// platform-wide one), then the platform-wide budget is waited for.
    pub async fn admit(&self, recipient: &str) -> Result<(), SendError> {
        let limiter = match &self.per_group {
            Some((groups, is_group)) if is_group(recipient) => Some(groups),
            _ => self.per_recipient.as_ref(),
        };
        if let Some(limiter) = limiter {
            let key = recipient.to_owned();
            let mut waited = Duration::ZERO;
            while let Err(not_until) = limiter.check_key(&key) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                if waited + wait > Self::MAX_WAIT {
                    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
                    return Err(SendError::RetryAfter(secs));
                }
                tokio::time::sleep(wait).await;
                waited += wait;
            }
            if self.admitted.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
                // Forget recipients whose budget is full again.
                limiter.retain_recent();
            }
        }
        if let Some(overall) = &self.overall {
            overall.until_ready().await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test]
    async fn the_overall_budget_spaces_messages_evenly() {
        let pace = Pace::new(Some(Duration::from_millis(20)), None);
        let start = Instant::now();
        for i in 0..11 {
            pace.admit(&format!("chat{i}")).await.unwrap();
        }
        // Ten gaps of 20 ms after the first, which goes at once.
        assert!(
            start.elapsed() >= Duration::from_millis(200),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test]
    async fn a_busy_recipient_waits_and_a_very_busy_one_is_handed_back() {
        let pace = Pace::new(None, Some((Duration::from_millis(300), 1)));
        let start = Instant::now();
        pace.admit("a").await.unwrap();
        pace.admit("a").await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(290));
        // Others have their own budget.
        pace.admit("b").await.unwrap();
        let slow = Pace::new(None, Some((Duration::from_secs(10), 1)));
        slow.admit("a").await.unwrap();
        assert!(
            matches!(slow.admit("a").await, Err(SendError::RetryAfter(s)) if (9..=10).contains(&s))
        );
    }

    #[tokio::test]
    async fn groups_get_their_own_slower_limit() {
        let pace = Pace::new(None, Some((Duration::from_millis(1), 1)))
            .with_groups(Duration::from_secs(10), |r| r.starts_with('-'));
        pace.admit("5").await.unwrap();
        pace.admit("5").await.unwrap();
        pace.admit("-100").await.unwrap();
        assert!(matches!(
            pace.admit("-100").await,
            Err(SendError::RetryAfter(_))
        ));
    }
}
