//! The governance chain: who is on the roster and which rules are in force, version
//! by version. Version 0 is the genesis; each later version is one approved roster or
//! rules decision, decided under the version right before it (like TUF's root
//! rotation), so the rule set only changes by a decision the rules before it allow.
//!
//! The chain is a function of the decisions and votes applied: [`Governance::compute`]
//! walks it from the genesis. When two changes proposed under the same version are
//! both approved, the one approved first in the merge order (the clock reading of its
//! deciding vote, then the voter, then the decision id) becomes the next version; the
//! other is superseded and must be proposed again.
//!
//! A removal (or key replacement) takes effect at a precise point in the removed
//! member's device chains: the bundles the deciding voter had applied when voting
//! (`seen` in the vote). Later bundles signed by that key are refused
//! ([`Governance::accepts`]).

use crate::base::canonical;
use crate::base::error::Result;
use crate::crypto::identity::Fingerprint;
use crate::decisions::model::{Record, Status};
use crate::decisions::{evaluate, records};
use crate::members::governance::GovVersion;
use crate::members::roster::RosterMember;
use crate::members::rules::DecisionKind;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, Connection, Transaction};
use sequoia_openpgp::Cert;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The chain of versions, genesis first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Governance {
    pub versions: Vec<GovVersion>,
}

impl Governance {
    /// The stored chain (what bundles were accepted under).
    pub fn load(conn: &Connection) -> Result<Governance> {
        let mut stmt = conn.prepare_cached("SELECT state FROM governance ORDER BY version")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut versions = Vec::new();
        for row in rows {
            versions.push(canonical::from_bytes(row?.as_bytes())?);
        }
        if versions.is_empty() {
            return Err(crate::Error::NoWorkspace);
        }
        Ok(Governance { versions })
    }

    /// The version in force.
    pub fn head(&self) -> &GovVersion {
        self.versions.last().expect("the chain starts with the genesis")
    }

    /// The version with this hash.
    pub fn by_hash(&self, hash: &str) -> Option<&GovVersion> {
        self.versions.iter().find(|v| v.hash == hash)
    }

    /// A decision's status under the version it was proposed under. A roster or
    /// rules decision whose base is no longer the head (and which did not make the
    /// next version) is superseded.
    pub fn evaluate(&self, record: &Record, now: DateTime<Utc>) -> evaluate::Evaluation {
        let Some((_, doc)) = record.current() else {
            return evaluate::evaluate(record, None, now);
        };
        let mut eval = evaluate::evaluate(record, self.by_hash(&doc.base), now);
        if doc.kind.is_governance() {
            let made = self.versions.iter().any(|v| v.decision.as_deref() == Some(record.id.as_str()));
            if !made && doc.base != self.head().hash && matches!(eval.status, Status::Open | Status::Approved) {
                eval.status = Status::Rejected;
                eval.reason = "superseded: another roster or rules change took effect first; propose it again".into();
            } else if !made && eval.status == Status::Approved {
                // Approved, but the change cannot apply (e.g. the member is already on the roster).
                eval.status = Status::Rejected;
                eval.reason = "approved, but the change no longer applies to the roster in force".into();
            }
        }
        eval
    }

