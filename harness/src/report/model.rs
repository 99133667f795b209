//! The one result model every report format is rendered from.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::http::Exchange;

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every step held.
    Passed,
    /// A step's expectation did not hold.
    Failed,
    /// The harness could not finish the scenario (IUT unreachable, timeout, bad template).
    Errored,
    /// Not applicable to this target (reason given).
    Skipped,
}

impl Outcome {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Errored => "errored",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One unmet expectation, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Step label: number, name, source line (and loop item).
    pub step: String,
    /// The requirement(s) the step checks.
    pub requirement: String,
    /// What was expected.
    pub expected: String,
    /// What happened.
    pub actual: String,
}

/// One scenario run against one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioResult {
    /// Unique in the report: the scenario id, with the variant in brackets when the
    /// protocol has a variant axis.
    pub id: String,
    /// The scenario file's id.
    pub scenario: String,
    /// Title.
    pub title: String,
    /// Protocol.
    pub protocol: String,
    /// IUT role.
    pub role: String,
    /// The value on the protocol's variant axis, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Requirement ids.
    pub requirements: Vec<String>,
    /// Outcome.
    pub outcome: Outcome,
    /// Wall time.
    pub duration_ms: u64,
    /// Why it errored or was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Unmet expectations (the failing step's).
    pub failures: Vec<Failure>,
    /// SHOULD-level failures, which pass with a warning.
    pub warnings: Vec<String>,
    /// HTTP exchanges, secrets redacted.
    pub exchanges: Vec<Exchange>,
    /// Where the scenario is defined.
    pub source: String,
}

/// Totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Scenario runs.
    pub total: usize,
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Errored.
    pub errored: usize,
    /// Skipped.
    pub skipped: usize,
    /// Warnings over all runs.
    pub warnings: usize,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// Suite name.
    pub suite: String,
    /// What was tested.
    pub target: String,
    /// RFC 3339 start time.
    pub started_at: String,
    /// Wall time.
    pub duration_ms: u64,
    /// Totals.
    pub summary: Summary,
    /// Requirement id → `passed`, `failed` or `not covered`.
    pub requirements: BTreeMap<String, String>,
    /// Every scenario run.
    pub scenarios: Vec<ScenarioResult>,
}

impl RunReport {
    /// Builds the report: totals, and requirement status over `requirement_ids`.
    pub fn new(
        suite: &str,
        target: &str,
        started_at: String,
        duration_ms: u64,
        requirement_ids: &[&str],
        scenarios: Vec<ScenarioResult>,
    ) -> Self {
        let mut summary = Summary {
            total: scenarios.len(),
            ..Summary::default()
        };
        for s in &scenarios {
            match s.outcome {
                Outcome::Passed => summary.passed += 1,
                Outcome::Failed => summary.failed += 1,
                Outcome::Errored => summary.errored += 1,
                Outcome::Skipped => summary.skipped += 1,
            }
            summary.warnings += s.warnings.len();
        }
        let mut status: BTreeMap<String, String> = requirement_ids
            .iter()
            .map(|id| (id.to_string(), "not covered".to_string()))
            .collect();
        for s in &scenarios {
            for r in &s.requirements {
                let entry = status
                    .entry(r.clone())
                    .or_insert_with(|| "not covered".into());
                let next = match (entry.as_str(), s.outcome) {
                    ("failed", _) | (_, Outcome::Failed | Outcome::Errored) => "failed",
                    (_, Outcome::Passed) => "passed",
                    (current, Outcome::Skipped) => current,
                };
                *entry = next.to_string();
            }
        }
        Self {
            suite: suite.to_string(),
            target: target.to_string(),
            started_at,
            duration_ms,
            summary,
            requirements: status,
            scenarios,
        }
    }

    /// Whether every scenario passed or was skipped.
    pub fn all_passed(&self) -> bool {
        self.summary.failed == 0 && self.summary.errored == 0
    }
}
