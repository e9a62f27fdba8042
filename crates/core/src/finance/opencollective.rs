//! Reads Open Collective's transactions CSV (shared/formats.md): every column layout
//! seen in the wild, headers as field ids or as labels (`useFieldNames=1`).
//!
//! The whole file is checked before anything is recorded: a truncated or failed export
//! (its last line a warning or an error), a file that is not a transactions export, or
//! any row with a malformed amount, date or currency refuses the file, naming the line.

use crate::base::error::{Error, Result};
use crate::base::money;
use crate::finance::model::{Parsed, TxRow};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::path::Path;

/// The fields we read, as ids; labels and older names are mapped onto them.
const FIELDS: &[&str] = &[
    "datetime",
    "effectiveDate",
    "date",
    "legacyId",
    "shortId",
    "group",
    "shortGroup",
    "description",
    "type",
    "kind",
    "amount",
    "netAmount",
    "paymentProcessorFee",
    "hostFee",
    "platformFee",
    "taxAmount",
    "currency",
    "accountSlug",
    "accountName",
    "oppositeAccountSlug",
    "oppositeAccountName",
    "expenseType",
    "accountingCategoryCode",
    "accountingCategoryName",
];

/// Header labels that do not normalise to their field id.
const LABELS: &[(&str, &str)] = &[
    ("transactionid", "legacyId"),
    ("id", "shortId"),
    ("groupid", "group"),
    ("shortgroupid", "shortGroup"),
    ("transactiongroup", "group"),
    ("accounthandle", "accountSlug"),
    ("collectiveslug", "accountSlug"),
    ("collectivehandle", "accountSlug"),
    ("oppositeaccounthandle", "oppositeAccountSlug"),
    ("oppositecollectiveslug", "oppositeAccountSlug"),
    ("oppositecollectivename", "oppositeAccountName"),
    ("grossamount", "amount"),
    ("netamountinhostcurrency", "netAmount"),
    ("amountinhostcurrency", "amount"),
    ("hostcurrency", "currency"),
    ("processorfee", "paymentProcessorFee"),
    ("paymentprocessorfees", "paymentProcessorFee"),
    ("tax", "taxAmount"),
    ("datetime", "datetime"),
    ("createdat", "datetime"),
    ("clearedat", "effectiveDate"),
];

fn normalise(header: &str) -> String {
    header.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase()
}

fn field_for(header: &str) -> Option<&'static str> {
    let key = normalise(header);
    FIELDS
        .iter()
        .copied()
        .find(|f| normalise(f) == key)
        .or_else(|| LABELS.iter().find(|(label, _)| *label == key).map(|(_, f)| *f))
}

/// Reads an Open Collective transactions export.
pub fn read(path: &Path) -> Result<Parsed> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    parse(&bytes, path)
}

