//! `clientDataJSON`, serialized byte for byte as the spec orders it.
//!
//! Spec: [Limited Verification Algorithm / serialization of
//! CollectedClientData](https://w3c.github.io/webauthn/#clientdatajson-serialization).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::origin::Origin;

/// `CollectedClientData.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientDataType {
    /// `"webauthn.create"`.
    Create,
    /// `"webauthn.get"`.
    Get,
}

impl ClientDataType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Create => "webauthn.create",
            Self::Get => "webauthn.get",
        }
    }
}

/// [`CollectedClientData`](https://w3c.github.io/webauthn/#dictdef-collectedclientdata).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectedClientData {
    /// `type`.
    pub kind: ClientDataType,
    /// The challenge's bytes (serialized as base64url without padding).
    pub challenge: Vec<u8>,
    /// The caller's origin.
    pub origin: Origin,
    /// The top-level origin, present exactly when the caller is not same-origin with its
    /// ancestors (`crossOrigin` is then `true`).
    pub top_origin: Option<Origin>,
}

impl CollectedClientData {
    /// The client data for a call from `origin`; `top_origin` is kept only when cross-origin.
    pub fn new(
        kind: ClientDataType,
        challenge: &[u8],
        origin: &Origin,
        same_origin_with_ancestors: bool,
        top_origin: &Origin,
    ) -> Self {
        Self {
            kind,
            challenge: challenge.to_vec(),
            origin: origin.clone(),
            top_origin: (!same_origin_with_ancestors).then(|| top_origin.clone()),
        }
    }

    /// [Serializes](https://w3c.github.io/webauthn/#clientdatajson-serialization) to the exact
    /// bytes an RP verifies.
    ///
    /// ```
    /// use credwell_core::{ClientDataType, CollectedClientData, Origin};
    /// let origin = Origin::parse("https://example.org").unwrap();
    /// let cd = CollectedClientData::new(ClientDataType::Create, &[0xff], &origin, true, &origin);
    /// assert_eq!(
    ///     String::from_utf8(cd.to_json_bytes()).unwrap(),
    ///     concat!(
    ///         r#"{"type":"webauthn.create","challenge":"_w","#,
    ///         r#""origin":"https://example.org","crossOrigin":false}"#,
    ///     )
    /// );
    /// ```
    pub fn to_json_bytes(&self) -> Vec<u8> {
        // 1. Let result be an empty byte string.
        let mut result = Vec::with_capacity(128);
        // 2. Append 0x7b2274797065223a ({"type":) to result.
        result.extend_from_slice(b"{\"type\":");
        // 3. Append CCDToString(ccd.type) to result.
        ccd_to_string(&mut result, self.kind.as_str());
        // 4. Append 0x2c226368616c6c656e6765223a (,"challenge":) to result.
        result.extend_from_slice(b",\"challenge\":");
        // 5. Append CCDToString(ccd.challenge) to result.
        ccd_to_string(&mut result, &URL_SAFE_NO_PAD.encode(&self.challenge));
        // 6. Append 0x2c226f726967696e223a (,"origin":) to result.
        result.extend_from_slice(b",\"origin\":");
        // 7. Append CCDToString(ccd.origin) to result.
        ccd_to_string(&mut result, &self.origin.to_string());
        // 8. Append 0x2c2263726f73734f726967696e223a (,"crossOrigin":) to result.
        result.extend_from_slice(b",\"crossOrigin\":");
        // 9. If ccd.crossOrigin is not present, or is false: append 0x66616c7365 (false).
        //    Otherwise append 0x74727565 (true).
        let cross_origin = self.top_origin.is_some();
        result.extend_from_slice(if cross_origin { b"true" } else { b"false" });
        // 10. If ccd.topOrigin is present: append ,"topOrigin": and CCDToString(ccd.topOrigin).
        if let Some(top) = &self.top_origin {
            result.extend_from_slice(b",\"topOrigin\":");
            ccd_to_string(&mut result, &top.to_string());
        }
        // 11. Create a temporary copy of the CollectedClientData and remove the fields type,
        //     challenge, origin, crossOrigin (if present), and topOrigin (if present).
        // 12. If no fields remain in the temporary copy then append 0x7d (}) to result.
        //     (credwell adds no other member.)
        result.push(b'}');
        // 14. The result of the serialization is the value of result.
        result
    }
}

