//! `credwell totp`: one-time codes (RFC 6238, TOTP, over RFC 4226's HOTP) from the TOTP secret
//! stored with a credential (`credwell totp ID|QUERY`) or from a secret in a file
//! (`--secret-file`): an `otpauth://totp/...` URI (the format of authenticator QR codes) or a
//! bare base32 secret.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use data_encoding::BASE32_NOPAD;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use url::Url;
use zeroize::Zeroizing;

use crate::agent::Request;
use crate::backend::{self, Target};
use crate::find;
use crate::global::Global;
use crate::output::print_json;

/// Options of `credwell totp`.
#[derive(Debug, Args)]
pub(crate) struct TotpArgs {
    /// The credential's ID, or a query that matches only it (as `credwell get` takes).
    #[arg(
        required_unless_present = "secret_file",
        conflicts_with = "secret_file"
    )]
    pub(crate) query: Option<String>,
    /// A file holding an `otpauth://totp/...` URI or a base32 secret (`-`: stdin), instead of
    /// a stored credential's.
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_file: Option<PathBuf>,
    /// The code at this Unix time (seconds) instead of now.
    #[arg(long, value_name = "SECONDS")]
    pub(crate) at: Option<u64>,
}

/// The hash under the HMAC (the URI's `algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    /// HMAC-SHA-1, the default.
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

/// A TOTP generator: the shared secret and the parameters of RFC 6238, section 4.1.
pub(crate) struct Totp {
    secret: Zeroizing<Vec<u8>>,
    algorithm: Algorithm,
    digits: u32,
    period: u64,
}

impl std::fmt::Debug for Totp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Totp")
            .field("secret", &"<redacted>")
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .finish()
    }
}

impl Totp {
    /// A generator with `digits` (6 to 10) and a `period` in seconds (1 to 86,400).
    pub(crate) fn new(
        secret: Zeroizing<Vec<u8>>,
        algorithm: Algorithm,
        digits: u32,
        period: u64,
    ) -> Result<Self> {
        if secret.is_empty() {
            bail!("the TOTP secret is empty");
        }
        if !(6..=10).contains(&digits) {
            bail!("a TOTP code has 6 to 10 digits, not {digits}");
        }
        if !(1..=86_400).contains(&period) {
            bail!("a TOTP period is 1 to 86400 seconds, not {period}");
        }
        Ok(Self {
            secret,
            algorithm,
            digits,
            period,
        })
    }

    /// Reads a file's text: an `otpauth://` URI, or a base32 secret with the defaults (HMAC-SHA-1,
    /// 6 digits, 30 seconds).
    pub(crate) fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.len() >= 10 && text[..10].eq_ignore_ascii_case("otpauth://") {
            return Self::from_uri(text);
        }
        Self::new(decode_base32(text)?, Algorithm::Sha1, 6, 30)
    }

    /// An `otpauth://totp/LABEL?secret=...&algorithm=...&digits=...&period=...` URI (the
    /// Key Uri Format of Google Authenticator; `issuer` and the label are not needed here).
    fn from_uri(uri: &str) -> Result<Self> {
        // Errors name the part that is wrong, never the URI: it holds the secret.
        let url = Url::parse(uri).map_err(|e| anyhow::anyhow!("not an otpauth URI: {e}"))?;
        match url.host_str() {
            Some(kind) if kind.eq_ignore_ascii_case("totp") => {}
            Some(kind) if kind.eq_ignore_ascii_case("hotp") => {
                bail!("the otpauth URI is for HOTP (counter-based) codes; only TOTP is supported")
            }
            _ => bail!("the otpauth URI is neither otpauth://totp/ nor otpauth://hotp/"),
        }
        let (mut secret, mut algorithm, mut digits, mut period) = (None, Algorithm::Sha1, 6, 30);
        for (key, value) in url.query_pairs() {
            match key.to_ascii_lowercase().as_str() {
                "secret" => secret = Some(decode_base32(&value)?),
                "algorithm" => {
                    algorithm = match value.to_ascii_uppercase().as_str() {
                        "SHA1" => Algorithm::Sha1,
                        "SHA256" => Algorithm::Sha256,
                        "SHA512" => Algorithm::Sha512,
                        other => bail!(
                            "the otpauth URI's algorithm {other:?} is not SHA1, SHA256 or SHA512"
                        ),
                    }
                }
                "digits" => {
                    digits = value.parse().map_err(|_| {
                        anyhow::anyhow!("the otpauth URI's digits {value:?} is not a number")
                    })?;
                }
                "period" => {
                    period = value.parse().map_err(|_| {
                        anyhow::anyhow!("the otpauth URI's period {value:?} is not a number")
                    })?;
                }
                _ => {}
            }
        }
        let secret = secret.context("the otpauth URI has no secret parameter")?;
        Self::new(secret, algorithm, digits, period)
    }

    /// The seconds a code lasts.
    pub(crate) fn period(&self) -> u64 {
        self.period
    }

    /// The code at Unix time `seconds`.
    ///
    /// [RFC 6238, section 4.2](https://www.rfc-editor.org/rfc/rfc6238#section-4.2):
    /// 1. T = floor((Current Unix time - T0) / X), with T0 = 0 and X the period;
    /// 2. TOTP = HOTP(K, T), T as an 8-byte big-endian counter.
    pub(crate) fn code_at(&self, seconds: u64) -> String {
        let counter = seconds / self.period;
        hotp(&self.secret, counter, self.algorithm, self.digits)
    }
}

