//! Finance records: transactions imported from Open Collective ([`crate::opencollective`])
//! and e-boekhouden ([`crate::eboekhouden`]), the mapping of source accounts to funds,
//! budget lines, and links from decisions to the transactions that spent their money.
//! The reports over them are in [`crate::report`].
//!
//! An import is a batch of `finance.import` operations: the importer's signature on
//! the bundle vouches for the data, and every member applies the same rows. A row is
//! keyed by its source and the source's own id, and is one last-writer-wins register,
//! so re-importing an export updates the rows that changed and never duplicates.
//! Only rows that differ from what is recorded travel again.
//!
//! The database keeps, next to each row, its year and month, and amounts as integers
//! of ten-thousandths ([`crate::money`]). Triggers keep `finance_totals`, the sums per
//! (source, month, account, kind, category, fund account, currency, direction), equal
//! to the rows at every commit, so reports over millions of rows read a few thousand.

use crate::error::{Error, Result};
use crate::home::Home;
use crate::money;
use crate::operation::{OpBody, OpId, Operation};
use crate::store;
use chrono::{Datelike, NaiveDate};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use ts_rs::TS;

word_enum!(
    /// Where transactions come from.
    Source, "source" {
        OpenCollective = "opencollective",
        Eboekhouden = "eboekhouden",
    }
);

/// Rows per `finance.import` operation: large enough that 100,000 rows are a hundred
/// operations, small enough that one operation stays well under a megabyte.
pub const ROWS_PER_OPERATION: usize = 1000;

/// The fund of transactions whose source names no account or cost centre.
pub const UNASSIGNED_FUND: &str = "unassigned";

/// One imported transaction, as it travels in a `finance.import` operation. Amounts
/// are signed decimal strings in [`money::format`]'s form: positive is money coming
/// in, negative money going out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxRow {
    /// The source's own id: Open Collective's `legacyId` (or `shortId` in layouts
    /// without it); e-boekhouden's `MUTATION/ROW`.
    pub id: String,
    pub date: NaiveDate,
    /// Open Collective's account slug; e-boekhouden's ledger ("8000 Donaties").
    pub account: String,
    /// Open Collective's kind (CONTRIBUTION, EXPENSE, …); e-boekhouden's mutation type.
    pub kind: String,
    /// What the income or expenditure was for (accounting category, expense type, ledger).
    pub category: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Gross amount, before fees taken at source.
    pub amount: String,
    /// Net amount: what the balance moved by.
    pub net: String,
    pub currency: String,
    /// Ties a contribution to its fee rows (Open Collective) or the rows of one mutation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The other party's account (Open Collective contributor or payee slug; e-boekhouden relation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty_name: Option<String>,
    /// The source account that maps to a fund: the Open Collective account (collective
    /// or project) or the e-boekhouden cost centre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund_account: Option<String>,
}

impl TxRow {
    /// The row's reference across sources: `SOURCE:ID`.
    pub fn reference(&self, source: Source) -> String {
        format!("{source}:{}", self.id)
    }
}

/// What a reader of an export produced: the rows, in file order, with the line each
/// came from (for messages).
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<TxRow>,
    pub lines: Vec<usize>,
}

impl Parsed {
    pub(crate) fn push(&mut self, row: TxRow, line: usize) {
        self.rows.push(row);
        self.lines.push(line);
    }
}

/// A stage of an import, reported to the progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ImportStage {
    /// Reading and checking the file.
    Read,
    /// Comparing rows with what is recorded.
    Compare,
    /// Writing the changed rows as operations.
    Record,
}

/// Progress of an import: `done` of `total` rows in the stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportProgress {
    pub stage: ImportStage,
    pub done: u64,
    pub total: u64,
}

/// A sum per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CurrencyTotal {
    pub currency: String,
    pub amount: String,
}

/// What an import changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportSummary {
    pub source: Source,
    pub file: String,
    /// Rows in the file.
    pub rows: u64,
    /// Rows not recorded before.
    pub added: u64,
    /// Rows recorded before with different values, now updated.
    pub changed: u64,
    /// Rows already recorded exactly so.
    pub unchanged: u64,
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
    /// Net total of the file's rows per currency.
    pub totals: Vec<CurrencyTotal>,
}

