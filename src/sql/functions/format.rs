//! `to_char` for timestamps/dates and numbers, with the common template
//! patterns (YYYY, MM, DD, HH24, HH12, MI, SS, MS, US, Mon, Month, Day, Dy,
//! AM/PM, Q, DDD, "quoted text", FM; 9, 0, '.', ',', D, G, S).

use chrono::{Datelike, NaiveDateTime, Timelike};
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::datetime::parse_timestamp;
use super::{arg, text_of};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Case of a name pattern: `MONTH`, `Month`, `month`.
fn cased(name: &str, pattern: &str) -> String {
    if pattern.chars().all(|c| c.is_ascii_uppercase()) {
        name.to_uppercase()
    } else if pattern
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase())
    {
        name.to_owned()
    } else {
        name.to_lowercase()
    }
}

pub fn format_timestamp(ts: NaiveDateTime, template: &str) -> String {
    let mut out = String::new();
    let bytes = template.as_bytes();
    let mut i = 0;
    let mut fill_mode = false;
    while i < bytes.len() {
        let rest = &template[i..];
        let starts = |p: &str| rest.len() >= p.len() && rest[..p.len()].eq_ignore_ascii_case(p);
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            out.push_str(&quoted[..end]);
            i += (end + 2).min(rest.len());
            continue;
        }
        if starts("FM") {
            fill_mode = true;
            i += 2;
            continue;
        }
        let num = |n: i64, width: usize, fm: bool| {
            if fm {
                n.to_string()
            } else {
                format!("{n:0width$}")
            }
        };
        let fm = std::mem::take(&mut fill_mode);
        let (text, len) = if starts("YYYY") {
            (num(i64::from(ts.year()), 4, fm), 4)
        } else if starts("YYY") {
            (num(i64::from(ts.year() % 1000), 3, fm), 3)
        } else if starts("YY") {
            (num(i64::from(ts.year() % 100), 2, fm), 2)
        } else if starts("HH24") {
            (num(i64::from(ts.hour()), 2, fm), 4)
        } else if starts("HH12") || starts("HH") {
            let h = ts.hour() % 12;
            let len = if starts("HH12") { 4 } else { 2 };
            (num(i64::from(if h == 0 { 12 } else { h }), 2, fm), len)
        } else if starts("MI") {
            (num(i64::from(ts.minute()), 2, fm), 2)
        } else if starts("SS") {
            (num(i64::from(ts.second()), 2, fm), 2)
        } else if starts("MS") {
            (num(i64::from(ts.nanosecond() / 1_000_000), 3, fm), 2)
        } else if starts("US") {
            (num(i64::from(ts.nanosecond() / 1000), 6, fm), 2)
        } else if starts("AM") || starts("PM") {
            let am = ts.hour() < 12;
            let text = if am { "AM" } else { "PM" };
            (cased(text, &rest[..2]), 2)
        } else if starts("A.M.") || starts("P.M.") {
            let text = if ts.hour() < 12 { "A.M." } else { "P.M." };
            (cased(text, &rest[..4]), 4)
        } else if starts("MONTH") {
            let name = cased(MONTHS[ts.month0() as usize], &rest[..5]);
            (if fm { name } else { format!("{name:<9}") }, 5)
        } else if starts("MON") {
            (cased(&MONTHS[ts.month0() as usize][..3], &rest[..3]), 3)
        } else if starts("MM") {
            (num(i64::from(ts.month()), 2, fm), 2)
        } else if starts("DAY") {
            let name = cased(
                DAYS[ts.weekday().num_days_from_sunday() as usize],
                &rest[..3],
            );
            (if fm { name } else { format!("{name:<9}") }, 3)
        } else if starts("DY") {
            let name = &DAYS[ts.weekday().num_days_from_sunday() as usize][..3];
            (cased(name, &rest[..2]), 2)
        } else if starts("DDD") {
            (num(i64::from(ts.ordinal()), 3, fm), 3)
        } else if starts("DD") {
            (num(i64::from(ts.day()), 2, fm), 2)
        } else if starts("D") {
            (
                i64::from(ts.weekday().num_days_from_sunday() + 1).to_string(),
                1,
            )
        } else if starts("Q") {
            ((ts.month0() / 3 + 1).to_string(), 1)
        } else if starts("WW") {
            (num(i64::from(ts.ordinal0() / 7 + 1), 2, fm), 2)
        } else if starts("IW") {
            (num(i64::from(ts.iso_week().week()), 2, fm), 2)
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            (c.to_string(), c.len_utf8())
        };
        out.push_str(&text);
        i += len;
    }
    out
}

