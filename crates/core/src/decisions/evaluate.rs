//! A decision's status, computed from its record, the governance version it was
//! proposed under and the date: deterministic, so every laptop reaches the same.

use crate::base::clock::Hlc;
use crate::crypto::identity::Fingerprint;
use crate::decisions::model::{DecisionDoc, Record, Status, Vote};
use crate::members::governance::{Change, GovVersion};
use crate::members::rules::{Choice, Clause, Outcome};
use chrono::{DateTime, Months, NaiveDate, TimeZone, Utc};
use std::collections::{BTreeMap, BTreeSet};

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
        eval.settle(Status::Rejected, "its first version is missing".into());
        return eval;
    };
    eval.rule = doc.rule.clone();
    let Some(base) = base else {
        eval.reason = "it was proposed under a roster change this home has not received yet; sync".into();
        return eval;
    };
    let clause = match clause_in_force(doc, base) {
        Ok(clause) => clause,
        Err(reason) => {
            eval.settle(Status::Rejected, reason);
            return eval;
        }
    };
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
    let withdrawn_before = |hlc: Option<Hlc>| record.withdrawals.iter().any(|w| hlc.is_none_or(|h| *w < h));
    match clause.tally(&eval.eligible, &ballots) {
        Outcome::Approved { at } => {
            eval.count(&on_time[..=at]);
            eval.decided_by = Some(on_time[at].clone());
            if withdrawn_before(Some(on_time[at].hlc)) {
                eval.settle(Status::Withdrawn, "withdrawn by the proposer".into());
            } else {
                let decided = Utc.timestamp_millis_opt(on_time[at].hlc.ms).single().unwrap_or_default();
                let (status, reason) = approved(doc, base, &clause, decided, now);
                eval.settle(status, reason);
            }
        }
        Outcome::Rejected { at, reason } => {
            eval.count(&on_time[..at.map_or(0, |i| i + 1)]);
            eval.decided_by = at.map(|i| on_time[i].clone());
            match withdrawn_before(at.map(|i| on_time[i].hlc)) {
                true => eval.settle(Status::Withdrawn, "withdrawn by the proposer".into()),
                false => eval.settle(Status::Rejected, reason),
            }
        }
        Outcome::Open { needed, .. } => {
            eval.count(&on_time);
            eval.needed = needed;
            if !record.withdrawals.is_empty() {
                eval.settle(Status::Withdrawn, "withdrawn by the proposer".into());
            } else if now.timestamp_millis() > close {
                let reason = format!("closed on {} without the votes \"{clause}\" requires", doc.closes);
                eval.settle(Status::Rejected, reason);
            } else {
                eval.reason = format!("open until {}; needs {needed} approvals under \"{clause}\"", doc.closes);
            }
        }
    }
    eval
}

/// The clause of the rules in force that decides `doc`; why it has none, or why the
/// clause it names is not that one.
fn clause_in_force(doc: &DecisionDoc, base: &GovVersion) -> std::result::Result<Clause, String> {
    let rule = base
        .rules
        .rule_for(doc.kind, doc.amount())
        .map_err(|e| format!("the rules in force have no usable rule for it ({e})"))?;
    let clause = rule.clause_for(doc.amount()).clone();
    if clause.to_string() != doc.rule {
        return Err(format!("it names the rule \"{}\" but the rules in force say \"{clause}\"", doc.rule));
    }
    Ok(clause)
}

/// The status of an approved decision at `now`: approved, or expired once approved
/// funding has outlived the rules' expiry.
fn approved(
    doc: &DecisionDoc,
    base: &GovVersion,
    clause: &Clause,
    decided: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (Status, String) {
    let expiry = base.rules.funding_expiry_months;
    let expires = decided.checked_add_months(Months::new(expiry));
    if doc.kind.is_funding() && doc.amount.is_some() && expires.is_some_and(|expires| now >= expires) {
        let reason = format!("approved on {}; approved funding expires after {expiry} months", decided.date_naive());
        return (Status::Expired, reason);
    }
    (Status::Approved, format!("approved under \"{clause}\""))
}

impl Evaluation {
    fn settle(&mut self, status: Status, reason: String) {
        self.status = status;
        self.reason = reason;
    }

    /// Counts the latest vote of each eligible voter among `votes` (those up to the
    /// deciding one).
    fn count(&mut self, votes: &[&Vote]) {
        let mut latest: BTreeMap<Fingerprint, Vote> = BTreeMap::new();
        for v in votes {
            if self.eligible.contains(&v.voter) {
                latest.insert(v.voter.clone(), (*v).clone());
            }
        }
        self.counted = latest.into_values().collect();
        for v in &self.counted {
            match v.choice {
                Choice::Approve => self.approvals += 1,
                Choice::Object => self.objections += 1,
                Choice::Abstain => self.abstentions += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decisions::model::DecisionDoc;
    use crate::decisions::model::DECISION_DOC_TYPE;
    use crate::members::role::Role;
    use crate::members::roster::RuleSet;
    use crate::members::rules::DecisionKind;
    use crate::members::scope::Scope;

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
