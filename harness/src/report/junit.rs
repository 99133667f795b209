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
    let mut suites: BTreeMap<String, Vec<&ScenarioResult>> = BTreeMap::new();
    for s in &report.scenarios {
        suites
            .entry(format!("{}.{}", s.protocol, s.role))
            .or_default()
            .push(s);
    }
    for (name, runs) in suites {
        let mut suite = TestSuite::new(name.as_str());
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
                Outcome::Errored => {
                    let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
                    st.set_message(s.reason.clone().unwrap_or_default());
                    st
                }
                Outcome::Failed => {
                    let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    if let Some(first) = s.failures.first() {
                        st.set_message(format!(
                            "{} {}: expected {}",
                            first.requirement, first.step, first.expected
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
            case.set_classname(match &s.variant {
                Some(v) => format!("{}.{}.{v}", s.protocol, s.role),
                None => format!("{}.{}", s.protocol, s.role),
            });
            case.set_time(Duration::from_millis(s.duration_ms));
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    Ok(junit.to_string()?)
}
