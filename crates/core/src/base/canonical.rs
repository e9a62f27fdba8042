//! Canonical encoding: the same value always gives the same bytes, whatever the
//! platform, the serde_json features in the build, or the order fields were set in.
//!
//! The encoding is JSON with: object keys sorted by their UTF-8 bytes, no white space,
//! integers only (no fractions or exponents; money travels as decimal strings), strings
//! escaped as serde_json does (`"`, `\`, and control characters; everything else as
//! UTF-8). It is the subset of RFC 8785 (JCS) without floating-point numbers.
//! docs/bundle-format.md, first section, specifies it for independent readers.

use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

/// Why bytes could not be read as a canonical value.
#[derive(Debug, thiserror::Error)]
pub enum CanonicalError {
    /// The bytes are not JSON of the expected shape.
    #[error("not valid JSON of the expected shape: {0}")]
    Json(#[from] serde_json::Error),
    /// The value holds a number with a fraction or exponent.
    #[error("a number with a fraction or exponent; amounts must be decimal strings")]
    Fraction,
    /// Valid JSON, but not in canonical form (key order, spacing or escaping differ).
    #[error("the JSON is not in canonical form")]
    NotCanonical,
}

/// Encodes `value` canonically.
pub fn to_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let value = serde_json::to_value(value)?;
    let mut out = Vec::with_capacity(256);
    write_value(&value, &mut out)?;
    Ok(out)
}

/// Decodes canonical bytes, refusing any encoding other than the canonical one, so
/// that one value has exactly one byte form and hashes over bytes are meaningful.
pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CanonicalError> {
    Ok(serde_json::from_value(value_from_bytes(bytes)?)?)
}

/// Parses canonical bytes into a JSON value, refusing any other encoding.
pub fn value_from_bytes(bytes: &[u8]) -> Result<Value, CanonicalError> {
    let value: Value = serde_json::from_slice(bytes)?;
    let mut again = Vec::with_capacity(bytes.len());
    write_value(&value, &mut again)?;
    if again != bytes {
        return Err(CanonicalError::NotCanonical);
    }
    Ok(value)
}

/// Encodes a JSON value canonically (cheaper than [`to_bytes`] when the value is
/// already parsed).
pub fn value_to_bytes(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    write_value(value, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            if n.is_f64() {
                return Err(CanonicalError::Fraction);
            }
            out.extend_from_slice(n.to_string().as_bytes());
        }
        Value::String(s) => serde_json::to_writer(&mut *out, s)?,
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // Sorted here rather than trusting the map's order: another crate in the
            // build may switch serde_json to insertion order ("preserve_order").
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key)?;
                out.push(b':');
                write_value(item, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_there_is_no_white_space() {
        let bytes = to_bytes(&json!({"b": 1, "a": [true, null, "x\n"], "A": {"z": -2, "y": "é"}})).unwrap();
        expect_test::expect![[r#"{"A":{"y":"é","z":-2},"a":[true,null,"x\n"],"b":1}"#]]
            .assert_eq(std::str::from_utf8(&bytes).unwrap());
    }

    #[test]
    fn non_canonical_spellings_of_the_same_value_are_refused() {
        for text in [r#"{"b":1,"a":2}"#, r#"{"a": 2}"#, r#"{"a":"\u0041"}"#, " {}"] {
            let result: Result<Value, _> = from_bytes(text.as_bytes());
            assert!(matches!(result, Err(CanonicalError::NotCanonical)), "{text}");
        }
        assert!(matches!(from_bytes::<Value>(b"{\"a\":1.5}"), Err(CanonicalError::Fraction)));
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn encoding_round_trips_and_is_a_fixed_point(value in json_value()) {
            let bytes = to_bytes(&value).unwrap();
            let back: Value = from_bytes(&bytes).unwrap();
            prop_assert_eq!(&back, &value);
            prop_assert_eq!(to_bytes(&back).unwrap(), bytes);
        }
    }
}
