//! The [`largeBlob`](https://w3c.github.io/webauthn/#sctn-large-blob-extension) extension: an
//! opaque blob the relying party stores with a passkey and reads back when signing in.
//!
//! CTAP2 keeps large blobs in one authenticator-wide array; credwell keeps each passkey's blob in
//! its own record (sealed in the vault with the passkey), which gives the same observable
//! behaviour. The client has already refused the input combinations the spec forbids (see
//! `credwell-core`); what reaches the authenticator is `{support}` at creation and `{read}` or
//! `{write}` at assertion.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

/// The extension identifier.
const LARGE_BLOB: &str = "largeBlob";

/// The largest blob a passkey keeps; a larger write reports `written: false`.
pub const LARGE_BLOB_MAX: usize = 64 * 1024;

/// What an assertion asked of the blob.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum GetInput {
    /// `read: true`.
    Read,
    /// `write: <bytes>` (`None` when the bytes are not base64url: nothing is written).
    Write(Option<Vec<u8>>),
}

/// The output of registration: `{"supported": true}` whenever the RP asked (this
/// authenticator always supports large blobs).
pub(crate) fn make_output(extensions: &Map<String, Value>) -> Option<(String, Value)> {
    extensions
        .get(LARGE_BLOB)
        .filter(|v| v.is_object())
        .map(|_| (LARGE_BLOB.to_owned(), json!({"supported": true})))
}

/// The assertion's request, if any.
pub(crate) fn get_input(extensions: &Map<String, Value>) -> Option<GetInput> {
    let input = extensions.get(LARGE_BLOB)?.as_object()?;
    if let Some(write) = input.get("write").filter(|v| !v.is_null()) {
        let bytes = write
            .as_str()
            .and_then(|s| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok());
        return Some(GetInput::Write(bytes));
    }
    (input.get("read") == Some(&Value::Bool(true))).then_some(GetInput::Read)
}

/// `{"blob": base64url}` for a read of a passkey that has one; `{}` when it has none.
pub(crate) fn read_output(blob: Option<&[u8]>) -> (String, Value) {
    let value = match blob {
        Some(blob) => json!({"blob": URL_SAFE_NO_PAD.encode(blob)}),
        None => json!({}),
    };
    (LARGE_BLOB.to_owned(), value)
}

/// `{"written": bool}`.
pub(crate) fn write_output(written: bool) -> (String, Value) {
    (LARGE_BLOB.to_owned(), json!({"written": written}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extensions(value: Value) -> Map<String, Value> {
        let Value::Object(map) = json!({"largeBlob": value}) else {
            unreachable!()
        };
        map
    }

    #[test]
    fn inputs_and_outputs() {
        assert_eq!(
            make_output(&extensions(json!({"support": "required"}))),
            Some(("largeBlob".into(), json!({"supported": true})))
        );
        assert_eq!(make_output(&Map::new()), None);
        assert_eq!(
            get_input(&extensions(json!({"read": true}))),
            Some(GetInput::Read)
        );
        assert_eq!(get_input(&extensions(json!({"read": false}))), None);
        assert_eq!(
            get_input(&extensions(json!({"write": "AQID"}))),
            Some(GetInput::Write(Some(vec![1, 2, 3])))
        );
        assert_eq!(
            get_input(&extensions(json!({"write": "%%"}))),
            Some(GetInput::Write(None))
        );
        assert_eq!(read_output(Some(&[1, 2, 3])).1, json!({"blob": "AQID"}));
        assert_eq!(read_output(None).1, json!({}));
    }
}
