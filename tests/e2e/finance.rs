//! Finance: Open Collective and e-boekhouden exports imported as signed operations, source
//! accounts mapped to funds, budget lines, decisions linked to the transactions that spent
//! their money, and the reports a treasurer publishes.
//!
//! Every expected amount is computed here, in integer cents, from the fixture files
//! themselves (`tests/fixtures/finance/`), read by this file's own small CSV, JSON and
//! ledger-card readers; nothing is copied from what the program prints.

use countersign_e2e::{Board, Member};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------
// Fixtures and money, read independently of the program.

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/finance").join(name)
}

fn fixture_arg(name: &str) -> String {
    fixture(name).display().to_string()
}

/// An amount as an export writes it (`-1234.56`, `467.5`, `20`, `2.10`) in cents.
fn cents(text: &str) -> i64 {
    let t = text.trim();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let frac = frac.trim_end_matches('0');
    assert!(
        !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) && frac.len() <= 2,
        "not an amount in cents: {text:?}"
    );
    sign * (int.parse::<i64>().unwrap() * 100 + format!("{frac:0<2}").parse::<i64>().unwrap())
}

/// A Dutch amount from a ledger card (`1.234,56`; empty is zero) in cents.
fn dutch_cents(text: &str) -> i64 {
    if text.trim().is_empty() {
        return 0;
    }
    cents(&text.trim().replace('.', "").replace(',', "."))
}

/// Cents as the program writes amounts: a decimal string with two decimals.
fn money(cents: i64) -> String {
    format!("{}{}.{:02}", if cents < 0 { "-" } else { "" }, cents.abs() / 100, cents.abs() % 100)
}

/// RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field, mut quoted) = (Vec::new(), Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

/// A transaction as the fixture files describe it.
#[derive(Debug, Clone)]
struct Tx {
    /// `SOURCE:ID`.
    id: String,
    source: &'static str,
    /// `YYYY-MM-DD`.
    date: String,
    account: String,
    kind: String,
    category: String,
    description: String,
    gross: i64,
    net: i64,
    currency: String,
    group: Option<String>,
    counterparty: Option<String>,
    counterparty_name: Option<String>,
    /// The Open Collective account slug or e-boekhouden cost centre; empty when none.
    fund_account: String,
}

impl Tx {
    fn year(&self) -> i32 {
        self.date[..4].parse().unwrap()
    }

    fn month(&self) -> u32 {
        self.date[5..7].parse().unwrap()
    }

    fn opening(&self) -> bool {
        self.kind == "OPENING_BALANCE"
    }

    /// Whether the row is income or spending: not an opening balance, and not an
    /// invoice payment (which settles an invoice already counted: accrual basis).
    fn moves(&self) -> bool {
        !self.opening() && !self.kind.starts_with("INVOICE_PAYMENT_")
    }
}

/// Reads an Open Collective export the way its layouts are documented: the first
/// non-empty of the columns that can hold each field.
fn open_collective(name: &str) -> Vec<Tx> {
    let records = parse_csv(&fs::read_to_string(fixture(name)).unwrap());
    let header = &records[0];
    records[1..]
        .iter()
        .map(|row| {
            let get = |names: &[&str]| -> Option<String> {
                names.iter().find_map(|n| {
                    let i = header.iter().position(|h| h == n)?;
                    Some(row[i].trim().to_string()).filter(|v| !v.is_empty())
                })
            };
            let gross = cents(&get(&["amount", "Amount", "netAmount", "Net Amount"]).unwrap());
            let fees: i64 = ["paymentProcessorFee", "hostFee", "platformFee", "taxAmount"]
                .iter()
                .filter_map(|f| get(&[f]))
                .map(|v| cents(&v))
                .sum();
            let net = get(&["netAmount", "Net Amount"]).map(|v| cents(&v)).unwrap_or(gross + fees);
            let kind = get(&["kind", "Kind"]).unwrap();
            let account = get(&["accountSlug", "Account Handle"]).unwrap();
            Tx {
                id: format!("opencollective:{}", get(&["legacyId", "Legacy ID", "shortId"]).unwrap()),
                source: "opencollective",
                date: get(&["effectiveDate", "datetime", "Date & Time"]).unwrap()[..10].to_string(),
                category: get(&["accountingCategoryName", "accountingCategoryCode", "expenseType", "Expense Type"])
                    .unwrap_or_else(|| kind.clone()),
                kind,
                description: get(&["description", "Description"]).unwrap_or_default(),
                gross,
                net,
                currency: get(&["currency", "Currency"]).unwrap(),
                group: get(&["group", "Group ID", "shortGroup"]),
                counterparty: get(&["oppositeAccountSlug", "Opposite Account Handle"]),
                counterparty_name: get(&["oppositeAccountName", "Opposite Account Name"]),
                fund_account: account.clone(),
                account,
            }
        })
        .collect()
}

