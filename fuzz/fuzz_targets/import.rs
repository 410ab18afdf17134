//! The importers of other password managers' exports (`credwell_formats::read`): Chrome,
//! Firefox and KeePassXC CSV, Bitwarden JSON and CXF, Bitwarden, LastPass, Apple, 1Password
//! and Proton Pass CSV, 1Password's 1PUX (a zip) and Proton Pass's JSON (or its zip). A user imports whatever file they were
//! given, so every byte is outside data. The first input byte picks the format.
//!
//! Contract: never panics; an error names a line no further than the file's last one; what a
//! format reads, it writes (when it writes the format at all), and reading that again gives the same sign-ins (origin, username,
//! password) and the same passkeys, in the same order: an import-export-import cycle loses
//! nothing.
#![no_main]

use credwell_formats::{Format, ImportedLogin, Parsed, read, write};
use libfuzzer_sys::fuzz_target;

const FORMATS: [Format; 12] = [
    Format::ChromeCsv,
    Format::FirefoxCsv,
    Format::BitwardenJson,
    Format::KeepassxcCsv,
    Format::Cxf,
    Format::BitwardenCsv,
    Format::LastpassCsv,
    Format::AppleCsv,
    Format::OnepasswordCsv,
    Format::ProtonCsv,
    Format::Onepux,
    Format::ProtonJson,
];

/// What an export must keep of a sign-in.
fn sign_ins(logins: &[ImportedLogin]) -> Vec<(String, String, String)> {
    logins
        .iter()
        .map(|l| {
            let password = l.password.expose().to_owned();
            (l.origin.to_string(), l.username.clone(), password)
        })
        .collect()
}

/// What an export must keep of a passkey: its serialized vault form, with the creation time in
/// whole seconds (CXF's `creationAt` unit).
fn passkeys(parsed: &Parsed) -> Vec<Vec<u8>> {
    parsed
        .passkeys
        .iter()
        .map(|p| {
            let mut p = p.clone();
            p.created_at -= p.created_at % 1000;
            p.to_vault_payload()
                .expect("a read passkey serializes")
                .to_vec()
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let format = FORMATS[usize::from(selector) % FORMATS.len()];
    let parsed = match read(format, file) {
        Ok(parsed) => parsed,
        Err(error) => {
            let lines = 1 + file.iter().filter(|&&b| b == b'\n').count() as u64;
            if let Some(line) = error.line {
                assert!(line <= lines, "{format}: error at line {line} of {lines}");
            }
            return;
        }
    };
    if !format.can_write() {
        return;
    }
    let mut written = Vec::new();
    write(format, &parsed.logins, &parsed.passkeys, &mut written).expect("writing to memory");
    let again = read(format, written.as_slice())
        .unwrap_or_else(|e| panic!("{format}: its own export does not read back: {e}"));
    assert_eq!(
        sign_ins(&again.logins),
        sign_ins(&parsed.logins),
        "{format}: sign-ins changed in an export and import"
    );
    if format.carries_passkeys() {
        // Not `assert_eq!`: the payloads hold private keys, which a crash report must not print.
        assert!(
            passkeys(&again) == passkeys(&parsed),
            "{format}: passkeys changed in an export and import"
        );
    }
});
