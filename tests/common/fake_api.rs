//! A recording fake of a platform's REST API on loopback: every request is
//! kept (method, path, headers, body) for the test to check against the
//! platform's documented API, and each answer comes from a function the
//! test supplies, so one fake serves Discord, WhatsApp or any other API.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    pub headers: HeaderMap,
    /// The body as JSON (`Null` when it is not JSON, e.g. multipart).
    pub body: Value,
    /// The body as text, lossily (multipart forms, with their files).
    pub raw: String,
}

impl Call {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

type Answer = dyn Fn(&Call, usize) -> (StatusCode, Value) + Send + Sync;

#[derive(Clone)]
pub struct FakeApi {
    pub calls: Arc<Mutex<Vec<Call>>>,
    answer: Arc<Answer>,
    pub url: url::Url,
}

impl FakeApi {
    /// Serve on a free loopback port; `answer` gets each call and its
    /// number (1-based) and returns the status and JSON body.
    pub async fn start(
        answer: impl Fn(&Call, usize) -> (StatusCode, Value) + Send + Sync + 'static,
    ) -> FakeApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = url::Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let api = FakeApi {
            calls: Arc::new(Mutex::new(Vec::new())),
            answer: Arc::new(answer),
            url,
        };
        let router = Router::new().fallback(record).with_state(api.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        api
    }

    /// The API's base URL with a path prefix, as a `*_API_URL` setting.
    pub fn base(&self, prefix: &str) -> url::Url {
        self.url.join(prefix).unwrap()
    }