/// The items of a saved API response: `{"items": […]}`, a bare list or one object.
fn items(value: &Value) -> Vec<Value> {
    match value {
        Value::Object(map) if map.contains_key("items") => map["items"].as_array().unwrap().clone(),
        Value::Array(list) => list.clone(),
        other => vec![other.clone()],
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// A JSON number (`467.5`, `20`, `1000.00`) in cents.
fn json_cents(value: &Value) -> i64 {
    cents(&value.as_f64().map(|_| value.to_string()).expect("a number"))
}

/// Reads a folder of saved e-boekhouden API responses: every mutation row, signed by
/// the mutation type (money in positive), VAT added for amounts given without it.
fn eboekhouden_api(name: &str) -> Vec<Tx> {
    let dir = fixture(name);
    let by_id = |file: &str, label: &dyn Fn(&Value) -> String| -> BTreeMap<i64, String> {
        let path = dir.join(file);
        if !path.exists() {
            return BTreeMap::new();
        }
        items(&read_json(&path)).iter().map(|i| (i["id"].as_i64().unwrap(), label(i))).collect()
    };
    let ledgers =
        by_id("ledger.json", &|i| format!("{} {}", i["code"].as_str().unwrap(), i["description"].as_str().unwrap()));
    let centres = by_id("costcenter.json", &|i| i["description"].as_str().unwrap().to_string());
    let relations =
        by_id("relation.json", &|i| format!("{}\t{}", i["code"].as_str().unwrap(), i["name"].as_str().unwrap()));
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in fs::read_dir(&dir).unwrap().flatten() {
        let path = entry.path();
        if !path.file_name().unwrap().to_str().unwrap().starts_with("mutation") {
            continue;
        }
        if path.is_dir() {
            files.extend(fs::read_dir(&path).unwrap().flatten().map(|e| e.path()));
        } else {
            files.push(path);
        }
    }
    let mut txs = Vec::new();
    // A mutation saved twice (in a list and as a detail response) counts once.
    let mut seen = BTreeSet::new();
    for file in files {
        for m in items(&read_json(&file)) {
            if !seen.insert(m["id"].as_i64().unwrap()) {
                continue;
            }
            let (kind, sign) = match m["type"].as_i64().unwrap() {
                0 => ("OPENING_BALANCE", 0),
                1 => ("INVOICE_RECEIVED", -1),
                2 => ("INVOICE_SENT", 1),
                3 => ("INVOICE_PAYMENT_RECEIVED", 1),
                4 => ("INVOICE_PAYMENT_SENT", -1),
                5 => ("MONEY_RECEIVED", 1),
                6 => ("MONEY_SPENT", -1),
                7 => ("JOURNAL_ENTRY", 0),
                other => panic!("type {other}"),
            };
            let ex_vat = m["inExVat"] == "EX";
            let relation = m.get("relationId").and_then(Value::as_i64).and_then(|r| relations.get(&r));
            for (i, row) in m["rows"].as_array().unwrap().iter().enumerate() {
                let vat = if ex_vat { row.get("vatAmount").map(json_cents).unwrap_or(0) } else { 0 };
                let total = json_cents(&row["amount"]) + vat;
                let amount = if sign == 0 { total } else { sign * total.abs() };
                let ledger = ledgers[&row["ledgerId"].as_i64().unwrap()].clone();
                let description =
                    row.get("description").and_then(Value::as_str).or(m["description"].as_str()).unwrap().to_string();
                txs.push(Tx {
                    id: format!("eboekhouden:{}/{}", m["id"], i + 1),
                    source: "eboekhouden",
                    date: m["date"].as_str().unwrap().to_string(),
                    account: ledger.clone(),
                    kind: kind.to_string(),
                    category: ledger,
                    description,
                    gross: amount,
                    net: amount,
                    currency: "EUR".into(),
                    group: Some(m["id"].to_string()),
                    counterparty: relation.map(|r| r.split('\t').next().unwrap().to_string()),
                    counterparty_name: relation.map(|r| r.split('\t').nth(1).unwrap().to_string()),
                    fund_account: centres[&row["costCenterId"].as_i64().unwrap()].clone(),
                });
            }
        }
    }
    txs
}

/// A ledger card: its mutation lines, its ledger account, and the opening balance and
/// totals lines (debit, credit) it states.
struct LedgerCard {
    txs: Vec<Tx>,
    account: String,
    opening: i64,
    totals: (i64, i64),
}

fn ledger_card(name: &str) -> LedgerCard {
    let text = fs::read_to_string(fixture(name)).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.trim_end_matches('\r').split('\t').collect()).collect();
    let account = lines.iter().find(|c| c[0] == "Grootboekrekening:").unwrap()[1].to_string();
    let at = lines.iter().position(|c| c[0] == "Datum").unwrap();
    let col = |name: &str| lines[at].iter().position(|h| *h == name).unwrap();
    let (date, nr, what, who, centre, debit, credit) = (
        col("Datum"),
        col("Nr"),
        col("Omschrijving"),
        col("Relatie"),
        col("Kostenplaats"),
        col("Activa"),
        col("Passiva"),
    );
    let mut card = LedgerCard { txs: Vec::new(), account: account.clone(), opening: 0, totals: (0, 0) };
    for c in &lines[at + 1..] {
        let get = |i: usize| c.get(i).copied().unwrap_or("").trim();
        if get(date).is_empty() && get(nr).is_empty() {
            match get(what) {
                "Beginsaldo" => card.opening = dutch_cents(get(debit)) - dutch_cents(get(credit)),
                "Totaal" => card.totals = (dutch_cents(get(debit)), dutch_cents(get(credit))),
                _ => {}
            }
            continue;
        }
        let (d, m, y) = (&get(date)[..2], &get(date)[3..5], &get(date)[6..]);
        let net = dutch_cents(get(debit)) - dutch_cents(get(credit));
        let optional = |v: &str| (!v.is_empty()).then(|| v.to_string());
        card.txs.push(Tx {
            id: format!("eboekhouden:{}/{}/1", get(nr), account.split(' ').next().unwrap()),
            source: "eboekhouden",
            date: format!("{y}-{m}-{d}"),
            account: account.clone(),
            kind: String::new(),
            category: String::new(),
            description: get(what).to_string(),
            gross: net,
            net,
            currency: "EUR".into(),
            group: Some(get(nr).to_string()),
            counterparty: None,
            counterparty_name: optional(get(who)),
            fund_account: get(centre).to_string(),
        });
    }
    card
}

// ---------------------------------------------------------------------------
// The books: the fixtures a home imported, its fund mappings and budgets, and what
// each report must say about them.

#[derive(Default, Clone)]
struct Books {
    txs: Vec<Tx>,
    /// `SOURCE:ACCOUNT` → fund.
    funds: BTreeMap<String, String>,
    /// (fund, year) → (currency, cents).
    budgets: BTreeMap<(String, i32), (String, i64)>,
}

/// (fund or other grouping, currency).
type Key = (String, String);
/// (month, fund, currency).
type Cell = (String, String, String);

impl Books {
    /// Adds a file's rows; a row already there (same id) is replaced, as a re-import does.
    fn add(&mut self, rows: Vec<Tx>) {
        for row in rows {
            self.txs.retain(|t| t.id != row.id);
            self.txs.push(row);
        }
    }

    fn fund(&self, t: &Tx) -> String {
        self.funds.get(&format!("{}:{}", t.source, t.fund_account)).cloned().unwrap_or_else(|| {
            if t.fund_account.is_empty() {
                "unassigned".into()
            } else {
                t.fund_account.clone()
            }
        })
    }

    fn of<'a>(&'a self, year: Option<i32>, source: Option<&'a str>) -> impl Iterator<Item = &'a Tx> + 'a {
        self.txs.iter().filter(move |t| year.is_none_or(|y| t.year() == y) && source.is_none_or(|s| t.source == s))
    }

    /// `report balance`: (key, currency) → (net, transactions).
    fn balance(&self, by: &str, year: Option<i32>, source: Option<&str>) -> BTreeMap<Key, (String, u64)> {
        let mut out: BTreeMap<Key, (i64, u64)> = BTreeMap::new();
        for t in self.of(year, source) {
            let key = match by {
                "account" => t.account.clone(),
                "kind" => t.kind.clone(),
                "year" => t.year().to_string(),
                "fund" => self.fund(t),
                other => panic!("{other}"),
            };
            let line = out.entry((key, t.currency.clone())).or_default();
            line.0 += t.net;
            line.1 += 1;
        }
        out.into_iter().map(|(k, (amount, n))| (k, (money(amount), n))).collect()
    }

    /// The net outflow of each fund's expenditure rows in `year` (opening balances aside).
    fn spent(&self, year: i32, source: &str) -> BTreeMap<Key, i64> {
        let mut out: BTreeMap<Key, i64> = BTreeMap::new();
        for t in self.of(Some(year), Some(source)).filter(|t| t.gross < 0 && t.moves()) {
            *out.entry((self.fund(t), t.currency.clone())).or_default() -= t.net;
        }
        out.retain(|_, v| *v != 0);
        out
    }

    fn budget_lines(&self, year: i32) -> BTreeMap<Key, i64> {
        self.budgets
            .iter()
            .filter(|((_, y), _)| *y == year)
            .map(|((f, _), (c, a))| ((f.clone(), c.clone()), *a))
            .collect()
    }

    /// `report available` without decisions: (fund, currency) → [budget, spent, committed, available].
    fn available(&self, year: i32, source: &str) -> BTreeMap<Key, [String; 4]> {
        let (spent, budgets) = (self.spent(year, source), self.budget_lines(year));
        let keys: BTreeSet<&Key> = spent.keys().chain(budgets.keys()).collect();
        keys.into_iter()
            .map(|k| {
                let (b, s) = (budgets.get(k).copied().unwrap_or(0), spent.get(k).copied().unwrap_or(0));
                (k.clone(), [money(b), money(s), money(0), money(b - s)])
            })
            .collect()
    }

    /// `report budget`: (fund, currency) → [budget, actual, remaining, percent].
    fn budget(&self, year: i32, source: &str) -> BTreeMap<Key, [Value; 4]> {
        let (spent, budgets) = (self.spent(year, source), self.budget_lines(year));
        let keys: BTreeSet<&Key> = spent.keys().chain(budgets.keys()).collect();
        keys.into_iter()
            .map(|k| {
                let (b, s) = (budgets.get(k).copied(), spent.get(k).copied().unwrap_or(0));
                let percent = b.filter(|b| *b != 0).map(|b| json!(percent(s, b))).unwrap_or(Value::Null);
                (k.clone(), [json!(money(b.unwrap_or(0))), json!(money(s)), json!(money(b.unwrap_or(0) - s)), percent])
            })
            .collect()
    }

    /// `report income`: (period, direction, category, currency, amount), sorted.
    fn income(&self, year: i32, period: &str, source: &str) -> Vec<[String; 5]> {
        let mut lines: BTreeMap<(String, &str, String, String), i64> = BTreeMap::new();
        for t in self.of(Some(year), Some(source)).filter(|t| t.moves()) {
            let label = match period {
                "year" => year.to_string(),
                "quarter" => format!("{year}-Q{}", (t.month() - 1) / 3 + 1),
                _ => format!("{year}-{:02}", t.month()),
            };
            if t.gross >= 0 {
                *lines.entry((label.clone(), "income", t.category.clone(), t.currency.clone())).or_default() += t.gross;
            } else {
                *lines.entry((label.clone(), "expenditure", t.category.clone(), t.currency.clone())).or_default() -=
                    t.gross;
            }
            *lines.entry((label, "expenditure", "Fees deducted at source".into(), t.currency.clone())).or_default() +=
                t.gross - t.net;
        }
        lines
            .into_iter()
            .filter(|(_, amount)| *amount != 0)
            .map(|((p, d, c, cur), a)| [p, d.to_string(), c, cur, money(a)])
            .collect()
    }

    /// `report annual` for one currency: opening, income, expenditure, significant, closing.
    fn annual(&self, year: i32, threshold: i64, source: &str) -> BTreeMap<String, Value> {
        let currencies: BTreeSet<String> =
            self.of(None, Some(source)).filter(|t| t.year() <= year).map(|t| t.currency.clone()).collect();
        let income = self.income(year, "year", source);
        currencies
            .into_iter()
            .map(|currency| {
                let rows: Vec<&Tx> = self.of(None, Some(source)).filter(|t| t.currency == currency).collect();
                // The latest opening balance up to the year restates the balance.
                let restated = rows.iter().filter(|t| t.opening() && t.year() <= year).map(|t| t.year()).max();
                let mut opening: i64 =
                    rows.iter().filter(|t| t.opening() && Some(t.year()) == restated).map(|t| t.net).sum();
                opening += rows
                    .iter()
                    .filter(|t| t.moves() && t.year() < year && restated.is_none_or(|r| t.year() >= r))
                    .map(|t| t.net)
                    .sum::<i64>();
                let moved: i64 = rows.iter().filter(|t| t.moves() && t.year() == year).map(|t| t.net).sum();
                let side = |direction: &str| -> (Vec<Value>, i64) {
                    let list: Vec<&[String; 5]> =
                        income.iter().filter(|l| l[1] == direction && l[3] == currency).collect();
                    let total = list.iter().map(|l| cents(&l[4])).sum();
                    (list.iter().map(|l| json!({"category": l[2], "amount": l[4]})).collect(), total)
                };
                let (income_lines, income_total) = side("income");
                let (expenditure_lines, expenditure_total) = side("expenditure");
                let mut significant: Vec<&&Tx> =
                    rows.iter().filter(|t| t.year() == year && t.moves() && t.net <= -threshold).collect();
                significant.sort_by(|a, b| (a.net, &a.date, &a.id).cmp(&(b.net, &b.date, &b.id)));
                let significant: Vec<Value> = significant
                    .iter()
                    .map(|t| {
                        json!({
                            "id": t.id, "date": t.date, "description": t.description,
                            "counterparty": t.counterparty_name.clone().or(t.counterparty.clone()),
                            "category": t.category, "amount": money(-t.net),
                        })
                    })
                    .collect();
                let value = json!({
                    "currency": currency,
                    "opening": money(opening),
                    "income": income_lines,
                    "income_total": money(income_total),
                    "expenditure": expenditure_lines,
                    "expenditure_total": money(expenditure_total),
                    "significant": significant,
                    "closing": money(opening + moved),
                });
                (currency, value)
            })
            .collect()
    }

    /// `report reconcile`: (month, fund, currency) → (Open Collective, e-boekhouden).
    fn reconcile(&self, year: i32) -> BTreeMap<Cell, (i64, i64)> {
        let mut cells: BTreeMap<Cell, (i64, i64)> = BTreeMap::new();
        for t in self.of(Some(year), None).filter(|t| t.moves()) {
            let cell = cells.entry((t.date[..7].to_string(), self.fund(t), t.currency.clone())).or_default();
            if t.source == "opencollective" {
                cell.0 += t.net;
            } else {
                cell.1 += t.net;
            }
        }
        cells
    }
}

/// `actual` as a percentage of `budget`, one decimal, half away from zero.
fn percent(actual: i64, budget: i64) -> String {
    let tenths = (actual * 2000 + budget) / (2 * budget);
    format!("{}.{}", tenths / 10, tenths % 10)
}

// ---------------------------------------------------------------------------
// Driving the binary.

fn import(member: &Member, source: &str, path: &str) -> Value {
    member.json(&["finance", "import", source, path])
}

fn import_oc(member: &Member, name: &str) -> Value {
    import(member, "opencollective", &fixture_arg(name))
}

fn list(member: &Member, filters: &[&str]) -> Vec<Value> {
    let mut args = vec!["finance", "list", "--limit", "1000"];
    args.extend_from_slice(filters);
    member.json(&args).as_array().unwrap().clone()
}

fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

fn report(member: &Member, args: &[&str]) -> Value {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    member.json(&all)
}

