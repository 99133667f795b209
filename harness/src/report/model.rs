//! The one result model every report format is rendered from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::status::{self, RequirementStatus};
use crate::http::printable::printable;
use crate::http::Exchange;

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every step held.
    Passed,
    /// A step's expectation did not hold.
    Failed,
    /// The harness could not finish the scenario (IUT unreachable, timeout, bad template).
    Errored,
    /// Could not be run against this target (reason given).
    Skipped,
    /// Needs an optional feature the vendor's capability statement does not claim
    /// (reason given): not a skip, the vendor said it is not there.
    #[serde(rename = "not applicable")]
    NotApplicable,
    /// Failed, but every requirement it failed (or the scenario itself) is waived: never
    /// a pass.
    Waived,
}

impl Outcome {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Errored => "errored",
            Outcome::Skipped => "skipped",
            Outcome::NotApplicable => "not applicable",
            Outcome::Waived => "waived",
        }
    }
}

/// One unmet expectation, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// Step label: number, name, source line (and loop item).
    pub step: String,
    /// The requirement(s) the step checks, comma separated when several.
    pub requirement: String,
    /// The check that did not hold: `file:line` of its step, with ` expect N` for the
    /// Nth expectation of a step with several checks (empty where no scenario step
    /// failed, e.g. a fuzz finding).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub check: String,
    /// What was expected.
    pub expected: String,
    /// What happened.
    pub actual: String,
}

/// The requirement ids a failure's `requirement` names (`A, B` names two).
pub fn charged(requirement: &str) -> impl Iterator<Item = &str> {
    requirement
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
}

/// One scenario run against one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub warnings: Vec<Failure>,
    /// HTTP exchanges, secrets redacted.
    pub exchanges: Vec<Exchange>,
    /// Requests of this run that reached a mock peer after it had ended (against an
    /// external target): set aside, never taken by a later run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub late_traffic: Vec<LateRequest>,
    /// The waiver that made a failure `waived`: what it waives, who granted it, until
    /// when, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<String>,
    /// Where the scenario is defined.
    pub source: String,
}

/// A request that belongs to a run but reached a mock peer after that run had ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateRequest {
    /// The mock peer it reached.
    pub peer: String,
    /// HTTP method.
    pub method: String,
    /// Path (redacted).
    pub path: String,
    /// The run going on when it arrived (absent: between runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrived_during: Option<String>,
}

/// Totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Scenario runs (a scenario runs once per variant).
    pub total: usize,
    /// Distinct scenarios among the runs.
    pub scenarios: usize,
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Errored.
    pub errored: usize,
    /// Skipped.
    pub skipped: usize,
    /// Not applicable: an optional feature the capability statement does not claim.
    #[serde(default)]
    pub not_applicable: usize,
    /// Failed, with a waiver.
    #[serde(default)]
    pub waived: usize,
    /// Warnings over all runs.
    pub warnings: usize,
}

impl Summary {
    /// `81 runs of 57 scenarios`, or `57 scenarios` when each ran once.
    pub fn runs_of_scenarios(&self) -> String {
        let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
        if self.total == self.scenarios {
            plural(self.scenarios, "scenario")
        } else {
            format!(
                "{} of {}",
                plural(self.total, "run"),
                plural(self.scenarios, "scenario")
            )
        }
    }
}

/// The version of report.json's shape (`schemas/report.schema.json`): raised when a
/// field changes meaning or goes; fields are only ever added within one version.
pub const SCHEMA_VERSION: u32 = 1;

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The version of report.json's shape ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The version of crosscheck that ran.
    pub harness_version: String,
    /// Suite name.
    pub suite: String,
    /// `sha256:` and the digest of every scenario file loaded (before filters and
    /// partitions select runs), so partial reports of one suite carry the same digest.
    pub suite_digest: String,
    /// What was tested.
    pub target: String,
    /// The target's name: the target file's `name`, or `built-in simulators` (control
    /// characters escaped, as in `target`).
    pub target_name: String,
    /// RFC 3339 start time.
    pub started_at: String,
    /// Wall time.
    pub duration_ms: u64,
    /// The clock each run's `duration_ms` was measured on: `real`, or `virtual` (built-in
    /// runs: waits take no wall time, durations are what they would take on real time).
    pub clock: String,
    /// Totals.
    pub summary: Summary,
    /// Requirement id → `passed`, `failed`, `warning`, `skipped` or `not covered`.
    pub requirements: BTreeMap<String, RequirementStatus>,
    /// Requirement id → why it is not `passed` (the runs and steps behind its status).
    pub requirement_reasons: BTreeMap<String, Vec<String>>,
    /// Whether SHOULD warnings fail the run (`--strict`).
    pub strict: bool,
    /// The filters that chose the runs among the scenario files `suite_digest` names.
    #[serde(default)]
    pub selection: Selection,
    /// Which part of a partitioned run this is (absent: a whole run, or a merge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    /// Whether a signal stopped the run before everything ran: it never passes then.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// Report ids of the runs an interruption kept from starting.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_started: Vec<String>,
    /// The waivers that turned failures into `waived`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<crate::waivers::Waiver>,
    /// Waivers given but ignored (expired, or naming nothing the suite checks), each
    /// named.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiver_warnings: Vec<String>,
    /// The vendor's capability statement, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<crate::profile::capabilities::Capabilities>,
    /// Every scenario run.
    pub scenarios: Vec<ScenarioResult>,
}

