//! Expectations: on an answer's status, headers and JSON, on a request a mock peer
//! received, or on a computed value. Each mismatch says what was expected and found.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use regex::Regex;
use serde_json::{json, Map, Value};
use serde_json_path::JsonPath;

use super::model::CompileError;
use super::template::{has_template, is_template, TemplateError, Templates, Text};

/// What an expectation is checked against.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    /// Answer status.
    pub status: Option<u16>,
    /// Request method.
    pub method: Option<&'a str>,
    /// Request path.
    pub path: Option<&'a str>,
    /// Headers, names lower case.
    pub headers: &'a [(String, String)],
    /// Body as JSON, if it is JSON.
    pub json: Option<&'a Value>,
    /// Body as text (for messages).
    pub text: &'a str,
    /// How long the answer took.
    pub elapsed: Option<Duration>,
}

impl Subject<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn body_summary(&self) -> String {
        match self.json {
            Some(j) => truncate(&j.to_string()),
            None if self.text.is_empty() => "an empty body".into(),
            None => format!("non-JSON body `{}`", truncate(self.text)),
        }
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 300 {
        format!("{}…", s.chars().take(300).collect::<String>())
    } else {
        s.to_string()
    }
}

/// One unmet expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// What was expected, e.g. `$.keyValid == false`.
    pub expected: String,
    /// What was found.
    pub actual: String,
}

/// A compiled expectation. Parts holding no template are compiled once (regexes, JSON
/// paths, JSON Schema validators); templated parts are kept as holes, rendered and
/// compiled when checked.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    status: Option<Slot<Vec<StatusPattern>>>,
    content_type: Option<Slot<String>>,
    headers: Vec<(Text, Slot<Matcher>)>,
    json: Vec<(PathKey, Slot<Matcher>)>,
    schema: Option<Slot<Schema>>,
    method: Option<Slot<String>>,
    path: Option<Slot<Matcher>>,
    any_of: Vec<Expect>,
    max_seconds: Option<Slot<f64>>,
}

/// A named, compiled JSON Schema.
type Schema = (String, Arc<jsonschema::Validator>);

/// A part of an expectation: compiled, or a template compiled once rendered.
#[derive(Debug, Clone)]
enum Slot<T> {
    Fixed(T),
    Hole(Value),
}

impl<T: Clone> Slot<T> {
    /// `parse`d now when `v` holds no template; otherwise a hole, checked now by
    /// `validate` as far as it can be before rendering.
    fn compile(
        v: &Value,
        parse: impl Fn(&Value) -> Result<T, CompileError>,
        validate: impl FnOnce(&Value) -> Result<(), CompileError>,
    ) -> Result<Self, CompileError> {
        if has_template(v) {
            validate(v)?;
            Ok(Slot::Hole(v.clone()))
        } else {
            parse(v).map(Slot::Fixed)
        }
    }

    fn is_hole(&self) -> bool {
        matches!(self, Slot::Hole(_))
    }

    fn get<'a>(
        &'a self,
        scope: &Scope<'_>,
        parse: impl Fn(&Value) -> Result<T, CompileError>,
    ) -> Result<Cow<'a, T>, CheckError> {
        match self {
            Slot::Fixed(t) => Ok(Cow::Borrowed(t)),
            Slot::Hole(v) => {
                let rendered = scope.templates.render(v, scope.vars)?;
                Ok(Cow::Owned(parse(&rendered)?))
            }
        }
    }
}

/// A JSON path key of `expect.json`: parsed, or a template parsed once rendered.
#[derive(Debug, Clone)]
enum PathKey {
    Fixed(String, JsonPath),
    Hole(String),
}

/// What templated parts of an expectation are rendered with.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The template environment.
    pub templates: &'a Templates,
    /// The variables.
    pub vars: &'a Map<String, Value>,
}

/// Why an expectation could not be checked: a template did not render, or its
/// rendered text is not a valid expectation.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A template did not render.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The rendered expectation does not compile.
    #[error(transparent)]
    Compile(#[from] CompileError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum StatusPattern {
    Exact(u16),
    Class(u16),
}

