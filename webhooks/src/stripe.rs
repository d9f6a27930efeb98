//! Purpose: `POST /webhooks/stripe`: Stripe's signed event deliveries.
//!
//! `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`: each `v1` is
//! HMAC-SHA256 under the endpoint secret of `"{t}.{raw body}"`; a delivery
//! passes when any `v1` matches (Stripe sends several while a secret is
//! being rolled) and `t` is within 300 s of now, so a captured delivery
//! cannot be replayed later. Anything else is refused with 400 and nothing
//! is kept. A verified event goes to a [`BillingSink`], which records it
//! (once per event id) and applies it before Stripe gets its 200; if that
//! fails Stripe gets a 500 and delivers again.

use crate::verify::secrets_equal;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use dealwatch_bots::{unix_now, BoxFuture};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use std::sync::Arc;

pub const PATH: &str = "/webhooks/stripe";

/// How far a signature's timestamp may be from now (Stripe's libraries use 300 s).
pub const TOLERANCE_SECS: i64 = 300;

/// The metadata key naming our user on Checkout Sessions and subscriptions.
pub const USER_KEY: &str = "dealwatch_user";

/// A verified Stripe event: what the billing side needs to order and
/// dedupe it, what it says, and the whole payload for the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingEvent {
    /// `evt_…`: Stripe may deliver one event several times.
    pub id: String,
    /// `customer.subscription.updated` and so on.
    pub kind: String,
    /// When Stripe created the event (Unix seconds): deliveries come in any
    /// order, so state is ordered by this, not by arrival.
    pub created: i64,
    /// What the event says, read from its object.
    pub change: BillingChange,
    /// The raw JSON, as signed.
    pub payload: Vec<u8>,
}

/// What an event says, in the terms billing uses. Read here, once, from
/// the object's JSON fields rather than a typed SDK's structs: those pin
/// one API version, and the endpoint's version shapes every payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillingChange {
    /// `checkout.session.completed`.
    CheckoutCompleted {
        /// Our user: `client_reference_id`, else the session's metadata.
        user_ref: Option<String>,
        customer: Option<String>,
        subscription: Option<String>,
        /// Paid (or nothing to pay).
        paid: bool,
        /// The plan named in the session's metadata when it was made.
        plan: Option<String>,
    },
    /// `customer.subscription.created`, `.updated` or `.deleted`.
    Subscription(SubscriptionFacts),
    /// `invoice.paid`: the subscription's period now ends at `period_end`.
    InvoicePaid {
        subscription: Option<String>,
        period_end: Option<i64>,
    },
    /// `invoice.payment_failed`.
    PaymentFailed {
        subscription: Option<String>,
        customer: Option<String>,
    },
    /// Any other type: recorded, nothing to do.
    Other,
}

/// A subscription as one event shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionFacts {
    pub id: String,
    pub customer: Option<String>,
    /// Our user, from the subscription's metadata.
    pub user_ref: Option<String>,
    /// The price ids of its items.
    pub prices: Vec<String>,
    /// Stripe's status; `canceled` for a deletion.
    pub status: String,
    /// From the subscription or, in newer API versions, its items.
    pub period_end: Option<i64>,
    pub cancel_at_period_end: bool,
}

fn text(value: &Value) -> Option<String> {
    value.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// An id field that may be a plain id or an expanded object.
fn id_of(value: &Value) -> Option<String> {
    text(value).or_else(|| text(&value["id"]))
}

/// The subscription an invoice is for (older and newer API versions).
fn invoice_subscription(invoice: &Value) -> Option<String> {
    id_of(&invoice["subscription"])
        .or_else(|| id_of(&invoice["parent"]["subscription_details"]["subscription"]))
}

/// Read what an event of type `kind` says about `object`.
fn change(kind: &str, object: &Value) -> Option<BillingChange> {
    Some(match kind {
        "checkout.session.completed" => BillingChange::CheckoutCompleted {
            user_ref: text(&object["client_reference_id"])
                .or_else(|| text(&object["metadata"][USER_KEY])),
            customer: id_of(&object["customer"]),
            subscription: id_of(&object["subscription"]),
            paid: matches!(
                object["payment_status"].as_str(),
                Some("paid" | "no_payment_required")
            ),
            plan: text(&object["metadata"]["plan"]),
        },
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => {
            let items = object["items"]["data"]
                .as_array()
                .map_or(&[][..], Vec::as_slice);
            BillingChange::Subscription(SubscriptionFacts {
                id: id_of(&object["id"])?,
                customer: id_of(&object["customer"]),
                user_ref: text(&object["metadata"][USER_KEY]),
                prices: items
                    .iter()
                    .filter_map(|item| id_of(&item["price"]))
                    .collect(),
                status: if kind == "customer.subscription.deleted" {
                    "canceled".to_owned()
                } else {
                    text(&object["status"]).unwrap_or_else(|| "incomplete".to_owned())
                },
                period_end: object["current_period_end"].as_i64().or_else(|| {
                    items
                        .iter()
                        .filter_map(|item| item["current_period_end"].as_i64())
                        .max()
                }),
                cancel_at_period_end: object["cancel_at_period_end"].as_bool().unwrap_or(false),
            })
        }
        "invoice.paid" => BillingChange::InvoicePaid {
            subscription: invoice_subscription(object),
            period_end: object["lines"]["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|line| line["period"]["end"].as_i64())
                .max()
                .or_else(|| object["period_end"].as_i64()),
        },
        "invoice.payment_failed" => BillingChange::PaymentFailed {
            subscription: invoice_subscription(object),
            customer: id_of(&object["customer"]),
        },
        _ => BillingChange::Other,
    })
}

/// Where verified events go.
pub trait BillingSink: Send + Sync + 'static {
    /// Record and apply `event`; a redelivery of an applied event is a
    /// no-op. An error means Stripe must deliver it again.
    fn receive(&self, event: BillingEvent) -> BoxFuture<'_, Result<(), String>>;
}

/// Why a delivery was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header")]
    Missing,
    #[error("the Stripe-Signature header has no timestamp or no v1 signature")]
    Malformed,
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    #[error("no v1 signature matches")]
    Mismatch,
}

