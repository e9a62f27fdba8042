//! Finance benchmark: generates Open Collective exports of 100,000 and 1,000,000 rows
//! (ten years in date order, four accounts, 5,000 contributors, fee rows tied by
//! group), imports
//! them, runs every report on the warm database, and runs Debian's `ledger` and
//! `hledger` `balance` on the same transactions written as a journal, in the same run.
//!
//! `make bench` runs it; `BENCH_ROWS=100000` skips the million. `BENCH_HLEDGER_MAX`
//! (default 100000) caps the size hledger is run on: it needs minutes and gigabytes
//! for a million. Goals: importing 100,000 rows ≤ 1.5 s; any report over 1,000,000
//! transactions ≤ 250 ms and at least 20× faster than `ledger balance`.

use countersign_core::KeySource;
use countersign_core::Passphrase;
use countersign_core::Scope;
use countersign_core::{BalanceBy, Period};
use countersign_core::{Home, SystemClock};
use countersign_core::{Role, RosterMember};
use countersign_core::{Source, TransactionFilter};
use rust_decimal::Decimal;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A small deterministic generator (xorshift): the same data on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const ACCOUNTS: [&str; 4] = ["nixos", "infra", "events", "summer-of-nix"];
const CATEGORIES: [&str; 5] = ["Infrastructure", "Travel", "Events", "Stipends", "Services"];

/// Writes `rows` transactions as an Open Collective CSV (recommended layout) and as a
/// ledger journal with the same amounts.
fn generate(rows: usize, csv: &Path, journal: &Path) {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut out = String::with_capacity(rows * 160);
    let mut led = String::with_capacity(rows * 120);
    out.push_str("datetime,effectiveDate,legacyId,group,type,kind,description,amount,netAmount,currency,accountSlug,oppositeAccountSlug,oppositeAccountName,expenseType,accountingCategoryCode\n");
    let mut id = 1_000_000u64;
    let mut written = 0;
    while written < rows {
        // In date order, as Open Collective exports them.
        let per_year = rows.div_ceil(10);
        let year = 2016 + (written / per_year) as u64;
        let day = 1 + ((written % per_year) * 365 / per_year) as u64;
        let date = chrono::NaiveDate::from_yo_opt(year as i32, day as u32).unwrap_or_default();
        let account = ACCOUNTS[rng.below(4) as usize];
        let group = format!("{:08x}-0000-4000-8000-{:012x}", rng.next() as u32, written);
        if rng.below(10) < 6 && written + 2 <= rows {
            // A contribution and its processor fee, tied by group.
            let who = rng.below(5_000);
            let cents = 500 + rng.below(200_000) as i64;
            let fee = cents * 29 / 1000 + 25;
            for (kind, amount, opposite, name) in [
                ("CONTRIBUTION", cents, format!("backer-{who}"), format!("Backer {who}")),
                ("PAYMENT_PROCESSOR_FEE", -fee, "stripe".to_string(), "Stripe".to_string()),
            ] {
                id += 1;
                let kind_type = if amount >= 0 { "CREDIT" } else { "DEBIT" };
                let money = Decimal::new(amount, 2);
                let _ = writeln!(
                    out,
                    "{date}T10:00:00,{date}T12:00:00,{id},{group},{kind_type},{kind},\"{kind} {id}\",{money},{money},EUR,{account},{opposite},\"{name}\",,"
                );
                let _ = writeln!(
                    led,
                    "{} {kind} {id}\n    Assets:OpenCollective:{account}  {money} EUR\n    {}:{kind}\n",
                    date.format("%Y/%m/%d"),
                    if amount >= 0 { "Income" } else { "Expenses" }
                );
                written += 1;
            }
        } else {
            id += 1;
            let category = CATEGORIES[rng.below(5) as usize];
            let cents = -(1_000 + rng.below(500_000) as i64);
            let money = Decimal::new(cents, 2);
            let payee = rng.below(300);
            let _ = writeln!(
                out,
                "{date}T10:00:00,{date}T12:00:00,{id},{group},DEBIT,EXPENSE,\"Invoice {id}\",{money},{money},EUR,{account},payee-{payee},\"Payee {payee}\",INVOICE,{category}"
            );
            let _ = writeln!(
                led,
                "{} Invoice {id}\n    Assets:OpenCollective:{account}  {money} EUR\n    Expenses:{category}\n",
                date.format("%Y/%m/%d")
            );
            written += 1;
        }
    }
    std::fs::write(csv, out).unwrap();
    std::fs::write(journal, led).unwrap();
}

