//! `kairos decode [FILE|-]`: one raw Binance message per line in, one JSON
//! line out per message (`{"kind":…, fields…}`), or `{"error":…}` naming
//! what is wrong. Exit status 0 when every line decoded, 1 otherwise.
//!
//! A line may also be a whole capture line: the hftbacktest form
//! `<timestamp> <message>` and the cryptofeed form `<timestamp>: <message>`
//! are accepted, and only the message part is decoded. `.gz` files are read
//! through gzip. Blank lines are skipped.

use crate::binance::error::MAX_REST_BODY_BYTES;
use crate::binance::message::decode_message;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::process::ExitCode;

/// Longest input line read, in bytes (one REST body at most).
pub const MAX_LINE_BYTES: usize = MAX_REST_BODY_BYTES;

/// What one run decoded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DecodeSummary {
    /// Lines decoded.
    pub ok: u64,
    /// Lines that failed.
    pub errors: u64,
}

/// Runs `kairos decode` on `input` (`None` or `-` for stdin).
pub fn run(input: Option<&Path>) -> ExitCode {
    let reader: Box<dyn Read> = match input {
        None => Box::new(io::stdin().lock()),
        Some(p) if p.as_os_str() == "-" => Box::new(io::stdin().lock()),
        Some(p) => match std::fs::File::open(p) {
            Ok(f) if p.extension().is_some_and(|e| e == "gz") => {
                Box::new(flate2::read::MultiGzDecoder::new(f))
            }
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("kairos decode: cannot open {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
    };
    let stdout = io::stdout().lock();
    let mut out = BufWriter::new(stdout);
    match decode_stream(BufReader::new(reader), &mut out) {
        Ok(s) => {
            if let Err(e) = out.flush() {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    eprintln!("kairos decode: writing output: {e}");
                    return ExitCode::from(2);
                }
            }
            if s.errors == 0 {
                ExitCode::SUCCESS
            } else {
                eprintln!("kairos decode: {} decoded, {} failed", s.ok, s.errors);
                ExitCode::from(1)
            }
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kairos decode: {e}");
            ExitCode::from(2)
        }
    }
}

/// Decodes every line of `input` into `out`; I/O errors end the run.
pub fn decode_stream<R: BufRead, W: Write>(mut input: R, out: &mut W) -> io::Result<DecodeSummary> {
    let mut summary = DecodeSummary::default();
    let mut line = Vec::new();
    let mut number: u64 = 0;
    loop {
        line.clear();
        let n = (&mut input)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        number += 1;
        if line.len() > MAX_LINE_BYTES && line.last() != Some(&b'\n') {
            // Skip the rest of the over-long line.
            let mut sink = Vec::new();
            loop {
                sink.clear();
                let m = (&mut input).take(1 << 20).read_until(b'\n', &mut sink)?;
                if m == 0 || sink.last() == Some(&b'\n') {
                    break;
                }
            }
            summary.errors += 1;
            write_error(out, number, &format!("line is over {MAX_LINE_BYTES} bytes"))?;
            continue;
        }
        let msg = message_part(trim(&line));
        if msg.is_empty() {
            continue;
        }
        match decode_message(msg).map(|m| m.to_json()) {
            Ok(Ok(json)) => {
                summary.ok += 1;
                out.write_all(json.as_bytes())?;
                out.write_all(b"\n")?;
            }
            Ok(Err(e)) => {
                summary.errors += 1;
                write_error(out, number, &format!("cannot print: {e}"))?;
            }
            Err(e) => {
                summary.errors += 1;
                write_error(out, number, &e.to_string())?;
            }
        }
    }
    Ok(summary)
}

fn write_error<W: Write>(out: &mut W, line: u64, error: &str) -> io::Result<()> {
    let error = serde_json::to_string(error).unwrap_or_else(|_| "\"?\"".into());
    writeln!(out, "{{\"error\":{error},\"line\":{line}}}")
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !first.is_ascii_whitespace() {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !last.is_ascii_whitespace() {
            break;
        }
        s = rest;
    }
    s
}

/// Strips a capture line's prefix: a timestamp (`123 {…}`, `1.5: {…}`) or
/// cryptofeed's REST form (`https://… -> 1.5: {…}`).
fn message_part(line: &[u8]) -> &[u8] {
    if line.starts_with(b"http") {
        if let Some(at) = line.windows(4).position(|w| w == b" -> ") {
            let rest = &line[at + 4..];
            let stripped = message_part(rest);
            if stripped.len() < rest.len() {
                return stripped;
            }
        }
        return line;
    }
    let digits = line
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .count();
    if digits == 0 {
        return line;
    }
    let mut rest = &line[digits..];
    if let [b':', tail @ ..] = rest {
        rest = tail;
    }
    let rest = trim(rest);
    if digits < line.len() && matches!(rest.first(), Some(b'{' | b'[')) {
        rest
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_on(input: &str) -> (DecodeSummary, Vec<serde_json::Value>) {
        let mut out = Vec::new();
        let s = decode_stream(input.as_bytes(), &mut out).unwrap();
        let lines = String::from_utf8(out).unwrap();
        let values = lines
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (s, values)
    }

    #[test]
    fn one_json_line_per_message_and_errors_named() {
        let input = concat!(
            r#"1723161254087891268 {"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"#,
            "\n\n",
            r#"1617566591.326123: {"e":"trade","E":1,"s":"BNBBTC","t":1,"p":"0.0010","q":"100","T":1,"m":true,"M":true}"#,
            "\n",
            r#"{"e":"trade","E":1,"s":"BNBBTC","t":1,"p":"1e-5","q":"100","T":1,"m":true,"M":true}"#,
            "\r\n",
            "{\"truncated\":",
        );
        let (s, v) = run_on(input);
        assert_eq!(s, DecodeSummary { ok: 2, errors: 2 });
        assert_eq!(v[0]["kind"], "bookTicker");
        assert_eq!(v[0]["stream"], "btcusdt@bookTicker");
        assert_eq!(v[1]["kind"], "trade");
        assert_eq!(v[1]["price"], "0.00100000");
        assert_eq!(v[2]["line"], 4);
        let e = v[2]["error"].as_str().unwrap();
        assert!(e.contains("exponent"), "{e}");
        assert_eq!(v[3]["line"], 5);
    }

    #[test]
    fn capture_prefix_only_when_a_message_follows() {
        assert_eq!(message_part(b"12 {}"), b"{}");
        assert_eq!(message_part(b"1.5: []"), b"[]");
        assert_eq!(message_part(b"12345"), b"12345");
        assert_eq!(
            message_part(b"https://x/api/v1/depth?symbol=A -> 1617566592.1: {\"a\":1}"),
            b"{\"a\":1}"
        );
        assert_eq!(
            message_part(b"https://x -> nothing"),
            b"https://x -> nothing"
        );
        assert_eq!(message_part(b"{\"a\":1}"), b"{\"a\":1}");
    }
}
