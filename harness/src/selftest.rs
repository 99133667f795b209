//! The kill matrix: the suite against the clean simulators (everything must pass),
//! against each fault (each must fail at least one scenario), and against each null
//! implementation (every scenario must fail or error); and which faults each scenario
//! kills (each scenario must kill at least one).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;

use crate::nulls::NullKind;
use crate::profile::{FaultInfo, VariationInfo};
use crate::protocols;
use crate::report::console::Observer;
use crate::report::{Outcome, ScenarioResult};
use crate::scenario::Scenario;
use crate::suite::{plan_builtin, run_builtin, Job, SuiteError};

/// Passes on that runs ended, not what they found.
struct Counting<'a>(&'a dyn Observer);

impl Observer for Counting<'_> {
    fn finished(&self, _result: &ScenarioResult) {
        self.0.advanced();
    }
}

/// What the self-test found.
#[derive(Debug, Clone, Default)]
pub struct KillMatrix {
    /// Clean runs that did not pass.
    pub clean_failures: Vec<ScenarioResult>,
    /// Clean runs in all.
    pub clean_runs: usize,
    /// Fault name → report ids of the runs it failed.
    pub kills: BTreeMap<&'static str, Vec<String>>,
    /// Scenario id → faults it killed.
    pub by_scenario: BTreeMap<String, BTreeSet<&'static str>>,
    /// Null implementation → report ids of the runs that did not fail or error on it.
    pub null_survivors: BTreeMap<&'static str, Vec<String>>,
    /// Runs against null implementations, in all.
    pub null_runs: usize,
    /// `protocol/role/variation` → runs that did not pass cleanly under it.
    pub variation_failures: BTreeMap<String, Vec<ScenarioResult>>,
}

impl KillMatrix {
    /// Faults no scenario caught.
    pub fn survivors(&self) -> Vec<&'static str> {
        self.kills
            .iter()
            .filter(|(_, k)| k.is_empty())
            .map(|(f, _)| *f)
            .collect()
    }

    /// Scenarios that caught no fault (unproven).
    pub fn unproven(&self) -> Vec<String> {
        self.by_scenario
            .iter()
            .filter(|(_, k)| k.is_empty())
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// Clean passes everything, every fault is killed, every scenario kills something
    /// and fails against every null implementation.
    pub fn ok(&self) -> bool {
        self.clean_failures.is_empty()
            && self.survivors().is_empty()
            && self.unproven().is_empty()
            && self.null_survivors.values().all(Vec::is_empty)
            && self.variation_failures.values().all(Vec::is_empty)
    }

    /// A plain-text table for the terminal.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "clean simulators: {} of {} runs passed",
            self.clean_runs - self.clean_failures.len(),
            self.clean_runs
        );
        for r in &self.clean_failures {
            let _ = writeln!(
                out,
                "  NOT PASSING {} ({}): {}",
                r.id,
                r.outcome.name(),
                why(r)
            );
        }
        let _ = writeln!(
            out,
            "\n{:<26} {:<9} {:>6}  killed by",
            "fault", "breaks", "kills"
        );
        for (name, killed) in &self.kills {
            let fault = protocols::find_fault(name);
            let first: Vec<&str> = killed.iter().take(3).map(String::as_str).collect();
            let _ = writeln!(
                out,
                "{:<26} {:<9} {:>6}  {}{}",
                name,
                fault.map_or("", |f| f.requirement),
                killed.len(),
                if killed.is_empty() {
                    "SURVIVED".to_string()
                } else {
                    first.join(", ")
                },
                if killed.len() > 3 { ", …" } else { "" }
            );
        }
        let _ = writeln!(out, "\n{:<34} faults killed", "scenario");
        for (s, k) in &self.by_scenario {
            let names: Vec<&str> = k.iter().copied().collect();
            let _ = writeln!(
                out,
                "{s:<34} {}",
                if names.is_empty() {
                    "NONE (unproven)".into()
                } else {
                    names.join(", ")
                }
            );
        }
        let _ = writeln!(out, "\n{:<34} runs not passing", "variation");
        for (name, failed) in &self.variation_failures {
            let _ = writeln!(
                out,
                "{name:<34} {}",
                if failed.is_empty() {
                    "none".to_string()
                } else {
                    failed
                        .iter()
                        .map(|r| format!("{} ({})", r.id, why(r)))
                        .collect::<Vec<_>>()
                        .join("; ")
                }
            );
        }
        let _ = writeln!(out, "\n{:<16} runs not failing", "null");
        for (name, passed) in &self.null_survivors {
            let _ = writeln!(
                out,
                "{name:<16} {}",
                if passed.is_empty() {
                    "none".to_string()
                } else {
                    format!("{} ({})", passed.len(), passed.join(", "))
                }
            );
        }
        let null_ok = self.null_survivors.values().all(Vec::is_empty);
        let _ = writeln!(
            out,
            "\n{} runs against {} null implementations: {}",
            self.null_runs,
            self.null_survivors.len(),
            if null_ok {
                "every one failed or errored"
            } else {
                "SOME DID NOT FAIL"
            }
        );
        let killed = self.kills.values().filter(|k| !k.is_empty()).count();
        let _ =
            writeln!(
            out,
            "\n{killed} of {} faults killed; {} of {} scenarios kill at least one fault; clean: {}",
            self.kills.len(),
            self.by_scenario.len() - self.unproven().len(),
            self.by_scenario.len(),
            if self.clean_failures.is_empty() { "all pass" } else { "NOT all pass" }
        );
        out
    }
}

