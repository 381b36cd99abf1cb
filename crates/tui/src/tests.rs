//! The UI's state machine driven by keys, and each screen drawn into a `TestBackend`.

use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use ratatui::layout::Rect;

use super::app::{App, InputKind, Pane, Screen, SourceInfo, TimeFormat};
use super::details::DetailKind;
use super::pane::BytesScroll;
use super::render_to_string;
use crate::timeline::SortKey;

fn app_with(path: &str) -> App {
    let mut app = App::new(SourceInfo::new(path, false));
    memshark_traffic::pipeline::dissect_file(Path::new(path), &[11211], &mut |_| {}, &mut |m| {
        app.ingest(&m);
        true
    })
    .unwrap();
    app.source.ended = true;
    app.refresh();
    app
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

#[test]
fn movement_keys_move_the_selection_within_bounds() {
    let mut app = app_with("../../fixtures/ascii.pcap");
    let n = app.view.len();
    assert!(n > 50);
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Down);
    assert_eq!(app.timeline.selected(), 2);
    key(&mut app, KeyCode::Char('k'));
    assert_eq!(app.timeline.selected(), 1);
    key(&mut app, KeyCode::Char('G'));
    assert_eq!(app.timeline.selected(), n - 1);
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(
        app.timeline.selected(),
        n - 1,
        "no further than the last row"
    );
    key(&mut app, KeyCode::Char('g'));
    assert_eq!(app.timeline.selected(), 0);
    key(&mut app, KeyCode::Up);
    assert_eq!(app.timeline.selected(), 0);
    app.timeline.fit(20);
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.timeline.selected(), 19);
    key(&mut app, KeyCode::PageUp);
    assert_eq!(app.timeline.selected(), 0);
    app.on_mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 0,
        row: 0,
        modifiers: KeyModifiers::NONE,
    });
    assert_eq!(app.timeline.selected(), 3);
}

#[test]
fn enter_opens_details_tab_cycles_panes_esc_closes() {
    let mut app = app_with("../../fixtures/binary.pcap");
    key(&mut app, KeyCode::Enter);
    assert!(app.details_open);
    assert_eq!(app.focus, Pane::Details);
    let before = app.timeline.selected();
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(
        app.timeline.selected(),
        before,
        "j moves within the details pane now"
    );
    assert_eq!(app.details.selected(), 1);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Bytes);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::List);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus, Pane::Bytes);
    key(&mut app, KeyCode::Esc);
    assert!(!app.details_open);
    assert_eq!(app.focus, Pane::List);
}

#[test]
fn the_filter_line_edits_like_readline_and_ctrl_chords_are_not_text() {
    let mut app = app_with("../../fixtures/binary.pcap");
    let ctrl = |app: &mut App, c: char| {
        app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    };
    let text = |app: &App| app.input.as_ref().map(|b| (b.text.clone(), b.cursor));
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "status == 1 && op");
    ctrl(&mut app, 'w');
    assert_eq!(text(&app), Some(("status == 1 && ".to_string(), 15)));
    ctrl(&mut app, 'w');
    assert_eq!(text(&app), Some(("status == 1 ".to_string(), 12)));
    ctrl(&mut app, 'a');
    typed(&mut app, "!");
    assert_eq!(text(&app), Some(("!status == 1 ".to_string(), 1)));
    ctrl(&mut app, 'e');
    assert_eq!(text(&app).map(|t| t.1), Some(13));
    // A chord that is not an editing key leaves the text alone.
    ctrl(&mut app, 'x');
    app.on_key(KeyEvent::new(KeyCode::Char('b'), KeyModifiers::ALT));
    assert_eq!(text(&app), Some(("!status == 1 ".to_string(), 13)));
    // Ctrl-U clears what is before the cursor, as when replacing the filter in force.
    key(&mut app, KeyCode::Left);
    ctrl(&mut app, 'u');
    assert_eq!(text(&app), Some((" ".to_string(), 0)));
    key(&mut app, KeyCode::End);
    ctrl(&mut app, 'u');
    typed(&mut app, "op == \"get\"");
    key(&mut app, KeyCode::Enter);
    assert!(app.input.is_none());
    assert_eq!(app.view.filter().source(), "op == \"get\"");
}

