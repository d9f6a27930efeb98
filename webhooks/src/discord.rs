//! Purpose: `POST /webhooks/discord`, Discord's interactions endpoint.
//!
//! Every request carries `X-Signature-Ed25519` over `X-Signature-Timestamp`
//! followed by the raw body, made with the application's key; a request that does not
//! verify (Discord sends such probes on purpose), or whose timestamp is more
//! than five minutes off, gets 401 and nothing is read. PING gets PONG.
//! Commands and button presses are stored and answered at once with a
//! deferred response (Discord allows 3 seconds and never redelivers); the
//! inbox edits that response with the reply through the interaction token.

use crate::InboundSink;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use dealwatch_bots::discord::{self, Answer, CommandSpec, Interaction};
use dealwatch_bots::{unix_now, InboundRecord};
use ed25519_dalek::{Signature, VerifyingKey};
use std::sync::Arc;

pub const PATH: &str = "/webhooks/discord";
/// How far a request's timestamp may be from our clock.
pub const TOLERANCE_SECS: i64 = 300;

/// Why the configured public key is unusable.
#[derive(Debug, thiserror::Error)]
#[error("DISCORD_PUBLIC_KEY must be 64 hex digits of an Ed25519 public key")]
pub struct BadPublicKey;

struct Hook {
    key: VerifyingKey,
    specs: Vec<CommandSpec>,
    sink: Arc<dyn InboundSink>,
}

/// Read `DISCORD_PUBLIC_KEY` (hex).
pub fn public_key(hex_key: &str) -> Result<VerifyingKey, BadPublicKey> {
    let bytes: [u8; 32] = hex::decode(hex_key.trim())
        .map_err(|_| BadPublicKey)?
        .try_into()
        .map_err(|_| BadPublicKey)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| BadPublicKey)
}

/// The route. `specs` say how slash commands read as text commands.
pub fn routes(key: VerifyingKey, specs: Vec<CommandSpec>, sink: Arc<dyn InboundSink>) -> Router {
    let hook = Arc::new(Hook { key, specs, sink });
    Router::new().route(PATH, post(receive)).with_state(hook)
}

/// Check a request's signature; `now` in UTC seconds.
pub fn verify(
    key: &VerifyingKey,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), &'static str> {
    let signature = headers
        .get("x-signature-ed25519")
        .ok_or("no signature")?
        .as_bytes();
    let timestamp = headers
        .get("x-signature-timestamp")
        .ok_or("no timestamp")?
        .as_bytes();
    let signature: [u8; 64] = hex::decode(signature)
        .map_err(|_| "signature is not hex")?
        .try_into()
        .map_err(|_| "signature has the wrong length")?;
    let when: i64 = std::str::from_utf8(timestamp)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or("timestamp is not a number")?;
    if now.abs_diff(when) > TOLERANCE_SECS.unsigned_abs() {
        return Err("stale timestamp");
    }
    let mut signed = Vec::with_capacity(timestamp.len() + body.len());
    signed.extend_from_slice(timestamp);
    signed.extend_from_slice(body);
    key.verify_strict(&signed, &Signature::from_bytes(&signature))
        .map_err(|_| "signature does not verify")
}

async fn receive(State(hook): State<Arc<Hook>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(why) = verify(&hook.key, &headers, &body, unix_now()) {
        tracing::warn!(reason = why, "discord interaction refused");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let parsed = match discord::parse_interaction(&body, &hook.specs) {
        Ok(Interaction::Message(parsed)) => parsed,
        Ok(Interaction::Ping) => return Json(discord::answer(&Answer::Pong)).into_response(),
        Ok(Interaction::Autocomplete) => {
            return Json(discord::answer(&Answer::NoChoices)).into_response()
        }
        Ok(Interaction::Ignored) => return StatusCode::BAD_REQUEST.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "discord interaction unreadable");
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    let ephemeral = parsed.ephemeral;
    let record = InboundRecord {
        incoming: parsed.incoming,
        acknowledge: None,
        reply_token: Some(parsed.reply_token),
    };
    match hook.sink.accept(record).await {
        // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: "thinking…" until the reply.
        Ok(_) => Json(discord::answer(&Answer::Deferred { ephemeral })).into_response(),
        Err(e) => {
            // Discord never redelivers: the user sees the command fail and
            // can send it again.
            tracing::error!(error = %e, "discord interaction not stored");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn signed(key: &SigningKey, timestamp: &str, body: &[u8]) -> HeaderMap {
        let mut message = timestamp.as_bytes().to_vec();
        message.extend_from_slice(body);
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-signature-ed25519",
            hex::encode(key.sign(&message).to_bytes()).parse().unwrap(),
        );
        headers.insert("x-signature-timestamp", timestamp.parse().unwrap());
        headers
    }

    #[test]
    fn only_a_fresh_signature_by_our_key_verifies() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = public_key(&hex::encode(key.verifying_key().to_bytes())).unwrap();
        let now = 1_795_435_200;
        let body = br#"{"type":1}"#;
        assert_eq!(
            verify(&public, &signed(&key, &now.to_string(), body), body, now),
            Ok(())
        );
        // Another body, another key, a stale or missing timestamp.
        assert!(verify(
            &public,
            &signed(&key, &now.to_string(), body),
            b"{\"type\":2}",
            now
        )
        .is_err());
        let other = SigningKey::from_bytes(&[8; 32]);
        assert!(verify(&public, &signed(&other, &now.to_string(), body), body, now).is_err());
        let old = (now - 301).to_string();
        assert_eq!(
            verify(&public, &signed(&key, &old, body), body, now),
            Err("stale timestamp")
        );
        assert!(verify(&public, &HeaderMap::new(), body, now).is_err());
        // Timestamps at the ends of the range are stale, never an overflow.
        for extreme in [i64::MIN, i64::MAX] {
            let t = extreme.to_string();
            assert_eq!(
                verify(&public, &signed(&key, &t, body), body, now),
                Err("stale timestamp"),
                "{t}"
            );
        }
        assert_eq!(
            verify(&public, &signed(&key, "0", body), body, i64::MIN),
            Err("stale timestamp")
        );
        assert!(public_key("abcd").is_err());
        assert!(public_key(&"zz".repeat(32)).is_err());
    }
}
