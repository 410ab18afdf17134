//! `credwell sync serve`: the sync server, on an SQLite file by default or on PostgreSQL.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use credwell_sync::protocol::DEFAULT_TOMBSTONE_RETENTION_DAYS;
use credwell_sync_server::storage::postgres::PostgresStorage;
use credwell_sync_server::storage::sqlite::SqliteStorage;
use credwell_sync_server::tls::{TlsConfig, serve_tls};
use credwell_sync_server::{Notices, Retention, Storage};

/// Options of `credwell sync serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Where to listen: an address and port (0: any free port; the address is printed). Beyond
    /// loopback, --tls-cert and --tls-key are required.
    #[arg(long, default_value = "127.0.0.1:8845", value_name = "ADDR")]
    listen: SocketAddr,
    /// The server's certificate chain (PEM, the server's certificate first): serve HTTPS.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The database: an SQLite file path, or a `postgres://` URL
    /// [default: $XDG_DATA_HOME/credwell/sync-server.sqlite].
    #[arg(long, env = "CREDWELL_SYNC_DATABASE", value_name = "URL")]
    database: Option<String>,
    /// How long a deletion is kept for devices that are offline, in days (at least 1); a device
    /// offline longer pulls everything again when it returns.
    #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_TOMBSTONE_RETENTION_DAYS)]
    tombstone_retention: u32,
}

/// The default database file, beside the default vault.
fn default_database() -> Result<PathBuf> {
    let vault = credwell_vault::default_path().context(
        "cannot find your home directory for the default database; pass --database PATH",
    )?;
    Ok(vault.with_file_name("sync-server.sqlite"))
}

/// Runs the server until the process is stopped.
pub(crate) fn serve(args: &ServeArgs, out: &mut impl std::io::Write) -> Result<()> {
    // Without TLS a device token crosses the network in clear: plain HTTP on loopback only.
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsConfig::from_pem_files(cert, key)?),
        _ if !args.listen.ip().is_loopback() => bail!(
            "listening on {} (not loopback) needs TLS: pass --tls-cert FILE and --tls-key FILE \
             (PEM), or listen on 127.0.0.1 or ::1",
            args.listen
        ),
        _ => None,
    };
    let retention = Retention::days(args.tombstone_retention).context("--tombstone-retention")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    let notices = Notices::new();
    let (storage, shown): (Arc<dyn Storage>, String) = match &args.database {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let storage = runtime
                .block_on(PostgresStorage::connect(url))
                .context("cannot connect to the PostgreSQL database")?;
            let _guard = runtime.enter();
            storage.listen(notices.clone());
            (Arc::new(storage), "PostgreSQL".to_owned())
        }
        other => {
            let path = match other {
                Some(path) => PathBuf::from(path),
                None => default_database()?,
            };
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                credwell_vault::owner_only::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let storage = SqliteStorage::open(&path)
                .with_context(|| format!("cannot open the database {}", path.display()))?;
            (Arc::new(storage), path.display().to_string())
        }
    };
    {
        let _guard = runtime.enter();
        retention.spawn(storage.clone());
    }
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(args.listen))
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    writeln!(
        out,
        "credwell sync server on {scheme}://{address} (database: {shown})"
    )?;
    out.flush()?;
    let served = match &tls {
        Some(config) => runtime.block_on(serve_tls(listener, config, storage, notices)),
        None => runtime.block_on(credwell_sync_server::serve(listener, storage, notices)),
    };
    served.context("the server stopped")
}
