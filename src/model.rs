//! Purpose: small domain values shared by the parser, the core and storage.
//!
//! Each type is parsed once at the edge and then trusted ("parse, don't
//! validate"): an [`ItemNo`] is never zero, a [`TimeOfDay`] is always inside
//! a day, a [`Plan`] is always one we sell.

use std::fmt;

/// A watch's or rule's number as its owner sees it (`#3`). Numbers are per
/// user and shared by watches and rules, so `#3` is one thing for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemNo(u32);

impl ItemNo {
    /// Item numbers users can type; anything larger is a typo.
    pub const MAX: u32 = 1_000_000_000;

    pub fn new(n: u32) -> Option<ItemNo> {
        (1..=Self::MAX).contains(&n).then_some(ItemNo(n))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for ItemNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Whether a watch or rule is being acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    Active,
    Paused,
}

impl ItemState {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Active => "active",
            ItemState::Paused => "paused",
        }
    }

    pub fn from_name(name: &str) -> Option<ItemState> {
        match name {
            "active" => Some(ItemState::Active),
            "paused" => Some(ItemState::Paused),
            _ => None,
        }
    }
}

/// The plans of the contract. Limits live in [`crate::plans::Plans`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Plan {
    Free,
    Pro,
    Premium,
}

impl Plan {
    pub const ALL: [Plan; 3] = [Plan::Free, Plan::Pro, Plan::Premium];

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Pro => "pro",
            Plan::Premium => "premium",
        }
    }

    pub fn from_name(name: &str) -> Option<Plan> {
        Plan::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// A plan someone can buy with `upgrade`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaidPlan {
    Pro,
    Premium,
}

impl PaidPlan {
    pub fn plan(self) -> Plan {
        match self {
            PaidPlan::Pro => Plan::Pro,
            PaidPlan::Premium => Plan::Premium,
        }
    }
}

/// A deal's condition, and a rule's required condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Condition {
    New,
    Used,
    Refurbished,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::New => "new",
            Condition::Used => "used",
            Condition::Refurbished => "refurbished",
        }
    }

    /// The stored name, and the spellings people use for each.
    pub fn from_name(name: &str) -> Option<Condition> {
        match name.to_lowercase().as_str() {
            "new" | "brand-new" | "sealed" => Some(Condition::New),
            "used" | "second-hand" | "secondhand" | "pre-owned" | "preowned" => {
                Some(Condition::Used)
            }
            "refurbished" | "refurb" | "renewed" | "reconditioned" => Some(Condition::Refurbished),
            _ => None,
        }
    }
}

/// Whether a product can be bought now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Availability {
    InStock,
    OutOfStock,
    Unknown,
}

impl Availability {
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::InStock => "in_stock",
            Availability::OutOfStock => "out_of_stock",
            Availability::Unknown => "unknown",
        }
    }

    pub fn from_name(name: &str) -> Availability {
        match name {
            "in_stock" => Availability::InStock,
            "out_of_stock" => Availability::OutOfStock,
            _ => Availability::Unknown,
        }
    }
}

/// A time of day in the user's own time zone, to the minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    pub fn new(hour: u8, minute: u8) -> Option<TimeOfDay> {
        (hour < 24 && minute < 60).then(|| TimeOfDay(u16::from(hour) * 60 + u16::from(minute)))
    }

    /// From minutes after midnight, as stored.
    pub fn from_minutes(minutes: i64) -> Option<TimeOfDay> {
        u16::try_from(minutes)
            .ok()
            .filter(|m| *m < 24 * 60)
            .map(TimeOfDay)
    }

    pub fn minutes(self) -> u16 {
        self.0
    }

    pub fn hour(self) -> u8 {
        (self.0 / 60) as u8
    }

    pub fn minute(self) -> u8 {
        (self.0 % 60) as u8
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

/// A window with no alerts. It may wrap midnight (22:00-07:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: TimeOfDay,
    pub end: TimeOfDay,
}

