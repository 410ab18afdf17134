//! `credwell sync serve`: the sync server, on an SQLite file by default or on PostgreSQL.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use credwell_sync_server::storage::postgres::PostgresStorage;
use credwell_sync_server::storage::sqlite::SqliteStorage;
use credwell_sync_server::{Notices, Storage};

/// Options of `credwell sync serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Where to listen: a loopback address and port (0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8845", value_name = "ADDR")]
    listen: SocketAddr,
    /// The database: an SQLite file path, or a `postgres://` URL
    /// [default: $XDG_DATA_HOME/credwell/sync-server.sqlite].
    #[arg(long, env = "CREDWELL_SYNC_DATABASE", value_name = "URL")]
    database: Option<String>,
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
    // Without TLS a device token crosses the network in clear: loopback only (a TLS proxy in
    // front, on the same machine, serves other machines).
    if !args.listen.ip().is_loopback() {
        bail!(
            "credwell sync serve listens on loopback only (it has no TLS yet): listen on \
             127.0.0.1 or ::1 and put a TLS proxy in front of it for other machines"
        );
    }
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
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(args.listen))
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    writeln!(
        out,
        "credwell sync server on http://{address} (database: {shown})"
    )?;
    out.flush()?;
    runtime
        .block_on(credwell_sync_server::serve(listener, storage, notices))
        .context("the server stopped")
}
