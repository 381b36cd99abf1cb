//! The client's whole surface, run against Debian's memcached and against the embedded server:
//! memcached is the oracle, so the embedded server must pass the same suite.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use memshark::client::{Client, ClientConfig, ClientError};
use memshark::protocol::binary::Status;
use memshark::server::ServerConfig;
use support::{Embedded, Memcached};

async fn suite(addr: SocketAddr) {
    let c = Client::connect(addr).await.expect("connect");
    let p = format!("{}:", addr.port());
    let k = |s: &str| format!("{p}{s}").into_bytes();

    // get miss / hit with flags and CAS
    assert_eq!(c.get(&k("none")).await.unwrap(), None);
    let cas = c.set(&k("a"), b"hello", 42, 0).await.unwrap();
    let item = c.get(&k("a")).await.unwrap().unwrap();
    assert_eq!(
        (&item.value[..], item.flags, item.cas),
        (&b"hello"[..], 42, cas)
    );

    // multi-get: hits only, one round trip
    c.set(&k("b"), b"2", 0, 0).await.unwrap();
    let (ka, kb, kn) = (k("a"), k("b"), k("none"));
    let hits = c.get_multi(&[&ka, &kn, &kb]).await.unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(&hits[&kb].value[..], b"2");

    // CAS
    let err = c.cas(&k("a"), b"x", 0, 0, cas + 999).await.unwrap_err();
    assert!(err.is_exists(), "{err}");
    let err = c.cas(&k("nope"), b"x", 0, 0, 5).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    c.cas(&k("a"), b"x", 0, 0, cas).await.unwrap();

    // add / replace / append / prepend
    assert!(c.add(&k("a"), b"y", 0, 0).await.unwrap_err().is_exists());
    assert!(c
        .replace(&k("nope"), b"y", 0, 0)
        .await
        .unwrap_err()
        .is_not_found());
    assert!(c
        .append(&k("nope"), b"y")
        .await
        .unwrap_err()
        .is_not_stored());
    c.append(&k("a"), b">").await.unwrap();
    c.prepend(&k("a"), b"<").await.unwrap();
    assert_eq!(&c.get(&k("a")).await.unwrap().unwrap().value[..], b"<x>");

    // counters
    assert!(c
        .incr(&k("n"), 1, None, 0)
        .await
        .unwrap_err()
        .is_not_found());
    assert_eq!(c.incr(&k("n"), 1, Some(10), 0).await.unwrap(), 10);
    assert_eq!(c.incr(&k("n"), 5, Some(10), 0).await.unwrap(), 15);
    assert_eq!(c.decr(&k("n"), 100, None, 0).await.unwrap(), 0);
    c.set(&k("max"), b"18446744073709551615", 0, 0)
        .await
        .unwrap();
    assert_eq!(c.incr(&k("max"), 2, None, 0).await.unwrap(), 1);
    c.set(&k("text"), b"abc", 0, 0).await.unwrap();
    let err = c.incr(&k("text"), 1, None, 0).await.unwrap_err();
    assert_eq!(err.status(), Some(Status::DeltaBadValue));

    // delete
    c.delete(&k("b"), 0).await.unwrap();
    assert!(c.delete(&k("b"), 0).await.unwrap_err().is_not_found());

    // touch / gat
    c.touch(&k("a"), 100).await.unwrap();
    assert!(c.touch(&k("nope"), 100).await.unwrap_err().is_not_found());
    assert_eq!(
        &c.gat(&k("a"), 100).await.unwrap().unwrap().value[..],
        b"<x>"
    );
    assert_eq!(c.gat(&k("nope"), 100).await.unwrap(), None);

    // version, stats, noop
    assert!(!c.version().await.unwrap().is_empty());
    let stats = c.stats(None).await.unwrap();
    assert!(stats.iter().any(|(n, _)| n == "pid"));
    assert!(stats.iter().any(|(n, _)| n == "get_hits"));
    let settings = c.stats(Some("settings")).await.unwrap();
    assert!(settings.iter().any(|(n, _)| n == "item_size_max"));
    let err = c.stats(Some("no-such-group")).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    c.noop().await.unwrap();

    // pipelining: 200 calls in flight on one connection, each answered correctly
    let calls = (0..200u32).map(|i| {
        let c = c.clone();
        let key = k(&format!("p{i}"));
        async move {
            c.set(&key, i.to_string().as_bytes(), i, 0).await?;
            let item = c.get(&key).await?.expect("stored");
            Ok::<_, ClientError>((item.value, item.flags) == (i.to_string().into(), i))
        }
    });
    let results = futures::future::join_all(calls).await;
    assert!(results.into_iter().all(|r| r.unwrap()));

    // flush last: it empties the server
    c.flush(None).await.unwrap();
    assert_eq!(c.get(&k("a")).await.unwrap(), None);
    c.quit().await.unwrap();
    assert!(matches!(c.noop().await, Err(ClientError::Closed)));
}

#[tokio::test]
async fn client_against_memcached() {
    let m = Memcached::start(&[]);
    suite(m.addr()).await;
}

#[tokio::test]
async fn client_against_embedded_server() {
    let s = Embedded::start(ServerConfig::default());
    suite(s.addr()).await;
}

#[tokio::test]
async fn silent_server_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let (conn, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(conn);
    });
    let c = Client::connect_with(
        addr,
        ClientConfig {
            request_timeout: Duration::from_millis(200),
            ..ClientConfig::default()
        },
    )
    .await
    .unwrap();
    assert!(matches!(c.get(b"k").await, Err(ClientError::Timeout)));
    hold.abort();
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Client::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }), "{err}");
}

#[tokio::test]
async fn sasl_plain_against_embedded_server() {
    let s = Embedded::start(ServerConfig {
        sasl: Some(memshark::server::SaslCredentials {
            user: "u".into(),
            password: "p".into(),
        }),
        ..ServerConfig::default()
    });
    let c = Client::connect(s.addr()).await.unwrap();
    let err = c.sasl_plain("u", "wrong").await.unwrap_err();
    assert_eq!(err.status(), Some(Status::AuthError));
    c.sasl_plain("u", "p").await.unwrap();
    c.set(b"k", b"v", 0, 0).await.unwrap();
}
