//! The member's OpenPGP key: generated here (Ed25519 signing, Cv25519 encryption) or
//! imported from GnuPG, kept on disk only with its secret parts encrypted under the
//! member's passphrase, and unlocked once per run.
//!
//! Certificates advertise SEIPDv1 only and use v4 keys (RFC 4880 profile), so that
//! every member can also open bundles with stock GnuPG 2.2, which reads neither v6
//! keys nor SEIPDv2 messages.

use crate::base::error::{Error, Result};
use crate::crypto::identity::Fingerprint;
use chrono::{DateTime, Utc};
use openpgp::cert::prelude::*;
use openpgp::crypto::KeyPair;
use openpgp::packet::{key, Key, Packet};
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::SerializeInto;
use openpgp::types::Features;
use sequoia_openpgp as openpgp;
use std::path::Path;
use std::time::SystemTime;

pub use openpgp::crypto::Password as Passphrase;

/// The policy every key and signature is judged by.
pub fn policy() -> StandardPolicy<'static> {
    StandardPolicy::new()
}

/// When to look at another member's certificate to encrypt to it or accept it: at
/// `now`, or when it was made if this computer's clock has not reached that yet.
/// Laptops' clocks differ by seconds to days (no time server on a plane, dual-boot
/// machines keeping local time): a key made "in the future" of a slow clock is still
/// the key its member uses.
pub(crate) fn cert_time(cert: &Cert, now: DateTime<Utc>) -> SystemTime {
    SystemTime::from(now).max(cert.primary_key().key().creation_time())
}

/// A member's secret key as kept on disk: a transferable secret key whose secret
/// parts are all encrypted with the member's passphrase.
#[derive(Clone)]
pub struct SecretKey {
    cert: Cert,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material, not even encrypted.
        f.debug_struct("SecretKey").field("fingerprint", &self.fingerprint().to_string()).finish()
    }
}

/// A key unlocked for this run: the signing key pair and the decryption key pairs.
pub struct UnlockedKey {
    /// Signs bundles and votes.
    pub signer: KeyPair,
    /// Decrypts bundles addressed to this member.
    pub decryptors: Vec<KeyPair>,
}

impl UnlockedKey {
    /// Refuses to sign at `now` with a key made after it: such a signature verifies
    /// nowhere, so the member is told to set the clock before anything is written.
    pub(crate) fn check_clock(&self, now: DateTime<Utc>) -> Result<()> {
        let created: DateTime<Utc> = self.signer.public().creation_time().into();
        if now < created {
            return Err(Error::ClockBeforeKey {
                now: now.format("%Y-%m-%d %H:%M UTC").to_string(),
                created: created.format("%Y-%m-%d %H:%M UTC").to_string(),
            });
        }
        Ok(())
    }
}

impl SecretKey {
    /// Generates a new key for `name <email>`, created at `now`, its secret parts
    /// encrypted with `passphrase`.
    pub fn generate(name: &str, email: &str, passphrase: &Passphrase, now: DateTime<Utc>) -> Result<SecretKey> {
        if passphrase.map(|p| p.is_empty()) {
            return Err(Error::EmptyPassphrase);
        }
        let uid = user_id(name, email)?;
        let (cert, _revocation) = CertBuilder::general_purpose(Some(uid))
            .set_profile(openpgp::Profile::RFC4880)
            .and_then(|b| b.set_features(Features::empty().set_seipdv1()))
            .map_err(pgp)?
            .set_cipher_suite(CipherSuite::Cv25519)
            .set_creation_time(SystemTime::from(now))
            // No expiry: board records are kept seven years and votes must stay
            // verifiable; a compromised key is replaced through a roster decision.
            .set_validity_period(None)
            .set_password(Some(passphrase.clone()))
            .generate()
            .map_err(pgp)?;
        Ok(SecretKey { cert })
    }

