//! Purpose: the console channel, `dealwatch chat`.
//!
//! The same conversational core as every other channel, over a line-based
//! reader and writer, so a newcomer can use Dealwatch with no credentials
//! and a script can drive it: `printf 'watch URL\nlist\n' | dealwatch chat`.
//! When the input is not a terminal, each command is echoed before its
//! reply (`> list`), so a scripted session reads as a transcript.

use crate::conversation::Core;
use crate::storage::unix_now;
use dealwatch_bots::{console, Incoming};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

/// Longest line read whole; the rest of a longer line is skipped, and the
/// core refuses what it got as too long.
const MAX_LINE_BYTES: usize = 1 << 20;

/// How the console presents itself.
#[derive(Debug, Clone, Copy)]
pub struct ConsoleStyle {
    /// Show a `> ` prompt (interactive terminal).
    pub prompt: bool,
    /// Echo each command before its reply (scripted input).
    pub echo: bool,
}

/// Read commands from `input` until it ends, answering each on `output`.
pub async fn run<R, W>(
    core: &Core,
    user: &str,
    input: R,
    mut output: W,
    style: ConsoleStyle,
) -> std::io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut input = input;
    let mut buffer = Vec::new();
    loop {
        if style.prompt {
            output.write_all(b"> ").await?;
            output.flush().await?;
        }
        buffer.clear();
        if read_line(&mut input, &mut buffer).await? == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&buffer);
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        if style.echo {
            let shown: String = line.chars().take(200).collect();
            output
                .write_all(format!("> {}\n", console::sanitize(&shown)).as_bytes())
                .await?;
        }
        let msg = Incoming::console(user, line);
        let replies = match core.handle(&msg, unix_now()).await {
            Ok(replies) => replies,
            Err(_) => vec![core.sorry(&msg)],
        };
        for reply in replies {
            output.write_all(console::render(&reply).as_bytes()).await?;
            output.write_all(b"\n\n").await?;
        }
        output.flush().await?;
    }
    Ok(())
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
