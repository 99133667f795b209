//! Expectations: on an answer's status, headers and JSON, on a request a mock peer
//! received, or on a computed value. Each mismatch says what was expected and found.

use std::time::Duration;

use regex::Regex;
use serde_json::Value;
use serde_json_path::JsonPath;

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

/// A parsed expectation.
#[derive(Debug, Default)]
pub struct Expect {
    status: Vec<StatusPattern>,
    content_type: Option<String>,
    headers: Vec<(String, Matcher)>,
    json: Vec<(String, JsonPath, Matcher)>,
    schema: Option<(String, jsonschema::Validator)>,
    method: Option<String>,
    path: Option<Matcher>,
    any_of: Vec<Expect>,
    max_seconds: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum StatusPattern {
    Exact(u16),
    Class(u16),
}

impl StatusPattern {
    fn parse(v: &Value) -> Result<Self, String> {
        match v {
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .filter(|n| (100..600).contains(n))
                .map(StatusPattern::Exact)
                .ok_or_else(|| format!("status `{n}` is not an HTTP status")),
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
                            format!("status `{s}` is neither a code nor a class like 4xx")
                        })
                }
            }
            other => Err(format!(
                "status `{other}` must be a code, a class like 4xx, or a list"
            )),
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
    fn parse(v: &Value) -> Result<Self, String> {
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
                        return Err(format!("`type` must be one of {}", TYPES.join(", ")));
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
                _ => unreachable!("operator list checked above"),
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

/// Looks up a JSON Schema by the name a scenario cites (the protocol's named schemas).
pub type SchemaLookup<'a> = &'a dyn Fn(&str) -> Option<Value>;

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

impl Expect {
    /// Parses an expectation (already rendered, or raw for validation); named schemas
    /// come from `schemas`.
    pub fn parse(v: &Value, schemas: SchemaLookup<'_>) -> Result<Self, String> {
        let Value::Object(map) = v else {
            return Err("expect must be a map".into());
        };
        if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(format!(
                "expect: unknown field `{unknown}` (fields: {})",
                FIELDS.join(", ")
            ));
        }
        let mut e = Expect::default();
        if let Some(s) = map
            .get("status")
            .filter(|s| !s.as_str().is_some_and(|t| t.contains("{{")))
        {
            e.status = match s {
                Value::Array(items) => items
                    .iter()
                    .map(StatusPattern::parse)
                    .collect::<Result<_, _>>()?,
                one => vec![StatusPattern::parse(one)?],
            };
        }
        if let Some(ct) = map.get("content_type") {
            e.content_type = Some(
                ct.as_str()
                    .ok_or("expect.content_type must be a string")?
                    .to_string(),
            );
        }
        if let Some(h) = map.get("headers") {
            let h = h.as_object().ok_or("expect.headers must be a map")?;
            for (k, v) in h {
                e.headers.push((
                    k.to_ascii_lowercase(),
                    Matcher::parse(v).map_err(|m| format!("expect.headers.{k}: {m}"))?,
                ));
            }
        }
        if let Some(j) = map.get("json") {
            let j = j
                .as_object()
                .ok_or("expect.json must be a map of JSON path to value")?;
            for (path, v) in j {
                if path.contains("{{") {
                    // An unrendered template (load-time validation): checked once rendered.
                    Matcher::parse(v).map_err(|m| format!("expect.json.{path}: {m}"))?;
                    continue;
                }
                let parsed = JsonPath::parse(path)
                    .map_err(|err| format!("expect.json: `{path}` is not a JSON path: {err}"))?;
                e.json.push((
                    path.clone(),
                    parsed,
                    Matcher::parse(v).map_err(|m| format!("expect.json.{path}: {m}"))?,
                ));
            }
        }
        if let Some(s) = map.get("schema") {
            let (name, schema) = match s {
                Value::String(name) => (
                    name.clone(),
                    schemas(name)
                        .ok_or_else(|| format!("expect.schema: no schema named `{name}`"))?,
                ),
                inline => ("inline schema".to_string(), inline.clone()),
            };
            let validator = jsonschema::validator_for(&schema)
                .map_err(|err| format!("expect.schema: {err}"))?;
            e.schema = Some((name, validator));
        }
        if let Some(m) = map.get("method") {
            e.method = Some(
                m.as_str()
                    .ok_or("expect.method must be a string")?
                    .to_ascii_uppercase(),
            );
        }
        if let Some(p) = map.get("path") {
            e.path = Some(Matcher::parse(p).map_err(|m| format!("expect.path: {m}"))?);
        }
        if let Some(a) = map.get("any_of") {
            let a = a.as_array().ok_or("expect.any_of must be a list")?;
            e.any_of = a
                .iter()
                .map(|x| Expect::parse(x, schemas))
                .collect::<Result<_, _>>()?;
        }
        match map.get("max_seconds") {
            // Still a template: only possible when validating unrendered files.
            Some(Value::String(t)) if t.contains("{{") => {}
            Some(m) => {
                e.max_seconds = Some(m.as_f64().ok_or("expect.max_seconds must be a number")?)
            }
            None => {}
        }
        Ok(e)
    }

    /// Every unmet expectation (empty when all hold).
    pub fn check(&self, s: &Subject<'_>) -> Vec<Mismatch> {
        let mut out = Vec::new();
        if !self.status.is_empty() {
            let ok = s
                .status
                .is_some_and(|st| self.status.iter().any(|p| p.matches(st)));
            if !ok {
                out.push(Mismatch {
                    expected: format!(
                        "status {}",
                        self.status
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
        if let Some(ct) = &self.content_type {
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
            let found = s.header(name).map(|v| Value::String(v.to_string()));
            if !m.test(found.as_ref()) {
                out.push(Mismatch {
                    expected: format!("header {name} {}", m.show()),
                    actual: format!("header {name} {}", show(found.as_ref())),
                });
            }
        }
        if let Some(want) = &self.method {
            if s.method != Some(want.as_str()) {
                out.push(Mismatch {
                    expected: format!("method {want}"),
                    actual: format!("method {}", s.method.unwrap_or("none")),
                });
            }
        }
        if let Some(m) = &self.path {
            let found = s.path.map(|p| Value::String(p.to_string()));
            if !m.test(found.as_ref()) {
                out.push(Mismatch {
                    expected: format!("path {}", m.show()),
                    actual: format!("path {}", show(found.as_ref())),
                });
            }
        }
        for (text, path, m) in &self.json {
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
        if let Some((name, validator)) = &self.schema {
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
        if let (Some(max), Some(took)) = (self.max_seconds, s.elapsed) {
            if took.as_secs_f64() > max {
                out.push(Mismatch {
                    expected: format!("an answer within {max} s"),
                    actual: format!("answered after {:.2} s", took.as_secs_f64()),
                });
            }
        }
        if !self.any_of.is_empty() {
            let results: Vec<Vec<Mismatch>> = self.any_of.iter().map(|e| e.check(s)).collect();
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
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas(name: &str) -> Option<Value> {
        (name == "Flag").then(|| {
            json!({"type": "object", "required": ["keyValid"], "properties": {"keyValid": {"type": "boolean"}}})
        })
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
        let e = Expect::parse(&json!({
            "status": [200, "2xx"],
            "content_type": "application/json",
            "json": {"$.keyValid": false, "$.state": {"in": ["A", "B"]}, "$.x": {"exists": false}},
            "schema": "Flag"
        }), &schemas)
        .expect("parses");
        let headers = vec![(
            "content-type".to_string(),
            "application/json; charset=utf-8".to_string(),
        )];
        let body = json!({"keyValid": false, "state": "B"});
        assert!(e.check(&subject(200, &headers, &body)).is_empty());
        let bad = json!({"keyValid": "false", "state": "C", "x": 1});
        let mismatches = e.check(&subject(201, &[], &bad));
        let expected: Vec<_> = mismatches.iter().map(|m| m.expected.as_str()).collect();
        assert_eq!(
            expected,
            [
                "Content-Type application/json",
                "$.keyValid == false",
                "$.state in [\"A\",\"B\"]",
                "$.x absent",
                "body matching Flag"
            ]
        );
        assert!(mismatches[1].actual.contains("\"false\""));
    }

    #[test]
    fn any_of_passes_when_one_branch_holds() {
        let e = Expect::parse(
            &json!({"any_of": [{"status": 400}, {"status": 200, "json": {"$.keyValid": false}}]}),
            &schemas,
        )
        .expect("ok");
        assert!(e.check(&subject(400, &[], &json!({}))).is_empty());
        assert!(e
            .check(&subject(200, &[], &json!({"keyValid": false})))
            .is_empty());
        let m = e.check(&subject(200, &[], &json!({"keyValid": true})));
        assert_eq!(m.len(), 1);
        assert!(m[0].actual.contains("$.keyValid == true"), "{m:?}");
    }

    #[test]
    fn bad_expectations_are_refused() {
        assert!(Expect::parse(&json!({"statsu": 200}), &schemas)
            .expect_err("typo")
            .contains("statsu"));
        assert!(Expect::parse(&json!({"status": "6xx"}), &schemas).is_err());
        assert!(Expect::parse(&json!({"json": {"keyValid": true}}), &schemas).is_err());
        assert!(Expect::parse(&json!({"json": {"$.a": {"type": "strnig"}}}), &schemas).is_err());
        assert!(Expect::parse(&json!({"schema": "Nope"}), &schemas).is_err());
    }

    #[test]
    fn bounds() {
        let e =
            Expect::parse(&json!({"json": {"$": {"min": 2, "max": 2.5}}}), &schemas).expect("ok");
        let inside = json!(2.2);
        let m = e.check(&Subject {
            json: Some(&inside),
            ..Subject::default()
        });
        assert!(m.is_empty(), "{m:?}");
        let outside = json!(1.9);
        let m = e.check(&Subject {
            json: Some(&outside),
            ..Subject::default()
        });
        assert_eq!(m[0].expected, "$ >= 2 and <= 2.5");
    }

    #[test]
    fn num_eq_accepts_numeric_strings() {
        let e = Expect::parse(&json!({"json": {"$.n": {"num_eq": 500}}}), &schemas).expect("ok");
        assert!(e.check(&subject(200, &[], &json!({"n": "500"}))).is_empty());
        assert!(!e.check(&subject(200, &[], &json!({"n": 50}))).is_empty());
    }
}