fn lines(value: &Value) -> &Vec<Value> {
    value.as_array().unwrap_or_else(|| panic!("a list: {value}"))
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The totals an import prints: currency → net.
fn totals(summary: &Value) -> BTreeMap<String, String> {
    lines(&summary["totals"]).iter().map(|t| (text(&t["currency"]), text(&t["amount"]))).collect()
}

/// Net per currency of `txs`, as an import's totals state it.
fn net_per_currency(txs: &[Tx]) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    for t in txs {
        *out.entry(t.currency.clone()).or_default() += t.net;
    }
    out.into_iter().map(|(c, a)| (c, money(a))).collect()
}

/// Asserts an import summary: rows, added/changed/unchanged, dates and totals from the file.
#[track_caller]
fn assert_imported(summary: &Value, txs: &[Tx], counts: [u64; 3]) {
    assert_eq!(summary["rows"], txs.len() as u64, "{summary}");
    assert_eq!([&summary["added"], &summary["changed"], &summary["unchanged"]], counts.map(|n| json!(n)).each_ref());
    assert_eq!(summary["first"], txs.iter().map(|t| t.date.clone()).min().unwrap().as_str(), "{summary}");
    assert_eq!(summary["last"], txs.iter().map(|t| t.date.clone()).max().unwrap().as_str(), "{summary}");
    assert_eq!(totals(summary), net_per_currency(txs), "{summary}");
}

/// Asserts that `finance list` holds exactly `books`' transactions, field by field.
#[track_caller]
fn assert_listed(member: &Member, books: &Books) {
    let listed = list(member, &[]);
    assert_eq!(listed.len(), books.txs.len(), "{:?}", ids(&listed));
    let dates: Vec<&str> = listed.iter().map(|r| r["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first: {dates:?}");
    let by_id: BTreeMap<String, &Value> = listed.iter().map(|r| (text(&r["id"]), r)).collect();
    for t in &books.txs {
        let row = by_id.get(&t.id).unwrap_or_else(|| panic!("{} is not listed", t.id));
        let want = json!({
            "id": t.id, "source": t.source, "date": t.date, "account": t.account, "kind": t.kind,
            "category": t.category, "description": t.description, "amount": money(t.gross), "net": money(t.net),
            "currency": t.currency, "fund": books.fund(t), "group": t.group, "counterparty": t.counterparty,
            "counterparty_name": t.counterparty_name, "decision": null,
        });
        assert_eq!(*row, &want, "{}", t.id);
    }
}

/// `report balance` as (key, currency) → (amount, transactions).
fn balance_of(member: &Member, by: &str, filters: &[&str]) -> BTreeMap<Key, (String, u64)> {
    let mut args = vec!["balance", "--by", by];
    args.extend_from_slice(filters);
    lines(&report(member, &args))
        .iter()
        .map(|l| ((text(&l[by]), text(&l["currency"])), (text(&l["amount"]), l["transactions"].as_u64().unwrap())))
        .collect()
}

/// Asserts that `report ARGS --format csv` has the given columns and, row by row, the
/// same values as the JSON report.
#[track_caller]
fn assert_csv_matches_json(member: &Member, args: &[&str], columns: &[&str]) {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    let json = member.json(&all);
    all.extend_from_slice(&["--format", "csv"]);
    let csv = parse_csv(&member.run(&all).ok());
    let header = &csv[0];
    let at: Vec<usize> = columns
        .iter()
        .map(|c| header.iter().position(|h| h == c).unwrap_or_else(|| panic!("no column {c} in {header:?}")))
        .collect();
    let json_lines = lines(&json);
    assert_eq!(csv.len() - 1, json_lines.len(), "{args:?}: {csv:?}");
    for (row, line) in csv[1..].iter().zip(json_lines) {
        for (column, &i) in columns.iter().zip(&at) {
            assert_eq!(row[i], text(&line[*column]), "{args:?}, column {column}: {row:?} against {line}");
        }
    }
    // The table is for people: it shows the same amounts.
    let mut table = vec!["report"];
    table.extend_from_slice(args);
    let shown = member.run(&table).ok();
    for line in json_lines {
        for amount in ["amount", "budget", "available", "difference", "net"] {
            if let Some(Value::String(a)) = line.get(amount) {
                assert!(shown.contains(a.as_str()), "the table lacks {a}:\n{shown}");
            }
        }
    }
}

fn map_fund(member: &Member, books: &mut Books, account: &str, fund: &str) -> Value {
    let mapped = member.json(&["finance", "fund", "map", account, fund]);
    let account = text(&mapped[0]["account"]);
    books.funds.insert(account, fund.to_string());
    mapped
}

fn set_budget(member: &Member, books: &mut Books, fund: &str, year: i32, amount: &str) {
    let set = member.json(&["budget", "set", fund, "--year", &year.to_string(), amount]);
    assert_eq!(set[0]["amount"], money(cents(amount)).as_str(), "{set}");
    books.budgets.insert((fund.to_string(), year), ("EUR".into(), cents(amount)));
}

/// Maps both sources' accounts onto the same three funds, so they line up.
fn map_common_funds(member: &Member, books: &mut Books) {
    for (account, fund) in [
        ("opencollective:nixos", "general"),
        ("opencollective:infra", "infrastructure"),
        ("opencollective:events", "nixcon"),
        ("eboekhouden:Algemeen", "general"),
        ("eboekhouden:Infrastructuur", "infrastructure"),
        ("eboekhouden:NixCon", "nixcon"),
    ] {
        map_fund(member, books, account, fund);
    }
}

// ---------------------------------------------------------------------------
// Imports.

const OC_LAYOUTS: &[&str] = &["oc-dashboard.csv", "oc-2023.csv", "oc-rest.csv", "oc-recommended.csv", "oc-labels.csv"];

/// Each Open Collective layout imports every row with the net total of the file per
/// currency, and `finance list` shows each row as it is in the export.
#[test]
fn every_open_collective_layout_imports_with_the_totals_of_the_file() {
    let treasurer = Member::init("Treasurer");
    let mut books = Books::default();
    for name in OC_LAYOUTS {
        let txs = open_collective(name);
        let summary = import_oc(&treasurer, name);
        assert_eq!(summary["source"], "opencollective");
        assert_eq!(summary["file"], fixture_arg(name).as_str());
        assert_imported(&summary, &txs, [txs.len() as u64, 0, 0]);
        books.add(txs);
    }
    assert_eq!(books.txs.len(), 6 + 3 + 3 + 5 + 2);
    assert_listed(&treasurer, &books);
    // Each file again: every row is recorded exactly so already.
    let digest = treasurer.digest();
    for name in OC_LAYOUTS {
        let txs = open_collective(name);
        assert_imported(&import_oc(&treasurer, name), &txs, [0, 0, txs.len() as u64]);
    }
    assert_eq!(treasurer.digest(), digest);

    // USD stays USD; the layouts' dates: effectiveDate, else datetime when it is empty.
    let stipend = books.txs.iter().find(|t| t.description == "Summer of Nix stipend").unwrap();
    let rest = list(&treasurer, &["--search", "Summer of Nix"]);
    assert_eq!((rest.len(), &rest[0]["currency"], &rest[0]["net"]), (1, &json!("USD"), &json!(money(stipend.net))));
    let recommended = list(&treasurer, &["--year", "2026"]);
    let dates: BTreeMap<String, String> = recommended.iter().map(|r| (text(&r["id"]), text(&r["date"]))).collect();
    assert_eq!(dates["opencollective:200001"], "2026-01-06", "effectiveDate, not datetime");
    assert_eq!(dates["opencollective:200005"], "2026-03-01", "no effectiveDate yet: datetime");

    // The 2023 preset has fees in columns: net = amount + fees.
    let records = parse_csv(&fs::read_to_string(fixture("oc-2023.csv")).unwrap());
    let col = |name: &str| records[0].iter().position(|h| h == name).unwrap();
    let listed = list(&treasurer, &["--year", "2023"]);
    assert_eq!(listed.len(), 3);
    for record in &records[1..] {
        let fee =
            if record[col("paymentProcessorFee")].is_empty() { 0 } else { cents(&record[col("paymentProcessorFee")]) };
        let row = listed.iter().find(|r| r["id"] == format!("opencollective:{}", record[col("shortId")])).unwrap();
        assert_eq!(row["amount"], money(cents(&record[col("amount")])).as_str());
        assert_eq!(row["net"], money(cents(&record[col("amount")]) + fee).as_str(), "{row}");
    }
    // The same export without its netAmount column: the net comes from the fee columns,
    // so every row is recorded exactly so already.
    let without_net: String = records
        .iter()
        .map(|r| {
            let kept: Vec<String> = r
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != col("netAmount"))
                .map(|(_, v)| format!("\"{}\"", v.replace('"', "\"\"")))
                .collect();
            kept.join(",") + "\n"
        })
        .collect();
    let file = treasurer.scratch().join("oc-2023-without-net.csv");
    fs::write(&file, without_net).unwrap();
    let again = import(&treasurer, "opencollective", file.to_str().unwrap());
    assert_imported(&again, &open_collective("oc-2023.csv"), [0, 0, 3]);

    // Filters: source, year, fund, search, limit.
    assert_eq!(list(&treasurer, &["--source", "eboekhouden"]).len(), 0);
    assert_eq!(list(&treasurer, &["--source", "opencollective"]).len(), books.txs.len());
    let infra: BTreeSet<String> = ids(&list(&treasurer, &["--fund", "infra"])).into_iter().collect();
    let want: BTreeSet<String> = books.txs.iter().filter(|t| t.fund_account == "infra").map(|t| t.id.clone()).collect();
    assert_eq!(infra, want);
    assert_eq!(ids(&list(&treasurer, &["--search", "hetzner"])), ["opencollective:100004"]);
    let newest = treasurer.json(&["finance", "list", "--limit", "2"]);
    let mut by_date = books.txs.clone();
    by_date.sort_by(|a, b| (&b.date, &b.id).cmp(&(&a.date, &a.id)));
    assert_eq!(ids(lines(&newest)), [by_date[0].id.clone(), by_date[1].id.clone()]);
}

