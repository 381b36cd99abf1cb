//! TEMPORARY stub (replaced by the helper's module).
#![allow(missing_docs, dead_code)]
use std::net::SocketAddr;
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub pos: usize,
    pub message: String,
}
impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for FilterError {}
impl FilterError {
    pub fn caret_line(&self, _src: &str) -> String {
        format!("{}^", " ".repeat(self.pos))
    }
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Op,
    Key,
    Status,
    Latency,
    Size,
    Proto,
    Kind,
    Client,
    Server,
    Port,
    Flow,
}
pub enum Value<'a> {
    Str(&'a [u8]),
    Num(u64),
    Status(u16, &'a str),
    Addr(SocketAddr),
}
pub trait Subject {
    fn any(&self, field: Field, visit: &mut dyn FnMut(Value<'_>) -> bool) -> bool;
}
#[derive(Clone, Debug, Default)]
pub struct Filter {
    src: String,
}
impl Filter {
    pub fn parse(src: &str) -> Result<Filter, FilterError> {
        if src.trim().is_empty() {
            Ok(Filter::all())
        } else if src.contains("op") {
            Ok(Filter { src: src.into() })
        } else {
            Err(FilterError {
                pos: 0,
                message: "stub".into(),
            })
        }
    }
    pub fn all() -> Filter {
        Filter { src: String::new() }
    }
    pub fn is_all(&self) -> bool {
        self.src.is_empty()
    }
    pub fn source(&self) -> &str {
        &self.src
    }
    pub fn matches<S: Subject + ?Sized>(&self, s: &S) -> bool {
        self.is_all() || s.any(Field::Op, &mut |v| matches!(v, Value::Str(b"get")))
    }
}
impl std::str::FromStr for Filter {
    type Err = FilterError;
    fn from_str(s: &str) -> Result<Filter, FilterError> {
        Filter::parse(s)
    }
}
