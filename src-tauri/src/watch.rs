//! Sync when the shared folder changes while the app is open: another member's
//! bundles arrive (Syncthing, Nextcloud, a USB stick copied in) and are read without
//! anyone pressing "Sync now".
//!
//! Changes are debounced (a sync tool writes a file in several steps), then the app
//! syncs with the key unlocked this run or the passphrase the OS keyring holds. It
//! never asks: without either, the window is told the key is locked.

use crate::commands::App;
use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{new_debouncer, DebounceEventResult, Debouncer};
use std::path::Path;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager};

/// How long the folder must be quiet before a sync starts.
const QUIET: Duration = Duration::from_millis(700);

/// The event the window listens to (`onSync` in backend.ts).
pub const SYNC_EVENT: &str = "sync";

/// Watches one folder until dropped.
pub struct FolderWatch {
    _debouncer: Debouncer<RecommendedWatcher>,
}

impl FolderWatch {
    pub fn start(folder: &Path, app: AppHandle) -> Result<FolderWatch, String> {
        let mut debouncer = new_debouncer(QUIET, move |events: DebounceEventResult| {
            // Temporary files of an atomic write are not bundles: only names that
            // stay matter, and the sync itself reads only bundle-shaped names.
            let relevant = match events {
                Ok(events) => events.iter().any(|e| !is_temporary(&e.path)),
                Err(_) => true,
            };
            if !relevant {
                return;
            }
            // Our own sync's writes and reads come back here too: they leave nothing
            // unread, so they end in `None` without touching the window.
            let Some(event) = app.state::<App>().sync_unattended() else {
                return;
            };
            if let Err(e) = app.emit(SYNC_EVENT, event) {
                eprintln!("countersign-desktop: could not tell the window about a sync: {e}");
            }
        })
        .map_err(|e| e.to_string())?;
        debouncer.watcher().watch(folder, RecursiveMode::Recursive).map_err(|e| e.to_string())?;
        Ok(FolderWatch { _debouncer: debouncer })
    }
}

fn is_temporary(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.') || n.ends_with(".tmp"))
}
