//! Files and directories only their owner may open: the vault file, its backups and the
//! directory that holds them (on Unix, modes `0600` and `0700`; elsewhere the platform's
//! defaults). The vault's contents are sealed whatever the modes; they are defence in depth.

use std::path::Path;

/// Creates `dir` and its missing parents, owner-only (`0700`) where they are new. An existing
/// directory is left as it is.
pub fn create_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates an empty owner-only (`0600`) file at `path`, which must not exist yet (not even as a
/// link: the file is created with `O_EXCL`).
pub fn create_new_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)] // A failure should panic right there.
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_directories_and_files_are_the_owners_alone() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_dir_all(&nested).unwrap();
        assert_eq!((mode(&dir.path().join("a")), mode(&nested)), (0o700, 0o700));
        create_dir_all(&nested).unwrap();
        let file = nested.join("vault.sqlite");
        create_new_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        let again = create_new_file(&file).unwrap_err();
        assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
    }
}
