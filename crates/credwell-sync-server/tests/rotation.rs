//! Revoking a device rotates the account key, on both engines: the revoked device's token
//! fetches nothing, what is written afterwards does not open under the old key (the test holds
//! it and tries), every record is sealed again, and a device still in the account fetches the
//! new key with the sync passphrase and goes on.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

mod common;

use common::serve;
use credwell_sync::client::http::{HttpTransport, SignInError};
use credwell_sync::client::{Client, State, SyncError, Transport, TransportError};
use credwell_sync::merge::Body;
use credwell_sync::opaque::{KsfParams, OpaqueError};
use credwell_sync::{AccountKey, SealError};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Note(String);

impl Body for Note {
    fn keep_from(&mut self, _: &Self) {}
}

const OLD_PASSPHRASE: &[u8] = b"the passphrase before";
const NEW_PASSPHRASE: &[u8] = b"the passphrase after";
const KEY: [u8; 32] = [0x5C; 32];

fn cheap() -> KsfParams {
    KsfParams::current(true).unwrap()
}

fn note(text: &str) -> Option<Note> {
    Some(Note(text.into()))
}

type Device = Client<Note, HttpTransport>;

/// A device that joined with the passphrase: its client.
fn join(base: &str, account: credwell_sync::AccountId, name: &str) -> Device {
    let joined = HttpTransport::login(base, account, OLD_PASSPHRASE, cheap(), Some(name)).unwrap();
    let enrolled = joined.enrolled.unwrap();
    let transport = HttpTransport::new(base, enrolled.token).unwrap();
    let key = AccountKey::from_material(&joined.key).unwrap();
    Client::new(account, enrolled.device, key, transport, State::default())
}

#[test]
fn revoking_rotates_the_key_and_what_follows_does_not_open_under_the_old_one() {
    for engine_name in ["sqlite", "postgres"] {
        let (base, runtime, engine) = serve(engine_name);
        let first = HttpTransport::create_account(&base, "laptop").unwrap();
        let account = first.account;
        let transport = HttpTransport::new(&base, first.token).unwrap();
        transport
            .register(OLD_PASSPHRASE, cheap(), 0, 1, &KEY)
            .unwrap();
        let key = AccountKey::from_bytes(&KEY);
        let mut a: Device = Client::new(account, first.device, key, transport, State::default());
        let (mut b, mut c) = (
            join(&base, account, "phone"),
            join(&base, account, "old tablet"),
        );
        let before = a.record_id("note", b"before");
        a.change(before, note("written before"), 1);
        a.sync().unwrap();
        b.sync().unwrap();
        c.sync().unwrap();
        let c_id = c.transport().devices().unwrap()[2].id;
        // A revokes C, rotates the key, registers it under a new passphrase, seals again.
        a.transport().revoke(c_id).unwrap();
        let rotated = AccountKey::from_bytes(&KEY).rotated().unwrap();
        a.transport()
            .register(NEW_PASSPHRASE, cheap(), 1, 2, &rotated.material())
            .unwrap();
        a.set_key(rotated).unwrap();
        assert_eq!(a.sync().unwrap().pushed, 1, "{engine_name}");
        let after = a.record_id("note", b"after");
        a.change(after, note("written after"), 2);
        a.sync().unwrap();
        // The revoked device's token fetches nothing; its passphrase no longer signs in.
        match c.transport().pull(0, 10) {
            Err(TransportError::Unauthorized(message)) => assert!(message.contains("revoked")),
            other => panic!("{engine_name}: the revoked device pulled: {other:?}"),
        }
        let again = HttpTransport::login(&base, account, OLD_PASSPHRASE, cheap(), Some("x"));
        assert!(
            matches!(
                again,
                Err(SignInError::Opaque(OpaqueError::WrongPassphrase))
            ),
            "{again:?}"
        );
        // Holding the old key: nothing on the server opens, the record written after least of
        // all; not even under a ring that claims version 2 with the old key's bytes.
        let old = AccountKey::from_bytes(&KEY);
        let forged = AccountKey::from_material(&[KEY, KEY].concat()).unwrap();
        let page = runtime
            .block_on(engine.storage.pull(account, 0, 1000))
            .unwrap();
        assert_eq!(page.records.len(), 3, "two notes and the manifest");
        for record in &page.records {
            let opened = old.open(account, record.id, record.deleted, &record.sealed.0);
            assert_eq!(opened.unwrap_err(), SealError::NewerKey { version: 2 });
            let opened = forged.open(account, record.id, record.deleted, &record.sealed.0);
            assert_eq!(opened.unwrap_err(), SealError::DoesNotOpen);
        }
        assert!(page.records.iter().any(|r| r.id == after));
        // B, still in the account, is told, fetches the new key with the new passphrase, and
        // gets what was written after.
        assert!(matches!(
            b.sync(),
            Err(SyncError::KeyRotated { version: 2 })
        ));
        let fetched = HttpTransport::login(&base, account, NEW_PASSPHRASE, cheap(), None).unwrap();
        assert_eq!(fetched.version, 2);
        b.set_key(AccountKey::from_material(&fetched.key).unwrap())
            .unwrap();
        let report = b.sync().unwrap();
        assert_eq!(report.received, [after], "{engine_name}");
        assert_eq!(
            b.records().collect::<Vec<_>>().len(),
            2,
            "{engine_name}: both notes"
        );
        // A device that did not see the rotation cannot register its older key over it.
        let stale = a.transport().register(NEW_PASSPHRASE, cheap(), 1, 1, &KEY);
        match stale {
            Err(SignInError::Transport(TransportError::Server {
                status: 409,
                message,
            })) => {
                assert!(message.contains("version 2"), "{message}");
            }
            other => panic!("{engine_name}: an older key was taken: {other:?}"),
        }
    }
}