/// [CCDToString](https://w3c.github.io/webauthn/#ccdtostring).
fn ccd_to_string(out: &mut Vec<u8>, s: &str) {
    // 1. Let encoded be an empty byte string. 2. Append 0x22 (") to encoded.
    out.push(b'"');
    // 3. Invoke ToString on the given object to convert to a string.
    // 4. For each code point in the resulting string, if the code point:
    for c in s.chars() {
        match c {
            // is in the set {U+0020, U+0021, U+0023–U+005B, U+005D–U+10FFFF}: append its UTF-8.
            ' ' | '!' | '#'..='[' | ']'..='\u{10FFFF}' => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            // is U+0022: append 0x5c22 (\").
            '"' => out.extend_from_slice(b"\\\""),
            // is U+005C: append 0x5c5c (\\).
            '\\' => out.extend_from_slice(b"\\\\"),
            // otherwise: append 0x5c75 (\u) followed by four lower-case hex digits.
            other => out.extend_from_slice(format!("\\u{:04x}", u32::from(other)).as_bytes()),
        }
    }
    // 5. Append 0x22 (") to encoded.
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(s: &str) -> Origin {
        Origin::parse(s).unwrap()
    }

    #[test]
    fn wpt_prefix_for_challenge_ff() {
        let origin = o("https://example.org");
        let bytes =
            CollectedClientData::new(ClientDataType::Create, &[0xff], &origin, true, &origin)
                .to_json_bytes();
        let s = String::from_utf8(bytes).unwrap();
        assert!(s.starts_with(r#"{"type":"webauthn.create","challenge":"_w","origin":""#));
        assert!(s.ends_with(r#"","crossOrigin":false}"#));
    }

    #[test]
    fn cross_origin_calls_carry_the_top_origin() {
        let bytes = CollectedClientData::new(
            ClientDataType::Get,
            b"abc",
            &o("https://widget.example"),
            false,
            &o("https://top.example:8443"),
        )
        .to_json_bytes();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            concat!(
                r#"{"type":"webauthn.get","challenge":"YWJj","origin":"https://widget.example","#,
                r#""crossOrigin":true,"topOrigin":"https://top.example:8443"}"#,
            )
        );
    }

    #[test]
    fn ccd_to_string_escapes_exactly_the_specified_code_points() {
        let mut out = Vec::new();
        ccd_to_string(&mut out, "a\"b\\c\u{1}\u{1f}é\u{7f} ");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a\\\"b\\\\c\\u0001\\u001fé\u{7f} \""
        );
    }

    #[test]
    fn the_output_is_json_that_parses_back() {
        let origin = o("https://xn--bcher-kva.example");
        let bytes =
            CollectedClientData::new(ClientDataType::Create, &[0u8; 32], &origin, true, &origin)
                .to_json_bytes();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["origin"], "https://xn--bcher-kva.example");
        assert_eq!(v["challenge"].as_str().unwrap().len(), 43);
    }
}

#[cfg(test)]
mod vectors {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn client_data_json_matches_the_test_vectors() {
        let vectors: Vec<serde_json::Value> =
            serde_json::from_str(include_str!("../../testdata/webauthn_client_data.json")).unwrap();
        assert!(!vectors.is_empty());
        for v in vectors {
            let kind = match v["type"].as_str().unwrap() {
                "webauthn.create" => ClientDataType::Create,
                _ => ClientDataType::Get,
            };
            let cd = CollectedClientData::new(
                kind,
                &hex(v["challenge"].as_str().unwrap()),
                &Origin::parse(v["origin"].as_str().unwrap()).unwrap(),
                v["sameOriginWithAncestors"].as_bool().unwrap(),
                &Origin::parse(v["topOrigin"].as_str().unwrap()).unwrap(),
            );
            assert_eq!(
                cd.to_json_bytes(),
                hex(v["clientDataJSON"].as_str().unwrap()),
                "{}",
                v["source"]
            );
        }
    }
}