/// A transaction as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TransactionView {
    /// `SOURCE:ID`, as `decision link --transaction` takes it.
    pub id: String,
    pub source: Source,
    pub date: NaiveDate,
    pub account: String,
    pub kind: String,
    pub category: String,
    pub description: String,
    pub amount: String,
    pub net: String,
    pub currency: String,
    pub fund: String,
    pub group: Option<String>,
    pub counterparty: Option<String>,
    pub counterparty_name: Option<String>,
    /// The decision this transaction is linked to, if any.
    pub decision: Option<String>,
}

/// Which transactions to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct TransactionFilter {
    pub year: Option<i32>,
    pub source: Option<Source>,
    pub fund: Option<String>,
    /// Text in the description, counterparty, account, category or id.
    pub search: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// A source account and the fund it counts towards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FundAccount {
    /// `SOURCE:ACCOUNT`, as `finance fund map` takes it.
    pub account: String,
    pub fund: String,
    /// Whether the fund was set with `finance fund map` (otherwise it is the account's own name).
    pub mapped: bool,
    pub transactions: u64,
}

/// A budget line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BudgetLine {
    pub fund: String,
    pub year: i32,
    pub amount: String,
    pub currency: String,
}

/// The SQL expression for the fund of a transaction or totals row `t`: its mapping, or
/// the account's own name, or [`UNASSIGNED_FUND`].
pub(crate) const FUND_OF: &str =
    "coalesce((SELECT fund FROM fund_map m WHERE m.account = t.source || ':' || t.fund_account),
     nullif(t.fund_account, ''), 'unassigned')";

