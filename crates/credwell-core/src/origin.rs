//! Origins as the HTML standard defines them, and the "site" used to offer credentials across
//! sibling subdomains.
//!
//! Parse, don't validate: the engine never handles an origin as a raw string. An [`Origin`] is
//! either a tuple origin (scheme, host, port) or an opaque origin; two opaque origins are never
//! same origin, not even with themselves once re-parsed.

use std::fmt;

/// An [origin](https://html.spec.whatwg.org/multipage/browsers.html#concept-origin).
///
/// ```
/// use credwell_core::Origin;
/// let a = Origin::parse("https://example.com/login?next=/").unwrap();
/// let b = Origin::parse("https://example.com:443").unwrap();
/// assert!(a.same_origin(&b));
/// assert_eq!(a.to_string(), "https://example.com");
/// assert!(Origin::parse("null").unwrap().is_opaque());
/// ```
///
/// Cloning is cheap (a reference count): credentials, chooser entries and store indexes all hold
/// the same parsed origin.
#[derive(Clone)]
pub struct Origin(std::sync::Arc<Parsed>);

struct Parsed {
    inner: url::Origin,
    /// Computed once at parse time: a Public Suffix List lookup is far dearer than a clone.
    site: Option<Site>,
    /// The ASCII serialization, computed once at parse time: vaults, imports and sync
    /// serialize the same origin several times (blind index, sealed record, lookups).
    serialized: String,
}

impl PartialEq for Origin {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0) || self.0.inner == other.0.inner
    }
}

impl Eq for Origin {}

impl std::hash::Hash for Origin {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.inner.hash(state);
    }
}

/// Why a string could not be read as an origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OriginError {
    /// The string is not an absolute URL.
    #[error("{input:?} is not an absolute URL: {reason}")]
    NotAUrl {
        /// The rejected text, shortened for display.
        input: String,
        /// What the URL parser reported.
        reason: String,
    },
}

impl Origin {
    /// Parses the origin of an absolute URL, or `"null"` for a new opaque origin.
    ///
    /// URLs whose scheme has no tuple origin (`data:`, `about:`, `file:`...) give an opaque origin,
    /// exactly as the URL standard says.
    pub fn parse(input: &str) -> Result<Self, OriginError> {
        if input == "null" {
            return Ok(Self::new_opaque());
        }
        if let Some((origin, serialized)) = plain_origin(input) {
            return Ok(Self::from_parts(origin, serialized));
        }
        let url = url::Url::parse(input).map_err(|e| OriginError::NotAUrl {
            input: shorten(input),
            reason: e.to_string(),
        })?;
        Ok(Self::from_url_origin(url.origin()))
    }

    fn from_url_origin(inner: url::Origin) -> Self {
        let serialized = inner.ascii_serialization();
        Self::from_parts(inner, serialized)
    }

    /// An origin and its ASCII serialization.
    fn from_parts(inner: url::Origin, serialized: String) -> Self {
        let site = site_of(&inner);
        Self(std::sync::Arc::new(Parsed {
            inner,
            site,
            serialized,
        }))
    }

    /// A new opaque origin, distinct from every other origin.
    pub fn new_opaque() -> Self {
        Self::from_url_origin(url::Origin::new_opaque())
    }

    /// The [ASCII serialization][ascii-serialisation-of-an-origin] (what `to_string` gives),
    /// borrowed: computed once when the origin is parsed, never again for it or its clones.
    ///
    /// [ascii-serialisation-of-an-origin]:
    /// https://html.spec.whatwg.org/multipage/browsers.html#ascii-serialisation-of-an-origin
    pub fn serialized(&self) -> &str {
        &self.0.serialized
    }

    /// Whether this is an opaque origin (a sandboxed frame, a `data:` document...).
    pub fn is_opaque(&self) -> bool {
        !self.0.inner.is_tuple()
    }

    /// [Same origin](https://html.spec.whatwg.org/multipage/browsers.html#same-origin): tuple
    /// origins compare scheme, host and port; an opaque origin is only same origin with itself.
    pub fn same_origin(&self, other: &Self) -> bool {
        self.0.inner == other.0.inner
    }

