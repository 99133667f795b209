//! The session bodies of PROTOCOLS.md §2: checking a create, modify or extend body the
//! way a correct provider must, and the valid and corrupted bodies scenarios send.

use std::net::IpAddr;

use serde_json::{json, Map, Value};

/// The longest session a provider grants, in seconds (366 days).
pub const MAX_DURATION_SECONDS: u64 = 366 * 24 * 3600;

/// Why a body is refused: a CAMARA error code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// `INVALID_ARGUMENT` or `OUT_OF_RANGE`.
    pub code: &'static str,
    /// What is wrong, naming the field.
    pub message: String,
    /// Whether an IP address failed to parse (what `500-on-malformed-ip` trips on).
    pub malformed_ip: bool,
}

fn invalid(message: impl Into<String>) -> Invalid {
    Invalid {
        code: "INVALID_ARGUMENT",
        message: message.into(),
        malformed_ip: false,
    }
}

fn out_of_range(message: impl Into<String>) -> Invalid {
    Invalid {
        code: "OUT_OF_RANGE",
        message: message.into(),
        malformed_ip: false,
    }
}

/// One side of the connection: an access point or an end point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    /// `site` or `cloud`.
    pub kind: String,
    /// Primary address.
    pub primary: IpAddr,
    /// Secondary address, for protected sessions.
    pub secondary: Option<IpAddr>,
}

/// Where and how to notify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sink {
    /// The sink URL.
    pub url: String,
    /// The bearer token to send, if the consumer gave one.
    pub token: Option<String>,
}

/// A checked create body.
#[derive(Debug, Clone, PartialEq)]
pub struct Create {
    /// The access point.
    pub access_point: Point,
    /// The end point.
    pub end_point: Point,
    /// Bandwidth in Mbps.
    pub bandwidth_mbps: u64,
    /// Duration in the provider's unit.
    pub duration: u64,
    /// The sink, if any.
    pub sink: Option<Sink>,
    /// The fields a session echoes (everything but the sink credential).
    pub echo: Map<String, Value>,
}

/// What a checker tolerates.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Seconds per duration unit.
    pub unit_seconds: u64,
    /// Ignore unknown properties (a fault).
    pub allow_unknown: bool,
}

fn object<'a>(v: &'a Value, field: &str) -> Result<&'a Map<String, Value>, Invalid> {
    v.as_object()
        .ok_or_else(|| invalid(format!("{field} must be an object")))
}

fn known_only(
    map: &Map<String, Value>,
    at: &str,
    known: &[&str],
    rules: Rules,
) -> Result<(), Invalid> {
    if rules.allow_unknown {
        return Ok(());
    }
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(invalid(format!("unknown property {at}{k}"))),
        None => Ok(()),
    }
}

fn ip(v: &Value, field: &str) -> Result<IpAddr, Invalid> {
    let text = v
        .as_str()
        .ok_or_else(|| invalid(format!("{field} must be a string")))?;
    text.parse().map_err(|_| Invalid {
        code: "INVALID_ARGUMENT",
        message: format!("{field}: `{text}` is not an IPv4 or IPv6 address"),
        malformed_ip: true,
    })
}

fn point(v: Option<&Value>, field: &str, rules: Rules) -> Result<Point, Invalid> {
    let v = v.ok_or_else(|| invalid(format!("{field} is required")))?;
    let map = object(v, field)?;
    let known: &[&str] = if field == "accessPoint" {
        &["type", "primaryIp", "secondaryIp", "location"]
    } else {
        &["type", "primaryIp", "secondaryIp"]
    };
    known_only(map, &format!("{field}."), known, rules)?;
    let kind = match map.get("type") {
        Some(Value::String(s)) if s == "site" || s == "cloud" => s.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "{field}.type must be site or cloud, not {other}"
            )))
        }
        None => return Err(invalid(format!("{field}.type is required"))),
    };
    let primary = ip(
        map.get("primaryIp")
            .ok_or_else(|| invalid(format!("{field}.primaryIp is required")))?,
        &format!("{field}.primaryIp"),
    )?;
    let secondary = match map.get("secondaryIp") {
        None => None,
        Some(v) => Some(ip(v, &format!("{field}.secondaryIp"))?),
    };
    if let Some(loc) = map.get("location") {
        if loc.as_str().is_none_or(|s| s.chars().count() > 255) {
            return Err(invalid(format!(
                "{field}.location must be text of at most 255 characters"
            )));
        }
    }
    Ok(Point {
        kind,
        primary,
        secondary,
    })
}

