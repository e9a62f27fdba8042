//! Reads e-boekhouden.nl data (shared/formats.md) in its two offline forms:
//!
//! - a folder of saved REST API responses: `ledger*.json`, `costcenter*.json`,
//!   `relation*.json` and `mutation*.json` (files or folders of that name), each a
//!   list response (`{"items": […]}`), a bare array or one object. Mutations must be
//!   the detail responses (`GET /v1/mutation/{id}`), which carry their rows;
//! - a ledger-card export from the web UI: tab-separated, a preamble, then `Datum, Nr,
//!   Omschrijving, Relatie, Factuur, Boekstuk, Kostenplaats, Activa, Passiva`, with
//!   Dutch dates (`31-12-2025`) and amounts (`1.234,56`).
//!
//! Each mutation row becomes a transaction `MUTATION/ROW` (rows counted from 1), and
//! each ledger-card line `MUTATION/LEDGER/N`, so a re-import updates rather than
//! duplicates. The two forms show different legs of the same mutations, so a mutation
//! already imported in one form refuses a file holding it in the other
//! ([`overlap`]): adding both would count the money twice. Amounts are signed by the mutation type:
//! money received and invoices sent are positive, money spent and invoices received
//! negative; opening balances and journal entries keep the row's own sign. On a ledger
//! card (of a bank account) the debit column (Activa) is money in. Cost centres are
//! the funds. e-boekhouden keeps its books in euros.

use crate::base::error::{Error, Result};
use crate::base::money;
use crate::finance::model::{Parsed, TxRow};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Reads a folder of saved API responses or a ledger-card file.
pub fn read(path: &Path) -> Result<Parsed> {
    if path.is_dir() {
        read_api_folder(path)
    } else {
        let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            return Err(refuse(
                path,
                None,
                "a single JSON file is not enough: give the folder holding the saved ledger, cost centre, relation and mutation responses".into(),
            ));
        }
        parse_ledger_card(&bytes, path)
    }
}

fn refuse(path: &Path, line: Option<usize>, reason: String) -> Error {
    Error::ImportRefused { path: path.to_owned(), line, reason }
}

/// The mutation types, by number, and the sign of their rows' amounts (0: as given).
fn mutation_type(number: i64) -> Option<(&'static str, i32)> {
    Some(match number {
        0 => ("OPENING_BALANCE", 0),
        1 => ("INVOICE_RECEIVED", -1),
        2 => ("INVOICE_SENT", 1),
        3 => ("INVOICE_PAYMENT_RECEIVED", 1),
        4 => ("INVOICE_PAYMENT_SENT", -1),
        5 => ("MONEY_RECEIVED", 1),
        6 => ("MONEY_SPENT", -1),
        7 => ("JOURNAL_ENTRY", 0),
        _ => return None,
    })
}

#[derive(Default)]
struct ApiFiles {
    ledgers: Vec<(PathBuf, Value)>,
    cost_centres: Vec<(PathBuf, Value)>,
    relations: Vec<(PathBuf, Value)>,
    mutations: Vec<(PathBuf, Value)>,
}

fn collect(dir: &Path, kind: Option<&str>, files: &mut ApiFiles) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io("read the folder", dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
        let kind = kind.or_else(|| {
            ["ledger", "costcenter", "cost-center", "costcentre", "relation", "mutation"]
                .into_iter()
                .find(|k| name.starts_with(k))
        });
        if path.is_dir() {
            if kind.is_some() {
                collect(&path, kind, files)?;
            }
            continue;
        }
        if !name.ends_with(".json") {
            continue;
        }
        let Some(kind) = kind else { continue };
        let bytes = std::fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            refuse(&path, Some(e.line()), format!("the file is not valid JSON ({e}); save the API response as it came"))
        })?;
        let list = match kind {
            "ledger" => &mut files.ledgers,
            "relation" => &mut files.relations,
            "mutation" => &mut files.mutations,
            _ => &mut files.cost_centres,
        };
        list.push((path, value));
    }
    Ok(())
}

/// The items of a response: `{"items": […]}`, a bare array, or one object.
fn items<'a>(path: &Path, value: &'a Value) -> Result<Vec<&'a Map<String, Value>>> {
    let list: Vec<&Value> = match value {
        Value::Object(map) => match map.get("items") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(_) => return Err(refuse(path, None, "\"items\" is not a list".into())),
            None => vec![value],
        },
        Value::Array(items) => items.iter().collect(),
        _ => return Err(refuse(path, None, "expected an API response: an object or a list".into())),
    };
    list.into_iter()
        .enumerate()
        .map(|(i, v)| v.as_object().ok_or_else(|| refuse(path, None, format!("item {} is not an object", i + 1))))
        .collect()
}

