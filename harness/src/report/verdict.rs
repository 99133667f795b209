//! The outcome policy: turns what a scenario run recorded (passed, stopped by a
//! failure, errored, skipped) into a [`ScenarioResult`]. A failure charged only to
//! SHOULD-level requirements (the failing step's) passes with warnings; every other
//! failure fails. The requirement catalogue is reached only through the lookup passed in.

use std::time::Duration;

use super::model::{charged, Failure, Outcome, ScenarioResult};
use crate::http::{Exchange, Redactor};
use crate::profile::Level;

/// One unmet expectation, as the runner found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmet {
    /// What was expected.
    pub expected: String,
    /// What was found.
    pub actual: String,
}

/// How a run ended, before any policy is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Every step held.
    Passed,
    /// A step's expectations did not hold.
    Failed {
        /// The step's label.
        step: String,
        /// The requirement(s) the step checks.
        requirement: String,
        /// The id of the check that did not hold (`file:line`, see
        /// [`crate::scenario::checks::Check::id`]).
        check: String,
        /// What did not hold.
        unmet: Vec<Unmet>,
    },
    /// The harness could not finish (the reason).
    Errored(String),
    /// The scenario does not apply to the target (the reason).
    Skipped(String),
    /// The scenario needs an optional feature the capability statement does not
    /// claim (the reason names the feature and the statement).
    NotApplicable(String),
}

/// What one scenario run recorded.
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// How it ended.
    pub ending: Ending,
    /// Exchanges, secrets already redacted.
    pub exchanges: Vec<Exchange>,
    /// Wall time.
    pub duration: Duration,
}

/// Who ran: the fields of the result that come from the scenario and the stage.
#[derive(Debug, Clone)]
pub struct RunIdentity {
    /// The run's id in the report.
    pub id: String,
    /// The scenario's id.
    pub scenario: String,
    /// Title.
    pub title: String,
    /// Protocol name.
    pub protocol: String,
    /// IUT role.
    pub role: String,
    /// The variant, if the protocol has a variant axis.
    pub variant: Option<String>,
    /// Requirement ids the scenario covers.
    pub requirements: Vec<String>,
    /// Where the scenario is defined.
    pub source: String,
}

/// The result of a run: SHOULD-only scenarios pass with warnings on failure; reasons
/// and failures are redacted with `redactor`. `level` looks up a requirement's level.
pub fn decide(
    who: RunIdentity,
    record: RunRecord,
    level: &dyn Fn(&str) -> Option<Level>,
    redactor: &Redactor,
) -> ScenarioResult {
    let (outcome, reason, failures, warnings) = match record.ending {
        Ending::Passed => (Outcome::Passed, None, vec![], vec![]),
        Ending::Skipped(why) => (Outcome::Skipped, Some(why), vec![], vec![]),
        Ending::NotApplicable(why) => (Outcome::NotApplicable, Some(why), vec![], vec![]),
        Ending::Errored(why) => (Outcome::Errored, Some(why), vec![], vec![]),
        Ending::Failed {
            step,
            requirement,
            check,
            unmet,
        } => {
            let failures: Vec<Failure> = unmet
                .into_iter()
                .map(|m| Failure {
                    step: step.clone(),
                    requirement: requirement.clone(),
                    check: check.clone(),
                    expected: m.expected,
                    actual: m.actual,
                })
                .collect();
            // The step's requirement decides (a step of a scenario with several
            // requirements names its own; otherwise it checks all of them).
            let should = charged(&requirement).all(|r| level(r) == Some(Level::Should));
            if should {
                (Outcome::Passed, None, vec![], failures)
            } else {
                (Outcome::Failed, None, failures, vec![])
            }
        }
    };
    ScenarioResult {
        id: who.id,
        scenario: who.scenario,
        title: who.title,
        protocol: who.protocol,
        role: who.role,
        variant: who.variant,
        requirements: who.requirements,
        outcome,
        duration_ms: u64::try_from(record.duration.as_millis()).unwrap_or(u64::MAX),
        reason: reason.map(|r| redactor.show(&r)),
        failures: failures
            .into_iter()
            .map(|f| redacted(f, redactor))
            .collect(),
        warnings: warnings
            .into_iter()
            .map(|f| redacted(f, redactor))
            .collect(),
        exchanges: record.exchanges,
        late_traffic: Vec::new(),
        waiver: None,
        source: who.source,
    }
}

