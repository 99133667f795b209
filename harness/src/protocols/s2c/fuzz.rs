//! Fuzzing a provider's create handler: seeded mutants of a valid create body. The
//! provider must never answer 5xx, must refuse an invalid body with 400 in the CAMARA
//! error shape, and must never create a session from one; the untouched body is
//! created first (a positive control).
//!
//! The body checker ([`body::create`]) is the oracle for validity: a mutant is sent
//! only when the checker refuses it, so every answer but a 400 is a finding.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::task::JoinSet;

use super::body::{self, Rules, MANDATORY};
use super::config::{S2cConfig, TOKEN_CONSUMER_1};
use super::stage::{self, S2cTarget};
use crate::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
use crate::profile::fuzz::{self, Finding, FuzzError, FuzzReport, FuzzRequest, Rng};
use crate::profile::target::Target;

/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How many requests are in flight at once.
pub const IN_FLIGHT: usize = 8;

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

/// One invalid create body and how it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    /// The family of the mutation.
    pub class: Class,
    /// The mutation, e.g. `remove accessPoint.type` or `set bandwidthMbps to -1`.
    pub name: String,
    /// The bytes sent as the body.
    pub body: Vec<u8>,
}

impl Mutant {
    /// The body as text, for findings.
    pub fn input(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `class: name`, as findings show it.
    pub fn mutation(&self) -> String {
        format!("{}: {}", self.class, self.name)
    }

    fn json(class: Class, name: String, body: &Value) -> Self {
        Self {
            class,
            name,
            body: body.to_string().into_bytes(),
        }
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
            Mutant::json(class, format!("remove {path}"), &body)
        }
        Class::WrongType => {
            let path = SETTABLE[rng.below(SETTABLE.len())];
            let value = any_type(rng);
            let name = format!("set {path} to {value}");
            let body = body::with(valid, path, value).unwrap_or(Value::Null);
            Mutant::json(class, name, &body)
        }
        Class::EdgeNumber => {
            let too_long = body::MAX_DURATION_SECONDS / unit_seconds.max(1) + 1;
            let path = ["bandwidthMbps", "duration"][rng.below(2)];
            let value = edge_number(rng, too_long);
            let name = format!("set {path} to {value}");
            let body = body::with(valid, path, value).unwrap_or(Value::Null);
            Mutant::json(class, name, &body)
        }
        Class::BadIp => {
            let (path, ip) = IPS[rng.below(IPS.len())];
            let (how, text) = mutate_ip(ip, rng);
            let name = format!("{how} of {path}: {text:?}");
            let body = body::with(valid, path, Value::String(text)).unwrap_or(Value::Null);
            Mutant::json(class, name, &body)
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
            Mutant::json(class, format!("add {path:?}"), &body)
        }
        Class::Truncated => {
            let text = valid.to_string().into_bytes();
            let keep = rng.below(text.len());
            Mutant {
                class,
                name: format!("cut at byte {keep} of {}", text.len()),
                body: text[..keep].to_vec(),
            }
        }
        Class::RandomBytes => {
            let len = rng.below(64) + 1;
            let body: Vec<u8> = (0..len).map(|_| (rng.next_u64() & 0xff) as u8).collect();
            Mutant {
                class,
                name: format!("{len} bytes"),
                body,
            }
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
            Mutant::json(class, shown, &body)
        }
        Class::Empty => Mutant {
            class,
            name: "no bytes".into(),
            body: Vec::new(),
        },
    }
}

