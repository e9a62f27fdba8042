//! Financial reports over the imported transactions, the budget lines and the approved
//! decisions with an amount. Each is a typed value (JSON for programs, TypeScript for
//! the app) and a [`Table`] (for the terminal and CSV).
//!
//! Reports read `finance_totals`, the per-month sums the database keeps (see
//! [`crate::finance::model`]), so they cost the same on ten years of data as on one; only the
//! partner contributions and significant expenses read rows, through indexes.
//!
//! Definitions (docs/finance.md states them for treasurers):
//! - amounts are net (what the balance moved by) unless said otherwise; income and
//!   expenditure show gross amounts per category, and the fees taken at source as
//!   their own expenditure line, so income − expenditure is the net result;
//! - spent: the net outflow of a fund's transactions; a transaction linked to a
//!   decision counts towards the decision's fund;
//! - committed: per approved decision with an amount, decided in the year, the amount
//!   not yet covered by linked transactions; expired decisions commit nothing;
//! - available: budget − spent − committed;
//! - opening balances (e-boekhouden's OPENING_BALANCE mutations) are balances, not
//!   income: the annual summary starts from the latest one. They and invoice payments
//!   (which settle an invoice already counted: the books are on the accrual basis) are
//!   left out of income, spending, significant expenses and the reconciliation.
//!
//! Reports other than `balance` and `reconcile` read one source: the one asked for, or
//! e-boekhouden (the authoritative ledger) when it holds transactions, else Open
//! Collective; the same money is usually in both, and adding them would count it twice.

pub(crate) mod annual;
pub(crate) mod available;
pub(crate) mod balance;
pub(crate) mod basis;
pub(crate) mod budget;
pub(crate) mod funds;
pub(crate) mod income;
pub(crate) mod partners;
pub(crate) mod reconcile;
pub(crate) mod request;
pub(crate) mod table;

pub use annual::{AnnualCurrency, AnnualReport, CategoryAmount, SignificantExpense};
pub use available::{AvailableLine, Commitment, DecisionImpact};
pub use balance::{BalanceBy, BalanceLine};
pub use budget::BudgetActualLine;
pub use income::{IncomeLine, Period};
pub use partners::PartnerContribution;
pub use reconcile::ReconcileLine;
pub use request::{Report, ReportKind, ReportRequest};
pub use table::Table;
