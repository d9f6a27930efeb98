//! The `dealwatch` binary: parse the command line, set up logging, wire the
//! pieces together and run the chosen subcommand. Errors end here, as
//! `anyhow`, with one readable line for the operator.

use anyhow::Context;
use clap::Parser;
use dealwatch::config::{self, Cli, Command, Config};
use dealwatch::console::{self, ConsoleStyle};
use dealwatch::dispatch::Dispatcher;
use dealwatch::fetch::Fetcher;
use dealwatch::l10n::L10n;
use dealwatch::metrics::Metrics;
use dealwatch::startup::{self, Application};
use dealwatch_bots::console::ConsoleSender;
use dealwatch_bots::{Channel, Sender};
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
            let store = startup::open_store(&config).await?;
            store.close().await;
            println!(
                "migrations applied to {}",
                config::redact_url(&config.database_url)
            );
            Ok(())
        }
        Command::Backup { file } => {
            let store = startup::open_store(&config).await?;
            store.backup(&file).await.context("backup failed")?;
            store.close().await;
            println!("backup written to {}", file.display());
            Ok(())
        }
        Command::Restore { file } => {
            let store = startup::open_store(&config).await?;
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

/// `dealwatch serve`: the whole service until SIGINT or SIGTERM.
async fn serve(config: Config) -> anyhow::Result<()> {
    let app = Application::build(config).await?;
    app.run_until_stopped(shutdown_signal()).await?;
    Ok(())
}

/// Completes once `stop` turns true.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn chat(config: Config, user: &str) -> anyhow::Result<()> {
    let store = startup::open_store(&config).await?;
    let plans = config.plans()?;
    let l10n = Arc::new(L10n::load().context("loading locales")?);
    let core = startup::core(&config, store.clone(), Metrics::new(), l10n.clone())?;
    let (scheduler, poller) = startup::scrapers(&config, store.clone(), plans)?;
    // Notices reach the terminal through the dispatcher, as on every channel.
    let (printer, notices) = ConsoleSender::new();
    let senders = HashMap::from([(Channel::Console, Arc::new(printer) as Arc<dyn Sender>)]);
    let mut dispatcher = Dispatcher::new(store.clone(), l10n, plans, senders).for_console();
    // Community posts made from the console still go to Discord.
    if let Some(communities) = dealwatch::startup::communities(&config)? {
        dispatcher = dispatcher.with_communities(communities);
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let scheduler_task = tokio::spawn(scheduler.run(stopped(stop_rx.clone())));
    let poller_task = tokio::spawn(poller.run(stopped(stop_rx.clone())));
    let dispatcher_task = tokio::spawn(dispatcher.run(stopped(stop_rx)));
    let interactive = std::io::stdin().is_terminal();
    let style = ConsoleStyle {
        prompt: interactive,
        echo: !interactive,
        linger: Duration::from_secs(if interactive { 0 } else { 45 }),
    };
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let outcome = console::run(&core, user, stdin, tokio::io::stdout(), notices, style).await;
    let _ = stop_tx.send(true);
    let _ = scheduler_task.await;
    let _ = poller_task.await;
    let _ = dispatcher_task.await;
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
