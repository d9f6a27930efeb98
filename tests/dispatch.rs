//! The dispatcher against fake Telegram and Discord APIs: digests, the
//! daily cap, per-rule channels, unreachable identities, rate-limit waits
//! and sends left in doubt by a crash.

mod common;

use axum::http::StatusCode;
use common::fake_api::{telegram, Call, FakeApi};
use common::{from, joined, TestDb};
use dealwatch::conversation::Core;
use dealwatch::deals::Announcer;
use dealwatch::dispatch::Dispatcher;
use dealwatch::plans::Plans;
use dealwatch::storage::{NewDeal, Store};
use dealwatch_bots::discord::DiscordClient;
use dealwatch_bots::pace::Pace;
use dealwatch_bots::telegram::TelegramClient;
use dealwatch_bots::{Channel, Sender};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Sunday 2026-11-22 12:00 UTC (also 12:00 in London).
const T0: i64 = 1_795_435_200 - 24 * 3600;

/// Fake Telegram: chat 666 has blocked the bot, chat 429 is told to wait
/// 7 s once; everything else is sent.
async fn fake_telegram() -> FakeApi {
    FakeApi::start(|call: &Call, n| {
        let chat = call.body["chat_id"].as_str().unwrap_or_default().to_owned();
        match chat.as_str() {
            "666" => (
                StatusCode::FORBIDDEN,
                json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
            ),
            "429" if n == 1 => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7", "parameters": {"retry_after": 7}}),
            ),
            _ => (StatusCode::OK, telegram::sent(call, n)),
        }
    })
    .await
}

/// Fake Discord: DMs open as channel `9{user}`; a message whose nonce was
/// seen before is not made again (Discord's `enforce_nonce`).
async fn fake_discord() -> FakeApi {
    let nonces: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    FakeApi::start(move |call: &Call, n| {
        if call.path.ends_with("/users/@me/channels") {
            let user = call.body["recipient_id"].as_str().unwrap_or_default();
            return (StatusCode::OK, json!({"id": format!("9{user}")}));
        }
        let id = match call.body["nonce"].as_str() {
            Some(nonce) => *nonces.lock().unwrap().entry(nonce.to_owned()).or_insert(n),
            None => n,
        };
        (StatusCode::OK, json!({"id": id.to_string()}))
    })
    .await
}

struct Setup {
    db: TestDb,
    core: Core,
    telegram: FakeApi,
    discord: FakeApi,
    dispatcher: Dispatcher,
}

async fn setup(db: TestDb) -> Setup {
    let telegram = fake_telegram().await;
    let discord = fake_discord().await;
    let tg = TelegramClient::new(&telegram.url, "123:abc")
        .unwrap()
        .with_pace(Pace::unlimited());
    let dc = DiscordClient::new(&discord.base("api/v10/"), "77", Some("bot-token"))
        .unwrap()
        .with_pace(Pace::unlimited());
    let senders: HashMap<Channel, Arc<dyn Sender>> = HashMap::from([
        (Channel::Telegram, Arc::new(tg) as Arc<dyn Sender>),
        (Channel::Discord, Arc::new(dc) as Arc<dyn Sender>),
    ]);
    let dispatcher = Dispatcher::new(
        db.store.clone(),
        Arc::new(dealwatch::l10n::L10n::load().unwrap()),
        Plans::default(),
        senders,
    );
    let core = db.core();
    Setup {
        db,
        core,
        telegram,
        discord,
        dispatcher,
    }
}

async fn tell(core: &Core, channel: Channel, who: &str, text: &str, at: i64) -> String {
    joined(&core.handle(&from(channel, who, text), at).await.unwrap())
}

/// Link a Discord identity to the Telegram user `chat`.
async fn link_discord(core: &Core, chat: &str, discord_user: &str) {
    let reply = tell(core, Channel::Telegram, chat, "link", T0).await;
    let code = reply
        .split("“link ")
        .nth(1)
        .and_then(|rest| rest.split('”').next())
        .unwrap_or_else(|| panic!("{reply}"));
    let linked = tell(
        core,
        Channel::Discord,
        discord_user,
        &format!("link {code} yes"),
        T0 + 1,
    )
    .await;
    assert!(!linked.is_empty());
    // Telegram stays the most recently active identity.
    tell(core, Channel::Telegram, chat, "list", T0 + 2).await;
}

fn deal(key: &str, title: &str, price: &str, was: Option<&str>) -> NewDeal {
    common::new_deal(key, title, Some(price), was)
}

async fn announce(store: &Store, deals: &[NewDeal]) -> usize {
    Announcer::default()
        .announce_all(store, deals, T0 + 10)
        .await
        .unwrap()
        .alerts
}

