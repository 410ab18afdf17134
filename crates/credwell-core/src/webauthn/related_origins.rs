//! [Related origin requests](https://w3c.github.io/webauthn/#sctn-related-origins): an RP ID
//! that is not the caller's effective domain nor a registrable suffix of it is still allowed when
//! the RP ID's `https://<rpId>/.well-known/webauthn` document lists the caller's origin.
//!
//! The engine does no I/O: the document comes through the embedder's [`RelatedOrigins`] fetcher.
//! Everything after the fetch (the response checks, the JSON, the origins, the
//! [registrable origin labels](https://w3c.github.io/webauthn/#registrable-origin-label) and the
//! label limit, the same-origin match) is here, as the
//! [related origins validation procedure][sctn-validating-relation-origin].
//!
//! [sctn-validating-relation-origin]:
//! https://w3c.github.io/webauthn/#sctn-validating-relation-origin

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use serde_json::Value;

use crate::origin::{Origin, shorten};

/// `maxLabels`: the number of distinct registrable origin labels the procedure looks at. The spec
/// requires clients that support related origins to support at least five; credwell uses
/// exactly that minimum.
pub const MAX_LABELS: usize = 5;

/// The largest `.well-known/webauthn` document credwell reads, in bytes of UTF-8. A larger one
/// is refused (`SecurityError`) rather than cut: the spec sets no size, and a list of a few
/// origins is a few hundred bytes.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// What the fetch of `https://<rpId>/.well-known/webauthn` returned, as the embedder saw it
/// (after following redirects).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WellKnownResponse {
    /// The final response's status code.
    pub status: u16,
    /// The final response's `Content-Type` header, if it had one.
    pub content_type: Option<String>,
    /// The final response's URL, after redirects, when the fetcher knows it.
    pub url: Option<String>,
    /// The body, decoded as UTF-8.
    pub body: String,
}

impl WellKnownResponse {
    /// A response with this status, content type and body, whose final URL is not known.
    pub fn new(status: u16, content_type: Option<&str>, body: impl Into<String>) -> Self {
        Self {
            status,
            content_type: content_type.map(str::to_owned),
            url: None,
            body: body.into(),
        }
    }

    /// A `200` `application/json` response with this body: what a relying party serves.
    pub fn json(body: impl Into<String>) -> Self {
        Self::new(200, Some("application/json"), body)
    }

    /// The same response, whose final URL (after redirects) was `url`.
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }
}

/// Why the fetch itself failed (the procedure then throws a `SecurityError`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WellKnownFetchError {
    /// The client does not support related origin requests.
    #[error("related origin requests are not supported")]
    NotSupported,
    /// A network error, a refused redirect, or anything else that made the fetch fail.
    #[error("the fetch failed: {0}")]
    Failed(String),
    /// No answer in time.
    #[error("the fetch timed out")]
    TimedOut,
    /// Not fetched: a signal named an RP ID no authenticator holds a credential for
    /// ([`RelatedOrigins::fetch_for_signal`]).
    #[error("not fetched: no credential is held for this RP ID")]
    NotFetched,
    /// The document is larger than [`MAX_DOCUMENT_BYTES`].
    #[error("the document is larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge,
}

/// How the engine obtains a relying party's `.well-known/webauthn` document.
///
/// The embedder fetches `https://<rp_id>/.well-known/webauthn` the way the spec asks: without
/// credentials, without a referrer, over `https:` only. The engine's default,
/// [`NoRelatedOrigins`], does not support related origins: every RP ID that is not a registrable
/// suffix of the caller's effective domain is a `SecurityError`, without a fetch.
pub trait RelatedOrigins: Send + Sync {
    /// Whether the client supports related origin requests (`getClientCapabilities()`'s
    /// `relatedOrigins`). When false, [`fetch`](Self::fetch) is never called.
    fn supported(&self) -> bool;

    /// Fetches `https://<rp_id>/.well-known/webauthn`. `rp_id` is a domain in ASCII, lower case.
    /// Dropping the future cancels the fetch.
    fn fetch(
        &self,
        rp_id: &str,
    ) -> impl Future<Output = Result<WellKnownResponse, WellKnownFetchError>> + Send;

