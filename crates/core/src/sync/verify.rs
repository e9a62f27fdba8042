//! `countersign verify`: checks a home against the sources its database is derived
//! from, after a crash or whenever in doubt. Nothing in the home or the shared folder
//! is changed; each problem found says what is wrong and what to do.
//!
//! The checks, in order:
//!
//! 1. `ops.log` parses completely, holds only this member's operations, and none twice.
//!    A torn final line (an append cut short by a crash) is ignored and cut off by the
//!    next append, as `oplog` documents; it is only noted.
//! 2. Every operation of the log waits in the outbox or is in a bundle (none lost), the
//!    outbox holds nothing already bundled (nothing written twice), and every outbox
//!    entry points at the log line of its operation.
//! 3. Every bundle recorded as applied (or sealed: it keeps its place in its chain) is
//!    still in the shared folder with the hash it had when it was read.
//! 4. `finance_totals` equals the sums recomputed from `transactions`, and SQLite's own
//!    `quick_check` passes.
//! 5. The database equals a fresh rebuild: the log is replayed into a temporary home and
//!    the bundles this home has read (and only those: newer files in the folder wait for
//!    the next sync) are read again there by `Home::read_folder`, so each is opened and
//!    verified against the roster exactly as sync does. The digests must be equal, the
//!    bundles applied the same, the outbox and the bundled operations the same, and no
//!    operation of this member may be in two bundles.
//!
//! (Past 600 lines on purpose: one procedure per check above, each reading the same
//! home into the one report; apart, the audit would be read in pieces.)

use crate::base::clock::FixedClock;
use crate::base::error::{Error, Result};
use crate::crypto::key::UnlockedKey;
use crate::engine::bundle::{self, GENESIS_FILE};
use crate::engine::operation::{OpId, Operation};
use crate::engine::store::Store;
use crate::home::{Home, LOG_FILE};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::Path;
use std::sync::Arc;

/// What `countersign verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// Whether every check passed (`problems` is empty).
    pub ok: bool,
    /// The state digest of the database.
    pub digest: String,
    /// The state digest of a fresh rebuild; equal to `digest` when the records are right.
    /// Absent when the rebuild itself failed (a problem says why).
    pub rebuilt_digest: Option<String>,
    /// Operations in `ops.log`.
    pub operations: u64,
    /// Of those, waiting in the outbox for the next sync.
    pub pending: u64,
    /// Operations of this member already in bundles in the shared folder.
    pub bundled: u64,
    /// Bundles applied here, each found unchanged and read again.
    pub bundles: u64,
    /// Transactions recorded.
    pub transactions: u64,
    /// Observations that are not problems (a torn final log line, unread bundles).
    pub notes: Vec<String>,
    pub problems: Vec<VerifyProblem>,
}

/// One thing found wrong: which check found it and a message that says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyProblem {
    /// `log`, `outbox`, `bundle`, `totals`, `database` or `records`.
    pub check: String,
    pub message: String,
}

/// At most this many items are named in one message; the rest are counted.
const NAMED: usize = 5;

/// The prefix of the temporary home a verification rebuilds into (inside the home).
pub(crate) const TEMP_PREFIX: &str = ".verify-";

const REBUILD: &str = "run `countersign rebuild` to recreate the database from ops.log and the shared folder";

/// A bundle as the `bundles` table records it: status, hash and the reason it waits or
/// was refused.
type Recorded = (String, String, Option<String>);

/// The operations of `ops.log`: where each line starts, and its operation's id.
struct LogScan {
    /// (byte offset, id, line number from 1), in log order.
    lines: Vec<(u64, OpId, usize)>,
}

