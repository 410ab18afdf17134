//! `VaultPasskeyStore` over a real vault file: passkeys made by the authenticator survive a
//! close and reopen and still sign, the store's error paths, deletion, and no private key (nor
//! user name) in the clear in the vault file or its WAL.

#![cfg(feature = "vault")]
#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credwell_core::{Authenticator, GetAssertionRequest, MakeCredentialRequest, Origin, RpId};
use credwell_passkey::vault::VaultPasskeyStore;
use credwell_passkey::{
    Algorithm, PasskeyAuthenticator, PasskeyRecord, PasskeyStore, PasskeyStoreError, PrivateKey,
    ScriptedUi,
};
use credwell_vault::{KdfParams, Vault};

const PASS: &[u8] = b"correct horse battery staple";
const HASH: [u8; 32] = [0x42; 32];

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    futures::executor::block_on(f)
}

fn new_vault() -> (tempfile::TempDir, PathBuf, Arc<Vault>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let vault = Vault::create(&path, PASS, KdfParams::INSECURE_FOR_TESTS).unwrap();
    (dir, path, Arc::new(vault))
}

fn rp_id(host: &str) -> RpId {
    RpId::for_origin(&Origin::parse(&format!("https://{host}")).unwrap(), None).unwrap()
}

fn make_request(rp: &str, user: &str, algorithm: i64) -> MakeCredentialRequest {
    MakeCredentialRequest {
        client_data_hash: HASH,
        rp_id: rp_id(rp),
        rp_name: "Example".into(),
        user_id: user.as_bytes().to_vec(),
        user_name: format!("{user}@{rp}"),
        user_display_name: user.to_uppercase(),
        require_resident_key: true,
        require_user_presence: true,
        require_user_verification: false,
        algorithms: vec![algorithm],
        exclude_credentials: Vec::new(),
        enterprise_attestation_possible: false,
        attestation_formats: vec!["none".into()],
        extensions: serde_json::Map::new(),
    }
}

fn get_request(rp: &str) -> GetAssertionRequest {
    GetAssertionRequest {
        rp_id: rp_id(rp),
        client_data_hash: HASH,
        allow_credentials: Vec::new(),
        require_user_verification: false,
        extensions: serde_json::Map::new(),
        conditional: false,
        user_selected: false,
    }
}

fn record(rp: &str, id: &[u8], user: &str) -> PasskeyRecord {
    PasskeyRecord {
        rp_id: rp.into(),
        credential_id: id.to_vec(),
        user_handle: user.as_bytes().to_vec(),
        user_name: user.into(),
        user_display_name: user.to_uppercase(),
        algorithm: Algorithm::Es256,
        private_key: PrivateKey::from_bytes(vec![0x11; 32]),
        created_at: 1,
        prf: None,
        large_blob: None,
        hidden: false,
    }
}

#[test]
fn passkeys_made_in_the_vault_survive_reopening_and_still_sign() {
    let (_dir, path, vault) = new_vault();
    let authenticator = PasskeyAuthenticator::new(
        VaultPasskeyStore::new(Arc::clone(&vault)),
        ScriptedUi::new(),
    );
    let es = run(authenticator.make_credential(make_request("example.com", "alice", -7))).unwrap();
    let ed = run(authenticator.make_credential(make_request("other.example", "bob", -8))).unwrap();
    let before = run(authenticator.store().find(&es.credential_id))
        .unwrap()
        .unwrap();
    drop(authenticator);
    drop(vault);

    let vault = Arc::new(Vault::open(&path, PASS).unwrap());
    assert_eq!(vault.all_passkeys().unwrap().len(), 2);
    let store = VaultPasskeyStore::new(Arc::clone(&vault));
    let after = run(store.find(&es.credential_id)).unwrap().unwrap();
    assert_eq!(
        after.private_key.expose_bytes(),
        before.private_key.expose_bytes()
    );
    assert_eq!(
        (
            after.rp_id.as_str(),
            after.user_name.as_str(),
            after.algorithm
        ),
        ("example.com", "alice@example.com", Algorithm::Es256)
    );
    let es_public_key = es.public_key.clone().unwrap();
    assert_eq!(after.public_key_der().unwrap(), es_public_key);
    let listed = run(store.list("other.example")).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].credential_id, ed.credential_id);
    assert_eq!(listed[0].algorithm, Algorithm::EdDsa);
    assert!(run(store.list("example.org")).unwrap().is_empty());

    // The reopened passkey signs, and the signature verifies with the public key of the
    // registration, independently of passkey-rs.
    let authenticator = PasskeyAuthenticator::new(store, ScriptedUi::new());
    let assertion = run(authenticator.get_assertion(get_request("example.com"))).unwrap();
    assert_eq!(assertion.credential_id, es.credential_id);
    // The SubjectPublicKeyInfo of a P-256 key ends with the 65-byte uncompressed point.
    let point = &es_public_key[es_public_key.len() - 65..];
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).unwrap();
    let signature = p256::ecdsa::Signature::from_der(&assertion.signature).unwrap();
    let mut signed = assertion.authenticator_data.clone();
    signed.extend_from_slice(&HASH);
    p256::ecdsa::signature::Verifier::verify(&key, &signed, &signature).unwrap();
}