/// `to_char(number, template)`.
pub fn format_number(value: f64, template: &str) -> String {
    let fill_mode = template.to_ascii_uppercase().contains("FM");
    let pattern: String = template
        .chars()
        .filter(|c| !matches!(c, 'F' | 'M' | 'f' | 'm'))
        .collect();
    let (int_pattern, frac_pattern) = match pattern.find(['.', 'D']) {
        Some(at) => (&pattern[..at], &pattern[at + 1..]),
        None => (pattern.as_str(), ""),
    };
    let frac_digits = frac_pattern
        .chars()
        .filter(|c| matches!(c, '9' | '0'))
        .count();
    let int_positions = int_pattern
        .chars()
        .filter(|c| matches!(c, '9' | '0'))
        .count();
    let rounded = Decimal::from_f64(value)
        .unwrap_or_default()
        .round_dp_with_strategy(frac_digits as u32, RoundingStrategy::MidpointAwayFromZero);
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    let abs = rounded.abs();
    let text = format!("{abs:.frac_digits$}");
    let (int_digits, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_owned(), f.to_owned()),
        None => (text.clone(), String::new()),
    };
    let int_digits = if int_digits == "0" {
        String::new()
    } else {
        int_digits
    };
    if int_digits.len() > int_positions {
        let hashes = "#".repeat(int_positions);
        let frac_hashes = "#".repeat(frac_digits);
        return if frac_digits > 0 {
            format!(" {hashes}.{frac_hashes}")
        } else {
            format!(" {hashes}")
        };
    }
    // Integer part, right-aligned over the pattern's positions.
    let mut digits = int_digits.chars().rev();
    let mut int_out: Vec<char> = Vec::new();
    let mut started_padding = false;
    for c in int_pattern.chars().rev() {
        match c {
            '9' | '0' => match digits.next() {
                Some(d) => int_out.push(d),
                None => {
                    started_padding = true;
                    int_out.push(if c == '0' { '0' } else { ' ' });
                }
            },
            ',' | 'G' => {
                let more = digits.clone().next().is_some();
                int_out.push(if started_padding && !more { ' ' } else { ',' });
            }
            _ => int_out.push(c),
        }
    }
    int_out.reverse();
    let mut int_text: String = int_out.into_iter().collect();
    // Positions holding '0' or a digit start the number; the sign goes just before.
    let first = int_text.find(|c: char| c != ' ').unwrap_or(int_text.len());
    let sign = if negative { '-' } else { ' ' };
    int_text.insert(first, sign);
    let mut frac_out = String::new();
    let mut frac_chars = frac.chars();
    for c in frac_pattern.chars() {
        match c {
            '9' | '0' => frac_out.push(frac_chars.next().unwrap_or('0')),
            _ => frac_out.push(c),
        }
    }
    if fill_mode {
        // FM: no padding; trailing zeros of '9' positions dropped.
        let mut trimmed: Vec<char> = frac_out.chars().collect();
        let pattern: Vec<char> = frac_pattern.chars().collect();
        while let (Some('0'), Some('9')) = (trimmed.last(), pattern.get(trimmed.len() - 1)) {
            trimmed.pop();
        }
        frac_out = trimmed.into_iter().collect();
        int_text = int_text.trim_start().to_owned();
        if !negative {
            int_text = int_text.trim_start_matches(' ').to_owned();
        }
    }
    if frac_pattern.is_empty() && !pattern.contains(['.', 'D']) {
        int_text
    } else {
        format!("{int_text}.{frac_out}")
    }
}

pub(super) fn register(conn: &Connection, flags: FunctionFlags) -> rusqlite::Result<()> {
    conn.create_scalar_function("to_char", 2, flags, |ctx| {
        let Some(template) = text_of(arg(ctx, 1)) else {
            return Ok(None);
        };
        Ok(match arg(ctx, 0) {
            Value::Null => None,
            Value::Integer(i) => Some(format_number(i as f64, &template)),
            Value::Real(r) => Some(format_number(r, &template)),
            Value::Text(t) => match parse_timestamp(&t) {
                Some(ts) => Some(format_timestamp(ts, &template)),
                None => t
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .map(|n| format_number(n, &template)),
            },
            Value::Blob(_) => None,
        })
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_as_postgres() {
        assert_eq!(format_number(1234.5, "9999.99"), " 1234.50");
        assert_eq!(format_number(42.0, "000"), " 042");
        assert_eq!(format_number(1234567.891, "9,999,999.99"), " 1,234,567.89");
        assert_eq!(format_number(-12.5, "999.9"), " -12.5");
        assert_eq!(format_number(0.5, "0.99"), " 0.50");
        assert_eq!(format_number(7.0, "FM999"), "7");
        assert_eq!(format_number(12.3, "FM9999.00"), "12.30");
    }

    #[test]
    fn timestamps_format_as_postgres() {
        let ts = parse_timestamp("2024-03-05 14:07:09").unwrap();
        assert_eq!(
            format_timestamp(ts, "YYYY-MM-DD HH24:MI:SS"),
            "2024-03-05 14:07:09"
        );
        assert_eq!(format_timestamp(ts, "Mon YYYY"), "Mar 2024");
        assert_eq!(format_timestamp(ts, "Month DD, YYYY"), "March     05, 2024");
        assert_eq!(format_timestamp(ts, "HH12:MI AM"), "02:07 PM");
        assert_eq!(format_timestamp(ts, "YYYY\"Q\"Q"), "2024Q1");
        assert_eq!(format_timestamp(ts, "Day"), "Tuesday  ");
    }
}
