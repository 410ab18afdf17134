//! `credwell install` and `credwell uninstall`: register the native-messaging host with browsers.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use manifest::{Registration, Target, uninstall};
use serde_json::{Value, json};

use crate::global::Global;

mod manifest;

/// Where to register (by default: the user's Chromium, Google Chrome and Firefox).
#[derive(Debug, Args)]
pub(crate) struct InstallArgs {
    /// Register inside this Chromium user-data-dir (`DIR/NativeMessagingHosts/`) only.
    #[arg(long, value_name = "DIR")]
    chromium_profile: Option<PathBuf>,
    /// Register for Firefox under this home directory (`DIR/.mozilla/native-messaging-hosts/`)
    /// only.
    #[arg(long, value_name = "DIR")]
    firefox_home: Option<PathBuf>,
    /// The unpacked extension [default: the `extension/` directory next to this build].
    #[arg(long, value_name = "DIR", env = "CREDWELL_EXTENSION_DIR")]
    extension: Option<PathBuf>,
    /// The `credwell-host` executable [default: next to this `credwell`].
    #[arg(long, value_name = "PATH")]
    host: Option<PathBuf>,
}

fn targets(args: &InstallArgs) -> Vec<Target> {
    let mut targets = Vec::new();
    if let Some(dir) = &args.chromium_profile {
        targets.push(Target::ChromiumProfile(dir.clone()));
    }
    if let Some(dir) = &args.firefox_home {
        targets.push(Target::FirefoxHome(dir.clone()));
    }
    if targets.is_empty() {
        targets = vec![Target::Chromium, Target::Chrome, Target::Firefox];
    }
    targets
}

fn home() -> Result<PathBuf> {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .context("HOME is not set, so the per-user browser directories are unknown")
}

/// The extension directory: the flag, else `extension/` in the source tree this binary was built
/// from, else `$XDG_DATA_HOME/credwell/extension`.
fn extension_dir(args: &InstallArgs) -> Result<PathBuf> {
    if let Some(dir) = &args.extension {
        return Ok(dir.clone());
    }
    let exe = std::env::current_exe().context("cannot locate the credwell executable")?;
    let mut candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .map(|d| d.join("extension"))
        .collect();
    if let Ok(home) = home() {
        candidates.push(home.join(".local/share/credwell/extension"));
    }
    candidates
        .into_iter()
        .find(|d| d.join("manifest.json").is_file())
        .context("cannot find the unpacked extension; pass --extension DIR")
}

fn host_path(args: &InstallArgs) -> Result<PathBuf> {
    let path = match &args.host {
        Some(path) => path.clone(),
        None => std::env::current_exe()
            .context("cannot locate the credwell executable")?
            .with_file_name("credwell-host"),
    };
    let path = std::path::absolute(&path).with_context(|| format!("{}", path.display()))?;
    if !path.is_file() {
        bail!(
            "the host executable {} does not exist; build it with \
             `cargo build --release -p credwell-host` or pass --host",
            path.display()
        );
    }
    Ok(path)
}

/// The content scripts `manifest` names that are not in `extension`: they are generated
/// (`node extension/build.mjs --content-scripts`), and a browser refuses to load an unpacked
/// extension whose scripts are missing.
fn missing_content_scripts(extension: &Path, manifest: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let manifest: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", manifest.display()))?;
    let scripts = manifest["content_scripts"].as_array().into_iter().flatten();
    Ok(scripts
        .filter_map(|entry| entry["js"].as_array())
        .flatten()
        .filter_map(Value::as_str)
        .filter(|file| !extension.join(file).is_file())
        .map(str::to_owned)
        .collect())
}

/// `credwell install`.
pub(crate) fn install(global: &Global, args: &InstallArgs, out: &mut impl Write) -> Result<()> {
    let extension = extension_dir(args)?;
    let manifest = extension.join("manifest.json");
    let registration = Registration::from_extension_manifest(&manifest, host_path(args)?)?;
    let home = home().unwrap_or_default();
    let mut written = Vec::new();
    for target in targets(args) {
        written.push(registration.install(&target, &home)?);
    }
    let missing = missing_content_scripts(&extension, &manifest)?;
    let extension = std::path::absolute(&extension).unwrap_or(extension);
    if global.json {
        writeln!(
            out,
            "{}",
            json!({
                "manifests": written,
                "extension": extension,
                "missingContentScripts": missing,
                "chromiumExtensionId": registration.chromium_extension_id,
                "firefoxExtensionId": registration.firefox_extension_id,
                "host": registration.host_path,
            })
        )?;
        return Ok(());
    }
    for path in &written {
        writeln!(
            out,
            "registered the native-messaging host: {}",
            path.display()
        )?;
    }
    writeln!(
        out,
        "\nThe extension is unpacked at {}",
        extension.display()
    )?;
    if !missing.is_empty() {
        writeln!(
            out,
            "Its content scripts are missing ({}): in a source checkout, run \
             `node extension/build.mjs --content-scripts` first, or a browser will refuse to \
             load it.",
            missing.join(", ")
        )?;
    }
    writeln!(
        out,
        "Chromium / Chrome: open chrome://extensions, switch on Developer mode, choose"
    )?;
    writeln!(
        out,
        "  \"Load unpacked\" and select that directory (extension id {}).",
        registration.chromium_extension_id
    )?;
    writeln!(
        out,
        "Firefox: open about:debugging#/runtime/this-firefox, choose \"Load Temporary Add-on\""
    )?;
    writeln!(
        out,
        "  and select {}.",
        extension.join("manifest.json").display()
    )?;
    Ok(())
}

/// `credwell uninstall`.
pub(crate) fn remove(global: &Global, args: &InstallArgs, out: &mut impl Write) -> Result<()> {
    let home = home().unwrap_or_default();
    let mut removed = Vec::new();
    for target in targets(args) {
        if uninstall(&target, &home)? {
            removed.push(target.manifest_path(&home));
        }
    }
    if global.json {
        writeln!(out, "{}", json!({ "removed": removed }))?;
    } else if removed.is_empty() {
        writeln!(out, "nothing to remove: the host was not registered there")?;
    } else {
        for path in removed {
            writeln!(out, "removed {}", path.display())?;
        }
    }
    Ok(())
}
