//! Purpose: when a held notice may go: the end of quiet hours, the next
//! digest, the next local midnight (all in the person's zone, DST-aware),
//! and the back-off after a failure.

use crate::model::{Digest, QuietHours, TimeOfDay};
use std::time::Instant;

/// When an attempt to send began, for a platform's "retry after N
/// seconds", which counts from its answer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Started {
    pub at: Instant,
    /// `now` was read from the clock (whole seconds, so up to a second
    /// behind it), not a fixed time given by a test.
    pub clock: bool,
}

impl Started {
    pub fn now(clock: bool) -> Started {
        Started {
            at: Instant::now(),
            clock,
        }
    }

    /// The first whole second at which a send told to wait `secs` may go
    /// again, never sooner than asked. On the clock: the answer came
    /// before the end of the current second, so from the next one (a
    /// wait counted from the whole second would let a retry go up to a
    /// second early, and be refused again). At a fixed `now`: `now` plus
    /// the whole seconds the attempt took.
    pub fn retry_at(&self, now: i64, secs: u64) -> i64 {
        let secs = i64::try_from(secs).unwrap_or(60).max(1);
        if self.clock {
            crate::storage::unix_now().max(now) + 1 + secs
        } else {
            now + i64::try_from(self.at.elapsed().as_secs()).unwrap_or(0) + secs
        }
    }
}

/// The longest wait between attempts.
const MAX_BACKOFF_SECS: f64 = 3600.0;

/// Seconds to wait after `attempts` failures: 2^attempts, at most an hour,
/// times `jitter` in 0..1 mapped to 0.5..1.5, so retries after an outage
/// do not arrive all at once.
pub fn backoff_secs(attempts: i64, jitter: f64) -> i64 {
    let step = 2f64
        .powi(i32::try_from(attempts.clamp(0, 20)).unwrap_or(20))
        .min(MAX_BACKOFF_SECS);
    let secs = step * (0.5 + jitter.clamp(0.0, 1.0));
    (secs.round() as i64).max(1)
}

/// When the next digest is due (UTC seconds, after `now`): `digest`'s
/// time in the user's zone, on its weekday for a weekly one; for
/// [`Digest::Off`], 08:00 the next morning. A wall time that a DST change
/// skips is taken at the first instant after the gap.
pub fn next_digest_at(digest: Digest, zone: &str, now: i64) -> Option<i64> {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::from_second(now)
        .ok()?
        .to_zoned(tz.clone())
        .date();
    let (at, weekday) = match digest {
        Digest::Off => (Digest::DEFAULT_TIME, None),
        Digest::Daily { at } => (at, None),
        Digest::Weekly { day, at } => (at, Some(day)),
    };
    let hour = i8::try_from(at.hour()).ok()?;
    let minute = i8::try_from(at.minute()).ok()?;
    for days in 0..=7 {
        let date = today.checked_add(jiff::Span::new().days(days)).ok()?;
        if weekday.is_some_and(|d| {
            i8::try_from(d.number()).ok() != Some(date.weekday().to_monday_one_offset())
        }) {
            continue;
        }
        let when = date.at(hour, minute, 0, 0).to_zoned(tz.clone()).ok()?;
        let when = when.timestamp().as_second();
        if when > now {
            return Some(when);
        }
    }
    None
}

/// The start of the user's day `days_ahead` days from `now` (UTC seconds).
pub fn local_midnight(zone: &str, now: i64, days_ahead: i64) -> Option<i64> {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::from_second(now)
        .ok()?
        .to_zoned(tz.clone())
        .date();
    let day = today.checked_add(jiff::Span::new().days(days_ahead)).ok()?;
    Some(day.to_zoned(tz).ok()?.timestamp().as_second())
}

