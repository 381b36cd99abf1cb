//! `memshark proxy --config FILE` reloads the file on SIGHUP (twemproxy issue 6): a pool that
//! keeps its listen address takes its new servers without dropping a client connection (the
//! same connection's next keys go where `memshark route` says), a new pool starts listening, a
//! pool that is gone stops accepting and closes its clients, a bad file is refused with its line
//! and the old placement stays, and the counters of servers that remain carry over. Against
//! real memcached servers.

mod support;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::{exchange, free_addr, HeadlessProxy, Memcached};

/// A headless `memshark proxy --config`, its stderr lines on a channel; killed on drop.
struct Proxy {
    process: HeadlessProxy,
    lines: mpsc::Receiver<String>,
}

impl Proxy {
    fn start(config: &Path, listen: SocketAddr) -> Proxy {
        let mut process =
            HeadlessProxy::start(&[OsStr::new("--config"), config.as_os_str()], listen);
        let stderr = process.child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Proxy { process, lines }
    }

    /// Sends SIGHUP and returns the stderr line that tells the outcome (`reloaded` or
    /// `refused`), with the lines before it.
    fn hangup(&self) -> (String, Vec<String>) {
        let status = Command::new("kill")
            .args(["-HUP", &self.process.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut before = Vec::new();
        while Instant::now() < deadline {
            let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) else {
                continue;
            };
            if line.contains("SIGHUP") {
                return (line, before);
            }
            before.push(line);
        }
        panic!("no reload outcome on stderr; saw {before:?}");
    }
}

/// One client connection kept for the whole test.
struct Client {
    s: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let s = TcpStream::connect(addr).expect("connect to the proxy");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        Client { s }
    }

    /// Writes `req` and reads until the answer ends with `until`.
    fn ask(&mut self, req: &[u8], until: &[u8]) -> Vec<u8> {
        self.s.write_all(req).expect("the connection is open");
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.ends_with(until) {
            let n = self.s.read(&mut buf).expect("an answer");
            assert!(n > 0, "the proxy closed the client connection: {got:?}");
            got.extend_from_slice(&buf[..n]);
        }
        got
    }

    /// Stores each key (its value is the key) and checks every answer.
    fn store(&mut self, keys: &[String]) {
        let mut req = String::new();
        for k in keys {
            req.push_str(&format!("set {k} 0 0 {}\r\n{k}\r\n", k.len()));
        }
        let got = self.ask(req.as_bytes(), &b"STORED\r\n".repeat(keys.len()));
        assert_eq!(got, b"STORED\r\n".repeat(keys.len()));
    }
}

/// Where `memshark route` sends each key of pool `pool` of `config`.
fn route(config: &Path, pool: &str, keys: &[String]) -> HashMap<String, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_memshark"))
        .args(["route", "--config"])
        .arg(config)
        .args(["--pool", pool])
        .args(keys)
        .output()
        .expect("memshark route runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((f.next()?.to_string(), f.next()?.to_string()))
        })
        .collect()
}

/// Whether `server` holds `key`.
fn holds(server: SocketAddr, key: &str) -> bool {
    let got = exchange(server, format!("get {key}\r\n").as_bytes(), b"END\r\n");
    got.starts_with(b"VALUE ")
}

/// Each key is on the server `want` names, and on no other of `servers`.
fn placed_as(want: &HashMap<String, String>, keys: &[String], servers: &[SocketAddr]) {
    let mut on = HashMap::new();
    for k in keys {
        let dest = want.get(k).expect("routed");
        for s in servers {
            assert_eq!(
                holds(*s, k),
                s.to_string() == *dest,
                "key {k}: memshark route says {dest}, looked on {s}"
            );
        }
        *on.entry(dest.clone()).or_insert(0) += 1;
    }
    assert!(
        on.len() > 1,
        "the keys spread over the servers {servers:?}: {on:?}"
    );
}

/// Up to 20 keys for each server of pool `alpha` of `config`, by `memshark route` (placement
/// can be uneven for a given pair of ports; this makes sure both servers get keys).
fn balanced(config: &Path, prefix: &str) -> Vec<String> {
    // The varying part first: twemproxy's fnv1a_64 (32-bit arithmetic) mixes the last bytes of
    // a key so little that `after:0`…`after:399` can all land on one server.
    let candidates: Vec<String> = (0..400).map(|i| format!("{i}:{prefix}")).collect();
    let routed = route(config, "alpha", &candidates);
    let mut dests: Vec<&String> = routed.values().collect();
    dests.sort();
    dests.dedup();
    assert!(
        dests.len() > 1,
        "memshark route puts every key on {dests:?} ({} routed): {}",
        routed.len(),
        std::fs::read_to_string(config).unwrap_or_default()
    );
    let mut per: HashMap<&String, usize> = HashMap::new();
    candidates
        .iter()
        .filter(|k| {
            let n = per.entry(&routed[*k]).or_insert(0);
            *n += 1;
            *n <= 20
        })
        .cloned()
        .collect()
}

