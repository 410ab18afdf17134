//! The WebAuthn client algorithms through the engine, with a scripted authenticator.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::FutureExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::*;

#[derive(Clone, Copy, Debug)]
enum Behaviour {
    Succeed,
    Fail(AuthenticatorError),
    Hang,
}

#[derive(Clone)]
struct TestAuthenticator {
    info: AuthenticatorInfo,
    behaviour: Behaviour,
    made: Arc<Mutex<Vec<MakeCredentialRequest>>>,
    asked: Arc<Mutex<Vec<GetAssertionRequest>>>,
    signals: Arc<Mutex<Vec<Signal>>>,
    assertion_id: Vec<u8>,
    /// The RP IDs it holds credentials for, when it knows (None: it cannot tell).
    holds: Option<Vec<&'static str>>,
}

impl TestAuthenticator {
    fn new(behaviour: Behaviour) -> Self {
        Self {
            info: AuthenticatorInfo {
                attachment: "platform",
                transports: vec!["hybrid".into(), "internal".into()],
                discoverable_credentials: true,
                user_verification: true,
            },
            behaviour,
            made: Arc::default(),
            asked: Arc::default(),
            signals: Arc::default(),
            assertion_id: vec![1, 2, 3],
            holds: None,
        }
    }

    async fn act<T>(&self, value: T) -> Result<T, AuthenticatorError> {
        match self.behaviour {
            Behaviour::Succeed => Ok(value),
            Behaviour::Fail(e) => Err(e),
            Behaviour::Hang => std::future::pending().await,
        }
    }
}

impl Authenticator for TestAuthenticator {
    fn info(&self) -> AuthenticatorInfo {
        self.info.clone()
    }

    async fn make_credential(
        &self,
        request: MakeCredentialRequest,
    ) -> Result<AttestedCredential, AuthenticatorError> {
        let resident = request.require_resident_key;
        self.made.lock().unwrap().push(request);
        self.act(AttestedCredential {
            credential_id: vec![9, 9, 9],
            attestation_object: vec![0xa3],
            authenticator_data: vec![0xaa; 37],
            public_key: Some(vec![0x30]),
            public_key_algorithm: -7,
            resident_key: resident,
            extension_results: serde_json::Map::new(),
        })
        .await
    }

    async fn get_assertion(
        &self,
        request: GetAssertionRequest,
    ) -> Result<Assertion, AuthenticatorError> {
        self.asked.lock().unwrap().push(request);
        self.act(Assertion {
            credential_id: self.assertion_id.clone(),
            authenticator_data: vec![0xbb; 37],
            signature: vec![0x30, 0x44],
            user_handle: Some(b"user".to_vec()),
            extension_results: serde_json::Map::new(),
        })
        .await
    }

    async fn signal(&self, signal: Signal) {
        self.signals.lock().unwrap().push(signal);
    }

    async fn may_hold_credentials_for(&self, rp_id: &str) -> bool {
        self.holds.as_ref().is_none_or(|held| held.contains(&rp_id))
    }
}

type TestEngine = Engine<MemoryStore, ScriptedMediator, ManualClock, TestAuthenticator>;

fn engine(behaviour: Behaviour) -> (TestEngine, ManualClock) {
    let clock = ManualClock::new(0);
    let engine = Engine::new(
        MemoryStore::new(),
        ScriptedMediator::default(),
        clock.clone(),
    )
    .with_authenticator(TestAuthenticator::new(behaviour));
    (engine, clock)
}

fn caller(origin: &str) -> Caller {
    Caller::new(Origin::parse(origin).unwrap(), ClientId(1), RequestId(1))
}

fn creation() -> Value {
    json!({"publicKey": {
        "rp": {"name": "Example"},
        "user": {"id": "dXNlcg", "name": "alice", "displayName": "Alice"},
        "challenge": "AAECAw",
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        "extensions": {"credProps": true},
    }})
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    futures::executor::block_on(f)
}