fn int(path: &Path, item: &Map<String, Value>, what: &str, field: &str) -> Result<Option<i64>> {
    match item.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
        Some(other) => Err(refuse(path, None, format!("{what}: \"{field}\" is {other}, expected a whole number"))),
    }
}

fn text<'a>(item: &'a Map<String, Value>, field: &str) -> &'a str {
    item.get(field).and_then(Value::as_str).map(str::trim).unwrap_or("")
}

fn read_api_folder(dir: &Path) -> Result<Parsed> {
    let mut files = ApiFiles::default();
    collect(dir, None, &mut files)?;
    if files.mutations.is_empty() {
        return Err(refuse(
            dir,
            None,
            "the folder holds no mutation*.json; save the responses of GET /v1/mutation/{id} there (with ledger.json, costcenter.json and relation.json)".into(),
        ));
    }
    let mut ledgers: HashMap<i64, String> = HashMap::new();
    for (path, value) in &files.ledgers {
        for item in items(path, value)? {
            let id = int(path, item, "a ledger", "id")?
                .ok_or_else(|| refuse(path, None, "a ledger has no \"id\"".into()))?;
            let name = format!("{} {}", text(item, "code"), text(item, "description")).trim().to_string();
            ledgers.insert(id, name);
        }
    }
    let mut cost_centres: HashMap<i64, String> = HashMap::new();
    for (path, value) in &files.cost_centres {
        for item in items(path, value)? {
            let id = int(path, item, "a cost centre", "id")?
                .ok_or_else(|| refuse(path, None, "a cost centre has no \"id\"".into()))?;
            cost_centres.insert(id, text(item, "description").to_string());
        }
    }
    let mut relations: HashMap<i64, (String, String)> = HashMap::new();
    for (path, value) in &files.relations {
        for item in items(path, value)? {
            let id = int(path, item, "a relation", "id")?
                .ok_or_else(|| refuse(path, None, "a relation has no \"id\"".into()))?;
            relations.insert(id, (text(item, "code").to_string(), text(item, "name").to_string()));
        }
    }

    let mut parsed = Parsed::default();
    for (path, value) in &files.mutations {
        for mutation in items(path, value)? {
            let id = int(path, mutation, "a mutation", "id")?
                .ok_or_else(|| refuse(path, None, "a mutation has no \"id\"".into()))?;
            let what = format!("mutation {id}");
            let number = int(path, mutation, &what, "type")?
                .ok_or_else(|| refuse(path, None, format!("{what} has no \"type\"")))?;
            let (kind, sign) = mutation_type(number)
                .ok_or_else(|| refuse(path, None, format!("{what} has the unknown type {number} (expected 0 to 7)")))?;
            let date = text(mutation, "date");
            let date = NaiveDate::parse_from_str(date.get(..10).unwrap_or(date), "%Y-%m-%d")
                .map_err(|_| refuse(path, None, format!("{what}: the date \"{date}\" is not YYYY-MM-DD")))?;
            let Some(Value::Array(rows)) = mutation.get("rows") else {
                return Err(refuse(
                    path,
                    None,
                    format!("{what} has no rows; save the detail response GET /v1/mutation/{id}, not the list"),
                ));
            };
            let ex_vat = text(mutation, "inExVat").eq_ignore_ascii_case("EX");
            let mutation_relation = int(path, mutation, &what, "relationId")?;
            for (i, row) in rows.iter().enumerate() {
                let row = row
                    .as_object()
                    .ok_or_else(|| refuse(path, None, format!("{what}: row {} is not an object", i + 1)))?;
                let what = format!("{what}, row {}", i + 1);
                let amount = decimal(path, row, &what, "amount")?
                    .ok_or_else(|| refuse(path, None, format!("{what} has no \"amount\"")))?;
                let vat =
                    if ex_vat { decimal(path, row, &what, "vatAmount")?.unwrap_or_default() } else { Decimal::ZERO };
                let total = amount + vat;
                let signed = match sign {
                    0 => total,
                    s => total.abs() * Decimal::from(s),
                };
                let ledger = int(path, row, &what, "ledgerId")?.or(int(path, mutation, &what, "ledgerId")?);
                let account = ledger
                    .map(|l| ledgers.get(&l).cloned().unwrap_or_else(|| format!("ledger {l}")))
                    .unwrap_or_else(|| "(no ledger)".into());
                let relation = int(path, row, &what, "relationId")?.or(mutation_relation).filter(|&r| r != 0);
                let (code, name) = relation
                    .map(|r| relations.get(&r).cloned().unwrap_or_else(|| (format!("relation {r}"), String::new())))
                    .unzip();
                let cost_centre = int(path, row, &what, "costCenterId")?.filter(|&c| c != 0).map(|c| {
                    cost_centres
                        .get(&c)
                        .cloned()
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(|| format!("cost centre {c}"))
                });
                let description = match text(row, "description") {
                    "" => text(mutation, "description"),
                    d => d,
                };
                parsed.push(
                    TxRow {
                        id: format!("{id}/{}", i + 1),
                        date,
                        account: account.clone(),
                        kind: kind.to_string(),
                        category: account,
                        description: description.to_string(),
                        amount: money::format(signed),
                        net: money::format(signed),
                        currency: "EUR".into(),
                        group: Some(id.to_string()),
                        counterparty: code,
                        counterparty_name: name.filter(|n| !n.is_empty()),
                        fund_account: cost_centre,
                    },
                    0,
                );
            }
        }
    }
    if parsed.rows.is_empty() {
        return Err(refuse(dir, None, "the mutations hold no rows".into()));
    }
    Ok(parsed)
}

