//! `report income`: income and expenditure per category, per month, quarter or year.

use crate::base::error::Result;
use crate::finance::model::{Source, MOVES_MONEY};
use crate::home::Home;
use crate::reports::basis::{bad_year, text};
use crate::reports::table::Table;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

word_enum!(
    /// The periods of `report income`.
    Period, "period" {
        Year = "year",
        Quarter = "quarter",
        Month = "month",
    }
);

/// One line of `report income`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IncomeLine {
    /// `2025`, `2025-Q1` or `2025-01`.
    pub period: String,
    /// `income` or `expenditure`; both amounts are positive.
    pub direction: String,
    pub category: String,
    pub currency: String,
    pub amount: String,
}

/// The expenditure line for fees deducted before money reached the balance.
pub const FEES_AT_SOURCE: &str = "Fees deducted at source";

impl Home {
    /// Income and expenditure by category per period. Amounts are gross; the fees taken
    /// at source are an expenditure line of their own.
    pub fn report_income(&self, year: i32, period: Period, source: Option<Source>) -> Result<Vec<IncomeLine>> {
        bad_year(year)?;
        let source = self.report_source(source)?;
        let mut stmt = self.db().prepare_cached(&format!(
            "SELECT month, category, currency, credit, sum(gross), sum(net) FROM finance_totals t
             WHERE year = ?1 AND source = ?2 AND {MOVES_MONEY} GROUP BY month, category, currency, credit"
        ))?;
        // (period, direction order, category, currency) → amount
        let mut lines: BTreeMap<(String, u8, String, String), i64> = BTreeMap::new();
        let rows = stmt.query_map(params![year, source.as_str()], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        for row in rows {
            let (month, category, currency, credit, gross, net) = row?;
            let label = match period {
                Period::Year => year.to_string(),
                Period::Quarter => format!("{year}-Q{}", (month - 1) / 3 + 1),
                Period::Month => format!("{year}-{month:02}"),
            };
            if credit {
                *lines.entry((label.clone(), 0, category, currency.clone())).or_default() += gross;
            } else {
                *lines.entry((label.clone(), 1, category, currency.clone())).or_default() -= gross;
            }
            if gross != net {
                *lines.entry((label, 1, FEES_AT_SOURCE.to_string(), currency)).or_default() += gross - net;
            }
        }
        Ok(lines
            .into_iter()
            .filter(|(_, amount)| *amount != 0)
            .map(|((period, direction, category, currency), amount)| IncomeLine {
                period,
                direction: if direction == 0 { "income" } else { "expenditure" }.to_string(),
                category,
                currency,
                amount: text(amount),
            })
            .collect())
    }
}

/// `report income` as a table.
pub fn income_table(lines: &[IncomeLine]) -> Table {
    let mut table = Table::new(&["period", "direction", "category", "currency", "amount"]);
    for l in lines {
        table.rows.push(vec![
            l.period.clone(),
            l.direction.clone(),
            l.category.clone(),
            l.currency.clone(),
            l.amount.clone(),
        ]);
    }
    table
}
