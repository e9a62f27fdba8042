//! Operations: every change to the records is one [`Operation`], canonically encoded,
//! identified by the SHA-256 of its bytes ([`OpId`]) and stamped with its author and a
//! hybrid logical clock reading. Applying operations ([`crate::engine::store`]) is
//! commutative, so every member reaches the same records whatever the arrival order.

use crate::base::canonical;
use crate::base::clock::Hlc;
use crate::crypto::identity::Fingerprint;
use crate::decisions::model::DecisionDoc;
use crate::finance::model::{Source, TxRow};
use crate::members::rules::Choice;
use crate::members::scope::Scope;
use crate::partners::model::{Kind, PartnerId, Stage};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;

/// The identity of an operation: lower-case hex SHA-256 of its canonical bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OpId(pub String);

impl OpId {
    /// The id of the operation whose canonical bytes are `bytes`.
    pub fn of_canonical(bytes: &[u8]) -> OpId {
        OpId(hex::encode(Sha256::digest(bytes)))
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One change to the records, by one member, at one clock reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// Fingerprint of the member who made the change.
    pub author: Fingerprint,
    /// When, as a hybrid logical clock reading.
    pub hlc: Hlc,
    /// What changed.
    pub body: OpBody,
    /// Who may read it (access by role); absent in the encoding when `all`, so
    /// operations written before scopes existed keep their ids.
    #[serde(default, skip_serializing_if = "Scope::is_all")]
    pub scope: Scope,
}

impl Operation {
    /// The canonical bytes of this operation (docs/bundle-format.md, section 1).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Every field is a string, integer, list or map: encoding cannot fail.
        canonical::to_bytes(self).unwrap_or_default()
    }

    /// The canonical bytes of each operation. A large batch (an import) is encoded on
    /// all cores: encoding is most of the cost of recording it.
    pub fn encode_all(ops: &[Operation]) -> Vec<Vec<u8>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if ops.len() < 16 || threads == 1 {
            return ops.iter().map(Operation::to_bytes).collect();
        }
        let per_thread = ops.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let parts: Vec<_> = ops
                .chunks(per_thread)
                .map(|part| scope.spawn(move || part.iter().map(Operation::to_bytes).collect::<Vec<_>>()))
                .collect();
            parts.into_iter().flat_map(|p| p.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
        })
    }

    /// Parses canonical bytes, refusing any other encoding of the same value.
    pub fn from_bytes(bytes: &[u8]) -> Result<Operation, canonical::CanonicalError> {
        canonical::from_bytes(bytes)
    }

    /// The operation's identity, the hash of its canonical bytes.
    pub fn id(&self) -> OpId {
        OpId::of_canonical(&self.to_bytes())
    }

    /// The merge order: clock reading, then author, then identity. Total and the same
    /// on every laptop, so "last writer wins" names the same writer everywhere.
    pub fn order_key(&self) -> (Hlc, &Fingerprint) {
        (self.hlc, &self.author)
    }
}

