//! Makes the fixtures and seed corpora of the fuzz targets:
//!
//!     cd fuzz && cargo run --example make_seeds
//!
//! `fixtures/alice.asc` and `bob.asc` are made only when missing (the seeds are sealed
//! to them); the genesis and every seed are made anew. Alice's home creates a
//! workspace with Bob and writes real bundles through the same calls a board makes:
//! partners, a finance import, fund mapping, budgets, decisions and votes. Her bundles,
//! their payloads and operations seed `bundle_reader`; the payloads, one per line,
//! seed `bundle_sync`; the finance fixtures of tests/fixtures seed the import readers.

use countersign_core::formats::bundle::{self, BundlePayload};
use countersign_core::formats::{canonical, envelope};
use countersign_core::Choice;
use countersign_core::KeySource;
use countersign_core::Scope;
use countersign_core::Source;
use countersign_core::{Change, DecisionKind, NewDecision};
use countersign_core::{Clock, FixedClock, Home};
use countersign_core::{Kind, NewContact, NewInteraction, NewPartner, PartnerUpdate, Stage};
use countersign_core::{Passphrase, SecretKey};
use countersign_core::{Role, RosterMember};
use countersign_fuzz::{fixtures_dir, key_time, now, replace, PASSPHRASE};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = fuzz.parent().ok_or("fuzz/ has a parent")?;
    let fixtures = fixtures_dir();
    fs::create_dir_all(&fixtures)?;
    let pass = Passphrase::from(PASSPHRASE);
    for (file, name) in [("alice.asc", "Alice"), ("bob.asc", "Bob")] {
        let path = fixtures.join(file);
        if !path.exists() {
            let email = format!("{}@example.org", name.to_lowercase());
            fs::write(&path, SecretKey::generate(name, &email, &pass, key_time())?.to_armored()?)?;
            println!("made {}", path.display());
        }
    }

    let scratch = tempfile::tempdir()?;
    let shared = scratch.path().join("shared");
    fs::create_dir(&shared)?;
    // An hour before the targets' `now`: everything signed here is valid then.
    let clock = Arc::new(FixedClock::new(now() - chrono::Duration::hours(1), 1000));
    let import = |dir: &str, file: &str| -> Res<Home> {
        let key = fixtures.join(file);
        Ok(Home::init(
            &scratch.path().join(dir),
            KeySource::Import { path: &key, name: None, email: None },
            &pass,
            clock.clone(),
        )?)
    };
    let mut alice = import("alice", "alice.asc")?;
    let bob = import("bob", "bob.asc")?;
    let alice_key = alice.unlock(&pass)?;
    let bob_cert = bob.key().public_armored()?;
    let member = RosterMember::from_cert(Path::new("bob.asc"), bob_cert.as_bytes(), Role::Board, clock.now())?;
    let ws = alice.create_workspace("Fuzz Foundation", &shared, vec![member], &alice_key)?;
    let ws_dir = shared.join(&ws.id);
    fs::copy(ws_dir.join(bundle::GENESIS_FILE), fixtures.join("genesis.pgp"))?;

    // Partners (scope all, and one the board alone reads).
    let partner = |name: &str, scope: Option<Scope>| NewPartner {
        name: name.into(),
        kind: Kind::Company,
        stage: Stage::Prospect,
        tags: vec!["sponsor".into()],
        website: Some("https://example.org".into()),
        scope,
    };
    alice.add_partner(partner("Acme Hosting", None))?;
    alice.add_contact(
        "Acme Hosting",
        NewContact {
            name: "Rita Jansen".into(),
            email: Some("rita@example.org".into()),
            role: Some("CTO".into()),
            scope: None,
        },
    )?;
    alice.log_interaction(
        "Acme Hosting",
        NewInteraction {
            channel: "email".into(),
            summary: "Asked about sponsoring the CI machines".into(),
            date: None,
            next_step: Some("send the deck".into()),
            due: Some(clock.today() + chrono::Days::new(7)),
            force: false,
            scope: None,
        },
    )?;
    alice.claim_partner("Acme Hosting", 30, false)?;
    alice.update_partner(
        "Acme Hosting",
        PartnerUpdate { stage: Some(Stage::Contacted), owner: Some("me".into()), ..Default::default() },
    )?;
    alice.add_partner(partner("Quiet Donor", Some(Scope::parse("board")?)))?;
    alice.sync(&alice_key)?;

    // Finance: an Open Collective import, a fund, a budget.
    let finance = repo.join("tests/fixtures/finance");
    alice.import_finance(Source::OpenCollective, &finance.join("oc-2023.csv"), &Scope::finance(), &mut |_| {})?;
    alice.import_finance(Source::Eboekhouden, &finance.join("eboekhouden-api"), &Scope::finance(), &mut |_| {})?;
    let account = alice.fund_accounts()?.first().map(|a| a.account.clone()).ok_or("an account to map")?;
    alice.map_fund(&account, "infrastructure", &Scope::finance())?;
    alice.set_budget("infrastructure", 2026, "12000", "EUR", &Scope::finance())?;
    alice.sync(&alice_key)?;

    // Decisions: a budget decision, a roster change and a rules change, with votes.
    let decision = alice.propose_decision(
        NewDecision {
            kind: Some(DecisionKind::Budget),
            title: "Budget 2026".into(),
            body: "Infrastructure, 12,000 euros".into(),
            amount: Some("12000".into()),
            currency: Some("EUR".into()),
            fund: Some("infrastructure".into()),
            closes: None,
            scope: None,
        },
        None,
    )?;
    alice.vote(&decision, Choice::Approve, Some("as discussed".into()), &alice_key)?;
    let roster = alice
        .propose_change(Change::MemberRole { fingerprint: bob.fingerprint().clone(), role: Role::Treasurer }, None)?;
    alice.vote(&roster, Choice::Approve, None, &alice_key)?;
    let mut rules = alice.rules()?;
    rules.decisions.insert("sponsorship".into(), "majority board quorum 2; from 5000: unanimous board".into());
    rules.funding_expiry_months = 18;
    let rules = alice.propose_change(Change::RulesSet { rules }, None)?;
    alice.vote(&rules, Choice::Object, Some("not yet".into()), &alice_key)?;
    alice.sync(&alice_key)?;

    // The bundles, in chain order, and their payloads.
    let chain = ws_dir.join(alice.fingerprint().as_str()).join(alice.device());
    let mut files: Vec<PathBuf> = fs::read_dir(&chain)?.flatten().map(|e| e.path()).collect();
    files.sort();
    let certs = [alice.key().cert(), bob.key().cert()];
    let mut sealed = Vec::new();
    let mut payloads = Vec::new();
    for file in &files {
        let bytes = fs::read(file)?;
        let opened = envelope::open(&bytes, &alice_key, &certs)?;
        let payload: BundlePayload = canonical::from_bytes(&opened.payload)?;
        sealed.push(bytes);
        payloads.push(payload);
    }
    println!("Alice wrote {} bundles", payloads.len());

    let corpus = fuzz.join("corpus");
    let target = |name: &str| -> Res<PathBuf> {
        let dir = corpus.join(name);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir)?;
        Ok(dir)
    };

    // bundle_reader: sealed files, payloads, one operation of each kind.
    let dir = target("bundle_reader")?;
    fs::copy(ws_dir.join(bundle::GENESIS_FILE), dir.join("genesis.pgp"))?;
    let mut kinds = std::collections::BTreeSet::new();
    for (i, (bytes, payload)) in sealed.iter().zip(&payloads).enumerate() {
        let seq = i + 1;
        fs::write(dir.join(format!("bundle-{seq}.pgp")), bytes)?;
        fs::write(dir.join(format!("payload-{seq}.json")), canonical::to_bytes(payload)?)?;
        for op in &payload.ops {
            let value = serde_json::to_value(&op.body)?;
            let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or("op").to_string();
            if kinds.insert(kind.clone()) {
                fs::write(dir.join(format!("op-{kind}.json")), op.to_bytes())?;
            }
        }
        // A vote's signature, for the detached-signature layer.
        for op in &payload.ops {
            if let countersign_core::OpBody::DecisionVote { signature, .. } = &op.body {
                fs::write(dir.join("vote-signature.asc"), signature)?;
            }
        }
    }

    // bundle_sync: each payload alone (as seq 1), and the chain from the start.
    let dir = target("bundle_sync")?;
    // The target seals each line anew: the hashes that change with sealing are
    // placeholders it fills in.
    let line = |payload: &BundlePayload, prev: bool| -> Res<Vec<u8>> {
        let mut bytes = canonical::to_bytes(payload)?;
        if let Some(digest) = &payload.envelope {
            bytes = replace(&bytes, digest.as_bytes(), b"@envelope@");
        }
        Ok(match (&payload.prev, prev) {
            (Some(hash), true) => replace(&bytes, hash.as_bytes(), b"@prev@"),
            _ => bytes,
        })
    };
    for (i, payload) in payloads.iter().enumerate() {
        let alone = BundlePayload { seq: 1, prev: None, ..payload.clone() };
        fs::write(dir.join(format!("alone-{}", i + 1)), line(&alone, false)?)?;
    }
    let mut chain_text = Vec::new();
    for (i, payload) in payloads.iter().enumerate() {
        chain_text.extend(line(payload, true)?);
        chain_text.push(b'\n');
        fs::write(dir.join(format!("chain-1-{}", i + 1)), &chain_text)?;
    }

    // The import readers: the fixtures of tests/fixtures/finance.
    let dir = target("opencollective_csv")?;
    for entry in fs::read_dir(&finance)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".csv") {
            fs::copy(entry.path(), dir.join(&name))?;
        }
    }
    let dir = target("eboekhouden_ledger_card")?;
    for entry in fs::read_dir(&finance)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("grootboekkaart") {
            let text = fs::read_to_string(entry.path())?;
            fs::write(dir.join(&name), &text)?;
            // Older exports are Windows-1252: the same card with accents and a euro sign.
            let legacy = text.replace("Stichting", "Stichting Caf\u{e9}").replace("\t1.", "\t\u{20ac} 1.");
            fs::write(dir.join(format!("{name}.cp1252")), windows_1252(&legacy))?;
        }
    }
    let dir = target("eboekhouden_json")?;
    for entry in fs::read_dir(&finance)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("eboekhouden") && entry.path().is_dir() {
            fs::write(dir.join(&name), api_folder_input(&entry.path())?)?;
        }
    }
    println!("seeds written to {}", corpus.display());
    Ok(())
}

