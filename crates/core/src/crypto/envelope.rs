//! The OpenPGP envelope of a bundle: one standard message, signed by the author and
//! then encrypted to every recipient, that anyone holding a recipient's secret key
//! can open with stock GnuPG (`gpg --decrypt`).
//!
//! Layout: PKESK v3 packets (one per recipient subkey), then a SEIPD v1 container
//! holding a compressed (deflate) one-pass-signed literal data packet. SEIPDv1 rather
//! than v2 because GnuPG 2.2 reads only v1.

use crate::base::error::{Error, Result};
use crate::crypto::identity::Fingerprint;
use crate::crypto::key::{cert_time, policy, UnlockedKey};
use chrono::{DateTime, Utc};
use openpgp::cert::Cert;
use openpgp::crypto::SessionKey;
use openpgp::packet::pkesk::PKESK3;
use openpgp::packet::{PKESK, SKESK};
use openpgp::parse::stream::{
    DecryptionHelper, DecryptorBuilder, DetachedVerifierBuilder, MessageLayer, MessageStructure, VerificationError,
    VerificationHelper,
};
use openpgp::parse::Parse;
use openpgp::serialize::stream::{Armorer, Compressor, Encryptor, LiteralWriter, Message, Signer};
use openpgp::serialize::Serialize as _;
use openpgp::types::{CompressionAlgorithm, SymmetricAlgorithm};
use openpgp::KeyHandle;
use openpgp::Packet;
use sequoia_openpgp as openpgp;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::time::SystemTime;

/// The most a message may hold once opened: 32 MiB, four times the size at which a
/// bundle closes (`MAX_BUNDLE_BYTES` in the bundle format, which asserts it; a bundle's
/// last operation may pass that size).
pub const MAX_PAYLOAD_BYTES: usize = 32 << 20;

/// Why an envelope could not be opened. Each names what a member can tell others.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("not an OpenPGP message ({0})")]
    NotOpenPgp(String),
    #[error("not encrypted to this member's key")]
    NotForMe,
    #[error("the message is damaged or was tampered with ({0})")]
    Damaged(String),
    #[error("it is not signed")]
    Unsigned,
    #[error("it is signed by a key that is not on the roster ({0})")]
    UnknownSigner(String),
    #[error("its signature does not verify ({0})")]
    BadSignature(String),
}

/// An opened envelope: the payload and who signed it.
#[derive(Debug)]
pub struct Opened {
    pub payload: Vec<u8>,
    /// Primary fingerprint of the roster certificate whose key made the signature.
    pub signer: Fingerprint,
    /// The key each PKESK names as its recipient (`None`: a hidden recipient), so a
    /// reader can check the message was encrypted only to whom it should be.
    pub recipients: Vec<Option<KeyHandle>>,
    /// The digest of the recipient packets ([`seal_bound`]); `None` when they are not
    /// written the way Countersign writes them.
    pub envelope: Option<String>,
}

/// Signs `payload` with `key` at `now` and encrypts it to every encryption-capable
/// subkey of `recipients` (valid at `now`, or when made if this clock has not reached
/// that yet).
pub fn seal(payload: &[u8], key: &UnlockedKey, recipients: &[Cert], now: DateTime<Utc>) -> Result<Vec<u8>> {
    seal_bound(|_| Ok(payload.to_vec()), key, recipients, now)
}