impl Home {
    /// Verifies this home against its sources (see the module documentation). Holds the
    /// home's lock throughout, so no sync or change of this home interleaves. Returns
    /// the report; `Err` only when the checks themselves cannot run (the shared folder is
    /// unreachable, a file cannot be read).
    pub fn verify(&mut self, key: &UnlockedKey) -> Result<VerifyReport> {
        let _lock = crate::home::lock(self.dir())?;
        remove_stale_rebuilds(self.dir());
        let mut report = VerifyReport {
            ok: false,
            digest: String::new(),
            rebuilt_digest: None,
            operations: 0,
            pending: 0,
            bundled: 0,
            bundles: 0,
            transactions: 0,
            notes: Vec::new(),
            problems: Vec::new(),
        };
        // Every command first catches the database up with the log; so does this.
        if let Err(e) = self.catch_up() {
            report.problem("log", e.to_string());
        }
        let log = self.check_log(&mut report)?;
        self.check_outbox(&log, &mut report)?;
        self.check_bundle_files(&mut report)?;
        self.check_totals(&mut report)?;
        report.digest = self.digest()?;
        report.transactions = count(self.db(), "SELECT count(*) FROM transactions")?;
        report.bundles = count(self.db(), "SELECT count(*) FROM bundles WHERE status = 'applied'")?;
        match self.compare_with_rebuild(key, &mut report) {
            Ok(()) => {}
            Err(e @ (Error::FolderUnreachable(_) | Error::Io { .. })) => return Err(e),
            Err(e) => report.problem("records", format!("a fresh rebuild of this home fails: {e}")),
        }
        report.ok = report.problems.is_empty();
        Ok(report)
    }

    /// Check 1: the log parses, is this member's, and holds no operation twice.
    fn check_log(&self, report: &mut VerifyReport) -> Result<LogScan> {
        let mut scan = LogScan { lines: Vec::new() };
        let mut first_line: HashMap<OpId, usize> = HashMap::new();
        let (mut twice, mut damaged, mut foreign) = (Vec::new(), Vec::new(), Vec::new());
        let offset = self.log().scan(0, |start, sealed| {
            let number = scan.lines.len() + damaged.len() + 1;
            let Some(plain) = self.log().open_line(sealed) else {
                damaged.push(format!("line {number} (it does not open with this home's key)"));
                return Ok(true);
            };
            match Operation::from_bytes(&plain) {
                Ok(op) => {
                    if &op.author != self.fingerprint() {
                        foreign.push(format!("line {number} (by {})", op.author));
                    }
                    let id = OpId::of_canonical(&plain);
                    if let Some(first) = first_line.insert(id.clone(), number) {
                        twice.push(format!("{} (lines {first} and {number})", short(&id.0)));
                    }
                    scan.lines.push((start, id, number));
                }
                Err(e) => damaged.push(format!("line {number} ({e})")),
            }
            Ok(true)
        })?;
        let torn = self.log().len()?.saturating_sub(offset);
        if torn > 0 {
            report.notes.push(format!(
                "ops.log ends in an incomplete line of {torn} bytes: an append cut short by a crash; it was never applied and the next change recorded cuts it off"
            ));
        }
        report.operations = scan.lines.len() as u64;
        if !damaged.is_empty() {
            report.problem(
                "log",
                format!(
                    "ops.log holds lines that are not valid operations: {}; the log is damaged: restore the home from a backup",
                    named(&damaged)
                ),
            );
        }
        if !foreign.is_empty() {
            report.problem(
                "log",
                format!(
                    "ops.log holds operations by another member: {}; the log holds only this member's own operations, so it was altered: restore the home from a backup",
                    named(&foreign)
                ),
            );
        }
        if !twice.is_empty() {
            report.problem(
                "log",
                format!(
                    "ops.log holds {} operation(s) twice: {}; an operation is recorded once, so the log was altered: restore the home from a backup",
                    twice.len(),
                    named(&twice)
                ),
            );
        }
        let recorded: u64 =
            crate::engine::store::read_meta(self.db(), "log_offset")?.and_then(|v| v.parse().ok()).unwrap_or(0);
        if recorded != offset {
            report.problem(
                "log",
                format!(
                    "the database reflects {recorded} bytes of ops.log, which holds {offset} bytes of complete operations; {REBUILD}"
                ),
            );
        }
        Ok(scan)
    }

