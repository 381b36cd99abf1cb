//! The YAML subset twemproxy's configuration is written in, parsed with the line of every node
//! kept, so that each configuration error can name its line.
//!
//! Supported: block mappings and block sequences (nested by indentation with spaces, the
//! sequence under a key indented or not), plain, single- and double-quoted scalars, one-line
//! flow sequences and mappings (`[0.0, 0.1]`, `{pool: b}`), comments, and `---`/`...`
//! document markers. Anything else (anchors, tags, multi-line scalars, several documents) is an
//! error naming the line. twemproxy's own files use only the block forms and quoted scalars.

use std::fmt;

/// A parsed value and the line (1-based) it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub line: usize,
    pub value: Value,
}

/// The kinds of values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// Nothing after `key:`.
    Null,
    /// A scalar, unquoted; `quoted` tells whether it was written in quotes.
    Scalar { text: String, quoted: bool },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order (keys are unique).
    Map(Vec<Entry>),
}

/// One `key: value` of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub line: usize,
    pub value: Node,
}

/// A syntax error and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        line,
        message: message.into(),
    })
}

/// One meaningful line: indentation, content without comment, line number.
#[derive(Debug)]
struct Line<'a> {
    no: usize,
    indent: usize,
    text: &'a str,
}

impl Line<'_> {
    fn is_item(&self) -> bool {
        self.text == "-" || self.text.starts_with("- ")
    }
}

/// Cuts a `#` comment (at the start or after a space, outside quotes) off `text`.
fn strip_comment(text: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev_space = true;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if (c == '"' || c == '\'') && prev_space_or_flow(text, i) => quote = Some(c),
            None if c == '#' && prev_space => return &text[..i],
            None => {}
        }
        prev_space = c == ' ' || c == '\t';
    }
    text
}

/// A quote opens a quoted scalar only at the start of a value.
fn prev_space_or_flow(text: &str, i: usize) -> bool {
    let before = text[..i].trim_end();
    before.is_empty()
        || before.ends_with(':')
        || before.ends_with('-')
        || before.ends_with('[')
        || before.ends_with('{')
        || before.ends_with(',')
}

/// Parses `text` into its root node; `Ok(None)` for a document without content.
pub(crate) fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut lines = Vec::new();
    let mut ended = false;
    for (i, raw) in text.lines().enumerate() {
        let no = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let body = raw.trim_start_matches(' ');
        let indent = raw.len() - body.len();
        if body.starts_with('\t') {
            return err(no, "tab in indentation (YAML indents with spaces)");
        }
        let content = strip_comment(body).trim_end();
        if content.is_empty() {
            continue;
        }
        if ended {
            return err(no, "content after the end of the document (`...`)");
        }
        if indent == 0 && (content == "---" || content.starts_with("--- ")) {
            if !lines.is_empty() {
                return err(no, "several YAML documents in one file");
            }
            if content != "---" {
                return err(no, "content on the `---` line is not supported");
            }
            continue;
        }
        if indent == 0 && content == "..." {
            ended = true;
            continue;
        }
        if indent == 0 && content.starts_with('%') {
            return err(no, "YAML directives are not supported");
        }
        lines.push(Line {
            no,
            indent,
            text: content,
        });
    }
    if lines.is_empty() {
        return Ok(None);
    }
    let mut parser = Parser { lines, at: 0 };
    let indent = parser.lines[0].indent;
    let root = parser.block(indent)?;
    if let Some(line) = parser.peek() {
        return err(line.no, "unexpected indentation");
    }
    Ok(Some(root))
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    at: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Line<'a>> {
        self.lines.get(self.at)
    }

    fn block(&mut self, indent: usize) -> Result<Node, SyntaxError> {
        match self.peek() {
            Some(line) if line.is_item() => self.seq(indent),
            _ => self.map(indent),
        }
    }

    fn map(&mut self, indent: usize) -> Result<Node, SyntaxError> {
        let first = self.lines[self.at].no;
        let mut entries: Vec<Entry> = Vec::new();
        while let Some(line) = self.peek() {
            if line.indent < indent {
                break;
            }
            let no = line.no;
            if line.indent > indent {
                return err(no, "unexpected indentation");
            }
            if line.is_item() {
                return err(no, "a list item where `key: value` was expected");
            }
            let text = line.text;
            let Some((key, rest)) = split_key(text) else {
                return err(no, format!("expected `key: value`, found {text:?}"));
            };
            let key = scalar_text(key, no)?.0;
            if entries.iter().any(|e| e.key == key) {
                return err(no, format!("duplicate key {key:?}"));
            }
            self.at += 1;
            let value = if rest.is_empty() {
                match self.peek() {
                    Some(next) if next.indent > indent => {
                        let child_indent = next.indent;
                        self.block(child_indent)?
                    }
                    Some(next) if next.indent == indent && next.is_item() => self.seq(indent)?,
                    _ => Node {
                        line: no,
                        value: Value::Null,
                    },
                }
            } else {
                inline(rest, no)?
            };
            entries.push(Entry {
                key,
                line: no,
                value,
            });
        }
        Ok(Node {
            line: first,
            value: Value::Map(entries),
        })
    }

    fn seq(&mut self, indent: usize) -> Result<Node, SyntaxError> {
        let first = self.lines[self.at].no;
        let mut items = Vec::new();
        while let Some(line) = self.peek() {
            if line.indent < indent || (line.indent == indent && !line.is_item()) {
                break;
            }
            let no = line.no;
            if line.indent > indent {
                return err(no, "unexpected indentation");
            }
            let rest = line.text[1..].trim_start();
            self.at += 1;
            if rest.is_empty() {
                match self.peek() {
                    Some(next) if next.indent > indent => {
                        let child_indent = next.indent;
                        items.push(self.block(child_indent)?);
                    }
                    _ => items.push(Node {
                        line: no,
                        value: Value::Null,
                    }),
                }
                continue;
            }
            if !rest.starts_with(['"', '\'', '[', '{']) && split_key(rest).is_some() {
                return err(no, "a mapping inside a list is not supported here");
            }
            items.push(inline(rest, no)?);
        }
        Ok(Node {
            line: first,
            value: Value::Seq(items),
        })
    }
}

