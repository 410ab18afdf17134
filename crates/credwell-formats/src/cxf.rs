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
//! - a `totp` or `custom-fields` credential beside a login is that login's TOTP secret or
//!   custom fields ([`cxf_extras`]), a `note` its notes.
//! - an item's `tags` are kept as the custom field `Tags` (as 1PUX's are), and the account's
//!   `collections` that name it give its folder ([`cxf_collections`]), written back as
//!   collections.
//!
//! Every other credential type (cards, identities...) is skipped with a warning, and so is a
//! passkey credwell cannot hold (a key other than P-256 or Ed25519, no user handle). A file may
//! be the exchange header or one bare `Account` (what the operating systems' credential-exchange
//! flows and some providers' exports hand over); times that cannot be (Google's exports write
//! negative ones) are dropped with a warning.
//!
//! [cxf]: https://fidoalliance.org/specifications-credential-exchange-specifications/

use std::collections::{HashMap, HashSet};
use std::io::Write;

use credential_exchange_format::{
    Account, B64Url, BasicAuthCredential, Credential, CredentialScope, EditableField,
    EditableFieldConcealedString, EditableFieldString, Header, Item, NoteCredential,
    PasskeyCredential, TotpCredential, Version,
};
use credwell_core::{CustomField, Password, Timestamp};
use credwell_passkey::PasskeyRecord;
use serde::Deserialize as _;
use serde_json::Value;

use super::cxf_collections;
use super::cxf_extras;
use super::cxf_passkeys;
use super::json_text;
use super::passkeys::Problem;
use super::{FormatError, ImportedLogin, LoginExtras, Parsed, SkipReason, Unstored, login_origin};

/// The CXF version this module writes; files of another major version are refused.
const VERSION: Version = Version { major: 1, minor: 0 };

/// What `exporterRpId` says: the exporting provider.
const EXPORTER_RP_ID: &str = "credwell.invalid";

/// The latest time a CXF file may give, in seconds: the last second of 9999.
const MAX_SECONDS: u64 = 253_402_300_799;

/// Reads a CXF JSON file: its logins and passkeys, or the first problem.
///
/// The file is the exchange header (`version`, `accounts`...) or one bare account (`items`...),
/// what the operating systems' credential-exchange flows hand over. Each item is read on its
/// own: an impossible time (negative, fractional, past 9999, not a number) is dropped with a
/// warning, a passkey credwell cannot hold is skipped with a warning, and anything malformed is
/// an error naming the item and its line.
pub(super) fn read(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let text = super::utf8_text(bytes)?;
    if let Some(parsed) = read_typed(text)? {
        return Ok(parsed);
    }
    let document: Value = serde_json::from_str(text).map_err(|e| {
        // serde's message can quote a value; keep only its kind, with the place.
        let kind = match e.classify() {
            serde_json::error::Category::Eof => "ends in the middle of the JSON",
            _ => "is not valid JSON",
        };
        FormatError::at(
            u64::try_from(e.line()).unwrap_or(0),
            format!("the file {kind} (column {})", e.column()),
        )
    })?;
    let accounts = accounts(document)?;
    let ids: Vec<String> = accounts
        .iter()
        .flat_map(|(_, items, _)| items)
        .filter_map(|item| item.get("id")?.as_str().map(str::to_owned))
        .collect();
    let lines = id_lines(text, &ids);
    let mut parsed = Parsed::default();
    let mut line = 1;
    for (a, items, collections) in accounts {
        let folders = cxf_collections::folders(&collections);
        for (n, item) in items.into_iter().enumerate() {
            let id = item.get("id").and_then(Value::as_str).map(str::to_owned);
            // An item without an id is placed after the one before it.
            line = id
                .as_deref()
                .and_then(|id| lines.get(id))
                .copied()
                .unwrap_or(line);
            let name = id
                .clone()
                .unwrap_or_else(|| format!("{} of account {a}", n + 1));
            let filed = id.as_deref().and_then(|id| folders.get(id));
            read_item_value(item, &name, line, filed, &mut parsed)?;
        }
    }
    Ok(parsed)
}

