//! `uiMode: "immediate"`: every rule of immediate.rs through `Engine::get`, with a scripted
//! mediator, an authenticator that lists what it holds, and a manual clock.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::{IMMEDIATE_CALLS, IMMEDIATE_WINDOW_MS, RATE_DOCUMENTS};
use crate::*;

const SITE: &str = "https://example.com";

/// An authenticator holding `held` for every RP ID (`None`: it cannot tell, as when locked),
/// answering each assertion with `answer_id` (default: the credential asked for).
#[derive(Clone, Default)]
struct Listing {
    held: Option<Vec<DiscoverableCredential>>,
    answer_id: Option<Vec<u8>>,
    listed: Arc<Mutex<Vec<String>>>,
    asked: Arc<Mutex<Vec<GetAssertionRequest>>>,
}

impl Authenticator for Listing {
    fn info(&self) -> AuthenticatorInfo {
        AuthenticatorInfo {
            attachment: "platform",
            transports: vec!["internal".into()],
            discoverable_credentials: true,
            user_verification: true,
        }
    }

    async fn make_credential(
        &self,
        _request: MakeCredentialRequest,
    ) -> Result<AttestedCredential, AuthenticatorError> {
        Err(AuthenticatorError::NotSupported)
    }

    async fn get_assertion(
        &self,
        request: GetAssertionRequest,
    ) -> Result<Assertion, AuthenticatorError> {
        let id = self.answer_id.clone().unwrap_or_else(|| {
            request
                .allow_credentials
                .first()
                .map(|d| d.id.clone())
                .unwrap_or_default()
        });
        self.asked.lock().unwrap().push(request);
        Ok(Assertion {
            credential_id: id,
            authenticator_data: vec![0xbb; 37],
            signature: vec![0x30, 0x44],
            user_handle: Some(b"user".to_vec()),
            extension_results: serde_json::Map::new(),
        })
    }

    async fn discoverable_credentials(&self, rp_id: &str) -> Option<Vec<DiscoverableCredential>> {
        self.listed.lock().unwrap().push(rp_id.to_owned());
        self.held.clone()
    }
}

/// A store that is locked: it cannot list without asking (unless `listed`: it was unlocked for
/// the listing and locked again before the pick), and would ask for everything else, which
/// the user declines (recorded, so that a test can say nothing asked).
#[derive(Clone, Default)]
struct Locked {
    asked: Arc<Mutex<u32>>,
    listed: Option<Vec<StoredCredential>>,
}

impl Locked {
    fn ask<T>(&self) -> StoreResult<T> {
        *self.asked.lock().unwrap() += 1;
        Err(StoreFailure::unlock_declined())
    }
}

impl CredentialStore for Locked {
    async fn list(&self, _: &Origin, _: CredentialType) -> StoreResult<Vec<StoredCredential>> {
        self.ask()
    }
    async fn list_without_asking(
        &self,
        _: &Origin,
        _: CredentialType,
    ) -> StoreResult<Option<Vec<StoredCredential>>> {
        Ok(self.listed.clone())
    }
    async fn list_same_site(
        &self,
        _: &Site,
        _: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.ask()
    }
    async fn add(&self, _: Credential, _: Timestamp) -> StoreResult<RecordId> {
        self.ask()
    }
    async fn update(&self, _: RecordId, _: Credential, _: Timestamp) -> StoreResult<bool> {
        self.ask()
    }
    async fn remove(&self, _: RecordId) -> StoreResult<bool> {
        self.ask()
    }
    async fn origin_flags(&self, _: &Origin) -> StoreResult<OriginFlags> {
        self.ask()
    }
    async fn set_origin_flags(&self, _: &Origin, _: OriginFlags) -> StoreResult<()> {
        self.ask()
    }
}

type TestEngine<S = MemoryStore> = Engine<S, ScriptedMediator, ManualClock, Listing>;

struct H<S = MemoryStore> {
    engine: TestEngine<S>,
    clock: ManualClock,
    authenticator: Listing,
}

fn harness_with<S: CredentialStore>(store: S, held: Option<Vec<DiscoverableCredential>>) -> H<S> {
    let clock = ManualClock::new(1_000_000);
    let authenticator = Listing {
        held,
        ..Listing::default()
    };
    let engine = Engine::new(store, ScriptedMediator::default(), clock.clone())
        .with_authenticator(authenticator.clone());
    H {
        engine,
        clock,
        authenticator,
    }
}

