//! Money: `rust_decimal::Decimal` in code, BIGINT kopecks in the database, a string with two
//! decimals in JSON ("1234.50"). Never f64.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// Largest amount accepted from outside: 10^13 roubles, far below i64 kopecks.
const MAX_UNITS: i64 = 9_999_999_999_999;

/// A non-negative amount of roubles with at most two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    pub fn from_minor(minor: i64) -> Money {
        Money(Decimal::new(minor, 2))
    }

    /// Kopecks. Exact: a `Money` never carries more than two decimals.
    pub fn minor(&self) -> i64 {
        let mut d = self.0;
        d.rescale(2);
        i64::try_from(d.mantissa()).expect("money fits in i64 kopecks")
    }

    pub fn decimal(&self) -> Decimal {
        self.0
    }

    /// Parses "1234", "1234.5" or "1234.50"; rejects more than two decimals, signs and exponents.
    pub fn parse(s: &str) -> Result<Money, &'static str> {
        let s = s.trim();
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty()
            || int.len() > 13
            || !int.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || (s.contains('.') && frac.is_empty())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(
                "must be a non-negative amount with at most two decimals, e.g. \"1234.50\"",
            );
        }
        let mut d: Decimal = s.parse().map_err(|_| "is not a valid amount")?;
        d.rescale(2);
        if d.trunc() > Decimal::from(MAX_UNITS) {
            return Err("is too large");
        }
        Ok(Money(d))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = self.0;
        d.rescale(2);
        write!(f, "{d}")
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Money::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl PartialSchema for Money {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .pattern(Some(r"^[0-9]{1,13}(\.[0-9]{1,2})?$"))
            .description(Some(
                "Amount in roubles as a decimal string with up to two decimals",
            ))
            .examples([serde_json::json!("1234.50")])
            .into()
    }
}

impl ToSchema for Money {}

/// A signed amount (ledger entries, balances, adjustments): like `Money`, with an optional `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SignedMoney(Decimal);

impl SignedMoney {
    pub fn from_minor(minor: i64) -> SignedMoney {
        SignedMoney(Decimal::new(minor, 2))
    }

    pub fn minor(&self) -> i64 {
        let mut d = self.0;
        d.rescale(2);
        i64::try_from(d.mantissa()).expect("money fits in i64 kopecks")
    }

    pub fn parse(s: &str) -> Result<SignedMoney, &'static str> {
        let s = s.trim();
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let m = Money::parse(digits)?;
        Ok(SignedMoney(if negative { -m.0 } else { m.0 }))
    }
}

impl fmt::Display for SignedMoney {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = self.0;
        d.rescale(2);
        write!(f, "{d}")
    }
}

impl Serialize for SignedMoney {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SignedMoney {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SignedMoney::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl PartialSchema for SignedMoney {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .pattern(Some(r"^-?[0-9]{1,13}(\.[0-9]{1,2})?$"))
            .description(Some(
                "Signed amount in roubles as a decimal string with up to two decimals",
            ))
            .examples([serde_json::json!("-1234.50")])
            .into()
    }
}

impl ToSchema for SignedMoney {}

/// `value × num / den` rounded half-up, for non-negative inputs, in i128 so it cannot overflow.
pub fn mul_div_half_up(value: i64, num: i64, den: i64) -> i64 {
    debug_assert!(value >= 0 && num >= 0 && den > 0);
    let n = value as i128 * num as i128;
    let d = den as i128;
    ((n + d / 2) / d) as i64
}

/// `bp` basis points of an amount in minor units, rounded half-up to the kopeck.
pub fn bp_of(minor: i64, bp: i64) -> i64 {
    mul_div_half_up(minor, bp, 10_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_two_decimals() {
        assert_eq!(Money::parse("12").unwrap().to_string(), "12.00");
        assert_eq!(Money::parse("12.5").unwrap().minor(), 1250);
        assert_eq!(Money::parse("0.01").unwrap().minor(), 1);
        assert_eq!(Money::from_minor(123456).to_string(), "1234.56");
        for bad in [
            "",
            "-1",
            "1.234",
            "1e3",
            "1.",
            ".5",
            "abc",
            "99999999999999",
        ] {
            assert!(Money::parse(bad).is_err(), "{bad}");
        }
    }
}
