//! `credwell list`, and the listing `search` prints too: framed tables on a terminal, plain
//! tab-separated lines in a pipe, or JSON.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use clap::Args;
use comfy_table::{Table, presets};
use credwell_admin::entry::{FieldLimits, algorithm_name, passkey_entry};
use credwell_core::{Credential, Origin, RecordId, StoredCredential};
use credwell_passkey::PasskeyRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agent::Request;
use crate::backend::{self, Backend, Target};
use crate::damaged;
use crate::entries::parse_origin;
use crate::global::Global;
use crate::output::{credential_json, print_json};

/// Options of `credwell list`.
#[derive(Debug, Clone, Args, Serialize, Deserialize)]
pub(crate) struct ListArgs {
    /// Only the credentials of this origin (any URL on it: `https://example.com/login` works).
    #[arg(long, value_name = "URL")]
    pub(crate) origin: Option<String>,
}

/// `credwell list`.
pub(crate) fn list(global: &Global, args: &ListArgs, out: &mut impl Write) -> Result<()> {
    let (json, plain) = (global.json, plain_output());
    match backend::connect(global)? {
        Target::Agent(agent) => agent.run(
            Request::List {
                args: args.clone(),
                json,
                plain,
            },
            out,
        ),
        Target::Local(vault) => list_in(&vault, json, plain, args, out),
    }
}

pub(crate) fn list_in(
    backend: &impl Backend,
    json: bool,
    plain: bool,
    args: &ListArgs,
    out: &mut impl Write,
) -> Result<()> {
    let filter = args
        .origin
        .as_deref()
        .map(|o| parse_origin(o, "--origin"))
        .transpose()?;
    let index = backend.index()?;
    let readable = index.readable();
    // Named on stderr whatever the output format, after the listing of the others.
    let result = list_readable(
        &readable.credentials,
        readable.passkeys.iter().map(|(id, p)| (*id, p)),
        filter.as_ref(),
        json,
        plain,
        out,
    );
    damaged::warn(backend, &readable.damaged, "not listed");
    result
}

pub(crate) fn list_readable<'a>(
    records: impl IntoIterator<Item = &'a StoredCredential>,
    passkeys: impl IntoIterator<Item = (RecordId, &'a PasskeyRecord)>,
    filter: Option<&Origin>,
    json: bool,
    plain: bool,
    out: &mut impl Write,
) -> Result<()> {
    let records: Vec<&StoredCredential> = records
        .into_iter()
        .filter(|r| filter.is_none_or(|o| r.credential.origin().same_origin(o)))
        .collect();
    let passkeys: Vec<(RecordId, &PasskeyRecord)> = passkeys
        .into_iter()
        .filter(|(_, p)| filter.is_none_or(|o| rp_covers(&p.rp_id, o)))
        .collect();
    if json {
        let list: Vec<Value> = records
            .iter()
            .map(|r| credential_json(r, false))
            .chain(
                passkeys
                    .iter()
                    .map(|(id, p)| passkey_entry(*id, p, &FieldLimits::NONE)),
            )
            .collect();
        return print_json(out, &Value::Array(list));
    }
    let passkey_rows: Vec<[String; 6]> = passkeys
        .iter()
        .map(|(id, p)| {
            [
                id.0.to_string(),
                "passkey".to_owned(),
                p.rp_id.clone(),
                p.user_name.clone(),
                p.user_display_name.clone(),
                algorithm_name(p).to_owned(),
            ]
        })
        .collect();
    let rows: Vec<[String; 6]> = records
        .iter()
        .map(|r| {
            let provider = match &r.credential {
                Credential::Federated(f) => f.provider.as_str(),
                _ => "",
            };
            [
                r.record.0.to_string(),
                r.credential.credential_type().to_string(),
                credwell_formats::display_origin(r.credential.origin()),
                r.credential.id().to_owned(),
                r.credential.name().to_owned(),
                provider.to_owned(),
            ]
        })
        .collect();
    if plain {
        // One line a record, fields separated by tabs (tabs and line breaks in a field become
        // spaces), no header and no frame: for `cut`, `awk` and `grep`.
        for row in rows.iter().chain(&passkey_rows) {
            let fields: Vec<String> = row
                .iter()
                .map(|f| f.replace(['\t', '\n', '\r'], " "))
                .collect();
            writeln!(out, "{}", fields.join("\t"))?;
        }
        return Ok(());
    }
    if rows.is_empty() && passkey_rows.is_empty() {
        writeln!(out, "No credentials.")?;
        return Ok(());
    }
    if !passkey_rows.is_empty() {
        let header = ["ID", "TYPE", "RP ID", "USERNAME", "NAME", "ALGORITHM"];
        writeln!(out, "{}", table(header, passkey_rows))?;
        if rows.is_empty() {
            return Ok(());
        }
    }
    let header = ["ID", "TYPE", "ORIGIN", "USERNAME", "NAME", "PROVIDER"];
    writeln!(out, "{}", table(header, rows))?;
    Ok(())
}

/// A framed table for a terminal.
fn table(header: [&str; 6], rows: Vec<[String; 6]>) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_header(header);
    for row in rows {
        table.add_row(row);
    }
    table
}

/// Whether listings print plain tab-separated lines: when stdout is not a terminal.
pub(crate) fn plain_output() -> bool {
    !std::io::stdout().is_terminal()
}

/// Whether a passkey of `rp_id` can be used at `origin`: the RP ID is the origin's host or a
/// domain suffix of it.
fn rp_covers(rp_id: &str, origin: &Origin) -> bool {
    origin
        .host()
        .is_some_and(|host| host == rp_id || host.ends_with(&format!(".{rp_id}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use credwell_core::{Password, PasswordCredential};

    fn text(f: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<String> {
        let mut out = Vec::new();
        f(&mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn password(origin: &str, user: &str, pw: &str) -> Credential {
        Credential::Password(PasswordCredential {
            id: user.into(),
            password: Password::new(pw),
            name: String::new(),
            icon_url: String::new(),
            origin: Origin::parse(origin).unwrap(),
        })
    }

    #[test]
    fn a_terminal_gets_framed_tables_and_a_pipe_plain_lines() {
        let records = vec![StoredCredential {
            record: RecordId(7),
            credential: password("https://a.example", "alice", "s3cret!"),
            created: credwell_core::Timestamp(0),
            updated: credwell_core::Timestamp(0),
            history: Vec::new(),
            extras: Default::default(),
        }];
        let framed = text(|o| list_readable(&records, [], None, false, false, o)).unwrap();
        assert!(
            framed.contains("USERNAME") && framed.contains("┆ alice"),
            "{framed}"
        );
        let plain = text(|o| list_readable(&records, [], None, false, true, o)).unwrap();
        assert_eq!(plain, "7\tpassword\thttps://a.example\talice\t\t\n");
        let empty = text(|o| list_readable([], [], None, false, false, o));
        assert_eq!(empty.unwrap(), "No credentials.\n");
    }
}