/// Splits `key: value` (or `key:`) at the first `:` followed by a space or the end, outside
/// quotes.
fn split_key(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if i == 0 && (b == b'"' || b == b'\'') => quote = Some(b),
            None if b == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') => {
                let key = text[..i].trim_end();
                if key.is_empty() {
                    return None;
                }
                return Some((key, text[i + 1..].trim()));
            }
            None => {}
        }
    }
    None
}

/// A scalar as written (plain or quoted) to its text.
fn scalar_text(text: &str, line: usize) -> Result<(String, bool), SyntaxError> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('"') {
        let Some(inner) = inner.strip_suffix('"') else {
            return err(line, "unterminated double-quoted string");
        };
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                if c == '"' {
                    return err(line, "unescaped `\"` inside a double-quoted string");
                }
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('0') => out.push('\0'),
                Some('/') => out.push('/'),
                Some(other) => return err(line, format!("unsupported escape `\\{other}`")),
                None => return err(line, "unterminated double-quoted string"),
            }
        }
        return Ok((out, true));
    }
    if let Some(inner) = text.strip_prefix('\'') {
        let Some(inner) = inner.strip_suffix('\'') else {
            return err(line, "unterminated single-quoted string");
        };
        if inner.replace("''", "").contains('\'') {
            return err(line, "unescaped `'` inside a single-quoted string");
        }
        return Ok((inner.replace("''", "'"), true));
    }
    if let Some(c) = text.chars().next() {
        if matches!(c, '&' | '*' | '!' | '|' | '>' | '@' | '`') {
            return err(
                line,
                format!("`{c}` at the start of a value (anchors, tags, block scalars) is not supported; quote the value"),
            );
        }
    }
    Ok((text.to_string(), false))
}

/// A value written on the line of its key or list dash.
fn inline(text: &str, line: usize) -> Result<Node, SyntaxError> {
    if text.starts_with('[') || text.starts_with('{') {
        let mut flow = Flow { text, pos: 0, line };
        let node = flow.value()?;
        flow.skip_spaces();
        if flow.pos != text.len() {
            return err(line, "unexpected text after a flow collection");
        }
        return Ok(node);
    }
    let (text, quoted) = scalar_text(text, line)?;
    Ok(Node {
        line,
        value: Value::Scalar { text, quoted },
    })
}