    /// The fetch a signal method's RP ID validation makes. `may_hold` is false when the
    /// authenticators know, without asking the user, that they hold no credential for `rp_id`.
    ///
    /// A signal shows no UI, so without this a page could make the client fetch any host's
    /// `.well-known/webauthn` at will. The default fetches only when a credential may be held,
    /// and otherwise fails as an unreachable document would: the signal is then refused with the
    /// `SecurityError` of an unrelated RP ID, which changes nothing (the action would have found
    /// no credential to act on). An embedder with a timer should make both paths take the same
    /// time, or the fetch's duration tells a page whether the vault holds passkeys for `rp_id`.
    fn fetch_for_signal(
        &self,
        rp_id: &str,
        may_hold: bool,
    ) -> impl Future<Output = Result<WellKnownResponse, WellKnownFetchError>> + Send {
        async move {
            if may_hold {
                self.fetch(rp_id).await
            } else {
                Err(WellKnownFetchError::NotFetched)
            }
        }
    }
}

/// The default: related origin requests are not supported (an RP ID must be the caller's
/// effective domain or a registrable suffix of it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoRelatedOrigins;

impl RelatedOrigins for NoRelatedOrigins {
    fn supported(&self) -> bool {
        false
    }

    async fn fetch(&self, _rp_id: &str) -> Result<WellKnownResponse, WellKnownFetchError> {
        Err(WellKnownFetchError::NotSupported)
    }
}

/// Related origins from a script, for tests and demonstrations: a response (or a failure) per
/// RP ID; an RP ID without one fails like a network error. Records every RP ID fetched.
///
/// ```
/// use credwell_core::{RelatedOrigins, ScriptedRelatedOrigins, WellKnownResponse};
/// let document = WellKnownResponse::json(r#"{"origins": ["https://shopping.co.uk"]}"#);
/// let related = ScriptedRelatedOrigins::new().with("shopping.com", document);
/// assert!(related.supported());
/// let got = futures::executor::block_on(related.fetch("shopping.com")).unwrap();
/// assert_eq!(got.status, 200);
/// assert_eq!(related.fetched(), ["shopping.com"]);
/// ```
#[derive(Debug, Default)]
pub struct ScriptedRelatedOrigins {
    documents: HashMap<String, Result<WellKnownResponse, WellKnownFetchError>>,
    fetched: Mutex<Vec<String>>,
}

impl ScriptedRelatedOrigins {
    /// No document for any RP ID (every fetch fails).
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `response` for `rp_id`.
    pub fn with(mut self, rp_id: &str, response: WellKnownResponse) -> Self {
        self.documents.insert(rp_id.to_owned(), Ok(response));
        self
    }

    /// Fails the fetch for `rp_id` with `error`.
    pub fn failing(mut self, rp_id: &str, error: WellKnownFetchError) -> Self {
        self.documents.insert(rp_id.to_owned(), Err(error));
        self
    }

    /// Every RP ID fetched so far, in order.
    pub fn fetched(&self) -> Vec<String> {
        crate::sync::lock(&self.fetched).clone()
    }
}

impl RelatedOrigins for ScriptedRelatedOrigins {
    fn supported(&self) -> bool {
        true
    }

    async fn fetch(&self, rp_id: &str) -> Result<WellKnownResponse, WellKnownFetchError> {
        crate::sync::lock(&self.fetched).push(rp_id.to_owned());
        self.documents.get(rp_id).cloned().unwrap_or_else(|| {
            Err(WellKnownFetchError::Failed(format!(
                "no document scripted for {rp_id}"
            )))
        })
    }
}

impl<R: RelatedOrigins> RelatedOrigins for &R {
    fn supported(&self) -> bool {
        (**self).supported()
    }

    fn fetch(
        &self,
        rp_id: &str,
    ) -> impl Future<Output = Result<WellKnownResponse, WellKnownFetchError>> + Send {
        (**self).fetch(rp_id)
    }
}

