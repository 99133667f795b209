//! Which answer mutants the self-test runs, and against which runs of the clean plan:
//! for each protocol and role, the mutants of every operation its scenarios call on
//! the IUT (bindings as the built-in simulator's target resolves them), each run only
//! by the scenarios that call that operation; and "refusal N accepted" for every N up
//! to the most refusals one clean run saw, run by the runs that saw that many.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::http::HttpClient;
use crate::mutants::Mutant;
use crate::scenario::checks;
use crate::suite::{Job, SuiteError};

/// One mutant and the runs that face it.
#[derive(Debug, Clone)]
pub(super) struct MutantRuns {
    /// `protocol/role`.
    pub scope: String,
    /// The mutant.
    pub mutant: Arc<Mutant>,
    /// The clean-plan runs that face it.
    pub plan: Vec<Job>,
    /// Why its surviving is legal, when the protocol leaves free the bodies it changes.
    pub legal: Option<&'static str>,
}

/// The mutants of `clean_plan`, in protocol, role and operation order; `refusals`
/// says how many refusals each clean run (by job id) saw.
pub(super) async fn plan(
    clean_plan: &[Job],
    refusals: &BTreeMap<String, usize>,
) -> Result<Vec<MutantRuns>, SuiteError> {
    let seen = |j: &Job| refusals.get(&j.id).copied().unwrap_or(0);
    let http = HttpClient::new()?;
    let mut by_scope: BTreeMap<String, Vec<&Job>> = BTreeMap::new();
    for job in clean_plan {
        let scope = format!("{}/{}", job.scenario.profile.name(), job.role);
        by_scope.entry(scope).or_default().push(job);
    }
    let mut out = Vec::new();
    for (scope, jobs) in by_scope {
        let Some(first) = jobs.first() else {
            continue;
        };
        let profile = first.scenario.profile;
        let prepared = profile
            .start_builtin(&first.role, first.variant, &BTreeSet::new(), &http)
            .await
            .map_err(|why| SuiteError::Simulator {
                protocol: profile.name(),
                role: first.role.clone(),
                why,
            })?;
        let operations: BTreeSet<String> = jobs
            .iter()
            .flat_map(|j| checks::operations(&j.scenario))
            .collect();
        for operation in &operations {
            // An operation the stage cannot bind fails every run that calls it anyway.
            let Ok(binding) = prepared.stage.binding(operation) else {
                continue;
            };
            let free = profile
                .free_answer_bodies()
                .iter()
                .find(|f| f.role == first.role && f.operation == operation.as_str());
            for mutant in Mutant::of_operation(operation, &binding) {
                let legal = free.filter(|_| mutant.changes_only_bodies()).map(|f| f.why);
                let plan = jobs
                    .iter()
                    .filter(|j| checks::operations(&j.scenario).contains(operation))
                    .map(|j| (*j).clone())
                    .collect();
                out.push(MutantRuns {
                    scope: scope.clone(),
                    mutant: Arc::new(mutant),
                    plan,
                    legal,
                });
            }
        }
        let most = jobs.iter().map(|j| seen(j)).max().unwrap_or(0);
        for nth in 1..=most {
            let plan = jobs
                .iter()
                .filter(|j| seen(j) >= nth)
                .map(|j| (*j).clone())
                .collect();
            out.push(MutantRuns {
                scope: scope.clone(),
                mutant: Arc::new(Mutant::AcceptRefused { nth }),
                plan,
                legal: None,
            });
        }
    }
    Ok(out)
}
