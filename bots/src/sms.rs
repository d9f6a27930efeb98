//! Purpose: SMS through Twilio, to and from the neutral messages.
//!
//! Inbound: Twilio posts a form (`From`, `Body`, `MessageSid`...), read by
//! [`parse_inbound`]. Outbound: the Messages REST API ([`TwilioClient`]).
//! SMS is billed per segment, and one emoji or curly quote switches a whole
//! message from GSM-7 (160 characters, 153 per part) to UCS-2 (70, 67), so
//! [`sms_text`] swaps typographic characters for plain ones and drops emoji
//! before sending; text in other scripts stays as it is. Buttons become a
//! line of the commands they stand for.

use crate::pace::Pace;
use crate::{BoxFuture, Channel, Incoming, Outgoing, SendError, Sender};
use serde_json::Value;
use std::time::Duration;

/// Read Twilio's inbound-message form.
pub fn parse_inbound(params: &[(String, String)]) -> Option<Incoming> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let from = get("From")?;
    let sid = get("MessageSid").or_else(|| get("SmsSid"))?;
    Some(Incoming {
        channel: Channel::Sms,
        sender_id: from.clone(),
        reply_to: from,
        sender_name: None,
        message_id: Some(sid),
        language_hint: None,
        text: get("Body").unwrap_or_default(),
        group: None,
        event: None,
    })
}

/// Characters of the GSM 03.38 basic set (the extension table is counted
/// separately: its characters take two septets).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENDED: &str = "^{}\\[~]|€\u{c}";

/// How an SMS will be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// The encoding and number of segments a text takes.
pub fn segments(text: &str) -> (Encoding, usize) {
    let gsm = text
        .chars()
        .all(|c| GSM_BASIC.contains(c) || GSM_EXTENDED.contains(c));
    if gsm {
        let septets: usize = text
            .chars()
            .map(|c| if GSM_EXTENDED.contains(c) { 2 } else { 1 })
            .sum();
        let count = if septets <= 160 {
            1
        } else {
            septets.div_ceil(153)
        };
        (Encoding::Gsm7, count.max(1))
    } else {
        let units: usize = text.chars().map(char::len_utf16).sum();
        let count = if units <= 70 { 1 } else { units.div_ceil(67) };
        (Encoding::Ucs2, count.max(1))
    }
}

/// Text for SMS: typographic characters made plain and emoji dropped, so
/// that English, German and French replies stay in GSM-7.
pub fn sms_text(message: &Outgoing) -> String {
    let mut text = String::with_capacity(message.text.len());
    for c in message.text.chars() {
        match c {
            '“' | '”' | '„' | '«' | '»' => text.push('"'),
            '‘' | '’' | '‚' => text.push('\''),
            '–' | '—' | '−' | '•' | '·' => text.push('-'),
            '…' => text.push_str("..."),
            '→' => text.push_str("->"),
            '\u{a0}' | '\u{202f}' | '\u{2009}' => text.push(' '),
            c if is_emoji(c) => {}
            c => text.push(c),
        }
    }
    let mut lines: Vec<String> = text.lines().map(|l| l.trim().to_owned()).collect();
    let commands: Vec<&str> = message
        .buttons
        .iter()
        .filter(|b| b.link.is_none())
        .map(|b| b.command.as_str())
        .collect();
    if !commands.is_empty() {
        lines.push(format!("Reply: {}", commands.join(" / ")));
    }
    lines.join("\n").trim().to_owned()
}

/// A TwiML answer that sends `messages` back to the sender (an empty
/// `<Response/>` for none). Twilio splits long bodies into segments.
pub fn twiml(messages: &[Outgoing]) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>");
    for message in messages {
        let body = sms_text(message);
        if body.is_empty() {
            continue;
        }
        xml.push_str("<Message>");
        for c in body.chars() {
            match c {
                '<' => xml.push_str("&lt;"),
                '>' => xml.push_str("&gt;"),
                '&' => xml.push_str("&amp;"),
                '"' => xml.push_str("&quot;"),
                '\'' => xml.push_str("&apos;"),
                // Characters XML 1.0 cannot carry at all.
                c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
                c => xml.push(c),
            }
        }
        xml.push_str("</Message>");
    }
    xml.push_str("</Response>");
    xml
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F | 0x200D | 0x2190..=0x21FF | 0x2300..=0x23FF)
}

/// The Messages REST API of one Twilio account.
pub struct TwilioClient {
    http: reqwest::Client,
    messages_url: url::Url,
    account_sid: String,
    auth_token: String,
    from: String,
    pace: Pace,
}

impl std::fmt::Debug for TwilioClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioClient")
            .field("account_sid", &self.account_sid)
            .finish_non_exhaustive()
    }
}

