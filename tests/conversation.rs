//! The conversational core end to end over a real database: every command's
//! effect, ownership, plan limits, preferences, opt-out and bad input, on
//! SQLite and (when configured) PostgreSQL.

mod common;

use common::{from, joined, say, TestDb, NOW};
use dealwatch::conversation::CoreOptions;
use dealwatch::model::{
    Availability, Condition, Digest, ItemState, QuietHours, TimeOfDay, Weekday,
};
use dealwatch::money::{Currency, Money};
use dealwatch::storage::{CheckResult, Item, NewDeal, Observation, WatchDecision};
use dealwatch_bots::{Channel, Incoming};
use rust_decimal::Decimal;
use std::str::FromStr;

fn gbp(amount: &str) -> Money {
    Money::new(Decimal::from_str(amount).unwrap(), Currency::GBP)
}

async fn user_of(db: &TestDb, channel: Channel, sender: &str) -> dealwatch::storage::User {
    let contact = dealwatch::storage::Contact {
        channel,
        external_id: sender,
        reply_address: sender,
        display_name: None,
        private: true,
        locale: "en-GB",
        time_zone: "Europe/London",
        currency: "GBP",
    };
    db.store.users().identify(&contact, NOW).await.unwrap().0
}

async fn items(db: &TestDb, sender: &str) -> Vec<Item> {
    let user = user_of(db, Channel::Console, sender).await;
    db.store.items().of(user.id).await.unwrap()
}

