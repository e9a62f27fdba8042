//! The operation log: the operations this member made on this device, append-only, one
//! canonical operation per line, each line sealed with the home's store key
//! ([`crate::crypto::vault`]). The database is derived from it and, in a workspace,
//! from the bundles in the shared folder; both together rebuild it.
//!
//! Crash safety: operations are appended and flushed to disk before they are applied
//! to the database; the database records how many bytes of the log it reflects, so a
//! crash between the two is caught up on the next open. A line cut short by a crash
//! (no final newline) was never applied: readers ignore it and the next append, made
//! under the home's lock, cuts it off. Opening never cuts it: a home is opened without
//! the lock, and a final line without its newline may be another process's append in
//! progress.

use crate::base::error::{Error, Result};
use crate::crypto::vault::StoreKey;
use crate::engine::operation::Operation;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The append-only log of a home.
pub struct OpLog {
    path: PathBuf,
    key: Arc<StoreKey>,
}

impl OpLog {
    /// Opens the log at `path`, creating it if missing. A torn last line is left for
    /// the next append to cut off (see the module documentation).
    pub fn open(path: &Path, key: Arc<StoreKey>) -> Result<OpLog> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io("open the operation log", path, e))?;
        Ok(OpLog { path: path.to_owned(), key })
    }

    fn io(&self, action: &'static str, e: std::io::Error) -> Error {
        Error::io(
            match action {
                "read" => "read the operation log",
                "repair" => "repair the operation log",
                _ => "write the operation log",
            },
            &self.path,
            e,
        )
    }

    /// The log's length in bytes.
    pub fn len(&self) -> Result<u64> {
        Ok(std::fs::metadata(&self.path).map_err(|e| self.io("read", e))?.len())
    }

    /// Appends operations and flushes them to disk. Returns where each line starts and
    /// the log's new length. (Homes append through [`OpLog::append_encoded`].)
    #[cfg(test)]
    pub fn append(&self, ops: &[Operation]) -> Result<(Vec<u64>, u64)> {
        let encoded = Operation::encode_all(ops);
        self.append_encoded(&encoded)
    }

    /// Appends operations given as their canonical bytes; see [`OpLog::append`]. The
    /// caller holds the home's lock: a torn last line can then only be left by a crash,
    /// and is cut off first.
    pub fn append_encoded(&self, encoded: &[Vec<u8>]) -> Result<(Vec<u64>, u64)> {
        let mut buf = Vec::with_capacity(encoded.iter().map(|b| b.len() * 4 / 3 + 40).sum());
        let mut starts = Vec::with_capacity(encoded.len());
        for bytes in encoded {
            starts.push(buf.len() as u64);
            buf.extend_from_slice(&self.key.seal_line(bytes)?);
            buf.push(b'\n');
        }
        let mut file = OpenOptions::new().read(true).append(true).open(&self.path).map_err(|e| self.io("write", e))?;
        let len = file.metadata().map_err(|e| self.io("read", e))?.len();
        let mut at = len;
        if len > 0 {
            at = last_newline_end(&mut file, len).map_err(|e| self.io("read", e))?;
            if at < len {
                file.set_len(at).map_err(|e| self.io("repair", e))?;
                file.sync_all().map_err(|e| self.io("repair", e))?;
            }
        }
        if let Err(e) = file.write_all(&buf).and_then(|()| file.sync_data()) {
            // A full disk (or any failed write) leaves the log as it was: the part
            // written is cut off again, giving its space back, and nothing is recorded.
            let _ = file.set_len(at).and_then(|()| file.sync_all());
            return Err(self.io("write", e));
        }
        Ok((starts.into_iter().map(|s| s + at).collect(), at + buf.len() as u64))
    }

    /// The canonical bytes of one line as stored (without its newline), or `None` when
    /// it does not open with this home's key.
    pub(crate) fn open_line(&self, line: &[u8]) -> Option<Vec<u8>> {
        self.key.open_line(line)
    }

    /// Calls `each` with the start and the stored bytes (sealed, without the newline)
    /// of every complete line from byte `offset`, until it returns `false`; a torn last
    /// line is not a line (see the module documentation). Returns where the lines read
    /// end.
    pub(crate) fn scan(&self, offset: u64, mut each: impl FnMut(u64, &[u8]) -> Result<bool>) -> Result<u64> {
        let mut file = File::open(&self.path).map_err(|e| self.io("read", e))?;
        file.seek(SeekFrom::Start(offset)).map_err(|e| self.io("read", e))?;
        let mut reader = BufReader::new(file);
        let mut line = Vec::new();
        let mut at = offset;
        loop {
            line.clear();
            let read = reader.read_until(b'\n', &mut line).map_err(|e| self.io("read", e))?;
            if read == 0 || line.last() != Some(&b'\n') {
                return Ok(at);
            }
            let go_on = each(at, &line[..read - 1])?;
            at += read as u64;
            if !go_on {
                return Ok(at);
            }
        }
    }

    /// Reads the operations from byte `offset` to the end. Returns them and the end offset.
    pub fn read_from(&self, offset: u64) -> Result<(Vec<Operation>, u64)> {
        self.read_lines_from(offset).map(|(ops, _, end)| (ops, end))
    }

    /// [`OpLog::read_from`], with where each operation's line starts.
    pub fn read_lines_from(&self, offset: u64) -> Result<(Vec<Operation>, Vec<u64>, u64)> {
        let (mut ops, mut starts) = (Vec::new(), Vec::new());
        let end = self.scan(offset, |start, sealed| {
            let damaged = |detail: String| Error::LogDamaged { path: self.path.clone(), line: ops.len() + 1, detail };
            let plain = self.open_line(sealed).ok_or_else(|| {
                damaged("the line does not open with this home's key (changed, or from another home)".into())
            })?;
            ops.push(Operation::from_bytes(&plain).map_err(|e| damaged(e.to_string()))?);
            starts.push(start);
            Ok(true)
        })?;
        Ok((ops, starts, end))
    }

    /// The lines (opened, without their newline) that start at `offsets`, read in one
    /// pass.
    pub fn lines_at(
        &self,
        offsets: &std::collections::BTreeSet<u64>,
    ) -> Result<std::collections::HashMap<u64, Vec<u8>>> {
        let mut found = std::collections::HashMap::with_capacity(offsets.len());
        let Some(&first) = offsets.first() else { return Ok(found) };
        self.scan(first, |at, sealed| {
            if offsets.contains(&at) {
                let plain = self.open_line(sealed).ok_or_else(|| Error::LogDamaged {
                    path: self.path.clone(),
                    line: 0,
                    detail: format!("the line at byte {at} does not open with this home's key"),
                })?;
                found.insert(at, plain);
            }
            Ok(found.len() < offsets.len())
        })?;
        Ok(found)
    }
}

