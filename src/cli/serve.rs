//! `memshark serve`: the embedded reference server. It takes memcached's own flags too
//! (`-p -l -m -c -I -t -U -A -v -n -f -o -u`), so it drops into scripts and service files
//! written for memcached.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use memshark::server::storage::slabs::SlabConfig;
use memshark::server::{SaslCredentials, Server, ServerConfig, StoreConfig};

/// Run the embedded memcached-compatible server (binary, text and meta protocols).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:11211")]
    listen: SocketAddr,
    /// TCP port (memcached -p); overrides the port of --listen.
    #[arg(short = 'p', long)]
    port: Option<u16>,
    /// Interface to listen on (memcached -l): an address, or address:port.
    #[arg(short = 'l', long, value_parser = parse_interface)]
    interface: Option<(IpAddr, Option<u16>)>,
    /// Memory for items, in bytes (suffixes k, m, g allowed).
    #[arg(long, default_value = "64m", value_parser = parse_size)]
    memory: usize,
    /// Memory for items in megabytes (memcached -m); overrides --memory.
    #[arg(short = 'm', long)]
    memory_mb: Option<usize>,
    /// Largest item, as memcached counts it (key, value and its 56-byte header; memcached -I;
    /// suffixes allowed).
    #[arg(short = 'I', long, default_value = "1m", value_parser = parse_size)]
    max_item_size: usize,
    /// Most simultaneous connections (memcached -c).
    #[arg(short = 'c', long, default_value_t = 1024)]
    max_connections: usize,
    /// Worker threads (memcached -t): reported as given in `stats`, but memshark runs at
    /// most one worker per core (tokio's workers steal work from each other, so more workers
    /// than cores only add switching).
    #[arg(short = 't', long, default_value_t = 4)]
    threads: usize,
    /// UDP port (memcached -U); 0, the default, turns UDP off.
    #[arg(short = 'U', long, default_value_t = 0)]
    udp_port: u16,
    /// Let the text command `shutdown` stop the server (memcached -A).
    #[arg(short = 'A', long)]
    enable_shutdown: bool,
    /// Verbosity (memcached -v, -vv).
    #[arg(short = 'v', action = clap::ArgAction::Count)]
    verbose: u8,
    /// Room for key and value in the smallest slab chunk (memcached -n).
    #[arg(short = 'n', long, default_value_t = 48)]
    slab_min_size: usize,
    /// Growth factor between slab classes (memcached -f).
    #[arg(short = 'f', long, default_value_t = 1.25)]
    slab_growth_factor: f64,
    /// memcached's -o options, comma-separated: idle_timeout=N is used; the rest of
    /// memcached's tuning options are accepted and have no effect.
    #[arg(short = 'o', long, value_delimiter = ',')]
    extended: Vec<String>,
    /// User to run as (memcached -u): accepted for compatibility; memshark does not change
    /// user.
    #[arg(short = 'u', long)]
    user: Option<String>,
    /// Close connections idle for this many seconds (0: never).
    #[arg(long, default_value_t = 0)]
    idle_timeout: u64,
    /// Require SASL PLAIN authentication with this user (binary protocol).
    #[arg(long, requires = "sasl_password")]
    sasl_user: Option<String>,
    /// The password for --sasl-user.
    #[arg(long, requires = "sasl_user")]
    sasl_password: Option<String>,
}

/// Parses `1024`, `64k`, `64m`, `1g` (powers of 1024; `b` and `ib` suffixes accepted).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let lower = s.trim().to_ascii_lowercase();
    let t = lower.trim_end_matches('b').trim_end_matches('i');
    let (digits, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1usize << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("not a size: {s:?} (examples: 1048576, 64m, 1g)"))
}

/// Parses memcached's `-l`: `127.0.0.1`, `::1`, `127.0.0.1:11311`, `[::1]:11311`.
fn parse_interface(s: &str) -> Result<(IpAddr, Option<u16>), String> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok((ip, None));
    }
    s.parse::<SocketAddr>()
        .map(|a| (a.ip(), Some(a.port())))
        .map_err(|_| format!("not an interface: {s:?} (examples: 127.0.0.1, 0.0.0.0:11211)"))
}

/// memcached's `-o` options memshark accepts without acting on them (its own tuning).
const IGNORED_OPTIONS: &[&str] = &[
    "maxconns_fast",
    "no_maxconns_fast",
    "hashpower",
    "tail_repair_time",
    "lru_crawler",
    "no_lru_crawler",
    "lru_maintainer",
    "no_lru_maintainer",
    "hot_lru_pct",
    "warm_lru_pct",
    "hot_max_factor",
    "warm_max_factor",
    "temporary_ttl",
    "idle_timeout",
    "watcher_logbuf_size",
    "worker_logbuf_size",
    "slab_reassign",
    "slab_automove",
    "slab_automove_ratio",
    "slab_automove_window",
    "slab_chunk_max",
    "lru_crawler_sleep",
    "lru_crawler_tocrawl",
    "track_sizes",
    "no_inline_ascii_resp",
    "modern",
    "no_modern",
    "no_chunked_items",
    "no_slab_reassign",
    "no_slab_automove",
    "read_buf_mem_limit",
    "no_hashexpand",
    "hash_algorithm",
    "drop_privileges",
    "no_drop_privileges",
    "resp_obj_mem_limit",
];

