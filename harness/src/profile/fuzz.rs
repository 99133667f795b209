//! What a protocol's fuzzer gives the fuzz engine (`crate::fuzz`): a [`Campaign`] that
//! makes seeded mutants of a valid input, sends one and judges the answer, proposes
//! simpler inputs for shrinking, and writes a regression scenario for a finding. The
//! engine owns everything else: concurrency, connections, shrinking, reports.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::http::{HttpClient, HttpResponse, TransportError};
use crate::profile::target::Target;
use crate::profile::BoxFuture;

/// What `crosscheck fuzz` asks of a protocol.
#[derive(Debug)]
pub struct FuzzRequest<'a> {
    /// The IUT's role.
    pub role: &'a str,
    /// An external IUT, or `None` for the built-in simulator.
    pub target: Option<&'a Target>,
    /// Faults of the built-in simulator.
    pub faults: &'a BTreeSet<&'static str>,
    /// An input to start from, when the protocol cannot make one.
    pub start_from: Option<String>,
    /// Which of the protocol's surfaces to fuzz (`None`: its default one).
    pub surface: Option<&'a str>,
}

impl FuzzRequest<'_> {
    /// Refuses any role but `covered`: a fuzzer covers what one role receives.
    pub fn only_role(&self, covered: &str) -> Result<(), FuzzError> {
        if self.role == covered {
            Ok(())
        } else {
            Err(FuzzError(format!(
                "fuzzing covers the {covered} (what it receives), not the {}",
                self.role
            )))
        }
    }
}

/// The harness's credential for `target`, as the header it goes in and its value.
pub fn harness_header(target: &Target) -> (String, String) {
    (
        target.harness_credential.header.clone(),
        target.harness_credential.value.clone(),
    )
}

/// A small deterministic generator (SplitMix64): the same seed gives the same cases.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The generator of case `case` of `seed`. Every case has its own, so any case
    /// can be made alone, in any order: the parts of a partitioned campaign
    /// (`fuzz --partition K/N`) make exactly the mutants of one whole run.
    pub fn for_case(seed: u64, case: usize) -> Self {
        Self::new(seed ^ (case as u64).wrapping_mul(0x2545_F491_4F6C_DD1D))
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// One mutant of the valid input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    /// The family of the mutation (a fixed name: reports count cases per class).
    pub class: &'static str,
    /// The mutation itself, e.g. `replace byte 3`.
    pub label: String,
    /// Which of the campaign's requests carries it (e.g. a create or a modify).
    pub via: &'static str,
    /// The input: the bytes the campaign puts into its request.
    pub input: Vec<u8>,
}

/// What an oracle found wrong with an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The oracle that failed (a fixed name, e.g. `no 5xx`): shrinking keeps a
    /// candidate only when the same oracle fails.
    pub oracle: &'static str,
    /// What the IUT did.
    pub detail: String,
}

impl Problem {
    /// A problem found by `oracle`.
    pub fn new(oracle: &'static str, detail: impl Into<String>) -> Self {
        Self {
            oracle,
            detail: detail.into(),
        }
    }
}

/// The oracles every campaign shares (PROTOCOLS.md X-02 and the error-shape rules).
pub mod oracle {
    /// The IUT answered at all, in time, within the size cap.
    pub const TRANSPORT: &str = "no transport error";
    /// A client's mistake never gets a 5xx.
    pub const NO_5XX: &str = "no 5xx";
    /// An invalid input is never accepted.
    pub const NOT_ACCEPTED: &str = "never accepted when invalid";
    /// The refusal has the status the protocol requires.
    pub const STATUS: &str = "the right status";
    /// The refusal has the protocol's error shape.
    pub const SHAPE: &str = "the right error shape";
    /// A well-formed input is accepted.
    pub const ACCEPTED: &str = "a valid input is accepted";
    /// Nothing is left behind by a refused input.
    pub const NOTHING_LEFT: &str = "nothing left behind";
}

/// A finding as a regression scenario needs it.
#[derive(Debug, Clone)]
pub struct RegressionCase<'a> {
    /// A short unique name for the file and the scenario id.
    pub id: &'a str,
    /// The request that carried it.
    pub via: &'static str,
    /// The mutation class.
    pub class: &'static str,
    /// The (shrunk) input.
    pub input: &'a [u8],
    /// The mutation, for the title.
    pub label: &'a str,
    /// The oracle that failed.
    pub oracle: &'static str,
}

/// A protocol's fuzz campaign against one IUT (a built-in simulator it keeps running,
/// or an external target).
pub trait Campaign: Send + Sync {
    /// What is fuzzed: the protocol, the role and the requests.
    fn title(&self) -> String;

    /// The positive control, before any mutant: the untouched input is accepted.
    fn control<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Result<(), FuzzError>>;

