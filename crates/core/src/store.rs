//! The SQLite view of the records, derived from the operation log.
//!
//! Architecture invariant: the database is a cache. Everything in it except the local
//! bookkeeping (`meta`, `field_clocks`, `bundles`, `bundled_ops`, `outbox`) is a function of the set of
//! operations applied, whatever their order; [`Store::digest`] hashes that function's
//! value so two homes can prove they agree. Migrations are forward-only and numbered by
//! `PRAGMA user_version`; a database from a newer version is refused, never altered.

use crate::clock::Hlc;
use crate::error::{Error, Result};
use crate::operation::{OpBody, OpId, Operation};
use crate::partner;
use crate::vault::StoreKey;
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The schema, one entry per version. Append; never edit an entry that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: partner records and the merge bookkeeping.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
     CREATE TABLE field_clocks (
       entity TEXT NOT NULL, field TEXT NOT NULL,
       hlc_ms INTEGER NOT NULL, hlc_n INTEGER NOT NULL, author TEXT NOT NULL, op TEXT NOT NULL,
       PRIMARY KEY (entity, field)) STRICT, WITHOUT ROWID;
     CREATE TABLE partners (
       id TEXT PRIMARY KEY, name TEXT, name_key TEXT, kind TEXT NOT NULL, stage TEXT NOT NULL,
       owner TEXT, website TEXT, notes TEXT, tags TEXT NOT NULL, created_ms INTEGER NOT NULL) STRICT;
     CREATE INDEX partners_by_name ON partners (name_key);
     CREATE INDEX partners_by_stage ON partners (stage, name_key);
     CREATE INDEX partners_by_owner ON partners (owner, name_key);
     CREATE TABLE partner_tags (partner TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (partner, tag)) STRICT, WITHOUT ROWID;
     CREATE INDEX partner_tags_by_tag ON partner_tags (tag);
     CREATE TABLE contacts (
       id TEXT PRIMARY KEY, partner TEXT NOT NULL, name TEXT NOT NULL, email TEXT, role TEXT,
       added_by TEXT NOT NULL, hlc_ms INTEGER NOT NULL, hlc_n INTEGER NOT NULL) STRICT;
     CREATE INDEX contacts_by_partner ON contacts (partner);
     CREATE TABLE interactions (
       id TEXT PRIMARY KEY, partner TEXT NOT NULL, date TEXT NOT NULL, channel TEXT NOT NULL,
       member TEXT NOT NULL, summary TEXT NOT NULL, next_step TEXT, due TEXT,
       hlc_ms INTEGER NOT NULL, hlc_n INTEGER NOT NULL) STRICT;
     CREATE INDEX interactions_by_partner ON interactions (partner, date);
     CREATE TABLE claims (partner TEXT NOT NULL, member TEXT NOT NULL, until TEXT NOT NULL,
       PRIMARY KEY (partner, member)) STRICT, WITHOUT ROWID;",
    // 2: the shared workspace (from its genesis bundle) and the sync bookkeeping.
    "CREATE TABLE workspace (id TEXT PRIMARY KEY, name TEXT NOT NULL, creator TEXT NOT NULL,
       created_ms INTEGER NOT NULL, rules TEXT NOT NULL) STRICT;
     CREATE TABLE roster (fingerprint TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,
       role TEXT NOT NULL, cert TEXT NOT NULL) STRICT;
     CREATE TABLE bundles (
       path TEXT PRIMARY KEY, author TEXT, device TEXT, seq INTEGER, hash TEXT NOT NULL,
       status TEXT NOT NULL, reason TEXT, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL) STRICT;
     CREATE INDEX bundles_by_chain ON bundles (author, device, seq);
     CREATE TABLE bundled_ops (id TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;
     CREATE TABLE outbox (id TEXT PRIMARY KEY, hlc_ms INTEGER NOT NULL, hlc_n INTEGER NOT NULL,
       op BLOB NOT NULL) STRICT;",
    // 3: decisions, votes, and the governance chain (roster and rules versions).
    "CREATE TABLE decision_versions (hash TEXT PRIMARY KEY, decision TEXT NOT NULL, version INTEGER NOT NULL,
       kind TEXT NOT NULL, author TEXT NOT NULL, doc TEXT NOT NULL, hlc_ms INTEGER NOT NULL, hlc_n INTEGER NOT NULL) STRICT;
     CREATE INDEX decision_versions_by_decision ON decision_versions (decision);
     CREATE INDEX decision_versions_by_kind ON decision_versions (kind);
     CREATE TABLE votes (id TEXT PRIMARY KEY, decision TEXT NOT NULL, version TEXT NOT NULL, voter TEXT NOT NULL,
       choice TEXT NOT NULL, reason TEXT, signature TEXT NOT NULL, seen TEXT,
       hlc_ms INTEGER NOT NULL, hlc_n INTEGER NOT NULL) STRICT;
     CREATE INDEX votes_by_decision ON votes (decision, hlc_ms, hlc_n);
     CREATE TABLE withdrawals (id TEXT PRIMARY KEY, decision TEXT NOT NULL, member TEXT NOT NULL,
       hlc_ms INTEGER NOT NULL, hlc_n INTEGER NOT NULL) STRICT;
     CREATE INDEX withdrawals_by_decision ON withdrawals (decision);
     CREATE TABLE certificates (fingerprint TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,
       cert TEXT NOT NULL) STRICT;
     CREATE TABLE governance (version INTEGER PRIMARY KEY, hash TEXT NOT NULL, decision TEXT,
       state TEXT NOT NULL) STRICT;",
    // 4: finance. Amounts are integers of ten-thousandths (crate::money); `finance_totals`
    // holds the sums of `transactions` per month and dimension, kept by crate::finance.
    // Rows are stored in date order (a year is one contiguous range) with an index on
    // the id; every report reads the totals or one year's rows.
    "CREATE TABLE transactions (id TEXT NOT NULL, source TEXT NOT NULL, date TEXT NOT NULL,
       account TEXT NOT NULL, kind TEXT NOT NULL,
       category TEXT NOT NULL, description TEXT NOT NULL, gross INTEGER NOT NULL, net INTEGER NOT NULL,
       currency TEXT NOT NULL, grp TEXT, counterparty TEXT, counterparty_name TEXT, fund_account TEXT NOT NULL,
       hlc_ms INTEGER NOT NULL, hlc_n INTEGER NOT NULL, author TEXT NOT NULL, op BLOB NOT NULL,
       PRIMARY KEY (date, id)) STRICT, WITHOUT ROWID;
     CREATE UNIQUE INDEX transactions_by_id ON transactions (id);
     CREATE TABLE finance_totals (source TEXT NOT NULL, year INTEGER NOT NULL, month INTEGER NOT NULL,
       account TEXT NOT NULL, kind TEXT NOT NULL, category TEXT NOT NULL, fund_account TEXT NOT NULL,
       currency TEXT NOT NULL, credit INTEGER NOT NULL, gross INTEGER NOT NULL, net INTEGER NOT NULL,
       count INTEGER NOT NULL,
       PRIMARY KEY (source, year, month, account, kind, category, fund_account, currency, credit)) STRICT, WITHOUT ROWID;
     CREATE TABLE fund_map (account TEXT PRIMARY KEY, fund TEXT NOT NULL) STRICT;
     CREATE TABLE budgets (fund TEXT NOT NULL, year INTEGER NOT NULL, amount INTEGER NOT NULL,
       currency TEXT NOT NULL, PRIMARY KEY (fund, year)) STRICT;
     CREATE TABLE decision_links (decision TEXT NOT NULL, tx TEXT NOT NULL, member TEXT NOT NULL,
       PRIMARY KEY (decision, tx)) STRICT, WITHOUT ROWID;
     CREATE INDEX decision_links_by_tx ON decision_links (tx);
     ALTER TABLE partners ADD COLUMN opencollective TEXT;
     -- Own operations wait in the outbox as a reference to their line in the log
     -- (`op` is then empty): a large import is not stored twice.
     ALTER TABLE outbox ADD COLUMN log_at INTEGER;
     CREATE INDEX partners_by_opencollective ON partners (opencollective) WHERE opencollective IS NOT NULL;",
    // 5: access by role. A partner's scope is its latest scope change (`scope_set`),
    // else the scope of its earliest `partner.add` (`scope_added`): a member who cannot
    // see a record and adds the same name later does not move it. Notes, contacts and
    // decisions keep the scope they were written in. `bundles.scope` is what a bundle
    // declared (NULL for one sealed to others, which this member cannot open).
    "ALTER TABLE partners ADD COLUMN scope_added TEXT;
     ALTER TABLE partners ADD COLUMN scope_set TEXT;
     ALTER TABLE contacts ADD COLUMN scope TEXT NOT NULL DEFAULT 'all';
     ALTER TABLE interactions ADD COLUMN scope TEXT NOT NULL DEFAULT 'all';
     ALTER TABLE decision_versions ADD COLUMN scope TEXT NOT NULL DEFAULT 'all';
     ALTER TABLE bundles ADD COLUMN scope TEXT;",
];

