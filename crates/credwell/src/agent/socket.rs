//! Where a vault's agent listens, and who may talk to it.
//!
//! One agent per vault file: its socket is `agent-<hash>.sock` in a directory of the user's
//! own, where `<hash>` is the first 16 hex digits of the SHA-256 of the vault's canonical path.
//! The directory is `$XDG_RUNTIME_DIR/credwell` (the runtime directory is the user's, 0700, and
//! emptied at logout), else `/tmp/credwell-<uid>`; either is created 0700 and refused when it is
//! a symbolic link, another user's, or open to others (someone could have put a socket of their
//! own there). The socket is made 0600, and both sides check the other's user with
//! `SO_PEERCRED`: the agent refuses (and logs) a connection from another user, the command
//! line refuses an agent run by another user. A `.lock` file beside the socket, locked by the
//! agent for its whole life, makes it the only one: a socket whose lock is free is stale.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Why the agent's directory or socket is not safe to use.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum SocketError {
    /// The directory or the socket belongs to another user.
    #[error("{path} belongs to uid {owner}, not to you (uid {own}); refusing to use it")]
    NotOurs {
        /// The file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// This process's user.
        own: u32,
    },
    /// Others may use the directory or the socket.
    #[error(
        "{path} has mode {mode:04o}: others may use it; refusing it (it must be {want:04o}; \
         remove it and unlock again)"
    )]
    Open {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
        /// What they must be.
        want: u32,
    },
    /// The file is not of the expected kind (a symbolic link, a file where a socket belongs).
    #[error("{path} is not a {want}; refusing to use it")]
    Kind {
        /// The file.
        path: PathBuf,
        /// What it should be.
        want: &'static str,
    },
    /// The file system failed.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
}

/// The peer on the other end of the socket is another user: the connection is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a process of uid {peer} (PID {pid}) is not this agent's user (uid {own})")]
pub(crate) struct PeerRefused {
    /// The peer's user.
    pub(crate) peer: u32,
    /// The peer's process.
    pub(crate) pid: i32,
    /// Ours.
    pub(crate) own: u32,
}

/// Who is on the other end of a Unix socket (`SO_PEERCRED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Peer {
    /// Its user.
    pub(crate) uid: u32,
    /// Its process (as it was when it connected; 0 when this PID namespace cannot see it).
    pub(crate) pid: i32,
}

/// The peer of a connected Unix socket, from the kernel (the command line's check of the agent;
/// the agent reads its peers through tokio, which also takes a peer without a visible PID).
pub(crate) fn peer(socket: impl std::os::fd::AsFd) -> std::io::Result<Peer> {
    let cred = rustix::net::sockopt::socket_peercred(socket)?;
    Ok(Peer {
        uid: cred.uid.as_raw(),
        pid: cred.pid.as_raw_nonzero().get(),
    })
}

/// This process's user.
pub(crate) fn own_uid() -> u32 {
    rustix::process::getuid().as_raw()
}

/// Accepts `peer` only when it is the user `own`.
pub(crate) fn check_peer(peer: Peer, own: u32) -> Result<(), PeerRefused> {
    if peer.uid == own {
        return Ok(());
    }
    Err(PeerRefused {
        peer: peer.uid,
        pid: peer.pid,
        own,
    })
}

/// The agent's files for one vault.
#[derive(Debug, Clone)]
pub(crate) struct Paths {
    /// The directory they are in.
    pub(crate) dir: PathBuf,
    /// The socket.
    pub(crate) socket: PathBuf,
    /// The lock the running agent holds.
    pub(crate) lock: PathBuf,
    /// The agent's log (no secrets: what it did, what it refused).
    pub(crate) log: PathBuf,
}

impl Paths {
    /// The files of the agent for the vault at `vault` (which must exist), in the directory
    /// `XDG_RUNTIME_DIR` names or under `/tmp`.
    pub(crate) fn for_vault(vault: &Path) -> Result<Self, SocketError> {
        let canonical = std::fs::canonicalize(vault).map_err(|error| SocketError::Io {
            path: vault.to_owned(),
            error,
        })?;
        let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
        let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let dir = base_dir();
        Ok(Self {
            socket: dir.join(format!("agent-{name}.sock")),
            lock: dir.join(format!("agent-{name}.lock")),
            log: dir.join(format!("agent-{name}.log")),
            dir,
        })
    }

    /// Checks the directory, when it exists; `false` when it does not.
    pub(crate) fn check_dir(&self) -> Result<bool, SocketError> {
        match std::fs::symlink_metadata(&self.dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(SocketError::Io {
                path: self.dir.clone(),
                error,
            }),
            Ok(meta) => {
                let kind = meta.is_dir().then_some(Kind::Dir);
                check_private(&self.dir, Owned::of(&meta, kind), Kind::Dir, own_uid())?;
                Ok(true)
            }
        }
    }

    /// Creates the directory 0700 (or checks the one there).
    pub(crate) fn make_dir(&self) -> Result<(), SocketError> {
        use std::os::unix::fs::DirBuilderExt;
        match std::fs::DirBuilder::new().mode(0o700).create(&self.dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => {
                return Err(SocketError::Io {
                    path: self.dir.clone(),
                    error,
                });
            }
        }
        self.check_dir().map(|_| ())
    }

