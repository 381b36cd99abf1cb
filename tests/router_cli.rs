//! `memshark proxy` on the command line: the router is the default (`--pool`, repeated
//! `--backend`), its headless stats line names every server, `--transparent` keeps the 1:1 pipe,
//! and `--config` starts one router per pool of a twemproxy file (a bad file is refused).

mod support;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{exchange, free_addr, HeadlessProxy, Memcached};

/// A headless `memshark proxy --listen ADDR ARGS` on a free loopback address, killed on drop.
struct Proxy {
    process: HeadlessProxy,
    addr: SocketAddr,
}

impl Proxy {
    fn start(args: &[&str]) -> Proxy {
        let addr = free_addr();
        let listen = addr.to_string();
        let all: Vec<&str> = ["--listen", listen.as_str()]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        Proxy {
            process: HeadlessProxy::start(&all, addr),
            addr,
        }
    }
}

#[test]
fn a_pool_on_the_command_line_routes_and_the_stats_line_names_each_server() {
    let a = Memcached::start(&[]);
    let b = Memcached::start(&[]);
    let pool = format!("{},{}", a.addr(), b.addr());
    let mut p = Proxy::start(&["--pool", &pool, "--timeout-ms", "1000"]);
    let mut req = String::new();
    for i in 0..20 {
        req.push_str(&format!("set k{i} 0 0 1\r\n{}\r\n", i % 10));
    }
    req.push_str("get k0 k1 k2 k3 k4 k5 k6 k7 k8 k9\r\n");
    let got = exchange(p.addr, req.as_bytes(), b"END\r\n");
    let mut want = "STORED\r\n".repeat(20);
    for i in 0..10 {
        want.push_str(&format!("VALUE k{i} 0 1\r\n{i}\r\n"));
    }
    want.push_str("END\r\n");
    assert_eq!(String::from_utf8_lossy(&got), want);
    // Both servers hold keys.
    let mut spread = String::new();
    for i in 0..100 {
        spread.push_str(&format!("set user:{i}:profile 0 0 1\r\n1\r\n"));
    }
    spread.push_str("get user:0:profile\r\n");
    exchange(p.addr, spread.as_bytes(), b"END\r\n");
    for m in [&a, &b] {
        let s = exchange(m.addr(), b"stats\r\n", b"END\r\n");
        assert!(!String::from_utf8_lossy(&s).contains("STAT curr_items 0\r\n"));
    }
    // The stats line, then the per-server line.
    let stderr = p.process.child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut servers_line = None;
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if line.trim_start().starts_with("servers:") {
            servers_line = Some(line);
            break;
        }
    }
    let line = servers_line.expect("a per-server stats line");
    assert!(
        line.contains(&a.addr().to_string()) && line.contains(&b.addr().to_string()),
        "{line}"
    );
    assert!(line.contains(" req ") && line.contains(" p99 "), "{line}");
}

#[test]
fn repeated_backends_make_a_pool_and_transparent_keeps_the_pipe() {
    let a = Memcached::start(&[]);
    let b = Memcached::start(&[]);
    let p = Proxy::start(&[
        "--backend",
        &a.addr().to_string(),
        "--backend",
        &b.addr().to_string(),
    ]);
    let v = exchange(p.addr, b"version\r\n", b"\r\n");
    assert!(
        v.starts_with(b"VERSION memshark-proxy-"),
        "a pool answers version itself"
    );
    let t = Proxy::start(&["--backend", &a.addr().to_string(), "--transparent"]);
    let v = exchange(t.addr, b"version\r\n", b"\r\n");
    assert!(v.starts_with(b"VERSION 1."), "the pipe forwards: {v:?}");
    let out = Command::new(env!("CARGO_BIN_EXE_memshark"))
        .args(["proxy", "--headless", "--transparent", "--pool"])
        .arg(format!("{},{}", a.addr(), b.addr()))
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exactly one server"));
}

#[test]
fn a_twemproxy_config_starts_one_router_per_pool() {
    let a = Memcached::start(&[]);
    let b = Memcached::start(&[]);
    let c = Memcached::start(&[]);
    let (l1, l2) = (free_addr(), free_addr());
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nutcracker.yml");
    std::fs::write(
        &path,
        format!(
            "alpha:\n  listen: {l1}\n  hash: fnv1a_64\n  distribution: ketama\n  timeout: 400\n  servers:\n   - {}:1\n   - {}:1\n\
beta:\n  listen: {l2}\n  backlog: 7\n  servers:\n   - {}:1\n",
            a.addr(),
            b.addr(),
            c.addr()
        ),
    )
    .expect("write the config");
    let _proxy = HeadlessProxy::start(&[OsStr::new("--config"), path.as_os_str()], l1);
    support::wait_listening(l2);
    // alpha has two servers: the proxy answers version; beta has one: forwarded.
    assert!(exchange(l1, b"version\r\n", b"\r\n").starts_with(b"VERSION memshark-proxy-"));
    assert!(exchange(l2, b"version\r\n", b"\r\n").starts_with(b"VERSION 1."));
    assert_eq!(
        exchange(l2, b"set k 0 0 1\r\n1\r\n", b"\r\n"),
        b"STORED\r\n"
    );
    assert_eq!(
        exchange(c.addr(), b"get k\r\n", b"END\r\n"),
        b"VALUE k 0 1\r\n1\r\nEND\r\n"
    );
    // beta listens with its backlog: `ss` shows a listener's queue limit as its Send-Q (alpha
    // has twemproxy's default, 512).
    assert_eq!(listen_backlog(l2), 7);
    assert_eq!(listen_backlog(l1), 512);
}

