//! The proxy between real clients and real servers: transparent, recording, and unharmed by
//! backend and client faults.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use memshark::client::Client;
use memshark::dissect::{Kind, Message};
use memshark::proxy::{Proxy, ProxyConfig, ProxyCounters, RecordConfig, Recorder, TapConsumer};
use memshark::server::{Server, ServerConfig};
use support::{exchange, Memcached};
use tokio::sync::oneshot;

/// A proxy on a free loopback port in front of `backend`, optionally recording.
struct Running {
    addr: SocketAddr,
    counters: Arc<ProxyCounters>,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<Vec<Message>>,
}

async fn start_proxy(backend: String, record: Option<std::path::PathBuf>) -> Running {
    start_proxy_with(
        backend,
        record.map(|path| RecordConfig {
            path,
            ..RecordConfig::default()
        }),
    )
    .await
}

async fn start_proxy_with(backend: String, record: Option<RecordConfig>) -> Running {
    start_proxy_config(
        ProxyConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            backend,
            connect_timeout: Duration::from_millis(500),
            ..ProxyConfig::default()
        },
        record,
    )
    .await
}

async fn start_proxy_config(config: ProxyConfig, record: Option<RecordConfig>) -> Running {
    let (tx, rx) = tokio::sync::mpsc::channel(65_536);
    let proxy = Proxy::bind(config, Some(tx)).await.unwrap();
    let addr = proxy.local_addr().unwrap();
    let counters = proxy.counters();
    let recorder = record.map(|config| Recorder::create(&config).unwrap());
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    tokio::spawn(proxy.run(
        async {
            let _ = stop_rx.await;
        },
        Duration::from_millis(500),
    ));
    let done = tokio::spawn(async move {
        let mut seen = Vec::new();
        let sink = memshark::source::from_fn(|m: Message| {
            seen.push(m);
            true
        });
        TapConsumer::new(recorder)
            .run(rx, sink)
            .await
            .expect("the sink never fails");
        seen
    });
    Running {
        addr,
        counters,
        stop: Some(stop_tx),
        done,
    }
}

impl Running {
    async fn stop(mut self) -> Vec<Message> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.done.await.unwrap()
    }
}

