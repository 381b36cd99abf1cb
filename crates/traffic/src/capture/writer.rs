//! Writing captures: pcap or pcapng files of synthetic Ethernet + IPv4/IPv6 + TCP frames built
//! from per-direction byte chunks.
//!
//! A recorded connection opens with a three-way handshake, carries its bytes in segments of at
//! most [`CaptureWriter::mss`] bytes with correct sequence and acknowledgement numbers and
//! valid checksums, and ends with FIN/ACK (or RST) — so Wireshark, tshark and memshark itself
//! read it like a real capture. Lower-level calls write arbitrary segments for test fixtures
//! (out of order, retransmitted, cut by a snap length, VLAN-tagged, …).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use etherparse::PacketBuilder;

use super::reassembly::Direction;
use super::Timestamp;

/// File format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap, microsecond timestamps.
    Pcap,
    /// pcapng, one Ethernet interface, microsecond timestamps.
    PcapNg,
}

impl Format {
    /// pcapng for `.pcapng`/`.ntar` files, pcap otherwise.
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("pcapng" | "ntar") => Format::PcapNg,
            _ => Format::Pcap,
        }
    }
}

/// TCP flags of a hand-built segment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpFlags {
    /// SYN.
    pub syn: bool,
    /// ACK.
    pub ack: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
    /// PSH.
    pub psh: bool,
}

/// A connection opened with [`CaptureWriter::open_connection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnHandle(u64);

#[derive(Debug)]
struct Conn {
    client: SocketAddr,
    server: SocketAddr,
    /// Next sequence number the client sends.
    client_seq: u32,
    /// Next sequence number the server sends.
    server_seq: u32,
}

/// Writes synthetic captures.
#[derive(Debug)]
pub struct CaptureWriter<W: Write> {
    out: W,
    format: Format,
    conns: HashMap<u64, Conn>,
    next_conn: u64,
    /// Largest payload per synthetic segment (default 1448, like Ethernet with timestamps).
    pub mss: usize,
    scratch: Vec<u8>,
    bytes_written: u64,
    /// Timestamps in nanoseconds rather than microseconds.
    nanos: bool,
}

impl CaptureWriter<BufWriter<File>> {
    /// Creates a file readable by its owner only ([`super::create_private`]); the format
    /// follows the extension (`.pcapng` or pcap).
    pub fn create(path: impl AsRef<Path>) -> io::Result<CaptureWriter<BufWriter<File>>> {
        let path = path.as_ref();
        let file = BufWriter::with_capacity(256 * 1024, super::create_private(path)?);
        CaptureWriter::new(file, Format::from_path(path))
    }
}

fn mac_of(ip: IpAddr) -> [u8; 6] {
    let b = match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets()[12..].to_vec(),
    };
    [0x02, 0x00, b[0], b[1], b[2], b[3]]
}

impl<W: Write> CaptureWriter<W> {
    /// Starts a capture on `out`, writing the file header (Ethernet frames).
    pub fn new(out: W, format: Format) -> io::Result<CaptureWriter<W>> {
        CaptureWriter::with_linktype(out, format, 1)
    }

    /// Starts a capture of frames of link type `linktype` (1 Ethernet, 113 Linux cooked, …)
    /// on `out`, for frames written as captured ([`CaptureWriter::write_frame`]); the
    /// synthetic-segment calls build Ethernet frames and need link type 1.
    pub fn with_linktype(out: W, format: Format, linktype: u16) -> io::Result<CaptureWriter<W>> {
        CaptureWriter::with_resolution(out, format, linktype, false)
    }

    /// Like [`CaptureWriter::with_linktype`], with nanosecond timestamps when `nanos` (a pcap
    /// of magic `a1b23c4d`, a pcapng interface with `if_tsresol` 9): what an export of frames
    /// uses, so that a capture's times survive whatever their precision.
    pub fn with_resolution(
        mut out: W,
        format: Format,
        linktype: u16,
        nanos: bool,
    ) -> io::Result<CaptureWriter<W>> {
        let header_len = match format {
            Format::Pcap => {
                let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
                out.write_all(&magic.to_le_bytes())?;
                out.write_all(&2u16.to_le_bytes())?;
                out.write_all(&4u16.to_le_bytes())?;
                out.write_all(&0i32.to_le_bytes())?;
                out.write_all(&0u32.to_le_bytes())?;
                out.write_all(&262_144u32.to_le_bytes())?;
                out.write_all(&u32::from(linktype).to_le_bytes())?;
                24
            }
            Format::PcapNg => {
                // Section header block.
                out.write_all(&0x0A0D_0D0Au32.to_le_bytes())?;
                out.write_all(&28u32.to_le_bytes())?;
                out.write_all(&0x1A2B_3C4Du32.to_le_bytes())?;
                out.write_all(&1u16.to_le_bytes())?;
                out.write_all(&0u16.to_le_bytes())?;
                out.write_all(&(-1i64).to_le_bytes())?;
                out.write_all(&28u32.to_le_bytes())?;
                // Interface description block: the link type, snaplen 256 KiB, µs resolution
                // (the default) or ns (option if_tsresol = 9, then the end of options).
                let idb_len: u32 = if nanos { 32 } else { 20 };
                out.write_all(&1u32.to_le_bytes())?;
                out.write_all(&idb_len.to_le_bytes())?;
                out.write_all(&linktype.to_le_bytes())?;
                out.write_all(&0u16.to_le_bytes())?;
                out.write_all(&262_144u32.to_le_bytes())?;
                if nanos {
                    out.write_all(&9u16.to_le_bytes())?;
                    out.write_all(&1u16.to_le_bytes())?;
                    out.write_all(&[9, 0, 0, 0])?;
                    out.write_all(&[0; 4])?;
                }
                out.write_all(&idb_len.to_le_bytes())?;
                28 + u64::from(idb_len)
            }
        };
        Ok(CaptureWriter {
            out,
            format,
            conns: HashMap::new(),
            next_conn: 1,
            mss: 1448,
            scratch: Vec::with_capacity(2048),
            bytes_written: header_len,
            nanos,
        })
    }

