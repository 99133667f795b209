//! Compiling an expectation as written: fixed parts once, at load; templated parts
//! kept as holes and checked as far as they can be.

use std::sync::Arc;

use serde_json::Value;
use serde_json_path::JsonPath;

use super::matcher::{Matcher, StatusPattern};
use super::{Expect, PathKey, Schema, Slot};
use crate::scenario::model::CompileError;
use crate::scenario::template::{has_template, is_template, Text};

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
    "query",
    "any_of",
    "max_seconds",
];

pub(super) fn status_list(v: &Value) -> Result<Vec<StatusPattern>, CompileError> {
    match v {
        Value::Array(items) => items.iter().map(StatusPattern::parse).collect(),
        one => Ok(vec![StatusPattern::parse(one)?]),
    }
}

pub(super) fn content_type(v: &Value) -> Result<String, CompileError> {
    Ok(v.as_str()
        .ok_or("expect.content_type must be a string")?
        .to_string())
}

pub(super) fn method(v: &Value) -> Result<String, CompileError> {
    Ok(v.as_str()
        .ok_or("expect.method must be a string")?
        .to_ascii_uppercase())
}

pub(super) fn max_seconds(v: &Value) -> Result<f64, CompileError> {
    Ok(v.as_f64().ok_or("expect.max_seconds must be a number")?)
}

fn schema(v: &Value, schemas: SchemaLookup<'_>) -> Result<Schema, CompileError> {
    if has_template(v) {
        return Err("expect.schema: a schema cannot be a template".into());
    }
    let (name, schema) = match v {
        Value::String(name) => (
            name.clone(),
            schemas(name).ok_or_else(|| format!("expect.schema: no schema named `{name}`"))?,
        ),
        inline => ("inline schema".to_string(), inline.clone()),
    };
    let validator =
        jsonschema::validator_for(&schema).map_err(|err| format!("expect.schema: {err}"))?;
    Ok((name, Arc::new(validator)))
}

pub(super) fn json_path(path: &str) -> Result<JsonPath, CompileError> {
    JsonPath::parse(path)
        .map_err(|err| format!("expect.json: `{path}` is not a JSON path: {err}").into())
}

/// A matcher parser whose errors are prefixed with `at`.
pub(super) fn matcher_at(at: String) -> impl Fn(&Value) -> Result<Matcher, CompileError> {
    move |v| Matcher::parse(v).map_err(|m| format!("{at}: {m}").into())
}

/// A parser of rendered matchers whose errors are prefixed with `at`.
pub(super) fn rendered_matcher_at(at: String) -> impl Fn(&Value) -> Result<Matcher, CompileError> {
    move |v| Matcher::parse_rendered(v).map_err(|m| format!("{at}: {m}").into())
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
    /// Whether the expectation constrains the answer's status: itself, or in every
    /// branch of its `any_of`. Without one, an error answer can pass its other checks.
    pub fn constrains_status(&self) -> bool {
        let own = match &self.status {
            Some(Slot::Fixed(list)) => !list.is_empty(),
            Some(Slot::Hole(_)) => true,
            None => false,
        };
        own || (!self.any_of.is_empty() && self.any_of.iter().all(Expect::constrains_status))
    }

    /// Whether the expectation says a bad thing did not happen: it wants a refusal
    /// (every status it allows is 4xx or 5xx), or only that values are absent or are
    /// not something (`ne`, `not_in`, `exists: false`, with nothing it wants present);
    /// with `any_of`, when every branch does. Such a check passes on an IUT that does
    /// nothing, so only a fault or a mutant proves it.
    pub fn is_negative(&self) -> bool {
        let refusal = match &self.status {
            Some(Slot::Fixed(list)) => {
                !list.is_empty() && list.iter().all(StatusPattern::is_refusal)
            }
            _ => false,
        };
        let negated = |slot: &Slot<Matcher>| match slot {
            Slot::Fixed(m) => m.is_negative(),
            Slot::Hole(v) => Matcher::written_negative(v),
        };
        let matchers = || {
            let json = self.json.iter().map(|(_, m)| m);
            json.chain(self.headers.iter().map(|(_, m)| m))
                .chain(self.query.iter().map(|(_, m)| m))
        };
        let only_negations = matchers().next().is_some() && matchers().all(negated);
        refusal
            || only_negations
            || (!self.any_of.is_empty() && self.any_of.iter().all(Expect::is_negative))
    }

    /// Compiles an expectation as written: its fixed parts now, its templated parts
    /// once rendered (they are checked now as far as they can be). Named schemas come
    /// from `schemas`; a schema may not be a template.
    pub fn compile(v: &Value, schemas: SchemaLookup<'_>) -> Result<Self, CompileError> {
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
                let parse = matcher_at(format!("expect.headers.{k}"));
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
                let parse = matcher_at(format!("expect.json.{path}"));
                e.json
                    .push((key, Slot::compile(v, &parse, |v| parse(v).map(drop))?));
            }
        }
        if let Some(s) = map.get("schema") {
            e.schema = Some(schema(s, schemas)?);
        }
        if let Some(m) = map.get("method") {
            e.method = Some(Slot::compile(m, method, |v| method(v).map(drop))?);
        }
        if let Some(p) = map.get("path") {
            let parse = matcher_at("expect.path".into());
            e.path = Some(Slot::compile(p, &parse, |v| parse(v).map(drop))?);
        }
        if let Some(q) = map.get("query") {
            let q = q.as_object().ok_or("expect.query must be a map")?;
            for (k, v) in q {
                let parse = matcher_at(format!("expect.query.{k}"));
                e.query
                    .push((k.clone(), Slot::compile(v, &parse, |v| parse(v).map(drop))?));
            }
        }
        if let Some(a) = map.get("any_of") {
            let a = a.as_array().ok_or("expect.any_of must be a list")?;
            e.any_of = a
                .iter()
                .map(|x| Expect::compile(x, schemas))
                .collect::<Result<_, _>>()?;
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
}
