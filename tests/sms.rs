//! SMS end to end: signed Twilio webhooks in, replies out through a fake
//! Messages API on loopback; opt-out as carriers require.

mod common;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Form;
use common::TestDb;
use dealwatch::inbound::Inbox;
use dealwatch_bots::sms::{segments, Encoding, TwilioClient};
use dealwatch_bots::{Channel, Sender};
use dealwatch_webhooks::sms::signature;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-auth-token";
const FROM: &str = "+447700900999";
const PUBLIC: &str = "https://dealwatch.example";

type Sent = Arc<Mutex<Vec<HashMap<String, String>>>>;

async fn messages(
    State(sent): State<Sent>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, String) {
    assert_eq!(account, SID);
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"))
    );
    if auth != expected {
        return (StatusCode::UNAUTHORIZED, "{}".into());
    }
    let n = {
        let mut sent = sent.lock().unwrap();
        sent.push(form);
        sent.len()
    };
    (
        StatusCode::CREATED,
        format!("{{\"sid\":\"SM{n:032}\",\"status\":\"queued\"}}"),
    )
}

struct App {
    db: TestDb,
    sent: Sent,
    inbox: Arc<Inbox>,
    base: String,
    /// The fake Twilio API's origin.
    twilio: String,
    /// The service as `serve` wires it, its workers stepped by the test.
    _service: dealwatch::startup::Stepped,
}

async fn start() -> App {
    let db = TestDb::sqlite().await;
    let sent: Sent = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = url::Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let router = axum::Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            post(messages),
        )
        .with_state(sent.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let mut config = common::config(
        &db,
        &[
            "--twilio-account-sid",
            SID,
            "--twilio-from-number",
            FROM,
            "--twilio-api-url",
            api.as_str(),
            "--public-base-url",
            PUBLIC,
        ],
    );
    config.twilio.twilio_auth_token = common::secret(TOKEN);
    let service = common::spawn_stepped(config).await;
    App {
        db,
        sent,
        inbox: service.inbox.clone(),
        base: format!("http://{}", service.address),
        twilio: api.to_string(),
        _service: service,
    }
}

