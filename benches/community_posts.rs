//! Community posts against the platforms' published limits: N deals
//! (default 500) matched at once by two community rules of one owner, one
//! posting through a Discord webhook URL, one into a Telegram channel by
//! the bot, delivered by the real dispatcher with its real pace. The fake
//! Discord on loopback enforces the limits Discord documents for webhooks
//! (about 5 requests per 2 seconds per webhook, 30 messages a minute into
//! one channel); the fake Telegram those of the Bot API FAQ (30 a second
//! in all, 20 a minute into one group or channel); both answer 429 with
//! the wait past them. The bench counts deliveries and 429s and reports
//! each rate as a fraction of the binding limit.
//!
//! Run: `cargo bench --bench community_posts` (optionally `-- N`). At 30
//! and 20 a minute, 500 posts take about 17.5 and 26 minutes by design.

#[path = "../tests/common/enforcing.rs"]
mod enforcing;

mod common;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Json;
use dealwatch::conversation::Communities;
use dealwatch::deals::Announcer;
use dealwatch::dispatch::Dispatcher;
use dealwatch::l10n::L10n;
use dealwatch::money::{Currency, Money};
use dealwatch::plans::Plans;
use dealwatch::seal::Sealer;
use dealwatch::storage::{Contact, NewDeal, NewDestination, DISCORD_WEBHOOK, TELEGRAM_CHANNEL};
use dealwatch_bots::discord::DiscordClient;
use dealwatch_bots::{Channel, Sender};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const TOKEN: &str = "bench-token_0123456789";
/// Discord's webhook limits: 5 requests per 2 s per webhook; 30 messages
/// per 60 s into a channel.
const PER_WEBHOOK: (usize, Duration) = (5, Duration::from_secs(2));
const PER_CHANNEL: (usize, Duration) = (30, Duration::from_secs(60));

#[derive(Default)]
struct Discord {
    /// When each accepted post arrived.
    posts: Vec<Instant>,
    refused: usize,
}

type Shared = Arc<Mutex<Discord>>;

/// Accept a post if both windows have room; else 429 with how long to wait.
async fn execute(
    State(discord): State<Shared>,
    Path((_id, _token)): Path<(String, String)>,
) -> (StatusCode, Json<Value>) {
    let now = Instant::now();
    let mut d = discord.lock().unwrap();
    let mut wait = Duration::ZERO;
    for (limit, window) in [PER_WEBHOOK, PER_CHANNEL] {
        let recent: VecDeque<&Instant> = d
            .posts
            .iter()
            .filter(|t| now.duration_since(**t) < window)
            .collect();
        if recent.len() >= limit {
            let oldest = recent[recent.len() - limit];
            wait = wait.max(window - now.duration_since(*oldest));
        }
    }
    if !wait.is_zero() {
        d.refused += 1;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            Json(
                json!({"message": "You are being rate limited.", "retry_after": wait.as_secs_f64(), "global": false}),
            ),
        );
    }
    d.posts.push(now);
    let n = d.posts.len();
    (
        StatusCode::OK,
        Json(json!({"id": n.to_string(), "channel_id": "900"})),
    )
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(500);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(run(n));
}

