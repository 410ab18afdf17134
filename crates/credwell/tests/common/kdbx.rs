//! KeePass databases (`.kdbx`) for the import tests, written with the `keepass` crate's KDBX 4
//! writer as KeePassXC lays one out.

use keepass::config::{DatabaseConfig, KdfConfig};
use keepass::db::{Entry, EntryMut, History, fields};
use keepass::{Database, DatabaseKey};

/// The password of the databases written here.
pub const PASSWORD: &str = "kdbx-master-Pa55";

/// A database with Argon2d at 64 KiB and 2 passes: a real database's layout at a cost a debug
/// build can pay.
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

fn at(seconds: i64) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap()
        .naive_utc()
}

/// Sets an entry's title, user name, password and URL.
pub fn login(entry: &mut EntryMut<'_>, title: &str, user: &str, password: &str, url: &str) {
    entry.set_unprotected(fields::TITLE, title);
    entry.set_unprotected(fields::USERNAME, user);
    entry.set_protected(fields::PASSWORD, password);
    entry.set_unprotected(fields::URL, url);
}

/// A database as KeePassXC holds one: a login in the root with everything it can carry and an
/// earlier password, one in `Work/Mail`, one without a URL, and one in a recycle bin named in
/// Russian.
pub fn sample() -> Database {
    let mut db = database();
    let mut root = db.root_mut();
    root.name = "Root".into();
    {
        let mut e = root.add_entry();
        login(&mut e, "Bank", "carol", "pw-kdbx-old", "bank.example/login");
        e.times.last_modification = Some(at(1_600_000_000));
        let earlier: Entry = (*e).clone();
        e.set_protected(fields::PASSWORD, "pw-kdbx-bank");
        e.set_unprotected(fields::NOTES, "kdbx note");
        e.set_protected("otp", "otpauth://totp/Bank:carol?secret=JBSWY3DPEHPK3PXP");
        e.set_protected("PIN", "4321");
        e.tags = vec!["money".into()];
        e.times.creation = Some(at(1_500_000_000));
        e.times.last_modification = Some(at(1_700_000_000));
        let mut history = History::default();
        history.add_entry(earlier);
        e.history = Some(history);
    }
    login(&mut root.add_entry(), "Wi-Fi", "", "pw-kdbx-wifi", "");
    {
        let mut work = root.add_group();
        work.name = "Work".into();
        let mut mail = work.add_group();
        mail.name = "Mail".into();
        let mut e = mail.add_entry();
        login(
            &mut e,
            "Mail",
            "dave",
            "pw-kdbx-mail",
            "https://mail.example",
        );
        e.times.last_modification = Some(at(1_700_000_000));
    }
    {
        let mut bin = root.add_group();
        bin.name = "Корзина".into();
        login(
            &mut bin.add_entry(),
            "Old",
            "erin",
            "pw-kdbx-bin",
            "https://old.example",
        );
    }
    let bin = db.root().group_by_name("Корзина").unwrap().id();
    db.meta.recyclebin_uuid = Some(bin.uuid());
    db.meta.recyclebin_enabled = Some(true);
    db
}

/// `database` saved with `password`, and with `key_file`'s bytes when given.
pub fn saved(database: &Database, password: &str, key_file: Option<&[u8]>) -> Vec<u8> {
    let mut key = DatabaseKey::new().with_password(password);
    if let Some(mut bytes) = key_file {
        key = key.with_keyfile(&mut bytes).unwrap();
    }
    let mut out = Vec::new();
    database.save(&mut out, key).unwrap();
    out
}
