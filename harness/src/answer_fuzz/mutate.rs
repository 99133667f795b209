//! The generic answer mutator: from a protocol's valid answer (status and JSON body),
//! seeded mutants in named classes. It knows no protocol: the decisive field's path
//! and the decision function come from the protocol's oracle.

use std::time::Duration;

use serde_json::{json, Value};

use crate::profile::fuzz::Rng;
use crate::profile::{AnswerCase, AnswerOracle, AnswerTiming};

/// A class of mutant answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// The decisive field holds an odd value (a string, a number, null, an object...).
    OddValue,
    /// The decisive field is missing.
    MissingField,
    /// Look-alike and extra fields, the decisive field itself gone.
    ExtraFields,
    /// A value of the wrong JSON type somewhere in the body (the body itself included).
    WrongType,
    /// The valid body cut short.
    Truncated,
    /// Not JSON at all.
    Garbage,
    /// Another content type, with the body written in it.
    ContentType,
    /// An empty body.
    Empty,
    /// A body of several MB.
    Huge,
    /// An unexpected status code.
    Status,
    /// The valid answer, later than the IUT's timeout.
    Slow,
    /// No answer: the connection closed.
    Closed,
}

impl Class {
    /// Every class, in order.
    pub const ALL: [Class; 12] = [
        Class::OddValue,
        Class::MissingField,
        Class::ExtraFields,
        Class::WrongType,
        Class::Truncated,
        Class::Garbage,
        Class::ContentType,
        Class::Empty,
        Class::Huge,
        Class::Status,
        Class::Slow,
        Class::Closed,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Class::OddValue => "odd-value",
            Class::MissingField => "missing-field",
            Class::ExtraFields => "extra-fields",
            Class::WrongType => "wrong-type",
            Class::Truncated => "truncated",
            Class::Garbage => "not-json",
            Class::ContentType => "content-type",
            Class::Empty => "empty-body",
            Class::Huge => "huge-body",
            Class::Status => "status",
            Class::Slow => "slow",
            Class::Closed => "closed",
        }
    }
}

/// One mutant answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutant {
    /// Its class.
    pub class: Class,
    /// What was changed, in a few words.
    pub label: String,
    /// The answer.
    pub answer: AnswerCase,
}

/// The valid answer and what the mutator needs to know about it.
#[derive(Debug, Clone)]
pub struct Base {
    /// The valid answer.
    pub valid: AnswerCase,
    /// Its body as JSON.
    pub body: Value,
    /// The decisive field's path.
    pub decisive: Vec<String>,
    /// The IUT's timing.
    pub timing: AnswerTiming,
}

impl Base {
    /// The base of `oracle`'s valid answer under `timing`.
    pub fn of(oracle: &dyn AnswerOracle, timing: AnswerTiming) -> Self {
        let (status, body) = oracle.valid();
        Self {
            valid: AnswerCase::json(status, &body),
            body,
            decisive: oracle.decisive().iter().map(|s| s.to_string()).collect(),
            timing,
        }
    }
}

/// The smallest body of the `huge-body` class (2 MiB: past common caps of 1 MiB).
pub const HUGE_MIN: usize = 2 << 20;
/// Tries to draw a mutant the oracle does not act on before falling back to a 500.
const DRAWS: usize = 32;

