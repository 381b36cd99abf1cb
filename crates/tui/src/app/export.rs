//! Marking rows (`m`, `M`), exporting them or the filtered rows to a capture (`w`), and
//! copying a key or value to the terminal's clipboard (`y`, OSC 52).

use std::path::{Path, PathBuf};

use super::{App, InputKind, Pane};
use crate::pane::FilterInput;

/// The OSC 52 sequence that asks the terminal to put `text` on the clipboard:
/// `ESC ] 52 ; c ; BASE64 BEL`.
pub fn osc52(text: &str) -> Vec<u8> {
    use base64::Engine;
    let mut out = b"\x1b]52;c;".to_vec();
    out.extend_from_slice(
        base64::engine::general_purpose::STANDARD
            .encode(text.as_bytes())
            .as_bytes(),
    );
    out.push(0x07);
    out
}

/// The export file offered for `input`: `NAME-export.pcapng` beside it.
fn default_output(input: &Path) -> PathBuf {
    let stem = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "capture".into());
    let mut stem = stem.as_str();
    for ext in [".gz", ".pcapng", ".pcap", ".cap"] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    input.with_file_name(format!("{stem}-export.pcapng"))
}

impl App {
    /// `m`: marks the selected row, or unmarks it.
    pub fn toggle_mark(&mut self) {
        let Some(row) = self.selected_row() else {
            return;
        };
        if !self.marks.remove(&row) {
            self.marks.insert(row);
        }
        self.note = Some(format!("{} marked", self.marks.len()));
    }

    /// The rows `w` exports: the marked ones if any, else every row the filter shows.
    pub fn export_rows(&self) -> Vec<u32> {
        if self.marks.is_empty() {
            let mut rows = self.view.rows().to_vec();
            rows.sort_unstable();
            rows
        } else {
            let mut rows: Vec<u32> = self.marks.iter().copied().collect();
            rows.sort_unstable();
            rows
        }
    }

    /// `w`: asks for the file to export to (from a capture file only).
    pub fn open_export(&mut self) {
        let Some(input) = &self.source.file else {
            self.note =
                Some("export reads the frames from a capture file: memshark view FILE".into());
            return;
        };
        let text = default_output(input).display().to_string();
        self.input = Some(FilterInput::new(InputKind::Export, text));
    }

    /// Writes the export rows' frames to `output`; the note says what was written.
    pub fn export_to(&mut self, output: &Path) {
        let Some(input) = self.source.file.clone() else {
            return;
        };
        if output.as_os_str().is_empty() {
            self.note = Some("no file name: nothing exported".into());
            return;
        }
        let rows = self.export_rows();
        let n = rows.len();
        self.note = Some(
            match crate::export::write(&self.store, rows, &input, output) {
                Ok(s) => format!(
                    "{n} transactions: {} frames written to {}",
                    s.written,
                    output.display()
                ),
                Err(e) => format!("export failed: {e}"),
            },
        );
    }

    /// `y`: puts the selected transaction's key on the terminal's clipboard, or the value when
    /// the details pane has a value selected.
    pub fn copy_selected(&mut self) {
        let Some(row) = self.selected_row() else {
            return;
        };
        let lines = self.detail_lines();
        let value = (self.focus == Pane::Details)
            .then(|| self.details.selected_in(lines.len()))
            .flatten()
            .map(|i| &lines[i])
            .filter(|d| matches!(d.name.as_str(), "value" | "data block"))
            .map(|d| {
                self.store
                    .bytes(d.msg)
                    .get(d.range.clone())
                    .unwrap_or(&[])
                    .to_vec()
            });
        let (what, bytes) = match value {
            Some(v) => ("value", v),
            None => {
                let Some(t) = self.store.txn(row) else { return };
                ("key", self.store.key(t).to_vec())
            }
        };
        if bytes.is_empty() {
            self.note = Some(format!("no {what} to copy"));
            return;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        self.note = Some(format!("{what} copied ({} bytes)", bytes.len()));
        self.clipboard = Some(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_esc_bracket_52_base64_bel() {
        assert_eq!(osc52("user:1"), b"\x1b]52;c;dXNlcjox\x07");
        assert_eq!(osc52(""), b"\x1b]52;c;\x07");
    }

    #[test]
    fn the_export_file_goes_beside_the_capture() {
        assert_eq!(
            default_output(Path::new("caps/web1.pcap.gz")),
            Path::new("caps/web1-export.pcapng")
        );
        assert_eq!(
            default_output(Path::new("x.pcapng")),
            Path::new("x-export.pcapng")
        );
    }
}
