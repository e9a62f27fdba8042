//! The commands the front end calls (through `ui/src/lib/backend.ts`), and the shape
//! in which core errors cross the IPC boundary.
//!
//! Each command parses its arguments, calls one core function and returns its result.
//! Every command runs on a blocking worker thread, never on the window's thread, so a
//! long import or sync leaves the window responsive (progress arrives over a channel).

use crate::session::{App, CommandError, Reply};
use countersign_core::Choice;
use countersign_core::Passphrase;
use countersign_core::WorkspaceInfo;
use countersign_core::{
    AnnualReport, AvailableLine, BalanceBy, BalanceLine, BudgetActualLine, DecisionImpact, IncomeLine, Period,
    ReportRequest,
};
use countersign_core::{
    BudgetLine, FundAccount, ImportProgress, ImportSummary, Source, TransactionFilter, TransactionPage,
};
use countersign_core::{
    ClaimOutcome, NewContact, NewInteraction, NewPartner, PartnerDetail, PartnerFilter, PartnerSummary, PartnerUpdate,
};
use countersign_core::{DecisionDetail, DecisionFilter, DecisionSummary, ExportReport, NewDecision, RosterChange};
use countersign_core::{Error, Home};
use countersign_core::{HomeInfo, KeySource};
use countersign_core::{Overview, Session};
use countersign_core::{Scope, ScopeInfo};
use countersign_core::{SyncReport, SyncStatus};
use rust_decimal::Decimal;
use std::path::PathBuf;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager};

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
        state.forget_passphrase(home)?;
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
        Ok(countersign_core::write_atomically(&path, home.key().public_armored()?.as_bytes())?)
    })
    .await
}

// --- first run ---------------------------------------------------------------

#[tauri::command]
pub async fn create_home(
    app: AppHandle,
    name: String,
    email: String,
    passphrase: String,
    remember: bool,
) -> Reply<Session> {
    run_app(app, move |state| {
        state.create_own_home(KeySource::Generate { name: &name, email: &email }, passphrase, remember)
    })
    .await
}

#[tauri::command]
pub async fn import_home(app: AppHandle, path: String, passphrase: String, remember: bool) -> Reply<Session> {
    run_app(app, move |state| {
        let path = self::path(&path, "key file")?;
        state.create_own_home(KeySource::Import { path: &path, name: None, email: None }, passphrase, remember)
    })
    .await
}

#[tauri::command]
pub async fn list_workspaces(app: AppHandle, folder: String) -> Reply<Vec<String>> {
    run_app(app, move |_| Ok(countersign_core::list_workspaces(&path(&folder, "shared folder")?)?)).await
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
        Ok(countersign_core::write_atomically(&path, csv.as_bytes())?)
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