/// The `v1` signature of `payload` at `timestamp` under `secret`, in hex.
pub fn sign(secret: &[u8], timestamp: i64, payload: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

/// Check a `Stripe-Signature` header against the raw `payload` at `now`.
pub fn verify(
    header: Option<&str>,
    payload: &[u8],
    secret: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v),
            // v0 (test mode's old scheme) and anything newer are ignored.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if secret.is_empty() {
        return Err(SignatureError::Mismatch);
    }
    let expected = sign(secret, timestamp, payload);
    if !signatures
        .iter()
        .any(|s| secrets_equal(s.as_bytes(), expected.as_bytes()))
    {
        return Err(SignatureError::Mismatch);
    }
    if now.abs_diff(timestamp) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

struct Hook {
    secret: Vec<u8>,
    sink: Arc<dyn BillingSink>,
}

/// The Stripe webhook route.
pub fn routes(webhook_secret: &str, sink: Arc<dyn BillingSink>) -> Router {
    let hook = Arc::new(Hook {
        secret: webhook_secret.as_bytes().to_vec(),
        sink,
    });
    Router::new().route(PATH, post(receive)).with_state(hook)
}

/// Read an event: its id, type, creation time and what it says; `None`
/// when it is not an event (or a subscription event without an id).
pub fn parse_event(payload: &[u8]) -> Option<BillingEvent> {
    let value: Value = serde_json::from_slice(payload).ok()?;
    let id = value["id"].as_str().filter(|id| id.starts_with("evt_"))?;
    let kind = value["type"].as_str().filter(|k| !k.is_empty())?;
    let created = value["created"].as_i64()?;
    Some(BillingEvent {
        id: id.to_owned(),
        kind: kind.to_owned(),
        created,
        change: change(kind, &value["data"]["object"])?,
        payload: payload.to_vec(),
    })
}

