//! Decisions members sign off: [`model`] the documents and views, [`evaluate`] their
//! status, [`records`] their tables, [`governance`] the chain of roster and rules
//! versions they form, [`service`] and [`export`] what a member does with them.

pub(crate) mod evaluate;
pub(crate) mod export;
pub(crate) mod governance;
pub(crate) mod model;
pub(crate) mod records;
pub(crate) mod service;

pub use crate::members::governance::Change;
pub use crate::members::rules::DecisionKind;
pub use model::{DecisionDetail, DecisionFilter, DecisionSummary, ExportReport, NewDecision, RosterChange};
