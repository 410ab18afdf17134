//! What `credwell import` says: warnings on stderr, then the summary (text or JSON) on stdout,
//! with every planned row listed under `--dry-run`.

use std::io::Write;

use anyhow::Result;
use credwell_formats::{SkipReason, Skipped, Unstored};
use serde_json::{Value, json};

use super::plan::{Action, Outcome, Repeat};
use super::{ImportArgs, PasskeySummary, plural};

/// Everything an import reports.
pub(super) struct Report<'a> {
    pub(super) args: &'a ImportArgs,
    /// Logins read from the file.
    pub(super) read: usize,
    pub(super) outcomes: &'a [Outcome],
    pub(super) repeated: usize,
    pub(super) conflicting_repeats: &'a [Repeat],
    pub(super) future_times: usize,
    /// Entries the reader skipped.
    pub(super) skipped: &'a [Skipped],
    pub(super) unstored: &'a [(Unstored, u64)],
    pub(super) maybe_recycle_bin: &'a [u64],
    pub(super) formula_guards: &'a [u64],
    /// Entries with a time that cannot be, dropped.
    pub(super) clamped_times: &'a [u64],
    /// Passkeys whose signature counter was above 0.
    pub(super) passkey_counters: &'a [u64],
    pub(super) passkeys_read: usize,
    pub(super) passkeys: &'a PasskeySummary,
}

