//! Decisions: three board members, three homes, one folder; votes signed with each
//! member's key, statuses computed the same everywhere, roster changes as decisions,
//! and an export an auditor checks with stock gpg.

use countersign_e2e::{gpg_as, gpg_seal, Board, Gpg, Member};
use serde_json::{json, Value};
use std::fs;
use std::path::Path;
use std::process::Command;

fn propose(member: &Member, args: &[&str]) -> String {
    let mut all = vec!["decision", "propose"];
    all.extend_from_slice(args);
    member.json(&all)["id"].as_str().expect("an id").to_string()
}

fn show(member: &Member, id: &str) -> Value {
    member.json(&["decision", "show", id])
}

fn status(member: &Member, id: &str) -> String {
    show(member, id)["status"].as_str().unwrap().to_string()
}

fn vote(member: &Member, id: &str, choice: &str) -> Value {
    member.json(&["decision", "vote", id, choice])
}

fn names(member: &Member) -> Vec<String> {
    let list = member.json(&["partner", "list"]);
    list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect()
}

/// Everyone syncs twice over, so every member has read what every other wrote.
fn sync_all(board: &Board) {
    for _ in 0..2 {
        for i in 0..board.members.len() {
            board.sync(i);
        }
    }
}

const BUDGET: &[&str] = &[
    "--kind",
    "budget",
    "--title",
    "Sprint budget",
    "--amount",
    "1500",
    "--currency",
    "EUR",
    "--fund",
    "infra",
    "--closes",
    "2099-12-31",
];

#[test]
fn a_budget_is_approved_by_two_of_three_under_majority_with_every_vote_verified() {
    let board = Board::new(&["Alice", "Bob", "Carol"]);
    let [alice, bob, carol] = [&board.members[0], &board.members[1], &board.members[2]];
    let id = propose(alice, BUDGET);
    assert_eq!(id.len(), 64);
    board.sync(0);
    board.sync(1);
    let after_bob = vote(bob, &id, "approve");
    assert_eq!(after_bob["status"], "open", "one approval of the two majority needs: {after_bob}");
    board.sync(1);
    board.sync(2);
    assert_eq!(carol.json(&["decision", "list", "--needs-me"]).as_array().unwrap().len(), 1);
    let after_carol = vote(carol, &id, "approve");
    assert_eq!(after_carol["status"], "approved");
    assert!(carol.json(&["decision", "list", "--needs-me"]).as_array().unwrap().is_empty());
    sync_all(&board);

    for member in [alice, bob, carol] {
        let shown = show(member, &id);
        assert_eq!(shown["id"], id.as_str());
        assert_eq!(shown["status"], "approved", "{}: {shown}", member.name);
        assert_eq!(shown["kind"], "budget");
        assert_eq!(shown["title"], "Sprint budget");
        assert_eq!(shown["rule"], "majority board");
        assert_eq!(shown["amount"], "1500");
        let votes = shown["votes"].as_array().unwrap();
        assert_eq!(votes.len(), 2);
        let signers: Vec<&str> = votes.iter().map(|v| v["signer"].as_str().unwrap()).collect();
        assert!(signers.contains(&bob.fingerprint().as_str()) && signers.contains(&carol.fingerprint().as_str()));
        assert!(votes.iter().all(|v| v["choice"] == "approve" && v["verified"] == true && v["counted"] == true));
    }
    assert_eq!(alice.digest(), carol.digest());
    // The text view says it in words.
    let text = alice.run(&["decision", "show", &id[..10]]).ok();
    assert!(text.contains("approved") && text.contains("verified"), "{text}");

    // Decided: no more votes, no amendments, no withdrawal.
    alice.run(&["decision", "vote", &id, "object"]).fails_with("is approved");
    alice.run(&["decision", "withdraw", &id]).fails_with("is approved");
}

#[test]
fn a_unanimous_written_resolution_is_blocked_by_one_objection() {
    let board = Board::new(&["Alice", "Bob", "Carol"]);
    let [alice, bob, carol] = [&board.members[0], &board.members[1], &board.members[2]];
    let id = propose(alice, &["--kind", "written-resolution", "--title", "Adopt the travel policy"]);
    assert_eq!(show(alice, &id)["rule"], "unanimous board");
    vote(alice, &id, "approve");
    sync_all(&board);
    bob.run(&["decision", "vote", &id, "object", "--reason", "not without a budget cap"]).ok();
    board.sync(1);
    board.sync(2);
    assert_eq!(status(carol, &id), "rejected");
    carol.run(&["decision", "vote", &id, "approve"]).fails_with("is rejected");
    board.sync(0);
    let shown = show(alice, &id);
    assert_eq!(shown["status"], "rejected");
    assert!(shown["status_reason"].as_str().unwrap().contains("object"), "{shown}");
    let objection = shown["votes"].as_array().unwrap().iter().find(|v| v["choice"] == "object").unwrap().clone();
    assert_eq!(objection["reason"], "not without a budget cap");
}