    /// Check 2: no operation lost, none waiting that is already written.
    fn check_outbox(&self, log: &LogScan, report: &mut VerifyReport) -> Result<()> {
        let at: HashMap<u64, &OpId> = log.lines.iter().map(|(offset, id, _)| (*offset, id)).collect();
        let mut outbox: BTreeSet<String> = BTreeSet::new();
        let mut misplaced = Vec::new();
        {
            let mut stmt = self.db().prepare("SELECT id, log_at, op FROM outbox")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let id: String = row.get(0)?;
                let log_at: Option<i64> = row.get(1)?;
                let op: Vec<u8> = row.get(2)?;
                let points_right = match log_at {
                    Some(offset) => at.get(&(offset as u64)).is_some_and(|found| found.0 == id),
                    None => OpId::of_canonical(&op).0 == id,
                };
                if !points_right {
                    misplaced.push(match log_at {
                        Some(offset) => format!("{} (byte {offset})", short(&id)),
                        None => short(&id).to_string(),
                    });
                }
                outbox.insert(id);
            }
        }
        let bundled: BTreeSet<String> = self
            .db()
            .prepare("SELECT id FROM bundled_ops")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        report.pending = outbox.len() as u64;
        report.bundled = bundled.len() as u64;
        if !misplaced.is_empty() {
            report.problem(
                "outbox",
                format!(
                    "{} operation(s) wait in the outbox as a line of ops.log that does not hold them: {}; the next sync would fail; {REBUILD}",
                    misplaced.len(),
                    named(&misplaced)
                ),
            );
        }
        let lost: Vec<String> = log
            .lines
            .iter()
            .filter(|(_, id, _)| !outbox.contains(&id.0) && !bundled.contains(&id.0))
            .map(|(_, id, line)| format!("{} (line {line})", short(&id.0)))
            .collect();
        if !lost.is_empty() {
            report.problem(
                "outbox",
                format!(
                    "{} operation(s) of ops.log are neither waiting in the outbox nor in a bundle, so they would never reach the other members: {}; {REBUILD}, then `countersign sync`",
                    lost.len(),
                    named(&lost)
                ),
            );
        }
        let both: Vec<String> = outbox.intersection(&bundled).map(|id| short(id).to_string()).collect();
        if !both.is_empty() {
            report.problem(
                "outbox",
                format!(
                    "{} operation(s) wait in the outbox although a bundle already holds them, so the next sync would write them twice: {}; {REBUILD}",
                    both.len(),
                    named(&both)
                ),
            );
        }
        Ok(())
    }

    /// Check 3: every bundle read is still in the folder, unchanged.
    fn check_bundle_files(&self, report: &mut VerifyReport) -> Result<()> {
        let Some(link) = self.workspace_link() else { return Ok(()) };
        if !link.folder.is_dir() {
            return Err(Error::FolderUnreachable(link.folder.clone()));
        }
        let genesis = link.folder.join(&link.id).join(GENESIS_FILE);
        match fs::read(&genesis) {
            Ok(bytes) if bundle::hash(&bytes) == link.id => {}
            Ok(_) => report.problem(
                "bundle",
                format!(
                    "the genesis bundle {} no longer hashes to the workspace id: it was changed; restore it from another member's copy of the shared folder",
                    genesis.display()
                ),
            ),
            Err(e) => report.problem(
                "bundle",
                format!(
                    "the genesis bundle {} cannot be read ({e}); restore it from another member's copy of the shared folder",
                    genesis.display()
                ),
            ),
        }
        let recorded: Vec<(String, String, String)> = self
            .db()
            .prepare("SELECT path, hash, status FROM bundles WHERE status IN ('applied', 'sealed') ORDER BY path")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let (mut missing, mut changed) = (Vec::new(), Vec::new());
        for (rel, hash, _) in &recorded {
            match fs::read(link.folder.join(rel)) {
                Ok(bytes) => {
                    let now = bundle::hash(&bytes);
                    if &now != hash {
                        changed.push(format!("{rel} (hash {} when read, {} now)", short(hash), short(&now)));
                    }
                }
                Err(_) => missing.push(rel.clone()),
            }
        }
        if !missing.is_empty() {
            report.problem(
                "bundle",
                format!(
                    "{} bundle(s) read by this home are gone from the shared folder: {}; the app never removes bundles: restore them from another member's copy of the folder (or a backup)",
                    missing.len(),
                    named(&missing)
                ),
            );
        }
        if !changed.is_empty() {
            report.problem(
                "bundle",
                format!(
                    "{} bundle(s) were changed after this home read them: {}; bundles are never modified: restore the originals from another member's copy of the folder (or a backup)",
                    changed.len(),
                    named(&changed)
                ),
            );
        }
        Ok(())
    }

    /// Check 4: the monthly totals the reports read equal the sums of the rows, and
    /// SQLite finds the file sound.
    fn check_totals(&self, report: &mut VerifyReport) -> Result<()> {
        let differing = count(
            self.db(),
            &format!(
                "SELECT (SELECT count(*) FROM ({TOTALS} EXCEPT {RECOMPUTED})) + (SELECT count(*) FROM ({RECOMPUTED} EXCEPT {TOTALS}))"
            ),
        )?;
        if differing > 0 {
            report.problem(
                "totals",
                format!(
                    "finance_totals differs from the sums of the transactions in {differing} row(s), so the reports are wrong; {REBUILD}"
                ),
            );
        }
        let checks: Vec<String> =
            self.db().prepare("PRAGMA quick_check")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        if checks != ["ok"] {
            report.problem("database", format!("SQLite finds the database damaged ({}); {REBUILD}", named(&checks)));
        }
        Ok(())
    }

    /// Check 5: the database equals a rebuild from the log and the bundles it read.
    fn compare_with_rebuild(&mut self, key: &UnlockedKey, report: &mut VerifyReport) -> Result<()> {
        let temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempdir_in(self.dir())
            .map_err(|e| Error::io("create a folder in", self.dir(), e))?;
        let home_dir = temp.path().join("home");
        fs::create_dir(&home_dir).map_err(|e| Error::io("create the folder", &home_dir, e))?;
        for name in ["key.asc", crate::crypto::vault::STORE_KEY_FILE, LOG_FILE] {
            let from = self.dir().join(name);
            fs::copy(&from, home_dir.join(name)).map_err(|e| Error::io("copy", &from, e))?;
        }
        let home_file = self.dir().join("home.json");
        let mut file: serde_json::Value =
            serde_json::from_slice(&fs::read(&home_file).map_err(|e| Error::io("read", &home_file, e))?)
                .map_err(|e| Error::HomeDamaged { path: home_file.clone(), detail: e.to_string() })?;
        let mut unread = 0;
        if let Some(link) = self.workspace_link() {
            let folder = temp.path().join("shared");
            unread = mirror_read_bundles(self.db(), &link.folder, &folder, &link.id)?;
            file["workspace"]["folder"] = serde_json::Value::String(folder.display().to_string());
        }
        let bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
        fs::write(home_dir.join("home.json"), bytes).map_err(|e| Error::io("write", &home_dir, e))?;
        if unread > 0 {
            report.notes.push(format!(
                "the shared folder holds {unread} bundle(s) this home has not read yet; they are left out of the comparison (`countersign sync` reads them)"
            ));
        }

        // Opening the copy replays the whole log into a new database; the folder read
        // then opens and checks every bundle as sync does.
        let clock = Arc::new(FixedClock::new(self.clock().now(), 0));
        let mut rebuilt = Home::open(&home_dir, clock, key)?;
        let mut own_in_bundles = 0u64;
        if rebuilt.workspace_link().is_some() {
            let read = rebuilt.read_folder(key)?;
            own_in_bundles = read
                .applied
                .iter()
                .filter(|b| b.author == self.fingerprint().as_str())
                .map(|b| u64::from(b.operations))
                .sum();
        }
        let rebuilt_digest = rebuilt.digest()?;
        report.rebuilt_digest = Some(rebuilt_digest.clone());

        if rebuilt_digest != report.digest {
            let (live, fresh) = (table_hashes(self.store_mut())?, table_hashes(rebuilt.store_mut())?);
            let tables: Vec<String> = live
                .iter()
                .filter(|(table, sums)| fresh.get(*table) != Some(sums))
                .map(|(table, (rows, _))| {
                    let fresh_rows = fresh.get(table).map_or(0, |(n, _)| *n);
                    format!("{table} ({rows} rows here, {fresh_rows} rebuilt)")
                })
                .collect();
            report.problem(
                "records",
                format!(
                    "the records differ from a fresh rebuild from ops.log and the bundles read (digest {} here, {} rebuilt), in {}; {REBUILD}",
                    short(&report.digest),
                    short(&rebuilt_digest),
                    named(&tables)
                ),
            );
        }

        // The same bundles applied, each passing sync's checks again.
        let statuses = |db: &Connection| -> Result<BTreeMap<String, Recorded>> {
            Ok(db
                .prepare("SELECT path, status, hash, reason FROM bundles")?
                .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?
                .collect::<rusqlite::Result<_>>()?)
        };
        let (live, fresh) = (statuses(self.db())?, statuses(rebuilt.db())?);
        let mut refused = Vec::new();
        for (path, (_, hash, _)) in live.iter().filter(|(_, (status, ..))| status == "applied") {
            match fresh.get(path) {
                Some((again, again_hash, _)) if again == "applied" && again_hash == hash => {}
                Some((again, _, reason)) => refused.push(format!(
                    "{path} ({again}{})",
                    reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                )),
                None => refused.push(format!("{path} (not found again)")),
            }
        }
        if !refused.is_empty() {
            report.problem(
                "bundle",
                format!(
                    "{} bundle(s) applied here do not pass sync's checks when read again: {}; restore the original files from another member's copy of the folder, then {REBUILD}",
                    refused.len(),
                    named(&refused)
                ),
            );
        }
        let newly: Vec<String> = fresh
            .iter()
            .filter(|(path, (status, ..))| status == "applied" && live.get(*path).is_none_or(|(s, ..)| s != "applied"))
            .map(|(path, _)| path.clone())
            .collect();
        if !newly.is_empty() {
            report.problem(
                "bundle",
                format!(
                    "{} bundle(s) this home read but did not apply are applied by a fresh read: {}; {REBUILD}",
                    newly.len(),
                    named(&newly)
                ),
            );
        }

        // The same operations waiting and the same written, and none written twice.
        let ids = |db: &Connection, table: &str| -> Result<BTreeSet<String>> {
            Ok(db
                .prepare(&format!("SELECT id FROM {table}"))?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?)
        };
        for (table, what) in [("outbox", "waiting to be written"), ("bundled_ops", "read back from bundles")] {
            let (here, again) = (ids(self.db(), table)?, ids(rebuilt.db(), table)?);
            if here != again {
                let only_here: Vec<String> = here.difference(&again).map(|id| short(id).to_string()).collect();
                let only_again: Vec<String> = again.difference(&here).map(|id| short(id).to_string()).collect();
                report.problem(
                    "outbox",
                    format!(
                        "the operations {what} differ from a fresh rebuild: {} only here ({}), {} only rebuilt ({}); {REBUILD}",
                        only_here.len(),
                        named(&only_here),
                        only_again.len(),
                        named(&only_again)
                    ),
                );
            }
        }
        let distinct = count(rebuilt.db(), "SELECT count(*) FROM bundled_ops")?;
        if own_in_bundles > distinct {
            report.problem(
                "outbox",
                format!(
                    "your bundles in the shared folder hold {own_in_bundles} operations but only {distinct} distinct ones: {} operation(s) were written twice (the records are unaffected: applying again changes nothing)",
                    own_in_bundles - distinct
                ),
            );
        }
        drop(rebuilt);
        temp.close().map_err(|e| Error::io("remove", self.dir(), e))?;
        Ok(())
    }
}

