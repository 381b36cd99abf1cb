//! The transaction list's columns, and which are shown (`C` chooses; the config file
//! remembers).

/// A column of the transaction list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The row's number.
    No,
    /// When (relative, absolute or delta).
    Time,
    /// Client address.
    Client,
    /// Server address.
    Server,
    /// Operation.
    Op,
    /// Key.
    Key,
    /// Status.
    Status,
    /// Value size.
    Size,
    /// Latency.
    Latency,
}

impl Column {
    /// Every column, left to right.
    pub const ALL: [Column; 9] = [
        Column::No,
        Column::Time,
        Column::Client,
        Column::Server,
        Column::Op,
        Column::Key,
        Column::Status,
        Column::Size,
        Column::Latency,
    ];

    /// Its name in the config file and the chooser.
    pub fn name(self) -> &'static str {
        match self {
            Column::No => "no",
            Column::Time => "time",
            Column::Client => "client",
            Column::Server => "server",
            Column::Op => "op",
            Column::Key => "key",
            Column::Status => "status",
            Column::Size => "size",
            Column::Latency => "latency",
        }
    }

    /// The column called `name`.
    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == name)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// Which columns are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns(u16);

impl Default for Columns {
    fn default() -> Columns {
        Columns::of(&Column::ALL)
    }
}

impl Columns {
    /// Exactly `cols`.
    pub fn of(cols: &[Column]) -> Columns {
        Columns(cols.iter().fold(0, |m, c| m | c.bit()))
    }

    /// Whether `c` is shown.
    pub fn shows(self, c: Column) -> bool {
        self.0 & c.bit() != 0
    }

    /// Shows `c` if hidden, hides it if shown, unless it is the last one shown.
    pub fn toggle(&mut self, c: Column) {
        let next = self.0 ^ c.bit();
        if next != 0 {
            self.0 = next;
        }
    }

    /// The shown columns, left to right.
    pub fn shown(self) -> impl Iterator<Item = Column> {
        Column::ALL.into_iter().filter(move |&c| self.shows(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggling_keeps_at_least_one_column() {
        let mut c = Columns::of(&[Column::Key]);
        c.toggle(Column::Key);
        assert!(c.shows(Column::Key), "the last one stays");
        c.toggle(Column::Op);
        assert_eq!(c.shown().collect::<Vec<_>>(), [Column::Op, Column::Key]);
        for col in Column::ALL {
            assert_eq!(Column::from_name(col.name()), Some(col));
        }
        assert_eq!(Columns::default().shown().count(), 9);
    }
}
