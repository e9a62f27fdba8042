//! Decision rules: who must approve a decision, written as short text the board can read
//! (`majority board; from 10000: unanimous board quorum 3`), and the tally that decides a
//! decision from its votes in merge order. The tally is a pure function of the vote
//! sequence, so every member reaches the same outcome, at the same vote, once merged.

use crate::base::error::{Error, Result};
use crate::crypto::identity::Fingerprint;
use crate::members::role::Role;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

word_enum!(
    /// A member's vote on a decision.
    Choice, "vote" { Approve = "approve", Object = "object", Abstain = "abstain" }
);

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

/// Shown with every parse error, so the fix is one copy away.
const EXAMPLE: &str = "majority board; from 10000: unanimous board";

/// One form a rule can take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    Unanimous(Role),
    Majority(Role),
    AtLeast(u32, Role),
    TwoJointly(Role),
}

/// One clause: the form, an optional quorum (minimum votes cast), and the amount from which it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub from: Option<Decimal>,
    pub form: Form,
    pub quorum: Option<u32>,
}

/// A parsed rule: one or more clauses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub clauses: Vec<Clause>,
}

/// Where a decision stands after its votes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The rule was met when vote `at` (index into `votes`) was cast.
    Approved { at: usize },
    /// Approval became impossible at vote `at` (None: impossible before any vote, e.g. too few eligible members).
    Rejected { at: Option<usize>, reason: String },
    /// Not decided yet.
    Open { approve: u32, object: u32, abstain: u32, needed: u32 },
}

impl Rule {
    /// Parses rule text; clauses are kept in canonical order (base first, then by `from`),
    /// so equal rules compare equal however they were written.
    pub fn parse(text: &str) -> Result<Rule> {
        let bad = |what: String| Error::invalid("rule", text, format!("{what}; write e.g. `{EXAMPLE}`"));
        let spaced = text.replace(':', " : ");
        let mut clauses = spaced
            .split(';')
            .map(|part| parse_clause(&part.split_whitespace().collect::<Vec<_>>()))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(bad)?;
        clauses.sort_by_key(|c| c.from);
        match clauses.iter().filter(|c| c.from.is_none()).count() {
            0 => return Err(bad("no clause applies below every `from`; add one without `from`".into())),
            1 => {}
            _ => return Err(bad("only one clause may be without `from`; give the others `from AMOUNT:`".into())),
        }
        if let Some(w) = clauses.windows(2).find(|w| w[0].from == w[1].from) {
            return Err(bad(format!("two clauses start from {}", w[0].from.unwrap_or_default())));
        }
        Ok(Rule { clauses })
    }

    /// The clause deciding a decision with this amount: the clause with the greatest `from` <= amount; a decision
    /// without an amount (or below every `from`) uses the clause without `from`.
    pub fn clause_for(&self, amount: Option<Decimal>) -> &Clause {
        let by_amount =
            amount.and_then(|a| self.clauses.iter().filter(|c| c.from.is_some_and(|f| f <= a)).max_by_key(|c| c.from));
        // Parsed rules always have a base clause; a hand-built one without falls back to its first clause.
        by_amount.or_else(|| self.clauses.iter().find(|c| c.from.is_none())).unwrap_or(&self.clauses[0])
    }
}

impl std::str::FromStr for Rule {
    type Err = Error;
    fn from_str(text: &str) -> Result<Rule> {
        Rule::parse(text)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut clauses: Vec<_> = self.clauses.iter().collect();
        clauses.sort_by_key(|c| c.from);
        for (i, clause) in clauses.into_iter().enumerate() {
            f.write_str(if i == 0 { "" } else { "; " })?;
            if let Some(from) = clause.from {
                write!(f, "from {from}: ")?;
            }
            write!(f, "{clause}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Form::Unanimous(role) => write!(f, "unanimous {role}"),
            Form::Majority(role) => write!(f, "majority {role}"),
            Form::AtLeast(n, role) => write!(f, "at-least {n} of {role}"),
            Form::TwoJointly(role) => write!(f, "two-jointly {role}"),
        }
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.form)?;
        self.quorum.map_or(Ok(()), |q| write!(f, " quorum {q}"))
    }
}