/// The common case read in one typed pass (about three times as fast as item by item): an
/// exchange header of CXF 1.x whose times all are possible and whose passkeys and logins all
/// parse. `None` when the file is anything else, for [`read`]'s item-by-item reading to accept
/// or to say what is wrong where.
fn read_typed(text: &str) -> Result<Option<Parsed>, FormatError> {
    let Ok(header) = serde_json::from_str::<Header>(text) else {
        return Ok(None);
    };
    let items = || header.accounts.iter().flat_map(|a| &a.items);
    const KNOWN: [&str; 3] = ["passkey", "basic-auth", "totp"];
    // A passkey, login or TOTP secret that does not parse as one comes back as an unknown
    // credential.
    let unparsed = items()
        .flat_map(|i| &i.credentials)
        .any(|c| matches!(c, Credential::Unknown { ty, .. } if KNOWN.contains(&ty.as_str())));
    let impossible = items()
        .flat_map(|i| [i.creation_at, i.modified_at])
        .any(|t| t.is_some_and(|t| t > MAX_SECONDS));
    if header.version.major != VERSION.major || unparsed || impossible {
        return Ok(None);
    }
    let ids: Vec<String> = items().map(|item| String::from(&item.id)).collect();
    let lines = id_lines(text, &ids);
    let mut parsed = Parsed::default();
    let mut ids = ids.iter();
    for account in header.accounts {
        // The typed collections as JSON: one reading of them for both ways of reading a file.
        let collections = serde_json::to_value(&account.collections).unwrap_or_default();
        let folders = cxf_collections::folders(&collections);
        for (item, id) in account.items.into_iter().zip(ids.by_ref()) {
            let line = lines.get(id.as_str()).copied().unwrap_or(1);
            read_item(item, line, folders.get(id), &mut parsed)?;
        }
    }
    Ok(Some(parsed))
}

/// The items and collections of each account of a CXF document (numbered from 1): the
/// header's accounts, or the document itself when it is a bare account.
fn accounts(document: Value) -> Result<Vec<(usize, Vec<Value>, Value)>, FormatError> {
    let not_cxf = |why: &str| FormatError::at(1, format!("not a CXF document: {why}"));
    let Value::Object(mut top) = document else {
        return Err(not_cxf("it is not a JSON object"));
    };
    let accounts = match top.remove("accounts") {
        Some(Value::Array(accounts)) => {
            let version = top
                .remove("version")
                .ok_or_else(|| not_cxf("the header has \"accounts\" but no \"version\""))?;
            let version: Version = serde_json::from_value(version)
                .map_err(|_| not_cxf("its \"version\" is not {\"major\": N, \"minor\": N}"))?;
            if version.major != VERSION.major {
                return Err(FormatError::at(
                    1,
                    format!(
                        "CXF version {}.{} is not supported (credwell reads {}.x)",
                        version.major, version.minor, VERSION.major
                    ),
                ));
            }
            accounts
        }
        Some(_) => return Err(not_cxf("its \"accounts\" is not a list")),
        // A bare account, without the exchange header.
        None if top.contains_key("items") => vec![Value::Object(top)],
        None => {
            return Err(not_cxf(
                "it has neither the exchange header's \"accounts\" nor an account's \"items\"",
            ));
        }
    };
    accounts
        .into_iter()
        .zip(1..)
        .map(|(account, a)| match account {
            Value::Object(mut account) => match account.remove("items") {
                Some(Value::Array(items)) => {
                    Ok((a, items, account.remove("collections").unwrap_or_default()))
                }
                _ => Err(not_cxf(&format!("account {a} has no \"items\" list"))),
            },
            _ => Err(not_cxf(&format!("account {a} is not a JSON object"))),
        })
        .collect()
}

/// Reads one item of the JSON document (`id` names it in errors).
fn read_item_value(
    mut item: Value,
    id: &str,
    line: u64,
    folders: Option<&Vec<String>>,
    parsed: &mut Parsed,
) -> Result<(), FormatError> {
    let error = |what: String| FormatError::at(line, format!("item {id}: {what}"));
    let Value::Object(fields) = &mut item else {
        return Err(error("it is not a JSON object".into()));
    };
    let mut clamped = false;
    for key in ["creationAt", "modifiedAt"] {
        let Some(value) = fields.get_mut(key) else {
            continue;
        };
        match possible_seconds(value) {
            Some(seconds) => *value = Value::from(seconds),
            None => {
                fields.remove(key);
                clamped = true;
            }
        }
    }
    if clamped {
        parsed.clamped_times.push(line);
    }
    let credentials = match fields.insert("credentials".into(), Value::Array(Vec::new())) {
        Some(Value::Array(credentials)) => credentials,
        _ => return Err(error("it has no \"credentials\" list".into())),
    };
    // From a reference: the id types borrow their text while decoding it.
    let mut item = Item::deserialize(&item).map_err(|e| error(format!("it {}", data_error(&e))))?;
    for (n, credential) in credentials.into_iter().enumerate() {
        let kind = credential
            .get("type")
            .and_then(Value::as_str)
            .map_or_else(String::new, |t| format!(" ({t:?})"));
        let malformed =
            |e: serde_json::Error| error(format!("credential {}{kind} {}", n + 1, data_error(&e)));
        let read = Credential::deserialize(&credential).map_err(malformed)?;
        // A credential of a known type that does not parse as that type comes back as an
        // unknown one: parse it as its type again, for what is wrong with it.
        if let Credential::Unknown { ty, .. } = &read {
            match ty.as_str() {
                "passkey" => drop(PasskeyCredential::deserialize(&credential).map_err(malformed)?),
                "basic-auth" => {
                    drop(BasicAuthCredential::<()>::deserialize(&credential).map_err(malformed)?);
                }
                "totp" => drop(TotpCredential::deserialize(&credential).map_err(malformed)?),
                _ => {}
            }
        }
        item.credentials.push(read);
    }
    read_item(item, line, folders, parsed)
}

