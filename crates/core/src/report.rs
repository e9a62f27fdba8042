//! Financial reports over the imported transactions, the budget lines and the approved
//! decisions with an amount. Each is a typed value (JSON for programs, TypeScript for
//! the app) and a [`Table`] (for the terminal and CSV).
//!
//! Reports read `finance_totals`, the per-month sums the database keeps (see
//! [`crate::finance`]), so they cost the same on ten years of data as on one; only the
//! partner contributions and significant expenses read rows, through indexes.
//!
//! Definitions (docs/finance.md states them for treasurers):
//! - amounts are net (what the balance moved by) unless said otherwise; income and
//!   expenditure show gross amounts per category, and the fees taken at source as
//!   their own expenditure line, so income − expenditure is the net result;
//! - spent: the net outflow of a fund's transactions; a transaction linked to a
//!   decision counts towards the decision's fund;
//! - committed: per approved decision with an amount, decided in the year, the amount
//!   not yet covered by linked transactions; expired decisions commit nothing;
//! - available: budget − spent − committed;
//! - opening balances (e-boekhouden's OPENING_BALANCE mutations) are balances, not
//!   income: the annual summary starts from the latest one. They and invoice payments
//!   (which settle an invoice already counted: the books are on the accrual basis) are
//!   left out of income, spending, significant expenses and the reconciliation.
//!
//! Reports other than `balance` and `reconcile` read one source: the one asked for, or
//! e-boekhouden (the authoritative ledger) when it holds transactions, else Open
//! Collective; the same money is usually in both, and adding them would count it twice.

use crate::decision::{DecisionFilter, Status};
use crate::error::{Error, Result};
use crate::finance::{Source, FUND_OF, MOVES_MONEY, UNASSIGNED_FUND};
use crate::home::Home;
use crate::money;
use crate::partner::name_key;
use rusqlite::params;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
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

word_enum!(
    /// The periods of `report income`.
    Period, "period" {
        Year = "year",
        Quarter = "quarter",
        Month = "month",
    }
);

/// Open Collective kinds that are fees taken from a contribution (tied by `group`).
const FEE_KINDS: &str = "('PAYMENT_PROCESSOR_FEE', 'PAYMENT_PROCESSOR_DISPUTE_FEE', 'HOST_FEE', 'PLATFORM_FEE', 'TAX')";
/// Open Collective kinds that are money given by a contributor.
const CONTRIBUTION_KINDS: &str = "('CONTRIBUTION', 'ADDED_FUNDS')";

/// A report as rows of text: for the terminal and for CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(columns: &[&str]) -> Table {
        Table { columns: columns.iter().map(|c| c.to_string()).collect(), rows: Vec::new() }
    }

    /// The table as CSV (RFC 4180), header first.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        // Writing strings to memory cannot fail.
        let _ = writer.write_record(&self.columns);
        for row in &self.rows {
            let _ = writer.write_record(row);
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

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

word_enum! {
    /// The reports, as `report KIND` names them.
    ReportKind, "report" {
        Balance = "balance",
        Available = "available",
        Budget = "budget",
        Income = "income",
        Annual = "annual",
        Reconcile = "reconcile",
        Partners = "partners",
    }
}

/// A report to run as a table (for CSV export): the kind and its options, each
/// defaulting as on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReportRequest {
    pub kind: ReportKind,
    /// Defaults to this year.
    pub year: Option<i32>,
    pub source: Option<Source>,
    /// For `balance`; defaults to account.
    pub by: Option<BalanceBy>,
    /// For `income`; defaults to year.
    pub period: Option<Period>,
    /// For `annual`: expenses from this amount are listed; defaults to 1000.
    pub threshold: Option<String>,
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

/// One partner (or the other contributors together) in `report partners`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PartnerContribution {
    /// The partner's name; none for the line of contributors matching no partner.
    pub partner: Option<String>,
    pub partner_id: Option<String>,
    /// The Open Collective contributor account(s).
    pub account: String,
    pub currency: String,
    pub contributions: u64,
    /// Gross contributions, refunds deducted.
    pub contributed: String,
    /// Fees taken from them (fee rows tied by group, and fee columns).
    pub fees: String,
    pub net: String,
}

fn text(units: i64) -> String {
    money::format_units(units)
}

fn bad_year(year: i32) -> Result<()> {
    if (1900..=9999).contains(&year) {
        Ok(())
    } else {
        Err(Error::invalid("year", &year.to_string(), "expected a year such as 2026"))
    }
}

