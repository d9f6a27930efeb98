//! Telegram end to end: webhook in, reply out at a fake Bot API on loopback.

mod common;

use axum::extract::{Path, State};
use axum::routing::post;
use axum::Json;
use common::fake_api::telegram;
use common::TestDb;
use dealwatch::inbound::{Inbox, InboxSink};
use dealwatch_bots::telegram::TelegramClient;
use dealwatch_bots::{Channel, Sender};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const TOKEN: &str = "123456:TEST-token";
const SECRET: &str = "s3cret_Webhook-token";

#[derive(Clone, Default)]
struct FakeApi {
    calls: Arc<Mutex<Vec<(String, Value)>>>,
    /// Answer this many sendMessage calls with 429 first.
    throttle: Arc<AtomicUsize>,
    /// Updates waiting for getUpdates.
    updates: Arc<Mutex<Vec<Value>>>,
}

impl FakeApi {
    fn calls(&self, method: &str) -> Vec<Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, b)| b.clone())
            .collect()
    }
}

async fn bot_api(
    State(api): State<FakeApi>,
    Path((bot, method)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    raw: axum::body::Bytes,
) -> Json<Value> {
    // Method names are case-insensitive; teloxide capitalises them.
    let method = telegram::method_as_documented(&format!("/{bot}/{method}"))
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // File uploads are multipart forms; the rest is JSON.
    let mut body: Value = if content_type.starts_with("multipart/form-data") {
        json!({ "multipart": String::from_utf8_lossy(&raw) })
    } else {
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        serde_json::from_slice(&raw).expect("a JSON body")
    };
    // Telegram takes `chat_id` as an integer or a string; read as text.
    if let Some(id) = body.get("chat_id").and_then(Value::as_i64) {
        body["chat_id"] = json!(id.to_string());
    }
    assert_eq!(bot, format!("bot{TOKEN}"), "the token is in the path");
    if method == "sendMessage" && api.throttle.load(Ordering::SeqCst) > 0 {
        api.throttle.fetch_sub(1, Ordering::SeqCst);
        return Json(
            json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}),
        );
    }
    api.calls
        .lock()
        .unwrap()
        .push((method.clone(), body.clone()));
    if method == "getUpdates" {
        // Confirmed updates (below the offset) are gone, as on Telegram.
        let offset = body["offset"].as_i64().unwrap_or(0);
        let batch = {
            let mut queue = api.updates.lock().unwrap();
            queue.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            queue.clone()
        };
        if batch.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        return Json(json!({"ok": true, "result": batch}));
    }
    let n = api.calls.lock().unwrap().len();
    Json(match method.as_str() {
        "sendMessage" | "sendPhoto" => telegram::ok(telegram::message(n, 4242)),
        "getMe" => telegram::ok(telegram::me(1, "DealwatchBot")),
        _ => telegram::ok(json!(true)),
    })
}

struct App {
    db: TestDb,
    api: FakeApi,
    api_url: url::Url,
    inbox: Arc<Inbox>,
    base: String,
    http: reqwest::Client,
    /// The service as `serve` wires it, its workers stepped by the test.
    service: dealwatch::startup::Stepped,
}

async fn start() -> App {
    let db = TestDb::sqlite().await;
    let api = FakeApi::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_url = url::Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let router = axum::Router::new()
        .route("/{bot}/{method}", post(bot_api))
        .with_state(api.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });

    let mut config = common::config(&db, &["--telegram-api-url", api_url.as_str()]);
    config.telegram.telegram_bot_token = common::secret(TOKEN);
    config.telegram.telegram_webhook_secret = common::secret(SECRET);
    let service = common::spawn_stepped(config).await;
    App {
        db,
        api,
        api_url,
        inbox: service.inbox.clone(),
        base: format!("http://{}", service.address),
        http: reqwest::Client::new(),
        service,
    }
}

fn message(update_id: i64, text: &str) -> Value {
    json!({"update_id": update_id, "message": {"message_id": update_id, "date": 1_700_000_000,
        "chat": {"id": 4242, "type": "private"}, "from": {"id": 4242, "is_bot": false, "first_name": "Ann", "language_code": "en"},
        "text": text}})
}

