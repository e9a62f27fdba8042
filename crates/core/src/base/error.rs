//! The core's errors. Each message says what happened and what the user can do about
//! it; [`Error::code`] gives adapters a stable machine-readable name, so the UI never
//! matches on message text. No message ever contains a passphrase or key material.

use std::path::PathBuf;

/// Result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written. (The I/O error is part of the
    /// message, not a `source`, so that printing the chain does not repeat it.)
    #[error("could not {action} {path}: {cause}")]
    Io { action: &'static str, path: PathBuf, cause: std::io::Error },

    /// The disk is full: what was being written is given back, nothing is recorded.
    #[error("no space left on the disk holding {path}; nothing of this change was recorded: free some space on that disk and try again")]
    DiskFull { path: PathBuf },

    /// No home at the given folder.
    #[error("there is no Countersign home at {0}; create one with `countersign init --name NAME --email EMAIL` (or pass --home DIR to use another)")]
    NoHome(PathBuf),

    /// `init` on a folder that already holds a home.
    #[error("{0} already holds a Countersign home; pass --home DIR to create another one elsewhere")]
    HomeExists(PathBuf),

    /// The home or its database was written by a newer Countersign.
    #[error("{what} at {path} was written by a newer version of Countersign (format {found}, this version reads up to {supported}); update Countersign to open it")]
    NewerVersion { what: &'static str, path: PathBuf, found: i64, supported: i64 },

    /// The home's description file is unreadable.
    #[error("the home file {path} is damaged ({detail}); restore it from a backup")]
    HomeDamaged { path: PathBuf, detail: String },

    /// The SQLite database is unreadable; it can be rebuilt from the log.
    #[error("the database {path} cannot be read ({detail}); run `countersign rebuild` to recreate it from the operation log")]
    DatabaseDamaged { path: PathBuf, detail: String },

    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),

    /// A line of the operation log is not a valid operation.
    #[error("the operation log {path} is damaged at line {line} ({detail}); restore the home from a backup")]
    LogDamaged { path: PathBuf, line: usize, detail: String },

    /// The passphrase does not unlock the key.
    #[error("wrong passphrase: it does not unlock the secret key {fingerprint}")]
    WrongPassphrase { fingerprint: String },

    /// No passphrase was supplied where one is needed.
    #[error("a passphrase is needed: set COUNTERSIGN_PASSPHRASE, pass --passphrase-file FILE, or run in a terminal to be asked")]
    NoPassphrase,

    /// The passphrase could not be obtained (unreadable file, terminal failure).
    #[error("could not get the passphrase: {0}")]
    PassphraseUnavailable(String),

    /// An empty passphrase was given for a new or imported key.
    #[error("the passphrase is empty; choose one that protects the secret key if the laptop is lost")]
    EmptyPassphrase,

    /// The file given as a secret key is not one.
    #[error("{path} is not an OpenPGP secret key ({detail}); export one with `gpg --export-secret-keys --armor FINGERPRINT > key.asc`")]
    NotASecretKey { path: PathBuf, detail: String },

    /// The key lacks a capability Countersign needs.
    #[error("the key {fingerprint} cannot be used: {reason}")]
    KeyUnusable { fingerprint: String, reason: String },

    /// This computer's clock reads a time before the member's own key was made: what
    /// it signs now would not verify anywhere.
    #[error("this computer's clock says {now}, before your key was made ({created}); set the date and time (automatic time, or by hand) and try again; nothing was written")]
    ClockBeforeKey { now: String, created: String },

    /// A failure inside the OpenPGP implementation.
    #[error("OpenPGP error: {0}")]
    OpenPgp(String),

    /// The OS keyring cannot be reached or refused access.
    #[error("the OS keyring is not available ({0}); the passphrase will be asked for instead")]
    KeyringUnavailable(String),

    /// Writing into a scope this member's role may not read.
    #[error("your role ({role}) may not read the scope `{scope}`, so you cannot write into it; choose a scope your role reads (`countersign rules show` lists them)")]
    ScopeNotReadable { scope: String, role: String },

    /// No organisation of that name.
    #[error("no organisation named \"{0}\"; `countersign partner list --search TEXT` finds similar names")]
    UnknownPartner(String),

    /// An organisation of that name exists already.
    #[error("an organisation named \"{0}\" is already recorded; use `countersign partner set` to change it")]
    PartnerExists(String),

    /// A value given by the user is not one of the accepted ones.
    #[error("invalid {what} \"{value}\": {expected}")]
    InvalidValue { what: &'static str, value: String, expected: String },

    /// Another member holds a live claim on the organisation.
    #[error("{partner} is claimed by {member} until {until}; talk to them first, or pass --force to go ahead anyway")]
    ClaimedByOther { partner: String, member: String, until: chrono::NaiveDate },

    /// The home has no workspace yet.
    #[error("this home has not joined a workspace yet; create one with `countersign workspace create --name NAME --folder DIR` or join one with `countersign workspace join --folder DIR`")]
    NoWorkspace,

    /// The home already belongs to a workspace.
    #[error("this home already belongs to the workspace {0}; use another home (--home DIR) for another workspace")]
    AlreadyInWorkspace(String),

    /// No workspace (or none with that id) in the folder.
    #[error("no workspace {id}in {folder}; check the folder, or ask the member who created it for the workspace id")]
    WorkspaceNotFound { folder: PathBuf, id: String },

    /// The genesis bundle cannot be trusted.
    #[error("the workspace's genesis bundle {path} cannot be used: {reason}")]
    GenesisInvalid { path: PathBuf, reason: String },

    /// This member's key is not on the roster.
    #[error("your key {0} is not on this workspace's roster; send your certificate (`countersign key export`) to a board member so they can add you")]
    NotOnRoster(String),

    /// The shared folder cannot be used.
    #[error("the shared folder {0} is not reachable; is the drive mounted or the sync tool running?")]
    FolderUnreachable(PathBuf),

    /// No decision has this id.
    #[error("no decision {0}; `countersign decision list` shows the ids")]
    UnknownDecision(String),

    /// Only the proposer may amend or withdraw.
    #[error("only the member who proposed decision {decision} may {action} it")]
    NotYours { action: &'static str, decision: String },

    /// The decision is decided, withdrawn or closed.
    #[error("decision {decision} is {status}; votes and changes are no longer taken (propose a new one if needed)")]
    DecisionClosed { decision: String, status: String },

    /// The member's role does not vote on this decision.
    #[error("your vote does not count on decision {decision}: it is decided by \"{rule}\" of the roster it was proposed under")]
    NotEligible { decision: String, rule: String },

    /// A finance file cannot be imported; nothing from it was recorded.
    #[error("could not import {path}{}: {reason}; nothing was imported from this file", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    ImportRefused { path: PathBuf, line: Option<usize>, reason: String },

    /// No imported transaction has this reference.
    #[error("no transaction {0}; `countersign finance list --search TEXT` shows the references (SOURCE:ID)")]
    UnknownTransaction(String),

    /// A value could not be encoded canonically.
    #[error("encoding error: {0}")]
    Canonical(#[from] crate::base::canonical::CanonicalError),
}

/// An error as it leaves the core for a person or a program: the CLI's `--json`
/// errors and the desktop IPC both send this shape.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ErrorReport {
    /// Stable and machine-readable ([`Error::code`]): decide on this, never the message.
    pub code: String,
    /// What happened and what to do, for people.
    pub message: String,
}

impl From<&Error> for ErrorReport {
    fn from(err: &Error) -> Self {
        ErrorReport { code: err.code().to_string(), message: err.to_string() }
    }
}

impl From<Error> for ErrorReport {
    fn from(err: Error) -> Self {
        ErrorReport::from(&err)
    }
}

impl Error {
    /// A stable, machine-readable name for the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Io { .. } => "io",
            Error::DiskFull { .. } => "disk-full",
            Error::NoHome(_) => "no-home",
            Error::HomeExists(_) => "home-exists",
            Error::NewerVersion { .. } => "newer-version",
            Error::HomeDamaged { .. } => "home-damaged",
            Error::DatabaseDamaged { .. } => "database-damaged",
            Error::Database(_) => "database",
            Error::LogDamaged { .. } => "log-damaged",
            Error::WrongPassphrase { .. } => "wrong-passphrase",
            Error::NoPassphrase => "no-passphrase",
            Error::EmptyPassphrase => "empty-passphrase",
            Error::PassphraseUnavailable(_) => "passphrase-unavailable",
            Error::NotASecretKey { .. } => "not-a-secret-key",
            Error::KeyUnusable { .. } => "key-unusable",
            Error::ClockBeforeKey { .. } => "clock-before-key",
            Error::OpenPgp(_) => "openpgp",
            Error::KeyringUnavailable(_) => "keyring-unavailable",
            Error::ScopeNotReadable { .. } => "scope-not-readable",
            Error::UnknownPartner(_) => "unknown-partner",
            Error::PartnerExists(_) => "partner-exists",
            Error::InvalidValue { .. } => "invalid-value",
            Error::ClaimedByOther { .. } => "claimed-by-other",
            Error::NoWorkspace => "no-workspace",
            Error::AlreadyInWorkspace(_) => "already-in-workspace",
            Error::WorkspaceNotFound { .. } => "workspace-not-found",
            Error::GenesisInvalid { .. } => "genesis-invalid",
            Error::NotOnRoster(_) => "not-on-roster",
            Error::FolderUnreachable(_) => "folder-unreachable",
            Error::Canonical(_) => "encoding",
            Error::ImportRefused { .. } => "import-refused",
            Error::UnknownTransaction(_) => "unknown-transaction",
            Error::UnknownDecision(_) => "unknown-decision",
            Error::NotYours { .. } => "not-yours",
            Error::DecisionClosed { .. } => "decision-closed",
            Error::NotEligible { .. } => "not-eligible",
        }
    }

    /// An I/O error naming the action and the path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::StorageFull {
            return Error::DiskFull { path: path.into() };
        }
        Error::Io { action, path: path.into(), cause: source }
    }

    pub fn invalid(what: &'static str, value: &str, expected: impl Into<String>) -> Self {
        Error::InvalidValue { what, value: value.to_string(), expected: expected.into() }
    }
}
