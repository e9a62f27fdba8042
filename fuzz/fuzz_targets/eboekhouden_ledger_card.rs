//! The e-boekhouden ledger-card reader (tab-separated, UTF-8 or Windows-1252) on
//! arbitrary bytes, as `eboekhouden::read` passes a file. Seeds: the
//! grootboekkaart fixtures, also in Windows-1252.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = countersign_core::formats::eboekhouden::parse_ledger_card(data, Path::new("grootboekkaart.txt"));
});
