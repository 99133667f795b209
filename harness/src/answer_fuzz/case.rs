//! One answer-fuzz case as a scenario: the answer written as a literal `peer_answer`
//! answer, the protocol's scenario around it, loaded by the ordinary loader.

use std::fmt::Write as _;

use crate::profile::{AnswerCase, AnswerOracle, AnswerScenario, AnswerTiming};
use crate::scenario::loader::load_str;
use crate::scenario::Scenario;

/// Why a generated scenario did not load (a bug of the protocol's template).
#[derive(Debug, thiserror::Error)]
#[error("the generated scenario `{id}` does not load: {why}")]
pub struct CaseError {
    /// The scenario's id.
    pub id: String,
    /// The loader's errors.
    pub why: String,
}

/// `answer` as a `peer_answer` answer in YAML flow style, on one line.
pub fn answer_yaml(answer: &AnswerCase) -> String {
    let quote = crate::yaml::quote;
    if answer.status == AnswerCase::CLOSED {
        return if answer.delay.is_zero() {
            "{close: true}".into()
        } else {
            format!(
                "{{close: true, delay_seconds: {:.3}}}",
                answer.delay.as_secs_f64()
            )
        };
    }
    let mut out = format!(
        "{{status: {}, raw: {}, content_type: {}",
        answer.status,
        quote(&answer.body),
        quote(&answer.content_type)
    );
    if !answer.headers.is_empty() {
        let headers: Vec<String> = answer
            .headers
            .iter()
            .map(|(k, v)| format!("{}: {}", quote(k), quote(v)))
            .collect();
        let _ = write!(out, ", headers: {{{}}}", headers.join(", "));
    }
    if !answer.delay.is_zero() {
        let _ = write!(out, ", delay_seconds: {:.3}", answer.delay.as_secs_f64());
    }
    out.push('}');
    out
}

/// The scenario text for `answer` (`control`: the positive control).
pub fn scenario_text(
    oracle: &dyn AnswerOracle,
    id: &str,
    label: &str,
    answer: &AnswerCase,
    control: bool,
    timing: AnswerTiming,
) -> String {
    let yaml = answer_yaml(answer);
    oracle.scenario(&AnswerScenario {
        id,
        label,
        answer,
        answer_yaml: &yaml,
        control,
        timing,
    })
}

/// Loads a generated scenario text with the ordinary loader.
pub fn load(text: &str, id: &str) -> Result<Scenario, CaseError> {
    let mut list = load_str(text, id, crate::protocols::all()).map_err(|errors| CaseError {
        id: id.to_string(),
        why: errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    })?;
    match (list.pop(), list.is_empty()) {
        (Some(s), true) => Ok(s),
        _ => Err(CaseError {
            id: id.to_string(),
            why: "expected exactly one scenario".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::time::Duration;

    /// Every registered oracle's scenarios load, for the control and for a mutant of
    /// every class.
    #[test]
    fn every_oracles_scenarios_load() {
        use crate::answer_fuzz::mutate::{of_class, Base, Class};
        let timing = AnswerTiming {
            peer_timeout: Duration::from_secs(1),
            silence: Duration::from_secs(1),
        };
        let mut oracles = 0;
        for profile in crate::protocols::all() {
            for role in profile.roles() {
                let Some(oracle) = profile.answer_oracle(role.name) else {
                    continue;
                };
                oracles += 1;
                let base = Base::of(oracle, timing);
                let text = scenario_text(oracle, "control", "valid", &base.valid, true, timing);
                load(&text, "control").unwrap_or_else(|e| panic!("{text}\n{e}"));
                let mut rng = crate::profile::fuzz::Rng::new(5);
                for class in Class::ALL.into_iter().filter(|c| *c != Class::Huge) {
                    let m = of_class(&base, class, &mut rng);
                    let text = scenario_text(oracle, "case", &m.label, &m.answer, false, timing);
                    let s = load(&text, "case").unwrap_or_else(|e| panic!("{text}\n{e}"));
                    assert_eq!(s.role, role.name);
                }
            }
        }
        assert!(oracles >= 2, "{oracles}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// For every registered oracle, a mutant replays by seed and case, differs from
        /// the valid answer, is never one the protocol acts on, and the scenario around
        /// it loads (huge bodies aside, for speed: their text is one safe character).
        #[test]
        fn every_mutants_scenario_loads(seed in proptest::prelude::any::<u64>(), case in 0usize..10_000) {
            use crate::answer_fuzz::mutate::{mutant, Base, Class};
            let timing = AnswerTiming {
                peer_timeout: Duration::from_secs(1),
                silence: Duration::from_secs(1),
            };
            for profile in crate::protocols::all() {
                for role in profile.roles() {
                    let Some(oracle) = profile.answer_oracle(role.name) else {
                        continue;
                    };
                    let base = Base::of(oracle, timing);
                    let m = mutant(&base, oracle, seed, case);
                    proptest::prop_assert_eq!(&m, &mutant(&base, oracle, seed, case));
                    proptest::prop_assert_ne!(&m.answer, &base.valid);
                    proptest::prop_assert!(!oracle.acts_on(&m.answer, &timing), "{:?}", m.label);
                    if m.class != Class::Huge {
                        let text = scenario_text(oracle, "case", &m.label, &m.answer, false, timing);
                        proptest::prop_assert!(load(&text, "case").is_ok(), "{}", text);
                    }
                }
            }
        }

    }

    #[test]
    fn the_answer_is_one_line_of_yaml_that_reads_back_exactly() {
        let answer = AnswerCase {
            status: 429,
            content_type: "text/plain".into(),
            headers: vec![("retry-after".into(), "2".into())],
            body: "line\nbreak \"q\" \u{0}\u{1b}[31m\u{7f}\u{85}\u{feff}\u{2028} é: - [x]".into(),
            delay: Duration::from_millis(1500),
        };
        let text = answer_yaml(&answer);
        assert_eq!(text.lines().count(), 1, "{text}");
        let read: serde_json::Map<String, Value> =
            crate::yaml::parse(&text, "answer").expect("reads back");
        assert_eq!(read["status"], 429);
        assert_eq!(read["raw"], Value::String(answer.body.clone()));
        assert_eq!(read["content_type"], "text/plain");
        assert_eq!(read["headers"]["retry-after"], "2");
        assert_eq!(read["delay_seconds"], 1.5);
    }
}
