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
//! The database keeps amounts as integers of ten-thousandths ([`crate::money`]), and
//! `finance_totals`: the sums per (source, month, account, kind, category, fund account,
//! currency, direction), updated with every row applied ([`apply_import`]), so reports
//! over millions of rows read a few thousand.

use crate::error::{Error, Result};
use crate::home::Home;
use crate::money;
use crate::operation::{OpBody, OpId, Operation};
use crate::scope::Scope;
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
///
/// Encoded as an array of its fields in declaration order (absent ones `null`), not
/// an object: imports carry a hundred thousand rows, and names repeated on every row
/// would double their size and their encoding time (docs/bundle-format.md 1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub description: String,
    /// Gross amount, before fees taken at source.
    pub amount: String,
    /// Net amount: what the balance moved by.
    pub net: String,
    pub currency: String,
    /// Ties a contribution to its fee rows (Open Collective) or the rows of one mutation.
    pub group: Option<String>,
    /// The other party's account (Open Collective contributor or payee slug; e-boekhouden relation).
    pub counterparty: Option<String>,
    pub counterparty_name: Option<String>,
    /// The source account that maps to a fund: the Open Collective account (collective
    /// or project) or the e-boekhouden cost centre.
    pub fund_account: Option<String>,
}

/// [`TxRow`] as it is encoded: a tuple, i.e. a JSON array.
type TxRowArray = (
    String,
    NaiveDate,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl Serialize for TxRow {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut t = serializer.serialize_tuple(13)?;
        t.serialize_element(&self.id)?;
        t.serialize_element(&self.date)?;
        t.serialize_element(&self.account)?;
        t.serialize_element(&self.kind)?;
        t.serialize_element(&self.category)?;
        t.serialize_element(&self.description)?;
        t.serialize_element(&self.amount)?;
        t.serialize_element(&self.net)?;
        t.serialize_element(&self.currency)?;
        t.serialize_element(&self.group)?;
        t.serialize_element(&self.counterparty)?;
        t.serialize_element(&self.counterparty_name)?;
        t.serialize_element(&self.fund_account)?;
        t.end()
    }
}

impl<'de> Deserialize<'de> for TxRow {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let (
            id,
            date,
            account,
            kind,
            category,
            description,
            amount,
            net,
            currency,
            group,
            counterparty,
            counterparty_name,
            fund_account,
        ): TxRowArray = Deserialize::deserialize(deserializer)?;
        Ok(TxRow {
            id,
            date,
            account,
            kind,
            category,
            description,
            amount,
            net,
            currency,
            group,
            counterparty,
            counterparty_name,
            fund_account,
        })
    }
}

impl TxRow {
    /// The row's reference across sources: `SOURCE:ID`.
    pub fn reference(&self, source: Source) -> String {
        format!("{source}:{}", self.id)
    }
}

/// What a reader of an export produced: the rows, in file order, with the line each
/// came from (for messages; 0 where the format has no lines, as in JSON responses).
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

/// A window of the transaction list and the number of matching transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TransactionPage {
    pub total: u64,
    pub offset: u32,
    pub rows: Vec<TransactionView>,
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

/// The SQL condition for transactions and totals `t` that move money: opening balances
/// restate a balance, and invoice payments settle an invoice already counted (the
/// books are kept on the accrual basis, as e-boekhouden's profit and loss is).
pub(crate) const MOVES_MONEY: &str =
    "t.kind NOT IN ('OPENING_BALANCE', 'INVOICE_PAYMENT_RECEIVED', 'INVOICE_PAYMENT_SENT')";

/// The SQL expression for the fund of a transaction or totals row `t`: its mapping, or
/// the account's own name, or [`UNASSIGNED_FUND`].
pub(crate) const FUND_OF: &str =
    "coalesce((SELECT fund FROM fund_map m WHERE m.account = t.source || ':' || t.fund_account),
     nullif(t.fund_account, ''), 'unassigned')";

