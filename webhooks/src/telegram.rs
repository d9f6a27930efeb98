//! Purpose: `POST /webhooks/telegram`.
//!
//! The `X-Telegram-Bot-Api-Secret-Token` header must equal the configured
//! secret (constant-time comparison) or the answer is 401 and nothing is
//! read. Updates we act on are handed to the sink and answered 200 once
//! stored; updates of other kinds are answered 200 and dropped, so Telegram
//! does not redeliver them; a body that is not an Update gets 400.

use crate::{check_shared_secret, InboundSink};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use dealwatch_bots::{telegram, InboundRecord};
use std::sync::Arc;

pub const PATH: &str = "/webhooks/telegram";
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

struct Hook {
    secret: Vec<u8>,
    /// The bot's username, so commands addressed to other bots in a group
    /// are left to them.
    bot_name: telegram::BotName,
    /// Asks Telegram who administers a group a command came from.
    client: Option<Arc<telegram::TelegramClient>>,
    sink: Arc<dyn InboundSink>,
}

/// The route, ready to merge into the server's router.
pub fn routes(secret: &str, sink: Arc<dyn InboundSink>) -> Router {
    routes_as(secret, telegram::BotName::default(), sink)
}

/// The route for the bot `bot_name` names once `getMe` has answered
/// (until then, a command addressed to any bot is taken as ours).
pub fn routes_as(secret: &str, bot_name: telegram::BotName, sink: Arc<dyn InboundSink>) -> Router {
    let hook = Arc::new(Hook {
        secret: secret.as_bytes().to_vec(),
        bot_name,
        client: None,
        sink,
    });
    Router::new().route(PATH, post(receive)).with_state(hook)
}

/// The route for the bot `client` speaks as: its name once known, and
/// whether the sender of a group command administers the group (asked
/// of Telegram before the message is stored).
pub fn routes_with(
    secret: &str,
    client: Arc<telegram::TelegramClient>,
    sink: Arc<dyn InboundSink>,
) -> Router {
    let hook = Arc::new(Hook {
        secret: secret.as_bytes().to_vec(),
        bot_name: client.name(),
        client: Some(client),
        sink,
    });
    Router::new().route(PATH, post(receive)).with_state(hook)
}

async fn receive(State(hook): State<Arc<Hook>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let presented = headers.get(SECRET_HEADER).map(|v| v.as_bytes());
    if let Err(why) = check_shared_secret(presented, &hook.secret) {
        tracing::warn!(reason = %why, "telegram webhook refused");
        return StatusCode::UNAUTHORIZED;
    }
    let mut parsed = match telegram::parse_update_as(&body, hook.bot_name.get().as_deref()) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return StatusCode::OK,
        Err(e) => {
            tracing::warn!(error = %e, "telegram webhook body is not an update");
            return StatusCode::BAD_REQUEST;
        }
    };
    if let Some(client) = &hook.client {
        client.fill_roles(&mut parsed.incoming).await;
    }
    let record = InboundRecord {
        incoming: parsed.incoming,
        acknowledge: parsed.callback_query_id,
        reply_token: None,
    };
    match hook.sink.accept(record).await {
        Ok(_) => StatusCode::OK,
        Err(e) => {
            tracing::error!(error = %e, "telegram update not stored; Telegram will redeliver");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}
