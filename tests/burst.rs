//! A burst of alerts through fakes that enforce each platform's rate
//! limits: everything is delivered, once, and no 429 is ever answered.
//! (The 10,000-alert figure is `cargo bench --bench burst`.)

mod common;

use common::enforcing::{queue_burst, Platforms};
use common::TestDb;
use dealwatch::dispatch::Dispatcher;
use dealwatch::plans::Plans;
use dealwatch_bots::Channel;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn a_burst_goes_out_within_every_platforms_limits() {
    let db = TestDb::sqlite().await;
    let fakes = Platforms::start().await;
    let store = &db.store;
    // Telegram: 60 chats with 3 alerts each (per-chat pacing), 2 groups
    // with 2 each; WhatsApp: 100 people with 2; Discord: 40 DMs with 2.
    let mut queued = queue_burst(store, Channel::Telegram, "", 60, 3).await;
    queued += queue_burst(store, Channel::Telegram, "-100", 2, 2).await;
    queued += queue_burst(store, Channel::WhatsApp, "4477", 100, 2).await;
    queued += queue_burst(store, Channel::Discord, "5", 40, 2).await;
    assert_eq!(queued, 180 + 4 + 200 + 80);
    let dispatcher = Dispatcher::new(
        store.clone(),
        Arc::new(dealwatch::l10n::L10n::load().unwrap()),
        Plans::default(),
        fakes.senders(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(dispatcher.run(async {
        let _ = stopped.await;
    }));
    // Bounded by the slowest limit (a group's 20 a minute), not a figure.
    for _ in 0..600 {
        if fakes.accepted() >= queued {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop.send(());
    worker.await.unwrap();
    let refused = (
        fakes.telegram.refused(),
        fakes.whatsapp.refused(),
        fakes.discord.refused(),
    );
    assert_eq!(
        refused,
        (0, 0, 0),
        "429s answered (telegram, whatsapp, discord)"
    );
    assert_eq!(fakes.accepted(), queued);
    // Each recipient got exactly their alerts.
    let telegram = fakes.telegram.per_recipient();
    assert_eq!(telegram.len(), 62);
    assert!(telegram
        .iter()
        .all(|(chat, n)| *n == if chat.starts_with('-') { 2 } else { 3 }));
    assert!(fakes.whatsapp.per_recipient().values().all(|n| *n == 2));
    assert!(fakes.discord.per_recipient().values().all(|n| *n == 2));
    db.finish().await;
}
