//! `COPY ... TO STDOUT`: a read's rows as CopyData messages in Postgres's
//! text, CSV or binary COPY format, one message per row, streamed as SQLite
//! produces them.
//!
//! Values are first encoded exactly as a DataRow would carry them (text or
//! binary), so COPY prints what a query prints; this module only adds each
//! format's framing, quoting and escaping.

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use futures::{Sink, SinkExt, Stream, StreamExt, stream};
use pgwire::api::portal::Format;
use pgwire::api::results::{CopyResponse, DataRowEncoder, FieldInfo, Tag};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::{CopyData, CopyDone, CopyOutResponse};
use pgwire::messages::data::DataRow;
use rusqlite::types::Value;

use super::encode::{self, fields};
use crate::exec::RowStream;
use crate::sql::cursor::CopyFormat;

const BINARY_SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";
const BINARY_TRAILER: &[u8] = &[0xff, 0xff];

/// Between [`response`] and [`send`]: an empty CopyData (which no row
/// ever is) says the next message is framing (the CSV header, the binary
/// trailer), so `COPY n` counts rows only. It is not sent.
fn framing() -> PgWireResult<CopyData> {
    Ok(CopyData::new(Bytes::new()))
}

/// Sends a CopyOut response: CopyOutResponse, the data, CopyDone and
/// `COPY n`. An error mid-stream is returned for the caller to send as an
/// ErrorResponse (what Postgres does; no CopyDone follows).
pub async fn send<C>(client: &mut C, response: CopyResponse) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin,
    C::Error: std::fmt::Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let column_formats = response.column_formats();
    let CopyResponse {
        format,
        columns,
        mut data_stream,
        ..
    } = response;
    client
        .feed(PgWireBackendMessage::CopyOutResponse(CopyOutResponse::new(
            format,
            columns as i16,
            column_formats,
        )))
        .await?;
    let mut rows = 0;
    let mut next_is_framing = false;
    while let Some(data) = data_stream.next().await {
        let data = data?;
        if data.data.is_empty() {
            next_is_framing = true;
            continue;
        }
        if !std::mem::take(&mut next_is_framing) {
            rows += 1;
        }
        client.feed(PgWireBackendMessage::CopyData(data)).await?;
    }
    client
        .feed(PgWireBackendMessage::CopyDone(CopyDone::new()))
        .await?;
    client
        .feed(PgWireBackendMessage::CommandComplete(
            Tag::new("COPY").with_rows(rows).into(),
        ))
        .await?;
    Ok(())
}

/// The CopyOut response for a running read.
pub fn response(rows: RowStream, format: CopyFormat) -> CopyResponse {
    let width = rows.columns.len();
    let wire_format = match format {
        CopyFormat::Binary => Format::UnifiedBinary,
        _ => Format::UnifiedText,
    };
    let fields = Arc::new(fields(&rows.columns, &wire_format));
    let header = match &format {
        CopyFormat::Csv {
            header: true,
            delimiter,
            quote,
            escape,
            null,
        } => {
            let mut line = BytesMut::new();
            for (i, column) in rows.columns.iter().enumerate() {
                if i > 0 {
                    put_char(&mut line, *delimiter);
                }
                csv_field(
                    &mut line,
                    column.name.as_bytes(),
                    *delimiter,
                    *quote,
                    *escape,
                    null,
                );
            }
            line.put_u8(b'\n');
            vec![framing(), Ok(CopyData::new(line.freeze()))]
        }
        _ => Vec::new(),
    };
    let code = if format == CopyFormat::Binary { 1 } else { 0 };
    let data = stream::iter(header).chain(copy_rows(rows.batches, fields, format));
    // Made as text, then marked binary: `CopyResponse::new` would append a
    // binary trailer of its own, and with no rows Postgres sends the header
    // and the trailer together.
    let mut response = CopyResponse::new(0, width, data);
    response.format = code;
    response
}

fn copy_rows(
    batches: tokio::sync::mpsc::Receiver<crate::error::PgResult<Vec<Vec<Value>>>>,
    fields: Arc<Vec<FieldInfo>>,
    format: CopyFormat,
) -> impl Stream<Item = PgWireResult<CopyData>> + Send {
    let encoder = DataRowEncoder::new(fields.clone());
    let first = true;
    stream::unfold(
        Some((batches, encoder, fields, format, first)),
        |state| async move {
            let (mut batches, mut encoder, fields, format, mut first) = state?;
            let batch = match batches.recv().await {
                Some(Ok(rows)) => rows,
                Some(Err(err)) => return Some((vec![Err(err.into())], None)),
                // The binary trailer ends the stream, after the header
                // if no row carried it.
                None if format == CopyFormat::Binary => {
                    let mut end = BytesMut::new();
                    if first {
                        end = binary_header(end);
                    }
                    end.put_slice(BINARY_TRAILER);
                    return Some((vec![framing(), Ok(CopyData::new(end.freeze()))], None));
                }
                None => return None,
            };
            let mut out = Vec::with_capacity(batch.len());
            for row in &batch {
                let message = encode::encode_row(&mut encoder, &fields, row).map(|row| {
                    let message = frame(&row, &format, first);
                    first = false;
                    message
                });
                let failed = message.is_err();
                out.push(message);
                if failed {
                    return Some((out, None));
                }
            }
            Some((out, Some((batches, encoder, fields, format, first))))
        },
    )
    .flat_map(stream::iter)
}

fn binary_header(mut buf: BytesMut) -> BytesMut {
    buf.put_slice(BINARY_SIGNATURE);
    buf.put_i32(0); // flags
    buf.put_i32(0); // header extension length
    buf
}

