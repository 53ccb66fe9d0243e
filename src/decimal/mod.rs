//! Exact decimal numbers with Postgres `numeric` semantics, for the values
//! SQLite cannot hold: a quotient to 20 significant digits, an average, a
//! square root to 16.
//!
//! A [`Decimal`] is an integer mantissa and a display scale (Postgres's
//! `dscale`: the digits after the point it prints, trailing zeros
//! included). The operations follow `numeric.c` of Postgres 15: `+`/`-`
//! keep the larger scale, `*` adds the scales, `/` picks its scale with
//! `select_div_scale` (at least `NUMERIC_MIN_SIG_DIGITS` = 16 significant
//! digits), and every rounding is half away from zero. Transcendental
//! functions are in [`transcendental`]. Nothing here knows about SQLite or
//! the wire; `sql::functions::numeric` and `wire::encode` use it.

mod transcendental;

use std::cmp::Ordering;
use std::fmt;

use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};

pub use transcendental::{exp, ln, log, power, sqrt};

/// Significant digits Postgres gives a result whose scale it chooses.
pub const MIN_SIG_DIGITS: i64 = 16;
/// The largest display scale Postgres chooses for a computed result.
pub const MAX_DISPLAY_SCALE: i64 = 1000;
/// Decimal digits before the point a numeric can hold (weight 32767 in base 10000).
const MAX_INTEGER_DIGITS: i64 = 131_072;
/// Exponents accepted in input (`1e1000`), as Postgres's `NUMERIC_MAX_PRECISION`.
const MAX_INPUT_EXPONENT: i64 = 1000;

/// Why an operation has no result, in Postgres's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    DivisionByZero,
    /// `value overflows numeric format`.
    Overflow,
    /// A value that does not fit a `numeric(p,s)`.
    FieldOverflow,
    /// A value that does not fit an integer type of this many bits.
    IntegerOutOfRange(u32),
    InvalidInput(String),
    LogOfZero,
    LogOfNegative,
    SqrtOfNegative,
    ZeroToNegativePower,
    ComplexPower,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::DivisionByZero => f.write_str("division by zero"),
            Error::Overflow => f.write_str("value overflows numeric format"),
            Error::FieldOverflow => f.write_str("numeric field overflow"),
            Error::IntegerOutOfRange(16) => f.write_str("smallint out of range"),
            Error::IntegerOutOfRange(32) => f.write_str("integer out of range"),
            Error::IntegerOutOfRange(_) => f.write_str("bigint out of range"),
            Error::InvalidInput(text) => {
                write!(f, "invalid input syntax for type numeric: \"{text}\"")
            }
            Error::LogOfZero => f.write_str("cannot take logarithm of zero"),
            Error::LogOfNegative => f.write_str("cannot take logarithm of a negative number"),
            Error::SqrtOfNegative => f.write_str("cannot take square root of a negative number"),
            Error::ZeroToNegativePower => {
                f.write_str("zero raised to a negative power is undefined")
            }
            Error::ComplexPower => f.write_str(
                "a negative number raised to a non-integer power yields a complex result",
            ),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// `mantissa / 10^scale`, printed with exactly `scale` decimals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    mantissa: BigInt,
    scale: u32,
}

/// `10^n`.
pub(crate) fn pow10(n: u32) -> BigInt {
    num_traits::pow(BigInt::from(10u32), n as usize)
}

/// `num / den` rounded half away from zero.
pub(crate) fn div_round(num: &BigInt, den: &BigInt) -> BigInt {
    let (q, r) = num.div_rem(den);
    if (r.abs() << 1) >= den.abs() {
        if num.is_negative() == den.is_negative() {
            q + 1
        } else {
            q - 1
        }
    } else {
        q
    }
}

fn clamp_scale(scale: i64) -> u32 {
    scale.clamp(0, MAX_DISPLAY_SCALE) as u32
}

impl Decimal {
    pub fn new(mantissa: BigInt, scale: u32) -> Decimal {
        Decimal { mantissa, scale }
    }

    pub fn zero(scale: u32) -> Decimal {
        Decimal::new(BigInt::zero(), scale)
    }

    pub fn from_i64(value: i64) -> Decimal {
        Decimal::new(BigInt::from(value), 0)
    }

