//! Discord end to end: signed interactions in, deferred responses out, the
//! reply through the interaction token and alerts through the bot token at
//! a fake Discord API on loopback.

mod common;

use axum::http::StatusCode;
use common::fake_api::{Call, FakeApi};
use common::TestDb;
use dealwatch::inbound::Inbox;
use dealwatch_bots::discord::DiscordClient;
use dealwatch_bots::{Channel, Sender};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

const APP_ID: &str = "1100";
const BOT_TOKEN: &str = "bot-token-x";
const DM_CHANNEL: &str = "7001";

struct App {
    /// What the service asked of Discord as it started.
    started: Vec<Call>,
    db: TestDb,
    api: FakeApi,
    inbox: Arc<Inbox>,
    client: Arc<DiscordClient>,
    key: SigningKey,
    base: String,
    http: reqwest::Client,
    /// The service as `serve` wires it, its workers stepped by the test.
    _service: dealwatch::startup::Stepped,
}

/// Discord's answers: a DM channel, created messages, and "Unknown
/// Webhook" for the token named `expired`.
fn discord(call: &Call, n: usize) -> (StatusCode, Value) {
    if call.path.contains("/expired/") {
        return (
            StatusCode::NOT_FOUND,
            json!({"message": "Unknown Webhook", "code": 10015}),
        );
    }
    match (call.method.as_str(), call.path.as_str()) {
        // A channel the bot was removed from.
        ("POST", "/api/v10/channels/901/messages") => (
            StatusCode::FORBIDDEN,
            json!({"message": "Missing Access", "code": 50001}),
        ),
        ("POST", "/api/v10/users/@me/channels") => (
            StatusCode::OK,
            json!({"id": DM_CHANNEL, "type": 1, "recipients": [{"id": call.body["recipient_id"]}]}),
        ),
        ("PUT", p) if p.ends_with("/commands") => (
            StatusCode::OK,
            common::fake_api::discord::commands_saved(&call.body),
        ),
        _ => (StatusCode::OK, json!({"id": format!("m{n}")})),
    }
}

async fn start() -> App {
    let db = TestDb::sqlite().await;
    let api = FakeApi::start(discord).await;
    let client =
        Arc::new(DiscordClient::new(&api.base("api/v10"), APP_ID, Some(BOT_TOKEN)).unwrap());
    let key = SigningKey::from_bytes(&[5; 32]);
    let public = hex::encode(key.verifying_key().to_bytes());
    let api_url = api.base("api/v10");
    let mut config = common::config(
        &db,
        &[
            "--discord-public-key",
            &public,
            "--discord-application-id",
            APP_ID,
            "--discord-api-url",
            api_url.as_str(),
        ],
    );
    config.discord.discord_bot_token = common::secret(BOT_TOKEN);
    let service = common::spawn_stepped(config).await;
    // The service registers its slash commands as it starts.
    let started = api
        .take_when(|calls| calls.iter().any(|c| c.method == "PUT"))
        .await;
    App {
        started,
        db,
        api,
        inbox: service.inbox.clone(),
        client,
        key,
        base: format!("http://{}", service.address),
        http: reqwest::Client::new(),
        _service: service,
    }
}

fn now() -> i64 {
    dealwatch::storage::unix_now()
}

/// A slash command from user 42 in our DM, or in guild channel 900 with
/// the given member permissions.
fn command(
    id: &str,
    token: &str,
    name: &str,
    options: Value,
    guild_permissions: Option<&str>,
) -> Value {
    let mut body = json!({
        "id": id, "application_id": APP_ID, "type": 2, "token": token, "version": 1, "locale": "en-GB",
        "data": {"id": "c", "name": name, "type": 1, "options": options},
    });
    match guild_permissions {
        Some(permissions) => {
            body["guild_id"] = json!("77");
            body["channel_id"] = json!("900");
            // View Channel, Send Messages and Embed Links for us.
            body["app_permissions"] = json!("19456");
            body["member"] = json!({"user": {"id": "42", "username": "ann", "global_name": "Ann"}, "permissions": permissions});
        }
        None => {
            body["channel_id"] = json!("555");
            body["user"] = json!({"id": "42", "username": "ann", "global_name": "Ann"});
        }
    }
    body
}

