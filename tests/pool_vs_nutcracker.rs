//! Key placement proved against twemproxy itself: Debian's `nutcracker` fronts four real
//! memcached instances with one pool per hash × distribution (random excluded: it is random),
//! each pool twice — equal weights, no names, no hash tag; and unequal weights, named servers and
//! a `{}` hash tag. 10 000 keys go through each pool (one key in ten carries bytes ≥ 0x80, where
//! twemproxy's signed `char` shows); then each memcached is asked directly which keys it holds,
//! and memshark's `Continuum::server_for`, built from the same YAML by `load_config`, must name
//! that server for every key.
//!
//! A second test ejects a stopped memcached (auto_eject_hosts) and compares again over the
//! servers left.
//!
//! Skips with a loud message when `nutcracker` is not installed (CI installs it).

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use memshark::proxy::pool::{load_config, Continuum, Distribution, HashKind, PoolConfig};
use support::Memcached;

const KEYS_PER_POOL: usize = 10_000;
const SERVERS: usize = 4;
const WEIGHTS: [u32; SERVERS] = [1, 2, 3, 5];

fn find_nutcracker() -> Option<PathBuf> {
    let found = find_nutcracker_binary();
    if found.is_none() {
        eprintln!(
            "\n\n*** SKIPPED pool_vs_nutcracker: `nutcracker` is not installed \
             (apt-get install nutcracker); memshark's placement is NOT checked against twemproxy ***\n"
        );
    }
    found
}

fn find_nutcracker_binary() -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("nutcracker"))
            .find(|p| p.is_file())
    });
    from_path.or_else(|| {
        let sbin = Path::new("/usr/sbin/nutcracker");
        sbin.is_file().then(|| sbin.to_path_buf())
    })
}

/// `n` distinct loopback ports free now (all held at once while choosing).
fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port"))
        .collect();
    held.iter()
        .map(|l| l.local_addr().expect("bound").port())
        .collect()
}

/// nutcracker, killed on drop.
struct Nutcracker(Child);