/// The words of one clause, consumed front to back.
struct Words<'a>(&'a [&'a str]);

impl<'a> Words<'a> {
    fn next(&mut self, expected: &str) -> std::result::Result<&'a str, String> {
        let (first, rest) = self.0.split_first().ok_or_else(|| format!("expected {expected}, but the clause ends"))?;
        self.0 = rest;
        Ok(first)
    }
    fn keyword(&mut self, word: &str) -> bool {
        let found = self.0.first().is_some_and(|w| w.eq_ignore_ascii_case(word));
        self.0 = if found { &self.0[1..] } else { self.0 };
        found
    }
}

fn parse_clause(words: &[&str]) -> std::result::Result<Clause, String> {
    if words.is_empty() {
        return Err("a clause is empty (check for a stray `;`)".into());
    }
    let mut w = Words(words);
    let from = if w.keyword("from") {
        let amount = parse_amount(w.next("an amount after `from`")?)?;
        if !w.keyword(":") {
            return Err(format!("expected `:` after `from {amount}`"));
        }
        Some(amount)
    } else {
        None
    };
    let role = |word: &str| {
        word.parse::<Role>().map_err(|_| {
            let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
            format!("unknown role `{word}`: expected one of {}", names.join(", "))
        })
    };
    let form = match w.next("a form (unanimous, majority, at-least N of, two-jointly)")?.to_lowercase().as_str() {
        "unanimous" => Form::Unanimous(role(w.next("a role after `unanimous`")?)?),
        "majority" => Form::Majority(role(w.next("a role after `majority`")?)?),
        "two-jointly" => Form::TwoJointly(role(w.next("a role after `two-jointly`")?)?),
        "at-least" => {
            let n = parse_count(w.next("a number after `at-least`")?, "at-least")?;
            if !w.keyword("of") {
                return Err(format!("expected `of` after `at-least {n}`"));
            }
            Form::AtLeast(n, role(w.next("a role after `of`")?)?)
        }
        other => {
            return Err(format!("unknown form `{other}`: expected unanimous, majority, at-least N of, or two-jointly"))
        }
    };
    let quorum =
        if w.keyword("quorum") { Some(parse_count(w.next("a number after `quorum`")?, "quorum")?) } else { None };
    match w.0.first() {
        Some(extra) => Err(format!("unexpected `{extra}` after `{form}`")),
        None => Ok(Clause { from, form, quorum }),
    }
}

/// Dot decimals only (no signs, exponents or separators): a rule text is not a bank statement.
fn parse_amount(word: &str) -> std::result::Result<Decimal, String> {
    let bad = || format!("`{word}` is not an amount: write digits with a dot for cents, e.g. 10000 or 2500.50");
    let well_formed = word.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && word.matches('.').count() <= 1
        && word.starts_with(|c: char| c.is_ascii_digit())
        && word.ends_with(|c: char| c.is_ascii_digit());
    let amount = well_formed.then(|| word.parse::<Decimal>().ok()).flatten().ok_or_else(bad)?;
    // Normalised, so `10000` and `10000.00` are the same threshold and print the same.
    if amount.is_zero() {
        Err(format!("`from {word}` must be above 0"))
    } else {
        Ok(amount.normalize())
    }
}

fn parse_count(word: &str, after: &str) -> std::result::Result<u32, String> {
    word.parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("`{after} {word}` needs a whole number of at least 1"))
}

/// "1 board member", "3 sc members".
fn members(n: u32, role: Role) -> String {
    format!("{n} {role} member{}", if n == 1 { "" } else { "s" })
}

