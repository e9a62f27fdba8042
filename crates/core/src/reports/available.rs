//! `report available`: per fund, the budget, what is spent and committed, and what is
//! left; and what approving one funding decision does to it.

use crate::base::error::Result;
use crate::base::money;
use crate::decisions::model::Status;
use crate::finance::model::Source;
use crate::home::Home;
use crate::reports::basis::{bad_year, text};
use crate::reports::funds::Funding;
use crate::reports::table::Table;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use ts_rs::TS;

/// A decision's money in `report available`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Commitment {
    pub decision: String,
    pub title: String,
    pub amount: String,
    /// Covered by linked transactions.
    pub spent: String,
    pub committed: String,
}

/// One fund in `report available`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AvailableLine {
    pub fund: String,
    pub currency: String,
    pub year: i32,
    pub source: Source,
    pub budget: String,
    pub spent: String,
    pub committed: String,
    pub available: String,
    pub decisions: Vec<Commitment>,
}

/// A funding decision's effect on its fund (see [`Home::decision_impact`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DecisionImpact {
    pub fund: String,
    pub currency: String,
    pub year: i32,
    pub budget: String,
    /// Available now: budget − spent − committed.
    pub available: String,
    /// Available once it is approved (equal to `available` when it already counts).
    pub after: String,
    /// Whether the decision is approved, so `available` already counts it.
    pub counted: bool,
}

impl Home {
    /// Per fund: budget, spent, committed by approved decisions, and what is left.
    pub fn report_available(&self, year: Option<i32>, source: Option<Source>) -> Result<Vec<AvailableLine>> {
        use chrono::Datelike;
        let year = year.unwrap_or_else(|| self.this_year());
        bad_year(year)?;
        let source = self.report_source(source)?;
        // Decisions are evaluated and links read once for the whole report.
        let (decisions, links) = (self.funding_decisions()?, self.links()?);
        let spent = self.spent_by_fund(year, source, &decisions, &links)?;
        let budgets = self.budget_lines(year)?;

        // Linked amounts per decision, in every year: what its money already paid.
        let mut covered: HashMap<&str, i64> = HashMap::new();
        for link in &links {
            *covered.entry(&link.decision).or_default() += link.net.abs();
        }
        let mut commitments: BTreeMap<(String, String), Vec<Commitment>> = BTreeMap::new();
        let mut committed: BTreeMap<(String, String), i64> = BTreeMap::new();
        let mut decisions: Vec<Funding> = decisions.into_values().collect();
        decisions.sort_by(|a, b| (a.decided, &a.id).cmp(&(b.decided, &b.id)));
        for d in decisions {
            if d.status != Status::Approved || d.decided.map(|day| day.year()) != Some(year) {
                continue;
            }
            let paid = covered.get(d.id.as_str()).copied().unwrap_or(0);
            let left = (d.amount - paid).max(0);
            let key = (d.fund.clone(), d.currency.clone());
            *committed.entry(key.clone()).or_default() += left;
            commitments.entry(key).or_default().push(Commitment {
                decision: d.id,
                title: d.title,
                amount: text(d.amount),
                spent: text(paid),
                committed: text(left),
            });
        }
        let keys: BTreeSet<&(String, String)> = budgets.keys().chain(spent.keys()).chain(committed.keys()).collect();
        Ok(keys
            .into_iter()
            .map(|key| {
                let budget = budgets.get(key).copied().unwrap_or(0);
                let out = spent.get(key).copied().unwrap_or(0);
                let promised = committed.get(key).copied().unwrap_or(0);
                AvailableLine {
                    fund: key.0.clone(),
                    currency: key.1.clone(),
                    year,
                    source,
                    budget: text(budget),
                    spent: text(out),
                    committed: text(promised),
                    available: text(budget - out - promised),
                    decisions: commitments.get(key).cloned().unwrap_or_default(),
                }
            })
            .collect())
    }

    /// What approving a funding decision does to its fund's available money, in the
    /// year it is (or would be) decided. `None` for decisions that move no money.
    pub fn decision_impact(&self, id: &str) -> Result<Option<DecisionImpact>> {
        use chrono::Datelike;
        let decision = self.decision(id)?.summary;
        let (Some(amount), Some(currency), Some(fund)) = (&decision.amount, &decision.currency, &decision.fund) else {
            return Ok(None);
        };
        let amount = money::parse_plain(amount).unwrap_or_default();
        let year = decision.decided.map(|day| day.year()).unwrap_or_else(|| self.this_year());
        let line = self
            .report_available(Some(year), None)?
            .into_iter()
            .find(|line| &line.fund == fund && &line.currency == currency);
        let available = line.as_ref().and_then(|l| money::parse_plain(&l.available)).unwrap_or_default();
        // An approved decision is already counted as committed in `available`.
        let counted = decision.status == Status::Approved;
        let after = if counted || decision.status != Status::Open { available } else { available - amount };
        Ok(Some(DecisionImpact {
            fund: fund.clone(),
            currency: currency.clone(),
            year,
            budget: line.map(|l| l.budget).unwrap_or_else(|| money::format(Decimal::ZERO)),
            available: money::format(available),
            after: money::format(after),
            counted,
        }))
    }
}

/// `report available` as a table.
pub fn available_table(lines: &[AvailableLine]) -> Table {
    let mut table = Table::new(&["fund", "currency", "budget", "spent", "committed", "available"]);
    for l in lines {
        table.rows.push(vec![
            l.fund.clone(),
            l.currency.clone(),
            l.budget.clone(),
            l.spent.clone(),
            l.committed.clone(),
            l.available.clone(),
        ]);
    }
    table
}
