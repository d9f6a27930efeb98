//! The scraper end to end: a user watches pages on a fake shop, the
//! scheduler checks them, and price changes become exactly one notice each.

mod common;

use common::shop::{fixture, FakeShop};
use common::{say, TestDb};
use dealwatch::conversation::{Core, CoreOptions};
use dealwatch::extract::SiteRules;
use dealwatch::fetch::{FetchConfig, Fetcher};
use dealwatch::plans::Plans;
use dealwatch::scheduler::{Scheduler, SchedulerConfig};
use dealwatch_bots::Channel;
use std::sync::Arc;
use std::time::Duration;

fn scheduler(db: &TestDb, owner: &str) -> Scheduler {
    scheduler_on(db.store.clone(), owner, Duration::from_secs(1))
}

fn scheduler_on(store: dealwatch::storage::Store, owner: &str, interval: Duration) -> Scheduler {
    let fetcher = Fetcher::new(FetchConfig {
        allow_private: true,
        per_host_interval: Duration::from_millis(5),
        per_host_concurrency: 4,
        ..FetchConfig::default()
    })
    .unwrap();
    Scheduler::new(
        store,
        Arc::new(fetcher),
        Arc::new(SiteRules::default()),
        Plans::default(),
        SchedulerConfig {
            owner: owner.to_owned(),
            interval_override: Some(interval),
            ..SchedulerConfig::default()
        },
    )
}

fn open_core(db: &TestDb) -> Core {
    db.core_with(CoreOptions {
        allow_private_hosts: true,
        ..CoreOptions::default()
    })
}

/// The kettle page at a given price and availability.
fn kettle(price: &str, availability: &str) -> String {
    fixture("jsonld_graph.html")
        .unwrap()
        .replace("\"price\":\"34.99\"", &format!("\"price\":\"{price}\""))
        .replace(
            "https://schema.org/InStock",
            &format!("https://schema.org/{availability}"),
        )
}

async fn notices(core: &Core, user: &str) -> Vec<String> {
    let now = dealwatch::storage::unix_now();
    let pending = core
        .pending_notices(Channel::Console, user, now)
        .await
        .unwrap();
    let mut texts = Vec::new();
    for (id, notice) in pending {
        core.delivered(id, None, now).await.unwrap();
        texts.push(notice.text);
    }
    texts
}

/// Wait out the 1 s check interval (±10% jitter), then run one tick.
async fn next_round(s: &Scheduler) -> usize {
    tokio::time::sleep(Duration::from_millis(1200)).await;
    s.tick().await.unwrap()
}

