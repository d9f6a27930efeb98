//! Purpose: the counters `/metrics` exposes, in Prometheus text format.
//!
//! A [`Metrics`] owns its own registry (no global recorder), so every test
//! and every `Core` can have an independent set.

use dealwatch_bots::Channel;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::Arc;

/// The error kinds counted, each reported from the start.
pub const ERROR_KINDS: &[&str] = &["database", "internal"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelLabel {
    channel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

/// Dealwatch's counters. Cheap to clone; clones share the same counters.
#[derive(Clone, Debug)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    messages_in: Family<ChannelLabel, Counter>,
    replies_out: Family<ChannelLabel, Counter>,
    errors: Family<KindLabel, Counter>,
    /// HTTP connections open now.
    http_connections: Gauge,
    /// HTTP connections closed at once: over the per-address cap.
    http_refused: Counter,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("dealwatch");
        let messages_in = Family::<ChannelLabel, Counter>::default();
        let replies_out = Family::<ChannelLabel, Counter>::default();
        let errors = Family::<KindLabel, Counter>::default();
        registry.register(
            "messages_in",
            "Messages received from users, by channel",
            messages_in.clone(),
        );
        registry.register(
            "replies_out",
            "Replies sent to users, by channel",
            replies_out.clone(),
        );
        registry.register("errors", "Errors, by kind", errors.clone());
        let http_connections = Gauge::default();
        registry.register(
            "http_connections",
            "HTTP connections open now",
            http_connections.clone(),
        );
        let http_refused = Counter::default();
        registry.register(
            "http_connections_refused",
            "HTTP connections closed at once because their address had too many open",
            http_refused.clone(),
        );
        // Every series exists from the start at zero, so dashboards and
        // rate() see a counter before its first increment.
        for channel in Channel::ALL {
            let label = ChannelLabel {
                channel: channel.as_str().to_owned(),
            };
            drop(messages_in.get_or_create(&label));
            drop(replies_out.get_or_create(&label));
        }
        for kind in ERROR_KINDS {
            drop(errors.get_or_create(&KindLabel {
                kind: (*kind).to_owned(),
            }));
        }
        Metrics {
            inner: Arc::new(Inner {
                registry,
                messages_in,
                replies_out,
                errors,
                http_connections,
                http_refused,
            }),
        }
    }

    /// An HTTP connection opened (`true`) or closed (`false`).
    pub fn http_connection(&self, open: bool) {
        if open {
            self.inner.http_connections.inc();
        } else {
            self.inner.http_connections.dec();
        }
    }

    /// An HTTP connection refused over the per-address cap.
    pub fn http_refused(&self) {
        self.inner.http_refused.inc();
    }

    pub fn message_in(&self, channel: &str) {
        self.inner
            .messages_in
            .get_or_create(&ChannelLabel {
                channel: channel.to_owned(),
            })
            .inc();
    }

    pub fn replies_out(&self, channel: &str, count: usize) {
        self.inner
            .replies_out
            .get_or_create(&ChannelLabel {
                channel: channel.to_owned(),
            })
            .inc_by(count as u64);
    }

    /// Count an error of a kind (`database`, `parse`, `http`...). Kinds are
    /// a small fixed vocabulary chosen by the code, never user input.
    pub fn error(&self, kind: &'static str) {
        self.inner
            .errors
            .get_or_create(&KindLabel {
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// The exposition text (OpenMetrics, which Prometheus scrapes natively).
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.inner.registry).is_err() {
            return String::new();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_show_up_in_the_exposition() {
        let metrics = Metrics::new();
        metrics.message_in("console");
        metrics.message_in("console");
        metrics.replies_out("console", 3);
        metrics.error("database");
        let text = metrics.render();
        assert!(
            text.contains("dealwatch_messages_in_total{channel=\"console\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("dealwatch_replies_out_total{channel=\"console\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("dealwatch_errors_total{kind=\"database\"} 1"),
            "{text}"
        );
    }
}
