//! The tamper matrix: from a real workspace (Alice, Bob and Carol on the board, Dora
//! removed by a roster decision, Mallory outside), well over a thousand hostile
//! variants of valid bundles are put in the shared folder, one at a time, beside
//! honest bundles Carol has not read yet. For each, Carol syncs a copy of her home:
//! the variant must not be applied, must be reported (rejected or as a fork) with a
//! reason, and the honest bundles beside it must still apply. The counts are printed.
//!
//! Variants: every single-bit flip of a bundle (two bits per byte, so every region of
//! the envelope: recipient packets, the encrypted container, its integrity check),
//! truncations at every few bytes, files swapped between authors and devices,
//! re-signing by a non-member, replays of old bundles, forks, another workspace's
//! bundles, votes moved onto another decision, bundles of the removed member
//! dated after and before her removal, and a bundle signed before its key was made.

use countersign_core::formats::bundle::{self, BundlePayload, BUNDLE_FORMAT};
use countersign_core::formats::canonical;
use countersign_core::formats::envelope;
use countersign_core::Choice;
use countersign_core::Role;
use countersign_core::Scope;
use countersign_core::{Change, DecisionKind, NewDecision};
use countersign_core::{Clock, FixedClock, Hlc, Home};
use countersign_core::{Kind, PartnerUpdate, Stage};
use countersign_core::{OpBody, Operation};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

mod common;
use common::{copy_dir, restore_dir, scratch, Member};

/// Opens a bundle with Carol's key: its payload.
fn payload_of(bytes: &[u8], reader: &Member, certs: &[sequoia_openpgp::Cert]) -> BundlePayload {
    let opened = envelope::open(bytes, &reader.key, certs).unwrap();
    canonical::from_bytes(&opened.payload).unwrap()
}

/// Seals `payload` as `signer`, bound to its recipient packets as Countersign does.
fn seal(mut payload: BundlePayload, signer: &Member, to: &[sequoia_openpgp::Cert], clock: &Arc<dyn Clock>) -> Vec<u8> {
    let bind = move |digest: &str| {
        payload.envelope = Some(digest.to_string());
        Ok(canonical::to_bytes(&payload)?)
    };
    envelope::seal_bound(bind, &signer.key, to, clock.now()).unwrap()
}

/// Sealed as a forger would, with the signer's own key, but signed at `at`: before
/// the key was made, a time at which the core itself refuses to sign.
fn seal_signed_at(payload: &BundlePayload, signer: &Member, to: &[sequoia_openpgp::Cert], at: SystemTime) -> Vec<u8> {
    use sequoia_openpgp::policy::StandardPolicy;
    use sequoia_openpgp::serialize::stream::{Encryptor, LiteralWriter, Message, Signer};
    use std::io::Write;
    let policy = StandardPolicy::new();
    let recipients: Vec<_> = to
        .iter()
        .flat_map(|cert| cert.keys().with_policy(&policy, None).supported().for_transport_encryption())
        .collect();
    let mut out = Vec::new();
    let message = Encryptor::for_recipients(Message::new(&mut out), recipients).build().unwrap();
    let message = Signer::new(message, signer.key.signer.clone()).unwrap().creation_time(at).build().unwrap();
    let mut literal = LiteralWriter::new(message).build().unwrap();
    literal.write_all(&canonical::to_bytes(payload).unwrap()).unwrap();
    literal.finalize().unwrap();
    out
}

/// One hostile variant: files to put in the folder (path → bytes; an existing honest
/// file at that path is replaced, and restored afterwards).
struct Variant {
    category: &'static str,
    /// Honest bundles it may rightly hold back (a fork stops its chain).
    blocks: Vec<PathBuf>,
    files: Vec<(PathBuf, Vec<u8>)>,
}

