//! How scenarios reach an ONAPI IUT: default bindings, variables, template functions
//! for notices, and canned answers of the mock SP.

use std::path::Path;
use std::time::Duration;

use minijinja::value::Value as JValue;
use minijinja::{Error as JError, ErrorKind};
use serde_json::{json, Map, Value};

use crate::peers::{PeerReply, ScriptedAnswer};
use crate::profile::target::Target;
use crate::profile::{Binding, Credentials};

/// The credential the harness triggers the CO with, when the target gives one.
pub const CUSTOMER: Credentials = Credentials::Named("customer");

/// The Activation Notice path on an SP.
pub const NOTICE_PATH: &str = "/onapi/2.5/activationnotice/";

/// Where the notice library lives, relative to the working folder.
pub const LIBRARY: &str = "fixtures/onapi/library";

/// The mandatory fields of a notice, as paths for `notice_without`.
pub const MANDATORY: &[&str] = &[
    "coAccessId",
    "orderDateTime",
    "requestedDateTime",
    "products",
    "products.0.productId",
    "products.0.offeringId",
    "products.0.coProduct",
    "products.0.coSubscriptionId",
    "customerDetails",
];

/// The default binding of `operation` for `role` (`advance_clock` and overrides are
/// applied by the caller).
pub fn binding(role: &str, operation: &str) -> Option<Binding> {
    let base = match (role, operation) {
        ("sp", "send_notice") => Binding::new("POST", "api", NOTICE_PATH, Credentials::Harness)
            .body(json!("{{ arg.notice }}"))
            .outputs(&[
                ("spReference", "$.spReference"),
                ("spSubscriptionId", "$.products[0].spSubscriptionId"),
            ]),
        ("co", "trigger_activation") => Binding::new("POST", "trigger", "/activations", CUSTOMER)
            .body(json!("{{ arg.order }}"))
            .outputs(&[("coOrderId", "$.coOrderId")]),
        _ => return None,
    };
    Some(base)
}

/// Operations a scenario may call when the IUT is the SP.
pub const SP_OPERATIONS: &[&str] = &["send_notice", "advance_clock"];

/// Operations a scenario may call when the IUT is the CO.
pub const CO_OPERATIONS: &[&str] = &["trigger_activation", "advance_clock"];

/// The variables and functions ONAPI adds to every scenario.
pub const TEMPLATE_NAMES: &[&str] = &[
    "notice_path",
    "id_pattern",
    "no_right_header",
    "no_right_credential",
    "valid_notice",
    "notice_without",
    "notice_with",
    "notice_library",
    "mandatory_fields",
];

/// The variables every ONAPI scenario starts with.
pub fn base_vars(target: &Target) -> Map<String, Value> {
    let mut vars = Map::new();
    vars.insert("notice_path".into(), NOTICE_PATH.into());
    vars.insert("id_pattern".into(), "^[-0-9a-zA-Z.]{1,36}$".into());
    let no_right = target.credential("no_right");
    vars.insert(
        "no_right_header".into(),
        no_right.map_or(Value::Null, |c| c.header.clone().into()),
    );
    vars.insert(
        "no_right_credential".into(),
        no_right.map_or(Value::Null, |c| c.value.clone().into()),
    );
    vars
}

/// Names of the mock SP's canned answers.
pub const PRESETS: &[&str] = &[
    "accepted",
    "bad_request",
    "throttled",
    "server_error",
    "unavailable",
    "hang",
];

/// A canned answer of the mock SP.
pub fn preset(name: &str, target: &Target) -> Option<ScriptedAnswer> {
    let now = |status: u16, body: Value| ScriptedAnswer {
        delay: Duration::ZERO,
        reply: Some(PeerReply::json(status, &body)),
    };
    Some(match name {
        // The mock SP's own reference answer.
        "accepted" => ScriptedAnswer::default(),
        "bad_request" => now(
            400,
            json!({"cause": "crosscheck: the mock SP refuses this notice"}),
        ),
        "server_error" => now(500, json!({"cause": "crosscheck: the mock SP failed"})),
        "unavailable" => now(
            503,
            json!({"cause": "crosscheck: the mock SP is unavailable"}),
        ),
        "throttled" => {
            let mut reply = PeerReply::json(429, &json!({"cause": "crosscheck: slow down"}));
            reply.headers.push(("retry-after".into(), "2".into()));
            ScriptedAnswer {
                delay: Duration::ZERO,
                reply: Some(reply),
            }
        }
        "hang" => ScriptedAnswer {
            delay: target.iut_peer_timeout + Duration::from_secs(2),
            reply: None,
        },
        _ => return None,
    })
}

fn jerr(message: impl std::fmt::Display) -> JError {
    JError::new(ErrorKind::InvalidOperation, message.to_string())
}

/// A well-formed notice with fresh IDs (so repeated sends are distinct orders).
pub fn fresh_notice() -> Value {
    let mut notice = super::format::valid_example();
    let id = || uuid::Uuid::new_v4().to_string();
    notice["coOrderId"] = Value::String(id());
    notice["coAccessId"] = Value::String(id());
    if let Some(p) = notice.get_mut("products").and_then(|p| p.get_mut(0)) {
        p["coSubscriptionId"] = Value::String(id());
    }
    notice
}

