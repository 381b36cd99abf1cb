//! Parquet as the engines read it: DuckDB (the `duckdb` Python package, driven through
//! `python3 -c`) reads `memshark dump --format parquet` output and must find what
//! `memshark stats` prints for the same capture — counts per op, the hit ratio, latency
//! percentiles (to the histogram's precision), top keys — and must see a partitioned directory
//! of several captures as one table.
//!
//! Without python3 or duckdb the tests say so and pass, except under CI (`CI` set), which
//! installs duckdb (.ci/run): there they fail.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::memshark;

const FIXTURES: [&str; 5] = ["ascii", "binary", "meta", "large", "any-sll2"];

fn fixture(name: &str) -> String {
    format!("{}/fixtures/{name}.pcap", env!("CARGO_MANIFEST_DIR"))
}

/// Whether DuckDB can be driven; `false` (with a note) only outside CI.
fn duckdb_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have python3 and duckdb (pip install duckdb, in .ci/run)"
        );
        eprintln!("SKIPPED: python3 with the duckdb package is not installed (pip install duckdb)");
    }
    ok
}

/// Runs `script` (Python, `duckdb` imported, `args` = the arguments) and parses what it prints
/// as JSON.
fn duckdb(script: &str, args: &[&str]) -> Value {
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import duckdb, json, sys\nargs = sys.argv[1:]\n{script}"
        ))
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "duckdb script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

const QUERIES: &str = r#"
m, t = args[0], args[1]
def rows(q):
    return duckdb.sql(q).fetchall()
requests = dict(rows(f"select op, count(*) from '{m}' where kind = 'request' and error is null group by op"))
lookups, hits = rows(f"select coalesce(sum(key_count), 0), coalesce(sum(hits), 0) from '{t}' where hits is not null")[0]
pct = {}
for op, n in rows(f"select op, count(*) from '{t}' where outcome is not null and latency_us is not null group by op"):
    lat = {}
    for name, q in [("p50_us", 0.5), ("p90_us", 0.9), ("p99_us", 0.99), ("p999_us", 0.999), ("max_us", 1.0)]:
        # The histogram's rank: the ceil(q * n)-th smallest value (at least the first).
        lat[name] = rows(f"""select list_sort(list(greatest(latency_us, 1)))[greatest(1, ceil({q} * count(*)))::integer]
            from '{t}' where op = '{op}' and outcome is not null and latency_us is not null""")[0][0]
    pct[op] = lat
keys = dict(rows(f"""select k, count(*) from (select unnest(coalesce(keys, [key])) as k from '{m}'
    where kind = 'request' and error is null and key is not null) group by k"""))
answered = dict(rows(f"select op, count(*) from '{t}' where outcome is not null group by op"))
print(json.dumps({"requests": requests, "lookups": int(lookups), "hits": int(hits),
    "latency": pct, "keys": keys, "answered": answered}))
"#;

#[test]
fn duckdb_reads_what_stats_prints() {
    if !duckdb_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for name in FIXTURES {
        let pcap = fixture(name);
        let m = dir.path().join(format!("{name}.messages.parquet"));
        let t = dir.path().join(format!("{name}.transactions.parquet"));
        let (m, t) = (m.to_str().expect("utf-8"), t.to_str().expect("utf-8"));
        memshark(&["dump", &pcap, "--format", "parquet", "-o", m]);
        memshark(&[
            "dump",
            &pcap,
            "--format",
            "parquet",
            "--table",
            "transactions",
            "-o",
            t,
        ]);
        let stats: Value =
            serde_json::from_slice(&memshark(&["stats", &pcap, "--json", "--top", "5"]))
                .expect("stats --json");
        let duck = duckdb(QUERIES, &[m, t]);

        let ops = stats["ops"].as_object().expect("ops");
        for (op, o) in ops {
            let want = o["requests"].as_u64().expect("requests");
            if want > 0 {
                assert_eq!(
                    duck["requests"][op].as_u64(),
                    Some(want),
                    "{name}: {op} requests"
                );
            }
            let answered = o["answered"].as_u64().expect("answered");
            if answered > 0 {
                assert_eq!(
                    duck["answered"][op].as_u64(),
                    Some(answered),
                    "{name}: {op} answered"
                );
            }
            if let Some(lat) = o["latency"].as_object() {
                for (p, v) in lat {
                    let s = v.as_u64().expect("percentile");
                    let d = duck["latency"][op][p].as_u64().expect("duckdb percentile");
                    // The histogram keeps three significant digits and reports the top of a
                    // value's bucket.
                    assert!(
                        d <= s && s <= d + d / 1000 + 1,
                        "{name}: {op} {p}: stats {s}, duckdb {d}"
                    );
                }
            }
        }
        let n_ops = ops
            .values()
            .filter(|o| o["requests"].as_u64() > Some(0))
            .count();
        assert_eq!(
            duck["requests"].as_object().map(|o| o.len()),
            Some(n_ops),
            "{name}: ops"
        );
        assert_eq!(duck["lookups"], stats["get_lookups"], "{name}: lookups");
        assert_eq!(duck["hits"], stats["get_hits"], "{name}: hits");
        // Top keys: every key stats names has its count, and the counts are DuckDB's top.
        let top = stats["top_keys_by_count"].as_array().expect("top keys");
        let mut counts: Vec<u64> = duck["keys"]
            .as_object()
            .expect("keys")
            .values()
            .filter_map(Value::as_u64)
            .collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        counts.truncate(top.len());
        let stats_counts: Vec<u64> = top.iter().filter_map(|k| k["count"].as_u64()).collect();
        assert_eq!(counts, stats_counts, "{name}: top key counts");
        for k in top {
            let key = k["key"].as_str().expect("key");
            assert_eq!(duck["keys"][key], k["count"], "{name}: key {key}");
        }
    }
}