impl App {
    /// Post a body signed the way Discord signs: Ed25519 over timestamp + body.
    async fn post_signed(&self, key: &SigningKey, timestamp: i64, body: &[u8]) -> (u16, Value) {
        let timestamp = timestamp.to_string();
        let mut message = timestamp.as_bytes().to_vec();
        message.extend_from_slice(body);
        let signature = hex::encode(key.sign(&message).to_bytes());
        let response = self
            .http
            .post(format!("{}/webhooks/discord", self.base))
            .header("X-Signature-Ed25519", signature)
            .header("X-Signature-Timestamp", timestamp)
            .header("Content-Type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, body: &Value) -> (u16, Value) {
        let body = common::fake_api::discord::complete(body.clone());
        self.post_signed(&self.key, now(), body.to_string().as_bytes())
            .await
    }

    async fn states(&self) -> Vec<(String, i64)> {
        self.db.store.inbox().counts().await.unwrap()
    }

    fn description(call: &Call) -> String {
        common::embed_text(&call.body)
    }
}

#[tokio::test]
async fn ping_gets_pong_and_bad_signatures_are_refused_with_nothing_stored() {
    let app = start().await;
    let ping = json!({"id": "1", "application_id": APP_ID, "type": 1, "token": "t", "version": 1});
    assert_eq!(app.post(&ping).await, (200, json!({"type": 1})));

    let cmd = command(
        "2",
        "tok",
        "alert",
        json!([{"name": "words", "type": 3, "value": "lego"}]),
        None,
    );
    let bytes = cmd.to_string().into_bytes();
    let other = SigningKey::from_bytes(&[6; 32]);
    assert_eq!(
        app.post_signed(&other, now(), &bytes).await.0,
        401,
        "forged"
    );
    assert_eq!(
        app.post_signed(&app.key, now() - 600, &bytes).await.0,
        401,
        "stale"
    );
    // A valid signature over a different body.
    let timestamp = now().to_string();
    let mut signed = timestamp.as_bytes().to_vec();
    signed.extend_from_slice(b"{}");
    let response = app
        .http
        .post(format!("{}/webhooks/discord", app.base))
        .header(
            "X-Signature-Ed25519",
            hex::encode(app.key.sign(&signed).to_bytes()),
        )
        .header("X-Signature-Timestamp", &timestamp)
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "tampered body");
    let missing = app
        .http
        .post(format!("{}/webhooks/discord", app.base))
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401, "missing headers");
    assert_eq!(app.post_signed(&app.key, now(), b"{garbage").await.0, 400);
    assert!(app.states().await.is_empty());
    assert!(app.api.calls().is_empty());
}

#[tokio::test]
async fn a_slash_command_is_deferred_then_answered_by_editing_the_response() {
    let app = start().await;
    let cmd = command(
        "1001",
        "tok-dm",
        "alert",
        json!([
            {"name": "under", "type": 3, "value": "£50"},
            {"name": "exclude", "type": 3, "value": "duplo"},
            {"name": "words", "type": 3, "value": "lego star wars"},
        ]),
        None,
    );
    let (status, answer) = app.post(&cmd).await;
    assert_eq!(status, 200);
    assert_eq!(answer["type"], 5, "deferred");
    assert_eq!(answer["data"]["flags"], 0, "visible in the DM");
    assert_eq!(
        app.states().await,
        vec![("accepted".to_owned(), 1)],
        "stored before the answer"
    );

    app.inbox.process_pending().await.unwrap();
    let edits = app.api.to(
        "PATCH",
        &format!("/api/v10/webhooks/{APP_ID}/tok-dm/messages/@original"),
    );
    assert_eq!(edits.len(), 1, "{:?}", app.api.calls());
    let edit = &edits[0];
    assert_eq!(edit.header("content-type"), Some("application/json"));
    assert_eq!(
        edit.header("authorization"),
        None,
        "the bot token never goes to webhook URLs"
    );
    let text = App::description(edit);
    assert!(text.contains("Alert #1 saved: lego, star, wars"), "{text}");
    assert!(
        text.contains("not duplo") && text.contains("under £50"),
        "{text}"
    );
    assert_eq!(edit.body["allowed_mentions"]["parse"], json!([]));
    assert_eq!(
        edit.body["components"][0]["components"][0]["custom_id"],
        "pause 1"
    );
    assert_eq!(app.states().await, vec![("processed".to_owned(), 1)]);

    // The same interaction delivered again is acted on once.
    app.post(&cmd).await;
    app.inbox.process_pending().await.unwrap();
    assert_eq!(app.api.calls().len(), 1);
}

