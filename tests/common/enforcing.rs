//! Fake Telegram, WhatsApp and Discord APIs that enforce the platforms'
//! published rate limits over sliding windows, answering 429 (with each
//! platform's own error body) to any message over them, and counting what
//! they accepted per recipient. Shared by tests/burst.rs and
//! benches/burst.rs.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Telegram,
    WhatsApp,
    Discord,
}

/// Which messages a limit counts.
#[derive(Debug, Clone, Copy)]
enum Scope {
    All,
    /// Per recipient that is not a group.
    Person,
    /// Per group chat (Telegram chat ids below zero).
    Group,
}

#[derive(Default)]
struct Ledger {
    all: VecDeque<Instant>,
    per: HashMap<String, VecDeque<Instant>>,
    accepted: HashMap<String, usize>,
    refused: usize,
    first: Option<Instant>,
    last: Option<Instant>,
    nonces: HashMap<String, usize>,
    /// Each accepted message's text, for tests that count deliveries.
    texts: Vec<String>,
}

#[derive(Clone)]
pub struct Enforcing {
    platform: Platform,
    limits: Arc<Vec<(Scope, usize, Duration)>>,
    ledger: Arc<Mutex<Ledger>>,
    pub url: url::Url,
}

impl Enforcing {
    /// Telegram: 30 messages in any second in all; per chat 2 in any
    /// second and 3 in any two (about one a second, short bursts allowed);
    /// 20 a minute per group.
    pub async fn telegram() -> Enforcing {
        Self::start(
            Platform::Telegram,
            vec![
                (Scope::All, 30, Duration::from_secs(1)),
                (Scope::Person, 2, Duration::from_secs(1)),
                (Scope::Person, 3, Duration::from_secs(2)),
                (Scope::Group, 20, Duration::from_secs(60)),
            ],
        )
        .await
    }

    /// WhatsApp Cloud API default tier: 80 messages in any second.
    pub async fn whatsapp() -> Enforcing {
        Self::start(
            Platform::WhatsApp,
            vec![(Scope::All, 80, Duration::from_secs(1))],
        )
        .await
    }

    /// Discord: 50 bot requests in any second.
    pub async fn discord() -> Enforcing {
        Self::start(
            Platform::Discord,
            vec![(Scope::All, 50, Duration::from_secs(1))],
        )
        .await
    }

    async fn start(platform: Platform, limits: Vec<(Scope, usize, Duration)>) -> Enforcing {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = url::Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let fake = Enforcing {
            platform,
            limits: Arc::new(limits),
            ledger: Arc::default(),
            url,
        };
        let router = Router::new().fallback(handle).with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        fake
    }

    /// Messages accepted.
    pub fn accepted(&self) -> usize {
        self.ledger.lock().unwrap().accepted.values().sum()
    }

    /// Messages accepted, per recipient.
    pub fn per_recipient(&self) -> HashMap<String, usize> {
        self.ledger.lock().unwrap().accepted.clone()
    }

    /// The text of every accepted message, in order.
    pub fn texts(&self) -> Vec<String> {
        self.ledger.lock().unwrap().texts.clone()
    }

    /// 429s answered.
    pub fn refused(&self) -> usize {
        self.ledger.lock().unwrap().refused
    }

    /// From the first accepted message to the last.
    pub fn span(&self) -> Duration {
        let ledger = self.ledger.lock().unwrap();
        match (ledger.first, ledger.last) {
            (Some(a), Some(b)) => b - a,
            _ => Duration::ZERO,
        }
    }
}

/// Within the limits? Records the arrival if so.
fn admit(
    limits: &[(Scope, usize, Duration)],
    ledger: &mut Ledger,
    recipient: &str,
    now: Instant,
) -> bool {
    let group = recipient.starts_with('-');
    let longest = limits.iter().map(|l| l.2).max().unwrap_or_default();
    let trim = |q: &mut VecDeque<Instant>| {
        while q.front().is_some_and(|t| now.duration_since(*t) >= longest) {
            q.pop_front();
        }
    };
    trim(&mut ledger.all);
    let mine = ledger.per.entry(recipient.to_owned()).or_default();
    trim(mine);
    let in_window = |q: &VecDeque<Instant>, window: Duration| {
        q.iter()
            .filter(|t| now.duration_since(**t) < window)
            .count()
    };
    for (scope, max, window) in limits {
        let queue = match scope {
            Scope::All => &ledger.all,
            Scope::Person if !group => &ledger.per[recipient],
            Scope::Group if group => &ledger.per[recipient],
            _ => continue,
        };
        if in_window(queue, *window) + 1 > *max {
            return false;
        }
    }
    ledger.all.push_back(now);
    if let Some(q) = ledger.per.get_mut(recipient) {
        q.push_back(now);
    }
    true
}

