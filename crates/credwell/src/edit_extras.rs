//! What `credwell edit` changes besides the credential itself: the record's extras (note, TOTP
//! secret, custom fields, folder, favourite mark).
//!
//! The options are read and checked by the command line ([`ExtrasArgs::read`]: files and stdin
//! read, the TOTP secret validated) before the vault is opened or the agent is asked, and the
//! result ([`ExtrasEdit`]) is what the agent receives. Errors name the option and, for a custom
//! field, its name; never a note, a TOTP secret or a field's value.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use credwell_core::{CustomField, Extras, SecretText};
use serde::{Deserialize, Serialize};

use crate::agent::Secret;
use crate::input;
use crate::totp::Totp;

/// The options of `credwell edit` that change a credential's extras.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ExtrasArgs {
    /// A new note (visible to other processes while the command runs: prefer --note-file for
    /// secrets).
    #[arg(long, value_name = "TEXT", value_parser = secret_arg)]
    pub(crate) note: Option<Secret>,
    /// Read the new note from FILE (`-`: stdin), trailing newline removed.
    #[arg(long, value_name = "FILE", conflicts_with = "note")]
    pub(crate) note_file: Option<PathBuf>,
    /// Remove the note.
    #[arg(long, conflicts_with_all = ["note", "note_file"])]
    pub(crate) clear_note: bool,
    /// Read a new TOTP secret from FILE (`-`: stdin): an `otpauth://totp/...` URI or a base32
    /// secret, checked before it is stored.
    #[arg(long, value_name = "FILE")]
    pub(crate) totp_file: Option<PathBuf>,
    /// Remove the TOTP secret.
    #[arg(long, conflicts_with = "totp_file")]
    pub(crate) clear_totp: bool,
    /// Set custom field NAME to VALUE, adding it when there is none of that name (repeatable);
    /// a field keeps whether it is hidden.
    #[arg(long = "field", value_name = "NAME=VALUE", value_parser = secret_arg)]
    pub(crate) fields: Vec<Secret>,
    /// The same for a hidden field (a PIN, an answer): shown only with --reveal (repeatable).
    #[arg(long = "hidden-field", value_name = "NAME=VALUE", value_parser = secret_arg)]
    pub(crate) hidden_fields: Vec<Secret>,
    /// Remove the custom field NAME (repeatable; before any --field).
    #[arg(long = "remove-field", value_name = "NAME")]
    pub(crate) remove_fields: Vec<String>,
    /// Move the credential to a folder (nested: `Work/Mail`; `""` takes it out of its folder).
    #[arg(long, value_name = "PATH")]
    pub(crate) folder: Option<String>,
    /// Mark the credential a favourite.
    #[arg(long, visible_alias = "favourite")]
    pub(crate) favorite: bool,
    /// Remove the favourite mark.
    #[arg(long, visible_alias = "no-favourite", conflicts_with = "favorite")]
    pub(crate) no_favorite: bool,
}

/// An option's value kept as a secret: clap's own parse errors would quote it.
fn secret_arg(text: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(text))
}

/// The changes to a record's extras, read and checked: what the agent is sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExtrasEdit {
    /// The new note (`""`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<Secret>,
    /// The new TOTP secret, already validated (`""`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) totp: Option<Secret>,
    /// Custom fields to set: name, value, and whether it becomes hidden (else it stays as it
    /// is, and a new one is not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) set_fields: Vec<(String, Secret, bool)>,
    /// Custom fields to remove, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) remove_fields: Vec<String>,
    /// The new folder (`""`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) folder: Option<String>,
    /// The new favourite mark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) favorite: Option<bool>,
}