    pub fn from_i128(value: i128) -> Decimal {
        Decimal::new(BigInt::from(value), 0)
    }

    /// A double as its shortest round-trip decimal (`0.1`, not
    /// `0.1000000000000000055511151231257827`): what a REAL that SQLite
    /// made of a decimal literal or a `NUMERIC` column value stands for.
    pub fn from_f64(value: f64) -> Option<Decimal> {
        // Rust prints the shortest digits that round-trip, never in
        // exponent form.
        value
            .is_finite()
            .then(|| Decimal::parse(&value.to_string()).ok())?
    }

    /// Postgres's numeric input: `[+-]digits[.digits][e[+-]digits]`,
    /// surrounding spaces allowed; the scale is the digits after the point
    /// less the exponent (`1.50` has scale 2, `1.5e3` scale 0).
    pub fn parse(text: &str) -> Result<Decimal> {
        let invalid = || Error::InvalidInput(text.to_owned());
        let trimmed = text.trim();
        let (negative, rest) = match trimmed.as_bytes().first() {
            Some(b'-') => (true, &trimmed[1..]),
            Some(b'+') => (false, &trimmed[1..]),
            _ => (false, trimmed),
        };
        let (number, exponent) = match rest.find(['e', 'E']) {
            Some(at) => {
                let exponent: i64 = rest[at + 1..].parse().map_err(|_| invalid())?;
                if exponent.abs() > MAX_INPUT_EXPONENT {
                    return Err(invalid());
                }
                (&rest[..at], exponent)
            }
            None => (rest, 0),
        };
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
            return Err(invalid());
        }
        let digits = format!("{int}{frac}");
        let mut mantissa: BigInt = digits.parse().map_err(|_| invalid())?;
        let mut scale = frac.len() as i64 - exponent;
        if scale < 0 {
            mantissa *= pow10((-scale) as u32);
            scale = 0;
        }
        if negative {
            mantissa = -mantissa;
        }
        Ok(Decimal::new(mantissa, scale as u32))
    }

    pub fn scale(&self) -> u32 {
        self.scale
    }

    pub fn mantissa(&self) -> &BigInt {
        &self.mantissa
    }

    pub fn is_zero(&self) -> bool {
        self.mantissa.is_zero()
    }

    pub fn is_negative(&self) -> bool {
        self.mantissa.is_negative()
    }

    /// Whether the value is a whole number (whatever its scale).
    pub fn is_integer(&self) -> bool {
        (&self.mantissa % pow10(self.scale)).is_zero()
    }

    /// The mantissa at scale `scale` (which must not be below ours).
    fn mantissa_at(&self, scale: u32) -> BigInt {
        &self.mantissa * pow10(scale - self.scale)
    }

    /// Rounds (half away from zero) or pads to `scale` decimals; a negative
    /// `scale` rounds to tens, hundreds... and leaves scale 0.
    pub fn round(&self, scale: i64) -> Decimal {
        self.rescale(scale, div_round)
    }

    /// Like [`Decimal::round`], truncating toward zero.
    pub fn trunc(&self, scale: i64) -> Decimal {
        self.rescale(scale, |n, d| n / d)
    }

    fn rescale(&self, scale: i64, divide: impl Fn(&BigInt, &BigInt) -> BigInt) -> Decimal {
        let scale = scale.clamp(-MAX_DISPLAY_SCALE, MAX_DISPLAY_SCALE);
        if scale >= i64::from(self.scale) {
            return Decimal::new(self.mantissa_at(scale as u32), scale as u32);
        }
        let drop = (i64::from(self.scale) - scale) as u32;
        let kept = divide(&self.mantissa, &pow10(drop));
        if scale >= 0 {
            Decimal::new(kept, scale as u32)
        } else {
            Decimal::new(kept * pow10((-scale) as u32), 0)
        }
    }

    pub fn floor(&self) -> Decimal {
        Decimal::new(self.mantissa.div_floor(&pow10(self.scale)), 0)
    }

    pub fn ceil(&self) -> Decimal {
        Decimal::new(-(-&self.mantissa).div_floor(&pow10(self.scale)), 0)
    }

    pub fn neg(&self) -> Decimal {
        Decimal::new(-&self.mantissa, self.scale)
    }

    pub fn abs(&self) -> Decimal {
        Decimal::new(self.mantissa.abs(), self.scale)
    }

    /// -1, 0 or 1, as Postgres's `sign(numeric)` (scale 0).
    pub fn signum(&self) -> Decimal {
        Decimal::new(self.mantissa.signum(), 0)
    }

    pub fn add(&self, other: &Decimal) -> Decimal {
        let scale = self.scale.max(other.scale);
        Decimal::new(self.mantissa_at(scale) + other.mantissa_at(scale), scale)
    }

    pub fn sub(&self, other: &Decimal) -> Decimal {
        self.add(&other.neg())
    }

    /// The exact product; its scale is the sum of the scales.
    pub fn mul(&self, other: &Decimal) -> Decimal {
        Decimal::new(&self.mantissa * &other.mantissa, self.scale + other.scale)
    }

    /// The quotient at Postgres's display scale (`select_div_scale`).
    pub fn div(&self, other: &Decimal) -> Result<Decimal> {
        self.div_at(other, div_scale(self, other))
    }

    /// The quotient rounded to `scale` decimals.
    pub fn div_at(&self, other: &Decimal, scale: u32) -> Result<Decimal> {
        if other.is_zero() {
            return Err(Error::DivisionByZero);
        }
        // self / other = m1 * 10^(s2 - s1) / m2; scaled by 10^scale.
        let shift = i64::from(scale) + i64::from(other.scale) - i64::from(self.scale);
        let (num, den) = if shift >= 0 {
            (&self.mantissa * pow10(shift as u32), other.mantissa.clone())
        } else {
            (
                self.mantissa.clone(),
                &other.mantissa * pow10((-shift) as u32),
            )
        };
        Decimal::new(div_round(&num, &den), scale).checked()
    }

    /// The remainder of truncating division (sign of the dividend), at the
    /// larger scale, as Postgres's `mod_var`.
    pub fn rem(&self, other: &Decimal) -> Result<Decimal> {
        if other.is_zero() {
            return Err(Error::DivisionByZero);
        }
        let scale = self.scale.max(other.scale);
        Ok(Decimal::new(
            self.mantissa_at(scale) % other.mantissa_at(scale),
            scale,
        ))
    }

    /// Value comparison (`1.5` equals `1.50`).
    pub fn cmp_value(&self, other: &Decimal) -> Ordering {
        let scale = self.scale.max(other.scale);
        self.mantissa_at(scale).cmp(&other.mantissa_at(scale))
    }

    /// Rounded half away from zero to an integer of `bits` bits.
    pub fn to_int(&self, bits: u32) -> Result<i64> {
        let rounded = self.round(0).mantissa;
        let value = rounded.to_i64().ok_or(Error::IntegerOutOfRange(bits))?;
        let fits = match bits {
            16 => i16::try_from(value).is_ok(),
            32 => i32::try_from(value).is_ok(),
            _ => true,
        };
        fits.then_some(value).ok_or(Error::IntegerOutOfRange(bits))
    }

    /// The nearest double.
    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// `numeric(precision, scale)`: rounded to `scale`, and an error unless
    /// the result is below 10^(precision - scale).
    pub fn with_typmod(&self, precision: u32, scale: u32) -> Result<Decimal> {
        let rounded = self.round(i64::from(scale));
        let limit = pow10(precision.saturating_sub(scale) + scale);
        if rounded.mantissa.abs() >= limit {
            return Err(Error::FieldOverflow);
        }
        Ok(rounded)
    }

    /// The decimal exponent of the leading digit (`123.4` -> 2, `0.05` ->
    /// -2), `None` for zero.
    pub(crate) fn exponent(&self) -> Option<i64> {
        let digits = self.mantissa.magnitude().to_string();
        (!self.is_zero()).then(|| digits.len() as i64 - 1 - i64::from(self.scale))
    }

    /// Postgres's base-10000 `weight` and the first `count` base-10000
    /// digits (zeros past the last), as its scale choices read them; zero
    /// has weight 0 and no digits.
    pub(crate) fn nbase_digits(&self, count: usize) -> (i64, Vec<u32>) {
        let Some(exponent) = self.exponent() else {
            return (0, Vec::new());
        };
        let weight = exponent.div_euclid(4);
        let digits = self.mantissa.magnitude().to_string();
        // Decimal digits of the leading base-10000 digit, then 4 per digit.
        let lead = (exponent - 4 * weight + 1) as usize;
        let mut padded = digits.clone();
        let wanted = lead + 4 * count.saturating_sub(1);
        while padded.len() < wanted {
            padded.push('0');
        }
        let mut out = vec![padded[..lead].parse().unwrap_or(0)];
        let mut at = lead;
        while out.len() < count {
            out.push(padded[at..at + 4].parse().unwrap_or(0));
            at += 4;
        }
        (weight, out)
    }

    /// An error if the value has more digits before the point than Postgres
    /// can store.
    pub(crate) fn checked(self) -> Result<Decimal> {
        match self.exponent() {
            Some(e) if e >= MAX_INTEGER_DIGITS => Err(Error::Overflow),
            _ => Ok(self),
        }
    }

    /// Postgres's binary `numeric` (numeric_send): ndigits, weight, sign,
    /// dscale, then the base-10000 digits without leading or trailing zeros.
    pub fn to_pg_binary(&self) -> Vec<u8> {
        let text = self.mantissa.magnitude().to_string();
        let scale = self.scale as usize;
        let padded = format!("{text:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        // Align both parts on base-10000 digit boundaries.
        let int = format!("{int:0>width$}", width = int.len().div_ceil(4) * 4);
        let frac = format!("{frac:0<width$}", width = frac.len().div_ceil(4) * 4);
        let groups: Vec<i16> = int
            .as_bytes()
            .chunks(4)
            .chain(frac.as_bytes().chunks(4))
            .map(|g| std::str::from_utf8(g).unwrap_or("0").parse().unwrap_or(0))
            .collect();
        let mut weight = (int.len() / 4) as i64 - 1;
        let first = groups.iter().position(|g| *g != 0);
        let last = groups.iter().rposition(|g| *g != 0);
        let digits = match (first, last) {
            (Some(first), Some(last)) => {
                weight -= first as i64;
                &groups[first..=last]
            }
            _ => {
                weight = 0;
                &groups[..0]
            }
        };
        let sign: u16 = if self.is_negative() { 0x4000 } else { 0 };
        let mut out = Vec::with_capacity(8 + 2 * digits.len());
        out.extend_from_slice(&(digits.len() as i16).to_be_bytes());
        out.extend_from_slice(&(weight as i16).to_be_bytes());
        out.extend_from_slice(&sign.to_be_bytes());
        out.extend_from_slice(&(self.scale as u16).to_be_bytes());
        for digit in digits {
            out.extend_from_slice(&digit.to_be_bytes());
        }
        out
    }

    /// Reads Postgres's binary `numeric` (numeric_recv).
    pub fn from_pg_binary(bytes: &[u8]) -> Result<Decimal> {
        let invalid = || Error::InvalidInput("binary numeric".into());
        let word = |i: usize| -> Result<u16> {
            bytes
                .get(2 * i..2 * i + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
                .ok_or_else(invalid)
        };
        let (ndigits, weight, sign, dscale) = (word(0)?, word(1)? as i16, word(2)?, word(3)?);
        if sign != 0 && sign != 0x4000 {
            return Err(invalid());
        }
        let mut mantissa = BigInt::zero();
        for i in 0..usize::from(ndigits) {
            mantissa = mantissa * 10_000u32 + word(4 + i)?;
        }
        // The digits stand for mantissa * 10000^(weight - ndigits + 1).
        let exponent = 4 * (i64::from(weight) - i64::from(ndigits) + 1);
        let value = if exponent >= 0 {
            Decimal::new(mantissa * pow10(exponent as u32), 0)
        } else {
            Decimal::new(mantissa, (-exponent) as u32)
        };
        let value = value.round(i64::from(dscale));
        Ok(if sign == 0x4000 { value.neg() } else { value })
    }
}

/// Postgres's `select_div_scale`: enough decimals for 16 significant digits
/// of the quotient (estimated from the leading base-10000 digits), and no
/// fewer than either operand's.
pub fn div_scale(dividend: &Decimal, divisor: &Decimal) -> u32 {
    let first = |d: &Decimal| {
        let (weight, digits) = d.nbase_digits(1);
        (weight, digits.first().copied().unwrap_or(0))
    };
    let ((w1, f1), (w2, f2)) = (first(dividend), first(divisor));
    let mut qweight = w1 - w2;
    if f1 <= f2 {
        qweight -= 1;
    }
    let scale = (MIN_SIG_DIGITS - qweight * 4)
        .max(i64::from(dividend.scale))
        .max(i64::from(divisor.scale));
    clamp_scale(scale)
}

impl fmt::Display for Decimal {
    /// Postgres's numeric output: all `scale` decimals, no sign on zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.magnitude().to_string();
        if self.mantissa.sign() == Sign::Minus {
            f.write_str("-")?;
        }
        if self.scale == 0 {
            return f.write_str(&digits);
        }
        let scale = self.scale as usize;
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{int}.{frac}")
    }
}

