//! What the format tests share: fixtures, the logins' summaries, custom fields and zips.

use std::io::Write as _;
use std::path::PathBuf;

use zip::write::SimpleFileOptions;

use super::super::*;

pub(super) fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub(super) fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap()
}

pub(super) fn parse(format: Format, name: &str) -> Parsed {
    read(format, fixture(name).as_slice()).unwrap()
}

/// (line, origin, username, password) of each login.
pub(super) fn summary(parsed: &Parsed) -> Vec<(u64, String, String, String)> {
    parsed
        .logins
        .iter()
        .map(|l| {
            (
                l.line,
                l.origin.to_string(),
                l.username.clone(),
                l.password.expose().to_owned(),
            )
        })
        .collect()
}

pub(super) fn row(line: u64, origin: &str, user: &str, pw: &str) -> (u64, String, String, String) {
    (line, origin.into(), user.into(), pw.into())
}

pub(super) fn skipped(parsed: &Parsed) -> Vec<(u64, SkipReason)> {
    parsed
        .skipped
        .iter()
        .map(|s| (s.line, s.reason.clone()))
        .collect()
}

/// The first of the three logins every CSV fixture has, at `line`.
pub(super) fn alice(line: u64) -> (u64, String, String, String) {
    row(
        line,
        "https://example.com",
        "alice",
        "correct horse battery staple",
    )
}

/// The second of the three logins every CSV fixture has, at `line`.
pub(super) fn bob(line: u64) -> (u64, String, String, String) {
    row(
        line,
        "https://mail.example.org:8443",
        "bob, the builder",
        "pa,ss\"word",
    )
}

/// The third of the three logins every CSV fixture has (an internationalised host), at `line`.
pub(super) fn jurgen(line: u64) -> (u64, String, String, String) {
    row(
        line,
        "https://xn--bcher-kva.example",
        "jürgen@bücher.example",
        "Grüße-123",
    )
}

/// (name, value, hidden) of each custom field of `login`.
pub(super) fn fields(login: &ImportedLogin) -> Vec<(String, String, bool)> {
    let fields = &login.extras.fields;
    fields
        .iter()
        .map(|f| (f.name.clone(), f.value.expose().to_owned(), f.hidden))
        .collect()
}

/// A custom field as [`fields`] lists it.
pub(super) fn field(name: &str, value: &str, hidden: bool) -> (String, String, bool) {
    (name.into(), value.into(), hidden)
}

/// A zip of `entries` (name, bytes), deflated.
pub(super) fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}
