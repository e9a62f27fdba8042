//! Checking one bundle before anything of it is applied: opened (decrypted, signature
//! verified against every key ever on the roster), then its content checked against
//! the workspace, its place in the folder, the chain of governance and access by role.
//! The verdict says what is wrong, never half of it.

use crate::base::canonical;
use crate::base::error::Result;
use crate::crypto::envelope::{self, EnvelopeError};
use crate::crypto::identity::Fingerprint;
use crate::crypto::key::UnlockedKey;
use crate::decisions::governance::Governance;
use crate::decisions::model;
use crate::engine::bundle::{self, BundlePayload, BUNDLE_FORMAT};
use crate::engine::operation::{OpBody, OpId};
use crate::members::governance::{Change, GovVersion};
use crate::members::roster::RosterMember;
use crate::members::scope::Scope;
use crate::sync::scan::Found;
use sequoia_openpgp::cert::Cert;
use sequoia_openpgp::KeyHandle;
use std::collections::{BTreeMap, BTreeSet};

/// What checking one bundle file found.
pub(crate) enum Verdict {
    /// Opened and checked: its payload and operation ids.
    Opened(BundlePayload, Vec<OpId>),
    /// Encrypted to others only: a scope this member's role does not read.
    Sealed,
    /// Refused, with the reason.
    Refused(String),
}

/// Who may read and write each scope, over every version of the governance chain: a
/// bundle written before its author learnt of a roster or rules change is still
/// accepted, so the check asks whether the author, and each recipient, had access
/// under some version. Members proposed for the roster count with the role proposed:
/// the bundle that approves a member is already encrypted to them by its author.
pub(crate) struct Access {
    /// Scope → the members who read it under some version (or would, once added).
    readers: BTreeMap<Scope, BTreeSet<Fingerprint>>,
    /// Key id of every key of every certificate ever on the roster or proposed for
    /// it → its member.
    keys: Vec<(KeyHandle, Fingerprint)>,
}

impl Access {
    pub(crate) fn of(gov: &Governance, known: &BTreeMap<Fingerprint, Cert>, proposed: &[RosterMember]) -> Access {
        let mut readers: BTreeMap<Scope, BTreeSet<Fingerprint>> = BTreeMap::new();
        for version in &gov.versions {
            for scope in version.rules.scopes() {
                let entry = readers.entry(scope.clone()).or_default();
                entry.extend(version.readers(&scope));
                entry.extend(
                    proposed.iter().filter(|m| version.rules.reads(m.role, &scope)).map(|m| m.fingerprint.clone()),
                );
            }
        }
        let mut keys: Vec<(KeyHandle, Fingerprint)> = known
            .iter()
            .flat_map(|(fpr, cert)| cert.keys().map(move |k| (KeyHandle::from(k.key().keyid()), fpr.clone())))
            .collect();
        for member in proposed {
            if let Ok(cert) = member.parse_cert() {
                keys.extend(cert.keys().map(|k| (KeyHandle::from(k.key().keyid()), member.fingerprint.clone())));
            }
        }
        Access { readers, keys }
    }

    /// Why a bundle of `scope` by `author`, encrypted to `recipients`, is refused.
    fn refuses(&self, scope: &Scope, author: &Fingerprint, recipients: &[Option<KeyHandle>]) -> Option<String> {
        let Some(readers) = self.readers.get(scope) else {
            return Some(format!("it declares the scope `{scope}`, which the rules do not know"));
        };
        if !readers.contains(author) {
            return Some(format!("it is written into the scope `{scope}`, which its author's role may not read"));
        }
        for recipient in recipients {
            let Some(handle) = recipient else {
                return Some("it is encrypted to a hidden recipient; bundles name every recipient".into());
            };
            match self.keys.iter().find(|(key, _)| key.aliases(handle)) {
                Some((_, member)) if readers.contains(member) => {}
                Some((_, member)) => {
                    return Some(format!(
                        "its scope is `{scope}` but it is encrypted to {member}, whose role may not read it"
                    ))
                }
                // A key no roster version or proposal names cannot be told apart from
                // a member added in a version this reader has not reached: allowed.
                None => {}
            }
        }
        None
    }
}

/// What a bundle is checked against: the workspace, every key ever on the roster,
/// the roster version in force, and who may read each scope.
pub(crate) struct Signers<'a> {
    pub(crate) workspace: &'a str,
    pub(crate) certs: &'a [Cert],
    pub(crate) known: &'a BTreeMap<Fingerprint, Cert>,
    pub(crate) head: &'a GovVersion,
    /// Session keys shared with this member (added later) for earlier bundles.
    pub(crate) shares: &'a BTreeMap<String, envelope::SharedKey>,
    pub(crate) access: &'a Access,
    /// Whether this member's role reads every scope: then a bundle not encrypted to
    /// them is an error, not a bundle of a scope they do not read.
    pub(crate) reads_everything: bool,
}

/// Opens and checks one bundle file.
pub(crate) fn check(f: &Found, bytes: &[u8], signers: &Signers<'_>, key: &UnlockedKey) -> Verdict {
    match open_and_check(f, bytes, signers, key) {
        Ok(checked) => Verdict::Opened(checked.0, checked.1),
        Err(None) => Verdict::Sealed,
        Err(Some(reason)) => Verdict::Refused(reason),
    }
}

