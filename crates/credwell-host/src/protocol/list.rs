//! `vault.list`'s paging: a page holds at most `limit` entries (and a bounded number of bytes),
//! and names where the next one starts with an opaque cursor.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Entries in a page when the request does not say.
pub const DEFAULT_LIST_LIMIT: usize = 200;

/// The most entries a request may ask for in one page.
pub const MAX_LIST_LIMIT: usize = 1000;

/// Where a `vault.list` page starts. The credentials come first, by record id, then the
/// passkeys, by credential id (bytewise): a record added or deleted between pages moves no
/// other one, so paging reaches every record that stays exactly once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListCursor {
    /// The credentials whose record id is above this one, then every passkey (`"c<n>"`).
    Credentials(u64),
    /// The passkeys whose credential id sorts after this one (`"p<base64url>"`).
    Passkeys(Vec<u8>),
}

impl ListCursor {
    /// The first page.
    pub const START: Self = Self::Credentials(0);

    /// Reads a cursor from a previous page's `next`; `None` when it is not one.
    pub fn parse(cursor: &str) -> Option<Self> {
        let (kind, rest) = cursor.split_at_checked(1)?;
        match kind {
            "c" if rest.bytes().all(|b| b.is_ascii_digit()) => {
                rest.parse().ok().map(Self::Credentials)
            }
            "p" => URL_SAFE_NO_PAD.decode(rest).ok().map(Self::Passkeys),
            _ => None,
        }
    }
}

impl fmt::Display for ListCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Credentials(after) => write!(f, "c{after}"),
            Self::Passkeys(after) => write!(f, "p{}", URL_SAFE_NO_PAD.encode(after)),
        }
    }
}