#[tokio::test]
async fn watches_and_rules_share_numbers_and_can_be_managed() {
    for db in TestDb::all().await {
        let core = db.core();
        let reply = say(&core, "ann", "watch https://shop.example/p/1 below £40").await;
        assert!(reply.contains("#1"), "{}: {reply}", db.name);
        assert!(reply.contains("£40.00 or less"), "{}: {reply}", db.name);
        assert!(
            reply.contains("First check pending"),
            "{}: {reply}",
            db.name
        );

        let reply = say(&core, "ann", "alert gaming pc -mac under 800").await;
        assert!(reply.contains("Alert #2"), "{}: {reply}", db.name);
        assert!(
            reply.contains("gaming, pc · not mac · under 800"),
            "{}: {reply}",
            db.name
        );

        let reply = say(&core, "ann", "https://shop.example/p/2 drop 10% instock").await;
        assert!(reply.contains("#3"), "{}: {reply}", db.name);
        assert!(reply.contains("drops by 10%"), "{}: {reply}", db.name);
        assert!(reply.contains("back in stock"), "{}: {reply}", db.name);

        let list = say(&core, "ann", "list").await;
        assert!(
            list.contains("Your 3 watches and alerts"),
            "{}: {list}",
            db.name
        );
        assert!(
            list.contains("#1 👀 https://shop.example/p/1 — first check pending"),
            "{}: {list}",
            db.name
        );
        assert!(list.contains("#2 🔔 gaming, pc"), "{}: {list}", db.name);

        assert_eq!(say(&core, "ann", "pause 2").await, "⏸ Paused #2.");
        assert_eq!(say(&core, "ann", "pause 2").await, "#2 is already paused.");
        assert!(
            say(&core, "ann", "list")
                .await
                .contains("under 800 ⏸ paused"),
            "{}",
            db.name
        );
        assert_eq!(say(&core, "ann", "resume #2").await, "▶️ Resumed #2.");
        assert_eq!(say(&core, "ann", "resume 2").await, "#2 is already active.");
        assert_eq!(
            say(&core, "ann", "delete 1, 3").await,
            "🗑 Deleted #1.\n🗑 Deleted #3."
        );
        assert!(
            say(&core, "ann", "delete 1")
                .await
                .contains("nothing numbered #1"),
            "{}",
            db.name
        );

        // Numbers are never reused after a delete.
        let reply = say(&core, "ann", "watch https://shop.example/p/9").await;
        assert!(reply.contains("#4"), "{}: {reply}", db.name);
        let states: Vec<_> = items(&db, "ann")
            .await
            .iter()
            .map(|i| (i.no().get(), i.state()))
            .collect();
        assert_eq!(
            states,
            vec![(2, ItemState::Active), (4, ItemState::Active)],
            "{}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn the_same_product_is_one_watch_however_its_link_is_written() {
    for db in TestDb::all().await {
        let core = db.core();
        say(
            &core,
            "ann",
            "watch https://Shop.Example/p/1?utm_source=tg&fbclid=x#reviews below 40",
        )
        .await;
        let reply = say(&core, "ann", "watch https://shop.example/p/1 below £35").await;
        assert!(reply.contains("Updated #1"), "{}: {reply}", db.name);
        assert!(reply.contains("£35.00"), "{}: {reply}", db.name);
        let all = items(&db, "ann").await;
        assert_eq!(all.len(), 1, "{}", db.name);
        let Item::Watch(w) = &all[0] else {
            panic!("not a watch")
        };
        assert_eq!(w.url, "https://shop.example/p/1");
        assert_eq!(w.target.unwrap().amount, Decimal::from(35));
        assert_eq!(w.target.unwrap().currency, Some(Currency::GBP));

        // Another user watching it shares the product row.
        say(&core, "bob", "watch https://shop.example/p/1?gclid=1").await;
        let a = db
            .store
            .products()
            .product_id("https://shop.example/p/1")
            .await
            .unwrap();
        assert!(a.is_some(), "{}", db.name);
        db.finish().await;
    }
}

/// `name ID TEXT` names a watch or an alert, `list` shows the name before
/// what the item is, `name ID` takes it away; the name is kept as typed.
#[tokio::test]
async fn items_can_be_named_and_the_list_shows_their_names() {
    for db in TestDb::all().await {
        let core = db.core();
        say(&core, "ann", "watch https://shop.example/p/1 below £40").await;
        say(&core, "ann", "alert lego -duplo").await;

        let reply = say(&core, "ann", "name 2 Lego for Sam's birthday").await;
        assert!(
            reply.contains("#2 is now called “Lego for Sam's birthday”"),
            "{}: {reply}",
            db.name
        );
        let reply = say(&core, "ann", "rename #1 Desk lamp").await;
        assert!(
            reply.contains("#1 is now called “Desk lamp”"),
            "{}: {reply}",
            db.name
        );
        let list = say(&core, "ann", "list").await;
        assert!(
            list.contains("“Desk lamp” https://shop.example/p/1"),
            "{}: {list}",
            db.name
        );
        assert!(
            list.contains("“Lego for Sam's birthday” lego · not duplo"),
            "{}: {list}",
            db.name
        );

        // Renaming replaces; no text takes the name away; other items keep theirs.
        say(&core, "ann", "name 2 Lego").await;
        let reply = say(&core, "ann", "name 1").await;
        assert!(reply.contains("#1 has no name now"), "{}: {reply}", db.name);
        let labels: Vec<Option<String>> = items(&db, "ann")
            .await
            .into_iter()
            .map(|item| match item {
                Item::Watch(w) => w.label,
                Item::Rule(r) => r.label,
            })
            .collect();
        assert_eq!(labels, [None, Some("Lego".to_owned())], "{}", db.name);

        let reply = say(&core, "ann", "name 7 nothing here").await;
        assert!(
            reply.contains("nothing numbered #7"),
            "{}: {reply}",
            db.name
        );
        let reply = say(&core, "ann", &format!("name 2 {}", "x".repeat(41))).await;
        assert!(
            reply.contains("at most 40 characters"),
            "{}: {reply}",
            db.name
        );
        assert!(
            say(&core, "ann", "list").await.contains("“Lego”"),
            "{}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn nobody_can_touch_another_users_items() {
    for db in TestDb::all().await {
        let core = db.core();
        say(&core, "ann", "watch https://shop.example/p/1").await;
        say(&core, "ann", "alert lego").await;
        for cmd in [
            "pause 1",
            "resume 1",
            "delete 1",
            "delete 2",
            "history 1",
            "test 2",
            "name 1 mine now",
        ] {
            let reply = say(&core, "mallory", cmd).await;
            assert!(
                reply.contains("nothing numbered"),
                "{}: {cmd} -> {reply}",
                db.name
            );
        }
        assert!(
            say(&core, "mallory", "list")
                .await
                .contains("not watching anything"),
            "{}",
            db.name
        );
        let ann = items(&db, "ann").await;
        assert_eq!(ann.len(), 2, "{}", db.name);
        assert!(
            ann.iter().all(|i| i.state() == ItemState::Active),
            "{}",
            db.name
        );

        // The same external id on another channel is another person.
        let on_telegram = core
            .handle(&from(Channel::Telegram, "ann", "list"), NOW)
            .await
            .unwrap();
        assert!(
            joined(&on_telegram).contains("not watching anything"),
            "{}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn plan_limits_are_enforced_and_name_the_upgrade() {
    for db in TestDb::all().await {
        let core = db.core();
        for n in 1..=5 {
            let reply = say(&core, "ann", &format!("watch https://shop.example/p/{n}")).await;
            assert!(reply.contains(&format!("#{n}")), "{}: {reply}", db.name);
        }
        let reply = say(&core, "ann", "watch https://shop.example/p/6").await;
        assert!(
            reply.contains("Free plan allows 5 active watches"),
            "{}: {reply}",
            db.name
        );
        assert!(reply.contains("upgrade pro"), "{}: {reply}", db.name);
        assert_eq!(
            items(&db, "ann").await.len(),
            5,
            "{}: nothing stored past the limit",
            db.name
        );

        // Updating an existing watch is not a new one.
        assert!(say(&core, "ann", "watch https://shop.example/p/3 below 10")
            .await
            .contains("Updated #3"));

        // Paused watches do not count; resuming past the limit is refused.
        say(&core, "ann", "pause 1").await;
        assert!(
            say(&core, "ann", "watch https://shop.example/p/6")
                .await
                .contains("#6"),
            "{}",
            db.name
        );
        let reply = say(&core, "ann", "resume 1").await;
        assert!(
            reply.contains("allows 5 active watches"),
            "{}: {reply}",
            db.name
        );

        for n in 1..=3 {
            say(&core, "ann", &format!("alert thing{n}")).await;
        }
        let reply = say(&core, "ann", "alert thing4").await;
        assert!(
            reply.contains("Free plan allows 3 active alerts"),
            "{}: {reply}",
            db.name
        );

        let plan = say(&core, "ann", "plan").await;
        assert!(plan.contains("Your plan: Free"), "{}: {plan}", db.name);
        assert!(plan.contains("Watches: 5 of 5"), "{}: {plan}", db.name);
        assert!(plan.contains("Alerts: 3 of 3"), "{}: {plan}", db.name);
        assert!(plan.contains("every 6 hours"), "{}: {plan}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn the_limit_holds_when_messages_race() {
    for db in TestDb::all().await {
        let core = db.core();
        say(&core, "ann", "start").await;
        let tasks: Vec<_> = (0..12)
            .map(|n| {
                let core = core.clone();
                tokio::spawn(async move {
                    core.handle(
                        &dealwatch_bots::Incoming::console(
                            "ann",
                            format!("watch https://shop.example/race/{n}"),
                        ),
                        NOW,
                    )
                    .await
                })
            })
            .collect();
        for task in tasks {
            // A busy database may refuse some of them; none may slip past the limit.
            let _ = task.await.unwrap();
        }
        let count = items(&db, "ann").await.len();
        assert!(
            count <= 5,
            "{}: {count} watches stored past a limit of 5",
            db.name
        );
        assert!(count >= 1, "{}", db.name);

        // Alerts race the same way (limit 3), and a refused one gives its
        // number back: the numbers stay one after another.
        let tasks: Vec<_> = (0..12)
            .map(|n| {
                let core = core.clone();
                tokio::spawn(async move {
                    core.handle(
                        &dealwatch_bots::Incoming::console("ann", format!("alert racer{n}")),
                        NOW,
                    )
                    .await
                })
            })
            .collect();
        for task in tasks {
            let _ = task.await.unwrap();
        }
        let all = items(&db, "ann").await;
        let rules = all
            .iter()
            .filter(|item| matches!(item, Item::Rule(_)))
            .count();
        assert!(
            (1..=3).contains(&rules),
            "{}: {rules} alerts stored against a limit of 3",
            db.name
        );
        let mut numbers: Vec<u32> = all.iter().map(|item| item.no().get()).collect();
        numbers.sort_unstable();
        let expected: Vec<u32> = (1..=u32::try_from(numbers.len()).unwrap()).collect();
        assert_eq!(numbers, expected, "{}", db.name);
        let reply = say(&core, "ann", "alert one more").await;
        assert!(
            reply.contains("allows 3 active alerts"),
            "{}: {reply}",
            db.name
        );
        let rule = all
            .iter()
            .find(|item| matches!(item, Item::Rule(_)))
            .map(|item| item.no().get())
            .unwrap();
        say(&core, "ann", &format!("delete {rule}")).await;
        let reply = say(&core, "ann", "alert one more").await;
        let next = expected.len() + 1;
        assert!(reply.contains(&format!("#{next}")), "{}: {reply}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn preferences_are_stored_and_shown_back() {
    for db in TestDb::all().await {
        let core = db.core();
        assert_eq!(
            say(&core, "ann", "quiet 22:00-07:00").await,
            "✅ Saved. Quiet hours: 22:00–07:00 (Europe/London)."
        );
        assert_eq!(
            say(&core, "ann", "digest weekly sun 18:30").await,
            "✅ Saved. Digest: weekly on Sunday at 18:30."
        );
        assert_eq!(
            say(&core, "ann", "cap 5").await,
            "✅ Saved. Daily limit: 5 alerts a day."
        );
        assert_eq!(
            say(&core, "ann", "cap 1").await,
            "✅ Saved. Daily limit: one alert a day."
        );
        assert_eq!(
            say(&core, "ann", "timezone america/new_york").await,
            "✅ Saved. Time zone: America/New_York."
        );
        let reply = say(&core, "ann", "timezone Mars/Olympus").await;
        assert!(
            reply.contains("don't know the time zone “Mars/Olympus”"),
            "{}: {reply}",
            db.name
        );

        let user = user_of(&db, Channel::Console, "ann").await;
        let s = &user.settings;
        assert_eq!(
            s.quiet,
            Some(QuietHours {
                start: TimeOfDay::new(22, 0).unwrap(),
                end: TimeOfDay::new(7, 0).unwrap()
            })
        );
        assert_eq!(
            s.digest,
            Digest::Weekly {
                day: Weekday::Sunday,
                at: TimeOfDay::new(18, 30).unwrap()
            }
        );
        assert_eq!(s.daily_cap, Some(1));
        assert_eq!(s.time_zone, "America/New_York");

        let settings = say(&core, "ann", "settings").await;
        for expected in [
            "Quiet hours: 22:00–07:00 (America/New_York).",
            "Digest: weekly on Sunday at 18:30.",
            "Daily limit: one alert a day.",
            "Time zone: America/New_York.",
            "Language: English.",
        ] {
            assert!(settings.contains(expected), "{}: {settings}", db.name);
        }
        assert_eq!(
            say(&core, "ann", "quiet").await,
            "Quiet hours: 22:00–07:00 (America/New_York)."
        );
        say(&core, "ann", "quiet off").await;
        say(&core, "ann", "digest off").await;
        say(&core, "ann", "cap off").await;
        let user = user_of(&db, Channel::Console, "ann").await;
        assert_eq!(user.settings.quiet, None);
        assert_eq!(user.settings.digest, Digest::Off);
        assert_eq!(user.settings.daily_cap, None);
        db.finish().await;
    }
}

/// Settings said in a sentence are saved as the command would save them,
/// and the reply says what was understood; a place that is not a time
/// zone changes nothing.
#[tokio::test]
async fn settings_said_in_sentences_are_understood_and_said_back() {
    for db in TestDb::all().await {
        let core = db.core();
        assert_eq!(
            say(&core, "bea", "I'm in Berlin").await,
            "✅ Saved. Time zone: Europe/Berlin.",
            "{}",
            db.name
        );
        assert_eq!(
            say(&core, "bea", "my time zone is New York").await,
            "✅ Saved. Time zone: America/New_York.",
            "{}",
            db.name
        );
        let reply = say(&core, "bea", "I'm in Atlantis").await;
        assert!(
            reply.contains("don't know the time zone"),
            "{}: {reply}",
            db.name
        );
        assert_eq!(
            say(&core, "bea", "no messages after 11pm").await,
            "✅ Saved. Quiet hours: 23:00–08:00 (America/New_York).",
            "{}",
            db.name
        );
        assert_eq!(
            say(&core, "bea", "send me one summary every morning").await,
            "✅ Saved. Digest: daily at 08:00.",
            "{}",
            db.name
        );
        let user = user_of(&db, Channel::Console, "bea").await;
        assert_eq!(user.settings.time_zone, "America/New_York");
        assert_eq!(
            user.settings.digest,
            Digest::Daily {
                at: TimeOfDay::new(8, 0).unwrap()
            }
        );
        // Thanks get a friendly word, and nothing is made.
        let reply = say(&core, "bea", "thanks, that's great").await;
        assert!(reply.contains("welcome"), "{}: {reply}", db.name);
        assert!(items(&db, "bea").await.is_empty(), "{}", db.name);
        // Everything of one's own paused and resumed at once.
        say(&core, "bea", "alert lego").await;
        say(&core, "bea", "alert ps5").await;
        let paused = say(&core, "bea", "pause everything").await;
        let states = |items: Vec<Item>| -> Vec<ItemState> {
            items
                .iter()
                .map(|i| match i {
                    Item::Watch(w) => w.state,
                    Item::Rule(r) => r.state,
                })
                .collect()
        };
        assert_eq!(
            states(items(&db, "bea").await),
            vec![ItemState::Paused, ItemState::Paused],
            "{}: {paused}",
            db.name
        );
        say(&core, "bea", "resume all").await;
        assert_eq!(
            states(items(&db, "bea").await),
            vec![ItemState::Active, ItemState::Active],
            "{}",
            db.name
        );
        // An item named by its words: deleted when one is meant, asked
        // about (buttons, nothing deleted) when several could be.
        say(&core, "bea", "alert lego star wars").await;
        let asked = core
            .handle(&Incoming::console("bea", "remove the lego alert"), NOW)
            .await
            .unwrap();
        let buttons: Vec<&str> = asked
            .iter()
            .flat_map(|o| o.buttons.iter().map(|b| b.command.as_str()))
            .collect();
        assert_eq!(buttons, vec!["delete 1", "delete 3"], "{}", db.name);
        assert_eq!(
            items(&db, "bea").await.len(),
            3,
            "{}: nothing deleted yet",
            db.name
        );
        let reply = say(&core, "bea", "remove the ps5 alert").await;
        assert_eq!(items(&db, "bea").await.len(), 2, "{}: {reply}", db.name);
        let reply = say(&core, "bea", "remove the xbox alert").await;
        assert!(reply.contains("None of your"), "{}: {reply}", db.name);
        assert_eq!(items(&db, "bea").await.len(), 2, "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn language_changes_every_reply_and_prices_follow_the_locale() {
    for db in TestDb::all().await {
        let core = db.core();
        assert_eq!(
            say(&core, "ann", "language de").await,
            "✅ Gespeichert. Sprache: Deutsch."
        );
        let reply = say(&core, "ann", "watch https://shop.example/p/1 below £1299").await;
        assert!(
            reply.contains("wenn es 1.299,00 £ oder weniger kostet"),
            "{}: {reply}",
            db.name
        );
        let reply = say(&core, "ann", "language français").await;
        assert_eq!(reply, "✅ Enregistré. Langue : Français.");
        let reply = say(&core, "ann", "alert tv under 1299.5").await;
        assert!(reply.contains("moins de 1 299,5"), "{}: {reply}", db.name);
        let reply = say(&core, "ann", "language klingon").await;
        assert!(
            reply.contains("Disponibles : en-GB, de, fr"),
            "{}: {reply}",
            db.name
        );

        // A new Telegram user whose app is in German is greeted in German.
        let mut hello = from(Channel::Telegram, "4242", "/start");
        hello.language_hint = Some("de".into());
        let reply = joined(&core.handle(&hello, NOW).await.unwrap());
        assert!(reply.starts_with("👋 Hallo!"), "{}: {reply}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn history_and_test_read_prices_and_deals() {
    for db in TestDb::all().await {
        let core = db.core();
        say(&core, "ann", "watch https://shop.example/p/1").await;
        say(&core, "ann", "alert gaming pc -mac under 800").await;
        assert!(say(&core, "ann", "history 1")
            .await
            .contains("first check is still pending"));

        let product = db
            .store
            .products()
            .product_id("https://shop.example/p/1")
            .await
            .unwrap()
            .unwrap();
        let seen = |price: &str| CheckResult::Observed {
            observation: Observation {
                title: Some("Acme Kettle 1.7L".into()),
                image_url: None,
                price: Some(gbp(price)),
                availability: Availability::InStock,
            },
            validators: Default::default(),
            method: "json-ld",
        };
        // Record checks the way the scheduler does: lease, then apply.
        let record = |result: CheckResult, at: i64| {
            let store = db.store.clone();
            async move {
                let due = store
                    .products()
                    .claim_due("test", NOW + 10, 60, 10)
                    .await
                    .unwrap();
                assert_eq!(due.iter().map(|d| d.id).collect::<Vec<_>>(), vec![product]);
                let applied = store
                    .products()
                    .apply_check(product, "test", &result, NOW, at, |_, _, _, _| {
                        WatchDecision::default()
                    })
                    .await
                    .unwrap();
                assert!(applied.applied);
                applied.price_changed
            }
        };
        assert!(record(seen("49.99"), NOW - 3 * 86_400).await);
        assert!(!record(seen("49.99"), NOW - 2 * 86_400).await);
        assert!(record(seen("39.99"), NOW - 86_400).await);
        assert!(record(seen("44.50"), NOW).await);

        let history = say(&core, "ann", "history 1").await;
        assert!(
            history.contains("Acme Kettle 1.7L"),
            "{}: {history}",
            db.name
        );
        assert!(
            history.contains("Now £44.50 · lowest £39.99 · highest £49.99"),
            "{}: {history}",
            db.name
        );
        assert!(
            history.contains("3 prices recorded since 20 Nov 2026"),
            "{}: {history}",
            db.name
        );
        // The console shows no pictures: the summary comes without a chart.
        let replies = core
            .handle(&dealwatch_bots::Incoming::console("ann", "history 1"), NOW)
            .await
            .unwrap();
        assert!(replies.iter().all(|r| r.image.is_none()));
        assert!(say(&core, "ann", "list")
            .await
            .contains("Acme Kettle 1.7L — £44.50"));
        assert!(say(&core, "ann", "history 2").await.contains("is an alert"));
        assert!(say(&core, "ann", "test 1").await.contains("is a watch"));

        let deal = |key: &str, title: &str, price: &str| NewDeal {
            source: "test".into(),
            dedupe_key: key.into(),
            title: title.into(),
            url: format!("https://deals.example/{key}"),
            price: Some(gbp(price)),
            was_price: None,
            merchant: None,
            category: None,
            condition: Some(Condition::New),
            score: None,
            fingerprint: None,
            lowest: None,
            image: None,
        };
        assert!(db
            .store
            .products()
            .insert_deal(&deal("a", "Gaming PC Ryzen 5", "699"), NOW)
            .await
            .unwrap());
        assert!(!db
            .store
            .products()
            .insert_deal(&deal("a", "Gaming PC Ryzen 5", "699"), NOW)
            .await
            .unwrap());
        db.store
            .products()
            .insert_deal(&deal("b", "Mac Pro gaming", "700"), NOW)
            .await
            .unwrap();
        db.store
            .products()
            .insert_deal(&deal("c", "Gaming PCs bundle", "799"), NOW)
            .await
            .unwrap();
        db.store
            .products()
            .insert_deal(&deal("d", "Gaming PC RTX", "999"), NOW)
            .await
            .unwrap();
        db.store
            .products()
            .insert_deal(&deal("e", "Old gaming PC", "100"), NOW - 30 * 86_400)
            .await
            .unwrap();

        let test = say(&core, "ann", "test 2").await;
        assert!(
            test.starts_with("2 deals from the last 7 days match #2"),
            "{}: {test}",
            db.name
        );
        assert!(
            test.contains("Gaming PC Ryzen 5 — £699.00"),
            "{}: {test}",
            db.name
        );
        assert!(test.contains("Gaming PCs bundle"), "{}: {test}", db.name);
        assert!(!test.contains("Mac Pro"), "{}: {test}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn stop_silences_sms_until_start() {
    for db in TestDb::all().await {
        let core = db.core();
        let sms = |text: &str| from(Channel::Sms, "+447700900123", text);
        core.handle(&sms("alert lego"), NOW).await.unwrap();
        let reply = joined(&core.handle(&sms("STOP"), NOW).await.unwrap());
        assert!(reply.contains("unsubscribed"), "{}: {reply}", db.name);
        assert!(
            core.handle(&sms("list"), NOW).await.unwrap().is_empty(),
            "{}",
            db.name
        );
        let help = joined(&core.handle(&sms("HELP"), NOW).await.unwrap());
        assert!(
            help.contains("Here's what I understand"),
            "{}: HELP must be answered",
            db.name
        );
        let reply = joined(&core.handle(&sms("START"), NOW).await.unwrap());
        assert!(reply.contains("Welcome back"), "{}: {reply}", db.name);
        let list = joined(&core.handle(&sms("list"), NOW).await.unwrap());
        assert!(list.contains("lego"), "{}: {list}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn links_into_our_network_are_refused_unless_allowed() {
    for db in TestDb::all().await {
        let core = db.core();
        for url in [
            "http://127.0.0.1:8080/admin",
            "http://localhost/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://10.0.0.5/",
        ] {
            let reply = say(&core, "ann", &format!("watch {url}")).await;
            assert!(
                reply.starts_with("I can't watch that link"),
                "{}: {url} -> {reply}",
                db.name
            );
        }
        assert!(items(&db, "ann").await.is_empty(), "{}", db.name);

        let open = db.core_with(CoreOptions {
            allow_private_hosts: true,
            ..CoreOptions::default()
        });
        assert!(say(&open, "ann", "watch http://127.0.0.1:8080/p/1")
            .await
            .contains("#1"));
        db.finish().await;
    }
}

#[tokio::test]
async fn bad_input_gets_a_clear_reply_and_stores_nothing() {
    for db in TestDb::all().await {
        let core = db.core();
        let long = "a".repeat(100_000);
        let cases: Vec<(&str, &str)> = vec![
            ("", "empty"),
            ("   \t  ", "empty"),
            (&long, "too long (100000 characters)"),
            ("\u{1b}]0;pwned\u{7}", "I don't know the command"),
            ("مرحبا بالعالم", "I don't know the command"),
            ("שלום", "I don't know the command"),
            ("🎉🎉 🎉", "I don't know the command"),
            ("'; DROP TABLE users; --", "I don't know the command"),
            (
                "watch https://shop.example/p/1'; DROP TABLE products; --",
                "I didn't understand",
            ),
            ("delete 1 OR 1=1", "isn't a number from your list"),
            ("alert 💻 under £-5", "couldn't read"),
            (
                "watch javascript:alert(document.cookie)",
                "only watch web pages",
            ),
            ("quiet 99:99-00:00", "couldn't read “99:99” as a time"),
            ("pause 4294967296", "isn't a number from your list"),
            // A typo of a command that removes is asked about, not done.
            ("dlete 1", "Did you mean: delete"),
        ];
        for (input, expected) in cases {
            let reply = say(&core, "ann", input).await;
            assert!(
                reply.contains(expected),
                "{}: {input:.40?} -> {reply}",
                db.name
            );
        }
        assert!(items(&db, "ann").await.is_empty(), "{}", db.name);
        // The account still works after all that.
        assert!(
            say(&core, "ann", "alert ok").await.contains("#1"),
            "{}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn help_explains_each_command_and_upgrades_are_honest() {
    for db in TestDb::all().await {
        let core = db.core();
        assert!(say(&core, "ann", "start")
            .await
            .starts_with("👋 Hi! I'm Dealwatch."));
        for topic in dealwatch::command::names() {
            let reply = say(&core, "ann", &format!("help {topic}")).await;
            assert!(
                !reply.starts_with("There's no command"),
                "{}: help {topic} -> {reply}",
                db.name
            );
        }
        assert!(say(&core, "ann", "help rm").await.starts_with("delete ID"));
        assert!(say(&core, "ann", "help frobnicate")
            .await
            .contains("no command called “frobnicate”"));
        assert!(say(&core, "ann", "upgrade pro")
            .await
            .contains("payments are not set up"));
        assert!(say(&core, "ann", "billing")
            .await
            .contains("payments are not set up"));
        db.finish().await;
    }
}

#[tokio::test]
async fn metrics_count_messages_replies_and_errors() {
    let db = TestDb::sqlite().await;
    let core = db.core();
    say(&core, "ann", "help").await;
    say(&core, "ann", "list").await;
    db.store.close().await;
    let msg = dealwatch_bots::Incoming::console("ann", "list");
    assert!(
        core.handle(&msg, NOW).await.is_err(),
        "a closed database must fail"
    );
    assert!(core.sorry(&msg).text.contains("went wrong on our side"));
    let text = core.metrics().render();
    assert!(
        text.contains("dealwatch_messages_in_total{channel=\"console\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("dealwatch_replies_out_total{channel=\"console\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("dealwatch_errors_total{kind=\"database\"} 1"),
        "{text}"
    );
}

/// The code in a `link` reply: the word after "link " inside the quotes.
fn code_in(reply: &str) -> String {
    let start = reply.find("“link ").expect("a link command in the reply") + "“link ".len();
    reply[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect()
}

#[tokio::test]
async fn linking_joins_two_channels_into_one_account() {
    for db in TestDb::all().await {
        let core = db.core();
        let tg = |text: &str| from(Channel::Telegram, "42", text);
        say(&core, "ann", "watch https://shop.example/p/1").await;
        say(&core, "ann", "alert lego").await;
        for text in [
            "watch https://shop.example/p/1",
            "watch https://shop.example/p/2",
            "alert ps5",
        ] {
            core.handle(&tg(text), NOW).await.unwrap();
        }

        let reply = say(&core, "ann", "link").await;
        let code = code_in(&reply);
        assert_eq!(code.len(), 8, "{}: {reply}", db.name);
        assert!(reply.contains("Within 10 minutes"), "{}: {reply}", db.name);

        // First what would happen, then, confirmed, the join.
        let asked = joined(
            &core
                .handle(&tg(&format!("link {}", code.to_lowercase())), NOW)
                .await
                .unwrap(),
        );
        assert!(
            asked.contains("on the console") && asked.contains("2 watches and one alert"),
            "{}: {asked}",
            db.name
        );
        let linked = joined(
            &core
                .handle(&tg(&format!("link {code} yes")), NOW)
                .await
                .unwrap(),
        );
        assert!(linked.contains("Linked!"), "{}: {linked}", db.name);

        // One account now: the console's items keep their numbers, the
        // Telegram ones follow, and the duplicate watch on p/1 is gone.
        for list in [
            joined(&core.handle(&tg("list"), NOW).await.unwrap()),
            say(&core, "ann", "list").await,
        ] {
            assert!(
                list.contains("Your 4 watches and alerts"),
                "{}: {list}",
                db.name
            );
            assert!(
                list.contains("#1 👀 https://shop.example/p/1"),
                "{}: {list}",
                db.name
            );
            assert!(list.contains("#2 🔔 lego"), "{}: {list}", db.name);
            assert!(
                list.contains("#3 👀 https://shop.example/p/2"),
                "{}: {list}",
                db.name
            );
            assert!(list.contains("#4 🔔 ps5"), "{}: {list}", db.name);
        }
        assert!(
            say(&core, "ann", "alert switch").await.contains("#5"),
            "{}",
            db.name
        );

        // Single use.
        let again = joined(
            &core
                .handle(
                    &from(Channel::Sms, "+447700900001", &format!("link {code} yes")),
                    NOW,
                )
                .await
                .unwrap(),
        );
        assert!(
            again.contains("unknown or has expired"),
            "{}: {again}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn link_codes_expire_and_are_rate_limited() {
    for db in TestDb::all().await {
        let core = db.core();
        let code = code_in(&say(&core, "ann", "link").await);
        let late = core
            .handle(
                &from(Channel::Telegram, "42", &format!("link {code} yes")),
                NOW + 601,
            )
            .await
            .unwrap();
        assert!(
            joined(&late).contains("unknown or has expired"),
            "{}",
            db.name
        );

        // Using your own code from the same account says so and spends nothing.
        let code = code_in(&say(&core, "ann", "link").await);
        assert!(
            say(&core, "ann", &format!("link {code}"))
                .await
                .contains("already linked"),
            "{}",
            db.name
        );
        assert!(say(&core, "ann", "link NOTACODE")
            .await
            .contains("unknown or has expired"));

        for _ in 0..3 {
            assert!(
                say(&core, "ann", "link").await.contains("Your link code"),
                "{}",
                db.name
            );
        }
        assert!(
            say(&core, "ann", "link")
                .await
                .contains("too many link codes"),
            "{}",
            db.name
        );
        db.finish().await;
    }
}

/// Make `sender` on `channel` a paying Pro customer, as Stripe's events would.
async fn make_pro(db: &TestDb, channel: Channel, sender: &str, customer: &str, sub: &str) {
    let user = user_of(db, channel, sender).await;
    assert!(db
        .store
        .billing()
        .link_customer(user.id, customer, NOW)
        .await
        .unwrap());
    let state = dealwatch::storage::SubscriptionState {
        id: sub.to_owned(),
        user: user.id,
        customer_id: Some(customer.to_owned()),
        plan: dealwatch::model::Plan::Pro,
        status: "active".to_owned(),
        current_period_end: Some(NOW + 30 * 86_400),
        cancel_at_period_end: false,
        state_at: NOW,
        state_rank: 1,
    };
    assert!(db
        .store
        .billing()
        .save_subscription(&state, false, NOW)
        .await
        .unwrap());
    let limits = dealwatch::plans::Plans::default().limits(dealwatch::model::Plan::Pro);
    db.store
        .billing()
        .change_plan(
            user.id,
            dealwatch::model::Plan::Pro,
            Some(NOW + 30 * 86_400),
            limits,
            NOW,
        )
        .await
        .unwrap();
}

/// An attacker hands out a link to their own code (t.me/bot?start=CODE):
/// the victim's tap shows what joining would do, names the attacker's
/// account, and moves nothing.
#[tokio::test]
async fn a_tapped_link_code_joins_nothing_without_confirmation() {
    for db in TestDb::all().await {
        let core = db.core();
        let victim = |text: &str| from(Channel::Telegram, "42", text);
        core.handle(&victim("watch https://shop.example/p/secret"), NOW)
            .await
            .unwrap();
        let attacker = |text: &str| from(Channel::WhatsApp, "447700900666", text);
        let code = code_in(&joined(&core.handle(&attacker("link"), NOW).await.unwrap()));

        let tapped = joined(
            &core
                .handle(&victim(&format!("/start {code}")), NOW)
                .await
                .unwrap(),
        );
        assert!(
            tapped.contains("on WhatsApp") && tapped.contains("Only join if that account is yours"),
            "{}: {tapped}",
            db.name
        );
        let theirs = joined(&core.handle(&attacker("list"), NOW).await.unwrap());
        assert!(!theirs.contains("secret"), "{}: {theirs}", db.name);
        let mine = joined(&core.handle(&victim("list"), NOW).await.unwrap());
        assert!(mine.contains("p/secret"), "{}: {mine}", db.name);
        db.finish().await;
    }
}

/// Linking keeps what someone pays for: the subscription and the Stripe
/// customer move with them, the better plan survives, and a Stripe event
/// about the subscription still finds its owner.
#[tokio::test]
async fn linking_moves_the_subscription_and_keeps_the_better_plan() {
    for db in TestDb::all().await {
        let core = db.core();
        make_pro(&db, Channel::Telegram, "42", "cus_ann", "sub_ann").await;
        let code = code_in(&say(&core, "ann", "link").await);
        let done = joined(
            &core
                .handle(
                    &from(Channel::Telegram, "42", &format!("link {code} yes")),
                    NOW,
                )
                .await
                .unwrap(),
        );
        assert!(done.contains("Linked!"), "{}: {done}", db.name);

        let survivor = user_of(&db, Channel::Console, "ann").await;
        assert_eq!(survivor.id, user_of(&db, Channel::Telegram, "42").await.id);
        assert_eq!(survivor.plan, dealwatch::model::Plan::Pro, "{}", db.name);
        assert_eq!(
            db.store
                .billing()
                .stripe_customer(survivor.id)
                .await
                .unwrap()
                .as_deref(),
            Some("cus_ann"),
            "{}: billing can still open the portal",
            db.name
        );
        assert_eq!(
            db.store
                .billing()
                .subscription_user("sub_ann")
                .await
                .unwrap(),
            Some(survivor.id),
            "{}: the next subscription event finds its owner",
            db.name
        );
        assert_eq!(
            db.store
                .billing()
                .user_by_customer("cus_ann")
                .await
                .unwrap(),
            Some(survivor.id),
            "{}",
            db.name
        );
        assert!(
            say(&core, "ann", "plan").await.contains("Pro"),
            "{}",
            db.name
        );
        db.finish().await;
    }
}

/// Two paying accounts are not joined: one would go on paying for nothing.
#[tokio::test]
async fn two_paying_accounts_are_not_joined() {
    for db in TestDb::all().await {
        let core = db.core();
        make_pro(&db, Channel::Telegram, "42", "cus_tg", "sub_tg").await;
        make_pro(&db, Channel::Console, "ann", "cus_console", "sub_console").await;
        core.handle(&from(Channel::Telegram, "42", "alert lego"), NOW)
            .await
            .unwrap();
        let code = code_in(&say(&core, "ann", "link").await);
        let refused = joined(
            &core
                .handle(
                    &from(Channel::Telegram, "42", &format!("link {code} yes")),
                    NOW,
                )
                .await
                .unwrap(),
        );
        assert!(
            refused.contains("Both accounts pay"),
            "{}: {refused}",
            db.name
        );
        let tg = user_of(&db, Channel::Telegram, "42").await;
        let console = user_of(&db, Channel::Console, "ann").await;
        assert_ne!(tg.id, console.id, "{}: not joined", db.name);
        assert_eq!(
            db.store
                .billing()
                .subscription_user("sub_tg")
                .await
                .unwrap(),
            Some(tg.id)
        );
        assert_eq!(
            db.store
                .billing()
                .stripe_customer(tg.id)
                .await
                .unwrap()
                .as_deref(),
            Some("cus_tg")
        );
        assert!(
            !say(&core, "ann", "list").await.contains("lego"),
            "{}",
            db.name
        );
        db.finish().await;
    }
}

/// A sentence that is probably a deal search but does not say so ("ps5
/// under 400") is offered as a button, in the person's language: nothing
/// is made until it is pressed, and pressing it makes exactly that alert.
#[tokio::test]
async fn an_unclear_search_is_offered_as_a_button_and_made_only_when_pressed() {
    for db in TestDb::all().await {
        let core = db.core();
        let replies = core
            .handle(
                &dealwatch_bots::Incoming::console("cy", "ps5 under £400"),
                common::NOW,
            )
            .await
            .unwrap();
        assert_eq!(replies.len(), 1, "{}", db.name);
        let offer = &replies[0];
        assert!(
            offer.text.contains("Did you mean") && offer.text.contains("alert ps5 under 400GBP"),
            "{}: {}",
            db.name,
            offer.text
        );
        assert_eq!(offer.buttons.len(), 1, "{}", db.name);
        assert_eq!(offer.buttons[0].command, "alert ps5 under 400GBP");
        let list = say(&core, "cy", "list").await;
        assert!(
            !list.contains("ps5"),
            "{}: nothing made before the press: {list}",
            db.name
        );
        let made = say(&core, "cy", &offer.buttons[0].command).await;
        assert!(
            made.contains("ps5") && made.contains("£400.00"),
            "{}: {made}",
            db.name
        );
        let list = say(&core, "cy", "list").await;
        assert_eq!(list.matches("ps5").count(), 1, "{}: {list}", db.name);
        // In German, the offer is in German.
        say(&core, "dora", "language de").await;
        let offer = say(&core, "dora", "günstige kopfhörer").await;
        assert!(
            offer.contains("Meinst du das?") && offer.contains("alert kopfhörer"),
            "{}: {offer}",
            db.name
        );
        db.finish().await;
    }
}
