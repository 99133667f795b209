//! Templating with minijinja: `{{ expr }}` in any string of a step. A string that is
//! exactly one `{{ expr }}` keeps the expression's type (number, list, map...).

use base64::Engine as _;
use minijinja::value::Value as JValue;
use minijinja::{Environment, Error as JError, ErrorKind, UndefinedBehavior};
use serde_json::{Map, Value};

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
    pub fn render(&self, value: &Value, vars: &Map<String, Value>) -> Result<Value, String> {
        let ctx = JValue::from_serialize(vars);
        self.render_in(value, &ctx)
    }

    /// Renders one string template to text.
    pub fn render_str(&self, text: &str, vars: &Map<String, Value>) -> Result<String, String> {
        let ctx = JValue::from_serialize(vars);
        self.text(text, &ctx)
    }

    fn render_in(&self, value: &Value, ctx: &JValue) -> Result<Value, String> {
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

    fn text(&self, text: &str, ctx: &JValue) -> Result<String, String> {
        if !text.contains("{{") && !text.contains("{%") {
            return Ok(text.to_string());
        }
        self.env
            .render_str(text, ctx)
            .map_err(|e| describe(text, &e))
    }

    fn string(&self, text: &str, ctx: &JValue) -> Result<Value, String> {
        let trimmed = text.trim();
        let single = trimmed
            .strip_prefix("{{")
            .and_then(|t| t.strip_suffix("}}"))
            .filter(|inner| !inner.contains("{{") && !inner.contains("}}"));
        match single {
            Some(expr) => {
                let compiled = self
                    .env
                    .compile_expression(expr)
                    .map_err(|e| describe(text, &e))?;
                let value = compiled.eval(ctx).map_err(|e| describe(text, &e))?;
                if value.is_undefined() {
                    return Err(format!("`{text}`: undefined value"));
                }
                serde_json::to_value(&value).map_err(|e| format!("`{text}`: {e}"))
            }
            None => Ok(Value::String(self.text(text, ctx)?)),
        }
    }
}

fn describe(text: &str, e: &JError) -> String {
    let mut message = format!("template `{text}`: {}", e.kind());
    if let Some(detail) = e.detail() {
        message.push_str(": ");
        message.push_str(detail);
    }
    message
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
        assert!(err.contains("nope"), "{err}");
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
}
