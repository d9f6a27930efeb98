//! Billing rows: Stripe events (applied once by event id), subscriptions
//! (their newest state, whatever order events arrive in), the customer a
//! user pays as, and plan changes with what they pause or resume.

use super::{Db, Result, Store, StoreError, Unit, UserId};
use crate::model::Plan;
use crate::plans::PlanLimits;
use sqlx::AssertSqlSafe;

/// A subscription's state as one event tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionState {
    pub id: String,
    pub user: UserId,
    pub customer_id: Option<String>,
    pub plan: Plan,
    pub status: String,
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    /// The event's `created`.
    pub state_at: i64,
    /// Orders states within one second: a later lifecycle stage wins.
    pub state_rank: i64,
}

/// What a plan change did to the user's items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanChange {
    /// The plan before.
    pub was: Option<Plan>,
    /// Items paused because the new plan allows fewer (item numbers).
    pub paused: Vec<u32>,
    /// Items a plan had paused, active again.
    pub resumed: Vec<u32>,
}

/// Stripe's events, customers, subscriptions and the plan they entitle.
/// Reached through [`Store::billing`].
#[derive(Clone, Copy, Debug)]
pub struct Billing<'a>(pub(super) &'a Store);

impl Billing<'_> {
    /// Record a Stripe event. `true` when it still has to be applied (new,
    /// or recorded earlier but not applied); `false` for one already applied.
    pub async fn record_event(
        &self,
        event_id: &str,
        kind: &str,
        created: i64,
        payload: &str,
        now: i64,
    ) -> Result<bool> {
        let applied: Option<Option<i64>> = on_writer!(self.0, |pool| {
            sqlx::query(
                "INSERT INTO billing_events (provider, event_id, event_type, payload, event_created_at, received_at) \
                 VALUES ('stripe', $1, $2, $3, $4, $5) ON CONFLICT (provider, event_id) DO NOTHING",
            )
            .bind(event_id)
            .bind(kind)
            .bind(payload)
            .bind(created)
            .bind(now)
            .execute(pool)
            .await?;
            sqlx::query_scalar(
                "SELECT applied_at FROM billing_events WHERE provider = 'stripe' AND event_id = $1",
            )
            .bind(event_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(matches!(applied, Some(None)))
    }

    /// Mark a Stripe event applied.
    pub async fn event_applied(&self, event_id: &str, now: i64) -> Result<()> {
        on_writer!(self.0, |pool| {
            sqlx::query(
                "UPDATE billing_events SET applied_at = $2 WHERE provider = 'stripe' AND event_id = $1",
            )
            .bind(event_id)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// How many Stripe events are recorded (each id once).
    pub async fn event_count(&self) -> Result<i64> {
        let n = on_pool!(self.0, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM billing_events WHERE provider = 'stripe'")
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }

    /// Whether a user with this id exists.
    pub async fn user_exists(&self, user: UserId) -> Result<bool> {
        let found: Option<i64> = on_pool!(self.0, |pool| {
            sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                .bind(user.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// The Stripe customer a user pays as, once they have checked out.
    pub async fn stripe_customer(&self, user: UserId) -> Result<Option<String>> {
        let customer: Option<Option<String>> = on_pool!(self.0, |pool| {
            sqlx::query_scalar("SELECT stripe_customer_id FROM users WHERE id = $1")
                .bind(user.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(customer.flatten())
    }

    /// The user who pays as `customer`.
    pub async fn user_by_customer(&self, customer: &str) -> Result<Option<UserId>> {
        let user: Option<i64> = on_pool!(self.0, |pool| {
            sqlx::query_scalar("SELECT id FROM users WHERE stripe_customer_id = $1")
                .bind(customer)
                .fetch_optional(pool)
                .await?
        });
        Ok(user.map(UserId))
    }

    /// Remember that `user` pays as `customer`, unless another user already
    /// does (then nothing changes and `false` comes back).
    pub async fn link_customer(&self, user: UserId, customer: &str, now: i64) -> Result<bool> {
        let done = on_writer!(self.0, |pool| {
            sqlx::query(
                "UPDATE users SET stripe_customer_id = $2, updated_at = $3 WHERE id = $1 \
                 AND NOT EXISTS (SELECT 1 FROM users WHERE stripe_customer_id = $2 AND id <> $1)",
            )
            .bind(user.0)
            .bind(customer)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// The user a subscription belongs to, if we know it.
    pub async fn subscription_user(&self, id: &str) -> Result<Option<UserId>> {
        let user: Option<i64> = on_pool!(self.0, |pool| {
            sqlx::query_scalar("SELECT user_id FROM subscriptions WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(user.map(UserId))
    }

    /// Store a subscription's state unless a newer one is stored (later
    /// `state_at`, or the same second and a later stage). With `only_new`,
    /// only a subscription not seen before is stored. Returns whether it
    /// was stored.
    pub async fn save_subscription(
        &self,
        s: &SubscriptionState,
        only_new: bool,
        now: i64,
    ) -> Result<bool> {
        const INSERT: &str = "INSERT INTO subscriptions (id, user_id, customer_id, plan, status, current_period_end, \
             cancel_at_period_end, state_at, state_rank, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ";
        const NEW_ONLY: &str = "ON CONFLICT (id) DO NOTHING";
        const NEWER: &str = "ON CONFLICT (id) DO UPDATE SET customer_id = COALESCE(excluded.customer_id, subscriptions.customer_id), \
             plan = excluded.plan, status = excluded.status, current_period_end = excluded.current_period_end, \
             cancel_at_period_end = excluded.cancel_at_period_end, state_at = excluded.state_at, \
             state_rank = excluded.state_rank, updated_at = excluded.updated_at \
             WHERE subscriptions.state_at < excluded.state_at \
             OR (subscriptions.state_at = excluded.state_at AND subscriptions.state_rank <= excluded.state_rank)";
        let sql = format!("{INSERT}{}", if only_new { NEW_ONLY } else { NEWER });
        let stored = on_writer!(self.0, |pool| {
            sqlx::query(AssertSqlSafe(sql))
                .bind(&s.id)
                .bind(s.user.0)
                .bind(&s.customer_id)
                .bind(s.plan.as_str())
                .bind(&s.status)
                .bind(s.current_period_end)
                .bind(i64::from(s.cancel_at_period_end))
                .bind(s.state_at)
                .bind(s.state_rank)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(stored == 1)
    }

    /// Move a subscription's period end later (an invoice paid); the user
    /// it belongs to, if it is known.
    pub async fn extend_subscription(&self, id: &str, period_end: i64) -> Result<Option<UserId>> {
        on_writer!(self.0, |pool| {
            sqlx::query(
                "UPDATE subscriptions SET current_period_end = $2 \
                 WHERE id = $1 AND (current_period_end IS NULL OR current_period_end < $2)",
            )
            .bind(id)
            .bind(period_end)
            .execute(pool)
            .await?;
        });
        self.subscription_user(id).await
    }

    /// The plan a user's subscriptions entitle them to, and when it renews:
    /// the best plan among those active, trialing or past due (Stripe is
    /// still retrying the payment).
    pub async fn entitled_plan(&self, user: UserId) -> Result<(Plan, Option<i64>)> {
        let rows: Vec<(String, Option<i64>)> = on_pool!(self.0, |pool| {
            sqlx::query_as(
                "SELECT plan, current_period_end FROM subscriptions \
                 WHERE user_id = $1 AND status IN ('active', 'trialing', 'past_due')",
            )
            .bind(user.0)
            .fetch_all(pool)
            .await?
        });
        let mut best = (Plan::Free, None);
        for (plan, renews) in rows {
            let plan = Plan::from_name(&plan)
                .ok_or_else(|| StoreError::Corrupt(format!("subscription plan {plan}")))?;
            if plan > best.0 {
                best = (plan, renews);
            }
        }
        Ok(best)
    }

    /// Put `user` on `plan` at once: limits follow it, so active items over
    /// the new limits are paused (the newest first, reason 'plan'), items
    /// an earlier plan change paused are resumed while there is room (the
    /// oldest first), and watched products due later than the new check
    /// interval are brought forward.
    /// (In a unit of its own; [`Unit::change_plan`] joins a larger one.)
    pub async fn change_plan(
        &self,
        user: UserId,
        plan: Plan,
        renews_at: Option<i64>,
        limits: PlanLimits,
        now: i64,
    ) -> Result<PlanChange> {
        let mut unit = self.0.begin().await?;
        let done = unit.change_plan(user, plan, renews_at, limits, now).await?;
        unit.commit().await?;
        Ok(done)
    }
}

impl Unit {
    /// Put `user` on `plan` at once: limits follow it, so active items over
    /// the new limits are paused (the newest first, reason 'plan'), items
    /// an earlier plan change paused are resumed while there is room (the
    /// oldest first), and watched products due later than the new check
    /// interval are brought forward.
    pub async fn change_plan(
        &mut self,
        user: UserId,
        plan: Plan,
        renews_at: Option<i64>,
        limits: PlanLimits,
        now: i64,
    ) -> Result<PlanChange> {
        let next_check =
            now.saturating_add(i64::try_from(limits.check_interval.as_secs()).unwrap_or(i64::MAX));
        in_unit!(self, |conn| {
            let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
            let was: Option<String> = sqlx::query_scalar("SELECT plan FROM users WHERE id = $1")
                .bind(user.0)
                .fetch_optional(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE users SET plan = $2, plan_renews_at = $3, updated_at = $4 WHERE id = $1",
            )
            .bind(user.0)
            .bind(plan.as_str())
            .bind(renews_at)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let mut change = PlanChange {
                was: was.as_deref().and_then(Plan::from_name),
                ..PlanChange::default()
            };
            // Each limit counts its own items: watches; the person's own
            // rules; each community's rules. `table` and `scope` are only
            // ever these fixed fragments and ids read from the database.
            let communities: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM destinations WHERE owner_id = $1 ORDER BY id")
                    .bind(user.0)
                    .fetch_all(&mut *tx)
                    .await?;
            let mut scopes: Vec<(&str, String, u32)> = vec![
                ("watches", "TRUE".to_owned(), limits.watches),
                (
                    "rules",
                    "destination_id IS NULL AND post_address IS NULL".to_owned(),
                    limits.rules,
                ),
            ];
            scopes.extend(communities.iter().map(|id| {
                (
                    "rules",
                    format!("destination_id = {id}"),
                    limits.community_rules,
                )
            }));
            for (table, scope, limit) in scopes {
                let active: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM {table} WHERE user_id = $1 AND state = 'active' AND {scope}"
                )))
                .bind(user.0)
                .fetch_one(&mut *tx)
                .await?;
                let limit = i64::from(limit);
                if active > limit {
                    let paused: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
                        "UPDATE {table} SET state = 'paused', paused_reason = 'plan' \
                         WHERE user_id = $1 AND item_no IN (SELECT item_no FROM {table} \
                         WHERE user_id = $1 AND state = 'active' AND {scope} ORDER BY item_no DESC LIMIT $2) \
                         RETURNING item_no"
                    )))
                    .bind(user.0)
                    .bind(active - limit)
                    .fetch_all(&mut *tx)
                    .await?;
                    change
                        .paused
                        .extend(paused.into_iter().filter_map(|n| u32::try_from(n).ok()));
                } else if active < limit {
                    let resumed: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
                        "UPDATE {table} SET state = 'active', paused_reason = NULL \
                         WHERE user_id = $1 AND item_no IN (SELECT item_no FROM {table} \
                         WHERE user_id = $1 AND state = 'paused' AND paused_reason = 'plan' AND {scope} \
                         ORDER BY item_no LIMIT $2) RETURNING item_no"
                    )))
                    .bind(user.0)
                    .bind(limit - active)
                    .fetch_all(&mut *tx)
                    .await?;
                    change
                        .resumed
                        .extend(resumed.into_iter().filter_map(|n| u32::try_from(n).ok()));
                }
            }
            sqlx::query(
                "UPDATE products SET next_check_at = $2 WHERE next_check_at > $2 AND id IN \
                 (SELECT product_id FROM watches WHERE user_id = $1 AND state = 'active')",
            )
            .bind(user.0)
            .bind(next_check)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            change.paused.sort_unstable();
            change.resumed.sort_unstable();
            Ok(change)
        })
    }
}
