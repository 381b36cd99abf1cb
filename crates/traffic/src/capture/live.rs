//! Live capture from a network interface through libpcap (cargo feature `live`).
//!
//! Opened in libpcap's buffered mode with a 20 ms timeout: on Linux that is TPACKET_V3, whose
//! ring packs packets by their length, so the 16 MiB buffer holds tens of thousands of them
//! (immediate mode falls back to TPACKET_V2, whose fixed snaplen-sized slots gave a ring of 64
//! packets and kernel drops at a few thousand requests a second). Packets reach the UI within
//! the 20 ms. Not promiscuous, with a BPF filter built from the memcached ports unless one is
//! given. The kernel's received/dropped counters are available through [`LiveCapture::stats`].

pub use super::LiveStats;
use super::{Frame, Timestamp};

/// Why a live capture could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// Capturing needs privileges.
    #[error("no permission to capture on {iface}: run as root or grant CAP_NET_RAW (setcap cap_net_raw,cap_net_admin=eip $(which memshark)) ({detail})")]
    Permission {
        /// The interface.
        iface: String,
        /// libpcap's words.
        detail: String,
    },
    /// No such interface.
    #[error("no interface named {iface:?}; interfaces here: {}", available.join(", "))]
    NoSuchDevice {
        /// What was asked for.
        iface: String,
        /// What exists.
        available: Vec<String>,
    },
    /// The BPF filter does not compile.
    #[error("bad capture filter {filter:?}: {detail}")]
    BadFilter {
        /// The filter.
        filter: String,
        /// libpcap's words.
        detail: String,
    },
    /// Anything else libpcap reports.
    #[error("libpcap: {0}")]
    Pcap(String),
}

/// The BPF filter for memcached on `ports`, TCP and UDP.
pub fn bpf_for_ports(ports: &[u16]) -> String {
    ports
        .iter()
        .map(|p| format!("tcp port {p} or udp port {p}"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A capture running on an interface.
pub struct LiveCapture {
    cap: pcap::Capture<pcap::Active>,
    linktype: u16,
    number: u64,
}

impl std::fmt::Debug for LiveCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveCapture")
            .field("linktype", &self.linktype)
            .field("frames", &self.number)
            .finish_non_exhaustive()
    }
}

fn interface_names() -> Vec<String> {
    pcap::Device::list()
        .map(|ds| ds.into_iter().map(|d| d.name).collect())
        .unwrap_or_default()
}

impl LiveCapture {
    /// Opens `iface` with a filter (`bpf`, or the one for `ports`), reading up to `snaplen`
    /// bytes a packet, with a 16 MiB kernel buffer.
    pub fn open(
        iface: &str,
        bpf: Option<&str>,
        ports: &[u16],
        snaplen: i32,
    ) -> Result<LiveCapture, LiveError> {
        let available = interface_names();
        if !available.is_empty() && !available.iter().any(|n| n == iface) {
            return Err(LiveError::NoSuchDevice {
                iface: iface.to_string(),
                available,
            });
        }
        let inactive =
            pcap::Capture::from_device(iface).map_err(|e| LiveError::Pcap(e.to_string()))?;
        let mut cap = inactive
            .immediate_mode(false)
            .promisc(false)
            .snaplen(snaplen)
            .timeout(20)
            .buffer_size(16 * 1024 * 1024)
            .open()
            .map_err(|e| {
                let detail = e.to_string();
                if detail.contains("ermission") || detail.contains("not permitted") {
                    LiveError::Permission {
                        iface: iface.to_string(),
                        detail,
                    }
                } else if detail.contains("No such device") || detail.contains("doesn't exist") {
                    LiveError::NoSuchDevice {
                        iface: iface.to_string(),
                        available: interface_names(),
                    }
                } else {
                    LiveError::Pcap(detail)
                }
            })?;
        let filter = bpf.map_or_else(|| bpf_for_ports(ports), str::to_string);
        cap.filter(&filter, true)
            .map_err(|e| LiveError::BadFilter {
                filter: filter.clone(),
                detail: e.to_string(),
            })?;
        // Non-blocking, so a quiet interface never keeps a caller from noticing a stop request;
        // the kernel hands over a partly filled block after the 20 ms timeout.
        let cap = cap
            .setnonblock()
            .map_err(|e| LiveError::Pcap(e.to_string()))?;
        let linktype = cap.get_datalink().0 as u16;
        Ok(LiveCapture {
            cap,
            linktype,
            number: 0,
        })
    }

    /// The next frame, or `None` when none is waiting (the capture never blocks).
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, LiveError> {
        match self.cap.next_packet() {
            Ok(p) => {
                self.number += 1;
                let ts = Timestamp::from_nanos(
                    (p.header.ts.tv_sec as u64) * 1_000_000_000
                        + (p.header.ts.tv_usec as u64) * 1_000,
                );
                Ok(Some(Frame {
                    number: self.number,
                    ts,
                    linktype: self.linktype,
                    data: p.data,
                    orig_len: p.header.len,
                }))
            }
            Err(pcap::Error::TimeoutExpired) => Ok(None),
            Err(e) => Err(LiveError::Pcap(e.to_string())),
        }
    }

    /// The kernel's counters.
    pub fn stats(&mut self) -> Result<LiveStats, LiveError> {
        let s = self
            .cap
            .stats()
            .map_err(|e| LiveError::Pcap(e.to_string()))?;
        Ok(LiveStats {
            received: s.received,
            dropped: s.dropped,
            if_dropped: s.if_dropped,
        })
    }
}