/// Applies one finance operation inside the caller's transaction.
pub(crate) fn apply(tx: &Transaction<'_>, op: &Operation, id: &OpId) -> Result<()> {
    match &op.body {
        OpBody::FinanceImport { source, rows } => {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO transactions (id, source, date, year, month, account, kind, category, description,
                   gross, net, currency, grp, counterparty, counterparty_name, fund_account, hlc_ms, hlc_n, author, op)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
                 ON CONFLICT (id) DO UPDATE SET source = excluded.source, date = excluded.date, year = excluded.year,
                   month = excluded.month, account = excluded.account, kind = excluded.kind,
                   category = excluded.category, description = excluded.description, gross = excluded.gross,
                   net = excluded.net, currency = excluded.currency, grp = excluded.grp,
                   counterparty = excluded.counterparty, counterparty_name = excluded.counterparty_name,
                   fund_account = excluded.fund_account, hlc_ms = excluded.hlc_ms, hlc_n = excluded.hlc_n,
                   author = excluded.author, op = excluded.op
                 WHERE (excluded.hlc_ms, excluded.hlc_n, excluded.author, excluded.op) > (hlc_ms, hlc_n, author, op)",
            )?;
            for row in rows {
                // Rows were checked by the importer; a row that does not parse here
                // came from a newer or broken writer and is skipped, never guessed.
                let (Some(gross), Some(net)) = (units(&row.amount), units(&row.net)) else { continue };
                upsert.execute(params![
                    row.reference(*source),
                    source.as_str(),
                    row.date,
                    row.date.year(),
                    row.date.month(),
                    row.account,
                    row.kind,
                    row.category,
                    row.description,
                    gross,
                    net,
                    row.currency,
                    row.group,
                    row.counterparty,
                    row.counterparty_name,
                    row.fund_account.as_deref().unwrap_or(""),
                    op.hlc.ms,
                    op.hlc.n,
                    op.author.as_str(),
                    id.0,
                ])?;
            }
        }
        OpBody::FundMap { account, fund } => {
            if store::wins(tx, &format!("fund_map:{account}"), "fund", op, id)? {
                tx.prepare_cached(
                    "INSERT INTO fund_map (account, fund) VALUES (?1, ?2)
                     ON CONFLICT (account) DO UPDATE SET fund = excluded.fund",
                )?
                .execute(params![account, fund])?;
            }
        }
        OpBody::BudgetSet { fund, year, amount, currency } => {
            let Some(amount) = units(amount) else { return Ok(()) };
            if store::wins(tx, &format!("budget:{fund}:{year}"), "amount", op, id)? {
                tx.prepare_cached(
                    "INSERT INTO budgets (fund, year, amount, currency) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (fund, year) DO UPDATE SET amount = excluded.amount, currency = excluded.currency",
                )?
                .execute(params![fund, year, amount, currency])?;
            }
        }
        OpBody::DecisionLink { decision, transactions } => {
            let mut insert =
                tx.prepare_cached("INSERT OR IGNORE INTO decision_links (decision, tx, member) VALUES (?1, ?2, ?3)")?;
            for reference in transactions {
                insert.execute(params![decision, reference, op.author.as_str()])?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn units(text: &str) -> Option<i64> {
    money::parse_plain(text).and_then(money::to_units)
}

/// The row recorded under `reference`, as it would travel again.
fn stored_row(conn: &Connection, reference: &str) -> Result<Option<TxRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT date, account, kind, category, description, gross, net, currency, grp, counterparty,
           counterparty_name, fund_account, source FROM transactions WHERE id = ?1",
    )?;
    Ok(stmt
        .query_row([reference], |r| {
            let source: String = r.get(12)?;
            let fund_account: String = r.get(11)?;
            Ok(TxRow {
                id: reference.strip_prefix(&format!("{source}:")).unwrap_or(reference).to_string(),
                date: r.get(0)?,
                account: r.get(1)?,
                kind: r.get(2)?,
                category: r.get(3)?,
                description: r.get(4)?,
                amount: money::format_units(r.get(5)?),
                net: money::format_units(r.get(6)?),
                currency: r.get(7)?,
                group: r.get(8)?,
                counterparty: r.get(9)?,
                counterparty_name: r.get(10)?,
                fund_account: (!fund_account.is_empty()).then_some(fund_account),
            })
        })
        .optional()?)
}

/// Parses `SOURCE:ACCOUNT` (or a bare account, when only one source has it).
fn source_account(conn: &Connection, text: &str) -> Result<String> {
    let text = text.trim();
    if let Some((source, account)) = text.split_once(':') {
        if let Ok(source) = source.parse::<Source>() {
            let account = account.trim();
            if account.is_empty() {
                return Err(Error::invalid("source account", text, "name the account after the colon"));
            }
            return Ok(format!("{source}:{account}"));
        }
    }
    let sources: Vec<String> = conn
        .prepare_cached("SELECT DISTINCT source FROM transactions WHERE fund_account = ?1")?
        .query_map([text], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    match sources.as_slice() {
        [one] => Ok(format!("{one}:{text}")),
        [] => Err(Error::invalid(
            "source account",
            text,
            "no imported transaction has this account; write it as opencollective:SLUG or eboekhouden:COST-CENTRE (`countersign finance fund list` shows them)",
        )),
        _ => Err(Error::invalid(
            "source account",
            text,
            "both sources have an account of this name; write opencollective:NAME or eboekhouden:NAME",
        )),
    }
}

fn clean_fund(fund: &str) -> Result<String> {
    let fund = fund.trim();
    if fund.is_empty() || fund.chars().any(char::is_control) {
        return Err(Error::invalid("fund", fund, "give the fund a name, e.g. infrastructure"));
    }
    Ok(fund.to_string())
}

impl Home {
    /// Imports an export of `source` from `path` (a file, or for e-boekhouden a folder
    /// of saved API responses). The file is read and checked whole first: a file with
    /// any bad row, or a truncated export, is refused and nothing is recorded.
    pub fn import_finance(
        &mut self,
        source: Source,
        path: &Path,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportSummary> {
        progress(ImportProgress { stage: ImportStage::Read, done: 0, total: 0 });
        let parsed = match source {
            Source::OpenCollective => crate::opencollective::read(path)?,
            Source::Eboekhouden => crate::eboekhouden::read(path)?,
        };
        let total = parsed.rows.len() as u64;
        progress(ImportProgress { stage: ImportStage::Read, done: total, total });
        if source == Source::Eboekhouden {
            if let Some((mutation, form)) = crate::eboekhouden::overlap(self.db(), &parsed.rows)? {
                return Err(Error::ImportRefused {
                    path: path.to_owned(),
                    line: None,
                    reason: format!(
                        "mutation {mutation} is already imported from {form}; import e-boekhouden either from the saved API responses or from ledger cards, not both, or its money counts twice"
                    ),
                });
            }
        }

        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(parsed.rows.len());
        for (row, line) in parsed.rows.iter().zip(&parsed.lines) {
            if let Some(first) = seen.insert(&row.id, *line) {
                return Err(Error::ImportRefused {
                    path: path.to_owned(),
                    line: Some(*line),
                    reason: format!("transaction {} appears twice (first on line {first})", row.id),
                });
            }
        }

        let mut summary = ImportSummary {
            source,
            file: path.display().to_string(),
            rows: total,
            added: 0,
            changed: 0,
            unchanged: 0,
            first: parsed.rows.iter().map(|r| r.date).min(),
            last: parsed.rows.iter().map(|r| r.date).max(),
            totals: Vec::new(),
        };
        let mut totals: BTreeMap<&str, Decimal> = BTreeMap::new();
        let mut changed = Vec::new();
        for (i, row) in parsed.rows.iter().enumerate() {
            *totals.entry(&row.currency).or_default() += money::parse_plain(&row.net).unwrap_or_default();
            match stored_row(self.db(), &row.reference(source))? {
                None => summary.added += 1,
                Some(old) if &old == row => {
                    summary.unchanged += 1;
                    continue;
                }
                Some(_) => summary.changed += 1,
            }
            changed.push(row.clone());
            if i % 10_000 == 9_999 {
                progress(ImportProgress { stage: ImportStage::Compare, done: i as u64 + 1, total });
            }
        }
        summary.totals = totals
            .into_iter()
            .map(|(currency, amount)| CurrencyTotal { currency: currency.to_string(), amount: money::format(amount) })
            .collect();
        progress(ImportProgress { stage: ImportStage::Compare, done: total, total });

        let recording = changed.len() as u64;
        progress(ImportProgress { stage: ImportStage::Record, done: 0, total: recording });
        let mut bodies = Vec::with_capacity(changed.len().div_ceil(ROWS_PER_OPERATION));
        let mut rows = changed.into_iter().peekable();
        while rows.peek().is_some() {
            bodies.push(OpBody::FinanceImport { source, rows: rows.by_ref().take(ROWS_PER_OPERATION).collect() });
        }
        if !bodies.is_empty() {
            self.commit(bodies)?;
        }
        progress(ImportProgress { stage: ImportStage::Record, done: recording, total: recording });
        Ok(summary)
    }

    /// Transactions, newest first.
    pub fn transactions(&self, filter: &TransactionFilter) -> Result<Vec<TransactionView>> {
        let search =
            filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| {
                format!("%{}%", s.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
            });
        let sql = format!(
            "SELECT t.id, t.source, t.date, t.account, t.kind, t.category, t.description, t.gross, t.net,
               t.currency, {FUND_OF} AS fund, t.grp, t.counterparty, t.counterparty_name,
               (SELECT min(decision) FROM decision_links l WHERE l.tx = t.id)
             FROM transactions t
             WHERE (?1 IS NULL OR t.year = ?1) AND (?2 IS NULL OR t.source = ?2)
               AND (?3 IS NULL OR {FUND_OF} = ?3)
               AND (?4 IS NULL OR lower(t.description || ' ' || coalesce(t.counterparty, '') || ' '
                    || coalesce(t.counterparty_name, '') || ' ' || t.account || ' ' || t.category || ' ' || t.id)
                    LIKE ?4 ESCAPE '\\')
             ORDER BY t.date DESC, t.id DESC LIMIT ?5 OFFSET ?6"
        );
        let mut stmt = self.db().prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![
                filter.year,
                filter.source.map(Source::as_str),
                filter.fund,
                search,
                filter.limit.map(i64::from).unwrap_or(-1),
                filter.offset.unwrap_or(0),
            ],
            |r| {
                let source: String = r.get(1)?;
                Ok(TransactionView {
                    id: r.get(0)?,
                    source: source.parse().unwrap_or(Source::OpenCollective),
                    date: r.get(2)?,
                    account: r.get(3)?,
                    kind: r.get(4)?,
                    category: r.get(5)?,
                    description: r.get(6)?,
                    amount: money::format_units(r.get(7)?),
                    net: money::format_units(r.get(8)?),
                    currency: r.get(9)?,
                    fund: r.get(10)?,
                    group: r.get(11)?,
                    counterparty: r.get(12)?,
                    counterparty_name: r.get(13)?,
                    decision: r.get(14)?,
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Counts a source account (`SOURCE:ACCOUNT`) towards `fund`.
    pub fn map_fund(&mut self, account: &str, fund: &str) -> Result<FundAccount> {
        let account = source_account(self.db(), account)?;
        let fund = clean_fund(fund)?;
        self.commit(vec![OpBody::FundMap { account: account.clone(), fund: fund.clone() }])?;
        let transactions: i64 = self.db().query_row(
            "SELECT coalesce(sum(count), 0) FROM finance_totals WHERE source || ':' || fund_account = ?1",
            [&account],
            |r| r.get(0),
        )?;
        Ok(FundAccount { account, fund, mapped: true, transactions: transactions as u64 })
    }

    /// Every source account with transactions or a mapping, and its fund.
    pub fn fund_accounts(&self) -> Result<Vec<FundAccount>> {
        let mut stmt = self.db().prepare_cached(
            "SELECT a.account, m.fund, a.n FROM
               (SELECT source || ':' || fund_account AS account, sum(count) AS n FROM finance_totals
                 WHERE fund_account != '' GROUP BY source, fund_account
                UNION ALL SELECT account, 0 FROM fund_map
                 WHERE account NOT IN (SELECT source || ':' || fund_account FROM finance_totals)) a
             LEFT JOIN fund_map m ON m.account = a.account ORDER BY a.account",
        )?;
        let rows = stmt.query_map([], |r| {
            let account: String = r.get(0)?;
            let mapped: Option<String> = r.get(1)?;
            let own = account.split_once(':').map(|(_, a)| a.to_string()).unwrap_or_else(|| account.clone());
            Ok(FundAccount {
                account,
                mapped: mapped.is_some(),
                fund: mapped.unwrap_or(own),
                transactions: r.get::<_, i64>(2)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets the budget line of `fund` for `year`.
    pub fn set_budget(&mut self, fund: &str, year: i32, amount: &str, currency: &str) -> Result<BudgetLine> {
        let fund = clean_fund(fund)?;
        if !(1900..=9999).contains(&year) {
            return Err(Error::invalid("year", &year.to_string(), "expected a year such as 2026"));
        }
        let amount = money::format(money::parse_amount(amount)?);
        let currency = money::currency(currency)?;
        self.commit(vec![OpBody::BudgetSet {
            fund: fund.clone(),
            year,
            amount: amount.clone(),
            currency: currency.clone(),
        }])?;
        Ok(BudgetLine { fund, year, amount, currency })
    }

    /// Budget lines, of one year or all.
    pub fn budgets(&self, year: Option<i32>) -> Result<Vec<BudgetLine>> {
        let mut stmt = self.db().prepare_cached(
            "SELECT fund, year, amount, currency FROM budgets WHERE ?1 IS NULL OR year = ?1 ORDER BY year, fund",
        )?;
        let rows = stmt.query_map([year], |r| {
            Ok(BudgetLine {
                fund: r.get(0)?,
                year: r.get(1)?,
                amount: money::format_units(r.get(2)?),
                currency: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Links transactions (`SOURCE:ID`; for e-boekhouden `eboekhouden:MUTATION` takes
    /// all its rows) to an approved decision with an amount: from then on they count
    /// as the decision's money spent rather than committed.
    pub fn link_decision(&mut self, decision: &str, references: &[String]) -> Result<Vec<String>> {
        let detail = self.decision(decision)?;
        let summary = &detail.summary;
        if summary.amount.is_none() {
            return Err(Error::invalid(
                "decision",
                &summary.id,
                "it has no amount; only budget, spending and sponsorship decisions with an amount commit money",
            ));
        }
        if summary.status != crate::decision::Status::Approved {
            return Err(Error::invalid(
                "decision",
                &summary.id,
                format!("it is {}; only approved decisions commit money", summary.status),
            ));
        }
        if references.is_empty() {
            return Err(Error::invalid("transaction", "", "give at least one --transaction SOURCE:ID"));
        }
        let mut ids = Vec::new();
        for reference in references {
            let reference = reference.trim();
            let found: Vec<String> = self
                .db()
                .prepare_cached(
                    "SELECT id FROM transactions WHERE id = ?1 OR (id > ?1 || '/' AND id < ?1 || '0') ORDER BY id",
                )?
                .query_map([reference], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if found.is_empty() {
                return Err(Error::UnknownTransaction(reference.to_string()));
            }
            for id in found {
                let other: Option<String> = self
                    .db()
                    .prepare_cached("SELECT decision FROM decision_links WHERE tx = ?1 AND decision != ?2")?
                    .query_row(params![id, summary.id], |r| r.get(0))
                    .optional()?;
                if let Some(other) = other {
                    return Err(Error::invalid(
                        "transaction",
                        &id,
                        format!("it is already linked to decision {}", &other[..12.min(other.len())]),
                    ));
                }
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        self.commit(vec![OpBody::DecisionLink { decision: summary.id.clone(), transactions: ids.clone() }])?;
        Ok(ids)
    }
}
