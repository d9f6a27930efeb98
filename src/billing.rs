//! Purpose: sell the paid plans through Stripe and keep each user's plan in
//! step with their subscription.
//!
//! Two halves. [`Payments`] makes the links a user follows: a Checkout
//! Session for `upgrade` and a customer portal session for `billing`;
//! [`StripePayments`] is its Stripe implementation (async-stripe's request
//! types and client, pointed at `STRIPE_API_URL`), and the core only ever
//! sees the trait, so it stays testable without a network.
//!
//! [`BillingEvents`] applies the signed events `/webhooks/stripe` hands it
//! (already read into neutral [`BillingChange`]s at the edge):
//! each event id once (recorded in `billing_events` before it is applied,
//! marked applied after, so a failure is retried by Stripe and a duplicate
//! is a no-op). Stripe does not deliver in order, so a subscription row
//! keeps the state of the newest event about it (by the event's `created`,
//! ties broken by lifecycle stage), and the user's plan is derived from
//! their rows rather than from whichever event arrived last. A plan change
//! takes effect at once ([`Store::billing`]`().change_plan`) and the user hears of it
//! on their channel, in their language.

use crate::model::{PaidPlan, Plan};
use crate::plans::Plans;
use crate::storage::{Store, StoreError, SubscriptionState, UserId};
use crate::watching::Notice;
use dealwatch_bots::BoxFuture;
use dealwatch_webhooks::stripe::{BillingChange, BillingEvent, BillingSink};
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};

/// Why a payment link could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// Stripe could not be reached or failed; worth trying again.
    #[error("Stripe is unavailable: {0}")]
    Unavailable(String),
    /// Stripe refused the request (a bad price id, a deleted customer).
    #[error("Stripe refused the request: {0}")]
    Refused(String),
    /// The settings cannot work (a bad secret key or URL).
    #[error("billing is misconfigured: {0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A Checkout Session to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    pub user: UserId,
    pub plan: PaidPlan,
    /// The customer the user already pays as, so Stripe does not make a second.
    pub customer: Option<String>,
    /// The user's locale (`en-GB`), for Checkout's language.
    pub locale: String,
    /// Names this attempt: a redelivered command makes the same key, so
    /// Stripe returns the same session instead of making another.
    pub attempt: String,
}

/// Makes the payment links users follow.
pub trait Payments: Send + Sync + std::fmt::Debug {
    /// A Checkout Session URL for a subscription to `request.plan`.
    fn checkout<'a>(
        &'a self,
        request: &'a CheckoutRequest,
    ) -> BoxFuture<'a, Result<String, BillingError>>;

    /// A customer portal session URL for `customer`. Short-lived: made on
    /// demand, never logged, and kept only sealed while its reply waits to
    /// be sent ([`crate::seal`]).
    fn portal<'a>(
        &'a self,
        customer: &'a str,
        locale: &'a str,
    ) -> BoxFuture<'a, Result<String, BillingError>>;
}

/// The price ids of the paid plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prices {
    pub pro: String,
    pub premium: String,
}

impl Prices {
    fn of(&self, plan: PaidPlan) -> &str {
        match plan {
            PaidPlan::Pro => &self.pro,
            PaidPlan::Premium => &self.premium,
        }
    }

    /// The plan a price sells; `None` for a price that is not ours.
    pub fn plan(&self, price: &str) -> Option<Plan> {
        if price == self.pro {
            Some(Plan::Pro)
        } else if price == self.premium {
            Some(Plan::Premium)
        } else {
            None
        }
    }
}

pub use dealwatch_webhooks::stripe::USER_KEY;

/// What the session and portal answers carry that we use.
#[derive(Debug, miniserde::Deserialize)]
struct SessionLink {
    url: Option<String>,
}

/// [`Payments`] through Stripe's API.
pub struct StripePayments {
    client: Client,
    prices: Prices,
    /// `{PUBLIC_BASE_URL}/billing/`: where Checkout and the portal return.
    return_base: url::Url,
}

impl std::fmt::Debug for StripePayments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripePayments")
            .field("prices", &self.prices)
            .field("return_base", &self.return_base.as_str())
            .finish_non_exhaustive()
    }
}

