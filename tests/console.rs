//! `dealwatch chat` is a channel like the others: notices reach the
//! terminal through the dispatcher, so a watched product's first price
//! prints as it is found, and quiet hours hold there too.

mod common;

use common::shop::FakeShop;
use std::io::Write;
use std::process::{Command, Stdio};

/// Run a scripted console session against the fake shop; the transcript.
async fn chat(db: &str, script: String) -> String {
    let db = db.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dealwatch"))
            .arg("chat")
            .env("DATABASE_URL", &db)
            .env("DEALWATCH_ALLOW_PRIVATE_HOSTS", "1")
            .env("DEALWATCH_HOST_INTERVAL_MS", "10")
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_reach_the_console_through_delivery_and_quiet_hours_hold_there() {
    let shop = FakeShop::start().await;
    let url = format!("http://127.0.0.1:{}/p/jsonld_graph.html", shop.addr.port());
    let dir = tempfile::tempdir().unwrap();

    // The first price is found and printed.
    let db = format!("sqlite://{}", dir.path().join("a.db").display());
    let transcript = chat(&db, format!("watch {url}\n")).await;
    assert!(transcript.contains("👀 Watching #1"), "{transcript}");
    assert!(
        transcript.contains("Acme Cordless Kettle 1.7L") && transcript.contains("£34.99"),
        "the first price, delivered to the terminal: {transcript}"
    );

    // With quiet hours covering now, it waits like on any channel.
    let db = format!("sqlite://{}", dir.path().join("b.db").display());
    let transcript = chat(&db, format!("quiet 00:00-23:59\nwatch {url}\n")).await;
    assert!(transcript.contains("👀 Watching #1"), "{transcript}");
    assert!(
        !transcript.contains("£34.99"),
        "held for the end of quiet hours: {transcript}"
    );
}
