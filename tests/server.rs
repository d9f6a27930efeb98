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
