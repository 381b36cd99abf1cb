//! The frames of file sources, in the order a pass reads them: one file, a ring's files one
//! after another, or several recordings merged by time (a heap over one reader per recording,
//! so memory grows with the number of recordings, not their size).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::PathBuf;

use crate::capture::reader::CHUNK;
use crate::capture::{CaptureReader, SharedFrame, Timestamp};

use super::{Progress, Recording, SourceError};

/// Bytes counted per record on top of its data (a pcap record header), for progress.
const RECORD_OVERHEAD: u64 = 16;

/// Reading buffers shared by every open file of a merge: each gets this divided among them
/// (between 64 KiB and [`CHUNK`]).
const MERGE_BUDGET: usize = 64 * 1024 * 1024;

/// One recording's files, read one after another.
#[derive(Debug)]
struct Sequence {
    files: std::vec::IntoIter<PathBuf>,
    current: Option<(PathBuf, CaptureReader)>,
    chunk: usize,
}

impl Sequence {
    /// The recording's next frame (numbered within its file), `None` after its last file.
    fn next(&mut self, truncated: &mut bool) -> Result<Option<SharedFrame>, SourceError> {
        loop {
            if let Some((path, reader)) = &mut self.current {
                match reader.next_frame() {
                    Ok(Some(frame)) => return Ok(Some(frame)),
                    Ok(None) => {
                        *truncated |= reader.stats().truncated;
                        self.current = None;
                    }
                    Err(error) => {
                        return Err(SourceError::Read {
                            path: path.clone(),
                            error,
                        })
                    }
                }
            }
            let Some(path) = self.files.next() else {
                return Ok(None);
            };
            let reader = CaptureReader::open_with_chunk(&path, self.chunk).map_err(|error| {
                SourceError::Read {
                    path: path.clone(),
                    error,
                }
            })?;
            self.current = Some((path, reader));
        }
    }
}

/// The frames of one or more recordings, numbered 1, 2, … in reading order.
#[derive(Debug)]
pub(crate) struct Frames {
    sequences: Vec<Sequence>,
    /// Each sequence's next frame (merges only).
    heads: Vec<Option<SharedFrame>>,
    /// The earliest head: (time, sequence).
    heap: BinaryHeap<Reverse<(Timestamp, usize)>>,
    started: bool,
    number: u64,
    truncated: bool,
    progress: Progress,
}

impl Frames {
    /// The recordings, merged by time when there are several (the earliest frame first; on
    /// equal times, the recording named first).
    pub(crate) fn new(recordings: Vec<Recording>) -> Frames {
        let total = recordings
            .iter()
            .flat_map(|r| &r.files)
            .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
            .sum();
        let chunk = (MERGE_BUDGET / recordings.len().max(1)).clamp(64 * 1024, CHUNK);
        let sequences: Vec<_> = recordings
            .into_iter()
            .map(|r| Sequence {
                files: r.files.into_iter(),
                current: None,
                chunk,
            })
            .collect();
        Frames {
            heads: vec![None; sequences.len()],
            sequences,
            heap: BinaryHeap::new(),
            started: false,
            number: 0,
            truncated: false,
            progress: Progress { read: 0, total },
        }
    }

    /// Whether a file ended inside a record.
    pub(crate) fn truncated(&self) -> bool {
        self.truncated
    }

    /// How far the read is.
    pub(crate) fn progress(&self) -> Progress {
        self.progress
    }

    /// The next frame, `None` at the end of every recording.
    pub(crate) fn next(&mut self) -> Result<Option<SharedFrame>, SourceError> {
        let next = if let [only] = self.sequences.as_mut_slice() {
            only.next(&mut self.truncated)?
        } else {
            self.next_merged()?
        };
        Ok(next.map(|frame| {
            self.number += 1;
            self.progress.read += frame.data.len() as u64 + RECORD_OVERHEAD;
            SharedFrame {
                number: self.number,
                ..frame
            }
        }))
    }

    fn next_merged(&mut self) -> Result<Option<SharedFrame>, SourceError> {
        if !self.started {
            self.started = true;
            for i in 0..self.sequences.len() {
                self.refill(i)?;
            }
        }
        let Some(Reverse((_, i))) = self.heap.pop() else {
            return Ok(None);
        };
        let frame = self.heads.get_mut(i).and_then(Option::take);
        self.refill(i)?;
        Ok(frame)
    }

    /// Reads sequence `i`'s next frame into its head.
    fn refill(&mut self, i: usize) -> Result<(), SourceError> {
        if let Some(sequence) = self.sequences.get_mut(i) {
            if let Some(frame) = sequence.next(&mut self.truncated)? {
                self.heap.push(Reverse((frame.ts, i)));
                self.heads[i] = Some(frame);
            }
        }
        Ok(())
    }
}