/// The record tables, in the order the state digest covers them, each with the columns
/// that order its rows. Bookkeeping (meta, clocks, bundles, outbox) is not a record.
const DIGEST_TABLES: &[(&str, &str)] = &[
    ("workspace", "id"),
    ("roster", "fingerprint"),
    ("partners", "id"),
    ("contacts", "id"),
    ("interactions", "id"),
    ("claims", "partner, member"),
    ("decision_versions", "hash"),
    ("votes", "id"),
    ("withdrawals", "id"),
    ("certificates", "fingerprint"),
    ("governance", "version"),
    ("transactions", "id"),
    ("fund_map", "account"),
    ("budgets", "fund, year"),
    ("decision_links", "decision, tx"),
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A hex SHA-256 over a canonical dump of every record: equal digests, equal records.
pub type StateDigest = String;

/// What SQLCipher needs before the first read: the key, and the settings an encrypted
/// database cannot store in its (encrypted) header. 16 KiB pages suit the wide
/// transaction rows (fewer splits on import). Each page is authenticated with
/// HMAC-SHA256 rather than SQLCipher's default SHA-512: as strong for a MAC, and over
/// twice as fast on CPUs with SHA extensions (`openssl speed` on 16 KiB blocks on the
/// benchmark machine: 1.5 GB/s against 0.67 GB/s).
fn key_pragmas(key: &StoreKey) -> String {
    // SQLCipher writes its own diagnostics (a wrong key's "hmac check failed") to
    // stderr by default; the errors returned here already say what happened and what
    // to do, so its log is switched off.
    format!(
        "PRAGMA cipher_log_level = NONE; PRAGMA key = {}; PRAGMA cipher_page_size = 16384; \
         PRAGMA cipher_hmac_algorithm = HMAC_SHA256;",
        key.sqlcipher_key()
    )
}

/// Where operations applied from the home's log stand in it: each line's start, and
/// the log's end (how far the database has caught up).
#[derive(Debug, Clone, Copy)]
pub struct LogLines<'a> {
    pub starts: &'a [u64],
    pub end: u64,
}