/// Text as Windows-1252 bytes (each char that has a byte there; others as `?`).
fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            c if (c as u32) < 0x80 || (0xA0..=0xFF).contains(&(c as u32)) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// A folder of saved API responses as one `eboekhouden_json` input: mutation, ledger,
/// cost centre and relation responses, separated by NUL bytes. A kind with one file
/// keeps its bytes; several files of a kind (a `mutation/` folder) become one list.
fn api_folder_input(dir: &Path) -> Res<Vec<u8>> {
    let mut files: [Vec<PathBuf>; 4] = Default::default();
    let mut stack = vec![(dir.to_path_buf(), None::<usize>)];
    while let Some((path, kind)) = stack.pop() {
        for entry in fs::read_dir(&path)?.flatten() {
            let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
            let kind = kind
                .or_else(|| ["mutation", "ledger", "costcent", "relation"].iter().position(|k| name.starts_with(k)));
            let Some(kind) = kind else { continue };
            if entry.path().is_dir() {
                stack.push((entry.path(), Some(kind)));
            } else if name.ends_with(".json") {
                files[kind].push(entry.path());
            }
        }
    }
    let mut out = Vec::new();
    for (i, mut paths) in files.into_iter().enumerate() {
        if i > 0 {
            out.push(0);
        }
        paths.sort();
        if paths.len() == 1 {
            out.extend(fs::read(&paths[0])?);
            continue;
        }
        let mut items = Vec::new();
        for path in paths {
            match serde_json::from_slice(&fs::read(&path)?)? {
                serde_json::Value::Object(mut map) if map.get("items").is_some_and(|i| i.is_array()) => {
                    if let Some(serde_json::Value::Array(list)) = map.remove("items") {
                        items.extend(list);
                    }
                }
                serde_json::Value::Array(list) => items.extend(list),
                one => items.push(one),
            }
        }
        out.extend(serde_json::to_vec_pretty(&serde_json::json!({ "items": items }))?);
    }
    Ok(out)
}
