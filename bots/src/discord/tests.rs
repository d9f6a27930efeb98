use super::*;
use serde_json::json;

use super::fixture::complete;

/// [`complete`] as bytes.
fn sent(partial: &str) -> Vec<u8> {
    serde_json::to_vec(&complete(serde_json::from_str(partial).unwrap())).unwrap()
}

/// A post as a channel message's JSON.
fn body(post: &Post) -> Value {
    serde_json::to_value(post.for_channel(None)).unwrap()
}

fn specs() -> Vec<CommandSpec> {
    let option = |name: &str, kind, required, text| OptionSpec {
        name: name.into(),
        description: format!("the {name}"),
        localized: Vec::new(),
        kind,
        required,
        choices: Vec::new(),
        text,
    };
    vec![
        CommandSpec {
            name: "watch".into(),
            description: "Track a product page".into(),
            localized: vec![("de".into(), "Eine Produktseite beobachten".into())],
            options: vec![
                option("url", OptionKind::Text, true, OptionText::Value),
                option(
                    "below",
                    OptionKind::Text,
                    false,
                    OptionText::Keyword("below".into()),
                ),
                option(
                    "instock",
                    OptionKind::Flag,
                    false,
                    OptionText::Flag("instock".into()),
                ),
            ],
        },
        CommandSpec {
            name: "alert".into(),
            description: "A deal rule".into(),
            localized: Vec::new(),
            options: vec![
                option("words", OptionKind::Text, true, OptionText::Value),
                option(
                    "exclude",
                    OptionKind::Text,
                    false,
                    OptionText::EachWord("-".into()),
                ),
                option(
                    "under",
                    OptionKind::Text,
                    false,
                    OptionText::Keyword("under".into()),
                ),
            ],
        },
    ]
}

#[test]
fn ping_is_recognised() {
    assert_eq!(
        parse_interaction(
            br#"{"id":"1","type":1,"application_id":"9","token":"t","version":1}"#,
            &specs()
        )
        .unwrap(),
        Interaction::Ping
    );
}

#[test]
fn a_slash_command_reads_as_its_text_command_in_spec_order() {
    let body = r#"{"id":"111","type":2,"token":"tok-1","channel_id":"55","locale":"de",
        "user":{"id":"42","username":"ann","global_name":"Ann"},
        "data":{"id":"c1","name":"watch","type":1,"options":[
            {"name":"instock","type":5,"value":true},{"name":"below","type":3,"value":"£40"},
            {"name":"url","type":3,"value":" https://shop.example/p/1 "}]}}"#;
    let Interaction::Message(parsed) = parse_interaction(&sent(body), &specs()).unwrap() else {
        panic!()
    };
    assert_eq!(
        parsed.incoming.text,
        "watch https://shop.example/p/1 below £40 instock"
    );
    assert_eq!(parsed.incoming.sender_id, "42");
    assert_eq!(parsed.incoming.reply_to, "@42");
    assert_eq!(parsed.incoming.message_id.as_deref(), Some("111"));
    assert_eq!(parsed.incoming.language_hint.as_deref(), Some("de"));
    assert_eq!(parsed.incoming.group, None);
    assert!(!parsed.ephemeral);
    assert_eq!(parsed.reply_token, "0:tok-1");
}

#[test]
fn exclusions_get_their_minus_and_guild_context_is_kept() {
    let body = r#"{"id":"112","type":2,"token":"tok-2","guild_id":"7","channel_id":"900",
        "app_permissions":"19456",
        "member":{"user":{"id":"43","username":"bob"},"permissions":"16"},
        "data":{"name":"alert","options":[{"name":"words","type":3,"value":"gaming pc"},
            {"name":"exclude","type":3,"value":"mac -ipad"},{"name":"under","type":3,"value":"800"}]}}"#;
    let Interaction::Message(parsed) = parse_interaction(&sent(body), &specs()).unwrap() else {
        panic!()
    };
    assert_eq!(parsed.incoming.text, "alert gaming pc -mac -ipad under 800");
    let group = parsed.incoming.group.unwrap();
    assert_eq!(group.address, "900");
    assert!(group.sender_can_manage);
    assert!(group.we_can_post, "19456 = view + send + embed links");
    assert!(parsed.ephemeral);
    assert_eq!(parsed.reply_token, "64:tok-2");
}

#[test]
fn without_manage_channels_the_sender_cannot_manage() {
    let body = r#"{"id":"113","type":2,"token":"t","guild_id":"7","channel_id":"900","app_permissions":"0",
        "member":{"user":{"id":"44"},"permissions":"2048"},"data":{"name":"list"}}"#;
    let Interaction::Message(parsed) = parse_interaction(&sent(body), &specs()).unwrap() else {
        panic!()
    };
    let group = parsed.incoming.group.unwrap();
    assert!(!group.sender_can_manage);
    assert!(!group.we_can_post);
    assert_eq!(parsed.incoming.text, "list");
}