impl App {
    async fn post(&self, secret: Option<&str>, body: &[u8]) -> u16 {
        let mut request = self
            .http
            .post(format!("{}/webhooks/telegram", self.base))
            .body(body.to_vec());
        if let Some(secret) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        request.send().await.unwrap().status().as_u16()
    }

    async fn states(&self) -> Vec<(String, i64)> {
        self.db.store.inbox().counts().await.unwrap()
    }
}

#[tokio::test]
async fn a_command_by_webhook_is_answered_through_the_bot_api() {
    let app = start().await;
    let update = message(1001, "/alert@DealwatchBot lego <star wars> & more");
    assert_eq!(
        app.post(Some(SECRET), update.to_string().as_bytes()).await,
        200
    );
    assert_eq!(
        app.states().await,
        vec![("accepted".to_owned(), 1)],
        "stored before the answer"
    );
    app.inbox.process_pending().await.unwrap();

    let sent = app.api.calls("sendMessage");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["chat_id"], "4242");
    assert_eq!(sent[0]["parse_mode"], "HTML");
    let text = sent[0]["text"].as_str().unwrap();
    assert!(
        text.contains("Alert #1 saved: lego, star, wars, more"),
        "{text}"
    );
    let buttons = &sent[0]["reply_markup"]["inline_keyboard"][0];
    assert_eq!(buttons[0]["callback_data"], "pause 1");
    assert_eq!(app.states().await, vec![("processed".to_owned(), 1)]);
}

#[tokio::test]
async fn a_redelivered_update_is_processed_once() {
    let app = start().await;
    let update = message(2001, "alert lego").to_string();
    for _ in 0..3 {
        assert_eq!(app.post(Some(SECRET), update.as_bytes()).await, 200);
    }
    app.inbox.process_pending().await.unwrap();
    assert_eq!(app.post(Some(SECRET), update.as_bytes()).await, 200);
    app.inbox.process_pending().await.unwrap();
    assert_eq!(app.api.calls("sendMessage").len(), 1);
    assert_eq!(app.states().await, vec![("processed".to_owned(), 1)]);
}

#[tokio::test]
async fn forged_missing_and_garbled_requests_store_nothing() {
    let app = start().await;
    let update = message(3001, "alert lego").to_string();
    assert_eq!(app.post(None, update.as_bytes()).await, 401);
    assert_eq!(app.post(Some("wrong"), update.as_bytes()).await, 401);
    assert_eq!(
        app.post(Some(&SECRET[..SECRET.len() - 1]), update.as_bytes())
            .await,
        401
    );
    assert_eq!(app.post(Some(""), update.as_bytes()).await, 401);
    assert_eq!(app.post(Some(SECRET), b"{not json").await, 400);
    assert_eq!(
        app.post(Some(SECRET), &vec![b'x'; 300 * 1024]).await,
        413,
        "body limit"
    );
    // An update kind we ignore is acknowledged so Telegram stops sending it.
    let edited = json!({"update_id": 3002, "edited_message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}, "text": "x"}});
    assert_eq!(
        app.post(Some(SECRET), edited.to_string().as_bytes()).await,
        200
    );
    assert!(
        app.states().await.is_empty(),
        "nothing stored: {:?}",
        app.states().await
    );
}

#[tokio::test]
async fn button_presses_run_their_command_and_are_answered() {
    let app = start().await;
    app.post(
        Some(SECRET),
        message(4001, "alert lego").to_string().as_bytes(),
    )
    .await;
    let press = json!({"update_id": 4002, "callback_query": {"id": "cbq-77", "chat_instance": "1",
        "from": {"id": 4242, "is_bot": false, "first_name": "Ann"},
        "message": {"message_id": 9, "date": 1, "chat": {"id": 4242, "type": "private"}}, "data": "pause 1"}});
    assert_eq!(
        app.post(Some(SECRET), press.to_string().as_bytes()).await,
        200
    );
    app.inbox.process_pending().await.unwrap();
    let answers = app.api.calls("answerCallbackQuery");
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0]["callback_query_id"], "cbq-77");
    let sent = app.api.calls("sendMessage");
    assert!(
        sent[1]["text"].as_str().unwrap().contains("Paused #1"),
        "{sent:?}"
    );
}