fn harness(held: Option<Vec<DiscoverableCredential>>) -> H {
    harness_with(MemoryStore::new(), held)
}

fn passkey(id: u8, name: &str) -> DiscoverableCredential {
    DiscoverableCredential {
        credential_id: vec![id; 16],
        user_name: name.to_owned(),
        user_display_name: name.to_uppercase(),
    }
}

fn site() -> Origin {
    Origin::parse(SITE).unwrap()
}

/// A top-level document of SITE with a user gesture.
fn caller(client: u64) -> Caller {
    let mut c = Caller::new(site(), ClientId(client), RequestId(client * 100));
    c.transient_activation = true;
    c
}

async fn add_password<S: CredentialStore>(h: &H<S>, origin: &str, id: &str) {
    let credential = Credential::Password(PasswordCredential {
        id: id.into(),
        password: Password::new("pencil"),
        name: String::new(),
        icon_url: String::new(),
        origin: Origin::parse(origin).unwrap(),
    });
    h.engine
        .store_backend()
        .add(credential, Timestamp(0))
        .await
        .unwrap();
}

fn both() -> Value {
    json!({
        "password": true,
        "publicKey": {"challenge": "AAECAw", "rpId": "example.com"},
        "uiMode": "immediate",
    })
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    futures::executor::block_on(f)
}

fn get<S: CredentialStore>(
    h: &H<S>,
    caller: &Caller,
    options: &Value,
) -> Result<Option<Credential>, GetError> {
    run(h.engine.get(caller, options, None))
}

fn not_allowed<T: std::fmt::Debug>(result: Result<T, GetError>) -> GetError {
    let e = result.expect_err("rejects");
    assert_eq!(e.name(), ErrorName::NotAllowedError, "{e}");
    e
}

