//! Splitting a filter into tokens, each with its byte offset in the source.

use super::FilterError;

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A bare word: a field name, a keyword, or an unquoted value (`get`, `10.0.0.1:11211`).
    Word(String),
    /// A double-quoted string.
    Str(String),
    /// A number, with the unit written after it (`500us` → (500.0, "us")).
    Num(f64, String, String),
    /// `==`, `!=`, `<`, `<=`, `>`, `>=`, `~`.
    Cmp(&'static str),
    /// `&&`.
    And,
    /// `||`.
    Or,
    /// `!`.
    Not,
    /// `(`.
    Open,
    /// `)`.
    Close,
}

/// A token and where it starts.
pub type Spanned = (Tok, usize);

fn word_char(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(
            c,
            '_' | ':' | '.' | '-' | '/' | '[' | ']' | '*' | '+' | '@' | 'µ'
        )
}

/// Splits `src` into tokens.
pub fn lex(src: &str) -> Result<Vec<Spanned>, FilterError> {
    let mut out = Vec::new();
    let mut it = src.char_indices().peekable();
    while let Some(&(at, c)) = it.peek() {
        if c.is_whitespace() {
            it.next();
            continue;
        }
        let two = src.get(at..at + 2).unwrap_or("");
        let tok = match two {
            "==" | "!=" | "<=" | ">=" | "&&" | "||" => {
                it.next();
                it.next();
                match two {
                    "&&" => Tok::And,
                    "||" => Tok::Or,
                    "==" => Tok::Cmp("=="),
                    "!=" => Tok::Cmp("!="),
                    "<=" => Tok::Cmp("<="),
                    _ => Tok::Cmp(">="),
                }
            }
            _ => match c {
                '<' | '>' | '~' | '!' | '(' | ')' | '=' => {
                    it.next();
                    match c {
                        '<' => Tok::Cmp("<"),
                        '>' => Tok::Cmp(">"),
                        '~' => Tok::Cmp("~"),
                        '!' => Tok::Not,
                        '(' => Tok::Open,
                        ')' => Tok::Close,
                        // A single `=` is taken for `==`, as people type it.
                        _ => Tok::Cmp("=="),
                    }
                }
                '"' => {
                    it.next();
                    let mut s = String::new();
                    let mut closed = false;
                    while let Some((_, c)) = it.next() {
                        match c {
                            '"' => {
                                closed = true;
                                break;
                            }
                            '\\' => match it.next() {
                                Some((_, 'n')) => s.push('\n'),
                                Some((_, 'r')) => s.push('\r'),
                                Some((_, 't')) => s.push('\t'),
                                Some((_, c)) => s.push(c),
                                None => break,
                            },
                            c => s.push(c),
                        }
                    }
                    if !closed {
                        return Err(FilterError::new(at, "this string has no closing quote"));
                    }
                    Tok::Str(s)
                }
                c if word_char(c) => {
                    let mut end = at;
                    while let Some(&(i, c)) = it.peek() {
                        if !word_char(c) {
                            break;
                        }
                        end = i + c.len_utf8();
                        it.next();
                    }
                    number(&src[at..end]).unwrap_or_else(|| Tok::Word(src[at..end].to_string()))
                }
                _ => return Err(FilterError::new(at, format!("unexpected `{c}`"))),
            },
        };
        out.push((tok, at));
    }
    Ok(out)
}

/// `500`, `1.5ms`, `4kb`: digits, an optional fraction, then letters only.
fn number(w: &str) -> Option<Tok> {
    if let Some(hex) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        let v = u64::from_str_radix(hex, 16).ok()?;
        return Some(Tok::Num(v as f64, String::new(), w.to_string()));
    }
    let split = w
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.'))
        .map_or(w.len(), |(i, _)| i);
    let (digits, unit) = w.split_at(split);
    if digits.is_empty() || digits.starts_with('.') || digits.matches('.').count() > 1 {
        return None;
    }
    if !unit.chars().all(|c| c.is_alphabetic()) {
        return None;
    }
    let v: f64 = digits.parse().ok()?;
    Some(Tok::Num(v, unit.to_ascii_lowercase(), w.to_string()))
}