/// The WHERE clause of the transaction list for `filter` (rows dated on or before
/// `before`, when given) and its parameters. Only the conditions in use are written,
/// so SQLite can seek the (date, id) key for a year or `before` instead of scanning.
fn transaction_matches(filter: &TransactionFilter, before: Option<String>) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut terms = vec!["1".to_string()];
    let mut values = Vec::new();
    let mut add = |term: &str, value: Value| {
        values.push(value);
        terms.push(term.replace('?', &format!("?{}", values.len())));
    };
    if let Some(year) = filter.year {
        add("t.date BETWEEN ? || '-01-01' AND ? || '-12-31'", Value::Text(year.to_string()));
    }
    if let Some(source) = filter.source {
        add("t.source = ?", Value::Text(source.as_str().to_string()));
    }
    if let Some(fund) = &filter.fund {
        add(&format!("{FUND_OF} = ?"), Value::Text(fund.clone()));
    }
    if let Some(pattern) = search_pattern(filter) {
        add(
            "lower(t.description || ' ' || coalesce(t.counterparty, '') || ' ' || coalesce(t.counterparty_name, '')
             || ' ' || t.account || ' ' || t.category || ' ' || t.id) LIKE ? ESCAPE '\\'",
            Value::Text(pattern),
        );
    }
    if let Some(before) = before {
        add("t.date <= ?", Value::Text(before));
    }
    (terms.join(" AND "), values)
}

