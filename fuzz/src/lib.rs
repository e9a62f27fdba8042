//! What the fuzz targets share: two members' keys and a workspace's genesis bundle,
//! committed in `fixtures/` so that the seed bundles in `corpus/` (sealed to these keys)
//! open in every run. The keys are test keys, protected with the passphrase
//! [`PASSPHRASE`]; `cargo run --example make_seeds` makes new ones (and new seeds).

use chrono::{DateTime, TimeZone, Utc};
use countersign_core::formats::bundle::GenesisPayload;
use countersign_core::formats::{canonical, envelope};
use countersign_core::{Passphrase, SecretKey, UnlockedKey};
use sequoia_openpgp::Cert;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The passphrase of the fixture keys.
pub const PASSPHRASE: &str = "fuzz";

/// When the fixture keys were made.
pub fn key_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("a valid date")
}

/// The time every target runs at.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).single().expect("a valid date")
}

/// `fuzz/fixtures`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Alice (who writes the bundles) and Bob (who reads them), both board members of the
/// workspace whose genesis is `fixtures/genesis.pgp`.
pub struct Fixture {
    pub alice: SecretKey,
    pub alice_key: UnlockedKey,
    pub bob: SecretKey,
    pub bob_key: UnlockedKey,
    /// Both certificates: what bundles are sealed to and verified against.
    pub roster: Vec<Cert>,
    pub genesis: Vec<u8>,
    /// The workspace id: the hash of the genesis bundle.
    pub workspace: String,
    /// The device of Alice's home that wrote the genesis and the seed bundles.
    pub alice_device: String,
}

/// The fixture, read once per process.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = fixtures_dir();
        let pass = Passphrase::from(PASSPHRASE);
        let read = |name: &str| SecretKey::read(&dir.join(name)).unwrap_or_else(|e| panic!("fixtures/{name}: {e}"));
        let (alice, bob) = (read("alice.asc"), read("bob.asc"));
        let alice_key = alice.unlock(&pass, now()).expect("the fixture key unlocks");
        let bob_key = bob.unlock(&pass, now()).expect("the fixture key unlocks");
        let genesis = std::fs::read(dir.join("genesis.pgp")).expect("fixtures/genesis.pgp");
        let payload = envelope::decrypt_unverified(&genesis, &bob_key).expect("the genesis opens");
        let payload: GenesisPayload = canonical::from_bytes(&payload).expect("the genesis payload parses");
        Fixture {
            roster: vec![alice.cert(), bob.cert()],
            workspace: countersign_core::formats::bundle::hash(&genesis),
            alice_device: payload.device,
            alice,
            alice_key,
            bob,
            bob_key,
            genesis,
        }
    })
}

/// A folder for scratch files: on tmpfs when there is one (`/dev/shm`), which makes
/// the targets that write files several times faster. Folders left by earlier runs
/// (a fuzzer stops by `exit`, which runs no destructors) are removed first.
pub fn scratch_dir(prefix: &str) -> PathBuf {
    let base = Path::new("/dev/shm");
    let base = if base.is_dir() { base.to_path_buf() } else { std::env::temp_dir() };
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('-')) else { continue };
            if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = base.join(format!("{prefix}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// `haystack` with every `needle` replaced by `with`.
pub fn replace(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(with);
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}