fn choosers<S>(h: &H<S>) -> Vec<ChooserRequest> {
    h.engine
        .mediator
        .asked()
        .into_iter()
        .filter_map(|a| match a {
            Asked::Chooser(c) => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn nothing_held_is_not_allowed_without_any_mediator_call() {
    let h = harness(Some(Vec::new()));
    // A password of another origin of the site is not the caller's.
    run(add_password(&h, "https://www.example.com", "alice"));
    let e = not_allowed(get(&h, &caller(1), &both()));
    assert!(matches!(e, GetError::ImmediateNothingHeld), "{e:?}");
    assert!(h.engine.mediator().asked().is_empty(), "no UI at all");
    assert_eq!(*h.authenticator.listed.lock().unwrap(), ["example.com"]);
    assert!(h.authenticator.asked.lock().unwrap().is_empty());
}

#[test]
fn a_locked_store_is_not_allowed_without_ui_and_says_what_a_dismissal_says() {
    // The password store cannot tell (locked): no unlock, no chooser, even though the
    // authenticator has passkeys (in credwell both are the same vault).
    let h = harness_with(Locked::default(), Some(vec![passkey(1, "alice")]));
    let e = not_allowed(get(&h, &caller(1), &both()));
    assert!(matches!(e, GetError::ImmediateLocked), "{e:?}");
    assert_eq!(
        *h.engine.store_backend().asked.lock().unwrap(),
        0,
        "nothing asked to unlock"
    );
    assert!(h.engine.mediator().asked().is_empty());
    let dismissed = GetError::ImmediateDismissed.to_string();
    assert_eq!(
        e.to_string(),
        dismissed,
        "locked and dismissed read the same"
    );
    assert_eq!(GetError::ImmediateNothingHeld.to_string(), dismissed);

    // The authenticator cannot tell (locked), though a password is there.
    let h = harness(None);
    run(add_password(&h, SITE, "alice"));
    let e = not_allowed(get(&h, &caller(2), &both()));
    assert!(matches!(e, GetError::ImmediateLocked), "{e:?}");
    assert!(h.engine.mediator().asked().is_empty());
}

#[test]
fn one_chooser_lists_the_passwords_then_the_passkeys_and_a_password_pick_resolves_it() {
    let h = harness(Some(vec![passkey(7, "carol")]));
    run(add_password(&h, SITE, "alice"));
    h.engine.mediator().push([Scripted::Choose(0)]);
    let got = get(&h, &caller(1), &both())
        .expect("resolves")
        .expect("a credential");
    let Credential::Password(p) = &got else {
        panic!("a password: {got:?}")
    };
    assert_eq!(p.id, "alice");
    let shown = choosers(&h);
    assert_eq!(shown.len(), 1, "one chooser");
    let c = &shown[0];
    assert_eq!(c.ui_mode, Some(UiMode::Immediate));
    assert_eq!(c.rp_id.as_deref(), Some("example.com"));
    let kinds: Vec<_> = c
        .accounts
        .iter()
        .map(|a| (a.credential_type, a.id.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (CredentialType::Password, "alice"),
            (CredentialType::PublicKey, "carol")
        ]
    );
    assert_eq!(c.accounts[1].name, "CAROL");
    assert!(
        h.authenticator.asked.lock().unwrap().is_empty(),
        "no ceremony"
    );
    // Picking is user mediation: the prevent silent access flag is cleared.
    let flags = run(h.engine.store_backend().origin_flags(&site())).unwrap();
    assert!(!flags.prevent_silent_access);
}

#[test]
fn a_passkey_pick_runs_the_assertion_for_that_credential_without_a_second_chooser() {
    let h = harness(Some(vec![passkey(7, "carol"), passkey(8, "dave")]));
    run(add_password(&h, SITE, "alice"));
    h.engine.mediator().push([Scripted::Choose(2)]);
    let mut options = both();
    options["publicKey"]["userVerification"] = json!("required");
    let got = get(&h, &caller(1), &options)
        .expect("resolves")
        .expect("a credential");
    let Credential::PublicKey(pk) = &got else {
        panic!("a passkey: {got:?}")
    };
    assert_eq!(pk.json["rawId"], "CAgICAgICAgICAgICAgICA");
    assert_eq!(pk.json["type"], "public-key");
    let asked = h.authenticator.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0].user_selected,
        "the pick is the test of user presence"
    );
    assert!(!asked[0].conditional);
    assert!(
        asked[0].require_user_verification,
        "user verification still asked"
    );
    let allowed: Vec<_> = asked[0]
        .allow_credentials
        .iter()
        .map(|d| d.id.clone())
        .collect();
    assert_eq!(allowed, [vec![8u8; 16]], "only the picked credential");
    assert_eq!(asked[0].rp_id.as_str(), "example.com");
    assert_eq!(choosers(&h).len(), 1);
}

#[test]
fn an_assertion_for_another_credential_than_the_pick_is_refused() {
    let mut h = harness(Some(vec![passkey(7, "carol")]));
    h.authenticator.answer_id = Some(vec![9; 16]);
    h.engine = Engine::new(
        MemoryStore::new(),
        ScriptedMediator::default(),
        h.clock.clone(),
    )
    .with_authenticator(h.authenticator.clone());
    h.engine.mediator().push([Scripted::Choose(0)]);
    let e = not_allowed(get(&h, &caller(1), &both()));
    assert!(
        matches!(e, GetError::WebAuthn(WebAuthnError::NotAllowed)),
        "{e:?}"
    );
}

#[test]
fn public_key_alone_may_be_immediate() {
    let h = harness(Some(vec![passkey(7, "carol")]));
    h.engine.mediator().push([Scripted::Choose(0)]);
    let options = json!({"publicKey": {"challenge": "AAECAw"}, "uiMode": "immediate"});
    let got = get(&h, &caller(1), &options).expect("resolves");
    assert!(matches!(got, Some(Credential::PublicKey(_))));
    // The RP ID defaults to the caller's effective domain.
    assert_eq!(*h.authenticator.listed.lock().unwrap(), ["example.com"]);
}

#[test]
fn password_alone_shows_the_chooser_even_for_one_credential() {
    // Not the silent auto sign-in of an ordinary get(): immediate always asks.
    let h = harness(Some(Vec::new()));
    run(add_password(&h, SITE, "alice"));
    run(h
        .engine
        .store_backend()
        .set_origin_flags(&site(), OriginFlags::default()))
    .unwrap();
    h.engine.mediator().push([Scripted::Choose(0)]);
    let options = json!({"password": true, "uiMode": "immediate"});
    let got = get(&h, &caller(1), &options).expect("resolves");
    assert_eq!(got.map(|c| c.id().to_owned()).as_deref(), Some("alice"));
    assert_eq!(choosers(&h).len(), 1);
    assert!(
        h.authenticator.listed.lock().unwrap().is_empty(),
        "no publicKey, no listing"
    );
}

#[test]
fn dismissing_the_chooser_is_not_allowed() {
    let h = harness(Some(vec![passkey(7, "carol")]));
    h.engine.mediator().push([Scripted::Cancel]);
    let e = not_allowed(get(&h, &caller(1), &both()));
    assert!(matches!(e, GetError::ImmediateDismissed), "{e:?}");
    // An index the chooser never showed is a dismissal too.
    h.engine.mediator().push([Scripted::Choose(5)]);
    let e = not_allowed(get(&h, &caller(2), &both()));
    assert!(matches!(e, GetError::ImmediateDismissed), "{e:?}");
    assert!(h.authenticator.asked.lock().unwrap().is_empty());
}

#[test]
fn without_a_user_gesture_it_is_not_allowed_before_anything_is_looked_up() {
    let h = harness(Some(vec![passkey(7, "carol")]));
    let mut c = caller(1);
    c.transient_activation = false;
    let e = not_allowed(get(&h, &c, &both()));
    assert!(matches!(e, GetError::ImmediateNeedsUserActivation), "{e:?}");
    assert!(e.to_string().contains("gesture"));
    assert!(h.authenticator.listed.lock().unwrap().is_empty());
    assert!(h.engine.mediator().asked().is_empty());
}

#[test]
fn allow_credentials_is_not_allowed() {
    let h = harness(Some(vec![passkey(7, "carol")]));
    let mut options = both();
    options["publicKey"]["allowCredentials"] = json!([{"type": "public-key", "id": "BwcH"}]);
    let e = not_allowed(get(&h, &caller(1), &options));
    assert!(
        matches!(e, GetError::ImmediateWithAllowCredentials),
        "{e:?}"
    );
    assert!(h.authenticator.listed.lock().unwrap().is_empty());
}

#[test]
fn conditional_mediation_is_not_supported() {
    let h = harness(Some(vec![passkey(7, "carol")]));
    for options in [
        json!({"publicKey": {"challenge": "AAECAw"}, "uiMode": "immediate",
               "mediation": "conditional"}),
        json!({"password": true, "publicKey": {"challenge": "AAECAw"},
               "uiMode": "immediate", "mediation": "conditional"}),
    ] {
        let e = run(h.engine.get(&caller(1), &options, None)).expect_err("rejects");
        assert_eq!(e.name(), ErrorName::NotSupportedError, "{options}");
        assert!(matches!(e, GetError::ImmediateWithConditional), "{e:?}");
    }
    assert!(h.engine.mediator().asked().is_empty());
}

#[test]
fn a_frame_not_same_origin_with_its_ancestors_is_not_allowed() {
    let h = harness(Some(vec![passkey(7, "carol")]));
    let c = caller(1).with_ancestors(&[Origin::parse("https://embedder.example").unwrap()]);
    let mut c = c;
    c.public_key_get_allowed = true;
    let e = not_allowed(get(&h, &c, &both()));
    assert!(
        matches!(e, GetError::ImmediateNotSameOriginWithAncestors),
        "{e:?}"
    );
    assert!(h.authenticator.listed.lock().unwrap().is_empty());
}

#[test]
fn an_opaque_origin_is_a_security_error() {
    let h = harness(Some(vec![passkey(7, "carol")]));
    let mut c = caller(1);
    c.origin = Origin::new_opaque();
    let e = run(h
        .engine
        .get(&c, &json!({"password": true, "uiMode": "immediate"}), None))
    .expect_err("rejects");
    assert_eq!(e.name(), ErrorName::SecurityError, "{e}");
}

#[test]
fn a_malformed_public_key_member_is_a_type_error_before_the_gesture_check() {
    let h = harness(Some(vec![passkey(7, "carol")]));
    let mut c = caller(1);
    c.transient_activation = false;
    let options = json!({"password": true, "publicKey": {}, "uiMode": "immediate"});
    let e = run(h.engine.get(&c, &options, None)).expect_err("rejects");
    assert_eq!(e.name(), ErrorName::TypeError, "{e}");
}

#[test]
fn password_and_public_key_share_a_request_only_when_immediate() {
    let h = harness(Some(vec![passkey(7, "carol")]));
    let mut options = both();
    options.as_object_mut().unwrap().remove("uiMode");
    let e = run(h.engine.get(&caller(1), &options, None)).expect_err("rejects");
    assert_eq!(e.name(), ErrorName::NotSupportedError);
    assert!(matches!(e, GetError::TypesCannotBeCombined(..)), "{e:?}");
    // Federated stays refused with publicKey even in immediate mode.
    let options = json!({"federated": {}, "publicKey": {"challenge": "AAECAw"},
                         "uiMode": "immediate"});
    let e = run(h.engine.get(&caller(1), &options, None)).expect_err("rejects");
    assert!(matches!(e, GetError::TypesCannotBeCombined(..)), "{e:?}");
}

#[test]
fn the_third_call_in_five_seconds_from_one_document_is_not_allowed_without_ui() {
    let h = harness(Some(vec![passkey(7, "carol")]));
    h.engine
        .mediator()
        .push([Scripted::Cancel, Scripted::Cancel, Scripted::Cancel]);
    for _ in 0..IMMEDIATE_CALLS {
        let e = not_allowed(get(&h, &caller(1), &both()));
        assert!(matches!(e, GetError::ImmediateDismissed), "{e:?}");
    }
    h.clock.advance(IMMEDIATE_WINDOW_MS - 1);
    let e = not_allowed(get(&h, &caller(1), &both()));
    assert!(matches!(e, GetError::ImmediateRateLimited), "{e:?}");
    assert!(e.to_string().contains("at most 2 in 5 seconds"), "{e}");
    assert_eq!(
        choosers(&h).len(),
        IMMEDIATE_CALLS,
        "no chooser for the third"
    );
    // Another document is not affected.
    let e = not_allowed(get(&h, &caller(2), &both()));
    assert!(matches!(e, GetError::ImmediateDismissed), "{e:?}");
    // Five seconds after the first call, one more is allowed (the refused one did not count).
    h.clock.advance(1);
    let e = not_allowed(get(&h, &caller(1), &both()));
    assert!(matches!(e, GetError::ImmediateDismissed), "{e:?}");
}

#[test]
fn the_rate_state_is_bounded() {
    let h = harness(Some(Vec::new()));
    for client in 0..RATE_DOCUMENTS as u64 {
        let e = not_allowed(get(&h, &caller(1000 + client), &both()));
        assert!(matches!(e, GetError::ImmediateNothingHeld), "{e:?}");
    }
    assert_eq!(h.engine.immediate_rate.documents(), RATE_DOCUMENTS);
    // Full of recent calls: a new document is refused rather than remembered.
    let e = not_allowed(get(&h, &caller(1), &both()));
    assert!(matches!(e, GetError::ImmediateRateLimited), "{e:?}");
    assert_eq!(h.engine.immediate_rate.documents(), RATE_DOCUMENTS);
    // Once those calls are old, they are forgotten and the new one is counted.
    h.clock.advance(IMMEDIATE_WINDOW_MS);
    let e = not_allowed(get(&h, &caller(1), &both()));
    assert!(matches!(e, GetError::ImmediateNothingHeld), "{e:?}");
    assert_eq!(h.engine.immediate_rate.documents(), 1);
}

#[test]
fn a_store_locked_again_before_the_pick_ends_as_not_allowed_not_null() {
    // The password was listed, then the vault locked (idle lock) while the chooser was open;
    // the user declines the unlock page that clearing the origin's flag raises.
    let alice = Credential::Password(PasswordCredential {
        id: "alice".into(),
        password: Password::new("pencil"),
        name: String::new(),
        icon_url: String::new(),
        origin: site(),
    });
    let store = Locked {
        listed: Some(vec![StoredCredential {
            record: RecordId(1),
            credential: alice,
            created: Timestamp(0),
            updated: Timestamp(0),
            history: Vec::new(),
            extras: Default::default(),
        }]),
        ..Locked::default()
    };
    let h = harness_with(store, Some(Vec::new()));
    h.engine.mediator.push([Scripted::Choose(0)]);
    let e = not_allowed(get(&h, &caller(1), &both()));
    assert!(matches!(e, GetError::ImmediateDismissed), "{e:?}");
    assert_eq!(*h.engine.store_backend().asked.lock().unwrap(), 1);
}

#[test]
fn silent_mediation_is_not_allowed_before_anything_is_looked_up_and_does_not_count() {
    let h = harness(Some(vec![passkey(7, "carol")]));
    run(add_password(&h, SITE, "alice"));
    // Silent auto sign-in would be allowed for an ordinary get(): one password, flag cleared.
    run(h
        .engine
        .store_backend()
        .set_origin_flags(&site(), OriginFlags::default()))
    .unwrap();
    for options in [
        json!({"password": true, "uiMode": "immediate", "mediation": "silent"}),
        json!({"publicKey": {"challenge": "AAECAw"}, "uiMode": "immediate",
               "mediation": "silent"}),
        json!({"password": true, "publicKey": {"challenge": "AAECAw"},
               "uiMode": "immediate", "mediation": "silent"}),
    ] {
        let e = not_allowed(get(&h, &caller(1), &options));
        assert!(matches!(e, GetError::ImmediateSilent), "{options}: {e:?}");
        assert!(e.to_string().contains("silent"), "{e}");
    }
    assert!(h.engine.mediator().asked().is_empty(), "no UI at all");
    assert!(h.authenticator.listed.lock().unwrap().is_empty());
    // Without a gesture too: nothing to show, whatever the activation.
    let mut c = caller(1);
    c.transient_activation = false;
    let silent = json!({"password": true, "uiMode": "immediate", "mediation": "silent"});
    assert!(matches!(
        not_allowed(get(&h, &c, &silent)),
        GetError::ImmediateSilent
    ));
    // An opaque origin is still a SecurityError first.
    let opaque = Caller::new(Origin::new_opaque(), ClientId(9), RequestId(900));
    let e = get(&h, &opaque, &silent).expect_err("rejects");
    assert_eq!(e.name(), ErrorName::SecurityError, "{e:?}");
    // None of them counted: the document still has its two calls.
    h.engine
        .mediator()
        .push([Scripted::Choose(0), Scripted::Choose(0)]);
    for _ in 0..IMMEDIATE_CALLS {
        let got = get(&h, &caller(1), &both()).expect("resolves");
        assert_eq!(got.map(|c| c.id().to_owned()).as_deref(), Some("alice"));
    }
}

#[test]
fn optional_required_and_no_mediation_show_the_chooser_alike() {
    let h = harness(Some(vec![passkey(7, "carol")]));
    run(add_password(&h, SITE, "alice"));
    run(h
        .engine
        .store_backend()
        .set_origin_flags(&site(), OriginFlags::default()))
    .unwrap();
    let mut options = json!({"password": true, "uiMode": "immediate"});
    for (client, mediation) in [(1, None), (2, Some("optional")), (3, Some("required"))] {
        if let Some(m) = mediation {
            options["mediation"] = json!(m);
        }
        h.engine.mediator().push([Scripted::Choose(0)]);
        let got = get(&h, &caller(client), &options).expect("resolves");
        assert_eq!(
            got.map(|c| c.id().to_owned()).as_deref(),
            Some("alice"),
            "{mediation:?}"
        );
        assert_eq!(
            choosers(&h).len(),
            client as usize,
            "{mediation:?}: a chooser"
        );
    }
    // Nothing held: NotAllowedError without UI for every one of them.
    let h = harness(Some(Vec::new()));
    for (client, mediation) in [(1, "optional"), (2, "required")] {
        let options = json!({"publicKey": {"challenge": "AAECAw"}, "uiMode": "immediate",
                             "mediation": mediation});
        let e = not_allowed(get(&h, &caller(client), &options));
        assert!(matches!(e, GetError::ImmediateNothingHeld), "{e:?}");
    }
    assert!(h.engine.mediator().asked().is_empty());
}

#[test]
fn federated_or_an_unknown_mediation_with_immediate_is_a_type_error() {
    let h = harness(Some(vec![passkey(7, "carol")]));
    for mediation in ["silent", "optional", "required"] {
        let options = json!({"federated": {"providers": ["https://idp.example"]},
                             "uiMode": "immediate", "mediation": mediation});
        let e = get(&h, &caller(1), &options).expect_err("rejects");
        assert_eq!(e.name(), ErrorName::TypeError, "{mediation}");
        assert!(matches!(e, GetError::ImmediateNotSupported(_)), "{e:?}");
    }
    let options = json!({"password": true, "uiMode": "immediate", "mediation": "immediate"});
    let e = get(&h, &caller(1), &options).expect_err("rejects");
    assert_eq!(e.name(), ErrorName::TypeError, "{e:?}");
    assert!(h.engine.mediator().asked().is_empty());
}