#[test]
fn a_partitioned_directory_of_several_captures_is_one_table() {
    if !duckdb_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let out = out.to_str().expect("utf-8");
    let pcaps: Vec<String> = FIXTURES.iter().map(|f| fixture(f)).collect();
    let mut args = vec!["dump"];
    args.extend(pcaps.iter().map(String::as_str));
    args.extend([
        "--format",
        "parquet",
        "--out-dir",
        out,
        "--partition-by",
        "date,hour,capture",
    ]);
    memshark(&args);
    // Nothing partial is left behind, and every file sits in its partition.
    let mut files = Vec::new();
    let mut stack = vec![Path::new(out).to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= FIXTURES.len());
    for f in &files {
        let s = f.to_string_lossy();
        assert!(s.ends_with(".parquet"), "{s}");
        assert!(
            s.contains("/date=") && s.contains("/hour=") && s.contains("/capture="),
            "{s}"
        );
    }
    let duck = duckdb(
        r#"
rows = duckdb.sql(f"select capture, count(*), count(distinct date), min(hour) >= 0 and max(hour) <= 23 from read_parquet('{args[0]}/**/*.parquet', hive_partitioning = true) group by capture").fetchall()
print(json.dumps({c: [n, d, ok] for c, n, d, ok in rows}))
"#,
        &[out],
    );
    for name in FIXTURES {
        let stats: Value = serde_json::from_slice(&memshark(&["stats", &fixture(name), "--json"]))
            .expect("stats --json");
        assert_eq!(
            duck[name][0], stats["messages"],
            "{name}: messages in its partition"
        );
        assert_eq!(duck[name][2], Value::Bool(true), "{name}: hours");
    }
    assert_eq!(duck.as_object().map(|o| o.len()), Some(FIXTURES.len()));
}

#[test]
fn transactions_lines_and_parquet_agree() {
    if !duckdb_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let pcap = fixture("binary");
    let jsonl = dir.path().join("t.jsonl");
    let csv = dir.path().join("t.csv");
    let pq = dir.path().join("t.parquet");
    let (jsonl, csv, pq) = (
        jsonl.to_str().expect("utf-8"),
        csv.to_str().expect("utf-8"),
        pq.to_str().expect("utf-8"),
    );
    for (format, out) in [("jsonl", jsonl), ("csv", csv), ("parquet", pq)] {
        memshark(&[
            "dump",
            &pcap,
            "--table",
            "transactions",
            "--format",
            format,
            "-o",
            out,
        ]);
    }
    let duck = duckdb(
        r#"
q = "select count(*), sum(value_len), count(latency_us), sum(case when hit then 1 else 0 end) from {}"
print(json.dumps([list(duckdb.sql(q.format(src)).fetchall()[0]) for src in
    [f"read_json('{args[0]}')", f"read_csv('{args[1]}')", f"'{args[2]}'"]], default=int))
"#,
        &[jsonl, csv, pq],
    );
    assert_eq!(duck[0], duck[2], "jsonl and parquet");
    assert_eq!(duck[1], duck[2], "csv and parquet");
    assert!(duck[2][0].as_u64() > Some(0));
}
