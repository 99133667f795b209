//! Mutants of a provider's request bodies: seeded invalid create bodies (9 classes)
//! and invalid modify bodies, and the judge of an answer to one. The body checkers
//! ([`body::create`], [`body::modify`]) are the oracle for validity: a mutant is kept
//! only when the checker refuses it, so every answer but a 400 is a finding. The
//! campaign that sends them is in `fuzz_campaign.rs`.

use std::fmt;

use serde_json::{json, Value};

use super::body::{self, Rules, MANDATORY};
use crate::http::{HttpResponse, TransportError};
use crate::profile::fuzz::{self, oracle, Mutant, Problem, Rng};

/// The request that carries a create body.
pub const CREATE: &str = "create";

/// The request that carries a modify body (PATCH of an existing session).
pub const MODIFY: &str = "modify";

/// How many times a mutation is redrawn until the checker refuses it.
const ATTEMPTS: usize = 64;

/// A family of mutations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// A mandatory field removed.
    Missing,
    /// A field set to a value of another type.
    WrongType,
    /// A number at the edge of, or beyond, what JSON and the field allow.
    EdgeNumber,
    /// An IP address mutated byte-wise.
    BadIp,
    /// A property the body does not have, at the top or inside a point.
    Unknown,
    /// The JSON text cut short.
    Truncated,
    /// Random bytes instead of JSON.
    RandomBytes,
    /// JSON that is not an object.
    NotObject,
    /// No body at all.
    Empty,
}

/// Every class, in the order the generator draws them.
pub const CLASSES: &[Class] = &[
    Class::Missing,
    Class::WrongType,
    Class::EdgeNumber,
    Class::BadIp,
    Class::Unknown,
    Class::Truncated,
    Class::RandomBytes,
    Class::NotObject,
    Class::Empty,
];

