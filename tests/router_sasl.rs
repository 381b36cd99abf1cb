//! SASL in the router, against the real thing: Debian's memcached with `-S` (cyrus SASL, PLAIN,
//! a sasldb made by `saslpasswd2`) for binary connections and with `-Y authfile` for text/meta
//! ones. The proxy authenticates to such servers with its credentials (wrong ones fail the
//! requests, they never hang), and a proxy with client credentials answers unauthenticated
//! clients exactly as memcached `-S`/`-Y` does without forwarding anything of theirs.

mod support;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use memshark::protocol::binary::{self, FrameCheck, Opcode, Packet, Request, Status};
use memshark::proxy::pool::{Continuum, PoolConfig, SaslCredentials};
use memshark::proxy::{pool_from_servers, Router, RouterConfig};
use support::{exchange, free_addr, start_router, HeadlessProxy, Memcached, RunningRouter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const USER: &str = "memshark";
const PASSWORD: &str = "s3cret-pw";

/// A directory memcached (running as `nobody`) can read, with a cyrus SASL configuration
/// (`memcached.conf`: PLAIN over a sasldb) and a `-Y` authfile, both for [`USER`].
struct Auth {
    dir: tempfile::TempDir,
}

fn make_readable(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

impl Auth {
    fn new() -> Auth {
        let dir = tempfile::tempdir().expect("temp dir");
        make_readable(dir.path(), 0o755);
        let db = dir.path().join("sasldb");
        std::fs::write(
            dir.path().join("memcached.conf"),
            format!("mech_list: plain\nsasldb_path: {}\n", db.display()),
        )
        .expect("memcached.conf");
        let mut child = Command::new("saslpasswd2")
            .args(["-a", "memcached", "-c", "-p", "-f"])
            .arg(&db)
            .arg(USER)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `saslpasswd2` ({e}): the SASL tests make memcached's password \
                     database with it; install it with `apt-get install -y sasl2-bin libsasl2-modules`"
                )
            });
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(PASSWORD.as_bytes()).expect("password");
        }
        assert!(child.wait().expect("saslpasswd2").success(), "saslpasswd2");
        make_readable(&db, 0o644);
        let authfile = dir.path().join("authfile");
        std::fs::write(&authfile, format!("{USER}:{PASSWORD}\n")).expect("authfile");
        make_readable(&authfile, 0o644);
        Auth { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// memcached `-S`, checked to offer PLAIN.
    fn sasl_server(&self) -> Memcached {
        let conf = self.path().to_str().expect("utf-8 path");
        let m = Memcached::start_env(&["-S"], &[("SASL_CONF_PATH", conf)]);
        let mechs = binary_once(m.addr(), Request::sasl_list_mechs());
        assert!(
            String::from_utf8_lossy(&mechs).contains("PLAIN"),
            "memcached -S offers no PLAIN mechanism ({mechs:?}): install the cyrus SASL modules \
             with `apt-get install -y sasl2-bin libsasl2-modules`"
        );
        m
    }

    /// memcached `-Y authfile`.
    fn authfile_server(&self) -> Memcached {
        let authfile: PathBuf = self.path().join("authfile");
        Memcached::start(&["-Y", authfile.to_str().expect("utf-8 path")])
    }
}

fn credentials(password: &str) -> Option<SaslCredentials> {
    Some(SaslCredentials::new(USER, password))
}

/// A router for `pool` on a free loopback port, stopped on drop.
async fn start(pool: PoolConfig) -> RunningRouter {
    start_router(RouterConfig::new(pool), None).await
}

fn pool(servers: &[&Memcached]) -> PoolConfig {
    let servers: Vec<String> = servers.iter().map(|m| m.addr().to_string()).collect();
    pool_from_servers("127.0.0.1:0".parse().expect("addr"), &servers)
}

fn encode(reqs: &[Request]) -> Vec<u8> {
    let mut o = BytesMut::new();
    for r in reqs {
        r.write_to(&mut o);
    }
    o.to_vec()
}

/// One binary response: opcode, status, opaque, value.
type Resp = (Opcode, Status, u32, Vec<u8>);

