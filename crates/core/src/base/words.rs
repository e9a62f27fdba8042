//! Fixed words (kinds, stages, roles, choices) as enums, written one way everywhere.

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
            type Err = $crate::base::error::Error;
            /// Accepts any case, and spaces or underscores for hyphens.
            fn from_str(text: &str) -> $crate::base::error::Result<Self> {
                let wanted = text.trim().to_lowercase().replace([' ', '_'], "-");
                $name::ALL.iter().copied().find(|v| v.as_str() == wanted).ok_or_else(|| {
                    let names: Vec<_> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    $crate::base::error::Error::invalid($what, text, format!("expected one of {}", names.join(", ")))
                })
            }
        }
    };
}
