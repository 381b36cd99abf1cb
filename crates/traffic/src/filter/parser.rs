//! Tokens to a checked expression: fields known, operators allowed for the field's type,
//! values of the right kind and unit, regexes compiled.

use regex::bytes::Regex;

use super::lexer::{lex, Spanned, Tok};
use super::{Field, FilterError};

/// How a comparison compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rel {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Rel {
    /// Whether `a REL b`.
    pub fn holds(self, a: u64, b: u64) -> bool {
        match self {
            Rel::Eq => a == b,
            Rel::Ne => a != b,
            Rel::Lt => a < b,
            Rel::Le => a <= b,
            Rel::Gt => a > b,
            Rel::Ge => a >= b,
        }
    }
}

/// What one value of a field is tested with.
#[derive(Debug, Clone)]
pub enum Test {
    /// Equal text (ASCII case-insensitive when `fold`).
    Text {
        /// The literal.
        lit: Vec<u8>,
        /// Compare without regard to ASCII case.
        fold: bool,
    },
    /// Contains the bytes.
    Contains(Vec<u8>),
    /// Matches the regex.
    Regex(Regex),
    /// A number compared with `rel` to the literal (`!=` is expressed as a negated `==`).
    Num(Rel, u64),
}

/// A checked expression.
#[derive(Debug, Clone)]
pub enum Expr {
    /// Matches everything (the empty filter).
    True,
    /// The field has at least one value.
    Exists(Field),
    /// Some value of the field passes the test.
    Any(Field, Test),
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
    /// Not.
    Not(Box<Expr>),
}

struct Parser<'a> {
    toks: Vec<Spanned>,
    at: usize,
    end: usize,
    src: &'a str,
}

/// Parses and checks a filter.
pub fn parse(src: &str) -> Result<Expr, FilterError> {
    let toks = lex(src)?;
    if toks.is_empty() {
        return Ok(Expr::True);
    }
    let mut p = Parser {
        toks,
        at: 0,
        end: src.trim_end().len(),
        src,
    };
    let e = p.or()?;
    if let Some((t, pos)) = p.toks.get(p.at) {
        let what = match t {
            Tok::Close => "a `)` with no `(` before it".to_string(),
            _ => format!("expected `&&` or `||` before {}", describe(t)),
        };
        return Err(FilterError::new(*pos, what));
    }
    Ok(e)
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("`{w}`"),
        Tok::Str(s) => format!("\"{s}\""),
        Tok::Num(_, _, text) => format!("`{text}`"),
        Tok::Cmp(c) => format!("`{c}`"),
        Tok::And => "`&&`".into(),
        Tok::Or => "`||`".into(),
        Tok::Not => "`!`".into(),
        Tok::Open => "`(`".into(),
        Tok::Close => "`)`".into(),
    }
}