#[test]
fn an_amendment_voids_the_votes_on_the_earlier_version() {
    let board = Board::new(&["Alice", "Bob", "Carol"]);
    let [alice, bob, carol] = [&board.members[0], &board.members[1], &board.members[2]];
    let id = propose(alice, BUDGET);
    sync_all(&board);
    vote(bob, &id, "approve");
    board.sync(1);
    board.sync(0);
    let before = show(alice, &id)["content_hash"].as_str().unwrap().to_string();
    bob.run(&["decision", "amend", &id, "--amount", "1800"]).fails_with("only the member who proposed");
    let amended = alice.json(&["decision", "amend", &id, "--amount", "1800"]);
    assert_eq!(amended["version"], 2);
    assert_eq!(amended["amount"], "1800");
    assert_ne!(amended["content_hash"].as_str().unwrap(), before);
    assert_eq!(amended["approvals"], 0, "Bob's vote was on version 1: {amended}");
    assert_eq!(amended["votes"][0]["counted"], false);
    sync_all(&board);
    assert_eq!(vote(carol, &id, "approve")["status"], "open", "one approval on version 2");
    board.sync(2);
    board.sync(1);
    assert_eq!(vote(bob, &id, "approve")["status"], "approved");
    sync_all(&board);
    assert_eq!(status(alice, &id), "approved");
}

#[test]
fn votes_cast_offline_merge_to_the_same_status_on_every_home() {
    let board = Board::new(&["Alice", "Bob", "Carol"]);
    let [alice, bob, carol] = [&board.members[0], &board.members[1], &board.members[2]];
    let id = propose(alice, BUDGET);
    sync_all(&board);
    // Both on a train: each sees only their own vote.
    assert_eq!(vote(bob, &id, "approve")["status"], "open");
    assert_eq!(vote(carol, &id, "approve")["status"], "open");
    assert_eq!(status(alice, &id), "open");
    board.sync(2);
    board.sync(1);
    board.sync(0);
    board.sync(2);
    for member in [alice, bob, carol] {
        assert_eq!(status(member, &id), "approved", "{}", member.name);
    }
    assert_eq!(alice.digest(), bob.digest());
    assert_eq!(bob.digest(), carol.digest());
}

/// `member`'s latest operation, as their log holds it (canonical JSON).
fn last_op(member: &Member) -> Value {
    let log = member.run(&["log", "--last", "1"]).ok();
    serde_json::from_str(log.trim()).unwrap()
}

#[test]
fn a_fourth_member_is_added_by_a_roster_decision_and_accepted_only_once_approved() {
    let board = Board::new(&["Alice", "Bob", "Carol"]);
    let [alice, bob, carol] = [&board.members[0], &board.members[1], &board.members[2]];
    alice.run(&["partner", "add", "Acme"]).ok();
    sync_all(&board);

    let dave = Member::init("Dave");
    let cert = dave.scratch().join("dave.asc");
    fs::write(&cert, dave.run(&["key", "export"]).ok()).unwrap();
    dave.run(&["workspace", "join", "--folder", board.folder.path().to_str().unwrap(), "--workspace", &board.id])
        .fails_with("not on this workspace's roster");

    // A bundle signed by Dave before he is on the roster: refused.
    dave.run(&["partner", "add", "Delta Org"]).ok();
    let payload = json!({
        "author": dave.fingerprint(), "device": "d".repeat(32), "format": 1, "heads": {},
        "ops": [last_op(&dave)], "scope": "all", "seq": 1, "workspace": board.id,
    });
    let gpg = gpg_as(&dave, &[alice, bob, carol, &dave]);
    let early = board.dir().join(dave.fingerprint()).join("d".repeat(32));
    fs::create_dir_all(&early).unwrap();
    gpg_seal(&gpg, &dave, &[alice, bob, carol], &payload, &early.join("00000001.pgp"));
    let report = board.sync(0);
    let reason = report["rejected"][0]["reason"].as_str().unwrap().to_string();
    assert!(reason.contains("not on the roster"), "{report}");
    assert!(!names(alice).contains(&"Delta Org".to_string()));

    let id =
        alice.json(&["member", "add", cert.to_str().unwrap(), "--role", "board"])["id"].as_str().unwrap().to_string();
    let shown = show(alice, &id);
    assert_eq!(shown["kind"], "roster");
    assert!(shown["change"].as_str().unwrap().contains("Dave"), "{shown}");
    vote(alice, &id, "approve");
    sync_all(&board);
    assert_eq!(
        alice.json(&["workspace", "show"])["roster"].as_array().unwrap().len(),
        3,
        "one approval is not a majority"
    );
    assert_eq!(vote(bob, &id, "approve")["status"], "approved");
    board.sync(1);
    let report = board.sync(0);
    assert!(report["rejected"].as_array().unwrap().is_empty(), "the early bundle is accepted now: {report}");
    assert!(names(alice).contains(&"Delta Org".to_string()));
    assert_eq!(alice.json(&["workspace", "show"])["roster"].as_array().unwrap().len(), 4);
    sync_all(&board);

    // Dave joins with the keys the others shared with him and reads everything.
    dave.run(&["workspace", "join", "--folder", board.folder.path().to_str().unwrap(), "--workspace", &board.id]).ok();
    dave.json(&["sync"]);
    assert!(names(&dave).contains(&"Acme".to_string()), "{:?}", names(&dave));
    assert_eq!(status(&dave, &id), "approved");
    dave.run(&["partner", "add", "Echo Labs"]).ok();
    dave.json(&["sync"]);
    sync_all(&board);
    for member in [alice, bob, carol] {
        assert!(names(member).contains(&"Echo Labs".to_string()), "{}", member.name);
    }
    dave.json(&["sync"]);
    assert_eq!(alice.digest(), dave.digest());
}