    /// Bytes written so far (the file's size once flushed).
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// Writes one frame as captured (`data`, of which the wire held `orig_len` bytes).
    pub fn write_frame(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        let (secs, micros) = ts.secs_micros();
        // The fraction of a second in the file's unit.
        let frac = if self.nanos {
            (ts.as_nanos() % 1_000_000_000) as u32
        } else {
            micros
        };
        match self.format {
            Format::Pcap => {
                self.out.write_all(&(secs as u32).to_le_bytes())?;
                self.out.write_all(&frac.to_le_bytes())?;
                self.out.write_all(&(data.len() as u32).to_le_bytes())?;
                self.out.write_all(&orig_len.to_le_bytes())?;
                self.out.write_all(data)?;
                self.bytes_written += 16 + data.len() as u64;
            }
            Format::PcapNg => {
                let padded = data.len().div_ceil(4) * 4;
                let total = 32 + padded as u32;
                let units = if self.nanos {
                    ts.as_nanos()
                } else {
                    secs * 1_000_000 + u64::from(micros)
                };
                self.out.write_all(&6u32.to_le_bytes())?;
                self.out.write_all(&total.to_le_bytes())?;
                self.out.write_all(&0u32.to_le_bytes())?;
                self.out.write_all(&((units >> 32) as u32).to_le_bytes())?;
                self.out.write_all(&(units as u32).to_le_bytes())?;
                self.out.write_all(&(data.len() as u32).to_le_bytes())?;
                self.out.write_all(&orig_len.to_le_bytes())?;
                self.out.write_all(data)?;
                self.out.write_all(&[0u8; 3][..padded - data.len()])?;
                self.out.write_all(&total.to_le_bytes())?;
                self.bytes_written += u64::from(total);
            }
        }
        Ok(())
    }

