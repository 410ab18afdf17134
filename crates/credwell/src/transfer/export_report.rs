//! What `credwell export` says once the export is written: how many credentials went out, and
//! what the format had no place for, as text on stderr or, with `--json`, as one JSON object.

use std::io::Write;

use anyhow::Result;
use credwell_formats::{Format, Unstored};
use serde_json::{Map, Value, json};

use super::plural;
use crate::output::print_json;

/// Something a format has no place for, left out of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LeftOut {
    /// A login's notes, TOTP secret, custom fields, folder or favourite mark.
    Extra(Unstored),
    /// Passkeys (every format but cxf and bitwarden-json).
    Passkeys,
    /// Passkeys' prf secrets (every format but cxf).
    PrfSecrets,
    /// Passkeys' large blobs (every format).
    LargeBlobs,
    /// Federated sign-ins (every format).
    Federated,
}

impl LeftOut {
    /// The kind as a key of the JSON report's `notExported`; a login's extras have the keys
    /// the import's `notStored` gives them.
    fn key(self) -> &'static str {
        match self {
            LeftOut::Extra(kind) => kind.key(),
            LeftOut::Passkeys => "passkeys",
            LeftOut::PrfSecrets => "prfSecrets",
            LeftOut::LargeBlobs => "largeBlobs",
            LeftOut::Federated => "federatedCredentials",
        }
    }

    /// The warning for `n` of them left out of a `format` export.
    fn warning(self, n: usize, format: Format) -> String {
        match self {
            LeftOut::Extra(kind) => format!(
                "the {} of {} not exported: {format} has no place for them",
                kind.as_str(),
                plural(n, "password credential")
            ),
            LeftOut::Passkeys => format!(
                "{} not exported: {format} has no place for passkeys (use `credwell export cxf` \
                 or `credwell export bitwarden-json`)",
                plural(n, "passkey")
            ),
            LeftOut::PrfSecrets => format!(
                "the prf secrets of {} not exported: {format} has no place for them (use \
                 `credwell export cxf`); sites that encrypt with them cannot decrypt for the \
                 passkey imported elsewhere",
                plural(n, "passkey")
            ),
            LeftOut::LargeBlobs => format!(
                "the large blobs of {} not exported: {format} has no place for them",
                plural(n, "passkey")
            ),
            LeftOut::Federated => format!(
                "{} not exported: {format} has no place for federated sign-ins",
                plural(n, "federated credential")
            ),
        }
    }
}

/// Everything an export reports once written.
#[derive(Debug)]
pub(super) struct ExportReport {
    pub(super) format: Format,
    /// Where the export went, as messages name it (`stdout` for `-`).
    pub(super) target: String,
    /// Password credentials written.
    pub(super) passwords: usize,
    /// Passkeys written.
    pub(super) passkeys: usize,
    /// Logins with a value written behind a `'` so that spreadsheets do not run it.
    pub(super) formula_guarded: usize,
    /// What the format had no place for, with how many credentials had it; none with 0.
    pub(super) left_out: Vec<(LeftOut, usize)>,
    /// Damaged records left out (`--skip-damaged`).
    pub(super) damaged: usize,
}

impl ExportReport {
    /// The summary line.
    fn summary(&self) -> String {
        let mut written = plural(self.passwords, "password credential");
        if self.passkeys > 0 {
            written += &format!(" and {}", plural(self.passkeys, "passkey"));
        }
        format!("Exported {written} to {}.", self.target)
    }

    /// The warnings, each a sentence without the `warning: ` before it.
    fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.formula_guarded > 0 {
            warnings.push(format!(
                "{} a username or password that starts with =, +, -, @, a tab or a carriage \
                 return, written behind a ' so that spreadsheets do not run it as a formula; \
                 `credwell import` removes the ', other password managers keep it \
                 (bitwarden-json and cxf carry every value as it is)",
                if self.formula_guarded == 1 {
                    "1 login has".to_owned()
                } else {
                    format!("{} logins have", self.formula_guarded)
                }
            ));
        }
        for &(kind, n) in &self.left_out {
            warnings.push(kind.warning(n, self.format));
        }
        warnings
    }

    /// The report as JSON: `warnings` holds every warning the text gives, those said before
    /// the export was written (`before`) first, so that a script reading only the JSON misses
    /// none.
    fn json(&self, before: &[String]) -> Value {
        let mut not_exported: Map<String, Value> = (self.left_out.iter())
            .map(|&(kind, n)| (kind.key().to_owned(), json!(n)))
            .collect();
        if self.damaged > 0 {
            not_exported.insert("damaged".to_owned(), json!(self.damaged));
        }
        let mut warnings = before.to_vec();
        warnings.extend(self.warnings());
        json!({
            "file": self.target,
            "format": self.format.as_str(),
            "passwords": self.passwords,
            "passkeys": self.passkeys,
            "formulaGuarded": self.formula_guarded,
            "notExported": not_exported,
            "warnings": warnings,
        })
    }

    /// Says the report: as text on stderr; with `json`, as one JSON object on `out` (stdout)
    /// when the export went to a file (the warnings on stderr too, as an import says them), else
    /// on stderr alone: stdout carries the export, whose data must stay clean, and stderr
    /// carries nothing but the object, so that it parses.
    pub(super) fn say(
        &self,
        json: bool,
        to_stdout: bool,
        before: &[String],
        out: &mut impl Write,
    ) -> Result<()> {
        let warn = || {
            for warning in self.warnings() {
                eprintln!("warning: {warning}");
            }
        };
        match (json, to_stdout) {
            (true, true) => print_json(&mut std::io::stderr().lock(), &self.json(before)),
            (true, false) => {
                warn();
                print_json(out, &self.json(before))
            }
            (false, _) => {
                eprintln!("{}", self.summary());
                warn();
                Ok(())
            }
        }
    }
}
