//! A member's home: the folder that holds their key, their operation log and the
//! database derived from it.
//!
//! ```text
//! home.json      who this home belongs to: fingerprint, name, device id, format
//! key.asc        the OpenPGP secret key, secret parts encrypted with the passphrase
//! ops.log        this member's own operations, see `oplog`
//! state.sqlite   the database derived from the log and the shared folder, see `store`
//! lock           held while writing or syncing, so the app and the CLI never interleave
//! ```
//!
//! Architecture invariant: `home.json` is written last, by rename, so a folder with a
//! `home.json` is always a complete home; `init` that fails leaves nothing behind.

use crate::base::clock::{Clock, Hlc};
use crate::base::error::{Error, Result};
use crate::base::files::write_private;
use crate::crypto::identity::{split_user_id, Fingerprint};
use crate::crypto::key::{Passphrase, SecretKey, UnlockedKey};
use crate::crypto::vault::{StoreKey, STORE_KEY_FILE};
use crate::decisions::governance::Governance;
use crate::engine::operation::{OpBody, Operation};
use crate::engine::oplog::OpLog;
use crate::engine::store::{LogLines, StateDigest, Store};
use crate::members::roster::{MemberRef, RuleSet};
use crate::members::scope::Scope;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use ts_rs::TS;

/// The format of `home.json` this version writes and reads.
pub(crate) mod apply;

pub const HOME_FORMAT: i64 = 1;

const HOME_FILE: &str = "home.json";
const KEY_FILE: &str = "key.asc";
pub(crate) const LOG_FILE: &str = "ops.log";
pub(crate) const DB_FILE: &str = "state.sqlite";
const LOCK_FILE: &str = "lock";

/// The folder used when neither `--home` nor `COUNTERSIGN_HOME` names one: the
/// platform's data folder (e.g. `~/.local/share/countersign` on Linux).
pub fn default_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("countersign"))
}

/// Where the demo home lives: beside the real one, never inside it, so invented
/// records never mix with real ones (e.g. `~/.local/share/countersign-demo`).
pub fn demo_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("countersign-demo"))
}

/// What `home.json` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct HomeFile {
    format: i64,
    fingerprint: Fingerprint,
    /// This laptop's device id: each device writes its own chain of bundles.
    device: String,
    name: String,
    email: String,
    created: DateTime<Utc>,
    /// A demo home, filled with invented records; never mixed with real data.
    #[serde(default)]
    demo: bool,
    /// The shared workspace this home belongs to, once created or joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    workspace: Option<WorkspaceLink>,
}

/// Where this home's workspace lives on this laptop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceLink {
    /// The workspace id: the hash of its genesis bundle.
    pub id: String,
    /// The shared folder (it holds `<id>/` with the bundles).
    pub folder: PathBuf,
}

/// Who a home belongs to, as the adapters show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HomeInfo {
    pub fingerprint: String,
    pub name: String,
    pub email: String,
    pub device: String,
    pub home: String,
    pub created: DateTime<Utc>,
    pub demo: bool,
}

/// Where the new home's key comes from.
pub enum KeySource<'a> {
    /// Generate a new Ed25519/Cv25519 key for `name <email>`.
    Generate { name: &'a str, email: &'a str },
    /// Import an exported secret key; name and email default to its user ID.
    Import { path: &'a Path, name: Option<&'a str>, email: Option<&'a str> },
}

/// An open home.
pub struct Home {
    dir: PathBuf,
    file: HomeFile,
    key: SecretKey,
    log: OpLog,
    store: Store,
    clock: Arc<dyn Clock>,
}

impl Home {
    /// Creates a home in `dir` (which must be missing or empty) with a key from
    /// `source`, protected by `passphrase`.
    pub fn init(dir: &Path, source: KeySource<'_>, passphrase: &Passphrase, clock: Arc<dyn Clock>) -> Result<Home> {
        Self::init_with(dir, source, passphrase, clock, false)
    }

