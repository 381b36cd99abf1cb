//! What the timeline shows: the rows that pass the filter, in the chosen order.

use super::store::{Store, Txn};
use memshark_traffic::filter::{wire, Field, Filter, Subject, Value};

/// A transaction seen through the filter language's fields.
#[derive(Debug, Clone, Copy)]
pub struct TxnFields<'a> {
    /// The store it lives in.
    pub store: &'a Store,
    /// The transaction.
    pub txn: &'a Txn,
}

impl Subject for TxnFields<'_> {
    fn any(&self, field: Field, visit: &mut dyn FnMut(Value<'_>) -> bool) -> bool {
        let (s, t) = (self.store, self.txn);
        match field {
            Field::Op => {
                let op = s.op(t);
                if visit(Value::Str(op.as_bytes())) {
                    return true;
                }
                let last = match s.resp_op(t) {
                    Some(r) if r != op => visit(Value::Str(r.as_bytes())),
                    _ => false,
                };
                // Text answers before the last (a get's `VALUE` lines before `END`): their
                // first word. Binary answers carry the request's opcode.
                last || (t.nresp > 1
                    && t.proto() != memshark_traffic::dissect::Proto::Binary
                    && s.responses(t).any(|(i, _)| {
                        let b = s.bytes(i);
                        let end = b
                            .iter()
                            .position(|&c| c == b' ' || c == b'\r' || c == b'\n')
                            .unwrap_or(b.len());
                        visit(Value::Str(&b[..end]))
                    }))
            }
            Field::Key if t.has(super::store::MULTIKEY) => s.keys(t).any(|k| visit(Value::Str(k))),
            Field::Key => {
                let k = s.key(t);
                !k.is_empty() && visit(Value::Str(k))
            }
            Field::Status => match (t.status(), s.status_name(t)) {
                (Some(code), Some(name)) => visit(Value::Status(code, name)),
                _ => false,
            },
            Field::Latency => t.latency().is_some_and(|l| visit(Value::Num(l))),
            Field::Size => visit(Value::Num(u64::from(t.size))),
            Field::Proto => visit(Value::Str(t.proto().name().as_bytes())),
            Field::Kind => {
                (t.req != super::store::NONE && visit(Value::Str(b"request")))
                    || (t.resp != super::store::NONE && visit(Value::Str(b"response")))
            }
            Field::Client => visit(Value::Addr(s.flow(t).client)),
            Field::Server => visit(Value::Addr(s.flow(t).server)),
            Field::Port => {
                let f = s.flow(t);
                visit(Value::Num(u64::from(f.client.port())))
                    || visit(Value::Num(u64::from(f.server.port())))
            }
            Field::Flow => visit(Value::Num(s.flow(t).conn)),
            // Read from the stored bytes of the request and of each answer.
            Field::Opaque
            | Field::Cas
            | Field::Flags
            | Field::Exptime
            | Field::Vbucket
            | Field::MetaFlag
            | Field::Delta
            | Field::Initial => {
                let proto = t.proto();
                let req = (t.req != super::store::NONE)
                    && wire::values(s.bytes(t.req), proto, field, visit);
                req || s
                    .responses(t)
                    .any(|(i, _)| wire::values(s.bytes(i), proto, field, visit))
            }
        }
    }
}

/// Columns the rows can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Arrival order (the No. column).
    #[default]
    Arrival,
    /// Latency.
    Latency,
    /// Value size.
    Size,
    /// Operation name.
    Op,
    /// Key.
    Key,
    /// Status.
    Status,
    /// Client address.
    Client,
}

impl SortKey {
    /// All, in the order `o` cycles through them.
    pub const ALL: [SortKey; 7] = [
        SortKey::Arrival,
        SortKey::Latency,
        SortKey::Size,
        SortKey::Op,
        SortKey::Key,
        SortKey::Status,
        SortKey::Client,
    ];

    /// The column's name.
    pub fn name(self) -> &'static str {
        match self {
            SortKey::Arrival => "No.",
            SortKey::Latency => "latency",
            SortKey::Size => "size",
            SortKey::Op => "op",
            SortKey::Key => "key",
            SortKey::Status => "status",
            SortKey::Client => "client",
        }
    }

    /// The next one.
    pub fn next(self) -> SortKey {
        let i = SortKey::ALL.iter().position(|&k| k == self).unwrap_or(0);
        SortKey::ALL[(i + 1) % SortKey::ALL.len()]
    }
}

