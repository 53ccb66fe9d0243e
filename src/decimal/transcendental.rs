//! `sqrt`, `exp`, `ln`, `log` and `power` on decimals, at the result scales
//! Postgres 15 chooses (numeric.c: `numeric_sqrt`, `numeric_exp`,
//! `numeric_ln`, `log_var`, `power_var`, `power_var_int`).
//!
//! Each result is computed in fixed point (an integer scaled by 10^p) with
//! guard digits beyond the scale Postgres prints, then rounded half away
//! from zero once, so it is the correctly rounded value. Postgres's own
//! algorithms carry guard digits too and agree with it except when the
//! exact value lies within a few units of the 10^-20th part of a digit of
//! a rounding midpoint.

use num_bigint::BigInt;
use num_traits::{One, Signed, ToPrimitive, Zero};

use super::{Decimal, Error, MAX_DISPLAY_SCALE, MIN_SIG_DIGITS, Result, clamp_scale, pow10};

/// Extra digits carried through a computation.
const GUARD: u32 = 12;
/// The largest |x| of exp(x) Postgres computes (`NUMERIC_MAX_RESULT_SCALE * 3`).
const MAX_EXP_ARGUMENT: f64 = 6000.0;

/// `x` as an integer scaled by 10^p (truncated).
fn fixed(x: &Decimal, p: u32) -> BigInt {
    if p >= x.scale {
        x.mantissa() * pow10(p - x.scale)
    } else {
        x.mantissa() / pow10(x.scale - p)
    }
}

/// A fixed-point value (scaled by 10^p) rounded to `scale` decimals.
fn round_fixed(value: &BigInt, p: u32, scale: u32) -> Decimal {
    Decimal::new(value.clone(), p).round(i64::from(scale))
}

/// sqrt(n / 10^p) * 10^p, truncated.
fn sqrt_fixed(n: &BigInt, p: u32) -> BigInt {
    (n * pow10(p)).sqrt()
}

/// e^x * 10^p for x >= 0 (x scaled by 10^p), within a few units.
fn exp_fixed_nonnegative(x: &BigInt, p: u32) -> BigInt {
    let one = pow10(p);
    // Halve until x < 0.01, so the series converges in a few terms.
    let limit = pow10(p.saturating_sub(2));
    let mut halvings = 0u32;
    while (x >> halvings) > limit {
        halvings += 1;
    }
    let y = x >> halvings;
    let mut sum = one.clone();
    let mut term = one.clone();
    for i in 1u32.. {
        term = term * &y / (&one * i);
        if term.is_zero() {
            break;
        }
        sum += &term;
    }
    for _ in 0..halvings {
        sum = &sum * &sum / &one;
    }
    sum
}

/// e^x * 10^p, within a few units in the last place.
fn exp_fixed(x: &Decimal, p: u32) -> BigInt {
    // Squaring doubles the relative error, and a large result needs its
    // integer digits on top of p: size the working precision for both.
    let magnitude = x.abs().to_f64();
    let integer_digits = (magnitude * std::f64::consts::LOG10_E).ceil().max(0.0) as u32;
    let halvings = (magnitude * 100.0).max(1.0).log2().ceil().max(0.0) as u32;
    let guard = GUARD + halvings / 3 + 1;
    if x.is_negative() {
        // e^-a = 1 / e^a: e^a >= 1, so its relative error is what counts.
        let w = p + guard + 2;
        let e = exp_fixed_nonnegative(&fixed(&x.abs(), w), w);
        pow10(p + w) / e
    } else {
        let w = p + guard + integer_digits;
        let e = exp_fixed_nonnegative(&fixed(x, w), w);
        e / pow10(w - p)
    }
}

/// ln(y) * 10^w for 1 <= y (y scaled by 10^w): square roots bring y below
/// 1.1, then ln(z) = 2 atanh((z - 1) / (z + 1)).
fn ln_near_one(y: &BigInt, w: u32) -> BigInt {
    let one = pow10(w);
    let threshold = &one + &one / 10u32;
    let mut z = y.clone();
    let mut roots = 0u32;
    while z > threshold {
        z = sqrt_fixed(&z, w);
        roots += 1;
    }
    let t = (&z - &one) * &one / (&z + &one);
    let t2 = &t * &t / &one;
    let mut sum = t.clone();
    let mut power = t;
    for k in 1u32.. {
        power = power * &t2 / &one;
        let term = &power / (2 * k + 1);
        if term.is_zero() {
            break;
        }
        sum += term;
    }
    (sum << 1) << roots
}

