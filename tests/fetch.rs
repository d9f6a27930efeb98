//! The fetcher against a fake shop on loopback: politeness, the SSRF guard
//! and every way a real site misbehaves.

mod common;

use common::shop::FakeShop;
use dealwatch::fetch::{FetchConfig, FetchError, FetchOutcome, Fetcher, Validators};
use std::time::Duration;
use url::Url;

/// A fetcher that treats "shop.test" as a public host at the fake shop's
/// address, with the private-address guard ON for everything else.
fn guarded(shop: &FakeShop) -> Fetcher {
    Fetcher::new(FetchConfig {
        resolve: vec![("shop.test".into(), shop.addr)],
        timeout: Duration::from_secs(2),
        per_host_interval: Duration::from_millis(300),
        ..FetchConfig::default()
    })
    .unwrap()
}

fn url(shop: &FakeShop, path: &str) -> Url {
    Url::parse(&format!("http://shop.test:{}{path}", shop.addr.port())).unwrap()
}

async fn get(fetcher: &Fetcher, url: &Url) -> Result<FetchOutcome, FetchError> {
    fetcher.fetch(url, &Validators::default()).await
}

#[tokio::test]
async fn pages_are_fetched_with_our_user_agent_and_revalidated() {
    let shop = FakeShop::start().await;
    let fetcher = guarded(&shop);
    let FetchOutcome::Page(page) = get(&fetcher, &url(&shop, "/p/jsonld_graph.html"))
        .await
        .unwrap()
    else {
        panic!("expected a page");
    };
    assert!(page.body.contains("Acme Cordless Kettle"));
    assert!(page.validators.etag.is_some());
    // The same page again, conditionally: 304, nothing re-sent.
    let again = fetcher.fetch(&page.url, &page.validators).await.unwrap();
    assert!(matches!(again, FetchOutcome::NotModified));
    assert_eq!(
        shop.hits("/robots.txt"),
        1,
        "robots.txt is cached per origin"
    );
    assert!(fetcher.config().user_agent.starts_with("DealwatchBot/"));
    assert!(
        fetcher.config().user_agent.contains("(+http"),
        "the user agent carries a contact URL"
    );
}

#[tokio::test]
async fn robots_txt_is_obeyed() {
    let shop = FakeShop::start().await;
    let fetcher = guarded(&shop);
    let result = get(&fetcher, &url(&shop, "/private/jsonld_graph.html")).await;
    assert_eq!(result.unwrap_err(), FetchError::DisallowedByRobots);
    assert_eq!(shop.hits("/p/jsonld_graph.html"), 0);
    assert_eq!(
        shop.state
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p.starts_with("/private"))
            .count(),
        0
    );
}

#[tokio::test]
async fn requests_to_one_host_are_spaced_out() {
    let shop = FakeShop::start().await;
    let fetcher = guarded(&shop);
    for _ in 0..4 {
        get(&fetcher, &url(&shop, "/p/opengraph.html"))
            .await
            .unwrap();
    }
    let times = shop.times("/p/opengraph.html");
    assert_eq!(times.len(), 4);
    for pair in times.windows(2) {
        // A lower bound only: the limiter may never let requests closer.
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(250),
            "{:?}",
            pair[1] - pair[0]
        );
    }
}

#[tokio::test]
async fn crawl_delay_spaces_requests_further() {
    let shop = FakeShop::start().await;
    *shop.state.robots.lock().unwrap() = Some("User-agent: DealwatchBot\nCrawl-delay: 1\n".into());
    let fetcher = guarded(&shop);
    for _ in 0..3 {
        get(&fetcher, &url(&shop, "/p/opengraph.html"))
            .await
            .unwrap();
    }
    let times = shop.times("/p/opengraph.html");
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(900),
            "crawl-delay 1 ignored: {:?}",
            pair[1] - pair[0]
        );
    }
}

#[tokio::test]
async fn compressed_pages_are_decoded() {
    let shop = FakeShop::start().await;
    let fetcher = guarded(&shop);
    let FetchOutcome::Page(page) = get(&fetcher, &url(&shop, "/gzip")).await.unwrap() else {
        panic!("expected a page");
    };
    assert!(
        page.body.contains("Acme Cordless Kettle 1.7L"),
        "{:.200}",
        page.body
    );
}

#[tokio::test]
async fn a_429_pauses_the_host_for_its_retry_after() {
    let shop = FakeShop::start().await;
    let fetcher = guarded(&shop);
    assert_eq!(
        get(&fetcher, &url(&shop, "/busy")).await.unwrap_err(),
        FetchError::RateLimited(Duration::from_secs(120))
    );
    // The host is paused: the next request is not even sent.
    let next = get(&fetcher, &url(&shop, "/p/opengraph.html"))
        .await
        .unwrap_err();
    assert!(
        matches!(next, FetchError::RateLimited(d) if d > Duration::from_secs(100)),
        "{next:?}"
    );
    assert_eq!(shop.hits("/p/opengraph.html"), 0);
}

