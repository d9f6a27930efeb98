//! Telegram groups and channels as communities, end to end through the
//! webhook route (which asks Telegram who administers a group), the inbox,
//! the core and the dispatcher, against a fake Bot API on loopback, on
//! SQLite and (when configured) PostgreSQL.
//!
//! A group's alerts belong to the group: only its administrators make and
//! change them, any of them can manage what another made, a plain member
//! is told so privately; the bot being removed stops the group's posts and
//! tells its owner, and a group that becomes a supergroup keeps its
//! alerts. A channel is registered privately by one of its administrators,
//! and only when the bot may post there too.

mod common;

use axum::http::StatusCode;
use common::fake_api::{telegram as tg, Call, FakeApi};
use common::TestDb;
use dealwatch::deals::Announcer;
use dealwatch::dispatch::Dispatcher;
use dealwatch::inbound::{Inbox, InboxSink};
use dealwatch::plans::Plans;
use dealwatch::storage::{Destination, TELEGRAM_CHANNEL, TELEGRAM_GROUP};
use dealwatch_bots::pace::Pace;
use dealwatch_bots::telegram::TelegramClient;
use dealwatch_bots::{Broadcasts, Channel, Sender};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

const TOKEN: &str = "777:abc";
const BOT_ID: i64 = 777;
const SECRET: &str = "webhook-secret";
const BOT: &str = "dealwatch_bot";
const ANN: i64 = 4242;
const BOB: i64 = 5151;
const CAROL: i64 = 6161;
const GROUP: i64 = -555;
const SUPERGROUP: i64 = -100_555;
/// Channels: ours to post in (Ann administers it), one where we are only
/// a member, one more for a forwarded post.
const CHANNEL: i64 = -1_001;
const MUTED_CHANNEL: i64 = -1_003;
const FORWARDED_CHANNEL: i64 = -1_004;