/// The result of [`Store::query_read_only`]: column names, and rows of values in the
/// same order.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<serde_json::Value>>,
}

/// The SQLite database of a home.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if missing) the database at `path`, encrypted with `key`
    /// (SQLCipher; `None` only for databases in memory), and brings its schema up to
    /// date. Refuses a database from a newer version and reports a damaged file.
    pub fn open(path: &Path, key: Option<&StoreKey>) -> Result<Store> {
        let damaged = |e: rusqlite::Error| Error::DatabaseDamaged { path: path.to_owned(), detail: e.to_string() };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(damaged)?;
        #[cfg(feature = "unencrypted-store")]
        let key: Option<&StoreKey> = key.and(None);
        let encrypted = key.is_some();
        if let Some(key) = key {
            // Before anything else reads the file; a wrong key shows at the first read.
            conn.execute_batch(&key_pragmas(key)).map_err(damaged)?;
        }
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(damaged)?;
        if version > SCHEMA_VERSION {
            return Err(Error::NewerVersion {
                what: "the database",
                path: path.to_owned(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version == 0 && !encrypted {
            // A new database: larger pages suit the wide transaction rows (fewer
            // splits on import). Only takes effect before the first table exists.
            conn.execute_batch("PRAGMA page_size = 16384;").map_err(damaged)?;
        }
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;
             PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
        )
        .map_err(damaged)?;
        let mut store = Store { conn, path: path.to_owned() };
        store.migrate(version).map_err(|e| match e {
            Error::Database(e) => damaged(e),
            other => other,
        })?;
        Ok(store)
    }

    fn migrate(&mut self, from: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", index as i64 + 1)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The connection, for queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Applies operations from this home's own log in one transaction and records
    /// `log_offset` (how far into the log the database has caught up). Own operations
    /// not yet seen in a bundle are queued in the outbox. Returns how many were given.
    pub fn apply_local(&mut self, ops: &[Operation], log: Option<LogLines<'_>>) -> Result<usize> {
        let encoded = Operation::encode_all(ops);
        self.apply_encoded(ops, &encoded, log)
    }

    /// [`Store::apply_local`] with each operation's canonical bytes already at hand
    /// (`encoded[i]` is `ops[i].to_bytes()`): large imports encode once.
    pub fn apply_encoded(
        &mut self,
        ops: &[Operation],
        encoded: &[Vec<u8>],
        log: Option<LogLines<'_>>,
    ) -> Result<usize> {
        let tx = self.conn.transaction()?;
        apply_local_in(&tx, ops, encoded, log)?;
        tx.commit()?;
        Ok(ops.len())
    }

    /// Starts a transaction, for sync to apply bundles and their bookkeeping at once.
    pub(crate) fn transaction(&mut self) -> Result<Transaction<'_>> {
        Ok(self.conn.transaction()?)
    }

    /// The newest clock reading among applied operations: new operations stamp later.
    pub fn hlc(&self) -> Result<Hlc> {
        read_hlc(&self.conn)
    }

    /// How many bytes of the operation log the database reflects.
    pub fn log_offset(&self) -> Result<u64> {
        Ok(read_meta(&self.conn, "log_offset")?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// The state digest: SHA-256 over [`Store::dump`], i.e. every record table in a
    /// fixed order, each row a canonical JSON array of its column values, rows in
    /// primary-key order.
    pub fn digest(&self) -> Result<StateDigest> {
        let mut hasher = Sha256::new();
        self.dump(|line| hasher.update(line))?;
        Ok(hex::encode(hasher.finalize()))
    }

    /// Runs one read-only SQL statement and returns its columns and rows, values as
    /// JSON (BLOBs as hex). For treasurers and auditors who queried
    /// the database with `sqlite3` before it was encrypted. Anything that would write
    /// is refused.
    pub fn query_read_only(&self, sql: &str) -> Result<QueryRows> {
        use serde_json::Value;
        let refused = |reason: String| Error::invalid("SQL query", sql, reason);
        let mut stmt =
            self.conn.prepare(sql).map_err(|e| refused(format!("one SQL statement that SQLite accepts ({e})")))?;
        if !stmt.readonly() {
            return Err(refused(
                "a statement that only reads (SELECT …); the records change only through countersign's commands".into(),
            ));
        }
        let columns: Vec<String> = stmt.column_names().map(str::to_string).collect();
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                values.push(match row.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::from(n),
                    ValueRef::Real(x) => Value::from(x),
                    ValueRef::Text(text) => Value::from(String::from_utf8_lossy(text).into_owned()),
                    ValueRef::Blob(bytes) => Value::from(hex::encode(bytes)),
                });
            }
            out.push(values);
        }
        drop(rows);
        Ok(QueryRows { columns, rows: out })
    }

    /// Feeds the canonical dump of every record to `sink`, one line (with its final
    /// newline) at a time: `table NAME` before each table's rows.
    pub fn dump(&self, mut sink: impl FnMut(&[u8])) -> Result<()> {
        for (table, order) in DIGEST_TABLES {
            sink(format!("table {table}\n").as_bytes());
            let mut stmt = self.conn.prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))?;
            let columns = stmt.column_count();
            let mut rows = stmt.query([])?;
            let mut line = Vec::with_capacity(256);
            while let Some(row) = rows.next()? {
                let mut values = Vec::with_capacity(columns);
                for i in 0..columns {
                    values.push(match row.get_ref(i)? {
                        ValueRef::Null => serde_json::Value::Null,
                        ValueRef::Integer(n) => n.into(),
                        ValueRef::Real(x) => x.to_string().into(),
                        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                        ValueRef::Blob(b) => hex::encode(b).into(),
                    });
                }
                line.clear();
                line.extend_from_slice(&crate::canonical::to_bytes(&values)?);
                line.push(b'\n');
                sink(&line);
            }
        }
        Ok(())
    }
}

