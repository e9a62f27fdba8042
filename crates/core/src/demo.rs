//! The demo home: an invented foundation for trying Countersign out. A demo home is
//! marked as such in `home.json` and in every view, and lives in a folder of its own
//! (`countersign-demo`, with its shared folder inside it) so it never mixes with real
//! records.
//!
//! It is built the way a real workspace is: three members with their own keys, a
//! shared folder, partners, two years of Open Collective transactions imported from a
//! generated export, budgets, and decisions proposed and signed by the other members,
//! whose bundles the demo member then reads from the folder.

use crate::base::clock::Clock;
use crate::base::error::{Error, Result};
use crate::crypto::key::Passphrase;
use crate::decisions::model::NewDecision;
use crate::finance::model::Source;
use crate::home::{Home, KeySource};
use crate::members::role::Role;
use crate::members::roster::RosterMember;
use crate::members::rules::{Choice, DecisionKind};
use crate::members::scope::Scope;
use crate::partners::model::{Kind, NewContact, NewInteraction, NewPartner, PartnerUpdate, Stage};
use chrono::{Datelike, Duration, NaiveDate};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::sync::Arc;

/// The demo member's passphrase. Demo only: it protects nothing of value.
pub const DEMO_PASSPHRASE: &str = "demo";

/// The demo workspace's shared folder, inside the demo home.
pub const DEMO_FOLDER: &str = "shared";
/// The generated Open Collective export the demo imported, kept to try the import with.
pub const DEMO_EXPORT: &str = "demo-opencollective.csv";

/// Creates the demo home in `dir`: the demo member, two other members, a workspace in
/// `dir/shared`, partners, two years of finance data and open decisions.
pub fn create(dir: &Path, clock: Arc<dyn Clock>) -> Result<Home> {
    let passphrase = Passphrase::from(DEMO_PASSPHRASE);
    let source = KeySource::Generate { name: "Demo Member", email: "demo@example.org" };
    let mut home = Home::init_with(dir, source, &passphrase, clock.clone(), true)?;
    let members = dir.join(".demo-members");
    let result = populate(&mut home, dir, &members, &passphrase, clock);
    // The other members' homes only served to sign their bundles; their records are
    // in the shared folder now.
    let _ = fs::remove_dir_all(&members);
    result?;
    Ok(home)
}

