//! A private alert never lands in a group. The sequence a new user tried:
//! watch a product in a private chat with the bot, type `/list@bot` in a
//! supergroup where the bot is a member, and wait for the price to fall.
//! The list must be answered privately, the alert must reach the private
//! chat, and nothing personal may be posted in the group. The same for a
//! Discord guild channel. Run on both databases.

mod common;

use axum::http::StatusCode;
use common::fake_api::{telegram, Call, FakeApi};
use common::shop::{fixture, FakeShop};
use common::TestDb;
use dealwatch::conversation::CoreOptions;
use dealwatch::dispatch::Dispatcher;
use dealwatch::extract::SiteRules;
use dealwatch::fetch::{FetchConfig, Fetcher};
use dealwatch::inbound::{Inbox, InboxSink};
use dealwatch::plans::Plans;
use dealwatch::scheduler::{Scheduler, SchedulerConfig};
use dealwatch_bots::discord::DiscordClient;
use dealwatch_bots::pace::Pace;
use dealwatch_bots::telegram::{BotName, TelegramClient};
use dealwatch_bots::{Channel, Sender};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const TOKEN: &str = "123:abc";
const SECRET: &str = "webhook-secret";
const BOT: &str = "dealwatch_bot";
const ANN: i64 = 4242;
const STRANGER: i64 = 5151;
const SUPERGROUP: i64 = -1_001_234_567;

/// The kettle page at a price.
fn kettle(price: &str) -> String {
    fixture("jsonld_graph.html")
        .unwrap()
        .replace("\"price\":\"34.99\"", &format!("\"price\":\"{price}\""))
}

fn scheduler(store: &dealwatch::storage::Store) -> Scheduler {
    let fetcher = Fetcher::new(FetchConfig {
        allow_private: true,
        per_host_interval: Duration::from_millis(5),
        per_host_concurrency: 4,
        ..FetchConfig::default()
    })
    .unwrap();
    Scheduler::new(
        store.clone(),
        Arc::new(fetcher),
        Arc::new(SiteRules::default()),
        Plans::default(),
        SchedulerConfig {
            owner: "privacy".to_owned(),
            interval_override: Some(Duration::from_secs(1)),
            ..SchedulerConfig::default()
        },
    )
}

/// Fake Telegram: `getMe` names the bot; every message is taken.
async fn fake_telegram() -> FakeApi {
    FakeApi::start(|call: &Call, n| {
        if call.path.ends_with("/getMe") {
            return (StatusCode::OK, telegram::ok(telegram::me(1, BOT)));
        }
        (StatusCode::OK, telegram::sent(call, n))
    })
    .await
}

/// A Telegram update: `text` from `from` in `chat` (private when equal).
fn update(id: i64, chat: i64, from: i64, text: &str) -> Value {
    let kind = if chat == from {
        "private"
    } else {
        "supergroup"
    };
    json!({"update_id": id, "message": {"message_id": id, "date": 1_700_000_000,
        "chat": {"id": chat, "type": kind, "title": "Deal hunters"},
        "from": {"id": from, "is_bot": false, "first_name": "Ann", "language_code": "en"},
        "text": text}})
}

/// The texts sent to one Telegram chat, in order.
fn sent_to(api: &FakeApi, chat: i64) -> Vec<Call> {
    api.to("POST", &format!("/bot{TOKEN}/sendMessage"))
        .into_iter()
        .filter(|c| c.body["chat_id"].as_str() == Some(chat.to_string().as_str()))
        .collect()
}

