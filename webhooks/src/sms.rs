//! Purpose: `POST /webhooks/sms`, Twilio's inbound-message webhook.
//!
//! `X-Twilio-Signature` is base64(HMAC-SHA1(auth token, URL + every form
//! parameter's name and value, sorted by name)), where the URL is the one
//! Twilio called: `PUBLIC_BASE_URL` + path (+ query). A request whose
//! signature does not match gets 403 and nothing is stored. A verified
//! message is stored first, then acted on while Twilio waits: a reply ready
//! within a few seconds is the TwiML answer (`<Message>`); one that takes
//! longer follows through the Messages API, so an accepted message is never
//! lost to a slow or failed handler.

use crate::{secrets_equal, InboundSink};
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::Engine;
use dealwatch_bots::{sms, InboundRecord};
use hmac::{Hmac, KeyInit, Mac};
use std::sync::Arc;

pub const PATH: &str = "/webhooks/sms";
const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";
/// How long the answer waits for the reply (Twilio gives up after 15 s).
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

struct Hook {
    auth_token: Vec<u8>,
    /// `PUBLIC_BASE_URL` without a trailing slash.
    public_base: String,
    sink: Arc<dyn InboundSink>,
}

/// The route. `public_base_url` must be exactly the origin Twilio calls.
pub fn routes(auth_token: &str, public_base_url: &str, sink: Arc<dyn InboundSink>) -> Router {
    let hook = Arc::new(Hook {
        auth_token: auth_token.as_bytes().to_vec(),
        public_base: public_base_url.trim_end_matches('/').to_owned(),
        sink,
    });
    Router::new().route(PATH, post(receive)).with_state(hook)
}

/// Twilio's signature for `url` and `params`.
pub fn signature(auth_token: &[u8], url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let mut data = url.to_owned();
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    let mut mac = match Hmac::<sha1::Sha1>::new_from_slice(auth_token) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn receive(
    State(hook): State<Arc<Hook>>,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let called = match uri.0.query() {
        Some(query) => format!("{}{}?{query}", hook.public_base, uri.0.path()),
        None => format!("{}{}", hook.public_base, uri.0.path()),
    };
    let expected = signature(&hook.auth_token, &called, &params);
    let presented = headers
        .get("x-twilio-signature")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if expected.is_empty() || !secrets_equal(presented, expected.as_bytes()) {
        tracing::warn!("sms webhook refused: bad signature");
        return StatusCode::FORBIDDEN.into_response();
    }
    let Some(incoming) = sms::parse_inbound(&params) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let record = InboundRecord::plain(incoming);
    match hook.sink.accept_and_answer(record, ANSWER_WITHIN).await {
        Ok(Some(replies)) => {
            ([(header::CONTENT_TYPE, "text/xml")], sms::twiml(&replies)).into_response()
        }
        Ok(None) => ([(header::CONTENT_TYPE, "text/xml")], EMPTY_TWIML).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "sms not stored; Twilio will retry");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_twilios_documented_example() {
        // The example from Twilio's webhook security documentation.
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let sig = signature(
            b"12345",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            &params,
        );
        assert_eq!(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    }
}