impl TwilioClient {
    /// `api` is `TWILIO_API_URL` (`https://api.twilio.com` by default).
    pub fn new(
        api: &url::Url,
        account_sid: &str,
        auth_token: &str,
        from: &str,
    ) -> Result<TwilioClient, SendError> {
        let messages_url = url::Url::parse(&format!(
            "{}/2010-04-01/Accounts/{account_sid}/Messages.json",
            api.as_str().trim_end_matches('/')
        ))
        .map_err(|e| SendError::Permanent(format!("bad Twilio API URL: {e}")))?;
        let http = crate::http_client(15, None)?;
        Ok(TwilioClient {
            http,
            messages_url,
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
            from: from.to_owned(),
            pace: Self::pace(),
        })
    }

    /// One message a second from a long-code number (with a margin, as
    /// Twilio queues and counts on arrival).
    pub fn pace() -> Pace {
        Pace::new(Some(Duration::from_millis(1050)), None)
    }

    /// Pace sends differently (tests; a short code or a sender pool).
    pub fn with_pace(mut self, pace: Pace) -> TwilioClient {
        self.pace = pace;
        self
    }

    async fn send_one(&self, to: &str, body: &str) -> Result<String, SendError> {
        self.pace.admit(to).await?;
        let response = self
            .http
            .post(self.messages_url.clone())
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&[("To", to), ("From", self.from.as_str()), ("Body", body)])
            .send()
            .await
            .map_err(|e| SendError::Transient(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let reply: Value = response.json().await.unwrap_or(Value::Null);
        match status {
            200..=299 => Ok(reply["sid"].as_str().unwrap_or_default().to_owned()),
            429 => Err(SendError::RetryAfter(retry_after.unwrap_or(1))),
            400..=499 => {
                let why = format!(
                    "Twilio error {}: {}",
                    reply["code"],
                    reply["message"].as_str().unwrap_or("refused")
                );
                // 21610: the number replied STOP; 21211/21614/21612: not a
                // number we can text.
                match reply["code"].as_u64() {
                    Some(21610 | 21211 | 21614 | 21612) => Err(SendError::Unreachable(why)),
                    _ => Err(SendError::Permanent(why)),
                }
            }
            _ => Err(SendError::Transient(format!("Twilio answered {status}"))),
        }
    }
}

impl Sender for TwilioClient {
    fn send<'a>(
        &'a self,
        reply_to: &'a str,
        messages: &'a [Outgoing],
    ) -> BoxFuture<'a, Result<Vec<String>, SendError>> {
        Box::pin(async move {
            let mut ids = Vec::new();
            for message in messages {
                let body = sms_text(message);
                if !body.is_empty() {
                    ids.push(self.send_one(reply_to, &body).await?);
                }
            }
            Ok(ids)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_stay_in_gsm7_once_made_plain() {
        let reply = Outgoing::text("👀 Watching #1: “Kettle” — £40.00 → £35.00 • ok…")
            .with_button("Pause", "pause 1");
        let text = sms_text(&reply);
        assert_eq!(
            text,
            "Watching #1: \"Kettle\" - £40.00 -> £35.00 - ok...\nReply: pause 1"
        );
        assert_eq!(segments(&text).0, Encoding::Gsm7);
        let german = sms_text(&Outgoing::text(
            "✅ Gespeichert. Tagesgrenze: 5 Meldungen am Tag – Größe über 10 €",
        ));
        assert_eq!(segments(&german).0, Encoding::Gsm7, "{german}");
    }

    #[test]
    fn twiml_escapes_and_skips_empty_messages() {
        let xml = twiml(&[
            Outgoing::text("Alert #1 saved: <lego> & \"duplo\"\u{7}"),
            Outgoing::text("🔔"),
        ]);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>Alert #1 saved: &lt;lego&gt; &amp; &quot;duplo&quot;</Message></Response>"
        );
        assert!(twiml(&[]).ends_with("<Response></Response>"));
    }

    #[test]
    fn segment_counts() {
        assert_eq!(segments(&"a".repeat(160)), (Encoding::Gsm7, 1));
        assert_eq!(segments(&"a".repeat(161)), (Encoding::Gsm7, 2));
        assert_eq!(segments(&"€".repeat(80)), (Encoding::Gsm7, 1));
        assert_eq!(segments(&"€".repeat(81)), (Encoding::Gsm7, 2));
        assert_eq!(segments(&"ж".repeat(70)), (Encoding::Ucs2, 1));
        assert_eq!(segments(&"ж".repeat(71)), (Encoding::Ucs2, 2));
        assert_eq!(segments("🎉"), (Encoding::Ucs2, 1));
    }

    #[test]
    fn inbound_forms() {
        let form = vec![
            ("MessageSid".to_owned(), "SM123".to_owned()),
            ("From".to_owned(), "+447700900123".to_owned()),
            ("To".to_owned(), "+447700900999".to_owned()),
            ("Body".to_owned(), "STOP".to_owned()),
        ];
        let incoming = parse_inbound(&form).unwrap();
        assert_eq!(incoming.channel, Channel::Sms);
        assert_eq!(incoming.sender_id, "+447700900123");
        assert_eq!(incoming.message_id.as_deref(), Some("SM123"));
        assert_eq!(incoming.text, "STOP");
        assert!(parse_inbound(&form[1..]).is_none(), "no MessageSid");
    }
}