fn decode(v: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn create_builds_client_data_and_asks_the_authenticator() {
    let (engine, _) = engine(Behaviour::Succeed);
    let created =
        run(engine.create(&caller("https://login.example.com"), &creation(), None)).unwrap();
    let json = created.to_page_json();
    assert_eq!(json["type"], "public-key");
    assert_eq!(json["id"], "CQkJ");
    assert_eq!(json["authenticatorAttachment"], "platform");
    assert_eq!(json["clientExtensionResults"]["credProps"]["rk"], false);
    let client_data = decode(&json["response"]["clientDataJSON"]);
    assert_eq!(
        String::from_utf8(client_data.clone()).unwrap(),
        concat!(
            r#"{"type":"webauthn.create","challenge":"AAECAw","#,
            r#""origin":"https://login.example.com","crossOrigin":false}"#,
        )
    );
    let made = engine.authenticator().made.lock().unwrap();
    assert_eq!(made[0].rp_id.as_str(), "login.example.com");
    assert_eq!(
        made[0].client_data_hash,
        <[u8; 32]>::from(Sha256::digest(&client_data))
    );
    assert_eq!(made[0].attestation_formats, ["none"]);
    assert!(
        made[0].require_user_verification,
        "preferred + a UV-capable authenticator"
    );
    assert!(!made[0].require_resident_key);
}

#[test]
fn resident_key_and_user_verification_follow_authenticator_selection() {
    let (engine, _) = engine(Behaviour::Succeed);
    let mut options = creation();
    options["publicKey"]["authenticatorSelection"] =
        json!({"residentKey": "required", "userVerification": "discouraged"});
    let created = run(engine.create(&caller("https://example.com"), &options, None)).unwrap();
    assert_eq!(
        created.to_page_json()["clientExtensionResults"]["credProps"]["rk"],
        true
    );
    let made = engine.authenticator().made.lock().unwrap();
    assert!(made[0].require_resident_key && !made[0].require_user_verification);
}

#[test]
fn create_errors_have_their_exact_names() {
    let name = |behaviour: Behaviour, origin: &str, options: Value| {
        let (engine, _) = engine(behaviour);
        let err = run(engine.create(&caller(origin), &options, None)).unwrap_err();
        Rejection::from(err).name().unwrap()
    };
    let mut long_user = creation();
    long_user["publicKey"]["user"]["id"] = json!(URL_SAFE_NO_PAD.encode([0u8; 65]));
    assert_eq!(
        name(Behaviour::Succeed, "https://example.com", long_user),
        ErrorName::TypeError
    );
    let mut foreign_rp = creation();
    foreign_rp["publicKey"]["rp"]["id"] = json!("google.com");
    assert_eq!(
        name(Behaviour::Succeed, "https://example.com", foreign_rp),
        ErrorName::SecurityError
    );
    assert_eq!(
        name(Behaviour::Succeed, "https://127.0.0.1", creation()),
        ErrorName::SecurityError
    );
    let mut no_alg = creation();
    no_alg["publicKey"]["pubKeyCredParams"] = json!([{"type": "nope", "alg": -7}]);
    assert_eq!(
        name(Behaviour::Succeed, "https://example.com", no_alg),
        ErrorName::NotSupportedError
    );
    let excluded = Behaviour::Fail(AuthenticatorError::InvalidState);
    assert_eq!(
        name(excluded, "https://example.com", creation()),
        ErrorName::InvalidStateError
    );
    for hidden in [
        AuthenticatorError::Cancelled,
        AuthenticatorError::Constraint,
        AuthenticatorError::Unknown,
    ] {
        assert_eq!(
            name(Behaviour::Fail(hidden), "https://example.com", creation()),
            ErrorName::NotAllowedError
        );
    }
}

#[test]
fn opaque_origins_are_not_allowed() {
    let (engine, _) = engine(Behaviour::Succeed);
    let mut c = caller("https://example.com");
    c.origin = Origin::new_opaque();
    let err = run(engine.create(&c, &creation(), None)).unwrap_err();
    assert_eq!(err.name(), ErrorName::NotAllowedError);
}

#[test]
fn cross_origin_create_needs_the_policy_and_a_gesture() {
    let (engine, _) = engine(Behaviour::Succeed);
    let top = Origin::parse("https://top.example").unwrap();
    let framed = caller("https://widget.example").with_ancestors(std::slice::from_ref(&top));
    let err = run(engine.create(&framed, &creation(), None)).unwrap_err();
    assert!(matches!(
        err,
        CreateError::PermissionsPolicy("publickey-credentials-create")
    ));
    let mut allowed = framed.clone();
    allowed.public_key_create_allowed = true;
    let err = run(engine.create(&allowed, &creation(), None)).unwrap_err();
    assert_eq!(err.name(), ErrorName::NotAllowedError);
    allowed.transient_activation = true;
    let created = run(engine.create(&allowed, &creation(), None)).unwrap();
    let client_data = decode(&created.to_page_json()["response"]["clientDataJSON"]);
    let client_data: Value = serde_json::from_slice(&client_data).unwrap();
    assert_eq!(client_data["crossOrigin"], true);
    assert_eq!(client_data["topOrigin"], "https://top.example");
}

#[test]
fn the_lifetime_timer_ends_a_hanging_ceremony() {
    let (engine, clock) = engine(Behaviour::Hang);
    let c = caller("https://example.com");
    let options = creation();
    let mut pending = Box::pin(engine.create(&c, &options, None));
    assert!(pending.as_mut().now_or_never().is_none());
    clock.advance(DEFAULT_TIMEOUT_MS - 1);
    assert!(pending.as_mut().now_or_never().is_none());
    clock.advance(1);
    let err = pending.now_or_never().unwrap().unwrap_err();
    assert_eq!(err.name(), ErrorName::NotAllowedError);
}

#[test]
fn an_authenticator_that_cannot_verify_the_user_is_never_used_when_uv_is_required() {
    let clock = ManualClock::new(0);
    let mut options = creation();
    options["publicKey"]["authenticatorSelection"] = json!({"userVerification": "required"});
    options["publicKey"]["timeout"] = json!(20_000);
    let mut no_uv = TestAuthenticator::new(Behaviour::Succeed);
    no_uv.info.user_verification = false;
    let engine = Engine::new(
        MemoryStore::new(),
        ScriptedMediator::default(),
        clock.clone(),
    )
    .with_authenticator(no_uv);
    let c = caller("https://example.com");
    let mut pending = Box::pin(engine.create(&c, &options, None));
    assert!(pending.as_mut().now_or_never().is_none());
    clock.advance(20_000);
    assert_eq!(
        pending.now_or_never().unwrap().unwrap_err().name(),
        ErrorName::NotAllowedError
    );
    assert!(engine.authenticator().made.lock().unwrap().is_empty());
}

#[test]
fn abort_during_the_ceremony_rejects_with_the_reason() {
    let (engine, _) = engine(Behaviour::Hang);
    let controller = AbortController::new();
    let signal = controller.signal();
    let c = caller("https://example.com");
    let options = creation();
    let mut pending = Box::pin(engine.create(&c, &options, Some(&signal)));
    assert!(pending.as_mut().now_or_never().is_none());
    controller.abort(AbortReason::Value(json!("CustomError")));
    let err = pending.now_or_never().unwrap().unwrap_err();
    assert_eq!(
        Rejection::from(err),
        Rejection::Aborted(AbortReason::Value(json!("CustomError")))
    );
}

fn request(extra: Value) -> Value {
    let mut public_key = json!({"challenge": "AAECAw"});
    if let (Value::Object(pk), Value::Object(extra)) = (&mut public_key, extra) {
        pk.extend(extra);
    }
    json!({"publicKey": public_key})
}

#[test]
fn get_discovers_through_the_authenticator() {
    let (engine, _) = engine(Behaviour::Succeed);
    let got = run(engine.get(&caller("https://example.com"), &request(json!({})), None))
        .unwrap()
        .unwrap();
    let json = got.to_page_json();
    assert_eq!(json["id"], "AQID");
    assert_eq!(
        json["response"]["userHandle"],
        URL_SAFE_NO_PAD.encode(b"user")
    );
    let client_data: Value =
        serde_json::from_slice(&decode(&json["response"]["clientDataJSON"])).unwrap();
    assert_eq!(client_data["type"], "webauthn.get");
    let asked = engine.authenticator().asked.lock().unwrap();
    assert_eq!(asked[0].rp_id.as_str(), "example.com");
    assert!(asked[0].allow_credentials.is_empty());
}

#[test]
fn silent_public_key_get_resolves_null_without_the_authenticator() {
    let (engine, _) = engine(Behaviour::Succeed);
    let mut options = request(json!({}));
    options["mediation"] = json!("silent");
    assert!(
        run(engine.get(&caller("https://example.com"), &options, None))
            .unwrap()
            .is_none()
    );
    assert!(engine.authenticator().asked.lock().unwrap().is_empty());
}

#[test]
fn an_assertion_for_a_credential_the_rp_did_not_allow_is_refused() {
    let (engine, _) = engine(Behaviour::Succeed);
    let options = request(json!({"allowCredentials": [{"type": "public-key", "id": "BwcH"}]}));
    let err = run(engine.get(&caller("https://example.com"), &options, None)).unwrap_err();
    assert_eq!(err.name(), ErrorName::NotAllowedError);
    let options = request(json!({"allowCredentials": [{"type": "public-key", "id": "AQID"}]}));
    assert!(
        run(engine.get(&caller("https://example.com"), &options, None))
            .unwrap()
            .is_some()
    );
}

#[test]
fn cross_origin_get_needs_the_permissions_policy() {
    let (engine, _) = engine(Behaviour::Succeed);
    let framed = caller("https://widget.example")
        .with_ancestors(&[Origin::parse("https://top.example").unwrap()]);
    let err = run(engine.get(&framed, &request(json!({})), None)).unwrap_err();
    assert_eq!(err.name(), ErrorName::NotAllowedError);
    let mut allowed = framed;
    allowed.public_key_get_allowed = true;
    assert!(
        run(engine.get(&allowed, &request(json!({})), None))
            .unwrap()
            .is_some()
    );
}

#[test]
fn conditional_get_never_resolves_early() {
    // Nothing to offer (or the offer dismissed), and a hanging offer: pending until aborted,
    // never NotAllowedError, and no timer runs out.
    for behaviour in [
        Behaviour::Fail(AuthenticatorError::NoCredentials),
        Behaviour::Fail(AuthenticatorError::Cancelled),
        Behaviour::Hang,
    ] {
        let (engine, clock) = engine(behaviour);
        let mut options = request(json!({"timeout": 1000}));
        options["mediation"] = json!("conditional");
        let controller = AbortController::new();
        let signal = controller.signal();
        let c = caller("https://example.com");
        let mut pending = Box::pin(engine.get(&c, &options, Some(&signal)));
        assert!(pending.as_mut().now_or_never().is_none());
        clock.advance(60 * 60 * 1000);
        assert!(pending.as_mut().now_or_never().is_none(), "{behaviour:?}");
        controller.abort(AbortReason::Default);
        let err = pending.now_or_never().unwrap().unwrap_err();
        assert_eq!(Rejection::from(err).name(), Some(ErrorName::AbortError));
        let asked = engine.authenticator().asked.lock().unwrap();
        assert!(
            asked[0].conditional,
            "the authenticator is told to offer, not to prompt"
        );
    }
}

#[test]
fn a_conditional_get_resolves_when_the_user_picks_an_offered_passkey() {
    let (engine, _) = engine(Behaviour::Succeed);
    let mut options = request(json!({}));
    options["mediation"] = json!("conditional");
    let got = run(engine.get(&caller("https://example.com"), &options, None))
        .unwrap()
        .unwrap();
    assert!(matches!(got, Credential::PublicKey(_)), "{got:?}");
    assert!(engine.authenticator().asked.lock().unwrap()[0].conditional);
}

#[test]
fn public_key_credentials_cannot_be_stored() {
    let (engine, _) = engine(Behaviour::Succeed);
    let created = run(engine.create(&caller("https://example.com"), &creation(), None)).unwrap();
    let err = run(engine.store_credential(&caller("https://example.com"), created)).unwrap_err();
    assert_eq!(err.name(), ErrorName::NotSupportedError);
}

#[test]
fn signals_reach_the_authenticator_only_once_validated() {
    let (engine, _) = engine(Behaviour::Succeed);
    let page = caller("https://login.example.com");
    run(engine.signal(
        &page,
        SignalMethod::UnknownCredential,
        &json!({"rpId": "example.com", "credentialId": "AQID"}),
    ))
    .unwrap();
    let error = run(engine.signal(
        &page,
        SignalMethod::UnknownCredential,
        &json!({"rpId": "evil.example", "credentialId": "AQID"}),
    ))
    .unwrap_err();
    assert_eq!(error.name(), ErrorName::SecurityError);
    let error = run(engine.signal(
        &page,
        SignalMethod::CurrentUserDetails,
        &json!({"rpId": "example.com", "userId": "?", "name": "a", "displayName": "A"}),
    ))
    .unwrap_err();
    assert_eq!(Rejection::from(error).name(), Some(ErrorName::TypeError));
    let mut insecure = page.clone();
    insecure.secure_context = false;
    let error = run(engine.signal(
        &insecure,
        SignalMethod::UnknownCredential,
        &json!({"rpId": "example.com", "credentialId": "AQID"}),
    ))
    .unwrap_err();
    assert_eq!(error.name(), ErrorName::SecurityError);
    let seen = engine.authenticator().signals.lock().unwrap().clone();
    assert_eq!(
        seen,
        [Signal::UnknownCredential {
            rp_id: RpId::for_origin(&page.origin, Some("example.com")).unwrap(),
            credential_id: vec![1, 2, 3],
        }]
    );
}

#[test]
fn without_an_authenticator_a_valid_signal_still_resolves() {
    let engine = Engine::new(
        MemoryStore::new(),
        ScriptedMediator::default(),
        ManualClock::new(0),
    );
    let page = caller("https://example.com");
    run(engine.signal(
        &page,
        SignalMethod::AllAcceptedCredentials,
        &json!({"rpId": "example.com", "userId": "dXNlcg", "allAcceptedCredentialIds": []}),
    ))
    .unwrap();
}

#[test]
fn large_blob_inputs_the_ceremony_cannot_serve_are_not_supported_errors() {
    let one = json!([{"type": "public-key", "id": "AQID"}]);
    let two = json!([{"type": "public-key", "id": "AQID"}, {"type": "public-key", "id": "BAU"}]);
    for (large_blob, allow) in [
        (json!({"support": "required"}), one.clone()),
        (json!({"read": true, "write": "AQID"}), one.clone()),
        (json!({"write": "AQID"}), json!([])),
        (json!({"write": "AQID"}), two),
    ] {
        let (engine, _) = engine(Behaviour::Succeed);
        let options = request(json!({
            "allowCredentials": allow, "extensions": {"largeBlob": large_blob.clone()}
        }));
        let err = run(engine.get(&caller("https://example.com"), &options, None)).unwrap_err();
        assert_eq!(err.name(), ErrorName::NotSupportedError, "{large_blob}");
        assert!(engine.authenticator().asked.lock().unwrap().is_empty());
    }
    for large_blob in [json!({"read": true}), json!({"write": "AQID"})] {
        let (engine, _) = engine(Behaviour::Succeed);
        let options = request(json!({
            "allowCredentials": one.clone(), "extensions": {"largeBlob": large_blob.clone()}
        }));
        run(engine.get(&caller("https://example.com"), &options, None)).unwrap();
        let asked = engine.authenticator().asked.lock().unwrap();
        assert_eq!(asked[0].extensions["largeBlob"], large_blob);
    }
    for large_blob in [json!({"read": true}), json!({"write": "AQID"})] {
        let (engine, _) = engine(Behaviour::Succeed);
        let mut options = creation();
        options["publicKey"]["extensions"] = json!({"largeBlob": large_blob.clone()});
        let err = run(engine.create(&caller("https://example.com"), &options, None)).unwrap_err();
        assert_eq!(
            Rejection::from(err).name(),
            Some(ErrorName::NotSupportedError),
            "{large_blob}"
        );
    }
    let (engine, _) = engine(Behaviour::Succeed);
    let mut options = creation();
    options["publicKey"]["extensions"] = json!({"largeBlob": {"support": "preferred"}});
    run(engine.create(&caller("https://example.com"), &options, None)).unwrap();
    let made = engine.authenticator().made.lock().unwrap();
    assert_eq!(
        made[0].extensions["largeBlob"],
        json!({"support": "preferred"})
    );
}

/// Related origin requests through the engine: https://shopping.co.uk uses the RP ID
/// shopping.com, whose `.well-known/webauthn` lists it.
fn related_engine(
    related: ScriptedRelatedOrigins,
) -> Engine<MemoryStore, ScriptedMediator, ManualClock, TestAuthenticator, ScriptedRelatedOrigins> {
    Engine::new(
        MemoryStore::new(),
        ScriptedMediator::default(),
        ManualClock::new(0),
    )
    .with_authenticator(TestAuthenticator::new(Behaviour::Succeed))
    .with_related_origins(related)
}

fn shopping() -> ScriptedRelatedOrigins {
    ScriptedRelatedOrigins::new().with(
        "shopping.com",
        WellKnownResponse::json(r#"{"origins": ["https://shopping.co.uk"]}"#),
    )
}

#[test]
fn create_and_get_use_a_related_origins_rp_id() {
    let engine = related_engine(shopping());
    let uk = caller("https://shopping.co.uk");
    let mut options = creation();
    options["publicKey"]["rp"]["id"] = json!("shopping.com");
    let created = run(engine.create(&uk, &options, None)).unwrap();
    let client_data: Value = serde_json::from_slice(&decode(
        &created.to_page_json()["response"]["clientDataJSON"],
    ))
    .unwrap();
    // The origin in clientDataJSON stays the caller's; the RP ID is the related one.
    assert_eq!(client_data["origin"], "https://shopping.co.uk");
    assert_eq!(
        engine.authenticator().made.lock().unwrap()[0]
            .rp_id
            .as_str(),
        "shopping.com"
    );
    let got = run(engine.get(&uk, &request(json!({"rpId": "shopping.com"})), None)).unwrap();
    assert!(got.is_some());
    assert_eq!(
        engine.authenticator().asked.lock().unwrap()[0]
            .rp_id
            .as_str(),
        "shopping.com"
    );
    assert_eq!(engine.related_origins().fetched(), ["shopping.com"; 2]);
    // A suffix RP ID never fetches.
    let www = caller("https://www.shopping.com");
    run(engine.get(&www, &request(json!({"rpId": "shopping.com"})), None)).unwrap();
    assert_eq!(engine.related_origins().fetched().len(), 2);
}

#[test]
fn unlisted_origins_and_failed_fetches_are_security_errors_before_the_authenticator() {
    let related = shopping()
        .with(
            "broken.example",
            WellKnownResponse::new(200, Some("text/html"), "<html>"),
        )
        .failing("down.example", WellKnownFetchError::TimedOut);
    let engine = related_engine(related);
    for (origin, rp_id) in [
        ("https://shopping.de", "shopping.com"),
        ("https://shopping.co.uk", "broken.example"),
        ("https://shopping.co.uk", "down.example"),
        ("https://shopping.co.uk", "unscripted.example"),
    ] {
        let mut options = creation();
        options["publicKey"]["rp"]["id"] = json!(rp_id);
        let err = run(engine.create(&caller(origin), &options, None)).unwrap_err();
        assert_eq!(err.name(), ErrorName::SecurityError, "{origin} {rp_id}");
        assert!(matches!(
            err,
            CreateError::WebAuthn(WebAuthnError::RpId(RpIdError::NotRelated { .. }))
        ));
        let err =
            run(engine.get(&caller(origin), &request(json!({"rpId": rp_id})), None)).unwrap_err();
        assert_eq!(
            Rejection::from(err).name(),
            Some(ErrorName::SecurityError),
            "{origin} {rp_id}"
        );
    }
    assert!(engine.authenticator().made.lock().unwrap().is_empty());
    assert!(engine.authenticator().asked.lock().unwrap().is_empty());
}

#[test]
fn without_related_origins_a_foreign_rp_id_is_refused_without_a_fetch() {
    let (engine, _) = engine(Behaviour::Succeed);
    let mut options = creation();
    options["publicKey"]["rp"]["id"] = json!("shopping.com");
    let err = run(engine.create(&caller("https://shopping.co.uk"), &options, None)).unwrap_err();
    assert!(matches!(
        err,
        CreateError::WebAuthn(WebAuthnError::RpId(RpIdError::NotASuffix { .. }))
    ));
    assert!(!engine.related_origins().supported());
}

#[test]
fn a_signal_fetches_related_origins_only_for_an_rp_id_the_authenticator_may_hold() {
    // Signals show no UI: a page naming any host's RP ID must not make the client fetch that
    // host's `.well-known/webauthn` unless the vault may hold a passkey for it.
    let uk = caller("https://shopping.co.uk");
    let options = json!({"rpId": "shopping.com", "credentialId": "AQID"});
    let with_holdings = |holds: Option<Vec<&'static str>>| {
        let mut authenticator = TestAuthenticator::new(Behaviour::Succeed);
        authenticator.holds = holds;
        Engine::new(
            MemoryStore::new(),
            ScriptedMediator::default(),
            ManualClock::new(0),
        )
        .with_authenticator(authenticator)
        .with_related_origins(shopping())
    };

    // Holds nothing for shopping.com: refused as an unrelated RP ID, nothing fetched, no action.
    let engine = with_holdings(Some(vec!["other.example"]));
    let error = run(engine.signal(&uk, SignalMethod::UnknownCredential, &options)).unwrap_err();
    assert_eq!(error.name(), ErrorName::SecurityError);
    assert!(engine.related_origins().fetched().is_empty());
    assert!(engine.authenticator().signals.lock().unwrap().is_empty());
    // ... while an RP ID of the caller's own site needs no fetch and is served as before.
    let own = json!({"rpId": "shopping.co.uk", "credentialId": "AQID"});
    run(engine.signal(&uk, SignalMethod::UnknownCredential, &own)).unwrap();
    assert!(engine.related_origins().fetched().is_empty());
    assert_eq!(engine.authenticator().signals.lock().unwrap().len(), 1);

    // Holds one (or cannot tell: a locked vault): the spec's fetch, and the signal goes through.
    for holds in [Some(vec!["shopping.com"]), None] {
        let engine = with_holdings(holds);
        run(engine.signal(&uk, SignalMethod::UnknownCredential, &options)).unwrap();
        assert_eq!(engine.related_origins().fetched(), ["shopping.com"]);
        assert_eq!(engine.authenticator().signals.lock().unwrap().len(), 1);
    }
    // get() and create() still fetch whatever the vault holds (the user is asked anyway).
    let engine = with_holdings(Some(vec![]));
    run(engine.get(&uk, &request(json!({"rpId": "shopping.com"})), None)).unwrap();
    assert_eq!(engine.related_origins().fetched(), ["shopping.com"]);
}

/// A fetch that never answers, and records whether it was dropped (cancelled).
#[derive(Default)]
struct NeverAnswers {
    started: Arc<Mutex<u32>>,
    dropped: Arc<Mutex<u32>>,
}

struct CountDrop(Arc<Mutex<u32>>);

impl Drop for CountDrop {
    fn drop(&mut self) {
        *self.0.lock().unwrap() += 1;
    }
}

impl RelatedOrigins for NeverAnswers {
    fn supported(&self) -> bool {
        true
    }

    fn fetch(
        &self,
        _rp_id: &str,
    ) -> impl std::future::Future<Output = Result<WellKnownResponse, WellKnownFetchError>> + Send
    {
        *self.started.lock().unwrap() += 1;
        let guard = CountDrop(Arc::clone(&self.dropped));
        async move {
            let _guard = guard;
            std::future::pending().await
        }
    }
}

#[test]
fn aborting_or_cancelling_a_call_cancels_its_related_origins_fetch() {
    let never = NeverAnswers::default();
    let (started, dropped) = (Arc::clone(&never.started), Arc::clone(&never.dropped));
    let engine = Engine::new(
        MemoryStore::new(),
        ScriptedMediator::default(),
        ManualClock::new(0),
    )
    .with_authenticator(TestAuthenticator::new(Behaviour::Succeed))
    .with_related_origins(never);
    // get(), aborted by the page's signal.
    let controller = AbortController::new();
    let signal = controller.signal();
    let uk = caller("https://shopping.co.uk");
    let options = request(json!({"rpId": "shopping.com"}));
    let mut pending = Box::pin(engine.get(&uk, &options, Some(&signal)));
    assert!(pending.as_mut().now_or_never().is_none());
    assert_eq!(*started.lock().unwrap(), 1);
    controller.abort(AbortReason::Value(json!("gone")));
    let err = pending.now_or_never().unwrap().unwrap_err();
    assert_eq!(
        Rejection::from(err),
        Rejection::Aborted(AbortReason::Value(json!("gone")))
    );
    assert_eq!(*dropped.lock().unwrap(), 1);
    // A signal method, cancelled by the embedder (its document went away).
    let signal_options = json!({"rpId": "shopping.com", "credentialId": "AQID"});
    let mut pending =
        Box::pin(engine.signal(&uk, SignalMethod::UnknownCredential, &signal_options));
    assert!(pending.as_mut().now_or_never().is_none());
    assert_eq!(*started.lock().unwrap(), 2);
    assert!(engine.cancel(RequestId(1), AbortReason::Default));
    let err = pending.now_or_never().unwrap().unwrap_err();
    assert_eq!(
        Rejection::from(err),
        Rejection::Aborted(AbortReason::Default)
    );
    assert_eq!(*dropped.lock().unwrap(), 2);
    assert!(engine.authenticator().signals.lock().unwrap().is_empty());
}

// Conditional create (automatic passkey upgrades):
// https://w3c.github.io/webauthn/#sctn-createCredential

fn conditional(user_verification: Option<&str>) -> Value {
    let mut options = creation();
    options["mediation"] = json!("conditional");
    if let Some(uv) = user_verification {
        options["publicKey"]["authenticatorSelection"] = json!({"userVerification": uv});
    }
    options
}

fn signed_in(origin: &str, signed_in_to: &str, at: u64) -> Caller {
    let mut c = caller(origin);
    c.password_sign_in = Some(PasswordSignIn {
        origin: Origin::parse(signed_in_to).unwrap(),
        at: Timestamp(at),
    });
    c
}

#[test]
fn conditional_create_without_a_recent_sign_in_is_not_allowed_and_asks_nothing() {
    let (engine, _) = engine(Behaviour::Succeed);
    let err =
        run(engine.create(&caller("https://example.com"), &conditional(None), None)).unwrap_err();
    assert!(matches!(
        err,
        CreateError::WebAuthn(WebAuthnError::NoRecentSignIn)
    ));
    assert_eq!(err.name(), ErrorName::NotAllowedError);
    // A sign-in to another origin of the same site does not count.
    let other = signed_in("https://example.com", "https://login.example.com", 0);
    let err = run(engine.create(&other, &conditional(None), None)).unwrap_err();
    assert_eq!(err.name(), ErrorName::NotAllowedError);
    assert!(engine.authenticator().made.lock().unwrap().is_empty());
}

#[test]
fn conditional_create_after_a_sign_in_asks_for_neither_presence_nor_verification() {
    let (engine, clock) = engine(Behaviour::Succeed);
    clock.advance(10_000);
    let c = signed_in("https://example.com", "https://example.com", 9_000);
    for uv in [None, Some("preferred"), Some("discouraged")] {
        let created = run(engine.create(&c, &conditional(uv), None)).unwrap();
        assert_eq!(created.to_page_json()["type"], "public-key");
    }
    let made = engine.authenticator().made.lock().unwrap();
    assert_eq!(made.len(), 3);
    for request in made.iter() {
        assert!(!request.require_user_presence, "{request:?}");
        assert!(!request.require_user_verification, "{request:?}");
    }
}

#[test]
fn conditional_create_after_the_window_is_not_allowed() {
    let (engine, clock) = engine(Behaviour::Succeed);
    let c = signed_in("https://example.com", "https://example.com", 0);
    clock.advance(CONDITIONAL_CREATE_WINDOW_MS);
    run(engine.create(&c, &conditional(None), None)).unwrap();
    clock.advance(1);
    let err = run(engine.create(&c, &conditional(None), None)).unwrap_err();
    assert!(matches!(
        err,
        CreateError::WebAuthn(WebAuthnError::NoRecentSignIn)
    ));
    assert_eq!(engine.authenticator().made.lock().unwrap().len(), 1);
}

#[test]
fn conditional_create_with_user_verification_required_is_a_constraint_error() {
    let (engine, _) = engine(Behaviour::Succeed);
    let c = signed_in("https://example.com", "https://example.com", 0);
    let err = run(engine.create(&c, &conditional(Some("required")), None)).unwrap_err();
    assert_eq!(err.name(), ErrorName::ConstraintError);
    assert_eq!(
        Rejection::from(err).to_json()["name"],
        json!("ConstraintError")
    );
    // Without the sign-in, step 19 comes first: "NotAllowedError".
    let err = run(engine.create(
        &caller("https://example.com"),
        &conditional(Some("required")),
        None,
    ))
    .unwrap_err();
    assert_eq!(err.name(), ErrorName::NotAllowedError);
    assert!(engine.authenticator().made.lock().unwrap().is_empty());
}

#[test]
fn conditional_create_of_an_excluded_credential_is_an_invalid_state_error() {
    let (engine, _) = engine(Behaviour::Fail(AuthenticatorError::InvalidState));
    let c = signed_in("https://example.com", "https://example.com", 0);
    let mut options = conditional(None);
    options["publicKey"]["excludeCredentials"] = json!([{"type": "public-key", "id": "CQkJ"}]);
    let err = run(engine.create(&c, &options, None)).unwrap_err();
    assert_eq!(err.name(), ErrorName::InvalidStateError);
    let made = engine.authenticator().made.lock().unwrap();
    assert_eq!(made[0].exclude_credentials[0].id, vec![9, 9, 9]);
    assert!(!made[0].require_user_presence);
}

#[test]
fn conditional_create_hides_other_authenticator_failures_and_refuses_cross_origin_frames() {
    for failure in [
        AuthenticatorError::Cancelled,
        AuthenticatorError::Constraint,
        AuthenticatorError::Unknown,
    ] {
        let (engine, _) = engine(Behaviour::Fail(failure));
        let c = signed_in("https://example.com", "https://example.com", 0);
        let err = run(engine.create(&c, &conditional(None), None)).unwrap_err();
        assert_eq!(err.name(), ErrorName::NotAllowedError, "{failure:?}");
    }
    let (engine, _) = engine(Behaviour::Succeed);
    let top = Origin::parse("https://top.example").unwrap();
    let mut framed = signed_in("https://example.com", "https://example.com", 0)
        .with_ancestors(std::slice::from_ref(&top));
    framed.public_key_create_allowed = true;
    framed.transient_activation = true;
    let err = run(engine.create(&framed, &conditional(None), None)).unwrap_err();
    assert!(matches!(
        err,
        CreateError::WebAuthn(WebAuthnError::ConditionalNotAllowed)
    ));
    assert!(engine.authenticator().made.lock().unwrap().is_empty());
}
