//! The shared workspace: created by writing its genesis bundle (first roster and rule
//! set) into the shared folder; its id is the hash of that bundle's bytes, so whoever
//! holds the id can check they joined the workspace they were told about.

use crate::base::canonical;
use crate::base::error::{Error, Result};
use crate::base::files::write_atomically;
use crate::crypto::envelope;
use crate::crypto::identity::Fingerprint;
use crate::crypto::key::UnlockedKey;
use crate::decisions::governance::Governance;
use crate::engine::bundle::{self, GenesisPayload, BUNDLE_FORMAT, GENESIS_FILE};
use crate::home::{Home, WorkspaceLink};
use crate::members::governance::GovVersion;
use crate::members::role::Role;
use crate::members::roster::{MemberInfo, RosterMember, RuleSet};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use sequoia_openpgp::cert::Cert;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// A workspace as the adapters show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WorkspaceInfo {
    pub id: String,
    pub name: String,
    pub folder: String,
    pub created: DateTime<Utc>,
    pub creator: String,
    pub roster: Vec<MemberInfo>,
    pub rules: RuleSet,
}

/// The ids of the workspaces in a shared folder (sub-folders holding a genesis bundle).
pub fn list_workspaces(folder: &Path) -> Result<Vec<String>> {
    let entries = fs::read_dir(folder).map_err(|_| Error::FolderUnreachable(folder.to_owned()))?;
    let mut ids: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| bundle::is_workspace_id(name) && folder.join(name).join(GENESIS_FILE).is_file())
        .collect();
    ids.sort();
    Ok(ids)
}

/// The full id of the workspace in `folder` whose id starts with `prefix` (at least
/// eight digits, so ids can be read out over the phone).
pub fn resolve_id(folder: &Path, prefix: &str) -> Result<String> {
    let prefix = prefix.trim().to_lowercase();
    let not_found = || Error::WorkspaceNotFound { folder: folder.to_owned(), id: format!("{prefix} ") };
    if prefix.len() < 8 {
        return Err(Error::invalid("workspace id", &prefix, "give at least the first 8 digits of the id"));
    }
    let matches: Vec<String> = list_workspaces(folder)?.into_iter().filter(|id| id.starts_with(&prefix)).collect();
    match matches.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(not_found()),
        _ => Err(Error::invalid("workspace id", &prefix, "several workspaces start with it; give more digits")),
    }
}