/// The accept-queue limit of the socket listening on `addr`, as `ss -ltn` reports it (Debian's
/// iproute2, which `.ci/run` installs).
fn listen_backlog(addr: SocketAddr) -> u64 {
    let out = Command::new("ss")
        .args(["-ltnH", "sport", "=", &format!(":{}", addr.port())])
        .output()
        .expect("ss (apt-get install iproute2)");
    let text = String::from_utf8_lossy(&out.stdout);
    // State Recv-Q Send-Q Local Peer
    let line = text
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no listener: {text}"));
    line.split_whitespace()
        .nth(2)
        .and_then(|q| q.parse().ok())
        .unwrap_or_else(|| panic!("{line}"))
}

#[test]
fn a_bad_config_file_is_refused_with_its_line() {
    let dir = std::env::temp_dir().join(format!("memshark-router-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bad.yml");
    std::fs::write(
        &path,
        "alpha:\n  listen: 127.0.0.1:1\n  hash: nosuchhash\n  servers:\n   - 127.0.0.1:2:1\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_memshark"))
        .args(["proxy", "--headless", "--config"])
        .arg(&path)
        .output()
        .expect("runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.yml") && err.contains("nosuchhash"),
        "{err}"
    );
}

#[test]
fn the_dump_names_the_server_each_request_went_to() {
    let servers = [
        Memcached::start(&[]),
        Memcached::start(&[]),
        Memcached::start(&[]),
    ];
    let pool = servers
        .iter()
        .map(|m| m.addr().to_string())
        .collect::<Vec<_>>()
        .join(",");
    let dir = tempfile::tempdir().expect("temp dir");
    let dump = dir.path().join("dump.jsonl");
    let dump_arg = dump.to_string_lossy().into_owned();
    // md5: twemproxy's default hash (fnv1a_64 computed in 32 bits) can put every one of these
    // keys on one server, depending on the ports.
    let p = Proxy::start(&["--pool", &pool, "--hash", "md5", "--dump", &dump_arg]);
    let keys: Vec<String> = (0..200).map(|i| format!("key{i}")).collect();
    let mut req = String::new();
    for k in &keys {
        req.push_str(&format!("set {k} 0 0 1\r\n1\r\n"));
    }
    req.push_str("version\r\n");
    let got = exchange(p.addr, req.as_bytes(), b"VERSION ");
    assert!(got.starts_with(&b"STORED\r\n".repeat(keys.len())[..]));
    // The dump is written live: wait for the version request's line.
    let deadline = Instant::now() + Duration::from_secs(5);
    let rows: Vec<serde_json::Value> = loop {
        let text = std::fs::read_to_string(&dump).unwrap_or_default();
        let rows: Vec<serde_json::Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        if rows.iter().any(|r| r["op"] == "version") || Instant::now() > deadline {
            break rows;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let p_addr = p.addr;
    drop(p);
    // Every set and its STORED name the server that holds the key (asked directly), and the
    // three servers all appear; the proxy answers `version` itself, so it keeps the proxy's
    // address.
    let holder = |key: &str| {
        servers
            .iter()
            .find(|m| {
                exchange(m.addr(), format!("get {key}\r\n").as_bytes(), b"END\r\n")
                    .starts_with(b"VALUE")
            })
            .map(|m| m.addr().to_string())
    };
    let requests: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["kind"] == "request" && r["op"] == "set")
        .collect();
    assert_eq!(requests.len(), keys.len(), "one line per set: {rows:?}");
    let mut seen = std::collections::HashSet::new();
    for r in &requests {
        let key = r["key"].as_str().expect("a key");
        let server = r["dst"].as_str().expect("a server").to_string();
        assert_eq!(Some(server.clone()), holder(key), "{r}");
        seen.insert(server);
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    // The answers come back in request order, each from its request's server.
    let answers: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["kind"] == "response" && r["op"] == "STORED")
        .collect();
    assert_eq!(answers.len(), keys.len());
    for (a, r) in answers.iter().zip(&requests) {
        assert_eq!(a["src"], r["dst"], "{a} answers {r}");
    }
    let version = rows
        .iter()
        .find(|r| r["kind"] == "request" && r["op"] == "version")
        .expect("version");
    assert_eq!(version["dst"], p_addr.to_string().as_str());
}
