//! Writing files so that a crash or a sync tool never sees half of one.

use crate::base::error::{Error, Result};
use std::fs::File;
use std::io::Write;
use std::path::Path;

/// The names [`write_atomically`] writes under before the rename.
const TEMP_PREFIX: &str = ".countersign-";
const TEMP_SUFFIX: &str = ".tmp";

/// Removes what interrupted [`write_atomically`]s left in `dir` (a crash between
/// writing and renaming), for a folder only this process writes into; returns how
/// many. A file that cannot be removed stays, to be tried again next time.
pub(crate) fn remove_interrupted_writes(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) && e.path().is_file()
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

/// Writes `bytes` to a temporary name beside `path`, flushes, and renames it into
/// place, so readers (and sync tools) never see a partial file. Refuses to replace a
/// file that exists.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_an_interrupted_write_left_is_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        write_atomically(&dir.path().join("000001.pgp"), b"bundle").unwrap();
        std::fs::write(dir.path().join(".countersign-abc123.tmp"), b"half a bundle").unwrap();
        std::fs::write(dir.path().join(".syncthing.000002.pgp.tmp"), b"a sync tool's").unwrap();
        assert_eq!(remove_interrupted_writes(dir.path()), 1);
        let mut left: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        left.sort();
        assert_eq!(left, [".syncthing.000002.pgp.tmp", "000001.pgp"]);
    }
}
