// The one seam between the views and the desktop shell: every backend call goes
// through this module, so views never call `invoke` and tests replace this module
// (see backend.fake.ts) instead of the Tauri IPC.

import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AvailableLine } from "./bindings/AvailableLine";
import type { AnnualReport } from "./bindings/AnnualReport";
import type { BalanceBy } from "./bindings/BalanceBy";
import type { BalanceLine } from "./bindings/BalanceLine";
import type { BudgetActualLine } from "./bindings/BudgetActualLine";
import type { BudgetLine } from "./bindings/BudgetLine";
import type { Choice } from "./bindings/Choice";
import type { ClaimOutcome } from "./bindings/ClaimOutcome";
import type { DecisionDetail } from "./bindings/DecisionDetail";
import type { DecisionFilter } from "./bindings/DecisionFilter";
import type { DecisionImpact } from "./bindings/DecisionImpact";
import type { DecisionSummary } from "./bindings/DecisionSummary";
import type { ErrorReport } from "./bindings/ErrorReport";
import type { ExportReport } from "./bindings/ExportReport";
import type { FundAccount } from "./bindings/FundAccount";
import type { HomeInfo } from "./bindings/HomeInfo";
import type { ImportProgress } from "./bindings/ImportProgress";
import type { ImportSummary } from "./bindings/ImportSummary";
import type { IncomeLine } from "./bindings/IncomeLine";
import type { NewContact } from "./bindings/NewContact";
import type { NewDecision } from "./bindings/NewDecision";
import type { NewInteraction } from "./bindings/NewInteraction";
import type { NewPartner } from "./bindings/NewPartner";
import type { Overview } from "./bindings/Overview";
import type { PartnerDetail } from "./bindings/PartnerDetail";
import type { PartnerFilter } from "./bindings/PartnerFilter";
import type { PartnerSummary } from "./bindings/PartnerSummary";
import type { PartnerUpdate } from "./bindings/PartnerUpdate";
import type { Period } from "./bindings/Period";
import type { ReportRequest } from "./bindings/ReportRequest";
import type { RosterChange } from "./bindings/RosterChange";
import type { Scope } from "./bindings/Scope";
import type { ScopeInfo } from "./bindings/ScopeInfo";
import type { Session } from "./bindings/Session";
import type { Source } from "./bindings/Source";
import type { SyncEvent } from "./bindings/SyncEvent";
import type { SyncReport } from "./bindings/SyncReport";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { TransactionFilter } from "./bindings/TransactionFilter";
import type { TransactionPage } from "./bindings/TransactionPage";
import type { WorkspaceInfo } from "./bindings/WorkspaceInfo";

/**
 * An error reported by the backend. `code` is stable and machine-readable (the core's
 * `Error::code()`, e.g. `no-home`, `database-damaged`): decide on it, never on the
 * message. `message` says what happened and what to do, for people.
 */
export class BackendError extends Error implements ErrorReport {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = "BackendError";
    this.code = code;
  }
}

/** Turns whatever a failed call rejected with into a {@link BackendError}. */
export function toBackendError(err: unknown): BackendError {
  if (err instanceof BackendError) return err;
  if (typeof err === "object" && err !== null) {
    // The shell rejects with the core's ErrorReport ({code, message}).
    const { code, message } = err as Partial<Record<keyof ErrorReport, unknown>>;
    if (typeof code === "string" && typeof message === "string") {
      return new BackendError(code, message);
    }
    if (err instanceof Error) return new BackendError("internal", err.message);
  }
  // Tauri itself rejects with a plain string, e.g. for a command it does not know.
  if (typeof err === "string") return new BackendError("internal", err);
  return new BackendError("internal", "the app's backend failed without saying why");
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    throw toBackendError(err);
  }
}

/**
 * Error codes the views act on (besides showing the message):
 * - `passphrase-needed`: the command needs the key; ask for the passphrase and call again with it.
 * - `wrong-passphrase`: say so and ask again.
 * - `claimed-by-other`: another member claims the organisation; show the warning, then call again with `force`.
 *
 * Writing into a scope this member's role does not read fails with `scope-not-readable`,
 * into a scope the rules do not know with `invalid-value`; both messages say why.
 */
export const PASSPHRASE_NEEDED = "passphrase-needed";

// --- the home and the session -------------------------------------------------

/** Who the open home belongs to, and whether it is the demo. */
export function homeInfo(): Promise<HomeInfo> {
  return call<HomeInfo>("home_info");
}

/** The open home, its workspace, and where the key stands. */
export function session(): Promise<Session> {
  return call<Session>("session");
}

/** Tells the shell the first screen is drawn (it logs the start-up time). */
export function uiReady(): Promise<void> {
  return call<void>("ui_ready");
}

/** The home screen: needs my signature, money per fund, recent activity, sync. */
export function overview(): Promise<Overview> {
  return call<Overview>("overview");
}

