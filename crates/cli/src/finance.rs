//! The finance commands: `finance import|list|fund|budget`, `budget`, `report`.

use crate::render::Output;
use anyhow::Result;
use clap::{Args, Subcommand};
use countersign_core::Home;
use countersign_core::Scope;
use countersign_core::{BalanceBy, Period, ReportKind, ReportRequest};
use countersign_core::{ImportProgress, ImportStage, Source, TransactionFilter};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum FinanceCommand {
    /// Import an export: `opencollective FILE.csv` or `eboekhouden FOLDER|LEDGER-CARD`.
    #[command(subcommand)]
    Import(ImportCommand),
    /// List transactions, newest first.
    List {
        #[arg(long)]
        year: Option<i32>,
        /// opencollective or eboekhouden.
        #[arg(long)]
        source: Option<String>,
        #[arg(long)]
        fund: Option<String>,
        /// Text in the description, counterparty, account, category or id.
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long)]
        offset: Option<u32>,
    },
    /// Funds: which source accounts (Open Collective accounts, e-boekhouden cost centres) count towards which fund.
    #[command(subcommand)]
    Fund(FundCommand),
    /// Budget lines per fund and year.
    #[command(subcommand)]
    Budget(BudgetCommand),
    /// Reports (the same as `countersign report`).
    #[command(subcommand)]
    Report(ReportCommand),
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// An Open Collective transactions CSV (any of its column layouts).
    #[command(name = "opencollective")]
    OpenCollective {
        file: PathBuf,
        /// Who may read the rows: a scope your role reads.
        #[arg(long, default_value = "finance", value_parser = crate::parse_scope)]
        scope: Scope,
    },
    /// e-boekhouden: a folder of saved API responses (ledger, costcenter, relation, mutation *.json) or a ledger-card export.
    #[command(name = "eboekhouden")]
    Eboekhouden {
        path: PathBuf,
        /// Who may read the rows: a scope your role reads.
        #[arg(long, default_value = "finance", value_parser = crate::parse_scope)]
        scope: Scope,
    },
}

#[derive(Subcommand)]
pub enum FundCommand {
    /// Count a source account towards a fund: `opencollective:SLUG` or `eboekhouden:COST-CENTRE`.
    Map {
        #[arg(value_name = "SOURCE_ACCOUNT")]
        account: String,
        fund: String,
        /// Who may read the mapping.
        #[arg(long, default_value = "finance", value_parser = crate::parse_scope)]
        scope: Scope,
    },
    /// List source accounts and their funds.
    List,
}

#[derive(Subcommand)]
pub enum BudgetCommand {
    /// Set the budget line of FUND for a year.
    Set {
        fund: String,
        #[arg(long)]
        year: i32,
        /// The amount, e.g. 25000 or 25000.00.
        amount: String,
        #[arg(long, default_value = "EUR")]
        currency: String,
        /// Who may read the budget line.
        #[arg(long, default_value = "finance", value_parser = crate::parse_scope)]
        scope: Scope,
    },
    /// List budget lines.
    List {
        #[arg(long)]
        year: Option<i32>,
    },
}

#[derive(Args)]
pub struct ReportFormat {
    /// table, csv or json (`--json` also gives json).
    #[arg(long, default_value = "table")]
    format: String,
}

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Net balance grouped by account, kind, year or fund.
    Balance {
        #[arg(long, default_value = "account")]
        by: String,
        #[arg(long)]
        year: Option<i32>,
        /// Only opencollective or eboekhouden [default: both].
        #[arg(long)]
        source: Option<String>,
        #[command(flatten)]
        format: ReportFormat,
    },
    /// Per fund: budget, spent, committed by approved decisions, available.
    Available {
        /// [default: this year]
        #[arg(long)]
        year: Option<i32>,
        /// [default: eboekhouden if imported, else opencollective]
        #[arg(long)]
        source: Option<String>,
        #[command(flatten)]
        format: ReportFormat,
    },
    /// Budget against actual spending per budget line.
    Budget {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        source: Option<String>,
        #[command(flatten)]
        format: ReportFormat,
    },
    /// Income and expenditure by category, per year, quarter or month.
    Income {
        #[arg(long)]
        year: i32,
        #[arg(long, default_value = "year")]
        period: String,
        #[arg(long)]
        source: Option<String>,
        #[command(flatten)]
        format: ReportFormat,
    },
    /// The annual financial summary: opening balance, income, expenditure, significant expenses, closing balance.
    Annual {
        #[arg(long)]
        year: i32,
        /// Expenses of at least this amount are listed one by one.
        #[arg(long, default_value = "1000")]
        threshold: String,
        #[arg(long)]
        source: Option<String>,
        #[command(flatten)]
        format: ReportFormat,
    },
    /// Open Collective against e-boekhouden per month and fund, differences flagged.
    Reconcile {
        #[arg(long)]
        year: i32,
        #[command(flatten)]
        format: ReportFormat,
    },
    /// Contributions per partner, matched through the Open Collective contributor account.
    Partners {
        #[arg(long)]
        year: i32,
        #[command(flatten)]
        format: ReportFormat,
    },
}