fn populate(home: &mut Home, dir: &Path, members: &Path, passphrase: &Passphrase, clock: Arc<dyn Clock>) -> Result<()> {
    let today = clock.today();
    let mine = home.unlock(passphrase)?;
    let mut ada = Home::init_with(
        &members.join("ada"),
        KeySource::Generate { name: "Ada Lindqvist", email: "ada@example.org" },
        passphrase,
        clock.clone(),
        true,
    )?;
    let mut bram = Home::init_with(
        &members.join("bram"),
        KeySource::Generate { name: "Bram de Vries", email: "bram@example.org" },
        passphrase,
        clock.clone(),
        true,
    )?;
    let (ada_key, bram_key) = (ada.unlock(passphrase)?, bram.unlock(passphrase)?);
    let folder = dir.join(DEMO_FOLDER);
    fs::create_dir_all(&folder).map_err(|e| Error::io("create the folder", &folder, e))?;
    // After the keys were made: a certificate is not valid before its creation.
    let now = clock.now();
    let others = vec![
        RosterMember::from_cert(Path::new("Ada"), ada.key().public_armored()?.as_bytes(), Role::Board, now)?,
        RosterMember::from_cert(Path::new("Bram"), bram.key().public_armored()?.as_bytes(), Role::Treasurer, now)?,
    ];
    let workspace = home.create_workspace("NixOS Foundation (demo)", &folder, others, &mine)?;
    ada.join_workspace(&folder, &workspace.id, &ada_key)?;
    bram.join_workspace(&folder, &workspace.id, &bram_key)?;

    let partners: &[(&str, Kind, Stage, &[&str], Option<&str>)] = &[
        ("Acme Cloud", Kind::Company, Stage::Partner, &["hosting", "sponsor"], Some("https://acme.example")),
        ("Borealis Compute", Kind::Company, Stage::InDiscussion, &["ci", "hardware"], None),
        ("City of Utrecht", Kind::PublicAdministration, Stage::Contacted, &["government"], None),
        ("Delft University of Technology", Kind::Academia, Stage::Partner, &["research"], None),
        ("Ember Systems", Kind::Company, Stage::Prospect, &["sponsor"], None),
        ("Fjord Reproducible Builds", Kind::Community, Stage::Partner, &["community"], None),
        ("Granite Networks", Kind::Company, Stage::Lapsed, &["cdn"], None),
        ("Helix Foundation", Kind::Community, Stage::InDiscussion, &["community", "events"], None),
        ("Iris Labs", Kind::Company, Stage::Declined, &["sponsor"], None),
        ("Juniper Research Council", Kind::PublicAdministration, Stage::Prospect, &["grants"], None),
    ];
    for (name, kind, stage, tags, website) in partners {
        // Talks with Borealis are for the board's eyes only (access by role).
        let scope = (*name == "Borealis Compute").then(|| Scope::parse("board")).transpose()?;
        home.add_partner(NewPartner {
            name: name.to_string(),
            kind: *kind,
            stage: *stage,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            website: website.map(str::to_string),
            scope,
        })?;
    }
    home.update_partner(
        "Acme Cloud",
        PartnerUpdate {
            owner: Some("me".into()),
            notes: Some("Hosts the binary cache mirror; renewal due in spring.".into()),
            ..Default::default()
        },
    )?;
    home.add_contact(
        "Acme Cloud",
        NewContact {
            name: "Jo Jansen".into(),
            email: Some("jo@acme.example".into()),
            role: Some("Open source office".into()),
            scope: None,
        },
    )?;
    home.log_interaction(
        "Acme Cloud",
        NewInteraction {
            channel: "call".into(),
            summary: "Discussed renewing the cache sponsorship for another year.".into(),
            date: None,
            next_step: Some("Send the renewal proposal".into()),
            due: None,
            force: false,
            scope: None,
        },
    )?;
    home.log_interaction(
        "Acme Cloud",
        NewInteraction {
            channel: "email".into(),
            summary:
                "Acme hinted they could double the sponsorship if we co-brand the cache; board only until we decide."
                    .into(),
            date: None,
            next_step: None,
            due: None,
            force: false,
            scope: Some(Scope::parse("board")?),
        },
    )?;
    home.claim_partner("Ember Systems", 30, false)?;
    for (name, slug) in [("Acme Cloud", "acme-cloud"), ("Fjord Reproducible Builds", "fjord-builds")] {
        home.update_partner(name, PartnerUpdate { opencollective: Some(slug.into()), ..Default::default() })?;
    }
    // Ada claims an organisation for outreach: the duplicate-outreach warning shows
    // when the demo member logs a contact with it.
    home.sync(&mine)?;
    ada.sync(&ada_key)?;
    ada.claim_partner("Borealis Compute", 21, false)?;

    // Two years of money: the export the treasurer downloads from Open Collective.
    let export = dir.join(DEMO_EXPORT);
    fs::write(&export, opencollective_export(today)).map_err(|e| Error::io("write", &export, e))?;
    bram.import_finance(Source::OpenCollective, &export, &Scope::finance(), &mut |_| {})?;
    for year in [today.year() - 1, today.year()] {
        for (fund, amount) in [("infra", "60000"), ("events", "25000"), ("summer-of-nix", "40000"), ("nixos", "20000")]
        {
            bram.set_budget(fund, year, amount, "EUR", &Scope::finance())?;
        }
    }
    bram.sync(&bram_key)?;

    // Decisions: one approved and partly paid, two waiting for the demo member, one
    // of the demo member's own waiting for the others.
    let decide = |kind, title: &str, body: &str, amount: Option<&str>, fund: Option<&str>, days: i64| NewDecision {
        kind: Some(kind),
        title: title.into(),
        body: body.into(),
        amount: amount.map(str::to_string),
        currency: amount.map(|_| "EUR".to_string()),
        fund: fund.map(str::to_string),
        closes: Some(today + Duration::days(days)),
        scope: None,
    };
    ada.sync(&ada_key)?;
    let hardware = ada.propose_decision(
        decide(
            DecisionKind::Spending,
            "Build farm hardware",
            "Replace the four oldest build machines. Quotes attached in the board folder.",
            Some("12000"),
            Some("infra"),
            14,
        ),
        None,
    )?;
    ada.vote(&hardware, Choice::Approve, None, &ada_key)?;
    let stipends = bram.propose_decision(
        decide(
            DecisionKind::Spending,
            "Summer of Nix stipends",
            "Stipends for twelve participants, paid monthly from June to September.",
            Some("30000"),
            Some("summer-of-nix"),
            10,
        ),
        None,
    )?;
    let policy = ada.propose_decision(
        decide(
            DecisionKind::WrittenResolution,
            "Adopt the conflict-of-interest policy",
            "The board adopts the conflict-of-interest policy in the version circulated on the mailing list.",
            None,
            None,
            20,
        ),
        None,
    )?;
    ada.vote(&policy, Choice::Approve, None, &ada_key)?;
    ada.sync(&ada_key)?;
    bram.sync(&bram_key)?;
    home.sync(&mine)?;
    home.vote(&hardware, Choice::Approve, Some("The quotes are reasonable.".into()), &mine)?;
    home.link_decision(&hardware, &[format!("opencollective:{HARDWARE_PAYMENT}")])?;
    ada.sync(&ada_key)?;
    ada.vote(&stipends, Choice::Approve, None, &ada_key)?;
    ada.sync(&ada_key)?;
    home.propose_decision(
        decide(
            DecisionKind::Spending,
            "NixCon travel grants",
            "Travel grants for ten contributors who could not attend otherwise.",
            Some("5000"),
            Some("events"),
            21,
        ),
        None,
    )?;
    home.sync(&mine)?;
    Ok(())
}

