//! Sync through the shared folder: read every new bundle (decrypt, verify against the
//! roster, check workspace, position and chain, apply in one transaction), then write
//! this member's pending operations as new bundles.
//!
//! Architecture invariant: whatever fails is set aside with a reason and never
//! half-applied; the app never deletes or changes a file in the shared folder except
//! by adding its own bundles (and removing the temporary files its own interrupted
//! writes left in its device's folder). Sync state is derived from the folder: a crash at any
//! point is repaired by the next sync, which reads this member's own bundles back.

use crate::base::error::{Error, Result};
use crate::crypto::key::UnlockedKey;
use crate::engine::bundle::MAX_OPS_PER_BUNDLE;
use crate::engine::store::{read_meta, write_meta};
use crate::home::Home;
use crate::sync::report::{file_issues, SyncReport, SyncStatus};
use chrono::{TimeZone, Utc};
use rusqlite::OptionalExtension;

pub(crate) mod chains;
pub(crate) mod check;
pub(crate) mod read;
pub(crate) mod report;
pub(crate) mod scan;
pub(crate) mod shares;
pub(crate) mod verify;
pub(crate) mod workspace;
pub(crate) mod write;

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
            waiting: file_issues(self.db(), "waiting")?,
            rejected: file_issues(self.db(), "rejected")?,
            forks,
        })
    }

    /// Whether the shared folder holds a bundle this home has not read yet (new, or
    /// changed since it was read). Cheap: names and sizes only, nothing is opened. The
    /// desktop app asks this before telling a member with a locked key that files arrived.
    pub fn folder_has_news(&self) -> Result<bool> {
        let (id, ws_dir) = self.workspace_dir()?;
        let (found, _) = scan::scan(&ws_dir, &id)?;
        let mut stmt = self.db().prepare_cached("SELECT size, mtime_ns FROM bundles WHERE path = ?1")?;
        for f in found {
            let known: Option<(i64, i64)> = stmt.query_row([&f.rel], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
            if known != Some((f.size, f.mtime_ns)) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