/// [RFC 4226, section 5.3](https://www.rfc-editor.org/rfc/rfc4226#section-5.3):
/// 1. HS = HMAC(K, C), C the 8-byte big-endian counter;
/// 2. dynamic truncation: the low 4 bits of HS's last byte give an offset, and the 31 low bits
///    of the 4 bytes from there give a number;
/// 3. the code is that number modulo 10^digits, with leading zeros.
fn hotp(secret: &[u8], counter: u64, algorithm: Algorithm, digits: u32) -> String {
    let message = counter.to_be_bytes();
    let hs: Vec<u8> = match algorithm {
        Algorithm::Sha1 => mac::<Hmac<Sha1>>(secret, &message),
        Algorithm::Sha256 => mac::<Hmac<Sha256>>(secret, &message),
        Algorithm::Sha512 => mac::<Hmac<Sha512>>(secret, &message),
    };
    let offset = usize::from(hs[hs.len() - 1] & 0x0f);
    let number = u32::from_be_bytes([hs[offset], hs[offset + 1], hs[offset + 2], hs[offset + 3]])
        & 0x7fff_ffff;
    let code = u64::from(number) % 10u64.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

fn mac<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(key) else {
        unreachable!("HMAC accepts keys of every length")
    };
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// A base32 secret (RFC 4648), as authenticators show it: any case, spaces and `=` padding
/// ignored.
fn decode_base32(text: &str) -> Result<Zeroizing<Vec<u8>>> {
    let clean = Zeroizing::new(
        text.chars()
            .filter(|c| !c.is_whitespace() && *c != '=' && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect::<String>(),
    );
    if clean.is_empty() {
        bail!("the TOTP secret is empty");
    }
    BASE32_NOPAD
        .decode(clean.as_bytes())
        .map(Zeroizing::new)
        .map_err(|e| anyhow::anyhow!("the TOTP secret is not base32 (RFC 4648): {}", e.kind))
}

/// `credwell totp`.
pub(crate) fn run(global: &Global, args: &TotpArgs, out: &mut impl Write) -> Result<()> {
    let Some(file) = &args.secret_file else {
        let query = args.query.clone().unwrap_or_default();
        let (at, json) = (args.at, global.json);
        return match backend::connect(global)? {
            Target::Agent(agent) => agent.run(Request::Totp { query, at, json }, out),
            Target::Local(vault) => find::totp_in(&vault, &query, at, json, out),
        };
    };
    let text = crate::input::read_text(file, "--secret-file", "TOTP secret")?;
    print(&Totp::parse(&text)?, args.at, global.json, out)
}

/// `at`, or else now, in seconds since the Unix epoch.
pub(crate) fn unix_seconds(at: Option<u64>) -> Result<u64> {
    match at {
        Some(seconds) => Ok(seconds),
        None => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the system clock is before 1970")?
            .as_secs()),
    }
}

/// Prints the code at `at` (else now): the code alone, or with `json` the code, the period and
/// the seconds it has left.
pub(crate) fn print(totp: &Totp, at: Option<u64>, json: bool, out: &mut impl Write) -> Result<()> {
    let now = unix_seconds(at)?;
    let code = totp.code_at(now);
    let remaining = totp.period() - now % totp.period();
    if json {
        return print_json(
            out,
            &json!({"code": code, "period": totp.period(), "remainingSeconds": remaining}),
        );
    }
    writeln!(out, "{code}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, Appendix B: the seeds and the 8-digit codes at each time.
    #[test]
    fn rfc_6238_test_vectors() {
        let seed = |n: usize| Zeroizing::new(b"1234567890".repeat(7)[..n].to_vec());
        let generators = [
            Totp::new(seed(20), Algorithm::Sha1, 8, 30).unwrap(),
            Totp::new(seed(32), Algorithm::Sha256, 8, 30).unwrap(),
            Totp::new(seed(64), Algorithm::Sha512, 8, 30).unwrap(),
        ];
        let vectors: [(u64, [&str; 3]); 6] = [
            (59, ["94287082", "46119246", "90693936"]),
            (1_111_111_109, ["07081804", "68084774", "25091201"]),
            (1_111_111_111, ["14050471", "67062674", "99943326"]),
            (1_234_567_890, ["89005924", "91819424", "93441116"]),
            (2_000_000_000, ["69279037", "90698825", "38618901"]),
            (20_000_000_000, ["65353130", "77737706", "47863826"]),
        ];
        for (time, codes) in vectors {
            for (totp, want) in generators.iter().zip(codes) {
                assert_eq!(totp.code_at(time), want, "{:?} at {time}", totp.algorithm);
            }
        }
    }

    /// RFC 4226, Appendix D: HOTP values for counters 0 to 9.
    #[test]
    fn rfc_4226_test_vectors() {
        let want = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in want.iter().enumerate() {
            let got = hotp(b"12345678901234567890", counter as u64, Algorithm::Sha1, 6);
            assert_eq!(&got, code, "counter {counter}");
        }
    }

    #[test]
    fn uris_and_bare_secrets() {
        // "12345678901234567890" in base32.
        let b32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let uri = format!(
            "otpauth://totp/Example:alice@example.com?secret={b32}&issuer=Example&digits=8"
        );
        assert_eq!(Totp::parse(&uri).unwrap().code_at(59), "94287082");
        let spaced = "gezd gnbv gy3t qojq gezd gnbv gy3t qojq\n";
        assert_eq!(Totp::parse(spaced).unwrap().code_at(59), "287082");
        let sha256 = "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA\
                      &algorithm=SHA256&digits=8&period=30";
        assert_eq!(Totp::parse(sha256).unwrap().code_at(59), "46119246");
    }

    #[test]
    fn bad_secrets_are_named_without_the_secret() {
        for (text, want) in [
            ("otpauth://hotp/x?secret=GEZDGNBV&counter=1", "HOTP"),
            ("otpauth://totp/x?issuer=a", "no secret"),
            ("otpauth://totp/x?secret=GEZDGNBV&algorithm=MD5", "\"MD5\""),
            (
                "otpauth://totp/x?secret=GEZDGNBV&digits=4",
                "6 to 10 digits",
            ),
            ("otpauth://totp/x?secret=GEZDGNBV&period=0", "1 to 86400"),
            ("not*base32!", "not base32"),
            ("", "empty"),
        ] {
            let err = Totp::parse(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
            assert!(
                !err.contains("GEZDGNBV") && !err.contains("base32!"),
                "{err}"
            );
        }
        let debug = format!("{:?}", Totp::parse("GEZDGNBV").unwrap());
        assert!(
            debug.contains("<redacted>") && !debug.contains("49"),
            "{debug}"
        );
    }
}
