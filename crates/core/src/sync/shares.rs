//! Key shares: how a member added to the roster later reads what was written before.
//!
//! Bundles are encrypted to the roster of the day, so a new member cannot open the
//! genesis or earlier bundles. After the roster change that adds them, every member's
//! device writes one key share for them: a small message, signed by the sharer and
//! encrypted to the new member only, listing the session keys of the genesis and of
//! that device's own bundles. The new member opens the very same files with those keys
//! and verifies each author's signature as usual; nothing is re-signed or copied.
//!
//! A member given more scopes later (a role change, or rules that let their role read
//! more) receives the same for the bundles of those scopes only.
//!
//! Layout: `<folder>/<workspace>/<SHARER>/<DEVICE>/keys/<RECIPIENT>.pgp` for a member
//! added, `keys/<RECIPIENT>.<VERSION>.pgp` for scopes gained at a later version.

use crate::base::canonical;
use crate::base::error::{Error, Result};
use crate::base::files::write_atomically;
use crate::crypto::envelope::{self, SharedKey};
use crate::crypto::identity::Fingerprint;
use crate::crypto::key::UnlockedKey;
use crate::decisions::governance::Governance;
use crate::engine::bundle::GENESIS_FILE;
use crate::home::Home;
use crate::members::scope::Scope;
use sequoia_openpgp::Cert;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

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
    /// Writes a key share for every member who gained access since the genesis (added
    /// to the roster, or given a role or rules that read more scopes) and has none from
    /// this device for that change yet. Returns how many were written.
    pub(crate) fn write_shares(&mut self, key: &UnlockedKey) -> Result<u32> {
        let (id, ws_dir) = self.workspace_dir()?;
        let gov = Governance::load(self.db())?;
        let head = gov.head();
        let me = self.fingerprint().clone();
        let dir = ws_dir.join(me.as_str()).join(self.device()).join(SHARE_DIR);
        let certs = crate::decisions::governance::certificates(self.db())?;
        let now = self.clock().now();
        // This device's bundles and their scopes (bundles from before scopes existed
        // were all `all`).
        let own: Vec<(String, Scope)> = self
            .db()
            .prepare(
                "SELECT path, coalesce(scope, 'all') FROM bundles
                 WHERE author = ?1 AND device = ?2 AND status = 'applied' ORDER BY seq",
            )?
            .query_map([me.as_str(), self.device()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .map(|row| {
                let (path, scope) = row?;
                Ok((path, Scope::parse(&scope)?))
            })
            .collect::<Result<_>>()?;
        let mut written = 0;
        for pair in gov.versions.windows(2) {
            let (before, version) = (&pair[0], &pair[1]);
            for member in version.roster.keys() {
                // Scopes the member reads from this version on and did not before.
                let gained: BTreeSet<Scope> = version
                    .rules
                    .scopes()
                    .into_iter()
                    .filter(|scope| version.may_read(member, scope) && !before.may_read(member, scope))
                    .collect();
                if *member == me || gained.is_empty() || !head.roster.contains_key(member) {
                    continue;
                }
                let newcomer = !before.roster.contains_key(member);
                let path = dir.join(share_file(member, (!newcomer).then_some(version.hash.as_str())));
                let Some(cert) = certs.get(member) else { continue };
                if path.exists() {
                    continue;
                }
                let mut keys = BTreeMap::new();
                if newcomer {
                    let genesis = ws_dir.join(GENESIS_FILE);
                    let bytes = fs::read(&genesis).map_err(|e| Error::io("read", &genesis, e))?;
                    if let Ok(shared) = envelope::session_key(&bytes, key) {
                        keys.insert(format!("{id}/{GENESIS_FILE}"), shared.to_text());
                    }
                }
                // Only bundles of scopes the member gained and still reads: a key share
                // never opens a scope to someone whose role does not read it.
                for (rel, _) in own.iter().filter(|(_, scope)| gained.contains(scope) && head.may_read(member, scope)) {
                    let Some(file) = rel.strip_prefix(&format!("{id}/")) else { continue };
                    let Ok(bytes) = fs::read(ws_dir.join(file)) else { continue };
                    if let Ok(shared) = envelope::session_key(&bytes, key) {
                        keys.insert(rel.clone(), shared.to_text());
                    }
                }
                let payload = SharePayload {
                    kind: "countersign.keys".into(),
                    workspace: id.clone(),
                    recipient: member.clone(),
                    keys,
                };
                let sealed = envelope::seal(&canonical::to_bytes(&payload)?, key, std::slice::from_ref(cert), now)?;
                fs::create_dir_all(&dir).map_err(|e| Error::io("create the folder", &dir, e))?;
                write_atomically(&path, &sealed)?;
                written += 1;
            }
        }
        Ok(written)
    }
}

/// The file name of a key share for `recipient`: `<FPR>.pgp` when they were added,
/// `<FPR>.<VERSION>.pgp` (the first 16 digits of the governance version's hash) when a
/// later roster or rules change gave them more scopes.
fn share_file(recipient: &Fingerprint, version: Option<&str>) -> String {
    match version {
        None => format!("{recipient}.pgp"),
        Some(hash) => format!("{recipient}.{}.pgp", &hash[..16.min(hash.len())]),
    }
}

/// Whether `name` is a key share file for `me` (either form of [`share_file`]).
fn is_share_for(name: &str, me: &Fingerprint) -> bool {
    let Some(rest) = name.strip_prefix(me.as_str()).and_then(|r| r.strip_suffix(".pgp")) else {
        return false;
    };
    rest.is_empty()
        || rest
            .strip_prefix('.')
            .is_some_and(|v| v.len() == 16 && v.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
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
) -> BTreeMap<String, SharedKey> {
    let mut out = BTreeMap::new();
    let Ok(authors) = fs::read_dir(ws_dir) else { return out };
    for author in authors.flatten() {
        let Ok(devices) = fs::read_dir(author.path()) else { continue };
        for device in devices.flatten() {
            let Ok(files) = fs::read_dir(device.path().join(SHARE_DIR)) else { continue };
            let mut names: Vec<PathBuf> = files
                .flatten()
                .filter(|f| f.file_name().to_str().is_some_and(|n| is_share_for(n, me)))
                .map(|f| f.path())
                .collect();
            names.sort();
            for path in names {
                let Ok(bytes) = fs::read(&path) else { continue };
                let payload = match certs {
                    Some(certs) => envelope::open(&bytes, key, certs).map(|o| o.payload),
                    None => envelope::decrypt_unverified(&bytes, key),
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
    }
    out
}
