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
use std::sync::Arc;

pub const PATH: &str = "/webhooks/stripe";

/// How far a signature's timestamp may be from now (Stripe's libraries use 300 s).
pub const TOLERANCE_SECS: i64 = 300;

/// A verified Stripe event: what the billing side needs to order and
/// dedupe it, and the whole payload to read the object from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingEvent {
    /// `evt_…`: Stripe may deliver one event several times.
    pub id: String,
    /// `customer.subscription.updated` and so on.
    pub kind: String,
    /// When Stripe created the event (Unix seconds): deliveries come in any
    /// order, so state is ordered by this, not by arrival.
    pub created: i64,
    /// The raw JSON, as signed.
    pub payload: Vec<u8>,
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

/// Read the event's id, type and creation time; `None` when it is not an event.
pub fn parse_event(payload: &[u8]) -> Option<BillingEvent> {
    let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
    let id = value["id"].as_str().filter(|id| id.starts_with("evt_"))?;
    let kind = value["type"].as_str().filter(|k| !k.is_empty())?;
    let created = value["created"].as_i64()?;
    Some(BillingEvent {
        id: id.to_owned(),
        kind: kind.to_owned(),
        created,
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
