//! What a page may store (`credentials.store`): each field of bounded size, and a bounded number
//! of credentials per origin (`docs/protocol.md`, "Bounds"). Without them six `store()` calls with
//! the engine's largest strings (64 KiB each) made `vault.list` bigger than the 1 MB a native
//! message may be, and the manager page failed for every record.
//!
//! The manager page's entries are cut to the same sizes, so that records stored before
//! these bounds still fit in a page.

use credwell_admin::entry::FieldLimits;
use credwell_core::{Credential, CredentialStore, CredentialType, Origin, StoreFailure};

/// The most bytes of a credential's `id` (a username, an email address).
pub const MAX_ID_BYTES: usize = 1024;
/// The most bytes of a credential's `name` (a display name).
pub const MAX_NAME_BYTES: usize = 1024;
/// The most bytes of a password.
pub const MAX_PASSWORD_BYTES: usize = 4096;
/// The most bytes of an `iconURL` (a small `data:` image fits).
pub const MAX_ICON_URL_BYTES: usize = 8192;
/// The most bytes of a federated credential's `provider` (an origin).
pub const MAX_PROVIDER_BYTES: usize = 1024;
/// The most password and federated credentials one origin may have.
pub const MAX_PER_ORIGIN: usize = 100;

/// A credential over credwell's bounds: the page's `store()` rejects with a
/// `QuotaExceededError` carrying this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BoundError {
    /// A field is too long.
    #[error("the credential's {field} is {bytes} bytes long; credwell stores at most {max}")]
    FieldTooLong {
        /// The field (`id`, `name`, `password`, `iconURL`, `provider`).
        field: &'static str,
        /// Its length.
        bytes: usize,
        /// The bound.
        max: usize,
    },
    /// The origin has as many credentials as it may.
    #[error(
        "this origin already has {max} saved credentials, the most credwell keeps for one \
         origin; update one of them, or remove some in credwell's manager page"
    )]
    TooManyForOrigin {
        /// The bound.
        max: usize,
    },
}

/// Checks the size of each field of a credential a page stores.
pub(crate) fn check_fields(credential: &Credential) -> Result<(), BoundError> {
    let mut fields = vec![
        ("id", credential.id(), MAX_ID_BYTES),
        ("name", credential.name(), MAX_NAME_BYTES),
        ("iconURL", credential.icon_url(), MAX_ICON_URL_BYTES),
    ];
    match credential {
        Credential::Password(p) => {
            fields.push(("password", p.password.expose(), MAX_PASSWORD_BYTES));
        }
        Credential::Federated(f) => fields.push(("provider", &f.provider, MAX_PROVIDER_BYTES)),
        _ => {}
    }
    match fields
        .into_iter()
        .find(|(_, value, max)| value.len() > *max)
    {
        Some((field, value, max)) => Err(BoundError::FieldTooLong {
            field,
            bytes: value.len(),
            max,
        }),
        None => Ok(()),
    }
}

/// Whether `origin` may have one more credential in `store`: a [`StoreFailure`] holding
/// [`BoundError::TooManyForOrigin`] when it may not.
pub(crate) async fn check_room<S: CredentialStore>(
    store: &S,
    origin: &Origin,
) -> Result<(), StoreFailure> {
    let passwords = store.list(origin, CredentialType::Password).await?.len();
    let federated = store.list(origin, CredentialType::Federated).await?.len();
    if passwords + federated >= MAX_PER_ORIGIN {
        return Err(StoreFailure::new(BoundError::TooManyForOrigin {
            max: MAX_PER_ORIGIN,
        }));
    }
    Ok(())
}

/// The bound an engine error comes from, if any (a [`check_room`] failure deep in its sources).
pub(crate) fn exceeded_in<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a BoundError> {
    let mut error = Some(error);
    while let Some(e) = error {
        if let Some(bound) = e.downcast_ref::<BoundError>() {
            return Some(bound);
        }
        error = e.source();
    }
    None
}

/// The sizes the manager page's entries are cut to.
pub(crate) const ENTRY_LIMITS: FieldLimits = FieldLimits {
    id: MAX_ID_BYTES,
    name: MAX_NAME_BYTES,
    icon_url: MAX_ICON_URL_BYTES,
    provider: MAX_PROVIDER_BYTES,
};
