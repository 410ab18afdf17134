//! The passkey authenticator through `credwell_core::Authenticator`: byte-exact authenticator
//! data and attestation objects, every signature verified independently (p256 and
//! ed25519-dalek), the user-interaction policies and their error paths, and a create-then-get
//! ceremony through `credwell_core::Engine` from JSON options.

use std::future::Future;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credwell_core::{
    Assertion, AttestedCredential, Authenticator, AuthenticatorError, Caller, ClientId,
    CredentialDescriptor, Engine, GetAssertionRequest, MakeCredentialRequest, ManualClock,
    MemoryStore, Origin, RequestId, RpId, ScriptedMediator,
};
use credwell_passkey::{
    AccountSummary, Algorithm, CreatePrompt, MemoryPasskeyStore, PasskeyAuthenticator,
    PasskeyRecord, PasskeyStore, PasskeyStoreError, ScriptedUi, UiEvent, VerifyPrompt,
    VerifyPurpose,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CLIENT_DATA_HASH: [u8; 32] = [0x42; 32];
const T0: u64 = 1_764_000_000_000;

type TestAuthenticator = PasskeyAuthenticator<MemoryPasskeyStore, ScriptedUi, ManualClock>;

fn run<T>(f: impl Future<Output = T>) -> T {
    futures::executor::block_on(f)
}

fn authenticator(ui: &ScriptedUi) -> (TestAuthenticator, ManualClock) {
    let clock = ManualClock::new(T0);
    let authenticator =
        PasskeyAuthenticator::with_clock(MemoryPasskeyStore::new(), ui.clone(), clock.clone());
    (authenticator, clock)
}

fn rp_id(host: &str) -> RpId {
    RpId::for_origin(
        &Origin::parse(&format!("https://{host}")).expect("test origin"),
        None,
    )
    .expect("test RP ID")
}

fn descriptor(id: &[u8]) -> CredentialDescriptor {
    CredentialDescriptor {
        kind: "public-key".into(),
        id: id.to_vec(),
        transports: None,
    }
}

fn make_request(rp: &str, user_id: &[u8]) -> MakeCredentialRequest {
    MakeCredentialRequest {
        client_data_hash: CLIENT_DATA_HASH,
        rp_id: rp_id(rp),
        rp_name: "Example".into(),
        user_id: user_id.to_vec(),
        user_name: format!("{}@{rp}", String::from_utf8_lossy(user_id)),
        user_display_name: String::from_utf8_lossy(user_id).to_uppercase(),
        require_resident_key: false,
        require_user_presence: true,
        require_user_verification: false,
        algorithms: vec![-7, -257],
        exclude_credentials: Vec::new(),
        enterprise_attestation_possible: false,
        attestation_formats: vec!["none".into()],
        extensions: serde_json::Map::new(),
    }
}

fn get_request(rp: &str, allow: &[&[u8]]) -> GetAssertionRequest {
    GetAssertionRequest {
        rp_id: rp_id(rp),
        client_data_hash: CLIENT_DATA_HASH,
        allow_credentials: allow.iter().map(|id| descriptor(id)).collect(),
        require_user_verification: false,
        extensions: serde_json::Map::new(),
        conditional: false,
        user_selected: false,
    }
}

fn make(
    a: &TestAuthenticator,
    r: MakeCredentialRequest,
) -> Result<AttestedCredential, AuthenticatorError> {
    run(a.make_credential(r))
}

fn get(a: &TestAuthenticator, r: GetAssertionRequest) -> Result<Assertion, AuthenticatorError> {
    run(a.get_assertion(r))
}

fn stored(a: &TestAuthenticator, id: &[u8]) -> PasskeyRecord {
    run(a.store().find(id))
        .expect("memory store")
        .expect("stored passkey")
}

// Flags (https://w3c.github.io/webauthn/#authdata-flags).
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;

/// The COSE_Key a conforming authenticator must emit for this record, computed from the private
/// key with p256 / ed25519-dalek directly (not through passkey-crypto).
fn expected_cose_key(record: &PasskeyRecord) -> Vec<u8> {
    let key = record.private_key.expose_bytes();
    match record.algorithm {
        Algorithm::Es256 => {
            let signing = p256::ecdsa::SigningKey::from_slice(key).expect("valid P-256 key");
            let point = signing.verifying_key().to_sec1_point(false);
            let point = point.as_bytes();
            let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
            cose.extend(&point[1..33]);
            cose.extend([0x22, 0x58, 0x20]);
            cose.extend(&point[33..65]);
            cose
        }
        Algorithm::EdDsa => {
            let signing =
                ed25519_dalek::SigningKey::from_bytes(&key.try_into().expect("32-byte seed"));
            let mut cose = vec![0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20];
            cose.extend(signing.verifying_key().to_bytes());
            cose
        }
        _ => unreachable!(),
    }
}

/// Verifies `signature` over `authenticator_data || CLIENT_DATA_HASH` with the public key in the
/// COSE_Key `cose` (as an RP would, from the registration's attested credential data).
fn verify(cose: &[u8], authenticator_data: &[u8], signature: &[u8]) {
    let mut message = authenticator_data.to_vec();
    message.extend(CLIENT_DATA_HASH);
    verify_message(cose, &message, signature);
}

fn verify_message(cose: &[u8], message: &[u8], signature: &[u8]) {
    match cose[4] {
        0x26 => {
            let mut point = vec![0x04];
            point.extend(&cose[10..42]);
            point.extend(&cose[45..77]);
            let key =
                p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).expect("valid P-256 point");
            let sig = p256::ecdsa::Signature::from_der(signature).expect("DER ECDSA signature");
            p256::ecdsa::signature::Verifier::verify(&key, message, &sig)
                .expect("ES256 signature verifies");
        }
        0x27 => {
            let key = ed25519_dalek::VerifyingKey::from_bytes(
                &cose[10..42].try_into().expect("32 bytes"),
            )
            .expect("valid Ed25519 key");
            let sig = ed25519_dalek::Signature::from_slice(signature).expect("64-byte signature");
            key.verify_strict(message, &sig)
                .expect("EdDSA signature verifies (strict)");
        }
        other => panic!("unexpected COSE alg byte {other:#x}"),
    }
}