/// One mutant of the valid create body that a provider with durations in
/// `unit_seconds` must refuse; mutations the checker accepts are drawn again.
pub fn mutant(rng: &mut Rng, unit_seconds: u64) -> Mutant {
    for _ in 0..ATTEMPTS {
        let m = mutate_once(rng, unit_seconds);
        if is_invalid(&m.body, unit_seconds) {
            return m;
        }
    }
    Mutant {
        class: Class::NotObject,
        name: "null".into(),
        body: b"null".to_vec(),
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

/// What is wrong with an answer to an invalid body, short of a created session.
pub fn judge(answer: &Result<HttpResponse, TransportError>) -> Vec<String> {
    let r = match answer {
        Err(e) => return vec![e.to_string()],
        Ok(r) => r,
    };
    let text = || fuzz::short(&String::from_utf8_lossy(&r.body), 120);
    if (200..300).contains(&r.status) {
        // Not the body: it names a session id, and a seed's findings stay the same.
        return vec![format!(
            "created from an invalid body: answered {}",
            r.status
        )];
    }
    if r.status >= 500 {
        return vec![format!("answered {}: {}", r.status, text())];
    }
    if r.status != 400 {
        return vec![format!("answered {}, not 400: {}", r.status, text())];
    }
    let Some(error) = r.json.as_ref().and_then(Value::as_object) else {
        return vec![format!("answered 400 without a JSON object: {}", text())];
    };
    let mut problems = Vec::new();
    match error.get("status") {
        Some(s) if s.as_u64() == Some(400) => {}
        other => problems.push(format!(
            "the 400 body's status is {}, not 400",
            other.map_or_else(|| "missing".to_string(), Value::to_string)
        )),
    }
    match error.get("code") {
        Some(Value::String(c)) if camara_code(c) => {}
        other => problems.push(format!(
            "the 400 body's code is {}, not a SCREAMING_SNAKE string",
            other.map_or_else(|| "missing".to_string(), Value::to_string)
        )),
    }
    if !error.get("message").is_some_and(Value::is_string) {
        problems.push("the 400 body has no message string".into());
    }
    problems
}

/// Where and how the create requests go.
#[derive(Debug)]
struct Endpoint {
    http: HttpClient,
    create_url: String,
    /// `{api}/sessions`, when sessions can be deleted by id.
    delete_base: Option<String>,
    credential: (String, String),
}

impl Endpoint {
    fn create(&self, body: Vec<u8>) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url: self.create_url.clone(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                self.credential.clone(),
            ],
            body: Some(body),
        }
    }

    /// Deletes the session an answer created; says what became of it, without the
    /// session id (which differs from run to run).
    async fn delete(&self, answer: &HttpResponse) -> String {
        let id = answer
            .json
            .as_ref()
            .and_then(|j| j.get("sessionId"))
            .and_then(Value::as_str)
            .filter(|id| {
                !id.is_empty()
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c))
            });
        let (Some(id), Some(base)) = (id, &self.delete_base) else {
            return "not deleted (no sessionId to delete, or the delete binding is overridden)"
                .into();
        };
        let request = HttpRequest {
            method: "DELETE".into(),
            url: format!("{base}/{id}"),
            headers: vec![self.credential.clone()],
            body: None,
        };
        match self.http.send(&request, REQUEST_TIMEOUT).await {
            Ok(r) if (200..300).contains(&r.status) => "the session was deleted".into(),
            Ok(r) => format!("deleting the session answered {}", r.status),
            Err(e) => format!(
                "deleting the session failed: {}",
                e.to_string().replace(id, "{id}")
            ),
        }
    }

    /// The positive control: the untouched body must be created (and is deleted).
    async fn control(&self, unit_seconds: u64) -> Result<(), FuzzError> {
        let valid = base();
        if body::create(&valid, rules(unit_seconds)).is_err() {
            return Err(FuzzError(
                "the valid body is not valid for this target's duration unit".into(),
            ));
        }
        let answer = self
            .http
            .send(
                &self.create(valid.to_string().into_bytes()),
                REQUEST_TIMEOUT,
            )
            .await
            .map_err(|e| FuzzError(format!("the positive control (a valid create): {e}")))?;
        if !(200..300).contains(&answer.status) {
            return Err(FuzzError(format!(
                "the positive control (a valid create to {}) answered {}: {}",
                self.create_url,
                answer.status,
                fuzz::short(&String::from_utf8_lossy(&answer.body), 200)
            )));
        }
        self.delete(&answer).await;
        Ok(())
    }

    /// Sends case `case` and judges the answer.
    async fn case(self: Arc<Self>, case: usize, mutant: Mutant) -> Vec<Finding> {
        let answer = self
            .http
            .send(&self.create(mutant.body.clone()), REQUEST_TIMEOUT)
            .await;
        let mut problems = judge(&answer);
        if let Ok(r) = &answer {
            if (200..300).contains(&r.status) {
                let fate = self.delete(r).await;
                if let Some(p) = problems.first_mut() {
                    p.push_str(&format!(" ({fate})"));
                }
            }
        }
        problems
            .into_iter()
            .map(|problem| Finding {
                case,
                mutation: mutant.mutation(),
                input: mutant.input(),
                problem,
            })
            .collect()
    }
}

