//! Where a passphrase comes from, in the one order the CLI and the desktop both follow:
//! a file the member named, then the environment (`COUNTERSIGN_PASSPHRASE`, for
//! scripts and tests), then the OS keyring (only to unlock a key it remembers), then
//! asking the member (the terminal's prompt, or the window's field).

use crate::base::error::{Error, Result};
use crate::crypto::key::Passphrase;
use serde::Serialize;
use std::path::PathBuf;

/// The environment variable non-interactive use (scripts, tests) sets.
pub const PASSPHRASE_ENV: &str = "COUNTERSIGN_PASSPHRASE";

/// Where a passphrase was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PassphraseOrigin {
    File,
    Environment,
    Keyring,
    Prompt,
}

impl PassphraseOrigin {
    /// As the CLI names it (`key unlock` says where the passphrase came from).
    pub fn as_str(self) -> &'static str {
        match self {
            PassphraseOrigin::File => "file",
            PassphraseOrigin::Environment => "environment",
            PassphraseOrigin::Keyring => "keyring",
            PassphraseOrigin::Prompt => "prompt",
        }
    }
}

/// The passphrases given before anyone is asked: a file and the environment.
#[derive(Debug, Clone, Default)]
pub struct PassphraseSources {
    /// `--passphrase-file FILE`: its first line is the passphrase.
    pub file: Option<PathBuf>,
    /// The value of [`PASSPHRASE_ENV`], when set.
    pub environment: Option<String>,
}

impl PassphraseSources {
    /// The file given, and the environment of this process.
    pub fn from_env(file: Option<PathBuf>) -> PassphraseSources {
        PassphraseSources { file, environment: std::env::var(PASSPHRASE_ENV).ok() }
    }

    /// The passphrase given explicitly: the file's first line, else the environment's.
    pub fn explicit(&self) -> Result<Option<(Passphrase, PassphraseOrigin)>> {
        if let Some(path) = &self.file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::PassphraseUnavailable(format!("could not read the passphrase file {} ({e})", path.display()))
            })?;
            let line = text.lines().next().unwrap_or_default();
            return Ok(Some((Passphrase::from(line), PassphraseOrigin::File)));
        }
        Ok(self.environment.as_deref().map(|text| (Passphrase::from(text), PassphraseOrigin::Environment)))
    }

    /// The passphrase to unlock a key: given explicitly, else what `keyring` recalls
    /// for it, else what `prompt` asks. `keyring` runs only when nothing was given, so
    /// a script with the environment set never reaches for the OS keyring.
    pub fn to_unlock(
        &self,
        keyring: impl FnOnce() -> Option<Passphrase>,
        prompt: impl FnOnce() -> Result<Passphrase>,
    ) -> Result<(Passphrase, PassphraseOrigin)> {
        if let Some(found) = self.explicit()? {
            return Ok(found);
        }
        if let Some(pass) = keyring() {
            return Ok((pass, PassphraseOrigin::Keyring));
        }
        Ok((prompt()?, PassphraseOrigin::Prompt))
    }

    /// The passphrase for a key about to be made or imported: given explicitly, else
    /// asked (the keyring knows no passphrase for a key it has not seen).
    pub fn for_new_key(&self, prompt: impl FnOnce() -> Result<Passphrase>) -> Result<Passphrase> {
        match self.explicit()? {
            Some((pass, _)) => Ok(pass),
            None => prompt(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked() -> Result<Passphrase> {
        Ok(Passphrase::from("typed"))
    }

    #[test]
    fn the_file_comes_before_the_environment_the_keyring_and_the_prompt() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pass");
        std::fs::write(&file, "from file\nsecond line\n").unwrap();
        let sources = PassphraseSources { file: Some(file), environment: Some("from env".into()) };
        let (pass, origin) = sources.to_unlock(|| panic!("the keyring is not asked"), asked).unwrap();
        assert_eq!((pass, origin), (Passphrase::from("from file"), PassphraseOrigin::File));
    }

    #[test]
    fn the_environment_comes_before_the_keyring_and_the_keyring_before_the_prompt() {
        let env = PassphraseSources { file: None, environment: Some("from env".into()) };
        let found = env.to_unlock(|| panic!("the keyring is not asked"), asked).unwrap();
        assert_eq!(found, (Passphrase::from("from env"), PassphraseOrigin::Environment));

        let nothing = PassphraseSources::default();
        let found = nothing.to_unlock(|| Some(Passphrase::from("kept")), asked).unwrap();
        assert_eq!(found, (Passphrase::from("kept"), PassphraseOrigin::Keyring));
        let found = nothing.to_unlock(|| None, asked).unwrap();
        assert_eq!(found, (Passphrase::from("typed"), PassphraseOrigin::Prompt));
        assert!(matches!(nothing.to_unlock(|| None, || Err(Error::NoPassphrase)), Err(Error::NoPassphrase)));
    }

    #[test]
    fn an_unreadable_file_says_which_and_is_not_passed_over() {
        let sources = PassphraseSources { file: Some("/nowhere/pass".into()), environment: Some("env".into()) };
        let err = sources.to_unlock(|| None, asked).unwrap_err();
        assert!(err.to_string().contains("/nowhere/pass"), "{err}");
    }
}