    /// The scheme of a tuple origin.
    pub fn scheme(&self) -> Option<&str> {
        match &self.0.inner {
            url::Origin::Tuple(scheme, _, _) => Some(scheme),
            url::Origin::Opaque(_) => None,
        }
    }

    /// The host of a tuple origin, serialized (domains in ASCII, IPv6 in brackets).
    pub fn host(&self) -> Option<String> {
        match &self.0.inner {
            url::Origin::Tuple(_, host, _) => Some(host.to_string()),
            url::Origin::Opaque(_) => None,
        }
    }

    /// The host of a tuple origin.
    pub(crate) fn tuple_host(&self) -> Option<&url::Host> {
        match &self.0.inner {
            url::Origin::Tuple(_, host, _) => Some(host),
            url::Origin::Opaque(_) => None,
        }
    }

    /// The [`Site`] of this origin, `None` for opaque origins.
    pub fn site(&self) -> Option<&Site> {
        self.0.site.as_ref()
    }

    /// Whether a credential saved for this origin may be *offered* to a caller at `caller` when
    /// the embedder opts into cross-origin offers: this is another host under the caller's
    /// registrable domain (per the Public Suffix List), with the same scheme and the same port.
    ///
    /// Never for an IP address, `localhost` or a `*.localhost` name on either side, nor for a
    /// host that is itself a public suffix: there a "site" would join unrelated servers (every
    /// local development server is one `localhost`, whatever its port).
    ///
    /// ```
    /// use credwell_core::Origin;
    /// let o = |s| Origin::parse(s).unwrap();
    /// let www = o("https://www.example.com");
    /// assert!(o("https://login.example.com").offerable_to(&www));
    /// assert!(!www.offerable_to(&www));
    /// assert!(!o("http://login.example.com").offerable_to(&www));
    /// assert!(!o("https://www.example.com:8443").offerable_to(&o("https://example.com")));
    /// assert!(!o("http://localhost:4000").offerable_to(&o("http://localhost:3000")));
    /// ```
    pub fn offerable_to(&self, caller: &Self) -> bool {
        let (url::Origin::Tuple(scheme, host, port), url::Origin::Tuple(c_scheme, c_host, c_port)) =
            (&self.0.inner, &caller.0.inner)
        else {
            return false;
        };
        let (url::Host::Domain(host), url::Host::Domain(c_host)) = (host, c_host) else {
            return false;
        };
        scheme == c_scheme
            && port == c_port
            && host != c_host
            && registrable(host).is_some_and(|r| registrable(c_host) == Some(r))
    }
}

