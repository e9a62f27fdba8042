//! The governance model: one version of the roster and rules ([`GovVersion`]), what a
//! roster or rules decision changes ([`Change`]), and what a version allows: who reads
//! a scope, who may write into it, whose bundles are accepted. The chain of versions
//! is kept with the decisions ([`crate::decisions::governance`]).

use crate::base::error::{Error, Result};
use crate::crypto::identity::Fingerprint;
use crate::members::role::Role;
use crate::members::roster::{unknown_scope, RosterMember, RuleSet};
use crate::members::scope::Scope;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// One version of the roster and rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovVersion {
    pub version: u32,
    /// Version 0: the workspace id; later: SHA-256 over the previous hash and the
    /// content hash of the decision that made it.
    pub hash: String,
    /// The decision that made this version (absent for the genesis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// Serving members and their roles.
    pub roster: BTreeMap<Fingerprint, Role>,
    pub rules: RuleSet,
    /// Removed keys: for each of their device chains, the last bundle accepted
    /// (a device not listed: none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cuts: BTreeMap<Fingerprint, BTreeMap<String, u64>>,
    /// The member this version added (its certificate travels in the decision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added: Option<RosterMember>,
}

impl GovVersion {
    /// The version after applying `change`, given what the deciding voter had seen
    /// (`FPR/DEVICE` → highest applied seq); why it cannot apply otherwise.
    pub fn apply_change(
        &self,
        change: &Change,
        seen: &BTreeMap<String, u64>,
    ) -> std::result::Result<GovVersion, String> {
        let mut next = self.clone();
        next.added = None;
        let boards = |roster: &BTreeMap<Fingerprint, Role>| roster.values().filter(|r| **r == Role::Board).count();
        let removed_before = |fpr: &Fingerprint| self.cuts.contains_key(fpr);
        let cut = |fpr: &Fingerprint| -> BTreeMap<String, u64> {
            let prefix = format!("{fpr}/");
            seen.iter().filter_map(|(chain, seq)| chain.strip_prefix(&prefix).map(|d| (d.to_string(), *seq))).collect()
        };
        match change {
            Change::MemberAdd { member } => {
                if self.roster.contains_key(&member.fingerprint) {
                    return Err(format!("{} is already on the roster", member.fingerprint));
                }
                if removed_before(&member.fingerprint) {
                    return Err("this key was removed from the roster earlier; the member needs a new key".into());
                }
                next.roster.insert(member.fingerprint.clone(), member.role);
                next.added = Some(member.clone());
            }
            Change::MemberRemove { fingerprint } => {
                if next.roster.remove(fingerprint).is_none() {
                    return Err(format!("{fingerprint} is not on the roster"));
                }
                next.cuts.insert(fingerprint.clone(), cut(fingerprint));
            }
            Change::MemberRole { fingerprint, role } => match next.roster.get_mut(fingerprint) {
                None => return Err(format!("{fingerprint} is not on the roster")),
                Some(r) if r == role => return Err(format!("{fingerprint} already has the role {role}")),
                Some(r) => *r = *role,
            },
            Change::MemberReplace { old, member } => {
                let Some(role) = next.roster.remove(old) else {
                    return Err(format!("{old} is not on the roster"));
                };
                if next.roster.contains_key(&member.fingerprint) || removed_before(&member.fingerprint) {
                    return Err(format!("the new key {} is or was on the roster already", member.fingerprint));
                }
                next.roster.insert(member.fingerprint.clone(), role);
                next.cuts.insert(old.clone(), cut(old));
                next.added = Some(RosterMember { role, ..member.clone() });
            }
            Change::RulesSet { rules } => {
                rules.validate().map_err(|e| e.to_string())?;
                next.rules = rules.clone();
            }
        }
        if boards(&next.roster) == 0 {
            return Err("the roster would have no board member left".into());
        }
        Ok(next)
    }

    /// Whether a bundle at `seq` of `author`'s chain `device` may be applied under
    /// this version; the reason it is refused otherwise.
    pub fn accepts(&self, author: &Fingerprint, device: &str, seq: u64) -> std::result::Result<(), String> {
        if self.roster.contains_key(author) {
            return Ok(());
        }
        match self.cuts.get(author) {
            Some(chains) => {
                let last = chains.get(device).copied().unwrap_or(0);
                if seq <= last {
                    Ok(())
                } else {
                    Err(format!(
                        "it is signed by {author}, removed from the roster; this device's bundles after number {last} are refused"
                    ))
                }
            }
            None => Err(format!("it is signed by {author}, who is not on the roster")),
        }
    }
}