#[tokio::test]
async fn button_presses_run_their_command() {
    let app = start().await;
    app.post(&command(
        "2001",
        "tok-a",
        "alert",
        json!([{"name": "words", "type": 3, "value": "lego"}]),
        None,
    ))
    .await;
    let press = json!({"id": "2002", "application_id": APP_ID, "type": 3, "token": "tok-b", "version": 1,
        "channel_id": "555", "user": {"id": "42", "username": "ann"},
        "message": {"id": "m1"}, "data": {"custom_id": "pause 1", "component_type": 2}});
    assert_eq!(app.post(&press).await.1["type"], 5);
    app.inbox.process_pending().await.unwrap();
    let edits = app.api.to(
        "PATCH",
        &format!("/api/v10/webhooks/{APP_ID}/tok-b/messages/@original"),
    );
    assert!(
        App::description(&edits[0]).contains("Paused #1"),
        "{edits:?}"
    );
}

#[tokio::test]
async fn in_a_guild_channel_replies_are_private_and_managers_make_community_rules() {
    let app = start().await;
    // 16 = Manage Channels.
    let (_, answer) = app
        .post(&command(
            "3001",
            "tok-g1",
            "alert",
            json!([{"name": "words", "type": 3, "value": "ps5"}]),
            Some("16"),
        ))
        .await;
    assert_eq!(answer["data"]["flags"], 64, "ephemeral in a guild channel");
    // 2048 = Send Messages only.
    let member = command(
        "3002",
        "tok-g2",
        "alert",
        json!([{"name": "words", "type": 3, "value": "xbox"}]),
        Some("2048"),
    );
    let mut member = member;
    member["member"]["user"]["id"] = json!("43");
    app.post(&member).await;
    app.inbox.process_pending().await.unwrap();

    let manager = &app.api.to(
        "PATCH",
        &format!("/api/v10/webhooks/{APP_ID}/tok-g1/messages/@original"),
    )[0];
    assert_eq!(manager.body["flags"], 64);
    assert!(
        App::description(manager).contains("posted in this channel"),
        "{}",
        App::description(manager)
    );
    let other = &app.api.to(
        "PATCH",
        &format!("/api/v10/webhooks/{APP_ID}/tok-g2/messages/@original"),
    )[0];
    assert!(
        App::description(other).contains("alerts you privately"),
        "{}",
        App::description(other)
    );

    app.post(&command("3003", "tok-g3", "list", json!([]), Some("16")))
        .await;
    app.inbox.process_pending().await.unwrap();
    let list = &app.api.to(
        "PATCH",
        &format!("/api/v10/webhooks/{APP_ID}/tok-g3/messages/@original"),
    )[0];
    assert!(
        App::description(list).contains("posts to community"),
        "{}",
        App::description(list)
    );
}

/// A guild channel's alerts belong to the channel: another member with
/// Manage Channels lists and pauses what the first made; a member
/// without it is refused (ephemerally); the alert owner's own numbers are
/// not touched by the channel's commands.
#[tokio::test]
async fn another_manager_runs_the_channels_alerts_and_a_member_cannot() {
    let app = start().await;
    let as_user = |mut body: Value, user: &str| {
        body["member"]["user"]["id"] = json!(user);
        body
    };
    let edit = |token: &str| {
        let edits = app.api.to(
            "PATCH",
            &format!("/api/v10/webhooks/{APP_ID}/{token}/messages/@original"),
        );
        App::description(&edits[0])
    };
    // Ann (42) makes the channel's alert; she also has one of her own.
    app.post(&command(
        "5001",
        "tok-m0",
        "alert",
        json!([{"name": "words", "type": 3, "value": "switch"}]),
        None,
    ))
    .await;
    app.post(&command(
        "5002",
        "tok-m1",
        "alert",
        json!([{"name": "words", "type": 3, "value": "ps5"}]),
        Some("16"),
    ))
    .await;
    app.inbox.process_pending().await.unwrap();
    assert!(edit("tok-m1").contains("#2"), "{}", edit("tok-m1"));

    let action = |action: &str, target: &str| json!([{"name": "action", "type": 3, "value": action}, {"name": "target", "type": 3, "value": target}]);
    // Bob (44) manages channels too: he sees and pauses it.
    app.post(&as_user(
        command("5003", "tok-m2", "community", json!([]), Some("16")),
        "44",
    ))
    .await;
    app.post(&as_user(
        command(
            "5004",
            "tok-m3",
            "community",
            action("pause", "2"),
            Some("16"),
        ),
        "44",
    ))
    .await;
    // Cem (45) may only send messages: refused.
    app.post(&as_user(
        command(
            "5005",
            "tok-m4",
            "community",
            action("delete", "2"),
            Some("2048"),
        ),
        "45",
    ))
    .await;
    // Bob cannot reach Ann's own alert #1 through the channel.
    app.post(&as_user(
        command(
            "5006",
            "tok-m5",
            "community",
            action("pause", "1"),
            Some("16"),
        ),
        "44",
    ))
    .await;
    app.inbox.process_pending().await.unwrap();
    assert!(
        edit("tok-m2").contains("#2") && edit("tok-m2").contains("ps5"),
        "{}",
        edit("tok-m2")
    );
    assert!(edit("tok-m3").contains("Paused #2"), "{}", edit("tok-m3"));
    assert!(
        edit("tok-m4").contains("Only the admins"),
        "{}",
        edit("tok-m4")
    );
    assert!(
        edit("tok-m5").contains("#1 is not one of this community's alerts"),
        "{}",
        edit("tok-m5")
    );
    for token in ["tok-m2", "tok-m3", "tok-m4", "tok-m5"] {
        let edits = app.api.to(
            "PATCH",
            &format!("/api/v10/webhooks/{APP_ID}/{token}/messages/@original"),
        );
        assert_eq!(edits[0].body["flags"], 64, "ephemeral: {token}");
    }
    let ann = app
        .db
        .store
        .users()
        .find_identity(Channel::Discord, "42")
        .await
        .unwrap()
        .unwrap()
        .0;
    let items = app.db.store.items().of(ann.id).await.unwrap();
    let states: Vec<_> = items.iter().map(|i| (i.no().get(), i.state())).collect();
    use dealwatch::model::ItemState::{Active, Paused};
    assert_eq!(states, [(1, Active), (2, Paused)]);
}

