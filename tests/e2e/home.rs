//! A member's home: creating it, keys in and out (with stock GnuPG), damage and repair.

use countersign_e2e::{files_containing, Board, Gpg, Member};
use std::fs;

#[test]
fn a_new_member_gets_a_key_that_gnupg_accepts() {
    let alice = Member::init("Alice");
    let info = alice.json(&["whoami"]);
    assert_eq!(info["name"], "Alice");
    assert_eq!(info["email"], "alice@example.org");
    let fpr = info["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(fpr.len(), 40);

    // The exported certificate is public only, and GnuPG imports it under the same fingerprint.
    let cert = alice.run(&["key", "export"]).ok();
    assert!(cert.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    let cert_file = alice.scratch().join("alice.asc");
    fs::write(&cert_file, &cert).unwrap();
    let gpg = Gpg::new();
    gpg.run(&["--import", cert_file.to_str().unwrap()]).ok();
    let listing = gpg.run(&["--with-colons", "--fingerprint", "--list-keys"]).ok();
    assert!(listing.contains(&format!("fpr:::::::::{fpr}:")), "{listing}");
    // An Ed25519 primary key and a Cv25519 encryption subkey.
    assert!(listing.contains(":ed25519:") && listing.contains(":cv25519:"), "{listing}");

    // The secret key on disk is protected: GnuPG sees every secret part encrypted.
    let key_path = alice.home.join("key.asc");
    let packets = gpg.run(&["--list-packets", key_path.to_str().unwrap()]).ok();
    let secret_parts =
        packets.matches(":secret key packet:").count() + packets.matches(":secret sub key packet:").count();
    assert_eq!(secret_parts, 3, "{packets}");
    assert_eq!(packets.matches("[v4 protected]").count(), secret_parts, "{packets}");
    assert!(packets.contains("iter+salt S2K"), "{packets}");
}

#[test]
fn a_key_made_by_gnupg_imports_with_the_same_fingerprint() {
    let gpg = Gpg::new();
    gpg.run(&[
        "--passphrase",
        "gina's secret",
        "--quick-gen-key",
        "Gina Board <gina@example.org>",
        "ed25519",
        "sign",
        "never",
    ])
    .ok();
    let listing = gpg.run(&["--with-colons", "--list-keys"]).ok();
    let fpr = listing
        .lines()
        .find_map(|l| l.strip_prefix("fpr:::::::::").and_then(|r| r.strip_suffix(':')))
        .expect("gpg lists the new key's fingerprint")
        .to_string();
    gpg.run(&["--passphrase", "gina's secret", "--quick-add-key", &fpr, "cv25519", "encr", "never"]).ok();
    let exported = gpg.run(&["--passphrase", "gina's secret", "--armor", "--export-secret-keys", &fpr]).ok();

    let mut gina = Member::new("Gina");
    let key_file = gina.scratch().join("gina-secret.asc");
    fs::write(&key_file, exported).unwrap();

    // The wrong passphrase: refused, and no home is left behind.
    gina.passphrase = "not it".into();
    gina.run(&["init", "--import-key", key_file.to_str().unwrap()]).fails_with("wrong passphrase");
    assert!(!gina.home.exists(), "a failed import left a home behind");

    gina.passphrase = "gina's secret".into();
    let info = gina.run(&["--json", "init", "--import-key", key_file.to_str().unwrap()]).json();
    assert_eq!(info["fingerprint"], fpr.as_str());
    assert_eq!(info["name"], "Gina Board");
    assert_eq!(info["email"], "gina@example.org");
    assert_eq!(gina.fingerprint(), fpr);
    gina.run(&["key", "check"]).ok();
}

#[test]
fn a_key_without_encryption_subkey_or_a_public_certificate_is_refused() {
    let gpg = Gpg::new();
    gpg.run(&["--passphrase", "pw", "--quick-gen-key", "Sign Only <s@example.org>", "ed25519", "sign", "never"]).ok();
    let secret = gpg.run(&["--passphrase", "pw", "--armor", "--export-secret-keys"]).ok();
    let public = gpg.run(&["--armor", "--export"]).ok();
    let mut m = Member::new("Sam");
    m.passphrase = "pw".into();
    let secret_file = m.scratch().join("secret.asc");
    let public_file = m.scratch().join("public.asc");
    let text_file = m.scratch().join("notes.txt");
    fs::write(&secret_file, secret).unwrap();
    fs::write(&public_file, public).unwrap();
    fs::write(&text_file, "this is not a key\n").unwrap();
    m.run(&["init", "--import-key", secret_file.to_str().unwrap()]).fails_with("no secret subkey that can decrypt");
    m.run(&["init", "--import-key", public_file.to_str().unwrap()]).fails_with("only a public certificate");
    m.run(&["init", "--import-key", text_file.to_str().unwrap()]).fails_with("is not an OpenPGP secret key");
    m.run(&["init", "--import-key", "/nonexistent/key.asc"]).fails_with("could not read the key file");
    assert!(!m.home.exists());
}

#[test]
fn bad_input_to_init_changes_nothing() {
    let alice = Member::init("Alice");
    let before = fs::read(alice.home.join("home.json")).unwrap();
    alice
        .run(&["init", "--name", "Alice", "--email", "alice@example.org"])
        .fails_with("already holds a Countersign home");
    assert_eq!(fs::read(alice.home.join("home.json")).unwrap(), before);

    let mut bob = Member::new("Bob");
    bob.run(&["init", "--name", "Bob", "--email", "not-an-address"]).fails_with("invalid email address");
    bob.passphrase = String::new();
    bob.run(&["init", "--name", "Bob", "--email", "bob@example.org"]).fails_with("passphrase is empty");
    // No passphrase anywhere and no terminal to ask on.
    let run = bob
        .command(&["init", "--name", "Bob", "--email", "bob@example.org"])
        .env_remove("COUNTERSIGN_PASSPHRASE")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&run.stderr).contains("COUNTERSIGN_PASSPHRASE"));
    assert!(!bob.home.exists());

    // A passphrase file works instead of the environment.
    let file = bob.scratch().join("pass");
    fs::write(&file, "from a file\n").unwrap();
    let out = bob
        .command(&["--passphrase-file", file.to_str().unwrap(), "init", "--name", "Bob", "--email", "bob@example.org"])
        .env_remove("COUNTERSIGN_PASSPHRASE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    bob.passphrase = "from a file".into();
    bob.run(&["key", "check"]).ok();
    bob.passphrase = "wrong".into();
    bob.run(&["key", "check"]).fails_with("wrong passphrase");
}

#[test]
fn commands_without_a_home_say_how_to_create_one() {
    let nobody = Member::new("Nobody");
    nobody.run(&["partner", "list"]).fails_with("countersign init");
    let err = nobody.run(&["--json", "digest"]);
    assert_ne!(err.code, 0);
    let parsed: serde_json::Value = serde_json::from_str(err.stderr.trim()).expect("a JSON error on stderr");
    assert_eq!(parsed["error"]["code"], "no-home");
}

#[test]
fn rebuild_recreates_a_damaged_or_missing_database_with_the_same_digest() {
    let alice = Member::init("Alice");
    alice.run(&["partner", "add", "Acme Cloud", "--tag", "sponsor"]).ok();
    alice.run(&["partner", "set", "Acme Cloud", "--stage", "partner", "--notes", "Renews in May"]).ok();
    alice.run(&["partner", "log", "Acme Cloud", "--channel", "call", "--summary", "Renewal talk"]).ok();
    let digest = alice.digest();
    assert_eq!(alice.run(&["rebuild"]).ok().trim(), digest);
    assert_eq!(alice.digest(), digest);

    // Damaged: a clear message pointing at rebuild, and rebuild restores everything.
    let db = alice.home.join("state.sqlite");
    for suffix in ["-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", db.display()));
    }
    fs::write(&db, vec![0x5au8; 16384]).unwrap();
    alice.run(&["partner", "list"]).fails_with("run `countersign rebuild`");
    assert_eq!(alice.run(&["rebuild"]).ok().trim(), digest);
    let list = alice.json(&["partner", "list"]);
    assert_eq!(list[0]["stage"], "partner");

    // Missing: the next command replays the log by itself.
    fs::remove_file(&db).unwrap();
    assert_eq!(alice.digest(), digest);
}

