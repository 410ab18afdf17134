//! What the command line and the agent say to each other over the agent's socket: one request
//! and one reply per connection, each a frame of a 4-byte big-endian length and that many bytes
//! of JSON, `{"v": 1, "body": ...}`; the body an externally tagged enum (`{"get": {...}}`), which
//! serde reads without first copying it into a buffer of its own (internally tagged and
//! flattened types are, and those copies would not be zeroized).
//!
//! The version is read first, alone, so that a frame of another version gets an error naming
//! both versions rather than a parse error (an agent started by an older or newer `credwell`).
//! Frames are bounded ([`MAX_REQUEST`], [`MAX_REPLY`]) before anything is allocated for them.
//! A frame's bytes are held in zeroizing buffers sized exactly once: a reply can carry a
//! password.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::edit_extras::ExtrasEdit;
use crate::entries::{EditArgs, NewCredential, RmArgs};
use crate::find::{GetArgs, SearchArgs, ShowArgs};
use crate::listing::ListArgs;
use crate::transfer::ImportRequest;

/// The protocol's version: the `v` of every frame.
pub(crate) const VERSION: u32 = 1;

/// The largest request the agent reads: commands and a password or two.
pub(crate) const MAX_REQUEST: usize = 1 << 20;

/// The largest reply the command line reads (`list --json` of a large vault).
pub(crate) const MAX_REPLY: usize = 256 << 20;

/// Text that may hold a secret (a password, a command's output): zeroized when dropped, never
/// shown by `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Secret(Zeroizing<String>);

impl Secret {
    /// Copies `text` into a new secret.
    pub(crate) fn new(text: &str) -> Self {
        Self(Zeroizing::new(text.to_owned()))
    }

    /// Takes `bytes` (a command's output) without copying them, when they are UTF-8.
    pub(crate) fn from_utf8(bytes: Vec<u8>) -> Result<Self, FrameError> {
        String::from_utf8(bytes)
            .map(|text| Self(Zeroizing::new(text)))
            .map_err(|e| {
                // The bytes are the error's: zeroize them before they are freed.
                let mut bytes = Zeroizing::new(e.into_bytes());
                bytes.clear();
                FrameError::NotText
            })
    }

    /// The text in clear.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|text| Self(Zeroizing::new(text)))
    }
}

/// The largest file `credwell import` sends the agent: the most an import reads.
pub(crate) const MAX_FILE: usize = credwell_formats::MAX_INPUT_BYTES as usize;

/// A file's bytes (an export to import, passwords in clear): zeroized when dropped, never shown
/// by `Debug`. Sent after its request as a frame of its own: a 4-byte big-endian length and
/// the bytes, bounded by [`MAX_FILE`].
#[derive(Default)]
pub(crate) struct FileBytes(pub(crate) Zeroizing<Vec<u8>>);

impl fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileBytes(<{} bytes>)", self.0.len())
    }
}

/// The length prefix of a file's frame (the bytes follow it as they are).
pub(crate) fn file_prefix(len: usize) -> Result<[u8; 4], FrameError> {
    let too_large = FrameError::TooLarge { len, max: MAX_FILE };
    if len > MAX_FILE {
        return Err(too_large);
    }
    Ok(u32::try_from(len).map_err(|_| too_large)?.to_be_bytes())
}

/// What the command line asks the agent.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Request {
    /// The agent's vault, process and time left.
    Status,
    /// Lock: the agent answers, then forgets the key and exits.
    Lock,
    /// `credwell get`.
    Get(GetArgs),
    /// `credwell totp ID|QUERY`.
    Totp {
        /// The ID or query.
        query: String,
        /// `--at`: the code at this Unix time.
        at: Option<u64>,
        /// `--json`.
        json: bool,
    },
    /// `credwell search`.
    Search {
        /// Its options.
        args: SearchArgs,
        /// `--json`.
        json: bool,
        /// Plain lines (stdout is not a terminal).
        plain: bool,
    },
    /// `credwell list`.
    List {
        /// Its options.
        args: ListArgs,
        /// `--json`.
        json: bool,
        /// Plain lines (stdout is not a terminal).
        plain: bool,
    },
    /// `credwell show`.
    Show {
        /// Its options.
        args: ShowArgs,
        /// `--json`.
        json: bool,
    },
    /// `credwell add`.
    Add {
        /// The credential.
        new: NewCredential,
        /// Print its (generated) password.
        print_password: bool,
        /// `--json`.
        json: bool,
    },
    /// Before `credwell edit --password-stdin` reads a password: the query names a credential
    /// that has one.
    Editable {
        /// The ID or query.
        id: String,
    },
    /// `credwell edit`.
    Edit {
        /// Its options (boxed: they are most of the request's size).
        args: Box<EditArgs>,
        /// The new password (`--password-stdin`).
        password: Option<Secret>,
        /// The changes to its note, TOTP secret, custom fields, folder and favourite mark.
        #[serde(default)]
        extras: ExtrasEdit,
        /// `--json`.
        json: bool,
    },
    /// `credwell rm`.
    Rm {
        /// Its options.
        args: RmArgs,
        /// `--json`.
        json: bool,
    },
    /// `credwell import`: the file's bytes follow in a frame of their own.
    Import {
        /// Its options.
        args: ImportRequest,
        /// `--json`.
        json: bool,
        /// The file, read from the frame after this one.
        #[serde(skip)]
        file: FileBytes,
    },
}

