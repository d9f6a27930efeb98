//! Billing against a fake Stripe on loopback: the Checkout and portal
//! requests our client sends (form-encoded, checked field by field), and
//! signed webhook deliveries: duplicates, out-of-order updates, a wrong
//! secret, a stale timestamp, a tampered body. And the whole path:
//! `upgrade pro` on a channel, the checkout completes, the webhook arrives,
//! `plan` says Pro and Pro's limits hold; then a downgrade pauses what no
//! longer fits.

mod common;

use axum::http::StatusCode;
use common::fake_api::{Call, FakeApi};
use common::{from, joined, TestDb};
use dealwatch::billing::{Payments, Prices, StripePayments};
use dealwatch::conversation::Core;
use dealwatch::model::Plan;
use dealwatch::storage::unix_now;
use dealwatch_bots::{Channel, Incoming};
use dealwatch_webhooks::stripe::sign;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

const SECRET_KEY: &str = "sk_test_51Dealwatch";
const WEBHOOK_SECRET: &str = "whsec_test_dealwatch";
const PRO: &str = "price_pro_monthly";
const PREMIUM: &str = "price_premium_monthly";
const CHAT: &str = "4242";

fn stripe(call: &Call, n: usize) -> (StatusCode, Value) {
    match call.path.as_str() {
        "/v1/checkout/sessions" => {
            let form = form(call);
            if form.get("line_items[0][price]").map(String::as_str) == Some("price_gone") {
                return (
                    StatusCode::BAD_REQUEST,
                    json!({"error": {"type": "invalid_request_error", "code": "resource_missing",
                           "message": "No such price: 'price_gone'", "param": "line_items[0][price]"}}),
                );
            }
            (
                StatusCode::OK,
                json!({"id": format!("cs_test_{n}"), "object": "checkout.session", "mode": "subscription",
                       "url": format!("https://checkout.stripe.com/c/pay/cs_test_{n}")}),
            )
        }
        "/v1/billing_portal/sessions" => (
            StatusCode::OK,
            json!({"id": format!("bps_{n}"), "object": "billing_portal.session",
                   "url": format!("https://billing.stripe.com/p/session/test_{n}")}),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            json!({"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}),
        ),
    }
}

/// A form-encoded body as a map (repeated keys are not used by us).
fn form(call: &Call) -> HashMap<String, String> {
    url::form_urlencoded::parse(call.raw.as_bytes())
        .into_owned()
        .collect()
}

struct App {
    db: TestDb,
    api: FakeApi,
    core: Core,
    base: String,
    http: reqwest::Client,
    /// The service as `serve` wires it, its workers stepped by the test.
    _service: dealwatch::startup::Stepped,
}

async fn start(db: TestDb) -> App {
    let api = FakeApi::start(stripe).await;
    let mut config = common::config(
        &db,
        &[
            "--stripe-price-pro",
            PRO,
            "--stripe-price-premium",
            PREMIUM,
            "--stripe-api-url",
            api.url.as_str(),
            "--public-base-url",
            "https://dealwatch.example/",
        ],
    );
    config.stripe.stripe_secret_key = common::secret(SECRET_KEY);
    config.stripe.stripe_webhook_secret = common::secret(WEBHOOK_SECRET);
    let service = common::spawn_stepped(config).await;
    App {
        db,
        api,
        core: service.core.clone(),
        base: format!("http://{}", service.address),
        http: reqwest::Client::new(),
        _service: service,
    }
}

fn message(text: &str, id: &str) -> Incoming {
    Incoming {
        message_id: Some(id.to_owned()),
        ..from(Channel::Telegram, CHAT, text)
    }
}

fn event(id: &str, kind: &str, created: i64, object: Value) -> Value {
    json!({"id": id, "object": "event", "api_version": "2025-03-31.basil", "created": created,
           "livemode": false, "pending_webhooks": 1, "type": kind, "data": {"object": object}})
}

fn subscription(id: &str, user: i64, price: &str, status: &str, period_end: i64) -> Value {
    json!({"id": id, "object": "subscription", "customer": "cus_ann", "status": status,
           "cancel_at_period_end": false, "metadata": {"dealwatch_user": user.to_string(), "plan": "pro"},
           "items": {"object": "list", "data": [{"id": "si_1", "object": "subscription_item",
               "current_period_end": period_end, "price": {"id": price, "object": "price"}}]}})
}

impl App {
    async fn say(&self, text: &str, id: &str) -> String {
        joined(
            &self
                .core
                .handle(&message(text, id), unix_now())
                .await
                .unwrap(),
        )
    }

    async fn user(&self) -> i64 {
        let (user, _) = self
            .db
            .store
            .users()
            .find_identity(Channel::Telegram, CHAT)
            .await
            .unwrap()
            .unwrap();
        user.id.0
    }

    /// Deliver `body` as Stripe would, signed at `t` with `secret`.
    async fn deliver_signed(&self, body: &[u8], secret: &str, t: i64) -> u16 {
        let header = format!("t={t},v1={}", sign(secret.as_bytes(), t, body));
        self.http
            .post(format!("{}/webhooks/stripe", self.base))
            .header("Stripe-Signature", header)
            .header("Content-Type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn deliver(&self, event: &Value) -> u16 {
        let body = event.to_string().into_bytes();
        self.deliver_signed(&body, WEBHOOK_SECRET, unix_now()).await
    }

    /// Notices waiting for the Telegram chat, rendered.
    async fn notices(&self) -> Vec<String> {
        self.core
            .pending_notices(Channel::Telegram, CHAT, unix_now() + 1)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, o)| o.text)
            .collect()
    }

    async fn billing_events(&self) -> i64 {
        self.db.store.billing().event_count().await.unwrap()
    }
}

#[tokio::test]
async fn upgrade_sends_a_checkout_session_request_stripe_would_accept() {
    let app = start(TestDb::sqlite().await).await;
    let reply = app.say("upgrade pro", "1001").await;
    assert!(
        reply.contains("https://checkout.stripe.com/c/pay/cs_test_1"),
        "{reply}"
    );
    let user = app.user().await.to_string();
    let calls = app.api.to("POST", "/v1/checkout/sessions");
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(
        call.header("authorization"),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );
    assert_eq!(
        call.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let key = call.header("idempotency-key").unwrap().to_owned();
    assert!(
        key.starts_with("checkout:") && key.contains("1001"),
        "{key}"
    );
    let form = form(call);
    let field = |k: &str| form.get(k).map(String::as_str);
    assert_eq!(field("mode"), Some("subscription"));
    assert_eq!(field("line_items[0][price]"), Some(PRO));
    assert_eq!(field("line_items[0][quantity]"), Some("1"));
    assert_eq!(field("client_reference_id"), Some(user.as_str()));
    assert_eq!(field("metadata[dealwatch_user]"), Some(user.as_str()));
    assert_eq!(field("metadata[plan]"), Some("pro"));
    assert_eq!(
        field("subscription_data[metadata][dealwatch_user]"),
        Some(user.as_str())
    );
    assert_eq!(
        field("success_url"),
        Some("https://dealwatch.example/billing/done?session_id={CHECKOUT_SESSION_ID}")
    );
    assert_eq!(
        field("cancel_url"),
        Some("https://dealwatch.example/billing/cancelled")
    );
    assert_eq!(field("locale"), Some("en-GB"));
    assert_eq!(field("customer"), None, "no customer yet");

    // The same message again (a redelivery) is the same attempt: same key.
    app.say("upgrade pro", "1001").await;
    let again = app.api.to("POST", "/v1/checkout/sessions");
    assert_eq!(again[1].header("idempotency-key"), Some(key.as_str()));
    // A new message is a new attempt.
    app.say("upgrade premium", "1002").await;
    let third = &app.api.to("POST", "/v1/checkout/sessions")[2];
    assert_ne!(third.header("idempotency-key"), Some(key.as_str()));
    assert_eq!(
        form_field(third, "line_items[0][price]"),
        Some(PREMIUM.to_owned())
    );

    // `billing` before any payment: nothing to manage yet, and no call.
    let reply = app.say("billing", "1003").await;
    assert!(reply.contains("don't have a subscription"), "{reply}");
    assert!(app.api.to("POST", "/v1/billing_portal/sessions").is_empty());
}

fn form_field(call: &Call, key: &str) -> Option<String> {
    form(call).get(key).cloned()
}

#[tokio::test]
async fn a_stripe_refusal_is_a_clear_answer_not_a_failure() {
    let db = TestDb::sqlite().await;
    let api = FakeApi::start(stripe).await;
    let payments: Arc<dyn Payments> = Arc::new(
        StripePayments::new(
            SECRET_KEY,
            &api.url,
            Prices {
                pro: "price_gone".into(),
                premium: PREMIUM.into(),
            },
            &url::Url::parse("https://dealwatch.example/").unwrap(),
        )
        .unwrap(),
    );
    let core = db.core().with_payments(payments);
    let reply = joined(
        &core
            .handle(&message("upgrade pro", "9"), unix_now())
            .await
            .unwrap(),
    );
    assert!(reply.contains("Payments are unavailable"), "{reply}");
}

#[tokio::test]
async fn forged_stale_and_tampered_deliveries_are_refused_with_nothing_kept() {
    let app = start(TestDb::sqlite().await).await;
    app.say("plan", "1").await;
    let user = app.user().await;
    let body = event(
        "evt_forged",
        "customer.subscription.created",
        unix_now(),
        subscription("sub_1", user, PREMIUM, "active", unix_now() + 30 * 86_400),
    )
    .to_string()
    .into_bytes();
    let now = unix_now();
    assert_eq!(app.deliver_signed(&body, "whsec_wrong", now).await, 400);
    assert_eq!(
        app.deliver_signed(&body, WEBHOOK_SECRET, now - 301).await,
        400
    );
    assert_eq!(
        app.deliver_signed(&body, WEBHOOK_SECRET, now + 301).await,
        400
    );
    let mut tampered = body.clone();
    let at = tampered.len() - 3;
    tampered[at] = b' ';
    let header = format!("t={now},v1={}", sign(WEBHOOK_SECRET.as_bytes(), now, &body));
    let status = app
        .http
        .post(format!("{}/webhooks/stripe", app.base))
        .header("Stripe-Signature", header)
        .body(tampered)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400);
    let unsigned = app
        .http
        .post(format!("{}/webhooks/stripe", app.base))
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(unsigned, 400);
    assert_eq!(app.billing_events().await, 0);
    assert!(app.say("plan", "2").await.contains("Your plan: Free"));

    // Two v1 signatures, one under an old secret (a secret being rolled): accepted.
    let header = format!(
        "t={now},v1={},v1={}",
        sign(b"whsec_old", now, &body),
        sign(WEBHOOK_SECRET.as_bytes(), now, &body)
    );
    let status = app
        .http
        .post(format!("{}/webhooks/stripe", app.base))
        .header("Stripe-Signature", header)
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    assert!(app.say("plan", "3").await.contains("Your plan: Premium"));

    // An event recorded but never applied (the process died in between,
    // so Stripe got no 200) is applied when Stripe delivers it again.
    let ended = event(
        "evt_half_done",
        "customer.subscription.deleted",
        unix_now() + 5,
        subscription("sub_1", user, PREMIUM, "canceled", unix_now()),
    );
    let recorded = app
        .db
        .store
        .billing()
        .record_event(
            "evt_half_done",
            "customer.subscription.deleted",
            unix_now() + 5,
            &ended.to_string(),
            unix_now(),
        )
        .await
        .unwrap();
    assert!(recorded, "recorded, still to apply");
    assert!(app.say("plan", "4").await.contains("Your plan: Premium"));
    assert_eq!(app.deliver(&ended).await, 200);
    assert!(app.say("plan", "5").await.contains("Your plan: Free"));
    assert_eq!(app.billing_events().await, 2);
}

#[tokio::test]
async fn duplicates_apply_once_and_the_newest_state_wins_whatever_the_order() {
    for db in TestDb::all().await {
        let app = start(db).await;
        app.say("plan", "1").await;
        let user = app.user().await;
        let t = unix_now() - 3_600;
        let period = t + 30 * 86_400;
        let created = event(
            "evt_created",
            "customer.subscription.created",
            t,
            subscription("sub_1", user, PRO, "incomplete", period),
        );
        let active = event(
            "evt_active",
            "customer.subscription.updated",
            t + 5,
            subscription("sub_1", user, PRO, "active", period),
        );
        let premium = event(
            "evt_premium",
            "customer.subscription.updated",
            t + 60,
            subscription("sub_1", user, PREMIUM, "active", period),
        );
        // The newest first, then the older ones, then a duplicate.
        assert_eq!(app.deliver(&premium).await, 200);
        assert_eq!(app.deliver(&active).await, 200);
        assert_eq!(app.deliver(&created).await, 200);
        assert_eq!(app.deliver(&premium).await, 200);
        assert_eq!(app.billing_events().await, 3, "each event id kept once");
        let plan = app.say("plan", "2").await;
        assert!(plan.contains("Your plan: Premium"), "{plan}");
        let notices = app.notices().await;
        assert_eq!(
            notices
                .iter()
                .filter(|n| n.contains("You're on Premium now"))
                .count(),
            1,
            "{notices:?}"
        );

        // Same second: a later lifecycle stage wins over an earlier one,
        // whichever arrives last.
        let canceled = event(
            "evt_canceled",
            "customer.subscription.deleted",
            t + 120,
            subscription("sub_1", user, PREMIUM, "canceled", period),
        );
        let late_active = event(
            "evt_late_active",
            "customer.subscription.updated",
            t + 120,
            subscription("sub_1", user, PREMIUM, "active", period),
        );
        assert_eq!(app.deliver(&canceled).await, 200);
        assert_eq!(app.deliver(&late_active).await, 200);
        let plan = app.say("plan", "3").await;
        assert!(plan.contains("Your plan: Free"), "{plan}");
        app.db.finish().await;
    }
}

#[tokio::test]
async fn upgrade_then_downgrade_through_the_whole_path() {
    for db in TestDb::all().await {
        let app = start(db).await;
        for (i, word) in ["lego", "ps5", "kettle"].iter().enumerate() {
            app.say(&format!("alert {word}"), &format!("a{i}")).await;
        }
        // A watched product, checked just now: on Free, next due in 6 h.
        app.say("watch https://shop.example/p/1", "w1").await;
        let store = &app.db.store;
        let product = store
            .products()
            .product_id("https://shop.example/p/1")
            .await
            .unwrap()
            .unwrap();
        let now = unix_now();
        store
            .products()
            .claim_due("test", now + 60, 60, 10)
            .await
            .unwrap();
        store
            .products()
            .apply_check(
                product,
                "test",
                &dealwatch::storage::CheckResult::NotModified,
                now + 6 * 3600,
                now,
                |_, _, _, _| Default::default(),
            )
            .await
            .unwrap();
        assert!(store
            .products()
            .claim_due("test", now + 2 * 3600, 60, 10)
            .await
            .unwrap()
            .is_empty());
        let refused = app.say("alert drone", "a3").await;
        assert!(refused.contains("3"), "the free plan's limit: {refused}");
        let user = app.user().await;

        // upgrade pro → a Checkout link.
        let reply = app.say("upgrade pro", "u1").await;
        assert!(reply.contains("checkout.stripe.com"), "{reply}");

        // The fake checkout completes: Stripe sends its events.
        let t = unix_now() - 60;
        let period = t + 30 * 86_400;
        let completed = event(
            "evt_checkout",
            "checkout.session.completed",
            t,
            json!({"id": "cs_test_1", "object": "checkout.session", "mode": "subscription",
                   "client_reference_id": user.to_string(), "customer": "cus_ann",
                   "subscription": "sub_9", "payment_status": "paid", "status": "complete",
                   "metadata": {"dealwatch_user": user.to_string(), "plan": "pro"}}),
        );
        assert_eq!(app.deliver(&completed).await, 200);
        let plan = app.say("plan", "p1").await;
        assert!(plan.contains("Your plan: Pro"), "{plan}");
        assert!(plan.contains("Alerts: 3 of 25"), "{plan}");
        // Pro checks hourly: the product is due within the hour, not in 6 h.
        let due = store
            .products()
            .claim_due("test", unix_now() + 3600 + 5, 60, 10)
            .await
            .unwrap();
        assert_eq!(due.len(), 1, "brought forward by the upgrade");
        let sub = event(
            "evt_sub",
            "customer.subscription.created",
            t + 1,
            subscription("sub_9", user, PRO, "active", period),
        );
        assert_eq!(app.deliver(&sub).await, 200);
        let paid = event(
            "evt_invoice",
            "invoice.paid",
            t + 2,
            json!({"id": "in_1", "object": "invoice", "customer": "cus_ann", "status": "paid",
                   "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_9"}},
                   "lines": {"object": "list", "data": [{"id": "il_1", "period": {"start": t, "end": period}}]}}),
        );
        assert_eq!(app.deliver(&paid).await, 200);
        let plan = app.say("plan", "p2").await;
        assert!(plan.contains("Renews on"), "{plan}");
        let notices = app.notices().await;
        assert!(
            notices.iter().any(|n| n.contains("You're on Pro now")),
            "{notices:?}"
        );

        // Pro's limits hold: a fourth, fifth alert now fit.
        let added = app.say("alert drone", "a4").await;
        assert!(added.contains("Alert #"), "{added}");
        app.say("alert tent", "a5").await;

        // `billing` now opens the portal for this customer; `upgrade
        // premium` goes there too (a second Checkout would be a second
        // subscription).
        let reply = app.say("billing", "b1").await;
        assert!(
            reply.contains("https://billing.stripe.com/p/session/"),
            "{reply}"
        );
        let portal = app.api.to("POST", "/v1/billing_portal/sessions");
        assert_eq!(form_field(&portal[0], "customer"), Some("cus_ann".into()));
        assert_eq!(
            form_field(&portal[0], "return_url"),
            Some("https://dealwatch.example/billing/done".into())
        );
        let reply = app.say("upgrade premium", "u2").await;
        assert!(reply.contains("billing.stripe.com"), "{reply}");
        assert_eq!(app.api.to("POST", "/v1/checkout/sessions").len(), 1);

        // A failed payment: told, with a `billing` button that makes a fresh
        // portal link; no portal URL waits in the outbox.
        let failed = event(
            "evt_failed",
            "invoice.payment_failed",
            t + 3,
            json!({"id": "in_2", "object": "invoice", "customer": "cus_ann", "subscription": "sub_9"}),
        );
        assert_eq!(app.deliver(&failed).await, 200);
        let notices = app.notices().await;
        assert!(
            notices
                .iter()
                .any(|n| n.contains("didn't go through") && n.contains("Send “billing”")),
            "{notices:?}"
        );
        assert!(
            !notices.iter().any(|n| n.contains("billing.stripe.com")),
            "{notices:?}"
        );

        // The subscription ends: back to Free, the newest two alerts
        // paused (not deleted; #1 is the watch), and the user told which.
        let ended = event(
            "evt_deleted",
            "customer.subscription.deleted",
            t + 10,
            subscription("sub_9", user, PRO, "canceled", period),
        );
        assert_eq!(app.deliver(&ended).await, 200);
        let plan = app.say("plan", "p3").await;
        assert!(plan.contains("Your plan: Free"), "{plan}");
        assert!(plan.contains("Alerts: 3 of 3"), "{plan}");
        let notices = app.notices().await;
        assert!(
            notices.iter().any(|n| n.contains("You're on Free now")
                && n.contains("#5, #6")
                && n.contains("paused")),
            "{notices:?}"
        );
        let list = app.say("list", "l1").await;
        assert!(
            list.contains("drone") && list.contains("tent"),
            "kept: {list}"
        );
        let current = app
            .db
            .store
            .users()
            .user(dealwatch::storage::UserId(user))
            .await
            .unwrap();
        assert_eq!(current.plan, Plan::Free);
        app.db.finish().await;
    }
}

