//! The members' side of a home: the scopes of the rules in force and who reads them.

use crate::base::error::{Error, Result};
use crate::decisions::governance::Governance;
use crate::home::Home;
use crate::members::roster::RuleSet;
use crate::members::scope::ScopeInfo;

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
}