impl StripePayments {
    /// A client for the API at `api` (`https://api.stripe.com`, or a fake).
    pub fn new(
        secret_key: &str,
        api: &url::Url,
        prices: Prices,
        public_base: &url::Url,
    ) -> Result<StripePayments, BillingError> {
        let mut base = api.as_str().to_owned();
        if !base.ends_with('/') {
            base.push('/');
        }
        let client = ClientBuilder::new(secret_key)
            .url(base)
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| BillingError::Config(e.to_string()))?;
        let return_base = public_base
            .join("billing/")
            .map_err(|e| BillingError::Config(e.to_string()))?;
        Ok(StripePayments {
            client,
            prices,
            return_base,
        })
    }

    fn page(&self, name: &str) -> String {
        self.return_base
            .join(name)
            .map_or_else(|_| self.return_base.to_string(), |u| u.to_string())
    }
}

fn stripe_error(e: StripeError) -> BillingError {
    match e {
        StripeError::Stripe(errors, status) if (400..500).contains(&status) && status != 429 => {
            BillingError::Refused(format!(
                "{status}: {}",
                errors.message.as_deref().unwrap_or("no message")
            ))
        }
        StripeError::ConfigError(e) => BillingError::Config(e),
        other => BillingError::Unavailable(other.to_string()),
    }
}

/// Stripe's name for a locale such as `en-GB`: the exact one, else its
/// language (`en`), else `None` (Stripe then uses the browser's).
fn stripe_locale<L: std::str::FromStr>(locale: &str, known: impl Fn(&L) -> bool) -> Option<L> {
    let language = locale.split(['-', '_']).next().unwrap_or(locale);
    [locale, language]
        .into_iter()
        .filter_map(|candidate| candidate.parse::<L>().ok())
        .find(|l| known(l))
}

impl Payments for StripePayments {
    fn checkout<'a>(
        &'a self,
        request: &'a CheckoutRequest,
    ) -> BoxFuture<'a, Result<String, BillingError>> {
        Box::pin(async move {
            use stripe_checkout::checkout_session::{
                CreateCheckoutSession, CreateCheckoutSessionLineItems,
                CreateCheckoutSessionSubscriptionData,
            };
            let user = request.user.0.to_string();
            let plan = request.plan.plan().as_str();
            let metadata = std::collections::HashMap::from([
                (USER_KEY.to_owned(), user.clone()),
                ("plan".to_owned(), plan.to_owned()),
            ]);
            let mut line = CreateCheckoutSessionLineItems::new();
            line.price = Some(self.prices.of(request.plan).to_owned());
            line.quantity = Some(1);
            let mut subscription = CreateCheckoutSessionSubscriptionData::new();
            subscription.metadata = Some(metadata.clone());
            let mut session = CreateCheckoutSession::new()
                .mode(stripe_shared::CheckoutSessionMode::Subscription)
                .line_items(vec![line])
                .client_reference_id(user)
                .metadata(metadata)
                .subscription_data(subscription)
                .success_url(format!(
                    "{}?session_id={{CHECKOUT_SESSION_ID}}",
                    self.page("done")
                ))
                .cancel_url(self.page("cancelled"));
            if let Some(locale) = stripe_locale(&request.locale, |l| {
                !matches!(l, stripe_shared::CheckoutSessionLocale::Unknown(_))
            }) {
                session = session.locale(locale);
            }
            if let Some(customer) = &request.customer {
                session = session.customer(customer.clone());
            }
            let key = IdempotencyKey::new(format!("checkout:{}", request.attempt))
                .map_err(|e| BillingError::Config(e.to_string()))?;
            let link: SessionLink = session
                .build()
                .customize()
                .request_strategy(RequestStrategy::Idempotent(key))
                .send(&self.client)
                .await
                .map_err(stripe_error)?;
            link.url
                .filter(|u| !u.is_empty())
                .ok_or_else(|| BillingError::Unavailable("the session has no url".into()))
        })
    }

    fn portal<'a>(
        &'a self,
        customer: &'a str,
        locale: &'a str,
    ) -> BoxFuture<'a, Result<String, BillingError>> {
        Box::pin(async move {
            use stripe_billing::billing_portal_session::CreateBillingPortalSession;
            let mut portal = CreateBillingPortalSession::new()
                .customer(customer.to_owned())
                .return_url(self.page("done"));
            if let Some(locale) = stripe_locale(locale, |l| {
                !matches!(l, stripe_billing::BillingPortalSessionLocale::Unknown(_))
            }) {
                portal = portal.locale(locale);
            }
            let link: SessionLink = portal
                .build()
                .customize()
                .send(&self.client)
                .await
                .map_err(stripe_error)?;
            link.url
                .filter(|u| !u.is_empty())
                .ok_or_else(|| BillingError::Unavailable("the portal session has no url".into()))
        })
    }
}

