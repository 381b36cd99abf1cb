//! memcached's own operator tooling against the embedded server and memcached itself: Debian's
//! `memcached-tool` (display, stats, settings, dump) and `stats conns` must tell the same
//! story about the same items.

mod support;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use memshark::server::ServerConfig;
use support::{exchange, Embedded, Memcached};

const TOOL: &str = "/usr/share/memcached/scripts/memcached-tool";

/// Runs `memcached-tool HOST:PORT mode`, killed after 20 s; its standard output.
fn tool(addr: SocketAddr, mode: &str) -> String {
    let mut child = Command::new("perl")
        .args([TOOL, &addr.to_string(), mode])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {TOOL} ({e}): it comes with Debian's memcached"));
    // Read while it runs: a dump is megabytes, more than a pipe holds.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut out);
        out
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                panic!("memcached-tool {mode} against {addr} did not finish");
            }
        }
    }
    let output = reader.join().expect("reader thread");
    String::from_utf8_lossy(&output).into_owned()
}

/// The same items in both servers: many sizes, flags, a chained item, a key needing escapes.
fn fill(addr: SocketAddr) {
    let mut script = String::new();
    for (i, len) in [
        1usize, 10, 60, 100, 300, 1000, 3000, 10_000, 50_000, 200_000, 700_000,
    ]
    .iter()
    .enumerate()
    {
        for copy in 0..4 {
            script.push_str(&format!(
                "set tool:{i}:{copy} {copy} 0 {len}\r\n{}\r\n",
                "v".repeat(*len)
            ));
        }
    }
    script.push_str("set odd%key 7 0 3\r\nabc\r\ndelete tool:0:0\r\nmn\r\n");
    let answer = exchange(addr, script.as_bytes(), b"MN\r\n");
    assert!(answer.ends_with(b"MN\r\n"), "{addr} did not take the items");
}

/// `display` lists the same classes, pages, counts and evictions (the age column aside).
#[test]
fn memcached_tool_display_and_dump() {
    let memcached = Memcached::start(&["-m", "64"]);
    let ours = Embedded::start(ServerConfig::default());
    let mut displays = Vec::new();
    let mut dumps = Vec::new();
    for addr in [memcached.addr(), ours.addr()] {
        fill(addr);
        let display: Vec<String> = tool(addr, "display")
            .lines()
            .map(|l| {
                let mut cols: Vec<&str> = l.split_whitespace().collect();
                if cols.len() == 9 && cols[2].ends_with('s') {
                    cols[2] = "<age>";
                }
                cols.join(" ")
            })
            .collect();
        displays.push(display);
        let mut dump: Vec<String> = tool(addr, "dump")
            .split("\r\n")
            .map(str::to_string)
            .collect::<Vec<_>>()
            .chunks(2)
            .map(|record| record.join("\\r\\n"))
            .collect();
        dump.sort();
        dumps.push(dump);
    }
    assert!(displays[0].len() > 10, "{:?}", displays[0]);
    assert_eq!(displays[1], displays[0]);
    assert_eq!(dumps[0].len(), 45, "{:?}", &dumps[0][..3]);
    assert!(dumps[0].iter().any(|r| r.starts_with("add odd%key 7 0 3")));
    assert!(dumps[1] == dumps[0], "the dumps differ");
}

/// `stats` and `settings` print what memcached prints for the facts both servers share.
#[test]
fn memcached_tool_stats_and_settings() {
    let memcached = Memcached::start(&["-m", "64"]);
    let ours = Embedded::start(ServerConfig::default());
    let field = |text: &str, name: &str| -> Option<String> {
        text.lines().find_map(|l| {
            let mut cols = l.split_whitespace();
            (cols.next() == Some(name)).then(|| cols.collect::<Vec<_>>().join(" "))
        })
    };
    let mut reports = Vec::new();
    for addr in [memcached.addr(), ours.addr()] {
        fill(addr);
        reports.push((tool(addr, "stats"), tool(addr, "settings")));
    }
    let (theirs, mine) = (&reports[0], &reports[1]);
    for name in [
        "curr_items",
        "total_items",
        "bytes",
        "limit_maxbytes",
        "cmd_set",
        "evictions",
    ] {
        assert!(field(&theirs.0, name).is_some(), "memcached lacks {name}");
        assert_eq!(field(&mine.0, name), field(&theirs.0, name), "stats {name}");
    }
    for name in [
        "maxbytes",
        "maxconns",
        "item_size_max",
        "growth_factor",
        "chunk_size",
        "slab_chunk_max",
        "evictions",
        "cas_enabled",
        "binding_protocol",
        "stat_key_prefix",
        "shutdown_command",
        "temporary_ttl",
        "umask",
    ] {
        assert!(field(&theirs.1, name).is_some(), "memcached lacks {name}");
        assert_eq!(
            field(&mine.1, name),
            field(&theirs.1, name),
            "settings {name}"
        );
    }
}

