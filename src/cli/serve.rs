//! `tsunagu serve`: runs the center until SIGTERM or Ctrl-C, then stops gracefully.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use tsunagu::config::Config;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Configuration file (TOML); without one the built-in defaults run a complete center.
    #[arg(long, env = "TSUNAGU_CONFIG")]
    config: Option<PathBuf>,
    /// SIP address for UDP and TCP (overrides sip.listen).
    #[arg(long)]
    sip_listen: Option<SocketAddr>,
    /// HTTP address of /healthz and /metrics (overrides http.listen).
    #[arg(long)]
    http_listen: Option<SocketAddr>,
    /// Data directory, for the SQLite database (overrides paths.data_dir).
    #[arg(long, env = "TSUNAGU_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://… (overrides paths.database_url).
    #[arg(long, env = "TSUNAGU_DATABASE_URL")]
    database_url: Option<String>,
    /// A folder of calendar files replacing the shipped ones (overrides paths.calendars).
    #[arg(long, env = "TSUNAGU_CALENDARS")]
    calendars: Option<PathBuf>,
}

impl ServeArgs {
    /// The configuration and its database, opened (and a missing SQLite data directory made)
    /// for a command that writes.
    pub async fn open_store(&self) -> anyhow::Result<(Config, tsunagu::store::Store)> {
        let config = self.config()?;
        if config.paths.database_url.is_none() {
            std::fs::create_dir_all(&config.paths.data_dir)
                .with_context(|| format!("cannot create the data directory {}", config.paths.data_dir.display()))?;
        }
        let store = tsunagu::store::Store::connect(&config.database_url())
            .await
            .context("cannot open the database")?;
        Ok((config, store))
    }

    pub fn config(&self) -> anyhow::Result<Config> {
        let mut config = match &self.config {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        if let Some(addr) = self.sip_listen {
            config.sip.listen = addr;
        }
        if let Some(addr) = self.http_listen {
            config.http.listen = addr;
        }
        if let Some(dir) = &self.data_dir {
            config.paths.data_dir = dir.clone();
        }
        if let Some(url) = &self.database_url {
            config.paths.database_url = Some(url.clone());
        }
        if let Some(dir) = &self.calendars {
            config.paths.calendars = Some(dir.clone());
        }
        Ok(config)
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = args.config()?;
    let running = tsunagu::server::start(config)
        .await
        .context("cannot start the center")?;
    // The handlers are in place before the center says it answers: a SIGHUP or SIGTERM sent
    // on that line would otherwise meet the default action and end the process.
    let mut reload = reload_signal();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    eprintln!(
        "tsunagu: answering SIP on {} (udp, tcp), HTTP on {}",
        running.sip.udp_addr, running.http_addr
    );
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(()) = reload.recv() => {
                running.reload().await;
            }
        }
    }
    running.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// SIGHUP: read the flows and calendars again.
fn reload_signal() -> tokio::sync::mpsc::Receiver<()> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    #[cfg(unix)]
    if let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                if tx.send(()).await.is_err() {
                    return;
                }
            }
        });
    }
    rx
}

/// Ctrl-C or SIGTERM. SIGTERM's handler is registered here, at once (an async fn would only
/// register it when first polled).
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let terminate = async {
            match terminate {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            _ = terminate => {},
        }
    }
}
