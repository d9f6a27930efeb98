//! The HTTP server: health, metrics and graceful shutdown, over loopback.

mod common;

use common::TestDb;
use dealwatch::metrics::Metrics;
use dealwatch::server::{self, AppState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A plain HTTP/1.1 GET; returns the status code and the body.
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn health_metrics_and_graceful_shutdown() {
    for db in TestDb::all().await {
        let metrics = Metrics::new();
        metrics.message_in("telegram");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = AppState {
            store: db.store.clone(),
            metrics: metrics.clone(),
        };
        let server = tokio::spawn(server::run(listener, state, axum::Router::new(), async {
            let _ = stopped.await;
        }));

        assert_eq!(
            get(addr, "/healthz").await,
            (200, "ok\n".to_owned()),
            "{}",
            db.name
        );
        let (status, body) = get(addr, "/metrics").await;
        assert_eq!(status, 200, "{}", db.name);
        assert!(
            body.contains("dealwatch_messages_in_total{channel=\"telegram\"} 1"),
            "{}: {body}",
            db.name
        );
        assert!(
            body.contains("# TYPE dealwatch_errors counter"),
            "{}: {body}",
            db.name
        );
        assert_eq!(get(addr, "/nope").await.0, 404, "{}", db.name);

        // With the database gone, health says so.
        db.store.close().await;
        assert_eq!(get(addr, "/healthz").await.0, 503, "{}", db.name);
        assert!(metrics
            .render()
            .contains("dealwatch_errors_total{kind=\"database\"} 1"));

        stop.send(()).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), server)
            .await
            .expect("server stops after the shutdown signal")
            .unwrap()
            .unwrap();
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "{}: still listening",
            db.name
        );
        db.finish().await;
    }
}

/// The HTTP server with default limits on `db`, for the life of the test.
async fn serve_for_the_test(db: &TestDb) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState {
        store: db.store.clone(),
        metrics: Metrics::new(),
    };
    tokio::spawn(server::run(
        listener,
        state,
        axum::Router::new(),
        std::future::pending(),
    ));
    addr
}

/// A GET from a chosen loopback address (127.0.0.2 is another client).
async fn get_from(
    from: &str,
    addr: std::net::SocketAddr,
    path: &str,
) -> std::io::Result<(u16, String)> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(format!("{from}:0").parse().unwrap())?;
    let mut stream = socket.connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, response))
}

/// Whether the server has closed `stream` (EOF, reset, or an error answer
/// followed by EOF), waiting at most `wait`.
async fn closed_within(stream: &mut TcpStream, wait: std::time::Duration) -> bool {
    let mut buffer = vec![0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {} // an answer such as 408 or 431; EOF follows
        }
    }
}