/// The endpoint and duration unit of an external target.
fn external(target: &Target, http: HttpClient) -> Result<(Endpoint, u64), FuzzError> {
    let section = target
        .section
        .as_any()
        .downcast_ref::<S2cTarget>()
        .ok_or_else(|| FuzzError("the target is not an S2C target".into()))?;
    let create = target.bindings.get("create_session");
    if create.is_some_and(|o| o.body.is_some()) {
        return Err(FuzzError(
            "bindings.create_session.body maps bodies into another shape; fuzzing needs the create binding to send bodies as written".into(),
        ));
    }
    if create.is_some_and(|o| o.method.as_deref().is_some_and(|m| m != "POST")) {
        return Err(FuzzError(
            "bindings.create_session.method is not POST; fuzzing needs the create binding to POST bodies".into(),
        ));
    }
    let base_name = create.and_then(|o| o.base.as_deref()).unwrap_or("api");
    let base = target
        .base(base_name)
        .ok_or_else(|| FuzzError(format!("the target has no {base_name} base URL")))?;
    let path = create
        .and_then(|o| o.path.as_deref())
        .unwrap_or("/sessions");
    if path.contains("{{") || path.contains("{%") {
        return Err(FuzzError(format!(
            "bindings.create_session.path `{path}` is a template; fuzzing needs a fixed create path"
        )));
    }
    let delete_base = match (
        target.bindings.contains_key("delete_session"),
        target.base("api"),
    ) {
        (false, Some(api)) => Some(format!("{api}/sessions")),
        _ => None,
    };
    let endpoint = Endpoint {
        http,
        create_url: format!("{base}{path}"),
        delete_base,
        credential: (
            target.harness_credential.header.clone(),
            target.harness_credential.value.clone(),
        ),
    };
    Ok((endpoint, section.unit_seconds))
}

/// Runs `crosscheck fuzz s2c --role provider`: against the target, or against a
/// built-in provider simulator with the requested faults.
pub async fn run(request: FuzzRequest<'_>) -> Result<FuzzReport, FuzzError> {
    if request.role != "provider" {
        return Err(FuzzError(format!(
            "s2c fuzzing covers the provider, not {}",
            request.role
        )));
    }
    let http = HttpClient::new().map_err(|e| FuzzError(e.to_string()))?;
    let (endpoint, unit_seconds, running) = match request.target {
        Some(target) => {
            let (endpoint, unit) = external(target, http)?;
            (endpoint, unit, None)
        }
        None => {
            let mut config = S2cConfig::new();
            config.switch_on(request.faults.iter().copied());
            let unit = config.unit_seconds;
            let running = stage::start(config, crate::profile::loopback(), http.clone())
                .await
                .map_err(|e| FuzzError(e.to_string()))?;
            let url = running.served.url();
            let endpoint = Endpoint {
                http,
                create_url: format!("{url}/sessions"),
                delete_base: Some(format!("{url}/sessions")),
                credential: ("authorization".into(), format!("Bearer {TOKEN_CONSUMER_1}")),
            };
            (endpoint, unit, Some(running))
        }
    };
    let findings = campaign(endpoint, unit_seconds, request.cases, request.seed).await?;
    drop(running);
    Ok(FuzzReport {
        seed: request.seed,
        cases: request.cases,
        findings,
    })
}

