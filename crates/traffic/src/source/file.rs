//! Capture files into a [`Driver`]: one after another, as one pass, with read progress.

use std::path::PathBuf;

use crate::capture::{CaptureReader, Frame};

use super::{Driver, Progress, Sink, SourceError};

/// Frames between two progress reports.
const PROGRESS_EVERY: u64 = 65_536;

/// Bytes counted per record on top of its data (a pcap record header), for progress.
const RECORD_OVERHEAD: u64 = 16;

/// Reads `paths` in order into `driver`. Frame numbers go on from one file to the next, and
/// reassembly state is kept, so a connection split over files (a rotated recording) stays one.
pub(crate) fn read<S: Sink>(paths: &[PathBuf], driver: &mut Driver<S>) -> Result<(), S::Error> {
    let total = paths
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    let mut progress = Progress { read: 0, total };
    let mut frames_before = 0u64;
    for path in paths {
        if !driver.is_going() {
            break;
        }
        let mut reader = CaptureReader::open(path).map_err(|error| SourceError::Read {
            path: path.clone(),
            error,
        })?;
        let mut failed = None;
        let read = reader.for_each_frame(|frame| {
            progress.read += frame.data.len() as u64 + RECORD_OVERHEAD;
            let frame = Frame {
                number: frames_before + frame.number,
                ..frame
            };
            let answer = if frame.number.is_multiple_of(PROGRESS_EVERY) {
                driver.progress(progress).and_then(|going| {
                    if going {
                        driver.frame(&frame)
                    } else {
                        Ok(false)
                    }
                })
            } else {
                driver.frame(&frame)
            };
            answer.unwrap_or_else(|e| {
                failed = Some(e);
                false
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        let read = read.map_err(|error| SourceError::Read {
            path: path.clone(),
            error,
        })?;
        if read.truncated {
            driver.note_truncated();
        }
        frames_before += read.frames;
    }
    Ok(())
}