/// Orders two numeric texts by value without building numbers (the
/// `pg_numeric` collation runs this for every comparison of a sort).
/// Texts that are not plain decimals order after every number, by bytes.
pub fn compare_text(a: &str, b: &str) -> Ordering {
    match (Parts::of(a), Parts::of(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.as_bytes().cmp(b.as_bytes()),
    }
}

/// A decimal text split for comparison: sign, integer digits without
/// leading zeros, fraction digits without trailing zeros.
struct Parts<'a> {
    negative: bool,
    int: &'a str,
    frac: &'a str,
}

impl<'a> Parts<'a> {
    fn of(text: &'a str) -> Option<Parts<'a>> {
        let text = text.trim();
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.len() + frac.len() == 0 || !digits(int) || !digits(frac) {
            return None;
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        // -0.00 is zero.
        let negative = negative && !(int.is_empty() && frac.is_empty());
        Some(Parts {
            negative,
            int,
            frac,
        })
    }

    fn cmp(&self, other: &Parts<'_>) -> Ordering {
        let magnitude = self
            .int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(other.int))
            .then_with(|| self.frac.cmp(other.frac));
        match (self.negative, other.negative) {
            (false, false) => magnitude,
            (true, true) => magnitude.reverse(),
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::parse(text).unwrap()
    }

    fn div(a: &str, b: &str) -> String {
        d(a).div(&d(b)).unwrap().to_string()
    }

    #[test]
    fn parses_and_prints_as_postgres() {
        assert_eq!(d("1.50").to_string(), "1.50");
        assert_eq!(d(" -0.25 ").to_string(), "-0.25");
        assert_eq!(d("1.5e3").to_string(), "1500");
        assert_eq!(d("1.2345e2").to_string(), "123.45");
        assert_eq!(d("5e-3").to_string(), "0.005");
        assert_eq!(d(".5").to_string(), "0.5");
        assert_eq!(d("-0.00").to_string(), "0.00");
        assert!(Decimal::parse("abc").is_err());
        assert!(Decimal::parse("1.2.3").is_err());
        assert!(Decimal::parse("").is_err());
        assert_eq!(Decimal::from_f64(123.45).unwrap().to_string(), "123.45");
        assert_eq!(
            Decimal::from_f64(0.1 + 0.2).unwrap().to_string(),
            "0.30000000000000004"
        );
        assert_eq!(
            Decimal::from_f64(1e20).unwrap().to_string(),
            "100000000000000000000"
        );
        assert!(Decimal::from_f64(f64::NAN).is_none());
    }

    #[test]
    fn division_picks_postgres_scale() {
        assert_eq!(div("7.0", "2"), "3.5000000000000000");
        assert_eq!(div("1", "4.0"), "0.25000000000000000000");
        assert_eq!(div("1", "3.0"), "0.33333333333333333333");
        assert_eq!(div("10.0", "3"), "3.3333333333333333");
        assert_eq!(div("1e20", "3"), "33333333333333333333");
        assert_eq!(div("100000", "3.0"), "33333.333333333333");
        assert_eq!(div("0.0", "3"), "0.00000000000000000000");
        assert_eq!(div("-7", "2"), "-3.5000000000000000");
        assert_eq!(div("2", "3"), "0.66666666666666666667");
        assert_eq!(div("-2", "3"), "-0.66666666666666666667");
        assert_eq!(div("1531", "34"), "45.0294117647058824");
        assert_eq!(d("1").div(&d("0")), Err(Error::DivisionByZero));
    }

    #[test]
    fn arithmetic_keeps_postgres_scales() {
        assert_eq!(d("2").mul(&d("3.25")).to_string(), "6.50");
        assert_eq!(d("2").sub(&d("0.75")).to_string(), "1.25");
        assert_eq!(d("0.1").add(&d("0.2")).to_string(), "0.3");
        assert_eq!(d("5.5").rem(&d("2")).unwrap().to_string(), "1.5");
        assert_eq!(d("-7.5").rem(&d("2")).unwrap().to_string(), "-1.5");
        assert_eq!(d("2.5").round(0).to_string(), "3");
        assert_eq!(d("-2.5").round(0).to_string(), "-3");
        assert_eq!(d("2.345").round(2).to_string(), "2.35");
        assert_eq!(d("-0.001").round(2).to_string(), "0.00");
        assert_eq!(d("1234.5678").round(-2).to_string(), "1200");
        assert_eq!(d("2.5").round(3).to_string(), "2.500");
        assert_eq!(d("-2.7").trunc(0).to_string(), "-2");
        assert_eq!(d("-2.1").ceil().to_string(), "-2");
        assert_eq!(d("-2.1").floor().to_string(), "-3");
        assert_eq!(d("2.5").to_int(32), Ok(3));
        assert_eq!(d("-2.5").to_int(32), Ok(-3));
        assert_eq!(d("40000").to_int(16), Err(Error::IntegerOutOfRange(16)));
        assert_eq!(
            d("123.456").with_typmod(5, 2).unwrap().to_string(),
            "123.46"
        );
        assert_eq!(d("123.456").with_typmod(4, 2), Err(Error::FieldOverflow));
        assert_eq!(d("1.5").cmp_value(&d("1.50")), Ordering::Equal);
    }

    #[test]
    fn text_compares_by_value() {
        assert_eq!(compare_text("10", "9"), Ordering::Greater);
        assert_eq!(compare_text("2.50", "2.5"), Ordering::Equal);
        assert_eq!(compare_text("-1.5", "-1.25"), Ordering::Less);
        assert_eq!(compare_text("-0.00", "0"), Ordering::Equal);
        assert_eq!(compare_text("0.001", "0.01"), Ordering::Less);
        assert_eq!(compare_text("007", "7.000"), Ordering::Equal);
        assert_eq!(compare_text("1", "NaN"), Ordering::Less);
    }

    #[test]
    fn binary_form_is_numeric_send() {
        // 1234.5678: ndigits 2, weight 0, positive, dscale 4, digits 1234 5678.
        assert_eq!(
            d("1234.5678").to_pg_binary(),
            [0, 2, 0, 0, 0, 0, 0, 4, 4, 210, 22, 46]
        );
        // -0.0012 (scale 4): one digit 12 at weight -1.
        assert_eq!(
            d("-0.0012").to_pg_binary(),
            [0, 1, 255, 255, 0x40, 0, 0, 4, 0, 12]
        );
        assert_eq!(d("0.00").to_pg_binary(), [0, 0, 0, 0, 0, 0, 0, 2]);
        // 10000: one digit 1 at weight 1.
        assert_eq!(d("10000").to_pg_binary(), [0, 1, 0, 1, 0, 0, 0, 0, 0, 1]);
        for text in [
            "1234.5678",
            "-0.0012",
            "0.00",
            "10000",
            "0.33333333333333333333",
        ] {
            let value = d(text);
            assert_eq!(Decimal::from_pg_binary(&value.to_pg_binary()), Ok(value));
        }
    }

    #[test]
    fn nbase_digits_follow_postgres() {
        assert_eq!(d("7.0").nbase_digits(2), (0, vec![7, 0]));
        assert_eq!(d("12345.6").nbase_digits(2), (1, vec![1, 2345]));
        assert_eq!(d("0.00012").nbase_digits(1), (-1, vec![1]));
        assert_eq!(d("0.5").nbase_digits(1), (-1, vec![5000]));
        assert_eq!(d("0").nbase_digits(1), (0, vec![]));
    }
}
