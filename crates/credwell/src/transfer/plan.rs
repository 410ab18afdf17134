//! What an import changes: each login of the file against the vault's credential for the same
//! origin and username, decided by the times both carry.
//!
//! - Rows of the file for the same origin and username collapse to the newest (by the file's
//!   own time; the later row when the times are equal or absent); the other passwords go into
//!   its password history, and the repeat is reported when the passwords differ.
//! - A login the vault lacks is added with the file's times (the import's time where the file
//!   has none).
//! - The same password as the vault's: kept (its history gains the file's other passwords, if
//!   any are new).
//! - Another password: [`OnConflict`] decides. By default ([`OnConflict::Newer`]) the row
//!   replaces the credential only when the file says the row is newer than the credential's
//!   last change; a row with no time never replaces one. A replaced password goes into the
//!   credential's history.

use std::collections::HashMap;
use std::fmt;

use credwell_admin::Change;
use credwell_core::{
    Credential, DatedCredential, Extras, Origin, Password, PasswordCredential, PastPassword,
    SecretText, StoredCredential, Timestamp, trim_history,
};
use credwell_formats::ImportedLogin;

/// How far ahead of now a file's time may be before it is taken as wrong (a clock a little
/// ahead is not).
const FUTURE_SLACK_MS: u64 = 24 * 60 * 60 * 1000;

/// What an import does when a row and the stored credential have different passwords.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub(crate) enum OnConflict {
    /// The row replaces the credential only if the file says it is newer.
    #[default]
    Newer,
    /// The row always replaces the credential.
    Theirs,
    /// The credential is always kept.
    Ours,
}

impl OnConflict {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OnConflict::Newer => "newer",
            OnConflict::Theirs => "theirs",
            OnConflict::Ours => "ours",
        }
    }
}

/// What happens to one login of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Added as a new credential.
    Add,
    /// Replaces (or adds to the history of) the stored credential.
    Update,
    /// Already stored with this password: nothing changes.
    Keep,
    /// Not imported: the stored credential stays as it is.
    Skip,
}

impl Action {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Update => "update",
            Action::Keep => "keep",
            Action::Skip => "skip",
        }
    }
}

/// Why a row updates or is skipped: what the import says for it, put into words only when
/// shown (`--dry-run`, the JSON report). Writing two dates into a sentence for each of tens of
/// thousands of rows that nothing shows was a measurable part of a large import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Why {
    /// Nothing to say: an add or a keep.
    Nothing,
    /// The same password; the file's other passwords join its history.
    Learned,
    /// The same password; the file's extras fill in the vault's missing ones.
    Filled,
    /// Both of the above.
    LearnedAndFilled,
    /// `--on-conflict theirs` replaced the password.
    Theirs,
    /// `--on-conflict ours` kept the vault's password.
    Ours,
    /// The row's time is after the credential's last change.
    Newer { row: Timestamp, stored: Timestamp },
    /// The credential's last change is not before the row's time.
    NotOlder { row: Timestamp, stored: Timestamp },
    /// The row has no time.
    NoTime,
}

impl Why {
    /// Whether there is nothing to say.
    pub(crate) fn is_nothing(self) -> bool {
        self == Why::Nothing
    }
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Nothing => Ok(()),
            Why::Learned => f.write_str("the file's other passwords join its history"),
            Why::Filled => {
                f.write_str("the file's notes, TOTP secret, fields, folder or mark fill in its own")
            }
            Why::LearnedAndFilled => f.write_str(
                "the file's other passwords join its history, and its notes, TOTP secret, \
                 fields, folder or mark fill in its own",
            ),
            Why::Theirs => f.write_str("--on-conflict theirs"),
            Why::Ours => f.write_str("--on-conflict ours keeps the vault's password"),
            Why::Newer { row, stored } => write!(
                f,
                "the row ({}) is newer than the vault's credential ({})",
                row.to_iso8601(),
                stored.to_iso8601()
            ),
            Why::NotOlder { row, stored } => write!(
                f,
                "the vault's credential ({}) is not older than the row ({})",
                stored.to_iso8601(),
                row.to_iso8601()
            ),
            Why::NoTime => f.write_str(
                "the file gives no time to show the row is newer (--on-conflict theirs \
                 replaces)",
            ),
        }
    }
}

