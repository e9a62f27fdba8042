//! The bundle reader's layers on arbitrary bytes, as `sync` meets them in a file of the
//! shared folder: the OpenPGP envelope (opened with Bob's key, verified against the
//! roster; the genesis path without verification; a vote's detached signature), then
//! the canonical payload as `sync::checked_payload` parses it (operation ids from the
//! values, then `BundlePayload`; the genesis payload), and one operation on its own.
//! The seeds are real sealed bundles, their payloads and single operations.
//! An `Err` is fine; a panic, a hang or running out of memory is a finding.
#![no_main]

use countersign_core::formats::bundle::{BundlePayload, GenesisPayload};
use countersign_core::formats::{canonical, envelope};
use countersign_core::{OpId, Operation};
use countersign_fuzz::fixture;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    if let Ok(opened) = envelope::open(data, &f.bob_key, &f.roster) {
        payload(&opened.payload);
    }
    if let Ok(plain) = envelope::decrypt_unverified(data, &f.bob_key) {
        let _ = canonical::from_bytes::<GenesisPayload>(&plain);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = envelope::verify_detached(b"a vote document", text, &f.roster[0]);
    }
    payload(data);
    if let Ok(op) = Operation::from_bytes(data) {
        let _ = op.id();
    }
});

/// What `sync::checked_payload` does with the bytes of an opened envelope.
fn payload(bytes: &[u8]) {
    let Ok(value) = canonical::value_from_bytes(bytes) else { return };
    if let Some(ops) = value.get("ops").and_then(|ops| ops.as_array()) {
        for op in ops {
            if let Ok(bytes) = canonical::value_to_bytes(op) {
                let _ = OpId::of_canonical(&bytes);
            }
        }
    }
    let _ = serde_json::from_value::<BundlePayload>(value.clone());
    let _ = serde_json::from_value::<GenesisPayload>(value);
}
