//! Proton Pass's JSON export (Settings → Export, unencrypted): a `.json` file, or the `.zip`
//! Proton Pass writes with it as `Proton Pass/data.json`. Read only: credwell does not write it.
//!
//! ```json
//! {"version": "1.21.2", "userId": "...", "encrypted": false,
//!  "vaults": {"SHARE_ID": {"name": "Personal", "description": "...", "items": [
//!    {"itemId": "...", "shareId": "...", "state": 1, "pinned": false,
//!     "createTime": 1689182868, "modifyTime": 1689182868,
//!     "data": {"type": "login", "metadata": {"name": "...", "note": "...", "itemUuid": "..."},
//!              "extraFields": [{"fieldName": "...", "type": "text|hidden|totp",
//!                               "data": {"content": "..."} or {"totpUri": "..."}}],
//!              "content": {"itemEmail": "...", "itemUsername": "...", "password": "...",
//!                          "urls": ["https://..."], "totpUri": "otpauth://...",
//!                          "passkeys": []}}}]}}}
//! ```
//!
//! Only `login` items are imported, one login per distinct web origin of `urls`. The username is
//! `itemUsername`, or `itemEmail` when that is empty (older exports have one `username`); an
//! e-mail beside a username is kept as a custom field `Email`. An item keeps its title and notes
//! (`metadata`), times (`createTime`, `modifyTime`: seconds), TOTP secret (`totpUri`), extra
//! fields as custom fields (`hidden` ones hidden; a `totp` one is the TOTP secret when the item
//! has none), `pinned` as its favourite mark and its vault's name as its folder. Items in the
//! trash (`state` 2) are skipped. An encrypted export (`"encrypted": true`, a PGP message, or
//! `data.pgp` in the zip) is refused: credwell asks for the unencrypted one.

use std::collections::HashSet;

use credwell_core::{CustomField, Password, SecretText};
use serde::Deserialize;
use serde_json::Value;
use zeroize::Zeroizing;

use super::archive::{self, Archive, MAX_ENTRY_BYTES};
use super::cxf::{data_error, id_lines};
use super::json_text;
use super::{FormatError, ImportedLogin, LoginExtras, Parsed, SkipReason, login_origin};

/// The entry of Proton Pass's zip that holds the export.
pub(super) const DATA: &str = "Proton Pass/data.json";

/// The entry of an encrypted export's zip.
pub(super) const ENCRYPTED_DATA: &str = "Proton Pass/data.pgp";

/// What an encrypted export is told.
const ENCRYPTED: &str = "this Proton Pass export is encrypted (PGP), which credwell does not \
                         read: export it again from Proton Pass without encryption (Settings → \
                         Export, file format JSON or ZIP, encryption off)";

/// An item in the trash.
const TRASHED: i64 = 2;

