//! The WebIDL dictionaries the methods of `navigator.credentials` take, read from JSON.
//!
//! Spec: [`CredentialRequestOptions`][dictdef-credentialrequestoptions],
//! [`CredentialCreationOptions`][dictdef-credentialcreationoptions],
//! [`PasswordCredentialData`][dictdef-passwordcredentialdata],
//! [`FederatedCredentialInit`][dictdef-federatedcredentialinit].
//!
//! A member the page left `undefined` is absent from the JSON. Conversion errors are `TypeError`s
//! that name the member, exactly where WebIDL would throw them: before the algorithm starts.
//!
//! [dictdef-credentialrequestoptions]:
//! https://w3c.github.io/webappsec-credential-management/#dictdef-credentialrequestoptions
//! [dictdef-credentialcreationoptions]:
//! https://w3c.github.io/webappsec-credential-management/#dictdef-credentialcreationoptions
//! [dictdef-passwordcredentialdata]:
//! https://w3c.github.io/webappsec-credential-management/#dictdef-passwordcredentialdata
//! [dictdef-federatedcredentialinit]:
//! https://w3c.github.io/webappsec-credential-management/#dictdef-federatedcredentialinit

use serde_json::{Map, Value};

use crate::credential::{
    Credential, CredentialType, FederatedCredential, Password, PasswordCredential,
};
use crate::errors::StoreError;
use crate::idl::{self, ConversionError, optional_string, required_string};
use crate::mediation::Mediation;
use crate::origin::Origin;

/// `CredentialUiMode`: how a request may show itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UiMode {
    /// Either show a modal chooser now or complete at once without credentials; never prompt the
    /// user to go and find a credential.
    Immediate,
}

impl UiMode {
    /// The IDL value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Immediate => "immediate",
        }
    }
}

/// [`FederatedCredentialRequestOptions`][dictdef-federatedcredentialrequestoptions].
///
/// [dictdef-federatedcredentialrequestoptions]:
/// https://w3c.github.io/webappsec-credential-management/#dictdef-federatedcredentialrequestoptions
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FederatedCredentialRequestOptions {
    /// `providers`, each normalized to the ASCII serialization of its origin when it parses as a
    /// URL (so `https://idp.example/` matches `https://idp.example`).
    pub providers: Option<Vec<String>>,
    /// `protocols`.
    pub protocols: Option<Vec<String>>,
}

/// [`CredentialRequestOptions`][dictdef-credentialrequestoptions]
/// with the members the password, federated and public-key types add.
///
/// ```
/// use credwell_core::{CredentialRequestOptions, CredentialType, Mediation};
/// let o = CredentialRequestOptions::from_json(&serde_json::json!({
///     "password": true,
///     "federated": {"providers": ["https://idp.example/"]},
///     "mediation": "silent",
/// })).unwrap();
/// assert_eq!(o.mediation, Mediation::Silent);
/// assert_eq!(o.relevant_types(), vec![CredentialType::Federated, CredentialType::Password]);
/// assert_eq!(o.federated.unwrap().providers.unwrap(), ["https://idp.example"]);
/// ```
///
/// [dictdef-credentialrequestoptions]:
/// https://w3c.github.io/webappsec-credential-management/#dictdef-credentialrequestoptions
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CredentialRequestOptions {
    /// `mediation`, `"optional"` by default.
    pub mediation: Mediation,
    /// `uiMode`, absent by default.
    pub ui_mode: Option<UiMode>,
    /// `password`, `false` by default.
    pub password: bool,
    /// `federated`, when present.
    pub federated: Option<FederatedCredentialRequestOptions>,
    /// `publicKey`, when present: handled by the WebAuthn layer, kept here as given.
    pub public_key: Option<Map<String, Value>>,
}