/// Parses the bytes of an Open Collective transactions export read from `path`.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Parsed> {
    let refuse = |line: Option<usize>, reason: String| Error::ImportRefused { path: path.to_owned(), line, reason };
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|e| refuse(None, format!("the file is not UTF-8 text ({e}); is it an Open Collective CSV export?")))?;

    // A truncated or failed export says so on a line of its own: refuse it whole.
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_matches('"');
        if line.starts_with("Warning: totalCount is") {
            return Err(refuse(
                Some(i + 1),
                format!(
                    "the export is truncated (\"{line}\"); export again with all rows (the dashboard's export, or fetchAll=1 in the URL)"
                ),
            ));
        }
        if line.starts_with("Error while fetching") {
            return Err(refuse(
                Some(i + 1),
                "Open Collective reported an error while exporting (\"Error while fetching account transactions.\"); export again".into(),
            ));
        }
    }

    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers =
        reader.headers().map_err(|e| refuse(Some(1), format!("the header line cannot be read ({e})")))?.clone();
    let mut columns: Vec<Option<&'static str>> = Vec::with_capacity(headers.len());
    for header in headers.iter() {
        let field = field_for(header);
        if field.is_some() && columns.contains(&field) {
            return Err(refuse(Some(1), format!("the column \"{header}\" appears twice")));
        }
        columns.push(field);
    }
    let col = |field: &str| columns.iter().position(|c| *c == Some(field));
    let id_col = col("legacyId").or_else(|| col("shortId"));
    let date_cols: Vec<usize> = ["effectiveDate", "datetime", "date"].iter().filter_map(|f| col(f)).collect();
    let (net_col, gross_col) = (col("netAmount"), col("amount"));
    let missing = match () {
        _ if id_col.is_none() => Some("legacyId (or shortId)"),
        _ if date_cols.is_empty() => Some("effectiveDate, datetime or date"),
        _ if net_col.is_none() && gross_col.is_none() => Some("netAmount or amount"),
        _ if col("currency").is_none() => Some("currency"),
        _ if col("kind").is_none() && col("type").is_none() => Some("kind or type"),
        _ => None,
    };
    if let Some(missing) = missing {
        let found: Vec<&str> = headers.iter().take(8).collect();
        return Err(refuse(
            Some(1),
            format!(
                "this is not an Open Collective transactions export: it has no {missing} column (its columns start {})",
                found.join(", ")
            ),
        ));
    }
    let id_col = id_col.unwrap_or_default();
    let fee_cols: Vec<usize> =
        ["paymentProcessorFee", "hostFee", "platformFee", "taxAmount"].iter().filter_map(|f| col(f)).collect();
    // Column positions, looked up once rather than on every row.
    let [currency_col, kind_col, type_col, category_name_col, category_code_col, expense_type_col, account_col, description_col, group_col, short_group_col, opposite_col, opposite_name_col] =
        [
            "currency",
            "kind",
            "type",
            "accountingCategoryName",
            "accountingCategoryCode",
            "expenseType",
            "accountSlug",
            "description",
            "group",
            "shortGroup",
            "oppositeAccountSlug",
            "oppositeAccountName",
        ]
        .map(|f| col(f));
    let mut known_currencies: Vec<String> = Vec::new();

    let mut parsed = Parsed::default();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            refuse(line, format!("the line is not a CSV row of the header's shape ({e})"))
        })?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or_default();
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let get = |column: Option<usize>| column.and_then(|i| record.get(i)).map(str::trim).unwrap_or("");
        let bad = |what: &str, value: &str, expected: &str| {
            refuse(Some(line), format!("the {what} \"{value}\" is not valid; expected {expected}"))
        };
        let amount_of = |i: usize, what: &str| -> Result<Option<Decimal>> {
            let value = record.get(i).map(str::trim).unwrap_or("");
            if value.is_empty() {
                return Ok(None);
            }
            money::parse_plain(value).map(Some).ok_or_else(|| bad(what, value, "a number such as -25.00"))
        };

        let id = record.get(id_col).map(str::trim).unwrap_or("");
        if id.is_empty() || id.contains(['/', ':']) {
            return Err(bad("transaction id", id, "the legacyId (an integer) or shortId of the transaction"));
        }
        let date = date_cols
            .iter()
            .filter_map(|&i| record.get(i).map(str::trim).filter(|v| !v.is_empty()))
            .next()
            .ok_or_else(|| {
                refuse(
                    Some(line),
                    "the transaction has no date (effectiveDate is empty until it clears); include datetime in the export"
                        .into(),
                )
            })?;
        let date = parse_date(date).ok_or_else(|| bad("date", date, "YYYY-MM-DD or YYYY-MM-DDTHH:mm:ss"))?;

        let gross = gross_col.map(|i| amount_of(i, "amount")).transpose()?.flatten();
        let net = net_col.map(|i| amount_of(i, "netAmount")).transpose()?.flatten();
        let mut fees = Decimal::ZERO;
        for &i in &fee_cols {
            fees += amount_of(i, "fee")?.unwrap_or_default();
        }
        let (gross, net) = match (gross, net) {
            (Some(g), Some(n)) => (g, n),
            (Some(g), None) => (g, g + fees),
            (None, Some(n)) => (n, n),
            (None, None) => return Err(refuse(Some(line), "the transaction has no amount".into())),
        };
        let currency = get(currency_col);
        let currency = match known_currencies.iter().find(|c| *c == currency) {
            Some(known) => known.clone(),
            None => {
                let code =
                    money::currency(currency).map_err(|_| bad("currency", currency, "an ISO 4217 code such as EUR"))?;
                known_currencies.push(code.clone());
                code
            }
        };

        let kind = match get(kind_col) {
            "" => get(type_col),
            kind => kind,
        };
        let category = [get(category_name_col), get(category_code_col), get(expense_type_col), kind]
            .into_iter()
            .find(|v| !v.is_empty())
            .unwrap_or("")
            .to_string();
        let account = match get(account_col) {
            "" => "(collective)",
            slug => slug,
        };
        let optional = |v: &str| (!v.is_empty()).then(|| v.to_string());
        let row = TxRow {
            id: id.to_string(),
            date,
            account: account.to_string(),
            kind: kind.to_string(),
            category,
            description: get(description_col).to_string(),
            amount: money::format(gross),
            net: money::format(net),
            currency,
            group: optional(get(group_col)).or_else(|| optional(get(short_group_col))),
            counterparty: optional(get(opposite_col)),
            counterparty_name: optional(get(opposite_name_col)),
            fund_account: optional(get(account_col)),
        };
        parsed.push(row, line);
    }
    if parsed.rows.is_empty() {
        return Err(refuse(None, "the export holds no transactions".into()));
    }
    Ok(parsed)
}

