//! Purpose: the WhatsApp Cloud API, to and from the neutral messages.
//!
//! [`parse_notification`] reads a webhook notification: messages (text,
//! reply-button and list replies) become [`Incoming`] values, and delivery
//! statuses become [`DeliveryStatus`] values to record. [`WhatsAppClient`]
//! sends text, reply buttons (up to 3) or a list (up to 10 rows), and knows
//! WhatsApp's customer-service window: free-form messages are only allowed
//! within 24 hours of the user's last message, so an alert outside it goes
//! as the approved template configured for that purpose.

use crate::pace::Pace;
use crate::{
    split_text, unix_now, BoxFuture, Channel, DeliveryStatus, Image, Incoming, Outgoing,
    ParseError, SendError, Sender,
};
use serde_json::{json, Value};
use std::time::Duration;

/// What a payload that cannot be read was supposed to be.
const WHAT: &str = "a WhatsApp notification";

/// A text message body's limit, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;
/// An interactive message body's limit.
pub const MAX_INTERACTIVE_BODY_CHARS: usize = 1024;
/// An image message's caption limit (Meta's "Image messages" reference).
pub const MAX_CAPTION_CHARS: usize = 1024;
/// Reply buttons: at most 3, titles of at most 20 characters, ids 256.
pub const MAX_REPLY_BUTTONS: usize = 3;
const MAX_BUTTON_TITLE_CHARS: usize = 20;
const MAX_BUTTON_ID_CHARS: usize = 256;
/// List messages: at most 10 rows, titles of 24 characters, ids 200.
pub const MAX_LIST_ROWS: usize = 10;
const MAX_ROW_TITLE_CHARS: usize = 24;
const MAX_ROW_ID_CHARS: usize = 200;
/// The customer-service window, less a margin for clocks and queues.
pub const SESSION_SECS: i64 = 24 * 3600 - 10 * 60;
/// Meta's error for a free-form message outside the window.
const OUTSIDE_WINDOW: i64 = 131047;

/// A send Meta refused: its error code (0 when it never answered) and
/// what that means for the caller.
#[derive(Debug)]
struct Refused {
    code: i64,
    error: SendError,
}

/// A template parameter's length we stay under (the whole body is 1024).
const MAX_TEMPLATE_PARAM_CHARS: usize = 900;

/// What one notification carried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notification {
    pub messages: Vec<Incoming>,
    pub statuses: Vec<DeliveryStatus>,
}

