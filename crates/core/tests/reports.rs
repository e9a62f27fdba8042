//! Every report, once, over the same fixture books: the Open Collective exports of
//! 2023 and 2024 (`tests/fixtures/finance/oc-*.csv`, built from Open Collective's own
//! CSV definition, see formats.md) and the e-boekhouden API responses of 2025
//! (`eboekhouden-api/`, from its swagger), with a fund map, budgets and a partner.
//! Each report's table (what `report … --format csv` prints and the app exports) is
//! compared with `tests/reports/<report>.csv`; `UPDATE_EXPECT=1` rewrites them after a
//! deliberate change, for review in the diff.

use countersign_core::{
    BalanceBy, FixedClock, Home, KeySource, Kind, NewPartner, Passphrase, Period, ReportKind, ReportRequest, Scope,
    Source, Stage,
};
use std::path::Path;
use std::sync::Arc;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/finance").join(name)
}

/// A home holding the fixture books, as a treasurer would set it up.
fn books(dir: &Path) -> Home {
    let clock = Arc::new(FixedClock::at_date(2025, 6, 1));
    let source = KeySource::Generate { name: "Treasurer", email: "treasurer@example.org" };
    let mut home = Home::init(dir, source, &Passphrase::from("reports"), clock).expect("a home");
    let finance = Scope::finance();
    for file in ["oc-2023.csv", "oc-rest.csv"] {
        home.import_finance(Source::OpenCollective, &fixture(file), &finance, &mut |_| {}).expect(file);
    }
    home.import_finance(Source::Eboekhouden, &fixture("eboekhouden-api"), &finance, &mut |_| {}).expect("e-boekhouden");
    home.map_fund("opencollective:summer-of-nix", "summer-of-nix", &finance).expect("fund map");
    home.set_budget("summer-of-nix", 2024, "500.00", "USD", &finance).expect("budget");
    home.set_budget("infrastructure", 2025, "2000.00", "EUR", &finance).expect("budget");
    home.add_partner(NewPartner {
        name: "Tweag I/O".into(),
        kind: Kind::Company,
        stage: Stage::Partner,
        tags: vec![],
        website: None,
        scope: None,
    })
    .expect("partner");
    home
}

fn request(kind: ReportKind, year: i32) -> ReportRequest {
    ReportRequest { kind, year: Some(year), source: None, by: None, period: None, threshold: None }
}

#[test]
fn every_report_over_the_fixture_books_matches_its_snapshot() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let home = books(&tmp.path().join("home"));
    let oc = Some(Source::OpenCollective);
    let reports = [
        ("balance", ReportRequest { by: Some(BalanceBy::Fund), year: None, ..request(ReportKind::Balance, 0) }),
        ("available", ReportRequest { source: oc, ..request(ReportKind::Available, 2024) }),
        ("budget", ReportRequest { source: oc, ..request(ReportKind::Budget, 2024) }),
        ("income", ReportRequest { period: Some(Period::Quarter), ..request(ReportKind::Income, 2025) }),
        ("annual", ReportRequest { threshold: Some("100".into()), ..request(ReportKind::Annual, 2025) }),
        ("reconcile", request(ReportKind::Reconcile, 2025)),
        ("partners", request(ReportKind::Partners, 2024)),
    ];
    for (name, request) in reports {
        let report = home.report(&request).unwrap_or_else(|e| panic!("report {name}: {e}"));
        let csv = report.table().to_csv();
        assert!(!report.table().rows.is_empty(), "report {name} is empty over the fixture books");
        // The JSON the CLI prints and the app receives is the typed value itself.
        let json = serde_json::to_value(&report).expect("a report serialises");
        assert!(json.is_array() || json.is_object(), "report {name}: {json}");
        expect_test::expect_file![format!("reports/{name}.csv")].assert_eq(&csv);
    }
}
