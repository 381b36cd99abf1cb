//! Reading pcap and pcapng files as a stream of frames, with memory independent of file size.
//!
//! The file is read in large chunks (4 MiB, [`CHUNK`]) into shared [`Bytes`] buffers, and every
//! frame's data is a slice of its chunk ([`SharedFrame`]): nothing is copied per frame, and a
//! frame can be sent to another thread as it is. A chunk lives while a frame of it does.
//! Records are parsed with `pcap-parser`'s block parsers; gzipped files (`.pcap.gz`, detected
//! by their magic bytes) are inflated on the fly with `flate2`. pcapng files may hold several
//! sections and interfaces, each interface with its own link type and timestamp resolution.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use bytes::Bytes;
use pcap_parser::pcapng::Block;

use super::Timestamp;

/// Size of the chunks the file is read in.
pub const CHUNK: usize = 4 * 1024 * 1024;

/// The largest record (pcap record or pcapng block) accepted; larger ones are malformed.
const MAX_RECORD: usize = 64 * 1024 * 1024;

/// pcapng's section header block type.
const SHB_TYPE: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Opening or reading the file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not a pcap or pcapng file.
    #[error("not a pcap or pcapng file")]
    NotACapture,
    /// The file is malformed at this frame.
    #[error("malformed capture after frame {frame}: {message}")]
    Malformed {
        /// The last frame read well.
        frame: u64,
        /// What went wrong.
        message: String,
    },
}

/// One captured frame, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// 1-based frame number.
    pub number: u64,
    /// Capture time.
    pub ts: Timestamp,
    /// libpcap link type of the frame's interface.
    pub linktype: u16,
    /// The captured bytes.
    pub data: &'a [u8],
    /// The frame's length on the wire.
    pub orig_len: u32,
}

/// One captured frame whose data is a slice of the reader's chunk: cheap to clone and to send
/// to another thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFrame {
    /// 1-based frame number.
    pub number: u64,
    /// Capture time.
    pub ts: Timestamp,
    /// libpcap link type of the frame's interface.
    pub linktype: u16,
    /// The captured bytes.
    pub data: Bytes,
    /// The frame's length on the wire.
    pub orig_len: u32,
}

impl SharedFrame {
    /// The frame, borrowed.
    pub fn as_frame(&self) -> Frame<'_> {
        Frame {
            number: self.number,
            ts: self.ts,
            linktype: self.linktype,
            data: &self.data,
            orig_len: self.orig_len,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u16,
    /// Timestamp units per second.
    resolution: u64,
    offset: i64,
}

impl Interface {
    /// What a frame without a known interface is taken to be: Ethernet, microseconds.
    const DEFAULT: Interface = Interface {
        linktype: 1,
        resolution: 1_000_000,
        offset: 0,
    };
}

/// What a read saw, besides frames.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Frames delivered.
    pub frames: u64,
    /// Bytes of frame data delivered.
    pub bytes: u64,
    /// Whether the file ended in the middle of a record.
    pub truncated: bool,
}

/// The file's format, from its first record.
#[derive(Debug, Clone, Copy)]
enum Format {
    /// Classic pcap: byte order, record header size (16, or 24 for the "modified" format),
    /// and the link and resolution of its one interface.
    Legacy {
        big_endian: bool,
        header_len: usize,
        iface: Interface,
    },
    /// pcapng: the current section's byte order.
    Ng { big_endian: bool },
}

/// The file in chunks: `buf[pos..]` is what is read and not yet parsed.
struct Chunks {
    source: Box<dyn Read + Send>,
    buf: Bytes,
    pos: usize,
    eof: bool,
    /// Bytes read at a time.
    chunk: usize,
}