/// A time in seconds as an item gives it, if it is a possible one: a whole or fractional
/// number of seconds from 1970 to 9999.
fn possible_seconds(value: &Value) -> Option<u64> {
    if let Some(seconds) = value.as_u64() {
        return (seconds <= MAX_SECONDS).then_some(seconds);
    }
    let seconds = value.as_f64()?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (seconds.is_finite() && (0.0..=MAX_SECONDS as f64).contains(&seconds)).then_some(seconds as u64)
}

/// What serde found wrong with a part of the document, without the value (it may be a secret).
pub(super) fn data_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    if message.starts_with("missing field") {
        format!("has a {message}")
    } else if message.contains("base64url") {
        "has a value that is not base64url".into()
    } else {
        "has a value of the wrong type (text, number, list...)".into()
    }
}

/// The line on which each of `ids` first appears as a JSON string in `text`: an item's line
/// (serde reports no positions for values it accepted; ids are unique within a file). One pass
/// over the text, whatever the number of items.
pub(super) fn id_lines<'a>(text: &str, ids: &'a [String]) -> HashMap<&'a str, u64> {
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    // Most strings of a file are keys and other values: a string whose first byte no id has
    // is passed over without hashing it.
    let mut first_bytes = [false; 256];
    for id in &wanted {
        first_bytes[id.as_bytes().first().map_or(0, |&b| usize::from(b))] = true;
    }
    let could_be = |s: &str| first_bytes[s.as_bytes().first().map_or(0, |&b| usize::from(b))];
    let mut lines = HashMap::with_capacity(wanted.len());
    let mut line_of = json_text::Lines::new(text);
    for (at, s) in json_text::strings(text) {
        if could_be(s)
            && let Some(&id) = wanted.get(s)
        {
            let line = line_of.of(at);
            lines.entry(id).or_insert(line);
        }
    }
    lines
}

/// Reads one item; `folders` are those of the collections that name it, in the file's order.
fn read_item(
    item: Item,
    number: u64,
    folders: Option<&Vec<String>>,
    parsed: &mut Parsed,
) -> Result<(), FormatError> {
    // The item's id is written out (base64url) only for a message that names it.
    let item_id = &item.id;
    let urls: Vec<String> = item.scope.map(|s| s.urls).unwrap_or_default();
    // A note beside a login in the same item is that login's notes.
    let notes = item
        .credentials
        .iter()
        .filter_map(|c| match c {
            Credential::Note(note) => Some(String::from(note.content.value.clone())),
            _ => None,
        })
        .collect::<Vec<String>>()
        .join("\n");
    let has_login = item
        .credentials
        .iter()
        .any(|c| matches!(c, Credential::BasicAuth(_)));
    let before = parsed.logins.len();
    let mut extras = LoginExtras::default();
    let login = Login {
        id: item_id,
        title: &item.title,
        urls: &urls,
        notes: &notes,
        created: item.creation_at,
        updated: item.modified_at,
    };
    for credential in item.credentials {
        match credential {
            Credential::BasicAuth(basic) => read_basic_auth(*basic, &login, number, parsed)?,
            Credential::Passkey(passkey) => {
                match cxf_passkeys::from_cxf(*passkey, item.creation_at) {
                    Ok(record) => parsed.passkeys.push(record),
                    Err(Problem::Unsupported(why)) => {
                        parsed.skip(number, SkipReason::Unsupported(why));
                    }
                    Err(Problem::Malformed(why)) => {
                        return Err(FormatError::at(number, format!("item {item_id}: {why}")));
                    }
                }
            }
            Credential::Note(_) if has_login => {}
            Credential::Totp(totp) if has_login => match cxf_extras::totp_text(*totp) {
                Ok(text) if extras.totp.is_empty() => extras.totp = text,
                Ok(text) => extras.fields.push(CustomField {
                    name: cxf_extras::TOTP_FIELD.into(),
                    value: text,
                    hidden: true,
                }),
                Err(why) => parsed.skip(number, SkipReason::Unsupported(why)),
            },
            Credential::CustomFields(custom) if has_login => {
                cxf_extras::fields_from_cxf(*custom, &mut extras);
            }
            // A field of a type this version of CXF does not define: its text is kept.
            Credential::Unknown { ty, content } if has_login && ty == "custom-fields" => {
                let fields = cxf_extras::fields_from_json(&content).ok_or_else(|| {
                    FormatError::at(
                        number,
                        format!(
                            "item {item_id}: a custom-fields credential has no \"fields\" list \
                             of fields with text values"
                        ),
                    )
                })?;
                extras.fields.extend(fields);
            }
            _ => parsed.skip(number, SkipReason::NotALogin),
        }
    }
    // The item's notes went with its logins (read_basic_auth); its favourite mark, TOTP secret,
    // custom fields, tags (as 1PUX's: one field) and first folder go too.
    extras.favorite = item.favorite == Some(true);
    if let Some(tags) = item.tags.filter(|t| !t.is_empty()) {
        extras.fields.push(super::tags::tags_field(tags.join(", ")));
    }
    let folders = folders.map_or(&[][..], Vec::as_slice);
    extras.folder = folders.first().cloned().unwrap_or_default();
    let made = parsed.logins.len() > before;
    parsed.unstored(number, Unstored::Folders, made && folders.len() > 1);
    for login in &mut parsed.logins[before..] {
        login.extras = extras.clone();
    }
    Ok(())
}

