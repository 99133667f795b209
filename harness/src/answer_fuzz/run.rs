//! Running generated scenarios: against fresh built-in simulators, many at a time, or
//! against an external target, one at a time (its mock peer's address is shared).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::http::HttpClient;
use crate::profile::target::Target;
use crate::profile::{AnswerTiming, Profile, SimError};
use crate::report::console::Silent;
use crate::report::{Outcome, ScenarioResult};
use crate::scenario::Scenario;
use crate::suite::{run_external, run_pool, BuiltinRun, Job, SuiteError};

/// Built-in runs at once by default (most of a run is waiting).
pub const PARALLEL: usize = 8;

/// Where the cases run.
#[derive(Debug, Clone)]
pub struct Runner<'a> {
    /// The protocol.
    pub profile: &'static dyn Profile,
    /// The IUT's role.
    pub role: String,
    /// An external IUT, or `None` for the built-in simulator.
    pub target: Option<&'a Target>,
    /// Faults of the built-in simulator.
    pub faults: BTreeSet<&'static str>,
    /// Built-in runs at once.
    pub parallel: usize,
    /// Where a target's HTTPS mock peer writes its CA.
    pub report_dir: &'a std::path::Path,
}

impl Runner<'_> {
    /// The IUT's timing: the target's, or that of a built-in simulator started once to
    /// ask.
    pub async fn timing(&self) -> Result<AnswerTiming, SimError> {
        let of = |t: &Target| AnswerTiming {
            peer_timeout: t.iut_peer_timeout,
            silence: t.silence,
        };
        if let Some(target) = self.target {
            return Ok(of(target));
        }
        let http = HttpClient::new()?;
        let variant = self.variant();
        let prepared = self
            .profile
            .start_builtin(&self.role, variant, &self.faults, &http)
            .await?;
        Ok(of(&prepared.stage.target))
    }

    fn variant(&self) -> Option<&'static str> {
        self.profile.variants().into_iter().next().flatten()
    }

    /// Runs `scenarios`; results in their order.
    pub async fn run(&self, scenarios: Vec<Scenario>) -> Result<Vec<ScenarioResult>, SuiteError> {
        let scenarios: Vec<Arc<Scenario>> = scenarios.into_iter().map(Arc::new).collect();
        if let Some(target) = self.target {
            return run_external(target.clone(), &scenarios, &Silent, self.report_dir).await;
        }
        let variant = self.variant();
        let runs = scenarios
            .into_iter()
            .map(|scenario| BuiltinRun {
                job: Job {
                    id: scenario.id.clone(),
                    scenario,
                    role: self.role.clone(),
                    variant,
                },
                switches: self.faults.clone(),
                null: None,
                mutant: None,
                quiet: true,
            })
            .collect();
        run_pool(runs, &[], self.parallel, &Silent).await
    }
}

/// What went wrong in a run, or `None` when it passed without a warning.
pub fn problem(result: &ScenarioResult) -> Option<String> {
    if let Some(f) = result.failures.first().or(result.warnings.first()) {
        return Some(format!(
            "{} ({}): expected {}, got {}",
            f.step, f.requirement, f.expected, f.actual
        ));
    }
    match result.outcome {
        Outcome::Passed => None,
        other => Some(format!(
            "{}: {}",
            other.name(),
            result.reason.as_deref().unwrap_or("no reason given")
        )),
    }
}