    /// Walks the chain from the genesis over the roster and rules decisions applied.
    pub fn compute(conn: &Connection) -> Result<Governance> {
        let genesis = Governance::load(conn)?.versions.swap_remove(0);
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT decision FROM decision_versions WHERE kind IN (?1, ?2) ORDER BY decision",
        )?;
        let ids: Vec<String> = stmt
            .query_map([DecisionKind::Roster.as_str(), DecisionKind::Rules.as_str()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut records = Vec::new();
        for id in ids {
            records.extend(records::load(conn, &id)?);
        }
        // The status of a governance decision never depends on the date: only votes
        // before its closing day count, whatever today is.
        let epoch = Utc.timestamp_millis_opt(0).single().unwrap_or_default();
        let mut chain = vec![genesis];
        loop {
            let head = chain.last().expect("non-empty");
            let mut best: Option<((crate::base::clock::Hlc, Fingerprint, String), GovVersion)> = None;
            for record in &records {
                let Some((hash, doc)) = record.current() else { continue };
                if doc.base != head.hash
                    || !doc.kind.is_governance()
                    || chain.iter().any(|v| v.decision.as_ref() == Some(&record.id))
                {
                    continue;
                }
                let eval = evaluate::evaluate(record, Some(head), epoch);
                let (Status::Approved, Some(by), Some(change)) = (eval.status, &eval.decided_by, &doc.change) else {
                    continue;
                };
                let Ok(mut next) = head.apply_change(change, &by.seen) else { continue };
                next.version = head.version + 1;
                next.decision = Some(record.id.clone());
                next.hash = hex::encode(Sha256::digest(format!("countersign.governance\0{}\0{hash}", head.hash)));
                let order = (by.hlc, by.voter.clone(), record.id.clone());
                if best.as_ref().is_none_or(|(o, _)| order < *o) {
                    best = Some((order, next));
                }
            }
            match best {
                Some((_, next)) => chain.push(next),
                None => break,
            }
        }
        Ok(Governance { versions: chain })
    }

    /// Whether an applied bundle is signed by a removed key beyond its cut: the
    /// database then holds operations it must not, and is rebuilt.
    pub fn violated_by_applied(&self, conn: &Connection) -> Result<bool> {
        let head = self.head();
        let mut stmt = conn.prepare_cached(
            "SELECT device, max(seq) FROM bundles WHERE author = ?1 AND status = 'applied' GROUP BY device",
        )?;
        for fpr in head.cuts.keys() {
            let rows = stmt.query_map([fpr.as_str()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?;
            for row in rows {
                let (device, seq) = row?;
                if head.accepts(fpr, &device, seq).is_err() {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Stores the chain, the serving roster and every member's certificate.
    pub(crate) fn store(&self, tx: &Transaction<'_>) -> Result<()> {
        tx.execute("DELETE FROM governance", [])?;
        for v in &self.versions {
            tx.prepare_cached("INSERT INTO governance (version, hash, decision, state) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![v.version, v.hash, v.decision, String::from_utf8_lossy(&canonical::to_bytes(v)?)])?;
            if let Some(m) = &v.added {
                store_certificate(tx, m)?;
            }
        }
        tx.execute("DELETE FROM roster", [])?;
        for (fpr, role) in &self.head().roster {
            tx.prepare_cached(
                "INSERT INTO roster (fingerprint, name, email, role, cert)
                 SELECT fingerprint, name, email, ?2, cert FROM certificates WHERE fingerprint = ?1",
            )?
            .execute(params![fpr.as_str(), role.as_str()])?;
        }
        Ok(())
    }
}

/// Records a member's certificate (every key ever on the roster stays known, so
/// their earlier bundles and votes can still be verified).
pub(crate) fn store_certificate(tx: &Transaction<'_>, m: &RosterMember) -> Result<()> {
    tx.prepare_cached("INSERT OR IGNORE INTO certificates (fingerprint, name, email, cert) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![m.fingerprint.as_str(), m.name, m.email, m.cert])?;
    Ok(())
}

/// Every certificate ever on the roster, parsed.
pub fn certificates(conn: &Connection) -> Result<BTreeMap<Fingerprint, Cert>> {
    use sequoia_openpgp::parse::Parse;
    let mut stmt = conn.prepare_cached("SELECT fingerprint, cert FROM certificates ORDER BY fingerprint")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (fpr, cert) = row?;
        let cert = Cert::from_bytes(cert.as_bytes()).map_err(|e| crate::Error::OpenPgp(e.to_string()))?;
        out.insert(Fingerprint::parse(&fpr)?, cert);
    }
    Ok(out)
}

/// What re-computing the chain after applying operations found.
pub(crate) enum Refresh {
    /// Nothing changed.
    Same,
    /// New versions follow the stored ones and no applied bundle is refused by them:
    /// stored; files refused earlier are checked again.
    Extended,
    /// The chain changed under bundles already applied: the records are rebuilt
    /// under this chain.
    Reset(Governance),
}

/// Re-computes the chain in `tx` and stores it when it only grew.
pub(crate) fn refresh(tx: &Transaction<'_>) -> Result<Refresh> {
    let stored = Governance::load(tx)?;
    let computed = Governance::compute(tx)?;
    if stored == computed {
        return Ok(Refresh::Same);
    }
    if computed.versions.starts_with(&stored.versions) && !computed.violated_by_applied(tx)? {
        computed.store(tx)?;
        tx.execute("DELETE FROM bundles WHERE status = 'rejected'", [])?;
        return Ok(Refresh::Extended);
    }
    Ok(Refresh::Reset(computed))
}