/// `YYYY-MM-DD`, optionally followed by a time (`T…` or ` …`), as the export writes it.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if !matches!(b.get(10), None | Some(b'T') | Some(b' ')) || b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = &b[range];
        digits.iter().all(u8::is_ascii_digit).then(|| digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Parsed> {
        parse(text.as_bytes(), Path::new("export.csv"))
    }

    #[test]
    fn labels_and_ids_name_the_same_columns() {
        assert_eq!(field_for("Date & Time"), Some("datetime"));
        assert_eq!(field_for("effectiveDate"), Some("effectiveDate"));
        assert_eq!(field_for("Effective Date"), Some("effectiveDate"));
        assert_eq!(field_for("Legacy ID"), Some("legacyId"));
        assert_eq!(field_for("Net Amount"), Some("netAmount"));
        assert_eq!(field_for("Opposite Account Handle"), Some("oppositeAccountSlug"));
        assert_eq!(field_for("Short Group ID"), Some("shortGroup"));
        assert_eq!(field_for("merchantId"), None);
    }

    #[test]
    fn fees_in_columns_are_deducted_when_the_net_is_missing() {
        let parsed = parse_text(
            "datetime,shortId,kind,amount,paymentProcessorFee,hostFee,currency,accountSlug\n\
             2024-03-01T10:00:00,ab12cd34,CONTRIBUTION,100.00,-3.20,-5,EUR,nixos\n",
        )
        .unwrap();
        assert_eq!(parsed.rows[0].amount, "100.00");
        assert_eq!(parsed.rows[0].net, "91.80");
    }

    #[test]
    fn bad_rows_name_their_line() {
        let head = "datetime,legacyId,kind,netAmount,currency\n";
        for (row, expect) in [
            ("2024-03-01T10:00:00,1,CONTRIBUTION,1O.00,EUR\n", "netAmount \"1O.00\""),
            ("2024-13-01T10:00:00,1,CONTRIBUTION,10.00,EUR\n", "date \"2024-13-01T10:00:00\""),
            ("2024-03-01T10:00:00,1,CONTRIBUTION,10.00,XYZ\n", "currency \"XYZ\""),
            ("2024-03-01T10:00:00,1,CONTRIBUTION\n", "CSV row"),
        ] {
            let err = parse_text(&format!("{head}2024-02-01T10:00:00,9,CONTRIBUTION,1.00,EUR\n{row}")).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("line 3"), "{text}");
            assert!(text.contains(expect), "{text}");
        }
    }
}
