//! [Attestation objects](https://w3c.github.io/webauthn/#sctn-attestation) for the formats this
//! authenticator produces: `none` and `packed` self attestation.

use passkey_crypto::coset::cbor::Value;

/// The attestation statement format of a new credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttestationFormat {
    /// [`none`](https://w3c.github.io/webauthn/#sctn-none-attestation): an empty statement.
    None,
    /// [`packed`](https://w3c.github.io/webauthn/#sctn-packed-attestation) self attestation:
    /// the credential key signs `authData || clientDataHash`; no certificate, all-zero AAGUID.
    PackedSelf,
}

impl AttestationFormat {
    /// [authenticatorMakeCredential](https://w3c.github.io/webauthn/#sctn-op-make-cred) step 9:
    /// the first format of `attestationFormats` the authenticator supports, otherwise its own
    /// preference, `none`.
    pub fn choose(preferred: &[String]) -> Self {
        preferred
            .iter()
            .find_map(|f| match f.as_str() {
                "none" => Some(Self::None),
                "packed" => Some(Self::PackedSelf),
                _ => None,
            })
            .unwrap_or(Self::None)
    }
}

/// The CBOR attestation object `{"fmt", "attStmt", "authData"}`, with its keys in CTAP2
/// canonical order (shorter keys first) and definite lengths throughout. `signature` is the
/// packed statement's `sig` (ignored for `none`).
pub(crate) fn attestation_object(
    format: AttestationFormat,
    algorithm: i64,
    signature: &[u8],
    authenticator_data: &[u8],
) -> Vec<u8> {
    let (fmt, statement) = match format {
        AttestationFormat::None => ("none", Vec::new()),
        AttestationFormat::PackedSelf => (
            "packed",
            vec![
                (Value::Text("alg".into()), Value::from(algorithm)),
                (Value::Text("sig".into()), Value::Bytes(signature.to_vec())),
            ],
        ),
    };
    let object = Value::Map(vec![
        (Value::Text("fmt".into()), Value::Text(fmt.into())),
        (Value::Text("attStmt".into()), Value::Map(statement)),
        (
            Value::Text("authData".into()),
            Value::Bytes(authenticator_data.to_vec()),
        ),
    ]);
    let mut out = Vec::with_capacity(authenticator_data.len() + signature.len() + 48);
    // Writing a `Value` into a `Vec` cannot fail: ciborium's only errors come from the writer,
    // and `Vec`'s writer is infallible.
    passkey_crypto::coset::cbor::ser::into_writer(&object, &mut out)
        .expect("CBOR encoding into a Vec is infallible");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_supported_format_wins() {
        let f = |v: &[&str]| {
            AttestationFormat::choose(&v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
        };
        assert_eq!(f(&["none"]), AttestationFormat::None);
        assert_eq!(f(&["packed"]), AttestationFormat::PackedSelf);
        assert_eq!(f(&["tpm", "packed", "none"]), AttestationFormat::PackedSelf);
        assert_eq!(f(&["apple", "none", "packed"]), AttestationFormat::None);
        assert_eq!(f(&["tpm"]), AttestationFormat::None);
        assert_eq!(f(&[]), AttestationFormat::None);
    }

    #[test]
    fn none_is_byte_exact() {
        let object = attestation_object(AttestationFormat::None, -7, b"ignored", &[0xaa, 0xbb]);
        let mut expected = vec![0xa3];
        expected.extend(b"\x63fmt\x64none");
        expected.extend(b"\x67attStmt\xa0");
        expected.extend(b"\x68authData\x42\xaa\xbb");
        assert_eq!(object, expected);
    }

    #[test]
    fn packed_is_byte_exact() {
        let object = attestation_object(AttestationFormat::PackedSelf, -8, &[1, 2, 3], &[0xcc]);
        let mut expected = vec![0xa3];
        expected.extend(b"\x63fmt\x66packed");
        expected.extend(b"\x67attStmt\xa2\x63alg\x27\x63sig\x43\x01\x02\x03");
        expected.extend(b"\x68authData\x41\xcc");
        assert_eq!(object, expected);
    }
}