impl VerifyReport {
    fn problem(&mut self, check: &str, message: String) {
        self.problems.push(VerifyProblem { check: check.to_string(), message });
    }
}

/// `finance_totals` as stored, and as computed from the rows (the merge scenarios'
/// check, `store::tests`).
const TOTALS: &str = "SELECT source, year, month, account, kind, category, fund_account, currency, credit,
    gross, net, count FROM finance_totals";
const RECOMPUTED: &str = "SELECT source, CAST(substr(date, 1, 4) AS INTEGER), CAST(substr(date, 6, 2) AS INTEGER),
    account, kind, category, fund_account, currency, gross >= 0, sum(gross), sum(net), count(*) FROM transactions
    GROUP BY source, substr(date, 1, 4), substr(date, 6, 2), account, kind, category, fund_account, currency, gross >= 0";

/// Links (or copies, across file systems) into `to` the genesis, the key shares, the
/// conflict copies and every bundle this home has recorded, so that a rebuild reads the
/// folder as this home last read it. Returns how many bundles were left out (unread).
fn mirror_read_bundles(db: &Connection, from: &Path, to: &Path, id: &str) -> Result<usize> {
    let known: BTreeSet<String> =
        db.prepare("SELECT path FROM bundles")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let (source, target) = (from.join(id), to.join(id));
    let place = |from: &Path, to: &Path| -> Result<()> {
        if let Some(dir) = to.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io("create the folder", dir, e))?;
        }
        fs::hard_link(from, to).or_else(|_| fs::copy(from, to).map(|_| ())).map_err(|e| Error::io("copy", from, e))
    };
    place(&source.join(GENESIS_FILE), &target.join(GENESIS_FILE))?;
    let entries = |dir: &Path| -> Vec<(String, std::path::PathBuf)> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok().map(|n| (n, e.path())))
            .collect();
        names.sort();
        names
    };
    let mut unread = 0;
    for (author, author_dir) in entries(&source) {
        if !bundle::is_fingerprint(&author) || !author_dir.is_dir() {
            continue;
        }
        for (device, device_dir) in entries(&author_dir) {
            if !bundle::is_device_id(&device) || !device_dir.is_dir() {
                continue;
            }
            let into = target.join(&author).join(&device);
            for (name, path) in entries(&device_dir) {
                if path.is_dir() {
                    if name == crate::sync::shares::SHARE_DIR {
                        for (share, share_path) in entries(&path) {
                            if share_path.is_file() {
                                place(&share_path, &into.join(&name).join(share))?;
                            }
                        }
                    }
                    continue;
                }
                if bundle::parse_file_name(&name).is_some() {
                    if known.contains(&format!("{id}/{author}/{device}/{name}")) {
                        place(&path, &into.join(&name))?;
                    } else {
                        unread += 1;
                    }
                } else if name.contains("sync-conflict") || name.contains("conflicted copy") {
                    place(&path, &into.join(&name))?;
                }
            }
        }
    }
    Ok(unread)
}

