//! Dates, timestamps and intervals: `date_trunc`, `extract`/`date_part`,
//! `make_date`, `age`, `to_char` for dates, `now()`, and the `+`/`-`
//! operators of date arithmetic (`pg_add`, `pg_sub`).
//!
//! SQLite holds dates and timestamps as ISO text; intervals travel as
//! Postgres's own interval output (`1 year 2 mons 3 days 04:05:06`), so a
//! result prints exactly as Postgres prints it and parses back here.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use rusqlite::Connection;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::Value;

use super::{arg, user_error};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A Postgres interval: months, days and microseconds, kept apart as
/// Postgres keeps them (a month is not a fixed number of days).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Interval {
    pub months: i64,
    pub days: i64,
    pub micros: i64,
}

impl Interval {
    /// Parses Postgres interval input (`1 day`, `2 hours 30 minutes`,
    /// `1.5 days`, `01:30:00`, `1 year 2 mons 3 days 04:05:06`, `@ 1 day ago`).
    pub fn parse(text: &str) -> Option<Interval> {
        let mut out = Interval::default();
        let lower = text.trim().to_ascii_lowercase();
        let mut tokens: Vec<&str> = lower.split_whitespace().filter(|t| *t != "@").collect();
        let ago = tokens.last() == Some(&"ago");
        if ago {
            tokens.pop();
        }
        if tokens.is_empty() {
            return None;
        }
        let mut i = 0;
        while i < tokens.len() {
            let token = tokens[i];
            if token.contains(':') {
                out.micros += parse_clock(token)?;
                i += 1;
                continue;
            }
            // A number glued to its unit (`10d`) is rare; require a space.
            let value: f64 = token.parse().ok()?;
            let unit = tokens.get(i + 1).copied().unwrap_or("second");
            i += 2;
            let unit = unit.trim_end_matches(',');
            let (months, days, micros): (f64, f64, f64) = match unit {
                "millennium" | "millennia" | "millenniums" => (value * 12_000.0, 0.0, 0.0),
                "century" | "centuries" => (value * 1200.0, 0.0, 0.0),
                "decade" | "decades" => (value * 120.0, 0.0, 0.0),
                "y" | "year" | "years" | "yr" | "yrs" => (value * 12.0, 0.0, 0.0),
                "mon" | "mons" | "month" | "months" => (value, 0.0, 0.0),
                "w" | "week" | "weeks" => (0.0, value * 7.0, 0.0),
                "d" | "day" | "days" => (0.0, value, 0.0),
                "h" | "hour" | "hours" | "hr" | "hrs" => (0.0, 0.0, value * 3.6e9),
                "m" | "min" | "mins" | "minute" | "minutes" => (0.0, 0.0, value * 6e7),
                "s" | "sec" | "secs" | "second" | "seconds" => (0.0, 0.0, value * 1e6),
                "ms" | "millisecond" | "milliseconds" => (0.0, 0.0, value * 1e3),
                "us" | "microsecond" | "microseconds" => (0.0, 0.0, value),
                _ => return None,
            };
            // Fractions spill down: 1.5 months = 1 month 15 days, 1.5 days = 1 day 12 h.
            let whole_months = months.trunc();
            let days = days + (months - whole_months) * 30.0;
            let whole_days = days.trunc();
            let micros = micros + (days - whole_days) * MICROS_PER_DAY as f64;
            out.months += whole_months as i64;
            out.days += whole_days as i64;
            out.micros += micros.round() as i64;
        }
        if ago {
            out = out.negate();
        }
        Some(out)
    }

    pub fn negate(self) -> Interval {
        Interval {
            months: -self.months,
            days: -self.days,
            micros: -self.micros,
        }
    }