/// [`Store::apply_local`] inside a transaction the caller commits.
pub(crate) fn apply_local_in(
    tx: &Transaction<'_>,
    ops: &[Operation],
    encoded: &[Vec<u8>],
    log: Option<LogLines<'_>>,
) -> Result<()> {
    let ids: Vec<OpId> = encoded.iter().map(|bytes| OpId::of_canonical(bytes)).collect();
    apply_ops(tx, ops, &ids)?;
    let mut queue = tx.prepare_cached(
        "INSERT OR IGNORE INTO outbox (id, hlc_ms, hlc_n, op, log_at)
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM bundled_ops WHERE id = ?1)",
    )?;
    // With the log's lines given, each operation waits as the offset where its line
    // starts (the log holds it; the outbox need not).
    for (i, ((op, id), bytes)) in ops.iter().zip(&ids).zip(encoded).enumerate() {
        match log.and_then(|l| l.starts.get(i)) {
            Some(at) => queue.execute(params![id.0, op.hlc.ms, op.hlc.n, &[] as &[u8], *at as i64])?,
            None => queue.execute(params![id.0, op.hlc.ms, op.hlc.n, bytes, None::<i64>])?,
        };
    }
    drop(queue);
    if let Some(log) = log {
        write_meta(tx, "log_offset", &log.end.to_string())?;
    }
    Ok(())
}