/// What an operation changes. Serialised with a `type` tag, e.g. `partner.add`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum OpBody {
    /// Records an organisation. Its id is derived from its name, so two members who
    /// record the same organisation offline end up with one record.
    #[serde(rename = "partner.add")]
    PartnerAdd {
        partner: PartnerId,
        name: String,
        kind: Kind,
        stage: Stage,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tags: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        website: Option<String>,
    },
    /// Changes fields of an organisation; each given field merges on its own
    /// (last writer wins). An empty string clears a text field.
    #[serde(rename = "partner.set")]
    PartnerSet { partner: PartnerId, fields: PartnerChanges },
    /// Adds a contact person to an organisation. Contacts are append-only.
    #[serde(rename = "contact.add")]
    ContactAdd {
        partner: PartnerId,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        email: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
    },
    /// Logs a contact made with an organisation by the author. Append-only.
    #[serde(rename = "interaction.log")]
    InteractionLog {
        partner: PartnerId,
        date: NaiveDate,
        channel: String,
        summary: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_step: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<NaiveDate>,
    },
    /// The author claims an organisation for outreach until a date (inclusive).
    /// One claim per (organisation, member); the latest one counts.
    #[serde(rename = "claim.set")]
    ClaimSet { partner: PartnerId, until: NaiveDate },
    /// Proposes a decision, or amends one (a new version of the document).
    #[serde(rename = "decision.propose")]
    DecisionPropose { document: DecisionDoc },
    /// A vote on one version of a decision: the signature is a detached OpenPGP
    /// signature by the author over the vote document (docs/bundle-format.md 1.3).
    #[serde(rename = "decision.vote")]
    DecisionVote {
        decision: String,
        /// The content hash of the version voted on.
        version: String,
        choice: Choice,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        signature: String,
        /// On roster and rules decisions: the highest bundle the voter had applied
        /// per chain (`FPR/DEVICE` → seq), which fixes where a removal takes effect.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seen: Option<BTreeMap<String, u64>>,
    },
    /// The proposer withdraws a decision.
    #[serde(rename = "decision.withdraw")]
    DecisionWithdraw { decision: String },
    /// Links transactions (`SOURCE:ID`) to an approved decision: they are its money spent.
    #[serde(rename = "decision.link")]
    DecisionLink { decision: String, transactions: Vec<String> },
    /// Imported transactions: each row is a register keyed by source and source id.
    #[serde(rename = "finance.import")]
    FinanceImport { source: Source, rows: Vec<TxRow> },
    /// Counts a source account (`SOURCE:ACCOUNT`) towards a fund.
    #[serde(rename = "fund.map")]
    FundMap { account: String, fund: String },
    /// Sets the budget line of a fund for a year.
    #[serde(rename = "budget.set")]
    BudgetSet { fund: String, year: i32, amount: String, currency: String },
}

/// Field changes of a `partner.set`. Absent fields are left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// Fingerprint of the member who owns the relationship; empty clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The organisation's Open Collective account (slug), which matches its contributions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opencollective: Option<String>,
    /// The whole tag set (tags merge as one field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Moves the record to another scope (access by role); later changes travel there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
}

impl PartnerChanges {
    /// Whether no field is changed.
    pub fn is_empty(&self) -> bool {
        *self == PartnerChanges::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Operation {
        Operation {
            author: Fingerprint::parse("0123456789ABCDEF0123456789ABCDEF01234567").unwrap(),
            hlc: Hlc { ms: 1_764_038_400_000, n: 2 },
            scope: Scope::all(),
            body: OpBody::PartnerSet {
                partner: PartnerId::for_name("Acme"),
                fields: PartnerChanges {
                    stage: Some(Stage::InDiscussion),
                    notes: Some("Met at FOSDEM".into()),
                    ..Default::default()
                },
            },
        }
    }

    #[test]
    fn canonical_bytes_are_stable() {
        let op = sample();
        expect_test::expect![[r#"{"author":"0123456789ABCDEF0123456789ABCDEF01234567","body":{"fields":{"notes":"Met at FOSDEM","stage":"in-discussion"},"partner":"0754d8b61eec0498930aa1c095efecfa","type":"partner.set"},"hlc":{"ms":1764038400000,"n":2}}"#]]
            .assert_eq(std::str::from_utf8(&op.to_bytes()).unwrap());
        assert_eq!(Operation::from_bytes(&op.to_bytes()).unwrap(), op);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = String::from_utf8(sample().to_bytes()).unwrap().replace("\"notes\"", "\"notez\"");
        assert!(Operation::from_bytes(text.as_bytes()).is_err());
    }

    #[test]
    fn fingerprints_parse_as_pasted() {
        let fpr = Fingerprint::parse("0123 4567 89ab cdef 0123  4567 89AB CDEF 0123 4567").unwrap();
        assert_eq!(fpr.as_str(), "0123456789ABCDEF0123456789ABCDEF01234567");
        assert_eq!(fpr.short(), "89ABCDEF01234567");
        assert!(Fingerprint::parse("xyz").is_err());
    }
}