#[test]
fn a_removed_member_bundles_after_the_removal_are_refused() {
    let board = Board::new(&["Alice", "Bob", "Carol"]);
    let [alice, bob, carol] = [&board.members[0], &board.members[1], &board.members[2]];
    carol.run(&["partner", "add", "Before Org"]).ok();
    sync_all(&board);
    let id = alice.json(&["member", "remove", &carol.fingerprint()])["id"].as_str().unwrap().to_string();
    vote(alice, &id, "approve");
    board.sync(0);
    board.sync(1);
    board.sync(2);
    carol.run(&["decision", "vote", &id, "approve"]).fails_with("does not count");
    // Bob approves on a train; meanwhile Carol, not yet removed in her view, writes more.
    assert_eq!(vote(bob, &id, "approve")["status"], "approved");
    carol.run(&["partner", "add", "After Org"]).ok();
    board.sync(2);
    let report = board.sync(1);
    let late: Vec<&Value> = report["rejected"].as_array().unwrap().iter().collect();
    assert!(late.iter().any(|r| r["reason"].as_str().unwrap().contains("removed")), "{report}");
    let report = board.sync(0);
    assert!(report["rejected"].as_array().unwrap().iter().any(|r| r["reason"].as_str().unwrap().contains("removed")));
    for member in [alice, bob] {
        let names = names(member);
        assert!(names.contains(&"Before Org".to_string()) && !names.contains(&"After Org".to_string()), "{names:?}");
        assert_eq!(member.json(&["workspace", "show"])["roster"].as_array().unwrap().len(), 2);
    }
    assert_eq!(alice.digest(), bob.digest());

    // New bundles are no longer encrypted to Carol, and she can no longer write.
    alice.run(&["partner", "add", "Secret Plans"]).ok();
    board.sync(0);
    let report = carol.run(&["--json", "sync"]);
    assert!(
        report.stderr.contains("not on this workspace's roster") || report.stdout.contains("not encrypted to you"),
        "{report:?}"
    );
    assert!(!names(carol).contains(&"Secret Plans".to_string()));
}

