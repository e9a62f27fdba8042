//! Members: who is on the roster, with which role, the rules that decide and the
//! scopes each role reads ([`governance`] is one version of all of it).

pub(crate) mod governance;
pub(crate) mod role;
pub(crate) mod roster;
pub(crate) mod rules;
pub(crate) mod scope;
pub(crate) mod service;

pub use role::Role;
pub use roster::{RosterMember, RuleSet};
pub use rules::{Choice, Rule};
pub use scope::{Scope, ScopeInfo};