/// One login of the file (after repeats collapse) and what the import does with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) action: Action,
    /// The line of the row that decided (the newest of its repeats).
    pub(crate) line: u64,
    /// The row's origin (a clone shares the parse).
    pub(crate) origin: Origin,
    pub(crate) username: String,
    /// Why, for updates and skips ([`Why::Nothing`] otherwise).
    pub(crate) why: Why,
}

/// Rows of the file for one origin and username with different passwords.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Repeat {
    pub(crate) origin: String,
    pub(crate) username: String,
    /// Every row's line, in file order.
    pub(crate) lines: Vec<u64>,
    /// The row that is imported (the newest); the others' passwords go into its history.
    pub(crate) current: u64,
}

/// The changes an import makes and what they amount to.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub(crate) changes: Vec<Change>,
    /// One per distinct origin and username of the file, in file order.
    pub(crate) outcomes: Vec<Outcome>,
    /// Rows that repeat an earlier one (any password).
    pub(crate) repeated: usize,
    /// The repeats whose passwords differ.
    pub(crate) conflicting_repeats: Vec<Repeat>,
    /// Rows with a time after now (taken as now).
    pub(crate) future_times: usize,
}

#[cfg(test)]
impl Plan {
    /// How many outcomes are `action`.
    pub(crate) fn count(&self, action: Action) -> usize {
        self.outcomes.iter().filter(|o| o.action == action).count()
    }
}

/// The time a row says it was last changed.
fn row_time(login: &ImportedLogin) -> Option<Timestamp> {
    login.updated.or(login.created)
}

/// Plans the import of `logins` into a vault holding `existing`, at `now`.
pub(crate) fn plan(
    existing: &[StoredCredential],
    mut logins: Vec<ImportedLogin>,
    policy: OnConflict,
    now: Timestamp,
) -> Plan {
    let mut plan = Plan::default();
    for login in &mut logins {
        let mut clamped = false;
        for time in [&mut login.created, &mut login.updated] {
            if time.is_some_and(|t| t.0 > now.0.saturating_add(FUTURE_SLACK_MS)) {
                *time = Some(now);
                clamped = true;
            }
        }
        plan.future_times += usize::from(clamped);
    }
    // (origin, username) → the stored record (the first, if several). Keyed by borrowed texts:
    // no string is built per credential or per row.
    let mut stored: HashMap<(&str, &str), &StoredCredential> =
        HashMap::with_capacity(existing.len());
    for record in existing {
        if let Credential::Password(p) = &record.credential {
            stored
                .entry((p.origin.serialized(), p.id.as_str()))
                .or_insert(record);
        }
    }
    let groups = groups(logins);
    plan.outcomes.reserve(groups.len());
    plan.changes.reserve(groups.len());
    for group in groups {
        // The rows of a group share their origin and username.
        let found = group
            .first()
            .and_then(|row| stored.get(&(row.origin.serialized(), row.username.as_str())))
            .copied();
        // The display name is read only where it can be used: a new credential, or a stored
        // one without a name of its own.
        let wants_name = found.is_none_or(|record| match &record.credential {
            Credential::Password(p) => p.name.is_empty(),
            _ => true,
        });
        let (current, file_history, name) = collapse(group, &mut plan, now, wants_name);
        let decided = match found {
            None => add(current, file_history, name, now),
            Some(record) => merge(record, current, file_history, name, policy, now),
        };
        plan.outcomes.push(decided.0);
        plan.changes.extend(decided.1);
    }
    plan
}

/// The logins grouped by origin and username, groups in order of first appearance, each in file
/// order.
fn groups(logins: Vec<ImportedLogin>) -> Vec<Vec<ImportedLogin>> {
    // Each row's group first, keyed by borrowed texts; then the rows are moved into them.
    let mut group_of = Vec::with_capacity(logins.len());
    // Each group's number of rows: its list is made that long at once (a first push makes
    // room for four rows, and nearly every group has one).
    let mut sizes: Vec<usize> = Vec::new();
    {
        let mut index: HashMap<(&str, &str), usize> = HashMap::with_capacity(logins.len());
        for login in &logins {
            let next = index.len();
            let key = (login.origin.serialized(), login.username.as_str());
            let at = *index.entry(key).or_insert(next);
            if at == sizes.len() {
                sizes.push(0);
            }
            sizes[at] += 1;
            group_of.push(at);
        }
    }
    let mut groups: Vec<Vec<ImportedLogin>> = sizes.into_iter().map(Vec::with_capacity).collect();
    for (login, at) in logins.into_iter().zip(group_of) {
        groups[at].push(login);
    }
    groups
}