    pub(crate) fn init_with(
        dir: &Path,
        source: KeySource<'_>,
        passphrase: &Passphrase,
        clock: Arc<dyn Clock>,
        demo: bool,
    ) -> Result<Home> {
        if dir.join(HOME_FILE).exists() {
            return Err(Error::HomeExists(dir.to_owned()));
        }
        if let Ok(mut entries) = fs::read_dir(dir) {
            if entries.next().is_some() {
                return Err(Error::invalid(
                    "home folder",
                    &dir.display().to_string(),
                    "it is not empty; choose a new or empty folder with --home DIR",
                ));
            }
        }
        let now = clock.now();
        let (key, name, email) = match source {
            KeySource::Generate { name, email } => {
                (SecretKey::generate(name, email, passphrase, now)?, name.trim().to_string(), email.trim().to_string())
            }
            KeySource::Import { path, name, email } => {
                let bytes = fs::read(path).map_err(|e| Error::io("read the key file", path, e))?;
                let key = SecretKey::import(path, &bytes, passphrase, now)?;
                let (uid_name, uid_email) = split_user_id(key.user_id().as_deref().unwrap_or_default());
                let name = name.map(str::to_string).or(uid_name).unwrap_or_default();
                let email = email.map(str::to_string).or(uid_email).unwrap_or_default();
                if name.trim().is_empty() {
                    return Err(Error::invalid("name", "", "the key has no name in its user ID; pass --name NAME"));
                }
                (key, name.trim().to_string(), email.trim().to_string())
            }
        };
        let mut device = [0u8; 16];
        clock.fill_random(&mut device);
        let file = HomeFile {
            format: HOME_FORMAT,
            fingerprint: key.fingerprint(),
            device: hex::encode(device),
            name,
            email,
            created: now,
            demo,
            workspace: None,
        };

        // Build the home beside its destination and move it into place in one rename,
        // so a failure at any step leaves no half-made home behind.
        let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(|e| Error::io("create the folder", parent, e))?;
        let staging = tempfile::Builder::new()
            .prefix(".countersign-init-")
            .tempdir_in(parent)
            .map_err(|e| Error::io("create a folder in", parent, e))?;
        write_private(&staging.path().join(KEY_FILE), &key.to_armored()?)?;
        let unlocked = key.unlock(passphrase, now)?;
        let vault = StoreKey::generate()?;
        write_private(&staging.path().join(STORE_KEY_FILE), &vault.seal(&unlocked, &key.cert(), now)?)?;
        let vault = Arc::new(vault);
        OpLog::open(&staging.path().join(LOG_FILE), vault.clone())?;
        Store::open(&staging.path().join(DB_FILE), Some(&vault))?;
        write_private(&staging.path().join(HOME_FILE), &home_file_bytes(&file))?;
        if dir.exists() {
            // Checked empty above; a concurrent writer makes this fail, which is right.
            fs::remove_dir(dir).map_err(|e| Error::io("replace the empty folder", dir, e))?;
        }
        let staged = staging.keep();
        fs::rename(&staged, dir).map_err(|e| {
            let _ = fs::remove_dir_all(&staged);
            Error::io("move the new home into", dir, e)
        })?;
        Self::open(dir, clock, &unlocked)
    }

    /// The secret key of the home in `dir` (still locked): adapters unlock it with the
    /// member's passphrase, then [`Home::open`] the home with it.
    pub fn read_key(dir: &Path) -> Result<SecretKey> {
        read_home_file(dir)?;
        SecretKey::read(&dir.join(KEY_FILE))
    }

    /// Opens the home in `dir` with its member's unlocked key (the database and the
    /// log are encrypted with a store key sealed to it), catching the database up with
    /// the log if a crash left it behind. A home made before the store was encrypted
    /// is encrypted now.
    pub fn open(dir: &Path, clock: Arc<dyn Clock>, unlocked: &UnlockedKey) -> Result<Home> {
        let (file, key, vault) = read_sealed(dir, unlocked, clock.now())?;
        let log = OpLog::open(&dir.join(LOG_FILE), vault.clone())?;
        let store = Store::open(&dir.join(DB_FILE), Some(&vault))?;
        let mut home = Home { dir: dir.to_owned(), file, key, log, store, clock };
        home.catch_up()?;
        Ok(home)
    }