    /// The next mutant; the same generator state gives the same mutant.
    fn mutant(&self, rng: &mut Rng) -> Mutant;

    /// Sends `input` through `via`, judges the answer, and cleans up anything the IUT
    /// created from it; `None` when every oracle holds.
    fn case<'a>(
        &'a self,
        http: &'a HttpClient,
        via: &'static str,
        input: &'a [u8],
    ) -> BoxFuture<'a, Option<Problem>>;

    /// After the mutants: the untouched input must still be accepted once.
    fn after<'a>(&'a self, http: &'a HttpClient) -> BoxFuture<'a, Option<Problem>>;

    /// Simpler inputs than `input` that a correct IUT must still refuse through `via`,
    /// simplest first (the engine keeps only strictly shorter or smaller ones).
    fn shrink(&self, via: &'static str, input: &[u8]) -> Vec<Vec<u8>>;

    /// The input decoded for people (e.g. a Base64 key's JSON), when that helps.
    fn decoded(&self, _input: &[u8]) -> Option<String> {
        None
    }

    /// A regression scenario (YAML in the scenario language) that replays the case:
    /// red while the IUT mishandles it, green once fixed. `None` when the case cannot
    /// be replayed by a scenario.
    fn regression(&self, case: &RegressionCase<'_>) -> Option<String>;

    /// Strings that must never reach a report (credentials).
    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Why fuzzing could not run at all.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FuzzError(pub String);

/// The error-shape problem of `r`, unless it is a JSON body sent as application/json.
pub fn json_shape(r: &HttpResponse) -> Option<Problem> {
    let json = r
        .header("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/json"));
    if r.json.is_some() && json {
        return None;
    }
    Some(Problem::new(
        oracle::SHAPE,
        format!(
            "answered {} as {}, not a JSON body with application/json",
            r.status,
            r.header("content-type").unwrap_or("no content type")
        ),
    ))
}

/// Shortens `s` to `max` characters, with an ellipsis.
pub fn short(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        format!("{}…", s.chars().take(max).collect::<String>())
    } else {
        s.to_string()
    }
}

