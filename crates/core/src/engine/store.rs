//! The SQLite view of the records, derived from the operation log.
//!
//! Architecture invariant: the database is a cache. Everything in it except the local
//! bookkeeping (`meta`, `field_clocks`, `bundles`, `bundled_ops`, `outbox`) is a function of the set of
//! operations applied, whatever their order; [`Store::digest`] hashes that function's
//! value so two homes can prove they agree. Migrations are forward-only and numbered by
//! `PRAGMA user_version`; a database from a newer version is refused, never altered.

use crate::base::clock::Hlc;
use crate::base::error::{Error, Result};
use crate::crypto::vault::StoreKey;
use crate::engine::operation::{OpId, Operation};
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
    // 4: finance. Amounts are integers of ten-thousandths (crate::base::money); `finance_totals`
    // holds the sums of `transactions` per month and dimension, kept by crate::finance::model.
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
                line.extend_from_slice(&crate::base::canonical::to_bytes(&values)?);
                line.push(b'\n');
                sink(&line);
            }
        }
        Ok(())
    }
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

pub(crate) fn read_hlc(conn: &Connection) -> Result<Hlc> {
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
impl Store {
    /// A database in memory, for the tests.
    pub(crate) fn in_memory() -> Store {
        Store::open(Path::new(":memory:"), None).expect("an in-memory database opens")
    }

    /// Every record as text, for the tests to compare.
    pub(crate) fn dump_text(&self) -> String {
        let mut out = Vec::new();
        self.dump(|line| out.extend_from_slice(line)).expect("the database dumps");
        String::from_utf8(out).expect("the dump is UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_query_returns_columns_in_order_and_a_write_is_refused() {
        let store = Store::in_memory();
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

    #[test]
    fn a_database_from_a_newer_version_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let key = crate::crypto::vault::test_key();
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
        let key = crate::crypto::vault::test_key();
        let store = Store::open(&path, Some(&key)).unwrap();
        store.conn().execute("INSERT INTO meta (key, value) VALUES ('probe', 'Nimbus Quantum')", []).unwrap();
        store.conn().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
        drop(store);
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.windows(14).any(|w| w == b"Nimbus Quantum") && !bytes.starts_with(b"SQLite format 3"));
        let other = crate::crypto::vault::StoreKey::generate().unwrap();
        assert!(matches!(Store::open(&path, Some(&other)), Err(Error::DatabaseDamaged { .. })));
        assert!(Store::open(&path, None).is_err());
        assert!(Store::open(&path, Some(&key)).is_ok());
    }

    #[test]
    fn a_file_that_is_not_a_database_is_reported_as_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
        let err = Store::open(&path, Some(&crate::crypto::vault::test_key())).err().unwrap();
        assert!(matches!(err, Error::DatabaseDamaged { .. }), "{err}");
        assert!(err.to_string().contains("countersign rebuild"));
    }
}
