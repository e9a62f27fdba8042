//! `countersign`: the command line over Countersign's core, for scripting, CI and
//! auditors. Each command parses its arguments, calls one core function and renders
//! the result as text or, with `--json`, as JSON on stdout. Errors go to stderr with a
//! non-zero exit code.

mod finance;
mod passphrase;
mod render;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use countersign_core::Choice;
use countersign_core::KeySource;
use countersign_core::PassphraseKeyring;
use countersign_core::Scope;
use countersign_core::UnlockedKey;
use countersign_core::{Change, DecisionFilter, DecisionKind, NewDecision};
use countersign_core::{Clock, Home, SystemClock};
use countersign_core::{Kind, NewContact, NewInteraction, NewPartner, PartnerFilter, PartnerUpdate, Stage};
use countersign_core::{Role, RosterMember};
use render::Output;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

#[derive(Parser)]
#[command(
    name = "countersign",
    version,
    about = "Partner and finance records for a board, signed with OpenPGP and shared through any folder."
)]
struct Cli {
    /// The member's home folder [default: the platform's data folder, e.g. ~/.local/share/countersign].
    #[arg(long, global = true, env = "COUNTERSIGN_HOME", value_name = "DIR")]
    home: Option<PathBuf>,
    /// Machine-readable output: JSON on stdout, errors as JSON on stderr.
    #[arg(long, global = true)]
    json: bool,
    /// Read the passphrase from this file (first line) instead of COUNTERSIGN_PASSPHRASE or a prompt.
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create your home: generate an OpenPGP key (or import one) protected by a passphrase.
    Init(InitArgs),
    /// Show whose home this is.
    Whoami,
    /// Your key: export the public certificate, keep the passphrase in the OS keyring.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Organisations, contacts, the contact log and claims.
    #[command(subcommand)]
    Partner(PartnerCommand),
    /// The shared workspace: create one, join one, show it.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Decisions: propose, vote (signed with your key), amend, withdraw, show, export for auditors.
    #[command(subcommand)]
    Decision(DecisionCommand),
    /// Propose roster changes (each is a decision under the current rules).
    #[command(subcommand)]
    Member(MemberCommand),
    /// The rules that decide each kind of decision.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Finance: import Open Collective and e-boekhouden exports, map accounts to funds, budgets.
    #[command(subcommand)]
    Finance(finance::FinanceCommand),
    /// Budget lines per fund and year (also `finance budget`).
    #[command(subcommand)]
    Budget(finance::BudgetCommand),
    /// Financial reports as a table, CSV or JSON (also `finance report`).
    #[command(subcommand)]
    Report(finance::ReportCommand),
    /// Exchange bundles with the shared folder: read what others wrote, write what is new here.
    Sync(SyncArgs),
    /// Print the state digest: equal digests mean equal records.
    Digest {
        /// Print the records the digest covers instead, one canonical line per row (to diff two homes).
        #[arg(long)]
        records: bool,
    },
    /// Recreate the database from the operation log (after damage or to check it).
    Rebuild,
    /// Check the home: the operation log, the outbox, every bundle read (re-verified), and the database against a fresh rebuild.
    Verify,
    /// Run a read-only SQL query on this home's database, decrypted, as it stands on
    /// disk (what the log holds beyond it is not applied first). Rows print as values
    /// separated by `|`, like sqlite3; with --json, as objects.
    Sql {
        /// One SQL statement that only reads, e.g. "SELECT count(*) FROM transactions".
        query: String,
    },
    /// Print your own operations from this home's log, oldest first, one canonical JSON per line.
    Log {
        /// Only the last N.
        #[arg(long, value_name = "N")]
        last: Option<usize>,
    },
}

#[derive(Args)]
struct InitArgs {
    /// Your name as the board knows it (taken from the key when importing).
    #[arg(long)]
    name: Option<String>,
    /// Your email address (taken from the key when importing).
    #[arg(long)]
    email: Option<String>,
    /// Import this armored secret key (e.g. from `gpg --export-secret-keys --armor`) instead of generating one.
    #[arg(long, value_name = "FILE")]
    import_key: Option<PathBuf>,
}