impl CredentialRequestOptions {
    /// Converts a JSON value as WebIDL converts the argument of `get()`.
    pub fn from_json(value: &Value) -> Result<Self, ConversionError> {
        const CTX: &str = "CredentialRequestOptions";
        let Some(map) = idl::dictionary(Some(value), CTX)? else {
            return Ok(Self::default());
        };
        let mut options = Self {
            mediation: Mediation::from_member(map, CTX)?,
            ..Self::default()
        };
        // `uiMode` is a DOMString member: values other than "immediate" mean nothing yet.
        if let Some(ui) = map.get("uiMode")
            && idl::string(ui, "CredentialRequestOptions.uiMode")? == "immediate"
        {
            options.ui_mode = Some(UiMode::Immediate);
        }
        if let Some(password) = map.get("password") {
            options.password = idl::boolean(password);
        }
        if map.contains_key("federated") {
            options.federated = Some(federated_request(map.get("federated"))?);
        }
        if map.contains_key("publicKey") {
            options.public_key = Some(public_key_dictionary(
                map.get("publicKey"),
                "CredentialRequestOptions.publicKey",
            )?);
        }
        Ok(options)
    }

    /// The [relevant credential interface objects][credentialrequestoptions-dictionary],
    /// in registry order.
    ///
    /// `password` counts only when true: by the letter of the spec its IDL default `false` would
    /// make `PasswordCredential` relevant to every request, which WPT and Chromium reject
    /// (w3c/webappsec-credential-management#270).
    ///
    /// [credentialrequestoptions-dictionary]:
    /// https://w3c.github.io/webappsec-credential-management/#credentialrequestoptions-dictionary
    pub fn relevant_types(&self) -> Vec<CredentialType> {
        let mut types = Vec::with_capacity(2);
        if self.federated.is_some() {
            types.push(CredentialType::Federated);
        }
        if self.password {
            types.push(CredentialType::Password);
        }
        if self.public_key.is_some() {
            types.push(CredentialType::PublicKey);
        }
        types
    }

    /// [Matchable a priori][matchable-a-priori]:
    /// every relevant interface discovers from the credential store.
    ///
    /// [matchable-a-priori]:
    /// https://w3c.github.io/webappsec-credential-management/#matchable-a-priori
    pub fn matchable_a_priori(&self) -> bool {
        self.relevant_types()
            .iter()
            .all(|t| t.discovered_from_credential_store())
    }
}

/// [`PasswordCredentialData`][dictdef-passwordcredentialdata]
/// after WebIDL conversion.
///
/// `origin` is read but not used: the credential's origin always comes from the caller (see
/// `docs/conformance.md`, "origin member").
///
/// [dictdef-passwordcredentialdata]:
/// https://w3c.github.io/webappsec-credential-management/#dictdef-passwordcredentialdata
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PasswordCredentialData {
    /// `id`.
    pub id: String,
    /// `password`.
    pub password: Password,
    /// `name`.
    pub name: Option<String>,
    /// `iconURL`.
    pub icon_url: Option<String>,
}

/// One submittable element of a form, as the embedder saw it: its `name` attribute and, if it has
/// one, its `autocomplete` attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormField {
    /// The `name` attribute (`""` when absent).
    pub name: String,
    /// The `autocomplete` attribute, `None` when the element has none.
    pub autocomplete: Option<String>,
}

/// What `new PasswordCredential(form)` reads from an `HTMLFormElement`: the submittable elements
/// whose form owner is the form, in tree order, and the entry list of `new FormData(form)`.
///
/// JSON shape: `{"elements": [{"name": "u", "autocomplete": "username"}, ...],
/// "entries": [["u", "alice"], ...]}`; file entries are passed as the string the page would see.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct FormSnapshot {
    /// The submittable elements, in tree order.
    pub elements: Vec<FormField>,
    /// The form data set: (name, value) pairs in order.
    pub entries: Vec<(String, String)>,
}

impl std::fmt::Debug for FormSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Entry values include the password: show the names only.
        f.debug_struct("FormSnapshot")
            .field("elements", &self.elements)
            .field(
                "entries",
                &self.entries.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Drop for FormSnapshot {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for (_, value) in &mut self.entries {
            value.zeroize();
        }
    }
}

