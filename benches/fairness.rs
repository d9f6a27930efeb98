//! Fairness: how long another person waits for a reply while one person's
//! 1,000 commands are queued, with Telegram's real pacing (about one
//! message a second per chat) against a fake Bot API on loopback, SQLite.
//! Bounded: 1,000 + 1 messages; stops once Bob is answered.
//!
//! Run: `cargo bench --bench fairness` (optionally `-- BACKLOG`).

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
use dealwatch_bots::telegram::TelegramClient;
use dealwatch_bots::{Channel, InboundRecord, Incoming, Sender};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Seen = Arc<Mutex<Vec<(String, Instant)>>>;

fn main() {
    let backlog = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(run(backlog));
}

fn message(id: usize, sender: &str, text: &str) -> InboundRecord {
    InboundRecord::plain(Incoming {
        channel: Channel::Telegram,
        sender_id: sender.to_owned(),
        reply_to: sender.to_owned(),
        sender_name: None,
        message_id: Some(id.to_string()),
        language_hint: None,
        text: text.to_owned(),
        group: None,
    })
}

async fn run(backlog: usize) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.path().join("f.db").display()))
        .await
        .unwrap();
    let seen: Seen = Arc::default();
    let api = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_url = url::Url::parse(&format!("http://{}/", api.local_addr().unwrap())).unwrap();
    let router = axum::Router::new()
        .route(
            "/{bot}/{method}",
            post(
                |State(seen): State<Seen>, Json(body): Json<Value>| async move {
                    let chat = body["chat_id"].as_str().unwrap_or_default().to_owned();
                    seen.lock().unwrap().push((chat, Instant::now()));
                    Json(json!({"ok": true, "result": {"message_id": 1}}))
                },
            ),
        )
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(api, router).await });

    let core = Core::new(
        store.clone(),
        Arc::new(L10n::load().unwrap()),
        Plans::default(),
        CoreOptions::default(),
        Metrics::new(),
    );
    let client: Arc<dyn Sender> = Arc::new(TelegramClient::new(&api_url, "1:FAIR").unwrap());
    let senders = HashMap::from([(Channel::Telegram, client)]);
    // As in `serve`: the inbox acts, the dispatcher delivers the replies.
    let dispatcher = Dispatcher::new(
        store.clone(),
        Arc::new(L10n::load().unwrap()),
        Plans::default(),
        senders.clone(),
    );
    let inbox = Arc::new(Inbox::new(store.clone(), core, senders).waking(dispatcher.waker()));
    tokio::spawn(dispatcher.run(std::future::pending()));
    for i in 0..backlog {
        inbox
            .accept(&message(i, "100", &format!("alert lego {i}")))
            .await
            .unwrap();
    }
    tokio::spawn(inbox.clone().run(std::future::pending()));
    // Ann's backlog is being worked on; now Bob writes.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let bob_sent = Instant::now();
    inbox
        .accept(&message(backlog + 1, "200", "list"))
        .await
        .unwrap();
    let answered = loop {
        if let Some((_, at)) = seen.lock().unwrap().iter().find(|(chat, _)| chat == "200") {
            break *at;
        }
        if bob_sent.elapsed() > Duration::from_secs(600) {
            panic!("Bob was never answered");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let ann_done = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(c, _)| c == "100")
        .count();
    println!(
        "fairness: backlog {backlog} from one person; another person's reply after {:.3} s \
         (the first person had {ann_done} replies by then, paced at ~1/s per chat)",
        (answered - bob_sent).as_secs_f64()
    );
}
