//! Bitwarden's unencrypted JSON export (Tools → Export vault → `.json`):
//!
//! ```json
//! {"encrypted": false, "folders": [{"id": "...", "name": "..."}],
//!  "items": [{"type": 1, "name": "...", "notes": null,
//!             "login": {"uris": [{"match": null, "uri": "https://..."}],
//!                       "username": "...", "password": "...", "totp": null,
//!                       "fido2Credentials": []}, ...}]}
//! ```
//!
//! Only login items (`"type": 1`) are imported; cards, identities and notes are skipped. A login
//! with several URIs gives one login per distinct web origin. A login's passkeys
//! (`fido2Credentials`, [`bitwarden_fido2`](super::bitwarden_fido2)) are imported with it, also
//! when it has no password. Encrypted exports are refused.

use std::io::Write;

use credwell_core::{CustomField, Password, PastPassword, SecretText, Timestamp};
use credwell_passkey::PasskeyRecord;
use serde::{Deserialize, Serialize};

use super::bitwarden_fido2::{self, Fido2In, Fido2Out};
use super::json_text::{self, Token};
use super::passkeys::Problem;
use super::{
    FormatError, ImportedLogin, LoginExtras, Parsed, SkipReason, Unstored, login_origin,
    title_or_host,
};

/// The item type of a login.
const LOGIN: u8 = 1;

#[derive(Deserialize)]
struct Export {
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    folders: Option<Vec<Folder>>,
    /// An organisation's export: its collections, which its items name in `collectionIds`
    /// (in place of a folder).
    #[serde(default)]
    collections: Option<Vec<Folder>>,
    items: Option<Vec<Item>>,
}

/// A folder: its id (what items name in `folderId`) and its name (`/` between nested names).
#[derive(Deserialize, Serialize)]
struct Folder {
    id: String,
    name: String,
}

/// A custom field: `type` 0 is text, 1 hidden, 2 a boolean, 3 linked (to the username or
/// password, without a value of its own).
#[derive(Deserialize)]
struct FieldIn {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(rename = "type", default)]
    kind: u8,
}

/// A linked custom field: it names another field and has no value to keep.
const LINKED: u8 = 3;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    login: Option<Login>,
    #[serde(default)]
    creation_date: Option<String>,
    #[serde(default)]
    revision_date: Option<String>,
    #[serde(default)]
    deleted_date: Option<String>,
    #[serde(default)]
    folder_id: Option<String>,
    #[serde(default)]
    collection_ids: Option<Vec<String>>,
    #[serde(default)]
    favorite: Option<bool>,
    #[serde(default)]
    fields: Option<Vec<FieldIn>>,
    #[serde(default)]
    password_history: Option<Vec<PastIn>>,
}

/// An entry of an item's `passwordHistory`: a password it had and when it stopped using it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PastIn {
    #[serde(default)]
    last_used_date: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

#[derive(Deserialize)]
struct Login {
    #[serde(default)]
    uris: Option<Vec<Uri>>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    totp: Option<String>,
    #[serde(default, rename = "fido2Credentials")]
    fido2_credentials: Option<Vec<Fido2In>>,
}

#[derive(Deserialize)]
struct Uri {
    #[serde(default)]
    uri: Option<String>,
}

