//! What the benches that drive the inbox and the dispatcher share: a fake
//! Bot API on loopback that records where each message went and when, and
//! the pipeline as `serve` wires it (the inbox acts, the dispatcher
//! delivers). Bounded: nothing here sends anywhere but loopback.
#![allow(dead_code)]

use axum::extract::State;
use axum::routing::post;
use axum::Json;
use dealwatch::conversation::{Core, CoreOptions};
use dealwatch::dispatch::Dispatcher;
use dealwatch::inbound::Inbox;
use dealwatch::l10n::L10n;
use dealwatch::metrics::Metrics;
use dealwatch::plans::Plans;
use dealwatch::storage::Store;
use dealwatch_bots::pace::Pace;
use dealwatch_bots::telegram::TelegramClient;
use dealwatch_bots::{Channel, InboundRecord, Incoming, Sender};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Each message the fake Bot API took: its chat and when.
pub type Seen = Arc<Mutex<Vec<(String, Instant)>>>;

/// A fresh SQLite database in a temporary directory (kept while `dir` lives).
pub async fn store(dir: &tempfile::TempDir) -> Store {
    Store::open(&format!(
        "sqlite://{}",
        dir.path().join("bench.db").display()
    ))
    .await
    .unwrap()
}

/// A fake Bot API answering every method; its base URL and what it took.
pub async fn fake_bot_api() -> (url::Url, Seen) {
    let seen: Seen = Arc::default();
    let api = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = url::Url::parse(&format!("http://{}/", api.local_addr().unwrap())).unwrap();
    let router = axum::Router::new()
        .route(
            "/{bot}/{method}",
            post(
                |State(seen): State<Seen>, Json(body): Json<Value>| async move {
                    // Telegram takes `chat_id` as an integer or a string.
                    let chat = match &body["chat_id"] {
                        Value::String(chat) => chat.clone(),
                        other => other.to_string(),
                    };
                    seen.lock().unwrap().push((chat.clone(), Instant::now()));
                    let chat = if chat.starts_with('-') {
                        json!({"id": chat.parse::<i64>().unwrap_or(-1), "type": "supergroup", "title": "G"})
                    } else {
                        json!({"id": chat.parse::<i64>().unwrap_or(1), "type": "private", "first_name": "P"})
                    };
                    Json(json!({"ok": true, "result": {"message_id": 1, "date": 1_700_000_000, "chat": chat}}))
                },
            ),
        )
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(api, router).await });
    (url, seen)
}

/// How many messages went to `chat`.
pub fn sent_to(seen: &Seen, chat: &str) -> usize {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(c, _)| c == chat)
        .count()
}

/// The inbox and the dispatcher on `store`, sending to Telegram at `api`
/// at `pace`, wired as `serve` wires them; neither is running yet.
pub fn pipeline(store: &Store, api: &url::Url, pace: Pace) -> (Arc<Inbox>, Dispatcher) {
    let l10n = Arc::new(L10n::load().unwrap());
    let core = Core::new(
        store.clone(),
        l10n.clone(),
        Plans::default(),
        CoreOptions::default(),
        Metrics::new(),
    );
    let client = TelegramClient::new(api, "1:BENCH").unwrap().with_pace(pace);
    let senders = HashMap::from([(Channel::Telegram, Arc::new(client) as Arc<dyn Sender>)]);
    let dispatcher = Dispatcher::new(store.clone(), l10n, Plans::default(), senders.clone());
    let inbox = Arc::new(Inbox::new(store.clone(), core, senders).waking(dispatcher.waker()));
    (inbox, dispatcher)
}

/// A private Telegram message from `sender`.
pub fn message(id: &str, sender: &str, text: &str) -> InboundRecord {
    InboundRecord::plain(Incoming {
        channel: Channel::Telegram,
        sender_id: sender.to_owned(),
        reply_to: sender.to_owned(),
        sender_name: None,
        message_id: Some(id.to_owned()),
        language_hint: None,
        text: text.to_owned(),
        group: None,
        event: None,
    })
}
