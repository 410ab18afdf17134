//! CXF's [`totp`][totp] and [`custom-fields`][fields] credentials, in and out of a login's
//! extras ([`LoginExtras`](super::LoginExtras)).
//!
//! - A `totp` credential becomes the login's TOTP secret: the bare base32 secret when it uses
//!   the defaults (SHA-1, 6 digits, 30 seconds) and names no issuer or account, else an
//!   `otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=...&digits=...&period=...`
//!   URI. An algorithm other than SHA-1, SHA-256 or SHA-512 is ignored, as CXF requires.
//!   A second `totp` credential of the same item is kept as a hidden custom field `TOTP`.
//! - A `custom-fields` credential's fields become custom fields, in order: the field's label is
//!   the name (after its section's label, `Section: Label`, when the section has one), its value
//!   as text, hidden when it is a `concealed-string`. A field of a type this version of CXF does
//!   not define keeps its text.
//!
//! Written back, a TOTP secret that CXF's `totp` can hold exactly (a canonical base32 secret, or
//! an `otpauth://totp/` URI with nothing beyond the secret, issuer, algorithm, digits and a
//! period below 256 s) is a `totp` credential; any other TOTP text is a hidden custom field
//! `TOTP` whose id marks it as credwell's, read back as the TOTP secret. Custom fields are one
//! `custom-fields` credential of `string` and `concealed-string` fields.
//!
//! [totp]: https://fidoalliance.org/specs/cx/cxf-v1.0-ps-20250814.html#dict-totp
//! [fields]: https://fidoalliance.org/specs/cx/cxf-v1.0-ps-20250814.html#dict-custom-fields

use credential_exchange_format::{
    B32, B64Url, CustomFieldsCredential, EditableField, EditableFieldConcealedString,
    EditableFieldString, EditableFieldValue, OTPHashAlgorithm, TotpCredential,
};
use credwell_core::{CustomField, SecretText};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::LoginExtras;

/// The name of the custom field that carries a TOTP secret CXF's `totp` cannot hold.
pub(super) const TOTP_FIELD: &str = "TOTP";

/// The id of that field, which marks it as credwell's (the label alone could be the user's).
const TOTP_FIELD_ID: &[u8] = b"credwell-totp";

/// The TOTP secret a `totp` credential gives, or why it is not kept (quoting no secret).
pub(super) fn totp_text(totp: TotpCredential) -> Result<SecretText, String> {
    let algorithm = match totp.algorithm {
        OTPHashAlgorithm::Sha1 => "SHA1",
        OTPHashAlgorithm::Sha256 => "SHA256",
        OTPHashAlgorithm::Sha512 => "SHA512",
        _ => {
            return Err(
                "a TOTP credential's algorithm is not SHA-1, SHA-256 or SHA-512 \
                        (CXF says to ignore it)"
                    .into(),
            );
        }
    };
    if totp.digits == 0 || totp.period == 0 {
        return Err("a TOTP credential has 0 digits or a period of 0 seconds".into());
    }
    let secret = Zeroizing::new(String::from(totp.secret));
    if secret.is_empty() {
        return Err("a TOTP credential has an empty secret".into());
    }
    let issuer = totp.issuer.filter(|s| !s.is_empty());
    let account = totp.username.filter(|s| !s.is_empty());
    let defaults = algorithm == "SHA1" && totp.digits == 6 && totp.period == 30;
    if defaults && issuer.is_none() && account.is_none() {
        return Ok(SecretText::new(secret.as_str()));
    }
    let mut uri = Zeroizing::new(String::from("otpauth://totp/"));
    if let Some(issuer) = &issuer {
        // `Issuer:` alone when there is no account, so the issuer is not read as one.
        uri.push_str(&encode(issuer));
        uri.push(':');
    }
    if let Some(account) = &account {
        uri.push_str(&encode(account));
    }
    uri.push_str("?secret=");
    uri.push_str(&secret);
    if let Some(issuer) = &issuer {
        uri.push_str("&issuer=");
        uri.push_str(&encode(issuer));
    }
    uri.push_str(&format!(
        "&algorithm={algorithm}&digits={}&period={}",
        totp.digits, totp.period
    ));
    Ok(SecretText::new(uri.as_str()))
}

