//! Partner records: organisations, their contacts, where each relationship stands, who
//! owns it, the log of contacts made, and claims ("I will approach them") that warn
//! anyone else about to reach out.
//!
//! This module holds the record types, the requests the adapters send, how partner
//! operations apply to the database, and the queries over them.

use crate::error::{Error, Result};
use crate::home::Home;
use crate::operation::{Fingerprint, OpBody, OpId, Operation, PartnerChanges};
use crate::scope::Scope;
use crate::store;
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension, Transaction};
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

fn clean_text(what: &'static str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(what, text, "it must not be empty"));
    }
    Ok(text.to_string())
}

fn clean_optional(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

fn clean_tags(tags: &[String]) -> Result<Vec<String>> {
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

fn clean_email(email: Option<String>) -> Result<Option<String>> {
    match clean_optional(email) {
        Some(e) if !e.contains('@') || e.contains(char::is_whitespace) => {
            Err(Error::invalid("email address", &e, "expected an address like name@example.org"))
        }
        other => Ok(other),
    }
}

impl Home {
    /// Records a new organisation. Refuses a name that is already recorded.
    pub fn add_partner(&mut self, request: NewPartner) -> Result<PartnerSummary> {
        let name = clean_text("organisation name", &request.name)?;
        let partner = PartnerId::for_name(&name);
        if exists(self.db(), &partner)? {
            return Err(Error::PartnerExists(name));
        }
        let body = OpBody::PartnerAdd {
            partner: partner.clone(),
            name,
            kind: request.kind,
            stage: request.stage,
            tags: clean_tags(&request.tags)?,
            website: clean_optional(request.website),
        };
        self.commit(&request.scope.unwrap_or_default(), vec![body])?;
        self.partner_summary(&partner)
    }

    /// Changes fields of an organisation found by name.
    pub fn update_partner(&mut self, name: &str, update: PartnerUpdate) -> Result<PartnerSummary> {
        let partner = self.find_partner(name)?;
        let owner = match update.owner.as_deref().map(str::trim) {
            None => None,
            Some("none") | Some("") => Some(String::new()),
            Some("me") => Some(self.fingerprint().to_string()),
            Some(fpr) => Some(Fingerprint::parse(fpr)?.to_string()),
        };
        let fields = PartnerChanges {
            kind: update.kind,
            stage: update.stage,
            owner,
            website: update.website.map(|w| w.trim().to_string()),
            notes: update.notes.map(|n| n.trim().to_string()),
            opencollective: update.opencollective.map(|s| s.trim().to_string()),
            tags: update.tags.as_deref().map(clean_tags).transpose()?,
            scope: None,
        };
        let current = self.partner_summary(&partner)?;
        let moving = update.scope.filter(|s| *s != current.scope);
        if fields.is_empty() && moving.is_none() {
            return Err(Error::invalid(
                "change",
                "",
                "nothing to change: give at least one of --stage, --owner, --notes, --kind, --website, --opencollective, --tag, --scope",
            ));
        }
        let Some(to) = moving else {
            self.commit(&current.scope, vec![OpBody::PartnerSet { partner: partner.clone(), fields }])?;
            return self.partner_summary(&partner);
        };
        // A move tells the old scope's readers where the record went (nothing more),
        // and gives the new scope's readers the record as it stands, with the changes.
        let notes = self.db().query_row("SELECT notes FROM partners WHERE id = ?1", [&partner.0], |r| r.get(0))?;
        let snapshot = PartnerChanges {
            kind: fields.kind.or(Some(current.kind)),
            stage: fields.stage.or(Some(current.stage)),
            owner: fields.owner.or(current.owner.map(|o| o.fingerprint)),
            website: fields.website.or(current.website),
            notes: fields.notes.or(notes),
            opencollective: fields.opencollective.or(current.opencollective),
            tags: None,
            scope: Some(to.clone()),
        };
        let tags = fields.tags.unwrap_or(current.tags);
        let add = OpBody::PartnerAdd {
            partner: partner.clone(),
            name: current.name,
            kind: snapshot.kind.unwrap_or(current.kind),
            stage: snapshot.stage.unwrap_or(current.stage),
            tags: tags.clone(),
            website: snapshot.website.clone().filter(|w| !w.is_empty()),
        };
        let moved = PartnerChanges { scope: Some(to.clone()), ..PartnerChanges::default() };
        self.commit_scoped(vec![
            (current.scope, OpBody::PartnerSet { partner: partner.clone(), fields: moved }),
            (to.clone(), add),
            (
                to,
                OpBody::PartnerSet {
                    partner: partner.clone(),
                    fields: PartnerChanges { tags: Some(tags), ..snapshot },
                },
            ),
        ])?;
        self.partner_summary(&partner)
    }

    /// Adds a contact person to an organisation found by name.
    pub fn add_contact(&mut self, name: &str, contact: NewContact) -> Result<PartnerDetail> {
        let partner = self.find_partner(name)?;
        let body = OpBody::ContactAdd {
            partner: partner.clone(),
            name: clean_text("contact name", &contact.name)?,
            email: clean_email(contact.email)?,
            role: clean_optional(contact.role),
        };
        let scope = self.note_scope(&partner, contact.scope)?;
        self.commit(&scope, vec![body])?;
        self.partner_detail_by_id(&partner)
    }

    /// Logs a contact made with an organisation. Refuses, naming who and until when,
    /// if another member holds a live claim, unless `force` is set.
    pub fn log_interaction(&mut self, name: &str, entry: NewInteraction) -> Result<PartnerDetail> {
        let partner = self.find_partner(name)?;
        let channel = clean_text("channel", &entry.channel)?.to_lowercase();
        let summary = clean_text("summary", &entry.summary)?;
        let next_step = clean_optional(entry.next_step);
        if entry.due.is_some() && next_step.is_none() {
            return Err(Error::invalid("due date", "", "a due date needs a next step (--next TEXT)"));
        }
        if !entry.force {
            self.refuse_if_claimed_by_other(&partner)?;
        }
        let date = entry.date.unwrap_or_else(|| self.clock().today());
        let body =
            OpBody::InteractionLog { partner: partner.clone(), date, channel, summary, next_step, due: entry.due };
        let scope = self.note_scope(&partner, entry.scope)?;
        self.commit(&scope, vec![body])?;
        self.partner_detail_by_id(&partner)
    }

    /// Claims an organisation for outreach for `days` days from today. Your own live
    /// claim is extended; another member's live claim refuses unless `force` is set.
    pub fn claim_partner(&mut self, name: &str, days: u32, force: bool) -> Result<ClaimOutcome> {
        if days == 0 || days > MAX_CLAIM_DAYS {
            return Err(Error::invalid("number of days", &days.to_string(), format!("expected 1 to {MAX_CLAIM_DAYS}")));
        }
        let partner = self.find_partner(name)?;
        let today = self.clock().today();
        let mine = self.fingerprint().to_string();
        let claims = self.live_claims(&partner, today)?;
        let (own, others): (Vec<Claim>, Vec<Claim>) = claims.into_iter().partition(|c| c.member.fingerprint == mine);
        if let (false, Some(first)) = (force, others.first()) {
            return Err(Error::ClaimedByOther {
                partner: self.partner_summary(&partner)?.name,
                member: first.member.to_string(),
                until: first.until,
            });
        }
        let wanted = today + chrono::Days::new(u64::from(days));
        let until = own.iter().map(|c| c.until).fold(wanted, NaiveDate::max);
        let scope = self.partner_scope(&partner)?;
        self.commit(&scope, vec![OpBody::ClaimSet { partner: partner.clone(), until }])?;
        Ok(ClaimOutcome { partner: self.partner_summary(&partner)?.name, until, overridden: others })
    }

    /// Lists organisations, ordered by name.
    pub fn list_partners(&self, filter: &PartnerFilter) -> Result<Vec<PartnerSummary>> {
        let owner = match filter.owner.as_deref() {
            Some("me") => Some(self.fingerprint().to_string()),
            Some(fpr) => Some(Fingerprint::parse(fpr)?.to_string()),
            None => None,
        };
        let search = filter.search.as_deref().map(|s| format!("%{}%", escape_like(&s.to_lowercase())));
        let tag = filter.tag.as_deref().map(|t| t.trim().to_lowercase());
        let mut stmt = self.db().prepare_cached(
            "SELECT id FROM partners p
             WHERE name IS NOT NULL
               AND (?1 IS NULL OR stage = ?1)
               AND (?2 IS NULL OR owner = ?2)
               AND (?7 IS NULL OR coalesce(scope_set, scope_added, 'all') = ?7)
               AND (?3 IS NULL OR EXISTS (SELECT 1 FROM partner_tags t WHERE t.partner = p.id AND t.tag = ?3))
               AND (?4 IS NULL OR name_key LIKE ?4 ESCAPE '\\' OR lower(coalesce(website, '')) LIKE ?4 ESCAPE '\\'
                    OR EXISTS (SELECT 1 FROM partner_tags t WHERE t.partner = p.id AND t.tag LIKE ?4 ESCAPE '\\'))
             ORDER BY name_key, id
             LIMIT ?5 OFFSET ?6",
        )?;
        let ids: Vec<PartnerId> = stmt
            .query_map(
                params![
                    filter.stage.map(Stage::as_str),
                    owner,
                    tag,
                    search,
                    filter.limit.map_or(-1, i64::from),
                    filter.offset.unwrap_or(0),
                    filter.scope.as_ref().map(Scope::as_str)
                ],
                |row| row.get::<_, String>(0).map(PartnerId),
            )?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter().map(|id| self.partner_summary(id)).collect()
    }

    /// Everything recorded about the organisation called `name`.
    pub fn partner_detail(&self, name: &str) -> Result<PartnerDetail> {
        let partner = self.find_partner(name)?;
        self.partner_detail_by_id(&partner)
    }

    /// Finds an organisation by name (case and spacing do not matter) or by id.
    pub fn find_partner(&self, name: &str) -> Result<PartnerId> {
        let by_name = PartnerId::for_name(name);
        if exists(self.db(), &by_name)? {
            return Ok(by_name);
        }
        let by_id = PartnerId(name.trim().to_lowercase());
        if exists(self.db(), &by_id)? {
            return Ok(by_id);
        }
        Err(Error::UnknownPartner(name.trim().to_string()))
    }

    /// The scope of an organisation's record.
    fn partner_scope(&self, partner: &PartnerId) -> Result<Scope> {
        let scope: String = self.db().query_row(
            "SELECT coalesce(scope_set, scope_added, 'all') FROM partners WHERE id = ?1",
            [&partner.0],
            |r| r.get(0),
        )?;
        Scope::parse(&scope)
    }

    /// The scope of a new note or contact on an organisation: the one asked for, else
    /// the organisation's. A record that is not `all` keeps its notes in its own scope,
    /// so no note names it to members who may not read it.
    fn note_scope(&self, partner: &PartnerId, wanted: Option<Scope>) -> Result<Scope> {
        let own = self.partner_scope(partner)?;
        match wanted {
            None => Ok(own),
            Some(wanted) if own.is_all() || wanted == own => Ok(wanted),
            Some(wanted) => Err(Error::invalid(
                "scope",
                wanted.as_str(),
                format!("the organisation's record is in scope `{own}`; its notes and contacts must be too"),
            )),
        }
    }

    fn refuse_if_claimed_by_other(&self, partner: &PartnerId) -> Result<()> {
        let mine = self.fingerprint().to_string();
        let claims = self.live_claims(partner, self.clock().today())?;
        match claims.into_iter().find(|c| c.member.fingerprint != mine) {
            Some(claim) => Err(Error::ClaimedByOther {
                partner: self.partner_summary(partner)?.name,
                member: claim.member.to_string(),
                until: claim.until,
            }),
            None => Ok(()),
        }
    }

    fn live_claims(&self, partner: &PartnerId, today: NaiveDate) -> Result<Vec<Claim>> {
        let mut stmt = self.db().prepare_cached(
            "SELECT member, until FROM claims WHERE partner = ?1 AND until >= ?2 ORDER BY until, member",
        )?;
        let rows = stmt.query_map(params![partner.0, today], |row| Ok((row.get::<_, String>(0)?, row.get(1)?)))?;
        let mut claims = Vec::new();
        for row in rows {
            let (member, until) = row?;
            claims.push(Claim { member: self.member_ref(&member), until });
        }
        Ok(claims)
    }

    fn partner_summary(&self, partner: &PartnerId) -> Result<PartnerSummary> {
        let row = self
            .db()
            .prepare_cached(
                "SELECT name, kind, stage, owner, tags, website,
                        (SELECT max(date) FROM interactions i WHERE i.partner = p.id), opencollective,
                        coalesce(scope_set, scope_added, 'all')
                 FROM partners p WHERE id = ?1 AND name IS NOT NULL",
            )?
            .query_row([&partner.0], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, Option<NaiveDate>>(6)?,
                    row.get::<_, Option<String>>(7)?,
                    row.get::<_, String>(8)?,
                ))
            })
            .optional()?;
        let Some((name, kind, stage, owner, tags, website, last_contact, opencollective, scope)) = row else {
            return Err(Error::UnknownPartner(partner.0.clone()));
        };
        Ok(PartnerSummary {
            id: partner.clone(),
            kind: kind.parse()?,
            stage: stage.parse()?,
            owner: owner.filter(|o| !o.is_empty()).map(|o| self.member_ref(&o)),
            tags: serde_json::from_str(&tags).unwrap_or_default(),
            website: website.filter(|w| !w.is_empty()),
            opencollective: opencollective.filter(|s| !s.is_empty()),
            last_contact,
            claims: self.live_claims(partner, self.clock().today())?,
            name,
            scope: Scope::parse(&scope)?,
        })
    }

    fn partner_detail_by_id(&self, partner: &PartnerId) -> Result<PartnerDetail> {
        let summary = self.partner_summary(partner)?;
        let db = self.db();
        let notes: Option<String> =
            db.query_row("SELECT notes FROM partners WHERE id = ?1", [&partner.0], |row| row.get(0))?;
        let mut stmt = db.prepare_cached(
            "SELECT id, name, email, role, added_by, scope FROM contacts WHERE partner = ?1 ORDER BY lower(name), id",
        )?;
        let contacts = stmt
            .query_map([&partner.0], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                ))
            })?
            .map(|row| {
                let (id, name, email, role, added_by, scope) = row?;
                Ok(Contact {
                    id,
                    name,
                    email,
                    role,
                    added_by: self.member_ref(&added_by),
                    scope: Scope::parse(&scope)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut stmt = db.prepare_cached(
            "SELECT id, date, channel, member, summary, next_step, due, scope FROM interactions
             WHERE partner = ?1 ORDER BY date DESC, hlc_ms DESC, hlc_n DESC, id",
        )?;
        let interactions = stmt
            .query_map([&partner.0], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get::<_, String>(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                    row.get::<_, String>(7)?,
                ))
            })?
            .map(|row| {
                let (id, date, channel, member, summary, next_step, due, scope) = row?;
                let scope = Scope::parse(&scope)?;
                Ok(Interaction { id, date, channel, member: self.member_ref(&member), summary, next_step, due, scope })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(PartnerDetail { summary, notes: notes.filter(|n| !n.is_empty()), contacts, interactions })
    }
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

fn exists(db: &rusqlite::Connection, partner: &PartnerId) -> Result<bool> {
    Ok(db.prepare_cached("SELECT 1 FROM partners WHERE id = ?1 AND name IS NOT NULL")?.exists([&partner.0])?)
}

/// Applies one partner operation inside the caller's transaction. Every write is
/// either a per-field last-writer-wins register or an insert keyed by operation id,
/// so applying a set of operations in any order gives the same rows.
pub(crate) fn apply(tx: &Transaction<'_>, op: &Operation, id: &OpId) -> Result<()> {
    match &op.body {
        OpBody::PartnerAdd { partner, name, kind, stage, tags, website } => {
            ensure_row(tx, partner, op)?;
            let key = name_key(name);
            set_field(tx, op, id, partner, "name", name)?;
            set_field(tx, op, id, partner, "name_key", &key)?;
            set_field(tx, op, id, partner, "kind", kind.as_str())?;
            set_field(tx, op, id, partner, "stage", stage.as_str())?;
            if store::wins_first(tx, &format!("partners:{}", partner.0), "scope_added", op, id)? {
                tx.prepare_cached("UPDATE partners SET scope_added = ?1 WHERE id = ?2")?
                    .execute(params![op.scope.as_str(), partner.0])?;
            }
            if !tags.is_empty() {
                set_tags(tx, op, id, partner, tags)?;
            }
            if let Some(website) = website {
                set_field(tx, op, id, partner, "website", website)?;
            }
        }
        OpBody::PartnerSet { partner, fields } => {
            ensure_row(tx, partner, op)?;
            let PartnerChanges { kind, stage, owner, website, notes, opencollective, tags, scope } = fields;
            if let Some(scope) = scope {
                set_field(tx, op, id, partner, "scope_set", scope.as_str())?;
            }
            if let Some(kind) = kind {
                set_field(tx, op, id, partner, "kind", kind.as_str())?;
            }
            if let Some(stage) = stage {
                set_field(tx, op, id, partner, "stage", stage.as_str())?;
            }
            for (field, value) in
                [("owner", owner), ("website", website), ("notes", notes), ("opencollective", opencollective)]
            {
                if let Some(value) = value {
                    set_field(tx, op, id, partner, field, value)?;
                }
            }
            if let Some(tags) = tags {
                set_tags(tx, op, id, partner, tags)?;
            }
        }
        OpBody::ContactAdd { partner, name, email, role } => {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO contacts (id, partner, name, email, role, added_by, hlc_ms, hlc_n, scope)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                id.0,
                partner.0,
                name,
                email,
                role,
                op.author.as_str(),
                op.hlc.ms,
                op.hlc.n,
                op.scope.as_str()
            ])?;
        }
        OpBody::InteractionLog { partner, date, channel, summary, next_step, due } => {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO interactions
                   (id, partner, date, channel, member, summary, next_step, due, hlc_ms, hlc_n, scope)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                id.0,
                partner.0,
                date,
                channel,
                op.author.as_str(),
                summary,
                next_step,
                due,
                op.hlc.ms,
                op.hlc.n,
                op.scope.as_str()
            ])?;
        }
        OpBody::ClaimSet { partner, until } => {
            let entity = format!("claim:{}:{}", partner.0, op.author);
            if store::wins(tx, &entity, "until", op, id)? {
                tx.prepare_cached(
                    "INSERT INTO claims (partner, member, until) VALUES (?1, ?2, ?3)
                     ON CONFLICT (partner, member) DO UPDATE SET until = excluded.until",
                )?
                .execute(params![partner.0, op.author.as_str(), until])?;
            }
        }
        // Not partner operations: applied by their own modules.
        _ => {}
    }
    Ok(())
}

