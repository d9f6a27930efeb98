//! Load: signed Telegram webhook commands per second that the server takes
//! on SQLite, with latency percentiles, and a count afterwards that nothing
//! was lost (every update stored once, processed, and answered once at a
//! fake Bot API). Bounded: a fixed number of requests, all on loopback.
//!
//! Run: `cargo bench --bench webhook_load` (optionally `-- REQUESTS
//! CONCURRENCY PEOPLE`, default 5000 32 200; add `acted` to stop once every
//! command is acted on). Replies leave at Telegram's pace (about 28 a
//! second in all), so without `acted` the run takes REQUESTS / 28 seconds
//! after the commands are acted on. With `drain`, the commands are stored
//! first (as after a burst) and the bench times acting on them alone. Each person sends, in turn, `alert`,
//! `list`, `quiet`, `pause`, `settings`, `resume`, `plan` and `help`: half
//! of the commands change something.

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
    // `BENCH_LOG=sqlx::query=debug` logs every statement (to count them).
    if std::env::var("BENCH_LOG").is_ok() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("BENCH_LOG"))
            .with_writer(std::io::stderr)
            .init();
    }
    let words: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<usize> = words.iter().filter_map(|a| a.parse().ok()).collect();
    let requests = args.first().copied().unwrap_or(5_000);
    let concurrency = args.get(1).copied().unwrap_or(32);
    let people = args.get(2).copied().unwrap_or(200).max(1);
    let wait_for_replies = !words.iter().any(|w| w == "acted");
    let rt = tokio::runtime::Runtime::new().unwrap();
    if words.iter().any(|w| w == "drain") {
        rt.block_on(drain(requests, people));
    } else {
        rt.block_on(run(requests, concurrency, people, wait_for_replies));
    }
}

/// The update a person sends as the bench's `n`th.
fn update(n: usize, people: usize) -> serde_json::Value {
    let user = 1000 + (n % people);
    let text = SCRIPT[(n / people) % SCRIPT.len()];
    json!({"update_id": n, "message": {"message_id": n, "date": 1,
        "chat": {"id": user, "type": "private"},
        "from": {"id": user, "is_bot": false, "first_name": "Load"}, "text": text}})
}

/// After a burst: REQUESTS commands already accepted (stored as the
/// webhook stores them), then the inbox starts; how fast it acts on them
/// all, with the dispatcher sending replies beside it.
async fn drain(requests: usize, people: usize) {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(&dir).await;
    let (api, seen) = common::fake_bot_api().await;
    let (inbox, dispatcher) = common::pipeline(&store, &api, TelegramClient::pace());
    for n in 0..requests {
        let user = (1000 + (n % people)).to_string();
        let text = SCRIPT[(n / people) % SCRIPT.len()];
        let record = common::message(&n.to_string(), &user, text);
        assert!(inbox.accept(&record).await.unwrap());
    }
    let started = Instant::now();
    tokio::spawn(dispatcher.run(std::future::pending()));
    tokio::spawn(inbox.clone().run(std::future::pending()));
    let acted = wait_until_processed(&store, requests, Duration::from_secs(600)).await;
    let took = started.elapsed();
    println!("drain: {requests} accepted commands from {people} people, SQLite");
    println!(
        "  acted on: {acted} in {:.2} s ({:.0} commands/s); {} replies sent by then",
        took.as_secs_f64(),
        acted as f64 / took.as_secs_f64(),
        seen.lock().unwrap().len()
    );
    let size = |name: &str| std::fs::metadata(dir.path().join(name)).map_or(0, |m| m.len());
    println!(
        "  database {:.1} MB, write-ahead log {:.1} MB",
        size("bench.db") as f64 / 1e6,
        size("bench.db-wal") as f64 / 1e6
    );
    assert_eq!(acted, requests, "every command acted on");
}

/// Wait (bounded) until `requests` inbound messages are processed; how many are.
async fn wait_until_processed(
    store: &dealwatch::storage::Store,
    requests: usize,
    limit: Duration,
) -> usize {
    let deadline = Instant::now() + limit;
    loop {
        let counts = store.inbox().counts().await.unwrap();
        let processed = counts
            .iter()
            .find(|(s, _)| s == "processed")
            .map_or(0, |(_, n)| *n as usize);
        if processed >= requests || Instant::now() > deadline {
            return processed;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What each person sends, in turn.
const SCRIPT: [&str; 8] = [
    "alert lego",
    "list",
    "quiet 22:00-07:00",
    "pause 1",
    "settings",
    "resume 1",
    "plan",
    "help",
];

async fn run(requests: usize, concurrency: usize, people: usize, wait_for_replies: bool) {
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
                let update = update(n, people);
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
    wait_until_processed(&store, requests, Duration::from_secs(300)).await;
    let acted_time = started.elapsed();
    let replied_by_then = sent();
    let deadline = Instant::now() + Duration::from_secs(900);
    while wait_for_replies && sent() < requests && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all_time = started.elapsed();

    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let counts = store.inbox().counts().await.unwrap();
    println!("webhook load: {requests} signed Telegram updates from {people} people, {concurrency} concurrent connections, SQLite");
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
    if wait_for_replies {
        assert_eq!(sent(), requests, "one reply per update");
    }
}