    /// Postgres's output (IntervalStyle postgres).
    pub fn to_pg(self) -> String {
        let mut parts = Vec::new();
        let (years, months) = (self.months / 12, self.months % 12);
        let unit =
            |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        if years != 0 {
            parts.push(unit(years, "year", "years"));
        }
        if months != 0 {
            parts.push(unit(months, "mon", "mons"));
        }
        if self.days != 0 {
            parts.push(unit(self.days, "day", "days"));
        }
        if self.micros != 0 || parts.is_empty() {
            let sign = if self.micros < 0 { "-" } else { "" };
            let micros = self.micros.unsigned_abs();
            let secs = micros / 1_000_000;
            let fraction = micros % 1_000_000;
            let mut clock = format!(
                "{sign}{:02}:{:02}:{:02}",
                secs / 3600,
                (secs / 60) % 60,
                secs % 60
            );
            if fraction != 0 {
                clock.push('.');
                clock.push_str(format!("{fraction:06}").trim_end_matches('0'));
            }
            parts.push(clock);
        }
        parts.join(" ")
    }
}

fn parse_clock(token: &str) -> Option<i64> {
    let (negative, token) = match token.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, token),
    };
    let fields: Vec<&str> = token.split(':').collect();
    let (h, m, s) = match fields.as_slice() {
        [h, m] => (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?, 0.0),
        [h, m, s] => (
            h.parse::<i64>().ok()?,
            m.parse::<i64>().ok()?,
            s.parse::<f64>().ok()?,
        ),
        _ => return None,
    };
    let micros = (h * 3600 + m * 60) * 1_000_000 + (s * 1e6).round() as i64;
    Some(if negative { -micros } else { micros })
}

/// Parses ISO date or timestamp text (`T` or space, optional fraction and
/// offset); the offset is applied, giving UTC.
pub fn parse_timestamp(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(ts) = NaiveDateTime::parse_from_str(text, format) {
            return Some(ts);
        }
    }
    if let Ok(ts) = chrono::DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z") {
        return Some(ts.naive_utc());
    }
    if let Ok(ts) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(ts.naive_utc());
    }
    parse_date(text).and_then(|d| d.and_hms_opt(0, 0, 0))
}

pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim().get(..10)?, "%Y-%m-%d").ok()
}

/// Whether ISO text holds only a date.
fn is_date_text(text: &str) -> bool {
    text.trim().len() == 10 && parse_date(text).is_some()
}

/// Postgres's text form of a timestamp: fraction without trailing zeros.
pub fn format_timestamp(ts: NaiveDateTime) -> String {
    let micros = ts.nanosecond() / 1000;
    let base = ts.format("%Y-%m-%d %H:%M:%S").to_string();
    if micros == 0 {
        base
    } else {
        format!("{base}.{}", format!("{micros:06}").trim_end_matches('0'))
    }
}

pub fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

pub fn add_interval(ts: NaiveDateTime, interval: Interval) -> Option<NaiveDateTime> {
    let ts = if interval.months >= 0 {
        ts.checked_add_months(Months::new(u32::try_from(interval.months).ok()?))?
    } else {
        ts.checked_sub_months(Months::new(u32::try_from(-interval.months).ok()?))?
    };
    ts.checked_add_signed(Duration::days(interval.days))?
        .checked_add_signed(Duration::microseconds(interval.micros))
}

/// `ts1 - ts2` as Postgres gives it: days and time, no months.
fn timestamp_diff(a: NaiveDateTime, b: NaiveDateTime) -> Interval {
    let micros = (a - b).num_microseconds().unwrap_or(0);
    Interval {
        months: 0,
        days: micros / MICROS_PER_DAY,
        micros: micros % MICROS_PER_DAY,
    }
}

