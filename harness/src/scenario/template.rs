//! Templating with minijinja: `{{ expr }}` in any string of a step. A string that is
//! exactly one `{{ expr }}` keeps the expression's type (number, list, map...).

use std::collections::BTreeSet;

use base64::Engine as _;
use minijinja::value::Value as JValue;
use minijinja::{Environment, Error as JError, ErrorKind, UndefinedBehavior};
use serde_json::{Map, Value};

/// A template that could not be compiled or rendered; the message names the template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

/// Whether `text` holds template syntax (`{{ }}` or `{% %}`).
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// Whether any string or map key in `value` holds template syntax.
pub fn has_template(value: &Value) -> bool {
    match value {
        Value::String(s) => is_template(s),
        Value::Array(items) => items.iter().any(has_template),
        Value::Object(map) => map.iter().any(|(k, v)| is_template(k) || has_template(v)),
        _ => false,
    }
}

/// A string of a scenario: fixed text, or a template rendered to text at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum Text {
    /// No template in it.
    Fixed(String),
    /// A template.
    Template(String),
}

impl Text {
    /// Classifies `text`.
    pub fn new(text: String) -> Self {
        if is_template(&text) {
            Text::Template(text)
        } else {
            Text::Fixed(text)
        }
    }

    /// The text as written.
    pub fn source(&self) -> &str {
        match self {
            Text::Fixed(t) | Text::Template(t) => t,
        }
    }
}

/// A value of a scenario: fixed, or holding templates (in strings or keys) rendered at
/// run time.
#[derive(Debug, Clone, PartialEq)]
pub enum Tree {
    /// No template anywhere in it.
    Fixed(Value),
    /// Templates somewhere in it.
    Template(Value),
}

impl Tree {
    /// Classifies `value`.
    pub fn new(value: Value) -> Self {
        if has_template(&value) {
            Tree::Template(value)
        } else {
            Tree::Fixed(value)
        }
    }

    /// The value as written.
    pub fn source(&self) -> &Value {
        match self {
            Tree::Fixed(v) | Tree::Template(v) => v,
        }
    }
}

/// A template environment with the harness's functions.
pub struct Templates {
    env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templates")
    }
}

fn jerr(message: impl std::fmt::Display) -> JError {
    JError::new(ErrorKind::InvalidOperation, message.to_string())
}

