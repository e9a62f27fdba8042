//! Access by role: four homes (two board members, a treasurer, a community-team
//! member) and one folder. Board-only records travel in bundles encrypted to the board
//! alone: the others cannot open them with Countersign or with stock gpg and their
//! own secret key, and hold no trace of them. A role change to board opens the new
//! bundles of that scope; a removal stops new access.

use countersign_e2e::{files_containing, gpg_as, gpg_decrypt, gpg_seal, Board, Gpg, Member};
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};

/// Alice and Bob (board), Tess (treasurer), Tim (team).
fn workspace() -> Board {
    Board::with_roles(&["Alice", "Bob", "Tess", "Tim"], &["board", "board", "treasurer", "team"])
}

fn sync_all(board: &Board) {
    for _ in 0..2 {
        for i in 0..board.members.len() {
            board.sync(i);
        }
    }
}

fn names(member: &Member) -> Vec<String> {
    let list = member.json(&["partner", "list"]);
    list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect()
}

/// Every bundle file in the workspace folder (not the genesis, not key shares).
fn bundle_files(board: &Board) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for author in fs::read_dir(board.dir()).unwrap().flatten().filter(|e| e.path().is_dir()) {
        for device in fs::read_dir(author.path()).unwrap().flatten() {
            for file in fs::read_dir(device.path()).unwrap().flatten() {
                if file.path().is_file() && file.file_name().to_string_lossy().ends_with(".pgp") {
                    files.push(file.path());
                }
            }
        }
    }
    files.sort();
    files
}

/// The scope each bundle declares, read with a board member's key through stock gpg.
fn scopes_of(gpg: &Gpg, reader: &Member, files: &[PathBuf]) -> Vec<(PathBuf, String)> {
    files.iter().map(|f| (f.clone(), gpg_decrypt(gpg, reader, f)["scope"].as_str().unwrap().to_string())).collect()
}

/// Whether stock gpg, holding `who`'s secret key, decrypts `file`.
fn gpg_opens(gpg: &Gpg, who: &Member, file: &Path) -> bool {
    gpg.run(&["--passphrase", &who.passphrase, "--decrypt", file.to_str().unwrap()]).code == 0
}
const SECRET_ORG: &str = "Nimbus Quantum";
const SECRET_NOTE: &str = "They would double the grant if we co-brand the cache";

/// Alice records a board-only organisation with notes, and a board-only note on a
/// public one; everyone syncs.
fn board_only_talks(board: &Board) {
    let alice = &board.members[0];
    alice.run(&["partner", "add", SECRET_ORG, "--scope", "board", "--stage", "in-discussion"]).ok();
    alice.run(&["partner", "set", SECRET_ORG, "--notes", "Term sheet in the board folder"]).ok();
    alice.run(&["partner", "log", SECRET_ORG, "--channel", "call", "--summary", SECRET_NOTE]).ok();
    alice.run(&["partner", "add", "Public Mirror Org", "--tag", "hosting"]).ok();
    alice
        .run(&[
            "partner",
            "log",
            "Public Mirror Org",
            "--channel",
            "email",
            "--summary",
            "Board aside",
            "--scope",
            "board",
        ])
        .ok();
    alice.run(&["partner", "log", "Public Mirror Org", "--channel", "email", "--summary", "Sent the mirror list"]).ok();
    sync_all(board);
}

