//! The commands the front end calls (through `ui/src/lib/backend.ts`), and the shape
//! in which core errors cross the IPC boundary.
//!
//! Each command parses its arguments, calls one core function and returns its result.
//! Every command runs on a blocking worker thread, never on the window's thread, so a
//! long import or sync leaves the window responsive (progress arrives over a channel).

use crate::startup::{locked, open_home, Locations};
use crate::watch::FolderWatch;
use countersign_core::decision::{
    DecisionDetail, DecisionFilter, DecisionSummary, ExportReport, NewDecision, RosterChange,
};
use countersign_core::finance::{
    BudgetLine, FundAccount, ImportProgress, ImportSummary, Source, TransactionFilter, TransactionPage,
};
use countersign_core::home::{HomeInfo, KeySource};
use countersign_core::key::{Passphrase, UnlockedKey};
use countersign_core::keyring::PassphraseKeyring;
use countersign_core::overview::{Overview, Session};
use countersign_core::partner::{
    ClaimOutcome, NewContact, NewInteraction, NewPartner, PartnerDetail, PartnerFilter, PartnerSummary, PartnerUpdate,
};
use countersign_core::report::{
    AnnualReport, AvailableLine, BalanceBy, BalanceLine, BudgetActualLine, DecisionImpact, IncomeLine, Period,
    ReportRequest,
};
use countersign_core::rules::Choice;
use countersign_core::scope::{Scope, ScopeInfo};
use countersign_core::sync::{SyncEvent, SyncReport, SyncStatus};
use countersign_core::workspace::WorkspaceInfo;
use countersign_core::{Clock, Error, Fingerprint, Home};
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager};

/// A core error as the front end receives it: the core's own report shape, a stable
/// machine-readable `code` to decide on and the message to show.
pub type CommandError = countersign_core::error::ErrorReport;

type Reply<T> = Result<T, CommandError>;

/// The error the views answer by asking for the passphrase and calling again.
fn passphrase_needed(what: &str) -> CommandError {
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
    started: Instant,
    home: Mutex<Option<Home>>,
    /// Unlocked with the passphrase this run, so sync can run when the folder changes.
    /// Votes never use it: each signature asks for the passphrase (or the keyring).
    key: Mutex<Option<UnlockedKey>>,
    keyring: Option<PassphraseKeyring>,
    watch: Mutex<Option<FolderWatch>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
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
        if let Some(text) = std::env::var_os("COUNTERSIGN_PASSPHRASE").and_then(|v| v.into_string().ok()) {
            return Some(Passphrase::from(text));
        }
        self.keyring.as_ref()?.recall(fingerprint).ok().flatten()
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
    fn open_locked(&self, passphrase: &Passphrase) -> Reply<()> {
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
            match FolderWatch::start(&folder, app.clone()) {
                Ok(w) => *watch = Some(w),
                Err(e) => eprintln!("countersign-desktop: not watching {} for changes: {e}", folder.display()),
            }
        }
    }

    fn session(&self, home: &Home) -> Reply<Session> {
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
    fn recall(&self, home: &Home) -> Option<Passphrase> {
        self.keyring.as_ref()?.recall(home.fingerprint()).ok().flatten()
    }

    fn remember(&self, home: &Home, passphrase: &Passphrase) -> Reply<()> {
        match &self.keyring {
            Some(keyring) => Ok(keyring.remember(home.fingerprint(), passphrase)?),
            None => Err(Error::KeyringUnavailable("no OS keyring is reachable".into()).into()),
        }
    }

    /// A key unlocked for one signature: with the passphrase given, else the one the
    /// keyring holds; never the key kept for sync, so every vote is deliberate.
    fn signing_key(&self, home: &Home, passphrase: Option<String>, remember: bool, what: &str) -> Reply<UnlockedKey> {
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
    fn with_run_key<T>(
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
    fn switch_to(&self, home: Home, key: Option<UnlockedKey>) {
        *lock(&self.watch) = None;
        *lock(&self.home) = Some(home);
        *lock(&self.key) = key;
    }
}

/// Runs `f` on a blocking worker thread with the app state and the open home.
async fn run<T: Send + 'static>(
    app: AppHandle,
    f: impl FnOnce(&App, &mut Home) -> Reply<T> + Send + 'static,
) -> Reply<T> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<App>();
        state.with(|home| f(&state, home))
    })
    .await
    .map_err(|e| CommandError { code: "internal".into(), message: format!("the command stopped unexpectedly: {e}") })?
}