#[test]
fn a_bad_filter_shows_its_error_and_keeps_the_old_one() {
    let mut app = app_with("../../fixtures/binary.pcap");
    let all = app.view.len();
    key(&mut app, KeyCode::Char('/'));
    assert_eq!(app.input.as_ref().map(|b| b.kind), Some(InputKind::Filter));
    typed(&mut app, "status == 1");
    assert!(app.input.as_ref().unwrap().error.is_none());
    key(&mut app, KeyCode::Enter);
    assert!(app.input.is_none());
    let misses = app.view.len();
    assert!(misses > 0 && misses < all);
    assert_eq!(app.view.filter().source(), "status == 1");
    // A syntax error: shown with its position, the filter in force stays.
    key(&mut app, KeyCode::Char('/'));
    for _ in 0.."status == 1".len() {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "latency > > 1ms");
    let err = app.input.as_ref().unwrap().error.clone().expect("an error");
    assert_eq!(err.pos, 10);
    key(&mut app, KeyCode::Enter);
    assert!(
        app.input.is_some(),
        "Enter on an error keeps the input open"
    );
    key(&mut app, KeyCode::Esc);
    assert!(app.input.is_none());
    assert_eq!(app.view.len(), misses);
    assert_eq!(app.view.filter().source(), "status == 1");
    let screen = render_to_string(&mut app, 150, 30);
    assert!(screen.contains("filter: status == 1"), "{screen}");
}

#[test]
fn search_jumps_between_matches_with_n_and_shift_n() {
    let mut app = app_with("../../fixtures/ascii.pcap");
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "op == delete");
    key(&mut app, KeyCode::Enter);
    let first = app.timeline.selected();
    let is_delete = |app: &App| {
        let t = app.store.txn(app.selected_row().unwrap()).unwrap();
        app.store.op(t) == "delete"
    };
    assert!(is_delete(&app) && first > 0);
    key(&mut app, KeyCode::Char('n'));
    assert!(is_delete(&app) && app.timeline.selected() > first);
    key(&mut app, KeyCode::Char('N'));
    assert_eq!(app.timeline.selected(), first);
    assert_eq!(app.view.len(), app.store.len(), "a search hides nothing");
}

#[test]
fn follow_pause_stats_time_sort_help_and_quit() {
    let mut app = app_with("../../fixtures/ascii.pcap");
    key(&mut app, KeyCode::Char('f'));
    assert!(app.timeline.follow);
    assert_eq!(app.timeline.selected(), app.view.len() - 1);
    key(&mut app, KeyCode::Char('k'));
    assert!(!app.timeline.follow, "moving up stops following");
    key(&mut app, KeyCode::Char(' '));
    assert!(app.paused);
    key(&mut app, KeyCode::Char(' '));
    assert!(!app.paused);
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.screen, Screen::Stats);
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.screen, Screen::Timeline);
    key(&mut app, KeyCode::Char('t'));
    assert_eq!(app.timeline.time_format, TimeFormat::Absolute);
    key(&mut app, KeyCode::Char('t'));
    assert_eq!(app.timeline.time_format, TimeFormat::Delta);
    key(&mut app, KeyCode::Char('o'));
    assert_eq!(app.view.sort(), (SortKey::Latency, false));
    key(&mut app, KeyCode::Char('O'));
    assert_eq!(app.view.sort(), (SortKey::Latency, true));
    key(&mut app, KeyCode::Char('?'));
    assert!(app.help);
    key(&mut app, KeyCode::Char('x'));
    assert!(!app.help && !app.quit, "any key closes the help");
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
    let mut app = app_with("../../fixtures/meta.pcap");
    app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(app.quit);
}

#[test]
fn paused_rows_are_kept_and_shown_on_resume() {
    let mut app = App::new(SourceInfo::new("test", true));
    let mut msgs = Vec::new();
    memshark_traffic::pipeline::dissect_file(
        Path::new("../../fixtures/binary.pcap"),
        &[11211],
        &mut |_| {},
        &mut |m| {
            msgs.push(m);
            true
        },
    )
    .unwrap();
    let (a, b) = msgs.split_at(msgs.len() / 2);
    for m in a {
        app.ingest(m);
    }
    app.refresh();
    let shown = app.view.len();
    key(&mut app, KeyCode::Char(' '));
    for m in b {
        app.ingest(m);
    }
    app.refresh();
    assert_eq!(app.view.len(), shown, "paused: the view stands still");
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(app.view.len(), app.store.len());
    assert!(app.timeline.follow, "live sources follow");
    assert_eq!(app.timeline.selected(), app.view.len() - 1);
}

#[test]
fn timeline_screen_shows_columns_rows_and_status_bar() {
    let mut app = app_with("../../fixtures/binary.pcap");
    let s = render_to_string(&mut app, 150, 20);
    for want in [
        "No.",
        "Time (relative)",
        "Client",
        "Op",
        "Key",
        "Status",
        "Latency",
        "../../fixtures/binary.pcap",
        "txns",
        "? help",
    ] {
        assert!(s.contains(want), "missing {want:?} in\n{s}");
    }
    assert!(s.contains("KEY_ENOENT") || s.contains("SUCCESS"), "{s}");
    // Only the rows on screen are drawn: 20 lines at any store size.
    assert_eq!(s.lines().count(), 20);
}

#[test]
fn the_server_column_shows_on_a_140_column_terminal_and_goes_on_narrower_ones() {
    let mut app = app_with("../../fixtures/binary.pcap");
    let wide = render_to_string(&mut app, 140, 12);
    assert!(wide.contains("Server") && wide.contains(":11211"), "{wide}");
    let narrow = render_to_string(&mut app, 100, 12);
    assert!(
        !narrow.contains("Server") && narrow.contains("Key"),
        "{narrow}"
    );
}