impl GovVersion {
    /// Whether `member` is on this version's roster with a role that reads `scope`.
    pub fn may_read(&self, member: &Fingerprint, scope: &Scope) -> bool {
        self.roster.get(member).is_some_and(|role| self.rules.reads(*role, scope))
    }

    /// The members of this version's roster who read `scope`.
    pub fn readers(&self, scope: &Scope) -> Vec<Fingerprint> {
        self.roster.iter().filter(|(_, role)| self.rules.reads(**role, scope)).map(|(fpr, _)| fpr.clone()).collect()
    }

    /// Checks that `member` may write into `scope` under this version: the rules know
    /// it and their role reads it (a member never writes what they could not read back).
    pub fn check_writable(&self, member: &Fingerprint, scope: &Scope) -> Result<()> {
        if !self.rules.knows(scope) {
            return Err(unknown_scope(scope, &self.rules));
        }
        if !self.may_read(member, scope) {
            let role = self.roster.get(member).map_or("not on the roster".to_string(), |r| r.to_string());
            return Err(Error::ScopeNotReadable { scope: scope.to_string(), role });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fpr(c: char) -> Fingerprint {
        Fingerprint::parse(&c.to_string().repeat(40)).unwrap()
    }

    fn member(c: char, role: Role) -> RosterMember {
        RosterMember { fingerprint: fpr(c), name: c.to_string(), email: String::new(), role, cert: String::new() }
    }

    fn genesis() -> GovVersion {
        GovVersion {
            version: 0,
            hash: "0".repeat(64),
            decision: None,
            roster: [(fpr('A'), Role::Board), (fpr('B'), Role::Board), (fpr('C'), Role::Treasurer)].into(),
            rules: RuleSet::default(),
            cuts: BTreeMap::new(),
            added: None,
        }
    }

    #[test]
    fn a_removal_cuts_each_device_chain_where_the_deciding_voter_had_seen_it() {
        let seen = BTreeMap::from([
            (format!("{}/dev1", fpr('B')), 7),
            (format!("{}/dev2", fpr('B')), 2),
            (format!("{}/dev1", fpr('A')), 9),
        ]);
        let next = genesis().apply_change(&Change::MemberRemove { fingerprint: fpr('B') }, &seen).unwrap();
        assert!(!next.roster.contains_key(&fpr('B')));
        assert!(next.accepts(&fpr('B'), "dev1", 7).is_ok());
        assert!(next.accepts(&fpr('B'), "dev1", 8).unwrap_err().contains("after number 7"));
        assert!(next.accepts(&fpr('B'), "dev2", 3).is_err());
        assert!(next.accepts(&fpr('B'), "dev3", 1).is_err(), "a device the voter never saw: nothing after");
        assert!(next.accepts(&fpr('A'), "any", 1_000).is_ok());
        assert!(next.accepts(&fpr('D'), "any", 1).unwrap_err().contains("not on the roster"));
    }

    #[test]
    fn changes_that_cannot_apply_say_why() {
        let g = genesis();
        let none = BTreeMap::new();
        let add_a = Change::MemberAdd { member: member('A', Role::Board) };
        assert!(g.apply_change(&add_a, &none).unwrap_err().contains("already on the roster"));
        let one_board = g.apply_change(&Change::MemberRemove { fingerprint: fpr('A') }, &none).unwrap();
        let last = one_board.apply_change(&Change::MemberRemove { fingerprint: fpr('B') }, &none);
        assert!(last.unwrap_err().contains("no board member"));
        let back = one_board.apply_change(&Change::MemberAdd { member: member('A', Role::Board) }, &none);
        assert!(back.unwrap_err().contains("removed from the roster earlier"));
        let same = g.apply_change(&Change::MemberRole { fingerprint: fpr('C'), role: Role::Treasurer }, &none);
        assert!(same.unwrap_err().contains("already has the role"));
        let mut bad = RuleSet::default();
        bad.decisions.insert("budget".into(), "most of board".into());
        assert!(g.apply_change(&Change::RulesSet { rules: bad }, &none).is_err());
        let added = g.apply_change(&Change::MemberAdd { member: member('D', Role::Team) }, &none).unwrap();
        assert_eq!(added.roster.get(&fpr('D')), Some(&Role::Team));
        assert_eq!(added.added.as_ref().map(|m| m.fingerprint.clone()), Some(fpr('D')));
    }
}