/// Importing a newer export of the same account updates the rows that changed, adds the
/// new ones and never duplicates; importing it again records nothing.
#[test]
fn a_newer_export_updates_changed_rows_and_adds_new_ones_without_duplicates() {
    let treasurer = Member::init("Treasurer");
    let (v1, v2) = (open_collective("oc-dashboard.csv"), open_collective("oc-dashboard-v2.csv"));
    assert_imported(&import_oc(&treasurer, "oc-dashboard.csv"), &v1, [6, 0, 0]);

    // What differs between the two files, by the test's own reading.
    let old: BTreeMap<&str, &Tx> = v1.iter().map(|t| (t.id.as_str(), t)).collect();
    let added = v2.iter().filter(|t| !old.contains_key(t.id.as_str())).count() as u64;
    let changed = v2
        .iter()
        .filter(|t| old.get(t.id.as_str()).is_some_and(|o| (o.net, &o.description) != (t.net, &t.description)))
        .count() as u64;
    assert_eq!((added, changed), (1, 2), "the fixtures changed");
    let summary = import_oc(&treasurer, "oc-dashboard-v2.csv");
    assert_imported(&summary, &v2, [added, changed, v2.len() as u64 - added - changed]);
    assert_eq!([&summary["added"], &summary["changed"], &summary["unchanged"]], [&json!(1), &json!(2), &json!(4)]);

    let mut books = Books::default();
    books.add(v2.clone());
    assert_listed(&treasurer, &books);
    let hetzner = &list(&treasurer, &["--search", "100004"])[0];
    assert_eq!(hetzner["net"], money(v2.iter().find(|t| t.id.ends_with("100004")).unwrap().net).as_str());
    let travel = &list(&treasurer, &["--search", "100006"])[0];
    assert_eq!(travel["description"], "Travel to NixCon 2025, reimbursed");
    assert_eq!(lines(&balance_of_json(&treasurer)).len(), 1);
    assert_eq!(balance_of(&treasurer, "year", &[]), books.balance("year", None, None));

    // The same file again: nothing to record.
    let digest = treasurer.digest();
    let log = fs::read_to_string(treasurer.home.join("ops.log")).unwrap();
    let again = import_oc(&treasurer, "oc-dashboard-v2.csv");
    assert_imported(&again, &v2, [0, 0, 7]);
    assert_eq!(treasurer.digest(), digest);
    assert_eq!(fs::read_to_string(treasurer.home.join("ops.log")).unwrap(), log, "no operation was written");
    assert_eq!(list(&treasurer, &[]).len(), 7);
    // The records are a function of the log: a rebuild gives the same digest.
    assert_eq!(treasurer.run(&["rebuild"]).ok().trim(), digest);
}

fn balance_of_json(member: &Member) -> Value {
    report(member, &["balance", "--by", "year"])
}

/// The refused import under `--json`: the error object on stderr.
#[track_caller]
fn refused(member: &Member, source: &str, path: &str) -> String {
    let run = member.run(&["--json", "finance", "import", source, path]);
    assert_ne!(run.code, 0, "imported: {}", run.stdout);
    assert!(run.stdout.trim().is_empty(), "nothing on stdout: {}", run.stdout);
    let last = run.stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or_default();
    let error: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    assert_eq!(error["error"]["code"], "import-refused", "{error}");
    let message = text(&error["error"]["message"]);
    assert!(message.contains(&format!("could not import {path}")), "{message}");
    assert!(message.ends_with("nothing was imported from this file"), "{message}");
    message
}

/// The 1-based line of the first line of `name` containing `needle`.
fn line_of(name: &str, needle: &str) -> usize {
    fs::read_to_string(fixture(name)).unwrap().lines().position(|l| l.contains(needle)).expect("the needle") + 1
}

/// A truncated or failed export, a file that is not an export, and a file with one bad
/// amount, date or currency are refused whole, naming the file and the line; not even
/// the good rows before the bad one are recorded.
#[test]
fn broken_exports_are_refused_whole_naming_the_line() {
    let treasurer = Member::init("Treasurer");
    let digest = treasurer.digest();

    let truncated = refused(&treasurer, "opencollective", &fixture_arg("oc-truncated.csv"));
    let warning = line_of("oc-truncated.csv", "Warning: totalCount");
    assert!(truncated.contains(&format!("line {warning}:")), "{truncated}");
    assert!(truncated.contains("truncated") && truncated.contains("export again"), "{truncated}");

    let failed = refused(&treasurer, "opencollective", &fixture_arg("oc-error.csv"));
    assert!(failed.contains(&format!("line {}:", line_of("oc-error.csv", "Error while fetching"))), "{failed}");
    assert!(failed.contains("export again"), "{failed}");

    let other = refused(&treasurer, "opencollective", &fixture_arg("not-opencollective.csv"));
    assert!(other.contains("line 1:") && other.contains("not an Open Collective transactions export"), "{other}");

    for (name, bad) in
        [("oc-bad-amount.csv", "-1,234.50"), ("oc-bad-date.csv", "2025-06-31"), ("oc-bad-currency.csv", "EUX")]
    {
        let message = refused(&treasurer, "opencollective", &fixture_arg(name));
        let line = line_of(name, bad);
        assert!(line > 2, "{name}: the bad row comes after good ones");
        assert!(message.contains(&format!(", line {line}: ")), "{name}: {message}");
        assert!(message.contains(bad), "{name}: {message}");
        // Without --json: the same words for a person.
        let plain = treasurer.run(&["finance", "import", "opencollective", &fixture_arg(name)]);
        let stderr = plain.fails_with(&format!("line {line}"));
        assert!(stderr.contains("nothing was imported from this file"), "{stderr}");
    }

    // A row that appears twice with different values, and a line number counted
    // across a quoted line break.
    let dashboard = fs::read_to_string(fixture("oc-dashboard.csv")).unwrap();
    let rows: Vec<&str> = dashboard.lines().collect();
    let twice = treasurer.scratch().join("twice.csv");
    let changed = rows[1].replace("500.00", "501.00");
    assert_ne!(changed, rows[1]);
    fs::write(&twice, format!("{}\n{changed}\n", dashboard.trim_end())).unwrap();
    let message = refused(&treasurer, "opencollective", twice.to_str().unwrap());
    assert!(
        message.contains(&format!("line {}: ", rows.len() + 1))
            && message.contains("appears twice with different values (first on line 2)"),
        "{message}"
    );
    let broken_line = treasurer.scratch().join("line-break.csv");
    let multiline = rows[1].replace("Monthly financial", "Monthly\nfinancial");
    let bad = rows[3].replace("-25.00", "-25.0.0");
    fs::write(&broken_line, format!("{}\n{multiline}\n{}\n{bad}\n", rows[0], rows[2])).unwrap();
    let message = refused(&treasurer, "opencollective", broken_line.to_str().unwrap());
    assert!(message.contains(", line 5: ") && message.contains("-25.0.0"), "the fifth line of the file: {message}");

    assert!(list(&treasurer, &[]).is_empty(), "not one row was recorded");
    assert_eq!(treasurer.digest(), digest);
    assert!(lines(&balance_of_json(&treasurer)).is_empty());

    // A home with records keeps them unchanged.
    import_oc(&treasurer, "oc-dashboard.csv");
    let digest = treasurer.digest();
    refused(&treasurer, "opencollective", &fixture_arg("oc-bad-amount.csv"));
    assert_eq!(treasurer.digest(), digest);
    assert_eq!(list(&treasurer, &[]).len(), 6);

    // The same row twice with the same values (an export saved twice over) is read once.
    let same = treasurer.scratch().join("same-row-twice.csv");
    fs::write(&same, format!("{}\n{}\n", dashboard.trim_end(), rows[1])).unwrap();
    let summary = import(&treasurer, "opencollective", same.to_str().unwrap());
    assert_eq!((summary["rows"].as_u64(), summary["unchanged"].as_u64()), (Some(6), Some(6)), "{summary}");
    assert_eq!(list(&treasurer, &[]).len(), 6);
}

/// The e-boekhouden API responses import every mutation row signed by its type; a ledger
/// card imports its mutation lines only; broken files are refused; and a mutation is
/// never imported in both forms.
#[test]
fn eboekhouden_imports_from_api_responses_or_a_ledger_card_but_not_both() {
    let treasurer = Member::init("Treasurer");
    let api = eboekhouden_api("eboekhouden-api");
    assert_eq!(api.len(), 6);
    let summary = import(&treasurer, "eboekhouden", &fixture_arg("eboekhouden-api"));
    assert_eq!(summary["source"], "eboekhouden");
    assert_imported(&summary, &api, [6, 0, 0]);
    let mut books = Books::default();
    books.add(api.clone());
    assert_listed(&treasurer, &books);
    // Money received is positive, money spent negative, the opening balance as given.
    let net = |id: &str| list(&treasurer, &["--search", id])[0]["net"].clone();
    assert_eq!(net("7002/1"), "467.50");
    assert_eq!(net("7003/1"), "-1000.00");
    assert_eq!(net("7004/1"), "-310.40");
    assert_eq!(net("7001/1"), "10000.00");
    assert_imported(&import(&treasurer, "eboekhouden", &fixture_arg("eboekhouden-api")), &api, [0, 0, 6]);

    // Every mutation type: invoices and payments received positive, sent negative,
    // journal entries and opening balances as given, VAT added to amounts without it.
    let types = eboekhouden_api("eboekhouden-types");
    assert_imported(&import(&treasurer, "eboekhouden", &fixture_arg("eboekhouden-types")), &types, [9, 0, 0]);
    books.add(types.clone());
    assert_listed(&treasurer, &books);
    let signed: BTreeMap<&str, i64> = types.iter().map(|t| (t.kind.as_str(), t.net)).collect();
    assert!(signed["INVOICE_RECEIVED"] < 0 && signed["INVOICE_PAYMENT_SENT"] < 0 && signed["MONEY_SPENT"] < 0);
    assert!(signed["INVOICE_SENT"] > 0 && signed["INVOICE_PAYMENT_RECEIVED"] > 0 && signed["MONEY_RECEIVED"] > 0);
    assert_eq!(net("8100/1"), "-121.00", "100.00 without VAT plus 21.00 VAT");

    // The ledger card of the same bank account holds mutations already imported.
    let digest = treasurer.digest();
    let both = treasurer.run(&["finance", "import", "eboekhouden", &fixture_arg("grootboekkaart-1100.txt")]);
    let message = both.fails_with("not both");
    assert!(message.contains("mutation 7002") && message.contains("nothing was imported"), "{message}");
    // Broken files, the wrong shape of JSON, a lone JSON file: refused.
    let broken = refused(&treasurer, "eboekhouden", &fixture_arg("grootboekkaart-broken.txt"));
    assert!(broken.contains(", line 4: ") && broken.contains("2025-02-05"), "{broken}");
    let shape = refused(&treasurer, "eboekhouden", &fixture_arg("eboekhouden-wrong-shape"));
    assert!(shape.contains("mutation.json") && shape.contains("\"items\" is not a list"), "{shape}");
    refused(&treasurer, "eboekhouden", &fixture_arg("eboekhouden-wrong-shape/mutation.json"));
    refused(&treasurer, "eboekhouden", &fixture_arg("oc-dashboard.csv"));
    assert_eq!(treasurer.digest(), digest);
    assert_eq!(list(&treasurer, &[]).len(), 15);

    // A fresh home: the ledger card alone, its opening and total lines skipped.
    let other = Member::init("Other");
    let card = ledger_card("grootboekkaart-1100.txt");
    assert_eq!(card.txs.len(), 4);
    // The card's own totals line: the opening balance plus the debits; the credits.
    assert_eq!(card.opening + card.txs.iter().filter(|t| t.net > 0).map(|t| t.net).sum::<i64>(), card.totals.0);
    assert_eq!(-card.txs.iter().filter(|t| t.net < 0).map(|t| t.net).sum::<i64>(), card.totals.1);
    let summary = import(&other, "eboekhouden", &fixture_arg("grootboekkaart-1100.txt"));
    assert_imported(&summary, &card.txs, [4, 0, 0]);
    assert_imported(&import(&other, "eboekhouden", &fixture_arg("grootboekkaart-1100.txt")), &card.txs, [0, 0, 4]);
    let listed = list(&other, &[]);
    assert_eq!(listed.len(), 4, "no Beginsaldo or Totaal line: {:?}", ids(&listed));
    for t in &card.txs {
        let row = listed.iter().find(|r| r["id"] == t.id.as_str()).unwrap_or_else(|| panic!("{} missing", t.id));
        assert_eq!(
            [&row["date"], &row["account"], &row["amount"], &row["net"], &row["fund"], &row["description"]],
            [
                &json!(t.date),
                &json!(card.account),
                &json!(money(t.net)),
                &json!(money(t.net)),
                &json!(t.fund_account),
                &json!(t.description)
            ],
        );
        assert_eq!(row["counterparty_name"], json!(t.counterparty_name));
    }
    let moved = money(card.totals.0 - card.opening - card.totals.1);
    assert_eq!(balance_of(&other, "year", &[]), BTreeMap::from([(("2025".into(), "EUR".into()), (moved, 4))]));
    // … and now the API responses holding the same mutations are refused.
    let digest = other.digest();
    other.run(&["finance", "import", "eboekhouden", &fixture_arg("eboekhouden-api")]).fails_with("not both");
    assert_eq!(other.digest(), digest);
}