/// Checks the registration's authenticator data byte by byte; returns the COSE key.
fn check_registration_data(
    a: &TestAuthenticator,
    made: &AttestedCredential,
    rp: &str,
    flags: u8,
) -> Vec<u8> {
    let data = &made.authenticator_data;
    let record = stored(a, &made.credential_id);
    let cose = expected_cose_key(&record);
    let mut expected = Sha256::digest(rp.as_bytes()).to_vec();
    expected.push(flags);
    expected.extend([0, 0, 0, 0]);
    expected.extend([0; 16]);
    expected.extend(16u16.to_be_bytes());
    expected.extend(&made.credential_id);
    expected.extend(&cose);
    assert_eq!(made.credential_id.len(), 16);
    assert_eq!(data, &expected);
    assert_eq!(made.public_key_algorithm, record.algorithm.cose_id());
    assert_eq!(
        made.public_key.as_ref(),
        Some(&record.public_key_der().expect("public key"))
    );
    assert!(made.resident_key);
    cose
}

fn check_assertion_data(assertion: &Assertion, rp: &str, flags: u8) {
    let mut expected = Sha256::digest(rp.as_bytes()).to_vec();
    expected.push(flags);
    expected.extend([0, 0, 0, 0]);
    assert_eq!(
        assertion.authenticator_data, expected,
        "37 bytes, AT and ED clear, counter 0"
    );
}

#[test]
fn es256_registration_with_none_attestation_is_byte_exact() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let made = make(&a, make_request("example.com", b"alice")).unwrap();
    check_registration_data(&a, &made, "example.com", UP | BE | BS | AT);
    let mut object = vec![0xa3];
    object.extend(b"\x63fmt\x64none\x67attStmt\xa0\x68authData");
    object.extend([0x58, u8::try_from(made.authenticator_data.len()).unwrap()]);
    object.extend(&made.authenticator_data);
    assert_eq!(made.attestation_object, object);
    assert_eq!(made.authenticator_data.len(), 37 + 16 + 2 + 16 + 77);
}

#[test]
fn packed_self_attestation_signs_auth_data_and_client_data_hash() {
    for (algorithms, alg_byte) in [(vec![-7], 0x26u8), (vec![-8], 0x27)] {
        let ui = ScriptedUi::new();
        let (a, _) = authenticator(&ui);
        let mut request = make_request("example.com", b"alice");
        request.algorithms = algorithms;
        request.attestation_formats = vec!["packed".into()];
        request.require_user_verification = true;
        let made = make(&a, request).unwrap();
        let cose = check_registration_data(&a, &made, "example.com", UP | UV | BE | BS | AT);
        // {"fmt": "packed", "attStmt": {"alg": alg, "sig": sig}, "authData": authData}
        let mut prefix = vec![0xa3];
        prefix.extend(b"\x63fmt\x66packed\x67attStmt\xa2\x63alg");
        prefix.push(alg_byte);
        prefix.extend(b"\x63sig");
        let object = &made.attestation_object;
        assert_eq!(&object[..prefix.len()], &prefix[..]);
        let rest = &object[prefix.len()..];
        let (sig, rest) = match rest[0] {
            0x58 => {
                let n = usize::from(rest[1]);
                (&rest[2..2 + n], &rest[2 + n..])
            }
            n @ 0x40..=0x57 => {
                let n = usize::from(n - 0x40);
                (&rest[1..1 + n], &rest[1 + n..])
            }
            other => panic!("unexpected sig header {other:#x}"),
        };
        let mut tail = b"\x68authData\x58".to_vec();
        tail.push(u8::try_from(made.authenticator_data.len()).unwrap());
        tail.extend(&made.authenticator_data);
        assert_eq!(rest, &tail[..]);
        verify(&cose, &made.authenticator_data, sig);
    }
}

#[test]
fn eddsa_registration_and_assertion() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let mut request = make_request("example.com", b"alice");
    request.algorithms = vec![-36, -8, -7];
    let made = make(&a, request).unwrap();
    assert_eq!(made.public_key_algorithm, -8);
    let cose = check_registration_data(&a, &made, "example.com", UP | BE | BS | AT);
    assert_eq!(cose.len(), 42);
    let assertion = get(&a, get_request("example.com", &[])).unwrap();
    check_assertion_data(&assertion, "example.com", UP | BE | BS);
    assert_eq!(assertion.signature.len(), 64);
    verify(&cose, &assertion.authenticator_data, &assertion.signature);
}

#[test]
fn es256_assertion_is_byte_exact_and_verifies() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let made = make(&a, make_request("login.example.com", b"alice")).unwrap();
    let cose = check_registration_data(&a, &made, "login.example.com", UP | BE | BS | AT);
    let mut request = get_request("login.example.com", &[&made.credential_id]);
    request.require_user_verification = true;
    let assertion = get(&a, request).unwrap();
    check_assertion_data(&assertion, "login.example.com", UP | UV | BE | BS);
    assert_eq!(assertion.credential_id, made.credential_id);
    assert_eq!(assertion.user_handle.as_deref(), Some(&b"alice"[..]));
    verify(&cose, &assertion.authenticator_data, &assertion.signature);
    // The counter policy: always 0, never stored.
    let again = get(&a, get_request("login.example.com", &[])).unwrap();
    check_assertion_data(&again, "login.example.com", UP | BE | BS);
}

#[test]
fn the_first_supported_algorithm_of_the_rp_wins() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    for (algorithms, expected) in [(vec![-8, -7], -8), (vec![-7, -8], -7), (vec![-257, -7], -7)] {
        let mut request = make_request("example.com", b"alice");
        request.algorithms = algorithms;
        assert_eq!(make(&a, request).unwrap().public_key_algorithm, expected);
    }
}

#[test]
fn unsupported_algorithms_are_not_supported() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let mut request = make_request("example.com", b"alice");
    request.algorithms = vec![-257, -35, -48];
    assert_eq!(
        make(&a, request).unwrap_err(),
        AuthenticatorError::NotSupported
    );
    assert!(
        ui.events().is_empty(),
        "no prompt for an impossible request"
    );
    assert!(a.store().is_empty());
}

