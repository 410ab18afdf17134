//! Helpers shared by the vault's integration tests.

#![allow(clippy::unwrap_used, dead_code)]

use std::path::Path;

/// Fails if any marker appears (ASCII case-insensitively) in any file of `dir`: the vault, its
/// WAL and shared-memory file.
pub(crate) fn assert_no_marker_in_files(dir: &Path, markers: &[&str], when: &str) {
    for file in std::fs::read_dir(dir).unwrap() {
        let file = file.unwrap().path();
        let bytes = std::fs::read(&file).unwrap().to_ascii_lowercase();
        for marker in markers {
            let needle = marker.to_ascii_lowercase().into_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                "{marker} found in clear in {} ({when})",
                file.display()
            );
        }
    }
}
