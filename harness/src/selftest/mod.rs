//! The full matrix: the suite against the clean simulators (everything must pass),
//! under each legal variation (everything must pass, or be skipped with a reason),
//! against each fault (each must fail at least one scenario, with the legal variations
//! it needs to show), and against each null implementation (every scenario must fail or
//! error); and which faults each scenario kills (each scenario must kill at least one).
//! A clean run may be skipped with a reason (what the reference does not let it show)
//! only when the same run passes under some legal variation. Every run goes into one pool; the
//! console shows the clean runs, the matrix shows the rest.

mod files;
mod matrix;
mod mutant_plan;
mod proof;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub use files::{last_durations, write, MatrixFileError};
pub use matrix::{CleanSkip, KillMatrix, MutantScore, Verdict};
pub use proof::CheckProof;

use crate::mutants::Mutant;
use crate::nulls::NullKind;
use crate::profile::{FaultInfo, VariationInfo};
use crate::protocols;
use crate::report::console::Observer;
use crate::report::Outcome;
use crate::scenario::{checks, Scenario};
use crate::suite::{order_ids, plan_builtin, run_pool, BuiltinRun, Job, SuiteError};

/// How many refusals (4xx answers to the harness's own calls) each run of the clean
/// plan sees, by job id: a silent dry run first, since a loop's length is known only
/// when it runs. The "refusal N accepted" mutants go up to these counts: the
/// simulators are deterministic, so a mutant run is the clean run up to its Nth
/// refusal.
async fn refusals_seen(
    clean_plan: &[Job],
    parallel: usize,
) -> Result<BTreeMap<String, usize>, SuiteError> {
    let runs = clean_plan
        .iter()
        .map(|job| BuiltinRun {
            job: job.clone(),
            switches: BTreeSet::new(),
            null: None,
            mutant: None,
            // Not quiet: a quiet run keeps no exchanges, and they are what is counted.
            quiet: false,
        })
        .collect();
    let results = run_pool(runs, &[], parallel, &crate::report::console::Silent).await?;
    Ok(clean_plan
        .iter()
        .zip(results)
        .map(|(job, r)| {
            let refused = r
                .exchanges
                .iter()
                .filter(|e| e.direction == "harness->iut")
                .filter(|e| e.status.is_some_and(|s| (400..500).contains(&s)))
                .count();
            (job.id.clone(), refused)
        })
        .collect())
}