#[test]
fn details_and_bytes_panes_show_fields_and_hex() {
    let mut app = app_with("../../fixtures/binary.pcap");
    key(&mut app, KeyCode::Enter);
    for _ in 0..9 {
        key(&mut app, KeyCode::Char('j'));
    }
    let s = render_to_string(&mut app, 150, 70);
    for want in [
        "Details",
        "Transaction",
        "Request",
        "magic",
        "opcode",
        "opaque",
        "cas",
        "Bytes",
        "000000  80",
    ] {
        assert!(s.contains(want), "missing {want:?} in\n{s}");
    }
    let lines = app.detail_lines();
    let sections: Vec<&str> = lines
        .iter()
        .filter(|l| l.kind == DetailKind::Section)
        .map(|l| l.name.as_str())
        .collect();
    assert_eq!(sections, ["Transaction", "Request", "Response"]);
    assert!(lines
        .iter()
        .any(|l| l.kind == DetailKind::Field && l.name == "magic"));
}

#[test]
fn panes_take_their_size_from_the_frame_before_it_is_drawn() {
    let mut app = app_with("../../fixtures/binary.pcap");
    // 12 rows: the status bar, the list's border and header leave 8 transactions.
    app.prepare(Rect::new(0, 0, 150, 12));
    assert_eq!(app.timeline.height(), 8);
    key(&mut app, KeyCode::PageDown);
    assert_eq!((app.timeline.selected(), app.timeline.offset()), (7, 0));
    key(&mut app, KeyCode::PageDown);
    assert_eq!((app.timeline.selected(), app.timeline.offset()), (14, 7));
    // A bigger frame keeps the offset; a smaller one scrolls the selection into sight.
    app.prepare(Rect::new(0, 0, 150, 40));
    assert_eq!((app.timeline.height(), app.timeline.offset()), (36, 7));
    app.prepare(Rect::new(0, 0, 150, 8));
    assert_eq!((app.timeline.height(), app.timeline.offset()), (4, 11));
    // Moving in the details scrolls the hex dump to the field once the frame's size is known.
    key(&mut app, KeyCode::Enter);
    for _ in 0..12 {
        key(&mut app, KeyCode::Char('j'));
    }
    assert_eq!(app.bytes.scroll(), BytesScroll::ToField);
    app.prepare(Rect::new(0, 0, 150, 30));
    assert!(matches!(app.bytes.scroll(), BytesScroll::Line(_)));
    let drawn = render_to_string(&mut app, 150, 30);
    assert!(drawn.contains("Bytes —"), "{drawn}");
}

#[test]
fn stats_screen_shows_rates_hit_ratio_latency_and_top_keys() {
    let mut app = app_with("../../fixtures/binary.pcap");
    key(&mut app, KeyCode::Char('s'));
    let s = render_to_string(&mut app, 160, 48);
    for want in [
        "get hit ratio",
        "requests/s per op",
        "latency by op",
        "latency histogram",
        "top keys by calls",
        "top keys by bytes",
        "top clients",
        "errors",
        "p99",
    ] {
        assert!(s.contains(want), "missing {want:?} in\n{s}");
    }
}

#[test]
fn stats_screen_shows_a_proxys_servers_only_behind_a_proxy() {
    let mut app = app_with("../../fixtures/binary.pcap");
    key(&mut app, KeyCode::Char('s'));
    let s = render_to_string(&mut app, 160, 60);
    assert!(
        !s.contains(" servers "),
        "no servers panel for a capture:\n{s}"
    );
    *app.source.servers.lock().expect("lock") = vec![
        crate::ServerRow {
            addr: "127.0.0.1:21211".into(),
            requests: 1234,
            p50_us: 41,
            p99_us: 310,
            ..Default::default()
        },
        crate::ServerRow {
            addr: "127.0.0.1:21212".into(),
            ejected: true,
            errors: 3,
            ejections: 1,
            ..Default::default()
        },
    ];
    let s = render_to_string(&mut app, 160, 60);
    for want in [
        " servers ",
        "127.0.0.1:21211",
        "1234",
        "41 µs",
        "310 µs",
        "127.0.0.1:21212",
        "ejected",
    ] {
        assert!(s.contains(want), "missing {want:?} in\n{s}");
    }
    // The other panels are still there.
    assert!(s.contains("top keys by calls"), "{s}");
}

#[test]
fn help_overlay_lists_every_key() {
    let mut app = app_with("../../fixtures/meta.pcap");
    key(&mut app, KeyCode::Char('?'));
    let s = render_to_string(&mut app, 120, 40);
    for (k, _) in super::ui::KEYS {
        assert!(s.contains(k), "missing {k:?} in\n{s}");
    }
}