/// Empties every record and bookkeeping table except the workspace, the known
/// certificates and `meta`, inside `tx`: the start of a rebuild in place.
pub(crate) fn clear_records(tx: &Transaction<'_>) -> Result<()> {
    let tables: Vec<String> = tx
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for table in tables {
        if !["meta", "workspace", "certificates"].contains(&table.as_str()) {
            tx.execute(&format!("DELETE FROM \"{table}\""), [])?;
        }
    }
    Ok(())
}

/// Applies operations inside `tx` and advances the stored clock to the newest
/// reading. Applying an operation again changes nothing (every write is either a
/// last-writer-wins register ordered by (hlc, author, id) or an insert keyed by the
/// operation id), so no record of applied operations is needed. `ids[i]` is
/// `ops[i].id()`, computed once by the caller.
pub(crate) fn apply_ops(tx: &Transaction<'_>, ops: &[Operation], ids: &[OpId]) -> Result<()> {
    let mut newest = read_hlc(tx)?;
    for (op, id) in ops.iter().zip(ids) {
        apply_one(tx, op, id)?;
        newest = newest.max(op.hlc);
    }
    write_meta(tx, "hlc", &serde_json::to_string(&newest).unwrap_or_default())?;
    Ok(())
}

fn apply_one(tx: &Transaction<'_>, op: &Operation, id: &OpId) -> Result<()> {
    match &op.body {
        OpBody::PartnerAdd { .. }
        | OpBody::PartnerSet { .. }
        | OpBody::ContactAdd { .. }
        | OpBody::InteractionLog { .. }
        | OpBody::ClaimSet { .. } => partner::apply(tx, op, id),
        OpBody::DecisionPropose { .. } | OpBody::DecisionVote { .. } | OpBody::DecisionWithdraw { .. } => {
            crate::decision::apply(tx, op, id)
        }
        OpBody::DecisionLink { .. }
        | OpBody::FinanceImport { .. }
        | OpBody::FundMap { .. }
        | OpBody::BudgetSet { .. } => crate::finance::apply(tx, op, id),
    }
}

