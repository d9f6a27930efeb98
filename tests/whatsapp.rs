//! WhatsApp end to end: Meta's subscription check, signed notifications
//! in, replies and alerts out at a fake Graph API on loopback, statuses
//! recorded, and the 24-hour window deciding between free text and the
//! approved template.

mod common;

use axum::http::StatusCode;
use common::fake_api::{Call, FakeApi};
use common::TestDb;
use dealwatch::dispatch::Dispatcher;
use dealwatch::inbound::Inbox;
use dealwatch::plans::Plans;
use dealwatch::watching::Notice;
use dealwatch_bots::whatsapp::{Template, WhatsAppClient};
use dealwatch_bots::{Channel, Sender};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const PHONE_ID: &str = "106540352242922";
const ACCESS_TOKEN: &str = "EAAG-test-token";
const APP_SECRET: &str = "app-secret-123";
const VERIFY_TOKEN: &str = "verify-me";
const ANN: &str = "447700900123";
/// A number Meta says is outside the window whatever our records say.
const CLOSED: &str = "447700900999";

struct App {
    db: TestDb,
    api: FakeApi,
    inbox: Arc<Inbox>,
    client: Arc<WhatsAppClient>,
    base: String,
    http: reqwest::Client,
    /// The service as `serve` wires it, its workers stepped by the test.
    _service: dealwatch::startup::Stepped,
}

/// When set, the fake refuses media uploads as Meta refuses a bad file.
static REFUSE_MEDIA: AtomicBool = AtomicBool::new(false);

fn graph(call: &Call, n: usize) -> (StatusCode, Value) {
    if call.path.ends_with("/media") {
        if REFUSE_MEDIA.load(Ordering::SeqCst) {
            return (
                StatusCode::BAD_REQUEST,
                json!({"error": {"message": "(#131053) Media upload error", "type": "OAuthException", "code": 131053, "fbtrace_id": "x"}}),
            );
        }
        return (StatusCode::OK, json!({"id": format!("MEDIA{n}")}));
    }
    if call.body["to"] == CLOSED && call.body["type"] != "template" {
        return (
            StatusCode::BAD_REQUEST,
            json!({"error": {"message": "Re-engagement message", "type": "OAuthException", "code": 131047, "fbtrace_id": "x"}}),
        );
    }
    (
        StatusCode::OK,
        json!({"messaging_product": "whatsapp", "contacts": [{"input": call.body["to"], "wa_id": call.body["to"]}],
               "messages": [{"id": format!("wamid.OUT{n}")}]}),
    )
}

async fn start() -> App {
    let db = TestDb::sqlite().await;
    let api = FakeApi::start(graph).await;
    let template = Template {
        name: "deal_alert".into(),
        language: "en_GB".into(),
    };
    let client = Arc::new(
        WhatsAppClient::new(&api.base("v21.0"), PHONE_ID, ACCESS_TOKEN, template).unwrap(),
    );
    let api_url = api.base("v21.0");
    let mut config = common::config(
        &db,
        &[
            "--whatsapp-phone-number-id",
            PHONE_ID,
            "--whatsapp-api-url",
            api_url.as_str(),
        ],
    );
    config.whatsapp.whatsapp_access_token = common::secret(ACCESS_TOKEN);
    config.whatsapp.whatsapp_app_secret = common::secret(APP_SECRET);
    config.whatsapp.whatsapp_verify_token = common::secret(VERIFY_TOKEN);
    let service = common::spawn_stepped(config).await;
    App {
        db,
        api,
        inbox: service.inbox.clone(),
        client,
        base: format!("http://{}", service.address),
        http: reqwest::Client::new(),
        _service: service,
    }
}

fn notification(value: Value) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": value}]}]})
}

fn text_message(wamid: &str, from: &str, text: &str) -> Value {
    notification(json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_ID},
        "contacts": [{"profile": {"name": "Ann"}, "wa_id": from}],
        "messages": [{"from": from, "id": wamid, "timestamp": "1795435200", "type": "text", "text": {"body": text}}],
    }))
}

