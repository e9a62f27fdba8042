//! The decisions' tables: applying their operations (every table is append-only, keyed
//! by content hash or operation id) and loading a decision's record.

use crate::base::canonical;
use crate::base::clock::Hlc;
use crate::base::error::Result;
use crate::crypto::envelope;
use crate::crypto::identity::Fingerprint;
use crate::decisions::model::{DecisionDoc, Record, Vote, VoteDoc};
use crate::engine::operation::{OpBody, OpId, Operation};
use crate::members::scope::Scope;
use rusqlite::{params, Connection, Transaction};
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------
// Applying operations: every table is append-only, keyed by content hash or op id.

pub(crate) fn apply(tx: &Transaction<'_>, op: &Operation, id: &OpId) -> Result<()> {
    match &op.body {
        OpBody::DecisionPropose { document } => {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO decision_versions (hash, decision, version, kind, author, doc, hlc_ms, hlc_n, scope)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                document.content_hash(),
                document.id(),
                document.version,
                document.kind.as_str(),
                op.author.as_str(),
                String::from_utf8_lossy(&document.to_bytes()),
                op.hlc.ms,
                op.hlc.n,
                op.scope.as_str()
            ])?;
        }
        OpBody::DecisionVote { decision, version, choice, reason, signature, seen } => {
            let seen = seen
                .as_ref()
                .map(|s| String::from_utf8_lossy(&canonical::to_bytes(s).unwrap_or_default()).into_owned());
            tx.prepare_cached(
                "INSERT OR IGNORE INTO votes (id, decision, version, voter, choice, reason, signature, seen, hlc_ms, hlc_n)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                id.0,
                decision,
                version,
                op.author.as_str(),
                choice.as_str(),
                reason,
                signature,
                seen,
                op.hlc.ms,
                op.hlc.n
            ])?;
        }
        OpBody::DecisionWithdraw { decision } => {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO withdrawals (id, decision, member, hlc_ms, hlc_n) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![id.0, decision, op.author.as_str(), op.hlc.ms, op.hlc.n])?;
        }
        _ => {}
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Loading and evaluating.

/// Loads decision `id` (full id), if recorded.
pub fn load(conn: &Connection, id: &str) -> Result<Option<Record>> {
    let mut versions = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT hash, doc, hlc_ms, hlc_n, scope FROM decision_versions WHERE decision = ?1 ORDER BY hlc_ms, hlc_n, hash",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            Hlc { ms: r.get(2)?, n: r.get(3)? },
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut scope = None;
    for row in rows {
        let (hash, doc, hlc, doc_scope) = row?;
        let doc: DecisionDoc = canonical::from_bytes(doc.as_bytes())?;
        if doc.decision.is_none() || scope.is_none() {
            scope = Some(Scope::parse(&doc_scope)?);
        }
        versions.push((hlc, hash, doc));
    }
    if versions.is_empty() {
        return Ok(None);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT id, version, voter, choice, reason, signature, seen, hlc_ms, hlc_n FROM votes
         WHERE decision = ?1 ORDER BY hlc_ms, hlc_n, voter, id",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
            Hlc { ms: r.get(7)?, n: r.get(8)? },
        ))
    })?;
    let mut votes = Vec::new();
    for row in rows {
        let (op, version, voter, choice, reason, signature, seen, hlc) = row?;
        votes.push(Vote {
            op,
            version,
            voter: Fingerprint::parse(&voter)?,
            choice: choice.parse()?,
            reason,
            signature,
            seen: seen.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
            hlc,
        });
    }
    let mut stmt = conn
        .prepare_cached("SELECT member, hlc_ms, hlc_n FROM withdrawals WHERE decision = ?1 ORDER BY hlc_ms, hlc_n")?;
    let rows = stmt.query_map([id], |r| Ok((r.get::<_, String>(0)?, Hlc { ms: r.get(1)?, n: r.get(2)? })))?;
    let mut withdrawn_by = Vec::new();
    for row in rows {
        withdrawn_by.push(row?);
    }
    let scope = scope.unwrap_or_default();
    let mut record = Record { id: id.to_string(), versions, votes, withdrawals: Vec::new(), scope };
    let proposer = record.first().map(|d| d.proposer.to_string());
    record.withdrawals =
        withdrawn_by.into_iter().filter(|(m, _)| Some(m) == proposer.as_ref()).map(|(_, hlc)| hlc).collect();
    Ok(Some(record))
}

/// The ids of every decision, newest first.
pub fn all_ids(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT decision, min(hlc_ms) AS first FROM decision_versions GROUP BY decision ORDER BY first DESC, decision",
    )?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Checks the signature of a `decision.vote` operation against the voter's
/// certificate; the reason it is refused otherwise. Run on every bundle before it is
/// applied, so only verified votes are ever stored.
pub fn check_vote(
    workspace: &str,
    op: &Operation,
    certs: &BTreeMap<Fingerprint, sequoia_openpgp::Cert>,
) -> std::result::Result<(), String> {
    let OpBody::DecisionVote { version, choice, reason, signature, .. } = &op.body else {
        return Ok(());
    };
    let Some(cert) = certs.get(&op.author) else {
        return Err(format!("it holds a vote by {}, who is not on the roster", op.author));
    };
    let doc = VoteDoc::of(workspace, &op.author, version, *choice, reason.as_ref());
    envelope::verify_detached(&doc.to_bytes(), signature, cert)
        .map_err(|e| format!("it holds a vote whose signature does not match its vote document ({e})"))
}