#[test]
fn user_verification_is_claimed_only_when_the_ui_verified() {
    // Not required: never asked, UV clear.
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let made = make(&a, make_request("example.com", b"alice")).unwrap();
    assert_eq!(made.authenticator_data[32], UP | BE | BS | AT);
    let assertion = get(&a, get_request("example.com", &[])).unwrap();
    assert_eq!(assertion.authenticator_data[32], UP | BE | BS);
    assert!(
        !ui.events()
            .iter()
            .any(|e| matches!(e, UiEvent::VerifyUser(_))),
        "{:?}",
        ui.events()
    );

    // Required and verified: UV set, after the prompts the spec orders.
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let mut request = make_request("example.com", b"alice");
    request.require_user_verification = true;
    let made = make(&a, request).unwrap();
    assert_eq!(made.authenticator_data[32], UP | UV | BE | BS | AT);
    let mut request = get_request("example.com", &[]);
    request.require_user_verification = true;
    assert_eq!(
        get(&a, request).unwrap().authenticator_data[32],
        UP | UV | BE | BS
    );
    let events = ui.events();
    assert!(matches!(&events[0], UiEvent::ConfirmCreate(p) if !p.already_registered));
    assert_eq!(
        events[1],
        UiEvent::VerifyUser(VerifyPrompt {
            purpose: VerifyPurpose::Create,
            rp_id: "example.com".into(),
            user_name: "alice@example.com".into(),
        })
    );
    assert!(matches!(&events[2], UiEvent::ChooseAccount { .. }));
    assert_eq!(
        events[3],
        UiEvent::VerifyUser(VerifyPrompt {
            purpose: VerifyPurpose::SignIn,
            rp_id: "example.com".into(),
            user_name: "alice@example.com".into(),
        })
    );
}

#[test]
fn failed_user_verification_cancels() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    make(&a, make_request("example.com", b"alice")).unwrap();
    let ui_failing = ui.clone().verifying(false);
    let mut request = make_request("example.com", b"bob");
    request.require_user_verification = true;
    assert_eq!(
        make(&a, request).unwrap_err(),
        AuthenticatorError::Cancelled
    );
    assert_eq!(a.store().len(), 1, "nothing stored");
    let mut request = get_request("example.com", &[]);
    request.require_user_verification = true;
    assert_eq!(get(&a, request).unwrap_err(), AuthenticatorError::Cancelled);
    drop(ui_failing);
}

#[test]
fn user_verification_without_the_capability_is_a_constraint() {
    let ui = ScriptedUi::new().without_user_verification();
    let (a, _) = authenticator(&ui);
    assert!(!a.info().user_verification);
    let mut request = make_request("example.com", b"alice");
    request.require_user_verification = true;
    assert_eq!(
        make(&a, request).unwrap_err(),
        AuthenticatorError::Constraint
    );
    make(&a, make_request("example.com", b"alice")).unwrap();
    let mut request = get_request("example.com", &[]);
    request.require_user_verification = true;
    assert_eq!(
        get(&a, request).unwrap_err(),
        AuthenticatorError::Constraint
    );
}

#[test]
fn refused_creation_is_cancelled_and_stores_nothing() {
    let ui = ScriptedUi::new().confirming(false);
    let (a, _) = authenticator(&ui);
    assert_eq!(
        make(&a, make_request("example.com", b"alice")).unwrap_err(),
        AuthenticatorError::Cancelled
    );
    assert!(a.store().is_empty());
}

#[test]
fn an_excluded_credential_is_invalid_state_after_consent() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let made = make(&a, make_request("example.com", b"alice")).unwrap();
    let mut request = make_request("example.com", b"alice2");
    request.exclude_credentials = vec![descriptor(b"unknown"), descriptor(&made.credential_id)];
    assert_eq!(
        make(&a, request.clone()).unwrap_err(),
        AuthenticatorError::InvalidState
    );
    assert_eq!(
        ui.events().last(),
        Some(&UiEvent::ConfirmCreate(CreatePrompt {
            rp_id: "example.com".into(),
            rp_name: "Example".into(),
            user_name: "alice2@example.com".into(),
            user_display_name: "ALICE2".into(),
            already_registered: true,
        }))
    );
    assert_eq!(a.store().len(), 1);

    // Without the user's consent: cancelled (NotAllowedError).
    let refusing = ui.clone().confirming(false);
    assert_eq!(
        make(&a, request.clone()).unwrap_err(),
        AuthenticatorError::Cancelled
    );
    drop(refusing);

    // A descriptor of another type, or the credential of another RP, excludes nothing.
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let other = make(&a, make_request("other.example", b"alice")).unwrap();
    let mut request = make_request("example.com", b"alice");
    request.exclude_credentials = vec![
        descriptor(&other.credential_id),
        CredentialDescriptor {
            kind: "future-type".into(),
            ..descriptor(&other.credential_id)
        },
    ];
    make(&a, request).unwrap();
    assert_eq!(a.store().len(), 2);
}

#[test]
fn unknown_allowed_credentials_are_no_credentials() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let made = make(&a, make_request("example.com", b"alice")).unwrap();
    let other = make(&a, make_request("other.example", b"alice")).unwrap();
    let events = ui.events().len();
    for allow in [vec![&b"unknown"[..]], vec![&other.credential_id[..]]] {
        assert_eq!(
            get(&a, get_request("example.com", &allow)).unwrap_err(),
            AuthenticatorError::NoCredentials
        );
    }
    // An empty RP, and a descriptor of an unknown type, find nothing either.
    assert_eq!(
        get(&a, get_request("third.example", &[])).unwrap_err(),
        AuthenticatorError::NoCredentials
    );
    let mut request = get_request("example.com", &[]);
    request.allow_credentials = vec![CredentialDescriptor {
        kind: "future-type".into(),
        ..descriptor(&made.credential_id)
    }];
    assert_eq!(
        get(&a, request).unwrap_err(),
        AuthenticatorError::NoCredentials
    );
    assert_eq!(ui.events().len(), events, "no prompt");
    // Unknown ids next to a known one are ignored.
    let assertion = get(
        &a,
        get_request("example.com", &[b"unknown", &made.credential_id]),
    )
    .unwrap();
    assert_eq!(assertion.credential_id, made.credential_id);
}

#[test]
fn several_accounts_go_through_the_chooser() {
    let ui = ScriptedUi::new();
    let (a, clock) = authenticator(&ui);
    let alice = make(&a, make_request("example.com", b"alice")).unwrap();
    clock.advance(1000);
    let bob = make(&a, make_request("example.com", b"bob")).unwrap();
    make(&a, make_request("other.example", b"carol")).unwrap();

    let ui = ui.choosing(Some(1));
    let assertion = get(&a, get_request("example.com", &[])).unwrap();
    assert_eq!(assertion.credential_id, alice.credential_id);
    assert_eq!(assertion.user_handle.as_deref(), Some(&b"alice"[..]));
    let Some(UiEvent::ChooseAccount { rp_id, accounts }) = ui.events().pop() else {
        panic!("no chooser");
    };
    assert_eq!(rp_id, "example.com");
    assert_eq!(
        accounts,
        [
            AccountSummary {
                credential_id: bob.credential_id.clone(),
                user_name: "bob@example.com".into(),
                user_display_name: "BOB".into(),
                created_at: T0 + 1000,
            },
            AccountSummary {
                credential_id: alice.credential_id.clone(),
                user_name: "alice@example.com".into(),
                user_display_name: "ALICE".into(),
                created_at: T0,
            },
        ],
        "most recent first, no key material"
    );

    let ui = ui.choosing(Some(0));
    let assertion = get(
        &a,
        get_request("example.com", &[&alice.credential_id, &bob.credential_id]),
    )
    .unwrap();
    assert_eq!(assertion.credential_id, bob.credential_id);

    let ui = ui.choosing(None);
    assert_eq!(
        get(&a, get_request("example.com", &[])).unwrap_err(),
        AuthenticatorError::Cancelled
    );
    let _ui = ui.choosing(Some(2));
    assert_eq!(
        get(&a, get_request("example.com", &[])).unwrap_err(),
        AuthenticatorError::Unknown,
        "an index outside the list is a UI bug"
    );
}

