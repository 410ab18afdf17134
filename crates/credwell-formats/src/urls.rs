//! URLs as password managers write them, read the same way by every importer.
//!
//! - `github.com`, `github.com/login`, `localhost:8080`: no scheme; read as `https://`, as
//!   KeePassXC-Browser and Bitwarden's own autofill do.
//! - `https://github.com/login`: the page's origin.
//! - `android://...`, `chrome://...`, `ftp://...`, `mailto:...`, `otpauth:...`: not a web
//!   origin; the entry is skipped with a warning.
//! - `https:/www.bank.com`, `https:www.bank.com`, `https:///x`, `https//www.bank.com`: an http
//!   or https URL that is malformed. A browser's URL parser would repair some of them and turn
//!   others into a site named `https`; credwell guesses neither and refuses the file, naming the
//!   line and the field.

use credwell_core::Origin;

/// What a URL of a file gives.
pub(crate) enum Reading {
    /// A web (http or https tuple) origin.
    Web(Origin),
    /// No web origin: empty, another scheme, or not a URL at all.
    NotWeb,
    /// An http or https URL that is malformed: why, in words that quote nothing of it.
    Malformed(&'static str),
}

/// Reads `url` as an importer does (see the module's documentation).
pub(crate) fn read(url: &str) -> Reading {
    let url = url.trim();
    if url.is_empty() {
        return Reading::NotWeb;
    }
    let with_scheme;
    let full = match scheme_of(url) {
        Some((scheme, rest)) if is_web(scheme) => {
            let Some(authority) = rest.strip_prefix("//") else {
                return Reading::Malformed("its scheme is not followed by //");
            };
            // `https://` and nothing more names no site at all: no web origin, as an empty URL.
            if authority.trim().is_empty() {
                return Reading::NotWeb;
            }
            if authority.starts_with(['/', '\\']) {
                return Reading::Malformed("it has no host after the scheme");
            }
            url
        }
        // `localhost:8080`, `example.com:8443/login`: a host and a port, no scheme.
        Some((_, rest)) if rest.starts_with(|c: char| c.is_ascii_digit()) => {
            with_scheme = format!("https://{url}");
            &with_scheme
        }
        Some(_) => return Reading::NotWeb,
        None => {
            with_scheme = format!("https://{url}");
            &with_scheme
        }
    };
    let Ok(origin) = Origin::parse(full) else {
        return Reading::NotWeb;
    };
    if !matches!(origin.scheme(), Some("http" | "https")) {
        return Reading::NotWeb;
    }
    // `https//www.bank.com` read as `https://https//www.bank.com`: a site named after the
    // scheme is a broken URL, not a site.
    if origin.host().is_some_and(|h| is_web(&h)) {
        return Reading::Malformed("its host would be the scheme name (a : or / is missing)");
    }
    Reading::Web(origin)
}

/// `origin` as people read it: an internationalised host in Unicode (`https://bücher.example`,
/// stored as `https://xn--bcher-kva.example`), as Firefox writes it in its exports and browsers
/// show it. A label that mixes Latin letters with Greek or Cyrillic ones (`раypal`), or is
/// made only of Cyrillic and Greek letters drawn like Latin ones (`аррӏе`): the homograph
/// tricks browsers guard against too, stays in its ASCII form, and so does a host that does not
/// convert.
pub(crate) fn unicode_origin(origin: &Origin) -> String {
    let ascii = origin.to_string();
    match (origin.host(), unicode_host(origin)) {
        (Some(host), Some(unicode)) if host != unicode => match ascii.split_once("://") {
            Some((scheme, rest)) => format!("{scheme}://{}", rest.replacen(&host, &unicode, 1)),
            None => ascii,
        },
        _ => ascii,
    }
}

/// The host of `origin` as [`unicode_origin`] shows it.
pub(crate) fn unicode_host(origin: &Origin) -> Option<String> {
    let host = origin.host()?;
    if !host.split('.').any(|label| label.starts_with("xn--")) {
        return Some(host);
    }
    let (unicode, result) = idna::domain_to_unicode(&host);
    if result.is_err()
        || unicode
            .split('.')
            .any(|l| mixes_scripts(l) || looks_latin(l))
    {
        return Some(host);
    }
    Some(unicode)
}

/// Cyrillic and Greek letters drawn like Latin ones (`а`, `е`, `о`, `р`, `с`, `у`, `х`, `і`,
/// `ј`, `ѕ`, `ӏ`, `һ`, `ԁ`, `ԍ`, `ԛ`, `ԝ`, `ο`, `ν`, `ι`).
const LATIN_LOOKALIKES: &str = "аеорсухіјѕӏһԁԍԛԝονι";

/// Whether a non-ASCII label is made only of [`LATIN_LOOKALIKES`] (and digits and hyphens):
/// `аррӏе` is not `apple`, but reads as it.
fn looks_latin(label: &str) -> bool {
    !label.is_ascii()
        && label
            .chars()
            .all(|c| LATIN_LOOKALIKES.contains(c) || c.is_ascii_digit() || c == '-')
}

/// Whether a label has Latin letters and Greek or Cyrillic ones.
fn mixes_scripts(label: &str) -> bool {
    let (mut latin, mut other) = (false, false);
    for c in label.chars() {
        match u32::from(c) {
            0x41..=0x5a | 0x61..=0x7a | 0xc0..=0x24f | 0x1e00..=0x1eff => latin = true,
            0x370..=0x3ff
            | 0x1f00..=0x1fff
            | 0x400..=0x52f
            | 0x1c80..=0x1c8f
            | 0x2de0..=0x2dff
            | 0xa640..=0xa69f => other = true,
            _ => {}
        }
    }
    latin && other
}

/// The scheme of `url` and what follows its `:`, if it starts with one (RFC 3986: a letter,
/// then letters, digits, `+`, `-` or `.`).
fn scheme_of(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

fn is_web(scheme: &str) -> bool {
    scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> Result<Option<String>, &'static str> {
        match read(url) {
            Reading::Web(o) => Ok(Some(o.to_string())),
            Reading::NotWeb => Ok(None),
            Reading::Malformed(why) => Err(why),
        }
    }

    #[test]
    fn urls_read_the_same_way_for_every_format() {
        for (url, want) in [
            ("https://example.com/a?b#c", "https://example.com"),
            ("HTTP://Example.COM:80/", "http://example.com"),
            ("https://bücher.example", "https://xn--bcher-kva.example"),
            ("  https://padded.example  ", "https://padded.example"),
            ("github.com", "https://github.com"),
            ("adobe.com/login?x=1", "https://adobe.com"),
            ("www.bank.com", "https://www.bank.com"),
            ("localhost:8080", "https://localhost:8080"),
            ("example.com:8443/login", "https://example.com:8443"),
            ("bücher.example", "https://xn--bcher-kva.example"),
        ] {
            assert_eq!(origin(url), Ok(Some(want.to_owned())), "{url}");
        }
        for url in [
            "",
            "   ",
            "android://hash@com.example/",
            "chrome://settings",
            "ftp://files.example",
            "mailto:alice@example.com",
            "otpauth://totp/x?secret=y",
            "not a url",
            "{REF:U@I:1234}",
            "https://",
        ] {
            assert_eq!(origin(url), Ok(None), "{url}");
        }
        for url in [
            "https:/www.bank.com",
            "https:www.bank.com",
            "HTTPS:/www.bank.com",
            "http:\\\\www.bank.com",
            "https:///www.bank.com",
            "https//www.bank.com",
            "https://https://www.bank.com",
            "http//bank.com",
        ] {
            assert!(origin(url).is_err(), "{url}: {:?}", origin(url));
        }
    }

    #[test]
    fn internationalised_hosts_are_shown_in_unicode_unless_they_mix_scripts() {
        let shown = |url: &str| unicode_origin(&Origin::parse(url).unwrap());
        for (url, want) in [
            ("https://xn--bcher-kva.example", "https://bücher.example"),
            (
                "https://bücher.example:8443/x",
                "https://bücher.example:8443",
            ),
            ("https://xn--e1afmkfd.xn--p1ai", "https://пример.рф"),
            // Cyrillic letters drawn as "apple": kept as ASCII.
            ("http://xn--80ak6aa92e.com", "http://xn--80ak6aa92e.com"),
            ("https://www.xn--fiqs8s.example", "https://www.中国.example"),
            ("https://example.com", "https://example.com"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            // A Cyrillic "а" among Latin letters: kept as ASCII.
            ("https://xn--pypal-4ve.com", "https://xn--pypal-4ve.com"),
        ] {
            assert_eq!(shown(url), want, "{url}");
        }
    }
}