/** Unlocks the key for this run (sync then runs unattended); `remember` stores the passphrase in the OS keyring. */
export function unlock(passphrase: string, remember: boolean): Promise<Session> {
  return call<Session>("unlock", { passphrase, remember });
}

/**
 * Opens the member's home when it started locked (`home-locked`: its records are
 * encrypted with their key and no passphrase was at hand); `remember` keeps the
 * passphrase in the OS keyring for the next start.
 */
export function unlockHome(passphrase: string, remember: boolean): Promise<Session> {
  return call<Session>("unlock_home", { passphrase, remember });
}

/** Stores the passphrase in the OS keyring (checked first). */
export function rememberPassphrase(passphrase: string): Promise<Session> {
  return call<Session>("remember_passphrase", { passphrase });
}

/** Removes the passphrase from the OS keyring and locks the key for this run. */
export function forgetPassphrase(): Promise<Session> {
  return call<Session>("forget_passphrase");
}

/** The member's public key (armored), to send to the other members. */
export function publicKey(): Promise<string> {
  return call<string>("public_key");
}

/** Writes the public key to `path` (never replacing a file). */
export function exportPublicKey(path: string): Promise<void> {
  return call<void>("export_public_key", { path });
}

// --- first run ---------------------------------------------------------------

/** Creates the member's own home with a new key; the app switches to it (away from the demo). */
export function createHome(name: string, email: string, passphrase: string, remember: boolean): Promise<Session> {
  return call<Session>("create_home", { name, email, passphrase, remember });
}

/** Creates the member's own home from an exported secret key file (`gpg --export-secret-keys --armor`). */
export function importHome(path: string, passphrase: string, remember: boolean): Promise<Session> {
  return call<Session>("import_home", { path, passphrase, remember });
}

/** The workspace ids in a shared folder. */
export function listWorkspaces(folder: string): Promise<string[]> {
  return call<string[]>("list_workspaces", { folder });
}

/** Creates a workspace in the shared folder, with this member on its roster. */
export function createWorkspace(name: string, folder: string, passphrase: string | null): Promise<Session> {
  return call<Session>("create_workspace", { name, folder, passphrase });
}

/** Joins the workspace `id` (or a unique prefix) in the shared folder. */
export function joinWorkspace(folder: string, id: string, passphrase: string | null): Promise<Session> {
  return call<Session>("join_workspace", { folder, id, passphrase });
}

/** The open workspace: roster with roles, rules in force. */
export function workspaceInfo(): Promise<WorkspaceInfo> {
  return call<WorkspaceInfo>("workspace_info");
}

/** Every scope of the rules in force, the roles that read it, and whether this member does (and so may write into it). */
export function scopes(): Promise<ScopeInfo[]> {
  return call<ScopeInfo[]>("scopes");
}

// --- partners ----------------------------------------------------------------

/** The organisations that match `filter`, ordered by name. */
export function listPartners(filter: PartnerFilter): Promise<PartnerSummary[]> {
  return call<PartnerSummary[]>("list_partners", { filter });
}

export function partnerDetail(name: string): Promise<PartnerDetail> {
  return call<PartnerDetail>("partner_detail", { name });
}

export function addPartner(partner: NewPartner): Promise<PartnerSummary> {
  return call<PartnerSummary>("add_partner", { partner });
}

export function updatePartner(name: string, update: PartnerUpdate): Promise<PartnerSummary> {
  return call<PartnerSummary>("update_partner", { name, update });
}

export function addContact(name: string, contact: NewContact): Promise<PartnerDetail> {
  return call<PartnerDetail>("add_contact", { name, contact });
}

/** Logs a contact. Fails with code `claimed-by-other` when another member claims the organisation, unless `entry.force`. */
export function logInteraction(name: string, entry: NewInteraction): Promise<PartnerDetail> {
  return call<PartnerDetail>("log_interaction", { name, entry });
}

/** Claims the organisation for `days`. Fails with code `claimed-by-other` when another member holds it, unless `force`. */
export function claimPartner(name: string, days: number, force: boolean): Promise<ClaimOutcome> {
  return call<ClaimOutcome>("claim_partner", { name, days, force });
}

// --- finance -----------------------------------------------------------------

/** A window of the transaction list (`filter.limit` rows from `filter.offset`) and the total count. */
export function transactionPage(filter: TransactionFilter): Promise<TransactionPage> {
  return call<TransactionPage>("transaction_page", { filter });
}

/**
 * Imports an export file into `scope` (null: `finance`, the backend's default);
 * `onProgress` receives each stage as it advances.
 */
export function importFinance(
  source: Source,
  path: string,
  scope: Scope | null,
  onProgress: (progress: ImportProgress) => void,
): Promise<ImportSummary> {
  const progress = new Channel<ImportProgress>();
  progress.onmessage = onProgress;
  return call<ImportSummary>("import_finance", { source, path, scope, progress });
}