#[tokio::test]
async fn an_expired_interaction_token_falls_back_to_a_direct_message() {
    let app = start().await;
    app.post(&command("4001", "expired", "list", json!([]), None))
        .await;
    app.inbox.process_pending().await.unwrap();
    assert_eq!(
        app.api
            .to(
                "PATCH",
                &format!("/api/v10/webhooks/{APP_ID}/expired/messages/@original")
            )
            .len(),
        1
    );
    let dm = app
        .api
        .to("POST", &format!("/api/v10/channels/{DM_CHANNEL}/messages"));
    assert_eq!(dm.len(), 1, "{:?}", app.api.calls());
    assert_eq!(app.states().await, vec![("processed".to_owned(), 1)]);
}

#[tokio::test]
async fn alerts_from_the_outbox_go_to_the_users_dms_with_the_bot_token() {
    use dealwatch::dispatch::Dispatcher;
    use dealwatch::plans::Plans;
    use dealwatch::watching::Notice;

    let app = start().await;
    app.post(&command("5001", "tok", "list", json!([]), None))
        .await;
    app.inbox.process_pending().await.unwrap();
    let (user, _) = app
        .db
        .store
        .users()
        .find_identity(Channel::Discord, "42")
        .await
        .unwrap()
        .unwrap();
    for n in 1..=2u32 {
        let notice = Notice::WatchFailed {
            watch_no: n,
            url: format!("https://shop.example/{n}"),
            reason: "HTTP status 404".into(),
        };
        app.db
            .store
            .outbox()
            .enqueue_notice(user.id, &format!("t{n}"), &notice, now())
            .await
            .unwrap();
    }
    let dispatcher = Dispatcher::new(
        app.db.store.clone(),
        Arc::new(dealwatch::l10n::L10n::load().unwrap()),
        Plans::default(),
        HashMap::from([(Channel::Discord, app.client.clone() as Arc<dyn Sender>)]),
    );
    dispatcher.deliver_pending().await.unwrap();

    let opened = app.api.to("POST", "/api/v10/users/@me/channels");
    assert_eq!(
        opened.len(),
        1,
        "the DM channel is opened once and remembered"
    );
    assert_eq!(opened[0].body, json!({"recipient_id": "42"}));
    assert_eq!(opened[0].header("authorization"), Some("Bot bot-token-x"));
    let posted = app
        .api
        .to("POST", &format!("/api/v10/channels/{DM_CHANNEL}/messages"));
    assert_eq!(posted.len(), 2);
    assert_eq!(posted[0].header("authorization"), Some("Bot bot-token-x"));
    assert!(App::description(&posted[0]).contains("https://shop.example/1"));
    assert!(posted[0]
        .header("user-agent")
        .unwrap()
        .starts_with("DiscordBot ("));
}

