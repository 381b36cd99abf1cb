//! What the paths a user names stand for: capture files, directories of them, and the
//! recording proxy's rings (`FILE0`…`FILEn`, named by the base `FILE`).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::capture::{CaptureReader, Timestamp};

use super::Source;

/// Why the named inputs could not be resolved to capture files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// Neither a file, a directory, nor the base name of a ring (`PATH0`, `PATH1`, …).
    #[error("{}: no such file, directory or ring of files ({}0, {}1, …)", .0.display(), .0.display(), .0.display())]
    NotFound(PathBuf),
    /// A directory without capture files in it.
    #[error("{}: no capture files in this directory", .0.display())]
    EmptyDirectory(PathBuf),
    /// A directory could not be listed.
    #[error("listing {}", path.display())]
    List {
        /// The directory.
        path: PathBuf,
        /// What went wrong.
        #[source]
        error: std::io::Error,
    },
    /// Nothing was named.
    #[error("no input named")]
    Nothing,
}

/// One recording: a capture file, or the files of a ring read one after another, oldest first
/// (frame numbers go on, connections carry over from one file to the next).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// The files, in reading order.
    pub files: Vec<PathBuf>,
}

impl Recording {
    /// One file.
    pub fn file(path: impl Into<PathBuf>) -> Recording {
        Recording {
            files: vec![path.into()],
        }
    }
}

/// Resolves the paths a user named into a [`Source`]:
///
/// * a file is a capture (pcap, pcapng, optionally gzipped);
/// * a directory stands for the capture files in it (recognised by their first bytes, not
///   their names), sorted by name; subdirectories are not entered;
/// * a path that does not exist, `FILE`, stands for the ring `FILE0`, `FILE1`, … the recording
///   proxy writes with `--record-size` (and wraps with `--record-files`): one recording, its
///   files read oldest first (by the time of their first frame, then their number).
///
/// One file gives [`Source::File`], one ring [`Source::Files`], anything more
/// [`Source::Merged`]: merged by time as `mergecap` does.
pub fn resolve(paths: &[PathBuf]) -> Result<Source, InputError> {
    let mut recordings = Vec::new();
    for path in paths {
        if path.is_dir() {
            let files = capture_files_in(path)?;
            if files.is_empty() {
                return Err(InputError::EmptyDirectory(path.clone()));
            }
            recordings.extend(files.into_iter().map(Recording::file));
        } else if path.exists() {
            recordings.push(Recording::file(path));
        } else {
            let ring = ring_files(path)?;
            if ring.is_empty() {
                return Err(InputError::NotFound(path.clone()));
            }
            recordings.push(Recording { files: ring });
        }
    }
    Ok(match recordings.len() {
        0 => return Err(InputError::Nothing),
        1 => {
            let mut files = recordings.remove(0).files;
            if files.len() == 1 {
                Source::File(files.remove(0))
            } else {
                Source::Files(files)
            }
        }
        _ => Source::Merged(recordings),
    })
}

/// Whether the file starts like a pcap, pcapng or gzip file.
fn looks_like_capture(path: &Path) -> bool {
    let mut head = [0u8; 4];
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    if f.read_exact(&mut head).is_err() {
        return false;
    }
    matches!(
        head,
        [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x34, 0xcd, 0xb2, 0xa1]
            | [0x0a, 0x0d, 0x0d, 0x0a]
    ) || head[..2] == [0x1f, 0x8b]
}

/// The capture files directly in `dir`, sorted by name (hidden files left out).
fn capture_files_in(dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    let list = |error| InputError::List {
        path: dir.to_path_buf(),
        error,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(list)? {
        let entry = entry.map_err(list)?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && path.is_file() && looks_like_capture(&path) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The files `base0`, `base1`, … that exist, oldest first: by the time of their first frame
/// (a wrapped ring reuses the oldest number), then by number.
fn ring_files(base: &Path) -> Result<Vec<PathBuf>, InputError> {
    let Some(name) = base.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Ok(Vec::new());
    };
    let dir = match base.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut ring = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| InputError::List {
            path: dir.clone(),
            error,
        })?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(digits) = file_name.strip_prefix(name.as_str()) else {
            continue;
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(index) = digits.parse::<u64>() else {
            continue;
        };
        let path = dir.join(&file_name);
        if path.is_file() {
            ring.push((first_frame_time(&path), index, path));
        }
    }
    ring.sort();
    Ok(ring.into_iter().map(|(_, _, p)| p).collect())
}

/// The time of a file's first frame; files without one sort last.
fn first_frame_time(path: &Path) -> Timestamp {
    CaptureReader::open_with_chunk(path, 64 * 1024)
        .ok()
        .and_then(|mut r| r.next_frame().ok().flatten())
        .map_or(Timestamp::from_nanos(u64::MAX), |f| f.ts)
}
