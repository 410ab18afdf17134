//! Device tokens: what a device presents on every request.
//!
//! A token is `cw1.<account>.<device>.<secret>`: the account and device ids (so the server finds
//! the device by its key, without a scan) and 32 random bytes. The server keeps only the
//! SHA-256 of the secret ([`TokenHash`]): a copy of its database lets no one act as a device.
//! The secret is high-entropy, so a plain hash is enough (no key stretching).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{AccountId, DeviceId};

const PREFIX: &str = "cw1";

/// Why a text is not a device token. Never quotes the text: it may be a real token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not `cw1.<account>.<device>.<secret>`.
    #[error("not a credwell device token")]
    Malformed,
    /// The operating system's random generator failed.
    #[error("the system's random generator failed")]
    Random,
}

/// A device's credential for the sync API.
pub struct DeviceToken {
    /// The account the device belongs to.
    pub account: AccountId,
    /// The device.
    pub device: DeviceId,
    secret: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceToken")
            .field("account", &self.account)
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

/// The SHA-256 of a token's secret: what the server stores.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash(pub [u8; 32]);

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

impl TokenHash {
    /// Whether `other` is the same hash, in time independent of where they differ.
    pub fn matches(&self, other: &TokenHash) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl DeviceToken {
    /// A new token for `device` of `account`, with a fresh random secret.
    pub fn generate(account: AccountId, device: DeviceId) -> Result<Self, TokenError> {
        let mut secret = Zeroizing::new([0; 32]);
        getrandom::fill(&mut *secret).map_err(|_| TokenError::Random)?;
        Ok(Self {
            account,
            device,
            secret,
        })
    }

    /// Parses `cw1.<account>.<device>.<secret>`.
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        let mut parts = text.split('.');
        let (Some(PREFIX), Some(account), Some(device), Some(secret), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(TokenError::Malformed);
        };
        let account = AccountId::parse(account).map_err(|_| TokenError::Malformed)?;
        let device = DeviceId::parse(device).map_err(|_| TokenError::Malformed)?;
        let bytes = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(secret)
                .map_err(|_| TokenError::Malformed)?,
        );
        let mut secret = Zeroizing::new([0; 32]);
        if bytes.len() != secret.len() {
            return Err(TokenError::Malformed);
        }
        secret.copy_from_slice(&bytes);
        Ok(Self {
            account,
            device,
            secret,
        })
    }

    /// The token as text, for the `Authorization` header and the device's own store.
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{PREFIX}.{}.{}.{}",
            self.account,
            self.device,
            URL_SAFE_NO_PAD.encode(*self.secret)
        ))
    }

    /// The hash the server stores and compares.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(*self.secret).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_and_its_hash_matches_only_itself() {
        let token = DeviceToken::generate(AccountId([1; 16]), DeviceId([2; 16])).unwrap();
        let text = token.to_text();
        let back = DeviceToken::parse(&text).unwrap();
        assert_eq!((back.account, back.device), (token.account, token.device));
        assert!(back.hash().matches(&token.hash()));
        let other = DeviceToken::generate(token.account, token.device).unwrap();
        assert!(!other.hash().matches(&token.hash()));
        let shown = format!("{token:?} {:?}", token.hash());
        let secret = text.rsplit('.').next().unwrap();
        assert!(!shown.contains(secret), "{shown}");
    }

    #[test]
    fn malformed_tokens_are_refused_without_quoting_them() {
        let good = DeviceToken::generate(AccountId([1; 16]), DeviceId([2; 16]))
            .unwrap()
            .to_text();
        let cases = [
            String::new(),
            good.replacen("cw1", "cw2", 1),
            format!("{}.x", *good),
            good.rsplit_once('.').unwrap().0.to_owned(),
            format!("{}AA", *good),
            good.replace('.', ":"),
        ];
        for case in cases {
            let error = DeviceToken::parse(&case).unwrap_err();
            assert_eq!(error, TokenError::Malformed, "{case}");
            assert!(!error.to_string().contains("cw"), "{error}");
        }
    }
}