/// What the agent answers.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Reply {
    /// The command ran: what it printed.
    #[serde(rename_all = "camelCase")]
    Output {
        /// Its standard output.
        stdout: Secret,
        /// Its warnings, for standard error.
        stderr: String,
    },
    /// The command failed.
    #[serde(rename_all = "camelCase")]
    Failed {
        /// The error, as the command line prints it.
        message: String,
        /// Its warnings before it failed, for standard error.
        stderr: String,
    },
    /// [`Request::Status`].
    #[serde(rename_all = "camelCase")]
    Status {
        /// The vault file.
        vault: String,
        /// The agent's process id.
        pid: u32,
        /// Seconds until it locks unless it is used again.
        locks_in_seconds: u64,
        /// The idle time it locks after.
        timeout_seconds: u64,
    },
    /// [`Request::Lock`]: the agent is exiting.
    Locked,
}

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FrameError {
    /// The connection failed or closed mid-frame.
    #[error("the connection failed: {0}")]
    Io(std::io::Error),
    /// The length prefix is above the limit.
    #[error("a frame of {len} bytes is larger than the {max} bytes allowed")]
    TooLarge {
        /// The announced length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The frame is not JSON of the expected shape.
    #[error("a malformed frame: {0}")]
    Malformed(serde_json::Error),
    /// The frame is of another protocol version.
    #[error(
        "the other side speaks agent protocol version {got}, this credwell version {want}; \
         run `credwell lock` and `credwell unlock` again"
    )]
    Version {
        /// The frame's version.
        got: u32,
        /// Ours.
        want: u32,
    },
    /// A command's output was not UTF-8.
    #[error("the output is not UTF-8 text")]
    NotText,
}

impl From<std::io::Error> for FrameError {
    fn from(error: std::io::Error) -> Self {
        Self::Io(error)
    }
}

#[derive(Serialize)]
struct Out<'a, T> {
    v: u32,
    body: &'a T,
}

#[derive(Deserialize)]
struct In<T> {
    body: T,
}

#[derive(Deserialize)]
struct VersionOnly {
    v: u32,
}

/// Counts bytes, to size a buffer once.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `body` as a whole frame: length prefix and JSON, in a buffer allocated once.
pub(crate) fn encode<T: Serialize>(body: &T) -> Result<Zeroizing<Vec<u8>>, FrameError> {
    let frame = Out { v: VERSION, body };
    let mut counter = Counter(0);
    serde_json::to_writer(&mut counter, &frame).map_err(FrameError::Malformed)?;
    let len = u32::try_from(counter.0).map_err(|_| FrameError::TooLarge {
        len: counter.0,
        max: u32::MAX as usize,
    })?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(4 + counter.0));
    bytes.extend_from_slice(&len.to_be_bytes());
    serde_json::to_writer(&mut *bytes, &frame).map_err(FrameError::Malformed)?;
    Ok(bytes)
}

/// The length a frame's prefix announces, checked against `max`.
pub(crate) fn length(prefix: [u8; 4], max: usize) -> Result<usize, FrameError> {
    let len = u32::from_be_bytes(prefix) as usize;
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    Ok(len)
}

/// A frame's JSON (without its prefix): its version checked first, then its body.
pub(crate) fn decode<T: DeserializeOwned>(json: &[u8]) -> Result<T, FrameError> {
    let VersionOnly { v } = serde_json::from_slice(json).map_err(FrameError::Malformed)?;
    if v != VERSION {
        return Err(FrameError::Version {
            got: v,
            want: VERSION,
        });
    }
    let frame: In<T> = serde_json::from_slice(json).map_err(FrameError::Malformed)?;
    Ok(frame.body)
}

