//! The e-boekhouden reader of saved REST API responses, which reads a folder: the
//! input is split at NUL bytes (which JSON never holds) into `mutation.json`,
//! `ledger.json`, `costcenter.json` and `relation.json`, written into a scratch folder
//! on tmpfs, which `eboekhouden::read` then reads. Seeds: the API fixture folders.
#![no_main]

use countersign_fuzz::scratch_dir;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

const FILES: [&str; 4] = ["mutation.json", "ledger.json", "costcenter.json", "relation.json"];

fn folder() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| scratch_dir("countersign-fuzz-eboekhouden"))
}

fuzz_target!(|data: &[u8]| {
    let dir = folder();
    let mut parts = data.splitn(FILES.len(), |&b| b == 0);
    for name in FILES {
        let path = dir.join(name);
        match parts.next() {
            Some(part) => std::fs::write(&path, part).expect("a scratch file"),
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let _ = countersign_core::formats::eboekhouden::read(dir);
});
