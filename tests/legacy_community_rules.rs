//! Migration 0016 on data made before it: a rule that posted into a
//! Discord channel by the bot (`rules.post_address`) becomes a rule of a
//! `discord_channel` destination of its owner for that channel, so every
//! community post goes one way. The migration's statements are run again
//! on both databases over rows written the old way, and a post queued
//! the old way is delivered through the destination.

mod common;

use common::{Recorder, TestDb};
use dealwatch::storage::{Backend, DISCORD_CHANNEL};
use dealwatch_bots::Channel;
use dealwatch_bots::Sender;
use sqlx::Connection;
use std::collections::HashMap;
use std::sync::Arc;

/// The data statements of 0016 (its index exists already).
fn conversion(dialect: &str) -> Vec<String> {
    let path = format!(
        "{}/migrations/{dialect}/0016_chat_destinations.sql",
        env!("CARGO_MANIFEST_DIR")
    );
    let sql = std::fs::read_to_string(path).unwrap();
    let code: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    code.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.starts_with("CREATE INDEX"))
        .map(str::to_owned)
        .collect()
}

async fn run(db: &TestDb, statements: &[String]) {
    match db.store.backend() {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            for s in statements {
                sqlx::query(sqlx::AssertSqlSafe(s.clone()))
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            for s in statements {
                sqlx::query(sqlx::AssertSqlSafe(s.clone()))
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
    }
}

#[tokio::test]
async fn rules_that_posted_into_a_discord_channel_move_to_its_destination() {
    for db in TestDb::all().await {
        let name = db.name;
        let core = db.core();
        for text in ["alert lego", "alert ps5", "alert kettle"] {
            core.handle(&common::from(Channel::Discord, "42", text), common::NOW)
                .await
                .unwrap();
        }
        // Rules #1 and #2 posted into channel 900 the old way; #3 is Ann's own.
        let dialect = match db.store.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        run(
            &db,
            &["UPDATE rules SET channel = 'discord', post_address = '900', destination_id = NULL \
               WHERE item_no IN (1, 2)"
                .to_owned()],
        )
        .await;
        run(&db, &conversion(dialect)).await;

        let d = db
            .store
            .destinations()
            .chat(DISCORD_CHANNEL, "900")
            .await
            .unwrap()
            .expect("a destination for channel 900");
        let ann = db
            .store
            .users()
            .find_identity(Channel::Discord, "42")
            .await
            .unwrap()
            .unwrap()
            .0;
        assert_eq!(d.owner, ann.id, "{name}");
        assert_eq!(d.name, "channel-900", "{name}");
        let moved: Vec<u32> = db
            .store
            .destinations()
            .rules(d.id)
            .await
            .unwrap()
            .iter()
            .map(|r| r.no.get())
            .collect();
        assert_eq!(moved, [1, 2], "{name}");
        let list = common::joined(
            &core
                .handle(&common::from(Channel::Discord, "42", "list"), common::NOW)
                .await
                .unwrap(),
        );
        assert!(list.contains("posts to channel-900"), "{name}: {list}");
        // A post queued the old way (its notice names the channel) goes
        // to the channel's community, through the one path.
        let legacy = dealwatch::watching::Notice::DealMatch {
            rule_no: 1,
            title: "LEGO Technic".into(),
            url: "https://shop.example/lego".into(),
            price: None,
            was_price: None,
            merchant: None,
            lowest: None,
            image: None,
            post_to: Some((Channel::Discord, "900".into())),
            community: None,
            via: None,
        };
        db.store
            .outbox()
            .enqueue_notice(ann.id, "legacy:1", &legacy, common::NOW)
            .await
            .unwrap();
        let posts = Arc::new(Recorder::default());
        let dispatcher = dealwatch::dispatch::Dispatcher::new(
            db.store.clone(),
            Arc::new(dealwatch::l10n::L10n::load().unwrap()),
            dealwatch::plans::Plans::default(),
            HashMap::from([(Channel::Discord, posts.clone() as Arc<dyn Sender>)]),
        );
        dispatcher.deliver_pending_at(common::NOW).await.unwrap();
        let sent = posts.sent();
        assert_eq!(sent.len(), 1, "{name}: {sent:?}");
        assert_eq!(sent[0].0, "900", "{name}");
        assert!(sent[0].1.contains("LEGO Technic"), "{name}");
        // Run again: nothing left to move, nothing made twice.
        run(&db, &conversion(dialect)).await;
        assert_eq!(
            db.store.destinations().of(ann.id).await.unwrap().len(),
            1,
            "{name}"
        );
        db.finish().await;
    }
}