#[test]
fn a_new_passkey_replaces_the_same_users_old_one() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let first = make(&a, make_request("example.com", b"alice")).unwrap();
    let second = make(&a, make_request("example.com", b"alice")).unwrap();
    make(&a, make_request("other.example", b"alice")).unwrap();
    assert_eq!(a.store().len(), 2);
    assert!(run(a.store().find(&first.credential_id)).unwrap().is_none());
    let record = stored(&a, &second.credential_id);
    assert_eq!(
        (
            record.rp_id.as_str(),
            record.user_handle.as_slice(),
            record.user_name.as_str(),
            record.created_at
        ),
        ("example.com", &b"alice"[..], "alice@example.com", T0)
    );
}

#[test]
fn info_describes_a_platform_authenticator() {
    let (a, _) = authenticator(&ScriptedUi::new());
    let info = a.info();
    assert_eq!(info.attachment, "platform");
    assert_eq!(info.transports, ["internal"]);
    assert!(info.discoverable_credentials && info.user_verification);
    assert!(a.available());
    assert!(format!("{a:?}").starts_with("PasskeyAuthenticator"));
}

/// A store whose every operation fails, or only its writes.
#[derive(Debug, Default)]
struct FailingStore {
    inner: MemoryPasskeyStore,
    reads_fail: bool,
}

impl PasskeyStore for FailingStore {
    async fn list(&self, rp_id: &str) -> Result<Vec<PasskeyRecord>, PasskeyStoreError> {
        if self.reads_fail {
            return Err(PasskeyStoreError::Backend("disk on fire".into()));
        }
        self.inner.list(rp_id).await
    }
    async fn find(&self, id: &[u8]) -> Result<Option<PasskeyRecord>, PasskeyStoreError> {
        if self.reads_fail {
            return Err(PasskeyStoreError::Backend("disk on fire".into()));
        }
        self.inner.find(id).await
    }
    async fn insert(&self, _: PasskeyRecord) -> Result<(), PasskeyStoreError> {
        Err(PasskeyStoreError::Backend("read-only".into()))
    }
    async fn update(&self, _: PasskeyRecord) -> Result<(), PasskeyStoreError> {
        Err(PasskeyStoreError::Backend("read-only".into()))
    }
    async fn delete(&self, _: &[u8]) -> Result<bool, PasskeyStoreError> {
        Err(PasskeyStoreError::Backend("read-only".into()))
    }
    async fn holds_any(&self, rp_id: &str) -> Option<bool> {
        if self.reads_fail {
            return None;
        }
        self.inner.holds_any(rp_id).await
    }

    async fn list_without_asking(&self, rp_id: &str) -> Option<Vec<PasskeyRecord>> {
        if self.reads_fail {
            return None;
        }
        self.inner.list_without_asking(rp_id).await
    }
}

#[test]
fn store_failures_are_unknown_errors() {
    let read_only = PasskeyAuthenticator::new(FailingStore::default(), ScriptedUi::new());
    assert_eq!(
        run(read_only.make_credential(make_request("example.com", b"alice"))).unwrap_err(),
        AuthenticatorError::Unknown
    );
    let broken = PasskeyAuthenticator::new(
        FailingStore {
            reads_fail: true,
            ..FailingStore::default()
        },
        ScriptedUi::new(),
    );
    let mut excluding = make_request("example.com", b"alice");
    excluding.exclude_credentials = vec![descriptor(b"x")];
    assert_eq!(
        run(broken.make_credential(excluding)).unwrap_err(),
        AuthenticatorError::Unknown
    );
    assert_eq!(
        run(broken.make_credential(make_request("example.com", b"alice"))).unwrap_err(),
        AuthenticatorError::Unknown
    );
    for allow in [&[][..], &[&b"x"[..]][..]] {
        assert_eq!(
            run(broken.get_assertion(get_request("example.com", allow))).unwrap_err(),
            AuthenticatorError::Unknown
        );
    }
}

#[test]
fn a_corrupt_stored_key_is_an_unknown_error() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let made = make(&a, make_request("example.com", b"alice")).unwrap();
    let mut record = stored(&a, &made.credential_id);
    record.private_key = credwell_passkey::PrivateKey::from_bytes(vec![0; 32]);
    run(a.store().update(record)).unwrap();
    assert_eq!(
        get(&a, get_request("example.com", &[])).unwrap_err(),
        AuthenticatorError::Unknown
    );
}

/// A store whose `find` never finds anything: a passkey listed for the chooser is gone by the
/// time it signs (deleted from another window, say).
#[derive(Debug, Default)]
struct VanishingStore(MemoryPasskeyStore);

impl PasskeyStore for VanishingStore {
    async fn list(&self, rp_id: &str) -> Result<Vec<PasskeyRecord>, PasskeyStoreError> {
        self.0.list(rp_id).await
    }
    async fn find(&self, _: &[u8]) -> Result<Option<PasskeyRecord>, PasskeyStoreError> {
        Ok(None)
    }
    async fn insert(&self, record: PasskeyRecord) -> Result<(), PasskeyStoreError> {
        self.0.insert(record).await
    }
    async fn update(&self, record: PasskeyRecord) -> Result<(), PasskeyStoreError> {
        self.0.update(record).await
    }
    async fn delete(&self, id: &[u8]) -> Result<bool, PasskeyStoreError> {
        self.0.delete(id).await
    }
    async fn holds_any(&self, rp_id: &str) -> Option<bool> {
        self.0.holds_any(rp_id).await
    }
    async fn list_without_asking(&self, rp_id: &str) -> Option<Vec<PasskeyRecord>> {
        self.0.list_without_asking(rp_id).await
    }
}