/// Reads a Bitwarden JSON export.
pub(super) fn read(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let text = super::utf8_text(bytes)?;
    let export: Export = serde_json::from_str(text).map_err(json_error)?;
    if export.encrypted {
        return Err(FormatError::at(
            1,
            "this Bitwarden export is encrypted; export the vault again as unencrypted JSON",
        ));
    }
    let Some(items) = export.items else {
        return Err(FormatError::at(
            1,
            "not a Bitwarden JSON export: there is no \"items\" list",
        ));
    };
    let lines = item_lines(text);
    let mut parsed = Parsed::default();
    for (index, item) in items.into_iter().enumerate() {
        let line = lines.get(index).copied().unwrap_or(0);
        if item.kind != LOGIN {
            parsed.skip(line, SkipReason::NotALogin);
            continue;
        }
        if item.deleted_date.is_some() {
            parsed.skip(line, SkipReason::InRecycleBin);
            continue;
        }
        let Some(login) = item.login else {
            return Err(FormatError::at(
                line,
                format!(
                    "item {} is a login (\"type\": 1) with no \"login\" object",
                    index + 1
                ),
            ));
        };
        let created = parsed.iso8601_time(line, item.creation_date.as_deref());
        let updated = parsed.iso8601_time(line, item.revision_date.as_deref());
        let fido2 = login.fido2_credentials.unwrap_or_default();
        let has_passkeys = !fido2.is_empty();
        for (n, fido2) in fido2.into_iter().enumerate() {
            match bitwarden_fido2::read(fido2, created) {
                Ok(read) => {
                    if read.counted {
                        parsed.passkey_counters.push(line);
                    }
                    if read.clamped && parsed.clamped_times.last() != Some(&line) {
                        parsed.clamped_times.push(line);
                    }
                    parsed.passkeys.push(read.record);
                }
                Err(Problem::Unsupported(why)) => parsed.skip(line, SkipReason::Unsupported(why)),
                Err(Problem::Malformed(why)) => {
                    return Err(FormatError::at(
                        line,
                        format!("item {}, passkey {}: {why}", index + 1, n + 1),
                    ));
                }
            }
        }
        let uris: Vec<String> = login
            .uris
            .unwrap_or_default()
            .into_iter()
            .filter_map(|u| u.uri)
            .collect();
        let mut origins = Vec::new();
        for (n, uri) in uris.iter().enumerate() {
            let field = format!("\"uri\" {} of item {}", n + 1, index + 1);
            if let Some(origin) = login_origin(uri, line, &field)?
                && !origins.iter().any(|(o, _)| *o == origin)
            {
                origins.push((origin, uri.clone()));
            }
        }
        let password = Password::new(login.password.unwrap_or_default());
        // A passkey's item needs neither a password nor a web URL: the passkey is its entry.
        if has_passkeys && (origins.is_empty() || password.is_empty()) {
            continue;
        }
        if origins.is_empty() {
            let first = uris.into_iter().next().unwrap_or_default();
            parsed.skip(line, SkipReason::NoWebOrigin(first));
            continue;
        }
        if password.is_empty() {
            parsed.skip(line, SkipReason::NoPassword);
            continue;
        }
        // Linked fields name another field and have no value: the one kind not kept.
        let fields = item.fields.unwrap_or_default();
        let linked = fields.iter().any(|f| f.kind == LINKED);
        parsed.unstored(line, Unstored::CustomFields, linked);
        // A login keeps one folder: its own, else (an organisation's item) its first
        // collection, as Bitwarden's CSV writes it; any other collection is said left out.
        let named = |list: &Option<Vec<Folder>>, id: &str| {
            let list = list.as_deref().unwrap_or_default();
            list.iter().find(|f| f.id == id).map(|f| f.name.clone())
        };
        let mut places = (item.folder_id.as_deref())
            .and_then(|id| named(&export.folders, id))
            .into_iter()
            .chain(
                (item.collection_ids.iter().flatten())
                    .filter_map(|id| named(&export.collections, id)),
            );
        let folder = places.next();
        parsed.unstored(line, Unstored::Folders, places.next().is_some());
        let extras = LoginExtras {
            totp: SecretText::new(login.totp.unwrap_or_default().trim()),
            fields: fields
                .into_iter()
                .filter(|f| f.kind != LINKED)
                .map(|f| CustomField {
                    name: f.name.unwrap_or_default(),
                    value: SecretText::new(f.value.unwrap_or_default()),
                    hidden: f.kind == 1,
                })
                .collect(),
            folder: folder.unwrap_or_default(),
            favorite: item.favorite == Some(true),
        };
        let username = login.username.unwrap_or_default();
        let name = item.name.unwrap_or_default();
        let notes = item.notes.unwrap_or_default();
        let mut history: Vec<PastPassword> = item
            .password_history
            .unwrap_or_default()
            .into_iter()
            .filter_map(|past| {
                let password = Password::new(past.password?);
                if password.is_empty() {
                    return None;
                }
                // A date that cannot be used is dropped with the import's warning, as the
                // item's own are; the item's last revision stands in for it.
                let replaced = parsed.iso8601_time(line, past.last_used_date.as_deref());
                Some(PastPassword {
                    password,
                    replaced: replaced.or(updated).unwrap_or(Timestamp(0)),
                })
            })
            .collect();
        // Bitwarden lists the most recent first; credwell keeps the oldest first.
        history.sort_by_key(|h| h.replaced);
        for (origin, url) in origins {
            parsed.logins.push(ImportedLogin {
                origin,
                url,
                username: username.clone(),
                password: password.clone(),
                name: name.clone(),
                notes: notes.clone(),
                created,
                updated,
                last_used: None,
                history: history.clone(),
                extras: extras.clone(),
                line,
            });
        }
    }
    Ok(parsed)
}

