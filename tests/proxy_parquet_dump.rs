//! The proxy's `--dump x.parquet`: rolling files, each closed cleanly. A proxy stopped with
//! SIGTERM leaves only complete files; one killed outright (SIGKILL) mid-dump leaves complete
//! files under final names and, at most, a hidden `.partial` file — never an incomplete file
//! under a final name. "Complete" is checked by the Parquet footer's magic (`PAR1` at both
//! ends) and, when DuckDB is installed (always under CI), by DuckDB reading every file.

mod support;

use support::free_addr;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts a headless proxy dumping to `dir/x.parquet`, rolling at 16 KiB.
fn proxy(backend: SocketAddr, dir: &Path) -> (Child, SocketAddr) {
    proxy_rolling(backend, dir, &["--dump-roll-size", "16k"])
}

/// Starts a headless proxy dumping to `dir/x.parquet` with these roll flags.
fn proxy_rolling(backend: SocketAddr, dir: &Path, roll: &[&str]) -> (Child, SocketAddr) {
    let listen = free_addr();
    let child = Command::new(env!("CARGO_BIN_EXE_memshark"))
        .args(["proxy", "--headless", "--listen", &listen.to_string()])
        .args(["--backend", &backend.to_string()])
        .arg("--dump")
        .arg(dir.join("x.parquet"))
        .args(roll)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("memshark proxy starts");
    support::wait_listening(listen);
    (child, listen)
}

/// Sets and gets through the proxy until `files` complete Parquet files exist.
fn traffic_until(addr: SocketAddr, dir: &Path, files: usize) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let mut r = BufReader::new(s.try_clone().expect("clone"));
    let start = Instant::now();
    let mut line = String::new();
    let mut i = 0u64;
    while complete(dir).len() < files {
        assert!(start.elapsed() < Duration::from_secs(60), "files roll");
        for _ in 0..200 {
            i += 1;
            write!(s, "set key:{i} 0 0 5\r\nhello\r\nget key:{}\r\n", i / 2).expect("send");
        }
        s.flush().expect("flush");
        // Read the answers: STORED, then VALUE…END or END.
        let mut ends = 0;
        while ends < 200 {
            line.clear();
            r.read_line(&mut line).expect("answer");
            if line == "END\r\n" {
                ends += 1;
            }
        }
    }
}

/// The files under final names (`x-….parquet`), each checked for its footer.
fn complete(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let p = e.expect("entry").path();
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with("x-") && name.ends_with(".parquet") {
            out.push(p);
        }
    }
    out
}

fn assert_complete(files: &[PathBuf]) {
    for f in files {
        let bytes = std::fs::read(f).expect("read");
        assert!(
            bytes.len() > 8 && bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"),
            "{} is a complete Parquet file",
            f.display()
        );
    }
    let duckdb = Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !duckdb {
        assert!(std::env::var_os("CI").is_none(), "CI must have duckdb");
        eprintln!("SKIPPED the DuckDB read: python3 with duckdb is not installed");
        return;
    }
    for f in files {
        let out = Command::new("python3")
            .arg("-c")
            .arg("import duckdb, sys; print(duckdb.sql(f\"select count(*) from '{sys.argv[1]}'\").fetchall()[0][0])")
            .arg(f)
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "DuckDB reads {}: {}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let rows: u64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a count");
        assert!(rows > 0, "{} has rows", f.display());
    }
}

fn others(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !(n.starts_with("x-") && n.ends_with(".parquet")))
        .collect()
}

#[test]
fn a_quiet_proxy_closes_its_file_when_it_is_due() {
    let server = support::Embedded::start(memshark::server::ServerConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    // Due after 1.2 s; after one exchange nothing more arrives.
    let (mut child, addr) =
        proxy_rolling(server.addr(), dir.path(), &["--dump-roll-minutes", "0.02"]);
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(b"set quiet 0 0 2\r\nhi\r\nget quiet\r\n")
        .expect("send");
    let mut r = BufReader::new(s.try_clone().expect("clone"));
    let mut line = String::new();
    while line != "END\r\n" {
        line.clear();
        r.read_line(&mut line).expect("answer");
    }
    let start = Instant::now();
    while complete(dir.path()).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the file is closed on time without more traffic: {:?}",
            others(dir.path())
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_complete(&complete(dir.path()));
    drop(s);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn sigterm_closes_every_file_cleanly() {
    let server = support::Embedded::start(memshark::server::ServerConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, addr) = proxy(server.addr(), dir.path());
    traffic_until(addr, dir.path(), 2);
    let before = complete(dir.path()).len();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the proxy exits on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let files = complete(dir.path());
    // The file open at SIGTERM was closed too.
    assert!(
        files.len() > before,
        "{} files, {before} before SIGTERM",
        files.len()
    );
    assert_eq!(
        others(dir.path()),
        Vec::<String>::new(),
        "no partial file left"
    );
    assert_complete(&files);
}

#[test]
fn sigkill_mid_dump_leaves_only_complete_files_under_final_names() {
    let server = support::Embedded::start(memshark::server::ServerConfig::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, addr) = proxy(server.addr(), dir.path());
    traffic_until(addr, dir.path(), 2);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let files = complete(dir.path());
    assert!(files.len() >= 2);
    for n in others(dir.path()) {
        assert!(
            n.starts_with(".x-") && n.ends_with(".parquet.partial"),
            "unexpected {n}"
        );
    }
    assert_complete(&files);
}
