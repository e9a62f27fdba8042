//! The partner tables: how partner operations apply to them. Every write is either a
//! per-field last-writer-wins register or an insert keyed by operation id.

use crate::base::error::Result;
use crate::engine::operation::{OpBody, OpId, Operation, PartnerChanges};
use crate::engine::store;
use crate::partners::model::{name_key, PartnerId};
use rusqlite::{params, Transaction};

pub(crate) fn exists(db: &rusqlite::Connection, partner: &PartnerId) -> Result<bool> {
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