#[test]
fn an_export_verifies_with_gpg_alone_and_a_tampered_vote_does_not() {
    let board = Board::new(&["Alice", "Bob", "Carol"]);
    let [alice, bob, carol] = [&board.members[0], &board.members[1], &board.members[2]];
    let id = propose(alice, BUDGET);
    sync_all(&board);
    vote(bob, &id, "approve");
    vote(carol, &id, "approve");
    sync_all(&board);
    board.sync(0);
    let out = alice.scratch().join("audit");
    alice.json(&["decision", "export", &id, out.to_str().unwrap()]);
    let readme = fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains("approved") && readme.contains("majority board"), "{readme}");

    // An auditor's fresh keyring: only the exported certificates.
    let auditor = Gpg::new();
    for cert in fs::read_dir(out.join("certs")).unwrap().flatten() {
        auditor.run(&["--import", cert.path().to_str().unwrap()]).ok();
    }
    let hash = show(alice, &id)["content_hash"].as_str().unwrap().to_string();
    let sha = Command::new("sha256sum").arg(out.join("decision.json")).output().unwrap();
    assert!(String::from_utf8_lossy(&sha.stdout).starts_with(&hash));
    let mut votes: Vec<_> = fs::read_dir(out.join("votes"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    votes.sort();
    assert_eq!(votes.len(), 2);
    for doc in &votes {
        let text = fs::read_to_string(doc).unwrap();
        assert!(text.contains(&format!("\"decision\":\"{hash}\"")), "{text}");
        let sig = format!("{}.asc", doc.display());
        let verified = auditor.run(&["--verify", &sig, doc.to_str().unwrap()]);
        assert_eq!(verified.code, 0, "{}", verified.stderr);
        assert!(verified.stderr.contains("Good signature"), "{}", verified.stderr);
    }
    // README's commands are the ones just run.
    assert!(readme.contains("gpg --verify votes/01-"), "{readme}");

    let tampered = &votes[0];
    let text = fs::read_to_string(tampered).unwrap().replace("\"approve\"", "\"object\"");
    fs::write(tampered, text).unwrap();
    let refused = auditor.run(&["--verify", &format!("{}.asc", tampered.display()), tampered.to_str().unwrap()]);
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("BAD signature"), "{}", refused.stderr);
}

#[test]
fn bad_votes_and_proposals_are_refused_and_change_nothing() {
    let board = Board::new(&["Alice", "Bob", "Carol"]);
    let [alice, bob, carol] = [&board.members[0], &board.members[1], &board.members[2]];
    let digest = alice.digest();
    alice.run(&["decision", "vote", "0123456789ab", "approve"]).fails_with("no decision");
    alice
        .run(&["decision", "propose", "--kind", "budget", "--title", "x", "--amount", "lots", "--currency", "EUR"])
        .fails_with("invalid amount");
    alice.run(&["decision", "propose", "--kind", "budget", "--title", "x", "--amount", "12"]).fails_with("--currency");
    alice.run(&["decision", "propose", "--kind", "roster", "--title", "x"]).fails_with("member add");
    alice.run(&["decision", "propose", "--kind", "grant", "--title", "x"]).fails_with("invalid decision kind");
    alice.run(&["rules", "set", "--rule", "budget=most of board"]).fails_with("invalid rule");
    assert_eq!(alice.digest(), digest, "nothing was recorded");

    // A withdrawn decision takes no votes.
    let id = propose(alice, BUDGET);
    bob.run(&["decision", "withdraw", &id]).code.ne(&0).then_some(()).unwrap();
    alice.json(&["decision", "withdraw", &id]);
    assert_eq!(status(alice, &id), "withdrawn");
    sync_all(&board);
    bob.run(&["decision", "vote", &id, "approve"]).fails_with("is withdrawn");

    // A rule change without the votes the current rules require does not take effect.
    let rules = alice.json(&["rules", "set", "--rule", "budget=unanimous board"])["id"].as_str().unwrap().to_string();
    vote(alice, &rules, "approve");
    sync_all(&board);
    assert_eq!(status(bob, &rules), "open");
    assert_eq!(bob.json(&["rules", "show"])["decisions"]["budget"], "majority board");

    // A forged vote: Bob's genuine signature, moved onto another decision.
    let other = propose(alice, &["--kind", "other", "--title", "Another matter", "--closes", "2099-12-31"]);
    let target = propose(alice, &["--kind", "other", "--title", "Target", "--closes", "2099-12-31"]);
    sync_all(&board);
    vote(bob, &other, "approve");
    let mut op = last_op(bob);
    let target_hash = show(alice, &target)["content_hash"].as_str().unwrap().to_string();
    op["body"]["decision"] = json!(target);
    op["body"]["version"] = json!(target_hash);
    let payload = json!({
        "author": bob.fingerprint(), "device": "e".repeat(32), "format": 1, "heads": {},
        "ops": [op], "scope": "all", "seq": 1, "workspace": board.id,
    });
    let gpg = gpg_as(bob, &[alice, bob, carol]);
    let dir = board.dir().join(bob.fingerprint()).join("e".repeat(32));
    fs::create_dir_all(&dir).unwrap();
    gpg_seal(&gpg, bob, &[alice, bob, carol], &payload, &dir.join("00000001.pgp"));
    let report = board.sync(0);
    let reasons: Vec<&str> =
        report["rejected"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.contains("signature does not match")), "{report}");
    assert_eq!(show(alice, &target)["approvals"], 0);
    assert!(Path::new(&dir.join("00000001.pgp")).exists(), "refused files stay where they are");
}
