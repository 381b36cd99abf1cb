//! No configuration text, server line or key makes the pool code panic, and what parses
//! behaves: server lines round-trip, placement always names a live server.

use memshark_proxy::pool::{
    load_config, Continuum, Distribution, HashKind, PoolConfig, ServerSpec,
};
use proptest::prelude::*;

/// Text built from the pieces YAML and twemproxy's format are made of, so that the parser's
/// deeper paths are reached, not only its first error.
fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("pool:".to_string()),
        Just("\n".to_string()),
        Just("  ".to_string()),
        Just(" ".to_string()),
        Just("- ".to_string()),
        Just("listen: 127.0.0.1:22121".to_string()),
        Just("servers:".to_string()),
        Just("   - 127.0.0.1:11211:1 a".to_string()),
        Just("hash: md5".to_string()),
        Just("hash_tag: \"{}\"".to_string()),
        Just("shadow: {pool: pool, key_fraction: [0, 0.5]}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("{".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("#".to_string()),
        Just(":".to_string()),
        Just(",".to_string()),
        Just("\t".to_string()),
        Just("é".to_string()),
        "[ -~]{0,8}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn config_text_never_panics(text in yamlish()) {
        if let Ok(pools) = load_config(&text) {
            for pool in pools {
                prop_assert!(!pool.servers.is_empty());
                let c = Continuum::build(&pool, &vec![true; pool.servers.len()]);
                let _ = c.server_for(b"key");
            }
        }
    }

    #[test]
    fn any_text_never_panics(text in "\\PC{0,200}") {
        let _ = load_config(&text);
        let _ = ServerSpec::parse(&text);
        let _ = ServerSpec::parse_config(&text);
    }

    #[test]
    fn server_lines_round_trip(
        host in "[a-z][a-z0-9.-]{0,20}",
        port in 1u16..,
        weight in 1u32..=1000,
        name in proptest::option::of("[a-z][a-z0-9_-]{0,10}"),
    ) {
        let line = match &name {
            Some(n) => format!("{host}:{port}:{weight} {n}"),
            None => format!("{host}:{port}:{weight}"),
        };
        let spec = ServerSpec::parse_config(&line).unwrap();
        prop_assert_eq!(spec.to_string(), line);
        prop_assert_eq!(spec.port(), port);
        prop_assert_eq!(spec.weight, weight);
    }

    #[test]
    fn placement_names_a_live_server(
        weights in prop::collection::vec(1u32..=i32::MAX as u32, 1..8),
        alive_mask in any::<u8>(),
        hash in 0usize..12,
        dist in 0usize..3,
        key in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let servers = weights
            .iter()
            .enumerate()
            .map(|(i, &w)| ServerSpec { addr: format!("10.0.0.{i}:11211"), weight: w, name: None })
            .collect::<Vec<_>>();
        let n = servers.len();
        let pool = PoolConfig {
            hash: HashKind::ALL[hash],
            distribution: Distribution::ALL[dist],
            hash_tag: Some(*b"{}"),
            ..PoolConfig::from_servers("127.0.0.1:1".parse().unwrap(), servers)
        };
        let alive: Vec<bool> = (0..n).map(|i| alive_mask & (1 << i) != 0).collect();
        let c = Continuum::build(&pool, &alive);
        let any_alive = alive.iter().any(|&a| a);
        match c.server_for(&key) {
            Some(i) => prop_assert!(alive[i], "dead server {} chosen", i),
            // Under ketama a live server whose weight is a tiny share of the total gets no
            // points (twemproxy's floor), but the heaviest always gets some.
            None => prop_assert!(!any_alive, "no server although some are alive"),
        }
    }
}