/// Reads one frame of at most `max` bytes from a blocking stream.
pub(crate) fn read<T: DeserializeOwned>(
    stream: &mut impl std::io::Read,
    max: usize,
) -> Result<T, FrameError> {
    let mut prefix = [0; 4];
    stream.read_exact(&mut prefix)?;
    let mut json = Zeroizing::new(vec![0; length(prefix, max)?]);
    stream.read_exact(&mut json)?;
    decode(&json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::find::Field;

    fn get() -> Request {
        Request::Get(GetArgs {
            query: "github".into(),
            user: Some("alice".into()),
            field: Field::Password,
            clipboard: false,
            clear_after: 45,
            at: None,
        })
    }

    #[test]
    fn a_request_and_a_reply_go_through_a_frame_unchanged() {
        let frame = encode(&get()).unwrap();
        let len = length(frame[..4].try_into().unwrap(), MAX_REQUEST).unwrap();
        assert_eq!(len, frame.len() - 4);
        let json: serde_json::Value = serde_json::from_slice(&frame[4..]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"v": 1, "body": {"get":
                {"query": "github", "user": "alice", "field": "password"}}})
        );
        let back: Request = read(&mut &frame[..], MAX_REQUEST).unwrap();
        assert!(matches!(back, Request::Get(a) if a.query == "github"));

        let reply = Reply::Output {
            stdout: Secret::new("s3cret\n"),
            stderr: String::new(),
        };
        let frame = encode(&reply).unwrap();
        match read(&mut &frame[..], MAX_REPLY).unwrap() {
            Reply::Output { stdout, .. } => assert_eq!(stdout.expose(), "s3cret\n"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_frames_are_named_errors_never_panics() {
        let read_request = |bytes: &[u8]| read::<Request>(&mut &bytes[..], MAX_REQUEST);
        let frame = |json: &str| {
            let mut bytes = (json.len() as u32).to_be_bytes().to_vec();
            bytes.extend_from_slice(json.as_bytes());
            bytes
        };
        // Too large: refused from the prefix, before anything is allocated or read.
        let err = read_request(&u32::MAX.to_be_bytes()).unwrap_err();
        assert!(matches!(err, FrameError::TooLarge { len, .. } if len == u32::MAX as usize));
        assert!(
            err.to_string().contains("larger than the 1048576 bytes"),
            "{err}"
        );
        // Cut short, in the prefix or the body.
        assert!(matches!(read_request(&[0, 0]), Err(FrameError::Io(_))));
        assert!(matches!(
            read_request(&frame("{}")[..4]),
            Err(FrameError::Io(_))
        ));
        // Not JSON, no version, another version, an unknown operation, a wrong field.
        for bad in ["not json", "{}", r#"{"v": "1", "body": "status"}"#, "[1]"] {
            let err = read_request(&frame(bad)).unwrap_err();
            assert!(matches!(err, FrameError::Malformed(_)), "{bad}: {err}");
        }
        let err = read_request(&frame(r#"{"v": 2, "body": {"whatever": 1}}"#)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the other side speaks agent protocol version 2, this credwell version 1; run \
             `credwell lock` and `credwell unlock` again"
        );
        for bad in [
            r#"{"v": 1, "body": "formatDisk"}"#,
            r#"{"v": 1, "body": {"get": {"query": 7}}}"#,
            r#"{"v": 1}"#,
        ] {
            let err = read_request(&frame(bad)).unwrap_err();
            assert!(matches!(err, FrameError::Malformed(_)), "{bad}: {err}");
        }
        assert!(matches!(
            Secret::from_utf8(vec![0xff, 0xfe]),
            Err(FrameError::NotText)
        ));
    }

    #[test]
    fn an_import_file_is_bounded_and_never_in_debug() {
        assert_eq!(file_prefix(5).unwrap(), [0, 0, 0, 5]);
        let err = file_prefix(MAX_FILE + 1).unwrap_err();
        assert!(
            err.to_string().contains("larger than the 268435456 bytes"),
            "{err}"
        );
        assert!(matches!(
            length(u32::MAX.to_be_bytes(), MAX_FILE),
            Err(FrameError::TooLarge { .. })
        ));
        let request = Request::Import {
            args: ImportRequest {
                format: "chrome-csv".into(),
                file_name: "x.csv".into(),
                on_conflict: crate::transfer::OnConflict::Newer,
                dry_run: false,
                kdbx_password: Some(Secret::new("kdbx-secret")),
                kdbx_key_file: None,
            },
            json: false,
            file: FileBytes(Zeroizing::new(b"a,https://a.example,u,hunter2,".to_vec())),
        };
        let shown = format!("{request:?}");
        assert!(
            !shown.contains("hunter2")
                && !shown.contains("kdbx-secret")
                && shown.contains("30 bytes"),
            "{shown}"
        );
        // The bytes are not in the request's frame: they follow it.
        let frame = encode(&request).unwrap();
        assert!(!String::from_utf8_lossy(&frame).contains("hunter2"));
        let back: Request = read(&mut &frame[..], MAX_REQUEST).unwrap();
        assert!(matches!(&back, Request::Import { file, .. } if file.0.is_empty()));
        // A KeePass database's password goes with the request.
        assert!(matches!(back, Request::Import { args, .. }
            if args.kdbx_password.as_ref().map(Secret::expose) == Some("kdbx-secret")));
    }

    #[test]
    fn secrets_are_never_in_debug() {
        let reply = Reply::Output {
            stdout: Secret::new("hunter2"),
            stderr: String::new(),
        };
        let shown = format!("{reply:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("redacted"),
            "{shown}"
        );
        let request = Request::Edit {
            args: Box::new(EditArgs {
                id: "1".into(),
                username: None,
                password_stdin: true,
                name: None,
                icon: None,
                extras: crate::edit_extras::ExtrasArgs::default(),
            }),
            password: Some(Secret::new("hunter2")),
            extras: ExtrasEdit {
                note: Some(Secret::new("hunter3")),
                ..ExtrasEdit::default()
            },
            json: false,
        };
        let shown = format!("{request:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("hunter3"),
            "{shown}"
        );
    }
}