/// [`seal`] for a payload that names its own envelope: `make_payload` receives the
/// hex SHA-256 of the recipient (PKESK) packets, written before it, which the payload
/// carries under the author's signature. Everything else in the file is covered by
/// the encryption's integrity check (MDC) and the signature, so no bit of a bundle can
/// change unnoticed by any reader ([`Opened::envelope`]).
pub fn seal_bound(
    make_payload: impl FnOnce(&str) -> Result<Vec<u8>>,
    key: &UnlockedKey,
    recipients: &[Cert],
    now: DateTime<Utc>,
) -> Result<Vec<u8>> {
    key.check_clock(now)?;
    let policy = policy();
    let time = SystemTime::from(now);
    let mut keys = Vec::new();
    for cert in recipients {
        let valid = cert.with_policy(&policy, cert_time(cert, now)).map_err(|e| Error::KeyUnusable {
            fingerprint: cert.fingerprint().to_hex(),
            reason: format!("it is not valid now ({e})"),
        })?;
        let before = keys.len();
        for ka in valid.keys().supported().alive().revoked(false).for_transport_encryption().for_storage_encryption() {
            keys.push(ka.key().clone());
        }
        if keys.len() == before {
            return Err(Error::KeyUnusable {
                fingerprint: cert.fingerprint().to_hex(),
                reason: "it has no subkey to encrypt to".into(),
            });
        }
    }
    let pgp = |e: anyhow::Error| Error::OpenPgp(e.to_string());
    // The recipient packets are made here rather than by the encryptor, so their bytes
    // are known before the payload is written.
    let algo = SymmetricAlgorithm::AES256;
    let session_key = SessionKey::new(algo.key_size().map_err(pgp)?).map_err(pgp)?;
    let mut out = Vec::with_capacity(1024);
    for k in &keys {
        let pkesk = PKESK3::for_recipient(algo, &session_key, k).map_err(pgp)?;
        Packet::from(PKESK::from(pkesk)).serialize(&mut out).map_err(pgp)?;
    }
    let payload = make_payload(&hex::encode(Sha256::digest(&out)))?;
    out.reserve(payload.len() / 2);
    let message = Message::new(&mut out);
    // No recipients added: SEIPD v1 (what GnuPG 2.2 reads) under the session key above.
    let message = Encryptor::with_session_key(message, algo, session_key).map_err(pgp)?.build().map_err(pgp)?;
    let message = Compressor::new(message).algo(CompressionAlgorithm::Zip).build().map_err(pgp)?;
    let message = Signer::new(message, key.signer.clone()).map_err(pgp)?.creation_time(time).build().map_err(pgp)?;
    let mut literal = LiteralWriter::new(message).build().map_err(pgp)?;
    literal.write_all(&payload).map_err(|e| Error::OpenPgp(e.to_string()))?;
    literal.finalize().map_err(pgp)?;
    Ok(out)
}

/// The hex SHA-256 of a message's recipient packets as they stand in `bytes`, if they
/// are written exactly as Countersign writes them (so equal digests mean equal bytes).
fn envelope_digest(bytes: &[u8], pkesks: &[PKESK]) -> Option<String> {
    let mut written = Vec::new();
    for pkesk in pkesks {
        Packet::from(pkesk.clone()).serialize(&mut written).ok()?;
    }
    bytes.starts_with(&written).then(|| hex::encode(Sha256::digest(&written)))
}

/// Decrypts `bytes` with `key` and verifies that exactly the signature of a roster
/// member covers the payload.
pub fn open(bytes: &[u8], key: &UnlockedKey, roster: &[Cert]) -> Result<Opened, EnvelopeError> {
    let (payload, signer, _, pkesks) = open_with(bytes, Unlock::Key(key), roster, true)?;
    Ok(opened(bytes, payload, signer, &pkesks)?)
}

/// Decrypts `bytes` without checking the signature: only for the genesis bundle,
/// whose payload carries the certificates it is then verified against with [`open`].
pub fn decrypt_unverified(bytes: &[u8], key: &UnlockedKey) -> Result<Vec<u8>, EnvelopeError> {
    open_with(bytes, Unlock::Key(key), &[], false).map(|(payload, ..)| payload)
}

/// The session key of a message: a member added to the roster later receives the
/// session keys of earlier bundles (in a key share encrypted to them), so they read
/// the very bundles, with their authors' signatures, that were not encrypted to them.
pub struct SharedKey {
    pub algo: SymmetricAlgorithm,
    pub key: SessionKey,
}

impl SharedKey {
    /// `ALGO:HEX`: the OpenPGP algorithm number and the key.
    pub fn to_text(&self) -> String {
        format!("{}:{}", u8::from(self.algo), hex::encode(&self.key[..]))
    }

    pub fn parse(text: &str) -> Option<SharedKey> {
        let (algo, key) = text.split_once(':')?;
        Some(SharedKey { algo: SymmetricAlgorithm::from(algo.parse::<u8>().ok()?), key: hex::decode(key).ok()?.into() })
    }
}

/// Decrypts a message addressed to `key` and returns its session key.
pub fn session_key(bytes: &[u8], key: &UnlockedKey) -> Result<SharedKey, EnvelopeError> {
    let (_, _, captured, _) = open_with(bytes, Unlock::Key(key), &[], false)?;
    captured.ok_or(EnvelopeError::NotForMe)
}

/// [`open`] with a shared session key instead of a secret key.
pub fn open_shared(bytes: &[u8], shared: &SharedKey, roster: &[Cert]) -> Result<Opened, EnvelopeError> {
    let (payload, signer, _, pkesks) = open_with(bytes, Unlock::Shared(shared), roster, true)?;
    Ok(opened(bytes, payload, signer, &pkesks)?)
}

