//! What the integration tests share: a real memcached started on a free loopback port, the
//! embedded server on another, and a raw-socket exchange helper.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `memcached` process (Debian's package) on 127.0.0.1, killed on drop.
pub struct Memcached {
    child: Child,
    addr: SocketAddr,
}

/// A loopback address free now.
pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
}

/// Waits (at most 10 s, then fails the test) until something listens on `addr`.
pub fn wait_listening(addr: SocketAddr) {
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "{addr} listens"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Runs the memshark binary with `args` and gives its standard output; fails the test (with
/// its standard error) when it does not succeed.
pub fn memshark(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_memshark"))
        .args(args)
        .output()
        .expect("memshark runs");
    assert!(
        out.status.success(),
        "memshark {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A loopback port free now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

impl Memcached {
    /// Starts memcached with extra arguments; panics with a clear message if it is missing.
    pub fn start(extra: &[&str]) -> Memcached {
        Memcached::start_env(extra, &[])
    }

    /// Starts memcached with extra arguments and environment variables (`SASL_CONF_PATH` for
    /// `-S`).
    pub fn start_env(extra: &[&str], env: &[(&str, &str)]) -> Memcached {
        let port = free_port();
        let mut cmd = Command::new("memcached");
        cmd.envs(env.iter().copied());
        cmd.args(["-l", "127.0.0.1", "-p", &port.to_string(), "-U", "0"]);
        if running_as_root() {
            cmd.args(["-u", "nobody"]);
        }
        cmd.args(extra).stdout(Stdio::null()).stderr(Stdio::null());
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start `memcached` ({e}): these tests use Debian's memcached as the oracle; \
                 install it with `apt-get install memcached`"
            )
        });
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "memcached did not start listening on {addr}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Memcached { child, addr }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Memcached {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The embedded server on a free loopback port, running on its own runtime thread until dropped.
pub struct Embedded {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Embedded {
    /// Starts it with a configuration (its `listen` is replaced by 127.0.0.1:0).
    pub fn start(mut config: memshark::server::ServerConfig) -> Embedded {
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let server = memshark::server::Server::bind(config).await.expect("bind");
                addr_tx
                    .send(server.local_addr().expect("addr"))
                    .expect("send");
                server
                    .run(async {
                        let _ = stop_rx.await;
                    })
                    .await;
            });
        });
        let addr = addr_rx.recv().expect("server address");
        Embedded {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Sends `request` on a new connection and reads until the answer ends with `until` (or the
/// peer closes, or 3 s pass).
pub fn exchange(addr: SocketAddr, request: &[u8], until: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_millis(200))).ok();
    s.write_all(request).expect("write");
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    while (until.is_empty() || !out.ends_with(until)) && Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                continue
            }
            Err(_) => break,
        }
    }
    out
}

/// Whether the server closed the connection after answering `request`.
pub fn closes_after(addr: SocketAddr, request: &[u8]) -> bool {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(2))).ok();
    s.write_all(request).expect("write");
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// A headless `memshark proxy` (stdin and stdout closed, stderr piped for the test to read),
/// killed and reaped on drop.
pub struct HeadlessProxy {
    /// The process; take its `stderr` to read the stats lines.
    pub child: Child,
}

impl HeadlessProxy {
    /// Runs `memshark proxy --headless ARGS` and waits until `listen` accepts connections.
    pub fn start<S: AsRef<std::ffi::OsStr>>(args: &[S], listen: SocketAddr) -> HeadlessProxy {
        let child = Command::new(env!("CARGO_BIN_EXE_memshark"))
            .args(["proxy", "--headless"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("memshark proxy starts");
        wait_listening(listen);
        HeadlessProxy { child }
    }
}

impl Drop for HeadlessProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A router of the proxy crate run in the test's runtime on a free loopback port, stopped on
/// drop.
pub struct RunningRouter {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// The router's counters.
    pub counters: std::sync::Arc<memshark::proxy::ProxyCounters>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Binds a router for `config` (its tap to `tap`, if given) and runs it until the returned
/// handle is dropped.
pub async fn start_router(
    config: memshark::proxy::RouterConfig,
    tap: Option<tokio::sync::mpsc::Sender<memshark::proxy::TapEvent>>,
) -> RunningRouter {
    let router = memshark::proxy::Router::bind(config, tap)
        .await
        .expect("bind");
    let addr = router.local_addr().expect("addr");
    let counters = router.counters();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(router.run(
        async {
            let _ = rx.await;
        },
        Duration::from_millis(200),
    ));
    RunningRouter {
        addr,
        counters,
        _stop: tx,
    }
}
