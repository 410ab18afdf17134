//! `credwell install` and `credwell uninstall`: register the native-messaging host with browsers.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use manifest::{InstallError, Registration, Target, uninstall};
use serde_json::{Value, json};

use crate::global::Global;

mod launcher;
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

/// The targets the arguments name, or else the user's Chromium, Google Chrome and Firefox.
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

/// The targets to install for: a directory named on the command line must exist (a typo must not
/// create a profile nobody uses); of the default browsers, those whose directory exists, the
/// others listed as skipped. No browser at all is an error.
fn install_targets(args: &InstallArgs, home: &Path) -> Result<(Vec<Target>, Vec<Target>)> {
    let named = args.chromium_profile.is_some() || args.firefox_home.is_some();
    let (found, skipped): (Vec<Target>, Vec<Target>) = targets(args)
        .into_iter()
        .partition(|target| target.profile_root(home).is_dir());
    if named {
        if let Some(target) = skipped.into_iter().next() {
            let (what, hint) = match target {
                Target::FirefoxHome(_) => (
                    "the Firefox home directory",
                    "pass an existing directory (Firefox looks under DIR/.mozilla/)",
                ),
                _ => (
                    "the Chromium profile directory",
                    "start Chromium once with --user-data-dir=DIR, or check the path",
                ),
            };
            return Err(InstallError::NoProfile {
                what,
                path: target.profile_root(home),
                hint,
            }
            .into());
        }
        return Ok((found, Vec::new()));
    }
    if found.is_empty() {
        let looked: Vec<String> = skipped
            .iter()
            .map(|t| t.profile_root(home).display().to_string())
            .collect();
        bail!(
            "no browser profile found (none of {} exists): start Chromium, Google Chrome or \
             Firefox once, or pass --chromium-profile DIR or --firefox-home DIR",
            looked.join(", ")
        );
    }
    Ok((found, skipped))
}

fn home() -> Result<PathBuf> {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .context("HOME is not set, so the per-user browser directories are unknown")
}

/// Where the unpacked extension may be, in order: `extension/` in the source tree this binary
/// was built in (`target/release/credwell` → `./extension`); `PREFIX/share/credwell/extension`
/// beside an installed binary (`PREFIX/bin/credwell`, as `/usr/local/bin` or `~/.cargo/bin`);
/// `$XDG_DATA_HOME/credwell/extension` (default `~/.local/share/credwell/extension`).
fn extension_candidates(exe: &Path, home: Option<&Path>, xdg_data: Option<&Path>) -> Vec<PathBuf> {
    let mut candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .map(|d| d.join("extension"))
        .collect();
    if let Some(prefix) = exe.parent().and_then(Path::parent) {
        candidates.push(prefix.join("share/credwell/extension"));
    }
    match (xdg_data.filter(|d| d.is_absolute()), home) {
        (Some(data), _) => candidates.push(data.join("credwell/extension")),
        (None, Some(home)) => candidates.push(home.join(".local/share/credwell/extension")),
        (None, None) => {}
    }
    candidates
}

/// The extension directory: the flag, else the first of [`extension_candidates`] that holds a
/// `manifest.json`.
fn extension_dir(args: &InstallArgs) -> Result<PathBuf> {
    if let Some(dir) = &args.extension {
        return Ok(dir.clone());
    }
    let exe = std::env::current_exe().context("cannot locate the credwell executable")?;
    let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
    let xdg_data = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from);
    let candidates = extension_candidates(&exe, home().ok().as_deref(), xdg_data.as_deref());
    candidates
        .iter()
        .find(|d| d.join("manifest.json").is_file())
        .cloned()
        .with_context(|| {
            let last = candidates.len().saturating_sub(2);
            format!(
                "cannot find the unpacked extension (looked beside the binary and in {}); \
                 pass --extension DIR",
                candidates[last..]
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        })
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
    // `--vault` (or CREDWELL_VAULT) names the vault the browser's host opens: a launcher carries
    // it, since a manifest cannot (launcher.rs).
    let vault = match &global.vault {
        Some(vault) => {
            Some(std::path::absolute(vault).with_context(|| format!("{}", vault.display()))?)
        }
        None => None,
    };
    let home = home().unwrap_or_default();
    let (targets, skipped) = install_targets(args, &home)?;
    let mut written = Vec::new();
    for target in &targets {
        let path = target.manifest_path(&home);
        let registration = match &vault {
            Some(vault) => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                }
                Registration {
                    host_path: launcher::write(&path, &registration.host_path, vault)?,
                    ..registration.clone()
                }
            }
            None => {
                // An earlier `--vault` install's launcher is no longer named; it goes.
                launcher::remove(&path)?;
                registration.clone()
            }
        };
        written.push(registration.install(target, &home)?);
    }
    let missing = missing_content_scripts(&extension, &manifest)?;
    let extension = std::path::absolute(&extension).unwrap_or(extension);
    let skipped: Vec<(&str, PathBuf)> = skipped
        .iter()
        .map(|t| (t.browser(), t.profile_root(&home)))
        .collect();
    if global.json {
        writeln!(
            out,
            "{}",
            json!({
                "manifests": written,
                "skipped": skipped
                    .iter()
                    .map(|(browser, dir)| json!({ "browser": browser, "notFound": dir }))
                    .collect::<Vec<_>>(),
                "vault": vault,
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
    for (browser, dir) in &skipped {
        writeln!(out, "skipped {browser}: {} does not exist", dir.display())?;
    }
    match &vault {
        Some(vault) => writeln!(out, "The host opens the vault {}", vault.display())?,
        None => writeln!(
            out,
            "The host opens the default vault (or CREDWELL_VAULT in the browser's environment)"
        )?,
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
        let path = target.manifest_path(&home);
        if launcher::remove(&path)? {
            removed.push(launcher::path_for(&path));
        }
        if uninstall(&target, &home)? {
            removed.push(path);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_is_looked_for_in_the_tree_the_prefix_and_the_data_dir() {
        let exe = Path::new("/opt/cw/bin/credwell");
        let home = Path::new("/home/u");
        let with_xdg = extension_candidates(exe, Some(home), Some(Path::new("/data")));
        assert_eq!(
            with_xdg,
            [
                "/opt/cw/bin/extension",
                "/opt/cw/extension",
                "/opt/extension",
                "/extension",
                "/opt/cw/share/credwell/extension",
                "/data/credwell/extension",
            ]
            .map(PathBuf::from)
        );
        // A relative XDG_DATA_HOME is ignored, as the XDG spec says.
        let without = extension_candidates(exe, Some(home), Some(Path::new("rel")));
        assert_eq!(
            without.last().unwrap(),
            Path::new("/home/u/.local/share/credwell/extension")
        );
    }
}
