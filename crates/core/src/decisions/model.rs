//! Decisions: proposals members sign off with their own keys.
//!
//! A decision is a canonical document ([`DecisionDoc`]); its content hash is what votes
//! bind to. Amending makes a new version with a new hash, so votes on an earlier version
//! do not count for it. A vote ([`VoteDoc`]) is a small canonical document naming the
//! workspace, the version's hash and the choice, with a detached OpenPGP signature by
//! the voter, so an auditor can check it with gpg alone (`Home::export_decision`).
//!
//! Status is never stored: [`crate::decisions::evaluate`] computes it from the versions,
//! the verified votes, the roster and rules the decision was proposed under
//! ([`crate::decisions::governance`]) and the date, the same on every laptop.

use crate::base::canonical;
use crate::base::clock::Hlc;
use crate::crypto::identity::Fingerprint;
use crate::members::governance::Change;
use crate::members::role::Role;
use crate::members::roster::MemberRef;
use crate::members::rules::{Choice, DecisionKind};
use crate::members::scope::Scope;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use ts_rs::TS;

word_enum!(
    /// Where a decision stands.
    Status, "status" {
        Open = "open",
        Approved = "approved",
        Rejected = "rejected",
        Expired = "expired",
        Withdrawn = "withdrawn",
    }
);

/// The type tag of decision documents.
pub const DECISION_DOC_TYPE: &str = "countersign.decision";
/// The type tag of vote documents.
pub const VOTE_DOC_TYPE: &str = "countersign.vote";

/// One version of a decision, canonically encoded; its SHA-256 is the content hash
/// votes bind to. Version 1's content hash is the decision's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionDoc {
    /// Always `countersign.decision`.
    #[serde(rename = "type")]
    pub doc_type: String,
    pub workspace: String,
    /// The decision's id; absent in version 1 (whose hash is the id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// The content hash of the version this one replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amends: Option<String>,
    pub version: u32,
    pub kind: DecisionKind,
    pub title: String,
    /// Markdown.
    pub body: String,
    /// A decimal string, with `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The fund or budget line the money comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund: Option<String>,
    /// Votes cast after the end of this day (UTC) do not count.
    pub closes: NaiveDate,
    /// The rule that decides it, as the rules in force name it.
    pub rule: String,
    /// The governance version (roster and rules) it was proposed under.
    pub base: String,
    pub proposer: Fingerprint,
    /// Milliseconds since 1970 when it was proposed.
    pub proposed: i64,
    /// Random, so two identical proposals are two decisions.
    pub nonce: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
}

impl DecisionDoc {
    /// The canonical bytes (what is hashed and exported).
    pub fn to_bytes(&self) -> Vec<u8> {
        canonical::to_bytes(self).unwrap_or_default()
    }

    /// The content hash: lower-case hex SHA-256 of the canonical bytes.
    pub fn content_hash(&self) -> String {
        hex::encode(Sha256::digest(self.to_bytes()))
    }

    /// The decision this version belongs to.
    pub fn id(&self) -> String {
        self.decision.clone().unwrap_or_else(|| self.content_hash())
    }

    /// The amount as a decimal (checked when proposed).
    pub fn amount(&self) -> Option<Decimal> {
        self.amount.as_deref().and_then(|a| a.parse().ok())
    }
}

/// The document a vote signs: workspace, the decision version's content hash, the choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteDoc {
    /// Always `countersign.vote`.
    #[serde(rename = "type")]
    pub doc_type: String,
    pub workspace: String,
    /// The content hash of the decision version voted on.
    pub decision: String,
    pub choice: Choice,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub signer: Fingerprint,
}