    /// Checks the socket, when it exists; `false` when it does not.
    pub(crate) fn check_socket(&self) -> Result<bool, SocketError> {
        match std::fs::symlink_metadata(&self.socket) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(SocketError::Io {
                path: self.socket.clone(),
                error,
            }),
            Ok(meta) => {
                let kind = meta.file_type().is_socket().then_some(Kind::Socket);
                check_private(
                    &self.socket,
                    Owned::of(&meta, kind),
                    Kind::Socket,
                    own_uid(),
                )?;
                Ok(true)
            }
        }
    }
}

/// `XDG_RUNTIME_DIR/credwell` when the variable names an absolute path, else
/// `/tmp/credwell-<uid>`.
fn base_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir.join("credwell"),
        _ => std::env::temp_dir().join(format!("credwell-{}", own_uid())),
    }
}

/// The two kinds of file the agent uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Its directory (mode 0700).
    Dir,
    /// Its socket (mode 0600).
    Socket,
}

/// What the checks look at in a file's metadata.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owned {
    /// Its owner.
    pub(crate) uid: u32,
    /// Its permission bits.
    pub(crate) mode: u32,
    /// Its kind, when it is one of the two.
    pub(crate) kind: Option<Kind>,
}

impl Owned {
    fn of(meta: &std::fs::Metadata, kind: Option<Kind>) -> Self {
        Self {
            uid: meta.uid(),
            mode: meta.mode() & 0o7777,
            kind,
        }
    }
}

/// A directory or socket is usable when it is of its kind (not a symbolic link), `own`'s, and
/// nobody else's: no permission bit for the group or others.
pub(crate) fn check_private(
    path: &Path,
    file: Owned,
    want: Kind,
    own: u32,
) -> Result<(), SocketError> {
    let (name, mode) = match want {
        Kind::Dir => ("directory", 0o700),
        Kind::Socket => ("socket", 0o600),
    };
    if file.kind != Some(want) {
        return Err(SocketError::Kind {
            path: path.to_owned(),
            want: name,
        });
    }
    if file.uid != own {
        return Err(SocketError::NotOurs {
            path: path.to_owned(),
            owner: file.uid,
            own,
        });
    }
    if file.mode & 0o077 != 0 {
        return Err(SocketError::Open {
            path: path.to_owned(),
            mode: file.mode,
            want: mode,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_users_peer_is_refused_and_ours_accepted() {
        let ours = Peer { uid: 1000, pid: 42 };
        assert_eq!(check_peer(ours, 1000), Ok(()));
        let theirs = Peer { uid: 1001, pid: 43 };
        let refused = check_peer(theirs, 1000).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "a process of uid 1001 (PID 43) is not this agent's user (uid 1000)"
        );
        // Root is another user too: the agent serves its own user only.
        assert!(check_peer(Peer { uid: 0, pid: 1 }, 1000).is_err());
    }

    #[test]
    fn a_real_socket_pair_has_this_user_as_its_peer() {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let peer_of_a = peer(&a).unwrap();
        assert_eq!(peer_of_a.uid, own_uid());
        assert_eq!(peer_of_a.pid, std::process::id() as i32);
        assert_eq!(check_peer(peer(&b).unwrap(), own_uid()), Ok(()));
    }

    #[test]
    fn directories_and_sockets_must_be_ours_private_and_of_their_kind() {
        let path = Path::new("/run/user/1000/credwell");
        let file = |uid, mode, kind| Owned { uid, mode, kind };
        let dir = Some(Kind::Dir);
        assert!(check_private(path, file(1000, 0o700, dir), Kind::Dir, 1000).is_ok());
        let err = check_private(path, file(1001, 0o700, dir), Kind::Dir, 1000).unwrap_err();
        assert!(
            matches!(err, SocketError::NotOurs { owner: 1001, .. }),
            "{err}"
        );
        let err = check_private(path, file(1000, 0o755, dir), Kind::Dir, 1000).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/run/user/1000/credwell has mode 0755: others may use it; refusing it (it must be \
             0700; remove it and unlock again)"
        );
        let err = check_private(path, file(1000, 0o700, None), Kind::Dir, 1000).unwrap_err();
        assert!(matches!(err, SocketError::Kind { .. }), "{err}");
        let socket = Some(Kind::Socket);
        assert!(check_private(path, file(1000, 0o600, socket), Kind::Socket, 1000).is_ok());
        for mode in [0o660, 0o606, 0o666, 0o620] {
            let err = check_private(path, file(1000, mode, socket), Kind::Socket, 1000);
            assert!(matches!(err, Err(SocketError::Open { .. })), "{mode:o}");
        }
        let err = check_private(path, file(0, 0o600, socket), Kind::Socket, 1000);
        assert!(matches!(err, Err(SocketError::NotOurs { owner: 0, .. })));
        let err = check_private(path, file(1000, 0o600, dir), Kind::Socket, 1000);
        assert!(matches!(err, Err(SocketError::Kind { want: "socket", .. })));
    }
}
