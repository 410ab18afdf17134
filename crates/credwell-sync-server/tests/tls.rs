//! HTTPS: the server over rustls with a certificate from a private CA (made here with rcgen),
//! and the devices' client trusting that CA. Two devices sync over TLS; a certificate for
//! another name, or from a CA the client does not trust, is refused before any request; the
//! server's PEM files are checked when it starts.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::Engine;
use common::devices::{Note, note};
use credwell_sync::client::http::HttpTransport;
use credwell_sync::client::{Client, State, SyncError, TransportError};
use credwell_sync::{AccountKey, RecordId};
use credwell_sync_server::Notices;
use credwell_sync_server::tls::{TlsConfig, TlsSetupError, serve_tls};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

/// A private CA (its certificate in PEM) and a server certificate it issued for `names`, with
/// the server's key (PEM).
struct Pki {
    ca: String,
    cert: String,
    key: String,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    (params.distinguished_name).push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn issue(ca: &CertifiedIssuer<'static, KeyPair>, names: &[&str]) -> Pki {
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let cert = CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, ca)
        .unwrap();
    Pki {
        ca: ca.pem(),
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

/// The PEM files of `pki` in `dir`, and the server's configuration from them.
fn config(dir: &Path, pki: &Pki) -> TlsConfig {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, &pki.cert).unwrap();
    std::fs::write(&key, &pki.key).unwrap();
    TlsConfig::from_pem_files(&cert, &key).unwrap()
}

/// A TLS server on a fresh SQLite database, on a loopback port: its `https://localhost` URL.
fn serve(runtime: &tokio::runtime::Runtime, config: &TlsConfig) -> String {
    let engine = Engine::sqlite();
    let config = config.clone();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            // The engine (its temporary directory) lives as long as the server.
            let storage = Arc::clone(&engine.storage);
            let _engine = engine;
            serve_tls(listener, &config, storage, Notices::new()).await
        });
        format!("https://localhost:{port}")
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn two_devices_sync_over_tls_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let pki = issue(&ca("credwell test CA"), &["localhost"]);
    let runtime = runtime();
    let url = serve(&runtime, &config(dir.path(), &pki));
    let ca = Some(pki.ca.as_bytes());
    let first = HttpTransport::create_account_with_ca(&url, ca, "laptop").unwrap();
    let laptop = HttpTransport::with_ca(&url, first.token.clone(), ca).unwrap();
    let second = laptop.add_device("phone").unwrap();
    let device = |e: credwell_sync::client::http::Enrolled| {
        let transport = HttpTransport::with_ca(&url, e.token, ca).unwrap();
        let key = AccountKey::from_bytes(&[3; 32]);
        Client::<Note, _>::new(e.account, e.device, key, transport, State::default())
    };
    let (mut a, mut b) = (device(first), device(second));
    let id: RecordId = a.record_id("note", b"over tls");
    a.change(id, note("sealed, then encrypted again in transit"), 1_000);
    assert_eq!(a.sync().unwrap().pushed, 1);
    let report = b.sync().unwrap();
    assert_eq!(report.received, vec![id]);
    let held: Vec<_> = b.records().map(|(_, n)| n.text.clone()).collect();
    assert_eq!(held, ["sealed, then encrypted again in transit"]);
}

/// Whether `error` is a refused certificate whose reason names `why`.
fn refused_certificate(error: &TransportError, why: &str) -> bool {
    matches!(error, TransportError::Unreachable(m) if m.contains("certificate") && m.contains(why))
}

#[test]
fn a_certificate_for_another_name_or_from_an_unknown_ca_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime();
    let authority = ca("credwell test CA");
    // A certificate the private CA issued, for another name than the one the client asks for.
    let other = issue(&authority, &["sync.other.example"]);
    let url = serve(&runtime, &config(dir.path(), &other));
    let error =
        HttpTransport::create_account_with_ca(&url, Some(other.ca.as_bytes()), "x").unwrap_err();
    assert!(
        refused_certificate(&error, "not valid for name \"localhost\""),
        "{error}"
    );
    // The right name, but the client does not know the CA (the system's roots only), or was
    // given another one.
    let right = issue(&authority, &["localhost"]);
    let url = serve(&runtime, &config(dir.path(), &right));
    let error = HttpTransport::create_account(&url, "x").unwrap_err();
    assert!(refused_certificate(&error, "UnknownIssuer"), "{error}");
    // (A CA of the same name but another key is refused too, for its signature.)
    let stranger = issue(&ca("another CA"), &["localhost"]);
    let error =
        HttpTransport::create_account_with_ca(&url, Some(stranger.ca.as_bytes()), "x").unwrap_err();
    assert!(refused_certificate(&error, "UnknownIssuer"), "{error}");
    // A device refuses the same way in the middle of a sync.
    let enrolled =
        HttpTransport::create_account_with_ca(&url, Some(right.ca.as_bytes()), "x").unwrap();
    let transport = HttpTransport::new(&url, enrolled.token).unwrap();
    let key = AccountKey::from_bytes(&[3; 32]);
    let mut device = Client::<Note, _>::new(
        enrolled.account,
        enrolled.device,
        key,
        transport,
        State::default(),
    );
    match device.sync().unwrap_err() {
        SyncError::Transport(e) => assert!(refused_certificate(&e, "UnknownIssuer"), "{e}"),
        other => panic!("{other}"),
    }
    // A CA that is no PEM certificate is named as such.
    let error =
        HttpTransport::create_account_with_ca(&url, Some(b"not a certificate"), "x").unwrap_err();
    assert!(matches!(error, TransportError::Ca(_)), "{error}");
}

#[test]
fn the_servers_pem_files_are_checked_and_their_key_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let pki = issue(&ca("credwell test CA"), &["localhost"]);
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let missing = dir.path().join("missing.pem");
    std::fs::write(&cert, &pki.cert).unwrap();
    std::fs::write(&key, &pki.key).unwrap();
    assert!(matches!(
        TlsConfig::from_pem_files(&missing, &key),
        Err(TlsSetupError::Certificate { .. })
    ));
    // The key where the certificate should be, and the other way round.
    assert!(matches!(
        TlsConfig::from_pem_files(&key, &key),
        Err(TlsSetupError::Certificate { .. })
    ));
    assert!(matches!(
        TlsConfig::from_pem_files(&cert, &cert),
        Err(TlsSetupError::Key { .. })
    ));
    // Another key than the certificate's: refused, without a byte of either key.
    let other = issue(&ca("credwell test CA"), &["localhost"]);
    std::fs::write(&key, &other.key).unwrap();
    let error = TlsConfig::from_pem_files(&cert, &key).unwrap_err();
    assert!(matches!(error, TlsSetupError::Refused(_)), "{error}");
    let shown = format!("{error} {error:?}");
    let body: String = other.key.lines().nth(1).unwrap().chars().take(24).collect();
    assert!(!shown.contains(&body), "{shown}");
    TlsConfig::from_pem_files(&cert, &dir.path().join("missing.pem")).unwrap_err();
}