/// `s` with its control characters escaped (`\n`, `\u{1b}`), so an input prints on one
/// line and cannot drive a terminal.
pub fn escaped(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Bytes as text for reports: UTF-8 with control characters escaped, other bytes as
/// `\xNN`.
pub fn shown(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(&escaped(chunk.valid()));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// The first two oracles every answer faces: it came (no transport error, timeout or
/// oversized body), and it is no 5xx. The answer, or the problem.
pub fn answered(answer: &Result<HttpResponse, TransportError>) -> Result<&HttpResponse, Problem> {
    let r = answer
        .as_ref()
        .map_err(|e| Problem::new(oracle::TRANSPORT, e.to_string()))?;
    if r.status >= 500 {
        return Err(Problem::new(
            oracle::NO_5XX,
            format!("answered {}: {}", r.status, answer_text(r)),
        ));
    }
    Ok(r)
}

/// The start of an answer's body, for problems.
pub fn answer_text(r: &HttpResponse) -> String {
    short(&String::from_utf8_lossy(&r.body), 120)
}

/// Byte-level shrink candidates: the input without a chunk, halves first, down to
/// single bytes (at most `limit` candidates).
pub fn byte_candidates(input: &[u8], limit: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut chunk = input.len().div_ceil(2).max(1);
    loop {
        let mut at = 0;
        while at < input.len() {
            let end = (at + chunk).min(input.len());
            let mut c = input[..at].to_vec();
            c.extend_from_slice(&input[end..]);
            out.push(c);
            if out.len() >= limit {
                return out;
            }
            at = end;
        }
        if chunk == 1 {
            return out;
        }
        chunk = chunk.div_ceil(2);
    }
}

/// JSON shrink candidates of `value`: each member or element removed, each string
/// emptied or halved, each number set to 0, each container replaced by an empty one,
/// at any depth (at most `limit`).
pub fn json_candidates(value: &Value, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    simpler_values(value, &mut |v| out.push(v), limit);
    out.truncate(limit);
    out
}

fn simpler_values(value: &Value, emit: &mut dyn FnMut(Value), limit: usize) {
    let mut count = 0;
    let mut push = |v: Value, emit: &mut dyn FnMut(Value)| {
        if count < limit {
            count += 1;
            emit(v);
        }
    };
    match value {
        Value::Object(map) => {
            if !map.is_empty() {
                push(Value::Object(Map::new()), emit);
            }
            for key in map.keys() {
                let mut smaller = map.clone();
                smaller.shift_remove(key);
                push(Value::Object(smaller), emit);
            }
            for (key, inner) in map {
                let mut parts = Vec::new();
                simpler_values(inner, &mut |v| parts.push(v), limit);
                for part in parts {
                    let mut changed = map.clone();
                    changed.insert(key.clone(), part);
                    push(Value::Object(changed), emit);
                }
            }
        }
        Value::Array(items) => {
            if !items.is_empty() {
                push(Value::Array(Vec::new()), emit);
            }
            for i in 0..items.len() {
                let mut smaller = items.clone();
                smaller.remove(i);
                push(Value::Array(smaller), emit);
            }
            for (i, inner) in items.iter().enumerate() {
                let mut parts = Vec::new();
                simpler_values(inner, &mut |v| parts.push(v), limit);
                for part in parts {
                    let mut changed = items.clone();
                    changed[i] = part;
                    push(Value::Array(changed), emit);
                }
            }
        }
        Value::String(s) if !s.is_empty() => {
            push(Value::String(String::new()), emit);
            let half: String = s.chars().take(s.chars().count() / 2).collect();
            push(Value::String(half), emit);
            let tail: String = s.chars().skip(1).collect();
            push(Value::String(tail), emit);
        }
        Value::Number(n) if n.as_i64() != Some(0) => push(Value::from(0), emit),
        _ => {}
    }
}

/// Shrink candidates of a body: JSON candidates when it is JSON, byte-level ones
/// otherwise; only those `still_invalid` keeps.
pub fn body_candidates(input: &[u8], still_invalid: impl Fn(&[u8]) -> bool) -> Vec<Vec<u8>> {
    let candidates: Vec<Vec<u8>> = match serde_json::from_slice::<Value>(input) {
        Ok(v) => json_candidates(&v, 400)
            .into_iter()
            .map(|c| c.to_string().into_bytes())
            .collect(),
        Err(_) => byte_candidates(input, 128),
    };
    candidates
        .into_iter()
        .filter(|c| still_invalid(c))
        .collect()
}

/// The head of the regression scenario written for `case`, up to `steps:`: id, title,
/// protocol, role, requirements, needs (if any), tags, and a note saying what the input
/// in it is.
pub fn regression_head(
    case: &RegressionCase<'_>,
    (protocol, role): (&str, &str),
    requirements: &str,
    needs: Option<&str>,
    input_is: &str,
) -> String {
    let needs = needs.map_or(String::new(), |n| format!("needs: {n}\n"));
    format!(
        "id: {id}\ntitle: \"fuzz finding: {label}\"\nprotocol: {protocol}\nrole: {role}\n\
         requirements: {requirements}\n{needs}tags: [fuzz, regression]\nnotes: >\n  \
         Written by crosscheck fuzz (oracle: {oracle}); {input_is}\nsteps:\n",
        id = case.id,
        label = case.label.replace(['"', '\\'], "'"),
        oracle = case.oracle,
    )
}

/// `text` as a scenario's `raw:` value: a quoted YAML string, inside a minijinja
/// `raw` block when it holds template syntax.
pub fn yaml_raw(text: &str) -> String {
    let templated = ["{{", "{%", "{#"].iter().any(|t| text.contains(t));
    let text = if templated {
        format!("{{% raw %}}{text}{{% endraw %}}")
    } else {
        text.to_string()
    };
    serde_json::to_string(&text).unwrap_or_else(|_| "\"\"".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_replays_by_seed() {
        let draw = |seed| {
            let mut r = Rng::new(seed);
            (0..5).map(|_| r.below(1000)).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }

    #[test]
    fn each_case_has_its_own_generator() {
        let first = |seed, case| Rng::for_case(seed, case).next_u64();
        assert_eq!(first(9, 41), first(9, 41));
        let cases: BTreeSet<u64> = (0..1000).map(|c| first(9, c)).collect();
        assert_eq!(cases.len(), 1000, "no two cases start alike");
        assert_ne!(first(9, 3), first(10, 3), "the seed matters");
    }

    #[test]
    fn shown_escapes_controls_and_bad_bytes() {
        assert_eq!(shown(b"a\nb\x1b\xff"), r"a\nb\u{1b}\xff");
        assert_eq!(short("abcdef", 3), "abc…");
    }

    #[test]
    fn json_candidates_are_no_longer() {
        let v = serde_json::json!({"a": [1, "xyz"], "b": {"c": true}});
        let text = v.to_string();
        let all = json_candidates(&v, 1000);
        assert!(all.len() > 8);
        for c in all {
            assert!(c.to_string().len() <= text.len(), "{c}");
        }
    }

    #[test]
    fn raw_text_survives_templates_and_quotes() {
        assert_eq!(yaml_raw("a\"b\n"), r#""a\"b\n""#);
        assert!(yaml_raw("{{x}}").contains("{% raw %}{{x}}{% endraw %}"));
    }
}
