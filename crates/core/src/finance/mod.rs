//! Finance: imported transactions, funds, budgets and the decisions that spend them.
//! [`model`] the types and checks, [`opencollective`] and [`eboekhouden`] the readers
//! of their exports, [`records`] the tables, [`service`] what a member does.

pub mod eboekhouden;
pub(crate) mod model;
pub mod opencollective;
pub(crate) mod records;
pub(crate) mod service;

pub use model::{
    BudgetLine, FundAccount, ImportProgress, ImportStage, ImportSummary, Source, TransactionFilter, TransactionPage,
    TransactionView,
};
