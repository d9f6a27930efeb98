//! Purpose: Dealwatch's inbound HTTP edge.
//!
//! Every provider proves a webhook is theirs differently: Telegram echoes a
//! shared secret header, Meta and Stripe sign the raw body with HMAC-SHA256,
//! Twilio signs the URL and form with HMAC-SHA1, Discord with Ed25519. Each
//! check runs on the raw bytes, in constant time, before anything is parsed
//! or stored, and a request that fails it is refused with nothing kept.
//! A verified message goes to an [`InboundSink`], which stores it before the
//! provider gets its answer; processing happens afterwards.

pub mod discord;
pub mod sms;
pub mod stripe;
pub mod telegram;
pub mod verify;
pub mod whatsapp;

pub use verify::{check_shared_secret, secrets_equal, VerifyError};

pub use dealwatch_bots::InboundSink;
