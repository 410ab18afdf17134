//! The native-messaging manifests: where each browser looks for them, what they say, and
//! writing and removing them.
//!
//! | browser | per-user manifest directory (Linux) |
//! |---|---|
//! | Chromium | `~/.config/chromium/NativeMessagingHosts/` |
//! | Google Chrome | `~/.config/google-chrome/NativeMessagingHosts/` |
//! | Firefox | `~/.mozilla/native-messaging-hosts/` |
//! | a given Chromium profile (`--user-data-dir`) | `DIR/NativeMessagingHosts/` |
//!
//! Chromium-family manifests name the extension by origin (`allowed_origins`), Firefox by add-on
//! id (`allowed_extensions`). The Chromium extension id is derived from the `key` in the
//! extension's `manifest.json`, exactly as Chromium does: the first 128 bits of SHA-256 of the
//! public key, written with the letters `a` to `p`.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The host's registered name (what the extension passes to `connectNative`).
pub(crate) const HOST_NAME: &str = "org.credwell.host";

/// Where a manifest goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// The user's Chromium.
    Chromium,
    /// The user's Google Chrome.
    Chrome,
    /// The user's Firefox.
    Firefox,
    /// A Chromium user-data-dir (tests, throwaway profiles).
    ChromiumProfile(PathBuf),
    /// A home directory for Firefox (tests, throwaway profiles).
    FirefoxHome(PathBuf),
}

impl Target {
    /// The manifest file for this target, given the user's home directory.
    pub(crate) fn manifest_path(&self, home: &Path) -> PathBuf {
        let dir = match self {
            Self::Chromium => home.join(".config/chromium/NativeMessagingHosts"),
            Self::Chrome => home.join(".config/google-chrome/NativeMessagingHosts"),
            Self::Firefox => home.join(".mozilla/native-messaging-hosts"),
            Self::ChromiumProfile(dir) => dir.join("NativeMessagingHosts"),
            Self::FirefoxHome(dir) => dir.join(".mozilla/native-messaging-hosts"),
        };
        dir.join(format!("{HOST_NAME}.json"))
    }

    /// The directory that shows the browser (or the given profile) is there: the browser creates
    /// it on its first start. A manifest is written only where it exists.
    pub(crate) fn profile_root(&self, home: &Path) -> PathBuf {
        match self {
            Self::Chromium => home.join(".config/chromium"),
            Self::Chrome => home.join(".config/google-chrome"),
            Self::Firefox => home.join(".mozilla"),
            Self::ChromiumProfile(dir) | Self::FirefoxHome(dir) => dir.clone(),
        }
    }

    /// The browser's name, for messages.
    pub(crate) fn browser(&self) -> &'static str {
        match self {
            Self::Chromium | Self::ChromiumProfile(_) => "Chromium",
            Self::Chrome => "Google Chrome",
            Self::Firefox | Self::FirefoxHome(_) => "Firefox",
        }
    }

    fn is_firefox(&self) -> bool {
        matches!(self, Self::Firefox | Self::FirefoxHome(_))
    }
}

/// Why installing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum InstallError {
    /// The extension's `manifest.json` could not be read or has no usable `key`.
    #[error("cannot read the extension manifest {path}: {reason}")]
    ExtensionManifest {
        /// The manifest path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The host executable path is not absolute (browsers require an absolute path).
    #[error("the host path {0} must be absolute")]
    RelativeHostPath(PathBuf),
    /// A path the launcher would have to name is not UTF-8 (a shell script cannot quote it
    /// portably).
    #[error("the path {} is not UTF-8, so the host launcher cannot name it", .0.display())]
    NotUtf8Path(PathBuf),
    /// A profile directory given on the command line does not exist.
    #[error("{what} {} does not exist; {hint}", .path.display())]
    NoProfile {
        /// Which directory ("the Chromium profile directory", ...).
        what: &'static str,
        /// The directory.
        path: PathBuf,
        /// What to do about it.
        hint: &'static str,
    },
    /// Writing or removing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// What the manifests name: the extension (both ids) and the host executable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Registration {
    /// The Chromium extension id (32 letters `a`–`p`).
    pub(crate) chromium_extension_id: String,
    /// The Firefox add-on id.
    pub(crate) firefox_extension_id: String,
    /// The absolute path of the `credwell-host` executable.
    pub(crate) host_path: PathBuf,
}

impl Registration {
    /// Reads the ids from the extension's `manifest.json`.
    pub(crate) fn from_extension_manifest(
        manifest: &Path,
        host_path: PathBuf,
    ) -> Result<Self, InstallError> {
        let bad = |reason: String| InstallError::ExtensionManifest {
            path: manifest.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(manifest).map_err(|e| bad(e.to_string()))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let key = value
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("no \"key\" member, so the extension id is not fixed".into()))?;
        let chromium_extension_id = extension_id_from_key(key).map_err(bad)?;
        let firefox_extension_id = value
            .pointer("/browser_specific_settings/gecko/id")
            .and_then(Value::as_str)
            .unwrap_or("credwell@credwell.dev")
            .to_owned();
        if !host_path.is_absolute() {
            return Err(InstallError::RelativeHostPath(host_path));
        }
        Ok(Self {
            chromium_extension_id,
            firefox_extension_id,
            host_path,
        })
    }

