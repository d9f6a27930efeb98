//! Purpose: the HTTP server of `dealwatch serve`.
//!
//! `/healthz` answers 200 only while the database does, and `/metrics`
//! exposes the counters. Webhook routes from `dealwatch-webhooks` merge in
//! here as the channels land. [`run`] takes its shutdown trigger as a
//! future, so `main` passes SIGINT/SIGTERM and tests pass a channel.

use crate::metrics::Metrics;
use crate::storage::Store;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::future::Future;
use tokio::net::TcpListener;

/// Largest request body any route accepts; webhook payloads are far smaller.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub metrics: Metrics,
}

/// Health and metrics, plus `webhooks` (the channels' routes), all under
/// one body size limit.
pub fn router(state: AppState, webhooks: Router) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/billing/done", get(billing_done))
        .route("/billing/cancelled", get(billing_cancelled))
        .with_state(state)
        .merge(webhooks)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// Serve until `shutdown` completes, then finish in-flight requests.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    webhooks: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state, webhooks))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            state.metrics.error("database");
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

/// Where Checkout and the customer portal send people back. Nothing is
/// decided here (a redirect proves nothing): the plan changes when Stripe's
/// signed event arrives, and the user hears of it in their chat.
async fn billing_done() -> impl IntoResponse {
    page("Thank you", "Your payment is being confirmed. You'll get a message in your chat as soon as it is; you can close this page.")
}

async fn billing_cancelled() -> impl IntoResponse {
    page("No payment taken", "Nothing was charged. You can close this page and send “upgrade pro” again whenever you like.")
}

fn page(title: &'static str, text: &'static str) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
             <title>Dealwatch: {title}</title><body style=\"font-family:sans-serif;max-width:30em;margin:3em auto\">\
             <h1>{title}</h1><p>{text}</p></body></html>"
        ),
    )
}