impl Chunks {
    fn available(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Makes at least `need` bytes available; `false` when the file ends before.
    fn fill(&mut self, need: usize) -> std::io::Result<bool> {
        while self.available().len() < need {
            if self.eof {
                return Ok(false);
            }
            let rest = self.available();
            let cap = self.chunk.max(need);
            let mut next = Vec::with_capacity(cap);
            next.extend_from_slice(rest);
            let want = (cap - next.len()) as u64;
            let read = (&mut self.source).take(want).read_to_end(&mut next)?;
            if (read as u64) < want {
                self.eof = true;
            }
            self.buf = Bytes::from(next);
            self.pos = 0;
        }
        Ok(true)
    }
}

/// A streaming reader over a pcap or pcapng file (possibly gzipped).
pub struct CaptureReader {
    chunks: Chunks,
    format: Format,
    interfaces: Vec<Interface>,
    stats: ReadStats,
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

fn u32_at(b: &[u8], at: usize, big_endian: bool) -> u32 {
    let mut w = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        w.copy_from_slice(s);
    }
    if big_endian {
        u32::from_be_bytes(w)
    } else {
        u32::from_le_bytes(w)
    }
}

/// `sub` as a slice of `buf` when it lies inside it (no copy), else a copy.
fn share(buf: &Bytes, sub: &[u8]) -> Bytes {
    let start = (sub.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
    if sub.is_empty() {
        Bytes::new()
    } else if start <= buf.len() && sub.len() <= buf.len() - start {
        buf.slice(start..start + sub.len())
    } else {
        Bytes::copy_from_slice(sub)
    }
}

impl CaptureReader {
    /// Opens a file.
    pub fn open(path: impl AsRef<Path>) -> Result<CaptureReader, ReadError> {
        CaptureReader::open_with_chunk(path, CHUNK)
    }

    /// Opens a file, reading it in chunks of `chunk` bytes (at least 64 KiB; a record larger
    /// than the chunk gets a chunk of its own): smaller chunks when many files are open at once.
    pub fn open_with_chunk(
        path: impl AsRef<Path>,
        chunk: usize,
    ) -> Result<CaptureReader, ReadError> {
        let file = File::open(path)?;
        CaptureReader::with_chunk(file, chunk)
    }

    /// Reads from any byte source.
    pub fn new<R: Read + Send + 'static>(source: R) -> Result<CaptureReader, ReadError> {
        CaptureReader::with_chunk(source, CHUNK)
    }

    /// Reads from any byte source in chunks of `chunk` bytes (see [`Self::open_with_chunk`]).
    pub fn with_chunk<R: Read + Send + 'static>(
        source: R,
        chunk: usize,
    ) -> Result<CaptureReader, ReadError> {
        let mut source = BufReader::with_capacity(64 * 1024, source);
        let magic = {
            use std::io::BufRead;
            source.fill_buf()?.get(..2).map(|m| [m[0], m[1]])
        };
        let boxed: Box<dyn Read + Send> = if magic == Some([0x1f, 0x8b]) {
            Box::new(flate2::read::MultiGzDecoder::new(source))
        } else {
            Box::new(source)
        };
        let mut chunks = Chunks {
            source: boxed,
            buf: Bytes::new(),
            pos: 0,
            eof: false,
            chunk: chunk.max(64 * 1024),
        };
        if !chunks.fill(24)? {
            return Err(ReadError::NotACapture);
        }
        let head = chunks.available();
        let format = if head.get(..4) == Some(&SHB_TYPE[..]) {
            // The section header is parsed as the first block.
            Format::Ng { big_endian: false }
        } else {
            let (_, h) =
                pcap_parser::parse_pcap_header(head).map_err(|_| ReadError::NotACapture)?;
            chunks.pos += 24;
            Format::Legacy {
                big_endian: h.is_bigendian(),
                header_len: if h.is_modified_format() { 24 } else { 16 },
                iface: Interface {
                    linktype: h.network.0 as u16,
                    resolution: if h.is_nanosecond_precision() {
                        1_000_000_000
                    } else {
                        1_000_000
                    },
                    offset: 0,
                },
            }
        };
        Ok(CaptureReader {
            chunks,
            format,
            interfaces: Vec::new(),
            stats: ReadStats::default(),
        })
    }