fn texts(calls: &[Call]) -> Vec<String> {
    calls
        .iter()
        .map(|c| c.body["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_list_asked_in_a_telegram_group_is_answered_privately_and_the_alert_stays_private() {
    for db in TestDb::all().await {
        let name = db.name;
        let shop = FakeShop::start().await;
        shop.set_page("kettle", kettle("34.99"));
        let url = format!("http://127.0.0.1:{}/p/kettle", shop.addr.port());

        let api = fake_telegram().await;
        let client = Arc::new(
            TelegramClient::new(&api.url, TOKEN)
                .unwrap()
                .with_pace(Pace::unlimited()),
        );
        let senders: HashMap<Channel, Arc<dyn Sender>> =
            HashMap::from([(Channel::Telegram, client.clone() as Arc<dyn Sender>)]);
        let core = db.core_with(CoreOptions {
            allow_private_hosts: true,
            ..CoreOptions::default()
        });
        let inbox = Arc::new(Inbox::new(db.store.clone(), core, senders.clone()));
        let routes = dealwatch_webhooks::telegram::routes_as(
            SECRET,
            BotName::known(BOT),
            Arc::new(InboxSink(inbox.clone())),
        );
        let base = common::serve(&db.store, routes).await;
        let http = reqwest::Client::new();
        let post = |body: Value| {
            let request = http
                .post(format!("{base}/webhooks/telegram"))
                .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
                .body(body.to_string());
            async move { request.send().await.unwrap().status().as_u16() }
        };
        let dispatcher = Dispatcher::new(
            db.store.clone(),
            Arc::new(dealwatch::l10n::L10n::load().unwrap()),
            Plans::default(),
            senders,
        );
        let checks = scheduler(&db.store);

        // 1. A private watch, its first check and first-price notice.
        assert_eq!(
            post(update(1, ANN, ANN, &format!("watch {url} below 30"))).await,
            200
        );
        inbox.process_pending().await.unwrap();
        assert_eq!(checks.tick().await.unwrap(), 1);
        dispatcher.deliver_pending().await.unwrap();
        let private_before = sent_to(&api, ANN).len();
        assert!(private_before >= 2, "{name}: watch reply and first price");

        // 2. `/list@bot` in the supergroup: answered in the private chat.
        assert_eq!(
            post(update(2, SUPERGROUP, ANN, "/list@dealwatch_bot")).await,
            200
        );
        inbox.process_pending().await.unwrap();
        let private = texts(&sent_to(&api, ANN));
        assert_eq!(private.len(), private_before + 1, "{name}: {private:?}");
        assert!(
            private.last().unwrap().contains("#1") && private.last().unwrap().contains("Kettle"),
            "{name}: the list, privately: {private:?}"
        );

        // A command for another bot, and plain chatter, are not ours.
        assert_eq!(
            post(update(3, SUPERGROUP, ANN, "/list@OtherBot")).await,
            200
        );
        assert_eq!(
            post(update(4, SUPERGROUP, ANN, "my list of deals")).await,
            200
        );
        assert_eq!(
            inbox.process_pending().await.unwrap(),
            0,
            "{name}: nothing stored"
        );

        // 3. The price falls: the alert reaches the private chat.
        shop.set_page("kettle", kettle("25.00"));
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert_eq!(checks.tick().await.unwrap(), 1);
        dispatcher.deliver_pending().await.unwrap();
        let private = texts(&sent_to(&api, ANN));
        assert!(
            private
                .last()
                .is_some_and(|t| t.contains("£25.00") && t.contains("target")),
            "{name}: the alert, privately: {private:?}"
        );

        // Nothing at all was posted in the group for Ann.
        let group = texts(&sent_to(&api, SUPERGROUP));
        assert!(group.is_empty(), "{name}: posted in the group: {group:?}");
        let identity = db
            .store
            .users()
            .find_identity(Channel::Telegram, &ANN.to_string())
            .await
            .unwrap()
            .unwrap()
            .1;
        assert_eq!(identity.reply_address, ANN.to_string(), "{name}");

        // 4. Someone who never opened a private chat: a pointer to it in
        // the group (once, not on every repeat), nothing created for them.
        for id in [10, 11, 12] {
            assert_eq!(post(update(id, SUPERGROUP, STRANGER, "/list")).await, 200);
        }
        assert_eq!(
            post(update(13, SUPERGROUP, STRANGER, &format!("/watch {url}"))).await,
            200
        );
        inbox.process_pending().await.unwrap();
        let group = sent_to(&api, SUPERGROUP);
        assert_eq!(
            group.len(),
            1,
            "{name}: one pointer, not a flood: {:?}",
            texts(&group)
        );
        let pointer = &group[0].body;
        assert!(
            pointer["text"].as_str().unwrap().contains("private chat"),
            "{name}: {pointer}"
        );
        assert_eq!(
            pointer["reply_markup"]["inline_keyboard"][0][0]["url"],
            format!("https://t.me/{BOT}"),
            "{name}: a deep link to the private chat"
        );
        assert!(
            db.store
                .users()
                .find_identity(Channel::Telegram, &STRANGER.to_string())
                .await
                .unwrap()
                .is_none(),
            "{name}: nothing stored for a stranger in a group"
        );
        assert!(sent_to(&api, STRANGER).is_empty(), "{name}");

        // Once they start the bot privately, the same command in the group
        // is answered privately.
        assert_eq!(post(update(20, STRANGER, STRANGER, "/start")).await, 200);
        assert_eq!(post(update(21, SUPERGROUP, STRANGER, "/list")).await, 200);
        inbox.process_pending().await.unwrap();
        assert_eq!(sent_to(&api, SUPERGROUP).len(), 1, "{name}");
        assert_eq!(sent_to(&api, STRANGER).len(), 2, "{name}: start and list");
        db.finish().await;
    }
}

/// A button under a group message pressed by a member acts for that member
/// and is answered to them privately.
#[tokio::test]
async fn a_button_pressed_in_a_group_is_answered_privately() {
    let db = TestDb::sqlite().await;
    let api = fake_telegram().await;
    let client = Arc::new(
        TelegramClient::new(&api.url, TOKEN)
            .unwrap()
            .with_pace(Pace::unlimited()),
    );
    let inbox = Arc::new(Inbox::new(
        db.store.clone(),
        db.core(),
        HashMap::from([(Channel::Telegram, client as Arc<dyn Sender>)]),
    ));
    let sink = InboxSink(inbox.clone());
    use dealwatch_bots::InboundSink;
    for (id, body) in [
        (1, update(1, ANN, ANN, "alert lego")),
        (
            2,
            json!({"update_id": 2, "callback_query": {"id": "cb-1", "chat_instance": "x", "data": "pause 1",
                "from": {"id": ANN, "is_bot": false, "first_name": "Ann"},
                "message": {"message_id": 9, "date": 1, "chat": {"id": SUPERGROUP, "type": "supergroup"}}}}),
        ),
    ] {
        let parsed =
            dealwatch_bots::telegram::parse_update_as(body.to_string().as_bytes(), Some(BOT))
                .unwrap()
                .unwrap_or_else(|| panic!("update {id} is read"));
        sink.accept(dealwatch_bots::InboundRecord {
            incoming: parsed.incoming,
            acknowledge: parsed.callback_query_id,
            reply_token: None,
        })
        .await
        .unwrap();
    }
    inbox.process_pending().await.unwrap();
    let private = texts(&sent_to(&api, ANN));
    assert!(private.last().unwrap().contains("Paused #1"), "{private:?}");
    assert!(sent_to(&api, SUPERGROUP).is_empty());
    assert_eq!(
        api.to("POST", &format!("/bot{TOKEN}/answerCallbackQuery"))
            .len(),
        1
    );
    db.finish().await;
}

/// Fake Discord: DMs open as channel `9{user}`; everything else is taken.
async fn fake_discord() -> FakeApi {
    FakeApi::start(|call: &Call, n| {
        if call.path.ends_with("/users/@me/channels") {
            let user = call.body["recipient_id"].as_str().unwrap_or_default();
            return (StatusCode::OK, json!({"id": format!("9{user}")}));
        }
        (StatusCode::OK, json!({"id": format!("m{n}")}))
    })
    .await
}

/// A slash command from user 42: in our DM, or in guild channel 900.
fn slash(id: &str, name: &str, options: Value, in_guild: bool) -> Value {
    let mut body = json!({
        "id": id, "application_id": "1100", "type": 2, "token": format!("tok-{id}"), "version": 1,
        "locale": "en-GB", "data": {"id": "c", "name": name, "type": 1, "options": options},
    });
    if in_guild {
        body["guild_id"] = json!("77");
        body["channel_id"] = json!("900");
        body["app_permissions"] = json!("19456");
        body["member"] = json!({"user": {"id": "42", "username": "ann"}, "permissions": "0"});
    } else {
        body["channel_id"] = json!("555");
        body["user"] = json!({"id": "42", "username": "ann"});
    }
    common::fake_api::discord::complete(body)
}

#[tokio::test]
async fn a_list_asked_in_a_discord_guild_channel_is_ephemeral_and_the_alert_goes_to_the_dm() {
    for db in TestDb::all().await {
        let name = db.name;
        let shop = FakeShop::start().await;
        shop.set_page("kettle", kettle("34.99"));
        let url = format!("http://127.0.0.1:{}/p/kettle", shop.addr.port());

        let api = fake_discord().await;
        let client = Arc::new(
            DiscordClient::new(&api.base("api/v10"), "1100", Some("bot-token"))
                .unwrap()
                .with_pace(Pace::unlimited()),
        );
        let senders: HashMap<Channel, Arc<dyn Sender>> =
            HashMap::from([(Channel::Discord, client as Arc<dyn Sender>)]);
        let core = db.core_with(CoreOptions {
            allow_private_hosts: true,
            ..CoreOptions::default()
        });
        let inbox = Arc::new(Inbox::new(db.store.clone(), core, senders.clone()));
        let key = SigningKey::from_bytes(&[5; 32]);
        let public =
            dealwatch_webhooks::discord::public_key(&hex::encode(key.verifying_key().to_bytes()))
                .unwrap();
        let l10n = dealwatch::l10n::L10n::load().unwrap();
        let routes = dealwatch_webhooks::discord::routes(
            public,
            dealwatch::slash::commands(&l10n),
            Arc::new(InboxSink(inbox.clone())),
        );
        let base = common::serve(&db.store, routes).await;
        let http = reqwest::Client::new();
        let post = |body: Value| {
            let timestamp = dealwatch::storage::unix_now().to_string();
            let body = body.to_string();
            let mut signed = timestamp.as_bytes().to_vec();
            signed.extend_from_slice(body.as_bytes());
            let request = http
                .post(format!("{base}/webhooks/discord"))
                .header(
                    "X-Signature-Ed25519",
                    hex::encode(key.sign(&signed).to_bytes()),
                )
                .header("X-Signature-Timestamp", timestamp)
                .header("Content-Type", "application/json")
                .body(body);
            async move { request.send().await.unwrap().status().as_u16() }
        };
        let dispatcher = Dispatcher::new(
            db.store.clone(),
            Arc::new(dealwatch::l10n::L10n::load().unwrap()),
            Plans::default(),
            senders,
        );
        let checks = scheduler(&db.store);

        let watch = json!([{"name": "url", "type": 3, "value": url}, {"name": "below", "type": 3, "value": "30"}]);
        assert_eq!(post(slash("1", "watch", watch, false)).await, 200);
        assert_eq!(post(slash("2", "list", json!([]), true)).await, 200);
        inbox.process_pending().await.unwrap();
        assert_eq!(checks.tick().await.unwrap(), 1);
        shop.set_page("kettle", kettle("25.00"));
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert_eq!(checks.tick().await.unwrap(), 1);
        for _ in 0..2 {
            dispatcher.deliver_pending().await.unwrap();
        }

        // The list went back through the guild interaction as ephemeral.
        let followups: Vec<Call> = api
            .calls()
            .into_iter()
            .filter(|c| c.path.contains("/webhooks/1100/tok-2"))
            .collect();
        assert!(!followups.is_empty(), "{name}: {:?}", api.calls());
        for call in &followups {
            assert_eq!(call.body["flags"], 64, "{name}: ephemeral: {}", call.body);
        }
        // Nothing was posted into the guild channel; the alert is in the DM.
        let channel_posts = api
            .calls()
            .into_iter()
            .filter(|c| c.path.contains("/channels/900/"))
            .count();
        assert_eq!(channel_posts, 0, "{name}");
        let dm: Vec<String> = api
            .calls()
            .into_iter()
            .filter(|c| c.path.contains("/channels/942/messages"))
            .map(|c| c.body.to_string())
            .collect();
        assert!(
            dm.iter()
                .any(|m| m.contains("25.00") && m.contains("target")),
            "{name}: the alert in the DM: {dm:?}"
        );
        db.finish().await;
    }
}