#[test]
fn filter_error_is_drawn_under_the_input_with_a_caret() {
    let mut app = app_with("../../fixtures/meta.pcap");
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "size > 2ms");
    let s = render_to_string(&mut app, 120, 20);
    let lines: Vec<&str> = s.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("filter / size > 2ms"))
        .expect(&s);
    let caret = lines[at + 1];
    assert_eq!(caret.find('^'), Some("filter / size > ".len()), "{s}");
}

#[test]
fn tiny_and_huge_windows_draw_without_panicking() {
    let mut app = app_with("../../fixtures/ascii.pcap");
    key(&mut app, KeyCode::Enter);
    for (w, h) in [(1, 1), (10, 4), (40, 10), (300, 100)] {
        render_to_string(&mut app, w, h);
        app.screen = Screen::Stats;
        render_to_string(&mut app, w, h);
        app.screen = Screen::Timeline;
        app.help = true;
        render_to_string(&mut app, w, h);
        app.help = false;
    }
}

#[test]
fn a_file_loads_through_the_feed_with_and_without_play() {
    let direct = app_with("../../fixtures/meta.pcap").store.len();
    for play in [None, Some(50.0)] {
        let mut app = App::new(SourceInfo::new("meta", play.is_some()));
        let rx = super::feed::file("../../fixtures/meta.pcap".into(), vec![11211], play);
        let started = std::time::Instant::now();
        while !app.source.ended {
            super::pump(&mut app, &rx, std::time::Duration::from_millis(10)).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(2));
            assert!(started.elapsed().as_secs() < 20, "the feed never ended");
        }
        assert_eq!(app.store.len(), direct, "{play:?}");
        assert!(app.stats.pass.frames > 0);
    }
}

/// Opens the details of the first row whose details have a line called `name`, and selects
/// that line.
fn select_field(app: &mut App, name: &str) {
    for pos in 0..app.view.len() {
        app.go_to(pos);
        let lines = app.detail_lines();
        if let Some(i) = lines.iter().position(|d| d.name == name) {
            app.details_open = true;
            app.focus = Pane::Details;
            app.details.reset();
            app.details.move_by(i as isize, lines.len());
            return;
        }
    }
    panic!("no row has a `{name}` line");
}

#[test]
fn apply_as_filter_joins_the_selected_field_to_the_filter() {
    let mut app = app_with("../../fixtures/binary.pcap");
    let all = app.view.len();
    select_field(&mut app, "key");
    let row = app.selected_row();
    key(&mut app, KeyCode::Char('a'));
    let src = app.view.filter().source().to_string();
    assert!(src.starts_with("key == \""), "{src}");
    assert!(app.view.len() < all && !app.view.is_empty());
    assert_eq!(app.selected_row(), row, "the row stays selected");
    assert_eq!(app.focus, Pane::Details, "and the details keep the keys");
    let k = app.store.key(app.store.txn(row.unwrap()).unwrap()).to_vec();
    for &r in app.view.rows() {
        assert_eq!(app.store.key(app.store.txn(r).unwrap()), k);
    }
    // A: and not this opcode.
    select_field(&mut app, "opcode");
    let before = app.view.len();
    key(&mut app, KeyCode::Char('A'));
    assert!(
        app.view.filter().source().contains("&& op != \""),
        "{}",
        app.view.filter().source()
    );
    assert!(app.view.len() < before);
    // |: or this opaque: back to more rows.
    app.apply(
        InputKind::Filter,
        memshark_traffic::filter::Filter::parse("op == get").unwrap(),
    );
    select_field(&mut app, "opaque");
    let before = app.view.len();
    key(&mut app, KeyCode::Char('|'));
    assert!(app
        .view
        .filter()
        .source()
        .starts_with("op == get || opaque == "));
    assert!(app.view.len() >= before);
    // A line without a field says so and leaves the filter.
    let f = app.view.filter().source().to_string();
    select_field(&mut app, "magic");
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(app.view.filter().source(), f);
    assert_eq!(app.note.as_deref(), Some("no filter field for `magic`"));
}