    /// Wait (up to 5 s) until `ready` holds for the calls so far, then
    /// take them all, leaving none: for what a service does on its own at
    /// start-up, before the test begins.
    pub async fn take_when(&self, ready: impl Fn(&[Call]) -> bool) -> Vec<Call> {
        for _ in 0..200 {
            if ready(&self.calls()) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        std::mem::take(&mut *self.calls.lock().unwrap())
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Calls whose method and path match.
    pub fn to(&self, method: &str, path: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method && c.path == path)
            .collect()
    }
}

async fn record(
    State(api): State<FakeApi>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed = read_body(&headers, &body);
    let call = Call {
        method: method.to_string(),
        path: telegram::method_as_documented(
            &uri.path_and_query()
                .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned()),
        ),
        headers,
        body: parsed,
        raw: String::from_utf8_lossy(&body).into_owned(),
    };
    let n = {
        let mut calls = api.calls.lock().unwrap();
        calls.push(call.clone());
        calls.len()
    };
    let (status, body) = (api.answer)(&call, n);
    (status, axum::Json(body)).into_response()
}

/// A request body as the platform reads it: JSON as it is, and a
/// multipart form (file uploads; Telegram's photos) as an object of its
/// text fields, each a string or, when it holds JSON (`reply_markup`),
/// that JSON. Telegram takes `chat_id` as an integer or a string; the
/// fake reads it as text either way.
pub fn read_body(headers: &HeaderMap, body: &[u8]) -> Value {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut value = match content_type.split_once("boundary=") {
        Some((kind, boundary)) if kind.starts_with("multipart/form-data") => {
            form_fields(&String::from_utf8_lossy(body), boundary.trim_matches('"'))
        }
        _ => serde_json::from_slice(body).unwrap_or(Value::Null),
    };
    if let Some(id) = value.get("chat_id").and_then(Value::as_i64) {
        value["chat_id"] = Value::String(id.to_string());
    }
    value
}

fn form_fields(body: &str, boundary: &str) -> Value {
    let mut fields = serde_json::Map::new();
    for part in body.split(&format!("--{boundary}")) {
        let Some((head, content)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        if head.contains("filename=") {
            continue;
        }
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        else {
            continue;
        };
        let content = content.strip_suffix("\r\n").unwrap_or(content);
        let value = if content.starts_with('{') || content.starts_with('[') {
            serde_json::from_str(content).unwrap_or_else(|_| Value::String(content.to_owned()))
        } else {
            Value::String(content.to_owned())
        };
        fields.insert(name.to_owned(), value);
    }
    Value::Object(fields)
}

/// Bot API objects as Telegram returns them, complete enough for
/// teloxide's types (which want every field Telegram always sends).
pub mod telegram {
    use serde_json::{json, Value};

    /// Bot API method names are case-insensitive, and teloxide sends
    /// them capitalised (`/bot<token>/SendMessage`); the fakes record a
    /// Bot API path with the method as the documentation spells it
    /// (`sendMessage`). Other paths are kept as they are.
    pub fn method_as_documented(path: &str) -> String {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match segments.as_slice() {
            [bot, method] if bot.starts_with("bot") && !method.is_empty() => {
                let mut chars = method.chars();
                let first = chars
                    .next()
                    .map(|c| c.to_ascii_lowercase())
                    .unwrap_or_default();
                format!("/{bot}/{first}{}", chars.as_str())
            }
            _ => path.to_owned(),
        }
    }

    /// `{"ok": true, "result": …}`.
    pub fn ok(result: Value) -> Value {
        json!({ "ok": true, "result": result })
    }

    /// The answer to a send: the Message it made, in the chat it was
    /// sent to.
    pub fn sent(call: &super::Call, n: usize) -> Value {
        let chat = call.body["chat_id"]
            .as_str()
            .and_then(|c| c.parse::<i64>().ok())
            .unwrap_or(1);
        ok(message(n, chat))
    }

    /// A message with id `n` in `chat`.
    pub fn message(n: usize, chat: i64) -> Value {
        let chat = if chat < 0 {
            json!({ "id": chat, "type": "supergroup", "title": "Group" })
        } else {
            json!({ "id": chat, "type": "private", "first_name": "Someone" })
        };
        json!({ "message_id": n, "date": 1_700_000_000, "chat": chat })
    }

    /// `getMe`: the bot.
    pub fn me(id: i64, username: &str) -> Value {
        json!({
            "id": id, "is_bot": true, "first_name": "Dealwatch", "username": username,
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false,
            "has_main_web_app": false
        })
    }

    /// `getChatMember`: `status` is `creator`, `administrator` (with or
    /// without the right to post in a channel), `member` or `kicked`.
    pub fn member(user: i64, is_bot: bool, status: &str, can_post: bool) -> Value {
        let user = json!({ "id": user, "is_bot": is_bot, "first_name": "X" });
        match status {
            "creator" => json!({ "status": "creator", "user": user, "is_anonymous": false }),
            "administrator" => json!({
                "status": "administrator", "user": user, "is_anonymous": false,
                "can_be_edited": false, "can_manage_chat": true, "can_change_info": true,
                "can_post_messages": can_post, "can_edit_messages": can_post,
                "can_delete_messages": true, "can_manage_video_chats": true,
                "can_invite_users": true, "can_restrict_members": true,
                "can_promote_members": false
            }),
            "kicked" => json!({ "status": "kicked", "user": user, "until_date": 0 }),
            _ => json!({ "status": "member", "user": user }),
        }
    }

    /// `getChat`: a channel or supergroup with an optional `@username`.
    pub fn chat(id: i64, kind: &str, title: &str, username: Option<&str>) -> Value {
        let mut chat = json!({
            "id": id, "type": kind, "title": title, "max_reaction_count": 11,
            "accepted_gift_types": { "unlimited_gifts": false, "limited_gifts": false,
                "unique_gifts": false, "premium_subscription": false },
        });
        if let Some(username) = username {
            chat["username"] = json!(username);
        }
        chat
    }
}

#[path = "../../bots/tests_support/discord_interaction.rs"]
mod discord_interaction;

/// Discord's objects as Discord sends them, complete enough for
/// serenity's types.
pub mod discord {
    use serde_json::{json, Value};

    /// The answer to a bulk overwrite of commands: each as saved, with
    /// the ids and version Discord gives it.
    pub fn commands_saved(body: &Value) -> Value {
        let saved: Vec<Value> = body
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, command)| {
                let mut command = command.clone();
                command["id"] = json!((1000 + i).to_string());
                command["application_id"] = json!("9");
                command["version"] = json!("1");
                command["default_member_permissions"] = Value::Null;
                command
            })
            .collect();
        Value::Array(saved)
    }

    #[allow(unused_imports)] // not every suite posts interactions
    pub use super::discord_interaction::complete;
}
