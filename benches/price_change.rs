//! End to end: how long from a price change on a shop to the alert's row in
//! the outbox, with the check interval at 1 s (DEALWATCH_CHECK_INTERVAL_SECS=1).
//! The figure is dominated by that interval and its ±10% jitter: each
//! iteration changes the price right after a check, so it measures a full
//! interval plus fetch, extraction and the transaction.
//!
//! Run: `cargo bench --bench price_change`

use axum::extract::State;
use axum::routing::get;
use criterion::{criterion_group, criterion_main, Criterion};
use dealwatch::conversation::{Core, CoreOptions};
use dealwatch::extract::SiteRules;
use dealwatch::fetch::{FetchConfig, Fetcher};
use dealwatch::l10n::L10n;
use dealwatch::metrics::Metrics;
use dealwatch::plans::Plans;
use dealwatch::scheduler::{Scheduler, SchedulerConfig};
use dealwatch::storage::Store;
use dealwatch_bots::{Channel, Incoming};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PAGE: &str = include_str!("../tests/fixtures/shop/jsonld_graph.html");

async fn page(State(cents): State<Arc<AtomicU64>>) -> axum::response::Html<String> {
    let cents = cents.load(Ordering::SeqCst);
    let price = format!("{}.{:02}", cents / 100, cents % 100);
    axum::response::Html(PAGE.replace("\"price\":\"34.99\"", &format!("\"price\":\"{price}\"")))
}

fn bench_price_change(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let cents = Arc::new(AtomicU64::new(10_000));
    let core = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = axum::Router::new()
            .route("/p/kettle", get(page))
            .with_state(cents.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let store = Store::open(&url).await.unwrap();
        let options = CoreOptions {
            allow_private_hosts: true,
            ..CoreOptions::default()
        };
        let core = Core::new(
            store.clone(),
            Arc::new(L10n::load().unwrap()),
            Plans::default(),
            options,
            Metrics::new(),
        );
        let fetcher = Fetcher::new(FetchConfig {
            allow_private: true,
            ..FetchConfig::default()
        })
        .unwrap();
        let scheduler = Scheduler::new(
            store,
            Arc::new(fetcher),
            Arc::new(SiteRules::default()),
            Plans::default(),
            SchedulerConfig {
                interval_override: Some(Duration::from_secs(1)),
                poll: Duration::from_millis(20),
                ..SchedulerConfig::default()
            },
        );
        tokio::spawn(scheduler.run(std::future::pending()));
        let msg = Incoming::console("bench", format!("watch http://127.0.0.1:{port}/p/kettle"));
        core.handle(&msg, dealwatch::storage::unix_now())
            .await
            .unwrap();
        core
    });
    // Wait for and drain the first-check notice.
    rt.block_on(async {
        while drain(&core).await.is_none() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });

    let mut group = c.benchmark_group("price change to outbox row");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("check interval 1 s", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    cents.fetch_sub(100, Ordering::SeqCst);
                    let changed = Instant::now();
                    let seen = loop {
                        if let Some(seen) = drain(&core).await {
                            break seen;
                        }
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    };
                    total += seen - changed;
                }
                total
            })
        })
    });
    group.finish();
}

/// Mark the console user's pending notices delivered; when they were
/// seen, if there were any.
async fn drain(core: &Core) -> Option<Instant> {
    let pending = core
        .pending_notices(Channel::Console, "bench", i64::MAX)
        .await
        .unwrap();
    let seen = (!pending.is_empty()).then(Instant::now);
    for (id, _) in pending {
        core.delivered(id, None, 0).await.unwrap();
    }
    seen
}

criterion_group!(benches, bench_price_change);
criterion_main!(benches);
