//! Purpose: the HTTP server of `dealwatch serve`, safe to put on the internet.
//!
//! `/healthz` answers 200 only while a webhook could be stored now (the
//! database takes a write within [`HEALTH_DEADLINE`]), and `/metrics`
//! exposes the counters, here or on a listener of its own. Webhook routes
//! from `dealwatch-webhooks` merge in here. [`run`] takes its shutdown
//! trigger as a future, so `main` passes SIGINT/SIGTERM and tests pass a
//! channel.
//!
//! Hostile clients are bounded by [`ServerLimits`], all enforced by hyper,
//! hyper-util and tower rather than by hand: a client must send its
//! request head within a deadline (also the longest an idle keep-alive
//! connection is kept), headers are capped in size, a whole request
//! (body included) has a deadline, requests in flight are capped (more are
//! shed with 503), and connections are capped in all and per client
//! address, so slow or half-open connections cannot exhaust file
//! descriptors or memory, and one address cannot crowd out the others.

use crate::metrics::Metrics;
use crate::storage::Store;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Largest request body any route accepts; webhook payloads are far smaller.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// How long `/healthz` waits for the database to take a write: under
/// Discord's 3 s answer window, the tightest of the providers'.
pub const HEALTH_DEADLINE: Duration = Duration::from_secs(2);

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub metrics: Metrics,
}

/// Bounds on what clients may hold of the server.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// A request's head must arrive within this; also how long an idle
    /// keep-alive connection stays open.
    pub header_read_timeout: Duration,
    /// The longest a request may take, body read and answer included.
    pub request_timeout: Duration,
    /// Most bytes buffered for one connection's request head.
    pub max_header_bytes: usize,
    /// Connections open at once, in all (past it, new ones wait in the
    /// kernel's backlog).
    pub max_connections: usize,
    /// Connections open at once from one client address (past it, a new
    /// one is closed at once). Behind a reverse proxy, every client has
    /// the proxy's address: raise it to `max_connections` there.
    pub max_connections_per_ip: usize,
    /// Requests being answered at once (past it, 503 at once).
    pub max_in_flight: usize,
    /// How long shutdown waits for requests in flight.
    pub drain: Duration,
}

impl Default for ServerLimits {
    fn default() -> ServerLimits {
        ServerLimits {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_header_bytes: 64 * 1024,
            max_connections: 512,
            max_connections_per_ip: 64,
            max_in_flight: 256,
            drain: Duration::from_secs(5),
        }
    }
}

/// Health, the billing return pages and `webhooks` (the channels' routes),
/// with `/metrics` too unless it has a listener of its own.
pub fn app_router(state: AppState, webhooks: Router, with_metrics: bool) -> Router {
    let mut app = Router::new()
        .route("/healthz", get(healthz))
        .route("/billing/done", get(billing_done))
        .route("/billing/cancelled", get(billing_cancelled));
    if with_metrics {
        app = app.route("/metrics", get(metrics));
    }
    app.with_state(state)
        .merge(webhooks)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(request_span))
}

/// The header a request's id travels in, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// Every request runs in a span named by its id: the caller's
/// `X-Request-Id` when it is short and plain, else a fresh one; the answer
/// carries it back, so an operator can find a request's log lines.
async fn request_span(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(|| format!("{:016x}", fastrand::u64(..)), str::to_owned);
    let span = tracing::info_span!(
        "http",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    let mut response = tracing::Instrument::instrument(next.run(request), span).await;
    if let Ok(value) = axum::http::HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// `/metrics` alone, for `DEALWATCH_METRICS_LISTEN`.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Serve [`app_router`] with `/metrics` until `shutdown` completes, under
/// the default limits.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    webhooks: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics = state.metrics.clone();
    serve(
        listener,
        app_router(state, webhooks, true),
        ServerLimits::default(),
        metrics,
        shutdown,
    )
    .await
}

/// Serve `app` on `listener` under `limits` until `shutdown` completes;
/// then stop accepting and give requests in flight `limits.drain` to end.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    metrics: Metrics,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app.layer(
        tower::ServiceBuilder::new()
            .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                StatusCode::SERVICE_UNAVAILABLE
            }))
            .load_shed()
            .concurrency_limit(limits.max_in_flight.max(1))
            .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                limits.request_timeout,
            )),
    );
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_ip = PerIp::new(limits.max_connections_per_ip.max(1));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset while
                    // queued: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(address_slot) = per_ip.take(peer.ip()) else {
            metrics.http_refused();
            drop(stream);
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let metrics = metrics.clone();
        metrics.http_connection(true);
        tokio::spawn(async move {
            // An error here is the client's: a reset, a timeout, garbage.
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended");
            }
            metrics.http_connection(false);
            drop(address_slot);
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the drain; closing them");
    }
    Ok(())
}

/// Open connections per client address.
#[derive(Clone)]
struct PerIp {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    max: usize,
}

/// One connection's place in its address's count, given back on drop.
struct AddressSlot {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl PerIp {
    fn new(max: usize) -> PerIp {
        PerIp {
            open: Arc::default(),
            max,
        }
    }

    fn take(&self, ip: IpAddr) -> Option<AddressSlot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(ip).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            open: self.open.clone(),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match tokio::time::timeout(HEALTH_DEADLINE, state.store.ping_writable()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok\n"),
        Ok(Err(e)) => {
            state.metrics.error("database");
            tracing::error!(error = %e, "health check: database cannot take a write");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
        Err(_) => {
            state.metrics.error("database");
            tracing::error!("health check: database took no write within the deadline");
            (StatusCode::SERVICE_UNAVAILABLE, "database busy\n")
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