/// Per record table: rows and a hash of them, from the canonical dump.
fn table_hashes(store: &Store) -> Result<BTreeMap<String, (u64, Vec<u8>)>> {
    let mut tables: BTreeMap<String, (u64, Sha256)> = BTreeMap::new();
    let mut current = String::new();
    store.dump(|line| {
        if let Some(name) = line.strip_prefix(b"table ") {
            current = String::from_utf8_lossy(name).trim_end().to_string();
            tables.insert(current.clone(), (0, Sha256::new()));
        } else if let Some((rows, hasher)) = tables.get_mut(&current) {
            *rows += 1;
            hasher.update(line);
        }
    })?;
    Ok(tables.into_iter().map(|(table, (rows, hasher))| (table, (rows, hasher.finalize().to_vec()))).collect())
}

/// Removes what an interrupted verification left behind.
fn remove_stale_rebuilds(dir: &Path) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) && entry.path().is_dir() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn count(db: &Connection, sql: &str) -> Result<u64> {
    Ok(db.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
}

/// The first 16 digits of a hash, as messages show them.
fn short(hash: &str) -> &str {
    &hash[..hash.len().min(16)]
}

/// The first few items, and how many more.
fn named(items: &[String]) -> String {
    let mut text = items.iter().take(NAMED).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > NAMED {
        text.push_str(&format!(" and {} more", items.len() - NAMED));
    }
    text
}