/// Case `case` of `seed`: the same pair always gives the same mutant, one the oracle
/// does not act on.
pub fn mutant(base: &Base, oracle: &dyn AnswerOracle, seed: u64, case: usize) -> Mutant {
    let mut rng = Rng::new(seed ^ (case as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    for _ in 0..DRAWS {
        let class = Class::ALL[rng.below(Class::ALL.len())];
        let m = of_class(base, class, &mut rng);
        if m.answer != base.valid && !oracle.acts_on(&m.answer, &base.timing) {
            return m;
        }
    }
    let mut answer = base.valid.clone();
    answer.status = 500;
    Mutant {
        class: Class::Status,
        label: "status 500".into(),
        answer,
    }
}

/// A mutant of `class` (it may still be one the oracle acts on).
pub fn of_class(base: &Base, class: Class, rng: &mut Rng) -> Mutant {
    let mut answer = base.valid.clone();
    let label = match class {
        Class::OddValue => {
            let original = at(&base.body, &base.decisive)
                .cloned()
                .unwrap_or(Value::Null);
            let odd = odd_value(&original, rng);
            let label = format!("{} = {odd}", base.decisive.join("."));
            answer.body = with(&base.body, &base.decisive, Some(odd)).to_string();
            label
        }
        Class::MissingField => {
            answer.body = with(&base.body, &base.decisive, None).to_string();
            format!("no {}", base.decisive.join("."))
        }
        Class::ExtraFields => {
            let (body, label) = look_alikes(base, rng);
            answer.body = body.to_string();
            label
        }
        Class::WrongType => {
            let paths = paths(&base.body);
            let path = &paths[rng.below(paths.len())];
            let original = at(&base.body, path).cloned().unwrap_or(Value::Null);
            let wrong = wrong_type(&original, rng);
            let label = format!("{} = {wrong}", shown_path(path));
            answer.body = if path.is_empty() {
                wrong.to_string()
            } else {
                with(&base.body, path, Some(wrong)).to_string()
            };
            label
        }
        Class::Truncated => {
            let full: Vec<char> = base.valid.body.chars().collect();
            let keep = 1 + rng.below(full.len().saturating_sub(1).max(1));
            answer.body = full.iter().take(keep).collect();
            format!("cut after {keep} of {} characters", full.len())
        }
        Class::Garbage => {
            let (body, label) = garbage(base, rng);
            answer.body = body;
            label
        }
        Class::ContentType => {
            let (content_type, body) = other_type(base, rng);
            let label = format!("content type `{content_type}`");
            answer.content_type = content_type.into();
            answer.body = body;
            label
        }
        Class::Empty => {
            answer.body = String::new();
            "empty body".into()
        }
        Class::Huge => {
            let size = HUGE_MIN + rng.below(4 << 20);
            let fill = ['x', 'A', '0', ' '][rng.below(4)];
            let filler = Value::String(fill.to_string().repeat(size));
            answer.body = with(&base.body, &base.decisive, Some(filler)).to_string();
            format!("{} = a string of {size} bytes", base.decisive.join("."))
        }
        Class::Status => {
            let status = odd_status(base.valid.status, rng);
            answer.status = status;
            if rng.below(3) == 0 {
                answer.body = json!({"error": format!("status {status}")}).to_string();
            }
            if matches!(status, 429 | 503) {
                let after = 1 + rng.below(3);
                answer
                    .headers
                    .push(("retry-after".into(), after.to_string()));
                format!("status {status}, retry-after {after}")
            } else {
                format!("status {status}")
            }
        }
        Class::Slow => {
            let late = Duration::from_millis(500 + rng.below(1000) as u64);
            answer.delay = base.timing.peer_timeout + late;
            format!(
                "answered {:.1} s after the IUT's {:.1} s timeout",
                late.as_secs_f64(),
                base.timing.peer_timeout.as_secs_f64()
            )
        }
        Class::Closed => {
            answer = AnswerCase {
                status: AnswerCase::CLOSED,
                content_type: String::new(),
                headers: Vec::new(),
                body: String::new(),
                delay: Duration::ZERO,
            };
            "the connection closed without an answer".into()
        }
    };
    Mutant {
        class,
        label,
        answer,
    }
}

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
fn paths(value: &Value) -> Vec<Vec<String>> {
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

fn shown_path(path: &[String]) -> String {
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

fn random_text(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(SAFE[rng.below(SAFE.len())]))
        .collect()
}

fn odd_value(original: &Value, rng: &mut Rng) -> Value {
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

fn wrong_type(original: &Value, rng: &mut Rng) -> Value {
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

fn look_alikes(base: &Base, rng: &mut Rng) -> (Value, String) {
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

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The top-level fields of `body` as text pairs (a string without its quotes).
fn text_fields(body: &Value) -> Vec<(String, String)> {
    match body {
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string().trim_matches('"').to_string()))
            .collect(),
        other => vec![("value".into(), other.to_string())],
    }
}

fn form(body: &Value) -> String {
    text_fields(body)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn garbage(base: &Base, rng: &mut Rng) -> (String, String) {
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

fn other_type(base: &Base, rng: &mut Rng) -> (&'static str, String) {
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

fn odd_status(valid: u16, rng: &mut Rng) -> u16 {
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
    use proptest::prelude::*;

    /// A fictional oracle: `{"ok": true}` with 200 at once is the only answer acted on.
    #[derive(Debug)]
    struct Strict;

    impl AnswerOracle for Strict {
        fn valid(&self) -> (u16, Value) {
            (200, json!({"ok": true, "meta": {"n": 1}}))
        }
        fn decisive(&self) -> &'static [&'static str] {
            &["ok"]
        }
        fn acts_on(&self, answer: &AnswerCase, timing: &AnswerTiming) -> bool {
            answer.status == 200
                && answer.delay < timing.peer_timeout
                && answer
                    .body_json()
                    .is_some_and(|b| b.get("ok").is_some_and(Value::is_boolean))
        }
        fn scenario(&self, _case: &crate::profile::AnswerScenario<'_>) -> String {
            String::new()
        }
    }

    /// A fictional oracle that decides on the status only.
    #[derive(Debug)]
    struct ByStatus;

    impl AnswerOracle for ByStatus {
        fn valid(&self) -> (u16, Value) {
            (200, json!({"ref": "r-1"}))
        }
        fn decisive(&self) -> &'static [&'static str] {
            &["ref"]
        }
        fn acts_on(&self, answer: &AnswerCase, _timing: &AnswerTiming) -> bool {
            (200..300).contains(&answer.status) && answer.delay.is_zero()
        }
        fn scenario(&self, _case: &crate::profile::AnswerScenario<'_>) -> String {
            String::new()
        }
    }

    fn base(oracle: &dyn AnswerOracle) -> Base {
        Base::of(
            oracle,
            AnswerTiming {
                peer_timeout: Duration::from_secs(1),
                silence: Duration::from_secs(1),
            },
        )
    }

    fn no_template(text: &str) -> bool {
        !["{{", "{%", "{#"].iter().any(|t| text.contains(t))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn mutants_replay_differ_from_the_valid_answer_and_are_never_acted_on(
            seed in any::<u64>(), case in 0usize..5000, by_status in any::<bool>()
        ) {
            let oracle: &dyn AnswerOracle = if by_status { &ByStatus } else { &Strict };
            let base = base(oracle);
            let m = mutant(&base, oracle, seed, case);
            prop_assert_eq!(&m, &mutant(&base, oracle, seed, case));
            prop_assert_ne!(&m.answer, &base.valid);
            prop_assert!(!oracle.acts_on(&m.answer, &base.timing), "{:?}", m.label);
            prop_assert!(no_template(&m.answer.body) || m.class == Class::Huge);
            prop_assert!(!m.label.is_empty());
        }
    }

    #[test]
    fn every_class_comes_up_and_the_status_only_oracle_still_gets_mutants() {
        let oracle = Strict;
        let b = base(&oracle);
        let seen: std::collections::BTreeSet<Class> =
            (0..400).map(|i| mutant(&b, &oracle, 9, i).class).collect();
        assert_eq!(seen.len(), Class::ALL.len(), "{seen:?}");
        let by_status = base(&ByStatus);
        let classes: std::collections::BTreeSet<Class> = (0..200)
            .map(|i| mutant(&by_status, &ByStatus, 9, i).class)
            .collect();
        assert!(classes.contains(&Class::Status) && classes.contains(&Class::Slow));
        assert!(!classes.contains(&Class::Truncated), "{classes:?}");
    }

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

    #[test]
    fn huge_bodies_are_past_the_cap_and_slow_answers_past_the_timeout() {
        let oracle = Strict;
        let b = base(&oracle);
        let mut rng = crate::profile::fuzz::Rng::new(3);
        let huge = of_class(&b, Class::Huge, &mut rng);
        assert!(huge.answer.body.len() >= HUGE_MIN);
        let slow = of_class(&b, Class::Slow, &mut rng);
        assert!(slow.answer.delay > b.timing.peer_timeout);
        let cut = of_class(&b, Class::Truncated, &mut rng);
        assert!(cut.answer.body.len() < b.valid.body.len());
        assert!(cut.answer.body_json().is_none());
    }
}
