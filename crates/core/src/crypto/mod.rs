pub mod envelope;
pub(crate) mod identity;
pub(crate) mod key;
pub(crate) mod keyring;
pub(crate) mod passphrase_sources;
pub(crate) mod vault;