#[tokio::test]
async fn slash_commands_are_registered_by_bulk_overwrite() {
    // Registered by the service as it starts, as `serve` does.
    let app = start().await;
    let path = format!("/api/v10/applications/{APP_ID}/commands");
    let calls: Vec<&Call> = app
        .started
        .iter()
        .filter(|c| c.method == "PUT" && c.path == path)
        .collect();
    assert_eq!(calls.len(), 1, "{:?}", app.started);
    let l10n = dealwatch::l10n::L10n::load().unwrap();
    assert_eq!(
        calls[0].body.as_array().map(Vec::len),
        Some(dealwatch::slash::commands(&l10n).len())
    );
    assert_eq!(calls[0].header("authorization"), Some("Bot bot-token-x"));
    let body = calls[0].body.as_array().unwrap();
    let watch = body.iter().find(|c| c["name"] == "watch").unwrap();
    assert_eq!(watch["type"], 1);
    assert_eq!(watch["options"][0]["name"], "url");
    assert_eq!(watch["options"][0]["required"], true);
    assert!(watch["description_localizations"]["de"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    for command in body {
        let name = command["name"].as_str().unwrap();
        assert!(
            name.len() <= 32 && name.chars().all(|c| c.is_ascii_lowercase()),
            "{name}"
        );
        let description = command["description"].as_str().unwrap();
        assert!(
            (1..=100).contains(&description.chars().count()),
            "{name}: {description}"
        );
    }
    assert!(body.iter().all(|c| c["name"] != "stop"));
}

#[tokio::test]
async fn community_rule_matches_are_posted_into_the_guild_channel() {
    use dealwatch::dispatch::Dispatcher;
    use dealwatch::money::{Currency, Money};
    use dealwatch::plans::Plans;
    use dealwatch::storage::NewDeal;

    let app = start().await;
    // A manager's rule posts into channel 900; a member's alerts them privately.
    app.post(&command(
        "6001",
        "tok-1",
        "alert",
        json!([{"name": "words", "type": 3, "value": "ps5"}]),
        Some("16"),
    ))
    .await;
    let mut member = command(
        "6002",
        "tok-2",
        "alert",
        json!([{"name": "words", "type": 3, "value": "ps5 console"}]),
        Some("0"),
    );
    member["member"]["user"]["id"] = json!("43");
    app.post(&member).await;
    app.inbox.process_pending().await.unwrap();

    let deal = |key: &str, title: &str| NewDeal {
        source: "test".into(),
        dedupe_key: key.into(),
        title: title.into(),
        url: format!("https://shop.example/{key}"),
        price: Some(Money::new("399".parse().unwrap(), Currency::GBP)),
        was_price: Some(Money::new("479.99".parse().unwrap(), Currency::GBP)),
        merchant: Some("Shop & Co".into()),
        category: None,
        condition: None,
        score: None,
        fingerprint: None,
        lowest: None,
        image: None,
    };
    let store = &app.db.store;
    let announcer = dealwatch::deals::Announcer::default();
    assert_eq!(
        announcer
            .announce(store, &deal("d1", "PS5 Slim *Digital*"), now())
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        announcer
            .announce(store, &deal("d1", "PS5 Slim *Digital*"), now())
            .await
            .unwrap(),
        0,
        "seen before"
    );
    assert_eq!(
        announcer
            .announce(store, &deal("d2", "Xbox Series X"), now())
            .await
            .unwrap(),
        0,
        "no match"
    );

    let dispatcher = Dispatcher::new(
        store.clone(),
        Arc::new(dealwatch::l10n::L10n::load().unwrap()),
        Plans::default(),
        HashMap::from([(Channel::Discord, app.client.clone() as Arc<dyn Sender>)]),
    );
    dispatcher.deliver_pending().await.unwrap();

    let posted = app.api.to("POST", "/api/v10/channels/900/messages");
    assert_eq!(posted.len(), 1, "{:?}", app.api.calls());
    assert_eq!(posted[0].header("authorization"), Some("Bot bot-token-x"));
    let text = App::description(&posted[0]);
    assert!(text.starts_with("🔥 PS5 Slim \\*Digital\\*"), "{text}");
    assert!(
        text.contains("£399.00 (was £479.99, −17%)") && text.contains("at Shop & Co"),
        "{text}"
    );
    assert!(
        posted[0].body["components"]
            .as_array()
            .is_none_or(|rows| rows.is_empty()),
        "no buttons in a shared channel"
    );

    let dm = app
        .api
        .to("POST", &format!("/api/v10/channels/{DM_CHANNEL}/messages"));
    assert_eq!(dm.len(), 1);
    let text = App::description(&dm[0]);
    assert!(text.starts_with("🔥 Deal for #1: PS5"), "{text}");
    assert_eq!(
        dm[0].body["components"][0]["components"][0]["custom_id"],
        "pause 1"
    );
    assert_eq!(
        app.api.to("POST", "/api/v10/users/@me/channels")[0].body,
        json!({"recipient_id": "43"})
    );
}

#[tokio::test]
async fn history_edits_the_response_with_the_chart_attached() {
    let app = start().await;
    app.post(&command(
        "8001",
        "tok-w",
        "watch",
        json!([{"name": "url", "type": 3, "value": "https://shop.example/p/1"}]),
        None,
    ))
    .await;
    app.inbox.process_pending().await.unwrap();
    common::record_prices(
        &app.db.store,
        "https://shop.example/p/1",
        "Acme Kettle",
        &[("49.99", 3 * 86_400), ("39.99", 86_400)],
    )
    .await;
    app.post(&command(
        "8002",
        "tok-h",
        "history",
        json!([{"name": "id", "type": 4, "value": 1}]),
        None,
    ))
    .await;
    app.inbox.process_pending().await.unwrap();

    let edit = &app.api.to(
        "PATCH",
        &format!("/api/v10/webhooks/{APP_ID}/tok-h/messages/@original"),
    )[0];
    assert!(edit
        .header("content-type")
        .unwrap()
        .starts_with("multipart/form-data"));
    let form = &edit.raw;
    assert!(form.contains("name=\"payload_json\""), "{form:.400}");
    assert!(form.contains("name=\"files[0]\"; filename=\"chart.png\"\r\nContent-Type: image/png"));
    let payload: Value = form
        .split("name=\"payload_json\"\r\n\r\n")
        .nth(1)
        .and_then(|rest| rest.split("\r\n--").next())
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_else(|| panic!("payload_json is JSON: {form:.600}"));
    assert_eq!(
        payload["embeds"][0]["image"]["url"], "attachment://chart.png",
        "the embed shows the file"
    );
    assert_eq!(
        payload["attachments"][0]["filename"], "chart.png",
        "{payload}"
    );
    assert_eq!(payload["attachments"][0]["id"], 0, "{payload}");
    assert!(form.contains("lowest £39.99"));
}

/// The bot removed from a server (Discord: Missing Access): that channel's
/// community stops, its alerts pause, and its owner is told by DM.
#[tokio::test]
async fn a_channel_the_bot_lost_stops_and_its_owner_is_told() {
    let app = start().await;
    let mut alert = command(
        "7001",
        "tok-l1",
        "alert",
        json!([{"name": "words", "type": 3, "value": "lego"}]),
        Some("16"),
    );
    alert["channel_id"] = json!("901");
    app.post(&alert).await;
    app.inbox.process_pending().await.unwrap();
    let store = &app.db.store;
    let before = store
        .destinations()
        .chat(dealwatch::storage::DISCORD_CHANNEL, "901")
        .await
        .unwrap()
        .expect("the channel's community");
    assert!(before.disabled.is_none());
    dealwatch::deals::Announcer::default()
        .announce(
            store,
            &common::new_deal("d1", "LEGO Technic", Some("10"), None),
            now(),
        )
        .await
        .unwrap();
    let dispatcher = dealwatch::dispatch::Dispatcher::new(
        store.clone(),
        Arc::new(dealwatch::l10n::L10n::load().unwrap()),
        dealwatch::plans::Plans::default(),
        HashMap::from([(Channel::Discord, app.client.clone() as Arc<dyn Sender>)]),
    );
    dispatcher.deliver_pending().await.unwrap();
    dispatcher.deliver_pending().await.unwrap();
    let after = store
        .destinations()
        .chat(dealwatch::storage::DISCORD_CHANNEL, "901")
        .await
        .unwrap()
        .unwrap();
    assert!(after.disabled.is_some(), "stopped");
    let rules = store.destinations().rules(after.id).await.unwrap();
    assert_eq!(rules[0].state, dealwatch::model::ItemState::Paused);
    let dm = app
        .api
        .to("POST", &format!("/api/v10/channels/{DM_CHANNEL}/messages"));
    assert!(
        dm.iter()
            .any(|c| App::description(c).contains("I was removed from")),
        "{dm:?}"
    );
}
