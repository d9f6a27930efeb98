//! A recording fake of a platform's REST API on loopback: every request is
//! kept (method, path, headers, body) for the test to check against the
//! platform's documented API, and each answer comes from a function the
//! test supplies, so one fake serves Discord, WhatsApp or any other API.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    pub headers: HeaderMap,
    /// The body as JSON (`Null` when it is not JSON, e.g. multipart).
    pub body: Value,
    /// The body as text, lossily (multipart forms, with their files).
    pub raw: String,
}

impl Call {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

type Answer = dyn Fn(&Call, usize) -> (StatusCode, Value) + Send + Sync;

#[derive(Clone)]
pub struct FakeApi {
    pub calls: Arc<Mutex<Vec<Call>>>,
    answer: Arc<Answer>,
    pub url: url::Url,
}

impl FakeApi {
    /// Serve on a free loopback port; `answer` gets each call and its
    /// number (1-based) and returns the status and JSON body.
    pub async fn start(
        answer: impl Fn(&Call, usize) -> (StatusCode, Value) + Send + Sync + 'static,
    ) -> FakeApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = url::Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let api = FakeApi {
            calls: Arc::new(Mutex::new(Vec::new())),
            answer: Arc::new(answer),
            url,
        };
        let router = Router::new().fallback(record).with_state(api.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        api
    }

    /// The API's base URL with a path prefix, as a `*_API_URL` setting.
    pub fn base(&self, prefix: &str) -> url::Url {
        self.url.join(prefix).unwrap()
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Calls whose method and path match.
    pub fn to(&self, method: &str, path: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method && c.path == path)
            .collect()
    }
}

async fn record(
    State(api): State<FakeApi>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = Call {
        method: method.to_string(),
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned()),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        raw: String::from_utf8_lossy(&body).into_owned(),
    };
    let n = {
        let mut calls = api.calls.lock().unwrap();
        calls.push(call.clone());
        calls.len()
    };
    let (status, body) = (api.answer)(&call, n);
    (status, axum::Json(body)).into_response()
}