/// The offset just past the last newline, scanning back from the end in blocks.
fn last_newline_end(file: &mut File, len: u64) -> std::io::Result<u64> {
    use std::io::Read;
    let mut end = len;
    let mut block = vec![0u8; 4096];
    while end > 0 {
        let start = end.saturating_sub(block.len() as u64);
        let size = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block[..size])?;
        if let Some(pos) = block[..size].iter().rposition(|&b| b == b'\n') {
            return Ok(start + pos as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::clock::Hlc;
    use crate::crypto::identity::Fingerprint;
    use crate::engine::operation::OpBody;
    use crate::partners::model::PartnerId;
    use chrono::NaiveDate;

    fn op(n: u32) -> Operation {
        Operation {
            author: Fingerprint::parse("0123456789ABCDEF0123456789ABCDEF01234567").unwrap(),
            hlc: Hlc { ms: 1, n },
            scope: Default::default(),
            body: OpBody::ClaimSet {
                partner: PartnerId::for_name("Acme"),
                until: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            },
        }
    }

    #[test]
    fn appended_operations_read_back_from_any_offset() {
        let dir = tempfile::tempdir().unwrap();
        let log = OpLog::open(&dir.path().join("ops"), Arc::new(crate::crypto::vault::test_key())).unwrap();
        let (starts, middle) = log.append(&[op(1), op(2)]).unwrap();
        let (_, end) = log.append(&[op(3)]).unwrap();
        assert_eq!(starts[0], 0);
        assert_eq!(log.read_lines_from(0).unwrap().1[..2], starts[..]);
        assert_eq!(log.read_from(0).unwrap(), (vec![op(1), op(2), op(3)], end));
        assert_eq!(log.read_from(middle).unwrap(), (vec![op(3)], end));
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_cut_off_by_the_next_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ops");
        let (_, end) =
            OpLog::open(&path, Arc::new(crate::crypto::vault::test_key())).unwrap().append(&[op(1)]).unwrap();
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"author\":\"01").unwrap();
        let log = OpLog::open(&path, Arc::new(crate::crypto::vault::test_key())).unwrap();
        assert_eq!(log.read_from(0).unwrap(), (vec![op(1)], end));
        let (starts, after) = log.append(&[op(2)]).unwrap();
        assert_eq!(starts, vec![end], "the torn line was cut off before the append");
        assert_eq!(log.read_from(0).unwrap(), (vec![op(1), op(2)], after));
        assert_eq!(after, log.len().unwrap());
    }

    /// Regression (found while testing crash safety): opening the log while another
    /// process was appending a large import (`countersign digest` during `countersign
    /// finance import`) took the append in progress for a torn line and cut it off:
    /// operations were lost from the log and the importer panicked on its offsets.
    #[test]
    fn opening_the_log_leaves_an_append_in_progress_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ops");
        let key = Arc::new(crate::crypto::vault::test_key());
        let writer = OpLog::open(&path, key.clone()).unwrap();
        let (_, end) = writer.append(&[op(1)]).unwrap();
        // The writer's next line, half written when another process opens the log.
        let line = [key.seal_line(&op(2).to_bytes()).unwrap(), b"\n".to_vec()].concat();
        let (first, rest) = line.split_at(line.len() / 2);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(first).unwrap();
        let reader = OpLog::open(&path, key).unwrap();
        assert_eq!(reader.read_from(0).unwrap(), (vec![op(1)], end), "readers see complete lines only");
        file.write_all(rest).unwrap();
        assert_eq!(reader.read_from(0).unwrap().0, vec![op(1), op(2)], "the append in progress survived");
    }

    #[test]
    fn the_log_on_disk_is_ciphertext() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ops");
        OpLog::open(&path, Arc::new(crate::crypto::vault::test_key())).unwrap().append(&[op(1)]).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.windows(7).any(|w| w == b"partner") && !bytes.windows(6).any(|w| w == b"author"));
        let other = OpLog::open(&path, Arc::new(crate::crypto::vault::StoreKey::generate().unwrap())).unwrap();
        assert!(matches!(other.read_from(0), Err(Error::LogDamaged { line: 1, .. })));
    }

    #[test]
    fn a_damaged_line_names_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ops");
        let log = OpLog::open(&path, Arc::new(crate::crypto::vault::test_key())).unwrap();
        log.append(&[op(1)]).unwrap();
        std::fs::write(&path, [std::fs::read(&path).unwrap(), b"garbage\n".to_vec()].concat()).unwrap();
        assert!(matches!(log.read_from(0), Err(Error::LogDamaged { line: 2, .. })));
    }
}
