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
//!
//! Two lanes: what is sent inside [`bulk`] (notices and alerts, which the
//! dispatcher marks so) first passes a limiter at nine tenths of the
//! platform-wide rate, so the platform-wide limiter always has room left,
//! and a reply to someone who just wrote, sent outside it, never queues
//! behind thousands of alerts.

use crate::SendError;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Per-recipient budgets: the generic cell rate algorithm (one message
/// every `every`, `burst` at once), kept here rather than in governor's
/// keyed limiter because a send must first learn how long to wait without
/// spending anything, and spend only once the platform-wide budget has let
/// it through, right before the request: otherwise time spent queueing for
/// the platform-wide budget would bunch one recipient's messages up.
struct Recipients {
    every: Duration,
    burst: u32,
    /// When each recipient's budget is next "theoretically" free.
    tat: Mutex<HashMap<String, Instant>>,
    /// A recipient not seen yet: `now` (a full burst available), or, for a
    /// process that may be replacing one that just died, as if its whole
    /// burst had been spent at this instant.
    spent_at: Option<Instant>,
}

impl Recipients {
    fn new(every: Duration, burst: u32) -> Recipients {
        Recipients {
            every,
            burst: burst.max(1),
            tat: Mutex::new(HashMap::new()),
            spent_at: None,
        }
    }

    /// The theoretical arrival time of a recipient not seen yet.
    fn unseen(&self, now: Instant) -> Instant {
        self.spent_at
            .map_or(now, |at| at + self.every * self.burst)
            .max(now)
    }

    /// How long until a message to `recipient` conforms.
    fn wait(&self, recipient: &str, now: Instant) -> Duration {
        let tolerance = self.every * (self.burst - 1);
        let map = self.tat.lock().unwrap_or_else(|p| p.into_inner());
        let tat = map
            .get(recipient)
            .copied()
            .unwrap_or_else(|| self.unseen(now));
        tat.saturating_duration_since(now + tolerance)
    }

    /// Spend a message for `recipient` if it conforms now.
    fn take(&self, recipient: &str, now: Instant) -> bool {
        let tolerance = self.every * (self.burst - 1);
        let mut map = self.tat.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            // Forget recipients whose budget is full again.
            map.retain(|_, tat| *tat > now);
        }
        let tat = map
            .get(recipient)
            .copied()
            .unwrap_or_else(|| self.unseen(now))
            .max(now);
        if tat > now + tolerance {
            return false;
        }
        map.insert(recipient.to_owned(), tat + self.every);
        true
    }
}

/// A budget for the recipients a predicate picks out (group chats).
type GroupBudget = (Recipients, fn(&str) -> bool);

tokio::task_local! {
    /// Set while sending bulk messages (notices, alerts).
    static BULK: ();
}

/// Run `sending` in the bulk lane: every pace it passes through admits it
/// behind the replies.
pub async fn bulk<F: std::future::Future>(sending: F) -> F::Output {
    BULK.scope((), sending).await
}

fn in_bulk_lane() -> bool {
    BULK.try_with(|_| ()).is_ok()
}

/// How a platform paces what we send.
pub struct Pace {
    overall: Option<DefaultDirectRateLimiter>,
    /// The bulk lane's own limit, below `overall`'s, so bulk sends never
    /// fill it and replies pass at once.
    bulk: Option<DefaultDirectRateLimiter>,
    per_recipient: Option<Recipients>,
    /// Group chats: a slower limit for recipients `is_group` picks out.
    per_group: Option<GroupBudget>,
}

impl std::fmt::Debug for Pace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pace").finish_non_exhaustive()
    }
}

impl Pace {
    /// Longest a send waits for its recipient's turn before handing back.
    pub const MAX_WAIT: Duration = Duration::from_secs(4);

    /// No limits (tests of other things, the console).
    pub fn unlimited() -> Pace {
        Pace {
            overall: None,
            bulk: None,
            per_recipient: None,
            per_group: None,
        }
    }

    /// The share of the platform-wide rate the bulk lane may use.
    pub const BULK_SHARE: (u32, u32) = (9, 10);

    /// One lane for everything (the behaviour before the reply lane: for
    /// comparison in benchmarks).
    pub fn without_reply_lane(mut self) -> Pace {
        self.bulk = None;
        self
    }

    /// At most one message every `overall` in all, and to any one
    /// recipient one every `per_recipient.0` after a burst of
    /// `per_recipient.1` (a reply in two parts goes out at once).
    pub fn new(overall: Option<Duration>, per_recipient: Option<(Duration, u32)>) -> Pace {
        let quota = |every: Duration| {
            Quota::with_period(every.max(Duration::from_micros(1)))
                .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                .allow_burst(NonZeroU32::MIN)
        };
        let (share, of) = Self::BULK_SHARE;
        Pace {
            overall: overall.map(|every| RateLimiter::direct(quota(every))),
            bulk: overall.map(|every| RateLimiter::direct(quota(every * of / share))),
            per_recipient: per_recipient.map(|(every, burst)| Recipients::new(every, burst)),
            per_group: None,
        }
    }

    /// Recipients `is_group` picks out get one message every `every`
    /// instead of the per-recipient budget.
    pub fn with_groups(mut self, every: Duration, is_group: fn(&str) -> bool) -> Pace {
        self.per_group = Some((Recipients::new(every, 1), is_group));
        self
    }