#[derive(Subcommand)]
enum WorkspaceCommand {
    /// Create a workspace in a shared folder, with you (role board) and the members given.
    Create {
        #[arg(long)]
        name: String,
        /// The shared folder (Syncthing, Nextcloud, a USB stick).
        #[arg(long, value_name = "DIR")]
        folder: PathBuf,
        /// A member's public certificate (from `countersign key export`); repeat, each followed by --role.
        #[arg(long = "member", value_name = "CERT_FILE")]
        members: Vec<PathBuf>,
        /// The role of the --member before it: board, sc, treasurer or team.
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
    },
    /// Join a workspace in a shared folder whose roster holds your key.
    Join {
        #[arg(long, value_name = "DIR")]
        folder: PathBuf,
        /// The workspace id (or its first digits) the creator gave you; without it you are shown the id to confirm.
        #[arg(long, value_name = "ID")]
        workspace: Option<String>,
    },
    /// Show the workspace: name, id, folder and roster.
    Show,
}

#[derive(Args)]
struct DecisionFields {
    /// Budget, spending, sponsorship, written-resolution or other.
    #[arg(long)]
    kind: Option<String>,
    #[arg(long)]
    title: Option<String>,
    /// The body, Markdown, from a file.
    #[arg(long, value_name = "FILE", conflicts_with = "body")]
    body_file: Option<PathBuf>,
    /// The body, Markdown.
    #[arg(long)]
    body: Option<String>,
    /// The amount, e.g. 1500 or 1500.00 (with --currency).
    #[arg(long)]
    amount: Option<String>,
    /// Three-letter currency code, e.g. EUR.
    #[arg(long)]
    currency: Option<String>,
    /// The fund or budget line.
    #[arg(long)]
    fund: Option<String>,
    /// The closing date (YYYY-MM-DD) [default: 30 days from today].
    #[arg(long, value_parser = parse_date)]
    closes: Option<chrono::NaiveDate>,
    /// Who may read it, its votes and links [default: all].
    #[arg(long, value_parser = parse_scope)]
    scope: Option<Scope>,
}

