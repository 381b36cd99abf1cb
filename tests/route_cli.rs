//! `memshark route`: one line per key, from a twemproxy configuration or from flags, keys from
//! the arguments or stdin; errors name the configuration line.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use memshark::proxy::pool::{load_config, Continuum, PoolConfig};

const CONFIG: &str = "\
alpha:
  listen: 127.0.0.1:22121
  hash: fnv1a_64
  distribution: ketama
  servers:
   - 10.0.0.1:11211:1
   - 10.0.0.2:11211:1
   - 10.0.0.3:11211:1

beta:
  listen: 127.0.0.1:22122
  hash: murmur
  hash_tag: \"{}\"
  distribution: modula
  servers:
   - 10.0.1.1:11212:1 server1
   - 10.0.1.2:11212:2 server2
   - 10.0.1.3:11212:3 server3
";

fn memshark(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_memshark"))
        .arg("route")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run memshark");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn config_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

/// What the library says, as `route` prints it.
fn expected(pool: &PoolConfig, keys: &[&str]) -> String {
    let c = Continuum::build(pool, &vec![true; pool.servers.len()]);
    keys.iter()
        .map(|k| {
            let s = &pool.servers[c.server_for(k.as_bytes()).unwrap()];
            match &s.name {
                Some(n) => format!("{k}\t{}\t{n}\n", s.addr),
                None => format!("{k}\t{}\n", s.addr),
            }
        })
        .collect()
}

#[test]
fn routes_keys_from_a_twemproxy_config() {
    let file = config_file(CONFIG);
    let path = file.path().to_str().unwrap();
    let pools = load_config(CONFIG).unwrap();
    let keys = ["user:1", "user:2", "session:{42}:a", "session:{42}:b", "x"];

    let mut args = vec!["--config", path, "--pool", "beta"];
    args.extend(keys);
    let out = memshark(&args, b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, expected(&pools[1], &keys));
    // Named servers print their name; the two keys tagged {42} go to the same server.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), keys.len());
    assert!(lines.iter().all(|l| l.split('\t').count() == 3), "{stdout}");
    assert_eq!(
        lines[2].split('\t').nth(1),
        lines[3].split('\t').nth(1),
        "{stdout}"
    );

    // Keys from stdin, CRLF or LF, blank lines skipped.
    let out = memshark(
        &["--config", path, "--pool", "alpha"],
        b"user:1\r\nuser:2\n\nx\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, expected(&pools[0], &["user:1", "user:2", "x"]));
    assert!(
        stdout.lines().all(|l| l.split('\t').count() == 2),
        "{stdout}"
    );
}

#[test]
fn routes_keys_from_flags() {
    // One server takes every key.
    let out = memshark(&["--pool", "127.0.0.1:11311", "a", "b", "c"], b"");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "a\t127.0.0.1:11311\nb\t127.0.0.1:11311\nc\t127.0.0.1:11311\n"
    );
    // --backend repeated, with names, hash, distribution and a hash tag: what the library says.
    let out = memshark(
        &[
            "--backend",
            "10.0.0.1:11211:1 a",
            "--backend",
            "10.0.0.2:11211:2 b",
            "--hash",
            "crc32a",
            "--distribution",
            "modula",
            "--hash-tag",
            "{}",
            "k{1}",
            "j{1}",
            "k2",
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pool = PoolConfig {
        hash: "crc32a".parse().unwrap(),
        distribution: "modula".parse().unwrap(),
        hash_tag: Some(*b"{}"),
        ..PoolConfig::from_servers(
            "127.0.0.1:22121".parse().unwrap(),
            PoolConfig::parse_servers("10.0.0.1:11211:1 a,10.0.0.2:11211:2 b").unwrap(),
        )
    };
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, expected(&pool, &["k{1}", "j{1}", "k2"]));
}

#[test]
fn errors_are_clear() {
    let file = config_file(CONFIG);
    let path = file.path().to_str().unwrap();
    let out = memshark(&["--config", path, "k"], b"");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("several pools") && err.contains("alpha, beta"),
        "{err}"
    );

    let out = memshark(&["--config", path, "--pool", "gamma", "k"], b"");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no pool \"gamma\""));

    let bad = config_file(&CONFIG.replace("  hash: murmur\n", "  hash: murmur\n  colour: red\n"));
    let out = memshark(&["--config", bad.path().to_str().unwrap(), "k"], b"");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 13") && err.contains("colour"), "{err}");

    let out = memshark(&["--pool", "10.0.0.1", "k"], b"");
    assert!(!out.status.success());
    let out = memshark(&["k"], b"");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--config FILE"));
    let out = memshark(&["--pool", "a:1", "--hash-tag", "{", "k"], b"");
    assert!(!out.status.success());
}