// ---------------------------------------------------------------------------
// Reports.

/// A home with Open Collective (EUR in 2023 and 2025, USD in 2024) and e-boekhouden.
fn home_with_everything(name: &str) -> (Member, Books) {
    let member = Member::init(name);
    let mut books = Books::default();
    for file in ["oc-dashboard.csv", "oc-2023.csv", "oc-rest.csv"] {
        import_oc(&member, file);
        books.add(open_collective(file));
    }
    import(&member, "eboekhouden", &fixture_arg("eboekhouden-api"));
    books.add(eboekhouden_api("eboekhouden-api"));
    (member, books)
}

/// `report balance` sums the net amounts by account, kind, year and fund, per currency,
/// both sources together unless one is asked for, and follows the fund mappings.
#[test]
fn the_balance_report_sums_net_amounts_by_account_kind_year_and_fund() {
    let (treasurer, mut books) = home_with_everything("Treasurer");
    for by in ["account", "kind", "year", "fund"] {
        assert_eq!(balance_of(&treasurer, by, &[]), books.balance(by, None, None), "--by {by}");
        for source in ["opencollective", "eboekhouden"] {
            assert_eq!(
                balance_of(&treasurer, by, &["--source", source]),
                books.balance(by, None, Some(source)),
                "--by {by} --source {source}"
            );
        }
        for year in [2023, 2024, 2025] {
            let y = year.to_string();
            assert_eq!(
                balance_of(&treasurer, by, &["--year", &y]),
                books.balance(by, Some(year), None),
                "--by {by} --year {y}"
            );
        }
    }
    assert_eq!(
        balance_of(&treasurer, "kind", &["--year", "2025", "--source", "opencollective"]),
        books.balance("kind", Some(2025), Some("opencollective"))
    );
    assert!(balance_of(&treasurer, "account", &["--year", "2019"]).is_empty());
    // USD is never added to EUR.
    let usd = net_per_currency(&open_collective("oc-rest.csv"))["USD"].clone();
    assert_eq!(balance_of(&treasurer, "year", &[])[&("2024".to_string(), "USD".to_string())].0, usd);

    // Funds: the source accounts are funds of their own name until mapped.
    let accounts = treasurer.json(&["finance", "fund", "list"]);
    let listed: BTreeMap<String, (String, bool, u64)> = lines(&accounts)
        .iter()
        .map(|a| (text(&a["account"]), (text(&a["fund"]), a["mapped"] == true, a["transactions"].as_u64().unwrap())))
        .collect();
    let mut want: BTreeMap<String, (String, bool, u64)> = BTreeMap::new();
    for t in &books.txs {
        want.entry(format!("{}:{}", t.source, t.fund_account)).or_insert((t.fund_account.clone(), false, 0)).2 += 1;
    }
    assert_eq!(listed, want);

    let mapped = map_fund(&treasurer, &mut books, "opencollective:nixos", "general");
    assert_eq!(mapped[0]["transactions"], books.txs.iter().filter(|t| t.fund_account == "nixos").count() as u64);
    // A bare account name is enough when only one source has it.
    let bare = map_fund(&treasurer, &mut books, "Algemeen", "general");
    assert_eq!(bare[0]["account"], "eboekhouden:Algemeen");
    map_fund(&treasurer, &mut books, "eboekhouden:Infrastructuur", "infra");
    treasurer
        .run(&["finance", "fund", "map", "nowhere", "general"])
        .fails_with("no imported transaction has this account");
    let filter_sets: [&[&str]; 3] = [&[], &["--source", "eboekhouden"], &["--year", "2025"]];
    for filters in filter_sets {
        let source = filters.windows(2).find(|w| w[0] == "--source").map(|w| w[1]);
        let year = filters.windows(2).find(|w| w[0] == "--year").map(|w| w[1].parse().unwrap());
        assert_eq!(balance_of(&treasurer, "fund", filters), books.balance("fund", year, source), "{filters:?}");
    }
    let general = &balance_of(&treasurer, "fund", &["--year", "2025"])[&("general".to_string(), "EUR".to_string())];
    assert_eq!(
        general.1,
        books
            .txs
            .iter()
            .filter(|t| t.year() == 2025 && ["nixos", "Algemeen"].contains(&t.fund_account.as_str()))
            .count() as u64
    );
    let infra: Vec<Value> = list(&treasurer, &["--fund", "infra"]);
    assert_eq!(infra.len(), 3, "infra: its own OC account and the mapped cost centre: {:?}", ids(&infra));

    for by in ["account", "kind", "year", "fund"] {
        assert_csv_matches_json(&treasurer, &["balance", "--by", by], &[by, "currency", "amount", "transactions"]);
    }
    assert_csv_matches_json(
        &treasurer,
        &["balance", "--by", "fund", "--source", "opencollective", "--year", "2025"],
        &["fund", "amount"],
    );
}

/// `report budget` and `report available` set each fund's spending against its budget
/// line, from e-boekhouden once it holds transactions (else Open Collective, or the
/// source asked for), with the funds mapped so both sources name them the same.
#[test]
fn budget_and_available_reports_set_spending_against_budget_lines() {
    let treasurer = Member::init("Treasurer");
    let mut books = Books::default();
    import_oc(&treasurer, "oc-dashboard.csv");
    books.add(open_collective("oc-dashboard.csv"));
    map_common_funds_oc(&treasurer, &mut books);
    set_budget(&treasurer, &mut books, "infrastructure", 2025, "5000");
    set_budget(&treasurer, &mut books, "nixcon", 2025, "1000");
    set_budget(&treasurer, &mut books, "infrastructure", 2026, "6000");
    // `finance budget set` is the same command; a later line for the year replaces the earlier.
    treasurer.json(&["finance", "budget", "set", "nixcon", "--year", "2025", "1.250,00"]);
    books.budgets.insert(("nixcon".into(), 2025), ("EUR".into(), 125000));
    let budgets = treasurer.json(&["budget", "list", "--year", "2025"]);
    let listed: BTreeMap<String, String> =
        lines(&budgets).iter().map(|b| (text(&b["fund"]), text(&b["amount"]))).collect();
    assert_eq!(listed, BTreeMap::from([("infrastructure".into(), money(500000)), ("nixcon".into(), money(125000))]));
    assert_eq!(lines(&treasurer.json(&["budget", "list"])).len(), 3);

    // Open Collective only: the reports read it.
    let check = |books: &Books, source: &str, flags: &[&str]| {
        let mut args = vec!["budget", "--year", "2025"];
        args.extend_from_slice(flags);
        let budget = report(&treasurer, &args);
        let got: BTreeMap<Key, [Value; 4]> = lines(&budget)
            .iter()
            .map(|l| {
                assert_eq!((&l["year"], &l["source"]), (&json!(2025), &json!(source)), "{l}");
                let key = (text(&l["fund"]), text(&l["currency"]));
                (key, [l["budget"].clone(), l["actual"].clone(), l["remaining"].clone(), l["percent"].clone()])
            })
            .collect();
        assert_eq!(got, books.budget(2025, source), "report budget {flags:?}");
        args[0] = "available";
        let available = report(&treasurer, &args);
        let got: BTreeMap<Key, [String; 4]> = lines(&available)
            .iter()
            .map(|l| {
                assert_eq!((&l["year"], &l["source"]), (&json!(2025), &json!(source)), "{l}");
                assert_eq!(l["decisions"], json!([]), "{l}");
                let key = (text(&l["fund"]), text(&l["currency"]));
                (key, [text(&l["budget"]), text(&l["spent"]), text(&l["committed"]), text(&l["available"])])
            })
            .collect();
        assert_eq!(got, books.available(2025, source), "report available {flags:?}");
    };
    check(&books, "opencollective", &[]);
    // Fees are expenditure too: the general fund spent what Stripe and the host took.
    let general = &books.budget(2025, "opencollective")[&("general".to_string(), "EUR".to_string())];
    assert_eq!((&general[0], &general[3]), (&json!("0.00"), &Value::Null), "no budget line, no percentage");

    import(&treasurer, "eboekhouden", &fixture_arg("eboekhouden-api"));
    books.add(eboekhouden_api("eboekhouden-api"));
    map_common_funds_eb(&treasurer, &mut books);
    check(&books, "eboekhouden", &[]);
    check(&books, "opencollective", &["--source", "opencollective"]);
    check(&books, "eboekhouden", &["--source", "eboekhouden"]);
    let infra = &books.budget(2025, "eboekhouden")[&("infrastructure".to_string(), "EUR".to_string())];
    assert_eq!(infra[3], json!(percent(123456, 500000)));

    // Another year: the budget line with nothing spent yet.
    let later = report(&treasurer, &["available", "--year", "2026"]);
    assert_eq!(lines(&later).len(), 1, "{later}");
    assert_eq!(
        [&later[0]["fund"], &later[0]["budget"], &later[0]["spent"], &later[0]["available"]],
        [&json!("infrastructure"), &json!("6000.00"), &json!("0.00"), &json!("6000.00")]
    );

    assert_csv_matches_json(
        &treasurer,
        &["budget", "--year", "2025"],
        &["fund", "currency", "budget", "actual", "remaining", "percent"],
    );
    assert_csv_matches_json(
        &treasurer,
        &["available", "--year", "2025", "--source", "opencollective"],
        &["fund", "currency", "budget", "spent", "committed", "available"],
    );
    treasurer.run(&["report", "budget", "--year", "2025", "--source", "bank"]).fails_with("bank");
    treasurer.run(&["report", "budget", "--year", "2025", "--format", "pdf"]).fails_with("invalid format");
}