/// A serde error as a [`FormatError`], without the offending value (it may be a secret).
fn json_error(error: serde_json::Error) -> FormatError {
    let reason = match error.classify() {
        serde_json::error::Category::Io => "cannot be read".to_owned(),
        serde_json::error::Category::Syntax => "is not valid JSON".to_owned(),
        serde_json::error::Category::Eof => "ends in the middle of the JSON".to_owned(),
        serde_json::error::Category::Data => {
            let message = error.to_string();
            match message.split(" at line ").next() {
                Some(m) if m.starts_with("missing field") => format!("has an item with a {m}"),
                _ => "has a value of the wrong type (text, number, list...)".to_owned(),
            }
        }
    };
    FormatError::at(
        u64::try_from(error.line()).unwrap_or(0),
        format!(
            "not a Bitwarden JSON export: the file {reason} (column {})",
            error.column()
        ),
    )
}

/// The line on which each element of the top-level `"items"` array starts, found by scanning the
/// JSON text (serde reports lines only for syntax errors).
fn item_lines(text: &str) -> Vec<u64> {
    let mut lines = Vec::new();
    let mut depth = 0_usize;
    let (mut in_items, mut expecting, mut last_key_was_items) = (false, false, false);
    for (line, token) in json_text::tokens(text) {
        if in_items && depth == 2 && expecting && token != Token::Other(b']') {
            lines.push(line);
            expecting = false;
        }
        match token {
            Token::String(s) if depth == 1 => last_key_was_items = s == "items",
            Token::Other(c @ (b'{' | b'[')) => {
                depth += 1;
                if depth == 2 && c == b'[' && last_key_was_items && lines.is_empty() {
                    in_items = true;
                    expecting = true;
                }
            }
            Token::Other(b'}' | b']') => {
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    in_items = false;
                }
            }
            Token::Other(b',') if in_items && depth == 2 => expecting = true,
            _ => {}
        }
    }
    lines
}

#[derive(Serialize)]
struct ExportOut<'a> {
    encrypted: bool,
    folders: Vec<Folder>,
    items: Vec<ItemOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemOut<'a> {
    password_history: Option<Vec<PastOut<'a>>>,
    revision_date: Option<String>,
    creation_date: Option<String>,
    deleted_date: Option<()>,
    organization_id: Option<()>,
    folder_id: Option<String>,
    #[serde(rename = "type")]
    kind: u8,
    reprompt: u8,
    name: String,
    notes: Option<&'a str>,
    favorite: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<FieldOut<'a>>,
    login: LoginOut<'a>,
    collection_ids: Option<()>,
}