impl Clause {
    pub fn role(&self) -> Role {
        match self.form {
            Form::Unanimous(r) | Form::Majority(r) | Form::AtLeast(_, r) | Form::TwoJointly(r) => r,
        }
    }

    /// Approvals needed among `serving` eligible members; a majority is a strict majority of those serving.
    fn needed(&self, serving: u32) -> u32 {
        match self.form {
            Form::Unanimous(_) => serving,
            Form::Majority(_) => serving / 2 + 1,
            Form::AtLeast(k, _) => k,
            Form::TwoJointly(_) => 2,
        }
    }

    /// What the clause asks, as the end of a rejection reason.
    fn requirement(&self, needed: u32) -> String {
        match self.form {
            Form::Unanimous(r) => format!("a unanimous decision needs every {r} member's approval"),
            Form::Majority(_) => format!("a majority needs {needed} approval{}", if needed == 1 { "" } else { "s" }),
            Form::AtLeast(k, _) => format!("at least {k} must approve"),
            Form::TwoJointly(_) => "two must approve jointly".into(),
        }
    }

    /// Why approval is impossible with these votes, if it is.
    fn impossible(&self, serving: u32, needed: u32, object: u32, abstain: u32) -> Option<String> {
        let role = self.role();
        if serving == 0 {
            return Some(format!("no {role} members serve, so nobody can approve"));
        }
        if let Some(q) = self.quorum.filter(|q| serving < *q) {
            return Some(format!("only {} serve; a quorum of {q} votes cannot be reached", members(serving, role)));
        }
        if serving - object - abstain >= needed {
            return None;
        }
        let who = match (object, abstain) {
            (0, 0) => return Some(format!("only {} serve; {}", members(serving, role), self.requirement(needed))),
            (_, 0) => "objected",
            (0, _) => "abstained",
            _ => "objected or abstained",
        };
        Some(format!("{} of {} {who}; {}", object + abstain, members(serving, role), self.requirement(needed)))
    }

