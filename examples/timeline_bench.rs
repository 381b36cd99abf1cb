//! The TUI's figures at scale (bench/tui.sh): loads a capture through the same path as
//! `memshark view` (file thread → channel → store and view), then measures memory per
//! transaction, a redraw after scrolling and after a filter change into a `TestBackend`, and
//! live ingest through the proxy-tap collector.
//!
//! `cargo run --release --example timeline_bench -- FILE.pcap`

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use memshark::filter::Filter;
use memshark::tui::app::InputKind;
use memshark::tui::{self, App, SourceInfo};

fn key(app: &mut App, c: KeyCode) {
    app.on_key(KeyEvent::new(c, KeyModifiers::NONE));
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path: PathBuf = std::env::args()
        .nth(1)
        .ok_or("usage: timeline_bench FILE.pcap")?
        .into();
    let file_bytes = std::fs::metadata(&path)?.len();

    // 1. Load, as `memshark view` does.
    let mut app = App::new(SourceInfo::new(path.display().to_string(), false));
    let started = Instant::now();
    let rx = tui::feed::file(path.clone(), vec![11211], None);
    let mut first_rows = None;
    while !app.source.ended {
        tui::pump(&mut app, &rx, Duration::from_millis(40))?;
        if first_rows.is_none() && !app.view.is_empty() {
            first_rows = Some(started.elapsed());
        }
        if app.source.ended {
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let load = started.elapsed();
    let n = app.store.len();
    println!(
        "capture: {} ({:.1} MB)",
        path.display(),
        file_bytes as f64 / 1e6
    );
    println!("transactions: {n} ({} messages)", app.ingested);
    println!(
        "load: {:.2} s ({:.2} M txns/s); first rows after {:.1} ms",
        load.as_secs_f64(),
        n as f64 / load.as_secs_f64() / 1e6,
        first_rows.unwrap_or_default().as_secs_f64() * 1e3
    );
    let records = app.store.record_bytes() + app.view.len() as u64 * 4;
    println!(
        "memory: {:.1} bytes/txn in records and view (+ {:.1} MB of message bytes, {:.1} bytes/txn)",
        records as f64 / n.max(1) as f64,
        app.store.arena_bytes() as f64 / 1e6,
        app.store.arena_bytes() as f64 / n.max(1) as f64
    );

    // 2. Redraws at this size (160x48 terminal).
    let (_, first) = timed(|| tui::render_to_string(&mut app, 160, 48));
    let mut worst_scroll = Duration::ZERO;
    for k in [
        KeyCode::PageDown,
        KeyCode::Char('G'),
        KeyCode::PageUp,
        KeyCode::Char('g'),
    ] {
        let (_, d) = timed(|| {
            key(&mut app, k);
            tui::render_to_string(&mut app, 160, 48)
        });
        worst_scroll = worst_scroll.max(d);
    }
    println!(
        "redraw: first frame {:.1} ms, after scroll (worst of PgDn/G/PgUp/g) {:.1} ms",
        first.as_secs_f64() * 1e3,
        worst_scroll.as_secs_f64() * 1e3
    );
    let mut worst_filter = Duration::ZERO;
    for f in [
        "op == \"get\" && status != 0",
        "latency > 1ms",
        "key ~ \"^user:1\"",
        "key contains \"99\" || size > 1kb",
        "",
    ] {
        let filter = Filter::parse(f)?;
        let (_, d) = timed(|| {
            app.apply(InputKind::Filter, filter);
            tui::render_to_string(&mut app, 160, 48)
        });
        println!(
            "  filter {f:<30} {:>8} rows  {:.1} ms",
            app.view.len(),
            d.as_secs_f64() * 1e3
        );
        worst_filter = worst_filter.max(d);
    }
    let (_, sorted) = timed(|| {
        key(&mut app, KeyCode::Char('o'));
        tui::render_to_string(&mut app, 160, 48)
    });
    println!(
        "redraw after filter change: worst {:.1} ms; after sorting by latency {:.1} ms",
        worst_filter.as_secs_f64() * 1e3,
        sorted.as_secs_f64() * 1e3
    );
    let (_, stats) = timed(|| {
        key(&mut app, KeyCode::Char('s'));
        tui::render_to_string(&mut app, 160, 48)
    });
    println!("stats screen: {:.1} ms", stats.as_secs_f64() * 1e3);

    // 2b. The Wireshark workflows' views at this size: each key and the frame after it.
    key(&mut app, KeyCode::Char('s'));
    app.go_to(n / 2);
    let view = |app: &mut App, name: &str, keys: &[KeyCode]| {
        let (_, d) = timed(|| {
            for &k in keys {
                key(app, k);
            }
            tui::render_to_string(app, 160, 48)
        });
        println!("  {name:<36} {:.1} ms", d.as_secs_f64() * 1e3);
        d
    };
    println!("views (target ≤ 100 ms each):");
    let mut worst = Duration::ZERO;
    worst = worst.max(view(
        &mut app,
        "follow a connection (F)",
        &[KeyCode::Char('F')],
    ));
    worst = worst.max(view(&mut app, "back from it (Esc)", &[KeyCode::Esc]));
    worst = worst.max(view(
        &mut app,
        "apply as filter (Enter j j a: flow)",
        &[
            KeyCode::Enter,
            KeyCode::Char('j'),
            KeyCode::Char('j'),
            KeyCode::Char('a'),
        ],
    ));
    key(&mut app, KeyCode::Esc);
    app.apply(InputKind::Filter, Filter::all());
    worst = worst.max(view(&mut app, "conversations (c)", &[KeyCode::Char('c')]));
    key(&mut app, KeyCode::Esc);
    worst = worst.max(view(&mut app, "I/O graph (i)", &[KeyCode::Char('i')]));
    key(&mut app, KeyCode::Esc);
    app.apply(
        InputKind::Filter,
        Filter::parse("op == \"get\" && status != 0")?,
    );
    worst = worst.max(view(
        &mut app,
        "I/O graph, filtered (i)",
        &[KeyCode::Char('i')],
    ));
    key(&mut app, KeyCode::Esc);
    worst = worst.max(view(&mut app, "column chooser (C)", &[KeyCode::Char('C')]));
    key(&mut app, KeyCode::Esc);
    println!("views: worst {:.1} ms", worst.as_secs_f64() * 1e3);
    let out = std::env::temp_dir().join(format!("timeline-bench-{}.pcapng", std::process::id()));
    app.apply(InputKind::Filter, Filter::parse("key ~ \"^user:1\"")?);
    let rows = app.export_rows();
    let (res, d) = timed(|| tui::export::write(&app.store, rows, &path, &out));
    let s = res?;
    println!(
        "export of the rows of key ~ \"^user:1\" (w): {} of {} frames in {:.0} ms",
        s.written,
        s.read,
        d.as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_file(&out);

    // 3. Live ingest: messages pushed through the proxy-tap collector as fast as one thread
    //    can, while the UI loop takes them in and redraws every 50 ms.
    let mut msgs = Vec::new();
    memshark::pipeline::dissect_file(&path, &[11211], &mut |_| {}, &mut |m| {
        msgs.push(m);
        msgs.len() < 1_000_000
    })?;
    let mut live = App::new(SourceInfo::new("live", true));
    let (collector, rx) = tui::feed::collector(500_000, Arc::clone(&live.source.dropped));
    let total = msgs.len();
    let producer = std::thread::spawn(move || {
        let t = Instant::now();
        for m in msgs {
            collector.push(m);
        }
        t.elapsed()
    });
    let t = Instant::now();
    let mut last_draw = Instant::now();
    while !live.source.ended {
        tui::pump(&mut live, &rx, Duration::from_millis(40))?;
        if last_draw.elapsed() >= Duration::from_millis(50) {
            tui::render_to_string(&mut live, 160, 48);
            last_draw = Instant::now();
        }
    }
    let produced = producer.join().map_err(|_| "producer panicked")?;
    let took = t.elapsed();
    println!(
        "live ingest: {total} messages offered in {:.2} s ({:.0} k msgs/s), taken in {:.2} s ({:.0} k msgs/s), dropped {}",
        produced.as_secs_f64(),
        total as f64 / produced.as_secs_f64() / 1e3,
        took.as_secs_f64(),
        live.ingested as f64 / took.as_secs_f64() / 1e3,
        live.source.dropped.load(Ordering::Relaxed)
    );
    Ok(())
}