#[test]
fn a_passkey_that_vanishes_after_the_chooser_is_no_credentials() {
    let a = PasskeyAuthenticator::new(VanishingStore::default(), ScriptedUi::new());
    run(a.make_credential(make_request("example.com", b"alice"))).unwrap();
    assert_eq!(
        run(a.get_assertion(get_request("example.com", &[]))).unwrap_err(),
        AuthenticatorError::NoCredentials
    );
}

/// A UI whose creation prompt stays open until `answer` is set.
#[derive(Debug, Default)]
struct SlowUi {
    answer: std::sync::atomic::AtomicBool,
}

impl credwell_passkey::PasskeyUi for SlowUi {
    fn can_verify_user(&self) -> bool {
        true
    }
    async fn confirm_create(&self, _: CreatePrompt) -> bool {
        if !self.answer.load(std::sync::atomic::Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        true
    }
    async fn choose_account(&self, _: String, _: Vec<AccountSummary>) -> Option<usize> {
        Some(0)
    }
    async fn verify_user(&self, _: VerifyPrompt) -> bool {
        true
    }
}

#[test]
fn dropping_a_ceremony_cancels_it_and_frees_the_authenticator() {
    use futures::FutureExt as _;
    let a = PasskeyAuthenticator::new(MemoryPasskeyStore::new(), SlowUi::default());
    let mut pending = Box::pin(a.make_credential(make_request("example.com", b"alice")));
    assert!(
        pending.as_mut().now_or_never().is_none(),
        "waiting for the user"
    );
    drop(pending);
    assert!(a.store().is_empty());
    a.ui()
        .answer
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let made = run(a.make_credential(make_request("example.com", b"alice"))).unwrap();
    assert_eq!(a.store().len(), 1);
    assert!(run(a.get_assertion(get_request("example.com", &[&made.credential_id]))).is_ok());
}

// ---- The prf extension (hmac-secret semantics) ----

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// HMAC-SHA-256(secret, SHA-256("WebAuthn PRF" || 0x00 || input)), computed with sha2 and hmac.
fn prf_output(secret: &[u8], input: &[u8]) -> String {
    use hmac::{KeyInit as _, Mac as _};
    let mut salt = Sha256::new();
    salt.update(b"WebAuthn PRF");
    salt.update([0]);
    salt.update(input);
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(&salt.finalize());
    b64(&mac.finalize().into_bytes())
}

fn with_prf(prf: Value) -> serde_json::Map<String, Value> {
    let mut extensions = serde_json::Map::new();
    extensions.insert("prf".into(), prf);
    extensions
}

#[test]
fn prf_outputs_follow_hmac_secret_semantics() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let mut request = make_request("example.com", b"alice");
    request.require_user_verification = true;
    request.extensions = with_prf(json!({"eval": {"first": b64(b"one")}}));
    let made = make(&a, request).unwrap();
    let record = stored(&a, &made.credential_id);
    let secrets = record.prf.as_ref().expect("prf secrets stored");
    assert_eq!(secrets.expose_with_uv().len(), 32);
    assert_eq!(secrets.expose_without_uv().map(<[u8]>::len), Some(32));
    assert_eq!(
        made.extension_results["prf"],
        json!({"enabled": true, "results": {"first": prf_output(secrets.expose_with_uv(), b"one")}})
    );
    assert_eq!(
        made.authenticator_data[32] & 0x80,
        0,
        "no ED: prf outputs are unsigned"
    );

    // With user verification: the UV secret, for both inputs.
    let mut request = get_request("example.com", &[]);
    request.require_user_verification = true;
    request.extensions = with_prf(json!({"eval": {"first": b64(b"one"), "second": b64(b"two")}}));
    let assertion = get(&a, request).unwrap();
    assert_eq!(
        assertion.extension_results["prf"],
        json!({"results": {
            "first": prf_output(secrets.expose_with_uv(), b"one"),
            "second": prf_output(secrets.expose_with_uv(), b"two"),
        }})
    );
    assert_eq!(assertion.authenticator_data.len(), 37);

    // Without: the other secret, so other outputs.
    let mut request = get_request("example.com", &[]);
    request.extensions = with_prf(json!({"eval": {"first": b64(b"one")}}));
    let assertion = get(&a, request).unwrap();
    let without_uv = secrets.expose_without_uv().expect("second secret");
    assert_eq!(
        assertion.extension_results["prf"]["results"]["first"],
        prf_output(without_uv, b"one")
    );
    assert_ne!(
        prf_output(without_uv, b"one"),
        prf_output(secrets.expose_with_uv(), b"one")
    );

    // evalByCredential picks this credential's inputs over eval.
    let mut request = get_request("example.com", &[&made.credential_id]);
    request.require_user_verification = true;
    request.extensions = with_prf(json!({
        "eval": {"first": b64(b"one")},
        "evalByCredential": {b64(&made.credential_id): {"first": b64(b"mine")}},
    }));
    let assertion = get(&a, request).unwrap();
    assert_eq!(
        assertion.extension_results["prf"]["results"]["first"],
        prf_output(secrets.expose_with_uv(), b"mine")
    );

    // No prf input, no prf output.
    assert!(
        get(&a, get_request("example.com", &[]))
            .unwrap()
            .extension_results
            .is_empty()
    );
}

#[test]
fn prf_needs_a_passkey_created_with_it() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let plain = make(&a, make_request("example.com", b"alice")).unwrap();
    assert!(plain.extension_results.is_empty());
    assert!(stored(&a, &plain.credential_id).prf.is_none());
    let mut request = get_request("example.com", &[]);
    request.extensions = with_prf(json!({"eval": {"first": b64(b"one")}}));
    assert!(get(&a, request).unwrap().extension_results.is_empty());

    // Enabled without eval: secrets, but no results yet.
    let mut request = make_request("other.example", b"alice");
    request.extensions = with_prf(json!({}));
    let made = make(&a, request).unwrap();
    assert_eq!(made.extension_results["prf"], json!({"enabled": true}));
    assert!(stored(&a, &made.credential_id).prf.is_some());
}

