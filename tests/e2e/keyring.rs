//! The passphrase in the OS keyring. The round trip runs against a real Secret Service
//! (gnome-keyring on a private D-Bus session): `make test` runs it with `--ignored`
//! inside `dbus-run-session` (scripts/keyring-test.sh).

use countersign_e2e::Member;
use std::process::Command;

fn secret_tool_lookup(fpr: &str) -> Option<String> {
    let out = Command::new("secret-tool").args(["lookup", "service", "countersign", "username", fpr]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
#[ignore = "needs a Secret Service: run through scripts/keyring-test.sh"]
fn the_passphrase_round_trips_through_the_secret_service() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no session bus: run through scripts/keyring-test.sh"
    );
    let alice = Member::init("Alice");
    let fpr = alice.fingerprint();

    // Only a passphrase that unlocks the key is remembered.
    let mut wrong = alice.command(&["key", "remember"]);
    wrong.env("COUNTERSIGN_PASSPHRASE", "wrong");
    assert!(!wrong.output().unwrap().status.success());
    assert_eq!(secret_tool_lookup(&fpr), None);

    alice.run(&["key", "remember"]).ok();
    assert_eq!(secret_tool_lookup(&fpr).as_deref(), Some(alice.passphrase.as_str()), "not in the Secret Service");

    // With nothing in the environment and no terminal, the keyring supplies it.
    let out = alice.command(&["--json", "key", "check"]).env_remove("COUNTERSIGN_PASSPHRASE").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["status"], "keyring");

    let forgotten = alice.json(&["key", "forget"]);
    assert_eq!(forgotten["status"], "forgotten");
    assert_eq!(secret_tool_lookup(&fpr), None);
    let out = alice.command(&["key", "check"]).env_remove("COUNTERSIGN_PASSPHRASE").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("a passphrase is needed"));
}

#[test]
fn without_a_keyring_the_member_is_told_in_one_line_and_asked_instead() {
    let alice = Member::init("Alice");
    let out = alice
        .command(&["key", "check"])
        .env_remove("COUNTERSIGN_PASSPHRASE")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/countersign-test-bus")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let notes: Vec<&str> = stderr.lines().filter(|l| l.contains("OS keyring is not available")).collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(stderr.contains("a passphrase is needed"), "{stderr}");

    let remember = alice
        .command(&["key", "remember"])
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/countersign-test-bus")
        .output()
        .unwrap();
    assert!(!remember.status.success());
    assert!(String::from_utf8_lossy(&remember.stderr).contains("OS keyring is not available"));
}