/// The newest row of a group, the other passwords of the group as history (oldest first), and
/// the display name (the newest row's, or the latest other row's when it has none).
///
/// The name is only worked out when `wants_name` (else it is empty): it parses each title as a
/// host, which no kept, skipped or named credential needs.
fn collapse(
    mut group: Vec<ImportedLogin>,
    plan: &mut Plan,
    now: Timestamp,
    wants_name: bool,
) -> (ImportedLogin, Vec<PastPassword>, String) {
    plan.repeated += group.len() - 1;
    // Every row's line in file order, for a repeat with other passwords (which a group of one
    // row cannot be: no list is made for it).
    let lines: Vec<u64> = if group.len() > 1 {
        group.iter().map(|l| l.line).collect()
    } else {
        Vec::new()
    };
    // Oldest first; rows without a time, and rows with the same time, keep file order.
    group.sort_by_key(|l| row_time(l).map_or(0, |t| t.0));
    let name = if wants_name {
        group
            .iter()
            .rev()
            .map(super::display_name)
            .find(|n| !n.is_empty())
            .unwrap_or_default()
    } else {
        String::new()
    };
    let Some(current) = group.pop() else {
        unreachable!("a group has at least one row");
    };
    // The rows' own histories (Bitwarden's `passwordHistory`), then the older rows' passwords.
    let mut history: Vec<PastPassword> = Vec::new();
    for past in group.iter().chain([&current]).flat_map(|l| &l.history) {
        if past.password != current.password && !history.iter().any(|h| h.password == past.password)
        {
            history.push(past.clone());
        }
    }
    let own = history.len();
    for (i, older) in group.iter().enumerate() {
        if older.password == current.password
            || history.iter().any(|h| h.password == older.password)
        {
            continue;
        }
        // Replaced when the next newer row was written.
        let next = group.get(i + 1).unwrap_or(&current);
        history.push(PastPassword {
            password: older.password.clone(),
            replaced: row_time(next).unwrap_or(now),
        });
    }
    if history.len() > own {
        plan.conflicting_repeats.push(Repeat {
            origin: current.origin.to_string(),
            username: current.username.clone(),
            lines,
            current: current.line,
        });
    }
    history.sort_by_key(|h| h.replaced);
    (current, history, name)
}

fn outcome(action: Action, login: &ImportedLogin, why: Why) -> Outcome {
    Outcome {
        action,
        line: login.line,
        origin: login.origin.clone(),
        username: login.username.clone(),
        why,
    }
}

/// A new credential with the row's times.
fn add(
    login: ImportedLogin,
    history: Vec<PastPassword>,
    name: String,
    now: Timestamp,
) -> (Outcome, Option<Change>) {
    let created = login.created.or(login.updated).unwrap_or(now);
    let updated = row_time(&login).unwrap_or(now).max(created);
    let outcome = outcome(Action::Add, &login, Why::Nothing);
    let extras = extras_of(&login);
    let change = Change::AddDated(DatedCredential {
        credential: Credential::Password(PasswordCredential {
            id: login.username,
            password: login.password,
            name,
            icon_url: String::new(),
            origin: login.origin,
        }),
        created,
        updated,
        history,
        extras,
    });
    (outcome, Some(change))
}

/// What a row carries beside its credential: its notes and its [`ImportedLogin::extras`].
fn extras_of(login: &ImportedLogin) -> Extras {
    Extras {
        notes: SecretText::new(login.notes.as_str()),
        totp: login.extras.totp.clone(),
        fields: login.extras.fields.clone(),
        folder: login.extras.folder.clone(),
        favorite: login.extras.favorite,
    }
}

