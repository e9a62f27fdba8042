//! Applying operations to the records: the one dispatch from an operation to the
//! feature whose tables it changes, used for this member's own log and for every
//! bundle read from the folder alike.
//!
//! Architecture invariant: applying is commutative and idempotent, so every member
//! reaches the same records (and [`Store::digest`]) whatever the arrival order; the
//! property test and the merge scenarios below hold it to that.

use crate::base::error::Result;
use crate::engine::operation::{OpBody, OpId, Operation};
use crate::engine::store::{read_hlc, write_meta, LogLines, Store};
use rusqlite::{params, Transaction};

/// Applies operations from this home's own log in one transaction and records
/// `log_offset` (how far into the log the database has caught up). Own operations
/// not yet seen in a bundle are queued in the outbox. Returns how many were given.
pub(crate) fn apply_local(store: &mut Store, ops: &[Operation], log: Option<LogLines<'_>>) -> Result<usize> {
    let encoded = Operation::encode_all(ops);
    apply_encoded(store, ops, &encoded, log)
}

/// [`apply_local`] with each operation's canonical bytes already at hand
/// (`encoded[i]` is `ops[i].to_bytes()`): large imports encode once.
pub(crate) fn apply_encoded(
    store: &mut Store,
    ops: &[Operation],
    encoded: &[Vec<u8>],
    log: Option<LogLines<'_>>,
) -> Result<usize> {
    let tx = store.transaction()?;
    apply_local_in(&tx, ops, encoded, log)?;
    tx.commit()?;
    Ok(ops.len())
}

/// [`apply_local`] inside a transaction the caller commits.
pub(crate) fn apply_local_in(
    tx: &Transaction<'_>,
    ops: &[Operation],
    encoded: &[Vec<u8>],
    log: Option<LogLines<'_>>,
) -> Result<()> {
    let ids: Vec<OpId> = encoded.iter().map(|bytes| OpId::of_canonical(bytes)).collect();
    apply_ops(tx, ops, &ids)?;
    let mut queue = tx.prepare_cached(
        "INSERT OR IGNORE INTO outbox (id, hlc_ms, hlc_n, op, log_at)
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM bundled_ops WHERE id = ?1)",
    )?;
    // With the log's lines given, each operation waits as the offset where its line
    // starts (the log holds it; the outbox need not).
    for (i, ((op, id), bytes)) in ops.iter().zip(&ids).zip(encoded).enumerate() {
        match log.and_then(|l| l.starts.get(i)) {
            Some(at) => queue.execute(params![id.0, op.hlc.ms, op.hlc.n, &[] as &[u8], *at as i64])?,
            None => queue.execute(params![id.0, op.hlc.ms, op.hlc.n, bytes, None::<i64>])?,
        };
    }
    drop(queue);
    if let Some(log) = log {
        write_meta(tx, "log_offset", &log.end.to_string())?;
    }
    Ok(())
}

/// Applies operations inside `tx` and advances the stored clock to the newest
/// reading. Applying an operation again changes nothing (every write is either a
/// last-writer-wins register ordered by (hlc, author, id) or an insert keyed by the
/// operation id), so no record of applied operations is needed. `ids[i]` is
/// `ops[i].id()`, computed once by the caller.
pub(crate) fn apply_ops(tx: &Transaction<'_>, ops: &[Operation], ids: &[OpId]) -> Result<()> {
    let mut newest = read_hlc(tx)?;
    for (op, id) in ops.iter().zip(ids) {
        apply_one(tx, op, id)?;
        newest = newest.max(op.hlc);
    }
    write_meta(tx, "hlc", &serde_json::to_string(&newest).unwrap_or_default())?;
    Ok(())
}