#[derive(Subcommand)]
enum DecisionCommand {
    /// Propose a decision; prints its id.
    Propose(DecisionFields),
    /// Vote on a decision: approve, object or abstain, signed with your key.
    Vote {
        id: String,
        choice: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Amend your open decision: a new version, earlier votes do not count for it.
    Amend {
        id: String,
        #[command(flatten)]
        fields: DecisionFields,
    },
    /// Withdraw your open decision.
    Withdraw { id: String },
    /// Show a decision with every vote, verified.
    Show { id: String },
    /// List decisions, newest first.
    List {
        /// Only open decisions.
        #[arg(long)]
        open: bool,
        /// Only those waiting for your vote.
        #[arg(long)]
        needs_me: bool,
    },
    /// Write a decision, its signed votes and the signers' certificates to DIR, with a README for auditors.
    Export { id: String, dir: PathBuf },
    /// Link transactions to an approved decision with an amount: they become its money spent.
    Link {
        id: String,
        /// SOURCE:ID as `finance list` shows it, e.g. opencollective:123456 (repeat for several).
        #[arg(long = "transaction", value_name = "SOURCE:ID", required = true)]
        transactions: Vec<String>,
    },
}

#[derive(Subcommand)]
enum MemberCommand {
    /// Propose adding a member: their certificate (`countersign key export`) and role.
    Add {
        cert_file: PathBuf,
        #[arg(long)]
        role: String,
        #[arg(long, value_parser = parse_date)]
        closes: Option<chrono::NaiveDate>,
    },
    /// Propose removing a member.
    Remove {
        fingerprint: String,
        #[arg(long, value_parser = parse_date)]
        closes: Option<chrono::NaiveDate>,
    },
    /// Propose changing a member's role.
    Role {
        fingerprint: String,
        role: String,
        #[arg(long, value_parser = parse_date)]
        closes: Option<chrono::NaiveDate>,
    },
    /// Propose replacing a member's key by a new certificate (same role).
    Replace {
        fingerprint: String,
        cert_file: PathBuf,
        #[arg(long, value_parser = parse_date)]
        closes: Option<chrono::NaiveDate>,
    },
    /// List the roster.
    List,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Show the rules in force.
    Show,
    /// Propose a new rule set: `--rule KIND=RULE` (repeat), e.g. `--rule "spending=majority board; from 10000: unanimous board"`.
    Set {
        #[arg(long = "rule", value_name = "KIND=RULE")]
        rules: Vec<String>,
        /// Months after which approved funding expires.
        #[arg(long)]
        funding_expiry_months: Option<u32>,
        /// The scopes a role may read: `--access ROLE=SCOPE,SCOPE` (repeat), e.g. `--access treasurer=finance,board`.
        #[arg(long = "access", value_name = "ROLE=SCOPES")]
        access: Vec<String>,
        #[arg(long, value_parser = parse_date)]
        closes: Option<chrono::NaiveDate>,
    },
}

#[derive(Args)]
struct SyncArgs {
    /// Use the shared folder at this path from now on (e.g. a USB stick mounted elsewhere).
    #[arg(long, value_name = "DIR")]
    folder: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<SyncCommand>,
}

#[derive(Subcommand)]
enum SyncCommand {
    /// Show the last sync, pending operations, and files set aside with their reasons.
    Status,
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Print your public certificate, armored.
    Export,
    /// Store your passphrase in the OS keyring.
    Remember,
    /// Remove your passphrase from the OS keyring.
    Forget,
    /// Check that your key unlocks (with the keyring, COUNTERSIGN_PASSPHRASE, a file or a prompt).
    Check,
}

#[derive(Subcommand)]
enum PartnerCommand {
    /// Record a new organisation.
    Add {
        name: String,
        #[arg(long, default_value = "company")]
        kind: String,
        #[arg(long, default_value = "prospect")]
        stage: String,
        /// A tag (repeat for several).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        #[arg(long)]
        website: Option<String>,
        /// Who may read the record and its notes: all (default), board, finance, …
        #[arg(long, value_parser = parse_scope)]
        scope: Option<Scope>,
    },
    /// List organisations, filtered and paged.
    List {
        #[arg(long)]
        stage: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        /// Text in the name, website or tags.
        #[arg(long)]
        search: Option<String>,
        /// Owner fingerprint, or `me`.
        #[arg(long)]
        owner: Option<String>,
        /// Only records of this scope.
        #[arg(long, value_parser = parse_scope)]
        scope: Option<Scope>,
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        offset: Option<u32>,
    },
    /// Show everything recorded about an organisation.
    Show { name: String },
    /// Change an organisation's stage, owner, notes, kind, website or tags.
    Set {
        name: String,
        #[arg(long)]
        stage: Option<String>,
        /// Fingerprint of the member who owns the relationship, `me`, or `none`.
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        website: Option<String>,
        /// Replace the tags (repeat for several).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// The organisation's Open Collective account (slug), to match its contributions; empty clears.
        #[arg(long, value_name = "SLUG")]
        opencollective: Option<String>,
        /// Move the record to another scope: its readers get it as it stands, and
        /// later changes travel there. Those who could read it before keep what they had.
        #[arg(long, value_parser = parse_scope)]
        scope: Option<Scope>,
    },
    /// Contact people at an organisation.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Log a contact made with an organisation.
    Log {
        name: String,
        /// How: email, call, meeting, event, …
        #[arg(long)]
        channel: String,
        #[arg(long)]
        summary: String,
        /// When (YYYY-MM-DD) [default: today].
        #[arg(long, value_parser = parse_date)]
        date: Option<chrono::NaiveDate>,
        /// The next step agreed.
        #[arg(long = "next", value_name = "TEXT")]
        next_step: Option<String>,
        /// When the next step is due (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date, requires = "next_step")]
        due: Option<chrono::NaiveDate>,
        /// Log it even though another member has claimed the organisation.
        #[arg(long)]
        force: bool,
        /// Who may read this note [default: the organisation's scope]; e.g. board on a public record.
        #[arg(long, value_parser = parse_scope)]
        scope: Option<Scope>,
    },
    /// Claim an organisation for outreach, so nobody else approaches it unannounced.
    Claim {
        name: String,
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Claim it even though another member has a live claim.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum ContactCommand {
    /// Add a contact person.
    Add {
        name: String,
        #[arg(long)]
        person: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        role: Option<String>,
        /// Who may read this contact [default: the organisation's scope].
        #[arg(long, value_parser = parse_scope)]
        scope: Option<Scope>,
    },
}

/// A scope name as typed on the command line (whether it exists is the core's check).
pub fn parse_scope(text: &str) -> Result<Scope, String> {
    Scope::parse(text).map_err(|e| e.to_string())
}

fn parse_date(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("\"{text}\" is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.json);
    match run(cli, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            out.error(&err);
            ExitCode::FAILURE
        }
    }
}

fn home_dir(cli: &Cli) -> Result<PathBuf> {
    match &cli.home {
        Some(dir) => Ok(dir.clone()),
        None => countersign_core::default_dir().context("no data folder is known on this system; pass --home DIR"),
    }
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// Where this run's passphrase comes from (set once, first thing in `run`).
static PASSPHRASES: OnceLock<passphrase::Sources> = OnceLock::new();
/// The member's key, unlocked once per run: opening the home needs it (the database
/// and the log are encrypted with a store key sealed to it), and so do sync and votes.
static UNLOCKED: OnceLock<UnlockedKey> = OnceLock::new();

fn unlocked(dir: &Path) -> Result<&'static UnlockedKey> {
    if let Some(key) = UNLOCKED.get() {
        return Ok(key);
    }
    let secret = Home::read_key(dir)?;
    let sources = PASSPHRASES.get().context("the passphrase sources are set when the run starts")?;
    let (pass, _) = sources.for_unlock(&secret.fingerprint())?;
    let key = secret.unlock(&pass, clock().now())?;
    Ok(UNLOCKED.get_or_init(|| key))
}

fn open(dir: &Path) -> Result<Home> {
    Ok(Home::open(dir, clock(), unlocked(dir)?)?)
}

fn run(cli: Cli, out: &Output) -> Result<()> {
    let dir = home_dir(&cli)?;
    let passphrases = PASSPHRASES.get_or_init(|| passphrase::Sources::new(cli.passphrase_file.clone()));
    match cli.command {
        Command::Init(args) => {
            let source = match &args.import_key {
                Some(path) => KeySource::Import { path, name: args.name.as_deref(), email: args.email.as_deref() },
                None => {
                    let (Some(name), Some(email)) = (args.name.as_deref(), args.email.as_deref()) else {
                        anyhow::bail!("give --name NAME and --email EMAIL for the new key, or --import-key FILE");
                    };
                    KeySource::Generate { name, email }
                }
            };
            let pass = passphrases.for_new_key(args.import_key.is_some())?;
            let home = Home::init(&dir, source, &pass, clock())?;
            out.home_created(&home.info());
        }
        Command::Whoami => out.home_info(&open(&dir)?.info()),
        Command::Key(command) => {
            let home = open(&dir)?;
            match command {
                KeyCommand::Export => out.certificate(&home.fingerprint().to_string(), &home.key().public_armored()?),
                KeyCommand::Remember => {
                    let pass = passphrases.explicit_or_prompt()?;
                    home.check_passphrase(&pass)?;
                    PassphraseKeyring::system()?.remember(home.fingerprint(), &pass)?;
                    out.message("remembered", "The passphrase is now kept in the OS keyring.");
                }
                KeyCommand::Forget => {
                    let removed = PassphraseKeyring::system()?.forget(home.fingerprint())?;
                    out.message(
                        if removed { "forgotten" } else { "not-stored" },
                        if removed {
                            "The passphrase was removed from the OS keyring."
                        } else {
                            "The OS keyring held no passphrase for this key."
                        },
                    );
                }
                KeyCommand::Check => {
                    let (pass, from) = passphrases.for_unlock(home.fingerprint())?;
                    home.check_passphrase(&pass)?;
                    out.message(from, &format!("The key unlocks (passphrase from {from})."));
                }
            }
        }
        Command::Partner(command) => partner(&dir, command, out)?,
        Command::Workspace(command) => workspace(&dir, command, out)?,
        Command::Decision(command) => decision(&dir, command, out)?,
        Command::Member(command) => member(&dir, command, out)?,
        Command::Rules(command) => rules(&dir, command, out)?,
        Command::Finance(command) => finance::finance(&mut open(&dir)?, command, out)?,
        Command::Budget(command) => finance::budget(&mut open(&dir)?, command, out)?,
        Command::Report(command) => finance::run_report(&open(&dir)?, command, out)?,
        Command::Sync(args) => {
            let mut home = open(&dir)?;
            if let Some(SyncCommand::Status) = args.command {
                out.sync_status(&home.sync_status()?);
                return Ok(());
            }
            if let Some(folder) = &args.folder {
                home.move_folder(folder)?;
            }
            let key = unlocked(&dir)?;
            out.sync_report(&home.sync(key)?);
        }
        Command::Digest { records: false } => out.digest(&open(&dir)?.digest()?),
        Command::Digest { records: true } => out.records(&open(&dir)?.records_dump()?),
        Command::Sql { query } => out.query_rows(&Home::query(&dir, clock(), unlocked(&dir)?, &query)?),
        Command::Log { last } => {
            let ops = open(&dir)?.operations()?;
            let skip = last.map_or(0, |n| ops.len().saturating_sub(n));
            let mut text = String::new();
            for op in &ops[skip..] {
                text.push_str(&String::from_utf8_lossy(&op.to_bytes()));
                text.push('\n');
            }
            out.records(&text);
        }
        Command::Rebuild => {
            let digest = Home::rebuild(&dir, clock(), unlocked(&dir)?)?;
            out.digest(&digest);
        }
        Command::Verify => {
            let mut home = open(&dir)?;
            let key = unlocked(&dir)?;
            let report = home.verify(key)?;
            out.verify(&report);
            if !report.ok {
                anyhow::bail!(
                    "verification failed: {} problem(s) found in {} (each says what to do)",
                    report.problems.len(),
                    dir.display()
                );
            }
        }
    }
    Ok(())
}

fn workspace(dir: &Path, command: WorkspaceCommand, out: &Output) -> Result<()> {
    let mut home = open(dir)?;
    match command {
        WorkspaceCommand::Create { name, folder, members, roles } => {
            if members.len() != roles.len() {
                anyhow::bail!(
                    "give one --role for each --member (found {} members and {} roles)",
                    members.len(),
                    roles.len()
                );
            }
            let now = clock().now();
            let mut others = Vec::new();
            for (path, role) in members.iter().zip(&roles) {
                let bytes = std::fs::read(path)
                    .with_context(|| format!("could not read the certificate {}", path.display()))?;
                others.push(RosterMember::from_cert(path, &bytes, role.parse::<Role>()?, now)?);
            }
            let key = unlocked(dir)?;
            out.workspace(&home.create_workspace(&name, &folder, others, key)?);
        }
        WorkspaceCommand::Join { folder, workspace } => {
            let key = unlocked(dir)?;
            let id = match workspace {
                Some(id) => id,
                None => {
                    let ids = countersign_core::list_workspaces(&folder)?;
                    if !std::io::stdin().is_terminal() {
                        anyhow::bail!(
                            "give the workspace id with --workspace ID (there is no terminal to confirm the one found in {})",
                            folder.display()
                        );
                    }
                    let [id] = ids.as_slice() else {
                        anyhow::bail!(
                            "{} holds {} workspaces; pass --workspace ID with the id the creator gave you",
                            folder.display(),
                            ids.len()
                        );
                    };
                    let preview = home.preview_workspace(&folder, id, key)?;
                    if !passphrase::confirm(&format!(
                        "Found the workspace \"{}\" with id\n  {}\ncreated by {}. Trust on first use: you are trusting the file found in the folder.\nCompare the id with the one the creator gave you. Join? [y/N] ",
                        preview.name, preview.id, preview.creator
                    ))? {
                        anyhow::bail!("not joined");
                    }
                    id.clone()
                }
            };
            out.workspace(&home.join_workspace(&folder, &id, key)?);
        }
        WorkspaceCommand::Show => out.workspace(&home.workspace_info()?),
    }
    Ok(())
}

fn partner(dir: &Path, command: PartnerCommand, out: &Output) -> Result<()> {
    let mut home = open(dir)?;
    match command {
        PartnerCommand::Add { name, kind, stage, tags, website, scope } => {
            let request = NewPartner { name, kind: kind.parse()?, stage: stage.parse()?, tags, website, scope };
            out.partner(&home.add_partner(request)?);
        }
        PartnerCommand::List { stage, tag, search, owner, scope, limit, offset } => {
            let filter = PartnerFilter {
                stage: stage.as_deref().map(str::parse::<Stage>).transpose()?,
                tag,
                search,
                owner,
                scope,
                limit,
                offset,
            };
            out.partners(&home.list_partners(&filter)?);
        }
        PartnerCommand::Show { name } => out.partner_detail(&home.partner_detail(&name)?),
        PartnerCommand::Set { name, stage, owner, notes, kind, website, tags, opencollective, scope } => {
            let update = PartnerUpdate {
                kind: kind.as_deref().map(str::parse::<Kind>).transpose()?,
                stage: stage.as_deref().map(str::parse::<Stage>).transpose()?,
                owner,
                website,
                notes,
                opencollective,
                tags: (!tags.is_empty()).then_some(tags),
                scope,
            };
            out.partner(&home.update_partner(&name, update)?);
        }
        PartnerCommand::Contact(ContactCommand::Add { name, person, email, role, scope }) => {
            out.partner_detail(&home.add_contact(&name, NewContact { name: person, email, role, scope })?);
        }
        PartnerCommand::Log { name, channel, summary, date, next_step, due, force, scope } => {
            let entry = NewInteraction { channel, summary, date, next_step, due, force, scope };
            out.partner_detail(&home.log_interaction(&name, entry)?);
        }
        PartnerCommand::Claim { name, days, force } => out.claim(&home.claim_partner(&name, days, force)?),
    }
    Ok(())
}

impl DecisionFields {
    fn request(self) -> Result<NewDecision> {
        let body = match (self.body_file, self.body) {
            (Some(path), _) => std::fs::read_to_string(&path)
                .with_context(|| format!("could not read the body file {}", path.display()))?,
            (None, Some(body)) => body,
            (None, None) => String::new(),
        };
        Ok(NewDecision {
            kind: self.kind.as_deref().map(str::parse::<DecisionKind>).transpose()?,
            title: self.title.unwrap_or_default(),
            body,
            amount: self.amount,
            currency: self.currency,
            fund: self.fund,
            closes: self.closes,
            scope: self.scope,
        })
    }
}

fn decision(dir: &Path, command: DecisionCommand, out: &Output) -> Result<()> {
    let mut home = open(dir)?;
    match command {
        DecisionCommand::Propose(fields) => out.decision_id(&home.propose_decision(fields.request()?, None)?),
        DecisionCommand::Vote { id, choice, reason } => {
            let choice: Choice = choice.parse()?;
            let key = unlocked(dir)?;
            out.decision(&home.vote(&id, choice, reason, key)?);
        }
        DecisionCommand::Amend { id, fields } => {
            home.amend_decision(&id, fields.request()?)?;
            out.decision(&home.decision(&id)?);
        }
        DecisionCommand::Withdraw { id } => {
            home.withdraw_decision(&id)?;
            out.decision(&home.decision(&id)?);
        }
        DecisionCommand::Show { id } => out.decision(&home.decision(&id)?),
        DecisionCommand::List { open, needs_me } => out.decisions(&home.decisions(&DecisionFilter { open, needs_me })?),
        DecisionCommand::Export { id, dir } => out.export(&home.export_decision(&id, &dir)?),
        DecisionCommand::Link { id, transactions } => {
            let id = home.resolve_decision(&id)?;
            out.linked(&id, &home.link_decision(&id, &transactions)?);
        }
    }
    Ok(())
}

fn member(dir: &Path, command: MemberCommand, out: &Output) -> Result<()> {
    let mut home = open(dir)?;
    let fpr = |text: &str| countersign_core::Fingerprint::parse(text);
    let cert = |path: &Path, role: Role| -> Result<RosterMember> {
        let bytes =
            std::fs::read(path).with_context(|| format!("could not read the certificate {}", path.display()))?;
        Ok(RosterMember::from_cert(path, &bytes, role, clock().now())?)
    };
    let (change, closes) = match command {
        MemberCommand::List => {
            out.workspace(&home.workspace_info()?);
            return Ok(());
        }
        MemberCommand::Add { cert_file, role, closes } => {
            (Change::MemberAdd { member: cert(&cert_file, role.parse()?)? }, closes)
        }
        MemberCommand::Remove { fingerprint, closes } => {
            (Change::MemberRemove { fingerprint: fpr(&fingerprint)? }, closes)
        }
        MemberCommand::Role { fingerprint, role, closes } => {
            (Change::MemberRole { fingerprint: fpr(&fingerprint)?, role: role.parse()? }, closes)
        }
        MemberCommand::Replace { fingerprint, cert_file, closes } => {
            (Change::MemberReplace { old: fpr(&fingerprint)?, member: cert(&cert_file, Role::Board)? }, closes)
        }
    };
    out.decision_id(&home.propose_change(change, closes)?);
    Ok(())
}

fn rules(dir: &Path, command: RulesCommand, out: &Output) -> Result<()> {
    let mut home = open(dir)?;
    match command {
        RulesCommand::Show => out.rules(&home.rules()?),
        RulesCommand::Set { rules, funding_expiry_months, access, closes } => {
            let mut set = home.rules()?;
            for entry in rules {
                let Some((kind, rule)) = entry.split_once('=') else {
                    anyhow::bail!(
                        "write each rule as KIND=RULE, e.g. --rule \"budget=majority board\" (got \"{entry}\")"
                    );
                };
                let kind: DecisionKind = kind.parse()?;
                let rule: countersign_core::Rule = rule.parse()?;
                set.decisions.insert(kind.as_str().to_string(), rule.to_string());
            }
            if let Some(months) = funding_expiry_months {
                set.funding_expiry_months = months;
            }
            for entry in access {
                let Some((role, scopes)) = entry.split_once('=') else {
                    anyhow::bail!(
                        "write each access rule as ROLE=SCOPES, e.g. --access treasurer=finance,all (got \"{entry}\")"
                    );
                };
                let role: Role = role.parse()?;
                let scopes = scopes
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| Scope::parse(s).map(String::from))
                    .collect::<countersign_core::Result<Vec<String>>>()?;
                set.access.insert(role.as_str().to_string(), scopes);
            }
            out.decision_id(&home.propose_change(Change::RulesSet { rules: set }, closes)?);
        }
    }
    Ok(())
}