/// `f` with secrets removed from what it shows, and control characters escaped.
fn redacted(mut f: Failure, redactor: &Redactor) -> Failure {
    f.step = redactor.show(&f.step);
    f.actual = redactor.show(&f.actual);
    f.expected = redactor.show(&f.expected);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(requirements: &[&str]) -> RunIdentity {
        RunIdentity {
            id: "s[alpha]".into(),
            scenario: "s".into(),
            title: "t".into(),
            protocol: "demo".into(),
            role: "server".into(),
            variant: Some("alpha".into()),
            requirements: requirements.iter().map(|r| r.to_string()).collect(),
            source: "f.yaml:1".into(),
        }
    }

    fn levels(id: &str) -> Option<Level> {
        match id {
            "M-1" => Some(Level::Must),
            "S-1" | "S-2" => Some(Level::Should),
            _ => None,
        }
    }

    fn record(ending: Ending) -> RunRecord {
        RunRecord {
            ending,
            exchanges: vec![],
            duration: Duration::from_millis(1500),
        }
    }

    fn failed() -> Ending {
        failed_at("M-1")
    }

    fn failed_at(requirement: &str) -> Ending {
        Ending::Failed {
            step: "step 2 \"x\" (line 9)".into(),
            requirement: requirement.into(),
            check: "x.yaml:9".into(),
            unmet: vec![Unmet {
                expected: "status 200 with sekrit".into(),
                actual: "status 500 sekrit".into(),
            }],
        }
    }

    #[test]
    fn a_must_failure_fails_with_redacted_failures() {
        let redactor = Redactor::new(["sekrit".to_string()]);
        let r = decide(who(&["M-1", "S-1"]), record(failed()), &levels, &redactor);
        assert_eq!(r.outcome, Outcome::Failed);
        assert_eq!(r.duration_ms, 1500);
        assert_eq!(r.failures.len(), 1);
        assert!(!r.failures[0].expected.contains("sekrit"), "{r:?}");
        assert!(!r.failures[0].actual.contains("sekrit"), "{r:?}");
        assert_eq!(r.failures[0].step, "step 2 \"x\" (line 9)");
        assert!(r.warnings.is_empty());
        assert_eq!(r.reason, None);
    }

    #[test]
    fn what_an_iut_said_reaches_the_result_with_controls_escaped() {
        let ending = Ending::Failed {
            step: "step 1".into(),
            requirement: "M-1".into(),
            check: "x.yaml:1".into(),
            unmet: vec![Unmet {
                expected: "status 200".into(),
                actual: "body `\u{1b}[2Jsekrit\0`".into(),
            }],
        };
        let redactor = Redactor::new(["sekrit".to_string()]);
        let r = decide(who(&["M-1"]), record(ending), &levels, &redactor);
        assert_eq!(r.failures[0].actual, "body `\\x1b[2J***\\0`");
        let r = decide(
            who(&["M-1"]),
            record(Ending::Errored("no answer: \u{7}\u{202e}".into())),
            &levels,
            &redactor,
        );
        assert_eq!(r.reason.as_deref(), Some("no answer: \\x07\\u{202e}"));
    }

    #[test]
    fn a_failing_should_step_passes_with_a_redacted_warning_charged_to_it() {
        let redactor = Redactor::new(["sekrit".to_string()]);
        let r = decide(
            who(&["M-1", "S-1"]),
            record(failed_at("S-1")),
            &levels,
            &redactor,
        );
        assert_eq!(r.outcome, Outcome::Passed);
        assert!(r.failures.is_empty());
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].requirement, "S-1");
        assert_eq!(r.warnings[0].expected, "status 200 with ***");
        assert_eq!(r.warnings[0].actual, "status 500 ***");
    }

    #[test]
    fn a_step_charged_to_several_requirements_warns_only_if_all_are_should() {
        let redactor = Redactor::new([]);
        let both = who(&["S-1", "S-2", "M-1"]);
        let r = decide(
            both.clone(),
            record(failed_at("S-1, S-2")),
            &levels,
            &redactor,
        );
        assert_eq!(r.outcome, Outcome::Passed);
        let r = decide(both, record(failed_at("S-1, M-1")), &levels, &redactor);
        assert_eq!(r.outcome, Outcome::Failed);
    }

    #[test]
    fn unknown_requirements_count_as_must() {
        let r = decide(
            who(&["S-1", "nope"]),
            record(failed_at("S-1, nope")),
            &levels,
            &Redactor::new([]),
        );
        assert_eq!(r.outcome, Outcome::Failed);
    }

    #[test]
    fn errors_and_skips_keep_their_redacted_reason() {
        let redactor = Redactor::new(["sekrit".to_string()]);
        let r = decide(
            who(&["M-1"]),
            record(Ending::Errored("bad sekrit".into())),
            &levels,
            &redactor,
        );
        assert_eq!(r.outcome, Outcome::Errored);
        assert!(!r.reason.as_deref().unwrap_or("").contains("sekrit"));
        let r = decide(
            who(&["S-1"]),
            record(Ending::Skipped("no clock".into())),
            &levels,
            &redactor,
        );
        assert_eq!(r.outcome, Outcome::Skipped);
        assert_eq!(r.reason.as_deref(), Some("no clock"));
        let r = decide(who(&["M-1"]), record(Ending::Passed), &levels, &redactor);
        assert_eq!(r.outcome, Outcome::Passed);
        assert_eq!(r.reason, None);
    }
}