/// What Meta puts in `X-Hub-Signature-256`.
fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl App {
    async fn post_with(&self, signature: Option<String>, body: &[u8]) -> u16 {
        let mut request = self
            .http
            .post(format!("{}/webhooks/whatsapp", self.base))
            .header("Content-Type", "application/json")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("X-Hub-Signature-256", signature);
        }
        request.send().await.unwrap().status().as_u16()
    }

    async fn post(&self, body: &Value) -> u16 {
        let bytes = body.to_string().into_bytes();
        self.post_with(Some(sign(APP_SECRET, &bytes)), &bytes).await
    }

    async fn states(&self) -> Vec<(String, i64)> {
        self.db.store.inbox().counts().await.unwrap()
    }

    /// Act on what arrived, then deliver the replies. A service that has
    /// just started assumes Meta counted sends of a predecessor's a moment
    /// ago (its pair rate: one message per person per 6 s, bursts of 4), so
    /// a reply may wait its turn in the outbox for a few seconds.
    async fn act(&self) {
        self.inbox.process_pending().await.unwrap();
        for _ in 0..120 {
            let counts = self.db.store.outbox().counts().await.unwrap();
            if !counts
                .iter()
                .any(|(kind, state, n)| kind == "reply" && state == "pending" && *n > 0)
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            self.inbox.process_pending().await.unwrap();
        }
        panic!("replies still waiting after 30 s");
    }

    fn sent(&self) -> Vec<Call> {
        self.api.to("POST", &format!("/v21.0/{PHONE_ID}/messages"))
    }

    fn dispatcher(&self) -> Dispatcher {
        Dispatcher::new(
            self.db.store.clone(),
            Arc::new(dealwatch::l10n::L10n::load().unwrap()),
            Plans::default(),
            HashMap::from([(Channel::WhatsApp, self.client.clone() as Arc<dyn Sender>)]),
        )
    }

    async fn enqueue(&self, who: &str, key: &str) {
        let (user, _) = self
            .db
            .store
            .users()
            .find_identity(Channel::WhatsApp, who)
            .await
            .unwrap()
            .unwrap();
        let notice = Notice::WatchFailed {
            watch_no: 1,
            url: "https://shop.example/kettle".into(),
            reason: "HTTP status 404".into(),
        };
        let now = dealwatch::storage::unix_now();
        self.db
            .store
            .outbox()
            .enqueue_notice(user.id, key, &notice, now)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_subscription_check_echoes_the_challenge_only_for_our_token() {
    let app = start().await;
    let get = |query: &str| {
        let url = format!("{}/webhooks/whatsapp?{query}", app.base);
        let http = app.http.clone();
        async move {
            let response = http.get(url).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(
        get(&format!(
            "hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"
        ))
        .await,
        (200, "1158201444".to_owned())
    );
    assert_eq!(
        get("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")
            .await
            .0,
        403
    );
    assert_eq!(
        get(&format!(
            "hub.mode=unsubscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1"
        ))
        .await
        .0,
        403
    );
    assert_eq!(get("").await.0, 403);
}

#[tokio::test]
async fn a_message_is_stored_then_answered_with_reply_buttons() {
    let app = start().await;
    let body = text_message("wamid.IN1", ANN, "alert lego -duplo under 50");
    assert_eq!(app.post(&body).await, 200);
    assert_eq!(app.states().await, vec![("accepted".to_owned(), 1)]);
    app.act().await;

    let sent = app.sent();
    assert_eq!(sent.len(), 1);
    let call = &sent[0];
    assert_eq!(call.header("authorization"), Some("Bearer EAAG-test-token"));
    assert_eq!(call.header("content-type"), Some("application/json"));
    assert_eq!(call.body["messaging_product"], "whatsapp");
    assert_eq!(call.body["recipient_type"], "individual");
    assert_eq!(call.body["to"], ANN);
    assert_eq!(call.body["type"], "interactive");
    let interactive = &call.body["interactive"];
    assert_eq!(interactive["type"], "button");
    let text = interactive["body"]["text"].as_str().unwrap();
    assert!(text.contains("Alert #1 saved: lego"), "{text}");
    let buttons = interactive["action"]["buttons"].as_array().unwrap();
    assert!((1..=3).contains(&buttons.len()));
    assert_eq!(buttons[0]["type"], "reply");
    assert_eq!(buttons[0]["reply"]["id"], "pause 1");
    assert!(buttons
        .iter()
        .all(|b| b["reply"]["title"].as_str().unwrap().chars().count() <= 20));

    // Meta redelivers: acted on once.
    assert_eq!(app.post(&body).await, 200);
    app.act().await;
    assert_eq!(app.sent().len(), 1);
    assert_eq!(app.states().await, vec![("processed".to_owned(), 1)]);

    // Pressing the button arrives as an interactive reply.
    let press = notification(json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_ID},
        "contacts": [{"profile": {"name": "Ann"}, "wa_id": ANN}],
        "messages": [{"from": ANN, "id": "wamid.IN2", "timestamp": "1795435300", "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": "pause 1", "title": "Pause"}}}],
    }));
    assert_eq!(app.post(&press).await, 200);
    app.act().await;
    let last = app.sent().pop().unwrap();
    assert!(
        last.body["text"]["body"]
            .as_str()
            .unwrap_or_default()
            .contains("Paused #1"),
        "{:?}",
        last.body
    );
}