#[tokio::test]
async fn a_watch_reports_its_product_then_alerts_once_per_change() {
    for db in TestDb::all().await {
        let shop = FakeShop::start().await;
        shop.set_page("kettle", kettle("34.99", "InStock"));
        let core = open_core(&db);
        let s = scheduler(&db, "one");
        let url = format!("http://127.0.0.1:{}/p/kettle", shop.addr.port());
        say(&core, "ann", &format!("watch {url} below £30")).await;
        say(&core, "bob", &format!("watch {url}?utm_source=newsletter")).await;

        assert_eq!(
            s.tick().await.unwrap(),
            1,
            "{}: one product however many watch it",
            db.name
        );
        assert_eq!(shop.hits("/p/kettle"), 1);
        let ann = notices(&core, "ann").await;
        assert_eq!(ann.len(), 1, "{}: {ann:?}", db.name);
        assert!(
            ann[0].contains("#1 is Acme Cordless Kettle 1.7L: £34.99"),
            "{}: {ann:?}",
            db.name
        );
        assert!(say(&core, "ann", "list")
            .await
            .contains("Acme Cordless Kettle 1.7L — £34.99"));
        assert_eq!(notices(&core, "bob").await.len(), 1);

        // The price falls below ann's target: one alert each (bob: any drop).
        shop.set_page("kettle", kettle("29.99", "InStock"));
        assert_eq!(next_round(&s).await, 1);
        let ann = notices(&core, "ann").await;
        assert_eq!(ann.len(), 1, "{}: {ann:?}", db.name);
        assert!(
            ann[0].contains("at or below your target"),
            "{}: {ann:?}",
            db.name
        );
        assert!(
            ann[0].contains("£34.99 → £29.99 (14.3% off)"),
            "{}: {ann:?}",
            db.name
        );
        let bob = notices(&core, "bob").await;
        assert!(
            bob.len() == 1 && bob[0].contains("Price drop"),
            "{}: {bob:?}",
            db.name
        );

        // Unchanged: checked again, nothing said.
        assert_eq!(next_round(&s).await, 1);
        assert!(
            notices(&core, "ann").await.is_empty(),
            "{}: no repeat while the price stays put",
            db.name
        );

        // A rise says nothing; a further fall below target alerts again.
        shop.set_page("kettle", kettle("31.00", "InStock"));
        next_round(&s).await;
        assert!(notices(&core, "ann").await.is_empty());
        shop.set_page("kettle", kettle("27.50", "InStock"));
        next_round(&s).await;
        let ann = notices(&core, "ann").await;
        assert!(
            ann.len() == 1 && ann[0].contains("Lowest seen: £27.50"),
            "{}: {ann:?}",
            db.name
        );

        let history = say(&core, "ann", "history 1").await;
        assert!(
            history.contains("Now £27.50 · lowest £27.50 · highest £34.99"),
            "{}: {history}",
            db.name
        );
        assert!(
            history.contains("4 prices recorded"),
            "{}: {history}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn back_in_stock_and_broken_pages() {
    for db in TestDb::all().await {
        let shop = FakeShop::start().await;
        shop.set_page("kettle", kettle("34.99", "OutOfStock"));
        let core = open_core(&db);
        let s = scheduler(&db, "one");
        let port = shop.addr.port();
        say(
            &core,
            "ann",
            &format!("watch http://127.0.0.1:{port}/p/kettle instock"),
        )
        .await;
        say(
            &core,
            "ann",
            &format!("watch http://127.0.0.1:{port}/p/no_product.html"),
        )
        .await;
        say(
            &core,
            "ann",
            &format!("watch http://127.0.0.1:{port}/p/missing"),
        )
        .await;
        s.tick().await.unwrap();
        let first = notices(&core, "ann").await.join("\n---\n");
        assert!(
            first.contains("#1 is Acme Cordless Kettle 1.7L: out of stock"),
            "{}: {first}",
            db.name
        );
        assert!(
            first.contains("couldn't read a price on #2"),
            "{}: {first}",
            db.name
        );
        assert!(
            first.contains("couldn't read a price on #3"),
            "{}: {first}",
            db.name
        );
        assert!(first.contains("HTTP status 404"), "{}: {first}", db.name);

        shop.set_page("kettle", kettle("34.99", "InStock"));
        next_round(&s).await;
        let back = notices(&core, "ann").await;
        assert!(
            back.len() == 1 && back[0].contains("back in stock"),
            "{}: {back:?}",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn two_schedulers_sharing_a_database_never_fetch_a_product_twice() {
    for db in TestDb::all().await {
        let shop = FakeShop::start().await;
        let core = open_core(&db);
        let port = shop.addr.port();
        for n in 0..20 {
            shop.set_page(
                &format!("item{n}"),
                kettle(&format!("{}.00", 10 + n), "InStock"),
            );
            say(
                &core,
                &format!("user{}", n / 5),
                &format!("watch http://127.0.0.1:{port}/p/item{n}"),
            )
            .await;
        }
        // Two instances: separate pools on the same database, separate owners.
        let second = dealwatch::storage::Store::open(&db.url).await.unwrap();
        // A long interval, so "nothing due right after" cannot race the clock.
        let hour = Duration::from_secs(3600);
        let a = scheduler_on(db.store.clone(), "instance-a", hour);
        let b = scheduler_on(second.clone(), "instance-b", hour);
        let (checked_a, checked_b) = tokio::join!(a.tick(), b.tick());
        let (checked_a, checked_b) = (checked_a.unwrap(), checked_b.unwrap());
        assert_eq!(
            checked_a + checked_b,
            20,
            "{}: every product checked once between them",
            db.name
        );
        for n in 0..20 {
            assert_eq!(
                shop.hits(&format!("/p/item{n}")),
                1,
                "{}: item{n} fetched twice",
                db.name
            );
        }
        // Nothing is due again right away on either instance.
        assert_eq!(
            a.tick().await.unwrap() + b.tick().await.unwrap(),
            0,
            "{}",
            db.name
        );
        second.close().await;
        db.finish().await;
    }
}
