//! Reading the folder: every new bundle checked (on worker threads) and, when its chain
//! allows, applied, all in one transaction; the roster and rules re-computed after.

use crate::base::error::Result;
use crate::crypto::envelope;
use crate::crypto::identity::Fingerprint;
use crate::crypto::key::UnlockedKey;
use crate::decisions::governance::{self, Governance, Refresh};
use crate::engine::bundle;
use crate::engine::store::{read_meta, write_meta};
use crate::home::Home;
use crate::members::governance::GovVersion;
use crate::members::roster::MemberRef;
use crate::sync::chains::{applied_chain, bundle_ref, dedup_applied, place_in_chain, record, Chain, Placement};
use crate::sync::check::{check, proposed_members, Access, Signers, Verdict};
use crate::sync::report::{file_issues, BundleRef, ClockAhead, FileIssue, Fork, SyncReport, AHEAD_NOTICE_MS};
use crate::sync::scan::{scan, Conflict, Found};
use rusqlite::{params, OptionalExtension};
use sequoia_openpgp::cert::Cert;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

impl Home {
    /// Reads the folder: every bundle not yet applied is checked and, when its chain
    /// allows, applied; all applications happen in one transaction. When what was
    /// applied changes the roster or rules (an approved roster or rules decision),
    /// files refused under the old roster are checked again; when it changes them
    /// under bundles already applied (a removal that refuses some of them), the
    /// records are rebuilt in place under the new chain and the folder read again.
    pub fn read_folder(&mut self, key: &UnlockedKey) -> Result<SyncReport> {
        let mut applied: Vec<BundleRef> = Vec::new();
        let mut ahead: Vec<ClockAhead> = Vec::new();
        // Each round either stops or moves the chain on; a chain longer than this
        // many rounds in one read is finished by the next sync.
        for _ in 0..16 {
            let mut report = self.read_folder_once(key)?;
            ahead.append(&mut report.ahead);
            let tx = self.store_mut().transaction()?;
            let refresh = governance::refresh(&tx)?;
            tx.commit()?;
            match refresh {
                Refresh::Same => {
                    applied.append(&mut report.applied);
                    report.applied = dedup_applied(applied);
                    report.ahead = dedup_ahead(ahead);
                    return Ok(report);
                }
                Refresh::Extended => applied.append(&mut report.applied),
                // The records are read again: what was applied is applied anew.
                Refresh::Reset(chain) => {
                    self.reset_records(&chain)?;
                    applied.clear();
                }
            }
        }
        let mut report = self.read_folder_once(key)?;
        applied.append(&mut report.applied);
        ahead.append(&mut report.ahead);
        report.applied = dedup_applied(applied);
        report.ahead = dedup_ahead(ahead);
        Ok(report)
    }

    /// Re-computes the roster and rules after a local vote; a change that needs the
    /// folder (a rebuild) is left to the next sync.
    pub(crate) fn settle_governance(&mut self) -> Result<()> {
        let tx = self.store_mut().transaction()?;
        if let Refresh::Extended = governance::refresh(&tx)? {
            tx.commit()?;
        }
        Ok(())
    }

