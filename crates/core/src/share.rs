//! Key shares: how a member added to the roster later reads what was written before.
//!
//! Bundles are encrypted to the roster of the day, so a new member cannot open the
//! genesis or earlier bundles. After the roster change that adds them, every member's
//! device writes one key share for them: a small message, signed by the sharer and
//! encrypted to the new member only, listing the session keys of the genesis and of
//! that device's own bundles. The new member opens the very same files with those keys
//! and verifies each author's signature as usual; nothing is re-signed or copied.
//!
//! Layout: `<folder>/<workspace>/<SHARER>/<DEVICE>/keys/<RECIPIENT>.pgp`.

use crate::bundle::GENESIS_FILE;
use crate::canonical;
use crate::envelope::{self, SharedKey};
use crate::error::{Error, Result};
use crate::governance::Governance;
use crate::home::Home;
use crate::key::UnlockedKey;
use crate::operation::Fingerprint;
use crate::workspace::write_atomically;
use chrono::{DateTime, Utc};
use sequoia_openpgp::Cert;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// The folder of a device's key shares.
pub const SHARE_DIR: &str = "keys";

/// The payload of a key share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharePayload {
    /// Always `countersign.keys`.
    #[serde(rename = "type")]
    pub kind: String,
    pub workspace: String,
    pub recipient: Fingerprint,
    /// Path inside the shared folder (as `sync` names files) → `ALGO:HEX` session key.
    pub keys: BTreeMap<String, String>,
}

impl Home {
    /// Writes a key share for every member added since the genesis who has none
    /// from this device yet. Returns how many were written.
    pub(crate) fn write_shares(&mut self, key: &UnlockedKey) -> Result<u32> {
        let (id, ws_dir) = self.workspace_dir()?;
        let gov = Governance::load(self.db())?;
        let me = self.fingerprint().clone();
        let dir = ws_dir.join(me.as_str()).join(self.device()).join(SHARE_DIR);
        let certs = crate::governance::certificates(self.db())?;
        let now = self.clock().now();
        let mut written = 0;
        for version in &gov.versions {
            let Some(member) = &version.added else { continue };
            let path = dir.join(format!("{}.pgp", member.fingerprint));
            if member.fingerprint == me || !gov.head().roster.contains_key(&member.fingerprint) || path.exists() {
                continue;
            }
            let Some(cert) = certs.get(&member.fingerprint) else { continue };
            let mut keys = BTreeMap::new();
            let genesis = ws_dir.join(GENESIS_FILE);
            let bytes = fs::read(&genesis).map_err(|e| Error::io("read", &genesis, e))?;
            if let Ok(shared) = envelope::session_key(&bytes, key, now) {
                keys.insert(format!("{id}/{GENESIS_FILE}"), shared.to_text());
            }
            let own: Vec<String> = self
                .db()
                .prepare(
                    "SELECT path FROM bundles WHERE author = ?1 AND device = ?2 AND status = 'applied' ORDER BY seq",
                )?
                .query_map([me.as_str(), self.device()], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for rel in own {
                let Some(file) = rel.strip_prefix(&format!("{id}/")) else { continue };
                let Ok(bytes) = fs::read(ws_dir.join(file)) else { continue };
                if let Ok(shared) = envelope::session_key(&bytes, key, now) {
                    keys.insert(rel, shared.to_text());
                }
            }
            let payload = SharePayload {
                kind: "countersign.keys".into(),
                workspace: id.clone(),
                recipient: member.fingerprint.clone(),
                keys,
            };
            let sealed = envelope::seal(&canonical::to_bytes(&payload)?, key, std::slice::from_ref(cert), now)?;
            fs::create_dir_all(&dir).map_err(|e| Error::io("create the folder", &dir, e))?;
            write_atomically(&path, &sealed)?;
            written += 1;
        }
        Ok(written)
    }
}

/// The session keys shared with `me` in workspace `id`: path → key. With `certs`, only
/// shares signed by one of them count; without (when joining, before the roster is
/// known) every share is read and what it unlocks is verified on its own (the genesis
/// by the workspace id, bundles by their authors' signatures).
pub(crate) fn read_shares(
    ws_dir: &Path,
    id: &str,
    me: &Fingerprint,
    key: &UnlockedKey,
    certs: Option<&[Cert]>,
    now: DateTime<Utc>,
) -> BTreeMap<String, SharedKey> {
    let mut out = BTreeMap::new();
    let Ok(authors) = fs::read_dir(ws_dir) else { return out };
    for author in authors.flatten() {
        let Ok(devices) = fs::read_dir(author.path()) else { continue };
        for device in devices.flatten() {
            let path = device.path().join(SHARE_DIR).join(format!("{me}.pgp"));
            let Ok(bytes) = fs::read(&path) else { continue };
            let payload = match certs {
                Some(certs) => envelope::open(&bytes, key, certs, now).map(|o| o.payload),
                None => envelope::decrypt_unverified(&bytes, key, now),
            };
            let Ok(payload) = payload else { continue };
            let Ok(share) = canonical::from_bytes::<SharePayload>(&payload) else { continue };
            if share.workspace != id || &share.recipient != me {
                continue;
            }
            for (file, text) in share.keys {
                if let Some(shared) = SharedKey::parse(&text) {
                    out.entry(file).or_insert(shared);
                }
            }
        }
    }
    out
}