/// [`decrypt_unverified`] with a shared session key (the genesis, for a member added later).
pub fn decrypt_shared_unverified(bytes: &[u8], shared: &SharedKey) -> Result<Vec<u8>, EnvelopeError> {
    open_with(bytes, Unlock::Shared(shared), &[], false).map(|(payload, ..)| payload)
}

/// What [`open_with`] found: the payload, the signer, the session key, the recipient packets.
type OpenedParts = (Vec<u8>, Option<Fingerprint>, Option<SharedKey>, Vec<PKESK>);

fn opened(
    bytes: &[u8],
    payload: Vec<u8>,
    signer: Option<Fingerprint>,
    pkesks: &[PKESK],
) -> Result<Opened, EnvelopeError> {
    Ok(Opened {
        payload,
        signer: signer.ok_or(EnvelopeError::Unsigned)?,
        recipients: pkesks.iter().map(PKESK::recipient).collect(),
        envelope: envelope_digest(bytes, pkesks),
    })
}

/// What decrypts a message.
#[derive(Clone, Copy)]
enum Unlock<'a> {
    Key(&'a UnlockedKey),
    Shared(&'a SharedKey),
    /// Only verifying a detached signature.
    Nothing,
}

/// Opens a message. The OpenPGP library can panic on some damaged inputs (a SEIPD
/// container cut inside its first bytes trips an `unwrap` in sequoia 2.4 while it
/// sets up decryption): such a file is damaged, not a reason to stop reading the
/// folder, so the panic is caught here and reported as damage.
fn open_with(bytes: &[u8], unlock: Unlock<'_>, roster: &[Cert], verify: bool) -> Result<OpenedParts, EnvelopeError> {
    let guarded =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| open_unguarded(bytes, unlock, roster, verify)));
    guarded.unwrap_or_else(|_| {
        Err(EnvelopeError::Damaged("the OpenPGP reader failed on it; the file is damaged or crafted".into()))
    })
}

fn open_unguarded(
    bytes: &[u8],
    unlock: Unlock<'_>,
    roster: &[Cert],
    verify: bool,
) -> Result<OpenedParts, EnvelopeError> {
    // Every binary OpenPGP packet starts with a tag byte whose high bit is set.
    if bytes.first().is_none_or(|b| b & 0x80 == 0) {
        return Err(EnvelopeError::NotOpenPgp("it does not start with an OpenPGP packet".into()));
    }
    let policy = policy();
    let helper = Helper {
        unlock,
        roster,
        verify,
        signer: None,
        failure: None,
        decrypted: false,
        captured: None,
        pkesks: Vec::new(),
    };
    let builder = DecryptorBuilder::from_bytes(bytes).map_err(|e| EnvelopeError::NotOpenPgp(e.to_string()))?;
    let mut decryptor = match builder.with_policy(&policy, verification_time(), helper) {
        Ok(d) => d,
        Err(e) => return Err(classify(e)),
    };
    // Anyone can encrypt to the roster, and the signature is checked only at the end:
    // a compressed payload inflates a thousandfold (nested compression much more), so
    // read no more than a bundle can hold rather than whatever the file unpacks to.
    let mut payload = Vec::new();
    if let Err(e) = (&mut decryptor).take(MAX_PAYLOAD_BYTES as u64 + 1).read_to_end(&mut payload) {
        let helper = decryptor.helper_ref();
        return Err(helper.failure.clone().unwrap_or_else(|| EnvelopeError::Damaged(e.to_string())));
    }
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(EnvelopeError::Damaged(format!("it holds more than {} MiB", MAX_PAYLOAD_BYTES >> 20)));
    }
    let helper = decryptor.into_helper();
    match helper.signer {
        Some(signer) => Ok((payload, Some(signer), helper.captured, helper.pkesks)),
        None if !verify && helper.decrypted => Ok((payload, None, helper.captured, helper.pkesks)),
        None => Err(helper.failure.unwrap_or(EnvelopeError::Unsigned)),
    }
}

/// The time signatures are verified at. Sequoia checks the signing key as it stood
/// at the signature's own time; the reader's time only bounds how late a signature
/// may be made, with no tolerance once a time is given. A laptop whose clock runs
/// ahead is still a member: so the bound is the latest time an OpenPGP signature can
/// name (its creation time is 32 bits of seconds), and nothing is refused for having
/// been signed "in the future". Removals and key replacements are the roster's cuts,
/// which do not depend on clocks.
fn verification_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(u64::from(u32::MAX))
}