impl Home {
    /// Creates a workspace in `folder`: this member (role board) plus `others` on the
    /// roster, the default rules; writes the genesis bundle and joins it.
    pub fn create_workspace(
        &mut self,
        name: &str,
        folder: &Path,
        others: Vec<RosterMember>,
        key: &UnlockedKey,
    ) -> Result<WorkspaceInfo> {
        if let Some(link) = self.workspace_link() {
            return Err(Error::AlreadyInWorkspace(link.id.clone()));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid("workspace name", name, "give the workspace a name, e.g. the foundation's"));
        }
        if !folder.is_dir() {
            return Err(Error::FolderUnreachable(folder.to_owned()));
        }
        let now = self.clock().now();
        let me =
            RosterMember::from_cert(Path::new("your key"), self.key().public_armored()?.as_bytes(), Role::Board, now)?;
        let mut roster = vec![me];
        for member in others {
            if roster.iter().any(|m| m.fingerprint == member.fingerprint) {
                return Err(Error::invalid(
                    "member",
                    member.fingerprint.as_str(),
                    "this certificate is given twice (or is your own)",
                ));
            }
            roster.push(member);
        }
        roster.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        let mut nonce = [0u8; 16];
        self.clock().fill_random(&mut nonce);
        let genesis = GenesisPayload {
            format: BUNDLE_FORMAT,
            kind: "genesis".into(),
            name: name.to_string(),
            created: now.timestamp_millis(),
            author: self.fingerprint().clone(),
            device: self.device().to_string(),
            nonce: hex::encode(nonce),
            roster,
            rules: RuleSet::default(),
        };
        let certs = genesis.roster.iter().map(RosterMember::parse_cert).collect::<Result<Vec<Cert>>>()?;
        let sealed = envelope::seal(&canonical::to_bytes(&genesis)?, key, &certs, now)?;
        let id = bundle::hash(&sealed);
        let dir = folder.join(&id);
        fs::create_dir_all(&dir).map_err(|e| Error::io("create the folder", &dir, e))?;
        write_atomically(&dir.join(GENESIS_FILE), &sealed)?;
        self.adopt_genesis(&id, folder, &genesis)
    }

    /// Joins the workspace `id` (or a unique prefix of it) in `folder`: checks the
    /// genesis bundle against the id, its signature against its roster, and that this
    /// member is on it.
    pub fn join_workspace(&mut self, folder: &Path, id: &str, key: &UnlockedKey) -> Result<WorkspaceInfo> {
        if let Some(link) = self.workspace_link() {
            return Err(Error::AlreadyInWorkspace(link.id.clone()));
        }
        let id = resolve_id(folder, id)?;
        let genesis = read_genesis(folder, &id, self.fingerprint(), key)?;
        // A member added by a roster decision is not on the genesis roster: they were
        // given the genesis's key in a share, and the first sync reads the decision.
        if !genesis.roster.iter().any(|m| &m.fingerprint == self.fingerprint()) {
            let shares = crate::sync::shares::read_shares(&folder.join(&id), &id, self.fingerprint(), key, None);
            if shares.is_empty() {
                return Err(Error::NotOnRoster(self.fingerprint().to_string()));
            }
        }
        self.adopt_genesis(&id, folder, &genesis)
    }

    /// What joining the workspace `id` in `folder` would mean (name, roster), checked
    /// as `join_workspace` checks it, without changing anything.
    pub fn preview_workspace(&self, folder: &Path, id: &str, key: &UnlockedKey) -> Result<WorkspaceInfo> {
        let id = resolve_id(folder, id)?;
        let genesis = read_genesis(folder, &id, self.fingerprint(), key)?;
        Ok(WorkspaceInfo {
            id,
            name: genesis.name.clone(),
            folder: folder.display().to_string(),
            created: Utc.timestamp_millis_opt(genesis.created).single().unwrap_or_default(),
            creator: genesis.author.to_string(),
            roster: genesis.roster.iter().map(RosterMember::info).collect(),
            rules: genesis.rules,
        })
    }

    /// Points this home at another copy of its shared folder (a USB stick mounted
    /// elsewhere, a moved sync folder). The folder must hold this workspace.
    pub fn move_folder(&mut self, folder: &Path) -> Result<()> {
        let link = self.workspace_link().ok_or(Error::NoWorkspace)?.clone();
        if !folder.join(&link.id).join(GENESIS_FILE).is_file() {
            return Err(Error::WorkspaceNotFound { folder: folder.to_owned(), id: format!("{} ", link.id) });
        }
        let folder = fs::canonicalize(folder).unwrap_or_else(|_| folder.to_owned());
        self.set_workspace_link(WorkspaceLink { id: link.id, folder })
    }

    fn adopt_genesis(&mut self, id: &str, folder: &Path, genesis: &GenesisPayload) -> Result<WorkspaceInfo> {
        let tx = self.store_mut().transaction()?;
        apply_genesis(&tx, id, genesis)?;
        tx.commit()?;
        let folder = fs::canonicalize(folder).unwrap_or_else(|_| folder.to_owned());
        self.set_workspace_link(WorkspaceLink { id: id.to_string(), folder })?;
        self.workspace_info()
    }

    /// The workspace this home belongs to.
    pub fn workspace_info(&self) -> Result<WorkspaceInfo> {
        let link = self.workspace_link().ok_or(Error::NoWorkspace)?;
        let row: Option<(String, String, i64, String)> = self
            .db()
            .query_row("SELECT name, creator, created_ms, rules FROM workspace WHERE id = ?1", [&link.id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let Some((name, creator, created_ms, rules)) = row else {
            return Err(Error::DatabaseDamaged {
                path: self.dir().join("state.sqlite"),
                detail: "the workspace's genesis is missing".into(),
            });
        };
        Ok(WorkspaceInfo {
            id: link.id.clone(),
            name,
            folder: link.folder.display().to_string(),
            created: Utc.timestamp_millis_opt(created_ms).single().unwrap_or_default(),
            creator,
            roster: self.roster()?.iter().map(RosterMember::info).collect(),
            rules: Governance::load(self.db())
                .map(|g| g.head().rules.clone())
                .unwrap_or_else(|_| serde_json::from_str(&rules).unwrap_or_default()),
        })
    }

    /// The id of this home's workspace (no folder needed: works offline).
    pub fn workspace_id(&self) -> Result<String> {
        Ok(self.workspace_link().ok_or(Error::NoWorkspace)?.id.clone())
    }

    /// The roster, ordered by fingerprint.
    pub fn roster(&self) -> Result<Vec<RosterMember>> {
        let mut stmt =
            self.db().prepare_cached("SELECT fingerprint, name, email, role, cert FROM roster ORDER BY fingerprint")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?, r.get(4)?)))?;
        let mut roster = Vec::new();
        for row in rows {
            let (fingerprint, name, email, role, cert) = row?;
            roster.push(RosterMember {
                fingerprint: crate::Fingerprint::parse(&fingerprint)?,
                name,
                email,
                role: role.parse()?,
                cert,
            });
        }
        Ok(roster)
    }

    /// The shared folder of this home's workspace, checked to be reachable.
    pub(crate) fn workspace_dir(&self) -> Result<(String, PathBuf)> {
        let link = self.workspace_link().ok_or(Error::NoWorkspace)?;
        if !link.folder.is_dir() {
            return Err(Error::FolderUnreachable(link.folder.clone()));
        }
        Ok((link.id.clone(), link.folder.join(&link.id)))
    }
}

