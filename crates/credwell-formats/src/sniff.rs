//! Which format a file is, from what it starts with: a CSV file's header names its columns, a
//! JSON document its top-level keys. `credwell import FORMAT FILE` refuses a file whose header
//! or keys say it is another format, naming that one: a Firefox file read as Chrome's, or a
//! KeePassXC file read as Firefox's, would otherwise import (every CSV format has url, username
//! and password columns) and drop what the right reader keeps.

use super::archive::{self, Archive};
use super::json_text::{self, Token};
use super::{Format, kdbx, onepux, proton_json};

/// The first 8 bytes of a KeePass 1 database (`.kdb`): the signatures `0x9AA2D903` and
/// `0xB54BFB65`, little-endian.
const KDB_SIGNATURE: [u8; 8] = [0x03, 0xd9, 0xa2, 0x9a, 0x65, 0xfb, 0x4b, 0xb5];

/// What a file says it is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One of the formats credwell reads.
    Known(Format),
    /// A format credwell does not read: what it is and what to do.
    Unsupported(&'static str),
}

/// The format `bytes` say they are, if they say.
pub(crate) fn sniff(bytes: &[u8]) -> Option<Kind> {
    if archive::is_zip(bytes) {
        return Some(match Archive::open(bytes) {
            Ok(zip) if zip.has(onepux::DATA) => Kind::Known(Format::Onepux),
            Ok(zip) if zip.has(proton_json::DATA) || zip.has(proton_json::ENCRYPTED_DATA) => {
                Kind::Known(Format::ProtonJson)
            }
            _ => Kind::Unsupported(
                "a zip archive but not an export credwell reads: of the zip exports, credwell \
                 reads 1Password's 1PUX (`credwell import 1password-1pux`) and Proton Pass's \
                 (`credwell import proton-json`)",
            ),
        });
    }
    if proton_json::is_pgp(bytes) {
        return Some(Kind::Unsupported(
            "an OpenPGP-encrypted file (Proton Pass's encrypted export is one), which credwell \
             does not read: export it again without encryption (Proton Pass: Settings → \
             Export, encryption off)",
        ));
    }
    if bytes.starts_with(&kdbx::SIGNATURE) {
        return Some(Kind::Known(Format::Kdbx));
    }
    if bytes.starts_with(&KDB_SIGNATURE) {
        return Some(Kind::Unsupported(
            "a KeePass 1 database (.kdb), which credwell does not read: open it in KeePassXC or \
             KeePass 2, save it as a .kdbx database and import that with `credwell import kdbx`",
        ));
    }
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    if bytes[start] == b'{' {
        return json_kind(std::str::from_utf8(bytes).ok()?);
    }
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    csv_kind(std::str::from_utf8(&bytes[..end]).ok()?)
}

/// The format a CSV header line names.
fn csv_kind(header: &str) -> Option<Kind> {
    let names: Vec<String> = header
        .split(',')
        .map(|n| n.trim().trim_matches('"').trim().to_lowercase())
        .collect();
    let has = |wanted: &[&str]| wanted.iter().all(|w| names.iter().any(|n| n == w));
    let kind = if has(&["httprealm", "formactionorigin"]) || has(&["timepasswordchanged"]) {
        Kind::Known(Format::FirefoxCsv)
    } else if has(&["group", "title", "username", "password", "url"]) {
        Kind::Known(Format::KeepassxcCsv)
    } else if has(&["type", "name", "url", "password", "createtime", "vault"]) {
        Kind::Known(Format::ProtonCsv)
    } else if has(&["login_uri", "login_password"]) {
        Kind::Known(Format::BitwardenCsv)
    } else if has(&["url", "username", "password", "extra", "grouping"]) {
        Kind::Known(Format::LastpassCsv)
    } else if has(&["title", "url", "username", "password"])
        && (has(&["archived"]) || has(&["tags"]) || has(&["favorite"]))
    {
        Kind::Known(Format::OnepasswordCsv)
    } else if has(&["title", "url", "username", "password"]) {
        Kind::Known(Format::AppleCsv)
    } else if has(&["name", "url", "username", "password"]) {
        Kind::Known(Format::ChromeCsv)
    } else {
        return None;
    };
    Some(kind)
}