    /// Recreates the database: replays the whole log into a fresh database that then
    /// replaces the old one and, in a workspace, reads every bundle in the shared
    /// folder again (asking `passphrase` for the key only then). Works on a home whose
    /// database is damaged or missing. Returns the digest.
    pub fn rebuild(dir: &Path, clock: Arc<dyn Clock>, unlocked: &UnlockedKey) -> Result<StateDigest> {
        let (_, _, vault) = read_sealed(dir, unlocked, clock.now())?;
        {
            let _lock = lock(dir)?;
            let log = OpLog::open(&dir.join(LOG_FILE), vault.clone())?;
            let fresh = dir.join(format!("{DB_FILE}.rebuild"));
            remove_db_files(&fresh)?;
            {
                let mut store = Store::open(&fresh, Some(&vault))?;
                let (ops, starts, end) = log.read_lines_from(0)?;
                apply::apply_local(&mut store, &ops, Some(LogLines { starts: &starts, end }))?;
                store.conn().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
            }
            let target = dir.join(DB_FILE);
            remove_db_files(&target)?;
            fs::rename(&fresh, &target).map_err(|e| Error::io("replace the database", &target, e))?;
            remove_db_files(&fresh)?;
        }
        let mut home = Home::open(dir, clock, unlocked)?;
        if home.workspace_link().is_some() {
            home.read_folder(unlocked)?;
        }
        home.digest()
    }

    /// Runs a read-only SQL query on the database of the home in `dir` as it stands
    /// on disk: unlike [`Home::open`], it does not first apply what the log holds
    /// beyond it, so it shows what a crash left. See [`Store::query_read_only`].
    pub fn query(
        dir: &Path,
        clock: Arc<dyn Clock>,
        unlocked: &UnlockedKey,
        sql: &str,
    ) -> Result<crate::engine::store::QueryRows> {
        if is_legacy(dir) {
            // Made before the store was encrypted: opening encrypts it and rebuilds the
            // database from the log, so there is something to query.
            drop(Home::open(dir, clock.clone(), unlocked)?);
        }
        let (_, _, vault) = read_sealed(dir, unlocked, clock.now())?;
        Store::open(&dir.join(DB_FILE), Some(&vault))?.query_read_only(sql)
    }

    /// Applies what another process (the app, the CLI) appended to the log since.
    pub(crate) fn catch_up(&mut self) -> Result<usize> {
        let offset = self.store.log_offset()?;
        let len = self.log.len()?;
        if offset > len {
            return Err(Error::DatabaseDamaged {
                path: self.store.path().to_owned(),
                detail: "it reflects more of the operation log than the log holds".into(),
            });
        }
        if offset == len {
            return Ok(0);
        }
        let (ops, starts, end) = self.log.read_lines_from(offset)?;
        if ops.is_empty() {
            // Only a torn last line (a crash's, or an append in progress): nothing to apply.
            return Ok(0);
        }
        apply::apply_local(&mut self.store, &ops, Some(LogLines { starts: &starts, end }))
    }

    /// Rebuilds the records in place, in one transaction: empties them, stores
    /// `governance` as the chain bundles are read under, and re-applies this member's
    /// log. The next folder read brings back everything else.
    pub(crate) fn reset_records(&mut self, governance: &crate::decisions::governance::Governance) -> Result<()> {
        let (ops, starts, end) = self.log.read_lines_from(0)?;
        let tx = self.store.transaction()?;
        crate::engine::store::clear_records(&tx)?;
        governance.store(&tx)?;
        let encoded = Operation::encode_all(&ops);
        apply::apply_local_in(&tx, &ops, &encoded, Some(LogLines { starts: &starts, end }))?;
        tx.commit()?;
        Ok(())
    }

    /// Checks that this member may write into `scope`: it exists under the rules in
    /// force and their role reads it (a member never writes what they could not read
    /// back). Without a workspace every scope of the default rules is allowed.
    pub fn check_writable(&self, scope: &Scope) -> Result<()> {
        match Governance::load(self.store.conn()) {
            Ok(gov) => gov.head().check_writable(self.fingerprint(), scope),
            Err(Error::NoWorkspace) => RuleSet::default().check_known(scope),
            Err(e) => Err(e),
        }
    }

    /// Records changes by this member in `scope`: stamps each with the next clock
    /// reading, appends them to the log, then applies them to the database. Refuses a
    /// scope the rules do not know or this member's role does not read.
    pub fn commit(&mut self, scope: &Scope, bodies: Vec<OpBody>) -> Result<Vec<Operation>> {
        self.commit_scoped(bodies.into_iter().map(|body| (scope.clone(), body)).collect())
    }