fn is_word(t: &Tok, w: &str) -> bool {
    matches!(t, Tok::Word(x) if x.eq_ignore_ascii_case(w))
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(t, _)| t)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.end, |(_, p)| *p)
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut e = self.and()?;
        while matches!(self.peek(), Some(t) if *t == Tok::Or || is_word(t, "or")) {
            self.at += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut e = self.unary()?;
        while matches!(self.peek(), Some(t) if *t == Tok::And || is_word(t, "and")) {
            self.at += 1;
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        match self.peek() {
            Some(t) if *t == Tok::Not || is_word(t, "not") => {
                self.at += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some(Tok::Open) => {
                let open = self.pos();
                self.at += 1;
                let e = self.or()?;
                match self.peek() {
                    Some(Tok::Close) => {
                        self.at += 1;
                        Ok(e)
                    }
                    Some(t) => {
                        let t = describe(t);
                        Err(FilterError::new(
                            self.pos(),
                            format!("expected `)` or `&&`/`||`, found {t}"),
                        ))
                    }
                    None => Err(FilterError::new(open, "this `(` is never closed")),
                }
            }
            _ => self.comparison(),
        }
    }

    fn comparison(&mut self) -> Result<Expr, FilterError> {
        let pos = self.pos();
        let field = match self.toks.get(self.at) {
            Some((Tok::Word(w), _)) => match Field::from_name(w) {
                Some(f) => f,
                None => {
                    return Err(FilterError::new(
                        pos,
                        format!(
                            "unknown field `{w}`; fields are {}",
                            Field::NAMES.join(", ")
                        ),
                    ))
                }
            },
            Some((t, _)) => {
                return Err(FilterError::new(
                    pos,
                    format!("expected a field name, found {}", describe(t)),
                ))
            }
            None => return Err(FilterError::new(pos, "expected a field name")),
        };
        self.at += 1;
        let op_pos = self.pos();
        let op = match self.peek() {
            Some(Tok::Cmp(c)) => *c,
            Some(t) if is_word(t, "contains") => "contains",
            Some(t) if is_word(t, "matches") => "~",
            // A bare field: does it have a value?
            _ => return Ok(Expr::Exists(field)),
        };
        self.at += 1;
        let lit_pos = self.pos();
        let Some((lit, _)) = self.toks.get(self.at).cloned() else {
            return Err(FilterError::new(
                lit_pos,
                format!("expected a value after `{op}`"),
            ));
        };
        if matches!(
            lit,
            Tok::Cmp(_) | Tok::And | Tok::Or | Tok::Not | Tok::Open | Tok::Close
        ) {
            return Err(FilterError::new(
                lit_pos,
                format!("expected a value after `{op}`, found {}", describe(&lit)),
            ));
        }
        self.at += 1;
        let _ = self.src;
        build(field, op, op_pos, lit, lit_pos)
    }
}

fn text_of(lit: &Tok) -> String {
    match lit {
        Tok::Word(w) | Tok::Str(w) => w.clone(),
        Tok::Num(_, _, text) => text.clone(),
        other => describe(other),
    }
}

fn rel(op: &str) -> Option<Rel> {
    Some(match op {
        "==" => Rel::Eq,
        "!=" => Rel::Ne,
        "<" => Rel::Lt,
        "<=" => Rel::Le,
        ">" => Rel::Gt,
        ">=" => Rel::Ge,
        _ => return None,
    })
}

/// "The field has a value, and none equals": `!=` as Wireshark reads it.
fn none_equal(field: Field, eq: Test) -> Expr {
    Expr::And(
        Box::new(Expr::Exists(field)),
        Box::new(Expr::Not(Box::new(Expr::Any(field, eq)))),
    )
}

/// `==` and friends on a number.
fn numeric(field: Field, op: &str, n: u64) -> Expr {
    match rel(op) {
        Some(Rel::Ne) => none_equal(field, Test::Num(Rel::Eq, n)),
        Some(r) => Expr::Any(field, Test::Num(r, n)),
        None => Expr::True,
    }
}

fn textual(
    field: Field,
    op: &str,
    lit: String,
    lit_pos: usize,
    fold: bool,
) -> Result<Expr, FilterError> {
    Ok(match op {
        "==" => Expr::Any(
            field,
            Test::Text {
                lit: lit.into_bytes(),
                fold,
            },
        ),
        "!=" => none_equal(
            field,
            Test::Text {
                lit: lit.into_bytes(),
                fold,
            },
        ),
        "contains" => Expr::Any(field, Test::Contains(lit.into_bytes())),
        "~" => {
            let pattern = if fold { format!("(?i){lit}") } else { lit };
            match Regex::new(&pattern) {
                Ok(r) => Expr::Any(field, Test::Regex(r)),
                Err(e) => {
                    let msg = e.to_string();
                    let last = msg.lines().last().unwrap_or("bad regex").trim().to_string();
                    return Err(FilterError::new(lit_pos, format!("bad regex: {last}")));
                }
            }
        }
        _ => unreachable!("only text operators reach here"),
    })
}

/// A decimal or `0x` hex whole number, exactly.
fn exact(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn build(
    field: Field,
    op: &'static str,
    op_pos: usize,
    lit: Tok,
    lit_pos: usize,
) -> Result<Expr, FilterError> {
    let name = field.name();
    match field {
        Field::Op
        | Field::Key
        | Field::Proto
        | Field::Kind
        | Field::Client
        | Field::Server
        | Field::MetaFlag => {
            if rel(op).is_some_and(|r| !matches!(r, Rel::Eq | Rel::Ne)) {
                return Err(FilterError::new(
                    op_pos,
                    format!("`{name}` is text: use ==, !=, ~ or contains, not `{op}`"),
                ));
            }
            let fold = matches!(field, Field::Op | Field::Proto | Field::Kind);
            textual(field, op, text_of(&lit), lit_pos, fold)
        }
        Field::Status => match &lit {
            Tok::Num(v, unit, text) => {
                if !unit.is_empty() || v.fract() != 0.0 || *v > f64::from(u16::MAX) {
                    return Err(FilterError::new(
                        lit_pos,
                        format!("`{text}` is not a status code"),
                    ));
                }
                if matches!(op, "~" | "contains") {
                    return textual(field, op, text.clone(), lit_pos, true);
                }
                Ok(numeric(field, op, *v as u64))
            }
            _ => {
                if rel(op).is_some_and(|r| !matches!(r, Rel::Eq | Rel::Ne)) {
                    return Err(FilterError::new(
                        op_pos,
                        format!("`{op}` needs a status number, not a name"),
                    ));
                }
                textual(field, op, text_of(&lit), lit_pos, true)
            }
        },
        Field::Latency
        | Field::Size
        | Field::Port
        | Field::Flow
        | Field::Opaque
        | Field::Cas
        | Field::Flags
        | Field::Exptime
        | Field::Vbucket
        | Field::Delta
        | Field::Initial => {
            if matches!(op, "~" | "contains") {
                return Err(FilterError::new(
                    op_pos,
                    format!("`{name}` is a number: use == != < <= > >="),
                ));
            }
            let Tok::Num(v, unit, text) = &lit else {
                let hint = match field {
                    Field::Latency => " with a unit, like 500us or 2ms",
                    Field::Size => ", like 100 or 4kb",
                    _ => "",
                };
                return Err(FilterError::new(
                    lit_pos,
                    format!("`{name}` needs a number{hint}, not {}", describe(&lit)),
                ));
            };
            // Whole numbers without a unit are read exactly (a CAS is 64 bits, beyond f64).
            if unit.is_empty() && field != Field::Latency {
                if let Some(n) = exact(text) {
                    return Ok(numeric(field, op, n));
                }
            }
            let scale = match (field, unit.as_str()) {
                (Field::Latency, "ns") => 1.0,
                (Field::Latency, "us" | "µs" | "μs") => 1e3,
                (Field::Latency, "ms") => 1e6,
                (Field::Latency, "s") => 1e9,
                (Field::Latency, "") if *v == 0.0 => 1.0,
                (Field::Latency, _) => {
                    return Err(FilterError::new(
                        lit_pos,
                        format!("latency needs a unit: ns, us, ms or s (`{text}`)"),
                    ))
                }
                (Field::Size, "" | "b") => 1.0,
                (Field::Size, "k" | "kb" | "kib") => 1024.0,
                (Field::Size, "m" | "mb" | "mib") => 1024.0 * 1024.0,
                (Field::Size, "g" | "gb" | "gib") => 1024.0 * 1024.0 * 1024.0,
                (Field::Size, _) => {
                    return Err(FilterError::new(
                        lit_pos,
                        format!("size units are b, kb, mb, gb (`{text}`)"),
                    ))
                }
                (_, "") if v.fract() == 0.0 => 1.0,
                _ => {
                    return Err(FilterError::new(
                        lit_pos,
                        format!("`{name}` needs a whole number, not `{text}`"),
                    ))
                }
            };
            Ok(numeric(field, op, (v * scale).round() as u64))
        }
    }
}
