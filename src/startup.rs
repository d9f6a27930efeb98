//! Purpose: build the whole service from its configuration and run it
//! until told to stop: what `dealwatch serve` does, in one place that the
//! binary and tests share.
//!
//! [`Application::build`] opens (and migrates) the database, loads the
//! locales, plans and site rules, builds every channel that is on, the
//! conversational core, the inbox, the dispatcher, the scheduler and the
//! source poller, and binds the listeners (port 0 picks a free one, which
//! [`Application::address`] reports). [`Application::run_until_stopped`]
//! runs them all until its `shutdown` future completes, then stops each in
//! turn: the HTTP server drains, the workers give back what they hold.

use crate::billing::{BillingEvents, Payments, Prices, StripePayments};
use crate::channels::{self, ChannelError};
use crate::config::{self, Config, ConfigError};
use crate::conversation::Core;
use crate::dispatch::Dispatcher;
use crate::fetch::{FetchError, Fetcher};
use crate::inbound::{Inbox, InboxSink};
use crate::l10n::{L10n, L10nError};
use crate::metrics::Metrics;
use crate::plans::Plans;
use crate::scheduler::{Scheduler, SchedulerConfig};
use crate::server::{self, AppState};
use crate::sources::SourcePoller;
use crate::storage::{Store, StoreError};
use dealwatch_bots::{BoxFuture, Channel, InboundSink, Sender};
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Why the service could not start (or its HTTP server failed).
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("opening the database at {url}")]
    Database {
        url: String,
        #[source]
        source: StoreError,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("loading locales")]
    Locales(#[from] L10nError),
    #[error(transparent)]
    Channel(#[from] ChannelError),
    #[error("building the HTTP client")]
    Fetcher(#[from] FetchError),
    #[error("billing: {0}")]
    Billing(String),
    #[error("listening on {address}")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("HTTP server failed")]
    Http(#[source] std::io::Error),
}

/// Open the database named in the configuration, migrating it.
pub async fn open_store(config: &Config) -> Result<Store, StartupError> {
    Store::open(&config.database_url)
        .await
        .map_err(|source| StartupError::Database {
            url: config::redact_url(&config.database_url),
            source,
        })
}

/// What sells plans: the Checkout and portal link maker and the price ids.
pub type Billing = (Arc<dyn Payments>, Prices);

/// Stripe, when it is configured.
pub fn payments(config: &Config) -> Result<Option<Billing>, StartupError> {
    let stripe = &config.stripe;
    let (Some(key), Some(pro), Some(premium)) = (
        stripe.stripe_secret_key.as_ref(),
        stripe.stripe_price_pro.as_ref(),
        stripe.stripe_price_premium.as_ref(),
    ) else {
        return Ok(None);
    };
    if !config.billing_enabled() {
        return Ok(None);
    }
    let public = config.public_base_url.as_ref().ok_or_else(|| {
        StartupError::Billing(
            "billing needs PUBLIC_BASE_URL: Checkout and the portal return there".into(),
        )
    })?;
    let prices = Prices {
        pro: pro.clone(),
        premium: premium.clone(),
    };
    let payments = StripePayments::new(
        key.expose_secret(),
        &stripe.stripe_api_url,
        prices.clone(),
        public,
    )
    .map_err(|e| StartupError::Billing(format!("Stripe client: {e}")))?;
    Ok(Some((Arc::new(payments), prices)))
}

/// The conversational core, selling plans when Stripe is configured.
pub fn core(
    config: &Config,
    store: Store,
    metrics: Metrics,
    l10n: Arc<L10n>,
) -> Result<Core, StartupError> {
    core_selling(config, store, metrics, l10n, payments(config)?.as_ref())
}

fn core_selling(
    config: &Config,
    store: Store,
    metrics: Metrics,
    l10n: Arc<L10n>,
    billing: Option<&Billing>,
) -> Result<Core, StartupError> {
    let mut core = Core::new(store, l10n, config.plans()?, config.core_options(), metrics);
    if let Some((payments, _)) = billing {
        core = core.with_payments(payments.clone());
    }
    Ok(match communities(config)? {
        Some(communities) => core.with_communities(communities),
        None => core,
    })
}

/// Community destinations need a key that outlives the process (a
/// webhook's token is kept sealed under it); without
/// `DEALWATCH_SEAL_KEY` they are off and people are told so.
pub fn communities(
    config: &Config,
) -> Result<Option<crate::conversation::Communities>, StartupError> {
    let Some(key) = &config.seal_key else {
        return Ok(None);
    };
    let sealer = crate::seal::Sealer::with_key(key.expose_secret()).ok_or_else(|| {
        StartupError::Billing("DEALWATCH_SEAL_KEY must be 32 bytes, base64".into())
    })?;
    let d = &config.discord;
    let discord = dealwatch_bots::discord::DiscordClient::new(
        &d.discord_api_url,
        d.discord_application_id.as_deref().unwrap_or_default(),
        None,
    )
    .map_err(|e| StartupError::Billing(format!("Discord client: {e}")))?;
    Ok(Some(crate::conversation::Communities {
        discord: Arc::new(discord),
        sealer: Arc::new(sealer),
    }))
}

/// The scheduler of product checks and the poller of deal sources; they
/// share one fetcher, so one host's politeness budget covers both.
pub fn scrapers(
    config: &Config,
    store: Store,
    plans: Plans,
) -> Result<(Scheduler, SourcePoller), StartupError> {
    let fetcher = Arc::new(Fetcher::new(config.fetch_config()?)?);
    let sources = config.sources()?;
    if !sources.is_empty() {
        tracing::info!(count = sources.len(), "deal sources loaded");
    }
    let poller = SourcePoller::new(store.clone(), fetcher.clone(), sources);
    let rules = Arc::new(config.site_rules()?);
    let scheduler_config = SchedulerConfig {
        interval_override: config.check_interval_secs.map(Duration::from_secs),
        ..SchedulerConfig::default()
    };
    let scheduler = Scheduler::new(store, fetcher, rules, plans, scheduler_config);
    Ok((scheduler, poller))
}

async fn bind(address: SocketAddr) -> Result<TcpListener, StartupError> {
    TcpListener::bind(address)
        .await
        .map_err(|source| StartupError::Listen { address, source })
}

/// The service, built and bound, not yet running.
pub struct Application {
    config: Config,
    store: Store,
    metrics: Metrics,
    l10n: Arc<L10n>,
    plans: Plans,
    core: Core,
    scheduler: Scheduler,
    poller: SourcePoller,
    channels: Vec<channels::Built>,
    /// Stripe's price ids when billing is on (its events are then taken).
    prices: Option<Prices>,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    address: SocketAddr,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// Completes once `stop` turns true.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

fn stop_future(stop: &watch::Receiver<bool>) -> BoxFuture<'static, ()> {
    Box::pin(stopped(stop.clone()))
}

impl Application {
    /// Everything `serve` runs, from `config`; says once which channels and
    /// billing are on.
    pub async fn build(config: Config) -> Result<Application, StartupError> {
        if let Some(key) = &config.seal_key {
            let sealer = crate::seal::Sealer::with_key(key.expose_secret()).ok_or_else(|| {
                StartupError::Billing("DEALWATCH_SEAL_KEY must be 32 bytes, base64".into())
            })?;
            if !crate::seal::use_shared_key(sealer) {
                tracing::warn!(
                    "DEALWATCH_SEAL_KEY given after a key was in use; this process keeps its own"
                );
            }
        }
        let store = open_store(&config).await?;
        let metrics = Metrics::new();
        let plans = config.plans()?;
        // Locales are parsed once and shared by everything that writes to users.
        let l10n = Arc::new(L10n::load()?);
        let billing = payments(&config)?;
        let core = core_selling(
            &config,
            store.clone(),
            metrics.clone(),
            l10n.clone(),
            billing.as_ref(),
        )?;
        let prices = billing.map(|(_, prices)| prices);
        let (scheduler, poller) = scrapers(&config, store.clone(), plans)?;
        let channels = channels::build_all(&config, &l10n)?;
        let core = channels
            .iter()
            .fold(core, |core, built| match &built.broadcasts {
                Some(broadcasts) => core.with_broadcasts(built.channel, broadcasts.clone()),
                None => core,
            });
        for (channel, status) in config.channel_status() {
            match status {
                Ok(()) => tracing::info!(%channel, "channel on"),
                Err(needs) => tracing::info!(%channel, "channel off: set {needs} to turn it on"),
            }
        }
        if !config.billing_enabled() {
            tracing::info!("billing off: set STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_PRICE_PRO and STRIPE_PRICE_PREMIUM to sell plans");
        }
        let listener = bind(config.listen).await?;
        let address = listener
            .local_addr()
            .map_err(|source| StartupError::Listen {
                address: config.listen,
                source,
            })?;
        let metrics_listener = match config.metrics_listen {
            Some(address) => Some(bind(address).await?),
            None => None,
        };
        tracing::info!(%address, database = %config::redact_url(&config.database_url), "dealwatch serving");
        Ok(Application {
            config,
            store,
            metrics,
            l10n,
            plans,
            core,
            scheduler,
            poller,
            channels,
            prices,
            listener,
            metrics_listener,
            address,
        })
    }

    /// Where the HTTP server listens (the real port when 0 was asked).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Run until `shutdown` completes, then stop everything in turn.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let Application {
            config,
            store,
            metrics,
            l10n,
            plans,
            core,
            scheduler,
            poller,
            channels,
            prices,
            listener,
            metrics_listener,
            ..
        } = self;
        let scheduler_task = tokio::spawn(scheduler.run(stopped(stop_rx.clone())));
        let poller_task = tokio::spawn(poller.run(stopped(stop_rx.clone())));
        let wired = wire(
            &config, &store, l10n, plans, core, channels, prices, &stop_rx,
        )?;
        let dispatcher_task = tokio::spawn(wired.dispatcher.run(stopped(stop_rx.clone())));
        let inbox = wired.inbox;
        let inbox_task = tokio::spawn(inbox.clone().run(stopped(stop_rx.clone())));
        let state = AppState {
            store: store.clone(),
            metrics: metrics.clone(),
        };
        let metrics_task = metrics_listener.map(|listener| {
            tracing::info!(address = ?listener.local_addr().ok(), "metrics served on their own listener");
            tokio::spawn(server::serve(
                listener,
                server::metrics_router(state.clone()),
                server::ServerLimits::default(),
                metrics.clone(),
                stopped(stop_rx.clone()),
            ))
        });
        let app = server::app_router(
            state,
            (wired.routes)(inbox),
            config.metrics_listen.is_none(),
        );
        let served = server::serve(
            listener,
            app,
            config.server_limits(),
            metrics,
            stopped(stop_rx),
        )
        .await;
        if let Some(task) = metrics_task {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "metrics listener ended abnormally");
            }
        }
        for (name, task) in [
            ("inbound worker", inbox_task),
            ("dispatcher", dispatcher_task),
            ("scheduler", scheduler_task),
            ("source poller", poller_task),
        ] {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "{name} ended abnormally");
            }
        }
        store.close().await;
        tracing::info!("dealwatch stopped");
        served.map_err(StartupError::Http)
    }

    /// The service with its HTTP server (and each channel's poller) running
    /// and its workers not: the caller steps the inbox
    /// ([`Inbox::process_pending`]) and the dispatcher
    /// ([`Dispatcher::deliver_pending`]) itself, for tests that want a set
    /// order. Everything is wired as [`Application::run_until_stopped`]
    /// wires it; the scheduler and the source poller do not run.
    pub async fn serve_stepped(self) -> Result<Stepped, StartupError> {
        let (stop, stop_rx) = watch::channel(false);
        let Application {
            config,
            store,
            metrics,
            l10n,
            plans,
            core,
            channels,
            prices,
            listener,
            address,
            ..
        } = self;
        let wired = wire(
            &config,
            &store,
            l10n,
            plans,
            core.clone(),
            channels,
            prices,
            &stop_rx,
        )?;
        let state = AppState {
            store: store.clone(),
            metrics: metrics.clone(),
        };
        let routes = (wired.routes)(wired.inbox.clone());
        let app = server::app_router(state, routes, true);
        let http = tokio::spawn(server::serve(
            listener,
            app,
            config.server_limits(),
            metrics,
            stopped(stop_rx),
        ));
        Ok(Stepped {
            address,
            store,
            core,
            inbox: wired.inbox,
            dispatcher: wired.dispatcher,
            stop,
            http,
        })
    }
}

