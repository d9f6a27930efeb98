//! Purpose: fetch shop pages politely and safely.
//!
//! Polite: robots.txt is obeyed (cached per origin, crawl-delay honoured),
//! each host gets at most one request per interval and a few at once, the
//! User-Agent says who we are and where to complain, conditional GET saves
//! the shop a full page when nothing changed, and a 429/503 `Retry-After`
//! pauses that host.
//!
//! Safe: users hand us URLs, so only http(s) is fetched, and every address
//! a host name resolves to must be public (not loopback, private,
//! link-local such as 169.254.169.254, unique-local, multicast...). The
//! check lives in the DNS resolver the HTTP client connects through, so the
//! connection goes to exactly the address that was checked (no DNS
//! rebinding window), and it runs again for every redirect. IP literals,
//! which skip DNS, are checked before the request and in the redirect
//! policy. Bodies are capped after decompression, redirects limited, and
//! every request has a deadline.
//!
//! Proxies: the environment's `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` are
//! never used here (a proxy resolves names itself, so the resolver's check
//! would never run). A proxy for the scraper is set explicitly
//! ([`FetchConfig::proxy`], `DEALWATCH_FETCH_PROXY`); then every hop's
//! host is resolved and checked here before the request goes to the proxy,
//! and redirects are followed here, one checked hop at a time. The proxy
//! connects on its own lookup, so a name whose DNS answer changes between
//! the two (rebinding) is the proxy's to refuse: run it with the same
//! policy, or where it has no route inside (docs/SECURITY.md).

mod robots;

use crate::urls::is_public_ip;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{
    HeaderMap, HeaderValue, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};
use reqwest::StatusCode;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use url::Url;

pub use robots::RobotsCache;

/// How the fetcher behaves; the defaults are the polite ones.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Let hosts resolve to loopback and private addresses (tests, demos).
    pub allow_private: bool,
    /// Who we are, with a URL where shop owners can reach us.
    pub user_agent: String,
    /// Least time between two requests to one host (raised by crawl-delay).
    pub per_host_interval: Duration,
    /// Most requests in flight to one host.
    pub per_host_concurrency: usize,
    pub connect_timeout: Duration,
    /// Deadline for a whole request, body included.
    pub timeout: Duration,
    /// Largest body accepted, after decompression.
    pub max_body_bytes: usize,
    pub max_redirects: usize,
    /// Fixed addresses for host names, like curl's `--resolve`; they skip
    /// the address check. For tests that need a "public" shop on loopback.
    pub resolve: Vec<(String, SocketAddr)>,
    /// An HTTP(S) proxy every fetch goes through (`DEALWATCH_FETCH_PROXY`).
    /// `None`: direct, whatever the environment's proxy variables say.
    pub proxy: Option<Url>,
}

impl Default for FetchConfig {
    fn default() -> FetchConfig {
        FetchConfig {
            allow_private: false,
            user_agent: user_agent(None),
            per_host_interval: Duration::from_secs(1),
            per_host_concurrency: 2,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 5 * 1024 * 1024,
            max_redirects: 5,
            resolve: Vec::new(),
            proxy: None,
        }
    }
}

/// `DealwatchBot/0.1 (+https://example.org/bot)`: the contact URL is the
/// operator's public base URL when set.
pub fn user_agent(public_base_url: Option<&Url>) -> String {
    let contact = public_base_url
        .and_then(|u| u.join("/bot").ok())
        .map_or_else(
            || "https://github.com/dealwatch/dealwatch#bot".to_owned(),
            String::from,
        );
    format!("DealwatchBot/{} (+{contact})", env!("CARGO_PKG_VERSION"))
}

/// Validators from the last fetch, for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetched page.
#[derive(Debug, Clone)]
pub struct Page {
    /// Where the redirects ended.
    pub url: Url,
    pub body: String,
    pub validators: Validators,
}

#[derive(Debug)]
pub enum FetchOutcome {
    Page(Page),
    /// 304: the page is as it was at the last fetch.
    NotModified,
}

