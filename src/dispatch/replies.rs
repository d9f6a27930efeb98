//! Purpose: replies on their way back: where each goes ([`Route`]: the
//! chat it answers, the platform's reply handle, a button press to
//! acknowledge) and how a stored reply is sent, opened from its seal.

use super::*;

/// Where a reply goes: the channel and address it answers (a private chat,
/// or a group for what the core meant for everyone), the platform's reply
/// handle (a Discord interaction token), and a button press to acknowledge.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Route {
    pub channel: Channel,
    pub address: String,
    #[serde(default)]
    pub reply_token: Option<String>,
    #[serde(default)]
    pub acknowledge: Option<String>,
}

impl Route {
    /// Where the answer to `record` goes: into its group only when the
    /// core meant it for everyone there, else to the sender (through the
    /// platform's reply handle when there is one).
    pub fn answering(
        record: &dealwatch_bots::InboundRecord,
        to: crate::conversation::ReplyTo,
    ) -> Route {
        use crate::conversation::ReplyTo;
        let incoming = &record.incoming;
        let group = match to {
            ReplyTo::Group => incoming.group.as_ref(),
            ReplyTo::Sender => None,
        };
        Route {
            channel: incoming.channel,
            address: group.map_or_else(|| incoming.reply_to.clone(), |g| g.address.clone()),
            reply_token: record.reply_token.clone().filter(|_| group.is_none()),
            acknowledge: record.acknowledge.clone(),
        }
    }
}

/// Send `messages` along `route` (the button press acknowledged first when
/// `acknowledge`): through the reply handle when there is one, directly
/// once the handle has expired (Discord's last 15 minutes).
pub async fn send_reply(
    sender: &dyn Sender,
    route: &Route,
    messages: &[Outgoing],
    acknowledge: bool,
) -> Result<Vec<String>, SendError> {
    if let (Some(token), true) = (&route.acknowledge, acknowledge) {
        // A button spinner left turning is cosmetic; never retry for it.
        if let Err(e) = sender.acknowledge(token).await {
            tracing::warn!(error = %e, "acknowledging a button press failed");
        }
    }
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    match &route.reply_token {
        Some(token) => match sender.reply(token, messages).await {
            Err(SendError::Permanent(why)) => {
                tracing::info!(error = %why, "reply handle refused; sending directly");
                sender.send(&route.address, messages).await
            }
            other => other,
        },
        None => sender.send(&route.address, messages).await,
    }
}

impl Dispatcher {
    /// A reply goes where its route says, at once (the person just wrote:
    /// no quiet hours, digest or cap), through the platform's reply handle
    /// when there is one.
    pub(super) async fn deliver_reply(
        &self,
        row: &OutboxRow,
        kept: crate::seal::Kept,
        now: i64,
        started: Started,
    ) -> Result<Outcome, StoreError> {
        let route: Option<Route> = row
            .route
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok());
        let Some(route) = route else {
            let why = Some("a reply without a readable route");
            self.store.outbox().later(row.id, None, true, why).await?;
            return Ok(Outcome::Done);
        };
        let Some(sender) = self.senders.get(&route.channel) else {
            let why = format!("no sender for channel {}", route.channel);
            self.store
                .outbox()
                .later(row.id, None, true, Some(&why))
                .await?;
            return Ok(Outcome::Done);
        };
        let sealed = !kept.sealed.is_empty();
        let fallbacks = kept.messages.clone();
        let messages = crate::seal::process().restore(kept);
        self.store.outbox().sending(row.id, None, now).await?;
        let sent = send_reply(sender.as_ref(), &route, &messages, row.attempts == 0).await;
        match sent {
            Ok(ids) => {
                let ids = ids.join(" ");
                self.store
                    .outbox()
                    .mark_sent(row.id, Some(&ids), None, now)
                    .await?;
                if sealed {
                    // Sent: nothing of the link is kept, not even sealed.
                    let spent = Notice::Reply {
                        kept: crate::seal::Kept {
                            messages: fallbacks,
                            sealed: Vec::new(),
                        },
                    };
                    if let Ok(payload) = serde_json::to_string(&spent) {
                        self.store
                            .outbox()
                            .replace_payload(row.id, &payload)
                            .await?;
                    }
                }
                Ok(Outcome::Done)
            }
            Err(SendError::RetryAfter(secs)) => {
                Ok(Outcome::Busy(self.wait_out(row, secs, now, started).await?))
            }
            Err(SendError::Transient(why)) => {
                self.retry_later(row, &why, now).await?;
                Ok(Outcome::Done)
            }
            Err(
                SendError::Permanent(why) | SendError::Unreachable(why) | SendError::Moved(why),
            ) => {
                tracing::warn!(channel = %route.channel, error = %why, "reply refused for good");
                self.store
                    .outbox()
                    .later(row.id, None, true, Some(&why))
                    .await?;
                Ok(Outcome::Done)
            }
        }
    }
}