/// The legacy id of the build-farm payment, linked to the approved hardware decision.
const HARDWARE_PAYMENT: u64 = 9_000_001;

/// An Open Collective export (recommended layout) of two years up to `today`:
/// monthly sponsorships and backers with their processor fees, hosting, travel,
/// events and summer stipends, and one build-farm payment.
fn opencollective_export(today: NaiveDate) -> String {
    let mut out = String::from(
        "datetime,effectiveDate,legacyId,group,type,kind,description,amount,netAmount,currency,accountSlug,oppositeAccountSlug,oppositeAccountName,expenseType,accountingCategoryCode\n",
    );
    let mut id = 8_000_000u64;
    let mut row = |out: &mut String,
                   date: NaiveDate,
                   kind: &str,
                   what: &str,
                   cents: i64,
                   account: &str,
                   who: (&str, &str),
                   category: &str| {
        id += 1;
        let money = rust_decimal::Decimal::new(cents, 2);
        let side = if cents >= 0 { "CREDIT" } else { "DEBIT" };
        let expense = if kind == "EXPENSE" { "INVOICE" } else { "" };
        let _ = writeln!(
            out,
            "{date}T10:00:00,{date}T12:00:00,{id},g{id},{side},{kind},\"{what}\",{money},{money},EUR,{account},{},\"{}\",{expense},{category}",
            who.0, who.1
        );
    };
    let start = NaiveDate::from_ymd_opt(today.year() - 1, 1, 1).unwrap_or(today);
    let mut month = start;
    let mut n = 0i64;
    while month <= today {
        let day = |d: u32| month.with_day(d).filter(|date| *date <= today);
        if let Some(date) = day(3) {
            row(
                &mut out,
                date,
                "CONTRIBUTION",
                "Monthly sponsorship",
                250_000,
                "nixos",
                ("acme-cloud", "Acme Cloud"),
                "",
            );
            row(&mut out, date, "PAYMENT_PROCESSOR_FEE", "Processor fee", -7_275, "nixos", ("stripe", "Stripe"), "");
        }
        for backer in 0..12 {
            if let Some(date) = day(5 + backer as u32) {
                let cents = 2_500 + ((n * 37 + backer * 53) % 20) * 500;
                let who = format!("backer-{backer}");
                let name = format!("Backer {}", backer + 1);
                row(&mut out, date, "CONTRIBUTION", "Monthly contribution", cents, "nixos", (&who, &name), "");
                row(
                    &mut out,
                    date,
                    "PAYMENT_PROCESSOR_FEE",
                    "Processor fee",
                    -(cents * 29 / 1000 + 25),
                    "nixos",
                    ("stripe", "Stripe"),
                    "",
                );
            }
        }
        if let Some(date) = day(8).filter(|_| month.month() % 3 == 1) {
            row(
                &mut out,
                date,
                "CONTRIBUTION",
                "Quarterly grant",
                600_000,
                "infra",
                ("fjord-builds", "Fjord Reproducible Builds"),
                "",
            );
        }
        if let Some(date) = day(20) {
            row(
                &mut out,
                date,
                "EXPENSE",
                "Build farm hosting",
                -310_000 - (n % 4) * 12_500,
                "infra",
                ("hetzner", "Hetzner Online"),
                "Infrastructure",
            );
            row(
                &mut out,
                date,
                "EXPENSE",
                "Binary cache storage",
                -145_000 - (n % 3) * 9_000,
                "infra",
                ("fastly", "Fastly"),
                "Infrastructure",
            );
        }
        if let Some(date) = day(24).filter(|_| n % 2 == 0) {
            row(
                &mut out,
                date,
                "EXPENSE",
                "Contributor travel",
                -42_000 - (n % 5) * 8_000,
                "events",
                ("travel", "Travel reimbursements"),
                "Travel",
            );
        }
        if let Some(date) = day(26).filter(|_| (6..=9).contains(&month.month())) {
            row(
                &mut out,
                date,
                "EXPENSE",
                "Summer of Nix stipends",
                -480_000,
                "summer-of-nix",
                ("participants", "Summer of Nix participants"),
                "Stipends",
            );
        }
        if let Some(date) = day(15).filter(|_| month.month() == 10) {
            row(
                &mut out,
                date,
                "EXPENSE",
                "NixCon venue",
                -1_150_000,
                "events",
                ("venue", "Conference venue"),
                "Events",
            );
        }
        n += 1;
        month = month.checked_add_months(chrono::Months::new(1)).unwrap_or(today + Duration::days(1));
    }
    // The build farm's first payment, this month: linked to its decision.
    let money = rust_decimal::Decimal::new(-840_000, 2);
    let _ = writeln!(
        out,
        "{today}T09:00:00,{today}T09:00:00,{HARDWARE_PAYMENT},g{HARDWARE_PAYMENT},DEBIT,EXPENSE,\"Build farm servers (first half)\",{money},{money},EUR,infra,server-vendor,\"Server vendor\",INVOICE,Infrastructure"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decisions::model::Status;
    use crate::finance::model::TransactionFilter;
    use crate::overview::ActivityKind;
    use crate::partners::model::PartnerFilter;
    use crate::FixedClock;

    #[test]
    fn the_demo_is_a_workspace_of_three_with_money_and_decisions_waiting_for_the_member() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let dir = tmp.path().join("demo");
        let home = create(&dir, Arc::new(FixedClock::at_date(2026, 11, 20))).expect("demo");
        assert!(home.info().demo);
        assert!(!dir.join(".demo-members").exists(), "the other members' homes are gone");

        let roster = home.roster().expect("roster");
        assert_eq!(roster.len(), 3);
        assert_eq!(home.list_partners(&PartnerFilter::default()).expect("partners").len(), 10);
        let borealis = home.partner_detail("Borealis Compute").expect("detail");
        assert_eq!(borealis.summary.claims.len(), 1, "Ada's claim arrived through the folder");

        let overview = home.overview().expect("overview");
        let waiting: Vec<&str> = overview.needs_signature.iter().map(|d| d.title.as_str()).collect();
        // Soonest deadline first; a proposer signs their own proposal like everyone else.
        assert_eq!(
            waiting,
            ["Summer of Nix stipends", "Adopt the conflict-of-interest policy", "NixCon travel grants"]
        );
        assert_eq!(overview.open_decisions, 3);
        let infra = overview.available.iter().find(|l| l.fund == "infra").expect("infra line");
        assert_eq!(infra.budget, "60000.00");
        assert_eq!(infra.committed, "3600.00", "12,000 approved, 8,400 of it paid");
        assert!(overview.activity.iter().any(|a| a.kind == ActivityKind::Vote));
        let sync = overview.sync.expect("in a workspace");
        assert!(sync.rejected.is_empty() && sync.waiting.is_empty(), "{sync:?}");
        assert_eq!(sync.pending_operations, 0);

        let hardware = home.decisions(&Default::default()).expect("decisions");
        let hardware = hardware.iter().find(|d| d.title == "Build farm hardware").expect("hardware");
        assert_eq!(hardware.status, Status::Approved);

        let all = home.transactions(&TransactionFilter::default()).expect("transactions");
        let years: std::collections::BTreeSet<i32> = all.iter().map(|t| t.date.year()).collect();
        // The list's windows, read through the monthly totals, are the full list's slices.
        for (offset, fund) in [(0, None), (37, None), (all.len() as u32 - 5, None), (12, Some("infra"))] {
            let filter = TransactionFilter {
                fund: fund.map(str::to_string),
                limit: Some(20),
                offset: Some(offset),
                ..Default::default()
            };
            let page = home.transaction_page(&filter).expect("page");
            let expected: Vec<_> = all
                .iter()
                .filter(|t| fund.is_none_or(|f| t.fund == f))
                .skip(offset as usize)
                .take(20)
                .map(|t| t.id.clone())
                .collect();
            assert_eq!(
                page.rows.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
                expected,
                "offset {offset} {fund:?}"
            );
            let total = all.iter().filter(|t| fund.is_none_or(|f| t.fund == f)).count();
            assert_eq!(page.total as usize, total);
        }
        let search = TransactionFilter { search: Some("fastly".into()), limit: Some(5), ..Default::default() };
        let found = home.transaction_page(&search).expect("search");
        assert_eq!(found.total as usize, all.iter().filter(|t| t.counterparty.as_deref() == Some("fastly")).count());
        assert_eq!(found.rows.len(), 5);
        let past = home.transaction_page(&TransactionFilter { offset: Some(100_000), ..search }).expect("past the end");
        assert!(past.rows.is_empty());
        assert_eq!(past.total, found.total, "scrolled past the end, the count is still given");
        assert_eq!(years.into_iter().collect::<Vec<_>>(), [2025, 2026]);
    }
}