/// Applies verified Stripe events.
pub struct BillingEvents {
    store: Store,
    plans: Plans,
    prices: Prices,
}

/// Where a subscription is in its life: orders two states Stripe stamped
/// with the same second.
fn status_rank(status: &str) -> i64 {
    match status {
        "incomplete" => 0,
        "trialing" => 1,
        "active" => 2,
        "past_due" => 3,
        "unpaid" | "paused" => 4,
        "canceled" | "incomplete_expired" => 5,
        _ => 0,
    }
}

impl BillingEvents {
    pub fn new(store: Store, plans: Plans, prices: Prices) -> BillingEvents {
        BillingEvents {
            store,
            plans,
            prices,
        }
    }

    /// Record and apply one event (a no-op for one already applied).
    pub async fn apply(&self, event: &BillingEvent, now: i64) -> Result<(), BillingError> {
        let payload = String::from_utf8_lossy(&event.payload);
        if !self
            .store
            .billing()
            .record_event(&event.id, &event.kind, event.created, &payload, now)
            .await?
        {
            tracing::debug!(event = %event.id, "stripe event already applied");
            return Ok(());
        }
        match &event.change {
            BillingChange::CheckoutCompleted {
                user_ref,
                customer,
                subscription,
                paid,
                plan,
            } => {
                let Some(user) = self.find_user(user_ref.as_deref(), None, None).await? else {
                    tracing::warn!(event = %event.id, "checkout session for no user of ours");
                    return self.applied(event, now).await;
                };
                if let Some(customer) = customer {
                    if !self
                        .store
                        .billing()
                        .link_customer(user, customer, now)
                        .await?
                    {
                        tracing::warn!(event = %event.id, "customer already belongs to another user");
                    }
                }
                if let Some(subscription) = subscription {
                    // The subscription's own events carry its state; this
                    // only makes a paid checkout count if those come later.
                    let state = SubscriptionState {
                        id: subscription.clone(),
                        user,
                        customer_id: customer.clone(),
                        plan: plan
                            .as_deref()
                            .and_then(Plan::from_name)
                            .unwrap_or(Plan::Free),
                        status: if *paid { "active" } else { "incomplete" }.to_owned(),
                        current_period_end: None,
                        cancel_at_period_end: false,
                        // Older than any event about the subscription itself.
                        state_at: i64::MIN,
                        state_rank: 0,
                    };
                    self.store
                        .billing()
                        .save_subscription(&state, true, now)
                        .await?;
                    self.settle(user, now).await?;
                }
            }
            BillingChange::Subscription(sub) => {
                let user = self
                    .find_user(
                        sub.user_ref.as_deref(),
                        Some(&sub.id),
                        sub.customer.as_deref(),
                    )
                    .await?;
                let Some(user) = user else {
                    tracing::warn!(event = %event.id, "subscription for no user of ours");
                    return self.applied(event, now).await;
                };
                let state = SubscriptionState {
                    id: sub.id.clone(),
                    user,
                    customer_id: sub.customer.clone(),
                    plan: sub
                        .prices
                        .iter()
                        .filter_map(|price| self.prices.plan(price))
                        .max()
                        .unwrap_or(Plan::Free),
                    status: sub.status.clone(),
                    current_period_end: sub.period_end,
                    cancel_at_period_end: sub.cancel_at_period_end,
                    state_at: event.created,
                    state_rank: status_rank(&sub.status),
                };
                if !self
                    .store
                    .billing()
                    .save_subscription(&state, false, now)
                    .await?
                {
                    tracing::info!(event = %event.id, "stripe event older than the subscription's state; kept for the record");
                }
                self.settle(user, now).await?;
            }
            BillingChange::InvoicePaid {
                subscription: Some(subscription),
                period_end: Some(period_end),
            } => {
                if let Some(user) = self
                    .store
                    .billing()
                    .extend_subscription(subscription, *period_end)
                    .await?
                {
                    self.settle(user, now).await?;
                }
            }
            BillingChange::PaymentFailed {
                subscription,
                customer,
            } => {
                let user = self
                    .find_user(None, subscription.as_deref(), customer.as_deref())
                    .await?;
                match user {
                    Some(user) => self.payment_failed(event, user, now).await?,
                    None => tracing::warn!(event = %event.id, "failed payment for no user of ours"),
                }
            }
            BillingChange::InvoicePaid { .. } | BillingChange::Other => {
                tracing::debug!(event = %event.id, kind = %event.kind, "stripe event not used");
            }
        }
        self.applied(event, now).await
    }