#[test]
fn every_value_field_of_the_details_has_a_filter_name_that_matches_its_row() {
    // Lines that name no value a filter tests: headings, lengths, layout.
    let none = [
        "Transaction",
        "Request",
        "time",
        "answer",
        "header",
        "magic",
        "key length",
        "extras length",
        "framing extras length",
        "data type",
        "total body length",
        "extras",
        "command line",
        "noreply",
        "flagged",
        // Not yet in the filter language (the README says so).
        "verbosity",
        "level",
        "delay",
        "name",
        "missing",
        "truncated header",
        "framing extras",
    ];
    for file in ["binary", "ascii", "meta"] {
        let app = app_with(&format!("../../fixtures/{file}.pcap"));
        let mut checked = 0;
        for pos in (0..app.view.len()).step_by(7) {
            let row = app.view.row(pos).unwrap();
            for line in crate::details::lines(&app.store, row) {
                if none.contains(&line.name.as_str()) || line.name.starts_with("Response") {
                    continue;
                }
                let Some(term) = crate::apply::term_for(&app.store, row, &line) else {
                    // Keys that are not UTF-8, words of unknown commands, an unknown latency.
                    assert!(
                        matches!(line.name.as_str(), "key" | "argument" | "raw" | "latency"),
                        "{file} row {row}: `{}` has no filter field",
                        line.name
                    );
                    continue;
                };
                let f = memshark_traffic::filter::Filter::parse(&term.text(false)).unwrap();
                let txn = app.store.txn(row).unwrap();
                let fields = crate::timeline::TxnFields {
                    store: &app.store,
                    txn,
                };
                assert!(
                    f.matches(&fields),
                    "{file} row {row}: {} does not match its own row",
                    f.source()
                );
                checked += 1;
            }
        }
        assert!(checked > 10, "{file}: {checked}");
    }
}

#[test]
fn follow_narrows_to_the_connection_shows_the_conversation_and_esc_goes_back() {
    let mut app = app_with("../../fixtures/ascii.pcap");
    let all = app.view.len();
    app.apply(
        InputKind::Filter,
        memshark_traffic::filter::Filter::parse("op == get").unwrap(),
    );
    let filtered = app.view.len();
    app.go_to(3);
    let row = app.selected_row().unwrap();
    let flow = app.store.txn(row).unwrap().flow;
    let conn = app.store.flows()[flow as usize].conn;
    key(&mut app, KeyCode::Char('F'));
    assert_eq!(app.view.filter().source(), format!("flow == {conn}"));
    assert_eq!(app.selected_row(), Some(row), "the row stays selected");
    assert!(app.view.len() < all);
    for &r in app.view.rows() {
        assert_eq!(app.store.txn(r).unwrap().flow, flow);
    }
    let conv = app.conversation.as_ref().expect("following");
    assert_eq!(
        conv.rows,
        app.view.rows(),
        "the same rows, in arrival order"
    );
    let s = render_to_string(&mut app, 150, 40);
    assert!(s.contains(&format!("connection {conn}")), "{s}");
    assert!(s.contains("→ get "), "{s}");
    assert!(s.contains("← VALUE ") || s.contains("← END"), "{s}");
    // The conversation starts at the selected transaction and moves with it.
    key(&mut app, KeyCode::Char('j'));
    let next = app.selected_row().unwrap();
    let s = render_to_string(&mut app, 150, 40);
    let first_conv_line = s
        .lines()
        .skip_while(|l| !l.contains("Follow:"))
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert!(
        first_conv_line.contains(&format!(" {} → ", next + 1)),
        "{first_conv_line}"
    );
    // Esc: the old filter and row.
    key(&mut app, KeyCode::Esc);
    assert!(app.conversation.is_none());
    assert_eq!(app.view.filter().source(), "op == get");
    assert_eq!(app.view.len(), filtered);
    assert_eq!(app.selected_row(), Some(row));
}

#[test]
fn follow_marks_gaps_in_the_conversation() {
    use crate::follow::{txn_lines, Side};
    let mut store = crate::timeline::Store::new();
    let origin = memshark_traffic::capture::Origin::new(
        1,
        "10.0.0.1:40000".parse().unwrap(),
        "10.0.0.2:11211".parse().unwrap(),
        memshark_traffic::capture::Direction::ToServer,
    );
    let mut m =
        memshark_traffic::dissect::Message::new(origin, memshark_traffic::dissect::Proto::Ascii);
    m.problem = Some(memshark_traffic::dissect::Problem::Gap { bytes: 1234 });
    let row = store.push(&m);
    let lines = txn_lines(&store, row);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].side, Side::Gap);
    assert_eq!(lines[0].text, "[1234 bytes missing from the capture]");
}