/// Why a run did not pass cleanly: its first failure or warning, or its reason.
fn why(r: &ScenarioResult) -> String {
    r.failures
        .first()
        .or(r.warnings.first())
        .map(|f| {
            format!(
                "{} {}: expected {}, got {}",
                f.requirement, f.step, f.expected, f.actual
            )
        })
        .or_else(|| r.reason.clone())
        .unwrap_or_default()
}

/// Runs the self-test over `scenarios` with `parallel` scenarios at a time; `observer`
/// sees every run (clean and under each fault).
pub async fn run(
    scenarios: &[Arc<Scenario>],
    parallel: usize,
    observer: &dyn Observer,
) -> Result<KillMatrix, SuiteError> {
    let mut matrix = KillMatrix::default();
    for s in scenarios {
        matrix.by_scenario.entry(s.id.clone()).or_default();
    }
    let profiles: BTreeSet<&'static str> = scenarios.iter().map(|s| s.profile.name()).collect();
    let roles: BTreeSet<String> = scenarios.iter().map(|s| s.role.clone()).collect();
    let roles: Vec<String> = roles.into_iter().collect();
    let clean_plan = plan_builtin(scenarios, &roles);
    let fault_plans: Vec<(FaultInfo, Vec<Job>)> = profiles
        .into_iter()
        .filter_map(protocols::find)
        .flat_map(|p| p.faults())
        .map(|fault| {
            let of_protocol: Vec<Arc<Scenario>> = scenarios
                .iter()
                .filter(|s| s.profile.name() == fault.protocol)
                .cloned()
                .collect();
            let plan = plan_builtin(&of_protocol, &[fault.role.to_string()]);
            (fault, plan)
        })
        .collect();
    let variation_plans: Vec<(VariationInfo, Vec<Job>)> = scenarios
        .iter()
        .map(|s| s.profile.name())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter_map(protocols::find)
        .flat_map(|p| p.variations())
        .map(|v| {
            let of_role: Vec<Arc<Scenario>> = scenarios
                .iter()
                .filter(|s| s.profile.name() == v.protocol && s.role == v.role)
                .cloned()
                .collect();
            (v, plan_builtin(&of_role, &[v.role.to_string()]))
        })
        .filter(|(_, plan)| !plan.is_empty())
        .collect();
    observer.planned(
        clean_plan.len() * (1 + NullKind::ALL.len())
            + fault_plans.iter().map(|(_, p)| p.len()).sum::<usize>()
            + variation_plans.iter().map(|(_, p)| p.len()).sum::<usize>(),
    );
    let clean = run_builtin(
        clean_plan.clone(),
        &BTreeSet::new(),
        None,
        parallel,
        observer,
    )
    .await?;
    matrix.clean_runs = clean.len();
    matrix.clean_failures = clean
        .into_iter()
        .filter(|r| r.outcome != Outcome::Passed || !r.warnings.is_empty())
        .collect();
    // Under a fault, failures are the point: count them, do not report each one.
    let counting = Counting(observer);
    for (fault, plan) in fault_plans {
        let results = run_builtin(
            plan,
            &BTreeSet::from([fault.name]),
            None,
            parallel,
            &counting,
        )
        .await?;
        let killers: Vec<&ScenarioResult> = results
            .iter()
            // A SHOULD-level scenario passes with a warning: that is a detection too.
            .filter(|r| {
                matches!(r.outcome, Outcome::Failed | Outcome::Errored) || !r.warnings.is_empty()
            })
            .collect();
        for r in &killers {
            matrix
                .by_scenario
                .entry(r.scenario.clone())
                .or_default()
                .insert(fault.name);
        }
        matrix
            .kills
            .insert(fault.name, killers.iter().map(|r| r.id.clone()).collect());
    }
    // A legal variation must pass like the reference.
    for (v, plan) in variation_plans {
        let results =
            run_builtin(plan, &BTreeSet::from([v.name]), None, parallel, &counting).await?;
        matrix.variation_failures.insert(
            format!("{}/{}/{}", v.protocol, v.role, v.name),
            results
                .into_iter()
                .filter(|r| r.outcome != Outcome::Passed || !r.warnings.is_empty())
                .collect(),
        );
    }
    // Against a null implementation, only a failure or an error is right.
    for kind in NullKind::ALL {
        let results = run_builtin(
            clean_plan.clone(),
            &BTreeSet::new(),
            Some(kind),
            parallel,
            &counting,
        )
        .await?;
        matrix.null_runs += results.len();
        matrix.null_survivors.insert(
            kind.name(),
            results
                .iter()
                .filter(|r| !matches!(r.outcome, Outcome::Failed | Outcome::Errored))
                .map(|r| r.id.clone())
                .collect(),
        );
    }
    Ok(matrix)
}