/// Read a notification (already verified). Changes for another phone
/// number of the same app are skipped, as are message kinds we cannot act
/// on (images, stickers, locations).
pub fn parse_notification(body: &[u8], phone_number_id: &str) -> Result<Notification, ParseError> {
    let root: Value =
        serde_json::from_slice(body).map_err(|e| ParseError::new(WHAT, e.to_string()))?;
    if root["object"] != "whatsapp_business_account" {
        return Err(ParseError::new(
            WHAT,
            "object is not whatsapp_business_account",
        ));
    }
    let entries = root["entry"]
        .as_array()
        .ok_or_else(|| ParseError::new(WHAT, "no entry list"))?;
    let mut out = Notification::default();
    for change in entries
        .iter()
        .filter_map(|e| e["changes"].as_array())
        .flatten()
    {
        if change["field"] != "messages" {
            continue;
        }
        let value = &change["value"];
        if value["metadata"]["phone_number_id"].as_str() != Some(phone_number_id) {
            continue;
        }
        let name_of = |wa_id: &str| -> Option<String> {
            value["contacts"]
                .as_array()?
                .iter()
                .find(|c| c["wa_id"].as_str() == Some(wa_id))
                .and_then(|c| c["profile"]["name"].as_str())
                .map(str::to_owned)
        };
        for message in value["messages"].as_array().into_iter().flatten() {
            let (Some(from), Some(id)) = (message["from"].as_str(), message["id"].as_str()) else {
                continue;
            };
            let text = match message["type"].as_str() {
                Some("text") => message["text"]["body"].as_str(),
                Some("interactive") => {
                    let interactive = &message["interactive"];
                    interactive["button_reply"]["id"]
                        .as_str()
                        .or(interactive["list_reply"]["id"].as_str())
                }
                // A quick-reply button of a template message.
                Some("button") => message["button"]["payload"]
                    .as_str()
                    .or(message["button"]["text"].as_str()),
                _ => None,
            };
            let Some(text) = text else { continue };
            out.messages.push(Incoming {
                channel: Channel::WhatsApp,
                sender_id: from.to_owned(),
                reply_to: from.to_owned(),
                sender_name: name_of(from),
                message_id: Some(id.to_owned()),
                language_hint: None,
                text: text.to_owned(),
                group: None,
                event: None,
            });
        }
        for status in value["statuses"].as_array().into_iter().flatten() {
            let (Some(id), Some(state)) = (status["id"].as_str(), status["status"].as_str()) else {
                continue;
            };
            let error = status["errors"]
                .as_array()
                .and_then(|e| e.first())
                .map(|e| {
                    format!(
                        "{} {}",
                        e["code"].as_i64().unwrap_or(0),
                        e["title"].as_str().unwrap_or("").trim()
                    )
                });
            out.statuses.push(DeliveryStatus {
                channel: Channel::WhatsApp,
                message_id: id.to_owned(),
                status: state.to_owned(),
                recipient: status["recipient_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                at: status["timestamp"]
                    .as_str()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0),
                error,
            });
        }
    }
    Ok(out)
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The message bodies (without `to`) for one [`Outgoing`] inside the
/// window: text split under 4096 characters, and buttons as reply buttons
/// (1-3) or a list (4-10) on an interactive last part of at most 1024.
pub fn render(message: &Outgoing) -> Vec<Value> {
    let buttons: Vec<_> = message
        .buttons
        .iter()
        .filter(|b| {
            b.link.is_none()
                && !b.command.is_empty()
                && b.command.chars().count() <= MAX_ROW_ID_CHARS
        })
        .take(MAX_LIST_ROWS)
        .collect();
    let mut parts = split_text(&message.text, MAX_TEXT_CHARS, |_| 1);
    let mut bodies = Vec::new();
    let last = if buttons.is_empty() {
        None
    } else {
        let last = parts.pop().unwrap_or_default();
        let mut tail = split_text(&last, MAX_INTERACTIVE_BODY_CHARS, |_| 1);
        let body = tail.pop().unwrap_or_default();
        parts.extend(tail);
        Some(body)
    };
    for part in parts {
        bodies.push(json!({ "type": "text", "text": { "preview_url": false, "body": part } }));
    }
    if let Some(body) = last {
        let body = if body.trim().is_empty() {
            "…".to_owned()
        } else {
            body
        };
        let interactive = if buttons.len() <= MAX_REPLY_BUTTONS {
            let list: Vec<Value> = buttons
                .iter()
                .map(|b| {
                    json!({ "type": "reply", "reply": {
                        "id": cut(&b.command, MAX_BUTTON_ID_CHARS),
                        "title": cut(&b.label, MAX_BUTTON_TITLE_CHARS),
                    }})
                })
                .collect();
            json!({ "type": "button", "body": { "text": body }, "action": { "buttons": list } })
        } else {
            let rows: Vec<Value> = buttons
                .iter()
                .map(|b| json!({ "id": b.command, "title": cut(&b.label, MAX_ROW_TITLE_CHARS), "description": cut(&b.command, 72) }))
                .collect();
            json!({ "type": "list", "body": { "text": body },
                    "action": { "button": "☰", "sections": [{ "rows": rows }] } })
        };
        bodies.push(json!({ "type": "interactive", "interactive": interactive }));
    }
    bodies
}

/// A template parameter: WhatsApp refuses new lines, tabs and runs of more
/// than four spaces in parameters, so lines are joined with " · ".
pub fn template_param(text: &str) -> String {
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    let single: String = joined.split_whitespace().collect::<Vec<_>>().join(" ");
    cut(&single, MAX_TEMPLATE_PARAM_CHARS)
}

/// The approved template alerts use outside the window: its name and
/// language code, with one body parameter ({{1}}) for the alert text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub language: String,
}

/// A Cloud API client for one business phone number.
pub struct WhatsAppClient {
    http: reqwest::Client,
    /// `{WHATSAPP_API_URL}/{phone_number_id}/messages`.
    endpoint: String,
    /// `{WHATSAPP_API_URL}/{phone_number_id}/media`, for pictures.
    media_endpoint: String,
    /// `Bearer <token>`; never logged.
    authorization: String,
    template: Template,
    pace: Pace,
}

