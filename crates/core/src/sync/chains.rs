//! Each device's chain of bundles: where a checked bundle fits (next, waiting for an
//! earlier one, or a fork), what is applied so far, and the bookkeeping of every file read.

use crate::base::error::Result;
use crate::members::scope::Scope;
use crate::sync::report::{BundleRef, Fork};
use crate::sync::scan::Found;
use rusqlite::params;
use std::collections::{BTreeMap, BTreeSet};

/// A chain: (author fingerprint, device id).
pub(crate) type Chain = (String, String);

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

pub(crate) fn dedup_applied(mut applied: Vec<BundleRef>) -> Vec<BundleRef> {
    let mut seen = BTreeSet::new();
    applied.retain(|b| seen.insert(b.file.clone()));
    applied
}

/// The applied (or sealed: in place, unread) bundles of one chain: seq → hash.
pub(crate) fn applied_chain(db: &rusqlite::Connection, chain: &Chain) -> Result<BTreeMap<u64, String>> {
    let mut stmt = db.prepare_cached(
        "SELECT seq, hash FROM bundles WHERE author = ?1 AND device = ?2 AND status IN ('applied', 'sealed')",
    )?;
    let rows = stmt.query_map(params![chain.0, chain.1], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Where a checked bundle stands in its chain.
pub(crate) enum Placement {
    Ready,
    Waiting(String),
    Rejected(String),
    Fork(Fork),
}

/// Places bundle `f` (whose bytes hash to `hash` and whose payload names `prev`) in
/// its chain, given the chain's applied or sealed bundles (seq → hash) and whether the
/// chain has a fork. A sealed bundle opened later (a key share arrived) is in place.
pub(crate) fn place_in_chain(
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

pub(crate) fn bundle_ref(f: &Found, operations: usize) -> BundleRef {
    BundleRef {
        file: f.rel.clone(),
        author: f.author.clone(),
        device: f.device.clone(),
        seq: f.seq,
        operations: operations as u32,
    }
}

pub(crate) fn record(
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
