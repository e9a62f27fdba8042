//! Sync through the shared folder: read every new bundle (decrypt, verify against the
//! roster, check workspace, position and chain, apply in one transaction), then write
//! this member's pending operations as new bundles.
//!
//! Architecture invariant: whatever fails is set aside with a reason and never
//! half-applied; the app never deletes or changes a file in the shared folder except
//! by adding its own bundles. Sync state is derived from the folder: a crash at any
//! point is repaired by the next sync, which reads this member's own bundles back.

use crate::bundle::{self, BundlePayload, BUNDLE_FORMAT, MAX_BUNDLE_BYTES, MAX_OPS_PER_BUNDLE};
use crate::canonical;
use crate::decision;
use crate::envelope::{self, EnvelopeError};
use crate::error::{Error, Result};
use crate::governance::{self, GovVersion, Governance, Refresh};
use crate::home::Home;
use crate::key::UnlockedKey;
use crate::operation::Fingerprint;
use crate::operation::{OpBody, OpId, Operation};
use crate::roster::RosterMember;
use crate::scope::Scope;
use crate::store::{self, read_meta, write_meta};
use crate::workspace::{self, write_atomically};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, OptionalExtension};
use sequoia_openpgp::cert::Cert;
use sequoia_openpgp::KeyHandle;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// A bundle written or applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BundleRef {
    /// Path inside the shared folder.
    pub file: String,
    pub author: String,
    pub device: String,
    pub seq: u64,
    pub operations: u32,
}

/// A file set aside, or a bundle waiting, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FileIssue {
    pub file: String,
    pub reason: String,
}

/// Two different bundles for the same position in one device's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Fork {
    pub author: String,
    pub device: String,
    pub seq: u64,
    pub files: Vec<String>,
    pub reason: String,
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SyncReport {
    pub written: Vec<BundleRef>,
    pub applied: Vec<BundleRef>,
    /// Bundles whose predecessors have not arrived yet (not an error).
    pub waiting: Vec<FileIssue>,
    /// Files refused, with the reason; listed until the file is removed or replaced.
    pub rejected: Vec<FileIssue>,
    pub forks: Vec<Fork>,
    /// Bundles of scopes this member's role does not read: they cannot be opened and
    /// are left alone (their place in their chain is kept, nothing is applied).
    #[serde(default)]
    pub sealed: u32,
}

/// What the desktop app reports after a sync it ran by itself, because the shared
/// folder changed while it was open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SyncEvent {
    Synced {
        report: SyncReport,
    },
    Failed {
        error: crate::error::ErrorReport,
    },
    /// The key is not unlocked this run and the keyring holds no passphrase.
    Locked,
}

/// The state of sync, without syncing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SyncStatus {
    pub folder: String,
    pub last_sync: Option<DateTime<Utc>>,
    /// Operations recorded here and not yet written to the folder.
    pub pending_operations: u32,
    pub waiting: Vec<FileIssue>,
    pub rejected: Vec<FileIssue>,
    pub forks: Vec<Fork>,
    /// Bundles in the folder for scopes this member's role does not read.
    pub sealed: u32,
}

/// A bundle file found in the folder.
struct Found {
    rel: String,
    path: PathBuf,
    author: String,
    device: String,
    seq: u64,
    size: i64,
    mtime_ns: i64,
}

/// A chain: (author fingerprint, device id).
type Chain = (String, String);

impl Home {
    /// Reads new bundles from the shared folder and writes pending operations to it.
    pub fn sync(&mut self, key: &UnlockedKey) -> Result<SyncReport> {
        // One sync at a time per home, and with every operation recorded so far.
        let _lock = crate::home::lock(self.dir())?;
        self.catch_up()?;
        let mut report = self.read_folder(key)?;
        report.written = self.write_pending(key, MAX_OPS_PER_BUNDLE)?;
        self.write_shares(key)?;
        let now = self.clock().now().timestamp_millis().to_string();
        write_meta(self.db(), "last_sync", &now)?;
        Ok(report)
    }

