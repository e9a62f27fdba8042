//! The base layer: encodings, time, errors, money and file writes; imports nothing
//! of the core.

#[macro_use]
pub(crate) mod words;
pub mod canonical;
pub(crate) mod clock;
pub(crate) mod error;
pub(crate) mod files;
pub(crate) mod money;