/// `age(a, b)`: symbolic years, months, days and time (Postgres's algorithm:
/// field-wise difference, borrowing from the month of `b`).
pub fn age(a: NaiveDateTime, b: NaiveDateTime) -> Interval {
    if a < b {
        return age(b, a).negate();
    }
    let mut micros = (a.time() - b.time()).num_microseconds().unwrap_or(0);
    let mut days = i64::from(a.day()) - i64::from(b.day());
    let mut months = i64::from(a.month()) - i64::from(b.month());
    let mut years = i64::from(a.year()) - i64::from(b.year());
    if micros < 0 {
        micros += MICROS_PER_DAY;
        days -= 1;
    }
    if days < 0 {
        days += i64::from(days_in_month(b.year(), b.month()));
        months -= 1;
    }
    if months < 0 {
        months += 12;
        years -= 1;
    }
    Interval {
        months: years * 12 + months,
        days,
        micros,
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .map(|d| d.day())
        .unwrap_or(30)
}

pub fn date_trunc(unit: &str, ts: NaiveDateTime) -> Option<NaiveDateTime> {
    let date = ts.date();
    let midnight = |d: NaiveDate| d.and_time(NaiveTime::MIN);
    Some(match unit.to_ascii_lowercase().as_str() {
        "microseconds" => ts,
        "milliseconds" => ts.with_nanosecond(ts.nanosecond() / 1_000_000 * 1_000_000)?,
        "second" => ts.with_nanosecond(0)?,
        "minute" => ts.with_nanosecond(0)?.with_second(0)?,
        "hour" => ts.with_nanosecond(0)?.with_second(0)?.with_minute(0)?,
        "day" => midnight(date),
        "week" => midnight(date - Duration::days(i64::from(date.weekday().num_days_from_monday()))),
        "month" => midnight(date.with_day(1)?),
        "quarter" => midnight(NaiveDate::from_ymd_opt(
            date.year(),
            (date.month0() / 3) * 3 + 1,
            1,
        )?),
        "year" => midnight(NaiveDate::from_ymd_opt(date.year(), 1, 1)?),
        "decade" => midnight(NaiveDate::from_ymd_opt(
            date.year().div_euclid(10) * 10,
            1,
            1,
        )?),
        "century" => midnight(NaiveDate::from_ymd_opt(
            (date.year() - 1).div_euclid(100) * 100 + 1,
            1,
            1,
        )?),
        _ => return None,
    })
}

/// A field of a timestamp as `extract` gives it: whole numbers as integers,
/// seconds and epoch with Postgres's six decimals (as numeric text).
pub fn extract(field: &str, ts: NaiveDateTime, date_only: bool) -> Option<Value> {
    let date = ts.date();
    let int = |n: i64| Some(Value::Integer(n));
    match field.to_ascii_lowercase().as_str() {
        "year" => int(i64::from(date.year())),
        "month" => int(i64::from(date.month())),
        "day" => int(i64::from(date.day())),
        "hour" if !date_only => int(i64::from(ts.hour())),
        "minute" if !date_only => int(i64::from(ts.minute())),
        "second" if !date_only => {
            let micros = i64::from(ts.second()) * 1_000_000 + i64::from(ts.nanosecond() / 1000);
            Some(Value::Text(scaled(micros, 6)))
        }
        "milliseconds" if !date_only => {
            let micros = i64::from(ts.second()) * 1_000_000 + i64::from(ts.nanosecond() / 1000);
            Some(Value::Text(scaled(micros, 3)))
        }
        "dow" => int(i64::from(date.weekday().num_days_from_sunday())),
        "isodow" => int(i64::from(date.weekday().number_from_monday())),
        "doy" => int(i64::from(date.ordinal())),
        "week" => int(i64::from(date.iso_week().week())),
        "isoyear" => int(i64::from(date.iso_week().year())),
        "quarter" => int(i64::from(date.month0() / 3 + 1)),
        "decade" => int(i64::from(date.year().div_euclid(10))),
        "century" => int(i64::from((date.year() - 1).div_euclid(100) + 1)),
        "epoch" => {
            let micros = ts.and_utc().timestamp_micros();
            if date_only {
                int(micros / 1_000_000)
            } else {
                Some(Value::Text(scaled(micros, 6)))
            }
        }
        _ => None,
    }
}

/// `micros` / 10^6 printed with `digits` decimals (3 or 6).
fn scaled(micros: i64, digits: u32) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    let fraction = format!("{:06}", abs % 1_000_000);
    format!("{sign}{}.{}", abs / 1_000_000, &fraction[..digits as usize])
}

/// The timestamp in an argument, or NULL (`None`), or an error for text
/// that is not a timestamp.
fn ts_arg(ctx: &Context<'_>, i: usize) -> rusqlite::Result<Option<(NaiveDateTime, bool)>> {
    match arg(ctx, i) {
        Value::Null => Ok(None),
        Value::Text(t) => parse_timestamp(&t)
            .map(|ts| Some((ts, is_date_text(&t))))
            .ok_or_else(|| user_error(format!("invalid input syntax for type timestamp: \"{t}\""))),
        other => Err(user_error(format!("not a timestamp: {other:?}"))),
    }
}