/// Reads `n` binary responses (or until the peer closes, or 5 s pass); also says whether the
/// peer closed the connection right after them.
async fn read_responses(s: &mut TcpStream, n: usize) -> (Vec<Resp>, bool) {
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut closed = false;
    while out.len() < n {
        match binary::check(&buf, 1 << 20) {
            Ok(FrameCheck::Complete(len)) => {
                let frame: Vec<u8> = buf.drain(..len).collect();
                let p = Packet::new_unchecked(&frame[..]);
                out.push((p.opcode(), p.status(), p.opaque(), p.value().to_vec()));
                continue;
            }
            Ok(FrameCheck::Incomplete { .. }) => {}
            Err(e) => panic!("not a binary response: {e}"),
        }
        let mut chunk = [0u8; 65536];
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Err(_) => break,
            Ok(Ok(k)) => buf.extend_from_slice(&chunk[..k]),
        }
    }
    if !closed {
        let mut chunk = [0u8; 64];
        closed = matches!(
            tokio::time::timeout(Duration::from_millis(300), s.read(&mut chunk)).await,
            Ok(Ok(0)) | Ok(Err(_))
        );
    }
    (out, closed)
}

async fn binary_call(s: &mut TcpStream, reqs: &[Request], answers: usize) -> (Vec<Resp>, bool) {
    s.write_all(&encode(reqs)).await.expect("write");
    read_responses(s, answers).await
}