/// A one-line flow collection.
struct Flow<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl Flow<'_> {
    fn skip_spaces(&mut self) {
        while self.text[self.pos..].starts_with(' ') {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Result<Node, SyntaxError> {
        self.skip_spaces();
        let rest = &self.text[self.pos..];
        if rest.starts_with('[') {
            self.pos += 1;
            let mut items = Vec::new();
            loop {
                self.skip_spaces();
                if self.text[self.pos..].starts_with(']') {
                    self.pos += 1;
                    break;
                }
                items.push(self.value()?);
                self.skip_spaces();
                match self.text[self.pos..].chars().next() {
                    Some(',') => self.pos += 1,
                    Some(']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return err(self.line, "expected `,` or `]` in a flow list"),
                }
            }
            return Ok(Node {
                line: self.line,
                value: Value::Seq(items),
            });
        }
        if rest.starts_with('{') {
            self.pos += 1;
            let mut entries: Vec<Entry> = Vec::new();
            loop {
                self.skip_spaces();
                if self.text[self.pos..].starts_with('}') {
                    self.pos += 1;
                    break;
                }
                let key = self.scalar(&[':'])?;
                if !self.text[self.pos..].starts_with(':') {
                    return err(self.line, "expected `:` after a key in a flow mapping");
                }
                self.pos += 1;
                let value = self.value()?;
                let key = match key.value {
                    Value::Scalar { text, .. } => text,
                    _ => return err(self.line, "a flow mapping key must be a scalar"),
                };
                if entries.iter().any(|e| e.key == key) {
                    return err(self.line, format!("duplicate key {key:?}"));
                }
                entries.push(Entry {
                    key,
                    line: self.line,
                    value,
                });
                self.skip_spaces();
                match self.text[self.pos..].chars().next() {
                    Some(',') => self.pos += 1,
                    Some('}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return err(self.line, "expected `,` or `}` in a flow mapping"),
                }
            }
            return Ok(Node {
                line: self.line,
                value: Value::Map(entries),
            });
        }
        self.scalar(&[',', ']', '}'])
    }

    /// A scalar inside a flow collection, ending before one of `stops` (or its closing quote).
    fn scalar(&mut self, stops: &[char]) -> Result<Node, SyntaxError> {
        self.skip_spaces();
        let rest = &self.text[self.pos..];
        let len = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => match rest[1..].find(q) {
                Some(end) => end + 2,
                None => return err(self.line, "unterminated quoted string"),
            },
            _ => rest
                .find(|c: char| stops.contains(&c) || matches!(c, ',' | ']' | '}'))
                .unwrap_or(rest.len()),
        };
        let (text, quoted) = scalar_text(&rest[..len], self.line)?;
        self.pos += len;
        Ok(Node {
            line: self.line,
            value: Value::Scalar { text, quoted },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(n: &Node) -> &str {
        match &n.value {
            Value::Scalar { text, .. } => text,
            other => panic!("not a scalar: {other:?}"),
        }
    }

    fn map(n: &Node) -> &[Entry] {
        match &n.value {
            Value::Map(e) => e,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn twemproxy_shapes() {
        let text = "# pools\nalpha:\n  listen: 127.0.0.1:22121  # here\n  hash_tag: \"{}\"\n  servers:\n   - 127.0.0.1:11211:1 one\n   - '127.0.0.1:11212:1'\n  other:\n  - a\n  key_fraction: [0.0, 0.1]\n  shadow: {pool: beta, key_fraction: [0, 1]}\n";
        let root = parse(text).unwrap().unwrap();
        let pools = map(&root);
        assert_eq!(pools[0].key, "alpha");
        assert_eq!(pools[0].line, 2);
        let alpha = map(&pools[0].value);
        assert_eq!(scalar(&alpha[0].value), "127.0.0.1:22121");
        assert_eq!(scalar(&alpha[1].value), "{}");
        let Value::Seq(servers) = &alpha[2].value.value else {
            panic!()
        };
        assert_eq!(scalar(&servers[0]), "127.0.0.1:11211:1 one");
        assert_eq!(servers[1].line, 7);
        assert_eq!(scalar(&servers[1]), "127.0.0.1:11212:1");
        let Value::Seq(other) = &alpha[3].value.value else {
            panic!()
        };
        assert_eq!(scalar(&other[0]), "a");
        let Value::Seq(range) = &alpha[4].value.value else {
            panic!()
        };
        assert_eq!(range.len(), 2);
        let shadow = map(&alpha[5].value);
        assert_eq!(scalar(&shadow[0].value), "beta");
    }

    #[test]
    fn errors_name_their_line() {
        let cases = [
            ("a:\n  b: 1\n    c: 2\n", 3),
            ("a:\n\tb: 1\n", 2),
            ("a:\n  b: 1\n  b: 2\n", 3),
            ("a:\n  just text\n", 2),
            ("a:\n  b: \"open\n", 2),
            ("a:\n  b: [1, 2\n", 2),
            ("a:\n  b: &anchor x\n", 2),
            ("a:\n  - x\n  c: 1\n", 3),
        ];
        for (text, line) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
        }
        assert_eq!(parse("# nothing\n\n").unwrap(), None);
    }
}
