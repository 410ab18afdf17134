//! The FIDO Alliance's [Credential Exchange Format][cxf] (CXF 1.0), its JSON form: the one
//! format that carries passkeys between providers.
//!
//! The JSON types come from the maintained `credential-exchange-format` crate; this module maps
//! them to credwell's logins and passkeys:
//!
//! - a `basic-auth` credential with a username and password, for each web URL of its item's
//!   scope, is a login;
//! - a `passkey` credential is a passkey. Its private key travels as PKCS#8 DER (base64url);
//!   P-256 keys become ES256 passkeys, Ed25519 keys EdDSA ones. The `hmacCredentials` extension
//!   carries the `prf` secrets. Signature counters are not part of CXF: credwell's passkeys keep
//!   theirs at zero, as CXF requires of exported and imported passkeys.
//!
//! Every other credential type (cards, notes, TOTP...) is skipped with a warning.
//!
//! [cxf]: https://fidoalliance.org/specifications-credential-exchange-specifications/

use std::collections::{HashMap, HashSet};
use std::io::Write;

use credential_exchange_format::{
    Account, B64Url, BasicAuthCredential, Credential, CredentialScope, EditableField,
    EditableFieldConcealedString, EditableFieldString, Fido2Extensions,
    Fido2HmacCredentialAlgorithm, Fido2HmacCredentials, Header, Item, NoteCredential,
    PasskeyCredential, Version,
};
use credwell_core::{Clock as _, Password, SystemClock, Timestamp};
use credwell_passkey::{PasskeyRecord, PrfSecrets};
use zeroize::Zeroizing;

use super::json_text::{self, Token};
use super::passkeys;
use super::{FormatError, ImportedLogin, Parsed, SkipReason, Unstored, login_origin};

/// The CXF version this module writes; files of another major version are refused.
const VERSION: Version = Version { major: 1, minor: 0 };

/// What `exporterRpId` says: the exporting provider.
const EXPORTER_RP_ID: &str = "credwell.invalid";

/// Reads a CXF JSON file: its logins and passkeys, or the first problem.
pub(super) fn read(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let text = super::utf8_text(bytes)?;
    let header: Header = serde_json::from_str(text).map_err(|e| {
        // serde's message can quote a value; keep only its kind, with the place.
        let kind = match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "is not valid JSON"
            }
            _ => "is not a CXF document",
        };
        FormatError::at(
            u64::try_from(e.line()).unwrap_or(0),
            format!("the file {kind} (column {})", e.column()),
        )
    })?;
    if header.version.major != VERSION.major {
        return Err(FormatError {
            line: None,
            reason: format!(
                "CXF version {}.{} is not supported (credwell reads {}.x)",
                header.version.major, header.version.minor, VERSION.major
            ),
        });
    }
    let ids: Vec<String> = header
        .accounts
        .iter()
        .flat_map(|a| a.items.iter().map(|item| String::from(&item.id)))
        .collect();
    let lines = id_lines(text, &ids);
    let mut parsed = Parsed::default();
    let items = header.accounts.into_iter().flat_map(|a| a.items);
    for (item, id) in items.zip(&ids) {
        let line = lines.get(id.as_str()).copied().unwrap_or(1);
        read_item(item, line, &mut parsed)?;
    }
    Ok(parsed)
}

/// The line on which each of `ids` first appears as a JSON string in `text`: an item's line
/// (serde reports no positions for values it accepted; ids are unique within a file). One pass
/// over the text, whatever the number of items.
fn id_lines<'a>(text: &str, ids: &'a [String]) -> HashMap<&'a str, u64> {
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut lines = HashMap::with_capacity(wanted.len());
    for (line, token) in json_text::tokens(text) {
        if let Token::String(s) = token
            && let Some(&id) = wanted.get(s)
        {
            lines.entry(id).or_insert(line);
        }
    }
    lines
}