    /// [`Home::commit`] for changes in several scopes at once (a record moving from one
    /// scope to another): all recorded, or none.
    pub fn commit_scoped(&mut self, changes: Vec<(Scope, OpBody)>) -> Result<Vec<Operation>> {
        let _lock = lock(&self.dir)?;
        // Another process (the app, the CLI) may have written since we opened.
        self.catch_up()?;
        let scopes: std::collections::BTreeSet<&Scope> = changes.iter().map(|(scope, _)| scope).collect();
        for scope in scopes {
            self.check_writable(scope)?;
        }
        let mut hlc: Hlc = self.store.hlc()?;
        let author = self.file.fingerprint.clone();
        let ops: Vec<Operation> = changes
            .into_iter()
            .map(|(scope, body)| {
                hlc = hlc.tick(self.clock.now().timestamp_millis());
                Operation { author: author.clone(), hlc, body, scope }
            })
            .collect();
        // Encoded once: the log, the operation ids and the outbox share the bytes.
        let encoded = Operation::encode_all(&ops);
        let (starts, end) = self.log.append_encoded(&encoded)?;
        apply::apply_encoded(&mut self.store, &ops, &encoded, Some(LogLines { starts: &starts, end }))?;
        Ok(ops)
    }

    /// The state digest of the records.
    pub fn digest(&self) -> Result<StateDigest> {
        self.store.digest()
    }

    /// The records as the digest covers them (docs/bundle-format.md 1.5), one line per
    /// row: what two members diff when their digests differ, and what shows a home
    /// holds no trace of a record, now that its files are ciphertext.
    pub fn records_dump(&self) -> Result<String> {
        let mut out = Vec::new();
        self.store.dump(|line| out.extend_from_slice(line))?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Every operation in the log, oldest first.
    pub fn operations(&self) -> Result<Vec<Operation>> {
        Ok(self.log.read_from(0)?.0)
    }

    /// Who this home belongs to.
    pub fn info(&self) -> HomeInfo {
        HomeInfo {
            fingerprint: self.file.fingerprint.to_string(),
            name: self.file.name.clone(),
            email: self.file.email.clone(),
            device: self.file.device.clone(),
            home: self.dir.display().to_string(),
            created: self.file.created,
            demo: self.file.demo,
        }
    }

    /// The member's fingerprint.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.file.fingerprint
    }

    /// The member's secret key (still locked).
    pub fn key(&self) -> &SecretKey {
        &self.key
    }

    /// Checks that `passphrase` unlocks this home's key.
    pub fn check_passphrase(&self, passphrase: &Passphrase) -> Result<()> {
        self.key.unlock(passphrase, self.clock.now()).map(|_| ())
    }

    /// The workspace this home belongs to, if any.
    pub fn workspace_link(&self) -> Option<&WorkspaceLink> {
        self.file.workspace.as_ref()
    }

    /// Records the workspace in `home.json` (written to a temporary file and renamed).
    pub(crate) fn set_workspace_link(&mut self, link: WorkspaceLink) -> Result<()> {
        let mut file = self.file.clone();
        file.workspace = Some(link);
        let path = self.dir.join(HOME_FILE);
        let staged = self.dir.join(format!("{HOME_FILE}.new"));
        let _ = fs::remove_file(&staged);
        write_private(&staged, &home_file_bytes(&file))?;
        fs::rename(&staged, &path).map_err(|e| Error::io("replace", &path, e))?;
        self.file = file;
        Ok(())
    }

    /// This laptop's device id.
    pub fn device(&self) -> &str {
        &self.file.device
    }

    pub(crate) fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Unlocks this home's key for signing and decrypting. Costs tens of
    /// milliseconds: do it once per run.
    pub fn unlock(&self, passphrase: &Passphrase) -> Result<crate::crypto::key::UnlockedKey> {
        self.key.unlock(passphrase, self.clock.now())
    }

    /// The home's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn log(&self) -> &OpLog {
        &self.log
    }

    pub(crate) fn db(&self) -> &rusqlite::Connection {
        self.store.conn()
    }

    pub(crate) fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// A member as shown beside records: fingerprint and, when known, name.
    pub fn member_ref(&self, fingerprint: &str) -> MemberRef {
        let name = if fingerprint == self.file.fingerprint.as_str() {
            Some(self.file.name.clone())
        } else {
            self.db()
                .prepare_cached("SELECT name FROM roster WHERE fingerprint = ?1")
                .and_then(|mut stmt| stmt.query_row([fingerprint], |row| row.get(0)))
                .ok()
        };
        MemberRef { fingerprint: fingerprint.to_string(), name }
    }
}

