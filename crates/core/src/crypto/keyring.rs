//! The passphrase in the OS keyring (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows), so members need not type it for every signature.
//!
//! The keyring is a convenience, never a requirement: when it cannot be reached the
//! adapters say so in one line and ask for the passphrase instead.

use crate::base::error::{Error, Result};
use crate::crypto::identity::Fingerprint;
use crate::crypto::key::Passphrase;
use keyring_core::api::CredentialStore;
use keyring_core::{Entry, Error as KeyringError};
use std::sync::Arc;

/// The service name under which passphrases are stored, one entry per fingerprint.
pub const SERVICE: &str = "countersign";

/// A credential store holding members' passphrases.
pub struct PassphraseKeyring {
    store: Arc<CredentialStore>,
}

impl PassphraseKeyring {
    /// The platform's keyring. Fails with [`Error::KeyringUnavailable`] when there is
    /// none (no session bus, no Secret Service running, unsupported platform).
    pub fn system() -> Result<PassphraseKeyring> {
        #[cfg(target_os = "linux")]
        if !session_bus_configured() {
            return Err(Error::KeyringUnavailable(
                "there is no D-Bus session (DBUS_SESSION_BUS_ADDRESS is unset and there is no user bus socket)".into(),
            ));
        }
        #[cfg(target_os = "linux")]
        let store: Result<Arc<CredentialStore>, KeyringError> =
            zbus_secret_service_keyring_store::Store::new().map(|s| s as Arc<CredentialStore>);
        #[cfg(target_os = "macos")]
        let store: Result<Arc<CredentialStore>, KeyringError> =
            apple_native_keyring_store::keychain::Store::new().map(|s| s as Arc<CredentialStore>);
        #[cfg(target_os = "windows")]
        let store: Result<Arc<CredentialStore>, KeyringError> =
            windows_native_keyring_store::Store::new().map(|s| s as Arc<CredentialStore>);
        #[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
        let store: Result<Arc<CredentialStore>, KeyringError> =
            Err(KeyringError::NotSupportedByStore("no keyring support on this platform".into()));
        Ok(PassphraseKeyring { store: store.map_err(unavailable)? })
    }

    /// An in-memory keyring, for tests.
    pub fn in_memory() -> PassphraseKeyring {
        // The mock store cannot fail to build.
        let store = keyring_core::mock::Store::new().unwrap_or_else(|_| unreachable!());
        PassphraseKeyring { store }
    }

    fn entry(&self, fingerprint: &Fingerprint) -> Result<Entry> {
        Entry::new_in_store(&self.store, SERVICE, fingerprint.as_str()).map_err(unavailable)
    }

    /// Stores the passphrase of the key `fingerprint`, replacing any stored before.
    pub fn remember(&self, fingerprint: &Fingerprint, passphrase: &Passphrase) -> Result<()> {
        let entry = self.entry(fingerprint)?;
        passphrase
            .map(|bytes| match std::str::from_utf8(bytes) {
                Ok(text) => entry.set_password(text),
                Err(_) => entry.set_secret(bytes),
            })
            .map_err(unavailable)
    }

    /// The stored passphrase of the key `fingerprint`, if any.
    pub fn recall(&self, fingerprint: &Fingerprint) -> Result<Option<Passphrase>> {
        match self.entry(fingerprint)?.get_secret() {
            Ok(secret) => Ok(Some(Passphrase::from(secret))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Removes the stored passphrase. Returns whether one was stored.
    pub fn forget(&self, fingerprint: &Fingerprint) -> Result<bool> {
        match self.entry(fingerprint)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(KeyringError::NoEntry) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// Turns a keyring failure into one line a member understands. Variants that carry
/// the secret's bytes are never formatted.
fn unavailable(e: KeyringError) -> Error {
    let detail = match e {
        KeyringError::PlatformFailure(inner) => format!("the keyring service failed: {inner}"),
        KeyringError::NoStorageAccess(inner) => format!("the keyring is locked or access was refused: {inner}"),
        KeyringError::BadEncoding(_) | KeyringError::BadDataFormat(..) => {
            "the stored entry is not in the expected form; run `countersign key forget` and `key remember` again".into()
        }
        KeyringError::NoDefaultStore => "no keyring store is configured".into(),
        KeyringError::Ambiguous(_) => "several keyring entries match; remove the duplicates in the keyring app".into(),
        other => other.to_string(),
    };
    Error::KeyringUnavailable(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remember_recall_forget_round_trip() {
        let keyring = PassphraseKeyring::in_memory();
        let fpr = Fingerprint::parse("0123456789ABCDEF0123456789ABCDEF01234567").unwrap();
        assert!(keyring.recall(&fpr).unwrap().is_none());
        keyring.remember(&fpr, &Passphrase::from("s3cret")).unwrap();
        let back = keyring.recall(&fpr).unwrap().unwrap();
        assert!(back.map(|b| &b[..] == b"s3cret"));
        assert!(keyring.forget(&fpr).unwrap());
        assert!(!keyring.forget(&fpr).unwrap());
        assert!(keyring.recall(&fpr).unwrap().is_none());
    }
}

/// Whether a D-Bus session bus is configured. Without one, the Secret Service client
/// would try to start a bus itself and give up only after about twenty seconds on
/// every call: a desktop app would freeze, a script would stall.
#[cfg(target_os = "linux")]
fn session_bus_configured() -> bool {
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty())
        || std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|dir| std::path::Path::new(&dir).join("bus").exists())
}