fn keys(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}:{i}")).collect()
}

/// A memcached on none of `taken` (a port picked free can be taken by another process before
/// memcached binds it; `Memcached::start` then finds that process's server listening there).
fn other_than(taken: &[SocketAddr]) -> Memcached {
    loop {
        let m = Memcached::start(&[]);
        if !taken.contains(&m.addr()) {
            return m;
        }
    }
}

#[test]
fn sighup_reloads_pools_without_dropping_clients_and_refuses_a_bad_file() {
    let a = Memcached::start(&[]);
    let b = other_than(&[a.addr()]);
    let c = other_than(&[a.addr(), b.addr()]);
    let (l1, l2) = (free_addr(), free_addr());
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nutcracker.yml");
    let good = dir.path().join("two.yml");
    let alpha = |servers: &[SocketAddr]| {
        let mut s = format!("alpha:\n  listen: {l1}\n  hash: fnv1a_64\n  distribution: ketama\n  timeout: 2000\n  servers:\n");
        for m in servers {
            s.push_str(&format!("   - {m}:1\n"));
        }
        s
    };
    std::fs::write(&path, alpha(&[a.addr()])).expect("write the config");
    let proxy = Proxy::start(&path, l1);
    let mut client = Client::connect(l1);

    // One server: everything goes to a.
    let first = keys("before", 20);
    client.store(&first);
    assert!(first.iter().all(|k| holds(a.addr(), k)));
    assert!(first.iter().all(|k| !holds(b.addr(), k)));

    // Two servers, and a new pool beta on a new address.
    let two = format!(
        "{}beta:\n  listen: {l2}\n  servers:\n   - {}:1\n",
        alpha(&[a.addr(), b.addr()]),
        c.addr()
    );
    std::fs::write(&path, &two).expect("rewrite the config");
    std::fs::write(&good, &two).expect("keep a copy");
    let (outcome, told) = proxy.hangup();
    assert!(outcome.contains("reloaded"), "{outcome} after {told:?}");
    assert!(
        told.iter()
            .any(|l| l.contains("pool alpha") && l.contains(&format!("{} added", b.addr()))),
        "{told:?}"
    );
    let after = balanced(&good, "after");
    client.store(&after);
    placed_as(
        &route(&good, "alpha", &after),
        &after,
        &[a.addr(), b.addr()],
    );
    // beta listens now and routes to c.
    let mut beta = Client::connect(l2);
    beta.store(&keys("beta", 3));
    assert!(holds(c.addr(), "beta:0"));

    // A bad file is refused, naming its line; the two-server placement stays.
    std::fs::write(
        &path,
        format!(
            "alpha:\n  listen: {l1}\n  hash: nosuchhash\n  servers:\n   - {}:1\n",
            a.addr()
        ),
    )
    .expect("write a bad config");
    let (outcome, _) = proxy.hangup();
    assert!(
        outcome.contains("refused") && outcome.contains("line 3") && outcome.contains("nosuchhash"),
        "{outcome}"
    );
    let still = balanced(&good, "still");
    client.store(&still);
    placed_as(
        &route(&good, "alpha", &still),
        &still,
        &[a.addr(), b.addr()],
    );
    beta.store(&keys("beta-still", 1));

    // Counters of a server that stayed carried over: a got the 20 first stores and more since.
    let stats = String::from_utf8_lossy(&client.ask(b"stats\r\n", b"END\r\n")).into_owned();
    let requests = |m: SocketAddr| -> u64 {
        let name = format!("STAT server:{m}:requests ");
        stats
            .lines()
            .find_map(|l| l.strip_prefix(name.as_str()))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {stats}"))
    };
    let mut routed = route(&good, "alpha", &after);
    routed.extend(route(&good, "alpha", &still));
    let to_a = routed
        .values()
        .filter(|d| **d == a.addr().to_string())
        .count() as u64;
    assert_eq!(requests(a.addr()), first.len() as u64 + to_a, "{stats}");
    assert_eq!(
        requests(b.addr()),
        (after.len() + still.len()) as u64 - to_a,
        "{stats}"
    );

    // beta leaves: it stops accepting and its client is closed; alpha's client stays.
    std::fs::write(&path, alpha(&[a.addr(), b.addr()])).expect("rewrite the config");
    let (outcome, told) = proxy.hangup();
    assert!(outcome.contains("reloaded"), "{outcome}");
    assert!(
        told.iter()
            .any(|l| l.contains("pool beta") && l.contains("gone")),
        "{told:?}"
    );
    let mut buf = [0u8; 16];
    assert_eq!(beta.s.read(&mut buf).expect("an orderly close"), 0);
    let start = Instant::now();
    while TcpStream::connect(l2).is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "beta stops listening"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let last = keys("last", 10);
    client.store(&last);
    let v = client.ask(b"version\r\n", b"\r\n");
    assert!(v.starts_with(b"VERSION memshark-proxy-"), "{v:?}");
}