#[derive(Serialize)]
struct FieldOut<'a> {
    name: &'a str,
    value: &'a str,
    #[serde(rename = "type")]
    kind: u8,
    #[serde(rename = "linkedId")]
    linked_id: Option<()>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PastOut<'a> {
    last_used_date: String,
    password: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoginOut<'a> {
    fido2_credentials: Vec<Fido2Out>,
    uris: [UriOut<'a>; 1],
    username: Option<&'a str>,
    password: Option<&'a str>,
    totp: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UriOut<'a> {
    #[serde(rename = "match")]
    match_kind: Option<()>,
    uri: &'a str,
}

/// Writes a Bitwarden unencrypted JSON export, every login a `"type": 1` item with one URI, and
/// every passkey a login item of its own with no password.
pub(super) fn write(
    logins: &[ImportedLogin],
    passkeys: &[PasskeyRecord],
    mut output: impl Write,
) -> std::io::Result<()> {
    let date = |t: Option<Timestamp>| t.map(Timestamp::to_iso8601);
    // One folder per distinct path, its id a number in order of first use.
    let mut folders: Vec<Folder> = Vec::new();
    let mut folder_of = |path: &str| -> Option<String> {
        if path.is_empty() {
            return None;
        }
        if let Some(f) = folders.iter().find(|f| f.name == path) {
            return Some(f.id.clone());
        }
        let id = format!("credwell-folder-{}", folders.len() + 1);
        folders.push(Folder {
            id: id.clone(),
            name: path.to_owned(),
        });
        Some(id)
    };
    let mut items: Vec<ItemOut<'_>> = logins
        .iter()
        .map(|l| ItemOut {
            password_history: (!l.history.is_empty()).then(|| {
                l.history
                    .iter()
                    .rev()
                    .map(|h| PastOut {
                        last_used_date: h.replaced.to_iso8601(),
                        password: h.password.expose(),
                    })
                    .collect()
            }),
            revision_date: date(l.updated.or(l.created)),
            creation_date: date(l.created),
            deleted_date: None,
            organization_id: None,
            folder_id: folder_of(&l.extras.folder),
            kind: LOGIN,
            reprompt: 0,
            name: title_or_host(l),
            notes: (!l.notes.is_empty()).then_some(l.notes.as_str()),
            favorite: l.extras.favorite,
            fields: l
                .extras
                .fields
                .iter()
                .map(|f| FieldOut {
                    name: &f.name,
                    value: f.value.expose(),
                    kind: u8::from(f.hidden),
                    linked_id: None,
                })
                .collect(),
            login: LoginOut {
                fido2_credentials: Vec::new(),
                uris: [UriOut {
                    match_kind: None,
                    uri: &l.url,
                }],
                username: (!l.username.is_empty()).then_some(l.username.as_str()),
                password: Some(l.password.expose()),
                totp: (!l.extras.totp.is_empty()).then(|| l.extras.totp.expose()),
            },
            collection_ids: None,
        })
        .collect();
    let urls: Vec<String> = passkeys
        .iter()
        .map(|p| format!("https://{}", p.rp_id))
        .collect();
    for (passkey, url) in passkeys.iter().zip(&urls) {
        let created = Some(Timestamp(passkey.created_at));
        items.push(ItemOut {
            password_history: None,
            revision_date: date(created),
            creation_date: date(created),
            deleted_date: None,
            organization_id: None,
            folder_id: None,
            kind: LOGIN,
            reprompt: 0,
            name: passkey.rp_id.clone(),
            notes: None,
            favorite: false,
            fields: Vec::new(),
            login: LoginOut {
                fido2_credentials: vec![bitwarden_fido2::write(passkey)?],
                uris: [UriOut {
                    match_kind: None,
                    uri: url,
                }],
                username: (!passkey.user_name.is_empty()).then_some(passkey.user_name.as_str()),
                password: None,
                totp: None,
            },
            collection_ids: None,
        });
    }
    let export = ExportOut {
        encrypted: false,
        folders,
        items,
    };
    serde_json::to_writer_pretty(&mut output, &export)?;
    output.write_all(b"\n")?;
    output.flush()
}