    /// What has been read so far.
    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// Calls `f` with every frame, in file order. Stops early when `f` returns `false`.
    pub fn for_each_frame(
        &mut self,
        mut f: impl FnMut(Frame<'_>) -> bool,
    ) -> Result<ReadStats, ReadError> {
        while let Some(frame) = self.next_frame()? {
            if !f(frame.as_frame()) {
                break;
            }
        }
        Ok(self.stats)
    }

    /// The next frame, `None` at the end of the file (or where it ends inside a record:
    /// [`ReadStats::truncated`] then says so).
    pub fn next_frame(&mut self) -> Result<Option<SharedFrame>, ReadError> {
        loop {
            let Some(len) = self.next_record_len()? else {
                return Ok(None);
            };
            let record = self
                .chunks
                .buf
                .slice(self.chunks.pos..self.chunks.pos + len);
            self.chunks.pos += len;
            if let Some(frame) = self.parse(&record)? {
                self.stats.frames += 1;
                self.stats.bytes += frame.data.len() as u64;
                return Ok(Some(frame));
            }
        }
    }

    /// The length of the next whole record, made available in the chunk; `None` at the end.
    fn next_record_len(&mut self) -> Result<Option<usize>, ReadError> {
        let (head_len, big_endian) = match self.format {
            Format::Legacy {
                header_len,
                big_endian,
                ..
            } => (header_len, big_endian),
            Format::Ng { big_endian } => (12, big_endian),
        };
        if !self.chunks.fill(1)? {
            return Ok(None);
        }
        if !self.chunks.fill(head_len)? {
            self.stats.truncated = true;
            return Ok(None);
        }
        let head = self.chunks.available();
        let len = match self.format {
            Format::Legacy { .. } => head_len + u32_at(head, 8, big_endian) as usize,
            Format::Ng { .. } => {
                let big_endian = if head.get(..4) == Some(&SHB_TYPE[..]) {
                    // A new section says its own byte order.
                    let be = head.get(8..12) == Some(&[0x1a, 0x2b, 0x3c, 0x4d][..]);
                    self.format = Format::Ng { big_endian: be };
                    be
                } else {
                    big_endian
                };
                u32_at(head, 4, big_endian) as usize
            }
        };
        if len > MAX_RECORD || len < head_len.min(12) {
            return Err(self.malformed(format!("a record of {len} bytes")));
        }
        if !self.chunks.fill(len)? {
            self.stats.truncated = true;
            return Ok(None);
        }
        Ok(Some(len))
    }

    /// One whole record: a frame, or `None` for a block that is no frame.
    fn parse(&mut self, record: &Bytes) -> Result<Option<SharedFrame>, ReadError> {
        let number = self.stats.frames + 1;
        match self.format {
            Format::Legacy {
                big_endian,
                header_len,
                iface,
            } => {
                let ts_sec = u64::from(u32_at(record, 0, big_endian));
                let ts_frac = u64::from(u32_at(record, 4, big_endian));
                let orig_len = u32_at(record, 12, big_endian);
                let nanos = ts_frac.saturating_mul(1_000_000_000 / iface.resolution);
                Ok(Some(SharedFrame {
                    number,
                    ts: Timestamp::from_nanos(
                        ts_sec.saturating_mul(1_000_000_000).saturating_add(nanos),
                    ),
                    linktype: iface.linktype,
                    data: record.slice(header_len..),
                    orig_len,
                }))
            }
            Format::Ng { big_endian } => {
                let parsed = if big_endian {
                    pcap_parser::pcapng::parse_block_be(record)
                } else {
                    pcap_parser::pcapng::parse_block_le(record)
                };
                let block = match parsed {
                    Ok((_, block)) => block,
                    Err(e) => return Err(self.malformed(format!("{e:?}"))),
                };
                Ok(match block {
                    Block::SectionHeader(_) => {
                        self.interfaces.clear();
                        None
                    }
                    Block::InterfaceDescription(idb) => {
                        self.interfaces.push(Interface {
                            linktype: idb.linktype.0 as u16,
                            resolution: idb.ts_resolution().unwrap_or(1_000_000).max(1),
                            offset: idb.ts_offset(),
                        });
                        None
                    }
                    Block::EnhancedPacket(epb) => {
                        let iface = self
                            .interfaces
                            .get(epb.if_id as usize)
                            .copied()
                            .unwrap_or(Interface::DEFAULT);
                        let raw = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        let nanos =
                            (u128::from(raw) * 1_000_000_000 / u128::from(iface.resolution)) as u64;
                        let ts = Timestamp::from_nanos(
                            nanos.saturating_add_signed(iface.offset.saturating_mul(1_000_000_000)),
                        );
                        let data = epb.data.get(..epb.caplen as usize).unwrap_or(epb.data);
                        Some(SharedFrame {
                            number,
                            ts,
                            linktype: iface.linktype,
                            data: share(record, data),
                            orig_len: epb.origlen,
                        })
                    }
                    Block::SimplePacket(spb) => {
                        let iface = self
                            .interfaces
                            .first()
                            .copied()
                            .unwrap_or(Interface::DEFAULT);
                        let data = spb.data.get(..spb.origlen as usize).unwrap_or(spb.data);
                        Some(SharedFrame {
                            number,
                            ts: Timestamp::from_nanos(0),
                            linktype: iface.linktype,
                            data: share(record, data),
                            orig_len: spb.origlen,
                        })
                    }
                    _ => None,
                })
            }
        }
    }

    fn malformed(&self, message: String) -> ReadError {
        ReadError::Malformed {
            frame: self.stats.frames,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_slices_of_one_chunk() {
        let mut reader = CaptureReader::open("../../fixtures/binary.pcap").expect("fixture");
        let a = reader.next_frame().expect("read").expect("a frame");
        let b = reader.next_frame().expect("read").expect("a frame");
        assert_eq!((a.number, b.number), (1, 2));
        // Both frames point into the same buffer, one after the other.
        let gap = b.data.as_ptr() as usize - a.data.as_ptr() as usize;
        assert!(gap >= a.data.len() && gap <= a.data.len() + 24, "{gap}");
    }

    #[test]
    fn garbage_and_empty_input_are_not_captures() {
        for input in [&b""[..], b"hello, this is not a capture file at all"] {
            let r = CaptureReader::new(std::io::Cursor::new(input.to_vec()));
            assert!(matches!(r, Err(ReadError::NotACapture)), "{input:?}");
        }
    }

    #[test]
    fn a_huge_record_length_is_malformed_not_an_allocation() {
        let mut file = std::fs::read("../../fixtures/binary.pcap").expect("fixture");
        file[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut r = CaptureReader::new(std::io::Cursor::new(file)).expect("header");
        assert!(matches!(r.next_frame(), Err(ReadError::Malformed { .. })));
    }
}
