//! What a run says of each requirement: `passed`, `failed`, `warning` (a SHOULD that did
//! not hold), `skipped` or `not covered`, with the reasons behind every status but
//! `passed`. A failure is charged to the requirement its step checks, not to every
//! requirement its scenario lists.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::{charged, Outcome, ScenarioResult};
use crate::tls::TLS_CHECK;

/// The status of one requirement over a whole run. Later variants win when runs
/// disagree: one failure makes a requirement failed whatever else passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RequirementStatus {
    /// No run checked it.
    #[serde(rename = "not covered")]
    NotCovered,
    /// Every run that would check it needs a feature the capability statement does
    /// not claim.
    #[serde(rename = "not applicable")]
    NotApplicable,
    /// Every run that would check it was skipped, or stopped before reaching it.
    #[serde(rename = "skipped")]
    Skipped,
    /// Every run that checked it passed.
    #[serde(rename = "passed")]
    Passed,
    /// A SHOULD-level check of it did not hold; nothing failed.
    #[serde(rename = "warning")]
    Warning,
    /// A check of it failed, and a waiver covers that failure.
    #[serde(rename = "waived")]
    Waived,
    /// A check of it failed, or a run covering it errored.
    #[serde(rename = "failed")]
    Failed,
}

impl RequirementStatus {
    /// The name reports use.
    pub fn name(self) -> &'static str {
        match self {
            RequirementStatus::NotCovered => "not covered",
            RequirementStatus::Skipped => "skipped",
            RequirementStatus::Passed => "passed",
            RequirementStatus::Warning => "warning",
            RequirementStatus::NotApplicable => "not applicable",
            RequirementStatus::Waived => "waived",
            RequirementStatus::Failed => "failed",
        }
    }
}

/// What one run says of `requirement`, and why, when it is not a plain pass.
fn of_run(run: &ScenarioResult, requirement: &str) -> (RequirementStatus, Option<String>) {
    let hits = |list: &[super::model::Failure]| {
        list.iter()
            .find(|f| charged(&f.requirement).any(|r| r == requirement))
            .map(|f| format!("{}: {} expected {}", run.id, f.step, f.expected))
    };
    match run.outcome {
        Outcome::Errored => (
            RequirementStatus::Failed,
            Some(format!(
                "{} errored: {}",
                run.id,
                run.reason.as_deref().unwrap_or("")
            )),
        ),
        Outcome::Skipped => (
            RequirementStatus::Skipped,
            Some(format!(
                "{} skipped: {}",
                run.id,
                run.reason.as_deref().unwrap_or("")
            )),
        ),
        Outcome::Failed => match hits(&run.failures) {
            Some(why) => (RequirementStatus::Failed, Some(why)),
            // Only the run-wide TLS check failed: every step ran and held.
            None if run.failures.iter().all(|f| f.requirement == TLS_CHECK) => {
                (RequirementStatus::Passed, None)
            }
            None => (
                RequirementStatus::Skipped,
                Some(format!(
                    "{} stopped at a failure of {} before it was fully checked",
                    run.id,
                    run.failures
                        .first()
                        .map_or("another requirement", |f| f.requirement.as_str())
                )),
            ),
        },
        Outcome::NotApplicable => (
            RequirementStatus::NotApplicable,
            Some(format!(
                "{} not applicable: {}",
                run.id,
                run.reason.as_deref().unwrap_or("")
            )),
        ),
        Outcome::Waived => match hits(&run.failures) {
            Some(why) => (
                RequirementStatus::Waived,
                Some(format!(
                    "{why} (waived: {})",
                    run.waiver.as_deref().unwrap_or("")
                )),
            ),
            None => (
                RequirementStatus::Skipped,
                Some(format!(
                    "{} stopped at a waived failure of {} before it was fully checked",
                    run.id,
                    run.failures
                        .first()
                        .map_or("another requirement", |f| f.requirement.as_str())
                )),
            ),
        },
        Outcome::Passed => match hits(&run.warnings) {
            Some(why) => (RequirementStatus::Warning, Some(why)),
            None => (RequirementStatus::Passed, None),
        },
    }
}

