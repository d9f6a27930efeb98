//! Shared helpers for the integration tests: a fresh database on each
//! backend, and a core wired to it.
//!
//! PostgreSQL tests run when `DEALWATCH_TEST_POSTGRES_URL` names a server
//! (an admin URL such as `postgres://postgres:postgres@127.0.0.1:5432/postgres`);
//! each test gets its own database, dropped afterwards. When `CI=true` and
//! the variable is missing, the tests fail instead of skipping, so CI can
//! never go green having run no PostgreSQL test.
#![allow(dead_code)]

pub mod enforcing;
#[allow(unused_imports)]
pub use enforcing::{embed_text, shown_html};
pub mod fake_api;
pub mod shop;

use dealwatch::conversation::{Core, CoreOptions};
use dealwatch::l10n::L10n;
use dealwatch::metrics::Metrics;
use dealwatch::plans::Plans;
use dealwatch::storage::Store;
use dealwatch_bots::{Channel, Incoming, Outgoing};
use sqlx::Connection;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

pub const POSTGRES_ENV: &str = "DEALWATCH_TEST_POSTGRES_URL";

/// A database for one test; call [`TestDb::finish`] at the end.
pub struct TestDb {
    pub name: &'static str,
    pub url: String,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let store = Store::open(&url).await.expect("open SQLite");
        TestDb {
            name: "sqlite",
            url,
            store,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` when none is configured
    /// outside CI.
    pub async fn postgres() -> Option<TestDb> {
        let admin = match std::env::var(POSTGRES_ENV) {
            Ok(url) if !url.is_empty() => url,
            _ => {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!(
                        "CI=true but {POSTGRES_ENV} is not set: PostgreSQL tests must run in CI"
                    );
                }
                eprintln!("note: {POSTGRES_ENV} not set, PostgreSQL variant skipped (run .ci/run for both)");
                return None;
            }
        };
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "dealwatch_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {POSTGRES_ENV}: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        conn.close().await.ok();
        let mut url = url::Url::parse(&admin).expect("admin URL");
        url.set_path(&format!("/{name}"));
        let url = url.to_string();
        let store = Store::open(&url).await.expect("open PostgreSQL");
        Some(TestDb {
            name: "postgres",
            url,
            store,
            _dir: None,
            postgres: Some((admin, name)),
        })
    }

    /// SQLite always, PostgreSQL when configured.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        dbs.extend(TestDb::postgres().await);
        dbs
    }

    pub fn core(&self) -> Core {
        self.core_with(CoreOptions::default())
    }

    pub fn core_with(&self, options: CoreOptions) -> Core {
        let l10n = Arc::new(L10n::load().expect("locales"));
        Core::new(
            self.store.clone(),
            l10n,
            Plans::default(),
            options,
            Metrics::new(),
        )
    }

    pub async fn finish(self) {
        self.store.close().await;
        if let Some((admin, name)) = self.postgres {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await;
                conn.close().await.ok();
            }
        }
    }
}

/// Record prices (in GBP) seen on the product at `url`, each `(price,
/// seconds before now)`, oldest first, the way the scheduler records a
/// check: lease the product, then apply the result.
pub async fn record_prices(store: &Store, url: &str, title: &str, prices: &[(&str, i64)]) {
    use dealwatch::model::Availability;
    use dealwatch::money::{Currency, Money};
    use dealwatch::storage::{CheckResult, Observation, WatchDecision};
    let product = store
        .products()
        .product_id(url)
        .await
        .unwrap()
        .expect("someone watches the product");
    let now = dealwatch::storage::unix_now();
    for (price, ago) in prices {
        let result = CheckResult::Observed {
            observation: Observation {
                title: Some(title.to_owned()),
                image_url: None,
                price: Some(Money::new(price.parse().unwrap(), Currency::GBP)),
                availability: Availability::InStock,
            },
            validators: Default::default(),
            method: "json-ld",
        };
        store
            .products()
            .claim_due("test", i64::MAX / 4, 60, 10)
            .await
            .unwrap();
        store
            .products()
            .apply_check(product, "test", &result, now, now - ago, |_, _, _, _| {
                WatchDecision::default()
            })
            .await
            .unwrap();
    }
}

/// Run `dealwatch serve`'s HTTP server with `routes` on a free loopback
/// port, for the life of the test; returns its base URL.
pub async fn serve(store: &Store, routes: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = dealwatch::server::AppState {
        store: store.clone(),
        metrics: Metrics::new(),
    };
    tokio::spawn(dealwatch::server::run(
        listener,
        state,
        routes,
        std::future::pending(),
    ));
    base
}

/// A fixed clock for tests: 2026-11-23T12:00:00Z.
pub const NOW: i64 = 1_795_435_200;

/// A message from a person on a channel.
pub fn from(channel: Channel, sender: &str, text: &str) -> Incoming {
    Incoming {
        channel,
        sender_id: sender.to_owned(),
        reply_to: sender.to_owned(),
        sender_name: None,
        message_id: None,
        language_hint: None,
        text: text.to_owned(),
        group: None,
        event: None,
    }
}

/// Send `text` as console user `user` and return the replies' text, joined.
pub async fn say(core: &Core, user: &str, text: &str) -> String {
    let replies = core
        .handle(&Incoming::console(user, text), NOW)
        .await
        .unwrap_or_else(|e| panic!("handling {text:?} failed: {e}"));
    joined(&replies)
}

pub fn joined(replies: &[Outgoing]) -> String {
    replies
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The whole service (`dealwatch serve`, as `startup::Application` builds
/// it) on `db` and a free loopback port, with `args` as extra flags; stop
/// it with [`App::stop`].
pub struct App {
    pub address: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), dealwatch::startup::StartupError>>>,
}

impl App {
    /// Stop it and wait for it to finish; the run's outcome.
    pub async fn stop(mut self) -> Result<(), dealwatch::startup::StartupError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.expect("the service task"),
            None => Ok(()),
        }
    }
}

/// The service's configuration as `serve` reads it from `args` (flags
/// only: the tests' environment is not read for secrets), on `db` and a
/// free loopback port.
pub fn config(db: &TestDb, args: &[&str]) -> dealwatch::config::Config {
    use clap::Parser;
    let mut argv = vec![
        "dealwatch",
        "--database-url",
        &db.url,
        "--listen",
        "127.0.0.1:0",
    ];
    argv.extend_from_slice(args);
    argv.push("serve");
    dealwatch::config::Cli::try_parse_from(argv)
        .expect("test flags")
        .config
}

/// The service built from `config` exactly as `serve` builds it (its
/// channels, routes, inbox and dispatcher, pointed at fake platforms by
/// their `*_API_URL` settings), with its HTTP server running and its
/// workers stepped by the test: `app.inbox.process_pending()`,
/// `app.dispatcher.deliver_pending()`.
pub async fn spawn_stepped(config: dealwatch::config::Config) -> dealwatch::startup::Stepped {
    dealwatch::startup::Application::build(config)
        .await
        .expect("the service builds")
        .serve_stepped()
        .await
        .expect("the service starts")
}

/// A secret setting, as the environment would give it.
pub fn secret(value: &str) -> Option<secrecy::SecretString> {
    Some(secrecy::SecretString::from(value.to_owned()))
}

pub async fn spawn_app(db: &TestDb, args: &[&str]) -> App {
    let app = dealwatch::startup::Application::build(config(db, args))
        .await
        .expect("the service builds");
    let address = app.address();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    App {
        address,
        stop: Some(stop),
        task: Some(task),
    }
}

/// A sender that takes every message and remembers its text (ids `m1`,
/// `m2`, ... in order) and, beside it, where it was sent.
#[derive(Default)]
pub struct Recorder(
    pub std::sync::Mutex<Vec<String>>,
    pub std::sync::Mutex<Vec<String>>,
);

impl Recorder {
    /// Every message taken: where it went, and its text.
    pub fn sent(&self) -> Vec<(String, String)> {
        let to = self.1.lock().expect("the recorder").clone();
        to.into_iter()
            .zip(self.0.lock().expect("the recorder").iter().cloned())
            .collect()
    }
}

impl dealwatch_bots::Sender for Recorder {
    fn send<'a>(
        &'a self,
        reply_to: &'a str,
        messages: &'a [Outgoing],
    ) -> dealwatch_bots::BoxFuture<'a, Result<Vec<String>, dealwatch_bots::SendError>> {
        Box::pin(async move {
            self.1
                .lock()
                .expect("the recorder")
                .extend(messages.iter().map(|_| reply_to.to_owned()));
            let mut sent = self.0.lock().expect("the recorder");
            let first = sent.len();
            sent.extend(messages.iter().map(|m| m.text.clone()));
            Ok((1..=messages.len())
                .map(|i| format!("m{}", first + i))
                .collect())
        })
    }
}

/// A deal from the test source: `price` and `was` in pounds.
pub fn new_deal(
    key: &str,
    title: &str,
    price: Option<&str>,
    was: Option<&str>,
) -> dealwatch::storage::NewDeal {
    use dealwatch::money::{Currency, Money};
    let gbp = |p: Option<&str>| p.map(|p| Money::new(p.parse().unwrap(), Currency::GBP));
    dealwatch::storage::NewDeal {
        source: "test".into(),
        dedupe_key: key.into(),
        title: title.into(),
        url: format!("https://shop.example/{key}"),
        price: gbp(price),
        was_price: gbp(was),
        merchant: Some("Bricks & Co".into()),
        category: None,
        condition: None,
        score: None,
        fingerprint: None,
        lowest: None,
        image: None,
    }
}