#[derive(Deserialize)]
struct Export {
    #[serde(default)]
    encrypted: bool,
    vaults: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
struct Vault {
    #[serde(default)]
    name: String,
    #[serde(default)]
    items: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(default)]
    state: i64,
    #[serde(default)]
    pinned: bool,
    #[serde(default)]
    create_time: Option<i64>,
    #[serde(default)]
    modify_time: Option<i64>,
    data: Data,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    extra_fields: Vec<ExtraField>,
    /// A login's; other kinds' content has other keys.
    #[serde(default)]
    content: Value,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    name: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExtraField {
    #[serde(default)]
    field_name: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    data: ExtraData,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ExtraData {
    #[serde(default)]
    content: Option<Zeroizing<String>>,
    #[serde(default)]
    totp_uri: Option<Zeroizing<String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Login {
    #[serde(default)]
    item_email: Zeroizing<String>,
    #[serde(default)]
    item_username: Zeroizing<String>,
    /// Older exports' one username (or e-mail).
    #[serde(default)]
    username: Zeroizing<String>,
    #[serde(default)]
    password: Zeroizing<String>,
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default)]
    totp_uri: Zeroizing<String>,
}

/// Whether `bytes` are an OpenPGP message in its armoured form (Proton Pass's encrypted
/// export).
pub(super) fn is_pgp(bytes: &[u8]) -> bool {
    let text = bytes.trim_ascii_start();
    text.starts_with(b"-----BEGIN PGP MESSAGE-----")
}

/// Reads a Proton Pass export, JSON or zip: its logins, or the first problem.
pub(super) fn read(bytes: &[u8]) -> Result<Parsed, FormatError> {
    if is_pgp(bytes) {
        return Err(FormatError::at(1, ENCRYPTED));
    }
    if !archive::is_zip(bytes) {
        return read_json(bytes, None);
    }
    let mut archive = Archive::open(bytes)?;
    if archive.has(ENCRYPTED_DATA) && !archive.has(DATA) {
        return Err(FormatError {
            line: None,
            reason: format!("the archive's entry {ENCRYPTED_DATA}: {ENCRYPTED}"),
        });
    }
    if !archive.has(DATA) {
        return Err(FormatError {
            line: None,
            reason: format!("the archive has no {DATA} entry, which Proton Pass's zip has"),
        });
    }
    let data = archive.read(DATA, MAX_ENTRY_BYTES)?;
    read_json(&data, Some(DATA))
}

/// Reads the JSON document; `entry` names the archive's entry it came from, if any (errors
/// name it with the line, as the line of the zip file would mean nothing).
fn read_json(bytes: &[u8], entry: Option<&str>) -> Result<Parsed, FormatError> {
    let at = |line: u64, why: String| match entry {
        Some(entry) => FormatError {
            line: None,
            reason: format!("the archive's entry {entry}, line {line}: {why}"),
        },
        None => FormatError::at(line, why),
    };
    let (text, export): (_, Export) =
        json_text::document(bytes, "it is not a Proton Pass export: it")
            .map_err(|(line, why)| at(line, why))?;
    if export.encrypted {
        return Err(at(1, ENCRYPTED.into()));
    }
    // The vaults in the file's order (a JSON object's keys come back sorted).
    let keys: Vec<String> = export.vaults.keys().cloned().collect();
    let key_lines = id_lines(text, &keys);
    let mut vaults = Vec::with_capacity(export.vaults.len());
    for (id, vault) in export.vaults {
        let line = key_lines.get(id.as_str()).copied().unwrap_or(1);
        let vault = Vault::deserialize(&vault)
            .map_err(|e| at(line, format!("vault {id} {}", data_error(&e))))?;
        vaults.push((line, vault));
    }
    vaults.sort_by_key(|(line, _)| *line);
    let vaults: Vec<Vault> = vaults.into_iter().map(|(_, v)| v).collect();
    let ids: Vec<String> = (vaults.iter().flat_map(|v| &v.items))
        .filter_map(|i| Some(i.get("itemId")?.as_str()?.to_owned()))
        .collect();
    let lines = id_lines(text, &ids);
    let mut parsed = Parsed::default();
    let mut line = 1;
    for vault in vaults {
        for value in vault.items {
            let id = value.get("itemId").and_then(Value::as_str).unwrap_or("");
            // An item without an id is placed after the one before it.
            line = lines.get(id).copied().unwrap_or(line);
            let name = if id.is_empty() {
                "without an itemId"
            } else {
                id
            };
            let item = Item::deserialize(&value)
                .map_err(|e| at(line, format!("item {name} {}", data_error(&e))))?;
            let error = |e: FormatError| at(line, e.reason);
            read_item(item, name, &vault.name, line, &mut parsed).map_err(error)?;
        }
    }
    Ok(parsed)
}

fn read_item(
    item: Item,
    id: &str,
    vault: &str,
    line: u64,
    parsed: &mut Parsed,
) -> Result<(), FormatError> {
    if item.data.kind != "login" {
        parsed.skip(line, SkipReason::NotALogin);
        return Ok(());
    }
    if item.state == TRASHED {
        parsed.skip(line, SkipReason::InRecycleBin);
        return Ok(());
    }
    let login = Login::deserialize(&item.data.content)
        .map_err(|e| FormatError::at(line, format!("item {id}: its content {}", data_error(&e))))?;
    let mut extras = LoginExtras {
        totp: SecretText::new(login.totp_uri.trim()),
        folder: vault.to_owned(),
        favorite: item.pinned,
        ..LoginExtras::default()
    };
    let username = [&login.item_username, &login.item_email, &login.username]
        .into_iter()
        .find(|u| !u.is_empty())
        .map_or("", |u| u.as_str());
    if !login.item_username.is_empty() && !login.item_email.is_empty() {
        extras.fields.push(CustomField {
            name: "Email".into(),
            value: SecretText::new(login.item_email.as_str()),
            hidden: false,
        });
    }
    for field in item.data.extra_fields {
        let text = field
            .data
            .content
            .or(field.data.totp_uri)
            .unwrap_or_default();
        if field.kind == "totp" && extras.totp.is_empty() && !text.is_empty() {
            extras.totp = SecretText::new(text.as_str());
            continue;
        }
        extras.fields.push(CustomField {
            name: field.field_name,
            value: SecretText::new(text.as_str()),
            hidden: matches!(field.kind.as_str(), "hidden" | "totp"),
        });
    }
    if login.password.is_empty() {
        parsed.skip(line, SkipReason::NoPassword);
        return Ok(());
    }
    let [created, updated] = parsed.times_in_seconds(line, [item.create_time, item.modify_time]);
    let urls: Vec<&String> = login.urls.iter().filter(|u| !u.trim().is_empty()).collect();
    if urls.is_empty() {
        parsed.skip(line, SkipReason::NoWebOrigin(String::new()));
        return Ok(());
    }
    let mut origins = HashSet::new();
    for url in urls {
        let field = format!("URL of item {id}");
        let Some(origin) = login_origin(url, line, &field)? else {
            parsed.skip(line, SkipReason::NoWebOrigin(url.clone()));
            continue;
        };
        if !origins.insert(origin.clone()) {
            continue;
        }
        let mut imported =
            ImportedLogin::new(origin, username, Password::new(login.password.as_str()));
        imported.url = url.clone();
        imported.name = item.data.metadata.name.clone();
        imported.notes = item.data.metadata.note.clone();
        imported.created = created;
        imported.updated = updated;
        imported.extras = extras.clone();
        imported.line = line;
        parsed.logins.push(imported);
    }
    Ok(())
}