/// One row in the COPY format.
fn frame(row: &DataRow, format: &CopyFormat, first: bool) -> CopyData {
    let mut line = BytesMut::with_capacity(row.data.len() + 8);
    match format {
        CopyFormat::Binary => {
            if first {
                line = binary_header(line);
            }
            // A binary COPY tuple is a DataRow's body: a field count, then
            // each field as length + bytes (-1 for NULL).
            line.put_i16(row.field_count);
            line.put_slice(&row.data);
            return CopyData::new(line.freeze());
        }
        CopyFormat::Text { delimiter, null } => {
            for (i, field) in data_fields(row).enumerate() {
                if i > 0 {
                    put_char(&mut line, *delimiter);
                }
                match field {
                    None => line.put_slice(null.as_bytes()),
                    Some(bytes) => text_field(&mut line, bytes, *delimiter),
                }
            }
        }
        CopyFormat::Csv {
            delimiter,
            null,
            quote,
            escape,
            ..
        } => {
            for (i, field) in data_fields(row).enumerate() {
                if i > 0 {
                    put_char(&mut line, *delimiter);
                }
                match field {
                    None => line.put_slice(null.as_bytes()),
                    Some(bytes) => csv_field(&mut line, bytes, *delimiter, *quote, *escape, null),
                }
            }
        }
    }
    line.put_u8(b'\n');
    CopyData::new(line.freeze())
}

/// The fields of a text-format DataRow (`None` for NULL).
fn data_fields(row: &DataRow) -> impl Iterator<Item = Option<&[u8]>> {
    let mut rest: &[u8] = &row.data;
    (0..row.field_count).map(move |_| {
        let (len, tail) = rest.split_at(4);
        let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
        if len < 0 {
            rest = tail;
            None
        } else {
            let (value, tail) = tail.split_at(len as usize);
            rest = tail;
            Some(value)
        }
    })
}

fn put_char(buf: &mut BytesMut, c: char) {
    let mut utf8 = [0; 4];
    buf.put_slice(c.encode_utf8(&mut utf8).as_bytes());
}

/// Text format: backslash escapes for backslash, newline, carriage return,
/// tab and the delimiter.
fn text_field(buf: &mut BytesMut, value: &[u8], delimiter: char) {
    let delimiter = delimiter as u32;
    for &byte in value {
        match byte {
            b'\\' => buf.put_slice(b"\\\\"),
            b'\n' => buf.put_slice(b"\\n"),
            b'\r' => buf.put_slice(b"\\r"),
            b'\t' => buf.put_slice(b"\\t"),
            _ if u32::from(byte) == delimiter => {
                buf.put_u8(b'\\');
                buf.put_u8(byte);
            }
            _ => buf.put_u8(byte),
        }
    }
}

/// CSV: quoted when it holds the delimiter, the quote, a line break, or
/// reads as the NULL string (so an empty string is `""` by default);
/// quotes and escapes inside are preceded by the escape character.
fn csv_field(
    buf: &mut BytesMut,
    value: &[u8],
    delimiter: char,
    quote: char,
    escape: char,
    null: &str,
) {
    let (delimiter, quote, escape) = (delimiter as u32, quote as u32, escape as u32);
    let special = |b: u8| {
        let b = u32::from(b);
        b == delimiter || b == quote || b == u32::from(b'\n') || b == u32::from(b'\r')
    };
    if !value.iter().any(|&b| special(b)) && value != null.as_bytes() {
        buf.put_slice(value);
        return;
    }
    buf.put_u8(quote as u8);
    for &byte in value {
        if u32::from(byte) == quote || u32::from(byte) == escape {
            buf.put_u8(escape as u8);
        }
        buf.put_u8(byte);
    }
    buf.put_u8(quote as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_row(values: &[Option<&str>]) -> DataRow {
        let mut data = BytesMut::new();
        for value in values {
            match value {
                None => data.put_i32(-1),
                Some(v) => {
                    data.put_i32(v.len() as i32);
                    data.put_slice(v.as_bytes());
                }
            }
        }
        DataRow::new(data, values.len() as i16)
    }

    fn line(row: &DataRow, format: &CopyFormat) -> Bytes {
        frame(row, format, false).data
    }

    #[test]
    fn text_format_escapes() {
        let format = CopyFormat::Text {
            delimiter: '\t',
            null: "\\N".into(),
        };
        let row = text_row(&[Some("a\tb"), None, Some("x\\y\nz"), Some("")]);
        assert_eq!(&line(&row, &format)[..], b"a\\tb\t\\N\tx\\\\y\\nz\t\n");
    }

    #[test]
    fn csv_format_quotes() {
        let format = CopyFormat::Csv {
            delimiter: ',',
            null: String::new(),
            quote: '"',
            escape: '"',
            header: false,
        };
        let row = text_row(&[
            Some("plain"),
            Some("a,b"),
            Some("say \"hi\""),
            None,
            Some(""),
        ]);
        assert_eq!(
            &line(&row, &format)[..],
            b"plain,\"a,b\",\"say \"\"hi\"\"\",,\"\"\n"
        );
    }

    #[test]
    fn binary_format_frames_data_rows() {
        let row = text_row(&[Some("ab"), None]);
        let first = frame(&row, &CopyFormat::Binary, true).data;
        assert!(first.starts_with(BINARY_SIGNATURE));
        assert_eq!(
            &first[BINARY_SIGNATURE.len() + 8..],
            &[0, 2, 0, 0, 0, 2, b'a', b'b', 0xff, 0xff, 0xff, 0xff]
        );
    }
}