#[test]
fn conversations_count_every_transaction_once_and_enter_filters_to_one() {
    use crate::conversations::{Column, Endpoint, Table};
    let mut app = app_with("../../fixtures/ascii.pcap");
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.screen, Screen::Conversations);
    let pane = app.conversations.as_ref().unwrap();
    let requests = app
        .store
        .txns()
        .iter()
        .filter(|t| t.req != crate::timeline::store::NONE)
        .count() as u64;
    let sum = |t: Table| pane.data.rows(t).iter().map(|r| r.requests).sum::<u64>();
    assert_eq!(sum(Table::Connections), requests);
    assert_eq!(sum(Table::Clients), requests);
    let reqs: Vec<u64> = pane.rows().iter().map(|r| r.requests).collect();
    assert!(reqs.windows(2).all(|w| w[0] >= w[1]), "busiest first");
    for r in pane.rows() {
        assert!(r.first_ns <= r.last_ns);
        assert!(r.p50 <= r.p99);
        assert!(r.bytes_out > 0);
    }
    let s = render_to_string(&mut app, 160, 20);
    assert!(
        s.contains("Connections —") && s.contains("Requests▼"),
        "{s}"
    );
    // o: the next column, largest first; O: the other way.
    key(&mut app, KeyCode::Char('o'));
    key(&mut app, KeyCode::Char('O'));
    let pane = app.conversations.as_ref().unwrap();
    assert_eq!((pane.sort, pane.descending), (Column::Errors, false));
    let errs: Vec<u64> = pane.rows().iter().map(|r| r.errors).collect();
    assert!(errs.windows(2).all(|w| w[0] <= w[1]));
    // Enter on the second row: the timeline shows its connection.
    key(&mut app, KeyCode::Char('j'));
    let chosen = app
        .conversations
        .as_ref()
        .unwrap()
        .selected()
        .unwrap()
        .clone();
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Timeline);
    let Endpoint::Connection { flow, conn, .. } = chosen.who else {
        panic!("a connection row")
    };
    assert_eq!(app.view.filter().source(), format!("flow == {conn}"));
    let n = app
        .view
        .rows()
        .iter()
        .filter(|&&r| app.store.txn(r).unwrap().flow == flow)
        .count();
    assert_eq!(n, app.view.len());
    // The clients table; Enter filters by the address.
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Tab);
    let s = render_to_string(&mut app, 160, 20);
    assert!(s.contains("Clients —") && s.contains("127.0.0.1 ("), "{s}");
    key(&mut app, KeyCode::Enter);
    assert!(app.view.filter().source().starts_with("client == "));
    assert!(!app.view.is_empty());
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Timeline);
}

#[test]
fn the_io_graph_covers_the_whole_capture_and_enter_jumps_to_its_cursor() {
    let mut app = app_with("../../fixtures/binary.pcap");
    app.apply(
        InputKind::Filter,
        memshark_traffic::filter::Filter::parse("op == get").unwrap(),
    );
    key(&mut app, KeyCode::Char('i'));
    assert_eq!(app.screen, Screen::IoGraph);
    let s = render_to_string(&mut app, 120, 40);
    for want in [
        "I/O graph",
        "requests/s",
        "errors/s",
        "p99 latency",
        "+0 ns",
        "all ",
        "filter ",
    ] {
        assert!(s.contains(want), "{want}:\n{s}");
    }
    let g = app.iograph.graph().expect("computed while drawing").clone();
    assert!(g.len() <= usize::from(crate::layout::graph_width(Rect::new(0, 0, 120, 39))));
    assert!(g.len() > 10, "{}", g.len());
    let reqs = |rows: &mut dyn Iterator<Item = u32>| {
        rows.filter(|&r| app.store.txn(r).unwrap().req != crate::timeline::store::NONE)
            .count() as u64
    };
    let sum = |v: &[u32]| v.iter().map(|&c| u64::from(c)).sum::<u64>();
    assert_eq!(sum(&g.all.requests), reqs(&mut (0..app.store.len() as u32)));
    assert_eq!(
        sum(&g.filtered.requests),
        reqs(&mut app.view.rows().iter().copied())
    );
    // The last transaction falls in the last slice or before, the first in the first.
    let last = app.store.txns().iter().map(|t| t.ts_ns).max().unwrap();
    assert!(g.time_of(g.len() - 1) <= last);
    assert!(g.all.requests[0] > 0);
    // Move the cursor to a busy slice past the start, and jump.
    let busy = (1..g.len()).find(|&i| g.filtered.requests[i] > 0).unwrap();
    for _ in 0..busy {
        key(&mut app, KeyCode::Char('l'));
    }
    assert_eq!(app.iograph.cursor(), busy);
    key(&mut app, KeyCode::Char('h'));
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Timeline);
    let at = g.time_of(busy);
    let pos = app.timeline.selected();
    let ts = |p: usize| app.store.txn(app.view.row(p).unwrap()).unwrap().ts_ns;
    assert!(ts(pos) >= at && (pos == 0 || ts(pos - 1) < at), "{pos}");
    assert!(app.note.as_deref().is_some_and(|n| n.starts_with("at +")));
    // Back on the graph the cursor is where it was.
    key(&mut app, KeyCode::Char('i'));
    render_to_string(&mut app, 120, 40);
    assert_eq!(app.iograph.cursor(), busy);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Timeline);
}

#[test]
#[ignore = "prints the screens for a look"]
fn print_new_screens() {
    let mut app = app_with("../../fixtures/binary.pcap");
    key(&mut app, KeyCode::Char('i'));
    println!("{}", render_to_string(&mut app, 130, 40));
    key(&mut app, KeyCode::Char('c'));
    println!("{}", render_to_string(&mut app, 160, 20));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('F'));
    println!("{}", render_to_string(&mut app, 160, 40));
}

