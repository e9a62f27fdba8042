//! A report as the adapters ask for it ([`ReportRequest`]): run, it gives the typed
//! value (JSON for programs, TypeScript for the app) and its [`Table`] for the terminal
//! and CSV, the same for the CLI and the desktop.

use crate::base::error::Result;
use crate::base::money;
use crate::finance::model::Source;
use crate::home::Home;
use crate::reports::annual::{annual_table, AnnualReport};
use crate::reports::available::{available_table, AvailableLine};
use crate::reports::balance::{balance_table, BalanceBy, BalanceLine};
use crate::reports::budget::{budget_table, BudgetActualLine};
use crate::reports::income::{income_table, IncomeLine, Period};
use crate::reports::partners::{partners_table, PartnerContribution};
use crate::reports::reconcile::{reconcile_table, ReconcileLine};
use crate::reports::table::Table;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

word_enum! {
    /// The reports, as `report KIND` names them.
    ReportKind, "report" {
        Balance = "balance",
        Available = "available",
        Budget = "budget",
        Income = "income",
        Annual = "annual",
        Reconcile = "reconcile",
        Partners = "partners",
    }
}

/// A report to run as a table (for CSV export): the kind and its options, each
/// defaulting as on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReportRequest {
    pub kind: ReportKind,
    /// Defaults to this year.
    pub year: Option<i32>,
    pub source: Option<Source>,
    /// For `balance`; defaults to account.
    pub by: Option<BalanceBy>,
    /// For `income`; defaults to year.
    pub period: Option<Period>,
    /// For `annual`: expenses from this amount are listed; defaults to 1000.
    pub threshold: Option<String>,
}

/// A report's typed value: serialised as the value itself (what `--format json`
/// prints and the app receives), with its table beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    Balance(BalanceBy, Vec<BalanceLine>),
    Available(Vec<AvailableLine>),
    Budget(Vec<BudgetActualLine>),
    Income(Vec<IncomeLine>),
    Annual(AnnualReport),
    Reconcile(Vec<ReconcileLine>),
    Partners(Vec<PartnerContribution>),
}

impl Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Report::Balance(_, lines) => lines.serialize(serializer),
            Report::Available(lines) => lines.serialize(serializer),
            Report::Budget(lines) => lines.serialize(serializer),
            Report::Income(lines) => lines.serialize(serializer),
            Report::Annual(report) => report.serialize(serializer),
            Report::Reconcile(lines) => lines.serialize(serializer),
            Report::Partners(lines) => lines.serialize(serializer),
        }
    }
}

impl Report {
    /// The report as rows of text, as `report … --format csv` prints it.
    pub fn table(&self) -> Table {
        match self {
            Report::Balance(by, lines) => balance_table(*by, lines),
            Report::Available(lines) => available_table(lines),
            Report::Budget(lines) => budget_table(lines),
            Report::Income(lines) => income_table(lines),
            Report::Annual(report) => annual_table(report),
            Report::Reconcile(lines) => reconcile_table(lines),
            Report::Partners(lines) => partners_table(lines),
        }
    }
}

impl Home {
    /// Runs `request`: what `report KIND` and the app's reports view show.
    pub fn report(&self, request: &ReportRequest) -> Result<Report> {
        let year = request.year.unwrap_or_else(|| self.this_year());
        let source = request.source;
        Ok(match request.kind {
            ReportKind::Balance => {
                let by = request.by.unwrap_or(BalanceBy::Account);
                Report::Balance(by, self.report_balance(by, request.year, source)?)
            }
            ReportKind::Available => Report::Available(self.report_available(Some(year), source)?),
            ReportKind::Budget => Report::Budget(self.report_budget(year, source)?),
            ReportKind::Income => {
                Report::Income(self.report_income(year, request.period.unwrap_or(Period::Year), source)?)
            }
            ReportKind::Annual => {
                let threshold = match &request.threshold {
                    Some(text) => money::parse_amount(text)?,
                    None => Decimal::new(1000, 0),
                };
                Report::Annual(self.report_annual(year, threshold, source)?)
            }
            ReportKind::Reconcile => Report::Reconcile(self.report_reconcile(year)?),
            ReportKind::Partners => Report::Partners(self.report_partners(year)?),
        })
    }

    /// Runs `request` and returns it as a table, as `report … --format csv` prints it.
    pub fn report_table(&self, request: &ReportRequest) -> Result<Table> {
        Ok(self.report(request)?.table())
    }
}