async fn handle(State(fake): State<Enforcing>, uri: Uri, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let path = uri.path().to_owned();
    // Calls that are not messages (command menus, registration) are
    // answered and not counted.
    let message = match fake.platform {
        // Bot API method names are case-insensitive (teloxide sends
        // `SendMessage`).
        Platform::Telegram => path.to_ascii_lowercase().ends_with("/sendmessage"),
        Platform::WhatsApp => path.ends_with("/messages"),
        Platform::Discord => path.ends_with("/messages") || path.ends_with("/users/@me/channels"),
    };
    if !message {
        let answer = match fake.platform {
            Platform::Telegram => json!({ "ok": true, "result": true }),
            _ => json!([]),
        };
        return (StatusCode::OK, axum::Json(answer)).into_response();
    }
    // Opening a DM is a bot request too, but not a message.
    if fake.platform == Platform::Discord && path.ends_with("/users/@me/channels") {
        let user = body["recipient_id"].as_str().unwrap_or_default();
        let mut ledger = fake.ledger.lock().unwrap();
        if !admit(&fake.limits, &mut ledger, "dm-open", Instant::now()) {
            ledger.refused += 1;
            return refuse(fake.platform);
        }
        return (
            StatusCode::OK,
            axum::Json(json!({ "id": format!("9{user}") })),
        )
            .into_response();
    }
    let recipient = match fake.platform {
        // Telegram takes `chat_id` as an integer or a string.
        Platform::Telegram => match &body["chat_id"] {
            Value::String(chat) => chat.clone(),
            other => other.to_string(),
        },
        Platform::WhatsApp => body["to"].as_str().unwrap_or_default().to_owned(),
        Platform::Discord => path
            .trim_end_matches("/messages")
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    let recipient_id = recipient.clone();
    let now = Instant::now();
    // Discord's enforce_nonce: a nonce seen before returns the message it
    // made, and makes none.
    let nonce = body["nonce"].as_str().map(str::to_owned);
    if let Some(nonce) = &nonce {
        if let Some(id) = fake.ledger.lock().unwrap().nonces.get(nonce) {
            return (StatusCode::OK, axum::Json(json!({ "id": id.to_string() }))).into_response();
        }
    }
    let n = {
        let mut ledger = fake.ledger.lock().unwrap();
        if !admit(&fake.limits, &mut ledger, &recipient, now) {
            ledger.refused += 1;
            return refuse(fake.platform);
        }
        *ledger.accepted.entry(recipient).or_default() += 1;
        let text = match fake.platform {
            Platform::Telegram => body["text"].as_str().map(shown_html),
            Platform::WhatsApp => body["text"]["body"].as_str().map(str::to_owned),
            Platform::Discord => Some(embed_text(&body)),
        };
        ledger.texts.push(text.unwrap_or_default());
        ledger.first.get_or_insert(now);
        ledger.last = Some(now);
        let n = ledger.accepted.values().sum::<usize>();
        if let Some(nonce) = nonce {
            ledger.nonces.insert(nonce, n);
        }
        n
    };
    let answer = match fake.platform {
        Platform::Telegram => {
            // The Message made, as teloxide reads it.
            let chat = match recipient_id.parse::<i64>() {
                Ok(id) if id < 0 => json!({ "id": id, "type": "supergroup", "title": "G" }),
                Ok(id) => json!({ "id": id, "type": "private", "first_name": "P" }),
                Err(_) => json!({ "id": -100, "type": "channel", "title": "C" }),
            };
            json!({ "ok": true, "result": { "message_id": n, "date": 1_700_000_000, "chat": chat } })
        }
        Platform::WhatsApp => json!({ "messages": [{ "id": format!("wamid.{n}") }] }),
        Platform::Discord => json!({ "id": n.to_string() }),
    };
    (StatusCode::OK, axum::Json(answer)).into_response()
}

fn refuse(platform: Platform) -> Response {
    let body = match platform {
        Platform::Telegram => json!({
            "ok": false, "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": { "retry_after": 1 }
        }),
        Platform::WhatsApp => json!({
            "error": { "code": 130429, "message": "Rate limit hit" }
        }),
        Platform::Discord => json!({
            "message": "You are being rate limited.", "retry_after": 1.0, "global": true
        }),
    };
    (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response()
}

/// The three enforcing fakes and real clients for them, paced as `serve`
/// paces them.
pub struct Platforms {
    pub telegram: Enforcing,
    pub whatsapp: Enforcing,
    pub discord: Enforcing,
}

impl Platforms {
    pub async fn start() -> Platforms {
        Platforms {
            telegram: Enforcing::telegram().await,
            whatsapp: Enforcing::whatsapp().await,
            discord: Enforcing::discord().await,
        }
    }

    pub fn senders(&self) -> HashMap<dealwatch_bots::Channel, Arc<dyn dealwatch_bots::Sender>> {
        self.clients(true)
    }

    /// Clients that send as fast as they can (the naive way).
    pub fn unpaced_senders(
        &self,
    ) -> HashMap<dealwatch_bots::Channel, Arc<dyn dealwatch_bots::Sender>> {
        self.clients(false)
    }

    fn clients(
        &self,
        paced: bool,
    ) -> HashMap<dealwatch_bots::Channel, Arc<dyn dealwatch_bots::Sender>> {
        use dealwatch_bots::pace::Pace;
        use dealwatch_bots::{discord, telegram, whatsapp, Channel, Sender};
        let mut tg = telegram::TelegramClient::new(&self.telegram.url, "123:abc").unwrap();
        let template = whatsapp::Template {
            name: "deal_alert".into(),
            language: "en_GB".into(),
        };
        let mut wa =
            whatsapp::WhatsAppClient::new(&self.whatsapp.base(), "1555", "token", template)
                .unwrap();
        let mut dc = discord::DiscordClient::new(&self.discord.base(), "77", Some("bot")).unwrap();
        if !paced {
            tg = tg.with_pace(Pace::unlimited());
            wa = wa.with_pace(Pace::unlimited());
            dc = dc.with_pace(Pace::unlimited());
        }
        HashMap::from([
            (Channel::Telegram, Arc::new(tg) as Arc<dyn Sender>),
            (Channel::WhatsApp, Arc::new(wa) as Arc<dyn Sender>),
            (Channel::Discord, Arc::new(dc) as Arc<dyn Sender>),
        ])
    }

    pub fn accepted(&self) -> usize {
        self.telegram.accepted() + self.whatsapp.accepted() + self.discord.accepted()
    }

    pub fn refused(&self) -> usize {
        self.telegram.refused() + self.whatsapp.refused() + self.discord.refused()
    }
}

impl Enforcing {
    fn base(&self) -> url::Url {
        self.url.join("api/").unwrap()
    }
}

/// Make `users` people on `channel` (ids `prefix0`, `prefix1`, …) and queue
/// `per_user` deal alerts for each; returns how many were queued.
pub async fn queue_burst(
    store: &dealwatch::storage::Store,
    channel: dealwatch_bots::Channel,
    prefix: &str,
    users: usize,
    per_user: usize,
) -> usize {
    use dealwatch::watching::{Amount, Notice};
    let now = dealwatch::storage::unix_now();
    let mut queued = 0;
    for u in 0..users {
        let id = format!("{prefix}{u}");
        let address = match channel {
            dealwatch_bots::Channel::Discord => format!("@{id}"),
            _ => id.clone(),
        };
        let contact = dealwatch::storage::Contact {
            channel,
            external_id: &id,
            reply_address: &address,
            display_name: None,
            private: true,
            locale: "en-GB",
            time_zone: "UTC",
            currency: "GBP",
        };
        let (user, _) = store.users().identify(&contact, now).await.unwrap();
        for i in 0..per_user {
            let notice = Notice::DealMatch {
                rule_no: 1,
                title: format!("Deal {i} for {id}"),
                url: format!("https://shop.example/{id}/{i}"),
                price: Some(Amount {
                    amount: "9.99".into(),
                    currency: "GBP".into(),
                }),
                was_price: None,
                merchant: None,
                lowest: None,
                image: None,
                post_to: None,
                community: None,
                via: None,
            };
            let key = format!("burst:{channel}:{id}:{i}");
            if store
                .outbox()
                .enqueue_notice(user.id, &key, &notice, now)
                .await
                .unwrap()
            {
                queued += 1;
            }
        }
    }
    queued
}

/// What a Discord message shows of its first embed: the title (a deal
/// card's headline, linked) and the description under it.
pub fn embed_text(body: &Value) -> String {
    let embed = &body["embeds"][0];
    [&embed["title"], &embed["description"]]
        .iter()
        .filter_map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a Telegram message in HTML shows: its text without the markup.
pub fn shown_html(html: &str) -> String {
    let mut shown = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => shown.push(c),
            _ => {}
        }
    }
    shown
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}