#[tokio::test]
async fn a_rate_limited_reply_is_retried_without_acting_twice() {
    let app = start().await;
    app.api.throttle.store(1, Ordering::SeqCst);
    app.post(
        Some(SECRET),
        message(5001, "alert lego").to_string().as_bytes(),
    )
    .await;
    app.inbox.process_pending().await.unwrap();
    assert!(app.api.calls("sendMessage").is_empty());
    assert_eq!(
        app.states().await,
        vec![("processed".to_owned(), 1)],
        "acted on once"
    );
    assert!(
        app.db.store.outbox().counts().await.unwrap().contains(&(
            "reply".to_owned(),
            "pending".to_owned(),
            1
        )),
        "the reply waits in the outbox"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    app.inbox.process_pending().await.unwrap();
    assert_eq!(app.api.calls("sendMessage").len(), 1);
    let list = common::joined(
        &app.db
            .core()
            .handle(
                &common::from(Channel::Telegram, "4242", "list"),
                common::NOW,
            )
            .await
            .unwrap(),
    );
    assert_eq!(list.matches("lego").count(), 1, "one rule, not two: {list}");
}

#[tokio::test]
async fn accepted_messages_are_finished_after_a_restart() {
    let app = start().await;
    app.post(
        Some(SECRET),
        message(6001, "alert lego").to_string().as_bytes(),
    )
    .await;
    // The process "dies" before processing; a new inbox on the same database
    // (the restarted process) finishes the work.
    let client: Arc<dyn Sender> = Arc::new(TelegramClient::new(&app.api_url, TOKEN).unwrap());
    let restarted = Inbox::new(
        app.db.store.clone(),
        app.db.core(),
        HashMap::from([(Channel::Telegram, client)]),
    );
    restarted.process_pending().await.unwrap();
    assert_eq!(app.api.calls("sendMessage").len(), 1);
    assert_eq!(app.states().await, vec![("processed".to_owned(), 1)]);
}

/// A Telegram user's watch: the first price and an alert arrive through the
/// Bot API, and quiet hours hold an alert back.
#[tokio::test]
async fn alerts_from_the_outbox_reach_telegram_and_respect_quiet_hours() {
    use common::shop::{fixture, FakeShop};
    use dealwatch::extract::SiteRules;
    use dealwatch::fetch::{FetchConfig, Fetcher};
    use dealwatch::plans::Plans;
    use dealwatch::scheduler::{Scheduler, SchedulerConfig};
    use std::time::Duration;

    let app = start().await;
    let shop = FakeShop::start().await;
    shop.set_page("kettle", fixture("jsonld_graph.html").unwrap());
    let core = app.db.core_with(dealwatch::conversation::CoreOptions {
        allow_private_hosts: true,
        ..Default::default()
    });
    let url = format!("http://127.0.0.1:{}/p/kettle", shop.addr.port());
    let tg = |text: &str| common::from(Channel::Telegram, "4242", text);
    core.handle(
        &tg(&format!("watch {url} below 30")),
        dealwatch::storage::unix_now(),
    )
    .await
    .unwrap();

    let scheduler = Scheduler::new(
        app.db.store.clone(),
        Arc::new(
            Fetcher::new(FetchConfig {
                allow_private: true,
                ..FetchConfig::default()
            })
            .unwrap(),
        ),
        Arc::new(SiteRules::default()),
        Plans::default(),
        SchedulerConfig {
            interval_override: Some(Duration::from_secs(1)),
            ..SchedulerConfig::default()
        },
    );
    scheduler.tick().await.unwrap();
    let dispatcher = &app.service.dispatcher;
    assert_eq!(dispatcher.deliver_pending().await.unwrap(), 1);
    let sent = app.api.calls("sendMessage");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["chat_id"], "4242");
    assert!(
        sent[0]["text"]
            .as_str()
            .unwrap()
            .contains("#1 is Acme Cordless Kettle 1.7L: £34.99"),
        "{sent:?}"
    );

    // Quiet all day long (a window that covers every minute but one): the
    // alert is held, not sent and not lost.
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap());
    let start = format!("{:02}:{:02}", now.hour(), now.minute());
    let end_minute = (i32::from(now.hour()) * 60 + i32::from(now.minute()) + 180) % 1440;
    let end = format!("{:02}:{:02}", end_minute / 60, end_minute % 60);
    core.handle(
        &tg(&format!("quiet {start}-{end}")),
        dealwatch::storage::unix_now(),
    )
    .await
    .unwrap();
    shop.set_page(
        "kettle",
        fixture("jsonld_graph.html")
            .unwrap()
            .replace("34.99", "29.99"),
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    scheduler.tick().await.unwrap();
    dispatcher.deliver_pending().await.unwrap();
    assert_eq!(
        app.api.calls("sendMessage").len(),
        1,
        "held during quiet hours"
    );
    assert_eq!(
        dispatcher.deliver_pending().await.unwrap(),
        0,
        "held rows are not claimed again before the window ends"
    );

    // Quiet hours off: the alert goes out at once.
    core.handle(&tg("quiet off"), dealwatch::storage::unix_now())
        .await
        .unwrap();
    // The held row waits for its window end; a user turning quiet hours off
    // is served at that time at the latest. Re-date it to check delivery.
    let pending = app
        .db
        .store
        .outbox()
        .claim(i64::MAX / 2, 0, 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1, "the alert is still in the outbox");
    for row in pending {
        app.db
            .store
            .outbox()
            .later(row.id, Some(0), false, None)
            .await
            .unwrap();
    }
    dispatcher.deliver_pending().await.unwrap();
    let sent = app.api.calls("sendMessage");
    assert_eq!(sent.len(), 2);
    assert!(
        sent[1]["text"]
            .as_str()
            .unwrap()
            .contains("£34.99 → £29.99"),
        "{sent:?}"
    );
}

