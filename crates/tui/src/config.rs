//! The config file: `$XDG_CONFIG_HOME/memshark/config.toml` (else `~/.config/memshark/…`).
//! It holds what the timeline remembers between runs: the columns shown. The theme is
//! memshark's own ([`crate::Theme::default`]) and has no settings yet; they would go here.
//! A missing file is the defaults; a broken one is the defaults and one warning, never a
//! failure.
//!
//! ```toml
//! # memshark settings (the timeline's column chooser, C, writes this file).
//! [timeline]
//! columns = ["no", "time", "client", "op", "key", "status", "latency"]
//! ```

use std::path::{Path, PathBuf};

use crate::columns::{Column, Columns};

/// Why the config file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Reading or writing the file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// Not TOML.
    #[error("{path}: not TOML: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// TOML, but a setting memshark does not understand.
    #[error("{path}: {message}")]
    Setting {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// The settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// The timeline's columns (all, when not set).
    pub columns: Columns,
}

/// Where the config file is: `$XDG_CONFIG_HOME/memshark/config.toml`, else under
/// `$HOME/.config`; none when neither is set.
pub fn path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("memshark").join("config.toml"))
}

/// Parses the file's text (`path` only names it in errors).
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let name = path.display().to_string();
    let doc: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| ConfigError::Syntax {
                path: name.clone(),
                message: e.message().to_string(),
            })?;
    let mut config = Config::default();
    let Some(cols) = doc.get("timeline").and_then(|t| t.get("columns")) else {
        return Ok(config);
    };
    let setting = |message: String| ConfigError::Setting {
        path: name.clone(),
        message,
    };
    let Some(arr) = cols.as_array() else {
        return Err(setting("timeline.columns: a list of column names".into()));
    };
    let mut shown = Vec::new();
    for v in arr.iter() {
        let name = v.as_str().unwrap_or("");
        match Column::from_name(name) {
            Some(c) => shown.push(c),
            None => {
                let known: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
                return Err(setting(format!(
                    "timeline.columns: unknown column {}; columns are {}",
                    v.as_str()
                        .map_or_else(|| "(not a string)".to_string(), |s| format!("{s:?}")),
                    known.join(", ")
                )));
            }
        }
    }
    if !shown.is_empty() {
        config.columns = Columns::of(&shown);
    }
    Ok(config)
}

/// Reads the file at `path`: the defaults when it does not exist.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(source) => Err(ConfigError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// The file's text for `config`.
pub fn render(config: &Config) -> String {
    let cols: Vec<String> = config
        .columns
        .shown()
        .map(|c| format!("\"{}\"", c.name()))
        .collect();
    format!(
        "# memshark settings (the timeline's column chooser, C, writes this file).\n\
         [timeline]\ncolumns = [{}]\n",
        cols.join(", ")
    )
}

/// Writes `config` to `path`, creating its directory.
pub fn save(config: &Config, path: &Path) -> Result<(), ConfigError> {
    let io = |source| ConfigError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(path, render(config)).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_config_reads_back() {
        let c = Config {
            columns: Columns::of(&[Column::No, Column::Op, Column::Key, Column::Latency]),
        };
        let p = Path::new("config.toml");
        assert_eq!(parse(&render(&c), p).unwrap(), c);
        assert_eq!(parse("", p).unwrap(), Config::default());
        assert_eq!(parse("[other]\nx = 1\n", p).unwrap(), Config::default());
    }

    #[test]
    fn broken_files_say_what_is_wrong() {
        let p = Path::new("c.toml");
        let e = parse("[timeline\ncolumns = 3", p).unwrap_err().to_string();
        assert!(e.starts_with("c.toml: not TOML"), "{e}");
        let e = parse("[timeline]\ncolumns = 3", p).unwrap_err().to_string();
        assert!(e.contains("a list of column names"), "{e}");
        let e = parse("[timeline]\ncolumns = [\"op\", \"colour\"]", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown column \"colour\""), "{e}");
    }

    #[test]
    fn files_save_and_load_and_a_missing_one_is_the_defaults() {
        let dir = std::env::temp_dir().join(format!("memshark-config-{}", std::process::id()));
        let p = dir.join("memshark").join("config.toml");
        assert_eq!(load(&p).unwrap(), Config::default());
        let c = Config {
            columns: Columns::of(&[Column::Key]),
        };
        save(&c, &p).unwrap();
        assert_eq!(load(&p).unwrap(), c);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