#[test]
fn a_home_or_database_from_a_newer_version_is_refused() {
    let alice = Member::init("Alice");
    let path = alice.home.join("home.json");
    let text = fs::read_to_string(&path).unwrap().replace("\"format\": 1", "\"format\": 99");
    fs::write(&path, text).unwrap();
    alice.run(&["partner", "list"]).fails_with("newer version of Countersign");
}

/// A laptop lost while travelling: everything a member's home and their copy of the
/// shared folder hold on disk is ciphertext, and Countersign opens it only with the
/// member's passphrase.
#[test]
fn a_lost_laptop_shows_no_record_without_the_passphrase() {
    let board = Board::new(&["Alice", "Bob"]);
    let (alice, bob) = (&board.members[0], &board.members[1]);
    alice.run(&["partner", "add", "Quasar Hosting", "--tag", "cdn"]).ok();
    alice
        .run(&["partner", "log", "Quasar Hosting", "--channel", "call", "--summary", "Discount if we sign by June"])
        .ok();
    let export = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/finance/oc-2023.csv");
    alice.run(&["finance", "import", "opencollective", export.to_str().unwrap()]).ok();
    alice
        .run(&[
            "decision",
            "propose",
            "--kind",
            "budget",
            "--title",
            "Travel grants for NixCon",
            "--amount",
            "4200",
            "--currency",
            "EUR",
            "--fund",
            "nixcon",
            "--closes",
            "2099-12-31",
        ])
        .ok();
    board.sync(0);
    board.sync(1);
    assert!(bob.run(&["partner", "list"]).ok().contains("Quasar Hosting"), "Bob received the records");

    for member in [alice, bob] {
        for needle in [
            "Quasar Hosting",
            "Discount if we sign by June",
            "Yearly sponsorship",
            "Gandi SAS",
            "Travel grants",
            "970.75",
        ] {
            let found = files_containing(&member.home, needle);
            assert!(found.is_empty(), "{needle:?} in {}'s home: {found:?}", member.name);
        }
        let db = fs::read(member.home.join("state.sqlite")).unwrap();
        assert!(!db.starts_with(b"SQLite format 3"), "sqlite3 can read {}'s database", member.name);
    }
    for needle in ["Quasar Hosting", "Yearly sponsorship", "Travel grants"] {
        assert!(files_containing(board.folder.path(), needle).is_empty(), "{needle:?} in the shared folder");
    }

    // With the passphrase, Countersign reads it all; without it, nothing.
    let query = "SELECT name FROM partners";
    assert_eq!(alice.run(&["sql", query]).ok().trim(), "Quasar Hosting");
    let mut wrong = alice.command(&["sql", query]);
    wrong.env("COUNTERSIGN_PASSPHRASE", "not alice's passphrase");
    let run = countersign_e2e::Run::from(wrong.output().unwrap());
    let stderr = run.fails_with("passphrase");
    assert!(!stderr.contains("Quasar"), "{stderr}");
    alice.run(&["sql", "DELETE FROM partners"]).fails_with("only reads");
    assert_eq!(alice.json(&["sql", "SELECT count(*) AS n FROM transactions"])[0]["n"], 3);
}