    fn read_folder_once(&mut self, key: &UnlockedKey) -> Result<SyncReport> {
        let (id, ws_dir) = self.workspace_dir()?;
        self.ensure_genesis(&id, &ws_dir, key)?;
        let context = self.reading_context(&id, &ws_dir, key)?;

        let (found, conflicts) = scan(&ws_dir, &id)?;
        let seen: BTreeSet<String> = found.iter().map(|f| f.rel.clone()).collect();
        let mut forks = Forks::default();
        // Files refused under checks older than these are checked again once.
        let recheck = read_meta(self.db(), "checks")?.as_deref() != Some(CHECKS);
        let mut to_check = self.files_to_check(found, &context.shares, recheck, &mut forks)?;
        forks.add_conflict_copies(&conflicts);

        // Opening envelopes and applying operations dominate the cost of reading: worker
        // threads open and check while this thread places and applies, in (author,
        // device, seq) order, all in one transaction with the verdicts' bookkeeping.
        to_check.sort_by(|a, b| (&a.0.author, &a.0.device, a.0.seq).cmp(&(&b.0.author, &b.0.device, b.0.seq)));
        let me = self.fingerprint().clone();
        let mut report = SyncReport::default();
        let now_ms = self.clock().now().timestamp_millis();
        let mut ahead: BTreeMap<Chain, i64> = BTreeMap::new();
        let tx = self.store_mut().transaction()?;
        let verdicts =
            open_and_apply(&tx, &to_check, &context, &me, key, &mut forks, &mut report, &mut |f, newest| {
                if newest - now_ms > AHEAD_NOTICE_MS {
                    let by = ahead.entry((f.author.clone(), f.device.clone())).or_default();
                    *by = (*by).max(newest - now_ms);
                }
            })?;
        record_verdicts(&tx, &verdicts, &seen, &mut report)?;
        write_meta(&tx, "forks", &serde_json::to_string(&forks.found).unwrap_or_else(|_| "[]".into()))?;
        write_meta(&tx, "checks", CHECKS)?;
        tx.commit()?;

        // Earlier rejections still in the folder are reported again until resolved.
        let reported: BTreeSet<String> = report.rejected.iter().map(|r| r.file.clone()).collect();
        for issue in file_issues(self.db(), "rejected")? {
            if !reported.contains(&issue.file) {
                report.rejected.push(issue);
            }
        }
        report.rejected.sort_by(|a, b| a.file.cmp(&b.file));
        report.forks = forks.found;
        let names: BTreeMap<String, String> =
            self.roster()?.into_iter().map(|m| (m.fingerprint.to_string(), m.name)).collect();
        report.ahead = ahead
            .into_iter()
            .map(|((author, device), ms)| {
                let member = MemberRef { name: names.get(&author).cloned(), fingerprint: author };
                ClockAhead::new(member, device, u32::try_from(ms / 3_600_000).unwrap_or(u32::MAX))
            })
            .collect();
        Ok(report)
    }