impl StatusPattern {
    fn parse(v: &Value) -> Result<Self, CompileError> {
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

    fn matches(&self, status: u16) -> bool {
        match self {
            StatusPattern::Exact(s) => *s == status,
            StatusPattern::Class(c) => status / 100 == *c,
        }
    }

    fn show(&self) -> String {
        match self {
            StatusPattern::Exact(s) => s.to_string(),
            StatusPattern::Class(c) => format!("{c}xx"),
        }
    }
}

/// A test on one value. A YAML map whose keys are all operator names is an operator
/// matcher (every operator must hold); any other value means equality.
#[derive(Debug, Clone)]
enum Matcher {
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
];
const TYPES: &[&str] = &[
    "string", "number", "integer", "boolean", "object", "array", "null",
];

impl Matcher {
    fn parse(v: &Value) -> Result<Self, CompileError> {
        let Value::Object(map) = v else {
            return Ok(Matcher::Eq(v.clone()));
        };
        if map.is_empty() || !map.keys().all(|k| OPERATORS.contains(&k.as_str())) {
            return Ok(Matcher::Eq(v.clone()));
        }
        let mut all = Vec::new();
        for (op, arg) in map {
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
                        return Err(format!("`type` must be one of {}", TYPES.join(", ")).into());
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
        Ok(match all.len() {
            0 => Matcher::Exists(true),
            1 => all.remove(0),
            _ => Matcher::All(all),
        })
    }

    /// Whether `found` (None: absent) satisfies the matcher.
    fn test(&self, found: Option<&Value>) -> bool {
        match (self, found) {
            (Matcher::Exists(want), f) => f.is_some() == *want,
            (Matcher::Ne(v), f) => f != Some(v),
            (Matcher::NotIn(vs), f) => f.is_none_or(|f| !vs.contains(f)),
            (Matcher::All(ms), f) => ms.iter().all(|m| m.test(f)),
            (_, None) => false,
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

    fn show(&self) -> String {
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
        }
    }
}

fn type_name(v: &Value) -> &'static str {
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

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn show(found: Option<&Value>) -> String {
    match found {
        None => "absent".into(),
        Some(v) => truncate(&v.to_string()),
    }
}

/// Named schemas scenarios may cite by name.
pub fn named_schema(name: &str) -> Option<Value> {
    Some(match name {
        "ConfirmActivationKeyResponse" => json!({
            "type": "object",
            "required": ["keyValid"],
            "properties": {"keyValid": {"type": "boolean"}}
        }),
        "ErrorObject" => json!({"type": "object", "minProperties": 1}),
        // ON-API 2.5 Activation Notice as PROTOCOLS.md §3 constrains it.
        "ActivationNotice" => json!({
            "type": "object",
            "required": ["coAccessId", "orderDateTime", "requestedDateTime", "products", "customerDetails"],
            "properties": {
                "coId": {"anyOf": [{"$ref": "#/$defs/id"}, {"type": "null"}]},
                "coOrderId": {"anyOf": [{"$ref": "#/$defs/id"}, {"type": "null"}]},
                "coAccessId": {"$ref": "#/$defs/id"},
                "orderDateTime": {"$ref": "#/$defs/dateTime"},
                "requestedDateTime": {"$ref": "#/$defs/dateTime"},
                "products": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["productId", "offeringId", "coProduct", "coSubscriptionId"],
                        "properties": {
                            "productId": {"$ref": "#/$defs/id"},
                            "offeringId": {"$ref": "#/$defs/id"},
                            "coProduct": {"anyOf": [
                                {"$ref": "#/$defs/text"},
                                {"type": "array", "items": {"$ref": "#/$defs/text"}}
                            ]},
                            "coSubscriptionId": {"$ref": "#/$defs/id"}
                        }
                    }
                },
                "customerDetails": {"type": "object"}
            },
            "$defs": {
                "id": {"type": "string", "pattern": "^[-0-9a-zA-Z.]{1,36}$"},
                "dateTime": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,4})?Z$"},
                "text": {"type": "string", "maxLength": 255}
            }
        }),
        _ => return None,
    })
}

const FIELDS: &[&str] = &[
    "status",
    "content_type",
    "headers",
    "json",
    "schema",
    "method",
    "path",
    "any_of",
    "max_seconds",
];

fn status_list(v: &Value) -> Result<Vec<StatusPattern>, CompileError> {
    match v {
        Value::Array(items) => items.iter().map(StatusPattern::parse).collect(),
        one => Ok(vec![StatusPattern::parse(one)?]),
    }
}

fn content_type(v: &Value) -> Result<String, CompileError> {
    Ok(v.as_str()
        .ok_or("expect.content_type must be a string")?
        .to_string())
}