#[tokio::test]
async fn the_command_menu_is_published_in_each_language() {
    // Published by the service's start-up chores, in the background.
    let app = start().await;
    let mut calls = Vec::new();
    for _ in 0..200 {
        calls = app.api.calls("setMyCommands");
        if calls.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let languages: Vec<&Value> = calls.iter().map(|c| &c["language_code"]).collect();
    assert_eq!(
        languages,
        [&Value::Null, &json!("de"), &json!("fr")],
        "the default menu, then German and French"
    );
    let commands = calls[1]["commands"].as_array().unwrap();
    assert!(commands.len() >= 15 && commands.len() <= 100);
    for c in commands {
        let name = c["command"].as_str().unwrap();
        let description = c["description"].as_str().unwrap();
        assert!(
            !name.is_empty()
                && name.len() <= 32
                && name.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'),
            "{name}"
        );
        assert!(
            !description.is_empty() && description.chars().count() <= 256,
            "{name}: {description}"
        );
    }
    let watch = commands.iter().find(|c| c["command"] == "watch").unwrap();
    assert!(
        watch["description"]
            .as_str()
            .unwrap()
            .starts_with("Beobachtet eine Produktseite"),
        "{watch}"
    );
}

/// A deep link (t.me/bot?start=CODE) can be made by anyone: tapping it
/// only shows what joining would do; the button press joins.
#[tokio::test]
async fn a_start_deep_link_with_a_link_code_asks_before_linking() {
    let app = start().await;
    let core = app.db.core();
    common::say(&core, "ann", "alert lego").await;
    // The inbox works on the real clock, so the code is made on it too.
    let now = dealwatch::storage::unix_now();
    let reply = common::joined(
        &core
            .handle(&dealwatch_bots::Incoming::console("ann", "link"), now)
            .await
            .unwrap(),
    );
    let start = reply.find("“link ").unwrap() + "“link ".len();
    let code: String = reply[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    app.post(
        Some(SECRET),
        message(7000, "alert ps5").to_string().as_bytes(),
    )
    .await;
    app.post(
        Some(SECRET),
        message(7001, &format!("/start {code}"))
            .to_string()
            .as_bytes(),
    )
    .await;
    app.inbox.process_pending().await.unwrap();
    let sent = app.api.calls("sendMessage");
    let asked = sent.last().unwrap();
    let text = asked["text"].as_str().unwrap();
    assert!(
        text.contains("on the console") && text.contains("one alert") && !text.contains("Linked"),
        "{text}"
    );
    let button = &asked["reply_markup"]["inline_keyboard"][0][0];
    assert_eq!(button["callback_data"], format!("link {code} yes"));
    let list = |who: &str| {
        let core = core.clone();
        let who = who.to_owned();
        async move {
            let msg = if who == "ann" {
                dealwatch_bots::Incoming::console("ann", "list")
            } else {
                common::from(Channel::Telegram, &who, "list")
            };
            common::joined(&core.handle(&msg, common::NOW).await.unwrap())
        }
    };
    assert!(!list("ann").await.contains("ps5"), "nothing joined yet");
    assert!(!list("4242").await.contains("lego"), "nothing joined yet");

    // The person presses "Yes": joined.
    let press = json!({"update_id": 7002, "callback_query": {"id": "cb-7", "chat_instance": "x",
        "data": button["callback_data"], "from": {"id": 4242, "is_bot": false, "first_name": "Ann"},
        "message": {"message_id": 9, "date": 1, "chat": {"id": 4242, "type": "private"}}}});
    app.post(Some(SECRET), press.to_string().as_bytes()).await;
    app.inbox.process_pending().await.unwrap();
    let texts: Vec<String> = app
        .api
        .calls("sendMessage")
        .iter()
        .map(|b| b["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(texts.last().unwrap().contains("Linked!"), "{texts:?}");
    let joined = list("4242").await;
    assert!(
        joined.contains("lego") && joined.contains("ps5"),
        "{joined}"
    );
}

#[tokio::test]
async fn polling_mode_stores_updates_and_confirms_them_only_after() {
    let app = start().await;
    app.api
        .updates
        .lock()
        .unwrap()
        .extend([message(8001, "alert lego"), message(8002, "list")]);
    let client = TelegramClient::new(&app.api_url, TOKEN).unwrap();
    let sink = InboxSink(app.inbox.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let poller = tokio::spawn(async move {
        dealwatch_bots::telegram::poll(&client, &sink, 1, async {
            let _ = stopped.await;
        })
        .await;
    });
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    stop.send(()).unwrap();
    poller.await.unwrap();

    app.inbox.process_pending().await.unwrap();
    let sent = app.api.calls("sendMessage");
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[0]["text"].as_str().unwrap().contains("Alert #1 saved"));
    let polls = app.api.calls("getUpdates");
    assert!(polls.len() >= 2);
    assert_eq!(
        polls[1]["offset"], 8003,
        "confirmed only past what was stored"
    );
    assert_eq!(app.states().await, vec![("processed".to_owned(), 2)]);
}

/// `history` on Telegram sends the price chart as a photo with the summary
/// as its caption.
#[tokio::test]
async fn history_sends_a_chart_photo() {
    let app = start().await;
    app.post(
        Some(SECRET),
        message(7001, "watch https://shop.example/p/1")
            .to_string()
            .as_bytes(),
    )
    .await;
    app.inbox.process_pending().await.unwrap();
    common::record_prices(
        &app.db.store,
        "https://shop.example/p/1",
        "Acme <Kettle> 1.7L",
        &[
            ("49.99", 3 * 86_400),
            ("39.99", 2 * 86_400),
            ("44.50", 86_400),
        ],
    )
    .await;
    app.post(
        Some(SECRET),
        message(7002, "history 1").to_string().as_bytes(),
    )
    .await;
    app.inbox.process_pending().await.unwrap();

    let photos = app.api.calls("sendPhoto");
    assert_eq!(photos.len(), 1, "{:?}", app.api.calls.lock().unwrap());
    let form = photos[0]["multipart"].as_str().unwrap();
    assert!(
        form.contains("name=\"chat_id\"\r\n\r\n4242\r\n"),
        "{form:.300}"
    );
    // teloxide names the file part and points `photo` at it
    // (`attach://<part>`), as the Bot API allows for uploads.
    let attached = form
        .split("name=\"photo\"\r\n\r\nattach://")
        .nth(1)
        .and_then(|rest| rest.split("\r\n").next())
        .unwrap_or_else(|| panic!("photo is an attachment: {form:.600}"));
    assert!(
        form.contains(&format!("name=\"{attached}\"; filename=\"chart.png\"")),
        "{form:.900}"
    );
    assert!(form.contains("PNG\r\n"), "the PNG signature");
    assert!(form.contains("name=\"parse_mode\"\r\n\r\nHTML"));
    assert!(
        form.contains("Acme &lt;Kettle&gt; 1.7L") && form.contains("lowest £39.99"),
        "the summary is the escaped caption"
    );
    assert_eq!(
        app.api.calls("sendMessage").len(),
        1,
        "only the watch reply as text"
    );
}
