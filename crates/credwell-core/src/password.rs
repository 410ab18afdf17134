//! The `PasswordCredential` constructors.
//!
//! Spec: [`PasswordCredential` algorithms][passwordcredential-interface].
//! The `[[CollectFromCredentialStore]]`, `[[Create]]` and `[[Store]]` internal methods need the
//! store and the mediator and live in [`crate::engine`].
//!
//! [passwordcredential-interface]:
//! https://w3c.github.io/webappsec-credential-management/#passwordcredential-interface

use crate::credential::{Password, PasswordCredential};
use crate::errors::ConstructError;
use crate::options::{FormSnapshot, PasswordCredentialData};
use crate::origin::Origin;

impl PasswordCredential {
    /// [Create a `PasswordCredential` from `PasswordCredentialData`][from-data].
    ///
    /// The credential's `[[origin]]` is `origin`, the caller's, whatever `data.origin` said.
    ///
    /// ```
    /// use credwell_core::{Origin, PasswordCredential, PasswordCredentialData, Password};
    /// let origin = Origin::parse("https://example.com").unwrap();
    /// let data = PasswordCredentialData { id: "alice".into(), password: Password::new("pencil"),
    ///     ..Default::default() };
    /// let c = PasswordCredential::from_data(data, &origin).unwrap();
    /// assert_eq!((c.id.as_str(), c.name.as_str(), c.icon_url.as_str()), ("alice", "", ""));
    /// ```
    ///
    /// [from-data]:
    /// https://w3c.github.io/webappsec-credential-management/#construct-passwordcredential-data
    pub fn from_data(
        data: PasswordCredentialData,
        origin: &Origin,
    ) -> Result<Self, ConstructError> {
        // 1. Let c be a new PasswordCredential object.
        // 2. If any of the following are the empty string, throw a TypeError exception:
        //    data's id member's value; data's origin member's value; data's password member's
        //    value.
        if data.id.is_empty() {
            return Err(ConstructError::EmptyMember("PasswordCredentialData.id"));
        }
        if data.password.is_empty() {
            return Err(ConstructError::EmptyMember(
                "PasswordCredentialData.password",
            ));
        }
        // (The origin member is replaced by the caller's origin; see docs/conformance.md.)
        let icon_url = data.icon_url.unwrap_or_default();
        check_icon_url(&icon_url)?;
        // 3-7. Set c's password, id, iconURL, name and [[origin]].
        Ok(Self {
            id: data.id,
            password: data.password,
            name: data.name.unwrap_or_default(),
            icon_url,
            origin: origin.clone(),
        })
    }

    /// [Create a `PasswordCredential` from an `HTMLFormElement`][from-form].
    ///
    /// ```
    /// use credwell_core::{FormField, FormSnapshot, Origin, PasswordCredential};
    /// let form = FormSnapshot {
    ///     elements: vec![
    ///         FormField { name: "u".into(), autocomplete: Some("username".into()) },
    ///         FormField { name: "p".into(), autocomplete: Some("current-password".into()) },
    ///     ],
    ///     entries: vec![("u".into(), "alice".into()), ("p".into(), "pencil".into())],
    /// };
    /// let origin = Origin::parse("https://example.com").unwrap();
    /// let c = PasswordCredential::from_form(&form, &origin).unwrap();
    /// assert_eq!(c.id, "alice");
    /// assert_eq!(c.password.expose(), "pencil");
    /// ```
    ///
    /// [from-form]:
    /// https://w3c.github.io/webappsec-credential-management/#construct-passwordcredential-form
    pub fn from_form(form: &FormSnapshot, origin: &Origin) -> Result<Self, ConstructError> {
        // 1. Let data be a new PasswordCredentialData dictionary.
        let mut data = PasswordCredentialData::default();
        // 2. Set data's origin member's value to origin's value. (Implicit: `origin` is passed on.)
        // 3. Let formData be the result of executing the FormData constructor on form.
        // 4. Let elements be a list of all the submittable elements whose form owner is form, in
        //    tree order.
        // 5. Let newPasswordObserved be false.
        let mut new_password_observed = false;
        // 6. For each field in elements, run the following steps:
        for field in &form.elements {
            // 6.1. If field does not have an autocomplete attribute, then skip to the next field.
            let Some(autocomplete) = &field.autocomplete else {
                continue;
            };
            // 6.2. Let name be the value of field's name attribute.
            let name = field.name.as_str();
            // 6.3. If formData's has() method returns false when executed on name, skip.
            let Some(value) = form.get(name) else {
                continue;
            };
            // 6.4. If field's autocomplete attribute's value contains one or more autofill
            //      detail tokens (tokens), then for each token in tokens, if token is an ASCII
            //      case-insensitive match for one of the following, run the associated steps.
            for token in autocomplete.split_ascii_whitespace() {
                match token.to_ascii_lowercase().as_str() {
                    "new-password" => {
                        data.password = Password::new(value);
                        new_password_observed = true;
                    }
                    "current-password" if !new_password_observed => {
                        data.password = Password::new(value);
                    }
                    "photo" => data.icon_url = Some(value.to_owned()),
                    "name" | "nickname" => data.name = Some(value.to_owned()),
                    "username" => data.id = value.to_owned(),
                    _ => {}
                }
            }
        }
        // 7. Let c be the result of executing Create a PasswordCredential from
        //    PasswordCredentialData on data. If that threw an exception, rethrow that exception.
        // 8-9. Assert: c is a PasswordCredential. Return c.
        Self::from_data(data, origin)
    }
}

/// Chromium parses `iconURL` and throws a `SyntaxError` when it is not a URL; so does credwell.
/// The empty string means "no icon".
pub(crate) fn check_icon_url(icon_url: &str) -> Result<(), ConstructError> {
    if icon_url.is_empty() || url::Url::parse(icon_url).is_ok() {
        Ok(())
    } else {
        Err(ConstructError::InvalidUrl {
            member: "iconURL",
            value: crate::origin::shorten(icon_url),
        })
    }
}
