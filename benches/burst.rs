//! A burst of 10,000 alerts through fakes that enforce Telegram's,
//! WhatsApp's and Discord's published rate limits (tests/common/enforcing.rs):
//! 5,000 to 1,000 Telegram chats (5 each), 4,000 to 1,000 WhatsApp numbers
//! (4 each), 1,000 to 500 Discord DMs (2 each), all queued at once, then
//! the dispatcher as `serve` runs it. Reported per platform: how long from
//! the first message to the last, the rate against the platform's ceiling,
//! and how many 429s the fake answered. Then the same burst with the
//! clients unpaced (the naive way: send as fast as possible and let the
//! 429s push back).
//!
//! Run: `cargo bench --bench burst` (about 7 minutes: Telegram's 30 a
//! second is the slowest ceiling). `BURST_SCALE=10` divides every count.

#[path = "../tests/common/enforcing.rs"]
mod enforcing;

use dealwatch::dispatch::Dispatcher;
use dealwatch::l10n::L10n;
use dealwatch::plans::Plans;
use dealwatch::storage::Store;
use dealwatch_bots::{Channel, Sender};
use enforcing::{queue_burst, Enforcing, Platforms};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn run(label: &str, paced: bool, scale: usize) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("burst.db").display());
    let store = Store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let fakes = Platforms::start().await;
    let mut queued = queue_burst(&store, Channel::Telegram, "", 1000 / scale, 5).await;
    queued += queue_burst(&store, Channel::WhatsApp, "4477", 1000 / scale, 4).await;
    queued += queue_burst(&store, Channel::Discord, "5", 500 / scale, 2).await;
    let senders: HashMap<Channel, Arc<dyn Sender>> = if paced {
        fakes.senders()
    } else {
        fakes.unpaced_senders()
    };
    let dispatcher = Dispatcher::new(
        store.clone(),
        Arc::new(L10n::load().unwrap()),
        Plans::default(),
        senders,
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let worker = tokio::spawn(dispatcher.run(async {
        let _ = stopped.await;
    }));
    while fakes.accepted() < queued && started.elapsed() < Duration::from_secs(1800) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let total = started.elapsed();
    let _ = stop.send(());
    let _ = worker.await;
    println!(
        "{label}: {queued} alerts queued, {} delivered in {:.1} s, {} 429s answered",
        fakes.accepted(),
        total.as_secs_f64(),
        fakes.refused()
    );
    let line = |name: &str, fake: &Enforcing, ceiling: f64| {
        let span = fake.span().as_secs_f64();
        let rate = if span > 0.0 {
            (fake.accepted().saturating_sub(1)) as f64 / span
        } else {
            0.0
        };
        println!(
            "  {name:<9} {:>5} delivered over {span:>6.1} s = {rate:>5.1}/s ({:>3.0}% of {ceiling}/s), {} 429s",
            fake.accepted(),
            100.0 * rate / ceiling,
            fake.refused()
        );
    };
    line("telegram", &fakes.telegram, 30.0);
    line("whatsapp", &fakes.whatsapp, 80.0);
    line("discord", &fakes.discord, 50.0);
    store.close().await;
}

fn main() {
    let scale: usize = std::env::var("BURST_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(run("paced (as serve sends)", true, scale));
    rt.block_on(run("unpaced (naive)", false, scale));
}