/// What a transaction is, apart from where it sits: op, key, status, answers, latency.
fn txn_summary(app: &App, row: u32) -> (String, Vec<u8>, Option<u16>, u8, Option<u64>) {
    let t = app.store.txn(row).unwrap();
    (
        app.store.op(t).to_string(),
        app.store.key(t).to_vec(),
        t.status(),
        t.nresp,
        t.latency(),
    )
}

/// Every item of `want` is in `got`, in the same order.
fn assert_subsequence<T: PartialEq + std::fmt::Debug>(want: &[T], got: &[T]) {
    let mut it = got.iter();
    for w in want {
        assert!(
            it.any(|g| g == w),
            "{w:?} missing (or out of order) in {got:?}"
        );
    }
}

fn export_via_keys(app: &mut App, out: &Path) {
    key(app, KeyCode::Char('w'));
    assert_eq!(app.input.as_ref().map(|i| i.kind), Some(InputKind::Export));
    app.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    typed(app, &out.display().to_string());
    key(app, KeyCode::Enter);
    assert!(app.input.is_none());
}

#[test]
fn w_exports_the_filtered_transactions_with_their_frames_and_they_read_back_the_same() {
    let dir = std::env::temp_dir().join(format!("memshark-tui-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = "../../fixtures/binary.pcap";
    let mut app = app_with(input);
    // Without a capture file there is nothing to read frames from.
    key(&mut app, KeyCode::Char('w'));
    assert!(app.input.is_none());
    assert!(app.note.as_deref().unwrap_or("").contains("capture file"));
    app.source.file = Some(input.into());
    app.apply(
        InputKind::Filter,
        memshark_traffic::filter::Filter::parse("op == get && flow == 2").unwrap(),
    );
    let want: Vec<_> = app
        .view
        .rows()
        .iter()
        .map(|&r| txn_summary(&app, r))
        .collect();
    assert!(want.len() > 10);
    let out = dir.join("gets.pcapng");
    export_via_keys(&mut app, &out);
    let note = app.note.clone().unwrap_or_default();
    assert!(note.contains("frames written to"), "{note}");
    let back = app_with(out.to_str().unwrap());
    let got: Vec<_> = (0..back.store.len() as u32)
        .map(|r| txn_summary(&back, r))
        .collect();
    // Frames are exported whole: where a client pipelines, the requests sharing a frame
    // with a chosen one come along (as in any export of frames).
    assert_subsequence(&want, &got);
    assert!(got.len() < app.store.len());
    // Marked rows win over the filter.
    app.apply(InputKind::Filter, memshark_traffic::filter::Filter::all());
    app.go_to(5);
    key(&mut app, KeyCode::Char('m'));
    app.go_to(200);
    key(&mut app, KeyCode::Char('m'));
    let marked: Vec<_> = [app.view.row(5).unwrap(), app.view.row(200).unwrap()]
        .iter()
        .map(|&r| txn_summary(&app, r))
        .collect();
    let s = render_to_string(&mut app, 150, 20);
    assert!(s.contains("2 marked"), "{s}");
    let out = dir.join("marked.pcap");
    export_via_keys(&mut app, &out);
    let back = app_with(out.to_str().unwrap());
    let got: Vec<_> = (0..back.store.len() as u32)
        .map(|r| txn_summary(&back, r))
        .collect();
    assert_subsequence(&marked, &got);
    key(&mut app, KeyCode::Char('M'));
    assert!(app.marks.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn y_puts_the_key_or_the_selected_value_on_the_clipboard() {
    let mut app = app_with("../../fixtures/ascii.pcap");
    let row = app.selected_row().unwrap();
    let k = String::from_utf8_lossy(app.store.key(app.store.txn(row).unwrap())).into_owned();
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(app.clipboard.as_deref(), Some(k.as_str()));
    select_field(&mut app, "data block");
    key(&mut app, KeyCode::Char('y'));
    let v = app.clipboard.clone().unwrap();
    assert!(!v.is_empty() && !v.contains('\r'), "{v:?}");
    assert_eq!(
        app.note.as_deref().map(|n| n.starts_with("value copied")),
        Some(true)
    );
}

fn mouse(app: &mut App, kind: MouseEventKind, column: u16, row: u16) {
    app.on_mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    });
}

#[test]
fn a_click_selects_the_row_or_field_under_it_and_the_wheel_scrolls_the_pane_under_it() {
    use crossterm::event::MouseButton;
    let mut app = app_with("../../fixtures/binary.pcap");
    render_to_string(&mut app, 150, 40);
    // Border, header, then rows: the fifth row is at y = 6.
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), 10, 6);
    assert_eq!(app.timeline.selected(), 4);
    key(&mut app, KeyCode::Enter);
    let s = render_to_string(&mut app, 150, 40);
    let l = crate::layout::FrameLayout::new(Rect::new(0, 0, 150, 40), &app);
    let tree = l.details.unwrap().tree;
    // The third line of the field tree.
    mouse(
        &mut app,
        MouseEventKind::Down(MouseButton::Left),
        5,
        tree.y + 3,
    );
    assert_eq!(app.focus, Pane::Details);
    assert_eq!(app.details.selected(), 2, "{s}");
    // The wheel over the list scrolls the list, though the details have the keys.
    mouse(&mut app, MouseEventKind::ScrollDown, 10, 5);
    assert_eq!(app.timeline.selected(), 7);
    assert_eq!(app.focus, Pane::Details);
    // Over the details: their selection.
    mouse(&mut app, MouseEventKind::ScrollDown, 5, tree.y + 2);
    assert_eq!(app.details.selected(), 3);
    // A click on the list gives it the keys.
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), 10, 2);
    assert_eq!(app.focus, Pane::List);
    assert_eq!(app.timeline.selected(), app.timeline.offset());
    // The conversations: a row, and the title switches the table.
    key(&mut app, KeyCode::Char('c'));
    render_to_string(&mut app, 150, 40);
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), 10, 4);
    assert_eq!(app.conversations.as_ref().unwrap().list.selected(), 2);
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), 10, 0);
    assert_eq!(
        app.conversations.as_ref().unwrap().table,
        crate::conversations::Table::Clients
    );
    // The graph: a click moves the cursor there.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('i'));
    render_to_string(&mut app, 150, 40);
    let n = app.iograph.graph().unwrap().len();
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), 149, 10);
    assert!(
        app.iograph.cursor() >= n - 2,
        "{} of {n}",
        app.iograph.cursor()
    );
    mouse(&mut app, MouseEventKind::ScrollUp, 100, 10);
    assert_eq!(app.iograph.cursor(), n - 1 - 3);
}

