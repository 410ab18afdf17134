//! KeePass databases written for tests: credwell-formats' own, and the `credwell` binary's
//! import tests (the feature `kdbx-test-writer`). The `keepass` crate's KDBX 4 writer, with a
//! key derivation cheap enough for a debug build: never for a real database.

use keepass::config::{DatabaseConfig, KdfConfig};
use keepass::db::{EntryMut, GroupMut, fields};
use keepass::{Database, DatabaseKey};

pub use keepass;

/// An empty database with Argon2d at 64 KiB and 2 passes (KeePassXC's default is 64 MiB and
/// about a second): a real database's layout at a cost a debug build can pay.
pub fn database() -> Database {
    let mut config = DatabaseConfig::default();
    if let KdfConfig::Argon2 {
        iterations,
        memory,
        parallelism,
        ..
    } = &mut config.kdf_config
    {
        (*iterations, *memory, *parallelism) = (2, 64 * 1024, 1);
    }
    Database::with_config(config)
}

/// A time of a database, `seconds` after the Unix epoch (before it when negative).
pub fn at(seconds: i64) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp(seconds, 0)
        .expect("a time of year -262143 to 262142")
        .naive_utc()
}

/// Sets an entry's title, user name, password (protected, as KeePass does) and URL.
pub fn login(entry: &mut EntryMut<'_>, title: &str, user: &str, password: &str, url: &str) {
    entry.set_unprotected(fields::TITLE, title);
    entry.set_unprotected(fields::USERNAME, user);
    entry.set_protected(fields::PASSWORD, password);
    entry.set_unprotected(fields::URL, url);
}

/// A new group named `name` below `parent`.
pub fn group<'a>(parent: &'a mut GroupMut<'_>, name: &str) -> GroupMut<'a> {
    let mut group = parent.add_group();
    group.name = name.to_owned();
    group
}

/// `database` as a `.kdbx` file's bytes, locked with `password` (none when empty) and with
/// `key_file`'s bytes when given.
pub fn saved(database: &Database, password: &str, key_file: Option<&[u8]>) -> Vec<u8> {
    let mut key = DatabaseKey::new();
    if !password.is_empty() {
        key = key.with_password(password);
    }
    if let Some(mut bytes) = key_file {
        key = key
            .with_keyfile(&mut bytes)
            .expect("a key file in memory reads");
    }
    let mut out = Vec::new();
    database
        .save(&mut out, key)
        .expect("the database saves into memory");
    out
}