fn map_common_funds_oc(member: &Member, books: &mut Books) {
    for (account, fund) in [
        ("opencollective:nixos", "general"),
        ("opencollective:infra", "infrastructure"),
        ("opencollective:events", "nixcon"),
    ] {
        map_fund(member, books, account, fund);
    }
}

fn map_common_funds_eb(member: &Member, books: &mut Books) {
    for (account, fund) in [
        ("eboekhouden:Algemeen", "general"),
        ("eboekhouden:Infrastructuur", "infrastructure"),
        ("eboekhouden:NixCon", "nixcon"),
    ] {
        map_fund(member, books, account, fund);
    }
}

/// A budget report's percentage has one decimal, also when it is a whole number.
#[test]
fn budget_percentages_always_have_one_decimal() {
    let treasurer = Member::init("Treasurer");
    let mut books = Books::default();
    import_oc(&treasurer, "oc-dashboard.csv");
    books.add(open_collective("oc-dashboard.csv"));
    let travel = books.spent(2025, "opencollective")[&("events".to_string(), "EUR".to_string())];
    // Exactly half, exactly nothing.
    set_budget(&treasurer, &mut books, "events", 2025, &money(travel * 2));
    set_budget(&treasurer, &mut books, "unused", 2025, "100");
    let budget = report(&treasurer, &["budget", "--year", "2025"]);
    let percent: BTreeMap<String, Value> =
        lines(&budget).iter().map(|l| (text(&l["fund"]), l["percent"].clone())).collect();
    assert_eq!(percent["events"], "50.0", "{budget}");
    assert_eq!(percent["unused"], "0.0", "{budget}");
}

fn income_of(member: &Member, args: &[&str]) -> Vec<[String; 5]> {
    let mut all = vec!["income"];
    all.extend_from_slice(args);
    let mut got: Vec<[String; 5]> = lines(&report(member, &all))
        .iter()
        .map(|l| ["period", "direction", "category", "currency", "amount"].map(|f| text(&l[f])))
        .collect();
    got.sort();
    got
}

/// `report income` shows gross income and expenditure per category and period, the fees
/// taken at source as an expenditure line of their own, so income − expenditure is what
/// the balance moved by.
#[test]
fn the_income_report_shows_gross_amounts_per_category_and_the_fees_taken_at_source() {
    let treasurer = Member::init("Treasurer");
    let mut books = Books::default();
    for file in ["oc-2023.csv", "oc-dashboard.csv", "oc-recommended.csv"] {
        import_oc(&treasurer, file);
        books.add(open_collective(file));
    }
    for (year, period) in [(2023, "year"), (2025, "month"), (2025, "quarter"), (2025, "year"), (2026, "quarter")] {
        let y = year.to_string();
        let want = books.income(year, period, "opencollective");
        assert_eq!(income_of(&treasurer, &["--year", &y, "--period", period]), want, "{year} by {period}");
        // Income − expenditure is the net movement of the year.
        let result: i64 = want.iter().map(|l| if l[1] == "income" { cents(&l[4]) } else { -cents(&l[4]) }).sum();
        assert_eq!(result, books.of(Some(year), None).map(|t| t.net).sum::<i64>(), "{year}");
    }
    // 2023: fee columns are deducted at source (the refund gave some back).
    let fees: Vec<[String; 5]> = books
        .income(2023, "year", "opencollective")
        .into_iter()
        .filter(|l| l[2] == "Fees deducted at source")
        .collect();
    let records = parse_csv(&fs::read_to_string(fixture("oc-2023.csv")).unwrap());
    let fee_col = records[0].iter().position(|h| h == "paymentProcessorFee").unwrap();
    let fee_columns: i64 = records[1..].iter().filter(|r| !r[fee_col].is_empty()).map(|r| -cents(&r[fee_col])).sum();
    assert_eq!(fees.len(), 1);
    assert_eq!(fees[0][4], money(fee_columns));
    assert!(
        income_of(&treasurer, &["--year", "2025"]).iter().all(|l| l[2] != "Fees deducted at source"),
        "no fee columns"
    );
    assert!(income_of(&treasurer, &["--year", "2024"]).is_empty());

    // With e-boekhouden imported it is the source unless another is asked for.
    import(&treasurer, "eboekhouden", &fixture_arg("eboekhouden-api"));
    books.add(eboekhouden_api("eboekhouden-api"));
    for period in ["month", "quarter"] {
        let want = books.income(2025, period, "eboekhouden");
        assert_eq!(income_of(&treasurer, &["--year", "2025", "--period", period]), want);
        assert!(want.iter().all(|l| !l[2].contains("Eigen vermogen")), "the opening balance is not income");
    }
    assert_eq!(
        income_of(&treasurer, &["--year", "2025", "--period", "month", "--source", "opencollective"]),
        books.income(2025, "month", "opencollective")
    );
    assert_csv_matches_json(
        &treasurer,
        &["income", "--year", "2025", "--period", "quarter", "--source", "opencollective"],
        &["period", "direction", "category", "currency", "amount"],
    );
    treasurer.run(&["report", "income", "--year", "2025", "--period", "week"]).fails_with("week");
}

/// `report annual` gives, per currency, the opening balance, income and expenditure, the
/// expenses of at least the threshold one by one, and the closing balance.
#[test]
fn the_annual_report_goes_from_opening_to_closing_balance_listing_significant_expenses() {
    let (treasurer, books) = home_with_everything("Treasurer");
    let threshold = "310.40";
    for (year, source) in
        [(2025, "opencollective"), (2025, "eboekhouden"), (2024, "opencollective"), (2026, "eboekhouden")]
    {
        let annual =
            report(&treasurer, &["annual", "--year", &year.to_string(), "--threshold", threshold, "--source", source]);
        assert_eq!(
            (&annual["year"], &annual["source"], &annual["threshold"]),
            (&json!(year), &json!(source), &json!(threshold))
        );
        let got: BTreeMap<String, Value> =
            lines(&annual["currencies"]).iter().map(|c| (text(&c["currency"]), c.clone())).collect();
        assert_eq!(got, books.annual(year, cents(threshold), source), "{year} {source}");
    }
    // Reading the numbers: the e-boekhouden year starts from its opening balance, Open
    // Collective's from everything before; USD is its own currency.
    let eb = books.annual(2025, cents(threshold), "eboekhouden");
    let opening = eboekhouden_api("eboekhouden-api").iter().filter(|t| t.opening()).map(|t| t.net).sum::<i64>();
    assert_eq!(eb["EUR"]["opening"], money(opening).as_str());
    let significant: Vec<String> = lines(&eb["EUR"]["significant"]).iter().map(|s| text(&s["id"])).collect();
    assert_eq!(significant, ["eboekhouden:7003/1", "eboekhouden:7004/1"], "at least the threshold, largest first");
    let oc = books.annual(2025, cents(threshold), "opencollective");
    assert_eq!(oc["EUR"]["opening"], money(open_collective("oc-2023.csv").iter().map(|t| t.net).sum()).as_str());
    assert_eq!(oc["USD"]["closing"], oc["USD"]["opening"]);
    let next = books.annual(2026, cents(threshold), "eboekhouden");
    assert_eq!(next["EUR"]["opening"], eb["EUR"]["closing"], "one year's closing is the next's opening");
    // The default source is e-boekhouden; the default threshold 1000.
    let default = report(&treasurer, &["annual", "--year", "2025"]);
    assert_eq!((&default["source"], &default["threshold"]), (&json!("eboekhouden"), &json!("1000.00")));
    assert_eq!(default["currencies"][0], books.annual(2025, 100000, "eboekhouden")["EUR"]);

    // The CSV: one row per item, the same amounts.
    let csv = parse_csv(
        &treasurer
            .run(&[
                "report",
                "annual",
                "--year",
                "2025",
                "--threshold",
                threshold,
                "--source",
                "opencollective",
                "--format",
                "csv",
            ])
            .ok(),
    );
    let (section, amount) =
        (csv[0].iter().position(|h| h == "section").unwrap(), csv[0].iter().position(|h| h == "amount").unwrap());
    let currency = csv[0].iter().position(|h| h == "currency").unwrap();
    for (cur, value) in &oc {
        let row = |name: &str| -> Vec<String> {
            csv[1..].iter().filter(|r| r[currency] == *cur && r[section] == name).map(|r| r[amount].clone()).collect()
        };
        assert_eq!(row("opening balance"), [text(&value["opening"])]);
        assert_eq!(row("income total"), [text(&value["income_total"])]);
        assert_eq!(row("expenditure total"), [text(&value["expenditure_total"])]);
        assert_eq!(row("closing balance"), [text(&value["closing"])]);
        let listed: Vec<String> = lines(&value["significant"]).iter().map(|s| text(&s["amount"])).collect();
        assert_eq!(row("significant expense"), listed);
    }
    treasurer.run(&["report", "annual", "--year", "2025", "--threshold", "lots"]).fails_with("lots");
}

