//! What a query is matched against: a record's texts, lower-cased once.

/// What a record is matched by, lower-cased once, in one allocation (an index of 100,000
/// records holds 100,000 of these).
#[derive(Debug)]
pub(super) struct Keys {
    /// The origin, the username and the name (a passkey's RP ID, user name and display name),
    /// a credential's folder and custom field names when it has any, then its host, lower-cased
    /// and joined by NUL (which no query holds: a NUL in a text becomes a space).
    text: Box<str>,
    /// The end of the texts a query is found in (the host is only matched exactly).
    searched: usize,
}

impl Keys {
    pub(super) fn new<'a>(
        texts: [&str; 3],
        filed: impl Iterator<Item = &'a str>,
        host: Option<&str>,
    ) -> Self {
        let mut text = texts
            .map(|t| t.replace('\0', " ").to_lowercase())
            .join("\0");
        for more in filed.filter(|t| !t.is_empty()) {
            text.push('\0');
            text.push_str(&more.replace('\0', " ").to_lowercase());
        }
        let searched = text.len();
        if let Some(host) = host {
            text.push('\0');
            text.push_str(&host.replace('\0', " ").to_lowercase());
        }
        Self {
            text: text.into_boxed_str(),
            searched,
        }
    }

    /// Whether `needle` (lower-cased) is in the origin, the username, the name, the folder or
    /// a custom field's name.
    pub(super) fn contains(&self, needle: &str) -> bool {
        !needle.contains('\0') && self.text[..self.searched].contains(needle)
    }

    /// Whether `query` (lower-cased) is exactly the origin, the username or the host (a
    /// passkey's RP ID or user name).
    pub(super) fn is_exact(&self, query: &str) -> bool {
        let mut searched = self.text[..self.searched].split('\0');
        let host = self.text[self.searched..].strip_prefix('\0');
        searched.next() == Some(query) || searched.next() == Some(query) || host == Some(query)
    }
}
