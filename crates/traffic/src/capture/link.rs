//! From a captured frame to addresses, ports and TCP/UDP payload.
//!
//! The link layer is read here (Ethernet with 802.1Q/QinQ tags, Linux cooked SLL and SLL2, BSD
//! loopback/NULL, raw IPv4/IPv6); IP and TCP/UDP through etherparse's lax slicing, so a frame
//! cut short by the snap length still yields what it holds, and the missing payload bytes are
//! reported for the reassembler to turn into a gap.

use std::net::{IpAddr, SocketAddr};

use etherparse::{IpNumber, LaxIpSlice, TcpSlice, UdpSlice};

/// libpcap link-layer header types memshark reads.
pub mod linktype {
    /// BSD loopback (4-byte host-order address family).
    pub const NULL: u16 = 0;
    /// Ethernet.
    pub const ETHERNET: u16 = 1;
    /// Raw IP (OpenBSD's value).
    pub const RAW_12: u16 = 12;
    /// Raw IP (another historical value).
    pub const RAW_14: u16 = 14;
    /// Raw IP.
    pub const RAW: u16 = 101;
    /// OpenBSD loopback (4-byte network-order address family).
    pub const LOOP: u16 = 108;
    /// Linux cooked capture v1 (`tcpdump -i any`).
    pub const LINUX_SLL: u16 = 113;
    /// Raw IPv4.
    pub const IPV4: u16 = 228;
    /// Raw IPv6.
    pub const IPV6: u16 = 229;
    /// Linux cooked capture v2 (`tcpdump -i any`, newer libpcap).
    pub const LINUX_SLL2: u16 = 276;
}

/// TCP header fields the reassembler needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpInfo {
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// SYN flag.
    pub syn: bool,
    /// ACK flag.
    pub ack_flag: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
}

/// The transport of a decoded frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A TCP segment.
    Tcp(TcpInfo),
    /// A UDP datagram.
    Udp,
}

/// A frame decoded down to its transport payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// TCP or UDP.
    pub transport: Transport,
    /// The payload bytes present in the frame.
    pub payload: &'a [u8],
    /// Payload bytes the IP header declares but the frame does not hold (snap length).
    pub missing: u32,
}

/// Why a frame yielded no segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// A link type memshark does not read.
    #[error("unsupported link type {0}")]
    UnsupportedLinkType(u16),
    /// Not IP (ARP, …) or not TCP/UDP (ICMP, …): nothing for memcached.
    #[error("not TCP or UDP over IP")]
    NotTcpUdp,
    /// An IP fragment other than the first; memshark does not reassemble IP fragments.
    #[error("IP fragment")]
    Fragment,
    /// Headers cut short or malformed.
    #[error("truncated or malformed headers")]
    Malformed,
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: [u16; 3] = [0x8100, 0x88a8, 0x9100];

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// The IP packet inside a frame of `linktype`, or why there is none.
fn ip_of(linktype: u16, data: &[u8]) -> Result<&[u8], LinkError> {
    fn by_ethertype(ethertype: u16, rest: &[u8]) -> Result<&[u8], LinkError> {
        match ethertype {
            ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => Ok(rest),
            _ => Err(LinkError::NotTcpUdp),
        }
    }
    match linktype {
        linktype::ETHERNET => {
            let mut ethertype = be16(data, 12).ok_or(LinkError::Malformed)?;
            let mut at = 14;
            while ETHERTYPE_VLAN.contains(&ethertype) {
                ethertype = be16(data, at + 2).ok_or(LinkError::Malformed)?;
                at += 4;
            }
            by_ethertype(ethertype, data.get(at..).ok_or(LinkError::Malformed)?)
        }
        linktype::LINUX_SLL => {
            let proto = be16(data, 14).ok_or(LinkError::Malformed)?;
            by_ethertype(proto, data.get(16..).ok_or(LinkError::Malformed)?)
        }
        linktype::LINUX_SLL2 => {
            let proto = be16(data, 0).ok_or(LinkError::Malformed)?;
            by_ethertype(proto, data.get(20..).ok_or(LinkError::Malformed)?)
        }
        linktype::NULL | linktype::LOOP => {
            // The family is 2 (IPv4) or 24/28/30 (IPv6), in host or network order; the IP
            // version nibble says the same thing more reliably.
            data.get(4..).ok_or(LinkError::Malformed)
        }
        linktype::RAW | linktype::RAW_12 | linktype::RAW_14 | linktype::IPV4 | linktype::IPV6 => {
            Ok(data)
        }
        other => Err(LinkError::UnsupportedLinkType(other)),
    }
}

/// Decodes a frame to its TCP/UDP segment. `orig_len` is the frame's length on the wire
/// (larger than `data.len()` when the snap length cut it).
pub fn decode(linktype: u16, data: &[u8], orig_len: u32) -> Result<Segment<'_>, LinkError> {
    let ip = ip_of(linktype, data)?;
    let (ip, _stop) = LaxIpSlice::from_slice(ip).map_err(|_| LinkError::Malformed)?;
    let payload = ip.payload();
    if payload.fragmented {
        return Err(LinkError::Fragment);
    }
    let (src_ip, dst_ip): (IpAddr, IpAddr) = (ip.source_addr(), ip.destination_addr());
    let cut = orig_len.saturating_sub(data.len() as u32);
    match payload.ip_number {
        IpNumber::TCP => {
            let tcp = TcpSlice::from_slice(payload.payload).map_err(|_| LinkError::Malformed)?;
            Ok(Segment {
                src: SocketAddr::new(src_ip, tcp.source_port()),
                dst: SocketAddr::new(dst_ip, tcp.destination_port()),
                transport: Transport::Tcp(TcpInfo {
                    seq: tcp.sequence_number(),
                    ack: tcp.acknowledgment_number(),
                    syn: tcp.syn(),
                    ack_flag: tcp.ack(),
                    fin: tcp.fin(),
                    rst: tcp.rst(),
                }),
                payload: tcp.payload(),
                missing: if payload.incomplete { cut } else { 0 },
            })
        }
        IpNumber::UDP => {
            let udp =
                UdpSlice::from_slice_lax(payload.payload).map_err(|_| LinkError::Malformed)?;
            Ok(Segment {
                src: SocketAddr::new(src_ip, udp.source_port()),
                dst: SocketAddr::new(dst_ip, udp.destination_port()),
                transport: Transport::Udp,
                payload: udp.payload(),
                missing: if payload.incomplete { cut } else { 0 },
            })
        }
        _ => Err(LinkError::NotTcpUdp),
    }
}