/// Each requirement's status over `runs`, for every id in `ids` and every id a run
/// lists, with the reasons of the winning status (empty for `passed`).
pub fn of_runs(
    ids: &[&str],
    runs: &[ScenarioResult],
) -> BTreeMap<String, (RequirementStatus, Vec<String>)> {
    let mut out: BTreeMap<String, (RequirementStatus, Vec<String>)> = ids
        .iter()
        .map(|id| (id.to_string(), (RequirementStatus::NotCovered, Vec::new())))
        .collect();
    for run in runs {
        for requirement in &run.requirements {
            let (status, why) = of_run(run, requirement);
            let entry = out
                .entry(requirement.clone())
                .or_insert((RequirementStatus::NotCovered, Vec::new()));
            if status > entry.0 {
                *entry = (status, Vec::new());
            }
            if status == entry.0 {
                entry.1.extend(why);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::Failure;

    fn run(id: &str, requirements: &[&str], outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            id: id.into(),
            scenario: id.into(),
            title: id.into(),
            protocol: "demo".into(),
            role: "server".into(),
            variant: None,
            requirements: requirements.iter().map(|r| r.to_string()).collect(),
            outcome,
            duration_ms: 1,
            reason: Some("why".into()),
            failures: vec![],
            warnings: vec![],
            exchanges: vec![],
            late_traffic: vec![],
            waiver: None,
            source: "f.yaml:1".into(),
        }
    }

    fn failure(requirement: &str) -> Failure {
        Failure {
            step: "step 2".into(),
            requirement: requirement.into(),
            check: String::new(),
            expected: "status 200".into(),
            actual: "status 500".into(),
        }
    }

    fn status(map: &BTreeMap<String, (RequirementStatus, Vec<String>)>, id: &str) -> &'static str {
        map[id].0.name()
    }

    #[test]
    fn a_failure_is_charged_to_its_step_requirement_only() {
        let mut failed = run("a", &["R-1", "R-2"], Outcome::Failed);
        failed.failures.push(failure("R-1"));
        let map = of_runs(&["R-1", "R-2", "R-3"], &[failed]);
        assert_eq!(status(&map, "R-1"), "failed");
        assert_eq!(map["R-1"].1, ["a: step 2 expected status 200"]);
        assert_eq!(status(&map, "R-2"), "skipped");
        assert!(map["R-2"].1[0].contains("stopped at a failure of R-1"));
        assert_eq!(status(&map, "R-3"), "not covered");
    }

    #[test]
    fn a_tls_shortfall_fails_only_the_tls_check_as_every_step_held() {
        let mut failed = run("a", &["R-1", TLS_CHECK], Outcome::Failed);
        failed.failures.push(failure(TLS_CHECK));
        let map = of_runs(&["R-1"], &[failed]);
        assert_eq!(status(&map, TLS_CHECK), "failed");
        assert_eq!(status(&map, "R-1"), "passed");
    }

    #[test]
    fn a_should_warning_is_not_a_pass_and_a_failure_beats_everything() {
        let mut warned = run("w", &["S-1"], Outcome::Passed);
        warned.warnings.push(failure("S-1"));
        let clean = run("c", &["S-1", "M-1"], Outcome::Passed);
        let map = of_runs(&[], &[clean.clone(), warned]);
        assert_eq!(status(&map, "S-1"), "warning");
        assert_eq!(status(&map, "M-1"), "passed");
        assert!(map["M-1"].1.is_empty());
        let errored = run("e", &["M-1"], Outcome::Errored);
        let map = of_runs(&[], &[clean, errored]);
        assert_eq!(status(&map, "M-1"), "failed");
        assert_eq!(map["M-1"].1, ["e errored: why"]);
    }

    #[test]
    fn skipped_only_is_skipped_with_reasons_and_a_pass_elsewhere_wins() {
        let skipped = run("s", &["R-1"], Outcome::Skipped);
        let map = of_runs(&["R-1"], std::slice::from_ref(&skipped));
        assert_eq!(status(&map, "R-1"), "skipped");
        assert_eq!(map["R-1"].1, ["s skipped: why"]);
        let map = of_runs(&["R-1"], &[skipped, run("p", &["R-1"], Outcome::Passed)]);
        assert_eq!(status(&map, "R-1"), "passed");
    }

    #[test]
    fn a_step_charged_to_several_requirements_fails_each() {
        let mut failed = run("a", &["R-1", "R-2"], Outcome::Failed);
        failed.failures.push(failure("R-1, R-2"));
        let map = of_runs(&[], &[failed]);
        assert_eq!(status(&map, "R-1"), "failed");
        assert_eq!(status(&map, "R-2"), "failed");
    }
}
