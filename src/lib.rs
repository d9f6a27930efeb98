//! Dealwatch: a messaging-first deal and price-alert service.
//!
//! Architecture, from the outside in:
//! - `dealwatch-bots` (bots/): neutral `Incoming`/`Outgoing` messages and
//!   one adapter per chat platform; knows nothing about deals.
//! - `dealwatch-webhooks` (webhooks/): provider signature checks and the
//!   HTTP routes that turn webhook payloads into `Incoming` messages.
//! - this crate: [`config`], the conversational core ([`command`] parses,
//!   [`conversation`] acts, [`l10n`] replies), [`storage`], [`rules`], and
//!   the [`server`] and [`console`] that the `dealwatch` binary wires up.
//!
//! The core's deciding code does no network I/O: the few answers that need
//! a platform (a webhook's check, a payment link) are asked for through
//! `conversation::Platforms` between decisions, so it is tested with
//! nothing but SQLite and, for those, a fake platform on loopback.

pub mod billing;
pub mod channels;
pub mod chart;
pub mod check;
pub mod command;
pub mod config;
pub mod console;
pub mod conversation;
pub mod deals;
pub mod dispatch;
pub mod extract;
pub mod fetch;
pub mod inbound;
pub mod l10n;
pub mod matcher;
pub mod metrics;
pub mod model;
pub mod money;
pub mod plans;
pub mod price_text;
pub mod rules;
pub mod scheduler;
pub mod seal;
pub mod server;
pub mod slash;
pub mod sources;
pub mod startup;
pub mod storage;
pub mod urls;
pub mod watching;