/// Like [`run`], for commands that do not need the home open.
async fn run_app<T: Send + 'static>(app: AppHandle, f: impl FnOnce(&App) -> Reply<T> + Send + 'static) -> Reply<T> {
    tauri::async_runtime::spawn_blocking(move || f(&app.state::<App>())).await.map_err(|e| CommandError {
        code: "internal".into(),
        message: format!("the command stopped unexpectedly: {e}"),
    })?
}

fn path(text: &str, what: &'static str) -> Reply<PathBuf> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(what, text, "choose one, or type its full path").into());
    }
    Ok(PathBuf::from(text))
}

// --- the home and the session -------------------------------------------------

/// Who the open home belongs to, and whether it is the demo.
#[tauri::command]
pub async fn home_info(app: AppHandle) -> Reply<HomeInfo> {
    run(app, |_, home| Ok(home.info())).await
}

#[tauri::command]
pub async fn session(app: AppHandle) -> Reply<Session> {
    run(app, |state, home| state.session(home)).await
}

/// The first screen is drawn: logs how long start-up took (the start-up benchmark
/// reads this line).
#[tauri::command]
pub async fn ui_ready(app: AppHandle) -> Reply<()> {
    let state = app.state::<App>();
    eprintln!("countersign-desktop: interactive after {} ms", state.started.elapsed().as_millis());
    Ok(())
}

#[tauri::command]
pub async fn overview(app: AppHandle) -> Reply<Overview> {
    run(app, |_, home| Ok(home.overview()?)).await
}

#[tauri::command]
pub async fn unlock(app: AppHandle, passphrase: String, remember: bool) -> Reply<Session> {
    run(app, move |state, home| {
        state.with_run_key(home, Some(passphrase), remember, "Unlocking", |_, _| Ok(()))?;
        state.session(home)
    })
    .await
}

/// Opens the member's home, locked at start because no passphrase was at hand (its
/// records are encrypted with their key), and keeps the key unlocked for sync as
/// `unlock` does, so the member types it once; with `remember`, the OS keyring keeps
/// the passphrase for the next start.
#[tauri::command]
pub async fn unlock_home(app: AppHandle, passphrase: String, remember: bool) -> Reply<Session> {
    let handle = app.clone();
    let session = run_app(app, move |state| {
        state.open_locked(&Passphrase::from(passphrase.clone()))?;
        state.with(|home| {
            state.with_run_key(home, Some(passphrase), remember, "Unlocking", |_, _| Ok(()))?;
            state.session(home)
        })
    })
    .await?;
    handle.state::<App>().watch_folder(&handle);
    Ok(session)
}

#[tauri::command]
pub async fn remember_passphrase(app: AppHandle, passphrase: String) -> Reply<Session> {
    run(app, move |state, home| {
        let passphrase = Passphrase::from(passphrase);
        home.check_passphrase(&passphrase)?;
        state.remember(home, &passphrase)?;
        state.session(home)
    })
    .await
}

#[tauri::command]
pub async fn forget_passphrase(app: AppHandle) -> Reply<Session> {
    run(app, |state, home| {
        if let Some(keyring) = &state.keyring {
            keyring.forget(home.fingerprint())?;
        }
        *lock(&state.key) = None;
        state.session(home)
    })
    .await
}

#[tauri::command]
pub async fn public_key(app: AppHandle) -> Reply<String> {
    run(app, |_, home| Ok(home.key().public_armored()?)).await
}

#[tauri::command]
pub async fn export_public_key(app: AppHandle, path: String) -> Reply<()> {
    run(app, move |_, home| {
        let path = self::path(&path, "file")?;
        Ok(countersign_core::workspace::write_atomically(&path, home.key().public_armored()?.as_bytes())?)
    })
    .await
}

// --- first run ---------------------------------------------------------------

/// Creates the member's own home and switches to it. Refused while a real home is open.
fn create_own_home(state: &App, source: KeySource<'_>, passphrase: String, remember: bool) -> Reply<Session> {
    if let Some(open) = lock(&state.home).as_ref() {
        if !open.info().demo {
            return Err(Error::HomeExists(open.dir().to_owned()).into());
        }
    }
    let dir = state.at.home.clone().ok_or_else(|| CommandError {
        code: "no-data-folder".into(),
        message: "this system names no data folder for your home; start the app with COUNTERSIGN_HOME set".into(),
    })?;
    let passphrase = Passphrase::from(passphrase);
    let home = Home::init(&dir, source, &passphrase, state.clock.clone())?;
    let key = home.unlock(&passphrase)?;
    if remember {
        state.remember(&home, &passphrase)?;
    }
    let session = state.session(&home)?;
    state.switch_to(home, Some(key));
    Ok(Session { unlocked: true, ..session })
}

