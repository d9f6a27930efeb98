//! The `dealwatch` binary: parse the command line, set up logging, wire the
//! pieces together and run the chosen subcommand. Errors end here, as
//! `anyhow`, with one readable line for the operator.

use anyhow::Context;
use clap::Parser;
use dealwatch::billing::{BillingEvents, Payments, Prices, StripePayments};
use dealwatch::config::{self, Cli, Command, Config};
use dealwatch::console::{self, ConsoleStyle};
use dealwatch::conversation::Core;
use dealwatch::dispatch::Dispatcher;
use dealwatch::fetch::Fetcher;
use dealwatch::inbound::{Inbox, InboxSink};
use dealwatch::l10n::L10n;
use dealwatch::metrics::Metrics;
use dealwatch::plans::Plans;
use dealwatch::scheduler::{Scheduler, SchedulerConfig};
use dealwatch::server::{self, AppState};
use dealwatch::sources::SourcePoller;
use dealwatch::storage::Store;
use dealwatch_bots::{Channel, Sender};
use dealwatch_webhooks::InboundSink;
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The console keeps the terminal for the conversation: warnings only.
    let default_level = match cli.command {
        Command::Chat { .. } => "warn",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dealwatch: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Chat { user } => chat(config, &user).await,
        Command::Check { inputs, base_url } => check(config, &inputs, base_url.as_ref()).await,
        Command::DiscordRegister => discord_register(&config).await,
        Command::Migrate => {
            let store = open_store(&config).await?;
            store.close().await;
            println!(
                "migrations applied to {}",
                config::redact_url(&config.database_url)
            );
            Ok(())
        }
        Command::Backup { file } => {
            let store = open_store(&config).await?;
            store.backup(&file).await.context("backup failed")?;
            store.close().await;
            println!("backup written to {}", file.display());
            Ok(())
        }
        Command::Restore { file } => {
            let store = open_store(&config).await?;
            let restored = store.restore(&file).await.context("restore failed")?;
            restored.close().await;
            println!(
                "restored {} from {}",
                config::redact_url(&config.database_url),
                file.display()
            );
            Ok(())
        }
    }
}

async fn check(
    config: Config,
    inputs: &[String],
    base_url: Option<&url::Url>,
) -> anyhow::Result<()> {
    let rules = config.site_rules()?;
    let fetcher = Fetcher::new(config.fetch_config()?).context("building the HTTP client")?;
    let mut stdout = std::io::stdout().lock();
    let found = dealwatch::check::run(inputs, base_url, &fetcher, &rules, &mut stdout)
        .await
        .context("writing results")?;
    if found == 0 {
        anyhow::bail!("nothing could be extracted from any input");
    }
    Ok(())
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.database_url).await.with_context(|| {
        format!(
            "opening the database at {}",
            config::redact_url(&config.database_url)
        )
    })
}

fn build_core(
    config: &Config,
    store: Store,
    metrics: Metrics,
    l10n: Arc<L10n>,
) -> anyhow::Result<Core> {
    let plans = config.plans()?;
    let core = Core::new(store, l10n, plans, config.core_options(), metrics);
    Ok(match payments(config)? {
        Some((payments, _)) => core.with_payments(payments),
        None => core,
    })
}

/// Stripe, when it is configured: the link maker and the price ids.
fn payments(config: &Config) -> anyhow::Result<Option<(Arc<dyn Payments>, Prices)>> {
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
    let public = config
        .public_base_url
        .as_ref()
        .context("billing needs PUBLIC_BASE_URL: Checkout and the portal return there")?;
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
    .map_err(|e| anyhow::anyhow!("Stripe client: {e}"))?;
    Ok(Some((Arc::new(payments), prices)))
}