fn apply_one(tx: &Transaction<'_>, op: &Operation, id: &OpId) -> Result<()> {
    match &op.body {
        OpBody::PartnerAdd { .. }
        | OpBody::PartnerSet { .. }
        | OpBody::ContactAdd { .. }
        | OpBody::InteractionLog { .. }
        | OpBody::ClaimSet { .. } => crate::partners::records::apply(tx, op, id),
        OpBody::DecisionPropose { .. } | OpBody::DecisionVote { .. } | OpBody::DecisionWithdraw { .. } => {
            crate::decisions::records::apply(tx, op, id)
        }
        OpBody::DecisionLink { .. }
        | OpBody::FinanceImport { .. }
        | OpBody::FundMap { .. }
        | OpBody::BudgetSet { .. } => crate::finance::records::apply(tx, op, id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::clock::Hlc;
    use crate::crypto::identity::Fingerprint;
    use crate::engine::operation::PartnerChanges;
    use crate::partners::model::{Kind, PartnerId, Stage};
    use chrono::NaiveDate;
    use proptest::prelude::*;
    use std::path::Path;

    const AUTHORS: [&str; 3] = [
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
    ];
    const NAMES: [&str; 3] = ["Acme", "Borealis", "Cobalt"];

    fn body() -> impl Strategy<Value = OpBody> {
        let partner = (0..NAMES.len()).prop_map(|i| PartnerId::for_name(NAMES[i]));
        let stage = prop::sample::select(Stage::ALL.to_vec());
        let kind = prop::sample::select(Kind::ALL.to_vec());
        let text = prop::sample::select(vec!["", "alpha", "beta", "gamma"]).prop_map(str::to_string);
        let date = (1u32..28).prop_map(|d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap());
        let tags = prop::collection::vec(prop::sample::select(vec!["ci", "sponsor", "cdn"]), 0..3)
            .prop_map(|t| t.into_iter().map(str::to_string).collect::<Vec<_>>());
        prop_oneof![
            (0..NAMES.len(), kind.clone(), stage.clone(), tags.clone()).prop_map(|(i, kind, stage, tags)| {
                OpBody::PartnerAdd {
                    partner: PartnerId::for_name(NAMES[i]),
                    name: NAMES[i].to_string(),
                    kind,
                    stage,
                    tags,
                    website: None,
                }
            }),
            (
                partner.clone(),
                prop::option::of(stage),
                prop::option::of(text.clone()),
                prop::option::of(text.clone()),
                prop::option::of(tags)
            )
                .prop_map(|(partner, stage, owner, notes, tags)| OpBody::PartnerSet {
                    partner,
                    fields: PartnerChanges { stage, owner, notes, tags, ..Default::default() },
                }),
            (partner.clone(), text.clone()).prop_map(|(partner, name)| OpBody::ContactAdd {
                partner,
                name: format!("contact {name}"),
                email: None,
                role: None
            }),
            (partner.clone(), date.clone(), text).prop_map(|(partner, date, summary)| {
                OpBody::InteractionLog { partner, date, channel: "call".into(), summary, next_step: None, due: None }
            }),
            (partner, date).prop_map(|(partner, until)| OpBody::ClaimSet { partner, until }),
        ]
    }

    /// Operations from three authors whose clocks collide often (a few distinct
    /// milliseconds), so ties between authors and within one author are exercised.
    fn operations() -> impl Strategy<Value = Vec<Operation>> {
        prop::collection::vec((0..AUTHORS.len(), 0i64..4, 0u32..3, body()), 1..40).prop_map(|items| {
            let mut ops: Vec<Operation> = items
                .into_iter()
                .map(|(a, ms, n, body)| Operation {
                    author: Fingerprint::parse(AUTHORS[a]).unwrap(),
                    hlc: Hlc { ms: 1_000 + ms, n },
                    body,
                    scope: Default::default(),
                })
                .collect();
            ops.dedup_by_key(|op| op.id());
            ops
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn any_arrival_order_gives_the_same_digest(
            (ops, shuffled) in operations().prop_flat_map(|ops| (Just(ops.clone()), Just(ops).prop_shuffle())),
            split in 0usize..40,
        ) {
            let mut in_order = Store::in_memory();
            apply_local(&mut in_order, &ops, None).unwrap();

            // Another member receives them shuffled, in two batches, the first batch twice.
            let mut other = Store::in_memory();
            let split = split.min(shuffled.len());
            apply_local(&mut other, &shuffled[..split], None).unwrap();
            apply_local(&mut other, &shuffled[..split], None).unwrap();
            apply_local(&mut other, &shuffled[split..], None).unwrap();

            prop_assert_eq!(in_order.digest().unwrap(), other.digest().unwrap());
            prop_assert_eq!(Store::dump_text(&in_order), Store::dump_text(&other));
        }
    }

    /// The per-month sums as the triggers keep them, and as computed from the rows.
    const RECOMPUTED_TOTALS: &str = "(SELECT source, CAST(substr(date, 1, 4) AS INTEGER) AS year,
        CAST(substr(date, 6, 2) AS INTEGER) AS month, account, kind, category, fund_account, currency,
        gross >= 0 AS credit, sum(gross) AS gross, sum(net) AS net, count(*) AS count FROM transactions
        GROUP BY source, year, month, account, kind, category, fund_account, currency, gross >= 0)";

    fn totals(store: &Store, table: &str) -> Vec<(String, i64, i64, i64, i64)> {
        let sql = format!(
            "SELECT source || account || kind || category || fund_account || currency || credit, year * 100 + month,
               gross, net, count FROM {table} ORDER BY 1, 2"
        );
        let mut stmt = store.conn().prepare(&sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn merge_scenarios_match_their_expected_records() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/merge");
        let mut scenarios: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension() == Some("ops".as_ref()))
            .collect();
        scenarios.sort();
        assert!(!scenarios.is_empty(), "no scenarios in {}", dir.display());
        for path in scenarios {
            let text = std::fs::read_to_string(&path).unwrap();
            let ops: Vec<Operation> = text
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display())))
                .collect();
            let mut forward = Store::in_memory();
            apply_local(&mut forward, &ops, None).unwrap();
            let mut backward = Store::in_memory();
            apply_local(&mut backward, &ops.iter().rev().cloned().collect::<Vec<_>>(), None).unwrap();
            let records = Store::dump_text(&forward);
            assert_eq!(records, Store::dump_text(&backward), "{}: order changed the result", path.display());
            for store in [&forward, &backward] {
                assert_eq!(totals(store, "finance_totals"), totals(store, RECOMPUTED_TOTALS), "{}", path.display());
            }
            expect_test::expect_file![path.with_extension("expected")].assert_eq(&records);
        }
    }
}
