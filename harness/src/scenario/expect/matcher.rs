//! The small tests an expectation is made of: status patterns and value matchers.

use regex::Regex;
use serde_json::Value;

use super::super::model::CompileError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum StatusPattern {
    Exact(u16),
    Class(u16),
}

impl StatusPattern {
    /// Whether the pattern allows only error statuses (4xx or 5xx).
    pub(super) fn is_refusal(&self) -> bool {
        match self {
            StatusPattern::Exact(code) => *code >= 400,
            StatusPattern::Class(class) => *class >= 4,
        }
    }

    pub(super) fn parse(v: &Value) -> Result<Self, CompileError> {
        match v {
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .filter(|n| (100..600).contains(n))
                .map(StatusPattern::Exact)
                .ok_or_else(|| format!("status `{n}` is not an HTTP status").into()),
            Value::String(s) => {
                let b = s.as_bytes();
                if b.len() == 3
                    && (b'1'..=b'5').contains(&b[0])
                    && s[1..].eq_ignore_ascii_case("xx")
                {
                    Ok(StatusPattern::Class(u16::from(b[0] - b'0')))
                } else {
                    s.parse::<u16>()
                        .ok()
                        .filter(|n| (100..600).contains(n))
                        .map(StatusPattern::Exact)
                        .ok_or_else(|| {
                            format!("status `{s}` is neither a code nor a class like 4xx").into()
                        })
                }
            }
            other => {
                Err(format!("status `{other}` must be a code, a class like 4xx, or a list").into())
            }
        }
    }

    pub(super) fn matches(&self, status: u16) -> bool {
        match self {
            StatusPattern::Exact(s) => *s == status,
            StatusPattern::Class(c) => status / 100 == *c,
        }
    }

    pub(super) fn show(&self) -> String {
        match self {
            StatusPattern::Exact(s) => s.to_string(),
            StatusPattern::Class(c) => format!("{c}xx"),
        }
    }
}

/// A test on one value. A YAML map is an operator matcher (every operator must hold),
/// and a key that is no operator is an error, so that a typo cannot turn into an
/// equality test; `eq: {...}` expects an object. Any other value means equality.
///
/// Absence is explicit: every matcher but `exists: false` fails on an absent value
/// (a missing field, a missing header, a body that is not JSON), the negative ones
/// (`ne`, `not_in`) included, unless the map says `or_absent: true`, which lets an
/// absent value pass and holds a present one to the other operators.
#[derive(Debug, Clone)]
pub(super) enum Matcher {
    Eq(Value),
    Ne(Value),
    In(Vec<Value>),
    NotIn(Vec<Value>),
    Exists(bool),
    Type(String),
    Matches(Regex),
    NumEq(f64),
    Min(f64),
    Max(f64),
    Contains(String),
    StartsWith(String),
    EndsWith(String),
    All(Vec<Matcher>),
    /// `or_absent: true`: an absent value passes; a present one must meet the matcher.
    OrAbsent(Box<Matcher>),
}

const OPERATORS: &[&str] = &[
    "eq",
    "ne",
    "in",
    "not_in",
    "exists",
    "type",
    "matches",
    "num_eq",
    "min",
    "max",
    "contains",
    "starts_with",
    "ends_with",
    "or_absent",
];
const TYPES: &[&str] = &[
    "string", "number", "integer", "boolean", "object", "array", "null",
];

