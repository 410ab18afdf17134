//! What a query is matched against: a record's texts, lower-cased once.

/// The Unicode spelling of an origin whose host is internationalised (`ascii` and `host` its
/// ASCII origin and host), and its Unicode host; `None` when it is spelled the same (an ASCII
/// host, or a look-alike one, which `show` keeps in ASCII too).
pub(super) fn unicode_origin(
    ascii: &str,
    host: &str,
    origin: &credwell_core::Origin,
) -> Option<(String, String)> {
    if !host.contains("xn--") {
        return None;
    }
    let unicode = credwell_formats::display_origin(origin);
    if unicode == ascii {
        return None;
    }
    // The port, when there is one, follows the host in both spellings.
    let port = ascii.split_once("://")?.1.strip_prefix(host)?;
    let unicode_host = unicode.split_once("://")?.1.strip_suffix(port)?.to_owned();
    Some((unicode, unicode_host))
}

/// A query's ASCII spelling when it is a non-ASCII host or label (`bücher` →
/// `xn--bcher-kva`): compared with the stored ASCII origins and hosts, so that a host typed in
/// Unicode (in any normalisation or case) finds its credential.
pub(super) fn ascii_query(lower: &str) -> Option<String> {
    if lower.is_ascii() {
        return None;
    }
    match url::Host::parse(lower) {
        Ok(url::Host::Domain(domain)) if domain != lower => Some(domain),
        _ => None,
    }
}

/// What a record is matched by, lower-cased once, in one allocation (an index of 100,000
/// records holds 100,000 of these).
#[derive(Debug)]
pub(super) struct Keys {
    /// The origin, the username and the name (a passkey's RP ID, user name and display name),
    /// a credential's folder and custom field names when it has any (and its origin in Unicode
    /// when its host is internationalised), then its hosts (ASCII, then Unicode), lower-cased
    /// and joined by NUL (which no query holds: a NUL in a text becomes a space).
    text: Box<str>,
    /// The end of the texts a query is found in (the hosts, ASCII and Unicode, are only matched
    /// exactly).
    searched: usize,
}

impl Keys {
    pub(super) fn new<'a>(
        texts: [&str; 3],
        filed: impl Iterator<Item = &'a str>,
        hosts: impl Iterator<Item = &'a str>,
    ) -> Self {
        let mut text = texts
            .map(|t| t.replace('\0', " ").to_lowercase())
            .join("\0");
        for more in filed.filter(|t| !t.is_empty()) {
            text.push('\0');
            text.push_str(&more.replace('\0', " ").to_lowercase());
        }
        let searched = text.len();
        for host in hosts {
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

    /// Whether `query` (lower-cased) is exactly the origin, the username or the host (in ASCII
    /// or Unicode; a passkey's RP ID or user name).
    pub(super) fn is_exact(&self, query: &str) -> bool {
        let mut searched = self.text[..self.searched].split('\0');
        let mut hosts = self.text[self.searched..].split('\0').skip(1);
        searched.next() == Some(query)
            || searched.next() == Some(query)
            || hosts.any(|host| host == query)
    }
}