impl ExtrasArgs {
    /// Reads the files the options name and checks every value; `password_stdin` says whether
    /// stdin is taken by the password already.
    pub(crate) fn read(&self, password_stdin: bool) -> Result<ExtrasEdit> {
        // Refused before any of them reads: the first would take what the other is for.
        input::one_stdin_reader(&[
            ("--password-stdin", password_stdin),
            (
                "--note-file",
                self.note_file.as_deref().is_some_and(input::is_stdin),
            ),
            (
                "--totp-file",
                self.totp_file.as_deref().is_some_and(input::is_stdin),
            ),
        ])?;
        let note = match (&self.note, &self.note_file, self.clear_note) {
            (Some(note), _, _) => Some(note.clone()),
            (None, Some(file), _) => Some(read_text(file, "--note-file", "note")?),
            (None, None, true) => Some(Secret::default()),
            (None, None, false) => None,
        };
        let totp = match (&self.totp_file, self.clear_totp) {
            (Some(file), _) => {
                let text = read_text(file, "--totp-file", "TOTP secret")?;
                let trimmed = Secret::new(text.expose().trim());
                Totp::parse(trimmed.expose())
                    .with_context(|| format!("--totp-file {}", file.display()))?;
                Some(trimmed)
            }
            (None, true) => Some(Secret::default()),
            (None, false) => None,
        };
        let mut set_fields = Vec::with_capacity(self.fields.len() + self.hidden_fields.len());
        let given = (self.fields.iter().map(|f| (f, false)))
            .chain(self.hidden_fields.iter().map(|f| (f, true)));
        for (field, hidden) in given {
            let option = if hidden { "--hidden-field" } else { "--field" };
            let Some((name, value)) = field.expose().split_once('=') else {
                bail!("{option} takes NAME=VALUE; one has no `=`");
            };
            if name.trim().is_empty() {
                bail!("{option} takes NAME=VALUE; one has an empty NAME");
            }
            set_fields.push((name.to_owned(), Secret::new(value), hidden));
        }
        if self.remove_fields.iter().any(|n| n.trim().is_empty()) {
            bail!("--remove-field takes the name of a custom field, not an empty one");
        }
        let favorite = match (self.favorite, self.no_favorite) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        };
        Ok(ExtrasEdit {
            note,
            totp,
            set_fields,
            remove_fields: self.remove_fields.clone(),
            folder: self.folder.clone(),
            favorite,
        })
    }
}

impl ExtrasEdit {
    /// Whether nothing changes.
    pub(crate) fn is_empty(&self) -> bool {
        self.note.is_none()
            && self.totp.is_none()
            && self.set_fields.is_empty()
            && self.remove_fields.is_empty()
            && self.folder.is_none()
            && self.favorite.is_none()
    }

    /// Applies the changes to `extras` (of credential `id`, as errors name it). A field to
    /// remove must be there; a field to set changes the first of its name (hidden from then on
    /// when set as hidden, else as hidden as it was), or is added at the end.
    pub(crate) fn apply(&self, id: u64, extras: &mut Extras) -> Result<()> {
        if let Some(note) = &self.note {
            extras.notes = SecretText::new(note.expose());
        }
        if let Some(totp) = &self.totp {
            // Checked again here: the agent gets it over its socket.
            if !totp.expose().is_empty() {
                Totp::parse(totp.expose()).context("the new TOTP secret")?;
            }
            extras.totp = SecretText::new(totp.expose());
        }
        for name in &self.remove_fields {
            let before = extras.fields.len();
            extras.fields.retain(|f| f.name != *name);
            if extras.fields.len() == before {
                bail!("credential {id} has no custom field {name:?}");
            }
        }
        for (name, value, hidden) in &self.set_fields {
            match extras.fields.iter_mut().find(|f| f.name == *name) {
                Some(field) => {
                    field.value = SecretText::new(value.expose());
                    field.hidden |= hidden;
                }
                None => extras.fields.push(CustomField {
                    name: name.clone(),
                    value: SecretText::new(value.expose()),
                    hidden: *hidden,
                }),
            }
        }
        if let Some(folder) = &self.folder {
            extras.folder = folder.trim_matches('/').to_owned();
        }
        if let Some(favorite) = self.favorite {
            extras.favorite = favorite;
        }
        Ok(())
    }
}