/// The text of each Telegram sendMessage, in order.
fn telegram_texts(api: &FakeApi, chat: &str) -> Vec<String> {
    api.to("POST", "/bot123:abc/sendMessage")
        .into_iter()
        .filter(|c| c.body["chat_id"] == chat)
        .map(|c| common::shown_html(c.body["text"].as_str().unwrap_or_default()))
        .collect()
}

fn discord_posts(api: &FakeApi) -> Vec<Value> {
    api.calls()
        .into_iter()
        .filter(|c| {
            c.method == "POST" && c.path.contains("/channels/") && c.path.ends_with("/messages")
        })
        .map(|c| c.body)
        .collect()
}

#[tokio::test]
async fn the_kept_rule_index_follows_every_rule_change_from_any_instance() {
    for db in TestDb::all().await {
        let s = setup(db).await;
        let (core, store) = (&s.core, &s.db.store);
        // Another instance: its own core on the same database.
        let other = s.db.core();
        let announcer = Announcer::default();
        let mut n = 0;
        let mut alerts_for = async |title: &str| {
            n += 1;
            announcer
                .announce(store, &deal(&format!("k{n}"), title, "100", None), T0 + 10)
                .await
                .unwrap()
        };
        assert_eq!(alerts_for("LEGO Titanic").await, 0, "no rules yet");
        tell(core, Channel::Telegram, "100", "alert lego", T0).await;
        assert_eq!(alerts_for("LEGO Bugatti").await, 1, "a new rule");
        tell(&other, Channel::Telegram, "200", "alert lego", T0).await;
        assert_eq!(
            alerts_for("LEGO Eiffel Tower").await,
            2,
            "a rule added by another instance"
        );
        tell(core, Channel::Telegram, "100", "pause 1", T0).await;
        assert_eq!(alerts_for("LEGO Ship").await, 1, "a paused rule");
        tell(core, Channel::Telegram, "100", "resume 1", T0).await;
        assert_eq!(alerts_for("LEGO Car").await, 2, "a resumed rule");
        tell(&other, Channel::Telegram, "200", "delete 1", T0).await;
        assert_eq!(alerts_for("LEGO Castle").await, 1, "a deleted rule");
        assert_eq!(alerts_for("Sony headphones").await, 0);
    }
}

#[tokio::test]
async fn a_daily_digest_holds_alerts_and_sends_one_grouped_sorted_message_at_the_users_time() {
    for db in TestDb::all().await {
        let s = setup(db).await;
        let (core, store) = (&s.core, &s.db.store);
        tell(core, Channel::Telegram, "100", "timezone Europe/Berlin", T0).await;
        tell(core, Channel::Telegram, "100", "alert lego", T0).await;
        tell(core, Channel::Telegram, "100", "alert headphones", T0).await;
        let reply = tell(core, Channel::Telegram, "100", "digest daily 08:00", T0).await;
        assert!(reply.contains("08:00"), "{reply}");
        let queued = announce(
            store,
            &[
                deal("a", "LEGO Titanic", "400", Some("500")),
                deal("b", "Sony headphones", "200", None),
                deal("c", "LEGO Bugatti", "150", Some("300")),
            ],
        )
        .await;
        assert_eq!(queued, 3);
        s.dispatcher.deliver_pending_at(T0 + 20).await.unwrap();
        // Held: nothing sent yet, also not just before 08:00 Berlin
        // (07:00 UTC on Monday).
        let monday_8 = T0 + 19 * 3600;
        s.dispatcher
            .deliver_pending_at(monday_8 - 60)
            .await
            .unwrap();
        assert!(telegram_texts(&s.telegram, "100").is_empty());
        s.dispatcher.deliver_pending_at(monday_8).await.unwrap();
        s.dispatcher.deliver_pending_at(monday_8 + 1).await.unwrap();
        let sent = telegram_texts(&s.telegram, "100");
        assert_eq!(sent.len(), 1, "{sent:?}");
        let digest = &sent[0];
        assert!(digest.starts_with("📬"), "{digest}");
        assert!(digest.contains("3 alerts"), "{digest}");
        // Grouped by rule in item order; within #1 the bigger discount first.
        let at = |needle: &str| {
            digest
                .find(needle)
                .unwrap_or_else(|| panic!("{needle} in {digest}"))
        };
        assert!(at("Alert #1") < at("LEGO Bugatti"));
        assert!(at("LEGO Bugatti") < at("LEGO Titanic"));
        assert!(at("LEGO Titanic") < at("Alert #2"));
        assert!(at("Alert #2") < at("Sony headphones"));
        assert!(
            digest.contains("−50%") && digest.contains("−20%"),
            "{digest}"
        );
        // Made once: nothing more later.
        s.dispatcher
            .deliver_pending_at(monday_8 + 3600)
            .await
            .unwrap();
        assert_eq!(telegram_texts(&s.telegram, "100").len(), 1);
        s.db.finish().await;
    }
}

