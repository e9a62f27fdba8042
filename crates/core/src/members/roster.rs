//! The roster: who belongs to the workspace, with which role, and their public
//! certificates; and the rule set stored beside it (decisions are evaluated against
//! it; access by role maps roles to the scopes they may read).

use crate::base::error::{Error, Result};
use crate::crypto::identity::Fingerprint;
use crate::crypto::key::{cert_time, policy};
use crate::members::role::Role;
use crate::members::rules::{DecisionKind, Rule};
use crate::members::scope::Scope;
use chrono::{DateTime, Utc};
use openpgp::cert::Cert;
use openpgp::parse::Parse;
use openpgp::serialize::SerializeInto;
use sequoia_openpgp as openpgp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use ts_rs::TS;

/// One member of the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterMember {
    pub fingerprint: Fingerprint,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// The public certificate, armored.
    pub cert: String,
}

/// A roster member as the adapters show it (without the certificate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MemberInfo {
    pub fingerprint: String,
    pub name: String,
    pub email: String,
    pub role: Role,
}

impl RosterMember {
    /// A member from an armored public certificate; name and email from its user ID.
    pub fn from_cert(path: &Path, bytes: &[u8], role: Role, now: DateTime<Utc>) -> Result<RosterMember> {
        let bad = |detail: String| Error::invalid("certificate", &path.display().to_string(), detail);
        let cert = Cert::from_bytes(bytes).map_err(|e| bad(format!("it is not an OpenPGP certificate ({e})")))?;
        let cert = cert.strip_secret_key_material();
        check_encryptable(&cert, now)?;
        let uid = cert.userids().next().map(|u| String::from_utf8_lossy(u.userid().value()).into_owned());
        let (name, email) = crate::crypto::identity::split_user_id(uid.as_deref().unwrap_or_default());
        let armored = String::from_utf8(cert.armored().to_vec().map_err(|e| Error::OpenPgp(e.to_string()))?)
            .map_err(|e| Error::OpenPgp(e.to_string()))?;
        Ok(RosterMember {
            fingerprint: Fingerprint::parse(&cert.fingerprint().to_hex())?,
            name: name.unwrap_or_else(|| "(no name)".into()),
            email: email.unwrap_or_default(),
            role,
            cert: armored,
        })
    }

    /// The parsed certificate.
    pub fn parse_cert(&self) -> Result<Cert> {
        Cert::from_bytes(self.cert.as_bytes()).map_err(|e| Error::OpenPgp(e.to_string()))
    }

    /// What the adapters show.
    pub fn info(&self) -> MemberInfo {
        MemberInfo {
            fingerprint: self.fingerprint.to_string(),
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role,
        }
    }
}

/// Checks that bundles can be encrypted to `cert` at `now` (or when it was made, for
/// a key this computer's clock has not reached yet).
pub fn check_encryptable(cert: &Cert, now: DateTime<Utc>) -> Result<()> {
    let policy = policy();
    let unusable = |reason: String| Error::KeyUnusable { fingerprint: cert.fingerprint().to_hex(), reason };
    let valid = cert
        .with_policy(&policy, cert_time(cert, now))
        .map_err(|e| unusable(format!("it is not valid now ({e}); it may be expired or revoked")))?;
    if valid.keys().supported().alive().revoked(false).for_transport_encryption().next().is_none()
        && valid.keys().supported().alive().revoked(false).for_storage_encryption().next().is_none()
    {
        return Err(unusable("it has no subkey to encrypt to".into()));
    }
    Ok(())
}

/// A member as shown next to a record: fingerprint, and name when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MemberRef {
    pub fingerprint: String,
    pub name: Option<String>,
}

impl fmt::Display for MemberRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} ({})", short(&self.fingerprint)),
            None => f.write_str(short(&self.fingerprint)),
        }
    }
}

fn short(fpr: &str) -> &str {
    &fpr[fpr.len().saturating_sub(16)..]
}

/// The rules in force: which rule decides each kind of decision, how long approved
/// funding lasts, and which scopes each role may read. Changed only by a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Kind of decision → rule, e.g. `budget` → `majority board`.
    pub decisions: BTreeMap<String, String>,
    /// Approved funding expires after this many months.
    pub funding_expiry_months: u32,
    /// Role → the scopes it may read.
    pub access: BTreeMap<String, Vec<String>>,
}

impl RuleSet {
    /// The rule deciding decisions of `kind` (with `amount`, when the rule has
    /// amount thresholds); `other` when the kind has none of its own.
    pub fn rule_for(&self, kind: DecisionKind, _amount: Option<rust_decimal::Decimal>) -> Result<Rule> {
        let text = self.decisions.get(kind.as_str()).or_else(|| self.decisions.get("other")).ok_or_else(|| {
            Error::invalid("rule set", kind.as_str(), "it names no rule for this kind (nor for `other`)")
        })?;
        Rule::parse(text)
    }

    /// Checks every rule parses, every kind named exists, and the access map names
    /// known roles.
    pub fn validate(&self) -> Result<()> {
        for (kind, rule) in &self.decisions {
            kind.parse::<DecisionKind>()?;
            Rule::parse(rule)?;
        }
        for (role, scopes) in &self.access {
            role.parse::<Role>()?;
            for scope in scopes {
                Scope::parse(scope)?;
            }
        }
        Ok(())
    }
}

impl Default for RuleSet {
    /// The foundation's by-laws: written resolutions unanimous; budgets, spending,
    /// roster and rule changes by majority of the board; sponsorships by at least 4
    /// of the committee; funding approvals expire after a year.
    fn default() -> Self {
        let decisions = [
            ("written-resolution", "unanimous board"),
            ("budget", "majority board"),
            ("spending", "majority board"),
            ("sponsorship", "at-least 4 of sc"),
            ("roster", "majority board"),
            ("rules", "majority board"),
            ("other", "majority board"),
        ];
        let access: [(&str, &[&str]); 4] = [
            ("board", &["board", "finance", "all"]),
            ("treasurer", &["finance", "all"]),
            ("sc", &["all"]),
            ("team", &["all"]),
        ];
        RuleSet {
            decisions: decisions.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            funding_expiry_months: 12,
            access: access.iter().map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect())).collect(),
        }
    }
}

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

    /// Checks that `scope` exists under these rules; the error names those that do.
    pub fn check_known(&self, scope: &Scope) -> Result<()> {
        match self.knows(scope) {
            true => Ok(()),
            false => Err(unknown_scope(scope, self)),
        }
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

pub(crate) fn unknown_scope(scope: &Scope, rules: &RuleSet) -> Error {
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
}