/// The Bot API as these tests need it. `kicked` chats answer sends 403.
fn telegram(call: &Call, n: usize, kicked: &[i64]) -> (StatusCode, Value) {
    let method = call.path.rsplit('/').next().unwrap_or_default();
    let ok = |result: Value| (StatusCode::OK, tg::ok(result));
    let chat_id = call.body["chat_id"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| call.body["chat_id"].as_i64().map(|id| id.to_string()))
        .unwrap_or_default();
    match method {
        "getMe" => ok(tg::me(BOT_ID, BOT)),
        "getChat" => match chat_id.as_str() {
            "@deals_channel" => ok(tg::chat(
                CHANNEL,
                "channel",
                "Deals!",
                Some("deals_channel"),
            )),
            "@muted_channel" => ok(tg::chat(MUTED_CHANNEL, "channel", "Muted", None)),
            "@a_group" => ok(tg::chat(SUPERGROUP, "supergroup", "A group", None)),
            id if id == FORWARDED_CHANNEL.to_string() => ok(tg::chat(
                FORWARDED_CHANNEL,
                "channel",
                "Forwarded Finds",
                None,
            )),
            _ => (
                StatusCode::BAD_REQUEST,
                json!({"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}),
            ),
        },
        "getChatMember" => {
            let user = call.body["user_id"].as_i64().unwrap_or_default();
            let chat: i64 = chat_id.parse().unwrap_or_default();
            let channel = [CHANNEL, MUTED_CHANNEL, FORWARDED_CHANNEL].contains(&chat);
            let (status, can_post) = match (user, channel) {
                (BOT_ID, true) if chat == MUTED_CHANNEL => ("member", false),
                (BOT_ID, true) => ("administrator", true),
                (ANN, true) => ("creator", true),
                (CAROL, true) => ("administrator", false),
                (ANN, false) => ("administrator", false),
                (CAROL, false) => ("creator", true),
                _ => ("member", false),
            };
            ok(tg::member(user, user == BOT_ID, status, can_post))
        }
        "sendMessage" if kicked.iter().any(|k| k.to_string() == chat_id) => (
            StatusCode::FORBIDDEN,
            json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was kicked from the group chat"}),
        ),
        _ => (StatusCode::OK, tg::sent(call, n)),
    }
}

fn message(id: i64, chat: i64, from: i64, text: &str) -> Value {
    let kind = match chat {
        c if c == from => "private",
        GROUP => "group",
        _ => "supergroup",
    };
    json!({"update_id": id, "message": {"message_id": id, "date": 1_700_000_000,
        "chat": {"id": chat, "type": kind, "title": "Deal Hunters"},
        "from": {"id": from, "is_bot": false, "first_name": "Someone", "language_code": "en"},
        "text": text}})
}

/// Our membership of `chat` changed to `status`, done by `by`.
fn membership(id: i64, chat: i64, kind: &str, by: i64, status: &str) -> Value {
    json!({"update_id": id, "my_chat_member": {
        "chat": {"id": chat, "type": kind, "title": "Deal Hunters"},
        "from": {"id": by, "is_bot": false, "first_name": "Carol"},
        "date": 1_700_000_000,
        "old_chat_member": tg::member(BOT_ID, true, "member", false),
        "new_chat_member": tg::member(BOT_ID, true, status, true)}})
}

struct App {
    api: FakeApi,
    inbox: Arc<Inbox>,
    dispatcher: Dispatcher,
    base: String,
    http: reqwest::Client,
    kicked: Arc<std::sync::Mutex<Vec<i64>>>,
}

impl App {
    async fn start(db: &TestDb) -> App {
        let kicked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let gone = kicked.clone();
        let api = FakeApi::start(move |call: &Call, n| {
            let kicked = gone.lock().unwrap().clone();
            telegram(call, n, &kicked)
        })
        .await;
        let client = Arc::new(
            TelegramClient::new(&api.url, TOKEN)
                .unwrap()
                .with_pace(Pace::unlimited()),
        );
        let senders: HashMap<Channel, Arc<dyn Sender>> =
            HashMap::from([(Channel::Telegram, client.clone() as Arc<dyn Sender>)]);
        let core = db
            .core()
            .with_broadcasts(Channel::Telegram, client.clone() as Arc<dyn Broadcasts>);
        let inbox = Arc::new(Inbox::new(db.store.clone(), core, senders.clone()));
        let routes = dealwatch_webhooks::telegram::routes_with(
            SECRET,
            client.clone(),
            Arc::new(InboxSink(inbox.clone())),
        );
        let base = common::serve(&db.store, routes).await;
        let dispatcher = Dispatcher::new(
            db.store.clone(),
            Arc::new(dealwatch::l10n::L10n::load().unwrap()),
            Plans::default(),
            senders,
        );
        App {
            api,
            inbox,
            dispatcher,
            base,
            http: reqwest::Client::new(),
            kicked,
        }
    }

    /// Post an update to the webhook and act on what was stored.
    async fn post(&self, update: Value) {
        let status = self
            .http
            .post(format!("{}/webhooks/telegram", self.base))
            .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
            .body(update.to_string())
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        self.inbox.process_pending().await.unwrap();
        self.dispatcher.deliver_pending().await.unwrap();
    }

    /// The texts sent to one chat, in order.
    fn sent_to(&self, chat: i64) -> Vec<String> {
        self.api
            .to("POST", &format!("/bot{TOKEN}/sendMessage"))
            .into_iter()
            .filter(|c| c.body["chat_id"].as_str() == Some(chat.to_string().as_str()))
            .map(|c| c.body["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn last_to(&self, chat: i64) -> String {
        self.sent_to(chat).pop().unwrap_or_default()
    }

    /// The last message to `chat`'s buttons' commands.
    fn buttons_to(&self, chat: i64) -> Vec<String> {
        let calls = self.api.to("POST", &format!("/bot{TOKEN}/sendMessage"));
        let last = calls
            .iter()
            .rev()
            .find(|c| c.body["chat_id"].as_str() == Some(chat.to_string().as_str()));
        last.and_then(|c| {
            c.body["reply_markup"]["inline_keyboard"][0]
                .as_array()
                .cloned()
        })
        .unwrap_or_default()
        .iter()
        .filter_map(|b| b["callback_data"].as_str().map(str::to_owned))
        .collect()
    }
}

fn deal(key: &str, title: &str) -> dealwatch::storage::NewDeal {
    common::new_deal(key, title, Some("29.99"), None)
}

async fn chat(db: &TestDb, kind: &str, id: i64) -> Option<Destination> {
    db.store
        .destinations()
        .chat(kind, &id.to_string())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_telegram_group_is_a_community_its_admins_run() {
    use dealwatch::model::ItemState;
    for db in TestDb::all().await {
        let name = db.name;
        let app = App::start(&db).await;
        for (id, who) in [(1, ANN), (2, BOB), (3, CAROL)] {
            app.post(message(id, who, who, "/start")).await;
        }

        // A member's alert in the group is their own, and they are told why.
        app.post(message(10, GROUP, BOB, "/alert@dealwatch_bot lego"))
            .await;
        assert!(
            app.last_to(BOB).contains("alerts you privately"),
            "{name}: {:?}",
            app.sent_to(BOB)
        );
        assert!(app.sent_to(GROUP).is_empty(), "{name}");
        assert!(chat(&db, TELEGRAM_GROUP, GROUP).await.is_none(), "{name}");

        // An administrator's alert belongs to the group, answered there.
        app.post(message(
            11,
            GROUP,
            ANN,
            "/alert@dealwatch_bot lego under 50",
        ))
        .await;
        let answer = app.last_to(GROUP);
        assert!(
            answer.contains("posted in this channel"),
            "{name}: {answer}"
        );
        let group = chat(&db, TELEGRAM_GROUP, GROUP).await.expect("made");
        assert_eq!(group.name, "deal-hunters", "{name}");
        let owner = db
            .store
            .users()
            .find_identity(Channel::Telegram, &ANN.to_string())
            .await
            .unwrap()
            .unwrap()
            .0;
        assert_eq!(group.owner, owner.id, "{name}: the admin who set it up");
        let rules = db.store.destinations().rules(group.id).await.unwrap();
        assert_eq!(rules.len(), 1, "{name}");
        let no = rules[0].no;
        assert_eq!(
            app.buttons_to(GROUP),
            [
                format!("community pause {no}"),
                format!("community delete {no}")
            ],
            "{name}: the group's buttons act on the group's alert"
        );

        // Another admin sees and manages it; a member cannot.
        app.post(message(12, GROUP, CAROL, "/community@dealwatch_bot"))
            .await;
        let listing = app.last_to(GROUP);
        assert!(
            listing.contains(&format!("#{no}")) && listing.contains("lego"),
            "{name}: {listing}"
        );
        let before = app.sent_to(GROUP).len();
        app.post(message(13, GROUP, BOB, &format!("/community pause {no}")))
            .await;
        assert!(
            app.last_to(BOB).contains("Only the admins"),
            "{name}: {:?}",
            app.sent_to(BOB)
        );
        assert_eq!(
            app.sent_to(GROUP).len(),
            before,
            "{name}: nothing in the group"
        );
        let state = |db: &TestDb| {
            let store = db.store.clone();
            async move { store.destinations().rules(group.id).await.unwrap()[0].state }
        };
        assert_eq!(state(&db).await, ItemState::Active, "{name}");
        app.post(message(14, GROUP, CAROL, &format!("/community pause {no}")))
            .await;
        assert!(
            app.last_to(GROUP).contains(&format!("Paused #{no}")),
            "{name}"
        );
        assert_eq!(state(&db).await, ItemState::Paused, "{name}");
        // A number that is not the group's is said to be so.
        app.post(message(
            15,
            GROUP,
            CAROL,
            &format!("/community resume {no} 7"),
        ))
        .await;
        assert!(
            app.last_to(GROUP)
                .contains("#7 is not one of this community's alerts"),
            "{name}: {}",
            app.last_to(GROUP)
        );
        assert_eq!(state(&db).await, ItemState::Active, "{name}: resumed");
        // Bob's own alert has the same number as the group's: untouched.
        let bob = db
            .store
            .users()
            .find_identity(Channel::Telegram, &BOB.to_string())
            .await
            .unwrap()
            .unwrap()
            .0;
        let bobs = db.store.items().of(bob.id).await.unwrap();
        assert_eq!(bobs.len(), 1, "{name}");
        assert_eq!(bobs[0].state(), ItemState::Active, "{name}");
        app.post(message(16, GROUP, ANN, "/community@dealwatch_bot cap 1"))
            .await;
        assert!(app.last_to(GROUP).contains("at most 1"), "{name}");

        // Deals: the cap holds; the owner is not alerted privately.
        let announcer = Announcer::default();
        let before = app.sent_to(GROUP).len();
        let ann_before = app.sent_to(ANN).len();
        for (key, title) in [("d1", "LEGO Technic"), ("d2", "LEGO City")] {
            announcer
                .announce(&db.store, &deal(key, title), common::NOW)
                .await
                .unwrap();
        }
        app.dispatcher.deliver_pending().await.unwrap();
        let posts = app.sent_to(GROUP)[before..].to_vec();
        assert_eq!(posts.len(), 1, "{name}: capped at one a day: {posts:?}");
        assert!(posts[0].contains("LEGO"), "{name}: {posts:?}");
        assert_eq!(app.sent_to(ANN).len(), ann_before, "{name}");

        // The group becomes a supergroup: its alerts follow it.
        let mut moved = message(17, GROUP, CAROL, "");
        moved["message"].as_object_mut().unwrap().remove("text");
        moved["message"]["migrate_to_chat_id"] = json!(SUPERGROUP);
        app.post(moved).await;
        assert!(chat(&db, TELEGRAM_GROUP, GROUP).await.is_none(), "{name}");
        let moved = chat(&db, TELEGRAM_GROUP, SUPERGROUP).await.expect("moved");
        assert_eq!(moved.id, group.id, "{name}: the same community");
        app.post(message(18, SUPERGROUP, CAROL, "/community")).await;
        assert!(app.last_to(SUPERGROUP).contains("lego"), "{name}");

        // We are removed: its posts stop, its owner is told privately.
        app.kicked.lock().unwrap().push(SUPERGROUP);
        app.post(membership(19, SUPERGROUP, "supergroup", CAROL, "kicked"))
            .await;
        let stopped = chat(&db, TELEGRAM_GROUP, SUPERGROUP).await.unwrap();
        assert!(stopped.disabled.is_some(), "{name}");
        assert_eq!(state(&db).await, ItemState::Paused, "{name}");
        assert!(
            app.last_to(ANN)
                .contains("I was removed from “deal-hunters”"),
            "{name}: {:?}",
            app.sent_to(ANN)
        );
        let tried = |app: &App| {
            app.api
                .calls()
                .iter()
                .filter(|c| c.body["chat_id"].as_str() == Some(SUPERGROUP.to_string().as_str()))
                .count()
        };
        let before = tried(&app);
        announcer
            .announce(&db.store, &deal("d3", "LEGO Ideas"), common::NOW + 86_400)
            .await
            .unwrap();
        app.dispatcher.deliver_pending().await.unwrap();
        assert_eq!(tried(&app), before, "{name}: nothing tried");

        // Added back: greeted, told its alerts wait to be resumed.
        app.kicked.lock().unwrap().clear();
        app.post(membership(20, SUPERGROUP, "supergroup", CAROL, "member"))
            .await;
        let hello = app.last_to(SUPERGROUP);
        assert!(hello.contains("/alert WORDS"), "{name}: {hello}");
        assert!(hello.contains("paused"), "{name}: {hello}");
        assert!(chat(&db, TELEGRAM_GROUP, SUPERGROUP)
            .await
            .unwrap()
            .disabled
            .is_none());
        db.finish().await;
    }
}

#[tokio::test]
async fn a_telegram_channel_is_registered_by_its_admin_when_we_may_post_there() {
    for db in TestDb::all().await {
        let name = db.name;
        let app = App::start(&db).await;
        for (id, who) in [(1, ANN), (2, BOB), (3, CAROL)] {
            app.post(message(id, who, who, "/start")).await;
        }
        let refusals = [
            (
                10,
                BOB,
                "community add @deals_channel",
                "Only an admin of @deals_channel",
            ),
            // An admin without the right to post is no better.
            (
                11,
                CAROL,
                "community add @deals_channel",
                "Only an admin of @deals_channel",
            ),
            (
                12,
                ANN,
                "community add @muted_channel",
                "I'm not an admin of @muted_channel",
            ),
            (
                13,
                ANN,
                "community add @nobody_here",
                "doesn't know the channel @nobody_here",
            ),
            (
                14,
                ANN,
                "community add @a_group",
                "is a chat, not a channel",
            ),
        ];
        for (id, who, text, expected) in refusals {
            app.post(message(id, who, who, text)).await;
            let answer = app.last_to(who);
            assert!(answer.contains(expected), "{name}: {text}: {answer}");
        }
        assert!(
            chat(&db, TELEGRAM_CHANNEL, CHANNEL).await.is_none(),
            "{name}"
        );
        assert!(
            app.sent_to(CHANNEL).is_empty() && app.sent_to(MUTED_CHANNEL).is_empty(),
            "{name}"
        );

        // Typed in a group, it is refused.
        app.post(message(
            15,
            SUPERGROUP,
            ANN,
            "/community add @deals_channel",
        ))
        .await;
        assert!(
            chat(&db, TELEGRAM_CHANNEL, CHANNEL).await.is_none(),
            "{name}"
        );

        app.post(message(20, ANN, ANN, "community add @deals_channel"))
            .await;
        let answer = app.last_to(ANN);
        assert!(
            answer.contains("Connected “deals_channel”"),
            "{name}: {answer}"
        );
        let test = app.sent_to(CHANNEL);
        assert_eq!(test.len(), 1, "{name}: a test post: {test:?}");
        assert!(test[0].contains("Dealwatch is connected"), "{name}");

        app.post(message(21, ANN, ANN, "alert lego to deals_channel"))
            .await;
        Announcer::default()
            .announce(&db.store, &deal("d1", "LEGO Technic"), common::NOW)
            .await
            .unwrap();
        app.dispatcher.deliver_pending().await.unwrap();
        let posts = app.sent_to(CHANNEL);
        assert!(
            posts.last().is_some_and(|p| p.contains("LEGO Technic")),
            "{name}: {posts:?}"
        );

        // The channel removes us: it stops, and Ann is told.
        app.kicked.lock().unwrap().push(CHANNEL);
        Announcer::default()
            .announce(&db.store, &deal("d2", "LEGO City"), common::NOW)
            .await
            .unwrap();
        app.dispatcher.deliver_pending().await.unwrap();
        app.dispatcher.deliver_pending().await.unwrap();
        assert!(
            chat(&db, TELEGRAM_CHANNEL, CHANNEL)
                .await
                .unwrap()
                .disabled
                .is_some(),
            "{name}"
        );
        assert!(
            app.last_to(ANN)
                .contains("I was removed from “deals_channel”"),
            "{name}: {:?}",
            app.sent_to(ANN)
        );
        // A post forwarded from another channel registers that one.
        let forwarded = json!({"update_id": 22, "message": {"message_id": 22, "date": 1,
            "chat": {"id": ANN, "type": "private"},
            "from": {"id": ANN, "is_bot": false, "first_name": "Ann"},
            "forward_origin": {"type": "channel", "date": 1, "message_id": 9,
                "chat": {"id": FORWARDED_CHANNEL, "type": "channel", "title": "Forwarded Finds"}},
            "text": "Great deal on a kettle"}});
        app.post(forwarded.clone()).await;
        let forwarded_post = forwarded;
        let answer = app.last_to(ANN);
        assert!(
            answer.contains("Your plan allows one community"),
            "{name}: {answer}"
        );
        app.post(message(23, ANN, ANN, "community remove deals_channel"))
            .await;
        let mut again = forwarded_post.clone();
        again["update_id"] = json!(24);
        app.post(again).await;
        let answer = app.last_to(ANN);
        assert!(
            answer.contains("Connected “forwarded-finds”"),
            "{name}: {answer}"
        );
        assert!(
            app.sent_to(FORWARDED_CHANNEL)
                .last()
                .is_some_and(|t| t.contains("Dealwatch is connected")),
            "{name}"
        );

        db.finish().await;
    }
}

/// A deal with a picture is a photo with its linked headline as the
/// caption; when Telegram cannot fetch the picture, the same card goes
/// as a message, so the deal is not lost to a dead image link.
#[tokio::test]
async fn a_deal_card_is_a_photo_or_else_a_message() {
    let api = FakeApi::start(|call: &Call, n| {
        if call.path.ends_with("/sendPhoto") && call.body["photo"] == "https://img.example/gone.jpg" {
            return (
                StatusCode::BAD_REQUEST,
                json!({"ok": false, "error_code": 400, "description": "Bad Request: wrong file identifier/HTTP URL specified"}),
            );
        }
        telegram(call, n, &[])
    })
    .await;
    let client = TelegramClient::new(&api.url, TOKEN)
        .unwrap()
        .with_pace(Pace::unlimited());
    let card = |image: &str| {
        dealwatch_bots::Outgoing::text("🔥 LEGO Technic\n£29.99\nhttps://shop.example/d1")
            .with_card(dealwatch_bots::Card::new(
                "🔥 LEGO Technic",
                "https://shop.example/d1",
                "£29.99".into(),
                Some(image),
            ))
    };
    client
        .send("-1001", &[card("https://img.example/lego.jpg")])
        .await
        .unwrap();
    let photo = api.to("POST", &format!("/bot{TOKEN}/sendPhoto"));
    assert_eq!(photo.len(), 1);
    assert_eq!(photo[0].body["photo"], "https://img.example/lego.jpg");
    assert_eq!(photo[0].body["parse_mode"], "HTML");
    assert_eq!(
        photo[0].body["caption"],
        "<b><a href=\"https://shop.example/d1\">🔥 LEGO Technic</a></b>\n£29.99"
    );
    assert!(api
        .to("POST", &format!("/bot{TOKEN}/sendMessage"))
        .is_empty());

    client
        .send("-1001", &[card("https://img.example/gone.jpg")])
        .await
        .unwrap();
    let messages = api.to("POST", &format!("/bot{TOKEN}/sendMessage"));
    assert_eq!(messages.len(), 1, "the card without its picture");
    assert!(messages[0].body["text"]
        .as_str()
        .unwrap()
        .contains("<a href=\"https://shop.example/d1\">"));
}

/// A group that became a supergroup while we missed the news: Telegram
/// answers a post to the old id with the new one, and the community
/// follows it there, the deal not lost.
#[tokio::test]
async fn a_post_to_a_group_that_moved_follows_it() {
    for db in TestDb::all().await {
        let name = db.name;
        let app = App::start(&db).await;
        app.post(message(1, ANN, ANN, "/start")).await;
        app.post(message(2, GROUP, ANN, "/alert@dealwatch_bot lego"))
            .await;
        let group = chat(&db, TELEGRAM_GROUP, GROUP).await.expect("made");
        // From now on the old id answers "upgraded to a supergroup".
        let moved = FakeApi::start(|call: &Call, n| {
            if call.path.ends_with("/sendMessage") && call.body["chat_id"].as_str() == Some(GROUP.to_string().as_str()) {
                return (
                    StatusCode::BAD_REQUEST,
                    json!({"ok": false, "error_code": 400,
                           "description": "Bad Request: group chat was upgraded to a supergroup chat",
                           "parameters": {"migrate_to_chat_id": SUPERGROUP}}),
                );
            }
            telegram(call, n, &[])
        })
        .await;
        let client = Arc::new(
            TelegramClient::new(&moved.url, TOKEN)
                .unwrap()
                .with_pace(Pace::unlimited()),
        );
        let dispatcher = Dispatcher::new(
            db.store.clone(),
            Arc::new(dealwatch::l10n::L10n::load().unwrap()),
            Plans::default(),
            HashMap::from([(Channel::Telegram, client as Arc<dyn Sender>)]),
        );
        Announcer::default()
            .announce(&db.store, &deal("d1", "LEGO Technic"), common::NOW)
            .await
            .unwrap();
        dispatcher.deliver_pending().await.unwrap();
        dispatcher.deliver_pending().await.unwrap();
        let posted: Vec<String> = moved
            .to("POST", &format!("/bot{TOKEN}/sendMessage"))
            .into_iter()
            .filter(|c| c.body["chat_id"].as_str() == Some(SUPERGROUP.to_string().as_str()))
            .map(|c| c.body["text"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(posted.len(), 1, "{name}: {posted:?}");
        assert!(posted[0].contains("LEGO Technic"), "{name}");
        let now = chat(&db, TELEGRAM_GROUP, SUPERGROUP).await.expect("moved");
        assert_eq!(now.id, group.id, "{name}");
        db.finish().await;
    }
}

/// An administrator posting as the group (Telegram's "remain anonymous")
/// cannot be told apart: the group is told how to manage its alerts, once
/// in a while, and nothing is made.
#[tokio::test]
async fn an_anonymous_admin_is_told_how_once() {
    let db = TestDb::sqlite().await;
    let app = App::start(&db).await;
    for id in [1, 2, 3] {
        let mut update = message(id, SUPERGROUP, 1_087_968_824, "/alert@dealwatch_bot lego");
        update["message"]["from"]["is_bot"] = json!(true);
        update["message"]["sender_chat"] =
            json!({"id": SUPERGROUP, "type": "supergroup", "title": "Deal Hunters"});
        app.post(update).await;
    }
    let said = app.sent_to(SUPERGROUP);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("Remain anonymous"), "{said:?}");
    assert!(chat(&db, TELEGRAM_GROUP, SUPERGROUP).await.is_none());
    db.finish().await;
}

/// A plan's limits are a person's business: an admin whose plan allows no
/// more communities, or whose group is at its alert limit, is told so
/// privately; the group hears nothing about anyone's plan.
#[tokio::test]
async fn limits_are_told_privately_not_in_the_group() {
    for db in TestDb::all().await {
        let name = db.name;
        let app = App::start(&db).await;
        app.post(message(1, ANN, ANN, "/start")).await;
        // Free: one community with three alerts.
        for (id, word) in [(2, "lego"), (3, "kettle"), (4, "drill")] {
            app.post(message(id, GROUP, ANN, &format!("/alert {word}")))
                .await;
        }
        let group_before = app.sent_to(GROUP).len();
        assert_eq!(group_before, 3, "{name}: {:?}", app.sent_to(GROUP));
        app.post(message(5, GROUP, ANN, "/alert sofa")).await;
        assert_eq!(
            app.sent_to(GROUP).len(),
            group_before,
            "{name}: {:?}",
            app.sent_to(GROUP)
        );
        assert!(
            app.last_to(ANN).contains("already has 3 active alerts"),
            "{name}: {}",
            app.last_to(ANN)
        );
        // A second group would be a second community.
        app.post(message(6, SUPERGROUP, ANN, "/alert bike")).await;
        assert!(
            app.sent_to(SUPERGROUP).is_empty(),
            "{name}: {:?}",
            app.sent_to(SUPERGROUP)
        );
        assert!(
            app.last_to(ANN).contains("Your plan allows one community"),
            "{name}: {}",
            app.last_to(ANN)
        );
        db.finish().await;
    }
}
