//! `kairos convert --from hftbacktest|cryptofeed IN… --out FILE.kcap`:
//! imports other recorders' raw captures into one native capture file, the
//! inputs written in the order given.
//!
//! Symbols get writer ids in order of first appearance over all inputs; each
//! input's connection tags are kept as the importer numbers them. Prints a
//! summary per input and for the output (records per kind, symbols, streams,
//! malformed lines with examples, bytes in and out) on stderr. Exit status:
//! 0 when every input was read (malformed lines are reported, not fatal),
//! 1 when an input cannot be opened, 2 when the output cannot be written.

use crate::capture::import::{ImportReader, ImportStats, InputFormat};
use crate::capture::writer::{CaptureWriter, WriteError, WriteStats};
use crate::capture::{RecordKind, RecordRef, NO_SYMBOL};
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The `--from` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FromFormat {
    /// hftbacktest collector lines: `<ts> <message>`.
    Hftbacktest,
    /// cryptofeed raw data lines.
    Cryptofeed,
}

impl From<FromFormat> for InputFormat {
    fn from(f: FromFormat) -> InputFormat {
        match f {
            FromFormat::Hftbacktest => InputFormat::Hftbacktest,
            FromFormat::Cryptofeed => InputFormat::Cryptofeed,
        }
    }
}

/// What one input contributed.
#[derive(Debug, Clone)]
pub struct InputSummary {
    /// The input.
    pub path: PathBuf,
    /// Its file size in bytes.
    pub file_bytes: u64,
    /// The importer's counters.
    pub stats: ImportStats,
    /// Symbols of this input, in its id order.
    pub symbols: Vec<String>,
    /// Frames per stream type (`depth@100ms`, `trade`, …), in order of first appearance.
    pub streams: Vec<(String, u64)>,
}

/// Why a conversion stopped.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// An input cannot be opened.
    #[error(transparent)]
    Input(#[from] crate::capture::import::ImportOpenError),
    /// The output cannot be written.
    #[error("output {}: {source}", path.display())]
    Output {
        /// The output path.
        path: PathBuf,
        /// The failure.
        #[source]
        source: WriteError,
    },
}

/// Converts one input into `writer`, translating symbol ids.
pub fn convert_input<W: Write>(
    path: &Path,
    format: InputFormat,
    writer: &mut CaptureWriter<W>,
) -> Result<Result<InputSummary, WriteError>, crate::capture::import::ImportOpenError> {
    let file_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut reader = ImportReader::open(path, format)?;
    let mut map: Vec<u16> = Vec::new();
    let mut streams: Vec<(String, u64)> = Vec::new();
    let res = (|| {
        while let Some(item) = reader.next() {
            let Ok(rec) = item else { continue };
            if let Some(kind) = rec.stream.map(stream_type) {
                match streams.iter_mut().find(|(k, _)| k == kind) {
                    Some((_, n)) => *n += 1,
                    None => streams.push((kind.to_string(), 1)),
                }
            }
            let symbol = match rec.symbol_name {
                None => NO_SYMBOL,
                Some(name) => {
                    let i = usize::from(rec.symbol);
                    match map.get(i) {
                        Some(&id) if id != NO_SYMBOL => id,
                        _ => {
                            let id = writer.symbol_id(name.as_bytes(), rec.recv_ns, rec.conn)?;
                            if map.len() <= i {
                                map.resize(i + 1, NO_SYMBOL);
                            }
                            map[i] = id;
                            id
                        }
                    }
                }
            };
            writer.write(&RecordRef {
                symbol,
                ..rec.as_record()
            })?;
        }
        Ok(())
    })();
    let summary = InputSummary {
        path: path.to_path_buf(),
        file_bytes,
        stats: reader.stats().clone(),
        symbols: reader.symbols().map(str::to_string).collect(),
        streams,
    };
    Ok(res.map(|()| summary))
}

/// `depth@100ms` from `btcusdt@depth@100ms`; the whole name when it has no `@`.
fn stream_type(stream: &str) -> &str {
    stream.split_once('@').map_or(stream, |(_, t)| t)
}

/// Runs `kairos convert`.
pub fn run(from: FromFormat, inputs: &[PathBuf], out: &Path) -> ExitCode {
    let info = format!(
        "kairos {} convert --from {} {}",
        env!("CARGO_PKG_VERSION"),
        InputFormat::from(from).name(),
        inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut writer = match CaptureWriter::create(out, &info) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("kairos convert: cannot create {}: {e}", out.display());
            return ExitCode::from(2);
        }
    };
    let mut code = ExitCode::SUCCESS;
    for path in inputs {
        match convert_input(path, from.into(), &mut writer) {
            Err(e) => {
                eprintln!("kairos convert: {e}");
                code = ExitCode::from(1);
            }
            Ok(Err(e)) => {
                eprintln!("kairos convert: writing {}: {e}", out.display());
                return ExitCode::from(2);
            }
            Ok(Ok(s)) => eprint!("{}", describe_input(&s)),
        }
    }
    match writer.finish() {
        Ok((_, stats)) => {
            let in_bytes: u64 = inputs
                .iter()
                .filter_map(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
                .sum();
            eprint!("{}", describe_output(out, &stats, in_bytes));
            code
        }
        Err(e) => {
            eprintln!("kairos convert: writing {}: {e}", out.display());
            ExitCode::from(2)
        }
    }
}

fn kinds(by_kind: &[u64; 5]) -> String {
    RecordKind::ALL
        .iter()
        .filter(|k| by_kind[usize::from(k.code())] > 0)
        .map(|k| format!("{} {}", k.name(), by_kind[usize::from(k.code())]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The human summary of one input.
pub fn describe_input(s: &InputSummary) -> String {
    let st = &s.stats;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}: {} lines{}, {} bytes in ({} bytes decompressed)",
        s.path.display(),
        st.lines,
        if st.gzip { " (gzip)" } else { "" },
        s.file_bytes,
        st.bytes_read
    );
    let _ = writeln!(
        o,
        "  records {}: {}",
        st.records(),
        kinds(&st.records_by_kind)
    );
    let _ = writeln!(o, "  symbols: {}", s.symbols.join(", "));
    let streams = s
        .streams
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(o, "  frames by stream: {streams}");
    if st.config_lines + st.blank_lines > 0 {
        let _ = writeln!(
            o,
            "  skipped: {} configuration, {} blank lines",
            st.config_lines, st.blank_lines
        );
    }
    let _ = writeln!(o, "  malformed lines: {}", st.malformed);
    for e in &st.examples {
        let _ = writeln!(o, "    {e}");
    }
    if let Some(e) = &st.read_error {
        let _ = writeln!(o, "  WARNING: input ends early: {e}");
    }
    o
}

/// The human summary of the output.
pub fn describe_output(out: &Path, stats: &WriteStats, in_bytes: u64) -> String {
    format!(
        "{}: {} records ({}) in {} chunks, {} bytes out ({} bytes in)\n",
        out.display(),
        stats.records(),
        kinds(&stats.records_by_kind),
        stats.chunks,
        stats.bytes,
        in_bytes
    )
}