/// The rows that pass the filter, kept up to date as the store grows.
#[derive(Debug, Default)]
pub struct View {
    filter: Filter,
    rows: Vec<u32>,
    /// Store rows already tested against the filter.
    tested: usize,
    sort: SortKey,
    descending: bool,
    /// Rows were added since the last sort.
    unsorted: bool,
}

impl View {
    /// Every row, in arrival order.
    pub fn new() -> View {
        View::default()
    }

    /// The filter in force.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Replaces the filter; rows are re-tested from the start.
    pub fn set_filter(&mut self, filter: Filter, store: &Store) {
        self.filter = filter;
        self.rows.clear();
        self.tested = 0;
        self.catch_up(store);
    }

    /// The order in force.
    pub fn sort(&self) -> (SortKey, bool) {
        (self.sort, self.descending)
    }

    /// Orders the rows by `key`.
    pub fn set_sort(&mut self, key: SortKey, descending: bool, store: &Store) {
        self.sort = key;
        self.descending = descending;
        self.unsorted = true;
        self.resort(store);
    }

    /// Tests the rows the store gained since the last call; returns how many passed.
    pub fn catch_up(&mut self, store: &Store) -> usize {
        let txns = store.txns();
        if self.tested > txns.len() {
            // The store was trimmed: start over.
            self.rows.clear();
            self.tested = 0;
        }
        let before = self.rows.len();
        if self.filter.is_all() {
            self.rows.extend(self.tested as u32..txns.len() as u32);
        } else {
            let todo = &txns[self.tested..];
            let base = self.tested;
            let filter = &self.filter;
            let test = |from: usize, part: &[Txn]| -> Vec<u32> {
                // Each thread its own copy: a regex's scratch space is then never shared.
                let filter = filter.clone();
                part.iter()
                    .enumerate()
                    .filter(|(_, t)| filter.matches(&TxnFields { store, txn: t }))
                    .map(|(i, _)| (from + i) as u32)
                    .collect()
            };
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(8);
            if todo.len() < 50_000 || threads < 2 {
                let found = test(base, todo);
                self.rows.extend(found);
            } else {
                // A new filter over a million rows: every core takes a slice, in order.
                let per = todo.len().div_ceil(threads);
                let parts: Vec<Vec<u32>> = std::thread::scope(|s| {
                    let handles: Vec<_> = todo
                        .chunks(per)
                        .enumerate()
                        .map(|(k, part)| s.spawn(move || test(base + k * per, part)))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_default())
                        .collect()
                });
                for p in parts {
                    self.rows.extend(p);
                }
            }
        }
        self.tested = txns.len();
        let added = self.rows.len() - before;
        if added > 0 && (self.sort != SortKey::Arrival || self.descending) {
            self.unsorted = true;
        }
        added
    }

    /// Sorts again if rows came in since the last sort.
    pub fn resort(&mut self, store: &Store) {
        if !self.unsorted {
            return;
        }
        self.unsorted = false;
        let txns = store.txns();
        let get = |r: &u32| &txns[*r as usize];
        let rows = &mut self.rows;
        match self.sort {
            SortKey::Arrival => rows.sort_unstable(),
            SortKey::Latency => rows.sort_by_key(|r| get(r).latency().map_or(0, |l| l + 1)),
            SortKey::Size => rows.sort_by_key(|r| get(r).size),
            SortKey::Op => rows.sort_by_key(|r| store.op(get(r))),
            SortKey::Key => rows.sort_by(|a, b| store.key(get(a)).cmp(store.key(get(b)))),
            SortKey::Status => {
                rows.sort_by_key(|r| get(r).status().map_or(0, |s| u32::from(s) + 1))
            }
            SortKey::Client => rows.sort_by_key(|r| store.flow(get(r)).client),
        }
        if self.descending {
            rows.reverse();
        }
    }

    /// How many rows pass.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether none pass.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The store row at a position of the view.
    pub fn row(&self, pos: usize) -> Option<u32> {
        self.rows.get(pos).copied()
    }

    /// The store rows, in view order.
    pub fn rows(&self) -> &[u32] {
        &self.rows
    }

    /// The view position of a store row, if it passes.
    pub fn position_of(&self, row: u32) -> Option<usize> {
        if self.sort == SortKey::Arrival && !self.descending {
            self.rows.binary_search(&row).ok()
        } else {
            self.rows.iter().position(|&r| r == row)
        }
    }
}