/// A positive whole number in `field`, or why not.
pub fn positive(v: Option<&Value>, field: &str, max: u64) -> Result<u64, Invalid> {
    let v = v.ok_or_else(|| invalid(format!("{field} is required")))?;
    match v.as_i64() {
        Some(n) if n >= 1 && (n as u64) <= max => Ok(n as u64),
        Some(n) => Err(out_of_range(format!(
            "{field}: {n} is not between 1 and {max}"
        ))),
        None if v.is_number() => Err(invalid(format!("{field} must be a whole number, not {v}"))),
        None => Err(invalid(format!("{field} must be a number, not {v}"))),
    }
}

fn loopback_host(url: &str) -> bool {
    let rest = url.trim_start_matches("http://");
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = host
        .rsplit_once(':')
        .filter(|(h, _)| !h.is_empty() && !host.starts_with('['))
        .map_or(host, |(h, _)| h);
    host == "localhost"
        || host.starts_with("[::1]")
        || host.parse::<IpAddr>().is_ok_and(|a| a.is_loopback())
}

fn sink(map: &Map<String, Value>, rules: Rules) -> Result<Option<Sink>, Invalid> {
    let Some(url) = map.get("sink") else {
        return Ok(None);
    };
    let url = url
        .as_str()
        .filter(|u| u.len() > 8 && u.len() <= 2048)
        .ok_or_else(|| invalid("sink must be a URL"))?;
    let https = url.starts_with("https://");
    let loopback_http = url.starts_with("http://") && loopback_host(url);
    if !(https || loopback_http) {
        return Err(invalid(format!(
            "sink: `{url}` must be https (http only on loopback)"
        )));
    }
    let token = match map.get("sinkCredential") {
        None => None,
        Some(c) => {
            let c = object(c, "sinkCredential")?;
            known_only(
                c,
                "sinkCredential.",
                &[
                    "credentialType",
                    "accessToken",
                    "accessTokenExpiresUtc",
                    "accessTokenType",
                ],
                rules,
            )?;
            if c.get("credentialType").and_then(Value::as_str) != Some("ACCESSTOKEN") {
                return Err(invalid("sinkCredential.credentialType must be ACCESSTOKEN"));
            }
            if !c
                .get("accessTokenType")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("bearer"))
            {
                return Err(invalid("sinkCredential.accessTokenType must be bearer"));
            }
            let expires = c.get("accessTokenExpiresUtc").and_then(Value::as_str);
            if expires.is_none_or(|e| e.parse::<jiff::Timestamp>().is_err()) {
                return Err(invalid(
                    "sinkCredential.accessTokenExpiresUtc must be an RFC 3339 date-time",
                ));
            }
            match c.get("accessToken").and_then(Value::as_str) {
                Some(t) if !t.is_empty() && t.len() <= 4096 => Some(t.to_string()),
                _ => return Err(invalid("sinkCredential.accessToken must be a token")),
            }
        }
    };
    Ok(Some(Sink {
        url: url.to_string(),
        token,
    }))
}

/// Top-level properties of a create body.
pub const CREATE_FIELDS: &[&str] = &[
    "accessPoint",
    "endPoint",
    "bandwidthMbps",
    "duration",
    "isProtected",
    "sink",
    "sinkCredential",
];

/// Checks a create body.
pub fn create(v: &Value, rules: Rules) -> Result<Create, Invalid> {
    let map = object(v, "the body")?;
    known_only(map, "", CREATE_FIELDS, rules)?;
    let access_point = point(map.get("accessPoint"), "accessPoint", rules)?;
    let end_point = point(map.get("endPoint"), "endPoint", rules)?;
    let bandwidth_mbps = positive(map.get("bandwidthMbps"), "bandwidthMbps", 1_000_000)?;
    let max = (MAX_DURATION_SECONDS / rules.unit_seconds.max(1)).max(1);
    let duration = positive(map.get("duration"), "duration", max)?;
    let protected = match map.get("isProtected") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(invalid(format!(
                "isProtected must be true or false, not {other}"
            )))
        }
    };
    if protected && (access_point.secondary.is_none() || end_point.secondary.is_none()) {
        return Err(invalid(
            "isProtected is true: accessPoint.secondaryIp and endPoint.secondaryIp are required",
        ));
    }
    let sink = sink(map, rules)?;
    let mut echo = map.clone();
    echo.remove("sinkCredential");
    Ok(Create {
        access_point,
        end_point,
        bandwidth_mbps,
        duration,
        sink,
        echo,
    })
}

/// Checks a modify body: `{"bandwidthMbps": n}`.
pub fn modify(v: &Value, rules: Rules) -> Result<u64, Invalid> {
    let map = object(v, "the body")?;
    known_only(
        map,
        "",
        &["bandwidthMbps"],
        Rules {
            allow_unknown: false,
            ..rules
        },
    )?;
    positive(map.get("bandwidthMbps"), "bandwidthMbps", 1_000_000)
}