#[tokio::test]
async fn forged_and_unsigned_notifications_store_nothing() {
    let app = start().await;
    let body = text_message("wamid.F1", ANN, "alert lego")
        .to_string()
        .into_bytes();
    assert_eq!(app.post_with(None, &body).await, 401);
    assert_eq!(
        app.post_with(Some(sign("not-the-secret", &body)), &body)
            .await,
        401
    );
    assert_eq!(app.post_with(Some("sha256=".into()), &body).await, 401);
    // Signed, then altered in transit.
    let mut altered = body.clone();
    altered.extend_from_slice(b" ");
    assert_eq!(
        app.post_with(Some(sign(APP_SECRET, &body)), &altered).await,
        401
    );
    let garbage = b"{not json".to_vec();
    assert_eq!(
        app.post_with(Some(sign(APP_SECRET, &garbage)), &garbage)
            .await,
        400
    );
    assert!(app.states().await.is_empty());
    assert!(app.sent().is_empty());
}

#[tokio::test]
async fn delivery_statuses_are_recorded_once_in_any_order() {
    let app = start().await;
    let statuses = notification(json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_ID},
        "statuses": [
            {"id": "wamid.OUT7", "status": "read", "timestamp": "1795435302", "recipient_id": ANN},
            {"id": "wamid.OUT7", "status": "sent", "timestamp": "1795435300", "recipient_id": ANN,
             "conversation": {"id": "c1", "origin": {"type": "service"}}, "pricing": {"billable": false, "pricing_model": "PMP", "category": "service"}},
            {"id": "wamid.OUT8", "status": "failed", "timestamp": "1795435301", "recipient_id": ANN,
             "errors": [{"code": 131026, "title": "Message undeliverable"}]},
        ],
    }));
    assert_eq!(app.post(&statuses).await, 200);
    assert_eq!(
        app.post(&statuses).await,
        200,
        "a redelivery changes nothing"
    );
    let store = &app.db.store;
    assert_eq!(
        store
            .outbox()
            .delivery_statuses(Channel::WhatsApp, "wamid.OUT7")
            .await
            .unwrap(),
        vec![("sent".to_owned(), None), ("read".to_owned(), None)]
    );
    assert_eq!(
        store
            .outbox()
            .delivery_statuses(Channel::WhatsApp, "wamid.OUT8")
            .await
            .unwrap(),
        vec![(
            "failed".to_owned(),
            Some("131026 Message undeliverable".to_owned())
        )]
    );
    assert!(app.states().await.is_empty(), "statuses are not messages");
}