impl QuietHours {
    /// Whether `at` falls inside the window (start inclusive, end exclusive).
    pub fn contains(self, at: TimeOfDay) -> bool {
        if self.start <= self.end {
            self.start <= at && at < self.end
        } else {
            at >= self.start || at < self.end
        }
    }
}

/// Day of the week for weekly digests, Monday first as ISO 8601 has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    /// 1 (Monday) to 7 (Sunday).
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    pub fn from_number(n: i64) -> Option<Weekday> {
        usize::try_from(n - 1)
            .ok()
            .and_then(|i| Weekday::ALL.get(i).copied())
    }

    /// English names and their usual abbreviations.
    pub fn from_name(name: &str) -> Option<Weekday> {
        let lower = name.to_lowercase();
        let lower = lower.trim_end_matches(['.', 's']);
        Weekday::ALL
            .into_iter()
            .find(|d| {
                let full = d.english();
                lower == full || (lower.len() >= 3 && full.starts_with(lower))
            })
            .or_else(|| {
                // German and French day names, whole.
                const OTHERS: [[&str; 2]; 7] = [
                    ["montag", "lundi"],
                    ["dienstag", "mardi"],
                    ["mittwoch", "mercredi"],
                    ["donnerstag", "jeudi"],
                    ["freitag", "vendredi"],
                    ["samstag", "samedi"],
                    ["sonntag", "dimanche"],
                ];
                Weekday::ALL
                    .into_iter()
                    .zip(OTHERS)
                    .find(|(_, names)| names.contains(&lower))
                    .map(|(day, _)| day)
            })
    }

    /// The lower-case English name, used as the key of localised day names.
    pub fn english(self) -> &'static str {
        match self {
            Weekday::Monday => "monday",
            Weekday::Tuesday => "tuesday",
            Weekday::Wednesday => "wednesday",
            Weekday::Thursday => "thursday",
            Weekday::Friday => "friday",
            Weekday::Saturday => "saturday",
            Weekday::Sunday => "sunday",
        }
    }
}

/// How alerts are bundled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    /// Each alert goes out on its own, as soon as it is allowed to.
    Off,
    Daily {
        at: TimeOfDay,
    },
    Weekly {
        day: Weekday,
        at: TimeOfDay,
    },
}

impl Digest {
    /// When people do not say, digests arrive at 08:00, weekly ones on Monday.
    pub const DEFAULT_TIME: TimeOfDay = TimeOfDay(8 * 60);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_wrap_midnight() {
        let night = QuietHours {
            start: TimeOfDay::new(22, 0).unwrap(),
            end: TimeOfDay::new(7, 0).unwrap(),
        };
        assert!(night.contains(TimeOfDay::new(23, 30).unwrap()));
        assert!(night.contains(TimeOfDay::new(0, 0).unwrap()));
        assert!(night.contains(TimeOfDay::new(6, 59).unwrap()));
        assert!(!night.contains(TimeOfDay::new(7, 0).unwrap()));
        assert!(!night.contains(TimeOfDay::new(12, 0).unwrap()));
        let lunch = QuietHours {
            start: TimeOfDay::new(12, 0).unwrap(),
            end: TimeOfDay::new(13, 0).unwrap(),
        };
        assert!(lunch.contains(TimeOfDay::new(12, 30).unwrap()));
        assert!(!lunch.contains(TimeOfDay::new(13, 0).unwrap()));
    }

    #[test]
    fn weekday_names() {
        assert_eq!(Weekday::from_name("Sun"), Some(Weekday::Sunday));
        assert_eq!(Weekday::from_name("tues"), Some(Weekday::Tuesday));
        assert_eq!(Weekday::from_name("fridays"), Some(Weekday::Friday));
        assert_eq!(Weekday::from_name("mo"), None);
        for d in Weekday::ALL {
            assert_eq!(Weekday::from_number(i64::from(d.number())), Some(d));
        }
    }
}
