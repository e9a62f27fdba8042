//! Bundles: what members exchange through the shared folder. A bundle is a batch of
//! one author's operations from one device, as a canonical payload sealed in an
//! OpenPGP envelope ([`crate::crypto::envelope`]). docs/bundle-format.md, section 2, is the
//! specification; this module is its one implementation.
//!
//! Layout: `<folder>/<workspace-id>/genesis.pgp` and
//! `<folder>/<workspace-id>/<author-fingerprint>/<device-id>/<seq>.pgp`, seq written
//! with at least eight digits. Only names of exactly that shape are ever parsed, so
//! the temporary and conflict files of sync tools are left alone.

use crate::crypto::identity::Fingerprint;
use crate::engine::operation::Operation;
use crate::members::roster::{RosterMember, RuleSet};
use crate::members::scope::Scope;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The payload format this version writes and reads.
pub const BUNDLE_FORMAT: i64 = 1;

/// The file name of the genesis bundle in the workspace folder.
pub const GENESIS_FILE: &str = "genesis.pgp";

/// At most this many operations go into one bundle: large imports become a few
/// bundles, each small enough to seal and open in well under a second.
pub const MAX_OPS_PER_BUNDLE: usize = 20_000;

/// A bundle closes once its operations reach this many bytes (canonical encoding), so
/// a large finance import (a thousand rows per operation) is a few bundles of bounded size.
pub const MAX_BUNDLE_BYTES: usize = 8 << 20;

// A bundle's last operation may take it past MAX_BUNDLE_BYTES: an envelope opens four times that.
const _: () = assert!(crate::crypto::envelope::MAX_PAYLOAD_BYTES == 4 * MAX_BUNDLE_BYTES);

/// The payload of the genesis bundle: the workspace's first roster and rule set. The
/// workspace id is the hash of the genesis bundle's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisPayload {
    pub format: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    /// Creation time, milliseconds since the epoch.
    pub created: i64,
    pub author: Fingerprint,
    pub device: String,
    /// Random bytes (hex), so two workspaces with the same name and roster differ.
    pub nonce: String,
    pub roster: Vec<RosterMember>,
    pub rules: RuleSet,
}

/// The payload of an ordinary bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundlePayload {
    pub format: i64,
    pub workspace: String,
    pub author: Fingerprint,
    pub device: String,
    /// Position in the device's chain, from 1.
    pub seq: u64,
    /// Hash of the device's previous bundle file; absent for seq 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// Causal context: for every chain (`<fingerprint>/<device>`) the author had
    /// applied when writing, the highest seq applied.
    pub heads: BTreeMap<String, u64>,
    /// Who may read it: every operation in it has this scope, and it is encrypted only
    /// to the members whose role reads it.
    pub scope: Scope,
    pub ops: Vec<Operation>,
    /// SHA-256 (hex) of the envelope's recipient packets, so that no byte of the file
    /// outside the signed payload can change unnoticed. Countersign always writes it;
    /// a bundle sealed by another tool (stock gpg) may lack it and is read without
    /// this protection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<String>,
}

/// Lower-case hex SHA-256 of a file's bytes: bundle hashes and workspace ids.
pub fn hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The file name of the bundle at `seq`.
pub fn file_name(seq: u64) -> String {
    format!("{seq:08}.pgp")
}

/// The seq of a bundle file name, if the name has exactly the bundle shape.
pub fn parse_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".pgp")?;
    if digits.len() < 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&seq| seq >= 1)
}

/// Whether a folder name is a device id (32 lower-case hex digits).
pub fn is_device_id(name: &str) -> bool {
    name.len() == 32 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether a folder name is a workspace id (64 lower-case hex digits).
pub fn is_workspace_id(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether a folder name is an author fingerprint (40 upper-case hex digits).
pub fn is_fingerprint(name: &str) -> bool {
    name.len() == 40 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bundle_shaped_names_are_bundles() {
        assert_eq!(parse_file_name("00000001.pgp"), Some(1));
        assert_eq!(parse_file_name("123456789.pgp"), Some(123_456_789));
        for name in [
            "00000000.pgp",
            "1.pgp",
            "00000001.pgp.tmp",
            ".syncthing.00000001.pgp.tmp",
            "~syncthing~00000001.pgp.tmp",
            "00000001.sync-conflict-20261125-101010-ABCDEFG.pgp",
            ".00000001.pgp.part",
            "00000001.PGP",
        ] {
            assert_eq!(parse_file_name(name), None, "{name}");
        }
    }
}