impl std::fmt::Debug for WhatsAppClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppClient")
            .field("endpoint", &self.endpoint)
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

impl WhatsAppClient {
    pub fn new(
        api: &url::Url,
        phone_number_id: &str,
        access_token: &str,
        template: Template,
    ) -> Result<WhatsAppClient, SendError> {
        if phone_number_id.is_empty() || !phone_number_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SendError::Permanent(
                "WHATSAPP_PHONE_NUMBER_ID must be digits".into(),
            ));
        }
        let http = crate::http_client(20, None)?;
        let base = api.as_str().trim_end_matches('/');
        Ok(WhatsAppClient {
            http,
            endpoint: format!("{base}/{phone_number_id}/messages"),
            media_endpoint: format!("{base}/{phone_number_id}/media"),
            authorization: format!("Bearer {access_token}"),
            template,
            pace: Self::pace(),
        })
    }

    /// The Cloud API's default throughput, a little under: 80 messages a
    /// second per business number; and the pair rate, about one message
    /// every 6 s to one person (a reply of a few parts goes at once).
    pub fn pace() -> Pace {
        Pace::new(Some(Pace::every(76)), Some((Duration::from_secs(6), 4)))
    }

    /// Pace sends differently (tests; a number on a higher tier).
    pub fn with_pace(mut self, pace: Pace) -> WhatsAppClient {
        self.pace = pace;
        self
    }

    /// Send one message body to `to`; the `wamid` on success, else Meta's
    /// error code with what it means for us.
    async fn post(&self, to: &str, body: &Value) -> Result<String, Refused> {
        self.pace
            .admit(to)
            .await
            .map_err(|error| Refused { code: 0, error })?;
        let mut body = body.clone();
        body["messaging_product"] = json!("whatsapp");
        body["recipient_type"] = json!("individual");
        body["to"] = json!(to);
        let response = self
            .http
            .post(&self.endpoint)
            .header(reqwest::header::AUTHORIZATION, &self.authorization)
            .json(&body)
            .send()
            .await
            .map_err(|e| Refused {
                code: 0,
                error: SendError::Transient(e.without_url().to_string()),
            })?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(answer["messages"][0]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned());
        }
        Err(refusal(status, &answer))
    }

    /// Upload a picture; its media id, for an image message.
    async fn upload(&self, image: &Image) -> Result<String, Refused> {
        let transient = |e: String| Refused {
            code: 0,
            error: SendError::Transient(e),
        };
        let file = reqwest::multipart::Part::bytes(image.png.clone())
            .file_name(image.file_name.clone())
            .mime_str("image/png")
            .map_err(|e| transient(e.without_url().to_string()))?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", "image/png")
            .part("file", file);
        let response = self
            .http
            .post(&self.media_endpoint)
            .header(reqwest::header::AUTHORIZATION, &self.authorization)
            .multipart(form)
            .send()
            .await
            .map_err(|e| transient(e.without_url().to_string()))?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        match answer["id"].as_str() {
            Some(id) if status.is_success() && !id.is_empty() => Ok(id.to_owned()),
            _ if status.is_success() => Err(transient("media upload gave no id".into())),
            _ => Err(refusal(status, &answer)),
        }
    }

    /// Send `message` as the alert template (allowed outside the window).
    async fn send_template(&self, to: &str, message: &Outgoing) -> Result<String, Refused> {
        let body = json!({
            "type": "template",
            "template": {
                "name": self.template.name,
                "language": { "code": self.template.language },
                "components": [{
                    "type": "body",
                    "parameters": [{ "type": "text", "text": template_param(&message.text) }],
                }],
            },
        });
        self.post(to, &body).await
    }

    /// Send `image` as an image message, captioned with the message's text
    /// when that fits a caption and needs no buttons. The message id and
    /// whether the text went with it; `None` when Meta refuses the picture
    /// itself (size, type): that must not cost the person the answer, so
    /// the caller sends the text alone.
    async fn send_picture(
        &self,
        to: &str,
        image: &Image,
        message: &Outgoing,
    ) -> Result<Option<(String, bool)>, Refused> {
        // Not uploaded only to be handed back by the pace (and uploaded
        // again on the retry).
        self.pace
            .check(to)
            .map_err(|error| Refused { code: 0, error })?;
        let media = match self.upload(image).await {
            Ok(media) => media,
            Err(Refused {
                error: SendError::Permanent(why),
                ..
            }) => {
                tracing::warn!(%why, "chart upload refused; sending the text alone");
                return Ok(None);
            }
            Err(other) => return Err(other),
        };
        let captioned =
            message.buttons.is_empty() && message.text.chars().count() <= MAX_CAPTION_CHARS;
        let mut picture = json!({ "id": media });
        if captioned {
            picture["caption"] = json!(message.text);
        }
        let id = self
            .post(to, &json!({ "type": "image", "image": picture }))
            .await?;
        Ok(Some((id, captioned)))
    }

    async fn send_free(&self, to: &str, messages: &[Outgoing]) -> Result<Vec<String>, Refused> {
        let mut ids = Vec::new();
        for message in messages {
            if let Some(image) = &message.image {
                if let Some((id, captioned)) = self.send_picture(to, image, message).await? {
                    ids.push(id);
                    if captioned {
                        continue;
                    }
                }
            }
            for body in render(message) {
                ids.push(self.post(to, &body).await?);
            }
        }
        Ok(ids)
    }
}

