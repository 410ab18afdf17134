//! 1Password's [1PUX export][1pux] (File → Export → 1PUX): a zip archive whose `export.data`
//! entry is JSON, accounts → vaults → items. Read only: credwell does not write 1PUX.
//!
//! ```json
//! {"accounts": [{"attrs": {...}, "vaults": [{"attrs": {"name": "Personal", ...},
//!   "items": [{"uuid": "...", "favIndex": 1, "createdAt": 1619467985, "updatedAt": 1619468230,
//!              "state": "active", "categoryUuid": "001",
//!              "details": {"loginFields": [{"value": "...", "name": "username",
//!                                           "fieldType": "T", "designation": "username"}, ...],
//!                          "notesPlain": "...", "sections": [{"title": "...", "fields": [
//!                            {"title": "...", "value": {"concealed": "..."}}, ...]}],
//!                          "passwordHistory": [{"value": "...", "time": 1619467985}]},
//!              "overview": {"title": "...", "url": "https://...",
//!                           "urls": [{"label": "", "url": "https://..."}], "tags": [...]}}]}]}]}
//! ```
//!
//! Only logins (`categoryUuid` `001`) are imported: their username and password are the login
//! fields designated so; each distinct web origin of `overview.url` and `overview.urls` gives a
//! login. An item keeps its title, notes (`notesPlain`), times (`createdAt` and `updatedAt`,
//! seconds), favourite mark (`favIndex` above 0), password history, its vault's name as its
//! folder, and as custom fields its tags (one field `Tags`, comma-separated), its other login
//! fields and its sections' fields (`Section: Field`; `concealed` values hidden). The first
//! `totp` field is its TOTP secret. Archived items are imported like the others, as 1Password's
//! CSV export lists them.
//!
//! Errors name the archive's entry, its line and the item's uuid; they never quote a value.
//!
//! [1pux]: https://support.1password.com/1pux-format/

use std::collections::HashSet;

use credwell_core::{CustomField, Password, PastPassword, SecretText};
use serde::Deserialize;
use serde_json::Value;
use zeroize::Zeroizing;

use super::archive::{Archive, MAX_ENTRY_BYTES};
use super::cxf::{data_error, id_lines};
use super::json_text;
use super::{
    FormatError, ImportedLogin, LoginExtras, Parsed, SkipReason, from_seconds, login_origin,
};

/// The entry of the archive that holds the accounts, vaults and items.
pub(super) const DATA: &str = "export.data";

/// 1Password's category of logins.
const LOGIN: &str = "001";

#[derive(Deserialize)]
struct Export {
    accounts: Vec<Account>,
}

#[derive(Deserialize)]
struct Account {
    #[serde(default)]
    vaults: Vec<Vault>,
}

#[derive(Deserialize)]
struct Vault {
    #[serde(default)]
    attrs: VaultAttrs,
    #[serde(default)]
    items: Vec<Value>,
}

