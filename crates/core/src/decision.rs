//! Decisions: proposals members sign off with their own keys.
//!
//! A decision is a canonical document ([`DecisionDoc`]); its content hash is what votes
//! bind to. Amending makes a new version with a new hash, so votes on an earlier version
//! do not count for it. A vote ([`VoteDoc`]) is a small canonical document naming the
//! workspace, the version's hash and the choice, with a detached OpenPGP signature by
//! the voter, so an auditor can check it with gpg alone ([`Home::export_decision`]).
//!
//! Status is never stored: [`evaluate`] computes it from the versions, the verified votes,
//! the roster and rules the decision was proposed under ([`crate::governance`]) and the
//! date, the same on every laptop.

use crate::canonical;
use crate::clock::Hlc;
use crate::envelope;
use crate::error::{Error, Result};
use crate::governance::{GovVersion, Governance};
use crate::home::Home;
use crate::key::UnlockedKey;
use crate::operation::{Fingerprint, OpBody, OpId, Operation};
use crate::partner::MemberRef;
use crate::roster::{Role, RosterMember, RuleSet};
use crate::rules::{Choice, Outcome};
use crate::scope::Scope;
use chrono::{DateTime, Days, Months, NaiveDate, TimeZone, Utc};
use rusqlite::{params, Connection, Transaction};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use ts_rs::TS;

word_enum!(
    /// What a decision is about; the rule set names a rule per kind.
    DecisionKind, "decision kind" {
        Budget = "budget",
        Spending = "spending",
        Sponsorship = "sponsorship",
        WrittenResolution = "written-resolution",
        Roster = "roster",
        Rules = "rules",
        Other = "other",
    }
);

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

impl DecisionKind {
    /// Roster and rules decisions change who decides and how: they form the
    /// governance chain and are decided under the roster in force right before them.
    pub fn is_governance(self) -> bool {
        matches!(self, DecisionKind::Roster | DecisionKind::Rules)
    }

    /// Kinds whose approved amount is funding, which expires.
    pub fn is_funding(self) -> bool {
        matches!(self, DecisionKind::Budget | DecisionKind::Spending | DecisionKind::Sponsorship)
    }
}

/// What a roster or rules decision changes once approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Change {
    /// Adds a member with a role and certificate.
    #[serde(rename = "member.add")]
    MemberAdd { member: RosterMember },
    /// Removes a member: their bundles after the point of removal are refused.
    #[serde(rename = "member.remove")]
    MemberRemove { fingerprint: Fingerprint },
    /// Changes a member's role.
    #[serde(rename = "member.role")]
    MemberRole { fingerprint: Fingerprint, role: Role },
    /// Replaces a member's key: the old one is removed, the new one serves in its role.
    #[serde(rename = "member.replace")]
    MemberReplace { old: Fingerprint, member: RosterMember },
    /// Replaces the rule set.
    #[serde(rename = "rules.set")]
    RulesSet { rules: RuleSet },
}

impl Change {
    /// The member a removal or key replacement takes off the roster: they do not
    /// vote on it.
    pub fn removes(&self) -> Option<&Fingerprint> {
        match self {
            Change::MemberRemove { fingerprint } => Some(fingerprint),
            Change::MemberReplace { old, .. } => Some(old),
            _ => None,
        }
    }

    /// One line saying what it does.
    pub fn describe(&self) -> String {
        match self {
            Change::MemberAdd { member } => {
                format!("add {} <{}> ({}) as {}", member.name, member.email, member.fingerprint, member.role)
            }
            Change::MemberRemove { fingerprint } => format!("remove {fingerprint}"),
            Change::MemberRole { fingerprint, role } => format!("make {fingerprint} {role}"),
            Change::MemberReplace { old, member } => format!("replace key {old} by {}", member.fingerprint),
            Change::RulesSet { .. } => "replace the rule set".into(),
        }
    }
}

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

/// Checks the signature of a `decision.vote` operation against the voter's
/// certificate; the reason it is refused otherwise. Run on every bundle before it is
/// applied, so only verified votes are ever stored.
pub fn check_vote(
    workspace: &str,
    op: &Operation,
    certs: &BTreeMap<Fingerprint, sequoia_openpgp::Cert>,
    now: DateTime<Utc>,
) -> std::result::Result<(), String> {
    let OpBody::DecisionVote { version, choice, reason, signature, .. } = &op.body else {
        return Ok(());
    };
    let Some(cert) = certs.get(&op.author) else {
        return Err(format!("it holds a vote by {}, who is not on the roster", op.author));
    };
    let doc = VoteDoc::of(workspace, &op.author, version, *choice, reason.as_ref());
    envelope::verify_detached(&doc.to_bytes(), signature, cert, now)
        .map_err(|e| format!("it holds a vote whose signature does not match its vote document ({e})"))
}

