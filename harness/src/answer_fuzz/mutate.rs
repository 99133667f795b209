//! The generic answer mutator: from a protocol's valid answer (status and JSON body),
//! seeded mutants in named classes. It knows no protocol: the decisive field's path
//! and the decision function come from the protocol's oracle.

use std::time::Duration;

use serde_json::{json, Value};

use super::parts::{
    at, garbage, look_alikes, odd_status, odd_value, other_type, paths, shown_path, with,
    wrong_type,
};

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

/// The smallest body of the `huge-body` class (2 MiB: past common caps of 1 MiB). Bodies
/// of the class are at most 256 KiB longer: bigger ones find nothing more, and several
/// in flight at once are what bounds the fuzzer's memory.
pub const HUGE_MIN: usize = 2 << 20;
/// Tries to draw a mutant the oracle does not act on before falling back to a 500.
const DRAWS: usize = 32;

/// Case `case` of `seed`: the same pair always gives the same mutant, one the oracle
/// does not act on.
pub fn mutant(base: &Base, oracle: &dyn AnswerOracle, seed: u64, case: usize) -> Mutant {
    let mut rng = Rng::for_case(seed, case);
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
            let size = HUGE_MIN + rng.below(1 << 18);
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
