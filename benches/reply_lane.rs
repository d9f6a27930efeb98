//! The first reply to a new person while 10,000 alerts are queued: the
//! dispatcher sends both, at Telegram's pace (28 a second in all), against
//! a fake Bot API on loopback, SQLite. Run with the reply lane (alerts
//! paced at nine tenths of the platform rate, replies ahead of them) and
//! without it (one lane, the naive way). Bounded: stops once the reply
//! has arrived, or after 120 s.
//!
//! Run: `cargo bench --bench reply_lane`.

mod common;

use dealwatch::storage::{unix_now, Contact};
use dealwatch::watching::Notice;
use dealwatch_bots::telegram::TelegramClient;
use dealwatch_bots::Channel;
use std::time::{Duration, Instant};

const ALERTS: usize = 10_000;
const USERS: usize = 1_000;

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for lane in [true, false] {
        let (after, alerts_before) = rt.block_on(run(lane));
        println!(
            "reply lane {}: {ALERTS} alerts queued for {USERS} people; a new person's reply arrived {:.3} s after their command ({alerts_before} alerts sent by then)",
            if lane { "on " } else { "off" },
            after.as_secs_f64()
        );
    }
}

async fn run(lane: bool) -> (Duration, usize) {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(&dir).await;
    let (api, seen) = common::fake_bot_api().await;

    // 10,000 notices for 1,000 people, all due now.
    let now = unix_now();
    for u in 0..USERS {
        let id = (10_000 + u).to_string();
        let contact = Contact {
            channel: Channel::Telegram,
            external_id: &id,
            reply_address: &id,
            display_name: None,
            private: true,
            locale: "en-GB",
            time_zone: "UTC",
            currency: "GBP",
        };
        let (user, _) = store.users().identify(&contact, now).await.unwrap();
        for n in 0..ALERTS / USERS {
            let notice = Notice::PaymentFailed { portal_url: None };
            store
                .outbox()
                .enqueue_notice(user.id, &format!("bench:{u}:{n}"), &notice, now)
                .await
                .unwrap();
        }
    }

    let pace = if lane {
        TelegramClient::pace()
    } else {
        TelegramClient::pace().without_reply_lane()
    };
    let (inbox, dispatcher) = common::pipeline(&store, &api, pace);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut until = stopped.clone();
    let delivering = tokio::spawn(dispatcher.run(async move {
        let _ = until.wait_for(|s| *s).await;
    }));
    let mut until = stopped.clone();
    let acting = tokio::spawn(inbox.clone().run(async move {
        let _ = until.wait_for(|s| *s).await;
    }));

    // The alerts are flowing; a new person writes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let asked = Instant::now();
    inbox
        .accept(&common::message("new-person-1", "99999", "help"))
        .await
        .unwrap();
    let answered = loop {
        let found = seen
            .lock()
            .unwrap()
            .iter()
            .find(|(chat, _)| chat == "99999")
            .map(|(_, at)| *at);
        if let Some(at) = found {
            break at;
        }
        if asked.elapsed() > Duration::from_secs(120) {
            break asked + Duration::from_secs(120);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let alerts_before = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(chat, at)| chat != "99999" && *at <= answered)
        .count();
    let _ = stop.send(true);
    let _ = delivering.await;
    let _ = acting.await;
    (answered - asked, alerts_before)
}
