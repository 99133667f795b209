//! How scenarios reach an S2C provider: default bindings (PROTOCOLS.md §2), variables,
//! template functions for session bodies, and the canned answers of the mock sink.

use std::time::Duration;

use minijinja::value::Value as JValue;
use minijinja::{Error as JError, ErrorKind};
use serde_json::{json, Map, Value};

use super::body;
use super::sim::EVENT_TYPE;
use crate::peers::{PeerReply, ScriptedAnswer};
use crate::profile::target::Target;
use crate::profile::{Binding, Credentials};

/// Operations a scenario may call when the IUT is the provider.
pub const OPERATIONS: &[&str] = &[
    "create_session",
    "get_session",
    "modify_session",
    "extend_session",
    "delete_session",
    "assess",
    "advance_clock",
];

/// The operations whose answers make up the CAMARA session shape.
pub const SESSION_OPERATIONS: &[&str] = &[
    "create_session",
    "get_session",
    "modify_session",
    "extend_session",
    "delete_session",
];

/// Outputs every session operation gives.
const SESSION_OUTPUTS: &[(&str, &str)] = &[
    ("session_id", "$.sessionId"),
    ("status", "$.status"),
    ("bandwidth", "$.bandwidthMbps"),
    ("started_at", "$.startedAt"),
    ("expires_at", "$.expiresAt"),
];

/// The default binding of `operation`.
pub fn binding(operation: &str) -> Option<Binding> {
    let session = "/sessions/{{ arg.id }}";
    let b = match operation {
        "create_session" => Binding::new("POST", "api", "/sessions", Credentials::Harness)
            .body(json!("{{ arg.body }}")),
        "get_session" => Binding::new("GET", "api", session, Credentials::Harness),
        "modify_session" => Binding::new("PATCH", "api", session, Credentials::Harness)
            .body(json!({"bandwidthMbps": "{{ arg.bandwidth }}"})),
        "extend_session" => Binding::new(
            "POST",
            "api",
            "/sessions/{{ arg.id }}/extend",
            Credentials::Harness,
        )
        .body(json!({"requestedAdditionalDuration": "{{ arg.duration }}"})),
        "delete_session" => Binding::new("DELETE", "api", session, Credentials::Harness),
        "assess" => Binding::new("POST", "api", "/assessments", Credentials::Harness)
            .body(json!("{{ arg.body }}"))
            .outputs(&[("available", "$.available"), ("options", "$.options")]),
        _ => return None,
    };
    Some(if SESSION_OPERATIONS.contains(&operation) {
        b.outputs(SESSION_OUTPUTS)
    } else {
        b
    })
}

/// The variables and functions S2C adds to every scenario.
pub const TEMPLATE_NAMES: &[&str] = &[
    "sink_url",
    "unit_seconds",
    "capacity_mbps",
    "create_path",
    "uuid_pattern",
    "event_type",
    "valid_session",
    "session_with",
    "session_without",
    "with_sink",
    "value_corruptions",
    "shape_corruptions",
    "seconds_between",
];

/// The UUID pattern session ids must match.
pub const UUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// The variables every S2C scenario starts with.
pub fn base_vars(
    target: &Target,
    sink_url: &str,
    unit_seconds: u64,
    capacity: Option<u64>,
) -> Map<String, Value> {
    let mut vars = Map::new();
    vars.insert("sink_url".into(), sink_url.into());
    vars.insert("unit_seconds".into(), unit_seconds.into());
    vars.insert(
        "capacity_mbps".into(),
        capacity.map_or(Value::Null, Value::from),
    );
    let create_path = target
        .bindings
        .get("create_session")
        .and_then(|o| o.path.clone())
        .unwrap_or_else(|| "/sessions".into());
    vars.insert("create_path".into(), create_path.into());
    vars.insert("uuid_pattern".into(), UUID_PATTERN.into());
    vars.insert("event_type".into(), EVENT_TYPE.into());
    vars
}

fn jerr(message: impl std::fmt::Display) -> JError {
    JError::new(ErrorKind::InvalidOperation, message.to_string())
}

