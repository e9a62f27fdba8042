//! The shared workspace: three members, three homes, one folder.

use countersign_e2e::{gpg_as, gpg_decrypt, gpg_seal, Board, Member};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

fn files(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|i| i["file"].as_str().unwrap().to_string()).collect()
}

fn names(member: &Member) -> Vec<String> {
    let list = member.json(&["partner", "list"]);
    list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn offline_edits_merge_to_the_same_records_in_any_order() {
    let board = Board::new(&["Alice", "Bob", "Carol"]);
    let [alice, bob, carol] = [&board.members[0], &board.members[1], &board.members[2]];
    let shown = alice.json(&["workspace", "show"]);
    assert_eq!(shown["id"], board.id.as_str());
    assert_eq!(shown["name"], "NixOS Foundation");
    assert_eq!(shown["roster"].as_array().unwrap().len(), 3);
    assert!(shown["roster"].as_array().unwrap().iter().any(|m| m["name"] == "Bob" && m["role"] == "board"));

    // Both record the same organisation and edit it, offline.
    alice.run(&["partner", "add", "Acme Cloud", "--tag", "sponsor"]).ok();
    alice.run(&["partner", "set", "Acme Cloud", "--stage", "contacted", "--notes", "Alice's note"]).ok();
    bob.run(&["partner", "add", "ACME cloud"]).ok();
    bob.run(&["partner", "set", "Acme Cloud", "--stage", "in-discussion"]).ok();
    bob.run(&["partner", "add", "Borealis Compute"]).ok();
    carol.run(&["partner", "add", "Delft University", "--kind", "academia"]).ok();

    // Alice syncs first, then Bob, then Carol; then everyone again (the other order).
    let first = board.sync(0);
    assert_eq!(first["written"].as_array().unwrap().len(), 1);
    board.sync(1);
    board.sync(2);
    for who in [2, 1, 0] {
        board.sync(who);
    }
    let digest = alice.digest();
    assert_eq!(bob.digest(), digest);
    assert_eq!(carol.digest(), digest);
    assert_eq!(names(carol), ["ACME cloud", "Borealis Compute", "Delft University"].map(String::from));
    let acme = carol.json(&["partner", "show", "acme cloud"]);
    assert_eq!(acme["stage"], "in-discussion", "Bob's later stage wins");
    assert_eq!(acme["notes"], "Alice's note");

    // Syncing again changes nothing; an old bundle copied back changes nothing.
    let again = board.sync(1);
    assert!(again["applied"].as_array().unwrap().is_empty() && again["written"].as_array().unwrap().is_empty());
    let old = &board.bundles_of(0)[0];
    let copy = fs::read(old).unwrap();
    fs::remove_file(old).unwrap();
    fs::write(old, copy).unwrap();
    assert!(board.sync(1)["applied"].as_array().unwrap().is_empty());
    assert_eq!(bob.digest(), digest);

    // Rebuild from the folder alone gives the same digest.
    assert_eq!(bob.run(&["rebuild"]).ok().trim(), digest);
    // Bob's own operations, found again in his bundles, are not written twice.
    assert_eq!(bob.json(&["sync", "status"])["pending_operations"], 0);
    fs::remove_file(carol.home.join("state.sqlite")).unwrap();
    assert_eq!(carol.run(&["rebuild"]).ok().trim(), digest);
}

#[test]
fn a_new_laptop_joins_and_replays_the_folder_to_the_same_digest() {
    let board = Board::new(&["Alice", "Bob"]);
    let alice = &board.members[0];
    alice.run(&["partner", "add", "Acme Cloud"]).ok();
    alice.run(&["partner", "log", "Acme Cloud", "--channel", "call", "--summary", "Renewal"]).ok();
    board.sync(0);

    // Alice restores her key on a new laptop: a new home, a new device.
    let mut laptop = Member::new("Alice");
    laptop.passphrase = alice.passphrase.clone();
    laptop.run(&["init", "--import-key", alice.home.join("key.asc").to_str().unwrap()]).ok();
    let folder = board.folder.path().to_str().unwrap();
    laptop.run(&["workspace", "join", "--folder", folder, "--workspace", &board.id[..12]]).ok();
    laptop.run(&["sync"]).ok();
    assert_eq!(laptop.digest(), alice.digest());
    assert_ne!(laptop.json(&["whoami"])["device"], alice.json(&["whoami"])["device"]);
    laptop.run(&["partner", "set", "Acme Cloud", "--stage", "partner"]).ok();
    laptop.run(&["sync"]).ok();
    board.sync(1);
    assert_eq!(board.members[1].json(&["partner", "show", "Acme Cloud"])["stage"], "partner");
}

#[test]
fn join_is_refused_without_the_roster_or_the_right_id() {
    let board = Board::new(&["Alice", "Bob"]);
    let folder = board.folder.path().to_str().unwrap();
    let stranger = Member::init("Stranger");
    stranger
        .run(&["workspace", "join", "--folder", folder, "--workspace", &board.id])
        .fails_with("not on this workspace's roster");
    stranger.run(&["workspace", "join", "--folder", folder, "--workspace", "0123456789ab"]).fails_with("no workspace");
    // Without an id and without a terminal to confirm on, the id must be given.
    stranger.run(&["workspace", "join", "--folder", folder]).fails_with("--workspace ID");
    board.members[1]
        .run(&["workspace", "join", "--folder", folder, "--workspace", &board.id])
        .fails_with("already belongs");
    stranger.run(&["sync"]).fails_with("has not joined a workspace");
    // A replaced genesis no longer matches its id.
    let genesis = board.dir().join("genesis.pgp");
    let mut bytes = fs::read(&genesis).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&genesis, bytes).unwrap();
    let newcomer = Member::init("Bob");
    newcomer
        .run(&["workspace", "join", "--folder", folder, "--workspace", &board.id])
        .fails_with("hash is not the workspace id");
}

