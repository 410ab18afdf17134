//! [`Format`]: the formats the command line imports and exports, and what each has a place
//! for.

use std::fmt;

use super::Unstored;

/// A file format the command line imports and exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    /// Chrome / Chromium / Edge password CSV (`name,url,username,password,note`).
    ChromeCsv,
    /// Firefox logins CSV (`url,username,password,httpRealm,...`).
    FirefoxCsv,
    /// Bitwarden unencrypted JSON export.
    BitwardenJson,
    /// KeePassXC CSV export (`"Group","Title","Username","Password","URL",...`).
    KeepassxcCsv,
    /// FIDO Credential Exchange Format 1.0 (JSON): logins and passkeys.
    Cxf,
    /// Bitwarden CSV export (`folder,favorite,type,name,notes,fields,reprompt,login_uri,...`).
    BitwardenCsv,
    /// LastPass CSV export (`url,username,password,totp,extra,name,grouping,fav`).
    LastpassCsv,
    /// Apple Passwords / Safari CSV export (`Title,URL,Username,Password,Notes,OTPAuth`).
    AppleCsv,
    /// 1Password CSV export (`Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes`).
    #[cfg_attr(feature = "clap", value(name = "1password-csv"))]
    OnepasswordCsv,
    /// Proton Pass CSV export (`type,name,url,email,username,password,note,totp,createTime,...`).
    ProtonCsv,
    /// 1Password 1PUX export (a zip archive holding `export.data`), read only.
    #[cfg_attr(feature = "clap", value(name = "1password-1pux"))]
    Onepux,
    /// Proton Pass JSON export (`.json`, or the `.zip` holding `Proton Pass/data.json`), read
    /// only.
    ProtonJson,
    /// KeePass database (`.kdbx`, KDBX 3.1 and 4, KeePass 2 and KeePassXC), opened with its
    /// password or key file, read only.
    Kdbx,
}

impl Format {
    /// Every format, in the order of the command line's help.
    #[cfg(test)]
    pub const ALL: [Format; 13] = [
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
        Format::Kdbx,
    ];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::ChromeCsv => "chrome-csv",
            Format::FirefoxCsv => "firefox-csv",
            Format::BitwardenJson => "bitwarden-json",
            Format::KeepassxcCsv => "keepassxc-csv",
            Format::Cxf => "cxf",
            Format::BitwardenCsv => "bitwarden-csv",
            Format::LastpassCsv => "lastpass-csv",
            Format::AppleCsv => "apple-csv",
            Format::OnepasswordCsv => "1password-csv",
            Format::ProtonCsv => "proton-csv",
            Format::Onepux => "1password-1pux",
            Format::ProtonJson => "proton-json",
            Format::Kdbx => "kdbx",
        }
    }

    /// Whether the format is a CSV table (what spreadsheets open).
    pub fn is_csv(self) -> bool {
        !matches!(
            self,
            Format::BitwardenJson
                | Format::Cxf
                | Format::Onepux
                | Format::ProtonJson
                | Format::Kdbx
        )
    }

    /// Whether the format's files have lines that place their entries (a KeePass database
    /// has none: its entries are placed by their position, [`crate::ImportedLogin::line`]).
    pub fn has_lines(self) -> bool {
        self != Format::Kdbx
    }

    /// Whether credwell writes the format (`credwell export`); the others it only reads.
    pub fn can_write(self) -> bool {
        !matches!(self, Format::Onepux | Format::ProtonJson | Format::Kdbx)
    }

    /// Whether the format's files are zip archives.
    pub(crate) fn is_zip(self) -> bool {
        matches!(self, Format::Onepux | Format::ProtonJson)
    }

    /// Whether the format has a place for `kind` when it writes a login (the rest is left out
    /// of an export, and the export says so).
    pub fn writes(self, kind: Unstored) -> bool {
        match kind {
            Unstored::Notes => self != Format::FirefoxCsv,
            // Every format credwell writes but the browsers' has a TOTP column or key.
            Unstored::Totp => {
                self.can_write() && !matches!(self, Format::ChromeCsv | Format::FirefoxCsv)
            }
            Unstored::Folders => matches!(
                self,
                Format::BitwardenJson
                    | Format::Cxf
                    | Format::KeepassxcCsv
                    | Format::BitwardenCsv
                    | Format::LastpassCsv
                    | Format::ProtonCsv
            ),
            // 1Password's CSV has a place for one custom field only, its tags (`Tags`).
            Unstored::CustomFields => {
                matches!(
                    self,
                    Format::BitwardenJson | Format::Cxf | Format::BitwardenCsv
                )
            }
            Unstored::Favourites => matches!(
                self,
                Format::BitwardenJson
                    | Format::Cxf
                    | Format::BitwardenCsv
                    | Format::LastpassCsv
                    | Format::OnepasswordCsv
            ),
        }
    }

    /// Whether the format has a place for passkeys.
    pub fn carries_passkeys(self) -> bool {
        matches!(self, Format::Cxf | Format::BitwardenJson)
    }

    /// Whether the format has a place for passkeys' `prf` secrets.
    pub fn carries_prf(self) -> bool {
        self == Format::Cxf
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
