//! What the fund reports share: the money spent per fund, the approved funding
//! decisions and their links to transactions, and the budget lines.

use crate::base::error::{Error, Result};
use crate::base::money;
use crate::decisions::model::{DecisionFilter, Status};
use crate::finance::model::{Source, FUND_OF, MOVES_MONEY, UNASSIGNED_FUND};
use crate::home::Home;
use rusqlite::params;
use std::collections::{BTreeMap, HashMap};

pub(crate) struct Link {
    pub(crate) decision: String,
    pub(crate) source: String,
    pub(crate) year: i32,
    pub(crate) fund: String,
    pub(crate) currency: String,
    pub(crate) gross: i64,
    pub(crate) net: i64,
}

pub(crate) struct Funding {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) status: Status,
    pub(crate) decided: Option<chrono::NaiveDate>,
    pub(crate) fund: String,
    pub(crate) amount: i64,
    pub(crate) currency: String,
}

impl Home {
    /// Money spent per (fund, currency) in `year`: net outflow, with transactions linked
    /// to a decision counted towards the decision's fund.
    pub(crate) fn spent_by_fund(
        &self,
        year: i32,
        source: Source,
        decisions: &HashMap<String, Funding>,
        links: &[Link],
    ) -> Result<BTreeMap<(String, String), i64>> {
        let mut spent: BTreeMap<(String, String), i64> = BTreeMap::new();
        let sql = format!(
            "SELECT {FUND_OF} AS fund, t.currency, -sum(t.net) FROM finance_totals t
             WHERE t.year = ?1 AND t.source = ?2 AND t.credit = 0 AND {MOVES_MONEY}
             GROUP BY fund, t.currency"
        );
        let mut stmt = self.db().prepare_cached(&sql)?;
        let rows = stmt.query_map(params![year, source.as_str()], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
        for row in rows {
            let (key, amount): ((String, String), i64) = row?;
            *spent.entry(key).or_default() += amount;
        }
        // Move linked outflows to their decision's fund.
        for link in links {
            if link.year != year || link.source != source.as_str() || link.gross >= 0 {
                continue;
            }
            let Some(decision) = decisions.get(&link.decision) else { continue };
            if decision.fund != link.fund {
                *spent.entry((link.fund.clone(), link.currency.clone())).or_default() += link.net;
                *spent.entry((decision.fund.clone(), link.currency.clone())).or_default() -= link.net;
            }
        }
        spent.retain(|_, v| *v != 0);
        Ok(spent)
    }

    pub(crate) fn links(&self) -> Result<Vec<Link>> {
        let sql = format!(
            "SELECT l.decision, t.source, CAST(substr(t.date, 1, 4) AS INTEGER), {FUND_OF}, t.currency, t.gross, t.net
             FROM decision_links l JOIN transactions t ON t.id = l.tx"
        );
        let mut stmt = self.db().prepare_cached(&sql)?;
        let rows = stmt.query_map([], |r| {
            Ok(Link {
                decision: r.get(0)?,
                source: r.get(1)?,
                year: r.get(2)?,
                fund: r.get(3)?,
                currency: r.get(4)?,
                gross: r.get(5)?,
                net: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Decisions with an amount, by id, with their status by this home's clock.
    pub(crate) fn funding_decisions(&self) -> Result<HashMap<String, Funding>> {
        let mut out = HashMap::new();
        let decisions = match self.decisions(&DecisionFilter::default()) {
            // A home that has not joined a workspace has no decisions yet.
            Err(Error::NoWorkspace) => Vec::new(),
            other => other?,
        };
        for d in decisions {
            let (Some(amount), Some(currency)) = (d.amount.as_deref(), d.currency.clone()) else { continue };
            let Some(amount) = money::parse_plain(amount).and_then(money::to_units) else { continue };
            out.insert(
                d.id.clone(),
                Funding {
                    id: d.id,
                    title: d.title,
                    status: d.status,
                    decided: d.decided,
                    fund: d.fund.unwrap_or_else(|| UNASSIGNED_FUND.to_string()),
                    amount,
                    currency,
                },
            );
        }
        Ok(out)
    }

    /// The year's budget lines: (fund, currency) → amount.
    pub(crate) fn budget_lines(&self, year: i32) -> Result<BTreeMap<(String, String), i64>> {
        let mut stmt = self.db().prepare_cached("SELECT fund, currency, amount FROM budgets WHERE year = ?1")?;
        let rows = stmt.query_map([year], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