    /// Reads the genesis bundle again when the database lacks it (after a rebuild).
    fn ensure_genesis(&mut self, id: &str, ws_dir: &Path, key: &UnlockedKey) -> Result<()> {
        let has_genesis: bool = self.db().prepare("SELECT 1 FROM workspace WHERE id = ?1")?.exists([id])?;
        if !has_genesis {
            let folder = ws_dir.parent().unwrap_or(Path::new("."));
            let genesis = crate::sync::workspace::read_genesis(folder, id, self.fingerprint(), key)?;
            let tx = self.store_mut().transaction()?;
            crate::sync::workspace::apply_genesis(&tx, id, &genesis)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// What every bundle of this read is checked against. Bundles and votes are
    /// verified against every key ever on the roster; the chain then says whether the
    /// signer may write at that point.
    fn reading_context(&self, id: &str, ws_dir: &Path, key: &UnlockedKey) -> Result<Context> {
        let gov = Governance::load(self.db())?;
        let head = gov.head().clone();
        let known = governance::certificates(self.db())?;
        let certs: Vec<Cert> = known.values().cloned().collect();
        let shares = crate::sync::shares::read_shares(ws_dir, id, self.fingerprint(), key, Some(&certs));
        let access = Access::of(&gov, &known, &proposed_members(self.db())?);
        // A member whose role reads every scope expects to open every bundle; anyone
        // else finds bundles of other scopes, sealed to their readers.
        let reads_everything = head.rules.scopes().iter().all(|scope| head.may_read(self.fingerprint(), scope));
        Ok(Context { workspace: id.to_string(), head, known, certs, shares, access, reads_everything })
    }

    /// The files to open: new, changed since read, or refused or sealed before and now
    /// with a key share. A file applied before and since replaced is a fork, not
    /// read again.
    fn files_to_check(
        &self,
        found: Vec<Found>,
        shares: &BTreeMap<String, envelope::SharedKey>,
        recheck: bool,
        forks: &mut Forks,
    ) -> Result<Vec<(Found, Vec<u8>, String)>> {
        let mut to_check = Vec::new();
        for f in found {
            let known: Option<(String, String, i64, i64)> = self
                .db()
                .prepare_cached("SELECT hash, status, size, mtime_ns FROM bundles WHERE path = ?1")?
                .query_row([&f.rel], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()?;
            if let Some((_, status, size, mtime)) = &known {
                // A refused or sealed file is checked again when a key share for it
                // arrived, and a refused one when the checks changed since.
                let retry = (matches!(status.as_str(), "rejected" | "sealed") && shares.contains_key(&f.rel))
                    || (recheck && status == "rejected");
                if matches!(status.as_str(), "applied" | "rejected" | "sealed")
                    && !retry
                    && *size == f.size
                    && *mtime == f.mtime_ns
                {
                    continue;
                }
            }
            let bytes = match fs::read(&f.path) {
                Ok(bytes) => bytes,
                // Vanished between listing and reading (a sync tool at work): next time.
                Err(_) => continue,
            };
            let hash = bundle::hash(&bytes);
            if let Some((old_hash, status, ..)) = &known {
                if status == "applied" || (status == "sealed" && *old_hash != hash) {
                    if *old_hash == hash && status == "applied" {
                        self.db()
                            .prepare_cached("UPDATE bundles SET size = ?2, mtime_ns = ?3 WHERE path = ?1")?
                            .execute(params![f.rel, f.size, f.mtime_ns])?;
                    } else {
                        let reason = format!(
                            "the bundle applied from this file (hash {}) was replaced by a different one (hash {})",
                            &old_hash[..16],
                            &hash[..16]
                        );
                        forks.add(Fork {
                            author: f.author.clone(),
                            device: f.device.clone(),
                            seq: f.seq,
                            files: vec![f.rel.clone()],
                            reason,
                        });
                    }
                    continue;
                }
            }
            to_check.push((f, bytes, hash));
        }
        Ok(to_check)
    }
}

/// The version of the checks a bundle passes. A file refused under an earlier
/// version is checked again once: version 2 stopped refusing signatures made "in the
/// future" of the reader's clock, which had shut out members whose laptops run fast.
const CHECKS: &str = "2";

/// Each device ahead once, by the most it was found ahead over the rounds of a read.
fn dedup_ahead(found: Vec<ClockAhead>) -> Vec<ClockAhead> {
    let mut by_device: BTreeMap<(String, String), ClockAhead> = BTreeMap::new();
    for clock in found {
        let key = (clock.member.fingerprint.clone(), clock.device.clone());
        match by_device.get(&key) {
            Some(known) if known.hours >= clock.hours => {}
            _ => drop(by_device.insert(key, clock)),
        }
    }
    by_device.into_values().collect()
}

/// What one read of the folder checks bundles against.
struct Context {
    workspace: String,
    head: GovVersion,
    known: BTreeMap<Fingerprint, Cert>,
    certs: Vec<Cert>,
    shares: BTreeMap<String, envelope::SharedKey>,
    access: Access,
    reads_everything: bool,
}

/// The forks found, and the chains they stop: nothing more is applied to a forked
/// chain until its author resolves it.
#[derive(Default)]
struct Forks {
    found: Vec<Fork>,
    chains: BTreeSet<Chain>,
}

impl Forks {
    fn add(&mut self, fork: Fork) {
        self.chains.insert((fork.author.clone(), fork.device.clone()));
        self.found.push(fork);
    }

    /// Conflict copies made by sync tools: a different bundle for the same position.
    fn add_conflict_copies(&mut self, conflicts: &[Conflict]) {
        for (conflict, base) in conflicts {
            let (Ok(a), Ok(b)) = (fs::read(&conflict.1), fs::read(&base.path)) else {
                continue;
            };
            if a != b {
                self.add(Fork {
                    author: base.author.clone(),
                    device: base.device.clone(),
                    seq: base.seq,
                    files: vec![base.rel.clone(), conflict.0.clone()],
                    reason: "two different bundles for the same position (a sync tool kept both)".into(),
                });
            }
        }
    }
}

/// The bundles not applied by a read, with why.
#[derive(Default)]
struct Verdicts<'a> {
    waiting: Vec<(&'a Found, &'a String, String)>,
    rejected: Vec<(&'a Found, &'a String, String)>,
    sealed: Vec<(&'a Found, &'a String)>,
}

/// Opens and checks `to_check` on worker threads while this thread places each bundle
/// in its chain, in order, and applies those whose chain allows, inside `tx`.
#[allow(clippy::too_many_arguments)]
fn open_and_apply<'a>(
    tx: &rusqlite::Transaction<'_>,
    to_check: &'a [(Found, Vec<u8>, String)],
    context: &Context,
    me: &Fingerprint,
    key: &UnlockedKey,
    forks: &mut Forks,
    report: &mut SyncReport,
    // Told each bundle applied and the newest reading of its author's own clock in it.
    applied_at: &mut dyn FnMut(&Found, i64),
) -> Result<Verdicts<'a>> {
    let mut verdicts = Verdicts::default();
    // One core is this thread's, applying; the others open envelopes.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).saturating_sub(1).clamp(1, 8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| -> Result<()> {
        let (sender, opened) = std::sync::mpsc::channel::<(usize, Verdict)>();
        for _ in 0..threads {
            let (sender, next) = (sender.clone(), &next);
            let signers = Signers {
                workspace: &context.workspace,
                certs: &context.certs,
                known: &context.known,
                head: &context.head,
                shares: &context.shares,
                access: &context.access,
                reads_everything: context.reads_everything,
            };
            scope.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((f, bytes, _)) = to_check.get(i) else { break };
                if sender.send((i, check(f, bytes, &signers, key))).is_err() {
                    break;
                }
            });
        }
        drop(sender);
        let mut early: BTreeMap<usize, Verdict> = BTreeMap::new();
        let mut chains: BTreeMap<Chain, BTreeMap<u64, String>> = BTreeMap::new();
        let mut place = 0;
        for (i, verdict) in opened {
            early.insert(i, verdict);
            while let Some(verdict) = early.remove(&place) {
                let (f, _, hash) = &to_check[place];
                place += 1;
                let (payload, ids) = match verdict {
                    Verdict::Opened(payload, ids) => (payload, ids),
                    Verdict::Sealed => {
                        verdicts.sealed.push((f, hash));
                        continue;
                    }
                    Verdict::Refused(reason) => {
                        verdicts.rejected.push((f, hash, reason));
                        continue;
                    }
                };
                let chain: Chain = (f.author.clone(), f.device.clone());
                if !chains.contains_key(&chain) {
                    chains.insert(chain.clone(), applied_chain(tx, &chain)?);
                }
                let applied = chains.get_mut(&chain).expect("inserted above");
                match place_in_chain(f, hash, payload.prev.as_deref(), applied, forks.chains.contains(&chain)) {
                    Placement::Ready => {
                        crate::home::apply::apply_ops(tx, &payload.ops, &ids)?;
                        // Only this member's own operations can wait in the outbox:
                        // reading them back in a bundle means they are written.
                        if payload.author == *me {
                            let mut bundled =
                                tx.prepare_cached("INSERT OR IGNORE INTO bundled_ops (id) VALUES (?1)")?;
                            let mut unqueue = tx.prepare_cached("DELETE FROM outbox WHERE id = ?1")?;
                            for op_id in &ids {
                                bundled.execute([&op_id.0])?;
                                unqueue.execute([&op_id.0])?;
                            }
                        }
                        record(tx, f, hash, "applied", None, Some(&payload.scope))?;
                        // A reading with n = 0 is its author's own wall clock; later
                        // readings of a clock that follows another's have n > 0.
                        let own = payload.ops.iter().filter(|op| op.hlc.n == 0).map(|op| op.hlc.ms).max();
                        applied_at(f, own.unwrap_or(0));
                        applied.insert(f.seq, hash.clone());
                        report.applied.push(bundle_ref(f, payload.ops.len()));
                    }
                    Placement::Waiting(reason) => verdicts.waiting.push((f, hash, reason)),
                    Placement::Rejected(reason) => verdicts.rejected.push((f, hash, reason)),
                    Placement::Fork(fork) => forks.add(fork),
                }
            }
        }
        Ok(())
    })?;
    Ok(verdicts)
}