impl FormSnapshot {
    /// `formData.has(name)`.
    pub fn has(&self, name: &str) -> bool {
        self.entries.iter().any(|(n, _)| n == name)
    }

    /// `formData.get(name)`: the first entry's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Reads the JSON shape described on the type.
    pub fn from_json(value: &Value) -> Result<Self, ConversionError> {
        const CTX: &str = "HTMLFormElement";
        let map = idl::dictionary(Some(value), CTX)?
            .ok_or_else(|| ConversionError::new(CTX, "the form snapshot is null"))?;
        let mut form = Self::default();
        for (i, element) in array_member(map, "elements", CTX)?.iter().enumerate() {
            let ctx = format!("{CTX}.elements[{i}]");
            let el = idl::dictionary(Some(element), &ctx)?
                .ok_or_else(|| ConversionError::new(&ctx, "is null"))?;
            form.elements.push(FormField {
                name: el
                    .get("name")
                    .map(|v| idl::string(v, &format!("{ctx}.name")))
                    .transpose()?
                    .unwrap_or_default(),
                autocomplete: el
                    .get("autocomplete")
                    .filter(|v| !v.is_null())
                    .map(|v| idl::string(v, &format!("{ctx}.autocomplete")))
                    .transpose()?,
            });
        }
        for (i, entry) in array_member(map, "entries", CTX)?.iter().enumerate() {
            let ctx = format!("{CTX}.entries[{i}]");
            match entry {
                Value::Array(pair) if pair.len() == 2 => form
                    .entries
                    .push((idl::string(&pair[0], &ctx)?, idl::string(&pair[1], &ctx)?)),
                _ => return Err(ConversionError::new(ctx, "must be a [name, value] pair")),
            }
        }
        Ok(form)
    }
}

/// The `password` member of `CredentialCreationOptions`: `(PasswordCredentialData or
/// HTMLFormElement)`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PasswordCredentialInit {
    /// A dictionary.
    Data(PasswordCredentialData),
    /// A form, as snapshotted by the embedder (JSON: `{"htmlFormElement": {...}}`).
    Form(FormSnapshot),
}

/// [`FederatedCredentialInit`][dictdef-federatedcredentialinit]
/// after WebIDL conversion (`origin` ignored, as for passwords).
///
/// [dictdef-federatedcredentialinit]:
/// https://w3c.github.io/webappsec-credential-management/#dictdef-federatedcredentialinit
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FederatedCredentialInit {
    /// `id`.
    pub id: String,
    /// `provider`, as given.
    pub provider: String,
    /// `protocol`.
    pub protocol: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `iconURL`.
    pub icon_url: Option<String>,
}

/// [`CredentialCreationOptions`][dictdef-credentialcreationoptions]
/// with the password, federated and public-key members.
///
/// [dictdef-credentialcreationoptions]:
/// https://w3c.github.io/webappsec-credential-management/#dictdef-credentialcreationoptions
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CredentialCreationOptions {
    /// `mediation`.
    pub mediation: Mediation,
    /// `password`.
    pub password: Option<PasswordCredentialInit>,
    /// `federated`.
    pub federated: Option<FederatedCredentialInit>,
    /// `publicKey`, kept as given for the WebAuthn layer.
    pub public_key: Option<Map<String, Value>>,
}

