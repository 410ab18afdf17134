//! Output helpers: credentials as JSON and as table cells, progress bars and confirmations on
//! stderr.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, Result};
use credwell_admin::entry::{FieldLimits, credential_entry};
use credwell_core::{Credential, StoredCredential};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

/// What is shown in place of a password that was not asked for.
pub(crate) const HIDDEN: &str = "********";

/// A stored credential as JSON (`credwell_admin::entry`, the manager page's shape too). The
/// password is included only when `reveal`.
pub(crate) fn credential_json(stored: &StoredCredential, reveal: bool) -> Value {
    let mut value = credential_entry(stored, &FieldLimits::NONE);
    if let (Credential::Password(p), true) = (&stored.credential, reveal) {
        value["password"] = json!(p.password.expose());
    }
    value
}

/// Writes `value` as pretty JSON and a newline.
pub(crate) fn print_json(out: &mut impl Write, value: &Value) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// A progress bar on stderr for `len` steps, hidden when stderr is not a terminal.
pub(crate) fn progress(len: u64, message: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len).with_message(message);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Asks a yes/no question on stderr and reads the answer from the terminal on stdin. Fails when
/// stdin is not a terminal, naming `flag` as the way to say yes non-interactively.
pub(crate) fn confirm(question: &str, flag: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("refusing without confirmation: stdin is not a terminal; pass {flag}");
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}