/// Checks an extend body: `{"requestedAdditionalDuration": n}` in the provider's unit.
pub fn extend(v: &Value, rules: Rules) -> Result<u64, Invalid> {
    let map = object(v, "the body")?;
    known_only(
        map,
        "",
        &["requestedAdditionalDuration"],
        Rules {
            allow_unknown: false,
            ..rules
        },
    )?;
    let max = (MAX_DURATION_SECONDS / rules.unit_seconds.max(1)).max(1);
    positive(
        map.get("requestedAdditionalDuration"),
        "requestedAdditionalDuration",
        max,
    )
}

/// A valid create body: a site to a cloud, 100 Mbps, for `duration` units.
pub fn valid(duration: u64) -> Value {
    json!({
        "accessPoint": {"type": "site", "primaryIp": "198.51.100.10", "location": "Lisbon DC 2"},
        "endPoint": {"type": "cloud", "primaryIp": "203.0.113.20"},
        "bandwidthMbps": 100,
        "duration": duration,
    })
}

/// Why a field could not be set or removed at a dotted path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// A part of the path on the way is not an object.
    #[error("{path}: `{at}` is not an object")]
    NotAnObject {
        /// The whole path.
        path: String,
        /// The part of it that is not an object (empty: the body itself).
        at: String,
    },
    /// A part of the path is missing.
    #[error("{path}: no `{part}`")]
    Missing {
        /// The whole path.
        path: String,
        /// The missing part.
        part: String,
    },
    /// The last field is not there.
    #[error("{path}: no such field")]
    NoSuchField {
        /// The whole path.
        path: String,
    },
}

/// Sets the field at a dotted `path` (objects only), creating objects on the way.
pub fn with(mut body: Value, path: &str, value: Value) -> Result<Value, PathError> {
    let mut at = &mut body;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let map = at.as_object_mut().ok_or_else(|| PathError::NotAnObject {
            path: path.to_string(),
            at: parts[..i].join("."),
        })?;
        if i + 1 == parts.len() {
            map.insert((*part).to_string(), value);
            break;
        }
        at = map
            .entry((*part).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    // `split` yields at least one part, so the loop always set the field.
    Ok(body)
}

/// Removes the field at a dotted `path`.
pub fn without(mut body: Value, path: &str) -> Result<Value, PathError> {
    let (parent, last) = match path.rsplit_once('.') {
        Some((p, l)) => (Some(p), l),
        None => (None, path),
    };
    let mut at = &mut body;
    for part in parent.into_iter().flat_map(|p| p.split('.')) {
        at = at.get_mut(part).ok_or_else(|| PathError::Missing {
            path: path.to_string(),
            part: part.to_string(),
        })?;
    }
    at.as_object_mut()
        .and_then(|m| m.remove(last))
        .ok_or_else(|| PathError::NoSuchField {
            path: path.to_string(),
        })?;
    Ok(body)
}

/// One corrupted body, named for messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Corruption {
    /// What was changed.
    pub name: String,
    /// The body.
    pub body: Value,
}

/// Every single-value corruption of a valid body that a binding can pass through a
/// field mapping: bad addresses, bad numbers, unknown enum values, protection without
/// secondary addresses. `unit_seconds` sets the duration limit.
pub fn value_corruptions(unit_seconds: u64) -> Vec<Corruption> {
    let too_long = MAX_DURATION_SECONDS / unit_seconds.max(1) + 1;
    let cases: Vec<(&str, Value)> = vec![
        ("accessPoint.primaryIp", json!("300.1.2.3")),
        ("accessPoint.primaryIp", json!("198.51.100")),
        ("accessPoint.primaryIp", json!("not-an-ip")),
        ("accessPoint.primaryIp", json!("198.51.100.10/24")),
        ("endPoint.primaryIp", json!("2001:db8::zz")),
        ("endPoint.primaryIp", json!(203)),
        ("bandwidthMbps", json!(0)),
        ("bandwidthMbps", json!(-10)),
        ("bandwidthMbps", json!(1.5)),
        ("bandwidthMbps", json!("100")),
        ("duration", json!(0)),
        ("duration", json!(-1)),
        ("duration", json!(2.5)),
        ("duration", json!(too_long)),
        ("accessPoint.type", json!("datacenter")),
        ("endPoint.type", json!("CLOUD")),
        ("isProtected", json!(true)),
        ("isProtected", json!("yes")),
    ];
    cases
        .into_iter()
        .map(|(path, value)| Corruption {
            name: format!("{path} = {value}"),
            body: with(valid(60), path, value).unwrap_or(Value::Null),
        })
        .collect()
}