impl Home {
    /// The source a single-source report reads: `requested`, else e-boekhouden when it
    /// holds transactions, else Open Collective.
    pub fn report_source(&self, requested: Option<Source>) -> Result<Source> {
        if let Some(source) = requested {
            return Ok(source);
        }
        let has_eboekhouden =
            self.db().prepare_cached("SELECT 1 FROM finance_totals WHERE source = 'eboekhouden' LIMIT 1")?.exists([])?;
        Ok(if has_eboekhouden { Source::Eboekhouden } else { Source::OpenCollective })
    }

    /// The current year by this home's clock.
    pub fn this_year(&self) -> i32 {
        use chrono::Datelike;
        self.clock().now().year()
    }

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

    /// Money spent per (fund, currency) in `year`: net outflow, with transactions linked
    /// to a decision counted towards the decision's fund.
    fn spent_by_fund(
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

    fn links(&self) -> Result<Vec<Link>> {
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
    fn funding_decisions(&self) -> Result<HashMap<String, Funding>> {
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

    /// Runs `request` and returns it as a table, as `report … --format csv` prints it.
    pub fn report_table(&self, request: &ReportRequest) -> Result<Table> {
        let year = request.year.unwrap_or_else(|| self.this_year());
        let source = request.source;
        Ok(match request.kind {
            ReportKind::Balance => {
                let by = request.by.unwrap_or(BalanceBy::Account);
                balance_table(by, &self.report_balance(by, request.year, source)?)
            }
            ReportKind::Available => available_table(&self.report_available(Some(year), source)?),
            ReportKind::Budget => budget_table(&self.report_budget(year, source)?),
            ReportKind::Income => {
                income_table(&self.report_income(year, request.period.unwrap_or(Period::Year), source)?)
            }
            ReportKind::Annual => {
                let threshold = match &request.threshold {
                    Some(text) => money::parse_amount(text)?,
                    None => Decimal::new(1000, 0),
                };
                annual_table(&self.report_annual(year, threshold, source)?)
            }
            ReportKind::Reconcile => reconcile_table(&self.report_reconcile(year)?),
            ReportKind::Partners => partners_table(&self.report_partners(year)?),
        })
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

    /// The year's budget lines: (fund, currency) → amount.
    fn budget_lines(&self, year: i32) -> Result<BTreeMap<(String, String), i64>> {
        let mut stmt = self.db().prepare_cached("SELECT fund, currency, amount FROM budgets WHERE year = ?1")?;
        let rows = stmt.query_map([year], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

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

    /// Contributions per partner in `year`, matched through the Open Collective
    /// contributor account (the partner's `opencollective` slug, else its name).
    pub fn report_partners(&self, year: i32) -> Result<Vec<PartnerContribution>> {
        bad_year(year)?;
        let db = self.db();
        let mut by_slug: HashMap<String, (String, String)> = HashMap::new();
        let mut by_name: HashMap<String, (String, String)> = HashMap::new();
        let mut stmt =
            db.prepare_cached("SELECT id, name, name_key, opencollective FROM partners WHERE name IS NOT NULL")?;
        let partners = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?))
        })?;
        for row in partners {
            let (id, name, key, slug) = row?;
            if let Some(slug) = slug.filter(|s| !s.is_empty()) {
                by_slug.insert(slug.to_lowercase(), (id.clone(), name.clone()));
            }
            by_name.insert(key, (id, name));
        }
        let partner_for = |slug: &str, name: Option<&str>| -> Option<(String, String)> {
            if let Some(found) = by_slug.get(&slug.to_lowercase()) {
                return Some(found.clone());
            }
            let name = name?;
            // `LegalName (Name)` when the two differ: either may be the partner's name.
            let inner = name.rsplit_once(" (").and_then(|(legal, rest)| Some((legal, rest.strip_suffix(')')?)));
            [Some(name), inner.map(|i| i.0), inner.map(|i| i.1)]
                .into_iter()
                .flatten()
                .find_map(|n| by_name.get(&name_key(n)).cloned())
        };

        // Two passes over the year's Open Collective rows, borrowing rather than copying
        // their text: the fee rows by group (what each contribution cost on its way in),
        // then the contributions by contributor account, each group's fees counted once.
        let in_year = "date BETWEEN ?1 || '-01-01' AND ?1 || '-12-31' AND source = 'opencollective'";
        let text_at = |row: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<Option<String>> {
            Ok(row.get_ref(i)?.as_str_or_null().map_err(rusqlite::Error::from)?.map(str::to_string))
        };
        let mut fees_by_group: HashMap<String, i64> = HashMap::new();
        let mut stmt = db.prepare_cached(&format!(
            "SELECT grp, net FROM transactions WHERE {in_year} AND kind IN {FEE_KINDS} AND grp IS NOT NULL"
        ))?;
        let mut rows = stmt.query([year])?;
        while let Some(row) = rows.next()? {
            let group = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            let net: i64 = row.get(1)?;
            match fees_by_group.get_mut(group) {
                Some(fee) => *fee -= net,
                None => drop(fees_by_group.insert(group.to_string(), -net)),
            }
        }
        drop(rows);

        struct Contributor {
            name: Option<String>,
            count: u64,
            gross: i64,
            fees: i64,
        }
        // (contributor account, currency) → sums
        let mut contributors: HashMap<(String, String), Contributor> = HashMap::new();
        let mut stmt = db.prepare_cached(&format!(
            "SELECT counterparty, currency, gross, net, grp, counterparty_name FROM transactions
             WHERE {in_year} AND kind IN {CONTRIBUTION_KINDS} AND counterparty IS NOT NULL"
        ))?;
        let mut rows = stmt.query([year])?;
        let mut key = (String::new(), String::new());
        while let Some(row) = rows.next()? {
            key.0.clear();
            key.0.push_str(row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?);
            key.1.clear();
            key.1.push_str(row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?);
            let (gross, net): (i64, i64) = (row.get(2)?, row.get(3)?);
            // Fees in columns, and the fee rows of its group.
            let mut fees = gross - net;
            if let Some(group) = row.get_ref(4)?.as_str_or_null().map_err(rusqlite::Error::from)? {
                fees += fees_by_group.remove(group).unwrap_or(0);
            }
            if !contributors.contains_key(&key) {
                let name = text_at(row, 5)?;
                contributors.insert(key.clone(), Contributor { name, count: 0, gross: 0, fees: 0 });
            }
            if let Some(c) = contributors.get_mut(&key) {
                c.count += 1;
                c.gross += gross;
                c.fees += fees;
            }
        }
        drop(rows);

        struct Line {
            partner: Option<(String, String)>,
            accounts: Vec<String>,
            currency: String,
            count: u64,
            gross: i64,
            fees: i64,
        }
        let mut lines: BTreeMap<(String, String), Line> = BTreeMap::new();
        let mut by_account: Vec<_> = contributors.into_iter().collect();
        by_account.sort_by(|a, b| a.0.cmp(&b.0));
        for ((slug, currency), c) in by_account {
            let partner = partner_for(&slug, c.name.as_deref());
            let key = (partner.as_ref().map(|p| p.0.clone()).unwrap_or_default(), currency.clone());
            let line = lines.entry(key).or_insert_with(|| Line {
                partner: partner.clone(),
                accounts: Vec::new(),
                currency,
                count: 0,
                gross: 0,
                fees: 0,
            });
            line.count += c.count;
            line.gross += c.gross;
            line.fees += c.fees;
            if partner.is_some() {
                line.accounts.push(slug);
            }
        }
        let mut out: Vec<PartnerContribution> = lines
            .into_values()
            .map(|l| PartnerContribution {
                partner: l.partner.as_ref().map(|p| p.1.clone()),
                partner_id: l.partner.as_ref().map(|p| p.0.clone()),
                account: if l.partner.is_some() { l.accounts.join(", ") } else { "(other contributors)".into() },
                currency: l.currency,
                contributions: l.count,
                contributed: text(l.gross),
                fees: text(l.fees),
                net: text(l.gross - l.fees),
            })
            .collect();
        // Partners by name, the other contributors last.
        out.sort_by(|a, b| {
            (a.partner.is_none(), &a.partner, &a.currency).cmp(&(b.partner.is_none(), &b.partner, &b.currency))
        });
        Ok(out)
    }
}

/// The expenditure line for fees deducted before money reached the balance.
pub const FEES_AT_SOURCE: &str = "Fees deducted at source";

struct Link {
    decision: String,
    source: String,
    year: i32,
    fund: String,
    currency: String,
    gross: i64,
    net: i64,
}

struct Funding {
    id: String,
    title: String,
    status: Status,
    decided: Option<chrono::NaiveDate>,
    fund: String,
    amount: i64,
    currency: String,
}

// ---------------------------------------------------------------------------
// Tables, for the terminal and CSV.

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

/// `report partners` as a table.
pub fn partners_table(lines: &[PartnerContribution]) -> Table {
    let mut table = Table::new(&["partner", "account", "currency", "contributions", "contributed", "fees", "net"]);
    for l in lines {
        table.rows.push(vec![
            l.partner.clone().unwrap_or_else(|| "(no partner)".into()),
            l.account.clone(),
            l.currency.clone(),
            l.contributions.to_string(),
            l.contributed.clone(),
            l.fees.clone(),
            l.net.clone(),
        ]);
    }
    table
}
