//! Shadow pools in the router: the requests of shadowed keys also go to a second pool whose
//! answers never reach the client; differences (status, value, flags) are counted in the
//! proxy's `stats` and written to `--shadow-diffs`; a slow or dead shadow neither slows nor
//! fails the primary (its queue is bounded, copies past it dropped and counted). Real memcached
//! servers for both pools, the shadow one holding different data.

mod support;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use support::{exchange, free_addr, HeadlessProxy, Memcached};

/// Stores `key` = `value` with `flags` on a server directly.
fn put(server: SocketAddr, key: &str, flags: u32, value: &str) {
    let req = format!("set {key} {flags} 0 {}\r\n{value}\r\n", value.len());
    assert_eq!(exchange(server, req.as_bytes(), b"\r\n"), b"STORED\r\n");
}

/// One `STAT name value` of a stats answer.
fn stat(stats: &str, name: &str) -> Option<u64> {
    let prefix = format!("STAT {name} ");
    stats
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn a_shadow_pool_with_other_data_gets_copies_and_its_differences_are_counted_and_written() {
    let (a, b) = (Memcached::start(&[]), Memcached::start(&[]));
    let c = Memcached::start(&[]);
    // The primary pool holds k0..k9 = "p" (on both servers, so wherever they are placed); the
    // shadow agrees on k0..k4, has other values for k5..k7, other flags for k8, no k9.
    for i in 0..10 {
        put(a.addr(), &format!("k{i}"), 0, "p");
        put(b.addr(), &format!("k{i}"), 0, "p");
    }
    for i in 0..5 {
        put(c.addr(), &format!("k{i}"), 0, "p");
    }
    for i in 5..8 {
        put(c.addr(), &format!("k{i}"), 0, "s");
    }
    put(c.addr(), "k8", 3, "p");

    let (main, cand) = (free_addr(), free_addr());
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("nutcracker.yml");
    let diffs = dir.path().join("diffs.jsonl");
    std::fs::write(
        &config,
        format!(
            "main:\n  listen: {main}\n  timeout: 2000\n  servers:\n   - {}:1\n   - {}:1\n  shadow:\n    pool: candidate\n    key_fraction: [0.0, 1.0]\n\
candidate:\n  listen: {cand}\n  servers:\n   - {}:1\n",
            a.addr(),
            b.addr(),
            c.addr()
        ),
    )
    .expect("write the config");
    let mut proxy = HeadlessProxy::start(
        &[
            OsStr::new("--config"),
            config.as_os_str(),
            OsStr::new("--shadow-diffs"),
            diffs.as_os_str(),
        ],
        main,
    );
    let stderr = proxy.child.stderr.take().expect("stderr");

    // The client sees the primary's answers only.
    let mut s = TcpStream::connect(main).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut req = String::new();
    for i in 0..10 {
        req.push_str(&format!("get k{i}\r\n"));
    }
    req.push_str("mg k5 v f\r\n");
    req.push_str("set fresh 0 0 1\r\nx\r\n");
    s.write_all(req.as_bytes()).expect("write");
    let mut want = "VALUE k0 0 1\r\np\r\nEND\r\n".replace("k0", "{k}");
    want = (0..10)
        .map(|i| want.replace("{k}", &format!("k{i}")))
        .collect::<String>();
    want.push_str("VA 1 f0\r\np\r\nSTORED\r\n");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < want.len() {
        let n = s.read(&mut buf).expect("answers");
        assert!(n > 0, "closed: {got:?}");
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(String::from_utf8_lossy(&got), want);
    // The set was copied: the shadow has it too. The copy travels on its own time (the client
    // has its answer from the primary already), so ask until it is there.
    let deadline = Instant::now() + Duration::from_secs(5);
    let fresh = loop {
        let got = exchange(c.addr(), b"get fresh\r\n", b"END\r\n");
        if got != b"END\r\n" || Instant::now() > deadline {
            break got;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        String::from_utf8_lossy(&fresh),
        "VALUE fresh 0 1\r\nx\r\nEND\r\n"
    );

    // 12 requests compared; k5..k9 and the mg of k5 differ. The comparisons finish on their
    // own time: ask until they are all in.
    let deadline = Instant::now() + Duration::from_secs(5);
    let stats = loop {
        s.write_all(b"stats\r\n").expect("write");
        let mut got = Vec::new();
        while !got.ends_with(b"END\r\n") {
            let n = s.read(&mut buf).expect("stats");
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&got).into_owned();
        if stat(&text, "shadow_compared") == Some(12) || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(stat(&stats, "shadow_requests"), Some(12), "{stats}");
    assert_eq!(stat(&stats, "shadow_compared"), Some(12), "{stats}");
    assert_eq!(stat(&stats, "shadow_differences"), Some(6), "{stats}");
    assert_eq!(stat(&stats, "shadow_dropped"), Some(0), "{stats}");
    assert!(stats.contains("STAT shadow_pool candidate\r\n"), "{stats}");

    // The headless line says it too.
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut shadow_line = None;
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if line.trim_start().starts_with("shadow:") && line.contains("differences 6") {
            shadow_line = Some(line);
            break;
        }
    }
    let line = shadow_line.expect("a shadow stats line");
    assert!(line.contains("compared 12"), "{line}");

    // The differences file: one JSON object per difference, private to its owner.
    let text = std::fs::read_to_string(&diffs).expect("the diffs file");
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(rows.len(), 6, "{text}");
    let mut keys: Vec<&str> = rows.iter().filter_map(|r| r["key"].as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["k5", "k5", "k6", "k7", "k8", "k9"], "{text}");
    let k9 = rows.iter().find(|r| r["key"] == "k9").expect("k9");
    assert_eq!(k9["primary"]["status"], "VALUE");
    assert_eq!(k9["shadow"]["status"], "END");
    let k8 = rows.iter().find(|r| r["key"] == "k8").expect("k8");
    assert_eq!(k8["primary"]["flags"], "0");
    assert_eq!(k8["shadow"]["flags"], "3");
    let k6 = rows.iter().find(|r| r["key"] == "k6").expect("k6");
    assert_eq!(k6["primary"]["value"], "p");
    assert_eq!(k6["shadow"]["value"], "s");
    assert_eq!(k6["pool"], "main");
    assert_eq!(k6["shadow_pool"], "candidate");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&diffs)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// A server that accepts and never answers.
fn silent_server() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    (l, addr)
}

#[tokio::test]
async fn a_stuck_shadow_neither_slows_nor_fails_the_primary_and_its_copies_are_dropped() {
    use memshark::proxy::pool::{PoolConfig, ServerSpec, ShadowConfig};
    use memshark::proxy::{Router, RouterConfig};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let m = Memcached::start(&[]);
    // Accepted by the kernel backlog, never read: every copy stays in flight.
    let (_silent, stuck) = silent_server();
    let spec = |a: SocketAddr| ServerSpec {
        addr: a.to_string(),
        weight: 1,
        name: None,
    };
    let mut pool =
        PoolConfig::from_servers("127.0.0.1:0".parse().expect("addr"), vec![spec(m.addr())]);
    pool.shadow = Some(ShadowConfig {
        pool: "stuck".into(),
        key_fraction: (0.0, 1.0),
    });
    let mut shadow = PoolConfig::from_servers(pool.listen, vec![spec(stuck)]);
    shadow.name = "stuck".into();
    let config = RouterConfig {
        shadow_pool: Some(shadow),
        shadow_queue: 4,
        ..RouterConfig::new(pool)
    };
    let router = Router::bind(config, None).await.expect("bind");
    let addr = router.local_addr().expect("addr");
    let monitor = router.monitor();
    tokio::spawn(router.run(std::future::pending(), Duration::from_millis(100)));

    let mut c = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let n = 50;
    let mut req = String::new();
    for i in 0..n {
        req.push_str(&format!("set s{i} 0 0 1\r\n{}\r\n", i % 10));
    }
    let began = Instant::now();
    c.write_all(req.as_bytes()).await.expect("write");
    let want = b"STORED\r\n".repeat(n);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < want.len() {
        let r = tokio::time::timeout(Duration::from_secs(5), c.read(&mut buf))
            .await
            .expect("the primary answers although the shadow does not")
            .expect("read");
        assert!(r > 0);
        got.extend_from_slice(&buf[..r]);
    }
    assert_eq!(got, want);
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "{:?}",
        began.elapsed()
    );
    let s = monitor.shadow().expect("a shadow");
    assert_eq!(s.requests, 4, "{s:?}");
    assert_eq!(s.dropped, n as u64 - 4, "{s:?}");
    assert_eq!(s.compared, 0, "{s:?}");
}

#[test]
fn shadow_on_the_command_line_copies_exactly_the_keys_of_its_fraction() {
    use memshark::proxy::pool::ShadowConfig;
    let a = Memcached::start(&[]);
    let c = Memcached::start(&[]);
    let listen = free_addr();
    let _proxy = HeadlessProxy::start(
        &[
            "--listen",
            &listen.to_string(),
            "--backend",
            &a.addr().to_string(),
            "--shadow",
            &c.addr().to_string(),
            "--shadow-fraction",
            "0.5",
        ],
        listen,
    );
    let keys: Vec<String> = (0..100).map(|i| format!("user:{i}")).collect();
    let mut req = String::new();
    for k in &keys {
        req.push_str(&format!("set {k} 0 0 1\r\n1\r\n"));
    }
    assert_eq!(
        exchange(listen, req.as_bytes(), &b"STORED\r\n".repeat(keys.len())),
        b"STORED\r\n".repeat(keys.len())
    );
    // Copies are written after the primary's answer may have come: wait for the last one.
    let shadowed: Vec<&String> = keys
        .iter()
        .filter(|k| ShadowConfig::fraction_of(k.as_bytes()) < 0.5)
        .collect();
    assert!((20..80).contains(&shadowed.len()), "{}", shadowed.len());
    let on_c = |k: &str| {
        exchange(c.addr(), format!("get {k}\r\n").as_bytes(), b"END\r\n").starts_with(b"VALUE")
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while !shadowed.iter().all(|k| on_c(k)) {
        assert!(
            Instant::now() < deadline,
            "every shadowed key reaches the shadow"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for k in &keys {
        assert_eq!(on_c(k), shadowed.contains(&k), "{k}");
        assert!(
            exchange(a.addr(), format!("get {k}\r\n").as_bytes(), b"END\r\n").starts_with(b"VALUE"),
            "{k} on the primary"
        );
    }
}
