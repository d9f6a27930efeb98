//! A fake shop on loopback serving the fixture pages, plus the misbehaviour
//! real sites show: robots rules, 429s, redirect chains, a redirect into our
//! own network, a slow page, a 50 MB page. Every request is logged.
#![allow(dead_code)]

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Default)]
pub struct ShopState {
    pub log: Arc<Mutex<Vec<(String, Instant)>>>,
    /// Overrides for pages, by name: tests change prices through these.
    pub pages: Arc<Mutex<HashMap<String, String>>>,
    pub port: Arc<Mutex<u16>>,
    /// Replaces the default robots.txt when set.
    pub robots: Arc<Mutex<Option<String>>>,
}

pub struct FakeShop {
    pub addr: SocketAddr,
    pub state: ShopState,
}

impl FakeShop {
    pub async fn start() -> FakeShop {
        let state = ShopState::default();
        let app = Router::new()
            .route("/robots.txt", get(robots))
            .route("/p/{name}", get(page))
            .route("/private/{name}", get(page))
            .route("/busy", get(busy))
            .route("/hop/{n}", get(hop))
            .route("/to-loopback", get(to_loopback))
            .route("/to-localhost", get(to_localhost))
            .route("/to-metadata", get(to_metadata))
            .route("/slow", get(slow))
            .route("/huge", get(huge))
            .route("/huge-chunked", get(huge_chunked))
            .route("/gone", get(|| async { StatusCode::GONE }))
            .route("/gzip", get(gzip))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        *state.port.lock().unwrap() = addr.port();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeShop { addr, state }
    }

    pub fn hits(&self, path: &str) -> usize {
        self.state
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .count()
    }

    pub fn times(&self, path: &str) -> Vec<Instant> {
        self.state
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, t)| *t)
            .collect()
    }

    pub fn set_page(&self, name: &str, html: String) {
        self.state
            .pages
            .lock()
            .unwrap()
            .insert(name.to_owned(), html);
    }
}

fn log(state: &ShopState, path: String) {
    state.log.lock().unwrap().push((path, Instant::now()));
}

pub fn fixture(name: &str) -> Option<String> {
    let path = format!("{}/tests/fixtures/shop/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).ok()
}

async fn robots(State(state): State<ShopState>) -> String {
    log(&state, "/robots.txt".into());
    state.robots.lock().unwrap().clone().unwrap_or_else(|| {
        "User-agent: *\nDisallow: /private/\n\nUser-agent: DealwatchBot\nDisallow: /private/\nAllow: /\n".to_owned()
    })
}

async fn page(
    State(state): State<ShopState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    log(&state, format!("/p/{name}"));
    let body = state
        .pages
        .lock()
        .unwrap()
        .get(&name)
        .cloned()
        .or_else(|| fixture(&name));
    let Some(body) = body else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!(
        "\"{:x}\"",
        body.len() * 31 + body.bytes().map(usize::from).sum::<usize>()
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (header::ETAG, etag),
        ],
        body,
    )
        .into_response()
}

async fn busy(State(state): State<ShopState>) -> Response {
    log(&state, "/busy".into());
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, "120")],
        "slow down",
    )
        .into_response()
}

async fn hop(State(state): State<ShopState>, Path(n): Path<u32>) -> Response {
    log(&state, format!("/hop/{n}"));
    if n == 0 {
        return page(
            State(state),
            Path("jsonld_graph.html".into()),
            HeaderMap::new(),
        )
        .await;
    }
    (
        StatusCode::FOUND,
        [(header::LOCATION, format!("/hop/{}", n - 1))],
    )
        .into_response()
}

async fn to_loopback(State(state): State<ShopState>) -> Response {
    log(&state, "/to-loopback".into());
    let port = *state.port.lock().unwrap();
    (
        StatusCode::FOUND,
        [(
            header::LOCATION,
            format!("http://127.0.0.1:{port}/p/jsonld_graph.html"),
        )],
    )
        .into_response()
}

async fn to_localhost(State(state): State<ShopState>) -> Response {
    log(&state, "/to-localhost".into());
    let port = *state.port.lock().unwrap();
    (
        StatusCode::MOVED_PERMANENTLY,
        [(
            header::LOCATION,
            format!("http://localhost:{port}/p/jsonld_graph.html"),
        )],
    )
        .into_response()
}

async fn to_metadata(State(state): State<ShopState>) -> Response {
    log(&state, "/to-metadata".into());
    (
        StatusCode::TEMPORARY_REDIRECT,
        [(header::LOCATION, "http://169.254.169.254/latest/meta-data/")],
    )
        .into_response()
}

async fn slow(State(state): State<ShopState>) -> Response {
    log(&state, "/slow".into());
    tokio::time::sleep(Duration::from_secs(10)).await;
    "too late".into_response()
}

const FIFTY_MB: usize = 50 * 1024 * 1024;

async fn huge(State(state): State<ShopState>) -> Response {
    log(&state, "/huge".into());
    vec![b'a'; FIFTY_MB].into_response()
}

async fn huge_chunked(State(state): State<ShopState>) -> Response {
    log(&state, "/huge-chunked".into());
    // No Content-Length: the client must stop reading by itself.
    let chunks = (0..FIFTY_MB / 65_536).map(|_| Ok::<_, std::io::Error>(vec![b'<'; 65_536]));
    Body::from_stream(futures_util::stream::iter(chunks)).into_response()
}

/// The kettle page, gzip-compressed, as shops serve it.
async fn gzip(State(state): State<ShopState>) -> Response {
    use std::io::Write;
    log(&state, "/gzip".into());
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(fixture("jsonld_graph.html").unwrap_or_default().as_bytes())
        .unwrap();
    let body = encoder.finish().unwrap();
    (
        [
            (header::CONTENT_ENCODING, "gzip"),
            (header::CONTENT_TYPE, "text/html"),
        ],
        body,
    )
        .into_response()
}