    /// Builds an Ethernet + IP + TCP frame (valid checksums) into `self.scratch`.
    #[allow(clippy::too_many_arguments)]
    fn build_tcp(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        ack: u32,
        flags: TcpFlags,
        payload: &[u8],
    ) -> io::Result<()> {
        self.scratch.clear();
        let eth = PacketBuilder::ethernet2(mac_of(src.ip()), mac_of(dst.ip()));
        let to_io = |e: etherparse::err::packet::BuildWriteError| io::Error::other(e.to_string());
        macro_rules! tcp {
            ($ip:expr) => {{
                let mut b = $ip.tcp(src.port(), dst.port(), seq, 65535);
                if flags.syn {
                    b = b.syn();
                }
                if flags.ack {
                    b = b.ack(ack);
                }
                if flags.fin {
                    b = b.fin();
                }
                if flags.rst {
                    b = b.rst();
                }
                if flags.psh {
                    b = b.psh();
                }
                b.write(&mut self.scratch, payload).map_err(to_io)
            }};
        }
        match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => tcp!(eth.ipv4(s.octets(), d.octets(), 64)),
            (IpAddr::V6(s), IpAddr::V6(d)) => tcp!(eth.ipv6(s.octets(), d.octets(), 64)),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "mixed IPv4/IPv6 addresses",
            )),
        }
    }

    /// Writes one hand-built TCP segment. `snaplen` cuts the frame as a capture would.
    #[allow(clippy::too_many_arguments)]
    pub fn write_tcp(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        ack: u32,
        flags: TcpFlags,
        payload: &[u8],
        snaplen: Option<usize>,
    ) -> io::Result<()> {
        self.build_tcp(src, dst, seq, ack, flags, payload)?;
        let frame = std::mem::take(&mut self.scratch);
        let orig = frame.len() as u32;
        let cut = snaplen.map_or(frame.len(), |s| s.min(frame.len()));
        let result = self.write_frame(ts, &frame[..cut], orig);
        self.scratch = frame;
        result
    }

    /// Writes a UDP datagram.
    pub fn write_udp(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) -> io::Result<()> {
        let mut frame = Vec::with_capacity(64 + payload.len());
        let eth = PacketBuilder::ethernet2(mac_of(src.ip()), mac_of(dst.ip()));
        let to_io = |e: etherparse::err::packet::BuildWriteError| io::Error::other(e.to_string());
        match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => eth
                .ipv4(s.octets(), d.octets(), 64)
                .udp(src.port(), dst.port())
                .write(&mut frame, payload)
                .map_err(to_io)?,
            (IpAddr::V6(s), IpAddr::V6(d)) => eth
                .ipv6(s.octets(), d.octets(), 64)
                .udp(src.port(), dst.port())
                .write(&mut frame, payload)
                .map_err(to_io)?,
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "mixed IPv4/IPv6 addresses",
                ))
            }
        }
        let len = frame.len() as u32;
        self.write_frame(ts, &frame, len)
    }

    /// Opens a connection: SYN, SYN-ACK, ACK.
    pub fn open_connection(
        &mut self,
        client: SocketAddr,
        server: SocketAddr,
        ts: Timestamp,
    ) -> io::Result<ConnHandle> {
        let id = self.next_conn;
        self.next_conn += 1;
        let (cisn, sisn) = (
            0x1000_0000u32.wrapping_mul(id as u32) ^ 0x55,
            0x2000_0000u32.wrapping_add(id as u32 * 7919),
        );
        let syn = TcpFlags {
            syn: true,
            ..TcpFlags::default()
        };
        let synack = TcpFlags {
            syn: true,
            ack: true,
            ..TcpFlags::default()
        };
        let ack = TcpFlags {
            ack: true,
            ..TcpFlags::default()
        };
        self.write_tcp(ts, client, server, cisn, 0, syn, b"", None)?;
        self.write_tcp(
            ts,
            server,
            client,
            sisn,
            cisn.wrapping_add(1),
            synack,
            b"",
            None,
        )?;
        self.write_tcp(
            ts,
            client,
            server,
            cisn.wrapping_add(1),
            sisn.wrapping_add(1),
            ack,
            b"",
            None,
        )?;
        self.conns.insert(
            id,
            Conn {
                client,
                server,
                client_seq: cisn.wrapping_add(1),
                server_seq: sisn.wrapping_add(1),
            },
        );
        Ok(ConnHandle(id))
    }

    /// Writes bytes one way on a connection, in segments of at most [`mss`](Self::mss).
    pub fn write_data(
        &mut self,
        conn: ConnHandle,
        dir: Direction,
        ts: Timestamp,
        data: &[u8],
    ) -> io::Result<()> {
        let Some(c) = self.conns.get(&conn.0) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "unknown connection",
            ));
        };
        let (src, dst, mut seq, ack) = match dir {
            Direction::ToServer => (c.client, c.server, c.client_seq, c.server_seq),
            Direction::ToClient => (c.server, c.client, c.server_seq, c.client_seq),
        };
        let flags = TcpFlags {
            ack: true,
            psh: true,
            ..TcpFlags::default()
        };
        for chunk in data.chunks(self.mss.max(1)) {
            self.write_tcp(ts, src, dst, seq, ack, flags, chunk, None)?;
            seq = seq.wrapping_add(chunk.len() as u32);
        }
        if let Some(c) = self.conns.get_mut(&conn.0) {
            match dir {
                Direction::ToServer => c.client_seq = seq,
                Direction::ToClient => c.server_seq = seq,
            }
        }
        Ok(())
    }

    /// Ends a connection: FIN/ACK both ways (client first), or a RST from the client.
    pub fn close(&mut self, conn: ConnHandle, ts: Timestamp, reset: bool) -> io::Result<()> {
        let Some(c) = self.conns.remove(&conn.0) else {
            return Ok(());
        };
        if reset {
            let rst = TcpFlags {
                rst: true,
                ack: true,
                ..TcpFlags::default()
            };
            return self.write_tcp(
                ts,
                c.client,
                c.server,
                c.client_seq,
                c.server_seq,
                rst,
                b"",
                None,
            );
        }
        let fin = TcpFlags {
            fin: true,
            ack: true,
            ..TcpFlags::default()
        };
        let ack = TcpFlags {
            ack: true,
            ..TcpFlags::default()
        };
        self.write_tcp(
            ts,
            c.client,
            c.server,
            c.client_seq,
            c.server_seq,
            fin,
            b"",
            None,
        )?;
        self.write_tcp(
            ts,
            c.server,
            c.client,
            c.server_seq,
            c.client_seq.wrapping_add(1),
            fin,
            b"",
            None,
        )?;
        self.write_tcp(
            ts,
            c.client,
            c.server,
            c.client_seq.wrapping_add(1),
            c.server_seq.wrapping_add(1),
            ack,
            b"",
            None,
        )
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}
