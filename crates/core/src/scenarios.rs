//! Scenarios over a whole demo workspace: the tests of lower layers that need the
//! demo's records (a home, its log, its folder) to show what they do. They live at
//! the top so the layers below never import the demo.

/// A home made before the store was encrypted.
mod legacy_home {
    use crate::crypto::key::Passphrase;
    use crate::crypto::vault::STORE_KEY_FILE;
    use crate::engine::operation::Operation;
    use crate::engine::store::Store;
    use crate::home::apply;
    use crate::home::*;
    use crate::FixedClock;
    use std::fs;
    use std::path::Path;
    use std::sync::Arc;

    /// Whether any file under `dir` holds `needle`.
    fn found_in_files(dir: &Path, needle: &[u8]) -> bool {
        fs::read_dir(dir).unwrap().flatten().any(|entry| {
            let path = entry.path();
            if path.is_dir() {
                found_in_files(&path, needle)
            } else {
                fs::read(&path).unwrap().windows(needle.len()).any(|w| w == needle)
            }
        })
    }

    /// A home from before the store was encrypted (a plaintext log and database) is
    /// encrypted when it is first opened, and keeps every record.
    #[test]
    fn a_home_made_before_the_store_was_encrypted_is_encrypted_on_first_open_and_keeps_its_records() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        let clock = Arc::new(FixedClock::at_date(2026, 11, 20));
        let home = crate::demo::create(&dir, clock.clone()).unwrap();
        let unlocked = home.unlock(&Passphrase::from(crate::demo::DEMO_PASSPHRASE)).unwrap();
        let digest = home.digest().unwrap();
        let ops = home.operations().unwrap();
        let partner = home.db().query_row("SELECT name FROM partners LIMIT 1", [], |r| r.get::<_, String>(0)).unwrap();
        let folder = home.workspace_link().unwrap().folder.clone();
        drop(home);

        // The home as the previous version left it.
        let plain: Vec<u8> =
            Operation::encode_all(&ops).iter().flat_map(|line| [line.as_slice(), b"\n"].concat()).collect();
        fs::write(dir.join(LOG_FILE), &plain).unwrap();
        fs::remove_file(dir.join(STORE_KEY_FILE)).unwrap();
        remove_db_files(&dir.join(DB_FILE)).unwrap();
        apply::apply_local(&mut Store::open(&dir.join(DB_FILE), None).unwrap(), &ops, None).unwrap();
        assert!(found_in_files(&dir, partner.as_bytes()), "the legacy home holds its records in the clear");

        let mut home = Home::open(&dir, clock, &unlocked).unwrap();
        home.read_folder(&unlocked).unwrap();
        assert_eq!(home.digest().unwrap(), digest);
        assert_eq!(home.operations().unwrap(), ops);
        drop(home);
        assert!(dir.join(STORE_KEY_FILE).exists());
        assert!(
            !dir.join(format!("{LOG_FILE}.sealed")).exists() && !dir.join(format!("{STORE_KEY_FILE}.new")).exists()
        );
        // The demo's sample export for trying the importer (public demo data) is the
        // only file the demo adds; a member's home has none.
        fs::remove_file(dir.join("demo-opencollective.csv")).unwrap();
        for needle in [partner.as_bytes(), b"\"author\"", b"SQLite format 3"] {
            assert!(!found_in_files(&dir, needle), "{:?} in the home", String::from_utf8_lossy(needle));
            assert!(!found_in_files(&folder, needle), "{:?} in the folder", String::from_utf8_lossy(needle));
        }
    }
}

/// `countersign verify` on a demo home.
mod verify {
    use crate::crypto::key::Passphrase;
    use crate::crypto::key::UnlockedKey;
    use crate::home::Home;
    use crate::home::LOG_FILE;
    use crate::partners::model::{Kind, NewPartner, Stage};
    use crate::sync::verify::*;
    use crate::FixedClock;
    use std::fs;
    use std::path::Path;
    use std::sync::Arc;

    fn demo(dir: &Path) -> (Home, UnlockedKey) {
        let home = crate::demo::create(dir, Arc::new(FixedClock::at_date(2026, 11, 20))).expect("demo");
        let key = home.unlock(&Passphrase::from(crate::demo::DEMO_PASSPHRASE)).expect("unlock");
        (home, key)
    }

