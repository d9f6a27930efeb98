//! A command is acted on exactly once, whatever fails around it.
//!
//! The core's changes, the message's replies and its `processed` mark
//! commit together. Here storing the replies fails after the core has
//! decided and written its changes (a trigger refuses the reply row, as a
//! full disk or a lost connection would), on SQLite and PostgreSQL: the
//! changes must be gone with it, and the retry acts once. Before the
//! decide/apply split the alert was kept, and the retry added a second.

mod common;

use common::Recorder;

use common::TestDb;
use dealwatch::inbound::Inbox;
use dealwatch::storage::{Backend, Item};
use dealwatch_bots::{Channel, InboundRecord, Sender};
use sqlx::Connection;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Make every insert of a reply into the outbox fail (`refuse`), or stop.
async fn replies_fail(db: &TestDb, refuse: bool) {
    let statements: &[&str] = match (db.store.backend(), refuse) {
        (Backend::Sqlite, true) => &["CREATE TRIGGER no_replies BEFORE INSERT ON outbox \
             WHEN NEW.kind = 'reply' BEGIN SELECT RAISE(ABORT, 'disk full'); END"],
        (Backend::Sqlite, false) => &["DROP TRIGGER no_replies"],
        (Backend::Postgres, true) => &[
            "CREATE FUNCTION no_replies() RETURNS trigger AS $$ BEGIN \
             IF NEW.kind = 'reply' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$ \
             LANGUAGE plpgsql",
            "CREATE TRIGGER no_replies BEFORE INSERT ON outbox \
             FOR EACH ROW EXECUTE FUNCTION no_replies()",
        ],
        (Backend::Postgres, false) => &["DROP TRIGGER no_replies ON outbox"],
    };
    for sql in statements {
        match db.store.backend() {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
                sqlx::query(*sql).execute(&mut conn).await.unwrap();
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::query(*sql).execute(&mut conn).await.unwrap();
            }
        }
    }
}

fn message(id: &str, text: &str) -> InboundRecord {
    let mut incoming = common::from(Channel::Telegram, "4242", text);
    incoming.message_id = Some(id.to_owned());
    InboundRecord::plain(incoming)
}

#[tokio::test]
async fn a_failure_after_acting_keeps_nothing_and_the_retry_acts_once() {
    for db in TestDb::all().await {
        let recorder = Arc::new(Recorder::default());
        let sender: Arc<dyn Sender> = recorder.clone();
        let inbox = Inbox::new(
            db.store.clone(),
            db.core(),
            HashMap::from([(Channel::Telegram, sender)]),
        );
        // Someone known, with one alert already.
        assert!(inbox.accept(&message("1", "alert lego")).await.unwrap());
        inbox.process_pending().await.unwrap();
        let (user, _) = db
            .store
            .users()
            .find_identity(Channel::Telegram, "4242")
            .await
            .unwrap()
            .unwrap();

        replies_fail(&db, true).await;
        for (id, text) in [
            ("2", "alert gaming pc -mac under 800"),
            ("3", "quiet 22:00-07:00"),
        ] {
            assert!(inbox.accept(&message(id, text)).await.unwrap());
        }
        inbox.process_pending().await.unwrap();
        let items = db.store.items().of(user.id).await.unwrap();
        assert_eq!(items.len(), 1, "{}: the failed alert was kept", db.name);
        let settings = db.store.users().user(user.id).await.unwrap().settings;
        assert_eq!(settings.quiet, None, "{}: quiet hours were kept", db.name);
        assert_eq!(
            recorder.0.lock().unwrap().len(),
            1,
            "{}: only the first alert was answered",
            db.name
        );

        // The fault clears; the retry (after its backoff) acts once.
        replies_fail(&db, false).await;
        tokio::time::sleep(Duration::from_millis(2100)).await;
        inbox.process_pending().await.unwrap();
        let items = db.store.items().of(user.id).await.unwrap();
        let rules: Vec<_> = items
            .iter()
            .filter_map(|item| match item {
                Item::Rule(rule) => Some(rule.spec.words.join(" ")),
                Item::Watch(_) => None,
            })
            .collect();
        assert_eq!(rules, ["lego", "gaming pc"], "{}", db.name);
        let settings = db.store.users().user(user.id).await.unwrap().settings;
        assert!(
            settings.quiet.is_some(),
            "{}: quiet hours not saved",
            db.name
        );
        let sent = recorder.0.lock().unwrap().clone();
        assert_eq!(sent.len(), 3, "{}: {sent:?}", db.name);
        assert!(sent[1].contains("#2"), "{}: {sent:?}", db.name);
        assert_eq!(
            db.store.inbox().counts().await.unwrap(),
            vec![("processed".to_owned(), 3)],
            "{}",
            db.name
        );
        db.finish().await;
    }
}

