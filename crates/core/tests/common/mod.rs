//! What the workspace-level tests share: members with homes of their own under one
//! temporary root (in memory when the system has a tmpfs), and copying homes.

#![allow(dead_code)]

use countersign_core::KeySource;
use countersign_core::SyncReport;
use countersign_core::{Clock, Home};
use countersign_core::{Kind, NewPartner, Stage};
use countersign_core::{Passphrase, UnlockedKey};
use countersign_core::{Role, RosterMember};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const PASS: &str = "workspace tests";

/// A temporary root for homes and folders: in memory when the system has a tmpfs, so
/// the tests measure Countersign, not the disk's flushes.
pub fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.unwrap()
}

pub struct Member {
    pub home: Home,
    pub key: UnlockedKey,
}

impl Member {
    /// A member with a new key and a home at `root/name`.
    pub fn new(root: &Path, name: &str, clock: &Arc<dyn Clock>) -> Member {
        let email = format!("{}@example.org", name.to_lowercase());
        let pass = Passphrase::from(PASS);
        let home =
            Home::init(&root.join(name), KeySource::Generate { name, email: &email }, &pass, clock.clone()).unwrap();
        let key = home.unlock(&pass).unwrap();
        Member { home, key }
    }

    /// A second home (another device) for the key of `of`.
    pub fn device_of(of: &Member, dir: &Path, clock: &Arc<dyn Clock>) -> Member {
        let key_file = of.home.dir().join("key.asc");
        let source = KeySource::Import { path: &key_file, name: None, email: None };
        let home = Home::init(dir, source, &Passphrase::from(PASS), clock.clone()).unwrap();
        let key = home.unlock(&Passphrase::from(PASS)).unwrap();
        Member { home, key }
    }

    pub fn roster_entry(&self, role: Role, clock: &Arc<dyn Clock>) -> RosterMember {
        let cert = self.home.key().public_armored().unwrap();
        RosterMember::from_cert(Path::new("cert"), cert.as_bytes(), role, clock.now()).unwrap()
    }

    pub fn add_partner(&mut self, name: &str) {
        let request = NewPartner {
            name: name.into(),
            kind: Kind::Company,
            stage: Stage::Prospect,
            tags: vec![],
            website: None,
            scope: None,
        };
        self.home.add_partner(request).unwrap();
    }

    pub fn sync(&mut self) -> SyncReport {
        self.home.sync(&self.key).unwrap()
    }

    /// The bundle files of this home's device in `ws_dir`, in seq order.
    pub fn chain(&self, ws_dir: &Path) -> Vec<PathBuf> {
        let dir = ws_dir.join(self.home.fingerprint().as_str()).join(self.home.device());
        let mut files: Vec<PathBuf> =
            fs::read_dir(&dir).map(|entries| entries.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|x| x == "pgp"));
        files.sort();
        files
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Makes `dir` what `baseline` holds: removes everything else, copies it back.
pub fn restore_dir(baseline: &Path, dir: &Path) {
    if dir.exists() {
        fs::remove_dir_all(dir).unwrap();
    }
    copy_dir(baseline, dir);
}