/// What an item says about the logins of its `basic-auth` credentials.
struct Login<'a> {
    id: &'a B64Url,
    title: &'a str,
    urls: &'a [String],
    notes: &'a str,
    created: Option<u64>,
    updated: Option<u64>,
}

/// The logins of a `basic-auth` credential: one per web URL of its item. Its username and
/// password are moved out of the file's credential, not copied (the last URL's login takes
/// them; one before it, a copy): no copy of the password is left behind unwiped.
fn read_basic_auth(
    basic: BasicAuthCredential,
    item: &Login<'_>,
    number: u64,
    parsed: &mut Parsed,
) -> Result<(), FormatError> {
    let mut username = basic
        .username
        .map(|f| String::from(f.value))
        .unwrap_or_default();
    let Some(mut password) = basic
        .password
        .map(|f| Password::new(String::from(f.value)))
        .filter(|p| !p.is_empty())
    else {
        parsed.skip(number, SkipReason::NoPassword);
        return Ok(());
    };
    if item.urls.is_empty() {
        parsed.skip(number, SkipReason::NoWebOrigin(String::new()));
    }
    let created = item.created.map(|s| Timestamp(s.saturating_mul(1000)));
    let updated = item.updated.map(|s| Timestamp(s.saturating_mul(1000)));
    for (n, url) in item.urls.iter().enumerate() {
        let Some(origin) = login_origin(
            url,
            number,
            format_args!("scope URL {} of item {}", n + 1, item.id),
        )?
        else {
            parsed.skip(number, SkipReason::NoWebOrigin(url.clone()));
            continue;
        };
        let last = n + 1 == item.urls.len();
        let (username, password) = if last {
            (
                std::mem::take(&mut username),
                std::mem::replace(&mut password, Password::new(String::new())),
            )
        } else {
            (username.clone(), password.clone())
        };
        parsed.logins.push(ImportedLogin {
            origin,
            url: url.clone(),
            username,
            password,
            name: item.title.to_owned(),
            notes: item.notes.to_owned(),
            created,
            updated,
            last_used: None,
            history: Vec::new(),
            extras: LoginExtras::default(),
            line: number,
        });
    }
    Ok(())
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
            favorite: login.extras.favorite.then_some(true),
            scope: Some(CredentialScope {
                urls: vec![super::urls::unicode_origin(&login.origin)],
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
            credentials: vec![Credential::Passkey(Box::new(cxf_passkeys::to_cxf(
                passkey,
            )?))],
            tags: None,
            extensions: None,
        });
    }
    let filed = logins.iter().zip(&items);
    let collections =
        cxf_collections::to_cxf(filed.map(|(l, i)| (l.extras.folder.as_str(), &i.id)));
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
            collections,
            items,
            extensions: None,
        }],
    };
    serde_json::to_writer_pretty(&mut output, &header)?;
    output.write_all(b"\n")
}

/// A login's `basic-auth` credential, and beside it a `note` when it has notes, a `totp` and a
/// `custom-fields` credential when it has a TOTP secret or custom fields ([`cxf_extras`]).
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
    let (totp, fields) = cxf_extras::extras_to_cxf(&login.extras);
    if let Some(totp) = totp {
        credentials.push(Credential::Totp(Box::new(totp)));
    }
    if let Some(fields) = fields {
        credentials.push(Credential::CustomFields(Box::new(fields)));
    }
    credentials
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