/// Why a fetch failed. Each variant tells the scheduler what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("refused: {0}")]
    Refused(String),
    #[error("robots.txt disallows this page")]
    DisallowedByRobots,
    #[error("the host asked us to wait {0:?}")]
    RateLimited(Duration),
    #[error("the page is larger than {0} bytes")]
    TooLarge(usize),
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("timed out")]
    Timeout,
    #[error("network error: {0}")]
    Network(String),
}

impl FetchError {
    /// Whether trying again later can help (a 404 or a refusal cannot).
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::RateLimited(_) | FetchError::Timeout | FetchError::Network(_) => true,
            FetchError::Status(code) => *code >= 500 || *code == 408 || *code == 429,
            _ => false,
        }
    }
}

/// Refusal raised inside the resolver or redirect policy, found again in
/// reqwest's error chain.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct GuardError(String);

/// Resolves host names, refusing any that lead inside our network.
struct GuardedResolver {
    allow_private: bool,
    fixed: HashMap<String, Vec<SocketAddr>>,
    /// The configured proxy's host name: the operator's own machine, often
    /// on a private network, so it is not held to the public-only rule.
    proxy_host: Option<String>,
}

impl GuardedResolver {
    /// What a lookup of `name` needs, owned: the host in canonical form,
    /// its fixed addresses if any, and whether private addresses are fine.
    /// The proxy's own name may be private when the client connects to it
    /// (`connecting`), never when it is a page's host.
    fn lookup_of(&self, name: &str, connecting: bool) -> (String, Option<Vec<SocketAddr>>, bool) {
        let host = name.trim_end_matches('.').to_ascii_lowercase();
        let fixed = self.fixed.get(&host).cloned();
        let is_proxy = self.proxy_host.as_deref() == Some(host.as_str());
        (host, fixed, self.allow_private || (connecting && is_proxy))
    }

    /// The addresses of a page's `host`, all public (or private allowed),
    /// else why not.
    async fn lookup(&self, host: &str) -> Result<Vec<SocketAddr>, GuardError> {
        let (host, fixed, private_ok) = self.lookup_of(host, false);
        lookup_guarded(host, fixed, private_ok).await
    }
}

