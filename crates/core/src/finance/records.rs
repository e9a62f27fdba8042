//! The finance tables. The database keeps amounts as integers of ten-thousandths
//! ([`crate::base::money`]), and `finance_totals`: the sums per (source, month, account,
//! kind, category, fund account, currency, direction), updated with every row applied
//! ([`apply_import`]), so reports over millions of rows read a few thousand.

use crate::base::error::{Error, Result};
use crate::base::money;
use crate::engine::operation::{OpBody, OpId, Operation};
use crate::engine::store;
use crate::finance::model::{Source, TransactionFilter, TxRow, FUND_OF, ROWS_PER_OPERATION};
use chrono::Datelike;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::collections::HashMap;

/// The WHERE clause of the transaction list for `filter` (rows dated on or before
/// `before`, when given) and its parameters. Only the conditions in use are written,
/// so SQLite can seek the (date, id) key for a year or `before` instead of scanning.
pub(crate) fn transaction_matches(
    filter: &TransactionFilter,
    before: Option<String>,
) -> (String, Vec<rusqlite::types::Value>) {
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
pub(crate) fn search_pattern(filter: &TransactionFilter) -> Option<String> {
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

pub(crate) fn units(text: &str) -> Option<i64> {
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
pub(crate) fn recorded_rows(conn: &Connection, source: Source, rows: &[TxRow]) -> Result<HashMap<String, TxRow>> {
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
pub(crate) fn source_account(conn: &Connection, text: &str) -> Result<String> {
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
