//! Products, their price history and deals, and the scheduling of product
//! checks (leases, so several instances never check one product at once).

use super::*;

/// Products, their checks and price history, and the deals seen.
/// Reached through [`Store::products`].
#[derive(Clone, Copy, Debug)]
pub struct Products<'a>(pub(super) &'a Store);

impl Products<'_> {
    /// The id of the product at a canonical URL, if anyone watches it.
    pub async fn product_id(&self, canonical_url: &str) -> Result<Option<i64>> {
        let id = on_pool!(self.0, |pool| {
            sqlx::query_scalar("SELECT id FROM products WHERE canonical_url = $1")
                .bind(canonical_url)
                .fetch_optional(pool)
                .await?
        });
        Ok(id)
    }

    /// Store a deal unless one with the same dedupe key exists, or one with
    /// the same fingerprint was seen in the last week. Returns whether it
    /// was new.
    pub async fn insert_deal(&self, deal: &NewDeal, now: i64) -> Result<bool> {
        const FINGERPRINT_WINDOW_SECS: i64 = 7 * 86_400;
        let currency = deal.price.or(deal.was_price).map(|m| m.currency.code());
        let inserted = on_writer!(self.0, |pool| {
            sqlx::query(
                "INSERT INTO deals (source, dedupe_key, title, url, price, was_price, currency, merchant, category, \
                 condition, score, seen_at, fingerprint) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 \
                 WHERE $13 IS NULL OR NOT EXISTS (SELECT 1 FROM deals WHERE fingerprint = $13 AND seen_at >= $14) \
                 ON CONFLICT (dedupe_key) DO NOTHING",
            )
            .bind(&deal.source)
            .bind(&deal.dedupe_key)
            .bind(&deal.title)
            .bind(&deal.url)
            .bind(deal.price.map(|m| m.amount.to_string()))
            .bind(deal.was_price.map(|m| m.amount.to_string()))
            .bind(currency)
            .bind(&deal.merchant)
            .bind(&deal.category)
            .bind(deal.condition.map(|c| c.as_str()))
            .bind(deal.score.map(|s| s.to_string()))
            .bind(now)
            .bind(&deal.fingerprint)
            .bind(now - FINGERPRINT_WINDOW_SECS)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Which of `keys` are dedupe keys of stored deals (one query: the keys
    /// travel as a JSON array).
    pub async fn known_deals(&self, keys: &[&str]) -> Result<std::collections::HashSet<String>> {
        const SQLITE: &str =
            "SELECT dedupe_key FROM deals WHERE dedupe_key IN (SELECT value FROM json_each($1))";
        const POSTGRES: &str = "SELECT dedupe_key FROM deals \
             WHERE dedupe_key IN (SELECT jsonb_array_elements_text($1::text::jsonb))";
        if keys.is_empty() {
            return Ok(Default::default());
        }
        let sql = self.0.dialect(SQLITE, POSTGRES);
        let keys = serde_json::to_string(keys).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let known: Vec<String> = on_pool!(self.0, |pool| {
            sqlx::query_scalar(sql).bind(&keys).fetch_all(pool).await?
        });
        Ok(known.into_iter().collect())
    }

    /// Prices seen for the product at `url` since `since`, in `currency`:
    /// its checks (when someone watches it) and earlier deals for it.
    pub async fn prices_seen(
        &self,
        url: &str,
        currency: Currency,
        since: i64,
    ) -> Result<Vec<Decimal>> {
        let texts: Vec<String> = on_pool!(self.0, |pool| {
            sqlx::query_scalar(
                "SELECT pp.price FROM price_points pp JOIN products p ON p.id = pp.product_id \
                 WHERE p.canonical_url = $1 AND pp.currency = $2 AND pp.observed_at >= $3 AND pp.price IS NOT NULL \
                 UNION ALL \
                 SELECT price FROM deals WHERE url = $1 AND currency = $2 AND seen_at >= $3 AND price IS NOT NULL",
            )
            .bind(url)
            .bind(currency.code())
            .bind(since)
            .fetch_all(pool)
            .await?
        });
        Ok(texts.iter().filter_map(|t| t.parse().ok()).collect())
    }

    /// Lease up to `limit` products that are due (and watched by someone),
    /// oldest due first so none starves. A lease expires by itself, so a
    /// scheduler that dies mid-check delays a product, never loses it. On
    /// PostgreSQL, `FOR UPDATE SKIP LOCKED` lets several instances claim at
    /// once without ever claiming the same product.
    pub async fn claim_due(
        &self,
        owner: &str,
        now: i64,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<DueProduct>> {
        const SQLITE: &str =
            "UPDATE products SET lease_owner = $1, lease_expires_at = $2 WHERE id IN (\
             SELECT p.id FROM products p WHERE p.next_check_at <= $3 \
             AND (p.lease_expires_at IS NULL OR p.lease_expires_at < $3) \
             AND EXISTS (SELECT 1 FROM watches w WHERE w.product_id = p.id AND w.state = 'active') \
             ORDER BY p.next_check_at, p.id LIMIT $4) \
             RETURNING id, canonical_url, etag, last_modified, consecutive_failures";
        const POSTGRES: &str =
            "UPDATE products SET lease_owner = $1, lease_expires_at = $2 WHERE id IN (\
             SELECT p.id FROM products p WHERE p.next_check_at <= $3 \
             AND (p.lease_expires_at IS NULL OR p.lease_expires_at < $3) \
             AND EXISTS (SELECT 1 FROM watches w WHERE w.product_id = p.id AND w.state = 'active') \
             ORDER BY p.next_check_at, p.id LIMIT $4 FOR UPDATE OF p SKIP LOCKED) \
             RETURNING id, canonical_url, etag, last_modified, consecutive_failures";
        let sql = self.0.dialect(SQLITE, POSTGRES);
        let rows: Vec<rows::DueRow> = on_writer!(self.0, |pool| {
            sqlx::query_as(sql)
                .bind(owner)
                .bind(now + lease_secs)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        let mut due: Vec<DueProduct> = rows.into_iter().map(DueProduct::from).collect();
        due.sort_by_key(|d| d.id);
        Ok(due)
    }

    /// Give back the leases `owner` holds (shutdown): another scheduler, or
    /// this one after a restart, checks those products without waiting.
    pub async fn release_leases(&self, owner: &str) -> Result<u64> {
        Ok(on_writer!(self.0, |pool| {
            sqlx::query(
                "UPDATE products SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = $1",
            )
            .bind(owner)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }

    /// The plans of a product's active watchers: it is checked as often as
    /// the best of them allows.
    pub async fn watcher_plans(&self, product_id: i64) -> Result<Vec<crate::model::Plan>> {
        let names: Vec<String> = on_pool!(self.0, |pool| {
            sqlx::query_scalar(
                "SELECT DISTINCT u.plan FROM watches w JOIN users u ON u.id = w.user_id \
                 WHERE w.product_id = $1 AND w.state = 'active'",
            )
            .bind(product_id)
            .fetch_all(pool)
            .await?
        });
        names
            .iter()
            .map(|n| {
                crate::model::Plan::from_name(n)
                    .ok_or_else(|| StoreError::Corrupt(format!("plan {n:?}")))
            })
            .collect()
    }

    /// Record a check's result and what it means for every active watch on
    /// the product, in one transaction: the product's state, a price point
    /// if the price or availability changed, each watch's new reference,
    /// and the outbox rows (deduplicated by key, so a retried check never
    /// alerts twice). `decide` is called once per active watch with the
    /// product's state before and after, and the new price point's id.
    /// Nothing is written if `owner` no longer holds the lease.
    pub async fn apply_check<F>(
        &self,
        product_id: i64,
        owner: &str,
        result: &CheckResult,
        next_check_at: i64,
        now: i64,
        mut decide: F,
    ) -> Result<Applied>
    where
        F: FnMut(
            &WatchState,
            &crate::watching::Snapshot,
            &crate::watching::Snapshot,
            Option<i64>,
        ) -> WatchDecision,
    {
        on_writer!(self.0, |pool| {
            let mut tx = pool.begin().await?;
            let held: Option<PriceColumns> = sqlx::query_as(
                "UPDATE products SET lease_owner = NULL, lease_expires_at = NULL, next_check_at = $3 \
                 WHERE id = $1 AND lease_owner = $2 RETURNING price, currency, availability",
            )
            .bind(product_id)
            .bind(owner)
            .bind(next_check_at)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((old_price, old_currency, old_availability)) = held else {
                tx.rollback().await?;
                return Ok(Applied {
                    applied: false,
                    price_changed: false,
                    notices: 0,
                });
            };
            let before = rows::snapshot(
                old_price.as_deref(),
                old_currency.as_deref(),
                &old_availability,
            )?;
            let mut after = before;
            let mut price_point = None;
            let mut changed = false;
            match result {
                CheckResult::Observed {
                    observation,
                    validators,
                    method,
                } => {
                    let price = observation.price.map(|m| m.amount.to_string());
                    let currency = observation.price.map(|m| m.currency.code());
                    let availability = observation.availability.as_str();
                    after = crate::watching::Snapshot {
                        price: observation.price,
                        availability: observation.availability,
                    };
                    changed = after != before;
                    sqlx::query(
                        "UPDATE products SET title = COALESCE($2, title), image_url = COALESCE($3, image_url), \
                         price = $4, currency = $5, availability = $6, extract_method = $7, etag = $8, \
                         last_modified = $9, last_checked_at = $10, consecutive_failures = 0, last_error = NULL \
                         WHERE id = $1",
                    )
                    .bind(product_id)
                    .bind(&observation.title)
                    .bind(&observation.image_url)
                    .bind(&price)
                    .bind(currency)
                    .bind(availability)
                    .bind(*method)
                    .bind(&validators.etag)
                    .bind(&validators.last_modified)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    if changed {
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO price_points (product_id, price, currency, availability, observed_at) \
                             VALUES ($1, $2, $3, $4, $5) RETURNING id",
                        )
                        .bind(product_id)
                        .bind(&price)
                        .bind(currency)
                        .bind(availability)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?;
                        price_point = Some(id);
                    }
                }
                CheckResult::NotModified => {
                    sqlx::query("UPDATE products SET last_checked_at = $2, consecutive_failures = 0, last_error = NULL WHERE id = $1")
                        .bind(product_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                CheckResult::Failed { error, .. } => {
                    sqlx::query(
                        "UPDATE products SET consecutive_failures = consecutive_failures + 1, last_error = $2 WHERE id = $1",
                    )
                    .bind(product_id)
                    .bind(error)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            let watches: Vec<rows::WatchStateRow> = sqlx::query_as(
                "SELECT id, user_id, item_no, target_price, target_currency, drop_percent, back_in_stock, \
                 reference_price, reference_currency, first_reported FROM watches \
                 WHERE product_id = $1 AND state = 'active' ORDER BY id",
            )
            .bind(product_id)
            .fetch_all(&mut *tx)
            .await?;
            let mut notices = 0;
            for row in watches {
                let watch = WatchState::try_from(row)?;
                let decision = decide(&watch, &before, &after, price_point);
                if decision.new_reference != watch.rule.reference || decision.mark_reported {
                    sqlx::query(
                        "UPDATE watches SET reference_price = $2, reference_currency = $3, \
                         first_reported = first_reported OR $4 WHERE id = $1",
                    )
                    .bind(watch.watch_id)
                    .bind(decision.new_reference.map(|m| m.amount.to_string()))
                    .bind(decision.new_reference.map(|m| m.currency.code()))
                    .bind(decision.mark_reported)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some((key, notice)) = decision.notice {
                    let payload = serde_json::to_string(&notice)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let inserted = sqlx::query(
                        "INSERT INTO outbox (user_id, kind, dedupe_key, payload, next_attempt_at, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (dedupe_key) DO NOTHING",
                    )
                    .bind(watch.user_id.0)
                    .bind(notice.kind())
                    .bind(&key)
                    .bind(&payload)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    notices += inserted as usize;
                }
            }
            tx.commit().await?;
            Ok(Applied {
                applied: true,
                price_changed: changed,
                notices,
            })
        })
    }

    /// A product's lowest recorded price in one currency.
    pub async fn lowest_price(
        &self,
        product_id: i64,
        currency: crate::money::Currency,
    ) -> Result<Option<crate::money::Money>> {
        let prices: Vec<String> = on_pool!(self.0, |pool| {
            sqlx::query_scalar("SELECT price FROM price_points WHERE product_id = $1 AND currency = $2 AND price IS NOT NULL")
                .bind(product_id)
                .bind(currency.code())
                .fetch_all(pool)
                .await?
        });
        Ok(prices
            .iter()
            .filter_map(|p| rust_decimal::Decimal::from_str(p).ok())
            .min()
            .map(|amount| crate::money::Money::new(amount, currency)))
    }

    /// Title and URL of a product, for notices.
    pub async fn product_label(&self, product_id: i64) -> Result<(Option<String>, String)> {
        let row: (Option<String>, String) = on_pool!(self.0, |pool| {
            sqlx::query_as("SELECT title, canonical_url FROM products WHERE id = $1")
                .bind(product_id)
                .fetch_one(pool)
                .await?
        });
        Ok(row)
    }

    /// A product's price history, oldest first (at most `limit` points).
    pub async fn price_history(&self, product_id: i64, limit: u32) -> Result<Vec<PricePoint>> {
        let rows: Vec<(Option<String>, Option<String>, String, i64)> = on_pool!(self.0, |pool| {
            sqlx::query_as(
                "SELECT price, currency, availability, observed_at FROM price_points \
                 WHERE product_id = $1 ORDER BY observed_at DESC, id DESC LIMIT $2",
            )
            .bind(product_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        let mut points = rows
            .into_iter()
            .map(PricePoint::try_from)
            .collect::<Result<Vec<_>>>()?;
        points.reverse();
        Ok(points)
    }

    /// Deals seen since `since`, newest first, for `test`.
    pub async fn recent_deals(&self, since: i64, limit: u32) -> Result<Vec<RecentDeal>> {
        let rows: Vec<rows::DealRow> = on_pool!(self.0, |pool| {
            sqlx::query_as(
                "SELECT title, url, price, was_price, currency, merchant, category, condition, score, seen_at \
                 FROM deals WHERE seen_at >= $1 ORDER BY seen_at DESC, id DESC LIMIT $2",
            )
            .bind(since)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(RecentDeal::try_from).collect()
    }
}