/// The search text of `filter` as a LIKE pattern, or `None` for no search.
fn search_pattern(filter: &TransactionFilter) -> Option<String> {
    let text = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    Some(format!("%{}%", text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")))
}

/// Applies one finance operation inside the caller's transaction.
pub(crate) fn apply(tx: &Transaction<'_>, op: &Operation, id: &OpId) -> Result<()> {
    match &op.body {
        OpBody::FinanceImport { source, rows } => apply_import(tx, op, id, *source, rows)?,
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

/// Checks a finance operation from the shared folder before anything of its bundle is
/// applied: amounts in their one canonical form, known currencies, references with a
/// source. The reason says what is wrong.
pub(crate) fn check(op: &Operation) -> std::result::Result<(), String> {
    let amount_ok = |text: &str| money::parse_plain(text).is_some_and(|a| money::format(a) == text);
    let currency_ok = |code: &str| money::currency(code).is_ok_and(|c| c == code);
    let reference_ok = |r: &str| r.split_once(':').is_some_and(|(s, id)| s.parse::<Source>().is_ok() && !id.is_empty());
    match &op.body {
        OpBody::FinanceImport { rows, .. } => {
            if rows.len() > ROWS_PER_OPERATION {
                return Err(format!("an import operation holds {} rows (at most {ROWS_PER_OPERATION})", rows.len()));
            }
            for row in rows {
                if row.id.is_empty() || !amount_ok(&row.amount) || !amount_ok(&row.net) || !currency_ok(&row.currency) {
                    return Err(format!("an imported transaction ({}) has a malformed id, amount or currency", row.id));
                }
            }
        }
        OpBody::BudgetSet { fund, year, amount, currency } => {
            if fund.trim().is_empty() || !(1900..=9999).contains(year) || !amount_ok(amount) || !currency_ok(currency) {
                return Err("a budget line is malformed".into());
            }
        }
        OpBody::FundMap { account, fund } => {
            if !reference_ok(account) || fund.trim().is_empty() {
                return Err(format!("a fund mapping of \"{account}\" is malformed"));
            }
        }
        OpBody::DecisionLink { transactions, .. } => {
            if transactions.is_empty() || !transactions.iter().all(|t| reference_ok(t)) {
                return Err("a decision link names no transaction or a malformed one".into());
            }
        }
        _ => {}
    }
    Ok(())
}

/// One `finance_totals` row: its key columns and the sums to add.
struct Total {
    key: (String, i32, u32, String, String, String, String, String, bool),
    gross: i64,
    net: i64,
    count: i64,
}

/// The sums to add to `finance_totals`, by key (joined into one string so that
/// looking up an existing key allocates nothing).
#[derive(Default)]
struct Totals {
    by_key: HashMap<String, Total>,
    buffer: String,
}

impl Totals {
    fn add(&mut self, source: &str, (year, month): (i32, u32), dims: [&str; 5], credit: bool, sums: (i64, i64, i64)) {
        use std::fmt::Write as _;
        let (gross, net, count) = sums;
        self.buffer.clear();
        let _ = write!(self.buffer, "{source}\u{1f}{year}\u{1f}{month}\u{1f}{credit}");
        for dim in dims {
            self.buffer.push('\u{1f}');
            self.buffer.push_str(dim);
        }
        if let Some(total) = self.by_key.get_mut(self.buffer.as_str()) {
            total.gross += gross;
            total.net += net;
            total.count += count;
            return;
        }
        let [account, kind, category, fund_account, currency] = dims.map(str::to_string);
        let key = (source.to_string(), year, month, account, kind, category, fund_account, currency, credit);
        self.by_key.insert(self.buffer.clone(), Total { key, gross, net, count });
    }

    fn write(self, tx: &Transaction<'_>) -> Result<()> {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO finance_totals VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT DO UPDATE SET gross = gross + excluded.gross, net = net + excluded.net,
               count = count + excluded.count",
        )?;
        let mut emptied = false;
        for t in self.by_key.into_values() {
            let (source, year, month, account, kind, category, fund_account, currency, credit) = t.key;
            upsert.execute(params![
                source,
                year,
                month,
                account,
                kind,
                category,
                fund_account,
                currency,
                credit,
                t.gross,
                t.net,
                t.count
            ])?;
            emptied |= t.count < 0;
        }
        if emptied {
            tx.prepare_cached("DELETE FROM finance_totals WHERE count = 0")?.execute([])?;
        }
        Ok(())
    }
}

/// A recorded row as `finance_totals` counts it, and who wrote it.
struct Written {
    month: (i32, u32),
    dims: [String; 5],
    gross: i64,
    net: i64,
    /// (hlc ms, hlc n, author, operation id): the merge order of its writer.
    by: (i64, u32, String, Vec<u8>),
}

/// Applies a `finance.import`: each row is a register won by the later operation in
/// the merge order (clock, author, operation id); `finance_totals` follows every
/// insert and replacement.
fn apply_import(tx: &Transaction<'_>, op: &Operation, id: &OpId, source: Source, rows: &[TxRow]) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO transactions (id, source, date, account, kind, category, description,
           gross, net, currency, grp, counterparty, counterparty_name, fund_account, hlc_ms, hlc_n, author, op)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT (id) DO NOTHING",
    )?;
    let mut recorded = tx.prepare_cached(
        "SELECT CAST(substr(date, 1, 4) AS INTEGER), CAST(substr(date, 6, 2) AS INTEGER), account, kind, category,
           fund_account, currency, gross, net, hlc_ms, hlc_n, author, op
         FROM transactions WHERE id = ?1",
    )?;
    let mut replace = tx.prepare_cached(
        "UPDATE transactions SET source = ?2, date = ?3, account = ?4, kind = ?5, category = ?6, description = ?7,
           gross = ?8, net = ?9, currency = ?10, grp = ?11, counterparty = ?12, counterparty_name = ?13,
           fund_account = ?14, hlc_ms = ?15, hlc_n = ?16, author = ?17, op = ?18
         WHERE id = ?1",
    )?;
    // The operation's id as bytes: a third of the row's width as hex, and ordered the same.
    let op_id = hex::decode(&id.0).unwrap_or_default();
    let mut totals = Totals::default();
    for row in rows {
        // Rows were checked by the importer; a row that does not parse here came from
        // a newer or broken writer and is skipped, never guessed.
        let (Some(gross), Some(net)) = (units(&row.amount), units(&row.net)) else { continue };
        let reference = row.reference(source);
        let (year, month) = (row.date.year(), row.date.month());
        // As rusqlite writes a date (%Y-%m-%d), without chrono's format machinery.
        let date = format!("{year:04}-{month:02}-{:02}", row.date.day());
        let fund_account = row.fund_account.as_deref().unwrap_or("");
        let values = params![
            reference,
            source.as_str(),
            date,
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
            fund_account,
            op.hlc.ms,
            op.hlc.n,
            op.author.as_str(),
            op_id,
        ];
        if insert.execute(values)? == 0 {
            // The id is recorded: replace the row only if this operation is later in
            // the merge order than the one that wrote it.
            let old = recorded.query_row([&reference], |r| {
                Ok(Written {
                    month: (r.get(0)?, r.get(1)?),
                    dims: [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?],
                    gross: r.get(7)?,
                    net: r.get(8)?,
                    by: (r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?),
                })
            })?;
            let (ms, n, author, by_op) = &old.by;
            if (op.hlc.ms, op.hlc.n, op.author.as_str(), op_id.as_slice())
                <= (*ms, *n, author.as_str(), by_op.as_slice())
            {
                continue;
            }
            replace.execute(values)?;
            totals.add(
                source.as_str(),
                old.month,
                old.dims.each_ref().map(String::as_str),
                old.gross >= 0,
                (-old.gross, -old.net, -1),
            );
        }
        let dims = [row.account.as_str(), &row.kind, &row.category, fund_account, &row.currency];
        totals.add(source.as_str(), (year, month), dims, gross >= 0, (gross, net, 1));
    }
    totals.write(tx)
}

fn units(text: &str) -> Option<i64> {
    money::parse_plain(text).and_then(money::to_units)
}

const ROW_COLUMNS: &str = "id, date, account, kind, category, description, gross, net, currency, grp,
    counterparty, counterparty_name, fund_account";

/// A row of `ROW_COLUMNS` as it would travel again.
fn recorded(r: &rusqlite::Row<'_>, source: Source) -> rusqlite::Result<TxRow> {
    let reference: String = r.get(0)?;
    let fund_account: String = r.get(12)?;
    Ok(TxRow {
        id: reference.strip_prefix(source.as_str()).and_then(|s| s.strip_prefix(':')).unwrap_or(&reference).to_string(),
        date: r.get(1)?,
        account: r.get(2)?,
        kind: r.get(3)?,
        category: r.get(4)?,
        description: r.get(5)?,
        amount: money::format_units(r.get(6)?),
        net: money::format_units(r.get(7)?),
        currency: r.get(8)?,
        group: r.get(9)?,
        counterparty: r.get(10)?,
        counterparty_name: r.get(11)?,
        fund_account: (!fund_account.is_empty()).then_some(fund_account),
    })
}

/// What is recorded of `rows` (by source id): one pass over the dates the rows span,
/// and single lookups only for rows recorded under another date.
fn recorded_rows(conn: &Connection, source: Source, rows: &[TxRow]) -> Result<HashMap<String, TxRow>> {
    let (Some(first), Some(last)) = (rows.iter().map(|r| r.date).min(), rows.iter().map(|r| r.date).max()) else {
        return Ok(HashMap::new());
    };
    let mut found = HashMap::with_capacity(rows.len());
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ROW_COLUMNS} FROM transactions WHERE date BETWEEN ?2 AND ?3 AND source = ?1"
    ))?;
    for row in stmt.query_map(params![source.as_str(), first, last], |r| recorded(r, source))? {
        let row = row?;
        found.insert(row.id.clone(), row);
    }
    let elsewhere = conn
        .prepare_cached("SELECT 1 FROM transactions WHERE source = ?1 AND (date < ?2 OR date > ?3) LIMIT 1")?
        .exists(params![source.as_str(), first, last])?;
    if elsewhere {
        let mut single = conn.prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM transactions WHERE id = ?1"))?;
        for row in rows {
            if !found.contains_key(&row.id) {
                if let Some(old) = single.query_row([row.reference(source)], |r| recorded(r, source)).optional()? {
                    found.insert(row.id.clone(), old);
                }
            }
        }
    }
    Ok(found)
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
    /// The rows travel in `scope` ([`Scope::finance`] unless the board publishes them).
    pub fn import_finance(
        &mut self,
        source: Source,
        path: &Path,
        scope: &Scope,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportSummary> {
        // Refused before the file is read: a scope this member may not write into.
        self.check_writable(scope)?;
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

        // The same transaction twice (an API list and a detail response of the same
        // mutation) is read once; twice with different values is refused.
        let mut first_at: HashMap<&str, usize> = HashMap::with_capacity(parsed.rows.len());
        let mut repeated = Vec::new();
        for (i, row) in parsed.rows.iter().enumerate() {
            let first = *first_at.entry(&row.id).or_insert(i);
            if first == i {
                continue;
            }
            if parsed.rows[first] != *row {
                let line = |i: usize| Some(parsed.lines[i]).filter(|&l| l > 0);
                return Err(Error::ImportRefused {
                    path: path.to_owned(),
                    line: line(i),
                    reason: format!(
                        "transaction {} appears twice with different values{}",
                        row.id,
                        line(first).map(|l| format!(" (first on line {l})")).unwrap_or_default()
                    ),
                });
            }
            repeated.push(i);
        }
        let mut parsed = parsed;
        for i in repeated.into_iter().rev() {
            parsed.rows.remove(i);
            parsed.lines.remove(i);
        }
        let total = parsed.rows.len() as u64;

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
        let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
        let recorded = recorded_rows(self.db(), source, &parsed.rows)?;
        let mut changed = Vec::new();
        for (i, row) in parsed.rows.into_iter().enumerate() {
            if let Some(sum) = totals.get_mut(&row.currency) {
                *sum += money::parse_plain(&row.net).unwrap_or_default();
            } else {
                totals.insert(row.currency.clone(), money::parse_plain(&row.net).unwrap_or_default());
            }
            match recorded.get(&row.id) {
                None => summary.added += 1,
                Some(old) if old == &row => {
                    summary.unchanged += 1;
                    continue;
                }
                Some(_) => summary.changed += 1,
            }
            changed.push(row);
            if i % 10_000 == 9_999 {
                progress(ImportProgress { stage: ImportStage::Compare, done: i as u64 + 1, total });
            }
        }
        summary.totals = totals
            .into_iter()
            .map(|(currency, amount)| CurrencyTotal { currency, amount: money::format(amount) })
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
            self.commit(scope, bodies)?;
        }
        progress(ImportProgress { stage: ImportStage::Record, done: recording, total: recording });
        Ok(summary)
    }

    /// Transactions, newest first.
    pub fn transactions(&self, filter: &TransactionFilter) -> Result<Vec<TransactionView>> {
        Ok(self.query_transactions(filter, None, filter.offset.unwrap_or(0), false)?.0)
    }

    /// One window of the transaction list (`limit` rows from `offset`, newest first)
    /// and how many transactions match in all: what a scrolling list asks for.
    ///
    /// Without a search both are answered from the monthly totals: the count is their
    /// sum, and the window starts in the month that holds `offset`, so no query walks
    /// more than one month of rows, however deep the list is scrolled.
    pub fn transaction_page(&self, filter: &TransactionFilter) -> Result<TransactionPage> {
        let offset = filter.offset.unwrap_or(0);
        if search_pattern(filter).is_some() {
            // A search scans the rows anyway: the same scan counts them.
            let (rows, total) = self.query_transactions(filter, None, offset, true)?;
            let total = match total {
                Some(total) => total,
                None => self.count_transactions(filter)?, // scrolled past the end
            };
            return Ok(TransactionPage { total, offset, rows });
        }
        let sql = format!(
            "SELECT year, month, sum(count) FROM finance_totals t
             WHERE (?1 IS NULL OR year = ?1) AND (?2 IS NULL OR source = ?2) AND (?3 IS NULL OR {FUND_OF} = ?3)
             GROUP BY year, month ORDER BY year DESC, month DESC"
        );
        let mut stmt = self.db().prepare_cached(&sql)?;
        let months = stmt
            .query_map(params![filter.year, filter.source.map(Source::as_str), filter.fund], |r| {
                Ok((r.get::<_, i32>(0)?, r.get::<_, u32>(1)?, r.get::<_, i64>(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let total = months.iter().map(|m| m.2.max(0) as u64).sum();
        // The month that holds row `offset`, and the offset inside it.
        let mut skip = i64::from(offset);
        let mut before = None;
        for (year, month, count) in months {
            if skip < count {
                before = Some(format!("{year:04}-{month:02}-31"));
                break;
            }
            skip -= count;
        }
        let rows = match before {
            Some(before) => self.query_transactions(filter, Some(before), skip as u32, false)?.0,
            None => Vec::new(),
        };
        Ok(TransactionPage { total, offset, rows })
    }

    fn count_transactions(&self, filter: &TransactionFilter) -> Result<u64> {
        let (matches, values) = transaction_matches(filter, None);
        let sql = format!("SELECT count(*) FROM transactions t WHERE {matches}");
        let total: i64 = self.db().prepare_cached(&sql)?.query_row(rusqlite::params_from_iter(values), |r| r.get(0))?;
        Ok(total as u64)
    }

    /// Transactions matching `filter` dated on or before `before`, from `offset`; with
    /// `count`, also how many match in all (`None` when the window is empty).
    fn query_transactions(
        &self,
        filter: &TransactionFilter,
        before: Option<String>,
        offset: u32,
        count: bool,
    ) -> Result<(Vec<TransactionView>, Option<u64>)> {
        let (matches, mut values) = transaction_matches(filter, before);
        let limit = values.len() + 1;
        values.push(rusqlite::types::Value::Integer(filter.limit.map(i64::from).unwrap_or(-1)));
        values.push(rusqlite::types::Value::Integer(i64::from(offset)));
        let sql = format!(
            "SELECT t.id, t.source, t.date, t.account, t.kind, t.category, t.description, t.gross, t.net,
               t.currency, {FUND_OF} AS fund, t.grp, t.counterparty, t.counterparty_name,
               (SELECT min(decision) FROM decision_links l WHERE l.tx = t.id), {}
             FROM transactions t
             WHERE {matches}
             ORDER BY t.date DESC, t.id DESC LIMIT ?{limit} OFFSET ?{}",
            if count { "count(*) OVER ()" } else { "NULL" },
            limit + 1
        );
        let mut total = None;
        let mut stmt = self.db().prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| {
            if let Some(n) = r.get::<_, Option<i64>>(15)? {
                total = Some(n.max(0) as u64);
            }
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
        })?;
        let rows = rows.collect::<rusqlite::Result<_>>()?;
        Ok((rows, total))
    }

    /// Counts a source account (`SOURCE:ACCOUNT`) towards `fund`; the mapping travels in `scope`.
    pub fn map_fund(&mut self, account: &str, fund: &str, scope: &Scope) -> Result<FundAccount> {
        let account = source_account(self.db(), account)?;
        let fund = clean_fund(fund)?;
        self.commit(scope, vec![OpBody::FundMap { account: account.clone(), fund: fund.clone() }])?;
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

    /// Sets the budget line of `fund` for `year`; it travels in `scope`.
    pub fn set_budget(
        &mut self,
        fund: &str,
        year: i32,
        amount: &str,
        currency: &str,
        scope: &Scope,
    ) -> Result<BudgetLine> {
        let fund = clean_fund(fund)?;
        if !(1900..=9999).contains(&year) {
            return Err(Error::invalid("year", &year.to_string(), "expected a year such as 2026"));
        }
        let amount = money::format(money::parse_amount(amount)?);
        let currency = money::currency(currency)?;
        self.commit(
            scope,
            vec![OpBody::BudgetSet { fund: fund.clone(), year, amount: amount.clone(), currency: currency.clone() }],
        )?;
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
        // The link travels with the decision: its readers see what was spent from it.
        self.commit(
            &summary.scope,
            vec![OpBody::DecisionLink { decision: summary.id.clone(), transactions: ids.clone() }],
        )?;
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fixture export, read by its reader, against the rows it must give
    /// (`testdata/finance/NAME.rows`; `UPDATE_EXPECT=1` rewrites them after a
    /// deliberate change). Refused files give their message.
    #[test]
    fn exports_read_into_the_expected_rows() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/finance");
        let expected = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/finance");
        let mut names: Vec<String> = std::fs::read_dir(&fixtures)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert!(names.len() >= 10, "fixtures missing in {}", fixtures.display());
        for name in names {
            let path = fixtures.join(&name);
            let source = if name.starts_with("oc-") || name.ends_with(".csv") {
                Source::OpenCollective
            } else {
                Source::Eboekhouden
            };
            let result = match source {
                Source::OpenCollective => crate::opencollective::read(&path),
                Source::Eboekhouden => crate::eboekhouden::read(&path),
            };
            let text = match result {
                Ok(parsed) => parsed
                    .rows
                    .iter()
                    .zip(&parsed.lines)
                    .map(|(row, line)| {
                        format!("{line}: {}\n", String::from_utf8(crate::canonical::to_bytes(row).unwrap()).unwrap())
                    })
                    .collect::<String>(),
                Err(err) => {
                    format!("refused: {}\n", err.to_string().replace(&fixtures.display().to_string(), "FIXTURES"))
                }
            };
            expect_test::expect_file![expected.join(format!("{name}.rows"))].assert_eq(&text);
        }
    }
}
