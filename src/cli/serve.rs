//! `memshark serve`: the embedded reference server.

use std::net::SocketAddr;
use std::time::Duration;

use memshark::server::{SaslCredentials, Server, ServerConfig, StoreConfig};

/// Run the embedded memcached-compatible server (binary, text and meta protocols).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:11211")]
    listen: SocketAddr,
    /// Memory for items, in bytes (suffixes k, m, g allowed).
    #[arg(long, default_value = "64m", value_parser = parse_size)]
    memory: usize,
    /// Largest item value, in bytes (suffixes allowed).
    #[arg(long, default_value = "1m", value_parser = parse_size)]
    max_item_size: usize,
    /// Most simultaneous connections.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
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

/// Runs `memshark serve` until Ctrl-C or SIGTERM.
pub fn run(args: Args) -> anyhow::Result<()> {
    let config = ServerConfig {
        listen: args.listen,
        store: StoreConfig {
            memory_limit: args.memory,
            max_item_size: args.max_item_size,
        },
        max_connections: args.max_connections,
        idle_timeout: (args.idle_timeout > 0).then(|| Duration::from_secs(args.idle_timeout)),
        sasl: args
            .sasl_user
            .zip(args.sasl_password)
            .map(|(user, password)| SaslCredentials { user, password }),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let server = Server::bind(config).await?;
        eprintln!(
            "memshark serve: listening on {} (binary, text and meta protocols)",
            server.local_addr()?
        );
        server.run(super::shutdown_signal()).await;
        eprintln!("memshark serve: stopped");
        anyhow::Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64m"), Ok(64 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512kib"), Ok(512 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("lots").is_err());
    }
}