#[test]
fn a_button_press_is_its_command_and_garbage_is_refused() {
    let body = r#"{"id":"114","type":3,"token":"t","channel_id":"5","user":{"id":"42"},
        "data":{"custom_id":"pause 3","component_type":2}}"#;
    let Interaction::Message(parsed) = parse_interaction(&sent(body), &specs()).unwrap() else {
        panic!()
    };
    assert_eq!(parsed.incoming.text, "pause 3");
    assert!(parse_interaction(b"[]", &specs()).is_err());
    assert!(parse_interaction(
        &sent(r#"{"id":"1","type":2,"token":"t","channel_id":"5","user":{"id":"1"}}"#),
        &specs()
    )
    .is_err());
    assert!(parse_interaction(
        &sent(r#"{"id":"1","type":2,"token":"t","channel_id":"5","data":{"name":"list"}}"#),
        &specs()
    )
    .is_err());
    // A bot's press, and a kind newer than us, are not acted on.
    let by_bot = r#"{"id":"115","type":3,"token":"t","channel_id":"5","user":{"id":"7","bot":true},
        "data":{"custom_id":"pause 3","component_type":2}}"#;
    assert_eq!(
        parse_interaction(&sent(by_bot), &specs()).unwrap(),
        Interaction::Ignored
    );
    assert_eq!(
        parse_interaction(br#"{"id":"1","type":9,"token":"t"}"#, &specs()).unwrap(),
        Interaction::Ignored
    );
    assert_eq!(
        parse_interaction(br#"{"id":"1","type":4,"token":"t"}"#, &specs()).unwrap(),
        Interaction::Autocomplete
    );
    assert_eq!(
        parse_interaction(br#"{"id":"1","type":5,"token":"t"}"#, &specs()).unwrap(),
        Interaction::Ignored
    );
}

#[test]
fn a_card_is_one_embed_with_a_linked_title_and_a_thumbnail() {
    let card = crate::Card::new(
        "🔥 PS5 *Slim*",
        "https://shop.example/ps5",
        "£399.00 (was £479.99, −17%)\nat Shop & Co".into(),
        Some("https://img.example/ps5.jpg"),
    );
    let message = Outgoing::text("plain").with_card(card);
    let bodies: Vec<Value> = render(&message, false).iter().map(body).collect();
    assert_eq!(bodies.len(), 1);
    let embed = &bodies[0]["embeds"][0];
    assert_eq!(embed["title"], "🔥 PS5 \\*Slim\\*");
    assert_eq!(embed["url"], "https://shop.example/ps5");
    assert_eq!(embed["thumbnail"]["url"], "https://img.example/ps5.jpg");
    assert!(embed["description"].as_str().unwrap().contains("−17%"));
    // A title past Discord's 256 characters is cut.
    let long = crate::Card::new(&"x".repeat(400), "https://s.example/", String::new(), None);
    let long = &body(&render(&Outgoing::text("plain").with_card(long), false)[0]);
    assert_eq!(
        long["embeds"][0]["title"].as_str().unwrap().chars().count(),
        256
    );
    assert!(long["embeds"][0].get("thumbnail").is_none());
    // A body too long for one embed goes as the plain text instead.
    let huge = crate::Card::new("t", "https://s.example/", "y".repeat(5000), None);
    let bodies: Vec<Value> = render(&Outgoing::text("plain").with_card(huge), false)
        .iter()
        .map(body)
        .collect();
    assert_eq!(bodies[0]["embeds"][0]["description"], "plain");
}

#[test]
fn a_card_only_links_to_the_web() {
    assert!(crate::Card::new("t", "javascript:alert(1)", String::new(), None).is_none());
    assert!(crate::Card::new("t", "file:///etc/passwd", String::new(), None).is_none());
    let card = crate::Card::new("t", "https://s.example/", String::new(), Some("data:x")).unwrap();
    assert_eq!(card.image_url, None, "a picture not on the web is left out");
}

#[test]
fn embeds_stay_within_limits_and_escape_shop_text() {
    let text = format!(
        "*Deal* #1 @everyone https://shop.example/a_b_c\n# not a heading\n{}",
        "word_ ".repeat(2000)
    );
    let message = Outgoing::text(text)
        .with_button("Pause", "pause 1")
        .with_button("x", "y".repeat(101));
    let posts = render(&message, true);
    let bodies: Vec<Value> = posts
        .iter()
        .map(|p| serde_json::to_value(p.for_followup()).unwrap())
        .collect();
    assert!(bodies.len() > 1);
    for body in &bodies {
        let description = body["embeds"][0]["description"].as_str().unwrap();
        assert!(description.chars().count() <= MAX_DESCRIPTION_CHARS);
        assert_eq!(body["flags"], 64);
        assert_eq!(body["allowed_mentions"]["parse"], json!([]));
    }
    let first = bodies[0]["embeds"][0]["description"].as_str().unwrap();
    assert!(
        first.starts_with("\\*Deal\\* #1 @everyone https://shop.example/a_b_c\n\\# not a heading"),
        "{first}"
    );
    assert!(bodies[0]["components"]
        .as_array()
        .is_none_or(|rows| rows.is_empty()));
    let buttons = &bodies.last().unwrap()["components"][0]["components"];
    assert_eq!(
        buttons.as_array().unwrap().len(),
        1,
        "a custom_id over 100 characters is dropped"
    );
    assert_eq!(buttons[0]["custom_id"], "pause 1");
}

#[test]
fn command_bodies_put_required_options_first_and_cut_descriptions() {
    let mut specs = specs();
    specs[0].options.reverse();
    specs[0].description = "x".repeat(300);
    let body = commands_body(&specs);
    assert_eq!(body[0]["options"][0]["name"], "url");
    assert_eq!(body[0]["description"].as_str().unwrap().len(), 100);
    assert_eq!(
        body[0]["description_localizations"]["de"],
        "Eine Produktseite beobachten"
    );
    assert_eq!(
        body[0]["options"][1]["type"], 5,
        "optional ones keep their order"
    );
}
