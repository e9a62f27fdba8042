//! Countersign's core: everything that matters, with no GUI, Tauri or CLI in sight.
//!
//! A member's [`Home`] holds their OpenPGP key, the append-only log of
//! [`Operation`]s and the SQLite view derived from it. Every change a member makes
//! becomes an operation: canonically encoded ([`canonical`]), appended to the log
//! ([`oplog`]) and applied to the database ([`store`]) with a per-field
//! last-writer-wins merge ordered by hybrid logical clock, then author.
//! Operations travel between members as signed, encrypted bundles through a shared
//! folder ([`workspace`], [`sync`], [`envelope`], [`bundle`]).
//! The CLI and the desktop shell are adapters over the functions here.

/// Declares an enum of fixed words (kinds, stages, roles): serialised as its word,
/// parsed from any case with spaces or underscores for hyphens, listed in `ALL`.
macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize, ::ts_rs::TS)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as written in operations, the CLI and JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::Error;
            /// Accepts any case, and spaces or underscores for hyphens.
            fn from_str(text: &str) -> $crate::Result<Self> {
                let wanted = text.trim().to_lowercase().replace([' ', '_'], "-");
                $name::ALL.iter().copied().find(|v| v.as_str() == wanted).ok_or_else(|| {
                    let names: Vec<_> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    $crate::Error::invalid($what, text, format!("expected one of {}", names.join(", ")))
                })
            }
        }
    };
}

pub mod bindings;
pub mod bundle;
pub mod canonical;
pub mod clock;
pub mod decision;
pub mod demo;
pub mod eboekhouden;
pub mod envelope;
pub mod error;
pub mod export;
pub mod finance;
pub mod governance;
pub mod home;
pub mod key;
pub mod keyring;
pub mod money;
pub mod opencollective;
pub mod operation;
pub mod oplog;
pub mod overview;
pub mod partner;
pub mod report;
pub mod roster;
pub mod rules;
pub mod scope;
pub mod share;
pub mod store;
pub mod sync;
pub mod vault;
pub mod verify;
pub mod workspace;

pub use clock::{Clock, FixedClock, Hlc, SystemClock};
pub use error::{Error, Result};
pub use home::Home;
pub use operation::{Fingerprint, OpBody, OpId, Operation};
