//! The crash test: `dealwatch serve` is killed (SIGKILL) while a burst of
//! alerts is going out to Telegram and Discord, then started again. Every
//! alert arrives; none arrives twice on Discord (the delivery key is its
//! message nonce); on Telegram, which has no idempotency key, only a send
//! that was under way at the kill can arrive twice, and the restarted
//! instance says how many those were.

mod common;

use common::enforcing::{queue_burst, Platforms};
use dealwatch::storage::Store;
use dealwatch_bots::Channel;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dealwatch");

fn start(db: &str, fakes: &Platforms, log: &std::path::Path) -> Child {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Command::new(BIN)
        .arg("serve")
        .env("DATABASE_URL", db)
        .env("DEALWATCH_LISTEN", format!("127.0.0.1:{port}"))
        .env("DEALWATCH_OUTBOX_LEASE_SECS", "2")
        .env("RUST_LOG", "warn")
        .env("TELEGRAM_BOT_TOKEN", "123:abc")
        .env("TELEGRAM_WEBHOOK_SECRET", "s3cret")
        .env("TELEGRAM_API_URL", fakes.telegram.url.as_str())
        .env("DISCORD_PUBLIC_KEY", discord_key())
        .env("DISCORD_APPLICATION_ID", "77")
        .env("DISCORD_BOT_TOKEN", "bot")
        .env("DISCORD_API_URL", format!("{}api/", fakes.discord.url))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

/// A valid Ed25519 public key, hex (interactions are not used here).
fn discord_key() -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    hex::encode(key.to_bytes())
}

async fn wait_for(fakes: &Platforms, count: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    while fakes.accepted() < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn killed_mid_burst_and_restarted_nothing_is_lost_and_discord_gets_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("crash.db").display());
    let fakes = Platforms::start().await;
    let queued = {
        let store = Store::open(&db).await.unwrap();
        store.migrate().await.unwrap();
        let mut queued = queue_burst(&store, Channel::Telegram, "", 40, 3).await;
        queued += queue_burst(&store, Channel::Discord, "5", 60, 2).await;
        store.close().await;
        queued
    };
    assert_eq!(queued, 240);

    let first_log = dir.path().join("first.log");
    let mut first = start(&db, &fakes, &first_log);
    wait_for(&fakes, queued / 3, Duration::from_secs(60)).await;
    first.kill().unwrap(); // SIGKILL: no shutdown, no flush
    first.wait().unwrap();
    let at_kill = fakes.accepted();
    assert!(at_kill < queued, "the burst was over before the kill");

    let second_log = dir.path().join("second.log");
    let mut second = start(&db, &fakes, &second_log);
    let deadline = Instant::now() + Duration::from_secs(90);
    let distinct = |texts: Vec<String>| {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for t in texts {
            *seen.entry(t).or_default() += 1;
        }
        seen
    };
    loop {
        let delivered =
            distinct(fakes.telegram.texts()).len() + distinct(fakes.discord.texts()).len();
        if delivered >= queued || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let anything still under way land before counting.
    tokio::time::sleep(Duration::from_secs(3)).await;
    Command::new("kill")
        .args(["-TERM", &second.id().to_string()])
        .status()
        .unwrap();
    second.wait().unwrap();
    let logs = std::fs::read_to_string(&second_log).unwrap();
    let in_doubt = logs.matches("delivery in doubt").count();

    let telegram = distinct(fakes.telegram.texts());
    let discord = distinct(fakes.discord.texts());
    // Nothing lost: every alert arrived.
    assert_eq!(telegram.len(), 120, "telegram alerts delivered");
    assert_eq!(discord.len(), 120, "discord alerts delivered");
    for (id, n) in [("0", 3), ("39", 3)] {
        let mine = telegram
            .keys()
            .filter(|t| t.contains(&format!(" for {id}\n")))
            .count();
        assert_eq!(mine, n, "chat {id}");
    }
    // Nothing twice on Discord, however the kill fell.
    assert!(discord.values().all(|n| *n == 1), "{discord:?}");
    // On Telegram only the sends in doubt may repeat.
    let repeated: usize = telegram.values().map(|n| n - 1).sum();
    assert!(
        repeated <= in_doubt,
        "{repeated} repeated, {in_doubt} in doubt"
    );
    assert_eq!(fakes.refused(), 0, "429s answered");
    eprintln!(
        "killed after {at_kill} of {queued}; {in_doubt} in doubt at restart, {repeated} repeated on Telegram"
    );
}