/// The `totp` credential that holds `text` exactly (read back by [`totp_text`] as the same
/// text, or for an `otpauth://` URI as the same secret, issuer, account and parameters), or
/// `None` when CXF's `totp` has no place for some of it.
pub(super) fn totp_credential(text: &str) -> Option<TotpCredential> {
    let Some(rest) = strip_prefix_ignore_case(text, "otpauth://totp/") else {
        // A bare secret: only in its canonical form, which is what comes back.
        let secret = B32::try_from(text).ok()?;
        let canonical = Zeroizing::new(String::from(secret.clone()));
        return (!text.is_empty() && canonical.as_str() == text).then_some(TotpCredential {
            secret,
            period: 30,
            digits: 6,
            username: None,
            algorithm: OTPHashAlgorithm::Sha1,
            issuer: None,
        });
    };
    let (label, query) = rest.split_once('?')?;
    let (label_issuer, account) = match label.split_once(':') {
        Some((issuer, account)) => (Some(decode(issuer)?), decode(account)?),
        None => (None, decode(label)?),
    };
    let account = account.trim_start().to_owned();
    let (mut secret, mut issuer, mut algorithm, mut digits, mut period) =
        (None, None, None, None, None);
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=')?;
        let slot = match key.to_ascii_lowercase().as_str() {
            "secret" => &mut secret,
            "issuer" => &mut issuer,
            "algorithm" => &mut algorithm,
            "digits" => &mut digits,
            "period" => &mut period,
            // Anything else (an image, a counter...) has no place in CXF.
            _ => return None,
        };
        if slot.replace(Zeroizing::new(decode(value)?)).is_some() {
            return None;
        }
    }
    let secret = B32::try_from(secret?.as_str()).ok()?;
    if secret.as_ref().is_empty() {
        return None;
    }
    let issuer = match (label_issuer.filter(|i| !i.is_empty()), issuer) {
        (Some(label), Some(param)) if label != *param => return None,
        (Some(label), _) => Some(label),
        (None, param) => param.map(|p| p.to_string()).filter(|p| !p.is_empty()),
    };
    let algorithm = match algorithm
        .as_deref()
        .map(|a| a.to_ascii_uppercase())
        .as_deref()
    {
        None | Some("SHA1") => OTPHashAlgorithm::Sha1,
        Some("SHA256") => OTPHashAlgorithm::Sha256,
        Some("SHA512") => OTPHashAlgorithm::Sha512,
        Some(_) => return None,
    };
    let number = |v: Option<Zeroizing<String>>, default: u8| match v {
        None => Some(default),
        Some(v) => v.parse::<u8>().ok().filter(|&n| n > 0),
    };
    Some(TotpCredential {
        secret,
        period: number(period, 30)?,
        digits: number(digits, 6)?,
        username: (!account.is_empty()).then_some(account),
        algorithm,
        issuer,
    })
}