/// Who wrote is recorded when the unit commits, all senders in one
/// statement: a person who wrote twice in one unit (privately, then in a
/// group) keeps the private chat as their reply address and the later
/// time; a unit dropped without committing records nobody.
#[tokio::test]
async fn a_unit_records_its_senders_at_commit_or_not_at_all() {
    for db in TestDb::all().await {
        let sender: Arc<dyn Sender> = Arc::new(Recorder::default());
        let inbox = Inbox::new(
            db.store.clone(),
            db.core(),
            HashMap::from([(Channel::Telegram, sender)]),
        );
        for (id, who) in [("1", "4242"), ("2", "4343")] {
            let mut record = message(id, "help");
            record.incoming.sender_id = who.to_owned();
            record.incoming.reply_to = who.to_owned();
            assert!(inbox.accept(&record).await.unwrap());
        }
        inbox.process_pending().await.unwrap();
        let find = |who: &'static str| {
            let store = db.store.clone();
            async move {
                store
                    .users()
                    .find_identity(Channel::Telegram, who)
                    .await
                    .unwrap()
                    .unwrap()
                    .1
            }
        };
        let (a, b) = (find("4242").await, find("4343").await);

        // Dropped: nothing recorded.
        let mut unit = db.store.begin().await.unwrap();
        unit.touch_identity(a.id, "-100777", None, false, 5_000_000_000);
        drop(unit);
        assert_eq!(find("4242").await, a, "{}", db.name);

        let mut unit = db.store.begin().await.unwrap();
        unit.touch_identity(a.id, "chat-a2", Some("Ann"), true, 5_000_000_000);
        unit.touch_identity(b.id, "-100777", None, false, 5_000_000_001);
        unit.touch_identity(a.id, "-100777", None, false, 5_000_000_002);
        unit.commit().await.unwrap();
        let (a2, b2) = (find("4242").await, find("4343").await);
        assert_eq!(a2.reply_address, "chat-a2", "{}", db.name);
        assert!(a2.private_chat, "{}", db.name);
        assert_eq!(a2.last_inbound_at, Some(5_000_000_002), "{}", db.name);
        // A group message never moves where someone is answered.
        assert_eq!(b2.reply_address, b.reply_address, "{}", db.name);
        assert_eq!(b2.last_inbound_at, Some(5_000_000_001), "{}", db.name);

        db.finish().await;
    }
}

/// Webhooks arriving together are each stored exactly once: a provider
/// that delivers the same message several times at once, or again later,
/// gets one new row and "seen before" for the rest; on SQLite and
/// PostgreSQL.
#[tokio::test]
async fn messages_stored_together_are_each_new_exactly_once() {
    for db in TestDb::all().await {
        let recorder: Arc<dyn Sender> = Arc::new(Recorder::default());
        let inbox = Arc::new(Inbox::new(
            db.store.clone(),
            db.core(),
            HashMap::from([(Channel::Telegram, recorder)]),
        ));
        // 60 messages, each sent three times, all at once.
        let tasks: Vec<_> = (0..180)
            .map(|n| {
                let inbox = inbox.clone();
                tokio::spawn(async move {
                    let id = format!("m{}", n % 60);
                    let new = inbox.accept(&message(&id, "help")).await.unwrap();
                    (id, new)
                })
            })
            .collect();
        let mut new: HashMap<String, usize> = HashMap::new();
        for task in tasks {
            let (id, was_new) = task.await.unwrap();
            *new.entry(id).or_default() += usize::from(was_new);
        }
        assert_eq!(new.len(), 60, "{}", db.name);
        assert!(
            new.values().all(|&n| n == 1),
            "{}: each message new exactly once: {new:?}",
            db.name
        );
        // A later redelivery is seen before; a new message is new.
        assert!(!inbox.accept(&message("m7", "help")).await.unwrap());
        assert!(inbox.accept(&message("m60", "help")).await.unwrap());
        let stored = db.store.inbox().counts().await.unwrap();
        assert_eq!(stored, vec![("accepted".to_owned(), 61)], "{}", db.name);
        db.finish().await;
    }
}
