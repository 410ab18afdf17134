//! `--clipboard`: a secret copied to the clipboard instead of printed, and taken off it again
//! after a while (45 s by default).
//!
//! On X11 (and Wayland) a clipboard's contents belong to a running process, which serves them to
//! whoever pastes; they are gone when it exits. So the command that copies starts a small holder
//! process of credwell's own (`credwell clipboard-hold`, hidden), hands it the secret through a
//! pipe, and returns once the holder owns the clipboard. The holder:
//!
//! 1. starts a session of its own and makes itself not dumpable (it holds a secret);
//! 2. reads the secret from its standard input, connects to the clipboard, says `ready`;
//! 3. owns the clipboard until the deadline or until another program takes it over (the user
//!    copied something else), marked for clipboard managers as a secret not to keep in their
//!    history (`x-kde-passwordManagerHint`);
//! 4. if the clipboard still holds the secret, gives it up (empties it), and exits.
//!
//! The secret is never in an argument, the environment or a file.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use arboard::SetExtLinux as _;
use zeroize::Zeroizing;

/// How long a copied secret stays on the clipboard unless `--clear-after` says otherwise.
pub(crate) const DEFAULT_CLEAR_AFTER: Duration = Duration::from_secs(45);

/// Options of the hidden `credwell clipboard-hold`.
#[derive(Debug, clap::Args)]
pub(crate) struct HoldArgs {
    /// Seconds to hold the clipboard.
    #[arg(long)]
    seconds: u64,
}

/// Whether this session has a clipboard at all: an X11 display or a Wayland compositor.
fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// Copies `secret` (what the command would have printed, without its final newline) to the
/// clipboard for `clear_after`; returns once it is there.
pub(crate) fn copy(secret: &[u8], clear_after: Duration) -> Result<()> {
    if !has_display() {
        bail!(
            "there is no clipboard here (neither DISPLAY nor WAYLAND_DISPLAY is set); leave out \
             --clipboard to print it"
        );
    }
    let secret = secret.strip_suffix(b"\n").unwrap_or(secret);
    let mut child = Command::new(std::env::current_exe().context("cannot find credwell itself")?)
        .arg("clipboard-hold")
        .arg("--seconds")
        .arg(clear_after.as_secs().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .current_dir("/")
        .spawn()
        .context("cannot start the clipboard holder")?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        bail!("cannot talk to the clipboard holder");
    };
    stdin.write_all(secret)?;
    drop(stdin);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    if line.trim_end() == "ready" {
        return Ok(());
    }
    let _ = child.wait();
    match line.trim_end().strip_prefix("error: ") {
        Some(message) => bail!("{message}"),
        None => bail!("the clipboard holder stopped before it held the clipboard"),
    }
}

/// `credwell clipboard-hold`: steps 1 to 4 of the module's documentation.
pub(crate) fn hold(args: &HoldArgs) -> Result<ExitCode> {
    // 1.
    let _ = rustix::process::setsid();
    crate::agent::not_dumpable("the clipboard holder");
    // 2.
    let mut secret = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut secret)
        .context("the secret is not UTF-8 text")?;
    let mut stdout = std::io::stdout();
    let mut clipboard = match arboard::Clipboard::new() {
        Ok(clipboard) => clipboard,
        Err(e) => {
            writeln!(stdout, "error: cannot open the clipboard: {e}")?;
            return Ok(ExitCode::FAILURE);
        }
    };
    writeln!(stdout, "ready")?;
    stdout.flush()?;
    // 3. Returns at the deadline, or as soon as another program owns the clipboard.
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    clipboard
        .set()
        .exclude_from_history()
        .wait_until(deadline)
        .text(secret.as_str())
        .context("cannot set the clipboard")?;
    // 4. Someone else's copy is left alone.
    let still_ours = clipboard
        .get_text()
        .map(Zeroizing::new)
        .is_ok_and(|text| *text == *secret);
    if still_ours {
        clipboard.clear().context("cannot empty the clipboard")?;
    }
    Ok(ExitCode::SUCCESS)
}