impl VoteDoc {
    /// The vote document of a `decision.vote` operation.
    pub fn of(
        workspace: &str,
        author: &Fingerprint,
        version: &str,
        choice: Choice,
        reason: Option<&String>,
    ) -> VoteDoc {
        VoteDoc {
            doc_type: VOTE_DOC_TYPE.into(),
            workspace: workspace.into(),
            decision: version.into(),
            choice,
            reason: reason.cloned(),
            signer: author.clone(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        canonical::to_bytes(self).unwrap_or_default()
    }
}

/// A stored vote.
#[derive(Debug, Clone)]
pub struct Vote {
    pub op: String,
    pub version: String,
    pub voter: Fingerprint,
    pub choice: Choice,
    pub reason: Option<String>,
    pub signature: String,
    pub seen: BTreeMap<String, u64>,
    pub hlc: Hlc,
}

/// Everything recorded about one decision.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: String,
    /// Every version, in merge order.
    pub versions: Vec<(Hlc, String, DecisionDoc)>,
    /// Every vote, in merge order (clock, voter, op id).
    pub votes: Vec<Vote>,
    /// Withdrawals by the proposer: their clock readings.
    pub withdrawals: Vec<Hlc>,
    /// Who may read it: the scope its first version was proposed in. Amendments, votes,
    /// withdrawals and links travel in it too.
    pub scope: Scope,
}

impl Record {
    /// Version 1, which fixes the proposer.
    pub fn first(&self) -> Option<&DecisionDoc> {
        self.versions.iter().map(|(_, _, d)| d).find(|d| d.version == 1 && d.decision.is_none())
    }

    /// The version in force: the highest version by the proposer (ties: latest in
    /// merge order), with its content hash.
    pub fn current(&self) -> Option<(&String, &DecisionDoc)> {
        let proposer = &self.first()?.proposer;
        self.versions
            .iter()
            .filter(|(_, _, d)| &d.proposer == proposer)
            .max_by(|a, b| (a.2.version, a.0, &a.1).cmp(&(b.2.version, b.0, &b.1)))
            .map(|(_, hash, doc)| (hash, doc))
    }
}

/// A decision in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DecisionSummary {
    pub id: String,
    pub kind: DecisionKind,
    pub title: String,
    pub status: Status,
    /// Why it has this status, in words.
    pub status_reason: String,
    pub rule: String,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub fund: Option<String>,
    pub closes: NaiveDate,
    /// The day of the vote that settled it (approved or rejected).
    pub decided: Option<NaiveDate>,
    pub proposer: MemberRef,
    pub version: u32,
    pub approvals: u32,
    pub objections: u32,
    pub abstentions: u32,
    /// Whether it is open and this member may vote and has not voted on this version.
    pub needs_me: bool,
    /// Who may read it.
    pub scope: Scope,
}

/// A vote as shown, with whether its signature verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VoteView {
    pub signer: String,
    pub signer_name: Option<String>,
    pub choice: Choice,
    pub reason: Option<String>,
    /// The signature verifies against the signer's certificate over the vote document.
    pub verified: bool,
    /// It counts towards the status (latest by an eligible member, on time, on the
    /// current version).
    pub counted: bool,
    /// The content hash of the version voted on.
    pub version: String,
    pub at: DateTime<Utc>,
}

/// A decision in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DecisionDetail {
    #[serde(flatten)]
    pub summary: DecisionSummary,
    pub body: String,
    /// The content hash of the current version: what votes sign.
    pub content_hash: String,
    /// What a roster or rules decision changes.
    pub change: Option<String>,
    pub votes: Vec<VoteView>,
    /// Approvals the rule needs (0 once decided).
    pub needed: u32,
}

/// A new decision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewDecision {
    pub kind: Option<DecisionKind>,
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// As typed: `1500`, `1500.00` or `1.500,00`.
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub fund: Option<String>,
    /// Defaults to 30 days from today.
    pub closes: Option<NaiveDate>,
    /// Who may read it; `all` when absent. Roster and rules decisions are always `all`:
    /// every member checks the roster.
    #[serde(default)]
    pub scope: Option<Scope>,
}

/// A roster change as a form sends it (the desktop's members view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum RosterChange {
    /// Add the member whose armored OpenPGP certificate this is.
    Add {
        certificate: String,
        role: Role,
    },
    Remove {
        fingerprint: String,
    },
    Role {
        fingerprint: String,
        role: Role,
    },
}

/// Filters for [`Home::decisions`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DecisionFilter {
    #[serde(default)]
    pub open: bool,
    #[serde(default)]
    pub needs_me: bool,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ExportReport {
    pub dir: String,
    pub files: Vec<String>,
}
