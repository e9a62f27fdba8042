//! Where the CLI gets a passphrase: `--passphrase-file`, then `COUNTERSIGN_PASSPHRASE`,
//! then (to unlock an existing key) the OS keyring, then a prompt on the terminal. The
//! order is the core's ([`PassphraseSources`]); the terminal is the CLI's own.

use anyhow::{Context, Result};
use countersign_core::{Error, Fingerprint, Passphrase, PassphraseKeyring, PassphraseSources};
use std::io::IsTerminal;
use std::path::PathBuf;

/// The passphrase sources of this run (the order is the core's, see
/// [`PassphraseSources`]), and the terminal to ask on.
pub struct Sources {
    given: PassphraseSources,
}

impl Sources {
    pub fn new(file: Option<PathBuf>) -> Sources {
        Sources { given: PassphraseSources::from_env(file) }
    }

    fn prompt(&self, label: &str) -> Result<Passphrase, Error> {
        if !std::io::stdin().is_terminal() {
            return Err(Error::NoPassphrase);
        }
        let text = rpassword::prompt_password(label)
            .map_err(|e| Error::PassphraseUnavailable(format!("could not read it from the terminal ({e})")))?;
        Ok(Passphrase::from(text))
    }

    /// For a key about to be created or imported: asked twice when typed, for a new key.
    pub fn for_new_key(&self, importing: bool) -> Result<Passphrase> {
        if importing {
            return Ok(self.given.for_new_key(|| self.prompt("Passphrase of the key to import: "))?);
        }
        let mut differ = false;
        let pass = self.given.for_new_key(|| {
            let first = self.prompt("Passphrase to protect your new key: ")?;
            let second = self.prompt("The same passphrase again: ")?;
            differ = first != second;
            Ok(first)
        })?;
        if differ {
            anyhow::bail!("the two passphrases differ; nothing was created, run the command again");
        }
        Ok(pass)
    }

    /// Given explicitly, or typed.
    pub fn explicit_or_prompt(&self) -> Result<Passphrase> {
        Ok(self.given.for_new_key(|| self.prompt("Passphrase of your key: "))?)
    }

    /// To unlock an existing key: explicit, else the OS keyring, else typed. When the
    /// keyring cannot be reached, says so in one line and asks instead. Returns where
    /// the passphrase came from.
    pub fn for_unlock(&self, fingerprint: &Fingerprint) -> Result<(Passphrase, &'static str)> {
        let keyring = || match PassphraseKeyring::system().and_then(|k| k.recall(fingerprint)) {
            Ok(found) => found,
            Err(e) => {
                eprintln!("note: {e}");
                None
            }
        };
        let (pass, origin) = self.given.to_unlock(keyring, || self.prompt("Passphrase of your key: "))?;
        Ok((pass, origin.as_str()))
    }
}

/// Asks a yes/no question on the terminal; without one, the answer is no.
pub fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("confirmation needed but there is no terminal; pass --workspace ID instead");
    }
    eprint!("{question}");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).context("could not read the answer")?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}