#[test]
fn the_column_chooser_hides_columns_and_saves_them() {
    let mut app = app_with("../../fixtures/binary.pcap");
    let dir = std::env::temp_dir().join(format!("memshark-cols-{}", std::process::id()));
    let path = dir.join("config.toml");
    app.config_path = Some(path.clone());
    key(&mut app, KeyCode::Char('C'));
    let s = render_to_string(&mut app, 150, 30);
    assert!(s.contains("[x] client"), "{s}");
    // Hide the client (third) and the time (second).
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Enter);
    let s = render_to_string(&mut app, 150, 30);
    assert!(s.contains("[ ] time") && s.contains("[ ] client"), "{s}");
    key(&mut app, KeyCode::Esc);
    assert!(app.chooser.is_none());
    let s = render_to_string(&mut app, 150, 30);
    assert!(
        !s.contains("Client") && !s.contains("Time (") && s.contains("Key"),
        "{s}"
    );
    assert!(
        s.contains("Server"),
        "the room the client left: the server shows"
    );
    let saved = crate::config::load(&path).unwrap();
    assert_eq!(saved.columns, app.columns);
    assert!(app
        .note
        .as_deref()
        .unwrap_or("")
        .starts_with("columns saved"));
    // A broken file: the defaults, and a note.
    std::fs::write(&path, "[timeline\n").unwrap();
    let mut other = App::new(SourceInfo::new("t", false));
    std::env::set_var("XDG_CONFIG_HOME", &dir);
    std::fs::create_dir_all(dir.join("memshark")).unwrap();
    std::fs::write(dir.join("memshark/config.toml"), "columns = oops").unwrap();
    other.load_config();
    std::env::remove_var("XDG_CONFIG_HOME");
    assert_eq!(other.columns, crate::columns::Columns::default());
    assert!(
        other
            .note
            .as_deref()
            .unwrap_or("")
            .starts_with("config ignored"),
        "{:?}",
        other.note
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_followed_connection_takes_in_rows_that_come_later_and_after_a_trim() {
    let mut msgs = Vec::new();
    memshark_traffic::pipeline::dissect_file(
        Path::new("../../fixtures/ascii.pcap"),
        &[11211],
        &mut |_| {},
        &mut |m| {
            msgs.push(m);
            true
        },
    )
    .unwrap();
    let mut app = App::new(SourceInfo::new("live", true));
    let half = msgs.len() / 2;
    for m in &msgs[..half] {
        app.ingest(m);
    }
    app.refresh();
    app.go_to(app.view.len() / 2);
    key(&mut app, KeyCode::Char('F'));
    let flow = app.conversation.as_ref().unwrap().flow;
    let before = app.conversation.as_ref().unwrap().rows.len();
    for m in &msgs[half..] {
        app.ingest(m);
    }
    app.refresh();
    let c = app.conversation.as_ref().unwrap();
    assert_eq!(c.rows, crate::follow::flow_rows(&app.store, flow));
    assert!(c.rows.len() > before);
    // The oldest rows let go: row numbers move, the conversation follows them.
    app.max_rows = Some(40);
    app.refresh();
    let c = app.conversation.as_ref().unwrap();
    assert_eq!(c.rows, crate::follow::flow_rows(&app.store, flow));
    assert!(c.rows.iter().all(|&r| (r as usize) < app.store.len()));
}