#[tokio::test]
async fn over_the_daily_cap_alerts_wait_for_the_next_morning_digest() {
    for db in TestDb::all().await {
        let s = setup(db).await;
        let (core, store) = (&s.core, &s.db.store);
        tell(core, Channel::Telegram, "100", "timezone Europe/London", T0).await;
        tell(core, Channel::Telegram, "100", "alert lego", T0).await;
        tell(core, Channel::Telegram, "100", "cap 2", T0).await;
        let deals: Vec<NewDeal> = (0..5)
            .map(|i| deal(&format!("d{i}"), &format!("LEGO set {i}"), "10", None))
            .collect();
        assert_eq!(announce(store, &deals).await, 5);
        s.dispatcher.deliver_pending_at(T0 + 20).await.unwrap();
        s.dispatcher.deliver_pending_at(T0 + 21).await.unwrap();
        let sent = telegram_texts(&s.telegram, "100");
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert!(sent.iter().all(|t| t.starts_with("🔥")));
        // 08:00 on Monday in London is 08:00 UTC: the other three, as one.
        let monday_8 = T0 + 20 * 3600;
        s.dispatcher.deliver_pending_at(monday_8 - 1).await.unwrap();
        assert_eq!(telegram_texts(&s.telegram, "100").len(), 2);
        s.dispatcher.deliver_pending_at(monday_8).await.unwrap();
        s.dispatcher.deliver_pending_at(monday_8 + 1).await.unwrap();
        let sent = telegram_texts(&s.telegram, "100");
        assert_eq!(sent.len(), 3, "{sent:?}");
        assert!(sent[2].contains("3 alerts"), "{}", sent[2]);
        s.db.finish().await;
    }
}

#[tokio::test]
async fn a_rule_can_send_its_alerts_through_a_channel_of_its_own() {
    for db in TestDb::all().await {
        let s = setup(db).await;
        let (core, store) = (&s.core, &s.db.store);
        link_discord(core, "100", "555").await;
        let reply = tell(
            core,
            Channel::Telegram,
            "100",
            "alert lego via discord",
            T0 + 3,
        )
        .await;
        assert!(reply.contains("#1"), "{reply}");
        tell(core, Channel::Telegram, "100", "alert headphones", T0 + 3).await;
        let bad = tell(
            core,
            Channel::Telegram,
            "100",
            "alert ps5 via pigeon",
            T0 + 3,
        )
        .await;
        assert!(
            bad.contains("pigeon") && bad.contains("telegram, discord"),
            "{bad}"
        );
        assert_eq!(
            announce(
                store,
                &[
                    deal("a", "LEGO Titanic", "400", None),
                    deal("b", "Sony headphones", "200", None)
                ]
            )
            .await,
            2
        );
        s.dispatcher.deliver_pending_at(T0 + 20).await.unwrap();
        let dm = discord_posts(&s.discord);
        assert_eq!(dm.len(), 1, "{dm:?}");
        assert!(common::embed_text(&dm[0]).contains("LEGO Titanic"));
        let tg = telegram_texts(&s.telegram, "100");
        assert!(tg.iter().any(|t| t.contains("Sony headphones")), "{tg:?}");
        assert!(!tg.iter().any(|t| t.contains("LEGO")), "{tg:?}");
        s.db.finish().await;
    }
}

