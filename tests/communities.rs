//! Community destinations, first kind: a Discord channel reached through
//! its webhook URL (no bot). Against a fake Discord API on loopback, on
//! SQLite and (when configured) PostgreSQL: registering checks the webhook
//! and posts a test message, the token is never shown back or stored in
//! plain text (not even in the stored inbound message), only Discord's own
//! URLs are taken, plan limits hold, and `test`, `list` and `remove` work.

mod common;

use common::Recorder;

use axum::http::StatusCode;
use common::fake_api::{Call, FakeApi};
use common::{say, TestDb};
use dealwatch::conversation::Communities;
use dealwatch::inbound::Inbox;
use dealwatch::seal::Sealer;
use dealwatch::storage::Backend;
use dealwatch_bots::discord::DiscordClient;
use dealwatch_bots::{Channel, InboundRecord, Sender};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// A webhook token as Discord makes them (68 characters).
const TOKEN: &str = "Zq3-Xk_9aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefghijklmnopqrstuvw";
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn url(id: &str) -> String {
    format!("https://discord.com/api/webhooks/{id}/{TOKEN}")
}

/// Discord's webhook routes: 111 and 444 exist, anything else does not
/// (deleted, or a wrong token: Discord answers 404 Unknown Webhook).
fn discord(call: &Call, _: usize) -> (StatusCode, Value) {
    let path = call.path.trim_start_matches("/api/v10");
    let known = |id: &str| path.starts_with(&format!("/webhooks/{id}/{TOKEN}"));
    let id = ["111", "444"].into_iter().find(|id| known(id));
    match (call.method.as_str(), id) {
        ("GET", Some(id)) => (
            StatusCode::OK,
            json!({"id": id, "type": 1, "name": "Deal Hunters", "channel_id": "900",
                   "guild_id": "800", "token": TOKEN}),
        ),
        ("POST", Some(_)) => (
            StatusCode::OK,
            json!({"id": format!("m{}", call.raw.len()), "channel_id": "900"}),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            json!({"message": "Unknown Webhook", "code": 10015}),
        ),
    }
}

fn communities(api: &FakeApi) -> Communities {
    Communities {
        discord: Arc::new(DiscordClient::new(&api.base("api/v10/"), "", None).unwrap()),
        sealer: Arc::new(Sealer::with_key(KEY).unwrap()),
    }
}

use common::new_deal as deal;

/// The dispatcher as `serve` builds it, owners' own alerts to `owners`
/// (on Telegram), webhook posts unpaced (pacing has its bench).
fn dispatcher(
    db: &TestDb,
    api: &FakeApi,
    owners: Arc<Recorder>,
) -> dealwatch::dispatch::Dispatcher {
    dealwatch::dispatch::Dispatcher::new(
        db.store.clone(),
        Arc::new(dealwatch::l10n::L10n::load().unwrap()),
        dealwatch::plans::Plans::default(),
        HashMap::from([(Channel::Telegram, owners as Arc<dyn Sender>)]),
    )
    .with_communities_paced(communities(api), dealwatch_bots::pace::Pace::unlimited())
}

/// Deliver what is queued now (after connecting a webhook: its test post),
/// so a test counts only the posts that follow.
async fn deliver_test_post(db: &TestDb, api: &FakeApi) {
    dispatcher(db, api, Arc::default())
        .deliver_pending()
        .await
        .unwrap();
}

/// What Telegram user 4242 is answered, at `now`.
async fn ann_at(core: &dealwatch::conversation::Core, text: String, now: i64) -> String {
    let replies = core
        .handle(&common::from(Channel::Telegram, "4242", &text), now)
        .await
        .unwrap();
    common::joined(&replies)
}

/// Every stored text of the database that could hold the token: each
/// destination's columns and each inbound message as kept.
async fn stored_texts(db: &TestDb) -> Vec<String> {
    use sqlx::Connection;
    const DESTINATIONS: &str =
        "SELECT name || ' ' || external_id || ' ' || COALESCE(sealed_secret, '') \
         || ' ' || COALESCE(channel_id, '') FROM destinations";
    const INBOUND: &str = "SELECT payload FROM inbound_messages";
    let mut texts: Vec<String> = Vec::new();
    match db.store.backend() {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            for sql in [DESTINATIONS, INBOUND] {
                texts.extend(
                    sqlx::query_scalar::<_, String>(sql)
                        .fetch_all(&mut conn)
                        .await
                        .unwrap(),
                );
            }
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            for sql in [DESTINATIONS, INBOUND] {
                texts.extend(
                    sqlx::query_scalar::<_, String>(sql)
                        .fetch_all(&mut conn)
                        .await
                        .unwrap(),
                );
            }
        }
    }
    texts
}

