//! Discord interactions as Discord sends them, for tests: shared by the
//! adapter's unit tests (`bots/src/discord/tests.rs`) and the workspace's
//! integration tests (`tests/common/fake_api.rs`), both by `#[path]`.
#![allow(dead_code)]

use serde_json::{json, Value};

/// An interaction as Discord sends it: `partial` with the fields
/// Discord always includes (and serenity's types require) filled in
/// where the test left them out.
pub fn complete(partial: Value) -> Value {
    if !partial.is_object() {
        return partial;
    }
    let mut v = partial;
    let kind = v["type"].as_u64().unwrap_or(0);
    let defaults = json!({
        "application_id": "9", "version": 1, "locale": "en-GB", "entitlements": [],
        "attachment_size_limit": 10_485_760, "authorizing_integration_owners": {},
    });
    for (key, value) in defaults.as_object().unwrap() {
        if kind != 1 && v.get(key).is_none() {
            v[key] = value.clone();
        }
    }
    if v.get("channel_id").is_some() && v.get("channel").is_none() {
        v["channel"] = json!({ "id": v["channel_id"], "type": if v.get("guild_id").is_some() { 0 } else { 1 } });
    }
    let user = |u: &mut Value| {
        if u.get("username").is_none() {
            u["username"] = json!("someone");
        }
    };
    if let Some(member) = v.get_mut("member") {
        for (key, value) in [
            ("roles", json!([])),
            ("deaf", json!(false)),
            ("mute", json!(false)),
            ("flags", json!(0)),
            ("joined_at", json!("2025-01-01T00:00:00+00:00")),
        ] {
            if member.get(key).is_none() {
                member[key] = value;
            }
        }
        user(&mut member["user"]);
    }
    if let Some(u) = v.get_mut("user") {
        user(u);
    }
    if kind == 2 {
        let data = &mut v["data"];
        if data.is_object() {
            if !data["id"]
                .as_str()
                .is_some_and(|id| id.bytes().all(|b| b.is_ascii_digit()))
            {
                data["id"] = json!("1");
            }
            if data.get("type").is_none() {
                data["type"] = json!(1);
            }
        }
    }
    if kind == 3 {
        let channel = v["channel_id"].clone();
        let message = v.get("message").cloned().unwrap_or(json!({}));
        let id = message["id"]
            .as_str()
            .filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or("1");
        v["message"] = json!({
            "id": id, "channel_id": channel, "content": "", "timestamp": "2025-01-01T00:00:00+00:00",
            "edited_timestamp": null, "tts": false, "mention_everyone": false, "mentions": [],
            "mention_roles": [], "attachments": [], "embeds": [], "pinned": false, "type": 0,
            "author": { "id": "9", "username": "Dealwatch", "bot": true },
        });
    }
    v
}