    /// Imports an armored (or binary) secret key, such as `gpg --export-secret-keys
    /// --armor` writes. `passphrase` must unlock it; a key stored without protection
    /// is protected with it before anything is written.
    pub fn import(path: &Path, bytes: &[u8], passphrase: &Passphrase, now: DateTime<Utc>) -> Result<SecretKey> {
        let not_secret = |detail: String| Error::NotASecretKey { path: path.to_owned(), detail };
        let mut certs = CertParser::from_bytes(bytes).map_err(|e| not_secret(e.to_string()))?;
        let cert = match certs.next() {
            Some(Ok(cert)) => cert,
            Some(Err(e)) => return Err(not_secret(e.to_string())),
            None => return Err(not_secret("the file holds no key".into())),
        };
        if certs.next().is_some() {
            return Err(not_secret("the file holds more than one key; export just yours".into()));
        }
        if !cert.is_tsk() {
            return Err(not_secret("it holds only a public certificate".into()));
        }
        if passphrase.map(|p| p.is_empty()) {
            return Err(Error::EmptyPassphrase);
        }
        let fingerprint = cert.fingerprint().to_hex();
        // Protect every secret part: decrypting checks the passphrase on parts that
        // are already protected; unprotected parts are encrypted with it.
        let mut protected: Vec<Packet> = Vec::new();
        for ka in cert.keys().secret() {
            let key = ka.key().clone();
            let key = if key.has_unencrypted_secret() {
                key.encrypt_secret(passphrase).map_err(pgp)?
            } else {
                key.clone()
                    .decrypt_secret(passphrase)
                    .map_err(|_| Error::WrongPassphrase { fingerprint: fingerprint.clone() })?;
                key
            };
            protected.push(if ka.primary() {
                key.role_into_primary().into()
            } else {
                key.role_into_subordinate().into()
            });
        }
        let (cert, _) = cert.insert_packets(protected).map_err(pgp)?;
        let key = SecretKey { cert };
        key.check_usable(now)?;
        Ok(key)
    }

    /// Reads the key file of a home.
    pub fn read(path: &Path) -> Result<SecretKey> {
        let bytes = std::fs::read(path).map_err(|e| Error::io("read the key file", path, e))?;
        let cert = Cert::from_bytes(&bytes)
            .map_err(|e| Error::NotASecretKey { path: path.to_owned(), detail: e.to_string() })?;
        if !cert.is_tsk() || cert.keys().unencrypted_secret().next().is_some() {
            return Err(Error::NotASecretKey {
                path: path.to_owned(),
                detail: "expected a passphrase-protected secret key".into(),
            });
        }
        Ok(SecretKey { cert })
    }

    /// The secret key, armored, its secret parts encrypted: what the home stores.
    pub fn to_armored(&self) -> Result<Vec<u8>> {
        debug_assert!(self.cert.keys().unencrypted_secret().next().is_none());
        self.cert.as_tsk().armored().to_vec().map_err(pgp)
    }

    /// The public certificate, armored, as `gpg --import` reads it.
    pub fn public_armored(&self) -> Result<String> {
        let bytes = self.cert.armored().to_vec().map_err(pgp)?;
        String::from_utf8(bytes).map_err(|e| Error::OpenPgp(e.to_string()))
    }

    /// The public certificate.
    pub fn cert(&self) -> Cert {
        self.cert.clone().strip_secret_key_material()
    }

    /// The key's fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        // A sequoia fingerprint is always hex of the right length.
        Fingerprint::parse(&self.cert.fingerprint().to_hex()).unwrap_or_else(|_| unreachable!())
    }

    /// The primary user ID, e.g. `Alice <alice@example.org>`.
    pub fn user_id(&self) -> Option<String> {
        self.cert.userids().next().map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
    }

    /// Checks that the key can sign and receive encrypted bundles at `now`.
    pub fn check_usable(&self, now: DateTime<Utc>) -> Result<()> {
        let policy = policy();
        let unusable = |reason: &str| Error::KeyUnusable {
            fingerprint: self.fingerprint().to_string(),
            reason: reason.to_string(),
        };
        let valid = self
            .cert
            .with_policy(&policy, Some(SystemTime::from(now)))
            .map_err(|e| unusable(&format!("it is not valid now ({e}); it may be expired or revoked")))?;
        if valid.keys().secret().alive().revoked(false).for_signing().next().is_none() {
            return Err(unusable("it has no secret key that can sign"));
        }
        if valid.keys().secret().alive().revoked(false).for_transport_encryption().next().is_none()
            && valid.keys().secret().alive().revoked(false).for_storage_encryption().next().is_none()
        {
            return Err(unusable(
                "it has no secret subkey that can decrypt (add an encryption subkey with gpg --edit-key)",
            ));
        }
        Ok(())
    }

    /// Unlocks the key with `passphrase`. Costs tens of milliseconds: do it once per run.
    pub fn unlock(&self, passphrase: &Passphrase, now: DateTime<Utc>) -> Result<UnlockedKey> {
        let policy = policy();
        let wrong = || Error::WrongPassphrase { fingerprint: self.fingerprint().to_string() };
        let valid = self.cert.with_policy(&policy, Some(SystemTime::from(now))).map_err(pgp)?;
        let signing =
            valid.keys().secret().alive().revoked(false).for_signing().next().ok_or_else(|| Error::KeyUnusable {
                fingerprint: self.fingerprint().to_string(),
                reason: "it has no secret key that can sign".into(),
            })?;
        let signer = into_keypair(signing.key().clone(), passphrase).map_err(|_| wrong())?;
        let mut decryptors = Vec::new();
        for ka in valid.keys().secret().for_transport_encryption().for_storage_encryption() {
            decryptors.push(into_keypair(ka.key().clone(), passphrase).map_err(|_| wrong())?);
        }
        Ok(UnlockedKey { signer, decryptors })
    }
}