fn method(v: &Value) -> Result<String, CompileError> {
    Ok(v.as_str()
        .ok_or("expect.method must be a string")?
        .to_ascii_uppercase())
}

fn max_seconds(v: &Value) -> Result<f64, CompileError> {
    Ok(v.as_f64().ok_or("expect.max_seconds must be a number")?)
}

fn schema(v: &Value) -> Result<Schema, CompileError> {
    let (name, schema) = match v {
        Value::String(name) => (
            name.clone(),
            named_schema(name).ok_or_else(|| format!("expect.schema: no schema named `{name}`"))?,
        ),
        inline => ("inline schema".to_string(), inline.clone()),
    };
    let validator =
        jsonschema::validator_for(&schema).map_err(|err| format!("expect.schema: {err}"))?;
    Ok((name, Arc::new(validator)))
}

fn json_path(path: &str) -> Result<JsonPath, CompileError> {
    JsonPath::parse(path)
        .map_err(|err| format!("expect.json: `{path}` is not a JSON path: {err}").into())
}

/// A matcher parser whose errors are prefixed with `at`.
fn matcher(at: String) -> impl Fn(&Value) -> Result<Matcher, CompileError> {
    move |v| Matcher::parse(v).map_err(|m| format!("{at}: {m}").into())
}

/// Load-time check of a templated string field: fine while it is a string.
fn template_or(
    parse: fn(&Value) -> Result<(), CompileError>,
) -> impl Fn(&Value) -> Result<(), CompileError> {
    move |v| {
        if v.as_str().is_some() {
            Ok(())
        } else {
            parse(v)
        }
    }
}

