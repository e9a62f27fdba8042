//! The Open Collective transactions CSV reader on arbitrary bytes (the whole file in
//! memory, as `opencollective::read` passes it). Seeds: tests/fixtures/finance/*.csv.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = countersign_core::formats::opencollective::parse(data, Path::new("transactions.csv"));
});
