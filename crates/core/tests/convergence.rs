//! Convergence at scale: five members write bundles while offline from one another —
//! concurrent edits of the same fields, concurrent votes on one decision, and a roster
//! change (Eve's removal, approved while Eve keeps writing) — and a reader receives
//! the very same bundle files in a thousand random arrival orders, in random batches,
//! syncing after each batch. Every order ends with one digest: that of the members
//! themselves once they have read everything.
//!
//! Each member's laptop has its own clock, seconds to days apart.
//!
//! `CONVERGENCE_ORDERS` sets the number of orders (default 1,000).

mod common;

use chrono::{TimeZone, Utc};
use common::{restore_dir, scratch, Member};
use countersign_core::Choice;
use countersign_core::Role;
use countersign_core::{Change, DecisionKind, NewDecision};
use countersign_core::{Clock, FixedClock, Home};
use countersign_core::{PartnerUpdate, Stage};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn stage(m: &mut Member, stage: Stage, notes: &str) {
    let update = PartnerUpdate { stage: Some(stage), notes: Some(notes.into()), ..Default::default() };
    m.home.update_partner("Acme", update).unwrap();
}

#[test]
fn a_thousand_arrival_orders_of_five_members_bundles_give_one_digest() {
    let orders: u32 = std::env::var("CONVERGENCE_ORDERS").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000);
    let root = scratch();
    // Each laptop has its own clock, as real ones do: right, 5 s fast, 10 min fast,
    // 3 days fast, 3 days slow.
    let start = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
    let offsets_ms = [0, 5_000, 600_000, 3 * 86_400_000, -3 * 86_400_000];
    let clocks: Vec<Arc<dyn Clock>> = offsets_ms
        .iter()
        .map(|ms| Arc::new(FixedClock::new(start + chrono::Duration::milliseconds(*ms), 1)) as Arc<dyn Clock>)
        .collect();
    let clock = clocks[0].clone();
    let folder = root.path().join("shared");
    fs::create_dir_all(&folder).unwrap();
    let mut members: Vec<Member> = ["Ann", "Ben", "Cas", "Dee", "Eve"]
        .iter()
        .zip(&clocks)
        .map(|(n, clock)| Member::new(root.path(), n, clock))
        .collect();
    let others = members[1..].iter().zip(&clocks[1..]).map(|(m, clock)| m.roster_entry(Role::Board, clock)).collect();
    let ann = &mut members[0];
    let ws = ann.home.create_workspace("Convergence", &folder, others, &ann.key).unwrap();
    for m in &mut members[1..] {
        m.home.join_workspace(&folder, &ws.id, &m.key).unwrap();
    }
    let ws_dir = folder.join(&ws.id);

    // What everyone has read: a partner, a budget decision, Eve's removal proposed.
    members[0].add_partner("Acme");
    let budget = members[0]
        .home
        .propose_decision(
            NewDecision {
                kind: Some(DecisionKind::Budget),
                title: "Hardware".into(),
                amount: Some("9000".into()),
                currency: Some("EUR".into()),
                closes: Some(clock.today() + chrono::Days::new(30)),
                ..Default::default()
            },
            None,
        )
        .unwrap();
    let eve = members[4].home.fingerprint().clone();
    let removal = members[0].home.propose_change(Change::MemberRemove { fingerprint: eve }, None).unwrap();
    for _ in 0..2 {
        for m in &mut members {
            m.sync();
        }
    }

    // Offline, each on their own laptop: the same fields edited, votes cast, Eve's
    // removal approved by three while Eve goes on writing. Each writes bundles
    // without reading the others'.
    let choices = [Choice::Approve, Choice::Object, Choice::Approve, Choice::Approve, Choice::Abstain];
    let stages = [Stage::Contacted, Stage::InDiscussion, Stage::Partner, Stage::Declined, Stage::Lapsed];
    for (i, m) in members.iter_mut().enumerate() {
        stage(m, stages[i], &format!("{}'s view", m.home.info().name));
        m.home.vote(&budget, choices[i], None, &m.key).unwrap();
        if i < 3 {
            m.home.vote(&removal, Choice::Approve, None, &m.key).unwrap();
        }
        m.add_partner(&format!("Org of member {i}"));
        m.home.write_pending(&m.key, 2).unwrap();
        stage(m, stages[(i + 1) % 5], &format!("{}'s second thought", m.home.info().name));
        m.home.write_pending(&m.key, 100).unwrap();
    }
    let bundles: Vec<PathBuf> = members.iter().flat_map(|m| m.chain(&ws_dir)).collect();
    assert!(bundles.len() >= 10, "{} bundles", bundles.len());

    // The members themselves, once everyone has read everything, agree.
    for _ in 0..3 {
        // Eve, removed, can no longer write; her bundles are in the folder already.
        for m in &mut members[..4] {
            m.sync();
        }
    }
    let digests: BTreeSet<String> = members[..4].iter().map(|m| m.home.digest().unwrap()).collect();
    assert_eq!(digests.len(), 1, "the members who stay disagree");
    let expected = digests.into_iter().next().unwrap();
    assert_eq!(members[0].home.roster().unwrap().len(), 4, "Eve's removal took effect");

    // The readers: laptops of Ben's, one per core, each with a folder of its own that
    // receives the files; the orders are shared among them.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    let readers: Vec<Reader> =
        (0..workers).map(|w| Reader::new(root.path(), w, &members[1], &ws_dir, &ws.id, &clocks[1])).collect();
    let seen: BTreeSet<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = readers
            .into_iter()
            .enumerate()
            .map(|(w, reader)| {
                let (bundles, ws_dir, clock, expected) = (&bundles, &ws_dir, &clocks[1], &expected);
                scope.spawn(move || {
                    let mut runner = TestRunner::new_with_rng(
                        Config::default(),
                        TestRng::from_seed(RngAlgorithm::ChaCha, &[w as u8; 32]),
                    );
                    let mut seen = BTreeSet::new();
                    for n in (w..orders as usize).step_by(workers) {
                        let digest = reader.receive(&mut runner, bundles, ws_dir, clock);
                        assert_eq!(&digest, expected, "order {n} gave another digest");
                        seen.insert(digest);
                    }
                    seen
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    println!("convergence: {orders} arrival orders of {} bundles from 5 members: {} digest", bundles.len(), seen.len());
    assert_eq!(seen.len(), 1);
}

/// A reader's home and shared folder as they were when it joined, to start each
/// order from.
struct Reader {
    key: countersign_core::UnlockedKey,
    dir: PathBuf,
    template: PathBuf,
    folder_ws: PathBuf,
    empty_folder_ws: PathBuf,
}

impl Reader {
    fn new(root: &Path, w: usize, of: &Member, ws_dir: &Path, ws_id: &str, clock: &Arc<dyn Clock>) -> Reader {
        let folder = root.join(format!("reader-{w}-shared"));
        let folder_ws = folder.join(ws_id);
        fs::create_dir_all(&folder_ws).unwrap();
        fs::copy(ws_dir.join("genesis.pgp"), folder_ws.join("genesis.pgp")).unwrap();
        let mut reader = Member::device_of(of, &root.join(format!("reader-{w}")), clock);
        reader.home.join_workspace(&folder, ws_id, &reader.key).unwrap();
        let dir = reader.home.dir().to_path_buf();
        drop(reader.home);
        let template = root.join(format!("reader-{w}-template"));
        restore_dir(&dir, &template);
        let empty_folder_ws = root.join(format!("reader-{w}-empty"));
        restore_dir(&folder_ws, &empty_folder_ws);
        Reader { key: reader.key, dir, template, folder_ws, empty_folder_ws }
    }

    /// One arrival order: the bundles shuffled, in up to four batches with a sync
    /// after each. Returns the digest reached.
    fn receive(&self, runner: &mut TestRunner, bundles: &[PathBuf], ws_dir: &Path, clock: &Arc<dyn Clock>) -> String {
        let order = (Just(bundles.to_vec()).prop_shuffle(), prop::collection::vec(0usize..100, 0..4));
        let (shuffled, cuts) = order.new_tree(runner).unwrap().current();
        restore_dir(&self.template, &self.dir);
        restore_dir(&self.empty_folder_ws, &self.folder_ws);
        let mut home = Home::open(&self.dir, clock.clone(), &self.key).unwrap();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c * shuffled.len() / 100).collect();
        cuts.push(shuffled.len());
        cuts.sort();
        let mut start = 0;
        for cut in cuts {
            for file in &shuffled[start..cut] {
                let target = self.folder_ws.join(file.strip_prefix(ws_dir).unwrap());
                fs::create_dir_all(target.parent().unwrap()).unwrap();
                fs::copy(file, target).unwrap();
            }
            start = start.max(cut);
            home.sync(&self.key).unwrap();
        }
        home.digest().unwrap()
    }
}
