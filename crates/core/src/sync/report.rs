//! What sync tells a member: the bundles written and applied, the files set aside with
//! the reason, the forks found, and where sync stands.

use crate::base::error::Result;
use crate::members::roster::MemberRef;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
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
    /// Devices whose own clocks stamped the operations read for the first time more
    /// than a day ahead of this computer's: their edits win every tie until the clocks
    /// agree. (A clock that only follows another's stamps is not counted.)
    #[serde(default)]
    pub ahead: Vec<ClockAhead>,
}

/// A device whose clock runs ahead of this computer's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ClockAhead {
    pub member: MemberRef,
    pub device: String,
    /// How far ahead its own clock stamped its newest operation, in whole hours.
    pub hours: u32,
    /// What it means, in one sentence a member understands, with what to do.
    pub message: String,
}

impl ClockAhead {
    pub(crate) fn new(member: MemberRef, device: String, hours: u32) -> ClockAhead {
        let days = hours / 24;
        let by = if days >= 2 { format!("{days} days") } else { format!("{hours} hours") };
        let message = format!(
            "{member}'s laptop (device {}) stamps its changes {by} ahead of this computer's clock, so their edits win every tie until the clocks agree; ask them to check the date and time",
            &device[..device.len().min(8)]
        );
        ClockAhead { member, device, hours, message }
    }
}

/// Operations stamped more than this far ahead of the reader's clock are reported.
pub(crate) const AHEAD_NOTICE_MS: i64 = 24 * 3600 * 1000;

/// What the desktop app reports after a sync it ran by itself, because the shared
/// folder changed while it was open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SyncEvent {
    Synced {
        report: SyncReport,
    },
    Failed {
        error: crate::base::error::ErrorReport,
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

/// The files sync set aside with `status` (`waiting`, `rejected`), with the reason.
pub(crate) fn file_issues(db: &rusqlite::Connection, status: &str) -> Result<Vec<FileIssue>> {
    let mut stmt = db.prepare_cached("SELECT path, reason FROM bundles WHERE status = ?1 ORDER BY path")?;
    let rows = stmt.query_map([status], |r| {
        Ok(FileIssue { file: r.get(0)?, reason: r.get::<_, Option<String>>(1)?.unwrap_or_default() })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
