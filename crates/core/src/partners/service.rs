//! Adding, updating, claiming and listing partners: what a member does with partner
//! records, through their home.

use crate::base::error::{Error, Result};
use crate::crypto::identity::Fingerprint;
use crate::engine::operation::{OpBody, PartnerChanges};
use crate::home::Home;
use crate::members::scope::Scope;
use crate::partners::model::{
    clean_email, clean_optional, clean_tags, clean_text, Claim, ClaimOutcome, Contact, Interaction, NewContact,
    NewInteraction, NewPartner, PartnerDetail, PartnerFilter, PartnerId, PartnerSummary, PartnerUpdate, Stage,
    MAX_CLAIM_DAYS,
};
use crate::partners::records::exists;
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};

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