/// Adds a `custom-fields` credential's fields to `extras`: the field [`extras_to_cxf`] writes
/// for a TOTP secret `totp` cannot hold is the TOTP secret (unless the item had one).
pub(super) fn fields_from_cxf(credential: CustomFieldsCredential, extras: &mut LoginExtras) {
    let section = credential.label.filter(|l| !l.is_empty());
    for field in credential.fields {
        if extras.totp.is_empty() && is_totp_field(&field) {
            if let EditableFieldValue::ConcealedString(f) = field {
                extras.totp = SecretText::new(Zeroizing::new(String::from(f)).as_str());
            }
            continue;
        }
        let (label, value, hidden) = match field {
            EditableFieldValue::String(f) => parts(f, false),
            EditableFieldValue::ConcealedString(f) => parts(f, true),
            EditableFieldValue::Email(f) => parts(f, false),
            EditableFieldValue::Number(f) => parts(f, false),
            EditableFieldValue::Boolean(f) => parts(f, false),
            EditableFieldValue::Date(f) => parts(f, false),
            EditableFieldValue::YearMonth(f) => parts(f, false),
            EditableFieldValue::SubdivisionCode(f) => parts(f, false),
            EditableFieldValue::CountryCode(f) => parts(f, false),
            EditableFieldValue::WifiNetworkSecurityType(f) => parts(f, false),
            // A kind a later version of the crate reads: none is defined by CXF 1.0.
            _ => continue,
        };
        extras
            .fields
            .push(custom_field(section.as_deref(), label, value, hidden));
    }
}

/// The custom fields of a `custom-fields` credential that the typed reading refused (a field
/// of a type this version of CXF does not define): each field's label and text. `None` when
/// it has no list of fields with text values.
pub(super) fn fields_from_json(credential: &Map<String, Value>) -> Option<Vec<CustomField>> {
    let section = credential
        .get("label")
        .and_then(Value::as_str)
        .filter(|l| !l.is_empty());
    let Value::Array(list) = credential.get("fields")? else {
        return None;
    };
    list.iter()
        .map(|field| {
            let value = Zeroizing::new(field.get("value")?.as_str()?.to_owned());
            let label = match field.get("label") {
                None | Some(Value::Null) => None,
                Some(label) => Some(label.as_str()?.to_owned()),
            };
            let hidden = field.get("fieldType").and_then(Value::as_str) == Some("concealed-string");
            Some(custom_field(section, label, value, hidden))
        })
        .collect()
}

fn parts<T: Into<String>>(
    field: EditableField<T>,
    hidden: bool,
) -> (Option<String>, Zeroizing<String>, bool) {
    (
        field.label,
        Zeroizing::new(String::from(field.value)),
        hidden,
    )
}

fn custom_field(
    section: Option<&str>,
    label: Option<String>,
    value: Zeroizing<String>,
    hidden: bool,
) -> CustomField {
    let name = match (section, label.filter(|l| !l.is_empty())) {
        (Some(section), Some(label)) => format!("{section}: {label}"),
        (Some(section), None) => section.to_owned(),
        (None, label) => label.unwrap_or_default(),
    };
    CustomField {
        name,
        value: SecretText::new(value.as_str()),
        hidden,
    }
}

/// Whether a field read from a `custom-fields` credential is the one [`extras_to_cxf`] writes
/// for a TOTP secret `totp` cannot hold.
fn is_totp_field(field: &EditableFieldValue) -> bool {
    matches!(field, EditableFieldValue::ConcealedString(f)
        if f.id.as_ref().is_some_and(|id| id.as_ref() == TOTP_FIELD_ID)
            && f.label.as_deref() == Some(TOTP_FIELD))
}