async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..100 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what} did not happen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transparent_for_binary_and_text_and_recorded_faithfully() {
    let memcached = Memcached::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rec.pcapng");
    let proxy = start_proxy(memcached.addr().to_string(), Some(path.clone())).await;

    // Binary through the client.
    let c = Client::connect(proxy.addr).await.unwrap();
    c.set(b"p:bin", b"value", 7, 0).await.unwrap();
    let item = c.get(b"p:bin").await.unwrap().unwrap();
    assert_eq!((&item.value[..], item.flags), (&b"value"[..], 7));
    let hits = c.get_multi(&[&b"p:bin"[..], b"p:none"]).await.unwrap();
    assert_eq!(hits.len(), 1);
    drop(c);
    // Text and meta byte for byte the same through the proxy as direct.
    let text = b"set p:txt 0 0 2\r\nhi\r\nget p:txt p:none\r\nmg p:txt v\r\nmn\r\n";
    let via_proxy = tokio::task::spawn_blocking(move || exchange(proxy.addr, text, b"MN\r\n"))
        .await
        .unwrap();
    let direct = exchange(
        memcached.addr(),
        b"get p:txt p:none\r\nmg p:txt v\r\nmn\r\n",
        b"MN\r\n",
    );
    assert_eq!(&via_proxy[..b"STORED\r\n".len()], b"STORED\r\n");
    assert_eq!(&via_proxy[b"STORED\r\n".len()..], &direct[..]);

    eventually("connections to close", || {
        proxy.counters.open.load(Ordering::Relaxed) == 0
    })
    .await;
    let seen = proxy.stop().await;
    // The tap saw the same requests the clients sent, paired with answers.
    let requests: Vec<&str> = seen
        .iter()
        .filter(|m| m.kind() == Kind::Request)
        .map(|m| m.op_name())
        .collect();
    assert!(
        requests.starts_with(&["set", "get", "getkq", "getkq", "noop"]),
        "{requests:?}"
    );
    assert!(seen
        .iter()
        .filter(|m| m.kind() == Kind::Response)
        .all(|m| m.latency_ns.is_some()));
    // The recording dumps to the same messages.
    let mut recorded = Vec::new();
    memshark::pipeline::dissect_file(&path, &[memcached.addr().port()], &mut |_| {}, &mut |m| {
        recorded.push((m.op, m.kind(), m.raw.clone()));
        true
    })
    .unwrap();
    let tapped: Vec<_> = seen
        .iter()
        .map(|m| (m.op, m.kind(), m.raw.clone()))
        .collect();
    assert_eq!(recorded, tapped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_down_fails_fast_then_recovers_without_restart() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let backend: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let proxy = start_proxy(backend.to_string(), None).await;
    // Nothing listens: the client's connection is closed, the failure counted.
    let err = Client::connect(proxy.addr)
        .await
        .unwrap()
        .get(b"k")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            memshark::client::ClientError::Closed | memshark::client::ClientError::Io(_)
        ),
        "{err}"
    );
    assert_eq!(proxy.counters.backend_failures.load(Ordering::Relaxed), 1);
    // The backend comes up: new clients work.
    let server = Server::bind(ServerConfig {
        listen: backend,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let (kill_tx, kill_rx) = oneshot::channel::<()>();
    let server_task = tokio::spawn(server.run(async {
        let _ = kill_rx.await;
    }));
    let c = Client::connect(proxy.addr).await.unwrap();
    c.set(b"k", b"v", 0, 0).await.unwrap();
    // The backend dies mid-stream: the client is closed.
    let _ = kill_tx.send(());
    let _ = server_task.await;
    let err = c.get(b"k").await.unwrap_err();
    assert!(
        matches!(
            err,
            memshark::client::ClientError::Closed
                | memshark::client::ClientError::Io(_)
                | memshark::client::ClientError::Timeout
        ),
        "{err}"
    );
    eventually("the dead connection to be released", || {
        proxy.counters.open.load(Ordering::Relaxed) == 0
    })
    .await;
    let _ = proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_vanishing_mid_request_leaks_nothing() {
    let memcached = Memcached::start(&[]);
    let proxy = start_proxy(memcached.addr().to_string(), None).await;
    for _ in 0..20 {
        let mut s = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut s, b"set k 0 0 100\r\nonly part of the value")
            .await
            .unwrap();
        drop(s);
    }
    eventually("every proxied connection to close", || {
        proxy.counters.accepted.load(Ordering::Relaxed) == 20
            && proxy.counters.open.load(Ordering::Relaxed) == 0
    })
    .await;
    let _ = proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_clients_all_answered_correctly() {
    let memcached = Memcached::start(&["-c", "2048"]);
    let proxy = start_proxy(memcached.addr().to_string(), None).await;
    let addr = proxy.addr;
    let clients = (0..500u32).map(|i| async move {
        let c = Client::connect(addr).await?;
        let key = format!("c{i}");
        c.set(key.as_bytes(), i.to_string().as_bytes(), i, 0)
            .await?;
        let item = c.get(key.as_bytes()).await?.expect("stored");
        Ok::<bool, memshark::client::ClientError>(
            item.value == i.to_string().as_bytes() && item.flags == i,
        )
    });
    let results = futures::future::join_all(clients).await;
    let good = results.iter().filter(|r| matches!(r, Ok(true))).count();
    assert_eq!(
        good,
        500,
        "{:?}",
        results.iter().find(|r| !matches!(r, Ok(true)))
    );
    eventually("all 500 to close", || {
        proxy.counters.open.load(Ordering::Relaxed) == 0
    })
    .await;
    assert_eq!(proxy.counters.accepted.load(Ordering::Relaxed), 500);
    assert_eq!(proxy.counters.tap_dropped.load(Ordering::Relaxed), 0);
    let _ = proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_ring_rotates_and_every_file_reads() {
    let memcached = Memcached::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("ring.pcap");
    let config = RecordConfig {
        path: base.clone(),
        max_size: Some(32 * 1024),
        files: 3,
        redact_values: false,
    };
    let proxy = start_proxy_with(memcached.addr().to_string(), Some(config.clone())).await;
    let c = Client::connect(proxy.addr).await.unwrap();
    for i in 0..200u32 {
        c.set(format!("r{i}").as_bytes(), &[b'x'; 1000], 0, 0)
            .await
            .unwrap();
    }
    drop(c);
    eventually("the connection to close", || {
        proxy.counters.open.load(Ordering::Relaxed) == 0
    })
    .await;
    let _ = proxy.stop().await;
    for i in 0..3 {
        let path = Recorder::file_path(&config, i);
        let meta = std::fs::metadata(&path).unwrap();
        let size = meta.len();
        {
            use std::os::unix::fs::PermissionsExt;
            // Recordings hold users' keys and values: owner only.
            assert_eq!(
                meta.permissions().mode() & 0o777,
                0o600,
                "{}",
                path.display()
            );
        }
        assert!(
            size <= 32 * 1024 + 4 * 1024,
            "{} is {size} bytes",
            path.display()
        );
        let mut n = 0;
        memshark::pipeline::dissect_file(
            &path,
            &[memcached.addr().port()],
            &mut |_| {},
            &mut |_| {
                n += 1;
                true
            },
        )
        .unwrap();
        assert!(n > 0, "{} has no messages", path.display());
    }
    assert!(!Recorder::file_path(&config, 3).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redacted_recording_keeps_keys_but_not_values() {
    let memcached = Memcached::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("redacted.pcapng");
    let config = RecordConfig {
        path: path.clone(),
        redact_values: true,
        ..RecordConfig::default()
    };
    let proxy = start_proxy_with(memcached.addr().to_string(), Some(config)).await;
    let c = Client::connect(proxy.addr).await.unwrap();
    c.set(b"user:42:email", b"alice@example.org", 0, 0)
        .await
        .unwrap();
    assert_eq!(
        &c.get(b"user:42:email").await.unwrap().unwrap().value[..],
        b"alice@example.org"
    );
    drop(c);
    eventually("the connection to close", || {
        proxy.counters.open.load(Ordering::Relaxed) == 0
    })
    .await;
    let _ = proxy.stop().await;
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        !bytes.windows(5).any(|w| w == b"alice"),
        "a value leaked into the recording"
    );
    let mut keys = Vec::new();
    memshark::pipeline::dissect_file(&path, &[memcached.addr().port()], &mut |_| {}, &mut |m| {
        if let Some(k) = &m.key {
            keys.push((k.clone(), m.value_len));
        }
        true
    })
    .unwrap();
    assert!(
        keys.iter()
            .any(|(k, v)| &k[..] == b"user:42:email" && *v == Some(2)),
        "{keys:?}"
    );
}

#[tokio::test]
async fn an_http_first_line_is_disconnected_before_it_reaches_the_server() {
    let memcached = Memcached::start(&[]);
    let proxy = start_proxy(memcached.addr().to_string(), None).await;
    // memcached's own answer to HTTP (tested against it in server_text_vs_memcached): close,
    // without a word. The proxy gives it before a byte reaches the backend, also when the
    // request line arrives in pieces.
    for pieces in [
        &[&b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"[..]][..],
        &[&b"POST /x HT"[..], b"TP/1.0\r\n"],
    ] {
        let mut s = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
        for piece in pieces {
            tokio::io::AsyncWriteExt::write_all(&mut s, piece)
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(
            Duration::from_secs(2),
            tokio::io::AsyncReadExt::read(&mut s, &mut buf),
        )
        .await
        .expect("closed, not left hanging")
        .unwrap_or(0);
        assert_eq!(n, 0, "answered {:?}", &buf[..n]);
    }
    assert_eq!(proxy.counters.http_refused.load(Ordering::Relaxed), 2);
    assert_eq!(proxy.counters.bytes_up.load(Ordering::Relaxed), 0);
    // memcached traffic goes on as before, including a get of a key named like a protocol.
    let mut s = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut s, b"get a HTTP/1.0\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::io::AsyncReadExt::read(&mut s, &mut buf)
        .await
        .unwrap();
    assert_eq!(&buf[..n], b"END\r\n");
}

#[tokio::test]
async fn max_connections_turns_the_extra_clients_away() {
    let memcached = Memcached::start(&[]);
    let proxy = start_proxy_config(
        ProxyConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            backend: memcached.addr().to_string(),
            max_connections: 2,
            ..ProxyConfig::default()
        },
        None,
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut s, b"version\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 64];
        let n = tokio::io::AsyncReadExt::read(&mut s, &mut buf)
            .await
            .unwrap();
        assert!(buf[..n].starts_with(b"VERSION"));
        held.push(s);
    }
    // The third is accepted by the kernel and closed at once by the proxy.
    let mut third = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::io::AsyncReadExt::read(&mut third, &mut buf),
    )
    .await
    .expect("closed, not left hanging")
    .unwrap_or(0);
    assert_eq!(n, 0);
    assert_eq!(proxy.counters.rejected.load(Ordering::Relaxed), 1);
    // A slot freed is a slot usable again.
    drop(held.pop());
    eventually("the slot to free", || {
        proxy.counters.open.load(Ordering::Relaxed) == 1
    })
    .await;
    let mut again = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut again, b"version\r\n")
        .await
        .unwrap();
    let n = tokio::io::AsyncReadExt::read(&mut again, &mut buf)
        .await
        .unwrap();
    assert!(buf[..n].starts_with(b"VERSION"));
    let _ = proxy.stop().await;
}