impl Expect {
    /// Compiles an expectation as written: its fixed parts now, its templated parts
    /// once rendered (they are checked now as far as they can be).
    pub fn compile(v: &Value) -> Result<Self, CompileError> {
        let Value::Object(map) = v else {
            return Err("expect must be a map".into());
        };
        if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(format!(
                "expect: unknown field `{unknown}` (fields: {})",
                FIELDS.join(", ")
            )
            .into());
        }
        let mut e = Expect::default();
        if let Some(s) = map.get("status") {
            e.status = Some(Slot::compile(
                s,
                status_list,
                template_or(|v| status_list(v).map(drop)),
            )?);
        }
        if let Some(ct) = map.get("content_type") {
            e.content_type = Some(Slot::compile(ct, content_type, |v| {
                content_type(v).map(drop)
            })?);
        }
        if let Some(h) = map.get("headers") {
            let h = h.as_object().ok_or("expect.headers must be a map")?;
            for (k, v) in h {
                let name = if is_template(k) {
                    Text::Template(k.clone())
                } else {
                    Text::Fixed(k.to_ascii_lowercase())
                };
                let parse = matcher(format!("expect.headers.{k}"));
                e.headers
                    .push((name, Slot::compile(v, &parse, |v| parse(v).map(drop))?));
            }
        }
        if let Some(j) = map.get("json") {
            let j = j
                .as_object()
                .ok_or("expect.json must be a map of JSON path to value")?;
            for (path, v) in j {
                let key = if path.contains("{{") {
                    // Checked once rendered.
                    PathKey::Hole(path.clone())
                } else {
                    PathKey::Fixed(path.clone(), json_path(path)?)
                };
                let parse = matcher(format!("expect.json.{path}"));
                e.json
                    .push((key, Slot::compile(v, &parse, |v| parse(v).map(drop))?));
            }
        }
        if let Some(s) = map.get("schema") {
            e.schema = Some(Slot::compile(s, schema, |_| Ok(()))?);
        }
        if let Some(m) = map.get("method") {
            e.method = Some(Slot::compile(m, method, |v| method(v).map(drop))?);
        }
        if let Some(p) = map.get("path") {
            let parse = matcher("expect.path".into());
            e.path = Some(Slot::compile(p, &parse, |v| parse(v).map(drop))?);
        }
        if let Some(a) = map.get("any_of") {
            let a = a.as_array().ok_or("expect.any_of must be a list")?;
            e.any_of = a.iter().map(Expect::compile).collect::<Result<_, _>>()?;
        }
        if let Some(m) = map.get("max_seconds") {
            e.max_seconds = Some(Slot::compile(
                m,
                max_seconds,
                template_or(|v| max_seconds(v).map(drop)),
            )?);
        }
        Ok(e)
    }

    /// Every unmet expectation (empty when all hold); templated parts are rendered in
    /// `scope` first.
    pub fn check(&self, s: &Subject<'_>, scope: Scope<'_>) -> Result<Vec<Mismatch>, CheckError> {
        let mut out = Vec::new();
        if let Some(status) = &self.status {
            let status = status.get(&scope, status_list)?;
            if !status.is_empty() {
                let ok = s
                    .status
                    .is_some_and(|st| status.iter().any(|p| p.matches(st)));
                if !ok {
                    out.push(Mismatch {
                        expected: format!(
                            "status {}",
                            status
                                .iter()
                                .map(StatusPattern::show)
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                        actual: match s.status {
                            Some(st) => format!("status {st} with {}", s.body_summary()),
                            None => "no status".into(),
                        },
                    });
                }
            }
        }
        if let Some(ct) = &self.content_type {
            let ct = ct.get(&scope, content_type)?;
            let found = s.header("content-type");
            let media = found.map(|f| {
                f.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
            if media.as_deref() != Some(ct.to_ascii_lowercase().as_str()) {
                out.push(Mismatch {
                    expected: format!("Content-Type {ct}"),
                    actual: found.map_or("no Content-Type".into(), |f| format!("Content-Type {f}")),
                });
            }
        }
        for (name, m) in &self.headers {
            let (name, m) = match name {
                Text::Fixed(n) => (
                    n.clone(),
                    m.get(&scope, matcher(format!("expect.headers.{n}")))?,
                ),
                Text::Template(t) => {
                    let k = scope.templates.render_str(t, scope.vars)?;
                    let m = m.get(&scope, matcher(format!("expect.headers.{k}")))?;
                    (k.to_ascii_lowercase(), m)
                }
            };
            let found = s.header(&name).map(|v| Value::String(v.to_string()));
            if !m.test(found.as_ref()) {
                out.push(Mismatch {
                    expected: format!("header {name} {}", m.show()),
                    actual: format!("header {name} {}", show(found.as_ref())),
                });
            }
        }
        if let Some(want) = &self.method {
            let want = want.get(&scope, method)?;
            if s.method != Some(want.as_str()) {
                out.push(Mismatch {
                    expected: format!("method {want}"),
                    actual: format!("method {}", s.method.unwrap_or("none")),
                });
            }
        }
        if let Some(m) = &self.path {
            let m = m.get(&scope, matcher("expect.path".into()))?;
            let found = s.path.map(|p| Value::String(p.to_string()));
            if !m.test(found.as_ref()) {
                out.push(Mismatch {
                    expected: format!("path {}", m.show()),
                    actual: format!("path {}", show(found.as_ref())),
                });
            }
        }
        for (key, m) in &self.json {
            let rendered;
            let (text, path) = match key {
                PathKey::Fixed(text, path) => (text.as_str(), Cow::Borrowed(path)),
                PathKey::Hole(t) => {
                    rendered = scope.templates.render_str(t, scope.vars)?;
                    (rendered.as_str(), Cow::Owned(json_path(&rendered)?))
                }
            };
            let m = m.get(&scope, matcher(format!("expect.json.{text}")))?;
            let found = match s.json {
                None => None,
                Some(j) => {
                    let nodes = path.query(j).all();
                    match nodes.len() {
                        0 => None,
                        1 => Some(nodes[0].clone()),
                        _ => Some(Value::Array(nodes.into_iter().cloned().collect())),
                    }
                }
            };
            if !m.test(found.as_ref()) {
                let actual = match (s.json, &found) {
                    (None, _) => format!("{text} unavailable: {}", s.body_summary()),
                    (Some(_), None) => format!("{text} absent in {}", s.body_summary()),
                    (Some(_), Some(v)) => format!("{text} == {}", show(Some(v))),
                };
                out.push(Mismatch {
                    expected: format!("{text} {}", m.show()),
                    actual,
                });
            }
        }
        if let Some(slot) = &self.schema {
            let compiled = slot.get(&scope, schema)?;
            let (name, validator) = compiled.as_ref();
            match s.json {
                None => out.push(Mismatch {
                    expected: format!("a JSON body matching {name}"),
                    actual: s.body_summary(),
                }),
                Some(j) => {
                    let errors: Vec<String> = validator
                        .iter_errors(j)
                        .map(|e| {
                            let at = e.instance_path().to_string();
                            format!("{} {e}", if at.is_empty() { "/".into() } else { at })
                        })
                        .collect();
                    if !errors.is_empty() {
                        out.push(Mismatch {
                            expected: format!("body matching {name}"),
                            actual: format!("{}: {}", errors.join("; "), truncate(&j.to_string())),
                        });
                    }
                }
            }
        }
        if let (Some(max), Some(took)) = (&self.max_seconds, s.elapsed) {
            let max = *max.get(&scope, max_seconds)?;
            if took.as_secs_f64() > max {
                out.push(Mismatch {
                    expected: format!("an answer within {max} s"),
                    actual: format!("answered after {:.2} s", took.as_secs_f64()),
                });
            }
        }
        if !self.any_of.is_empty() {
            let results: Vec<Vec<Mismatch>> = self
                .any_of
                .iter()
                .map(|e| e.check(s, scope))
                .collect::<Result<_, _>>()?;
            if results.iter().all(|r| !r.is_empty()) {
                out.push(Mismatch {
                    expected: format!(
                        "any of: {}",
                        results
                            .iter()
                            .map(|r| r
                                .iter()
                                .map(|m| m.expected.clone())
                                .collect::<Vec<_>>()
                                .join(", "))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    ),
                    actual: results
                        .iter()
                        .flat_map(|r| r.iter().map(|m| m.actual.clone()))
                        .collect::<Vec<_>>()
                        .join("; "),
                });
            }
        }
        Ok(out)
    }

    /// Whether any part is a template (rendered and compiled at each check).
    pub fn has_holes(&self) -> bool {
        self.status.as_ref().is_some_and(Slot::is_hole)
            || self.content_type.as_ref().is_some_and(Slot::is_hole)
            || self
                .headers
                .iter()
                .any(|(k, m)| matches!(k, Text::Template(_)) || m.is_hole())
            || self
                .json
                .iter()
                .any(|(k, m)| matches!(k, PathKey::Hole(_)) || m.is_hole())
            || self.schema.as_ref().is_some_and(Slot::is_hole)
            || self.method.as_ref().is_some_and(Slot::is_hole)
            || self.path.as_ref().is_some_and(Slot::is_hole)
            || self.max_seconds.as_ref().is_some_and(Slot::is_hole)
            || self.any_of.iter().any(Expect::has_holes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(e: &Expect, s: &Subject<'_>) -> Vec<Mismatch> {
        check_with(e, s, &Map::new())
    }

    fn check_with(e: &Expect, s: &Subject<'_>, vars: &Map<String, Value>) -> Vec<Mismatch> {
        let templates = Templates::new(|_| {});
        e.check(
            s,
            Scope {
                templates: &templates,
                vars,
            },
        )
        .expect("checks")
    }

    fn subject<'a>(status: u16, headers: &'a [(String, String)], body: &'a Value) -> Subject<'a> {
        Subject {
            status: Some(status),
            headers,
            json: Some(body),
            ..Subject::default()
        }
    }

    #[test]
    fn status_json_and_schema() {
        let e = Expect::compile(&json!({
            "status": [200, "2xx"],
            "content_type": "application/json",
            "json": {"$.keyValid": false, "$.state": {"in": ["A", "B"]}, "$.x": {"exists": false}},
            "schema": "ConfirmActivationKeyResponse"
        }))
        .expect("parses");
        let headers = vec![(
            "content-type".to_string(),
            "application/json; charset=utf-8".to_string(),
        )];
        let body = json!({"keyValid": false, "state": "B"});
        assert!(check(&e, &subject(200, &headers, &body)).is_empty());
        let bad = json!({"keyValid": "false", "state": "C", "x": 1});
        let mismatches = check(&e, &subject(201, &[], &bad));
        let expected: Vec<_> = mismatches.iter().map(|m| m.expected.as_str()).collect();
        assert_eq!(
            expected,
            [
                "Content-Type application/json",
                "$.keyValid == false",
                "$.state in [\"A\",\"B\"]",
                "$.x absent",
                "body matching ConfirmActivationKeyResponse"
            ]
        );
        assert!(mismatches[1].actual.contains("\"false\""));
    }

    #[test]
    fn any_of_passes_when_one_branch_holds() {
        let e = Expect::compile(
            &json!({"any_of": [{"status": 400}, {"status": 200, "json": {"$.keyValid": false}}]}),
        )
        .expect("ok");
        assert!(check(&e, &subject(400, &[], &json!({}))).is_empty());
        assert!(check(&e, &subject(200, &[], &json!({"keyValid": false}))).is_empty());
        let m = check(&e, &subject(200, &[], &json!({"keyValid": true})));
        assert_eq!(m.len(), 1);
        assert!(m[0].actual.contains("$.keyValid == true"), "{m:?}");
    }

    #[test]
    fn bad_expectations_are_refused() {
        assert!(Expect::compile(&json!({"statsu": 200}))
            .expect_err("typo")
            .0
            .contains("statsu"));
        assert!(Expect::compile(&json!({"status": "6xx"})).is_err());
        assert!(Expect::compile(&json!({"json": {"keyValid": true}})).is_err());
        assert!(Expect::compile(&json!({"json": {"$.a": {"type": "strnig"}}})).is_err());
        assert!(Expect::compile(&json!({"schema": "Nope"})).is_err());
    }

    #[test]
    fn bounds() {
        let e = Expect::compile(&json!({"json": {"$": {"min": 2, "max": 2.5}}})).expect("ok");
        let inside = json!(2.2);
        let m = check(
            &e,
            &Subject {
                json: Some(&inside),
                ..Subject::default()
            },
        );
        assert!(m.is_empty(), "{m:?}");
        let outside = json!(1.9);
        let m = check(
            &e,
            &Subject {
                json: Some(&outside),
                ..Subject::default()
            },
        );
        assert_eq!(m[0].expected, "$ >= 2 and <= 2.5");
    }

    #[test]
    fn num_eq_accepts_numeric_strings() {
        let e = Expect::compile(&json!({"json": {"$.n": {"num_eq": 500}}})).expect("ok");
        assert!(check(&e, &subject(200, &[], &json!({"n": "500"}))).is_empty());
        assert!(!check(&e, &subject(200, &[], &json!({"n": 50}))).is_empty());
    }

    #[test]
    fn fixed_parts_compile_once_and_templated_parts_when_checked() {
        let fixed = Expect::compile(
            &json!({"json": {"$.a": {"matches": "^x+$"}}, "schema": "ErrorObject"}),
        )
        .expect("ok");
        assert!(!fixed.has_holes());
        let e = Expect::compile(&json!({
            "status": "{{ code }}",
            "headers": {"{{ h }}": "{{ v }}"},
            "json": {"$.id": {"matches": "{{ pattern }}"}, "{{ p }}": 1},
            "max_seconds": "{{ limit }}"
        }))
        .expect("holes compile");
        assert!(e.has_holes());
        let vars = json!({"code": 201, "h": "X-Key", "v": "k", "pattern": "^[a-z]+$", "p": "$.n", "limit": 5})
            .as_object()
            .cloned()
            .expect("map");
        let headers = vec![("x-key".to_string(), "k".to_string())];
        let body = json!({"id": "abc", "n": 1});
        assert!(check_with(&e, &subject(201, &headers, &body), &vars).is_empty());
        let bad = json!({"id": "ABC", "n": 2});
        let m = check_with(&e, &subject(200, &[], &bad), &vars);
        let expected: Vec<_> = m.iter().map(|m| m.expected.as_str()).collect();
        assert_eq!(
            expected,
            [
                "status 201",
                "header x-key == \"k\"",
                "$.id matching /^[a-z]+$/",
                "$.n == 1"
            ]
        );
        let templates = Templates::new(|_| {});
        let wrong =
            json!({"code": 201, "h": "x", "v": "k", "pattern": "(", "p": "$.n", "limit": 5})
                .as_object()
                .cloned()
                .expect("map");
        let err = e
            .check(
                &subject(201, &headers, &body),
                Scope {
                    templates: &templates,
                    vars: &wrong,
                },
            )
            .expect_err("bad regex once rendered");
        assert!(
            err.to_string().starts_with("expect.json.$.id: `matches`"),
            "{err}"
        );
    }

    #[test]
    fn templated_parts_are_still_checked_where_they_can_be() {
        assert!(Expect::compile(&json!({"json": {"bad path": "{{ x }}"}})).is_err());
        assert!(
            Expect::compile(&json!({"json": {"$.a": {"type": "strnig", "eq": "{{ x }}"}}}))
                .is_err()
        );
        assert!(Expect::compile(&json!({"content_type": ["{{ x }}"]})).is_err());
        assert!(Expect::compile(&json!({"status": ["{{ x }}"]})).is_err());
    }
}