#[test]
fn prf_input_errors() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let mut request = make_request("example.com", b"alice");
    request.extensions = with_prf(json!({"evalByCredential": {"AQID": {"first": "AA"}}}));
    assert_eq!(
        make(&a, request).unwrap_err(),
        AuthenticatorError::NotSupported
    );
    let mut request = make_request("example.com", b"alice");
    request.extensions = with_prf(json!({"eval": {"first": "not base64url!"}}));
    assert_eq!(make(&a, request).unwrap_err(), AuthenticatorError::Unknown);
    assert!(
        a.store().is_empty() && ui.events().is_empty(),
        "refused before any prompt"
    );

    make(&a, make_request("example.com", b"alice")).unwrap();
    let mut request = get_request("example.com", &[]);
    request.extensions = with_prf(json!({"evalByCredential": {"AQID": {"first": "AA"}}}));
    assert_eq!(
        get(&a, request).unwrap_err(),
        AuthenticatorError::NotSupported
    );
    let mut request = get_request("example.com", &[b"\x01\x02\x03"]);
    request.extensions = with_prf(json!({"evalByCredential": {"BAUG": {"first": "AA"}}}));
    assert_eq!(get(&a, request).unwrap_err(), AuthenticatorError::Unknown);
}

// ---- Through the engine, from JSON options ----

fn decode(v: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(v.as_str().expect("a string"))
        .expect("base64url")
}

#[test]
fn create_then_get_through_the_engine() {
    let ui = ScriptedUi::new();
    let clock = ManualClock::new(T0);
    let engine = Engine::new(
        MemoryStore::new(),
        ScriptedMediator::default(),
        clock.clone(),
    )
    .with_authenticator(PasskeyAuthenticator::with_clock(
        MemoryPasskeyStore::new(),
        ui.clone(),
        clock,
    ));
    let caller = Caller::new(
        Origin::parse("https://login.example.com").unwrap(),
        ClientId(1),
        RequestId(1),
    );
    let creation = json!({"publicKey": {
        "rp": {"name": "Example", "id": "example.com"},
        "user": {"id": "dXNlci0x", "name": "alice", "displayName": "Alice"},
        "challenge": "AAECAwQFBgc",
        "pubKeyCredParams": [{"type": "public-key", "alg": -8}, {"type": "public-key", "alg": -7}],
        "authenticatorSelection": {"residentKey": "required", "userVerification": "required"},
        "attestation": "direct",
        "extensions": {"credProps": true, "prf": {"eval": {"first": "c2FsdA"}}},
    }});
    let created = run(engine.create(&caller, &creation, None))
        .unwrap()
        .to_page_json();
    assert_eq!(created["type"], "public-key");
    assert_eq!(created["authenticatorAttachment"], "platform");
    assert_eq!(created["clientExtensionResults"]["credProps"]["rk"], true);
    let prf_at_create = &created["clientExtensionResults"]["prf"];
    assert_eq!(prf_at_create["enabled"], true);
    assert_eq!(created["response"]["publicKeyAlgorithm"], -8);
    let auth_data = decode(&created["response"]["authenticatorData"]);
    assert_eq!(&auth_data[..32], &Sha256::digest(b"example.com")[..]);
    assert_eq!(auth_data[32], UP | UV | BE | BS | AT);
    let cose = auth_data[55 + 16..].to_vec();
    let attestation_object = decode(&created["response"]["attestationObject"]);
    assert!(attestation_object.starts_with(b"\xa3\x63fmt\x66packed"));
    let create_client_data = decode(&created["response"]["clientDataJSON"]);
    let client_data: Value = serde_json::from_slice(&create_client_data).unwrap();
    assert_eq!(client_data["type"], "webauthn.create");
    // The packed signature covers authData || SHA-256(clientDataJSON).
    // a3, "fmt", "packed", "attStmt", a2, "alg", -8, "sig", then the byte string header.
    let at = 1 + 4 + 7 + 8 + 1 + 4 + 1 + 4;
    assert_eq!(attestation_object[at..at + 2], [0x58, 64]);
    let sig = &attestation_object[at + 2..at + 2 + 64];
    let mut message = auth_data.clone();
    message.extend(Sha256::digest(&create_client_data));
    verify_message(&cose, &message, sig);

    let request = json!({"publicKey": {
        "challenge": "CAkKCw",
        "rpId": "example.com",
        "userVerification": "required",
        "extensions": {"prf": {"eval": {"first": "c2FsdA"}}},
    }});
    let got = run(engine.get(&caller, &request, None))
        .unwrap()
        .unwrap()
        .to_page_json();
    assert_eq!(got["id"], created["id"]);
    assert_eq!(decode(&got["response"]["userHandle"]), b"user-1");
    // The same input, both with user verification: the same PRF output.
    assert_eq!(
        got["clientExtensionResults"]["prf"]["results"]["first"],
        prf_at_create["results"]["first"]
    );
    assert_eq!(
        decode(&got["clientExtensionResults"]["prf"]["results"]["first"]).len(),
        32
    );
    let auth_data = decode(&got["response"]["authenticatorData"]);
    assert_eq!(auth_data.len(), 37);
    assert_eq!(auth_data[32], UP | UV | BE | BS);
    let get_client_data = decode(&got["response"]["clientDataJSON"]);
    let mut message = auth_data;
    message.extend(Sha256::digest(&get_client_data));
    verify_message(&cose, &message, &decode(&got["response"]["signature"]));
}