/// The origin of `input` read without the URL parser, when it is plainly an `http` or `https`
/// URL of a lower-case ASCII host, as vaults store origins and most files write them: the
/// scheme in lower case and `://`; a host of lower-case letters, digits and `-`, in labels
/// that are not empty, none an IDNA `xn--` label, the last starting with a letter (not an IPv4
/// address); an optional port of digits; then nothing, or a path, query or fragment (which
/// never make such a URL invalid nor change its origin). The URL parser gives that host
/// unchanged. Anything else is `None`, for the URL parser to read. Parsing the tens of
/// thousands of origins of a vault and of a file with the URL parser was a measurable part of
/// an import. With the origin, its ASCII serialization: the scheme, `://`, the host and a port
/// other than the scheme's default.
fn plain_origin(input: &str) -> Option<(url::Origin, String)> {
    let (scheme, default_port, rest) = if let Some(rest) = input.strip_prefix("https://") {
        ("https", 443, rest)
    } else {
        ("http", 80, input.strip_prefix("http://")?)
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = match authority.split_once(':') {
        Some((_, port)) if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) => {
            return None;
        }
        Some((host, port)) => (host, port.parse::<u16>().ok()?),
        None => (authority, default_port),
    };
    let plain = |label: &str| {
        !label.is_empty()
            && !label.starts_with("xn--")
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let last = host.rsplit('.').next()?;
    if !host.split('.').all(plain) || !last.starts_with(|c: char| c.is_ascii_lowercase()) {
        return None;
    }
    let mut serialized = String::with_capacity(scheme.len() + 3 + host.len() + 6);
    serialized.push_str(scheme);
    serialized.push_str("://");
    serialized.push_str(host);
    if port != default_port {
        serialized.push(':');
        serialized.push_str(&port.to_string());
    }
    let origin = url::Origin::Tuple(scheme.to_owned(), url::Host::Domain(host.to_owned()), port);
    Some((origin, serialized))
}

/// The registrable domain of a host name, `None` for a public suffix and for `localhost` names
/// (which resolve to this machine, whatever their suffix).
fn registrable(domain: &str) -> Option<&str> {
    let local = domain == "localhost" || domain.ends_with(".localhost");
    psl::domain_str(domain).filter(|_| !local)
}

fn site_of(origin: &url::Origin) -> Option<Site> {
    let url::Origin::Tuple(scheme, host, _) = origin else {
        return None;
    };
    let registrable = match host {
        url::Host::Domain(domain) => psl::domain_str(domain)
            .map(str::to_owned)
            .unwrap_or_else(|| domain.clone()),
        other => other.to_string(),
    };
    Some(Site {
        scheme: scheme.clone(),
        registrable_domain: registrable,
    })
}

impl fmt::Display for Origin {
    /// The [ASCII serialization][ascii-serialisation-of-an-origin].
    ///
    /// [ascii-serialisation-of-an-origin]:
    /// https://html.spec.whatwg.org/multipage/browsers.html#ascii-serialisation-of-an-origin
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.serialized())
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Origin({self})")
    }
}

/// A scheme and a registrable domain (eTLD+1 per the Public Suffix List), or the whole host when
/// it has none: the key stores index credentials by, to find candidates for cross-origin offers
/// ([`Origin::offerable_to`] decides which may be offered).
///
/// The scheme is part of the site so that a credential is never shared across a scheme downgrade
/// ([Cross-domain credential access][security-credential-access]).
///
/// ```
/// use credwell_core::Origin;
/// let login = Origin::parse("https://login.example.co.uk").unwrap();
/// let www = Origin::parse("https://www.example.co.uk").unwrap();
/// let http = Origin::parse("http://www.example.co.uk").unwrap();
/// assert_eq!(login.site(), www.site());
/// assert_ne!(login.site(), http.site());
/// ```
///
/// [security-credential-access]:
/// https://w3c.github.io/webappsec-credential-management/#security-credential-access
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Site {
    scheme: String,
    registrable_domain: String,
}

impl Site {
    /// The scheme, such as `https`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The registrable domain, or the whole host when it has none (an IP address, `localhost`).
    pub fn registrable_domain(&self) -> &str {
        &self.registrable_domain
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.registrable_domain)
    }
}