async fn receive(State(hook): State<Arc<Hook>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    if let Err(e) = verify(header, &body, &hook.secret, unix_now()) {
        tracing::warn!(error = %e, "stripe event refused");
        return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
    }
    let Some(event) = parse_event(&body) else {
        tracing::warn!("stripe event refused: not an event");
        return (StatusCode::BAD_REQUEST, "not a Stripe event").into_response();
    };
    let id = event.id.clone();
    match hook.sink.receive(event).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => {
            tracing::error!(event = %id, error = %e, "stripe event not applied; Stripe will deliver it again");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid","created":1795435200}"#;

    fn header(t: i64, sigs: &[&str]) -> String {
        let mut h = format!("t={t}");
        for s in sigs {
            h.push_str(&format!(",v1={s}"));
        }
        h
    }

    #[test]
    fn any_matching_v1_within_the_tolerance_passes() {
        let t = 1_795_435_200;
        let good = sign(SECRET, t, BODY);
        let other = sign(b"whsec_old", t, BODY);
        assert_eq!(verify(Some(&header(t, &[&good])), BODY, SECRET, t), Ok(()));
        assert_eq!(
            verify(Some(&header(t, &[&other, &good])), BODY, SECRET, t + 300),
            Ok(()),
            "the second of two v1 signatures, at the edge of the tolerance"
        );
        assert_eq!(
            verify(
                Some(&format!("t={t},v0=abc,v1={good}")),
                BODY,
                SECRET,
                t - 300
            ),
            Ok(())
        );
    }

    #[test]
    fn wrong_stale_tampered_and_malformed_are_refused() {
        let t = 1_795_435_200;
        let good = sign(SECRET, t, BODY);
        let wrong = sign(b"whsec_other", t, BODY);
        assert_eq!(
            verify(Some(&header(t, &[&wrong])), BODY, SECRET, t),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some(&header(t, &[&good])), BODY, SECRET, t + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(Some(&header(t, &[&good])), BODY, SECRET, t - 301),
            Err(SignatureError::Stale)
        );
        let tampered = br#"{"id":"evt_1","type":"invoice.paid","created":1795435201}"#;
        assert_eq!(
            verify(Some(&header(t, &[&good])), tampered, SECRET, t),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some(&header(t + 1, &[&good])), BODY, SECRET, t),
            Err(SignatureError::Mismatch),
            "the timestamp is signed too"
        );
        assert_eq!(verify(None, BODY, SECRET, t), Err(SignatureError::Missing));
        assert_eq!(
            verify(Some(&format!("v1={good}")), BODY, SECRET, t),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(Some(&format!("t={t}")), BODY, SECRET, t),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(Some(&header(t, &[&sign(b"", t, BODY)])), BODY, b"", t),
            Err(SignatureError::Mismatch),
            "an unset secret never verifies"
        );
    }

    #[test]
    fn objects_are_read_in_old_and_new_api_shapes() {
        let read = |kind: &str, object: serde_json::Value| {
            let body = serde_json::json!({"id": "evt_9", "type": kind, "created": 5, "data": {"object": object}});
            parse_event(body.to_string().as_bytes()).map(|e| e.change)
        };
        // Period on the subscription (older) or on its items (2025-03-31 on).
        let old = read(
            "customer.subscription.updated",
            serde_json::json!({"id": "sub_1", "customer": "cus_1", "status": "active",
                "current_period_end": 100, "metadata": {"dealwatch_user": "7"},
                "items": {"data": [{"price": "price_a"}]}}),
        );
        let new = read(
            "customer.subscription.deleted",
            serde_json::json!({"id": "sub_1", "customer": {"id": "cus_1"}, "status": "active",
                "cancel_at_period_end": true,
                "items": {"data": [{"current_period_end": 90, "price": {"id": "price_a"}},
                                   {"current_period_end": 100, "price": {"id": "price_b"}}]}}),
        );
        let facts = |user: Option<&str>, prices: &[&str], status: &str, cancel: bool| {
            Some(BillingChange::Subscription(SubscriptionFacts {
                id: "sub_1".into(),
                customer: Some("cus_1".into()),
                user_ref: user.map(str::to_owned),
                prices: prices.iter().map(|p| (*p).to_owned()).collect(),
                status: status.into(),
                period_end: Some(100),
                cancel_at_period_end: cancel,
            }))
        };
        assert_eq!(old, facts(Some("7"), &["price_a"], "active", false));
        assert_eq!(new, facts(None, &["price_a", "price_b"], "canceled", true));
        assert_eq!(
            read("customer.subscription.updated", serde_json::json!({})),
            None
        );
        // The invoice's subscription: top level (older) or under `parent`.
        let paid = |invoice| read("invoice.paid", invoice);
        let expected = Some(BillingChange::InvoicePaid {
            subscription: Some("sub_1".into()),
            period_end: Some(200),
        });
        assert_eq!(
            paid(serde_json::json!({"subscription": "sub_1",
                "lines": {"data": [{"period": {"end": 150}}, {"period": {"end": 200}}]}})),
            expected
        );
        assert_eq!(
            paid(
                serde_json::json!({"parent": {"subscription_details": {"subscription": "sub_1"}},
                "period_end": 200})
            ),
            expected
        );
        assert_eq!(
            read(
                "checkout.session.completed",
                serde_json::json!({"client_reference_id": "7", "customer": "cus_1",
                    "subscription": "sub_1", "payment_status": "no_payment_required",
                    "metadata": {"plan": "pro"}})
            ),
            Some(BillingChange::CheckoutCompleted {
                user_ref: Some("7".into()),
                customer: Some("cus_1".into()),
                subscription: Some("sub_1".into()),
                paid: true,
                plan: Some("pro".into()),
            })
        );
        assert_eq!(
            read("charge.refunded", serde_json::json!({})),
            Some(BillingChange::Other)
        );
    }

    #[test]
    fn only_events_are_read() {
        let event = parse_event(BODY).unwrap();
        assert_eq!(event.id, "evt_1");
        assert_eq!(event.kind, "invoice.paid");
        assert_eq!(event.created, 1_795_435_200);
        assert!(parse_event(b"[]").is_none());
        assert!(parse_event(br#"{"id":"cus_1","type":"x","created":1}"#).is_none());
        assert!(parse_event(b"\xff").is_none());
    }
}
