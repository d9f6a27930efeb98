//! Purpose: what each plan allows.
//!
//! The defaults are the contract's table; an operator can change any figure
//! through `DEALWATCH_PLAN_<PLAN>_<LIMIT>` (see [`crate::config`]).

use crate::model::Plan;
use std::time::Duration;

/// The limits of one plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// Most active watches.
    pub watches: u32,
    /// Most active deal rules.
    pub rules: u32,
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
                check_interval: Duration::from_secs(6 * 3600),
                sms_per_day: 0,
            },
            pro: PlanLimits {
                watches: 100,
                rules: 25,
                check_interval: Duration::from_secs(3600),
                sms_per_day: 5,
            },
            premium: PlanLimits {
                watches: 1000,
                rules: 200,
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
}