pub(crate) fn read_meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
}

pub(crate) fn write_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

fn read_hlc(conn: &Connection) -> Result<Hlc> {
    Ok(read_meta(conn, "hlc")?.and_then(|v| serde_json::from_str(&v).ok()).unwrap_or(Hlc::ZERO))
}

/// Whether `op` is later, in the merge order, than the last write to
/// (`entity`, `field`); if so, records it as the last write.
pub(crate) fn wins(tx: &Transaction<'_>, entity: &str, field: &str, op: &Operation, id: &OpId) -> Result<bool> {
    // One statement: insert, or overwrite only if later in the merge order (SQLite
    // compares row values lexicographically, text by bytes, as Rust compares them).
    let changed = tx
        .prepare_cached(
            "INSERT INTO field_clocks (entity, field, hlc_ms, hlc_n, author, op) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (entity, field) DO UPDATE SET hlc_ms = excluded.hlc_ms, hlc_n = excluded.hlc_n,
               author = excluded.author, op = excluded.op
             WHERE (excluded.hlc_ms, excluded.hlc_n, excluded.author, excluded.op) > (hlc_ms, hlc_n, author, op)",
        )?
        .execute(params![entity, field, op.hlc.ms, op.hlc.n, op.author.as_str(), id.0])?;
    Ok(changed == 1)
}

/// Whether `op` is earlier, in the merge order, than every write to (`entity`,
/// `field`) so far; if so, records it. The first writer wins: a register that only its
/// creation sets (a partner's scope as added).
pub(crate) fn wins_first(tx: &Transaction<'_>, entity: &str, field: &str, op: &Operation, id: &OpId) -> Result<bool> {
    let changed = tx
        .prepare_cached(
            "INSERT INTO field_clocks (entity, field, hlc_ms, hlc_n, author, op) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (entity, field) DO UPDATE SET hlc_ms = excluded.hlc_ms, hlc_n = excluded.hlc_n,
               author = excluded.author, op = excluded.op
             WHERE (excluded.hlc_ms, excluded.hlc_n, excluded.author, excluded.op) < (hlc_ms, hlc_n, author, op)",
        )?
        .execute(params![entity, field, op.hlc.ms, op.hlc.n, op.author.as_str(), id.0])?;
    Ok(changed == 1)
}

