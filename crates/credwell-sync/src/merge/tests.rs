use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

/// A credential as merging sees it: a password and the passwords it replaced (the client's
/// tests sync it too).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Login {
    pub(crate) password: String,
    pub(crate) history: BTreeSet<String>,
}

impl Body for Login {
    fn keep_from(&mut self, loser: &Self) {
        self.history.extend(loser.history.iter().cloned());
        self.history.insert(loser.password.clone());
        self.history.remove(&self.password);
    }

    /// The client's tests play a device whose own store keeps a login whose password starts
    /// with "kept" and that has no history (as a vault keeps a credential, not its sync
    /// history).
    fn kept_by_device(&self) -> bool {
        self.password.starts_with("kept") && self.history.is_empty()
    }
}

pub(crate) fn login(password: &str) -> Login {
    Login {
        password: password.into(),
        history: BTreeSet::new(),
    }
}

fn version(number: u64, modified: u64, writer: u8, body: Option<Login>) -> Version<Login> {
    Version {
        number,
        stamp: Stamp {
            modified,
            writer: DeviceId([writer; 16]),
        },
        body,
    }
}

#[test]
fn the_later_change_wins_and_keeps_the_other_password_in_its_history() {
    let older = version(3, 100, 1, Some(login("old")));
    let newer = version(2, 200, 2, Some(login("new")));
    for merged in [merge(&older, &newer), merge(&newer, &older)] {
        assert_eq!(merged.number, 4);
        assert_eq!(merged.stamp, newer.stamp);
        let body = merged.body.unwrap();
        assert_eq!(body.password, "new");
        assert_eq!(body.history, BTreeSet::from(["old".to_owned()]));
    }
}

#[test]
fn equal_clocks_are_settled_by_the_writer_the_same_way_on_every_device() {
    let a = version(1, 500, 1, Some(login("a")));
    let b = version(1, 500, 2, Some(login("b")));
    assert_eq!(merge(&a, &b), merge(&b, &a));
    assert_eq!(merge(&a, &b).body.unwrap().password, "b");
}

#[test]
fn a_deletion_wins_over_older_edits_and_loses_to_newer_ones() {
    let edit = version(1, 100, 1, Some(login("p")));
    let deletion = version(2, 200, 2, None);
    assert_eq!(merge(&edit, &deletion).body, None);
    assert_eq!(merge(&deletion, &edit).body, None);
    let later_edit = version(1, 300, 1, Some(login("back")));
    let merged = merge(&deletion, &later_edit);
    assert_eq!(merged.body.unwrap().password, "back");
    assert_eq!(merged.number, 3);
}

#[test]
fn merging_a_copy_changes_nothing_but_the_number() {
    let mut body = login("p");
    body.history.insert("q".into());
    let a = version(4, 100, 1, Some(body));
    let merged = merge(&a, &a.clone());
    assert!(merged.same_content(&a));
    assert_eq!(merged.number, 5);
}

/// The server's side of the protocol, in memory: revisions, all-or-nothing pushes.
#[derive(Default)]
struct Server {
    cursor: u64,
    records: BTreeMap<u8, (u64, Version<Login>)>,
}

impl Server {
    fn pull(&self, since: u64) -> Vec<(u8, u64, Version<Login>)> {
        let mut changed: Vec<_> = self
            .records
            .iter()
            .filter(|(_, (revision, _))| *revision > since)
            .map(|(id, (revision, v))| (*id, *revision, v.clone()))
            .collect();
        changed.sort_by_key(|(_, revision, _)| *revision);
        changed
    }

    /// Pushes `(id, base, version)`s; `false` (and nothing written) when one is stale.
    fn push(&mut self, records: &[(u8, u64, Version<Login>)]) -> Option<Vec<u64>> {
        let stale = records
            .iter()
            .any(|(id, base, _)| self.records.get(id).map_or(0, |(r, _)| *r) != *base);
        if stale {
            return None;
        }
        let mut revisions = Vec::new();
        for (id, _, version) in records {
            self.cursor += 1;
            self.records.insert(*id, (self.cursor, version.clone()));
            revisions.push(self.cursor);
        }
        Some(revisions)
    }
}

/// A device: its records (server revision it is based on, version, whether it has a change
/// the server has not acknowledged) and its cursor.
#[derive(Default)]
struct Device {
    id: u8,
    cursor: u64,
    records: BTreeMap<u8, (u64, Version<Login>, bool)>,
}

impl Device {
    fn change(&mut self, record: u8, modified: u64, password: Option<String>) {
        let (base, old) = match self.records.get(&record) {
            Some((base, v, _)) => (*base, Some(v.clone())),
            None => (0, None),
        };
        let mut body = password.map(|p| login(&p));
        // An edit keeps the password it replaces, as the vault does.
        if let (Some(body), Some(Some(old))) = (body.as_mut(), old.as_ref().map(|v| &v.body)) {
            body.keep_from(old);
        }
        let number = old.map_or(0, |v| v.number) + 1;
        let stamp = Stamp {
            modified,
            writer: DeviceId([self.id; 16]),
        };
        let version = Version {
            number,
            stamp,
            body,
        };
        self.records.insert(record, (base, version, true));
    }

