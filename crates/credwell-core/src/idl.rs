//! [WebIDL](https://webidl.spec.whatwg.org/#es-type-mapping) conversions applied to JSON.
//!
//! Embedders pass what the page passed, serialized as JSON: a member that was `undefined` is
//! simply absent. These helpers convert JSON values the way WebIDL converts JavaScript values, so
//! that `{password: 1}` is `password: true`, `{federated: "x"}` is a `TypeError`, and
//! `{mediation: "sometimes"}` is a `TypeError` naming the bad value.

use serde_json::{Map, Value};

use crate::origin::shorten;

/// The longest string credwell accepts in any credential field or option (64 KiB).
///
/// WebIDL sets no limit; this one keeps a hostile page from filling the store or the chooser.
pub const MAX_STRING_BYTES: usize = 64 * 1024;

/// The most entries accepted in a sequence (`providers`, `protocols`).
pub const MAX_SEQUENCE_LEN: usize = 1024;

/// A WebIDL conversion failure: always an ECMAScript `TypeError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{context}: {problem}")]
pub struct ConversionError {
    /// Where the value sits, such as `CredentialRequestOptions.mediation`.
    pub context: String,
    /// What is wrong with it.
    pub problem: String,
}

impl ConversionError {
    pub(crate) fn new(context: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            context: context.into(),
            problem: problem.into(),
        }
    }
}

/// [Converts to a dictionary](https://webidl.spec.whatwg.org/#js-dictionary): `null` (and
/// absence) is an empty dictionary; a primitive (string, number, boolean) is a `TypeError`.
pub(crate) fn dictionary<'a>(
    value: Option<&'a Value>,
    context: &str,
) -> Result<Option<&'a Map<String, Value>>, ConversionError> {
    match value {
        // An array is an object too: it converts, and has none of the dictionary's members.
        None | Some(Value::Null) | Some(Value::Array(_)) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(ConversionError::new(
            context,
            format!("must be an object (a dictionary), not {}", describe(other)),
        )),
    }
}

/// [Converts to `boolean`](https://webidl.spec.whatwg.org/#js-boolean): ECMAScript `ToBoolean`.
pub(crate) fn boolean(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// [Converts to `USVString`/`DOMString`](https://webidl.spec.whatwg.org/#js-USVString):
/// ECMAScript `ToString`, then the length limit.
pub(crate) fn string(value: &Value, context: &str) -> Result<String, ConversionError> {
    let s = to_js_string(value);
    if s.len() > MAX_STRING_BYTES {
        return Err(ConversionError::new(
            context,
            format!(
                "is {} bytes long; credwell accepts at most {MAX_STRING_BYTES}",
                s.len()
            ),
        ));
    }
    Ok(s)
}

/// A required dictionary member: a `TypeError` naming `ctx.member` when it is absent.
pub(crate) fn required<'a>(
    map: &'a Map<String, Value>,
    member: &str,
    ctx: &str,
) -> Result<&'a Value, ConversionError> {
    map.get(member).ok_or_else(|| {
        ConversionError::new(format!("{ctx}.{member}"), "is required but was not given")
    })
}

/// A required `DOMString` dictionary member.
pub(crate) fn required_string(
    map: &Map<String, Value>,
    member: &str,
    ctx: &str,
) -> Result<String, ConversionError> {
    string(required(map, member, ctx)?, &format!("{ctx}.{member}"))
}

/// An optional `DOMString` dictionary member: `None` when absent.
pub(crate) fn optional_string(
    map: &Map<String, Value>,
    member: &str,
    ctx: &str,
) -> Result<Option<String>, ConversionError> {
    map.get(member)
        .map(|v| string(v, &format!("{ctx}.{member}")))
        .transpose()
}