/// The service's parts, wired and not yet running.
struct Wired {
    inbox: Arc<Inbox>,
    dispatcher: Dispatcher,
    /// Every route, once given where accepted messages go.
    routes: Box<dyn FnOnce(Arc<Inbox>) -> axum::Router + Send>,
}

/// Wire the channels, the inbox, the dispatcher and the routes (each
/// channel's poller and chores start here: they only accept messages).
#[allow(clippy::too_many_arguments)]
fn wire(
    config: &Config,
    store: &Store,
    l10n: Arc<L10n>,
    plans: Plans,
    core: Core,
    channels: Vec<channels::Built>,
    prices: Option<Prices>,
    stop: &watch::Receiver<bool>,
) -> Result<Wired, StartupError> {
    let senders: HashMap<Channel, Arc<dyn Sender>> = channels
        .iter()
        .map(|b| (b.channel, b.sender.clone()))
        .collect();
    let mut dispatcher = Dispatcher::new(store.clone(), l10n, plans, senders.clone())
        .with_lease(config.outbox_lease_secs);
    if let Some(communities) = communities(config)? {
        dispatcher = dispatcher.with_communities(communities);
    }
    // Replies leave through the dispatcher: the inbox rings it.
    let inbox = Arc::new(Inbox::new(store.clone(), core, senders).waking(dispatcher.waker()));
    let billing = match (prices, config.stripe.stripe_webhook_secret.as_ref()) {
        (Some(prices), Some(secret)) => Some((
            BillingEvents::new(store.clone(), plans, prices),
            secret.expose_secret().to_owned(),
        )),
        _ => None,
    };
    let stop = stop.clone();
    let routes = Box::new(move |inbox: Arc<Inbox>| {
        let sink: Arc<dyn InboundSink> = Arc::new(InboxSink(inbox));
        let mut routes = axum::Router::new();
        for channel in channels {
            routes = routes.merge((channel.routes)(sink.clone()));
            if let Some(poller) = channel.poller {
                tokio::spawn(poller(sink.clone(), stop_future(&stop)));
            }
            if let Some(chores) = channel.chores {
                tokio::spawn(chores);
            }
        }
        if let Some((events, secret)) = billing {
            routes = routes.merge(dealwatch_webhooks::stripe::routes(
                &secret,
                Arc::new(events),
            ));
        }
        routes
    });
    Ok(Wired {
        inbox,
        dispatcher,
        routes,
    })
}

/// [`Application::serve_stepped`]: the HTTP server runs; the inbox and the
/// dispatcher wait to be stepped.
pub struct Stepped {
    /// Where the HTTP server listens.
    pub address: SocketAddr,
    pub store: Store,
    pub core: Core,
    pub inbox: Arc<Inbox>,
    pub dispatcher: Dispatcher,
    stop: watch::Sender<bool>,
    http: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl std::fmt::Debug for Stepped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stepped")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Stepped {
    /// Stop the HTTP server and the channels' pollers, and wait for the
    /// server to finish.
    pub async fn stop(self) -> Result<(), StartupError> {
        let _ = self.stop.send(true);
        match self.http.await {
            Ok(served) => served.map_err(StartupError::Http),
            Err(e) => Err(StartupError::Http(std::io::Error::other(e))),
        }
    }
}