#[tauri::command]
pub async fn create_home(
    app: AppHandle,
    name: String,
    email: String,
    passphrase: String,
    remember: bool,
) -> Reply<Session> {
    run_app(app, move |state| {
        create_own_home(state, KeySource::Generate { name: &name, email: &email }, passphrase, remember)
    })
    .await
}

#[tauri::command]
pub async fn import_home(app: AppHandle, path: String, passphrase: String, remember: bool) -> Reply<Session> {
    run_app(app, move |state| {
        let path = self::path(&path, "key file")?;
        create_own_home(state, KeySource::Import { path: &path, name: None, email: None }, passphrase, remember)
    })
    .await
}

#[tauri::command]
pub async fn list_workspaces(app: AppHandle, folder: String) -> Reply<Vec<String>> {
    run_app(app, move |_| Ok(countersign_core::workspace::list_workspaces(&path(&folder, "shared folder")?)?)).await
}

#[tauri::command]
pub async fn create_workspace(
    app: AppHandle,
    name: String,
    folder: String,
    passphrase: Option<String>,
) -> Reply<Session> {
    let handle = app.clone();
    let session = run(app, move |state, home| {
        let folder = path(&folder, "shared folder")?;
        state.with_run_key(home, passphrase, false, "Creating a workspace", |home, key| {
            Ok(home.create_workspace(&name, &folder, Vec::new(), key)?)
        })?;
        state.session(home)
    })
    .await?;
    handle.state::<App>().watch_folder(&handle);
    Ok(session)
}

#[tauri::command]
pub async fn join_workspace(app: AppHandle, folder: String, id: String, passphrase: Option<String>) -> Reply<Session> {
    let handle = app.clone();
    let session = run(app, move |state, home| {
        let folder = path(&folder, "shared folder")?;
        state.with_run_key(home, passphrase, false, "Joining a workspace", |home, key| {
            home.join_workspace(&folder, &id, key)?;
            Ok(home.sync(key)?)
        })?;
        state.session(home)
    })
    .await?;
    handle.state::<App>().watch_folder(&handle);
    Ok(session)
}

#[tauri::command]
pub async fn workspace_info(app: AppHandle) -> Reply<WorkspaceInfo> {
    run(app, |_, home| Ok(home.workspace_info()?)).await
}

// --- partners ----------------------------------------------------------------

/// The organisations that match `filter`, ordered by name.
#[tauri::command]
pub async fn list_partners(app: AppHandle, filter: PartnerFilter) -> Reply<Vec<PartnerSummary>> {
    run(app, move |_, home| Ok(home.list_partners(&filter)?)).await
}

#[tauri::command]
pub async fn partner_detail(app: AppHandle, name: String) -> Reply<PartnerDetail> {
    run(app, move |_, home| Ok(home.partner_detail(&name)?)).await
}

#[tauri::command]
pub async fn add_partner(app: AppHandle, partner: NewPartner) -> Reply<PartnerSummary> {
    run(app, move |_, home| Ok(home.add_partner(partner)?)).await
}

#[tauri::command]
pub async fn update_partner(app: AppHandle, name: String, update: PartnerUpdate) -> Reply<PartnerSummary> {
    run(app, move |_, home| Ok(home.update_partner(&name, update)?)).await
}

#[tauri::command]
pub async fn add_contact(app: AppHandle, name: String, contact: NewContact) -> Reply<PartnerDetail> {
    run(app, move |_, home| Ok(home.add_contact(&name, contact)?)).await
}

#[tauri::command]
pub async fn log_interaction(app: AppHandle, name: String, entry: NewInteraction) -> Reply<PartnerDetail> {
    run(app, move |_, home| Ok(home.log_interaction(&name, entry)?)).await
}

#[tauri::command]
pub async fn claim_partner(app: AppHandle, name: String, days: u32, force: bool) -> Reply<ClaimOutcome> {
    run(app, move |_, home| Ok(home.claim_partner(&name, days, force)?)).await
}

// --- finance -----------------------------------------------------------------

#[tauri::command]
pub async fn transaction_page(app: AppHandle, filter: TransactionFilter) -> Reply<TransactionPage> {
    run(app, move |_, home| Ok(home.transaction_page(&filter)?)).await
}

