//! Proposing, amending, voting on, withdrawing, listing and exporting decisions: the
//! operations a member makes, through their home.

use crate::base::error::{Error, Result};
use crate::crypto::envelope;
use crate::crypto::identity::Fingerprint;
use crate::crypto::key::UnlockedKey;
use crate::decisions::evaluate::Evaluation;
use crate::decisions::governance::Governance;
use crate::decisions::model::{
    DecisionDetail, DecisionDoc, DecisionFilter, DecisionSummary, ExportReport, NewDecision, Record, RosterChange,
    Status, VoteDoc, VoteView, DECISION_DOC_TYPE,
};
use crate::decisions::records::{all_ids, load};
use crate::engine::operation::OpBody;
use crate::home::Home;
use crate::members::governance::{Change, GovVersion};
use crate::members::roster::{RosterMember, RuleSet};
use crate::members::rules::{Choice, DecisionKind};
use crate::members::scope::Scope;
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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
        let amount = request.amount.as_deref().map(crate::base::money::parse_amount).transpose()?;
        let currency = match (&amount, request.currency.as_deref()) {
            (Some(_), Some(c)) => Some(crate::base::money::currency(c)?),
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
        let seen = doc.kind.is_governance().then(|| crate::sync::chains::applied_heads(self.db())).transpose()?;
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
        let certs = crate::decisions::governance::certificates(self.db())?;
        let counted: BTreeSet<&str> = eval.counted.iter().map(|v| v.op.as_str()).collect();
        let workspace = doc.workspace.clone();
        let votes = record
            .votes
            .iter()
            .map(|v| {
                let vote_doc = VoteDoc::of(&workspace, &v.voter, &v.version, v.choice, v.reason.as_ref());
                let verified = certs
                    .get(&v.voter)
                    .is_some_and(|cert| envelope::verify_detached(&vote_doc.to_bytes(), &v.signature, cert).is_ok());
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
        crate::decisions::export::export(self, id, dir)
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