/// When the quiet window containing `now` ends (UTC seconds), or `None`
/// when `now` is outside the user's quiet hours. An unknown zone is UTC.
pub fn quiet_until(quiet: QuietHours, zone: &str, now: i64) -> Option<i64> {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let local = jiff::Timestamp::from_second(now).ok()?.to_zoned(tz.clone());
    let at = TimeOfDay::new(
        u8::try_from(local.hour()).ok()?,
        u8::try_from(local.minute()).ok()?,
    )?;
    if !quiet.contains(at) {
        return None;
    }
    let date = local.date();
    let end_today = date.at(
        i8::try_from(quiet.end.hour()).ok()?,
        i8::try_from(quiet.end.minute()).ok()?,
        0,
        0,
    );
    // Wrapping windows (22:00-07:00) seen before midnight end tomorrow.
    let end = if quiet.start > quiet.end && at >= quiet.start {
        end_today.checked_add(jiff::Span::new().days(1)).ok()?
    } else {
        end_today
    };
    // Across a DST gap the wall time may not exist: take the next instant.
    let zoned = end.to_zoned(tz).ok()?;
    Some(zoned.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_after_is_never_shortened_by_whole_seconds() {
        // On the clock: whatever fraction of the second the answer came
        // in, the retry is due only once `secs` whole seconds have passed.
        let started = Started::now(true);
        let now = crate::storage::unix_now();
        let at = started.retry_at(now, 3);
        let answered = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(at as f64 >= answered + 3.0, "{at} < {answered} + 3");
        assert!(at <= now + 5, "{at}: at most a second more than asked");
        // At a fixed time (tests, replays): that time plus the wait.
        let fixed = Started::now(false);
        assert_eq!(fixed.retry_at(1_000, 7), 1_007);
        assert_eq!(fixed.retry_at(1_000, 0), 1_001, "at least a second");
    }

    fn q(start: (u8, u8), end: (u8, u8)) -> QuietHours {
        QuietHours {
            start: TimeOfDay::new(start.0, start.1).unwrap(),
            end: TimeOfDay::new(end.0, end.1).unwrap(),
        }
    }

    fn ts(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    #[test]
    fn quiet_hours_hold_until_the_window_ends_in_the_users_zone() {
        let night = q((22, 0), (7, 0));
        // 23:30 in London (GMT in November) is held until 07:00 next morning.
        assert_eq!(
            quiet_until(night, "Europe/London", ts("2026-11-23T23:30:00Z")),
            Some(ts("2026-11-24T07:00:00Z"))
        );
        // 03:00 is held until 07:00 the same day.
        assert_eq!(
            quiet_until(night, "Europe/London", ts("2026-11-24T03:00:00Z")),
            Some(ts("2026-11-24T07:00:00Z"))
        );
        // Noon is not quiet.
        assert_eq!(
            quiet_until(night, "Europe/London", ts("2026-11-24T12:00:00Z")),
            None
        );
        // The same instant is 00:30 in Berlin: held until 07:00 Berlin = 06:00 UTC.
        assert_eq!(
            quiet_until(night, "Europe/Berlin", ts("2026-11-23T23:30:00Z")),
            Some(ts("2026-11-24T06:00:00Z"))
        );
        // In New York 23:30 UTC is 18:30: not quiet.
        assert_eq!(
            quiet_until(night, "America/New_York", ts("2026-11-23T23:30:00Z")),
            None
        );
    }

    fn daily(h: u8, m: u8) -> Digest {
        Digest::Daily {
            at: TimeOfDay::new(h, m).unwrap(),
        }
    }

    #[test]
    fn digests_come_at_the_users_time_in_their_zone() {
        // 08:00 in Berlin is 07:00 UTC in November.
        assert_eq!(
            next_digest_at(daily(8, 0), "Europe/Berlin", ts("2026-11-23T06:59:00Z")),
            Some(ts("2026-11-23T07:00:00Z"))
        );
        // At the very time, the next one is tomorrow's.
        assert_eq!(
            next_digest_at(daily(8, 0), "Europe/Berlin", ts("2026-11-23T07:00:00Z")),
            Some(ts("2026-11-24T07:00:00Z"))
        );
        // Noon UTC is 07:00 in New York: today's 08:00 is still to come.
        assert_eq!(
            next_digest_at(daily(8, 0), "America/New_York", ts("2026-11-23T12:00:00Z")),
            Some(ts("2026-11-23T13:00:00Z"))
        );
        // Weekly on Sunday at 18:00, asked on Monday 2026-11-23.
        let sunday = Digest::Weekly {
            day: crate::model::Weekday::Sunday,
            at: TimeOfDay::new(18, 0).unwrap(),
        };
        assert_eq!(
            next_digest_at(sunday, "Europe/London", ts("2026-11-23T10:00:00Z")),
            Some(ts("2026-11-29T18:00:00Z"))
        );
        // On Sunday after 18:00, a week later.
        assert_eq!(
            next_digest_at(sunday, "Europe/London", ts("2026-11-29T18:30:00Z")),
            Some(ts("2026-12-06T18:00:00Z"))
        );
        // No digest: cap overflow waits for 08:00 the next morning.
        assert_eq!(
            next_digest_at(Digest::Off, "Asia/Tokyo", ts("2026-11-23T00:00:00Z")),
            Some(ts("2026-11-23T23:00:00Z"))
        );
    }

    #[test]
    fn digests_across_dst_changes() {
        // London springs forward on Sunday 2026-03-29: 08:00 is 08:00 UTC
        // on Saturday and 07:00 UTC on Sunday.
        assert_eq!(
            next_digest_at(daily(8, 0), "Europe/London", ts("2026-03-28T09:00:00Z")),
            Some(ts("2026-03-29T07:00:00Z"))
        );
        // And falls back on 2026-10-25: 08:00 is 08:00 UTC again.
        assert_eq!(
            next_digest_at(daily(8, 0), "Europe/London", ts("2026-10-24T08:00:00Z")),
            Some(ts("2026-10-25T08:00:00Z"))
        );
        // 01:30 does not exist on 2026-03-29 in London: the first instant
        // after the gap, 02:30 BST (01:30 UTC).
        assert_eq!(
            next_digest_at(daily(1, 30), "Europe/London", ts("2026-03-28T12:00:00Z")),
            Some(ts("2026-03-29T01:30:00Z"))
        );
        // A weekly Monday 09:00 in New York across the US change on Sunday
        // 2026-03-08: EST on Friday, EDT on Monday.
        let monday = Digest::Weekly {
            day: crate::model::Weekday::Monday,
            at: TimeOfDay::new(9, 0).unwrap(),
        };
        assert_eq!(
            next_digest_at(monday, "America/New_York", ts("2026-03-06T15:00:00Z")),
            Some(ts("2026-03-09T13:00:00Z"))
        );
    }

    #[test]
    fn back_off_doubles_with_jitter_and_is_capped() {
        // Jitter 0.5 is the plain step.
        assert_eq!(backoff_secs(0, 0.5), 1);
        assert_eq!(backoff_secs(3, 0.5), 8);
        // Jitter spreads a step over half to one and a half times it.
        assert_eq!(backoff_secs(4, 0.0), 8);
        assert_eq!(backoff_secs(4, 1.0), 24);
        // Capped at an hour (times the jitter), never below a second.
        assert_eq!(backoff_secs(30, 0.5), 3600);
        assert_eq!(backoff_secs(-3, 0.0), 1);
    }

    #[test]
    fn quiet_hours_across_a_dst_change() {
        // London springs forward on 2026-03-29 at 01:00 GMT; a window ending
        // at 07:00 local then ends at 06:00 UTC.
        let night = q((22, 0), (7, 0));
        assert_eq!(
            quiet_until(night, "Europe/London", ts("2026-03-28T23:00:00Z")),
            Some(ts("2026-03-29T06:00:00Z"))
        );
        // A window ending inside the skipped hour (01:30) ends at 02:30 BST.
        let odd = q((0, 0), (1, 30));
        assert_eq!(
            quiet_until(odd, "Europe/London", ts("2026-03-29T00:30:00Z")),
            Some(ts("2026-03-29T01:30:00Z"))
        );
    }
}