/// ln(x) * 10^p for x > 0, within a few units in the last place.
fn ln_fixed(x: &Decimal, p: u32) -> BigInt {
    // x = y * 10^n with 1 <= y < 10: ln x = ln y + n ln 10.
    let n = x.exponent().unwrap_or(0);
    let n_digits = n.unsigned_abs().to_string().len() as u32;
    let w = p + GUARD + n_digits;
    let digits = x.mantissa().magnitude().to_string().len() as u32;
    let y = Decimal::new(x.mantissa().abs(), digits - 1);
    let mut result = ln_near_one(&fixed(&y, w), w);
    if n != 0 {
        result += ln_near_one(&pow10(w + 1), w) * n;
    }
    result / pow10(w - p)
}

/// Postgres's `estimate_ln_dweight`: the decimal weight of ln(x), from the
/// leading base-10000 digits (or from x - 1 when x is near 1).
fn ln_dweight(x: &Decimal) -> i64 {
    if x.is_negative() || x.is_zero() {
        return 0;
    }
    let near_one = x.cmp_value(&Decimal::new(BigInt::from(9), 1)).is_ge()
        && x.cmp_value(&Decimal::new(BigInt::from(11), 1)).is_le();
    if near_one {
        let (weight, digits) = x.sub(&Decimal::from_i64(1)).nbase_digits(1);
        return match digits.first() {
            Some(first) => weight * 4 + f64::from(*first).log10() as i64,
            None => 0,
        };
    }
    let (weight, digits) = x.nbase_digits(2);
    let (mut value, mut dweight) = (f64::from(digits[0]), weight * 4);
    // Postgres reads the second digit only when it stores one.
    if stored_nbase_digits(x) > 1 {
        value = value * 10_000.0 + f64::from(digits[1]);
        dweight -= 4;
    }
    let ln = value.ln() + dweight as f64 * std::f64::consts::LN_10;
    ln.abs().log10() as i64
}

/// How many base-10000 digits Postgres stores for x (no trailing zeros).
fn stored_nbase_digits(x: &Decimal) -> usize {
    let binary = x.to_pg_binary();
    i16::from_be_bytes([binary[0], binary[1]]) as usize
}

/// Postgres's scale rule for most functions: 16 significant digits given
/// the result's decimal weight, no fewer decimals than the input's.
fn result_scale(weight: i64, inputs: &[&Decimal]) -> u32 {
    let scale = inputs
        .iter()
        .map(|d| i64::from(d.scale()))
        .fold(MIN_SIG_DIGITS - weight, i64::max);
    clamp_scale(scale)
}

/// `sqrt(numeric)`.
pub fn sqrt(x: &Decimal) -> Result<Decimal> {
    if x.is_negative() {
        return Err(Error::SqrtOfNegative);
    }
    let (weight, _) = x.nbase_digits(1);
    let sweight = (weight + 1) * 4 / 2 - 1;
    let scale = result_scale(sweight, &[x]);
    // floor(sqrt(x) * 10^(scale + 1)) decides the rounding exactly.
    let p = scale + 1;
    let root = fixed(x, 2 * p).sqrt();
    Ok(round_fixed(&root, p, scale))
}

/// `exp(numeric)`.
pub fn exp(x: &Decimal) -> Result<Decimal> {
    let value = x.to_f64();
    let weight = (value * std::f64::consts::LOG10_E).clamp(-2000.0, 2000.0);
    let scale = result_scale(weight as i64, &[x]);
    if value.abs() >= MAX_EXP_ARGUMENT {
        return if value > 0.0 {
            Err(Error::Overflow)
        } else {
            Ok(Decimal::zero(scale))
        };
    }
    let p = scale + GUARD;
    Ok(round_fixed(&exp_fixed(x, p), p, scale))
}