#[tokio::test]
async fn redirects_are_followed_up_to_five() {
    let shop = FakeShop::start().await;
    let fetcher = guarded(&shop);
    assert!(matches!(
        get(&fetcher, &url(&shop, "/hop/5")).await,
        Ok(FetchOutcome::Page(_))
    ));
    assert_eq!(
        get(&fetcher, &url(&shop, "/hop/6")).await.unwrap_err(),
        FetchError::TooManyRedirects(5)
    );
}

#[tokio::test]
async fn nothing_inside_our_network_is_fetched() {
    let shop = FakeShop::start().await;
    let fetcher = guarded(&shop);
    let port = shop.addr.port();
    for path in ["/to-loopback", "/to-localhost", "/to-metadata"] {
        let result = get(&fetcher, &url(&shop, path)).await;
        assert!(
            matches!(result, Err(FetchError::Refused(_))),
            "{path}: {result:?}"
        );
    }
    for target in [
        format!("http://127.0.0.1:{port}/p/jsonld_graph.html"),
        format!("http://localhost:{port}/p/jsonld_graph.html"),
        format!("http://[::1]:{port}/p/jsonld_graph.html"),
        format!("http://[::ffff:127.0.0.1]:{port}/p/jsonld_graph.html"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "file:///etc/passwd".to_owned(),
    ] {
        let result = get(&fetcher, &Url::parse(&target).unwrap()).await;
        assert!(
            matches!(result, Err(FetchError::Refused(_))),
            "{target}: {result:?}"
        );
    }
    assert_eq!(
        shop.hits("/p/jsonld_graph.html"),
        0,
        "the redirect target was never requested"
    );

    // DEALWATCH_ALLOW_PRIVATE_HOSTS=1 lifts the guard, for tests and demos.
    let open = Fetcher::new(FetchConfig {
        allow_private: true,
        ..FetchConfig::default()
    })
    .unwrap();
    let direct = Url::parse(&format!("http://127.0.0.1:{port}/p/jsonld_graph.html")).unwrap();
    assert!(matches!(
        get(&open, &direct).await,
        Ok(FetchOutcome::Page(_))
    ));
}

#[tokio::test]
async fn slow_huge_and_missing_pages_fail_cleanly() {
    let shop = FakeShop::start().await;
    let fetcher = guarded(&shop);
    assert_eq!(
        get(&fetcher, &url(&shop, "/slow")).await.unwrap_err(),
        FetchError::Timeout
    );
    assert_eq!(
        get(&fetcher, &url(&shop, "/huge")).await.unwrap_err(),
        FetchError::TooLarge(5 * 1024 * 1024)
    );
    assert_eq!(
        get(&fetcher, &url(&shop, "/huge-chunked"))
            .await
            .unwrap_err(),
        FetchError::TooLarge(5 * 1024 * 1024)
    );
    assert_eq!(
        get(&fetcher, &url(&shop, "/gone")).await.unwrap_err(),
        FetchError::Status(410)
    );
    assert_eq!(
        get(&fetcher, &url(&shop, "/p/nope.html"))
            .await
            .unwrap_err(),
        FetchError::Status(404)
    );
    assert!(!FetchError::Status(404).is_transient());
    assert!(FetchError::Timeout.is_transient());
    let FetchOutcome::Page(page) = get(&fetcher, &url(&shop, "/p/malformed.html"))
        .await
        .unwrap()
    else {
        panic!("expected a page");
    };
    assert!(page.body.contains("Retro Toaster"));
}

#[test]
fn check_prints_json_lines_for_fetched_pages_and_saved_files() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let shop = runtime.block_on(FakeShop::start());
    let port = shop.addr.port();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dealwatch"))
        .args([
            "check",
            &format!("http://127.0.0.1:{port}/p/jsonld_graph.html"),
            &format!("http://127.0.0.1:{port}/p/out_of_stock.html"),
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/shop/microdata.html"
            ),
            "--base-url",
            "https://werkzeug.example/gsr12",
        ])
        .env("DEALWATCH_ALLOW_PRIVATE_HOSTS", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["title"], "Acme Cordless Kettle 1.7L");
    assert_eq!(lines[0]["price"], "34.99");
    assert_eq!(lines[0]["currency"], "GBP");
    assert_eq!(lines[0]["availability"], "in_stock");
    assert_eq!(lines[0]["method"], "json-ld");
    assert_eq!(lines[1]["availability"], "out_of_stock");
    assert_eq!(lines[2]["price"], "129.90");
    assert_eq!(lines[2]["currency"], "EUR");
    assert_eq!(lines[2]["method"], "microdata");

    // Without the flag the guard is on: nothing extracted, exit 1.
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_dealwatch"))
        .args([
            "check",
            &format!("http://127.0.0.1:{port}/p/jsonld_graph.html"),
        ])
        .env_remove("DEALWATCH_ALLOW_PRIVATE_HOSTS")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nothing could be extracted"));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("private address"));
}

