//! One chatty person cannot delay everyone, and shutdown is prompt under
//! any backlog: the inbound worker takes one message per person at a time
//! and serves people side by side, at Telegram's real per-chat pace.

mod common;

use axum::http::StatusCode;
use common::fake_api::{telegram, Call, FakeApi};
use common::TestDb;
use dealwatch::dispatch::Dispatcher;
use dealwatch::inbound::{Inbox, DRAIN};
use dealwatch::plans::Plans;
use dealwatch_bots::telegram::TelegramClient;
use dealwatch_bots::{Channel, InboundRecord, Incoming, Sender};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "1:fair";

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
        event: None,
    })
}

async fn fake_telegram() -> FakeApi {
    FakeApi::start(|call: &Call, n| (StatusCode::OK, telegram::sent(call, n))).await
}

fn replies_to(api: &FakeApi, chat: &str) -> Vec<String> {
    api.to("POST", &format!("/bot{TOKEN}/sendMessage"))
        .into_iter()
        .filter(|c| c.body["chat_id"] == chat)
        .map(|c| c.body["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Wait until `count` inbound messages are processed (at most 30 s).
async fn until_acted(db: &TestDb, count: i64) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        let counts = db.store.inbox().counts().await.unwrap();
        if counts
            .iter()
            .any(|(state, n)| state == "processed" && *n == count)
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// Wait until `done` holds, checking every 20 ms, for at most `limit`.
async fn until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

#[tokio::test]
async fn another_persons_reply_does_not_wait_behind_a_backlog_and_shutdown_gives_work_back() {
    for db in TestDb::all().await {
        let name = db.name;
        let api = fake_telegram().await;
        // Telegram's real pacing: about one message a second per chat.
        let client = TelegramClient::new(&api.url, TOKEN).unwrap();
        let senders = HashMap::from([(Channel::Telegram, Arc::new(client) as Arc<dyn Sender>)]);
        // As in `serve`: the inbox acts, the dispatcher delivers replies.
        let dispatcher = Dispatcher::new(
            db.store.clone(),
            Arc::new(dealwatch::l10n::L10n::load().unwrap()),
            Plans::default(),
            senders.clone(),
        );
        let inbox =
            Arc::new(Inbox::new(db.store.clone(), db.core(), senders).waking(dispatcher.waker()));
        // Ann sends 300 commands; then Bob one.
        for i in 0..300 {
            inbox
                .accept(&message(i, "100", &format!("quiet 22:{:02}-07:00", i % 60)))
                .await
                .unwrap();
        }
        inbox.accept(&message(1000, "200", "list")).await.unwrap();

        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut until_stop = stopped.clone();
        let worker = tokio::spawn(inbox.clone().run(async move {
            let _ = until_stop.wait_for(|s| *s).await;
        }));
        let mut until_stop = stopped.clone();
        let delivering = tokio::spawn(dispatcher.run(async move {
            let _ = until_stop.wait_for(|s| *s).await;
        }));
        assert!(
            until(Duration::from_secs(30), || !replies_to(&api, "200")
                .is_empty())
            .await,
            "{name}: Bob was answered"
        );
        let ann = replies_to(&api, "100");
        assert!(
            ann.len() < 30,
            "{name}: Bob did not wait for Ann's 300 ({} of hers first)",
            ann.len()
        );
        // Ann's own replies keep her order.
        let expected: Vec<String> = (0..ann.len())
            .map(|i| format!("22:{:02}", i % 60))
            .collect();
        for (reply, time) in ann.iter().zip(&expected) {
            assert!(reply.contains(time.as_str()), "{name}: {reply} vs {time}");
        }

        // Acting does not wait for sending: all of Ann's commands are acted
        // on long before her replies (paced) are out.
        let acted = until_acted(&db, 301).await;
        assert!(
            acted,
            "{name}: every command acted on while replies trickle out"
        );

        // SIGTERM with hundreds of replies queued: both stop within their
        // drain and give back what they held.
        stop.send(true).unwrap();
        for task in [worker, delivering] {
            tokio::time::timeout(DRAIN + Duration::from_secs(5), task)
                .await
                .expect("stops within its drain")
                .unwrap();
        }
        let counts = db.store.outbox().counts().await.unwrap();
        let waiting: i64 = counts
            .iter()
            .filter(|(kind, state, _)| kind == "reply" && state != "sent")
            .map(|(_, _, n)| n)
            .sum();
        assert!(waiting > 200, "{name}: most replies wait: {counts:?}");
        let now = dealwatch::storage::unix_now();
        assert_eq!(
            db.store.outbox().claimed("reply", now).await.unwrap(),
            0,
            "{name}: nothing left claimed"
        );
        // A restart takes up at once where this left.
        let restarted = Inbox::new(
            db.store.clone(),
            db.core(),
            HashMap::from([(
                Channel::Telegram,
                Arc::new(
                    TelegramClient::new(&api.url, TOKEN)
                        .unwrap()
                        .with_pace(dealwatch_bots::pace::Pace::unlimited()),
                ) as Arc<dyn Sender>,
            )]),
        );
        assert_eq!(restarted.process_pending().await.unwrap(), 0, "{name}");
        // Each of Ann's answered; one cut off mid-request may go twice
        // (Telegram has no idempotency key), never more.
        let ann = replies_to(&api, "100");
        assert!((300..=301).contains(&ann.len()), "{name}: {}", ann.len());
        db.finish().await;
    }
}