impl CredentialCreationOptions {
    /// Converts a JSON value as WebIDL converts the argument of `create()`.
    ///
    /// ```
    /// use credwell_core::{CredentialCreationOptions, PasswordCredentialInit};
    /// let o = CredentialCreationOptions::from_json(&serde_json::json!({
    ///     "password": {"id": "alice", "password": "pencil"}
    /// })).unwrap();
    /// assert!(matches!(o.password, Some(PasswordCredentialInit::Data(_))));
    /// // A member of the wrong type is a TypeError before anything else happens.
    /// let err = CredentialCreationOptions::from_json(&serde_json::json!({"password": "bogus"}));
    /// assert!(err.is_err());
    /// ```
    pub fn from_json(value: &Value) -> Result<Self, ConversionError> {
        const CTX: &str = "CredentialCreationOptions";
        let Some(map) = idl::dictionary(Some(value), CTX)? else {
            return Ok(Self::default());
        };
        // WebIDL converts dictionary members in lexicographic order: federated, mediation,
        // password, publicKey. The first failure is the one reported.
        let mut options = Self::default();
        if map.contains_key("federated") {
            options.federated = Some(federated_init(map.get("federated"))?);
        }
        options.mediation = Mediation::from_member(map, CTX)?;
        if map.contains_key("password") {
            options.password = Some(password_init(map.get("password"))?);
        }
        if map.contains_key("publicKey") {
            options.public_key = Some(public_key_dictionary(
                map.get("publicKey"),
                "CredentialCreationOptions.publicKey",
            )?);
        }
        Ok(options)
    }

    /// The relevant credential interface objects, in registry order.
    pub fn relevant_types(&self) -> Vec<CredentialType> {
        let mut types = Vec::with_capacity(1);
        if self.federated.is_some() {
            types.push(CredentialType::Federated);
        }
        if self.password.is_some() {
            types.push(CredentialType::Password);
        }
        if self.public_key.is_some() {
            types.push(CredentialType::PublicKey);
        }
        types
    }
}

impl PasswordCredentialData {
    /// Converts a `PasswordCredentialData` dictionary (`new PasswordCredential(data)`).
    pub fn from_json(value: Option<&Value>) -> Result<Self, ConversionError> {
        const CTX: &str = "PasswordCredentialData";
        let map = idl::dictionary(value, CTX)?;
        let empty = Map::new();
        let map = map.unwrap_or(&empty);
        // Lexicographic member order: iconURL, id, name, origin, password.
        let icon_url = optional_string(map, "iconURL", CTX)?;
        let id = required_string(map, "id", CTX)?;
        let name = optional_string(map, "name", CTX)?;
        let _origin = optional_string(map, "origin", CTX)?;
        let password = required_string(map, "password", CTX)?;
        Ok(Self {
            id,
            password: Password::new(password),
            name,
            icon_url,
        })
    }
}

impl FederatedCredentialInit {
    /// Converts a `FederatedCredentialInit` dictionary (`new FederatedCredential(init)`).
    pub fn from_json(value: Option<&Value>) -> Result<Self, ConversionError> {
        federated_init(value)
    }
}

/// Reads the credential object a page passed to `store()`, as the embedder's bindings read it
/// from its internal slots: `{"type": "password", "id", "password", "name", "iconURL"}` or
/// `{"type": "federated", "id", "provider", "protocol", "name", "iconURL"}`. Anything else, such
/// as the plain `{username, password}` object of many tutorials, is a `TypeError` that says what
/// to build instead. The credential's `[[origin]]` is `origin`, the caller's.
pub fn credential_from_object(value: &Value, origin: &Origin) -> Result<Credential, StoreError> {
    let Value::Object(map) = value else {
        return Err(StoreError::NotACredential(""));
    };
    let hint = if map.contains_key("password") || map.contains_key("username") {
        " Build one first: \
         navigator.credentials.store(new PasswordCredential({id: username, password}))."
    } else {
        ""
    };
    let kind = map.get("type").and_then(Value::as_str);
    match kind {
        Some("password") => {
            let data = PasswordCredentialData::from_json(Some(value))
                .map_err(StoreError::InvalidObject)?;
            PasswordCredential::from_data(data, origin)
                .map(Credential::Password)
                .map_err(StoreError::InvalidCredential)
        }
        Some("federated") => {
            let init = FederatedCredentialInit::from_json(Some(value))
                .map_err(StoreError::InvalidObject)?;
            FederatedCredential::from_init(init, origin)
                .map(Credential::Federated)
                .map_err(StoreError::InvalidCredential)
        }
        Some("public-key") => Err(StoreError::NotStorable(CredentialType::PublicKey)),
        // Credential types credwell does not implement, whose [[Store]] is the default one
        // (w3c/webappsec-credential-management#218): "NotSupportedError".
        Some(other @ ("otp" | "identity" | "digital-credential")) => {
            Err(StoreError::UnsupportedType(other.to_owned()))
        }
        _ => Err(StoreError::NotACredential(hint)),
    }
}