#[test]
fn signals_hide_unknown_and_unaccepted_passkeys_and_update_user_details() {
    use credwell_core::Signal;
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let alice = make(&a, make_request("example.com", b"alice"))
        .unwrap()
        .credential_id;
    let bob = make(&a, make_request("example.com", b"bob"))
        .unwrap()
        .credential_id;
    let other = make(&a, make_request("other.example", b"alice"))
        .unwrap()
        .credential_id;
    // Kept (found) but hidden, or neither.
    let hidden = |id: &[u8]| run(a.store().find(id)).unwrap().map(|p| p.hidden);

    // An unknown credential of another RP is not touched; of its own RP, it is hidden: kept in
    // the store, offered to no page.
    run(a.signal(Signal::UnknownCredential {
        rp_id: rp_id("other.example"),
        credential_id: alice.clone(),
    }));
    assert_eq!(hidden(&alice), Some(false));
    run(a.signal(Signal::UnknownCredential {
        rp_id: rp_id("example.com"),
        credential_id: alice.clone(),
    }));
    assert_eq!(hidden(&alice), Some(true));
    assert!(matches!(
        get(&a, get_request("example.com", &[&alice])),
        Err(AuthenticatorError::NoCredentials)
    ));
    // Nor among the discoverable credentials of the RP: only bob's is offered.
    let got = get(&a, get_request("example.com", &[])).unwrap();
    assert_eq!(got.credential_id, bob);
    let offered: Vec<Vec<u8>> = match ui.events().last() {
        Some(UiEvent::ChooseAccount { accounts, .. }) => {
            accounts.iter().map(|s| s.credential_id.clone()).collect()
        }
        other => panic!("no chooser: {other:?}"),
    };
    assert_eq!(offered, vec![bob.clone()]);

    // All accepted: a listed passkey stays, an unlisted one of that user is hidden, other users
    // and other RPs are untouched; listed again, it is shown again.
    run(a.signal(Signal::AllAcceptedCredentials {
        rp_id: rp_id("example.com"),
        user_id: b"bob".to_vec(),
        accepted: vec![bob.clone(), b"unknown".to_vec()],
    }));
    assert_eq!(hidden(&bob), Some(false));
    run(a.signal(Signal::AllAcceptedCredentials {
        rp_id: rp_id("example.com"),
        user_id: b"bob".to_vec(),
        accepted: Vec::new(),
    }));
    assert_eq!(hidden(&bob), Some(true));
    assert_eq!(hidden(&other), Some(false));
    assert!(matches!(
        get(&a, get_request("example.com", &[])),
        Err(AuthenticatorError::NoCredentials)
    ));
    run(a.signal(Signal::AllAcceptedCredentials {
        rp_id: rp_id("example.com"),
        user_id: b"bob".to_vec(),
        accepted: vec![bob.clone()],
    }));
    assert_eq!(hidden(&bob), Some(false));
    assert_eq!(
        hidden(&alice),
        Some(true),
        "another user's hidden passkey stays hidden"
    );

    // Current details: the name and display name change, nothing else does.
    let before = stored(&a, &other);
    run(a.signal(Signal::CurrentUserDetails {
        rp_id: rp_id("other.example"),
        user_id: b"alice".to_vec(),
        name: "alice.new@other.example".into(),
        display_name: "Alice N.".into(),
    }));
    let after = stored(&a, &other);
    assert_eq!(after.user_name, "alice.new@other.example");
    assert_eq!(after.user_display_name, "Alice N.");
    assert_eq!(
        after.private_key.expose_bytes(),
        before.private_key.expose_bytes()
    );
    assert_eq!(after.created_at, before.created_at);
    // Another user's details do not reach it.
    run(a.signal(Signal::CurrentUserDetails {
        rp_id: rp_id("other.example"),
        user_id: b"mallory".to_vec(),
        name: "x".into(),
        display_name: "x".into(),
    }));
    assert_eq!(stored(&a, &other).user_name, "alice.new@other.example");
}

#[test]
fn large_blobs_are_written_and_read_back_per_passkey() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let mut create = make_request("example.com", b"alice");
    create.extensions = with_extension("largeBlob", json!({"support": "required"}));
    let created = make(&a, create).unwrap();
    assert_eq!(
        created.extension_results["largeBlob"],
        json!({"supported": true})
    );
    let id = created.credential_id;
    let other = make(&a, make_request("example.com", b"bob"))
        .unwrap()
        .credential_id;
    let ask = |large_blob: Value, allow: &[u8]| {
        let mut request = get_request("example.com", &[allow]);
        request.extensions = with_extension("largeBlob", large_blob);
        get(&a, request).unwrap().extension_results["largeBlob"].clone()
    };
    // Nothing written yet: a read has no blob.
    assert_eq!(ask(json!({"read": true}), &id), json!({}));
    assert_eq!(
        ask(json!({"write": b64(b"blob one")}), &id),
        json!({"written": true})
    );
    assert_eq!(
        ask(json!({"read": true}), &id),
        json!({"blob": b64(b"blob one")})
    );
    // Each passkey has its own blob.
    assert_eq!(ask(json!({"read": true}), &other), json!({}));
    // Too large, or not base64url: not written, the old blob stays.
    let huge = vec![7u8; credwell_passkey::LARGE_BLOB_MAX + 1];
    assert_eq!(
        ask(json!({"write": b64(&huge)}), &id),
        json!({"written": false})
    );
    assert_eq!(ask(json!({"write": "%%"}), &id), json!({"written": false}));
    assert_eq!(
        ask(json!({"read": true}), &id),
        json!({"blob": b64(b"blob one")})
    );
    // The blob survives the vault payload round trip.
    let record = stored(&a, &id);
    let back = PasskeyRecord::from_vault_payload(&record.to_vault_payload().unwrap()).unwrap();
    assert_eq!(back.large_blob.as_deref(), Some(b"blob one".as_slice()));
}

fn with_extension(id: &str, value: Value) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert(id.to_owned(), value);
    map
}

#[test]
fn conditional_requests_offer_accounts_in_autofill_and_show_nothing_when_there_are_none() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let mut request = get_request("example.com", &[]);
    request.conditional = true;
    assert_eq!(
        get(&a, request.clone()).unwrap_err(),
        AuthenticatorError::NoCredentials
    );
    assert!(ui.events().is_empty(), "nothing to offer, nothing shown");
    let id = make(&a, make_request("example.com", b"alice"))
        .unwrap()
        .credential_id;
    let before = ui.events().len();
    let assertion = get(&a, request).unwrap();
    assert_eq!(assertion.credential_id, id);
    let shown = &ui.events()[before..];
    assert!(
        matches!(&shown[0], UiEvent::OfferAutofill { rp_id, accounts }
            if rp_id == "example.com" && accounts.len() == 1),
        "{shown:?}"
    );
    assert!(
        !shown
            .iter()
            .any(|e| matches!(e, UiEvent::ChooseAccount { .. })),
        "no modal chooser"
    );
}

#[test]
fn may_hold_credentials_for_says_false_only_when_the_store_knows_it_holds_none() {
    // A signal fetches an RP's related origins only for an RP ID this says may be held.
    let ui = ScriptedUi::new().confirming(true);
    let (a, _) = authenticator(&ui);
    assert!(!run(a.may_hold_credentials_for("example.com")));
    run(a.make_credential(make_request("example.com", b"alice"))).unwrap();
    assert!(run(a.may_hold_credentials_for("example.com")));
    assert!(!run(a.may_hold_credentials_for("other.example")));
    // A store that cannot tell (a locked vault, an unreadable one) counts as holding none.
    let broken = PasskeyAuthenticator::new(
        FailingStore {
            reads_fail: true,
            ..FailingStore::default()
        },
        ScriptedUi::new(),
    );
    assert!(!run(broken.may_hold_credentials_for("example.com")));
}

