//! `countersign verify`, the check `make crash` runs after every kill: it passes on a
//! healthy home (and on what a crash leaves), and fails with the reason and the remedy
//! on a damaged one. The kills themselves are `scripts/crash-test.sh` (`make crash`).

use countersign_e2e::Board;
use serde_json::Value;
use std::fs;
use std::path::Path;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/finance").join(name).display().to_string()
}

/// Alice and Bob with partners, an import and a decision, everything synced both ways.
fn board_with_work() -> Board {
    let board = Board::new(&["Alice", "Bob"]);
    let (alice, bob) = (&board.members[0], &board.members[1]);
    alice.run(&["partner", "add", "Acme Cloud", "--tag", "sponsor"]).ok();
    alice.run(&["finance", "import", "opencollective", &fixture("oc-2023.csv")]).ok();
    bob.run(&["partner", "add", "Borealis"]).ok();
    bob.run(&["decision", "propose", "--kind", "other", "--title", "Adopt verify", "--closes", "2099-12-31"]).ok();
    for who in [0, 1, 0] {
        board.sync(who);
    }
    board
}

fn verify(board: &Board, who: usize) -> (i32, Value, String) {
    let run = board.members[who].run(&["--json", "verify"]);
    let report = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.stdout));
    (run.code, report, run.stderr)
}

fn problems(report: &Value) -> String {
    report["problems"].as_array().unwrap().iter().map(|p| format!("[{}] {}\n", p["check"], p["message"])).collect()
}

#[test]
fn verify_passes_on_a_healthy_home_and_says_what_it_checked() {
    let board = board_with_work();
    for who in 0..2 {
        let (code, report, stderr) = verify(&board, who);
        assert_eq!(code, 0, "{report:#}\n{stderr}");
        assert_eq!(report["ok"], true);
        assert_eq!(report["digest"], report["rebuilt_digest"]);
        assert_eq!(report["digest"].as_str().unwrap(), board.members[who].digest());
        assert_eq!(report["transactions"], 3);
        assert_eq!(report["pending"], 0, "everything was synced");
        assert!(report["bundles"].as_u64().unwrap() >= 2, "{report:#}");
        assert!(report["problems"].as_array().unwrap().is_empty());
    }
    let text = board.members[0].run(&["verify"]).ok();
    assert!(text.contains("Database: equal to a fresh rebuild"), "{text}");
    assert!(text.contains("Verified: no problems found."), "{text}");
    // Nothing of the rebuild is left in the home.
    let leftovers: Vec<_> = fs::read_dir(&board.members[0].home)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".verify"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_bundle_changed_after_it_was_applied_fails_verification_naming_the_file() {
    let board = board_with_work();
    // Alice's first bundle, as Bob read it, then changed in the folder.
    let file = board.bundles_of(0).into_iter().find(|p| p.extension().is_some_and(|e| e == "pgp")).unwrap();
    let mut bytes = fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    fs::write(&file, bytes).unwrap();

    let (code, report, stderr) = verify(&board, 1);
    assert_ne!(code, 0, "{report:#}");
    assert_eq!(report["ok"], false);
    let found = problems(&report);
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(found.contains("[\"bundle\"]") && found.contains(&name), "{found}");
    assert!(found.contains("were changed after this home read them"), "{found}");
    assert!(found.contains("restore the originals from another member's copy of the folder"), "{found}");
    assert!(stderr.contains("verification failed"), "{stderr}");

    // The text output lists the same problem before the failure.
    let run = board.members[1].run(&["verify"]);
    assert_ne!(run.code, 0);
    assert!(run.stdout.contains("[bundle]") && run.stdout.contains(&name), "{}", run.stdout);
    assert!(run.stderr.contains("error: verification failed: "), "{}", run.stderr);
}

#[test]
fn a_crash_in_the_middle_of_an_append_verifies_and_an_altered_log_does_not() {
    let board = board_with_work();
    let alice = &board.members[0];
    let log = alice.home.join("ops.log");
    let complete = fs::read(&log).unwrap();

    // A crash cut the last append short: an operation without its newline. It was never
    // applied; verify notes it, and the next change cuts it off.
    let last_line = complete[..complete.len() - 1].rsplit(|b| *b == b'\n').next().unwrap().to_vec();
    fs::write(&log, [complete.clone(), last_line[..last_line.len() / 2].to_vec()].concat()).unwrap();
    let (code, report, stderr) = verify(&board, 0);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert!(report["notes"][0].as_str().unwrap().contains("an append cut short by a crash"), "{report:#}");
    alice.run(&["partner", "add", "Cobalt"]).ok();
    let repaired = fs::read(&log).unwrap();
    assert!(repaired.starts_with(&complete) && repaired.ends_with(b"\n"));
    assert_eq!(repaired.iter().filter(|b| **b == b'\n').count(), complete.iter().filter(|b| **b == b'\n').count() + 1);
    let (code, report, _) = verify(&board, 0);
    assert_eq!(code, 0, "{report:#}");
    assert!(report["notes"].as_array().unwrap().is_empty(), "{report:#}");

    // The same operation twice in the log is no crash's doing: verification fails.
    let repaired = fs::read(&log).unwrap();
    fs::write(&log, [repaired, last_line, b"\n".to_vec()].concat()).unwrap();
    let (code, report, _) = verify(&board, 0);
    assert_ne!(code, 0);
    let found = problems(&report);
    assert!(found.contains("[\"log\"]") && found.contains("twice"), "{found}");
}
