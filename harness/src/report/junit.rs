//! junit.xml: one test suite per protocol and role, one test case per scenario run.
//! Each suite carries the status of the requirements its runs cover as properties
//! (`requirement.ID`); SHOULD warnings go to the test case's system-out.

use std::collections::BTreeMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::model::{Outcome, RunReport, ScenarioResult};

/// Renders the report as JUnit XML.
pub fn render(report: &RunReport) -> Result<String, super::ReportError> {
    let mut junit = Report::new(report.suite.as_str());
    junit.set_time(Duration::from_millis(report.duration_ms));
    // A start time that is not RFC 3339 (never from `run`) leaves the timestamp out.
    let started = chrono::DateTime::parse_from_rfc3339(&report.started_at).ok();
    if let Some(t) = started {
        junit.set_timestamp(t);
    }
    let mut suites: BTreeMap<String, Vec<&ScenarioResult>> = BTreeMap::new();
    for s in &report.scenarios {
        suites
            .entry(format!("{}.{}", s.protocol, s.role))
            .or_default()
            .push(s);
    }
    for (name, runs) in suites {
        let mut suite = TestSuite::new(name.as_str());
        // Runs go in parallel, so a suite's time is the sum of its runs' times.
        suite.set_time(Duration::from_millis(
            runs.iter().map(|s| s.duration_ms).sum(),
        ));
        if let Some(t) = started {
            suite.set_timestamp(t);
        }
        // The status of each requirement these runs cover, as the whole report has it.
        let covered: std::collections::BTreeSet<&String> =
            runs.iter().flat_map(|s| s.requirements.iter()).collect();
        for id in covered {
            if let Some(status) = report.requirements.get(id) {
                suite.add_property((format!("requirement.{id}"), status.name().to_string()));
            }
        }
        for s in runs {
            let status = match s.outcome {
                Outcome::Passed => TestCaseStatus::success(),
                Outcome::Skipped => {
                    let mut st = TestCaseStatus::skipped();
                    st.set_message(s.reason.clone().unwrap_or_default());
                    st
                }
                // JUnit knows no such status: both are shown as skipped (never as a
                // success), the message says which.
                Outcome::NotApplicable => {
                    let mut st = TestCaseStatus::skipped();
                    st.set_message(format!(
                        "not applicable: {}",
                        s.reason.clone().unwrap_or_default()
                    ));
                    st
                }
                Outcome::Waived => {
                    let mut st = TestCaseStatus::skipped();
                    let failed = s.failures.first().map_or(String::new(), |f| {
                        format!(
                            "; failed [{}] {}: expected {}, got {}",
                            f.requirement, f.step, f.expected, f.actual
                        )
                    });
                    st.set_message(format!(
                        "waived: {}{failed}",
                        s.waiver.clone().unwrap_or_default()
                    ));
                    st
                }
                Outcome::Errored => {
                    let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
                    st.set_message(s.reason.clone().unwrap_or_default());
                    st
                }
                Outcome::Failed => {
                    let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    if let Some(first) = s.failures.first() {
                        st.set_message(format!(
                            "[{}] {}: expected {}, got {}",
                            first.requirement, first.step, first.expected, first.actual
                        ));
                    }
                    st.set_description(
                        s.failures
                            .iter()
                            .map(|f| {
                                format!(
                                    "[{}] {}\n  expected: {}\n  actual:   {}",
                                    f.requirement, f.step, f.expected, f.actual
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("\n"),
                    );
                    st
                }
            };
            let mut case = TestCase::new(s.id.as_str(), status);
            if !s.warnings.is_empty() {
                case.set_system_out(
                    s.warnings
                        .iter()
                        .map(|w| {
                            format!(
                                "warning [{}] {}: expected {}, got {}",
                                w.requirement, w.step, w.expected, w.actual
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
            }
            case.set_classname(classname(s));
            case.set_time(Duration::from_millis(s.duration_ms));
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    Ok(junit.to_string()?)
}

/// `protocol.role`, and `.variant` when the protocol has a variant axis (an empty or
/// `-` variant is no variant).
fn classname(s: &ScenarioResult) -> String {
    match s.variant.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() && v != "-" => format!("{}.{}.{v}", s.protocol, s.role),
        _ => format!("{}.{}", s.protocol, s.role),
    }
}