/// Why the related origins validation procedure did not allow the RP ID (every case is a
/// `SecurityError` for the page).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RelatedOriginsError {
    /// The requested RP ID is not a domain (an IP address, empty, not a valid host), so it has
    /// no well-known URL to fetch.
    #[error("{0:?} is not a domain")]
    NotADomain(String),
    /// The requested RP ID is a domain, but not one under a registrable domain of the Public
    /// Suffix List (a single label such as `intranet`, a public suffix such as `co.uk`, a name
    /// under a suffix the list does not know such as `printer.lan`): nothing is fetched, so a page
    /// cannot make the client reach names outside the public web.
    #[error("{0:?} is not under a registrable domain")]
    NotRegistrable(String),
    /// The fetch failed.
    #[error(transparent)]
    Fetch(#[from] WellKnownFetchError),
    /// The final response was not `200`.
    #[error("/.well-known/webauthn answered with status {0}, not 200")]
    Status(u16),
    /// The final response was not `application/json`.
    #[error("/.well-known/webauthn is {0:?}, not application/json")]
    ContentType(Option<String>),
    /// A redirect ended on a URL that is not `https:`.
    #[error("/.well-known/webauthn was redirected to {0:?}, which is not https:")]
    NotHttps(String),
    /// The body is larger than [`MAX_DOCUMENT_BYTES`].
    #[error("/.well-known/webauthn is {0} bytes, more than the {MAX_DOCUMENT_BYTES} byte limit")]
    TooLarge(usize),
    /// The body is not a JSON object.
    #[error("/.well-known/webauthn is not a JSON object")]
    NotAJsonObject,
    /// The object's `origins` is missing or not an array of strings.
    #[error("/.well-known/webauthn has no \"origins\" array of strings")]
    NoOrigins,
    /// The procedure returned false: the caller's origin is not in the list (within the first
    /// [`MAX_LABELS`] registrable origin labels).
    #[error("/.well-known/webauthn does not list {0}")]
    NotListed(String),
}

/// The [related origins validation procedure][sctn-validating-relation-origin],
/// given `callerOrigin` and `rpIdRequested`: `Ok(rp_id)` (the requested RP ID as a domain in
/// ASCII, lower case) when the procedure returns true; otherwise why it threw or returned false.
///
/// [sctn-validating-relation-origin]:
/// https://w3c.github.io/webauthn/#sctn-validating-relation-origin
pub(crate) async fn related_origins_validation<R: RelatedOrigins>(
    related: &R,
    caller_origin: &Origin,
    rp_id_requested: &str,
) -> Result<String, RelatedOriginsError> {
    // (The RP ID is a valid domain string; an IP address or an unparsable host has no well-known
    // URL of its own.)
    let rp_id = match url::Host::parse(rp_id_requested) {
        Ok(url::Host::Domain(domain)) if !domain.is_empty() => domain,
        _ => return Err(RelatedOriginsError::NotADomain(shorten(rp_id_requested))),
    };
    // (Client policy, before anything is fetched: only names under a registrable domain of the
    // Public Suffix List, with a suffix the list knows; see `NotRegistrable`.)
    if !psl::domain(rp_id.as_bytes()).is_some_and(|d| d.suffix().is_known()) {
        return Err(RelatedOriginsError::NotRegistrable(shorten(&rp_id)));
    }
    // 1. Let maxLabels be the maximum number of registrable origin labels allowed by client
    //    policy: MAX_LABELS.
    // 2. Fetch the webauthn well-known URL for the RP ID rpIdRequested (i.e.,
    //    https://rpIdRequested/.well-known/webauthn) without credentials, without a referrer and
    //    using the https: scheme (the embedder's fetcher).
    //    2.1. If the fetch fails, ... then throw a "SecurityError" DOMException.
    let response = related.fetch(&rp_id).await?;
    let origins = origins_from_response(&response)?;
    // 3.-5.
    if origins_list_allows(&origins, caller_origin, MAX_LABELS) {
        Ok(rp_id)
    } else {
        Err(RelatedOriginsError::NotListed(caller_origin.to_string()))
    }
}

