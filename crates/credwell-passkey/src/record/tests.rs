//! The stored record: COSE and DER public keys from fixed private keys (golden bytes), key
//! handling errors, redaction and serialization.

use super::*;

/// The P-256 private key 1, whose public key is the curve's base point G.
const P256_ONE: [u8; 32] = {
    let mut d = [0u8; 32];
    d[31] = 1;
    d
};
const P256_GX: &str = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";
const P256_GY: &str = "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
/// RFC 8032 §7.1, TEST 1.
const ED25519_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const ED25519_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Signs `authenticatorData || clientDataHash` as passkey-rs does with a stored credential.
fn sign(record: &PasskeyRecord, data: &[u8], client_data_hash: &[u8]) -> Result<Vec<u8>, KeyError> {
    let mut target = data.to_vec();
    target.extend_from_slice(client_data_hash);
    Ok(record.secret_key()?.sign(&target))
}

fn record(algorithm: Algorithm, key: Vec<u8>) -> PasskeyRecord {
    PasskeyRecord {
        rp_id: "example.com".into(),
        credential_id: vec![7; 16],
        user_handle: b"user-1".to_vec(),
        user_name: "alice".into(),
        user_display_name: "Alice".into(),
        algorithm,
        private_key: PrivateKey::from_bytes(key),
        created_at: 1_700_000_000_000,
        prf: None,
        large_blob: None,
        hidden: false,
    }
}

#[test]
fn es256_cose_key_is_ctap2_canonical() {
    let cose = record(Algorithm::Es256, P256_ONE.to_vec())
        .public_key_cose()
        .unwrap();
    // {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}: integer keys in canonical order
    // (positive before negative), definite lengths, x and y as 32-byte byte strings.
    let mut expected = hex("a5010203262001215820");
    expected.extend(hex(P256_GX));
    expected.extend(hex("225820"));
    expected.extend(hex(P256_GY));
    assert_eq!(cose.len(), 77);
    assert_eq!(cose, expected);
}

#[test]
fn eddsa_cose_key_is_ctap2_canonical() {
    let cose = record(Algorithm::EdDsa, hex(ED25519_SEED))
        .public_key_cose()
        .unwrap();
    // {1: 1 (OKP), 3: -8 (EdDSA), -1: 6 (Ed25519), -2: x}.
    let mut expected = hex("a4010103272006215820");
    expected.extend(hex(ED25519_PUBLIC));
    assert_eq!(cose, expected);
}

#[test]
fn public_keys_as_subject_public_key_info() {
    let der = record(Algorithm::Es256, P256_ONE.to_vec())
        .public_key_der()
        .unwrap();
    let mut expected = hex("3059301306072a8648ce3d020106082a8648ce3d03010703420004");
    expected.extend(hex(P256_GX));
    expected.extend(hex(P256_GY));
    assert_eq!(der, expected);

    let der = record(Algorithm::EdDsa, hex(ED25519_SEED))
        .public_key_der()
        .unwrap();
    let mut expected = hex("302a300506032b6570032100");
    expected.extend(hex(ED25519_PUBLIC));
    assert_eq!(der, expected);
}

#[test]
fn signatures_verify_independently() {
    let es256 = record(Algorithm::Es256, P256_ONE.to_vec());
    let sig = sign(&es256, b"auth-data", &[9; 32]).unwrap();
    let mut point = vec![4];
    point.extend(hex(P256_GX));
    point.extend(hex(P256_GY));
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).unwrap();
    let sig = p256::ecdsa::Signature::from_der(&sig).unwrap();
    let mut message = b"auth-data".to_vec();
    message.extend([9; 32]);
    p256::ecdsa::signature::Verifier::verify(&key, &message, &sig).unwrap();

    let eddsa = record(Algorithm::EdDsa, hex(ED25519_SEED));
    let sig = sign(&eddsa, b"auth-data", &[9; 32]).unwrap();
    let key =
        ed25519_dalek::VerifyingKey::from_bytes(&hex(ED25519_PUBLIC).try_into().unwrap()).unwrap();
    let sig = ed25519_dalek::Signature::from_slice(&sig).unwrap();
    key.verify_strict(&message, &sig).unwrap();
}

