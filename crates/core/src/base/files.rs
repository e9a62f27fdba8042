//! Writing files so that a crash or a sync tool never sees half of one.

use crate::base::error::{Error, Result};
use std::fs::File;
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to a temporary name beside `path`, flushes, and renames it into
/// place, so readers (and sync tools) never see a partial file. Refuses to replace a
/// file that exists.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".countersign-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io("write in", dir, e))?;
    tmp.write_all(bytes).and_then(|_| tmp.as_file().sync_all()).map_err(|e| Error::io("write", path, e))?;
    tmp.persist_noclobber(path).map_err(|e| Error::io("move into place", path, e.error))?;
    Ok(())
}

/// Creates `path`, readable by its owner only, with `bytes`; refuses to replace a file.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| Error::io("create", path, e))?;
    file.write_all(bytes).and_then(|_| file.sync_all()).map_err(|e| Error::io("write", path, e))
}