fn source(text: Option<String>) -> Result<Option<Source>> {
    Ok(text.as_deref().map(str::parse::<Source>).transpose()?)
}

pub fn finance(home: &mut Home, command: FinanceCommand, out: &Output) -> Result<()> {
    match command {
        FinanceCommand::Import(command) => {
            let (source, path, scope) = match command {
                ImportCommand::OpenCollective { file, scope } => (Source::OpenCollective, file, scope),
                ImportCommand::Eboekhouden { path, scope } => (Source::Eboekhouden, path, scope),
            };
            let bar = out.wants_progress().then(|| {
                let bar = ProgressBar::new(0);
                bar.set_style(
                    ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} rows")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                bar
            });
            let mut report = |p: ImportProgress| {
                if let Some(bar) = &bar {
                    bar.set_message(match p.stage {
                        ImportStage::Read => "reading",
                        ImportStage::Compare => "comparing",
                        ImportStage::Record => "recording",
                    });
                    bar.set_length(p.total);
                    bar.set_position(p.done);
                }
            };
            let summary = home.import_finance(source, &path, &scope, &mut report);
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            out.import_summary(&summary?);
        }
        FinanceCommand::List { year, source: from, fund, search, limit, offset } => {
            let filter = TransactionFilter { year, source: source(from)?, fund, search, limit: Some(limit), offset };
            out.transactions(&home.transactions(&filter)?);
        }
        FinanceCommand::Fund(FundCommand::Map { account, fund, scope }) => {
            out.fund_accounts(&[home.map_fund(&account, &fund, &scope)?])
        }
        FinanceCommand::Fund(FundCommand::List) => out.fund_accounts(&home.fund_accounts()?),
        FinanceCommand::Budget(command) => budget(home, command, out)?,
        FinanceCommand::Report(command) => run_report(home, command, out)?,
    }
    Ok(())
}

pub fn budget(home: &mut Home, command: BudgetCommand, out: &Output) -> Result<()> {
    match command {
        BudgetCommand::Set { fund, year, amount, currency, scope } => {
            out.budgets(&[home.set_budget(&fund, year, &amount, &currency, &scope)?])
        }
        BudgetCommand::List { year } => out.budgets(&home.budgets(year)?),
    }
    Ok(())
}

/// Runs a report as the desktop does (`Home::report`, one request type for both) and
/// prints its value as JSON or its table as CSV or aligned text.
pub fn run_report(home: &Home, command: ReportCommand, out: &Output) -> Result<()> {
    let (request, format) = match command {
        ReportCommand::Balance { by, year, source: from, format } => {
            let by: BalanceBy = by.parse()?;
            (ReportRequest { by: Some(by), year, ..request(ReportKind::Balance, from)? }, format)
        }
        ReportCommand::Available { year, source: from, format } => {
            (ReportRequest { year, ..request(ReportKind::Available, from)? }, format)
        }
        ReportCommand::Budget { year, source: from, format } => {
            (ReportRequest { year: Some(year), ..request(ReportKind::Budget, from)? }, format)
        }
        ReportCommand::Income { year, period, source: from, format } => {
            let period: Period = period.parse()?;
            (ReportRequest { year: Some(year), period: Some(period), ..request(ReportKind::Income, from)? }, format)
        }
        ReportCommand::Annual { year, threshold, source: from, format } => {
            let threshold = Some(threshold);
            (ReportRequest { year: Some(year), threshold, ..request(ReportKind::Annual, from)? }, format)
        }
        ReportCommand::Reconcile { year, format } => {
            (ReportRequest { year: Some(year), ..request(ReportKind::Reconcile, None)? }, format)
        }
        ReportCommand::Partners { year, format } => {
            (ReportRequest { year: Some(year), ..request(ReportKind::Partners, None)? }, format)
        }
    };
    let format = out.report_format(&format.format)?;
    let report = home.report(&request)?;
    out.report(format, &report, || report.table());
    Ok(())
}

/// A request for `kind` from `source` (as typed), every other field at its default.
fn request(kind: ReportKind, from: Option<String>) -> Result<ReportRequest> {
    Ok(ReportRequest { kind, year: None, source: source(from)?, by: None, period: None, threshold: None })
}