#[tokio::test]
async fn alerts_are_free_text_inside_the_window_and_a_template_outside_it() {
    let app = start().await;
    let now = dealwatch::storage::unix_now();
    let core = app.db.core();
    let wa = |who: &str| common::from(Channel::WhatsApp, who, "list");
    // Ann wrote an hour ago; Bob two days ago.
    core.handle(&wa(ANN), now - 3600).await.unwrap();
    core.handle(&wa("447700900456"), now - 2 * 86_400)
        .await
        .unwrap();
    // Our records say this one is inside, but Meta says the window closed.
    core.handle(&wa(CLOSED), now - 60).await.unwrap();
    app.enqueue(ANN, "a1").await;
    app.enqueue("447700900456", "b1").await;
    app.enqueue(CLOSED, "c1").await;
    app.dispatcher().deliver_pending().await.unwrap();

    let sent = app.sent();
    let to = |who: &str| -> Vec<Value> {
        sent.iter()
            .filter(|c| c.body["to"] == who)
            .map(|c| c.body.clone())
            .collect()
    };
    let ann = to(ANN);
    assert_eq!(ann.len(), 1);
    // Inside the window: free-form, with the notice's buttons.
    assert_eq!(ann[0]["type"], "interactive");
    let body = ann[0]["interactive"]["body"]["text"].as_str().unwrap();
    assert!(body.contains("https://shop.example/kettle"), "{body}");

    let bob = to("447700900456");
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0]["type"], "template");
    let template = &bob[0]["template"];
    assert_eq!(template["name"], "deal_alert");
    assert_eq!(template["language"]["code"], "en_GB");
    let param = template["components"][0]["parameters"][0]["text"]
        .as_str()
        .unwrap();
    assert!(
        param.contains("https://shop.example/kettle") && !param.contains('\n'),
        "{param}"
    );

    let closed = to(CLOSED);
    assert_eq!(
        closed.len(),
        2,
        "free text refused with 131047, then the template"
    );
    assert_eq!(closed[1]["type"], "template");
    assert_eq!(
        app.db
            .store
            .outbox()
            .claim(now + 3600, 60, 10)
            .await
            .unwrap()
            .len(),
        0,
        "all three delivered"
    );
}

/// `history` on WhatsApp uploads the chart and sends it as an image message
/// captioned with the summary; a picture Meta refuses leaves the text alone.
#[tokio::test]
async fn history_uploads_the_chart_and_sends_it_captioned() {
    let app = start().await;
    app.post(&text_message(
        "wamid.H1",
        ANN,
        "watch https://shop.example/p/1",
    ))
    .await;
    app.act().await;
    common::record_prices(
        &app.db.store,
        "https://shop.example/p/1",
        "Acme Kettle 1.7L",
        &[
            ("49.99", 3 * 86_400),
            ("39.99", 2 * 86_400),
            ("44.50", 86_400),
        ],
    )
    .await;
    app.post(&text_message("wamid.H2", ANN, "history 1")).await;
    app.act().await;

    let uploads = app.api.to("POST", &format!("/v21.0/{PHONE_ID}/media"));
    assert_eq!(uploads.len(), 1);
    let form = &uploads[0].raw;
    assert_eq!(
        uploads[0].header("authorization"),
        Some("Bearer EAAG-test-token")
    );
    assert!(
        uploads[0]
            .header("content-type")
            .is_some_and(|t| t.starts_with("multipart/form-data")),
        "{:?}",
        uploads[0].headers
    );
    assert!(form.contains("name=\"messaging_product\"\r\n\r\nwhatsapp\r\n"));
    assert!(form.contains("name=\"type\"\r\n\r\nimage/png\r\n"));
    assert!(form.contains("name=\"file\"; filename=\"chart.png\"\r\nContent-Type: image/png"));
    assert!(form.contains("PNG\r\n"), "the PNG signature");

    let image = app.sent().pop().unwrap();
    assert_eq!(image.body["to"], ANN);
    assert_eq!(image.body["type"], "image");
    assert_eq!(image.body["image"]["id"], "MEDIA2");
    let caption = image.body["image"]["caption"].as_str().unwrap();
    assert!(
        caption.contains("Acme Kettle 1.7L") && caption.contains("lowest £39.99"),
        "{caption}"
    );

    REFUSE_MEDIA.store(true, Ordering::SeqCst);
    app.post(&text_message("wamid.H3", ANN, "history 1")).await;
    app.act().await;
    REFUSE_MEDIA.store(false, Ordering::SeqCst);
    let text = app.sent().pop().unwrap();
    assert_eq!(text.body["type"], "text");
    assert!(
        text.body["text"]["body"]
            .as_str()
            .unwrap_or_default()
            .contains("lowest £39.99"),
        "{:?}",
        text.body
    );
}