fn form(sid: &str, from: &str, body: &str) -> Vec<(String, String)> {
    [
        ("ToCountry", "GB"),
        ("SmsMessageSid", sid),
        ("NumMedia", "0"),
        ("MessageSid", sid),
        ("AccountSid", SID),
        ("From", from),
        ("To", FROM),
        ("Body", body),
        ("NumSegments", "1"),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

impl App {
    /// Post a form signed for `signed_url` (Twilio signs the public URL).
    async fn post(
        &self,
        params: &[(String, String)],
        signed_url: &str,
        token: &str,
    ) -> (u16, String) {
        let sig = signature(token.as_bytes(), signed_url, params);
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let response = reqwest::Client::new()
            .post(format!("{}/webhooks/sms", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("X-Twilio-Signature", sig)
            .body(body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Send a text and return every reply it got: the TwiML answer's
    /// messages, then anything sent through the Messages API.
    async fn text(&self, sid: &str, from: &str, body: &str) -> Vec<String> {
        let before = self.bodies().len();
        let (status, twiml) = self
            .post(
                &form(sid, from, body),
                &format!("{PUBLIC}/webhooks/sms"),
                TOKEN,
            )
            .await;
        assert_eq!(status, 200, "{twiml}");
        self.inbox.process_pending().await.unwrap();
        let mut replies = twiml_messages(&twiml);
        replies.extend(self.bodies().into_iter().skip(before));
        replies
    }

    fn bodies(&self) -> Vec<String> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|f| f["Body"].clone())
            .collect()
    }
}

/// The bodies of a TwiML answer's `<Message>` elements, unescaped.
fn twiml_messages(twiml: &str) -> Vec<String> {
    twiml
        .split("<Message>")
        .skip(1)
        .filter_map(|m| m.split("</Message>").next())
        .map(|m| {
            m.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

#[tokio::test]
async fn a_text_message_is_answered_by_sms_in_plain_gsm7() {
    let app = start().await;
    let (status, twiml) = app
        .post(
            &form("SM1", "+447700900123", "alert lego"),
            &format!("{PUBLIC}/webhooks/sms"),
            TOKEN,
        )
        .await;
    assert_eq!(status, 200);
    // Acted on while Twilio waited: the reply is the TwiML answer.
    assert!(twiml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>"));
    let replies = twiml_messages(&twiml);
    assert_eq!(replies.len(), 1, "{twiml}");
    let body = &replies[0];
    assert!(body.starts_with("Alert #1 saved: lego"), "{body}");
    assert!(
        body.ends_with("Reply: pause 1 / delete 1 / test 1"),
        "{body}"
    );
    assert_eq!(
        segments(body).0,
        Encoding::Gsm7,
        "no emoji or curly quotes: {body}"
    );
    // Answered once: nothing through the API, nothing left to do.
    app.inbox.process_pending().await.unwrap();
    assert!(app.bodies().is_empty());
    assert_eq!(
        app.db.store.inbox().counts().await.unwrap(),
        vec![("processed".to_owned(), 1)]
    );
    // Twilio retries the webhook: the same message is not acted on again.
    let (_, again) = app
        .post(
            &form("SM1", "+447700900123", "alert lego"),
            &format!("{PUBLIC}/webhooks/sms"),
            TOKEN,
        )
        .await;
    assert!(again.ends_with("<Response></Response>"), "{again}");
}

/// A reply not ready before Twilio's answer is due goes through the
/// Messages API instead, once.
#[tokio::test]
async fn a_slow_reply_follows_through_the_messages_api() {
    use dealwatch_bots::InboundRecord;
    let app = start().await;
    let incoming =
        dealwatch_bots::sms::parse_inbound(&form("SM5", "+447700900123", "alert lego")).unwrap();
    let record = InboundRecord::plain(incoming);
    // No time at all to answer in: the work carries on in the background.
    let answer = app
        .inbox
        .accept_and_answer(&record, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(answer, None);
    // The reply leaves through the outbox, as the dispatcher sends it.
    for _ in 0..100 {
        app.inbox.process_pending().await.unwrap();
        if !app.bodies().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let bodies = app.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert!(bodies[0].starts_with("Alert #1 saved: lego"));
    app.inbox.process_pending().await.unwrap();
    assert_eq!(app.bodies().len(), 1, "sent once");
}

#[tokio::test]
async fn forged_and_tampered_requests_are_refused_and_store_nothing() {
    let app = start().await;
    let params = form("SM2", "+447700900123", "alert lego");
    let right_url = format!("{PUBLIC}/webhooks/sms");
    assert_eq!(app.post(&params, &right_url, "wrong-token").await.0, 403);
    assert_eq!(
        app.post(&params, "https://evil.example/webhooks/sms", TOKEN)
            .await
            .0,
        403
    );
    // Signed for one body, sent with another.
    let sig = signature(TOKEN.as_bytes(), &right_url, &params);
    let tampered = form("SM2", "+447700900123", "alert ps5");
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&tampered)
        .finish();
    let status = reqwest::Client::new()
        .post(format!("{}/webhooks/sms", app.base))
        .header("X-Twilio-Signature", sig)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 403);
    let unsigned = reqwest::Client::new()
        .post(format!("{}/webhooks/sms", app.base))
        .body("From=%2B447700900123&Body=STOP&MessageSid=SM3")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(unsigned, 403);
    assert!(app.db.store.inbox().counts().await.unwrap().is_empty());
}

#[tokio::test]
async fn stop_silences_the_number_until_start_and_redeliveries_count_once() {
    let app = start().await;
    let me = "+447700900123";
    let mut bodies = Vec::new();
    for (sid, text) in [
        ("SM10", "alert lego"),
        ("SM11", "STOP"),
        ("SM11", "STOP"),
        ("SM12", "list"),
        ("SM13", "HELP"),
        ("SM14", "START"),
    ] {
        bodies.extend(app.text(sid, me, text).await);
    }
    assert_eq!(bodies.len(), 4, "{bodies:?}");
    assert!(bodies[1].contains("unsubscribed"), "{bodies:?}");
    assert!(
        bodies[2].contains("Here's what I understand"),
        "HELP is always answered: {bodies:?}"
    );
    assert!(bodies[3].contains("Welcome back"), "{bodies:?}");
    assert!(
        !bodies.iter().any(|b| b.contains("Your watch or alert")),
        "nothing after STOP: {bodies:?}"
    );
}

#[tokio::test]
async fn sms_alerts_follow_the_plans_daily_allowance() {
    use dealwatch::dispatch::Dispatcher;
    use dealwatch::model::Plan;
    use dealwatch::plans::Plans;
    use dealwatch::watching::Notice;

    let app = start().await;
    let me = "+447700900123";
    app.text("SM20", me, "start").await;
    let sent_before = app.bodies().len();
    let (user, _) = app
        .db
        .store
        .users()
        .find_identity(Channel::Sms, me)
        .await
        .unwrap()
        .unwrap();
    let now = dealwatch::storage::unix_now();
    for n in 0..7u32 {
        let notice = Notice::WatchFailed {
            watch_no: n + 1,
            url: format!("https://shop.example/{n}"),
            reason: "HTTP status 404".into(),
        };
        assert!(app
            .db
            .store
            .outbox()
            .enqueue_notice(user.id, &format!("test:{n}"), &notice, now)
            .await
            .unwrap());
    }
    let client =
        TwilioClient::new(&url::Url::parse(&app.twilio).unwrap(), SID, TOKEN, FROM).unwrap();
    let dispatcher = Dispatcher::new(
        app.db.store.clone(),
        Arc::new(dealwatch::l10n::L10n::load().unwrap()),
        Plans::default(),
        HashMap::from([(Channel::Sms, Arc::new(client) as Arc<dyn Sender>)]),
    );

    // Free: no SMS alerts at all; they wait for tomorrow, not lost.
    dispatcher.deliver_pending().await.unwrap();
    assert_eq!(
        app.bodies().len(),
        sent_before,
        "a free user gets no SMS alerts"
    );
    assert_eq!(
        dispatcher.deliver_pending().await.unwrap(),
        0,
        "held rows wait for the next day"
    );

    // Pro: five a day. Bring the held rows back to now to see it.
    app.db
        .store
        .billing()
        .change_plan(
            user.id,
            Plan::Pro,
            None,
            Plans::default().limits(Plan::Pro),
            now,
        )
        .await
        .unwrap();
    for row in app
        .db
        .store
        .outbox()
        .claim(i64::MAX / 2, 0, 50)
        .await
        .unwrap()
    {
        app.db
            .store
            .outbox()
            .later(row.id, Some(0), false, None)
            .await
            .unwrap();
    }
    dispatcher.deliver_pending().await.unwrap();
    assert_eq!(
        app.bodies().len() - sent_before,
        5,
        "pro: 5 SMS alerts a day"
    );
    assert_eq!(dispatcher.deliver_pending().await.unwrap(), 0);
}
