//! Access by role: every operation has a scope (`all`, `board`, `finance`, or another
//! scope the rules name), and the rule set maps each role to the scopes it may read.
//! A bundle carries operations of one scope and is encrypted only to the roster
//! members whose role reads it, so a member without access never holds the key to it.
//!
//! `all` is read by every role, whatever the rules say: it is the workspace's common
//! ground (the roster and rules travel there, so everyone can check who may write).

use crate::error::{Error, Result};
use crate::governance::{GovVersion, Governance};
use crate::home::Home;
use crate::operation::Fingerprint;
use crate::roster::{Role, RuleSet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use ts_rs::TS;

/// The name of a scope: lower-case letters, digits and hyphens, at most 32.
/// Parsed whenever it is read (from a bundle, a request or the log), so a badly
/// spelled scope never reaches the records.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct Scope(String);

impl TryFrom<String> for Scope {
    type Error = Error;
    fn try_from(text: String) -> Result<Scope> {
        Scope::parse(&text)
    }
}

impl From<Scope> for String {
    fn from(scope: Scope) -> String {
        scope.0
    }
}

impl Scope {
    /// The scope every member reads.
    pub fn all() -> Scope {
        Scope(ALL.into())
    }

    /// The scope of money records unless another is chosen: imports, funds, budgets.
    pub fn finance() -> Scope {
        Scope("finance".into())
    }

    /// A scope name as typed; only its spelling is checked here (whether the rules
    /// know it is [`RuleSet::knows`]).
    pub fn parse(text: &str) -> Result<Scope> {
        let name = text.trim().to_lowercase();
        let valid = !name.is_empty()
            && name.len() <= 32
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Scope(name))
        } else {
            Err(Error::invalid("scope", text, "expected a scope name such as all, board or finance"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_all(&self) -> bool {
        self.0 == ALL
    }
}

impl Default for Scope {
    fn default() -> Self {
        Scope::all()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const ALL: &str = "all";

impl RuleSet {
    /// Every scope the rules know: `all` and every scope some role may read.
    pub fn scopes(&self) -> BTreeSet<Scope> {
        let mut scopes: BTreeSet<Scope> = self.access.values().flatten().filter_map(|s| Scope::parse(s).ok()).collect();
        scopes.insert(Scope::all());
        scopes
    }

    /// Whether `scope` exists under these rules.
    pub fn knows(&self, scope: &Scope) -> bool {
        scope.is_all() || self.access.values().flatten().any(|s| s == scope.as_str())
    }

    /// Whether members with `role` may read `scope`.
    pub fn reads(&self, role: Role, scope: &Scope) -> bool {
        scope.is_all()
            || self.access.get(role.as_str()).is_some_and(|scopes| scopes.iter().any(|s| s == scope.as_str()))
    }

    /// The roles that read `scope`, in role order.
    pub fn readers(&self, scope: &Scope) -> Vec<Role> {
        Role::ALL.iter().copied().filter(|role| self.reads(*role, scope)).collect()
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
}

/// A scope as the adapters show it: who reads it, and whether this member does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ScopeInfo {
    pub scope: Scope,
    /// The roles that read it under the rules in force.
    pub readers: Vec<Role>,
    /// Whether this member may read it, and so write into it.
    pub readable: bool,
}

impl Home {
    /// The scopes of the rules in force, with their readers. Without a workspace, the
    /// default rules (every scope is this member's until they join or create one).
    pub fn scopes(&self) -> Result<Vec<ScopeInfo>> {
        let head = match Governance::load(self.db()) {
            Ok(gov) => Some(gov.head().clone()),
            Err(Error::NoWorkspace) => None,
            Err(e) => return Err(e),
        };
        let rules = head.as_ref().map_or_else(RuleSet::default, |h| h.rules.clone());
        Ok(rules
            .scopes()
            .into_iter()
            .map(|scope| ScopeInfo {
                readers: rules.readers(&scope),
                readable: head.as_ref().is_none_or(|h| h.may_read(self.fingerprint(), &scope)),
                scope,
            })
            .collect())
    }

    /// Checks that this member may write into `scope`: it exists under the rules in
    /// force and their role reads it (a member never writes what they could not read
    /// back). Without a workspace every scope of the default rules is allowed.
    pub fn check_writable(&self, scope: &Scope) -> Result<()> {
        let head = match Governance::load(self.db()) {
            Ok(gov) => gov.head().clone(),
            Err(Error::NoWorkspace) => {
                return match RuleSet::default().knows(scope) {
                    true => Ok(()),
                    false => Err(unknown_scope(scope, &RuleSet::default())),
                }
            }
            Err(e) => return Err(e),
        };
        if !head.rules.knows(scope) {
            return Err(unknown_scope(scope, &head.rules));
        }
        if !head.may_read(self.fingerprint(), scope) {
            let role = head.roster.get(self.fingerprint()).map_or("not on the roster".to_string(), |r| r.to_string());
            return Err(Error::ScopeNotReadable { scope: scope.to_string(), role });
        }
        Ok(())
    }
}

fn unknown_scope(scope: &Scope, rules: &RuleSet) -> Error {
    let known: Vec<String> = rules.scopes().iter().map(Scope::to_string).collect();
    Error::invalid("scope", scope.as_str(), format!("no such scope; the rules know {}", known.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_give_board_everything_and_everyone_all() {
        let rules = RuleSet::default();
        let board = Scope::parse("board").unwrap();
        assert_eq!(rules.readers(&board), [Role::Board]);
        assert_eq!(rules.readers(&Scope::finance()), [Role::Board, Role::Treasurer]);
        assert_eq!(rules.readers(&Scope::all()), Role::ALL);
        assert!(rules.knows(&board) && !rules.knows(&Scope::parse("hr").unwrap()));
        assert_eq!(rules.scopes().iter().map(Scope::as_str).collect::<Vec<_>>(), ["all", "board", "finance"]);
    }

    #[test]
    fn all_is_read_by_every_role_even_if_the_rules_forget_it() {
        let mut rules = RuleSet::default();
        rules.access.insert("team".into(), vec![]);
        assert!(rules.reads(Role::Team, &Scope::all()));
    }

    #[test]
    fn scope_names_are_words() {
        assert_eq!(Scope::parse(" Board ").unwrap().as_str(), "board");
        for bad in ["", "board only", "böard", "a/b", &"x".repeat(33)] {
            assert!(Scope::parse(bad).is_err(), "{bad:?}");
        }
    }
}