// ---------------------------------------------------------------------------
// Applying operations: every table is append-only, keyed by content hash or op id.

pub(crate) fn apply(tx: &Transaction<'_>, op: &Operation, id: &OpId) -> Result<()> {
    match &op.body {
        OpBody::DecisionPropose { document } => {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO decision_versions (hash, decision, version, kind, author, doc, hlc_ms, hlc_n, scope)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                document.content_hash(),
                document.id(),
                document.version,
                document.kind.as_str(),
                op.author.as_str(),
                String::from_utf8_lossy(&document.to_bytes()),
                op.hlc.ms,
                op.hlc.n,
                op.scope.as_str()
            ])?;
        }
        OpBody::DecisionVote { decision, version, choice, reason, signature, seen } => {
            let seen = seen
                .as_ref()
                .map(|s| String::from_utf8_lossy(&canonical::to_bytes(s).unwrap_or_default()).into_owned());
            tx.prepare_cached(
                "INSERT OR IGNORE INTO votes (id, decision, version, voter, choice, reason, signature, seen, hlc_ms, hlc_n)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                id.0,
                decision,
                version,
                op.author.as_str(),
                choice.as_str(),
                reason,
                signature,
                seen,
                op.hlc.ms,
                op.hlc.n
            ])?;
        }
        OpBody::DecisionWithdraw { decision } => {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO withdrawals (id, decision, member, hlc_ms, hlc_n) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![id.0, decision, op.author.as_str(), op.hlc.ms, op.hlc.n])?;
        }
        _ => {}
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Loading and evaluating.

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

/// Loads decision `id` (full id), if recorded.
pub fn load(conn: &Connection, id: &str) -> Result<Option<Record>> {
    let mut versions = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT hash, doc, hlc_ms, hlc_n, scope FROM decision_versions WHERE decision = ?1 ORDER BY hlc_ms, hlc_n, hash",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            Hlc { ms: r.get(2)?, n: r.get(3)? },
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut scope = None;
    for row in rows {
        let (hash, doc, hlc, doc_scope) = row?;
        let doc: DecisionDoc = canonical::from_bytes(doc.as_bytes())?;
        if doc.decision.is_none() || scope.is_none() {
            scope = Some(Scope::parse(&doc_scope)?);
        }
        versions.push((hlc, hash, doc));
    }
    if versions.is_empty() {
        return Ok(None);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT id, version, voter, choice, reason, signature, seen, hlc_ms, hlc_n FROM votes
         WHERE decision = ?1 ORDER BY hlc_ms, hlc_n, voter, id",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
            Hlc { ms: r.get(7)?, n: r.get(8)? },
        ))
    })?;
    let mut votes = Vec::new();
    for row in rows {
        let (op, version, voter, choice, reason, signature, seen, hlc) = row?;
        votes.push(Vote {
            op,
            version,
            voter: Fingerprint::parse(&voter)?,
            choice: choice.parse()?,
            reason,
            signature,
            seen: seen.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
            hlc,
        });
    }
    let mut stmt = conn
        .prepare_cached("SELECT member, hlc_ms, hlc_n FROM withdrawals WHERE decision = ?1 ORDER BY hlc_ms, hlc_n")?;
    let rows = stmt.query_map([id], |r| Ok((r.get::<_, String>(0)?, Hlc { ms: r.get(1)?, n: r.get(2)? })))?;
    let mut withdrawn_by = Vec::new();
    for row in rows {
        withdrawn_by.push(row?);
    }
    let scope = scope.unwrap_or_default();
    let mut record = Record { id: id.to_string(), versions, votes, withdrawals: Vec::new(), scope };
    let proposer = record.first().map(|d| d.proposer.to_string());
    record.withdrawals =
        withdrawn_by.into_iter().filter(|(m, _)| Some(m) == proposer.as_ref()).map(|(_, hlc)| hlc).collect();
    Ok(Some(record))
}