#[derive(Deserialize, Default)]
struct VaultAttrs {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    uuid: String,
    #[serde(default)]
    fav_index: i64,
    #[serde(default)]
    created_at: Option<i64>,
    #[serde(default)]
    updated_at: Option<i64>,
    #[serde(default)]
    category_uuid: String,
    #[serde(default)]
    details: Details,
    #[serde(default)]
    overview: Overview,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Details {
    #[serde(default)]
    login_fields: Vec<LoginField>,
    #[serde(default)]
    notes_plain: Option<String>,
    #[serde(default)]
    sections: Vec<Section>,
    #[serde(default)]
    password_history: Vec<Past>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginField {
    #[serde(default)]
    value: Zeroizing<String>,
    #[serde(default)]
    name: String,
    /// `P` for a password field, `T` text, `E` e-mail, `C` a check box...
    #[serde(default)]
    field_type: String,
    #[serde(default)]
    designation: String,
}

#[derive(Deserialize)]
struct Section {
    #[serde(default)]
    title: String,
    #[serde(default)]
    fields: Vec<SectionField>,
}

#[derive(Deserialize)]
struct SectionField {
    #[serde(default)]
    title: String,
    /// One key, the field's kind (`string`, `concealed`, `totp`, `email`, `date`...), and its
    /// value.
    #[serde(default)]
    value: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
struct Past {
    value: Zeroizing<String>,
    time: i64,
}

#[derive(Deserialize, Default)]
struct Overview {
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    urls: Vec<OverviewUrl>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
struct OverviewUrl {
    #[serde(default)]
    url: String,
}

/// Reads a 1PUX archive: every login of every vault, or the first problem.
pub(super) fn read(bytes: &[u8]) -> Result<Parsed, FormatError> {
    if !super::archive::is_zip(bytes) {
        return Err(FormatError::at(
            1,
            "the file is not a zip archive, which a 1PUX export is",
        ));
    }
    let mut archive = Archive::open(bytes)?;
    if !archive.has(DATA) {
        return Err(FormatError {
            line: None,
            reason: format!("the archive has no {DATA} entry, which every 1PUX export has"),
        });
    }
    let data = archive.read(DATA, MAX_ENTRY_BYTES)?;
    read_data(&data)
}

/// Reads the JSON of `export.data`.
pub(super) fn read_data(data: &[u8]) -> Result<Parsed, FormatError> {
    let in_data = |line: u64, why: String| FormatError {
        line: None,
        reason: format!("{DATA}, line {line}: {why}"),
    };
    let (text, export): (_, Export) =
        json_text::document(data, "it is not a 1PUX export: its accounts")
            .map_err(|(line, why)| in_data(line, why))?;
    let ids: Vec<String> = (export.accounts.iter())
        .flat_map(|a| &a.vaults)
        .flat_map(|v| &v.items)
        .filter_map(|i| Some(i.get("uuid")?.as_str()?.to_owned()))
        .collect();
    let lines = id_lines(text, &ids);
    let mut parsed = Parsed::default();
    let mut line = 1;
    for vault in export.accounts.into_iter().flat_map(|a| a.vaults) {
        for value in vault.items {
            let uuid = value.get("uuid").and_then(Value::as_str).unwrap_or("");
            // An item without a uuid is placed after the one before it.
            line = lines.get(uuid).copied().unwrap_or(line);
            let item = Item::deserialize(&value).map_err(|e| {
                let name = if uuid.is_empty() {
                    "without a uuid"
                } else {
                    uuid
                };
                in_data(line, format!("item {name} {}", data_error(&e)))
            })?;
            read_item(item, &vault.attrs.name, line, &mut parsed)?;
        }
    }
    Ok(parsed)
}

fn read_item(item: Item, vault: &str, line: u64, parsed: &mut Parsed) -> Result<(), FormatError> {
    if item.category_uuid != LOGIN {
        parsed.skip(line, SkipReason::NotALogin);
        return Ok(());
    }
    let mut username = None;
    let mut password = None;
    let mut extras = LoginExtras {
        folder: vault.to_owned(),
        favorite: item.fav_index > 0,
        ..LoginExtras::default()
    };
    for field in item.details.login_fields {
        match field.designation.as_str() {
            "username" if username.is_none() => username = Some(field.value),
            "password" if password.is_none() => password = Some(field.value),
            _ if !field.value.is_empty() => extras.fields.push(CustomField {
                name: field.name,
                hidden: field.field_type == "P",
                value: SecretText::new(field.value.as_str()),
            }),
            _ => {}
        }
    }
    for section in item.details.sections {
        for field in section.fields {
            section_field(&section.title, field, &mut extras);
        }
    }
    if !item.overview.tags.is_empty() {
        extras
            .fields
            .push(super::tags::tags_field(item.overview.tags.join(", ")));
    }
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        parsed.skip(line, SkipReason::NoPassword);
        return Ok(());
    };
    let [created, updated] = parsed.times_in_seconds(line, [item.created_at, item.updated_at]);
    let mut history: Vec<PastPassword> = item
        .details
        .password_history
        .into_iter()
        .filter(|p| !p.value.is_empty())
        .filter_map(|p| {
            Some(PastPassword {
                password: Password::new(p.value.as_str()),
                replaced: from_seconds(p.time)?,
            })
        })
        .collect();
    history.sort_by_key(|h| h.replaced);
    let urls: Vec<String> = std::iter::once(item.overview.url)
        .chain(item.overview.urls.into_iter().map(|u| u.url))
        .filter(|u| !u.trim().is_empty())
        .collect();
    if urls.is_empty() {
        parsed.skip(line, SkipReason::NoWebOrigin(String::new()));
        return Ok(());
    }
    let mut origins = HashSet::new();
    for url in &urls {
        let field = format!("URL of item {}", item.uuid);
        let Some(origin) = login_origin(url, line, &field).map_err(|e| FormatError {
            line: None,
            reason: format!("{DATA}, line {line}: {}", e.reason),
        })?
        else {
            parsed.skip(line, SkipReason::NoWebOrigin(url.clone()));
            continue;
        };
        if !origins.insert(origin.clone()) {
            continue;
        }
        let username = username.as_deref().map_or("", String::as_str);
        let mut login = ImportedLogin::new(origin, username, Password::new(password.as_str()));
        login.url = url.clone();
        login.name = item.overview.title.clone();
        login.notes = item.details.notes_plain.clone().unwrap_or_default();
        login.created = created;
        login.updated = updated;
        login.history = history.clone();
        login.extras = extras.clone();
        login.line = line;
        parsed.logins.push(login);
    }
    Ok(())
}

/// Keeps a section's field: the first TOTP as the TOTP secret, the rest as custom fields.
fn section_field(section: &str, field: SectionField, extras: &mut LoginExtras) {
    let Some((kind, value)) = field.value.into_iter().next() else {
        return;
    };
    let text = Zeroizing::new(match value {
        Value::Null => String::new(),
        Value::String(s) => s,
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        // An e-mail field is {"email_address": ..., "provider": ...}.
        Value::Object(ref o) if o.get("email_address").is_some_and(Value::is_string) => o
            .get("email_address")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        // Addresses, SSH keys...: their JSON, which loses nothing.
        other => other.to_string(),
    });
    if text.is_empty() {
        return;
    }
    if kind == "totp" && extras.totp.is_empty() {
        extras.totp = SecretText::new(text.as_str());
        return;
    }
    let name = match (section.is_empty(), field.title.is_empty()) {
        (false, false) => format!("{section}: {}", field.title),
        (false, true) => section.to_owned(),
        (true, _) => field.title,
    };
    let hidden = matches!(
        kind.as_str(),
        "concealed" | "totp" | "creditCardNumber" | "sshKey"
    );
    extras.fields.push(CustomField {
        name,
        value: SecretText::new(text.as_str()),
        hidden,
    });
}
