//! The auditor's export of a decision: a folder anyone can check with `sha256sum` and
//! stock GnuPG, without Countersign.
//!
//! ```text
//! DIR/README.md                     status, rule, tally and the exact commands
//! DIR/decision.json                 the decision document (canonical JSON)
//! DIR/votes/NN-FPR16-CHOICE.json    each vote document on that version
//! DIR/votes/NN-FPR16-CHOICE.json.asc  its detached signature
//! DIR/certs/FPR.asc                 the proposer's and every signer's certificate
//! ```

use crate::base::error::{Error, Result};
use crate::base::files::write_atomically;
use crate::decisions::model::VoteDoc;
use crate::home::Home;
use sequoia_openpgp::serialize::SerializeInto;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

pub(crate) fn export(home: &Home, id: &str, dir: &Path) -> Result<crate::decisions::model::ExportReport> {
    let (record, eval, _gov) = home.decision_record(id)?;
    let (hash, doc) = record.current().ok_or_else(|| Error::UnknownDecision(id.to_string()))?;
    if dir.exists() && fs::read_dir(dir).map_err(|e| Error::io("read", dir, e))?.next().is_some() {
        return Err(Error::invalid(
            "export folder",
            &dir.display().to_string(),
            "it is not empty; give a new or empty folder so nothing is overwritten",
        ));
    }
    for sub in ["votes", "certs"] {
        fs::create_dir_all(dir.join(sub)).map_err(|e| Error::io("create the folder", dir.join(sub), e))?;
    }
    let mut files = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<()> {
        write_atomically(&dir.join(name), bytes)?;
        files.push(name.to_string());
        Ok(())
    };
    put("decision.json", &doc.to_bytes())?;

    let certs = crate::decisions::governance::certificates(home.db())?;
    let counted: BTreeSet<&str> = eval.counted.iter().map(|v| v.op.as_str()).collect();
    let mut signers = BTreeSet::from([doc.proposer.clone()]);
    let mut lines = String::new();
    let mut checks = String::new();
    let votes: Vec<_> = record.votes.iter().filter(|v| &v.version == hash).collect();
    for (n, vote) in votes.iter().enumerate() {
        let name = format!("votes/{:02}-{}-{}.json", n + 1, vote.voter.short(), vote.choice);
        let vote_doc = VoteDoc::of(&doc.workspace, &vote.voter, &vote.version, vote.choice, vote.reason.as_ref());
        put(&name, &vote_doc.to_bytes())?;
        put(&format!("{name}.asc"), vote.signature.as_bytes())?;
        signers.insert(vote.voter.clone());
        let who = home.member_ref(vote.voter.as_str()).name.unwrap_or_else(|| vote.voter.to_string());
        let _ = writeln!(
            lines,
            "| {} | {who} | `{}` | {} | {} |",
            n + 1,
            vote.voter,
            vote.choice,
            if counted.contains(vote.op.as_str()) {
                "yes"
            } else {
                "no (changed later, cast after the decision, or not eligible)"
            }
        );
        let _ = writeln!(checks, "gpg --verify {name}.asc {name}");
    }
    for fpr in &signers {
        if let Some(cert) = certs.get(fpr) {
            let armored = cert.armored().to_vec().map_err(|e| Error::OpenPgp(e.to_string()))?;
            put(&format!("certs/{fpr}.asc"), &armored)?;
        }
    }

    let amount = match (&doc.amount, &doc.currency) {
        (Some(a), Some(c)) => format!("{a} {c}"),
        _ => "none".into(),
    };
    let mut readme = String::new();
    let _ = write!(
        readme,
        "# Decision: {title}\n\n\
         - Decision id: `{id}`\n\
         - Version: {version}; content hash (SHA-256 of `decision.json`): `{hash}`\n\
         - Kind: {kind}; amount: {amount}; fund: {fund}; closes: {closes}\n\
         - Proposed by: `{proposer}`\n\
         - Rule: **{rule}**\n\
         - Status when exported: **{status}** ({reason}); {a} approve, {o} object, {s} abstain counted\n\n\
         Every vote below is a small JSON document naming the workspace, the decision's\n\
         content hash and the choice, with a detached OpenPGP signature by the member.\n\n\
         | # | member | fingerprint | choice | counted |\n|---|---|---|---|---|\n{lines}\n\
         ## Verify with GnuPG alone\n\n\
         Run in this folder, in a fresh keyring so nothing else is trusted:\n\n\
         ```sh\n\
         export GNUPGHOME=\"$(mktemp -d)\"\n\
         gpg --import certs/*.asc\n\
         sha256sum decision.json    # must print {hash}\n\
         grep -L '\"decision\":\"{hash}\"' votes/*.json    # must print nothing: every vote names this version\n\
         {checks}```\n\n\
         Each `gpg --verify` must report a good signature by the member named in the\n\
         file name (the last 16 digits of the fingerprint). A changed byte in a vote\n\
         document or its signature makes the check fail. GnuPG prints a warning that the\n\
         keys are not certified with a trusted signature; that is expected in a fresh\n\
         keyring: compare the fingerprints with the roster instead.\n",
        title = doc.title,
        version = doc.version,
        kind = doc.kind,
        fund = doc.fund.as_deref().unwrap_or("none"),
        closes = doc.closes,
        proposer = doc.proposer,
        rule = eval.rule,
        status = eval.status,
        reason = eval.reason,
        a = eval.approvals,
        o = eval.objections,
        s = eval.abstentions,
    );
    put("README.md", readme.as_bytes())?;
    Ok(crate::decisions::model::ExportReport { dir: dir.display().to_string(), files })
}