/// The positive control, then `cases` mutants from `seed`, [`IN_FLIGHT`] at a time.
async fn campaign(
    endpoint: Endpoint,
    unit_seconds: u64,
    cases: usize,
    seed: u64,
) -> Result<Vec<Finding>, FuzzError> {
    endpoint.control(unit_seconds).await?;
    let endpoint = Arc::new(endpoint);
    let mut rng = Rng::new(seed);
    let mut findings = Vec::new();
    let mut running = JoinSet::new();
    for case in 0..cases {
        if running.len() >= IN_FLIGHT {
            if let Some(done) = running.join_next().await {
                findings.extend(done.map_err(|e| FuzzError(format!("a fuzz case failed: {e}")))?);
            }
        }
        let m = mutant(&mut rng, unit_seconds);
        running.spawn(endpoint.clone().case(case, m));
    }
    while let Some(done) = running.join_next().await {
        findings.extend(done.map_err(|e| FuzzError(format!("a fuzz case failed: {e}")))?);
    }
    findings.sort_by(|a, b| a.case.cmp(&b.case).then_with(|| a.problem.cmp(&b.problem)));
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_mutant_is_invalid_for_both_units() {
        for unit in [1, 3600] {
            for seed in 0..10 {
                for m in mutants(seed, 300, unit) {
                    assert!(is_invalid(&m.body, unit), "{} {}", m.mutation(), m.input());
                }
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_mutants() {
        assert_eq!(mutants(42, 200, 1), mutants(42, 200, 1));
        assert_ne!(mutants(42, 200, 1), mutants(43, 200, 1));
    }

    #[test]
    fn every_class_appears_within_500_cases() {
        for seed in [0, 1, 7, u64::MAX] {
            let seen: BTreeSet<Class> = mutants(seed, 500, 1).iter().map(|m| m.class).collect();
            assert_eq!(seen.len(), CLASSES.len(), "seed {seed}: {seen:?}");
        }
    }

    #[test]
    fn mutants_break_what_they_name() {
        for m in mutants(3, 500, 1) {
            match m.class {
                Class::Missing => assert!(m.name.starts_with("remove ")),
                Class::Empty => assert!(m.body.is_empty()),
                Class::Truncated => assert!(serde_json::from_slice::<Value>(&m.body).is_err()),
                Class::NotObject => {
                    assert!(serde_json::from_slice::<Value>(&m.body).is_ok_and(|v| !v.is_object()))
                }
                _ => {}
            }
        }
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
        assert!(judge(&answer(400, good)).is_empty());
        assert!(judge(&answer(201, r#"{"sessionId":"x"}"#))[0].starts_with("created"));
        assert!(judge(&answer(500, "boom"))[0].starts_with("answered 500"));
        assert!(judge(&answer(422, good))[0].contains("not 400"));
        assert_eq!(judge(&answer(400, "plain")).len(), 1);
        assert_eq!(
            judge(&answer(400, r#"{"status":"400","code":"bad"}"#)).len(),
            3
        );
    }

    #[tokio::test]
    async fn the_builtin_provider_is_clean_and_its_faults_are_found() {
        let run_with = |faults: BTreeSet<&'static str>| async move {
            run(FuzzRequest {
                role: "provider",
                target: None,
                faults: &faults,
                start_from: None,
                cases: 150,
                seed: 7,
            })
            .await
            .expect("fuzzing runs")
        };
        let clean = run_with(BTreeSet::new()).await;
        assert!(clean.findings.is_empty(), "{}", clean.render());
        let crash = run_with(BTreeSet::from(["500-on-malformed-ip"])).await;
        assert!(!crash.findings.is_empty());
        assert!(crash
            .findings
            .iter()
            .any(|f| f.mutation.starts_with("bad IP")));
        assert!(crash
            .findings
            .iter()
            .all(|f| f.problem.starts_with("answered 500")));
        let lenient = run_with(BTreeSet::from(["accepts-unknown-properties"])).await;
        assert!(lenient
            .findings
            .iter()
            .any(|f| f.mutation.starts_with("unknown property")
                && f.problem.starts_with("created")
                && f.problem.contains("deleted")));
        assert!(lenient.findings.windows(2).all(|w| w[0].case <= w[1].case));
    }
}
