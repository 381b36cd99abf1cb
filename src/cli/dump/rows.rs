//! Where `dump`'s rows go — lines on a stream, one Parquet file, a partitioned directory — and
//! the two sinks that make rows of a pass: messages as they come, or transactions joined.

use std::io::Write;

use memshark::dissect::Message;
use memshark::dump::{self, DumpFormat};
use memshark::export::{ParquetFile, Partitioned, Table};
use memshark::source::{Progress, Sink};
use memshark::transaction::{self, Joiner, Transaction};

/// Takes rows of type `R`; `Ok(false)` stops the pass (a closed pipe).
pub trait RowOut<R> {
    /// One row.
    fn row(&mut self, row: &R) -> anyhow::Result<bool>;
}

impl<T: Table> RowOut<T::Row> for ParquetFile<T> {
    #[inline]
    fn row(&mut self, row: &T::Row) -> anyhow::Result<bool> {
        self.push(row)?;
        Ok(true)
    }
}

impl<T: Table> RowOut<T::Row> for Partitioned<T> {
    #[inline]
    fn row(&mut self, row: &T::Row) -> anyhow::Result<bool> {
        self.push(row)?;
        Ok(true)
    }
}

/// Lines (jsonl, csv, text), buffered and written in large pieces; a closed pipe stops.
pub struct Lines<W: Write> {
    format: DumpFormat,
    jsonl: dump::JsonlWriter,
    buf: Vec<u8>,
    out: W,
}

impl<W: Write> Lines<W> {
    /// Lines in `format` to `out`, starting with `header` (csv).
    pub fn new(format: DumpFormat, out: W, header: &str) -> Lines<W> {
        let mut buf = Vec::with_capacity(1 << 20);
        buf.extend_from_slice(header.as_bytes());
        Lines {
            format,
            jsonl: dump::JsonlWriter::default(),
            buf,
            out,
        }
    }

    #[inline]
    fn written(&mut self) -> anyhow::Result<bool> {
        if self.buf.len() >= 1 << 19 {
            return Ok(dump::flush_to(&mut self.out, &mut self.buf)?);
        }
        Ok(true)
    }

    /// Writes what is buffered (a closed pipe is no error).
    pub fn close(mut self) -> anyhow::Result<()> {
        if dump::flush_to(&mut self.out, &mut self.buf)? {
            match self.out.flush() {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
                _ => {}
            }
        }
        Ok(())
    }
}

impl<W: Write> RowOut<Message> for Lines<W> {
    #[inline]
    fn row(&mut self, m: &Message) -> anyhow::Result<bool> {
        match self.format {
            DumpFormat::Jsonl => self.jsonl.write(&mut self.buf, m),
            DumpFormat::Csv => dump::csv(&mut self.buf, m),
            DumpFormat::Text => dump::text(&mut self.buf, m),
        }
        self.written()
    }
}

impl<W: Write> RowOut<Transaction> for Lines<W> {
    #[inline]
    fn row(&mut self, t: &Transaction) -> anyhow::Result<bool> {
        match self.format {
            DumpFormat::Csv => transaction::csv(&mut self.buf, t),
            // Text is refused for transactions before the pass starts.
            DumpFormat::Jsonl | DumpFormat::Text => transaction::jsonl(&mut self.buf, t),
        }
        self.written()
    }
}

/// Every message of a pass, one row each.
pub struct MessageRows<'a, O> {
    /// Where rows go.
    pub out: &'a mut O,
    /// The progress line.
    pub progress: &'a super::Progress,
}

impl<O: RowOut<Message>> Sink for MessageRows<'_, O> {
    type Error = anyhow::Error;

    #[inline]
    fn message(&mut self, m: Message) -> anyhow::Result<bool> {
        self.out.row(&m)
    }

    fn progress(&mut self, p: Progress) -> anyhow::Result<bool> {
        self.progress.show(p);
        Ok(true)
    }
}

/// The transactions of a pass, one row each, as requests complete; the ones still waiting
/// at the end of the pass come out last.
pub struct TransactionRows<'a, O> {
    /// Where rows go.
    pub out: &'a mut O,
    /// The progress line.
    pub progress: &'a super::Progress,
    /// The joiner.
    pub joiner: Joiner,
}

impl<O: RowOut<Transaction>> TransactionRows<'_, O> {
    fn put(
        &mut self,
        f: impl FnOnce(&mut Joiner, &mut dyn FnMut(Transaction)),
    ) -> anyhow::Result<bool> {
        let mut go_on = Ok(true);
        let out = &mut *self.out;
        f(&mut self.joiner, &mut |t| {
            if matches!(go_on, Ok(true)) {
                go_on = out.row(&t);
            }
        });
        go_on
    }
}

impl<O: RowOut<Transaction>> Sink for TransactionRows<'_, O> {
    type Error = anyhow::Error;

    #[inline]
    fn message(&mut self, m: Message) -> anyhow::Result<bool> {
        self.put(|j, out| j.push(&m, &mut |t| out(t)))
    }

    fn progress(&mut self, p: Progress) -> anyhow::Result<bool> {
        self.progress.show(p);
        Ok(true)
    }

    fn finish(&mut self, _: &memshark::pipeline::PassStats) -> anyhow::Result<()> {
        self.put(|j, out| j.finish(&mut |t| out(t)))?;
        Ok(())
    }
}