impl Nutcracker {
    /// Starts nutcracker on `yaml`, its stats on a free loopback port, its log in `dir`.
    fn start(binary: &Path, dir: &Path, yaml: &str, stats_port: u16) -> Nutcracker {
        let conf_path = dir.join("nutcracker.yml");
        std::fs::write(&conf_path, yaml).unwrap();
        Nutcracker(
            Command::new(binary)
                .arg("-c")
                .arg(&conf_path)
                .args(["-a", "127.0.0.1", "-s", &stats_port.to_string()])
                .arg("-o")
                .arg(dir.join("nutcracker.log"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start nutcracker"),
        )
    }
}

impl Drop for Nutcracker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The keys of pool `p`: plain, hash-tagged, and some with bytes ≥ 0x80.
fn keys(p: usize) -> Vec<Vec<u8>> {
    (0..KEYS_PER_POOL)
        .map(|i| match i % 10 {
            0 => format!("p{p}:ключ:{i}").into_bytes(),
            1 => format!("p{p}:user:{{{}}}:{i}", i / 7).into_bytes(),
            2 => format!("p{p}:{{}}:{i}").into_bytes(),
            _ => format!("p{p}:key:{i}").into_bytes(),
        })
        .collect()
}

fn config(ports: &[u16], listens: &[u16]) -> String {
    let mut yaml = String::from("# written by tests/pool_vs_nutcracker.rs\n");
    let mut n = 0;
    for dist in [Distribution::Ketama, Distribution::Modula] {
        for hash in HashKind::ALL {
            for variant in 0..2 {
                yaml.push_str(&format!(
                    "pool_{n}_{hash}_{dist}_{variant}:\n  listen: 127.0.0.1:{}\n  hash: {hash}\n  distribution: {dist}\n  timeout: 5000\n",
                    listens[n]
                ));
                if variant == 1 {
                    yaml.push_str("  hash_tag: \"{}\"\n");
                }
                yaml.push_str("  servers:\n");
                for (i, port) in ports.iter().enumerate() {
                    if variant == 0 {
                        yaml.push_str(&format!("   - 127.0.0.1:{port}:1\n"));
                    } else {
                        yaml.push_str(&format!("   - 127.0.0.1:{port}:{} cache-{i}\n", WEIGHTS[i]));
                    }
                }
                n += 1;
            }
        }
    }
    yaml
}

fn connect(addr: SocketAddr) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(addr) {
            Ok(s) => {
                s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                return s;
            }
            Err(e) => {
                assert!(Instant::now() < deadline, "cannot connect to {addr}: {e}");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Stores every key through nutcracker (pipelined on one connection) and checks each STORED.
fn store(addr: SocketAddr, keys: &[Vec<u8>]) {
    let stream = connect(addr);
    let mut writer = stream.try_clone().unwrap();
    let mut out = Vec::with_capacity(keys.len() * 40);
    for key in keys {
        out.extend_from_slice(b"set ");
        out.extend_from_slice(key);
        out.extend_from_slice(b" 0 0 1\r\nx\r\n");
    }
    let sender = std::thread::spawn(move || writer.write_all(&out));
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    for key in keys {
        line.clear();
        reader.read_until(b'\n', &mut line).unwrap();
        assert_eq!(
            line,
            b"STORED\r\n",
            "nutcracker at {addr} on {:?}",
            String::from_utf8_lossy(key)
        );
    }
    sender.join().unwrap().unwrap();
}

/// Which of `keys` the memcached at `addr` holds (multi-key gets, pipelined).
fn held(addr: SocketAddr, keys: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let stream = connect(addr);
    let mut writer = stream.try_clone().unwrap();
    let batches: Vec<Vec<u8>> = keys
        .chunks(100)
        .map(|chunk| {
            let mut cmd = b"get".to_vec();
            for key in chunk {
                cmd.push(b' ');
                cmd.extend_from_slice(key);
            }
            cmd.extend_from_slice(b"\r\n");
            cmd
        })
        .collect();
    let n = batches.len();
    let sender = std::thread::spawn(move || writer.write_all(&batches.concat()));
    let mut reader = BufReader::new(stream);
    let mut found = Vec::new();
    let mut line = Vec::new();
    let mut ends = 0;
    while ends < n {
        line.clear();
        reader.read_until(b'\n', &mut line).unwrap();
        if line == b"END\r\n" {
            ends += 1;
            continue;
        }
        let text = line.strip_suffix(b"\r\n").expect("a whole line");
        let rest = text
            .strip_prefix(b"VALUE ")
            .unwrap_or_else(|| panic!("unexpected answer {:?}", String::from_utf8_lossy(text)));
        let mut fields = rest.rsplitn(3, |&b| b == b' ');
        let len: usize = std::str::from_utf8(fields.next().unwrap())
            .unwrap()
            .parse()
            .unwrap();
        let _flags = fields.next();
        found.push(fields.next().unwrap().to_vec());
        let mut data = vec![0; len + 2];
        reader.read_exact(&mut data).unwrap();
    }
    sender.join().unwrap().unwrap();
    found
}

#[test]
fn placement_matches_nutcracker_for_every_hash_and_distribution() {
    let Some(nutcracker) = find_nutcracker() else {
        return;
    };
    let started = Instant::now();
    let caches: Vec<Memcached> = (0..SERVERS)
        .map(|_| Memcached::start(&["-m", "256"]))
        .collect();
    let ports: Vec<u16> = caches.iter().map(|m| m.addr().port()).collect();
    let npools = 2 * HashKind::ALL.len() * 2;
    let listens = free_ports(npools + 1);
    let yaml = config(&ports, &listens);

    let dir = tempfile::tempdir().unwrap();
    let _nc = Nutcracker::start(&nutcracker, dir.path(), &yaml, listens[npools]);

    let pools: Vec<PoolConfig> = load_config(&yaml).expect("memshark reads the same YAML");
    assert_eq!(pools.len(), npools);
    let by_port: HashMap<u16, usize> = ports.iter().enumerate().map(|(i, &p)| (p, i)).collect();

    let all_keys: Vec<Vec<Vec<u8>>> = (0..npools).map(keys).collect();
    for (p, pool) in pools.iter().enumerate() {
        store(pool.listen, &all_keys[p]);
    }
    let addrs: Vec<SocketAddr> = caches.iter().map(|m| m.addr()).collect();
    let failures = compare(&pools, &all_keys, &addrs, &by_port, &[true; SERVERS]);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    eprintln!(
        "{} pools × {KEYS_PER_POOL} keys placed as nutcracker places them, in {:?}",
        npools,
        started.elapsed()
    );
}

/// Asks every live memcached which keys it holds and compares with memshark's placement over
/// the servers `alive`; one line per pool that differs.
fn compare(
    pools: &[PoolConfig],
    all_keys: &[Vec<Vec<u8>>],
    caches: &[SocketAddr],
    by_port: &HashMap<u16, usize>,
    alive: &[bool],
) -> Vec<String> {
    let flat: Vec<Vec<u8>> = all_keys.concat();
    let mut holder: HashMap<Vec<u8>, usize> = HashMap::with_capacity(flat.len());
    for addr in caches {
        let i = by_port[&addr.port()];
        for key in held(*addr, &flat) {
            if let Some(other) = holder.insert(key.clone(), i) {
                panic!(
                    "{:?} is on memcached {other} and {i}",
                    String::from_utf8_lossy(&key)
                );
            }
        }
    }

    let mut failures = Vec::new();
    for (p, pool) in pools.iter().enumerate() {
        let continuum = Continuum::build(pool, alive);
        let mut wrong = 0;
        let mut example = None;
        for key in &all_keys[p] {
            let actual = *holder.get(key).unwrap_or_else(|| {
                panic!(
                    "{:?} stored but on no memcached",
                    String::from_utf8_lossy(key)
                )
            });
            let ours = continuum.server_for(key).expect("a live server");
            let ours = by_port[&pool.servers[ours].port()];
            if ours != actual {
                wrong += 1;
                example.get_or_insert((String::from_utf8_lossy(key).into_owned(), ours, actual));
            }
        }
        if wrong > 0 {
            failures.push(format!(
                "{} ({} {}): {wrong} of {KEYS_PER_POOL} keys placed differently, e.g. {:?} (memshark, nutcracker)",
                pool.name, pool.hash, pool.distribution, example
            ));
        }
    }
    failures
}

/// Ejection: with `auto_eject_hosts` and a failure limit of 1, nutcracker takes a dead memcached
/// out of the continuum after one failed request; the keys stored afterwards must land where
/// `Continuum::build` over the live servers puts them.
#[test]
fn placement_after_ejection_matches_nutcracker() {
    let Some(nutcracker) = find_nutcracker() else {
        return;
    };
    let mut caches: Vec<Memcached> = (0..SERVERS)
        .map(|_| Memcached::start(&["-m", "64"]))
        .collect();
    let ports: Vec<u16> = caches.iter().map(|m| m.addr().port()).collect();
    let by_port: HashMap<u16, usize> = ports.iter().enumerate().map(|(i, &p)| (p, i)).collect();
    let mut yaml = String::new();
    let combos = [
        (HashKind::Fnv1a64, Distribution::Ketama),
        (HashKind::Md5, Distribution::Ketama),
        (HashKind::Murmur, Distribution::Modula),
        (HashKind::Crc32a, Distribution::Modula),
    ];
    let listens = free_ports(combos.len() + 1);
    for (n, (hash, dist)) in combos.iter().enumerate() {
        yaml.push_str(&format!(
            "eject_{n}:\n  listen: 127.0.0.1:{}\n  hash: {hash}\n  distribution: {dist}\n  auto_eject_hosts: true\n  server_failure_limit: 1\n  server_retry_timeout: 600000\n  timeout: 2000\n  servers:\n",
            listens[n]
        ));
        for (i, port) in ports.iter().enumerate() {
            yaml.push_str(&format!("   - 127.0.0.1:{port}:{}\n", WEIGHTS[i]));
        }
    }
    let pools = load_config(&yaml).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let _nc = Nutcracker::start(&nutcracker, dir.path(), &yaml, listens[combos.len()]);

    // Stop memcached 1, then make each pool fail one request on it.
    const DEAD: usize = 1;
    drop(caches.remove(DEAD));
    let all_alive = [true; SERVERS];
    for pool in &pools {
        let full = Continuum::build(pool, &all_alive);
        let key = (0..)
            .map(|i| format!("probe:{i}"))
            .find(|k| by_port[&pool.servers[full.server_for(k.as_bytes()).unwrap()].port()] == DEAD)
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut s = connect(pool.listen);
            s.write_all(format!("get {key}\r\n").as_bytes()).unwrap();
            let mut reader = BufReader::new(s);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            if line == "END\r\n" {
                break; // rerouted: the dead server is out
            }
            assert!(
                Instant::now() < deadline,
                "{}: nutcracker never ejected the dead server (last answer {line:?})",
                pool.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    let all_keys: Vec<Vec<Vec<u8>>> = (0..pools.len()).map(keys).collect();
    for (p, pool) in pools.iter().enumerate() {
        store(pool.listen, &all_keys[p]);
    }
    let addrs: Vec<SocketAddr> = caches.iter().map(|m| m.addr()).collect();
    let mut alive = [true; SERVERS];
    alive[DEAD] = false;
    let failures = compare(&pools, &all_keys, &addrs, &by_port, &alive);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The README's example configuration is read by both unchanged, and memshark accepts and
/// refuses the same configurations nutcracker does (`nutcracker -t`), save the documented
/// differences (redis pools, Unix sockets).
#[test]
fn configuration_verdicts_match_nutcracker() {
    let Some(nutcracker) = find_nutcracker() else {
        return;
    };
    let readme = include_str!("../README.md");
    let at = readme
        .find("works unchanged in nutcracker and in memshark:")
        .expect("the README's example");
    let start = readme[at..].find("```yaml\n").expect("a yaml block") + at + "```yaml\n".len();
    let end = readme[start..].find("```").expect("its end") + start;
    let example = &readme[start..end];

    let base = "p:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:11211:1 a\n   - 127.0.0.1:11212:1 b\n";
    let cases: Vec<(String, bool)> = vec![
        (example.to_string(), true),
        (base.to_string(), true),
        (
            format!("{base}  client_connections: 10\n  tcpkeepalive: true\n"),
            true,
        ),
        (format!("{base}  redis: false\n  redis_db: 0\n"), true),
        (format!("{base}  colour: blue\n"), false),
        (format!("{base}  hash: sha1\n"), false),
        (format!("{base}  distribution: vnode\n"), false),
        (format!("{base}  hash_tag: \"{{}}x\"\n"), false),
        (format!("{base}  timeout: -5\n"), false),
        (format!("{base}  preconnect: yes\n"), false),
        (format!("{base}  server_connections: 0\n"), false),
        (format!("{base}  redis_auth: secret\n"), false),
        (format!("{base}  hash: md5\n  hash: crc16\n"), false),
        (format!("{base}   - 127.0.0.1:11213:1 a\n"), false),
        (format!("{base}   - 127.0.0.1:11213:0 c\n"), false),
        (format!("{base}   - 127.0.0.1:11213 c\n"), false),
        (
            format!("{base}q:\n  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:11211:1\n"),
            false,
        ),
        (
            "p:\n  servers:\n   - 127.0.0.1:11211:1\n".to_string(),
            false,
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("check.yml");
    let mut disagreements = Vec::new();
    for (text, valid) in &cases {
        std::fs::write(&path, text).unwrap();
        let theirs = Command::new(&nutcracker)
            .arg("-t")
            .arg("-c")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run nutcracker -t")
            .success();
        let ours = load_config(text);
        if theirs != *valid || ours.is_ok() != *valid {
            disagreements.push(format!(
                "expected {}: nutcracker {theirs}, memshark {ours:?}\n{text}",
                if *valid { "valid" } else { "invalid" }
            ));
        }
    }
    assert!(disagreements.is_empty(), "\n{}", disagreements.join("\n"));
}
