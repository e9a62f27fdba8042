//! TypeScript declarations of the types the desktop UI exchanges with the core,
//! generated from the Rust types (ts-rs) so they are never written twice.
//!
//! They live in `ui/src/lib/bindings/`. A test compares them with what this build
//! generates and fails on any drift; `UPDATE_BINDINGS=1 cargo test -p
//! countersign-core bindings` rewrites them.

use crate::members::roster::MemberRef;
use ts_rs::{Config, TS};

/// Every (file name, declaration) the UI imports, in a stable order.
pub fn typescript() -> Vec<(String, String)> {
    use crate::base::error::ErrorReport;
    use crate::decisions::model::{
        DecisionDetail, DecisionFilter, DecisionSummary, ExportReport, NewDecision, RosterChange, Status, VoteView,
    };
    use crate::finance::model::{
        BudgetLine, CurrencyTotal, FundAccount, ImportProgress, ImportStage, ImportSummary, Source, TransactionFilter,
        TransactionPage, TransactionView,
    };
    use crate::home::HomeInfo;
    use crate::members::role::Role;
    use crate::members::roster::{MemberInfo, RuleSet};
    use crate::members::rules::Choice;
    use crate::members::rules::DecisionKind;
    use crate::members::scope::{Scope, ScopeInfo};
    use crate::overview::{Activity, ActivityKind, Overview, Session};
    use crate::partners::model::*;
    use crate::reports::{
        AnnualCurrency, AnnualReport, AvailableLine, BalanceBy, BalanceLine, BudgetActualLine, CategoryAmount,
        Commitment, DecisionImpact, IncomeLine, PartnerContribution, Period, ReconcileLine, ReportKind, ReportRequest,
        SignificantExpense, Table,
    };
    use crate::sync::report::{BundleRef, ClockAhead, FileIssue, Fork, SyncEvent, SyncReport, SyncStatus};
    use crate::sync::workspace::WorkspaceInfo;
    let cfg = Config::new().with_large_int("number");
    let mut out = Vec::new();
    macro_rules! add {
        ($($t:ty),+ $(,)?) => {$(
            out.push((
                format!("{}.ts", <$t as TS>::ident(&cfg)),
                <$t as TS>::export_to_string(&cfg).unwrap_or_else(|e| panic!("cannot declare {}: {e}", stringify!($t))),
            ));
        )+};
    }
    add!(
        ErrorReport,
        HomeInfo,
        PartnerId,
        Kind,
        Stage,
        MemberRef,
        Claim,
        Contact,
        Interaction,
        PartnerSummary,
        PartnerDetail,
        PartnerFilter,
        NewPartner,
        PartnerUpdate,
        NewContact,
        NewInteraction,
        ClaimOutcome,
        Role,
        MemberInfo,
        RuleSet,
        Scope,
        ScopeInfo,
        WorkspaceInfo,
        BundleRef,
        FileIssue,
        Fork,
        SyncReport,
        ClockAhead,
        SyncStatus,
        DecisionKind,
        Status,
        Choice,
        DecisionSummary,
        DecisionDetail,
        VoteView,
        NewDecision,
        DecisionFilter,
        ExportReport,
        Source,
        ImportStage,
        ImportProgress,
        CurrencyTotal,
        ImportSummary,
        TransactionView,
        TransactionFilter,
        FundAccount,
        BudgetLine,
        BalanceBy,
        Period,
        Table,
        BalanceLine,
        Commitment,
        AvailableLine,
        BudgetActualLine,
        IncomeLine,
        CategoryAmount,
        SignificantExpense,
        AnnualCurrency,
        AnnualReport,
        ReconcileLine,
        PartnerContribution,
        TransactionPage,
        DecisionImpact,
        ActivityKind,
        Activity,
        Overview,
        Session,
        SyncEvent,
        RosterChange,
        ReportKind,
        ReportRequest,
    );
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn typescript_bindings_in_the_ui_match_the_rust_types() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings");
        let update = std::env::var_os("UPDATE_BINDINGS").is_some();
        if update {
            std::fs::create_dir_all(&dir).unwrap();
        }
        let mut stale = Vec::new();
        for (file, text) in super::typescript() {
            let path = dir.join(&file);
            if update {
                std::fs::write(&path, &text).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(file);
            }
        }
        assert!(
            stale.is_empty(),
            "the UI's TypeScript types have drifted from the Rust types: {stale:?}; \
             run `UPDATE_BINDINGS=1 cargo test -p countersign-core bindings` and commit ui/src/lib/bindings"
        );
    }
}