/// A JSON number as an exact decimal (its shortest text, which is what was written).
fn decimal(path: &Path, item: &Map<String, Value>, what: &str, field: &str) -> Result<Option<Decimal>> {
    match item.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => money::parse_plain(&n.to_string()).map(Some).ok_or_else(|| {
            refuse(
                path,
                None,
                format!("{what}: \"{field}\" is {n}, expected an amount with at most {} decimals", money::SCALE),
            )
        }),
        Some(other) => Err(refuse(path, None, format!("{what}: \"{field}\" is {other}, expected a number"))),
    }
}

/// Decodes a ledger card: UTF-8, or the Windows-1252 older exports use.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// Parses a ledger-card export read from `path`.
pub fn parse_ledger_card(bytes: &[u8], path: &Path) -> Result<Parsed> {
    let text = decode(bytes);
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let cells = |line: &str| -> Vec<String> {
        line.split('\t').map(|c| c.trim().trim_matches('"').trim().to_string()).collect()
    };
    let header_at = lines.iter().position(|line| {
        let c: Vec<String> = cells(line).iter().map(|c| c.to_lowercase()).collect();
        c.iter().any(|c| c == "datum") && c.iter().any(|c| c == "activa" || c == "debet")
    });
    let Some(header_at) = header_at else {
        return Err(refuse(
            path,
            None,
            "this is not an e-boekhouden ledger card: no tab-separated header with Datum and Activa/Passiva (export the card as a text file from the web UI, or give the folder of saved API responses)".into(),
        ));
    };
    let header: Vec<String> = cells(lines[header_at]).iter().map(|c| c.to_lowercase()).collect();
    let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let (Some(date_col), Some(nr_col), Some(debit_col), Some(credit_col)) =
        (col(&["datum"]), col(&["nr", "nummer", "mutatienr"]), col(&["activa", "debet"]), col(&["passiva", "credit"]))
    else {
        return Err(refuse(path, Some(header_at + 1), "the header lacks one of Datum, Nr, Activa, Passiva".into()));
    };
    let description_col = col(&["omschrijving"]);
    let relation_col = col(&["relatie"]);
    let cost_centre_col = col(&["kostenplaats"]);

    // The preamble names the ledger account the card is of.
    let account = lines[..header_at]
        .iter()
        .map(|l| cells(l))
        .find_map(|c| {
            let label = c.first()?.trim_end_matches(':').to_lowercase();
            ["grootboekrekening", "grootboek", "rekening"]
                .contains(&label.as_str())
                .then(|| c[1..].join(" ").trim().to_string())
        })
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| path.file_stem().and_then(|s| s.to_str()).unwrap_or("ledger card").to_string());
    // Rows are keyed `MUTATION/LEDGER/N`: the same mutation appears on the card of
    // each ledger it touches (a transfer between two bank accounts), once per card.
    let ledger_code: String = account
        .split_whitespace()
        .next()
        .unwrap_or("card")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();

    let mut parsed = Parsed::default();
    let mut per_mutation: HashMap<String, u32> = HashMap::new();
    for (i, line) in lines.iter().enumerate().skip(header_at + 1) {
        let number = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let c = cells(line);
        let get = |i: usize| c.get(i).map(String::as_str).unwrap_or("");
        // Opening, total and closing lines carry no date and no mutation number.
        if get(date_col).is_empty() && get(nr_col).is_empty() {
            continue;
        }
        if c.len() < header.len().min(credit_col.max(debit_col) + 1) {
            return Err(refuse(
                path,
                Some(number),
                format!("the line has {} columns where the header has {}; is it cut short?", c.len(), header.len()),
            ));
        }
        let date = NaiveDate::parse_from_str(get(date_col), "%d-%m-%Y")
            .map_err(|_| refuse(path, Some(number), format!("the date \"{}\" is not DD-MM-YYYY", get(date_col))))?;
        let nr = get(nr_col);
        if nr.is_empty() || !nr.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse(path, Some(number), format!("the mutation number \"{nr}\" is not a number")));
        }
        let debit = dutch_amount(get(debit_col)).ok_or_else(|| {
            refuse(path, Some(number), format!("the amount \"{}\" is not like 1.234,56", get(debit_col)))
        })?;
        let credit = dutch_amount(get(credit_col)).ok_or_else(|| {
            refuse(path, Some(number), format!("the amount \"{}\" is not like 1.234,56", get(credit_col)))
        })?;
        let net = debit - credit;
        let occurrence = per_mutation.entry(nr.to_string()).or_default();
        *occurrence += 1;
        let optional = |col: Option<usize>| col.map(get).filter(|v| !v.is_empty()).map(str::to_string);
        let kind = if net >= Decimal::ZERO { "MONEY_RECEIVED" } else { "MONEY_SPENT" };
        parsed.push(
            TxRow {
                id: format!("{nr}/{ledger_code}/{occurrence}"),
                date,
                account: account.clone(),
                kind: kind.into(),
                category: if net >= Decimal::ZERO { "Money received" } else { "Money spent" }.into(),
                description: optional(description_col).unwrap_or_default(),
                amount: money::format(net),
                net: money::format(net),
                currency: "EUR".into(),
                group: Some(nr.to_string()),
                counterparty: None,
                counterparty_name: optional(relation_col),
                fund_account: optional(cost_centre_col),
            },
            number,
        );
    }
    if parsed.rows.is_empty() {
        return Err(refuse(path, None, "the ledger card holds no mutations".into()));
    }
    Ok(parsed)
}