#[tokio::test]
async fn a_discord_webhook_is_checked_test_posted_kept_sealed_and_managed() {
    let api = FakeApi::start(discord).await;
    for db in TestDb::all().await {
        let core = db.core().with_communities(communities(&api));
        let dispatcher = dispatcher(&db, &api, Arc::default());
        let before = api.calls().len();

        // Pasted bare, as people do.
        let reply = say(&core, "ann", &url("111")).await;
        assert!(
            reply.contains("Connected “deal-hunters”"),
            "{}: {reply}",
            db.name
        );
        assert!(
            reply.contains("https://discord.com/api/webhooks/111/…"),
            "{}: {reply}",
            db.name
        );
        assert!(
            !reply.contains(&TOKEN[..8]),
            "{}: the token shown: {reply}",
            db.name
        );
        assert!(reply.contains("test message is on its way"), "{reply}");
        // Deciding only looks the webhook up; the test post leaves through
        // the outbox, like the deals after it.
        assert_eq!(api.calls().len(), before + 1, "{}", db.name);
        dispatcher.deliver_pending().await.unwrap();
        let calls = &api.calls()[before..];
        assert_eq!(calls.len(), 2, "{}: {calls:?}", db.name);
        assert_eq!(calls[0].method, "GET");
        assert_eq!(calls[0].path, format!("/api/v10/webhooks/111/{TOKEN}"));
        assert_eq!(calls[1].method, "POST");
        assert_eq!(
            calls[1].path,
            format!("/api/v10/webhooks/111/{TOKEN}?wait=true")
        );
        // A webhook needs no bot token, and none is sent.
        assert!(calls.iter().all(|c| c.header("authorization").is_none()));
        let embed = &calls[1].body["embeds"][0];
        assert!(
            embed["description"]
                .as_str()
                .unwrap()
                .contains("Dealwatch is connected"),
            "{embed}"
        );
        let allowed = &calls[1].body["allowed_mentions"];
        assert_eq!(allowed["parse"], json!([]), "nobody may be pinged");
        for list in ["roles", "users"] {
            assert!(
                allowed[list].as_array().is_none_or(Vec::is_empty),
                "{allowed}"
            );
        }

        let list = say(&core, "ann", "community").await;
        assert!(list.contains("deal-hunters"), "{}: {list}", db.name);
        assert!(!list.contains(&TOKEN[..8]), "{}: {list}", db.name);
        for text in stored_texts(&db).await {
            assert!(
                !text.contains(TOKEN),
                "{}: stored in plain text: {text}",
                db.name
            );
        }

        // The same webhook again is the same community.
        let reply = say(&core, "ann", &format!("community add {}", url("111"))).await;
        assert!(
            reply.contains("already connected as “deal-hunters”"),
            "{}: {reply}",
            db.name
        );
        // Free plans have one community.
        let reply = say(&core, "ann", &format!("community add {} more", url("444"))).await;
        assert!(
            reply.contains("allows one community"),
            "{}: {reply}",
            db.name
        );

        let before = api.calls().len();
        let reply = say(&core, "ann", "community test Deal-Hunters").await;
        assert!(
            reply.contains("A test message is on its way to “deal-hunters”"),
            "{}: {reply}",
            db.name
        );
        dispatcher.deliver_pending().await.unwrap();
        let posted = &api.calls()[before..];
        assert_eq!(posted.len(), 1, "{}", db.name);
        assert_eq!(
            posted[0].path,
            format!("/api/v10/webhooks/111/{TOKEN}?wait=true")
        );

        // Someone else's names mean nothing to them.
        let reply = say(&core, "bob", "community test deal-hunters").await;
        assert!(
            reply.contains("no community called"),
            "{}: {reply}",
            db.name
        );
        let reply = say(&core, "bob", "community remove deal-hunters").await;
        assert!(
            reply.contains("no community called"),
            "{}: {reply}",
            db.name
        );

        let reply = say(&core, "ann", "community remove deal-hunters").await;
        assert!(
            reply.contains("Removed “deal-hunters”"),
            "{}: {reply}",
            db.name
        );
        let list = say(&core, "ann", "community list").await;
        assert!(list.contains("no communities yet"), "{}: {list}", db.name);

        // Now there is room, under a name of Ann's choosing.
        let reply = say(
            &core,
            "ann",
            &format!("community add {} as Weekend", url("444")),
        )
        .await;
        assert!(
            reply.contains("Connected “weekend”"),
            "{}: {reply}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_deleted_or_foreign_webhook_is_refused_and_nothing_is_kept() {
    let api = FakeApi::start(discord).await;
    for db in TestDb::all().await {
        let core = db.core().with_communities(communities(&api));
        let reply = say(&core, "ann", &url("222")).await;
        assert!(reply.contains("doesn't exist"), "{}: {reply}", db.name);
        assert!(!reply.contains(&TOKEN[..8]), "{}: {reply}", db.name);

        // `watch` of a webhook URL is registering it, never fetching it.
        let before = api.calls().len();
        let reply = say(&core, "ann", &format!("watch {}", url("222"))).await;
        assert!(reply.contains("doesn't exist"), "{}: {reply}", db.name);
        assert_eq!(api.calls().len(), before + 1, "{}: only the check", db.name);

        for (text, why) in [
            (
                "community add https://evil.example/api/webhooks/111/abc",
                "on discord.com",
            ),
            (
                "community add http://discord.com/api/webhooks/111/abc",
                "start with https://",
            ),
            (
                "community add https://discord.com:8443/api/webhooks/111/abc",
                "name a port",
            ),
            (
                "community add https://discord.com/api/webhooks/111/abc?x=1",
                "nothing after it",
            ),
            (
                "https://discord.com/api/webhooks/111/abc/github",
                "look like",
            ),
            ("community add lego", "look like"),
        ] {
            let before = api.calls().len();
            let reply = say(&core, "ann", text).await;
            assert!(reply.contains(why), "{}: {text} -> {reply}", db.name);
            assert_eq!(
                api.calls().len(),
                before,
                "{}: {text} reached Discord",
                db.name
            );
        }
        for (text, why) in [
            ("community test", "Which community?"),
            ("community remove a b", "I didn't understand “b”"),
            ("community test no/slash", "can't be a community name"),
        ] {
            let reply = say(&core, "ann", text).await;
            assert!(reply.contains(why), "{}: {text} -> {reply}", db.name);
        }
        assert!(
            say(&core, "ann", "community")
                .await
                .contains("no communities yet"),
            "{}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn without_a_lasting_key_communities_are_off() {
    let api = FakeApi::start(discord).await;
    let db = TestDb::sqlite().await;
    let reply = say(&db.core(), "ann", &url("111")).await;
    assert!(reply.contains("aren't switched on"), "{reply}");
    assert!(api.calls().is_empty());
    db.finish().await;
}

/// Through the inbox (as from Telegram): the stored message loses the
/// token once acted on; in a group the URL is refused with advice.
#[tokio::test]
async fn the_stored_message_keeps_no_token_and_groups_are_refused() {
    let api = FakeApi::start(discord).await;
    for db in TestDb::all().await {
        let recorder = Arc::new(Recorder::default());
        let sender: Arc<dyn Sender> = recorder.clone();
        let inbox = Inbox::new(
            db.store.clone(),
            db.core().with_communities(communities(&api)),
            HashMap::from([(Channel::Telegram, sender)]),
        );
        let mut incoming = common::from(Channel::Telegram, "4242", "/start");
        incoming.message_id = Some("1".into());
        assert!(inbox.accept(&InboundRecord::plain(incoming)).await.unwrap());
        let mut incoming = common::from(Channel::Telegram, "4242", &url("111"));
        incoming.message_id = Some("2".into());
        assert!(inbox.accept(&InboundRecord::plain(incoming)).await.unwrap());
        inbox.process_pending().await.unwrap();
        let sent = recorder.0.lock().unwrap().clone();
        assert!(
            sent.iter().any(|s| s.contains("Connected “deal-hunters”")),
            "{}: {sent:?}",
            db.name
        );
        let texts = stored_texts(&db).await;
        assert!(
            texts.iter().any(|t| t.contains("[Discord webhook URL]")),
            "{}: {texts:?}",
            db.name
        );
        for text in texts {
            assert!(
                !text.contains(TOKEN),
                "{}: stored in plain text: {text}",
                db.name
            );
        }

        // Pasted in a group, everyone there has the URL: refused, with advice.
        let mut incoming = common::from(Channel::Telegram, "4242", &url("444"));
        incoming.message_id = Some("3".into());
        incoming.reply_to = "-100555".into();
        incoming.group = Some(dealwatch_bots::Group {
            sender_can_manage: true,
            ..dealwatch_bots::Group::at("-100555")
        });
        let before = api.calls().len();
        assert!(inbox.accept(&InboundRecord::plain(incoming)).await.unwrap());
        inbox.process_pending().await.unwrap();
        let sent = recorder.0.lock().unwrap().clone();
        assert!(
            sent.last()
                .is_some_and(|s| s.contains("don't share a webhook URL in a group")),
            "{}: {sent:?}",
            db.name
        );
        assert_eq!(
            api.calls().len(),
            before,
            "{}: the group's URL was used",
            db.name
        );
        for text in stored_texts(&db).await {
            assert!(
                !text.contains(TOKEN),
                "{}: stored in plain text: {text}",
                db.name
            );
        }
        db.finish().await;
    }
}

/// A rule made with `alert WORDS to NAME` posts its matches through the
/// webhook (an embed, no buttons, no bot token) while the owner's own
/// alerts still reach them privately; when Discord says the webhook is
/// gone, the community stops, its rule pauses, and the owner is told in
/// their private chat. A new URL under the same name brings it back.
#[tokio::test]
async fn matches_are_posted_through_the_webhook_until_it_is_deleted() {
    use dealwatch::deals::Announcer;
    use dealwatch::storage::Item;
    use std::sync::atomic::{AtomicBool, Ordering};

    let deleted = Arc::new(AtomicBool::new(false));
    let gone = deleted.clone();
    let api = FakeApi::start(move |call: &Call, n| {
        if gone.load(Ordering::SeqCst) && call.path.contains("/webhooks/111/") {
            return (
                StatusCode::NOT_FOUND,
                json!({"message": "Unknown Webhook", "code": 10015}),
            );
        }
        discord(call, n)
    })
    .await;
    let deal = |key: &str, title: &str| deal(key, title, Some("29.99"), Some("49.99"));
    for db in TestDb::all().await {
        let core = db.core().with_communities(communities(&api));
        let ann = |text: &str| ann_at(&core, text.to_owned(), common::NOW);
        ann(&url("111")).await;
        deliver_test_post(&db, &api).await;
        let reply = ann("alert lego under £40 to deal-hunters").await;
        assert!(
            reply.contains("will be posted to “deal-hunters”"),
            "{}: {reply}",
            db.name
        );
        assert!(reply.contains("lego · under £40"), "{}: {reply}", db.name);
        ann("alert lego").await;
        // Without a community by that name, "to" is filler, not a search word.
        let reply = ann("alert flights to paris").await;
        assert!(reply.contains("flights, paris"), "{}: {reply}", db.name);
        let list = ann("list").await;
        assert!(
            list.contains("#1 🔔 lego · under £40.00 📣 posts to deal-hunters"),
            "{}: {list}",
            db.name
        );

        let store = &db.store;
        let announcer = Announcer::default();
        let queued = announcer
            .announce(store, &deal("d1", "LEGO Technic 42151"), common::NOW)
            .await
            .unwrap();
        assert_eq!(queued, 2, "{}: the community's rule and Ann's own", db.name);

        let recorder = Arc::new(Recorder::default());
        let dispatcher = dispatcher(&db, &api, recorder.clone());
        let before = api.calls().len();
        dispatcher.deliver_pending().await.unwrap();
        let posted: Vec<Call> = api.calls()[before..].to_vec();
        assert_eq!(posted.len(), 1, "{}: {posted:?}", db.name);
        assert_eq!(
            posted[0].path,
            format!("/api/v10/webhooks/111/{TOKEN}?wait=true")
        );
        assert!(posted[0].header("authorization").is_none());
        let text = common::embed_text(&posted[0].body);
        // A card: the headline linked to the deal.
        assert_eq!(
            posted[0].body["embeds"][0]["url"], "https://shop.example/d1",
            "{}",
            posted[0].body
        );
        assert!(text.contains("LEGO Technic 42151"), "{text}");
        assert!(text.contains("£29.99 (was £49.99, −40%)"), "{text}");
        assert!(
            posted[0].body["components"]
                .as_array()
                .is_none_or(Vec::is_empty),
            "no buttons: {}",
            posted[0].body
        );
        let private = recorder.0.lock().unwrap().clone();
        assert_eq!(private.len(), 1, "{}: {private:?}", db.name);
        assert!(
            private[0].contains("Deal for #2"),
            "{}: {private:?}",
            db.name
        );

        // The webhook is deleted in Discord.
        deleted.store(true, Ordering::SeqCst);
        announcer
            .announce(store, &deal("d2", "LEGO Ideas 21348"), common::NOW)
            .await
            .unwrap();
        dispatcher.deliver_pending().await.unwrap();
        dispatcher.deliver_pending().await.unwrap();
        let private = recorder.0.lock().unwrap().clone();
        assert!(
            private
                .iter()
                .any(|t| t.contains("no longer takes the webhook of “deal-hunters”")),
            "{}: {private:?}",
            db.name
        );
        let user = store
            .users()
            .find_identity(Channel::Telegram, "4242")
            .await
            .unwrap()
            .unwrap()
            .0;
        let items = store.items().of(user.id).await.unwrap();
        let Item::Rule(first) = &items[0] else {
            panic!("{items:?}")
        };
        assert_eq!(
            first.state,
            dealwatch::model::ItemState::Paused,
            "{}",
            db.name
        );
        assert!(ann("community").await.contains("stopped"), "{}", db.name);
        // Nothing more is tried through the dead webhook.
        let before = api.calls().len();
        announcer
            .announce(store, &deal("d3", "LEGO City 60337"), common::NOW)
            .await
            .unwrap();
        dispatcher.deliver_pending().await.unwrap();
        assert_eq!(api.calls().len(), before, "{}", db.name);

        // A new webhook under the old name brings the community back.
        let reply = ann(&format!("{} deal-hunters", url("444"))).await;
        assert!(
            reply.contains("already connected as “deal-hunters”"),
            "{}: {reply}",
            db.name
        );
        assert!(!ann("community").await.contains("stopped"), "{}", db.name);
        deleted.store(false, Ordering::SeqCst);
        db.finish().await;
    }
}

/// A broad rule cannot flood a channel: each community takes at most its
/// daily cap (50 unless set; here 2) and the rest of the day's matches are
/// skipped; in its quiet hours (the owner's zone) posts wait until the end.
#[tokio::test]
async fn a_community_has_a_daily_cap_and_quiet_hours() {
    use dealwatch::deals::Announcer;

    // 2026-01-15 12:00 in London (GMT), Ann's zone.
    const NOON: i64 = 1_768_478_400;
    let api = FakeApi::start(discord).await;
    let deal = |key: &str| deal(key, &format!("LEGO set {key}"), Some("10"), None);
    for db in TestDb::all().await {
        let core = db.core().with_communities(communities(&api));
        let ann = |text: &str| ann_at(&core, text.to_owned(), NOON);
        ann(&url("111")).await;
        deliver_test_post(&db, &api).await;
        let list = ann("community").await;
        assert!(list.contains("at most 50 a day"), "{}: {list}", db.name);
        let reply = ann("community cap deal-hunters 2").await;
        assert!(
            reply.contains("at most 2 deals a day"),
            "{}: {reply}",
            db.name
        );
        let reply = ann("community cap nobody 2").await;
        assert!(
            reply.contains("no community called “nobody”"),
            "{}: {reply}",
            db.name
        );
        let reply = ann("community cap deal-hunters lots").await;
        assert!(reply.contains("lots"), "{}: {reply}", db.name);
        ann("alert lego to deal-hunters").await;

        let store = &db.store;
        let announcer = Announcer::default();
        let deals: Vec<_> = (1..=4).map(|i| deal(&format!("d{i}"))).collect();
        let announced = announcer.announce_all(store, &deals, NOON).await.unwrap();
        assert_eq!(announced.alerts, 4, "{}", db.name);
        let dispatcher = dispatcher(&db, &api, Arc::default());
        let posts = || {
            api.calls()
                .into_iter()
                .filter(|c| c.method == "POST" && common::embed_text(&c.body).contains("LEGO set"))
                .count()
        };
        let before = posts();
        dispatcher.deliver_pending_at(NOON).await.unwrap();
        dispatcher.deliver_pending_at(NOON + 60).await.unwrap();
        assert_eq!(posts() - before, 2, "{}: the cap is 2", db.name);

        // The next day, quiet hours 11:00-13:00 hold a match until 13:00.
        let tomorrow = NOON + 86_400;
        let reply = ann("community quiet deal-hunters 11:00-13:00").await;
        assert!(
            reply.contains("from 11:00 to 13:00 (Europe/London)"),
            "{}: {reply}",
            db.name
        );
        assert!(
            ann("community").await.contains("quiet 11:00-13:00"),
            "{}",
            db.name
        );
        announcer
            .announce(store, &deal("d5"), tomorrow)
            .await
            .unwrap();
        let before = posts();
        dispatcher.deliver_pending_at(tomorrow).await.unwrap();
        assert_eq!(posts(), before, "{}: posted in quiet hours", db.name);
        dispatcher
            .deliver_pending_at(tomorrow + 3_600 + 60)
            .await
            .unwrap();
        assert_eq!(posts(), before + 1, "{}: held, then posted", db.name);
        let reply = ann("community quiet deal-hunters off").await;
        assert!(reply.contains("no quiet hours now"), "{}: {reply}", db.name);

        // Removing a community deletes the alerts made for it.
        ann("community remove deal-hunters").await;
        let list = ann("list").await;
        assert!(
            list.contains("not watching anything"),
            "{}: {list}",
            db.name
        );
        db.finish().await;
    }
}

/// Discord's 429 on a webhook is waited out, not counted as a failure:
/// the post is tried again after `retry_after` and goes once.
#[tokio::test]
async fn a_rate_limited_webhook_post_waits_and_goes_once() {
    use dealwatch::deals::Announcer;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const NOON: i64 = 1_768_478_400;
    let posts = Arc::new(AtomicUsize::new(0));
    let counted = posts.clone();
    let api = FakeApi::start(move |call: &Call, n| {
        if call.method == "POST" && call.raw.contains("Lego bargain") {
            // The first post of the deal is refused with Discord's 429.
            if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    json!({"message": "You are being rate limited.", "retry_after": 1.5, "global": false}),
                );
            }
        }
        discord(call, n)
    })
    .await;
    let db = TestDb::sqlite().await;
    let core = db.core().with_communities(communities(&api));
    assert!(ann_at(&core, url("111"), NOON).await.contains("Connected"));
    deliver_test_post(&db, &api).await;
    ann_at(&core, "alert lego to deal-hunters".into(), NOON).await;
    let deal = deal("d1", "Lego bargain", None, None);
    Announcer::default()
        .announce(&db.store, &deal, NOON)
        .await
        .unwrap();
    let dispatcher = dispatcher(&db, &api, Arc::default());
    dispatcher.deliver_pending_at(NOON).await.unwrap();
    assert_eq!(posts.load(Ordering::SeqCst), 1, "refused once");
    // Not due again before Discord's wait is over.
    dispatcher.deliver_pending_at(NOON).await.unwrap();
    assert_eq!(posts.load(Ordering::SeqCst), 1);
    dispatcher.deliver_pending_at(NOON + 3).await.unwrap();
    dispatcher.deliver_pending_at(NOON + 6).await.unwrap();
    assert_eq!(
        posts.load(Ordering::SeqCst),
        2,
        "posted once after the wait"
    );
    db.finish().await;
}

/// Linking two accounts moves the joining one's communities: the same
/// webhook on both is kept once, a name both use gets the id added, and
/// the moved community's rules still post there.
#[tokio::test]
async fn linking_accounts_moves_their_communities() {
    let api = FakeApi::start(discord).await;
    for db in TestDb::all().await {
        let core = db.core().with_communities(communities(&api));
        let tg = |text: String| {
            let core = core.clone();
            async move {
                common::joined(
                    &core
                        .handle(&common::from(Channel::Telegram, "42", &text), common::NOW)
                        .await
                        .unwrap(),
                )
            }
        };
        say(&core, "ann", &format!("{} deals", url("111"))).await;
        tg(format!("{} deals", url("444"))).await;
        tg("alert lego to deals".into()).await;

        let reply = say(&core, "ann", "link").await;
        let at = reply.find("“link ").unwrap_or_else(|| panic!("{reply}")) + "“link ".len();
        let code: String = reply[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let linked = tg(format!("link {code} yes")).await;
        assert!(linked.contains("Linked!"), "{}: {linked}", db.name);

        let list = say(&core, "ann", "community").await;
        assert!(
            list.contains("• deals — Discord https://discord.com/api/webhooks/111/…"),
            "{}: {list}",
            db.name
        );
        let moved = list
            .lines()
            .find(|l| l.contains("/webhooks/444/"))
            .unwrap_or_else(|| panic!("{}: {list}", db.name));
        assert!(moved.starts_with("• deals-"), "{}: {list}", db.name);
        let name = moved
            .trim_start_matches("• ")
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        let items = say(&core, "ann", "list").await;
        assert!(
            items.contains(&format!("posts to {name}")),
            "{}: {items}",
            db.name
        );
        db.finish().await;
    }
}

/// The channel keeps getting its deals when its owner stops hearing from
/// Dealwatch privately (STOP, or a blocked bot): the posts are the
/// community's, not the owner's.
#[tokio::test]
async fn posts_go_on_when_the_owner_opts_out_privately() {
    use dealwatch::deals::Announcer;
    let api = FakeApi::start(discord).await;
    for db in TestDb::all().await {
        let core = db.core().with_communities(communities(&api));
        ann_at(&core, url("111"), common::NOW).await;
        deliver_test_post(&db, &api).await;
        ann_at(&core, "alert lego to deal-hunters".into(), common::NOW).await;
        let stopped = ann_at(&core, "stop".into(), common::NOW).await;
        assert!(!stopped.is_empty(), "{}", db.name);
        Announcer::default()
            .announce(
                &db.store,
                &deal("d1", "LEGO bargain", Some("5"), None),
                common::NOW,
            )
            .await
            .unwrap();
        let owner = Arc::new(Recorder::default());
        let before = api.calls().len();
        dispatcher(&db, &api, owner.clone())
            .deliver_pending()
            .await
            .unwrap();
        let posted = &api.calls()[before..];
        assert_eq!(posted.len(), 1, "{}: {posted:?}", db.name);
        assert!(posted[0].raw.contains("LEGO bargain"), "{}", db.name);
        assert!(
            owner.0.lock().unwrap().is_empty(),
            "{}: the owner opted out",
            db.name
        );
        db.finish().await;
    }
}

/// A message that is given up for good (here: its channel has no sender)
/// is kept for the operator, but without the webhook URL it carried.
#[tokio::test]
async fn a_message_given_up_keeps_no_token() {
    let api = FakeApi::start(discord).await;
    for db in TestDb::all().await {
        let inbox = Inbox::new(
            db.store.clone(),
            db.core().with_communities(communities(&api)),
            HashMap::new(),
        );
        let mut incoming = common::from(Channel::Telegram, "4242", &url("111"));
        incoming.message_id = Some("1".into());
        assert!(inbox.accept(&InboundRecord::plain(incoming)).await.unwrap());
        inbox.process_pending().await.unwrap();
        assert_eq!(
            db.store.inbox().counts().await.unwrap(),
            vec![("failed".to_owned(), 1)],
            "{}",
            db.name
        );
        let texts = stored_texts(&db).await;
        assert!(
            texts.iter().any(|t| t.contains("[Discord webhook URL]")),
            "{}: {texts:?}",
            db.name
        );
        for text in texts {
            assert!(
                !text.contains(TOKEN),
                "{}: kept in plain text: {text}",
                db.name
            );
        }
        db.finish().await;
    }
}

/// A community can collect its deals into one post a day at a time in its
/// own time zone, and mention a Discord role in each post; the mention
/// pings that role alone, whatever a shop writes.
#[tokio::test]
async fn a_community_has_its_own_digest_time_zone_and_role_mention() {
    use dealwatch::deals::Announcer;
    // 2026-11-23 12:00 UTC is 07:00 in New York.
    const NOON: i64 = common::NOW;
    const ROLE: &str = "123456789012345678";
    let api = FakeApi::start(discord).await;
    let deal = |key: &str, title: &str| deal(key, title, Some("19.99"), Some("39.99"));
    for db in TestDb::all().await {
        let name = db.name;
        let core = db.core().with_communities(communities(&api));
        let ann = |text: &str| ann_at(&core, text.to_owned(), NOON);
        ann(&url("111")).await;
        deliver_test_post(&db, &api).await;
        ann("alert lego to deal-hunters").await;
        let reply = ann(&format!("community mention deal-hunters <@&{ROLE}>")).await;
        assert!(
            reply.contains(&format!("mention <@&{ROLE}>")),
            "{name}: {reply}"
        );
        let reply = ann("community timezone deal-hunters Mars/Olympus").await;
        assert!(reply.contains("Mars/Olympus"), "{name}: {reply}");
        let reply = ann("community timezone deal-hunters America/New_York").await;
        assert!(reply.contains("America/New_York"), "{name}: {reply}");
        let reply = ann("community digest deal-hunters daily 18:00").await;
        assert!(
            reply.contains("daily at 18:00") && reply.contains("America/New_York"),
            "{name}: {reply}"
        );
        let list = ann("community").await;
        assert!(
            list.contains("daily at 18:00") && list.contains(&format!("<@&{ROLE}>")),
            "{name}: {list}"
        );

        let store = &db.store;
        let deals = [
            deal("d1", "LEGO Technic <@everyone>"),
            deal("d2", "LEGO City"),
            deal("d3", "LEGO Ideas"),
        ];
        Announcer::default()
            .announce_all(store, &deals, NOON)
            .await
            .unwrap();
        let dispatcher = dispatcher(&db, &api, Arc::default());
        let posts = || {
            api.calls()
                .into_iter()
                .filter(|c| c.method == "POST" && c.path.contains("/webhooks/111/"))
                .collect::<Vec<_>>()
        };
        let before = posts().len();
        dispatcher.deliver_pending_at(NOON).await.unwrap();
        dispatcher.deliver_pending_at(NOON + 3600).await.unwrap();
        assert_eq!(posts().len(), before, "{name}: held for the digest");
        // 18:00 in New York is 23:00 UTC.
        let six_pm = NOON + 11 * 3600;
        dispatcher.deliver_pending_at(six_pm - 1).await.unwrap();
        assert_eq!(posts().len(), before, "{name}: not before 18:00 there");
        dispatcher.deliver_pending_at(six_pm).await.unwrap();
        dispatcher.deliver_pending_at(six_pm + 1).await.unwrap();
        let digest = posts()[before..].to_vec();
        assert_eq!(digest.len(), 1, "{name}: one post: {digest:?}");
        let text = common::embed_text(&digest[0].body);
        for title in ["LEGO Technic", "LEGO City", "LEGO Ideas"] {
            assert!(text.contains(title), "{name}: {text}");
        }
        assert!(
            !text.contains("Deals for #"),
            "{name}: no owner's numbers: {text}"
        );
        assert_eq!(digest[0].body["content"], format!("<@&{ROLE}>"), "{name}");
        let allowed = &digest[0].body["allowed_mentions"];
        assert!(
            allowed["users"].as_array().is_none_or(Vec::is_empty),
            "{name}: no user may be pinged: {allowed}"
        );
        assert_eq!(
            json!({"parse": allowed["parse"], "roles": allowed["roles"]}),
            json!({"parse": [], "roles": [ROLE]}),
            "{name}: that role alone may be pinged"
        );
        // Ann herself was not sent the digest.
        let private = api.calls().len();
        dispatcher.deliver_pending_at(six_pm + 2).await.unwrap();
        assert_eq!(api.calls().len(), private, "{name}");

        let reply = ann("community mention deal-hunters off").await;
        assert!(reply.contains("mention nobody"), "{name}: {reply}");
        db.finish().await;
    }
}

/// A community's posts wait their turn apart from their owner's own
/// alerts: a channel Discord holds back (429) delays nothing else.
#[tokio::test]
async fn a_held_back_community_does_not_hold_up_its_owners_alerts() {
    use dealwatch::deals::Announcer;
    use std::sync::atomic::{AtomicBool, Ordering};
    let busy = Arc::new(AtomicBool::new(false));
    let held = busy.clone();
    let api = FakeApi::start(move |call: &Call, n| {
        if call.method == "POST" && call.path.contains("/webhooks/111/") && held.load(Ordering::SeqCst) {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                json!({"message": "You are being rate limited.", "retry_after": 60.0, "global": false}),
            );
        }
        discord(call, n)
    })
    .await;
    for db in TestDb::all().await {
        let name = db.name;
        let core = db.core().with_communities(communities(&api));
        let ann = |text: &str| ann_at(&core, text.to_owned(), common::NOW);
        ann(&url("111")).await;
        deliver_test_post(&db, &api).await;
        ann("alert lego to deal-hunters").await;
        ann("alert lego").await;
        busy.store(true, Ordering::SeqCst);
        let recorder = Arc::new(Recorder::default());
        let dispatcher = dispatcher(&db, &api, recorder.clone());
        for i in 0..3 {
            Announcer::default()
                .announce(
                    &db.store,
                    &deal(&format!("d{i}"), &format!("LEGO {i}"), Some("10"), None),
                    common::NOW,
                )
                .await
                .unwrap();
        }
        dispatcher.deliver_pending_at(common::NOW).await.unwrap();
        let private = recorder.0.lock().unwrap().clone();
        assert_eq!(
            private.len(),
            3,
            "{name}: all of Ann's own alerts, while the channel waits: {private:?}"
        );
        busy.store(false, Ordering::SeqCst);
        db.finish().await;
    }
}

/// A plan change counts each limit's own items: the person's own alerts
/// against `rules`, each community's against `community_rules`. Moving to
/// Free pauses a community's newest alerts past its 3, and none of the
/// owner's own (3, within Free's 3); moving back resumes them.
#[tokio::test]
async fn a_plan_change_counts_own_and_community_alerts_apart() {
    use dealwatch::model::Plan;
    use dealwatch::plans::Plans;
    for db in TestDb::all().await {
        let name = db.name;
        let core = db.core();
        let ann = |text: &str| ann_at(&core, text.to_owned(), common::NOW);
        ann("start").await;
        let user = db
            .store
            .users()
            .find_identity(Channel::Telegram, "4242")
            .await
            .unwrap()
            .unwrap()
            .0;
        let plans = Plans::default();
        db.store
            .billing()
            .change_plan(
                user.id,
                Plan::Pro,
                None,
                plans.limits(Plan::Pro),
                common::NOW,
            )
            .await
            .unwrap();
        let mut unit = db.store.begin().await.unwrap();
        unit.add_destination(
            user.id,
            &dealwatch::storage::NewDestination {
                kind: dealwatch::storage::TELEGRAM_CHANNEL,
                name: "deals".into(),
                external_id: "-1001".into(),
                sealed_secret: None,
                channel_id: Some("-1001".into()),
                guild_id: None,
            },
            5,
            common::NOW,
        )
        .await
        .unwrap();
        unit.commit().await.unwrap();
        for word in ["lego", "kettle", "drill"] {
            let reply = ann(&format!("alert {word}")).await;
            assert!(reply.contains("saved"), "{name}: {reply}");
        }
        for word in ["sofa", "bike", "lamp", "desk", "tent"] {
            let reply = ann(&format!("alert {word} to deals")).await;
            assert!(reply.contains("“deals”"), "{name}: {reply}");
        }
        let change = db
            .store
            .billing()
            .change_plan(
                user.id,
                Plan::Free,
                None,
                plans.limits(Plan::Free),
                common::NOW,
            )
            .await
            .unwrap();
        assert_eq!(change.paused, [7, 8], "{name}: the community's two newest");
        let change = db
            .store
            .billing()
            .change_plan(
                user.id,
                Plan::Pro,
                None,
                plans.limits(Plan::Pro),
                common::NOW,
            )
            .await
            .unwrap();
        assert_eq!(change.resumed, [7, 8], "{name}");
        db.finish().await;
    }
}

/// A webhook post carries link buttons (asked for with `with_components`,
/// without which Discord drops them) but never a command button (there is
/// no application behind a webhook to receive the press), and no
/// `Authorization`: a webhook URL is its own credential.
#[tokio::test]
async fn a_webhook_post_keeps_link_buttons_only_and_sends_no_credentials() {
    let api = FakeApi::start(|_: &Call, n| {
        (
            StatusCode::OK,
            json!({"id": (1000 + n).to_string(), "channel_id": "900"}),
        )
    })
    .await;
    let client = DiscordClient::new(&api.base("api/v10/"), "", None).unwrap();
    let hook = dealwatch_bots::discord_webhook::WebhookUrl::parse(&format!(
        "https://discord.com/api/webhooks/111/{TOKEN}"
    ))
    .unwrap();
    let message = dealwatch_bots::Outgoing::text("LEGO Technic £29.99")
        .with_button("Pause", "pause 1")
        .with_link(
            "Open",
            dealwatch_bots::Link::Url("https://shop.example/d1".into()),
        );
    let id = client.execute_webhook(&hook, &message).await.unwrap();
    assert_eq!(id, "1001");
    let calls = api.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].path,
        format!("/api/v10/webhooks/111/{TOKEN}?wait=true&with_components=true")
    );
    assert!(calls[0].header("authorization").is_none());
    let buttons = calls[0].body["components"][0]["components"]
        .as_array()
        .unwrap();
    assert_eq!(buttons.len(), 1, "{buttons:?}");
    assert_eq!(buttons[0]["url"], "https://shop.example/d1");
    assert_eq!(buttons[0]["style"], 5, "a link button");
    // Without links there is nothing to ask for.
    client
        .execute_webhook(
            &hook,
            &dealwatch_bots::Outgoing::text("plain").with_button("Pause", "pause 1"),
        )
        .await
        .unwrap();
    assert_eq!(
        api.calls()[1].path,
        format!("/api/v10/webhooks/111/{TOKEN}?wait=true")
    );
}
