//! KeePass databases (`.kdbx`) for the import tests, written with the `keepass` crate's KDBX 4
//! writer as KeePassXC lays one out.

// Every test binary has `common`; the ones without a KeePass test use none of this.
#![allow(unused_imports)]

use credwell_formats::kdbx_writer::keepass::Database;
use credwell_formats::kdbx_writer::keepass::db::{Entry, History, fields};
pub use credwell_formats::kdbx_writer::{at, database, login, saved};

/// The password of the databases written here.
pub const PASSWORD: &str = "kdbx-master-Pa55";

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