    /// The native-messaging manifest for `target`.
    pub(crate) fn manifest(&self, target: &Target) -> Value {
        let mut manifest = json!({
            "name": HOST_NAME,
            "description": "credwell: the Credential Management API backed by an encrypted vault",
            "path": self.host_path,
            "type": "stdio",
        });
        if target.is_firefox() {
            manifest["allowed_extensions"] = json!([self.firefox_extension_id]);
        } else {
            manifest["allowed_origins"] = json!([format!(
                "chrome-extension://{}/",
                self.chromium_extension_id
            )]);
        }
        manifest
    }

    /// Writes the manifest for `target`; returns its path.
    pub(crate) fn install(&self, target: &Target, home: &Path) -> Result<PathBuf, InstallError> {
        let path = target.manifest_path(home);
        let io = |source| InstallError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        // Write to a temporary file and rename, so a browser never reads half a manifest.
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(&self.manifest(target)).unwrap_or_default();
        std::fs::write(&tmp, text).map_err(|source| InstallError::Io {
            path: tmp.clone(),
            source,
        })?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        Ok(path)
    }
}

/// Removes the manifest for `target`; returns whether one was there.
pub(crate) fn uninstall(target: &Target, home: &Path) -> Result<bool, InstallError> {
    let path = target.manifest_path(home);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(InstallError::Io { path, source }),
    }
}

/// The Chromium extension id for a manifest `key` (base64 of the DER SubjectPublicKeyInfo).
pub(crate) fn extension_id_from_key(key: &str) -> Result<String, String> {
    let der = base64::engine::general_purpose::STANDARD
        .decode(key.trim())
        .map_err(|e| format!("the \"key\" is not base64: {e}"))?;
    let digest = Sha256::digest(&der);
    Ok(digest[..16]
        .iter()
        .flat_map(|b| [b >> 4, b & 0x0f])
        .map(|nibble| char::from(b'a' + nibble))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extension_id_is_32_letters_a_to_p() {
        let id = extension_id_from_key("AAAA").unwrap();
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| ('a'..='p').contains(&c)));
    }

    #[test]
    fn extension_ids_follow_chromiums_derivation() {
        // SHA-256("") starts e3b0c442 98fc1c14...: nibbles e,3,b,0,... map to o,d,l,a,...
        assert_eq!(
            extension_id_from_key("").unwrap(),
            "odlameecjipmbmbejkplpemijjgpljce"
        );
        assert!(extension_id_from_key("not base64!").is_err());
    }

    fn registration() -> Registration {
        Registration {
            chromium_extension_id: "a".repeat(32),
            firefox_extension_id: "credwell@test".into(),
            host_path: PathBuf::from("/opt/credwell/credwell-host"),
        }
    }

    #[test]
    fn manifests_name_the_extension_the_browser_s_way() {
        let r = registration();
        let chromium = r.manifest(&Target::Chromium);
        assert_eq!(
            chromium["allowed_origins"][0],
            format!("chrome-extension://{}/", "a".repeat(32))
        );
        assert!(chromium.get("allowed_extensions").is_none());
        let firefox = r.manifest(&Target::Firefox);
        assert_eq!(firefox["allowed_extensions"][0], "credwell@test");
        assert_eq!(firefox["name"], HOST_NAME);
        assert_eq!(firefox["type"], "stdio");
    }

    #[test]
    fn install_and_uninstall_in_a_profile_and_a_home() {
        let home = tempfile::tempdir().unwrap();
        let profile = tempfile::tempdir().unwrap();
        let r = registration();
        for target in [
            Target::ChromiumProfile(profile.path().to_owned()),
            Target::FirefoxHome(home.path().to_owned()),
            Target::Chromium,
            Target::Chrome,
            Target::Firefox,
        ] {
            let path = r.install(&target, home.path()).unwrap();
            assert!(path.ends_with("org.credwell.host.json"));
            let written: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert_eq!(written, r.manifest(&target));
            assert!(uninstall(&target, home.path()).unwrap());
            assert!(!uninstall(&target, home.path()).unwrap());
        }
        assert_eq!(
            Target::ChromiumProfile(profile.path().to_owned()).manifest_path(home.path()),
            profile
                .path()
                .join("NativeMessagingHosts/org.credwell.host.json")
        );
    }

    #[test]
    fn registration_reads_the_extension_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("manifest.json");
        std::fs::write(
            &manifest,
            r#"{"key": "", "browser_specific_settings": {"gecko": {"id": "x@y"}}}"#,
        )
        .unwrap();
        let r =
            Registration::from_extension_manifest(&manifest, PathBuf::from("/bin/host")).unwrap();
        assert_eq!(r.chromium_extension_id, "odlameecjipmbmbejkplpemijjgpljce");
        assert_eq!(r.firefox_extension_id, "x@y");
        assert!(matches!(
            Registration::from_extension_manifest(&manifest, PathBuf::from("host")),
            Err(InstallError::RelativeHostPath(_))
        ));
        std::fs::write(&manifest, "{}").unwrap();
        let err = Registration::from_extension_manifest(&manifest, PathBuf::from("/bin/host"))
            .unwrap_err();
        assert!(err.to_string().contains("key"));
    }
}