export function fundAccounts(): Promise<FundAccount[]> {
  return call<FundAccount[]>("fund_accounts");
}

/** Maps an account to a fund; the mapping travels in `scope` (null: `finance`). */
export function mapFund(account: string, fund: string, scope: Scope | null): Promise<FundAccount> {
  return call<FundAccount>("map_fund", { account, fund, scope });
}

export function budgets(year: number | null): Promise<BudgetLine[]> {
  return call<BudgetLine[]>("budgets", { year });
}

/** Sets a fund's budget for a year; it travels in `scope` (null: `finance`). */
export function setBudget(
  fund: string,
  year: number,
  amount: string,
  currency: string,
  scope: Scope | null,
): Promise<BudgetLine> {
  return call<BudgetLine>("set_budget", { fund, year, amount, currency, scope });
}

export function reportAvailable(year: number | null): Promise<AvailableLine[]> {
  return call<AvailableLine[]>("report_available", { year });
}

export function reportBudget(year: number): Promise<BudgetActualLine[]> {
  return call<BudgetActualLine[]>("report_budget", { year });
}

export function reportIncome(year: number, period: Period): Promise<IncomeLine[]> {
  return call<IncomeLine[]>("report_income", { year, period });
}

export function reportBalance(by: BalanceBy, year: number | null): Promise<BalanceLine[]> {
  return call<BalanceLine[]>("report_balance", { by, year });
}

export function reportAnnual(year: number): Promise<AnnualReport> {
  return call<AnnualReport>("report_annual", { year });
}

/** Writes a report as CSV to `path` (never replacing a file). */
export function exportReportCsv(request: ReportRequest, path: string): Promise<void> {
  return call<void>("export_report_csv", { request, path });
}

// --- decisions ---------------------------------------------------------------

export function decisions(filter: DecisionFilter): Promise<DecisionSummary[]> {
  return call<DecisionSummary[]>("decisions", { filter });
}

export function decision(id: string): Promise<DecisionDetail> {
  return call<DecisionDetail>("decision", { id });
}

/** What approving it does to its fund's available money; null for decisions without an amount. */
export function decisionImpact(id: string): Promise<DecisionImpact | null> {
  return call<DecisionImpact | null>("decision_impact", { id });
}

/** Proposes a decision; returns its id. */
export function proposeDecision(decision: NewDecision): Promise<string> {
  return call<string>("propose_decision", { decision });
}

/**
 * Amends an open decision (proposer); votes on the old version no longer count.
 * Returns the new version's content hash; the decision keeps its id.
 */
export function amendDecision(id: string, decision: NewDecision): Promise<string> {
  return call<string>("amend_decision", { id, decision });
}

/**
 * Signs a vote. Without `passphrase` the OS keyring must hold it, else the call fails
 * with `passphrase-needed`: ask, and call again with it.
 */
export function vote(
  id: string,
  choice: Choice,
  reason: string | null,
  passphrase: string | null,
  remember: boolean,
): Promise<DecisionDetail> {
  return call<DecisionDetail>("vote", { id, choice, reason, passphrase, remember });
}

export function withdrawDecision(id: string): Promise<void> {
  return call<void>("withdraw_decision", { id });
}

/** Writes the auditor's folder for a decision into `folder`. */
export function exportDecision(id: string, folder: string): Promise<ExportReport> {
  return call<ExportReport>("export_decision", { id, folder });
}

/** Proposes a roster change (add, remove, change role); returns the decision id. */
export function proposeRosterChange(change: RosterChange, closes: string | null): Promise<string> {
  return call<string>("propose_roster_change", { change, closes });
}

// --- sync --------------------------------------------------------------------

export function syncStatus(): Promise<SyncStatus> {
  return call<SyncStatus>("sync_status");
}

/** Reads and writes the shared folder now. Fails with `passphrase-needed` until the key is unlocked. */
export function syncNow(passphrase: string | null, remember: boolean): Promise<SyncReport> {
  return call<SyncReport>("sync_now", { passphrase, remember });
}

/** Calls `handler` after each automatic sync (the shared folder changed while the app is open). */
export function onSync(handler: (event: SyncEvent) => void): Promise<UnlistenFn> {
  return listen<SyncEvent>("sync", (e) => handler(e.payload));
}

// --- choosing files ----------------------------------------------------------

/** Asks the system for a file (`directory` for a folder); null when cancelled. */
export function choosePath(directory: boolean, save: boolean): Promise<string | null> {
  return call<string | null>("choose_path", { directory, save });
}

/** A filter that lets everything through; spread it and set the fields you need. */
export const noFilter: PartnerFilter = {
  stage: null,
  tag: null,
  search: null,
  owner: null,
  scope: null,
  limit: null,
  offset: null,
};
