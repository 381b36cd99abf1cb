//! The multiplexing router in front of pools of real memcached servers (Debian's `memcached` is
//! the oracle): every protocol answered exactly as a direct memcached answers, many clients on
//! shared connections, keyless commands, timeouts, dead and killed servers, and each limit.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use memshark::load::{self, LoadConfig, Protocol};
use memshark::protocol::binary::{Opcode, Request};
use memshark::proxy::pool::{Continuum, PoolConfig};
use memshark::proxy::{pool_from_servers, RouterConfig, TapEvent};
use support::{start_router, Memcached, RunningRouter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn pool_of(servers: &[String]) -> PoolConfig {
    pool_from_servers("127.0.0.1:0".parse().unwrap(), servers)
}

async fn start_pool(servers: &[String]) -> RunningRouter {
    start_router(RouterConfig::new(pool_of(servers)), None).await
}

fn addrs(ms: &[Memcached]) -> Vec<String> {
    ms.iter().map(|m| m.addr().to_string()).collect()
}

/// Sends `req` in one write and reads until `done` says the answer is whole (or the peer
/// closes, or 5 s pass).
async fn talk(addr: SocketAddr, req: &[u8], done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(req).await.expect("write");
    read_until(&mut s, done).await
}

async fn read_until(s: &mut TcpStream, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done(&out) {
        let mut buf = [0u8; 65536];
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    out
}

fn ends(tail: &'static [u8]) -> impl Fn(&[u8]) -> bool {
    move |b: &[u8]| b.ends_with(tail)
}

/// A key of `prefix` that the pool places on server `i`.
fn key_on(pool: &PoolConfig, i: usize, prefix: &str) -> String {
    let c = Continuum::build(pool, &vec![true; pool.servers.len()]);
    (0..100_000)
        .map(|n| format!("{prefix}{n}"))
        .find(|k| c.server_for(k.as_bytes()) == Some(i))
        .expect("some key lands on every server")
}

/// The binary responses in `b`, with their CAS zeroed (a pool of servers numbers CAS
/// differently from one server).
fn without_cas(b: &[u8]) -> Vec<u8> {
    let mut out = b.to_vec();
    let mut off = 0;
    while off + 24 <= out.len() {
        out[off + 16..off + 24].fill(0);
        let body = u32::from_be_bytes([out[off + 8], out[off + 9], out[off + 10], out[off + 11]]);
        off += 24 + body as usize;
    }
    out
}

fn binary_script(keys: &[String]) -> (Vec<u8>, usize) {
    let mut out = BytesMut::new();
    let mut n = 0usize;
    let mut push = |r: Request, out: &mut BytesMut| {
        n += 1;
        r.with_opaque(n as u32 * 7).write_to(out);
    };
    for (i, k) in keys.iter().enumerate() {
        push(
            Request::set(k.as_bytes(), format!("v{i}").as_bytes(), i as u32, 0),
            &mut out,
        );
    }
    // A getkq batch over every server, hits and misses, closed by a noop.
    for k in keys {
        push(Request::get_with(Opcode::GetKQ, k.as_bytes()), &mut out);
        push(
            Request::get_with(Opcode::GetKQ, format!("{k}-absent").as_bytes()),
            &mut out,
        );
    }
    push(Request::noop(), &mut out);
    // Quiet stores and deletes, a getq miss, and a loud get after them.
    push(
        Request::store(Opcode::SetQ, keys[0].as_bytes(), b"quiet", 0, 0),
        &mut out,
    );
    push(Request::get_with(Opcode::GetQ, b"nothing-here"), &mut out);
    push(Request::get(keys[0].as_bytes()), &mut out);
    push(
        Request::get_with(Opcode::Delete, keys[1].as_bytes()),
        &mut out,
    );
    push(
        Request::get_with(Opcode::DeleteQ, keys[1].as_bytes()),
        &mut out,
    );
    push(Request::incr(b"counter", 5, 10, 0), &mut out);
    push(Request::incr(b"counter", 5, 10, 0), &mut out);
    push(
        Request::get_with(Opcode::GetK, keys[2].as_bytes()),
        &mut out,
    );
    push(Request::noop(), &mut out);
    (out.to_vec(), n)
}

/// Reads binary responses until one with `opaque` arrives (the script's last noop).
fn binary_done(opaque: u32) -> impl Fn(&[u8]) -> bool {
    move |b: &[u8]| {
        let mut off = 0;
        while off + 24 <= b.len() {
            let body = u32::from_be_bytes([b[off + 8], b[off + 9], b[off + 10], b[off + 11]]);
            let end = off + 24 + body as usize;
            if end > b.len() {
                return false;
            }
            if u32::from_be_bytes([b[off + 12], b[off + 13], b[off + 14], b[off + 15]]) == opaque {
                return end == b.len();
            }
            off = end;
        }
        false
    }
}

const TEXT_SCRIPT: &str =
    "set a 1 0 1\r\n1\r\nset b 2 0 2\r\n22\r\nset c 3 0 3\r\n333\r\nset d 4 0 1\r\n4\r\n\
set e 0 0 1 noreply\r\n5\r\nadd a 0 0 1\r\nx\r\nreplace zz 0 0 1\r\nx\r\nappend a 0 0 2\r\n11\r\n\
prepend b 0 0 1\r\n0\r\nget a b c d e f g a\r\nget b\r\nget nope\r\ngat 100 a c nope d\r\n\
incr n 1\r\nset n 0 0 2\r\n10\r\nincr n 5\r\ndecr n 100\r\nincr n 1 noreply\r\nget n\r\n\
touch a 100\r\ntouch nope 100\r\ndelete c\r\ndelete c\r\ndelete d noreply\r\nget c d e\r\n\
set big 0 0 5000\r\n{BIG}\r\nget big a\r\nbogus command\r\nset bad 0 0 notanumber\r\n\
incr a notanumber\r\nget a\r\n";

fn text_script() -> String {
    TEXT_SCRIPT.replace("{BIG}", &"x".repeat(5000))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_through_a_pool_of_three_matches_a_direct_memcached() {
    let pool: Vec<Memcached> = (0..3).map(|_| Memcached::start(&[])).collect();
    let direct = Memcached::start(&[]);
    let r = start_pool(&addrs(&pool)).await;
    let script = text_script();
    let want = talk(
        direct.addr(),
        script.as_bytes(),
        ends(b"VALUE a 0 3\r\n111\r\nEND\r\n"),
    )
    .await;
    let got = talk(
        r.addr,
        script.as_bytes(),
        ends(b"VALUE a 0 3\r\n111\r\nEND\r\n"),
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&want)
    );
    // Keys really are spread: every server holds some of a hundred.
    let mut spread = String::new();
    for i in 0..100 {
        spread.push_str(&format!("set user:{i}:profile 0 0 1\r\n1\r\n"));
    }
    spread.push_str("get user:0:profile\r\n");
    talk(r.addr, spread.as_bytes(), ends(b"END\r\n")).await;
    for m in &pool {
        let s = talk(m.addr(), b"stats\r\n", ends(b"END\r\n")).await;
        let s = String::from_utf8_lossy(&s);
        assert!(
            !s.contains("STAT curr_items 0\r\n"),
            "a server got no key: {s}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_through_a_pool_matches_a_direct_memcached() {
    // (`ma … q N`: memcached answers a counter's creation even in quiet mode, an update not.)
    let pool: Vec<Memcached> = (0..3).map(|_| Memcached::start(&[])).collect();
    let direct = Memcached::start(&[]);
    let r = start_pool(&addrs(&pool)).await;
    let script = "ms m1 2 T0 F5\r\nhi\r\nms m2 3 q\r\nabc\r\nms m3 1 q I\r\nx\r\n\
mg m1 v f k O123\r\nmg m2 v q k\r\nmg absent v q k O9\r\nmg absent v k\r\nmg m2 q\r\n\
md m2 q\r\nmd m2 q\r\nmd m2\r\nma cnt N0 J5\r\nma cnt q v\r\nma cnt v\r\nma nocnt q\r\n\
ma viv q N0 J5\r\nma viv q N0\r\nma viv2 q N0 J7 v\r\nma viv2 q N0 v\r\nma m1 q N0\r\n\
ms bWtleQ== 2 b\r\nzz\r\nmg bWtleQ== b v k\r\nmg m1 s v\r\nmn\r\nmg m1 v q\r\nmn\r\n";
    let want = talk(
        direct.addr(),
        script.as_bytes(),
        ends(b"MN\r\nVA 2\r\nhi\r\nMN\r\n"),
    )
    .await;
    let got = talk(
        r.addr,
        script.as_bytes(),
        ends(b"MN\r\nVA 2\r\nhi\r\nMN\r\n"),
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&want)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_through_a_pool_matches_a_direct_memcached() {
    let pool: Vec<Memcached> = (0..3).map(|_| Memcached::start(&[])).collect();
    let direct = Memcached::start(&[]);
    let r = start_pool(&addrs(&pool)).await;
    let p = pool_of(&addrs(&pool));
    let keys: Vec<String> = (0..3)
        .flat_map(|i| [key_on(&p, i, "bk"), key_on(&p, i, "other")])
        .collect();
    let (script, n) = binary_script(&keys);
    let last = n as u32 * 7;
    let want = talk(direct.addr(), &script, binary_done(last)).await;
    let got = talk(r.addr, &script, binary_done(last)).await;
    assert!(!want.is_empty());
    assert_eq!(without_cas(&got), without_cas(&want));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_on_shared_connections_each_get_their_own_answers() {
    let pool: Vec<Memcached> = (0..3).map(|_| Memcached::start(&[])).collect();
    let r = start_pool(&addrs(&pool)).await;
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..32 {
        let addr = r.addr;
        tasks.spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            for round in 0..20 {
                let mut req = String::new();
                let mut want = String::new();
                for k in 0..10 {
                    let v = format!("c{c}r{round}k{k}");
                    req.push_str(&format!("set c{c}k{k} 0 0 {}\r\n{v}\r\n", v.len()));
                    want.push_str("STORED\r\n");
                }
                req.push_str("get");
                for k in 0..10 {
                    req.push_str(&format!(" c{c}k{k}"));
                }
                req.push_str("\r\n");
                for k in 0..10 {
                    let v = format!("c{c}r{round}k{k}");
                    want.push_str(&format!("VALUE c{c}k{k} 0 {}\r\n{v}\r\n", v.len()));
                }
                want.push_str("END\r\n");
                s.write_all(req.as_bytes()).await.unwrap();
                let got = read_until(&mut s, |b| b.len() >= want.len()).await;
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    want,
                    "client {c} round {round}"
                );
            }
        });
    }
    while let Some(t) = tasks.join_next().await {
        t.expect("a client failed");
    }
    // 32 clients, one shared text connection per server.
    for m in &pool {
        let s = talk(m.addr(), b"stats\r\n", ends(b"END\r\n")).await;
        let s = String::from_utf8_lossy(&s);
        assert!(
            s.contains("STAT curr_connections 2\r\n"),
            "one proxy connection (plus this one): {s}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyless_commands_with_several_servers() {
    let pool: Vec<Memcached> = (0..3).map(|_| Memcached::start(&[])).collect();
    let r = start_pool(&addrs(&pool)).await;
    // version: the proxy's own.
    let v = talk(r.addr, b"version\r\n", ends(b"\r\n")).await;
    assert!(v.starts_with(b"VERSION memshark-proxy-"), "{v:?}");
    // stats: the proxy's counters and one block per server.
    let s = talk(r.addr, b"stats\r\n", ends(b"END\r\n")).await;
    let s = String::from_utf8_lossy(&s);
    for m in &pool {
        assert!(
            s.contains(&format!("STAT server:{}:requests ", m.addr())),
            "{s}"
        );
        assert!(
            s.contains(&format!("STAT server:{}:latency_p99_us ", m.addr())),
            "{s}"
        );
    }
    assert!(s.contains("STAT servers 3\r\n"));
    // stats groups: refused, documented.
    let s = talk(r.addr, b"stats slabs\r\n", ends(b"\r\n")).await;
    assert!(s.starts_with(b"SERVER_ERROR "));
    // flush_all: every server, answered once all have.
    let mut req = String::new();
    for i in 0..30 {
        req.push_str(&format!("set f{i} 0 0 1\r\nx\r\n"));
    }
    talk(r.addr, req.as_bytes(), |b| b.len() >= 30 * 8).await;
    let f = talk(r.addr, b"flush_all\r\n", ends(b"\r\n")).await;
    assert_eq!(f, b"OK\r\n");
    for m in &pool {
        let g = talk(
            m.addr(),
            b"get f0 f1 f2 f3 f4 f5 f6 f7 f8 f9\r\n",
            ends(b"END\r\n"),
        )
        .await;
        assert_eq!(g, b"END\r\n");
    }
    // flush_all noreply, verbosity: broadcast.
    let v = talk(
        r.addr,
        b"flush_all noreply\r\nverbosity 1\r\nverbosity 0 noreply\r\nmn\r\n",
        ends(b"MN\r\n"),
    )
    .await;
    assert_eq!(v, b"OK\r\nMN\r\n");
    // admin commands: refused with a reason.
    let a = talk(r.addr, b"lru_crawler metadump all\r\n", ends(b"\r\n")).await;
    assert!(a.starts_with(b"SERVER_ERROR "));
    // quit: answers before it are written, then the connection closes.
    let q = talk(r.addr, b"set k 0 0 1\r\n1\r\nquit\r\nget k\r\n", |_| false).await;
    assert_eq!(q, b"STORED\r\n");
    // binary: noop and version answered by the proxy, stat by the proxy, quit answered.
    let mut b = BytesMut::new();
    Request::noop().with_opaque(1).write_to(&mut b);
    Request::version().with_opaque(2).write_to(&mut b);
    Request::flush(None).with_opaque(3).write_to(&mut b);
    Request::stat(None).with_opaque(4).write_to(&mut b);
    Request::quit().with_opaque(5).write_to(&mut b);
    let got = talk(r.addr, &b, |_| false).await;
    let mut off = 0;
    let mut seen = Vec::new();
    while off + 24 <= got.len() {
        let body =
            u32::from_be_bytes([got[off + 8], got[off + 9], got[off + 10], got[off + 11]]) as usize;
        let opaque =
            u32::from_be_bytes([got[off + 12], got[off + 13], got[off + 14], got[off + 15]]);
        let status = u16::from_be_bytes([got[off + 6], got[off + 7]]);
        assert_eq!(status, 0, "opaque {opaque}");
        if seen.last() != Some(&opaque) {
            seen.push(opaque);
        }
        off += 24 + body;
    }
    assert_eq!(off, got.len());
    assert_eq!(seen, [1, 2, 3, 4, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_one_server_keyless_commands_are_forwarded() {
    let m = Memcached::start(&[]);
    let r = start_pool(&[m.addr().to_string()]).await;
    let script = b"version\r\nverbosity 1\r\nmn\r\nstats detail dump\r\nflush_all\r\nbogus\r\n";
    let want = talk(m.addr(), script, ends(b"OK\r\nERROR\r\n")).await;
    let got = talk(r.addr, script, ends(b"OK\r\nERROR\r\n")).await;
    assert!(got.starts_with(b"VERSION 1."));
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&want)
    );
    let s = talk(r.addr, b"stats\r\n", ends(b"END\r\n")).await;
    assert!(String::from_utf8_lossy(&s).contains("STAT libevent"));
    // lru_crawler answers as memcached does.
    talk(r.addr, b"set k 0 0 1\r\n1\r\n", ends(b"\r\n")).await;
    let a = talk(r.addr, b"lru_crawler metadump all\r\n", ends(b"END\r\n")).await;
    assert!(
        String::from_utf8_lossy(&a).contains("key=k "),
        "{}",
        String::from_utf8_lossy(&a)
    );
    // Binary keyless commands too.
    let mut b = BytesMut::new();
    Request::version().with_opaque(8).write_to(&mut b);
    Request::stat(None).with_opaque(9).write_to(&mut b);
    Request::noop().with_opaque(10).write_to(&mut b);
    let got = talk(r.addr, &b, binary_done(10)).await;
    let want = talk(m.addr(), &b, binary_done(10)).await;
    assert_eq!(got.len() > 1000, want.len() > 1000);
    assert_eq!(&got[..24 + 6], &want[..24 + 6], "version");
}

/// A server that accepts connections and never answers.
async fn silent_server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let h = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    (addr, h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_the_timeout_is_answered_server_error_in_its_protocol() {
    let (silent, _h) = silent_server().await;
    let mut pool = pool_of(&[silent.to_string()]);
    pool.timeout = Some(Duration::from_millis(300));
    let r = start_router(RouterConfig::new(pool), None).await;
    let t = Instant::now();
    let a = talk(r.addr, b"get k\r\n", ends(b"\r\n")).await;
    assert_eq!(a, b"SERVER_ERROR Connection timed out\r\n");
    assert!(t.elapsed() < Duration::from_secs(2));
    // The server connection was closed; it reopens after a short pause.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let a = talk(r.addr, b"mg k v\r\n", ends(b"\r\n")).await;
    assert_eq!(a, b"SERVER_ERROR Connection timed out\r\n");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut b = BytesMut::new();
    Request::get(b"k").with_opaque(77).write_to(&mut b);
    let a = talk(r.addr, &b, binary_done(77)).await;
    assert_eq!(a[0], 0x81);
    assert_eq!(u16::from_be_bytes([a[6], a[7]]), 0x86, "temporary failure");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_server_fails_only_its_keys_and_is_ejected() {
    let live: Vec<Memcached> = (0..2).map(|_| Memcached::start(&[])).collect();
    let dead = format!("127.0.0.1:{}", support::free_port());
    let servers = vec![
        live[0].addr().to_string(),
        dead.clone(),
        live[1].addr().to_string(),
    ];
    let mut pool = pool_of(&servers);
    pool.auto_eject_hosts = true;
    pool.server_failure_limit = 2;
    pool.server_retry_timeout = Duration::from_secs(60);
    let on_dead = key_on(&pool, 1, "d");
    let on_live = key_on(&pool, 0, "l");
    let r = start_router(RouterConfig::new(pool), None).await;
    let a = talk(
        r.addr,
        format!("set {on_live} 0 0 1\r\n1\r\nset {on_dead} 0 0 1\r\n1\r\nget {on_live}\r\n")
            .as_bytes(),
        ends(b"END\r\n"),
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&a),
        format!("STORED\r\nSERVER_ERROR Connection refused\r\nVALUE {on_live} 0 1\r\n1\r\nEND\r\n")
    );
    // Failures go on until the limit ejects it; then its keys go to the live servers.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let a = talk(
            r.addr,
            format!("set {on_dead} 0 0 1\r\n1\r\n").as_bytes(),
            ends(b"\r\n"),
        )
        .await;
        if a == b"STORED\r\n" {
            break;
        }
        assert!(Instant::now() < deadline, "never ejected: {a:?}");
        tokio::time::sleep(Duration::from_millis(120)).await;
    }
    let s = talk(r.addr, b"stats\r\n", ends(b"END\r\n")).await;
    let s = String::from_utf8_lossy(&s);
    assert!(
        s.contains(&format!("STAT server:{dead}:ejected 1\r\n")),
        "{s}"
    );
    assert!(
        s.contains(&format!("STAT server:{dead}:ejections 1\r\n")),
        "{s}"
    );
    assert!(s.contains("STAT servers_alive 2\r\n"));
    assert!(r.counters.backend_failures.load(Ordering::Relaxed) >= 2);
}

async fn verifying_load(to: SocketAddr, protocol: Protocol, secs: f64) -> load::Report {
    let cfg = LoadConfig {
        to,
        connections: 8,
        pipeline: 4,
        mix: "get=60,set=30,mget=10".parse().unwrap(),
        keys: 2000,
        value_size: (10, 300),
        duration: Some(Duration::from_secs_f64(secs)),
        protocol,
        key_prefix: format!("v{protocol:?}"),
        verify: true,
        ..LoadConfig::default()
    };
    load::run(cfg, Arc::new(load::Progress::default()))
        .await
        .expect("the load ran")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_server_under_verifying_load_fails_only_its_requests() {
    let mut pool: Vec<Memcached> = (0..3).map(|_| Memcached::start(&[])).collect();
    let mut cfg = pool_of(&addrs(&pool));
    cfg.timeout = Some(Duration::from_millis(500));
    cfg.auto_eject_hosts = true;
    cfg.server_failure_limit = 1;
    cfg.server_retry_timeout = Duration::from_secs(60);
    let r = start_router(RouterConfig::new(cfg), None).await;
    let addr = r.addr;
    let loads = tokio::spawn(async move {
        let text = verifying_load(addr, Protocol::Ascii, 3.0);
        let bin = verifying_load(addr, Protocol::Binary, 3.0);
        tokio::join!(text, bin)
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(pool.remove(1));
    let (text, bin) = tokio::time::timeout(Duration::from_secs(20), loads)
        .await
        .expect("no client is left waiting")
        .expect("the load task");
    for rep in [&text, &bin] {
        assert_eq!(rep.wrong, 0, "no answer went to the wrong request");
        assert!(rep.verified > 100, "values were checked: {}", rep.verified);
    }
    // The survivors still answer through the proxy.
    let a = talk(
        addr,
        b"set after 0 0 1\r\n1\r\nget after\r\n",
        ends(b"END\r\n"),
    )
    .await;
    assert_eq!(a, b"STORED\r\nVALUE after 0 1\r\n1\r\nEND\r\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_larger_than_the_item_size_gets_memcacheds_error() {
    let m = Memcached::start(&[]);
    let r = start_pool(&[m.addr().to_string(), m.addr().to_string()]).await;
    let big = "x".repeat(2 << 20);
    let req = format!(
        "set big 0 0 {}\r\n{big}\r\nset k 0 0 1\r\n1\r\nget k\r\n",
        big.len()
    );
    let a = talk(r.addr, req.as_bytes(), ends(b"END\r\n")).await;
    assert_eq!(
        String::from_utf8_lossy(&a),
        "SERVER_ERROR object too large for cache\r\nSTORED\r\nVALUE k 0 1\r\n1\r\nEND\r\n"
    );
    let mut b = BytesMut::new();
    Request::set(b"big", big.as_bytes(), 0, 0)
        .with_opaque(1)
        .write_to(&mut b);
    Request::noop().with_opaque(2).write_to(&mut b);
    let a = talk(r.addr, &b, binary_done(2)).await;
    assert_eq!(u16::from_be_bytes([a[6], a[7]]), 0x03, "E2BIG");
    assert_eq!(&a[12..16], &1u32.to_be_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_read_is_bounded_and_slows_nobody() {
    let m = Memcached::start(&["-I", "2m"]);
    let mut cfg = RouterConfig::new(pool_of(&[m.addr().to_string()]));
    cfg.max_pending = 64;
    cfg.max_buffered = 1 << 20;
    let r = start_router(cfg, None).await;
    let value = "v".repeat(100_000);
    let set = format!("set big 0 0 {}\r\n{value}\r\n", value.len());
    assert_eq!(
        talk(r.addr, set.as_bytes(), ends(b"\r\n")).await,
        b"STORED\r\n"
    );
    // A client that asks for the value over and over and never reads.
    let mut hog = TcpStream::connect(r.addr).await.unwrap();
    let gets = "get big\r\n".repeat(10_000);
    let writer = tokio::spawn(async move {
        for _ in 0..1000 {
            if hog.write_all(gets.as_bytes()).await.is_err() {
                break;
            }
        }
        hog
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let up = r.counters.bytes_up.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let up_later = r.counters.bytes_up.load(Ordering::Relaxed);
    assert_eq!(up, up_later, "the proxy stopped reading the hog");
    assert!(
        up < 4 << 20,
        "read {up} bytes of requests from a client that reads nothing"
    );
    // Another client is served at once.
    let t = Instant::now();
    let a = talk(r.addr, b"set k 0 0 1\r\n1\r\nget k\r\n", ends(b"END\r\n")).await;
    assert_eq!(a, b"STORED\r\nVALUE k 0 1\r\n1\r\nEND\r\n");
    assert!(t.elapsed() < Duration::from_secs(1));
    writer.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_holds_up_only_the_requests_routed_to_it() {
    let (silent, _h) = silent_server().await;
    let m = Memcached::start(&[]);
    let servers = vec![silent.to_string(), m.addr().to_string()];
    let pool = pool_of(&servers);
    let slow_key = key_on(&pool, 0, "s");
    let fast_key = key_on(&pool, 1, "f");
    let r = start_router(RouterConfig::new(pool), None).await;
    let mut waiting = TcpStream::connect(r.addr).await.unwrap();
    waiting
        .write_all(format!("get {slow_key}\r\n").as_bytes())
        .await
        .unwrap();
    let t = Instant::now();
    let a = talk(
        r.addr,
        format!("set {fast_key} 0 0 1\r\n1\r\nget {fast_key}\r\n").as_bytes(),
        ends(b"END\r\n"),
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&a),
        format!("STORED\r\nVALUE {fast_key} 0 1\r\n1\r\nEND\r\n")
    );
    assert!(t.elapsed() < Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_limit_are_closed() {
    let m = Memcached::start(&[]);
    let mut cfg = RouterConfig::new(pool_of(&[m.addr().to_string()]));
    cfg.max_connections = 2;
    let r = start_router(cfg, None).await;
    let _a = TcpStream::connect(r.addr).await.unwrap();
    let _b = TcpStream::connect(r.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let c = talk(r.addr, b"version\r\n", |_| false).await;
    assert!(c.is_empty());
    assert_eq!(r.counters.rejected.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tap_sees_the_client_side_bytes() {
    let pool: Vec<Memcached> = (0..2).map(|_| Memcached::start(&[])).collect();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let r = start_router(RouterConfig::new(pool_of(&addrs(&pool))), Some(tx)).await;
    let req = b"set a 0 0 1\r\n1\r\nset b 0 0 1\r\n2\r\nget a b\r\n";
    let a = talk(r.addr, req, ends(b"END\r\n")).await;
    let (mut up, mut down) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut server = None;
    let mut closed = false;
    while !closed && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(1), rx.recv()).await {
            Ok(Some(TapEvent::Open { server: s, .. })) => server = Some(s),
            Ok(Some(TapEvent::Data { dir, bytes, .. })) => match dir {
                memshark::capture::Direction::ToServer => up.extend_from_slice(&bytes),
                _ => down.extend_from_slice(&bytes),
            },
            Ok(Some(TapEvent::Closed { .. })) => closed = true,
            _ => break,
        }
    }
    assert_eq!(
        server,
        Some(r.addr),
        "a pool of several: the proxy's own address"
    );
    assert_eq!(up, req);
    assert_eq!(down, a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_backends_taps_the_server_legs_too() {
    let m = Memcached::start(&[]);
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let mut cfg = RouterConfig::new(pool_of(&[m.addr().to_string()]));
    cfg.record_backends = true;
    let r = start_router(cfg, Some(tx)).await;
    let a = talk(r.addr, b"set a 0 0 1\r\n1\r\nget a\r\n", ends(b"END\r\n")).await;
    assert_eq!(a, b"STORED\r\nVALUE a 0 1\r\n1\r\nEND\r\n");
    let (mut leg_up, mut leg_down, mut leg_server) = (Vec::new(), Vec::new(), None);
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await {
        match ev {
            TapEvent::Open { conn, server, .. } if conn & memshark::proxy::SERVER_LEG != 0 => {
                leg_server = Some(server)
            }
            TapEvent::Data {
                conn, dir, bytes, ..
            } if conn & memshark::proxy::SERVER_LEG != 0 => match dir {
                memshark::capture::Direction::ToServer => leg_up.extend_from_slice(&bytes),
                _ => leg_down.extend_from_slice(&bytes),
            },
            _ => {}
        }
    }
    assert_eq!(leg_server, Some(m.addr()));
    assert_eq!(leg_up, b"set a 0 0 1\r\n1\r\nget a\r\n");
    assert_eq!(leg_down, a);
}

/// Splits binary responses into (opaque, status, key, value).
fn responses(b: &[u8]) -> Vec<(u32, u16, Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + 24 <= b.len() {
        let key_len = u16::from_be_bytes([b[off + 2], b[off + 3]]) as usize;
        let extras = b[off + 4] as usize;
        let status = u16::from_be_bytes([b[off + 6], b[off + 7]]);
        let body = u32::from_be_bytes([b[off + 8], b[off + 9], b[off + 10], b[off + 11]]) as usize;
        let opaque = u32::from_be_bytes([b[off + 12], b[off + 13], b[off + 14], b[off + 15]]);
        let start = off + 24;
        let key = b[start + extras..start + extras + key_len].to_vec();
        let value = b[start + extras + key_len..start + body].to_vec();
        out.push((opaque, status, key, value));
        off = start + body;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_binary_and_meta_clients_with_quiet_pipelines_each_get_their_own_answers() {
    let pool: Vec<Memcached> = (0..3).map(|_| Memcached::start(&[])).collect();
    let r = start_pool(&addrs(&pool)).await;
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..12u32 {
        let addr = r.addr;
        // Binary: quiet sets, a getkq batch with a miss, closed by a noop.
        tasks.spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            for round in 0..15u32 {
                let mut req = BytesMut::new();
                let mut want = Vec::new();
                for k in 0..8u32 {
                    let key = format!("b{c}-{k}");
                    let value = format!("{c}/{round}/{k}");
                    Request::store(Opcode::SetQ, key.as_bytes(), value.as_bytes(), 0, 0)
                        .with_opaque(1000 + k)
                        .write_to(&mut req);
                }
                for k in 0..8u32 {
                    let key = format!("b{c}-{k}");
                    Request::get_with(Opcode::GetKQ, key.as_bytes())
                        .with_opaque(2000 + k)
                        .write_to(&mut req);
                    Request::get_with(Opcode::GetKQ, format!("{key}-missing").as_bytes())
                        .with_opaque(3000 + k)
                        .write_to(&mut req);
                    want.push((
                        2000 + k,
                        0,
                        key.into_bytes(),
                        format!("{c}/{round}/{k}").into_bytes(),
                    ));
                }
                Request::noop().with_opaque(4000).write_to(&mut req);
                want.push((4000, 0, Vec::new(), Vec::new()));
                s.write_all(&req).await.unwrap();
                let got = read_until(&mut s, binary_done(4000)).await;
                assert_eq!(responses(&got), want, "binary client {c} round {round}");
            }
        });
        // Meta: quiet sets, gets with opaques and keys, quiet misses, closed by mn.
        tasks.spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            for round in 0..15u32 {
                let mut req = String::new();
                let mut want = String::new();
                for k in 0..8u32 {
                    let v = format!("{c}.{round}.{k}");
                    req.push_str(&format!("ms m{c}-{k} {} q\r\n{v}\r\n", v.len()));
                }
                for k in 0..8u32 {
                    let v = format!("{c}.{round}.{k}");
                    req.push_str(&format!(
                        "mg m{c}-{k} v k O{k}\r\nmg m{c}-{k}-missing v q\r\n"
                    ));
                    want.push_str(&format!("VA {} km{c}-{k} O{k}\r\n{v}\r\n", v.len()));
                }
                req.push_str("mn\r\n");
                want.push_str("MN\r\n");
                s.write_all(req.as_bytes()).await.unwrap();
                let got = read_until(&mut s, ends(b"MN\r\n")).await;
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    want,
                    "meta client {c} round {round}"
                );
            }
        });
    }
    while let Some(t) = tasks.join_next().await {
        t.expect("a client failed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_connections_are_shared_by_every_client() {
    let ms: Vec<Memcached> = (0..2).map(|_| Memcached::start(&[])).collect();
    let mut pool = pool_of(&addrs(&ms));
    pool.server_connections = 2;
    let keys: Vec<String> = (0..20)
        .map(|c| key_on(&pool, (c / 2) % 2, &format!("c{c}-")))
        .collect();
    let r = start_router(RouterConfig::new(pool), None).await;
    let mut clients = Vec::new();
    for key in &keys {
        let mut s = TcpStream::connect(r.addr).await.unwrap();
        s.write_all(format!("set {key} 0 0 1\r\n1\r\n").as_bytes())
            .await
            .unwrap();
        assert_eq!(read_until(&mut s, ends(b"\r\n")).await, b"STORED\r\n");
        clients.push(s);
    }
    // 20 clients; two connections to each server.
    for m in &ms {
        let s = talk(m.addr(), b"stats\r\n", ends(b"END\r\n")).await;
        let s = String::from_utf8_lossy(&s);
        assert!(
            s.contains("STAT curr_connections 3\r\n"),
            "2 shared + this one: {s}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_from_clients_never_harms_the_router() {
    let pool: Vec<Memcached> = (0..2).map(|_| Memcached::start(&[])).collect();
    let r = start_pool(&addrs(&pool)).await;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let pieces: [&[u8]; 12] = [
        b"get ",
        b"set k 0 0 ",
        b"\r\n",
        b"mg ",
        b" q",
        b" v",
        b"99999999999",
        b"gat 1 ",
        b"\x80\x00\x00\x05",
        b"\x80\x0d\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01",
        b"noreply",
        b"mn",
    ];
    for _ in 0..40 {
        let mut junk = Vec::new();
        for _ in 0..(next() % 40) {
            if next() % 3 == 0 {
                junk.extend((0..next() % 30).map(|_| next() as u8));
            } else {
                junk.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
            }
        }
        let mut s = TcpStream::connect(r.addr).await.unwrap();
        let _ = s.write_all(&junk).await;
        let _ =
            tokio::time::timeout(Duration::from_millis(50), read_until(&mut s, |_| false)).await;
    }
    let a = talk(r.addr, b"set ok 0 0 1\r\n1\r\nget ok\r\n", ends(b"END\r\n")).await;
    assert_eq!(a, b"STORED\r\nVALUE ok 0 1\r\n1\r\nEND\r\n");
}

/// A server that answers each `mn` it reads with `MN`, `delay` after reading it, and records
/// every byte it was sent.
async fn slow_noop_server(delay: Duration) -> (SocketAddr, Arc<std::sync::Mutex<Vec<u8>>>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let mut answered = 0;
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    let mns = {
                        let mut l = log.lock().unwrap();
                        l.extend_from_slice(&buf[..n]);
                        l.windows(4).filter(|w| w == b"mn\r\n").count()
                    };
                    for _ in answered..mns {
                        tokio::time::sleep(delay).await;
                        let _ = s.write_all(b"MN\r\n").await;
                    }
                    answered = mns;
                }
            });
        }
    });
    (addr, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mn_after_noreply_requests_on_several_servers_comes_once_they_have_run() {
    let m = Memcached::start(&[]);
    let (slow, seen) = slow_noop_server(Duration::from_millis(1000)).await;
    let servers = vec![m.addr().to_string(), slow.to_string()];
    let pool = pool_of(&servers);
    let (on_m, on_slow) = (key_on(&pool, 0, "m"), key_on(&pool, 1, "s"));
    let r = start_pool(&servers).await;
    let mut s = TcpStream::connect(r.addr).await.expect("connect");
    // Without noreply requests before it, `mn` is answered at once.
    let start = Instant::now();
    s.write_all(b"mn\r\n").await.expect("write");
    assert_eq!(read_until(&mut s, ends(b"MN\r\n")).await, b"MN\r\n");
    assert!(start.elapsed() < Duration::from_millis(700));
    // After noreply sets on both servers, `MN` comes once both have run them: memcached
    // holds its key, and the slow server answered the `mn` sent behind its set.
    let req =
        format!("set {on_m} 0 0 1 noreply\r\n1\r\nset {on_slow} 0 0 1 noreply\r\n2\r\nmn\r\n");
    let start = Instant::now();
    s.write_all(req.as_bytes()).await.expect("write");
    assert_eq!(read_until(&mut s, ends(b"MN\r\n")).await, b"MN\r\n");
    assert!(
        start.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        start.elapsed()
    );
    let got = talk(
        m.addr(),
        format!("get {on_m}\r\n").as_bytes(),
        ends(b"END\r\n"),
    )
    .await;
    assert_eq!(
        got,
        format!("VALUE {on_m} 0 1\r\n1\r\nEND\r\n").into_bytes()
    );
    let log = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    assert_eq!(log, format!("set {on_slow} 0 0 1 noreply\r\n2\r\nmn\r\n"));
    // Settled: the next `mn` is answered at once again.
    let start = Instant::now();
    s.write_all(b"mn\r\n").await.expect("write");
    assert_eq!(read_until(&mut s, ends(b"MN\r\n")).await, b"MN\r\n");
    assert!(start.elapsed() < Duration::from_millis(700));
}