    /// Decides from votes in merge order. `eligible`: the members whose votes count (members of the clause's role
    /// on the roster in force). `votes`: every vote in merge order as (voter, choice); votes by non-eligible voters
    /// are ignored; a member's latest vote in the prefix counts.
    pub fn tally(&self, eligible: &BTreeSet<Fingerprint>, votes: &[(Fingerprint, Choice)]) -> Outcome {
        let serving = u32::try_from(eligible.len()).unwrap_or(u32::MAX);
        let needed = self.needed(serving);
        // Before any vote, approval can only be impossible (every form needs at least one approval).
        if let Some(reason) = self.impossible(serving, needed, 0, 0) {
            return Outcome::Rejected { at: None, reason };
        }
        let mut latest: BTreeMap<&Fingerprint, Choice> = BTreeMap::new();
        let count = |latest: &BTreeMap<_, _>, c| latest.values().filter(|v| **v == c).count() as u32;
        for (at, (voter, choice)) in votes.iter().enumerate() {
            if !eligible.contains(voter) {
                continue;
            }
            latest.insert(voter, *choice);
            let (approve, object) = (count(&latest, Choice::Approve), count(&latest, Choice::Object));
            let abstain = count(&latest, Choice::Abstain);
            if approve >= needed && self.quorum.is_none_or(|q| approve + object + abstain >= q) {
                return Outcome::Approved { at };
            }
            if let Some(reason) = self.impossible(serving, needed, object, abstain) {
                return Outcome::Rejected { at: Some(at), reason };
            }
        }
        let (approve, object, abstain) =
            (count(&latest, Choice::Approve), count(&latest, Choice::Object), count(&latest, Choice::Abstain));
        Outcome::Open { approve, object, abstain, needed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Choice::{Abstain, Approve, Object};

    fn fpr(i: usize) -> Fingerprint {
        Fingerprint::parse(&format!("{i:040X}")).unwrap()
    }
    fn members(n: usize) -> BTreeSet<Fingerprint> {
        (0..n).map(fpr).collect()
    }
    fn votes(list: &[(usize, Choice)]) -> Vec<(Fingerprint, Choice)> {
        list.iter().map(|(i, c)| (fpr(*i), *c)).collect()
    }
    fn clause(text: &str) -> Clause {
        Rule::parse(text).unwrap().clauses.remove(0)
    }

    #[test]
    fn rules_round_trip_through_their_canonical_text() {
        for text in [
            "unanimous board",
            "majority board quorum 3",
            "at-least 4 of sc",
            "two-jointly treasurer",
            "majority board; from 2500.5: two-jointly board; from 10000: unanimous board quorum 3",
        ] {
            assert_eq!(Rule::parse(text).unwrap().to_string(), text);
        }
        let messy = "From 10000.00 : Unanimous BOARD Quorum 3;  MAJORITY board";
        let rule: Rule = messy.parse().unwrap();
        assert_eq!(rule.to_string(), "majority board; from 10000: unanimous board quorum 3");
        assert_eq!(rule.clauses[1].form, Form::Unanimous(Role::Board));
        assert_eq!(rule.to_string().parse::<Rule>().unwrap(), rule);
    }

    #[test]
    fn clause_for_picks_the_highest_threshold_reached() {
        let rule = Rule::parse("majority board; from 10000: unanimous board; from 2500: at-least 2 of board").unwrap();
        let form = |amount: Option<&str>| rule.clause_for(amount.map(|a| a.parse().unwrap())).form.clone();
        assert_eq!(form(None), Form::Majority(Role::Board));
        assert_eq!(form(Some("2499.99")), Form::Majority(Role::Board));
        assert_eq!(form(Some("2500")), Form::AtLeast(2, Role::Board));
        assert_eq!(form(Some("9999")), Form::AtLeast(2, Role::Board));
        assert_eq!(form(Some("10000.00")), Form::Unanimous(Role::Board));
        assert_eq!(form(Some("1000000")), Form::Unanimous(Role::Board));
    }

    #[test]
    fn parse_errors_say_what_is_wrong() {
        for (text, wanted) in [
            ("plurality board", "unknown form `plurality`"),
            ("majority bord", "unknown role `bord`"),
            ("at-least 0 of board", "`at-least 0` needs a whole number"),
            ("majority board; unanimous sc", "only one clause may be without `from`"),
            ("from 10000: unanimous board", "no clause applies below every `from`"),
            ("majority board; from 10,000: unanimous board", "`10,000` is not an amount"),
            ("majority board; from 0: unanimous board", "must be above 0"),
            ("majority board; from 5: unanimous board; from 5.0: two-jointly sc", "two clauses start from 5"),
            ("majority board please", "unexpected `please` after `majority board`"),
            ("majority board quorum 0", "`quorum 0` needs"),
            ("majority board;", "a clause is empty"),
            ("at-least 2 board", "expected `of`"),
            ("", "a clause is empty"),
        ] {
            let message = Rule::parse(text).unwrap_err().to_string();
            assert!(message.contains(wanted), "{text:?} gave {message:?}");
            assert!(message.contains(EXAMPLE), "{message:?} has no example");
        }
    }

    #[test]
    fn majority_of_three() {
        let rule = clause("majority board");
        assert_eq!(
            rule.tally(&members(3), &votes(&[(0, Approve), (1, Object), (2, Approve)])),
            Outcome::Approved { at: 2 }
        );
        let Outcome::Rejected { at, reason } =
            rule.tally(&members(3), &votes(&[(0, Object), (1, Abstain), (2, Approve)]))
        else {
            panic!("not rejected")
        };
        assert_eq!(at, Some(1));
        assert_eq!(reason, "2 of 3 board members objected or abstained; a majority needs 2 approvals");
        let open = rule.tally(&members(3), &votes(&[(0, Approve), (1, Object)]));
        assert_eq!(open, Outcome::Open { approve: 1, object: 1, abstain: 0, needed: 2 });
    }

    #[test]
    fn unanimous_needs_everyone() {
        let rule = clause("unanimous board");
        let rejected = rule.tally(&members(3), &votes(&[(0, Approve), (1, Object), (2, Approve)]));
        assert!(
            matches!(rejected, Outcome::Rejected { at: Some(1), ref reason } if reason.contains("1 of 3 board members objected"))
        );
        let approved = rule.tally(&members(3), &votes(&[(0, Approve), (1, Approve), (2, Approve)]));
        assert_eq!(approved, Outcome::Approved { at: 2 });
    }

    #[test]
    fn the_latest_vote_counts_and_outsiders_are_ignored() {
        let rule = clause("majority board");
        // Member 0 objects then changes to approve; members 7 and 8 are not on the board.
        let list = [(0, Object), (7, Approve), (8, Approve), (0, Approve), (1, Approve), (2, Object)];
        assert_eq!(rule.tally(&members(3), &votes(&list)), Outcome::Approved { at: 4 });
        assert_eq!(
            rule.tally(&members(3), &votes(&[(7, Object), (8, Object), (9, Object)])),
            Outcome::Open { approve: 0, object: 0, abstain: 0, needed: 2 }
        );
    }

    #[test]
    fn too_few_members_is_rejected_before_any_vote() {
        let Outcome::Rejected { at: None, reason } =
            clause("at-least 4 of sc").tally(&members(3), &votes(&[(0, Approve)]))
        else {
            panic!("not rejected before any vote")
        };
        assert_eq!(reason, "only 3 sc members serve; at least 4 must approve");
        assert!(matches!(clause("majority board").tally(&members(0), &[]), Outcome::Rejected { at: None, .. }));
        assert!(matches!(
            clause("majority board quorum 4").tally(&members(3), &[]),
            Outcome::Rejected { at: None, .. }
        ));
    }

    #[test]
    fn quorum_waits_for_enough_votes_cast() {
        let rule = clause("majority board quorum 3");
        let list = [(0, Approve), (1, Approve), (2, Abstain)];
        assert_eq!(
            rule.tally(&members(3), &votes(&list[..2])),
            Outcome::Open { approve: 2, object: 0, abstain: 0, needed: 2 }
        );
        assert_eq!(rule.tally(&members(3), &votes(&list)), Outcome::Approved { at: 2 });
    }

    #[test]
    fn two_jointly_needs_a_second_approval() {
        let rule = clause("two-jointly board");
        assert_eq!(
            rule.tally(&members(5), &votes(&[(3, Approve), (1, Object), (4, Approve)])),
            Outcome::Approved { at: 2 }
        );
    }

    proptest! {
        /// Each prefix stays open until the deciding vote, and from then on the outcome never changes:
        /// votes cast after a decision (late merges included) cannot overturn it.
        #[test]
        fn a_decision_is_final(
            form in 0usize..5,
            serving in 0usize..6,
            list in proptest::collection::vec((0usize..7, prop_oneof![Just(Approve), Just(Object), Just(Abstain)]), 0..14),
        ) {
            let rule = ["unanimous board", "majority board", "at-least 3 of board", "two-jointly board", "majority board quorum 4"];
            let clause = clause(rule[form]);
            let (eligible, votes) = (members(serving), votes(&list));
            let outcome = clause.tally(&eligible, &votes);
            let decided_at = match &outcome {
                Outcome::Approved { at } | Outcome::Rejected { at: Some(at), .. } => Some(*at),
                Outcome::Rejected { at: None, .. } => None,
                Outcome::Open { .. } => Some(votes.len()),
            };
            for k in 0..=votes.len() {
                let prefix = clause.tally(&eligible, &votes[..k]);
                match decided_at {
                    Some(at) if k <= at => prop_assert!(matches!(prefix, Outcome::Open { .. }), "{:?} at {}", prefix, k),
                    _ => prop_assert_eq!(&prefix, &outcome),
                }
            }
        }
    }
}
