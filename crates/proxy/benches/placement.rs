//! Key placement cost: `Continuum::server_for` per key (hash + lookup) under ketama and
//! modula, and building a continuum (what an ejection costs).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use memshark_proxy::pool::{Continuum, Distribution, HashKind, PoolConfig, ServerSpec};

fn pool(servers: usize, hash: HashKind, distribution: Distribution) -> PoolConfig {
    let servers = (0..servers)
        .map(|i| ServerSpec {
            addr: format!("10.0.{}.{}:11211", i / 250, i % 250 + 1),
            weight: 1 + (i % 3) as u32,
            name: None,
        })
        .collect();
    PoolConfig {
        hash,
        distribution,
        ..PoolConfig::from_servers("127.0.0.1:22121".parse().unwrap(), servers)
    }
}

fn keys() -> Vec<Vec<u8>> {
    (0..10_000)
        .map(|i| format!("user:{i}:profile").into_bytes())
        .collect()
}

fn server_for(c: &mut Criterion) {
    let keys = keys();
    let mut group = c.benchmark_group("server_for");
    group.throughput(Throughput::Elements(keys.len() as u64));
    for (hash, distribution) in [
        (HashKind::Fnv1a64, Distribution::Ketama),
        (HashKind::Md5, Distribution::Ketama),
        (HashKind::Murmur, Distribution::Ketama),
        (HashKind::Fnv1a64, Distribution::Modula),
    ] {
        for servers in [3, 64] {
            let p = pool(servers, hash, distribution);
            let continuum = Continuum::build(&p, &vec![true; servers]);
            group.bench_with_input(
                BenchmarkId::new(format!("{hash}/{distribution}"), servers),
                &continuum,
                |b, continuum| {
                    b.iter(|| {
                        for key in &keys {
                            black_box(continuum.server_for(black_box(key)));
                        }
                    })
                },
            );
        }
    }
    group.finish();
}

fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    for servers in [3, 64] {
        let p = pool(servers, HashKind::Fnv1a64, Distribution::Ketama);
        let alive = vec![true; servers];
        group.bench_with_input(BenchmarkId::new("ketama", servers), &p, |b, p| {
            b.iter(|| black_box(Continuum::build(p, &alive)))
        });
    }
    group.finish();
}

criterion_group!(benches, server_for, build);
criterion_main!(benches);