/// Mandatory fields of a create body, as dotted paths.
pub const MANDATORY: &[&str] = &[
    "accessPoint",
    "accessPoint.type",
    "accessPoint.primaryIp",
    "endPoint",
    "endPoint.type",
    "endPoint.primaryIp",
    "bandwidthMbps",
    "duration",
];

/// Every corruption of a body's shape, which a field mapping cannot express: each
/// mandatory field missing, unknown properties (top level and nested), wrong types of
/// whole objects, and bodies that are not an object.
pub fn shape_corruptions() -> Vec<Corruption> {
    let mut out: Vec<Corruption> = MANDATORY
        .iter()
        .filter_map(|path| {
            without(valid(60), path).ok().map(|body| Corruption {
                name: format!("without {path}"),
                body,
            })
        })
        .collect();
    let more: Vec<(&str, Value)> = vec![
        (
            "unknown property priority",
            with(valid(60), "priority", json!("high")).unwrap_or_default(),
        ),
        (
            "unknown property accessPoint.vlan",
            with(valid(60), "accessPoint.vlan", json!(42)).unwrap_or_default(),
        ),
        (
            "accessPoint is a string",
            with(valid(60), "accessPoint", json!("198.51.100.10")).unwrap_or_default(),
        ),
        ("an empty object", json!({})),
        ("an array", json!([valid(60)])),
        ("null", Value::Null),
    ];
    out.extend(more.into_iter().map(|(name, body)| Corruption {
        name: name.into(),
        body,
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RULES: Rules = Rules {
        unit_seconds: 1,
        allow_unknown: false,
    };

    #[test]
    fn the_valid_body_passes_and_echoes_without_the_credential() {
        let body = with(valid(60), "sink", json!("http://127.0.0.1:9/s")).expect("set");
        let body = with(
            body,
            "sinkCredential",
            json!({"credentialType": "ACCESSTOKEN", "accessToken": "t0k", "accessTokenExpiresUtc": "2030-01-01T00:00:00Z", "accessTokenType": "bearer"}),
        )
        .expect("set");
        let c = create(&body, RULES).expect("valid");
        assert_eq!(c.bandwidth_mbps, 100);
        assert_eq!(c.sink.and_then(|s| s.token).as_deref(), Some("t0k"));
        assert!(!c.echo.contains_key("sinkCredential"));
    }

    #[test]
    fn every_corruption_is_refused_with_a_camara_code() {
        for c in value_corruptions(1).into_iter().chain(shape_corruptions()) {
            let e = create(&c.body, RULES).expect_err(&c.name);
            assert!(
                ["INVALID_ARGUMENT", "OUT_OF_RANGE"].contains(&e.code),
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn http_sinks_only_on_loopback() {
        for (url, ok) in [
            ("http://127.0.0.1:8080/x", true),
            ("http://localhost:1/x", true),
            ("http://[::1]:80/x", true),
            ("https://example.com/x", true),
            ("http://example.com/x", false),
            ("http://10.0.0.1/x", false),
        ] {
            let body = with(valid(60), "sink", json!(url)).expect("set");
            assert_eq!(create(&body, RULES).is_ok(), ok, "{url}");
        }
    }

    #[test]
    fn paths_set_and_remove_nested_fields() {
        let b = without(valid(1), "accessPoint.location").expect("removed");
        assert!(b["accessPoint"].get("location").is_none());
        assert!(without(valid(1), "nope.x").is_err());
        assert_eq!(
            with(json!({}), "a.b", json!(1)).expect("set"),
            json!({"a": {"b": 1}})
        );
    }

    proptest! {
        #[test]
        fn bandwidth_and_duration_accept_exactly_the_positive_range(n in -5i64..2_000_000) {
            let body = with(valid(60), "bandwidthMbps", json!(n)).expect("set");
            prop_assert_eq!(create(&body, RULES).is_ok(), (1..=1_000_000).contains(&n));
            let body = with(valid(60), "duration", json!(n)).expect("set");
            let max = MAX_DURATION_SECONDS as i64;
            prop_assert_eq!(create(&body, RULES).is_ok(), (1..=max).contains(&n));
        }

        #[test]
        fn arbitrary_strings_never_panic_the_checker(s in ".{0,40}") {
            let body = with(valid(60), "accessPoint.primaryIp", json!(s.clone())).expect("set");
            let ok = create(&body, RULES).is_ok();
            prop_assert_eq!(ok, s.parse::<IpAddr>().is_ok());
        }
    }
}
