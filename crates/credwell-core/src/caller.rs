//! Who is calling: the trusted description of the calling frame that the embedder hands over.
//!
//! Everything here comes from the browser's own view of the frame (its origin, its ancestors,
//! its document's state), never from anything the page can write.

use crate::origin::Origin;
use crate::webauthn::PasswordSignIn;

/// Identifies an [environment settings object][environment-settings-object]
/// (a document): the scope of its *active credential types*.
///
/// [environment-settings-object]:
/// https://html.spec.whatwg.org/multipage/webappapis.html#environment-settings-object
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(pub u64);

/// Identifies one call, so that the embedder can cancel it
/// ([`Engine::cancel`](crate::Engine::cancel)) when the tab closes or the frame navigates away.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// The calling frame, as the browser reports it.
///
/// ```
/// use credwell_core::{Caller, ClientId, Origin, RequestId};
/// let top = Origin::parse("https://example.com").unwrap();
/// let framed = Origin::parse("https://widget.example").unwrap();
/// let caller = Caller::new(framed, ClientId(7), RequestId(1)).with_ancestors(&[top]);
/// assert!(!caller.same_origin_with_ancestors);
/// ```
#[derive(Clone, Debug)]
pub struct Caller {
    /// The settings object's origin; opaque for sandboxed frames.
    pub origin: Origin,
    /// Whether the settings object is a [secure context][secure-context].
    ///
    /// [secure-context]: https://html.spec.whatwg.org/multipage/webappapis.html#secure-context
    pub secure_context: bool,
    /// Whether the document is [fully active][fully-active].
    ///
    /// [fully-active]: https://html.spec.whatwg.org/multipage/document-sequences.html#fully-active
    pub fully_active: bool,
    /// Whether the settings object is [same-origin with its ancestors][ancestors].
    ///
    /// [ancestors]:
    /// https://w3c.github.io/webappsec-credential-management/#same-origin-with-its-ancestors
    pub same_origin_with_ancestors: bool,
    /// Whether the frame has [transient activation][transient-activation]
    /// (a recent user gesture), which WebAuthn `create()` needs in cross-origin frames. The
    /// embedder consumes the activation when it reports `true`.
    ///
    /// [transient-activation]:
    /// https://html.spec.whatwg.org/multipage/interaction.html#transient-activation
    pub transient_activation: bool,
    /// The top-level document's origin, when the frame is not top-level (`topOrigin` in
    /// `clientDataJSON`).
    pub top_origin: Option<Origin>,
    /// Whether the document's permissions policy allows `publickey-credentials-get` (by default
    /// only same-origin frames; a cross-origin iframe needs `allow="publickey-credentials-get"`).
    pub public_key_get_allowed: bool,
    /// Whether the permissions policy allows `publickey-credentials-create`.
    pub public_key_create_allowed: bool,
    /// The user's last sign-in to this origin with a password credwell holds, as the embedder
    /// recorded it (a `get()` that returned one, a fill), or `None`. Only a conditional
    /// `create()` reads it: an [automatic passkey upgrade](crate::CONDITIONAL_CREATE_WINDOW_MS)
    /// is allowed only shortly after such a sign-in to the same origin.
    pub password_sign_in: Option<PasswordSignIn>,
    /// The document making the call.
    pub client: ClientId,
    /// This call.
    pub request: RequestId,
}

impl Caller {
    /// A fully active, secure, top-level document of `origin`.
    pub fn new(origin: Origin, client: ClientId, request: RequestId) -> Self {
        Self {
            origin,
            secure_context: true,
            fully_active: true,
            same_origin_with_ancestors: true,
            transient_activation: false,
            top_origin: None,
            public_key_get_allowed: true,
            public_key_create_allowed: true,
            password_sign_in: None,
            client,
            request,
        }
    }

    /// Sets [`same_origin_with_ancestors`](Self::same_origin_with_ancestors) from the origins of
    /// the ancestor navigables' active documents, parent first (the last is the top-level one).
    pub fn with_ancestors(mut self, ancestors: &[Origin]) -> Self {
        self.same_origin_with_ancestors = same_origin_with_ancestors(&self.origin, ancestors);
        self.top_origin = ancestors.last().cloned();
        // The features' default allowlist is 'self': a cross-origin frame has them only when the
        // embedder reports an `allow` attribute granting them.
        self.public_key_get_allowed = self.same_origin_with_ancestors;
        self.public_key_create_allowed = self.same_origin_with_ancestors;
        self
    }
}

/// [Same-origin with its ancestors][same-origin-with-its-ancestors].
///
/// 1. (No associated Document, no browsing context: the embedder does not call the engine.)
/// 3. For each ancestor navigable, if its active document's origin is not *same origin* (not
///    same origin-domain, so `document.domain` changes nothing) with `origin`, return false.
/// 4. Return true.
///
/// [same-origin-with-its-ancestors]:
/// https://w3c.github.io/webappsec-credential-management/#same-origin-with-its-ancestors
pub fn same_origin_with_ancestors(origin: &Origin, ancestors: &[Origin]) -> bool {
    ancestors
        .iter()
        .all(|ancestor| ancestor.same_origin(origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(s: &str) -> Origin {
        Origin::parse(s).unwrap()
    }

    #[test]
    fn same_origin_with_ancestors_walks_every_ancestor() {
        let a = o("https://a.example");
        let b = o("https://b.example");
        assert!(same_origin_with_ancestors(&a, &[]));
        assert!(same_origin_with_ancestors(&a, &[a.clone(), a.clone()]));
        assert!(!same_origin_with_ancestors(&a, std::slice::from_ref(&b)));
        // A same-origin parent inside a cross-origin grandparent still fails.
        assert!(!same_origin_with_ancestors(&a, &[a.clone(), b]));
    }

    #[test]
    fn opaque_frames_are_never_same_origin_with_ancestors() {
        let opaque = Origin::new_opaque();
        assert!(!same_origin_with_ancestors(
            &opaque,
            &[o("https://a.example")]
        ));
    }
}