/// A detached, ASCII-armored signature by `key` over `document` (a vote), which
/// `gpg --verify SIG DOCUMENT` checks against the signer's certificate.
pub fn sign_detached(document: &[u8], key: &UnlockedKey, now: DateTime<Utc>) -> Result<String> {
    key.check_clock(now)?;
    let pgp = |e: anyhow::Error| Error::OpenPgp(e.to_string());
    let mut armored = Vec::new();
    {
        let message = Message::new(&mut armored);
        let message = Armorer::new(message).kind(openpgp::armor::Kind::Signature).build().map_err(pgp)?;
        let mut signer = Signer::new(message, key.signer.clone())
            .map_err(pgp)?
            .creation_time(SystemTime::from(now))
            .detached()
            .build()
            .map_err(pgp)?;
        signer.write_all(document).map_err(|e| Error::OpenPgp(e.to_string()))?;
        signer.finalize().map_err(pgp)?;
    }
    String::from_utf8(armored).map_err(|e| Error::OpenPgp(e.to_string()))
}

/// Checks that `signature` (armored, detached) is a valid signature over `document`
/// by `cert`'s signing key as it stood when it signed; the reason otherwise.
pub fn verify_detached(document: &[u8], signature: &str, cert: &Cert) -> std::result::Result<(), EnvelopeError> {
    let policy = policy();
    let helper = Helper {
        unlock: Unlock::Nothing,
        roster: std::slice::from_ref(cert),
        verify: true,
        signer: None,
        failure: None,
        decrypted: true,
        captured: None,
        pkesks: Vec::new(),
    };
    let mut verifier = DetachedVerifierBuilder::from_bytes(signature.as_bytes())
        .map_err(|e| EnvelopeError::NotOpenPgp(e.to_string()))?
        .with_policy(&policy, verification_time(), helper)
        .map_err(classify)?;
    verifier.verify_bytes(document).map_err(classify)?;
    match verifier.into_helper().signer {
        Some(signer) if signer.as_str() == cert.fingerprint().to_hex() => Ok(()),
        _ => Err(EnvelopeError::BadSignature("not made by the named member's key".into())),
    }
}

/// Maps a failure while setting up the decryptor (which reads the whole message for
/// small inputs, so verification errors also surface here).
fn classify(e: anyhow::Error) -> EnvelopeError {
    if let Some(failure) = e.downcast_ref::<EnvelopeError>() {
        return failure.clone();
    }
    let text = e.to_string();
    match e.downcast_ref::<openpgp::Error>() {
        Some(openpgp::Error::MissingSessionKey(_)) => EnvelopeError::NotForMe,
        Some(openpgp::Error::ManipulatedMessage) => EnvelopeError::Damaged(text),
        Some(openpgp::Error::MalformedMessage(_)) | Some(openpgp::Error::MalformedPacket(_)) => {
            EnvelopeError::NotOpenPgp(text)
        }
        _ => EnvelopeError::Damaged(text),
    }
}

struct Helper<'a> {
    unlock: Unlock<'a>,
    /// The session key that decrypted the message.
    captured: Option<SharedKey>,
    roster: &'a [Cert],
    verify: bool,
    signer: Option<Fingerprint>,
    failure: Option<EnvelopeError>,
    decrypted: bool,
    pkesks: Vec<PKESK>,
}

impl VerificationHelper for Helper<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        Ok(self.roster.to_vec())
    }

    fn check(&mut self, structure: MessageStructure) -> openpgp::Result<()> {
        if !self.verify && self.decrypted {
            return Ok(());
        }
        let mut good = Vec::new();
        let mut seen_signature = false;
        for layer in structure.into_iter() {
            if let MessageLayer::SignatureGroup { results } = layer {
                for result in results {
                    seen_signature = true;
                    match result {
                        Ok(checksum) => good.push(checksum.ka.cert().fingerprint().to_hex()),
                        Err(VerificationError::MissingKey { sig }) => {
                            let issuer = sig.get_issuers().first().map(|h| h.to_hex()).unwrap_or_default();
                            self.failure = Some(EnvelopeError::UnknownSigner(issuer));
                        }
                        Err(e) => self.failure = Some(EnvelopeError::BadSignature(e.to_string())),
                    }
                }
            }
        }
        if !self.decrypted {
            self.failure = Some(EnvelopeError::Damaged("the message is not encrypted".into()));
        } else if !seen_signature {
            self.failure = Some(EnvelopeError::Unsigned);
        } else if good.len() == 1 && self.failure.is_none() {
            self.signer = Fingerprint::parse(&good[0]).ok();
            return Ok(());
        } else if self.failure.is_none() {
            self.failure = Some(EnvelopeError::BadSignature("more than one signature".into()));
        }
        let failure = self.failure.clone().unwrap_or(EnvelopeError::Unsigned);
        Err(anyhow::Error::new(failure))
    }
}