/// Imports an export file, sending each stage's progress over `progress`.
#[tauri::command]
pub async fn import_finance(
    app: AppHandle,
    source: Source,
    path: String,
    scope: Option<Scope>,
    progress: Channel<ImportProgress>,
) -> Reply<ImportSummary> {
    run(app, move |_, home| {
        let path = self::path(&path, "export file")?;
        let scope = scope.unwrap_or_else(Scope::finance);
        // A window closed mid-import only stops the progress messages, not the import.
        Ok(home.import_finance(source, &path, &scope, &mut |p| {
            let _ = progress.send(p);
        })?)
    })
    .await
}

#[tauri::command]
pub async fn fund_accounts(app: AppHandle) -> Reply<Vec<FundAccount>> {
    run(app, |_, home| Ok(home.fund_accounts()?)).await
}

#[tauri::command]
pub async fn map_fund(app: AppHandle, account: String, fund: String, scope: Option<Scope>) -> Reply<FundAccount> {
    run(app, move |_, home| Ok(home.map_fund(&account, &fund, &scope.unwrap_or_else(Scope::finance))?)).await
}

#[tauri::command]
pub async fn budgets(app: AppHandle, year: Option<i32>) -> Reply<Vec<BudgetLine>> {
    run(app, move |_, home| Ok(home.budgets(year)?)).await
}

#[tauri::command]
pub async fn set_budget(
    app: AppHandle,
    fund: String,
    year: i32,
    amount: String,
    currency: String,
    scope: Option<Scope>,
) -> Reply<BudgetLine> {
    let scope = scope.unwrap_or_else(Scope::finance);
    run(app, move |_, home| Ok(home.set_budget(&fund, year, &amount, &currency, &scope)?)).await
}

/// The scopes of the rules in force, who reads each, and whether this member does.
#[tauri::command]
pub async fn scopes(app: AppHandle) -> Reply<Vec<ScopeInfo>> {
    run(app, |_, home| Ok(home.scopes()?)).await
}

#[tauri::command]
pub async fn report_available(app: AppHandle, year: Option<i32>) -> Reply<Vec<AvailableLine>> {
    run(app, move |_, home| Ok(home.report_available(year, None)?)).await
}

#[tauri::command]
pub async fn report_budget(app: AppHandle, year: i32) -> Reply<Vec<BudgetActualLine>> {
    run(app, move |_, home| Ok(home.report_budget(year, None)?)).await
}

#[tauri::command]
pub async fn report_income(app: AppHandle, year: i32, period: Period) -> Reply<Vec<IncomeLine>> {
    run(app, move |_, home| Ok(home.report_income(year, period, None)?)).await
}

#[tauri::command]
pub async fn report_balance(app: AppHandle, by: BalanceBy, year: Option<i32>) -> Reply<Vec<BalanceLine>> {
    run(app, move |_, home| Ok(home.report_balance(by, year, None)?)).await
}

#[tauri::command]
pub async fn report_annual(app: AppHandle, year: i32) -> Reply<AnnualReport> {
    run(app, move |_, home| Ok(home.report_annual(year, Decimal::new(1000, 0), None)?)).await
}

#[tauri::command]
pub async fn export_report_csv(app: AppHandle, request: ReportRequest, path: String) -> Reply<()> {
    run(app, move |_, home| {
        let path = self::path(&path, "file")?;
        let csv = home.report_table(&request)?.to_csv();
        Ok(countersign_core::workspace::write_atomically(&path, csv.as_bytes())?)
    })
    .await
}

// --- decisions ---------------------------------------------------------------

#[tauri::command]
pub async fn decisions(app: AppHandle, filter: DecisionFilter) -> Reply<Vec<DecisionSummary>> {
    run(app, move |_, home| Ok(home.decisions(&filter)?)).await
}

#[tauri::command]
pub async fn decision(app: AppHandle, id: String) -> Reply<DecisionDetail> {
    run(app, move |_, home| Ok(home.decision(&id)?)).await
}

#[tauri::command]
pub async fn decision_impact(app: AppHandle, id: String) -> Reply<Option<DecisionImpact>> {
    run(app, move |_, home| Ok(home.decision_impact(&id)?)).await
}

#[tauri::command]
pub async fn propose_decision(app: AppHandle, decision: NewDecision) -> Reply<String> {
    run(app, move |_, home| Ok(home.propose_decision(decision, None)?)).await
}