#[test]
fn no_hostile_variant_of_a_bundle_is_accepted_and_the_honest_ones_beside_it_apply() {
    let root = scratch();
    let clock: Arc<dyn Clock> = Arc::new(FixedClock::at_date(2026, 11, 20));
    let folder = root.path().join("shared");
    fs::create_dir_all(&folder).unwrap();
    let [mut alice, mut bob, mut carol, mut dora, mallory] =
        ["Alice", "Bob", "Carol", "Dora", "Mallory"].map(|n| Member::new(root.path(), n, &clock));
    let others = [&bob, &carol, &dora].map(|m| m.roster_entry(Role::Board, &clock)).to_vec();
    let ws = alice.home.create_workspace("Tamper Foundation", &folder, others, &alice.key).unwrap();
    for m in [&mut bob, &mut carol, &mut dora] {
        m.home.join_workspace(&folder, &ws.id, &m.key).unwrap();
    }
    let ws_dir = folder.join(&ws.id);

    // History everyone has read: partners, a decision with votes, then Dora's removal.
    alice.add_partner("Acme");
    bob.add_partner("Bolt");
    dora.add_partner("Delta");
    let budget = NewDecision {
        kind: Some(DecisionKind::Budget),
        title: "Sprint budget".into(),
        amount: Some("1500".into()),
        currency: Some("EUR".into()),
        closes: Some(clock.today() + chrono::Days::new(30)),
        ..Default::default()
    };
    let sprint = alice.home.propose_decision(budget.clone(), None).unwrap();
    let other = alice.home.propose_decision(NewDecision { title: "Travel budget".into(), ..budget }, None).unwrap();
    for _ in 0..2 {
        for m in [&mut alice, &mut bob, &mut carol, &mut dora] {
            m.sync();
        }
    }
    carol.home.vote(&other, Choice::Approve, None, &carol.key).unwrap();
    carol.sync();
    let dora_fpr = dora.home.fingerprint().clone();
    let removal = alice.home.propose_change(Change::MemberRemove { fingerprint: dora_fpr.clone() }, None).unwrap();
    alice.home.vote(&removal, Choice::Approve, None, &alice.key).unwrap();
    alice.sync();
    // Dora does not vote on her own removal: Alice and Bob are the majority of three.
    bob.sync();
    bob.home.vote(&removal, Choice::Approve, None, &bob.key).unwrap();
    bob.sync();
    for m in [&mut alice, &mut bob, &mut carol] {
        m.sync();
    }
    alice.sync();
    assert_eq!(carol.home.roster().unwrap().len(), 3, "Dora is removed");

    // Honest bundles Carol has not read: Alice's and Bob's next ones.
    alice.home.vote(&sprint, Choice::Approve, None, &alice.key).unwrap();
    alice.add_partner("Aurora");
    alice.sync();
    bob.home.update_partner("Bolt", PartnerUpdate { notes: Some("Renewal due".into()), ..Default::default() }).unwrap();
    bob.sync();
    let a_chain = alice.chain(&ws_dir);
    let b_chain = bob.chain(&ws_dir);
    let c_chain = carol.chain(&ws_dir);
    let d_chain = dora.chain(&ws_dir);
    let (a_new, b_new) = (a_chain.last().unwrap().clone(), b_chain.last().unwrap().clone());
    let honest_new = [a_new.clone(), b_new.clone()];

    // Carol's home as it stands (the baseline every variant starts from), and the
    // records once she has read the honest bundles.
    let certs: Vec<sequoia_openpgp::Cert> = [&alice, &bob, &carol].iter().map(|m| m.home.key().cert()).collect();
    let all_certs: Vec<sequoia_openpgp::Cert> =
        [&alice, &bob, &carol, &dora].iter().map(|m| m.home.key().cert()).collect();
    let carol_dir = carol.home.dir().to_path_buf();
    let baseline = root.path().join("carol-baseline");
    drop(carol.home);
    copy_dir(&carol_dir, &baseline);
    let mut carol = Member { home: Home::open(&carol_dir, clock.clone(), &carol.key).unwrap(), key: carol.key };
    let honest = carol.sync();
    let honest_files: Vec<&str> = honest.applied.iter().map(|b| b.file.as_str()).collect();
    assert_eq!(honest_files.len(), 2, "{honest_files:?}");
    let honest_digest = carol.home.digest().unwrap();
    let a_new_bytes = fs::read(&a_new).unwrap();
    let b_new_bytes = fs::read(&b_new).unwrap();
    let a_payload = payload_of(&a_new_bytes, &carol, &certs);
    let rel = |p: &Path| p.strip_prefix(&folder).unwrap().to_string_lossy().into_owned();

    // ---- The variants.
    let mut variants: Vec<Variant> = Vec::new();
    for i in 0..a_new_bytes.len() {
        let mut bent = a_new_bytes.clone();
        bent[i] ^= 1 << (i * 5 % 8);
        variants.push(Variant { category: "bit flip", blocks: vec![], files: vec![(a_new.clone(), bent)] });
    }
    for len in (0..a_new_bytes.len()).step_by(5) {
        variants.push(Variant {
            category: "truncation",
            blocks: vec![],
            files: vec![(a_new.clone(), a_new_bytes[..len].to_vec())],
        });
    }
    // Swapped between authors and devices, and old bundles replayed in new places.
    let swaps = [
        (&a_new, &b_new),
        (&b_new, &a_new),
        (&a_chain[0], &a_new),
        (&b_chain[0], &b_new),
        (&c_chain[0], &a_new),
        (&d_chain[0], &b_new),
    ];
    for (from, to) in swaps {
        variants.push(Variant {
            category: "swapped file",
            blocks: vec![],
            files: vec![(to.clone(), fs::read(from).unwrap())],
        });
    }
    let next_of = |chain: &[PathBuf]| {
        let last = chain.last().unwrap();
        last.with_file_name(bundle::file_name(chain.len() as u64 + 1))
    };
    let new_device = |m: &Member, device: char| {
        ws_dir.join(m.home.fingerprint().as_str()).join(device.to_string().repeat(32)).join(bundle::file_name(1))
    };
    for old in [&a_chain[0], &a_chain[1], &b_chain[0]] {
        let bytes = fs::read(old).unwrap();
        variants.push(Variant { category: "replay", blocks: vec![], files: vec![(next_of(&a_chain), bytes.clone())] });
        variants.push(Variant { category: "replay", blocks: vec![], files: vec![(new_device(&alice, 'e'), bytes)] });
    }
    // Re-signed by a non-member: Mallory seals Alice's payload, and a payload of her own.
    let mut stolen = a_payload.clone();
    stolen.envelope = None;
    variants.push(Variant {
        category: "re-signed by a non-member",
        blocks: vec![],
        files: vec![(a_new.clone(), seal(stolen.clone(), &mallory, &certs, &clock))],
    });
    let mut own = stolen.clone();
    own.author = mallory.home.fingerprint().clone();
    for op in &mut own.ops {
        op.author = own.author.clone();
    }
    own.device = "f".repeat(32);
    own.seq = 1;
    own.prev = None;
    variants.push(Variant {
        category: "re-signed by a non-member",
        blocks: vec![],
        files: vec![(new_device(&mallory, 'f'), seal(own, &mallory, &certs, &clock))],
    });
    // Dated before its key: Alice's own payload, signed by her key at a time before
    // the key was made (a forger's clock, or a key claimed to be older than it is).
    let before_key = SystemTime::from(clock.now() - chrono::Duration::days(30));
    variants.push(Variant {
        category: "signed before its key was made",
        blocks: vec![],
        files: vec![(a_new.clone(), seal_signed_at(&stolen, &alice, &certs, before_key))],
    });
    // Forks: Alice's own key, a second bundle for the position just written (as a
    // sync tool's conflict copy and as the next bundle naming another predecessor).
    let mut forked = stolen.clone();
    forked.ops = vec![op(&alice, clock.now(), partner_add("Forked Org"))];
    let fork_bytes = seal(forked.clone(), &alice, &certs, &clock);
    let conflict = a_new.with_file_name(format!(
        "{}.sync-conflict-20261120-101010-ABCDEFG.pgp",
        a_new.file_stem().unwrap().to_string_lossy()
    ));
    // A fork stops its chain where it starts until a member removes the wrong file:
    // Alice's honest bundle waits with it.
    variants.push(Variant {
        category: "fork",
        blocks: vec![a_new.clone()],
        files: vec![(conflict, fork_bytes.clone())],
    });
    let mut after_fork = forked.clone();
    after_fork.seq += 1;
    after_fork.prev = Some(bundle::hash(&fork_bytes));
    variants.push(Variant {
        category: "fork",
        blocks: vec![],
        files: vec![(next_of(&a_chain), seal(after_fork, &alice, &certs, &clock))],
    });
    let mut gap = forked.clone();
    gap.seq += 1;
    gap.prev = Some(bundle::hash(&fs::read(&a_chain[0]).unwrap()));
    variants.push(Variant {
        category: "fork",
        blocks: vec![],
        files: vec![(next_of(&a_chain), seal(gap, &alice, &certs, &clock))],
    });
    // Another workspace's bundle: Alice and Carol in a second workspace.
    let other_folder = root.path().join("other");
    fs::create_dir_all(&other_folder).unwrap();
    let mut alice2 = Member::device_of(&alice, &root.path().join("Alice2"), &clock);
    let other_ws = alice2
        .home
        .create_workspace("Another", &other_folder, vec![carol.roster_entry(Role::Board, &clock)], &alice2.key)
        .unwrap();
    alice2.add_partner("Elsewhere Org");
    alice2.sync();
    let foreign_dir = other_folder.join(&other_ws.id).join(alice.home.fingerprint().as_str());
    let foreign = fs::read_dir(&foreign_dir).unwrap().flatten().next().unwrap().path().join(bundle::file_name(1));
    let foreign_bytes = fs::read(&foreign).unwrap();
    variants.push(Variant {
        category: "another workspace",
        blocks: vec![],
        files: vec![(a_new.clone(), foreign_bytes.clone())],
    });
    variants.push(Variant {
        category: "another workspace",
        blocks: vec![],
        files: vec![(new_device(&alice, 'a'), foreign_bytes.clone())],
    });
    // Votes moved onto another decision: Carol's signed approval of the travel budget,
    // presented as a vote on the sprint budget, by Carol and by Alice.
    let carol_vote = fs::read(carol.chain(&ws_dir).last().unwrap()).unwrap();
    let vote_op = payload_of(&carol_vote, &carol, &certs)
        .ops
        .into_iter()
        .find(|o| matches!(o.body, OpBody::DecisionVote { .. }))
        .expect("Carol's vote");
    let sprint_hash = sprint.clone();
    for (signer, device) in [(&carol, 'c'), (&alice, 'd')] {
        let mut moved = vote_op.clone();
        moved.author = signer.home.fingerprint().clone();
        if let OpBody::DecisionVote { decision, version, .. } = &mut moved.body {
            *decision = sprint_hash.clone();
            *version = sprint_hash.clone();
        }
        let payload = BundlePayload {
            format: BUNDLE_FORMAT,
            workspace: ws.id.clone(),
            author: signer.home.fingerprint().clone(),
            device: device.to_string().repeat(32),
            seq: 1,
            prev: None,
            heads: BTreeMap::new(),
            scope: Scope::all(),
            ops: vec![moved],
            envelope: None,
        };
        variants.push(Variant {
            category: "vote on another decision",
            blocks: vec![],
            files: vec![(new_device(signer, device), seal(payload, signer, &certs, &clock))],
        });
    }
    // The removed member's bundles after her cut, dated after and before the removal.
    let d_last = fs::read(d_chain.last().unwrap()).unwrap();
    let d_payload = payload_of(&d_last, &carol, &all_certs);
    for (label, ms) in [("future", 4_102_444_800_000_i64), ("backdated", 1_000_000_000_000)] {
        let mut late = d_payload.clone();
        late.seq += 1;
        late.prev = Some(bundle::hash(&d_last));
        late.ops = vec![op(&dora, chrono::DateTime::from_timestamp_millis(ms).unwrap(), partner_add(label))];
        let file = next_of(&d_chain);
        variants.push(Variant {
            category: "removed member",
            blocks: vec![],
            files: vec![(file, seal(late, &dora, &all_certs, &clock))],
        });
    }

    // ---- Each variant against a fresh copy of Carol's home.
    let carol_key = carol.key;
    drop(carol.home);
    let mut counts: BTreeMap<&str, [u32; 3]> = BTreeMap::new();
    let mut failures = Vec::new();
    for (n, variant) in variants.iter().enumerate() {
        let saved: Vec<(PathBuf, Option<Vec<u8>>)> =
            variant.files.iter().map(|(p, _)| (p.clone(), fs::read(p).ok())).collect();
        for (path, bytes) in &variant.files {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, bytes).unwrap();
        }
        restore_dir(&baseline, &carol_dir);
        let mut reader = Home::open(&carol_dir, clock.clone(), &carol_key).unwrap();
        let report = reader.sync(&carol_key).unwrap();
        let entry = counts.entry(variant.category).or_default();
        entry[0] += 1;
        let hostile: Vec<String> = variant.files.iter().map(|(p, _)| rel(p)).collect();
        let accepted = report.applied.iter().any(|b| hostile.contains(&b.file));
        let reported = hostile.iter().all(|file| {
            report.rejected.iter().any(|r| &r.file == file && !r.reason.is_empty())
                || report.forks.iter().any(|f| !f.reason.is_empty() && (f.files.contains(file) || fork_beside(f, file)))
        });
        // The honest bundles still apply, except the one a variant put itself in place
        // of (and what follows it in its chain).
        let displaced: Vec<&PathBuf> =
            honest_new.iter().filter(|h| hostile.contains(&rel(h)) || variant.blocks.contains(h)).collect();
        let honest_applied = honest_new
            .iter()
            .filter(|h| !displaced.contains(h))
            .all(|h| report.applied.iter().any(|b| b.file == rel(h)));
        if accepted {
            entry[1] += 1;
        }
        if reported {
            entry[2] += 1;
        }
        if accepted || !reported || !honest_applied {
            failures.push(format!(
                "#{n} {}: accepted {accepted}, reported {reported}, honest applied {honest_applied}: {report:?}",
                variant.category
            ));
        }
        if displaced.is_empty() && reader.digest().unwrap() != honest_digest {
            failures.push(format!("#{n} {}: the records differ from the honest ones", variant.category));
        }
        drop(reader);
        for (path, old) in saved {
            match old {
                Some(bytes) => fs::write(&path, bytes).unwrap(),
                None => fs::remove_file(&path).unwrap(),
            }
        }
    }
    fs::write(&a_new, &a_new_bytes).unwrap();
    fs::write(&b_new, &b_new_bytes).unwrap();

    println!("tamper matrix: variants tried / accepted / reported with a reason");
    let mut total = [0u32; 3];
    for (category, [tried, accepted, reported]) in &counts {
        println!("  {category:<26} {tried:>5} {accepted:>5} {reported:>5}");
        total = [total[0] + tried, total[1] + accepted, total[2] + reported];
    }
    println!("  {:<26} {:>5} {:>5} {:>5}", "total", total[0], total[1], total[2]);
    assert!(failures.is_empty(), "{} of {} variants misbehaved:\n{}", failures.len(), total[0], failures.join("\n"));
    assert!(total[0] >= 1000, "only {} variants", total[0]);
    assert_eq!(total[1], 0);
}

/// A fork is reported on the bundle a conflict copy copies; the copy itself is named.
fn fork_beside(fork: &countersign_core::Fork, file: &str) -> bool {
    file.contains("sync-conflict") && fork.files.iter().any(|f| f == file)
}

fn partner_add(name: &str) -> OpBody {
    OpBody::PartnerAdd {
        partner: countersign_core::PartnerId::for_name(name),
        name: name.into(),
        kind: Kind::Company,
        stage: Stage::Prospect,
        tags: vec![],
        website: None,
    }
}

fn op(by: &Member, at: chrono::DateTime<chrono::Utc>, body: OpBody) -> Operation {
    Operation {
        author: by.home.fingerprint().clone(),
        hlc: Hlc { ms: at.timestamp_millis(), n: 0 },
        body,
        scope: Scope::all(),
    }
}