/// `ln(numeric)`.
pub fn ln(x: &Decimal) -> Result<Decimal> {
    check_log_argument(x)?;
    let scale = result_scale(ln_dweight(x), &[x]);
    let p = scale + GUARD;
    Ok(round_fixed(&ln_fixed(x, p), p, scale))
}

fn check_log_argument(x: &Decimal) -> Result<()> {
    if x.is_zero() {
        Err(Error::LogOfZero)
    } else if x.is_negative() {
        Err(Error::LogOfNegative)
    } else {
        Ok(())
    }
}

/// `log(base, x)`; `log(x)` is `log(10, x)`.
pub fn log(base: &Decimal, x: &Decimal) -> Result<Decimal> {
    check_log_argument(base)?;
    check_log_argument(x)?;
    let (base_weight, x_weight) = (ln_dweight(base), ln_dweight(x));
    let scale = result_scale(x_weight - base_weight, &[base, x]);
    if base.cmp_value(&Decimal::from_i64(1)).is_eq() {
        return Err(Error::DivisionByZero);
    }
    // A small ln(base) magnifies the error of both logarithms.
    let p = scale + 2 * GUARD + (2 * (-base_weight).max(0) + x_weight.max(0)) as u32;
    let (ln_base, ln_x) = (ln_fixed(base, p), ln_fixed(x, p));
    let quotient = Decimal::new(ln_x, 0).div_at(&Decimal::new(ln_base, 0), scale)?;
    Ok(quotient)
}

/// `power(numeric, numeric)` and `numeric ^ numeric`.
pub fn power(base: &Decimal, exponent: &Decimal) -> Result<Decimal> {
    if base.is_zero() && exponent.is_negative() {
        return Err(Error::ZeroToNegativePower);
    }
    if base.is_negative() && !exponent.is_integer() {
        return Err(Error::ComplexPower);
    }
    if exponent.is_integer()
        && let Some(n) = exponent.round(0).mantissa().to_i32()
    {
        return power_int(base, n);
    }
    if base.is_zero() {
        return Ok(Decimal::zero(MIN_SIG_DIGITS as u32));
    }
    // A low-precision exponent * ln(base) estimates the result's weight.
    let estimate = ln_estimate(&base.abs()) * exponent.to_f64();
    // Postgres tests with a fuzz factor; exp itself decides at the edge.
    if estimate.abs() > MAX_EXP_ARGUMENT * 1.003 {
        if estimate > 0.0 {
            return Err(Error::Overflow);
        }
        return Ok(Decimal::zero(MAX_DISPLAY_SCALE as u32));
    }
    let weight = estimate * std::f64::consts::LOG10_E;
    let scale = result_scale(weight as i64, &[base, exponent]);
    signed_power(base, exponent, weight, scale)
}

/// ln(x) to about 12 digits, for estimates.
fn ln_estimate(x: &Decimal) -> f64 {
    ln_fixed(x, 12).to_f64().unwrap_or(0.0) / 1e12
}

/// exp(exponent * ln|base|) rounded to `scale`, negated for a negative base
/// (whose exponent is an odd integer); `weight` estimates log10 of it.
fn signed_power(base: &Decimal, exponent: &Decimal, weight: f64, scale: u32) -> Result<Decimal> {
    let magnitude = base.abs();
    // exp(y) turns an error in y into a relative one: y needs the result's
    // integer digits on top of its decimals, ln|base| the exponent's too.
    let y_digits = scale + GUARD + weight.max(0.0).ceil() as u32;
    let ln_digits = y_digits + exponent.exponent().unwrap_or(0).max(0) as u32 + 1;
    let ln_base = ln_fixed(&magnitude, ln_digits);
    let y = Decimal::new(ln_base * exponent.mantissa(), ln_digits + exponent.scale())
        .trunc(i64::from(y_digits));
    let p = scale + GUARD;
    let result = round_fixed(&exp_fixed(&y, p), p, scale).checked()?;
    let odd = (exponent.round(0).mantissa() % 2u32) != BigInt::zero();
    Ok(if base.is_negative() && odd {
        result.neg()
    } else {
        result
    })
}