/// The extras a stored credential keeps after a row of the file: with `row_wins` (the row
/// replaces its password) each kind the row has replaces the vault's; otherwise the row only
/// fills in the kinds the vault has none of (a re-import of a file whose notes, TOTP secrets,
/// fields or folders an older credwell did not keep).
fn merged_extras(stored: &Extras, row: Extras, row_wins: bool) -> Extras {
    let pick = |ours: bool, theirs: bool| if row_wins { theirs } else { !ours && theirs };
    let mut merged = stored.clone();
    if pick(!stored.notes.is_empty(), !row.notes.is_empty()) {
        merged.notes = row.notes;
    }
    if pick(!stored.totp.is_empty(), !row.totp.is_empty()) {
        merged.totp = row.totp;
    }
    if pick(!stored.fields.is_empty(), !row.fields.is_empty()) {
        merged.fields = row.fields;
    }
    if pick(!stored.folder.is_empty(), !row.folder.is_empty()) {
        merged.folder = row.folder;
    }
    // Most formats have no place for the mark: a row without it never clears it.
    merged.favorite = stored.favorite || row.favorite;
    merged
}

/// The row against the stored credential for the same origin and username.
fn merge(
    record: &StoredCredential,
    login: ImportedLogin,
    file_history: Vec<PastPassword>,
    name: String,
    policy: OnConflict,
    now: Timestamp,
) -> (Outcome, Option<Change>) {
    let Credential::Password(stored) = &record.credential else {
        unreachable!("only password credentials are matched");
    };
    let mut history = record.history.clone();
    let known = |history: &[PastPassword], p: &Password| {
        *p == stored.password || history.iter().any(|h| h.password == *p)
    };
    let mut learned = false;
    for past in file_history {
        if !known(&history, &past.password) {
            history.push(past);
            learned = true;
        }
    }
    let dated =
        |credential: PasswordCredential, updated, mut history: Vec<PastPassword>, extras| {
            history.sort_by_key(|h| h.replaced);
            trim_history(&mut history);
            DatedCredential {
                credential: Credential::Password(credential),
                created: record.created,
                updated,
                history,
                extras,
            }
        };
    if login.password == stored.password {
        let extras = merged_extras(&record.extras, extras_of(&login), false);
        let filled = extras != record.extras;
        if !learned && !filled {
            return (outcome(Action::Keep, &login, Why::Nothing), None);
        }
        let why = match (learned, filled) {
            (true, false) => Why::Learned,
            (false, _) => Why::Filled,
            (true, true) => Why::LearnedAndFilled,
        };
        let change = dated(stored.clone(), record.updated, history, extras);
        return (
            outcome(Action::Update, &login, why),
            Some(Change::UpdateDated(record.record, change)),
        );
    }
    let row = row_time(&login);
    let replace = match policy {
        OnConflict::Theirs => Ok(Why::Theirs),
        OnConflict::Ours => Err(Why::Ours),
        OnConflict::Newer => match row {
            Some(t) if t > record.updated => Ok(Why::Newer {
                row: t,
                stored: record.updated,
            }),
            Some(t) => Err(Why::NotOlder {
                row: t,
                stored: record.updated,
            }),
            None => Err(Why::NoTime),
        },
    };
    let (action, why, credential, updated) = match replace {
        Ok(why) => {
            // The row's time when it is newer; else the change happens now (`theirs`).
            let updated = row.filter(|&t| t > record.updated).unwrap_or(now);
            history.retain(|h| h.password != login.password);
            history.push(PastPassword {
                password: stored.password.clone(),
                replaced: updated,
            });
            let mut credential = stored.clone();
            credential.password = login.password.clone();
            if credential.name.is_empty() {
                credential.name = name;
            }
            (Action::Update, why, credential, updated)
        }
        // Nothing of a skipped row is written, not even its repeats' passwords.
        Err(why) => return (outcome(Action::Skip, &login, why), None),
    };
    let extras = merged_extras(&record.extras, extras_of(&login), true);
    let mut change = dated(credential, updated, history, extras);
    if let Some(created) = login.created {
        change.created = change.created.min(created);
    }
    (
        outcome(action, &login, why),
        Some(Change::UpdateDated(record.record, change)),
    )
}