#[tokio::test]
async fn a_blocked_bot_disables_that_identity_and_the_user_hears_on_another_channel() {
    for db in TestDb::all().await {
        let s = setup(db).await;
        let (core, store) = (&s.core, &s.db.store);
        link_discord(core, "666", "555").await;
        tell(core, Channel::Telegram, "666", "alert lego", T0 + 3).await;
        announce(store, &[deal("a", "LEGO Titanic", "400", None)]).await;
        s.dispatcher.deliver_pending_at(T0 + 20).await.unwrap();
        s.dispatcher.deliver_pending_at(T0 + 21).await.unwrap();
        // Telegram refused for good; the alert and then the notice went by DM.
        let dm = discord_posts(&s.discord);
        let texts: Vec<String> = dm.iter().map(common::embed_text).collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts[0].contains("LEGO Titanic"));
        assert!(
            texts[1].contains("Telegram") && texts[1].contains("blocked"),
            "{}",
            texts[1]
        );
        // Telegram is not tried again for the next alert.
        let before = s.telegram.calls().len();
        announce(store, &[deal("b", "LEGO Bugatti", "150", None)]).await;
        s.dispatcher.deliver_pending_at(T0 + 30).await.unwrap();
        assert_eq!(s.telegram.calls().len(), before);
        assert_eq!(discord_posts(&s.discord).len(), 3);
        // Writing on Telegram again turns it back on.
        tell(core, Channel::Telegram, "666", "list", T0 + 40).await;
        let user = store
            .users()
            .find_identity(Channel::Telegram, "666")
            .await
            .unwrap()
            .unwrap()
            .0
            .id;
        let reachable = store.users().reachable_identities(user).await.unwrap();
        assert!(reachable.iter().any(|i| i.channel == Channel::Telegram));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn a_rate_limit_wait_is_honoured_and_is_not_a_failed_attempt() {
    for db in TestDb::all().await {
        let s = setup(db).await;
        let (core, store) = (&s.core, &s.db.store);
        tell(core, Channel::Telegram, "429", "alert lego", T0).await;
        announce(
            store,
            &[
                deal("a", "LEGO one", "1", None),
                deal("b", "LEGO two", "2", None),
            ],
        )
        .await;
        s.dispatcher.deliver_pending_at(T0 + 20).await.unwrap();
        // Told to wait 7 s: the second alert waited with it, untried.
        assert_eq!(s.telegram.calls().len(), 1);
        s.dispatcher.deliver_pending_at(T0 + 26).await.unwrap();
        assert_eq!(s.telegram.calls().len(), 1);
        s.dispatcher.deliver_pending_at(T0 + 27).await.unwrap();
        let sent = telegram_texts(&s.telegram, "429");
        assert_eq!(sent.len(), 3, "{sent:?}");
        assert!(sent[1].contains("LEGO one") && sent[2].contains("LEGO two"));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn a_send_left_in_doubt_by_a_crash_goes_again_to_the_same_identity_with_the_same_nonce() {
    for db in TestDb::all().await {
        let s = setup(db).await;
        let (core, store) = (&s.core, &s.db.store);
        link_discord(core, "100", "555").await;
        tell(core, Channel::Telegram, "100", "alert lego", T0 + 3).await;
        announce(store, &[deal("a", "LEGO Titanic", "400", None)]).await;
        // A first instance claimed the row and posted it to Discord (this
        // user's DM), then died before recording the outcome.
        let claimed = store.outbox().claim(T0 + 20, 300, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        let discord_identity = store
            .users()
            .find_identity(Channel::Discord, "555")
            .await
            .unwrap()
            .unwrap()
            .1
            .id;
        store
            .outbox()
            .sending(claimed[0].id, Some(discord_identity), T0 + 20)
            .await
            .unwrap();
        let key = format!("o{}", claimed[0].id);
        let first =
            DiscordClient::new(&s.discord.base("api/v10/"), "77", Some("bot-token")).unwrap();
        first
            .notify(
                "555",
                &[dealwatch_bots::Outgoing::text("LEGO Titanic")],
                None,
                &key,
            )
            .await
            .unwrap();
        // After the lease, the row is in doubt: it goes to the same
        // identity (not Telegram, the more recent) with the same nonce, and
        // Discord hands back the message it already has.
        s.dispatcher
            .deliver_pending_at(T0 + 20 + 301)
            .await
            .unwrap();
        assert!(telegram_texts(&s.telegram, "100").is_empty());
        let posts = discord_posts(&s.discord);
        assert_eq!(posts.len(), 2);
        assert_eq!(posts[0]["nonce"], posts[1]["nonce"]);
        assert_eq!(posts[1]["enforce_nonce"], true);
        let answered: Vec<String> = s
            .discord
            .calls()
            .iter()
            .filter(|c| c.path.ends_with("/messages"))
            .map(|c| c.body["nonce"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(answered, vec![format!("{key}p0"); 2]);
        // Recorded as sent: never again.
        s.dispatcher
            .deliver_pending_at(T0 + 20 + 2000)
            .await
            .unwrap();
        assert_eq!(discord_posts(&s.discord).len(), 2);
        s.db.finish().await;
    }
}

#[tokio::test]
async fn released_rows_can_be_claimed_again_at_once() {
    for db in TestDb::all().await {
        let s = setup(db).await;
        let (core, store) = (&s.core, &s.db.store);
        tell(core, Channel::Telegram, "100", "alert lego", T0).await;
        announce(
            store,
            &[
                deal("a", "LEGO one", "1", None),
                deal("b", "LEGO two", "2", None),
            ],
        )
        .await;
        let claimed = store.outbox().claim(T0 + 20, 300, 10).await.unwrap();
        assert_eq!(claimed.len(), 2);
        // Leased: nobody else gets them.
        assert!(store
            .outbox()
            .claim(T0 + 21, 300, 10)
            .await
            .unwrap()
            .is_empty());
        let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
        store.outbox().release(&ids).await.unwrap();
        let again = store.outbox().claim(T0 + 21, 300, 10).await.unwrap();
        assert_eq!(again.iter().map(|r| r.id).collect::<Vec<_>>(), ids);
        s.db.finish().await;
    }
}
