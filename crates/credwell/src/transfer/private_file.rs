//! Writing a file of secrets (an export) so that no one else can read it at any moment, and no
//! link or half-written file redirects or survives it.
//!
//! The content goes to a new file in the destination's directory, created with owner-only
//! permissions (`0600`) whatever the destination's were, and is renamed over the destination only
//! once it is complete and on disk. So:
//!
//! - an existing destination readable by others is replaced, not rewritten in place (rewriting
//!   would keep its permissions, and every password would be readable by whoever could read it);
//! - a destination that is a symbolic link is refused: following it would write the passwords
//!   wherever the link points, and replacing it would surprise whoever made it. A link made
//!   between the check and the rename is replaced, not followed (`rename` does not follow links);
//! - a failure at any point removes the new file, and the destination is as it was.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Refuses `path` before any work is done: a symbolic link always, an existing file unless
/// `overwrite`.
pub(crate) fn check_destination(path: &Path, overwrite: bool) -> Result<()> {
    // `symlink_metadata` does not follow a link: a dangling link is still something there.
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => bail!(
            "{} is a symbolic link; credwell does not write passwords through a link (name the \
             file itself, or remove the link)",
            path.display()
        ),
        Ok(_) if !overwrite => bail!("{} exists; pass --force to overwrite it", path.display()),
        _ => Ok(()),
    }
}

/// Writes what `fill` writes to `path`, as a new owner-only file renamed into place; without
/// `overwrite`, fails if `path` exists (even if it appeared while writing).
pub(crate) fn write(
    path: &Path,
    overwrite: bool,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    check_destination(path, overwrite)?;
    let name = path
        .file_name()
        .with_context(|| format!("{} does not name a file", path.display()))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    // The temporary file is created with `O_EXCL` (never through a link) and deleted when
    // dropped, so every early return below removes it.
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".credwell-tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // `tempfile`'s default too; said here because the whole point depends on it.
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let temp = builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    let mut writer = BufWriter::new(temp);
    fill(&mut writer)
        .and_then(|()| writer.flush())
        .with_context(|| format!("cannot write {}", path.display()))?;
    let temp = writer
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("cannot write {}", path.display()))?;
    temp.as_file()
        .sync_all()
        .with_context(|| format!("cannot write {}", path.display()))?;
    let persisted = if overwrite {
        temp.persist(path)
    } else {
        // Fails rather than replaces a file that appeared since the check.
        temp.persist_noclobber(path)
    };
    // On failure the error gives the temporary file back; dropping it deletes it.
    persisted.map_err(|e| {
        let exists = e.error.kind() == std::io::ErrorKind::AlreadyExists;
        drop(e.file);
        if exists {
            anyhow::anyhow!("{} exists; pass --force to overwrite it", path.display())
        } else {
            anyhow::Error::new(e.error).context(format!("cannot write {}", path.display()))
        }
    })?;
    // The rename itself reaches the disk with the directory.
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs::Permissions;

    use super::*;

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn secrets(out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(b"every password\n")
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_world_readable_file_is_replaced_by_an_owner_only_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        write(&path, true, secrets).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "every password\n");
        assert_eq!(names(dir.path()), ["export.csv"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_refused_and_its_target_untouched() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "target's own content").unwrap();
        std::fs::set_permissions(&target, Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("export.csv");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let dangling = dir.path().join("dangling.csv");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        for path in [&link, &dangling] {
            for overwrite in [false, true] {
                let error = write(path, overwrite, secrets).unwrap_err().to_string();
                assert!(error.contains("symbolic link"), "{error}");
            }
            assert!(std::fs::symlink_metadata(path).unwrap().is_symlink());
        }
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "target's own content"
        );
        assert_eq!(mode(&target), 0o644);
        assert_eq!(names(dir.path()), ["dangling.csv", "export.csv", "target"]);
    }

    #[test]
    fn a_failed_write_leaves_no_file_and_the_old_one_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        let failing = |out: &mut dyn Write| {
            out.write_all(b"half of the passwords")?;
            out.flush()?;
            Err(std::io::Error::other("disk full"))
        };
        let error = write(&path, false, failing).unwrap_err();
        assert!(format!("{error:#}").contains("disk full"), "{error:#}");
        assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
        std::fs::write(&path, "the previous export").unwrap();
        write(&path, true, failing).unwrap_err();
        assert_eq!(names(dir.path()), ["export.csv"]);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "the previous export"
        );
    }

    #[test]
    fn without_overwrite_an_existing_file_is_kept_even_one_that_appears_while_writing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        std::fs::write(&path, "mine").unwrap();
        let error = write(&path, false, secrets).unwrap_err().to_string();
        assert!(error.contains("--force"), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
        std::fs::remove_file(&path).unwrap();
        let error = write(&path, false, |out| {
            std::fs::write(&path, "appeared meanwhile")?;
            secrets(out)
        })
        .unwrap_err()
        .to_string();
        assert!(error.contains("--force"), "{error}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "appeared meanwhile"
        );
        assert_eq!(names(dir.path()), ["export.csv"]);
    }

    #[test]
    fn a_path_that_names_no_file_is_refused() {
        let error = write(Path::new("/"), true, secrets)
            .unwrap_err()
            .to_string();
        assert!(error.contains("does not name a file"), "{error}");
    }
}
