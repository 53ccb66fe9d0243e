//! SQLite's record format and its value order, enough to compare index keys
//! with a query's constants.
//!
//! A record is a header (its size, then one serial type per column, all
//! varints) followed by the column bodies. Values order as SQLite orders
//! them under the BINARY collation: NULL, then numbers (integers and reals
//! compared by value), then text (bytewise), then blobs (bytewise).

use std::cmp::Ordering;

/// One key value, as stored in a record or given by a query.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Null,
    Int(i64),
    Real(f64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
}

impl Key {
    fn class(&self) -> u8 {
        match self {
            Key::Null => 0,
            Key::Int(_) | Key::Real(_) => 1,
            Key::Text(_) => 2,
            Key::Blob(_) => 3,
        }
    }

    /// SQLite's order for BINARY-collated values.
    pub fn order(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::Int(a), Key::Int(b)) => a.cmp(b),
            (Key::Int(a), Key::Real(b)) => cmp_int_real(*a, *b),
            (Key::Real(a), Key::Int(b)) => cmp_int_real(*b, *a).reverse(),
            (Key::Real(a), Key::Real(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
            (Key::Text(a), Key::Text(b)) | (Key::Blob(a), Key::Blob(b)) => a.cmp(b),
            _ => self.class().cmp(&other.class()),
        }
    }
}

fn cmp_int_real(a: i64, b: f64) -> Ordering {
    if b.is_nan() {
        return Ordering::Greater;
    }
    // Exact for every i64 that an f64 comparison would round.
    if b >= 9.223_372_036_854_776e18 {
        Ordering::Less
    } else if b < -9.223_372_036_854_776e18 {
        Ordering::Greater
    } else {
        let bi = b.trunc() as i64;
        a.cmp(&bi).then(if b.fract() > 0.0 {
            Ordering::Less
        } else if b.fract() < 0.0 {
            Ordering::Greater
        } else {
            Ordering::Equal
        })
    }
}

/// Reads a SQLite varint; returns it and its length.
pub fn varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for i in 0..9 {
        let b = *bytes.get(i)?;
        if i == 8 {
            return Some(((value << 8) | u64::from(b), 9));
        }
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn body_len(serial: u64) -> usize {
    match serial {
        0 | 8 | 9 | 10 | 11 => 0,
        1 => 1,
        2 => 2,
        3 => 3,
        4 => 4,
        5 => 6,
        6 | 7 => 8,
        n => ((n - 12) / 2) as usize,
    }
}

fn value(serial: u64, body: &[u8]) -> Option<Key> {
    let int = |n: usize| {
        let bytes = body.get(..n)?;
        let mut v: i64 = if bytes[0] & 0x80 != 0 { -1 } else { 0 };
        for &b in bytes {
            v = (v << 8) | i64::from(b);
        }
        Some(v)
    };
    Some(match serial {
        0 => Key::Null,
        1..=4 => Key::Int(int(body_len(serial))?),
        5 => Key::Int(int(6)?),
        6 => Key::Int(int(8)?),
        7 => Key::Real(f64::from_bits(u64::from_be_bytes(
            body.get(..8)?.try_into().ok()?,
        ))),
        8 => Key::Int(0),
        9 => Key::Int(1),
        10 | 11 => return None,
        n if n % 2 == 0 => Key::Blob(body.get(..body_len(n))?.to_vec()),
        n => Key::Text(body.get(..body_len(n))?.to_vec()),
    })
}

/// Decodes the first `max` columns of a record. Stops early (returning
/// fewer) where the record is cut short, e.g. by an overflow page.
pub fn columns(record: &[u8], max: usize) -> Vec<Key> {
    let mut out = Vec::new();
    let Some((header_len, mut at)) = varint(record) else {
        return out;
    };
    let header_len = header_len as usize;
    let mut body = header_len;
    while at < header_len && out.len() < max {
        let Some((serial, n)) = varint(&record[at.min(record.len())..]) else {
            break;
        };
        at += n;
        let Some(v) = record.get(body..).and_then(|b| value(serial, b)) else {
            break;
        };
        body += body_len(serial);
        out.push(v);
    }
    out
}

/// The last column of a record: the rowid, in an index of a rowid table.
pub fn last_int(record: &[u8]) -> Option<i64> {
    let (header_len, mut at) = varint(record)?;
    let header_len = header_len as usize;
    let mut body = header_len;
    let mut last = None;
    while at < header_len {
        let (serial, n) = varint(record.get(at..)?)?;
        at += n;
        last = Some((serial, body));
        body += body_len(serial);
    }
    let (serial, offset) = last?;
    match value(serial, record.get(offset..)?)? {
        Key::Int(v) => Some(v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record of the given SQL literals (ints, reals, 'text', NULL), in
    /// the format of the file format spec; the B-tree tests read records
    /// SQLite itself wrote.
    fn encode_by_hand(sql_values: &str) -> Vec<u8> {
        let mut header = Vec::new();
        let mut body = Vec::new();
        for v in sql_values.split(',').map(str::trim) {
            if v == "NULL" {
                header.push(0);
            } else if let Some(text) = v.strip_prefix('\'') {
                let text = text.trim_end_matches('\'');
                header.push((13 + 2 * text.len()) as u8);
                body.extend_from_slice(text.as_bytes());
            } else if v.contains('.') {
                header.push(7);
                body.extend_from_slice(&v.parse::<f64>().unwrap().to_bits().to_be_bytes());
            } else {
                header.push(6);
                body.extend_from_slice(&v.parse::<i64>().unwrap().to_be_bytes());
            }
        }
        let mut out = vec![(header.len() + 1) as u8];
        out.extend(header);
        out.extend(body);
        out
    }

    #[test]
    fn decodes_columns_and_the_trailing_rowid() {
        let rec = encode_by_hand("42, 'abc', NULL, 1.5, 7");
        let cols = columns(&rec, 4);
        assert_eq!(
            cols,
            vec![
                Key::Int(42),
                Key::Text(b"abc".to_vec()),
                Key::Null,
                Key::Real(1.5)
            ]
        );
        assert_eq!(last_int(&rec), Some(7));
        // A record cut short yields the columns that are whole.
        assert_eq!(columns(&rec[..rec.len() - 12], 5).len(), 3);
    }

    #[test]
    fn orders_values_as_sqlite_does() {
        let mut keys = vec![
            Key::Blob(b"a".to_vec()),
            Key::Text(b"b".to_vec()),
            Key::Text(b"B".to_vec()),
            Key::Real(2.5),
            Key::Int(3),
            Key::Int(2),
            Key::Null,
            Key::Real(-1e300),
        ];
        keys.sort_by(Key::order);
        assert_eq!(
            keys,
            vec![
                Key::Null,
                Key::Real(-1e300),
                Key::Int(2),
                Key::Real(2.5),
                Key::Int(3),
                Key::Text(b"B".to_vec()),
                Key::Text(b"b".to_vec()),
                Key::Blob(b"a".to_vec()),
            ]
        );
        assert_eq!(Key::Int(2).order(&Key::Real(2.0)), Ordering::Equal);
        assert_eq!(Key::Int(-3).order(&Key::Real(-2.5)), Ordering::Less);
    }

    #[test]
    fn reads_varints() {
        assert_eq!(varint(&[0x05]), Some((5, 1)));
        assert_eq!(varint(&[0x81, 0x00]), Some((128, 2)));
        assert_eq!(varint(&[0xff; 9]), Some((u64::MAX, 9)));
        assert_eq!(varint(&[0x81]), None);
    }
}