/// `stats conns` lists the listener, then each connection with the same fields (ids, ports
/// and times renumbered: they are the servers' own).
#[test]
fn stats_conns_has_memcacheds_shape() {
    let memcached = Memcached::start(&[]);
    let ours = Embedded::start(ServerConfig::default());
    let mut shapes = Vec::new();
    for addr in [memcached.addr(), ours.addr()] {
        let idle = std::net::TcpStream::connect(addr).expect("connect");
        std::thread::sleep(Duration::from_millis(100));
        let answer = exchange(addr, b"stats conns\r\n", b"END\r\n");
        drop(idle);
        let mut ids = Vec::new();
        let shape: Vec<String> = String::from_utf8_lossy(&answer)
            .lines()
            .map(|line| {
                let toks: Vec<&str> = line.split(' ').collect();
                match toks.as_slice() {
                    ["STAT", name, value] => {
                        let (id, field) = name.split_once(':').unwrap_or(("?", name));
                        if !ids.contains(&id) {
                            ids.push(id);
                        }
                        let n = ids.iter().position(|i| *i == id).unwrap_or(0);
                        let value = match field {
                            "addr" | "listen_addr" => value.rsplit_once(':').map_or("", |v| v.0),
                            "secs_since_last_cmd" => "<secs>",
                            _ => value,
                        };
                        format!("STAT {n}:{field} {value}")
                    }
                    _ => line.to_string(),
                }
            })
            .collect();
        // memcached numbers connections by file descriptor, which it reuses: compare each
        // connection's fields, in any order.
        let mut by_conn: Vec<Vec<String>> = Vec::new();
        for line in shape {
            let id = line.split(':').next().unwrap_or_default().to_string();
            let fields = line
                .split_once(':')
                .map_or(line.clone(), |(_, f)| f.to_string());
            match by_conn.last_mut() {
                Some(group) if group.first().is_some_and(|g| g.starts_with(&id)) => {
                    group.push(format!("{id}:{fields}"))
                }
                _ => by_conn.push(vec![format!("{id}:{fields}")]),
            }
        }
        let mut groups: Vec<String> = by_conn
            .iter()
            .map(|g| {
                g.iter()
                    .map(|l| l.split_once(':').map_or(l.clone(), |(_, f)| f.to_string()))
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect();
        groups.sort();
        shapes.push(groups);
    }
    assert_eq!(shapes[1], shapes[0]);
}

/// A child process killed on drop.
struct Process(std::process::Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits up to 10 s for a server on `addr`.
fn wait_for(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {addr}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether the process exits within 5 s.
fn exits(process: &mut Process) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = process.0.try_wait() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// `memshark serve` takes the command line that starts memcached, reports it in `stats
/// settings` as memcached does, and with `-A` stops on `shutdown`.
#[test]
fn serve_takes_memcacheds_command_line() {
    let flags = [
        "-l",
        "127.0.0.1",
        "-m",
        "32",
        "-c",
        "100",
        "-I",
        "2m",
        "-t",
        "2",
        "-U",
        "0",
        "-A",
        "-v",
        "-n",
        "64",
        "-f",
        "1.5",
        "-o",
        "modern,idle_timeout=30",
    ];
    let port = support::free_port();
    let mut ours = Process(
        Command::new(env!("CARGO_BIN_EXE_memshark"))
            .args(["serve", "-p", &port.to_string()])
            .args(flags)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("memshark serve"),
    );
    let ours_addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_for(ours_addr);
    let memcached = Memcached::start(&flags);
    let settings = |addr| {
        let text = String::from_utf8_lossy(&exchange(addr, b"stats settings\r\n", b"END\r\n"))
            .into_owned();
        text.lines()
            .filter(|l| {
                [
                    "maxbytes ",
                    "maxconns ",
                    "udpport ",
                    "inter ",
                    "verbosity ",
                    "shutdown_command ",
                    "growth_factor ",
                    "chunk_size ",
                    "num_threads ",
                    "item_size_max ",
                    "slab_chunk_max ",
                    "idle_timeout ",
                ]
                .iter()
                .any(|name| l.starts_with(&format!("STAT {name}")))
            })
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let theirs = settings(memcached.addr());
    assert_eq!(theirs.len(), 12, "{theirs:?}");
    assert_eq!(settings(ours_addr), theirs);
    // The same slab classes from -n 64 -f 1.5: a 100-byte item lands in the same class.
    let set = format!("set k 0 0 100\r\n{}\r\n", "x".repeat(100));
    let class = |addr| {
        let _ = exchange(addr, set.as_bytes(), b"STORED\r\n");
        let dump = exchange(addr, b"lru_crawler metadump all\r\n", b"END\r\n");
        let text = String::from_utf8_lossy(&dump).into_owned();
        text.split(' ')
            .find(|t| t.starts_with("cls="))
            .map(str::to_string)
    };
    let theirs = class(memcached.addr());
    assert!(theirs.is_some());
    assert_eq!(class(ours_addr), theirs);
    // -A: `shutdown` stops the server.
    let _ = exchange(ours_addr, b"shutdown\r\n", b"");
    assert!(
        exits(&mut ours),
        "memshark serve -A did not stop on shutdown"
    );
}

/// What a `watch` connection receives while another connection runs `script`, with the
/// time, log id and connection number masked.
fn watched(addr: SocketAddr, filter: &str, script: &[u8]) -> Vec<String> {
    use std::io::{Read, Write};
    let mut watcher = std::net::TcpStream::connect(addr).expect("connect");
    watcher
        .set_read_timeout(Some(Duration::from_millis(300)))
        .ok();
    watcher
        .write_all(format!("watch {filter}\r\n").as_bytes())
        .expect("write");
    let mut ok = [0u8; 4];
    watcher.read_exact(&mut ok).expect("OK");
    assert_eq!(&ok, b"OK\r\n", "{addr}");
    let _ = exchange(addr, script, b"MN\r\n");
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        match watcher.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) if !out.is_empty() => break,
            Err(_) => {}
        }
    }
    String::from_utf8_lossy(&out)
        .lines()
        .map(|l| {
            l.split(' ')
                .map(|t| match t.split_once('=') {
                    Some((f @ ("ts" | "gid" | "cfd"), _)) => format!("{f}=<masked>"),
                    _ => t.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// `watch fetchers mutations` streams the same lines as memcached's logger for the same
/// requests; unknown words are refused.
#[test]
fn watch_streams_memcacheds_log_lines() {
    let memcached = Memcached::start(&[]);
    let ours = Embedded::start(ServerConfig::default());
    let script = b"set wk 5 100 2\r\nhi\r\nget wk nokey\r\ngets wk\r\ndelete wk\r\nincr wk 1\r\n\
        add a1 0 0 1\r\nx\r\nappend a1 0 0 1\r\ny\r\ntouch a1 0\r\nmg a1 v\r\nms a2 1\r\nz\r\n\
        md a2\r\nma a3 N0\r\ncas a1 0 0 1 999\r\nz\r\nreplace nope 0 0 1\r\nz\r\nmn\r\n";
    for filter in ["fetchers mutations", "mutations", ""] {
        let theirs = watched(memcached.addr(), filter, script);
        assert!(
            !theirs.is_empty(),
            "memcached logged nothing for {filter:?}"
        );
        assert_eq!(
            watched(ours.addr(), filter, script),
            theirs,
            "watch {filter}"
        );
    }
    for addr in [memcached.addr(), ours.addr()] {
        assert_eq!(
            exchange(addr, b"watch deletions\r\n", b"\r\n"),
            b"ERROR\r\n"
        );
    }
}