fn home(dir: &Path, name: &str) -> Home {
    Home::init(
        &dir.join(name),
        KeySource::Generate { name, email: &format!("{name}@example.org") },
        &Passphrase::from("benchmark"),
        Arc::new(SystemClock),
    )
    .unwrap()
}

/// The median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs a peer tool's `balance` on the journal; None when it is not installed.
fn peer(tool: &str, journal: &Path) -> Option<Duration> {
    let t = Instant::now();
    let out = Command::new(tool).arg("-f").arg(journal).arg("balance").output().ok()?;
    let elapsed = t.elapsed();
    if !out.status.success() {
        eprintln!("  {tool} failed: {}", String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or(""));
        return None;
    }
    Some(elapsed)
}

fn run(rows: usize, root: &Path, hledger_max: usize) {
    println!("\n== {rows} Open Collective rows ==");
    let csv = root.join(format!("oc-{rows}.csv"));
    let journal = root.join(format!("oc-{rows}.journal"));
    generate(rows, &csv, &journal);

    let mut home = home(root, &format!("treasurer{rows}"));
    let t = Instant::now();
    let summary = home.import_finance(Source::OpenCollective, &csv, &Scope::finance(), &mut |_| {}).unwrap();
    let import = t.elapsed();
    assert_eq!(summary.added as usize, rows);
    println!("import: {:.2} s ({:.0} rows/s)", import.as_secs_f64(), rows as f64 / import.as_secs_f64());
    let t = Instant::now();
    let again = home.import_finance(Source::OpenCollective, &csv, &Scope::finance(), &mut |_| {}).unwrap();
    println!("re-import, nothing changed: {:.2} s ({} unchanged)", t.elapsed().as_secs_f64(), again.unchanged);

    home.map_fund("opencollective:summer-of-nix", "summer", &Scope::finance()).unwrap();
    home.set_budget("infra", 2025, "250000", "EUR", &Scope::finance()).unwrap();
    home.set_budget("summer", 2025, "80000", "EUR", &Scope::finance()).unwrap();

    let threshold = Decimal::from(4000);
    let reports: Vec<(&str, Box<dyn Fn(&Home)>)> = vec![
        ("balance --by account", Box::new(|h: &Home| drop(h.report_balance(BalanceBy::Account, None, None).unwrap()))),
        ("balance --by kind", Box::new(|h: &Home| drop(h.report_balance(BalanceBy::Kind, None, None).unwrap()))),
        ("balance --by year", Box::new(|h: &Home| drop(h.report_balance(BalanceBy::Year, None, None).unwrap()))),
        ("balance --by fund", Box::new(|h: &Home| drop(h.report_balance(BalanceBy::Fund, None, None).unwrap()))),
        ("available --year 2025", Box::new(|h: &Home| drop(h.report_available(Some(2025), None).unwrap()))),
        ("budget --year 2025", Box::new(|h: &Home| drop(h.report_budget(2025, None).unwrap()))),
        (
            "income --year 2025 --period month",
            Box::new(|h: &Home| drop(h.report_income(2025, Period::Month, None).unwrap())),
        ),
        ("annual --year 2025", Box::new(move |h: &Home| drop(h.report_annual(2025, threshold, None).unwrap()))),
        ("reconcile --year 2025", Box::new(|h: &Home| drop(h.report_reconcile(2025).unwrap()))),
        ("partners --year 2025", Box::new(|h: &Home| drop(h.report_partners(2025).unwrap()))),
    ];
    let mut slowest = Duration::ZERO;
    for (name, report) in &reports {
        report(&home); // warm
        let d = median(5, || report(&home));
        slowest = slowest.max(d);
        println!("report {name:<36} {:>8.2} ms", ms(d));
    }
    println!("slowest report: {:.2} ms (goal ≤ 250 ms)", ms(slowest));

    // The desktop's transaction list: one window of 100 rows and the total, as the
    // virtualised list asks while scrolling (goal ≤ 50 ms per query at 1,000,000).
    let page = |offset: u32, year: Option<i32>, fund: Option<&str>, search: Option<&str>| TransactionFilter {
        year,
        source: None,
        fund: fund.map(str::to_string),
        search: search.map(str::to_string),
        limit: Some(100),
        offset: Some(offset),
    };
    let n = rows as u32;
    let queries = [
        ("top of the list", page(0, None, None, None)),
        ("middle of the list", page(n / 2, None, None, None)),
        ("end of the list", page(n - 100, None, None, None)),
        ("year 2020, middle", page(n / 20, Some(2020), None, None)),
        ("fund infra, middle", page(n / 8, None, Some("infra"), None)),
        ("search \"backer 42\"", page(0, None, None, Some("backer 42"))),
    ];
    let mut slowest_list = Duration::ZERO;
    for (name, filter) in &queries {
        let _ = home.transaction_page(filter).unwrap();
        let d = median(5, || drop(home.transaction_page(filter).unwrap()));
        if !name.starts_with("search") {
            slowest_list = slowest_list.max(d);
        }
        println!("list {name:<36} {:>8.2} ms", ms(d));
    }
    println!("slowest list window (without search): {:.2} ms (goal ≤ 50 ms)", ms(slowest_list));

    if let Some(ledger) = peer("ledger", &journal) {
        println!(
            "ledger balance: {:.0} ms — slowest report is {:.0}× faster (goal ≥ 20×)",
            ms(ledger),
            ledger.as_secs_f64() / slowest.as_secs_f64()
        );
    } else {
        println!("ledger: not installed (scripts/setup.sh bench installs it)");
    }
    if rows <= hledger_max {
        if let Some(hledger) = peer("hledger", &journal) {
            println!(
                "hledger balance: {:.0} ms — slowest report is {:.0}× faster",
                ms(hledger),
                hledger.as_secs_f64() / slowest.as_secs_f64()
            );
        } else {
            println!("hledger: not installed or failed");
        }
    } else {
        println!("hledger: skipped above {hledger_max} rows (BENCH_HLEDGER_MAX)");
    }

    if rows <= 100_000 {
        // The import travels as signed bundles: seal them, then a second member opens,
        // verifies and applies them.
        let folder = root.join(format!("shared{rows}"));
        std::fs::create_dir(&folder).unwrap();
        let mut reader = self::home(root, &format!("board{rows}"));
        let cert = reader.key().public_armored().unwrap();
        let member =
            RosterMember::from_cert(Path::new("board"), cert.as_bytes(), Role::Board, chrono::Utc::now()).unwrap();
        let pass = Passphrase::from("benchmark");
        let key = home.unlock(&pass).unwrap();
        let ws = home.create_workspace("Benchmark", &folder, vec![member], &key).unwrap();
        let t = Instant::now();
        let wrote = home.sync(&key).unwrap();
        println!("sync write: {} bundles in {:.2} s", wrote.written.len(), t.elapsed().as_secs_f64());
        let reader_key = reader.unlock(&pass).unwrap();
        reader.join_workspace(&folder, &ws.id, &reader_key).unwrap();
        let t = Instant::now();
        let read = reader.sync(&reader_key).unwrap();
        assert!(read.rejected.is_empty(), "{:?}", read.rejected);
        println!("sync read (join: decrypt, verify, apply {rows} rows): {:.2} s", t.elapsed().as_secs_f64());
        assert_eq!(
            reader.report_balance(BalanceBy::Fund, None, None).unwrap(),
            home.report_balance(BalanceBy::Fund, None, None).unwrap()
        );
    }
}

fn main() {
    let only: Option<usize> = std::env::var("BENCH_ROWS").ok().and_then(|v| v.parse().ok());
    let hledger_max = std::env::var("BENCH_HLEDGER_MAX").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let root = tempfile::tempdir().expect("a temporary folder");
    for rows in [100_000, 1_000_000] {
        if only.is_none_or(|n| n == rows) {
            run(rows, root.path(), hledger_max);
        }
    }
}
