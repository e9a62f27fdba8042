//! Rendering results: aligned text for people, JSON for scripts (`--json`). The JSON
//! shapes are the core's serde types, the same the desktop app receives.

use comfy_table::{presets, ContentArrangement, Table};
use countersign_core::ErrorReport;
use countersign_core::HomeInfo;
use countersign_core::QueryRows;
use countersign_core::Scope;
use countersign_core::VerifyReport;
use countersign_core::WorkspaceInfo;
use countersign_core::{BudgetLine, FundAccount, ImportSummary, TransactionView};
use countersign_core::{ClaimOutcome, PartnerDetail, PartnerSummary};
use countersign_core::{DecisionDetail, DecisionSummary, ExportReport};
use countersign_core::{FileIssue, Fork, SyncReport, SyncStatus};
use countersign_core::{Role, RuleSet};
use serde::Serialize;
use serde_json::json;
use std::io::Write;

pub struct Output {
    json: bool,
}

/// How a report is printed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

impl Output {
    pub fn new(json: bool) -> Output {
        Output { json }
    }

    /// Writes to stdout; a reader that went away (`| head`) is not an error.
    fn print(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("error: could not write the output: {e}");
                std::process::exit(1);
            }
        }
    }

    fn json<T: Serialize + ?Sized>(&self, value: &T) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => self.print(&format!("{text}\n")),
            Err(e) => eprintln!("error: could not encode the output: {e}"),
        }
    }

    /// Prints an error: the whole chain on one line, or a JSON object with a code.
    pub fn error(&self, err: &anyhow::Error) {
        let code = err.downcast_ref::<countersign_core::Error>().map_or("error", |e| e.code());
        if self.json {
            let report = ErrorReport { code: code.to_string(), message: format!("{err:#}") };
            eprintln!("{}", json!({ "error": report }));
        } else {
            eprintln!("error: {err:#}");
        }
    }

    /// Whether a progress bar helps: a person watches stderr and no JSON is asked for.
    pub fn wants_progress(&self) -> bool {
        !self.json && std::io::IsTerminal::is_terminal(&std::io::stderr())
    }

    /// The report format asked for; `--json` wins.
    pub fn report_format(&self, text: &str) -> anyhow::Result<Format> {
        if self.json {
            return Ok(Format::Json);
        }
        match text.trim().to_lowercase().as_str() {
            "table" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            other => anyhow::bail!("invalid format \"{other}\": expected table, csv or json"),
        }
    }

    /// Prints a report as JSON (its typed value), CSV or an aligned table.
    pub fn report<T: Serialize + ?Sized>(
        &self,
        format: Format,
        value: &T,
        table: impl FnOnce() -> countersign_core::Table,
    ) {
        match format {
            Format::Json => self.json(value),
            Format::Csv => self.print(&table().to_csv()),
            Format::Table => {
                let t = table();
                if t.rows.is_empty() {
                    return self.print("Nothing to report: no transactions, budgets or decisions match.\n");
                }
                let mut out = Table::new();
                out.load_preset(presets::NOTHING)
                    .set_content_arrangement(ContentArrangement::Dynamic)
                    .set_header(t.columns.iter().map(|c| c.to_uppercase()));
                for row in t.rows {
                    out.add_row(row);
                }
                self.print(&format!("{out}\n"));
            }
        }
    }

    pub fn import_summary(&self, s: &ImportSummary) {
        if self.json {
            return self.json(s);
        }
        let span = match (s.first, s.last) {
            (Some(a), Some(b)) => format!(" from {a} to {b}"),
            _ => String::new(),
        };
        let totals: Vec<String> = s.totals.iter().map(|t| format!("{} {}", t.amount, t.currency)).collect();
        self.print(&format!(
            "Imported {} ({} rows{span}): {} added, {} changed, {} unchanged.\nNet total: {}\n",
            s.file,
            s.rows,
            s.added,
            s.changed,
            s.unchanged,
            totals.join(", ")
        ));
    }

    pub fn transactions(&self, list: &[TransactionView]) {
        if self.json {
            return self.json(list);
        }
        if list.is_empty() {
            return self.print("No transactions match.\n");
        }
        let mut table = Table::new();
        table.load_preset(presets::NOTHING).set_content_arrangement(ContentArrangement::Dynamic).set_header([
            "DATE",
            "ID",
            "FUND",
            "KIND",
            "DESCRIPTION",
            "COUNTERPARTY",
            "NET",
        ]);
        for t in list {
            table.add_row([
                t.date.to_string(),
                t.id.clone(),
                t.fund.clone(),
                t.kind.clone(),
                t.description.clone(),
                t.counterparty_name.clone().or_else(|| t.counterparty.clone()).unwrap_or_default(),
                format!("{} {}", t.net, t.currency),
            ]);
        }
        self.print(&format!("{table}\n"));
    }

    pub fn fund_accounts(&self, list: &[FundAccount]) {
        if self.json {
            return self.json(list);
        }
        let mut table = Table::new();
        table.load_preset(presets::NOTHING).set_header(["SOURCE ACCOUNT", "FUND", "MAPPED", "TRANSACTIONS"]);
        for a in list {
            table.add_row([
                a.account.clone(),
                a.fund.clone(),
                if a.mapped { "yes" } else { "no (own name)" }.to_string(),
                a.transactions.to_string(),
            ]);
        }
        self.print(&format!("{table}\n"));
    }

    pub fn budgets(&self, list: &[BudgetLine]) {
        if self.json {
            return self.json(list);
        }
        let mut table = Table::new();
        table.load_preset(presets::NOTHING).set_header(["YEAR", "FUND", "BUDGET"]);
        for b in list {
            table.add_row([b.year.to_string(), b.fund.clone(), format!("{} {}", b.amount, b.currency)]);
        }
        self.print(&format!("{table}\n"));
    }

    pub fn linked(&self, decision: &str, transactions: &[String]) {
        if self.json {
            return self.json(&json!({"decision": decision, "transactions": transactions}));
        }
        self.print(&format!(
            "Linked {} transaction{} to decision {}: {}\n",
            transactions.len(),
            if transactions.len() == 1 { "" } else { "s" },
            &decision[..12.min(decision.len())],
            transactions.join(", ")
        ));
    }

    pub fn message(&self, status: &str, text: &str) {
        if self.json {
            self.json(&json!({"status": status, "message": text}));
        } else {
            self.print(&format!("{text}\n"));
        }
    }

    pub fn home_created(&self, info: &HomeInfo) {
        if self.json {
            return self.json(info);
        }
        self.print(&format!(
            "Created the home of {} <{}> in {}\nKey fingerprint: {}\n\
             Share your public certificate with `countersign key export`.\n",
            info.name, info.email, info.home, info.fingerprint
        ));
    }

    pub fn home_info(&self, info: &HomeInfo) {
        if self.json {
            return self.json(info);
        }
        let demo = if info.demo { " (demo home: invented records)" } else { "" };
        self.print(&format!(
            "{} <{}>{demo}\nfingerprint: {}\ndevice:      {}\nhome:        {}\n",
            info.name, info.email, info.fingerprint, info.device, info.home
        ));
    }

    pub fn certificate(&self, fingerprint: &str, armored: &str) {
        if self.json {
            return self.json(&json!({"fingerprint": fingerprint, "certificate": armored}));
        }
        self.print(armored);
    }

    pub fn digest(&self, digest: &str) {
        if self.json {
            return self.json(&json!({"digest": digest}));
        }
        self.print(&format!("{digest}\n"));
    }

    /// The verification report; problems are listed before the failure message.
    pub fn verify(&self, report: &VerifyReport) {
        if self.json {
            return self.json(report);
        }
        let mut text = String::new();
        text.push_str(&format!(
            "Operation log: {} operations ({} waiting to be written, {} in bundles).\n",
            report.operations, report.pending, report.bundled
        ));
        text.push_str(&format!(
            "Bundles: {} applied here, each checked in the folder and read again. Transactions: {}.\n",
            report.bundles, report.transactions
        ));
        match &report.rebuilt_digest {
            Some(rebuilt) if *rebuilt == report.digest => {
                text.push_str(&format!("Database: equal to a fresh rebuild (digest {}).\n", report.digest))
            }
            Some(rebuilt) => {
                text.push_str(&format!("Database: digest {}, a fresh rebuild gives {}.\n", report.digest, rebuilt))
            }
            None => text.push_str(&format!("Database: digest {}; the rebuild failed.\n", report.digest)),
        }
        for note in &report.notes {
            text.push_str(&format!("Note: {note}\n"));
        }
        if report.ok {
            text.push_str("Verified: no problems found.\n");
        } else {
            text.push_str(&format!("{} problem(s):\n", report.problems.len()));
            for problem in &report.problems {
                text.push_str(&format!("  [{}] {}\n", problem.check, problem.message));
            }
        }
        self.print(&text);
    }

    /// Rows of a SQL query: one line per row, values separated by `|` (NULL empty),
    /// like sqlite3; in JSON, one object per row.
    pub fn query_rows(&self, result: &QueryRows) {
        if self.json {
            let objects: Vec<serde_json::Map<String, serde_json::Value>> = result
                .rows
                .iter()
                .map(|row| result.columns.iter().cloned().zip(row.iter().cloned()).collect())
                .collect();
            return self.json(&objects);
        }
        let mut text = String::new();
        for row in &result.rows {
            let values: Vec<String> = row
                .iter()
                .map(|value| match value {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            text.push_str(&values.join("|"));
            text.push('\n');
        }
        self.print(&text);
    }

    /// The canonical dump of the records: lines of JSON arrays already, so the same
    /// text with or without `--json`.
    pub fn records(&self, dump: &str) {
        self.print(dump);
    }

    pub fn partner(&self, partner: &PartnerSummary) {
        if self.json {
            return self.json(partner);
        }
        self.print(&format!("{} ({}, {}, scope {})\n", partner.name, partner.kind, partner.stage, partner.scope));
    }

    pub fn partners(&self, partners: &[PartnerSummary]) {
        if self.json {
            return self.json(partners);
        }
        if partners.is_empty() {
            return self.print("No organisations match.\n");
        }
        let mut table = Table::new();
        table.load_preset(presets::NOTHING).set_content_arrangement(ContentArrangement::Dynamic).set_header([
            "NAME",
            "KIND",
            "STAGE",
            "OWNER",
            "TAGS",
            "LAST CONTACT",
            "CLAIMED BY",
            "SCOPE",
        ]);
        for p in partners {
            table.add_row([
                p.name.clone(),
                p.kind.to_string(),
                p.stage.to_string(),
                p.owner.as_ref().map(ToString::to_string).unwrap_or_default(),
                p.tags.join(", "),
                p.last_contact.map(|d| d.to_string()).unwrap_or_default(),
                p.claims.iter().map(|c| format!("{} until {}", c.member, c.until)).collect::<Vec<_>>().join("; "),
                p.scope.to_string(),
            ]);
        }
        let count = partners.len();
        self.print(&format!("{table}\n{count} organisation{}\n", if count == 1 { "" } else { "s" }));
    }

    pub fn partner_detail(&self, detail: &PartnerDetail) {
        if self.json {
            return self.json(detail);
        }
        let p = &detail.summary;
        let mut text = format!("{} ({}, {})\n", p.name, p.kind, p.stage);
        let mut field = |label: &str, value: String| {
            if !value.is_empty() {
                text.push_str(&format!("  {label:<9}{value}\n"));
            }
        };
        field("scope", format!("{} (who may read it)", p.scope));
        field("website", p.website.clone().unwrap_or_default());
        field("owner", p.owner.as_ref().map(ToString::to_string).unwrap_or_default());
        field("tags", p.tags.join(", "));
        for claim in &p.claims {
            field("claimed", format!("by {} until {}", claim.member, claim.until));
        }
        field("notes", detail.notes.clone().unwrap_or_default());
        text.push_str("\nContacts\n");
        if detail.contacts.is_empty() {
            text.push_str("  none yet\n");
        }
        for c in &detail.contacts {
            let email = c.email.as_deref().map(|e| format!(" <{e}>")).unwrap_or_default();
            let role = c.role.as_deref().map(|r| format!(", {r}")).unwrap_or_default();
            text.push_str(&format!("  {}{email}{role}{}\n", c.name, scope_mark(&c.scope, &p.scope)));
        }
        text.push_str("\nContact log (newest first)\n");
        if detail.interactions.is_empty() {
            text.push_str("  none yet\n");
        }
        for i in &detail.interactions {
            let mark = scope_mark(&i.scope, &p.scope);
            text.push_str(&format!("  {}  {:<8} {}: {}{mark}\n", i.date, i.channel, i.member, i.summary));
            if let Some(next) = &i.next_step {
                let due = i.due.map(|d| format!(" (due {d})")).unwrap_or_default();
                text.push_str(&format!("  {:<10}  next: {next}{due}\n", ""));
            }
        }
        self.print(&text);
    }

    pub fn claim(&self, outcome: &ClaimOutcome) {
        for other in &outcome.overridden {
            eprintln!("warning: went ahead despite the claim of {} until {}", other.member, other.until);
        }
        if self.json {
            return self.json(outcome);
        }
        self.print(&format!("You have claimed {} until {}.\n", outcome.partner, outcome.until));
    }

    pub fn workspace(&self, ws: &WorkspaceInfo) {
        if self.json {
            return self.json(ws);
        }
        let mut text = format!(
            "{}\n  id:      {}\n  folder:  {}\n  created: {}\n\nRoster\n",
            ws.name,
            ws.id,
            ws.folder,
            ws.created.format("%Y-%m-%d %H:%M UTC")
        );
        for m in &ws.roster {
            text.push_str(&format!("  {:<10} {} <{}>  {}\n", m.role.as_str(), m.name, m.email, m.fingerprint));
        }
        self.print(&text);
    }

    pub fn sync_report(&self, report: &SyncReport) {
        if self.json {
            return self.json(report);
        }
        let ops = |refs: &[countersign_core::BundleRef]| refs.iter().map(|r| r.operations as usize).sum::<usize>();
        let mut text = format!(
            "Written: {} bundle(s), {} operation(s)\nApplied: {} bundle(s), {} operation(s)\n",
            report.written.len(),
            ops(&report.written),
            report.applied.len(),
            ops(&report.applied)
        );
        issues(&mut text, "Waiting", &report.waiting);
        issues(&mut text, "Rejected", &report.rejected);
        forks(&mut text, &report.forks);
        sealed(&mut text, report.sealed);
        for ahead in &report.ahead {
            text.push_str(&format!("Clock: {}\n", ahead.message));
        }
        self.print(&text);
    }

    pub fn sync_status(&self, status: &SyncStatus) {
        if self.json {
            return self.json(status);
        }
        let last = status.last_sync.map_or("never".to_string(), |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string());
        let mut text = format!(
            "Folder:  {}\nLast sync: {last}\nPending: {} operation(s) not yet written\n",
            status.folder, status.pending_operations
        );
        issues(&mut text, "Waiting", &status.waiting);
        issues(&mut text, "Rejected", &status.rejected);
        forks(&mut text, &status.forks);
        sealed(&mut text, status.sealed);
        self.print(&text);
    }
}

impl Output {
    /// The id of a new decision: `{"id": …}` with --json.
    pub fn decision_id(&self, id: &str) {
        if self.json {
            self.json(&json!({ "id": id }));
        } else {
            self.print(&format!("{id}\n"));
        }
    }

    pub fn decision(&self, d: &DecisionDetail) {
        if self.json {
            return self.json(d);
        }
        let s = &d.summary;
        let mut text = format!(
            "{}  [{}]\n  id:       {}\n  kind:     {}\n  scope:    {}\n",
            s.title, s.status, s.id, s.kind, s.scope
        );
        if let (Some(amount), Some(currency)) = (&s.amount, &s.currency) {
            text.push_str(&format!("  amount:   {amount} {currency}\n"));
        }
        if let Some(fund) = &s.fund {
            text.push_str(&format!("  fund:     {fund}\n"));
        }
        if let Some(change) = &d.change {
            text.push_str(&format!("  change:   {change}\n"));
        }
        text.push_str(&format!(
            "  rule:     {}\n  status:   {} ({})\n  closes:   {}\n  proposer: {}\n  version:  {} (content hash {})\n",
            s.rule,
            s.status,
            s.status_reason,
            s.closes,
            s.proposer.name.as_deref().unwrap_or(&s.proposer.fingerprint),
            s.version,
            d.content_hash
        ));
        if !d.body.is_empty() {
            text.push_str(&format!("\n{}\n", d.body.trim_end()));
        }
        text.push_str(&format!(
            "\nVotes ({} approve, {} object, {} abstain)\n",
            s.approvals, s.objections, s.abstentions
        ));
        for v in &d.votes {
            let mark = if v.verified { "verified" } else { "NOT VERIFIED" };
            let counted = if v.counted { "" } else { "  (does not count)" };
            let reason = v.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
            text.push_str(&format!(
                "  {:<8} {} {}  {}  {}{counted}{reason}\n",
                v.choice.as_str(),
                v.signer_name.as_deref().unwrap_or("?"),
                v.signer,
                v.at.format("%Y-%m-%d %H:%M"),
                mark
            ));
        }
        self.print(&text);
    }

    pub fn decisions(&self, list: &[DecisionSummary]) {
        if self.json {
            return self.json(list);
        }
        if list.is_empty() {
            return self.print("No decisions.\n");
        }
        let mut table = Table::new();
        table.load_preset(presets::NOTHING).set_content_arrangement(ContentArrangement::Dynamic);
        table.set_header(vec!["ID", "STATUS", "KIND", "TITLE", "AMOUNT", "VOTES", "CLOSES", "SCOPE", ""]);
        for d in list {
            let amount = match (&d.amount, &d.currency) {
                (Some(a), Some(c)) => format!("{a} {c}"),
                _ => String::new(),
            };
            table.add_row(vec![
                d.id[..12].to_string(),
                d.status.to_string(),
                d.kind.to_string(),
                d.title.clone(),
                amount,
                format!("{}/{}/{}", d.approvals, d.objections, d.abstentions),
                d.closes.to_string(),
                d.scope.to_string(),
                if d.needs_me { "needs you".into() } else { String::new() },
            ]);
        }
        self.print(&format!("{table}\n"));
    }

    pub fn export(&self, report: &ExportReport) {
        if self.json {
            return self.json(report);
        }
        self.print(&format!(
            "Wrote {} files to {}; its README.md gives the gpg commands that verify every vote.\n",
            report.files.len(),
            report.dir
        ));
    }

    pub fn rules(&self, rules: &RuleSet) {
        if self.json {
            return self.json(rules);
        }
        let mut text = String::from("Decisions\n");
        for (kind, rule) in &rules.decisions {
            text.push_str(&format!("  {kind:<20} {rule}\n"));
        }
        text.push_str(&format!(
            "\nApproved funding expires after {} months.\n\nWho reads what\n",
            rules.funding_expiry_months
        ));
        for role in Role::ALL {
            let scopes: Vec<String> =
                rules.scopes().into_iter().filter(|s| rules.reads(*role, s)).map(|s| s.to_string()).collect();
            text.push_str(&format!("  {:<20} {}\n", role.as_str(), scopes.join(", ")));
        }
        text.push_str(
            "\nEvery role reads `all`. Bundles of a scope are encrypted only to the members whose role reads it.\n\
             Removing a member or changing their role stops new bundles from reaching them; what they\n\
             could read before stays readable to them.\n",
        );
        self.print(&text);
    }
}

fn issues(text: &mut String, label: &str, list: &[FileIssue]) {
    text.push_str(&format!("{label}: {}\n", list.len()));
    for issue in list {
        text.push_str(&format!("  {}\n    {}\n", issue.file, issue.reason));
    }
}

/// A note or contact's scope, when it differs from its organisation's.
fn scope_mark(scope: &Scope, record: &Scope) -> String {
    if scope == record {
        String::new()
    } else {
        format!("  [{scope}]")
    }
}

fn sealed(text: &mut String, count: u32) {
    if count > 0 {
        text.push_str(&format!(
            "Sealed: {count} bundle(s) for scopes your role does not read (left unopened; not an error)\n"
        ));
    }
}

fn forks(text: &mut String, list: &[Fork]) {
    text.push_str(&format!("Forks: {}\n", list.len()));
    for fork in list {
        text.push_str(&format!("  {} device {} at {}: {}\n", fork.author, fork.device, fork.seq, fork.reason));
        for file in &fork.files {
            text.push_str(&format!("    {file}\n"));
        }
    }
}
