//! The conversations screen's state: which table, the selected row, the order.

use super::TimelinePane;
use crate::conversations::{Column, ConvRow, Conversations, Table};

/// The conversations screen: both tables (computed when the screen opens), the one shown, its
/// selection and scroll, and the order.
#[derive(Debug, Clone)]
pub struct ConversationsPane {
    /// The tables.
    pub data: Conversations,
    /// The table shown.
    pub table: Table,
    /// Selection and scroll (the list's own logic).
    pub list: TimelinePane,
    /// Ordered by this column.
    pub sort: Column,
    /// Largest first.
    pub descending: bool,
}

impl ConversationsPane {
    /// The tables of `data`, connections shown, busiest first.
    pub fn new(mut data: Conversations) -> ConversationsPane {
        data.sort(Column::Requests, true);
        ConversationsPane {
            data,
            table: Table::Connections,
            list: TimelinePane::new(false),
            sort: Column::Requests,
            descending: true,
        }
    }

    /// The rows shown.
    pub fn rows(&self) -> &[ConvRow] {
        self.data.rows(self.table)
    }

    /// The selected row.
    pub fn selected(&self) -> Option<&ConvRow> {
        self.rows().get(self.list.selected())
    }

    /// Tab: the other table, from its top.
    pub fn switch_table(&mut self) {
        self.table = match self.table {
            Table::Connections => Table::Clients,
            Table::Clients => Table::Connections,
        };
        self.list.go_to(0, self.rows().len());
    }

    /// Orders both tables by `col`, from the top.
    pub fn sort_by(&mut self, col: Column, descending: bool) {
        self.sort = col;
        self.descending = descending;
        self.data.sort(col, descending);
        self.list.go_to(0, self.rows().len());
    }

    /// Moves the selection by `delta` rows.
    pub fn move_by(&mut self, delta: isize) {
        let len = self.rows().len();
        self.list.move_by(delta, len);
    }
}