/// Runs the self-test over `scenarios` with `parallel` runs at a time; `observer` sees
/// what the clean runs found and only the progress of the others.
/// Runs start longest first, by `expected` (milliseconds by [`Verdict::key`], e.g. from
/// the last self-test).
pub async fn run(
    scenarios: &[Arc<Scenario>],
    parallel: usize,
    expected: &BTreeMap<String, u64>,
    observer: &dyn Observer,
) -> Result<KillMatrix, SuiteError> {
    let mut matrix = KillMatrix::default();
    for s in scenarios {
        matrix.by_scenario.entry(s.id.clone()).or_default();
        matrix
            .checks
            .extend(checks::of(s).into_iter().map(CheckProof::of));
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
    // One pool, no barrier: every run of the matrix at once, `parallel` at a time.
    let mut runs: Vec<BuiltinRun> = Vec::new();
    let mut cells: Vec<Cell> = Vec::new();
    let mut add = |cell: Cell,
                   plan: &[Job],
                   switches: BTreeSet<&'static str>,
                   null,
                   mutant: Option<Arc<Mutant>>,
                   quiet| {
        for job in plan {
            cells.push(cell.clone());
            runs.push(BuiltinRun {
                job: job.clone(),
                switches: switches.clone(),
                null,
                mutant: mutant.clone(),
                quiet,
            });
        }
    };
    add(Cell::Clean, &clean_plan, BTreeSet::new(), None, None, false);
    for (fault, plan) in &fault_plans {
        let mut switches = BTreeSet::from([fault.name]);
        switches.extend(fault.shown_with.iter().copied());
        add(Cell::Fault(fault.name), plan, switches, None, None, true);
        matrix.kills.insert(fault.name, Vec::new());
        matrix.fault_infos.insert(fault.name, *fault);
    }
    for (v, plan) in &variation_plans {
        let name = format!("{}/{}/{}", v.protocol, v.role, v.name);
        matrix.variation_failures.insert(name.clone(), Vec::new());
        add(
            Cell::Variation(name),
            plan,
            BTreeSet::from([v.name]),
            None,
            None,
            true,
        );
    }
    for kind in NullKind::ALL {
        matrix.null_survivors.insert(kind.name(), Vec::new());
        add(
            Cell::Null(kind.name()),
            &clean_plan,
            BTreeSet::new(),
            Some(kind),
            None,
            true,
        );
    }
    let refusals = refusals_seen(&clean_plan, parallel).await?;
    for m in mutant_plan::plan(&clean_plan, &refusals).await? {
        let name = m.mutant.name();
        let legal = m.legal;
        matrix.mutants.entry(m.scope.clone()).or_default().insert(
            name.clone(),
            MutantScore {
                legal,
                ..MutantScore::default()
            },
        );
        add(
            Cell::Mutant(m.scope, name),
            &m.plan,
            BTreeSet::new(),
            None,
            Some(m.mutant),
            true,
        );
    }
    observer.planned(runs.len());
    let keys: Vec<String> = cells
        .iter()
        .zip(&runs)
        .map(|(cell, run)| Verdict::key(&cell.label(), &run.job.id))
        .collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let order = order_ids(&keys, expected);
    let results = run_pool(runs, &order, parallel, observer).await?;
    let mut clean_skips = Vec::new();
    // Run id → the variations under which it passed cleanly.
    let mut shown: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (cell, r) in cells.into_iter().zip(results) {
        matrix.verdicts.push(Verdict::of(cell.label(), &r));
        if matches!(cell, Cell::Fault(_) | Cell::Null(_) | Cell::Mutant(..)) {
            proof::record(&mut matrix.checks, &cell.label(), &r);
        }
        let clean = r.outcome == Outcome::Passed && r.warnings.is_empty();
        match cell {
            Cell::Clean => {
                matrix.clean_runs += 1;
                if r.outcome == Outcome::Skipped {
                    clean_skips.push(r);
                } else if !clean {
                    matrix.clean_failures.push(r);
                }
            }
            // A SHOULD-level scenario passes with a warning: that is a detection too.
            Cell::Fault(name) => {
                if !clean && r.outcome != Outcome::Skipped {
                    matrix
                        .by_scenario
                        .entry(r.scenario.clone())
                        .or_default()
                        .insert(name);
                    matrix.kills.entry(name).or_default().push(r.id);
                }
            }
            // A legal variation must pass like the reference (or be skipped with a reason).
            Cell::Variation(name) => {
                if r.outcome == Outcome::Skipped {
                    let why = r.reason.clone().unwrap_or_default();
                    matrix
                        .variation_skips
                        .entry(name)
                        .or_default()
                        .push((r.id, why));
                } else if !clean {
                    matrix.variation_failures.entry(name).or_default().push(r);
                } else {
                    shown.entry(r.id).or_default().push(name);
                }
            }
            // A mutant is killed for a protocol and role when one of its runs there
            // does not pass cleanly; skipped runs (it changed nothing) do not count.
            Cell::Mutant(scope, name) => {
                let changed = r.outcome != Outcome::Skipped;
                let entry = matrix
                    .mutants
                    .entry(scope)
                    .or_default()
                    .entry(name)
                    .or_default();
                if changed {
                    entry.applies = true;
                    if !clean {
                        entry.killed_by.push(r.id);
                    }
                }
            }
            // Against a null implementation, only a failure or an error is right.
            Cell::Null(name) => {
                matrix.null_runs += 1;
                if !matches!(r.outcome, Outcome::Failed | Outcome::Errored) {
                    matrix.null_survivors.entry(name).or_default().push(r.id);
                }
            }
        }
    }
    matrix.settle_clean_skips(clean_skips, shown);
    Ok(matrix)
}

/// Which column of the matrix a run belongs to.
#[derive(Debug, Clone)]
enum Cell {
    Clean,
    Fault(&'static str),
    Variation(String),
    Null(&'static str),
    /// `protocol/role` and the mutant's name.
    Mutant(String, String),
}

impl Cell {
    fn label(&self) -> String {
        match self {
            Cell::Clean => "clean".into(),
            Cell::Fault(name) => format!("fault:{name}"),
            Cell::Variation(name) => format!("variation:{name}"),
            Cell::Null(name) => format!("null:{name}"),
            Cell::Mutant(scope, name) => format!("mutant:{scope}/{name}"),
        }
    }
}