/// What a Graph API error answer means for us: Meta's error code, and
/// whether to retry, give up on the message, or give up on the person.
fn refusal(status: reqwest::StatusCode, answer: &Value) -> Refused {
    let error = &answer["error"];
    let code = error["code"].as_i64().unwrap_or(0);
    let why = format!(
        "{status}: {} (code {code})",
        error["message"].as_str().unwrap_or("no message")
    );
    let error = match code {
        // Throughput, pair rate, and the app's own call limits.
        130429 | 4 | 80007 => SendError::RetryAfter(1),
        131056 => SendError::RetryAfter(6),
        // Outside the window, undeliverable, blocked, bad number.
        // Undeliverable (no WhatsApp, blocked us, old app), not an
        // allowed test recipient, or our own number.
        131026 | 131030 | 131021 => SendError::Unreachable(why),
        OUTSIDE_WINDOW | 131051 | 100 => SendError::Permanent(why),
        _ if status.is_server_error() => SendError::Transient(why),
        // An expired access token is the operator's to fix; keep the message.
        190 => SendError::Transient(why),
        _ if status.is_client_error() => SendError::Permanent(why),
        _ => SendError::Transient(why),
    };
    Refused { code, error }
}

/// Whether a free-form message may go to someone who last wrote at
/// `last_inbound_at`, at `now` (UTC seconds).
pub fn in_session(last_inbound_at: Option<i64>, now: i64) -> bool {
    last_inbound_at.is_some_and(|at| now.saturating_sub(at) < SESSION_SECS)
}

