//! CXF's passkeys and credwell's, both ways: the key as PKCS#8 DER, the `prf` secrets as the
//! `hmacCredentials` extension ([`cxf`](super::cxf) maps the rest of an item).

use credential_exchange_format::{
    B64Url, Fido2Extensions, Fido2HmacCredentialAlgorithm, Fido2HmacCredentials, PasskeyCredential,
};
use credwell_core::{Clock as _, SystemClock};
use credwell_passkey::{PasskeyRecord, PrfSecrets};
use zeroize::Zeroizing;

use super::passkeys::{self, Fields, Problem};

/// A CXF passkey as a credwell passkey.
pub(super) fn from_cxf(
    cxf: PasskeyCredential,
    created_s: Option<u64>,
) -> Result<PasskeyRecord, Problem> {
    let prf = cxf
        .fido2_extensions
        .and_then(|e| e.hmac_credentials)
        .map(prf_from_cxf)
        .transpose()?;
    // CXF carries large blobs DEFLATE-compressed, as CTAP stores them; credwell keeps
    // passkeys' blobs uncompressed and does not move them through CXF.
    passkeys::record(Fields {
        rp_id: cxf.rp_id,
        credential_id: cxf.credential_id.into(),
        user_handle: cxf.user_handle.into(),
        user_name: cxf.username,
        user_display_name: cxf.user_display_name,
        pkcs8: Zeroizing::new(cxf.key.into()),
        created_at: created_s.map_or_else(|| SystemClock.now().0, |s| s.saturating_mul(1000)),
        prf,
    })
}

fn prf_from_cxf(hmac: Fido2HmacCredentials) -> Result<PrfSecrets, Problem> {
    if !matches!(hmac.algorithm, Fido2HmacCredentialAlgorithm::HmacSha256) {
        return Err(Problem::Unsupported(
            "the passkey's hmacCredentials use an algorithm other than hmac-sha256".into(),
        ));
    }
    let with_uv: Vec<u8> = hmac.cred_with_uv.into();
    let without_uv: Vec<u8> = hmac.cred_without_uv.into();
    if with_uv.len() != 32 || !(without_uv.is_empty() || without_uv.len() == 32) {
        return Err(Problem::Malformed(
            "the passkey's hmacCredentials are not 32-byte secrets".into(),
        ));
    }
    Ok(PrfSecrets::new(
        with_uv,
        (!without_uv.is_empty()).then_some(without_uv),
    ))
}

/// A credwell passkey as a CXF passkey (its key as PKCS#8).
pub(super) fn to_cxf(record: &PasskeyRecord) -> std::io::Result<PasskeyCredential> {
    let key = passkeys::key_to_pkcs8(record)?;
    let fido2_extensions = record.prf.as_ref().map(|prf| Fido2Extensions {
        hmac_credentials: Some(Fido2HmacCredentials {
            algorithm: Fido2HmacCredentialAlgorithm::HmacSha256,
            cred_with_uv: B64Url::from(prf.expose_with_uv()),
            cred_without_uv: B64Url::from(prf.expose_without_uv().unwrap_or_default()),
        }),
        ..Fido2Extensions::default()
    });
    Ok(PasskeyCredential {
        credential_id: B64Url::from(record.credential_id.as_slice()),
        rp_id: record.rp_id.clone(),
        username: record.user_name.clone(),
        user_display_name: record.user_display_name.clone(),
        user_handle: B64Url::from(record.user_handle.as_slice()),
        key: B64Url::from(key.as_slice()),
        fido2_extensions,
    })
}