#[test]
fn discoverable_credentials_are_listed_without_ui_and_none_when_the_store_cannot_tell() {
    // uiMode "immediate" lists them for the client's own chooser.
    let ui = ScriptedUi::new();
    let (a, clock) = authenticator(&ui);
    assert_eq!(
        run(a.discoverable_credentials("example.com")),
        Some(Vec::new())
    );
    let alice = make(&a, make_request("example.com", b"alice")).unwrap();
    clock.advance(1000);
    let bob = make(&a, make_request("example.com", b"bob")).unwrap();
    make(&a, make_request("other.example", b"carol")).unwrap();
    let before = ui.events().len();
    let listed = run(a.discoverable_credentials("example.com")).expect("the store can tell");
    let names: Vec<_> = listed
        .iter()
        .map(|c| {
            (
                c.credential_id.clone(),
                c.user_name.as_str(),
                c.user_display_name.as_str(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            (bob.credential_id.clone(), "bob@example.com", "BOB"),
            (alice.credential_id.clone(), "alice@example.com", "ALICE"),
        ],
        "this RP's, most recent first"
    );
    assert_eq!(ui.events().len(), before, "no prompt");
    // A hidden passkey is offered to no page.
    run(a.signal(credwell_core::Signal::UnknownCredential {
        rp_id: rp_id("example.com"),
        credential_id: bob.credential_id.clone(),
    }));
    let listed = run(a.discoverable_credentials("example.com")).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].credential_id, alice.credential_id);
    // A store that cannot tell without asking (locked, unreadable): None.
    let broken = PasskeyAuthenticator::new(
        FailingStore {
            reads_fail: true,
            ..FailingStore::default()
        },
        ScriptedUi::new(),
    );
    assert_eq!(run(broken.discoverable_credentials("example.com")), None);
}

#[test]
fn a_credential_the_user_already_picked_is_used_without_a_second_chooser() {
    let ui = ScriptedUi::new().choosing(None);
    let (a, clock) = authenticator(&ui);
    let alice = make(&a, make_request("example.com", b"alice")).unwrap();
    clock.advance(1000);
    make(&a, make_request("example.com", b"bob")).unwrap();
    let before = ui.events().len();
    let mut request = get_request("example.com", &[&alice.credential_id]);
    request.user_selected = true;
    let assertion = get(&a, request.clone()).expect("signs without a chooser (it would cancel)");
    assert_eq!(assertion.credential_id, alice.credential_id);
    check_assertion_data(&assertion, "example.com", UP | BE | BS);
    assert_eq!(ui.events().len(), before, "no chooser, no prompt");
    // User verification is still asked when required.
    request.require_user_verification = true;
    let assertion = get(&a, request.clone()).unwrap();
    check_assertion_data(&assertion, "example.com", UP | UV | BE | BS);
    assert!(matches!(ui.events().last(), Some(UiEvent::VerifyUser(_))));
    // The client names exactly one credential; two (or none of this RP) is refused.
    let bob_id = run(a.discoverable_credentials("example.com")).unwrap()[0]
        .credential_id
        .clone();
    let mut two = get_request("example.com", &[&alice.credential_id, &bob_id]);
    two.user_selected = true;
    assert_eq!(get(&a, two).unwrap_err(), AuthenticatorError::Unknown);
    let mut elsewhere = get_request("other.example", &[&alice.credential_id]);
    elsewhere.user_selected = true;
    assert_eq!(
        get(&a, elsewhere).unwrap_err(),
        AuthenticatorError::NoCredentials
    );
}

/// A conditional create's request: the client has the user's consent (a recent password
/// sign-in) and asks for neither user presence nor user verification.
fn silent_request(rp: &str, user_id: &[u8]) -> MakeCredentialRequest {
    MakeCredentialRequest {
        require_user_presence: false,
        require_user_verification: false,
        ..make_request(rp, user_id)
    }
}

#[test]
fn a_conditional_create_shows_nothing_and_sets_neither_up_nor_uv() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let made = make(&a, silent_request("example.com", b"alice")).unwrap();
    check_registration_data(&a, &made, "example.com", BE | BS | AT);
    assert!(ui.events().is_empty(), "{:?}", ui.events());
    assert_eq!(a.store().len(), 1);

    // Packed self attestation signs the authenticator data as returned (UP and UV clear).
    let mut request = silent_request("example.com", b"bob");
    request.attestation_formats = vec!["packed".into()];
    let made = make(&a, request).unwrap();
    let cose = check_registration_data(&a, &made, "example.com", BE | BS | AT);
    let object = &made.attestation_object;
    let at = object
        .windows(4)
        .position(|w| w == b"\x63sig")
        .expect("sig member");
    let sig = &object[at + 4..];
    let (sig, _) = match sig[0] {
        0x58 => (&sig[2..2 + usize::from(sig[1])], ()),
        n => (&sig[1..1 + usize::from(n - 0x40)], ()),
    };
    verify(&cose, &made.authenticator_data, sig);
    assert!(ui.events().is_empty());

    // The next ordinary create asks again, and sets UP.
    let made = make(&a, make_request("example.com", b"carol")).unwrap();
    check_registration_data(&a, &made, "example.com", UP | BE | BS | AT);
    assert_eq!(ui.events().len(), 1);
}

#[test]
fn a_conditional_create_of_an_excluded_credential_is_invalid_state_without_a_prompt() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let made = make(&a, make_request("example.com", b"alice")).unwrap();
    let before = ui.events().len();
    let mut request = silent_request("example.com", b"alice2");
    request.exclude_credentials = vec![descriptor(&made.credential_id)];
    assert_eq!(
        make(&a, request).unwrap_err(),
        AuthenticatorError::InvalidState
    );
    assert_eq!(ui.events().len(), before, "no prompt");
    assert_eq!(a.store().len(), 1);
}

#[test]
fn a_conditional_create_never_replaces_the_same_users_passkey() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let first = make(&a, make_request("example.com", b"alice")).unwrap();
    let before = ui.events().len();
    assert_eq!(
        make(&a, silent_request("example.com", b"alice")).unwrap_err(),
        AuthenticatorError::Cancelled
    );
    assert_eq!(ui.events().len(), before, "no prompt");
    assert_eq!(a.store().len(), 1);
    stored(&a, &first.credential_id);
    // Another user of the same RP is created.
    make(&a, silent_request("example.com", b"bob")).unwrap();
    assert_eq!(a.store().len(), 2);
}

#[test]
fn a_conditional_create_cannot_verify_the_user() {
    let ui = ScriptedUi::new();
    let (a, _) = authenticator(&ui);
    let mut request = silent_request("example.com", b"alice");
    request.require_user_verification = true;
    assert_eq!(
        make(&a, request).unwrap_err(),
        AuthenticatorError::Constraint
    );
    assert!(ui.events().is_empty());
    assert!(a.store().is_empty());
}