    fn reopen(dir: &Path, key: &UnlockedKey) -> Home {
        Home::open(dir, Arc::new(FixedClock::at_date(2026, 11, 21)), key).expect("open")
    }

    /// The checks that found something, in order.
    fn checks(report: &VerifyReport) -> Vec<&str> {
        report.problems.iter().map(|p| p.check.as_str()).collect()
    }

    fn message(report: &VerifyReport, check: &str) -> String {
        report.problems.iter().filter(|p| p.check == check).map(|p| p.message.clone()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn a_healthy_home_verifies_and_each_kind_of_damage_is_named_with_what_to_do() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        let (mut home, key) = demo(&dir);
        let report = home.verify(&key).unwrap();
        assert!(report.ok, "{report:#?}");
        assert_eq!(report.rebuilt_digest.as_deref(), Some(report.digest.as_str()));
        assert!(report.operations > 0 && report.bundles > 0 && report.transactions > 0, "{report:#?}");
        assert_eq!(report.pending + report.bundled, report.operations, "{report:#?}");
        assert!(!fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(TEMP_PREFIX)));

        // The monthly totals drift from the rows: the reports would be wrong.
        home.db()
            .execute(
                "UPDATE finance_totals SET net = net + 1 WHERE (source, year, month) IN (SELECT source, year, month FROM finance_totals LIMIT 1)",
                [],
            )
            .unwrap();
        let report = home.verify(&key).unwrap();
        assert_eq!(checks(&report), ["totals"], "{report:#?}");
        assert!(message(&report, "totals").contains("countersign rebuild"));
        home.db()
            .execute(
                "UPDATE finance_totals SET net = net - 1 WHERE (source, year, month) IN (SELECT source, year, month FROM finance_totals LIMIT 1)",
                [],
            )
            .unwrap();

        // A record changed in the database: it no longer equals a rebuild.
        let (id, description): (String, String) = home
            .db()
            .query_row("SELECT id, description FROM transactions LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        home.db().execute("UPDATE transactions SET description = 'altered' WHERE id = ?1", [&id]).unwrap();
        let report = home.verify(&key).unwrap();
        assert_eq!(checks(&report), ["records"], "{report:#?}");
        assert!(message(&report, "records").contains("transactions"), "{report:#?}");
        assert_ne!(report.rebuilt_digest.as_deref(), Some(report.digest.as_str()));
        home.db().execute("UPDATE transactions SET description = ?2 WHERE id = ?1", [&id, &description]).unwrap();

        // The record of what was bundled is lost: those operations would never be sent.
        let bundled: Vec<String> = home
            .db()
            .prepare("SELECT id FROM bundled_ops")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(!bundled.is_empty());
        home.db().execute("DELETE FROM bundled_ops", []).unwrap();
        let report = home.verify(&key).unwrap();
        assert!(checks(&report).iter().all(|c| *c == "outbox"), "{report:#?}");
        assert!(message(&report, "outbox").contains("neither waiting in the outbox nor in a bundle"), "{report:#?}");
        for id in &bundled {
            home.db().execute("INSERT INTO bundled_ops (id) VALUES (?1)", [id]).unwrap();
        }

        // A bundle changed in the shared folder after it was read.
        let rel: String = home
            .db()
            .query_row(
                "SELECT path FROM bundles WHERE status = 'applied' AND author != ?1 LIMIT 1",
                [home.fingerprint().as_str()],
                |r| r.get(0),
            )
            .unwrap();
        let path = home.workspace_link().unwrap().folder.join(&rel);
        let original = fs::read(&path).unwrap();
        let mut altered = original.clone();
        altered.push(b'\n');
        fs::write(&path, &altered).unwrap();
        let report = home.verify(&key).unwrap();
        assert_eq!(checks(&report)[0], "bundle", "{report:#?}");
        assert!(message(&report, "bundle").contains(&format!("{rel} (hash")), "{report:#?}");
        assert!(message(&report, "bundle").contains("another member's copy"), "{report:#?}");
        fs::write(&path, &original).unwrap();

        let report = home.verify(&key).unwrap();
        assert!(report.ok, "everything put back: {report:#?}");

        // An operation twice in the log.
        let log = dir.join(LOG_FILE);
        let text = fs::read(&log).unwrap();
        let last = text[..text.len() - 1].rsplit(|b| *b == b'\n').next().unwrap().to_vec();
        fs::write(&log, [text.clone(), last, b"\n".to_vec()].concat()).unwrap();
        let report = home.verify(&key).unwrap();
        assert!(checks(&report).contains(&"log"), "{report:#?}");
        assert!(message(&report, "log").contains("twice"), "{report:#?}");
    }

    /// A crash after a bundle is written and before it is recorded (the state a SIGKILL
    /// in `write_pending` leaves): the home verifies, the bundle counts as not read yet,
    /// and the next sync reads it back instead of writing the operations again.
    #[test]
    fn a_bundle_written_but_not_recorded_is_read_back_not_written_twice() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        let (mut home, key) = demo(&dir);
        home.add_partner(NewPartner {
            name: "Crash Test Dummies".into(),
            kind: Kind::Company,
            stage: Stage::Prospect,
            tags: Vec::new(),
            website: None,
            scope: None,
        })
        .unwrap();
        drop(home);
        let db = dir.join("state.sqlite");
        let before = tmp.path().join("before.sqlite");
        fs::copy(&db, &before).unwrap();

        let mut home = reopen(&dir, &key);
        let written = home.sync(&key).unwrap().written;
        assert_eq!(written.len(), 1);
        drop(home);
        // The crash: the database as it was before the bundle was recorded.
        for suffix in ["-wal", "-shm"] {
            let _ = fs::remove_file(format!("{}{suffix}", db.display()));
        }
        fs::copy(&before, &db).unwrap();

        let mut home = reopen(&dir, &key);
        let report = home.verify(&key).unwrap();
        assert!(report.ok, "{report:#?}");
        assert_eq!(report.pending, 1);
        assert!(report.notes.iter().any(|n| n.contains("1 bundle(s) this home has not read yet")), "{report:#?}");

        let again = home.sync(&key).unwrap();
        assert!(again.written.is_empty(), "written twice: {again:#?}");
        assert_eq!(again.applied.iter().map(|b| b.file.clone()).collect::<Vec<_>>(), [written[0].file.clone()]);
        let report = home.verify(&key).unwrap();
        assert!(report.ok && report.pending == 0, "{report:#?}");
    }
}