async fn lookup_guarded(
    host: String,
    fixed: Option<Vec<SocketAddr>>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, GuardError> {
    if let Some(addrs) = fixed {
        return Ok(addrs);
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
        .await
        .map_err(|e| GuardError(format!("{host}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(GuardError(format!("{host} has no address")));
    }
    // A name with any private address is refused whole: mixing public and
    // private answers is how rebinding attacks look.
    if !allow_private && addrs.iter().any(|a| !is_public_ip(a.ip())) {
        return Err(GuardError(format!("{host} resolves to a private address")));
    }
    Ok(addrs)
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        // Through a proxy, the client resolves only the proxy's name.
        let (host, fixed, private_ok) = self.lookup_of(name.as_str(), true);
        Box::pin(async move {
            let addrs = lookup_guarded(host, fixed, private_ok)
                .await
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Check a URL before any request: scheme, and an IP literal's range.
fn check_url(url: &Url, allow_private: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{} URLs are not fetched", url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("URLs with credentials are not fetched".into());
    }
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(_)) => None,
        None => return Err("the URL has no host".into()),
    };
    if let Some(ip) = literal {
        if !allow_private && !is_public_ip(ip) {
            return Err(format!("{ip} is a private address"));
        }
    }
    Ok(())
}

/// Per-host politeness: a rate limiter and a concurrency limit.
struct HostGate {
    limiter: DefaultDirectRateLimiter,
    slots: Semaphore,
    /// Set by a 429/503 Retry-After: no requests before this instant.
    paused_until: Mutex<Option<Instant>>,
}

/// The polite, guarded HTTP client. Cheap to share behind an `Arc`.
pub struct Fetcher {
    client: reqwest::Client,
    /// Checks hosts ourselves when a proxy resolves them for the client.
    guard: Arc<GuardedResolver>,
    config: FetchConfig,
    robots: RobotsCache,
    hosts: Mutex<HashMap<String, Arc<HostGate>>>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    pub fn new(config: FetchConfig) -> Result<Fetcher, FetchError> {
        let mut fixed: HashMap<String, Vec<SocketAddr>> = HashMap::new();
        for (host, addr) in &config.resolve {
            fixed
                .entry(host.to_ascii_lowercase())
                .or_default()
                .push(*addr);
        }
        let resolver = Arc::new(GuardedResolver {
            allow_private: config.allow_private,
            fixed,
            proxy_host: config
                .proxy
                .as_ref()
                .and_then(|p| p.host_str())
                .map(|h| h.trim_end_matches('.').to_ascii_lowercase()),
        });
        let allow_private = config.allow_private;
        let max_redirects = config.max_redirects;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                return attempt.error(GuardError(format!("more than {max_redirects} redirects")));
            }
            match check_url(attempt.url(), allow_private) {
                Ok(()) => attempt.follow(),
                Err(why) => attempt.error(GuardError(why)),
            }
        });
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"),
        );
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-GB,en;q=0.9,de;q=0.5,fr;q=0.5"),
        );
        let mut builder = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .default_headers(headers)
            .dns_resolver(resolver.clone())
            // Never the environment's proxy variables: see the module docs.
            .no_proxy()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .pool_idle_timeout(Duration::from_secs(30));
        builder = match &config.proxy {
            // Through a proxy, each hop is checked and followed in `send`.
            Some(proxy) => builder
                .proxy(
                    reqwest::Proxy::all(proxy.as_str())
                        .map_err(|e| FetchError::Network(format!("proxy: {e}")))?,
                )
                .redirect(reqwest::redirect::Policy::none()),
            None => builder.redirect(policy),
        };
        let client = builder
            .build()
            .map_err(|e| FetchError::Network(e.to_string()))?;
        Ok(Fetcher {
            robots: RobotsCache::new(&config.user_agent),
            client,
            guard: resolver,
            config,
            hosts: Mutex::new(HashMap::new()),
        })
    }

    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    fn gate(&self, host: &str, crawl_delay: Option<Duration>) -> Arc<HostGate> {
        let mut hosts = self
            .hosts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        hosts
            .entry(host.to_owned())
            .or_insert_with(|| {
                let interval = crawl_delay
                    .unwrap_or_default()
                    .max(self.config.per_host_interval)
                    .max(Duration::from_millis(1));
                let quota = Quota::with_period(interval)
                    .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                    .allow_burst(NonZeroU32::MIN);
                Arc::new(HostGate {
                    limiter: RateLimiter::direct(quota),
                    slots: Semaphore::new(self.config.per_host_concurrency.max(1)),
                    paused_until: Mutex::new(None),
                })
            })
            .clone()
    }

    /// Fetch a page, politely: robots.txt first, then the host's gate.
    pub async fn fetch(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        check_url(url, self.config.allow_private).map_err(FetchError::Refused)?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let rules = self.robots.rules_for(self, url).await;
        match rules.as_ref() {
            robots::Rules::Refused(why) => return Err(FetchError::Refused(why.clone())),
            robots::Rules::Unreachable(why) => return Err(FetchError::Network(why.clone())),
            _ => {}
        }
        if !rules.allowed(url) {
            return Err(FetchError::DisallowedByRobots);
        }
        let gate = self.gate(&host, rules.crawl_delay());
        if let Some(until) = *gate.paused_until.lock().unwrap_or_else(|p| p.into_inner()) {
            let now = Instant::now();
            if until > now {
                return Err(FetchError::RateLimited(until - now));
            }
        }
        let _slot = gate
            .slots
            .acquire()
            .await
            .map_err(|_| FetchError::Network("host gate closed".into()))?;
        gate.limiter.until_ready().await;

        let response = self.send(url, validators).await?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified);
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            let wait = retry_after(response.headers()).unwrap_or(Duration::from_secs(60));
            *gate.paused_until.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(Instant::now() + wait);
            return Err(FetchError::RateLimited(wait));
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let final_url = response.url().clone();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let validators = Validators {
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
        };
        let body = read_capped(
            response,
            self.config.max_body_bytes,
            self.config.max_redirects,
        )
        .await?;
        Ok(FetchOutcome::Page(Page {
            url: final_url,
            body: String::from_utf8_lossy(&body).into_owned(),
            validators,
        }))
    }

    /// A plain guarded GET for robots.txt: no robots check, no host gate.
    pub(crate) async fn get_raw(
        &self,
        url: &Url,
        max_bytes: usize,
    ) -> Result<(u16, Vec<u8>), FetchError> {
        check_url(url, self.config.allow_private).map_err(FetchError::Refused)?;
        let response = self.send(url, &Validators::default()).await?;
        let status = response.status().as_u16();
        let body = read_capped(response, max_bytes, self.config.max_redirects).await?;
        Ok((status, body))
    }
}

