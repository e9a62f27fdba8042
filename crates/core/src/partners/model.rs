//! Partner records: organisations, their contacts, where each relationship stands, who
//! owns it, the log of contacts made, and claims ("I will approach them") that warn
//! anyone else about to reach out. The record types and the requests the adapters send,
//! with their validation.

use crate::base::error::{Error, Result};
use crate::members::roster::MemberRef;
use crate::members::scope::Scope;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use ts_rs::TS;

/// Identity of an organisation: derived from its normalised name, so that the same
/// organisation recorded by two members offline is one record after they sync.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(transparent)]
pub struct PartnerId(pub String);

impl PartnerId {
    /// The id of the organisation called `name` (case and spacing do not matter).
    pub fn for_name(name: &str) -> PartnerId {
        let hash = Sha256::digest(format!("partner\0{}", name_key(name)).as_bytes());
        PartnerId(hex::encode(&hash[..16]))
    }
}

impl fmt::Display for PartnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The form of a name used for identity and look-up: lower case, single spaces.
pub fn name_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

word_enum!(
    /// What kind of organisation a partner is.
    Kind, "kind" {
        Company = "company",
        PublicAdministration = "public-administration",
        Academia = "academia",
        Community = "community",
    }
);

word_enum!(
    /// Where the relationship with an organisation stands.
    Stage, "stage" {
        Prospect = "prospect",
        Contacted = "contacted",
        InDiscussion = "in-discussion",
        Partner = "partner",
        Lapsed = "lapsed",
        Declined = "declined",
    }
);

/// One organisation in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PartnerSummary {
    pub id: PartnerId,
    pub name: String,
    pub kind: Kind,
    pub stage: Stage,
    /// The member who owns the relationship.
    pub owner: Option<MemberRef>,
    pub tags: Vec<String>,
    pub website: Option<String>,
    /// The Open Collective contributor account whose contributions are this partner's.
    pub opencollective: Option<String>,
    /// Date of the most recent logged contact.
    pub last_contact: Option<NaiveDate>,
    /// Live claims on the organisation (claims whose date has not passed).
    pub claims: Vec<Claim>,
    /// Who may read the record: its changes travel in bundles of this scope.
    pub scope: Scope,
}

/// A contact person at an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub role: Option<String>,
    pub added_by: MemberRef,
    pub scope: Scope,
}

/// A logged contact with an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Interaction {
    pub id: String,
    pub date: NaiveDate,
    pub channel: String,
    pub member: MemberRef,
    pub summary: String,
    pub next_step: Option<String>,
    pub due: Option<NaiveDate>,
    pub scope: Scope,
}

/// A member's claim on an organisation for outreach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Claim {
    pub member: MemberRef,
    /// The last day of the claim.
    pub until: NaiveDate,
}

/// Everything recorded about one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PartnerDetail {
    #[serde(flatten)]
    #[ts(flatten)]
    pub summary: PartnerSummary,
    pub notes: Option<String>,
    pub contacts: Vec<Contact>,
    /// Newest first.
    pub interactions: Vec<Interaction>,
}

/// Which organisations to list. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct PartnerFilter {
    pub stage: Option<Stage>,
    pub tag: Option<String>,
    /// Text found in the name, website or tags (case-insensitive).
    pub search: Option<String>,
    /// Owner fingerprint, or `me`.
    pub owner: Option<String>,
    /// Only records of this scope.
    pub scope: Option<Scope>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// A request to record a new organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewPartner {
    pub name: String,
    pub kind: Kind,
    pub stage: Stage,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub website: Option<String>,
    /// Who may read it; `all` when absent.
    #[serde(default)]
    pub scope: Option<Scope>,
}

/// A request to change fields of an organisation. Absent fields are left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct PartnerUpdate {
    pub kind: Option<Kind>,
    pub stage: Option<Stage>,
    /// Owner fingerprint, `me`, or `none` to clear.
    pub owner: Option<String>,
    pub website: Option<String>,
    pub notes: Option<String>,
    /// The organisation's Open Collective account slug (empty clears it).
    #[serde(default)]
    pub opencollective: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Moves the record to another scope: its current fields are shared with that
    /// scope's readers, and later changes travel there.
    pub scope: Option<Scope>,
}

/// A request to add a contact person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewContact {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    /// The organisation's scope when absent.
    #[serde(default)]
    pub scope: Option<Scope>,
}

/// A request to log a contact made with an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewInteraction {
    pub channel: String,
    pub summary: String,
    /// Defaults to today.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub next_step: Option<String>,
    #[serde(default)]
    pub due: Option<NaiveDate>,
    /// Log it even though another member holds a live claim.
    #[serde(default)]
    pub force: bool,
    /// The organisation's scope when absent; a narrower one keeps the note from readers
    /// of the organisation who may not read it (e.g. `board` on a public record).
    #[serde(default)]
    pub scope: Option<Scope>,
}

/// The result of a claim: the claim now held, and whose live claim was overridden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ClaimOutcome {
    pub partner: String,
    pub until: NaiveDate,
    /// Live claims of other members that `force` went past.
    pub overridden: Vec<Claim>,
}

/// The longest claim, in days: a claim is a short-term courtesy, not ownership.
pub const MAX_CLAIM_DAYS: u32 = 365;
pub(crate) fn clean_text(what: &'static str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(what, text, "it must not be empty"));
    }
    Ok(text.to_string())
}
pub(crate) fn clean_optional(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}
pub(crate) fn clean_tags(tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.contains(',') {
            return Err(Error::invalid("tag", &tag, "tags are single words or phrases without commas"));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out.sort();
    Ok(out)
}
pub(crate) fn clean_email(email: Option<String>) -> Result<Option<String>> {
    match clean_optional(email) {
        Some(e) if !e.contains('@') || e.contains(char::is_whitespace) => {
            Err(Error::invalid("email address", &e, "expected an address like name@example.org"))
        }
        other => Ok(other),
    }
}