#[tauri::command]
pub async fn amend_decision(app: AppHandle, id: String, decision: NewDecision) -> Reply<String> {
    run(app, move |_, home| Ok(home.amend_decision(&id, decision)?)).await
}

/// Signs a vote with a key unlocked for this signature only.
#[tauri::command]
pub async fn vote(
    app: AppHandle,
    id: String,
    choice: Choice,
    reason: Option<String>,
    passphrase: Option<String>,
    remember: bool,
) -> Reply<DecisionDetail> {
    run(app, move |state, home| {
        let key = state.signing_key(home, passphrase, remember, "Signing a vote")?;
        Ok(home.vote(&id, choice, reason, &key)?)
    })
    .await
}

#[tauri::command]
pub async fn withdraw_decision(app: AppHandle, id: String) -> Reply<()> {
    run(app, move |_, home| Ok(home.withdraw_decision(&id)?)).await
}

#[tauri::command]
pub async fn export_decision(app: AppHandle, id: String, folder: String) -> Reply<ExportReport> {
    run(app, move |_, home| {
        let folder = path(&folder, "folder")?;
        Ok(home.export_decision(&id, &folder)?)
    })
    .await
}

#[tauri::command]
pub async fn propose_roster_change(
    app: AppHandle,
    change: RosterChange,
    closes: Option<chrono::NaiveDate>,
) -> Reply<String> {
    run(app, move |_, home| Ok(home.propose_roster_change(change, closes)?)).await
}

// --- sync --------------------------------------------------------------------

#[tauri::command]
pub async fn sync_status(app: AppHandle) -> Reply<SyncStatus> {
    run(app, |_, home| Ok(home.sync_status()?)).await
}

#[tauri::command]
pub async fn sync_now(app: AppHandle, passphrase: Option<String>, remember: bool) -> Reply<SyncReport> {
    run(app, move |state, home| state.with_run_key(home, passphrase, remember, "Sync", |home, key| Ok(home.sync(key)?)))
        .await
}

// --- choosing files ----------------------------------------------------------

/// Asks the system's file chooser for a file or folder (`save`: a new file's name).
#[tauri::command]
pub async fn choose_path(app: AppHandle, directory: bool, save: bool) -> Reply<Option<String>> {
    use tauri_plugin_dialog::DialogExt;
    tauri::async_runtime::spawn_blocking(move || {
        let dialog = app.dialog().file();
        let chosen = if directory {
            dialog.blocking_pick_folder()
        } else if save {
            dialog.blocking_save_file()
        } else {
            dialog.blocking_pick_file()
        };
        Ok(chosen.and_then(|p| p.into_path().ok()).map(|p| p.display().to_string()))
    })
    .await
    .map_err(|e| CommandError { code: "internal".into(), message: e.to_string() })?
}

/// Every command, for the builder and for the capability check in `build.rs`.
#[macro_export]
macro_rules! all_commands {
    () => {
        tauri::generate_handler![
            commands::home_info,
            commands::session,
            commands::ui_ready,
            commands::overview,
            commands::unlock,
            commands::unlock_home,
            commands::remember_passphrase,
            commands::forget_passphrase,
            commands::public_key,
            commands::export_public_key,
            commands::create_home,
            commands::import_home,
            commands::list_workspaces,
            commands::create_workspace,
            commands::join_workspace,
            commands::workspace_info,
            commands::list_partners,
            commands::partner_detail,
            commands::add_partner,
            commands::update_partner,
            commands::add_contact,
            commands::log_interaction,
            commands::claim_partner,
            commands::transaction_page,
            commands::import_finance,
            commands::fund_accounts,
            commands::map_fund,
            commands::budgets,
            commands::set_budget,
            commands::scopes,
            commands::report_available,
            commands::report_budget,
            commands::report_income,
            commands::report_balance,
            commands::report_annual,
            commands::export_report_csv,
            commands::decisions,
            commands::decision,
            commands::decision_impact,
            commands::propose_decision,
            commands::amend_decision,
            commands::vote,
            commands::withdraw_decision,
            commands::export_decision,
            commands::propose_roster_change,
            commands::sync_status,
            commands::sync_now,
            commands::choose_path,
        ]
    };
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

        let session = create_own_home(
            &app,
            KeySource::Generate { name: "Alice", email: "alice@example.org" },
            "secret".into(),
            false,
        )
        .expect("own home");
        assert!(!session.home.demo && session.unlocked && !session.remembered);
        assert_eq!(session.home.home, real.display().to_string());
        let again = create_own_home(
            &app,
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