fn to_j(v: &Value) -> JValue {
    JValue::from_serialize(v)
}

fn from_j(v: &JValue) -> Result<Value, JError> {
    serde_json::to_value(v).map_err(jerr)
}

fn corruptions(list: Vec<body::Corruption>) -> JValue {
    to_j(&Value::Array(
        list.into_iter()
            .map(|c| json!({"name": c.name, "body": c.body}))
            .collect(),
    ))
}

/// Registers the S2C template functions; `with_sink` points at `sink_url` with
/// `token` (the target's `iut` credential) unless a scenario gives its own token.
pub fn register_functions(
    env: &mut minijinja::Environment<'static>,
    sink_url: String,
    token: String,
    unit_seconds: u64,
) {
    env.add_function("valid_session", |duration: Option<u64>| {
        to_j(&body::valid(duration.unwrap_or(60)))
    });
    env.add_function(
        "session_with",
        |b: JValue, path: String, value: JValue| -> Result<JValue, JError> {
            body::with(from_j(&b)?, &path, from_j(&value)?)
                .map(|v| to_j(&v))
                .map_err(jerr)
        },
    );
    env.add_function(
        "session_without",
        |b: JValue, path: String| -> Result<JValue, JError> {
            body::without(from_j(&b)?, &path)
                .map(|v| to_j(&v))
                .map_err(jerr)
        },
    );
    env.add_function(
        "with_sink",
        move |b: JValue, own: Option<String>| -> Result<JValue, JError> {
            let mut v = from_j(&b)?;
            let map = v
                .as_object_mut()
                .ok_or_else(|| jerr("with_sink: the body is not an object"))?;
            map.insert("sink".into(), sink_url.clone().into());
            map.insert(
                "sinkCredential".into(),
                json!({
                    "credentialType": "ACCESSTOKEN",
                    "accessToken": own.unwrap_or_else(|| token.clone()),
                    "accessTokenExpiresUtc": "2099-12-31T23:59:59Z",
                    "accessTokenType": "bearer",
                }),
            );
            Ok(to_j(&v))
        },
    );
    env.add_function("value_corruptions", move || {
        corruptions(body::value_corruptions(unit_seconds))
    });
    env.add_function("shape_corruptions", || {
        corruptions(body::shape_corruptions())
    });
    env.add_function(
        "seconds_between",
        |from: String, to: String| -> Result<f64, JError> {
            let parse = |t: &str| {
                t.parse::<jiff::Timestamp>().map_err(|e| {
                    jerr(format!(
                        "seconds_between: `{t}` is not an RFC 3339 date-time: {e}"
                    ))
                })
            };
            let d = parse(&to)?.duration_since(parse(&from)?);
            Ok(d.as_secs_f64())
        },
    );
}

/// Names of the mock sink's canned answers.
pub const PRESETS: &[&str] = &[
    "accepted",
    "sink_error",
    "sink_unauthorized",
    "delayed",
    "hang",
];

/// The sink's reference answer: 204, no body.
pub fn accepted() -> PeerReply {
    PeerReply {
        status: 204,
        content_type: None,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

/// A canned answer of the mock sink.
pub fn preset(name: &str, target: &Target) -> Option<ScriptedAnswer> {
    let now = |status: u16, body: Value| ScriptedAnswer {
        delay: Duration::ZERO,
        reply: Some(PeerReply::json(status, &body)),
    };
    Some(match name {
        "accepted" => ScriptedAnswer::default(),
        "sink_error" => now(
            500,
            json!({"status": 500, "code": "INTERNAL", "message": "crosscheck: the mock sink failed"}),
        ),
        "sink_unauthorized" => now(
            401,
            json!({"status": 401, "code": "UNAUTHENTICATED", "message": "crosscheck: the mock sink refuses"}),
        ),
        "delayed" => ScriptedAnswer {
            delay: Duration::from_secs(1),
            reply: None,
        },
        // Longer than the provider may reasonably wait for a sink.
        "hang" => ScriptedAnswer {
            delay: target.step_timeout * 2,
            reply: None,
        },
        _ => return None,
    })
}
