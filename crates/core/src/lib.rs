//! Countersign's core: everything that matters, with no GUI, Tauri or CLI in sight.
//!
//! A member's [`Home`] holds their OpenPGP key, the append-only log of
//! [`Operation`]s and the SQLite view derived from it. Every change a member makes
//! becomes an operation: canonically encoded ([`formats::canonical`]), appended to the
//! log and applied to the database with a per-field last-writer-wins merge ordered by
//! hybrid logical clock, then author. Operations travel between members as signed,
//! encrypted bundles ([`formats::envelope`], [`formats::bundle`]) through a shared
//! folder ([`Home::sync`]). The CLI and the desktop shell are adapters over the
//! functions here; ARCHITECTURE.md maps the layers.

// The layers and features, private: base, crypto, the features' models, engine, their
// records, home, sync, their services and reports, then this surface. A file imports
// only from its own layer or those below (tests/layers.rs lists the layers and checks
// it). ARCHITECTURE.md is the map.
#[macro_use]
mod base;
pub mod bindings;
mod crypto;
mod decisions;
mod demo;
mod engine;
mod finance;
mod home;
mod members;
mod overview;
mod partners;
mod reports;
#[cfg(test)]
mod scenarios;
mod sync;

// The surface the adapters (CLI, desktop), the end-to-end tests, the benchmarks and
// the fuzz targets use; everything else is the core's own.
pub use base::clock::{Clock, FixedClock, Hlc, SystemClock};
pub use base::error::{Error, ErrorReport, Result};
pub use base::files::write_atomically;
pub use base::money::parse_amount;
pub use crypto::identity::Fingerprint;
pub use crypto::key::{Passphrase, SecretKey, UnlockedKey};
pub use crypto::keyring::PassphraseKeyring;
pub use crypto::passphrase_sources::{PassphraseOrigin, PassphraseSources, PASSPHRASE_ENV};
pub use decisions::{
    Change, DecisionDetail, DecisionFilter, DecisionKind, DecisionSummary, ExportReport, NewDecision, RosterChange,
};
pub use demo::{create as create_demo, DEMO_PASSPHRASE};
pub use engine::operation::{OpBody, OpId, Operation, PartnerChanges};
pub use engine::store::QueryRows;
pub use finance::{
    BudgetLine, FundAccount, ImportProgress, ImportStage, ImportSummary, Source, TransactionFilter, TransactionPage,
    TransactionView,
};
pub use home::{default_dir, demo_dir, Home, HomeInfo, KeySource};
pub use members::{Choice, Role, RosterMember, Rule, RuleSet, Scope, ScopeInfo};
pub use overview::{Overview, Session};
pub use partners::{
    ClaimOutcome, Kind, NewContact, NewInteraction, NewPartner, PartnerDetail, PartnerFilter, PartnerId,
    PartnerSummary, PartnerUpdate, Stage,
};
pub use reports::{
    AnnualReport, AvailableLine, BalanceBy, BalanceLine, BudgetActualLine, DecisionImpact, IncomeLine, Period, Report,
    ReportKind, ReportRequest, Table,
};
pub use sync::report::{BundleRef, ClockAhead, FileIssue, Fork, SyncEvent, SyncReport, SyncStatus};
pub use sync::verify::VerifyReport;
pub use sync::workspace::{list_workspaces, WorkspaceInfo};

/// The formats on disk and in the shared folder, for the tests that tamper with them
/// and the fuzz targets that read them.
pub mod formats {
    pub use crate::base::canonical;
    pub use crate::crypto::envelope;
    pub use crate::engine::bundle;
    pub use crate::finance::{eboekhouden, opencollective};
}
