//! Fairness: how long another person waits for a reply while one person's
//! 1,000 commands are queued, with Telegram's real pacing (about one
//! message a second per chat) against a fake Bot API on loopback, SQLite.
//! Bounded: 1,000 + 1 messages; stops once Bob is answered.
//!
//! Run: `cargo bench --bench fairness` (optionally `-- BACKLOG`).

mod common;

use dealwatch_bots::telegram::TelegramClient;
use std::time::{Duration, Instant};

fn main() {
    let backlog = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(run(backlog));
}

async fn run(backlog: usize) {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(&dir).await;
    let (api, seen) = common::fake_bot_api().await;
    let (inbox, dispatcher) = common::pipeline(&store, &api, TelegramClient::pace());
    tokio::spawn(dispatcher.run(std::future::pending()));
    for i in 0..backlog {
        let command = common::message(&i.to_string(), "100", &format!("alert lego {i}"));
        inbox.accept(&command).await.unwrap();
    }
    tokio::spawn(inbox.clone().run(std::future::pending()));
    // Ann's backlog is being worked on; now Bob writes.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let bob_sent = Instant::now();
    inbox
        .accept(&common::message("bob-1", "200", "list"))
        .await
        .unwrap();
    let answered = loop {
        let found = seen
            .lock()
            .unwrap()
            .iter()
            .find(|(chat, _)| chat == "200")
            .map(|(_, at)| *at);
        if let Some(at) = found {
            break at;
        }
        if bob_sent.elapsed() > Duration::from_secs(600) {
            panic!("Bob was never answered");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let ann_done = common::sent_to(&seen, "100");
    println!(
        "fairness: backlog {backlog} from one person; another person's reply after {:.3} s \
         (the first person had {ann_done} replies by then, paced at ~1/s per chat)",
        (answered - bob_sent).as_secs_f64()
    );
}