fn federated_request(
    value: Option<&Value>,
) -> Result<FederatedCredentialRequestOptions, ConversionError> {
    const CTX: &str = "FederatedCredentialRequestOptions";
    let Some(map) = idl::dictionary(value, CTX)? else {
        return Ok(FederatedCredentialRequestOptions::default());
    };
    let protocols = map
        .get("protocols")
        .map(|v| idl::string_sequence(v, &format!("{CTX}.protocols")))
        .transpose()?;
    let providers = map
        .get("providers")
        .map(|v| idl::string_sequence(v, &format!("{CTX}.providers")))
        .transpose()?
        .map(|list| list.iter().map(|p| normalize_provider(p)).collect());
    Ok(FederatedCredentialRequestOptions {
        providers,
        protocols,
    })
}

fn federated_init(value: Option<&Value>) -> Result<FederatedCredentialInit, ConversionError> {
    const CTX: &str = "FederatedCredentialInit";
    let empty = Map::new();
    let map = idl::dictionary(value, CTX)?.unwrap_or(&empty);
    // Lexicographic member order: iconURL, id, name, origin, protocol, provider.
    let icon_url = optional_string(map, "iconURL", CTX)?;
    let id = required_string(map, "id", CTX)?;
    let name = optional_string(map, "name", CTX)?;
    let _origin = optional_string(map, "origin", CTX)?;
    let protocol = optional_string(map, "protocol", CTX)?;
    let provider = required_string(map, "provider", CTX)?;
    Ok(FederatedCredentialInit {
        id,
        provider,
        protocol,
        name,
        icon_url,
    })
}

fn password_init(value: Option<&Value>) -> Result<PasswordCredentialInit, ConversionError> {
    if let Some(Value::Object(map)) = value
        && let Some(form) = map.get("htmlFormElement")
    {
        return Ok(PasswordCredentialInit::Form(FormSnapshot::from_json(form)?));
    }
    Ok(PasswordCredentialInit::Data(
        PasswordCredentialData::from_json(value)?,
    ))
}

fn public_key_dictionary(
    value: Option<&Value>,
    ctx: &str,
) -> Result<Map<String, Value>, ConversionError> {
    let map = idl::dictionary(value, ctx)?.cloned().unwrap_or_default();
    if !map.contains_key("challenge") {
        return Err(ConversionError::new(
            format!("{ctx}.challenge"),
            "is required but was not given",
        ));
    }
    Ok(map)
}

/// Normalizes a provider identifier to the ASCII serialization of its origin
/// ([Identifying Providers][provider-identification]):
/// `https://idp.example/` and `https://IDP.example:443` are both `https://idp.example`.
/// Text that is not a URL is kept as it is, and so matches only itself.
///
/// [provider-identification]:
/// https://w3c.github.io/webappsec-credential-management/#provider-identification
pub fn normalize_provider(provider: &str) -> String {
    match url::Url::parse(provider) {
        Ok(url) if url.origin().is_tuple() => url.origin().ascii_serialization(),
        _ => provider.to_owned(),
    }
}

fn array_member<'a>(
    map: &'a Map<String, Value>,
    member: &str,
    ctx: &str,
) -> Result<&'a [Value], ConversionError> {
    match map.get(member) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(ConversionError::new(
            format!("{ctx}.{member}"),
            format!("must be an array, not {}", idl::describe(other)),
        )),
    }
}

#[cfg(test)]
mod tests;
