//! The native capture format (`.kcap`) and importers of other recorders'
//! raw captures.
//!
//! - [`format`](mod@format): the on-disk layout, its limits and the [`RecordRef`] record.
//! - [`writer`]: [`CaptureWriter`], streaming, chunked, CRC-protected.
//! - [`reader`]: [`CaptureReader`], memory-mapped, zero-copy, reports a torn
//!   or corrupt tail with its byte offset.
//! - [`import`]: [`ImportReader`], line readers of the hftbacktest and
//!   cryptofeed raw formats (gzip or plain).

pub mod format;
pub mod import;
pub mod reader;
pub mod recorder;
pub mod writer;

pub use format::{RecordKind, RecordRef, NO_SYMBOL};
pub use import::{ImportReader, ImportStats, ImportedRecord, InputFormat, LineError};
pub use reader::{CaptureReader, OpenError, Records, TailError, TailReason};
pub use writer::{CaptureWriter, WriteError, WriteStats};
