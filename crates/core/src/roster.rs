//! The roster: who belongs to the workspace, with which role, and their public
//! certificates; and the rule set stored beside it (decisions are evaluated against
//! it; access by role maps roles to the scopes they may read).

use crate::error::{Error, Result};
use crate::key::policy;
use crate::operation::Fingerprint;
use crate::rules::Rule;
use chrono::{DateTime, Utc};
use openpgp::cert::Cert;
use openpgp::parse::Parse;
use openpgp::serialize::SerializeInto;
use sequoia_openpgp as openpgp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;
use ts_rs::TS;

word_enum!(
    /// A member's role on the roster.
    Role, "role" {
        /// Board member.
        Board = "board",
        /// Steering committee.
        Sc = "sc",
        /// Treasurer.
        Treasurer = "treasurer",
        /// Community team member.
        Team = "team",
    }
);

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
        let (name, email) = crate::home::split_user_id(uid.as_deref().unwrap_or_default());
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

/// Checks that bundles can be encrypted to `cert` at `now`.
pub fn check_encryptable(cert: &Cert, now: DateTime<Utc>) -> Result<()> {
    let policy = policy();
    let unusable = |reason: String| Error::KeyUnusable { fingerprint: cert.fingerprint().to_hex(), reason };
    let valid = cert
        .with_policy(&policy, SystemTime::from(now))
        .map_err(|e| unusable(format!("it is not valid now ({e}); it may be expired or revoked")))?;
    if valid.keys().supported().alive().revoked(false).for_transport_encryption().next().is_none()
        && valid.keys().supported().alive().revoked(false).for_storage_encryption().next().is_none()
    {
        return Err(unusable("it has no subkey to encrypt to".into()));
    }
    Ok(())
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
    pub fn rule_for(
        &self,
        kind: crate::decision::DecisionKind,
        _amount: Option<rust_decimal::Decimal>,
    ) -> Result<Rule> {
        let text = self.decisions.get(kind.as_str()).or_else(|| self.decisions.get("other")).ok_or_else(|| {
            Error::invalid("rule set", kind.as_str(), "it names no rule for this kind (nor for `other`)")
        })?;
        Rule::parse(text)
    }

    /// Checks every rule parses, every kind named exists, and the access map names
    /// known roles.
    pub fn validate(&self) -> Result<()> {
        for (kind, rule) in &self.decisions {
            kind.parse::<crate::decision::DecisionKind>()?;
            Rule::parse(rule)?;
        }
        for (role, scopes) in &self.access {
            role.parse::<Role>()?;
            for scope in scopes {
                crate::scope::Scope::parse(scope)?;
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