/// Part `index` of `count` (`run --partition K/N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Partition {
    /// K, from 1.
    pub index: usize,
    /// N.
    pub count: usize,
}

/// The filters of `run` (`--protocol`, `--role`, `--tag`), which every part of one
/// partitioned run shares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// `--protocol`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// `--role`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// `--tag` (any of them), in the order given.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl std::fmt::Display for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(p) = &self.protocol {
            parts.push(format!("--protocol {p}"));
        }
        if let Some(r) = &self.role {
            parts.push(format!("--role {r}"));
        }
        parts.extend(self.tags.iter().map(|t| format!("--tag {t}")));
        match parts.is_empty() {
            true => f.write_str("no filter"),
            false => f.write_str(&parts.join(" ")),
        }
    }
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
        let distinct: std::collections::BTreeSet<&str> =
            scenarios.iter().map(|s| s.scenario.as_str()).collect();
        let mut summary = Summary {
            total: scenarios.len(),
            scenarios: distinct.len(),
            ..Summary::default()
        };
        for s in &scenarios {
            match s.outcome {
                Outcome::Passed => summary.passed += 1,
                Outcome::Failed => summary.failed += 1,
                Outcome::Errored => summary.errored += 1,
                Outcome::Skipped => summary.skipped += 1,
                Outcome::NotApplicable => summary.not_applicable += 1,
                Outcome::Waived => summary.waived += 1,
            }
            summary.warnings += s.warnings.len();
        }
        let mut requirements = BTreeMap::new();
        let mut requirement_reasons = BTreeMap::new();
        for (id, (state, reasons)) in status::of_runs(requirement_ids, &scenarios) {
            if !reasons.is_empty() {
                requirement_reasons.insert(id.clone(), reasons);
            }
            requirements.insert(id, state);
        }
        Self {
            schema_version: SCHEMA_VERSION,
            harness_version: env!("CARGO_PKG_VERSION").to_string(),
            suite: suite.to_string(),
            suite_digest: String::new(),
            target: printable(target).into_owned(),
            target_name: printable(target).into_owned(),
            started_at,
            duration_ms,
            summary,
            requirements,
            requirement_reasons,
            strict: false,
            selection: Selection::default(),
            partition: None,
            interrupted: false,
            not_started: Vec::new(),
            clock: "real".to_string(),
            waivers: Vec::new(),
            waiver_warnings: Vec::new(),
            capabilities: None,
            scenarios,
        }
    }

    /// This report with the suite's digest ([`super::digest::suite_digest`]).
    pub fn with_suite_digest(mut self, digest: String) -> Self {
        self.suite_digest = digest;
        self
    }

    /// This report with the target's own name (the target file's `name`).
    pub fn with_target_name(mut self, name: &str) -> Self {
        self.target_name = printable(name).into_owned();
        self
    }

    /// This report with its runs timed on virtual time, or on real time.
    pub fn with_virtual_time(mut self, virtual_time: bool) -> Self {
        self.clock = if virtual_time { "virtual" } else { "real" }.to_string();
        self
    }

    /// This report with the filters that chose its runs and, for part of a partitioned
    /// run, which part.
    pub fn with_selection(mut self, selection: Selection, partition: Option<Partition>) -> Self {
        self.selection = selection;
        self.partition = partition;
        self
    }

    /// This report with SHOULD warnings failing the run (`--strict`) or not.
    pub fn with_strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The verdict: PASS, PASS WITH WAIVERS, FAIL, or INTERRUPTED (a stopped run
    /// never passes).
    pub fn verdict(&self) -> &'static str {
        if self.interrupted {
            "INTERRUPTED"
        } else if self.all_passed() && self.summary.waived > 0 {
            "PASS WITH WAIVERS"
        } else if self.all_passed() {
            "PASS"
        } else {
            "FAIL"
        }
    }

    /// This report with the waivers used, the warnings of those ignored, and the
    /// capability statement the runs were judged by.
    pub fn with_claims(
        mut self,
        waivers: Vec<crate::waivers::Waiver>,
        waiver_warnings: Vec<String>,
        capabilities: Option<crate::profile::capabilities::Capabilities>,
    ) -> Self {
        self.waivers = waivers;
        self.waiver_warnings = waiver_warnings;
        self.capabilities = capabilities;
        self
    }

    /// Marks the run as interrupted, with the runs that never started.
    pub fn with_interruption(mut self, not_started: Vec<String>) -> Self {
        self.interrupted = true;
        self.not_started = not_started;
        self
    }

    /// Whether the run passes: it was not interrupted, nothing failed or errored, and,
    /// when strict, nothing warned either.
    pub fn all_passed(&self) -> bool {
        !self.interrupted
            && self.summary.failed == 0
            && self.summary.errored == 0
            && !(self.strict && self.summary.warnings > 0)
    }
}