/// Records every bundle not applied, inside `tx`. A sealed bundle keeps its place in
/// its chain (the next bundle names its hash); nothing of it is applied. A rejected
/// file that is gone from the folder (`seen` lists what is there) is resolved.
fn record_verdicts(
    tx: &rusqlite::Transaction<'_>,
    verdicts: &Verdicts<'_>,
    seen: &BTreeSet<String>,
    report: &mut SyncReport,
) -> Result<()> {
    for (f, hash) in &verdicts.sealed {
        record(tx, f, hash, "sealed", None, None)?;
    }
    report.sealed = verdicts.sealed.len() as u32;
    for (f, hash, reason) in &verdicts.rejected {
        record(tx, f, hash, "rejected", Some(reason), None)?;
        report.rejected.push(FileIssue { file: f.rel.clone(), reason: reason.clone() });
    }
    tx.execute("DELETE FROM bundles WHERE status = 'waiting'", [])?;
    for (f, hash, reason) in &verdicts.waiting {
        record(tx, f, hash, "waiting", Some(reason), None)?;
        report.waiting.push(FileIssue { file: f.rel.clone(), reason: reason.clone() });
    }
    let gone: Vec<String> = {
        let mut stmt = tx.prepare("SELECT path FROM bundles WHERE status = 'rejected'")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().filter(|p| !seen.contains(p)).collect()
    };
    for path in gone {
        tx.execute("DELETE FROM bundles WHERE path = ?1", [path])?;
    }
    Ok(())
}
