//! The finance commands: `finance import|list|fund|budget`, `budget`, `report`.

use crate::render::Output;
use anyhow::Result;
use clap::{Args, Subcommand};
use countersign_core::finance::{ImportProgress, ImportStage, Source, TransactionFilter};
use countersign_core::report::{self, BalanceBy, Period};
use countersign_core::scope::Scope;
use countersign_core::Home;
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

pub fn run_report(home: &Home, command: ReportCommand, out: &Output) -> Result<()> {
    let format = |f: &ReportFormat| out.report_format(&f.format);
    match command {
        ReportCommand::Balance { by, year, source: from, format: f } => {
            let by: BalanceBy = by.parse()?;
            let lines = home.report_balance(by, year, source(from)?)?;
            out.report(format(&f)?, &lines, || report::balance_table(by, &lines));
        }
        ReportCommand::Available { year, source: from, format: f } => {
            let lines = home.report_available(year, source(from)?)?;
            out.report(format(&f)?, &lines, || report::available_table(&lines));
        }
        ReportCommand::Budget { year, source: from, format: f } => {
            let lines = home.report_budget(year, source(from)?)?;
            out.report(format(&f)?, &lines, || report::budget_table(&lines));
        }
        ReportCommand::Income { year, period, source: from, format: f } => {
            let period: Period = period.parse()?;
            let lines = home.report_income(year, period, source(from)?)?;
            out.report(format(&f)?, &lines, || report::income_table(&lines));
        }
        ReportCommand::Annual { year, threshold, source: from, format: f } => {
            let threshold = countersign_core::money::parse_amount(&threshold)?;
            let annual = home.report_annual(year, threshold, source(from)?)?;
            out.report(format(&f)?, &annual, || report::annual_table(&annual));
        }
        ReportCommand::Reconcile { year, format: f } => {
            let lines = home.report_reconcile(year)?;
            out.report(format(&f)?, &lines, || report::reconcile_table(&lines));
        }
        ReportCommand::Partners { year, format: f } => {
            let lines = home.report_partners(year)?;
            out.report(format(&f)?, &lines, || report::partners_table(&lines));
        }
    }
    Ok(())
}