impl Report<'_> {
    fn count(&self, action: Action) -> usize {
        self.outcomes.iter().filter(|o| o.action == action).count()
    }

    /// Entries not imported: the reader's skips and the rows the vault's credential won over.
    fn skipped_total(&self) -> usize {
        self.skipped.len() + self.count(Action::Skip)
    }

    /// Whether the file's entries are placed by their lines (a KeePass database's by their
    /// position: `entry 3`).
    fn by_line(&self) -> bool {
        self.args.format.has_lines()
    }

    /// The warnings, each a line for `warn` (stderr, or the reply of the agent).
    pub(super) fn warn(&self, warn: &dyn Fn(&str)) {
        report_skipped(self.skipped, self.by_line(), warn);
        let conflicts: Vec<u64> = self
            .outcomes
            .iter()
            .filter(|o| o.action == Action::Skip)
            .map(|o| o.line)
            .collect();
        if !conflicts.is_empty() {
            warn(&format!(
                "kept the vault's password over {} ({}; --on-conflict {}; \
                 --dry-run lists why)",
                plural(conflicts.len(), "row"),
                some_lines(&conflicts, self.by_line()),
                self.args.on_conflict.as_str()
            ));
        }
        for repeat in self.conflicting_repeats.iter().take(10) {
            warn(&format!(
                "{} for {} as {:?} have different passwords: {} (the newest) is \
                 imported, the others' passwords go into its password history",
                some_lines(&repeat.lines, self.by_line()),
                repeat.origin,
                repeat.username,
                some_lines(&[repeat.current], self.by_line())
            ));
        }
        if self.conflicting_repeats.len() > 10 {
            warn(&format!(
                "and {} more repeated logins with different passwords",
                self.conflicting_repeats.len() - 10
            ));
        }
        if !self.maybe_recycle_bin.is_empty() {
            warn(&format!(
                "imported {} from a group that looks like a recycle bin but is not \
                 KeePassXC's own (a group right below the root with its name in any language) \
                 ({}); remove them if they were deleted",
                plural(self.maybe_recycle_bin.len(), "entry"),
                some_lines(self.maybe_recycle_bin, self.by_line())
            ));
        }
        if self.future_times > 0 {
            let n = self.future_times;
            let entries = if n == 1 {
                "1 entry is".to_owned()
            } else {
                format!("{n} entries are")
            };
            warn(&format!(
                "{entries} dated in the future; taken as changed now"
            ));
        }
        if !self.formula_guards.is_empty() {
            warn(&format!(
                "removed the ' before values that start with =, +, -, @, a tab or a \
                 carriage return ({}): credwell's CSV exports put it there so that spreadsheets \
                 show them as text; if this file is not from credwell, check those entries",
                some_lines(self.formula_guards, self.by_line())
            ));
        }
        if !self.clamped_times.is_empty() {
            warn(&format!(
                "{} a time that cannot be (before 1970, past 9999 or not a time) \
                 ({}); imported as if the file gave none",
                has(self.clamped_times.len(), "entry"),
                some_lines(self.clamped_times, self.by_line())
            ));
        }
        if !self.passkey_counters.is_empty() {
            warn(&format!(
                "{} a signature counter above 0 ({}); credwell's passkeys sign with 0, \
                 which a site that checks counters may refuse as a cloned key: if one does, \
                 register a new passkey there",
                has(self.passkey_counters.len(), "passkey"),
                some_lines(self.passkey_counters, self.by_line())
            ));
        }
        for (kind, lines) in unstored_by_kind(self.unstored) {
            let (entries, at) = (
                plural(lines.len(), "entry"),
                some_lines(&lines, self.by_line()),
            );
            // A login keeps one folder: what the readers report for folders is an entry filed
            // in several (a CXF item in several collections, a Bitwarden row's collections).
            warn(&match kind {
                Unstored::Folders => format!(
                    "credwell keeps one folder per login: the other folders of {entries} were \
                     not imported ({at})"
                ),
                _ => format!(
                    "credwell does not store {}: those of {entries} were not imported ({at})",
                    kind.as_str()
                ),
            });
        }
    }

    /// The summary as JSON.
    pub(super) fn json(&self) -> Value {
        let mut skipped_entries: Vec<Value> = self
            .skipped
            .iter()
            .map(|s| json!({"line": s.line, "reason": s.reason.to_string()}))
            .collect();
        skipped_entries.extend(
            self.outcomes
                .iter()
                .filter(|o| o.action == Action::Skip)
                .map(|o| json!({"line": o.line, "reason": o.why.to_string()})),
        );
        let unstored: serde_json::Map<String, Value> = unstored_by_kind(self.unstored)
            .into_iter()
            .map(|(kind, lines)| (kind.key().to_owned(), json!(lines.len())))
            .collect();
        let notes = unstored_by_kind(self.unstored)
            .into_iter()
            .find(|(k, _)| *k == Unstored::Notes)
            .map_or(0, |(_, lines)| lines.len());
        let repeats: Vec<Value> = self
            .conflicting_repeats
            .iter()
            .map(|r| {
                json!({"origin": r.origin, "username": r.username, "lines": r.lines,
                       "current": r.current})
            })
            .collect();
        let mut value = json!({
            "file": super::file_name(&self.args.file),
            "format": self.args.format.as_str(),
            "dryRun": self.args.dry_run,
            "onConflict": self.args.on_conflict.as_str(),
            "read": self.read,
            "added": self.count(Action::Add),
            "updated": self.count(Action::Update),
            "unchanged": self.count(Action::Keep),
            "repeated": self.repeated,
            "conflictingRepeats": repeats,
            "skipped": self.skipped_total(),
            "skippedEntries": skipped_entries,
            "notStored": unstored,
            "maybeRecycleBin": self.maybe_recycle_bin,
            "notesDropped": notes,
            "timesDropped": self.clamped_times,
            "passkeyCounters": self.passkey_counters,
            "passkeys": {
                "read": self.passkeys_read,
                "added": self.passkeys.added,
                "updated": self.passkeys.updated,
                "unchanged": self.passkeys.unchanged,
            },
        });
        if self.args.dry_run {
            value["entries"] = self
                .outcomes
                .iter()
                .map(|o| {
                    json!({"action": o.action.as_str(), "line": o.line,
                           "origin": o.origin.serialized(), "username": o.username,
                           "reason": o.why.to_string()})
                })
                .collect();
        }
        value
    }

    /// The summary as text (every row first under `--dry-run`).
    pub(super) fn text(&self, out: &mut impl Write) -> Result<()> {
        if self.args.dry_run {
            for o in self.outcomes {
                let why = if o.why.is_nothing() {
                    String::new()
                } else {
                    format!(": {}", o.why)
                };
                let place = if self.by_line() { "line" } else { "entry" };
                writeln!(
                    out,
                    "{:<6} {place} {:<6} {} {:?}{why}",
                    o.action.as_str(),
                    o.line,
                    o.origin,
                    o.username
                )?;
            }
        }
        let (verb, nothing) = if self.args.dry_run {
            ("Would import", " (dry run: nothing was changed)")
        } else {
            ("Imported", "")
        };
        writeln!(
            out,
            "{verb} {} from {}: {} added, {} updated, {} unchanged, {} skipped{nothing}.",
            plural(self.read, "login"),
            super::file_name(&self.args.file),
            self.count(Action::Add),
            self.count(Action::Update),
            self.count(Action::Keep) + self.repeated,
            self.skipped_total()
        )?;
        if self.passkeys_read > 0 {
            writeln!(
                out,
                "{verb} {}: {} added, {} updated, {} unchanged.",
                plural(self.passkeys_read, "passkey"),
                self.passkeys.added,
                self.passkeys.updated,
                self.passkeys.unchanged
            )?;
        }
        Ok(())
    }
}