fn into_keypair<R: key::KeyRole>(key: Key<key::SecretParts, R>, passphrase: &Passphrase) -> openpgp::Result<KeyPair> {
    let key = if key.has_unencrypted_secret() { key } else { key.decrypt_secret(passphrase)? };
    key.into_keypair()
}

fn user_id(name: &str, email: &str) -> Result<openpgp::packet::UserID> {
    let name = name.trim();
    let email = email.trim();
    if name.is_empty() || name.contains(['<', '>']) {
        return Err(Error::invalid("name", name, "give your name as others on the board know it, without < or >"));
    }
    if !email.contains('@') || email.contains(char::is_whitespace) || email.contains(['<', '>']) {
        return Err(Error::invalid("email address", email, "expected an address like name@example.org"));
    }
    Ok(openpgp::packet::UserID::from(format!("{name} <{email}>")))
}

fn pgp(e: impl std::fmt::Display) -> Error {
    Error::OpenPgp(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_generated_key_is_protected_and_unlocks_only_with_its_passphrase() {
        let pass = Passphrase::from("correct horse");
        let key = SecretKey::generate("Alice", "alice@example.org", &pass, now()).unwrap();
        let armored = String::from_utf8(key.to_armored().unwrap()).unwrap();
        assert!(armored.starts_with("-----BEGIN PGP PRIVATE KEY BLOCK-----"));
        let back = SecretKey::read_armored_for_test(&armored);
        assert_eq!(back.fingerprint(), key.fingerprint());
        assert!(back.unlock(&pass, now()).is_ok());
        assert!(matches!(back.unlock(&Passphrase::from("wrong"), now()), Err(Error::WrongPassphrase { .. })));
        assert_eq!(key.user_id().as_deref(), Some("Alice <alice@example.org>"));
        assert!(key.public_armored().unwrap().starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    }

    #[test]
    fn generated_certificates_advertise_seipdv1_only_so_gnupg_can_encrypt_to_them() {
        let key = SecretKey::generate("Bob", "bob@example.org", &Passphrase::from("pw"), now()).unwrap();
        let policy = policy();
        let cert = key.cert();
        let valid = cert.with_policy(&policy, Some(SystemTime::from(now()))).unwrap();
        let features = valid.features().unwrap();
        assert!(features.supports_seipdv1());
        assert!(!features.supports_seipdv2());
        assert_eq!(cert.primary_key().key().version(), 4);
    }

    #[test]
    fn an_unprotected_imported_key_is_protected_before_it_is_stored() {
        let (cert, _) = CertBuilder::general_purpose(Some("Carol <carol@example.org>"))
            .set_cipher_suite(CipherSuite::Cv25519)
            .set_creation_time(SystemTime::from(now() - chrono::Duration::days(1)))
            .generate()
            .unwrap();
        let bytes = cert.as_tsk().armored().to_vec().unwrap();
        let pass = Passphrase::from("new passphrase");
        let key = SecretKey::import(Path::new("carol.asc"), &bytes, &pass, now()).unwrap();
        assert!(key.cert.keys().unencrypted_secret().next().is_none());
        assert!(key.unlock(&pass, now()).is_ok());
    }

    #[test]
    fn a_public_certificate_is_not_a_secret_key() {
        let key = SecretKey::generate("Dan", "dan@example.org", &Passphrase::from("pw"), now()).unwrap();
        let public = key.public_armored().unwrap();
        let err = SecretKey::import(Path::new("dan.asc"), public.as_bytes(), &Passphrase::from("pw"), now());
        assert!(matches!(err, Err(Error::NotASecretKey { .. })));
        let err = SecretKey::import(Path::new("x.txt"), b"hello", &Passphrase::from("pw"), now());
        assert!(matches!(err, Err(Error::NotASecretKey { .. })));
    }

    impl SecretKey {
        fn read_armored_for_test(armored: &str) -> SecretKey {
            SecretKey { cert: Cert::from_bytes(armored.as_bytes()).unwrap() }
        }
    }
}