fn home_file_bytes(file: &HomeFile) -> Vec<u8> {
    // A struct of strings and integers always encodes.
    serde_json::to_vec_pretty(file).unwrap_or_default()
}

fn read_home_file(dir: &Path) -> Result<HomeFile> {
    let path = dir.join(HOME_FILE);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::NoHome(dir.to_owned())),
        Err(e) => return Err(Error::io("read", &path, e)),
    };
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::HomeDamaged { path: path.clone(), detail: e.to_string() })?;
    let format = value.get("format").and_then(|f| f.as_i64()).unwrap_or(0);
    if format > HOME_FORMAT {
        return Err(Error::NewerVersion { what: "the home", path, found: format, supported: HOME_FORMAT });
    }
    serde_json::from_value(value).map_err(|e| Error::HomeDamaged { path, detail: e.to_string() })
}

/// Holds the home's write lock until dropped.
pub(crate) fn lock(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io("open the lock file", &path, e))?;
    file.lock().map_err(|e| Error::io("lock", &path, e))?;
    Ok(file)
}

pub(crate) fn remove_db_files(db: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("remove", &path, e)),
        }
    }
    Ok(())
}

/// Writes a file readable by its owner only.

/// Whether the home in `dir` was made before the store was encrypted, or its
/// encryption was interrupted.
fn is_legacy(dir: &Path) -> bool {
    !dir.join(STORE_KEY_FILE).exists() || dir.join(format!("{LOG_FILE}.sealed")).exists()
}

/// The home file, the member's key and the store key of the home in `dir`, encrypting
/// a home made before the store was first. Takes the home's lock only for that.
fn read_sealed(dir: &Path, unlocked: &UnlockedKey, now: DateTime<Utc>) -> Result<(HomeFile, SecretKey, Arc<StoreKey>)> {
    let file = read_home_file(dir)?;
    let key = SecretKey::read(&dir.join(KEY_FILE))?;
    if is_legacy(dir) {
        encrypt_legacy_home(dir, &key, unlocked, now)?;
    }
    let vault = Arc::new(StoreKey::read(dir, unlocked, &key.cert())?);
    Ok((file, key, vault))
}

/// Encrypts a home made before the store was: a new store key, the log's lines sealed
/// with it, and the plaintext database removed, to be recreated from the log on open
/// and from the folder at the next sync. Both new files are written beside the old
/// ones and renamed into place, the key first; an interrupted run is finished (or, if
/// the key was not yet in place, started again) by the next open.
fn encrypt_legacy_home(dir: &Path, key: &SecretKey, unlocked: &UnlockedKey, now: DateTime<Utc>) -> Result<()> {
    let _lock = lock(dir)?;
    let (log_path, key_path) = (dir.join(LOG_FILE), dir.join(STORE_KEY_FILE));
    let staged_log = dir.join(format!("{LOG_FILE}.sealed"));
    let staged_key = dir.join(format!("{STORE_KEY_FILE}.new"));
    if !key_path.exists() {
        for stale in [&staged_log, &staged_key] {
            let _ = fs::remove_file(stale);
        }
        let vault = StoreKey::generate()?;
        let plain = fs::read(&log_path).or_else(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Ok(Vec::new()),
            _ => Err(Error::io("read", &log_path, e)),
        })?;
        let mut sealed = Vec::with_capacity(plain.len() * 4 / 3);
        for line in plain.split_inclusive(|&b| b == b'\n').filter(|l| l.ends_with(b"\n")) {
            sealed.extend_from_slice(&vault.seal_line(&line[..line.len() - 1])?);
            sealed.push(b'\n');
        }
        write_private(&staged_log, &sealed)?;
        write_private(&staged_key, &vault.seal(unlocked, &key.cert(), now)?)?;
        fs::rename(&staged_key, &key_path).map_err(|e| Error::io("put in place", &key_path, e))?;
    }
    if staged_log.exists() {
        fs::rename(&staged_log, &log_path).map_err(|e| Error::io("replace the operation log", &log_path, e))?;
        remove_db_files(&dir.join(DB_FILE))?;
    }
    Ok(())
}