fn open_connections(metrics: &Metrics) -> i64 {
    metrics
        .render()
        .lines()
        .find_map(|l| l.strip_prefix("dealwatch_http_connections "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(-1)
}

/// Thousands of half-open connections, oversized headers, a body that
/// never finishes and idle keep-alives: each is cut off by the server's
/// limits, the connections one address holds are capped, and another
/// client's `/healthz` is answered throughout.
#[tokio::test]
async fn slow_and_hostile_clients_cannot_take_the_server_down() {
    use dealwatch::server::ServerLimits;
    use std::time::Duration;
    let db = TestDb::sqlite().await;
    let metrics = Metrics::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState {
        store: db.store.clone(),
        metrics: metrics.clone(),
    };
    let echo = axum::Router::new().route(
        "/echo",
        axum::routing::post(|body: axum::body::Bytes| async move { body.len().to_string() }),
    );
    let limits = ServerLimits {
        header_read_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(1),
        max_header_bytes: 16 * 1024,
        max_connections: 400,
        max_connections_per_ip: 100,
        max_in_flight: 64,
        drain: Duration::from_secs(1),
    };
    let app = server::app_router(state, echo, true);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(
        listener,
        app,
        limits,
        metrics.clone(),
        async {
            let _ = stopped.await;
        },
    ));

    // 2,000 connections from one address, each sending half a request head.
    let mut slow = Vec::new();
    for _ in 0..2000 {
        let Ok(mut stream) = TcpStream::connect(addr).await else {
            continue;
        };
        let _ = stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await;
        slow.push(stream);
    }
    assert!(
        (1..=100).contains(&open_connections(&metrics)),
        "one address holds at most its cap: {}",
        open_connections(&metrics)
    );
    assert!(metrics
        .render()
        .contains("dealwatch_http_connections_refused_total"));
    // Another client is answered while they hang.
    let (status, _) = get_from("127.0.0.2", addr, "/healthz").await.unwrap();
    assert_eq!(status, 200);
    // The server closes the ones it holds once their head is late.
    let mut all_closed = true;
    for stream in slow.iter_mut() {
        all_closed &= closed_within(stream, Duration::from_secs(10)).await;
    }
    assert!(all_closed, "every half-open connection was closed");
    drop(slow);

    // An oversized request head is refused, not buffered.
    let mut big = TcpStream::connect(addr).await.unwrap();
    let header = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: {}\r\n",
        "a".repeat(400 * 1024)
    );
    let _ = big.write_all(header.as_bytes()).await;
    assert!(closed_within(&mut big, Duration::from_secs(10)).await);

    // A body that never finishes: 408 when the request's time is up.
    let mut trickle = TcpStream::connect(addr).await.unwrap();
    trickle
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
        .await
        .unwrap();
    let mut answer = String::new();
    let _ =
        tokio::time::timeout(Duration::from_secs(10), trickle.read_to_string(&mut answer)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    // An idle keep-alive connection is closed after the head deadline.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = vec![0u8; 1024];
    let n = idle.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    assert!(closed_within(&mut idle, Duration::from_secs(10)).await);

    // Everything given back; still serving.
    assert_eq!(get(addr, "/healthz").await.0, 200);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server stops")
        .unwrap()
        .unwrap();
    assert_eq!(open_connections(&metrics), 0);
    db.finish().await;
}

/// `/healthz` says whether a webhook could be stored now: a database whose
/// write lock is held elsewhere is unhealthy within the deadline, not hung.
#[tokio::test]
async fn health_reflects_whether_the_database_takes_a_write() {
    use sqlx::Connection;
    let db = TestDb::sqlite().await;
    let addr = serve_for_the_test(&db).await;
    assert_eq!(get(addr, "/healthz").await.0, 200);

    // Another process-like connection holds the write lock.
    let mut other = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let (status, _) = get(addr, "/healthz").await;
    assert_eq!(
        status, 503,
        "reads still work, but no webhook could be stored"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "answered, not hung"
    );
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    other.close().await.unwrap();
    assert_eq!(get(addr, "/healthz").await.0, 200);
    db.finish().await;
}

/// Resident memory of a process, from /proc (Linux), in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The release of the measurement, against the real binary: 1,500
/// connections (from 30 loopback addresses) each pushing 390 KB of
/// unfinished headers took RSS from 489 to 873 MB. Now each head is cut
/// off at 64 KiB, connections are capped, and `/healthz` still answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_huge_headers_leave_memory_bounded() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dealwatch"))
        .arg("serve")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("d.db").display()),
        )
        .env("DEALWATCH_LISTEN", format!("127.0.0.1:{port}"))
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let started = Instant::now();
    while get_from("127.0.0.1", addr, "/healthz").await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "serve did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = rss_kib(child.id());

    let junk = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: {}",
        "a".repeat(390 * 1024)
    );
    let junk = std::sync::Arc::new(junk.into_bytes());
    let mut holders = tokio::task::JoinSet::new();
    for i in 0..1500u32 {
        let junk = junk.clone();
        let from = format!("127.0.0.{}", 2 + i % 30);
        holders.spawn(async move {
            let socket = tokio::net::TcpSocket::new_v4().ok()?;
            socket.bind(format!("{from}:0").parse().unwrap()).ok()?;
            let mut stream = socket.connect(addr).await.ok()?;
            let _ = tokio::time::timeout(Duration::from_secs(5), stream.write_all(&junk)).await;
            Some(stream)
        });
    }
    let mut held = Vec::new();
    while let Some(stream) = holders.join_next().await {
        held.extend(stream.unwrap());
    }
    let during = rss_kib(child.id());
    let (status, _) = get_from("127.0.0.1", addr, "/healthz").await.unwrap();
    assert_eq!(status, 200, "health answered during the attack");
    eprintln!("serve RSS: {before} KiB before, {during} KiB with 1,500 huge unfinished heads");
    let grown_mib = during.saturating_sub(before) / 1024;
    assert!(
        grown_mib < 128,
        "RSS grew by {grown_mib} MiB ({before} -> {during} KiB); unbounded heads would take ~570 MiB"
    );
    drop(held);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// The service as `serve` builds it (`startup::Application`), on both
/// databases: it answers health on the port it was given, serves metrics on
/// their own listener when asked, and stops cleanly.
#[tokio::test]
async fn the_whole_service_starts_answers_and_stops() {
    for db in TestDb::all().await {
        let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let metrics_address = format!("127.0.0.1:{metrics_port}");
        let app = common::spawn_app(&db, &["--metrics-listen", &metrics_address]).await;
        assert_eq!(get(app.address, "/healthz").await.0, 200, "{}", db.name);
        assert_eq!(
            get(app.address, "/metrics").await.0,
            404,
            "{}: not on the public listener",
            db.name
        );
        let (status, body) = get(metrics_address.parse().unwrap(), "/metrics").await;
        assert_eq!(status, 200, "{}", db.name);
        assert!(body.contains("dealwatch_http_connections"), "{}", db.name);
        let address = app.address;
        tokio::time::timeout(std::time::Duration::from_secs(10), app.stop())
            .await
            .expect("stops")
            .unwrap();
        assert!(TcpStream::connect(address).await.is_err(), "{}", db.name);
        db.finish().await;
    }
}

/// Every answer carries the request's id: the caller's when it is plain,
/// else a fresh one (a header full of junk is not echoed into logs).
#[tokio::test]
async fn each_request_has_an_id_that_the_answer_carries() {
    let db = TestDb::sqlite().await;
    let addr = serve_for_the_test(&db).await;
    let http = reqwest::Client::new();
    let given = http
        .get(format!("http://{addr}/healthz"))
        .header("X-Request-Id", "trace-42_a")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-42_a");
    for junk in ["a b", "x".repeat(65).as_str(), "<script>"] {
        let answer = http
            .get(format!("http://{addr}/healthz"))
            .header("X-Request-Id", junk)
            .send()
            .await
            .unwrap();
        let id = answer.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_ne!(id, junk);
        assert_eq!(id.len(), 16, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    }
    db.finish().await;
}