/// A home upgraded from a version that refused bundles its checks now accept.
mod upgrade {
    use crate::crypto::key::Passphrase;
    use crate::FixedClock;
    use std::sync::Arc;

    /// The status sync recorded for `path`.
    fn status(home: &crate::home::Home, path: &str) -> String {
        home.db().query_row("SELECT status FROM bundles WHERE path = ?1", [path], |r| r.get(0)).expect("a row")
    }

    #[test]
    fn files_refused_under_earlier_checks_are_checked_again_once() {
        let tmp = tempfile::tempdir().unwrap();
        let clock = Arc::new(FixedClock::at_date(2026, 11, 20));
        let mut home = crate::demo::create(&tmp.path().join("demo"), clock).unwrap();
        let key = home.unlock(&Passphrase::from(crate::demo::DEMO_PASSPHRASE)).unwrap();
        let path: String = home
            .db()
            .query_row("SELECT path FROM bundles WHERE status = 'applied' ORDER BY path LIMIT 1", [], |r| r.get(0))
            .unwrap();
        // As an earlier version left it: the file refused (its signature "not live
        // yet" for a reader whose clock was behind), and no record of the checks.
        let refuse = |home: &crate::home::Home| {
            home.db()
                .execute("UPDATE bundles SET status = 'rejected', reason = 'Not live until' WHERE path = ?1", [&path])
                .unwrap();
        };
        refuse(&home);
        home.db().execute("DELETE FROM meta WHERE key = 'checks'", []).unwrap();
        let report = home.read_folder(&key).unwrap();
        assert_eq!(status(&home, &path), "applied", "checked again under the new checks");
        assert!(report.rejected.iter().all(|r| r.file != path), "{:?}", report.rejected);

        // Once checked under these checks, a refusal stands until the file changes.
        refuse(&home);
        home.read_folder(&key).unwrap();
        assert_eq!(status(&home, &path), "rejected");
    }
}