    /// What sync last found, and what is waiting to be written.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let link = self.workspace_link().ok_or(Error::NoWorkspace)?;
        let last_sync = read_meta(self.db(), "last_sync")?
            .and_then(|v| v.parse::<i64>().ok())
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single());
        let pending: u32 = self.db().query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
        let forks = read_meta(self.db(), "forks")?.and_then(|v| serde_json::from_str(&v).ok()).unwrap_or_default();
        let sealed: u32 =
            self.db().query_row("SELECT count(*) FROM bundles WHERE status = 'sealed'", [], |r| r.get(0))?;
        Ok(SyncStatus {
            sealed,
            folder: link.folder.display().to_string(),
            last_sync,
            pending_operations: pending,
            waiting: self.file_issues("waiting")?,
            rejected: self.file_issues("rejected")?,
            forks,
        })
    }

    /// Whether the shared folder holds a bundle this home has not read yet (new, or
    /// changed since it was read). Cheap: names and sizes only, nothing is opened. The
    /// desktop app asks this before telling a member with a locked key that files arrived.
    pub fn folder_has_news(&self) -> Result<bool> {
        let (id, ws_dir) = self.workspace_dir()?;
        let (found, _) = scan(&ws_dir, &id)?;
        let mut stmt = self.db().prepare_cached("SELECT size, mtime_ns FROM bundles WHERE path = ?1")?;
        for f in found {
            let known: Option<(i64, i64)> = stmt.query_row([&f.rel], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
            if known != Some((f.size, f.mtime_ns)) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn file_issues(&self, status: &str) -> Result<Vec<FileIssue>> {
        let mut stmt = self.db().prepare_cached("SELECT path, reason FROM bundles WHERE status = ?1 ORDER BY path")?;
        let rows = stmt.query_map([status], |r| {
            Ok(FileIssue { file: r.get(0)?, reason: r.get::<_, Option<String>>(1)?.unwrap_or_default() })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Reads the folder: every bundle not yet applied is checked and, when its chain
    /// allows, applied; all applications happen in one transaction. When what was
    /// applied changes the roster or rules (an approved roster or rules decision),
    /// files refused under the old roster are checked again; when it changes them
    /// under bundles already applied (a removal that refuses some of them), the
    /// records are rebuilt in place under the new chain and the folder read again.
    pub fn read_folder(&mut self, key: &UnlockedKey) -> Result<SyncReport> {
        let mut applied: Vec<BundleRef> = Vec::new();
        // Each round either stops or moves the chain on; a chain longer than this
        // many rounds in one read is finished by the next sync.
        for _ in 0..16 {
            let mut report = self.read_folder_once(key)?;
            let tx = self.store_mut().transaction()?;
            let refresh = governance::refresh(&tx)?;
            tx.commit()?;
            match refresh {
                Refresh::Same => {
                    applied.append(&mut report.applied);
                    report.applied = dedup_applied(applied);
                    return Ok(report);
                }
                Refresh::Extended => applied.append(&mut report.applied),
                Refresh::Reset(chain) => {
                    self.reset_records(&chain)?;
                    applied.clear();
                }
            }
        }
        let mut report = self.read_folder_once(key)?;
        applied.append(&mut report.applied);
        report.applied = dedup_applied(applied);
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
        let now = self.clock().now();
        let mut report = SyncReport::default();

        // The genesis is re-read only when the database lacks it (after a rebuild).
        let has_genesis: bool = self.db().prepare("SELECT 1 FROM workspace WHERE id = ?1")?.exists([&id])?;
        if !has_genesis {
            let folder = ws_dir.parent().unwrap_or(Path::new("."));
            let genesis = workspace::read_genesis(folder, &id, self.fingerprint(), key, now)?;
            let tx = self.store_mut().transaction()?;
            workspace::apply_genesis(&tx, &id, &genesis)?;
            tx.commit()?;
        }
        // Bundles and votes are verified against every key ever on the roster; the
        // chain then says whether the signer may write at that point.
        let gov = Governance::load(self.db())?;
        let head = gov.head().clone();
        let known = governance::certificates(self.db())?;
        let certs: Vec<Cert> = known.values().cloned().collect();
        let shares = crate::share::read_shares(&ws_dir, &id, self.fingerprint(), key, Some(&certs), now);
        let access = Access::of(&gov, &known, &proposed_members(self.db())?);
        // A member whose role reads every scope expects to open every bundle; anyone
        // else finds bundles of other scopes, sealed to their readers.
        let reads_everything = head.rules.scopes().iter().all(|scope| head.may_read(self.fingerprint(), scope));

        let (found, conflicts) = scan(&ws_dir, &id)?;
        let mut forks: Vec<Fork> = Vec::new();
        let mut forked: BTreeSet<Chain> = BTreeSet::new();
        let seen: BTreeSet<String> = found.iter().map(|f| f.rel.clone()).collect();
        let mut to_check: Vec<(Found, Vec<u8>, String)> = Vec::new();

        for f in found {
            let known: Option<(String, String, i64, i64)> = self
                .db()
                .prepare_cached("SELECT hash, status, size, mtime_ns FROM bundles WHERE path = ?1")?
                .query_row([&f.rel], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()?;
            if let Some((_, status, size, mtime)) = &known {
                // A refused or sealed file is checked again when a key share for it arrived.
                let retry = matches!(status.as_str(), "rejected" | "sealed") && shares.contains_key(&f.rel);
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
                        forked.insert((f.author.clone(), f.device.clone()));
                        forks.push(Fork {
                            author: f.author.clone(),
                            device: f.device.clone(),
                            seq: f.seq,
                            files: vec![f.rel.clone()],
                            reason: format!(
                                "the bundle applied from this file (hash {}) was replaced by a different one (hash {})",
                                &old_hash[..16],
                                &hash[..16]
                            ),
                        });
                    }
                    continue;
                }
            }
            to_check.push((f, bytes, hash));
        }

        // Conflict copies made by sync tools: a different bundle for the same position.
        for (conflict, base) in &conflicts {
            let (Ok(a), Ok(b)) = (fs::read(&conflict.1), fs::read(&base.path)) else {
                continue;
            };
            if a != b {
                forked.insert((base.author.clone(), base.device.clone()));
                forks.push(Fork {
                    author: base.author.clone(),
                    device: base.device.clone(),
                    seq: base.seq,
                    files: vec![base.rel.clone(), conflict.0.clone()],
                    reason: "two different bundles for the same position (a sync tool kept both)".into(),
                });
            }
        }

        // Opening envelopes and applying operations dominate the cost of reading. Worker
        // threads open and check bundles while this thread places each in its chain, in
        // (author, device, seq) order, and applies it: all in one transaction.
        to_check.sort_by(|a, b| (&a.0.author, &a.0.device, a.0.seq).cmp(&(&b.0.author, &b.0.device, b.0.seq)));
        let me = self.fingerprint().clone();
        let mut waiting: Vec<(&Found, &String, String)> = Vec::new();
        let mut rejected: Vec<(&Found, &String, String)> = Vec::new();
        let mut sealed: Vec<(&Found, &String)> = Vec::new();
        let tx = self.store_mut().transaction()?;
        // One core is this thread's, applying; the others open envelopes.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).saturating_sub(1).clamp(1, 8);
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| -> Result<()> {
            let (sender, verdicts) = std::sync::mpsc::channel::<(usize, Verdict)>();
            for _ in 0..threads {
                let (sender, next, to_check) = (sender.clone(), &next, &to_check);
                let signers = Signers {
                    workspace: &id,
                    certs: &certs,
                    known: &known,
                    head: &head,
                    shares: &shares,
                    access: &access,
                    reads_everything,
                };
                scope.spawn(move || loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((f, bytes, _)) = to_check.get(i) else { break };
                    if sender.send((i, check(f, bytes, &signers, key, now))).is_err() {
                        break;
                    }
                });
            }
            drop(sender);
            let mut early: BTreeMap<usize, Verdict> = BTreeMap::new();
            let mut chains: BTreeMap<Chain, BTreeMap<u64, String>> = BTreeMap::new();
            let mut place = 0;
            for (i, verdict) in verdicts {
                early.insert(i, verdict);
                while let Some(verdict) = early.remove(&place) {
                    let (f, _, hash) = &to_check[place];
                    place += 1;
                    let (payload, ids) = match verdict {
                        Verdict::Opened(payload, ids) => (payload, ids),
                        Verdict::Sealed => {
                            sealed.push((f, hash));
                            continue;
                        }
                        Verdict::Refused(reason) => {
                            rejected.push((f, hash, reason));
                            continue;
                        }
                    };
                    let chain: Chain = (f.author.clone(), f.device.clone());
                    if !chains.contains_key(&chain) {
                        chains.insert(chain.clone(), applied_chain(&tx, &chain)?);
                    }
                    let applied = chains.get_mut(&chain).expect("inserted above");
                    match place_in_chain(f, hash, payload.prev.as_deref(), applied, forked.contains(&chain)) {
                        Placement::Ready => {
                            store::apply_ops(&tx, &payload.ops, &ids)?;
                            // Only this member's own operations can wait in the outbox:
                            // reading them back in a bundle means they are written.
                            if payload.author == me {
                                let mut bundled =
                                    tx.prepare_cached("INSERT OR IGNORE INTO bundled_ops (id) VALUES (?1)")?;
                                let mut unqueue = tx.prepare_cached("DELETE FROM outbox WHERE id = ?1")?;
                                for op_id in &ids {
                                    bundled.execute([&op_id.0])?;
                                    unqueue.execute([&op_id.0])?;
                                }
                            }
                            record(&tx, f, hash, "applied", None, Some(&payload.scope))?;
                            applied.insert(f.seq, hash.clone());
                            report.applied.push(bundle_ref(f, payload.ops.len()));
                        }
                        Placement::Waiting(reason) => waiting.push((f, hash, reason)),
                        Placement::Rejected(reason) => rejected.push((f, hash, reason)),
                        Placement::Fork(fork) => {
                            forked.insert(chain);
                            forks.push(fork);
                        }
                    }
                }
            }
            Ok(())
        })?;

        // Record every other verdict in the same transaction. A sealed bundle keeps its
        // place in its chain (the next bundle names its hash); nothing of it is applied.
        for (f, hash) in &sealed {
            record(&tx, f, hash, "sealed", None, None)?;
        }
        report.sealed = sealed.len() as u32;
        for (f, hash, reason) in &rejected {
            record(&tx, f, hash, "rejected", Some(reason), None)?;
            report.rejected.push(FileIssue { file: f.rel.clone(), reason: reason.clone() });
        }
        tx.execute("DELETE FROM bundles WHERE status = 'waiting'", [])?;
        for (f, hash, reason) in &waiting {
            record(&tx, f, hash, "waiting", Some(reason), None)?;
            report.waiting.push(FileIssue { file: f.rel.clone(), reason: reason.clone() });
        }
        // A rejected file that is gone from the folder is resolved.
        let gone: Vec<String> = {
            let mut stmt = tx.prepare("SELECT path FROM bundles WHERE status = 'rejected'")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().filter(|p| !seen.contains(p)).collect()
        };
        for path in gone {
            tx.execute("DELETE FROM bundles WHERE path = ?1", [path])?;
        }
        write_meta(&tx, "forks", &serde_json::to_string(&forks).unwrap_or_else(|_| "[]".into()))?;
        tx.commit()?;

        // Earlier rejections still in the folder are reported again until resolved.
        let reported: BTreeSet<String> = report.rejected.iter().map(|r| r.file.clone()).collect();
        for issue in self.file_issues("rejected")? {
            if !reported.contains(&issue.file) {
                report.rejected.push(issue);
            }
        }
        report.rejected.sort_by(|a, b| a.file.cmp(&b.file));
        report.forks = forks;
        Ok(report)
    }

    /// Writes the operations waiting in the outbox as new bundles of this device, at
    /// most `max_ops_per_bundle` each, without reading the folder first. `sync` reads
    /// then writes; this alone is for tools that generate many bundles (benchmarks).
    pub fn write_pending(&mut self, key: &UnlockedKey, max_ops_per_bundle: usize) -> Result<Vec<BundleRef>> {
        let (id, ws_dir) = self.workspace_dir()?;
        // One bundle per scope (access by role), each closing at `max_ops_per_bundle`
        // operations or MAX_BUNDLE_BYTES of payload, whichever comes first: a
        // 100,000-row import is a few bundles.
        let mut by_scope: BTreeMap<Scope, Vec<Vec<Operation>>> = BTreeMap::new();
        let mut bytes_in_chunk: BTreeMap<Scope, usize> = BTreeMap::new();
        {
            let mut stmt = self.db().prepare("SELECT op, log_at FROM outbox ORDER BY hlc_ms, hlc_n, id")?;
            let waiting: Vec<(Vec<u8>, Option<i64>)> =
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
            let offsets = waiting.iter().filter_map(|(_, at)| at.map(|a| a as u64)).collect();
            let mut lines = self.log().lines_at(&offsets)?;
            let max_ops = max_ops_per_bundle.clamp(1, MAX_OPS_PER_BUNDLE);
            for (bytes, at) in waiting {
                let bytes = match at {
                    Some(at) => lines.remove(&(at as u64)).ok_or_else(|| Error::LogDamaged {
                        path: self.dir().join(crate::home::LOG_FILE),
                        line: 0,
                        detail: format!("no operation starts at byte {at}, where the outbox expects one"),
                    })?,
                    None => bytes,
                };
                let op = Operation::from_bytes(&bytes)?;
                let chunks = by_scope.entry(op.scope.clone()).or_default();
                let filled = bytes_in_chunk.entry(op.scope.clone()).or_default();
                if chunks.last().is_none_or(|c| c.len() >= max_ops || *filled + bytes.len() > MAX_BUNDLE_BYTES) {
                    chunks.push(Vec::new());
                    *filled = 0;
                }
                *filled += bytes.len();
                if let Some(chunk) = chunks.last_mut() {
                    chunk.push(op);
                }
            }
        }
        if by_scope.is_empty() {
            return Ok(Vec::new());
        }
        let me = self.fingerprint().to_string();
        let device = self.device().to_string();
        let chain = (me.clone(), device.clone());
        let applied = applied_chain(self.db(), &chain)?;
        let (mut seq, mut prev) = applied.iter().next_back().map_or((0, None), |(s, h)| (*s, Some(h.clone())));
        let gov = Governance::load(self.db())?;
        let head = gov.head();
        if !head.roster.contains_key(self.fingerprint()) {
            return Err(Error::NotOnRoster(me));
        }
        let heads = applied_heads(self.db())?;
        let roster: BTreeMap<Fingerprint, Cert> =
            self.roster()?.iter().map(|m| Ok((m.fingerprint.clone(), m.parse_cert()?))).collect::<Result<_>>()?;
        let dir = ws_dir.join(&me).join(&device);
        fs::create_dir_all(&dir).map_err(|e| Error::io("create the folder", &dir, e))?;
        let now = self.clock().now();
        let mut written = Vec::new();
        for (scope, chunk) in by_scope.iter().flat_map(|(scope, chunks)| chunks.iter().map(move |c| (scope, c))) {
            // Encrypted only to the members whose role reads the scope now. (An
            // operation recorded before this member's own role changed still goes to
            // the scope's readers, even if that no longer includes its author.)
            let certs: Vec<Cert> = head.readers(scope).iter().filter_map(|fpr| roster.get(fpr)).cloned().collect();
            seq += 1;
            let mut payload = BundlePayload {
                format: BUNDLE_FORMAT,
                workspace: id.clone(),
                author: self.fingerprint().clone(),
                device: device.clone(),
                seq,
                prev: prev.clone(),
                heads: heads.clone(),
                scope: scope.clone(),
                ops: chunk.clone(),
                envelope: None,
            };
            // The payload names the recipient packets written before it (docs 2.4).
            let bind = move |digest: &str| {
                payload.envelope = Some(digest.to_string());
                Ok(canonical::to_bytes(&payload)?)
            };
            let sealed = envelope::seal_bound(bind, key, &certs, now)?;
            let hash = bundle::hash(&sealed);
            let path = dir.join(bundle::file_name(seq));
            write_atomically(&path, &sealed)?;
            let found = found_at(&id, &path, &me, &device, seq)?;
            let tx = self.store_mut().transaction()?;
            {
                let mut bundled = tx.prepare_cached("INSERT OR IGNORE INTO bundled_ops (id) VALUES (?1)")?;
                let mut unqueue = tx.prepare_cached("DELETE FROM outbox WHERE id = ?1")?;
                for op in chunk {
                    let op_id = op.id();
                    bundled.execute([&op_id.0])?;
                    unqueue.execute([&op_id.0])?;
                }
            }
            record(&tx, &found, &hash, "applied", None, Some(scope))?;
            tx.commit()?;
            written.push(bundle_ref(&found, chunk.len()));
            prev = Some(hash);
        }
        Ok(written)
    }
}

/// For every chain with an applied bundle, the highest applied seq (`FPR/DEVICE` →
/// seq): the causal context a new bundle or a roster vote records.
pub(crate) fn applied_heads(db: &rusqlite::Connection) -> Result<BTreeMap<String, u64>> {
    let mut stmt = db.prepare_cached(
        "SELECT author || '/' || device, max(seq) FROM bundles WHERE status IN ('applied', 'sealed')
         GROUP BY author, device",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn dedup_applied(mut applied: Vec<BundleRef>) -> Vec<BundleRef> {
    let mut seen = BTreeSet::new();
    applied.retain(|b| seen.insert(b.file.clone()));
    applied
}

/// The applied (or sealed: in place, unread) bundles of one chain: seq → hash.
fn applied_chain(db: &rusqlite::Connection, chain: &Chain) -> Result<BTreeMap<u64, String>> {
    let mut stmt = db.prepare_cached(
        "SELECT seq, hash FROM bundles WHERE author = ?1 AND device = ?2 AND status IN ('applied', 'sealed')",
    )?;
    let rows = stmt.query_map(params![chain.0, chain.1], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Where a checked bundle stands in its chain.
enum Placement {
    Ready,
    Waiting(String),
    Rejected(String),
    Fork(Fork),
}

/// Places bundle `f` (whose bytes hash to `hash` and whose payload names `prev`) in
/// its chain, given the chain's applied or sealed bundles (seq → hash) and whether the
/// chain has a fork. A sealed bundle opened later (a key share arrived) is in place.
fn place_in_chain(
    f: &Found,
    hash: &str,
    prev: Option<&str>,
    applied: &BTreeMap<u64, String>,
    forked: bool,
) -> Placement {
    let seq = f.seq;
    let fork = |seq: u64, reason: String| {
        Placement::Fork(Fork {
            author: f.author.clone(),
            device: f.device.clone(),
            seq,
            files: vec![f.rel.clone()],
            reason,
        })
    };
    if forked {
        return Placement::Waiting("its chain has a fork; it waits until a member resolves it".into());
    }
    if applied.get(&seq).is_some_and(|h| h == hash) {
        return Placement::Ready;
    }
    if applied.contains_key(&seq) {
        return fork(seq, "a second bundle for a position already applied".into());
    }
    let follows = |h: &str| applied.iter().find(|(_, hash)| hash.as_str() == h).map(|(s, _)| *s);
    match (seq, prev) {
        (1, None) => Placement::Ready,
        (1, Some(_)) => Placement::Rejected("the first bundle of a chain names a predecessor".into()),
        (_, None) => Placement::Rejected(format!("bundle {seq} names no predecessor")),
        (_, Some(p)) => match (applied.get(&(seq - 1)), follows(p)) {
            (Some(h), _) if h == p => Placement::Ready,
            (_, Some(k)) => Placement::Rejected(format!("sequence gap: it follows bundle {k} but is numbered {seq}")),
            (Some(_), None) => {
                fork(seq - 1, format!("bundle {seq} follows a bundle {} other than the one applied", seq - 1))
            }
            (None, None) => Placement::Waiting(format!("waits for bundle {} of this device", seq - 1)),
        },
    }
}

fn bundle_ref(f: &Found, operations: usize) -> BundleRef {
    BundleRef {
        file: f.rel.clone(),
        author: f.author.clone(),
        device: f.device.clone(),
        seq: f.seq,
        operations: operations as u32,
    }
}

fn record(
    tx: &rusqlite::Transaction<'_>,
    f: &Found,
    hash: &str,
    status: &str,
    reason: Option<&String>,
    scope: Option<&Scope>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO bundles (path, author, device, seq, hash, status, reason, size, mtime_ns, scope)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (path) DO UPDATE SET hash = excluded.hash, status = excluded.status, reason = excluded.reason,
           size = excluded.size, mtime_ns = excluded.mtime_ns, scope = excluded.scope",
    )?
    .execute(params![
        f.rel,
        f.author,
        f.device,
        f.seq as i64,
        hash,
        status,
        reason,
        f.size,
        f.mtime_ns,
        scope.map(Scope::as_str)
    ])?;
    Ok(())
}

/// What checking one bundle file found.
enum Verdict {
    /// Opened and checked: its payload and operation ids.
    Opened(BundlePayload, Vec<OpId>),
    /// Encrypted to others only: a scope this member's role does not read.
    Sealed,
    /// Refused, with the reason.
    Refused(String),
}

/// Who may read and write each scope, over every version of the governance chain: a
/// bundle written before its author learnt of a roster or rules change is still
/// accepted, so the check asks whether the author, and each recipient, had access
/// under some version. Members proposed for the roster count with the role proposed:
/// the bundle that approves a member is already encrypted to them by its author.
struct Access {
    /// Scope → the members who read it under some version (or would, once added).
    readers: BTreeMap<Scope, BTreeSet<Fingerprint>>,
    /// Key id of every key of every certificate ever on the roster or proposed for
    /// it → its member.
    keys: Vec<(KeyHandle, Fingerprint)>,
}

impl Access {
    fn of(gov: &Governance, known: &BTreeMap<Fingerprint, Cert>, proposed: &[RosterMember]) -> Access {
        let mut readers: BTreeMap<Scope, BTreeSet<Fingerprint>> = BTreeMap::new();
        for version in &gov.versions {
            for scope in version.rules.scopes() {
                let entry = readers.entry(scope.clone()).or_default();
                entry.extend(version.readers(&scope));
                entry.extend(
                    proposed.iter().filter(|m| version.rules.reads(m.role, &scope)).map(|m| m.fingerprint.clone()),
                );
            }
        }
        let mut keys: Vec<(KeyHandle, Fingerprint)> = known
            .iter()
            .flat_map(|(fpr, cert)| cert.keys().map(move |k| (KeyHandle::from(k.key().keyid()), fpr.clone())))
            .collect();
        for member in proposed {
            if let Ok(cert) = member.parse_cert() {
                keys.extend(cert.keys().map(|k| (KeyHandle::from(k.key().keyid()), member.fingerprint.clone())));
            }
        }
        Access { readers, keys }
    }

    /// Why a bundle of `scope` by `author`, encrypted to `recipients`, is refused.
    fn refuses(&self, scope: &Scope, author: &Fingerprint, recipients: &[Option<KeyHandle>]) -> Option<String> {
        let Some(readers) = self.readers.get(scope) else {
            return Some(format!("it declares the scope `{scope}`, which the rules do not know"));
        };
        if !readers.contains(author) {
            return Some(format!("it is written into the scope `{scope}`, which its author's role may not read"));
        }
        for recipient in recipients {
            let Some(handle) = recipient else {
                return Some("it is encrypted to a hidden recipient; bundles name every recipient".into());
            };
            match self.keys.iter().find(|(key, _)| key.aliases(handle)) {
                Some((_, member)) if readers.contains(member) => {}
                Some((_, member)) => {
                    return Some(format!(
                        "its scope is `{scope}` but it is encrypted to {member}, whose role may not read it"
                    ))
                }
                // A key no roster version or proposal names cannot be told apart from
                // a member added in a version this reader has not reached: allowed.
                None => {}
            }
        }
        None
    }
}

/// What a bundle is checked against: the workspace, every key ever on the roster,
/// the roster version in force, and who may read each scope.
struct Signers<'a> {
    workspace: &'a str,
    certs: &'a [Cert],
    known: &'a BTreeMap<Fingerprint, Cert>,
    head: &'a GovVersion,
    /// Session keys shared with this member (added later) for earlier bundles.
    shares: &'a BTreeMap<String, envelope::SharedKey>,
    access: &'a Access,
    /// Whether this member's role reads every scope: then a bundle not encrypted to
    /// them is an error, not a bundle of a scope they do not read.
    reads_everything: bool,
}

/// Opens and checks one bundle file.
fn check(f: &Found, bytes: &[u8], signers: &Signers<'_>, key: &UnlockedKey, now: DateTime<Utc>) -> Verdict {
    match open_and_check(f, bytes, signers, key, now) {
        Ok(checked) => Verdict::Opened(checked.0, checked.1),
        Err(None) => Verdict::Sealed,
        Err(Some(reason)) => Verdict::Refused(reason),
    }
}

/// The payload and operation ids of a bundle that passes every check; `Err(None)` for
/// one sealed to others, `Err(Some(reason))` for one refused.
fn open_and_check(
    f: &Found,
    bytes: &[u8],
    signers: &Signers<'_>,
    key: &UnlockedKey,
    now: DateTime<Utc>,
) -> std::result::Result<(BundlePayload, Vec<OpId>), Option<String>> {
    let opened = match envelope::open(bytes, key, signers.certs, now) {
        Err(EnvelopeError::NotForMe) if signers.shares.contains_key(&f.rel) => {
            envelope::open_shared(bytes, &signers.shares[&f.rel], signers.certs, now)
        }
        other => other,
    };
    let opened = match opened {
        Ok(opened) => opened,
        Err(EnvelopeError::NotForMe) if !signers.reads_everything => return Err(None),
        Err(EnvelopeError::NotForMe) => {
            return Err(Some(
                "it is not encrypted to you (another workspace's bundle, or its author left you out)".into(),
            ))
        }
        Err(EnvelopeError::UnknownSigner(issuer)) => {
            return Err(Some(format!("it is signed by a key not on the roster ({issuer})")))
        }
        Err(other) => return Err(Some(other.to_string())),
    };
    checked_payload(f, &opened, signers, now).map_err(Some)
}

/// The checks of docs/bundle-format.md 2.5 after the envelope is open.
fn checked_payload(
    f: &Found,
    opened: &envelope::Opened,
    signers: &Signers<'_>,
    now: DateTime<Utc>,
) -> std::result::Result<(BundlePayload, Vec<OpId>), String> {
    let workspace = signers.workspace;
    let invalid = |e: canonical::CanonicalError| format!("its content is not a valid bundle ({e})");
    let value = canonical::value_from_bytes(&opened.payload).map_err(invalid)?;
    // Operation ids from the parsed values: the canonical bytes of an operation are
    // those of its value, so there is no need to re-serialise the typed operation.
    let ids = match value.get("ops").and_then(|ops| ops.as_array()) {
        Some(ops) => ops.iter().map(|op| canonical::value_to_bytes(op).map(|b| OpId::of_canonical(&b))).collect(),
        None => Ok(Vec::new()),
    }
    .map_err(invalid)?;
    let payload: BundlePayload = serde_json::from_value(value).map_err(|e| invalid(e.into()))?;
    if payload.format > BUNDLE_FORMAT {
        return Err(format!(
            "it was written by a newer version of Countersign (format {}); update to read it",
            payload.format
        ));
    }
    if payload.workspace != workspace {
        return Err(format!(
            "it belongs to another workspace ({})",
            &payload.workspace[..payload.workspace.len().min(16)]
        ));
    }
    if opened.signer != payload.author {
        return Err(format!("it is signed by {} but claims to be from {}", opened.signer, payload.author));
    }
    if payload.envelope.as_ref().is_some_and(|sealed| opened.envelope.as_ref() != Some(sealed)) {
        return Err("its recipient packets were changed after its author sealed it".into());
    }
    if payload.author.as_str() != f.author || payload.device != f.device || payload.seq != f.seq {
        return Err(format!(
            "its place in the folder does not match its content (it says {}/{}/{})",
            payload.author,
            payload.device,
            bundle::file_name(payload.seq)
        ));
    }
    if payload.ops.is_empty() {
        return Err("it holds no operations".into());
    }
    if let Some(op) = payload.ops.iter().find(|op| op.author != payload.author) {
        return Err(format!("it holds an operation by another member ({})", op.author));
    }
    signers.head.accepts(&payload.author, &payload.device, payload.seq)?;
    if let Some(op) = payload.ops.iter().find(|op| op.scope != payload.scope) {
        return Err(format!(
            "it is a bundle of scope `{}` holding an operation of scope `{}`",
            payload.scope, op.scope
        ));
    }
    if let Some(reason) = signers.access.refuses(&payload.scope, &payload.author, &opened.recipients) {
        return Err(reason);
    }
    for op in &payload.ops {
        if let OpBody::DecisionPropose { document } = &op.body {
            if document.kind.is_governance() && !op.scope.is_all() {
                return Err(
                    "it holds a roster or rules decision outside the scope `all`, where every member reads the roster"
                        .into(),
                );
            }
        }
        decision::check_vote(workspace, op, signers.known, now)?;
        crate::finance::check(op)?;
    }
    Ok((payload, ids))
}

/// The members proposed for the roster by any roster decision (added, or a key
/// replaced), with the role proposed.
fn proposed_members(db: &rusqlite::Connection) -> Result<Vec<RosterMember>> {
    let mut stmt = db.prepare_cached("SELECT doc FROM decision_versions WHERE kind = 'roster'")?;
    let docs = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    let mut members = Vec::new();
    for doc in docs {
        let doc: decision::DecisionDoc = canonical::from_bytes(doc.as_bytes())?;
        if let Some(decision::Change::MemberAdd { member } | decision::Change::MemberReplace { member, .. }) =
            doc.change
        {
            members.push(member);
        }
    }
    Ok(members)
}

/// A conflict copy (its path inside the folder, its full path) and the bundle it copies.
type Conflict = ((String, PathBuf), Found);

/// Lists the bundle files of a workspace folder, and the conflict copies sync tools
/// made of them. Anything else (temporary files, stray names) is ignored.
fn scan(ws_dir: &Path, id: &str) -> Result<(Vec<Found>, Vec<Conflict>)> {
    let mut found = Vec::new();
    let mut conflicts = Vec::new();
    let read = |dir: &Path| -> Result<Vec<(String, PathBuf)>> {
        let entries = fs::read_dir(dir).map_err(|e| Error::io("read the folder", dir, e))?;
        let mut names: Vec<(String, PathBuf)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok().map(|n| (n, e.path())))
            .collect();
        names.sort();
        Ok(names)
    };
    for (author, author_dir) in read(ws_dir)? {
        if !bundle::is_fingerprint(&author) || !author_dir.is_dir() {
            continue;
        }
        for (device, device_dir) in read(&author_dir)? {
            if !bundle::is_device_id(&device) || !device_dir.is_dir() {
                continue;
            }
            for (name, path) in read(&device_dir)? {
                if let Some(seq) = bundle::parse_file_name(&name) {
                    found.push(found_at(id, &path, &author, &device, seq)?);
                } else if name.contains("sync-conflict") || name.contains("conflicted copy") {
                    let digits: String = name.chars().take_while(|c| c.is_ascii_digit()).collect();
                    if let Some(seq) = bundle::parse_file_name(&format!("{digits}.pgp")) {
                        let base = device_dir.join(bundle::file_name(seq));
                        if base.is_file() {
                            let rel = format!("{id}/{author}/{device}/{name}");
                            conflicts.push(((rel, path.clone()), found_at(id, &base, &author, &device, seq)?));
                        }
                    }
                }
            }
        }
    }
    Ok((found, conflicts))
}

fn found_at(id: &str, path: &Path, author: &str, device: &str, seq: u64) -> Result<Found> {
    let meta = fs::metadata(path).map_err(|e| Error::io("read", path, e))?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(Found {
        rel: format!("{id}/{author}/{device}/{name}"),
        path: path.to_owned(),
        author: author.to_string(),
        device: device.to_string(),
        seq,
        size: meta.len() as i64,
        mtime_ns,
    })
}