/// `power_var_int`: an integer exponent, computed exactly where that stays
/// small, then rounded to max(16, the base's scale).
fn power_int(base: &Decimal, n: i32) -> Result<Decimal> {
    let scale = clamp_scale(MIN_SIG_DIGITS.max(i64::from(base.scale())));
    match n {
        0 => return Ok(Decimal::new(pow10(scale), scale)),
        1 => return Ok(base.round(i64::from(scale))),
        -1 => return Decimal::from_i64(1).div_at(base, scale),
        _ => {}
    }
    if base.is_zero() {
        return Ok(Decimal::zero(scale));
    }
    // log10(result) ~= n * log10(|base|): overflow and underflow first.
    let weight = f64::from(n) * ln_estimate(&base.abs()) * std::f64::consts::LOG10_E;
    if weight > 3.0 * 32767.0 * 4.0 {
        return Err(Error::Overflow);
    }
    if weight + 1.0 < -f64::from(scale) {
        return Ok(Decimal::zero(scale));
    }
    let digits = base.mantissa().magnitude().to_string().len() as u64;
    if u64::from(n.unsigned_abs()) * digits > 200_000 {
        // Too large to compute exactly: through exp and ln.
        return signed_power(base, &Decimal::from_i64(i64::from(n)), weight, scale);
    }
    let exact = Decimal::new(
        num_traits::pow(base.mantissa().clone(), n.unsigned_abs() as usize),
        base.scale() * n.unsigned_abs(),
    );
    if n > 0 {
        exact.round(i64::from(scale)).checked()
    } else {
        Decimal::new(BigInt::one(), 0).div_at(&exact, scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::parse(text).unwrap()
    }

    #[test]
    fn roots_and_powers_match_postgres() {
        for (x, root) in [
            ("2.0", "1.414213562373095"),
            ("16.0", "4.000000000000000"),
            ("2", "1.414213562373095"),
            ("0.0002", "0.01414213562373095"),
        ] {
            assert_eq!(sqrt(&d(x)).unwrap().to_string(), root, "sqrt({x})");
        }
        assert_eq!(sqrt(&d("-1")), Err(Error::SqrtOfNegative));
        for (base, exponent, result) in [
            ("2.0", "0.5", "1.4142135623730950"),
            ("2.0", "10", "1024.0000000000000000"),
            ("1.5", "2", "2.2500000000000000"),
            ("2.0", "-2", "0.2500000000000000"),
            ("0.0", "0", "1.0000000000000000"),
            ("1.0001", "10000", "2.7181459268252249"),
            ("-2", "3", "-8.0000000000000000"),
        ] {
            let got = power(&d(base), &d(exponent)).unwrap().to_string();
            assert_eq!(got, result, "power({base}, {exponent})");
        }
        assert_eq!(power(&d("0"), &d("-1")), Err(Error::ZeroToNegativePower));
        assert_eq!(power(&d("-2.0"), &d("0.5")), Err(Error::ComplexPower));
    }

    #[test]
    fn logarithms_and_exponentials_match_postgres() {
        let ln_tiny = "-230.2585092994045684017991454684364207601101488628772976033327900967572609677352480235997205089598298342";
        for (f, x, result) in [
            (
                exp as fn(&Decimal) -> Result<Decimal>,
                "1.0",
                "2.7182818284590452",
            ),
            (exp, "10", "22026.465794806717"),
            (exp, "-10.0", "0.00004539992976248485"),
            (
                exp,
                "100.0",
                "26881171418161354484126255515800135873611118.8",
            ),
            (ln, "2.0", "0.6931471805599453"),
            (ln, "1e-100", ln_tiny),
            (|x| log(&d("10"), x), "100.0", "2.0000000000000000"),
            (|x| log(&d("2.0"), x), "8.0", "3.0000000000000000"),
        ] {
            assert_eq!(f(&d(x)).unwrap().to_string(), result, "of {x}");
        }
        assert_eq!(ln(&d("0")), Err(Error::LogOfZero));
        assert_eq!(ln(&d("-1")), Err(Error::LogOfNegative));
        assert_eq!(log(&d("1"), &d("5")), Err(Error::DivisionByZero));
    }
}
