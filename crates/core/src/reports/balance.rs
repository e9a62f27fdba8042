//! `report balance`: the net movement and closing balance per account, fund or
//! category.

use crate::base::error::Result;
use crate::finance::model::{Source, FUND_OF};
use crate::home::Home;
use crate::reports::basis::{bad_year, text};
use crate::reports::table::Table;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

word_enum!(
    /// What `report balance` groups by.
    BalanceBy, "grouping" {
        Account = "account",
        Kind = "kind",
        Year = "year",
        Fund = "fund",
    }
);

/// One line of `report balance`: the grouping key, the currency, the net amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BalanceLine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund: Option<String>,
    pub currency: String,
    pub amount: String,
    pub transactions: u64,
}

impl Home {
    /// Net balance grouped by account, kind, year or fund, per currency.
    pub fn report_balance(&self, by: BalanceBy, year: Option<i32>, source: Option<Source>) -> Result<Vec<BalanceLine>> {
        if let Some(year) = year {
            bad_year(year)?;
        }
        let key = match by {
            BalanceBy::Account => "t.account".to_string(),
            BalanceBy::Kind => "t.kind".to_string(),
            BalanceBy::Year => "t.year".to_string(),
            BalanceBy::Fund => FUND_OF.to_string(),
        };
        let sql = format!(
            "SELECT {key} AS k, t.currency, sum(t.net), sum(t.count) FROM finance_totals t
             WHERE (?1 IS NULL OR t.year = ?1) AND (?2 IS NULL OR t.source = ?2)
             GROUP BY k, t.currency ORDER BY k, t.currency"
        );
        let mut stmt = self.db().prepare_cached(&sql)?;
        let rows = stmt.query_map(params![year, source.map(Source::as_str)], |r| {
            let key: rusqlite::types::Value = r.get(0)?;
            let key_text = match &key {
                rusqlite::types::Value::Integer(n) => n.to_string(),
                rusqlite::types::Value::Text(t) => t.clone(),
                _ => String::new(),
            };
            let mut line = BalanceLine {
                account: None,
                kind: None,
                year: None,
                fund: None,
                currency: r.get(1)?,
                amount: text(r.get(2)?),
                transactions: r.get::<_, i64>(3)? as u64,
            };
            match by {
                BalanceBy::Account => line.account = Some(key_text),
                BalanceBy::Kind => line.kind = Some(key_text),
                BalanceBy::Year => line.year = key_text.parse().ok(),
                BalanceBy::Fund => line.fund = Some(key_text),
            }
            Ok(line)
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// `report balance` as a table.
pub fn balance_table(by: BalanceBy, lines: &[BalanceLine]) -> Table {
    let mut table = Table::new(&[by.as_str(), "currency", "amount", "transactions"]);
    for l in lines {
        let key = match by {
            BalanceBy::Account => l.account.clone(),
            BalanceBy::Kind => l.kind.clone(),
            BalanceBy::Year => l.year.map(|y| y.to_string()),
            BalanceBy::Fund => l.fund.clone(),
        };
        table.rows.push(vec![
            key.unwrap_or_default(),
            l.currency.clone(),
            l.amount.clone(),
            l.transactions.to_string(),
        ]);
    }
    table
}
