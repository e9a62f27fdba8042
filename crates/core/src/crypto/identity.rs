//! Who a member is: their key's fingerprint and the name and email of its user ID.

use crate::base::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An OpenPGP fingerprint: upper-case hex, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Parses a fingerprint as people paste it: any case, spaces allowed.
    pub fn parse(text: &str) -> Result<Fingerprint> {
        let hex: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
        if (hex.len() == 40 || hex.len() == 64) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(Fingerprint(hex))
        } else {
            Err(Error::invalid(
                "fingerprint",
                text,
                "expected 40 (or 64) hexadecimal digits, as `countersign key export` or `gpg -k` shows",
            ))
        }
    }

    /// The full fingerprint.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last 16 digits (the key ID), for compact display.
    pub fn short(&self) -> &str {
        &self.0[self.0.len().saturating_sub(16)..]
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Splits `Name <email>` into its parts.
pub(crate) fn split_user_id(uid: &str) -> (Option<String>, Option<String>) {
    match (uid.find('<'), uid.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            let name = uid[..open].trim();
            let email = uid[open + 1..close].trim();
            ((!name.is_empty()).then(|| name.to_string()), (!email.is_empty()).then(|| email.to_string()))
        }
        _ if uid.contains('@') => (None, Some(uid.trim().to_string())),
        _ => ((!uid.trim().is_empty()).then(|| uid.trim().to_string()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_split_into_name_and_email() {
        assert_eq!(
            split_user_id("Alice Doe <alice@example.org>"),
            (Some("Alice Doe".into()), Some("alice@example.org".into()))
        );
        assert_eq!(split_user_id("bob@example.org"), (None, Some("bob@example.org".into())));
        assert_eq!(split_user_id("Carol"), (Some("Carol".into()), None));
    }
}
