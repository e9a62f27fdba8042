//! `report annual`: the annual summary, per currency: opening and closing balance,
//! income and expenditure per category, and the significant expenses.

use crate::base::error::{Error, Result};
use crate::base::money;
use crate::finance::model::{Source, MOVES_MONEY};
use crate::home::Home;
use crate::reports::basis::{bad_year, text};
use crate::reports::income::Period;
use crate::reports::table::Table;
use rusqlite::params;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// An amount per category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CategoryAmount {
    pub category: String,
    pub amount: String,
}

/// A single expense at or above the threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SignificantExpense {
    pub id: String,
    pub date: chrono::NaiveDate,
    pub description: String,
    pub counterparty: Option<String>,
    pub category: String,
    /// Positive: the money that went out.
    pub amount: String,
}

/// The annual summary in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AnnualCurrency {
    pub currency: String,
    pub opening: String,
    pub income: Vec<CategoryAmount>,
    pub income_total: String,
    pub expenditure: Vec<CategoryAmount>,
    pub expenditure_total: String,
    pub significant: Vec<SignificantExpense>,
    pub closing: String,
}

/// `report annual`: what the foundation publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AnnualReport {
    pub year: i32,
    pub source: Source,
    pub threshold: String,
    pub currencies: Vec<AnnualCurrency>,
}

impl Home {
    /// The annual summary: opening balance, income by source, expenditure by category,
    /// expenses of at least `threshold`, closing balance; per currency.
    pub fn report_annual(&self, year: i32, threshold: Decimal, source: Option<Source>) -> Result<AnnualReport> {
        bad_year(year)?;
        let source = self.report_source(source)?;
        let limit = money::to_units(threshold)
            .filter(|t| *t >= 0)
            .ok_or_else(|| Error::invalid("threshold", &threshold.to_string(), "a positive amount such as 1000"))?;
        // The balance at the start of the year: the latest opening balance recorded (an
        // e-boekhouden OPENING_BALANCE mutation restates it each year) plus the movements
        // since; without one, all movements before the year.
        let mut stmt = self.db().prepare_cached(&format!(
            "SELECT currency, year, sum(CASE WHEN kind = 'OPENING_BALANCE' THEN net ELSE 0 END),
               sum(CASE WHEN kind = 'OPENING_BALANCE' THEN 1 ELSE 0 END),
               sum(CASE WHEN {MOVES_MONEY} THEN net ELSE 0 END)
             FROM finance_totals t WHERE source = ?2 AND year <= ?1 GROUP BY currency, year ORDER BY currency, year"
        ))?;
        let mut opening: BTreeMap<String, i64> = BTreeMap::new();
        let mut movement: BTreeMap<String, i64> = BTreeMap::new();
        for row in stmt.query_map(params![year, source.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i32>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })? {
            let (currency, y, restated, restatements, moved) = row?;
            let balance = opening.entry(currency.clone()).or_default();
            if restatements > 0 {
                *balance = restated;
            }
            if y < year {
                *balance += moved;
            } else {
                movement.insert(currency, moved);
            }
        }
        let lines = self.report_income(year, Period::Year, Some(source))?;
        let mut significant: BTreeMap<String, Vec<SignificantExpense>> = BTreeMap::new();
        let mut stmt = self.db().prepare_cached(&format!(
            "SELECT id, date, description, coalesce(counterparty_name, counterparty), category, net, currency
             FROM transactions t WHERE date BETWEEN ?1 || '-01-01' AND ?1 || '-12-31' AND net <= ?2 AND source = ?3
               AND {MOVES_MONEY} ORDER BY net, date, id"
        ))?;
        let rows = stmt.query_map(params![year, -limit, source.as_str()], |r| {
            Ok((
                r.get::<_, String>(6)?,
                SignificantExpense {
                    id: r.get(0)?,
                    date: r.get(1)?,
                    description: r.get(2)?,
                    counterparty: r.get(3)?,
                    category: r.get(4)?,
                    amount: text(-r.get::<_, i64>(5)?),
                },
            ))
        })?;
        for row in rows {
            let (currency, expense) = row?;
            significant.entry(currency).or_default().push(expense);
        }
        let currencies = opening
            .iter()
            .map(|(currency, &open)| {
                let of = |direction: &str| -> (Vec<CategoryAmount>, i64) {
                    let list: Vec<CategoryAmount> = lines
                        .iter()
                        .filter(|l| l.direction == direction && &l.currency == currency)
                        .map(|l| CategoryAmount { category: l.category.clone(), amount: l.amount.clone() })
                        .collect();
                    let total =
                        list.iter().filter_map(|c| money::parse_plain(&c.amount).and_then(money::to_units)).sum();
                    (list, total)
                };
                let (income, income_total) = of("income");
                let (expenditure, expenditure_total) = of("expenditure");
                AnnualCurrency {
                    currency: currency.clone(),
                    opening: text(open),
                    income,
                    income_total: text(income_total),
                    expenditure,
                    expenditure_total: text(expenditure_total),
                    significant: significant.remove(currency).unwrap_or_default(),
                    closing: text(open + movement.get(currency).copied().unwrap_or(0)),
                }
            })
            .collect();
        Ok(AnnualReport { year, source, threshold: money::format(threshold), currencies })
    }
}

/// `report annual` as a table: one row per item, sections in reading order.
pub fn annual_table(report: &AnnualReport) -> Table {
    let mut table = Table::new(&["currency", "section", "item", "amount"]);
    for c in &report.currencies {
        let mut row = |section: &str, item: String, amount: &str| {
            table.rows.push(vec![c.currency.clone(), section.to_string(), item, amount.to_string()]);
        };
        row("opening balance", String::new(), &c.opening);
        for i in &c.income {
            row("income", i.category.clone(), &i.amount);
        }
        row("income total", String::new(), &c.income_total);
        for e in &c.expenditure {
            row("expenditure", e.category.clone(), &e.amount);
        }
        row("expenditure total", String::new(), &c.expenditure_total);
        for s in &c.significant {
            let who = s.counterparty.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
            row("significant expense", format!("{} {}{who}", s.date, s.description), &s.amount);
        }
        row("closing balance", String::new(), &c.closing);
    }
    table
}