/// Cuts untrusted text down to a size fit for an error message.
pub(crate) fn shorten(input: &str) -> String {
    const MAX: usize = 64;
    if input.len() <= MAX {
        return input.to_owned();
    }
    let mut end = MAX;
    while !input.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &input[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ports_and_paths_do_not_matter() {
        let a = Origin::parse("https://example.com:443/a/b").unwrap();
        let b = Origin::parse("https://EXAMPLE.com").unwrap();
        assert!(a.same_origin(&b));
        assert_eq!(b.to_string(), "https://example.com");
    }

    #[test]
    fn the_borrowed_serialization_is_the_ascii_serialization() {
        for (input, ascii) in [
            ("https://EXAMPLE.com:443/a", "https://example.com"),
            ("http://example.com:8080", "http://example.com:8080"),
            ("https://bücher.example", "https://xn--bcher-kva.example"),
            ("http://[::1]:3000/", "http://[::1]:3000"),
            ("null", "null"),
            ("data:text/plain,x", "null"),
        ] {
            let origin = Origin::parse(input).unwrap();
            assert_eq!(origin.serialized(), ascii, "{input}");
            assert_eq!(origin.clone().serialized(), ascii, "{input}, cloned");
            assert_eq!(origin.to_string(), ascii, "{input}");
        }
    }

    #[test]
    fn different_port_scheme_or_host_is_another_origin() {
        let base = Origin::parse("https://example.com").unwrap();
        for other in [
            "https://example.com:8443",
            "http://example.com",
            "https://www.example.com",
        ] {
            assert!(!base.same_origin(&Origin::parse(other).unwrap()), "{other}");
        }
    }

    #[test]
    fn opaque_origins_are_never_same_origin_with_each_other() {
        let a = Origin::parse("null").unwrap();
        let b = Origin::parse("null").unwrap();
        assert!(a.is_opaque() && b.is_opaque());
        assert!(!a.same_origin(&b));
        assert!(a.same_origin(&a.clone()));
        assert!(Origin::parse("data:text/html,hi").unwrap().is_opaque());
        assert_eq!(a.to_string(), "null");
        assert!(a.site().is_none());
    }

    /// The URL parser's origin of `input` and its ASCII serialization, when it has one.
    fn parsed_origin(input: &str) -> Option<(url::Origin, String)> {
        let origin = url::Url::parse(input).ok()?.origin();
        let serialized = origin.ascii_serialization();
        Some((origin, serialized))
    }

    #[test]
    fn plain_origins_are_what_the_url_parser_gives() {
        for input in [
            "https://example.com",
            "https://site1.example/login?x=1#y",
            "http://localhost:3000/",
            "https://a-b.c-d.example:443",
            "https://a.example:0443",
            "http://x.example:80",
            "https://ab--c.example?",
            "https://a.example#frag",
            "http://x.example:8080/",
        ] {
            let plain = plain_origin(input);
            assert!(plain.is_some(), "{input}");
            assert_eq!(plain, parsed_origin(input), "{input}");
        }
        // Left to the URL parser.
        for input in [
            "https://EXAMPLE.com",
            "https://xn--bcher-kva.example",
            "https://bücher.example",
            "https://1.2.3.4",
            "https://example.0x1f",
            "https://a..example",
            "https://example.com.",
            "https://user@example.com",
            "https://user:pw@example.com",
            "https://example.com:",
            "https://example.com:+443",
            "https://example.com:70000",
            "https://example.com\\path",
            " https://example.com",
            "https://exa\tmple.com",
            "ftp://example.com",
            "https://",
            "https:example.com",
        ] {
            assert_eq!(plain_origin(input), None, "{input}");
        }
    }

    proptest::proptest! {
        /// Whatever the text, an origin read without the URL parser is the URL parser's.
        #[test]
        fn a_plain_origin_is_the_url_parsers(
            input in "(https?|HTTP|ftp)://[a-z0-9.:@x\\-]{0,14}([/?#\\\\ \t][a-z/]{0,4})?"
        ) {
            if let Some(plain) = plain_origin(&input) {
                proptest::prop_assert_eq!(Some(plain), parsed_origin(&input));
            }
        }
    }

    #[test]
    fn not_a_url_is_an_error_that_names_the_input() {
        let err = Origin::parse("example.com").unwrap_err();
        assert!(err.to_string().contains("example.com"));
        let long = "x".repeat(10_000);
        assert!(Origin::parse(&long).unwrap_err().to_string().len() < 200);
    }

    #[test]
    fn sites_follow_the_public_suffix_list() {
        let site = |s: &str| Origin::parse(s).unwrap().site().unwrap().clone();
        assert_eq!(
            site("https://a.b.example.com").registrable_domain(),
            "example.com"
        );
        assert_eq!(
            site("https://x.github.io").registrable_domain(),
            "x.github.io"
        );
        assert_ne!(site("https://a.github.io"), site("https://b.github.io"));
        assert_eq!(
            site("https://127.0.0.1:8443").registrable_domain(),
            "127.0.0.1"
        );
        assert_eq!(
            site("http://localhost:3000").registrable_domain(),
            "localhost"
        );
    }
}
