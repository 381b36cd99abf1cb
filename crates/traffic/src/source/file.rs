//! Capture files into a [`Driver`]: one file, a ring's files one after another, or several
//! recordings merged by time, as one pass, with read progress.

use super::frames::Frames;
use super::{Driver, Recording, Sink};

/// Frames between two progress reports.
pub(crate) const PROGRESS_EVERY: u64 = 65_536;

/// Reads `recordings` into `driver` (merged by time when there are several). Frame numbers
/// go on from one file to the next, and reassembly state is kept, so a connection split over
/// files (a rotated recording) stays one.
pub(crate) fn read<S: Sink>(
    recordings: Vec<Recording>,
    driver: &mut Driver<S>,
) -> Result<(), S::Error> {
    let mut frames = Frames::new(recordings);
    while driver.is_going() {
        let Some(frame) = frames.next()? else {
            break;
        };
        if frame.number.is_multiple_of(PROGRESS_EVERY) && !driver.progress(frames.progress())? {
            break;
        }
        if !driver.shared_frame(&frame)? {
            break;
        }
    }
    if frames.truncated() {
        driver.note_truncated();
    }
    Ok(())
}
