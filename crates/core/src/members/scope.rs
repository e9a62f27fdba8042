//! Access by role: every operation has a scope (`all`, `board`, `finance`, or another
//! scope the rules name), and the rule set maps each role to the scopes it may read.
//! A bundle carries operations of one scope and is encrypted only to the roster
//! members whose role reads it, so a member without access never holds the key to it.
//!
//! `all` is read by every role, whatever the rules say: it is the workspace's common
//! ground (the roster and rules travel there, so everyone can check who may write).

use crate::base::error::{Error, Result};
use crate::members::role::Role;
use serde::{Deserialize, Serialize};
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

/// A scope as the adapters show it: who reads it, and whether this member does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ScopeInfo {
    pub scope: Scope,
    /// The roles that read it under the rules in force.
    pub readers: Vec<Role>,
    /// Whether this member may read it, and so write into it.
    pub readable: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_are_words() {
        assert_eq!(Scope::parse(" Board ").unwrap().as_str(), "board");
        for bad in ["", "board only", "böard", "a/b", &"x".repeat(33)] {
            assert!(Scope::parse(bad).is_err(), "{bad:?}");
        }
    }
}
