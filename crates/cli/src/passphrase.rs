//! Where the CLI gets a passphrase: `--passphrase-file`, then `COUNTERSIGN_PASSPHRASE`,
//! then (to unlock an existing key) the OS keyring, then a prompt on the terminal.

use anyhow::{Context, Result};
use countersign_core::key::Passphrase;
use countersign_core::keyring::PassphraseKeyring;
use countersign_core::{Error, Fingerprint};
use std::io::IsTerminal;
use std::path::PathBuf;

/// The environment variable non-interactive use (scripts, tests) sets.
pub const ENV: &str = "COUNTERSIGN_PASSPHRASE";

pub struct Sources {
    pub file: Option<PathBuf>,
}

impl Sources {
    /// The passphrase given explicitly, by file or environment.
    fn explicit(&self) -> Result<Option<Passphrase>> {
        if let Some(path) = &self.file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("could not read the passphrase file {}", path.display()))?;
            let line = text.lines().next().unwrap_or_default();
            return Ok(Some(Passphrase::from(line)));
        }
        Ok(std::env::var(ENV).ok().map(Passphrase::from))
    }

    fn prompt(&self, label: &str) -> Result<Passphrase> {
        if !std::io::stdin().is_terminal() {
            return Err(Error::NoPassphrase.into());
        }
        let text = rpassword::prompt_password(label).context("could not read the passphrase from the terminal")?;
        Ok(Passphrase::from(text))
    }

    /// For a key about to be created or imported: asked twice when typed, for a new key.
    pub fn for_new_key(&self, importing: bool) -> Result<Passphrase> {
        if let Some(pass) = self.explicit()? {
            return Ok(pass);
        }
        if importing {
            return self.prompt("Passphrase of the key to import: ");
        }
        let first = self.prompt("Passphrase to protect your new key: ")?;
        let second = self.prompt("The same passphrase again: ")?;
        if first != second {
            anyhow::bail!("the two passphrases differ; nothing was created, run the command again");
        }
        Ok(first)
    }

    /// Given explicitly, or typed.
    pub fn explicit_or_prompt(&self) -> Result<Passphrase> {
        match self.explicit()? {
            Some(pass) => Ok(pass),
            None => self.prompt("Passphrase of your key: "),
        }
    }

    /// To unlock an existing key: explicit, else the OS keyring, else typed. When the
    /// keyring cannot be reached, says so in one line and asks instead. Returns where
    /// the passphrase came from.
    pub fn for_unlock(&self, fingerprint: &Fingerprint) -> Result<(Passphrase, &'static str)> {
        if let Some(pass) = self.explicit()? {
            return Ok((pass, if self.file.is_some() { "file" } else { "environment" }));
        }
        match PassphraseKeyring::system().and_then(|k| k.recall(fingerprint)) {
            Ok(Some(pass)) => return Ok((pass, "keyring")),
            Ok(None) => {}
            Err(e) => eprintln!("note: {e}"),
        }
        Ok((self.prompt("Passphrase of your key: ")?, "prompt"))
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
