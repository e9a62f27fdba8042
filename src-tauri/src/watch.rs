//! Sync when the shared folder changes while the app is open: another member's
//! bundles arrive (Syncthing, Nextcloud, a USB stick copied in) and are read without
//! anyone pressing "Sync now".
//!
//! Changes are debounced (a sync tool writes a file in several steps); then, if the
//! folder holds bundles not read yet, the app syncs with the key unlocked this run or
//! the passphrase the OS keyring holds. It never asks: without either, the window is
//! told the key is locked. Only creations, writes, renames and removals count: reading
//! the folder (as sync itself does) must not wake the watch again.

use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// How long the folder must be quiet before a sync starts.
const QUIET: Duration = Duration::from_millis(700);

/// The event the window listens to (`onSync` in backend.ts).
pub const SYNC_EVENT: &str = "sync";

/// Watches one folder until dropped (the sync thread ends with it).
pub struct FolderWatch {
    _watcher: RecommendedWatcher,
}

impl FolderWatch {
    /// Watches `folder`, calling `on_change` once it is quiet after a change (on a
    /// thread of its own, which the app's sync runs on).
    pub fn start(folder: &Path, on_change: impl Fn() + Send + 'static) -> Result<FolderWatch, String> {
        let (changed, changes) = mpsc::channel::<()>();
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
            if event.as_ref().map_or(true, matters) {
                let _ = changed.send(());
            }
        })
        .map_err(|e| e.to_string())?;
        watcher.watch(folder, RecursiveMode::Recursive).map_err(|e| e.to_string())?;
        std::thread::spawn(move || {
            while changes.recv().is_ok() {
                // Wait for the folder to be quiet.
                while changes.recv_timeout(QUIET).is_ok() {}
                on_change();
            }
        });
        Ok(FolderWatch { _watcher: watcher })
    }
}

/// A change that may bring a bundle: not an access, not a temporary file of an
/// atomic write (the rename that follows is what counts).
fn matters(event: &Event) -> bool {
    let kind =
        matches!(event.kind, EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any);
    let metadata_only = matches!(event.kind, EventKind::Modify(notify::event::ModifyKind::Metadata(_)));
    kind && !metadata_only && event.paths.iter().any(|p| !is_temporary(p))
}

fn is_temporary(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.') || n.ends_with(".tmp"))
}
