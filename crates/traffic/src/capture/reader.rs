//! Reading pcap and pcapng files as a stream of frames, with memory independent of file size.
//!
//! Built on `pcap-parser`'s streaming readers (a fixed window over the file); gzipped files
//! (`.pcap.gz`, detected by their magic bytes) are inflated on the fly with `flate2`. pcapng
//! files may hold several interfaces, each with its own link type and timestamp resolution.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};

use super::Timestamp;

/// Size of the reading window; a frame larger than this cannot be read (libpcap's largest
/// snap length is 256 KiB).
const WINDOW: usize = 4 * 1024 * 1024;

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
        /// What pcap-parser said.
        message: String,
    },
}

/// One captured frame, borrowed from the reader's window.
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

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u16,
    /// Timestamp units per second.
    resolution: u64,
    offset: i64,
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

/// A streaming reader over a pcap or pcapng file (possibly gzipped).
pub struct CaptureReader {
    inner: Box<dyn PcapReaderIterator + Send>,
    legacy: Option<Interface>,
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

impl CaptureReader {
    /// Opens a file.
    pub fn open(path: impl AsRef<Path>) -> Result<CaptureReader, ReadError> {
        let file = File::open(path)?;
        CaptureReader::new(file)
    }

    /// Reads from any byte source.
    pub fn new<R: Read + Send + 'static>(source: R) -> Result<CaptureReader, ReadError> {
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
        let inner = pcap_parser::create_reader(WINDOW, boxed).map_err(|e| match e {
            PcapError::ReadError => ReadError::Io(std::io::Error::other("read failed")),
            _ => ReadError::NotACapture,
        })?;
        Ok(CaptureReader {
            inner,
            legacy: None,
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
        loop {
            match self.inner.next() {
                Ok((used, block)) => {
                    let mut keep_going = true;
                    match block {
                        PcapBlockOwned::LegacyHeader(h) => {
                            self.legacy = Some(Interface {
                                linktype: h.network.0 as u16,
                                resolution: if h.is_nanosecond_precision() {
                                    1_000_000_000
                                } else {
                                    1_000_000
                                },
                                offset: 0,
                            });
                        }
                        PcapBlockOwned::Legacy(b) => {
                            let iface = self.legacy.unwrap_or(Interface {
                                linktype: 1,
                                resolution: 1_000_000,
                                offset: 0,
                            });
                            let nanos = u64::from(b.ts_usec) * (1_000_000_000 / iface.resolution);
                            let ts =
                                Timestamp::from_nanos(u64::from(b.ts_sec) * 1_000_000_000 + nanos);
                            self.stats.frames += 1;
                            self.stats.bytes += b.data.len() as u64;
                            keep_going = f(Frame {
                                number: self.stats.frames,
                                ts,
                                linktype: iface.linktype,
                                data: b.data,
                                orig_len: b.origlen,
                            });
                        }
                        PcapBlockOwned::NG(Block::SectionHeader(_)) => self.interfaces.clear(),
                        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                            self.interfaces.push(Interface {
                                linktype: idb.linktype.0 as u16,
                                resolution: idb.ts_resolution().unwrap_or(1_000_000).max(1),
                                offset: idb.ts_offset(),
                            });
                        }
                        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                            let iface = self.interfaces.get(epb.if_id as usize).copied().unwrap_or(
                                Interface {
                                    linktype: 1,
                                    resolution: 1_000_000,
                                    offset: 0,
                                },
                            );
                            let raw = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                            let nanos = (u128::from(raw) * 1_000_000_000
                                / u128::from(iface.resolution))
                                as u64;
                            let ts =
                                Timestamp::from_nanos(nanos.saturating_add_signed(
                                    iface.offset.saturating_mul(1_000_000_000),
                                ));
                            let data = epb.data.get(..epb.caplen as usize).unwrap_or(epb.data);
                            self.stats.frames += 1;
                            self.stats.bytes += data.len() as u64;
                            keep_going = f(Frame {
                                number: self.stats.frames,
                                ts,
                                linktype: iface.linktype,
                                data,
                                orig_len: epb.origlen,
                            });
                        }
                        PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                            let iface = self.interfaces.first().copied().unwrap_or(Interface {
                                linktype: 1,
                                resolution: 1_000_000,
                                offset: 0,
                            });
                            self.stats.frames += 1;
                            self.stats.bytes += spb.data.len() as u64;
                            let data = spb.data.get(..spb.origlen as usize).unwrap_or(spb.data);
                            keep_going = f(Frame {
                                number: self.stats.frames,
                                ts: Timestamp::from_nanos(0),
                                linktype: iface.linktype,
                                data,
                                orig_len: spb.origlen,
                            });
                        }
                        PcapBlockOwned::NG(_) => {}
                    }
                    self.inner.consume(used);
                    if !keep_going {
                        return Ok(self.stats);
                    }
                }
                Err(PcapError::Eof) => return Ok(self.stats),
                Err(PcapError::UnexpectedEof) => {
                    self.stats.truncated = true;
                    return Ok(self.stats);
                }
                Err(PcapError::Incomplete(_)) => {
                    if self.inner.reader_exhausted() {
                        // The file ends inside a record: report it, keep what was read.
                        self.stats.truncated = !self.inner.data().is_empty();
                        return Ok(self.stats);
                    }
                    if self.inner.refill().is_err() {
                        return Err(self.malformed("read failed"));
                    }
                }
                Err(e) => {
                    let message = format!("{e:?}");
                    return Err(ReadError::Malformed {
                        frame: self.stats.frames,
                        message,
                    });
                }
            }
        }
    }

    fn malformed(&self, message: &str) -> ReadError {
        ReadError::Malformed {
            frame: self.stats.frames,
            message: message.to_string(),
        }
    }
}
