//! The pieces mutant answers are made of: JSON paths and edits, odd and wrong-typed
//! values, look-alike fields, text that is not JSON, other content types, statuses.

use serde_json::{json, Value};

use super::mutate::Base;
use crate::profile::fuzz::Rng;

/// The value at `path`.
pub fn at<'v>(value: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// `value` with the field at `path` set (`Some`) or removed (`None`).
pub fn with(value: &Value, path: &[String], new: Option<Value>) -> Value {
    let mut out = value.clone();
    let Some((last, parents)) = path.split_last() else {
        return new.unwrap_or(Value::Null);
    };
    let mut cursor = &mut out;
    for key in parents {
        match cursor.get_mut(key) {
            Some(next) => cursor = next,
            None => return out,
        }
    }
    if let Some(object) = cursor.as_object_mut() {
        match new {
            Some(v) => {
                object.insert(last.clone(), v);
            }
            None => {
                object.shift_remove(last);
            }
        }
    }
    out
}

/// Every path in `value` (the root, as the empty path, first).
pub(super) fn paths(value: &Value) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    if let Value::Object(object) = value {
        for (key, inner) in object {
            for mut tail in paths(inner) {
                tail.insert(0, key.clone());
                out.push(tail);
            }
        }
    }
    out
}

pub(super) fn shown_path(path: &[String]) -> String {
    if path.is_empty() {
        "the body".into()
    } else {
        path.join(".")
    }
}

/// Characters a generated string may hold: printable, and nothing a template reads
/// (`{`, `}`, `%`, `#`).
const SAFE: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 <>/=:;,.-_!?'\"\\";

pub(super) fn random_text(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(SAFE[rng.below(SAFE.len())]))
        .collect()
}

pub(super) fn odd_value(original: &Value, rng: &mut Rng) -> Value {
    let shown = original.to_string();
    let choices = [
        Value::String(shown.clone()),
        Value::String(shown.to_uppercase()),
        Value::String(format!(" {shown}")),
        json!(1),
        json!(0),
        json!(-1),
        json!(1.0),
        Value::Null,
        json!({}),
        json!({ "value": original }),
        json!([original]),
        json!([]),
        json!(""),
        json!("yes"),
        json!("1"),
    ];
    choices[rng.below(choices.len())].clone()
}

pub(super) fn wrong_type(original: &Value, rng: &mut Rng) -> Value {
    let kind = |v: &Value| std::mem::discriminant(v);
    let choices = [
        Value::Null,
        json!(true),
        json!(false),
        json!(7),
        json!("text"),
        json!([]),
        json!({}),
    ];
    let others: Vec<&Value> = choices
        .iter()
        .filter(|c| kind(c) != kind(original))
        .collect();
    others[rng.below(others.len())].clone()
}

pub(super) fn look_alikes(base: &Base, rng: &mut Rng) -> (Value, String) {
    let original = at(&base.body, &base.decisive)
        .cloned()
        .unwrap_or(Value::Null);
    let mut body = with(&base.body, &base.decisive, None);
    let Some(last) = base.decisive.last() else {
        return (body, "no field".into());
    };
    let parent: Vec<String> = base.decisive[..base.decisive.len() - 1].to_vec();
    let alikes = [
        last.to_uppercase(),
        capitalised(last),
        format!("{last} "),
        format!("_{last}"),
        format!("{last}s"),
    ];
    let mut added = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let name = if rng.below(2) == 0 {
            alikes[rng.below(alikes.len())].clone()
        } else {
            let len = 1 + rng.below(8);
            random_text(rng, len)
        };
        let mut path = parent.clone();
        path.push(name.clone());
        body = with(&body, &path, Some(original.clone()));
        added.push(name);
    }
    let label = format!("no {}; added {}", base.decisive.join("."), added.join(", "));
    (body, label)
}

pub(super) fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The top-level fields of `body` as text pairs (a string without its quotes).
pub(super) fn text_fields(body: &Value) -> Vec<(String, String)> {
    match body {
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string().trim_matches('"').to_string()))
            .collect(),
        other => vec![("value".into(), other.to_string())],
    }
}

pub(super) fn form(body: &Value) -> String {
    text_fields(body)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

pub(super) fn garbage(base: &Base, rng: &mut Rng) -> (String, String) {
    match rng.below(6) {
        0 => {
            let len = 1 + rng.below(200);
            (random_text(rng, len), format!("{len} random characters"))
        }
        1 => (
            "<html><body><h1>502 Bad Gateway</h1></body></html>".into(),
            "an HTML error page".into(),
        ),
        2 => (form(&base.body), "the fields as a form".into()),
        3 => {
            let word = ["OK", "true", "null", "1", "\"ok\""][rng.below(5)];
            (word.into(), format!("the bare word {word}"))
        }
        4 => (
            "\u{0}\u{1b}[31m\u{7f}\u{feff}".into(),
            "control characters".into(),
        ),
        _ => {
            let mut text = base.valid.body.clone();
            let len = 1 + rng.below(8);
            text.push_str(&random_text(rng, len));
            (text, "the valid body with trailing text".into())
        }
    }
}

pub(super) fn other_type(base: &Base, rng: &mut Rng) -> (&'static str, String) {
    let fields = text_fields(&base.body);
    match rng.below(4) {
        0 => (
            "application/xml",
            fields
                .iter()
                .map(|(k, v)| format!("<{k}>{v}</{k}>"))
                .collect::<String>(),
        ),
        1 => ("application/x-www-form-urlencoded", form(&base.body)),
        2 => (
            "text/plain",
            fields
                .iter()
                .map(|(k, v)| format!("{k}: {v}\n"))
                .collect::<String>(),
        ),
        _ => ("text/html", format!("<p>{}</p>", base.valid.body.len())),
    }
}

/// Status groups the `status` class draws from, one group at a time, so that the
/// statuses a protocol treats apart (400, 429, 5xx) each come up often.
const STATUS_GROUPS: &[&[u16]] = &[
    &[201, 202, 203, 204, 206],
    &[300, 301, 302, 304, 307, 308],
    &[400],
    &[401, 403, 404, 405, 409, 410, 413, 415, 422],
    &[429],
    &[500, 501, 502, 503, 504],
];

pub(super) fn odd_status(valid: u16, rng: &mut Rng) -> u16 {
    loop {
        let group = STATUS_GROUPS[rng.below(STATUS_GROUPS.len())];
        let status = group[rng.below(group.len())];
        if status != valid {
            return status;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_edits_reach_nested_fields() {
        let body = json!({"a": {"b": 1}, "c": 2});
        assert_eq!(paths(&body).len(), 4);
        let path = vec!["a".to_string(), "b".to_string()];
        assert_eq!(
            with(&body, &path, Some(json!("x"))),
            json!({"a": {"b": "x"}, "c": 2})
        );
        assert_eq!(with(&body, &path, None), json!({"a": {}, "c": 2}));
        assert_eq!(at(&body, &path), Some(&json!(1)));
    }
}
