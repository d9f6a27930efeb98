//! Purpose: the console channel, `dealwatch chat`.
//!
//! The same conversational core as every other channel, over a line-based
//! reader and writer, so a newcomer can use Dealwatch with no credentials
//! and a script can drive it: `printf 'watch URL\nlist\n' | dealwatch chat`.
//! When the input is not a terminal, each command is echoed before its
//! reply (`> list`), so a scripted session reads as a transcript.
//!
//! Notices (a watched product's first price, price alerts) come through the
//! dispatcher like on every channel (quiet hours, digests and the daily cap
//! hold here too) and print as they arrive. When the input ends, the
//! console waits, for at most `linger`, until the user's new watches have
//! had their first check and what it found has been printed, so a script
//! that adds a watch also sees what it found.

use crate::conversation::Core;
use crate::storage::unix_now;
use dealwatch_bots::{console, Channel, Incoming, Outgoing};
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc::{self, UnboundedReceiver};

/// Longest line read whole; the rest of a longer line is skipped, and the
/// core refuses what it got as too long.
const MAX_LINE_BYTES: usize = 1 << 20;
/// How often pending notices are looked for.
const NOTICE_POLL: Duration = Duration::from_millis(250);

/// How the console presents itself.
#[derive(Debug, Clone, Copy)]
pub struct ConsoleStyle {
    /// Show a `> ` prompt (interactive terminal).
    pub prompt: bool,
    /// Echo each command before its reply (scripted input).
    pub echo: bool,
    /// After the input ends, how long to wait for first checks.
    pub linger: Duration,
}

/// Read commands from `input` until it ends, answering each on `output`.
pub async fn run<R, W>(
    core: &Core,
    user: &str,
    input: R,
    mut output: W,
    mut notices: UnboundedReceiver<Vec<Outgoing>>,
    style: ConsoleStyle,
) -> std::io::Result<()>
where
    R: AsyncBufRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin,
{
    let (lines_tx, mut lines) = mpsc::channel::<String>(16);
    let reader = tokio::spawn(async move {
        let mut input = input;
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match read_line(&mut input, &mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buffer)
                        .trim_end_matches(['\n', '\r'])
                        .to_owned();
                    if lines_tx.send(line).await.is_err() {
                        break;
                    }
                }
            }
        }
    });

    if style.prompt {
        write_prompt(&mut output).await?;
    }
    loop {
        tokio::select! {
            line = lines.recv() => {
                let Some(line) = line else { break };
                if line.trim().is_empty() {
                    if style.prompt {
                        write_prompt(&mut output).await?;
                    }
                    continue;
                }
                if style.echo {
                    let shown: String = line.chars().take(200).collect();
                    output.write_all(format!("> {}\n", console::sanitize(&shown)).as_bytes()).await?;
                }
                let msg = Incoming::console(user, line);
                let replies = match core.handle(&msg, unix_now()).await {
                    Ok(replies) => replies,
                    Err(_) => vec![core.sorry(&msg)],
                };
                write_all(&mut output, &replies).await?;
                if style.prompt {
                    write_prompt(&mut output).await?;
                }
            }
            Some(notice) = notices.recv() => {
                write_all(&mut output, &notice).await?;
                if style.prompt {
                    write_prompt(&mut output).await?;
                }
            }
        }
    }
    reader.abort();

    // The input ended: give new watches their first check, and what it
    // found time to be delivered, within reason.
    let deadline = tokio::time::Instant::now() + style.linger;
    loop {
        print_waiting(&mut notices, &mut output).await?;
        let pending = core
            .first_checks_pending(Channel::Console, user)
            .await
            .unwrap_or(0);
        let undelivered = core
            .pending_notices(Channel::Console, user, unix_now())
            .await
            .map_or(0, |n| n.len());
        if (pending == 0 && undelivered == 0) || tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(NOTICE_POLL).await;
    }
    print_waiting(&mut notices, &mut output).await?;
    output.flush().await
}

/// Print the notices that have arrived.
async fn print_waiting<W: AsyncWrite + Unpin>(
    notices: &mut UnboundedReceiver<Vec<Outgoing>>,
    output: &mut W,
) -> std::io::Result<()> {
    while let Ok(notice) = notices.try_recv() {
        write_all(output, &notice).await?;
    }
    Ok(())
}

async fn write_all<W: AsyncWrite + Unpin>(
    output: &mut W,
    replies: &[Outgoing],
) -> std::io::Result<()> {
    for reply in replies {
        output.write_all(console::render(reply).as_bytes()).await?;
        output.write_all(b"\n\n").await?;
    }
    output.flush().await
}

async fn write_prompt<W: AsyncWrite + Unpin>(output: &mut W) -> std::io::Result<()> {
    output.write_all(b"> ").await?;
    output.flush().await
}

/// Read one line into `buffer`, keeping at most [`MAX_LINE_BYTES`] and
/// discarding the rest of a longer line. Returns the bytes consumed.
async fn read_line<R: AsyncBufRead + Unpin>(
    input: &mut R,
    buffer: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let mut consumed = 0;
    loop {
        let available = input.fill_buf().await?;
        if available.is_empty() {
            return Ok(consumed);
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let room = MAX_LINE_BYTES.saturating_sub(buffer.len());
        buffer.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let len = chunk.len();
        input.consume(len);
        consumed += len;
        if done {
            return Ok(consumed);
        }
    }
}