fn text_arg(ctx: &Context<'_>, i: usize) -> Option<String> {
    match arg(ctx, i) {
        Value::Text(t) => Some(t),
        Value::Integer(n) => Some(n.to_string()),
        Value::Real(r) => Some(r.to_string()),
        _ => None,
    }
}

/// How an operand of `+`/`-` looks at run time.
enum Operand {
    Null,
    Int(i64),
    Float(f64),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
    Interval(Interval),
}

fn operand(value: Value) -> rusqlite::Result<Operand> {
    Ok(match value {
        Value::Null => Operand::Null,
        Value::Integer(i) => Operand::Int(i),
        Value::Real(r) => Operand::Float(r),
        Value::Text(t) => {
            if is_date_text(&t) {
                Operand::Date(parse_date(&t).unwrap_or_default())
            } else if let Some(ts) = parse_timestamp(&t) {
                Operand::Timestamp(ts)
            } else if let Ok(i) = t.trim().parse::<i64>() {
                Operand::Int(i)
            } else if let Ok(f) = t.trim().parse::<f64>() {
                Operand::Float(f)
            } else if let Some(iv) = Interval::parse(&t) {
                Operand::Interval(iv)
            } else {
                return Err(user_error(format!(
                    "invalid input syntax for type numeric: \"{t}\""
                )));
            }
        }
        Value::Blob(_) => return Err(user_error("operator does not exist for bytea")),
    })
}

fn overflow() -> rusqlite::Error {
    super::range_error("bigint out of range")
}

/// `a + b` for numbers, dates, timestamps and intervals.
pub fn add(a: Value, b: Value) -> rusqlite::Result<Value> {
    use Operand as O;
    let ts = |t: Option<NaiveDateTime>| {
        t.map(|t| Value::Text(format_timestamp(t)))
            .ok_or_else(|| super::range_error("timestamp out of range"))
    };
    match (operand(a)?, operand(b)?) {
        (O::Null, _) | (_, O::Null) => Ok(Value::Null),
        (O::Int(x), O::Int(y)) => x.checked_add(y).map(Value::Integer).ok_or_else(overflow),
        (O::Int(x), O::Float(y)) | (O::Float(y), O::Int(x)) => Ok(Value::Real(x as f64 + y)),
        (O::Float(x), O::Float(y)) => Ok(Value::Real(x + y)),
        (O::Date(d), O::Int(n)) | (O::Int(n), O::Date(d)) => d
            .checked_add_signed(Duration::days(n))
            .map(|d| Value::Text(format_date(d)))
            .ok_or_else(|| super::range_error("date out of range")),
        (O::Date(d), O::Interval(i)) | (O::Interval(i), O::Date(d)) => {
            ts(add_interval(d.and_time(NaiveTime::MIN), i))
        }
        (O::Timestamp(t), O::Interval(i)) | (O::Interval(i), O::Timestamp(t)) => {
            ts(add_interval(t, i))
        }
        (O::Interval(x), O::Interval(y)) => Ok(Value::Text(
            Interval {
                months: x.months + y.months,
                days: x.days + y.days,
                micros: x.micros + y.micros,
            }
            .to_pg(),
        )),
        _ => Err(user_error(
            "operator does not exist for these operand types",
        )),
    }
}

/// `a - b` for numbers, dates, timestamps and intervals.
pub fn sub(a: Value, b: Value) -> rusqlite::Result<Value> {
    use Operand as O;
    match (operand(a.clone())?, operand(b.clone())?) {
        (O::Null, _) | (_, O::Null) => Ok(Value::Null),
        (O::Int(x), O::Int(y)) => x.checked_sub(y).map(Value::Integer).ok_or_else(overflow),
        (O::Int(x), O::Float(y)) => Ok(Value::Real(x as f64 - y)),
        (O::Float(x), O::Int(y)) => Ok(Value::Real(x - y as f64)),
        (O::Float(x), O::Float(y)) => Ok(Value::Real(x - y)),
        (O::Date(x), O::Date(y)) => Ok(Value::Integer((x - y).num_days())),
        (O::Date(x), O::Timestamp(y)) => Ok(Value::Text(
            timestamp_diff(x.and_time(NaiveTime::MIN), y).to_pg(),
        )),
        (O::Timestamp(x), O::Date(y)) => Ok(Value::Text(
            timestamp_diff(x, y.and_time(NaiveTime::MIN)).to_pg(),
        )),
        (O::Timestamp(x), O::Timestamp(y)) => Ok(Value::Text(timestamp_diff(x, y).to_pg())),
        (O::Date(_) | O::Timestamp(_) | O::Interval(_), O::Interval(i)) => {
            add(a, Value::Text(i.negate().to_pg()))
        }
        (O::Date(d), O::Int(n)) => add(Value::Text(format_date(d)), Value::Integer(-n)),
        _ => Err(user_error(
            "operator does not exist for these operand types",
        )),
    }
}

