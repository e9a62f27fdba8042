//! Importing exports, mapping accounts to funds, setting budgets, linking decisions
//! and listing transactions: what a member does with the finance records, through
//! their home.

use crate::base::error::{Error, Result};
use crate::base::money;
use crate::engine::operation::OpBody;
use crate::finance::model::{
    clean_fund, BudgetLine, CurrencyTotal, FundAccount, ImportProgress, ImportStage, ImportSummary, Source,
    TransactionFilter, TransactionPage, TransactionView, FUND_OF, ROWS_PER_OPERATION,
};
use crate::finance::records::{recorded_rows, search_pattern, source_account, transaction_matches};
use crate::home::Home;
use crate::members::scope::Scope;
use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

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
            Source::OpenCollective => crate::finance::opencollective::read(path)?,
            Source::Eboekhouden => crate::finance::eboekhouden::read(path)?,
        };
        let total = parsed.rows.len() as u64;
        progress(ImportProgress { stage: ImportStage::Read, done: total, total });
        if source == Source::Eboekhouden {
            if let Some((mutation, form)) = crate::finance::eboekhouden::overlap(self.db(), &parsed.rows)? {
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
        if summary.status != crate::decisions::model::Status::Approved {
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
                Source::OpenCollective => crate::finance::opencollective::read(&path),
                Source::Eboekhouden => crate::finance::eboekhouden::read(&path),
            };
            let text = match result {
                Ok(parsed) => parsed
                    .rows
                    .iter()
                    .zip(&parsed.lines)
                    .map(|(row, line)| {
                        format!(
                            "{line}: {}\n",
                            String::from_utf8(crate::base::canonical::to_bytes(row).unwrap()).unwrap()
                        )
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
