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
}