impl Fetcher {
    /// One GET of `url`, redirects followed. Direct, the client's resolver
    /// and redirect policy check every hop; through a proxy, each hop's
    /// host is resolved and checked here, and redirects followed here.
    async fn send(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<reqwest::Response, FetchError> {
        let max = self.config.max_redirects;
        let mut url = url.clone();
        for _ in 0..=max {
            let mut request = self.client.get(url.clone());
            if let Some(etag) = &validators.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(modified) = &validators.last_modified {
                request = request.header(IF_MODIFIED_SINCE, modified);
            }
            if self.config.proxy.is_none() {
                return request.send().await.map_err(|e| classify(e, max));
            }
            check_url(&url, self.config.allow_private).map_err(FetchError::Refused)?;
            if let Some(url::Host::Domain(host)) = url.host() {
                self.guard
                    .lookup(host)
                    .await
                    .map_err(|e| FetchError::Refused(e.0))?;
            }
            let response = request.send().await.map_err(|e| classify(e, max))?;
            if !response.status().is_redirection() {
                return Ok(response);
            }
            let Some(next) = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
            else {
                return Ok(response);
            };
            url = next;
        }
        Err(FetchError::TooManyRedirects(max))
    }
}

/// Read a body, refusing it once it passes `max` bytes (after decompression,
/// so a small gzip bomb is caught too).
async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
    redirects: usize,
) -> Result<Vec<u8>, FetchError> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(FetchError::TooLarge(max));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(e, redirects))? {
        if body.len() + chunk.len() > max {
            return Err(FetchError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `Retry-After` as seconds or an HTTP date, capped at a day.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
            let secs = (when - jiff::Timestamp::now()).get_seconds().max(0);
            Duration::from_secs(u64::try_from(secs).unwrap_or(0))
        }
    };
    Some(wait.min(Duration::from_secs(86_400)))
}

fn classify(error: reqwest::Error, max_redirects: usize) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if let Some(guard) = e.downcast_ref::<GuardError>() {
            return if guard.0.starts_with("more than") {
                FetchError::TooManyRedirects(max_redirects)
            } else {
                FetchError::Refused(guard.0.clone())
            };
        }
        source = e.source();
    }
    if error.is_timeout() {
        return FetchError::Timeout;
    }
    if error.is_redirect() {
        return FetchError::TooManyRedirects(max_redirects);
    }
    // The innermost cause says what happened ("dns error: ...", "Connection refused").
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(&error);
    while let Some(e) = source {
        causes.push(e.to_string());
        source = e.source();
    }
    let error = error.without_url();
    FetchError::Network(causes.last().cloned().unwrap_or_else(|| error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_addresses_are_checked_before_any_request() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(check_url(&url("http://127.0.0.1/"), false).is_err());
        assert!(check_url(&url("http://[::ffff:169.254.169.254]/"), false).is_err());
        assert!(check_url(&url("ftp://shop.example/"), false).is_err());
        assert!(check_url(&url("http://u:p@shop.example/"), false).is_err());
        assert!(check_url(&url("http://127.0.0.1/"), true).is_ok());
        assert!(check_url(&url("https://shop.example/p"), false).is_ok());
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("99999999"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(86_400)));
    }
}