/// The ids of every decision, newest first.
pub fn all_ids(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT decision, min(hlc_ms) AS first FROM decision_versions GROUP BY decision ORDER BY first DESC, decision",
    )?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What [`evaluate`] found.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub status: Status,
    /// Why, in words.
    pub reason: String,
    /// The clause that decides it, as text.
    pub rule: String,
    /// Members whose vote counts.
    pub eligible: BTreeSet<Fingerprint>,
    /// The votes that count (latest per voter on the current version, before closing).
    pub counted: Vec<Vote>,
    /// The vote that decided it, if decided.
    pub decided_by: Option<Vote>,
    pub approvals: u32,
    pub objections: u32,
    pub abstentions: u32,
    pub needed: u32,
}

/// The end of a closing day, in milliseconds: votes after it do not count.
fn closing_ms(closes: NaiveDate) -> i64 {
    closes.and_hms_milli_opt(23, 59, 59, 999).map_or(i64::MAX, |t| t.and_utc().timestamp_millis())
}

/// Decides a decision's status from its record, the governance version it was
/// proposed under and `now`. Deterministic: the same inputs give the same status on
/// every laptop. `base` is None when this home has not (yet) seen that version.
pub fn evaluate(record: &Record, base: Option<&GovVersion>, now: DateTime<Utc>) -> Evaluation {
    let mut eval = Evaluation {
        status: Status::Open,
        reason: String::new(),
        rule: String::new(),
        eligible: BTreeSet::new(),
        counted: Vec::new(),
        decided_by: None,
        approvals: 0,
        objections: 0,
        abstentions: 0,
        needed: 0,
    };
    let Some((hash, doc)) = record.current() else {
        eval.status = Status::Rejected;
        eval.reason = "its first version is missing".into();
        return eval;
    };
    eval.rule = doc.rule.clone();
    let Some(base) = base else {
        eval.reason = "it was proposed under a roster change this home has not received yet; sync".into();
        return eval;
    };
    let rule = match base.rules.rule_for(doc.kind, doc.amount()) {
        Ok(rule) => rule,
        Err(e) => {
            eval.status = Status::Rejected;
            eval.reason = format!("the rules in force have no usable rule for it ({e})");
            return eval;
        }
    };
    let clause = rule.clause_for(doc.amount()).clone();
    if clause.to_string() != doc.rule {
        eval.status = Status::Rejected;
        eval.reason = format!("it names the rule \"{}\" but the rules in force say \"{clause}\"", doc.rule);
        return eval;
    }
    let excluded = doc.change.as_ref().and_then(Change::removes);
    eval.eligible = base
        .roster
        .iter()
        .filter(|(fpr, role)| **role == clause.role() && Some(*fpr) != excluded)
        .map(|(fpr, _)| fpr.clone())
        .collect();
    let close = closing_ms(doc.closes);
    let on_time: Vec<&Vote> = record.votes.iter().filter(|v| &v.version == hash && v.hlc.ms <= close).collect();
    let ballots: Vec<(Fingerprint, Choice)> = on_time.iter().map(|v| (v.voter.clone(), v.choice)).collect();
    let outcome = clause.tally(&eval.eligible, &ballots);
    let withdrawn_before = |hlc: Option<Hlc>| record.withdrawals.iter().any(|w| hlc.is_none_or(|h| *w < h));
    let counted_up_to = |end: usize| {
        let mut latest: BTreeMap<Fingerprint, Vote> = BTreeMap::new();
        for v in &on_time[..end] {
            if eval.eligible.contains(&v.voter) {
                latest.insert(v.voter.clone(), (*v).clone());
            }
        }
        latest.into_values().collect::<Vec<_>>()
    };
    match outcome {
        Outcome::Approved { at } => {
            eval.counted = counted_up_to(at + 1);
            eval.decided_by = Some(on_time[at].clone());
            if withdrawn_before(Some(on_time[at].hlc)) {
                eval.status = Status::Withdrawn;
                eval.reason = "withdrawn by the proposer".into();
            } else {
                eval.status = Status::Approved;
                eval.reason = format!("approved under \"{clause}\"");
                let expiry = base.rules.funding_expiry_months;
                let decided = Utc.timestamp_millis_opt(on_time[at].hlc.ms).single().unwrap_or_default();
                if doc.kind.is_funding() && doc.amount.is_some() {
                    if let Some(expires) = decided.checked_add_months(Months::new(expiry)) {
                        if now >= expires {
                            eval.status = Status::Expired;
                            eval.reason = format!(
                                "approved on {}; approved funding expires after {expiry} months",
                                decided.date_naive()
                            );
                        }
                    }
                }
            }
        }
        Outcome::Rejected { at, reason } => {
            let end = at.map_or(0, |i| i + 1);
            eval.counted = counted_up_to(end);
            eval.decided_by = at.map(|i| on_time[i].clone());
            if withdrawn_before(at.map(|i| on_time[i].hlc)) {
                eval.status = Status::Withdrawn;
                eval.reason = "withdrawn by the proposer".into();
            } else {
                eval.status = Status::Rejected;
                eval.reason = reason;
            }
        }
        Outcome::Open { needed, .. } => {
            eval.counted = counted_up_to(on_time.len());
            eval.needed = needed;
            if !record.withdrawals.is_empty() {
                eval.status = Status::Withdrawn;
                eval.reason = "withdrawn by the proposer".into();
            } else if now.timestamp_millis() > close {
                eval.status = Status::Rejected;
                eval.reason = format!("closed on {} without the votes \"{clause}\" requires", doc.closes);
            } else {
                eval.reason = format!("open until {}; needs {needed} approvals under \"{clause}\"", doc.closes);
            }
        }
    }
    for v in &eval.counted {
        match v.choice {
            Choice::Approve => eval.approvals += 1,
            Choice::Object => eval.objections += 1,
            Choice::Abstain => eval.abstentions += 1,
        }
    }
    eval
}

