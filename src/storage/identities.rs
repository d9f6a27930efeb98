//! Users, their chat identities and account linking: who wrote to us, where
//! they are reached, their settings, and joining two accounts into one.

use super::*;
use std::collections::HashMap;

const USER_BY_ID: &str = concat!(
    "SELECT ",
    crate::user_columns!(),
    " FROM users WHERE id = $1"
);

const IDENTITY_AND_USER: &str = concat!(
    "SELECT ",
    crate::user_columns!(),
    ", identity_id, channel, external_id, reply_address, opted_out, last_inbound_at, private_chat \
     FROM users JOIN (SELECT id AS identity_id, user_id, channel, external_id, reply_address, opted_out, \
     last_inbound_at, private_chat FROM identities WHERE channel = $1 AND external_id = $2) i \
     ON users.id = i.user_id"
);

/// People and their chat identities: first contact, settings, STOP, link codes, who to reach.
/// Reached through [`Store::users`].
#[derive(Clone, Copy, Debug)]
pub struct Users<'a>(pub(super) &'a Store);

impl Users<'_> {
    /// Find the user behind a chat identity, creating both on first contact.
    /// Also records where replies go now and when the person last wrote
    /// (WhatsApp's 24-hour window is measured from it).
    pub async fn identify(&self, who: &rows::Contact<'_>, now: i64) -> Result<(User, Identity)> {
        let channel = who.channel.as_str();
        for _ in 0..3 {
            let existing: Option<rows::IdentityRow> = on_writer!(self.0, |pool| {
                sqlx::query_as(
                    "UPDATE identities SET reply_address = CASE WHEN $6 THEN $3 ELSE reply_address END, \
                     private_chat = (private_chat OR $6), display_name = COALESCE($4, display_name), \
                     last_inbound_at = $5, disabled_reason = NULL WHERE channel = $1 AND external_id = $2 \
                     RETURNING id, user_id, channel, external_id, reply_address, opted_out, last_inbound_at, private_chat",
                )
                .bind(channel)
                .bind(who.external_id)
                .bind(who.reply_address)
                .bind(who.display_name)
                .bind(now)
                .bind(who.private)
                .fetch_optional(pool)
                .await?
            });
            if let Some(row) = existing {
                let identity = Identity::try_from(row)?;
                let user = self.user(identity.user_id).await?;
                return Ok((user, identity));
            }
            if let Some(made) = self.create(who, now).await? {
                return Ok(made);
            }
        }
        Err(StoreError::Corrupt(format!(
            "identity {channel} could not be created"
        )))
    }

    /// [`Users::identify`] for someone not found a moment ago: the account
    /// is created at once (no update that would find nothing first), and
    /// a concurrent first message that won the race is found instead.
    pub async fn first_contact(
        &self,
        who: &rows::Contact<'_>,
        now: i64,
    ) -> Result<(User, Identity)> {
        match self.create(who, now).await? {
            Some(made) => Ok(made),
            None => self.identify(who, now).await,
        }
    }

    /// Create the user and the identity together; `None` if the identity
    /// exists already (its creation is then undone).
    async fn create(&self, who: &rows::Contact<'_>, now: i64) -> Result<Option<(User, Identity)>> {
        let channel = who.channel.as_str();
        let created: Option<(rows::UserRow, rows::IdentityRow)> = on_writer!(self.0, |pool| {
            let mut tx = pool.begin().await?;
            let user: rows::UserRow = sqlx::query_as(concat!(
                "INSERT INTO users (locale, time_zone, currency, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $4) RETURNING ",
                crate::user_columns!()
            ))
            .bind(who.locale)
            .bind(who.time_zone)
            .bind(who.currency)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let row: Option<rows::IdentityRow> = sqlx::query_as(
                "INSERT INTO identities (user_id, channel, external_id, reply_address, display_name, \
                 last_inbound_at, created_at, private_chat) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) \
                 ON CONFLICT (channel, external_id) DO NOTHING \
                 RETURNING id, user_id, channel, external_id, reply_address, opted_out, last_inbound_at, private_chat",
            )
            .bind(user.id())
            .bind(channel)
            .bind(who.external_id)
            .bind(who.reply_address)
            .bind(who.display_name)
            .bind(now)
            .bind(who.private)
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                Some(row) => {
                    tx.commit().await?;
                    Some((user, row))
                }
                None => {
                    tx.rollback().await?;
                    None
                }
            }
        });
        created
            .map(|(user, identity)| Ok((User::try_from(user)?, Identity::try_from(identity)?)))
            .transpose()
    }

    /// The user behind a chat identity, if it has written before; unlike
    /// [`Users::identify`] this records nothing.
    pub async fn find_identity(
        &self,
        channel: dealwatch_bots::Channel,
        external_id: &str,
    ) -> Result<Option<(User, Identity)>> {
        // One round trip for both: every message starts with this lookup.
        let row: Option<rows::IdentityUserRow> = on_pool!(self.0, |pool| {
            sqlx::query_as(IDENTITY_AND_USER)
                .bind(channel.as_str())
                .bind(external_id)
                .fetch_optional(pool)
                .await?
        });
        row.map(<(User, Identity)>::try_from).transpose()
    }

    /// How many of a user's active watches are on products not yet tried
    /// even once (a first check that failed and will be retried counts as tried).
    pub async fn first_checks_pending(&self, user: UserId) -> Result<u32> {
        let n: i64 = on_pool!(self.0, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM watches w JOIN products p ON p.id = w.product_id \
                 WHERE w.user_id = $1 AND w.state = 'active' AND NOT w.first_reported \
                 AND p.last_checked_at IS NULL AND p.consecutive_failures = 0",
            )
            .bind(user.0)
            .fetch_one(pool)
            .await?
        });
        u32::try_from(n).map_err(|_| StoreError::Corrupt("negative count".into()))
    }

    pub async fn user(&self, id: UserId) -> Result<User> {
        let row: rows::UserRow = on_pool!(self.0, |pool| {
            sqlx::query_as(USER_BY_ID)
                .bind(id.0)
                .fetch_one(pool)
                .await?
        });
        User::try_from(row)
    }

    /// Store a user's preferences (quiet hours, digest, cap, zone, language).
    /// (In a unit of its own; [`Unit::save_settings`] joins a larger one.)
    pub async fn save_settings(&self, id: UserId, settings: &UserSettings, now: i64) -> Result<()> {
        let mut unit = self.0.begin().await?;
        unit.save_settings(id, settings, now).await?;
        unit.commit().await
    }

    /// Opt an identity out of (or back into) every message, as carriers
    /// require for STOP and START.
    /// (In a unit of its own; [`Unit::set_opted_out`] joins a larger one.)
    pub async fn set_opted_out(&self, identity: i64, opted_out: bool) -> Result<()> {
        let mut unit = self.0.begin().await?;
        unit.set_opted_out(identity, opted_out).await?;
        unit.commit().await
    }

    /// Store a one-time link code for `identity`'s user, replacing that
    /// identity's earlier unused codes. `None` when the user made
    /// `max_per_hour` codes in the last hour already.
    /// (In a unit of its own; [`Unit::create_link_code`] joins a larger one.)
    pub async fn create_link_code(
        &self,
        user: UserId,
        identity: i64,
        code: &str,
        now: i64,
        ttl_secs: i64,
        max_per_hour: i64,
    ) -> Result<Option<i64>> {
        let mut unit = self.0.begin().await?;
        let done = unit
            .create_link_code(user, identity, code, now, ttl_secs, max_per_hour)
            .await?;
        unit.commit().await?;
        Ok(done)
    }

    /// Use a link code from another identity: that identity joins the code's
    /// user, bringing its own user's watches and rules (renumbered after the
    /// target's; a watch on a product the target already watches is
    /// dropped), and the emptied user is removed. Single use, atomically.
    /// (In a unit of its own; [`Unit::redeem_link_code`] joins a larger one.)
    pub async fn redeem_link_code(
        &self,
        code: &str,
        redeemer: &Identity,
        now: i64,
    ) -> Result<LinkOutcome> {
        let mut unit = self.0.begin().await?;
        let done = unit.redeem_link_code(code, redeemer, now).await?;
        unit.commit().await?;
        Ok(done)
    }

    /// What joining with `code` would do, without doing it: the account
    /// the code belongs to (its chat apps and plan), and how many watches
    /// and alerts `redeemer` would bring. `None` for a code that is
    /// unknown, used or expired.
    pub async fn link_preview(
        &self,
        code: &str,
        redeemer: UserId,
        now: i64,
    ) -> Result<Option<LinkPreview>> {
        let target: Option<(i64, String)> = on_pool!(self.0, |pool| {
            sqlx::query_as(
                "SELECT u.id, u.plan FROM link_codes c JOIN users u ON u.id = c.user_id \
                 WHERE c.code = $1 AND c.used_at IS NULL AND c.expires_at > $2",
            )
            .bind(code)
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        let Some((target, plan)) = target else {
            return Ok(None);
        };
        let (channels, watches, rules): (Vec<String>, i64, i64) = on_pool!(self.0, |pool| {
            let channels = sqlx::query_scalar(
                "SELECT DISTINCT channel FROM identities WHERE user_id = $1 ORDER BY channel",
            )
            .bind(target)
            .fetch_all(pool)
            .await?;
            let watches = sqlx::query_scalar("SELECT COUNT(*) FROM watches WHERE user_id = $1")
                .bind(redeemer.0)
                .fetch_one(pool)
                .await?;
            let rules = sqlx::query_scalar("SELECT COUNT(*) FROM rules WHERE user_id = $1")
                .bind(redeemer.0)
                .fetch_one(pool)
                .await?;
            (channels, watches, rules)
        });
        Ok(Some(LinkPreview {
            same_account: target == redeemer.0,
            channels: channels
                .iter()
                .filter_map(|c| dealwatch_bots::Channel::from_name(c))
                .collect(),
            plan: Plan::from_name(&plan).unwrap_or(Plan::Free),
            watches: u32::try_from(watches).unwrap_or(u32::MAX),
            rules: u32::try_from(rules).unwrap_or(u32::MAX),
        }))
    }

    /// A user's identities that can receive messages, most recently active first.
    pub async fn reachable_identities(&self, user: UserId) -> Result<Vec<Identity>> {
        self.identities_to_reach(user, false).await
    }

    /// [`Users::reachable_identities`], or with `console` the user's console
    /// identities alone (what `dealwatch chat` delivers to).
    pub async fn identities_to_reach(&self, user: UserId, console: bool) -> Result<Vec<Identity>> {
        let rows: Vec<rows::IdentityRow> = on_pool!(self.0, |pool| {
            sqlx::query_as(
                "SELECT id, user_id, channel, external_id, reply_address, opted_out, last_inbound_at, private_chat FROM identities \
                 WHERE user_id = $1 AND (channel = 'console') = $2 AND NOT opted_out AND disabled_reason IS NULL \
                 ORDER BY last_inbound_at DESC, id DESC",
            )
            .bind(user.0)
            .bind(console)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Identity::try_from).collect()
    }

    /// Stop sending to an identity the platform says cannot be reached
    /// (blocked, unsubscribed, gone). Writing to us again clears it.
    pub async fn disable_identity(&self, identity: i64, why: &str) -> Result<bool> {
        let changed = on_writer!(self.0, |pool| {
            sqlx::query(
                "UPDATE identities SET disabled_reason = $2 WHERE id = $1 AND disabled_reason IS NULL",
            )
            .bind(identity)
            .bind(why)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }
}

/// What using a link code did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkOutcome {
    /// Joined. The surviving account is on the better of the two plans,
    /// renewing then; its limits still have to be applied to what moved.
    Linked {
        /// The account this identity now belongs to.
        into: UserId,
        plan: Plan,
        renews_at: Option<i64>,
    },
    /// Both accounts pay for a subscription: joining would leave one of them
    /// paying for nothing, so nothing was done and the code still works.
    BothPaying,
    /// This identity already belongs to the code's user.
    AlreadyLinked,
    /// Unknown, used or expired.
    Invalid,
}

/// What redeeming a link code would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPreview {
    /// The code belongs to the redeemer's own account already.
    pub same_account: bool,
    /// The chat apps the code's account uses.
    pub channels: Vec<dealwatch_bots::Channel>,
    /// The code's account's plan.
    pub plan: Plan,
    /// The redeemer's watches and alerts, which would move.
    pub watches: u32,
    pub rules: u32,
}

impl Unit {
    /// Record that this identity's person wrote (now): when, under what
    /// name, and, for a private message, where they are answered. A
    /// message from a group never changes the reply address. Written at
    /// [`Unit::commit`], with every other sender of the unit.
    pub fn touch_identity(
        &mut self,
        identity: i64,
        reply_address: &str,
        display_name: Option<&str>,
        private: bool,
        now: i64,
    ) {
        self.touches.push(unit::Touched {
            identity,
            reply_address: reply_address.to_owned(),
            display_name: display_name.map(str::to_owned),
            private,
            now,
        });
    }

    /// Write the unit's touches: one row per identity (a person who wrote
    /// twice gets what a second touch after the first would leave), in
    /// one `UPDATE ... FROM (VALUES ...)`.
    pub(super) async fn write_touches(&mut self) -> Result<()> {
        let mut merged: Vec<unit::Touched> = Vec::with_capacity(self.touches.len());
        let mut at: HashMap<i64, usize> = HashMap::new();
        for touch in std::mem::take(&mut self.touches) {
            match at.get(&touch.identity) {
                Some(&i) => {
                    let kept = &mut merged[i];
                    if touch.private {
                        kept.reply_address = touch.reply_address;
                        kept.private = true;
                    }
                    if touch.display_name.is_some() {
                        kept.display_name = touch.display_name;
                    }
                    kept.now = kept.now.max(touch.now);
                }
                None => {
                    at.insert(touch.identity, merged.len());
                    merged.push(touch);
                }
            }
        }
        // Bound the statement's parameters (SQLite allows 32,766).
        for chunk in merged.chunks(1000) {
            in_unit!(self, |conn| {
                let mut update = sqlx::QueryBuilder::new(
                    "UPDATE identities SET \
                     reply_address = CASE WHEN t.column5 THEN t.column2 ELSE identities.reply_address END, \
                     private_chat = (identities.private_chat OR t.column5), \
                     display_name = COALESCE(t.column3, identities.display_name), \
                     last_inbound_at = t.column4, disabled_reason = NULL FROM (",
                );
                update.push_values(chunk, |mut row, t| {
                    row.push_bind(t.identity)
                        .push_bind(&t.reply_address)
                        .push_bind(t.display_name.as_deref())
                        .push_bind(t.now)
                        .push_bind(t.private);
                });
                update.push(") AS t WHERE identities.id = t.column1");
                update.build().execute(&mut *conn).await?;
            });
        }
        Ok(())
    }

    /// A user as this unit sees them (after its own changes).
    pub async fn user(&mut self, id: UserId) -> Result<User> {
        let row: rows::UserRow = in_unit!(self, |conn| {
            sqlx::query_as(USER_BY_ID)
                .bind(id.0)
                .fetch_one(&mut *conn)
                .await?
        });
        User::try_from(row)
    }

    /// Store a user's preferences (quiet hours, digest, cap, zone, language).
    pub async fn save_settings(
        &mut self,
        id: UserId,
        settings: &UserSettings,
        now: i64,
    ) -> Result<()> {
        let (digest_mode, digest_minute, digest_weekday) = rows::digest_columns(settings.digest);
        in_unit!(self, |conn| {
            sqlx::query(
                "UPDATE users SET locale = $2, time_zone = $3, quiet_start = $4, quiet_end = $5, \
                 digest_mode = $6, digest_minute = $7, digest_weekday = $8, daily_cap = $9, updated_at = $10 \
                 WHERE id = $1",
            )
            .bind(id.0)
            .bind(&settings.locale)
            .bind(&settings.time_zone)
            .bind(settings.quiet.map(|q| i64::from(q.start.minutes())))
            .bind(settings.quiet.map(|q| i64::from(q.end.minutes())))
            .bind(digest_mode)
            .bind(digest_minute)
            .bind(digest_weekday)
            .bind(settings.daily_cap.map(i64::from))
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Opt an identity out of (or back into) every message, as carriers
    /// require for STOP and START.
    pub async fn set_opted_out(&mut self, identity: i64, opted_out: bool) -> Result<()> {
        in_unit!(self, |conn| {
            sqlx::query("UPDATE identities SET opted_out = $2 WHERE id = $1")
                .bind(identity)
                .bind(opted_out)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Store a one-time link code for `identity`'s user, replacing that
    /// identity's earlier unused codes. `None` when the user made
    /// `max_per_hour` codes in the last hour already.
    pub async fn create_link_code(
        &mut self,
        user: UserId,
        identity: i64,
        code: &str,
        now: i64,
        ttl_secs: i64,
        max_per_hour: i64,
    ) -> Result<Option<i64>> {
        in_unit!(self, |conn| {
            let tx = conn;
            sqlx::query("UPDATE users SET updated_at = $2 WHERE id = $1")
                .bind(user.0)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let recent: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM link_codes WHERE user_id = $1 AND created_at > $2",
            )
            .bind(user.0)
            .bind(now - 3600)
            .fetch_one(&mut *tx)
            .await?;
            if recent >= max_per_hour {
                return Ok(None);
            }
            sqlx::query("UPDATE link_codes SET expires_at = $2 WHERE identity_id = $1 AND used_at IS NULL AND expires_at > $2")
                .bind(identity)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO link_codes (code, user_id, identity_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(code)
            .bind(user.0)
            .bind(identity)
            .bind(now)
            .bind(now + ttl_secs)
            .execute(&mut *tx)
            .await?;
            Ok(Some(now + ttl_secs))
        })
    }

    /// Use a link code from another identity: that identity joins the code's
    /// user, bringing its own user's watches and rules (renumbered after the
    /// target's; a watch on a product the target already watches is
    /// dropped), and the emptied user is removed. Single use, atomically.
    pub async fn redeem_link_code(
        &mut self,
        code: &str,
        redeemer: &Identity,
        now: i64,
    ) -> Result<LinkOutcome> {
        in_unit!(self, |conn| {
            let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
            let target: Option<i64> = sqlx::query_scalar(
                "UPDATE link_codes SET used_at = $2 WHERE code = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
            )
            .bind(code)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(target) = target else {
                tx.rollback().await?;
                return Ok(LinkOutcome::Invalid);
            };
            let old = redeemer.user_id.0;
            if target == old {
                tx.rollback().await?;
                return Ok(LinkOutcome::AlreadyLinked);
            }
            let paying: Vec<i64> = sqlx::query_scalar(
                "SELECT DISTINCT user_id FROM subscriptions WHERE user_id IN ($1, $2) \
                 AND status IN ('active', 'trialing', 'past_due')",
            )
            .bind(old)
            .bind(target)
            .fetch_all(&mut *tx)
            .await?;
            if paying.len() == 2 {
                tx.rollback().await?;
                return Ok(LinkOutcome::BothPaying);
            }
            // The better plan survives, with its renewal date; the paying
            // account's Stripe customer goes with its subscriptions.
            let accounts: Vec<(i64, String, Option<i64>, Option<String>)> = sqlx::query_as(
                "SELECT id, plan, plan_renews_at, stripe_customer_id FROM users WHERE id IN ($1, $2)",
            )
            .bind(old)
            .bind(target)
            .fetch_all(&mut *tx)
            .await?;
            let account = |id: i64| accounts.iter().find(|a| a.0 == id);
            let plan_of = |id: i64| {
                account(id)
                    .and_then(|a| Plan::from_name(&a.1))
                    .unwrap_or(Plan::Free)
            };
            let (plan, renews_at) = if plan_of(old) > plan_of(target) {
                (plan_of(old), account(old).and_then(|a| a.2))
            } else {
                (plan_of(target), account(target).and_then(|a| a.2))
            };
            let old_customer = account(old).and_then(|a| a.3.clone());
            let target_customer = account(target).and_then(|a| a.3.clone());
            let customer = match (&old_customer, &target_customer) {
                (Some(_), Some(_)) if paying.contains(&old) => old_customer.clone(),
                (_, Some(_)) => target_customer.clone(),
                (Some(_), None) => old_customer.clone(),
                (None, None) => None,
            };
            sqlx::query("UPDATE subscriptions SET user_id = $2 WHERE user_id = $1")
                .bind(old)
                .bind(target)
                .execute(&mut *tx)
                .await?;
            // The column is unique: free the old account's customer first.
            sqlx::query("UPDATE users SET stripe_customer_id = NULL WHERE id = $1")
                .bind(old)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE users SET stripe_customer_id = $2, plan = $3, plan_renews_at = $4 WHERE id = $1",
            )
            .bind(target)
            .bind(customer)
            .bind(plan.as_str())
            .bind(renews_at)
            .execute(&mut *tx)
            .await?;
            let mut next: i64 = sqlx::query_scalar(
                "UPDATE users SET updated_at = $2 WHERE id = $1 RETURNING next_item_no",
            )
            .bind(target)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let watches: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT id, product_id FROM watches WHERE user_id = $1 ORDER BY item_no",
            )
            .bind(old)
            .fetch_all(&mut *tx)
            .await?;
            for (watch_id, product_id) in watches {
                let duplicate: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM watches WHERE user_id = $1 AND product_id = $2",
                )
                .bind(target)
                .bind(product_id)
                .fetch_optional(&mut *tx)
                .await?;
                if duplicate.is_some() {
                    sqlx::query("DELETE FROM watches WHERE id = $1")
                        .bind(watch_id)
                        .execute(&mut *tx)
                        .await?;
                } else {
                    sqlx::query("UPDATE watches SET user_id = $2, item_no = $3 WHERE id = $1")
                        .bind(watch_id)
                        .bind(target)
                        .bind(next)
                        .execute(&mut *tx)
                        .await?;
                    next += 1;
                }
            }
            let rules: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM rules WHERE user_id = $1 ORDER BY item_no")
                    .bind(old)
                    .fetch_all(&mut *tx)
                    .await?;
            for rule_id in rules {
                sqlx::query("UPDATE rules SET user_id = $2, item_no = $3 WHERE id = $1")
                    .bind(rule_id)
                    .bind(target)
                    .bind(next)
                    .execute(&mut *tx)
                    .await?;
                next += 1;
            }
            sqlx::query("UPDATE users SET next_item_no = $2 WHERE id = $1")
                .bind(target)
                .bind(next)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE outbox SET user_id = $2 WHERE user_id = $1")
                .bind(old)
                .bind(target)
                .execute(&mut *tx)
                .await?;
            // Communities move too: one the other account has already is
            // dropped (the user's cascade), a name it uses gets the id added.
            sqlx::query(
                "UPDATE destinations SET owner_id = $2, name = CASE WHEN EXISTS (SELECT 1 FROM destinations d \
                 WHERE d.owner_id = $2 AND d.name = destinations.name) THEN name || '-' || id ELSE name END \
                 WHERE owner_id = $1 AND NOT EXISTS (SELECT 1 FROM destinations d WHERE d.owner_id = $2 \
                 AND d.kind = destinations.kind AND d.external_id = destinations.external_id)",
            )
            .bind(old)
            .bind(target)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE identities SET user_id = $2 WHERE user_id = $1")
                .bind(old)
                .bind(target)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(old)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(LinkOutcome::Linked {
                into: UserId(target),
                plan,
                renews_at,
            })
        })
    }
}
