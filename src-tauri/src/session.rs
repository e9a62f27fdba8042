//! The desktop's session: the open home (or the demo), the key once unlocked this
//! run, the OS keyring when one is reachable, and the watch on the shared folder. The
//! commands (`commands.rs`) reach the home only through [`App::with`].

use crate::startup::{locked, open_home, Locations};
use crate::watch::{FolderWatch, SYNC_EVENT};
use countersign_core::{
    Clock, Error, Fingerprint, Home, KeySource, Passphrase, PassphraseKeyring, PassphraseSources, Session, SyncEvent,
    UnlockedKey,
};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;
use tauri::{AppHandle, Emitter, Manager};

/// A core error as the front end receives it: the core's own report shape, a stable
/// machine-readable `code` to decide on and the message to show.
pub type CommandError = countersign_core::ErrorReport;

pub type Reply<T> = Result<T, CommandError>;

/// The error the views answer by asking for the passphrase and calling again.
pub fn passphrase_needed(what: &str) -> CommandError {
    CommandError {
        code: "passphrase-needed".into(),
        message: format!("{what} needs your key: type its passphrase (or let the OS keyring remember it)"),
    }
}

/// The app's state: the open home (or the demo), the key once unlocked this run, the
/// OS keyring when one is reachable, and the watch on the shared folder.
pub struct App {
    at: Locations,
    clock: Arc<dyn Clock>,
    /// When the app started: `ui_ready` logs how long the first screen took.
    pub started: Instant,
    home: Mutex<Option<Home>>,
    /// Unlocked with the passphrase this run, so sync can run when the folder changes.
    /// Votes never use it: each signature asks for the passphrase (or the keyring).
    key: Mutex<Option<UnlockedKey>>,
    keyring: Option<PassphraseKeyring>,
    watch: Mutex<Option<FolderWatch>>,
}

pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A command that panicked leaves nothing half-done in the home: every write is a
    // log append plus one SQLite transaction. So carry on.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl App {
    /// Opens the home that `at` selects, or remembers that it could not: the window
    /// still opens and shows why, and each later command tries again, so a member who
    /// fixes the problem (restores a file, frees the disk) need not restart the app.
    pub fn new(at: Locations, clock: Arc<dyn Clock>, keyring: Option<PassphraseKeyring>) -> Self {
        let app = App {
            at,
            clock,
            started: Instant::now(),
            home: Mutex::new(None),
            key: Mutex::new(None),
            keyring,
            watch: Mutex::new(None),
        };
        match app.open_unattended() {
            Ok(home) => *lock(&app.home) = Some(home),
            Err(e) if e.code == "home-locked" => {}
            Err(e) => eprintln!("countersign-desktop: could not open the home ({}): {}", e.code, e.message),
        }
        app
    }

    /// Opens the home with the passphrase at hand, never asking. One that does not
    /// open it (the keyring kept it before the member changed it) leaves the home
    /// locked, for the member to type, rather than failing.
    fn open_unattended(&self) -> Reply<Home> {
        open_home(&self.at, self.clock.clone(), &|fpr| self.stored_passphrase(fpr)).map_err(|e| {
            if e.code == "wrong-passphrase" {
                locked()
            } else {
                e
            }
        })
    }

    /// The passphrase that opens the home without asking: the OS keyring's, or
    /// `COUNTERSIGN_PASSPHRASE` (non-interactive runs, as the CLI takes it).
    fn stored_passphrase(&self, fingerprint: &Fingerprint) -> Option<Passphrase> {
        let keyring = || self.keyring.as_ref()?.recall(fingerprint).ok().flatten();
        // The window asks for the passphrase itself, when the home answers locked.
        let found = PassphraseSources::from_env(None).to_unlock(keyring, || Err(Error::NoPassphrase));
        found.ok().map(|(pass, _)| pass)
    }

    /// Runs `f` on the open home, opening it first if start-up could not (a locked
    /// home answers `home-locked` until the member gives the passphrase).
    pub fn with<T>(&self, f: impl FnOnce(&mut Home) -> Reply<T>) -> Reply<T> {
        let mut slot = lock(&self.home);
        let home = match &mut *slot {
            Some(home) => home,
            empty => empty.insert(self.open_unattended()?),
        };
        f(home)
    }

    /// Opens the locked home with the passphrase the member typed.
    pub fn open_locked(&self, passphrase: &Passphrase) -> Reply<()> {
        let mut slot = lock(&self.home);
        if slot.is_none() {
            *slot = Some(open_home(&self.at, self.clock.clone(), &|_| Some(passphrase.clone()))?);
        }
        Ok(())
    }

    /// The shared folder of the open home's workspace, to watch.
    pub fn workspace_folder(&self) -> Option<PathBuf> {
        self.with(|home| Ok(home.workspace_link().map(|link| link.folder.join(&link.id)))).ok().flatten()
    }

    /// Starts watching the open home's workspace folder (again), if it has one.
    pub fn watch_folder(&self, app: &AppHandle) {
        let folder = self.workspace_folder();
        let mut watch = lock(&self.watch);
        *watch = None;
        if let Some(folder) = folder {
            let app = app.clone();
            let on_change = move || {
                let Some(event) = app.state::<App>().sync_unattended() else { return };
                if let Err(e) = app.emit(SYNC_EVENT, event) {
                    eprintln!("countersign-desktop: could not tell the window about a sync: {e}");
                }
            };
            match FolderWatch::start(&folder, on_change) {
                Ok(w) => *watch = Some(w),
                Err(e) => eprintln!("countersign-desktop: not watching {} for changes: {e}", folder.display()),
            }
        }
    }

    pub fn session(&self, home: &Home) -> Reply<Session> {
        let workspace = match home.workspace_info() {
            Ok(info) => Some(info),
            Err(Error::NoWorkspace) => None,
            Err(e) => return Err(e.into()),
        };
        let remembered = self.recall(home).is_some();
        Ok(Session {
            home: home.info(),
            workspace,
            unlocked: lock(&self.key).is_some(),
            remembered,
            keyring: self.keyring.is_some(),
        })
    }

    /// The passphrase the OS keyring holds for this home's key, if any.
    pub fn recall(&self, home: &Home) -> Option<Passphrase> {
        self.keyring.as_ref()?.recall(home.fingerprint()).ok().flatten()
    }

    pub fn remember(&self, home: &Home, passphrase: &Passphrase) -> Reply<()> {
        match &self.keyring {
            Some(keyring) => Ok(keyring.remember(home.fingerprint(), passphrase)?),
            None => Err(Error::KeyringUnavailable("no OS keyring is reachable".into()).into()),
        }
    }

    /// A key unlocked for one signature: with the passphrase given, else the one the
    /// keyring holds; never the key kept for sync, so every vote is deliberate.
    pub fn signing_key(
        &self,
        home: &Home,
        passphrase: Option<String>,
        remember: bool,
        what: &str,
    ) -> Reply<UnlockedKey> {
        let (passphrase, typed) = match passphrase {
            Some(text) => (Passphrase::from(text), true),
            None => (self.recall(home).ok_or_else(|| passphrase_needed(what))?, false),
        };
        let key = home.unlock(&passphrase)?;
        if typed && remember {
            self.remember(home, &passphrase)?;
        }
        Ok(key)
    }

    /// Runs `f` with the key kept for this run, unlocking it first (with the
    /// passphrase given, else the keyring's).
    pub fn with_run_key<T>(
        &self,
        home: &mut Home,
        passphrase: Option<String>,
        remember: bool,
        what: &str,
        f: impl FnOnce(&mut Home, &UnlockedKey) -> Reply<T>,
    ) -> Reply<T> {
        let mut slot = lock(&self.key);
        if passphrase.is_some() || slot.is_none() {
            *slot = Some(self.signing_key(home, passphrase, remember, what)?);
        }
        let key = slot.as_ref().ok_or_else(|| passphrase_needed(what))?;
        f(home, key)
    }

    /// Sync for the folder watch: only when the folder holds bundles not read yet, and
    /// only with the key at hand, never asking. `None`: nothing to do.
    pub fn sync_unattended(&self) -> Option<SyncEvent> {
        let outcome = self.with(|home| {
            if !home.folder_has_news()? {
                return Ok(None);
            }
            let mut slot = lock(&self.key);
            if slot.is_none() {
                if let Some(passphrase) = self.recall(home) {
                    *slot = Some(home.unlock(&passphrase)?);
                }
            }
            Ok(Some(match slot.as_ref() {
                Some(key) => SyncEvent::Synced { report: home.sync(key)? },
                None => SyncEvent::Locked,
            }))
        });
        outcome.unwrap_or_else(|error| Some(SyncEvent::Failed { error }))
    }

    /// Replaces the open home (the demo, at first run) by the member's new one, which
    /// has no workspace to watch yet.
    pub fn switch_to(&self, home: Home, key: Option<UnlockedKey>) {
        *lock(&self.watch) = None;
        *lock(&self.home) = Some(home);
        *lock(&self.key) = key;
    }

    /// Forgets the passphrase the OS keyring kept for this home, and the key kept
    /// unlocked this run.
    pub fn forget_passphrase(&self, home: &Home) -> Reply<()> {
        if let Some(keyring) = &self.keyring {
            keyring.forget(home.fingerprint())?;
        }
        *lock(&self.key) = None;
        Ok(())
    }

    /// Creates the member's own home and switches to it. Refused while a real home is open.
    pub fn create_own_home(&self, source: KeySource<'_>, passphrase: String, remember: bool) -> Reply<Session> {
        if let Some(open) = lock(&self.home).as_ref() {
            if !open.info().demo {
                return Err(Error::HomeExists(open.dir().to_owned()).into());
            }
        }
        let dir = self.at.home.clone().ok_or_else(|| CommandError {
            code: "no-data-folder".into(),
            message: "this system names no data folder for your home; start the app with COUNTERSIGN_HOME set".into(),
        })?;
        let passphrase = Passphrase::from(passphrase);
        let home = Home::init(&dir, source, &passphrase, self.clock.clone())?;
        let key = home.unlock(&passphrase)?;
        if remember {
            self.remember(&home, &passphrase)?;
        }
        let session = self.session(&home)?;
        self.switch_to(home, Some(key));
        Ok(Session { unlocked: true, ..session })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(home: Option<PathBuf>, demo: PathBuf) -> App {
        App::new(
            Locations { home, demo: Some(demo) },
            Arc::new(countersign_core::FixedClock::at_date(2026, 3, 1)),
            Some(PassphraseKeyring::in_memory()),
        )
    }

    #[test]
    fn a_home_that_could_not_be_opened_is_tried_again() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let real = tmp.path().join("real");
        std::fs::create_dir_all(&real).expect("folder");
        std::fs::write(real.join("home.json"), b"{ damaged").expect("write");
        let app = app(Some(real.clone()), tmp.path().join("demo"));

        let err = app.with(|h| Ok(h.info())).expect_err("the damaged home fails");
        assert_eq!(err.code, "home-damaged");

        // The member restores the folder (here: it is emptied, so the demo opens).
        std::fs::remove_file(real.join("home.json")).expect("remove");
        let info = app.with(|h| Ok(h.info())).expect("opened on the next call");
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

    #[test]
    fn a_new_home_replaces_the_demo_and_a_vote_needs_the_passphrase_each_time() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let real = tmp.path().join("real");
        let app = app(Some(real.clone()), tmp.path().join("demo"));
        assert!(app.with(|h| Ok(h.info().demo)).expect("demo"));

        let session = app
            .create_own_home(KeySource::Generate { name: "Alice", email: "alice@example.org" }, "secret".into(), false)
            .expect("own home");
        assert!(!session.home.demo && session.unlocked && !session.remembered);
        assert_eq!(session.home.home, real.display().to_string());
        let again = app.create_own_home(
            KeySource::Generate { name: "Alice", email: "alice@example.org" },
            "secret".into(),
            false,
        );
        assert_eq!(again.expect_err("one home only").code, "home-exists");

        app.with(|home| {
            // Unlocked for sync this run, yet a signature still asks.
            let err = app.signing_key(home, None, false, "Signing a vote").err().expect("asks");
            assert_eq!(err.code, "passphrase-needed");
            let wrong = app.signing_key(home, Some("nope".into()), false, "Signing a vote").err().expect("wrong");
            assert_eq!(wrong.code, "wrong-passphrase");
            app.signing_key(home, Some("secret".into()), true, "Signing a vote")?;
            // Remembered in the keyring: the next signature needs no typing.
            app.signing_key(home, None, false, "Signing a vote")?;
            assert!(app.session(home)?.remembered);
            Ok(())
        })
        .expect("signing");
    }
}
