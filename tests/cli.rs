//! The `dealwatch` binary as an operator and a scripting user meet it.

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dealwatch");

fn dealwatch(db: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", db)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dealwatch");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// A `dealwatch serve` on a fresh SQLite database and a free loopback
/// port, with `env` set; its logs are read by [`stop`].
struct Served {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

fn serve_with(env: &[(&str, String)]) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("dealwatch.db").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(BIN)
        .arg("serve")
        .env("DATABASE_URL", &db)
        .env("DEALWATCH_LISTEN", format!("127.0.0.1:{port}"))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Served {
        child,
        port,
        _dir: dir,
    }
}

/// SIGTERM, wait for the exit (at most 10 s), and return it with the logs.
fn stop(mut served: Served) -> (std::process::ExitStatus, String) {
    let status = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = served.child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "serve ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut served.child.stderr.take().unwrap(), &mut logs).unwrap();
    (exit, logs)
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const SESSION: &str = "help\nwatch https://shop.example/p/1 below £40\nalert gaming pc -mac under 800\nlist\npause 2\nlist\ndelete 1\nlist\nquiet 22:00-07:00\ncap 5\nlanguage de\nlist\n";

#[test]
fn the_scripted_chat_session_of_the_readme_and_its_second_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("dealwatch.db").display());
    let out = dealwatch(&db, &["chat"], SESSION);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let transcript = text(&out);
    for expected in [
        "> help\nHere's what I understand:",
        "> watch https://shop.example/p/1 below £40\n👀 Watching #1: https://shop.example/p/1\nI'll tell you when it costs £40.00 or less.",
        "First check pending",
        "> alert gaming pc -mac under 800\n🔔 Alert #2 saved: gaming, pc · not mac · under 800",
        "> pause 2\n⏸ Paused #2.",
        "#2 🔔 gaming, pc · not mac · under 800 ⏸ paused",
        "> delete 1\n🗑 Deleted #1.",
        "> list\nYour watch or alert:\n#2 🔔",
        "> quiet 22:00-07:00\n✅ Saved. Quiet hours: 22:00–07:00 (Europe/London).",
        "> cap 5\n✅ Saved. Daily limit: 5 alerts a day.",
        "> language de\n✅ Gespeichert. Sprache: Deutsch.",
        "> list\nDeine Beobachtung bzw. dein Alarm:\n#2 🔔 gaming, pc · nicht mac · unter 800 ⏸ pausiert",
    ] {
        assert!(transcript.contains(expected), "missing {expected:?} in:\n{transcript}");
    }
    assert_eq!(
        transcript.matches("\n> ").count() + 1,
        SESSION.lines().count(),
        "one echo per line"
    );

    // A second run sees the same account, in the language it chose.
    let again = text(&dealwatch(&db, &["chat"], "list\nsettings\n"));
    assert!(again.contains("#2 🔔 gaming, pc"), "{again}");
    assert!(again.contains("Ruhezeit: 22:00–07:00"), "{again}");
    assert!(
        again.contains("Tagesgrenze: 5 Meldungen am Tag."),
        "{again}"
    );

    // Another console user is another account.
    let other = text(&dealwatch(&db, &["chat", "--user", "bob"], "list\n"));
    assert!(other.contains("not watching anything"), "{other}");
}

#[test]
fn hostile_console_input_is_answered_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("dealwatch.db").display());
    let mut input = Vec::new();
    input.extend_from_slice(b"\xff\xfe not utf8\n");
    input.extend_from_slice("x".repeat(2_000_000).as_bytes());
    input.extend_from_slice(b"\n\x1b]0;title\x07\r\nlist\n");
    let mut child = Command::new(BIN)
        .arg("chat")
        .env("DATABASE_URL", &db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let transcript = text(&out);
    assert!(
        !transcript.contains('\u{1b}'),
        "escape sequences must not reach the terminal"
    );
    assert!(transcript.contains("too long"), "{transcript:.300}");
    assert!(
        transcript.contains("not watching anything"),
        "{transcript:.300}"
    );
}

