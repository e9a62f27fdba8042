//! Finance records: transactions imported from Open Collective ([`crate::finance::opencollective`])
//! and e-boekhouden ([`crate::finance::eboekhouden`]), the mapping of source accounts to funds,
//! budget lines, and links from decisions to the transactions that spent their money.
//! The reports over them are in `crate::reports`.
//!
//! An import is a batch of `finance.import` operations: the importer's signature on
//! the bundle vouches for the data, and every member applies the same rows. A row is
//! keyed by its source and the source's own id, and is one last-writer-wins register,
//! so re-importing an export updates the rows that changed and never duplicates.
//! Only rows that differ from what is recorded travel again.
//!
//! This file holds the types, the requests and the checks every finance operation from
//! the folder passes; [`crate::finance::records`] the tables.

use crate::base::error::{Error, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
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

pub(crate) fn clean_fund(fund: &str) -> Result<String> {
    let fund = fund.trim();
    if fund.is_empty() || fund.chars().any(char::is_control) {
        return Err(Error::invalid("fund", fund, "give the fund a name, e.g. infrastructure"));
    }
    Ok(fund.to_string())
}