/// Opening balances are balances, not spending: a negative one (a debt carried into the
/// year) is not listed as a significant expense of the year.
#[test]
fn an_opening_balance_is_not_a_significant_expense() {
    let treasurer = Member::init("Treasurer");
    let mut books = Books::default();
    import(&treasurer, "eboekhouden", &fixture_arg("eboekhouden-types"));
    books.add(eboekhouden_api("eboekhouden-types"));
    let opening = books.txs.iter().find(|t| t.opening()).unwrap().clone();
    assert!(opening.net < 0, "the fixture opens with a debt");
    let threshold = money(-opening.net);
    let annual = report(&treasurer, &["annual", "--year", "2025", "--threshold", &threshold]);
    let listed: Vec<String> = lines(&annual["currencies"][0]["significant"]).iter().map(|s| text(&s["id"])).collect();
    assert!(!listed.contains(&opening.id), "{annual}");
    assert_eq!(annual["currencies"][0], books.annual(2025, -opening.net, "eboekhouden")["EUR"]);
}

/// `report reconcile` sets Open Collective against e-boekhouden per month and fund: with
/// the funds mapped alike, the fixtures match month by month; money on one side only is
/// flagged with the difference.
#[test]
fn reconcile_flags_the_months_where_the_two_sources_differ() {
    let treasurer = Member::init("Treasurer");
    let mut books = Books::default();
    import_oc(&treasurer, "oc-dashboard.csv");
    books.add(open_collective("oc-dashboard.csv"));
    import(&treasurer, "eboekhouden", &fixture_arg("eboekhouden-api"));
    books.add(eboekhouden_api("eboekhouden-api"));
    let reconcile = |books: &Books| {
        let got: BTreeMap<Cell, (String, String, String, bool)> =
            lines(&report(&treasurer, &["reconcile", "--year", "2025"]))
                .iter()
                .map(|l| {
                    let key = (text(&l["month"]), text(&l["fund"]), text(&l["currency"]));
                    (
                        key,
                        (
                            text(&l["opencollective"]),
                            text(&l["eboekhouden"]),
                            text(&l["difference"]),
                            l["matches"] == true,
                        ),
                    )
                })
                .collect();
        let want: BTreeMap<_, _> = books
            .reconcile(2025)
            .into_iter()
            .map(|(k, (oc, eb))| (k, (money(oc), money(eb), money(eb - oc), oc == eb)))
            .collect();
        assert_eq!(got, want);
        want
    };
    // Unmapped, the funds have different names in each source: nothing lines up.
    assert!(reconcile(&books).values().all(|l| !l.3));

    map_common_funds(&treasurer, &mut books);
    let lined_up = reconcile(&books);
    assert_eq!(lined_up.len(), 4, "{lined_up:?}");
    assert!(lined_up.values().all(|l| l.3), "every month matches: {lined_up:?}");
    assert_csv_matches_json(
        &treasurer,
        &["reconcile", "--year", "2025"],
        &["month", "fund", "currency", "opencollective", "eboekhouden", "difference"],
    );

    // A newer Open Collective export: two amounts changed and April only on one side.
    import_oc(&treasurer, "oc-dashboard-v2.csv");
    books.add(open_collective("oc-dashboard-v2.csv"));
    let after = reconcile(&books);
    let differing: Vec<(String, String)> =
        after.iter().filter(|(_, l)| !l.3).map(|(k, _)| (k.0.clone(), k.1.clone())).collect();
    assert_eq!(
        differing,
        [
            ("2025-02".into(), "infrastructure".into()),
            ("2025-03".into(), "nixcon".into()),
            ("2025-04".into(), "general".into())
        ]
    );
    let april = &after[&("2025-04".to_string(), "general".to_string(), "EUR".to_string())];
    assert_eq!((april.1.as_str(), april.2.as_str()), ("0.00", money(-v2_net("100007")).as_str()));
    let table = treasurer.run(&["report", "reconcile", "--year", "2025"]).ok();
    assert_eq!(table.matches("DIFFERS").count(), 3, "{table}");
}

fn v2_net(id: &str) -> i64 {
    open_collective("oc-dashboard-v2.csv").iter().find(|t| t.id.ends_with(id)).unwrap().net
}

/// A partner known by name (or a "Legal (Name)" contributor name) or by its Open
/// Collective account.
struct Partner<'a> {
    name: &'a str,
    id: String,
    slug: Option<&'a str>,
}

/// `report partners`, computed: contributions per partner with the fees taken from
/// them (fee columns and fee rows tied by group), everyone else on one line.
fn partners_expected(books: &Books, year: i32, partners: &[Partner]) -> Vec<Value> {
    let matches = |t: &Tx, p: &Partner| -> bool {
        if p.slug.is_some() && p.slug == t.counterparty.as_deref() {
            return true;
        }
        let name = t.counterparty_name.clone().unwrap_or_default();
        let mut names = vec![name.clone()];
        if let Some((legal, inner)) = name.strip_suffix(')').and_then(|n| n.rsplit_once(" (")) {
            names.extend([legal.to_string(), inner.to_string()]);
        }
        names.iter().any(|n| n.to_lowercase() == p.name.to_lowercase())
    };
    let fee_kinds = ["PAYMENT_PROCESSOR_FEE", "PAYMENT_PROCESSOR_DISPUTE_FEE", "HOST_FEE", "PLATFORM_FEE", "TAX"];
    // (partner index or none, currency) → (accounts, contributions, contributed, fees)
    type Line = (BTreeSet<String>, u64, i64, i64);
    let mut out: BTreeMap<(Option<usize>, String), Line> = BTreeMap::new();
    for t in books.of(Some(year), Some("opencollective")) {
        if !["CONTRIBUTION", "ADDED_FUNDS"].contains(&t.kind.as_str()) || t.counterparty.is_none() {
            continue;
        }
        let who = partners.iter().position(|p| matches(t, p));
        let line = out.entry((who, t.currency.clone())).or_default();
        line.0.insert(t.counterparty.clone().unwrap());
        line.1 += 1;
        line.2 += t.gross;
        line.3 += t.gross - t.net;
        let fee_rows = books.txs.iter().filter(|f| {
            f.source == "opencollective"
                && f.id != t.id
                && f.group.is_some()
                && f.group == t.group
                && fee_kinds.contains(&f.kind.as_str())
        });
        line.3 -= fee_rows.map(|f| f.net).sum::<i64>();
    }
    let mut lines: Vec<(Option<usize>, Value)> = out
        .into_iter()
        .map(|((who, currency), (accounts, n, contributed, fees))| {
            let partner = who.map(|i| &partners[i]);
            let account = if partner.is_some() {
                accounts.into_iter().collect::<Vec<_>>().join(", ")
            } else {
                "(other contributors)".into()
            };
            let value = json!({
                "partner": partner.map(|p| p.name), "partner_id": partner.map(|p| p.id.clone()), "account": account,
                "currency": currency, "contributions": n, "contributed": money(contributed), "fees": money(fees),
                "net": money(contributed - fees),
            });
            (who, value)
        })
        .collect();
    lines.sort_by_key(|(who, v)| (who.is_none(), who.map(|i| partners[i].name.to_string()), text(&v["currency"])));
    lines.into_iter().map(|(_, v)| v).collect()
}

/// `report partners` credits each partner with its contributions and the fees taken from
/// them: matched by name (also the "Legal (Name)" form Open Collective writes), or by
/// the Open Collective account set on the partner; other contributors share one line.
#[test]
fn the_partners_report_matches_contributions_by_name_or_open_collective_account() {
    let treasurer = Member::init("Treasurer");
    let mut books = Books::default();
    for file in ["oc-2023.csv", "oc-dashboard.csv", "oc-recommended.csv"] {
        import_oc(&treasurer, file);
        books.add(open_collective(file));
    }
    let before = report(&treasurer, &["partners", "--year", "2025"]);
    assert_eq!(before, json!(partners_expected(&books, 2025, &[])), "no partners yet: one line of others");
    let acme = treasurer.json(&["partner", "add", "Acme Cloud", "--kind", "company"]);
    let partners = [Partner { name: "Acme Cloud", id: text(&acme["id"]), slug: None }];
    for year in [2023, 2025, 2026] {
        let got = report(&treasurer, &["partners", "--year", &year.to_string()]);
        assert_eq!(got, json!(partners_expected(&books, year, &partners)), "{year}");
        assert_eq!(got[0]["partner"], "Acme Cloud", "{year}: {got}");
        assert_eq!(got[0]["account"], "acme-cloud");
    }
    // 2025: "Acme Cloud B.V. (Acme Cloud)", fees in rows of the contribution's group.
    let fees_2025: i64 = open_collective("oc-dashboard.csv")
        .iter()
        .filter(|t| t.group.as_deref() == Some("6f1c2a40-0001-4000-8000-000000000001") && t.kind.ends_with("_FEE"))
        .map(|t| -t.net)
        .sum();
    assert_eq!(report(&treasurer, &["partners", "--year", "2025"])[0]["fees"], money(fees_2025).as_str());
    assert_csv_matches_json(
        &treasurer,
        &["partners", "--year", "2026"],
        &["account", "currency", "contributions", "contributed", "fees", "net"],
    );

    // Another home: a partner whose name is not the contributor's, linked by its account.
    let other = Member::init("Other");
    import_oc(&other, "oc-dashboard.csv");
    let corp = other.json(&["partner", "add", "Acme Corporation"]);
    let unmatched = report(&other, &["partners", "--year", "2025"]);
    assert_eq!(lines(&unmatched).len(), 1, "{unmatched}");
    assert_eq!(unmatched[0]["partner"], Value::Null);
    other.run(&["partner", "set", "Acme Corporation", "--opencollective", "acme-cloud"]).ok();
    let partners = [Partner { name: "Acme Corporation", id: text(&corp["id"]), slug: Some("acme-cloud") }];
    let matched = report(&other, &["partners", "--year", "2025"]);
    let mut dashboard = Books::default();
    dashboard.add(open_collective("oc-dashboard.csv"));
    assert_eq!(matched, json!(partners_expected(&dashboard, 2025, &partners)));
    assert_eq!((&matched[0]["partner"], &matched[0]["fees"]), (&json!("Acme Corporation"), &json!(money(fees_2025))));
}

// ---------------------------------------------------------------------------
// Decisions and sync.

fn propose(member: &Member, args: &[&str]) -> String {
    let mut all = vec!["decision", "propose"];
    all.extend_from_slice(args);
    member.json(&all)["id"].as_str().expect("an id").to_string()
}

/// One line of `report available`.
fn available_line(member: &Member, year: i32, fund: &str) -> Value {
    let all = report(member, &["available", "--year", &year.to_string()]);
    lines(&all).iter().find(|l| l["fund"] == fund).cloned().unwrap_or_else(|| panic!("no {fund} in {all}"))
}

