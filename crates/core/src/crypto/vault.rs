//! The home at rest. The database (SQLCipher) and the operation log (each line sealed
//! with AES-256-GCM) are encrypted with one random 256-bit *store key*. The store key
//! is kept in `store.key`, an OpenPGP message encrypted (and signed) to the member's
//! own key, so it opens with their passphrase, or the OS keyring holding it, and
//! nothing else: a laptop lost while travelling shows only ciphertext.
//!
//! The store key is made from the system's entropy, not the `Clock`: it is key
//! material, never business logic, and must not be reproducible.

use crate::base::error::{Error, Result};
use crate::crypto::envelope;
use crate::crypto::key::UnlockedKey;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD_NO_PAD as BASE64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use sequoia_openpgp::Cert;
use std::path::Path;

/// The file holding the store key, sealed to the member's own key.
pub const STORE_KEY_FILE: &str = "store.key";

const NONCE_LEN: usize = 12;

/// The key the home is encrypted with. Never printed, never written unsealed.
pub struct StoreKey {
    bytes: [u8; 32],
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

impl Drop for StoreKey {
    fn drop(&mut self) {
        self.bytes = [0; 32];
    }
}

impl StoreKey {
    /// A new random key.
    pub(crate) fn generate() -> Result<StoreKey> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| Error::OpenPgp(format!("no entropy for a new store key: {e}")))?;
        Ok(StoreKey::from_bytes(bytes))
    }

    fn from_bytes(bytes: [u8; 32]) -> StoreKey {
        let cipher = Aes256Gcm::new(&bytes.into());
        StoreKey { bytes, cipher }
    }

    /// The key sealed to the member's own certificate (and signed by them).
    pub(crate) fn seal(&self, key: &UnlockedKey, own: &Cert, now: DateTime<Utc>) -> Result<Vec<u8>> {
        envelope::seal(&self.bytes, key, std::slice::from_ref(own), now)
    }

    /// Reads the store key of the home in `dir`.
    pub(crate) fn read(dir: &Path, key: &UnlockedKey, own: &Cert) -> Result<StoreKey> {
        let path = dir.join(STORE_KEY_FILE);
        let sealed = std::fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
        let damaged = |detail: String| Error::HomeDamaged { path: path.clone(), detail };
        let opened = envelope::open(&sealed, key, std::slice::from_ref(own))
            .map_err(|e| damaged(format!("the store key does not open with this member's key ({e})")))?;
        let bytes: [u8; 32] =
            opened.payload.try_into().map_err(|_| damaged("the store key is not 32 bytes long".into()))?;
        Ok(StoreKey::from_bytes(bytes))
    }

    /// The SQLCipher key pragma's value: the raw key, so opening skips the passphrase
    /// derivation SQLCipher would otherwise run (the key is random, not a passphrase).
    pub(crate) fn sqlcipher_key(&self) -> String {
        format!("\"x'{}'\"", hex::encode(self.bytes))
    }

    /// One log line sealed: base64 of nonce and ciphertext (no newline in it).
    pub(crate) fn seal_line(&self, plain: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| Error::OpenPgp(format!("no entropy for a nonce: {e}")))?;
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain)
            .map_err(|_| Error::OpenPgp("could not encrypt an operation".into()))?;
        let mut raw = Vec::with_capacity(NONCE_LEN + sealed.len());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(&sealed);
        Ok(BASE64.encode(raw).into_bytes())
    }

    /// The plaintext of a sealed log line; `None` if it was not sealed with this key or
    /// was changed.
    pub(crate) fn open_line(&self, line: &[u8]) -> Option<Vec<u8>> {
        let raw = BASE64.decode(line).ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        self.cipher.decrypt(Nonce::from_slice(nonce), sealed).ok()
    }
}

#[cfg(test)]
pub(crate) fn test_key() -> StoreKey {
    StoreKey::from_bytes([7; 32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_line_opens_only_unchanged_and_with_its_key() {
        let key = test_key();
        let line = key.seal_line(b"{\"author\":\"A\"}").unwrap();
        assert!(!line.contains(&b'\n') && !line.windows(6).any(|w| w == b"author"));
        assert_eq!(key.open_line(&line).unwrap(), b"{\"author\":\"A\"}");
        assert_ne!(key.seal_line(b"same").unwrap(), key.seal_line(b"same").unwrap(), "a fresh nonce each time");
        let mut bent = line.clone();
        bent[20] = if bent[20] == b'A' { b'B' } else { b'A' };
        assert!(key.open_line(&bent).is_none());
        assert!(StoreKey::generate().unwrap().open_line(&line).is_none());
        assert_eq!(format!("{key:?}"), "StoreKey(..)");
    }
}