/// Sends `req` on `s` and reads until the answer ends with `until` (or 5 s pass).
async fn text_call(s: &mut TcpStream, req: &[u8], until: &[u8]) -> String {
    s.write_all(req).await.expect("write");
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !out.ends_with(until) {
        let mut chunk = [0u8; 65536];
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(k)) => out.extend_from_slice(&chunk[..k]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Sends one binary request on a new connection and gives the first whole response (or what
/// came before the peer closed or 5 s passed).
fn binary_once(addr: SocketAddr, req: Request) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    s.write_all(&encode(&[req])).expect("write");
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    while !matches!(binary::check(&out, 1 << 20), Ok(FrameCheck::Complete(_))) {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
    }
    out
}

/// One statistic of a memcached reached directly.
fn stat(addr: SocketAddr, name: &str) -> u64 {
    let text = String::from_utf8_lossy(&exchange(addr, b"stats\r\n", b"END\r\n")).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("STAT {name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text:?}"))
}

#[tokio::test]
async fn binary_clients_reach_a_sasl_server_through_the_proxy() {
    let auth = Auth::new();
    let m = auth.sasl_server();
    // The server itself refuses an unauthenticated get.
    let direct = binary_once(m.addr(), Request::get(b"k"));
    assert_eq!(
        Packet::new_unchecked(&direct[..]).status(),
        Status::AuthError
    );
    let mut p = pool(&[&m]);
    p.server_sasl = credentials(PASSWORD);
    p.server_connections = 2;
    let r = start(p).await;
    for client in 0..3u32 {
        let mut s = TcpStream::connect(r.addr).await.expect("connect");
        let key = format!("key{client}");
        let (got, closed) = binary_call(
            &mut s,
            &[
                Request::set(key.as_bytes(), b"value", 7, 0).with_opaque(1),
                Request::get(key.as_bytes()).with_opaque(2),
                Request::get_with(Opcode::GetQ, b"missing").with_opaque(3),
                Request::noop().with_opaque(4),
            ],
            3,
        )
        .await;
        assert!(!closed);
        let summary: Vec<(Opcode, Status, u32)> = got.iter().map(|r| (r.0, r.1, r.2)).collect();
        assert_eq!(
            summary,
            [
                (Opcode::Set, Status::NoError, 1),
                (Opcode::Get, Status::NoError, 2),
                (Opcode::Noop, Status::NoError, 4)
            ]
        );
        assert_eq!(got[1].3, b"value");
    }
    // A client's own SASL request never reaches (and re-authenticates) the shared connection:
    // the proxy asks no credentials of clients here, so it is an unknown command, as from a
    // memcached without -S.
    let mut s = TcpStream::connect(r.addr).await.expect("connect");
    let (got, _) = binary_call(
        &mut s,
        &[Request::sasl_plain(USER.as_bytes(), b"wrong").with_opaque(8)],
        1,
    )
    .await;
    assert_eq!((got[0].1, got[0].2), (Status::UnknownCommand, 8));
}

#[tokio::test]
async fn text_and_meta_clients_reach_an_authfile_server_through_the_proxy() {
    let auth = Auth::new();
    let m = auth.authfile_server();
    assert_eq!(
        exchange(m.addr(), b"get k\r\n", b"\r\n"),
        b"CLIENT_ERROR unauthenticated\r\n"
    );
    let mut p = pool(&[&m]);
    p.server_sasl = credentials(PASSWORD);
    let r = start(p).await;
    let mut s = TcpStream::connect(r.addr).await.expect("connect");
    assert_eq!(
        text_call(&mut s, b"set k 0 0 1\r\nv\r\nget k\r\n", b"END\r\n").await,
        "STORED\r\nVALUE k 0 1\r\nv\r\nEND\r\n"
    );
    assert_eq!(
        text_call(&mut s, b"ms m 2 T0\r\nhi\r\nmg m v\r\nmn\r\n", b"MN\r\n").await,
        "HD\r\nVA 2\r\nhi\r\nMN\r\n"
    );
    // The authentication was not a store: no item holds the credentials.
    let direct = exchange(
        m.addr(),
        format!(
            "set x 0 0 {}\r\n{USER} {PASSWORD}\r\nget memshark_auth\r\n",
            USER.len() + 1 + PASSWORD.len()
        )
        .as_bytes(),
        b"END\r\n",
    );
    assert_eq!(direct, b"STORED\r\nEND\r\n");
}

#[tokio::test]
async fn wrong_server_credentials_fail_the_requests_without_a_hang() {
    let auth = Auth::new();
    let sasl = auth.sasl_server();
    let authfile = auth.authfile_server();
    let mut p = pool(&[&sasl]);
    p.server_sasl = credentials("wrong");
    let r = start(p).await;
    let started = Instant::now();
    let mut s = TcpStream::connect(r.addr).await.expect("connect");
    let (got, _) = binary_call(&mut s, &[Request::get(b"k").with_opaque(9)], 1).await;
    assert_eq!(got.len(), 1, "an answer");
    assert_eq!((got[0].0, got[0].2), (Opcode::Get, 9));
    assert_ne!(got[0].1, Status::NoError);
    let mut p = pool(&[&authfile]);
    p.server_sasl = credentials("wrong");
    let r = start(p).await;
    let mut s = TcpStream::connect(r.addr).await.expect("connect");
    let got = text_call(&mut s, b"get k\r\n", b"\r\n").await;
    assert!(got.starts_with("SERVER_ERROR"), "{got:?}");
    let got = text_call(&mut s, b"mg k v\r\n", b"\r\n").await;
    assert!(got.starts_with("SERVER_ERROR"), "{got:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(r.counters.backend_failures.load(Ordering::Relaxed) >= 1);
}

#[tokio::test]
async fn a_server_that_refuses_the_credentials_is_ejected_and_its_keys_move() {
    // Two -Y servers; the second knows another password for the same user.
    let auth = Auth::new();
    let good = auth.authfile_server();
    let other = tempfile::tempdir().expect("temp dir");
    make_readable(other.path(), 0o755);
    let authfile = other.path().join("authfile");
    std::fs::write(&authfile, format!("{USER}:another-password\n")).expect("authfile");
    make_readable(&authfile, 0o644);
    let refusing = Memcached::start(&["-Y", authfile.to_str().expect("utf-8 path")]);
    let mut p = pool(&[&good, &refusing]);
    p.server_sasl = credentials(PASSWORD);
    p.auto_eject_hosts = true;
    p.server_failure_limit = 1;
    p.server_retry_timeout = Duration::from_secs(60);
    let placement = p.clone();
    let router = Router::bind(RouterConfig::new(p), None)
        .await
        .expect("bind");
    let addr = router.local_addr().expect("addr");
    let monitor = router.monitor();
    let (_stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(router.run(
        async {
            let _ = rx.await;
        },
        Duration::from_millis(200),
    ));
    // A key of the refusing server fails (its connection is refused), the server is out of
    // the placement at once (limit 1), and the same key then goes to the other server; keys of
    // the good server are served throughout.
    let continuum = Continuum::build(&placement, &[true, true]);
    let key_on = |server: usize| {
        (0..10_000)
            .map(|i| format!("key{i}"))
            .find(|k| continuum.server_for(k.as_bytes()) == Some(server))
            .expect("a key for each server")
    };
    let (moved, stays) = (key_on(1), key_on(0));
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let set = |key: &str| format!("set {key} 0 0 1\r\nv\r\n");
    assert_eq!(
        text_call(&mut s, set(&stays).as_bytes(), b"\r\n").await,
        "STORED\r\n"
    );
    assert_eq!(
        text_call(&mut s, set(&moved).as_bytes(), b"\r\n").await,
        "SERVER_ERROR Connection refused\r\n"
    );
    let servers = monitor.servers(false);
    assert_eq!(servers[1].addr, refusing.addr().to_string());
    assert!(
        servers[1].ejected && servers[1].ejections == 1,
        "{servers:?}"
    );
    let both = format!("{}{}get {moved} {stays}\r\n", set(&moved), set(&stays));
    assert_eq!(
        text_call(&mut s, both.as_bytes(), b"END\r\n").await,
        format!("STORED\r\nSTORED\r\nVALUE {moved} 0 1\r\nv\r\nVALUE {stays} 0 1\r\nv\r\nEND\r\n")
    );
}

#[tokio::test]
async fn a_proxy_that_requires_authentication_answers_as_memcached_and_forwards_nothing_before() {
    // Two plain servers: the proxy alone asks for credentials, and a pool of two answers
    // `stats` itself.
    let a = Memcached::start(&[]);
    let b = Memcached::start(&[]);
    let mut p = pool(&[&a, &b]);
    p.client_sasl = credentials(PASSWORD);
    let r = start(p).await;

    // Binary, unauthenticated: refused with memcached's auth error, and closed.
    let mut s = TcpStream::connect(r.addr).await.expect("connect");
    let (got, closed) = binary_call(&mut s, &[Request::get(b"k").with_opaque(5)], 1).await;
    assert_eq!(
        got,
        [(Opcode::Get, Status::AuthError, 5, b"Auth failure.".to_vec())]
    );
    assert!(closed, "memcached -S closes after refusing");
    let mut s = TcpStream::connect(r.addr).await.expect("connect");
    let (got, closed) = binary_call(&mut s, &[Request::set(b"k", b"v", 0, 0)], 1).await;
    assert_eq!(got[0].1, Status::AuthError);
    assert!(closed);

    // Binary: the SASL exchange, then requests go through.
    let mut s = TcpStream::connect(r.addr).await.expect("connect");
    let (got, closed) = binary_call(
        &mut s,
        &[
            Request::sasl_list_mechs().with_opaque(1),
            Request::version().with_opaque(2),
            Request::sasl_plain(USER.as_bytes(), b"wrong").with_opaque(3),
        ],
        3,
    )
    .await;
    assert!(!closed, "a failed SASL_AUTH keeps the connection");
    assert_eq!(
        got[0],
        (Opcode::SaslListMechs, Status::NoError, 1, b"PLAIN".to_vec())
    );
    assert_eq!((got[1].1, got[1].2), (Status::NoError, 2));
    assert!(got[1].3.starts_with(b"memshark-proxy-"), "{:?}", got[1]);
    assert_eq!(
        got[2],
        (
            Opcode::SaslAuth,
            Status::AuthError,
            3,
            b"Auth failure.".to_vec()
        )
    );
    let (got, closed) = binary_call(
        &mut s,
        &[
            Request::sasl_plain(USER.as_bytes(), PASSWORD.as_bytes()).with_opaque(4),
            Request::set(b"k", b"v", 0, 0).with_opaque(5),
            Request::get(b"k").with_opaque(6),
        ],
        3,
    )
    .await;
    assert!(!closed);
    assert_eq!(
        got[0],
        (
            Opcode::SaslAuth,
            Status::NoError,
            4,
            b"Authenticated".to_vec()
        )
    );
    assert_eq!((got[1].1, got[1].2), (Status::NoError, 5));
    assert_eq!(got[2].3, b"v");
    // Authenticated, SASL is still answered by the proxy (and never forwarded).
    let (got, _) = binary_call(&mut s, &[Request::sasl_list_mechs().with_opaque(7)], 1).await;
    assert_eq!(
        got[0],
        (Opcode::SaslListMechs, Status::NoError, 7, b"PLAIN".to_vec())
    );

    // Text and meta, unauthenticated: every line refused alone, connection kept.
    let mut s = TcpStream::connect(r.addr).await.expect("connect");
    let refusals = "CLIENT_ERROR unauthenticated\r\n".repeat(5);
    let got = text_call(
        &mut s,
        b"get k\r\nmg k v\r\nversion\r\nadd k2 0 0 1\r\nx\r\n",
        refusals.as_bytes(),
    )
    .await;
    assert_eq!(
        got, refusals,
        "the add's data line is refused as a line of its own"
    );
    assert_eq!(
        text_call(&mut s, b"set a 0 0 14\r\nmemshark wrong\r\n", b"\r\n").await,
        "CLIENT_ERROR authentication failure\r\n"
    );
    assert_eq!(
        text_call(&mut s, b"set a 0 0 8\r\nmemshark\r\n", b"\r\n").await,
        "CLIENT_ERROR bad authentication token format\r\n"
    );
    let login = format!(
        "set a 0 0 {}\r\n{USER} {PASSWORD}\r\nget k\r\n",
        USER.len() + 1 + PASSWORD.len()
    );
    assert_eq!(
        text_call(&mut s, login.as_bytes(), b"END\r\n").await,
        "STORED\r\nVALUE k 0 1\r\nv\r\nEND\r\n"
    );

    // The proxy's counters and its `stats` (a pool of two answers it).
    assert_eq!(r.counters.auth_cmds.load(Ordering::Relaxed), 4);
    assert_eq!(r.counters.auth_errors.load(Ordering::Relaxed), 2);
    let stats = text_call(&mut s, b"stats\r\n", b"END\r\n").await;
    assert!(stats.contains("STAT auth_cmds 4\r\n"), "{stats}");
    assert!(stats.contains("STAT auth_errors 2\r\n"), "{stats}");

    // Nothing of the unauthenticated requests reached a server: the two gets and the one set
    // of authenticated clients are all the servers saw, and no `k2` or `a` was stored.
    let gets = stat(a.addr(), "cmd_get") + stat(b.addr(), "cmd_get");
    let sets = stat(a.addr(), "cmd_set") + stat(b.addr(), "cmd_set");
    assert_eq!((gets, sets), (2, 1));
    for m in [&a, &b] {
        assert_eq!(exchange(m.addr(), b"get k2 a\r\n", b"END\r\n"), b"END\r\n");
    }

    // Even in a one-server pool (which forwards VERSION once authenticated), VERSION before
    // authentication is the proxy's: nothing of an unauthenticated client reaches a server.
    let mut one = pool(&[&a]);
    one.client_sasl = credentials(PASSWORD);
    let r = start(one).await;
    let mut s = TcpStream::connect(r.addr).await.expect("connect");
    let (got, _) = binary_call(&mut s, &[Request::version().with_opaque(1)], 1).await;
    assert!(got[0].3.starts_with(b"memshark-proxy-"), "{:?}", got[0]);
    let login = Request::sasl_plain(USER.as_bytes(), PASSWORD.as_bytes());
    let (got, _) = binary_call(&mut s, &[login, Request::version().with_opaque(2)], 2).await;
    let direct = binary_once(a.addr(), Request::version());
    assert_eq!(
        got[1].3,
        Packet::new_unchecked(&direct[..]).value(),
        "the server's"
    );
}

#[test]
fn the_command_line_says_which_server_refused_and_never_prints_the_password() {
    let auth = Auth::new();
    let m = auth.authfile_server();
    let backend = m.addr().to_string();
    let listen = free_addr();
    let mut p = HeadlessProxy::start(
        &[
            "--listen",
            &listen.to_string(),
            "--backend",
            &backend,
            "--server-sasl-user",
            USER,
            "--server-sasl-password",
            "not-the-password",
        ],
        listen,
    );
    let got = exchange(listen, b"get k\r\n", b"\r\n");
    assert!(got.starts_with(b"SERVER_ERROR"), "{got:?}");
    let stderr = p.child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut refusal = None;
    let mut seen = Vec::new();
    while refusal.is_none() && Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if line.contains("authentication refused") {
            refusal = Some(line.clone());
        }
        seen.push(line);
    }
    let refusal = refusal.unwrap_or_else(|| panic!("no refusal line in {seen:?}"));
    assert!(refusal.contains(&backend), "{refusal}");
    assert!(
        refusal.contains("CLIENT_ERROR authentication failure"),
        "{refusal}"
    );
    assert!(
        seen.iter().all(|l| !l.contains("not-the-password")),
        "{seen:?}"
    );
}

#[test]
fn a_configuration_file_sets_both_sides() {
    let auth = Auth::new();
    let m = auth.authfile_server();
    let listen = free_addr();
    let config = auth.path().join("pools.yml");
    std::fs::write(
        &config,
        format!(
            "secure:\n  listen: {listen}\n  sasl_username: {USER}\n  sasl_password: \"{PASSWORD}\"\n  client_sasl_username: app\n  client_sasl_password: app-pw\n  servers:\n    - {}:1\n",
            m.addr()
        ),
    )
    .expect("config");
    let mut p = HeadlessProxy::start(&[OsStr::new("--config"), config.as_os_str()], listen);
    assert_eq!(
        exchange(listen, b"get k\r\n", b"\r\n"),
        b"CLIENT_ERROR unauthenticated\r\n"
    );
    assert_eq!(
        exchange(
            listen,
            b"set auth 0 0 10\r\napp app-pw\r\nset k 0 0 2\r\nok\r\nget k\r\n",
            b"END\r\n"
        ),
        b"STORED\r\nSTORED\r\nVALUE k 0 2\r\nok\r\nEND\r\n"
    );
    // The headless stats line counts client authentication once there is some.
    let stderr = p.child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if line.ends_with("| auth 1 failed 0") {
            return;
        }
        seen.push(line);
    }
    panic!("no stats line with the authentication: {seen:?}");
}
