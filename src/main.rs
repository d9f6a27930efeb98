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
use dealwatch_bots::discord::{CommandSpec, DiscordClient};
use dealwatch_bots::sms::TwilioClient;
use dealwatch_bots::telegram::TelegramClient;
use dealwatch_bots::whatsapp::{Template, WhatsAppClient};
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

/// What the channels that are on add once the inbox exists: their webhook
/// routes, and their pollers (started, stopping with `stop`).
type Inputs = Box<dyn FnOnce(Arc<dyn InboundSink>, watch::Receiver<bool>) -> axum::Router>;
/// A sender per channel that is on.
type Senders = HashMap<Channel, Arc<dyn Sender>>;

/// Senders and webhook routes for every channel whose credentials are set.
/// Their per-recipient pacing starts as if each recipient had just had a
/// burst: this process may be replacing one that died a moment ago.
fn channels(config: &Config, l10n: &Arc<L10n>) -> anyhow::Result<(Senders, Inputs)> {
    let mut senders: Senders = HashMap::new();
    let mut telegram_secret = None;
    let mut telegram_poller = None;
    if let Some(token) = &config.telegram.telegram_bot_token {
        let client = Arc::new(
            TelegramClient::new(&config.telegram.telegram_api_url, token.expose_secret())
                .map_err(|e| anyhow::anyhow!("Telegram client: {e}"))?
                .with_pace(TelegramClient::pace().assuming_recent_sends()),
        );
        match config.telegram.telegram_mode.as_str() {
            "webhook" => {
                let secret = config
                    .telegram
                    .telegram_webhook_secret
                    .as_ref()
                    .context("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET")?;
                telegram_secret = Some((secret.expose_secret().to_owned(), client.name()));
            }
            "polling" => telegram_poller = Some(client.clone()),
            other => anyhow::bail!("TELEGRAM_MODE={other:?}: use webhook or polling"),
        }
        publish_telegram_menu(client.clone(), l10n.clone());
        senders.insert(Channel::Telegram, client);
    }
    let mut sms_hook = None;
    if let (Some(sid), Some(token), Some(from)) = (
        &config.twilio.twilio_account_sid,
        &config.twilio.twilio_auth_token,
        &config.twilio.twilio_from_number,
    ) {
        let public = config
            .public_base_url
            .as_ref()
            .context("SMS needs PUBLIC_BASE_URL: Twilio signs the exact URL it calls")?;
        let client = TwilioClient::new(
            &config.twilio.twilio_api_url,
            sid,
            token.expose_secret(),
            from,
        )
        .map_err(|e| anyhow::anyhow!("Twilio client: {e}"))?
        .with_pace(TwilioClient::pace().assuming_recent_sends());
        senders.insert(Channel::Sms, Arc::new(client));
        sms_hook = Some((token.expose_secret().to_owned(), public.as_str().to_owned()));
    }
    let mut discord_hook = None;
    if let (Some(public_key), Some(application_id)) = (
        &config.discord.discord_public_key,
        &config.discord.discord_application_id,
    ) {
        let key = dealwatch_webhooks::discord::public_key(public_key)?;
        let client = Arc::new(discord_client(config)?);
        // Built once: the webhook reads options with them, Discord lists them.
        let specs = dealwatch::slash::commands(l10n);
        if config.discord.discord_bot_token.is_some() {
            publish_discord_commands(client.clone(), specs.clone());
        } else {
            tracing::warn!(application_id = %application_id, "DISCORD_BOT_TOKEN is not set: Discord commands are answered, but alerts cannot be posted and slash commands are not registered");
        }
        senders.insert(Channel::Discord, client);
        discord_hook = Some((key, specs));
    }
    let mut whatsapp_hook = None;
    if let (Some(token), Some(phone), Some(secret)) = (
        &config.whatsapp.whatsapp_access_token,
        &config.whatsapp.whatsapp_phone_number_id,
        &config.whatsapp.whatsapp_app_secret,
    ) {
        let template = Template {
            name: config.whatsapp.whatsapp_template_name.clone(),
            language: config.whatsapp.whatsapp_template_language.clone(),
        };
        let client = WhatsAppClient::new(
            &config.whatsapp.whatsapp_api_url,
            phone,
            token.expose_secret(),
            template,
        )
        .map_err(|e| anyhow::anyhow!("WhatsApp client: {e}"))?
        .with_pace(WhatsAppClient::pace().assuming_recent_sends());
        senders.insert(Channel::WhatsApp, Arc::new(client));
        let verify = config
            .whatsapp
            .whatsapp_verify_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned());
        if verify.is_none() {
            tracing::warn!(
                "WHATSAPP_VERIFY_TOKEN is not set: Meta's subscription check will be refused"
            );
        }
        whatsapp_hook = Some((
            secret.expose_secret().to_owned(),
            verify.unwrap_or_default(),
            phone.clone(),
        ));
    }
    let inputs: Inputs = Box::new(
        move |sink: Arc<dyn InboundSink>, stop: watch::Receiver<bool>| {
            let mut router = axum::Router::new();
            if let Some((key, specs)) = discord_hook {
                router = router.merge(dealwatch_webhooks::discord::routes(
                    key,
                    specs,
                    sink.clone(),
                ));
            }
            if let Some((secret, verify, phone)) = whatsapp_hook {
                router = router.merge(dealwatch_webhooks::whatsapp::routes(
                    &secret,
                    &verify,
                    &phone,
                    sink.clone(),
                ));
            }
            if let Some((secret, name)) = telegram_secret {
                router = router.merge(dealwatch_webhooks::telegram::routes_as(
                    &secret,
                    name,
                    sink.clone(),
                ));
            }
            if let Some((token, public)) = sms_hook {
                router = router.merge(dealwatch_webhooks::sms::routes(
                    &token,
                    &public,
                    sink.clone(),
                ));
            }
            if let Some(client) = telegram_poller {
                tokio::spawn(async move {
                    dealwatch_bots::telegram::poll(&client, sink.as_ref(), 15, stopped(stop)).await;
                });
            }
            router
        },
    );
    Ok((senders, inputs))
}

