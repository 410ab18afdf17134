//! HTTPS: the sync API over TLS (rustls, with the ring provider), for a server that other
//! machines reach.
//!
//! The certificate chain and its private key come from PEM files ([`TlsConfig::from_pem_files`]).
//! Each accepted connection's handshake runs on a task of its own, bounded in time, so a client
//! that stalls its handshake holds up no other; the connections whose handshake succeeded go to
//! axum as they are ([`TlsListener`], an `axum::serve::Listener`).

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::{Notices, Storage, router};

/// How long a client has to finish its TLS handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// Why the TLS configuration cannot be made. Never holds key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// The certificate file cannot be read, or holds no PEM certificate.
    #[error("cannot read a PEM certificate chain from {path}: {reason}")]
    Certificate {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The key file cannot be read, or holds no PEM private key.
    #[error("cannot read a PEM private key from {path}: {reason}")]
    Key {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// rustls refused the pair (the key is not the certificate's, an unsupported key type...).
    #[error("the certificate and key cannot serve TLS: {0}")]
    Refused(String),
}

/// The server's TLS configuration: its certificate chain and key, TLS 1.2 and 1.3, HTTP/1.1.
#[derive(Clone, Debug)]
pub struct TlsConfig(Arc<ServerConfig>);

impl TlsConfig {
    /// The configuration from a PEM file holding the certificate chain (the server's first)
    /// and one holding its private key (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, TlsSetupError> {
        let certificate = |reason: String| TlsSetupError::Certificate {
            path: cert.display().to_string(),
            reason,
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| certificate(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| certificate(e.to_string()))?;
        if chain.is_empty() {
            return Err(certificate("no CERTIFICATE block".into()));
        }
        // The key's own bytes never reach an error: pki-types' errors name the kind only.
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsSetupError::Key {
            path: key.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_der(chain, key)
    }

    /// The configuration from a DER certificate chain and key.
    pub fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, TlsSetupError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsSetupError::Refused(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| TlsSetupError::Refused(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self(Arc::new(config)))
    }
}

/// The TLS connections accepted on a TCP listener, once their handshake is done.
#[derive(Debug)]
pub struct TlsListener {
    incoming: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Accepts on `listener` (on a task of its own, which must run in a tokio runtime) and
    /// shakes hands with each client under `config`; a failed or late handshake drops that
    /// connection only.
    pub fn new(listener: TcpListener, config: &TlsConfig) -> io::Result<Self> {
        let local = listener.local_addr()?;
        let acceptor = TlsAcceptor::from(config.0.clone());
        let (ready, incoming) = mpsc::channel(64);
        tokio::spawn(async move {
            while !ready.is_closed() {
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little, as axum does.
                        tracing::warn!("accepting a connection failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, ready) = (acceptor.clone(), ready.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = ready.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
                        Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
                    }
                });
            }
        });
        Ok(Self { incoming, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(connection) => connection,
            // The accepting task ended (it does not, while this listener lives): no more
            // connections, ever.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// Serves the sync API over TLS on `listener` until the process ends.
pub async fn serve_tls(
    listener: TcpListener,
    config: &TlsConfig,
    storage: Arc<dyn Storage>,
    notices: Notices,
) -> io::Result<()> {
    let listener = TlsListener::new(listener, config)?;
    axum::serve(listener, router(storage, notices)).await
}