#[test]
fn a_claim_made_on_one_laptop_warns_on_another_after_sync() {
    let board = Board::new(&["Alice", "Bob"]);
    let [alice, bob] = [&board.members[0], &board.members[1]];
    alice.run(&["partner", "add", "Ember Systems"]).ok();
    board.sync(0);
    board.sync(1);
    bob.run(&["partner", "claim", "Ember Systems", "--days", "14"]).ok();
    board.sync(1);
    board.sync(0);
    let err = alice
        .run(&["partner", "log", "Ember Systems", "--channel", "email", "--summary", "Hello"])
        .fails_with("is claimed by Bob");
    assert!(err.contains("--force"), "{err}");
    alice.run(&["partner", "claim", "Ember Systems"]).fails_with("is claimed by Bob");
    alice.run(&["partner", "log", "Ember Systems", "--channel", "email", "--summary", "Hello", "--force"]).ok();
}

#[test]
fn any_member_opens_a_bundle_with_stock_gpg_and_the_folder_host_reads_nothing() {
    let board = Board::new(&["Alice", "Bob", "Carol"]);
    let [alice, bob, carol] = [&board.members[0], &board.members[1], &board.members[2]];
    alice.run(&["partner", "add", "Zebra Confidential Holdings", "--tag", "secretive"]).ok();
    alice.run(&["partner", "contact", "add", "Zebra Confidential Holdings", "--person", "Quentin Quill"]).ok();
    board.sync(0);

    let bundle = &board.bundles_of(0)[0];
    let gpg = gpg_as(bob, &[alice, bob, carol]);
    let out = gpg.run(&["--passphrase", &bob.passphrase, "--decrypt", bundle.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Zebra Confidential Holdings") && out.stdout.contains("Quentin Quill"));
    assert!(out.stderr.contains("Good signature from \"Alice"), "{}", out.stderr);

    // Whoever hosts the folder has only ciphertext: no names, no tags, no roster.
    for file in walk(board.folder.path()) {
        let bytes = fs::read(&file).unwrap();
        for needle in ["Zebra", "Quentin", "secretive", "Alice", "alice@example.org", "NixOS Foundation"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} readable in {}",
                file.display()
            );
        }
    }
}