/// The first mutation in `rows` that is already recorded in the other form (API rows
/// against ledger-card lines), with the form it was recorded in.
pub(crate) fn overlap(conn: &rusqlite::Connection, rows: &[TxRow]) -> Result<Option<(String, &'static str)>> {
    let form = |id: &str| if id.matches('/').count() == 1 { "API responses" } else { "a ledger card" };
    // The rows of mutation M are the keys between `eboekhouden:M/` and `eboekhouden:M0`.
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM transactions WHERE id > 'eboekhouden:' || ?1 || '/' AND id < 'eboekhouden:' || ?1 || '0'",
    )?;
    let mut checked = std::collections::HashSet::new();
    for row in rows {
        let Some(mutation) = row.id.split('/').next() else { continue };
        if !checked.insert(mutation) {
            continue;
        }
        let stored: Vec<String> = stmt.query_map([mutation], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        if let Some(other) = stored.iter().find(|id| form(id) != form(&row.id)) {
            return Ok(Some((mutation.to_string(), form(other))));
        }
    }
    Ok(None)
}

/// A Dutch amount: `1.234,56`, `-12,5`, `100`; empty is zero.
fn dutch_amount(text: &str) -> Option<Decimal> {
    let t = text.trim().trim_start_matches('€').trim();
    if t.is_empty() {
        return Some(Decimal::ZERO);
    }
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int, frac) = digits.split_once(',').unwrap_or((digits, "0"));
    let groups: Vec<&str> = int.split('.').collect();
    let grouped_ok = groups.len() == 1
        || (!groups[0].is_empty() && groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3));
    if !grouped_ok || frac.is_empty() {
        return None;
    }
    let plain = format!("{}{}.{frac}", if negative { "-" } else { "" }, groups.concat());
    money::parse_plain(&plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_amounts_are_read_exactly() {
        for (text, want) in [("1.234,56", "1234.56"), ("-12,5", "-12.5"), ("100", "100"), ("", "0"), ("0,01", "0.01")] {
            assert_eq!(dutch_amount(text).unwrap().normalize().to_string(), want, "{text}");
        }
        for bad in ["1,234.56", "12.34", "1.2345,00", "abc", "1,2,3", "12,"] {
            assert!(dutch_amount(bad).is_none(), "{bad} parsed");
        }
    }
}
