//! The commands the front end calls (through `ui/src/lib/backend.ts`), and the shape
//! in which core errors cross the IPC boundary.

use crate::startup::{open_home, Locations};
use countersign_core::home::HomeInfo;
use countersign_core::partner::{PartnerFilter, PartnerSummary};
use countersign_core::{Clock, Home};
use std::sync::{Arc, Mutex, PoisonError};
use tauri::State;

/// A core error as the front end receives it: the core's own report shape, a stable
/// machine-readable `code` to decide on and the message to show.
pub type CommandError = countersign_core::error::ErrorReport;

/// The member's home (or the demo), opened at start-up. When it cannot be opened the
/// window still opens and shows why; each later command tries again, so a member who
/// fixes the problem (restores a file, frees the disk) need not restart the app.
pub struct OpenHome {
    at: Locations,
    clock: Arc<dyn Clock>,
    home: Mutex<Option<Home>>,
}

impl OpenHome {
    /// Opens the home that `at` selects, or remembers that it could not.
    pub fn new(at: Locations, clock: Arc<dyn Clock>) -> Self {
        let home = match open_home(&at, clock.clone()) {
            Ok(home) => Some(home),
            Err(e) => {
                eprintln!("countersign-desktop: could not open the home ({}): {}", e.code, e.message);
                None
            }
        };
        OpenHome { at, clock, home: Mutex::new(home) }
    }

    /// Runs `f` on the open home, opening it first if start-up could not.
    fn with<T>(&self, f: impl FnOnce(&mut Home) -> Result<T, CommandError>) -> Result<T, CommandError> {
        // A command that panicked leaves nothing half-done in the home: every write is a
        // log append plus one SQLite transaction. So carry on with the home.
        let mut slot = self.home.lock().unwrap_or_else(PoisonError::into_inner);
        let home = match &mut *slot {
            Some(home) => home,
            empty => empty.insert(open_home(&self.at, self.clock.clone())?),
        };
        f(home)
    }
}

/// Who the open home belongs to, and whether it is the demo.
#[tauri::command]
pub async fn home_info(home: State<'_, OpenHome>) -> Result<HomeInfo, CommandError> {
    home.with(|home| Ok(home.info()))
}

/// The organisations that match `filter`, ordered by name.
#[tauri::command]
pub async fn list_partners(
    home: State<'_, OpenHome>,
    filter: PartnerFilter,
) -> Result<Vec<PartnerSummary>, CommandError> {
    home.with(|home| Ok(home.list_partners(&filter)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn a_home_that_could_not_be_opened_is_tried_again() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let real = tmp.path().join("real");
        std::fs::create_dir_all(&real).expect("folder");
        std::fs::write(real.join("home.json"), b"{ damaged").expect("write");
        let at = Locations { home: Some(real.clone()), demo: Some(tmp.path().join("demo")) };
        let home = OpenHome::new(at, Arc::new(countersign_core::FixedClock::at_date(2026, 3, 1)));

        let err = home.with(|h| Ok(h.info())).expect_err("the damaged home fails");
        assert_eq!(err.code, "home-damaged");

        // The member restores the folder (here: it is emptied, so the demo opens).
        std::fs::remove_file(real.join("home.json")).expect("remove");
        let info = home.with(|h| Ok(h.info())).expect("opened on the next call");
        assert!(info.demo);
    }

    #[test]
    fn a_core_error_keeps_its_code_and_message() {
        let err = countersign_core::Error::NoHome(PathBuf::from("/nowhere"));
        let message = err.to_string();
        let sent = CommandError::from(err);
        assert_eq!(sent.code, "no-home");
        assert_eq!(sent.message, message);
    }
}
