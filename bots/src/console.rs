//! Purpose: render [`Outgoing`] messages for a terminal.
//!
//! Text that reaches the console can contain data we did not write (a
//! product title scraped from a shop page, a word a user typed), so control
//! characters are replaced before printing: a hostile page must not be able
//! to move the cursor or retitle the operator's terminal.

use crate::{BoxFuture, Outgoing, SendError, Sender};

/// The console as a [`Sender`]: what the dispatcher delivers to a console
/// user is handed to the terminal loop that prints it, so quiet hours,
/// digests and caps hold in `dealwatch chat` as on every channel.
#[derive(Debug, Clone)]
pub struct ConsoleSender {
    printer: tokio::sync::mpsc::UnboundedSender<Vec<Outgoing>>,
}

impl ConsoleSender {
    /// A sender and the receiving end the terminal loop prints from.
    pub fn new() -> (
        ConsoleSender,
        tokio::sync::mpsc::UnboundedReceiver<Vec<Outgoing>>,
    ) {
        let (printer, printed) = tokio::sync::mpsc::unbounded_channel();
        (ConsoleSender { printer }, printed)
    }
}

impl Sender for ConsoleSender {
    fn send<'a>(
        &'a self,
        _reply_to: &'a str,
        messages: &'a [Outgoing],
    ) -> BoxFuture<'a, Result<Vec<String>, SendError>> {
        Box::pin(async move {
            self.printer
                .send(messages.to_vec())
                .map_err(|_| SendError::Transient("the console has closed".into()))?;
            Ok(vec![String::new(); messages.len()])
        })
    }
}

/// Render one message for a terminal: the text, then its buttons as the
/// commands they stand for, e.g. `[Pause: pause 3]`.
pub fn render(message: &Outgoing) -> String {
    let mut out = sanitize(&message.text);
    if message
        .buttons
        .iter()
        .any(|b| b.link != Some(crate::Link::PrivateChat))
    {
        let buttons: Vec<String> = message
            .buttons
            .iter()
            .filter_map(|b| {
                let target = match &b.link {
                    None => &b.command,
                    Some(crate::Link::Url(url)) => url,
                    // A terminal has no private chat to open.
                    Some(crate::Link::PrivateChat) => return None,
                };
                Some(format!("[{}: {}]", sanitize(&b.label), sanitize(target)))
            })
            .collect();
        out.push('\n');
        out.push_str(&buttons.join(" "));
    }
    out
}

/// Replace terminal control characters (ESC sequences, bells, carriage
/// returns) with U+FFFD, keeping newlines and tabs.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '\n' || c == '\t' || !c.is_control() {
                c
            } else {
                '\u{FFFD}'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_are_shown_as_commands() {
        let msg = Outgoing::text("Watching #3").with_button("Pause", "pause 3");
        assert_eq!(render(&msg), "Watching #3\n[Pause: pause 3]");
    }

    #[test]
    fn escape_sequences_cannot_reach_the_terminal() {
        let msg = Outgoing::text("Cheap TV\u{1b}]0;pwned\u{7}\r");
        let shown = render(&msg);
        assert!(!shown.contains('\u{1b}'));
        assert!(!shown.contains('\u{7}'));
        assert!(!shown.contains('\r'));
        assert!(shown.starts_with("Cheap TV"));
    }
}