#[test]
fn migrate_backup_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("dealwatch.db").display());
    let out = dealwatch(&db, &["migrate"], "");
    assert!(out.status.success());
    assert!(text(&out).contains("migrations applied"));

    dealwatch(&db, &["chat"], "alert lego\nalert ps5\n");
    let backup = dir.path().join("backup.db");
    let out = dealwatch(&db, &["backup", backup.to_str().unwrap()], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = dealwatch(&db, &["backup", backup.to_str().unwrap()], "");
    assert!(
        !out.status.success(),
        "an existing backup is never overwritten"
    );

    dealwatch(&db, &["chat"], "delete 1 2\n");
    assert!(text(&dealwatch(&db, &["chat"], "list\n")).contains("not watching anything"));

    let out = dealwatch(&db, &["restore", backup.to_str().unwrap()], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = text(&dealwatch(&db, &["chat"], "list\n"));
    assert!(
        list.contains("#1 🔔 lego") && list.contains("#2 🔔 ps5"),
        "{list}"
    );

    // A file that is not a Dealwatch database is refused and nothing changes.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"this is not a database").unwrap();
    let out = dealwatch(&db, &["restore", junk.to_str().unwrap()], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("restore failed"));
    assert!(text(&dealwatch(&db, &["chat"], "list\n")).contains("#1 🔔 lego"));
}

#[test]
fn serve_answers_health_and_stops_cleanly_on_sigterm() {
    let served = serve_with(&[
        ("TELEGRAM_BOT_TOKEN", "123:SUPERSECRET".into()),
        ("TELEGRAM_WEBHOOK_SECRET", "HOOKSECRET_value".into()),
        ("TELEGRAM_API_URL", "http://127.0.0.1:9".into()),
    ]);
    let port = served.port;

    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::Read;
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            break response;
        }
        assert!(Instant::now() < deadline, "serve did not start listening");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    let (exit, logs) = stop(served);
    assert!(exit.success(), "graceful shutdown exits 0");
    assert!(logs.contains("SIGTERM received"), "{logs}");
    assert!(
        logs.contains("channel off: set DISCORD_PUBLIC_KEY"),
        "{logs}"
    );
    assert!(
        !logs.contains("SUPERSECRET"),
        "secrets must never be logged: {logs}"
    );
    assert!(
        !logs.contains("HOOKSECRET"),
        "secrets must never be logged: {logs}"
    );
    assert!(
        logs.contains("channel on"),
        "telegram is on with its credentials: {logs}"
    );
}

#[test]
fn serve_refuses_a_telegram_webhook_without_its_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("dealwatch.db").display());
    let out = Command::new(BIN)
        .arg("serve")
        .env("DATABASE_URL", &db)
        .env("DEALWATCH_LISTEN", "127.0.0.1:0")
        .env("TELEGRAM_BOT_TOKEN", "123:SUPERSECRET")
        .env_remove("TELEGRAM_WEBHOOK_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET"),
        "{err}"
    );
    assert!(!err.contains("SUPERSECRET"), "{err}");
}

/// `serve` with Discord and WhatsApp credentials mounts their routes: a
/// signed PING gets PONG, Meta's check gets its challenge, and none of the
/// secrets reaches the logs.
#[tokio::test]
async fn serve_mounts_the_discord_and_whatsapp_routes() {
    use ed25519_dalek::{Signer, SigningKey};
    let key = SigningKey::from_bytes(&[9; 32]);
    let served = serve_with(&[
        (
            "DISCORD_PUBLIC_KEY",
            hex::encode(key.verifying_key().to_bytes()),
        ),
        ("DISCORD_APPLICATION_ID", "1100".into()),
        ("DISCORD_BOT_TOKEN", "DISCORDSECRET".into()),
        ("DISCORD_API_URL", "http://127.0.0.1:9/api/v10".into()),
        ("WHATSAPP_ACCESS_TOKEN", "WAACCESSSECRET".into()),
        ("WHATSAPP_PHONE_NUMBER_ID", "106540352242922".into()),
        ("WHATSAPP_APP_SECRET", "WAAPPSECRET".into()),
        ("WHATSAPP_VERIFY_TOKEN", "WAVERIFYSECRET".into()),
        ("WHATSAPP_API_URL", "http://127.0.0.1:9/v21.0".into()),
    ]);
    let port = served.port;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "serve did not start listening");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let ping = br#"{"id":"1","application_id":"1100","type":1,"token":"t","version":1}"#;
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let mut signed = timestamp.as_bytes().to_vec();
    signed.extend_from_slice(ping);
    let pong = http
        .post(format!("{base}/webhooks/discord"))
        .header(
            "X-Signature-Ed25519",
            hex::encode(key.sign(&signed).to_bytes()),
        )
        .header("X-Signature-Timestamp", &timestamp)
        .body(ping.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(pong.status(), 200);
    assert_eq!(pong.text().await.unwrap(), r#"{"type":1}"#);
    let unsigned = http
        .post(format!("{base}/webhooks/discord"))
        .body(ping.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let check = http
        .get(format!(
            "{base}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=WAVERIFYSECRET&hub.challenge=42"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(check.status(), 200);
    assert_eq!(check.text().await.unwrap(), "42");

    let (exit, logs) = stop(served);
    assert!(exit.success(), "graceful shutdown exits 0");
    for secret in [
        "DISCORDSECRET",
        "WAACCESSSECRET",
        "WAAPPSECRET",
        "WAVERIFYSECRET",
    ] {
        assert!(!logs.contains(secret), "{secret} logged: {logs}");
    }
    assert_eq!(
        logs.matches("channel on").count(),
        2,
        "discord and whatsapp are on: {logs}"
    );
}