/// Writes `value` (the empty string clears) to `table.field` of the row whose `key_column` is `key`, if `op`
/// wins the field's merge order. Returns whether it was written.
#[allow(clippy::too_many_arguments)]
pub(crate) fn set_field(
    tx: &Transaction<'_>,
    table: &'static str,
    key_column: &'static str,
    key: &str,
    field: &'static str,
    value: &str,
    op: &Operation,
    id: &OpId,
) -> Result<bool> {
    if !wins(tx, &format!("{table}:{key}"), field, op, id)? {
        return Ok(false);
    }
    let text = value;
    let text = (!text.is_empty()).then_some(text);
    tx.prepare_cached(&format!("UPDATE {table} SET {field} = ?1 WHERE {key_column} = ?2"))?
        .execute(params![text, key])?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{Fingerprint, PartnerChanges};
    use crate::partner::{Kind, PartnerId, Stage};
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn memory() -> Store {
        Store::open(Path::new(":memory:"), None).unwrap()
    }

    fn dump_text(store: &Store) -> String {
        let mut out = Vec::new();
        store.dump(|line| out.extend_from_slice(line)).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_read_only_query_returns_columns_in_order_and_a_write_is_refused() {
        let store = memory();
        let result = store.query_read_only("SELECT 2 AS b, 'x' AS a, NULL AS c, x'00ff' AS d").unwrap();
        assert_eq!(result.columns, ["b", "a", "c", "d"]);
        assert_eq!(result.rows, vec![vec![2.into(), "x".into(), serde_json::Value::Null, "00ff".into()]]);
        let count = store.query_read_only("SELECT count(*) FROM partners").unwrap();
        assert_eq!(count.rows, vec![vec![serde_json::Value::from(0)]]);
        for sql in ["DELETE FROM partners", "UPDATE meta SET value = '0'", "DROP TABLE partners"] {
            let e = store.query_read_only(sql).unwrap_err().to_string();
            assert!(e.contains("only reads"), "{sql}: {e}");
        }
        let e = store.query_read_only("SELEKT 1").unwrap_err().to_string();
        assert!(e.contains("syntax error"), "{e}");
    }

    const AUTHORS: [&str; 3] = [
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
    ];
    const NAMES: [&str; 3] = ["Acme", "Borealis", "Cobalt"];

    fn body() -> impl Strategy<Value = OpBody> {
        let partner = (0..NAMES.len()).prop_map(|i| PartnerId::for_name(NAMES[i]));
        let stage = prop::sample::select(Stage::ALL.to_vec());
        let kind = prop::sample::select(Kind::ALL.to_vec());
        let text = prop::sample::select(vec!["", "alpha", "beta", "gamma"]).prop_map(str::to_string);
        let date = (1u32..28).prop_map(|d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap());
        let tags = prop::collection::vec(prop::sample::select(vec!["ci", "sponsor", "cdn"]), 0..3)
            .prop_map(|t| t.into_iter().map(str::to_string).collect::<Vec<_>>());
        prop_oneof![
            (0..NAMES.len(), kind.clone(), stage.clone(), tags.clone()).prop_map(|(i, kind, stage, tags)| {
                OpBody::PartnerAdd {
                    partner: PartnerId::for_name(NAMES[i]),
                    name: NAMES[i].to_string(),
                    kind,
                    stage,
                    tags,
                    website: None,
                }
            }),
            (
                partner.clone(),
                prop::option::of(stage),
                prop::option::of(text.clone()),
                prop::option::of(text.clone()),
                prop::option::of(tags)
            )
                .prop_map(|(partner, stage, owner, notes, tags)| OpBody::PartnerSet {
                    partner,
                    fields: PartnerChanges { stage, owner, notes, tags, ..Default::default() },
                }),
            (partner.clone(), text.clone()).prop_map(|(partner, name)| OpBody::ContactAdd {
                partner,
                name: format!("contact {name}"),
                email: None,
                role: None
            }),
            (partner.clone(), date.clone(), text).prop_map(|(partner, date, summary)| {
                OpBody::InteractionLog { partner, date, channel: "call".into(), summary, next_step: None, due: None }
            }),
            (partner, date).prop_map(|(partner, until)| OpBody::ClaimSet { partner, until }),
        ]
    }

    /// Operations from three authors whose clocks collide often (a few distinct
    /// milliseconds), so ties between authors and within one author are exercised.
    fn operations() -> impl Strategy<Value = Vec<Operation>> {
        prop::collection::vec((0..AUTHORS.len(), 0i64..4, 0u32..3, body()), 1..40).prop_map(|items| {
            let mut ops: Vec<Operation> = items
                .into_iter()
                .map(|(a, ms, n, body)| Operation {
                    author: Fingerprint::parse(AUTHORS[a]).unwrap(),
                    hlc: Hlc { ms: 1_000 + ms, n },
                    body,
                    scope: Default::default(),
                })
                .collect();
            ops.dedup_by_key(|op| op.id());
            ops
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn any_arrival_order_gives_the_same_digest(
            (ops, shuffled) in operations().prop_flat_map(|ops| (Just(ops.clone()), Just(ops).prop_shuffle())),
            split in 0usize..40,
        ) {
            let mut in_order = memory();
            in_order.apply_local(&ops, None).unwrap();

            // Another member receives them shuffled, in two batches, the first batch twice.
            let mut other = memory();
            let split = split.min(shuffled.len());
            other.apply_local(&shuffled[..split], None).unwrap();
            other.apply_local(&shuffled[..split], None).unwrap();
            other.apply_local(&shuffled[split..], None).unwrap();

            prop_assert_eq!(in_order.digest().unwrap(), other.digest().unwrap());
            prop_assert_eq!(dump_text(&in_order), dump_text(&other));
        }
    }

    /// The per-month sums as the triggers keep them, and as computed from the rows.
    const RECOMPUTED_TOTALS: &str = "(SELECT source, CAST(substr(date, 1, 4) AS INTEGER) AS year,
        CAST(substr(date, 6, 2) AS INTEGER) AS month, account, kind, category, fund_account, currency,
        gross >= 0 AS credit, sum(gross) AS gross, sum(net) AS net, count(*) AS count FROM transactions
        GROUP BY source, year, month, account, kind, category, fund_account, currency, gross >= 0)";

    fn totals(store: &Store, table: &str) -> Vec<(String, i64, i64, i64, i64)> {
        let sql = format!(
            "SELECT source || account || kind || category || fund_account || currency || credit, year * 100 + month,
               gross, net, count FROM {table} ORDER BY 1, 2"
        );
        let mut stmt = store.conn().prepare(&sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn merge_scenarios_match_their_expected_records() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/merge");
        let mut scenarios: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension() == Some("ops".as_ref()))
            .collect();
        scenarios.sort();
        assert!(!scenarios.is_empty(), "no scenarios in {}", dir.display());
        for path in scenarios {
            let text = std::fs::read_to_string(&path).unwrap();
            let ops: Vec<Operation> = text
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display())))
                .collect();
            let mut forward = memory();
            forward.apply_local(&ops, None).unwrap();
            let mut backward = memory();
            backward.apply_local(&ops.iter().rev().cloned().collect::<Vec<_>>(), None).unwrap();
            let records = dump_text(&forward);
            assert_eq!(records, dump_text(&backward), "{}: order changed the result", path.display());
            for store in [&forward, &backward] {
                assert_eq!(totals(store, "finance_totals"), totals(store, RECOMPUTED_TOTALS), "{}", path.display());
            }
            expect_test::expect_file![path.with_extension("expected")].assert_eq(&records);
        }
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let key = crate::vault::test_key();
        drop(Store::open(&path, Some(&key)).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(&key_pragmas(&key)).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        drop(conn);
        let err = Store::open(&path, Some(&key)).err().unwrap();
        assert!(matches!(err, Error::NewerVersion { found, .. } if found == SCHEMA_VERSION + 1), "{err}");
        assert!(err.to_string().contains("update Countersign"));
    }

    #[test]
    fn the_database_on_disk_is_ciphertext_and_opens_only_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let key = crate::vault::test_key();
        let store = Store::open(&path, Some(&key)).unwrap();
        store.conn().execute("INSERT INTO meta (key, value) VALUES ('probe', 'Nimbus Quantum')", []).unwrap();
        store.conn().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
        drop(store);
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.windows(14).any(|w| w == b"Nimbus Quantum") && !bytes.starts_with(b"SQLite format 3"));
        let other = crate::vault::StoreKey::generate().unwrap();
        assert!(matches!(Store::open(&path, Some(&other)), Err(Error::DatabaseDamaged { .. })));
        assert!(Store::open(&path, None).is_err());
        assert!(Store::open(&path, Some(&key)).is_ok());
    }

    #[test]
    fn a_file_that_is_not_a_database_is_reported_as_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
        let err = Store::open(&path, Some(&crate::vault::test_key())).err().unwrap();
        assert!(matches!(err, Error::DatabaseDamaged { .. }), "{err}");
        assert!(err.to_string().contains("countersign rebuild"));
    }
}