#[test]
fn duplicate_ids_missing_passkeys_and_deletion() {
    let (_dir, _path, vault) = new_vault();
    let store = VaultPasskeyStore::new(Arc::clone(&vault));
    run(store.insert(record("example.com", b"id-1", "alice"))).unwrap();
    assert_eq!(
        run(store.insert(record("other.example", b"id-1", "mallory"))).unwrap_err(),
        PasskeyStoreError::DuplicateCredentialId
    );
    assert_eq!(
        run(store.update(record("example.com", b"id-2", "bob"))).unwrap_err(),
        PasskeyStoreError::NotFound
    );
    let mut renamed = record("example.com", b"id-1", "alice");
    renamed.user_display_name = "Alice Liddell".into();
    run(store.update(renamed)).unwrap();
    let found = run(store.find(b"id-1")).unwrap().unwrap();
    assert_eq!(found.user_display_name, "Alice Liddell");
    assert_eq!(found.rp_id, "example.com");

    assert!(run(store.delete(b"id-1")).unwrap());
    assert!(!run(store.delete(b"id-1")).unwrap());
    assert!(run(store.find(b"id-1")).unwrap().is_none());
    assert!(run(store.list("example.com")).unwrap().is_empty());
    assert!(vault.all_passkeys().unwrap().is_empty());
    // The id is free again.
    run(store.insert(record("example.com", b"id-1", "alice"))).unwrap();
}

#[test]
fn a_payload_that_does_not_match_its_index_is_refused() {
    let (_dir, _path, vault) = new_vault();
    let mut entry = credwell_vault::PasskeyEntry {
        rp_id: "example.com".into(),
        credential_id: b"id-1".to_vec(),
        payload: record("evil.example", b"id-1", "alice")
            .to_vault_payload()
            .unwrap(),
    };
    vault.add_passkey(&entry, 1).unwrap();
    let store = VaultPasskeyStore::new(Arc::clone(&vault));
    assert!(matches!(
        run(store.find(b"id-1")).unwrap_err(),
        PasskeyStoreError::Backend(_)
    ));
    entry.payload = zeroize::Zeroizing::new(b"not json".to_vec());
    vault.update_passkey(&entry, 2).unwrap();
    assert!(matches!(
        run(store.list("example.com")).unwrap_err(),
        PasskeyStoreError::Backend(_)
    ));
}

fn assert_absent(dir: &Path, needles: &[(&str, Vec<u8>)], when: &str) {
    let mut files = 0;
    for file in std::fs::read_dir(dir).unwrap() {
        let file = file.unwrap().path();
        let bytes = std::fs::read(&file).unwrap();
        files += 1;
        for (what, needle) in needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                "{what} found in clear in {} ({when})",
                file.display()
            );
        }
    }
    assert!(files >= 1);
}

#[test]
fn private_keys_never_reach_the_vault_file_or_its_wal() {
    let (dir, path, vault) = new_vault();
    let authenticator = PasskeyAuthenticator::new(
        VaultPasskeyStore::new(Arc::clone(&vault)),
        ScriptedUi::new(),
    );
    let mut request = make_request("canary.example", "canaryuser", -7);
    request.user_name = "CANARYUSERNAME".into();
    let made = run(authenticator.make_credential(request)).unwrap();
    let stored = run(authenticator.store().find(&made.credential_id))
        .unwrap()
        .unwrap();
    let key = stored.private_key.expose_bytes().to_vec();
    assert_eq!(key.len(), 32);
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let needles = [
        ("the raw private key", key.clone()),
        ("the first half of the private key", key[..16].to_vec()),
        (
            "the base64url private key",
            URL_SAFE_NO_PAD.encode(&key).into_bytes(),
        ),
        ("the hex private key", hex.into_bytes()),
        ("the user name", b"CANARYUSERNAME".to_vec()),
        ("the RP ID", b"canary.example".to_vec()),
        ("the payload's member name", b"privateKey".to_vec()),
    ];
    assert!(
        path.with_file_name("vault.sqlite-wal").exists(),
        "the WAL is there to be scanned"
    );
    assert_absent(dir.path(), &needles, "open, with the WAL");
    drop(authenticator);
    drop(vault);
    assert_absent(dir.path(), &needles, "after close");
    // And the key is really in there.
    let vault = Vault::open(&path, PASS).unwrap();
    let back = PasskeyRecord::from_vault_payload(
        &vault
            .passkey(&made.credential_id)
            .unwrap()
            .unwrap()
            .entry
            .payload,
    )
    .unwrap();
    assert_eq!(back.private_key.expose_bytes(), key.as_slice());
}
