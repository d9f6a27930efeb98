//! Watches and deal rules: adding within plan limits, listing, pausing,
//! resuming, deleting, and what the matcher needs of them.

use super::*;

/// A person's watches and deal rules: adding within plan limits, listing, what the matcher needs.
/// Reached through [`Store::items`].
#[derive(Clone, Copy, Debug)]
pub struct Items<'a>(pub(super) &'a Store);

impl Items<'_> {
    /// Add a watch, or update the conditions of the user's existing watch on
    /// the same product. `limit` is the most active watches the user's plan
    /// allows; a new watch past it is refused, and nothing is stored.
    /// (In a unit of its own; [`Unit::add_watch`] joins a larger one.)
    pub async fn add_watch(
        &self,
        user: UserId,
        watch: &NewWatch,
        limit: u32,
        now: i64,
    ) -> Result<AddOutcome> {
        let mut unit = self.0.begin().await?;
        let done = unit.add_watch(user, watch, limit, now).await?;
        unit.commit().await?;
        Ok(done)
    }

    /// Add a deal rule, unless the user already has `limit` active rules.
    /// (In a unit of its own; [`Unit::add_rule`] joins a larger one.)
    pub async fn add_rule(
        &self,
        user: UserId,
        rule: &RuleSpec,
        destination: Option<i64>,
        limit: u32,
        now: i64,
    ) -> Result<AddOutcome> {
        let mut unit = self.0.begin().await?;
        let done = unit.add_rule(user, rule, destination, limit, now).await?;
        unit.commit().await?;
        Ok(done)
    }

    /// Every watch and rule of one user, ordered by number.
    pub async fn of(&self, user: UserId) -> Result<Vec<Item>> {
        let (watches, rules): (Vec<rows::WatchRow>, Vec<rows::RuleRow>) =
            on_pool!(self.0, |pool| {
                let watches = sqlx::query_as(concat!(
                    "SELECT ",
                    crate::watch_columns!(),
                    " FROM watches w JOIN products p ON p.id = w.product_id WHERE w.user_id = $1"
                ))
                .bind(user.0)
                .fetch_all(pool)
                .await?;
                let rules = sqlx::query_as(concat!(
                    "SELECT ",
                    crate::rule_columns!(),
                    " FROM rules WHERE user_id = $1"
                ))
                .bind(user.0)
                .fetch_all(pool)
                .await?;
                (watches, rules)
            });
        let mut items = Vec::with_capacity(watches.len() + rules.len());
        for row in watches {
            items.push(Item::Watch(WatchItem::try_from(row)?));
        }
        for row in rules {
            items.push(Item::Rule(RuleItem::try_from(row)?));
        }
        items.sort_by_key(Item::no);
        Ok(items)
    }

    /// One of the user's own items, or `None` if that number is not theirs.
    pub async fn item(&self, user: UserId, no: ItemNo) -> Result<Option<Item>> {
        let (watch, rule): (Option<rows::WatchRow>, Option<rows::RuleRow>) = on_pool!(
            self.0,
            |pool| {
                let watch = sqlx::query_as(concat!(
                "SELECT ",
                crate::watch_columns!(),
                " FROM watches w JOIN products p ON p.id = w.product_id WHERE w.user_id = $1 AND w.item_no = $2"
            ))
            .bind(user.0)
            .bind(i64::from(no.get()))
            .fetch_optional(pool)
            .await?;
                let rule = sqlx::query_as(concat!(
                    "SELECT ",
                    crate::rule_columns!(),
                    " FROM rules WHERE user_id = $1 AND item_no = $2"
                ))
                .bind(user.0)
                .bind(i64::from(no.get()))
                .fetch_optional(pool)
                .await?;
                (watch, rule)
            }
        );
        match (watch, rule) {
            (Some(w), _) => Ok(Some(Item::Watch(WatchItem::try_from(w)?))),
            (None, Some(r)) => Ok(Some(Item::Rule(RuleItem::try_from(r)?))),
            (None, None) => Ok(None),
        }
    }

    /// How many active watches and rules a user has, for `plan`.
    pub async fn usage(&self, user: UserId) -> Result<(u32, u32)> {
        let (watches, rules): (i64, i64) = on_pool!(self.0, |pool| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM watches WHERE user_id = $1 AND state = 'active'), \
                        (SELECT COUNT(*) FROM rules WHERE user_id = $1 AND state = 'active' \
                         AND destination_id IS NULL AND post_address IS NULL)",
            )
            .bind(user.0)
            .fetch_one(pool)
            .await?
        });
        let count =
            |n: i64| u32::try_from(n).map_err(|_| StoreError::Corrupt("negative count".into()));
        Ok((count(watches)?, count(rules)?))
    }

    /// Every active rule with its owner, for matching new deals.
    pub async fn active_rules(&self) -> Result<Vec<ActiveRule>> {
        let rows: Vec<rows::ActiveRuleRow> = on_pool!(self.0, |pool| {
            sqlx::query_as(concat!(
                "SELECT id, user_id, ",
                crate::rule_columns!(),
                " FROM rules WHERE state = 'active' ORDER BY id"
            ))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(ActiveRule::try_from).collect()
    }

    /// The rules revision: a counter every change to any rule bumps (a
    /// trigger in the database, so changes made by other instances count).
    pub async fn rules_revision(&self) -> Result<i64> {
        let n = on_pool!(self.0, |pool| {
            sqlx::query_scalar("SELECT n FROM revisions WHERE name = 'rules'")
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }
}

impl Unit {
    /// Add a watch, or update the conditions of the user's existing watch on
    /// the same product. `limit` is the most active watches the user's plan
    /// allows; a new watch past it is refused, and nothing is stored.
    pub async fn add_watch(
        &mut self,
        user: UserId,
        watch: &NewWatch,
        limit: u32,
        now: i64,
    ) -> Result<AddOutcome> {
        in_unit!(self, |conn| {
            let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
            // Writing the user row first takes its lock, so two messages from
            // one person cannot both pass the limit check.
            let next_no: i64 = sqlx::query_scalar(
                "UPDATE users SET updated_at = $2 WHERE id = $1 RETURNING next_item_no",
            )
            .bind(user.0)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO products (canonical_url, host, next_check_at, created_at) VALUES ($1, $2, $3, $3) \
                 ON CONFLICT (canonical_url) DO NOTHING",
            )
            .bind(&watch.canonical_url)
            .bind(&watch.host)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let product_id: i64 =
                sqlx::query_scalar("SELECT id FROM products WHERE canonical_url = $1")
                    .bind(&watch.canonical_url)
                    .fetch_one(&mut *tx)
                    .await?;
            let existing: Option<(i64, String)> = sqlx::query_as(
                "SELECT item_no, state FROM watches WHERE user_id = $1 AND product_id = $2",
            )
            .bind(user.0)
            .bind(product_id)
            .fetch_optional(&mut *tx)
            .await?;
            let target_price = watch.target.map(|t| t.amount.to_string());
            let target_currency = watch.target.and_then(|t| t.currency).map(|c| c.code());
            let drop_percent = watch.drop_percent.map(|d| d.to_string());
            if let Some((item_no, state)) = existing {
                if state != ItemState::Active.as_str()
                    && count_active!(tx, "watches", user) >= i64::from(limit)
                {
                    tx.rollback().await?;
                    return Ok(AddOutcome::LimitReached { limit });
                }
                sqlx::query(
                    "UPDATE watches SET target_price = $3, target_currency = $4, drop_percent = $5, \
                     back_in_stock = $6, state = 'active', paused_reason = NULL, last_alert_key = NULL \
                     WHERE user_id = $1 AND item_no = $2",
                )
                .bind(user.0)
                .bind(item_no)
                .bind(&target_price)
                .bind(target_currency)
                .bind(&drop_percent)
                .bind(watch.back_in_stock)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                return Ok(AddOutcome::Updated(rows::item_no(item_no)?));
            }
            if count_active!(tx, "watches", user) >= i64::from(limit) {
                tx.rollback().await?;
                return Ok(AddOutcome::LimitReached { limit });
            }
            sqlx::query(
                "INSERT INTO watches (user_id, item_no, product_id, target_price, target_currency, drop_percent, \
                 back_in_stock, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(user.0)
            .bind(next_no)
            .bind(product_id)
            .bind(&target_price)
            .bind(target_currency)
            .bind(&drop_percent)
            .bind(watch.back_in_stock)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE users SET next_item_no = $2 WHERE id = $1")
                .bind(user.0)
                .bind(next_no + 1)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(AddOutcome::Created(rows::item_no(next_no)?))
        })
    }

    /// Add a deal rule, unless the user already has `limit` active rules.
    pub async fn add_rule(
        &mut self,
        user: UserId,
        rule: &RuleSpec,
        destination: Option<i64>,
        limit: u32,
        now: i64,
    ) -> Result<AddOutcome> {
        let words =
            serde_json::to_string(&rule.words).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let excluded = serde_json::to_string(&rule.excluded)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let currency = rule
            .max_price
            .and_then(|p| p.currency)
            .or(rule.min_price.and_then(|p| p.currency))
            .map(|c| c.code());
        in_unit!(self, |conn| {
            let tx = conn;
            // Two statements when the rule is added: writing the user row
            // takes its lock and the next number (so two messages from one
            // person cannot both pass the limit), then the rule is inserted
            // only if the limit allows it, counted in the same statement.
            let next_no: i64 = sqlx::query_scalar(
                "UPDATE users SET updated_at = $2, next_item_no = next_item_no + 1 WHERE id = $1 \
                 RETURNING next_item_no - 1",
            )
            .bind(user.0)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let added = sqlx::query(
                "INSERT INTO rules (user_id, item_no, words, excluded, min_price, max_price, currency, category, \
                 min_score, condition, created_at, channel, destination_id) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 \
                 WHERE ($13 IS NULL OR EXISTS (SELECT 1 FROM destinations WHERE id = $13 AND owner_id = $1)) \
                 AND (SELECT COUNT(*) FROM rules WHERE user_id = $1 AND state = 'active' \
                      AND (($13 IS NULL AND destination_id IS NULL AND post_address IS NULL) OR destination_id = $13)) < $14",
            )
            .bind(user.0)
            .bind(next_no)
            .bind(&words)
            .bind(&excluded)
            .bind(rule.min_price.map(|p| p.amount.to_string()))
            .bind(rule.max_price.map(|p| p.amount.to_string()))
            .bind(currency)
            .bind(&rule.category)
            .bind(rule.min_score.map(|s| s.to_string()))
            .bind(rule.condition.map(|c| c.as_str()))
            .bind(now)
            .bind(rule.via.map(dealwatch_bots::Channel::as_str))
            .bind(destination)
            .bind(i64::from(limit))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if added == 0 {
                // Refused: the number is given back, and the reason told.
                sqlx::query("UPDATE users SET next_item_no = $2 WHERE id = $1")
                    .bind(user.0)
                    .bind(next_no)
                    .execute(&mut *tx)
                    .await?;
                if active_rules!(tx, user, destination) >= i64::from(limit) {
                    return Ok(AddOutcome::LimitReached { limit });
                }
                return Err(StoreError::Corrupt(format!(
                    "destination {destination:?} is not user {}'s",
                    user.0
                )));
            }
            Ok(AddOutcome::Created(rows::item_no(next_no)?))
        })
    }

    /// Pause or resume one of the user's items. Resuming checks the plan
    /// limit for that kind of item (`limits`: a community's alerts are
    /// counted per community). With `only`, nothing but that community's
    /// alerts is found.
    pub async fn set_state(
        &mut self,
        user: UserId,
        no: ItemNo,
        state: ItemState,
        limits: &crate::plans::PlanLimits,
        only: Option<i64>,
        now: i64,
    ) -> Result<StateChange> {
        let no = i64::from(no.get());
        in_unit!(self, |conn| {
            let tx = conn;
            sqlx::query("UPDATE users SET updated_at = $2 WHERE id = $1")
                .bind(user.0)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            // `table` only ever comes from this fixed list, never from input.
            let mut found = None;
            for (kind, table) in [(ItemKind::Watch, "watches"), (ItemKind::Rule, "rules")] {
                if only.is_some() && kind == ItemKind::Watch {
                    continue;
                }
                let destination = match kind {
                    ItemKind::Watch => "NULL",
                    ItemKind::Rule => "destination_id",
                };
                let current: Option<(String, Option<i64>)> =
                    sqlx::query_as(AssertSqlSafe(format!(
                    "SELECT state, {destination} FROM {table} WHERE user_id = $1 AND item_no = $2"
                )))
                    .bind(user.0)
                    .bind(no)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(current) = current {
                    found = Some((kind, table, current));
                    break;
                }
            }
            let Some((kind, table, (current, destination))) = found else {
                return Ok(StateChange::NotFound);
            };
            if only.is_some() && destination != only {
                return Ok(StateChange::NotFound);
            }
            if current == state.as_str() {
                return Ok(StateChange::Unchanged(kind));
            }
            if state == ItemState::Active {
                let (limit, active) = match kind {
                    ItemKind::Watch => (limits.watches, count_active!(tx, "watches", user)),
                    ItemKind::Rule if destination.is_some() => {
                        (limits.community_rules, active_rules!(tx, user, destination))
                    }
                    ItemKind::Rule => (limits.rules, active_rules!(tx, user, None::<i64>)),
                };
                if active >= i64::from(limit) {
                    return Ok(StateChange::LimitReached { kind, limit });
                }
            }
            let reason = (state == ItemState::Paused).then_some("user");
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE {table} SET state = $3, paused_reason = $4 WHERE user_id = $1 AND item_no = $2"
            )))
            .bind(user.0)
            .bind(no)
            .bind(state.as_str())
            .bind(reason)
            .execute(&mut *tx)
            .await?;
            Ok(StateChange::Changed(kind))
        })
    }

    /// Delete one of the user's items; `None` if that number is not theirs.
    /// With `only`, nothing but that community's alerts is found.
    pub async fn delete_item(
        &mut self,
        user: UserId,
        no: ItemNo,
        only: Option<i64>,
    ) -> Result<Option<ItemKind>> {
        let no = i64::from(no.get());
        in_unit!(self, |conn| {
            let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
            let watch = if only.is_some() {
                0
            } else {
                sqlx::query("DELETE FROM watches WHERE user_id = $1 AND item_no = $2")
                    .bind(user.0)
                    .bind(no)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
            };
            let rule = sqlx::query(
                "DELETE FROM rules WHERE user_id = $1 AND item_no = $2 \
                 AND ($3 IS NULL OR destination_id = $3)",
            )
            .bind(user.0)
            .bind(no)
            .bind(only)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(match (watch, rule) {
                (0, 0) => None,
                (0, _) => Some(ItemKind::Rule),
                _ => Some(ItemKind::Watch),
            })
        })
    }

    /// Name one of the user's items (`None` takes the name away); `None`
    /// if that number is not theirs. Watches and rules share numbers, so
    /// at most one of the two statements finds it.
    pub async fn label_item(
        &mut self,
        user: UserId,
        no: ItemNo,
        label: Option<&str>,
    ) -> Result<Option<ItemKind>> {
        let no = i64::from(no.get());
        in_unit!(self, |conn| {
            let watch =
                sqlx::query("UPDATE watches SET label = $3 WHERE user_id = $1 AND item_no = $2")
                    .bind(user.0)
                    .bind(no)
                    .bind(label)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
            if watch > 0 {
                return Ok(Some(ItemKind::Watch));
            }
            let rule =
                sqlx::query("UPDATE rules SET label = $3 WHERE user_id = $1 AND item_no = $2")
                    .bind(user.0)
                    .bind(no)
                    .bind(label)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
            Ok((rule > 0).then_some(ItemKind::Rule))
        })
    }
}
