//! SIGTERM under a backlog: `dealwatch serve` with thousands of accepted
//! commands still to act on and answer (at Telegram's real pace, about
//! one message a second per chat) exits within 10 s, and gives back what
//! it had claimed, so a restart takes over at once.

mod common;

use axum::http::StatusCode;
use common::fake_api::{telegram, Call, FakeApi};
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "shutdown-test-secret";

fn update(id: usize, from: usize) -> String {
    json!({"update_id": id, "message": {"message_id": id, "date": 1_700_000_000,
        "chat": {"id": from, "type": "private"},
        "from": {"id": from, "is_bot": false, "first_name": "P"},
        "text": format!("alert lego {id}")}})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_thousands_queued_exits_promptly_and_gives_work_back() {
    let api = FakeApi::start(|call: &Call, n| {
        let answer = if call.path.ends_with("/getMe") {
            telegram::ok(telegram::me(1, "dealwatch_bot"))
        } else {
            telegram::sent(call, n)
        };
        (StatusCode::OK, answer)
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("dealwatch.db").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dealwatch"))
        .arg("serve")
        .env("DATABASE_URL", &db)
        .env("DEALWATCH_LISTEN", format!("127.0.0.1:{port}"))
        .env("TELEGRAM_BOT_TOKEN", "1:shutdown")
        .env("TELEGRAM_WEBHOOK_SECRET", SECRET)
        .env("TELEGRAM_API_URL", api.url.as_str())
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "serve did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // 3,000 commands from 30 people, accepted over the webhook.
    let total = 3000;
    let mut posts = tokio::task::JoinSet::new();
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    for id in 0..total {
        let request = http
            .post(format!("{base}/webhooks/telegram"))
            .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
            .body(update(id + 1, 1000 + id % 30));
        let gate = gate.clone();
        posts.spawn(async move {
            let _permit = gate.acquire().await;
            request.send().await.map(|r| r.status().as_u16())
        });
    }
    while let Some(status) = posts.join_next().await {
        assert_eq!(status.unwrap().unwrap(), 200);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    // SIGTERM: out within 10 s.
    let asked = Instant::now();
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if asked.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("serve was still running 10 s after SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit:?}");

    // Most of the backlog is still to do (commands to act on, or replies
    // to send), and none of it is held by the process that stopped.
    let store = dealwatch::storage::Store::open(&db).await.unwrap();
    let inbound = store.inbox().counts().await.unwrap();
    let stored: i64 = inbound.iter().map(|(_, n)| n).sum();
    let to_act: i64 = inbound
        .iter()
        .filter(|(state, _)| state == "accepted" || state == "handled")
        .map(|(_, n)| n)
        .sum();
    let to_send: i64 = store
        .outbox()
        .counts()
        .await
        .unwrap()
        .iter()
        .filter(|(kind, state, _)| kind == "reply" && (state == "pending" || state == "sending"))
        .map(|(_, _, n)| n)
        .sum();
    let now = dealwatch::storage::unix_now();
    let held = store.inbox().claimed(now).await.unwrap()
        + store.outbox().claimed("reply", now).await.unwrap();
    assert_eq!(stored, total as i64, "every command was stored once");
    assert!(
        to_act + to_send > 1000,
        "a real backlog at SIGTERM: {to_act} to act on, {to_send} replies to send"
    );
    assert_eq!(held, 0, "claims given back at shutdown");
    store.close().await;
}
