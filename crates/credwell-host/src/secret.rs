//! Secrets in the host's memory. Passwords and passphrases arrive in frames from the browser and
//! leave in replies to it; whatever carried them is wiped when dropped: the frames
//! ([`framing`](crate::framing) reads into and writes from zeroizing buffers), the JSON trees
//! parsed from them and built for replies ([`wipe`], [`WipedJson`]), and the text of each reply
//! ([`to_json_text`]). Passwords themselves are `credwell_core::Password`s (zeroized on drop).
//!
//! What stays (`docs/architecture.md`, "Secrets in memory"): serde_json's scratch buffer for a
//! string with escapes while it is parsed, and copies the browser and the kernel's pipe buffers
//! make.

use std::ops::Deref;

use serde_json::Value;
use zeroize::{Zeroize, Zeroizing};

/// Overwrites every string in `value` with zeros and empties the arrays and objects. Object
/// keys (protocol member names, never secrets) are freed as they are.
pub(crate) fn wipe(value: &mut Value) {
    match value {
        Value::String(text) => text.zeroize(),
        Value::Array(items) => {
            items.iter_mut().for_each(wipe);
            items.clear();
        }
        Value::Object(members) => {
            members.values_mut().for_each(wipe);
            members.clear();
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// A JSON value that may hold a secret (a page's credential): its strings are wiped when it is
/// dropped, and `Debug` does not show them.
#[derive(Clone, Default, PartialEq)]
pub struct WipedJson(Value);

impl std::fmt::Debug for WipedJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WipedJson(<redacted>)")
    }
}

impl WipedJson {
    /// Takes `value`; it is wiped when this is dropped.
    pub fn new(value: Value) -> Self {
        Self(value)
    }
}

impl Deref for WipedJson {
    type Target = Value;

    fn deref(&self) -> &Value {
        &self.0
    }
}

impl Drop for WipedJson {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// `value` as JSON text in a buffer that is zeroized when dropped. A `Vec` that grows frees its
/// old buffer as it is; this one is grown by hand, and each old buffer is zeroized as it goes.
pub(crate) fn to_json_text(value: &Value) -> serde_json::Result<Zeroizing<Vec<u8>>> {
    let mut text = WipingWriter(Zeroizing::new(Vec::with_capacity(1024)));
    serde_json::to_writer(&mut text, value)?;
    Ok(text.0)
}

/// Appends to a zeroizing buffer, moving to a buffer twice as large (and wiping the old one) when
/// it is full.
struct WipingWriter(Zeroizing<Vec<u8>>);

impl std::io::Write for WipingWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let needed = self.0.len() + bytes.len();
        if needed > self.0.capacity() {
            let mut grown = Zeroizing::new(Vec::with_capacity(needed.max(2 * self.0.capacity())));
            grown.extend_from_slice(&self.0);
            // The old buffer is zeroized as it is dropped here.
            self.0 = grown;
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn wipe_zeroes_every_string_in_place() {
        let mut value = json!({"a": ["pencil", {"b": "hunter2"}], "c": 1});
        wipe(&mut value);
        assert_eq!(value, json!({}));
        let mut text = Value::String("pencil".into());
        wipe(&mut text);
        assert_eq!(text, json!(""));
    }

    #[test]
    fn json_text_is_serde_jsons_text_however_large() {
        for value in [
            json!({"password": "p\"\u{1}é", "n": [1, 2]}),
            json!({"items": vec!["x".repeat(1000); 300], "next": "c1"}),
        ] {
            let text = to_json_text(&value).unwrap();
            assert_eq!(*text, serde_json::to_vec(&value).unwrap());
        }
    }
}