/// Step 2's checks of the response, and step 3's `origins`: the list of strings, or why the
/// procedure throws a "SecurityError" DOMException.
pub fn origins_from_response(
    response: &WellKnownResponse,
) -> Result<Vec<String>, RelatedOriginsError> {
    // 2.1. If the fetch fails, the response does not have a content type of application/json,
    //      or does not have a status code (after following redirects) of 200, then throw a
    //      "SecurityError" DOMException.
    //      (Fetched "using the https: scheme": a redirect to another scheme fails too.)
    if let Some(url) = &response.url
        && !url::Url::parse(url).is_ok_and(|u| u.scheme() == "https")
    {
        return Err(RelatedOriginsError::NotHttps(shorten(url)));
    }
    if response.status != 200 {
        return Err(RelatedOriginsError::Status(response.status));
    }
    if !response
        .content_type
        .as_deref()
        .is_some_and(is_application_json)
    {
        return Err(RelatedOriginsError::ContentType(
            response.content_type.as_deref().map(shorten),
        ));
    }
    if response.body.len() > MAX_DOCUMENT_BYTES {
        return Err(RelatedOriginsError::TooLarge(response.body.len()));
    }
    // 2.2. If the body of the resource is not a valid JSON object, then throw a "SecurityError"
    //      DOMException.
    let Ok(Value::Object(document)) = serde_json::from_str::<Value>(&response.body) else {
        return Err(RelatedOriginsError::NotAJsonObject);
    };
    // 2.3. If the value of the origins property of the JSON object is missing, or is not an
    //      array of strings, then throw a "SecurityError" DOMException.
    let Some(Value::Array(items)) = document.get("origins") else {
        return Err(RelatedOriginsError::NoOrigins);
    };
    items
        .iter()
        .map(|item| item.as_str().map(str::to_owned))
        .collect::<Option<Vec<_>>>()
        .ok_or(RelatedOriginsError::NoOrigins)
}

/// Steps 3 to 5 of the procedure: whether `origins` (the document's list, in order) lists
/// `caller_origin` within its first `max_labels` distinct registrable origin labels.
///
/// ```
/// use credwell_core::{Origin, origins_list_allows};
/// let caller = Origin::parse("https://shopping.co.uk").unwrap();
/// let list = ["https://shopping.com".to_owned(), "https://shopping.co.uk".to_owned()];
/// assert!(origins_list_allows(&list, &caller, 5));
/// assert!(!origins_list_allows(&list[..1], &caller, 5));
/// ```
pub fn origins_list_allows(origins: &[String], caller_origin: &Origin, max_labels: usize) -> bool {
    // 3. Let labelsSeen be a new empty set.
    let mut labels_seen: Vec<String> = Vec::new();
    // 4. For each item of origins:
    for item in origins {
        // 4.1. Let url be the result of running the URL parser with item as the input. If that
        //      fails, continue.
        let Ok(url) = url::Url::parse(item) else {
            continue;
        };
        // 4.2. Let domain be the effective domain of url. If that is null, continue.
        //      (A URL's origin has no document.domain: its effective domain is its host; URLs
        //      whose origin is opaque have none.)
        let origin = url.origin();
        let url::Origin::Tuple(_, host, _) = &origin else {
            continue;
        };
        // 4.3. Let label be the registrable origin label of domain.
        // 4.4. If label is empty or null, continue.
        let Some(label) = registrable_origin_label(host) else {
            continue;
        };
        // 4.5. If the size of labelsSeen is greater than or equal to maxLabels and labelsSeen
        //      does not contain label, continue.
        let seen = labels_seen.iter().any(|l| l == label);
        if labels_seen.len() >= max_labels && !seen {
            continue;
        }
        // 4.6. If callerOrigin and url are same origin, return true.
        if Origin::parse(url.as_str()).is_ok_and(|o| caller_origin.same_origin(&o)) {
            return true;
        }
        // 4.7. If the size of labelsSeen is less than maxLabels, append label to labelsSeen.
        if labels_seen.len() < max_labels && !seen {
            labels_seen.push(label.to_owned());
        }
    }
    // 5. Return false.
    false
}

/// The [registrable origin label](https://w3c.github.io/webauthn/#registrable-origin-label) of
/// a host: the first label of its registrable domain (Public Suffix List, private domains
/// included), or `None` when it has none (an IP address, a public suffix, a single label).
pub(crate) fn registrable_origin_label(host: &url::Host) -> Option<&str> {
    let url::Host::Domain(domain) = host else {
        return None;
    };
    let registrable = psl::domain_str(domain)?;
    let label = registrable.split('.').next()?;
    (!label.is_empty()).then_some(label)
}

/// Whether a `Content-Type` value is `application/json`: its MIME type's essence (type and
/// subtype, ASCII case-insensitive), parameters such as `charset` allowed.
fn is_application_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default();
    essence
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .eq_ignore_ascii_case("application/json")
}

#[cfg(test)]
mod tests;
