//! Purpose: what each plan allows.
//!
//! The defaults are the contract's table; an operator can change any figure
//! in a TOML file (`DEALWATCH_PLANS`, or `./plans.toml` when present):
//!
//! ```toml
//! [pro]
//! watches = 150
//! check_interval_secs = 1800
//! ```
//!
//! What the file leaves out keeps its default; an unknown key is an error,
//! so a typo cannot silently leave a limit unchanged.

use crate::model::Plan;
use serde::Deserialize;
use std::time::Duration;

/// The shortest check interval a plan may set: shops are fetched politely.
pub const MIN_CHECK_INTERVAL_SECS: u64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum PlansError {
    #[error("{0}")]
    Syntax(String),
    #[error("[{plan}] check_interval_secs must be at least {MIN_CHECK_INTERVAL_SECS}")]
    IntervalTooShort { plan: &'static str },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlansFile {
    free: Option<LimitsFile>,
    pro: Option<LimitsFile>,
    premium: Option<LimitsFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    watches: Option<u32>,
    rules: Option<u32>,
    communities: Option<u32>,
    community_rules: Option<u32>,
    check_interval_secs: Option<u64>,
    sms_per_day: Option<u32>,
}

/// The limits of one plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// Most active watches.
    pub watches: u32,
    /// Most active deal rules.
    pub rules: u32,
    /// Most community destinations (Discord webhooks, groups, channels)
    /// registered by one person.
    pub communities: u32,
    /// Most active alerts posting to one community (counted apart from
    /// the person's own `rules`).
    pub community_rules: u32,
    /// How often each watched product is checked.
    pub check_interval: Duration,
    /// Most SMS alerts a day.
    pub sms_per_day: u32,
}

/// The limits of every plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plans {
    pub free: PlanLimits,
    pub pro: PlanLimits,
    pub premium: PlanLimits,
}

impl Default for Plans {
    fn default() -> Plans {
        Plans {
            free: PlanLimits {
                watches: 5,
                rules: 3,
                communities: 1,
                community_rules: 3,
                check_interval: Duration::from_secs(6 * 3600),
                sms_per_day: 0,
            },
            pro: PlanLimits {
                watches: 100,
                rules: 25,
                communities: 5,
                community_rules: 25,
                check_interval: Duration::from_secs(3600),
                sms_per_day: 5,
            },
            premium: PlanLimits {
                watches: 1000,
                rules: 200,
                communities: 25,
                community_rules: 100,
                check_interval: Duration::from_secs(15 * 60),
                sms_per_day: 20,
            },
        }
    }
}

impl Plans {
    pub fn limits(&self, plan: Plan) -> PlanLimits {
        match plan {
            Plan::Free => self.free,
            Plan::Pro => self.pro,
            Plan::Premium => self.premium,
        }
    }

    pub fn limits_mut(&mut self, plan: Plan) -> &mut PlanLimits {
        match plan {
            Plan::Free => &mut self.free,
            Plan::Pro => &mut self.pro,
            Plan::Premium => &mut self.premium,
        }
    }

    /// The defaults with a plans file's overrides applied.
    pub fn from_toml(text: &str) -> Result<Plans, PlansError> {
        let file: PlansFile =
            toml::from_str(text).map_err(|e| PlansError::Syntax(e.to_string()))?;
        let mut plans = Plans::default();
        for (plan, overrides) in [
            (Plan::Free, file.free),
            (Plan::Pro, file.pro),
            (Plan::Premium, file.premium),
        ] {
            let Some(o) = overrides else { continue };
            let limits = plans.limits_mut(plan);
            if let Some(watches) = o.watches {
                limits.watches = watches;
            }
            if let Some(rules) = o.rules {
                limits.rules = rules;
            }
            if let Some(communities) = o.communities {
                limits.communities = communities;
            }
            if let Some(rules) = o.community_rules {
                limits.community_rules = rules;
            }
            if let Some(secs) = o.check_interval_secs {
                if secs < MIN_CHECK_INTERVAL_SECS {
                    return Err(PlansError::IntervalTooShort {
                        plan: plan.as_str(),
                    });
                }
                limits.check_interval = Duration::from_secs(secs);
            }
            if let Some(sms) = o.sms_per_day {
                limits.sms_per_day = sms;
            }
        }
        Ok(plans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_only_what_it_names() {
        let plans = Plans::from_toml("[pro]\nwatches = 150\ncheck_interval_secs = 1800\n").unwrap();
        assert_eq!(plans.pro.watches, 150);
        assert_eq!(plans.pro.check_interval, Duration::from_secs(1800));
        assert_eq!(plans.pro.rules, 25);
        assert_eq!(plans.free, Plans::default().free);
    }

    #[test]
    fn typos_and_silly_values_are_errors() {
        assert!(Plans::from_toml("[pro]\nwatchez = 150\n").is_err());
        assert!(Plans::from_toml("[gold]\nwatches = 1\n").is_err());
        assert!(Plans::from_toml("[free]\ncheck_interval_secs = 5\n").is_err());
        assert!(Plans::from_toml("[free]\nwatches = -1\n").is_err());
    }
}