#[test]
fn board_only_notes_reach_the_board_and_no_trace_reaches_the_treasurer_or_the_team() {
    let board = workspace();
    let [alice, bob, tess, tim] = [&board.members[0], &board.members[1], &board.members[2], &board.members[3]];
    board_only_talks(&board);

    // The board reads everything, marked with its scope.
    let detail = bob.json(&["partner", "show", SECRET_ORG]);
    assert_eq!(detail["scope"], "board");
    assert_eq!(detail["interactions"][0]["summary"], SECRET_NOTE);
    assert_eq!(detail["notes"], "Term sheet in the board folder");
    let listed = bob.json(&["partner", "list", "--scope", "board"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let public = bob.json(&["partner", "show", "Public Mirror Org"]);
    assert_eq!(public["scope"], "all");
    let scopes: Vec<&str> =
        public["interactions"].as_array().unwrap().iter().map(|i| i["scope"].as_str().unwrap()).collect();
    assert_eq!(scopes.len(), 2);
    assert!(scopes.contains(&"board") && scopes.contains(&"all"), "{scopes:?}");

    // The treasurer and the team see the public record and its public note only.
    for member in [tess, tim] {
        assert_eq!(names(member), ["Public Mirror Org"], "{}", member.name);
        let public = member.json(&["partner", "show", "Public Mirror Org"]);
        let summaries: Vec<&str> =
            public["interactions"].as_array().unwrap().iter().map(|i| i["summary"].as_str().unwrap()).collect();
        assert_eq!(summaries, ["Sent the mirror list"], "{}", member.name);
        member.run(&["partner", "show", SECRET_ORG]).fails_with("no organisation named");
        // Countersign itself leaves the board's bundles sealed: counted, not an error.
        let status = member.json(&["sync", "status"]);
        assert!(status["sealed"].as_u64().unwrap() >= 1, "{status}");
        assert_eq!(status["rejected"].as_array().unwrap().len(), 0, "{status}");
    }

    // Stock gpg with each member's own secret key: the board's bundles open for Bob,
    // never for Tess or Tim; the public ones open for everyone.
    let everyone = [alice, bob, tess, tim];
    let files = bundle_files(&board);
    let gpg_bob = gpg_as(bob, &everyone);
    let scoped = scopes_of(&gpg_bob, bob, &files);
    let board_files: Vec<&PathBuf> = scoped.iter().filter(|(_, s)| s == "board").map(|(f, _)| f).collect();
    let public_files: Vec<&PathBuf> = scoped.iter().filter(|(_, s)| s == "all").map(|(f, _)| f).collect();
    assert!(!board_files.is_empty() && !public_files.is_empty(), "{scoped:?}");
    for member in [tess, tim] {
        let gpg = gpg_as(member, &everyone);
        for file in &board_files {
            assert!(!gpg_opens(&gpg, member, file), "{} opened {}", member.name, file.display());
        }
        for file in &public_files {
            assert!(gpg_opens(&gpg, member, file), "{} could not open {}", member.name, file.display());
        }
    }

    // No trace in their homes: not the name, not the note, not the organisation's id,
    // neither in the files (ciphertext at rest, so this alone proves little) nor in the
    // records their database holds, read through Countersign itself.
    let secret_id = detail["id"].as_str().unwrap().to_string();
    for member in [tess, tim] {
        let records = member.run(&["digest", "--records"]).ok();
        assert!(records.contains("Public Mirror Org"), "the dump shows what is there: {records}");
        for needle in [SECRET_ORG, SECRET_NOTE, "Board aside", secret_id.as_str()] {
            let found = files_containing(&member.home, needle);
            assert!(found.is_empty(), "{:?} found in {}'s home: {found:?}", needle, member.name);
            assert!(!records.contains(needle), "{needle:?} in {}'s records", member.name);
        }
    }
    assert!(bob.run(&["digest", "--records"]).ok().contains(SECRET_NOTE), "Bob's records hold the note");
    assert!(files_containing(&bob.home, SECRET_ORG).is_empty(), "even Bob's files are ciphertext at rest");

    // Digests compare between members who read the same scopes.
    assert_eq!(alice.digest(), bob.digest());
    assert_eq!(tess.digest(), tim.digest());
    assert_ne!(alice.digest(), tim.digest());
}

#[test]
fn a_role_change_to_board_opens_new_board_bundles_and_a_removal_stops_new_access() {
    let board = workspace();
    let [alice, bob, tess, tim] = [&board.members[0], &board.members[1], &board.members[2], &board.members[3]];
    board_only_talks(&board);
    let everyone = [alice, bob, tess, tim];
    let before = bundle_files(&board);

    // Tess becomes a board member: a roster decision, approved by the board.
    let id = alice.json(&["member", "role", &tess.fingerprint(), "board"])["id"].as_str().unwrap().to_string();
    alice.json(&["decision", "vote", &id, "approve"]);
    board.sync(0);
    board.sync(1);
    assert_eq!(bob.json(&["decision", "vote", &id, "approve"])["status"], "approved");
    sync_all(&board);
    alice.run(&["partner", "log", SECRET_ORG, "--channel", "meeting", "--summary", "Signed the letter of intent"]).ok();
    sync_all(&board);

    let detail = tess.json(&["partner", "show", SECRET_ORG]);
    let summaries: Vec<&str> =
        detail["interactions"].as_array().unwrap().iter().map(|i| i["summary"].as_str().unwrap()).collect();
    assert!(summaries.contains(&"Signed the letter of intent"), "{summaries:?}");
    // The earlier board bundles reach her through key shares from the board's devices.
    assert!(summaries.contains(&SECRET_NOTE), "{summaries:?}");
    assert_eq!(tess.digest(), alice.digest());
    let gpg_tess = gpg_as(tess, &everyone);
    let newest = bundle_files(&board).into_iter().filter(|f| !before.contains(f)).collect::<Vec<_>>();
    let gpg_bob = gpg_as(bob, &everyone);
    let new_board: Vec<PathBuf> =
        scopes_of(&gpg_bob, bob, &newest).into_iter().filter(|(_, s)| s == "board").map(|(f, _)| f).collect();
    assert!(!new_board.is_empty());
    for file in &new_board {
        assert!(gpg_opens(&gpg_tess, tess, file), "new board bundle {} not encrypted to Tess", file.display());
    }
    // Tim is still team: the new board bundle is sealed to him too.
    let gpg_tim = gpg_as(tim, &everyone);
    assert!(new_board.iter().all(|f| !gpg_opens(&gpg_tim, tim, f)));

    // Tim is removed. What he could read before stays readable to him (the honest
    // limit); what is written afterwards is not encrypted to him.
    let old_public = before.iter().find(|f| gpg_opens(&gpg_tim, tim, f)).expect("Tim read public bundles").clone();
    let id = alice.json(&["member", "remove", &tim.fingerprint()])["id"].as_str().unwrap().to_string();
    alice.json(&["decision", "vote", &id, "approve"]);
    board.sync(0);
    board.sync(1);
    bob.json(&["decision", "vote", &id, "approve"]);
    sync_all(&board);
    let seen = bundle_files(&board);
    alice.run(&["partner", "add", "After Removal Org"]).ok();
    board.sync(0);
    let after: Vec<PathBuf> = bundle_files(&board).into_iter().filter(|f| !seen.contains(f)).collect();
    assert!(!after.is_empty());
    for file in &after {
        assert!(!gpg_opens(&gpg_tim, tim, file), "{} is still encrypted to Tim", file.display());
        assert!(gpg_opens(&gpg_tess, tess, file));
    }
    assert!(gpg_opens(&gpg_tim, tim, &old_public), "earlier bundles stay readable to a removed member");
    let _ = tim.run(&["sync"]);
    assert!(!names(tim).contains(&"After Removal Org".to_string()));
    board.sync(1);
    assert!(names(bob).contains(&"After Removal Org".to_string()));
}

#[test]
fn unknown_scopes_unreadable_scopes_and_mismatched_bundles_are_refused() {
    let board = workspace();
    let [alice, bob, tess, tim] = [&board.members[0], &board.members[1], &board.members[2], &board.members[3]];
    board_only_talks(&board);
    let log = fs::read_to_string(tim.home.join("ops.log")).unwrap_or_default();

    alice.run(&["partner", "add", "Hr Org", "--scope", "hr"]).fails_with("no such scope");
    alice.run(&["partner", "add", "Odd Org", "--scope", "board only"]).fails_with("scope");
    tim.run(&["partner", "add", "Team Secret", "--scope", "board"]).fails_with("may not read the scope `board`");
    tim.run(&["decision", "propose", "--kind", "other", "--title", "Money talk", "--scope", "finance"])
        .fails_with("may not read the scope `finance`");
    tess.run(&["partner", "log", "Public Mirror Org", "--channel", "call", "--summary", "x", "--scope", "board"])
        .fails_with("may not read the scope `board`");
    alice
        .run(&["partner", "log", SECRET_ORG, "--channel", "call", "--summary", "x", "--scope", "all"])
        .fails_with("its notes and contacts must be too");
    alice
        .run(&["decision", "propose", "--kind", "other", "--title", "Board", "--scope", "hr"])
        .fails_with("no such scope");
    assert_eq!(fs::read_to_string(tim.home.join("ops.log")).unwrap_or_default(), log, "nothing recorded");

    // Forged bundles, signed by Alice with stock gpg on a device of her own:
    // 1. declared board, but encrypted to Tim (team) as well;
    // 2. declared all, holding an operation of scope board.
    let everyone = [alice, bob, tess, tim];
    let gpg_alice = gpg_as(alice, &everyone);
    let public_id = bob.json(&["partner", "show", "Public Mirror Org"])["id"].as_str().unwrap().to_string();
    let template = gpg_decrypt(&gpg_alice, alice, &board.bundles_of(0)[0]);
    let forge = |device: char, scope: &str, op_scope: &str, notes: &str, recipients: &[&Member]| {
        let device = device.to_string().repeat(32);
        let dir = board.dir().join(alice.fingerprint()).join(&device);
        fs::create_dir_all(&dir).unwrap();
        let mut op = json!({
            "author": alice.fingerprint(),
            "body": {"fields": {"notes": notes}, "partner": public_id, "type": "partner.set"},
            "hlc": {"ms": 4_102_444_800_000_i64, "n": 0},
        });
        if op_scope != "all" {
            op["scope"] = Value::from(op_scope);
        }
        let mut payload = template.clone();
        payload["device"] = Value::from(device);
        payload["seq"] = Value::from(1);
        payload.as_object_mut().unwrap().remove("prev");
        payload["scope"] = Value::from(scope);
        payload["ops"] = json!([op]);
        gpg_seal(&gpg_alice, alice, recipients, &payload, &dir.join("00000001.pgp"));
    };
    forge('a', "board", "board", "Forged: board notes sent to the team", &[alice, bob, tim]);
    forge('b', "all", "board", "Forged: board operation in a public bundle", &everyone);

    let report = board.sync(1);
    let reasons: Vec<String> =
        report["rejected"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap().to_string()).collect();
    assert!(reasons.iter().any(|r| r.contains("whose role may not read it")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("holding an operation of scope `board`")), "{reasons:?}");
    let report = board.sync(3);
    assert!(report["rejected"].as_array().unwrap().len() >= 1, "{report}");
    for member in [bob, tim] {
        let notes = member.json(&["partner", "show", "Public Mirror Org"])["notes"].clone();
        assert!(!notes.to_string().contains("Forged"), "{}: {notes}", member.name);
    }
}

#[test]
fn moving_a_record_shares_it_as_it_stands_and_its_earlier_notes_keep_their_scope() {
    let board = workspace();
    let [alice, bob, tess, tim] = [&board.members[0], &board.members[1], &board.members[2], &board.members[3]];
    board_only_talks(&board);

    // The board opens the talks to everyone: the record as it stands reaches the
    // team; the notes written as board-only stay board-only.
    let moved = alice.json(&["partner", "set", SECRET_ORG, "--scope", "all", "--stage", "partner"]);
    assert_eq!(moved["scope"], "all");
    sync_all(&board);
    for member in [tess, tim] {
        let detail = member.json(&["partner", "show", SECRET_ORG]);
        assert_eq!(detail["scope"], "all", "{}", member.name);
        assert_eq!(detail["stage"], "partner");
        assert_eq!(detail["notes"], "Term sheet in the board folder");
        assert_eq!(detail["interactions"].as_array().unwrap().len(), 0, "{detail}");
    }
    tim.run(&["partner", "log", SECRET_ORG, "--channel", "email", "--summary", "Welcome pack sent"]).ok();
    sync_all(&board);
    let detail = bob.json(&["partner", "show", SECRET_ORG]);
    assert_eq!(detail["interactions"].as_array().unwrap().len(), 2, "{detail}");

    // The mirror's talks turn sensitive: it moves to board. The team learns only that
    // it moved (and can no longer write into it); later notes do not reach them.
    alice.json(&["partner", "set", "Public Mirror Org", "--scope", "board"]);
    sync_all(&board);
    assert_eq!(tim.json(&["partner", "show", "Public Mirror Org"])["scope"], "board");
    tim.run(&["partner", "log", "Public Mirror Org", "--channel", "call", "--summary", "x"])
        .fails_with("may not read the scope `board`");
    alice.run(&["partner", "log", "Public Mirror Org", "--channel", "call", "--summary", "Exclusive deal"]).ok();
    sync_all(&board);
    assert!(!tim.run(&["digest", "--records"]).ok().contains("Exclusive deal"));
    assert!(bob.run(&["digest", "--records"]).ok().contains("Exclusive deal"));
    assert_eq!(alice.digest(), bob.digest());
    assert_eq!(tess.digest(), tim.digest());
}