/// The environment's proxy variables are not the scraper's: with them
/// pointing at a proxy (here the fake shop, which answers proxy requests
/// by path), `dealwatch check` still refuses addresses inside our network
/// and the proxy hears nothing.
#[test]
fn proxy_variables_in_the_environment_do_not_bypass_the_guard() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let shop = runtime.block_on(FakeShop::start());
    let port = shop.addr.port();
    let proxy = format!("http://127.0.0.1:{port}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dealwatch"))
        .args([
            "check",
            &format!("http://localhost:{port}/p/jsonld_graph.html"),
            "http://metadata.google.internal/p/jsonld_graph.html",
        ])
        .env_remove("DEALWATCH_ALLOW_PRIVATE_HOSTS")
        .env_remove("DEALWATCH_FETCH_PROXY")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("HTTP_PROXY", &proxy)
        .env("http_proxy", &proxy)
        .env("HTTPS_PROXY", &proxy)
        .env("ALL_PROXY", &proxy)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(shop.hits("/p/jsonld_graph.html"), 0, "the proxy was used");
    assert!(String::from_utf8_lossy(&out.stdout).contains("private address"));
}

/// An explicit proxy (`DEALWATCH_FETCH_PROXY`) is used, and the address
/// policy still holds for every hop: a literal, a name and a redirect
/// into our network are refused before the proxy is asked.
#[tokio::test]
async fn an_explicit_proxy_is_used_and_the_guard_checks_every_hop() {
    let shop = FakeShop::start().await;
    let port = shop.addr.port();
    let fetcher = Fetcher::new(FetchConfig {
        proxy: Some(Url::parse(&format!("http://127.0.0.1:{port}")).unwrap()),
        // "shop.example" counts as public; the proxy (the fake shop)
        // answers for it.
        resolve: vec![("shop.example".into(), "93.184.216.34:80".parse().unwrap())],
        timeout: Duration::from_secs(2),
        per_host_interval: Duration::from_millis(1),
        ..FetchConfig::default()
    })
    .unwrap();
    let page = get(
        &fetcher,
        &Url::parse("http://shop.example/p/jsonld_graph.html").unwrap(),
    )
    .await
    .unwrap();
    let FetchOutcome::Page(page) = page else {
        panic!("expected a page");
    };
    assert!(page.body.contains("Acme Cordless Kettle"));
    assert_eq!(
        shop.hits("/p/jsonld_graph.html"),
        1,
        "fetched through the proxy"
    );

    for (target, what) in [
        (
            format!("http://127.0.0.1:{port}/p/jsonld_graph.html"),
            "a literal",
        ),
        (
            format!("http://localhost:{port}/p/jsonld_graph.html"),
            "a name",
        ),
        ("http://shop.example/to-localhost".to_owned(), "a redirect"),
        (
            "http://shop.example/to-metadata".to_owned(),
            "a redirect to metadata",
        ),
    ] {
        let result = get(&fetcher, &Url::parse(&target).unwrap()).await;
        assert!(
            matches!(result, Err(FetchError::Refused(_))),
            "{what}: {target}: {result:?}"
        );
    }
    assert_eq!(
        shop.hits("/p/jsonld_graph.html"),
        1,
        "nothing inside our network went through the proxy"
    );
    // A proxy named by a host that resolves inside our network (the
    // operator's own) is reached; that name as a page's host is not.
    let named = Fetcher::new(FetchConfig {
        proxy: Some(Url::parse(&format!("http://localhost:{port}")).unwrap()),
        resolve: vec![("shop.example".into(), "93.184.216.34:80".parse().unwrap())],
        timeout: Duration::from_secs(2),
        per_host_interval: Duration::from_millis(1),
        ..FetchConfig::default()
    })
    .unwrap();
    let page = get(
        &named,
        &Url::parse("http://shop.example/p/jsonld_graph.html").unwrap(),
    )
    .await;
    assert!(matches!(page, Ok(FetchOutcome::Page(_))), "{page:?}");
    assert_eq!(
        shop.hits("/p/jsonld_graph.html"),
        2,
        "through the named proxy"
    );
    let inside = format!("http://localhost:{port}/p/jsonld_graph.html");
    let refused = get(&named, &Url::parse(&inside).unwrap()).await;
    assert!(
        matches!(refused, Err(FetchError::Refused(_))),
        "{refused:?}"
    );
    assert_eq!(shop.hits("/p/jsonld_graph.html"), 2);

    // Redirects through the proxy are still counted.
    assert_eq!(
        get(&fetcher, &Url::parse("http://shop.example/hop/6").unwrap())
            .await
            .unwrap_err(),
        FetchError::TooManyRedirects(5)
    );
}