/// Learn the bot's username (so group commands addressed to other bots are
/// left alone) and publish the command menu in every language we speak, in
/// the background: a failure only costs the menu, never the channel.
fn publish_telegram_menu(client: Arc<TelegramClient>, l10n: Arc<L10n>) {
    tokio::spawn(async move {
        if client.username().await.is_none() {
            tracing::warn!("telegram getMe gave no username: group commands to any bot are read as ours until it does");
        }
        for (locale, language) in [("en-GB", None), ("de", Some("de")), ("fr", Some("fr"))] {
            let menu = dealwatch::conversation::command_menu(&l10n, locale);
            if let Err(e) = client.set_commands(&menu, language).await {
                tracing::warn!(error = %e, locale, "publishing the Telegram command menu failed");
            }
        }
    });
}

fn discord_client(config: &Config) -> anyhow::Result<DiscordClient> {
    let application_id = config
        .discord
        .discord_application_id
        .as_deref()
        .context("Discord needs DISCORD_APPLICATION_ID")?;
    if application_id.is_empty() || !application_id.bytes().all(|b| b.is_ascii_digit()) {
        anyhow::bail!("DISCORD_APPLICATION_ID must be the application's numeric id");
    }
    let token = config
        .discord
        .discord_bot_token
        .as_ref()
        .map(|t| t.expose_secret().to_owned());
    DiscordClient::new(
        &config.discord.discord_api_url,
        application_id,
        token.as_deref(),
    )
    .map_err(|e| anyhow::anyhow!("Discord client: {e}"))
}

/// Register the slash commands in the background: a failure costs the
/// command list (the old one stays), never the channel.
fn publish_discord_commands(client: Arc<DiscordClient>, specs: Vec<CommandSpec>) {
    tokio::spawn(async move {
        match client.register_commands(&specs).await {
            Ok(n) => tracing::info!(commands = n, "Discord slash commands registered"),
            Err(e) => tracing::warn!(error = %e, "registering Discord slash commands failed"),
        }
    });
}

async fn discord_register(config: &Config) -> anyhow::Result<()> {
    if config.discord.discord_bot_token.is_none() {
        anyhow::bail!("registering slash commands needs DISCORD_BOT_TOKEN");
    }
    let client = discord_client(config)?;
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
    let (senders, webhooks) = channels(&config, &l10n)?;
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
    let mut routes = webhooks(Arc::new(InboxSink(inbox)), stop_rx.clone());
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