/// [Converts to a `sequence<T>`](https://webidl.spec.whatwg.org/#js-sequence) of strings: only
/// iterable objects convert, so a string or a plain object is a `TypeError`.
pub(crate) fn string_sequence(
    value: &Value,
    context: &str,
) -> Result<Vec<String>, ConversionError> {
    let Value::Array(items) = value else {
        return Err(ConversionError::new(
            context,
            format!("must be an array (a sequence), not {}", describe(value)),
        ));
    };
    if items.len() > MAX_SEQUENCE_LEN {
        return Err(ConversionError::new(
            context,
            format!(
                "has {} entries; credwell accepts at most {MAX_SEQUENCE_LEN}",
                items.len()
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| string(item, &format!("{context}[{i}]")))
        .collect()
}

/// [Converts to an enumeration](https://webidl.spec.whatwg.org/#js-enumeration): `ToString`, then
/// the value must be one of `allowed`.
pub(crate) fn enumeration<'v>(
    value: &Value,
    allowed: &[&'v str],
    context: &str,
) -> Result<&'v str, ConversionError> {
    let s = to_js_string(value);
    allowed.iter().copied().find(|a| *a == s).ok_or_else(|| {
        ConversionError::new(
            context,
            format!(
                "the value {:?} is not one of {}",
                shorten(&s),
                allowed
                    .iter()
                    .map(|a| format!("{a:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}

/// ECMAScript `ToString` for the values JSON can carry.
fn to_js_string(value: &Value) -> String {
    to_js_string_at(value, 0)
}

/// Arrays nested deeper than this convert as if empty. (JavaScript would overflow its stack and
/// throw a `RangeError`; credwell must not overflow its own.)
const MAX_ARRAY_DEPTH: usize = 256;

fn to_js_string_at(value: &Value, depth: usize) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_to_string(n),
        Value::String(s) => s.clone(),
        Value::Array(_) if depth >= MAX_ARRAY_DEPTH => String::new(),
        // Array.prototype.toString joins the elements, with null and undefined as "".
        Value::Array(items) => items
            .iter()
            .map(|v| {
                if v.is_null() {
                    String::new()
                } else {
                    to_js_string_at(v, depth + 1)
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

fn number_to_string(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        Some(f) => f.to_string(),
        None => n.to_string(),
    }
}

/// A short description of a JSON value's type, for error messages.
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn to_boolean_matches_ecmascript() {
        for (v, b) in [
            (json!(null), false),
            (json!(0), false),
            (json!(0.0), false),
            (json!(""), false),
            (json!(false), false),
            (json!(1), true),
            (json!("false"), true),
            (json!([]), true),
            (json!({}), true),
        ] {
            assert_eq!(boolean(&v), b, "{v}");
        }
    }

    #[test]
    fn to_string_matches_ecmascript() {
        assert_eq!(to_js_string(&json!(1)), "1");
        assert_eq!(to_js_string(&json!(1.5)), "1.5");
        assert_eq!(to_js_string(&json!(2.0)), "2");
        assert_eq!(to_js_string(&json!([1, null, "a"])), "1,,a");
        assert_eq!(to_js_string(&json!({"a": 1})), "[object Object]");
        assert_eq!(to_js_string(&json!(null)), "null");
    }

    #[test]
    fn dictionary_accepts_null_and_objects_only() {
        assert!(dictionary(Some(&json!(null)), "d").unwrap().is_none());
        assert!(dictionary(Some(&json!({})), "d").unwrap().is_some());
        let err =
            dictionary(Some(&json!("bogus")), "CredentialCreationOptions.password").unwrap_err();
        assert!(
            err.to_string()
                .contains("CredentialCreationOptions.password")
        );
        assert!(err.to_string().contains("a string"));
    }

    #[test]
    fn sequences_must_be_arrays_and_bounded() {
        assert_eq!(string_sequence(&json!(["a", 1]), "s").unwrap(), ["a", "1"]);
        assert!(string_sequence(&json!("a"), "s").is_err());
        assert!(string_sequence(&json!({"0": "a"}), "s").is_err());
        let huge = Value::Array(vec![json!("x"); MAX_SEQUENCE_LEN + 1]);
        assert!(string_sequence(&huge, "s").is_err());
    }

    #[test]
    fn enumerations_reject_unknown_values_by_name() {
        let allowed = ["silent", "optional"];
        assert_eq!(
            enumeration(&json!("silent"), &allowed, "m").unwrap(),
            "silent"
        );
        let err = enumeration(&json!("sometimes"), &allowed, "m").unwrap_err();
        assert!(err.problem.contains("\"sometimes\""));
        assert!(enumeration(&json!(null), &allowed, "m").is_err());
        assert!(enumeration(&json!("SILENT"), &allowed, "m").is_err());
    }

    #[test]
    fn deeply_nested_arrays_do_not_overflow_the_stack() {
        let mut v = json!("x");
        for _ in 0..100_000 {
            v = Value::Array(vec![v]);
        }
        assert_eq!(to_js_string(&v), "");
        // Dropping such a value recursively would overflow too: unwrap it iteratively.
        while let Value::Array(mut items) = v {
            v = items.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn huge_strings_are_a_type_error_not_a_panic() {
        let big = json!("a".repeat(MAX_STRING_BYTES + 1));
        assert!(string(&big, "id").is_err());
        assert!(string(&json!("a".repeat(MAX_STRING_BYTES)), "id").is_ok());
    }
}