/// A one-connection server that answers every request line after `delay` with `answer`.
async fn slow_server(delay: Duration, answer: &'static [u8]) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    tokio::time::sleep(delay).await;
                    if s.write_all(answer).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// A router for `servers` on a free port, running until retired (or the test ends).
async fn router(
    servers: &[String],
) -> (memshark::proxy::RouterHandle, tokio::task::JoinHandle<()>) {
    use memshark::proxy::{pool_from_servers, Router, RouterConfig};
    let pool = pool_from_servers("127.0.0.1:0".parse().expect("addr"), servers);
    let r = Router::bind(RouterConfig::new(pool), None)
        .await
        .expect("bind");
    let handle = r.handle().expect("handle");
    let run = tokio::spawn(r.run(std::future::pending(), Duration::from_millis(200)));
    (handle, run)
}

async fn read_to_end(s: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .expect("the proxy closes within 5 s")
        .expect("an orderly close");
    out
}

#[tokio::test]
async fn a_retired_router_answers_what_it_owes_then_closes() {
    use tokio::io::AsyncWriteExt;
    let slow = slow_server(Duration::from_millis(300), b"STORED\r\n").await;
    let (handle, run) = router(&[slow.to_string()]).await;
    let mut c = tokio::net::TcpStream::connect(handle.listen())
        .await
        .expect("connect");
    c.write_all(b"set k 0 0 1\r\n1\r\n").await.expect("write");
    tokio::time::sleep(Duration::from_millis(50)).await;
    handle.retire();
    assert_eq!(read_to_end(&mut c).await, b"STORED\r\n");
    tokio::time::timeout(Duration::from_secs(2), run)
        .await
        .expect("the router's run ends")
        .expect("no panic");
    assert!(tokio::net::TcpStream::connect(handle.listen())
        .await
        .is_err());
}

#[tokio::test]
async fn a_server_removed_by_a_reload_still_answers_its_pending_requests() {
    use memshark::proxy::ReloadError;
    use tokio::io::AsyncWriteExt;
    let m = Memcached::start(&[]);
    let slow = slow_server(Duration::from_millis(300), b"STORED\r\n").await;
    let (handle, _run) = router(&[slow.to_string()]).await;
    let mut c = tokio::net::TcpStream::connect(handle.listen())
        .await
        .expect("connect");
    c.write_all(b"set k 0 0 1\r\n1\r\n").await.expect("write");
    tokio::time::sleep(Duration::from_millis(50)).await;
    // A pool with no server is refused and changes nothing.
    let mut empty = handle.pool();
    empty.servers.clear();
    assert!(matches!(
        handle.reload(empty, None),
        Err(ReloadError::NoServers { .. })
    ));
    let mut pool = handle.pool();
    pool.servers = vec![memshark::proxy::pool::ServerSpec {
        addr: m.addr().to_string(),
        weight: 1,
        name: None,
    }];
    let r = handle.reload(pool, None).expect("reloaded");
    assert_eq!(r.removed, vec![slow.to_string()]);
    assert_eq!(r.added, vec![m.addr().to_string()]);
    // The request on the removed server is answered by it; the next goes to the new one.
    c.write_all(b"set k 0 0 1\r\n2\r\nget k\r\n")
        .await
        .expect("write");
    let want: &[u8] = b"STORED\r\nSTORED\r\nVALUE k 0 1\r\n2\r\nEND\r\n";
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.len() < want.len() && Instant::now() < deadline {
        use tokio::io::AsyncReadExt;
        let mut buf = [0u8; 256];
        match tokio::time::timeout(Duration::from_secs(5), c.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
}
