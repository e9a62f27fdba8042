//! Money: exact decimal amounts with an ISO 4217 currency, never floats.
//!
//! Amounts travel in operations and JSON as decimal strings. The database stores them
//! as integers of ten-thousandths of the currency unit ([`SCALE`] decimals), so SQLite
//! sums a million of them exactly and fast; [`to_units`] refuses anything finer rather
//! than round it.

use crate::base::error::{Error, Result};
use rust_decimal::Decimal;

/// Decimal places kept in the database: every currency's minor unit fits (the finest,
/// e.g. the Chilean UF, has four).
pub const SCALE: u32 = 4;

/// Parses an amount as people type it: `1500`, `1500.50`, `1,500.50` or, Dutch,
/// `1.500,50` and `12,5`. With both separators the last one is the decimal mark; a
/// lone comma is a decimal mark. The amount must be positive.
pub fn parse_amount(text: &str) -> Result<Decimal> {
    let t: String = text.trim().chars().filter(|c| !c.is_whitespace() && *c != '€').collect();
    // `1,500` and `1.500` mean 1500 to some readers and 1.5 to others: refuse rather
    // than guess with money.
    let single = t.matches(['.', ',']).count() == 1;
    if single && t.rsplit(['.', ',']).next().is_some_and(|tail| tail.len() == 3) {
        return Err(Error::invalid(
            "amount",
            text,
            "it is ambiguous (thousands or decimals?); write 1500 or 1500.00 (or 1.500,00)",
        ));
    }
    let normalised = match (t.rfind('.'), t.rfind(',')) {
        (Some(dot), Some(comma)) if comma > dot => t.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => t.replace(',', ""),
        (None, Some(_)) => t.replace(',', "."),
        _ => t,
    };
    let bad = || Error::invalid("amount", text, "expected a number such as 1500 or 1500.00 (or 1.500,00)");
    if normalised.is_empty() || !normalised.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(bad());
    }
    let amount: Decimal = normalised.parse().map_err(|_| bad())?;
    if amount <= Decimal::ZERO {
        return Err(Error::invalid("amount", text, "the amount must be more than zero"));
    }
    if to_units(amount).is_none() {
        return Err(Error::invalid("amount", text, format!("at most {SCALE} decimals")));
    }
    Ok(amount.normalize())
}

/// Parses a machine-written amount as exports give it: optional minus, digits, an
/// optional dot and decimals (`-25.00`, `1234.5`). No separators, no exponent.
pub fn parse_plain(text: &str) -> Option<Decimal> {
    let t = text.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    if int.is_empty()
        || frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let amount: Decimal = t.parse().ok()?;
    to_units(amount).map(|_| amount)
}

/// Checks a currency code against ISO 4217 and returns it upper-cased.
pub fn currency(text: &str) -> Result<String> {
    let code = text.trim().to_uppercase();
    if iso_currency::Currency::from_code(&code).is_some() {
        Ok(code)
    } else {
        Err(Error::invalid("currency", text, "expected an ISO 4217 currency code such as EUR or USD"))
    }
}

/// The amount in ten-thousandths, or `None` if it has more than [`SCALE`] decimals or
/// does not fit.
pub fn to_units(amount: Decimal) -> Option<i64> {
    let scaled = amount.checked_mul(Decimal::from(10_i64.pow(SCALE)))?;
    if scaled.fract() != Decimal::ZERO {
        return None;
    }
    i64::try_from(scaled.trunc()).ok()
}

/// The amount that [`to_units`] gave `units` for.
pub fn from_units(units: i64) -> Decimal {
    Decimal::new(units, SCALE)
}

/// The canonical text of an amount: at least two decimals, no trailing zeros beyond
/// them (`25.00`, `-3.50`, `0.1234`). The same amount always gives the same text.
pub fn format(amount: Decimal) -> String {
    let mut amount = amount.normalize();
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    amount.to_string()
}

/// [`format`] of an amount in ten-thousandths.
pub fn format_units(units: i64) -> String {
    format(from_units(units))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_as_people_type_them() {
        for (text, want) in [
            ("1500", "1500"),
            ("1500.50", "1500.5"),
            ("1.500,50", "1500.5"),
            ("1,500.50", "1500.5"),
            ("12,5", "12.5"),
            ("€ 2000", "2000"),
        ] {
            assert_eq!(parse_amount(text).unwrap().to_string(), want, "{text}");
        }
        for bad in ["", "abc", "-5", "0", "1.2.3", "1e5", "1,500", "1.500", "0.00001"] {
            assert!(parse_amount(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn exported_amounts_are_exact_and_keep_one_text() {
        for (text, units, shown) in
            [("-25.00", -250_000, "-25.00"), ("1234.5", 12_345_000, "1234.50"), ("0.1234", 1234, "0.1234")]
        {
            let amount = parse_plain(text).unwrap();
            assert_eq!(to_units(amount), Some(units));
            assert_eq!(format_units(units), shown);
            assert_eq!(format(amount), shown);
        }
        for bad in ["", "1,5", "1e3", "€5", "--1", "1.", ".5", "0.00001", "12 000"] {
            assert!(parse_plain(bad).is_none(), "{bad} parsed");
        }
    }

    #[test]
    fn currencies_are_iso_4217_codes() {
        assert_eq!(currency(" eur ").unwrap(), "EUR");
        assert_eq!(currency("USD").unwrap(), "USD");
        assert!(currency("EUX").is_err());
        assert!(currency("euros").is_err());
    }
}
