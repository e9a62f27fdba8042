//! The whole bundle reader, as a member meets a hostile folder: each line of the input
//! (canonical JSON never holds a raw newline) is the payload of one bundle of Alice's
//! device chain, sealed by Alice to the roster and written as `00000001.pgp`,
//! `00000002.pgp`, … into a real workspace folder; Bob's home, fresh from a snapshot
//! taken after joining, then syncs (open, check, place in the chain, apply, governance)
//! and the views read what was applied. Sealing picks a new session key each time, so a
//! bundle's hash and recipient packets are new each run: `@prev@` in a line stands for
//! the hash of the file before it, `@envelope@` for the digest of its own recipient
//! packets (`BundlePayload::envelope`). Seeds: the payloads of real bundles Alice wrote (partners, finance
//! imports, budgets, decisions and votes), alone and as chains.
#![no_main]

use countersign_core::formats::{bundle, envelope};
use countersign_core::DecisionFilter;
use countersign_core::KeySource;
use countersign_core::PartnerFilter;
use countersign_core::Passphrase;
use countersign_core::TransactionFilter;
use countersign_core::{FixedClock, Home};
use countersign_fuzz::{fixture, fixtures_dir, now, replace, scratch_dir, PASSPHRASE};
use libfuzzer_sys::fuzz_target;
use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// At most this many bundles per input.
const MAX_BUNDLES: usize = 6;

struct World {
    home: PathBuf,
    /// Bob's home right after joining: file name and bytes.
    snapshot: Vec<(PathBuf, Vec<u8>)>,
    workspace: PathBuf,
    chain: PathBuf,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let f = fixture();
        let root = scratch_dir("countersign-fuzz-sync");
        let shared = root.join("shared");
        let workspace = shared.join(&f.workspace);
        fs::create_dir_all(&workspace).expect("the workspace folder");
        fs::write(workspace.join(bundle::GENESIS_FILE), &f.genesis).expect("the genesis");
        let home = root.join("bob");
        let mut bob = Home::init(
            &home,
            KeySource::Import { path: &fixtures_dir().join("bob.asc"), name: None, email: None },
            &Passphrase::from(PASSPHRASE),
            Arc::new(FixedClock::new(now(), 1)),
        )
        .expect("Bob's home");
        bob.join_workspace(&shared, &f.workspace, &f.bob_key).expect("Bob joins");
        drop(bob);
        let snapshot = fs::read_dir(&home)
            .expect("Bob's home")
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| (e.file_name().into(), fs::read(e.path()).expect("a home file")))
            .collect();
        let chain = workspace.join(f.alice.fingerprint().as_str()).join(&f.alice_device);
        World { home, snapshot, workspace, chain }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let w = world();
    // A fresh home and a folder holding only the genesis.
    let _ = fs::remove_dir_all(&w.home);
    fs::create_dir_all(&w.home).expect("Bob's home");
    for (name, bytes) in &w.snapshot {
        fs::write(w.home.join(name), bytes).expect("a home file");
    }
    for entry in fs::read_dir(&w.workspace).expect("the workspace folder").flatten() {
        if entry.file_name() != bundle::GENESIS_FILE {
            let path = entry.path();
            let _ = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
        }
    }
    fs::create_dir_all(&w.chain).expect("Alice's chain folder");

    let mut prev: Option<String> = None;
    let lines = data.split(|&b| b == b'\n').filter(|l| !l.is_empty()).take(MAX_BUNDLES);
    for (i, line) in lines.enumerate() {
        let payload = match &prev {
            Some(hash) => replace(line, b"@prev@", hash.as_bytes()),
            None => line.to_vec(),
        };
        let bind = |digest: &str| Ok(replace(&payload, b"@envelope@", digest.as_bytes()));
        let sealed = envelope::seal_bound(bind, &f.alice_key, &f.roster, now()).expect("sealing works");
        prev = Some(bundle::hash(&sealed));
        fs::write(w.chain.join(bundle::file_name(i as u64 + 1)), sealed).expect("a bundle file");
    }

    let mut bob = Home::open(&w.home, Arc::new(FixedClock::new(now(), 1)), &f.bob_key).expect("Bob's home opens");
    match bob.sync(&f.bob_key) {
        // FUZZ_VERBOSE=1 with an input file shows what became of its bundles.
        Ok(report) if std::env::var_os("FUZZ_VERBOSE").is_some() => {
            eprintln!("applied {:?}", report.applied.iter().map(|b| b.seq).collect::<Vec<_>>());
            eprintln!("waiting {:?}", report.waiting);
            eprintln!("rejected {:?}", report.rejected);
        }
        Ok(_) => {}
        // A bad file should be refused, not stop the sync: say so (once per kind) for a
        // look, without failing, since some errors are the folder's, not the file's.
        Err(e) => {
            static SEEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
            let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
            if seen.len() < 50 && !seen.contains(&e.to_string()) {
                eprintln!("bundle_sync: sync failed: {e}");
                seen.push(e.to_string());
            }
            return;
        }
    }
    // The views over what was applied.
    let _ = bob.digest();
    let _ = bob.overview();
    let _ = bob.decisions(&DecisionFilter::default());
    let _ = bob.list_partners(&PartnerFilter::default());
    let _ = bob.transactions(&TransactionFilter::default());
    let _ = bob.report_available(Some(2026), None);
    let _ = bob.sync_status();
});