/// `author` creates a workspace of their own with the member whose certificate is
/// `cert`, records `org` there and syncs; the bundle is then copied into `board`'s
/// folder under the author's fingerprint. Returns the device id it was planted under.
fn plant_foreign_bundle(board: &Board, author: &Member, cert: &Path, org: &str) -> String {
    let elsewhere = author.scratch().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    let folder = elsewhere.to_str().unwrap();
    author
        .run(&[
            "workspace",
            "create",
            "--name",
            org,
            "--folder",
            folder,
            "--member",
            cert.to_str().unwrap(),
            "--role",
            "board",
        ])
        .ok();
    author.run(&["partner", "add", org]).ok();
    author.run(&["sync"]).ok();
    let bundle = walk(&elsewhere).into_iter().find(|p| p.ends_with("00000001.pgp")).unwrap();
    let device = bundle.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
    let planted = board.dir().join(author.fingerprint()).join(&device);
    fs::create_dir_all(&planted).unwrap();
    fs::copy(&bundle, planted.join("00000001.pgp")).unwrap();
    device
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn hostile_and_broken_files_are_set_aside_with_reasons_and_the_rest_applies() {
    let board = Board::new(&["Alice", "Bob", "Carol"]);
    let [alice, bob, carol] = [&board.members[0], &board.members[1], &board.members[2]];
    bob.run(&["partner", "add", "Bob's First"]).ok();
    board.sync(1);
    board.sync(0);
    let bob_dir = board.bundles_of(1)[0].parent().unwrap().to_path_buf();
    let bob_first = board.bundles_of(1)[0].clone();
    let gpg_carol = gpg_as(carol, &[alice, bob, carol]);
    let gpg_bob = gpg_as(bob, &[alice, bob, carol]);
    let template = gpg_decrypt(&gpg_bob, bob, &bob_first);

    // 1. A byte changed in Bob's next bundle.
    bob.run(&["partner", "add", "Bob's Second"]).ok();
    board.sync(1);
    let second = board.bundles_of(1)[1].clone();
    let mut bytes = fs::read(&second).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    fs::write(&second, &bytes).unwrap();

    // 2. Carol signs a bundle that claims to come from Bob (a new device of his).
    let forged_dir = board.dir().join(bob.fingerprint()).join("0".repeat(32));
    fs::create_dir_all(&forged_dir).unwrap();
    let mut claimed = template.clone();
    claimed["device"] = Value::from("0".repeat(32));
    gpg_seal(&gpg_carol, carol, &[alice, bob, carol], &claimed, &forged_dir.join("00000001.pgp"));

    // 3. A sequence gap: Bob's own signature on a bundle numbered 3 that follows 1.
    let mut gap = template.clone();
    gap["seq"] = Value::from(3);
    gap["prev"] = Value::from(sha256_hex(&fs::read(&bob_first).unwrap()));
    gpg_seal(&gpg_bob, bob, &[alice, bob, carol], &gap, &bob_dir.join("00000003.pgp"));

    // 4. A key not on the roster, in a workspace of its own that includes Alice.
    let alice_cert = alice.scratch().join("alice-for-outsiders.asc");
    fs::write(&alice_cert, alice.run(&["key", "export"]).ok()).unwrap();
    let mallory = Member::init("Mallory");
    let mallory_device = plant_foreign_bundle(&board, &mallory, &alice_cert, "Mallory Corp");

    // 5. Another workspace's bundle, by a member (Carol's second home, in a workspace with Alice).
    let mut carol_other = Member::new("Carol");
    carol_other.passphrase = carol.passphrase.clone();
    carol_other.run(&["init", "--import-key", carol.home.join("key.asc").to_str().unwrap()]).ok();
    let other_device = plant_foreign_bundle(&board, &carol_other, &alice_cert, "Other Workspace Org");

    // 6. A truncated bundle and a file that is not OpenPGP at all, from Carol's device.
    carol.run(&["partner", "add", "Carol's Org"]).ok();
    board.sync(2);
    let carol_device = carol.json(&["whoami"])["device"].as_str().unwrap().to_string();
    let carol_bundle = board.bundles_of(2).into_iter().find(|p| p.to_string_lossy().contains(&carol_device)).unwrap();
    let carol_dir = carol_bundle.parent().unwrap().to_path_buf();
    let whole = fs::read(&carol_bundle).unwrap();
    fs::write(carol_dir.join("00000002.pgp"), &whole[..whole.len() / 2]).unwrap();
    fs::write(carol_dir.join("00000003.pgp"), b"just some text, not OpenPGP").unwrap();

    // 7. Files of sync tools are never parsed.
    fs::write(carol_dir.join(".syncthing.00000004.pgp.tmp"), b"partial").unwrap();
    fs::write(carol_dir.join("~syncthing~00000004.pgp.tmp"), b"partial").unwrap();
    fs::write(carol_dir.join("00000004.pgp.part"), b"partial").unwrap();

    let report = board.sync(0);
    let rejected = report["rejected"].as_array().unwrap();
    let reason_of = |fragment: &str| -> String {
        rejected
            .iter()
            .find(|r| r["file"].as_str().unwrap().contains(fragment))
            .unwrap_or_else(|| panic!("{fragment} not rejected: {report:#}"))["reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let rel = |p: &Path| p.strip_prefix(board.folder.path()).unwrap().display().to_string();
    let bent = reason_of(&rel(&second));
    assert!(bent.contains("damaged or was tampered") || bent.contains("not an OpenPGP message"), "{bent}");
    assert!(reason_of(&format!("{}/{}", bob.fingerprint(), "0".repeat(32))).contains("claims to be from"));
    assert!(reason_of(&rel(&bob_dir.join("00000003.pgp"))).contains("sequence gap"));
    assert!(reason_of(&mallory_device).contains("not on the roster"));
    assert!(reason_of(&other_device).contains("another workspace"));
    assert!(!reason_of(&rel(&carol_dir.join("00000002.pgp"))).is_empty());
    assert!(reason_of(&rel(&carol_dir.join("00000003.pgp"))).contains("not an OpenPGP message"));
    assert_eq!(rejected.len(), 7, "{report:#}");
    assert!(!files(&report["rejected"]).iter().any(|f| f.contains("syncthing") || f.contains(".part")));

    // The honest bundle beside them applied; nothing of the hostile ones did.
    assert_eq!(files(&report["applied"]), vec![rel(&carol_bundle)]);
    let seen = names(alice);
    assert!(seen.contains(&"Carol's Org".to_string()) && seen.contains(&"Bob's First".to_string()));
    for absent in ["Bob's Second", "Mallory Corp", "Other Workspace Org"] {
        assert!(!seen.contains(&absent.to_string()), "{absent} applied");
    }

    // Listed again by sync status until resolved; never deleted by the app.
    let status = alice.json(&["sync", "status"]);
    assert_eq!(status["rejected"].as_array().unwrap().len(), 7);
    assert!(second.exists());
    fs::remove_file(carol_dir.join("00000003.pgp")).unwrap();
    board.sync(0);
    assert_eq!(alice.json(&["sync", "status"])["rejected"].as_array().unwrap().len(), 6);
    // The app keeps working.
    alice.run(&["partner", "add", "Still Working"]).ok();
    assert!(board.sync(0)["written"].as_array().unwrap().len() == 1);
}

#[test]
fn a_bundle_that_waits_for_its_predecessor_applies_when_it_arrives() {
    let board = Board::new(&["Alice", "Bob"]);
    let [alice, bob] = [&board.members[0], &board.members[1]];
    bob.run(&["partner", "add", "First"]).ok();
    board.sync(1);
    bob.run(&["partner", "add", "Second"]).ok();
    board.sync(1);
    let first = board.bundles_of(1)[0].clone();
    // The sync tool delivered the second before the first.
    let held = fs::read(&first).unwrap();
    fs::remove_file(&first).unwrap();
    let report = board.sync(0);
    assert_eq!(report["waiting"].as_array().unwrap().len(), 1, "{report:#}");
    assert!(report["waiting"][0]["reason"].as_str().unwrap().contains("waits for bundle 1"));
    assert!(report["rejected"].as_array().unwrap().is_empty());
    assert!(names(alice).is_empty());
    fs::write(&first, held).unwrap();
    let report = board.sync(0);
    assert_eq!(report["applied"].as_array().unwrap().len(), 2, "{report:#}");
    assert_eq!(names(alice), ["First", "Second"].map(String::from));
}

#[test]
fn two_different_bundles_for_one_position_are_a_fork_and_neither_branch_goes_on() {
    let board = Board::new(&["Alice", "Bob"]);
    let [alice, bob] = [&board.members[0], &board.members[1]];
    bob.run(&["partner", "add", "Before The Fork"]).ok();
    board.sync(1);
    board.sync(0);
    bob.run(&["partner", "add", "Branch A"]).ok();
    board.sync(1);
    let second = board.bundles_of(1)[1].clone();
    // The sync tool kept a second, different version of bundle 2 beside it.
    let gpg = gpg_as(bob, &[alice, bob]);
    let mut other = gpg_decrypt(&gpg, bob, &second);
    other["ops"][0]["body"]["name"] = Value::from("Branch B");
    let conflict = second.with_file_name("00000002.sync-conflict-20261125-120000-ABCDEFG.pgp");
    gpg_seal(&gpg, bob, &[alice, bob], &other, &conflict);

    let report = board.sync(0);
    let forks = report["forks"].as_array().unwrap();
    assert_eq!(forks.len(), 1, "{report:#}");
    assert_eq!(forks[0]["files"].as_array().unwrap().len(), 2);
    assert_eq!(forks[0]["seq"], 2);
    assert!(!names(alice).contains(&"Branch A".to_string()), "a forked branch was applied");
    assert_eq!(alice.json(&["sync", "status"])["forks"].as_array().unwrap().len(), 1);

    // Resolved by removing the wrong copy: the chain goes on.
    fs::remove_file(&conflict).unwrap();
    let report = board.sync(0);
    assert!(report["forks"].as_array().unwrap().is_empty());
    assert!(names(alice).contains(&"Branch A".to_string()));
}

fn sha256_hex(bytes: &[u8]) -> String {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    fs::write(&path, bytes).unwrap();
    let out = Command::new("sha256sum").arg(&path).output().unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().to_string()
}

#[test]
fn a_folder_that_moved_or_is_missing_is_said_plainly() {
    let board = Board::new(&["Alice", "Bob"]);
    let [alice, bob] = [&board.members[0], &board.members[1]];
    alice.run(&["partner", "add", "Acme Cloud"]).ok();
    board.sync(0);

    // The USB stick is mounted somewhere else on Bob's laptop.
    let stick = tempfile::tempdir().unwrap();
    let copy = stick.path().join("board");
    copy_dir(board.folder.path(), &copy);
    bob.run(&["sync", "--folder", stick.path().to_str().unwrap()]).fails_with("no workspace");
    let report = bob.json(&["sync", "--folder", copy.to_str().unwrap()]);
    assert_eq!(report["applied"].as_array().unwrap().len(), 1);
    assert_eq!(bob.json(&["workspace", "show"])["folder"], fs::canonicalize(&copy).unwrap().to_str().unwrap());

    // Unplugged: sync says so, and records stay usable offline.
    fs::remove_dir_all(&copy).unwrap();
    bob.run(&["sync"]).fails_with("is not reachable");
    assert_eq!(names(bob), ["Acme Cloud"]);
    bob.run(&["partner", "add", "Offline Org"]).ok();
    assert_eq!(bob.json(&["sync", "status"])["pending_operations"], 1);
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}
