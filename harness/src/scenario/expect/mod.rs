//! Expectations: on an answer's status, headers and JSON, on a request a mock peer
//! received, or on a computed value. Each mismatch says what was expected and found.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

mod compile;
mod matcher;
#[cfg(test)]
mod tests;

use compile::{content_type, json_path, max_seconds, method, rendered_matcher_at, status_list};
use matcher::{Matcher, StatusPattern};

pub use compile::SchemaLookup;

use super::model::CompileError;
use super::template::{has_template, TemplateError, Templates, Text};
use crate::http::Redactor;

/// What an expectation is checked against.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    /// Answer status.
    pub status: Option<u16>,
    /// Request method.
    pub method: Option<&'a str>,
    /// Request path.
    pub path: Option<&'a str>,
    /// Request query string (without `?`).
    pub query: Option<&'a str>,
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
        crate::http::first_header(self.headers, name)
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
    schema: Option<Schema>,
    method: Option<Slot<String>>,
    path: Option<Slot<Matcher>>,
    query: Vec<(String, Slot<Matcher>)>,
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
    /// Which headers carry credentials: a mismatch shows their value as a fingerprint.
    pub redactor: &'a Redactor,
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

fn show(found: Option<&Value>) -> String {
    match found {
        None => "absent".into(),
        Some(v) => truncate(&v.to_string()),
    }
}

impl Expect {
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
                    m.get(&scope, rendered_matcher_at(format!("expect.headers.{n}")))?,
                ),
                Text::Template(t) => {
                    let k = scope.templates.render_str(t, scope.vars)?;
                    let m = m.get(&scope, rendered_matcher_at(format!("expect.headers.{k}")))?;
                    (k.to_ascii_lowercase(), m)
                }
            };
            let found = s.header(&name).map(|v| Value::String(v.to_string()));
            if !m.test(found.as_ref()) {
                // A wrong credential is shown as a fingerprint, never in clear.
                let shown = match s.header(&name) {
                    Some(v) if scope.redactor.is_credential_header(&name) => {
                        Some(Value::String(scope.redactor.header(&name, v)))
                    }
                    _ => found,
                };
                out.push(Mismatch {
                    expected: format!("header {name} {}", m.show()),
                    actual: format!("header {name} {}", show(shown.as_ref())),
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
        for (name, m) in &self.query {
            let m = m.get(&scope, rendered_matcher_at(format!("expect.query.{name}")))?;
            let found = s.query.and_then(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == name.as_str())
                    .map(|(_, v)| Value::String(v.into_owned()))
            });
            if !m.test(found.as_ref()) {
                out.push(Mismatch {
                    expected: format!("query {name} {}", m.show()),
                    actual: format!("query {name} {}", show(found.as_ref())),
                });
            }
        }
        if let Some(m) = &self.path {
            let m = m.get(&scope, rendered_matcher_at("expect.path".into()))?;
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
            let m = m.get(&scope, rendered_matcher_at(format!("expect.json.{text}")))?;
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
            || self.method.as_ref().is_some_and(Slot::is_hole)
            || self.path.as_ref().is_some_and(Slot::is_hole)
            || self.query.iter().any(|(_, m)| m.is_hole())
            || self.max_seconds.as_ref().is_some_and(Slot::is_hole)
            || self.any_of.iter().any(Expect::has_holes)
    }
}
