//! Countersign's core: everything that matters, with no GUI, Tauri or CLI in sight.
//!
//! A member's [`Home`] holds their OpenPGP key, the append-only log of
//! [`Operation`]s and the SQLite view derived from it. Every change a member makes
//! becomes an operation: canonically encoded ([`canonical`]), appended to the log
//! ([`oplog`]) and applied to the database ([`store`]) with a per-field
//! last-writer-wins merge ordered by hybrid logical clock, then author.
//! The CLI and the desktop shell are adapters over the functions here.

pub mod bindings;
pub mod canonical;
pub mod clock;
pub mod demo;
pub mod error;
pub mod home;
pub mod key;
pub mod keyring;
pub mod operation;
pub mod oplog;
pub mod partner;
pub mod store;

pub use clock::{Clock, FixedClock, Hlc, SystemClock};
pub use error::{Error, Result};
pub use home::Home;
pub use operation::{Fingerprint, OpBody, OpId, Operation};
