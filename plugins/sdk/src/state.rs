//! A small versioned binary format for `save-state` / `load-state`.
//!
//! Layout: 4 magic bytes naming the plugin, a little-endian `u16` version,
//! then the plugin's fixed fields (little-endian integers, bools as one byte
//! 0/1), and nothing after them. A reader rejects a wrong magic, a version
//! newer than it knows, a truncated buffer, trailing bytes or a bool that is
//! neither 0 nor 1, with a [`StateError`]; it never panics.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Why a saved state could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateError {
    /// The buffer ended before the named field.
    Truncated(&'static str),
    /// The magic bytes are not this plugin's.
    BadMagic {
        /// Expected magic.
        expected: [u8; 4],
        /// What the buffer held (zero-padded when shorter).
        found: [u8; 4],
    },
    /// Written by a newer version than this reader supports.
    NewerVersion {
        /// Version in the buffer.
        found: u16,
        /// Newest version this reader reads.
        supported: u16,
    },
    /// Bytes left after the last field.
    TrailingBytes(usize),
    /// A field holds a value that cannot be valid.
    BadValue(&'static str),
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Truncated(field) => write!(f, "state truncated before field '{field}'"),
            StateError::BadMagic { expected, found } => write!(
                f,
                "state magic {:?} is not this plugin's {:?}",
                String::from_utf8_lossy(found),
                String::from_utf8_lossy(expected)
            ),
            StateError::NewerVersion { found, supported } => write!(
                f,
                "state version {found} is newer than supported version {supported}"
            ),
            StateError::TrailingBytes(n) => write!(f, "state has {n} trailing bytes"),
            StateError::BadValue(field) => {
                write!(f, "state field '{field}' holds an invalid value")
            }
        }
    }
}

impl core::error::Error for StateError {}

/// Writes a state: magic, version, then fields in order.
#[derive(Debug)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// Starts a state with its magic and version; `capacity` is a size hint.
    pub fn new(magic: [u8; 4], version: u16, capacity: usize) -> Writer {
        let mut buf = Vec::with_capacity(6 + capacity);
        buf.extend_from_slice(&magic);
        buf.extend_from_slice(&version.to_le_bytes());
        Writer { buf }
    }
    /// Appends one byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    /// Appends a bool as one byte 0/1.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.buf.push(u8::from(v));
        self
    }
    /// Appends a little-endian u32.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends a little-endian i64.
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends raw bytes (a fixed-size array field).
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }
    /// The finished state.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads a state written by [`Writer`].
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    version: u16,
}

impl<'a> Reader<'a> {
    /// Checks the magic and that the version is at most `supported`.
    pub fn new(buf: &'a [u8], magic: [u8; 4], supported: u16) -> Result<Reader<'a>, StateError> {
        let mut found = [0u8; 4];
        for (d, s) in found.iter_mut().zip(buf.iter()) {
            *d = *s;
        }
        if buf.len() < 4 || found != magic {
            return Err(StateError::BadMagic {
                expected: magic,
                found,
            });
        }
        let mut r = Reader {
            buf,
            pos: 4,
            version: 0,
        };
        let v = r.take::<2>("version")?;
        let version = u16::from_le_bytes(v);
        if version > supported {
            return Err(StateError::NewerVersion {
                found: version,
                supported,
            });
        }
        r.version = version;
        Ok(r)
    }
    /// The version the state was written with.
    pub fn version(&self) -> u16 {
        self.version
    }
    fn take<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], StateError> {
        let end = self
            .pos
            .checked_add(N)
            .ok_or(StateError::Truncated(field))?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or(StateError::Truncated(field))?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        self.pos = end;
        Ok(out)
    }
    /// Reads one byte.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, StateError> {
        Ok(self.take::<1>(field)?[0])
    }
    /// Reads a bool (rejects anything but 0/1).
    pub fn bool(&mut self, field: &'static str) -> Result<bool, StateError> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(StateError::BadValue(field)),
        }
    }
    /// Reads a little-endian u32.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, StateError> {
        Ok(u32::from_le_bytes(self.take::<4>(field)?))
    }
    /// Reads a little-endian i64.
    pub fn i64(&mut self, field: &'static str) -> Result<i64, StateError> {
        Ok(i64::from_le_bytes(self.take::<8>(field)?))
    }
    /// Reads a fixed-size byte array.
    pub fn bytes<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], StateError> {
        self.take::<N>(field)
    }
    /// Ends reading: fails if bytes are left.
    pub fn finish(self) -> Result<(), StateError> {
        match self.buf.len() - self.pos {
            0 => Ok(()),
            n => Err(StateError::TrailingBytes(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: [u8; 4] = *b"TEST";

    fn sample() -> Vec<u8> {
        let mut w = Writer::new(M, 1, 16);
        w.u8(7).bool(true).u32(0xdead_beef).i64(-5).bytes(&[1, 2]);
        w.finish()
    }

    #[test]
    fn state_round_trips_every_field_kind() {
        let b = sample();
        let mut r = Reader::new(&b, M, 1).unwrap();
        assert_eq!(r.version(), 1);
        assert_eq!(r.u8("a").unwrap(), 7);
        assert!(r.bool("b").unwrap());
        assert_eq!(r.u32("c").unwrap(), 0xdead_beef);
        assert_eq!(r.i64("d").unwrap(), -5);
        assert_eq!(r.bytes::<2>("e").unwrap(), [1, 2]);
        r.finish().unwrap();
    }

    #[test]
    fn state_with_wrong_magic_is_rejected() {
        let b = sample();
        let e = Reader::new(&b, *b"XXXX", 1).unwrap_err();
        assert!(matches!(e, StateError::BadMagic { .. }), "{e}");
        assert!(Reader::new(&[], M, 1).is_err());
        assert!(Reader::new(b"TE", M, 1).is_err());
    }

    #[test]
    fn state_from_a_newer_version_is_rejected() {
        let b = Writer::new(M, 2, 0).finish();
        assert_eq!(
            Reader::new(&b, M, 1).unwrap_err(),
            StateError::NewerVersion {
                found: 2,
                supported: 1
            }
        );
    }

    #[test]
    fn every_truncation_of_a_state_is_an_error_never_a_panic() {
        let b = sample();
        for n in 0..b.len() {
            let cut = &b[..n];
            let res = (|| {
                let mut r = Reader::new(cut, M, 1)?;
                r.u8("a")?;
                r.bool("b")?;
                r.u32("c")?;
                r.i64("d")?;
                r.bytes::<2>("e")?;
                r.finish()
            })();
            assert!(res.is_err(), "prefix of {n} bytes was accepted");
        }
    }

    #[test]
    fn trailing_bytes_and_bad_bools_are_rejected() {
        let mut b = Writer::new(M, 1, 0);
        b.u8(2);
        let b = b.finish();
        let mut r = Reader::new(&b, M, 1).unwrap();
        assert_eq!(r.bool("flag").unwrap_err(), StateError::BadValue("flag"));
        let r = Reader::new(&b, M, 1).unwrap();
        assert_eq!(r.finish().unwrap_err(), StateError::TrailingBytes(1));
    }
}