impl DecryptionHelper for Helper<'_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        _skesks: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> openpgp::Result<Option<Cert>> {
        self.pkesks = pkesks.to_vec();
        let key = match self.unlock {
            Unlock::Key(key) => key,
            Unlock::Shared(shared) => {
                if decrypt(Some(shared.algo), &shared.key) {
                    self.decrypted = true;
                    return Ok(None);
                }
                self.failure = Some(EnvelopeError::NotForMe);
                return Err(anyhow::Error::new(EnvelopeError::NotForMe));
            }
            Unlock::Nothing => return Err(anyhow::Error::new(EnvelopeError::NotForMe)),
        };
        for pkesk in pkesks {
            for pair in &key.decryptors {
                let matches = pkesk.recipient().map_or(true, |r| r.aliases(KeyHandle::from(pair.public().keyid())));
                if !matches {
                    continue;
                }
                let mut pair = pair.clone();
                if let Some((algo, session_key)) = pkesk.decrypt(&mut pair, sym_algo) {
                    if decrypt(algo, &session_key) {
                        self.decrypted = true;
                        self.captured = algo.or(sym_algo).map(|algo| SharedKey { algo, key: session_key.clone() });
                        return Ok(None);
                    }
                }
            }
        }
        self.failure = Some(EnvelopeError::NotForMe);
        Err(anyhow::Error::new(EnvelopeError::NotForMe))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::key::{Passphrase, SecretKey};
    use openpgp::serialize::SerializeInto;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn member(name: &str) -> (SecretKey, UnlockedKey) {
        let pass = Passphrase::from("pw");
        let key = SecretKey::generate(name, &format!("{}@example.org", name.to_lowercase()), &pass, now()).unwrap();
        let unlocked = key.unlock(&pass, now()).unwrap();
        (key, unlocked)
    }

    fn member_at(name: &str, at: DateTime<Utc>) -> (SecretKey, UnlockedKey) {
        let pass = Passphrase::from("pw");
        let key = SecretKey::generate(name, &format!("{}@example.org", name.to_lowercase()), &pass, at).unwrap();
        let unlocked = key.unlock(&pass, at).unwrap();
        (key, unlocked)
    }

    /// Laptop clocks differ by seconds to days: Alice's runs three days slow, so her key
    /// and everything she signs is dated then; Bob's is right, or three days fast.
    #[test]
    fn members_whose_clocks_are_days_apart_seal_to_and_open_from_each_other() {
        let slow = now() - chrono::Duration::days(3);
        let (alice, alice_key) = member_at("Alice", slow);
        let (bob, bob_key) = member_at("Bob", now());
        let roster = [alice.cert(), bob.cert()];
        // Bob's key was made "in the future" of Alice's clock: she still encrypts to it.
        let from_alice = seal(b"slow", &alice_key, &roster, slow).unwrap();
        assert_eq!(open(&from_alice, &bob_key, &roster).unwrap().signer, alice.fingerprint());
        // Signed days after Alice's clock: it opens on her laptop, and so does a vote.
        let ahead = now() + chrono::Duration::days(3);
        let from_bob = seal(b"fast", &bob_key, &roster, ahead).unwrap();
        assert_eq!(open(&from_bob, &alice_key, &roster).unwrap().payload, b"fast");
        let vote = sign_detached(b"a vote", &bob_key, ahead).unwrap();
        verify_detached(b"a vote", &vote, &bob.cert()).unwrap();
    }

    #[test]
    fn a_clock_set_before_the_key_was_made_is_told_to_be_set_and_signs_nothing() {
        let (alice, alice_key) = member("Alice");
        let before = now() - chrono::Duration::days(3);
        let err = seal(b"x", &alice_key, &[alice.cert()], before).unwrap_err();
        assert!(matches!(err, Error::ClockBeforeKey { .. }), "{err}");
        assert!(err.to_string().contains("set the date and time"), "{err}");
        assert!(matches!(sign_detached(b"a vote", &alice_key, before), Err(Error::ClockBeforeKey { .. })));
    }

    #[test]
    fn sealed_payloads_open_for_every_recipient_and_name_the_signer() {
        let (alice, alice_key) = member("Alice");
        let (bob, bob_key) = member("Bob");
        let (_carol, carol_key) = member("Carol");
        let roster = [alice.cert(), bob.cert()];
        let sealed = seal(b"the payload", &alice_key, &roster, now()).unwrap();
        assert!(!sealed.windows(11).any(|w| w == b"the payload"), "plaintext in the envelope");
        for key in [&alice_key, &bob_key] {
            let opened = open(&sealed, key, &roster).unwrap();
            assert_eq!(opened.payload, b"the payload");
            assert_eq!(opened.signer, alice.fingerprint());
        }
        assert_eq!(open(&sealed, &carol_key, &roster).unwrap_err(), EnvelopeError::NotForMe);
    }

    #[test]
    fn a_bound_payload_names_its_recipient_packets_so_a_change_to_another_recipients_packet_shows() {
        let (alice, alice_key) = member("Alice");
        let (bob, _) = member("Bob");
        let mut named = String::new();
        let sealed = seal_bound(
            |digest| {
                named = digest.to_string();
                Ok(b"payload".to_vec())
            },
            &alice_key,
            &[alice.cert(), bob.cert()],
            now(),
        )
        .unwrap();
        let roster = [alice.cert(), bob.cert()];
        assert_eq!(open(&sealed, &alice_key, &roster).unwrap().envelope.as_deref(), Some(named.as_str()));
        // The last byte of Bob's packet (the second) is part of his encrypted session
        // key: Alice still opens the message, but its envelope is no longer the one named.
        let alice_cert = alice.cert();
        let policy = policy();
        let valid = alice_cert.with_policy(&policy, SystemTime::from(now())).unwrap();
        let subkey = valid.keys().for_transport_encryption().next().unwrap().key().clone();
        let first = PKESK3::for_recipient(SymmetricAlgorithm::AES256, &SessionKey::new(32).unwrap(), &subkey).unwrap();
        let first_len = Packet::from(PKESK::from(first)).to_vec().unwrap().len();
        let mut bent = sealed.clone();
        bent[first_len * 2 - 1] ^= 0x01;
        let opened = open(&bent, &alice_key, &roster).unwrap();
        assert_eq!(opened.payload, b"payload");
        assert_ne!(opened.envelope.as_deref(), Some(named.as_str()));
    }

    #[test]
    fn a_signer_off_the_roster_or_a_changed_byte_is_refused() {
        let (alice, alice_key) = member("Alice");
        let (mallory, mallory_key) = member("Mallory");
        let roster = [alice.cert()];
        let forged = seal(b"x", &mallory_key, &[alice.cert(), mallory.cert()], now()).unwrap();
        assert!(matches!(open(&forged, &alice_key, &roster), Err(EnvelopeError::UnknownSigner(_))));

        let sealed = seal(b"payload", &alice_key, &roster, now()).unwrap();
        for i in [sealed.len() / 2, sealed.len() - 3] {
            let mut bent = sealed.clone();
            bent[i] ^= 0x01;
            assert!(open(&bent, &alice_key, &roster).is_err(), "byte {i} changed, still opened");
        }
        assert!(matches!(open(b"hello", &alice_key, &roster), Err(EnvelopeError::NotOpenPgp(_))));
        assert!(open(&sealed[..sealed.len() / 2], &alice_key, &roster).is_err());
    }

    #[test]
    fn a_payload_larger_than_any_bundle_is_refused_without_reading_it_all() {
        // Compression made a small file of it: reading it whole would take a thousand
        // times its size in memory (much more with nested compression).
        let (alice, alice_key) = member("Alice");
        let roster = [alice.cert()];
        let sealed = seal(&vec![0u8; MAX_PAYLOAD_BYTES + 1], &alice_key, &roster, now()).unwrap();
        assert!(sealed.len() < MAX_PAYLOAD_BYTES / 500, "{} bytes", sealed.len());
        match open(&sealed, &alice_key, &roster) {
            Err(EnvelopeError::Damaged(reason)) => assert!(reason.contains("more than 32 MiB"), "{reason}"),
            other => panic!("opened: {:?}", other.map(|o| o.payload.len())),
        }
        assert!(decrypt_unverified(&sealed, &alice_key).is_err());
    }
}