/// Why a notice could not be edited at a path, or the library not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoticeEditError(pub String);

impl From<String> for NoticeEditError {
    fn from(message: String) -> Self {
        Self(message)
    }
}

impl From<&str> for NoticeEditError {
    fn from(message: &str) -> Self {
        Self(message.to_string())
    }
}

/// Follows a dotted path (`products.0.productId`) to its parent and last segment.
fn parent<'a>(
    root: &'a mut Value,
    path: &'a str,
) -> Result<(&'a mut Value, &'a str), NoticeEditError> {
    let mut segments: Vec<&str> = path.split('.').collect();
    let last = segments
        .pop()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| NoticeEditError::from(format!("empty path `{path}`")))?;
    let mut node = root;
    for seg in segments {
        node = match node {
            Value::Object(m) => m.get_mut(seg),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| NoticeEditError::from(format!("`{path}`: no `{seg}`")))?;
    }
    Ok((node, last))
}

/// The notice with the field at `path` removed.
pub fn without(mut notice: Value, path: &str) -> Result<Value, NoticeEditError> {
    let (node, last) = parent(&mut notice, path)?;
    match node {
        Value::Object(m) => m
            .shift_remove(last)
            .map(|_| ())
            .ok_or_else(|| NoticeEditError::from(format!("`{path}` is not there"))),
        Value::Array(a) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => {
                a.remove(i);
                Ok(())
            }
            _ => Err(NoticeEditError::from(format!("`{path}` is not there"))),
        },
        _ => Err(NoticeEditError::from(format!("`{path}`: not a container"))),
    }?;
    Ok(notice)
}

/// The notice with the field at `path` set to `value`.
pub fn with(mut notice: Value, path: &str, value: Value) -> Result<Value, NoticeEditError> {
    let (node, last) = parent(&mut notice, path)?;
    match node {
        Value::Object(m) => {
            m.insert(last.to_string(), value);
            Ok(())
        }
        Value::Array(a) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => {
                a[i] = value;
                Ok(())
            }
            _ => Err(NoticeEditError::from(format!("`{path}` is not there"))),
        },
        _ => Err(NoticeEditError::from(format!("`{path}`: not a container"))),
    }?;
    Ok(notice)
}

/// The notices of one folder of the library under the suite folder `root`, as
/// `{name, raw}` (raw: the file's text).
pub fn library(root: &Path, kind: &str) -> Result<Vec<Value>, NoticeEditError> {
    let dir = root.join(LIBRARY).join(kind);
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        NoticeEditError::from(format!(
            "cannot read {}: {e} (the library lives in {LIBRARY} beside the scenarios/ folder)",
            dir.display()
        ))
    })?;
    let mut out: Vec<Value> = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let raw = std::fs::read_to_string(&path)
            .map_err(|e| NoticeEditError::from(format!("cannot read {}: {e}", path.display())))?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        out.push(json!({"name": name, "raw": raw}));
    }
    out.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    if out.is_empty() {
        return Err(NoticeEditError::from(format!(
            "{} holds no notices",
            dir.display()
        )));
    }
    Ok(out)
}

/// Registers `valid_notice`, `notice_without`, `notice_with`, `notice_library` and
/// `mandatory_fields`.
pub fn register_functions(env: &mut minijinja::Environment<'static>) {
    let to_j = |v: &Value| JValue::from_serialize(v);
    let from_j = |v: &JValue| serde_json::to_value(v).map_err(jerr);
    env.add_function("valid_notice", move || to_j(&fresh_notice()));
    env.add_function(
        "notice_without",
        move |notice: JValue, path: String| -> Result<JValue, JError> {
            without(from_j(&notice)?, &path)
                .map(|v| to_j(&v))
                .map_err(jerr)
        },
    );
    env.add_function(
        "notice_with",
        move |notice: JValue, path: String, value: JValue| -> Result<JValue, JError> {
            with(from_j(&notice)?, &path, from_j(&value)?)
                .map(|v| to_j(&v))
                .map_err(jerr)
        },
    );
    env.add_function(
        "notice_library",
        move |state: &minijinja::State, kind: String| -> Result<JValue, JError> {
            let root = state
                .lookup("suite_dir")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| ".".into());
            library(Path::new(&root), &kind)
                .map(|v| to_j(&Value::Array(v)))
                .map_err(jerr)
        },
    );
    env.add_function("mandatory_fields", move || to_j(&json!(MANDATORY)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_remove_and_set_nested_fields() {
        let n = json!({"a": 1, "products": [{"productId": "p", "offeringId": "o"}]});
        assert_eq!(
            without(n.clone(), "products.0.offeringId").expect("ok"),
            json!({"a": 1, "products": [{"productId": "p"}]})
        );
        assert_eq!(
            with(n.clone(), "products.0.productId", json!(5)).expect("ok")["products"][0]
                ["productId"],
            5
        );
        assert!(without(n, "products.3.x").is_err());
    }

    #[test]
    fn fresh_notices_differ() {
        assert_ne!(fresh_notice()["coOrderId"], fresh_notice()["coOrderId"]);
    }
}
