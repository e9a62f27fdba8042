//! Writing this member's pending operations as new bundles of this device: one chain
//! per device, one bundle per scope, each sealed to the scope's readers.

use crate::base::canonical;
use crate::base::error::{Error, Result};
use crate::base::files::{remove_interrupted_writes, write_atomically};
use crate::crypto::envelope;
use crate::crypto::identity::Fingerprint;
use crate::crypto::key::UnlockedKey;
use crate::decisions::governance::Governance;
use crate::engine::bundle::{self, BundlePayload, BUNDLE_FORMAT, MAX_BUNDLE_BYTES, MAX_OPS_PER_BUNDLE};
use crate::engine::operation::Operation;
use crate::home::Home;
use crate::members::scope::Scope;
use crate::sync::chains::{applied_chain, applied_heads, bundle_ref, record};
use crate::sync::report::BundleRef;
use crate::sync::scan::found_at;
use sequoia_openpgp::cert::Cert;
use std::collections::BTreeMap;
use std::fs;

impl Home {
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
        // Only this device writes into its folder, under the home's lock: a temporary
        // file there is what an interrupted write of ours left.
        remove_interrupted_writes(&dir);
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