/// The payload and operation ids of a bundle that passes every check; `Err(None)` for
/// one sealed to others, `Err(Some(reason))` for one refused.
pub(crate) fn open_and_check(
    f: &Found,
    bytes: &[u8],
    signers: &Signers<'_>,
    key: &UnlockedKey,
) -> std::result::Result<(BundlePayload, Vec<OpId>), Option<String>> {
    let opened = match envelope::open(bytes, key, signers.certs) {
        Err(EnvelopeError::NotForMe) if signers.shares.contains_key(&f.rel) => {
            envelope::open_shared(bytes, &signers.shares[&f.rel], signers.certs)
        }
        other => other,
    };
    let opened = match opened {
        Ok(opened) => opened,
        Err(EnvelopeError::NotForMe) if !signers.reads_everything => return Err(None),
        Err(EnvelopeError::NotForMe) => {
            return Err(Some(
                "it is not encrypted to you (another workspace's bundle, or its author left you out)".into(),
            ))
        }
        Err(EnvelopeError::UnknownSigner(issuer)) => {
            return Err(Some(format!("it is signed by a key not on the roster ({issuer})")))
        }
        Err(other) => return Err(Some(other.to_string())),
    };
    checked_payload(f, &opened, signers).map_err(Some)
}

/// The checks of docs/bundle-format.md 2.5 after the envelope is open.
fn checked_payload(
    f: &Found,
    opened: &envelope::Opened,
    signers: &Signers<'_>,
) -> std::result::Result<(BundlePayload, Vec<OpId>), String> {
    let (payload, ids) = parse_payload(&opened.payload, signers.workspace)?;
    check_origin(f, opened, &payload)?;
    signers.head.accepts(&payload.author, &payload.device, payload.seq)?;
    check_operations(&payload, opened, signers)?;
    Ok((payload, ids))
}

/// The payload of an opened bundle of `workspace`, and its operations' ids.
fn parse_payload(bytes: &[u8], workspace: &str) -> std::result::Result<(BundlePayload, Vec<OpId>), String> {
    let invalid = |e: canonical::CanonicalError| format!("its content is not a valid bundle ({e})");
    let value = canonical::value_from_bytes(bytes).map_err(invalid)?;
    // Operation ids from the parsed values: the canonical bytes of an operation are
    // those of its value, so there is no need to re-serialise the typed operation.
    let ids = match value.get("ops").and_then(|ops| ops.as_array()) {
        Some(ops) => ops.iter().map(|op| canonical::value_to_bytes(op).map(|b| OpId::of_canonical(&b))).collect(),
        None => Ok(Vec::new()),
    }
    .map_err(invalid)?;
    let payload: BundlePayload = serde_json::from_value(value).map_err(|e| invalid(e.into()))?;
    if payload.format > BUNDLE_FORMAT {
        return Err(format!(
            "it was written by a newer version of Countersign (format {}); update to read it",
            payload.format
        ));
    }
    if payload.workspace != workspace {
        return Err(format!(
            "it belongs to another workspace ({})",
            &payload.workspace[..payload.workspace.len().min(16)]
        ));
    }
    Ok((payload, ids))
}

/// Who wrote it and where it lies agree: the signer is its author, its recipients are
/// those its author sealed it to, its place in the folder is the one it names, and
/// every operation in it is its author's.
fn check_origin(f: &Found, opened: &envelope::Opened, payload: &BundlePayload) -> std::result::Result<(), String> {
    if opened.signer != payload.author {
        return Err(format!("it is signed by {} but claims to be from {}", opened.signer, payload.author));
    }
    if payload.envelope.as_ref().is_some_and(|sealed| opened.envelope.as_ref() != Some(sealed)) {
        return Err("its recipient packets were changed after its author sealed it".into());
    }
    if payload.author.as_str() != f.author || payload.device != f.device || payload.seq != f.seq {
        return Err(format!(
            "its place in the folder does not match its content (it says {}/{}/{})",
            payload.author,
            payload.device,
            bundle::file_name(payload.seq)
        ));
    }
    if payload.ops.is_empty() {
        return Err("it holds no operations".into());
    }
    if let Some(op) = payload.ops.iter().find(|op| op.author != payload.author) {
        return Err(format!("it holds an operation by another member ({})", op.author));
    }
    Ok(())
}

/// Its operations may travel as they do: all of its scope, which its author reads and
/// only its readers can open; roster and rules decisions where everyone reads them;
/// votes with signatures that verify; finance rows in their canonical form.
fn check_operations(
    payload: &BundlePayload,
    opened: &envelope::Opened,
    signers: &Signers<'_>,
) -> std::result::Result<(), String> {
    if let Some(op) = payload.ops.iter().find(|op| op.scope != payload.scope) {
        return Err(format!(
            "it is a bundle of scope `{}` holding an operation of scope `{}`",
            payload.scope, op.scope
        ));
    }
    if let Some(reason) = signers.access.refuses(&payload.scope, &payload.author, &opened.recipients) {
        return Err(reason);
    }
    for op in &payload.ops {
        if let OpBody::DecisionPropose { document } = &op.body {
            if document.kind.is_governance() && !op.scope.is_all() {
                return Err(
                    "it holds a roster or rules decision outside the scope `all`, where every member reads the roster"
                        .into(),
                );
            }
        }
        crate::decisions::records::check_vote(signers.workspace, op, signers.known)?;
        crate::finance::records::check(op)?;
    }
    Ok(())
}

/// The members proposed for the roster by any roster decision (added, or a key
/// replaced), with the role proposed.
pub(crate) fn proposed_members(db: &rusqlite::Connection) -> Result<Vec<RosterMember>> {
    let mut stmt = db.prepare_cached("SELECT doc FROM decision_versions WHERE kind = 'roster'")?;
    let docs = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    let mut members = Vec::new();
    for doc in docs {
        let doc: model::DecisionDoc = canonical::from_bytes(doc.as_bytes())?;
        if let Some(Change::MemberAdd { member } | Change::MemberReplace { member, .. }) = doc.change {
            members.push(member);
        }
    }
    Ok(members)
}