    async fn applied(&self, event: &BillingEvent, now: i64) -> Result<(), BillingError> {
        Ok(self.store.billing().event_applied(&event.id, now).await?)
    }

    /// Our user: the one an object names (if they exist), else the owner of
    /// the subscription we know, else the one paying as the customer.
    async fn find_user(
        &self,
        named: Option<&str>,
        subscription: Option<&str>,
        customer: Option<&str>,
    ) -> Result<Option<UserId>, BillingError> {
        if let Some(user) = named.and_then(|id| id.parse::<i64>().ok()).map(UserId) {
            if self.store.billing().user_exists(user).await? {
                return Ok(Some(user));
            }
        }
        if let Some(subscription) = subscription {
            if let Some(user) = self.store.billing().subscription_user(subscription).await? {
                return Ok(Some(user));
            }
        }
        match customer {
            Some(customer) => Ok(self.store.billing().user_by_customer(customer).await?),
            None => Ok(None),
        }
    }

    /// Tell the user a payment failed. The notice holds no portal link: a
    /// portal URL is a credential to the person's billing, and a notice
    /// waits in the outbox (quiet hours, a slow platform); its `billing`
    /// button makes a fresh link the moment it is pressed.
    async fn payment_failed(
        &self,
        event: &BillingEvent,
        user: UserId,
        now: i64,
    ) -> Result<(), BillingError> {
        let portal_url = None;
        self.store
            .outbox()
            .enqueue_notice(
                user,
                &format!("billing:{}", event.id),
                &Notice::PaymentFailed { portal_url },
                now,
            )
            .await?;
        Ok(())
    }

    /// Put the user on the plan their subscriptions entitle them to, and
    /// tell them when that changed it.
    async fn settle(&self, user: UserId, now: i64) -> Result<(), BillingError> {
        let (plan, renews_at) = self.store.billing().entitled_plan(user).await?;
        let current = self.store.users().user(user).await?;
        if current.plan == plan && current.plan_renews_at == renews_at {
            return Ok(());
        }
        let change = self
            .store
            .billing()
            .change_plan(user, plan, renews_at, self.plans.limits(plan), now)
            .await?;
        if change.was == Some(plan) {
            return Ok(());
        }
        tracing::info!(user = user.0, plan = plan.as_str(), "plan changed");
        let notice = Notice::PlanChanged {
            plan: plan.as_str().to_owned(),
            upgrade: change.was.is_none_or(|was| plan > was),
            paused: change.paused,
            resumed: change.resumed,
        };
        self.store
            .outbox()
            .enqueue_notice(
                user,
                &format!("plan:{}:{}:{now}", plan.as_str(), user.0),
                &notice,
                now,
            )
            .await?;
        Ok(())
    }
}

impl BillingSink for BillingEvents {
    fn receive(&self, event: BillingEvent) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            self.apply(&event, crate::storage::unix_now())
                .await
                .map_err(|e| e.to_string())
        })
    }
}
