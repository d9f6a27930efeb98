//! Purpose: Dealwatch's inbound HTTP edge.
//!
//! Every provider proves a webhook is theirs differently: Telegram echoes a
//! shared secret header, Meta and Stripe sign the raw body with HMAC-SHA256,
//! Twilio signs the URL and form with HMAC-SHA1, Discord with Ed25519. Each
//! check runs on the raw bytes, in constant time, before anything is parsed
//! or stored, and a request that fails it is refused with nothing kept.
//! A verified message goes to an [`InboundSink`], which stores it before the
//! provider gets its answer; processing happens afterwards.

pub mod telegram;
pub mod verify;

use dealwatch_bots::{BoxFuture, InboundRecord};

pub use verify::{check_shared_secret, secrets_equal, VerifyError};

/// Where verified inbound messages go: stored durably, processed later.
pub trait InboundSink: Send + Sync + 'static {
    /// Store the message. `Ok(false)` for a redelivery already stored. An
    /// error means nothing was stored: the route answers 503 so the provider
    /// delivers the message again.
    fn accept(&self, record: InboundRecord) -> BoxFuture<'_, Result<bool, String>>;
}
