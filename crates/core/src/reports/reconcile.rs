//! `report reconcile`: the two sources side by side per month, to find what one
//! holds and the other lacks.

use crate::base::error::Result;
use crate::finance::model::{Source, FUND_OF, MOVES_MONEY};
use crate::home::Home;
use crate::reports::basis::{bad_year, text};
use crate::reports::table::Table;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// One month and fund of `report reconcile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReconcileLine {
    /// `2025-01`.
    pub month: String,
    pub fund: String,
    pub currency: String,
    pub opencollective: String,
    pub eboekhouden: String,
    /// e-boekhouden − Open Collective.
    pub difference: String,
    pub matches: bool,
}

impl Home {
    /// Open Collective against e-boekhouden, per month and fund: the net movement in each.
    pub fn report_reconcile(&self, year: i32) -> Result<Vec<ReconcileLine>> {
        bad_year(year)?;
        let sql = format!(
            "SELECT t.month, {FUND_OF} AS fund, t.currency, t.source, sum(t.net) FROM finance_totals t
             WHERE t.year = ?1 AND {MOVES_MONEY} GROUP BY t.month, fund, t.currency, t.source"
        );
        let mut stmt = self.db().prepare_cached(&sql)?;
        let mut cells: BTreeMap<(u32, String, String), (i64, i64)> = BTreeMap::new();
        let rows = stmt.query_map([year], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        for row in rows {
            let (month, fund, currency, source, net) = row?;
            let cell = cells.entry((month, fund, currency)).or_default();
            if source == Source::OpenCollective.as_str() {
                cell.0 += net;
            } else {
                cell.1 += net;
            }
        }
        Ok(cells
            .into_iter()
            .map(|((month, fund, currency), (oc, eb))| ReconcileLine {
                month: format!("{year}-{month:02}"),
                fund,
                currency,
                opencollective: text(oc),
                eboekhouden: text(eb),
                difference: text(eb - oc),
                matches: oc == eb,
            })
            .collect())
    }
}

/// `report reconcile` as a table.
pub fn reconcile_table(lines: &[ReconcileLine]) -> Table {
    let mut table =
        Table::new(&["month", "fund", "currency", "opencollective", "eboekhouden", "difference", "matches"]);
    for l in lines {
        table.rows.push(vec![
            l.month.clone(),
            l.fund.clone(),
            l.currency.clone(),
            l.opencollective.clone(),
            l.eboekhouden.clone(),
            l.difference.clone(),
            if l.matches { "yes" } else { "DIFFERS" }.to_string(),
        ]);
    }
    table
}