fn read_item(item: Item, number: u64, parsed: &mut Parsed) -> Result<(), FormatError> {
    let item_id = String::from(&item.id);
    let urls: Vec<String> = item.scope.map(|s| s.urls).unwrap_or_default();
    // A note beside a login in the same item is that login's notes.
    let notes: Vec<String> = item
        .credentials
        .iter()
        .filter_map(|c| match c {
            Credential::Note(note) => Some(String::from(note.content.value.clone())),
            _ => None,
        })
        .collect();
    let has_login = item
        .credentials
        .iter()
        .any(|c| matches!(c, Credential::BasicAuth(_)));
    if has_login {
        parsed.unstored(number, Unstored::Notes, !notes.is_empty());
        parsed.unstored(number, Unstored::Favourites, item.favorite == Some(true));
    }
    for credential in item.credentials {
        match credential {
            Credential::BasicAuth(basic) => {
                let login = Login {
                    id: &item_id,
                    title: &item.title,
                    urls: &urls,
                    notes: &notes.join("\n"),
                    created: item.creation_at,
                    updated: item.modified_at,
                };
                read_basic_auth(&basic, &login, number, parsed)?;
            }
            Credential::Passkey(passkey) => {
                let record = passkey_from_cxf(*passkey, item.creation_at).map_err(|reason| {
                    FormatError::at(number, format!("item {item_id}: {reason}"))
                })?;
                parsed.passkeys.push(record);
            }
            Credential::Note(_) if has_login => {}
            Credential::Totp(_) if has_login => parsed.unstored(number, Unstored::Totp, true),
            Credential::CustomFields(_) if has_login => {
                parsed.unstored(number, Unstored::CustomFields, true);
            }
            _ => parsed.skip(number, SkipReason::NotALogin),
        }
    }
    Ok(())
}

/// What an item says about the logins of its `basic-auth` credentials.
struct Login<'a> {
    id: &'a str,
    title: &'a str,
    urls: &'a [String],
    notes: &'a str,
    created: Option<u64>,
    updated: Option<u64>,
}

fn read_basic_auth(
    basic: &BasicAuthCredential,
    item: &Login<'_>,
    number: u64,
    parsed: &mut Parsed,
) -> Result<(), FormatError> {
    let username = basic
        .username
        .as_ref()
        .map(|f| String::from(f.value.clone()))
        .unwrap_or_default();
    let Some(password) = basic
        .password
        .as_ref()
        .map(|f| Zeroizing::new(String::from(f.value.clone())))
        .filter(|p| !p.is_empty())
    else {
        parsed.skip(number, SkipReason::NoPassword);
        return Ok(());
    };
    if item.urls.is_empty() {
        parsed.skip(number, SkipReason::NoWebOrigin(String::new()));
    }
    for (n, url) in item.urls.iter().enumerate() {
        let field = format!("scope URL {} of item {}", n + 1, item.id);
        let Some(origin) = login_origin(url, number, &field)? else {
            parsed.skip(number, SkipReason::NoWebOrigin(url.clone()));
            continue;
        };
        let mut login = ImportedLogin::new(origin, &username, Password::new(password.as_str()));
        login.url = url.clone();
        login.name = item.title.to_owned();
        login.notes = item.notes.to_owned();
        login.created = item.created.map(|s| Timestamp(s.saturating_mul(1000)));
        login.updated = item.updated.map(|s| Timestamp(s.saturating_mul(1000)));
        login.line = number;
        parsed.logins.push(login);
    }
    Ok(())
}

/// A CXF passkey as a credwell passkey; the error says what is wrong without quoting secrets.
fn passkey_from_cxf(
    cxf: PasskeyCredential,
    created_s: Option<u64>,
) -> Result<PasskeyRecord, String> {
    if cxf.rp_id.is_empty() {
        return Err("the passkey has no rpId".into());
    }
    let credential_id: Vec<u8> = cxf.credential_id.into();
    if credential_id.is_empty() || credential_id.len() > 1023 {
        return Err(format!(
            "the passkey's credentialId is {} bytes (1 to 1023 allowed)",
            credential_id.len()
        ));
    }
    let user_handle: Vec<u8> = cxf.user_handle.into();
    if user_handle.is_empty() || user_handle.len() > 64 {
        return Err(format!(
            "the passkey's userHandle is {} bytes (1 to 64 allowed)",
            user_handle.len()
        ));
    }
    let pkcs8 = Zeroizing::new(Vec::<u8>::from(cxf.key));
    let (algorithm, private_key) = passkeys::key_from_pkcs8(&pkcs8)?;
    let prf = cxf
        .fido2_extensions
        .and_then(|e| e.hmac_credentials)
        .map(prf_from_cxf)
        .transpose()?;
    Ok(PasskeyRecord {
        rp_id: cxf.rp_id,
        credential_id,
        user_handle,
        user_name: cxf.username,
        user_display_name: cxf.user_display_name,
        algorithm,
        private_key,
        created_at: created_s.map_or_else(|| SystemClock.now().0, |s| s.saturating_mul(1000)),
        prf,
        // CXF carries large blobs DEFLATE-compressed, as CTAP stores them; credwell keeps
        // passkeys' blobs uncompressed and does not move them through CXF.
        large_blob: None,
        hidden: false,
    })
}

