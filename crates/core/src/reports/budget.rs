//! `report budget`: budget against actual spending, per fund.

use crate::base::error::Result;
use crate::finance::model::Source;
use crate::home::Home;
use crate::reports::basis::{bad_year, text};
use crate::reports::table::Table;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use ts_rs::TS;

/// One budget line in `report budget`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BudgetActualLine {
    pub fund: String,
    pub currency: String,
    pub year: i32,
    pub source: Source,
    pub budget: String,
    pub actual: String,
    pub remaining: String,
    /// Actual as a percentage of the budget, one decimal; none without a budget.
    pub percent: Option<String>,
}

impl Home {
    /// Budget against actual spending per budget line (and per fund that spent without one).
    pub fn report_budget(&self, year: i32, source: Option<Source>) -> Result<Vec<BudgetActualLine>> {
        bad_year(year)?;
        let source = self.report_source(source)?;
        let spent = self.spent_by_fund(year, source, &self.funding_decisions()?, &self.links()?)?;
        let budgets = self.budget_lines(year)?;
        let keys: BTreeSet<&(String, String)> = budgets.keys().chain(spent.keys()).collect();
        Ok(keys
            .into_iter()
            .map(|key| {
                let budget = budgets.get(key).copied();
                let actual = spent.get(key).copied().unwrap_or(0);
                let percent = budget.filter(|b| *b != 0).map(|b| {
                    let mut p = (Decimal::from(actual) * Decimal::from(100) / Decimal::from(b))
                        .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
                    p.rescale(1);
                    p.to_string()
                });
                BudgetActualLine {
                    fund: key.0.clone(),
                    currency: key.1.clone(),
                    year,
                    source,
                    budget: text(budget.unwrap_or(0)),
                    actual: text(actual),
                    remaining: text(budget.unwrap_or(0) - actual),
                    percent,
                }
            })
            .collect())
    }
}

/// `report budget` as a table.
pub fn budget_table(lines: &[BudgetActualLine]) -> Table {
    let mut table = Table::new(&["fund", "currency", "budget", "actual", "remaining", "percent"]);
    for l in lines {
        table.rows.push(vec![
            l.fund.clone(),
            l.currency.clone(),
            l.budget.clone(),
            l.actual.clone(),
            l.remaining.clone(),
            l.percent.clone().unwrap_or_default(),
        ]);
    }
    table
}