/// The lines of the entries that carried each kind, kinds in a fixed order.
fn unstored_by_kind(unstored: &[(Unstored, u64)]) -> Vec<(Unstored, Vec<u64>)> {
    Unstored::ALL
        .into_iter()
        .map(|kind| {
            let mut lines: Vec<u64> = unstored
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, line)| *line)
                .collect();
            lines.dedup();
            (kind, lines)
        })
        .filter(|(_, lines)| !lines.is_empty())
        .collect()
}

/// `1 entry has` or `3 entries have`.
fn has(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word} has")
    } else {
        format!("{} have", plural(n, word))
    }
}

/// One warning line per kind of skipped entry, with their lines (`by_line`, else their
/// positions); one per entry credwell cannot hold, with why (at most ten).
fn report_skipped(skipped: &[Skipped], by_line: bool, warn: &dyn Fn(&str)) {
    let mut by_kind: Vec<(&'static str, Vec<u64>)> = Vec::new();
    let unsupported: Vec<(u64, &str)> = skipped
        .iter()
        .filter_map(|s| match &s.reason {
            SkipReason::Unsupported(why) => Some((s.line, why.as_str())),
            _ => None,
        })
        .collect();
    for (line, why) in unsupported.iter().take(10) {
        let at = some_lines(&[*line], by_line);
        warn(&format!("skipped the entry at {at}: {why}"));
    }
    if unsupported.len() > 10 {
        warn(&format!(
            "and {} more entries credwell cannot hold (--json lists them)",
            unsupported.len() - 10
        ));
    }
    for s in skipped {
        let kind = match s.reason {
            SkipReason::NoWebOrigin(_) => "with no web origin",
            SkipReason::NoPassword => "with no password",
            SkipReason::NotALogin => "that are not logins",
            SkipReason::InRecycleBin => "in the recycle bin",
            SkipReason::HttpAuth => {
                "for HTTP authentication (httpRealm; credwell fills forms only)"
            }
            SkipReason::Unsupported(_) => continue,
        };
        match by_kind.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, lines)) => lines.push(s.line),
            None => by_kind.push((kind, vec![s.line])),
        }
    }
    for (kind, lines) in by_kind {
        warn(&format!(
            "skipped {} {kind} ({})",
            plural(lines.len(), "entry"),
            some_lines(&lines, by_line)
        ));
    }
}

/// `line 3` or `lines 3, 5, 8` (`by_line`; else `entry 3` or `entries 3, 5, 8`), at most ten
/// of them.
pub(super) fn some_lines(lines: &[u64], by_line: bool) -> String {
    let shown: Vec<String> = lines.iter().take(10).map(u64::to_string).collect();
    let more = if lines.len() > 10 { ", ..." } else { "" };
    let word = match (by_line, lines.len()) {
        (true, 1) => "line",
        (true, _) => "lines",
        (false, 1) => "entry",
        (false, _) => "entries",
    };
    format!("{word} {}{more}", shown.join(", "))
}