/// A file's text (`-`: stdin, for `option`), one trailing line ending removed.
fn read_text(path: &Path, option: &str, what: &str) -> Result<Secret> {
    let mut text = input::read_text(path, option, what)?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(Secret::new(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ExtrasArgs {
        ExtrasArgs::default()
    }

    #[test]
    fn fields_are_set_replaced_and_removed_by_name() {
        let mut extras = Extras::default();
        extras.fields.push(CustomField {
            name: "PIN".into(),
            value: SecretText::new("1111"),
            hidden: true,
        });
        extras.fields.push(CustomField {
            name: "old".into(),
            value: SecretText::new("x"),
            hidden: false,
        });
        let edit = ExtrasArgs {
            fields: vec![Secret::new("PIN=2222"), Secret::new("Account=a=b")],
            hidden_fields: vec![Secret::new("Answer=blue")],
            remove_fields: vec!["old".into()],
            folder: Some("/Work/Mail/".into()),
            favorite: true,
            ..args()
        }
        .read(false)
        .unwrap();
        edit.apply(7, &mut extras).unwrap();
        let fields: Vec<(&str, &str, bool)> = extras
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.value.expose(), f.hidden))
            .collect();
        assert_eq!(
            fields,
            [
                ("PIN", "2222", true),
                ("Account", "a=b", false),
                ("Answer", "blue", true)
            ]
        );
        assert_eq!(extras.folder, "Work/Mail");
        assert!(extras.favorite);

        let missing = ExtrasArgs {
            remove_fields: vec!["nope".into()],
            ..args()
        }
        .read(false)
        .unwrap()
        .apply(7, &mut extras)
        .unwrap_err();
        assert_eq!(
            missing.to_string(),
            "credential 7 has no custom field \"nope\""
        );
    }

    #[test]
    fn bad_fields_are_named_without_their_value() {
        for (field, want) in [
            ("s3cretvalue", "no `=`"),
            ("=s3cretvalue", "empty NAME"),
            (" =s3cretvalue", "empty NAME"),
        ] {
            let err = ExtrasArgs {
                fields: vec![Secret::new(field)],
                ..args()
            }
            .read(false)
            .unwrap_err()
            .to_string();
            assert!(
                err.contains(want) && err.starts_with("--field "),
                "{field}: {err}"
            );
            assert!(!err.contains("s3cret"), "{err}");
            let err = ExtrasArgs {
                hidden_fields: vec![Secret::new(field)],
                ..args()
            }
            .read(false)
            .unwrap_err()
            .to_string();
            assert!(
                err.contains(want) && err.starts_with("--hidden-field "),
                "{err}"
            );
            assert!(!err.contains("s3cret"), "{err}");
        }
    }

    #[test]
    fn a_bad_totp_secret_is_refused_even_when_it_comes_from_the_agent_socket() {
        let edit = ExtrasEdit {
            totp: Some(Secret::new("not*base32!s3cret")),
            ..ExtrasEdit::default()
        };
        let err = edit.apply(1, &mut Extras::default()).unwrap_err();
        let shown = format!("{err:#}");
        assert!(shown.contains("not base32"), "{shown}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn only_one_option_reads_stdin() {
        let both = ExtrasArgs {
            note_file: Some("-".into()),
            totp_file: Some("-".into()),
            ..args()
        };
        assert!(
            both.read(false)
                .unwrap_err()
                .to_string()
                .contains("--note-file and --totp-file both read stdin")
        );
        let with_password = ExtrasArgs {
            note_file: Some("-".into()),
            ..args()
        };
        assert!(with_password.read(true).is_err());
    }

    #[test]
    fn the_edit_sent_to_the_agent_never_shows_secrets_in_debug() {
        let edit = ExtrasEdit {
            note: Some(Secret::new("recovery s3cret")),
            totp: Some(Secret::new("GEZDGNBV")),
            set_fields: vec![("PIN".into(), Secret::new("4242"), true)],
            ..ExtrasEdit::default()
        };
        let shown = format!("{edit:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("GEZDGNBV") && !shown.contains("4242"),
            "{shown}"
        );
        let shown = format!(
            "{:?}",
            ExtrasArgs {
                note: Some(Secret::new("recovery s3cret")),
                fields: vec![Secret::new("PIN=4242")],
                ..args()
            }
        );
        assert!(
            !shown.contains("s3cret") && !shown.contains("4242"),
            "{shown}"
        );
    }
}
