//! The launcher `credwell --vault PATH install` registers in place of the host.
//!
//! A native-messaging manifest names an executable and nothing else: no arguments, no
//! environment. The host opens `CREDWELL_VAULT`, else the default vault, so a vault chosen at
//! install time has to travel in the program the browser starts. The launcher is a two-line
//! shell script beside the manifest that sets `CREDWELL_VAULT` and `exec`s the real host with the
//! browser's arguments. It holds paths only, never a secret, and only its owner may run or change
//! it.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::manifest::InstallError;

/// The launcher's file name, beside the manifest it is named in.
const FILE_NAME: &str = "org.credwell.host-launcher";

/// Where the launcher for the manifest at `manifest` goes.
pub(crate) fn path_for(manifest: &Path) -> PathBuf {
    manifest.with_file_name(FILE_NAME)
}

/// `text` as one POSIX shell word: single-quoted, each `'` written as `'\''`.
fn shell_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `path` as text, or the error that names it.
fn utf8(path: &Path) -> Result<&str, InstallError> {
    path.to_str()
        .ok_or_else(|| InstallError::NotUtf8Path(path.to_owned()))
}

/// The launcher's text: run `host` on `vault`.
fn script(host: &Path, vault: &Path) -> Result<String, InstallError> {
    Ok(format!(
        "#!/bin/sh\n\
         # Written by `credwell --vault ... install`: the browser starts credwell's host\n\
         # on this vault.\n\
         CREDWELL_VAULT={}\nexport CREDWELL_VAULT\nexec {} \"$@\"\n",
        shell_quoted(utf8(vault)?),
        shell_quoted(utf8(host)?),
    ))
}

/// Writes the launcher for the manifest at `manifest` (owner-only, executable), replacing any
/// earlier one whole; returns its path.
pub(crate) fn write(manifest: &Path, host: &Path, vault: &Path) -> Result<PathBuf, InstallError> {
    let path = path_for(manifest);
    let text = script(host, vault)?;
    let tmp = path.with_extension("tmp");
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| InstallError::Io { path, source }
    };
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o700)
        .open(&tmp)
        .map_err(io(&tmp))?;
    file.write_all(text.as_bytes()).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    // The mode asked for at creation is masked by the umask; set it exactly.
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o700)).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    Ok(path)
}

/// Removes the launcher beside the manifest at `manifest`; whether one was there.
pub(crate) fn remove(manifest: &Path) -> Result<bool, InstallError> {
    let path = path_for(manifest);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(InstallError::Io { path, source }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_launcher_runs_the_host_on_the_vault_whatever_the_paths_hold() {
        let dir = tempfile::tempdir().unwrap();
        // A host that prints the vault it was given and its arguments.
        let host = dir.path().join("it's a \"host\" $(x)");
        std::fs::write(
            &host,
            "#!/bin/sh\nprintf '%s|' \"$CREDWELL_VAULT\" \"$@\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&host, std::fs::Permissions::from_mode(0o755)).unwrap();
        let vault = dir.path().join("my 'vault' `y`.sqlite");
        let manifest = dir.path().join("org.credwell.host.json");
        let launcher = write(&manifest, &host, &vault).unwrap();
        assert_eq!(launcher, path_for(&manifest));
        let mode = std::fs::metadata(&launcher).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let out = std::process::Command::new(&launcher)
            .arg("chrome-extension://abc/")
            .arg("--parent-window=0")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            format!(
                "{}|chrome-extension://abc/|--parent-window=0|",
                vault.display()
            )
        );
        assert!(remove(&manifest).unwrap());
        assert!(!launcher.exists());
        assert!(!remove(&manifest).unwrap());
    }

    #[test]
    fn a_path_that_is_not_utf8_is_refused_by_name() {
        use std::os::unix::ffi::OsStrExt;
        let vault = Path::new(std::ffi::OsStr::from_bytes(b"/tmp/\xff.sqlite"));
        let err = script(Path::new("/bin/true"), vault).unwrap_err();
        assert!(matches!(err, InstallError::NotUtf8Path(_)), "{err}");
    }
}
