//! A full disk: a home on a small disk (a 3 MiB tmpfs, mounted in a mount namespace of
//! its own so the test needs no privileges beyond a user namespace) is given an
//! import larger than the room left. The import fails saying the disk is full, the
//! log is exactly as long as before (the part written is given back), and the home
//! still verifies and gives its digest.

use countersign_e2e::countersign_bin;
use std::fmt::Write as _;
use std::process::Command;

/// An Open Collective export (the REST CSV's columns, as in
/// tests/fixtures/finance/oc-rest.csv) of `rows` contributions.
fn large_export(rows: usize) -> String {
    let fixture =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/finance/oc-rest.csv")).unwrap();
    let mut lines = fixture.lines();
    let header = lines.next().unwrap();
    let row = lines.next().unwrap();
    let mut out = format!("{header}\n");
    for i in 0..rows {
        // The row's own id (shortId, the second column) made unique.
        let _ = writeln!(out, "{}", row.replacen("\"d4e5f6a7\"", &format!("\"{i:08x}\""), 1));
    }
    out
}

#[test]
fn an_import_that_fills_the_disk_records_nothing_gives_the_space_back_and_the_home_still_works() {
    let scratch = tempfile::tempdir().unwrap();
    let csv = scratch.path().join("large.csv");
    std::fs::write(&csv, large_export(60_000)).unwrap();
    let disk = scratch.path().join("small-disk");
    std::fs::create_dir(&disk).unwrap();
    let script = r#"
        set -e
        mount -t tmpfs -o size=3m tmpfs "$DISK"
        H="$DISK/home"
        "$BIN" --home "$H" init --name Alice --email alice@example.org >/dev/null
        before=$(stat -c %s "$H/ops.log")
        if "$BIN" --home "$H" --json finance import opencollective "$CSV" >/dev/null 2>"$DISK/err"; then
            echo "imported"
        fi
        echo "error: $(cat "$DISK/err")"
        echo "log: $before $(stat -c %s "$H/ops.log")"
        "$BIN" --home "$H" --json verify
        "$BIN" --home "$H" digest
    "#;
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", script])
        .env("DISK", &disk)
        .env("BIN", countersign_bin())
        .env("CSV", &csv)
        .env("COUNTERSIGN_PASSPHRASE", "alice passphrase")
        .output()
        .expect("unshare runs (util-linux)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the scenario failed:\n{stdout}\n{stderr}");
    assert!(!stdout.contains("imported"), "the import cannot fit: {stdout}");
    let error = stdout.lines().find(|l| l.starts_with("error: ")).unwrap();
    assert!(error.contains("\"code\":\"disk-full\""), "{error}");
    assert!(error.contains("no space left on the disk holding"), "{error}");
    let sizes: Vec<&str> = stdout.lines().find(|l| l.starts_with("log: ")).unwrap()[5..].split(' ').collect();
    assert_eq!(sizes[0], sizes[1], "the log is as it was before the import");
    assert!(stdout.contains("\"ok\":true") || stdout.contains("\"ok\": true"), "verify: {stdout}");
    assert!(stdout.lines().last().is_some_and(|l| l.trim().len() == 64), "a digest: {stdout}");
}
