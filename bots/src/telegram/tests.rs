use super::*;

#[test]
fn a_text_message_becomes_incoming() {
    let body =
        br#"{"update_id":1001,"message":{"message_id":7,"date":1,"chat":{"id":42,"type":"private"},
        "from":{"id":42,"is_bot":false,"first_name":"Ann","language_code":"de"},"text":"list"}}"#;
    let parsed = parse_update(body).unwrap().unwrap();
    assert_eq!(parsed.incoming.sender_id, "42");
    assert_eq!(parsed.incoming.reply_to, "42");
    assert_eq!(parsed.incoming.message_id.as_deref(), Some("1001"));
    assert_eq!(parsed.incoming.language_hint.as_deref(), Some("de"));
    assert_eq!(parsed.incoming.text, "list");
    assert_eq!(parsed.incoming.group, None);
    assert_eq!(parsed.callback_query_id, None);
}

fn in_chat(chat: &str, text: &str) -> Vec<u8> {
    format!(
        r#"{{"update_id":1001,"message":{{"message_id":7,"date":1,"chat":{chat},
        "from":{{"id":42,"is_bot":false,"first_name":"Ann"}},"text":"{text}"}}}}"#
    )
    .into_bytes()
}

#[test]
fn a_group_message_keeps_replies_private_and_names_the_group() {
    for kind in ["group", "supergroup"] {
        let body = in_chat(
            &format!(r#"{{"id":-100123,"type":"{kind}"}}"#),
            "/list@DealwatchBot",
        );
        let parsed = parse_update_as(&body, Some("DealwatchBot"))
            .unwrap()
            .unwrap();
        assert_eq!(parsed.incoming.sender_id, "42");
        assert_eq!(
            parsed.incoming.reply_to, "42",
            "the sender's private chat, never the group"
        );
        let group = parsed.incoming.group.unwrap();
        assert_eq!(group.address, "-100123");
        assert!(!group.sender_can_manage, "not known from the update");
        assert!(!group.private_replies);
    }
    // A chat without a type is not a chat teloxide reads: the update
    // is ignored, never taken for a private one.
    let untyped = in_chat(r#"{"id":-5}"#, "/list");
    assert!(parse_update(&untyped).unwrap().is_none());
}

#[test]
fn in_groups_only_commands_for_us_are_read() {
    let group = r#"{"id":-100123,"type":"supergroup"}"#;
    let read = |text: &str, us: Option<&str>| {
        parse_update_as(&in_chat(group, text), us)
            .unwrap()
            .is_some()
    };
    assert!(read("/list", Some("DealwatchBot")));
    assert!(read("/list@dealwatchbot", Some("DealwatchBot")));
    assert!(!read("/list@OtherBot", Some("DealwatchBot")));
    assert!(
        read("/list@OtherBot", None),
        "without our name, any address is ours"
    );
    assert!(!read("ordinary chatter about a list", Some("DealwatchBot")));
    assert!(!read("/", Some("DealwatchBot")));
    // In a private chat everything is read.
    let private = in_chat(r#"{"id":42,"type":"private"}"#, "what am I watching");
    assert!(parse_update_as(&private, Some("DealwatchBot"))
        .unwrap()
        .is_some());
}

#[test]
fn a_private_chat_link_needs_the_bot_username() {
    let message = Outgoing::text("Open our chat").with_link("Open", Link::PrivateChat);
    let without = render(&message, None);
    assert!(without[0].keyboard.is_none());
    let with = render(&message, Some("DealwatchBot"));
    let markup = serde_json::to_value(with[0].keyboard.as_ref().unwrap()).unwrap();
    assert_eq!(
        markup["inline_keyboard"][0][0]["url"],
        "https://t.me/DealwatchBot"
    );
}

#[test]
fn a_button_press_becomes_its_command() {
    let body = br#"{"update_id":1002,"callback_query":{"id":"cbq-9","from":{"id":42,"is_bot":false,"first_name":"Ann"},
        "message":{"message_id":8,"date":1,"chat":{"id":42,"type":"private"}},"chat_instance":"x","data":"pause 3"}}"#;
    let parsed = parse_update(body).unwrap().unwrap();
    assert_eq!(parsed.incoming.text, "pause 3");
    assert_eq!(parsed.callback_query_id.as_deref(), Some("cbq-9"));
}

#[test]
fn other_updates_are_ignored_and_garbage_refused() {
    let edited = br#"{"update_id":5,"edited_message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"text":"x"}}"#;
    assert!(parse_update(edited).unwrap().is_none());
    let sticker = br#"{"update_id":6,"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"from":{"id":1,"is_bot":false,"first_name":"A"}}}"#;
    assert!(parse_update(sticker).unwrap().is_none());
    let from_bot = br#"{"update_id":7,"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"from":{"id":1,"is_bot":true,"first_name":"B"},"text":"hi"}}"#;
    assert!(parse_update(from_bot).unwrap().is_none());
    assert!(parse_update(b"not json").is_err());
    assert!(parse_update(b"{}").is_err());
}

#[test]
fn long_text_is_split_and_escaped_within_the_limit() {
    let line = "<Deal> & more, ".repeat(20);
    let text = vec![line; 40].join("\n");
    let parts = render(&Outgoing::text(text).with_button("Pause", "pause 1"), None);
    assert!(parts.len() > 1);
    for part in &parts {
        let sent = &part.html;
        assert!(
            sent.chars().count() <= MAX_TEXT_CHARS,
            "{}",
            sent.chars().count()
        );
        assert!(!sent.contains('<'), "unescaped markup");
    }
    let markup = serde_json::to_value(parts.last().unwrap().keyboard.as_ref().unwrap()).unwrap();
    assert_eq!(markup["inline_keyboard"][0][0]["callback_data"], "pause 1");
    assert!(parts[0].keyboard.is_none());
}

#[test]
fn a_card_is_html_with_its_headline_linked_and_everything_escaped() {
    let card = crate::Card::new(
        "<b>PS5</b> & more",
        "https://shop.example/p?a=1&b=\"2\"",
        "£399 <was £479>".into(),
        None,
    )
    .unwrap();
    let (html, shown) = card_html(&card);
    assert_eq!(
        html,
        "<b><a href=\"https://shop.example/p?a=1&amp;b=&quot;2&quot;\">&lt;b&gt;PS5&lt;/b&gt; &amp; more</a></b>\n£399 &lt;was £479&gt;"
    );
    assert_eq!(
        shown,
        "<b>PS5</b> & more".chars().count() + 1 + "£399 <was £479>".chars().count()
    );
}

/// A flood of group commands from many people and groups cannot
/// grow the administrators' cache without bound.
#[test]
fn the_admin_cache_stays_bounded() {
    let cache = AdminCache::default();
    for i in 0..(AdminCache::MAX + 500) {
        cache.put(&format!("-{i}"), "42", i % 2 == 0);
    }
    let kept = cache.0.lock().unwrap().len();
    assert!(kept <= AdminCache::MAX, "{kept}");
    let last = AdminCache::MAX + 499;
    assert_eq!(cache.get(&format!("-{last}"), "42"), Some(false));
    assert_eq!(cache.get("-unknown", "42"), None);
}

/// teloxide's errors become what the dispatcher acts on: wait, follow
/// the group, give the chat up, drop the message, or try again.
#[test]
fn request_errors_map_onto_send_errors() {
    use teloxide_core::types::Seconds;
    let read = |body: &str| -> SendError {
        // The Bot API's error bodies, read by teloxide's own types.
        let error: Result<teloxide_core::types::True, RequestError> =
            match serde_json::from_str::<serde_json::Value>(body) {
                Ok(v) => {
                    let description = v["description"].as_str().unwrap_or_default();
                    if let Some(wait) = v["parameters"]["retry_after"].as_u64() {
                        Err(RequestError::RetryAfter(Seconds::from_seconds(wait as u32)))
                    } else if let Some(to) = v["parameters"]["migrate_to_chat_id"].as_i64() {
                        Err(RequestError::MigrateToChatId(ChatId(to)))
                    } else {
                        Err(RequestError::Api(
                            serde_json::from_value(serde_json::json!(description)).unwrap(),
                        ))
                    }
                }
                Err(e) => Err(RequestError::InvalidJson {
                    source: std::sync::Arc::new(e),
                    raw: body.into(),
                }),
            };
        send_error(error.unwrap_err())
    };
    let table = [
        (
            r#"{"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#,
            SendError::RetryAfter(7),
        ),
        (
            r#"{"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001}}"#,
            SendError::Moved("-1001".into()),
        ),
        (
            r#"{"description":"Forbidden: bot was blocked by the user"}"#,
            SendError::Unreachable(String::new()),
        ),
        (
            r#"{"description":"Forbidden: bot was kicked from the supergroup chat"}"#,
            SendError::Unreachable(String::new()),
        ),
        (
            r#"{"description":"Bad Request: chat not found"}"#,
            SendError::Unreachable(String::new()),
        ),
        (
            r#"{"description":"Forbidden: some new reason"}"#,
            SendError::Unreachable(String::new()),
        ),
        (
            r#"{"description":"Bad Request: message is too long"}"#,
            SendError::Permanent(String::new()),
        ),
        (
            r#"{"description":"Bad Request: something new"}"#,
            SendError::Permanent(String::new()),
        ),
        (
            r#"{"description":"Internal Server Error"}"#,
            SendError::Transient(String::new()),
        ),
        (
            "<html>502 Bad Gateway</html>",
            SendError::Transient(String::new()),
        ),
    ];
    for (body, want) in table {
        let got = read(body);
        assert_eq!(
            std::mem::discriminant(&got),
            std::mem::discriminant(&want),
            "{body}: {got:?}"
        );
        if let (SendError::RetryAfter(_) | SendError::Moved(_), _) = (&want, ()) {
            assert_eq!(got, want, "{body}");
        }
    }
}

#[test]
fn a_chat_is_an_id_or_a_channel_name() {
    assert_eq!(recipient("-1001").unwrap(), Recipient::Id(ChatId(-1001)));
    assert_eq!(
        recipient("@deals_channel").unwrap(),
        Recipient::ChannelUsername("@deals_channel".into())
    );
    for bad in ["", "@x", "deals channel", "@deals/../x"] {
        assert!(recipient(bad).is_err(), "{bad}");
    }
}

#[test]
fn one_enormous_word_is_still_split() {
    let parts = split(&"x".repeat(10_000), MAX_TEXT_CHARS);
    assert_eq!(parts.iter().map(|p| p.len()).sum::<usize>(), 10_000);
    assert!(parts.iter().all(|p| p.len() <= MAX_TEXT_CHARS));
}
