//! [Native messaging][host protocol] framing ("Native messaging protocol" there): each message
//! is a 32-bit length in the machine's native byte order, then that many bytes of UTF-8 JSON.
//!
//! [host protocol]: https://developer.chrome.com/docs/extensions/develop/concepts/native-messaging
//!
//! Limits: the browser drops the port when a host sends more than 1 MB in one message, so
//! [`write_frame`] refuses larger messages; the browser may send up to 4 GB, so [`read_frame`]
//! enforces a much smaller cap and skips (without buffering) any frame above it, so that the
//! stream stays in step and the host can answer with an error.
//!
//! Frames carry passwords and passphrases: both directions use buffers that are zeroized when
//! dropped.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use zeroize::Zeroizing;

/// The most a host may send in one message (Chrome's limit: 1 MB).
pub const MAX_OUTGOING: usize = 1024 * 1024;

/// The most the host accepts in one message from the browser (8 MiB).
pub const MAX_INCOMING: usize = 8 * 1024 * 1024;

/// What [`read_frame`] read.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A complete message body (zeroized when dropped).
    Message(Zeroizing<Vec<u8>>),
    /// A message over [`MAX_INCOMING`], skipped; carries its declared length.
    TooLarge(u64),
    /// The browser closed the port (end of input between frames).
    Closed,
}

/// Framing failures. A frame cut short means the stream can no longer be trusted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The input ended in the middle of a frame.
    #[error("the input ended in the middle of a frame")]
    Truncated,
    /// A message to send is larger than the browser accepts.
    #[error("message of {0} bytes exceeds the browser's 1 MB limit")]
    OutgoingTooLarge(usize),
    /// Reading or writing failed.
    #[error("native-messaging I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads one frame.
pub async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Incoming, FrameError> {
    let mut header = [0u8; 4];
    let mut filled = 0;
    while filled < header.len() {
        let n = reader.read(&mut header[filled..]).await?;
        if n == 0 {
            return if filled == 0 {
                Ok(Incoming::Closed)
            } else {
                Err(FrameError::Truncated)
            };
        }
        filled += n;
    }
    let length = u32::from_ne_bytes(header);
    let Ok(length) = usize::try_from(length) else {
        return skip(reader, u64::from(length)).await;
    };
    if length > MAX_INCOMING {
        return skip(reader, length as u64).await;
    }
    let mut body = Zeroizing::new(vec![0u8; length]);
    reader
        .read_exact(&mut body)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => FrameError::Truncated,
            _ => FrameError::Io(e),
        })?;
    Ok(Incoming::Message(body))
}

async fn skip<R: AsyncRead + Unpin>(reader: &mut R, length: u64) -> Result<Incoming, FrameError> {
    let copied = tokio::io::copy(&mut reader.take(length), &mut tokio::io::sink()).await?;
    if copied < length {
        return Err(FrameError::Truncated);
    }
    Ok(Incoming::TooLarge(length))
}

/// Writes one frame and flushes it.
pub async fn write_frame<W: AsyncWrite + Unpin>(
    writer: &mut W,
    body: &[u8],
) -> Result<(), FrameError> {
    if body.len() > MAX_OUTGOING {
        return Err(FrameError::OutgoingTooLarge(body.len()));
    }
    // The check above bounds the length well below u32::MAX.
    let length = u32::try_from(body.len()).map_err(|_| FrameError::OutgoingTooLarge(body.len()))?;
    // One write per frame: the browser wakes once per message, not once per part.
    let mut frame = Zeroizing::new(Vec::with_capacity(4 + body.len()));
    frame.extend_from_slice(&length.to_ne_bytes());
    frame.extend_from_slice(body);
    writer.write_all(&frame).await?;
    writer.flush().await?;
    Ok(())
}

/// Encodes one frame into bytes (for tests and clients).
pub fn encode(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&(body.len() as u32).to_ne_bytes());
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn round_trip_and_clean_close() {
        let mut input: &[u8] = &[encode(b"{\"a\":1}"), encode(b"[]")].concat();
        assert_eq!(
            run(read_frame(&mut input)).unwrap(),
            Incoming::Message(Zeroizing::new(b"{\"a\":1}".to_vec()))
        );
        assert_eq!(
            run(read_frame(&mut input)).unwrap(),
            Incoming::Message(Zeroizing::new(b"[]".to_vec()))
        );
        assert_eq!(run(read_frame(&mut input)).unwrap(), Incoming::Closed);
    }

    #[test]
    fn truncated_header_or_body_is_an_error() {
        let mut input: &[u8] = &[1, 0];
        assert!(matches!(
            run(read_frame(&mut input)),
            Err(FrameError::Truncated)
        ));
        let frame = encode(b"{\"a\":1}");
        let mut input: &[u8] = &frame[..frame.len() - 1];
        assert!(matches!(
            run(read_frame(&mut input)),
            Err(FrameError::Truncated)
        ));
    }

    #[test]
    fn oversized_frames_are_skipped_and_the_stream_stays_in_step() {
        let big = vec![b' '; MAX_INCOMING + 1];
        let mut input: &[u8] = &[encode(&big), encode(b"{}")].concat();
        assert_eq!(
            run(read_frame(&mut input)).unwrap(),
            Incoming::TooLarge((MAX_INCOMING + 1) as u64)
        );
        assert_eq!(
            run(read_frame(&mut input)).unwrap(),
            Incoming::Message(Zeroizing::new(b"{}".to_vec()))
        );
    }

    #[test]
    fn outgoing_limit_is_enforced() {
        let mut out = Vec::new();
        assert!(matches!(
            run(write_frame(&mut out, &vec![b'x'; MAX_OUTGOING + 1])),
            Err(FrameError::OutgoingTooLarge(_))
        ));
        assert!(out.is_empty(), "nothing written for a refused message");
        run(write_frame(&mut out, b"{}")).unwrap();
        assert_eq!(out, encode(b"{}"));
    }
}