    fn pull(&mut self, server: &Server) {
        for (id, revision, remote) in server.pull(self.cursor) {
            let next = match self.records.get(&id) {
                Some((_, local, true)) => {
                    let merged = merge(local, &remote);
                    let dirty = !merged.same_content(&remote);
                    (revision, if dirty { merged } else { remote }, dirty)
                }
                _ => (revision, remote, false),
            };
            self.records.insert(id, next);
            self.cursor = revision;
        }
    }

    fn sync(&mut self, server: &mut Server) {
        // A refused push is followed by a pull and a merge; each round takes in every change
        // the server had, so this ends once other devices stop writing.
        for _ in 0..10 {
            self.pull(server);
            let dirty: Vec<_> = self
                .records
                .iter()
                .filter(|(_, (_, _, dirty))| *dirty)
                .map(|(id, (base, v, _))| (*id, *base, v.clone()))
                .collect();
            if dirty.is_empty() {
                return;
            }
            if let Some(revisions) = server.push(&dirty) {
                for ((id, _, _), revision) in dirty.iter().zip(revisions) {
                    if let Some(entry) = self.records.get_mut(id) {
                        entry.0 = revision;
                        entry.2 = false;
                    }
                }
                return;
            }
        }
        panic!("device {} could not push in ten rounds", self.id);
    }

    fn content(&self) -> BTreeMap<u8, (Stamp, Option<Login>)> {
        self.records
            .iter()
            .map(|(id, (_, v, _))| (*id, (v.stamp, v.body.clone())))
            .collect()
    }
}

#[derive(Clone, Debug)]
enum Step {
    /// Device, record, clock, new password (`None`: delete).
    Change(u8, u8, u64, Option<u8>),
    /// Device syncs.
    Sync(u8),
}

fn step(deletions: bool) -> impl Strategy<Value = Step> {
    let password = if deletions {
        prop::option::weighted(0.8, any::<u8>()).boxed()
    } else {
        any::<u8>().prop_map(Some).boxed()
    };
    // Clocks from a small range: equal clocks (ties) happen often.
    prop_oneof![
        (0..3u8, 0..4u8, 0..50u64, password).prop_map(|(d, r, c, p)| Step::Change(d, r, c, p)),
        (0..3u8).prop_map(Step::Sync),
    ]
}

fn run(steps: &[Step]) -> (Server, Vec<Device>, BTreeMap<u8, BTreeSet<String>>) {
    let mut server = Server::default();
    let mut devices: Vec<Device> = (0..3)
        .map(|id| Device {
            id,
            ..Device::default()
        })
        .collect();
    let mut written: BTreeMap<u8, BTreeSet<String>> = BTreeMap::new();
    for step in steps {
        match *step {
            Step::Change(d, record, clock, password) => {
                // Devices' clocks differ: device 2 runs an hour behind.
                let clock = clock + if d == 2 { 0 } else { 3_600_000 };
                let password = password.map(|p| format!("{d}-{p}-{clock}"));
                if let Some(p) = &password {
                    written.entry(record).or_default().insert(p.clone());
                }
                devices[usize::from(d)].change(record, clock, password);
            }
            Step::Sync(d) => devices[usize::from(d)].sync(&mut server),
        }
    }
    // Back online, all of them, until nothing moves: two rounds suffice since the last
    // device to push has merged everything before it.
    for _ in 0..2 {
        for device in &mut devices {
            device.sync(&mut server);
        }
    }
    (server, devices, written)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Three devices editing and deleting the same four records, syncing in any order, with
    /// clocks an hour apart: once all have synced, every device holds the same records,
    /// identical to the server's.
    #[test]
    fn devices_converge_to_one_state(steps in prop::collection::vec(step(true), 0..60)) {
        let (server, devices, _) = run(&steps);
        let on_server: BTreeMap<_, _> = server
            .records
            .iter()
            .map(|(id, (_, v))| (*id, (v.stamp, v.body.clone())))
            .collect();
        for device in &devices {
            prop_assert_eq!(&device.content(), &on_server);
        }
    }

    /// Without deletions no password is ever lost: every password any device wrote is the
    /// record's password or in its history, on every device.
    #[test]
    fn no_password_is_lost(steps in prop::collection::vec(step(false), 0..60)) {
        let (_, devices, written) = run(&steps);
        for device in &devices {
            for (record, passwords) in &written {
                let (_, version, _) = &device.records[record];
                let body = version.body.as_ref().expect("no deletions");
                for p in passwords {
                    prop_assert!(
                        body.password == *p || body.history.contains(p),
                        "device {} lost {} of record {}", device.id, p, record
                    );
                }
            }
        }
    }
}