/// The idle timeout from `-o idle_timeout=N`, checking every option is one memcached has.
fn extended_options(options: &[String]) -> anyhow::Result<Option<u64>> {
    let mut idle = None;
    for option in options.iter().filter(|o| !o.is_empty()) {
        let (name, value) = option.split_once('=').unwrap_or((option, ""));
        if !IGNORED_OPTIONS.contains(&name) {
            anyhow::bail!("illegal -o suboption {option:?}");
        }
        if name == "idle_timeout" {
            idle = Some(
                value
                    .parse::<u64>()
                    .map_err(|_| anyhow::anyhow!("idle_timeout wants seconds: {option:?}"))?,
            );
        }
    }
    Ok(idle)
}

/// The server configuration the arguments describe.
fn config(args: Args) -> anyhow::Result<ServerConfig> {
    let mut listen = args.listen;
    if let Some((ip, port)) = args.interface {
        listen.set_ip(ip);
        if let Some(port) = port {
            listen.set_port(port);
        }
    }
    if let Some(port) = args.port {
        listen.set_port(port);
    }
    let memory = match args.memory_mb {
        Some(mb) => mb
            .checked_mul(1 << 20)
            .ok_or_else(|| anyhow::anyhow!("-m {mb}: too large"))?,
        None => args.memory,
    };
    if args.max_item_size < 1024 {
        anyhow::bail!(
            "-I {}: the item size limit must be at least 1k",
            args.max_item_size
        );
    }
    if args.slab_growth_factor.is_nan() || args.slab_growth_factor <= 1.0 {
        anyhow::bail!(
            "-f {}: the growth factor must be above 1.0",
            args.slab_growth_factor
        );
    }
    let idle = extended_options(&args.extended)?.unwrap_or(args.idle_timeout);
    Ok(ServerConfig {
        listen,
        store: StoreConfig {
            memory_limit: memory,
            max_item_size: args.max_item_size,
            slabs: SlabConfig {
                min_space: args.slab_min_size,
                factor: args.slab_growth_factor,
            },
        },
        max_connections: args.max_connections,
        idle_timeout: (idle > 0).then(|| Duration::from_secs(idle)),
        sasl: args
            .sasl_user
            .zip(args.sasl_password)
            .map(|(user, password)| SaslCredentials { user, password }),
        enable_shutdown: args.enable_shutdown,
        threads: args.threads.max(1),
        verbosity: u32::from(args.verbose),
        udp_port: args.udp_port,
    })
}

/// Runs `memshark serve` until Ctrl-C, SIGTERM or (with -A) the `shutdown` command.
pub fn run(args: Args) -> anyhow::Result<()> {
    let config = config(args)?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.threads.min(cores))
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = Server::bind(config).await?;
        eprintln!(
            "memshark serve: listening on {} (binary, text and meta protocols)",
            server.local_addr()?
        );
        if let Some(udp) = server.udp_addr() {
            eprintln!("memshark serve: UDP on {udp}");
        }
        server.run(super::shutdown_signal()).await;
        eprintln!("memshark serve: stopped");
        anyhow::Ok(())
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn parse(argv: &[&str]) -> anyhow::Result<ServerConfig> {
        let cli = Cli::try_parse_from(std::iter::once("serve").chain(argv.iter().copied()))?;
        config(cli.args)
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64m"), Ok(64 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512kib"), Ok(512 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("lots").is_err());
    }

    #[test]
    fn memcached_flags() {
        let c = parse(&[
            "-p",
            "11311",
            "-l",
            "127.0.0.1",
            "-m",
            "128",
            "-c",
            "50",
            "-I",
            "2m",
            "-t",
            "2",
            "-U",
            "0",
            "-A",
            "-vv",
            "-n",
            "64",
            "-f",
            "1.5",
            "-o",
            "modern,idle_timeout=9",
            "-u",
            "memcache",
        ])
        .expect("memcached's flags");
        assert_eq!(c.listen, SocketAddr::from(([127, 0, 0, 1], 11311)));
        assert_eq!(c.store.memory_limit, 128 << 20);
        assert_eq!(c.store.max_item_size, 2 << 20);
        assert_eq!(c.max_connections, 50);
        assert_eq!(c.threads, 2);
        assert!(c.enable_shutdown);
        assert_eq!(c.verbosity, 2);
        assert_eq!(c.store.slabs.min_space, 64);
        assert_eq!(c.idle_timeout, Some(Duration::from_secs(9)));
        assert!(parse(&["-o", "bogus_option"]).is_err());
        assert_eq!(parse(&["-U", "11211"]).expect("-U").udp_port, 11211);
        assert_eq!(
            parse(&["-l", "0.0.0.0:9"]).expect("-l").listen,
            SocketAddr::from(([0, 0, 0, 0], 9))
        );
    }
}
