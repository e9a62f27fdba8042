//! Listing the shared folder: every bundle file at its place (`<workspace>/<author>/
//! <device>/<seq>.pgp`), and the conflict copies sync tools leave beside them.

use crate::base::error::{Error, Result};
use crate::engine::bundle;
use std::fs;
use std::path::{Path, PathBuf};

/// A bundle file found in the folder.
pub(crate) struct Found {
    pub(crate) rel: String,
    pub(crate) path: PathBuf,
    pub(crate) author: String,
    pub(crate) device: String,
    pub(crate) seq: u64,
    pub(crate) size: i64,
    pub(crate) mtime_ns: i64,
}

/// A conflict copy (its path inside the folder, its full path) and the bundle it copies.
pub(crate) type Conflict = ((String, PathBuf), Found);

/// Lists the bundle files of a workspace folder, and the conflict copies sync tools
/// made of them. Anything else (temporary files, stray names) is ignored.
pub(crate) fn scan(ws_dir: &Path, id: &str) -> Result<(Vec<Found>, Vec<Conflict>)> {
    let mut found = Vec::new();
    let mut conflicts = Vec::new();
    let read = |dir: &Path| -> Result<Vec<(String, PathBuf)>> {
        let entries = fs::read_dir(dir).map_err(|e| Error::io("read the folder", dir, e))?;
        let mut names: Vec<(String, PathBuf)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok().map(|n| (n, e.path())))
            .collect();
        names.sort();
        Ok(names)
    };
    for (author, author_dir) in read(ws_dir)? {
        if !bundle::is_fingerprint(&author) || !author_dir.is_dir() {
            continue;
        }
        for (device, device_dir) in read(&author_dir)? {
            if !bundle::is_device_id(&device) || !device_dir.is_dir() {
                continue;
            }
            for (name, path) in read(&device_dir)? {
                if let Some(seq) = bundle::parse_file_name(&name) {
                    found.push(found_at(id, &path, &author, &device, seq)?);
                } else if name.contains("sync-conflict") || name.contains("conflicted copy") {
                    let digits: String = name.chars().take_while(|c| c.is_ascii_digit()).collect();
                    if let Some(seq) = bundle::parse_file_name(&format!("{digits}.pgp")) {
                        let base = device_dir.join(bundle::file_name(seq));
                        if base.is_file() {
                            let rel = format!("{id}/{author}/{device}/{name}");
                            conflicts.push(((rel, path.clone()), found_at(id, &base, &author, &device, seq)?));
                        }
                    }
                }
            }
        }
    }
    Ok((found, conflicts))
}

pub(crate) fn found_at(id: &str, path: &Path, author: &str, device: &str, seq: u64) -> Result<Found> {
    let meta = fs::metadata(path).map_err(|e| Error::io("read", path, e))?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(Found {
        rel: format!("{id}/{author}/{device}/{name}"),
        path: path.to_owned(),
        author: author.to_string(),
        device: device.to_string(),
        seq,
        size: meta.len() as i64,
        mtime_ns,
    })
}