/// Creates the organisation's row if this is the first operation about it to arrive;
/// its creation time is the earliest clock reading of any operation about it.
fn ensure_row(tx: &Transaction<'_>, partner: &PartnerId, op: &Operation) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO partners (id, kind, stage, tags, created_ms) VALUES (?1, 'company', 'prospect', '[]', ?2)
         ON CONFLICT (id) DO UPDATE SET created_ms = excluded.created_ms WHERE excluded.created_ms < created_ms",
    )?
    .execute(params![partner.0, op.hlc.ms])?;
    Ok(())
}

fn set_field(
    tx: &Transaction<'_>,
    op: &Operation,
    id: &OpId,
    partner: &PartnerId,
    field: &'static str,
    value: &str,
) -> Result<()> {
    store::set_field(tx, "partners", "id", &partner.0, field, value, op, id).map(|_| ())
}

fn set_tags(tx: &Transaction<'_>, op: &Operation, id: &OpId, partner: &PartnerId, tags: &[String]) -> Result<()> {
    let json = serde_json::to_string(tags).unwrap_or_else(|_| "[]".into());
    if store::set_field(tx, "partners", "id", &partner.0, "tags", &json, op, id)? {
        tx.prepare_cached("DELETE FROM partner_tags WHERE partner = ?1")?.execute([&partner.0])?;
        let mut insert = tx.prepare_cached("INSERT OR IGNORE INTO partner_tags (partner, tag) VALUES (?1, ?2)")?;
        for tag in tags {
            insert.execute(params![partner.0, tag])?;
        }
    }
    Ok(())
}