impl Class {
    /// The class's name in findings.
    pub fn label(self) -> &'static str {
        match self {
            Class::Missing => "missing field",
            Class::WrongType => "wrong type",
            Class::EdgeNumber => "edge number",
            Class::BadIp => "bad IP",
            Class::Unknown => "unknown property",
            Class::Truncated => "truncated JSON",
            Class::RandomBytes => "random bytes",
            Class::NotObject => "not an object",
            Class::Empty => "empty body",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The checker's rules for a provider whose duration unit is `unit_seconds`.
pub fn rules(unit_seconds: u64) -> Rules {
    Rules {
        unit_seconds,
        allow_unknown: false,
    }
}

/// Whether a correct provider must refuse `body`: it is not JSON, or the create body
/// checker refuses it.
pub fn is_invalid(body: &[u8], unit_seconds: u64) -> bool {
    match serde_json::from_slice::<Value>(body) {
        Err(_) => true,
        Ok(v) => body::create(&v, rules(unit_seconds)).is_err(),
    }
}

/// The body every mutant starts from.
fn base() -> Value {
    body::valid(60)
}

/// Fields a mutation may set: those of the valid body and the optional ones.
const SETTABLE: &[&str] = &[
    "accessPoint",
    "accessPoint.type",
    "accessPoint.primaryIp",
    "accessPoint.secondaryIp",
    "accessPoint.location",
    "endPoint",
    "endPoint.type",
    "endPoint.primaryIp",
    "endPoint.secondaryIp",
    "bandwidthMbps",
    "duration",
    "isProtected",
    "sink",
    "sinkCredential",
];

/// Address fields, each with a valid address to mutate.
const IPS: &[(&str, &str)] = &[
    ("accessPoint.primaryIp", "198.51.100.10"),
    ("endPoint.primaryIp", "203.0.113.20"),
    ("accessPoint.secondaryIp", "198.51.100.11"),
    ("endPoint.secondaryIp", "2001:db8::21"),
];

/// Characters byte-wise IP mutations draw from.
const IP_ALPHABET: &[u8] = b"0123456789abcdefABCDEFxz.:/%- ";

/// Addresses no parser should take.
const IPV6_GARBAGE: &[&str] = &[
    "2001:db8::zz",
    ":::1",
    "1::2::3",
    "2001:db8:0:0:0:0:0:0:1",
    "fe80::1%eth0",
    "[2001:db8::1]",
    "2001:db8::/32",
    "::ffff:300.1.2.3",
    "12345::1",
    "g::1",
];

/// Property names the create body does not have at the top or in a point.
const UNKNOWN_NAMES: &[&str] = &[
    "priority",
    "vlan",
    "qos",
    "note",
    "location",
    "BandwidthMbps",
    "primaryIP",
    "sessionId",
    "",
];

/// A value of each JSON type.
fn any_type(rng: &mut Rng) -> Value {
    match rng.below(6) {
        0 => Value::Null,
        1 => json!("text"),
        2 => json!(42),
        3 => json!(true),
        4 => json!([1, "two"]),
        _ => json!({"nested": {}}),
    }
}

/// Numbers at the edges; `too_long` is one past the longest duration.
fn edge_number(rng: &mut Rng, too_long: u64) -> Value {
    match rng.below(11) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(1.5),
        3 => json!(1e300),
        4 => json!(i64::MAX),
        5 => json!(i64::MIN),
        6 => json!(u64::MAX),
        // u64::MAX + 1, which only a float can hold.
        7 => json!(18_446_744_073_709_551_616.0_f64),
        8 => json!(-0.0_f64),
        9 => json!(1_000_001),
        _ => json!(too_long),
    }
}

fn mutate_ip(ip: &str, rng: &mut Rng) -> (String, String) {
    let mut bytes = ip.as_bytes().to_vec();
    let pick = |rng: &mut Rng| IP_ALPHABET[rng.below(IP_ALPHABET.len())];
    match rng.below(6) {
        0 => {
            let i = rng.below(bytes.len() + 1);
            bytes.insert(i, pick(rng));
            (
                format!("insert at {i}"),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        }
        1 => {
            let i = rng.below(bytes.len());
            if i < bytes.len() {
                bytes.remove(i);
            }
            (
                format!("delete byte {i}"),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        }
        2 => {
            let i = rng.below(bytes.len());
            if let Some(b) = bytes.get_mut(i) {
                *b = pick(rng);
            }
            (
                format!("replace byte {i}"),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        }
        3 => ("append /24".into(), format!("{ip}/24")),
        4 => {
            let garbage = IPV6_GARBAGE[rng.below(IPV6_GARBAGE.len())];
            ("IPv6 garbage".into(), garbage.to_string())
        }
        _ => {
            let kept = rng.below(bytes.len());
            ("truncated".into(), ip.chars().take(kept).collect())
        }
    }
}

fn mutate_once(rng: &mut Rng, unit_seconds: u64) -> Mutant {
    let class = CLASSES[rng.below(CLASSES.len())];
    let valid = base();
    match class {
        Class::Missing => {
            let path = MANDATORY[rng.below(MANDATORY.len())];
            let body = body::without(valid, path).unwrap_or(Value::Null);
            json_mutant(class, format!("remove {path}"), &body)
        }
        Class::WrongType => {
            let path = SETTABLE[rng.below(SETTABLE.len())];
            let value = any_type(rng);
            let name = format!("set {path} to {value}");
            let body = body::with(valid, path, value).unwrap_or(Value::Null);
            json_mutant(class, name, &body)
        }
        Class::EdgeNumber => {
            let too_long = body::MAX_DURATION_SECONDS / unit_seconds.max(1) + 1;
            let path = ["bandwidthMbps", "duration"][rng.below(2)];
            let value = edge_number(rng, too_long);
            let name = format!("set {path} to {value}");
            let body = body::with(valid, path, value).unwrap_or(Value::Null);
            json_mutant(class, name, &body)
        }
        Class::BadIp => {
            let (path, ip) = IPS[rng.below(IPS.len())];
            let (how, text) = mutate_ip(ip, rng);
            let name = format!("{how} of {path}: {text:?}");
            let body = body::with(valid, path, Value::String(text)).unwrap_or(Value::Null);
            json_mutant(class, name, &body)
        }
        Class::Unknown => {
            let at = ["", "accessPoint.", "endPoint."][rng.below(3)];
            let property = match UNKNOWN_NAMES.get(rng.below(UNKNOWN_NAMES.len() + 1)) {
                Some(n) => (*n).to_string(),
                None => format!("extra{}", rng.below(1000)),
            };
            let value = any_type(rng);
            let path = format!("{at}{property}");
            // `with` splits on dots; an empty name needs the map itself.
            let mut body = valid;
            let target = match at.strip_suffix('.') {
                Some(point) => body.get_mut(point),
                None => Some(&mut body),
            };
            if let Some(map) = target.and_then(Value::as_object_mut) {
                map.insert(property, value);
            }
            json_mutant(class, format!("add {path:?}"), &body)
        }
        Class::Truncated => {
            let text = valid.to_string().into_bytes();
            let keep = rng.below(text.len());
            raw_mutant(
                class,
                format!("cut at byte {keep} of {}", text.len()),
                text[..keep].to_vec(),
            )
        }
        Class::RandomBytes => {
            let len = rng.below(64) + 1;
            let body: Vec<u8> = (0..len).map(|_| (rng.next_u64() & 0xff) as u8).collect();
            raw_mutant(class, format!("{len} bytes"), body)
        }
        Class::NotObject => {
            let body = match rng.below(6) {
                0 => json!([]),
                1 => Value::Null,
                2 => json!("a string"),
                3 => json!(42),
                4 => json!(true),
                _ => json!([valid]),
            };
            let shown = fuzz::short(&body.to_string(), 20);
            json_mutant(class, shown, &body)
        }
        Class::Empty => raw_mutant(class, "no bytes".into(), Vec::new()),
    }
}

/// One mutant of the valid create body that a provider with durations in
/// `unit_seconds` must refuse; mutations the checker accepts are drawn again.
pub fn mutant(rng: &mut Rng, unit_seconds: u64) -> Mutant {
    for _ in 0..ATTEMPTS {
        let m = mutate_once(rng, unit_seconds);
        if is_invalid(&m.input, unit_seconds) {
            return m;
        }
    }
    raw_mutant(Class::NotObject, "null".into(), b"null".to_vec())
}

fn raw_mutant(class: Class, label: String, input: Vec<u8>) -> Mutant {
    Mutant {
        class: class.label(),
        label,
        via: CREATE,
        input,
    }
}

fn json_mutant(class: Class, label: String, body: &Value) -> Mutant {
    raw_mutant(class, label, body.to_string().into_bytes())
}

/// Classes of modify mutants.
pub const MODIFY_CLASSES: &[&str] = &[
    "modify: missing field",
    "modify: wrong type",
    "modify: edge number",
    "modify: unknown property",
    "modify: truncated JSON",
    "modify: not an object",
    "modify: empty body",
];

/// Whether a correct provider must refuse `body` as a modify body.
pub fn is_invalid_modify(body: &[u8], unit_seconds: u64) -> bool {
    match serde_json::from_slice::<Value>(body) {
        Err(_) => true,
        Ok(v) => body::modify(&v, rules(unit_seconds)).is_err(),
    }
}

fn modify_once(rng: &mut Rng) -> Mutant {
    let pick = rng.below(MODIFY_CLASSES.len());
    let valid = json!({"bandwidthMbps": 200});
    let (label, input) = match pick {
        0 => ("remove bandwidthMbps".to_string(), b"{}".to_vec()),
        1 => {
            let v = any_type(rng);
            (
                format!("set bandwidthMbps to {v}"),
                json!({"bandwidthMbps": v}).to_string().into_bytes(),
            )
        }
        2 => {
            let v = edge_number(rng, 1_000_001);
            (
                format!("set bandwidthMbps to {v}"),
                json!({"bandwidthMbps": v}).to_string().into_bytes(),
            )
        }
        3 => {
            let name = UNKNOWN_NAMES[rng.below(UNKNOWN_NAMES.len())];
            let mut body = valid;
            body[name] = any_type(rng);
            (format!("add {name:?}"), body.to_string().into_bytes())
        }
        4 => {
            let text = valid.to_string().into_bytes();
            let keep = rng.below(text.len());
            (format!("cut at byte {keep}"), text[..keep].to_vec())
        }
        5 => {
            let body = [json!([]), Value::Null, json!(200), json!([valid])][rng.below(4)].clone();
            (
                fuzz::short(&body.to_string(), 20),
                body.to_string().into_bytes(),
            )
        }
        _ => ("no bytes".to_string(), Vec::new()),
    };
    Mutant {
        class: MODIFY_CLASSES[pick],
        label,
        via: MODIFY,
        input,
    }
}

/// One modify mutant a provider with durations in `unit_seconds` must refuse.
pub fn modify_mutant(rng: &mut Rng, unit_seconds: u64) -> Mutant {
    for _ in 0..ATTEMPTS {
        let m = modify_once(rng);
        if is_invalid_modify(&m.input, unit_seconds) {
            return m;
        }
    }
    Mutant {
        class: MODIFY_CLASSES[5],
        label: "null".into(),
        via: MODIFY,
        input: b"null".to_vec(),
    }
}

/// One mutant: a create body three times in four, else a modify body.
pub fn any_mutant(rng: &mut Rng, unit_seconds: u64) -> Mutant {
    if rng.below(4) == 3 {
        modify_mutant(rng, unit_seconds)
    } else {
        mutant(rng, unit_seconds)
    }
}

/// Whether `input` must be refused through `via`.
pub fn must_refuse(via: &str, input: &[u8], unit_seconds: u64) -> bool {
    if via == MODIFY {
        is_invalid_modify(input, unit_seconds)
    } else {
        is_invalid(input, unit_seconds)
    }
}

/// `count` mutants from `seed`: the same seed gives the same mutants.
pub fn mutants(seed: u64, count: usize, unit_seconds: u64) -> Vec<Mutant> {
    let mut rng = Rng::new(seed);
    (0..count).map(|_| mutant(&mut rng, unit_seconds)).collect()
}

/// Whether `code` is a CAMARA error code: SCREAMING_SNAKE, optionally `S2C_VPN.`-prefixed.
pub fn camara_code(code: &str) -> bool {
    let code = code.strip_prefix("S2C_VPN.").unwrap_or(code);
    code.starts_with(|c: char| c.is_ascii_uppercase())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// What is wrong with an answer to an invalid body (the first oracle that fails).
pub fn judge(answer: &Result<HttpResponse, TransportError>) -> Option<Problem> {
    let r = match fuzz::answered(answer) {
        Err(p) => return Some(p),
        Ok(r) => r,
    };
    let text = || fuzz::answer_text(r);
    if (200..300).contains(&r.status) {
        // Not the body: it names a session id, and a seed's findings stay the same.
        return Some(Problem::new(
            oracle::NOT_ACCEPTED,
            format!("created from an invalid body: answered {}", r.status),
        ));
    }
    if r.status != 400 {
        return Some(Problem::new(
            oracle::STATUS,
            format!("answered {}, not 400: {}", r.status, text()),
        ));
    }
    let shape = |detail: String| Some(Problem::new(oracle::SHAPE, detail));
    let Some(error) = r.json.as_ref().and_then(Value::as_object) else {
        return shape(format!("answered 400 without a JSON object: {}", text()));
    };
    match error.get("status") {
        Some(s) if s.as_u64() == Some(400) => {}
        other => {
            return shape(format!(
                "the 400 body's status is {}, not 400",
                other.map_or_else(|| "missing".to_string(), Value::to_string)
            ))
        }
    }
    match error.get("code") {
        Some(Value::String(c)) if camara_code(c) => {}
        other => {
            return shape(format!(
                "the 400 body's code is {}, not a SCREAMING_SNAKE string",
                other.map_or_else(|| "missing".to_string(), Value::to_string)
            ))
        }
    }
    if !error.get("message").is_some_and(Value::is_string) {
        return shape("the 400 body has no message string".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::fuzz::Rng;
    use proptest::prelude::*;
    use std::collections::BTreeSet;
    use std::time::Duration;

    #[test]
    fn every_mutant_is_invalid_for_both_units() {
        for unit in [1, 3600] {
            for seed in 0..10 {
                let mut rng = Rng::new(seed);
                for _ in 0..300 {
                    let m = any_mutant(&mut rng, unit);
                    assert!(
                        must_refuse(m.via, &m.input, unit),
                        "{} {:?}",
                        m.label,
                        m.input
                    );
                }
            }
        }
    }

    #[test]
    fn every_class_appears_within_500_cases() {
        for seed in [0, 1, 7, u64::MAX] {
            let seen: BTreeSet<&str> = mutants(seed, 500, 1).iter().map(|m| m.class).collect();
            assert_eq!(seen.len(), CLASSES.len(), "seed {seed}: {seen:?}");
            let mut rng = Rng::new(seed);
            let modify: BTreeSet<&str> =
                (0..500).map(|_| modify_mutant(&mut rng, 1).class).collect();
            assert_eq!(
                modify.len(),
                MODIFY_CLASSES.len(),
                "seed {seed}: {modify:?}"
            );
        }
    }

    #[test]
    fn mutants_break_what_they_name() {
        for m in mutants(3, 500, 1) {
            match m.class {
                "missing field" => assert!(m.label.starts_with("remove ")),
                "empty body" => assert!(m.input.is_empty()),
                "truncated JSON" => assert!(serde_json::from_slice::<Value>(&m.input).is_err()),
                "not an object" => {
                    assert!(serde_json::from_slice::<Value>(&m.input).is_ok_and(|v| !v.is_object()))
                }
                _ => {}
            }
        }
    }

    proptest! {
        #[test]
        fn mutants_replay_by_seed(seed in any::<u64>()) {
            let draw = |seed| {
                let mut rng = Rng::new(seed);
                (0..30).map(|_| any_mutant(&mut rng, 1)).collect::<Vec<_>>()
            };
            prop_assert_eq!(draw(seed), draw(seed));
        }

        #[test]
        fn shrink_candidates_are_new_and_still_refused(seed in any::<u64>()) {
            let mut rng = Rng::new(seed);
            let m = any_mutant(&mut rng, 1);
            for c in fuzz::body_candidates(&m.input, |c| must_refuse(m.via, c, 1)) {
                prop_assert_ne!(&c, &m.input);
                prop_assert!(must_refuse(m.via, &c, 1), "{}", String::from_utf8_lossy(&c));
            }
        }
    }

    #[test]
    fn shrinking_a_bad_create_never_offers_a_valid_one() {
        let mut bad = base();
        bad["colour"] = json!("blue");
        let input = bad.to_string().into_bytes();
        assert!(must_refuse(CREATE, &input, 1));
        let all = fuzz::body_candidates(&input, |_| true);
        assert!(
            all.iter().any(|c| !must_refuse(CREATE, c, 1)),
            "dropping the unknown property gives a valid body, a candidate that crosses"
        );
        let kept = fuzz::body_candidates(&input, |c| must_refuse(CREATE, c, 1));
        assert!(!kept.is_empty());
        assert!(kept.iter().all(|c| must_refuse(CREATE, c, 1)));
        assert!(kept.len() < all.len());
    }

    #[test]
    fn camara_codes_are_screaming_snake() {
        for ok in [
            "INVALID_ARGUMENT",
            "OUT_OF_RANGE",
            "S2C_VPN.INSUFFICIENT_CAPACITY",
        ] {
            assert!(camara_code(ok), "{ok}");
        }
        for bad in ["", "invalid_argument", "S2C_VPN.", "_X", "Bad-Code", "1ABC"] {
            assert!(!camara_code(bad), "{bad}");
        }
    }

    fn answer(status: u16, body: &str) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            json: serde_json::from_str(body).ok(),
            elapsed: Duration::ZERO,
            tls: None,
        })
    }

    #[test]
    fn the_judge_takes_only_a_camara_400() {
        let good = r#"{"status":400,"code":"INVALID_ARGUMENT","message":"no"}"#;
        assert_eq!(judge(&answer(400, good)), None);
        let oracle_of = |status, body| judge(&answer(status, body)).map(|p| p.oracle);
        assert_eq!(
            oracle_of(201, r#"{"sessionId":"x"}"#),
            Some(oracle::NOT_ACCEPTED)
        );
        assert_eq!(oracle_of(500, "boom"), Some(oracle::NO_5XX));
        assert_eq!(oracle_of(422, good), Some(oracle::STATUS));
        assert_eq!(oracle_of(400, "plain"), Some(oracle::SHAPE));
        assert_eq!(
            oracle_of(400, r#"{"status":"400","code":"bad"}"#),
            Some(oracle::SHAPE)
        );
    }
}