/// An approved spending decision commits its amount in the year it was decided; linking
/// the transactions that paid it moves that money from committed to spent (towards the
/// decision's fund), never below nothing committed.
#[test]
fn linking_transactions_to_an_approved_decision_moves_money_from_committed_to_spent() {
    let board = Board::new(&["Alice", "Bob"]);
    let [alice, bob] = [&board.members[0], &board.members[1]];
    import_oc(alice, "oc-dashboard.csv");
    let dashboard = open_collective("oc-dashboard.csv");
    let hetzner = dashboard.iter().find(|t| t.id == "opencollective:100004").unwrap().net;
    let id = propose(
        alice,
        &[
            "--kind",
            "spending",
            "--title",
            "Build farm",
            "--amount",
            "1500",
            "--currency",
            "EUR",
            "--fund",
            "build-farm",
            "--closes",
            "2099-12-31",
        ],
    );
    let open = propose(
        alice,
        &[
            "--kind",
            "spending",
            "--title",
            "Not yet",
            "--amount",
            "10",
            "--currency",
            "EUR",
            "--fund",
            "build-farm",
            "--closes",
            "2099-12-31",
        ],
    );
    let no_amount = propose(alice, &["--kind", "other", "--title", "No money", "--closes", "2099-12-31"]);

    // Not approved yet, no amount: refused, nothing recorded.
    let digest = alice.digest();
    alice
        .run(&["decision", "link", &id, "--transaction", "opencollective:100004"])
        .fails_with("only approved decisions commit money");
    alice
        .run(&["decision", "link", &no_amount, "--transaction", "opencollective:100004"])
        .fails_with("it has no amount");
    assert_eq!(alice.digest(), digest);

    // Majority of a board of two: both approve.
    alice.json(&["decision", "vote", &id, "approve"]);
    board.sync(0);
    board.sync(1);
    assert_eq!(bob.json(&["decision", "vote", &id, "approve"])["status"], "approved");
    board.sync(1);
    board.sync(0);
    let shown = alice.json(&["decision", "show", &id]);
    assert_eq!(shown["status"], "approved", "{shown}");
    let year: i32 = text(&shown["decided"])[..4].parse().unwrap();
    let digest = alice.digest();
    alice.run(&["decision", "link", &open, "--transaction", "opencollective:100004"]).fails_with("it is open");
    alice
        .run(&["decision", "link", &id, "--transaction", "opencollective:999999"])
        .fails_with("no transaction opencollective:999999");
    assert_eq!(alice.digest(), digest, "refused links record nothing");

    alice.run(&["budget", "set", "build-farm", "--year", &year.to_string(), "3000"]).ok();
    alice.run(&["budget", "set", "infra", "--year", "2025", "2000"]).ok();
    let line = available_line(alice, year, "build-farm");
    assert_eq!(
        [&line["budget"], &line["spent"], &line["committed"], &line["available"]],
        [&json!("3000.00"), &json!("0.00"), &json!("1500.00"), &json!("1500.00")],
        "{line}"
    );
    assert_eq!(
        line["decisions"],
        json!([{"decision": id, "title": "Build farm", "amount": "1500.00", "spent": "0.00", "committed": "1500.00"}])
    );
    let infra_2025 = available_line(alice, 2025, "infra");
    assert_eq!(
        (&infra_2025["spent"], &infra_2025["available"]),
        (&json!(money(-hetzner)), &json!(money(200000 + hetzner)))
    );

    // The Hetzner invoice paid part of it.
    let linked = alice.json(&["decision", "link", &id, "--transaction", "opencollective:100004"]);
    assert_eq!(linked, json!({"decision": id, "transactions": ["opencollective:100004"]}));
    let line = available_line(alice, year, "build-farm");
    let committed = 150000 + hetzner;
    assert_eq!(
        [&line["spent"], &line["committed"], &line["available"]],
        [&json!("0.00"), &json!(money(committed)), &json!(money(300000 - committed))],
        "{line}"
    );
    assert_eq!(
        (&line["decisions"][0]["spent"], &line["decisions"][0]["committed"]),
        (&json!(money(-hetzner)), &json!(money(committed)))
    );
    // … and in its own year the invoice is the decision's fund's spending, not infra's.
    let farm_2025 = available_line(alice, 2025, "build-farm");
    assert_eq!((&farm_2025["spent"], &farm_2025["committed"]), (&json!(money(-hetzner)), &json!("0.00")));
    let infra_2025 = available_line(alice, 2025, "infra");
    assert_eq!((&infra_2025["spent"], &infra_2025["available"]), (&json!("0.00"), &json!("2000.00")));
    assert_eq!(list(alice, &["--search", "100004"])[0]["decision"], id.as_str());

    // A payment this year covers the rest, and more: nothing is committed, never less.
    let header = fs::read_to_string(fixture("oc-dashboard.csv")).unwrap().lines().next().unwrap().to_string();
    let date = format!("{year}-01-15T10:00:00");
    #[rustfmt::skip]
    let fields = [
        date.as_str(), "900001", "Build farm servers", "DEBIT", "EXPENSE", "g-900001", "-400.00", "EUR", "", "", "",
        "infra", "NixOS Infrastructure", "supermicro", "Supermicro B.V.", "", "", "", "INVOICE", "", "BANK_ACCOUNT",
        "", "", "",
    ];
    let row = fields.map(|f| format!("\"{f}\"")).join(",");
    let file = alice.scratch().join("oc-this-year.csv");
    fs::write(&file, format!("{header}\n{row}\n")).unwrap();
    import(alice, "opencollective", file.to_str().unwrap());
    assert_eq!(available_line(alice, year, "infra")["spent"], "400.00");
    alice.json(&["decision", "link", &id, "--transaction", "opencollective:900001"]);
    let line = available_line(alice, year, "build-farm");
    assert_eq!(
        [&line["spent"], &line["committed"], &line["available"]],
        [&json!("400.00"), &json!("0.00"), &json!("2600.00")],
        "{line}"
    );
    assert_eq!(line["decisions"][0]["spent"], money(-hetzner + 40000).as_str());
    assert!(lines(&report(alice, &["available", "--year", &year.to_string()])).iter().all(|l| l["fund"] != "infra"));

    // e-boekhouden: a mutation number links all its rows.
    import(alice, "eboekhouden", &fixture_arg("eboekhouden-api"));
    let linked = alice.json(&["decision", "link", &id, "--transaction", "eboekhouden:7003"]);
    assert_eq!(linked["transactions"], json!(["eboekhouden:7003/1", "eboekhouden:7003/2"]));

    // Bob sees the same once synced.
    board.sync(0);
    board.sync(1);
    for args in [
        vec!["report", "available", "--year", &year.to_string()],
        vec!["report", "available", "--year", "2025", "--source", "opencollective"],
        vec!["finance", "list", "--limit", "1000"],
    ] {
        assert_eq!(bob.json(&args), alice.json(&args), "{args:?}");
    }
    assert_eq!(bob.digest(), alice.digest());
}

/// Every report over synced records is the same on every laptop: Bob reads what Alice
/// imported, mapped and budgeted, and what each imported offline merges alike.
#[test]
fn reports_over_synced_records_are_the_same_on_every_home() {
    let board = Board::new(&["Alice", "Bob"]);
    let [alice, bob] = [&board.members[0], &board.members[1]];
    let mut books = Books::default();
    import_oc(alice, "oc-dashboard.csv");
    books.add(open_collective("oc-dashboard.csv"));
    import(alice, "eboekhouden", &fixture_arg("eboekhouden-api"));
    books.add(eboekhouden_api("eboekhouden-api"));
    map_common_funds(alice, &mut books);
    set_budget(alice, &mut books, "infrastructure", 2025, "5000");
    set_budget(alice, &mut books, "nixcon", 2025, "1000");
    alice.run(&["partner", "add", "Acme Cloud"]).ok();
    board.sync(0);
    board.sync(1);

    let reports: Vec<Vec<&str>> = vec![
        vec!["finance", "list", "--limit", "1000"],
        vec!["finance", "fund", "list"],
        vec!["budget", "list"],
        vec!["report", "balance", "--by", "account"],
        vec!["report", "balance", "--by", "kind"],
        vec!["report", "balance", "--by", "year"],
        vec!["report", "balance", "--by", "fund"],
        vec!["report", "available", "--year", "2025"],
        vec!["report", "budget", "--year", "2025"],
        vec!["report", "budget", "--year", "2025", "--source", "opencollective"],
        vec!["report", "income", "--year", "2025", "--period", "month"],
        vec!["report", "annual", "--year", "2025", "--threshold", "300"],
        vec!["report", "reconcile", "--year", "2025"],
        vec!["report", "partners", "--year", "2025"],
    ];
    let same = |why: &str| {
        for args in &reports {
            assert_eq!(bob.json(args), alice.json(args), "{why}: {args:?}");
        }
        assert_eq!(bob.digest(), alice.digest(), "{why}");
    };
    same("after Bob's sync");
    // Not merely equal: right.
    assert_eq!(balance_of(bob, "fund", &[]), books.balance("fund", None, None));
    let budget = report(bob, &["budget", "--year", "2025"]);
    let got: BTreeMap<Key, Value> =
        lines(&budget).iter().map(|l| ((text(&l["fund"]), text(&l["currency"])), l["actual"].clone())).collect();
    let want: BTreeMap<Key, Value> =
        books.budget(2025, "eboekhouden").into_iter().map(|(k, v)| (k, v[1].clone())).collect();
    assert_eq!(got, want);
    assert!(lines(&report(bob, &["reconcile", "--year", "2025"])).iter().all(|l| l["matches"] == true));
    assert_eq!(report(bob, &["partners", "--year", "2025"])[0]["partner"], "Acme Cloud");

    // Offline, Bob imports the newer export and Alice changes a budget; both sync.
    import_oc(bob, "oc-dashboard-v2.csv");
    books.add(open_collective("oc-dashboard-v2.csv"));
    set_budget(alice, &mut books, "nixcon", 2025, "1200");
    board.sync(1);
    board.sync(0);
    board.sync(1);
    same("after both synced");
    assert_eq!(
        balance_of(alice, "year", &["--source", "opencollective"]),
        books.balance("year", None, Some("opencollective"))
    );
    let reconcile = report(alice, &["reconcile", "--year", "2025"]);
    assert_eq!(lines(&reconcile).iter().filter(|l| l["matches"] == false).count(), 3, "{reconcile}");
}