async fn run(n: usize) {
    let discord: Shared = Arc::default();
    let router = axum::Router::new()
        .route("/api/v10/webhooks/{id}/{token}", post(execute))
        .with_state(discord.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = url::Url::parse(&format!(
        "http://{}/api/v10/",
        listener.local_addr().unwrap()
    ))
    .unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let dir = tempfile::tempdir().unwrap();
    let store = common::store(&dir).await;
    let now = dealwatch::storage::unix_now();
    let contact = Contact {
        channel: Channel::Telegram,
        external_id: "1",
        reply_address: "1",
        display_name: None,
        private: true,
        locale: "en-GB",
        time_zone: "UTC",
        currency: "GBP",
    };
    let (user, _) = store.users().identify(&contact, now).await.unwrap();
    let sealer = Sealer::with_key(KEY).unwrap();
    let mut unit = store.begin().await.unwrap();
    unit.add_destination(
        user.id,
        &NewDestination {
            kind: DISCORD_WEBHOOK,
            name: "deals".into(),
            external_id: "111".into(),
            sealed_secret: sealer.seal(TOKEN.as_bytes()),
            channel_id: Some("900".into()),
            guild_id: None,
        },
        2,
        now,
    )
    .await
    .unwrap();
    unit.add_destination(
        user.id,
        &NewDestination {
            kind: TELEGRAM_CHANNEL,
            name: "channel".into(),
            external_id: CHANNEL.into(),
            sealed_secret: None,
            channel_id: Some(CHANNEL.into()),
            guild_id: None,
        },
        2,
        now,
    )
    .await
    .unwrap();
    unit.commit().await.unwrap();
    let destination = store
        .destinations()
        .named(user.id, "deals")
        .await
        .unwrap()
        .unwrap();
    let channel = store
        .destinations()
        .named(user.id, "channel")
        .await
        .unwrap()
        .unwrap();
    let mut unit = store.begin().await.unwrap();
    let uncapped = dealwatch::storage::Controls {
        cap: Some(1000),
        ..Default::default()
    };
    for name in ["deals", "channel"] {
        unit.destination_controls(user.id, name, &uncapped)
            .await
            .unwrap();
    }
    let spec = dealwatch::command::parse("alert lego")
        .map(|cmd| match cmd {
            dealwatch::command::Command::Alert(spec) => spec,
            other => panic!("{other:?}"),
        })
        .unwrap();
    let outcome = unit
        .add_rule(user.id, &spec, Some(destination.id), 10, now)
        .await
        .unwrap();
    let dealwatch::storage::AddOutcome::Created(_) = outcome else {
        panic!("{outcome:?}")
    };
    unit.add_rule(user.id, &spec, Some(channel.id), 10, now)
        .await
        .unwrap();
    unit.commit().await.unwrap();

    let deals: Vec<NewDeal> = (0..n)
        .map(|i| NewDeal {
            source: "bench".into(),
            dedupe_key: format!("d{i}"),
            title: format!("LEGO set {i}"),
            url: format!("https://shop.example/{i}"),
            price: Some(Money::new("19.99".parse().unwrap(), Currency::GBP)),
            was_price: Some(Money::new("29.99".parse().unwrap(), Currency::GBP)),
            merchant: Some("Bricks".into()),
            category: None,
            condition: None,
            score: None,
            fingerprint: None,
            lowest: None,
            image: None,
        })
        .collect();
    let announced = Announcer::default()
        .announce_all(&store, &deals, now)
        .await
        .unwrap();
    assert_eq!(announced.alerts, 2 * n, "every deal matched, twice");
    let telegram = enforcing::Enforcing::telegram().await;
    let bot = dealwatch_bots::telegram::TelegramClient::new(&telegram.url, "123:abc").unwrap();

    let communities = Communities {
        discord: Arc::new(DiscordClient::new(&api, "", None).unwrap()),
        sealer: Arc::new(sealer),
    };
    let dispatcher = Dispatcher::new(
        store.clone(),
        Arc::new(L10n::load().unwrap()),
        Plans::default(),
        HashMap::from([(Channel::Telegram, Arc::new(bot) as Arc<dyn Sender>)]),
    )
    .with_communities(communities);
    let started = Instant::now();
    tokio::spawn(dispatcher.run(std::future::pending()));
    let deadline = started + Duration::from_secs(60 * 60);
    loop {
        let posted = discord.lock().unwrap().posts.len();
        if (posted >= n && telegram.accepted() >= n) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let d = discord.lock().unwrap();
    let took = match (d.posts.first(), d.posts.last()) {
        (Some(first), Some(last)) => last.duration_since(*first),
        _ => Duration::ZERO,
    };
    let per_minute = if took.is_zero() {
        0.0
    } else {
        (d.posts.len() - 1) as f64 / took.as_secs_f64() * 60.0
    };
    println!("community posts: {n} deals matched by two rules of one owner: one Discord webhook, one Telegram channel");
    println!(
        "  Discord webhook: delivered {} in {:.1} s after the first ({:.1} s from the start); {} answered 429",
        d.posts.len(),
        took.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        d.refused
    );
    println!(
        "  {per_minute:.1} posts a minute: {:.0} % of Discord's 30 a minute into a channel",
        per_minute / 30.0 * 100.0
    );
    let took = telegram.span();
    let per_minute = if took.is_zero() {
        0.0
    } else {
        (telegram.accepted() - 1) as f64 / took.as_secs_f64() * 60.0
    };
    println!(
        "  Telegram channel: delivered {} in {:.1} s after the first; {} answered 429",
        telegram.accepted(),
        took.as_secs_f64(),
        telegram.refused()
    );
    println!(
        "  {per_minute:.1} posts a minute: {:.0} % of Telegram's 20 a minute into a group or channel",
        per_minute / 20.0 * 100.0
    );
    assert_eq!(d.posts.len(), n, "every deal posted");
    assert_eq!(telegram.accepted(), n, "every deal posted");
}

/// The channel's chat id (channels' ids are negative, as groups').
const CHANNEL: &str = "-1001234567890";