fn prf_from_cxf(hmac: Fido2HmacCredentials) -> Result<PrfSecrets, String> {
    if !matches!(hmac.algorithm, Fido2HmacCredentialAlgorithm::HmacSha256) {
        return Err("the passkey's hmacCredentials use an algorithm other than hmac-sha256".into());
    }
    let with_uv: Vec<u8> = hmac.cred_with_uv.into();
    let without_uv: Vec<u8> = hmac.cred_without_uv.into();
    if with_uv.len() != 32 || !(without_uv.is_empty() || without_uv.len() == 32) {
        return Err("the passkey's hmacCredentials are not 32-byte secrets".into());
    }
    Ok(PrfSecrets::new(
        with_uv,
        (!without_uv.is_empty()).then_some(without_uv),
    ))
}

/// Writes `logins` and `passkeys` as one CXF account. The output holds every secret in clear.
pub(super) fn write(
    logins: &[ImportedLogin],
    passkeys: &[PasskeyRecord],
    now: Timestamp,
    mut output: impl Write,
) -> std::io::Result<()> {
    let mut items = Vec::with_capacity(logins.len() + passkeys.len());
    for (n, login) in logins.iter().enumerate() {
        items.push(Item {
            id: item_id(b"login", n),
            creation_at: login.created.map(|ms| ms.0 / 1000),
            modified_at: login.updated.map(|ms| ms.0 / 1000),
            title: super::title_or_host(login),
            subtitle: None,
            favorite: None,
            scope: Some(CredentialScope {
                urls: vec![login.origin.to_string()],
                android_apps: Vec::new(),
            }),
            credentials: login_credentials(login),
            tags: None,
            extensions: None,
        });
    }
    for (n, passkey) in passkeys.iter().enumerate() {
        items.push(Item {
            id: item_id(b"passkey", n),
            creation_at: Some(passkey.created_at / 1000),
            modified_at: None,
            title: passkey.rp_id.clone(),
            subtitle: Some(passkey.user_name.clone()),
            favorite: None,
            scope: None,
            credentials: vec![Credential::Passkey(Box::new(passkey_to_cxf(passkey)?))],
            tags: None,
            extensions: None,
        });
    }
    let header = Header {
        version: VERSION,
        exporter_rp_id: EXPORTER_RP_ID.into(),
        exporter_display_name: "credwell".into(),
        timestamp: now.0 / 1000,
        accounts: vec![Account {
            id: B64Url::from(b"credwell".as_slice()),
            username: String::new(),
            email: String::new(),
            full_name: None,
            collections: Vec::new(),
            items,
            extensions: None,
        }],
    };
    serde_json::to_writer_pretty(&mut output, &header)?;
    output.write_all(b"\n")
}

/// A login's `basic-auth` credential, and a `note` beside it when it has notes.
fn login_credentials(login: &ImportedLogin) -> Vec<Credential> {
    let mut credentials = vec![Credential::BasicAuth(Box::new(BasicAuthCredential {
        username: Some(field(EditableFieldString(login.username.clone()))),
        password: Some(field(EditableFieldConcealedString(
            login.password.expose().to_owned(),
        ))),
    }))];
    if !login.notes.is_empty() {
        credentials.push(Credential::Note(Box::new(NoteCredential {
            content: field(EditableFieldString(login.notes.clone())),
        })));
    }
    credentials
}

fn passkey_to_cxf(record: &PasskeyRecord) -> std::io::Result<PasskeyCredential> {
    let key = passkeys::key_to_pkcs8(record)?;
    let fido2_extensions = record.prf.as_ref().map(|prf| Fido2Extensions {
        hmac_credentials: Some(Fido2HmacCredentials {
            algorithm: Fido2HmacCredentialAlgorithm::HmacSha256,
            cred_with_uv: B64Url::from(prf.expose_with_uv()),
            cred_without_uv: B64Url::from(prf.expose_without_uv().unwrap_or_default()),
        }),
        ..Fido2Extensions::default()
    });
    Ok(PasskeyCredential {
        credential_id: B64Url::from(record.credential_id.as_slice()),
        rp_id: record.rp_id.clone(),
        username: record.user_name.clone(),
        user_display_name: record.user_display_name.clone(),
        user_handle: B64Url::from(record.user_handle.as_slice()),
        key: B64Url::from(key.as_slice()),
        fido2_extensions,
    })
}

fn field<T>(value: T) -> EditableField<T> {
    EditableField {
        id: None,
        value: value.into(),
        label: None,
        extensions: None,
    }
}

/// Item ids are unique within the file and carry nothing secret.
fn item_id(kind: &[u8], n: usize) -> B64Url {
    let mut id = kind.to_vec();
    id.extend_from_slice(&(n as u64).to_be_bytes());
    B64Url::from(id)
}
