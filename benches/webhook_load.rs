//! Load: signed Telegram webhook commands per second that the server takes
//! on SQLite, with latency percentiles, and a count afterwards that nothing
//! was lost (every update stored once, processed, and answered once at a
//! fake Bot API). Bounded: a fixed number of requests, all on loopback.
//!
//! Run: `cargo bench --bench webhook_load` (optionally `-- REQUESTS CONCURRENCY`).
//! Replies leave at Telegram's pace (about 28 a second in all), so the
//! whole run takes REQUESTS / 28 seconds after the commands are acted on.

mod common;

use dealwatch::inbound::InboxSink;
use dealwatch::metrics::Metrics;
use dealwatch::server::{self, AppState};
use dealwatch_bots::telegram::TelegramClient;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &str = "load-test-secret";

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let requests = args.first().copied().unwrap_or(5_000);
    let concurrency = args.get(1).copied().unwrap_or(32);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(run(requests, concurrency));
}

async fn run(requests: usize, concurrency: usize) {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(&dir).await;
    // The fake Bot API counts replies.
    let (api, seen) = common::fake_bot_api().await;
    let sent = || seen.lock().unwrap().len();
    let (inbox, dispatcher) = common::pipeline(&store, &api, TelegramClient::pace());
    tokio::spawn(dispatcher.run(std::future::pending()));
    tokio::spawn(inbox.clone().run(std::future::pending()));
    let routes = dealwatch_webhooks::telegram::routes(SECRET, Arc::new(InboxSink(inbox)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!(
        "http://{}/webhooks/telegram",
        listener.local_addr().unwrap()
    );
    let state = AppState {
        store: store.clone(),
        metrics: Metrics::new(),
    };
    tokio::spawn(server::run(listener, state, routes, std::future::pending()));

    let http = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, next, endpoint) = (http.clone(), next.clone(), endpoint.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= requests {
                    break;
                }
                let user = 1000 + (n % 200);
                let text = ["list", "help", "settings", "plan"][n % 4];
                let update = json!({"update_id": n, "message": {"message_id": n, "date": 1,
                    "chat": {"id": user, "type": "private"},
                    "from": {"id": user, "is_bot": false, "first_name": "Load"}, "text": text}});
                let t = Instant::now();
                let status = http
                    .post(&endpoint)
                    .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
                    .body(update.to_string())
                    .send()
                    .await
                    .map(|r| r.status().as_u16());
                latencies.push(t.elapsed());
                if !matches!(status, Ok(200)) {
                    failures += 1;
                }
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    for w in workers {
        let (l, f) = w.await.unwrap();
        latencies.extend(l);
        failures += f;
    }
    let accept_time = started.elapsed();

    // Wait (bounded) until every update is acted on, then until every reply
    // is at the fake Bot API (Telegram's pace: ~28 a second in all).
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let counts = store.inbound_counts().await.unwrap();
        let processed = counts
            .iter()
            .find(|(s, _)| s == "processed")
            .map_or(0, |(_, n)| *n);
        if processed as usize >= requests || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let acted_time = started.elapsed();
    let replied_by_then = sent();
    let deadline = Instant::now() + Duration::from_secs(900);
    while sent() < requests && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all_time = started.elapsed();

    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let counts = store.inbound_counts().await.unwrap();
    println!("webhook load: {requests} signed Telegram updates, {concurrency} concurrent connections, SQLite");
    println!(
        "  accepted: {:.0} requests/s ({} in {:.2} s), non-200 answers: {failures}",
        requests as f64 / accept_time.as_secs_f64(),
        requests,
        accept_time.as_secs_f64()
    );
    println!(
        "  latency: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.90).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies[latencies.len() - 1].as_secs_f64() * 1e3
    );
    println!(
        "  acted on: all {requests} {:.2} s after the first request ({:.0} commands/s end to end); {replied_by_then} replies sent by then",
        acted_time.as_secs_f64(),
        requests as f64 / acted_time.as_secs_f64(),
    );
    println!(
        "  replies: {} at the fake Bot API after {:.1} s ({:.1}/s, Telegram's ceiling is 30/s)",
        sent(),
        all_time.as_secs_f64(),
        sent() as f64 / all_time.as_secs_f64().max(0.001),
    );
    println!("  inbound rows by state: {counts:?}");
    assert_eq!(
        counts,
        vec![("processed".to_owned(), requests as i64)],
        "every update stored once and acted on"
    );
    assert_eq!(sent(), requests, "one reply per update");
}