/// Reads, checks and decrypts the genesis bundle of workspace `id` in `folder`.
pub(crate) fn read_genesis(folder: &Path, id: &str, me: &Fingerprint, key: &UnlockedKey) -> Result<GenesisPayload> {
    let path = folder.join(id).join(GENESIS_FILE);
    let invalid = |reason: String| Error::GenesisInvalid { path: path.clone(), reason };
    let bytes = fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
    if bundle::hash(&bytes) != id {
        return Err(invalid("its hash is not the workspace id: the file was changed or replaced".into()));
    }
    // A member added after the genesis opens it with the session key another member
    // shared with them (crate::sync::shares); the hash check above already pins the file.
    let shared = match envelope::decrypt_unverified(&bytes, key) {
        Ok(_) => None,
        Err(envelope::EnvelopeError::NotForMe) => {
            let mut shares = crate::sync::shares::read_shares(&folder.join(id), id, me, key, None);
            let shared =
                shares.remove(&format!("{id}/{GENESIS_FILE}")).ok_or_else(|| Error::NotOnRoster(me.to_string()))?;
            Some(shared)
        }
        Err(other) => return Err(invalid(other.to_string())),
    };
    let payload = match &shared {
        None => envelope::decrypt_unverified(&bytes, key),
        Some(shared) => envelope::decrypt_shared_unverified(&bytes, shared),
    }
    .map_err(|e| invalid(e.to_string()))?;
    let genesis: GenesisPayload = canonical::from_bytes(&payload).map_err(|e| invalid(e.to_string()))?;
    if genesis.format > BUNDLE_FORMAT {
        return Err(Error::NewerVersion {
            what: "the workspace",
            path: path.clone(),
            found: genesis.format,
            supported: BUNDLE_FORMAT,
        });
    }
    let certs = genesis.roster.iter().map(RosterMember::parse_cert).collect::<Result<Vec<Cert>>>()?;
    let opened = match &shared {
        None => envelope::open(&bytes, key, &certs),
        Some(shared) => envelope::open_shared(&bytes, shared, &certs),
    }
    .map_err(|e| invalid(e.to_string()))?;
    let creator = genesis.roster.iter().find(|m| m.fingerprint == genesis.author);
    if opened.signer != genesis.author || creator.map(|m| m.role) != Some(Role::Board) {
        return Err(invalid("it is not signed by the board member it names as its creator".into()));
    }
    Ok(genesis)
}

/// Records the workspace, its roster and rules (idempotent).
pub(crate) fn apply_genesis(tx: &Transaction<'_>, id: &str, genesis: &GenesisPayload) -> Result<()> {
    let rules = String::from_utf8(canonical::to_bytes(&genesis.rules)?).unwrap_or_default();
    tx.execute(
        "INSERT OR IGNORE INTO workspace (id, name, creator, created_ms, rules) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, genesis.name, genesis.author.as_str(), genesis.created, rules],
    )?;
    for m in &genesis.roster {
        crate::decisions::governance::store_certificate(tx, m)?;
    }
    // Version 0 of the governance chain; the roster table follows the chain's head.
    let has_chain: bool = tx.prepare("SELECT 1 FROM governance")?.exists([])?;
    if !has_chain {
        let v0 = GovVersion {
            version: 0,
            hash: id.to_string(),
            decision: None,
            roster: genesis.roster.iter().map(|m| (m.fingerprint.clone(), m.role)).collect(),
            rules: genesis.rules.clone(),
            cuts: Default::default(),
            added: None,
        };
        Governance { versions: vec![v0] }.store(tx)?;
    }
    Ok(())
}