/// A Checkout link is a credential: while its reply waits to be sent (here
/// behind a 429) the database holds it only sealed with this process's
/// key; the same process sends the real link; another process (a restart)
/// cannot open it and sends the fallback; once sent, nothing is kept.
#[tokio::test]
async fn payment_links_are_kept_only_sealed_and_dropped_once_sent() {
    use dealwatch::inbound::Inbox;
    use dealwatch_bots::telegram::TelegramClient;
    use dealwatch_bots::{InboundRecord, Sender};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let app = start(TestDb::sqlite().await).await;
    let throttled = Arc::new(AtomicUsize::new(1));
    let gate = throttled.clone();
    let telegram = FakeApi::start(move |call: &Call, n| {
        if gate.load(Ordering::SeqCst) > 0 {
            gate.fetch_sub(1, Ordering::SeqCst);
            return (
                StatusCode::TOO_MANY_REQUESTS,
                json!({"ok": false, "error_code": 429, "description": "Too Many Requests", "parameters": {"retry_after": 1}}),
            );
        }
        (StatusCode::OK, common::fake_api::telegram::sent(call, n))
    })
    .await;
    let inbox = |core: Core| {
        let client = TelegramClient::new(&telegram.url, "1:seal")
            .unwrap()
            .with_pace(dealwatch_bots::pace::Pace::unlimited());
        Inbox::new(
            app.db.store.clone(),
            core,
            HashMap::from([(Channel::Telegram, Arc::new(client) as Arc<dyn Sender>)]),
        )
    };
    let kept = |id: &'static str| {
        let url = app.db.url.clone();
        async move {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            // The reply to that message, as the outbox keeps it.
            let payload: Option<String> = sqlx::query_scalar(
                "SELECT o.payload FROM outbox o JOIN inbound_messages i \
                 ON o.dedupe_key = 'reply:' || i.id WHERE i.provider_message_id = $1",
            )
            .bind(id)
            .fetch_optional(&mut conn)
            .await
            .unwrap();
            payload
        }
    };
    let sent = || -> Vec<String> {
        telegram
            .calls()
            .into_iter()
            .filter(|c| c.path.ends_with("/sendMessage"))
            .map(|c| c.body["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    };

    // The same process: held back by a 429, kept sealed, then sent as is.
    let first = inbox(app.core.clone());
    first
        .accept(&InboundRecord::plain(message("upgrade pro", "m1")))
        .await
        .unwrap();
    first.process_pending().await.unwrap();
    let waiting = kept("m1").await.expect("kept until sent");
    assert!(
        !waiting.contains("stripe.com") && !waiting.contains("cs_test"),
        "{waiting}"
    );
    assert!(waiting.contains("sealed"), "{waiting}");
    // Told to retry after 1 s: due from the second whole second after the
    // answer, never sooner.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    first.process_pending().await.unwrap();
    assert!(
        sent()
            .last()
            .unwrap()
            .contains("https://checkout.stripe.com/c/pay/cs_test_"),
        "{:?}",
        sent()
    );
    let spent = kept("m1").await.unwrap();
    assert!(
        !spent.contains("sealed") && !spent.contains("stripe.com"),
        "nothing of the link kept once sent: {spent}"
    );

    // Another process (another key) cannot open what this one sealed: it
    // would send the fallback, never a stale link.
    throttled.store(1, Ordering::SeqCst);
    app.db
        .store
        .billing()
        .link_customer(
            dealwatch::storage::UserId(app.user().await),
            "cus_ann",
            unix_now(),
        )
        .await
        .unwrap();
    first
        .accept(&InboundRecord::plain(message("billing", "m2")))
        .await
        .unwrap();
    first.process_pending().await.unwrap();
    let waiting = kept("m2").await.expect("the reply waits");
    assert!(!waiting.contains("billing.stripe.com"), "{waiting}");
    let dealwatch::watching::Notice::Reply { kept: sealed } =
        serde_json::from_str(&waiting).unwrap()
    else {
        panic!("not a reply: {waiting}");
    };
    let elsewhere = dealwatch::seal::Sealer::new().restore(sealed.clone());
    assert!(
        elsewhere[0].text.contains("could not be sent in time")
            && elsewhere[0].text.contains("“billing”"),
        "{elsewhere:?}"
    );
    let here = dealwatch::seal::process().restore(sealed);
    assert!(here[0].text.contains("billing.stripe.com"), "{here:?}");
    app.db.finish().await;
}