#[test]
fn invalid_private_keys_are_refused() {
    for bad in [
        record(Algorithm::Es256, vec![0; 32]),
        record(Algorithm::Es256, vec![1; 31]),
        record(Algorithm::EdDsa, vec![1; 31]),
    ] {
        assert_eq!(bad.public_key_cose(), Err(KeyError::InvalidKey));
        assert_eq!(bad.public_key_der(), Err(KeyError::InvalidKey));
        assert_eq!(sign(&bad, b"", &[0; 32]), Err(KeyError::InvalidKey));
    }
}

#[test]
fn private_keys_come_back_from_passkey_crypto_cose_keys() {
    let es256 = record(Algorithm::Es256, P256_ONE.to_vec());
    let (alg, key) = PasskeyRecord::key_from_cose(&es256.private_cose_key()).unwrap();
    assert_eq!(alg, Algorithm::Es256);
    assert_eq!(key.expose_bytes(), P256_ONE);

    let mut es384 = es256.private_cose_key();
    es384.alg = Some(coset::Algorithm::Assigned(iana::Algorithm::ES384));
    assert_eq!(
        PasskeyRecord::key_from_cose(&es384).unwrap_err(),
        KeyError::UnsupportedAlgorithm(-35)
    );
    let mut no_alg = es256.private_cose_key();
    no_alg.alg = None;
    assert_eq!(
        PasskeyRecord::key_from_cose(&no_alg).unwrap_err(),
        KeyError::InvalidKey
    );
    let mut no_d = es256.private_cose_key();
    no_d.params.retain(|(label, _)| *label != Label::Int(-4));
    assert_eq!(
        PasskeyRecord::key_from_cose(&no_d).unwrap_err(),
        KeyError::InvalidKey
    );
}

#[test]
fn debug_never_shows_the_private_key() {
    let mut r = record(Algorithm::Es256, vec![0xab; 32]);
    r.prf = Some(PrfSecrets::new(vec![0xab; 32], Some(vec![0xab; 32])));
    let shown = format!("{r:?} {:?}", r.private_key);
    assert!(shown.contains("<redacted>"));
    assert!(!shown.contains("171"), "{shown}");
    assert!(!shown.to_lowercase().contains("abab"), "{shown}");
}

#[test]
fn records_round_trip_through_serde() {
    let mut r = record(Algorithm::EdDsa, hex(ED25519_SEED));
    assert!(serde_json::to_value(&r).unwrap().get("prf").is_none());
    r.prf = Some(PrfSecrets::new(vec![1; 32], None));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["algorithm"], -8);
    let back: PasskeyRecord = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(
        back.private_key.expose_bytes(),
        r.private_key.expose_bytes()
    );
    assert_eq!(back.public_key_cose(), r.public_key_cose());
    let prf = back.prf.as_ref().unwrap();
    assert_eq!(
        (prf.expose_with_uv(), prf.expose_without_uv()),
        (&[1; 32][..], None)
    );
    assert_eq!(
        (
            back.rp_id,
            back.credential_id,
            back.user_handle,
            back.created_at
        ),
        (r.rp_id, r.credential_id, r.user_handle, r.created_at)
    );
    let mut rs256 = json;
    rs256["algorithm"] = (-257).into();
    assert!(serde_json::from_value::<PasskeyRecord>(rs256).is_err());
    assert_eq!(
        Algorithm::try_from(-257),
        Err(KeyError::UnsupportedAlgorithm(-257))
    );
}

#[test]
fn passkey_rs_sees_no_counter() {
    let mut r = record(Algorithm::Es256, P256_ONE.to_vec());
    r.set_counter(5);
    assert_eq!(PasskeyAccessor::counter(&r), None);
    assert_eq!(PasskeyAccessor::user_handle(&r), Some(&b"user-1"[..]));
    assert_eq!(PasskeyAccessor::username(&r), Some("alice"));
    assert_eq!(PasskeyAccessor::user_display_name(&r), Some("Alice"));
    assert_eq!(PasskeyAccessor::rp_id(&r), "example.com");
    assert_eq!(PasskeyAccessor::credential_id(&r), &[7; 16]);
}
