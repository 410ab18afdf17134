//! What a password manager keeps with a credential besides what the Credential Management API
//! knows of it: notes, a TOTP secret, custom fields, a folder and a favourite mark.
//!
//! They belong to the store's record ([`crate::StoredCredential::extras`]), never to the
//! [`crate::PasswordCredential`] a page receives: a `PasswordCredential` is `id`, `password`,
//! `name` and `iconURL`, and the engine hands pages the credential alone. A store keeps a
//! record's extras when a page (or anything else) replaces its credential.

use std::fmt;

use zeroize::Zeroizing;

/// Text that may be secret (notes, a TOTP secret, a custom field's value): zeroized when
/// dropped, never shown by `Debug` or `Display`.
///
/// ```
/// use credwell_core::SecretText;
/// let s = SecretText::new("otpauth://totp/x?secret=GEZDGNBV");
/// assert_eq!(format!("{s:?}"), "SecretText(<redacted>)");
/// assert_eq!(s.expose(), "otpauth://totp/x?secret=GEZDGNBV");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretText(Zeroizing<String>);

impl SecretText {
    /// Wraps a text.
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    /// The text in clear. Call only to show it to the user, export it or seal it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes of the text.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(<redacted>)")
    }
}

/// A custom field: a name and a value the user keeps with a credential (a PIN, a security
/// question's answer, an account number).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CustomField {
    /// The field's name, as the user gave it (searchable; not secret).
    pub name: String,
    /// The value (secret or not, it is handled as a secret).
    pub value: SecretText,
    /// Whether the source marked the value as hidden (a password-like field): shown only when
    /// asked for.
    pub hidden: bool,
}

/// What a credential carries besides its credential: see the module's documentation. An empty
/// text means none; [`Extras::default`] is a credential with nothing extra.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Extras {
    /// Free-text notes (secret: notes often hold recovery codes).
    pub notes: SecretText,
    /// The TOTP secret: an `otpauth://totp/...` URI, or a bare base32 secret.
    pub totp: SecretText,
    /// Custom fields, in the order the user has them.
    pub fields: Vec<CustomField>,
    /// The folder (group) the credential is filed in; `""` for none. Nested folders are one
    /// path with `/` between the names.
    pub folder: String,
    /// Whether the user marked it a favourite.
    pub favorite: bool,
}

impl Extras {
    /// Whether there is nothing extra: what every credential stored before extras existed has.
    pub fn is_empty(&self) -> bool {
        self.notes.is_empty()
            && self.totp.is_empty()
            && self.fields.is_empty()
            && self.folder.is_empty()
            && !self.favorite
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_notes_totp_or_field_values() {
        let extras = Extras {
            notes: SecretText::new("recovery-code-1"),
            totp: SecretText::new("otpauth://totp/x?secret=GEZDGNBV"),
            fields: vec![CustomField {
                name: "PIN".into(),
                value: SecretText::new("4711"),
                hidden: true,
            }],
            folder: "Banking".into(),
            favorite: true,
        };
        let shown = format!("{extras:?}");
        for secret in ["recovery-code-1", "GEZDGNBV", "4711"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(
            shown.contains("PIN") && shown.contains("Banking"),
            "{shown}"
        );
        assert!(!extras.is_empty());
        assert!(Extras::default().is_empty());
        let favourite_only = Extras {
            favorite: true,
            ..Extras::default()
        };
        assert!(!favourite_only.is_empty());
    }
}