impl Matcher {
    pub(super) fn parse(v: &Value) -> Result<Self, CompileError> {
        let Value::Object(map) = v else {
            return Ok(Matcher::Eq(v.clone()));
        };
        if map.is_empty() {
            return Ok(Matcher::Eq(v.clone()));
        }
        if let Some(unknown) = map.keys().find(|k| !OPERATORS.contains(&k.as_str())) {
            return Err(format!(
                "`{unknown}` is not a matcher operator (one of {}); to expect an object, write `eq: {{...}}`",
                OPERATORS.join(", ")
            )
            .into());
        }
        let mut all = Vec::new();
        let mut or_absent = false;
        for (op, arg) in map {
            if op == "or_absent" {
                or_absent = arg.as_bool().ok_or("`or_absent` takes true or false")?;
                continue;
            }
            if arg.as_str().is_some_and(|t| t.contains("{{")) {
                // An unrendered template (load-time validation): its type is not known yet.
                continue;
            }
            let list = || match arg {
                Value::Array(a) => Ok(a.clone()),
                _ => Err(format!("`{op}` takes a list")),
            };
            let text = || {
                arg.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{op}` takes a string"))
            };
            all.push(match op.as_str() {
                "eq" => Matcher::Eq(arg.clone()),
                "ne" => Matcher::Ne(arg.clone()),
                "in" => Matcher::In(list()?),
                "not_in" => Matcher::NotIn(list()?),
                "exists" => Matcher::Exists(arg.as_bool().ok_or("`exists` takes true or false")?),
                "type" => {
                    let t = text()?;
                    if !TYPES.contains(&t.as_str()) {
                        return Err(
                            format!("`type: {t}`: a type is one of {}", TYPES.join(", ")).into(),
                        );
                    }
                    Matcher::Type(t)
                }
                "matches" => {
                    Matcher::Matches(Regex::new(&text()?).map_err(|e| format!("`matches`: {e}"))?)
                }
                "num_eq" => Matcher::NumEq(as_number(arg).ok_or("`num_eq` takes a number")?),
                "min" => Matcher::Min(as_number(arg).ok_or("`min` takes a number")?),
                "max" => Matcher::Max(as_number(arg).ok_or("`max` takes a number")?),
                "contains" => Matcher::Contains(text()?),
                "starts_with" => Matcher::StartsWith(text()?),
                "ends_with" => Matcher::EndsWith(text()?),
                other => return Err(format!("unknown operator `{other}`").into()),
            });
        }
        if or_absent && map.len() == 1 {
            return Err("`or_absent` needs another operator: alone it passes anything".into());
        }
        if or_absent && map.contains_key("exists") {
            return Err("`or_absent` with `exists` contradicts itself: say one".into());
        }
        let inner = match all.len() {
            0 => Matcher::Exists(true),
            1 => all.remove(0),
            _ => Matcher::All(all),
        };
        Ok(if or_absent {
            Matcher::OrAbsent(Box::new(inner))
        } else {
            inner
        })
    }

    /// A matcher from a rendered template: as [`Matcher::parse`], except that an object
    /// with a key that is no operator is a value to equal (a template that renders an
    /// object, say); the keys of maps written in the file were checked at load time.
    pub(super) fn parse_rendered(v: &Value) -> Result<Self, CompileError> {
        match v {
            Value::Object(map) if map.keys().any(|k| !OPERATORS.contains(&k.as_str())) => {
                Ok(Matcher::Eq(v.clone()))
            }
            _ => Matcher::parse(v),
        }
    }

    /// Whether the matcher wants a value to be absent or not to be something.
    pub(super) fn is_negative(&self) -> bool {
        match self {
            Matcher::Ne(_) | Matcher::NotIn(_) | Matcher::Exists(false) => true,
            Matcher::All(all) => all.iter().all(Matcher::is_negative),
            Matcher::OrAbsent(m) => m.is_negative(),
            _ => false,
        }
    }

    /// [`Matcher::is_negative`] of a matcher still holding a template, as written.
    pub(super) fn written_negative(v: &Value) -> bool {
        match v {
            Value::Object(map) => {
                map.contains_key("ne")
                    || map.contains_key("not_in")
                    || map.get("exists") == Some(&Value::Bool(false))
            }
            _ => false,
        }
    }

    /// Whether `found` (None: absent) satisfies the matcher.
    pub(super) fn test(&self, found: Option<&Value>) -> bool {
        match (self, found) {
            (Matcher::Exists(want), f) => f.is_some() == *want,
            (Matcher::OrAbsent(m), f) => f.is_none() || m.test(f),
            (Matcher::All(ms), f) => ms.iter().all(|m| m.test(f)),
            (_, None) => false,
            (Matcher::Ne(v), Some(f)) => f != v,
            (Matcher::NotIn(vs), Some(f)) => !vs.contains(f),
            (Matcher::Eq(v), Some(f)) => f == v,
            (Matcher::In(vs), Some(f)) => vs.contains(f),
            (Matcher::Type(t), Some(f)) => type_name(f) == t || (t == "number" && f.is_number()),
            (Matcher::Matches(r), Some(f)) => f.as_str().is_some_and(|s| r.is_match(s)),
            (Matcher::NumEq(n), Some(f)) => as_number(f).is_some_and(|x| (x - n).abs() < 1e-9),
            (Matcher::Min(n), Some(f)) => as_number(f).is_some_and(|x| x >= *n),
            (Matcher::Max(n), Some(f)) => as_number(f).is_some_and(|x| x <= *n),
            (Matcher::Contains(s), Some(f)) => f.as_str().is_some_and(|x| x.contains(s.as_str())),
            (Matcher::StartsWith(s), Some(f)) => {
                f.as_str().is_some_and(|x| x.starts_with(s.as_str()))
            }
            (Matcher::EndsWith(s), Some(f)) => f.as_str().is_some_and(|x| x.ends_with(s.as_str())),
        }
    }

    pub(super) fn show(&self) -> String {
        match self {
            Matcher::Eq(v) => format!("== {v}"),
            Matcher::Ne(v) => format!("!= {v}"),
            Matcher::In(vs) => format!("in {}", Value::Array(vs.clone())),
            Matcher::NotIn(vs) => format!("not in {}", Value::Array(vs.clone())),
            Matcher::Exists(true) => "present".into(),
            Matcher::Exists(false) => "absent".into(),
            Matcher::Type(t) => format!("of type {t}"),
            Matcher::Matches(r) => format!("matching /{r}/"),
            Matcher::NumEq(n) => format!("numerically {n}"),
            Matcher::Min(n) => format!(">= {n}"),
            Matcher::Max(n) => format!("<= {n}"),
            Matcher::Contains(s) => format!("containing {s:?}"),
            Matcher::StartsWith(s) => format!("starting with {s:?}"),
            Matcher::EndsWith(s) => format!("ending with {s:?}"),
            Matcher::All(ms) => ms
                .iter()
                .map(Matcher::show)
                .collect::<Vec<_>>()
                .join(" and "),
            Matcher::OrAbsent(m) => format!("absent or {}", m.show()),
        }
    }
}

pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

pub(super) fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