/// The `totp` and `custom-fields` credentials that carry a login's extras (none when it has
/// neither a TOTP secret nor custom fields).
pub(super) fn extras_to_cxf(
    extras: &LoginExtras,
) -> (Option<TotpCredential>, Option<CustomFieldsCredential>) {
    let totp = extras.totp.expose();
    let credential = (!totp.is_empty()).then(|| totp_credential(totp)).flatten();
    let mut fields: Vec<EditableFieldValue> = extras
        .fields
        .iter()
        .map(|f| {
            let value = f.value.expose().to_owned();
            let label = (!f.name.is_empty()).then(|| f.name.clone());
            if f.hidden {
                EditableFieldValue::ConcealedString(EditableField {
                    label,
                    ..EditableField::from(EditableFieldConcealedString(value))
                })
            } else {
                EditableFieldValue::String(EditableField {
                    label,
                    ..EditableField::from(EditableFieldString(value))
                })
            }
        })
        .collect();
    if !totp.is_empty() && credential.is_none() {
        fields.push(EditableFieldValue::ConcealedString(EditableField {
            id: Some(B64Url::from(TOTP_FIELD_ID)),
            label: Some(TOTP_FIELD.into()),
            ..EditableField::from(EditableFieldConcealedString(totp.to_owned()))
        }));
    }
    let custom = (!fields.is_empty()).then(|| CustomFieldsCredential {
        id: None,
        label: None,
        fields,
        extensions: Vec::new(),
    });
    (credential, custom)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `text` percent-encoded: everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encoded `text` decoded, `None` when the result is not UTF-8 or an escape is broken.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totp(secret: &[u8], algorithm: OTPHashAlgorithm, digits: u8, period: u8) -> TotpCredential {
        TotpCredential {
            secret: B32::from(secret),
            period,
            digits,
            username: None,
            algorithm,
            issuer: None,
        }
    }

    #[test]
    fn totp_credentials_become_bare_secrets_or_otpauth_uris_and_back() {
        let hello = b"Hello!\xde\xad\xbe\xef";
        let bare = totp_text(totp(hello, OTPHashAlgorithm::Sha1, 6, 30)).unwrap();
        assert_eq!(bare.expose(), "JBSWY3DPEHPK3PXP");
        let mut named = totp(hello, OTPHashAlgorithm::Sha256, 8, 60);
        named.issuer = Some("Big Co: Ünï".into());
        named.username = Some("alice@example.com".into());
        let uri = totp_text(named.clone()).unwrap();
        assert_eq!(
            uri.expose(),
            "otpauth://totp/Big%20Co%3A%20%C3%9Cn%C3%AF:alice%40example.com?secret=\
             JBSWY3DPEHPK3PXP&issuer=Big%20Co%3A%20%C3%9Cn%C3%AF&algorithm=SHA256&digits=8&\
             period=60"
        );
        for text in [bare.expose(), uri.expose()] {
            let back = totp_credential(text).unwrap();
            assert_eq!(totp_text(back).unwrap().expose(), text);
        }
        // An issuer without an account stays an issuer.
        named.username = None;
        let issuer_only = totp_text(named).unwrap();
        let back = totp_credential(issuer_only.expose()).unwrap();
        assert_eq!(back.issuer.as_deref(), Some("Big Co: Ünï"));
        assert_eq!(back.username, None);
        // What other tools write: defaults left out, `Issuer: account`, lower-case names.
        let other =
            totp_credential("otpauth://totp/Example:%20bob?secret=jbswy3dpehpk3pxp&issuer=Example")
                .unwrap();
        assert_eq!(
            (other.secret.as_ref(), other.digits, other.period),
            (hello.as_slice(), 6, 30)
        );
        assert_eq!(other.username.as_deref(), Some("bob"));
        assert_eq!(other.algorithm, OTPHashAlgorithm::Sha1);
    }

    #[test]
    fn totp_text_cxf_cannot_hold_exactly_has_no_totp_credential() {
        for text in [
            "",
            "JBSWY3DPEHPK3PX",
            "jbswy3dpehpk3pxp",
            "not base32 !",
            "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1",
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&image=https%3A%2F%2Fx.example",
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=300",
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&secret=JBSWY3DPEHPK3PXP",
            "otpauth://totp/A:x?secret=JBSWY3DPEHPK3PXP&issuer=B",
            "otpauth://totp/x?secret=",
            "otpauth://totp/%ZZ?secret=JBSWY3DPEHPK3PXP",
        ] {
            assert!(totp_credential(text).is_none(), "{text}");
        }
        assert!(totp_text(totp(b"x", OTPHashAlgorithm::Unknown("md5".into()), 6, 30)).is_err());
        assert!(totp_text(totp(b"x", OTPHashAlgorithm::Sha1, 0, 30)).is_err());
        assert!(totp_text(totp(b"", OTPHashAlgorithm::Sha1, 6, 30)).is_err());
    }
}