impl Templates {
    /// Generic functions (`uuid`, `pad`, `append`, `b64`, `json`, `gaps`, `all_distinct`) plus whatever
    /// `configure` adds; undefined variables are errors.
    pub fn new(configure: impl FnOnce(&mut Environment<'static>)) -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_function("uuid", || uuid::Uuid::new_v4().to_string());
        env.add_function(
            "pad",
            |n: usize, fill: Option<String>| -> Result<String, JError> {
                if n > 4 << 20 {
                    return Err(jerr("pad: at most 4 MiB"));
                }
                let fill = fill.unwrap_or_else(|| "A".into());
                Ok(fill.chars().cycle().take(n).collect())
            },
        );
        env.add_function("append", |list: Vec<JValue>, item: JValue| {
            let mut list = list;
            list.push(item);
            JValue::from(list)
        });
        env.add_function("b64", |text: String| {
            base64::engine::general_purpose::STANDARD.encode(text)
        });
        env.add_function("json", |v: JValue| -> Result<String, JError> {
            serde_json::to_string(&v).map_err(jerr)
        });
        env.add_function("gaps", |times: Vec<f64>| -> Vec<f64> {
            times.windows(2).map(|w| w[1] - w[0]).collect()
        });
        env.add_function(
            "all_distinct",
            |items: Vec<JValue>| -> Result<bool, JError> {
                let mut seen = Vec::new();
                for item in &items {
                    let text = serde_json::to_string(item).map_err(jerr)?;
                    if seen.contains(&text) {
                        return Ok(false);
                    }
                    seen.push(text);
                }
                Ok(true)
            },
        );
        configure(&mut env);
        Self { env }
    }

    /// Renders every string (and map key) in `value`.
    pub fn render(&self, value: &Value, vars: &Map<String, Value>) -> Result<Value, TemplateError> {
        let ctx = JValue::from_serialize(vars);
        self.render_in(value, &ctx)
    }

    /// Renders one string template to text.
    pub fn render_str(
        &self,
        text: &str,
        vars: &Map<String, Value>,
    ) -> Result<String, TemplateError> {
        let ctx = JValue::from_serialize(vars);
        self.text(text, &ctx)
    }

    /// A value with its templates rendered (a fixed one as it is).
    pub fn tree(&self, tree: &Tree, vars: &Map<String, Value>) -> Result<Value, TemplateError> {
        match tree {
            Tree::Fixed(v) => Ok(v.clone()),
            Tree::Template(v) => self.render(v, vars),
        }
    }

    /// A text with its template rendered (a fixed one as it is).
    pub fn text_of(&self, text: &Text, vars: &Map<String, Value>) -> Result<String, TemplateError> {
        match text {
            Text::Fixed(t) => Ok(t.clone()),
            Text::Template(t) => self.render_str(t, vars),
        }
    }

    /// The names of every global (builtin or registered function) of the environment.
    pub fn global_names(&self) -> BTreeSet<String> {
        self.env
            .globals()
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// The top-level names `text` reads that it does not define itself (empty when it
    /// is no template); an error when it does not compile.
    pub fn names_used(&self, text: &str) -> Result<BTreeSet<String>, TemplateError> {
        if !is_template(text) {
            return Ok(BTreeSet::new());
        }
        let names = match single_expression(text) {
            Some(expr) => self
                .env
                .compile_expression(expr)
                .map_err(|e| describe(text, &e))?
                .undeclared_variables(false),
            None => self
                .env
                .template_from_str(text)
                .map_err(|e| describe(text, &e))?
                .undeclared_variables(false),
        };
        Ok(names.into_iter().collect())
    }

    /// Every template string (values and map keys) in `value` with the names it reads.
    pub fn names_in(
        &self,
        value: &Value,
    ) -> Result<Vec<(String, BTreeSet<String>)>, TemplateError> {
        let mut out = Vec::new();
        self.collect_names(value, &mut out)?;
        Ok(out)
    }

    fn collect_names(
        &self,
        value: &Value,
        out: &mut Vec<(String, BTreeSet<String>)>,
    ) -> Result<(), TemplateError> {
        let mut one = |text: &str| -> Result<(), TemplateError> {
            if is_template(text) {
                out.push((text.to_string(), self.names_used(text)?));
            }
            Ok(())
        };
        match value {
            Value::String(s) => one(s),
            Value::Array(items) => items.iter().try_for_each(|v| self.collect_names(v, out)),
            Value::Object(map) => {
                for (k, v) in map {
                    if is_template(k) {
                        out.push((k.clone(), self.names_used(k)?));
                    }
                    self.collect_names(v, out)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn render_in(&self, value: &Value, ctx: &JValue) -> Result<Value, TemplateError> {
        Ok(match value {
            Value::String(s) => self.string(s, ctx)?,
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.render_in(v, ctx))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    out.insert(self.text(k, ctx)?, self.render_in(v, ctx)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    fn text(&self, text: &str, ctx: &JValue) -> Result<String, TemplateError> {
        if !is_template(text) {
            return Ok(text.to_string());
        }
        self.env
            .render_str(text, ctx)
            .map_err(|e| describe(text, &e))
    }

    fn string(&self, text: &str, ctx: &JValue) -> Result<Value, TemplateError> {
        match single_expression(text) {
            Some(expr) => {
                let compiled = self
                    .env
                    .compile_expression(expr)
                    .map_err(|e| describe(text, &e))?;
                let value = compiled.eval(ctx).map_err(|e| describe(text, &e))?;
                if value.is_undefined() {
                    return Err(TemplateError(format!("`{text}`: undefined value")));
                }
                serde_json::to_value(&value).map_err(|e| TemplateError(format!("`{text}`: {e}")))
            }
            None => Ok(Value::String(self.text(text, ctx)?)),
        }
    }
}

/// The expression of a string that is exactly one `{{ expr }}`.
fn single_expression(text: &str) -> Option<&str> {
    text.trim()
        .strip_prefix("{{")
        .and_then(|t| t.strip_suffix("}}"))
        .filter(|inner| !inner.contains("{{") && !inner.contains("}}"))
}

fn describe(text: &str, e: &JError) -> TemplateError {
    let mut message = format!("template `{text}`: {}", e.kind());
    if let Some(detail) = e.detail() {
        message.push_str(": ");
        message.push_str(detail);
    }
    TemplateError(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Map<String, Value> {
        json!({"n": 5, "name": "env-1", "list": [1, 2], "arg": {"id": "c-1"}})
            .as_object()
            .cloned()
            .expect("object")
    }

    #[test]
    fn single_expressions_keep_their_type() {
        let t = Templates::new(|_| {});
        let out = t
            .render(&json!({"a": "{{ n + 1 }}", "b": "x-{{ name }}", "{{ name }}": "{{ list }}", "c": 3}), &vars())
            .expect("renders");
        assert_eq!(
            out,
            json!({"a": 6, "b": "x-env-1", "env-1": [1, 2], "c": 3})
        );
    }

    #[test]
    fn undefined_is_an_error_but_default_works() {
        let t = Templates::new(|_| {});
        let err = t
            .render(&json!("{{ nope }}"), &vars())
            .expect_err("undefined");
        assert!(err.0.contains("nope"), "{err}");
        assert_eq!(
            t.render(&json!("{{ nope | default('d') }}"), &vars())
                .expect("default"),
            json!("d")
        );
        assert_eq!(
            t.render_str("/c/{{ arg.id }}", &vars()).expect("ok"),
            "/c/c-1"
        );
    }

    #[test]
    fn generic_functions() {
        let t = Templates::new(|_| {});
        assert_eq!(
            t.render(&json!("{{ pad(3) }}"), &vars()).expect("ok"),
            json!("AAA")
        );
        assert_eq!(
            t.render(&json!("{{ append(list, 3) }}"), &vars())
                .expect("ok"),
            json!([1, 2, 3])
        );
        assert_eq!(
            t.render(&json!("{{ b64('hi') }}"), &vars()).expect("ok"),
            json!("aGk=")
        );
        let render = |t_: &str| t.render(&json!(t_), &vars()).expect("renders");
        assert_eq!(render("{{ gaps([1.0, 1.5, 3.5]) }}"), json!([0.5, 2.0]));
        assert_eq!(render("{{ gaps([1.0, 1.5, 3.5]) | min }}"), json!(0.5));
        assert_eq!(
            render("{{ all_distinct([{'a': 1}, {'a': 1}]) }}"),
            json!(false)
        );
        assert_eq!(render("{{ all_distinct([1, 2]) }}"), json!(true));
    }

    #[test]
    fn names_used_are_top_level_reads_not_locals() {
        let t = Templates::new(|_| {});
        let names = |s: &str| t.names_used(s).expect("compiles");
        assert_eq!(
            names("{{ notice.products[0].id }}"),
            BTreeSet::from(["notice".to_string()])
        );
        assert_eq!(
            names("x-{{ pad(n) }}-{{ name | upper }}"),
            BTreeSet::from(["n".to_string(), "name".to_string(), "pad".to_string()])
        );
        assert_eq!(
            names("{% for i in list %}{{ i }}{% endfor %}"),
            BTreeSet::from(["list".to_string()])
        );
        assert!(names("plain").is_empty());
        let e = t
            .names_used("{{ (}}")
            .expect_err("a template that does not parse is an error");
        assert!(
            e.to_string().contains("{{ (}}"),
            "it names the template: {e}"
        );
        let globals = t.global_names();
        for g in ["range", "dict", "namespace", "debug", "pad", "uuid", "gaps"] {
            assert!(globals.contains(g), "{g} in {globals:?}");
        }
        let found = t
            .names_in(&json!({"{{ k }}": ["{{ a }}", 1, "b"], "c": "{{ c1 + c2 }}"}))
            .expect("compiles");
        let all: BTreeSet<String> = found.into_iter().flat_map(|(_, n)| n).collect();
        assert_eq!(
            all,
            BTreeSet::from(["a", "c1", "c2", "k"].map(String::from))
        );
    }

    #[test]
    fn text_and_tree_keep_fixed_parts_fixed() {
        let t = Templates::new(|_| {});
        assert_eq!(Text::new("a".into()), Text::Fixed("a".into()));
        assert_eq!(Tree::new(json!({"a": [1]})), Tree::Fixed(json!({"a": [1]})));
        let tree = Tree::new(json!({"a": ["{{ n }}"]}));
        assert!(matches!(tree, Tree::Template(_)));
        assert_eq!(t.tree(&tree, &vars()).expect("ok"), json!({"a": [5]}));
        let text = Text::new("/c/{{ name }}".into());
        assert_eq!(t.text_of(&text, &vars()).expect("ok"), "/c/env-1");
    }
}
