//! Who is writing to the vault: another process that holds SQLite's write lock makes a change
//! here wait (up to the vault's 10-second busy timeout), so the commands say who it is instead
//! of waiting in silence.
//!
//! In WAL mode SQLite takes its write lock as a POSIX lock on byte 120 of the `-shm` file (the
//! first of its eight shared-memory locks, `WAL_WRITE_LOCK`, after the 120-byte header); Linux
//! lists every POSIX lock, with its process, in `/proc/locks`. Elsewhere nothing is said.

use std::path::Path;

/// The byte of the `-shm` file that SQLite's WAL write lock covers.
const WAL_WRITE_LOCK_BYTE: &str = "120";

/// The process (ID and name) other than this one that holds the write lock of the vault at
/// `vault`, if any.
pub(crate) fn writer(vault: &Path) -> Option<(u32, String)> {
    let mut shm = vault.as_os_str().to_owned();
    shm.push("-shm");
    let inode = inode(Path::new(&shm))?;
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let pid = write_lock_holder(&locks, inode, std::process::id())?;
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|n| n.trim_end().to_owned())
        .unwrap_or_else(|_| "another process".to_owned());
    Some((pid, name))
}

#[cfg(unix)]
fn inode(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.ino())
}

#[cfg(not(unix))]
fn inode(_path: &Path) -> Option<u64> {
    None
}

/// The process in `/proc/locks` text that holds a POSIX write lock from byte 120 of the file
/// `inode`, other than `me`. Lines look like `1: POSIX  ADVISORY  WRITE 4242 fe:00:6456090 120
/// 120`; a waiter's line has `->` after the number and is not a holder.
fn write_lock_holder(locks: &str, inode: u64, me: u32) -> Option<u32> {
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_, kind, _, mode, pid, file, start, ..] = fields.as_slice() else {
            return None;
        };
        let pid: u32 = pid.parse().ok()?;
        let file_inode: u64 = file.rsplit(':').next()?.parse().ok()?;
        (*kind == "POSIX"
            && *mode == "WRITE"
            && *start == WAL_WRITE_LOCK_BYTE
            && file_inode == inode
            && pid != me)
            .then_some(pid)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_process_holding_byte_120_of_the_file() {
        let locks = "1: FLOCK  ADVISORY  WRITE 11 fe:00:77 0 EOF\n\
                     2: POSIX  ADVISORY  READ 12 fe:00:77 123 123\n\
                     3: -> POSIX  ADVISORY  WRITE 13 fe:00:77 120 120\n\
                     4: POSIX  ADVISORY  WRITE 14 fe:00:78 120 120\n\
                     5: POSIX  ADVISORY  WRITE 15 fe:00:77 120 120\n";
        assert_eq!(write_lock_holder(locks, 77, 1), Some(15));
        assert_eq!(write_lock_holder(locks, 77, 15), None);
        assert_eq!(write_lock_holder(locks, 79, 1), None);
        assert_eq!(write_lock_holder("", 77, 1), None);
    }
}