pub(super) fn register(conn: &Connection, flags: FunctionFlags) -> rusqlite::Result<()> {
    conn.create_scalar_function("pg_add", 2, flags, |ctx| add(arg(ctx, 0), arg(ctx, 1)))?;
    conn.create_scalar_function("pg_sub", 2, flags, |ctx| sub(arg(ctx, 0), arg(ctx, 1)))?;
    // pg_series_ok(value, stop, step): whether generate_series goes on.
    conn.create_scalar_function("pg_series_ok", 3, flags, |ctx| {
        use Operand as O;
        Ok(
            match (
                operand(arg(ctx, 0))?,
                operand(arg(ctx, 1))?,
                operand(arg(ctx, 2))?,
            ) {
                (O::Null, _, _) | (_, O::Null, _) | (_, _, O::Null) => false,
                (_, _, O::Int(0)) => return Err(user_error("step size cannot equal zero")),
                (O::Int(v), O::Int(stop), O::Int(step)) => {
                    if step > 0 {
                        v <= stop
                    } else {
                        v >= stop
                    }
                }
                (v, stop, step) => {
                    let f = |o: &Operand| match o {
                        O::Int(i) => Some(*i as f64),
                        O::Float(x) => Some(*x),
                        O::Date(d) => {
                            Some(d.and_time(NaiveTime::MIN).and_utc().timestamp_micros() as f64)
                        }
                        O::Timestamp(t) => Some(t.and_utc().timestamp_micros() as f64),
                        _ => None,
                    };
                    let ascending = match &step {
                        O::Interval(i) => i.months > 0 || i.days > 0 || i.micros > 0,
                        other => f(other).is_some_and(|s| s > 0.0),
                    };
                    match (f(&v), f(&stop)) {
                        (Some(v), Some(stop)) => {
                            if ascending {
                                v <= stop
                            } else {
                                v >= stop
                            }
                        }
                        _ => false,
                    }
                }
            },
        )
    })?;
    conn.create_scalar_function("pg_interval", 1, flags, |ctx| {
        Ok(match text_arg(ctx, 0) {
            None => None,
            Some(t) => Some(
                Interval::parse(&t)
                    .ok_or_else(|| {
                        user_error(format!("invalid input syntax for type interval: \"{t}\""))
                    })?
                    .to_pg(),
            ),
        })
    })?;
    conn.create_scalar_function("pg_to_timestamp", 1, flags, |ctx| {
        Ok(ts_arg(ctx, 0)?.map(|(ts, _)| format_timestamp(ts)))
    })?;
    conn.create_scalar_function("pg_to_date", 1, flags, |ctx| {
        Ok(ts_arg(ctx, 0)?.map(|(ts, _)| format_date(ts.date())))
    })?;
    conn.create_scalar_function("date_trunc", 2, flags, |ctx| {
        let unit = text_arg(ctx, 0).unwrap_or_default();
        match ts_arg(ctx, 1)? {
            None => Ok(None),
            Some((ts, _)) => date_trunc(&unit, ts)
                .map(|t| Some(format_timestamp(t)))
                .ok_or_else(|| {
                    user_error(format!("unit \"{unit}\" not recognized for type timestamp"))
                }),
        }
    })?;
    for (name, as_float) in [("pg_extract", false), ("date_part", true)] {
        conn.create_scalar_function(name, 2, flags, move |ctx| {
            let field = text_arg(ctx, 0).unwrap_or_default();
            let Some((ts, date_only)) = ts_arg(ctx, 1)? else {
                return Ok(Value::Null);
            };
            let value = extract(&field, ts, date_only && !as_float).ok_or_else(|| {
                user_error(format!("unit \"{field}\" not supported for type timestamp"))
            })?;
            Ok(match (as_float, value) {
                (true, Value::Integer(i)) => Value::Real(i as f64),
                (true, Value::Text(t)) => Value::Real(t.parse().unwrap_or(f64::NAN)),
                (_, v) => v,
            })
        })?;
    }
    conn.create_scalar_function("make_date", 3, flags, |ctx| {
        let part = |i| match arg(ctx, i) {
            Value::Integer(n) => Some(n),
            _ => None,
        };
        let (Some(y), Some(m), Some(d)) = (part(0), part(1), part(2)) else {
            return Ok(None);
        };
        NaiveDate::from_ymd_opt(y as i32, m as u32, d as u32)
            .map(|d| Some(format_date(d)))
            .ok_or_else(|| {
                super::range_error(format!("date field value out of range: {y}-{m:02}-{d:02}"))
            })
    })?;
    conn.create_scalar_function("age", 2, flags, |ctx| {
        match (ts_arg(ctx, 0)?, ts_arg(ctx, 1)?) {
            (Some((a, _)), Some((b, _))) => Ok(Some(age(a, b).to_pg())),
            _ => Ok(None),
        }
    })?;
    // now() is stable within a statement in Postgres; SQLite evaluates
    // non-deterministic functions per call, which is as close as we get.
    conn.create_scalar_function("now", 0, FunctionFlags::SQLITE_UTF8, |_| {
        Ok(format_timestamp(chrono::Utc::now().naive_utc()))
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> NaiveDateTime {
        parse_timestamp(text).unwrap()
    }

    #[test]
    fn intervals_parse_and_print_as_postgres() {
        let p = |t: &str| Interval::parse(t).unwrap().to_pg();
        assert_eq!(p("1 day"), "1 day");
        assert_eq!(p("2 hours 30 minutes"), "02:30:00");
        assert_eq!(p("1 year 2 months 3 days"), "1 year 2 mons 3 days");
        assert_eq!(p("1.5 days"), "1 day 12:00:00");
        assert_eq!(p("36 hours"), "36:00:00");
        assert_eq!(p("-1 days"), "-1 days");
        assert_eq!(
            p("1 year 2 mons 3 days 04:05:06.5"),
            "1 year 2 mons 3 days 04:05:06.5"
        );
        assert!(Interval::parse("soon").is_none());
    }

    #[test]
    fn date_arithmetic() {
        let t = |s: &str| Value::Text(s.into());
        assert_eq!(
            add(t("2024-02-28"), Value::Integer(1)).unwrap(),
            t("2024-02-29")
        );
        assert_eq!(
            add(t("2024-01-31 10:00:00"), t("1 mon")).unwrap(),
            t("2024-02-29 10:00:00")
        );
        assert_eq!(
            sub(t("2024-03-15"), t("2024-01-01")).unwrap(),
            Value::Integer(74)
        );
        assert_eq!(
            sub(t("2024-03-15 12:00:00"), t("2024-03-14 10:30:00")).unwrap(),
            t("1 day 01:30:00")
        );
        assert!(add(Value::Integer(i64::MAX), Value::Integer(1)).is_err());
    }

    #[test]
    fn age_and_trunc_and_extract() {
        assert_eq!(
            age(ts("2024-03-15 10:00:00"), ts("2020-01-10 08:30:00")).to_pg(),
            "4 years 2 mons 5 days 01:30:00"
        );
        assert_eq!(
            age(ts("2024-03-15"), ts("1990-07-20")).to_pg(),
            "33 years 7 mons 26 days"
        );
        assert_eq!(
            format_timestamp(date_trunc("week", ts("2024-03-15 10:00:00")).unwrap()),
            "2024-03-11 00:00:00"
        );
        assert_eq!(
            extract("second", ts("2024-03-15 10:00:05.5"), false),
            Some(Value::Text("5.500000".into()))
        );
        assert_eq!(
            extract("dow", ts("2024-03-17"), true),
            Some(Value::Integer(0))
        );
    }
}