impl Sender for WhatsAppClient {
    fn send<'a>(
        &'a self,
        reply_to: &'a str,
        messages: &'a [Outgoing],
    ) -> BoxFuture<'a, Result<Vec<String>, SendError>> {
        Box::pin(async move {
            self.send_free(reply_to, messages)
                .await
                .map_err(|r| r.error)
        })
    }

    fn notify<'a>(
        &'a self,
        reply_to: &'a str,
        messages: &'a [Outgoing],
        last_inbound_at: Option<i64>,
        _key: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, SendError>> {
        Box::pin(async move {
            if in_session(last_inbound_at, unix_now()) {
                match self.send_free(reply_to, messages).await {
                    // Meta says the window has closed after all (clocks,
                    // a reply we did not see): fall back to the template.
                    Err(Refused {
                        code: OUTSIDE_WINDOW,
                        ..
                    }) => {}
                    other => return other.map_err(|r| r.error),
                }
            }
            let mut ids = Vec::new();
            for message in messages {
                ids.push(
                    self.send_template(reply_to, message)
                        .await
                        .map_err(|r| r.error)?,
                );
            }
            Ok(ids)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHONE: &str = "106540352242922";

    fn envelope(value: Value) -> Vec<u8> {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}]})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn text_and_interactive_messages_become_incoming() {
        let body = envelope(json!({
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE},
            "contacts": [{"profile": {"name": "Ann"}, "wa_id": "447700900123"}],
            "messages": [
                {"from": "447700900123", "id": "wamid.A", "timestamp": "1795435200", "type": "text", "text": {"body": "list"}},
                {"from": "447700900123", "id": "wamid.B", "timestamp": "1795435201", "type": "interactive",
                 "interactive": {"type": "button_reply", "button_reply": {"id": "pause 2", "title": "Pause"}}},
                {"from": "447700900123", "id": "wamid.C", "timestamp": "1795435202", "type": "interactive",
                 "interactive": {"type": "list_reply", "list_reply": {"id": "history 1", "title": "History"}}},
                {"from": "447700900123", "id": "wamid.D", "timestamp": "1795435203", "type": "image", "image": {"id": "m"}},
            ]
        }));
        let parsed = parse_notification(&body, PHONE).unwrap();
        let texts: Vec<&str> = parsed.messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["list", "pause 2", "history 1"]);
        assert_eq!(parsed.messages[0].sender_name.as_deref(), Some("Ann"));
        assert_eq!(parsed.messages[0].message_id.as_deref(), Some("wamid.A"));
        assert_eq!(parsed.messages[0].reply_to, "447700900123");
        // Another number of the same app is not ours.
        assert!(parse_notification(&body, "999")
            .unwrap()
            .messages
            .is_empty());
    }

    #[test]
    fn statuses_are_read_with_their_errors() {
        let body = envelope(json!({
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE},
            "statuses": [
                {"id": "wamid.X", "status": "read", "timestamp": "1795435300", "recipient_id": "447700900123"},
                {"id": "wamid.Y", "status": "failed", "timestamp": "1795435301", "recipient_id": "447700900123",
                 "errors": [{"code": 131047, "title": "Re-engagement message"}]},
            ]
        }));
        let parsed = parse_notification(&body, PHONE).unwrap();
        assert_eq!(parsed.statuses.len(), 2);
        assert_eq!(parsed.statuses[0].status, "read");
        assert_eq!(parsed.statuses[0].at, 1_795_435_300);
        assert_eq!(
            parsed.statuses[1].error.as_deref(),
            Some("131047 Re-engagement message")
        );
        assert!(parse_notification(b"{\"object\":\"page\"}", PHONE).is_err());
        assert!(parse_notification(b"nonsense", PHONE).is_err());
    }

    #[test]
    fn buttons_become_reply_buttons_or_a_list_within_limits() {
        let three = Outgoing::text("x".repeat(5000))
            .with_button("Pause this watch please", "pause 1")
            .with_button("Delete", "delete 1")
            .with_button("History", "history 1");
        let bodies = render(&three);
        assert_eq!(bodies.len(), 2);
        assert_eq!(bodies[0]["type"], "text");
        let interactive = &bodies[1]["interactive"];
        assert_eq!(interactive["type"], "button");
        assert!(
            interactive["body"]["text"]
                .as_str()
                .unwrap()
                .chars()
                .count()
                <= MAX_INTERACTIVE_BODY_CHARS
        );
        assert_eq!(
            interactive["action"]["buttons"][0]["reply"]["title"]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            20
        );
        assert_eq!(
            interactive["action"]["buttons"][0]["reply"]["id"],
            "pause 1"
        );
        let mut many = Outgoing::text("Your list");
        for i in 0..12 {
            many = many.with_button(format!("History #{i}"), format!("history {i}"));
        }
        let bodies = render(&many);
        assert_eq!(bodies.len(), 1);
        assert_eq!(bodies[0]["interactive"]["type"], "list");
        assert_eq!(
            bodies[0]["interactive"]["action"]["sections"][0]["rows"]
                .as_array()
                .unwrap()
                .len(),
            10
        );
        let plain = render(&Outgoing::text("hello"));
        assert_eq!(
            plain,
            vec![json!({"type": "text", "text": {"preview_url": false, "body": "hello"}})]
        );
    }

    #[test]
    fn template_parameters_have_no_new_lines_or_long_space_runs() {
        let param =
            template_param("Price drop!\n\n#1 Kettle      now £20\n\thttps://shop.example/k");
        assert_eq!(
            param,
            "Price drop! · #1 Kettle now £20 · https://shop.example/k"
        );
        assert!(template_param(&"word ".repeat(1000)).chars().count() <= MAX_TEMPLATE_PARAM_CHARS);
    }

    #[test]
    fn the_window_is_24_hours_from_the_last_message() {
        let now = 1_795_435_200;
        assert!(in_session(Some(now - 3600), now));
        assert!(!in_session(Some(now - 24 * 3600), now));
        assert!(!in_session(None, now));
    }
}
