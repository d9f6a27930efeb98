//! Purpose: `GET` and `POST /webhooks/whatsapp`, the Cloud API webhook.
//!
//! The GET is Meta's subscription check: `hub.mode=subscribe` with our
//! verify token gets `hub.challenge` echoed, anything else 403. Each POST
//! must carry `X-Hub-Signature-256: sha256=HEX`, the HMAC-SHA256 of the raw
//! body keyed with the app secret, or it gets 401 and nothing is read.
//! Messages are stored (deduplicated on their `wamid`) and delivery
//! statuses recorded before the 200; if storing fails Meta gets 503 and
//! sends the whole notification again.

use crate::{secrets_equal, InboundSink};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use dealwatch_bots::{whatsapp, InboundRecord};
use hmac::{Hmac, KeyInit, Mac};
use std::collections::HashMap;
use std::sync::Arc;

pub const PATH: &str = "/webhooks/whatsapp";

struct Hook {
    app_secret: Vec<u8>,
    verify_token: Vec<u8>,
    phone_number_id: String,
    sink: Arc<dyn InboundSink>,
}

/// The routes. Notifications for other phone numbers of the app are
/// acknowledged and skipped.
pub fn routes(
    app_secret: &str,
    verify_token: &str,
    phone_number_id: &str,
    sink: Arc<dyn InboundSink>,
) -> Router {
    let hook = Arc::new(Hook {
        app_secret: app_secret.as_bytes().to_vec(),
        verify_token: verify_token.as_bytes().to_vec(),
        phone_number_id: phone_number_id.to_owned(),
        sink,
    });
    Router::new()
        .route(PATH, get(subscribe).post(receive))
        .with_state(hook)
}

/// `sha256=HEX` for `body` under `app_secret`.
pub fn signature(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(app_secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn subscribe(
    State(hook): State<Arc<Hook>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mode = query.get("hub.mode").map(String::as_str);
    let token = query.get("hub.verify_token").map(String::as_bytes);
    let challenge = query.get("hub.challenge");
    match (mode, token, challenge) {
        (Some("subscribe"), Some(token), Some(challenge))
            if !hook.verify_token.is_empty() && secrets_equal(token, &hook.verify_token) =>
        {
            (StatusCode::OK, challenge.clone()).into_response()
        }
        _ => {
            tracing::warn!("whatsapp subscription check refused");
            StatusCode::FORBIDDEN.into_response()
        }
    }
}

async fn receive(State(hook): State<Arc<Hook>>, headers: HeaderMap, body: Bytes) -> Response {
    let expected = signature(&hook.app_secret, &body);
    let presented = headers
        .get("x-hub-signature-256")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if hook.app_secret.is_empty() || !secrets_equal(presented, expected.as_bytes()) {
        tracing::warn!("whatsapp notification refused: bad signature");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let notification = match whatsapp::parse_notification(&body, &hook.phone_number_id) {
        Ok(notification) => notification,
        Err(e) => {
            tracing::warn!(error = %e, "whatsapp notification unreadable");
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    for incoming in notification.messages {
        if let Err(e) = hook.sink.accept(InboundRecord::plain(incoming)).await {
            tracing::error!(error = %e, "whatsapp message not stored; Meta will redeliver");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    if !notification.statuses.is_empty() {
        if let Err(e) = hook.sink.record_statuses(notification.statuses).await {
            tracing::error!(error = %e, "whatsapp statuses not recorded; Meta will redeliver");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    StatusCode::OK.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_the_raw_body() {
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"),
        // the RFC 4231-style example published on Wikipedia.
        assert_eq!(
            signature(b"key", b"The quick brown fox jumps over the lazy dog"),
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }
}