    /// Start as if every recipient had just had their whole burst: for a
    /// process that may be replacing one that died a moment ago, whose
    /// sends it cannot see (the platform still counts them). The first
    /// message to each recipient waits one period; after `burst` periods
    /// nothing is held back any more.
    pub fn assuming_recent_sends(mut self) -> Pace {
        let now = Instant::now();
        for budget in [
            self.per_recipient.as_mut(),
            self.per_group.as_mut().map(|(budget, _)| budget),
        ]
        .into_iter()
        .flatten()
        {
            budget.spent_at = Some(now);
        }
        self
    }

    /// One message every `1 / per_second` seconds.
    pub fn every(per_second: u32) -> Duration {
        Duration::from_secs(1) / per_second.max(1)
    }

    /// Which budget a message to `recipient` spends.
    fn budget(&self, recipient: &str) -> Option<&Recipients> {
        match &self.per_group {
            Some((groups, is_group)) if is_group(recipient) => Some(groups),
            _ => self.per_recipient.as_ref(),
        }
    }

    /// Hand back now, spending nothing, a message to `recipient` that
    /// [`Pace::admit`] would hand back: for work done before the send (a
    /// picture's upload) that is wasted if the send cannot go.
    pub fn check(&self, recipient: &str) -> Result<(), SendError> {
        if let Some(budget) = self.budget(recipient) {
            let wait = budget.wait(recipient, Instant::now());
            if wait > Self::MAX_WAIT {
                let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
                return Err(SendError::RetryAfter(secs));
            }
        }
        Ok(())
    }

    /// Wait until a message to `recipient` may go, then spend it: send
    /// right after this returns. A recipient that must wait longer than
    /// [`Pace::MAX_WAIT`] is handed back as [`SendError::RetryAfter`].
    pub async fn admit(&self, recipient: &str) -> Result<(), SendError> {
        let budget = self.budget(recipient);
        if let (Some(bulk), true) = (&self.bulk, in_bulk_lane()) {
            bulk.until_ready().await;
        }
        let mut waited = Duration::ZERO;
        loop {
            if let Some(budget) = budget {
                let wait = budget.wait(recipient, Instant::now());
                if waited + wait > Self::MAX_WAIT {
                    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
                    return Err(SendError::RetryAfter(secs));
                }
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                    waited += wait;
                }
            }
            if let Some(overall) = &self.overall {
                overall.until_ready().await;
            }
            // Spent only now, just before the request: a concurrent send to
            // the same recipient may have taken the turn, then wait again.
            match budget {
                Some(budget) if !budget.take(recipient, Instant::now()) => continue,
                _ => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Eight bulk sends queue up on `pace`; 60 ms in, a reply arrives. The
    /// order in which they were admitted.
    async fn reply_behind_bulk(pace: Pace) -> Vec<String> {
        let pace = std::sync::Arc::new(pace);
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut bulk_sends = Vec::new();
        for i in 0..8 {
            let (pace, order) = (pace.clone(), order.clone());
            bulk_sends.push(tokio::spawn(bulk(async move {
                pace.admit(&format!("alert{i}")).await.unwrap();
                order.lock().unwrap().push(format!("alert{i}"));
            })));
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
        pace.admit("reply").await.unwrap();
        order.lock().unwrap().push("reply".into());
        for send in bulk_sends {
            send.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        order
    }

    #[tokio::test]
    async fn a_reply_passes_a_queue_of_bulk_sends() {
        let every = Some(Duration::from_millis(50));
        let order = reply_behind_bulk(Pace::new(every, None)).await;
        let at = order.iter().position(|o| o == "reply").unwrap();
        assert!(at <= 3, "the reply waited behind the bulk queue: {order:?}");
        // Without the reply lane it waits its turn among them.
        let order = reply_behind_bulk(Pace::new(every, None).without_reply_lane()).await;
        assert_ne!(
            order.first().map(String::as_str),
            Some("reply"),
            "{order:?}"
        );
    }

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
        assert_eq!(slow.check("a"), Ok(()));
        slow.admit("a").await.unwrap();
        // Checking says the same as admitting would, and spends nothing.
        assert!(matches!(slow.check("a"), Err(SendError::RetryAfter(s)) if (9..=10).contains(&s)));
        assert_eq!(slow.check("b"), Ok(()));
        assert_eq!(slow.check("b"), Ok(()));
        assert!(
            matches!(slow.admit("a").await, Err(SendError::RetryAfter(s)) if (9..=10).contains(&s))
        );
    }

    #[test]
    fn after_a_restart_no_recipient_gets_a_burst_at_once() {
        let every = Duration::from_millis(200);
        let fresh = Recipients::new(every, 2);
        let mut restarted = Recipients::new(every, 2);
        let start = Instant::now();
        restarted.spent_at = Some(start);
        // Fresh: a burst of two at once, then one a period.
        assert!(fresh.take("chat", start) && fresh.take("chat", start));
        assert_eq!(fresh.wait("chat", start), every);
        // Restarted: the first waits a period, the next another.
        assert_eq!(restarted.wait("chat", start), every);
        assert!(!restarted.take("chat", start));
        assert!(restarted.take("chat", start + every));
        assert_eq!(restarted.wait("chat", start + every), every);
        // Once the assumed burst has run out, a new recipient is fresh.
        assert_eq!(restarted.wait("other", start + every * 2), Duration::ZERO);
        let pace = Pace::new(None, Some((every, 2)))
            .with_groups(every, |r| r.starts_with('-'))
            .assuming_recent_sends();
        assert!(pace
            .per_recipient
            .as_ref()
            .is_some_and(|b| b.spent_at.is_some()));
        assert!(pace
            .per_group
            .as_ref()
            .is_some_and(|(b, _)| b.spent_at.is_some()));
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