#[cfg(test)]
mod tests {
    use credwell_admin::{MemoryVault, VaultAdmin};
    use credwell_core::Origin;

    use super::*;

    /// 2019-06-01, 2024-01-01 and 2026-03-01, in ms.
    const Y2019: u64 = 1_559_347_200_000;
    const Y2024: u64 = 1_704_067_200_000;
    const Y2026: u64 = 1_772_323_200_000;
    const NOW: Timestamp = Timestamp(Y2026 + 86_400_000);

    fn login(origin: &str, user: &str, pw: &str, updated: Option<u64>) -> ImportedLogin {
        let mut l = ImportedLogin::new(Origin::parse(origin).unwrap(), user, Password::new(pw));
        l.updated = updated.map(Timestamp);
        l
    }

    fn at(line: u64, mut l: ImportedLogin) -> ImportedLogin {
        l.line = line;
        l
    }

    fn import(backend: &MemoryVault, logins: Vec<ImportedLogin>, policy: OnConflict) -> Plan {
        let mut plan = plan(&backend.all_credentials().unwrap(), logins, policy, NOW);
        let changes = std::mem::take(&mut plan.changes);
        backend.apply_changes(changes, NOW, &mut || {}).unwrap();
        plan
    }

    /// (origin, username, password, updated, history) of every credential.
    fn stored(backend: &MemoryVault) -> Vec<(String, String, String, u64, Vec<String>)> {
        backend
            .all_credentials()
            .unwrap()
            .into_iter()
            .map(|r| match r.credential {
                Credential::Password(p) => (
                    p.origin.to_string(),
                    p.id,
                    p.password.expose().to_owned(),
                    r.updated.0,
                    r.history
                        .iter()
                        .map(|h| h.password.expose().to_owned())
                        .collect(),
                ),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn counts(plan: &Plan) -> [usize; 4] {
        [Action::Add, Action::Update, Action::Keep, Action::Skip].map(|a| plan.count(a))
    }

    /// A vault with alice's password changed in 2026.
    fn vault_changed_in_2026() -> MemoryVault {
        let backend = MemoryVault::default();
        import(
            &backend,
            vec![login("https://a.example", "alice", "pw-2026", Some(Y2026))],
            OnConflict::Newer,
        );
        backend
    }

    #[test]
    fn a_stale_row_never_reverts_a_newer_password_by_default() {
        let backend = vault_changed_in_2026();
        let stale = vec![at(
            2,
            login("https://a.example", "alice", "pw-2019", Some(Y2019)),
        )];
        let plan = import(&backend, stale.clone(), OnConflict::Newer);
        assert_eq!(counts(&plan), [0, 0, 0, 1]);
        assert_eq!(plan.outcomes[0].line, 2);
        assert!(
            plan.outcomes[0].why.to_string().contains("not older"),
            "{:?}",
            plan.outcomes
        );
        assert_eq!(stored(&backend)[0].2, "pw-2026");
        // A row with no time cannot show it is newer: kept too.
        let untimed = vec![login("https://a.example", "alice", "pw-x", None)];
        let plan = import(&backend, untimed.clone(), OnConflict::Newer);
        assert_eq!(counts(&plan), [0, 0, 0, 1]);
        assert!(plan.outcomes[0].why.to_string().contains("no time"));
        // ours keeps even a newer row out.
        let newer = vec![login(
            "https://a.example",
            "alice",
            "pw-2027",
            Some(Y2026 + 1),
        )];
        assert_eq!(
            counts(&import(&backend, newer.clone(), OnConflict::Ours)),
            [0, 0, 0, 1]
        );
        assert_eq!(stored(&backend)[0].2, "pw-2026");
        // A newer row replaces it, and the replaced password is kept in the history.
        assert_eq!(
            counts(&import(&backend, newer, OnConflict::Newer)),
            [0, 1, 0, 0]
        );
        let after = stored(&backend);
        assert_eq!(after[0].2, "pw-2027");
        assert_eq!(after[0].3, Y2026 + 1);
        assert_eq!(after[0].4, ["pw-2026"]);
        // theirs replaces with anything, the stale row included; the history keeps both.
        assert_eq!(
            counts(&import(&backend, stale, OnConflict::Theirs)),
            [0, 1, 0, 0]
        );
        let after = stored(&backend);
        assert_eq!(after[0].2, "pw-2019");
        assert_eq!(after[0].4, ["pw-2026", "pw-2027"]);
        // Changed now: a row older than the credential does not date the change.
        assert_eq!(after[0].3, NOW.0);
        // Bringing back a password of the history takes it out of the history.
        let back = vec![login(
            "https://a.example",
            "alice",
            "pw-2026",
            Some(NOW.0 + 1),
        )];
        assert_eq!(
            counts(&import(&backend, back, OnConflict::Newer)),
            [0, 1, 0, 0]
        );
        assert_eq!(stored(&backend)[0].4, ["pw-2027", "pw-2019"]);
    }

    #[test]
    fn added_credentials_keep_the_files_times() {
        let backend = MemoryVault::default();
        let mut l = login("https://b.example", "bob", "pw", Some(Y2024));
        l.created = Some(Timestamp(Y2019));
        let untimed = login("https://c.example", "carol", "pw", None);
        let plan = import(&backend, vec![l, untimed], OnConflict::Newer);
        assert_eq!(counts(&plan), [2, 0, 0, 0]);
        let all = backend.all_credentials().unwrap();
        assert_eq!((all[0].created.0, all[0].updated.0), (Y2019, Y2024));
        assert_eq!((all[1].created, all[1].updated), (NOW, NOW));
        // The same file again: everything kept, nothing written.
        let again = vec![login("https://b.example", "bob", "pw", Some(Y2024))];
        let plan = import(&backend, again, OnConflict::Newer);
        assert_eq!(counts(&plan), [0, 0, 1, 0]);
        assert!(plan.changes.is_empty());
    }

    #[test]
    fn repeats_in_a_file_keep_the_newest_and_the_others_in_its_history() {
        let backend = MemoryVault::default();
        let plan = import(
            &backend,
            vec![
                at(
                    2,
                    login("https://a.example", "alice", "newest", Some(Y2026)),
                ),
                at(
                    3,
                    login("https://a.example", "alice", "oldest", Some(Y2019)),
                ),
                at(
                    4,
                    login("https://a.example", "alice", "middle", Some(Y2024)),
                ),
                at(
                    5,
                    login("https://a.example", "alice", "middle", Some(Y2024)),
                ),
                at(6, login("https://d.example", "dave", "same", None)),
                at(7, login("https://d.example", "dave", "same", None)),
            ],
            OnConflict::Newer,
        );
        assert_eq!(counts(&plan), [2, 0, 0, 0]);
        assert_eq!(plan.repeated, 4);
        assert_eq!(
            plan.conflicting_repeats,
            [Repeat {
                origin: "https://a.example".into(),
                username: "alice".into(),
                lines: vec![2, 3, 4, 5],
                current: 2,
            }]
        );
        let all = backend.all_credentials().unwrap();
        assert_eq!(stored(&backend)[0].2, "newest");
        let history: Vec<(&str, u64)> = all[0]
            .history
            .iter()
            .map(|h| (h.password.expose(), h.replaced.0))
            .collect();
        assert_eq!(history, [("oldest", Y2024), ("middle", Y2024)]);
        // Without times the later row wins, as before.
        let plan = import(
            &backend,
            vec![
                login("https://e.example", "erin", "first", None),
                login("https://e.example", "erin", "second", None),
            ],
            OnConflict::Newer,
        );
        assert_eq!(counts(&plan), [1, 0, 0, 0]);
        let erin = stored(&backend).pop().unwrap();
        assert_eq!(
            (erin.2.as_str(), erin.4),
            ("second", vec!["first".to_owned()])
        );
        // A file whose current password is stored but whose older one is new to the vault
        // adds it to the history, once.
        let file = vec![
            login("https://e.example", "erin", "zeroth", None),
            login("https://e.example", "erin", "second", None),
        ];
        let plan = import(&backend, file.clone(), OnConflict::Newer);
        assert_eq!(counts(&plan), [0, 1, 0, 0]);
        assert_eq!(stored(&backend).pop().unwrap().4, ["first", "zeroth"]);
        assert_eq!(
            counts(&import(&backend, file, OnConflict::Newer)),
            [0, 0, 1, 0]
        );
    }

    #[test]
    fn a_files_own_password_history_joins_the_credentials() {
        let backend = vault_changed_in_2026();
        let mut row = login("https://a.example", "alice", "pw-2026", Some(Y2026));
        row.history = vec![PastPassword {
            password: Password::new("pw-2019"),
            replaced: Timestamp(Y2024),
        }];
        let plan = import(&backend, vec![row.clone()], OnConflict::Newer);
        assert_eq!(counts(&plan), [0, 1, 0, 0]);
        assert!(plan.conflicting_repeats.is_empty());
        assert_eq!(stored(&backend)[0].4, ["pw-2019"]);
        assert_eq!(
            counts(&import(&backend, vec![row], OnConflict::Newer)),
            [0, 0, 1, 0]
        );
    }

    #[test]
    fn times_in_the_future_are_taken_as_now() {
        let backend = vault_changed_in_2026();
        let future = NOW.0 + 10 * 86_400_000;
        let mut row = login(
            "https://a.example",
            "alice",
            "from-the-future",
            Some(future),
        );
        row.created = Some(Timestamp(future));
        let plan = import(&backend, vec![row], OnConflict::Newer);
        assert_eq!(plan.future_times, 1);
        assert_eq!(counts(&plan), [0, 1, 0, 0]);
        assert_eq!(stored(&backend)[0].3, NOW.0);
        assert!(backend.all_credentials().unwrap()[0].created.0 <= NOW.0);
    }

    #[test]
    fn a_row_fills_in_the_extras_a_credential_lacks_and_a_winning_row_replaces_them() {
        let backend = MemoryVault::default();
        let with = |pw: &str, updated, notes: &str, totp: &str, folder: &str| {
            let mut l = login("https://a.example", "alice", pw, updated);
            l.notes = notes.into();
            l.extras.totp = SecretText::new(totp);
            l.extras.folder = folder.into();
            l
        };
        let extras = |backend: &MemoryVault| {
            let x = backend.all_credentials().unwrap().remove(0).extras;
            (
                x.notes.expose().to_owned(),
                x.totp.expose().to_owned(),
                x.folder,
            )
        };
        let plan = import(
            &backend,
            vec![with("pw", Some(Y2019), "ours", "", "")],
            OnConflict::Newer,
        );
        assert_eq!(counts(&plan), [1, 0, 0, 0]);
        assert_eq!(
            extras(&backend),
            ("ours".into(), String::new(), String::new())
        );
        // Same password, an older row: its TOTP secret and folder fill in, its notes do not
        // replace the vault's.
        let row = with("pw", Some(Y2019), "theirs", "TOTPSECRET", "Work");
        let plan = import(&backend, vec![row.clone()], OnConflict::Newer);
        assert_eq!(counts(&plan), [0, 1, 0, 0]);
        assert!(
            plan.outcomes[0].why.to_string().contains("fill in"),
            "{}",
            plan.outcomes[0].why
        );
        assert_eq!(
            extras(&backend),
            ("ours".into(), "TOTPSECRET".into(), "Work".into())
        );
        // The same row again: nothing to do.
        assert_eq!(
            counts(&import(&backend, vec![row], OnConflict::Newer)),
            [0, 0, 1, 0]
        );
        // A newer row with another password wins: what it has replaces the vault's, what it
        // lacks stays.
        let newer = with("pw2", Some(Y2026 + 1), "newest", "", "Home");
        let plan = import(&backend, vec![newer], OnConflict::Newer);
        assert_eq!(counts(&plan), [0, 1, 0, 0]);
        assert_eq!(
            extras(&backend),
            ("newest".into(), "TOTPSECRET".into(), "Home".into())
        );
        // An older row that loses changes nothing, extras included.
        let stale = with("pw3", Some(Y2019), "stale", "OTHER", "Old");
        assert_eq!(
            counts(&import(&backend, vec![stale], OnConflict::Newer)),
            [0, 0, 0, 1]
        );
        assert_eq!(
            extras(&backend),
            ("newest".into(), "TOTPSECRET".into(), "Home".into())
        );
    }
}