/// The format a JSON document's top-level keys name.
fn json_kind(text: &str) -> Option<Kind> {
    let mut depth = 0_usize;
    let mut expecting_key = false;
    let (mut cxf, mut bitwarden, mut items, mut proton) = (false, false, false, false);
    for (_, token) in json_text::tokens(text) {
        match token {
            Token::Other(b'{' | b'[') => {
                depth += 1;
                expecting_key = depth == 1;
            }
            Token::Other(b'}' | b']') => depth = depth.saturating_sub(1),
            Token::Other(b',') if depth == 1 => expecting_key = true,
            Token::String(key) if depth == 1 && expecting_key => {
                expecting_key = false;
                match key {
                    // The exchange header's keys, and a bare account's own.
                    "exporterRpId" | "accounts" | "exporterDisplayName" | "email" | "username" => {
                        cxf = true;
                    }
                    "encrypted" | "folders" => bitwarden = true,
                    // Proton Pass's (which has an "encrypted" too).
                    "userId" | "vaults" => proton = true,
                    // Both a Bitwarden export and a bare CXF account have items.
                    "items" => items = true,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if proton {
        return Some(Kind::Known(Format::ProtonJson));
    }
    match (cxf, bitwarden, items) {
        (true, false, _) => Some(Kind::Known(Format::Cxf)),
        (false, true, _) | (false, false, true) => Some(Kind::Known(Format::BitwardenJson)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_keys_name_their_format() {
        let known = |text: &str| sniff(text.as_bytes());
        for (text, want) in [
            ("name,url,username,password,note\n", Format::ChromeCsv),
            ("name,url,username,password\r\nx,y,z,w\n", Format::ChromeCsv),
            (
                "\u{feff}\"url\",\"username\",\"password\",\"httpRealm\",\"formActionOrigin\",\
                 \"guid\",\"timeCreated\",\"timeLastUsed\",\"timePasswordChanged\"\n",
                Format::FirefoxCsv,
            ),
            (
                "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\
                 \"Icon\",\"Last Modified\",\"Created\"\n",
                Format::KeepassxcCsv,
            ),
            (
                "{\"encrypted\": false, \"items\": []}",
                Format::BitwardenJson,
            ),
            (
                "{\"version\": {\"major\": 1, \"minor\": 0}, \"exporterRpId\": \"x\", \
                 \"accounts\": [{\"items\": []}]}",
                Format::Cxf,
            ),
            (
                "{\"id\": \"YQ\", \"username\": \"\", \"email\": \"\", \"collections\": [], \
                 \"items\": []}",
                Format::Cxf,
            ),
            ("{\"items\": []}", Format::BitwardenJson),
            (
                "{\"encrypted\": false, \"collections\": [], \"items\": []}",
                Format::BitwardenJson,
            ),
        ] {
            assert_eq!(known(text), Some(Kind::Known(want)), "{text}");
        }
        for (text, want) in [
            (
                "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,\
                 login_password,login_totp\n",
                Format::BitwardenCsv,
            ),
            (
                "collections,type,name,notes,fields,reprompt,login_uri,login_username,\
                 login_password,login_totp\n",
                Format::BitwardenCsv,
            ),
            (
                "url,username,password,totp,extra,name,grouping,fav\n",
                Format::LastpassCsv,
            ),
            (
                "type,name,url,email,username,password,note,totp,createTime,modifyTime,vault\n",
                Format::ProtonCsv,
            ),
            (
                "Title,URL,Username,Password,Notes,OTPAuth\n",
                Format::AppleCsv,
            ),
            (
                "Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\n",
                Format::OnepasswordCsv,
            ),
        ] {
            assert_eq!(known(text), Some(Kind::Known(want)), "{text}");
        }
        assert_eq!(
            sniff(&[0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5, 1, 0]),
            Some(Kind::Known(Format::Kdbx))
        );
        for bytes in [
            b"PK\x03\x04\x14\x00".as_slice(),
            &[0x03, 0xd9, 0xa2, 0x9a, 0x65, 0xfb, 0x4b, 0xb5, 1, 0],
        ] {
            assert!(matches!(sniff(bytes), Some(Kind::Unsupported(_))));
        }
        for text in [
            "",
            "a,b,c\n",
            "https://x.example,alice,pw\n",
            "{}",
            "[1, 2]",
            "{\"a\"",
        ] {
            assert_eq!(known(text), None, "{text}");
        }
    }
}