/// The scheduler of product checks and the poller of deal sources; they
/// share one fetcher, so one host's politeness budget covers both.
fn build_scrapers(
    config: &Config,
    store: Store,
    plans: Plans,
) -> anyhow::Result<(Scheduler, SourcePoller)> {
    let fetcher =
        Arc::new(Fetcher::new(config.fetch_config()?).context("building the HTTP client")?);
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

/// A sender per channel that is on.
type Senders = HashMap<Channel, Arc<dyn Sender>>;

async fn discord_register(config: &Config) -> anyhow::Result<()> {
    if config.discord.discord_bot_token.is_none() {
        anyhow::bail!("registering slash commands needs DISCORD_BOT_TOKEN");
    }
    let client = dealwatch::channels::discord::client(config)?;
    let l10n = L10n::load().context("loading locales")?;
    let specs = dealwatch::slash::commands(&l10n);
    let n = client
        .register_commands(&specs)
        .await
        .map_err(|e| anyhow::anyhow!("Discord refused the commands: {e}"))?;
    println!("{n} slash commands registered");
    Ok(())
}

/// Completes once `stop` turns true.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let metrics = Metrics::new();
    let plans = config.plans()?;
    // Locales are parsed once and shared by everything that writes to users.
    let l10n = Arc::new(L10n::load().context("loading locales")?);
    let core = build_core(&config, store.clone(), metrics.clone(), l10n.clone())?;
    let (scheduler, poller) = build_scrapers(&config, store.clone(), plans)?;
    let built = dealwatch::channels::build_all(&config, &l10n)?;
    let senders: Senders = built
        .iter()
        .map(|b| (b.channel, b.sender.clone()))
        .collect();
    for (channel, status) in config.channel_status() {
        match status {
            Ok(()) => tracing::info!(%channel, "channel on"),
            Err(needs) => tracing::info!(%channel, "channel off: set {needs} to turn it on"),
        }
    }
    if !config.billing_enabled() {
        tracing::info!("billing off: set STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_PRICE_PRO and STRIPE_PRICE_PREMIUM to sell plans");
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    tracing::info!(address = %config.listen, database = %config::redact_url(&config.database_url), "dealwatch serving");

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let scheduler_task = tokio::spawn(scheduler.run(stopped(stop_rx.clone())));
    let poller_task = tokio::spawn(poller.run(stopped(stop_rx.clone())));
    let dispatcher = Dispatcher::new(store.clone(), l10n, plans, senders.clone())
        .with_lease(config.outbox_lease_secs);
    let dispatcher_task = tokio::spawn(dispatcher.run(stopped(stop_rx.clone())));
    let inbox = Arc::new(Inbox::new(store.clone(), core, senders));
    let inbox_task = tokio::spawn(inbox.clone().run(stopped(stop_rx.clone())));
    let sink: Arc<dyn InboundSink> = Arc::new(InboxSink(inbox));
    let mut routes = axum::Router::new();
    for channel in built {
        routes = routes.merge((channel.routes)(sink.clone()));
        if let Some(poller) = channel.poller {
            tokio::spawn(poller(sink.clone(), Box::pin(stopped(stop_rx.clone()))));
        }
        if let Some(chores) = channel.chores {
            tokio::spawn(chores);
        }
    }
    if let (Some((_, prices)), Some(secret)) = (
        payments(&config)?,
        config.stripe.stripe_webhook_secret.as_ref(),
    ) {
        let events = BillingEvents::new(store.clone(), config.plans()?, prices);
        routes = routes.merge(dealwatch_webhooks::stripe::routes(
            secret.expose_secret(),
            Arc::new(events),
        ));
    }
    let state = AppState {
        store: store.clone(),
        metrics: metrics.clone(),
    };
    let metrics_task = match config.metrics_listen {
        Some(address) => {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("listening for /metrics on {address}"))?;
            tracing::info!(%address, "metrics served on their own listener");
            let app = server::metrics_router(state.clone());
            Some(tokio::spawn(server::serve(
                listener,
                app,
                server::ServerLimits::default(),
                metrics.clone(),
                stopped(stop_rx.clone()),
            )))
        }
        None => None,
    };
    let app = server::app_router(state, routes, config.metrics_listen.is_none());
    server::serve(
        listener,
        app,
        config.server_limits(),
        metrics,
        stopped(stop_rx),
    )
    .await
    .context("HTTP server failed")?;
    if let Some(task) = metrics_task {
        if let Err(e) = task.await {
            tracing::error!(error = %e, "metrics listener ended abnormally");
        }
    }
    if let Err(e) = inbox_task.await {
        tracing::error!(error = %e, "inbound worker ended abnormally");
    }
    if let Err(e) = dispatcher_task.await {
        tracing::error!(error = %e, "dispatcher ended abnormally");
    }
    if let Err(e) = scheduler_task.await {
        tracing::error!(error = %e, "scheduler task ended abnormally");
    }
    if let Err(e) = poller_task.await {
        tracing::error!(error = %e, "source poller ended abnormally");
    }
    store.close().await;
    tracing::info!("dealwatch stopped");
    Ok(())
}

async fn chat(config: Config, user: &str) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let plans = config.plans()?;
    let l10n = Arc::new(L10n::load().context("loading locales")?);
    let core = build_core(&config, store.clone(), Metrics::new(), l10n)?;
    let (scheduler, poller) = build_scrapers(&config, store.clone(), plans)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let scheduler_task = tokio::spawn(scheduler.run(stopped(stop_rx.clone())));
    let poller_task = tokio::spawn(poller.run(stopped(stop_rx)));
    let interactive = std::io::stdin().is_terminal();
    let style = ConsoleStyle {
        prompt: interactive,
        echo: !interactive,
        linger: Duration::from_secs(if interactive { 0 } else { 45 }),
    };
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let outcome = console::run(&core, user, stdin, tokio::io::stdout(), style).await;
    let _ = stop_tx.send(true);
    let _ = scheduler_task.await;
    let _ = poller_task.await;
    store.close().await;
    outcome.context("console I/O failed")
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