// ---------------------------------------------------------------------------
// Views and requests.

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

impl Home {
    /// Resolves a decision id or a unique prefix of at least 6 digits.
    pub fn resolve_decision(&self, prefix: &str) -> Result<String> {
        let p = prefix.trim().to_lowercase();
        if p.len() < 6 || !p.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::UnknownDecision(prefix.to_string()));
        }
        let mut stmt = self.db().prepare_cached(
            "SELECT DISTINCT decision FROM decision_versions WHERE decision >= ?1 AND decision < ?1 || 'g' LIMIT 2",
        )?;
        let ids: Vec<String> = stmt.query_map([&p], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        match ids.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(Error::UnknownDecision(prefix.to_string())),
            _ => Err(Error::invalid("decision id", prefix, "several decisions start with it; give more digits")),
        }
    }

    fn governance(&self) -> Result<Governance> {
        Governance::load(self.db())
    }

    /// Proposes a decision; returns its id. Roster and rules decisions carry `change`.
    pub fn propose_decision(&mut self, request: NewDecision, change: Option<Change>) -> Result<String> {
        let workspace = self.workspace_id()?;
        let gov = self.governance()?;
        let head = gov.head();
        self.require_member(head)?;
        let kind = match (&change, request.kind) {
            (Some(Change::RulesSet { .. }), _) => DecisionKind::Rules,
            (Some(_), _) => DecisionKind::Roster,
            (None, Some(kind)) if kind.is_governance() => {
                return Err(Error::invalid(
                    "decision kind",
                    kind.as_str(),
                    "roster and rules decisions are proposed with `countersign member add|remove|role` or `countersign rules set`",
                ))
            }
            (None, Some(kind)) => kind,
            (None, None) => return Err(Error::invalid("decision kind", "", "give --kind, e.g. budget")),
        };
        if let Some(change) = &change {
            head.apply_change(change, &BTreeMap::new())
                .map_err(|reason| Error::invalid("roster change", &change.describe(), reason))?;
        }
        let scope = request.scope.clone().unwrap_or_default();
        if kind.is_governance() && !scope.is_all() {
            return Err(Error::invalid(
                "scope",
                scope.as_str(),
                "roster and rules decisions are read by every member (scope all): everyone checks the roster",
            ));
        }
        let doc = self.draft(&workspace, head, kind, request, None, change)?;
        let id = doc.content_hash();
        self.commit(&scope, vec![OpBody::DecisionPropose { document: doc }])?;
        Ok(id)
    }

    /// Proposes a roster or rules change as a decision; returns its id.
    pub fn propose_change(&mut self, change: Change, closes: Option<NaiveDate>) -> Result<String> {
        let title = match &change {
            Change::MemberAdd { member } => format!("Add {} to the roster as {}", member.name, member.role),
            Change::MemberRemove { fingerprint } => {
                format!(
                    "Remove {} from the roster",
                    self.member_ref(fingerprint.as_str()).name.unwrap_or_else(|| fingerprint.to_string())
                )
            }
            Change::MemberRole { fingerprint, role } => {
                format!(
                    "Make {} {role}",
                    self.member_ref(fingerprint.as_str()).name.unwrap_or_else(|| fingerprint.to_string())
                )
            }
            Change::MemberReplace { old, .. } => {
                format!("Replace the key of {}", self.member_ref(old.as_str()).name.unwrap_or_else(|| old.to_string()))
            }
            Change::RulesSet { .. } => "Change the rules".to_string(),
        };
        let body = match &change {
            Change::RulesSet { rules } => {
                let mut text = String::from("The rule set after this change:\n\n");
                for (kind, rule) in &rules.decisions {
                    text.push_str(&format!("- {kind}: {rule}\n"));
                }
                text.push_str(&format!("- approved funding expires after {} months\n", rules.funding_expiry_months));
                text
            }
            other => format!("Roster change: {}.\n", other.describe()),
        };
        self.propose_decision(NewDecision { title, body, closes, ..Default::default() }, Some(change))
    }

    /// The rules in force (the head of the governance chain).
    pub fn rules(&self) -> Result<RuleSet> {
        Ok(self.governance()?.head().rules.clone())
    }

    /// Amends an open decision (proposer only): a new version; votes on earlier
    /// versions do not count for it. Fields not given keep their value.
    pub fn amend_decision(&mut self, id: &str, request: NewDecision) -> Result<String> {
        let id = self.resolve_decision(id)?;
        let gov = self.governance()?;
        let (record, eval) = self.evaluated(&id, &gov)?;
        let (hash, current) = record.current().ok_or_else(|| Error::UnknownDecision(id.clone()))?;
        if &current.proposer != self.fingerprint() {
            return Err(Error::NotYours { action: "amend", decision: id.clone() });
        }
        if eval.status != Status::Open {
            return Err(Error::DecisionClosed { decision: id.clone(), status: eval.status.to_string() });
        }
        let workspace = self.workspace_id()?;
        let merged = NewDecision {
            kind: Some(current.kind),
            title: if request.title.trim().is_empty() { current.title.clone() } else { request.title },
            body: if request.body.is_empty() { current.body.clone() } else { request.body },
            amount: request.amount.or_else(|| current.amount.clone()),
            currency: request.currency.or_else(|| current.currency.clone()),
            fund: request.fund.or_else(|| current.fund.clone()),
            closes: request.closes.or(Some(current.closes)),
            scope: None,
        };
        if request.scope.as_ref().is_some_and(|s| *s != record.scope) {
            return Err(Error::invalid(
                "scope",
                request.scope.as_ref().map_or("", Scope::as_str),
                format!(
                    "an amendment stays in the decision's scope ({}); propose a new decision instead",
                    record.scope
                ),
            ));
        }
        let base =
            if current.kind.is_governance() { gov.head() } else { gov.by_hash(&current.base).unwrap_or(gov.head()) };
        let mut doc = self.draft(&workspace, base, current.kind, merged, Some((&id, hash)), current.change.clone())?;
        doc.version = record.versions.iter().map(|(_, _, d)| d.version).max().unwrap_or(1) + 1;
        let new_hash = doc.content_hash();
        self.commit(&record.scope, vec![OpBody::DecisionPropose { document: doc }])?;
        Ok(new_hash)
    }

    fn draft(
        &self,
        workspace: &str,
        base: &GovVersion,
        kind: DecisionKind,
        request: NewDecision,
        amends: Option<(&String, &String)>,
        change: Option<Change>,
    ) -> Result<DecisionDoc> {
        let title = request.title.trim().to_string();
        if title.is_empty() {
            return Err(Error::invalid("title", "", "give the decision a title"));
        }
        let amount = request.amount.as_deref().map(crate::money::parse_amount).transpose()?;
        let currency = match (&amount, request.currency.as_deref()) {
            (Some(_), Some(c)) => Some(crate::money::currency(c)?),
            (Some(_), None) => return Err(Error::invalid("currency", "", "an amount needs --currency, e.g. EUR")),
            (None, Some(c)) => {
                return Err(Error::invalid("currency", c, "a currency goes with an amount; give --amount too"))
            }
            (None, None) => None,
        };
        let now = self.clock().now();
        let today = now.date_naive();
        let closes = request.closes.unwrap_or_else(|| today.checked_add_days(Days::new(30)).unwrap_or(today));
        if closes < today {
            return Err(Error::invalid("closing date", &closes.to_string(), "the closing date is in the past"));
        }
        let rule = base.rules.rule_for(kind, amount)?.clause_for(amount).to_string();
        let mut nonce = [0u8; 8];
        self.clock().fill_random(&mut nonce);
        Ok(DecisionDoc {
            doc_type: DECISION_DOC_TYPE.into(),
            workspace: workspace.to_string(),
            decision: amends.map(|(id, _)| id.clone()),
            amends: amends.map(|(_, hash)| hash.clone()),
            version: 1,
            kind,
            title,
            body: request.body,
            amount: amount.map(|a| a.to_string()),
            currency,
            fund: request.fund.map(|f| f.trim().to_string()).filter(|f| !f.is_empty()),
            closes,
            rule,
            base: base.hash.clone(),
            proposer: self.fingerprint().clone(),
            proposed: now.timestamp_millis(),
            nonce: hex::encode(nonce),
            change,
        })
    }

    /// Casts (or changes) this member's vote on a decision, signed with their key.
    pub fn vote(
        &mut self,
        id: &str,
        choice: Choice,
        reason: Option<String>,
        key: &UnlockedKey,
    ) -> Result<DecisionDetail> {
        let id = self.resolve_decision(id)?;
        let gov = self.governance()?;
        let (record, eval) = self.evaluated(&id, &gov)?;
        let (hash, doc) = record.current().ok_or_else(|| Error::UnknownDecision(id.clone()))?;
        if eval.status != Status::Open {
            return Err(Error::DecisionClosed { decision: id.clone(), status: eval.status.to_string() });
        }
        if doc.kind.is_governance() && doc.base != gov.head().hash {
            return Err(Error::DecisionClosed {
                decision: id.clone(),
                status: "superseded by another roster or rules change".into(),
            });
        }
        self.require_member(gov.head())?;
        if !eval.eligible.contains(self.fingerprint()) {
            return Err(Error::NotEligible { decision: id.clone(), rule: eval.rule.clone() });
        }
        let workspace = self.workspace_id()?;
        let reason = reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
        let vote = VoteDoc::of(&workspace, self.fingerprint(), hash, choice, reason.as_ref());
        let signature = envelope::sign_detached(&vote.to_bytes(), key, self.clock().now())?;
        // For roster changes: what this member had seen of every chain, which fixes the
        // point from which a removed member's bundles are refused.
        let seen = doc.kind.is_governance().then(|| crate::sync::applied_heads(self.db())).transpose()?;
        self.commit(
            &record.scope,
            vec![OpBody::DecisionVote { decision: id.clone(), version: hash.clone(), choice, reason, signature, seen }],
        )?;
        if doc.kind.is_governance() {
            self.settle_governance()?;
        }
        self.decision(&id)
    }

    /// Proposes a roster change (see [`RosterChange`]); returns the decision id.
    pub fn propose_roster_change(&mut self, change: RosterChange, closes: Option<NaiveDate>) -> Result<String> {
        let change = match change {
            RosterChange::Add { certificate, role } => Change::MemberAdd {
                member: RosterMember::from_cert(
                    Path::new("the certificate"),
                    certificate.as_bytes(),
                    role,
                    self.clock().now(),
                )?,
            },
            RosterChange::Remove { fingerprint } => {
                Change::MemberRemove { fingerprint: Fingerprint::parse(&fingerprint)? }
            }
            RosterChange::Role { fingerprint, role } => {
                Change::MemberRole { fingerprint: Fingerprint::parse(&fingerprint)?, role }
            }
        };
        self.propose_change(change, closes)
    }

    /// Withdraws an open decision (proposer only).
    pub fn withdraw_decision(&mut self, id: &str) -> Result<()> {
        let id = self.resolve_decision(id)?;
        let gov = self.governance()?;
        let (record, eval) = self.evaluated(&id, &gov)?;
        if record.first().map(|d| &d.proposer) != Some(self.fingerprint()) {
            return Err(Error::NotYours { action: "withdraw", decision: id });
        }
        if eval.status != Status::Open {
            return Err(Error::DecisionClosed { decision: id, status: eval.status.to_string() });
        }
        self.commit(&record.scope, vec![OpBody::DecisionWithdraw { decision: id }])?;
        Ok(())
    }

    fn evaluated(&self, id: &str, gov: &Governance) -> Result<(Record, Evaluation)> {
        let record = load(self.db(), id)?.ok_or_else(|| Error::UnknownDecision(id.to_string()))?;
        let eval = gov.evaluate(&record, self.clock().now());
        Ok((record, eval))
    }

    /// One decision in full, every vote re-verified.
    pub fn decision(&self, id: &str) -> Result<DecisionDetail> {
        let id = self.resolve_decision(id)?;
        let gov = self.governance()?;
        let (record, eval) = self.evaluated(&id, &gov)?;
        let (hash, doc) = record.current().ok_or_else(|| Error::UnknownDecision(id.clone()))?;
        let certs = crate::governance::certificates(self.db())?;
        let counted: BTreeSet<&str> = eval.counted.iter().map(|v| v.op.as_str()).collect();
        let workspace = doc.workspace.clone();
        let votes = record
            .votes
            .iter()
            .map(|v| {
                let vote_doc = VoteDoc::of(&workspace, &v.voter, &v.version, v.choice, v.reason.as_ref());
                let verified = certs.get(&v.voter).is_some_and(|cert| {
                    envelope::verify_detached(&vote_doc.to_bytes(), &v.signature, cert, self.clock().now()).is_ok()
                });
                VoteView {
                    signer: v.voter.to_string(),
                    signer_name: self.member_ref(v.voter.as_str()).name,
                    choice: v.choice,
                    reason: v.reason.clone(),
                    verified,
                    counted: counted.contains(v.op.as_str()),
                    version: v.version.clone(),
                    at: Utc.timestamp_millis_opt(v.hlc.ms).single().unwrap_or_default(),
                }
            })
            .collect();
        Ok(DecisionDetail {
            summary: self.summary(&record, &eval),
            body: doc.body.clone(),
            content_hash: hash.clone(),
            change: doc.change.as_ref().map(Change::describe),
            votes,
            needed: eval.needed,
        })
    }

    fn summary(&self, record: &Record, eval: &Evaluation) -> DecisionSummary {
        let (hash, doc) = record.current().expect("evaluated records have a version");
        let me = self.fingerprint();
        let voted = record.votes.iter().any(|v| &v.voter == me && &v.version == hash);
        DecisionSummary {
            id: record.id.clone(),
            kind: doc.kind,
            title: doc.title.clone(),
            status: eval.status,
            status_reason: eval.reason.clone(),
            rule: eval.rule.clone(),
            amount: doc.amount.clone(),
            currency: doc.currency.clone(),
            fund: doc.fund.clone(),
            closes: doc.closes,
            decided: eval
                .decided_by
                .as_ref()
                .and_then(|v| DateTime::<Utc>::from_timestamp_millis(v.hlc.ms))
                .map(|at| at.date_naive()),
            proposer: self.member_ref(doc.proposer.as_str()),
            version: doc.version,
            approvals: eval.approvals,
            objections: eval.objections,
            abstentions: eval.abstentions,
            needs_me: eval.status == Status::Open && eval.eligible.contains(me) && !voted,
            scope: record.scope.clone(),
        }
    }

    /// Every decision, newest first.
    pub fn decisions(&self, filter: &DecisionFilter) -> Result<Vec<DecisionSummary>> {
        let gov = self.governance()?;
        let mut out = Vec::new();
        for id in all_ids(self.db())? {
            let (record, eval) = self.evaluated(&id, &gov)?;
            if record.current().is_none() {
                continue;
            }
            let summary = self.summary(&record, &eval);
            if (filter.open && summary.status != Status::Open) || (filter.needs_me && !summary.needs_me) {
                continue;
            }
            out.push(summary);
        }
        Ok(out)
    }

    /// Writes decision `id` for an auditor into `dir` (created; must be empty): the
    /// decision document, each vote document with its detached `.asc` signature, the
    /// signers' certificates and a README with the gpg commands that verify them.
    pub fn export_decision(&self, id: &str, dir: &Path) -> Result<ExportReport> {
        crate::export::export(self, id, dir)
    }

    /// The raw record of a decision and its evaluation (for export).
    pub(crate) fn decision_record(&self, id: &str) -> Result<(Record, Evaluation, Governance)> {
        let id = self.resolve_decision(id)?;
        let gov = self.governance()?;
        let (record, eval) = self.evaluated(&id, &gov)?;
        Ok((record, eval, gov))
    }

    fn require_member(&self, head: &GovVersion) -> Result<()> {
        if head.roster.contains_key(self.fingerprint()) {
            Ok(())
        } else {
            Err(Error::NotOnRoster(self.fingerprint().to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fpr(c: char) -> Fingerprint {
        Fingerprint::parse(&c.to_string().repeat(40)).unwrap()
    }

    fn base() -> GovVersion {
        GovVersion {
            version: 0,
            hash: "0".repeat(64),
            decision: None,
            roster: [(fpr('A'), Role::Board), (fpr('B'), Role::Board), (fpr('C'), Role::Board)].into(),
            rules: RuleSet::default(),
            cuts: BTreeMap::new(),
            added: None,
        }
    }

    fn budget(closes: &str) -> Record {
        let doc = DecisionDoc {
            doc_type: DECISION_DOC_TYPE.into(),
            workspace: "w".into(),
            decision: None,
            amends: None,
            version: 1,
            kind: DecisionKind::Budget,
            title: "Sprint".into(),
            body: String::new(),
            amount: Some("1500".into()),
            currency: Some("EUR".into()),
            fund: None,
            closes: closes.parse().unwrap(),
            rule: "majority board".into(),
            base: "0".repeat(64),
            proposer: fpr('A'),
            proposed: 0,
            nonce: "00".into(),
            change: None,
        };
        let hash = doc.content_hash();
        Record {
            id: hash.clone(),
            versions: vec![(Hlc { ms: 0, n: 0 }, hash, doc)],
            votes: Vec::new(),
            withdrawals: Vec::new(),
            scope: Scope::all(),
        }
    }

    fn cast(record: &mut Record, voter: char, choice: Choice, day: &str) {
        let ms = format!("{day}T12:00:00Z").parse::<DateTime<Utc>>().unwrap().timestamp_millis();
        let version = record.versions[0].1.clone();
        record.votes.push(Vote {
            op: format!("{voter}{ms}"),
            version,
            voter: fpr(voter),
            choice,
            reason: None,
            signature: String::new(),
            seen: BTreeMap::new(),
            hlc: Hlc { ms, n: 0 },
        });
    }

    fn at(day: &str) -> DateTime<Utc> {
        format!("{day}T00:00:00Z").parse().unwrap()
    }

    #[test]
    fn approved_funding_expires_after_the_configured_months() {
        let mut record = budget("2026-12-31");
        cast(&mut record, 'B', Choice::Approve, "2026-11-26");
        cast(&mut record, 'C', Choice::Approve, "2026-11-27");
        assert_eq!(evaluate(&record, Some(&base()), at("2026-12-01")).status, Status::Approved);
        assert_eq!(evaluate(&record, Some(&base()), at("2027-11-27")).status, Status::Approved);
        let late = evaluate(&record, Some(&base()), at("2027-11-28"));
        assert_eq!(late.status, Status::Expired, "{}", late.reason);
        let mut six = base();
        six.rules.funding_expiry_months = 6;
        assert_eq!(evaluate(&record, Some(&six), at("2027-06-01")).status, Status::Expired);
    }

    #[test]
    fn votes_after_the_closing_day_do_not_count_and_an_undecided_decision_closes_rejected() {
        let mut record = budget("2026-11-30");
        cast(&mut record, 'B', Choice::Approve, "2026-11-30");
        cast(&mut record, 'C', Choice::Approve, "2026-12-01");
        assert_eq!(evaluate(&record, Some(&base()), at("2026-11-30")).status, Status::Open);
        let closed = evaluate(&record, Some(&base()), at("2026-12-02"));
        assert_eq!(closed.status, Status::Rejected);
        assert!(closed.reason.contains("closed on 2026-11-30"), "{}", closed.reason);
        assert_eq!(closed.approvals, 1);
    }

    #[test]
    fn a_withdrawal_before_the_deciding_vote_wins_and_a_wrong_rule_is_refused() {
        let mut record = budget("2026-12-31");
        cast(&mut record, 'B', Choice::Approve, "2026-11-26");
        record.withdrawals.push(Hlc { ms: at("2026-11-27").timestamp_millis(), n: 0 });
        cast(&mut record, 'C', Choice::Approve, "2026-11-28");
        assert_eq!(evaluate(&record, Some(&base()), at("2026-11-29")).status, Status::Withdrawn);

        let mut weak = budget("2026-12-31");
        weak.versions[0].2.rule = "at-least 1 of board".into();
        let eval = evaluate(&weak, Some(&base()), at("2026-11-29"));
        assert_eq!(eval.status, Status::Rejected);
        assert!(eval.reason.contains("rules in force say \"majority board\""), "{}", eval.reason);
    }
}
