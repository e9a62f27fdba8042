//! Sync benchmark: one member writes N bundles of 100 operations; another member's
//! home reads the folder (decrypt, verify, check chains, apply). Stock gpg decrypting
//! and verifying a sample of the same bundles is the peer.
//!
//! `make bench` runs it; `BENCH_BUNDLES=1000` makes it quicker. Goal: 10,000 bundles
//! of 100 operations read in at most 10 s on 2 cores.

use countersign_core::KeySource;
use countersign_core::Passphrase;
use countersign_core::{Home, SystemClock};
use countersign_core::{Kind, PartnerId, Stage};
use countersign_core::{OpBody, PartnerChanges};
use countersign_core::{Role, RosterMember};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

const OPS_PER_BUNDLE: usize = 100;

fn main() {
    let bundles: usize = std::env::var("BENCH_BUNDLES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let root = tempfile::tempdir().expect("a temporary folder");
    let folder = root.path().join("shared");
    std::fs::create_dir(&folder).unwrap();
    let pass = Passphrase::from("benchmark");
    let clock = Arc::new(SystemClock);

    let mut writer = Home::init(
        &root.path().join("writer"),
        KeySource::Generate { name: "Writer", email: "writer@example.org" },
        &pass,
        clock.clone(),
    )
    .unwrap();
    let mut reader = Home::init(
        &root.path().join("reader"),
        KeySource::Generate { name: "Reader", email: "reader@example.org" },
        &pass,
        clock.clone(),
    )
    .unwrap();
    let reader_cert = reader.key().public_armored().unwrap();
    let member =
        RosterMember::from_cert(Path::new("reader"), reader_cert.as_bytes(), Role::Board, chrono::Utc::now()).unwrap();
    let writer_key = writer.unlock(&pass).unwrap();
    let ws = writer.create_workspace("Benchmark", &folder, vec![member], &writer_key).unwrap();
    let reader_key = reader.unlock(&pass).unwrap();
    reader.join_workspace(&folder, &ws.id, &reader_key).unwrap();

    eprintln!("generating {bundles} bundles of {OPS_PER_BUNDLE} operations…");
    let started = Instant::now();
    for b in 0..bundles {
        let partner = PartnerId::for_name(&format!("Organisation {}", b % 5_000));
        let mut bodies = vec![OpBody::PartnerAdd {
            partner: partner.clone(),
            name: format!("Organisation {}", b % 5_000),
            kind: Kind::Company,
            stage: Stage::Prospect,
            tags: vec!["sponsor".into()],
            website: None,
        }];
        for i in 1..OPS_PER_BUNDLE {
            bodies.push(if i % 3 == 0 {
                OpBody::ContactAdd {
                    partner: partner.clone(),
                    name: format!("Contact {b}-{i}"),
                    email: None,
                    role: None,
                }
            } else {
                let stage = Stage::ALL[i % Stage::ALL.len()];
                OpBody::PartnerSet {
                    partner: partner.clone(),
                    fields: PartnerChanges {
                        stage: Some(stage),
                        notes: Some(format!("note {b}-{i}")),
                        ..Default::default()
                    },
                }
            });
        }
        writer.commit(&countersign_core::Scope::all(), bodies).unwrap();
        writer.write_pending(&writer_key, OPS_PER_BUNDLE).unwrap();
    }
    eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());

    let started = Instant::now();
    let report = reader.read_folder(&reader_key).unwrap();
    let read = started.elapsed().as_secs_f64();
    assert_eq!(report.applied.len(), bundles, "every bundle applies");
    assert!(report.rejected.is_empty() && report.waiting.is_empty());
    assert_eq!(reader.digest().unwrap(), writer.digest().unwrap(), "the reader converged");

    // The peer: stock gpg decrypting and verifying a sample of the same bundles.
    let sample = bundles.min(200);
    let gpg_home = root.path().join("gnupg");
    std::fs::create_dir(&gpg_home).unwrap();
    let gpg = |args: &[&str]| {
        Command::new("gpg")
            .arg("--homedir")
            .arg(&gpg_home)
            .args(["--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "benchmark"])
            .args(args)
            .output()
            .expect("gpg runs")
    };
    gpg(&["--import", root.path().join("reader/key.asc").to_str().unwrap()]);
    let writer_cert = root.path().join("writer.asc");
    std::fs::write(&writer_cert, writer.key().public_armored().unwrap()).unwrap();
    gpg(&["--import", writer_cert.to_str().unwrap()]);
    let dir = folder.join(&ws.id).join(writer.fingerprint().as_str()).join(writer.device());
    let started = Instant::now();
    for seq in 1..=sample {
        let out = gpg(&["--decrypt", dir.join(format!("{seq:08}.pgp")).to_str().unwrap()]);
        assert!(out.status.success(), "gpg could not open bundle {seq}");
    }
    let gpg_per_bundle = started.elapsed().as_secs_f64() / sample as f64;
    let _ = Command::new("gpgconf").arg("--homedir").arg(&gpg_home).args(["--kill", "all"]).output();

    let ours_per_bundle = read / bundles as f64;
    println!(
        "sync read: {bundles} bundles x {OPS_PER_BUNDLE} ops: {read:.2} s ({:.0} bundles/s, {:.0} ops/s)",
        bundles as f64 / read,
        (bundles * OPS_PER_BUNDLE) as f64 / read
    );
    println!(
        "  goal: 10,000 bundles in <= 10 s: {}",
        if bundles < 10_000 {
            "n/a (fewer bundles)"
        } else if read <= 10.0 {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "  peer: gpg --decrypt per bundle {:.1} ms (sample {sample}); countersign read+verify+apply per bundle {:.2} ms; ratio gpg/countersign {:.1}x",
        gpg_per_bundle * 1e3,
        ours_per_bundle * 1e3,
        gpg_per_bundle / ours_per_bundle
    );
}
